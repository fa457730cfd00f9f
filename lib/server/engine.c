/*
 * The server engine: bytes in, decode, check, ask the responder, build the
 * header, protect, bytes out (DESIGN.md: the mirror image of the client).
 * Every request gets an answer: a bad one a CMP error message (RFC 9810
 * 5.3.21) whose PKIStatusInfo names the failure bit, with a short
 * statusString of ours; the full error record goes to the log.
 *
 * One state table (steps[] below), indexed by the request's body type,
 * drives every request: the transaction states it is taken in (a new
 * transaction, or an open one waiting for certConf or pollReq), the checks
 * of its body type (lib/verify), the responder's turn with the response it
 * makes (answer.c), and the transaction's state afterwards. Only the driver
 * changes a transaction's state; responders never do.
 *
 *   ir cr kur p10cr rr genm  NEW        -> WAIT_CONF (certificates to confirm)
 *                                          | POLLING ('waiting') | end
 *   certConf                 WAIT_CONF  -> end, or what is still due
 *   pollReq                  POLLING    -> as after the first request
 *   error                    any, or none -> end
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
cmp_srv_vlog(const struct cmp_srv *srv, const char *tid_hex, int level, const char *fmt, va_list ap)
{
    char line[1024];
    size_t pos = 0, i;
    int n;

    if (srv->cfg.log == NULL || level > srv->cfg.verbosity) {
        return;
    }
    if (tid_hex != NULL && tid_hex[0] != '\0') {
        n = snprintf(line, sizeof(line), "[tid=%s] ", tid_hex);
        pos = n > 0 ? (size_t)n : 0;
    }
    if (pos < sizeof(line)) {
        vsnprintf(line + pos, sizeof(line) - pos, fmt, ap);
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
cmp_srv_log(const struct cmp_srv *srv, const char *tid_hex, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    cmp_srv_vlog(srv, tid_hex, level, fmt, ap);
    va_end(ap);
}

void
cmp_srv_call_log(const struct cmp_srv_call *call, int level, const char *fmt, ...)
{
    va_list ap;

    if (call == NULL || call->req == NULL) {
        return;
    }
    va_start(ap, fmt);
    cmp_srv_vlog(call->req->srv, call->req->tid_hex, level, fmt, ap);
    va_end(ap);
}

void
cmp_srv_call_log_err(const struct cmp_srv_call *call, int level, const char *what,
                     const struct cmp_err *err)
{
    if (call == NULL || call->req == NULL || err == NULL) {
        return;
    }
    cmp_srv_log_err(call->req->srv, call->req->tid_hex, level, what, err);
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

int
cmp_srv_log_allowed(struct cmp_srv_log_limit *ll, int cause, int64_t now,
                    unsigned long *out_suppressed)
{
    int ok = 0;

    *out_suppressed = 0;
    if (cause < 0 || cause >= CMP_SRV_LOG_CAUSES || !ll->lock_ready) {
        return 1;
    }
    pthread_mutex_lock(&ll->lock);
    if (now - ll->window_start[cause] >= CMP_SRV_LOG_WINDOW || now < ll->window_start[cause]) {
        ll->window_start[cause] = now;
        ll->lines[cause] = 0;
    }
    if (ll->lines[cause] < CMP_SRV_LOG_BURST) {
        ll->lines[cause]++;
        *out_suppressed = ll->suppressed[cause];
        ll->suppressed[cause] = 0;
        ok = 1;
    } else {
        ll->suppressed[cause]++;
    }
    pthread_mutex_unlock(&ll->lock);
    return ok;
}

/* The suffix of a line logged after |n| of its cause were left out (empty if none). */
static const char *
suppressed_note(char *buf, size_t size, unsigned long n)
{
    buf[0] = '\0';
    if (n > 0) {
        snprintf(buf, size, " (and %lu more such lines left out in the last %d s)", n,
                 CMP_SRV_LOG_WINDOW);
    }
    return buf;
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

void
cmp_srv_certs_cleanup(struct cmp_srv_certs *c)
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
        cmp_srv_certs_cleanup(dst);
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

int
cmp_srv_certs_from_stack(struct cmp_srv_certs *dst, STACK_OF(X509) * sk, struct cmp_err *err)
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

/* The RFC 9483 options: a known profile, a sane RSA key limit. */
static int
check_rules_config(const struct cmp_srv_config *c, struct cmp_err *err)
{
    if (c->profile != CMP_SRV_PROFILE_RFC9810 && c->profile != CMP_SRV_PROFILE_LIGHTWEIGHT) {
        return CMP_FAIL(err, CMP_E_ARG, "profile %d is neither rfc9810 (0) nor lightweight (1)",
                        c->profile);
    }
    if (c->max_rsa_bits != 0 && (c->max_rsa_bits < 1024 || c->max_rsa_bits > 16384)) {
        return CMP_FAIL(err, CMP_E_ARG, "-srv_max_rsa_bits %d is outside 1024..16384",
                        c->max_rsa_bits);
    }
    return 1;
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
    /* central key generation returns -rsp_key with -rsp_cert: its certificate */
    if (c->rsp_key != NULL && c->rsp_cert != NULL &&
        X509_check_private_key(c->rsp_cert, c->rsp_key) != 1) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_key does not match -rsp_cert");
    }
    if (c->poll_count < 0 || c->check_after < 0) {
        return CMP_FAIL(err, CMP_E_ARG, "-poll_count and -check_after must not be negative");
    }
    if (c->max_iterations < 0 || c->transaction_timeout_s < 0 || c->message_time_window_s < 0) {
        return CMP_FAIL(err, CMP_E_ARG, "limits must not be negative");
    }
    if (!check_rules_config(c, err)) {
        return 0;
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
    if (c->ref_cert != NULL) {
        if (!X509_up_ref(c->ref_cert)) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-ref_cert");
        }
        o->ref_cert = c->ref_cert;
    }
    if (c->rsp_key != NULL) {
        if (!EVP_PKEY_up_ref(c->rsp_key)) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_key");
        }
        o->rsp_key = c->rsp_key;
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

/* The DER that every response reuses: sender, senderKID, the extraCerts of signed responses. */
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
        if (!sig_certs(&srv->sig_plain, c->cert, c->untrusted, NULL, err)) {
            return CMP_CONTEXT(err, "extraCerts of signed responses");
        }
    } else {
        srv->sender.type = CMP_GN_DIRNAME;
        srv->sender.whole = der_in_make(null_dn_gname, sizeof(null_dn_gname));
        srv->sender.value = der_in_make(null_dn_gname + 2, 2);
    }
    return 1;
}

/* The table's hook for the responder data of transactions that end. */
static void
free_txn_data(void *arg, void *data)
{
    struct cmp_srv *srv = arg;

    if (srv->responder.txn_free != NULL) {
        srv->responder.txn_free(srv->responder.arg, data);
    }
}

