#!/usr/bin/env bash
# ca_support.sh CMPKIT WORKDIR [OPENSSL36]
#
# What the cmpkit CA answers beyond plain enrollment, against the cmpkit
# client and OpenSSL 3.6.1 (OPENSSL36, ../shared/peers/openssl36; its part
# is skipped without it):
#
#   genm caCerts         the CA certificate (-cacertsout)
#   genm rootCaCert      the rollover configured with -rsp_newwithnew,
#                        -rsp_newwithold, -rsp_oldwithnew, for the current
#                        root only (another root: no update)
#   genm certReqTemplate from the profile that certProfile (-profile) names:
#                        required subject attributes, forced extensions, the
#                        keySpec of the profile's key types; an unknown
#                        profile is refused
#   genm crlStatusList   the CA's CRL by distribution point (-ca_crl_url, in
#                        every certificate) or issuer; none when the client's
#                        is current; another issuer refused
#   -popo 2              keyEncipherment POPO: the certificate comes back
#                        encrypted (EnvelopedData for an EC key with pvno 3,
#                        EncryptedValue for RSA with openssl's pvno 2), the
#                        certConf confirms it; an EC key with pvno 2 gets badPOP
#   contrib/cmpkit-ca.cnf the example configuration starts a CA that issues
#   -centralkeygen       the CA generates the key its profile names
#                        (central_keygen) and sends it encrypted, signed by
#                        the key generation authority -srv_cert (id-kp-cmKGA)
#
# Every command is time-bound; the server is killed on exit.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 CMPKIT WORKDIR [OPENSSL36]" >&2
    exit 2
fi
cmpkit=$1
work=$2
openssl36=${3:-}

t_name=ca_support
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
on_die() {
    [ ! -f "$work/server.err" ] || tail -20 "$work/server.err" >&2
}

[ -x "$cmpkit" ] || die "$cmpkit is not executable"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=ca_lib.sh
. "$(dirname "$0")/ca_lib.sh"
command -v openssl >/dev/null || die "the openssl CLI is not installed"

fresh_workdir "$work"
cd "$work"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY OPENSSL_CONF

tpid=
cleanup() { [ -n "$tpid" ] && kill "$tpid" 2>/dev/null || true; }


# ---- the CA, the new root of its rollover, the cross certificates ------------------
ca_dn="/CN=cmpkit Support CA/O=cmpkit"
ca_make ca.key ca.crt "$ca_dn"
ca_make new.key new.crt "/CN=cmpkit Support CA G2/O=cmpkit"
ca_make other.key other.crt "/CN=Another Root"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >cross.ext
# newWithOld: the new root's key certified by the current root; oldWithNew: the reverse
openssl req -new -key new.key -subj "/CN=cmpkit Support CA G2/O=cmpkit" -out nwo.csr 2>/dev/null
openssl x509 -req -in nwo.csr -CA ca.crt -CAkey ca.key -set_serial 11 -days 3650 \
    -extfile cross.ext -out nwo.crt 2>/dev/null || die "newWithOld"
openssl req -new -key ca.key -subj "$ca_dn" -out own.csr 2>/dev/null
openssl x509 -req -in own.csr -CA new.crt -CAkey new.key -set_serial 12 -days 3650 \
    -extfile cross.ext -out own.crt 2>/dev/null || die "oldWithNew"

# the key generation authority: signs the centrally generated keys and the responses
# (RFC 9483 4.1.6: id-kp-cmKGA; OpenSSL 3.6.1 refuses a KGA certificate without it)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out kga.key 2>/dev/null
openssl req -new -key kga.key -subj "/CN=cmpkit Support KGA/O=cmpkit" -out kga.csr 2>/dev/null
printf 'extendedKeyUsage=1.3.6.1.5.5.7.3.32\nkeyUsage=critical,digitalSignature\n' >kga.ext
openssl x509 -req -in kga.csr -CA ca.crt -CAkey ca.key -set_serial 13 -days 3650 \
    -extfile kga.ext -out kga.crt 2>/dev/null || die "KGA certificate"

