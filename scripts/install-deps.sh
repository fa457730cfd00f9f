#!/usr/bin/env bash
# Installs the Debian 12 packages cmpkit needs to build, test and fuzz.
# Only missing packages are installed; when everything is present, apt-get
# is not run at all.
set -euo pipefail

packages=(
    build-essential      # gcc, make, libc headers
    cmake                # build system (ctest runs the tests)
    clang                # sanitizer + libFuzzer build (make test)
    libclang-rt-dev      # compiler-rt: libclang_rt.fuzzer, asan, ubsan (-> libclang-rt-14-dev)
    llvm                 # llvm-symbolizer for sanitizer stack traces
    openssl              # the openssl CLI: test PKI, interop peer, vector generator
    libssl-dev           # libcrypto/libssl headers (crypto, X.509, TLS)
    libcurl4-openssl-dev # HTTPS and proxied client transfers (dlopen)
    libmicrohttpd-dev    # HTTP server (listener, dlopen)
    libsqlite3-dev       # server state (CA mode)
    python3              # test helpers (openssl-suite runner)
    pkg-config           # locating libcurl/libmicrohttpd/sqlite3
)

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != "install ok installed" ]; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    echo "install-deps: all ${#packages[@]} packages are installed"
    exit 0
fi

echo "install-deps: missing packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: not running as root; install them with:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
