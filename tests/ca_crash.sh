#!/usr/bin/env bash
# ca_crash.sh CMPKIT WORKDIR [KILLS]
#
# The CA loses nothing on kill -9. CLIENTS cmpkit client processes enroll
# (ir + certConf, MAC-protected with an enrollment secret) against one
# `cmpkit -port` CA, back to back, while the server is killed with SIGKILL
# at KILLS (default 24) random moments, 0.1 to 0.7 s apart, and restarted on
# the same port (on a fresh ephemeral one if that is taken meanwhile). A
# client saves its certificate (-certout) only after the pkiConf, that is,
# after the server committed the confirmation. Afterwards, with the
# server running past the confirmation timeout (2 s, profile "crash") so
# that its timer rejects what a kill left waiting:
#
#   - every certificate a client saved is in the database as confirmed;
#   - no serial appears twice;
#   - `-ca_admin check` (SQLite's PRAGMA integrity_check) says ok;
#   - no certificate is left waiting.
#
# Runs in well under a minute; every command is time-bound.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 CMPKIT WORKDIR [KILLS]" >&2
    exit 2
fi
cmpkit=$1
work=$2
kills=${3:-24}
clients=4

die() {
    echo "ca_crash: FAIL: $*" >&2
    exit 1
}

[ -x "$cmpkit" ] || die "$cmpkit is not executable"
# shellcheck source=interop/ca_lib.sh
. "$(dirname "$0")/interop/ca_lib.sh"
command -v openssl >/dev/null || die "the openssl CLI is not installed"
command -v python3 >/dev/null || die "python3 is not installed"

rm -rf "$work"
mkdir -p "$work/certs"
work=$(cd "$work" && pwd)
cd "$work"

tpid=
client_pids=()
cleanup() {
    local p
    [ -n "$tpid" ] && kill -9 "$tpid" 2>/dev/null || true
    for p in "${client_pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ca_make ca.key ca.crt "/CN=cmpkit Crash CA"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ee.key 2>/dev/null
cat >ca.cnf <<EOF
[crash]
confirm_timeout = 2
EOF
ca_opts=(-config ca.cnf -ca_cert ca.crt -ca_key ca.key -ca_db "$work/ca.db" -ca_profiles crash
    -ca_audit "$work/audit.log" -verbosity 3)
"$cmpkit" -config "" -ca_db "$work/ca.db" -ca_admin secret-add -ref crash \
    -secret pass:crash-secret >/dev/null || die "secret-add"

# start_server [PORT]: the CA on PORT (0: a free one); sets $port and $tpid
port=0
start_server() {
    local want=$1
    : >server.out
    # the kills are the point: the server gets no timeout wrapper that would survive them
    "$cmpkit" "${ca_opts[@]}" -port "127.0.0.1:$want" >server.out 2>>server.err &
    tpid=$!
    ca_wait_accept server.out "$tpid" || return 1
    echo "$port" >port.tmp && mv port.tmp port
}

start_server 0 || die "the CA did not start: $(tail -3 server.err)"

# the clients: enroll until told to stop, each certificate in its own file
client() {
    local id=$1 n=0 p
    while [ ! -e stop ]; do
        n=$((n + 1))
        p=$(cat port)
        timeout 20 "$cmpkit" -config "" -cmd ir -server "127.0.0.1:$p" -ref crash \
            -secret pass:crash-secret -recipient "/CN=cmpkit Crash CA" -newkey ee.key \
            -subject "/CN=crash $id-$n" -certout "certs/$id-$n.pem" -msg_timeout 5 \
            -verbosity 0 >/dev/null 2>&1 || true
    done
}
for c in $(seq 1 "$clients"); do
    client "$c" &
    client_pids+=("$!")
done

start=$(date +%s)
for k in $(seq 1 "$kills"); do
    sleep "0.$((RANDOM % 6 + 1))$((RANDOM % 10))"
    kill -9 "$tpid" 2>/dev/null || die "the server died before kill $k: $(tail -3 server.err)"
    wait "$tpid" 2>/dev/null || true
    start_server "$port" || start_server 0 || die "restart $k failed: $(tail -3 server.err)"
done
touch stop
for p in "${client_pids[@]}"; do
    wait "$p" || true
done
client_pids=()
elapsed=$(($(date +%s) - start))

# past the confirmation timeout, the server's timer rejects what waits
sleep 3.5
kill -TERM "$tpid"
wait "$tpid" || die "the CA did not stop cleanly: $(tail -3 server.err)"
tpid=

admin() {
    timeout 30 "$cmpkit" -config "" -ca_db "$work/ca.db" -ca_admin "$@"
}
admin check >check.txt || die "-ca_admin check: $(cat check.txt)"
grep -q '^integrity ok' check.txt || die "integrity: $(cat check.txt)"
admin list -ca_json >list.json || die "-ca_admin list"
saved=$(ls certs | wc -l)
[ "$saved" -gt 0 ] || die "no client saved a certificate"
python3 - "$work" "$kills" "$elapsed" <<'EOF' || die "the database does not match"
import base64, glob, json, sys
work, kills, elapsed = sys.argv[1], sys.argv[2], sys.argv[3]

def tlv(d, i):
    """(tag, start of contents, end) of the DER element at d[i]"""
    tag, n = d[i], d[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(d[i:i + k], "big")
        i += k
    return tag, i, i + n

def serial_of(path):
    """the serialNumber of a PEM certificate, as upper-case hex (RFC 5280 4.1)"""
    pem = open(path).read()
    b64 = pem.split("-----BEGIN CERTIFICATE-----")[1].split("-----END CERTIFICATE-----")[0]
    d = base64.b64decode("".join(b64.split()))
    _, c, _ = tlv(d, 0)            # Certificate
    _, t, _ = tlv(d, c)            # tbsCertificate
    tag, v, e = tlv(d, t)
    if tag == 0xA0:                # version [0]
        tag, v, e = tlv(d, e)
    assert tag == 0x02, path
    return d[v:e].hex().upper()

rows = [json.loads(l) for l in open(work + "/list.json")]
by_serial = {}
for r in rows:
    s = r["serial"].upper()
    assert s not in by_serial, "serial %s appears twice" % s
    by_serial[s] = r
saved = [serial_of(f) for f in glob.glob(work + "/certs/*.pem")]
for s in saved:
    assert s in by_serial, "saved certificate %s is not in the database" % s
    assert by_serial[s]["status"] == "confirmed", "saved certificate %s is %s" % (s, by_serial[s]["status"])
waiting = [r for r in rows if r["status"] == "waiting"]
assert not waiting, "%d certificates still waiting" % len(waiting)
st = {}
for r in rows:
    st[r["status"]] = st.get(r["status"], 0) + 1
print("ca_crash: %s kills in %s s; %d certificates saved by the clients, all confirmed; "
      "database: %d certificates %s, no serial twice, integrity ok, none waiting"
      % (kills, elapsed, len(saved), len(rows), st))
EOF
