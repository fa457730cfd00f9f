#!/usr/bin/env bash
# openssl_output_compare.sh CMPKIT WORKDIR
#
# What a script written for `openssl cmp` 3.0 sees, compared with cmpkit:
# common mistakes and successes run with both clients against the machine's
# `openssl cmp -port 0` mock servers, on a throwaway PKI made here. For each
# case both must give
#   - the same exit status,
#   - the key line a script would match (an extended regexp), on the same
#     stream (stdout or stderr: openssl 3.0 prints setup errors on stderr,
#     everything of a transaction, its errors included, on stdout),
#   - and no "CMP error:" line on the other stream.
# The table of cases is at the end. Then what cmpkit says more or
# differently (cmpkit(1), OUTPUT): -tls_used against plain HTTP in one line,
# -verbosity 7 naming the trust anchors and the signer candidates with their
# fault, the client's own rejection as the last line, polling progress and a
# total timeout while polling. Then cmpkit -print on the PKI files made
# here (certificate, CSR, CRL, PKCS#7, CMS, key, PEM and DER): each is named
# and summarised. Needs the openssl CLI (3.x); no ../shared.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 CMPKIT WORKDIR" >&2
    exit 2
fi
cmpkit=$1
work=$2

t_name=openssl_output_compare
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "no openssl CLI: skipped"; exit 77; }
openssl cmp -help >/dev/null 2>&1 || { echo "openssl has no cmp: skipped"; exit 77; }
[ -x "$cmpkit" ] || die "$cmpkit is not executable"
cmpkit=$(cd "$(dirname "$cmpkit")" && pwd)/$(basename "$cmpkit")

fresh_workdir "$work"
cd "$work"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY OPENSSL_CONF

# ---- a throwaway PKI: CA, CMP server, CMP client, the end entity to enroll
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >ext.cnf
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -subj /CN=Compare-CA -days 2 \
    2>/dev/null || die "cannot make the CA"
openssl req -x509 "${ec[@]}" -keyout other.key -out other.crt -subj /CN=Other-CA -days 2 \
    2>/dev/null || die "cannot make the other CA"
for n in srv cl ee; do
    openssl req "${ec[@]}" -keyout $n.key -out $n.csr -subj "/CN=Compare-$n" 2>/dev/null &&
        openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
            -extfile ext.cnf -out $n.crt 2>/dev/null || die "cannot make $n.crt"
done
echo "compare secret" >secret.txt

# start_mock NAME ARGS...: `openssl cmp -port 0`; sets $port from its ACCEPT line.
port=
start_mock() {
    local name=$1 log=$work/mock_$1.log
    shift
    timeout 300 openssl cmp -config "" -port 0 "$@" >"$log" 2>&1 &
    pids+=("$!")
    wait_accept "$name" "$!" "$log"
}
# The mocks enroll ee.crt (so -newkey ee.key is accepted) and revoke it.
start_mock pbm -srv_ref Compare-ref -srv_secret file:secret.txt -rsp_cert ee.crt
pbm_url=127.0.0.1:$port
start_mock sig -srv_cert srv.crt -srv_key srv.key -srv_trusted ca.crt -rsp_cert ee.crt
sig_url=127.0.0.1:$port
# a port where nobody listens: one that the kernel gave and took back
closed_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

pbm=(-ref Compare-ref -secret file:secret.txt)
sig=(-cert cl.crt -key cl.key -trusted ca.crt)
enroll=(-newkey ee.key -subject /CN=Compare-ee)

