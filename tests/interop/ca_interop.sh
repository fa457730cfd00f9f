#!/usr/bin/env bash
# ca_interop.sh CMPKIT WORKDIR [OPENSSL36]
#
# The cmpkit CA (`cmpkit -port 0` with -ca_cert, -ca_key, -ca_db and
# profiles from its config file) against three clients: `openssl cmp` of the
# machine (3.0), OpenSSL 3.6.1 (OPENSSL36, ../shared/peers/openssl36;
# skipped without it) and the cmpkit client. For each client:
#
#   ir   MAC-protected with a one-time enrollment secret added by
#        `cmpkit -ca_admin secret-add` while the server runs;
#   cr   signed with that certificate (3.6: certProfile "tls", -profile);
#   p10cr MAC-protected with a reusable secret;
#   kur  signed with the ir certificate, which is then superseded;
#   rr   of the p10cr certificate, signed by itself, reason keyCompromise.
#
# Each certificate is checked with `openssl verify` against the CA, holds the
# requested key and subject, and has its profile's extended key usage and
# validity. The CRL fetched by GET /crl (application/pkix-crl) verifies
# against the CA and lists exactly the serials that were revoked or
# superseded; `openssl verify -crl_check` refuses them and accepts the
# others. `-ca_admin list -ca_json` agrees with all of it.
#
# Every command is time-bound; the server is killed on exit.
set -euo pipefail

if [ "$#" -lt 2 ]; then
    echo "usage: $0 CMPKIT WORKDIR [OPENSSL36]" >&2
    exit 2
fi
cmpkit=$1
work=$2
openssl36=${3:-}

t_name=ca_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
on_die() {
    [ ! -f "$work/server.err" ] || tail -20 "$work/server.err" >&2
}

[ -x "$cmpkit" ] || die "$cmpkit is not executable"
# shellcheck source=ca_lib.sh
. "$(dirname "$0")/ca_lib.sh"
command -v openssl >/dev/null || die "the openssl CLI is not installed"
command -v curl >/dev/null || die "curl is not installed"

fresh_workdir "$work"
cd "$work"

spid=
tpid=
cleanup() {
    [ -n "$tpid" ] && kill "$tpid" 2>/dev/null || true
    [ -n "$spid" ] && kill "$spid" 2>/dev/null || true
}


# ---- the CA and its configuration ------------------------------------------------
ca_make ca.key ca.crt "/CN=cmpkit Interop CA/O=cmpkit"
cat >ca.cnf <<EOF
# the server's options in config-file form, and its profiles
[ca_server]
ca_cert = $work/ca.crt
ca_key = $work/ca.key
ca_db = $work/ca.db
ca_profiles = device, tls
ca_audit = $work/audit.log
days = 90

[device]
subject_required = CN
extended_key_usage = clientAuth
days = 60

[tls]
extended_key_usage = serverAuth, clientAuth
san_allowed = DNS
days = 30
EOF

timeout 300 "$cmpkit" -config ca.cnf -section ca_server -port 127.0.0.1:0 >server.out \
    2>server.err &
tpid=$!
ca_wait_accept server.out "$tpid" || die "the CA server did not start listening"
ok "CA server listening on port $port (options and profiles from a config file)"

admin() {
    timeout 30 "$cmpkit" -config "" -ca_db "$work/ca.db" -ca_cert ca.crt -ca_key ca.key \
        -ca_admin "$@"
}

# ---- checks of what was issued ---------------------------------------------------
pubkey_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pubkey_of_key() { openssl pkey -in "$1" -pubout; }
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//'; }

# check_cert CERT KEY SUBJECT EKU DAYS: verifies, key, subject, EKU and validity
check_cert() {
    local cert=$1 key=$2 subject=$3 eku=$4 days=$5 what=$6 text start end
    [ -s "$cert" ] || die "$what: no certificate saved"
    openssl verify -x509_strict -CAfile ca.crt "$cert" >/dev/null 2>&1 ||
        die "$what: openssl verify fails: $(openssl verify -CAfile ca.crt "$cert" 2>&1)"
    [ "$(pubkey_of_cert "$cert")" = "$(pubkey_of_key "$key")" ] || die "$what: not the requested key"
    [ "$(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253)" = "subject=$subject" ] ||
        die "$what: subject $(openssl x509 -in "$cert" -noout -subject -nameopt RFC2253), expected $subject"
    text=$(openssl x509 -in "$cert" -noout -ext extendedKeyUsage,basicConstraints,keyUsage)
    echo "$text" | grep -q "$eku" || die "$what: extendedKeyUsage is not '$eku': $text"
    echo "$text" | grep -q "CA:FALSE" || die "$what: not CA:FALSE: $text"
    start=$(date -d "$(openssl x509 -in "$cert" -noout -startdate | cut -d= -f2)" +%s)
    end=$(date -d "$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)" +%s)
    [ $(((end - start) / 86400)) -eq "$days" ] || die "$what: valid $(((end - start) / 86400)) days, expected $days"
    ok "$what: verifies, key, subject, $eku, $days days"
}

