/*
 * The CA's store interface: what the CA remembers, behind a table of
 * function pointers so that the CA logic (the other files of lib/ca) holds no SQL and a
 * PostgreSQL store can follow the SQLite one (store_sqlite.c).
 *
 * What a store must guarantee:
 *
 * - Each call that changes something is atomic (all of it or nothing) and
 *   committed durably (on disk, not in a cache) before it returns; a store
 *   may commit the changes of several concurrent calls in one transaction
 *   (group commit, store_sqlite.c). The CA answers a request
 *   only after the issuance, confirmation or revocation behind the answer
 *   can no longer be lost (a kill -9 or a power cut right after the answer
 *   leaves it in the database).
 * - A change that cannot be made because of the data (a serial that is
 *   already used, a certificate in the wrong state, a one-time secret that
 *   was used) is not an error: the call returns 1, changes nothing and sets
 *   an outcome (enum cmp_ca_outcome), so that the caller can retry with a
 *   new serial or answer the peer (certRevoked, badCertId...). A return of
 *   0 means the store failed (I/O, a corrupt file, out of memory) and |err|
 *   says why; nothing was changed then either.
 * - Calls may come from several threads at once.
 *
 * Records passed in are borrowed for the call. Records passed to a callback
 * borrow the store's memory until the callback returns; the callback must
 * not call the store (cmp_ca_cert_rec_dup() keeps a copy).
 */
#ifndef CMPKIT_CA_STORE_H
#define CMPKIT_CA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "cmpkit/err.h"

/* RFC 5280 4.1.2.2: at most 20 octets; ours are always 20 (issue.c). */
#define CMP_CA_SERIAL_MAX 20
/* SHA-256 of the certificate DER and of the SubjectPublicKeyInfo DER. */
#define CMP_CA_HASH_LEN 32
/* transactionID kept with a certificate (RFC 9483 3.1 asks for 128 bits). */
#define CMP_CA_TID_MAX 64
/* A senderKID naming an enrollment secret, and the secret itself. */
#define CMP_CA_REF_MAX 256
#define CMP_CA_SECRET_MAX 1024
/* Text fields: the printable subject, the requester, a profile name. */
#define CMP_CA_TEXT_MAX 2048
#define CMP_CA_PROFILE_NAME_MAX 64
/* Largest certificate or CRL kept. */
#define CMP_CA_DER_MAX (1u << 20)

/*
 * Where an issued certificate stands. The numbers are stored: never
 * renumber. REJECTED (by certConf or its timeout), REVOKED and SUPERSEDED
 * (by a kur whose profile revokes the old certificate) are all revoked and
 * listed on the CRL, with their reason and time.
 */
enum cmp_ca_status {
    CMP_CA_ST_WAITING = 1,   /* issued, waiting for certConf */
    CMP_CA_ST_CONFIRMED = 2, /* accepted by certConf or implicitly */
    CMP_CA_ST_REJECTED = 3,  /* certConf rejected it, or it timed out */
    CMP_CA_ST_REVOKED = 4,   /* revoked (rr, administrator) */
    CMP_CA_ST_SUPERSEDED = 5 /* replaced by kur and revoked as superseded */
};
#define CMP_CA_ST_MAX 5
#define CMP_CA_ST_BIT(s) (1u << (s))
#define CMP_CA_ST_ON_CRL                                                                           \
    (CMP_CA_ST_BIT(CMP_CA_ST_REJECTED) | CMP_CA_ST_BIT(CMP_CA_ST_REVOKED) |                        \
     CMP_CA_ST_BIT(CMP_CA_ST_SUPERSEDED))

/* What a change did (see above); the call itself returned 1. */
enum cmp_ca_outcome {
    CMP_CA_DONE = 0,
    CMP_CA_CONFLICT,       /* the serial (or secret reference) is already in use */
    CMP_CA_NOT_FOUND,      /* no such certificate or secret */
    CMP_CA_WRONG_STATE,    /* the certificate is not in a state the change starts from */
    CMP_CA_SECRET_UNUSABLE /* the secret expired or its one use is spent */
};

/* No revocation reason recorded (CRLReason values are 0..10, RFC 5280 5.3.1). */
#define CMP_CA_NO_REASON (-1)

/* One issued certificate. */
struct cmp_ca_cert_rec {
    uint8_t serial[CMP_CA_SERIAL_MAX]; /* INTEGER contents, positive */
    size_t serial_len;
    const uint8_t *subject_der; /* Name DER */
    size_t subject_der_len;
    const char *subject; /* "CN=a,O=b": RFC 2253 syntax, certificate order */
    const uint8_t *issuer_der;
    size_t issuer_der_len;
    const uint8_t *cert_der;
    size_t cert_der_len;
    uint8_t cert_hash[CMP_CA_HASH_LEN]; /* SHA-256 of cert_der */
    uint8_t key_hash[CMP_CA_HASH_LEN];  /* SHA-256 of the SubjectPublicKeyInfo DER */
    int status;                         /* enum cmp_ca_status */
    int64_t not_before, not_after;      /* seconds since the epoch */
    const char *profile;
    /* Who asked: "kid:<senderKID hex>", "cert:<issuer>/<serial hex>", or a subject. */
    const char *requester;
    uint8_t tid[CMP_CA_TID_MAX]; /* transactionID */
    size_t tid_len;
    uint8_t old_serial[CMP_CA_SERIAL_MAX]; /* the certificate a kur replaces; len 0 if none */
    size_t old_serial_len;
    int64_t confirm_deadline; /* WAITING until then; 0 if none */
    int rev_reason;           /* CRLReason, or CMP_CA_NO_REASON */
    int64_t rev_time;         /* 0 if not revoked */
    int64_t created;
};

