#!/usr/bin/env bash
# install_examples.sh BUILD SRC LIBDIR CC CFLAGS WORKDIR
#
# Installs the build in BUILD as a user gets it and uses it as a user would:
#
#   1. `cmake --install` with DESTDIR (what `make install DESTDIR=...` runs):
#      every file lands under DESTDIR/prefix, nothing elsewhere; the layout;
#      the public headers and nothing of lib/; cmpkit.pc names the prefix;
#   2. an install into WORKDIR/prefix: libcmpkit.so's soname, links and
#      exported symbols; every public header compiles alone and all together
#      with -Werror (and as C++);
#   3. the examples (share/doc/cmpkit/examples) built with
#      `pkg-config --cflags --libs cmpkit` alone and -Wl,-rpath, without
#      LD_LIBRARY_PATH, and with the CMake package (find_package(cmpkit),
#      shared and static);
#   4. a throwaway PKI made with openssl; enroll (PBM and signature) and
#      revoke against the installed `cmpkit -port 0` mock server and against
#      the example server (the engine behind its own HTTP loop): the saved
#      certificate must be the one the server hands out; a wrong secret fails.
#
# LIBDIR is CMAKE_INSTALL_LIBDIR; CC and CFLAGS build the examples (CFLAGS
# carries the sanitizer flags of a sanitized BUILD, whose library needs them).
# Every command is time-bound; servers are stopped on exit.
set -euo pipefail

if [ "$#" -ne 6 ]; then
    echo "usage: $0 BUILD SRC LIBDIR CC CFLAGS WORKDIR" >&2
    exit 2
fi
build=$1
src=$2
libdir=$3
cc=$4
read -r -a cflags <<<"$5"
work=$6
t0=$(date +%s%N)

die() {
    echo "install_examples: FAIL: $*" >&2
    exit 1
}
passed=0
ok() {
    passed=$((passed + 1))
    printf '   ok  %s\n' "$*"
}

for tool in cmake pkg-config readelf nm openssl "$cc"; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
# Nothing may come from the build tree at run time.
unset LD_LIBRARY_PATH

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

version=$(sed -n 's/^#define CMPKIT_VERSION_STRING "\(.*\)"$/\1/p' \
    "$build/include/cmpkit/version.h")
[ -n "$version" ] || die "no CMPKIT_VERSION_STRING in $build/include/cmpkit/version.h"

# ---- 1. a staged install ----------------------------------------------------------
echo "== cmake --install $build with DESTDIR (cmpkit $version)"
stage=$work/stage
sprefix=/opt/cmpkit-test
DESTDIR=$stage timeout 60 cmake --install "$build" --prefix "$sprefix" >"$work/stage.log" ||
    { cat "$work/stage.log" >&2; die "staged install failed"; }
outside=$(find "$stage" \( -type f -o -type l \) ! -path "$stage$sprefix/*")
[ -z "$outside" ] || die "installed outside DESTDIR/prefix: $outside"
root=$stage$sprefix
for f in bin/cmpkit "$libdir/libcmpkit.so.$version" "$libdir/libcmpkit.a" \
    "$libdir/pkgconfig/cmpkit.pc" "$libdir/cmake/cmpkit/cmpkitConfig.cmake" \
    "$libdir/cmake/cmpkit/cmpkitConfigVersion.cmake" "$libdir/cmake/cmpkit/cmpkitTargets.cmake" \
    share/man/man1/cmpkit.1 share/doc/cmpkit/API.md share/doc/cmpkit/examples/enroll.c \
    share/doc/cmpkit/contrib/cmpkit-server.service; do
    [ -f "$root/$f" ] || die "not installed: $f"
done
[ -x "$root/bin/cmpkit" ] || die "bin/cmpkit is not executable"
ok "staged under DESTDIR$sprefix only, with binary, libraries, package files, man page, docs"

