#!/usr/bin/env bash
# gen_vectors.sh OUTDIR
#
# Builds a private EC P-256 test PKI with the openssl CLI, starts the
# `openssl cmp` (3.0) mock server and runs `openssl cmp` as a client against
# it, saving every request and response as DER:
#
#   OUTDIR/<scenario>_<n>_<bodytype>.der   n = position in the transaction:
#                                          odd = request, even = response
#   OUTDIR/pki/        keys and certificates (PEM) used by client and server
#   OUTDIR/secret.txt  the PBM secret (one line; usable as -secret file:...)
#   OUTDIR/ref.txt     the PBM reference (senderKID) used with the secret
#   OUTDIR/summary.txt one line per file: name, direction, body, protection, size
#   OUTDIR/logs/       the output of every client and mock server run
#
# The body type in a file name comes from parsing the message, not from the
# order of the transaction. The script fails if a scenario does not produce
# exactly the expected sequence of body types or an expected body type is
# missing.
set -euo pipefail

if [ "$#" -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

die() {
    echo "gen_vectors: error: $*" >&2
    exit 1
}

command -v openssl >/dev/null || die "the openssl CLI is not installed"
command -v timeout >/dev/null || die "timeout (coreutils) is not installed"
case "$(openssl version)" in
    "OpenSSL 3."*) ;;
    *) die "need OpenSSL 3.x, found: $(openssl version)" ;;
esac

out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
pki=$out/pki
logs=$out/logs
work=$(mktemp -d "${TMPDIR:-/tmp}/cmpkit-vectors.XXXXXX")

server_pids=()
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${server_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every openssl call is time-bound; -config "" keeps the system openssl.cnf out.
ossl() {
    timeout 20 openssl "$@"
}

secret=cmpkit-pbm-secret
ref=cmpkit-ref

# Remove the results of an earlier run (only files this script writes).
rm -f "$out"/*.der "$out/summary.txt" "$out/secret.txt" "$out/ref.txt"
rm -rf "$pki" "$logs"
mkdir -p "$pki" "$logs"
printf '%s\n' "$secret" >"$out/secret.txt"
printf '%s\n' "$ref" >"$out/ref.txt"

# ---- test PKI ---------------------------------------------------------------
#   root.crt    self-signed root CA
#   server.crt  CMP server / issuing CA (signs responses, issues ee.crt), from root
#   client.crt  client signer cert for signature-protected requests, from root
#   ee.crt      the end-entity cert the mock server hands out, from server;
#               ee.key is the enrollment key, ee.csr the PKCS#10 for p10cr
echo "== test PKI in $pki"
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

root_dn="/CN=cmpkit Test Root CA"
server_dn="/CN=cmpkit Test CMP Server"
client_dn="/CN=cmpkit Test Client"
ee_dn="/CN=cmpkit Test EE"

for name in root server client ee; do
    ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$pki/$name.key"
done
ossl req -config "$pki/ext.cnf" -new -x509 -key "$pki/root.key" -subj "$root_dn" \
    -days 3650 -sha256 -set_serial 0x1001 -extensions root_ext -out "$pki/root.crt"
# issue NAME DN ISSUER EXTENSIONS SERIAL
issue() {
    ossl req -config "$pki/ext.cnf" -new -key "$pki/$1.key" -subj "$2" -out "$pki/$1.csr"
    ossl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.crt" -CAkey "$pki/$3.key" \
        -set_serial "$5" -days 3650 -sha256 -extfile "$pki/ext.cnf" -extensions "$4" \
        -out "$pki/$1.crt" 2>/dev/null
}
issue server "$server_dn" root server_ext 0x1002
issue client "$client_dn" root ee_ext 0x1003
issue ee "$ee_dn" server ee_ext 0x1004
rm -f "$pki/server.csr" "$pki/client.csr"
ossl verify -CAfile "$pki/root.crt" "$pki/server.crt" "$pki/client.crt" >/dev/null ||
    die "test PKI does not verify"
ossl verify -CAfile "$pki/root.crt" -untrusted "$pki/server.crt" "$pki/ee.crt" >/dev/null ||
    die "test PKI does not verify (ee)"

# ---- mock servers -----------------------------------------------------------
# start_server NAME ARGS...: starts `openssl cmp -port 0` and sets $port from
# the "ACCEPT host:port PID=n" line it prints on stdout once it listens.
port=
start_server() {
    local name=$1 log=$logs/server_$1.log pid
    shift
    # The log must exist before the poll below reads it: the redirection
    # happens in the child, which may not have run yet.
    : >"$log"
    timeout 60 openssl cmp -config "" -port 0 \
        -srv_cert "$pki/server.crt" -srv_key "$pki/server.key" \
        -srv_secret "file:$out/secret.txt" -srv_ref "$ref" \
        -srv_trusted "$pki/root.crt" \
        -rsp_cert "$pki/ee.crt" -rsp_extracerts "$pki/server.crt" \
        -rsp_capubs "$pki/root.crt" \
        "$@" >"$log" 2>&1 &
    pid=$!
    server_pids+=("$pid")
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's/^ACCEPT .*:\([0-9][0-9]*\) PID=[0-9]*.*$/\1/p' "$log" | head -n 1)
        [ -n "$port" ] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            cat "$log" >&2
            die "mock server '$name' exited before listening"
        fi
        sleep 0.05
    done
    if [ -z "$port" ]; then
        cat "$log" >&2
        die "mock server '$name' did not print its ACCEPT line within 10 s"
    fi
    echo "== mock server '$name' on port $port: ${*@Q}"
}

# ---- messages -----------------------------------------------------------------
body_names=(ir ip cr cp p10cr popdecc popdecr kur kup krr krp rr rp ccr ccp
    ckuann cann rann crlann pkiConf nested genm genp error certConf pollReq pollRep)

# The PKIBody is the second element (depth 1) of the PKIMessage SEQUENCE:
# an explicit [n] tag whose number gives the body type.
body_type() {
    local tag
    tag=$(ossl asn1parse -inform DER -in "$1" |
        awk '/:d=1 / { if (++n == 2) { print; exit } }' |
        sed -n 's/.*cont \[ *\([0-9][0-9]*\) *\].*/\1/p')
    if [ -z "$tag" ] || [ "$tag" -ge "${#body_names[@]}" ]; then
        die "$1: cannot determine the PKIBody type"
    fi
    echo "${body_names[$tag]}"
}

