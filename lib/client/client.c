/*
 * Client transactions (RFC 9810 5.3, RFC 9483 4): a table-driven state
 * machine. Each state builds one request and names the responses it
 * accepts; its handler reads the response and picks the next state. Only
 * the driver loop (run()) changes state:
 *
 *   ST_REQUEST   ir/cr/kur/p10cr/rr/genm -> ip/cp/kup/rp/genp
 *                  certificate 'waiting'     -> ST_POLL
 *                  certificate, to confirm   -> ST_CERTCONF
 *   ST_POLL      pollReq -> pollRep (wait checkAfter) -> ST_POLL
 *                        -> the response awaited, as after its request
 *   ST_CERTCONF  certConf -> pkiConf -> ST_DONE
 *
 * Delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4, openssl cmp 3.3+): any
 * request, certConf included, may be answered by an error message with
 * status 'waiting'; the client then polls with certReqId -1 until the
 * response to that request comes (a certificate response with a 'waiting'
 * CertResponse is polled for with its certReqId). 'waiting' in answer to a
 * pollReq ends the transaction, as in openssl cmp 3.3+ ("polling already
 * started").
 *
 * Every response is decoded and checked (lib/verify: transactionID, our
 * senderNonce as recipNonce, protection; the server's signer is pinned for
 * the rest of the transaction, as openssl does) before its handler sees it.
 * An error message ends the transaction with the peer's status quoted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "client/internal.h"

enum cmp_cli_state { ST_REQUEST = 0, ST_POLL, ST_CERTCONF, ST_DONE };

/* .expect: a body type, EXPECT_CMD for the command's own response, or EXPECT_POLLED
 * for the response that polling waits for */
#define EXPECT_NONE (-1)
#define EXPECT_CMD (-2)
#define EXPECT_POLLED (-3)

struct cmp_cli_state_def {
    const char *name;
    int body; /* the body type sent, or EXPECT_CMD for the command's request */
    int (*build)(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err);
    int expect[2];
    int (*handle)(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next, struct cmp_err *err);
};

struct cmp_cli_cmd_def {
    const char *name;
    int req;
    int rsp;
    int (*build)(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err);
};

static int build_first(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err);
static int handle_first(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next,
                        struct cmp_err *err);
static int handle_poll(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next,
                       struct cmp_err *err);
static int handle_pkiconf(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next,
                          struct cmp_err *err);
static int handle_final(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next,
                        struct cmp_err *err);

/* The one list of commands: what each sends and expects first (enum cmp_cmd). */
static const struct cmp_cli_cmd_def commands[CMP_CMD_NUM] = {
    [CMP_CMD_IR] = {.name = "ir",
                    .req = CMP_BODY_IR,
                    .rsp = CMP_BODY_IP,
                    .build = cmp_cli_body_certreq},
    [CMP_CMD_CR] = {.name = "cr",
                    .req = CMP_BODY_CR,
                    .rsp = CMP_BODY_CP,
                    .build = cmp_cli_body_certreq},
    [CMP_CMD_KUR] = {.name = "kur",
                     .req = CMP_BODY_KUR,
                     .rsp = CMP_BODY_KUP,
                     .build = cmp_cli_body_certreq},
    [CMP_CMD_P10CR] = {.name = "p10cr",
                       .req = CMP_BODY_P10CR,
                       .rsp = CMP_BODY_CP,
                       .build = cmp_cli_body_p10cr},
    [CMP_CMD_RR] = {.name = "rr", .req = CMP_BODY_RR, .rsp = CMP_BODY_RP, .build = cmp_cli_body_rr},
    [CMP_CMD_GENM] = {.name = "genm",
                      .req = CMP_BODY_GENM,
                      .rsp = CMP_BODY_GENP,
                      .build = cmp_cli_body_genm},
};

static const struct cmp_cli_state_def states[] = {
    [ST_REQUEST] = {.name = "request",
                    .body = EXPECT_CMD,
                    .build = build_first,
                    .expect = {EXPECT_CMD, EXPECT_NONE},
                    .handle = handle_first},
    [ST_POLL] = {.name = "pollReq",
                 .body = CMP_BODY_POLLREQ,
                 .build = cmp_cli_body_pollreq,
                 .expect = {CMP_BODY_POLLREP, EXPECT_POLLED},
                 .handle = handle_poll},
    [ST_CERTCONF] = {.name = "certConf",
                     .body = CMP_BODY_CERTCONF,
                     .build = cmp_cli_body_certconf,
                     .expect = {CMP_BODY_PKICONF, EXPECT_NONE},
                     .handle = handle_pkiconf},
    [ST_DONE] = {.name = "done",
                 .body = EXPECT_NONE,
                 .build = NULL,
                 .expect = {EXPECT_NONE, EXPECT_NONE},
                 .handle = NULL},
};

/* ---- time ---- */

#define CMP_CLI_MAX_CHECK_AFTER 3600 /* seconds between two polls, at most */

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
    struct timespec ts;

#ifdef CMP_FUZZ
    ms = 0; /* a fuzz input's checkAfter must not stall the fuzzer */
#endif
    if (ms <= 0) {
        return;
    }
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/*
 * The timeout of the next exchange: -msg_timeout, cut to what is left of
 * -total_timeout. 0: none. Fails when no time is left.
 *
 * Without -msg_timeout openssl cmp 3.0 uses the -total_timeout setting,
 * and without that too it waits for a silent server for ever. We wait
 * CMP_DEFAULT_MSG_TIMEOUT seconds when neither is set: a library (or a cron
 * job) must not hang by default. An explicit 0 still means no limit.
 */
/*
 * -total_timeout is over. While polling the error says for what, how many
 * pollReqs went out and how long the server has kept us waiting.
 */
static int
total_timeout_fail(const struct cmp_cli_txn *t, struct cmp_err *err)
{
    int64_t waited;

    if (!t->polling) {
        return CMP_FAIL(err, CMP_E_IO, "total timeout of %d s exceeded (-total_timeout)",
                        t->ctx->total_timeout);
    }
    waited = now_ms() - t->poll_start_ms;
    return CMP_FAIL(err, CMP_E_IO,
                    "total timeout of %d s exceeded while polling for the %s: %u pollReq sent, "
                    "%lld.%lld s since 'waiting' (-total_timeout)",
                    t->ctx->total_timeout, cmp_cli_body_label(t->poll_for), t->num_polls,
                    (long long)(waited / 1000), (long long)(waited % 1000 / 100));
}

static int
exchange_timeout(const struct cmp_cli_txn *t, int64_t *out_ms, struct cmp_err *err)
{
    const struct cmp_ctx *ctx = t->ctx;
    int64_t ms =
        ctx->msg_timeout_set && ctx->msg_timeout > 0 ? (int64_t)ctx->msg_timeout * 1000 : 0;

    if (!ctx->msg_timeout_set && !ctx->total_timeout_set) {
        ms = (int64_t)CMP_DEFAULT_MSG_TIMEOUT * 1000;
    }

    if (t->end_ms != 0) {
        int64_t left = t->end_ms - now_ms();

        if (left <= 0) {
            return total_timeout_fail(t, err);
        }
        if (ms == 0 || left < ms) {
            ms = left;
        }
    }
    *out_ms = ms;
    return 1;
}

