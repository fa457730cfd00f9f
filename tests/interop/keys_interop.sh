#!/usr/bin/env bash
# keys_interop.sh CMPKIT SHARED WORKDIR
#
# Central key generation (-centralkeygen, -newkeyout; mock -rsp_key) and
# encrypted certificates (-popo 2; mock -accept_keyenc) between cmpkit and
# OpenSSL 3.6.1 (SHARED/peers/openssl36), on the Mock PKI of OpenSSL's test
# suite (SHARED/openssl-suite/data-master/Mock):
#
#   - openssl 3.6.1 as client of the cmpkit mock server: central key
#     generation with signature (KeyTransRecipientInfo) and MAC protection
#     (PasswordRecipientInfo), -popo 2 (the certificate as EncryptedValue:
#     its request has pvno 2) and without -accept_keyenc (badPOP);
#   - cmpkit as client of the openssl 3.6.1 mock server: central key
#     generation with a signature; with MAC protection openssl's mock fails
#     (it has no PasswordRecipientInfo); -popo 2 gets badPOP (unsupported);
#   - cmpkit against cmpkit: both protections, -popo 2 (EnvelopedData, pvno
#     3), and openssl's recorded EncryptedValue response read with -rspin.
#
# Every key written must be the new certificate's. Exits 77 (skipped) when
# SHARED or the peer is missing. Servers are killed on exit.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 CMPKIT SHARED WORKDIR" >&2
    exit 2
fi
cmpkit=$1
shared=$2
work=$3
peer=$shared/peers/openssl36
mock=$shared/openssl-suite/data-master/Mock

t_name=keys_interop
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if [ ! -x "$peer" ] || [ ! -d "$mock" ]; then
    echo "keys_interop: SKIP: $peer or $mock is missing"
    exit 77
fi
o36=$("$peer" --path 2>/dev/null) || { echo "keys_interop: SKIP: $peer does not run"; exit 77; }
[ -x "$cmpkit" ] || die "$cmpkit is not executable"
command -v openssl >/dev/null || die "the openssl CLI is not installed"

fresh_workdir "$work"
cp -r "$mock" "$work/Mock"
cd "$work/Mock"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy NO_PROXY OPENSSL_CONF

# start NAME PROGRAM... : a mock server with server.cnf (-port 0); sets $port.
port=
start() {
    local name=$1 log=$work/srv_$1.log pid
    shift
    : >"$log"
    timeout 300 "$@" -config server.cnf -port 0 >"$log" 2>&1 &
    pid=$!
    pids+=("$pid")
    wait_accept "$name" "$pid" "$log"
}

# run NAME ok|fail PATTERN PROGRAM ARGS...: the client's exit status and output.
run() {
    local name=$1 expect=$2 pattern=$3 out=$work/$1.out rc=0
    shift 3
    timeout 60 "$@" >"$out" 2>&1 || rc=$?
    if [ "$expect" = ok ] && [ "$rc" -ne 0 ]; then
        cat "$out" >&2
        die "$name: exit status $rc, expected success"
    fi
    if [ "$expect" = fail ] && [ "$rc" -eq 0 ]; then
        cat "$out" >&2
        die "$name: succeeded, expected a failure"
    fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$out"; then
        cat "$out" >&2
        die "$name: output lacks /$pattern/"
    fi
    passed=$((passed + 1))
}

# same_key KEY CERT [PASS]: the private key in KEY is the one of CERT.
same_key() {
    local a b
    a=$(openssl pkey -in "$1" ${3:+-passin "$3"} -pubout 2>/dev/null) || die "cannot read $1"
    b=$(openssl x509 -in "$2" -noout -pubkey) || die "cannot read $2"
    [ "$a" = "$b" ] || die "the key in $1 is not the one of $2"
    [ "$(stat -c %a "$1")" = 600 ] || die "$1 is readable by others"
    passed=$((passed + 1))
}

sig=(-cert signer.crt -key signer.p12 -keypass pass:12345)
mac=(-secret pass:test -ref 1234)
common=(-trusted trusted.crt -recipient "/CN=Root CA" -subject "/CN=test" -newkey signer.key)

# ---- openssl 3.6.1 against the cmpkit mock server ----
start cmpkit "$cmpkit"
p=$port
run o36_sig_central ok "saving centrally generated key" "$o36" cmp -server "127.0.0.1:$p/pkix/" \
    -cmd cr "${sig[@]}" "${common[@]}" -centralkeygen -newkeyout "$work/k1.pem" \
    -certout "$work/c1.pem"