# The protectionAlg ([1] in the PKIHeader) of a message, or "none".
protection() {
    ossl asn1parse -inform DER -in "$1" | awk '
        /:d=1 /                       { hdr = (++n == 1) }
        hdr && /:d=2 .*cont \[ 1 \]/  { alg = 1; next }
        alg && /OBJECT/               { sub(/.*OBJECT *:/, ""); print; found = 1; exit }
        END                           { if (!found) print "none" }'
}

declare -A seen_req=() seen_rsp=()
summary=()
slots=6 # per direction; the longest transaction (polling) has 4 of each

# run SCENARIO EXPECT "BODY..." PORT CLIENT-ARGS...
#   EXPECT ok|fail: the client's expected exit status
#   BODY...: the expected body types of the transaction in order
run() {
    local name=$1 expect=$2 want=$3 srv_port=$4 log=$logs/client_$1.log
    local reqout="" rspout="" k f n t got="" rc=0 a prev="" sent=""
    shift 4
    for a in "$@"; do
        [ "$prev" = -reqin ] && sent=$a
        prev=$a
    done
    for k in $(seq 1 "$slots"); do
        reqout+="${reqout:+,}$work/$name.$((2 * k - 1))"
        rspout+="${rspout:+,}$work/$name.$((2 * k))"
    done
    timeout 20 openssl cmp -config "" -batch -server "127.0.0.1:$srv_port" \
        -msg_timeout 10 -total_timeout 15 \
        -reqout "$reqout" -rspout "$rspout" "$@" >"$log" 2>&1 || rc=$?
    if [ "$rc" -eq 124 ]; then
        cat "$log" >&2
        die "scenario $name: the client timed out"
    fi
    if { [ "$expect" = ok ] && [ "$rc" -ne 0 ]; } || { [ "$expect" = fail ] && [ "$rc" -eq 0 ]; }; then
        cat "$log" >&2
        die "scenario $name: client exit status $rc, expected $expect"
    fi
    # With -reqin, -reqout saves the request built internally, not the one
    # sent: record the -reqin file instead.
    [ -z "$sent" ] || cp "$sent" "$work/$name.1"
    for n in $(seq 1 $((2 * slots))); do
        f=$work/$name.$n
        [ -f "$f" ] || continue
        t=$(body_type "$f")
        got+="${got:+ }$t"
        if [ $((n % 2)) -eq 1 ]; then
            seen_req[$t]=1
        else
            seen_rsp[$t]=1
        fi
        mv "$f" "$out/${name}_${n}_${t}.der"
    done
    if [ "$got" != "$want" ]; then
        cat "$log" >&2
        die "scenario $name: got messages '$got', expected '$want'"
    fi
    printf '   %-14s %-4s %s\n' "$name" "$expect" "$got"
}

s="file:$out/secret.txt"
pbm=(-ref "$ref" -secret "$s" -recipient "$server_dn")
sig=(-cert "$pki/client.crt" -key "$pki/client.key" -trusted "$pki/root.crt")
sig_ee=(-cert "$pki/ee.crt" -key "$pki/ee.key" -untrusted "$pki/server.crt"
    -trusted "$pki/root.crt")
enroll=(-newkey "$pki/ee.key" -subject "$ee_dn" -certout "$work/new.crt"
    -out_trusted "$pki/root.crt" -untrusted "$pki/server.crt")

