#!/usr/bin/env bash
# bench/client.sh [BUILD_DIR]
#
# The client benchmark: the cmpkit CLI client (`cmpkit -cmd ir`) beside
# `openssl cmp -cmd ir`, with identical options, against ONE `openssl cmp
# -port 0` mock server started here on a throwaway EC P-256 test PKI (made
# as tests/vectors/gen_vectors.sh makes its own). For each protection (PBM
# with the server's secret; ECDSA P-256 signatures by a client certificate
# the server trusts via -srv_trusted):
#
#   (a) one ir + certConf transaction per process: RUNS runs of each client,
#       alternating, after one warm-up run each; median and mean of the wall
#       time, CPU time (user + sys) and peak RSS of each process;
#   (b) REPEAT transactions in one process (-repeat REPEAT): wall and CPU
#       time per transaction, peak RSS of the process.
#
# Then a table with both clients side by side, the ratios cmpkit/openssl and
# the targets: one-process wall time of cmpkit at most a fifth of openssl
# cmp's (openssl 3.0 loses ~40 ms per request to Nagle's algorithm + delayed
# ACK), CPU time and peak RSS no higher than openssl cmp's.
#
# Figures come from build/bench/runstat (fork/exec, wait4 rusage,
# CLOCK_MONOTONIC); /usr/bin/time prints with 10 ms resolution only.
#
# Environment (defaults in brackets):
#   RUNS [30]          processes per client and protection in (a)
#   REPEAT [200]       -repeat in (b) (0: skip (b))
#   PROTS ["pbm sig"]
#   VERBOSITY [3]      -verbosity of the server and of both clients
#   KEEP [unset]       keep the work directory (PKI, logs, raw figures)
#
# Not a test: it prints figures and never fails on them (only on a failed
# transaction). Loopback only; the server is killed on exit.
set -euo pipefail

die() {
    echo "client.sh: error: $*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory ${1:-$here/../build}"
cmpkit=$build/cmpkit
runstat=$build/bench/runstat
[ -x "$cmpkit" ] || die "$cmpkit not built"
[ -x "$runstat" ] || die "$runstat not built"
command -v openssl >/dev/null || die "the openssl CLI is not installed"
command -v timeout >/dev/null || die "timeout (coreutils) is not installed"
case "$(openssl version)" in
    "OpenSSL 3."*) ;;
    *) die "need OpenSSL 3.x, found: $(openssl version)" ;;
esac
openssl_bin=$(command -v openssl)

RUNS=${RUNS:-30}
REPEAT=${REPEAT:-200}
PROTS=${PROTS:-"pbm sig"}
VERBOSITY=${VERBOSITY:-3}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY OPENSSL_CONF

work=$(mktemp -d "${TMPDIR:-/tmp}/cmpkit-bench-client.XXXXXX")
pki=$work/pki
logs=$work/logs
mkdir -p "$pki" "$logs"

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [ -n "${KEEP:-}" ]; then
        echo "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ossl() {
    timeout 20 openssl "$@"
}

# ---- throwaway test PKI (as gen_vectors.sh) ----------------------------------
#   root.crt    self-signed root CA, the server's -srv_trusted, the clients' -trusted
#   server.crt  CMP server: signs responses, issues ee.crt
#   client.crt  the clients' signer certificate, from root
#   ee.crt      what the mock server hands out (-rsp_cert); ee.key the -newkey
secret="cmpkit-bench-secret"
ref="cmpkit-bench-ref"
server_dn="/CN=cmpkit Bench CMP Server"
ee_dn="/CN=cmpkit Bench EE"
printf '%s\n' "$secret" >"$work/secret.txt"
cat >"$pki/ext.cnf" <<'EOC'
[root_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server_ext]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, digitalSignature, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ee_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOC
for name in root server client ee; do
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$pki/$name.key" 2>/dev/null
done
ossl req -config "$pki/ext.cnf" -new -x509 -key "$pki/root.key" -subj "/CN=cmpkit Bench Root CA" \
    -days 30 -sha256 -set_serial 0x3001 -extensions root_ext -out "$pki/root.crt"
