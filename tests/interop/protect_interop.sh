#!/usr/bin/env bash
# protect_interop.sh REPROTECT GENERATED_DIR WORKDIR
#
# Does `openssl cmp` accept what cmpkit protects? Takes the generated
# ir_pbm transaction (tests/vectors/gen_vectors.sh), re-protects its two
# responses (ip, pkiConf) with cmpkit (REPROTECT, tests/interop/reprotect.c)
# and lets `openssl cmp -cmd ir` process them with -rspin (which makes it
# send nothing and take the responses from the files; it adopts each
# response's transactionID and nonces, so only the protection and the
# contents are checked). openssl must enroll (exit 0) for every protection
# it supports, and must fail (exit non-zero) when one bit of our protection
# is flipped, so a pass means that openssl verified our protection.
#
# PBMAC1, which openssl cmp 3.0 cannot verify, is checked one way instead:
# `openssl kdf` (PBKDF2) and `openssl mac` (HMAC) recompute our protection
# from the parameters and ProtectedPart in the message.
set -euo pipefail

if [ "$#" -ne 3 ]; then
    echo "usage: $0 REPROTECT GENERATED_DIR WORKDIR" >&2
    exit 2
fi
reprotect=$1
gen=$2
work=$3

die() {
    echo "protect_interop: error: $*" >&2
    exit 1
}

command -v openssl >/dev/null || die "the openssl CLI is not installed"
[ -x "$reprotect" ] || die "$reprotect is not executable"
for f in ir_pbm_1_ir.der ir_pbm_2_ip.der ir_pbm_3_certConf.der ir_pbm_4_pkiConf.der \
    secret.txt ref.txt pki/server.key pki/server.crt pki/ee.key pki/root.crt; do
    [ -f "$gen/$f" ] || die "$gen/$f is missing (run the vectors_generate test first)"
done
rm -rf "$work"
mkdir -p "$work"

version=$(openssl version)
secret=$(head -n 1 "$gen/secret.txt")
ref=$(head -n 1 "$gen/ref.txt")
pki=$gen/pki
server_dn="/CN=cmpkit Test CMP Server"
ip=$gen/ir_pbm_2_ip.der
pkiconf=$gen/ir_pbm_4_pkiConf.der
# -reqin is ignored when -rspin gives every response, but names the requests
# that the responses answer.
reqs="$gen/ir_pbm_1_ir.der,$gen/ir_pbm_3_certConf.der"
failures=0

echo "== $version"

# client NAME IP PKICONF OPTIONS...: runs openssl cmp on the two responses; prints the exit status
client() {
    local name=$1 rsp_ip=$2 rsp_pc=$3 rc=0
    shift 3
    timeout 60 openssl cmp -config "" -batch -cmd ir -reqin "$reqs" -rspin "$rsp_ip,$rsp_pc" \
        -ref "$ref" -secret "pass:$secret" -recipient "$server_dn" \
        -newkey "$pki/ee.key" -subject "/CN=cmpkit Test EE" \
        -out_trusted "$pki/root.crt" -untrusted "$pki/server.crt" \
        -certout "$work/$name.crt" "$@" >"$work/$name.log" 2>&1 || rc=$?
    echo "$rc"
}

# expect NAME ok|fail IP PKICONF OPTIONS...: "fail" must be openssl rejecting the protection
expect() {
    local name=$1 want=$2 rc
    shift 2
    rc=$(client "$name" "$@")
    if [ "$rc" -eq 124 ]; then
        echo "FAIL  $name: openssl cmp timed out"
        failures=$((failures + 1))
    elif { [ "$want" = ok ] && [ "$rc" -eq 0 ] && [ -s "$work/$name.crt" ]; } ||
        { [ "$want" = fail ] && [ "$rc" -ne 0 ] &&
            grep -q 'error validating protection' "$work/$name.log"; }; then
        echo "ok    $name: openssl cmp exit $rc (expected $want)"
    else
        echo "FAIL  $name: openssl cmp exit $rc, expected $want; log:"
        sed 's/^/      /' "$work/$name.log"
        failures=$((failures + 1))
    fi
}

