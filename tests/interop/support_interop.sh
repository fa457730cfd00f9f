#!/usr/bin/env bash
# support_interop.sh CMPKIT WORKDIR own
# support_interop.sh CMPKIT WORKDIR openssl36 SHARED
#
# The support messages from the command line (RFC 9483 4.3): genm with
# -infotype caCerts, rootCaCert, crlStatusList and certReqTemplate, their
# output files and their refusals, on a PKI made here with the `openssl` CLI
# (an old root CA and its successor with the link certificates, CRLs of two
# ages, an attacker's key).
#
#   own        the cmpkit client against `cmpkit -port 0` and -use_mock_srv:
#              every answer, the options from a config file, the missing
#              options, and forged root CA updates (CVE-2026-42769), which
#              must be refused without anything written to -newwithnew.
#   openssl36  the same client against OpenSSL 3.6.1's mock server
#              (SHARED/peers/openssl36), forged updates from it too, and
#              OpenSSL 3.6.1's client against `cmpkit -port 0`. Exit 77
#              (skipped) without SHARED/peers/openssl36.
#
# Every command is time-bound; servers are killed on exit.
set -euo pipefail

if [ "$#" -lt 3 ]; then
    echo "usage: $0 CMPKIT WORKDIR own|openssl36 [SHARED]" >&2
    exit 2
fi
cmpkit=$1
work=$2
mode=$3
shared=${4:-}

t_name=support_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ossl36=
if [ "$mode" = openssl36 ]; then
    if [ -z "$shared" ] || [ ! -x "$shared/peers/openssl36" ]; then
        echo "support_interop: skipped: no $shared/peers/openssl36"
        exit 77
    fi
    ossl36=$("$shared/peers/openssl36" --path) || die "cannot unpack OpenSSL 3.6.1"
    [ -x "$ossl36" ] || die "no OpenSSL 3.6.1 binary at '$ossl36'"
elif [ "$mode" != own ]; then
    die "unknown mode '$mode'"
fi
[ -x "$cmpkit" ] || die "$cmpkit is not executable"

fresh_workdir "$work"
cd "$work"

# ---- the PKI ---------------------------------------------------------------------
cat >ext.cnf <<'EOF'
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ee]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ee_dp]
basicConstraints = CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.example/root.crl
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# selfsigned KEY CN OUT
selfsigned() {
    openssl req -x509 -new -key "$1" -subj "/CN=$2" -days 3650 -config ext.cnf \
        -extensions root -out "$3" 2>/dev/null
}
# issue KEY CN CACERT CAKEY EXT OUT
issue() {
    openssl req -new -key "$1" -subj "/CN=$2" -config ext.cnf -out req.csr 2>/dev/null
    openssl x509 -req -in req.csr -CA "$3" -CAkey "$4" -CAcreateserial -days 3650 \
        -extfile ext.cnf -extensions "$5" -out "$6" 2>/dev/null
}
for k in old new evil ee other; do key $k.key; done
root="Support Root CA"
selfsigned old.key "$root" old.crt
selfsigned new.key "$root" new.crt
issue new.key "$root" old.crt old.key root nwo.crt  # newWithOld
issue old.key "$root" new.crt new.key root own.crt  # oldWithNew
issue ee.key "Support EE" old.crt old.key ee ee.crt
issue ee.key "Support EE" old.crt old.key ee_dp ee_dp.crt
selfsigned other.key "Other CA" other_ca.crt
issue ee.key "Other EE" other_ca.crt other.key ee other.crt
# the attacker's root, a newWithOld it made itself, one the old root signed as an end entity
selfsigned evil.key "$root" evil.crt
issue evil.key "$root" evil.crt evil.key root evil_nwo.crt
issue evil.key "$root" old.crt old.key ee evil_ee.crt
for f in old new nwo own ee ee_dp other evil evil_nwo evil_ee; do
    [ -s $f.crt ] || die "could not make $f.crt"
done
openssl verify -CAfile old.crt nwo.crt >/dev/null || die "nwo.crt does not verify"
openssl verify -CAfile new.crt own.crt >/dev/null || die "own.crt does not verify"
# CRLs of the old root: two days and one hour old
mkdir -p ca
: >ca/index.txt
echo 1000 >ca/crlnumber
cat >ca.cnf <<EOF
[ca]
default_ca = d
[d]
database = $work/ca/index.txt
crlnumber = $work/ca/crlnumber
default_md = sha256
default_crl_days = 30
EOF
crl() {
    openssl ca -config ca.cnf -gencrl -keyfile old.key -cert old.crt \
        -crl_lastupdate "$(date -u -d "$1" +%Y%m%d%H%M%SZ)" -out "$2" 2>/dev/null
}
crl "-2 days" old.crl
crl "-1 hour" new.crl
[ -s old.crl ] && [ -s new.crl ] || die "could not make the CRLs"
openssl crl -in new.crl -outform DER -out new.crl.der
ok "PKI made"