/* ---- helpers ---- */

/* Appends the certificates of |certs| to |*out| (created if NULL). */
static int
certs_to_stack(STACK_OF(X509) * *out, const struct cmp_certs *certs, struct cmp_err *err)
{
    size_t i;

    if (*out == NULL && (*out = sk_X509_new_null()) == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certificates");
    }
    for (i = 0; i < certs->num; i++) {
        X509 *x = cmp_vfy_cert_parse(&certs->items[i]);

        if (x == NULL) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "certificate #%zu does not parse", i);
        }
        if (!sk_X509_push(*out, x)) {
            X509_free(x);
            return CMP_FAIL(err, CMP_E_MEMORY, "certificates");
        }
    }
    return 1;
}

/* RFC 9810 5.1.1.1: did the server grant implicit confirmation? */
static int
implicit_granted(const struct cmp_msg *rsp)
{
    size_t i;

    for (i = 0; rsp->hdr.has_general_info && i < rsp->hdr.general_info.num; i++) {
        if (cmp_oid_is(&rsp->hdr.general_info.items[i].type, CMP_NID_IT_IMPLICIT_CONFIRM)) {
            return 1;
        }
    }
    return 0;
}

/* The peer said no: the status is in the context; the error quotes it. */
static int
peer_failed(struct cmp_cli_txn *t, const char *what, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    int bit, first = -1;

    for (bit = 0; bit <= CMP_FI_MAX; bit++) {
        if ((ctx->failinfo >> bit) & 1) {
            first = bit;
            break;
        }
    }
    cmp_err_set(err, CMP_E_PEER, first, __FILE__, __LINE__, "%s: %s", what, ctx->status_text);
    return 0;
}

/* ---- building and sending ---- */

static int
build_first(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    return commands[t->cmd].build(t, m, err);
}

/*
 * -reqin: the request of this position comes from a file. From the second
 * on its recipNonce is ours to set, and a fresh transactionID comes with
 * -reqin_new_tid; either means protecting it again (as openssl cmp does).
 * The response is then checked against the request actually sent.
 */
static int
apply_reqin(struct cmp_cli_txn *t, const char *path, uint8_t **der, size_t *der_len,
            struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_msg *m = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    int changed = 0, ok = 0;

    if (!cmp_file_read(path, CMP_MAX_MSG_LEN, &buf, &len, err) ||
        !cmp_msg_decode(&m, buf, len, err)) {
        free(buf);
        return CMP_CONTEXT(err, "-reqin %.40s", path);
    }
    if (t->num_sent > 0 && t->recip_nonce_len > 0) {
        m->hdr.has_recip_nonce = 1;
        m->hdr.recip_nonce = der_in_make(t->recip_nonce, t->recip_nonce_len);
        changed = 1;
    }
    if (ctx->reqin_new_tid) {
        m->hdr.has_transaction_id = 1;
        m->hdr.transaction_id = der_in_make(t->tid, sizeof(t->tid));
        changed = 1;
    }
    if (changed && m->hdr.has_protection_alg && !cmp_cli_protect(t, m, err)) {
        goto done;
    }
    if (changed) {
        free(buf);
        buf = NULL;
        if (!cmp_msg_encode(m, &buf, &len, err)) {
            goto done;
        }
    }
    /* Responses must answer what was sent. */
    if (m->hdr.has_transaction_id) {
        free(t->tid_buf);
        t->tid_buf = malloc(m->hdr.transaction_id.len + 1);
        if (t->tid_buf == NULL) {
            CMP_FAIL(err, CMP_E_MEMORY, "-reqin");
            goto done;
        }
        memcpy(t->tid_buf, m->hdr.transaction_id.p, m->hdr.transaction_id.len);
        t->tid_in = der_in_make(t->tid_buf, m->hdr.transaction_id.len);
    }
    t->nonce_len = 0;
    if (m->hdr.has_sender_nonce && m->hdr.sender_nonce.len <= sizeof(t->nonce)) {
        memcpy(t->nonce, m->hdr.sender_nonce.p, m->hdr.sender_nonce.len);
        t->nonce_len = m->hdr.sender_nonce.len;
    }
    *der = buf;
    *der_len = len;
    buf = NULL;
    ok = 1;
done:
    free(buf);
    cmp_msg_free(m);
    return ok ? 1 : CMP_CONTEXT(err, "-reqin %.40s", path);
}

/* Builds the request of state |s|, or takes it from -reqin, as DER. */
static int
make_request(struct cmp_cli_txn *t, const struct cmp_cli_state_def *s, int body_type, uint8_t **der,
             size_t *der_len, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_msg *m = NULL;
    int ok;

    if (t->num_sent < ctx->reqin.num && ctx->reqout_only == NULL) {
        /*
         * -reqout saves the request we create, not the one from -reqin
         * (openssl-cmp(1)), so it is created all the same.
         */
        if (cmp_transfer_caps(ctx->transfer) & CMP_TRANSFER_SAVES_REQUEST) {
            uint8_t *created = NULL;
            size_t created_len = 0;

            ok = cmp_cli_new_request(t, body_type, &m, err) && s->build(t, m, err) &&
                 cmp_cli_protect(t, m, err) && cmp_msg_encode(m, &created, &created_len, err) &&
                 cmp_transfer_save_request(ctx->transfer, created, created_len, err);
            cmp_msg_free(m);
            free(created);
            if (!ok) {
                return CMP_CONTEXT(err, "the request for -reqout");
            }
        }
        return apply_reqin(t, ctx->reqin.items[t->num_sent], der, der_len, err);
    }
    ok = cmp_cli_new_request(t, body_type, &m, err) && s->build(t, m, err) &&
         cmp_cli_protect(t, m, err) && cmp_msg_encode(m, der, der_len, err);
    cmp_msg_free(m);
    return ok;
}

/* The extraCerts of a response: kept as intermediates, and reported. */
static int
take_extracerts(struct cmp_cli_txn *t, const struct cmp_msg *rsp, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    STACK_OF(X509) *in = NULL;

    if (rsp->body.type == CMP_BODY_POLLREP || rsp->body.type == CMP_BODY_PKICONF) {
        return 1;
    }
    if (rsp->has_extra_certs && !certs_to_stack(&in, &rsp->extra_certs, err)) {
        sk_X509_pop_free(in, X509_free);
        return CMP_CONTEXT(err, "extraCerts");
    }
    sk_X509_pop_free(ctx->extracerts_in, X509_free);
    ctx->extracerts_in = in;
    /*
     * -no_cache_extracerts: they helped to check this response only (the
     * signer it verified stays pinned); openssl cmp 3.3+ drops them again.
     */
    if (in != NULL && !ctx->no_cache_extracerts &&
        !X509_add_certs(t->untrusted, in, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
    }
    return 1;
}

/* Decodes and checks a response (lib/verify), pinning the server's signer. */
/*
 * adopt_header() takes over the transactionID and recipNonce of a response
 * read from an -rspin file as ours (openssl cmp's read_write_req_resp()).
 */
static int
adopt_header(struct cmp_cli_txn *t, const struct cmp_msg *rsp, struct cmp_err *err)
{
    if (rsp->hdr.has_transaction_id) {
        free(t->tid_buf);
        t->tid_buf = malloc(rsp->hdr.transaction_id.len + 1);
        if (t->tid_buf == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "-rspin");
        }
        memcpy(t->tid_buf, rsp->hdr.transaction_id.p, rsp->hdr.transaction_id.len);
        t->tid_in = der_in_make(t->tid_buf, rsp->hdr.transaction_id.len);
    }
    if (rsp->hdr.has_recip_nonce && rsp->hdr.recip_nonce.len <= sizeof(t->nonce)) {
        memcpy(t->nonce, rsp->hdr.recip_nonce.p, rsp->hdr.recip_nonce.len);
        t->nonce_len = rsp->hdr.recip_nonce.len;
    }
    return 1;
}

