/*
 * The server engine's internals: the transaction table (txn.c), the
 * certificate cache (certcache.c), the request being handled and the state
 * table that drives it (engine.c), and the mock responder (mock.c), one
 * responder behind the public interface of cmpkit/server.h.
 */
#ifndef CMPKIT_SERVER_INTERNAL_H
#define CMPKIT_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
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
/* PBM keys of responder secrets kept (struct cmp_srv pbm_keys). */
#define CMP_SRV_PBM_KEYS 32
/* Room for a transactionID in hex in log lines. */
#define CMP_SRV_TID_HEX_LEN (2 * CMP_SRV_MAX_TID_LEN + 4)

/* ================= transactions (txn.c) ================= */

/*
 * Where a transaction stands, as bits: which requests may come next. Only
 * the engine's state table (engine.c) changes it; 0: the transaction ends.
 */
enum cmp_srv_txn_state {
    CMP_SRV_TXN_NEW = 1 << 0,       /* its first request is being handled */
    CMP_SRV_TXN_WAIT_CONF = 1 << 1, /* certificates were sent: certConf expected */
    CMP_SRV_TXN_POLLING = 1 << 2    /* 'waiting' was sent: pollReq expected */
};

/*
 * Who opened a transaction (RFC 9810 5.1.3): the authenticated sender. For
 * MAC-based protection its senderKID (the reference of the secret; SHA-256
 * of it when longer than the room here), for a signature the SHA-256
 * fingerprint of the signer certificate; requests let through without
 * protection (-accept_unprotected) all count as one sender.
 */
#define CMP_SRV_SENDER_ID_MAX 32
struct cmp_srv_sender_id {
    int kind; /* enum cmp_srv_auth */
    size_t len;
    uint8_t id[CMP_SRV_SENDER_ID_MAX];
};

struct cmp_srv_sender; /* txn.c: a sender's open transactions */
struct cmp_srv_txn;

/* A list of transactions, least recently used first, and a transaction's place in one. */
struct cmp_srv_txn_list {
    struct cmp_srv_txn *head, *tail;
};
struct cmp_srv_txn_link {
    struct cmp_srv_txn *prev, *next;
};

/*
 * One open transaction. The table fields are the table's (under its lock);
 * the state belongs to the thread that holds the transaction (busy), which
 * is the only one to read or write it until cmp_srv_txn_release().
 */
struct cmp_srv_txn {
    /* table */
    struct cmp_srv_txn *hnext;               /* hash chain */
    struct cmp_srv_txn_link lru;             /* in the table's list */
    struct cmp_srv_sender *owner;            /* the sender that opened it */
    struct cmp_srv_txn_link own;             /* in the owner's list */
    int busy;                                /* a thread is handling a request of it */
    int64_t deadline;                        /* expires after this (seconds) */
    uint8_t tid[CMP_SRV_MAX_TID_LEN];
    size_t tid_len;

    /* state */
    int state;                        /* enum cmp_srv_txn_state bits */
    int first_type;                   /* the body type that began it */
    size_t num_reqs;                  /* CertReqMsgs or RevDetails of that request */
    int implicit_confirm;             /* that request asked for implicit confirmation */
    int64_t check_after;              /* extends the deadline while polling */
    uint8_t nonce[CMP_SRV_NONCE_LEN]; /* our last senderNonce: the next recipNonce */
    X509 *signer;                     /* the verified signer of the first request, or NULL */
    struct cmp_vfy_issued *issued;    /* certificates sent, awaiting certConf: each one's DER
                                       * (malloc()ed) and X509 reference (or NULL) owned */
    size_t num_issued;
    int64_t *waiting;                 /* certReqIds (-1: the whole answer) awaiting pollReq */
    size_t num_waiting;
    int delayed_type;                 /* the request whose whole answer waits (rr, genm,
                                       * certConf); 0: none */
    void *data;                       /* the responder's (responder->txn_free) */
};

struct cmp_srv_table {
    pthread_mutex_t lock;
    struct cmp_srv_txn **buckets;
    size_t num_buckets; /* a power of 2 */
    size_t count;
    size_t max;
    size_t per_sender; /* open transactions one sender may hold */
    int64_t timeout;
    uint64_t seed; /* keys the hash, so that a peer cannot aim at one chain */
    struct cmp_srv_txn_list lru;     /* every transaction, least recently used first */
    struct cmp_srv_sender **senders; /* senders with open transactions, by keyed hash */
    size_t num_sender_buckets;       /* a power of 2 */
    size_t num_senders;
    /* frees a transaction's responder data (outside the lock); may be NULL */
    void (*free_data)(void *arg, void *data);
    void *free_arg;
};

