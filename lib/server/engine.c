/*
 * The server engine: bytes in, decode, check, dispatch to the responder,
 * build the header, protect, bytes out (DESIGN.md: the mirror image of the
 * client). Every request gets an answer: a bad one a CMP error message
 * (RFC 9810 5.3.21) whose PKIStatusInfo names the failure bit, with a
 * short statusString of ours; the full error record goes to the log.
 *
 * Protection of responses follows the `openssl cmp` mock server: MAC-based
 * (with -srv_secret, senderKID -srv_ref) when the request was MAC-protected,
 * else a signature with -srv_cert/-srv_key (senderKID its SKID, extraCerts
 * the certificate and its chain), else MAC-based; none with
 * -send_unprotected, or for negative responses with -send_unprot_err.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "server/internal.h"

/* [4] { SEQUENCE {} }: the NULL-DN as a directoryName */
static const uint8_t null_dn_gname[] = {0xA4, 0x02, 0x30, 0x00};

/* the value of id-it-implicitConfirm, NULL */
static const uint8_t der_null[] = {0x05, 0x00};

/* ---- logging ---- */

void
cmp_srv_log(const struct cmp_srv *srv, const char *tid_hex, int level, const char *fmt, ...)
{
    char line[1024];
    size_t pos = 0, i;
    va_list ap;
    int n;

    if (srv->cfg.log == NULL || level > srv->cfg.verbosity) {
        return;
    }
    if (tid_hex != NULL && tid_hex[0] != '\0') {
        n = snprintf(line, sizeof(line), "[tid=%s] ", tid_hex);
        pos = n > 0 ? (size_t)n : 0;
    }
    if (pos < sizeof(line)) {
        va_start(ap, fmt);
        vsnprintf(line + pos, sizeof(line) - pos, fmt, ap);
        va_end(ap);
    }
    /* Texts may quote the peer: one line, no control characters. */
    for (i = 0; line[i] != '\0'; i++) {
        unsigned char c = (unsigned char)line[i];

        if (c == '\n') {
            line[i] = '/';
        } else if (c < 0x20 || c == 0x7F) {
            line[i] = '?';
        }
    }
    srv->cfg.log(srv->cfg.log_arg, level, line);
}

void
cmp_srv_log_err(const struct cmp_srv *srv, const char *tid_hex, int level, const char *what,
                const struct cmp_err *err)
{
    char buf[CMP_ERR_MSG_MAX + CMP_ERR_FRAMES * (CMP_ERR_FRAME_MAX + 8) + 128];

    if (srv->cfg.log == NULL || level > srv->cfg.verbosity) {
        return;
    }
    cmp_err_format(err, buf, sizeof(buf));
    if (err->file != NULL) {
        cmp_srv_log(srv, tid_hex, level, "%s: %s (%s:%d)", what, buf, err->file, err->line);
    } else {
        cmp_srv_log(srv, tid_hex, level, "%s: %s", what, buf);
    }
}

static void
hex_tid(char *out, size_t out_len, const struct der_in *tid)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i, pos = 0, max = CMP_SRV_MAX_TID_LEN;

    out[0] = '\0';
    for (i = 0; i < tid->len && i < max && pos + 3 < out_len; i++) {
        out[pos++] = digits[tid->p[i] >> 4];
        out[pos++] = digits[tid->p[i] & 0x0F];
    }
    if (i < tid->len && pos + 4 <= out_len) {
        memcpy(out + pos, "...", 3);
        pos += 3;
    }
    out[pos] = '\0';
}

/* ---- small helpers ---- */

static int64_t
now_secs(void)
{
    return (int64_t)time(NULL);
}

/* Fresh nonces and transactionIDs; deterministic under CMP_FUZZ. */
static int
fresh_bytes(struct cmp_srv *srv, uint8_t *p, size_t n)
{
#ifdef CMP_FUZZ
    size_t i;
    uint64_t c = __atomic_add_fetch(&srv->fuzz_counter, 1, __ATOMIC_RELAXED);

    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(c >> (8 * (i % 8))) ^ (uint8_t)(0xA5 + i);
    }
    return 1;
#else
    (void)srv;
    return RAND_bytes(p, (int)n) == 1;
#endif
}

int
cmp_srv_status_set(struct cmp_pkistatus *si, int64_t status, uint64_t bits, const char *text)
{
    memset(si, 0, sizeof(*si));
    si->status = status;
    if (bits != 0) {
        si->has_fail_info = 1;
        si->fail_info = bits;
    }
    if (text != NULL) {
        si->status_string.strs = malloc(sizeof(*si->status_string.strs));
        if (si->status_string.strs == NULL) {
            return 0;
        }
        si->status_string.strs[0] = der_in_make((const uint8_t *)text, strlen(text));
        si->status_string.num = 1;
        si->has_status_string = 1;
    }
    return 1;
}

int
cmp_srv_certs_attach(struct cmp_certs *dst, const struct cmp_srv_certs *src)
{
    memset(dst, 0, sizeof(*dst));
    if (src->num == 0) {
        return 1;
    }
    dst->items = malloc(src->num * sizeof(*dst->items));
    if (dst->items == NULL) {
        return 0;
    }
    memcpy(dst->items, src->items, src->num * sizeof(*dst->items));
    dst->num = src->num;
    return 1;
}

static void
certs_cleanup(struct cmp_srv_certs *c)
{
    free(c->items);
    free(c->buf);
    memset(c, 0, sizeof(*c));
}

/* Copies |num| certificates (DER) into |dst|'s own buffer. */
static int
certs_set(struct cmp_srv_certs *dst, const struct der_in *items, size_t num)
{
    size_t i, total = 0, pos = 0;

    memset(dst, 0, sizeof(*dst));
    if (num == 0) {
        return 1;
    }
    for (i = 0; i < num; i++) {
        total += items[i].len;
    }
    dst->items = calloc(num, sizeof(*dst->items));
    dst->buf = malloc(total > 0 ? total : 1);
    if (dst->items == NULL || dst->buf == NULL) {
        certs_cleanup(dst);
        return 0;
    }
    for (i = 0; i < num; i++) {
        memcpy(dst->buf + pos, items[i].p, items[i].len);
        dst->items[i] = der_in_make(dst->buf + pos, items[i].len);
        pos += items[i].len;
    }
    dst->num = num;
    return 1;
}