issue() { # NAME DN ISSUER EXTENSIONS SERIAL
    ossl req -config "$pki/ext.cnf" -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
    ossl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.crt" -CAkey "$pki/$3.key" -set_serial "$5" \
        -days 30 -sha256 -extfile "$pki/ext.cnf" -extensions "$4" -out "$pki/$1.crt" 2>/dev/null
}
issue server "$server_dn" root server_ext 0x3002
issue client "/CN=cmpkit Bench Client" root ee_ext 0x3003
issue ee "$ee_dn" server ee_ext 0x3004
ossl verify -CAfile "$pki/root.crt" "$pki/server.crt" "$pki/client.crt" >/dev/null ||
    die "test PKI does not verify"

# ---- the one server ------------------------------------------------------------
srv_log=$logs/server.log
: >"$srv_log"
timeout 7200 openssl cmp -config "" -port 0 -srv_cert "$pki/server.crt" -srv_key "$pki/server.key" \
    -srv_secret "file:$work/secret.txt" -srv_ref "$ref" -srv_trusted "$pki/root.crt" \
    -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" -rsp_capubs "$pki/root.crt" \
    -verbosity "$VERBOSITY" >"$srv_log" 2>&1 &
pids+=("$!")
line=
for _ in $(seq 1 200); do
    line=$(grep -m 1 '^ACCEPT ' "$srv_log" || true)
    [ -n "$line" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$srv_log" >&2; die "the mock server exited"; }
    sleep 0.05
done
[ -n "$line" ] || { cat "$srv_log" >&2; die "the mock server printed no ACCEPT line within 10 s"; }
port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=.*$/\1/p' <<<"$line")
srv_pid=$(sed -n 's/^ACCEPT .* PID=\([0-9][0-9]*\).*$/\1/p' <<<"$line")
if [ -z "$port" ] || [ -z "$srv_pid" ]; then die "cannot parse: $line"; fi
pids+=("$srv_pid")

echo "== server: openssl cmp -port 0 ($line)"
echo "== $(openssl version); $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
echo "== RUNS=$RUNS REPEAT=$REPEAT PROTS='$PROTS' VERBOSITY=$VERBOSITY; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- the clients ---------------------------------------------------------------
# Identical options for both; only the program differs.
common=(-config "" -server "127.0.0.1:$port" -cmd ir -newkey "$pki/ee.key" -subject "$ee_dn"
    -out_trusted "$pki/root.crt" -untrusted "$pki/server.crt" -verbosity "$VERBOSITY")
prot_args() { # PROT: the protection options into the array P
    case $1 in
        pbm) P=(-ref "$ref" -secret "file:$work/secret.txt" -recipient "$server_dn") ;;
        sig) P=(-cert "$pki/client.crt" -key "$pki/client.key" -trusted "$pki/root.crt") ;;
        *) die "unknown protection $1" ;;
    esac
}
prog_args() { # CLIENT: the program (and its subcommand) into the array C
    case $1 in
        cmpkit) C=("$cmpkit") ;;
        openssl) C=("$openssl_bin" cmp) ;;
    esac
}

# one CLIENT PROT OUTFILE [EXTRA...]: one client process, its figures appended to OUTFILE.
one() {
    local client=$1 prot=$2 out=$3 log rc=0
    shift 3
    local C P
    prog_args "$client"
    prot_args "$prot"
    log=$logs/${client}_${prot}_last.log
    timeout 600 "$runstat" "$out" "${C[@]}" "${common[@]}" "${P[@]}" \
        -certout "$work/${client}_${prot}.crt" "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        cat "$log" >&2
        die "$client ($prot) failed with exit status $rc"
    fi
    cmp -s <(openssl x509 -in "$work/${client}_${prot}.crt" -outform DER) \
        <(openssl x509 -in "$pki/ee.crt" -outform DER) || die "$client ($prot) saved a wrong certificate"
}

# stats FILE AWK-EXPR: "median mean" of the awk expression over FILE's lines.
stats() {
    awk "{ print $2 }" "$1" | sort -g | awk '{ v[NR] = $1; s += $1 }
        END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f %.6f\n", m, s / NR }'
}