/*
 * Which certificates a listing returns: every field that is set must
 * match (all of them: AND). An empty filter lists everything.
 */
struct cmp_ca_cert_filter {
    unsigned status_mask; /* CMP_CA_ST_BIT()s; 0: any status */
    const uint8_t *serial;
    size_t serial_len; /* 0: any serial */
    const uint8_t *issuer_der;
    size_t issuer_der_len;
    const uint8_t *subject_der; /* exact Name DER */
    size_t subject_der_len;
    const char *subject_contains; /* substring of the printable subject (case as the store) */
    const uint8_t *cert_hash;     /* CMP_CA_HASH_LEN bytes, or NULL */
    const uint8_t *key_hash;      /* CMP_CA_HASH_LEN bytes, or NULL */
    int64_t deadline_before;      /* > 0: only confirm_deadline in 1..deadline_before-1 */
    size_t limit;                 /* 0: no limit (a CRL needs them all) */
};

/*
 * A status change, made only if the certificate is now in one of
 * |from_mask|'s states. With |old_serial| set (a confirmed kur), the old
 * certificate goes from CONFIRMED to |old_to_status| (with |old_reason|)
 * in the same transaction.
 */
struct cmp_ca_status_change {
    const uint8_t *serial;
    size_t serial_len;
    unsigned from_mask;
    int to_status;
    int rev_reason; /* for REJECTED/REVOKED/SUPERSEDED; else CMP_CA_NO_REASON */
    int64_t when;   /* revocation time */
    const uint8_t *old_serial;
    size_t old_serial_len;
    int old_to_status;
    int old_reason;
};

/*
 * An enrollment secret for MAC-protected requests, found by the request's
 * senderKID. The secret is kept as it was given, not as a hash: PBM and
 * PBMAC1 (RFC 4211 4.4, RFC 9481 6.1) derive the MAC key from the secret
 * and the salt that each request brings, so the CA needs the secret itself
 * to check a MAC (a hash of it would be the secret's equal for anyone who
 * reads it). That is why the database file is created 0600 and refused
 * when others can read it (store_sqlite.c), and why one-time secrets with
 * an expiry are the norm: a stolen database yields only unused ones.
 */
struct cmp_ca_secret_rec {
    const uint8_t *ref; /* the senderKID */
    size_t ref_len;
    const uint8_t *secret;
    size_t secret_len;
    int64_t expires; /* 0: never */
    int one_time;    /* good for one issuance */
    int64_t used_at; /* last issuance with it; 0: never used */
    int64_t created;
};

/* With an issuance: the secret it spends (one-time) or marks as used. */
struct cmp_ca_secret_use {
    const uint8_t *ref;
    size_t ref_len;
    int64_t now;
};

struct cmp_ca_store;

typedef int cmp_ca_cert_fn(void *arg, const struct cmp_ca_cert_rec *rec);
typedef int cmp_ca_secret_fn(void *arg, const struct cmp_ca_secret_rec *rec);

struct cmp_ca_store_ops {
    const char *name; /* "sqlite" */
    void (*close)(struct cmp_ca_store *s);
    int (*schema_version)(struct cmp_ca_store *s, int *out, struct cmp_err *err);

    /*
     * insert_cert() records a new certificate; with |use|, in the same
     * transaction, marks that secret used (spends it if one-time).
     * Outcomes: DONE, CONFLICT (the serial is taken), SECRET_UNUSABLE.
     */
    int (*insert_cert)(struct cmp_ca_store *s, const struct cmp_ca_cert_rec *rec,
                       const struct cmp_ca_secret_use *use, int *out_outcome, struct cmp_err *err);
    /*
     * each_cert() calls |fn| for each matching certificate, oldest first,
     * until |fn| returns 0 (which is not an error).
     */
    int (*each_cert)(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f, cmp_ca_cert_fn *fn,
                     void *arg, struct cmp_err *err);
    /*
     * change_status(): outcomes DONE, NOT_FOUND, WRONG_STATE; |*out_prev|
     * gets the status before (0 if not found).
     */
    int (*change_status)(struct cmp_ca_store *s, const struct cmp_ca_status_change *c,
                         int *out_outcome, int *out_prev, struct cmp_err *err);