# Public headers only: exactly include/cmpkit/*.h of the source, plus the generated version.h.
want=$( (cd "$src/include/cmpkit" && ls -- *.h; echo version.h) | sort -u)
have=$(cd "$root/include/cmpkit" && ls)
[ "$want" = "$have" ] || die "installed headers differ from the public ones:
$(diff <(echo "$want") <(echo "$have"))"
[ -z "$(find "$root/include" -mindepth 1 ! -path "$root/include/cmpkit" ! -path "$root/include/cmpkit/*")" ] ||
    die "something besides include/cmpkit was installed under include/"
ok "headers: $(echo $have)"

# The exported targets show the installed include/ only, and the CLI (which
# links cmpkit_static in the build tree) is compiled without lib/.
incs=$(sed -n 's/^ *INTERFACE_INCLUDE_DIRECTORIES "\(.*\)"$/\1/p' \
    "$root/$libdir/cmake/cmpkit/cmpkitTargets.cmake" | sort -u)
[ "$incs" = '${_IMPORT_PREFIX}/include' ] || die "exported include directories: $incs"
python3 - "$build/compile_commands.json" "$src" <<'PY' || die "the CLI is compiled with lib/ in its include path"
import json, os, sys
src = os.path.realpath(sys.argv[2])
# Only the CLI's own objects: tests and fuzzers may compile apps/ files with lib/.
bad = [c["file"] for c in json.load(open(sys.argv[1]))
       if "CMakeFiles/cmpkit.dir/" in c.get("output", c["command"])
       and ("-I" + src + "/lib ") in c["command"] + " "]
sys.exit(1 if bad else 0)
PY
ok "include paths: the exported targets and the CLI see include/ only, not lib/"

grep -qx "prefix=$sprefix" "$root/$libdir/pkgconfig/cmpkit.pc" ||
    die "cmpkit.pc does not name the prefix $sprefix: $(cat "$root/$libdir/pkgconfig/cmpkit.pc")"
ok "cmpkit.pc: prefix=$sprefix (DESTDIR is not part of it)"

# ---- 2. the installed library and headers -------------------------------------------
echo "== cmake --install $build --prefix $work/prefix"
prefix=$work/prefix
timeout 60 cmake --install "$build" --prefix "$prefix" >"$work/install.log" ||
    { cat "$work/install.log" >&2; die "install failed"; }
lib=$prefix/$libdir
export PKG_CONFIG_PATH=$lib/pkgconfig

soname=$(readelf -d "$lib/libcmpkit.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] || die "libcmpkit.so.$version has no soname"
[[ "$soname" =~ ^libcmpkit\.so\.[0-9]+$ ]] || die "unexpected soname $soname"
[ "$(readlink "$lib/$soname")" = "libcmpkit.so.$version" ] ||
    die "$soname does not link to libcmpkit.so.$version"
[ "$(readlink "$lib/libcmpkit.so")" = "$soname" ] || die "libcmpkit.so does not link to $soname"
ok "soname $soname; libcmpkit.so -> $soname -> libcmpkit.so.$version"

# Only the API is exported (CMP_API; -fvisibility=hidden keeps lib/'s symbols in).
exported=$(nm -D --defined-only "$lib/libcmpkit.so.$version" | awk '$2 == "T" { print $3 }')
for s in cmp_version cmp_version_string cmp_http_opts_init cmp_ctx_new cmp_srv_handle; do
    grep -qx "$s" <<<"$exported" || die "libcmpkit.so does not export $s"
done
stray=$(grep -v '^cmp_' <<<"$exported" | grep -v '^_' || true)
[ -z "$stray" ] || die "libcmpkit.so exports functions outside the API: $(echo $stray)"
ok "libcmpkit.so exports $(wc -l <<<"$exported") functions, all cmp_*"

[ "$(pkg-config --modversion cmpkit)" = "$version" ] || die "pkg-config --modversion cmpkit"
pc_flags=$(pkg-config --cflags --libs cmpkit)
ok "pkg-config --cflags --libs cmpkit: $pc_flags"

# Each public header alone, then all of them, with -Werror and nothing but pkg-config's flags.
all=$work/all_headers.c
: >"$all"
for h in "$prefix"/include/cmpkit/*.h; do
    h=cmpkit/${h##*/}
    printf '#include <%s>\n' "$h" >>"$all"
    printf '#include <%s>\nint cmpkit_header_check;\n' "$h" |
        "$cc" -x c -std=c11 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags cmpkit) \
            -fsyntax-only - || die "$h does not compile alone"
done
printf 'int main(void) { return CMPKIT_VERSION_NUMBER == cmp_version() ? 0 : 1; }\n' >>"$all"
"$cc" "${cflags[@]}" -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$work/all_headers" "$all" \
    $pc_flags -Wl,-rpath,"$lib" || die "all public headers together do not compile"
"$work/all_headers" || die "CMPKIT_VERSION_NUMBER differs from cmp_version()"
if command -v c++ >/dev/null; then
    c++ -x c++ -Wall -Wextra -Werror $(pkg-config --cflags cmpkit) -fsyntax-only "$all" ||
        die "the public headers do not compile as C++"
fi
ok "every public header compiles alone and together (C11, -Wpedantic -Werror; C++)"

# ---- 3. the examples --------------------------------------------------------------
echo "== examples built with pkg-config alone and with the CMake package"
ex=$prefix/share/doc/cmpkit/examples
for x in enroll revoke server; do
    "$cc" "${cflags[@]}" -Wall -Wextra -Werror -o "$work/$x" "$ex/$x.c" "$ex/common.c" \
        $pc_flags -Wl,-rpath,"$lib" || die "example $x does not build"
    resolved=$(ldd "$work/$x" | awk '$1 ~ /^libcmpkit/ { print $3 }')
    [ "$resolved" = "$lib/$soname" ] || die "$x loads libcmpkit from '$resolved', not $lib"
    [ "$("$work/$x" -version)" = "$x: libcmpkit $version (built with $version)" ] ||
        die "$x -version: $("$work/$x" -version)"
