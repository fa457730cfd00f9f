/*
 * cmpkit public API: the CMP server engine.
 *
 * One call turns the bytes of a request into the bytes of a response; there
 * are no sockets and no HTTP here (the listener collects the size-capped
 * body and calls cmp_srv_handle()). The engine decodes and checks the
 * request (RFC 9810 5.1, RFC 9483 3.5), keeps a bounded table of open
 * transactions keyed by transactionID, asks a responder what to answer
 * (struct cmp_srv_responder below; by default the mock responder, at parity
 * with the `openssl cmp` 3.0 mock server, see the fields of struct
 * cmp_srv_config), builds the response and protects it.
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
#include "cmpkit/msg.h"
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

/* ================= responders ================= */

/*
 * A responder decides what the server answers; the engine does the rest:
 * decoding, the checks of every request (header, protection, and the rules
 * of its body type: certReqIds, proof of possession, certHash, ...; see
 * lib/verify), the transaction table and its states (which request may come
 * next), the response body, header and protection. A responder never sees
 * a request that failed a check, nor one out of sequence.
 *
 * Each callback gets the request (struct cmp_srv_call), its contents, and
 * an answer to fill in (struct cmp_srv_answer, zeroed, with the arrays the
 * engine sizes for it). It returns 1, or 0 with |err| set: the request then
 * gets an error message with err's PKIFailureInfo bit (CMP_FAIL_INFO;
 * without one: systemFailure for CMP_E_MEMORY, CMP_E_ENCODE and
 * CMP_E_CRYPTO, badDataFormat for CMP_E_DECODE and CMP_E_LIMIT, else
 * badRequest) and the statusString answer->error_text (NULL: a short text
 * for the bit); the details go to the log only.
 *
 * Lifetimes: what a callback is given, and what the answer points to, must
 * stay valid until cmp_srv_handle() returns (the engine encodes the
 * response from it), unless a field says otherwise. Callbacks run on the
 * thread of cmp_srv_handle(), concurrently for different transactions,
 * never two at once for one transaction.
 */

/* A DER slice of the request being handled (borrowed; len 0: absent). */
struct cmp_srv_der {
    const uint8_t *p;
    size_t len;
};

/* PKIStatus (RFC 9810 5.2.3), as the answers and the certConfs use it. */
enum cmp_srv_pkistatus {
    CMP_SRV_ACCEPTED = 0,
    CMP_SRV_GRANTED_WITH_MODS = 1,
    CMP_SRV_REJECTION = 2,
    CMP_SRV_WAITING = 3,
    CMP_SRV_REVOCATION_WARNING = 4,
    CMP_SRV_REVOCATION_NOTIFICATION = 5,
    CMP_SRV_KEY_UPDATE_WARNING = 6
};

/* How the request was authenticated (RFC 9810 5.1.3). */
enum cmp_srv_auth {
    CMP_SRV_AUTH_NONE = 0, /* no or bad protection, let through by -accept_unprotected or
                            * -accept_unprot_err */
    CMP_SRV_AUTH_MAC,      /* PBM or PBMAC1 with the server's secret, or the responder's
                            * for the senderKID (find_secret) */
    CMP_SRV_AUTH_SIGNATURE /* signed by |signer|, which chains to -srv_trusted or which the
                            * responder named (find_signer) */
};

struct cmp_srv_req; /* the engine's, opaque */

/* The request being answered and its transaction (borrowed; the engine's). */
struct cmp_srv_call {
    const struct cmp_msg *msg;          /* the decoded request (cmpkit/msg.h) */
    int body_type;                      /* its enum cmp_body_type */
    int first_type;                     /* the body type that began the transaction */
    int pvno;                           /* its header's pvno */
    struct cmp_srv_der transaction_id;
    struct cmp_srv_der sender;          /* the sender's Name; len 0 if not a directoryName */
    struct cmp_srv_der sender_kid;      /* senderKID (the reference of a MAC's secret) */
    int auth;                           /* enum cmp_srv_auth */
    X509 *signer;                       /* CMP_SRV_AUTH_SIGNATURE: the certificate that verified
                                         * the request's signature; else NULL */
    int vouched;                        /* the secret (MAC) or the signer certificate came from
                                         * the responder's find_secret / find_signer, not from
                                         * -srv_secret or a path to -srv_trusted */
    int implicit_confirm;               /* the first request asked for implicit confirmation
                                         * (RFC 9810 5.1.1.1) */
    /*
     * The responder's data for this transaction: NULL in its first request;
     * what the responder stores here is given back in each later call of
     * the transaction and handed to responder->txn_free when the
     * transaction ends (finished, failed, expired or dropped). NULL itself
     * for a request outside any open transaction (an error message for an
     * unknown transactionID).
     */
    void **txn_data;
    struct cmp_srv_req *req;            /* the engine's (cmp_srv_call_log()) */
    /*
     * pollReq: the request whose answer is polled for: |first_type| for a
     * certificate request, rr or genm; CMP_BODY_CERTCONF for the pkiConf of
     * a delayed certConf. 0 for other requests.
     */
    int polled_type;
    /*
     * The certificate the client authenticated the TLS connection with, as
     * verified by the listener against its trust store (RFC 9811 3.5: a
     * CA's authorisation may rest on it); NULL over plain HTTP, without a
     * client certificate, or in-process (cmp_srv_handle_peer()).
     */
    X509 *tls_client_cert;
};

