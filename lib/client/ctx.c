/*
 * The client context: openssl cmp's options, set one by one, and the
 * results of the last transaction.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "client/internal.h"
#include "cmpkit/load.h"

/* ---- life cycle ---- */

struct cmp_ctx *
cmp_ctx_new(void)
{
    struct cmp_ctx *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL) {
        return NULL;
    }
    cmp_err_init(&ctx->err);
    ctx->verbosity = CMP_LOG_INFO;
    ctx->popo = 1;       /* signature */
    ctx->revreason = -1; /* none */
    ctx->status = -1;
    return ctx;
}

static void
free_secret(uint8_t *p, size_t len)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, len);
        free(p);
    }
}

void
cmp_cli_clear_results(struct cmp_ctx *ctx)
{
    size_t i;

    X509_free(ctx->newcert);
    sk_X509_pop_free(ctx->newchain, X509_free);
    sk_X509_pop_free(ctx->capubs, X509_free);
    sk_X509_pop_free(ctx->extracerts_in, X509_free);
    cmp_msg_free(ctx->genp);
    EVP_PKEY_free(ctx->central_key);
    ctx->central_key = NULL;
    ctx->newcert = NULL;
    ctx->newchain = ctx->capubs = ctx->extracerts_in = NULL;
    ctx->genp = NULL;
    ctx->status = -1;
    ctx->failinfo = 0;
    ctx->status_text[0] = '\0';
    cmp_cli_reqopts_clear_results(ctx);
    for (i = 0; i < ctx->num_results; i++) {
        X509_free(ctx->results[i].cert);
        free(ctx->results[i].text);
    }
    memset(ctx->results, 0, sizeof(ctx->results));
    ctx->num_results = 0;
    cmp_err_init(&ctx->err);
}

void
cmp_ctx_free(struct cmp_ctx *ctx)
{
    size_t i;

    if (ctx == NULL) {
        return;
    }
    cmp_cli_clear_results(ctx);
    cmp_cli_reqopts_cleanup(ctx);
    cmp_transfer_free(ctx->transfer);
    cmp_names_cleanup(&ctx->reqin);
    free_secret(ctx->secret, ctx->secret_len);
    free(ctx->ref);
    X509_free(ctx->cert);
    EVP_PKEY_free(ctx->key);
    sk_X509_pop_free(ctx->extracerts, X509_free);
    sk_X509_pop_free(ctx->untrusted, X509_free);
    X509_STORE_free(ctx->own_trusted);
    free(ctx->digest);
    free(ctx->mac);
    free(ctx->pbmac1_prf);
    free(ctx->pbmac1_mac);
    X509_STORE_free(ctx->trusted);
    X509_free(ctx->srvcert);
    X509_NAME_free(ctx->expect_sender);
    X509_NAME_free(ctx->recipient);
    X509_VERIFY_PARAM_free(ctx->vpm);
    X509_NAME_free(ctx->subject);
    X509_NAME_free(ctx->issuer);
    EVP_PKEY_free(ctx->newkey);
    X509_free(ctx->oldcert);
    X509_REQ_free(ctx->csr);
    free(ctx->reqexts);
    GENERAL_NAMES_free(ctx->sans);
    sk_ASN1_OBJECT_pop_free(ctx->policies, ASN1_OBJECT_free);
    for (i = 0; i < ctx->num_geninfo; i++) {
        free(ctx->geninfo[i].oid);
        free(ctx->geninfo[i].value);
    }
    free(ctx->geninfo);
    free(ctx->infotype);
    X509_STORE_free(ctx->out_trusted);
    cmp_ctx_clear_requests(ctx);
    EVP_PKEY_free(ctx->spki_key);
    OPENSSL_free(ctx->spki_der);
    free(ctx);
}

const struct cmp_err *
cmp_ctx_error(const struct cmp_ctx *ctx)
{
    return &ctx->err;
}

void
cmp_ctx_set_log_cb(struct cmp_ctx *ctx, cmp_log_fn *fn, void *arg, int verbosity)
{
    ctx->log = fn;
    ctx->log_arg = arg;
    ctx->verbosity = verbosity;
}

void
cmp_cli_sanitize(char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c == 0x7F) {
            *s = '?';
        }
    }
}

