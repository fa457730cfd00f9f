#!/usr/bin/env bash
# bench/server.sh [BUILD_DIR]
#
# The server benchmark: ir + certConf transactions per second, server CPU
# time per transaction and server memory, for the cmpkit mock server
# (`cmpkit -port`) and the `openssl cmp -port` mock server, side by side, in
# one run under the same load generator (bench/server.c, libcurl multi, one
# thread). Both servers get the same throwaway EC P-256 test PKI (built here
# as tests/vectors/gen_vectors.sh builds its own), the same mock options and
# the same -verbosity.
#
# Phases, for each protection (PBM with the servers' secret; ECDSA P-256
# signatures by a client certificate the servers trust via -srv_trusted) and
# each number of concurrent clients: a warm-up, then COUNT transactions, the
# two servers taking turns. Each client keeps its own HTTP connection, as
# `openssl cmp` does (-keep_alive 1). Then one phase with a new connection
# per request (CLOSE_CLIENTS clients), and RSS_TXNS transactions per server
# with the server's RSS printed every RSS_EVERY.
#
# The realistic case, process per client: PPC_PROCS separate client
# processes (the generator forks them), each opening a connection for each
# transaction (ir and certConf on it) and closing it, as a run of
# `openssl cmp` does; then the same with real `openssl cmp` runs, 16 loops
# of PPC_OSSL_TXNS / 16 runs each (server CPU from /proc/PID/stat; the
# clients' start-up costs most of the wall time).
#
# Under attack: ATTACK_CLIENTS keep-alive PBM clients run ATTACK_COUNT
# transactions undisturbed, then at once the same while another address
# (127.0.0.2) sends ATTACK_RATE requests a second whose PBM MAC is wrong at
# ATTACK_ITER iterations (the servers' cap): the throughput of valid clients
# under attack as a share of the undisturbed one, in the same run.
#
# HTTPS (TLS_PROCS > 0): a third server, cmpkit -port with -srv_tls_cert (an
# EC P-256 TLS certificate for *.cmpkit-bench.invalid and 127.0.0.1, from the
# bench root), and the process-per-client phase (TLS_PROCS client processes,
# a new connection per ir+certConf, no TLS session resumption: a full
# handshake each, as a new `openssl cmp` run) against it and, in turn, the
# same phase against the plain-HTTP cmpkit server, beside it; then
# TLS_OSSL_TXNS ir+certConf by `openssl cmp -tls_used` runs against the TLS
# server and by plain `openssl cmp` runs against the plain one. Connections
# per second = transactions per second there (one connection each).
#
# Only successful transactions (a good pkiConf) count; every failure is
# counted and its kind printed. Server CPU is utime + stime of
# /proc/PID/stat over the measured phase (all threads), peak RSS is VmHWM
# (reset before each phase), RSS is VmRSS after it.
#
# Environment (defaults in brackets):
#   COUNT [2000]        transactions per measured phase
#   WARMUP [200]        transactions before each phase, not measured
#   CLIENTS ["1 4 16 64"], PROTS ["pbm sig"]
#   CLOSE_CLIENTS [16]  clients of the new-connection-per-request phase (0: skip)
#   PPC_PROCS [16]      client processes of the process-per-client phase (0: skip)
#   PPC_OSSL_TXNS [320] transactions by `openssl cmp` runs in 16 loops (0: skip)
#   RSS_TXNS [10000], RSS_EVERY [1000], RSS_CLIENTS [16] (RSS_TXNS=0: skip)
#   ATTACK_CLIENTS [16], ATTACK_COUNT [20000], ATTACK_RATE [50], ATTACK_ITER [100000]
#                       (ATTACK_RATE=0: skip)
#   TLS_PROCS [16]      client processes of the HTTPS phases (0: skip)
#   TLS_OSSL_TXNS [160] ir+certConf by openssl cmp -tls_used runs in 16 loops (0: skip)
#   PHASE_SECONDS [60]  wall-time limit of each phase
#   REQ_TIMEOUT [10]    seconds per request
#   VERBOSITY [3]       -verbosity of both servers (their logs go to files)
#   KEEP [unset]        keep the work directory (PKI, logs)
#
# Not a test: it prints figures and never fails on them. Loopback only (the
# openssl 3.0 mock server cannot be told an address: it listens on all of
# them, as in gen_vectors.sh; the generator connects to 127.0.0.1 only).
set -euo pipefail

