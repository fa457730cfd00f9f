#!/usr/bin/env bash
# demo.sh [BUILD_DIR]: a short tour of what cmpkit can do so far.
# Makes a throwaway PKI (and a set of CMP messages) with the openssl CLI
# (tests/vectors/gen_vectors.sh), starts the bundled mock server
# (`cmpkit -port 0`), then enrolls (ir), updates (kur) and revokes (rr) a
# certificate with the cmpkit client, and prints the ir request and its ip
# response with `cmpkit -print`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
    /*) ;;
    *) build=$root/$build ;;
esac
cmpkit=$build/cmpkit

heading() {
    printf '\n==== %s\n\n' "$*"
}

if [ ! -x "$cmpkit" ]; then
    echo "demo: $cmpkit not found; run 'make build' first" >&2
    exit 1
fi

vec=$(mktemp -d "${TMPDIR:-/tmp}/cmpkit-demo.XXXXXX")
srv_pid=
cleanup() {
    if [ -n "$srv_pid" ]; then
        kill "$srv_pid" 2>/dev/null || true
        wait "$srv_pid" 2>/dev/null || true
    fi
    rm -rf "$vec"
}
trap cleanup EXIT

heading "1. A throwaway PKI and CMP messages made with openssl into $vec"
bash "$root/tests/vectors/gen_vectors.sh" "$vec"

pki=$vec/pki
work=$vec/demo
mkdir -p "$work"
ref=$(cat "$vec/ref.txt")
secret="file:$vec/secret.txt"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

heading "2. Starting the bundled mock server: cmpkit -port 0"
"$cmpkit" -config "" -port 0 -verbosity 4 \
    -srv_cert "$pki/server.crt" -srv_key "$pki/server.key" \
    -srv_secret "$secret" -srv_ref "$ref" -srv_trusted "$pki/root.crt" \
    -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" \
    -rsp_capubs "$pki/root.crt" >"$work/server.log" 2>&1 &
srv_pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*$/\1/p' "$work/server.log" | head -n 1)
    [ -n "$port" ] && break
    sleep 0.05
done
if [ -z "$port" ]; then
    cat "$work/server.log" >&2
    echo "demo: the mock server did not start" >&2
    exit 1
fi
echo "listening on 127.0.0.1:$port"

status=0
# client NAME ARGS...: the cmpkit client against the mock server
client() {
    local name=$1
    shift
    echo "\$ cmpkit -cmd $name ..."
    if ! "$cmpkit" -config "" -server "127.0.0.1:$port" -trusted "$pki/root.crt" \
        -untrusted "$pki/server.crt" "$@"; then
        echo "demo: 'cmpkit -cmd $name' failed" >&2
        status=1
    fi
}

heading "3. Enrolling a certificate (ir, MAC-protected with a shared secret)"
client ir -cmd ir -ref "$ref" -secret "$secret" -newkey "$pki/ee.key" \
    -subject "/CN=cmpkit Test EE" -out_trusted "$pki/root.crt" \
    -certout "$work/ee.crt" -cacertsout "$work/capubs.crt" -reqout "$work/ir.der" \
    -rspout "$work/ip.der"
if [ -s "$work/ee.crt" ]; then
    openssl x509 -in "$work/ee.crt" -noout -subject -issuer -serial
fi

heading "4. Updating it (kur, signed with the certificate just enrolled)"
client kur -cmd kur -cert "$work/ee.crt" -key "$pki/ee.key" -newkey "$pki/ee.key" \
    -out_trusted "$pki/root.crt" -certout "$work/ee-updated.crt"

heading "5. Revoking it (rr, reason keyCompromise)"
client rr -cmd rr -cert "$work/ee.crt" -key "$pki/ee.key" -oldcert "$work/ee-updated.crt" \
    -revreason 1

for f in "$work/ir.der" "$work/ip.der"; do
    heading "6. cmpkit -print $(basename "$f")"
    if [ ! -s "$f" ] || ! "$cmpkit" -print "$f"; then
        echo "demo: 'cmpkit -print $f' failed" >&2
        status=1
    fi
done

heading "Done"
if [ "$status" -eq 0 ]; then
    echo "cmpkit's client enrolled, updated and revoked a certificate at cmpkit's mock"
    echo "server, and cmpkit printed the ir request and its ip response."
else
    echo "something failed (see above)."
fi
exit "$status"