/* Results of cmp_srv_txn_begin() and cmp_srv_txn_acquire(). */
enum cmp_srv_txn_result {
    CMP_SRV_TXN_OK = 0,
    CMP_SRV_TXN_IN_USE,      /* begin: the transactionID names an open transaction */
    CMP_SRV_TXN_UNKNOWN,     /* acquire: no open transaction of this sender has it */
    CMP_SRV_TXN_BUSY,        /* acquire: another request of it is being handled */
    CMP_SRV_TXN_FULL,        /* begin: the table is full of busy transactions */
    CMP_SRV_TXN_SENDER_FULL, /* begin: the sender holds its share, all of them busy */
    CMP_SRV_TXN_TOO_LONG,    /* the transactionID is longer than CMP_SRV_MAX_TID_LEN */
    CMP_SRV_TXN_NOMEM
};

/* What cmp_srv_txn_begin() dropped to make room, for the log. */
enum cmp_srv_txn_evicted {
    CMP_SRV_EVICTED_NONE = 0,
    CMP_SRV_EVICTED_OWN,     /* the sender's own least recently used idle transaction */
    CMP_SRV_EVICTED_HEAVIEST /* the table was full: one of the sender holding the most */
};

/*
 * cmp_srv_table_init(): an empty table of at most |max| transactions, at
 * most |per_sender| of them opened by one sender; |free_data| (may be NULL)
 * frees the responder data of each one that ends.
 */
int cmp_srv_table_init(struct cmp_srv_table *t, size_t max, size_t per_sender, int64_t timeout,
                       void (*free_data)(void *arg, void *data), void *free_arg) CMP_MUST_CHECK;

/* cmp_srv_table_cleanup() frees every transaction (none may be busy). */
void cmp_srv_table_cleanup(struct cmp_srv_table *t);

/*
 * cmp_srv_txn_begin() opens a transaction for |tid|, owned by |sender|, at
 * time |now| and returns it busy in |*out| (CMP_SRV_TXN_OK). |signer| (may
 * be NULL) is the verified signer of its first request: the transaction
 * takes a reference, which never changes afterwards. Expired
 * transactions are dropped first. When the sender holds its share already,
 * its own least recently used idle transaction is dropped; when the table
 * is full, that of the sender holding the most (so one sender never drops
 * the transactions of another that holds fewer). |*out_evicted| says which
 * (enum cmp_srv_txn_evicted), for the log.
 */
int cmp_srv_txn_begin(struct cmp_srv_table *t, const struct der_in *tid,
                      const struct cmp_srv_sender_id *sender, X509 *signer, int64_t now,
                      struct cmp_srv_txn **out, int *out_evicted);

/*
 * cmp_srv_txn_acquire() finds the open transaction |tid| of |sender| and
 * marks it busy. One opened by another sender is CMP_SRV_TXN_UNKNOWN to
 * it, and stays as it is.
 */
int cmp_srv_txn_acquire(struct cmp_srv_table *t, const struct der_in *tid,
                        const struct cmp_srv_sender_id *sender, int64_t now,
                        struct cmp_srv_txn **out);

/*
 * cmp_srv_txn_peek_signer() returns a new reference to the verified signer
 * of the open transaction |tid| (NULL if there is none, or no such
 * transaction), without holding the transaction: a request of it is
 * checked against that certificate first (RFC 9483 3.3: later messages may
 * leave out extraCerts) before anything of the transaction is looked at.
 */
X509 *cmp_srv_txn_peek_signer(struct cmp_srv_table *t, const struct der_in *tid);

/*
 * cmp_srv_txn_release() ends the handling of a request: with |keep| the
 * transaction stays open (idle, deadline renewed), else it is removed and
 * freed. NULL does nothing.
 */
void cmp_srv_txn_release(struct cmp_srv_table *t, struct cmp_srv_txn *txn, int keep, int64_t now);

/* cmp_srv_table_purge() drops the idle transactions past their deadline. */
void cmp_srv_table_purge(struct cmp_srv_table *t, int64_t now);

/* cmp_srv_issued_free() frees |num| entries of a transaction's issued list and the list. */
void cmp_srv_issued_free(struct cmp_vfy_issued *issued, size_t num);

