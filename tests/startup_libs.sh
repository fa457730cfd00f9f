#!/usr/bin/env bash
# tests/startup_libs.sh CMPKIT: the cmpkit binary does not load libcurl,
# libmicrohttpd (with the thirty-odd libraries behind them) or libsqlite3
# (the CA's store, lib/ca/store_sqlite.c) at start-up.
# lib/transfer/http.c loads libcurl for HTTPS and proxies only, the server
# mode's listener loads libmicrohttpd; bench/client.sh's CPU and memory
# targets against `openssl cmp` depend on it (README, "Dependencies").
set -euo pipefail

cmpkit=${1:?usage: startup_libs.sh CMPKIT}
fail=0

command -v readelf >/dev/null || { echo "readelf (binutils) is missing"; exit 1; }
needed=$(readelf -d "$cmpkit" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "NEEDED: $(echo $needed)"
for lib in libcurl libmicrohttpd libgnutls libsqlite3; do
    if grep -q "^$lib" <<<"$needed"; then
        echo "FAIL: $cmpkit links $lib"
        fail=1
    fi
done

# What the dynamic loader actually maps for a client run (-version exits early).
loaded=$(LD_DEBUG=libs "$cmpkit" -version 2>&1 >/dev/null | sed -n 's/.*calling init: //p')
echo "initialized: $(echo $loaded)"
for lib in libcurl libmicrohttpd libgnutls libldap libssh2 libnghttp2 libsqlite3; do
    if grep -q "/$lib" <<<"$loaded"; then
        echo "FAIL: cmpkit -version loads $lib"
        fail=1
    fi
done
[ -n "$loaded" ] || { echo "FAIL: LD_DEBUG=libs printed no library (cannot check)"; fail=1; }
exit $fail