void
cmp_cli_log(const struct cmp_ctx *ctx, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (ctx->log == NULL || level > ctx->verbosity) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    cmp_cli_sanitize(line);
    ctx->log(ctx->log_arg, level, line);
}

/* One printed line of a message, logged with the prefix of struct msg_log. */
struct msg_log {
    const struct cmp_ctx *ctx;
    int level;
};

static void
msg_log_line(void *arg, const char *line)
{
    const struct msg_log *ml = arg;

    cmp_cli_log(ml->ctx, ml->level, "  %s", line);
}

void
cmp_cli_log_msg(const struct cmp_ctx *ctx, const char *what, const uint8_t *der, size_t len)
{
    struct msg_log ml;
    struct cmp_msg *m = NULL;
    struct cmp_err e;

    if (ctx->log == NULL || ctx->verbosity < CMP_LOG_DEBUG) {
        return;
    }
    cmp_err_init(&e);
    if (!cmp_msg_decode(&m, der, len, &e)) {
        return; /* the caller reports what does not decode */
    }
    ml.ctx = ctx;
    ml.level = ctx->verbosity >= CMP_LOG_TRACE ? CMP_LOG_TRACE : CMP_LOG_DEBUG;
    cmp_cli_log(ctx, ml.level, "%s (%zu bytes)%s", what, len,
                ml.level == CMP_LOG_TRACE ? ":" : ", header:");
    cmp_msg_print_lines(m, ml.level == CMP_LOG_DEBUG, msg_log_line, &ml);
    cmp_msg_free(m);
}

/*
 * The labels of the log lines ("sending IR"): the body table's names
 * (lib/msg/body.c) in upper case, as openssl cmp prints them. Made once.
 */
static char body_labels[CMP_BODY_MAX + 1][16];
static pthread_once_t body_labels_once = PTHREAD_ONCE_INIT;

static void
make_body_labels(void)
{
    int t;
    size_t i;

    for (t = 0; t <= CMP_BODY_MAX; t++) {
        const char *name = cmp_body_type_name(t);

        for (i = 0; name != NULL && name[i] != '\0' && i + 1 < sizeof(body_labels[t]); i++) {
            body_labels[t][i] = (char)toupper((unsigned char)name[i]);
        }
        body_labels[t][i] = '\0';
    }
}

const char *
cmp_cli_body_label(int type)
{
    if (type < 0 || type > CMP_BODY_MAX) {
        return "?";
    }
    (void)pthread_once(&body_labels_once, make_body_labels);
    return body_labels[type][0] != '\0' ? body_labels[type] : "?";
}

const char *
cmp_cli_hex(const uint8_t *p, size_t len, char *buf, size_t buf_len)
{
    size_t i, pos = 0;

    if (buf_len == 0) {
        return buf;
    }
    buf[0] = '\0';
    for (i = 0; i < len; i++) {
        if (pos + 3 + 4 >= buf_len) {
            snprintf(buf + pos, buf_len - pos, "...");
            break;
        }
        pos += (size_t)snprintf(buf + pos, buf_len - pos, "%s%02X", i > 0 ? ":" : "", p[i]);
    }
    return buf;
}

/* ---- options ---- */