static int
certs_from_stack(struct cmp_srv_certs *dst, STACK_OF(X509) * sk, struct cmp_err *err)
{
    int i, n = sk_X509_num(sk);
    struct der_in *items = NULL;
    uint8_t **ders = NULL;
    int ok = 0;

    memset(dst, 0, sizeof(*dst));
    if (n <= 0) {
        return 1;
    }
    if (n > CMP_MAX_ITEMS) {
        return CMP_FAIL(err, CMP_E_LIMIT, "%d certificates exceed the limit %u", n,
                        (unsigned)CMP_MAX_ITEMS);
    }
    items = calloc((size_t)n, sizeof(*items));
    ders = calloc((size_t)n, sizeof(*ders));
    if (items == NULL || ders == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "certificate list");
        goto done;
    }
    for (i = 0; i < n; i++) {
        int len = i2d_X509(sk_X509_value(sk, i), &ders[i]);

        if (len <= 0) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot encode certificate #%d", i);
            goto done;
        }
        items[i] = der_in_make(ders[i], (size_t)len);
    }
    ok = certs_set(dst, items, (size_t)n);
    if (!ok) {
        CMP_FAIL(err, CMP_E_MEMORY, "certificate list");
    }

done:
    for (i = 0; ders != NULL && i < n; i++) {
        OPENSSL_free(ders[i]);
    }
    free(ders);
    free(items);
    return ok;
}

/* The extraCerts that cmp_set_extra_certs() makes for a signed response. */
static int
sig_certs(struct cmp_srv_certs *dst, X509 *cert, STACK_OF(X509) * untrusted, STACK_OF(X509) * extra,
          struct cmp_err *err)
{
    struct cmp_msg *m = cmp_msg_new();
    int ok;

    if (m == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
    }
    ok = cmp_set_extra_certs(m, cert, untrusted, extra, err) &&
         certs_set(dst, m->extra_certs.items, m->extra_certs.num);
    if (!ok && err != NULL && err->code == CMP_E_NONE) {
        CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
    }
    cmp_msg_free(m);
    return ok;
}

/* 0: no MAC (none, or a signature), 1: PBM, 2: PBMAC1 */
static int
mac_kind(const struct cmp_header *h)
{
    if (h == NULL || !h->has_protection_alg) {
        return 0;
    }
    if (der_oid_eq(&h->protection_alg.oid, CMP_OID_PBM, CMP_OID_PBM_LEN)) {
        return 1;
    }
    if (der_oid_eq(&h->protection_alg.oid, CMP_OID_PBMAC1, CMP_OID_PBMAC1_LEN)) {
        return 2;
    }
    return 0;
}

/* RFC 9810 5.1.1.1: does the header carry id-it-implicitConfirm? */
static int
asks_implicit_confirm(const struct cmp_header *h)
{
    size_t i;

    if (!h->has_general_info) {
        return 0;
    }
    for (i = 0; i < h->general_info.num; i++) {
        if (cmp_oid_is(&h->general_info.items[i].type, CMP_NID_IT_IMPLICIT_CONFIRM)) {
            return 1;
        }
    }
    return 0;
}

/* ---- the configuration ---- */

void
cmp_srv_config_init(struct cmp_srv_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->failure = -1;
}

static char *
dup_str(const char *s)
{
    size_t n;
    char *d;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s) + 1;
    d = malloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}

/* The configuration checks of `openssl cmp` for its mock server options. */
static int
check_config(const struct cmp_srv_config *c, struct cmp_err *err)
{
    if (c->secret == NULL && c->cert == NULL) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "server credentials (-srv_secret or -srv_cert) must be given");
    }
    if (c->secret != NULL && c->secret_len == 0) {
        return CMP_FAIL(err, CMP_E_ARG, "-srv_secret is empty");
    }
    if (c->cert == NULL && c->ref == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "-srv_ref must be given when no -srv_cert is");
    }
    /* As openssl cmp: -srv_cert without -srv_key is fine with -srv_secret (the
     * certificate then only names the sender of MAC-protected responses). */
    if (c->cert != NULL && c->key == NULL && c->secret == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "-srv_key must be given with -srv_cert");
    }
    if (c->key != NULL && c->cert == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "-srv_cert must be given with -srv_key");
    }
    if (c->key != NULL && X509_check_private_key(c->cert, c->key) != 1) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "-srv_key does not match -srv_cert");
    }
    if (c->pkistatus < CMP_STATUS_ACCEPTED || c->pkistatus > CMP_STATUS_KEY_UPDATE_WARNING) {
        return CMP_FAIL(err, CMP_E_ARG, "-pkistatus %d is out of range 0..6", c->pkistatus);
    }
    if (c->failure < -1 || c->failure > CMP_FI_MAX) {
        return CMP_FAIL(err, CMP_E_ARG, "-failure %d is out of range 0..%d", c->failure,
                        CMP_FI_MAX);
    }
    if (c->failurebits >= (1u << (CMP_FI_MAX + 1))) {
        return CMP_FAIL(err, CMP_E_ARG, "-failurebits %u is out of range 0..%u", c->failurebits,
                        (1u << (CMP_FI_MAX + 1)) - 1);
    }
    if (c->poll_count < 0 || c->check_after < 0) {
        return CMP_FAIL(err, CMP_E_ARG, "-poll_count and -check_after must not be negative");
    }
    if (c->max_iterations < 0 || c->transaction_timeout_s < 0) {
        return CMP_FAIL(err, CMP_E_ARG, "limits must not be negative");
    }
    return 1;
}

static int
take_refs(struct cmp_srv *srv, const struct cmp_srv_config *c, struct cmp_err *err)
{
    struct cmp_srv_config *o = &srv->cfg;

    if ((c->cert != NULL && !X509_up_ref(c->cert)) ||
        (c->key != NULL && !EVP_PKEY_up_ref(c->key))) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "server credentials");
    }
    o->cert = c->cert;
    o->key = c->key;
    if (c->trusted != NULL) {
        if (!X509_STORE_up_ref(c->trusted)) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-srv_trusted");
        }
        o->trusted = c->trusted;
    }
    if (c->rsp_cert != NULL) {
        if (!X509_up_ref(c->rsp_cert)) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_cert");
        }
        o->rsp_cert = c->rsp_cert;
    }
    if (c->untrusted != NULL) {
        o->untrusted = X509_chain_up_ref(c->untrusted);
    }
    if (c->rsp_extracerts != NULL) {
        o->rsp_extracerts = X509_chain_up_ref(c->rsp_extracerts);
    }
    if (c->rsp_capubs != NULL) {
        o->rsp_capubs = X509_chain_up_ref(c->rsp_capubs);
    }
    if ((c->untrusted != NULL && o->untrusted == NULL) ||
        (c->rsp_extracerts != NULL && o->rsp_extracerts == NULL) ||
        (c->rsp_capubs != NULL && o->rsp_capubs == NULL)) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "certificate lists");
    }
    if (c->vpm != NULL) {
        o->vpm = X509_VERIFY_PARAM_new();
        if (o->vpm == NULL || !X509_VERIFY_PARAM_set1(o->vpm, c->vpm)) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "verification parameters");
        }
    }
    return 1;
}