revoked=()
kept=()

# ---- one client --------------------------------------------------------------------
# run_client NAME COMMAND...: the client's command line up to the options
run_client() {
    local name=$1 n
    shift
    local client=("$@")
    local s="$work/$name"
    mkdir -p "$s"

    for n in ir cr kur p10; do
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$s/$n.key" 2>/dev/null
    done
    admin secret-add -ref "$name-once" -secret "pass:$name-one-time" -ca_one_time \
        -ca_expires 600 >/dev/null || die "$name: secret-add"
    admin secret-add -ref "$name-p10" -secret "pass:$name-p10" >/dev/null || die "$name: secret-add"

    # ir with the one-time secret
    timeout 60 "${client[@]}" -config "" -cmd ir -server "127.0.0.1:$port" \
        -ref "$name-once" -secret "pass:$name-one-time" -recipient "/CN=cmpkit Interop CA/O=cmpkit" \
        -newkey "$s/ir.key" -subject "/CN=$name device" -certout "$s/ir.crt" \
        >"$s/ir.log" 2>&1 || die "$name ir: $(tail -3 "$s/ir.log")"
    check_cert "$s/ir.crt" "$s/ir.key" "CN=$name device" "TLS Web Client Authentication" 60 "$name ir"
    # the one-time secret is spent
    if timeout 60 "${client[@]}" -config "" -cmd ir -server "127.0.0.1:$port" \
        -ref "$name-once" -secret "pass:$name-one-time" -recipient "/CN=cmpkit Interop CA/O=cmpkit" \
        -newkey "$s/cr.key" -subject "/CN=$name again" -certout "$s/again.crt" >"$s/again.log" 2>&1; then
        die "$name: a spent one-time secret was accepted"
    fi
    grep -qi 'notAuthorized' "$s/again.log" || die "$name: spent secret without notAuthorized: $(tail -2 "$s/again.log")"
    ok "$name ir: the one-time secret is spent (notAuthorized)"

    # cr signed with the ir certificate; OpenSSL 3.6 asks for the profile "tls"
    local prof=() eku="TLS Web Client Authentication" days=60
    if [ "$name" = openssl36 ]; then
        prof=(-profile tls -sans "$name.example")
        eku="TLS Web Server Authentication"
        days=30
    fi
    timeout 60 "${client[@]}" -config "" -cmd cr -server "127.0.0.1:$port" \
        -cert "$s/ir.crt" -key "$s/ir.key" -trusted ca.crt "${prof[@]}" \
        -newkey "$s/cr.key" -subject "/CN=$name second" -certout "$s/cr.crt" \
        >"$s/cr.log" 2>&1 || die "$name cr: $(tail -3 "$s/cr.log")"
    check_cert "$s/cr.crt" "$s/cr.key" "CN=$name second" "$eku" "$days" "$name cr"

    # p10cr with a reusable secret
    openssl req -new -key "$s/p10.key" -subj "/CN=$name csr" -out "$s/p10.csr" 2>/dev/null
    timeout 60 "${client[@]}" -config "" -cmd p10cr -server "127.0.0.1:$port" \
        -ref "$name-p10" -secret "pass:$name-p10" -recipient "/CN=cmpkit Interop CA/O=cmpkit" \
        -csr "$s/p10.csr" -certout "$s/p10.crt" >"$s/p10.log" 2>&1 ||
        die "$name p10cr: $(tail -3 "$s/p10.log")"
    check_cert "$s/p10.crt" "$s/p10.key" "CN=$name csr" "TLS Web Client Authentication" 60 "$name p10cr"

    # kur of the ir certificate, signed with it
    timeout 60 "${client[@]}" -config "" -cmd kur -server "127.0.0.1:$port" \
        -cert "$s/ir.crt" -key "$s/ir.key" -trusted ca.crt \
        -newkey "$s/kur.key" -certout "$s/kur.crt" >"$s/kur.log" 2>&1 ||
        die "$name kur: $(tail -3 "$s/kur.log")"
    check_cert "$s/kur.crt" "$s/kur.key" "CN=$name device" "TLS Web Client Authentication" 60 "$name kur"

    # rr of the p10cr certificate, signed by itself
    timeout 60 "${client[@]}" -config "" -cmd rr -server "127.0.0.1:$port" \
        -cert "$s/p10.crt" -key "$s/p10.key" -oldcert "$s/p10.crt" -revreason 1 -trusted ca.crt \
        >"$s/rr.log" 2>&1 || die "$name rr: $(tail -3 "$s/rr.log")"
    ok "$name rr: revoked"

    revoked+=("$(serial_of "$s/ir.crt")" "$(serial_of "$s/p10.crt")")
    kept+=("$s/cr.crt" "$s/kur.crt")
}

