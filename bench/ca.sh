#!/usr/bin/env bash
# bench/ca.sh [BUILD_DIR]
#
# The CA benchmark (issue 12): certificates issued per second by the cmpkit
# CA (`cmpkit -port` with -ca_cert, -ca_key, -ca_db), each one an ir +
# certConf transaction with durable commits (the issuance and the
# confirmation each committed with fsync before the response leaves), for
#
#   - protection: PBM with an enrollment secret held in the CA's database
#     (looked up by senderKID per request), and ECDSA P-256 signatures by a
#     client certificate that the CA issued (found in its database);
#   - the requested key: EC P-256 and RSA-2048;
#   - 1, 16 and 64 concurrent clients (one HTTP connection each),
#   - the way clients connect (MODES): "keepalive", the clients of one
#     generator process each on its own kept-alive connection; "procs", as
#     many separate client processes, each opening a connection per
#     transaction (as devices running `openssl cmp` do),
#
# driven by the load generator of bench/server.sh (build/bench/server,
# libcurl multi, one thread) on the same machine. With "pbm" it derives its
# PBM key once and keeps its salt (--reuse-salt), as a device that keeps its
# PBMParameter does: the CA then derives the key once too (it keeps derived
# keys per secret, salt and iteration count); "pbmfresh" sends a new salt in
# every message (as openssl cmp does), so that the CA derives a key from
# each request (500 iterations).
# The CA key is P-256. The
# database lives under the build directory, so the disk measured is a real
# one (not tmpfs).
#
# Beside it, in the same run, the floor (build/bench/ca_floor): the disk's
# durable commits per second (grouped, 16 threads) and the CA's own signing
# and verifying per transaction. The floor printed per row is the lower of
#   commits:  durable records per second at 16 threads / 2 (two commits
#             per certificate: issued, confirmed), and
#   crypto:   2 cores / (the CA's public-key operations of one transaction:
#             certificate signing, POPO verifying, and with signatures also
#             verifying the ir and the certConf and signing the ip and the
#             pkiConf),
# and the table gives the share of it that was reached.
#
# Environment (defaults in brackets):
#   COUNT [3000]     certificates per measured phase
#   WARMUP [300]     transactions before each phase, not measured
#   CLIENTS ["1 16 64"], KEYS ["p256 rsa2048"], PROTS ["pbm pbmfresh sig"]
#   MODES ["keepalive"]  add "procs" for the process-per-client rows
#   PHASE_SECONDS [60], FLOOR_SECONDS [2]
#   THREADS [16]     the listener's threads (-srv_threads)
#   KEEP [unset]     keep the work directory
#
# Not a test: it prints figures, and the load of the machine before and
# after (it is shared), and never fails on them.
set -euo pipefail

