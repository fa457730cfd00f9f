# ca_lib.sh: shell functions shared by the scripts that run a cmpkit CA
# (tests/interop/ca_interop.sh, tests/ca_crash.sh, bench/ca.sh). Source it;
# the caller defines die().

# ca_make KEY CERT SUBJECT: a throwaway EC P-256 root CA (CA:TRUE,
# keyCertSign, cRLSign, digitalSignature), valid 3650 days.
ca_make() {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1" \
        -out "$2" -subj "$3" -days 3650 \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null ||
        die "cannot make the CA $3"
}

# ca_wait_accept OUT PID: waits up to 10 s for the ACCEPT line that the
# server started as PID prints into the file OUT; sets $port and $spid (the
# PID the line names). Returns 1 if the server ended or printed no line.
ca_wait_accept() {
    local out=$1 pid=$2 line=
    for _ in $(seq 1 400); do
        line=$(grep -m1 '^ACCEPT ' "$out" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.025
    done
    [[ "$line" =~ :([0-9]+)\ PID=([0-9]+)$ ]] || return 1
    port=${BASH_REMATCH[1]}
    spid=${BASH_REMATCH[2]}
}