/*
 * cmp_srv_call_log() writes a line to the engine's log for the request of
 * |call| (prefixed with its transactionID), as the engine's own lines.
 */
CMP_API void cmp_srv_call_log(const struct cmp_srv_call *call, int level, const char *fmt, ...)
    CMP_PRINTF(3, 4);

/* cmp_srv_call_log_err() logs |err| in full as "|what|: ..." (outermost context first). */
CMP_API void cmp_srv_call_log_err(const struct cmp_srv_call *call, int level, const char *what,
                                  const struct cmp_err *err);

/* What the engine made of the proof of possession of one certificate request. */
enum cmp_srv_popo {
    CMP_SRV_POPO_OK = 0,     /* a signature that verifies, or raVerified accepted */
    CMP_SRV_POPO_MISSING,    /* no POPO (a responder generating the key may accept that,
                              * RFC 9483 4.1.6) */
    CMP_SRV_POPO_RAVERIFIED, /* raVerified without -accept_raverified */
    CMP_SRV_POPO_INDIRECT,   /* keyEncipherment or keyAgreement: for the responder to
                              * prove (RFC 4211 4.2, 4.3: e.g. encrypted certificate) */
    CMP_SRV_POPO_BAD,        /* a signature that does not verify */
    CMP_SRV_POPO_UNCHECKED   /* not verified: the responder's check_cert_request refused
                              * the request first (popo_error is its error) */
};

/* One certificate request: a CertReqMsg of an ir/cr/kur, or a p10cr (borrowed). */
struct cmp_srv_cert_req {
    int64_t cert_req_id;           /* -1 for a p10cr (RFC 9483 4.1.4) */
    struct cmp_srv_der request;    /* the CertRequest (certReqId, certTemplate, controls), or
                                    * the PKCS#10 CertificationRequest */
    struct cmp_srv_der subject;    /* CertTemplate subject (Name); p10cr: none (in |request|) */
    struct cmp_srv_der public_key; /* CertTemplate publicKey as a SubjectPublicKeyInfo */
    struct cmp_srv_der extensions; /* CertTemplate extensions as an Extensions SEQUENCE */
    struct cmp_srv_der old_issuer; /* kur: the oldCertID control's issuer (Name) ... */
    struct cmp_srv_der old_serial; /* ... and serialNumber (INTEGER contents); else none */
    int popo;                      /* enum cmp_srv_popo */
    const struct cmp_err *popo_error; /* why the POPO is not CMP_SRV_POPO_OK; else NULL */
    /*
     * Central key generation is asked for (RFC 9483 4.1.6): the template's
     * publicKey is absent or has an empty subjectPublicKey, and there is no
     * POPO (|popo| is CMP_SRV_POPO_MISSING). Answer with a result's |key|.
     */
    int central_keygen;
    /*
     * Indirect POP by encrypted certificate (RFC 9810 5.2.8.3.2: POPOPrivKey
     * subsequentMessage encrCert; |popo| is CMP_SRV_POPO_INDIRECT): a
     * responder that takes it sets the result's |encrypt_cert|.
     */
    int encr_cert;
};

/* One RevDetails of an rr (borrowed). */
struct cmp_srv_rev_req {
    struct cmp_srv_der details; /* the whole RevDetails */
    struct cmp_srv_der issuer;  /* certDetails issuer (Name), if given */
    struct cmp_srv_der serial;  /* certDetails serialNumber (INTEGER contents), if given */
};