fp() { openssl x509 -in "$1" -noout -fingerprint -sha256; }
same_cert() { [ "$(fp "$1")" = "$(fp "$2")" ] || die "$3: $1 is not $2"; }

secret=pass:support-secret
ref=support
mock_opts=(-srv_ref "$ref" -srv_secret "$secret" -rsp_cert ee.crt -rsp_capubs old.crt
           -rsp_crl new.crl -rsp_newwithnew new.crt -rsp_newwithold nwo.crt
           -rsp_oldwithnew own.crt)

# start_server NAME CONFIG CMD...: starts a mock server (-port 0) with the config file
# CONFIG ("" for none), sets $port once it listens
port=
start_server() {
    local name=$1 config=$2 out=$work/server_$1.out
    shift 2
    : >"$out"
    timeout 300 "$@" -config "$config" -port 0 >"$out" 2>"$work/server_$name.err" &
    pids+=($!)
    wait_accept "$name" "$!" "$out" "$work/server_$name.err"
}

# client NAME EXPECT ARGS...: runs the cmpkit client (genm) with ARGS; EXPECT 0 or 1 (exit status)
client_with() {
    local bin=($1) name=$2 expect=$3 rc=0
    shift 3
    timeout 60 "${bin[@]}" -config "" -cmd genm -secret "$secret" -ref "$ref" -trusted old.crt "$@" \
        >"$work/$name.log" 2>&1 || rc=$?
    if { [ "$expect" = 0 ] && [ "$rc" != 0 ]; } || { [ "$expect" != 0 ] && [ "$rc" = 0 ]; }; then
        cat "$work/$name.log" >&2
        die "$name: exit status $rc, expected $([ "$expect" = 0 ] && echo 0 || echo failure)"
    fi
}
client() { client_with "$cmpkit" "$@"; }
log_has() { grep -q -- "$2" "$work/$1.log" || { cat "$work/$1.log" >&2; die "$1: no '$2' in its output"; }; }

# ---- every answer of a mock server at $1 (host:port), or -use_mock_srv ------------
answers() {
    local tag=$1
    shift
    local srv=("$@")

    client "$tag-cacerts" 0 "${srv[@]}" -infotype caCerts -cacertsout "ca_$tag.pem"
    same_cert "ca_$tag.pem" old.crt "$tag caCerts"
    ok "$tag: caCerts saved to -cacertsout"

    client "$tag-root" 0 "${srv[@]}" -infotype rootCaCert -oldwithold old.crt \
        -newwithnew "nwn_$tag.pem" -newwithold "nwo_$tag.pem" -oldwithnew "own_$tag.pem"
    same_cert "nwn_$tag.pem" new.crt "$tag newWithNew"
    same_cert "nwo_$tag.pem" nwo.crt "$tag newWithOld"
    same_cert "own_$tag.pem" own.crt "$tag oldWithNew"
    ok "$tag: rootCaCert with -oldwithold: newWithNew, newWithOld, oldWithNew"

    client "$tag-root-trusted" 0 "${srv[@]}" -infotype rootCaCert -newwithnew "nwn2_$tag.pem"
    same_cert "nwn2_$tag.pem" new.crt "$tag newWithNew (-trusted)"
    ok "$tag: rootCaCert with -trusted as the anchors"

    echo stale >"nwn3_$tag.pem"
    client "$tag-root-other" 0 "${srv[@]}" -infotype rootCaCert -oldwithold ee.crt \
        -newwithnew "nwn3_$tag.pem"
    [ ! -e "nwn3_$tag.pem" ] || die "$tag: -newwithnew not deleted without an update"
    ok "$tag: rootCaCert for another root: no update, -newwithnew deleted"

    client "$tag-crl" 0 "${srv[@]}" -infotype crlStatusList -crlcert ee.crt -crlout "crl_$tag.der"
    cmp -s "crl_$tag.der" new.crl.der || die "$tag: -crlout is not the new CRL"
    client "$tag-crl-dp" 0 "${srv[@]}" -infotype crlStatusList -crlcert ee_dp.crt \
        -crlout "crl2_$tag.der"
    cmp -s "crl2_$tag.der" new.crl.der || die "$tag: -crlout (distribution point) is not the new CRL"
    client "$tag-crl-old" 0 "${srv[@]}" -infotype crlStatusList -oldcrl old.crl \
        -crlout "crl3_$tag.pem" -crlform PEM
    [ "$(openssl crl -in "crl3_$tag.pem" -outform DER | od -An -tx1)" = \
      "$(od -An -tx1 new.crl.der)" ] || die "$tag: -crlform PEM: not the new CRL"
    ok "$tag: crlStatusList: -crlcert (issuer, distribution point), -oldcrl, -crlform PEM"

    echo stale >"crl4_$tag.der"
    client "$tag-crl-newest" 0 "${srv[@]}" -infotype crlStatusList -oldcrl new.crl \
        -crlout "crl4_$tag.der"
    [ ! -e "crl4_$tag.der" ] || die "$tag: -crlout not deleted without a newer CRL"
    client "$tag-crl-other" 1 "${srv[@]}" -infotype crlStatusList -crlcert other.crt \
        -crlout "crl5_$tag.der"
    log_has "$tag-crl-other" "unknown crl issuer\|unknown CRL issuer"
    ok "$tag: crlStatusList: none newer (-crlout deleted), another issuer refused"

    client "$tag-template" 0 "${srv[@]}" -infotype certReqTemplate -template "t_$tag.der" \
        -keyspec "k_$tag.der"
    openssl asn1parse -inform DER -in "t_$tag.der" | grep -q "cont \[ 3 \]" ||
        die "$tag: the template has no issuer"
    openssl asn1parse -inform DER -in "k_$tag.der" | grep -q "1.3.6.1.5.5.7.5.1.12" ||
        die "$tag: the keySpec has no id-regCtrl-rsaKeyLen"
    log_has "$tag-template" "RSA 4096"
    ok "$tag: certReqTemplate: -template, -keyspec, the keySpec logged"
}

