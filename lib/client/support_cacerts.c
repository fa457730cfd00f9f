/*
 * Get CA certificates (RFC 9810 5.3.19.14, RFC 9483 4.3.1):
 *   genm: id-it-caCerts, no value
 *   genp: id-it-caCerts, SEQUENCE SIZE (1..MAX) OF CMPCertificate | absent
 */
#include "client/internal.h"

int
cmp_get1_ca_certs(struct cmp_ctx *ctx, STACK_OF(X509) * *out)
{
    const struct cmp_itav *itav;

    if (ctx == NULL || out == NULL) {
        return 0;
    }
    *out = NULL;
    if (!cmp_cli_support_genm(ctx, CMP_NID_IT_CA_CERTS, NULL, 0, CMP_NID_IT_CA_CERTS, &itav)) {
        return 0;
    }
    if (!itav->has_value) {
        return 1; /* the server has none to give */
    }
    if (!cmp_vfy_ca_certs(&itav->value, ctx->vpm, out, &ctx->err)) {
        return CMP_CONTEXT(&ctx->err, "genp with caCerts");
    }
    return 1;
}