die() {
    echo "ca.sh: error: $*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory ${1:-$here/../build}"
cmpkit=$build/cmpkit
gen=$build/bench/server
floor=$build/bench/ca_floor
[ -x "$cmpkit" ] || die "$cmpkit not built"
[ -x "$gen" ] || die "$gen not built (needs libcurl)"
[ -x "$floor" ] || die "$floor not built"
# shellcheck source=../tests/interop/ca_lib.sh
. "$here/../tests/interop/ca_lib.sh"
command -v openssl >/dev/null || die "the openssl CLI is not installed"

COUNT=${COUNT:-3000}
WARMUP=${WARMUP:-300}
CLIENTS=${CLIENTS:-"1 16 64"}
KEYS=${KEYS:-"p256 rsa2048"}
PROTS=${PROTS:-"pbm pbmfresh sig"}
PHASE_SECONDS=${PHASE_SECONDS:-60}
FLOOR_SECONDS=${FLOOR_SECONDS:-2}
THREADS=${THREADS:-16}
MODES=${MODES:-keepalive}

work=$(mktemp -d "$build/ca-bench-XXXXXX")
spid=
cleanup() {
    [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
    if [ -z "${KEEP:-}" ]; then
        rm -rf "$work"
    else
        echo "kept $work"
    fi
}
trap cleanup EXIT
cd "$work"

echo "== machine: $(nproc) cores, $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== cmpkit $("$cmpkit" -version | cut -d' ' -f2), $(openssl version)"

# ---- the floor -------------------------------------------------------------
"$floor" "$work" "$FLOOR_SECONDS" | tee floor.txt
rec16=$(sed -n 's/^ *16 threads *\([0-9]*\) records.*/\1/p' floor.txt)
p256_sign=$(sed -n 's/^ *P-256 *CA key: certificate signing *\([0-9]*\).*/\1/p' floor.txt)
p256_verify=$(sed -n 's/^ *P-256 *CA key:.*verifying *\([0-9]*\).*/\1/p' floor.txt)
rsa_verify=$(sed -n 's/^ *RSA-2048 *CA key:.*verifying *\([0-9]*\).*/\1/p' floor.txt)
[ -n "$rec16" ] && [ -n "$p256_sign" ] && [ -n "$p256_verify" ] && [ -n "$rsa_verify" ] ||
    die "cannot read the floor figures"

# floor KEY PROT: certificates per second
floor_of() {
    python3 - "$rec16" "$p256_sign" "$p256_verify" "$rsa_verify" "$1" "$2" "$(nproc)" <<'EOF'
import sys
rec16, sign, verify, rsa_verify = (float(x) for x in sys.argv[1:5])
key, prot, cores = sys.argv[5], sys.argv[6], int(sys.argv[7])
popo = 1 / (rsa_verify if key == "rsa2048" else verify)
t = 1 / sign + popo                      # certificate signed, POPO verified
if prot == "sig":
    t += 2 / verify + 2 / sign           # ir and certConf verified, ip and pkiConf signed
crypto = cores / t
commits = rec16 / 2
print("%d %d %d" % (min(crypto, commits), crypto, commits))
EOF
}

# ---- the CA ------------------------------------------------------------------
# Every client of the bench comes from 127.0.0.1: the per-address slot limit
# (-srv_max_conns_per_addr, 64 by default, meant for one device or one NAT)
# is raised to the total, or the 64 process-per-client rows, whose closing
# connections hold their slots a moment longer, get 503s.
mkdir pki
ca_make pki/server.key pki/server.crt "/CN=cmpkit Bench CA"
printf 'bench-enrollment-secret\n' >secret.txt
"$cmpkit" -config "" -ca_db "$work/ca.db" -ca_admin secret-add -ref bench \
    -secret file:secret.txt >/dev/null || die "secret-add"

"$cmpkit" -config "" -port 127.0.0.1:0 -ca_cert pki/server.crt -ca_key pki/server.key \
    -ca_db "$work/ca.db" -ca_audit "$work/audit.log" -srv_threads "$THREADS" -verbosity 3 \
    -srv_max_conns_per_addr 512 \
    >server.out 2>server.err &
ca_wait_accept server.out $! || die "the CA did not start: $(cat server.err)"
url="http://127.0.0.1:$port/pkix/"

# the client certificate of the signed runs: issued by the CA itself
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out pki/client.key 2>/dev/null
"$cmpkit" -config "" -cmd ir -server "127.0.0.1:$port" -ref bench -secret file:secret.txt \
    -recipient "/CN=cmpkit Bench CA" -newkey pki/client.key -subject "/CN=cmpkit bench client" \
    -certout pki/client.crt -verbosity 3 || die "cannot enroll the client certificate"

printf '\n%-8s %-8s %-9s %7s %10s %14s %14s %8s %8s %s\n' key prot mode clients "certs/s" \
    "server CPU/cert" "client CPU/cert" floor "of floor" failures
results=()
for key in $KEYS; do
    for prot in $PROTS; do
        read -r fl fl_crypto fl_commits <<<"$(floor_of "$key" "$prot")"
        salt=(--reuse-salt)
        gprot=$prot
        if [ "$prot" = pbmfresh ]; then
            salt=()
            gprot=pbm
        fi
        for mode in $MODES; do
        for c in $CLIENTS; do
            how=()
            if [ "$mode" = procs ]; then
                how=(--procs "$c" --conn-per-txn)
            fi
            out=$("$gen" --url "$url" --pki pki --secret secret.txt --ref bench --prot "$gprot" \
                --key "$key" --clients "$c" --count "$COUNT" --warmup "$WARMUP" "${salt[@]}" \
                "${how[@]}" --seconds "$PHASE_SECONDS" --pid "$spid" \
                --label "$key-$prot-$mode-$c" 2>&1) ||
                die "the generator failed: $out"
            r=$(echo "$out" | grep '^RESULT ')
            tps=$(echo "$r" | sed -n 's/.* tps=\([0-9.]*\).*/\1/p')
            cpu=$(echo "$r" | sed -n 's/.* srv_ms_per_txn=\([0-9.]*\).*/\1/p')
            gcpu=$(echo "$r" | sed -n 's/.* gen_ms_per_txn=\([0-9.]*\).*/\1/p')
            bad=$(echo "$r" | sed -n 's/.* ok=[0-9]* \(http=.*\) unfinished=.*/\1/p')
            share=$(python3 -c "print('%.0f%%' % (100 * float('$tps') / $fl))")
            printf '%-8s %-8s %-9s %7s %10s %11s ms %11s ms %8s %8s %s\n' "$key" "$prot" "$mode" \
                "$c" "$tps" "${cpu:--}" "${gcpu:--}" "$fl" "$share" "$bad"
            echo "$out" | grep '^ERR ' | head -3 || true
            results+=("$key $prot $mode $c $tps")
        done
        done
        echo "         floor $key/$prot: crypto $fl_crypto/s, commits $fl_commits/s"
    done
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== audit lines: $(wc -l <audit.log)"