/* The lines of lib/verify about the signer certificates it tries go to the debug log. */
static void
vfy_log(void *arg, const char *line)
{
    cmp_cli_log(arg, CMP_LOG_DEBUG, "%s", line);
}

/* How the protection of a response was checked, for the debug log (openssl: "validated"). */
static void
log_protection(const struct cmp_ctx *ctx, const struct cmp_vfy_result *res)
{
    char subj[256];

    if (ctx->verbosity < CMP_LOG_DEBUG) {
        return;
    }
    if (res->protection == CMP_VFY_PROT_MAC) {
        cmp_cli_log(ctx, CMP_LOG_DEBUG, "successfully validated MAC-based (PBM) protection");
    } else if (res->protection == CMP_VFY_PROT_SIG && res->signer != NULL) {
        X509_NAME_oneline(X509_get_subject_name(res->signer), subj, sizeof(subj));
        cmp_cli_log(ctx, CMP_LOG_DEBUG,
                    "successfully validated signature-based protection, signer %s (%s)", subj,
                    ctx->srvcert != NULL ? "-srvcert" : "chain to -trusted");
    } else if (res->unprotected_accepted) {
        cmp_cli_log(ctx, CMP_LOG_DEBUG, "protection not validated, accepted without");
    }
}

static int
check_response(struct cmp_cli_txn *t, const uint8_t *der, size_t len, struct cmp_msg **out,
               struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_vfy_opts o;
    struct cmp_vfy_result res;
    struct cmp_msg *rsp = NULL;
    unsigned char *sender_der = NULL;
    char what[64];
    int sender_len = 0, ok;

    *out = NULL;
    if (!cmp_msg_decode(&rsp, der, len, err)) {
        return CMP_CONTEXT(err, "the response (%zu bytes)", len);
    }
    /* openssl says what came before checking it: "received ERROR" explains a failed check */
    cmp_cli_log(ctx, CMP_LOG_INFO, "received %s", cmp_cli_body_label(rsp->body.type));
    snprintf(what, sizeof(what), "received %s", cmp_cli_body_label(rsp->body.type));
    cmp_cli_log_msg(ctx, what, der, len);
    if ((cmp_transfer_caps(ctx->transfer) & CMP_TRANSFER_RSP_FROM_FILE) &&
        !adopt_header(t, rsp, err)) {
        cmp_msg_free(rsp);
        return 0;
    }
    memset(&o, 0, sizeof(o));
    memset(&res, 0, sizeof(res));
    o.secret = ctx->secret;
    o.secret_len = ctx->secret_len;
    o.srvcert = ctx->srvcert;
    o.trusted = ctx->trusted;
    o.untrusted = t->untrusted;
    o.vpm = ctx->vpm;
    o.ignore_keyusage = ctx->ignore_keyusage;
    o.validated_signer = t->signer;
    if (ctx->expect_sender != NULL) {
        sender_len = i2d_X509_NAME(ctx->expect_sender, &sender_der);
        if (sender_len <= 0) {
            cmp_msg_free(rsp);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-expect_sender");
        }
        o.expect_sender = der_in_make(sender_der, (size_t)sender_len);
    }
    o.unprotected_errors = ctx->unprotected_errors;
    /*
     * RFC 9483 3.2: the server answers under our own MAC parameters, so the
     * count we chose ourselves is acceptable in its answers too.
     */
    if (ctx->pbm_iterations > CMP_PBM_DEFAULT_MAX_ITERATIONS) {
        o.mac_limits.max_iterations = ctx->pbm_iterations;
    }
#ifdef CMP_FUZZ
    o.mac_limits.max_iterations = 2000; /* keeps each fuzz input fast */
#endif
    o.transaction_id = t->tid_in;
    o.last_sender_nonce = der_in_make(t->nonce, t->nonce_len);
    if (t->polling) {
        o.first_sender_nonce = der_in_make(t->first_nonce, t->first_nonce_len);
    }
    if (ctx->log != NULL && ctx->verbosity >= CMP_LOG_DEBUG) {
        o.log = vfy_log;
        o.log_arg = ctx;
        cmp_cli_log(ctx, CMP_LOG_DEBUG, "validating the %s", cmp_cli_body_label(rsp->body.type));
    }
    ok = cmp_vfy_msg(&o, rsp, &res, err);
    OPENSSL_free(sender_der);
    if (!ok) {
        int type = rsp->body.type;

        cmp_msg_free(rsp);
        return CMP_CONTEXT(err, "checking the %s", cmp_cli_body_label(type));
    }
    log_protection(ctx, &res);
    if (res.unprotected_accepted) {
        cmp_cli_log(ctx, CMP_LOG_WARN, "%s", res.warning);
    }
    if (t->signer == NULL && res.signer != NULL) {
        t->signer = res.signer; /* pinned for the rest of the transaction */
        res.signer = NULL;
    }
    cmp_vfy_result_cleanup(&res);
    if (rsp->hdr.has_sender_nonce && rsp->hdr.sender_nonce.len <= sizeof(t->recip_nonce)) {
        memcpy(t->recip_nonce, rsp->hdr.sender_nonce.p, rsp->hdr.sender_nonce.len);
        t->recip_nonce_len = rsp->hdr.sender_nonce.len;
    } else {
        cmp_msg_free(rsp);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_SENDER_NONCE, "senderNonce longer than %d bytes",
                             CMP_CLI_MAX_NONCE_LEN);
    }
    if (!take_extracerts(t, rsp, err)) {
        cmp_msg_free(rsp);
        return 0;
    }
    *out = rsp;
    return 1;
}

/* An error message from the server: its status and details, quoted. */
static int
error_response(struct cmp_cli_txn *t, const struct cmp_msg *rsp, struct cmp_err *err)
{
    const struct cmp_error_msg *em = &rsp->body.u.error;
    struct cmp_ctx *ctx = t->ctx;
    size_t pos, i;

    cmp_cli_set_status(ctx, &em->status);
    pos = strlen(ctx->status_text);
    if (em->has_error_code && pos + 40 < sizeof(ctx->status_text)) {
        pos += (size_t)snprintf(ctx->status_text + pos, sizeof(ctx->status_text) - pos,
                                "; errorCode: %lld", (long long)em->error_code);
    }
    for (i = 0; em->has_error_details && i < em->error_details.num; i++) {
        const struct der_in *s = &em->error_details.strs[i];
        int n;

        if (pos + 8 >= sizeof(ctx->status_text)) {
            break;
        }
        n = snprintf(ctx->status_text + pos, sizeof(ctx->status_text) - pos, "%s\"%.*s\"",
                     i == 0 ? "; errorDetails: " : ", ", s->len > 200 ? 200 : (int)s->len,
                     (const char *)s->p);
        if (n < 0) {
            break;
        }
        pos += (size_t)n < sizeof(ctx->status_text) - pos ? (size_t)n
                                                          : sizeof(ctx->status_text) - pos - 1;
    }
    cmp_cli_sanitize(ctx->status_text);
    return peer_failed(t, "received error message", err);
}