# protect NAME REPROTECT-OPTIONS...: NAME_ip.der, NAME_pc.der and NAME_bad.der
# (the ip with one bit of its protection flipped)
protect() {
    local name=$1
    shift
    "$reprotect" "$ip" "$work/${name}_ip.der" "$@"
    "$reprotect" "$pkiconf" "$work/${name}_pc.der" "$@"
    "$reprotect" "$ip" "$work/${name}_bad.der" "$@" --corrupt
}

# case NAME OPENSSL-OPTIONS -- REPROTECT-OPTIONS...: accepted as is, rejected when corrupted
case_pair() {
    local name=$1 opts=()
    shift
    while [ "$1" != -- ]; do
        opts+=("$1")
        shift
    done
    shift
    protect "$name" "$@"
    expect "$name" ok "$work/${name}_ip.der" "$work/${name}_pc.der" ${opts[@]+"${opts[@]}"}
    expect "$name-corrupted" fail "$work/${name}_bad.der" "$work/${name}_pc.der" \
        ${opts[@]+"${opts[@]}"}
}

# Signer certificates with the server's name (openssl cmp expects the sender
# to be the -srvcert subject): RSA, Ed25519 and Ed448; ECDSA is the test
# PKI's own server key.
for alg in RSA ED25519 ED448; do
    if [ "$alg" = RSA ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/$alg.key" \
            2>/dev/null
    else
        openssl genpkey -algorithm "$alg" -out "$work/$alg.key"
    fi
    openssl req -config /dev/null -x509 -new -key "$work/$alg.key" -subj "$server_dn" -days 30 \
        -addext "keyUsage=critical,digitalSignature" -addext "subjectKeyIdentifier=hash" \
        -out "$work/$alg.crt"
done

echo "== PBM"
case_pair pbm_sha256_hmac-sha1 -- --pbm "pass:$secret"
case_pair pbm_sha512_hmacWithSHA256 -- --pbm "pass:$secret" --owf sha512 --mac hmacWithSHA256
case_pair pbm_sha1_hmacWithSHA512_1000 -- --pbm "pass:$secret" --owf sha1 --mac sha512 \
    --iter 1000
"$reprotect" "$ip" "$work/pbm_wrong_ip.der" --pbm pass:not-the-secret
expect pbm_wrong_secret fail "$work/pbm_wrong_ip.der" "$work/pbm_sha256_hmac-sha1_pc.der"

echo "== signatures (openssl cmp -srvcert pins the signer)"
case_pair ecdsa_p256_sha256 -srvcert "$pki/server.crt" -- \
    --key "$pki/server.key" --cert "$pki/server.crt"
case_pair ecdsa_p256_sha384 -srvcert "$pki/server.crt" -- \
    --key "$pki/server.key" --cert "$pki/server.crt" --digest sha384
case_pair rsa_sha256 -srvcert "$work/RSA.crt" -- --key "$work/RSA.key" --cert "$work/RSA.crt"
case_pair rsa_sha512 -srvcert "$work/RSA.crt" -- --key "$work/RSA.key" --cert "$work/RSA.crt" \
    --digest sha512
case_pair rsassa-pss_sha256 -srvcert "$work/RSA.crt" -- \
    --key "$work/RSA.key" --cert "$work/RSA.crt" --pss
case_pair ed25519 -srvcert "$work/ED25519.crt" -- \
    --key "$work/ED25519.key" --cert "$work/ED25519.crt"
case_pair ed448 -srvcert "$work/ED448.crt" -- --key "$work/ED448.key" --cert "$work/ED448.crt"
# signed by a key other than the pinned certificate's
"$reprotect" "$ip" "$work/wrong_signer_ip.der" --key "$work/RSA.key" --cert "$pki/server.crt"
expect wrong_signer fail "$work/wrong_signer_ip.der" "$work/ecdsa_p256_sha256_pc.der" \
    -srvcert "$pki/server.crt"

echo "== PBMAC1"
protect pbmac1 --pbmac1 "pass:$secret" --prf sha512 --mac sha256 --iter 2000
rc=$(client pbmac1 "$work/pbmac1_ip.der" "$work/pbmac1_pc.der")
echo "info  pbmac1: openssl cmp exit $rc ($(openssl version -v | cut -d' ' -f1-2) cannot verify" \
    "PBMAC1: $(grep -m 1 'CMP error' "$work/pbmac1.log" | sed 's/.*CMP error: //'))"

# The one-way check: recompute the PBMAC1 protection with openssl kdf and mac.
dump=$work/pbmac1_ip.txt
msg=$work/pbmac1_ip.der
openssl asn1parse -inform DER -in "$msg" >"$dump"
# offset, header length and length of each element at depth 1: header, body, protection
mapfile -t top < <(
    sed -n 's/^ *\([0-9]*\):d=1 *hl=\([0-9]*\) *l= *\([0-9]*\) .*/\1 \2 \3/p' "$dump"
)
read -r h_off _ _ <<<"${top[0]}"
read -r b_off b_hl b_len <<<"${top[1]}"
read -r p_off _ _ <<<"${top[2]}"
part_len=$((b_off + b_hl + b_len - h_off))
if [ "$part_len" -lt 128 ]; then
    len_hex=$(printf '%02x' "$part_len")
elif [ "$part_len" -lt 256 ]; then
    len_hex=$(printf '81%02x' "$part_len")
else
    len_hex=$(printf '82%04x' "$part_len")
fi
# shellcheck disable=SC2059 # the format is the escaped SEQUENCE header
{
    printf "$(printf '30%s' "$len_hex" | sed 's/../\\x&/g')"
    tail -c +$((h_off + 1)) "$msg" | head -c "$part_len"
} >"$work/pbmac1_part.der"
salt=$(sed -n '/:PBKDF2$/,$ { /OCTET STRING/ { s/.*HEX DUMP\]://p; q } }' "$dump")
mapfile -t ints < <(sed -n '/:PBKDF2$/,/:hmacWith/ { s/.*INTEGER *://p }' "$dump")
prf=$(sed -n '/:PBKDF2$/,$ { s/.*OBJECT *:hmacWith//p }' "$dump" | sed -n 1p)
mac=$(sed -n '/:PBKDF2$/,$ { s/.*OBJECT *:hmacWith//p }' "$dump" | sed -n 2p)
iter=$((16#${ints[0]}))
keylen=$((16#${ints[1]}))
# the protection BIT STRING: after its unused-bits octet
read -r bs_off bs_hl bs_len < <(
    sed -n 's/^ *\([0-9]*\):d=2 *hl=\([0-9]*\) *l= *\([0-9]*\) .*BIT STRING.*/\1 \2 \3/p' "$dump" |
        awk -v p="$p_off" '$1 > p' | head -n 1
)
ours=$(tail -c +$((bs_off + bs_hl + 2)) "$msg" | head -c $((bs_len - 1)) | od -An -v -tx1 |
    tr -d ' \n' | tr a-f A-F)
key=$(openssl kdf -keylen "$keylen" -kdfopt "digest:$prf" -kdfopt "pass:$secret" \
    -kdfopt "hexsalt:$salt" -kdfopt "iter:$iter" PBKDF2 | tr -d ':')
theirs=$(openssl mac -digest "$mac" -macopt "hexkey:$key" -in "$work/pbmac1_part.der" HMAC |
    tr a-f A-F)
if [ -n "$ours" ] && [ "$ours" = "$theirs" ]; then
    echo "ok    pbmac1: openssl kdf PBKDF2 ($prf, $iter iterations, $keylen bytes) +" \
        "openssl mac HMAC-$mac give our protection"
else
    echo "FAIL  pbmac1: our protection '$ours', openssl kdf/mac '$theirs'"
    failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
    echo "== $failures failure(s)"
    exit 1
fi
echo "== all interop checks passed"
