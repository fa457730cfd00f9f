/*
 * The server engine's internals: the transaction table (txn.c), the request
 * being handled (engine.c) and the mock responder (mock.c).
 */
#ifndef CMPKIT_SERVER_INTERNAL_H
#define CMPKIT_SERVER_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "cmpkit/server.h"
#include "crypto/crypto.h"
#include "msg/msg.h"
#include "verify/verify.h"

/* Longest transactionID kept in the table (RFC 9483 3.1 asks for 128 bits). */
#define CMP_SRV_MAX_TID_LEN 64
/* Our senderNonce: 128 bits (RFC 9483 3.1). */
#define CMP_SRV_NONCE_LEN 16
/*
 * CA certificates learned from the extraCerts of authenticated requests,
 * kept as intermediates for later ones (openssl's mock server keeps every
 * extraCert it receives, without bound; the suite's kur rows rely on it).
 */
#define CMP_SRV_CERT_CACHE_MAX 64
/*
 * Certificates decoded from requests, kept by their DER: a client sends the
 * same certificate in the extraCerts of every message, and d2i_X509 of an
 * EC certificate costs ~76 us. Bounded in entries and in DER per entry (a
 * larger certificate is decoded every time); replaced by the clock
 * algorithm, so a peer sending new certificates only pushes others out.
 */
#define CMP_SRV_DECODED_MAX 64
#define CMP_SRV_DECODED_MAX_DER (16u << 10)
/* Room for a transactionID in hex in log lines. */
#define CMP_SRV_TID_HEX_LEN (2 * CMP_SRV_MAX_TID_LEN + 4)

/* ================= transactions (txn.c) ================= */

/* Where an open transaction stands; a finished one leaves the table. */
enum cmp_srv_txn_state {
    CMP_SRV_TXN_NEW = 0,   /* the first request is being handled */
    CMP_SRV_TXN_WAIT_CONF, /* a certificate was sent; certConf expected */
    CMP_SRV_TXN_POLLING    /* 'waiting' was sent; pollReq expected */
};

/*
 * One open transaction. The table fields are the table's (under its lock);
 * the state belongs to the thread that holds the transaction (busy), which
 * is the only one to read or write it until cmp_srv_txn_release().
 */
struct cmp_srv_txn {
    /* table */
    struct cmp_srv_txn *hnext;               /* hash chain */
    struct cmp_srv_txn *lru_prev, *lru_next; /* least recently used first */
    int busy;                                /* a thread is handling a request of it */
    int64_t deadline;                        /* expires after this (seconds) */
    uint8_t tid[CMP_SRV_MAX_TID_LEN];
    size_t tid_len;

    /* state */
    int state;                        /* enum cmp_srv_txn_state */
    int req_type;                     /* the body type that began it: ir, cr, kur, p10cr */
    int64_t cert_req_id;              /* of that request (-1 for p10cr) */
    int implicit_confirm;             /* the request asked for implicit confirmation */
    int polls;                        /* pollReqs answered so far */
    int64_t check_after;              /* extends the deadline while polling */
    uint8_t nonce[CMP_SRV_NONCE_LEN]; /* our last senderNonce: the next recipNonce */
    X509 *cert;                       /* the certificate sent, for certConf's certHash */
    X509 *signer;                     /* the verified signer of the first request, or NULL */
};

struct cmp_srv_table {
    pthread_mutex_t lock;
    struct cmp_srv_txn **buckets;
    size_t num_buckets; /* a power of 2 */
    size_t count;
    size_t max;
    int64_t timeout;
    uint64_t seed; /* keys the hash, so that a peer cannot aim at one chain */
    struct cmp_srv_txn *lru_head, *lru_tail;
};

/* Results of cmp_srv_txn_begin() and cmp_srv_txn_acquire(). */
enum cmp_srv_txn_result {
    CMP_SRV_TXN_OK = 0,
    CMP_SRV_TXN_IN_USE,   /* begin: the transactionID names an open transaction */
    CMP_SRV_TXN_UNKNOWN,  /* acquire: no open transaction has it */
    CMP_SRV_TXN_BUSY,     /* acquire: another request of it is being handled */
    CMP_SRV_TXN_FULL,     /* begin: the table is full of busy transactions */
    CMP_SRV_TXN_TOO_LONG, /* the transactionID is longer than CMP_SRV_MAX_TID_LEN */
    CMP_SRV_TXN_NOMEM
};