/* ---- delayed delivery ---- */

/* RFC 9810 5.3.21, 5.3.22: an error message whose status is 'waiting' delays the answer. */
static int
is_error_waiting(const struct cmp_msg *rsp)
{
    return rsp->body.type == CMP_BODY_ERROR &&
           rsp->body.u.error.status.status == CMP_STATUS_WAITING;
}

/*
 * start_polling() begins polling for the answer of type |awaited| to the
 * request just sent: pollReqs with certReqId |id|; the final response may
 * carry that request's senderNonce as recipNonce (RFC 9483 4.4, as openssl
 * cmp 3.3+ accepts it). 'waiting' once polling has started ends the
 * transaction instead (openssl cmp 3.3+: "polling already started").
 */
static int
start_polling(struct cmp_cli_txn *t, int64_t id, int awaited, struct cmp_err *err)
{
    if (t->polling) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "status 'waiting' in answer to a pollReq: polling already started");
    }
    t->polling = 1;
    t->poll_id = id;
    t->poll_for = awaited;
    memcpy(t->first_nonce, t->nonce, t->nonce_len);
    t->first_nonce_len = t->nonce_len;
    t->poll_start_ms = now_ms();
    t->num_polls = 0;
    cmp_cli_log(t->ctx, CMP_LOG_INFO,
                "received 'waiting' PKIStatus, starting to poll for response (%s)",
                cmp_cli_body_label(awaited));
    return 1;
}

/*
 * An error message with status 'waiting' (RFC 9810 5.3.22): the whole
 * answer to the request of |state| comes later, polled for with certReqId
 * -1 (also for a certificate request: there is no CertResponse to name).
 * Its status becomes the transaction's, except for a certConf (as openssl).
 */
static int
waiting_error(struct cmp_cli_txn *t, int state, const struct cmp_msg *rsp, int *next,
              struct cmp_err *err)
{
    int awaited = state == ST_CERTCONF ? CMP_BODY_PKICONF : commands[t->cmd].rsp;

    if (state == ST_POLL) {
        return start_polling(t, -1, awaited, err); /* fails: polling already started */
    }
    if (state != ST_CERTCONF) {
        cmp_cli_set_status(t->ctx, &rsp->body.u.error.status);
    }
    *next = ST_POLL;
    return start_polling(t, -1, awaited, err);
}

/* Runs the transaction from ST_REQUEST to ST_DONE. */
static int
run(struct cmp_cli_txn *t, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    int state = ST_REQUEST;

    while (state != ST_DONE) {
        const struct cmp_cli_state_def *s = &states[state];
        int body_type = s->body == EXPECT_CMD ? commands[t->cmd].req : s->body;
        uint8_t *req = NULL, *rsp_der = NULL;
        size_t req_len = 0, rsp_len = 0;
        struct cmp_msg *rsp = NULL;
        int64_t timeout = 0, started;
        int i, type, expected = 0, next = ST_DONE, ok;
        char what[64];

        if (!make_request(t, s, body_type, &req, &req_len, err)) {
            return CMP_CONTEXT(err, "building the %s", cmp_cli_body_label(body_type));
        }
        if (ctx->reqout_only != NULL) {
            /* -reqout_only: the first request is saved, and nothing is sent */
            ok = cmp_file_write(ctx->reqout_only, req, req_len, err);
            free(req);
            if (!ok) {
                return CMP_CONTEXT(err, "-reqout_only");
            }
            cmp_cli_log(ctx, CMP_LOG_INFO, "saved %s to %.200s, not sending it",
                        cmp_cli_body_label(body_type), ctx->reqout_only);
            ctx->reqout_only_done = 1;
            return 1;
        }
        if (!exchange_timeout(t, &timeout, err)) {
            free(req);
            return 0;
        }
        cmp_cli_log(ctx, CMP_LOG_INFO, "sending %s", cmp_cli_body_label(body_type));
        snprintf(what, sizeof(what), "sending %s", cmp_cli_body_label(body_type));
        cmp_cli_log_msg(ctx, what, req, req_len);
        if (timeout > 0) {
            cmp_cli_log(ctx, CMP_LOG_DEBUG, "exchanging %zu bytes, timeout %lld.%03lld s", req_len,
                        (long long)(timeout / 1000), (long long)(timeout % 1000));
        } else {
            cmp_cli_log(ctx, CMP_LOG_DEBUG, "exchanging %zu bytes, no timeout", req_len);
        }
        started = now_ms();
        ok = cmp_transfer_exchange(ctx->transfer, req, req_len, timeout, &rsp_der, &rsp_len, err);
        free(req);
        t->num_sent++;
        if (state == ST_POLL) {
            t->num_polls++;
        }
        if (!ok) {
            return CMP_CONTEXT(err, "sending the %s", cmp_cli_body_label(body_type));
        }
        cmp_cli_log(ctx, CMP_LOG_DEBUG, "finished reading the response: %zu bytes after %lld ms",
                    rsp_len, (long long)(now_ms() - started));
        ok = check_response(t, rsp_der, rsp_len, &rsp, err);
        free(rsp_der);
        if (!ok) {
            return 0;
        }
        type = rsp->body.type;
        if (is_error_waiting(rsp)) {
            ok = waiting_error(t, state, rsp, &next, err);
            cmp_msg_free(rsp);
            if (!ok) {
                return 0;
            }
            state = next;
            continue;
        }
        if (type == CMP_BODY_ERROR) {
            ok = error_response(t, rsp, err);
            cmp_msg_free(rsp);
            return ok;
        }
        for (i = 0; i < 2; i++) {
            int want = s->expect[i] == EXPECT_CMD      ? commands[t->cmd].rsp
                       : s->expect[i] == EXPECT_POLLED ? t->poll_for
                                                       : s->expect[i];

            expected |= want == type;
        }
        if (!expected) {
            cmp_msg_free(rsp);
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "unexpected %s in answer to %s",
                                 cmp_cli_body_label(type), cmp_cli_body_label(body_type));
        }
        ok = s->handle(t, rsp, &next, err);
        cmp_msg_free(rsp);
        if (!ok) {
            return 0;
        }
        state = next;
    }
    return 1;
}

/* ---- handling responses ---- */

static int handle_certrep(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next,
                          struct cmp_err *err);

