#!/usr/bin/env bash
# server_interop.sh CMPKIT VECTORS WORKDIR
#
# The cmpkit mock server (-port) against `openssl cmp` as the client, on the
# test PKI that tests/vectors/gen_vectors.sh made in VECTORS/pki (with the
# PBM secret in VECTORS/secret.txt and its reference in VECTORS/ref.txt):
#
#   - ir, cr, kur, p10cr, rr and genm with PBM and with signatures, polling,
#     implicit confirmation, negative responses, error messages;
#   - HTTP: GET -> 405 with Allow: POST, another content type -> 415, another
#     path -> 404, a 2 MiB body -> 413, a body that is no PKIMessage -> 400 and a CMP
#     error message (which `cmpkit -print` decodes), keep-alive, and the
#     server still serving afterwards;
#   - the ACCEPT line, -port host:port, a config file with sections,
#     -max_msgs, SIGTERM, and errors that name the option at fault.
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

t_name=server_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

for f in root.crt server.crt server.key client.crt client.key ee.crt ee.key ee.csr; do
    [ -f "$pki/$f" ] || die "missing $pki/$f (run tests/vectors/gen_vectors.sh first)"
done
[ -x "$cmpkit" ] || die "$cmpkit is not executable"
command -v python3 >/dev/null || die "python3 is not installed"

fresh_workdir "$work"
secret="file:$vec/secret.txt"
ref=$(cat "$vec/ref.txt")
server_dn="/CN=cmpkit Test CMP Server"
ee_dn="/CN=cmpkit Test EE"

# ---- the server -----------------------------------------------------------------
# start_server NAME ARGS...: starts `cmpkit -port 0` with the test credentials
# and ARGS; sets $port and $spid (the PID of the ACCEPT line) once it listens.
port=
spid=
tpid=
start_server_raw() {
    local name=$1 out=$work/server_$1.out err=$work/server_$1.err line
    shift
    : >"$out"
    : >"$err"
    timeout 120 "$cmpkit" "$@" >"$out" 2>"$err" &
    tpid=$!
    pids+=("$tpid")
    port=
    spid=
    for _ in $(seq 1 400); do
        line=$(grep -m1 '^ACCEPT ' "$out" || true)
        [ -n "$line" ] && break
        if ! kill -0 "$!" 2>/dev/null; then
            cat "$out" "$err" >&2
            die "server '$name' exited before listening"
        fi
        sleep 0.05
    done
    [ -n "$line" ] || { cat "$out" "$err" >&2; die "server '$name' printed no ACCEPT line in 20 s"; }
    [[ "$line" =~ ^ACCEPT\ (\[::\]|0\.0\.0\.0|127\.0\.0\.1):([0-9]+)\ PID=([0-9]+)$ ]] ||
        die "server '$name': malformed ACCEPT line '$line'"
    port=${BASH_REMATCH[2]}
    spid=${BASH_REMATCH[3]}
    [ "$port" -gt 0 ] || die "server '$name' reports port 0"
    pids+=("$spid")
    [ "$(cat "/proc/$spid/comm" 2>/dev/null)" = cmpkit ] ||
        die "server '$name': PID=$spid of the ACCEPT line is not cmpkit"
}

start_server() {
    local name=$1
    shift
    start_server_raw "$name" -config "" -port 0 \
        -srv_cert "$pki/server.crt" -srv_key "$pki/server.key" \
        -srv_secret "$secret" -srv_ref "$ref" -srv_trusted "$pki/root.crt" \
        -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" -rsp_capubs "$pki/root.crt" \
        "$@"
}

# wait_exit PID TPID SECONDS: waits for the server PID to end and checks that
# it exited with status 0 (TPID is its `timeout` wrapper, which passes the
# status on; a sanitizer report would make it non-zero).
wait_exit() {
    local i rc=0
    for i in $(seq 1 $(($3 * 20))); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$1" 2>/dev/null && die "server $1 did not end within $3 s"
    wait "$2" || rc=$?
    [ "$rc" -eq 0 ] || die "server $1 exited with status $rc"
}

