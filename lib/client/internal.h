/*
 * The client's internals: the context (ctx.c), the transaction being run
 * (client.c, the state machine) and the requests it builds (build.c).
 */
#ifndef CMPKIT_CLIENT_INTERNAL_H
#define CMPKIT_CLIENT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpkit/client.h"
#include "crypto/crypto.h"
#include "msg/msg.h"
#include "transfer/internal.h"
#include "verify/verify.h"

/* Our transactionIDs and senderNonces: 128 bits (RFC 9483 3.1). */
#define CMP_CLI_NONCE_LEN 16
/* The longest senderNonce of the peer we keep for recipNonce. */
#define CMP_CLI_MAX_NONCE_LEN 64
/* Room for the status text of the peer (cmp_ctx_status_text). */
#define CMP_CLI_STATUS_MAX 1024
/*
 * The largest PBM/PBMAC1 count we protect our own requests with (and then
 * accept in the answers): the 262144 of RFC 9483 test material, the
 * server's default cap.
 */
#define CMP_CLI_MAX_ITERATIONS 262144

/*
 * Certificate requests in one ir/cr: the first (the options of the context)
 * and up to CMP_MAX_EXTRA_REQUESTS more (cmp_ctx_add1_request()).
 */
#define CMP_CLI_MAX_REQS (1 + CMP_MAX_EXTRA_REQUESTS)

/* A further certificate request (cmp_ctx_add1_request()). */
struct cmp_cli_extra_req {
    X509_NAME *subject; /* NULL: the first request's */
    EVP_PKEY *newkey;   /* NULL: the first request's key */
};

/* What became of one certificate request (cmp_ctx_get0_cert_result()). */
struct cmp_cli_result {
    int64_t cert_req_id;
    int status;         /* the server's PKIStatus; -1: no final answer */
    uint32_t failinfo;  /* its PKIFailureInfo bits */
    X509 *cert;         /* granted and accepted by us (owned); NULL otherwise */
    char *text;         /* the server's PKIStatusInfo as text, or why we rejected
                         * the certificate (owned) */
};

/* A generalInfo ITAV given with -geninfo. */
struct cmp_cli_itav {
    uint8_t *oid; /* contents */
    size_t oid_len;
    uint8_t *value; /* one DER element; NULL: none */
    size_t value_len;
};

struct cmp_ctx {
    struct cmp_err err;
    cmp_log_fn *log;
    void *log_arg;
    int verbosity;
    struct cmp_transfer *transfer;
    struct cmp_names reqin;

    /* integer options (enum cmp_opt) */
    int days, popo, revreason;
    int implicit_confirm, disable_confirm;
    int unprotected_send, unprotected_errors, ignore_keyusage;
    int msg_timeout, msg_timeout_set, total_timeout, total_timeout_set;
    int sans_critical, san_nodefault, policies_critical;
    int reqin_new_tid;
    int pbm_iterations;
    int pbmac1; /* CMP_OPT_PBMAC1 */
    int pvno;   /* CMP_OPT_PVNO; 0: 2 */

    /* credentials */
    uint8_t *secret;
    size_t secret_len;
    uint8_t *ref;
    size_t ref_len;
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) * extracerts;
    STACK_OF(X509) * untrusted;
    X509_STORE *own_trusted;
    char *digest;
    char *mac;
    char *pbmac1_prf, *pbmac1_mac; /* -pbmac1_prf, -pbmac1_mac; NULL: SHA256 */

    /* the server */
    X509_STORE *trusted;
    X509 *srvcert;
    X509_NAME *expect_sender;
    X509_NAME *recipient;
    X509_VERIFY_PARAM *vpm;

    /* the request */
    X509_NAME *subject;
    X509_NAME *issuer;
    EVP_PKEY *newkey;
    X509 *oldcert;
    X509_REQ *csr;
    uint8_t *reqexts; /* Extensions DER */
    size_t reqexts_len;
    GENERAL_NAMES *sans;
    STACK_OF(ASN1_OBJECT) * policies;
    struct cmp_cli_itav *geninfo;
    size_t num_geninfo;
    uint8_t *infotype; /* OID contents */
    size_t infotype_len;
    X509_STORE *out_trusted;
    struct cmp_cli_extra_req extra[CMP_MAX_EXTRA_REQUESTS];
    size_t num_extra;

    /* the header and request options of openssl cmp 3.2 to 3.6 (reqopts.c) */
    char *profile;           /* -profile: certProfile in generalInfo; NULL: none */
    uint8_t *serial;         /* -serial: INTEGER contents, rr with -issuer; NULL: none */
    size_t serial_len;
    char *reqout_only;       /* -reqout_only: save the first request there and stop */
    int no_cache_extracerts; /* -no_cache_extracerts */

    /* results of the last transaction */
    X509 *newcert;
    STACK_OF(X509) * newchain;
    STACK_OF(X509) * capubs;
    STACK_OF(X509) * extracerts_in;
    struct cmp_msg *genp; /* the genp, whose ITAVs the getters borrow */
    EVP_PKEY *central_key; /* central key generation: the key received (RFC 9483 4.1.6) */
    int status;           /* -1: none */
    uint32_t failinfo;
    char status_text[CMP_CLI_STATUS_MAX];

    /* the ITAV of the genm of a support message (support.c), during its transaction only;
     * type.len 0: none (the genm carries -infotype) */
    struct cmp_itav support_itav;
    X509 *validated_srvcert; /* the server's signer certificate (-srvcertout), or NULL */
    int reqout_only_done;    /* -reqout_only: the request was saved, nothing was sent */
    struct cmp_cli_result results[CMP_CLI_MAX_REQS]; /* one per certificate request */
    size_t num_results;

    /*
     * The SubjectPublicKeyInfo DER of the last key a request carried
     * (build.c spki_contents()), kept across transactions: -repeat and any
     * caller running several transactions with one context put the same key
     * into every ir/cr/kur/p10cr/rr, and OpenSSL 3's i2d_PUBKEY() looks its
     * encoder up each time, more than the rest of building the request. The
     * context holds a reference to the key, so the pointer names no other.
     */
    EVP_PKEY *spki_key;
    unsigned char *spki_der; /* OPENSSL_malloc'ed (i2d_PUBKEY()) */
    size_t spki_der_len;
};