# forged NAME NWN NWO ANCHOR: a server sending newWithNew NWN with newWithOld NWO (- none);
# the client with -oldwithold (ANCHOR old) or -trusted (ANCHOR trusted) must refuse it
# and leave -newwithnew as it was. $forge_server says how to reach such a server.
forged_case() {
    local tag=$1 name=$2 anchor=$3 text=$4
    shift 4
    local anchor_opt=()

    [ "$anchor" = old ] && anchor_opt=(-oldwithold old.crt)
    echo untouched >"forged_$name.pem"
    client "$tag-forged-$name" 1 "$@" -infotype rootCaCert "${anchor_opt[@]}" \
        -newwithnew "forged_$name.pem"
    [ "$(cat "forged_$name.pem")" = untouched ] || die "$tag: forged update $name written"
    log_has "$tag-forged-$name" "$text"
    ok "$tag: forged update refused: $name"
}

forged_all() {
    local tag=$1 starter=$2
    local rows=(
        "self-made-newwithold evil.crt evil_nwo.crt old newWithOld"
        "self-made-newwithold-trusted evil.crt evil_nwo.crt trusted newWithOld"
        "genuine-newwithold-other-key evil.crt nwo.crt old does not certify"
        "ee-of-old-root evil.crt evil_ee.crt old not a CA certificate"
        "no-newwithold evil.crt - old newWithOld is missing"
        "genuine-root-attacker-link new.crt evil_nwo.crt old does not certify"
    )
    local row name nwn nwo anchor text
    for row in "${rows[@]}"; do
        read -r name nwn nwo anchor text <<<"$row"
        "$starter" "$nwn" "$nwo"
        forged_case "$tag" "$name" "$anchor" "$text" "${forge_srv[@]}"
    done
}

# ---- own: cmpkit -port 0 and -use_mock_srv ------------------------------------------
forge_srv=()
own_forger() {
    forge_srv=(-use_mock_srv "${mock_opts[@]:0:10}" -rsp_newwithnew "$1")
    [ "$2" = - ] || forge_srv+=(-rsp_newwithold "$2")
}
ossl_forger() {
    local nwo_opt=()
    [ "$2" = - ] || nwo_opt=(-rsp_newwithold "$2")
    start_server "forged-$1-$2" "" "$ossl36" cmp "${mock_opts[@]:0:10}" -rsp_newwithnew "$1" \
        "${nwo_opt[@]}"
    forge_srv=(-server "127.0.0.1:$port")
}

if [ "$mode" = own ]; then
    start_server cmpkit "" "$cmpkit" "${mock_opts[@]}"
    answers port -server "127.0.0.1:$port"
    answers inproc -use_mock_srv "${mock_opts[@]}"

    # the options from a config file section
    cat >client.cnf <<EOF