run_client openssl30 openssl cmp
if [ -n "$openssl36" ] && [ -x "$openssl36" ]; then
    run_client openssl36 "$openssl36" cmp
else
    echo "   --  OpenSSL 3.6 not available: skipped"
fi
run_client cmpkit "$cmpkit"

# ---- several certificates in one ir (cmpkit's -extra_req) -------------------------
# Three CertReqMsgs: the CA answers each with its own CertResponse; the
# profile "device" requires a CN, so the one without is refused
# (badCertTemplate) and never issued, while the two others are issued,
# confirmed one by one by the certConf and in the database as confirmed.
m=$work/multi
mkdir -p "$m"
for n in a b c; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$m/$n.key" 2>/dev/null
done
admin secret-add -ref multi -secret pass:multi-secret >/dev/null || die "multi: secret-add"
rc=0
timeout 60 "$cmpkit" -config "" -cmd ir -server "127.0.0.1:$port" -ref multi \
    -secret pass:multi-secret -recipient "/CN=cmpkit Interop CA/O=cmpkit" \
    -newkey "$m/a.key" -subject "/CN=multi a" -certout "$m/a.crt" \
    -extra_req "subject=/O=cmpkit multi b,newkey=$m/b.key,certout=$m/b.crt" \
    -extra_req "subject=/CN=multi c,newkey=$m/c.key,certout=$m/c.crt" \
    -reqout "$m/ir.der,$m/certConf.der" -rspout "$m/ip.der,$m/pkiConf.der" \
    >"$m/ir.log" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || die "multi ir: exit $rc, expected 1 (one request refused): $(tail -3 "$m/ir.log")"
grep -q "1 of 3 certificate requests failed" "$m/ir.log" || die "multi ir: $(tail -3 "$m/ir.log")"
grep -q "certReqId 1: no certificate: PKIStatus: rejection" "$m/ir.log" ||
    die "multi ir: no rejection for certReqId 1: $(tail -5 "$m/ir.log")"
check_cert "$m/a.crt" "$m/a.key" "CN=multi a" "TLS Web Client Authentication" 60 "multi ir #0"
check_cert "$m/c.crt" "$m/c.key" "CN=multi c" "TLS Web Client Authentication" 60 "multi ir #2"
[ ! -e "$m/b.crt" ] || die "multi ir: a certificate saved for the refused request"
"$cmpkit" -print "$m/ip.der" >"$m/ip.txt" 2>&1 || die "multi: cannot print the ip"
grep -q "CertResponse #2: certReqId 2" "$m/ip.txt" && grep -q "badCertTemplate" "$m/ip.txt" &&
    [ "$(grep -c 'status: accepted' "$m/ip.txt")" -eq 2 ] ||
    die "multi ip: not three CertResponses with two accepted and badCertTemplate: $(cat "$m/ip.txt")"
"$cmpkit" -print "$m/certConf.der" >"$m/certConf.txt" 2>&1 || die "multi: cannot print the certConf"
grep -q "CertStatus #0: certReqId 0" "$m/certConf.txt" &&
    grep -q "CertStatus #1: certReqId 2" "$m/certConf.txt" &&
    ! grep -q "CertStatus #2" "$m/certConf.txt" || die "multi certConf: $(cat "$m/certConf.txt")"