/* cmp_srv_table_count() is the number of open transactions (for tests and the log). */
size_t cmp_srv_table_count(struct cmp_srv_table *t);

/* cmp_srv_table_sender_count() is the number of transactions |sender| holds open (for tests). */
size_t cmp_srv_table_sender_count(struct cmp_srv_table *t, const struct cmp_srv_sender_id *sender);

/*
 * cmp_srv_hash() is the keyed hash of the engine's tables (FNV-1a seeded
 * with |seed|, then a 64-bit mixer): with a random seed a peer cannot pick
 * inputs that land in one chain.
 */
uint64_t cmp_srv_hash(uint64_t seed, const uint8_t *p, size_t len);

/* ================= the replay cache (replay.c) ================= */

/*
 * The senderNonces of the requests that passed authentication, with their
 * transactionIDs, each kept until the messageTime window of its request has
 * closed (RFC 9810 5.1.1:
 * "The senderNonce and recipNonce fields protect the PKIMessage against
 * replay attacks"). Bounded: at most |cap| nonces, the oldest forgotten
 * first; a nonce is kept as a 64-bit keyed hash, in a table keyed with a
 * random seed, so that a peer can aim neither at a chain nor at another's
 * nonce. Safe under concurrent requests.
 */
struct cmp_srv_replay_ent {
    uint64_t fp;     /* keyed hash of the nonce */
    int64_t expires; /* seconds: forgotten after this */
    uint32_t next;   /* chain: slot + 1, 0 none */
    uint32_t used;   /* the slot holds a nonce */
};

struct cmp_srv_replay {
    pthread_mutex_t lock;
    int lock_ready;
    uint64_t seed;
    struct cmp_srv_replay_ent *ring; /* cap slots, filled in order, the oldest reused first */
    uint32_t *buckets;               /* slot + 1, 0 none */
    size_t cap, mask, next;
    uint64_t forgotten_early; /* nonces dropped before they expired (the cache was full) */
};

/* cmp_srv_replay_init() makes an empty cache of |cap| nonces; 0 if out of memory. */
int cmp_srv_replay_init(struct cmp_srv_replay *rc, size_t cap) CMP_MUST_CHECK;

/* cmp_srv_replay_cleanup() frees |rc|. Safe on a zeroed one. */
void cmp_srv_replay_cleanup(struct cmp_srv_replay *rc);

/*
 * cmp_srv_replay_check() remembers |nonce| with the transactionID |tid|
 * until |expires| and returns 1, or returns 0 if the pair was seen already
 * and has not expired by |now| (a replay). |*out_forgotten| (may be NULL)
 * gets the number of nonces dropped before their time since the last call
 * that reported them.
 */
int cmp_srv_replay_check(struct cmp_srv_replay *rc, const struct der_in *tid,
                         const struct der_in *nonce, int64_t expires, int64_t now,
                         uint64_t *out_forgotten);

/* ================= the certificate cache (certcache.c) ================= */

/* One decoded certificate and the exact DER it was decoded from. */
struct cmp_srv_decoded {
    uint64_t hash; /* of der */
    uint8_t *der;  /* owned; NULL: the slot is free */
    size_t len;
    X509 *cert;    /* owned; handed out up-referenced */
    int used;      /* clock reference bit: used since the hand last passed */
};

/*
 * What the engine keeps of the certificates requests bring: the decoded
 * ones by DER (CMP_SRV_DECODED_MAX), and the CA certificates learned as
 * intermediates (CMP_SRV_CERT_CACHE_MAX, oldest first). Safe under
 * concurrent requests.
 */
struct cmp_srv_cert_cache {
    pthread_mutex_t learned_lock;
    int learned_lock_ready;
    STACK_OF(X509) * learned;

    pthread_mutex_t dec_lock;
    int dec_lock_ready;
    struct cmp_srv_decoded decoded[CMP_SRV_DECODED_MAX];
    size_t dec_hand; /* the clock's hand */
};

/* cmp_srv_cert_cache_init() makes |c| empty; 0 if out of memory. */
int cmp_srv_cert_cache_init(struct cmp_srv_cert_cache *c) CMP_MUST_CHECK;

/* cmp_srv_cert_cache_cleanup() frees what |c| holds. Safe on a zeroed one. */
void cmp_srv_cert_cache_cleanup(struct cmp_srv_cert_cache *c);

