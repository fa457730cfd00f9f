#!/usr/bin/env bash
# client_interop.sh DRIVER VECTORS WORKDIR
#
# The cmpkit client library (through tests/interop/client_driver.c) against
# the `openssl cmp` 3.0 mock server (-port 0) over HTTP, on the test PKI
# that tests/vectors/gen_vectors.sh made in VECTORS/pki:
#
#   - ir, cr, kur, p10cr, rr, genm with PBM and with signatures, polling,
#     implicit confirmation, negative responses, error messages;
#   - -server URL forms (userinfo, query, fragment, IPv4), -path,
#     -keep_alive 0/1/2, -reqout/-rspout;
#   - an HTTP proxy (tests/interop/http_helpers.py): -proxy, http_proxy,
#     -no_proxy / no_proxy, CONNECT for HTTPS;
#   - HTTPS through a TLS front end that relays to the mock server:
#     -tls_trusted with host name checks, -tls_host, client certificates;
#   - HTTP errors: a refused connection, status 404, a wrong content type,
#     a response over 4 MiB, -msg_timeout.
#
# Every command is time-bound; servers are killed on exit.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 DRIVER VECTORS WORKDIR" >&2
    exit 2
fi
driver=$1
vec=$2
work=$3
pki=$vec/pki
helpers=$(cd "$(dirname "$0")" && pwd)/http_helpers.py

t_name=client_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for f in root.crt root.key server.crt server.key client.crt client.key ee.crt ee.key ee.csr; do
    [ -f "$pki/$f" ] || die "missing $pki/$f (run tests/vectors/gen_vectors.sh first)"
done
[ -x "$driver" ] || die "$driver is not executable"
command -v python3 >/dev/null || die "python3 is not installed"
command -v openssl >/dev/null || die "the openssl CLI is not installed"

fresh_workdir "$work"
secret="file:$vec/secret.txt"
ref=$(cat "$vec/ref.txt")
server_dn="/CN=cmpkit Test CMP Server"
ee_dn="/CN=cmpkit Test EE"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY

# start_mock NAME ARGS...: `openssl cmp -port 0`; sets $port from its ACCEPT line.
port=
start_mock() {
    local name=$1 log=$work/mock_$1.log pid
    shift
    : >"$log"
    timeout 300 openssl cmp -config "" -port 0 \
        -srv_cert "$pki/server.crt" -srv_key "$pki/server.key" \
        -srv_secret "$secret" -srv_ref "$ref" -srv_trusted "$pki/root.crt" \
        -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" \
        -rsp_capubs "$pki/root.crt" "$@" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_accept "$name" "$pid" "$log"
}

# start_helper NAME ARGS...: http_helpers.py; sets $port from its PORT line.
start_helper() {
    local name=$1 log=$work/helper_$1.log pid
    shift
    : >"$log"
    timeout 300 python3 -u "$helpers" "$@" >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's/^PORT \([0-9][0-9]*\)$/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "helper '$name' exited"; }
        sleep 0.05
    done
    [ -n "$port" ] || { cat "$log" >&2; die "helper '$name' did not listen"; }
}