[support]
cmd = genm
infotype = rootCaCert
oldwithold = $work/old.crt
newwithnew = $work/cnf_nwn.pem
newwithold = $work/cnf_nwo.pem
[crl]
cmd = genm
infotype = crlStatusList
crlcert = $work/ee.crt
crlout = $work/cnf_crl.pem
crlform = PEM
EOF
    rc=0
    timeout 60 "$cmpkit" -config client.cnf -section support -server "127.0.0.1:$port" \
        -secret "$secret" -ref "$ref" >cnf.log 2>&1 || rc=$?
    [ "$rc" = 0 ] || { cat cnf.log >&2; die "config file: exit status $rc"; }
    same_cert cnf_nwn.pem new.crt "config file newwithnew"
    same_cert cnf_nwo.pem nwo.crt "config file newwithold"
    timeout 60 "$cmpkit" -config client.cnf -section crl -server "127.0.0.1:$port" \
        -secret "$secret" -ref "$ref" >cnf2.log 2>&1 || { cat cnf2.log >&2; die "config file crl"; }
    openssl crl -in cnf_crl.pem -noout || die "config file: crlform PEM"
    ok "options from a config file section"

    # what is missing fails before anything is sent
    srv=(-server "127.0.0.1:$port")
    client missing-cacertsout 1 "${srv[@]}" -infotype caCerts
    log_has missing-cacertsout "missing -cacertsout"
    client missing-newwithnew 1 "${srv[@]}" -infotype rootCaCert -oldwithold old.crt
    log_has missing-newwithnew "missing -newwithnew"
    client missing-crlout 1 "${srv[@]}" -infotype crlStatusList -crlcert ee.crt
    log_has missing-crlout "missing -crlout"
    client missing-crlsource 1 "${srv[@]}" -infotype crlStatusList -crlout x.der
    log_has missing-crlsource "missing -oldcrl and no -crlcert"
    client missing-template 1 "${srv[@]}" -infotype certReqTemplate -keyspec k.der
    log_has missing-template "missing -template"
    client bad-crlform 1 "${srv[@]}" -infotype crlStatusList -crlcert ee.crt -crlout x.der \
        -crlform XYZ
    log_has bad-crlform "crlform"
    client bad-oldwithold 1 "${srv[@]}" -infotype rootCaCert -oldwithold ca.cnf -newwithnew y.pem
    log_has bad-oldwithold "oldwithold"
    ok "missing or bad options refused"

    forged_all own own_forger
else
    # the cmpkit client against OpenSSL 3.6.1's mock. Its certReqTemplate answer
    # dereferences the reference certificate, so without one it crashes; and it
    # takes ref_cert from a config file only (-ref_cert on the command line has no
    # effect in 3.6.1).
    printf '[cmp]\nref_cert = %s\n' "$work/ee.crt" >srv36.cnf
    start_server openssl36 srv36.cnf "$ossl36" cmp "${mock_opts[@]}"
    answers openssl36 -server "127.0.0.1:$port"
    forged_all openssl36 ossl_forger

    # OpenSSL 3.6.1's client against cmpkit's mock
    start_server cmpkit "" "$cmpkit" "${mock_opts[@]}"
    srv=(-server "127.0.0.1:$port")
    client_with "$ossl36 cmp" o-cacerts 0 "${srv[@]}" -infotype caCerts -cacertsout o_ca.pem
    same_cert o_ca.pem old.crt "openssl 3.6.1 client: caCerts"
    client_with "$ossl36 cmp" o-root 0 "${srv[@]}" -infotype rootCaCert -oldwithold old.crt \
        -newwithnew o_nwn.pem -newwithold o_nwo.pem -oldwithnew o_own.pem
    same_cert o_nwn.pem new.crt "openssl 3.6.1 client: newWithNew"
    same_cert o_own.pem own.crt "openssl 3.6.1 client: oldWithNew"
    client_with "$ossl36 cmp" o-crl 0 "${srv[@]}" -infotype crlStatusList -oldcrl old.crl \
        -crlout o_crl.der
    cmp -s o_crl.der new.crl.der || die "openssl 3.6.1 client: -crlout is not the new CRL"
    client_with "$ossl36 cmp" o-template 0 "${srv[@]}" -infotype certReqTemplate \
        -template o_t.der -keyspec o_k.der
    cmp -s o_t.der t_openssl36.der || die "openssl 3.6.1 client: the templates of the two mocks differ"
    cmp -s o_k.der k_openssl36.der || die "openssl 3.6.1 client: the keySpecs of the two mocks differ"
    ok "OpenSSL 3.6.1's client against cmpkit's mock: all four, the same template as 3.6.1's mock"
fi
echo "support_interop ($mode): $passed passed"