/* The rules of RFC 9483 every request is checked against (docs/SERVER.md). */
static void
set_rules(struct cmp_srv *srv)
{
    const struct cmp_srv_config *o = &srv->cfg;

    srv->rules.profile = o->profile == CMP_SRV_PROFILE_LIGHTWEIGHT ? CMP_VFY_PROFILE_LIGHTWEIGHT
                                                                  : CMP_VFY_PROFILE_RFC9810;
    srv->rules.require_message_time = o->require_message_time;
    srv->rules.max_rsa_bits = o->max_rsa_bits > 0 ? o->max_rsa_bits : CMP_SRV_DEFAULT_MAX_RSA_BITS;
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
    o->cert = o->rsp_cert = o->ref_cert = NULL;
    o->key = o->rsp_key = NULL;
    o->trusted = NULL;
    o->untrusted = o->rsp_extracerts = o->rsp_capubs = NULL;
    o->vpm = NULL;
    o->responder = NULL;
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
    if (o->max_transactions_per_sender == 0) {
        o->max_transactions_per_sender = CMP_SRV_DEFAULT_MAX_TRANSACTIONS_PER_SENDER;
    }
    if (o->message_time_window_s == 0) {
        o->message_time_window_s = CMP_SRV_DEFAULT_MESSAGE_TIME_WINDOW;
    }
    if (o->replay_cache_size == 0) {
        o->replay_cache_size = CMP_SRV_DEFAULT_REPLAY_CACHE_SIZE;
    }
    if (o->max_cert_reqs == 0) {
        o->max_cert_reqs = CMP_SRV_DEFAULT_MAX_CERT_REQS;
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
        /* its PBM key is derived when a response first needs it (own_pbm_key()) */
    }
    if (!precompute(srv, err)) {
        goto fail;
    }
    if (!cmp_srv_table_init(&srv->table, o->max_transactions, o->max_transactions_per_sender,
                            o->transaction_timeout_s, free_txn_data, srv)) {
        CMP_FAIL(err, CMP_E_MEMORY, "transaction table");
        goto fail;
    }
    if (!cmp_srv_replay_init(&srv->replay, o->replay_cache_size)) {
        CMP_FAIL(err, CMP_E_MEMORY, "replay cache of %zu senderNonces", o->replay_cache_size);
        goto fail;
    }
    if (pthread_mutex_init(&srv->log_limit.lock, NULL) != 0) {
        CMP_FAIL(err, CMP_E_MEMORY, "log lock");
        goto fail;
    }
    srv->log_limit.lock_ready = 1;
    if (!cmp_srv_cert_cache_init(&srv->certs)) {
        CMP_FAIL(err, CMP_E_MEMORY, "certificate cache");
        goto fail;
    }
    if (pthread_mutex_init(&srv->pbm_lock, NULL) != 0) {
        CMP_FAIL(err, CMP_E_MEMORY, "PBM key cache");
        goto fail;
    }
    srv->pbm_lock_ready = 1;
    /* The responder last: on success it is ours (cmp_srv_free() frees it). */
    if (cfg->responder != NULL) {
        srv->responder = *cfg->responder;
    } else if (!cmp_srv_mock_new(&srv->responder, o, err)) {
        CMP_CONTEXT(err, "mock responder");
        goto fail;
    }
    srv->has_responder = 1;
    /* The mock took its own copies of these (mock_support.c); none stays borrowed. */
    o->rsp_newwithnew = o->rsp_newwithold = o->rsp_oldwithnew = NULL;
    o->rsp_crl = NULL;
    o->reject_subject = NULL; /* the caller's; the mock has its copy */

    /* What every request is checked against (mirrors the mock server's checks). */
    srv->vfy.secret = srv->secret;
    srv->vfy.secret_len = srv->secret_len;
    srv->vfy.mac_limits.max_iterations = o->max_iterations;
    srv->vfy.trusted = o->trusted;
    srv->vfy.untrusted = o->untrusted;
    srv->vfy.vpm = o->vpm;
    srv->vfy.accept_unprotected = o->accept_unprotected;
    srv->vfy.accept_unprot_err = o->accept_unprot_err;
    if (srv->ref != NULL && srv->secret != NULL) {
        srv->vfy.mac_kid = der_in_make((const uint8_t *)srv->ref, strlen(srv->ref));
    }
    /* RFC 9810 5.1.1, RFC 9483 3.5: messageTime close enough to our clock, if present. */
    srv->vfy.check_time = 1;
    srv->vfy.max_time_drift = o->message_time_window_s;
    set_rules(srv);
    return srv;

fail:
    cmp_srv_free(srv);
    return NULL;
}

int
cmp_srv_tick(struct cmp_srv *srv, struct cmp_err *err)
{
    int64_t now = now_secs();

    if (srv == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no server");
    }
    cmp_srv_table_purge(&srv->table, now);
    if (srv->responder.tick == NULL) {
        return 1;
    }
    return srv->responder.tick(srv->responder.arg, now, err);
}

void
cmp_srv_free(struct cmp_srv *srv)
{
    struct cmp_srv_config *o;

    if (srv == NULL) {
        return;
    }
    o = &srv->cfg;
    /* The transactions first: their responder data goes back to the responder. */
    cmp_srv_table_cleanup(&srv->table);
    if (srv->has_responder && srv->responder.free != NULL) {
        srv->responder.free(srv->responder.arg);
    }
    cmp_srv_cert_cache_cleanup(&srv->certs);
    cmp_srv_replay_cleanup(&srv->replay);
    if (srv->log_limit.lock_ready) {
        pthread_mutex_destroy(&srv->log_limit.lock);
    }
    X509_free(o->cert);
    EVP_PKEY_free(o->key);
    X509_STORE_free(o->trusted);
    sk_X509_pop_free(o->untrusted, X509_free);
    X509_VERIFY_PARAM_free(o->vpm);
    X509_free(o->rsp_cert);
    X509_free(o->ref_cert);
    EVP_PKEY_free(o->rsp_key);
    sk_X509_pop_free(o->rsp_extracerts, X509_free);
    sk_X509_pop_free(o->rsp_capubs, X509_free);
    free((char *)o->statusstring);
    free(srv->ref);
    if (srv->secret != NULL) {
        OPENSSL_cleanse(srv->secret, srv->secret_len);
        free(srv->secret);
    }
    OPENSSL_cleanse(srv->pbm_key, sizeof(srv->pbm_key));
    OPENSSL_cleanse(srv->pbm_keys, sizeof(srv->pbm_keys));
    if (srv->pbm_lock_ready) {
        pthread_mutex_destroy(&srv->pbm_lock);
    }
    free(srv->sender_buf);
    free(srv->skid);
    cmp_srv_certs_cleanup(&srv->sig_plain);
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
 * The issuer (Name TLV) and serialNumber (INTEGER contents) of a
 * Certificate, read with the DER reader (RFC 5280 4.1: TBSCertificate
 * version [0] EXPLICIT, serialNumber, signature, issuer ...). 0 if it does
 * not read so.
 */
static int
cert_id_of(const struct der_in *cert, struct cmp_srv_der *issuer, struct cmp_srv_der *serial)
{
    struct der_in in = *cert, c, tbs, ver, sn, alg, iss;
    int has_ver = 0;

    if (!der_get(&in, DER_SEQUENCE, &c) || !der_get(&c, DER_SEQUENCE, &tbs) ||
        !der_get_opt(&tbs, DER_EXPLICIT(0), &ver, &has_ver) || !der_get(&tbs, DER_INTEGER, &sn) ||
        !der_get_tlv(&tbs, DER_SEQUENCE, &alg) || !der_get_tlv(&tbs, DER_SEQUENCE, &iss)) {
        return 0;
    }
    issuer->p = iss.p;
    issuer->len = iss.len;
    serial->p = sn.p;
    serial->len = sn.len;
    return 1;
}

/* The query of the responder's credential lookups (cmpkit/server.h). */
static void
cred_query(const struct cmp_srv_req *r, struct cmp_srv_cred_query *q)
{
    const struct cmp_header *h = &r->req->hdr;

    memset(q, 0, sizeof(*q));
    q->msg = r->req;
    q->body_type = r->req->body.type;
    if (h->has_transaction_id) {
        q->transaction_id.p = h->transaction_id.p;
        q->transaction_id.len = h->transaction_id.len;
    }
    if (h->sender.type == CMP_GN_DIRNAME) {
        q->sender.p = h->sender.value.p;
        q->sender.len = h->sender.value.len;
    }
    if (h->has_sender_kid) {
        q->sender_kid.p = h->sender_kid.p;
        q->sender_kid.len = h->sender_kid.len;
    }
    if (r->req->has_extra_certs && r->req->extra_certs.num > 0 &&
        !cert_id_of(&r->req->extra_certs.items[0], &q->cert_issuer, &q->cert_serial)) {
        memset(&q->cert_issuer, 0, sizeof(q->cert_issuer));
        memset(&q->cert_serial, 0, sizeof(q->cert_serial));
    }
    q->txn_data = r->txn_open && r->txn != NULL ? r->txn->data : NULL;
}

/* A lookup that failed without naming a bit: systemFailure, as the engine's own. */
static int
lookup_failed(struct cmp_err *err, const char *what)
{
    if (err->code == CMP_E_NONE) {
        CMP_FAIL(err, CMP_E_IO, "the responder's %s lookup failed", what);
    }
    if (err->failure_bit < 0) {
        err->failure_bit = CMP_FI_SYSTEM_FAILURE;
    }
    return CMP_CONTEXT(err, "%s", what);
}

/*
 * Asks the responder for the credentials of this request (find_secret,
 * find_signer), before its protection is checked: a secret goes into
 * r->secret and |o|, a signer certificate into |*vouched| and |o|.
 */
static int
responder_creds(struct cmp_srv_req *r, struct cmp_vfy_opts *o, X509 **vouched, struct cmp_err *err)
{
    const struct cmp_srv_responder *rs = &r->srv->responder;
    struct cmp_srv_cred_query q;
    uint8_t *buf = NULL;
    size_t len = 0;

    *vouched = NULL;
    if (!r->req->hdr.has_protection_alg) {
        return 1;
    }
    if (r->mac != 0 && rs->find_secret != NULL) {
        cred_query(r, &q);
        if (!rs->find_secret(rs->arg, &q, &buf, &len, err)) {
            return lookup_failed(err, "secret");
        }
        if (buf != NULL) {
            r->secret = buf;
            r->secret_len = len;
            o->secret = buf;
            o->secret_len = len;
            r->vouched = 1;
        } else if (r->srv->secret == NULL) {
            /* RFC 9483 3.5: a MAC we have no secret for cannot be checked. */
            r->fail_text = "unknown senderKID";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                                 "no secret for the senderKID of this MAC-protected request");
        }
        return 1;
    }
    if (r->mac == 0 && rs->find_signer != NULL && o->validated_signer == NULL) {
        cred_query(r, &q);
        if (!rs->find_signer(rs->arg, &q, &buf, &len, err)) {
            return lookup_failed(err, "signer certificate");
        }
        if (buf != NULL) {
            *vouched = cmp_srv_cert_cache_decode(&r->srv->certs, buf, len);
            free(buf);
            if (*vouched == NULL) {
                return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_FAILURE,
                                     "the responder's signer certificate does not decode");
            }
            o->vouched_signer = *vouched;
            r->vouched = 1;
        }
    }
    return 1;
}