/*
 * cmp_srv_cert_cache_untrusted() returns the intermediates a request is
 * checked with: |untrusted| (-srv_untrusted) and those learned. A new stack
 * (up-referenced) or NULL if there are none.
 */
STACK_OF(X509) * cmp_srv_cert_cache_untrusted(struct cmp_srv_cert_cache *c,
                                              STACK_OF(X509) * untrusted);

/*
 * cmp_srv_cert_cache_msg_certs() decodes the extraCerts of a request
 * through the cache: a new stack, or NULL if there are none, one is not a
 * certificate or memory ran out (cmp_vfy_msg() then decodes them itself
 * and reports the problem).
 */
STACK_OF(X509) * cmp_srv_cert_cache_msg_certs(struct cmp_srv_cert_cache *c,
                                              const struct cmp_msg *msg);

/*
 * cmp_srv_cert_cache_decode() decodes one certificate (DER) through the
 * cache: a new reference, or NULL if it is not one.
 */
X509 *cmp_srv_cert_cache_decode(struct cmp_srv_cert_cache *c, const uint8_t *der, size_t len);

/*
 * cmp_srv_cert_cache_learn() keeps the CA certificates among the extraCerts
 * of an authenticated request as intermediates for the requests to come.
 * |decoded| is cmp_srv_cert_cache_msg_certs()'s result, or NULL. With
 * |path_of| (-no_cache_extracerts), only those that chain |path_of|, the
 * request's validated signer, to its issuers: openssl 3.3+'s mock then still
 * caches what validated the sender, and a later request of the same signer
 * without extraCerts validates again through them.
 */
void cmp_srv_cert_cache_learn(struct cmp_srv_cert_cache *c, const struct cmp_msg *msg,
                              X509 *path_of, STACK_OF(X509) * decoded);

/* ================= the engine (engine.c) ================= */

/* A certificate list as DER owned by its holder, which responses borrow. */
struct cmp_srv_certs {
    size_t num;
    struct der_in *items; /* into buf */
    uint8_t *buf;
};

/*
 * The log lines of refusals, per cause (the PKIFailureInfo bit answered;
 * the last one for cmp_srv_refuse()): at most CMP_SRV_LOG_BURST lines of a
 * cause per CMP_SRV_LOG_WINDOW seconds, then one line with the number of
 * those left out, so that a flood of bad requests cannot flood the log.
 */
#define CMP_SRV_LOG_BURST 10
#define CMP_SRV_LOG_WINDOW 10
#define CMP_SRV_LOG_CAUSES (CMP_FI_MAX + 2)
#define CMP_SRV_LOG_CAUSE_REFUSED (CMP_FI_MAX + 1)
struct cmp_srv_log_limit {
    pthread_mutex_t lock;
    int lock_ready;
    int64_t window_start[CMP_SRV_LOG_CAUSES];
    unsigned lines[CMP_SRV_LOG_CAUSES];
    unsigned long suppressed[CMP_SRV_LOG_CAUSES];
};

/*
 * cmp_srv_log_allowed() is 1 if a line of |cause| may be logged at |now|;
 * |*out_suppressed| then gets the number of lines of that cause left out
 * since the last one logged.
 */
int cmp_srv_log_allowed(struct cmp_srv_log_limit *ll, int cause, int64_t now,
                        unsigned long *out_suppressed);

struct cmp_srv {
    /* configuration (own copies and references) */
    struct cmp_srv_config cfg;
    char *ref;
    uint8_t *secret;
    size_t secret_len;
    /*
     * The PBM key of our responses, derived once with one random salt (on
     * first use, under pbm_lock: own_pbm_key()): a response then costs one
     * HMAC instead of 500 hashes. (RFC 4211 4.4 asks for a salt, not a new
     * one per message; the requests' MACs are still derived per message,
     * with the client's salt.)
     */
    int has_pbm_key;
    uint8_t pbm_salt[CMP_PBM_MAX_SALT_LEN];
    size_t pbm_salt_len;
    uint8_t pbm_key[EVP_MAX_MD_SIZE];
    size_t pbm_key_len;
    struct cmp_vfy_opts vfy; /* what every request is checked against */
    /*
     * The PBM keys of responses protected with responders' secrets
     * (find_secret), derived once per secret as the one above, found by
     * the SHA-256 of the secret; replaced in turn. Wiped with the engine.
     */
    pthread_mutex_t pbm_lock;
    int pbm_lock_ready;
    struct cmp_srv_pbm_key {
        uint8_t id[32]; /* SHA-256 of the secret; all zero: empty */
        uint8_t salt[CMP_PBM_MAX_SALT_LEN];
        size_t salt_len;
        uint8_t key[EVP_MAX_MD_SIZE];
        size_t key_len;
    } pbm_keys[CMP_SRV_PBM_KEYS];
    size_t pbm_next;
    struct cmp_vfy_req_rules rules; /* and the rules of RFC 9483 for requests */