    /* Enrollment secrets. add: DONE or CONFLICT; remove: DONE or NOT_FOUND. */
    int (*secret_add)(struct cmp_ca_store *s, const struct cmp_ca_secret_rec *rec, int *out_outcome,
                      struct cmp_err *err);
    int (*secret_remove)(struct cmp_ca_store *s, const uint8_t *ref, size_t ref_len,
                         int *out_outcome, struct cmp_err *err);
    /* each_secret() with |ref| set visits at most that one. */
    int (*each_secret)(struct cmp_ca_store *s, const uint8_t *ref, size_t ref_len,
                       cmp_ca_secret_fn *fn, void *arg, struct cmp_err *err);

    /*
     * CRLs. crl_next_number() takes the next CRL number and commits, so a
     * number is never handed out twice (a CRL that then fails to be signed
     * leaves a gap, which RFC 5280 5.2.3 allows: numbers must increase,
     * not be contiguous). crl_save() keeps |der| as the last CRL unless a
     * higher-numbered one is already kept. crl_last() returns a copy
     * (free()) or *out_der NULL when none was saved.
     */
    int (*crl_next_number)(struct cmp_ca_store *s, int64_t *out_number, struct cmp_err *err);
    int (*crl_save)(struct cmp_ca_store *s, int64_t number, int64_t this_update, const uint8_t *der,
                    size_t der_len, struct cmp_err *err);
    int (*crl_last)(struct cmp_ca_store *s, uint8_t **out_der, size_t *out_len, int64_t *out_number,
                    struct cmp_err *err);
};

/* Every store starts with this. */
struct cmp_ca_store {
    const struct cmp_ca_store_ops *ops;
};

/* ---- store_sqlite.c ---- */

struct cmp_ca_sqlite_opts {
    int busy_timeout_ms; /* 0: 5000. How long to wait for another process's lock */
    /*
     * For tests and tools: stop upgrading the schema at this version (0:
     * the newest). A test creates a v1 file with 1, then opens it again to
     * see it upgraded.
     */
    int max_version;
};

/* The newest schema version store_sqlite.c writes. */
#define CMP_CA_SQLITE_SCHEMA_VERSION 2

/*
 * cmp_ca_store_sqlite_open() opens the SQLite database |path|, creating it
 * (mode 0600) when it does not exist, and upgrades its schema. An existing
 * file that the group or others may read or write is refused. libsqlite3
 * is loaded with dlopen() on the first call. Returns a store (close it with
 * cmp_ca_store_close()) or NULL.
 */
struct cmp_ca_store *cmp_ca_store_sqlite_open(const char *path,
                                              const struct cmp_ca_sqlite_opts *opts,
                                              struct cmp_err *err);

/*
 * cmp_ca_store_sqlite_exec() runs SQL statements on the store's
 * connection: for tests (to damage or inspect a database) and tools, never
 * for the CA logic. Returns 1 or 0.
 */
int cmp_ca_store_sqlite_exec(struct cmp_ca_store *s, const char *sql,
                             struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_store_sqlite_check() runs SQLite's integrity check over the whole
 * file: 1 when it reports "ok", else 0 with its first complaint in |err|.
 */
int cmp_ca_store_sqlite_check(struct cmp_ca_store *s, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_store_sqlite_stats(): transactions committed and changes they
 * held since the store was opened (more changes than commits: group
 * commit at work). Returns 0 for a store that is not SQLite.
 */
int cmp_ca_store_sqlite_stats(struct cmp_ca_store *s, uint64_t *out_commits, uint64_t *out_changes);

/* ---- store.c: helpers over any store ---- */

/* cmp_ca_store_close() closes |s|; NULL does nothing. */
void cmp_ca_store_close(struct cmp_ca_store *s);

/*
 * cmp_ca_cert_rec_dup() copies |rec| and everything it points to into one
 * allocation (free it with cmp_ca_cert_rec_free()). Returns NULL when out
 * of memory.
 */
struct cmp_ca_cert_rec *cmp_ca_cert_rec_dup(const struct cmp_ca_cert_rec *rec);
void cmp_ca_cert_rec_free(struct cmp_ca_cert_rec *rec);

/*
 * cmp_ca_store_get_cert() finds the one certificate that matches |f|
 * (its limit is ignored): *out is a copy (cmp_ca_cert_rec_free()) or NULL
 * when there is none. Returns 1, or 0 when the store failed.
 */
int cmp_ca_store_get_cert(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f,
                          struct cmp_ca_cert_rec **out, struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_ca_store_get_secret(): the same for a secret (free with cmp_ca_secret_rec_free()). */
int cmp_ca_store_get_secret(struct cmp_ca_store *s, const uint8_t *ref, size_t ref_len,
                            struct cmp_ca_secret_rec **out, struct cmp_err *err) CMP_MUST_CHECK;
/* Wipes the secret. */
void cmp_ca_secret_rec_free(struct cmp_ca_secret_rec *rec);

/* cmp_ca_status_name() is "waiting", "confirmed"... or NULL. */
const char *cmp_ca_status_name(int status);
/* cmp_ca_status_parse() maps a name back; 0 when unknown. */
int cmp_ca_status_parse(const char *name);
/* cmp_ca_outcome_name() is "done", "conflict"... */
const char *cmp_ca_outcome_name(int outcome);

#endif