int
cmp_ctx_set_option(struct cmp_ctx *ctx, int opt, int value)
{
    int *p = NULL, lo = 0, hi = 1;

    switch (opt) {
    case CMP_OPT_DAYS:
        p = &ctx->days;
        hi = 365 * 1000;
        break;
    case CMP_OPT_POPO:
        p = &ctx->popo;
        lo = -1;
        hi = 2;
        break;
    case CMP_OPT_REVREASON:
        /* RFC 5280 5.3.1: 0..10, 7 is not used */
        if (value == 7) {
            return CMP_FAIL(&ctx->err, CMP_E_ARG, "-revreason 7 is not a CRLReason");
        }
        p = &ctx->revreason;
        lo = -1;
        hi = 10;
        break;
    case CMP_OPT_IMPLICIT_CONFIRM:
        p = &ctx->implicit_confirm;
        break;
    case CMP_OPT_DISABLE_CONFIRM:
        p = &ctx->disable_confirm;
        break;
    case CMP_OPT_UNPROTECTED_SEND:
        p = &ctx->unprotected_send;
        break;
    case CMP_OPT_UNPROTECTED_ERRORS:
        p = &ctx->unprotected_errors;
        break;
    case CMP_OPT_IGNORE_KEYUSAGE:
        p = &ctx->ignore_keyusage;
        break;
    case CMP_OPT_MSG_TIMEOUT:
        ctx->msg_timeout = value < 0 ? 0 : value;
        ctx->msg_timeout_set = 1;
        return 1;
    case CMP_OPT_TOTAL_TIMEOUT:
        ctx->total_timeout = value < 0 ? 0 : value;
        ctx->total_timeout_set = 1;
        return 1;
    case CMP_OPT_SANS_CRITICAL:
        p = &ctx->sans_critical;
        break;
    case CMP_OPT_SAN_NODEFAULT:
        p = &ctx->san_nodefault;
        break;
    case CMP_OPT_POLICIES_CRITICAL:
        p = &ctx->policies_critical;
        break;
    case CMP_OPT_REQIN_NEW_TID:
        p = &ctx->reqin_new_tid;
        break;
    case CMP_OPT_NO_CACHE_EXTRACERTS:
        p = &ctx->no_cache_extracerts;
        break;
    case CMP_OPT_PBM_ITERATIONS:
        p = &ctx->pbm_iterations;
        lo = 100; /* cmp_protect_pbm()'s minimum */
        hi = CMP_CLI_MAX_ITERATIONS;
        break;
    case CMP_OPT_PBMAC1:
        p = &ctx->pbmac1;
        break;
    case CMP_OPT_PVNO:
        p = &ctx->pvno;
        lo = CMP_PVNO_2000;
        hi = CMP_PVNO_2021;
        break;
    default:
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "unknown client option %d", opt);
    }
    if (value < lo || value > hi) {
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "client option %d: %d is out of range %d..%d", opt,
                        value, lo, hi);
    }
    *p = value;
    return 1;
}

void
cmp_ctx_set0_transfer(struct cmp_ctx *ctx, struct cmp_transfer *t)
{
    if (ctx->transfer != t) {
        cmp_transfer_free(ctx->transfer);
    }
    ctx->transfer = t;
}

int
cmp_ctx_set1_reqin(struct cmp_ctx *ctx, const char *files)
{
    struct cmp_names names;

    if (!cmp_names_split(&names, files, &ctx->err)) {
        return CMP_CONTEXT(&ctx->err, "-reqin");
    }
    cmp_names_cleanup(&ctx->reqin);
    ctx->reqin = names;
    return 1;
}

/* ---- setters ---- */

static int
set_bytes(struct cmp_ctx *ctx, uint8_t **dst, size_t *dst_len, const uint8_t *p, size_t len,
          int wipe, const char *what)
{
    uint8_t *copy = NULL;

    if (p != NULL) {
        copy = malloc(len > 0 ? len : 1);
        if (copy == NULL) {
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
        }
        memcpy(copy, p, len);
    }
    if (wipe) {
        free_secret(*dst, *dst_len);
    } else {
        free(*dst);
    }
    *dst = copy;
    *dst_len = p != NULL ? len : 0;
    return 1;
}

int
cmp_ctx_set1_secret(struct cmp_ctx *ctx, const uint8_t *secret, size_t len)
{
    return set_bytes(ctx, &ctx->secret, &ctx->secret_len, secret, len, 1, "-secret");
}

int
cmp_ctx_set1_secret_source(struct cmp_ctx *ctx, const char *source)
{
    char *pass = NULL;
    int ok;

    if (source == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "-secret: no source given");
    }
    if (!cmp_load_pass(&pass, source, "-secret", &ctx->err)) {
        return 0; /* the message names "-secret" and the source */
    }
    ok = cmp_ctx_set1_secret(ctx, (const uint8_t *)pass, strlen(pass));
    cmp_load_pass_free(pass);
    return ok;
}

int
cmp_ctx_set1_ref(struct cmp_ctx *ctx, const uint8_t *ref, size_t len)
{
    return set_bytes(ctx, &ctx->ref, &ctx->ref_len, ref, len, 0, "-ref");
}