/* The DER that every response reuses: sender, senderKID, the -rsp_* certificates. */
static int
precompute(struct cmp_srv *srv, struct cmp_err *err)
{
    const struct cmp_srv_config *c = &srv->cfg;
    unsigned char *der = NULL;
    int len;

    if (c->cert != NULL) {
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(c->cert);
        struct der_in name;

        len = i2d_X509_NAME(X509_get_subject_name(c->cert), &der);
        if (len <= 0) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "subject of -srv_cert");
        }
        name = der_in_make(der, (size_t)len);
        srv->sender_buf = malloc((size_t)len + 6);
        if (srv->sender_buf == NULL ||
            !cmp_gname_set_dirname(&srv->sender, srv->sender_buf, (size_t)len + 6, &name)) {
            OPENSSL_free(der);
            return CMP_FAIL(err, CMP_E_MEMORY, "sender name");
        }
        OPENSSL_free(der);
        der = NULL;
        if (skid != NULL && ASN1_STRING_length(skid) > 0) {
            srv->skid_len = (size_t)ASN1_STRING_length(skid);
            srv->skid = malloc(srv->skid_len);
            if (srv->skid == NULL) {
                return CMP_FAIL(err, CMP_E_MEMORY, "senderKID");
            }
            memcpy(srv->skid, ASN1_STRING_get0_data(skid), srv->skid_len);
        }
        if (!sig_certs(&srv->sig_plain, c->cert, c->untrusted, NULL, err) ||
            !sig_certs(&srv->sig_extra, c->cert, c->untrusted, c->rsp_extracerts, err)) {
            return CMP_CONTEXT(err, "extraCerts of signed responses");
        }
    } else {
        srv->sender.type = CMP_GN_DIRNAME;
        srv->sender.whole = der_in_make(null_dn_gname, sizeof(null_dn_gname));
        srv->sender.value = der_in_make(null_dn_gname + 2, 2);
    }
    if (c->rsp_cert != NULL) {
        struct der_in in, serial;

        len = i2d_X509(c->rsp_cert, &srv->rsp_cert_der);
        if (len <= 0) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_cert");
        }
        srv->rsp_cert_len = (size_t)len;
        len = i2d_X509_NAME(X509_get_issuer_name(c->rsp_cert), &srv->rsp_issuer);
        if (len <= 0) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "issuer of -rsp_cert");
        }
        srv->rsp_issuer_len = (size_t)len;
        len = i2d_ASN1_INTEGER(X509_get0_serialNumber(c->rsp_cert), &der);
        in = der_in_make(der, len > 0 ? (size_t)len : 0);
        if (len <= 0 || !der_get_integer(&in, DER_INTEGER, &serial)) {
            OPENSSL_free(der);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "serial number of -rsp_cert");
        }
        srv->rsp_serial = malloc(serial.len);
        if (srv->rsp_serial == NULL) {
            OPENSSL_free(der);
            return CMP_FAIL(err, CMP_E_MEMORY, "serial number of -rsp_cert");
        }
        memcpy(srv->rsp_serial, serial.p, serial.len);
        srv->rsp_serial_len = serial.len;
        OPENSSL_free(der);
    }
    if (!certs_from_stack(&srv->capubs, c->rsp_capubs, err) ||
        !certs_from_stack(&srv->extra, c->rsp_extracerts, err)) {
        return CMP_CONTEXT(err, "-rsp_capubs, -rsp_extracerts");
    }
    return 1;
}