# errors_of NAME: the number of error messages server NAME has answered with
errors_of() {
    grep -c "answering with error" "$work/server_$1.err" || true
}

# expect_srv_error NAME BEFORE BIT: server NAME answered with an error with the
# PKIFailureInfo BIT since it had answered BEFORE errors.
expect_srv_error() {
    tail -n +1 "$work/server_$1.err" | grep "answering with error" | tail -n +$(($2 + 1)) |
        grep -q "$3" || { cat "$work/server_$1.err" >&2; die "server $1 did not answer with $3"; }
}

# ---- the client ------------------------------------------------------------------
# client NAME EXPECT PORT ARGS...: runs `openssl cmp` against 127.0.0.1:PORT;
# EXPECT is ok or fail. The requests it sends are saved as $work/NAME.req.N.
client() {
    local name=$1 expect=$2 p=$3 log=$work/client_$1.log rc=0 reqout=""
    local k
    shift 3
    for k in 1 2 3 4 5 6; do
        reqout+="${reqout:+,}$work/$name.req.$k"
    done
    timeout 30 openssl cmp -config "" -batch -server "127.0.0.1:$p" \
        -msg_timeout 10 -total_timeout 20 -reqout "$reqout" "$@" >"$log" 2>&1 || rc=$?
    [ "$rc" -ne 124 ] || { cat "$log" >&2; die "client $name timed out"; }
    if { [ "$expect" = ok ] && [ "$rc" -ne 0 ]; } || { [ "$expect" = fail ] && [ "$rc" -eq 0 ]; }; then
        cat "$log" >&2
        echo "--- server log:" >&2
        tail -n 30 "$work"/server_*.err >&2 || true
        die "client $name: exit status $rc, expected $expect"
    fi
    ok "$name ($expect)"
}

# requests NAME: the number of requests the client sent
requests() {
    local n=0
    while [ -f "$work/$1.req.$((n + 1))" ]; do
        n=$((n + 1))
    done
    echo "$n"
}

pbm=(-ref "$ref" -secret "$secret" -recipient "$server_dn")
sig=(-cert "$pki/client.crt" -key "$pki/client.key" -trusted "$pki/root.crt")
sig_ee=(-cert "$pki/ee.crt" -key "$pki/ee.key" -untrusted "$pki/server.crt"
    -trusted "$pki/root.crt")
enroll=(-newkey "$pki/ee.key" -subject "$ee_dn" -certout "$work/new.crt"
    -out_trusted "$pki/root.crt" -untrusted "$pki/server.crt")

echo "== cmpkit mock server against openssl cmp ($(openssl version))"

# 1. The main server: every command, PBM and signatures.
start_server main -grant_implicitconf
main=$port
main_pid=$spid
main_tpid=$tpid
client ir_pbm ok "$main" "${pbm[@]}" -cmd ir "${enroll[@]}"
cmp -s "$work/new.crt" <(openssl x509 -in "$pki/ee.crt") || die "ir_pbm: not the -rsp_cert"
client ir_sig ok "$main" "${sig[@]}" -cmd ir "${enroll[@]}"
client cr_pbm ok "$main" "${pbm[@]}" -cmd cr "${enroll[@]}"
client cr_sig ok "$main" "${sig[@]}" -cmd cr "${enroll[@]}"
client kur_sig ok "$main" "${sig_ee[@]}" -cmd kur -certout "$work/new.crt" \
    -out_trusted "$pki/root.crt"
client p10cr_pbm ok "$main" "${pbm[@]}" -cmd p10cr -csr "$pki/ee.csr" -certout "$work/new.crt"
client p10cr_sig ok "$main" "${sig[@]}" -cmd p10cr -csr "$pki/ee.csr" -certout "$work/new.crt"
client rr_pbm ok "$main" "${pbm[@]}" -cmd rr -oldcert "$pki/ee.crt" -revreason 1
client rr_sig ok "$main" "${sig[@]}" -cmd rr -oldcert "$pki/ee.crt" -revreason 4
client genm_pbm ok "$main" "${pbm[@]}" -cmd genm -infotype signKeyPairTypes
client genm_sig ok "$main" "${sig[@]}" -cmd genm
# Implicit confirmation granted: no certConf follows the ir.
client implicit_pbm ok "$main" "${pbm[@]}" -cmd ir -implicit_confirm "${enroll[@]}"
[ "$(requests implicit_pbm)" -eq 1 ] || die "implicit_pbm: the client sent a certConf"
client implicit_sig ok "$main" "${sig[@]}" -cmd cr -implicit_confirm "${enroll[@]}"
[ "$(requests implicit_sig)" -eq 1 ] || die "implicit_sig: the client sent a certConf"
[ "$(requests ir_pbm)" -eq 2 ] || die "ir_pbm: expected ir and certConf"

