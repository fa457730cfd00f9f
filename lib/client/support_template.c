/*
 * Get certificate request template (RFC 9810 5.3.19.16, RFC 9483 4.3.3):
 *   genm: id-it-certReqTemplate, no value
 *   genp: id-it-certReqTemplate, CertReqTemplateContent | absent
 * The keySpec controls are logged at INFO, as openssl cmp does.
 */
#include <stdlib.h>
#include <string.h>

#include "client/internal.h"

/* A copy of |in| into a new buffer. */
static int
dup_der(const struct der_in *in, uint8_t **out, size_t *out_len)
{
    *out = malloc(in->len > 0 ? in->len : 1);
    if (*out == NULL) {
        return 0;
    }
    memcpy(*out, in->p, in->len);
    *out_len = in->len;
    return 1;
}

/* One line per keySpec control (lib/verify has checked their types). */
static void
log_key_spec(struct cmp_ctx *ctx, const struct cmp_itavs *spec)
{
    size_t i;

    cmp_cli_log(ctx, CMP_LOG_INFO, "key specifications contained in keySpec from genp:");
    for (i = 0; i < spec->num; i++) {
        const struct cmp_itav *c = &spec->items[i];
        struct der_in v = c->value, seq, oid;
        char name[96] = "?";
        int64_t n = 0;

        if (cmp_oid_is(&c->type, CMP_NID_REG_CTRL_RSA_KEY_LEN) && der_get_int64(&v, &n)) {
            cmp_cli_log(ctx, CMP_LOG_INFO, "key algorithm: RSA %lld", (long long)n);
        } else if (der_get(&v, DER_SEQUENCE, &seq) && der_get_oid(&seq, &oid)) {
            (void)cmp_oid_text(&oid, name, sizeof(name));
            cmp_cli_log(ctx, CMP_LOG_INFO, "key algorithm: %s%s", name,
                        der_done(&seq) ? "" : " with parameters");
        }
    }
}

int
cmp_get1_cert_req_template(struct cmp_ctx *ctx, uint8_t **tmpl, size_t *tmpl_len,
                           uint8_t **key_spec, size_t *key_spec_len)
{
    struct cmp_cert_req_template t;
    const struct cmp_itav *itav;
    struct der_out out;
    struct der_in v;
    int ok = 0;

    if (ctx == NULL || tmpl == NULL || tmpl_len == NULL) {
        return 0;
    }
    *tmpl = NULL;
    *tmpl_len = 0;
    if (key_spec != NULL) {
        *key_spec = NULL;
        *key_spec_len = 0;
    }
    if (!cmp_cli_support_genm(ctx, CMP_NID_IT_CERT_REQ_TEMPLATE, NULL, 0,
                              CMP_NID_IT_CERT_REQ_TEMPLATE, &itav)) {
        return 0;
    }
    if (!itav->has_value) {
        return 1; /* no template available */
    }
    memset(&t, 0, sizeof(t));
    v = itav->value;
    if (!cmp_cert_req_template_decode(&v, &t, &ctx->err) ||
        !cmp_vfy_cert_req_template(&t, &ctx->err)) {
        CMP_CONTEXT(&ctx->err, "genp with certReqTemplate");
        goto end;
    }
    if (!dup_der(&t.tmpl.raw, tmpl, tmpl_len)) {
        CMP_FAIL(&ctx->err, CMP_E_MEMORY, "certReqTemplate");
        goto end;
    }
    if (!t.has_key_spec) {
        cmp_cli_log(ctx, CMP_LOG_INFO, "no key specifications contained in keySpec from genp");
    } else {
        log_key_spec(ctx, &t.key_spec);
        if (key_spec != NULL) {
            der_out_init(&out, CMP_MAX_MSG_LEN);
            if (!cmp_itavs_encode(&out, DER_SEQUENCE, &t.key_spec) ||
                !der_out_finish(&out, key_spec, key_spec_len)) {
                der_out_cleanup(&out);
                CMP_FAIL(&ctx->err, CMP_E_ENCODE, "certReqTemplate keySpec");
                goto end;
            }
            der_out_cleanup(&out);
        }
    }
    ok = 1;
end:
    cmp_cert_req_template_cleanup(&t);
    if (!ok) {
        free(*tmpl);
        *tmpl = NULL;
        *tmpl_len = 0;
    }
    return ok;
}
