/*
 * The transaction table: open transactions keyed by transactionID (RFC 9810
 * 5.1.1), safe under concurrent cmp_srv_handle() calls. It is bounded
 * (cfg.max_transactions) and idle transactions expire, so a client that
 * never sends its certConf, or a flood of new transactions, cannot make it
 * grow: the oldest idle transaction is dropped to make room.
 *
 * One mutex guards the table. A request holds its transaction "busy" while
 * it is handled (verification and signing happen outside the lock); a busy
 * transaction is never expired, dropped or handed to a second request.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "server/internal.h"

static uint64_t
tid_hash(const struct cmp_srv_table *t, const uint8_t *p, size_t len)
{
    /* FNV-1a, keyed with a random seed and finished with a 64-bit mixer. */
    uint64_t h = 0xcbf29ce484222325u ^ t->seed;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    return h;
}

static struct cmp_srv_txn **
bucket_of(struct cmp_srv_table *t, const uint8_t *p, size_t len)
{
    return &t->buckets[tid_hash(t, p, len) & (t->num_buckets - 1)];
}

static struct cmp_srv_txn *
find(struct cmp_srv_table *t, const struct der_in *tid)
{
    struct cmp_srv_txn *x = *bucket_of(t, tid->p, tid->len);

    for (; x != NULL; x = x->hnext) {
        if (x->tid_len == tid->len && memcmp(x->tid, tid->p, tid->len) == 0) {
            return x;
        }
    }
    return NULL;
}

static void
lru_unlink(struct cmp_srv_table *t, struct cmp_srv_txn *x)
{
    if (x->lru_prev != NULL) {
        x->lru_prev->lru_next = x->lru_next;
    } else {
        t->lru_head = x->lru_next;
    }
    if (x->lru_next != NULL) {
        x->lru_next->lru_prev = x->lru_prev;
    } else {
        t->lru_tail = x->lru_prev;
    }
    x->lru_prev = x->lru_next = NULL;
}

static void
lru_append(struct cmp_srv_table *t, struct cmp_srv_txn *x)
{
    x->lru_prev = t->lru_tail;
    x->lru_next = NULL;
    if (t->lru_tail != NULL) {
        t->lru_tail->lru_next = x;
    } else {
        t->lru_head = x;
    }
    t->lru_tail = x;
}

/*
 * Frees a transaction that left the table, and its responder data: outside
 * the table's lock, as the responder's txn_free may take its own locks.
 */
static void
txn_free(struct cmp_srv_table *t, struct cmp_srv_txn *x)
{
    if (x->data != NULL && t->free_data != NULL) {
        t->free_data(t->free_arg, x->data);
    }
    cmp_srv_issued_free(x->issued, x->num_issued);
    free(x->waiting);
    X509_free(x->signer);
    free(x);
}

/* Frees the transactions unlinked onto |dead| (through hnext). */
static void
free_dead(struct cmp_srv_table *t, struct cmp_srv_txn *dead)
{
    struct cmp_srv_txn *next;

    for (; dead != NULL; dead = next) {
        next = dead->hnext;
        txn_free(t, dead);
    }
}

/* Unlinks |x| from the table and puts it on |*dead|, to be freed after the lock. */
static void
remove_txn(struct cmp_srv_table *t, struct cmp_srv_txn *x, struct cmp_srv_txn **dead)
{
    struct cmp_srv_txn **pp = bucket_of(t, x->tid, x->tid_len);

    while (*pp != NULL && *pp != x) {
        pp = &(*pp)->hnext;
    }
    if (*pp == x) {
        *pp = x->hnext;
    }
    lru_unlink(t, x);
    t->count--;
    x->hnext = *dead;
    *dead = x;
}

/*
 * Drops idle transactions past their deadline. The list is ordered by last
 * use, so the walk stops at the first one used within the timeout (a
 * polling one may live longer by checkAfter; it is skipped until then).
 */
static void
purge_expired(struct cmp_srv_table *t, int64_t now, struct cmp_srv_txn **dead)
{
    struct cmp_srv_txn *x = t->lru_head, *next;

    while (x != NULL) {
        next = x->lru_next;
        if (!x->busy && x->deadline < now) {
            remove_txn(t, x, dead);
        } else if (x->deadline - x->check_after >= now) {
            break;
        }
        x = next;
    }
}

void
cmp_srv_issued_free(struct cmp_vfy_issued *issued, size_t num)
{
    size_t i;

    for (i = 0; issued != NULL && i < num; i++) {
        X509_free(issued[i].cert);
        free((void *)issued[i].der.p); /* the engine's copy (answer.c set_issued()) */
    }
    free(issued);
}

void
cmp_srv_table_purge(struct cmp_srv_table *t, int64_t now)
{
    struct cmp_srv_txn *dead = NULL;

    if (t->buckets == NULL) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    purge_expired(t, now, &dead);
    pthread_mutex_unlock(&t->lock);
    free_dead(t, dead);
}