struct cmp_srv *
cmp_srv_new(const struct cmp_srv_config *cfg, struct cmp_err *err)
{
    struct cmp_srv *srv;
    struct cmp_srv_config *o;

    if (cfg == NULL) {
        CMP_FAIL(err, CMP_E_ARG, "no server configuration");
        return NULL;
    }
    if (!check_config(cfg, err)) {
        return NULL;
    }
    srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "server");
        return NULL;
    }
    o = &srv->cfg;
    *o = *cfg;
    /* Nothing below is ours until taken: cmp_srv_free() must see NULLs. */
    o->ref = o->statusstring = NULL;
    o->secret = NULL;
    o->cert = o->rsp_cert = NULL;
    o->key = NULL;
    o->trusted = NULL;
    o->untrusted = o->rsp_extracerts = o->rsp_capubs = NULL;
    o->vpm = NULL;
    if (o->verbosity == 0) {
        o->verbosity = CMP_SRV_LOG_INFO;
    }
    if (o->max_iterations == 0) {
        o->max_iterations = CMP_SRV_DEFAULT_MAX_ITERATIONS;
    }
    if (o->max_transactions == 0) {
        o->max_transactions = CMP_SRV_DEFAULT_MAX_TRANSACTIONS;
    }
    if (o->transaction_timeout_s == 0) {
        o->transaction_timeout_s = CMP_SRV_DEFAULT_TRANSACTION_TIMEOUT;
    }
    /* -failurebits overrides -failure (as openssl cmp). */
    srv->failbits = (int)cfg->failurebits;
    if (srv->failbits == 0 && cfg->failure >= 0) {
        srv->failbits = 1 << cfg->failure;
    }
    if (!take_refs(srv, cfg, err)) {
        goto fail;
    }
    srv->ref = dup_str(cfg->ref);
    o->statusstring = dup_str(cfg->statusstring);
    if ((cfg->ref != NULL && srv->ref == NULL) ||
        (cfg->statusstring != NULL && o->statusstring == NULL)) {
        CMP_FAIL(err, CMP_E_MEMORY, "-srv_ref, -statusstring");
        goto fail;
    }
    o->ref = srv->ref;
    if (cfg->secret != NULL) {
        srv->secret = malloc(cfg->secret_len);
        if (srv->secret == NULL) {
            CMP_FAIL(err, CMP_E_MEMORY, "-srv_secret");
            goto fail;
        }
        memcpy(srv->secret, cfg->secret, cfg->secret_len);
        srv->secret_len = cfg->secret_len;
        o->secret = srv->secret;
        if (!cmp_pbm_derive(NULL, srv->secret, srv->secret_len, srv->pbm_salt,
                            &srv->pbm_salt_len, srv->pbm_key, &srv->pbm_key_len, err)) {
            CMP_CONTEXT(err, "-srv_secret");
            goto fail;
        }
        srv->has_pbm_key = 1;
    }
    if (!precompute(srv, err)) {
        goto fail;
    }
    if (!cmp_srv_table_init(&srv->table, o->max_transactions, o->transaction_timeout_s)) {
        CMP_FAIL(err, CMP_E_MEMORY, "transaction table");
        goto fail;
    }
    srv->cache = sk_X509_new_null();
    if (srv->cache == NULL || pthread_mutex_init(&srv->cache_lock, NULL) != 0) {
        CMP_FAIL(err, CMP_E_MEMORY, "certificate cache");
        goto fail;
    }
    srv->cache_lock_ready = 1;
    if (pthread_mutex_init(&srv->dec_lock, NULL) != 0) {
        CMP_FAIL(err, CMP_E_MEMORY, "certificate decode cache");
        goto fail;
    }
    srv->dec_lock_ready = 1;

    /* What every request is checked against (mirrors the mock server's checks). */
    srv->vfy.secret = srv->secret;
    srv->vfy.secret_len = srv->secret_len;
    srv->vfy.mac_limits.max_iterations = o->max_iterations;
    srv->vfy.trusted = o->trusted;
    srv->vfy.untrusted = o->untrusted;
    srv->vfy.vpm = o->vpm;
    srv->vfy.accept_unprotected = o->accept_unprotected;
    srv->vfy.accept_unprot_err = o->accept_unprot_err;
    return srv;

fail:
    cmp_srv_free(srv);
    return NULL;
}

void
cmp_srv_free(struct cmp_srv *srv)
{
    struct cmp_srv_config *o;
    size_t i;

    if (srv == NULL) {
        return;
    }
    o = &srv->cfg;
    cmp_srv_table_cleanup(&srv->table);
    sk_X509_pop_free(srv->cache, X509_free);
    if (srv->cache_lock_ready) {
        pthread_mutex_destroy(&srv->cache_lock);
    }
    for (i = 0; i < CMP_SRV_DECODED_MAX; i++) {
        X509_free(srv->decoded[i].cert);
        free(srv->decoded[i].der);
    }
    if (srv->dec_lock_ready) {
        pthread_mutex_destroy(&srv->dec_lock);
    }
    X509_free(o->cert);
    EVP_PKEY_free(o->key);
    X509_STORE_free(o->trusted);
    sk_X509_pop_free(o->untrusted, X509_free);
    X509_VERIFY_PARAM_free(o->vpm);
    X509_free(o->rsp_cert);
    sk_X509_pop_free(o->rsp_extracerts, X509_free);
    sk_X509_pop_free(o->rsp_capubs, X509_free);
    free((char *)o->statusstring);
    free(srv->ref);
    if (srv->secret != NULL) {
        OPENSSL_cleanse(srv->secret, srv->secret_len);
        free(srv->secret);
    }
    OPENSSL_cleanse(srv->pbm_key, sizeof(srv->pbm_key));
    free(srv->sender_buf);
    free(srv->skid);
    OPENSSL_free(srv->rsp_cert_der);
    OPENSSL_free(srv->rsp_issuer);
    free(srv->rsp_serial);
    certs_cleanup(&srv->capubs);
    certs_cleanup(&srv->extra);
    certs_cleanup(&srv->sig_plain);
    certs_cleanup(&srv->sig_extra);
    free(srv);
}

/* ---- checking a request and dispatching it ---- */

/* Short texts for the peer, by failure bit (never our error record). */
static const char *
peer_text(int bit)
{
    switch (bit) {
    case CMP_FI_BAD_ALG:
        return "unsupported or unacceptable algorithm";
    case CMP_FI_BAD_MESSAGE_CHECK:
        return "protection missing or invalid";
    case CMP_FI_BAD_TIME:
        return "messageTime out of range";
    case CMP_FI_BAD_CERT_ID:
        return "no matching certificate";
    case CMP_FI_BAD_DATA_FORMAT:
        return "malformed message";
    case CMP_FI_WRONG_AUTHORITY:
        return "wrong recipient";
    case CMP_FI_BAD_POP:
        return "proof of possession failed";
    case CMP_FI_WRONG_INTEGRITY:
        return "unacceptable kind of protection";
    case CMP_FI_BAD_RECIPIENT_NONCE:
        return "recipNonce does not match";
    case CMP_FI_BAD_SENDER_NONCE:
        return "senderNonce missing or too short";
    case CMP_FI_SIGNER_NOT_TRUSTED:
        return "signer not trusted";
    case CMP_FI_TRANSACTION_ID_IN_USE:
        return "transactionID in use";
    case CMP_FI_UNSUPPORTED_VERSION:
        return "unsupported pvno";
    case CMP_FI_SYSTEM_UNAVAIL:
        return "server busy";
    case CMP_FI_SYSTEM_FAILURE:
        return "internal error";
    case CMP_FI_BAD_REQUEST:
    default:
        return "bad request";
    }
}

/* The PKIFailureInfo bit for an error record that names none. */
static int
failure_bit_of(const struct cmp_err *err)
{
    if (err->failure_bit >= 0 && err->failure_bit <= CMP_FI_MAX) {
        return err->failure_bit;
    }
    switch (err->code) {
    case CMP_E_DECODE:
    case CMP_E_LIMIT:
        return CMP_FI_BAD_DATA_FORMAT;
    case CMP_E_MEMORY:
    case CMP_E_ENCODE:
    case CMP_E_CRYPTO:
        return CMP_FI_SYSTEM_FAILURE;
    default:
        return CMP_FI_BAD_REQUEST;
    }
}