/* One certificate request of the transaction being run, and its answer so far. */
struct cmp_cli_req {
    int64_t cert_req_id; /* 0, 1, ... in an ir/cr/kur; -1 for p10cr */
    EVP_PKEY *pub;       /* the public key requested (owned reference) */
    int waiting;         /* the server said 'waiting': poll for it */
    int final;           /* the server's answer is in (rejection, or a certificate) */
    int confirmed;       /* implicit confirmation was granted, or our certConf went out */
    X509 *cert;          /* the certificate received (owned) */
    uint32_t reject_bits; /* our certConf rejects it with these; 0: accepted */
    const char *reject_text;
    int encrypted;        /* the certificate came encrypted: its certConf proves POP */
};

/* One transaction: the state of client.c's driver loop. */
struct cmp_cli_txn {
    struct cmp_ctx *ctx;
    int cmd;                              /* enum cmp_cmd (cmpkit/client.h) */
    uint8_t tid[CMP_CLI_NONCE_LEN];       /* our transactionID */
    struct der_in tid_in;                 /* what responses must carry (-reqin may change it) */
    uint8_t *tid_buf;                     /* owned copy when -reqin changed it */
    uint8_t nonce[CMP_CLI_MAX_NONCE_LEN]; /* our last senderNonce */
    size_t nonce_len;
    uint8_t recip_nonce[CMP_CLI_MAX_NONCE_LEN]; /* the peer's last senderNonce */
    size_t recip_nonce_len;
    X509 *signer;               /* the server's signer, pinned after the first response */
    STACK_OF(X509) * untrusted; /* -untrusted and the extraCerts received so far */
    int64_t end_ms;             /* -total_timeout deadline; 0 none */
    size_t num_sent;            /* requests sent so far (-reqin position) */
    struct cmp_cli_req reqs[CMP_CLI_MAX_REQS]; /* the certificate requests sent */
    size_t num_reqs;

    /*
     * Delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4): set when a response
     * says 'waiting' (a CertResponse, or an error message for the whole
     * answer, whatever the request), until the final response arrives.
     */
    int polling;                                /* pollReqs go out */
    int64_t poll_id;                            /* -1: for a whole message; otherwise the
                                                 * certReqIds of the waiting reqs[] */
    int poll_for;                               /* the body type awaited */
    uint8_t first_nonce[CMP_CLI_MAX_NONCE_LEN]; /* senderNonce of the request answered */
    size_t first_nonce_len;                     /* 'waiting' (recipNonce of the final one) */
    /* central key generation and indirect POP (enckey in client.c): the first request's only */
    int central_keygen;    /* ir/cr/kur with -popo -1: the server generates the key */
    int pvno;              /* of our requests: CMP_PVNO_2000, or 2021 when the answer
                            * asked for is cmp2021 syntax (RFC 9480 2.20) */
    EVP_PKEY *central_key; /* the key received with it (owned) */
    /* progress of polling, for the log and the timeout's message */
    int64_t poll_start_ms; /* when 'waiting' came; 0 before */
    unsigned num_polls;    /* pollReqs sent since */
};

/* ---- ctx.c ---- */

/* cmp_cli_log() formats a log line, if |level| is within the verbosity. */
void cmp_cli_log(const struct cmp_ctx *ctx, int level, const char *fmt, ...) CMP_PRINTF(3, 4);

/*
 * cmp_cli_log_msg() logs |what| ("sent IR") and the header of |der| (at
 * CMP_LOG_DEBUG) or the whole message (CMP_LOG_TRACE), one log line per
 * printed line, if the verbosity asks for it. Nothing if it does not decode.
 */
void cmp_cli_log_msg(const struct cmp_ctx *ctx, const char *what, const uint8_t *der, size_t len);