crl_url=http://ca.example/crl
cat >ca.cnf <<EOF
[ca_server]
ca_cert = $work/ca.crt
ca_key = $work/ca.key
ca_db = $work/ca.db
ca_profiles = device, tls
ca_crl_url = $crl_url
ca_audit = $work/audit.log
srv_cert = $work/kga.crt
srv_key = $work/kga.key
rsp_newwithnew = $work/new.crt
rsp_newwithold = $work/nwo.crt
rsp_oldwithnew = $work/own.crt

[device]
key_types = EC:P-256, RSA:2048-4096
subject_required = CN
extended_key_usage = clientAuth
central_keygen = EC:P-256

[tls]
key_types = RSA:2048-4096, EC:P-384
extended_key_usage = serverAuth
key_usage = digitalSignature
san_allowed = DNS
san_required = DNS
central_keygen = RSA:2048
EOF

timeout 300 "$cmpkit" -config ca.cnf -section ca_server -port 127.0.0.1:0 >server.out \
    2>server.err &
tpid=$!
ca_wait_accept server.out "$tpid" || die "the CA server did not start"
ok "CA server on port $port with a root rollover and two profiles"

admin() {
    timeout 30 "$cmpkit" -config "" -ca_db "$work/ca.db" -ca_cert ca.crt -ca_key ca.key \
        -ca_admin "$@" >/dev/null || die "-ca_admin $*"
}
admin secret-add -ref sup -secret pass:support-secret

mac=(-ref sup -secret pass:support-secret -recipient "$ca_dn")
# client NAME EXPECT BIN ARGS...: EXPECT 0 (success) or 1; output in NAME.log
client() {
    local name=$1 expect=$2 rc=0
    shift 2
    timeout 60 "$@" >"$name.log" 2>&1 || rc=$?
    if { [ "$expect" = 0 ] && [ "$rc" != 0 ]; } || { [ "$expect" != 0 ] && [ "$rc" = 0 ]; }; then
        cat "$name.log" >&2
        die "$name: exit status $rc"
    fi
}
log_has() { grep -qi -- "$2" "$1.log" || { cat "$1.log" >&2; die "$1: no '$2' in its output"; }; }
same_cert() {
    [ "$(openssl x509 -in "$1" -outform DER | od -An -tx1)" = \
      "$(openssl x509 -in "$2" -outform DER | od -An -tx1)" ] || die "$3: $1 is not $2"
}
same_key() {
    [ "$(openssl x509 -in "$2" -noout -pubkey)" = "$(openssl pkey -in "$1" -pubout)" ] ||
        die "$3: the key is not the certificate's"
}
asn1_has() { openssl asn1parse -inform DER -in "$1" | grep -q -- "$2" || die "$3: no $2 in $1"; }
asn1_lacks() { ! openssl asn1parse -inform DER -in "$1" | grep -q -- "$2" || die "$3: $2 in $1"; }

srv=(-config "" -server "127.0.0.1:$port")