/* cmp_srv_table_init(): an empty table of at most |max| transactions. */
int cmp_srv_table_init(struct cmp_srv_table *t, size_t max, int64_t timeout) CMP_MUST_CHECK;

/* cmp_srv_table_cleanup() frees every transaction (none may be busy). */
void cmp_srv_table_cleanup(struct cmp_srv_table *t);

/*
 * cmp_srv_txn_begin() opens a transaction for |tid| at time |now| and
 * returns it busy in |*out| (CMP_SRV_TXN_OK). Expired transactions are
 * dropped first; when the table is full the least recently used idle one
 * is dropped (|*out_evicted| set, for the log).
 */
int cmp_srv_txn_begin(struct cmp_srv_table *t, const struct der_in *tid, int64_t now,
                      struct cmp_srv_txn **out, int *out_evicted);

/* cmp_srv_txn_acquire() finds the open transaction |tid| and marks it busy. */
int cmp_srv_txn_acquire(struct cmp_srv_table *t, const struct der_in *tid, int64_t now,
                        struct cmp_srv_txn **out);

/*
 * cmp_srv_txn_release() ends the handling of a request: with |keep| the
 * transaction stays open (idle, deadline renewed), else it is removed and
 * freed. NULL does nothing.
 */
void cmp_srv_txn_release(struct cmp_srv_table *t, struct cmp_srv_txn *txn, int keep, int64_t now);

/* cmp_srv_table_count() is the number of open transactions (for tests and the log). */
size_t cmp_srv_table_count(struct cmp_srv_table *t);

/* ================= the engine (engine.c) ================= */

/* A certificate list as DER owned by the engine, which response bodies borrow. */
struct cmp_srv_certs {
    size_t num;
    struct der_in *items; /* into buf */
    uint8_t *buf;
};

/* One decoded certificate and the exact DER it was decoded from (engine.c). */
struct cmp_srv_decoded {
    uint64_t hash; /* of der */
    uint8_t *der;  /* owned; NULL: the slot is free */
    size_t len;
    X509 *cert;    /* owned; handed out up-referenced */
    int used;      /* clock reference bit: used since the hand last passed */
};

struct cmp_srv {
    /* configuration (own copies and references) */
    struct cmp_srv_config cfg;
    char *ref;
    uint8_t *secret;
    size_t secret_len;
    /*
     * The PBM key of our responses, derived once with one random salt: a
     * response then costs one HMAC instead of 500 hashes. (RFC 4211 4.4 asks
     * for a salt, not a new one per message; the requests' MACs are still
     * derived per message, with the client's salt.)
     */
    int has_pbm_key;
    uint8_t pbm_salt[CMP_PBM_MAX_SALT_LEN];
    size_t pbm_salt_len;
    uint8_t pbm_key[EVP_MAX_MD_SIZE];
    size_t pbm_key_len;
    int failbits;            /* -failure / -failurebits resolved */
    struct cmp_vfy_opts vfy; /* what every request is checked against */

    /* precomputed DER */
    uint8_t *sender_buf;     /* our sender: directoryName of cfg.cert's subject, */
    struct cmp_gname sender; /* or the NULL-DN without a certificate */
    uint8_t *skid;           /* SKID of cfg.cert: senderKID of signed responses */
    size_t skid_len;
    uint8_t *rsp_cert_der; /* cfg.rsp_cert */
    size_t rsp_cert_len;
    uint8_t *rsp_issuer; /* its issuer Name and serial (INTEGER contents) */
    size_t rsp_issuer_len;
    uint8_t *rsp_serial;
    size_t rsp_serial_len;
    struct cmp_srv_certs capubs;    /* cfg.rsp_capubs */
    struct cmp_srv_certs extra;     /* cfg.rsp_extracerts */
    struct cmp_srv_certs sig_plain; /* extraCerts of signed responses: cfg.cert and chain */
    struct cmp_srv_certs sig_extra; /* the same followed by cfg.rsp_extracerts */
    uint64_t fuzz_counter; /* CMP_FUZZ: deterministic nonces and transactionIDs */