/*
 * The intermediates a request is checked with: -srv_untrusted and what
 * earlier requests brought. A new stack (up-referenced) or NULL if empty.
 */
static STACK_OF(X509) * untrusted_snapshot(struct cmp_srv *srv)
{
    STACK_OF(X509) *sk = NULL;
    int ok = 1;

    pthread_mutex_lock(&srv->cache_lock);
    if (sk_X509_num(srv->cfg.untrusted) > 0 || sk_X509_num(srv->cache) > 0) {
        sk = sk_X509_new_null();
        ok = sk != NULL && X509_add_certs(sk, srv->cfg.untrusted, X509_ADD_FLAG_UP_REF) &&
             X509_add_certs(sk, srv->cache, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP);
    }
    pthread_mutex_unlock(&srv->cache_lock);
    if (!ok) {
        sk_X509_pop_free(sk, X509_free);
        return srv->cfg.untrusted != NULL ? X509_chain_up_ref(srv->cfg.untrusted) : NULL;
    }
    return sk;
}

/* FNV-1a over the DER; a match is confirmed byte for byte, so collisions cost only time. */
static uint64_t
der_hash(const struct der_in *der)
{
    uint64_t h = 0xcbf29ce484222325u;
    size_t i;

    for (i = 0; i < der->len; i++) {
        h = (h ^ der->p[i]) * 0x100000001b3u;
    }
    return h;
}

/* cached_cert() is a new reference to the certificate decoded from |der|, or NULL. */
static X509 *
cached_cert(struct cmp_srv *srv, const struct der_in *der, uint64_t hash)
{
    X509 *x = NULL;
    size_t i;

    pthread_mutex_lock(&srv->dec_lock);
    for (i = 0; i < CMP_SRV_DECODED_MAX; i++) {
        struct cmp_srv_decoded *e = &srv->decoded[i];

        if (e->der != NULL && e->hash == hash && e->len == der->len &&
            memcmp(e->der, der->p, der->len) == 0) {
            if (X509_up_ref(e->cert)) {
                x = e->cert;
                e->used = 1;
            }
            break;
        }
    }
    pthread_mutex_unlock(&srv->dec_lock);
    return x;
}

/* cache_cert() keeps |x| (decoded from |der|) in the slot the clock's hand picks. */
static void
cache_cert(struct cmp_srv *srv, const struct der_in *der, uint64_t hash, X509 *x)
{
    struct cmp_srv_decoded *e;
    uint8_t *copy = malloc(der->len);
    size_t i;

    if (copy == NULL) {
        return;
    }
    memcpy(copy, der->p, der->len);
    if (!X509_up_ref(x)) {
        free(copy);
        return;
    }
    pthread_mutex_lock(&srv->dec_lock);
    /* Another thread may have decoded the same bytes meanwhile. */
    for (i = 0; i < CMP_SRV_DECODED_MAX; i++) {
        e = &srv->decoded[i];
        if (e->der != NULL && e->hash == hash && e->len == der->len &&
            memcmp(e->der, der->p, der->len) == 0) {
            pthread_mutex_unlock(&srv->dec_lock);
            X509_free(x);
            free(copy);
            return;
        }
    }
    /* Clock: pass over the slots used since the last round (at most one round). */
    for (;;) {
        e = &srv->decoded[srv->dec_hand];
        srv->dec_hand = (srv->dec_hand + 1) % CMP_SRV_DECODED_MAX;
        if (e->der == NULL || !e->used) {
            break;
        }
        e->used = 0;
    }
    X509_free(e->cert);
    free(e->der);
    e->der = copy;
    e->len = der->len;
    e->hash = hash;
    e->cert = x;
    e->used = 1;
    pthread_mutex_unlock(&srv->dec_lock);
}

/*
 * decode_cert() decodes one CMPCertificate TLV (nothing may follow it), as
 * cmp_vfy_msg_certs() does, through the cache: a new reference, or NULL if
 * it is not a certificate (or memory ran out).
 */
static X509 *
decode_cert(struct cmp_srv *srv, const struct der_in *der)
{
    uint64_t hash;
    X509 *x;

    if (der->len == 0 || der->len > (size_t)LONG_MAX) {
        return NULL;
    }
    hash = der_hash(der);
    x = cached_cert(srv, der, hash);
    if (x != NULL) {
        return x;
    }
    x = cmp_vfy_cert_parse(der);
    if (x != NULL && der->len <= CMP_SRV_DECODED_MAX_DER) {
        cache_cert(srv, der, hash, x);
    }
    return x;
}

/*
 * msg_certs() decodes the extraCerts of a signed request for cmp_vfy_msg():
 * a new stack, or NULL if there are none, one is not a certificate or memory
 * ran out (cmp_vfy_msg() then decodes them itself and reports the problem).
 */
static STACK_OF(X509) * msg_certs(struct cmp_srv *srv, const struct cmp_msg *msg)
{
    STACK_OF(X509) * sk;
    size_t i;

    if (!msg->has_extra_certs || msg->extra_certs.num == 0) {
        return NULL;
    }
    sk = sk_X509_new_reserve(
        NULL, msg->extra_certs.num <= CMP_SRV_DECODED_MAX ? (int)msg->extra_certs.num : 0);
    if (sk == NULL) {
        return NULL;
    }
    for (i = 0; i < msg->extra_certs.num; i++) {
        X509 *x = decode_cert(srv, &msg->extra_certs.items[i]);

        if (x == NULL || !sk_X509_push(sk, x)) {
            X509_free(x);
            sk_X509_pop_free(sk, X509_free);
            return NULL;
        }
    }
    return sk;
}

/*
 * Keeps the CA certificates among the extraCerts of an authenticated
 * request as intermediates for the requests to come (end-entity
 * certificates would only push them out of the bounded cache). |decoded|
 * is msg_certs()'s result, or NULL: then each is decoded (through the cache).
 */