int
cmp_ctx_set1_reqexts(struct cmp_ctx *ctx, const uint8_t *der, size_t len)
{
    if (der != NULL) {
        const unsigned char *p = der;
        X509_EXTENSIONS *exts = d2i_X509_EXTENSIONS(NULL, &p, (long)len);

        if (exts == NULL || p != der + len) {
            sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
            ERR_clear_error();
            return CMP_FAIL(&ctx->err, CMP_E_ARG, "-reqexts: not a DER Extensions SEQUENCE");
        }
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    }
    return set_bytes(ctx, &ctx->reqexts, &ctx->reqexts_len, der, len, 0, "-reqexts");
}

static int
set_str(struct cmp_ctx *ctx, char **dst, const char *s, const char *what)
{
    char *copy = NULL;

    if (s != NULL) {
        size_t n = strlen(s) + 1;

        copy = malloc(n);
        if (copy == NULL) {
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
        }
        memcpy(copy, s, n);
    }
    free(*dst);
    *dst = copy;
    return 1;
}

int
cmp_cli_set_str(struct cmp_ctx *ctx, char **dst, const char *s, const char *what)
{
    return set_str(ctx, dst, s, what);
}

int
cmp_ctx_set1_digest(struct cmp_ctx *ctx, const char *name)
{
    if (name != NULL) {
        EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);

        if (md == NULL) {
            ERR_clear_error();
            return CMP_FAIL(&ctx->err, CMP_E_ARG, "-digest %s: unknown digest", name);
        }
        EVP_MD_free(md);
    }
    return set_str(ctx, &ctx->digest, name, "-digest");
}

int
cmp_ctx_set1_mac(struct cmp_ctx *ctx, const char *name)
{
    return set_str(ctx, &ctx->mac, name, "-mac");
}

/* RFC 9481 6.1.3 / RFC 8018 B.1: hmacWith<digest> for SHA-1 and SHA-2; checked when set. */
static int
set_pbmac1_digest(struct cmp_ctx *ctx, char **dst, const char *digest, const char *what)
{
    static const char *const ok[] = {"SHA1", "SHA224", "SHA256", "SHA384", "SHA512"};
    const struct cmp_digest *d;
    size_t i;

    if (digest != NULL) {
        d = cmp_digest_by_name(digest);
        for (i = 0; d != NULL && i < sizeof(ok) / sizeof(ok[0]); i++) {
            if (strcmp(d->name, ok[i]) == 0) {
                break;
            }
        }
        if (d == NULL || i == sizeof(ok) / sizeof(ok[0])) {
            return CMP_FAIL(&ctx->err, CMP_E_ARG,
                            "%s %s: not a digest of PBMAC1's HMACs (sha1, sha224, sha256, "
                            "sha384, sha512)",
                            what, digest);
        }
        digest = d->name;
    }
    return set_str(ctx, dst, digest, what);
}

int
cmp_ctx_set1_pbmac1_prf(struct cmp_ctx *ctx, const char *digest)
{
    return set_pbmac1_digest(ctx, &ctx->pbmac1_prf, digest, "-pbmac1_prf");
}

int
cmp_ctx_set1_pbmac1_mac(struct cmp_ctx *ctx, const char *digest)
{
    return set_pbmac1_digest(ctx, &ctx->pbmac1_mac, digest, "-pbmac1_mac");
}

static int
set_x509(struct cmp_ctx *ctx, X509 **dst, X509 *x, const char *what)
{
    if (x != NULL && !X509_up_ref(x)) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
    }
    X509_free(*dst);
    *dst = x;
    return 1;
}

static int
set_pkey(struct cmp_ctx *ctx, EVP_PKEY **dst, EVP_PKEY *k, const char *what)
{
    if (k != NULL && !EVP_PKEY_up_ref(k)) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
    }
    EVP_PKEY_free(*dst);
    *dst = k;
    return 1;
}

static int
set_store(struct cmp_ctx *ctx, X509_STORE **dst, X509_STORE *s, const char *what)
{
    if (s != NULL && !X509_STORE_up_ref(s)) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
    }
    X509_STORE_free(*dst);
    *dst = s;
    return 1;
}

static int
set_certs(struct cmp_ctx *ctx, STACK_OF(X509) * *dst, STACK_OF(X509) * certs, const char *what)
{
    STACK_OF(X509) *copy = NULL;

    if (certs != NULL && (copy = X509_chain_up_ref(certs)) == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
    }
    sk_X509_pop_free(*dst, X509_free);
    *dst = copy;
    return 1;
}