ok "multi ir: 3 requests, the one without CN refused by the profile (badCertTemplate), two issued"
admin list -ca_json >"$m/list.json" || die "multi: -ca_admin list"
python3 - "$m/list.json" "$(serial_of "$m/a.crt")" "$(serial_of "$m/c.crt")" <<'EOF' ||
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = {s.upper().lstrip("0") for s in sys.argv[2:]}
got = {r["serial"].upper().replace(":", "").lstrip("0"): r for r in rows}
for s in want:
    assert s in got, "serial %s is not in the database" % s
    assert got[s]["status"] == "confirmed", got[s]
refused = [r for r in rows if "multi b" in r["subject"]]
assert not refused, refused
print("   ok  multi ir: both in the database as confirmed, the refused one absent")
EOF
    die "multi: -ca_admin list -ca_json"
passed=$((passed + 1))

# ---- the CRL ----------------------------------------------------------------------
code=$(curl -s -o crl.der -w '%{http_code} %{content_type}' "http://127.0.0.1:$port/crl") ||
    die "GET /crl failed"
[ "$code" = "200 application/pkix-crl" ] || die "GET /crl: $code"
openssl crl -inform DER -in crl.der -out crl.pem || die "the CRL does not parse"
openssl crl -in crl.pem -noout -CAfile ca.crt 2>&1 | grep -q 'verify OK' || die "the CRL does not verify"
listed=$(openssl crl -in crl.pem -noout -text | sed -n 's/^ *Serial Number: //p' | sort)
expected=$(printf '%s\n' "${revoked[@]}" | sort)
[ "$listed" = "$expected" ] || die "the CRL lists
$listed
expected
$expected"
ok "GET /crl: application/pkix-crl, verifies, lists exactly the ${#revoked[@]} revoked serials"
n1=$(openssl crl -in crl.pem -noout -crlnumber | sed 's/.*=\(0x\)\{0,1\}//')
for c in "${kept[@]}"; do
    openssl verify -crl_check -CAfile ca.crt -CRLfile crl.pem "$c" >/dev/null 2>&1 ||
        die "$c: refused with the CRL"
done
cmpkit_dir=$work/cmpkit
if openssl verify -crl_check -CAfile ca.crt -CRLfile crl.pem "$cmpkit_dir/p10.crt" >/dev/null 2>&1; then
    die "a revoked certificate passes -crl_check"
fi
ok "openssl verify -crl_check: the revoked fail, the others pass"

# the administrator revokes one more: a new CRL with a higher number
serial=$(serial_of "$cmpkit_dir/cr.crt")
admin revoke -ca_serial "$serial" -revreason 4 >/dev/null || die "-ca_admin revoke"
curl -s -o crl2.der "http://127.0.0.1:$port/crl" || die "GET /crl"
n2=$(openssl crl -inform DER -in crl2.der -noout -crlnumber | sed 's/.*=\(0x\)\{0,1\}//')
[[ "$n1" =~ ^[0-9A-Fa-f]+$ && "$n2" =~ ^[0-9A-Fa-f]+$ ]] || die "CRL numbers '$n1', '$n2'"
[ "$((16#$n2))" -gt "$((16#$n1))" ] || die "CRL number $n2 is not above $n1"
openssl crl -inform DER -in crl2.der -noout -text | grep -q "$serial" ||
    die "the new CRL does not list $serial"
ok "-ca_admin revoke: CRL $n2 after $n1 lists it"

# ---- the database and the audit log -----------------------------------------------
admin list -ca_json >list.json || die "-ca_admin list"
python3 - "$work/list.json" <<'EOF' || die "-ca_admin list -ca_json"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
serials = [r["serial"] for r in rows]
assert len(serials) == len(set(serials)), "a serial appears twice"
st = {}
for r in rows:
    st[r["status"]] = st.get(r["status"], 0) + 1
assert st.get("waiting", 0) == 0, st
print("   ok  -ca_admin list -ca_json: %d certificates, %s" % (len(rows), st))
EOF
passed=$((passed + 1))
grep -c '^.*issued serial=' audit.log >/dev/null || die "no audit lines"
for w in issued confirmed revoked; do
    grep -q " $w serial=" audit.log || die "no '$w' audit line"
done
ok "audit log: issued, confirmed and revoked lines ($(wc -l <audit.log) lines)"

echo "ca_interop: $passed passed"