/* InfoTypeAndValue, of a genm or for the genp. */
struct cmp_srv_itav {
    struct cmp_srv_der type;  /* OBJECT IDENTIFIER contents */
    struct cmp_srv_der value; /* the value element; len 0: absent */
};

/* A PKIStatusInfo a peer sent (borrowed). */
struct cmp_srv_peer_status {
    int status;                /* PKIStatus */
    int has_fail_info;
    uint32_t fail_info;        /* PKIFailureInfo bits: bit n is 1 << n */
    struct cmp_srv_der text;   /* the first statusString (UTF-8 bytes); len 0: none */
};

/*
 * The client's word on one certificate (certConf, RFC 9810 5.3.18). Its
 * certHash has been checked. An empty certConf rejects every certificate
 * awaiting confirmation: each then comes with |accepted| 0 and no status.
 */
struct cmp_srv_cert_conf {
    int64_t cert_req_id;
    X509 *cert;                         /* the certificate sent (borrowed), or NULL when it
                                         * was answered as cert_der */
    struct cmp_srv_der cert_der;        /* the certificate sent, as DER (borrowed) */
    int accepted;                       /* statusInfo absent or 'accepted' */
    int has_status;                     /* the client gave a statusInfo: */
    struct cmp_srv_peer_status status;
};

/* An error message a client sent (RFC 9810 5.3.21, borrowed). */
struct cmp_srv_error {
    struct cmp_srv_peer_status status;
    int has_error_code;
    int64_t error_code;
    size_t num_details;
    const struct cmp_srv_der *details; /* errorDetails strings */
};

/* The PKIStatusInfo of an answer. */
struct cmp_srv_status {
    int status;         /* enum cmp_srv_pkistatus */
    uint32_t fail_info; /* PKIFailureInfo bits (1 << enum cmp_failure_bit); 0: none */
    const char *text;   /* statusString (UTF-8); NULL: none */
};

/* The answer to one certificate request. */
struct cmp_srv_cert_result {
    int64_t cert_req_id;          /* the request's (set by the engine) */
    struct cmp_srv_status status; /* CMP_SRV_WAITING: the poll callback answers later */
    /*
     * The certificate issued, or NULL (with a rejection or 'waiting' it must
     * be NULL). The engine takes over this reference, whatever the callback
     * returns. It awaits the client's certConf unless implicit confirmation
     * is granted.
     */
    X509 *cert;
    /*
     * Or the certificate as DER, instead of |cert| (which must then be
     * NULL): the engine copies it and never parses it, which saves a
     * responder that has the DER (a CA) a libcrypto decode per certificate.
     */
    struct cmp_srv_der cert_der;
    /*
     * Central key generation (RFC 9483 4.1.6): the private key of |cert|,
     * generated for the client, or NULL. The engine takes over this
     * reference, whatever the callback returns, and sends the key in
     * CertifiedKeyPair.privateKey: an EnvelopedData for the request's
     * protection (its signer's certificate, or the MAC's shared secret)
     * around a SignedData of the server's certificate and key as the key
     * generation authority (struct cmp_srv_config: cert, key,
     * kga_key_package).
     */
    EVP_PKEY *key;
    /*
     * Send |cert| encrypted for its own public key (encryptedCert, RFC 9810
     * 5.2.8.3.2, indirect POP): as EnvelopedData when the request has pvno
     * cmp2021(3), else as the EncryptedValue cmp2000 has (RFC 9480 2.20).
     * Implicit confirmation is then never granted: the certConf completes
     * the proof of possession.
     */
    int encrypt_cert;
};

/*
 * What a callback answers (zeroed by the engine). Only the part of its
 * request type counts, and |waiting|, |check_after|, |extra_certs|,
 * |error_text|, which every answer has.
 */
struct cmp_srv_answer {
    /*
     * ir, cr, kur, p10cr (and their delayed answer): one result per request,
     * in the order of the requests (for the poll callback: of the polled
     * certReqIds); the engine allocates them and sets cert_req_id.
     */
    size_t num_certs;
    struct cmp_srv_cert_result *certs;
    size_t num_ca_pubs; /* caPubs of the ip/cp/kup */
    const struct cmp_srv_der *ca_pubs;
    int implicit_confirm; /* grant the implicit confirmation the first request asked
                           * for (RFC 9810 5.1.1.1): no certConf for the certificates */