    /* the responder (the mock unless cfg.responder was given) */
    struct cmp_srv_responder responder;
    int has_responder; /* responder.free is due */

    /* precomputed DER */
    uint8_t *sender_buf;     /* our sender: directoryName of cfg.cert's subject, */
    struct cmp_gname sender; /* or the NULL-DN without a certificate */
    uint8_t *skid;           /* SKID of cfg.cert: senderKID of signed responses */
    size_t skid_len;
    struct cmp_srv_certs sig_plain; /* extraCerts of signed responses: cfg.cert and chain */
    uint64_t fuzz_counter;          /* CMP_FUZZ: deterministic nonces and transactionIDs */

    struct cmp_srv_table table;
    struct cmp_srv_cert_cache certs;
    struct cmp_srv_replay replay;
    struct cmp_srv_log_limit log_limit;
};

/*
 * The request being handled: the decoded request, the transaction, what the
 * responder answered and the response being built. Lives on the stack of
 * cmp_srv_handle().
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
    int first;               /* it is the first message of a transaction */
    int authenticated;       /* the request passed cmp_vfy_msg() */
    int auth;                /* enum cmp_srv_auth: how */
    X509 *signer;            /* verified signer of this request, owned; or NULL */
    int vouched;             /* its secret or signer came from the responder (find_*) */
    uint8_t *secret;         /* the responder's secret for its senderKID (owned, wiped), */
    size_t secret_len;       /* which also protects the response; NULL: -srv_secret */
    X509 *tls_client_cert;   /* the TLS client's verified certificate, borrowed; or NULL */
    struct cmp_srv_sender_id sender; /* who sent it, once authenticated */
    int txn_checked;                 /* it passed the checks of its open transaction (recipNonce) */
    int replayed;                    /* its senderNonce was seen before (a replay) */
    int fail_bit;                    /* the failure bit of the error answered; -1 none */
    int undecodable;                 /* the request did not decode */
    int quiet;                       /* its error lines were left out of the log (rate limit) */
    int64_t now;
    char tid_hex[CMP_SRV_TID_HEX_LEN];

    /* the responder's turn */
    struct cmp_srv_call call;
    struct cmp_srv_answer answer;
    struct cmp_srv_cert_req *cert_reqs; /* the requests given to cert_request (owned) */
    struct cmp_err *popo_errs;          /* and why their POPO failed (owned) */
    size_t num_cert_reqs;
    void *views;             /* the other requests shown to the responder (owned) */
    struct cmp_srv_der *ders; /* errorDetails shown to it (owned) */
    int called;              /* a callback returned 1: the responder's commit is due */

    /*
     * What becomes of the transaction: set by the step, applied by the
     * driver. With set_issued, new_issued replaces txn->issued (each
     * certificate its own reference); with set_waiting, new_waiting
     * replaces txn->waiting.
     */
    int next_state; /* enum cmp_srv_txn_state bits; 0: it ends */
    int set_issued;
    struct cmp_vfy_issued *new_issued; /* owned */
    size_t num_new_issued;
    int set_waiting;
    int64_t *new_waiting; /* owned */
    size_t num_new_waiting;
    int delayed_type; /* with set_waiting: the request whose whole answer now waits, or 0 */
    int64_t check_after; /* while polling */

    /* the response */
    int implicit_granted;  /* put implicitConfirm into the response header */
    int negative;          /* a negative response: unprotected with -send_unprot_err */
    const char *fail_text; /* statusString of the error message, if not the default
                            * for its failure bit (a constant: nothing of the request) */
};

/*
 * cmp_srv_log() formats a line for the log callback if |level| is within the
 * configured verbosity, prefixed with the request's transactionID.
 */
void cmp_srv_log(const struct cmp_srv *srv, const char *tid_hex, int level, const char *fmt, ...)
    CMP_PRINTF(4, 5);
void cmp_srv_vlog(const struct cmp_srv *srv, const char *tid_hex, int level, const char *fmt,
                  va_list ap) CMP_PRINTF(4, 0);

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