die() {
    echo "server.sh: error: $*" >&2
    exit 1
}

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory ${1:-$here/../build}"
cmpkit=$build/cmpkit
gen=$build/bench/server
[ -x "$cmpkit" ] || die "$cmpkit not built"
[ -x "$gen" ] || die "$gen not built (needs libcurl)"
command -v openssl >/dev/null || die "the openssl CLI is not installed"
command -v timeout >/dev/null || die "timeout (coreutils) is not installed"
case "$(openssl version)" in
    "OpenSSL 3."*) ;;
    *) die "need OpenSSL 3.x, found: $(openssl version)" ;;
esac

COUNT=${COUNT:-2000}
WARMUP=${WARMUP:-200}
CLIENTS=${CLIENTS:-"1 4 16 64"}
PROTS=${PROTS:-"pbm sig"}
CLOSE_CLIENTS=${CLOSE_CLIENTS:-16}
PPC_PROCS=${PPC_PROCS:-16}
PPC_OSSL_TXNS=${PPC_OSSL_TXNS:-320}
RSS_TXNS=${RSS_TXNS:-10000}
RSS_EVERY=${RSS_EVERY:-1000}
RSS_CLIENTS=${RSS_CLIENTS:-16}
ATTACK_CLIENTS=${ATTACK_CLIENTS:-16}
ATTACK_COUNT=${ATTACK_COUNT:-20000}
ATTACK_RATE=${ATTACK_RATE:-50}
ATTACK_ITER=${ATTACK_ITER:-100000}
TLS_PROCS=${TLS_PROCS:-16}
TLS_OSSL_TXNS=${TLS_OSSL_TXNS:-160}
PHASE_SECONDS=${PHASE_SECONDS:-60}
REQ_TIMEOUT=${REQ_TIMEOUT:-10}
VERBOSITY=${VERBOSITY:-3}

work=$(mktemp -d "${TMPDIR:-/tmp}/cmpkit-bench-server.XXXXXX")
pki=$work/pki
logs=$work/logs
mkdir -p "$pki" "$logs"

# Every process started here, killed on exit: the `timeout` wrappers and the servers.
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
#   root.crt    self-signed root CA, the servers' -srv_trusted
#   server.crt  CMP server: signs responses, issues ee.crt
#   client.crt  the generator's signer certificate, from root
#   ee.crt      what the mock servers hand out (-rsp_cert)
secret=cmpkit-bench-secret
ref=cmpkit-bench-ref
printf '%s\n' "$secret" >"$work/secret.txt"
cat >"$pki/ext.cnf" <<'EOF'
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
EOF
for name in root server client ee; do
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$pki/$name.key" 2>/dev/null
done
ossl req -config "$pki/ext.cnf" -new -x509 -key "$pki/root.key" -subj "/CN=cmpkit Bench Root CA" \
    -days 30 -sha256 -set_serial 0x2001 -extensions root_ext -out "$pki/root.crt"
issue() { # NAME DN ISSUER EXTENSIONS SERIAL
    ossl req -config "$pki/ext.cnf" -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
    ossl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.crt" -CAkey "$pki/$3.key" -set_serial "$5" \
        -days 30 -sha256 -extfile "$pki/ext.cnf" -extensions "$4" -out "$pki/$1.crt" 2>/dev/null
}
issue server "/CN=cmpkit Bench CMP Server" root server_ext 0x2002
issue client "/CN=cmpkit Bench Client" root ee_ext 0x2003
issue ee "/CN=cmpkit Bench EE" server ee_ext 0x2004
ossl verify -CAfile "$pki/root.crt" "$pki/server.crt" "$pki/client.crt" >/dev/null ||
    die "test PKI does not verify"