    /* rr: one status per RevDetails, in their order (allocated by the engine). */
    size_t num_revs;
    struct cmp_srv_status *revs;
    int rev_cert_ids; /* echo each RevDetails' issuer and serialNumber in revCerts (if
                       * every one has both; not in a delayed answer) */

    /* genm: the ITAVs of the genp. */
    size_t num_itavs;
    const struct cmp_srv_itav *itavs;

    /*
     * Not ready: answer later (RFC 9810 5.3.22). Certificate requests get an
     * ip/cp/kup whose results all have status 'waiting' (a single result
     * may also wait on its own), other requests (rr, genm, and certConf,
     * whose pkiConf then comes later, as in openssl cmp 3.3+) an error
     * message with status 'waiting'; the client then polls, and the poll
     * callback gives the answer, or 'waiting' again (a pollRep).
     */
    int waiting;
    int64_t check_after; /* seconds until the next pollReq (pollRep checkAfter); the
                          * transaction is kept that much longer */

    size_t num_extra_certs; /* extraCerts after the server's own chain */
    const struct cmp_srv_der *extra_certs;

    /*
     * When the callback fails: the statusString of the error message (NULL:
     * a short text for the failure bit). The peer sees it: no details.
     */
    const char *error_text;
};

/*
 * What the engine knows of a request when it asks the responder for the
 * credentials to check its protection with (find_secret, find_signer),
 * before any check of that protection: nothing here is authenticated yet.
 */
struct cmp_srv_cred_query {
    const struct cmp_msg *msg; /* the decoded request */
    int body_type;             /* its enum cmp_body_type */
    struct cmp_srv_der transaction_id;
    struct cmp_srv_der sender;     /* the sender's Name; len 0 if not a directoryName */
    struct cmp_srv_der sender_kid; /* senderKID; len 0: none */
    /*
     * The first extraCert's issuer (Name) and serialNumber (INTEGER
     * contents): RFC 9483 3.3 puts the protection certificate first. len 0:
     * no extraCerts, or the first does not decode.
     */
    struct cmp_srv_der cert_issuer;
    struct cmp_srv_der cert_serial;
    void *txn_data; /* the open transaction's responder data (certConf, pollReq, error);
                     * NULL for a first request */
};

/*
 * struct cmp_srv_responder: the callbacks (a NULL one: that request is not
 * supported, badRequest) and their |arg|.
 */
struct cmp_srv_responder {
    void *arg;
    /* ir, cr, kur (one per CertReqMsg), p10cr (one): fill answer->certs */
    int (*cert_request)(void *arg, const struct cmp_srv_call *call,
                        const struct cmp_srv_cert_req *reqs, size_t num,
                        struct cmp_srv_answer *answer, struct cmp_err *err);
    /* rr: fill answer->revs */
    int (*revoke)(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_rev_req *reqs,
                  size_t num, struct cmp_srv_answer *answer, struct cmp_err *err);
    /* genm: set answer->itavs */
    int (*general)(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_itav *itavs,
                   size_t num, struct cmp_srv_answer *answer, struct cmp_err *err);
    /*
     * pollReq for |num| certReqIds that are waiting (-1: a delayed answer as
     * a whole): answer->waiting again, or the answer of the first request's
     * type (for certificates, results for the polled certReqIds).
     */
    int (*poll)(void *arg, const struct cmp_srv_call *call, const int64_t *cert_req_ids,
                size_t num, struct cmp_srv_answer *answer, struct cmp_err *err);
    /* certConf, one entry per certificate confirmed or rejected; the engine answers pkiConf
     * (or, with answer->waiting, an error message 'waiting' and pkiConf after polling) */
    int (*cert_conf)(void *arg, const struct cmp_srv_call *call,
                     const struct cmp_srv_cert_conf *confs, size_t num,
                     struct cmp_srv_answer *answer, struct cmp_err *err);
    /* an error message from the client; it ends its transaction; the engine answers pkiConf */
    int (*error)(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_error *e,
                 struct cmp_srv_answer *answer, struct cmp_err *err);
    /*
     * May be NULL. Called once after each callback that returned 1, when
     * the response is ready and before cmp_srv_handle() returns it, with
     * |ok| 1; with |ok| 0 if the response could not be made (the client
     * gets an error message instead). A CA commits there what the callback
     * decided (ok 1) or rolls it back (ok 0). Returning 0 (with ok 1)
     * replaces the response with an error message (systemFailure unless
     * |err| names a bit).
     */
    int (*commit)(void *arg, const struct cmp_srv_call *call, int ok, struct cmp_err *err);
    /* May be NULL. Frees the data a callback kept in *call->txn_data; any thread. */
    void (*txn_free)(void *arg, void *txn_data);