# check NAME STREAM EXIT KEY ARGS...: runs `openssl cmp` and cmpkit with ARGS.
check() {
    local name=$1 stream=$2 rc_want=$3 key=$4 other tool rc
    shift 4
    [ "$stream" = stdout ] && other=stderr || other=stdout
    for tool in openssl cmpkit; do
        rc=0
        if [ "$tool" = openssl ]; then
            (cd "$work" && timeout 60 openssl cmp -config "" "$@" \
                >"$name.$tool.stdout" 2>"$name.$tool.stderr") || rc=$?
        else
            (cd "$work" && timeout 60 "$cmpkit" -config "" "$@" \
                >"$name.$tool.stdout" 2>"$name.$tool.stderr") || rc=$?
        fi
        if [ "$rc" -ne "$rc_want" ]; then
            cat "$name.$tool.stdout" "$name.$tool.stderr" >&2
            die "$name: $tool exited with $rc, expected $rc_want"
        fi
        if ! grep -Eq -- "$key" "$name.$tool.$stream"; then
            echo "--- $tool stdout:" >&2
            cat "$name.$tool.stdout" >&2
            echo "--- $tool stderr:" >&2
            cat "$name.$tool.stderr" >&2
            die "$name: $tool has no /$key/ on $stream"
        fi
        if grep -q "CMP error:" "$name.$tool.$other"; then
            cat "$name.$tool.$other" >&2
            die "$name: $tool printed a CMP error on $other"
        fi
    done
    passed=$((passed + 1))
    printf '   %-24s %-6s exit %d  /%s/\n' "$name" "$stream" "$rc_want" "$key"
}

echo "== cmpkit and openssl cmp $(openssl version | cut -d' ' -f2): stream, exit status, key line"
#     name              stream  exit  key line (both)                     -- arguments
check unknown_option    stderr  1 "Unknown option: -nosuchoption" -nosuchoption
check missing_cmd       stderr  1 "CMP error: no cmp command to execute" \
    -server "$pbm_url" "${pbm[@]}"
check bad_cmd           stderr  1 "CMP error: unknown cmp command 'enroll'" \
    -server "$pbm_url" "${pbm[@]}" -cmd enroll
check missing_file      stderr  1 "CMP error: cannot set up CMP context" \
    -server "$pbm_url" -cmd ir -cert missing.crt -key cl.key "${enroll[@]}" -certout x.crt
check missing_certout   stderr  1 "CMP error: -certout not given, nowhere to save newly enrolled certificate" \
    -server "$pbm_url" "${pbm[@]}" -cmd ir "${enroll[@]}"
check timeouts          stderr  1 "CMP error: -total_timeout argument = 5 must not be < 20 \(-msg_timeout\)" \
    -server "$pbm_url" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout x.crt \
    -msg_timeout 20 -total_timeout 5
check wrong_port        stdout  1 "CMP error: .*Connection refused" \
    -server "127.0.0.1:$closed_port" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout x.crt
check wrong_path        stdout  1 "CMP error: .*404" \
    -server "$pbm_url/no/such/path" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout x.crt
check wrong_secret      stdout  1 "^CMP info: received ERROR" \
    -server "$pbm_url" -ref Compare-ref -secret pass:wrong -cmd ir "${enroll[@]}" -certout x.crt
grep -q "^CMP error:" wrong_secret.cmpkit.stdout || die "wrong_secret: no CMP error line"
check wrong_trust       stdout  1 "^CMP info: received IP" \
    -server "$sig_url" -cert cl.crt -key cl.key -trusted other.crt -cmd ir "${enroll[@]}" \
    -certout x.crt
# the certificate that cmpkit could not chain is named, with the verify error
grep -Eq "^CMP error: .*Compare-srv.*issuer .*Compare-CA|^CMP error: .*unable to get local issuer" \
    wrong_trust.cmpkit.stdout || die "wrong_trust: the error names no certificate"
check ir_pbm            stdout  0 "CMP info: will contact http://$pbm_url/$" \
    -server "$pbm_url" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout ir.crt
check ir_pbm_warning    stdout  0 'CMP warning: missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient will be set to "NULL-DN"' \
    -server "$pbm_url" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout ir.crt
check ir_sig            stdout  0 "^CMP info: received IP" \
    -server "$sig_url" "${sig[@]}" -cmd ir "${enroll[@]}" -certout ir.crt
check ir_saved          stdout  0 "CMP info: received 1 enrolled certificate\(s\), saving to file 'ir.crt'" \
    -server "$sig_url" "${sig[@]}" -cmd ir "${enroll[@]}" -certout ir.crt
check cr_certconf       stdout  0 "^CMP info: sending CERTCONF" \
    -server "$pbm_url" "${pbm[@]}" -cmd cr "${enroll[@]}" -certout cr.crt
check rr_sig            stdout  0 "^CMP info: received RP" \
    -server "$sig_url" "${sig[@]}" -cmd rr -oldcert ee.crt