# ---- genm: the cmpkit client (and openssl 3.6.1 after it) ----------------------------
genm_checks() {
    local tag=$1 bin
    shift
    bin=("$@")

    client "$tag-cacerts" 0 "${bin[@]}" "${srv[@]}" -cmd genm "${mac[@]}" -infotype caCerts \
        -cacertsout "$tag-ca.pem"
    same_cert "$tag-ca.pem" ca.crt "$tag caCerts"
    ok "$tag: caCerts is the CA certificate"

    # (-trusted: OpenSSL 3.6.1 crashes on a rootCaKeyUpdate in a MAC-protected genp without it)
    client "$tag-root" 0 "${bin[@]}" "${srv[@]}" -cmd genm "${mac[@]}" -infotype rootCaCert \
        -trusted ca.crt -oldwithold ca.crt -newwithnew "$tag-nwn.pem" -newwithold "$tag-nwo.pem" \
        -oldwithnew "$tag-own.pem"
    same_cert "$tag-nwn.pem" new.crt "$tag newWithNew"
    same_cert "$tag-nwo.pem" nwo.crt "$tag newWithOld"
    same_cert "$tag-own.pem" own.crt "$tag oldWithNew"
    ok "$tag: rootCaCert for the current root: newWithNew, newWithOld, oldWithNew"

    echo stale >"$tag-nwn2.pem"
    client "$tag-root-other" 0 "${bin[@]}" "${srv[@]}" -cmd genm "${mac[@]}" \
        -infotype rootCaCert -trusted ca.crt -oldwithold other.crt -newwithnew "$tag-nwn2.pem"
    [ "$(cat "$tag-nwn2.pem" 2>/dev/null)" != stale ] || die "$tag: an update for another root"
    [ ! -s "$tag-nwn2.pem" ] || die "$tag: an update for another root was saved"
    ok "$tag: rootCaCert for another root: no update"

    client "$tag-tmpl" 0 "${bin[@]}" "${srv[@]}" -cmd genm "${mac[@]}" \
        -infotype certReqTemplate -template "$tag-t.der" -keyspec "$tag-k.der"
    asn1_has "$tag-t.der" ":commonName" "$tag device template"
    asn1_has "$tag-t.der" "06082B06010505070302" "$tag device template (clientAuth)"
    asn1_has "$tag-k.der" "prime256v1" "$tag device keySpec"
    asn1_has "$tag-k.der" "INTEGER *:0800" "$tag device keySpec (rsaKeyLen 2048)"
    client "$tag-tmpl-tls" 0 "${bin[@]}" "${srv[@]}" -cmd genm "${mac[@]}" -profile tls \
        -infotype certReqTemplate -template "$tag-t2.der" -keyspec "$tag-k2.der"
    asn1_has "$tag-t2.der" "06082B06010505070301" "$tag tls template (serverAuth)"
    asn1_has "$tag-t2.der" "X509v3 Subject Alternative Name" "$tag tls template"
    asn1_lacks "$tag-t2.der" ":commonName" "$tag tls template"
    asn1_has "$tag-k2.der" "INTEGER *:0800" "$tag tls keySpec (RSA 2048)"
    asn1_has "$tag-k2.der" "secp384r1" "$tag tls keySpec"
    asn1_lacks "$tag-k2.der" "prime256v1" "$tag tls keySpec"
    client "$tag-tmpl-unknown" 1 "${bin[@]}" "${srv[@]}" -cmd genm "${mac[@]}" -profile nosuch \
        -infotype certReqTemplate -template "$tag-t3.der"
    log_has "$tag-tmpl-unknown" "badCertTemplate"
    ok "$tag: certReqTemplate of the default and the -profile tls profile; unknown refused"
}

# an end-entity certificate of the CA (it carries the cRLDistributionPoints)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ee.key 2>/dev/null
client ee 0 "$cmpkit" "${srv[@]}" -cmd ir "${mac[@]}" -newkey ee.key -subject "/CN=support ee" \
    -certout ee.crt
openssl x509 -in ee.crt -noout -ext crlDistributionPoints | grep -q "URI:$crl_url" ||
    die "no cRLDistributionPoints $crl_url in the certificate"
openssl verify -x509_strict -CAfile ca.crt ee.crt >/dev/null 2>&1 || die "ee.crt does not verify"
ok "ir: the certificate has cRLDistributionPoints $crl_url and verifies"

genm_checks cmpkit "$cmpkit"

# crlStatusList: by distribution point (from ee.crt), by issuer, current, unknown
client crl-dp 0 "$cmpkit" "${srv[@]}" -cmd genm "${mac[@]}" -infotype crlStatusList \
    -crlcert ee.crt -crlout crl1.der
