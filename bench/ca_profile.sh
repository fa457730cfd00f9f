#!/usr/bin/env bash
# bench/ca_profile.sh [BUILD_DIR]
#
# The CA server's CPU per certificate as instructions, which the load of a
# shared machine does not change: the server (`cmpkit -port` with -ca_*)
# runs under valgrind's callgrind while bench/server's load generator makes
# N1, then in a second server N2, ir + certConf transactions; the
# difference over N2 - N1 is the instructions per certificate, start-up and
# shut-down cancelled out. Prints that per case and, with TOP=n, the n
# functions of the second run with the most inclusive instructions
# (callgrind_annotate), so that a change can be judged before it is timed
# with bench/ca.sh.
#
# Environment (defaults in brackets):
#   CASES ["p256:pbm:reuse p256:pbm:fresh p256:sig rsa2048:pbm:reuse"]
#         key:protection[:salt]; salt reuse: the client keeps its PBM salt
#         (--reuse-salt), fresh: a new salt in every message
#   N1 [50], N2 [250], CLIENTS [4], TOP [0]
#   OUT [unset]  copy the second run's callgrind file of each case to OUT.<case>
#
# Not a test; needs valgrind.
set -euo pipefail

die() {
    echo "ca_profile.sh: error: $*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory ${1:-$here/../build}"
cmpkit=$build/cmpkit
gen=$build/bench/server
[ -x "$cmpkit" ] && [ -x "$gen" ] || die "$cmpkit or $gen not built"
command -v valgrind >/dev/null || die "valgrind is not installed"
command -v callgrind_annotate >/dev/null || die "callgrind_annotate is not installed"
# shellcheck source=../tests/interop/ca_lib.sh
. "$here/../tests/interop/ca_lib.sh"

CASES=${CASES:-"p256:pbm:reuse p256:pbm:fresh p256:sig rsa2048:pbm:reuse"}
N1=${N1:-50}
N2=${N2:-250}
CLIENTS=${CLIENTS:-4}
TOP=${TOP:-0}

work=$(mktemp -d "$build/ca-profile-XXXXXX")
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

mkdir pki
ca_make pki/server.key pki/server.crt "/CN=cmpkit Profile CA"
printf 'profile-enrollment-secret\n' >secret.txt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out pki/client.key 2>/dev/null

# serve DB OUT: the CA under callgrind; sets $port and $spid
serve() {
    valgrind --tool=callgrind --callgrind-out-file="$2" -q \
        "$cmpkit" -config "" -port 127.0.0.1:0 -ca_cert pki/server.crt -ca_key pki/server.key \
        -ca_db "$1" -srv_threads 4 -verbosity 3 >server.out 2>server.err &
    ca_wait_accept server.out $! || sleep 5
    ca_wait_accept server.out $! || die "the CA did not start: $(cat server.err)"
}
# stop: SIGTERM, the server ends cleanly and callgrind writes its file
stop() {
    kill "$spid"
    while kill -0 "$spid" 2>/dev/null; do sleep 0.2; done
    spid=
}
# total FILE: the instructions of a callgrind file
total() { callgrind_annotate "$1" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,; }

# run KEY PROT SALT N OUT: a fresh database, the client certificate, N transactions
run() {
    local key=$1 prot=$2 salt=$3 n=$4 out=$5 db reuse=()
    db=$work/ca-$RANDOM.db
    "$cmpkit" -config "" -ca_db "$db" -ca_admin secret-add -ref prof -secret file:secret.txt \
        >/dev/null || die "secret-add"
    serve "$db" "$out"
    if [ ! -s pki/client.crt ] || [ "$prot" = sig ]; then
        "$cmpkit" -config "" -cmd ir -server "127.0.0.1:$port" -ref prof -secret file:secret.txt \
            -recipient "/CN=cmpkit Profile CA" -newkey pki/client.key \
            -subject "/CN=cmpkit profile client" -certout pki/client.crt -verbosity 3 ||
            die "cannot enroll the client certificate"
    fi
    [ "$salt" = reuse ] && reuse=(--reuse-salt)
    "$gen" --url "http://127.0.0.1:$port/pkix/" --pki pki --secret secret.txt --ref prof \
        --prot "$prot" --key "$key" --clients "$CLIENTS" --count "$n" --warmup 0 "${reuse[@]}" \
        --timeout 120 --label "$key-$prot-$n" >gen.out 2>&1 || die "generator: $(tail -3 gen.out)"
    grep -q " ok=$n " gen.out || die "not every transaction succeeded: $(grep RESULT gen.out)"
    stop
}

echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $N1 and $N2 certificates per case"
printf '%-22s %18s\n' case "instructions/cert"
for c in $CASES; do
    IFS=: read -r key prot salt <<<"$c"
    salt=${salt:-reuse}
    run "$key" "$prot" "$salt" "$N1" cg1.out
    run "$key" "$prot" "$salt" "$N2" cg2.out
    a=$(total cg1.out)
    b=$(total cg2.out)
    printf '%-22s %18s\n' "$c" "$(((b - a) / (N2 - N1)))"
    [ -n "${OUT:-}" ] && cp cg2.out "$OUT.${c//:/-}"
    if [ "$TOP" -gt 0 ]; then
        callgrind_annotate --inclusive=yes cg2.out 2>/dev/null | sed -n '/^ *Ir/,$p' | sed -n "3,$((TOP + 2))p"
    fi
done