    struct cmp_srv_table table;

    /* intermediates learned from requests (CMP_SRV_CERT_CACHE_MAX, oldest first) */
    pthread_mutex_t cache_lock;
    int cache_lock_ready;
    STACK_OF(X509) *cache;

    /* certificates decoded from requests, by DER (CMP_SRV_DECODED_MAX) */
    pthread_mutex_t dec_lock;
    int dec_lock_ready;
    struct cmp_srv_decoded decoded[CMP_SRV_DECODED_MAX];
    size_t dec_hand; /* the clock's hand */
};

/*
 * The request being handled: the decoded request, the response being built
 * and what the responder decided. Lives on the stack of cmp_srv_handle().
 */
struct cmp_srv_req {
    struct cmp_srv *srv;
    const struct cmp_msg *req;    /* NULL if the request could not be decoded */
    const struct cmp_header *hdr; /* its header, or what was salvaged; may be NULL */
    int mac;                      /* the request's protectionAlg: 0 none or a signature,
                                   * 1 PBM, 2 PBMAC1 */
    struct cmp_msg *rsp;
    struct cmp_srv_txn *txn; /* the transaction, held busy; NULL if none */
    int txn_open;            /* txn was open before this request (not begun by it) */
    int authenticated;       /* the request passed cmp_vfy_msg() */
    X509 *signer;            /* verified signer of this request, owned; or NULL */
    int64_t now;
    char tid_hex[CMP_SRV_TID_HEX_LEN];

    /* set by the responder */
    int keep;              /* the transaction stays open (certConf or pollReq expected) */
    int implicit_granted;  /* put implicitConfirm into the response header */
    int negative;          /* a negative response: unprotected with -send_unprot_err */
    int with_extra;        /* add -rsp_extracerts to extraCerts */
    const char *fail_text; /* statusString of the error message, if not the default
                            * for its failure bit (a constant: nothing of the request) */
};

/*
 * cmp_srv_log() formats a line for the log callback if |level| is within the
 * configured verbosity, prefixed with the request's transactionID.
 */
void cmp_srv_log(const struct cmp_srv *srv, const char *tid_hex, int level, const char *fmt, ...)
    CMP_PRINTF(4, 5);

/* cmp_srv_log_err() logs a failure record in full (outermost context first). */
void cmp_srv_log_err(const struct cmp_srv *srv, const char *tid_hex, int level, const char *what,
                     const struct cmp_err *err);

/*
 * cmp_srv_status_set() fills |si| with |status|, the failure bits |bits|
 * (none if 0) and a statusString |text| (none if NULL; the text's bytes
 * must outlive |si|). The string list is allocated (cmp_pkistatus_cleanup).
 */
int cmp_srv_status_set(struct cmp_pkistatus *si, int64_t status, uint64_t bits,
                       const char *text) CMP_MUST_CHECK;

/*
 * cmp_srv_certs_attach() points |dst| (a response's caPubs or extraCerts) at
 * the engine's DER; the slice array is allocated (cmp_certs_cleanup).
 */
int cmp_srv_certs_attach(struct cmp_certs *dst, const struct cmp_srv_certs *src) CMP_MUST_CHECK;

/* ================= the mock responder (mock.c) ================= */

/*
 * Each fills r->rsp's body (and r->keep, r->implicit_granted, r->negative,
 * r->with_extra, r->txn's state) for a request that passed the checks of
 * cmp_vfy_msg(), or fails with |err| (and its PKIFailureInfo bit), which the
 * engine turns into an error message.
 */
int cmp_srv_mock_cert_request(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_mock_rr(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_mock_genm(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_mock_error(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_mock_certconf(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_mock_pollreq(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;

#endif