check genm_pbm          stdout  0 "^CMP info: sending GENM" \
    -server "$pbm_url" "${pbm[@]}" -cmd genm

# the same lines in the same order: the transaction's info lines of a success
for tool in openssl cmpkit; do
    grep -E "^CMP info: (sending|received) [A-Z]+$" "ir_sig.$tool.stdout" >"ir_sig.$tool.flow"
done
cmp -s ir_sig.openssl.flow ir_sig.cmpkit.flow ||
    { diff ir_sig.openssl.flow ir_sig.cmpkit.flow >&2; die "ir_sig: the message flow lines differ"; }
echo "   ir_sig: the same 'sending/received' lines: $(tr '\n' ' ' <ir_sig.cmpkit.flow)"

echo "== where cmpkit says more or differently (cmpkit(1), OUTPUT)"
# -tls_used against a plain HTTP server: one line that says so, no SSL codes
rc=0
"$cmpkit" -config "" -server "$pbm_url" -tls_used "${pbm[@]}" -cmd ir "${enroll[@]}" \
    -certout x.crt >tls_plain.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat tls_plain.out >&2; die "tls_plain: exit $rc"; }
grep -q "^CMP error: sending the IR: https://$pbm_url/: the server does not speak TLS on this port" tls_plain.out ||
    { cat tls_plain.out >&2; die "tls_plain: no 'does not speak TLS' line"; }
! grep -Eq "SSL routines|shutdown while in init|error:[0-9A-F]{8}" tls_plain.out ||
    { cat tls_plain.out >&2; die "tls_plain: raw SSL error codes"; }
[ "$(grep -c "CMP error" tls_plain.out)" -eq 1 ] || { cat tls_plain.out >&2; die "tls_plain: more than one error line"; }
echo "   tls_plain: $(grep "CMP error" tls_plain.out)"
# -verbosity 7 makes a wrong -trusted diagnosable: the anchors and each candidate with its fault
rc=0
"$cmpkit" -config "" -server "$sig_url" -cert cl.crt -key cl.key -trusted other.crt -cmd ir \
    "${enroll[@]}" -certout x.crt -verbosity 7 >trust7.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat trust7.out >&2; die "trust7: exit $rc"; }
for re in "^CMP DEBUG: starting new ir transaction with ID=" "^CMP DEBUG: sending IR \([0-9]+ bytes\), header:" \
    "^CMP DEBUG: +sender: directoryName /CN=Compare-cl" "^CMP DEBUG: +recipNonce: " \
    "^CMP DEBUG: +protectionAlg: ecdsa-with-SHA256" \
    "^CMP DEBUG: trust anchor \(-trusted\) #0: /CN=Other-CA" \
    "^CMP DEBUG: considering signer candidate from extraCerts #0: /CN=Compare-srv \(issuer /CN=Compare-CA\)" \
    "^CMP DEBUG: +the signature verifies, but the signer certificate does not validate: unable to get local issuer certificate"; do
    grep -Eq -- "$re" trust7.out || { cat trust7.out >&2; die "trust7: no /$re/"; }
done
n6=$(wc -l <wrong_trust.cmpkit.stdout)
n7=$(wc -l <trust7.out)
[ "$n7" -gt $((n6 + 10)) ] || die "trust7: -verbosity 7 adds too little ($n7 lines, $n6 at 6)"
echo "   trust7: -verbosity 7 prints $n7 lines where 6 prints $n6, naming the anchor and the candidate"
# the client rejects the certificate: the last line is its reason, not the server's "accepted"
rc=0
"$cmpkit" -config "" -server "$pbm_url" "${pbm[@]}" -cmd ir -newkey cl.key -subject /CN=x \
    -certout x.crt >reject.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat reject.out >&2; die "reject: exit $rc"; }
tail -n 1 reject.out | grep -q "^CMP error: certificate not accepted: public key in new certificate does not match" ||
    { cat reject.out >&2; die "reject: the last line is not the client's reason"; }
! grep -q "server error" reject.out || { cat reject.out >&2; die "reject: a 'server error' line"; }
echo "   reject: $(tail -n 1 reject.out)"
# polling: a progress line per poll, and the total timeout said as such
start_mock poll -srv_ref Compare-ref -srv_secret file:secret.txt -rsp_cert ee.crt -poll_count 3 -check_after 1
rc=0
"$cmpkit" -config "" -server "127.0.0.1:$port" "${pbm[@]}" -cmd ir "${enroll[@]}" -certout x.crt \
    -total_timeout 2 >poll.out 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat poll.out >&2; die "poll: exit $rc"; }