static void
learn_certs(struct cmp_srv *srv, const struct cmp_msg *msg, STACK_OF(X509) * decoded)
{
    size_t i;

    for (i = 0; msg->has_extra_certs && i < msg->extra_certs.num && i < CMP_SRV_CERT_CACHE_MAX;
         i++) {
        X509 *x;
        int j, known = 0;

        if (decoded != NULL) {
            x = sk_X509_value(decoded, (int)i);
            if (x == NULL || !X509_up_ref(x)) {
                continue;
            }
        } else {
            x = decode_cert(srv, &msg->extra_certs.items[i]);
        }
        if (x == NULL || X509_check_ca(x) <= 0) {
            X509_free(x);
            continue;
        }
        pthread_mutex_lock(&srv->cache_lock);
        for (j = 0; j < sk_X509_num(srv->cache) && !known; j++) {
            X509 *c = sk_X509_value(srv->cache, j);

            known = c == x || X509_cmp(c, x) == 0;
        }
        if (!known) {
            if (sk_X509_num(srv->cache) >= CMP_SRV_CERT_CACHE_MAX) {
                X509_free(sk_X509_shift(srv->cache));
            }
            if (sk_X509_push(srv->cache, x) > 0) {
                x = NULL;
            }
        }
        pthread_mutex_unlock(&srv->cache_lock);
        X509_free(x);
    }
}

/* cmp_vfy_transaction_id_new()'s hook: opens (reserves) the new transaction. */
struct reserve {
    struct cmp_srv_req *r;
    int rc; /* cmp_srv_txn_begin()'s result; -1 if not reached */
    int evicted;
};

static int
reserve_tid(void *arg, const struct der_in *tid)
{
    struct reserve *rs = arg;

    rs->rc = cmp_srv_txn_begin(&rs->r->srv->table, tid, rs->r->now, &rs->r->txn, &rs->evicted);
    return rs->rc == CMP_SRV_TXN_IN_USE;
}

static int
verify(struct cmp_srv_req *r, const struct cmp_vfy_opts *opts, struct cmp_err *err)
{
    struct cmp_vfy_opts o = *opts;
    struct cmp_vfy_result res;
    int ok;

    memset(&res, 0, sizeof(res));
    o.untrusted = untrusted_snapshot(r->srv);
    /* Signed: the signer is looked for among them, so decode them now, once. */
    if (r->req->has_protection && r->mac == 0) {
        o.extra_certs = msg_certs(r->srv, r->req);
    }
    ok = cmp_vfy_msg(&o, r->req, &res, err);
    sk_X509_pop_free(o.untrusted, X509_free);
    if (ok) {
        learn_certs(r->srv, r->req, o.extra_certs);
    }
    sk_X509_pop_free(o.extra_certs, X509_free);
    if (!ok) {
        return 0;
    }
    if (res.unprotected_accepted) {
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_WARN, "%s", res.warning);
    }
    r->signer = res.signer;
    res.signer = NULL;
    cmp_vfy_result_cleanup(&res);
    r->authenticated = 1;
    return 1;
}

/* ir, cr, kur, p10cr, rr, genm: the first message of a new transaction. */
static int
handle_new(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    struct cmp_vfy_opts o = srv->vfy;
    struct reserve rs;

    rs.r = r;
    rs.rc = -1;
    rs.evicted = 0;
    o.tid_in_use = reserve_tid;
    o.tid_in_use_arg = &rs;
    if (!verify(r, &o, err)) {
        return 0;
    }
    if (rs.evicted) {
        cmp_srv_log(srv, r->tid_hex, CMP_SRV_LOG_WARN,
                    "transaction table full: dropped the least recently used transaction");
    }
    switch (rs.rc) {
    case CMP_SRV_TXN_OK:
        break;
    case CMP_SRV_TXN_FULL:
        r->fail_text = "too many open transactions";
        return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_UNAVAIL,
                             "all %zu transactions are busy: no room for a new one",
                             srv->cfg.max_transactions);
    case CMP_SRV_TXN_TOO_LONG:
        r->fail_text = "transactionID too long";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "transactionID longer than %d bytes",
                             CMP_SRV_MAX_TID_LEN);
    default:
        return CMP_FAIL(err, CMP_E_MEMORY, "transaction table");
    }
    switch (r->req->body.type) {
    case CMP_BODY_IR:
    case CMP_BODY_CR:
    case CMP_BODY_KUR:
    case CMP_BODY_P10CR:
        r->txn->implicit_confirm = asks_implicit_confirm(&r->req->hdr);
        return cmp_srv_mock_cert_request(r, err);
    case CMP_BODY_RR:
        return cmp_srv_mock_rr(r, err);
    case CMP_BODY_GENM:
        return cmp_srv_mock_genm(r, err);
    default:
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "unexpected body");
    }
}

/*
 * An error message from the client: it ends the transaction it names, if
 * one is open (RFC 9810 5.3.21), and is answered with pkiConf.
 */
static int
handle_error(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    struct cmp_vfy_opts o = srv->vfy;

    if (r->req->hdr.has_transaction_id &&
        cmp_srv_txn_acquire(&srv->table, &r->req->hdr.transaction_id, r->now, &r->txn) ==
            CMP_SRV_TXN_OK) {
        r->txn_open = 1;
        o.transaction_id = r->req->hdr.transaction_id;
        o.last_sender_nonce = der_in_make(r->txn->nonce, sizeof(r->txn->nonce));
        o.validated_signer = r->txn->signer;
    }
    if (!verify(r, &o, err)) {
        return 0;
    }
    return cmp_srv_mock_error(r, err);
}

/* certConf, pollReq: they continue an open transaction. */
static int
handle_continue(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    const struct cmp_header *h = &r->req->hdr;
    struct cmp_vfy_opts o = srv->vfy;
    int rc = CMP_SRV_TXN_UNKNOWN;

    if (h->has_transaction_id) {
        rc = cmp_srv_txn_acquire(&srv->table, &h->transaction_id, r->now, &r->txn);
    }
    if (rc != CMP_SRV_TXN_OK) {
        /* Checked like any request first, so that only an authenticated peer learns this. */
        if (!verify(r, &o, err)) {
            return 0;
        }
        if (rc == CMP_SRV_TXN_BUSY) {
            r->fail_text = "transaction busy";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                 "another request of this transaction is being handled");
        }
        r->fail_text = "no open transaction with this transactionID";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%s for no open transaction",
                             cmp_body_type_name(r->req->body.type));
    }
    r->txn_open = 1;
    o.transaction_id = h->transaction_id;
    o.last_sender_nonce = der_in_make(r->txn->nonce, sizeof(r->txn->nonce));
    o.validated_signer = r->txn->signer;
    if (!verify(r, &o, err)) {
        return 0;
    }
    if (r->req->body.type == CMP_BODY_CERTCONF) {
        return cmp_srv_mock_certconf(r, err);
    }
    return cmp_srv_mock_pollreq(r, err);
}