# Negative cases on the same server.
n=$(errors_of main)
client wrong_secret fail "$main" -ref "$ref" -secret pass:not-the-secret \
    -recipient "$server_dn" -cmd ir "${enroll[@]}"
expect_srv_error main "$n" badMessageCheck
timeout 20 openssl req -x509 -newkey EC -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=rogue \
    -keyout "$work/rogue.key" -out "$work/rogue.crt" -days 30 >/dev/null 2>&1 ||
    die "cannot make a self-signed certificate"
n=$(errors_of main)
client untrusted_signer fail "$main" -cert "$work/rogue.crt" -key "$work/rogue.key" \
    -trusted "$pki/root.crt" -cmd ir "${enroll[@]}"
expect_srv_error main "$n" "signerNotTrusted\\|badMessageCheck"
n=$(errors_of main)
client unprotected fail "$main" -unprotected_requests -recipient "$server_dn" -cmd ir \
    "${enroll[@]}"
expect_srv_error main "$n" badMessageCheck
n=$(errors_of main)
client rr_wrong_cert fail "$main" "${pbm[@]}" -cmd rr -oldcert "$pki/client.crt"
expect_srv_error main "$n" badCertId
grep -q "CMP info: .*received ir" "$work/server_main.err" || die "no 'received ir' in the server log"

# 2. HTTP.
python3 - "$main" "$work" <<'EOF' || die "HTTP checks"
import http.client, socket, sys
port, work = int(sys.argv[1]), sys.argv[2]
CT = "application/pkixcmp"

def req(method, path="/", body=None, ct=CT, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Content-Type": ct} if ct else {}
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    return r, r.read()

def expect(what, cond):
    if not cond:
        print("HTTP check failed:", what)
        sys.exit(1)
    print("   ok  http", what)

r, _ = req("GET", ct=None)
expect("GET -> 405 with Allow: POST", r.status == 405 and r.getheader("Allow") == "POST")
r, _ = req("PUT", body=b"\x30\x00")
expect("PUT -> 405", r.status == 405)
r, _ = req("POST", body=b"\x30\x00", ct="text/plain")
expect("text/plain -> 415", r.status == 415)
r, _ = req("POST", body=b"\x30\x00", ct=None)
expect("no content type -> 415", r.status == 415)
r, _ = req("POST", path="/other/", body=b"\x30\x00")
expect("another path -> 404", r.status == 404)
r, _ = req("POST", body=b"\0" * (2 << 20))
expect("2 MiB body -> 413", r.status == 413)

# A declared size above the cap is refused before the body is sent.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + CT.encode() +
          b"\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\r\n")
line = s.makefile("rb").readline()
s.close()
expect("Content-Length 5000000 -> 413 at once", b" 413 " in line)

# A chunked body that grows above the cap.
def chunks():
    for _ in range(24):
        yield b"\0" * 65536
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("POST", "/", body=chunks(), headers={"Content-Type": CT}, encode_chunked=True)
r = c.getresponse()
r.read()
expect("chunked 1.5 MiB -> 413", r.status == 413)

r, body = req("POST", body=b"no PKIMessage")
expect("garbage -> 400 (RFC 9811 3.3) with a " + CT + " error message",
       r.status == 400 and r.getheader("Content-Type") == CT)
open(work + "/garbage_rsp.der", "wb").write(body)

# Keep-alive: three requests on one connection, the paths that count as ours.
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for path in ("/", "/pkix/", "//pkix///"):
    r, body = req("POST", path=path, body=b"\x30\x03\x02\x01\x00", conn=c)
    expect("keep-alive request to %s -> 400 with a body" % path, r.status == 400 and len(body) > 0)
