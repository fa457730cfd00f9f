#!/usr/bin/env bash
# cli_client_interop.sh CMPKIT VECTORS WORKDIR
#
# The cmpkit CLI in client mode against the `openssl cmp` 3.0 mock server
# (-port 0) over HTTP, on the test PKI that tests/vectors/gen_vectors.sh made
# in VECTORS/pki:
#
#   - ir, cr, kur, p10cr, rr, genm with PBM and with signatures;
#   - polling, implicit confirmation, a rejection with its status string;
#   - -certout, -chainout, -extracertsout, -cacertsout in PEM and DER (and
#     emptied when there is nothing to save), -reqout/-rspout, -rspin;
#   - a config file with -section;
#   - -use_mock_srv (the server engine in-process, no HTTP).
#
# Every command is time-bound; servers are killed on exit.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 CMPKIT VECTORS WORKDIR" >&2
    exit 2
fi
cmpkit=$1
vec=$2
work=$3
pki=$vec/pki

t_name=cli_client_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

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
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY OPENSSL_CONF

mock_args=(-srv_cert "$pki/server.crt" -srv_key "$pki/server.key" -srv_secret "$secret"
    -srv_ref "$ref" -srv_trusted "$pki/root.crt" -rsp_cert "$pki/ee.crt"
    -rsp_extracerts "$pki/server.crt" -rsp_capubs "$pki/root.crt")

# start_mock NAME ARGS...: `openssl cmp -port 0`; sets $port from its ACCEPT line.
port=
start_mock() {
    local name=$1 log=$work/mock_$1.log pid
    shift
    : >"$log"
    timeout 300 openssl cmp -config "" -port 0 "${mock_args[@]}" "$@" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_accept "$name" "$pid" "$log"
}

# run NAME ok|fail [grep-pattern] -- CMPKIT-ARGS...
#   The pattern (extended regexp) must appear in the output (stdout and stderr).
run() {
    local name=$1 expect=$2 pattern=$3 out=$work/$1.out rc=0
    shift 3
    [ "$1" = "--" ] && shift
    timeout 60 "$cmpkit" -config "" "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" -eq 124 ]; then
        cat "$out" >&2
        die "$name: timed out"
    fi
    if { [ "$expect" = ok ] && [ "$rc" -ne 0 ]; } || { [ "$expect" = fail ] && [ "$rc" -ne 1 ]; }; then
        cat "$out" >&2
        die "$name: exit status $rc, expected $expect"
    fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$out"; then
        cat "$out" >&2
        die "$name: output lacks /$pattern/"
    fi
    passed=$((passed + 1))
    printf '   %-36s %s\n' "$name" "$expect"
}

# same_cert A B [DER]: A (PEM, or DER with a third argument) holds the certificate of B.
same_cert() {
    local form=PEM
    [ "$#" -gt 2 ] && form=DER
    [ "$(openssl x509 -inform "$form" -in "$1" -noout -fingerprint -sha256)" = \
        "$(openssl x509 -in "$2" -noout -fingerprint -sha256)" ] || die "$1 is not $2"
}

pbm=(-ref "$ref" -secret "$secret" -recipient "$server_dn")
sig=(-cert "$pki/client.crt" -key "$pki/client.key" -trusted "$pki/root.crt")
sig_ee=(-cert "$pki/ee.crt" -key "$pki/ee.key" -untrusted "$pki/server.crt"
    -trusted "$pki/root.crt")
enroll=(-newkey "$pki/ee.key" -subject "$ee_dn" -out_trusted "$pki/root.crt"
    -untrusted "$pki/server.crt")

echo "== every command against openssl cmp -port 0"
start_mock main
url=127.0.0.1:$port
run ir_pbm ok "received from $url PKIStatus: accepted" -- -server "$url" "${pbm[@]}" -cmd ir \
    "${enroll[@]}" -certout "$work/ir.crt" -chainout "$work/ir_chain.crt" \
    -cacertsout "$work/ir_capubs.crt" -extracertsout "$work/ir_extra.crt"
same_cert "$work/ir.crt" "$pki/ee.crt"
same_cert "$work/ir_capubs.crt" "$pki/root.crt"
grep -q "BEGIN CERTIFICATE" "$work/ir_extra.crt" || die "-extracertsout is empty"
grep -q "saving to file '$work/ir.crt'" "$work/ir_pbm.out" || die "no 'saving to file' line"
run ir_sig_der ok "enrolled certificate" -- -server "$url" "${sig[@]}" -cmd ir "${enroll[@]}" \
    -certout "$work/ir.der" -certform DER
same_cert "$work/ir.der" "$pki/ee.crt" DER
run cr_pbm ok "sending CR" -- -server "$url" "${pbm[@]}" -cmd cr "${enroll[@]}" -days 30 \
    -certout "$work/cr.crt"
run cr_sig ok "received CP" -- -server "$url" "${sig[@]}" -cmd cr "${enroll[@]}" \
    -sans "localhost, 127.0.0.1" -policy_oids 1.2.3.4 -certout "$work/cr.crt"
run kur_sig ok "received KUP" -- -server "$url" "${sig_ee[@]}" -cmd kur \
    -out_trusted "$pki/root.crt" -certout "$work/kur.crt"