int
cmp_srv_table_init(struct cmp_srv_table *t, size_t max, int64_t timeout,
                   void (*free_data)(void *arg, void *data), void *free_arg)
{
    size_t n = 16;

    memset(t, 0, sizeof(*t));
    /* about two buckets per transaction */
    while (n < max * 2 && n < ((size_t)1 << 24)) {
        n <<= 1;
    }
    t->buckets = calloc(n, sizeof(*t->buckets));
    if (t->buckets == NULL) {
        return 0;
    }
    if (RAND_bytes((unsigned char *)&t->seed, sizeof(t->seed)) != 1 ||
        pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->buckets);
        t->buckets = NULL;
        return 0;
    }
    t->num_buckets = n;
    t->max = max;
    t->timeout = timeout;
    t->free_data = free_data;
    t->free_arg = free_arg;
    return 1;
}

void
cmp_srv_table_cleanup(struct cmp_srv_table *t)
{
    struct cmp_srv_txn *x, *next;

    if (t->buckets == NULL) {
        return;
    }
    for (x = t->lru_head; x != NULL; x = next) {
        next = x->lru_next;
        txn_free(t, x);
    }
    free(t->buckets);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof(*t));
}

int
cmp_srv_txn_begin(struct cmp_srv_table *t, const struct der_in *tid, int64_t now,
                  struct cmp_srv_txn **out, int *out_evicted)
{
    struct cmp_srv_txn *x, *dead = NULL;
    int rc = CMP_SRV_TXN_OK;

    *out = NULL;
    *out_evicted = 0;
    if (tid->len == 0 || tid->len > CMP_SRV_MAX_TID_LEN) {
        return CMP_SRV_TXN_TOO_LONG;
    }
    pthread_mutex_lock(&t->lock);
    purge_expired(t, now, &dead);
    if (find(t, tid) != NULL) {
        rc = CMP_SRV_TXN_IN_USE;
        goto done;
    }
    if (t->count >= t->max) {
        for (x = t->lru_head; x != NULL && x->busy; x = x->lru_next) {
        }
        if (x == NULL) {
            rc = CMP_SRV_TXN_FULL;
            goto done;
        }
        remove_txn(t, x, &dead);
        *out_evicted = 1;
    }
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        rc = CMP_SRV_TXN_NOMEM;
        goto done;
    }
    memcpy(x->tid, tid->p, tid->len);
    x->tid_len = tid->len;
    x->busy = 1;
    x->state = CMP_SRV_TXN_NEW;
    x->deadline = now + t->timeout;
    x->hnext = *bucket_of(t, x->tid, x->tid_len);
    *bucket_of(t, x->tid, x->tid_len) = x;
    lru_append(t, x);
    t->count++;
    *out = x;

done:
    pthread_mutex_unlock(&t->lock);
    free_dead(t, dead);
    return rc;
}

int
cmp_srv_txn_acquire(struct cmp_srv_table *t, const struct der_in *tid, int64_t now,
                    struct cmp_srv_txn **out)
{
    struct cmp_srv_txn *x, *dead = NULL;
    int rc = CMP_SRV_TXN_OK;

    *out = NULL;
    if (tid->len == 0 || tid->len > CMP_SRV_MAX_TID_LEN) {
        return CMP_SRV_TXN_UNKNOWN;
    }
    pthread_mutex_lock(&t->lock);
    x = find(t, tid);
    if (x == NULL) {
        rc = CMP_SRV_TXN_UNKNOWN;
    } else if (x->busy) {
        rc = CMP_SRV_TXN_BUSY;
    } else if (x->deadline < now) {
        remove_txn(t, x, &dead);
        rc = CMP_SRV_TXN_UNKNOWN;
    } else {
        x->busy = 1;
        *out = x;
    }
    pthread_mutex_unlock(&t->lock);
    free_dead(t, dead);
    return rc;
}

void
cmp_srv_txn_release(struct cmp_srv_table *t, struct cmp_srv_txn *txn, int keep, int64_t now)
{
    struct cmp_srv_txn *dead = NULL;

    if (txn == NULL) {
        return;
    }
    pthread_mutex_lock(&t->lock);
    if (keep) {
        txn->busy = 0;
        if (!(txn->state & CMP_SRV_TXN_POLLING)) {
            txn->check_after = 0;
        }
        txn->deadline = now + t->timeout + txn->check_after;
        lru_unlink(t, txn);
        lru_append(t, txn);
    } else {
        remove_txn(t, txn, &dead);
    }
    pthread_mutex_unlock(&t->lock);
    free_dead(t, dead);
}

size_t
cmp_srv_table_count(struct cmp_srv_table *t)
{
    size_t n;

    pthread_mutex_lock(&t->lock);
    n = t->count;
    pthread_mutex_unlock(&t->lock);
    return n;
}