static int
handle_rp(struct cmp_cli_txn *t, const struct cmp_msg *rsp, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    const struct cmp_rev_rep *rp = &rsp->body.u.rp;

    /* We sent one RevDetails. */
    if (!cmp_vfy_rp(rsp, 1, err)) {
        return 0;
    }
    cmp_cli_set_status(ctx, &rp->status[0]);
    switch (rp->status[0].status) {
    case CMP_STATUS_ACCEPTED:
    case CMP_STATUS_GRANTED_WITH_MODS:
    case CMP_STATUS_REVOCATION_WARNING:
    case CMP_STATUS_REVOCATION_NOTIFICATION:
        break;
    case CMP_STATUS_REJECTION:
        return peer_failed(t, "revocation rejected by server", err);
    default:
        return peer_failed(t, "unexpected status in rp", err);
    }
    if (rp->has_rev_certs && rp->num_rev_certs > 0 && ctx->serial != NULL &&
        ctx->issuer != NULL) {
        /* The CertId must name what -issuer and -serial named. */
        unsigned char *name = NULL;
        int name_len = i2d_X509_NAME(ctx->issuer, &name), ok;
        struct der_in issuer = der_in_make(name, name_len > 0 ? (size_t)name_len : 0);
        struct der_in num = der_in_make(ctx->serial, ctx->serial_len);

        ok = name_len > 0 && cmp_vfy_rp_cert_id(rsp, 0, &issuer, &num, err);
        if (name_len <= 0) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "-issuer");
        }
        OPENSSL_free(name);
        if (!ok) {
            return 0;
        }
    } else if (rp->has_rev_certs && rp->num_rev_certs > 0 && ctx->oldcert != NULL) {
        /* The CertId must name the certificate we asked to revoke. */
        unsigned char *name = NULL, *serial = NULL;
        int name_len = i2d_X509_NAME(X509_get_issuer_name(ctx->oldcert), &name);
        int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(ctx->oldcert), &serial);
        struct der_in issuer = der_in_make(name, name_len > 0 ? (size_t)name_len : 0);
        struct der_in tlv = der_in_make(serial, serial_len > 0 ? (size_t)serial_len : 0), num;
        int ok = name_len > 0 && serial_len > 0 && der_get_integer(&tlv, DER_INTEGER, &num);

        if (!ok) {
            CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                          "rp revCerts names another certificate than -oldcert");
        } else {
            ok = cmp_vfy_rp_cert_id(rsp, 0, &issuer, &num, err);
        }
        OPENSSL_free(name);
        OPENSSL_free(serial);
        if (!ok) {
            return 0;
        }
    }
    /* openssl's words: "revocation accepted (PKIStatus=accepted)" */
    cmp_cli_log(ctx, CMP_LOG_INFO, "revocation accepted (PKIStatus=%s)",
                cmp_pkistatus_name(rp->status[0].status));
    return 1;
}

static int
handle_first(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next, struct cmp_err *err)
{
    return handle_final(t, rsp, next, err);
}

/* The response to a request, received at once or after polling. */
static int
handle_final(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;

    switch (rsp->body.type) {
    case CMP_BODY_IP:
    case CMP_BODY_CP:
    case CMP_BODY_KUP:
        return handle_certrep(t, rsp, next, err);
    case CMP_BODY_RP:
        *next = ST_DONE;
        return handle_rp(t, rsp, err);
    case CMP_BODY_GENP:
        /* Keep the genp: the ITAV getters borrow from it. */
        if (!cmp_msg_decode(&ctx->genp, rsp->raw.p, rsp->raw.len, err)) {
            return CMP_CONTEXT(err, "genp");
        }
        /* a genp has no status; one kept from a 'waiting' error is over */
        ctx->status = -1;
        *next = ST_DONE;
        return 1;
    case CMP_BODY_PKICONF:
        return handle_pkiconf(t, rsp, next, err);
    default:
        return CMP_FAIL(err, CMP_E_PROTOCOL, "unexpected response");
    }
}

static int
handle_poll(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    const struct cmp_poll_rep *pr = &rsp->body.u.poll_rep;
    int64_t wait_s, left, waited, polled[CMP_CLI_MAX_REQS];
    size_t i, num_polled;
    int ok;

    if (rsp->body.type != CMP_BODY_POLLREP) {
        /* the response awaited; 'waiting' in it fails (t->polling is still set) */
        waited = now_ms() - t->poll_start_ms;
        cmp_cli_log(ctx, CMP_LOG_INFO, "received %s after polling (%u pollReq, %lld.%lld s)",
                    cmp_cli_body_label(rsp->body.type), t->num_polls, (long long)(waited / 1000),
                    (long long)(waited % 1000 / 100));
        ok = handle_final(t, rsp, next, err);
        t->polling = 0;
        t->first_nonce_len = 0;
        return ok;
    }
    num_polled = cmp_cli_polled_ids(t, polled);
    if (!cmp_vfy_pollrep(rsp, polled, num_polled, err)) {
        return 0;
    }
    /* Several certReqIds: poll again when the first may be ready. */
    wait_s = pr->items[0].check_after;
    for (i = 1; i < pr->num; i++) {
        if (pr->items[i].check_after < wait_s) {
            wait_s = pr->items[i].check_after;
        }
    }
    /* A peer's checkAfter is bounded (and wait_s * 1000 cannot overflow): polling
     * earlier than asked only brings another pollRep. */
    if (wait_s > CMP_CLI_MAX_CHECK_AFTER) {
        wait_s = CMP_CLI_MAX_CHECK_AFTER;
    }
    waited = now_ms() - t->poll_start_ms;
    /* openssl's line, then the progress: which poll, how long since 'waiting' */
    cmp_cli_log(ctx, CMP_LOG_INFO,
                "received polling response; checkAfter = %lld seconds (poll %u for the %s, "
                "%lld.%lld s since 'waiting')",
                (long long)pr->items[0].check_after, t->num_polls, cmp_cli_body_label(t->poll_for),
                (long long)(waited / 1000), (long long)(waited % 1000 / 100));
    if (wait_s < pr->items[0].check_after) {
        cmp_cli_log(ctx, CMP_LOG_WARN, "checkAfter of %lld s cut to %d s",
                    (long long)pr->items[0].check_after, CMP_CLI_MAX_CHECK_AFTER);
    }
    if (t->end_ms != 0) {
        left = t->end_ms - now_ms();
        if (left <= 0) {
            return total_timeout_fail(t, err);
        }
        /* openssl: wait what is left, then poll once more */
        if (wait_s * 1000 > left) {
            wait_s = (left + 999) / 1000;
            cmp_cli_log(ctx, CMP_LOG_INFO,
                        "-total_timeout leaves %lld s: polling once more after that",
                        (long long)wait_s);
        }
    }
    sleep_ms(wait_s * 1000);
    *next = ST_POLL;
    return 1;
}

/* ---- what comes encrypted: indirect POP and central key generation ---- */

/*
 * What the transaction asks for: central key generation with -popo -1 (as
 * openssl 3.6: "-1 = NONE, which implies central key generation"); the
 * answer to it, and to -popo 2 (encrypted certificate), is cmp2021 syntax
 * (EnvelopedData), so those requests have pvno 3 (RFC 9480 2.20: "cmp2021
 * SHOULD only be used if cmp2021 syntax is needed for the request being
 * sent or for the expected response").
 */