same_key "$work/k1.pem" "$work/c1.pem"
run o36_mac_central ok "saving centrally generated key" "$o36" cmp -server "127.0.0.1:$p/pkix/" \
    -cmd ir "${mac[@]}" "${common[@]}" -popo -1 -newkeyout "$work/k2.pem" -newkeypass pass:kp \
    -certout "$work/c2.pem"
same_key "$work/k2.pem" "$work/c2.pem" pass:kp
run o36_popo2_refused fail "badPOP" "$o36" cmp -server "127.0.0.1:$p/pkix/" -cmd ir \
    "${sig[@]}" "${common[@]}" -popo 2 -certout "$work/c3.pem"

start cmpkit_keyenc "$cmpkit" -accept_keyenc
pk=$port
run o36_popo2 ok "received 1 newly enrolled" "$o36" cmp -server "127.0.0.1:$pk/pkix/" -cmd ir \
    "${sig[@]}" "${common[@]}" -popo 2 -certout "$work/c4.pem" \
    -reqout "$work/o36_ir.der,$work/o36_cc.der" -rspout "$work/o36_ip.der,$work/o36_pc.der"
run print_encvalue ok "encryptedCert: encryptedValue" "$cmpkit" -print "$work/o36_ip.der"
run print_encvalue_fields ok "symmAlg: aes-256-cbc \(IV 16 bytes\)" "$cmpkit" -print \
    "$work/o36_ip.der"

# ---- cmpkit against the cmpkit mock server ----
run k_sig_central ok "saving centrally generated key" "$cmpkit" -config "" \
    -server "127.0.0.1:$p/pkix/" -cmd cr "${sig[@]}" "${common[@]}" -centralkeygen \
    -newkeyout "$work/k5.pem" -certout "$work/c5.pem" -rspout "$work/k_cp.der,$work/k_pc.der"
same_key "$work/k5.pem" "$work/c5.pem"
run print_privatekey ok "privateKey: envelopedData: version 0, recipientInfos ktri; content pkcs7-signedData, aes-256-cbc" \
    "$cmpkit" -print "$work/k_cp.der"
run k_mac_central ok "received the centrally generated key" "$cmpkit" -config "" \
    -server "127.0.0.1:$p/pkix/" -cmd kur "${mac[@]}" "${common[@]}" -oldcert signer_only.crt \
    -popo -1 -newkeyout "$work/k6.pem" -newkeypass pass:kp -certout "$work/c6.pem"
same_key "$work/k6.pem" "$work/c6.pem" pass:kp
run k_popo2 ok "decrypted the certificate" "$cmpkit" -config "" -server "127.0.0.1:$pk/pkix/" \
    -cmd ir "${sig[@]}" "${common[@]}" -popo 2 -certout "$work/c7.pem" \
    -rspout "$work/k_ip.der,$work/k_pc2.der"
run print_envelopeddata ok "encryptedCert: envelopedData: version 0, recipientInfos ktri" \
    "$cmpkit" -print "$work/k_ip.der"
# openssl's recorded transaction: its request, the EncryptedValue response
run k_rspin_encvalue ok "decrypted the certificate" "$cmpkit" -config "" -cmd ir "${sig[@]}" \
    "${common[@]}" -popo 2 -reqin "$work/o36_ir.der,$work/o36_cc.der" \
    -rspin "$work/o36_ip.der,$work/o36_pc.der" -certout "$work/c8.pem"
cmp -s "$work/c4.pem" "$work/c8.pem" || die "the certificate from -rspin differs"
passed=$((passed + 1))

# ---- cmpkit against the openssl 3.6.1 mock server ----
start openssl36 "$o36" cmp
po=$port
run k_o36_sig_central ok "saving centrally generated key" "$cmpkit" -config "" \
    -server "127.0.0.1:$po/pkix/" -cmd cr "${sig[@]}" "${common[@]}" -centralkeygen \
    -newkeyout "$work/k9.pem" -certout "$work/c9.pem"
same_key "$work/k9.pem" "$work/c9.pem"
# openssl's mock encrypts only for a certificate: after a signed request
# for that request's signer, which a MAC-only client cannot decrypt
run k_o36_mac_central fail "centrally generated key not acceptable|error creating certrep" \
    "$cmpkit" -config "" -server "127.0.0.1:$po/pkix/" -cmd cr "${mac[@]}" "${common[@]}" \
    -centralkeygen -newkeyout "$work/k10.pem" -certout "$work/c10.pem"
run k_o36_popo2 fail "badPOP" "$cmpkit" -config "" -server "127.0.0.1:$po/pkix/" -cmd ir \
    "${sig[@]}" "${common[@]}" -popo 2 -certout "$work/c11.pem"

echo "keys_interop: $passed checks passed"