/*
 * RFC 9483 3.1 and 3.5: the signer certificate of an authenticated request
 * is named by senderKID, and belongs to an end entity or an RA of ours.
 */
static int
check_signer(struct cmp_srv_req *r, struct cmp_err *err)
{
    if (r->signer == NULL) {
        return 1;
    }
    return cmp_vfy_signer_kid(r->req, r->signer, &r->fail_text, err) &&
           cmp_vfy_signer_first(&r->srv->rules, r->req, r->signer, &r->fail_text, err) &&
           cmp_vfy_signer_role(r->signer, r->srv->cfg.cert, &r->fail_text, err);
}

/* The header and protection checks of every request (lib/verify). */
static int
verify(struct cmp_srv_req *r, const struct cmp_vfy_opts *opts, struct cmp_err *err)
{
    struct cmp_vfy_opts o = *opts;
    struct cmp_vfy_result res;
    X509 *vouched = NULL;
    int ok;

    memset(&res, 0, sizeof(res));
    /* RFC 9483 3.1, 3.2: the rules of a request's header that need no key, first. */
    if (!cmp_vfy_pvno(r->req, err) ||
        !cmp_vfy_req_header(&r->srv->rules, r->req, r->first, &r->fail_text, err)) {
        return 0;
    }
    r->vouched = 0;
    if (!responder_creds(r, &o, &vouched, err)) {
        X509_free(vouched);
        return 0;
    }
    o.now = r->now;
    o.untrusted = cmp_srv_cert_cache_untrusted(&r->srv->certs, r->srv->cfg.untrusted);
    /* Signed: the signer is looked for among them, so decode them now, once. */
    if (r->req->has_protection && r->mac == 0) {
        o.extra_certs = cmp_srv_cert_cache_msg_certs(&r->srv->certs, r->req);
    }
    ok = cmp_vfy_msg(&o, r->req, &res, err);
    sk_X509_pop_free(o.untrusted, X509_free);
    X509_free(vouched);
    /*
     * -no_cache_extracerts: they checked this request, no later one; only the
     * signer's validated chain stays (as openssl 3.3+'s mock caches its sender)
     */
    if (ok && (!r->srv->cfg.no_cache_extracerts || res.signer != NULL)) {
        cmp_srv_cert_cache_learn(&r->srv->certs, r->req,
                                 r->srv->cfg.no_cache_extracerts ? res.signer : NULL,
                                 o.extra_certs);
    }
    sk_X509_pop_free(o.extra_certs, X509_free);
    if (!ok) {
        return 0;
    }
    if (res.unprotected_accepted) {
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_WARN, "%s", res.warning);
    }
    if (res.protection == CMP_VFY_PROT_NONE) {
        r->vouched = 0; /* unprotected, let through by -accept_unprotected */
    }
    switch (res.protection) {
    case CMP_VFY_PROT_MAC:
        r->auth = CMP_SRV_AUTH_MAC;
        break;
    case CMP_VFY_PROT_SIG:
        r->auth = CMP_SRV_AUTH_SIGNATURE;
        break;
    default:
        r->auth = CMP_SRV_AUTH_NONE;
        break;
    }
    r->signer = res.signer;
    res.signer = NULL;
    cmp_vfy_result_cleanup(&res);
    r->authenticated = 1;
    return check_signer(r, err);
}

/*
 * sender_of() names the authenticated sender of the request (struct
 * cmp_srv_sender_id): the senderKID of a MAC (SHA-256 of it if longer than
 * the room), the SHA-256 fingerprint of the signer certificate, or nobody
 * for a request let through without protection.
 */
static int
sender_of(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_header *h = &r->req->hdr;
    struct cmp_srv_sender_id *id = &r->sender;
    unsigned int n = 0;

    memset(id, 0, sizeof(*id));
    id->kind = r->auth;
    if (r->auth == CMP_SRV_AUTH_MAC && h->has_sender_kid) {
        if (h->sender_kid.len <= sizeof(id->id)) {
            memcpy(id->id, h->sender_kid.p, h->sender_kid.len);
            id->len = h->sender_kid.len;
            return 1;
        }
        if (!EVP_Digest(h->sender_kid.p, h->sender_kid.len, id->id, &n, EVP_sha256(), NULL)) {
            return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "hash of senderKID");
        }
    } else if (r->auth == CMP_SRV_AUTH_SIGNATURE && r->signer != NULL) {
        if (!X509_digest(r->signer, EVP_sha256(), id->id, &n)) {
            return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "fingerprint of the signer");
        }
    }
    id->len = n;
    return 1;
}

/*
 * RFC 9810 5.1.1: "The senderNonce and recipNonce fields protect the
 * PKIMessage against replay attacks." A request carrying the senderNonce
 * and transactionID of an earlier authenticated request within the
 * messageTime window is a replay: its senderNonce is invalid,
 * badSenderNonce (RFC 9810 5.2.3, "invalid sender nonce"). Checked after
 * authentication, so that garbage never fills the cache; a pair is
 * remembered until its request's messageTime (our clock if it had none)
 * plus the window, after which a replay fails the messageTime check
 * (badTime) instead.
 */