static void
enckey_txn_init(struct cmp_cli_txn *t)
{
    int enroll = t->cmd == CMP_CMD_IR || t->cmd == CMP_CMD_CR || t->cmd == CMP_CMD_KUR;

    t->central_keygen = enroll && t->ctx->popo == -1;
    t->pvno = enroll && (t->ctx->popo == -1 || t->ctx->popo == 2) ? CMP_PVNO_2021 : CMP_PVNO_2000;
}

/*
 * The certificate of a CertifiedKeyPair for request |r|: as it is, or
 * decrypted with the private key whose certificate was requested (RFC 9810
 * 5.2.8.3.2: -newkey, else -key, as openssl). -popo 2 is for the first
 * request alone (cmp_cli_body_certreq()), so that is the key.
 */
static int
take_cert(struct cmp_cli_txn *t, struct cmp_cli_req *r, const struct cmp_certified_key_pair *ckp,
          struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;

    r->encrypted = 0;
    if (ckp->cert_type == CMP_CERT_PLAIN) {
        r->cert = cmp_vfy_cert_parse(&ckp->cert);
        if (r->cert == NULL) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "the certificate does not parse");
        }
        return 1;
    }
    if (r != &t->reqs[0]) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "certReqId %lld: an encrypted certificate, not asked for",
                             (long long)r->cert_req_id);
    }
    if (!cmp_vfy_enc_cert(&ckp->enc_cert, ctx->newkey != NULL ? ctx->newkey : ctx->key, &r->cert,
                          err)) {
        return CMP_CONTEXT(err, "the encrypted certificate");
    }
    cmp_cli_log(ctx, CMP_LOG_INFO, "decrypted the certificate (indirect proof of possession)");
    r->encrypted = 1;
    return 1;
}

/*
 * CertifiedKeyPair.privateKey (RFC 9483 4.1.6): present exactly when we
 * asked for central key generation (openssl: "missing/unexpected central
 * gen key"), which only the first request does. A key that does not
 * decrypt, whose signer is not a trusted KGA or that is not the
 * certificate's gets the certificate rejected in certConf (RFC 9810
 * 5.3.18), with what went wrong in the log.
 */
static int
take_central_key(struct cmp_cli_txn *t, struct cmp_cli_req *r,
                 const struct cmp_certified_key_pair *ckp, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_vfy_kga_opts o;
    struct cmp_err why;

    if (!t->central_keygen || r != &t->reqs[0]) {
        if (ckp->has_private_key) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                 "a private key came, but central key generation was not asked "
                                 "for (-centralkeygen, -popo -1)");
        }
        return 1;
    }
    if (!ckp->has_private_key) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "no private key came for central key generation");
    }
    memset(&o, 0, sizeof(o));
    o.trusted = ctx->trusted;
    o.srvcert = ctx->srvcert;
    o.untrusted = t->untrusted;
    o.vpm = ctx->vpm;
    o.newcert = r->cert;
    o.keys.pkey = ctx->key;
    o.keys.cert = ctx->cert;
    o.keys.secret = ctx->secret;
    o.keys.secret_len = ctx->secret_len;
    cmp_err_init(&why);
    EVP_PKEY_free(t->central_key);
    t->central_key = NULL;
    if (!cmp_vfy_central_key(&ckp->private_key, &o, &t->central_key, &why)) {
        char buf[1024], *nl;

        r->reject_bits = 1u << (why.failure_bit >= 0 ? why.failure_bit : CMP_FI_BAD_DATA_FORMAT);
        r->reject_text = "centrally generated key not acceptable";
        cmp_err_format(&why, buf, sizeof(buf));
        for (nl = strchr(buf, '\n'); nl != NULL; nl = strchr(nl, '\n')) {
            *nl = ' '; /* one log line */
        }
        cmp_cli_log(ctx, CMP_LOG_ERR, "%s: %s", r->reject_text, buf);
        return 1;
    }
    cmp_cli_log(ctx, CMP_LOG_INFO, "received the centrally generated key");
    return 1;
}

/* Replaces the text of result |res| by a copy of |text|. */
static int
set_result_text(struct cmp_cli_result *res, const char *text, struct cmp_err *err)
{
    size_t n = strlen(text) + 1;

    free(res->text);
    res->text = malloc(n);
    if (res->text == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certificate results");
    }
    memcpy(res->text, text, n);
    return 1;
}

/* Records the server's answer to request |i| in the context's results. */
static int
record_answer(struct cmp_cli_txn *t, size_t i, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_cli_result *res = &ctx->results[i];

    if (!set_result_text(res, ctx->status_text, err)) {
        return 0;
    }
    res->status = ctx->status;
    res->failinfo = ctx->failinfo;
    return 1;
}

/* Makes result |i| the context's status (cmp_ctx_get_status(), cmp_ctx_status_text()). */
static void
status_of_result(struct cmp_ctx *ctx, size_t i)
{
    const struct cmp_cli_result *res = &ctx->results[i];

    ctx->status = res->status;
    ctx->failinfo = res->failinfo;
    snprintf(ctx->status_text, sizeof(ctx->status_text), "%s",
             res->text != NULL ? res->text : "");
}

/*
 * The chain of the first request's new certificate (-chainout, -extracertsout).
 * RFC 9810 5.1: a response's extraCerts may help with it, as in
 * cmp_vfy_new_cert(); with -no_cache_extracerts they are not among
 * t->untrusted, so they are added here.
 */
