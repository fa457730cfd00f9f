#!/usr/bin/env bash
# newer_opts_interop.sh CMPKIT VECTORS WORKDIR [PEER]
#
# The options that openssl cmp gained from 3.2 to 3.6 (issue 10: the header
# and request options, delayed delivery of every response type, CMPv3
# certConf, the mock's -ref_cert), over HTTP with the cmpkit CLI, on the
# test PKI of tests/vectors/gen_vectors.sh (VECTORS/pki):
#
#   without PEER: cmpkit as client against cmpkit -port 0 (always run), plus
#     what only the cmpkit CLI shows: -help, config files, https:// implying
#     -tls_used, -reqout_only with -port;
#   with PEER (../shared/peers/openssl36, which prints its binary with
#     --path): cmpkit against openssl 3.6.1's mock server, and openssl 3.6.1
#     as client against cmpkit's; exit 77 (skipped) when PEER is missing.
#
# Each case: -profile (and the mock's refusal of another profile),
# -geninfo lists, -issuer with -serial for rr against -ref_cert, -srvcertout
# (saved when signed, deleted when MAC-protected), -no_cache_extracerts,
# -reqout_only then -reqin, -chainout into the -certout file, delayed
# delivery (-poll_count) of ir, p10cr, rr and genm (and of the certConf), and
# an Ed25519 certificate confirmed with hashAlg and pvno 3.
#
# Every command is time-bound; servers are killed (by PID) on exit.
set -euo pipefail

if [ "$#" -lt 3 ] || [ "$#" -gt 4 ]; then
    echo "usage: $0 CMPKIT VECTORS WORKDIR [PEER]" >&2
    exit 2
fi
cmpkit=$1
vec=$2
work=$3
peer=${4:-}
pki=$vec/pki

t_name=newer_opts_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

peer_bin=
if [ -n "$peer" ]; then
    if [ ! -x "$peer" ]; then
        echo "newer_opts_interop: $peer is missing: skipped" >&2
        exit 77
    fi
    peer_bin=$("$peer" --path) || die "$peer --path failed"
    [ -x "$peer_bin" ] || die "$peer --path gave '$peer_bin'"
fi
for f in root.crt server.crt server.key client.crt client.key ee.crt ee.key ee.csr; do
    [ -f "$pki/$f" ] || die "missing $pki/$f (run tests/vectors/gen_vectors.sh first)"
done
[ -x "$cmpkit" ] || die "$cmpkit is not executable"
command -v openssl >/dev/null || die "the openssl CLI is not installed"

fresh_workdir "$work"
secret="file:$vec/secret.txt"
ref=$(cat "$vec/ref.txt")
server_dn="/CN=cmpkit Test CMP Server"
ee_dn="/CN=cmpkit Test EE"

# An Ed25519 certificate for the server to return: its signature names no hash.
openssl genpkey -algorithm ed25519 -out "$work/ed.key" 2>/dev/null
openssl req -new -x509 -key "$work/ed.key" -subj "/CN=cmpkit Test Ed25519" -days 30 \
    -out "$work/ed.crt" 2>/dev/null || die "cannot make the Ed25519 certificate"

# ---- servers: start_server NAME KIND ARGS... (KIND cmpkit or peer); sets $port ----
# $srv_config: the config file the server reads ("" none).
port=
srv_config=
start_server() {
    local name=$1 kind=$2 out=$work/server_$1.out err=$work/server_$1.err bin
    shift 2
    if [ "$kind" = cmpkit ]; then
        bin=("$cmpkit")
    else
        bin=("$peer_bin" cmp)
    fi
    timeout 300 "${bin[@]}" -config "$srv_config" -port 0 \
        -srv_cert "$pki/server.crt" -srv_key "$pki/server.key" \
        -srv_secret "$secret" -srv_ref "$ref" -srv_trusted "$pki/root.crt" \
        -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" -rsp_capubs "$pki/root.crt" \
        "$@" >"$out" 2>"$err" &
    pids+=("$!")
    wait_accept "$name" "$!" "$out" "$err"
}

# ---- clients: client NAME KIND EXPECT ARGS... (EXPECT ok or fail) ----
# The requests go to $work/NAME.req.N (-reqout).
client() {
    local name=$1 kind=$2 expect=$3 log=$work/client_$1.log rc=0 reqout="" k bin
    shift 3
    for k in 1 2 3 4 5 6 7 8; do
        reqout+="${reqout:+,}$work/$name.req.$k"
    done
    if [ "$kind" = cmpkit ]; then
        bin=("$cmpkit")
    else
        bin=("$peer_bin" cmp)
    fi
    timeout 60 "${bin[@]}" -config "" -batch -server "127.0.0.1:$port" -msg_timeout 20 \
        -total_timeout 50 -reqout "$reqout" "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" -ne 124 ] || { cat "$log" >&2; die "client $name timed out"; }
    if { [ "$expect" = ok ] && [ "$rc" -ne 0 ]; } || { [ "$expect" = fail ] && [ "$rc" -eq 0 ]; }; then
        cat "$log" >&2
        die "client $name: exit status $rc, expected $expect"
    fi
    ok "$name ($kind client, $expect)"
}

