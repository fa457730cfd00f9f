#!/usr/bin/env bash
# tests/ca_openssl_verify.sh TEST_CA_ISSUE TEST_CA_CRL DIR: what lib/ca
# issues, checked by the openssl CLI rather than by the libcrypto calls of
# the unit tests: each certificate verifies against the CA with
# -x509_strict for TLS client use, the CRL's signature verifies, and with
# -crl_check the revoked certificate fails while a good one passes.
set -euo pipefail

issue=${1:?usage: ca_openssl_verify.sh TEST_CA_ISSUE TEST_CA_CRL DIR}
crl=${2:?}
dir=${3:?}
rm -rf "$dir"
mkdir -p "$dir"
"$issue" --out "$dir" >"$dir/issue.log" 2>&1 || { cat "$dir/issue.log"; exit 1; }
"$crl" --out "$dir" >"$dir/crl.log" 2>&1 || { cat "$dir/crl.log"; exit 1; }

passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAILED: $*"; failed=$((failed + 1)); }

for key in P-256 RSA-2048 Ed25519; do
    cert="$dir/$key-by-P-256.pem"
    if out=$(openssl verify -x509_strict -purpose sslclient -CAfile "$dir/ca.pem" "$cert" \
            2>&1); then
        ok "$key certificate verifies"
    else
        bad "$key certificate: $out"
    fi
    # what the default profile promises, as openssl prints it
    text=$(openssl x509 -in "$cert" -noout -text)
    for want in "CA:FALSE" "Digital Signature" "TLS Web Client Authentication" \
                "X509v3 Subject Key Identifier" "X509v3 Authority Key Identifier"; do
        if grep -q "$want" <<<"$text"; then ok "$key: $want"; else bad "$key lacks $want"; fi
    done
    serial=$(openssl x509 -in "$cert" -noout -serial | sed 's/serial=//')
    if [ ${#serial} -eq 40 ]; then ok "$key: 20-byte serial"; else bad "$key serial $serial"; fi
done

if out=$(openssl crl -in "$dir/crl.pem" -CAfile "$dir/crl-ca.pem" -noout 2>&1) &&
    grep -q "verify OK" <<<"$out"; then
    ok "CRL signature"
else
    bad "CRL signature: $out"
fi
if grep -Eq "crlNumber=(0x)?0*2$" <<<"$(openssl crl -in "$dir/crl.pem" -noout -crlnumber)"; then
    ok "CRL number 2"
else
    bad "CRL number: $(openssl crl -in "$dir/crl.pem" -noout -crlnumber)"
fi
entries=$(openssl crl -in "$dir/crl.pem" -noout -text | grep -c "Serial Number:" || true)
if [ "$entries" -eq 3 ]; then ok "CRL has 3 entries"; else bad "CRL has $entries entries"; fi
if out=$(openssl verify -crl_check -CAfile "$dir/crl-ca.pem" -CRLfile "$dir/crl.pem" \
        "$dir/revoked.pem" 2>&1); then
    bad "revoked certificate verifies: $out"
elif grep -q "certificate revoked" <<<"$out"; then
    ok "revoked certificate refused"
else
    bad "revoked certificate: $out"
fi
if out=$(openssl verify -crl_check -CAfile "$dir/crl-ca.pem" -CRLfile "$dir/crl.pem" \
        "$dir/good.pem" 2>&1); then
    ok "good certificate passes the CRL check"
else
    bad "good certificate: $out"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