static int
first_chain(struct cmp_cli_txn *t, X509 *cert, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    STACK_OF(X509) *with = ctx->no_cache_extracerts ? X509_chain_up_ref(t->untrusted) : NULL;
    STACK_OF(X509) *chain;

    if (with != NULL &&
        !X509_add_certs(with, ctx->extracerts_in, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        sk_X509_pop_free(with, X509_free);
        return CMP_FAIL(err, CMP_E_MEMORY, "chain of the new certificate");
    }
    chain = X509_build_chain(cert, with != NULL ? with : t->untrusted, ctx->out_trusted, 0, NULL,
                             NULL);
    sk_X509_pop_free(with, X509_free);
    ERR_clear_error();
    if (chain != NULL) {
        /* without the leaf and without self-signed certificates (openssl) */
        X509_free(sk_X509_shift(chain));
        while (sk_X509_num(chain) > 0 &&
               X509_self_signed(sk_X509_value(chain, sk_X509_num(chain) - 1), 0) == 1) {
            X509_free(sk_X509_pop(chain));
        }
    } else if (ctx->out_trusted == NULL && ctx->extracerts_in != NULL) {
        /* no chain could be built: the extraCerts received (openssl cmp 3.4+) */
        chain = X509_chain_up_ref(ctx->extracerts_in);
        cmp_cli_log(ctx, CMP_LOG_WARN,
                    "could not build approximate chain for newly enrolled cert, resorting to "
                    "received extraCerts");
    }
    sk_X509_pop_free(ctx->newchain, X509_free);
    ctx->newchain = chain;
    return 1;
}

/*
 * Is the certificate of request |r| acceptable? The centrally generated
 * key, our public key (openssl: incorrectData), -out_trusted. Sets
 * r->reject_bits and r->reject_text if not; the first request's chain
 * otherwise.
 */
static int
check_new_cert(struct cmp_cli_txn *t, const struct cmp_msg *rsp, struct cmp_cli_req *r,
               const struct cmp_certified_key_pair *ckp, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    X509 *cert = r->cert;

    r->reject_bits = 0;
    r->reject_text = NULL;
    if (!take_central_key(t, r, ckp, err)) {
        return 0;
    }
    if (r->reject_bits != 0) {
        /* the centrally generated key is not acceptable: rejected below */
    } else if (r->pub != NULL && EVP_PKEY_eq(X509_get0_pubkey(cert), r->pub) != 1) {
        ERR_clear_error();
        r->reject_bits = 1u << CMP_FI_INCORRECT_DATA;
        r->reject_text = "public key in new certificate does not match our enrollment key";
    } else if (ctx->out_trusted != NULL) {
        struct cmp_err why;

        cmp_err_init(&why);
        if (!cmp_vfy_new_cert(ctx->out_trusted, rsp, cert, t->untrusted, ctx->vpm, &why)) {
            r->reject_bits = 1u << CMP_FI_INCORRECT_DATA;
            r->reject_text = "newly enrolled certificate does not validate with -out_trusted";
            cmp_cli_log(ctx, CMP_LOG_ERR, "%s: %s", r->reject_text, why.msg);
        }
    }
    if (r->reject_bits == 0 && r == &t->reqs[0]) {
        return first_chain(t, cert, err);
    }
    if (r->reject_bits != 0) {
        char subj[256];

        X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
        cmp_cli_log(ctx, CMP_LOG_ERR, "rejecting newly enrolled cert with subject: %s", subj);
    }
    return 1;
}

/*
 * The CertResponse for request |i| (RFC 9810 5.3.4: found by its
 * certReqId). With one request, a rejection ends the transaction at once
 * (as openssl); with several, it is that request's result and the others
 * go on.
 */
static int
take_response(struct cmp_cli_txn *t, const struct cmp_msg *rsp, size_t i, int implicit,
              struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_cli_req *r = &t->reqs[i];
    const struct cmp_cert_response *cr = NULL;
    int single = t->num_reqs == 1;

    if (!cmp_vfy_certrep_find(rsp, r->cert_req_id, &cr, err)) {
        return 0;
    }
    cmp_cli_set_status(ctx, &cr->status);
    if (!cmp_vfy_cert_response(rsp, cr, err) || !record_answer(t, i, err)) {
        return 0;
    }
    if (cr->status.status == CMP_STATUS_WAITING) {
        if (!single) {
            cmp_cli_log(ctx, CMP_LOG_INFO, "certReqId %lld: received 'waiting' status",
                        (long long)r->cert_req_id);
        }
        r->waiting = 1;
        return 1;
    }
    r->waiting = 0;
    r->final = 1;
    if (cr->status.status == CMP_STATUS_REJECTION || !cmp_vfy_status_grants(cr->status.status)) {
        const char *what = cr->status.status == CMP_STATUS_REJECTION
                               ? "request rejected by server"
                               : "unknown status in certificate response";

        if (single) {
            return peer_failed(t, what, err);
        }
        cmp_cli_log(ctx, CMP_LOG_ERR, "certReqId %lld: %s: %s", (long long)r->cert_req_id, what,
                    ctx->status_text);
        return 1;
    }
    if (cr->status.status != CMP_STATUS_ACCEPTED) {
        /* openssl: received "grantedWithMods" for certificate */
        cmp_cli_log(ctx, CMP_LOG_WARN, "received \"%s\" for certificate",
                    cmp_pkistatus_name(cr->status.status));
    }
    if (!take_cert(t, r, &cr->ckp, err)) {
        return 0;
    }
    /*
     * RFC 9810 5.1.1.1: implicit confirmation granted for what this response
     * carries; -disable_confirm, but not for an encrypted certificate, whose
     * certConf completes the proof of possession (RFC 9810 5.2.8.3.2).
     */
    r->confirmed = implicit || (ctx->disable_confirm && !r->encrypted);
    if (!r->confirmed && ctx->disable_confirm) {
        cmp_cli_log(ctx, CMP_LOG_WARN,
                    "the certificate came encrypted: confirming it all the "
                    "same (-disable_confirm), as its certConf completes the "
                    "proof of possession (RFC 9810 5.2.8.3.2)");
    }
    return check_new_cert(t, rsp, r, &cr->ckp, err);
}

/*
 * ip/cp/kup: a CertResponse for each request not yet answered, by its
 * certReqId. 'waiting' ones are polled for (one pollReq for all); the
 * certificates are checked (the central key, our key, -out_trusted) and
 * confirmed together (certConf, which also rejects those we do not accept)
 * unless implicit confirmation was granted or -disable_confirm is set.
 */
static int
handle_certrep(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    const struct cmp_cert_rep *rep = &rsp->body.u.rep;
    int implicit = implicit_granted(rsp);
    size_t i, num_waiting = 0, num_to_confirm = 0;

    if (t->num_reqs == 0) {
        /* -reqin sent a request we did not build: the one CertReqMsg, certReqId 0 */
        memset(&t->reqs[0], 0, sizeof(t->reqs[0]));
        t->num_reqs = 1;
    }
    if (ctx->num_results != t->num_reqs) {
        for (i = 0; i < t->num_reqs; i++) {
            ctx->results[i].cert_req_id = t->reqs[i].cert_req_id;
            ctx->results[i].status = -1;
        }
        ctx->num_results = t->num_reqs;
    }
    for (i = 0; i < t->num_reqs; i++) {
        if (!t->reqs[i].final && !take_response(t, rsp, i, implicit, err)) {
            return 0;
        }
    }
    if (rep->has_ca_pubs) {
        sk_X509_pop_free(ctx->capubs, X509_free);
        ctx->capubs = NULL;
        if (!certs_to_stack(&ctx->capubs, &rep->ca_pubs, err)) {
            return CMP_CONTEXT(err, "caPubs");
        }
    }
    for (i = 0; i < t->num_reqs; i++) {
        num_waiting += t->reqs[i].waiting;
        num_to_confirm += t->reqs[i].cert != NULL && !t->reqs[i].confirmed;
    }
    /* The certConf for all comes once no certificate is still awaited. */
    if (num_waiting > 0) {
        *next = ST_POLL;
        /* poll_id 0: the pollReqs name the waiting requests' certReqIds */
        return start_polling(t, 0, commands[t->cmd].rsp, err);
    }
    if (num_to_confirm > 0) {
        *next = ST_CERTCONF;
        return 1;
    }
    *next = ST_DONE;
    return handle_pkiconf(t, NULL, next, err);
}

/* The lowest PKIFailureInfo bit of |bits|, or -1. */
static int
first_bit(uint32_t bits)
{
    int bit;

    for (bit = 0; bit <= CMP_FI_MAX; bit++) {
        if ((bits >> bit) & 1) {
            return bit;
        }
    }
    return -1;
}

/*
 * pkiConf (or no confirmation at all): the certificates are ours, but for
 * those we rejected. With several requests, the transaction fails if any
 * got no certificate we accept; the others are in the results all the same.
 */
static int
handle_pkiconf(struct cmp_cli_txn *t, const struct cmp_msg *rsp, int *next, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    char failed[CMP_CLI_STATUS_MAX];
    size_t i, pos = 0, num_failed = 0, first_failed = 0;

    (void)rsp;
    *next = ST_DONE;
    failed[0] = '\0';
    for (i = 0; i < t->num_reqs; i++) {
        struct cmp_cli_req *r = &t->reqs[i];
        struct cmp_cli_result *res = &ctx->results[i];
        int n;

        r->confirmed = 1;
        if (r->cert != NULL && r->reject_bits == 0) {
            if (!X509_up_ref(r->cert)) {
                return CMP_FAIL(err, CMP_E_MEMORY, "certificate results");
            }
            X509_free(res->cert);
            res->cert = r->cert;
            continue;
        }
        if (r->cert != NULL && !set_result_text(res, r->reject_text, err)) {
            return 0;
        }
        if (num_failed++ == 0) {
            first_failed = i;
        }
        n = snprintf(failed + pos, sizeof(failed) - pos, "%scertReqId %lld: %s%s",
                     pos > 0 ? "; " : "", (long long)r->cert_req_id,
                     r->cert != NULL ? "certificate not accepted: " : "",
                     res->text != NULL ? res->text : "no answer");
        if (n > 0) {
            pos += (size_t)n < sizeof(failed) - pos ? (size_t)n : sizeof(failed) - pos - 1;
        }
    }
    if (t->num_reqs == 1 && t->reqs[0].cert != NULL && t->reqs[0].reject_bits != 0) {
        /*
         * The server granted it, we did not accept it: ctx->status stays the
         * server's (the client's own refusal is this error, not a PKIStatus).
         */
        return CMP_FAIL_INFO(err, first_bit(t->reqs[0].reject_bits),
                             "certificate not accepted: %s; rejected in certConf",
                             t->reqs[0].reject_text);
    }
    X509_free(ctx->newcert);
    ctx->newcert = ctx->results[0].cert;
    if (ctx->newcert != NULL && !X509_up_ref(ctx->newcert)) {
        ctx->newcert = NULL;
        return CMP_FAIL(err, CMP_E_MEMORY, "certificate");
    }
    if (ctx->newcert != NULL) {
        /* central key generation: the first request's key */
        EVP_PKEY_free(ctx->central_key);
        ctx->central_key = t->central_key;
        t->central_key = NULL;
    }
    if (num_failed == 0) {
        if (t->num_reqs > 1) {
            status_of_result(ctx, 0);
        }
        return 1;
    }
    /* Several requests, some without a certificate: the first of those is the status. */
    status_of_result(ctx, first_failed);
    if (t->reqs[first_failed].cert != NULL) {
        ctx->status = CMP_STATUS_REJECTION;
        ctx->failinfo = t->reqs[first_failed].reject_bits;
    }
    cmp_err_set(err, CMP_E_PEER, first_bit(ctx->failinfo), __FILE__, __LINE__,
                "%zu of %zu certificate requests failed: %s", num_failed, t->num_reqs, failed);
    return 0;
}

/* ---- the commands ---- */

static int
exec_cmd(struct cmp_ctx *ctx, int cmd)
{
    struct cmp_cli_txn t;
    struct cmp_err *err = &ctx->err;
    size_t i;
    int ok = 0;

    cmp_cli_clear_results(ctx);
    memset(&t, 0, sizeof(t));
    t.ctx = ctx;
    t.cmd = cmd;
    if (ctx->transfer == NULL && ctx->reqout_only == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no transfer: -server, -use_mock_srv or -rspin needed");
    }
#ifdef CMP_FUZZ
    memset(t.tid, 0x42, sizeof(t.tid));
#else
    if (RAND_bytes(t.tid, sizeof(t.tid)) != 1) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "transactionID");
    }
