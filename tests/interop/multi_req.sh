#!/bin/bash
# Several certificates in one message (RFC 9810 5.3.1, 5.3.4, 5.3.18), the
# cmpkit client against the cmpkit server (the mock, over HTTP on an
# ephemeral port, and in-process with -use_mock_srv):
#   - a 3-certificate ir (-extra_req twice) of which the server rejects the
#     second by policy (-srv_reject_subject): each CertResponse has its own
#     certReqId and status (-rspout), the certConf (-reqout) confirms the
#     other two by certReqId, the two certificates are written, the exit
#     status is 1 and each request's answer is printed;
#   - the same with the server delaying (-poll_count): one pollReq lists both
#     waiting certReqIds;
#   - all granted with implicit confirmation: exit 0, no certConf;
#   - the server's limit (-srv_max_cert_reqs 2): a 3-request ir refused;
#   - -extra_req misuse refused before anything is sent.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 CMPKIT VECTORS WORKDIR" >&2
    exit 2
fi
cmpkit=$1
vec=$2
work=$3
pki=$vec/pki

t_name=multi_req
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for f in server.crt server.key ee.crt ee.key; do
    [ -f "$pki/$f" ] || die "missing $pki/$f (run tests/vectors/gen_vectors.sh first)"
done
fresh_workdir "$work"
secret="file:$vec/secret.txt"
ref=$(cat "$vec/ref.txt")
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY OPENSSL_CONF

srv_args=(-srv_cert "$pki/server.crt" -srv_key "$pki/server.key" -srv_secret "$secret"
    -srv_ref "$ref" -rsp_cert "$pki/ee.crt" -srv_reject_subject "/CN=b")
cli_args=(-secret "$secret" -ref "$ref" -newkey "$pki/ee.key" -subject "/CN=cmpkit Test EE")

# start_server ARGS...: `cmpkit -port 0` on 127.0.0.1; sets $port and $spid.
start_server() {
    local out=$work/server.out tpid
    : >"$out"
    timeout 120 "$cmpkit" -config "" -port 127.0.0.1:0 "${srv_args[@]}" "$@" \
        >"$out" 2>"$work/server.err" &
    tpid=$!
    pids+=("$tpid")
    wait_accept mock "$tpid" "$out" "$work/server.err"
    spid=$accept_pid
}

stop_server() {
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
}

# client NAME WANT_RC ARGS...: runs the client (log in NAME.log), checks its exit status.
client() {
    local name=$1 want=$2 rc=0
    shift 2
    timeout 60 "$cmpkit" -config "" "$@" >"$work/$name.log" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || { cat "$work/$name.log" >&2; die "$name: exit $rc, expected $want"; }
}

# expect NAME FILE PATTERN...: each pattern (grep -E) is in FILE.
expect() {
    local name=$1 file=$2
    shift 2
    for p in "$@"; do
        grep -Eq -- "$p" "$file" || { cat "$file" >&2; die "$name: no '$p' in $(basename "$file")"; }
    done
}

# printed FILE: `cmpkit -print FILE` into FILE.txt
printed() {
    "$cmpkit" -print "$1" >"$1.txt" 2>&1 || die "cannot print $1"
}

same_cert() {
    cmp -s <(openssl x509 -in "$1" -outform DER) <(openssl x509 -in "$2" -outform DER) ||
        die "$1 is not $2"
}

# one_three TRANSPORT...: the 3-certificate ir, the second rejected by policy.
one_three() {
    local tag=$1
    shift
    rm -f "$work/$tag"_*.pem
    client "$tag" 1 "$@" "${cli_args[@]}" -cmd ir -certout "$work/${tag}_a.pem" \
        -extra_req "subject=/CN=b,certout=$work/${tag}_b.pem" \
        -extra_req "subject=/CN=c,newkey=$pki/ee.key,certout=$work/${tag}_c.pem" \
        -reqout "$work/${tag}_ir.der,$work/${tag}_certconf.der" \
        -rspout "$work/${tag}_ip.der,$work/${tag}_pkiconf.der"
    printed "$work/${tag}_ir.der"
    printed "$work/${tag}_ip.der"
    printed "$work/${tag}_certconf.der"
    expect "$tag ir" "$work/${tag}_ir.der.txt" "CertReqMsg #0: certReqId 0" \
        "CertReqMsg #1: certReqId 1" "CertReqMsg #2: certReqId 2" "subject: /CN=b" \
        "subject: /CN=c"
    expect "$tag ip" "$work/${tag}_ip.der.txt" "CertResponse #0: certReqId 0" \
        "CertResponse #1: certReqId 1" "CertResponse #2: certReqId 2" \
        "status: rejection" "badCertTemplate" "subject not allowed"
    [ "$(grep -c 'status: accepted' "$work/${tag}_ip.der.txt")" -eq 2 ] ||
        die "$tag ip: not two accepted"
    expect "$tag certConf" "$work/${tag}_certconf.der.txt" "CertStatus #0: certReqId 0" \
        "CertStatus #1: certReqId 2"
    ! grep -q "CertStatus #2\|certReqId 1" "$work/${tag}_certconf.der.txt" ||
        die "$tag certConf: a CertStatus for the rejected request"
    [ "$(grep -c 'status: accepted' "$work/${tag}_certconf.der.txt")" -eq 2 ] ||
        die "$tag certConf: not two accepted"
    same_cert "$work/${tag}_a.pem" "$pki/ee.crt"
    same_cert "$work/${tag}_c.pem" "$pki/ee.crt"
    [ ! -e "$work/${tag}_b.pem" ] || die "$tag: a certificate written for the rejected request"
    expect "$tag log" "$work/$tag.log" "1 of 3 certificate requests failed" \
        "certReqId 1: no certificate: PKIStatus: rejection" "certReqId 2: PKIStatus: accepted"
    ok "$tag: 3 requests, the second refused by policy, certConf for the others"
}

