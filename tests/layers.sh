#!/usr/bin/env bash
# tests/layers.sh SOURCE_DIR: the code keeps the layer order that README's
# layout table and DESIGN.md give, and the project's one hard rule.
#  - lib/<layer>/ includes headers of its own layer and the layers before it
#    only (der, msg, crypto, verify, transfer, client, server, ca), plus the
#    public cmpkit/ headers;
#  - apps/ and examples/ include public headers (cmpkit/) only;
#  - no code of ours calls libcrypto's CMP, CRMF or HTTP code
#    (OSSL_CMP_*, OSSL_CRMF_*, OSSL_HTTP_*) or defines ASN.1 templates:
#    only bench/ may link them, to compare.
set -euo pipefail

src=${1:?usage: layers.sh SOURCE_DIR}
cd "$src"
order=(der msg crypto verify transfer client server ca)
fail=0

for ((i = 0; i < ${#order[@]}; i++)); do
    layer=${order[$i]}
    allowed="cmpkit ${order[*]:0:$((i + 1))}"
    while IFS=: read -r file line inc; do
        dir=${inc#*\"}
        dir=${dir%%/*}
        case " $allowed " in
        *" $dir "*) ;;
        *)
            echo "FAIL: $file:$line: lib/$layer includes $dir/ (allowed: $allowed)"
            fail=1
            ;;
        esac
    done < <(grep -n '^#include "[a-z_]*/' lib/"$layer"/*.[ch] || true)
done
extra=$(ls -d lib/*/ | sed 's|lib/||; s|/$||' | grep -vxF -f <(printf '%s\n' "${order[@]}") || true)
if [ -n "$extra" ]; then
    echo "FAIL: lib/ has folders outside the layer order: $extra (add them here, to README and DESIGN.md)"
    fail=1
fi

if grep -n '^#include "' apps/cmpkit/*.[ch] examples/*.c 2>/dev/null |
    grep -v '#include "cmpkit/' | grep -v '#include "[a-z_]*\.h"'; then
    echo "FAIL: apps/ or examples/ include library-internal headers (above)"
    fail=1
fi

if grep -rnE 'OSSL_(CMP|CRMF|HTTP)_|ossl_(cmp|crmf|http)_|d2i_OSSL_CMP|ASN1_SEQUENCE|ASN1_ITEM_TEMPLATE|IMPLEMENT_ASN1_FUNCTIONS' \
    lib apps include examples fuzz; then
    echo "FAIL: libcrypto's CMP/CRMF/HTTP code or ASN.1 templates used outside bench/ (above)"
    fail=1
fi

[ "$fail" = 0 ] && echo "layers: lib/ keeps the order ${order[*]}; apps/ uses public headers; no OSSL_CMP/CRMF/HTTP"
exit "$fail"