EOF
"$cmpkit" -print "$work/garbage_rsp.der" >"$work/garbage_rsp.txt" ||
    die "cmpkit -print cannot decode the answer to garbage"
grep -q "body: error" "$work/garbage_rsp.txt" && grep -q "badDataFormat" "$work/garbage_rsp.txt" ||
    { cat "$work/garbage_rsp.txt" >&2; die "the answer to garbage is no badDataFormat error"; }
ok "the answer to garbage is an error message with badDataFormat"
client still_serving ok "$main" "${pbm[@]}" -cmd genm

# SIGTERM stops it cleanly.
kill -TERM "$main_pid"
wait_exit "$main_pid" "$main_tpid" 10
ok "SIGTERM stops the server (exit status 0)"

# 3. Polling. As openssl cmp 3.3+'s mock, ours delays the certConf as well,
#    which an openssl 3.0 client cannot handle: it asks for implicit
#    confirmation instead, or polls and then fails at the certConf.
start_server poll -poll_count 2 -check_after 0 -grant_implicitconf
client poll_pbm ok "$port" "${pbm[@]}" -cmd ir "${enroll[@]}" -implicit_confirm
[ "$(requests poll_pbm)" -eq 3 ] || die "poll_pbm: expected ir, 2 pollReq"
client poll_sig ok "$port" "${sig[@]}" -cmd cr "${enroll[@]}" -implicit_confirm
client poll_conf fail "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"
[ "$(requests poll_conf)" -eq 4 ] || die "poll_conf: expected ir, 2 pollReq, certConf"
grep -q "waiting" "$work/client_poll_conf.log" ||
    die "poll_conf: the openssl 3.0 client did not see the certConf delayed ('waiting')"
kill -INT "$spid"
wait_exit "$spid" "$tpid" 10
ok "SIGINT stops the server (exit status 0)"

# 4. Negative responses and error messages.
start_server reject -pkistatus 2 -failure 2 -statusstring "rejected by the cmpkit test"
client reject_ir fail "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"
grep -q "rejection" "$work/client_reject_ir.log" || die "reject_ir: no rejection status"
grep -q "rejected by the cmpkit test" "$work/client_reject_ir.log" ||
    die "reject_ir: the client did not see the status string"
client reject_rr fail "$port" "${pbm[@]}" -cmd rr -oldcert "$pki/ee.crt"
start_server senderr -send_error
client senderr fail "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"
grep -q -i "error" "$work/client_senderr.log" || die "senderr: the client saw no error message"
# An unprotected request accepted, and rejected with an unprotected ip that
# the client takes with -unprotected_errors (and shows its text).
start_server unprot -accept_unprotected -send_unprot_err -pkistatus 2 -failure 9 \
    -statusstring "unprotected rejection"
client unprot fail "$port" -unprotected_requests -unprotected_errors -recipient "$server_dn" \
    -cmd ir "${enroll[@]}"
grep -q "unprotected rejection" "$work/client_unprot.log" ||
    die "unprot: the client did not get the unprotected rejection"
start_server raverified -accept_raverified
client raverified ok "$port" "${pbm[@]}" -cmd ir "${enroll[@]}" -popo 0

# 5. -max_msgs: ir and certConf, then the server stops by itself (status 0).
start_server maxmsgs -max_msgs 2 -verbosity 3
mpid=$spid
mtpid=$tpid
client maxmsgs ok "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"
wait_exit "$mpid" "$mtpid" 10
ok "-max_msgs 2 stops the server after ir and certConf (exit status 0)"

# 5b. -srv_log_time: each log line starts with the UTC time and the client's address.
start_server logtime -srv_log_time -max_msgs 2
mpid=$spid
mtpid=$tpid
client logtime ok "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"
wait_exit "$mpid" "$mtpid" 10
stamp='^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z'
grep -Eq "$stamp 127\.0\.0\.1 CMP info: \[tid=[0-9A-F]+\] received ir$" "$work/server_logtime.err" ||
    { cat "$work/server_logtime.err" >&2; die "-srv_log_time: no time and client address on 'received ir'"; }