# run NAME ok|fail [grep-pattern] -- DRIVER-ARGS...
#   The pattern (extended regexp) must appear in the driver's output.
run() {
    local name=$1 expect=$2 pattern=$3 out=$work/$1.out rc=0
    shift 3
    [ "$1" = "--" ] && shift
    timeout 60 "$driver" "$@" >"$out" 2>&1 || rc=$?
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

pbm=(--ref "$ref" --secret "$secret" --recipient "$server_dn")
sig=(--cert "$pki/client.crt" --key "$pki/client.key" --trusted "$pki/root.crt")
sig_ee=(--cert "$pki/ee.crt" --key "$pki/ee.key" --untrusted "$pki/server.crt"
    --trusted "$pki/root.crt")
enroll=(--newkey "$pki/ee.key" --subject "$ee_dn" --out_trusted "$pki/root.crt"
    --untrusted "$pki/server.crt")

echo "== every command against openssl cmp -port 0"
start_mock main -grant_implicitconf
main=$port
url=127.0.0.1:$main
run ir_pbm ok "NEWCERT: /CN=cmpkit Test EE" -- --server "$url" "${pbm[@]}" --cmd ir "${enroll[@]}" \
    --certout "$work/new.crt"
openssl x509 -in "$work/new.crt" -noout -subject | grep -q "cmpkit Test EE" || die "certout"
run ir_sig ok "CHAIN: 1 CAPUBS: 1 EXTRACERTS: [12]" -- --server "$url" "${sig[@]}" --cmd ir \
    "${enroll[@]}"
run cr_pbm ok "NEWCERT" -- --server "$url" "${pbm[@]}" --cmd cr "${enroll[@]}" --days 30
run cr_sig ok "NEWCERT" -- --server "$url" "${sig[@]}" --cmd cr "${enroll[@]}" \
    --sans "localhost, 127.0.0.1"
run kur_sig ok "NEWCERT" -- --server "$url" "${sig_ee[@]}" --cmd kur --out_trusted "$pki/root.crt"
run kur_pbm ok "NEWCERT" -- --server "$url" "${pbm[@]}" --cmd kur --oldcert "$pki/ee.crt" \
    --newkey "$pki/ee.key"
run p10cr_pbm ok "NEWCERT" -- --server "$url" "${pbm[@]}" --cmd p10cr --csr "$pki/ee.csr"
run p10cr_sig ok "NEWCERT" -- --server "$url" "${sig[@]}" --cmd p10cr --csr "$pki/ee.csr"
run implicit_pbm ok "NEWCERT" -- --server "$url" "${pbm[@]}" --cmd ir --implicit_confirm \
    "${enroll[@]}" --reqout "$work/implicit.1,$work/implicit.3" --rspout "$work/implicit.2"
[ -f "$work/implicit.2" ] && [ ! -f "$work/implicit.3" ] || die "implicit confirmation sent certConf"
run disable_confirm ok "NEWCERT" -- --server "$url" "${pbm[@]}" --cmd ir --disable_confirm \
    "${enroll[@]}"
run rr_pbm ok "STATUS: PKIStatus: accepted" -- --server "$url" "${pbm[@]}" --cmd rr \
    --oldcert "$pki/ee.crt" --revreason 1
run rr_sig ok "STATUS: PKIStatus: accepted" -- --server "$url" "${sig[@]}" --cmd rr \
    --oldcert "$pki/ee.crt" --revreason 4
run genm_pbm ok "GENP ITAVS: 1" -- --server "$url" "${pbm[@]}" --cmd genm \
    --infotype signKeyPairTypes
run genm_sig ok "GENP ITAVS: 0" -- --server "$url" "${sig[@]}" --cmd genm
run srvcert ok "OK" -- --server "$url" --cert "$pki/client.crt" --key "$pki/client.key" \
    --srvcert "$pki/server.crt" --cmd genm
run expect_sender_wrong fail "signerNotTrusted|sender" -- --server "$url" "${sig[@]}" \
    --expect_sender "/CN=somebody else" --cmd genm
run reject_wrong_key fail "does not match our enrollment key" -- --server "$url" "${pbm[@]}" \
    --cmd ir --newkey "$pki/client.key" --subject "$ee_dn"
run reject_out_trusted fail "out_trusted" -- --server "$url" "${pbm[@]}" --cmd cr \
    --newkey "$pki/ee.key" --subject "$ee_dn" --out_trusted "$pki/client.crt"
run wrong_secret fail "checking the ERROR" -- --server "$url" --ref "$ref" \
    --secret pass:wrong --recipient "$server_dn" --cmd ir "${enroll[@]}"
run wrong_secret_unprot fail "STATUS: PKIStatus: rejection" -- --server "$url" --ref "$ref" \
    --secret pass:wrong --recipient "$server_dn" --unprotected_errors --cmd ir "${enroll[@]}"

echo "== -server URL forms, -path, -keep_alive"
run url_http_scheme ok "OK" -- --server "http://$url" "${pbm[@]}" --cmd genm
run url_userinfo_fragment ok "OK" -- --server "http://user:pw@$url/pkix/#frag" "${pbm[@]}" \
    --cmd genm
# The mock server takes only "/" and "/pkix/": the query is part of the path.
run url_query fail "HTTP status 404 from http://$url/pkix/\\?x=1" -- \
    --server "$url/pkix/?x=1#frag" "${pbm[@]}" --cmd genm
run url_path ok "OK" -- --server "$url" --path "/pkix/" "${pbm[@]}" --cmd genm
run keep_alive_0 ok "NEWCERT" -- --server "$url" --keep_alive 0 "${pbm[@]}" --cmd ir \
    "${enroll[@]}"
run keep_alive_2 ok "NEWCERT" -- --server "$url" --keep_alive 2 "${pbm[@]}" --cmd ir \
    "${enroll[@]}"
run https_without_tls_used fail "tls_used" -- --server "https://$url" "${pbm[@]}" --cmd genm
run bad_port fail "port" -- --server "127.0.0.1:99999" "${pbm[@]}" --cmd genm

echo "== polling, rejections, error messages"
start_mock poll -poll_count 2 -check_after 1
run poll_pbm ok "received polling response; checkAfter = 1 seconds" -- --server "127.0.0.1:$port" \
    "${pbm[@]}" --cmd ir "${enroll[@]}"
run poll_total_timeout fail "total timeout" -- --server "127.0.0.1:$port" "${pbm[@]}" \
    --cmd ir "${enroll[@]}" --total_timeout 1
start_mock reject -pkistatus 2 -failure 2 -statusstring "rejected by cmpkit test"
run reject_ip fail 'StatusString: "rejected by cmpkit test"' -- --server "127.0.0.1:$port" \
    "${pbm[@]}" --cmd ir "${enroll[@]}"
run reject_rp fail "PKIFailureInfo: badRequest" -- --server "127.0.0.1:$port" "${pbm[@]}" \
    --cmd rr --oldcert "$pki/ee.crt"
start_mock senderr -send_error
run error_message fail "received error message.*PKIStatus: rejection" -- \
    --server "127.0.0.1:$port" "${pbm[@]}" --cmd ir "${enroll[@]}"
start_mock unprot -accept_unprotected -send_unprot_err -pkistatus 2 -failure 9 \
    -statusstring "unprotected rejection"
run unprotected_errors fail "PKIFailureInfo: badPOP" -- --server "127.0.0.1:$port" \
    --unprotected_requests --unprotected_errors --recipient "$server_dn" --cmd ir \
    "${enroll[@]}"

echo "== HTTP proxy"
start_helper proxy proxy "$work/proxy.log"
proxy=$port
run proxy_option ok "NEWCERT" -- --server "$url" --proxy "http://127.0.0.1:$proxy" "${pbm[@]}" \
    --cmd ir "${enroll[@]}"
grep -q "^POST http://127.0.0.1:$main/ HTTP/1.1" "$work/proxy.log" || die "the proxy saw no POST"
: >"$work/proxy.log"
http_proxy="127.0.0.1:$proxy" run proxy_env ok "OK" -- --server "$url" "${pbm[@]}" --cmd genm
grep -q "^POST" "$work/proxy.log" || die "http_proxy was not used"
: >"$work/proxy.log"
run no_proxy_option ok "OK" -- --server "$url" --proxy "127.0.0.1:1" \
    --no_proxy "localhost, 127.0.0.1" "${pbm[@]}" --cmd genm
no_proxy="example.com,127.0.0.1" http_proxy="127.0.0.1:1" run no_proxy_env ok "OK" -- \
    --server "$url" "${pbm[@]}" --cmd genm
[ ! -s "$work/proxy.log" ] || die "no_proxy did not bypass the proxy"
run proxy_refused fail "127.0.0.1" -- --server "$url" --proxy "127.0.0.1:1" "${pbm[@]}" --cmd genm

echo "== HTTPS"
cat >"$work/tls.cnf" <<'EOF'
[tls_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/tls.key" 2>/dev/null
openssl req -config "$work/tls.cnf" -new -key "$work/tls.key" -subj "/CN=localhost" \
    -out "$work/tls.csr" 2>/dev/null
openssl x509 -req -in "$work/tls.csr" -CA "$pki/root.crt" -CAkey "$pki/root.key" \
    -set_serial 0x2001 -days 30 -extfile "$work/tls.cnf" -extensions tls_ext \
    -out "$work/tls.crt" 2>/dev/null
start_helper tls tls-front "$work/tls.crt" "$work/tls.key" "$main"
tls=$port
run https ok "NEWCERT" -- --server "https://127.0.0.1:$tls" --tls_used \
    --tls_trusted "$pki/root.crt" "${pbm[@]}" --cmd ir "${enroll[@]}"
run https_localhost ok "OK" -- --server "localhost:$tls" --tls_used \
    --tls_trusted "$pki/root.crt" "${pbm[@]}" --cmd genm
run https_untrusted fail "certificate|SSL" -- --server "127.0.0.1:$tls" --tls_used \
    --tls_trusted "$pki/client.crt" "${pbm[@]}" --cmd genm
run https_tls_host_wrong fail "certificate|SSL" -- --server "127.0.0.1:$tls" --tls_used \
    --tls_trusted "$pki/root.crt" --tls_host other.example "${pbm[@]}" --cmd genm
run https_tls_host ok "OK" -- --server "127.0.0.1:$tls" --tls_used \
    --tls_trusted "$pki/root.crt" --tls_host localhost "${pbm[@]}" --cmd genm
run https_no_trust ok "OK" -- --server "127.0.0.1:$tls" --tls_used "${pbm[@]}" --cmd genm
run https_via_proxy ok "OK" -- --server "127.0.0.1:$tls" --tls_used \
    --tls_trusted "$pki/root.crt" --proxy "127.0.0.1:$proxy" "${pbm[@]}" --cmd genm
grep -q "^CONNECT 127.0.0.1:$tls" "$work/proxy.log" || die "no CONNECT through the proxy"
start_helper tls_client tls-front "$work/tls.crt" "$work/tls.key" "$main" "$pki/root.crt"
run https_client_cert ok "OK" -- --server "127.0.0.1:$port" --tls_used \
    --tls_trusted "$pki/root.crt" --tls_cert "$pki/client.crt" --tls_key "$pki/client.key" \
    "${pbm[@]}" --cmd genm
run https_client_cert_missing fail "127.0.0.1" -- --server "127.0.0.1:$port" --tls_used \
    --tls_trusted "$pki/root.crt" "${pbm[@]}" --cmd genm

echo "== HTTP response framing (the built-in client for plain HTTP)"
# Each is a whole ir (ir, ip, certConf, pkiConf) through a relay that
# re-frames the mock server's answers.
for kind in chunked http10 continue drop; do
    start_helper "reframe_$kind" reframe "$kind" "$main"
    run "framing_$kind" ok "NEWCERT" -- --server "127.0.0.1:$port" "${pbm[@]}" --cmd ir \
        "${enroll[@]}"
done
# -keep_alive 2 wants the connection kept for the whole transaction.
start_helper reframe_http10_ka2 reframe http10 "$main"
run framing_http10_keep_alive_2 fail "closed the connection in mid-transaction" -- \
    --server "127.0.0.1:$port" --keep_alive 2 "${pbm[@]}" --cmd ir "${enroll[@]}"

echo "== HTTP errors"
run refused fail "http://127.0.0.1:1/" -- --server "127.0.0.1:1" "${pbm[@]}" --cmd genm
start_helper s404 answer 404
run status_404 fail "HTTP status 404 from http://127.0.0.1:$port/pkix/" -- \
    --server "127.0.0.1:$port/pkix/" "${pbm[@]}" --cmd genm
start_helper wrongtype answer wrongtype
run wrong_content_type fail "Content-Type 'text/html'" -- --server "127.0.0.1:$port" \
    "${pbm[@]}" --cmd genm
start_helper big answer big
run too_big fail "exceeds 4194304 bytes" -- --server "127.0.0.1:$port" "${pbm[@]}" --cmd genm
start_helper slow answer slow
run msg_timeout fail "timeout after 1000 ms" -- --server "127.0.0.1:$port" --msg_timeout 1 \
    "${pbm[@]}" --cmd genm

echo "== client_interop: $passed checks passed"