static int
set_name(struct cmp_ctx *ctx, X509_NAME **dst, const X509_NAME *name, const char *what)
{
    X509_NAME *copy = NULL;

    if (name != NULL && (copy = X509_NAME_dup(name)) == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "%s", what);
    }
    X509_NAME_free(*dst);
    *dst = copy;
    return 1;
}

int
cmp_ctx_set1_cert(struct cmp_ctx *ctx, X509 *cert)
{
    return set_x509(ctx, &ctx->cert, cert, "-cert");
}

int
cmp_ctx_set1_key(struct cmp_ctx *ctx, EVP_PKEY *key)
{
    return set_pkey(ctx, &ctx->key, key, "-key");
}

int
cmp_ctx_set1_extracerts(struct cmp_ctx *ctx, STACK_OF(X509) * certs)
{
    return set_certs(ctx, &ctx->extracerts, certs, "-extracerts");
}

int
cmp_ctx_set1_untrusted(struct cmp_ctx *ctx, STACK_OF(X509) * certs)
{
    return set_certs(ctx, &ctx->untrusted, certs, "-untrusted");
}

int
cmp_ctx_set1_own_trusted(struct cmp_ctx *ctx, X509_STORE *store)
{
    return set_store(ctx, &ctx->own_trusted, store, "-own_trusted");
}

int
cmp_ctx_set1_trusted(struct cmp_ctx *ctx, X509_STORE *store)
{
    return set_store(ctx, &ctx->trusted, store, "-trusted");
}

int
cmp_ctx_set1_srvcert(struct cmp_ctx *ctx, X509 *cert)
{
    return set_x509(ctx, &ctx->srvcert, cert, "-srvcert");
}

int
cmp_ctx_set1_expect_sender(struct cmp_ctx *ctx, const X509_NAME *name)
{
    return set_name(ctx, &ctx->expect_sender, name, "-expect_sender");
}

int
cmp_ctx_set1_vpm(struct cmp_ctx *ctx, const X509_VERIFY_PARAM *vpm)
{
    X509_VERIFY_PARAM *copy = NULL;

    if (vpm != NULL) {
        copy = X509_VERIFY_PARAM_new();
        if (copy == NULL || !X509_VERIFY_PARAM_set1(copy, vpm)) {
            X509_VERIFY_PARAM_free(copy);
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "verification options");
        }
    }
    X509_VERIFY_PARAM_free(ctx->vpm);
    ctx->vpm = copy;
    return 1;
}

int
cmp_ctx_set1_recipient(struct cmp_ctx *ctx, const X509_NAME *name)
{
    return set_name(ctx, &ctx->recipient, name, "-recipient");
}

int
cmp_ctx_set1_subject(struct cmp_ctx *ctx, const X509_NAME *name)
{
    return set_name(ctx, &ctx->subject, name, "-subject");
}

int
cmp_ctx_set1_issuer(struct cmp_ctx *ctx, const X509_NAME *name)
{
    return set_name(ctx, &ctx->issuer, name, "-issuer");
}

int
cmp_ctx_set1_newkey(struct cmp_ctx *ctx, EVP_PKEY *key)
{
    return set_pkey(ctx, &ctx->newkey, key, "-newkey");
}

int
cmp_ctx_add1_request(struct cmp_ctx *ctx, const X509_NAME *subject, EVP_PKEY *newkey)
{
    struct cmp_cli_extra_req *x;

    if (ctx->num_extra >= CMP_MAX_EXTRA_REQUESTS) {
        return CMP_FAIL(&ctx->err, CMP_E_LIMIT, "more than %d further certificate requests",
                        CMP_MAX_EXTRA_REQUESTS);
    }
    x = &ctx->extra[ctx->num_extra];
    memset(x, 0, sizeof(*x));
    if (subject != NULL && (x->subject = X509_NAME_dup(subject)) == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "certificate request #%zu: subject",
                        ctx->num_extra + 1);
    }
    if (newkey != NULL) {
        if (!EVP_PKEY_up_ref(newkey)) {
            X509_NAME_free(x->subject);
            x->subject = NULL;
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "certificate request #%zu: key",
                            ctx->num_extra + 1);
        }
        x->newkey = newkey;
    }
    ctx->num_extra++;
    return 1;
}