done
ok "enroll, revoke, server: built, libcmpkit from $lib, -version $version"

timeout 120 cmake -S "$ex" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${cflags[*]}" \
    -DCMAKE_EXE_LINKER_FLAGS="${cflags[*]}" >"$work/cmake-examples.log" 2>&1 &&
    timeout 120 cmake --build "$work/cmake-build" >>"$work/cmake-examples.log" 2>&1 ||
    { cat "$work/cmake-examples.log" >&2; die "the examples do not build with find_package(cmpkit)"; }
readelf -d "$work/cmake-build/enroll_static" | grep -q 'NEEDED.*libcmpkit' &&
    die "enroll_static links libcmpkit.so"
ok "find_package(cmpkit): cmpkit::cmpkit and cmpkit::cmpkit_static"

# ---- 4. a throwaway PKI and two servers --------------------------------------------
pki=$work/pki
mkdir -p "$pki"
ossl() {
    timeout 20 openssl "$@" 2>>"$pki/openssl.log"
}
# cert NAME [CA]: an EC key and certificate for NAME, self-signed without CA.
cert() {
    local ca=() ext=(-addext "basicConstraints=critical,CA:FALSE"
        -addext "keyUsage=critical,digitalSignature")
    if [ "$#" -gt 1 ]; then
        ca=(-CA "$pki/$2.crt" -CAkey "$pki/$2.key")
    else
        ext=(-addext "basicConstraints=critical,CA:TRUE"
            -addext "keyUsage=critical,keyCertSign,cRLSign")
    fi
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/$1.key"
    ossl req -config /dev/null -x509 -new -key "$pki/$1.key" -subj "/CN=cmpkit install $1" \
        -days 2 "${ca[@]}" "${ext[@]}" -out "$pki/$1.crt"
}
cert root
for n in server client ee; do
    cert "$n" root
done
ossl verify -CAfile "$pki/root.crt" "$pki/server.crt" "$pki/client.crt" "$pki/ee.crt" >/dev/null ||
    die "the test PKI does not verify"
printf 'install-test-secret\n' >"$pki/secret"
ok "PKI: root, server, client, ee"

# The file names and the reference of contrib/cmpkit-server.cnf, which the
# mock server reads from $CREDENTIALS_DIRECTORY (systemd's LoadCredential=).
srv_opts=(-srv_ref cmpkit-server -srv_secret "file:$pki/secret" -srv_cert "$pki/server.crt"
    -srv_key "$pki/server.key" -srv_trusted "$pki/root.crt" -rsp_cert "$pki/ee.crt")