declare -A R=()
for prot in $PROTS; do
    echo "== $prot: (a) $RUNS processes of each client, alternating"
    for c in cmpkit openssl; do
        : >"$work/a_${c}_$prot.txt"
        one "$c" "$prot" /dev/null # warm-up (page cache, server)
    done
    for i in $(seq 1 "$RUNS"); do
        if [ $((i % 2)) -eq 1 ]; then order="cmpkit openssl"; else order="openssl cmpkit"; fi
        for c in $order; do
            one "$c" "$prot" "$work/a_${c}_$prot.txt"
        done
    done
    # shellcheck disable=SC2016 # awk expressions for stats(), not the shell's
    for c in cmpkit openssl; do
        f=$work/a_${c}_$prot.txt
        read -r "R[$c,$prot,wall_med]" "R[$c,$prot,wall_mean]" < <(stats "$f" '$1 * 1000')
        read -r "R[$c,$prot,cpu_med]" "R[$c,$prot,cpu_mean]" < <(stats "$f" '($2 + $3) * 1000')
        read -r "R[$c,$prot,rss_med]" "R[$c,$prot,rss_mean]" < <(stats "$f" '$4')
    done
    if [ "$REPEAT" -gt 0 ]; then
        echo "== $prot: (b) -repeat $REPEAT in one process, each client"
        for c in cmpkit openssl; do
            f=$work/b_${c}_$prot.txt
            : >"$f"
            one "$c" "$prot" "$f" -repeat "$REPEAT"
            read -r w u s rss _ <"$f"
            R[$c,$prot,rep_wall]=$(awk -v w="$w" -v n="$REPEAT" 'BEGIN { printf "%.6f", w * 1000 / n }')
            R[$c,$prot,rep_cpu]=$(awk -v u="$u" -v s="$s" -v n="$REPEAT" 'BEGIN { printf "%.6f", (u + s) * 1000 / n }')
            R[$c,$prot,rep_rss]=$rss
        done
    fi
done
kill -0 "$srv_pid" 2>/dev/null || die "the mock server died"

# ---- table ---------------------------------------------------------------------
# row LABEL FMT KEY [TARGET-RATIO]: cmpkit, openssl, ratio, target verdict.
row() {
    local label=$1 fmt=$2 key=$3 target=${4:-} a b ratio verdict=""
    a=${R[cmpkit,$key]}
    b=${R[openssl,$key]}
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "-" }')
    if [ -n "$target" ]; then
        if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r != "-" && r <= t) }'; then
            verdict="met (<= $target)"
        else
            verdict="MISSED (<= $target)"
        fi
    fi
    # shellcheck disable=SC2059 # FMT is one of this script's number formats
    printf "  %-34s %12s %12s %8s  %s\n" "$label" "$(printf "$fmt" "$a")" "$(printf "$fmt" "$b")" \
        "$ratio" "$verdict"
}
echo
for prot in $PROTS; do
    echo "== $prot protection"
    printf "  %-34s %12s %12s %8s  %s\n" "" cmpkit openssl ratio target
    echo "  (a) one ir+certConf per process, $RUNS processes each"
    row "wall ms, median" "%.2f" "$prot,wall_med" 0.2
    row "wall ms, mean" "%.2f" "$prot,wall_mean" 0.2
    row "CPU ms (user+sys), median" "%.2f" "$prot,cpu_med" 1
    row "CPU ms (user+sys), mean" "%.2f" "$prot,cpu_mean" 1
    row "peak RSS kB, median" "%.0f" "$prot,rss_med" 1
    row "peak RSS kB, mean" "%.0f" "$prot,rss_mean" 1
    if [ "$REPEAT" -gt 0 ]; then
        echo "  (b) -repeat $REPEAT in one process"
        row "wall ms per transaction" "%.3f" "$prot,rep_wall"
        row "CPU ms per transaction" "%.3f" "$prot,rep_cpu"
        row "peak RSS kB of the process" "%.0f" "$prot,rep_rss"
    fi
    echo
done