grep -Eq "^CMP info: received polling response; checkAfter = 1 seconds \(poll 1 for the IP, [0-9.]+ s since 'waiting'\)" poll.out ||
    { cat poll.out >&2; die "poll: no progress line"; }
tail -n 1 poll.out | grep -q "^CMP error: .*total timeout of 2 s exceeded while polling for the IP: [0-9]* pollReq sent" ||
    { cat poll.out >&2; die "poll: the last line is not the total timeout"; }
! grep -q "PKIStatus: waiting" poll.out || { cat poll.out >&2; die "poll: 'PKIStatus: waiting' reported"; }
echo "   poll: $(tail -n 1 poll.out)"

echo "== cmpkit -print of the PKI files around CMP (not PKIMessages)"
mkdir -p crl && : >crl/index.txt && echo 01 >crl/crlnumber
printf '[ca]\ndefault_ca=d\n[d]\ndatabase=crl/index.txt\ncrlnumber=crl/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\ncertificate=ca.crt\nprivate_key=ca.key\n' >crl/ca.cnf
openssl ca -config crl/ca.cnf -revoke ee.crt 2>/dev/null || die "cannot revoke ee.crt"
openssl ca -config crl/ca.cnf -gencrl -out crl.pem 2>/dev/null || die "cannot make a CRL"
openssl crl -in crl.pem -outform DER -out crl.der
openssl x509 -in ee.crt -outform DER -out ee.der
openssl crl2pkcs7 -in crl.pem -certfile srv.crt -out p7.pem
echo "signed" >msg.txt
openssl cms -sign -in msg.txt -signer srv.crt -inkey srv.key -outform DER -out cms.der 2>/dev/null ||
    die "cannot make a CMS signedData"
ee_serial=$(openssl x509 -in ee.crt -noout -serial | cut -d= -f2)
head -c 200 /dev/urandom >junk.bin
# print_case FILE EXIT REGEXP...: cmpkit -print FILE exits with EXIT and prints each REGEXP
print_case() {
    local file=$1 want=$2 rc=0 re
    shift 2
    "$cmpkit" -print "$file" >"print_$file.out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || { cat "print_$file.out" >&2; die "-print $file: exit $rc, expected $want"; }
    for re in "$@"; do
        grep -Eq -- "$re" "print_$file.out" || { cat "print_$file.out" >&2; die "-print $file: no /$re/"; }
    done
    if grep -q "PKIHeader" "print_$file.out"; then
        cat "print_$file.out" >&2
        die "-print $file: a PKIHeader error for a file that is no PKIMessage"
    fi
    passed=$((passed + 1))
    printf '   -print %-10s exit %d  %s\n' "$file" "$want" "$(head -n 1 "print_$file.out")"
}
print_case ee.crt 0 "^certificate \(X.509 v3\)" "subject: +/CN=Compare-ee" "issuer: +/CN=Compare-CA" \
    "serial: +$ee_serial" "notAfter:" "key: +EC \(256 bits, prime256v1\)"
print_case ee.der 0 "^certificate" "subject: +/CN=Compare-ee"
print_case ee.csr 0 "^certificate request \(PKCS#10\)" "subject: +/CN=Compare-ee" "self-signature: verifies"
print_case crl.pem 0 "^CRL \(X.509 v2\)" "issuer: +/CN=Compare-CA" "revoked: +1 certificate" \
    "serial $ee_serial, revoked"
print_case crl.der 0 "^CRL" "serial $ee_serial"
print_case p7.pem 0 "^PKCS#7 \(CMS\) container \(pkcs7-signedData\)" "certificates: 1" \
    "subject: +/CN=Compare-srv" "CRLs: 1"
print_case cms.der 0 "container" "subject: +/CN=Compare-srv"
print_case ee.key 0 "^private key \(PRIVATE KEY\): not printed"
print_case junk.bin 1 "is no PKIMessage, certificate, CSR, CRL, PKCS#7 or CMS structure"

echo "openssl_output_compare: $passed cases passed"
