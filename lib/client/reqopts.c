/*
 * The header and request options that openssl cmp gained after 3.0, as
 * 3.6 has them (openssl-cmp(1) of the master branch):
 *
 *   -geninfo      a comma-separated list of OID:int:N and OID:str:text (3.3)
 *   -profile      id-it-certProfile in generalInfo (3.3; RFC 9483 3.1,
 *                 RFC 9810 5.1.1.4)
 *   -serial       with -issuer, the certificate an rr revokes (3.2)
 *   -reqout_only  build and save the first request, send nothing (3.5)
 *   -no_cache_extracerts  (3.3) a flag of cmp_ctx_set_option()
 *   -srvcertout   the result cmp_ctx_get0_validated_srvcert() (3.2)
 *
 * The client's state machine (client.c) and request builders (build.c) read
 * what is set here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "client/internal.h"

/* Bounds on a -geninfo list: its length and its number of items. */
#define GENINFO_MAX_TEXT (64u << 10)
#define GENINFO_MAX_ITEMS 64

void
cmp_cli_reqopts_cleanup(struct cmp_ctx *ctx)
{
    free(ctx->profile);
    free(ctx->serial);
    free(ctx->reqout_only);
    ctx->profile = NULL;
    ctx->serial = NULL;
    ctx->serial_len = 0;
    ctx->reqout_only = NULL;
}

void
cmp_cli_reqopts_clear_results(struct cmp_ctx *ctx)
{
    X509_free(ctx->validated_srvcert);
    ctx->validated_srvcert = NULL;
    ctx->reqout_only_done = 0;
}

/* ---- -geninfo ---- */

/* Drops the ITAVs appended after the first |n| (a list that failed half-way). */
static void
geninfo_truncate(struct cmp_ctx *ctx, size_t n)
{
    while (ctx->num_geninfo > n) {
        struct cmp_cli_itav *it = &ctx->geninfo[--ctx->num_geninfo];

        free(it->oid);
        free(it->value);
    }
}

/* The DER of an INTEGER or a UTF8String value into |*der| (malloc'ed). */
static int
geninfo_value(int is_int, long long num, const char *text, size_t text_len, uint8_t **der,
              size_t *der_len)
{
    struct der_out w;
    int ok;

    der_out_init(&w, GENINFO_MAX_TEXT + 16);
    ok = is_int ? der_put_int64(&w, (int64_t)num)
                : der_put_prim(&w, DER_UTF8_STRING, (const uint8_t *)text, text_len);
    ok = ok && der_out_finish(&w, der, der_len);
    der_out_cleanup(&w);
    return ok;
}

/* One item "OID:int:N" or "OID:str:text" at |*pp|, which moves past it and its comma. */
static int
geninfo_item(struct cmp_ctx *ctx, char **pp)
{
    char *p = *pp, *oid, *end;
    const char *text = NULL;
    size_t text_len = 0;
    long long num = 0;
    uint8_t *der = NULL;
    size_t der_len = 0;
    int is_int, ok;

    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    oid = p;
    p = strchr(oid, ':');
    if (p == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "-geninfo: missing ':' in '%.40s'", oid);
    }
    *p++ = '\0';
    if (OBJ_txt2nid(oid) == NID_undef) {
        ERR_clear_error();
        cmp_cli_log(ctx, CMP_LOG_WARN, "unknown OID in -geninfo arg: %.40s", oid);
    }
    if (strncasecmp(p, "int:", 4) == 0) {
        is_int = 1;
        p += 4;
        errno = 0;
        num = strtoll(p, &end, 10);
        if (end == p || errno != 0) {
            return CMP_FAIL(&ctx->err, CMP_E_ARG, "-geninfo: cannot parse int in '%.40s'", p);
        }
        if (*end != '\0' && *end != ',') {
            return CMP_FAIL(&ctx->err, CMP_E_ARG,
                            "-geninfo: missing ',' or end of the list after int at '%.40s'", end);
        }
        p = *end == ',' ? end + 1 : end;
    } else if (strncasecmp(p, "str:", 4) == 0) {
        is_int = 0;
        text = p + 4;
        end = strchr(text, ',');
        text_len = end != NULL ? (size_t)(end - text) : strlen(text);
        p = end != NULL ? end + 1 : (char *)text + text_len;
    } else {
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "-geninfo: missing 'int:' or 'str:' in '%.40s'", p);
    }
    if (!geninfo_value(is_int, num, text, text_len, &der, &der_len)) {
        return CMP_FAIL(&ctx->err, CMP_E_ENCODE, "-geninfo value of %.40s", oid);
    }
    ok = cmp_ctx_add1_geninfo(ctx, oid, der, der_len);
    free(der);
    if (!ok) {
        return 0;
    }
    *pp = p;
    return 1;
}