echo "== over HTTP (cmpkit -port)"
start_server
one_three http -server "127.0.0.1:$port"
stop_server

echo "== in-process (-use_mock_srv)"
one_three mock -use_mock_srv "${srv_args[@]}"

echo "== delayed: one pollReq for both waiting certReqIds"
client poll 1 -use_mock_srv "${srv_args[@]}" -poll_count 2 -check_after 0 "${cli_args[@]}" \
    -cmd cr -certout "$work/poll_a.pem" \
    -extra_req "subject=/CN=b,certout=$work/poll_b.pem;subject=/CN=c,certout=$work/poll_c.pem" \
    -reqout "$work/p1.der,$work/p2.der,$work/p3.der,$work/p4.der"
printed "$work/p2.der"
printed "$work/p4.der"
expect poll "$work/p2.der.txt" "body: pollReq" "certReqId 0" "certReqId 2"
! grep -q "certReqId 1" "$work/p2.der.txt" || die "poll: the rejected request was polled for"
expect poll "$work/p4.der.txt" "body: certConf" "CertStatus #1: certReqId 2"
same_cert "$work/poll_c.pem" "$pki/ee.crt"
ok "delayed: one pollReq for both waiting certReqIds"

echo "== all granted, implicit confirmation"
client implicit 0 -use_mock_srv "${srv_args[@]}" -grant_implicitconf "${cli_args[@]}" \
    -implicit_confirm -cmd ir -certout "$work/impl_a.pem" \
    -extra_req "subject=/CN=x,certout=$work/impl_b.pem" -reqout "$work/i1.der,$work/i2.der"
[ ! -e "$work/i2.der" ] || die "implicit: a second request was sent"
same_cert "$work/impl_b.pem" "$pki/ee.crt"
ok "implicit confirmation for both"

echo "== the server's limit (-srv_max_cert_reqs 2)"
client limit 1 -use_mock_srv "${srv_args[@]}" -srv_max_cert_reqs 2 "${cli_args[@]}" -cmd ir \
    -certout "$work/lim.pem" -extra_req "certout=$work/lim_b.pem;certout=$work/lim_c.pem"
expect limit "$work/limit.log" "badRequest" "too many certificate requests"
ok "-srv_max_cert_reqs 2 refuses 3"

client limit_range 1 -use_mock_srv "${srv_args[@]}" -srv_max_cert_reqs 257 "${cli_args[@]}" \
    -cmd ir -certout "$work/lim.pem"
expect limit_range "$work/limit_range.log" "srv_max_cert_reqs"

echo "== -extra_req misuse"
client kur_extra 1 -use_mock_srv "${srv_args[@]}" "${cli_args[@]}" -cmd kur -oldcert "$pki/ee.crt" \
    -certout "$work/k.pem" -extra_req "certout=$work/k2.pem"
expect kur_extra "$work/kur_extra.log" "only for the ir and cr"
client no_certout 1 -use_mock_srv "${srv_args[@]}" "${cli_args[@]}" -cmd ir \
    -certout "$work/n.pem" -extra_req "subject=/CN=b"
expect no_certout "$work/no_certout.log" "certout=FILE missing"
client bad_key 1 -use_mock_srv "${srv_args[@]}" "${cli_args[@]}" -cmd ir \
    -certout "$work/n.pem" -extra_req "subjekt=/CN=b,certout=$work/n2.pem"
expect bad_key "$work/bad_key.log" "unknown key 'subjekt'"
# the key and the certificate that come encrypted are the first request's only
for popo in -1 2; do
    rm -f "$work/enc.der"
    client "popo$popo" 1 -use_mock_srv "${srv_args[@]}" "${cli_args[@]}" -cmd ir -popo "$popo" \
        -newkeyout "$work/central.pem" -certout "$work/n.pem" -extra_req "certout=$work/n2.pem" \
        -reqout "$work/enc.der"
    expect "popo$popo" "$work/popo$popo.log" "-extra_req cannot be combined with"
    [ ! -e "$work/enc.der" ] || die "popo $popo: a request was sent"
done
client centralkeygen 1 -use_mock_srv "${srv_args[@]}" "${cli_args[@]}" -cmd cr -centralkeygen \
    -newkeyout "$work/central.pem" -certout "$work/n.pem" -extra_req "certout=$work/n2.pem"
expect centralkeygen "$work/centralkeygen.log" "central key generation"
ok "-extra_req misuse refused: kur, no certout, unknown key, -popo -1, -popo 2, -centralkeygen"

echo "== $passed multi-request runs as expected"
