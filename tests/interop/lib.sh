# lib.sh: what the interop test scripts share. Source it after setting
# $t_name (the test's name, the prefix of its messages):
#   t_name=client_interop
#   . "$(dirname "$0")/lib.sh"
# It defines die (which calls the script's on_die, if any), ok (counting
# $passed), the list $pids of background processes that cleanup kills and
# reaps at exit (a script may define its own cleanup after sourcing this),
# fresh_workdir, and wait_accept, which reads a server's "ACCEPT host:port
# PID=n" line.

die() {
    echo "$t_name: FAIL: $*" >&2
    # a script may define on_die() to show more (a server's log)
    if declare -F on_die >/dev/null; then
        on_die || true
    fi
    exit 1
}

passed=0
ok() {
    passed=$((passed + 1))
    printf '   ok  %s\n' "$*"
}

pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fresh_workdir DIR: empties DIR and sets $work to its absolute path.
fresh_workdir() {
    rm -rf "$1"
    mkdir -p "$1"
    work=$(cd "$1" && pwd)
}

# wait_accept NAME PID LOG...: waits up to 20 s for the ACCEPT line that the
# server started as PID (a process or a timeout wrapper) prints into the
# first LOG; sets $port and $accept_pid (the PID the line names, added to
# $pids). Dies, showing every LOG, if the server ends first or prints none.
port=
accept_pid=
wait_accept() {
    local name=$1 pid=$2 line=
    shift 2
    port=
    accept_pid=
    for _ in $(seq 1 400); do
        line=$(grep -m1 '^ACCEPT ' "$1" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$pid" 2>/dev/null || { cat "$@" >&2; die "server '$name' exited before listening"; }
        sleep 0.05
    done
    [[ "$line" =~ :([0-9]+)\ PID=([0-9]+) ]] || { cat "$@" >&2; die "server '$name' printed no ACCEPT line in 20 s"; }
    port=${BASH_REMATCH[1]}
    accept_pid=${BASH_REMATCH[2]}
    [ "$port" -gt 0 ] || die "server '$name' reports port 0"
    pids+=("$accept_pid")
}