    /* ---- credentials: asked before the engine checks a request's protection ---- */

    /*
     * May be NULL. A MAC-protected request (PBM, PBMAC1): the secret for
     * its senderKID if the responder keeps one (a CA's enrollment
     * secrets), whatever its state (spent or expired: the callbacks decide
     * what it still authorises). Returns 1 with |*out| a malloc()ed copy
     * of |*out_len| bytes, which the engine wipes and frees, or |*out|
     * NULL: none (the engine then takes cmp_srv_config.secret, the
     * -srv_secret for any senderKID; without one the request fails with
     * badMessageCheck). Returns 0 with |err| if the lookup failed
     * (systemFailure unless err names a bit). The response to a request
     * checked with a responder's secret is protected with that secret and
     * carries the request's senderKID.
     */
    int (*find_secret)(void *arg, const struct cmp_srv_cred_query *q, uint8_t **out,
                       size_t *out_len, struct cmp_err *err);
    /*
     * May be NULL. A signature-protected request: the certificate that the
     * responder's own records say may sign it (a CA: one it issued and has
     * not revoked), by the first extraCert's issuer and serial or by sender
     * and senderKID. Returns 1 with |*out_der| a malloc()ed DER certificate
     * of |*out_len| bytes (the engine frees it): the signature is then
     * checked with it alone, as with a signer pinned by an earlier message
     * (subject is the sender, SKID is senderKID, keyUsage, validity; no path
     * to -srv_trusted: the responder vouches for it). |*out_der| NULL: none
     * (the engine looks among extraCerts and -srv_untrusted for a signer
     * that chains to -srv_trusted). Returns 0 with |err| to refuse the
     * request (its failure bit, e.g. signerNotTrusted for a revoked
     * certificate; systemFailure if none). Not asked while a transaction's
     * earlier signer still verifies its requests.
     */
    int (*find_signer)(void *arg, const struct cmp_srv_cred_query *q, uint8_t **out_der,
                       size_t *out_len, struct cmp_err *err);

    /*
     * May be NULL. Called for each certificate request of an authenticated
     * ir/cr/kur/p10cr before the engine verifies its proof of possession
     * (|req->popo| not set yet): returning 0 with |err| (its failure bit and
     * message) says the request will be refused anyway, so the engine skips
     * the POPO (a key the responder would refuse costs no signature check);
     * the request then reaches cert_request with popo
     * CMP_SRV_POPO_UNCHECKED and popo_error |err|. 1: verify the POPO.
     */
    int (*check_cert_request)(void *arg, const struct cmp_srv_call *call,
                              const struct cmp_srv_cert_req *req, struct cmp_err *err);