# serve NAME PATTERN CMD...: starts CMD and waits until its standard output has
# a line matching PATTERN, whose first group is the port; sets $port and $pid.
serve() {
    local name=$1 pattern=$2 line= i
    shift 2
    # No `timeout` wrapper: stop() signals the server itself (the EXIT trap
    # kills what is left).
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    pid=$!
    pids+=("$pid")
    for i in $(seq 1 200); do
        line=$(grep -m1 -E "$pattern" "$work/$name.out" || true)
        [ -n "$line" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$work/$name.err" >&2; die "$name exited at start"; }
        sleep 0.05
    done
    [[ "$line" =~ $pattern ]] || { cat "$work/$name.err" >&2; die "$name does not listen"; }
    port=${BASH_REMATCH[1]}
}

# stop NAME PID: SIGTERM, then the server must end with status 0 (a sanitizer
# report, a leak included, would make it non-zero).
stop() {
    local rc=0 i
    kill -TERM "$2"
    for i in $(seq 1 200); do
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$2" 2>/dev/null && die "$1 did not stop within 10 s of SIGTERM"
    wait "$2" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$work/$1.err" >&2; die "$1 exited with status $rc"; }
}

pbm=(-ref cmpkit-server -secret "file:$pki/secret")
sig=(-cert "$pki/client.crt" -key "$pki/client.key" -trusted "$pki/root.crt")

# run NAME EXPECT CMD...: EXPECT is 0 or 1, the exit status CMD must have.
run() {
    local name=$1 expect=$2 rc=0
    shift 2
    timeout 60 "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    [ "$rc" -eq "$expect" ] ||
        { cat "$work/$name.out" "$work/$name.err" >&2; die "$name: exit status $rc, expected $expect"; }
}

# clients LABEL URL ENROLL: enrollments with PBM and a signature, a wrong secret, a revocation.
clients() {
    local label=$1 url=$2 enroll=$3 p prot
    for p in pbm sig; do
        if [ "$p" = pbm ]; then prot=("${pbm[@]}"); else prot=("${sig[@]}"); fi
        rm -f "$work/new.crt"
        run "$label-ir-$p" 0 "$enroll" -server "$url" "${prot[@]}" -newkey "$pki/ee.key" \
            -subject "/CN=cmpkit install ee" -certout "$work/new.crt"
        cmp -s <(openssl x509 -in "$work/new.crt" -outform DER) \
            <(openssl x509 -in "$pki/ee.crt" -outform DER) ||
            die "$label-ir-$p: the saved certificate is not the server's -rsp_cert"
        grep -q "^enrolled /CN=cmpkit install ee, saved to $work/new.crt$" "$work/$label-ir-$p.out" ||
            die "$label-ir-$p: $(cat "$work/$label-ir-$p.out")"
    done
    rm -f "$work/new.crt"
    run "$label-ir-badsecret" 1 "$enroll" -server "$url" -ref cmpkit-server -secret pass:wrong \
        -newkey "$pki/ee.key" -subject "/CN=cmpkit install ee" -certout "$work/new.crt"
    [ ! -e "$work/new.crt" ] || die "$label-ir-badsecret saved a certificate"
    grep -q "enrollment failed" "$work/$label-ir-badsecret.err" ||
        die "$label-ir-badsecret: $(cat "$work/$label-ir-badsecret.err")"
    run "$label-rr" 0 "$work/revoke" -server "$url" "${pbm[@]}" -oldcert "$pki/ee.crt" -revreason 1
    grep -q "^revoked: PKIStatus: accepted" "$work/$label-rr.out" ||
        die "$label-rr: $(cat "$work/$label-rr.out")"
    ok "$label: enroll (PBM, signature: the saved certificate is -rsp_cert), a wrong secret fails, revoke"
}

echo "== against the installed cmpkit -port 0, configured by contrib/cmpkit-server.cnf"
contrib=$prefix/share/doc/cmpkit/contrib
serve mock '^ACCEPT .*:([0-9]+) PID=[0-9]+$' env CREDENTIALS_DIRECTORY="$pki" \
    "$prefix/bin/cmpkit" -config "$contrib/cmpkit-server.cnf" -section server -port 0
clients mock "http://127.0.0.1:$port/pkix/" "$work/enroll"
stop mock "$pid"

# The unit, pointed at this install, as systemd reads it (where systemd and man exist).
if command -v systemd-analyze >/dev/null && command -v man >/dev/null; then
    sed "s|/usr/local/bin/cmpkit|$prefix/bin/cmpkit|" "$contrib/cmpkit-server.service" \
        >"$work/cmpkit-server.service"
    MANPATH=$prefix/share/man timeout 30 systemd-analyze verify "$work/cmpkit-server.service" \
        >"$work/unit.log" 2>&1 || { cat "$work/unit.log" >&2; die "systemd-analyze verify"; }
    ok "contrib/cmpkit-server.service: systemd-analyze verify"
fi

echo "== against the example server (the engine behind its own HTTP loop)"
serve server '^listening on 127\.0\.0\.1:([0-9]+)$' "$work/server" -port 0 "${srv_opts[@]}"
clients server "http://127.0.0.1:$port/pkix/" "$work/enroll"
run server-ir-static 0 "$work/cmake-build/enroll_static" -server "127.0.0.1:$port" "${pbm[@]}" \
    -newkey "$pki/ee.key" -subject "/CN=cmpkit install ee" -certout "$work/new-static.crt"
cmp -s <(openssl x509 -in "$work/new-static.crt" -outform DER) \
    <(openssl x509 -in "$pki/ee.crt" -outform DER) ||
    die "enroll_static: the saved certificate is not -rsp_cert"
ok "server: enroll_static (cmpkit::cmpkit_static) enrolls"
# HTTP the engine never sees: a GET, and a POST of another content type.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /pkix/ HTTP/1.1\r\nHost: x\r\n\r\n' >&3
read -r -t 10 status <&3 || true
exec 3<&-
[[ "$status" == "HTTP/1.1 405 "* ]] || die "server: a GET got '$status'"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /pkix/ HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi' >&3
read -r -t 10 status <&3 || true
exec 3<&-
[[ "$status" == "HTTP/1.1 415 "* ]] || die "server: a text/plain POST got '$status'"
stop server "$pid"
grep -q "stopped after" "$work/server.err" || die "server: no 'stopped after' line"
ok "server: GET -> 405, text/plain -> 415; stops cleanly on SIGTERM"

echo "install_examples: $passed passed in $((($(date +%s%N) - t0) / 1000000)) ms"