# tls.crt: the HTTPS server's, for each generator client's host name and for 127.0.0.1
cat >>"$pki/ext.cnf" <<'EOF'
[tls_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:*.cmpkit-bench.invalid, IP:127.0.0.1
EOF
ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki/tls.key" 2>/dev/null
issue tls "/CN=cmpkit Bench TLS" root tls_ext 0x2005

# ---- servers -------------------------------------------------------------------
mock_opts=(-srv_cert "$pki/server.crt" -srv_key "$pki/server.key"
    -srv_secret "file:$work/secret.txt" -srv_ref "$ref" -srv_trusted "$pki/root.crt"
    -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" -rsp_capubs "$pki/root.crt"
    -verbosity "$VERBOSITY")
declare -A port=() pid=()

# start_server NAME COMMAND...: sets port[NAME] and pid[NAME] from its ACCEPT line.
start_server() {
    local name=$1 log=$logs/server_$1.log line p=
    shift
    : >"$log"
    timeout 7200 "$@" >"$log" 2>&1 &
    pids+=("$!")
    for _ in $(seq 1 200); do
        line=$(grep -m 1 '^ACCEPT ' "$log" || true)
        if [ -n "$line" ]; then
            p=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=\([0-9][0-9]*\).*$/\1 \2/p' <<<"$line")
            break
        fi
        kill -0 "${pids[-1]}" 2>/dev/null || { cat "$log" >&2; die "$name exited before listening"; }
        sleep 0.05
    done
    [ -n "$p" ] || { cat "$log" >&2; die "$name printed no ACCEPT line within 10 s"; }
    port[$name]=${p% *}
    pid[$name]=${p#* }
    pids+=("${pid[$name]}")
    echo "== $name: $line"
}

start_server cmpkit "$cmpkit" -config "" -port 127.0.0.1:0 "${mock_opts[@]}"
start_server openssl openssl cmp -config "" -port 0 "${mock_opts[@]}"
servers=(cmpkit openssl)
# the HTTPS server: its phases get https:// and the generator's --cacert, openssl cmp -tls_used
declare -A tls_gen=() tls_ossl=()
if [ "$TLS_PROCS" -gt 0 ] || [ "$TLS_OSSL_TXNS" -gt 0 ]; then
    start_server cmpkit-tls "$cmpkit" -config "" -port 127.0.0.1:0 "${mock_opts[@]}" \
        -srv_tls_cert "$pki/tls.crt" -srv_tls_key "$pki/tls.key"
    tls_gen[cmpkit-tls]="--cacert $pki/root.crt"
    tls_ossl[cmpkit-tls]="-tls_used -tls_trusted $pki/root.crt"
fi

echo "== $(openssl version); $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))"
echo "== COUNT=$COUNT WARMUP=$WARMUP CLIENTS='$CLIENTS' PROTS='$PROTS' VERBOSITY=$VERBOSITY"
# Throughput depends on what else runs on the machine (CPU per transaction much less): say it.
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== server RSS after start: cmpkit $(grep VmRSS /proc/"${pid[cmpkit]}"/status | awk '{print $2}') kB," \
    "openssl $(grep VmRSS /proc/"${pid[openssl]}"/status | awk '{print $2}') kB"

# ---- phases --------------------------------------------------------------------
declare -A R=()

# phase SERVER PROT CLIENTS KEY GENERATOR-ARGS...: runs the generator, keeps its
# RESULT fields as R[KEY,field] and prints its error samples.
phase() {
    local srv=$1 prot=$2 n=$3 key=$4 log kv line scheme=http
    shift 4
    log=$logs/gen_${key//,/_}.log
    [ -z "${tls_gen[$srv]:-}" ] || scheme=https
    # shellcheck disable=SC2086 # tls_gen holds options (paths without blanks: mktemp's)
    timeout $((${PHASE_SECONDS%.*} * 2 + 60)) "$gen" ${tls_gen[$srv]:-} \
        --url "$scheme://127.0.0.1:${port[$srv]}/pkix/" --pki "$pki" --secret "$work/secret.txt" \
        --ref "$ref" --prot "$prot" --clients "$n" --seconds "$PHASE_SECONDS" \
        --timeout "$REQ_TIMEOUT" --pid "${pid[$srv]}" --label "$srv/$prot/$n" "$@" \
        >"$log" 2>&1 || true
    kill -0 "${pid[$srv]}" 2>/dev/null || { cat "$log" >&2; die "$srv died (phase $key)"; }
    grep -E '^(ERR|WARMUP) ' "$log" | sed 's/^/   /' | grep -v ' failed=0 unfinished=0$' || true
    line=$(grep -m 1 '^ATTACK ' "$log" || true)
    for kv in $line; do
        case $kv in
            *=*) R[$key,attack_${kv%%=*}]=${kv#*=} ;;
        esac
    done
    line=$(grep -m 1 '^RESULT ' "$log" || true)
    if [ -z "$line" ]; then
        cat "$log" >&2
        die "no RESULT from the generator (phase $key)"
    fi
    for kv in $line; do
        case $kv in
            *=*) R[$key,${kv%%=*}]=${kv#*=} ;;
        esac
    done
    R[$key,fail]=$((R[$key,http] + R[$key,timeout] + R[$key,cmp_error] + R[$key,bad] + R[$key,unfinished]))
    printf '   %-8s %s %3s clients: %8s txn/s  %s ms CPU/txn  %s failed  threads busy %s (top %s%%)\n' \
        "$srv" "$prot" "$n" "${R[$key,tps]}" "${R[$key,srv_ms_per_txn]}" "${R[$key,fail]}" \
        "${R[$key,srv_threads_busy]}" "${R[$key,srv_top_thread_pct]}"
}

for prot in $PROTS; do
    for n in $CLIENTS; do
        echo "== $prot, $n clients"
        for srv in "${servers[@]}"; do
            phase "$srv" "$prot" "$n" "$srv,$prot,$n" --count "$COUNT" --warmup "$WARMUP"
        done
    done
done

if [ "$CLOSE_CLIENTS" -gt 0 ]; then
    echo "== a new connection per request: pbm, $CLOSE_CLIENTS clients"
    for srv in "${servers[@]}"; do
        phase "$srv" pbm "$CLOSE_CLIENTS" "$srv,close" --count "$COUNT" --warmup 0 --close
    done
fi

if [ "$PPC_PROCS" -gt 0 ]; then
    echo "== process per client: pbm, $PPC_PROCS client processes, a connection per transaction"
    for srv in "${servers[@]}"; do
        phase "$srv" pbm "$PPC_PROCS" "$srv,ppc" --count "$COUNT" --warmup "$WARMUP" \
            --procs "$PPC_PROCS" --conn-per-txn
    done
fi

if [ "$ATTACK_RATE" -gt 0 ]; then
    echo "== under attack: pbm, $ATTACK_CLIENTS clients, then $ATTACK_RATE wrong-MAC requests/s" \
        "at $ATTACK_ITER iterations from 127.0.0.2"
    for srv in "${servers[@]}"; do
        phase "$srv" pbm "$ATTACK_CLIENTS" "$srv,calm" --count "$ATTACK_COUNT" --warmup "$WARMUP"
        phase "$srv" pbm "$ATTACK_CLIENTS" "$srv,attack" --count "$ATTACK_COUNT" --warmup 0 \
            --attack "$ATTACK_RATE" --attack-iter "$ATTACK_ITER"
        printf '   %-8s attack: %s sent, %s handled, %s refused at once, %s failed\n' "$srv" \
            "${R[$srv,attack,attack_sent]}" "${R[$srv,attack,attack_handled]}" \
            "${R[$srv,attack,attack_refused]}" "${R[$srv,attack,attack_failed]}"
    done
fi

# ossl_ppc SERVER: PPC_OSSL_TXNS ir+certConf by `openssl cmp` runs in 16 parallel loops; sets
# R[SERVER,ossl,*]: server CPU per transaction (ms), failures, wall time.
ossl_ppc() {
    local srv=$1 loops=16 per c0 c1 t0 t1 fails=0 f loop_pids=()
    per=$(((PPC_OSSL_TXNS + loops - 1) / loops))
    c0=$(awk '{print $14 + $15}' "/proc/${pid[$srv]}/stat")
    t0=$(date +%s.%N)
    for ((f = 0; f < loops; f++)); do
        (
            for ((k = 0; k < per; k++)); do
                # shellcheck disable=SC2086 # tls_ossl holds options (paths without blanks)
                timeout "$REQ_TIMEOUT" openssl cmp -config "" -server "127.0.0.1:${port[$srv]}" \
                    ${tls_ossl[$srv]:-} \
                    -path pkix/ -ref "$ref" -secret "file:$work/secret.txt" -cmd ir \
                    -newkey "$pki/ee.key" -subject "/CN=cmpkit Bench EE" -srvcert "$pki/server.crt" \
                    -certout "$work/ppc_$f.crt" -msg_timeout "$REQ_TIMEOUT" >/dev/null 2>&1 ||
                    echo fail
            done >"$logs/ossl_ppc_${srv}_$f.log"
        ) &
        loop_pids+=("$!")
    done
    wait "${loop_pids[@]}" # not the servers
    t1=$(date +%s.%N)
    c1=$(awk '{print $14 + $15}' "/proc/${pid[$srv]}/stat")
    fails=$(cat "$logs"/ossl_ppc_"${srv}"_*.log | grep -c fail || true)
    R[$srv,ossl,n]=$((per * loops))
    R[$srv,ossl,fail]=$fails
    R[$srv,ossl,ms]=$(awk -v a="$c0" -v b="$c1" -v t="$(getconf CLK_TCK)" -v n=$((per * loops - fails)) \
        'BEGIN { if (n > 0) printf "%.3f", (b - a) * 1000 / t / n; else print "n/a" }')
    R[$srv,ossl,secs]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    printf '   %-8s %s openssl cmp runs: %s ms CPU/txn  %s failed  %s s\n' "$srv" "${R[$srv,ossl,n]}" \
        "${R[$srv,ossl,ms]}" "$fails" "${R[$srv,ossl,secs]}"
}
if [ "$PPC_OSSL_TXNS" -gt 0 ]; then
    echo "== process per client: pbm, $PPC_OSSL_TXNS runs of openssl cmp in 16 loops"
    for srv in "${servers[@]}"; do
        ossl_ppc "$srv"
    done
fi

if [ "$TLS_PROCS" -gt 0 ]; then
    echo "== HTTPS, process per client: pbm, $TLS_PROCS client processes, a connection (and a" \
        "full TLS handshake) per transaction; plain HTTP in turn"
    for srv in cmpkit-tls cmpkit; do
        phase "$srv" pbm "$TLS_PROCS" "$srv,tlsppc" --count "$COUNT" --warmup "$WARMUP" \
            --procs "$TLS_PROCS" --conn-per-txn
    done
fi
if [ "$TLS_OSSL_TXNS" -gt 0 ]; then
    echo "== HTTPS, process per client: pbm, $TLS_OSSL_TXNS runs of openssl cmp -tls_used in 16" \
        "loops; plain HTTP in turn"
    saved_ossl=$PPC_OSSL_TXNS
    PPC_OSSL_TXNS=$TLS_OSSL_TXNS
    declare -A plain_ossl=()
    for k in n fail ms secs; do plain_ossl[$k]=${R[cmpkit,ossl,$k]:-}; done
    ossl_ppc cmpkit-tls
    ossl_ppc cmpkit
    for k in n fail ms secs; do
        R[cmpkit,tlsossl,$k]=${R[cmpkit,ossl,$k]}
        R[cmpkit,ossl,$k]=${plain_ossl[$k]}
    done
    PPC_OSSL_TXNS=$saved_ossl
fi

rss_prots=""
if [ "$RSS_TXNS" -gt 0 ]; then
    rss_prots=$PROTS
    for prot in $rss_prots; do
        echo "== RSS over $RSS_TXNS transactions: $prot, $RSS_CLIENTS clients"
        for srv in "${servers[@]}"; do
            phase "$srv" "$prot" "$RSS_CLIENTS" "$srv,rss,$prot" --count "$RSS_TXNS" --warmup 0 \
                --rss-every "$RSS_EVERY"
        done
    done
fi

echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- tables ----------------------------------------------------------------------
mb() { # kB -> MB with one decimal
    awk -v k="$1" 'BEGIN { if (k < 0) print "n/a"; else printf "%.1f", k / 1024 }'
}
lat() { # p50 p99 -> "p50/p99" in ms, one decimal
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a") print "n/a"; else printf "%.1f/%.1f", a, b }'
}
cell() { # KEY: txn/s, CPU ms/txn, failed, p50/p99 ms, peak and after-phase RSS (MB)
    printf '%8s %7s %6s %13s %6s %6s' "${R[$1,tps]}" "${R[$1,srv_ms_per_txn]}" "${R[$1,fail]}" \
        "$(lat "${R[$1,lat_p50_ms]}" "${R[$1,lat_p99_ms]}")" "$(mb "${R[$1,hwm_kb]}")" \
        "$(mb "${R[$1,rss_kb]}")"
}
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'
}

echo
echo "ir+certConf transactions, each client on its own keep-alive connection; $(openssl version | cut -d' ' -f1-2)"
echo "CPU = server utime+stime per successful transaction; p50/p99 = transaction latency (ms);"
echo "peak = VmHWM during the phase, RSS = VmRSS after it (MB); gen = generator CPU per transaction (ms)"
printf '%-4s %4s | %-52s | %-52s | %6s | %11s | %s\n' "" "" \
    "cmpkit -port" "openssl cmp -port" "tps" "gen ms" "cmpkit threads"
printf '%-4s %4s | %8s %7s %6s %13s %6s %6s | %8s %7s %6s %13s %6s %6s | %6s | %5s %5s | %s\n' \
    prot N txn/s CPU failed p50/p99 peak RSS txn/s CPU failed p50/p99 peak RSS ratio ck ossl \
    "busy (top %)"
for prot in $PROTS; do
    for n in $CLIENTS; do
        a=cmpkit,$prot,$n
        b=openssl,$prot,$n
        printf '%-4s %4s | %s | %s | %6s | %5s %5s | %s (%s%%)\n' "$prot" "$n" "$(cell "$a")" \
            "$(cell "$b")" "$(ratio "${R[$a,tps]}" "${R[$b,tps]}")" "${R[$a,gen_ms_per_txn]}" \
            "${R[$b,gen_ms_per_txn]}" "${R[$a,srv_threads_busy]}" "${R[$a,srv_top_thread_pct]}"
    done
done
# pbm_row PHASE N NOTE: the row of a pbm phase other than the keep-alive ones.
pbm_row() {
    printf '%-4s %4s | %s | %s | %6s | %5s %5s | %s (%s%%)   <- %s\n' \
        pbm "$2" "$(cell "cmpkit,$1")" "$(cell "openssl,$1")" \
        "$(ratio "${R[cmpkit,$1,tps]}" "${R[openssl,$1,tps]}")" \
        "${R[cmpkit,$1,gen_ms_per_txn]}" "${R[openssl,$1,gen_ms_per_txn]}" \
        "${R[cmpkit,$1,srv_threads_busy]}" "${R[cmpkit,$1,srv_top_thread_pct]}" "$3"
}
if [ "$CLOSE_CLIENTS" -gt 0 ]; then
    pbm_row close "$CLOSE_CLIENTS" "new connection per request"
fi
if [ "$PPC_PROCS" -gt 0 ]; then
    pbm_row ppc "$PPC_PROCS" "process per client, connection per transaction"
fi
if [ "$ATTACK_RATE" -gt 0 ]; then
    echo
    echo "valid pbm clients ($ATTACK_CLIENTS, keep-alive) undisturbed and while 127.0.0.2 sends" \
        "$ATTACK_RATE wrong-MAC requests/s at $ATTACK_ITER iterations"
    printf '%-8s | %9s %9s %6s | %9s %9s | %s\n' "" "calm" "attacked" "share" "CPU calm" \
        "CPU atk" "attack: sent/handled/refused/failed"
    for srv in "${servers[@]}"; do
        printf '%-8s | %9s %9s %6s | %9s %9s | %s/%s/%s/%s\n' "$srv" "${R[$srv,calm,tps]}" \
            "${R[$srv,attack,tps]}" "$(ratio "${R[$srv,attack,tps]}" "${R[$srv,calm,tps]}")" \
            "${R[$srv,calm,srv_ms_per_txn]}" "${R[$srv,attack,srv_ms_per_txn]}" \
            "${R[$srv,attack,attack_sent]}" "${R[$srv,attack,attack_handled]}" \
            "${R[$srv,attack,attack_refused]}" "${R[$srv,attack,attack_failed]}"
    done
fi
if [ "$PPC_OSSL_TXNS" -gt 0 ]; then
    echo
    echo "process per client with openssl cmp runs: server CPU per ir+certConf (ms), failed runs"
    printf '%-14s | %12s | %12s\n' "" "cmpkit -port" "openssl cmp -port"
    printf '%-14s | %8s %3s | %8s %3s\n' "$PPC_OSSL_TXNS runs" "${R[cmpkit,ossl,ms]}" \
        "${R[cmpkit,ossl,fail]}" "${R[openssl,ossl,ms]}" "${R[openssl,ossl,fail]}"
fi

for prot in $rss_prots; do
    echo
    echo "RSS (kB) over $RSS_TXNS transactions, $prot, $RSS_CLIENTS clients"
    printf '%8s | %10s | %10s\n' txns cmpkit openssl
    declare -A rss_at=()
    for srv in "${servers[@]}"; do
        while read -r okv rssv; do
            rss_at[$srv,${okv#ok=}]=${rssv#rss_kb=}
        done < <(grep '^RSS ' "$logs/gen_${srv}_rss_${prot}.log" | awk '{print $3, $5}')
    done
    for ((k = RSS_EVERY; k <= RSS_TXNS; k += RSS_EVERY)); do
        printf '%8s | %10s | %10s\n' "$k" "${rss_at[cmpkit,$k]:-n/a}" "${rss_at[openssl,$k]:-n/a}"
    done
    for srv in "${servers[@]}"; do
        first=${rss_at[$srv,$RSS_EVERY]:-}
        last=${rss_at[$srv,$RSS_TXNS]:-}
        if [ -n "$first" ] && [ -n "$last" ]; then
            R[$srv,rssgrow,$prot]=$((last - first))
        fi
    done
    printf '%8s | %10s | %10s\n' "growth" "${R[cmpkit,rssgrow,$prot]:-n/a}" \
        "${R[openssl,rssgrow,$prot]:-n/a}"
    unset rss_at
done

# ---- the issue's targets (2-core machine) ---------------------------------------------
echo
echo "targets: server CPU <= 0.6 ms/txn; throughput at 16 clients >= 3x openssl's; RSS flat;"
echo "         process per client: server CPU <= 0.5 ms/txn; under attack >= 0.8 of undisturbed"
for prot in $PROTS; do
    worst=$(for n in $CLIENTS; do echo "${R[cmpkit,$prot,$n,srv_ms_per_txn]}"; done |
        awk '$1 != "n/a" { if ($1 > m) m = $1 } END { print m + 0 }')
    verdict=$(awk -v w="$worst" 'BEGIN { print (w <= 0.6) ? "met" : "missed" }')
    echo "  $prot: cmpkit CPU/txn, worst over N = $worst ms: $verdict"
    case " $CLIENTS " in
        *" 16 "*)
            r=$(ratio "${R[cmpkit,$prot,16,tps]}" "${R[openssl,$prot,16,tps]}")
            verdict=$(awk -v r="$r" 'BEGIN { print (r != "n/a" && r >= 3) ? "met" : "missed" }')
            echo "  $prot: throughput at 16 clients = ${r}x openssl's: $verdict"
            ;;
    esac
    if [ "$prot" = pbm ] && [ "$PPC_PROCS" -gt 0 ]; then
        verdict=$(awk -v w="${R[cmpkit,ppc,srv_ms_per_txn]}" \
            'BEGIN { print (w != "n/a" && w <= 0.5) ? "met" : "missed" }')
        echo "  pbm: process per client, cmpkit CPU/txn = ${R[cmpkit,ppc,srv_ms_per_txn]} ms" \
            "(openssl ${R[openssl,ppc,srv_ms_per_txn]} ms): $verdict"
    fi
    if [ "$prot" = pbm ] && [ "$ATTACK_RATE" -gt 0 ]; then
        r=$(ratio "${R[cmpkit,attack,tps]}" "${R[cmpkit,calm,tps]}")
        verdict=$(awk -v r="$r" 'BEGIN { print (r != "n/a" && r >= 0.8) ? "met" : "missed" }')
        echo "  pbm: under attack, cmpkit keeps ${r} of its undisturbed throughput" \
            "(openssl $(ratio "${R[openssl,attack,tps]}" "${R[openssl,calm,tps]}")): $verdict"
    fi
    if [ -n "${R[cmpkit,rssgrow,$prot]:-}" ]; then
        echo "  $prot: cmpkit RSS change from $RSS_EVERY to $RSS_TXNS transactions:" \
            "${R[cmpkit,rssgrow,$prot]} kB"
    fi
done
if [ "$TLS_PROCS" -gt 0 ]; then
    echo
    echo "HTTPS (EC P-256 TLS key, a full handshake per connection) and plain HTTP, cmpkit -port,"
    echo "process per client ($TLS_PROCS processes), ir+certConf on one new connection each (pbm)"
    printf '%-6s | %8s %7s %6s %13s %6s %6s | %s\n' "" conn/s CPU failed p50/p99 peak RSS \
        "threads busy (top %)"
    for k in cmpkit-tls,tlsppc cmpkit,tlsppc; do
        printf '%-6s | %s | %s (%s%%)\n' "$([ "${k%%,*}" = cmpkit-tls ] && echo HTTPS || echo HTTP)" \
            "$(cell "$k")" "${R[$k,srv_threads_busy]}" "${R[$k,srv_top_thread_pct]}"
    done
    echo "HTTPS/HTTP: server CPU per transaction $(ratio "${R[cmpkit-tls,tlsppc,srv_ms_per_txn]}" \
        "${R[cmpkit,tlsppc,srv_ms_per_txn]}"), connections per second $(ratio \
        "${R[cmpkit-tls,tlsppc,tps]}" "${R[cmpkit,tlsppc,tps]}")"
fi
if [ "$TLS_OSSL_TXNS" -gt 0 ]; then
    echo
    echo "openssl cmp runs against cmpkit -port: server CPU per ir+certConf (ms), failed runs, wall time"
    printf '%-18s | %8s %3s %6s s\n' "HTTPS (-tls_used)" "${R[cmpkit-tls,ossl,ms]}" \
        "${R[cmpkit-tls,ossl,fail]}" "${R[cmpkit-tls,ossl,secs]}"
    printf '%-18s | %8s %3s %6s s\n' "HTTP" "${R[cmpkit,tlsossl,ms]}" "${R[cmpkit,tlsossl,fail]}" \
        "${R[cmpkit,tlsossl,secs]}"
fi