openssl crl -inform DER -in crl1.der -noout -CAfile ca.crt 2>&1 | grep -q 'verify OK' ||
    die "crlStatusList: the CRL does not verify"
# the CA's own certificate has no cRLDistributionPoints: the client names the issuer
client crl-issuer 0 "$cmpkit" "${srv[@]}" -cmd genm "${mac[@]}" -infotype crlStatusList \
    -crlcert ca.crt -crlout crl1b.der
cmp -s crl1.der crl1b.der || die "crlStatusList by issuer: another CRL"
openssl crl -inform DER -in crl1.der -out crl1.pem
client crl-current 0 "$cmpkit" "${srv[@]}" -cmd genm "${mac[@]}" -infotype crlStatusList \
    -oldcrl crl1.pem -crlout crl2.der
[ ! -e crl2.der ] || die "crlStatusList with the current CRL: a CRL was saved"
sleep 1 # CRLStatus compares thisUpdate, to the second
admin revoke -ca_serial "$(openssl x509 -in ee.crt -noout -serial | cut -d= -f2)" -revreason 1
client crl-newer 0 "$cmpkit" "${srv[@]}" -cmd genm "${mac[@]}" -infotype crlStatusList \
    -oldcrl crl1.pem -crlout crl3.der
openssl crl -inform DER -in crl3.der -noout -text | grep -qi "$(openssl x509 -in ee.crt -noout -serial | cut -d= -f2)" ||
    die "crlStatusList after a revocation: the new CRL does not list it"
client crl-other 1 "$cmpkit" "${srv[@]}" -cmd genm "${mac[@]}" -infotype crlStatusList \
    -crlcert other.crt -crlout crl4.der
log_has crl-other "unknown CRL issuer"
ok "crlStatusList: by distribution point and issuer; none when current; a newer one after revoke; other issuer refused"

# ---- keyEncipherment POPO: the certificate encrypted --------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out enc.key 2>/dev/null
client popo2 0 "$cmpkit" "${srv[@]}" -cmd ir "${mac[@]}" -newkey enc.key -popo 2 \
    -subject "/CN=encrypted" -certout enc.crt -rspout enc_ip.der,enc_pc.der
log_has popo2 "decrypted the certificate"
"$cmpkit" -print enc_ip.der 2>&1 | grep -q "encryptedCert: envelopedData" ||
    die "popo 2: the certificate did not come as EnvelopedData"
same_key enc.key enc.crt "popo 2"
timeout 30 "$cmpkit" -config "" -ca_db ca.db -ca_admin list -ca_subject encrypted |
    grep -q confirmed || die "popo 2: the certificate is not confirmed"
ok "-popo 2 with an EC key: EnvelopedData (ECDH), decrypted, confirmed by certConf"

# ---- central key generation --------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sig.key 2>/dev/null
client sig 0 "$cmpkit" "${srv[@]}" -cmd ir "${mac[@]}" -newkey sig.key -subject "/CN=signer" \
    -certout sig.crt
client ckg 0 "$cmpkit" "${srv[@]}" -cmd cr -cert sig.crt -key sig.key -trusted ca.crt \
    -centralkeygen -subject "/CN=central" -newkeyout ckg.key -certout ckg.crt
same_key ckg.key ckg.crt "central key generation"
openssl pkey -in ckg.key -noout -text | grep -q "P-256" || die "central keygen: not a P-256 key"
client ckg-mac 0 "$cmpkit" "${srv[@]}" -cmd ir "${mac[@]}" -trusted ca.crt -profile tls -popo -1 \
    -subject "/CN=central tls" -sans central.example -newkeyout ckg2.key -newkeypass pass:kp -certout ckg2.crt
openssl pkey -in ckg2.key -passin pass:kp -noout -text | grep -q "2048 bit" ||
    die "central keygen (tls): not an RSA 2048 key"
[ "$(openssl x509 -in ckg2.crt -noout -pubkey)" = \
  "$(openssl pkey -in ckg2.key -passin pass:kp -pubout)" ] || die "central keygen (tls): not its key"
