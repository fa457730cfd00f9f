#!/usr/bin/env bash
# demo.sh [BUILD_DIR]: a short tour of what cmpkit can do so far.
# Generates a fresh set of CMP messages with the openssl CLI
# (tests/vectors/gen_vectors.sh) and prints an ir request and its ip response
# with `cmpkit -print`.
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
trap 'rm -rf "$vec"' EXIT

heading "1. Generating CMP messages with openssl cmp (client and mock server) into $vec"
bash "$root/tests/vectors/gen_vectors.sh" "$vec"

status=0
for f in ir_pbm_1_ir.der ir_pbm_2_ip.der; do
    heading "2. cmpkit -print $f"
    if ! "$cmpkit" -print "$vec/$f"; then
        echo "demo: 'cmpkit -print $f' failed" >&2
        status=1
    fi
done

heading "Done"
if [ "$status" -eq 0 ]; then
    echo "cmpkit decoded and printed the ir request and its ip response."
else
    echo "cmpkit -print failed (see above)."
fi
exit "$status"