requests() {
    local n=0
    while [ -f "$work/$1.req.$((n + 1))" ]; do
        n=$((n + 1))
    done
    echo "$n"
}

# printed NAME N PATTERN: request N of client NAME, as cmpkit -print shows it, matches
printed() {
    "$cmpkit" -print "$work/$1.req.$2" >"$work/$1.req.$2.txt" ||
        die "$1: request $2 does not decode"
    grep -q -E "$3" "$work/$1.req.$2.txt" || { cat "$work/$1.req.$2.txt" >&2; die "$1: request $2: no '$3'"; }
}

# certs FILE: the certificates of FILE, in order, as PEM
certs() {
    openssl crl2pkcs7 -nocrl -certfile "$1" | openssl pkcs7 -print_certs | grep -v '^subject\|^issuer\|^$'
}

# same_certs FILE EXPECTED...: FILE holds the certificates of EXPECTED..., in this order
same_certs() {
    local f=$1
    shift
    cat "$@" >"$work/expected.pem"
    cmp -s <(certs "$f") <(certs "$work/expected.pem") || die "$f does not hold $* in this order"
}

pbm=(-ref "$ref" -secret "$secret" -recipient "$server_dn")
sig=(-cert "$pki/client.crt" -key "$pki/client.key" -trusted "$pki/root.crt")
enroll=(-newkey "$pki/ee.key" -subject "$ee_dn" -certout "$work/new.crt")

# run_pair CLIENT SERVER: every case with that client against that server.
run_pair() {
    local c=$1 s=$2 p=$1-to-$2
    echo "== $c client, $s server"

    # (-ref_cert from a config file: openssl 3.6.1 ignores it on the command line)
    printf '[cmp]\nref_cert = %s\nno_cache_extracerts = 1\n' "$pki/ee.crt" >"$work/srv.cnf"
    srv_config=$work/srv.cnf
    start_server "$p" "$s"
    srv_config=
    # -profile: the mocks take profile1 only (for cr); -geninfo lists
    client "$p.profile" "$c" ok "${pbm[@]}" -cmd cr "${enroll[@]}" -profile profile1 \
        -geninfo "1.2.3.4:int:987, id-kp:str:cmpkit name"
    # (INTEGER 987: 4 bytes; UTF8String "cmpkit name": 13 bytes)
    printed "$p.profile" 1 "itav #0: 1\.2\.3\.4: \(4 bytes\)"
    printed "$p.profile" 1 "itav #1: 1\.3\.6\.1\.5\.5\.7\.3: \(13 bytes\)"
    printed "$p.profile" 1 "itav #2: id-it-certProfile .*\"profile1\""
    client "$p.profile2" "$c" fail "${pbm[@]}" -cmd cr "${enroll[@]}" -profile profile2
    grep -q -i "certprofile" "$work/client_$p.profile2.log" ||
        die "$p.profile2: the refusal does not name the certProfile"
    # -issuer and -serial name the certificate to revoke (-ref_cert ee.crt)
    serial=0x$(openssl x509 -in "$pki/ee.crt" -noout -serial | cut -d= -f2)
    issuer=$server_dn # ee.crt's issuer
    client "$p.rr_serial" "$c" ok "${pbm[@]}" -cmd rr -issuer "$issuer" -serial "$serial"
    printed "$p.rr_serial" 1 "serialNumber"
    client "$p.rr_wrong_serial" "$c" fail "${pbm[@]}" -cmd rr -issuer "$issuer" -serial 0x1234
    client "$p.rr_issuer_only" "$c" fail "${pbm[@]}" -cmd rr -issuer "$issuer"
    # -srvcertout: the server certificate of signed responses; deleted after MAC-based ones
    client "$p.srvcert" "$c" ok "${sig[@]}" -cmd genm -srvcertout "$work/$p.srv.pem"
    same_certs "$work/$p.srv.pem" "$pki/server.crt"
    client "$p.srvcert_mac" "$c" ok "${pbm[@]}" -cmd genm -srvcertout "$work/$p.srv.pem"
    [ ! -e "$work/$p.srv.pem" ] || die "$p.srvcert_mac: -srvcertout file not deleted"
    # -no_cache_extracerts (both sides), -chainout into the -certout file. (openssl 3.6
    # uses no extraCerts then for the new certificate, even those of its own response,
    # so server.crt comes as -untrusted.)
    client "$p.chain" "$c" ok "${sig[@]}" -cmd ir "${enroll[@]}" -no_cache_extracerts \
        -untrusted "$pki/server.crt" -out_trusted "$pki/root.crt" -chainout "$work/new.crt"
    same_certs "$work/new.crt" "$pki/ee.crt" "$pki/server.crt"
    # -reqout_only: the ir is saved, not sent; then sent with -reqin
    client "$p.reqout_only" "$c" ok "${pbm[@]}" -cmd ir "${enroll[@]}" -reqout_only "$work/$p.ir.der"
    "$cmpkit" -print "$work/$p.ir.der" | grep -q "ir (initialization request)" ||
        die "$p.reqout_only: no ir saved"
    client "$p.reqin" "$c" ok "${pbm[@]}" -cmd ir "${enroll[@]}" -reqin "$work/$p.ir.der" -popo 0
    kill "${pids[-1]}" 2>/dev/null || true

    # delayed delivery of every answer (the certConf's too)
    start_server "$p.poll" "$s" -poll_count 2 -check_after 0
    client "$p.poll_ir" "$c" ok "${pbm[@]}" -cmd ir "${enroll[@]}"
    [ "$(requests "$p.poll_ir")" -eq 6 ] || die "$p.poll_ir: expected ir, 2 pollReq, certConf, 2 pollReq"
    printed "$p.poll_ir" 5 "certReqId -1"
    client "$p.poll_p10cr" "$c" ok "${pbm[@]}" -cmd p10cr -csr "$pki/ee.csr" -certout "$work/new.crt"
    client "$p.poll_rr" "$c" ok "${pbm[@]}" -cmd rr -oldcert "$pki/ee.crt"
    [ "$(requests "$p.poll_rr")" -eq 3 ] || die "$p.poll_rr: expected rr, 2 pollReq"
    printed "$p.poll_rr" 2 "certReqId -1"
    client "$p.poll_genm" "$c" ok "${sig[@]}" -cmd genm -infotype signKeyPairTypes
    [ "$(requests "$p.poll_genm")" -eq 3 ] || die "$p.poll_genm: expected genm, 2 pollReq"
    kill "${pids[-1]}" 2>/dev/null || true

    # CMPv3 certConf: an Ed25519 certificate's hash is named in hashAlg (pvno 3)
    start_server "$p.ed" "$s" -rsp_cert "$work/ed.crt"
    client "$p.ed25519" "$c" ok "${pbm[@]}" -cmd ir -newkey "$work/ed.key" -subject "$ee_dn" \
        -certout "$work/ed.out.pem"
    printed "$p.ed25519" 2 "pvno: 3"
    printed "$p.ed25519" 2 "hashAlg: sha512"
    kill "${pids[-1]}" 2>/dev/null || true
}