static int
check_replay(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_header *h = &r->req->hdr;
    int64_t window = r->srv->cfg.message_time_window_s;
    int64_t t = h->has_message_time ? h->message_time_secs : r->now;
    int64_t expires = t < r->now ? r->now : t;
    uint64_t forgotten = 0;
    unsigned long more;
    char note[96];

    if (r->srv->cfg.accept_replays) {
        return 1;
    }
    expires = expires > INT64_MAX - window ? INT64_MAX : expires + window;
    if (cmp_srv_replay_check(&r->srv->replay, &h->transaction_id, &h->sender_nonce, expires, r->now,
                             &forgotten)) {
        if (forgotten > 0 &&
            cmp_srv_log_allowed(&r->srv->log_limit, CMP_FI_BAD_SENDER_NONCE, r->now, &more)) {
            cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_WARN,
                        "replay cache full: %llu senderNonces forgotten before their messageTime "
                        "window of %lld s closed (-srv_replay_cache)%s",
                        (unsigned long long)forgotten, (long long)window,
                        suppressed_note(note, sizeof(note), more));
        }
        return 1;
    }
    r->replayed = 1;
    r->fail_text = "senderNonce used before: replayed request";
    return CMP_FAIL_INFO(err, CMP_FI_BAD_SENDER_NONCE,
                         "senderNonce was used by an earlier request within the messageTime "
                         "window of %lld s: a replay",
                         (long long)window);
}

/* Logs, rate-limited, that a new transaction pushed out an open one. */
static void
log_evicted(struct cmp_srv_req *r, int evicted)
{
    unsigned long more;
    char note[96];

    if (evicted == CMP_SRV_EVICTED_NONE ||
        !cmp_srv_log_allowed(&r->srv->log_limit, CMP_FI_SYSTEM_UNAVAIL, r->now, &more)) {
        return;
    }
    if (evicted == CMP_SRV_EVICTED_OWN) {
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_WARN,
                    "the sender holds %zu open transactions (-srv_max_txns_per_sender): dropped "
                    "its least recently used one%s",
                    r->srv->cfg.max_transactions_per_sender,
                    suppressed_note(note, sizeof(note), more));
    } else {
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_WARN,
                    "transaction table full (-srv_max_txns): dropped the least recently used "
                    "transaction of the sender holding the most%s",
                    suppressed_note(note, sizeof(note), more));
    }
}

/*
 * The first request of a transaction: authenticated, checked against
 * replays, and the transaction opened for its sender. Nothing about open
 * transactions, not even whether its transactionID is in use, is looked at
 * before its protection verified.
 */
static int
enter_new(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    int rc, evicted = CMP_SRV_EVICTED_NONE;

    r->first = 1;
    if (!verify(r, &srv->vfy, err) || !check_replay(r, err) || !sender_of(r, err)) {
        return 0;
    }
    rc = cmp_srv_txn_begin(&srv->table, &r->req->hdr.transaction_id, &r->sender, r->signer, r->now,
                           &r->txn, &evicted);
    log_evicted(r, evicted);
    switch (rc) {
    case CMP_SRV_TXN_OK:
        break;
    case CMP_SRV_TXN_IN_USE:
        /* RFC 9810 5.1.1: "If the transactionID is already in use, ... transactionIdInUse" */
        return CMP_FAIL_INFO(err, CMP_FI_TRANSACTION_ID_IN_USE,
                             "transactionID of a new transaction is already in use");
    case CMP_SRV_TXN_FULL:
        r->fail_text = "too many open transactions";
        return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_UNAVAIL,
                             "all %zu transactions are busy: no room for a new one",
                             srv->cfg.max_transactions);
    case CMP_SRV_TXN_SENDER_FULL:
        r->fail_text = "too many open transactions";
        return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_UNAVAIL,
                             "the sender's %zu transactions are all busy: no room for a new one",
                             srv->cfg.max_transactions_per_sender);
    case CMP_SRV_TXN_TOO_LONG:
        r->fail_text = "transactionID too long";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "transactionID longer than %d bytes",
                             CMP_SRV_MAX_TID_LEN);
    default:
        return CMP_FAIL(err, CMP_E_MEMORY, "transaction table");
    }
    r->txn->first_type = r->req->body.type;
    r->txn->implicit_confirm = asks_implicit_confirm(&r->req->hdr);
    switch (r->req->body.type) {
    case CMP_BODY_IR:
    case CMP_BODY_CR:
    case CMP_BODY_KUR:
        r->txn->num_reqs = r->req->body.u.req.num;
        break;
    case CMP_BODY_RR:
        r->txn->num_reqs = r->req->body.u.rr.num;
        break;
    default:
        r->txn->num_reqs = 1;
        break;
    }
    return 1;
}

/*
 * A request of an open transaction (certConf, pollReq; an error message may
 * have none). Authenticated before anything of the transaction is looked at
 * (only the signer of its first request is tried first, as later messages
 * may leave out extraCerts), so that an unauthenticated peer gets the same
 * answer whether the transactionID is open or not; then the transaction,
 * if its sender opened it, and its recipNonce.
 */
static int
enter_open(struct cmp_srv_req *r, int optional, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    const struct cmp_header *h = &r->req->hdr;
    struct cmp_vfy_opts o = srv->vfy;
    int rc = CMP_SRV_TXN_UNKNOWN, ok;
    X509 *pinned = NULL;
    struct der_in last;

    if (h->has_transaction_id) {
        pinned = cmp_srv_txn_peek_signer(&srv->table, &h->transaction_id);
    }
    o.validated_signer = pinned;
    ok = verify(r, &o, err);
    X509_free(pinned);
    if (!ok || !check_replay(r, err) || !sender_of(r, err)) {
        return 0;
    }
    if (h->has_transaction_id) {
        rc = cmp_srv_txn_acquire(&srv->table, &h->transaction_id, &r->sender, r->now, &r->txn);
    }
    if (rc != CMP_SRV_TXN_OK && optional) {
        /* RFC 9810 5.3.21: an error message for no open transaction is only logged. */
        return 1;
    }
    if (rc == CMP_SRV_TXN_BUSY) {
        r->fail_text = "transaction busy";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "another request of this transaction is being handled");
    }
    if (rc != CMP_SRV_TXN_OK) {
        r->fail_text = "no open transaction with this transactionID";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%s for no open transaction of its sender",
                             cmp_body_type_name(r->req->body.type));
    }
    r->txn_open = 1;
    /* RFC 9810 5.1.1: recipNonce is the senderNonce of our last message of the transaction. */
    last = der_in_make(r->txn->nonce, sizeof(r->txn->nonce));
    if (!cmp_vfy_recip_nonce(r->req, &last, err)) {
        return 0;
    }
    r->txn_checked = 1;
    return 1;
}

/* ---- the checks of each body type (lib/verify), for every responder ---- */

/* The responder's name for what lib/verify found of a POPO. */
static int
srv_popo(int vfy_popo)
{
    switch (vfy_popo) {
    case CMP_VFY_POPO_OK:
        return CMP_SRV_POPO_OK;
    case CMP_VFY_POPO_MISSING:
        return CMP_SRV_POPO_MISSING;
    case CMP_VFY_POPO_RAVERIFIED:
        return CMP_SRV_POPO_RAVERIFIED;
    case CMP_VFY_POPO_INDIRECT:
        return CMP_SRV_POPO_INDIRECT;
    case CMP_VFY_POPO_BAD:
    default:
        return CMP_SRV_POPO_BAD;
    }
}

