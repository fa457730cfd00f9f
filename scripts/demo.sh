#!/usr/bin/env bash
# demo.sh [BUILD_DIR]: cmpkit as a CA and as its client, in ten steps.
#
# Makes a throwaway CA with the openssl CLI, runs `cmpkit` as a CMP server
# that issues certificates (-ca_cert, -ca_key, -ca_db), enrolls a new key
# with the cmpkit client, checks the certificate with `openssl verify`,
# updates the key, revokes the certificate and fetches the CRL that lists
# it. Each command is printed in full before it runs, from the demo's
# folder, so that it can be copied.
#
# The files are deleted at the end unless KEEP=1 or DEMO_DIR=FOLDER is
# given (DEMO_DIR: use that folder, which must be empty or absent, and keep
# it): `KEEP=1 make demo`, `make demo DEMO_DIR=/tmp/cmpkit-demo`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-build}
case "$build" in
    /*) ;;
    *) build=$root/$build ;;
esac
if [ ! -x "$build/cmpkit" ]; then
    echo "demo: $build/cmpkit not found; run 'make build' first" >&2
    exit 1
fi
for tool in openssl curl; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is not installed" >&2; exit 1; }
done

keep=${KEEP:-}
if [ -n "${DEMO_DIR:-}" ]; then
    dir=$DEMO_DIR
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
        echo "demo: DEMO_DIR $dir is not empty" >&2
        exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    keep=1
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cmpkit-demo.XXXXXX")
fi
cd "$dir"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY OPENSSL_CONF
export PATH="$build:$PATH"

srv_pid=
step=0
cleanup() {
    local rc=$?
    if [ -n "$srv_pid" ]; then
        kill "$srv_pid" 2>/dev/null || true
        wait "$srv_pid" 2>/dev/null || true
    fi
    if [ -n "$keep" ]; then
        echo
        echo "The files are kept in $dir"
    else
        cd /
        rm -rf "$dir"
    fi
    exit "$rc"
}
trap cleanup EXIT

# step TEXT: a numbered heading with what the step does
step() {
    step=$((step + 1))
    printf '\n%d. %s\n' "$step" "$*"
}
# cmdline ARGS...: the command as it can be typed (shell-quoted where needed)
cmdline() {
    local out="" a sep=""
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then
            out+="$sep$a"
        else
            out+="$sep'${a//\'/\'\\\'\'}'"
        fi
        sep=" "
    done
    printf '%s' "$out"
}
# show ARGS...: prints the command
show() {
    printf '$ %s\n' "$(cmdline "$@")"
}
# pipeline TEXT: prints a shell pipeline and runs it
pipeline() {
    printf '$ %s\n' "$1"
    bash -c "set -o pipefail; $1" || { echo "demo: the command above failed" >&2; exit 1; }
}
# run ARGS...: prints the command, runs it, stops the demo if it fails
run() {
    show "$@"
    "$@" || { echo "demo: the command above failed (exit status $?)" >&2; exit 1; }
}
# quiet ARGS...: as run, its output only if it fails
quiet() {
    local out
    show "$@"
    out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; echo "demo: the command above failed" >&2; exit 1; }
}

echo "cmpkit demo: a CA and its client on this machine, in $dir"
echo "Every command runs in that folder, with $build first in PATH."

step "Make a throwaway CA: an EC P-256 key and a self-signed certificate (openssl)."
quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -out ca.crt -subj "/CN=Demo CA/O=cmpkit demo" -days 30 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"

step "Start cmpkit as a CA on a free port; its state goes to ca.db, its audit lines to audit.log."
printf '$ %s >server.log 2>&1 &\n' "$(cmdline cmpkit -config "" -port 127.0.0.1:0 -ca_cert ca.crt \
    -ca_key ca.key -ca_db ca.db -ca_audit audit.log)"
cmpkit -config "" -port 127.0.0.1:0 -ca_cert ca.crt -ca_key ca.key -ca_db ca.db \
    -ca_audit audit.log >server.log 2>&1 &
srv_pid=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*$/\1/p' server.log | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$srv_pid" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$port" ]; then
    cat server.log >&2
    echo "demo: the CA server did not start" >&2
    exit 1
fi
echo "The CA listens on 127.0.0.1:$port (its log: server.log)."
server=127.0.0.1:$port

step "Give device1 a one-time enrollment secret (the CA's database, while the server runs)."
run cmpkit -config "" -ca_db ca.db -ca_admin secret-add -ref device1 -secret pass:demo-secret \
    -ca_one_time

step "Make the device's new key pair (openssl)."
quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out device.key

step "Enroll it: an ir protected with the secret; the CA issues device.crt."
run cmpkit -config "" -server "$server" -cmd ir -ref device1 -secret pass:demo-secret \
    -recipient "/CN=Demo CA/O=cmpkit demo" -newkey device.key -subject "/CN=device1" \
    -certout device.crt

step "Check the certificate against the CA certificate (openssl)."
run openssl verify -CAfile ca.crt device.crt
run openssl x509 -in device.crt -noout -subject -serial -enddate

step "Update the key: a kur signed with device.crt; the CA supersedes the old certificate."
quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out device2.key
run cmpkit -config "" -server "$server" -cmd kur -cert device.crt -key device.key \
    -trusted ca.crt -newkey device2.key -certout device2.crt
run openssl x509 -in device2.crt -noout -subject -serial

step "Revoke the new certificate (rr, reason keyCompromise), signed with it."
run cmpkit -config "" -server "$server" -cmd rr -cert device2.crt -key device2.key \
    -oldcert device2.crt -trusted ca.crt -revreason 1

step "Fetch the CRL (GET /crl) and check its signature: it lists both serials above."
run curl -s -o ca.crl "http://$server/crl"
run openssl crl -inform DER -in ca.crl -CAfile ca.crt -noout -crlnumber
pipeline "openssl crl -inform DER -in ca.crl -noout -text | grep -A2 'Serial Number'"
serials=$(openssl crl -inform DER -in ca.crl -noout -text | sed -n 's/^ *Serial Number: //p')
revoked=$(openssl x509 -in device2.crt -noout -serial | cut -d= -f2)
superseded=$(openssl x509 -in device.crt -noout -serial | cut -d= -f2)
grep -qx "$revoked" <<<"$serials" || { echo "demo: $revoked is not on the CRL" >&2; exit 1; }
grep -qx "$superseded" <<<"$serials" || { echo "demo: $superseded is not on the CRL" >&2; exit 1; }
echo "device2.crt ($revoked) is revoked; device.crt ($superseded) was superseded by the update."

step "What the CA's database and audit log say."
run cmpkit -config "" -ca_db ca.db -ca_admin list
run cat audit.log

echo
echo "Done: cmpkit issued, updated and revoked a certificate and published the CRL."