#endif
    t.tid_in = der_in_make(t.tid, sizeof(t.tid));
    if (ctx->verbosity >= CMP_LOG_DEBUG) {
        char hex[3 * CMP_CLI_NONCE_LEN + 8];

        cmp_cli_log(ctx, CMP_LOG_DEBUG, "starting new %s transaction with ID=%s",
                    commands[cmd].name, cmp_cli_hex(t.tid, sizeof(t.tid), hex, sizeof(hex)));
    }
    enckey_txn_init(&t);
    if (ctx->total_timeout > 0) {
        t.end_ms = now_ms() + (int64_t)ctx->total_timeout * 1000;
    }
    t.untrusted = sk_X509_new_null();
    if (t.untrusted == NULL ||
        !X509_add_certs(t.untrusted, ctx->untrusted, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        CMP_FAIL(err, CMP_E_MEMORY, "untrusted certificates");
        goto done;
    }
    /* -own_trusted: our signer certificate must be valid before we sign with it. */
    if (ctx->own_trusted != NULL && ctx->cert != NULL && ctx->secret == NULL &&
        !cmp_vfy_own_chain(ctx->own_trusted, ctx->cert, t.untrusted, ctx->vpm, err)) {
        CMP_CONTEXT(err, "-own_trusted");
        goto done;
    }
    /*
     * A failure's frames say where it happened ("sending the IR"), which
     * names the transaction; no frame of its own for it.
     */
    ok = run(&t, err);
    if (ok) {
        cmp_err_init(err);
    }
done:
    /* -keep_alive: connections last one transaction. */
    cmp_transfer_close(ctx->transfer);
    /* -srvcertout: the signer the responses were verified with, also after a failure */
    ctx->validated_srvcert = t.signer;
    t.signer = NULL;
    for (i = 0; i < t.num_reqs; i++) {
        EVP_PKEY_free(t.reqs[i].pub);
        X509_free(t.reqs[i].cert);
    }
    EVP_PKEY_free(t.central_key);
    sk_X509_pop_free(t.untrusted, X509_free);
    free(t.tid_buf);
    return ok;
}

int
cmp_cmd_by_name(const char *name)
{
    int i;

    for (i = 0; name != NULL && i < CMP_CMD_NUM; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *
cmp_cmd_name(int cmd)
{
    return cmd >= 0 && cmd < CMP_CMD_NUM ? commands[cmd].name : NULL;
}

int
cmp_exec(struct cmp_ctx *ctx, int cmd)
{
    if (ctx == NULL) {
        return 0;
    }
    if (cmd < 0 || cmd >= CMP_CMD_NUM) {
        cmp_cli_clear_results(ctx);
        return CMP_FAIL(&ctx->err, CMP_E_ARG, "unknown command %d", cmd);
    }
    return exec_cmd(ctx, cmd);
}

int
cmp_exec_ir(struct cmp_ctx *ctx)
{
    return cmp_exec(ctx, CMP_CMD_IR);
}

int
cmp_exec_cr(struct cmp_ctx *ctx)
{
    return cmp_exec(ctx, CMP_CMD_CR);
}

int
cmp_exec_kur(struct cmp_ctx *ctx)
{
    return cmp_exec(ctx, CMP_CMD_KUR);
}

int
cmp_exec_p10cr(struct cmp_ctx *ctx)
{
    return cmp_exec(ctx, CMP_CMD_P10CR);
}

int
cmp_exec_rr(struct cmp_ctx *ctx)
{
    return cmp_exec(ctx, CMP_CMD_RR);
}

int
cmp_exec_genm(struct cmp_ctx *ctx)
{
    return cmp_exec(ctx, CMP_CMD_GENM);
}