/*
 * The requests as the responder will see them, and its check_cert_request
 * on each: 1 if the POPO of request |i| is to be verified, 0 if the
 * responder refused it already (its POPO stays unchecked, with the
 * refusal as popo_error).
 */
static int
cert_reqs_begin(struct cmp_srv_req *r, size_t num, struct cmp_err *err)
{
    r->cert_reqs = calloc(num, sizeof(*r->cert_reqs));
    r->popo_errs = calloc(num, sizeof(*r->popo_errs));
    if (r->cert_reqs == NULL || r->popo_errs == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certificate requests");
    }
    r->num_cert_reqs = num;
    cmp_srv_call_init(r);
    return cmp_srv_cert_req_views(r, err);
}

static int
precheck(struct cmp_srv_req *r, size_t i)
{
    const struct cmp_srv_responder *rs = &r->srv->responder;

    cmp_err_init(&r->popo_errs[i]);
    if (rs->check_cert_request == NULL ||
        rs->check_cert_request(rs->arg, &r->call, &r->cert_reqs[i], &r->popo_errs[i])) {
        cmp_err_init(&r->popo_errs[i]);
        return 1;
    }
    if (r->popo_errs[i].code == CMP_E_NONE) {
        CMP_FAIL(&r->popo_errs[i], CMP_E_INVALID, "the responder refused the request");
    }
    r->cert_reqs[i].popo = CMP_SRV_POPO_UNCHECKED;
    return 0;
}

static int
check_crmf(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_cert_req_msgs *reqs = &r->req->body.u.req;
    size_t i;
    int accept_ra;

    /* Every CertReqMsg costs a POPO check and an answer: a bounded number per message. */
    if (reqs->num > r->srv->cfg.max_cert_reqs) {
        r->fail_text = "too many certificate requests in one message";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%zu CertReqMsgs, more than the %zu allowed",
                             reqs->num, r->srv->cfg.max_cert_reqs);
    }
    if (!cmp_vfy_cert_req_ids(r->req, &r->fail_text, err) ||
        !cmp_vfy_cert_req_count(&r->srv->rules, r->req, &r->fail_text, err)) {
        return 0;
    }
    if (!cert_reqs_begin(r, reqs->num, err)) {
        return 0;
    }
    /* RFC 9483 4.1.1 / 4.1.3: each template, before any POPO is checked with its key. */
    for (i = 0; i < reqs->num; i++) {
        if (!cmp_vfy_cert_template(&r->srv->rules, &reqs->items[i], &r->fail_text, err)) {
            return 0;
        }
    }
    /* RFC 9483 4.1.1, 5.2.3.2: an RA (id-kp-cmcRA) may vouch for the POPO with raVerified. */
    accept_ra = r->srv->cfg.accept_raverified || cmp_vfy_signer_is_ra(r->signer);
    /* A POPO that fails rejects its request (the responder says how), not the message. */
    for (i = 0; i < reqs->num; i++) {
        int central;

        cmp_err_init(&r->popo_errs[i]);
        /* RFC 9483 4.1.6: central key generation has no POPO; one given fails it (badPOP) */
        central = cmp_vfy_central_keygen(&reqs->items[i], &r->popo_errs[i]);
        r->cert_reqs[i].central_keygen = central > 0;
        r->cert_reqs[i].encr_cert = cmp_vfy_popo_encr_cert(&reqs->items[i]);
        if (central < 0) {
            r->cert_reqs[i].popo = CMP_SRV_POPO_BAD;
        } else if (precheck(r, i)) {
            r->cert_reqs[i].popo =
                srv_popo(cmp_vfy_popo(&reqs->items[i], accept_ra, &r->popo_errs[i]));
        }
        /*
         * RFC 9483 4.1.1: raVerified "MUST only be used by a PKI management
         * entity"; from an end entity it is a request it is not authorized
         * to make, notAuthorized (not badPOP: no proof was tried).
         */
        if (r->cert_reqs[i].popo == CMP_SRV_POPO_RAVERIFIED) {
            r->fail_text = "raVerified POPO from an end entity";
            return CMP_FAIL_INFO(err, CMP_FI_NOT_AUTHORIZED,
                                 "CertReqMsg #%zu: POPO raVerified from a sender that is no RA "
                                 "(-accept_raverified not given)",
                                 i);
        }
    }
    return 1;
}

static int
check_p10cr(struct cmp_srv_req *r, struct cmp_err *err)
{
    int popo;

    /* RFC 9483 4.1.4 with 4.1.1: a key we will not certify, before its signature is checked */
    if (!cmp_vfy_p10cr_key(&r->srv->rules, r->req, &r->fail_text, err) ||
        !cert_reqs_begin(r, 1, err)) {
        return 0;
    }
    if (!precheck(r, 0)) {
        return 1;
    }
    popo = cmp_vfy_p10cr(r->req, &r->popo_errs[0]);
    if (popo < 0) {
        *err = r->popo_errs[0];
        return CMP_CONTEXT(err, "p10cr");
    }
    r->cert_reqs[0].popo = srv_popo(popo);
    return 1;
}

static int
check_rr(struct cmp_srv_req *r, struct cmp_err *err)
{
    if (r->srv->rules.profile == CMP_VFY_PROFILE_LIGHTWEIGHT) {
        return cmp_vfy_rr_lightweight(r->req, &r->fail_text, err);
    }
    return cmp_vfy_rr(r->req, &r->fail_text, err);
}

static int
check_certconf(struct cmp_srv_req *r, struct cmp_err *err)
{
    return cmp_vfy_certconf_count(&r->srv->rules, r->req, &r->fail_text, err) &&
           cmp_vfy_certconf(r->req, r->txn->issued, r->txn->num_issued, &r->fail_text, err);
}

static int
check_pollreq(struct cmp_srv_req *r, struct cmp_err *err)
{
    return cmp_vfy_pollreq(r->req, r->txn->waiting, r->txn->num_waiting, &r->fail_text, err);
}

/* ---- the state table ---- */

/* The transaction's state after a response: what is still due. */
static int
next_due(const struct cmp_srv_req *r)
{
    const struct cmp_srv_txn *t = r->txn;
    size_t issued = r->set_issued ? r->num_new_issued : t->num_issued;
    size_t waiting = r->set_waiting ? r->num_new_waiting : t->num_waiting;

    return (issued > 0 ? CMP_SRV_TXN_WAIT_CONF : 0) | (waiting > 0 ? CMP_SRV_TXN_POLLING : 0);
}

/* An error message ends its transaction (RFC 9810 5.3.21). */
static int
next_end(const struct cmp_srv_req *r)
{
    (void)r;
    return 0;
}

struct srv_step {
    int needs;                /* enum cmp_srv_txn_state bits it is taken in (NEW: it begins a
                               * transaction); 0: not a request */
    int optional;             /* may also come outside any open transaction (error) */
    const char *out_of_turn;  /* statusString when it comes in another state */
    int (*check)(struct cmp_srv_req *r, struct cmp_err *err);   /* lib/verify; may be NULL */
    int (*respond)(struct cmp_srv_req *r, struct cmp_err *err); /* the responder's turn */
    int (*next)(const struct cmp_srv_req *r);                   /* the state afterwards */
};