void
cmp_ctx_clear_requests(struct cmp_ctx *ctx)
{
    size_t i;

    if (ctx == NULL) {
        return;
    }
    for (i = 0; i < ctx->num_extra; i++) {
        X509_NAME_free(ctx->extra[i].subject);
        EVP_PKEY_free(ctx->extra[i].newkey);
    }
    memset(ctx->extra, 0, sizeof(ctx->extra));
    ctx->num_extra = 0;
}

int
cmp_ctx_set1_oldcert(struct cmp_ctx *ctx, X509 *cert)
{
    return set_x509(ctx, &ctx->oldcert, cert, "-oldcert");
}

int
cmp_ctx_set1_csr(struct cmp_ctx *ctx, X509_REQ *csr)
{
    X509_REQ *copy = NULL;

    if (csr != NULL && (copy = X509_REQ_dup(csr)) == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-csr");
    }
    X509_REQ_free(ctx->csr);
    ctx->csr = copy;
    return 1;
}

int
cmp_ctx_set1_out_trusted(struct cmp_ctx *ctx, X509_STORE *store)
{
    return set_store(ctx, &ctx->out_trusted, store, "-out_trusted");
}

/* ---- OIDs, SANs, policies, ITAVs ---- */

int
cmp_cli_oid(const char *text, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    ASN1_OBJECT *obj = text != NULL ? OBJ_txt2obj(text, 0) : NULL;
    int n;

    *out = NULL;
    *out_len = 0;
    if (obj == NULL) {
        ERR_clear_error();
        return CMP_FAIL(err, CMP_E_ARG, "unknown OID or name '%.60s'", text != NULL ? text : "");
    }
    n = OBJ_length(obj);
    *out = malloc(n > 0 ? (size_t)n : 1);
    if (n <= 0 || *out == NULL) {
        free(*out);
        *out = NULL;
        ASN1_OBJECT_free(obj);
        return CMP_FAIL(err, CMP_E_ARG, "unusable OID '%.60s'", text);
    }
    memcpy(*out, OBJ_get0_data(obj), (size_t)n);
    *out_len = (size_t)n;
    ASN1_OBJECT_free(obj);
    return 1;
}

/* The InfoType of cmpkit's OID table named |name| ("id-it-rootCaCert"), as a new copy. */
static int
known_infotype(const char *name, uint8_t **out, size_t *out_len)
{
    int nid;

    *out = NULL;
    for (nid = 0; nid < CMP_NID_NUM; nid++) {
        struct der_in oid = cmp_oid(nid);
        const char *n = cmp_oid_name(&oid);

        if (n != NULL && strncmp(n, "id-it-", 6) == 0 && strcmp(n, name) == 0) {
            *out = malloc(oid.len);
            if (*out != NULL) {
                memcpy(*out, oid.p, oid.len);
                *out_len = oid.len;
            }
            return 1;
        }
    }
    return 0;
}

int
cmp_ctx_set1_infotype(struct cmp_ctx *ctx, const char *oid)
{
    uint8_t *der = NULL;
    size_t len = 0;

    if (oid != NULL) {
        /* As openssl cmp: the name after "id-it-" (signKeyPairTypes), else any OID. */
        char full[128];
        ASN1_OBJECT *obj;

        snprintf(full, sizeof(full), "id-it-%s", oid);
        obj = OBJ_txt2obj(full, 0);
        if (obj != NULL) {
            oid = full;
            ASN1_OBJECT_free(obj);
        }
        ERR_clear_error();
        /* id-it names newer than the libcrypto we run with (rootCaCert: OpenSSL 3.2) */
        if (obj == NULL && known_infotype(full, &der, &len)) {
            oid = NULL;
        } else if (!cmp_cli_oid(oid, &der, &len, &ctx->err)) {
            return CMP_CONTEXT(&ctx->err, "-infotype");
        }
        if (der == NULL) {
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-infotype");
        }
    }
    free(ctx->infotype);
    ctx->infotype = der;
    ctx->infotype_len = len;
    return 1;
}