    /*
     * May be NULL. Periodic work (confirmation timeouts, scheduled CRLs),
     * called by cmp_srv_tick() with the current time, on the caller's
     * thread, possibly while requests are handled on others.
     */
    int (*tick)(void *arg, int64_t now, struct cmp_err *err);
    /* May be NULL. Frees |arg| when the engine is freed. */
    void (*free)(void *arg);
};

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

    /*
     * The responder (copied); NULL: the mock responder, configured by the
     * fields below. On success cmp_srv_new() takes over responder->arg
     * (freed with the engine by responder->free, if set).
     */
    const struct cmp_srv_responder *responder;

    /* ---- the mock responses ---- */

    /* -rsp_cert: what every enrollment returns; rr and kur must name it (unless -ref_cert) */
    X509 *rsp_cert;
    /* -rsp_extracerts: extraCerts of ip/cp/kup */
    STACK_OF(X509) *rsp_extracerts;
    /* -rsp_capubs: caPubs of ip (only ip) */
    STACK_OF(X509) *rsp_capubs;
    int poll_count;           /* -poll_count: pollReqs before any answer comes (the
                               * certificate, and the answers to rr, genm and certConf,
                               * as openssl cmp 3.3+'s mock delays them) */
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
    /* -rsp_key: the key that central key generation returns (the private key of -rsp_cert) */
    EVP_PKEY *rsp_key;
    /*
     * -accept_keyenc (cmpkit's own): answer POPO keyEncipherment with
     * subsequentMessage encrCert with the certificate encrypted (indirect
     * POP); without it, as openssl's mock, such a request gets badPOP.
     */
    int accept_keyenc;
    /*
     * What the key generation authority signs (central key generation): 0,
     * the mock's default, id-data with the PKCS #8 key, the only form openssl
     * 3.5 and 3.6 clients read; 1, the id-ct-KP-aKeyPackage with an
     * AsymmetricKeyPackage that RFC 9483 4.1.6 asks for.
     */
    int kga_key_package;

    /* ---- the mock's answers to support messages (genm, RFC 9483 4.3) ---- */

    /*
     * caCerts are -rsp_capubs; certReqTemplate is a template with the issuer
     * of -rsp_cert and a keySpec for EC or RSA-4096 keys (as openssl's
     * mock). rootCaCert: -rsp_newwithnew (none: no update) with
     * -rsp_newwithold and -rsp_oldwithnew, unless the genm's root has
     * another subject. crlStatusList: -rsp_crl if it is newer than the
     * client's (none: no update).
     */
    X509 *rsp_newwithnew;
    X509 *rsp_newwithold;
    X509 *rsp_oldwithnew;
    X509_CRL *rsp_crl;
    /* ---- options of openssl cmp 3.2 to 3.6 ---- */

    /* -ref_cert: the certificate rr and the oldCertID of kur must name; NULL: -rsp_cert
     * (openssl cmp 3.0's rule; 3.6 then accepts any) */
    X509 *ref_cert;
    /* -no_cache_extracerts: the extraCerts of a request help to check it, no later one */
    int no_cache_extracerts;
    /*
     * -srv_reject_subject (cmpkit's own): each CertReqMsg whose template
     * subject is this name gets its own rejection (badCertTemplate), the
     * others of the message are answered as usual; NULL: none. Read by
     * cmp_srv_new() only.
     */
    const X509_NAME *reject_subject;

    /* ---- limits ---- */

    /* PBM/PBMAC1 iteration count a client may ask of us; 0: the default */
    int64_t max_iterations;
    /* open transactions kept; when full, the least recently used idle one is
     * dropped; 0: the default */
    size_t max_transactions;
    /* an idle transaction expires after this many seconds (plus checkAfter
     * while polling); 0: the default */
    int transaction_timeout_s;
    /*
     * open transactions one authenticated sender may hold (the senderKID of
     * MAC-based protection, the signer certificate of a signature; requests
     * let through unprotected count as one sender): beyond, its own least
     * recently used idle one is dropped, never another sender's; 0: the
     * default
     */
    size_t max_transactions_per_sender;
    /*
     * messageTime must be within this many seconds of our clock (RFC 9810
     * 5.1.1, RFC 9483 3.5: else badTime; a request without messageTime
     * passes); it also bounds how long a senderNonce is remembered against
     * replays; 0: the default
     */
    int64_t message_time_window_s;
    /* senderNonces remembered against replays (the oldest is forgotten first); 0: the default */
    size_t replay_cache_size;
    /*
     * No replay check: a request sent again (the same transactionID and
     * senderNonce) is handled anew, as openssl's mock does (for test rigs
     * that resend saved requests, `openssl cmp -reqin` without
     * -reqin_new_tid). Off by default: RFC 9810 5.1.1 makes the nonces the
     * protection against replays.
     */
    int accept_replays;
    /*
     * CertReqMsgs one ir/cr/kur may carry (RFC 4211: SIZE (1..MAX); each
     * costs a POPO check and an answer): beyond, the message is refused
     * (badRequest); 0: the default
     */
    size_t max_cert_reqs;

    /* ---- the rules of RFC 9483 (docs/SERVER.md) ---- */

    /* -srv_profile: CMP_SRV_PROFILE_RFC9810 (0, the default) or CMP_SRV_PROFILE_LIGHTWEIGHT */
    int profile;
    /* -srv_require_msgtime: a request without messageTime fails (missingTimeStamp) */
    int require_message_time;
    /* -srv_max_rsa_bits: largest RSA key of a certTemplate (badCertTemplate); 0: the default */
    int max_rsa_bits;

    /* ---- logging ---- */

    cmp_srv_log_fn *log; /* NULL: no logging */
    void *log_arg;
    int verbosity; /* lines above this level are not formatted; 0: INFO */
};