# 1. A normal server: PBM or signature, answers in kind; grants implicit
#    confirmation when asked for it.
start_server main -grant_implicitconf
main=$port
run ir_pbm ok "ir ip certConf pkiConf" "$main" "${pbm[@]}" -cmd ir "${enroll[@]}"
run ir_sig ok "ir ip certConf pkiConf" "$main" "${sig[@]}" -cmd ir "${enroll[@]}"
run cr_pbm ok "cr cp certConf pkiConf" "$main" "${pbm[@]}" -cmd cr "${enroll[@]}"
run cr_sig ok "cr cp certConf pkiConf" "$main" "${sig[@]}" -cmd cr "${enroll[@]}"
run kur_sig ok "kur kup certConf pkiConf" "$main" "${sig_ee[@]}" -cmd kur \
    -certout "$work/new.crt" -out_trusted "$pki/root.crt"
run p10cr_pbm ok "p10cr cp certConf pkiConf" "$main" "${pbm[@]}" -cmd p10cr \
    -csr "$pki/ee.csr" -certout "$work/new.crt"
run implicit_pbm ok "ir ip" "$main" "${pbm[@]}" -cmd ir -implicit_confirm "${enroll[@]}"
run rr_pbm ok "rr rp" "$main" "${pbm[@]}" -cmd rr -oldcert "$pki/ee.crt" -revreason 1
run rr_sig ok "rr rp" "$main" "${sig[@]}" -cmd rr -oldcert "$pki/ee.crt" -revreason 4
run genm_pbm ok "genm genp" "$main" "${pbm[@]}" -cmd genm -infotype signKeyPairTypes
run genm_sig ok "genm genp" "$main" "${sig[@]}" -cmd genm
# A wrong secret: the server answers with an error message (badMessageCheck)
# that the client cannot verify.
run badmac_pbm fail "ir error" "$main" -ref "$ref" -secret pass:wrong-secret \
    -recipient "$server_dn" -cmd ir "${enroll[@]}"

# 2. Polling: the server answers 'waiting' and then pollRep until the client
#    has polled twice.
start_server poll -poll_count 2 -check_after 0
run poll_pbm ok "ir ip pollReq pollRep pollReq ip certConf pkiConf" "$port" \
    "${pbm[@]}" -cmd ir "${enroll[@]}"

# 3. Negative responses: status rejection with a failure bit and a text.
start_server reject -pkistatus 2 -failure 2 -statusstring "rejected by cmpkit test"
run reject_pbm fail "ir ip" "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"
run reject_rr_pbm fail "rr rp" "$port" "${pbm[@]}" -cmd rr -oldcert "$pki/ee.crt"

# 4. The server answers every request with an error message.
start_server senderr -send_error
run senderr_pbm fail "ir error" "$port" "${pbm[@]}" -cmd ir "${enroll[@]}"

# 5. Unprotected messages: the client sends an unprotected ir, the server
#    accepts it and rejects it (badPOP) with an unprotected ip, which the
#    client accepts with -unprotected_errors.
start_server unprot -accept_unprotected -send_unprot_err -pkistatus 2 -failure 9 \
    -statusstring "unprotected rejection"
run unprot fail "ir ip" "$port" -unprotected_requests -unprotected_errors \
    -recipient "$server_dn" -cmd ir "${enroll[@]}"

# 6. An error message as a request. The `openssl cmp` 3.0 client never creates
#    one by itself, so the server's error message from senderr_pbm is sent
#    back with -reqin: byte for byte, as 3.0 re-protects nothing without
#    -reqin_new_tid. The mock server answers an error message with pkiConf;
#    the client, which ran -cmd genm, then fails.
run errreq_pbm fail "error pkiConf" "$main" "${pbm[@]}" -cmd genm \
    -reqin "$out/senderr_pbm_2_error.der"

# ---- checks -------------------------------------------------------------------
missing=()
for t in ir cr kur p10cr rr genm certConf pollReq error; do
    [ -n "${seen_req[$t]:-}" ] || missing+=("request:$t")
done
for t in ip cp kup rp genp pkiConf pollRep error; do
    [ -n "${seen_rsp[$t]:-}" ] || missing+=("response:$t")
done
[ "${#missing[@]}" -eq 0 ] || die "body types not produced: ${missing[*]}"

echo "== vectors in $out"
count=0
for f in "$out"/*.der; do
    ossl asn1parse -inform DER -in "$f" >/dev/null || die "$f does not parse as DER"
    base=${f##*/}
    n=${base%_*}
    n=${n##*_}
    dir=req
    [ $((n % 2)) -eq 0 ] && dir=rsp
    line=$(printf '%-32s %s %-8s %-20s %5d B' "$base" "$dir" "$(body_type "$f")" \
        "$(protection "$f")" "$(stat -c %s "$f")")
    summary+=("$line")
    echo "   $line"
    count=$((count + 1))
done
printf '%s\n' "${summary[@]}" >"$out/summary.txt"
echo "== $count messages, all expected body types present; PKI in $pki, secret in $out/secret.txt"