int
cmp_ctx_add1_geninfo(struct cmp_ctx *ctx, const char *oid, const uint8_t *value_der,
                     size_t value_len)
{
    struct cmp_cli_itav item, *items;
    struct der_in in = der_in_make(value_der, value_len);

    memset(&item, 0, sizeof(item));
    if (value_der != NULL && (!der_get_any(&in, NULL, NULL, NULL) || !der_done(&in))) {
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "-geninfo: the value is not one DER element");
    }
    if (!cmp_cli_oid(oid, &item.oid, &item.oid_len, &ctx->err)) {
        return CMP_CONTEXT(&ctx->err, "-geninfo");
    }
    if (value_der != NULL) {
        item.value = malloc(value_len);
        if (item.value == NULL) {
            free(item.oid);
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-geninfo");
        }
        memcpy(item.value, value_der, value_len);
        item.value_len = value_len;
    }
    items = realloc(ctx->geninfo, (ctx->num_geninfo + 1) * sizeof(*items));
    if (items == NULL) {
        free(item.oid);
        free(item.value);
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-geninfo");
    }
    items[ctx->num_geninfo++] = item;
    ctx->geninfo = items;
    return 1;
}

int
cmp_ctx_add1_policy(struct cmp_ctx *ctx, const char *oid)
{
    ASN1_OBJECT *obj = oid != NULL ? OBJ_txt2obj(oid, 0) : NULL;

    if (obj == NULL) {
        ERR_clear_error();
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "-policy_oids: unknown OID '%.60s'",
                        oid != NULL ? oid : "");
    }
    if (ctx->policies == NULL) {
        ctx->policies = sk_ASN1_OBJECT_new_null();
    }
    if (ctx->policies == NULL || !sk_ASN1_OBJECT_push(ctx->policies, obj)) {
        ASN1_OBJECT_free(obj);
        return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-policy_oids");
    }
    return 1;
}

/* One -sans element: an IP address, a URI or a DNS name (as openssl cmp decides). */
static GENERAL_NAME *
san_of(const char *s)
{
    GENERAL_NAME *gn = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, s, 0);

    if (gn != NULL) {
        return gn;
    }
    ERR_clear_error();
    return a2i_GENERAL_NAME(NULL, NULL, NULL, strchr(s, ':') != NULL ? GEN_URI : GEN_DNS, s, 0);
}

int
cmp_ctx_set1_sans(struct cmp_ctx *ctx, const char *spec)
{
    struct cmp_names names;
    size_t i;

    if (!cmp_names_split(&names, spec, &ctx->err)) {
        return CMP_CONTEXT(&ctx->err, "-sans");
    }
    for (i = 0; i < names.num; i++) {
        GENERAL_NAME *gn;

        if (strcmp(names.items[i], "critical") == 0) {
            ctx->sans_critical = 1;
            continue;
        }
        gn = san_of(names.items[i]);
        if (gn == NULL) {
            ERR_clear_error();
            CMP_FAIL(&ctx->err, CMP_E_ARG, "-sans: bad name '%.60s'", names.items[i]);
            cmp_names_cleanup(&names);
            return 0;
        }
        if (ctx->sans == NULL) {
            ctx->sans = GENERAL_NAMES_new();
        }
        if (ctx->sans == NULL || !sk_GENERAL_NAME_push(ctx->sans, gn)) {
            GENERAL_NAME_free(gn);
            cmp_names_cleanup(&names);
            return CMP_FAIL(&ctx->err, CMP_E_MEMORY, "-sans");
        }
    }
    cmp_names_cleanup(&names);
    return 1;
}

/* ---- results ---- */

X509 *
cmp_ctx_get0_newcert(const struct cmp_ctx *ctx)
{
    return ctx->newcert;
}

EVP_PKEY *
cmp_ctx_get0_central_key(const struct cmp_ctx *ctx)
{
    return ctx->central_key;
}

STACK_OF(X509) * cmp_ctx_get0_newchain(const struct cmp_ctx *ctx)
{
    return ctx->newchain;
}

STACK_OF(X509) * cmp_ctx_get0_capubs(const struct cmp_ctx *ctx)
{
    return ctx->capubs;
}

STACK_OF(X509) * cmp_ctx_get0_extracerts_in(const struct cmp_ctx *ctx)
{
    return ctx->extracerts_in;
}

size_t
cmp_ctx_num_genp_itavs(const struct cmp_ctx *ctx)
{
    return ctx->genp != NULL ? ctx->genp->body.u.itavs.num : 0;
}