static const struct srv_step steps[CMP_BODY_MAX + 1] = {
    [CMP_BODY_IR] = {.needs = CMP_SRV_TXN_NEW,
                     .check = check_crmf,
                     .respond = cmp_srv_answer_certs,
                     .next = next_due},
    [CMP_BODY_CR] = {.needs = CMP_SRV_TXN_NEW,
                     .check = check_crmf,
                     .respond = cmp_srv_answer_certs,
                     .next = next_due},
    [CMP_BODY_KUR] = {.needs = CMP_SRV_TXN_NEW,
                      .check = check_crmf,
                      .respond = cmp_srv_answer_certs,
                      .next = next_due},
    [CMP_BODY_P10CR] = {.needs = CMP_SRV_TXN_NEW,
                        .check = check_p10cr,
                        .respond = cmp_srv_answer_certs,
                        .next = next_due},
    [CMP_BODY_RR] = {.needs = CMP_SRV_TXN_NEW,
                     .check = check_rr,
                     .respond = cmp_srv_answer_rr,
                     .next = next_due},
    [CMP_BODY_GENM] = {.needs = CMP_SRV_TXN_NEW,
                       .check = NULL, /* no rule beyond the syntax for any InfoType yet */
                       .respond = cmp_srv_answer_genm,
                       .next = next_due},
    [CMP_BODY_CERTCONF] = {.needs = CMP_SRV_TXN_WAIT_CONF,
                           .out_of_turn = "certConf not expected",
                           .check = check_certconf,
                           .respond = cmp_srv_answer_certconf,
                           .next = next_due},
    [CMP_BODY_POLLREQ] = {.needs = CMP_SRV_TXN_POLLING,
                          .out_of_turn = "pollReq not expected",
                          .check = check_pollreq,
                          .respond = cmp_srv_answer_poll,
                          .next = next_due},
    [CMP_BODY_ERROR] = {.needs = CMP_SRV_TXN_WAIT_CONF | CMP_SRV_TXN_POLLING,
                        .optional = 1,
                        .check = NULL, /* no rule beyond the syntax: what it says is logged */
                        .respond = cmp_srv_answer_error,
                        .next = next_end},
};

/* What a transaction in |state| waits for, for the log. */
static const char *
awaited(int state)
{
    if (state & CMP_SRV_TXN_WAIT_CONF) {
        return (state & CMP_SRV_TXN_POLLING) ? "certConf or pollReq" : "certConf";
    }
    return (state & CMP_SRV_TXN_POLLING) ? "pollReq" : "nothing";
}

/* Runs the step of the request's body type; sets r->next_state. */
static int
process(struct cmp_srv_req *r, struct cmp_err *err)
{
    int type = r->req->body.type;
    const struct srv_step *st = type >= 0 && type <= CMP_BODY_MAX ? &steps[type] : NULL;
    int ok;

    if (st == NULL || st->needs == 0) {
        /* Responses, announcements, nested, krr, ccr: nothing a server takes. */
        if (!verify(r, &r->srv->vfy, err)) {
            return 0;
        }
        r->fail_text = "unsupported message type";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%s is not a request this server handles",
                             cmp_body_type_name(type));
    }
    ok = (st->needs & CMP_SRV_TXN_NEW) ? enter_new(r, err) : enter_open(r, st->optional, err);
    if (!ok) {
        return 0;
    }
    if (r->txn != NULL && !(r->txn->state & st->needs)) {
        r->fail_text = st->out_of_turn;
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%s while waiting for %s",
                             cmp_body_type_name(type), awaited(r->txn->state));
    }
    if (st->check != NULL && !st->check(r, err)) {
        return 0;
    }
    if (!st->respond(r, err)) {
        return 0;
    }
    r->next_state = r->txn != NULL ? st->next(r) : 0;
    return 1;
}

/*
 * Applies what the step decided to the transaction: the certificates now
 * awaiting certConf, what now waits for pollReq, the new state. The only
 * place a transaction's state changes (besides its opening).
 */