/* cmp_srv_certs_from_stack() encodes |sk| (may be NULL) into |dst|. */
int cmp_srv_certs_from_stack(struct cmp_srv_certs *dst, STACK_OF(X509) * sk,
                             struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_srv_certs_cleanup() frees |c|'s DER. Safe on a zeroed one. */
void cmp_srv_certs_cleanup(struct cmp_srv_certs *c);

/* ================= the responder's turn (answer.c) ================= */

/*
 * Each shows the request to the responder (the views of cmpkit/server.h),
 * calls its callback and makes r->rsp's body from the answer, recording in
 * r what becomes of the transaction. ir/cr/kur/p10cr (after the step's
 * check filled r->cert_reqs' POPO results), rr, genm, pollReq, certConf,
 * error.
 */
int cmp_srv_answer_certs(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_answer_rr(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_answer_genm(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_answer_poll(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_answer_certconf(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_srv_answer_error(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_srv_call_init() fills r->call for the request (and its transaction);
 * cmp_srv_cert_req_views() fills r->cert_reqs' views of an ir/cr/kur/p10cr
 * (all but the POPO results), as the responder sees them.
 */
void cmp_srv_call_init(struct cmp_srv_req *r);
int cmp_srv_cert_req_views(struct cmp_srv_req *r, struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_srv_answer_cleanup() frees what the responder's turn left in |r|. */
void cmp_srv_answer_cleanup(struct cmp_srv_req *r);

/* ================= the mock's support messages (mock_support.c) ================= */

/*
 * What the mock answers to the genm support messages (RFC 9483 4.3), as
 * openssl 3.6's mock (apps/lib/cmp_mock_srv.c): every answer's DER made
 * once from the configuration; the answers point into it (read-only, so
 * shared by all threads).
 */
struct cmp_srv_mock_support {
    struct cmp_srv_itav ca_certs;      /* caCerts: -rsp_capubs, or no value */
    struct cmp_srv_itav root_update;   /* rootCaKeyUpdate with -rsp_newwithnew..., or no value */
    struct cmp_srv_itav no_root_update; /* rootCaKeyUpdate without a value */
    struct cmp_srv_itav req_template;  /* certReqTemplate */
    struct cmp_srv_itav crls;          /* crls: -rsp_crl */
    struct cmp_srv_itav no_crls;       /* crls without a value */
    X509_NAME *new_root_subject;       /* of -rsp_newwithnew; NULL without */
    struct der_in crl_issuer;          /* Name DER of -rsp_crl's issuer; len 0 without */
    int64_t crl_this_update;           /* of -rsp_crl */
    uint8_t *buf[5];                   /* the DER the answers point into */
};

/*
 * cmp_srv_mock_support_init() makes the answers from |cfg| (-rsp_capubs as
 * |ca_pubs|, the issuer Name DER of -rsp_cert as |ref_issuer|, len 0 if
 * none). Zeroes |s| first; on failure the caller still cleans it up.
 */
int cmp_srv_mock_support_init(struct cmp_srv_mock_support *s, const struct cmp_srv_config *cfg,
                              const struct cmp_srv_certs *ca_pubs, const struct der_in *ref_issuer,
                              struct cmp_err *err) CMP_MUST_CHECK;
void cmp_srv_mock_support_cleanup(struct cmp_srv_mock_support *s);

/*
 * cmp_srv_mock_support_answer() answers a genm with the one ITAV |req|:
 * sets a->itavs (one ITAV) for the support types and echoes any other
 * type. Fails (badRequest, badDataFormat) for a request openssl's mock
 * refuses: a crlStatusList not of one CRLStatus, of an issuer other than
 * -rsp_crl's, of a GeneralName other than a directoryName.
 */
int cmp_srv_mock_support_answer(const struct cmp_srv_mock_support *s,
                                const struct cmp_srv_call *call, const struct cmp_srv_itav *req,
                                struct cmp_srv_answer *a, struct cmp_err *err) CMP_MUST_CHECK;

/* ================= the mock responder (mock.c) ================= */

/*
 * cmp_srv_mock_new() fills |out| with the mock responder for |cfg| (the
 * engine's own copy): what the `openssl cmp` 3.0 mock server answers. Its
 * arg holds its own references and is freed by out->free.
 */
int cmp_srv_mock_new(struct cmp_srv_responder *out, const struct cmp_srv_config *cfg,
                     struct cmp_err *err) CMP_MUST_CHECK;

#endif