int
cmp_ctx_get0_genp_itav(const struct cmp_ctx *ctx, size_t i, const uint8_t **oid, size_t *oid_len,
                       const uint8_t **value, size_t *value_len)
{
    const struct cmp_itav *it;

    if (i >= cmp_ctx_num_genp_itavs(ctx)) {
        return 0;
    }
    it = &ctx->genp->body.u.itavs.items[i];
    *oid = it->type.p;
    *oid_len = it->type.len;
    *value = it->has_value ? it->value.p : NULL;
    *value_len = it->has_value ? it->value.len : 0;
    return 1;
}

int
cmp_ctx_get_status(const struct cmp_ctx *ctx)
{
    return ctx->status;
}

size_t
cmp_ctx_num_cert_results(const struct cmp_ctx *ctx)
{
    return ctx->num_results;
}

int
cmp_ctx_get0_cert_result(const struct cmp_ctx *ctx, size_t i, int64_t *cert_req_id, int *status,
                         uint32_t *failinfo, X509 **cert, const char **text)
{
    const struct cmp_cli_result *r;

    if (i >= ctx->num_results) {
        return 0;
    }
    r = &ctx->results[i];
    if (cert_req_id != NULL) {
        *cert_req_id = r->cert_req_id;
    }
    if (status != NULL) {
        *status = r->status;
    }
    if (failinfo != NULL) {
        *failinfo = r->failinfo;
    }
    if (cert != NULL) {
        *cert = r->cert;
    }
    if (text != NULL) {
        *text = r->text != NULL ? r->text : "";
    }
    return 1;
}

uint32_t
cmp_ctx_get_failinfo(const struct cmp_ctx *ctx)
{
    return ctx->failinfo;
}

const char *
cmp_ctx_status_text(const struct cmp_ctx *ctx, char *buf, size_t buf_len)
{
    if (buf_len > 0) {
        snprintf(buf, buf_len, "%s", ctx->status_text);
    }
    return buf;
}

/* openssl's words for PKIStatus values, as its client prints them. */
/* Appends to |buf| without overflowing; the text is cut when it is full. */
static void append(char *buf, size_t cap, size_t *pos, const char *fmt, ...) CMP_PRINTF(4, 5);

static void
append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*pos + 1 >= cap) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *pos += (size_t)n < cap - *pos ? (size_t)n : cap - *pos - 1;
    }
}

/*
 * As the openssl cmp 3.0 client prints a PKIStatusInfo:
 *   PKIStatus: rejection; PKIFailureInfo: badRequest; StatusString: "text"
 */
void
cmp_cli_set_status(struct cmp_ctx *ctx, const struct cmp_pkistatus *si)
{
    char *buf = ctx->status_text;
    size_t cap = sizeof(ctx->status_text), pos = 0, i;
    int bit, first = 1;

    ctx->status = si->status >= 0 && si->status <= 6 ? (int)si->status : 99;
    ctx->failinfo = si->has_fail_info ? (uint32_t)(si->fail_info & 0x7FFFFFFu) : 0;
    append(buf, cap, &pos, "PKIStatus: %s", cmp_vfy_status_name(si->status));
    if (ctx->failinfo != 0) {
        append(buf, cap, &pos, "; PKIFailureInfo: ");
        for (bit = 0; bit <= CMP_FI_MAX; bit++) {
            if ((ctx->failinfo >> bit) & 1) {
                append(buf, cap, &pos, "%s%s", first ? "" : ", ", cmp_failure_bit_name(bit));
                first = 0;
            }
        }
    } else if (si->status != CMP_STATUS_ACCEPTED && si->status != CMP_STATUS_GRANTED_WITH_MODS) {
        append(buf, cap, &pos, "; <no failure info>");
    }
    if (si->has_status_string && si->status_string.num > 0) {
        append(buf, cap, &pos, "; StatusString%s: ", si->status_string.num > 1 ? "s" : "");
        for (i = 0; i < si->status_string.num; i++) {
            const struct der_in *s = &si->status_string.strs[i];
            int n = s->len > 400 ? 400 : (int)s->len;

            append(buf, cap, &pos, "\"%.*s\"%s", n, (const char *)s->p,
                   i + 1 < si->status_string.num ? ", " : "");
        }
    }
    /* Peer text: one line, no control characters (STYLE.md 3). */
    cmp_cli_sanitize(buf);
}