static void
apply_state(struct cmp_srv_req *r)
{
    struct cmp_srv_txn *t = r->txn;
    int new_waiting = r->set_waiting;

    if (r->set_issued) {
        cmp_srv_issued_free(t->issued, t->num_issued);
        t->issued = r->new_issued;
        t->num_issued = r->num_new_issued;
        r->new_issued = NULL;
        r->num_new_issued = 0;
        r->set_issued = 0;
    }
    if (r->set_waiting) {
        free(t->waiting);
        t->waiting = r->new_waiting;
        t->num_waiting = r->num_new_waiting;
        t->delayed_type = r->num_new_waiting > 0 ? r->delayed_type : 0;
        r->new_waiting = NULL;
        r->num_new_waiting = 0;
        r->set_waiting = 0;
    }
    t->state = r->next_state;
    if (new_waiting) {
        t->check_after = r->check_after;
    }
    if (!(t->state & CMP_SRV_TXN_POLLING)) {
        t->check_after = 0;
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
    r->answer.num_extra_certs = 0;
    r->answer.extra_certs = NULL;
    r->implicit_granted = 0;
    r->next_state = 0;
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

/*
 * The extraCerts of the response: for a signed one our certificate and its
 * chain first (RFC 9483 3.3), then those of the answer that are not there
 * yet (as openssl adds its extraCertsOut).
 */
static int
set_extra_certs(struct cmp_srv_req *r, int signed_rsp, struct cmp_err *err)
{
    const struct cmp_srv_certs *own = signed_rsp ? &r->srv->sig_plain : NULL;
    const struct cmp_srv_answer *a = &r->answer;
    struct cmp_msg *m = r->rsp;
    size_t n = 0, i, j, max = (own != NULL ? own->num : 0) + a->num_extra_certs;

    cmp_certs_cleanup(&m->extra_certs);
    m->has_extra_certs = 0;
    if (max == 0) {
        return 1;
    }
    if (max > CMP_MAX_ITEMS) {
        return CMP_FAIL(err, CMP_E_LIMIT, "%zu extraCerts exceed the limit %u", max,
                        (unsigned)CMP_MAX_ITEMS);
    }
    m->extra_certs.items = malloc(max * sizeof(*m->extra_certs.items));
    if (m->extra_certs.items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
    }
    for (i = 0; own != NULL && i < own->num; i++) {
        m->extra_certs.items[n++] = own->items[i];
    }
    for (i = 0; i < a->num_extra_certs; i++) {
        struct der_in c = der_in_make(a->extra_certs[i].p, a->extra_certs[i].len);

        for (j = 0; j < n && !der_in_eq(&m->extra_certs.items[j], &c); j++) {
        }
        if (j == n && c.len > 0) {
            m->extra_certs.items[n++] = c;
        }
    }
    m->extra_certs.num = n;
    m->has_extra_certs = n > 0;
    return 1;
}

/*
 * The PBM key of responses for a responder's secret: one derivation per
 * secret (RFC 4211 4.4 asks for a salt, not a new one per message), kept
 * in srv->pbm_keys. Fills |pbm|'s salt and key, which point into |copy|.
 * 0 if the key cannot be made: the caller then derives per message.
 */
static int
pbm_key_for(struct cmp_srv *srv, const uint8_t *secret, size_t secret_len,
            struct cmp_srv_pbm_key *copy, struct cmp_pbm_opts *pbm)
{
    static const uint8_t empty[32];
    uint8_t id[32];
    unsigned int id_len = 0;
    size_t i;
    struct cmp_err e;

    if (!srv->pbm_lock_ready ||
        EVP_Digest(secret, secret_len, id, &id_len, EVP_sha256(), NULL) != 1 || id_len != 32 ||
        memcmp(id, empty, sizeof(id)) == 0) {
        return 0;
    }
    pthread_mutex_lock(&srv->pbm_lock);
    for (i = 0; i < CMP_SRV_PBM_KEYS; i++) {
        if (memcmp(srv->pbm_keys[i].id, id, sizeof(id)) == 0) {
            *copy = srv->pbm_keys[i];
            pthread_mutex_unlock(&srv->pbm_lock);
            goto found;
        }
    }
    pthread_mutex_unlock(&srv->pbm_lock);
    memset(copy, 0, sizeof(*copy));
    cmp_err_init(&e);
    if (!cmp_pbm_derive(NULL, secret, secret_len, copy->salt, &copy->salt_len, copy->key,
                        &copy->key_len, &e)) {
        return 0;
    }
    memcpy(copy->id, id, sizeof(id));
    pthread_mutex_lock(&srv->pbm_lock);
    OPENSSL_cleanse(&srv->pbm_keys[srv->pbm_next], sizeof(srv->pbm_keys[0]));
    srv->pbm_keys[srv->pbm_next] = *copy;
    srv->pbm_next = (srv->pbm_next + 1) % CMP_SRV_PBM_KEYS;
    pthread_mutex_unlock(&srv->pbm_lock);
found:
    pbm->salt = copy->salt;
    pbm->salt_len = copy->salt_len;
    pbm->key = copy->key;
    pbm->key_len = copy->key_len;
    return 1;
}

/*
 * own_pbm_key() fills |pbm| with the salt and key of our own PBM parameters
 * for -srv_secret, derived on first use (once per engine: an engine that
 * never answers with them, or a short-lived one, pays nothing). 0 if it
 * cannot be derived: the caller then derives per message.
 */
static int
own_pbm_key(struct cmp_srv *srv, struct cmp_pbm_opts *pbm)
{
    struct cmp_err e;
    int ok;

    if (!srv->pbm_lock_ready || srv->secret == NULL) {
        return 0;
    }
    pthread_mutex_lock(&srv->pbm_lock);
    if (!srv->has_pbm_key) {
        cmp_err_init(&e);
        srv->has_pbm_key = cmp_pbm_derive(NULL, srv->secret, srv->secret_len, srv->pbm_salt,
                                          &srv->pbm_salt_len, srv->pbm_key, &srv->pbm_key_len,
                                          &e);
    }
    ok = srv->has_pbm_key;
    pthread_mutex_unlock(&srv->pbm_lock);
    if (ok) {
        /* set once under the lock above and never changed after: read without it */
        pbm->salt = srv->pbm_salt;
        pbm->salt_len = srv->pbm_salt_len;
        pbm->key = srv->pbm_key;
        pbm->key_len = srv->pbm_key_len;
    }
    return ok;
}

/*
 * RFC 9483 3.2, RFC 9810 5.1.3.1: the answer to an authenticated
 * MAC-protected request is protected with the algorithm and parameters of
 * that request (PBM: its PBMParameter and the key it verified with; PBMAC1:
 * a fresh salt), so that the client can check it under its own policy.
 * Returns 1 if done, 0 to fall back on our own parameters: for a request
 * that did not authenticate or replays an earlier one (it gets no second
 * key derivation of its choosing: issue 11's CPU budget), or one whose
 * parameters we cannot take over (logged).
 */
static int
mac_as_request(struct cmp_srv_req *r, const uint8_t *secret, size_t secret_len)
{
    struct cmp_srv *srv = r->srv;
    struct cmp_err e;

    if (!r->authenticated || r->replayed || r->auth != CMP_SRV_AUTH_MAC || r->hdr == NULL ||
        !r->hdr->has_protection_alg) {
        return 0;
    }
    cmp_err_init(&e);
    if (cmp_protect_mac_as(r->rsp, &r->hdr->protection_alg, &srv->vfy.mac_limits, secret,
                           secret_len, &e)) {
        return 1;
    }
    cmp_srv_log_err(srv, r->tid_hex, CMP_SRV_LOG_WARN,
                    "answering with our own MAC parameters, not the request's", &e);
    return 0;
}

/* senderKID, protectionAlg, protection and extraCerts. */
static int
protect(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    const struct cmp_srv_config *c = &srv->cfg;
    struct cmp_msg *m = r->rsp;
    int unprotected = c->send_unprotected || (c->send_unprot_err && r->negative);
    /*
     * The responder's secret for the request's senderKID, else -srv_secret;
     * not when the request's MAC did not verify with it: its sender holds
     * another secret, and gets our signature instead where we have a key.
     */
    int own = r->secret != NULL && r->authenticated;
    const uint8_t *secret = own ? r->secret : srv->secret;
    size_t secret_len = own ? r->secret_len : srv->secret_len;
    int use_mac = secret != NULL && (r->mac != 0 || c->key == NULL);

    m->hdr.has_protection_alg = 0;
    m->has_protection = 0;
    m->hdr.has_sender_kid = 0;
    if (!unprotected && !use_mac) {
        if (srv->skid != NULL) {
            m->hdr.has_sender_kid = 1;
            m->hdr.sender_kid = der_in_make(srv->skid, srv->skid_len);
        }
    } else if (own && use_mac) {
        /* RFC 9483 3.1: senderKID names the secret: the reference the client sent. */
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = r->req->hdr.sender_kid;
    } else if (srv->ref != NULL && !(unprotected && c->send_unprot_err && r->negative)) {
        /*
         * openssl sets the reference as senderKID also with -send_unprotected,
         * not for the negative responses that -send_unprot_err leaves unprotected.
         */
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = der_in_make((const uint8_t *)srv->ref, strlen(srv->ref));
    }
    if (!set_extra_certs(r, !unprotected && !use_mac, err)) {
        return 0;
    }
    if (unprotected) {
        return 1;
    }
    if (use_mac) {
        if (mac_as_request(r, secret, secret_len)) {
            return 1;
        }
        /* RFC 9483 3.2: answer in kind; PBMAC1 for PBMAC1, else PBM. */
        if (r->mac == 2) {
            return cmp_protect_pbmac1(m, NULL, secret, secret_len, err);
        }
        {
            struct cmp_pbm_opts pbm;
            struct cmp_srv_pbm_key kept;
            int ok;

            memset(&pbm, 0, sizeof(pbm));
            if (!own) {
                (void)own_pbm_key(srv, &pbm);
            } else {
                (void)pbm_key_for(srv, secret, secret_len, &kept, &pbm);
            }
            ok = cmp_protect_pbm(m, &pbm, secret, secret_len, err);
            if (own) {
                OPENSSL_cleanse(&kept, sizeof(kept));
            }
            return ok;
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
    unsigned long more;
    char note[96];

    r->fail_bit = bit;
    /* A flood of bad requests must not flood the log: rate-limited per failure bit. */
    if (cmp_srv_log_allowed(&r->srv->log_limit, bit, r->now, &more)) {
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_ERR, "answering with error: %s%s",
                    cmp_failure_bit_name(bit), suppressed_note(note, sizeof(note), more));
        cmp_srv_log_err(r->srv, r->tid_hex, CMP_SRV_LOG_ERR, "cause", cause);
    } else {
        r->quiet = 1;
    }
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
 * The responder's commit (struct cmp_srv_responder): after a callback that
 * answered, once the response is made (|ok| 1) or could not be made (0).
 * Returns 1 if the response stands, 0 (with |err|) if the commit failed.
 */
static int
run_commit(struct cmp_srv_req *r, int ok, struct cmp_err *err)
{
    struct cmp_err e;

    if (!r->called || r->srv->responder.commit == NULL) {
        return 1;
    }
    r->called = 0;
    cmp_err_init(&e);
    if (r->srv->responder.commit(r->srv->responder.arg, &r->call, ok, &e) || !ok) {
        return 1;
    }
    if (e.code == CMP_E_NONE) {
        CMP_FAIL(&e, CMP_E_IO, "the responder could not commit");
    }
    if (e.failure_bit < 0) {
        e.failure_bit = CMP_FI_SYSTEM_FAILURE;
    }
    *err = e;
    return 0;
}

static int handle(struct cmp_srv *srv, struct cmp_srv_req *rp, const uint8_t *req, size_t req_len,
                  uint8_t **rsp, size_t *rsp_len);

int
cmp_srv_handle(struct cmp_srv *srv, const uint8_t *req, size_t req_len, uint8_t **rsp,
               size_t *rsp_len)
{
    return cmp_srv_handle_ex(srv, req, req_len, rsp, rsp_len, NULL);
}

/* The CPU time of this thread, in microseconds (0 if it cannot be read). */
static uint64_t
thread_cpu_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
        return 0;
    }
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int
cmp_srv_handle_ex(struct cmp_srv *srv, const uint8_t *req, size_t req_len, uint8_t **rsp,
                  size_t *rsp_len, struct cmp_srv_outcome *out)
{
    return cmp_srv_handle_peer(srv, NULL, req, req_len, rsp, rsp_len, out);
}

/* log_peer() notes who the transport says sent the request (before its transactionID is known). */
static void
log_peer(const struct cmp_srv *srv, const struct cmp_srv_peer *peer)
{
    char subject[256];

    if (peer == NULL || peer->tls_client_cert == NULL || srv->cfg.log == NULL ||
        srv->cfg.verbosity < CMP_SRV_LOG_INFO) {
        return;
    }
    if (X509_NAME_oneline(X509_get_subject_name(peer->tls_client_cert), subject,
                          (int)sizeof(subject)) == NULL) {
        snprintf(subject, sizeof(subject), "?");
    }
    cmp_srv_log(srv, NULL, CMP_SRV_LOG_INFO, "request over TLS from client certificate %s",
                subject);
}

int
cmp_srv_handle_peer(struct cmp_srv *srv, const struct cmp_srv_peer *peer, const uint8_t *req,
                    size_t req_len, uint8_t **rsp, size_t *rsp_len, struct cmp_srv_outcome *out)
{
    uint64_t t0 = out != NULL ? thread_cpu_us() : 0, t1;
    int ok;
    struct cmp_srv_req r; /* in: the peer; out: what handle() reports of it */

    memset(&r, 0, sizeof(r));
    r.fail_bit = -1;
    if (peer != NULL && srv != NULL) {
        r.tls_client_cert = peer->tls_client_cert;
        log_peer(srv, peer);
    }
    ok = handle(srv, &r, req, req_len, rsp, rsp_len);
    if (out != NULL) {
        t1 = thread_cpu_us();
        memset(out, 0, sizeof(*out));
        out->authenticated = r.authenticated;
        out->failure_bit = r.fail_bit;
        out->undecodable = r.undecodable;
        out->unauthenticated_failure = r.fail_bit >= 0 && (!r.authenticated || r.replayed);
        out->cpu_us = t1 > t0 ? t1 - t0 : 0;
    }
    return ok;
}

/* handle() is cmp_srv_handle(); |r| tells the caller what became of the request. */
static int
handle(struct cmp_srv *srv, struct cmp_srv_req *rp, const uint8_t *req, size_t req_len,
       uint8_t **rsp, size_t *rsp_len)
{
    struct cmp_srv_req r;
    struct cmp_msg *msg = NULL;
    struct cmp_header salvaged;
    int have_salvaged = 0, ok, keep, answered = 0;
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
    r.tls_client_cert = rp->tls_client_cert;
    r.now = now_secs();
    r.fail_bit = -1;
    cmp_err_init(&err);
    r.rsp = cmp_msg_new();
    if (r.rsp == NULL) {
        return 0;
    }
    if (req == NULL) {
        req_len = 0;
    }

    if (!cmp_msg_decode(&msg, req, req_len, &err)) {
        r.undecodable = 1;
        have_salvaged = cmp_header_salvage(req, req_len, &salvaged);
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
        if (ok) {
            answered = run_commit(&r, 1, &err);
        } else {
            cmp_srv_log_err(srv, r.tid_hex, CMP_SRV_LOG_ERR, "cannot make the response", &err);
            (void)run_commit(&r, 0, &err);
        }
        if (!answered) {
            free(*rsp);
            *rsp = NULL;
            *rsp_len = 0;
            r.fail_text = NULL;
            ok = answer_error(&r, &err, rsp, rsp_len);
        }
    } else {
        /* A callback may have answered before the response failed: it rolls back. */
        (void)run_commit(&r, 0, &err);
        ok = answer_error(&r, &err, rsp, rsp_len);
    }
    if (ok && !r.quiet) {
        type = cmp_body_type_name(r.rsp->body.type);
        cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO, "sending %s%s", type != NULL ? type : "?",
                    r.rsp->hdr.has_protection_alg ? "" : " (unprotected)");
    }

done:
    /*
     * The transaction stays open if the response asks for more (certConf,
     * pollReq), or unchanged when a request of it failed before it passed
     * the transaction's own checks (a stale or misdirected recipNonce).
     */
    if (r.txn != NULL) {
        if (answered) {
            apply_state(&r);
        }
        keep = answered ? r.next_state != 0 : r.txn_open && !r.txn_checked;
        if (keep && answered && r.rsp->hdr.has_sender_nonce) {
            memcpy(r.txn->nonce, r.rsp->hdr.sender_nonce.p, sizeof(r.txn->nonce));
        }
        if (!keep && r.txn_open) {
            cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO, "transaction closed");
        }
        cmp_srv_txn_release(&srv->table, r.txn, keep, r.now);
    }
    cmp_srv_answer_cleanup(&r);
    X509_free(r.signer);
    if (r.secret != NULL) {
        OPENSSL_cleanse(r.secret, r.secret_len);
        free(r.secret);
    }
    cmp_msg_free(r.rsp);
    cmp_msg_free(msg);
    if (have_salvaged) {
        cmp_header_cleanup(&salvaged);
    }
    rp->authenticated = r.authenticated;
    rp->replayed = r.replayed;
    rp->fail_bit = r.fail_bit;
    rp->undecodable = r.undecodable;
    return ok;
}

int
cmp_srv_refuse(struct cmp_srv *srv, const uint8_t *req, size_t req_len, int failure_bit,
               const char *text, uint8_t **rsp, size_t *rsp_len)
{
    struct cmp_srv_req r;
    struct cmp_header salvaged;
    struct cmp_err cause, err;
    unsigned long more;
    char note[96];
    int have = 0, ok;

    if (rsp == NULL || rsp_len == NULL) {
        return 0;
    }
    *rsp = NULL;
    *rsp_len = 0;
    if (srv == NULL || failure_bit < 0 || failure_bit > CMP_FI_MAX) {
        return 0;
    }
    memset(&r, 0, sizeof(r));
    r.srv = srv;
    r.now = now_secs();
    r.fail_bit = failure_bit;
    r.fail_text = text;
    r.rsp = cmp_msg_new();
    if (r.rsp == NULL) {
        return 0;
    }
    /* The header alone: transactionID and senderNonce to echo, the sender as recipient. */
    if (req != NULL) {
        have = cmp_header_salvage(req, req_len, &salvaged);
    }
    if (have) {
        r.hdr = &salvaged;
        if (salvaged.has_transaction_id) {
            hex_tid(r.tid_hex, sizeof(r.tid_hex), &salvaged.transaction_id);
        }
    }
    if (cmp_srv_log_allowed(&srv->log_limit, CMP_SRV_LOG_CAUSE_REFUSED, r.now, &more)) {
        cmp_srv_log(srv, r.tid_hex, CMP_SRV_LOG_INFO,
                    "refused a request without handling it: %s (unprotected)%s",
                    cmp_failure_bit_name(failure_bit), suppressed_note(note, sizeof(note), more));
    }
    cmp_err_init(&cause);
    cmp_err_init(&err);
    CMP_FAIL_INFO(&cause, failure_bit, "refused without handling");
    ok = set_error_body(&r, &cause) && set_header(&r, &err) &&
         cmp_msg_encode(r.rsp, rsp, rsp_len, &err);
    cmp_msg_free(r.rsp);
    if (have) {
        cmp_header_cleanup(&salvaged);
    }
    return ok;
}