static int
process(struct cmp_srv_req *r, struct cmp_err *err)
{
    switch (r->req->body.type) {
    case CMP_BODY_IR:
    case CMP_BODY_CR:
    case CMP_BODY_KUR:
    case CMP_BODY_P10CR:
    case CMP_BODY_RR:
    case CMP_BODY_GENM:
        return handle_new(r, err);
    case CMP_BODY_ERROR:
        return handle_error(r, err);
    case CMP_BODY_CERTCONF:
    case CMP_BODY_POLLREQ:
        return handle_continue(r, err);
    default:
        /* Responses, announcements, nested, krr, ccr: nothing a mock CA takes. */
        if (!verify(r, &r->srv->vfy, err)) {
            return 0;
        }
        r->fail_text = "unsupported message type";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%s is not a request this server handles",
                             cmp_body_type_name(r->req->body.type));
    }
}

/* ---- building, protecting and encoding the response ---- */

/* Replaces r->rsp's body with an error message for |err|. */
static int
set_error_body(struct cmp_srv_req *r, const struct cmp_err *err)
{
    struct cmp_body *b = &r->rsp->body;
    int bit = failure_bit_of(err);

    cmp_body_cleanup(b);
    b->type = CMP_BODY_ERROR;
    r->negative = 1;
    r->with_extra = 0;
    r->implicit_granted = 0;
    r->keep = 0;
    return cmp_srv_status_set(&b->u.error.status, CMP_STATUS_REJECTION, (uint64_t)1 << bit,
                              r->fail_text != NULL ? r->fail_text : peer_text(bit));
}

/*
 * The response header (RFC 9810 5.1.1): our name, the request's sender as
 * recipient (the NULL-DN if it has no directoryName), the request's
 * transactionID (a fresh one if it had none), a fresh senderNonce, the
 * request's senderNonce as recipNonce.
 */
static int
set_header(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_header *h = &r->rsp->hdr;
    const struct cmp_header *q = r->hdr;
    uint8_t *nonce;

    cmp_header_cleanup(h);
    h->pvno = q != NULL && q->pvno == CMP_PVNO_2021 ? CMP_PVNO_2021 : CMP_PVNO_2000;
    h->sender = r->srv->sender;
    if (q != NULL && q->sender.type == CMP_GN_DIRNAME && q->sender.whole.len > 0) {
        h->recipient = q->sender;
    } else {
        h->recipient.type = CMP_GN_DIRNAME;
        h->recipient.whole = der_in_make(null_dn_gname, sizeof(null_dn_gname));
        h->recipient.value = der_in_make(null_dn_gname + 2, 2);
    }
    h->has_message_time = 1;
    h->message_time_secs = r->now;
    h->has_transaction_id = 1;
    if (q != NULL && q->has_transaction_id && q->transaction_id.len > 0) {
        h->transaction_id = q->transaction_id;
    } else {
        uint8_t *tid = cmp_msg_alloc(r->rsp, CMP_SRV_NONCE_LEN);

        if (tid == NULL || !fresh_bytes(r->srv, tid, CMP_SRV_NONCE_LEN)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "transactionID");
        }
        h->transaction_id = der_in_make(tid, CMP_SRV_NONCE_LEN);
    }
    nonce = cmp_msg_alloc(r->rsp, CMP_SRV_NONCE_LEN);
    if (nonce == NULL || !fresh_bytes(r->srv, nonce, CMP_SRV_NONCE_LEN)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "senderNonce");
    }
    h->has_sender_nonce = 1;
    h->sender_nonce = der_in_make(nonce, CMP_SRV_NONCE_LEN);
    if (q != NULL && q->has_sender_nonce) {
        h->has_recip_nonce = 1;
        h->recip_nonce = q->sender_nonce;
    }
    if (r->implicit_granted) {
        h->general_info.items = calloc(1, sizeof(*h->general_info.items));
        if (h->general_info.items == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "generalInfo");
        }
        h->general_info.items[0].type =
            cmp_oid(CMP_NID_IT_IMPLICIT_CONFIRM);
        h->general_info.items[0].has_value = 1;
        h->general_info.items[0].value = der_in_make(der_null, sizeof(der_null));
        h->general_info.num = 1;
        h->has_general_info = 1;
    }
    return 1;
}

/* senderKID, protectionAlg, protection and extraCerts. */
static int
protect(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    const struct cmp_srv_config *c = &srv->cfg;
    struct cmp_msg *m = r->rsp;
    int unprotected = c->send_unprotected || (c->send_unprot_err && r->negative);
    int use_mac = srv->secret != NULL && (r->mac != 0 || c->key == NULL);
    const struct cmp_srv_certs *extra = r->with_extra ? &srv->extra : NULL;

    m->hdr.has_protection_alg = 0;
    m->has_protection = 0;
    m->hdr.has_sender_kid = 0;
    if (!unprotected && !use_mac) {
        extra = r->with_extra ? &srv->sig_extra : &srv->sig_plain;
        if (srv->skid != NULL) {
            m->hdr.has_sender_kid = 1;
            m->hdr.sender_kid = der_in_make(srv->skid, srv->skid_len);
        }
    } else if (srv->ref != NULL && !(unprotected && c->send_unprot_err && r->negative)) {
        /*
         * openssl sets the reference as senderKID also with -send_unprotected,
         * not for the negative responses that -send_unprot_err leaves unprotected.
         */
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = der_in_make((const uint8_t *)srv->ref, strlen(srv->ref));
    }
    cmp_certs_cleanup(&m->extra_certs);
    m->has_extra_certs = 0;
    if (extra != NULL && extra->num > 0) {
        if (!cmp_srv_certs_attach(&m->extra_certs, extra)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
        }
        m->has_extra_certs = 1;
    }
    if (unprotected) {
        return 1;
    }
    if (use_mac) {
        /* RFC 9483 3.2: answer in kind; PBMAC1 for PBMAC1, else PBM. */
        if (r->mac == 2) {
            return cmp_protect_pbmac1(m, NULL, srv->secret, srv->secret_len, err);
        }
        {
            struct cmp_pbm_opts pbm;

            memset(&pbm, 0, sizeof(pbm));
            if (srv->has_pbm_key) {
                pbm.salt = srv->pbm_salt;
                pbm.salt_len = srv->pbm_salt_len;
                pbm.key = srv->pbm_key;
                pbm.key_len = srv->pbm_key_len;
            }
            return cmp_protect_pbm(m, &pbm, srv->secret, srv->secret_len, err);
        }
    }
    return cmp_protect_sig(m, c->key, NULL, 0, err);
}