ok "central key generation: EC P-256 (signed cr), RSA 2048 (profile tls, MAC, -popo -1)"

# ---- OpenSSL 3.6.1 ------------------------------------------------------------------
if [ -n "$openssl36" ] && [ -x "$openssl36" ]; then
    genm_checks openssl36 "$openssl36" cmp
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
    client o36-popo2 0 "$openssl36" cmp "${srv[@]}" -cmd ir "${mac[@]}" -newkey rsa.key \
        -popo 2 -subject "/CN=o36 encrypted" -certout o36enc.crt -rspout o36_ip.der,o36_pc.der
    "$cmpkit" -print o36_ip.der 2>&1 | grep -q "encryptedCert: encryptedValue" ||
        die "openssl36 popo 2: not an EncryptedValue"
    same_key rsa.key o36enc.crt "openssl36 popo 2"
    client o36-popo2-ec 1 "$openssl36" cmp "${srv[@]}" -cmd ir "${mac[@]}" -newkey enc.key \
        -popo 2 -subject "/CN=o36 ec" -certout o36ec.crt
    log_has o36-popo2-ec "badPOP"
    ok "openssl36 -popo 2: RSA as EncryptedValue (pvno 2); EC with pvno 2 refused (badPOP)"
    client o36-ckg 0 "$openssl36" cmp "${srv[@]}" -cmd cr -cert sig.crt -key sig.key \
        -trusted ca.crt -centralkeygen -subject "/CN=o36 central" -newkeyout o36ckg.key \
        -certout o36ckg.crt
    same_key o36ckg.key o36ckg.crt "openssl36 central key generation"
    ok "openssl36 -centralkeygen: the key generated by the CA"
    client o36-crl 0 "$openssl36" cmp "${srv[@]}" -cmd genm "${mac[@]}" -trusted ca.crt \
        -infotype crlStatusList -crlcert ee.crt -crlout o36crl.der
    cmp -s crl3.der o36crl.der || die "openssl36 crlStatusList: not the current CRL"
    ok "openssl36 crlStatusList by distribution point: the current CRL"
else
    echo "   --  OpenSSL 3.6 not available: skipped"
fi

# ---- contrib/cmpkit-ca.cnf: the example configuration serves as given -----------------
kill "$tpid" 2>/dev/null || true
wait "$tpid" 2>/dev/null || true
tpid=
mkdir -p contrib/creds contrib/state
cp ca.crt ca.key contrib/creds/
(
    cd contrib/state
    CREDENTIALS_DIRECTORY=$work/contrib/creds exec timeout 300 "$cmpkit" \
        -config "$here/../../contrib/cmpkit-ca.cnf" -section ca -port 127.0.0.1:0
) >contrib/server.out 2>contrib/server.err &
tpid=$!
ca_wait_accept contrib/server.out "$tpid" || { cat contrib/server.err >&2; die "contrib/cmpkit-ca.cnf: the CA did not start"; }
timeout 30 "$cmpkit" -config "" -ca_db contrib/state/ca.db -ca_admin secret-add -ref c1 \
    -secret pass:contrib >/dev/null || die "contrib: secret-add"
client contrib-ir 0 "$cmpkit" -config "" -server "127.0.0.1:$port" -cmd ir -ref c1 \
    -secret pass:contrib -recipient "$ca_dn" -newkey ee.key -subject "/CN=contrib device" \
    -certout contrib/ee.crt
openssl x509 -in contrib/ee.crt -noout -ext crlDistributionPoints,extendedKeyUsage |
    grep -q "ca.example.net:8080/crl" || die "contrib: no cRLDistributionPoints"
[ -s contrib/state/audit.log ] || die "contrib: no audit log in the working folder"
ok "contrib/cmpkit-ca.cnf: the CA starts from it and issues with its device profile"

echo "ca_support: $passed passed"