if [ -z "$peer_bin" ]; then
    run_pair cmpkit cmpkit

    echo "== cmpkit CLI"
    "$cmpkit" -help >"$work/help.txt" 2>&1 || true
    for o in "-profile val" "-serial val" "-srvcertout val" "-reqout_only val" \
        "-no_cache_extracerts" "-ref_cert val"; do
        grep -q -- " $o " "$work/help.txt" || die "-help lacks '$o'"
    done
    ok "-help lists the new options"
    # the same options from a config file
    cat >"$work/opts.cnf" <<EOF
[cmp]
profile = profile1
geninfo = 1.2.3.4:str:from config
srvcertout = $work/cnf.srv.pem
reqout_only = $work/cnf.ir.der
no_cache_extracerts = 1
EOF
    "$cmpkit" -config "$work/opts.cnf" -server 127.0.0.1:1 "${pbm[@]}" -cmd cr "${enroll[@]}" \
        >"$work/cnf.log" 2>&1 || { cat "$work/cnf.log" >&2; die "config: -reqout_only failed"; }
    "$cmpkit" -print "$work/cnf.ir.der" >"$work/cnf.ir.txt"
    grep -q "1.2.3.4: (13 bytes)" "$work/cnf.ir.txt" && grep -q "profile1" "$work/cnf.ir.txt" ||
        { cat "$work/cnf.ir.txt" >&2; die "config: -geninfo or -profile not in the request"; }
    grep -q "server option is ignored since -reqout_only" "$work/cnf.log" ||
        die "config: no warning that -server is ignored"
    ok "-profile, -geninfo, -reqout_only from a config file"
    # https:// implies -tls_used: a plain HTTP server then fails the TLS handshake
    start_server https cmpkit
    rc=0
    timeout 30 "$cmpkit" -config "" -server "https://127.0.0.1:$port" "${pbm[@]}" -cmd genm \
        -msg_timeout 10 >"$work/https.log" 2>&1 || rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { cat "$work/https.log" >&2; die "https: exit $rc"; }
    grep -q "assuming -tls_used since -server URL indicates HTTPS" "$work/https.log" ||
        { cat "$work/https.log" >&2; die "https: no -tls_used assumed"; }
    ok "https:// in -server implies -tls_used"
    # -reqout_only does not combine with -port
    rc=0
    timeout 30 "$cmpkit" -config "" -port 0 -srv_secret "$secret" -srv_ref "$ref" \
        -reqout_only "$work/x.der" >"$work/port.log" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] && grep -q "does not combine with -port" "$work/port.log" ||
        { cat "$work/port.log" >&2; die "-reqout_only with -port: exit $rc"; }
    ok "-reqout_only with -port is refused"
else
    run_pair cmpkit peer
    run_pair peer cmpkit
fi
echo "newer_opts_interop: $passed checks passed"
