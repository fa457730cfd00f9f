/*
 * cmpkit public API: the CMP server engine.
 *
 * One call turns the bytes of a request into the bytes of a response; there
 * are no sockets and no HTTP here (the listener collects the size-capped
 * body and calls cmp_srv_handle()). The engine decodes and checks the
 * request (RFC 9810 5.1, RFC 9483 3.5), keeps a bounded table of open
 * transactions keyed by transactionID, answers with the mock responder
 * (parity with the `openssl cmp` 3.0 mock server, see the fields of
 * struct cmp_srv_config) and protects the response.
 *
 * A request that is malformed, truncated, oversized, wrongly protected or
 * out of sequence gets a CMP error message (PKIStatusInfo rejection with the
 * PKIFailureInfo bit naming the problem and a short statusString). The
 * details go to the log callback, keyed by the transactionID in hex; the peer
 * never sees them.
 *
 * Threads: cmp_srv_handle() may run concurrently on one struct cmp_srv from
 * any number of threads. cmp_srv_new() and cmp_srv_free() may not overlap
 * with any other call on the same engine.
 */
#ifndef CMPKIT_PUBLIC_SERVER_H
#define CMPKIT_PUBLIC_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cmpkit/err.h"
#include "cmpkit/transfer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Log levels, as `openssl cmp -verbosity` (syslog numbers). */
enum cmp_srv_log_level {
    CMP_SRV_LOG_ERR = 3,  /* a request was answered with an error message */
    CMP_SRV_LOG_WARN = 4, /* accepted with an exception, transaction dropped */
    CMP_SRV_LOG_NOTE = 5,
    CMP_SRV_LOG_INFO = 6, /* one line per request and per response */
    CMP_SRV_LOG_DEBUG = 7 /* the full error records */
};

/*
 * A log line (no trailing newline), starting with "[tid=<hex>] " when the
 * request's transactionID is known. Called from the thread running
 * cmp_srv_handle(), possibly from several threads at once.
 */
typedef void cmp_srv_log_fn(void *arg, int level, const char *line);

/*
 * The engine's configuration. Start from cmp_srv_config_init(); each field
 * names the `openssl cmp` mock server option it mirrors. cmp_srv_new()
 * copies strings and the secret, and takes its own references to the
 * certificates, keys, stacks and store, so the caller may free its own
 * afterwards.
 */
struct cmp_srv_config {
    /* ---- the server's credentials: a secret, a certificate and key, or both ---- */

    /* -srv_ref: senderKID of MAC-protected responses; required without a cert */
    const char *ref;
    /* -srv_secret: for MAC-based protection (PBM, PBMAC1) */
    const uint8_t *secret;
    size_t secret_len;
    /* -srv_cert: its subject is the sender of every response */
    X509 *cert;
    /* -srv_key (the caller resolves -srv_keypass) */
    EVP_PKEY *key;

    /* ---- authenticating clients ---- */

    /* -srv_trusted: trust anchors for signed requests */
    X509_STORE *trusted;
    /* -srv_untrusted: intermediates; also the server's own chain in extraCerts */
    STACK_OF(X509) *untrusted;
    /* verification options (such as -no_check_time); may be NULL */
    X509_VERIFY_PARAM *vpm;

    /* ---- the mock responses ---- */

    /* -rsp_cert: what every enrollment returns; rr and kur must name it */
    X509 *rsp_cert;
    /* -rsp_extracerts: extraCerts of ip/cp/kup */
    STACK_OF(X509) *rsp_extracerts;
    /* -rsp_capubs: caPubs of ip (only ip) */
    STACK_OF(X509) *rsp_capubs;
    int poll_count;           /* -poll_count: pollReqs before the certificate comes */
    int check_after;          /* -check_after: checkAfter of pollRep, in seconds */
    int grant_implicitconf;   /* -grant_implicitconf */
    int pkistatus;            /* -pkistatus: 0 (accepted) .. 6 */
    int failure;              /* -failure: one PKIFailureInfo bit 0..26; -1 none */
    uint32_t failurebits;     /* -failurebits: 0 .. 2^27-1; overrides -failure */
    const char *statusstring; /* -statusstring; NULL none */
    int send_error;           /* -send_error: ir/cr/kur/p10cr/rr/genm get an error */
    int send_unprotected;     /* -send_unprotected: no response is protected */
    int send_unprot_err;      /* -send_unprot_err: negative responses are unprotected */
    int accept_unprotected;   /* -accept_unprotected: missing/invalid protection is fine */
    int accept_unprot_err;    /* -accept_unprot_err: the same for error messages */
    int accept_raverified;    /* -accept_raverified: POPO raVerified is accepted */

    /* ---- limits ---- */

    /* PBM/PBMAC1 iteration count a client may ask of us; 0: the default */
    int64_t max_iterations;
    /* open transactions kept; when full, the least recently used idle one is
     * dropped; 0: the default */
    size_t max_transactions;
    /* an idle transaction expires after this many seconds (plus checkAfter
     * while polling); 0: the default */
    int transaction_timeout_s;

    /* ---- logging ---- */

    cmp_srv_log_fn *log; /* NULL: no logging */
    void *log_arg;
    int verbosity; /* lines above this level are not formatted; 0: INFO */
};

#define CMP_SRV_DEFAULT_MAX_ITERATIONS 100000
#define CMP_SRV_DEFAULT_MAX_TRANSACTIONS 1024
#define CMP_SRV_DEFAULT_TRANSACTION_TIMEOUT 600

struct cmp_srv;

/* cmp_srv_config_init() sets |cfg| to the mock server's defaults (failure -1, the rest 0). */
CMP_API void cmp_srv_config_init(struct cmp_srv_config *cfg);

/*
 * cmp_srv_new() checks |cfg| as `openssl cmp` checks the mock server options
 * (credentials present, a key with its certificate, values in range) and
 * returns a new engine, or NULL with |err| saying which option is wrong.
 */
CMP_API struct cmp_srv *cmp_srv_new(const struct cmp_srv_config *cfg,
                                    struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_srv_handle() answers one request of |req_len| bytes. On success
 * (1) |*rsp| is a new buffer of |*rsp_len| bytes holding the DER response
 * (free() it); that is also the case for every bad request, which gets a
 * CMP error message. Returns 0, with |*rsp| NULL, only if not even an error
 * message could be made (out of memory); the listener should then answer
 * with an HTTP 500.
 */
CMP_API int cmp_srv_handle(struct cmp_srv *srv, const uint8_t *req, size_t req_len, uint8_t **rsp,
                           size_t *rsp_len) CMP_MUST_CHECK;

/*
 * cmp_srv_free() frees the engine, every open transaction and its
 * references; the secret is wiped. NULL does nothing.
 */
CMP_API void cmp_srv_free(struct cmp_srv *srv);

/* ---- in-process, a transfer to an engine ---- */

/*
 * cmp_transfer_inproc_new() returns a transfer (cmpkit/transfer.h) that
 * hands each request to cmp_srv_handle(|srv|) (-use_mock_srv). |srv| is
 * borrowed and must outlive the transfer.
 */
CMP_API struct cmp_transfer *cmp_transfer_inproc_new(struct cmp_srv *srv,
                                                     struct cmp_err *err) CMP_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
