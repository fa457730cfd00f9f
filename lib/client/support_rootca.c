/*
 * Root CA certificate update (RFC 9810 5.3.19.15, RFC 9483 4.3.2):
 *   genm: id-it-rootCaCert, RootCaCertValue (the current root) | absent
 *   genp: id-it-rootCaKeyUpdate, RootCaKeyUpdateContent | absent
 * The new root is what the client will trust, so it is accepted only as
 * lib/verify's cmp_vfy_root_ca_update() allows: through a newWithOld that
 * the old root signed for the new root's subject and key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "client/internal.h"

/* The certificate of a slice, or NULL with |err| naming |what|. */
static X509 *
parse_cert(const struct der_in *der, const char *what, struct cmp_err *err)
{
    X509 *x = cmp_vfy_cert_parse(der);

    if (x == NULL) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "rootCaKeyUpdate: %s is not a certificate",
                      what);
    }
    return x;
}

int
cmp_get1_root_ca_update(struct cmp_ctx *ctx, X509 *old_root, X509 **new_with_new,
                        X509 **new_with_old, X509 **old_with_new)
{
    struct cmp_root_ca_key_update u;
    const struct cmp_itav *itav;
    unsigned char *old_der = NULL;
    X509 *nwn = NULL, *nwo = NULL, *own = NULL;
    struct der_in v;
    int len = 0, ok = 0;

    if (ctx == NULL || new_with_new == NULL) {
        return 0;
    }
    *new_with_new = NULL;
    if (new_with_old != NULL) {
        *new_with_old = NULL;
    }
    if (old_with_new != NULL) {
        *old_with_new = NULL;
    }
    if (old_root != NULL) {
        len = i2d_X509(old_root, &old_der);
        if (len <= 0) {
            cmp_cli_clear_results(ctx);
            return CMP_FAIL_SSL(&ctx->err, CMP_FI_NONE, "-oldwithold");
        }
    }
    ok = cmp_cli_support_genm(ctx, CMP_NID_IT_ROOT_CA_CERT, old_der, (size_t)len,
                              CMP_NID_IT_ROOT_CA_KEY_UPDATE, &itav);
    OPENSSL_free(old_der);
    if (!ok) {
        return 0;
    }
    if (!itav->has_value) {
        return 1; /* no update available */
    }
    ok = 0;
    memset(&u, 0, sizeof(u));
    v = itav->value;
    if (!cmp_root_ca_key_update_decode(&v, &u, &ctx->err)) {
        return CMP_CONTEXT(&ctx->err, "genp with rootCaKeyUpdate");
    }
    nwn = parse_cert(&u.new_with_new, "newWithNew", &ctx->err);
    if (nwn == NULL ||
        (u.has_new_with_old &&
         (nwo = parse_cert(&u.new_with_old, "newWithOld", &ctx->err)) == NULL) ||
        (u.has_old_with_new &&
         (own = parse_cert(&u.old_with_new, "oldWithNew", &ctx->err)) == NULL)) {
        goto end;
    }
    if (!cmp_vfy_root_ca_update(old_root, ctx->trusted, nwn, nwo, own, ctx->vpm, &ctx->err)) {
        CMP_CONTEXT(&ctx->err, "genp with rootCaKeyUpdate");
        goto end;
    }
    if (old_root == NULL && own != NULL) {
        cmp_cli_log(ctx, CMP_LOG_WARN,
                    "oldWithNew certificate received in genp for verifying oldWithOld, but "
                    "oldWithOld was not provided");
    }
    *new_with_new = nwn;
    nwn = NULL;
    if (new_with_old != NULL) {
        *new_with_old = nwo;
        nwo = NULL;
    }
    if (old_with_new != NULL) {
        *old_with_new = own;
        own = NULL;
    }
    ok = 1;
end:
    X509_free(nwn);
    X509_free(nwo);
    X509_free(own);
    return ok;
}