int
cmp_ctx_add1_geninfo_text(struct cmp_ctx *ctx, const char *values)
{
    size_t n0, len, count = 0;
    char *copy, *p;
    int ok = 1;

    if (ctx == NULL) {
        return 0;
    }
    if (values == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "-geninfo: no value");
    }
    len = strlen(values);
    if (len > GENINFO_MAX_TEXT) {
        return CMP_FAIL(&ctx->err, CMP_E_LIMIT, "-geninfo: longer than %u bytes",
                        (unsigned)GENINFO_MAX_TEXT);
    }
    copy = malloc(len + 1);
    if (copy == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-geninfo");
    }
    memcpy(copy, values, len + 1);
    n0 = ctx->num_geninfo;
    p = copy;
    /* As openssl cmp: at least one item, and one more after each comma. */
    do {
        if (++count > GENINFO_MAX_ITEMS) {
            ok = CMP_FAIL(&ctx->err, CMP_E_LIMIT, "-geninfo: more than %d values",
                          GENINFO_MAX_ITEMS);
            break;
        }
        ok = geninfo_item(ctx, &p);
    } while (ok && *p != '\0');
    free(copy);
    if (!ok) {
        geninfo_truncate(ctx, n0);
    }
    return ok;
}

/* ---- -profile ---- */

int
cmp_ctx_set1_profile(struct cmp_ctx *ctx, const char *name)
{
    if (ctx == NULL) {
        return 0;
    }
    if (name != NULL && strlen(name) > GENINFO_MAX_TEXT) {
        return CMP_FAIL(&ctx->err, CMP_E_LIMIT, "-profile: longer than %u bytes",
                        (unsigned)GENINFO_MAX_TEXT);
    }
    return cmp_cli_set_str(ctx, &ctx->profile, name, "-profile");
}

int
cmp_cli_profile_itav(const struct cmp_ctx *ctx, struct cmp_msg *m, struct cmp_itav *it,
                     struct cmp_err *err)
{
    /* RFC 9810 5.1.1.4: CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String,
     * the syntax of PKIFreeText; one name for our one request. */
    struct der_in name = der_in_make((const uint8_t *)ctx->profile, strlen(ctx->profile));
    struct cmp_freetext ft;
    struct der_out w;
    uint8_t *der = NULL, *copy;
    size_t len = 0;
    int ok;

    ft.num = 1;
    ft.strs = &name;
    der_out_init(&w, GENINFO_MAX_TEXT + 16);
    ok = cmp_freetext_encode(&w, &ft) && der_out_finish(&w, &der, &len);
    der_out_cleanup(&w);
    if (!ok) {
        return CMP_FAIL(err, CMP_E_ENCODE, "certProfile");
    }
    copy = cmp_msg_dup(m, der, len);
    free(der);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certProfile");
    }
    it->type = cmp_oid(CMP_NID_IT_CERT_PROFILE);
    it->has_value = 1;
    it->value = der_in_make(copy, len);
    return 1;
}

/* ---- -serial ---- */

int
cmp_ctx_set1_serial(struct cmp_ctx *ctx, const ASN1_INTEGER *serial)
{
    unsigned char *der = NULL;
    struct der_in tlv, body;
    uint8_t *copy = NULL;
    int len;

    if (ctx == NULL) {
        return 0;
    }
    if (serial != NULL) {
        len = i2d_ASN1_INTEGER(serial, &der);
        tlv = der_in_make(der, len > 0 ? (size_t)len : 0);
        if (len <= 0 || !der_get_integer(&tlv, DER_INTEGER, &body) || !der_done(&tlv)) {
            OPENSSL_free(der);
            ERR_clear_error();
            return CMP_FAIL(&ctx->err, CMP_E_ARG, "-serial: not an INTEGER");
        }
        copy = malloc(body.len);
        if (copy == NULL) {
            OPENSSL_free(der);
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-serial");
        }
        memcpy(copy, body.p, body.len);
        ctx->serial_len = body.len;
        OPENSSL_free(der);
    } else {
        ctx->serial_len = 0;
    }
    free(ctx->serial);
    ctx->serial = copy;
    return 1;
}

/* ---- -reqout_only ---- */

int
cmp_ctx_set1_reqout_only(struct cmp_ctx *ctx, const char *file)
{
    if (ctx == NULL) {
        return 0;
    }
    return cmp_cli_set_str(ctx, &ctx->reqout_only, file, "-reqout_only");
}

int
cmp_ctx_reqout_only_done(const struct cmp_ctx *ctx)
{
    return ctx != NULL && ctx->reqout_only_done;
}

/* ---- results ---- */

X509 *
cmp_ctx_get0_validated_srvcert(const struct cmp_ctx *ctx)
{
    return ctx != NULL ? ctx->validated_srvcert : NULL;
}