static int
finish(struct cmp_srv_req *r, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    return set_header(r, err) && protect(r, err) && cmp_msg_encode(r->rsp, out, out_len, err);
}

/*
 * Turns a failure into the response: logs it, makes an error message of it,
 * and if even that cannot be protected and encoded, sends it unprotected.
 */
static int
answer_error(struct cmp_srv_req *r, const struct cmp_err *cause, uint8_t **out, size_t *out_len)
{
    struct cmp_err err;
    int bit = failure_bit_of(cause);

    cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_ERR, "answering with error: %s",
                cmp_failure_bit_name(bit));
    cmp_srv_log_err(r->srv, r->tid_hex, CMP_SRV_LOG_ERR, "cause", cause);
    cmp_err_init(&err);
    if (set_error_body(r, cause) && finish(r, out, out_len, &err)) {
        return 1;
    }
    cmp_srv_log_err(r->srv, r->tid_hex, CMP_SRV_LOG_ERR, "cannot make a protected error message",
                    &err);
    /* Last resort: the same error message without protection. */
    cmp_err_init(&err);
    if (!set_error_body(r, cause) || !set_header(r, &err)) {
        return 0;
    }
    r->rsp->hdr.has_protection_alg = 0;
    r->rsp->has_protection = 0;
    cmp_certs_cleanup(&r->rsp->extra_certs);
    r->rsp->has_extra_certs = 0;
    return cmp_msg_encode(r->rsp, out, out_len, &err);
}

/*
 * What can be read of a request that does not decode: the header, if the
 * message starts with one that does (the outer SEQUENCE may be truncated or
 * broken further on).
 */
static int
salvage_header(const uint8_t *p, size_t len, struct cmp_header *out)
{
    struct der_in in;
    struct cmp_err err;
    size_t i, n;

    memset(out, 0, sizeof(*out));
    if (p == NULL || len < 2 || p[0] != 0x30) {
        return 0;
    }
    if (p[1] < 0x80) {
        i = 2;
    } else {
        n = p[1] & 0x7F;
        if (n == 0 || n > 4 || len < 2 + n) {
            return 0;
        }
        i = 2 + n;
    }
    in = der_in_make(p + i, len - i);
    cmp_err_init(&err);
    if (!cmp_header_decode(&in, out, &err)) {
        cmp_header_cleanup(out);
        return 0;
    }
    return 1;
}

int
cmp_srv_handle(struct cmp_srv *srv, const uint8_t *req, size_t req_len, uint8_t **rsp,
               size_t *rsp_len)
{
    struct cmp_srv_req r;
    struct cmp_msg *msg = NULL;
    struct cmp_header salvaged;
    int have_salvaged = 0, ok, keep;
    struct cmp_err err;
    const char *type;

    if (rsp == NULL || rsp_len == NULL) {
        return 0;
    }
    *rsp = NULL;
    *rsp_len = 0;
    if (srv == NULL) {
        return 0;
    }
    memset(&r, 0, sizeof(r));
    memset(&salvaged, 0, sizeof(salvaged));
    r.srv = srv;
    r.now = now_secs();
    cmp_err_init(&err);
    r.rsp = cmp_msg_new();
    if (r.rsp == NULL) {
        return 0;
    }
    if (req == NULL) {
        req_len = 0;
    }

    if (!cmp_msg_decode(&msg, req, req_len, &err)) {
        have_salvaged = salvage_header(req, req_len, &salvaged);
        if (have_salvaged) {
            r.hdr = &salvaged;
            r.mac = mac_kind(&salvaged);
            if (salvaged.has_transaction_id) {
                hex_tid(r.tid_hex, sizeof(r.tid_hex), &salvaged.transaction_id);
            }
        }
        cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO, "received %zu bytes that do not decode",
                    req_len);
        ok = answer_error(&r, &err, rsp, rsp_len);
        goto done;
    }
    r.req = msg;
    r.hdr = &msg->hdr;
    r.mac = mac_kind(&msg->hdr);
    if (msg->hdr.has_transaction_id) {
        hex_tid(r.tid_hex, sizeof(r.tid_hex), &msg->hdr.transaction_id);
    }
    type = cmp_body_type_name(msg->body.type);
    cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO, "received %s", type != NULL ? type : "?");

    if (process(&r, &err)) {
        ok = finish(&r, rsp, rsp_len, &err);
        if (!ok) {
            cmp_srv_log_err(srv, r.tid_hex, CMP_SRV_LOG_ERR, "cannot make the response", &err);
            free(*rsp);
            *rsp = NULL;
            *rsp_len = 0;
            ok = answer_error(&r, &err, rsp, rsp_len);
        }
    } else {
        ok = answer_error(&r, &err, rsp, rsp_len);
    }
    if (ok) {
        type = cmp_body_type_name(r.rsp->body.type);
        cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO, "sending %s%s", type != NULL ? type : "?",
                    r.rsp->hdr.has_protection_alg ? "" : " (unprotected)");
    }

done:
    /*
     * The transaction stays open if the response asks for more (certConf,
     * pollReq), or unchanged when a request of it failed before it was
     * authenticated (anyone may send garbage with a known transactionID).
     */
    if (r.txn != NULL) {
        keep = ok && r.rsp->body.type != CMP_BODY_ERROR ? r.keep : r.txn_open && !r.authenticated;
        if (keep && r.rsp->body.type != CMP_BODY_ERROR && r.rsp->hdr.has_sender_nonce) {
            memcpy(r.txn->nonce, r.rsp->hdr.sender_nonce.p, sizeof(r.txn->nonce));
            if (r.txn->signer == NULL && r.signer != NULL) {
                r.txn->signer = r.signer;
                r.signer = NULL;
            }
        }
        if (!keep && r.txn_open) {
            cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO, "transaction closed");
        }
        cmp_srv_txn_release(&srv->table, r.txn, keep, r.now);
    }
    X509_free(r.signer);
    cmp_msg_free(r.rsp);
    cmp_msg_free(msg);
    if (have_salvaged) {
        cmp_header_cleanup(&salvaged);
    }
    return ok;
}