/* cmp_cli_body_label() is openssl's name of a body type: "IR", "CERTCONF" ("?" if unknown). */
const char *cmp_cli_body_label(int type);

/* cmp_cli_hex() writes |len| bytes as "93:EB:A2" (cut with "..." to fit |buf|); returns |buf|. */
const char *cmp_cli_hex(const uint8_t *p, size_t len, char *buf, size_t buf_len);

/* cmp_cli_clear_results() frees the results of the last transaction and clears the error. */
void cmp_cli_clear_results(struct cmp_ctx *ctx);

/* cmp_cli_sanitize() replaces control characters in |s| (in place) by '?'. */
void cmp_cli_sanitize(char *s);

/* cmp_cli_set_status() records a peer's PKIStatusInfo in the context's results. */
void cmp_cli_set_status(struct cmp_ctx *ctx, const struct cmp_pkistatus *si);

/* cmp_cli_set_str() replaces |*dst| by a copy of |s| (NULL: none); |what| names it on failure. */
int cmp_cli_set_str(struct cmp_ctx *ctx, char **dst, const char *s,
                    const char *what) CMP_MUST_CHECK;

/* cmp_cli_oid() turns a dotted OID or an OpenSSL short/long name into OID contents. */
int cmp_cli_oid(const char *text, uint8_t **out, size_t *out_len,
                struct cmp_err *err) CMP_MUST_CHECK;

/* ---- support.c: the support messages' transaction (RFC 9810 5.3.19, RFC 9483 4.3) ---- */

/*
 * cmp_cli_support_genm() runs one genm transaction whose one ITAV is of
 * type |nid| with |value| (a DER element; NULL: absent) and points |*out|
 * at the ITAV of type |answer_nid| in the genp (kept in ctx->genp until the
 * next transaction), warning about others. Fails (ctx->err set) if the
 * transaction fails or the genp has no such ITAV.
 */
int cmp_cli_support_genm(struct cmp_ctx *ctx, int nid, const uint8_t *value, size_t value_len,
                         int answer_nid, const struct cmp_itav **out) CMP_MUST_CHECK;
/* ---- reqopts.c ---- */

/* cmp_cli_reqopts_cleanup() frees the options of reqopts.c (cmp_ctx_free()). */
void cmp_cli_reqopts_cleanup(struct cmp_ctx *ctx);

/* cmp_cli_reqopts_clear_results() frees their results (cmp_cli_clear_results()). */
void cmp_cli_reqopts_clear_results(struct cmp_ctx *ctx);

/*
 * cmp_cli_profile_itav() sets |it| to the certProfile ITAV of -profile
 * (RFC 9483 3.1, RFC 9810 5.1.1.4), its value in |m|'s arena.
 */
int cmp_cli_profile_itav(const struct cmp_ctx *ctx, struct cmp_msg *m, struct cmp_itav *it,
                         struct cmp_err *err) CMP_MUST_CHECK;

/* ---- build.c ---- */

/* The reference certificate: -oldcert, else -cert (may be NULL). */
X509 *cmp_cli_refcert(const struct cmp_ctx *ctx);

/*
 * cmp_cli_new_request() makes a request message of body type |body_type|
 * with a complete header (RFC 9810 5.1.1, openssl's fallbacks for sender
 * and recipient, a fresh senderNonce, the peer's last one as recipNonce).
 */
int cmp_cli_new_request(struct cmp_cli_txn *t, int body_type, struct cmp_msg **out,
                        struct cmp_err *err) CMP_MUST_CHECK;

/* The bodies: ir/cr/kur, p10cr, rr, genm, certConf, pollReq. */
int cmp_cli_body_certreq(struct cmp_cli_txn *t, struct cmp_msg *m,
                         struct cmp_err *err) CMP_MUST_CHECK;
int cmp_cli_body_p10cr(struct cmp_cli_txn *t, struct cmp_msg *m,
                       struct cmp_err *err) CMP_MUST_CHECK;
int cmp_cli_body_rr(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_cli_body_genm(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_cli_body_certconf(struct cmp_cli_txn *t, struct cmp_msg *m,
                          struct cmp_err *err) CMP_MUST_CHECK;
/*
 * cmp_cli_polled_ids() writes the certReqIds a pollReq names (at most
 * CMP_CLI_MAX_REQS) to |out| and returns how many: -1 alone when a whole
 * message is awaited (t->poll_id -1), else those of the waiting requests.
 */
size_t cmp_cli_polled_ids(const struct cmp_cli_txn *t, int64_t *out);
int cmp_cli_body_pollreq(struct cmp_cli_txn *t, struct cmp_msg *m,
                         struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_cli_protect() sets senderKID, extraCerts and the protection: PBM with
 * -secret, else a signature with -cert/-key, else none with
 * -unprotected_requests (else an error).
 */
int cmp_cli_protect(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_cli_name_der() encodes |name| into |m|'s arena. */
int cmp_cli_name_der(struct cmp_msg *m, const X509_NAME *name, struct der_in *out,
                     struct cmp_err *err) CMP_MUST_CHECK;

#endif
