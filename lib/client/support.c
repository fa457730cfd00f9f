/*
 * The transaction of the support messages (RFC 9810 5.3.19, RFC 9483
 * 4.3): one genm with one InfoTypeAndValue of the module's type
 * (support_*.c, one per kind of information), and the ITAV of the genp
 * that answers it.
 */
#include <string.h>

#include "client/internal.h"

int
cmp_cli_support_genm(struct cmp_ctx *ctx, int nid, const uint8_t *value, size_t value_len,
                     int answer_nid, const struct cmp_itav **out)
{
    struct der_in answer = cmp_oid(answer_nid);
    size_t others = 0;
    int ok;

    *out = NULL;
    memset(&ctx->support_itav, 0, sizeof(ctx->support_itav));
    ctx->support_itav.type = cmp_oid(nid);
    if (value != NULL) {
        ctx->support_itav.has_value = 1;
        ctx->support_itav.value = der_in_make(value, value_len);
    }
    ok = cmp_exec(ctx, CMP_CMD_GENM);
    memset(&ctx->support_itav, 0, sizeof(ctx->support_itav));
    if (!ok) {
        return 0;
    }
    if (!cmp_vfy_genp_itav(ctx->genp, answer_nid, out, &others, &ctx->err)) {
        return CMP_CONTEXT(&ctx->err, "genm transaction");
    }
    if (others > 0) {
        cmp_cli_log(ctx, CMP_LOG_WARN,
                    "genp contains %zu ITAV(s) of other types; using the first one of type %s",
                    others, cmp_oid_name(&answer));
    }
    return 1;
}