#define CMP_SRV_DEFAULT_MAX_ITERATIONS 262144
#define CMP_SRV_DEFAULT_MAX_TRANSACTIONS 1024
#define CMP_SRV_DEFAULT_TRANSACTION_TIMEOUT 600
#define CMP_SRV_DEFAULT_MAX_TRANSACTIONS_PER_SENDER 256
#define CMP_SRV_DEFAULT_MESSAGE_TIME_WINDOW 300
#define CMP_SRV_DEFAULT_REPLAY_CACHE_SIZE 262144
#define CMP_SRV_DEFAULT_MAX_RSA_BITS 8192

/*
 * The rules a request is checked against (struct cmp_srv_config.profile):
 * RFC9810 checks RFC 9810 and the rules of RFC 9483 that `openssl cmp`
 * keeps; LIGHTWEIGHT adds the rest of RFC 9483 (docs/SERVER.md lists them).
 */
#define CMP_SRV_PROFILE_RFC9810 0
#define CMP_SRV_PROFILE_LIGHTWEIGHT 1
#define CMP_SRV_DEFAULT_MAX_CERT_REQS 16

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
 * cmp_srv_tick() does the engine's periodic work: it drops transactions
 * idle past their timeout (their responder data freed) and calls the
 * responder's tick. A server calls it every second or so, from any thread
 * (the CLI runs a timer thread); between calls nothing times out except
 * when a request comes. Returns the responder's result (1 without one).
 */
CMP_API int cmp_srv_tick(struct cmp_srv *srv, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * What became of one request, for a caller that accounts for its peers
 * (the HTTP listener's per-address budget of failed requests): anyone can
 * send a request that fails authentication, and verifying it may cost much
 * (a PBM iteration count up to max_iterations, a signature and its path).
 */
struct cmp_srv_outcome {
    int authenticated; /* its protection verified (or an exception let it through) */
    /*
     * it was refused before or at authentication (undecodable, protection
     * missing or wrong, an unknown sender), or it replayed an earlier
     * request: nothing tells who sent it
     */
    int unauthenticated_failure;
    uint64_t cpu_us; /* CPU time the engine spent on it, in microseconds (this thread) */
    int failure_bit; /* the PKIFailureInfo bit of the error answered; -1 if none */
    int undecodable; /* it did not decode as a PKIMessage (the answer is badDataFormat) */
};

/*
 * cmp_srv_handle_ex() is cmp_srv_handle() that also fills |*out| (may be
 * NULL) with what became of the request.
 */
CMP_API int cmp_srv_handle_ex(struct cmp_srv *srv, const uint8_t *req, size_t req_len,
                              uint8_t **rsp, size_t *rsp_len,
                              struct cmp_srv_outcome *out) CMP_MUST_CHECK;

/* What the transport knows of a request's sender (cmp_srv_handle_peer()). */
struct cmp_srv_peer {
    X509 *tls_client_cert; /* the verified TLS client certificate, or NULL (borrowed) */
};

/*
 * cmp_srv_handle_peer() is cmp_srv_handle_ex() for a request that came
 * from |peer| (may be NULL: nothing known): the responder sees
 * peer->tls_client_cert as call->tls_client_cert, and the engine logs its
 * subject at info level.
 */
CMP_API int cmp_srv_handle_peer(struct cmp_srv *srv, const struct cmp_srv_peer *peer,
                                const uint8_t *req, size_t req_len, uint8_t **rsp,
                                size_t *rsp_len, struct cmp_srv_outcome *out) CMP_MUST_CHECK;

/*
 * cmp_srv_refuse() answers a request without handling it, for a caller
 * that refuses a peer at once (one over its budget): an unprotected error
 * message (PKIStatusInfo rejection with |failure_bit| and the statusString
 * |text|, which may be NULL) echoing the request's transactionID and
 * senderNonce (as recipNonce) when its header can be read. Nothing is
 * verified, and the engine's state is not touched; the cost is that of
 * reading the header. Logged, rate-limited, as the engine's other
 * refusals. 1 with |*rsp| a new buffer of |*rsp_len| bytes, 0 if out of
 * memory.
 */
CMP_API int cmp_srv_refuse(struct cmp_srv *srv, const uint8_t *req, size_t req_len, int failure_bit,
                           const char *text, uint8_t **rsp, size_t *rsp_len) CMP_MUST_CHECK;

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