grep -Eq "$stamp 127\.0\.0\.1 cmpkit: Received request" "$work/server_logtime.err" ||
    die "-srv_log_time: no time and client address on the listener's lines"
grep -q "^CMP info: .*received ir" "$work/server_main.err" || die "without -srv_log_time the lines changed"
ok "-srv_log_time: '<UTC time> <client> CMP info: ...'; openssl's format without it"

# 6. -port host:port binds that address.
start_server bound -port 127.0.0.1:0
grep -q '^ACCEPT 127\.0\.0\.1:' "$work/server_bound.out" || die "-port 127.0.0.1:0: wrong ACCEPT line"
client bound ok "$port" "${pbm[@]}" -cmd genm

# 7. A config file, read as openssl cmp 3.0 reads it: sections named later win;
#    each section's lookup falls back to [default] (= the unnamed section)
#    before an earlier section is tried; $var expansion; "" resets; the
#    command line wins over the file.
cat >"$work/srv.cnf" <<EOF
dir = $pki
srv_ref = $ref
[default]
srv_secret = $secret
srv_trusted = \$dir/root.crt
poll_count = 5
rsp_capubs = \$dir/root.crt
[base]
port = 0
srv_cert = \$dir/server.crt
srv_key = \$dir/server.key
rsp_cert = \$dir/client.crt
rsp_capubs = \$dir/client.crt
rsp_extracerts = \$dir/server.crt
send_error = 1
[srv]
rsp_cert = \$dir/ee.crt
rsp_extracerts =
send_error = 0
check_after = 0
EOF
start_server_raw config -config "$work/srv.cnf" -section "base, srv" -poll_count 1 \
    -grant_implicitconf
grep -q "using section(s) 'base, srv'" "$work/server_config.out" || die "no 'using section(s)' line"
client config_poll ok "$port" "${pbm[@]}" -cmd ir "${enroll[@]}" -implicit_confirm \
    -cacertsout "$work/capubs.pem" -extracertsout "$work/extracerts.pem"
[ "$(requests config_poll)" -eq 2 ] || die "config: -poll_count 1 on the command line did not win"
cmp -s "$work/new.crt" <(openssl x509 -in "$pki/ee.crt") || die "config: [srv] rsp_cert did not win"
cmp -s "$work/capubs.pem" <(openssl x509 -in "$pki/root.crt") ||
    die "config: [default] rsp_capubs did not win over [base]'s (the [srv] lookup falls back first)"
if grep -q "BEGIN CERTIFICATE" "$work/extracerts.pem" 2>/dev/null; then
    die "config: the empty rsp_extracerts of [srv] did not reset [base]'s"
fi
ok "config file: section order, [default] fallback, \$var, empty value, command line wins"

# 8. Errors name the option and the file at fault; exit status 1.
expect_error() {
    local name=$1 pattern=$2 rc=0
    shift 2
    timeout 20 "$cmpkit" "$@" >"$work/err_$name.out" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || { cat "$work/err_$name.out" >&2; die "$name: exit status $rc, expected 1"; }
    grep -q -- "$pattern" "$work/err_$name.out" ||
        { cat "$work/err_$name.out" >&2; die "$name: no '$pattern' in the error"; }
    ok "$name fails naming '$pattern'"
}
expect_error no_credentials "srv_secret or -srv_cert" -config "" -port 0 -srv_ref x
expect_error missing_cert "-srv_cert $work/nonexistent.crt" -config "" -port 0 \
    -srv_secret pass:x -srv_ref x -srv_cert "$work/nonexistent.crt" -srv_key "$pki/server.key"
expect_error bad_port "-port" -config "" -port 70000 -srv_secret pass:x -srv_ref x
expect_error bad_number "max_msgs" -config "" -port 0 -srv_secret pass:x -srv_ref x -max_msgs x
expect_error no_section "no \[nosuch\] section" -config "$work/srv.cnf" -section nosuch
expect_error unknown_option "Unknown option" -config "" -nosuchoption

echo "== server_interop: $passed checks passed"