run kur_pbm ok "received KUP" -- -server "$url" "${pbm[@]}" -cmd kur -oldcert "$pki/ee.crt" \
    -newkey "$pki/ee.key" -certout "$work/kur.crt"
run p10cr_pbm ok "received CP" -- -server "$url" "${pbm[@]}" -cmd p10cr -csr "$pki/ee.csr" \
    -certout "$work/p10cr.crt"
run p10cr_sig ok "received CP" -- -server "$url" "${sig[@]}" -cmd p10cr -csr "$pki/ee.csr" \
    -certout "$work/p10cr.crt"
run rr_pbm ok "received RP" -- -server "$url" "${pbm[@]}" -cmd rr -oldcert "$pki/ee.crt" \
    -revreason 1
run rr_sig ok "received RP" -- -server "$url" "${sig[@]}" -cmd rr -oldcert "$pki/ee.crt"
run genm_pbm ok "genp contains ITAV of type: id-it-signKeyPairTypes" -- -server "$url" "${pbm[@]}" \
    -cmd genm -infotype signKeyPairTypes
echo stale >"$work/genm_capubs.crt"
run genm_sig ok "genp contains no ITAV" -- -server "$url" "${sig[@]}" -cmd genm \
    -geninfo 1.2.3.4:int:56789 -cacertsout "$work/genm_capubs.crt"
[ ! -s "$work/genm_capubs.crt" ] || die "-cacertsout not emptied when there is nothing to save"
run repeat ok "" -- -server "$url" "${pbm[@]}" -cmd genm -repeat 2
[ "$(grep -c "received GENP" "$work/repeat.out")" -eq 2 ] || die "-repeat 2"
run files ok "" -- -server "$url" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout "$work/f.crt" \
    -reqout "$work/ir.req,$work/certConf.req" -rspout "$work/ip.rsp $work/pkiConf.rsp"
[ -s "$work/ir.req" ] && [ -s "$work/pkiConf.rsp" ] || die "-reqout/-rspout"
"$cmpkit" -print "$work/ip.rsp" | grep -q "ip" || die "-print of the saved ip"
run rspin_offline ok "received PKICONF" -- -rspin "$work/ip.rsp,$work/pkiConf.rsp" \
    "${pbm[@]}" -cmd ir "${enroll[@]}" -certout "$work/rspin.crt"
same_cert "$work/rspin.crt" "$pki/ee.crt"
run no_certout fail "certout not given" -- -server "$url" "${pbm[@]}" -cmd ir "${enroll[@]}"
run wrong_secret fail "CMP error" -- -server "$url" -ref "$ref" -secret pass:wrong \
    -recipient "$server_dn" -cmd genm
run no_server fail "missing -server" -- "${pbm[@]}" -cmd genm

echo "== polling and implicit confirmation"
start_mock poll -poll_count 2 -check_after 1 -grant_implicitconf
run poll_pbm ok "received POLLREP|polling" -- -server "127.0.0.1:$port" "${pbm[@]}" -cmd ir \
    "${enroll[@]}" -certout "$work/poll.crt"
same_cert "$work/poll.crt" "$pki/ee.crt"
run implicit_confirm ok "received CP" -- -server "127.0.0.1:$port" "${pbm[@]}" -cmd cr \
    "${enroll[@]}" -implicit_confirm -certout "$work/implicit.crt"
if grep -q "sending CERTCONF" "$work/implicit_confirm.out"; then
    die "implicit confirmation granted, but certConf sent"
fi

echo "== a rejection"
start_mock reject -pkistatus 2 -failure 2 -statusstring "no way"
run rejected fail 'PKIStatus: rejection.*badRequest.*"no way"' -- \
    -server "127.0.0.1:$port" "${pbm[@]}" -cmd cr "${enroll[@]}" -certout "$work/rej.crt"

echo "== a config file with -section"
cat >"$work/client.cnf" <<EOF
[default]
server = $url
ref = $ref
secret = $secret
recipient = $server_dn
[enroll]
cmd = ir
newkey = $pki/ee.key
subject = $ee_dn
out_trusted = $pki/root.crt
untrusted = $pki/server.crt
certout = $work/cnf.crt
reqexts = exts
[exts]
subjectAltName = DNS:ee.example
EOF
run config_section ok "received IP" -- -config "$work/client.cnf" -section enroll
same_cert "$work/cnf.crt" "$pki/ee.crt"

echo "== -use_mock_srv"
run mock_ir ok "received IP" -- -use_mock_srv "${mock_args[@]}" "${pbm[@]}" -cmd ir \
    "${enroll[@]}" -certout "$work/mock.crt" -cacertsout "$work/mock_capubs.crt"
same_cert "$work/mock.crt" "$pki/ee.crt"
same_cert "$work/mock_capubs.crt" "$pki/root.crt"
run mock_rr ok "received RP" -- -use_mock_srv "${mock_args[@]}" "${sig[@]}" -cmd rr \
    -oldcert "$pki/ee.crt"
run mock_error fail "CMP error" -- -use_mock_srv "${mock_args[@]}" -send_error "${pbm[@]}" \
    -cmd genm

echo "== $passed cmpkit client runs as expected"
