/*
 * The transaction table: open transactions keyed by transactionID (RFC 9810
 * 5.1.1), safe under concurrent cmp_srv_handle() calls. It is bounded
 * (cfg.max_transactions) and idle transactions expire, so a client that
 * never sends its certConf, or a flood of new transactions, cannot make it
 * grow: the oldest idle transaction is dropped to make room.
 *
 * Each transaction belongs to the sender that opened it (the authenticated
 * senderKID or signer certificate, struct cmp_srv_sender_id), which holds at
 * most per_sender of them: a sender that wants more loses its own least
 * recently used idle one, and when the table is full the victim is one of
 * the sender holding the most. So one credential cannot push out the
 * transactions of others, and a request of another sender never reaches a
 * transaction it did not open.
 *
 * One mutex guards the table. A request holds its transaction "busy" while
 * it is handled (verification and signing happen outside the lock); a busy
 * transaction is never expired, dropped or handed to a second request.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "server/internal.h"

uint64_t
cmp_srv_hash(uint64_t seed, const uint8_t *p, size_t len)
{
    /* FNV-1a, keyed with a random seed and finished with a 64-bit mixer. */
    uint64_t h = 0xcbf29ce484222325u ^ seed;
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
    return &t->buckets[cmp_srv_hash(t->seed, p, len) & (t->num_buckets - 1)];
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

/* A sender with open transactions, and its own list of them, least recently used first. */
struct cmp_srv_sender {
    struct cmp_srv_sender *hnext;
    struct cmp_srv_sender_id id;
    size_t count;
    struct cmp_srv_txn_list txns; /* its own, least recently used first */
};

static int
sender_eq(const struct cmp_srv_sender_id *a, const struct cmp_srv_sender_id *b)
{
    return a->kind == b->kind && a->len == b->len && memcmp(a->id, b->id, a->len) == 0;
}

static struct cmp_srv_sender **
sender_bucket(struct cmp_srv_table *t, const struct cmp_srv_sender_id *id)
{
    uint8_t buf[1 + CMP_SRV_SENDER_ID_MAX];

    buf[0] = (uint8_t)id->kind;
    memcpy(buf + 1, id->id, id->len);
    /* another seed than the transactionIDs': the two tables do not share chains */
    return &t->senders[cmp_srv_hash(~t->seed, buf, 1 + id->len) & (t->num_sender_buckets - 1)];
}

static struct cmp_srv_sender *
sender_find(struct cmp_srv_table *t, const struct cmp_srv_sender_id *id)
{
    struct cmp_srv_sender *s = *sender_bucket(t, id);

    while (s != NULL && !sender_eq(&s->id, id)) {
        s = s->hnext;
    }
    return s;
}

/* sender_get() finds |id|, or adds it with no transactions; NULL if out of memory. */
static struct cmp_srv_sender *
sender_get(struct cmp_srv_table *t, const struct cmp_srv_sender_id *id)
{
    struct cmp_srv_sender *s = sender_find(t, id), **b;

    if (s != NULL) {
        return s;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->id = *id;
    b = sender_bucket(t, id);
    s->hnext = *b;
    *b = s;
    t->num_senders++;
    return s;
}

/* sender_drop() removes a sender that holds no transaction any more. */
static void
sender_drop(struct cmp_srv_table *t, struct cmp_srv_sender *s)
{
    struct cmp_srv_sender **pp = sender_bucket(t, &s->id);

    while (*pp != NULL && *pp != s) {
        pp = &(*pp)->hnext;
    }
    if (*pp == s) {
        *pp = s->hnext;
    }
    t->num_senders--;
    free(s);
}

/* oldest_idle() is the sender's least recently used transaction that is not busy, or NULL. */
static struct cmp_srv_txn *
oldest_idle(const struct cmp_srv_sender *s)
{
    struct cmp_srv_txn *x = s->txns.head;

    while (x != NULL && x->busy) {
        x = x->own.next;
    }
    return x;
}

/*
 * heaviest_idle() is the oldest idle transaction of the sender that holds
 * the most open transactions (and has an idle one), or NULL. Only when the
 * table is full: a walk over the senders, at most one per transaction.
 */
static struct cmp_srv_txn *
heaviest_idle(const struct cmp_srv_table *t)
{
    struct cmp_srv_txn *best = NULL, *x;
    size_t best_count = 0, i;
    const struct cmp_srv_sender *s;

    for (i = 0; i < t->num_sender_buckets; i++) {
        for (s = t->senders[i]; s != NULL; s = s->hnext) {
            if (s->count > best_count && (x = oldest_idle(s)) != NULL) {
                best = x;
                best_count = s->count;
            }
        }
    }
    return best;
}

/* The link of |x| in one of its two lists. */
enum { IN_TABLE, IN_OWNER };

static struct cmp_srv_txn_link *
link_of(struct cmp_srv_txn *x, int which)
{
    return which == IN_TABLE ? &x->lru : &x->own;
}

static void
list_unlink(struct cmp_srv_txn_list *l, struct cmp_srv_txn *x, int which)
{
    struct cmp_srv_txn_link *k = link_of(x, which);

    if (k->prev != NULL) {
        link_of(k->prev, which)->next = k->next;
    } else {
        l->head = k->next;
    }
    if (k->next != NULL) {
        link_of(k->next, which)->prev = k->prev;
    } else {
        l->tail = k->prev;
    }
    k->prev = k->next = NULL;
}

static void
list_append(struct cmp_srv_txn_list *l, struct cmp_srv_txn *x, int which)
{
    struct cmp_srv_txn_link *k = link_of(x, which);

    k->prev = l->tail;
    k->next = NULL;
    if (l->tail != NULL) {
        link_of(l->tail, which)->next = x;
    } else {
        l->head = x;
    }
    l->tail = x;
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
    list_unlink(&t->lru, x, IN_TABLE);
    if (x->owner != NULL) {
        list_unlink(&x->owner->txns, x, IN_OWNER);
        if (--x->owner->count == 0) {
            sender_drop(t, x->owner);
        }
        x->owner = NULL;
    }
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
    struct cmp_srv_txn *x = t->lru.head, *next;

    while (x != NULL) {
        next = x->lru.next;
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
cmp_srv_table_init(struct cmp_srv_table *t, size_t max, size_t per_sender, int64_t timeout,
                   void (*free_data)(void *arg, void *data), void *free_arg)
{
    size_t n = 16;

    memset(t, 0, sizeof(*t));
    /* about two buckets per transaction, in each table */
    while (n < max * 2 && n < ((size_t)1 << 24)) {
        n <<= 1;
    }
    t->buckets = calloc(n, sizeof(*t->buckets));
    t->senders = calloc(n, sizeof(*t->senders));
    if (t->buckets == NULL || t->senders == NULL ||
        RAND_bytes((unsigned char *)&t->seed, sizeof(t->seed)) != 1 ||
        pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->buckets);
        free(t->senders);
        t->buckets = NULL;
        t->senders = NULL;
        return 0;
    }
    t->num_buckets = n;
    t->num_sender_buckets = n;
    t->max = max;
    t->per_sender = per_sender > 0 && per_sender < max ? per_sender : max;
    t->timeout = timeout;
    t->free_data = free_data;
    t->free_arg = free_arg;
    return 1;
}

void
cmp_srv_table_cleanup(struct cmp_srv_table *t)
{
    struct cmp_srv_txn *x, *next;
    struct cmp_srv_sender *s, *snext;
    size_t i;

    if (t->buckets == NULL) {
        return;
    }
    for (x = t->lru.head; x != NULL; x = next) {
        next = x->lru.next;
        txn_free(t, x);
    }
    for (i = 0; i < t->num_sender_buckets; i++) {
        for (s = t->senders[i]; s != NULL; s = snext) {
            snext = s->hnext;
            free(s);
        }
    }
    free(t->buckets);
    free(t->senders);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof(*t));
}

/*
 * make_room() drops a transaction if the sender |id| holds its share
 * already (its own oldest idle one), then if the table is full (the oldest
 * idle one of the sender holding the most). Under the lock.
 */
static int
make_room(struct cmp_srv_table *t, const struct cmp_srv_sender_id *id, int *out_evicted,
          struct cmp_srv_txn **dead)
{
    struct cmp_srv_sender *s = sender_find(t, id);
    struct cmp_srv_txn *x;

    if (s != NULL && s->count >= t->per_sender) {
        x = oldest_idle(s);
        if (x == NULL) {
            return CMP_SRV_TXN_SENDER_FULL;
        }
        remove_txn(t, x, dead); /* may free |s| */
        *out_evicted = CMP_SRV_EVICTED_OWN;
    }
    if (t->count >= t->max) {
        x = heaviest_idle(t);
        if (x == NULL) {
            return CMP_SRV_TXN_FULL;
        }
        remove_txn(t, x, dead);
        *out_evicted = CMP_SRV_EVICTED_HEAVIEST;
    }
    return CMP_SRV_TXN_OK;
}

int
cmp_srv_txn_begin(struct cmp_srv_table *t, const struct der_in *tid,
                  const struct cmp_srv_sender_id *sender, X509 *signer, int64_t now,
                  struct cmp_srv_txn **out, int *out_evicted)
{
    struct cmp_srv_txn *x = NULL, *dead = NULL;
    struct cmp_srv_sender *s;
    int rc;

    *out = NULL;
    *out_evicted = CMP_SRV_EVICTED_NONE;
    if (tid->len == 0 || tid->len > CMP_SRV_MAX_TID_LEN) {
        return CMP_SRV_TXN_TOO_LONG;
    }
    if (signer != NULL && !X509_up_ref(signer)) {
        return CMP_SRV_TXN_NOMEM;
    }
    pthread_mutex_lock(&t->lock);
    purge_expired(t, now, &dead);
    if (find(t, tid) != NULL) {
        rc = CMP_SRV_TXN_IN_USE;
        goto done;
    }
    rc = make_room(t, sender, out_evicted, &dead);
    if (rc != CMP_SRV_TXN_OK) {
        goto done;
    }
    x = calloc(1, sizeof(*x));
    s = x != NULL ? sender_get(t, sender) : NULL;
    if (s == NULL) {
        rc = CMP_SRV_TXN_NOMEM;
        goto done;
    }
    memcpy(x->tid, tid->p, tid->len);
    x->tid_len = tid->len;
    x->busy = 1;
    x->state = CMP_SRV_TXN_NEW;
    x->deadline = now + t->timeout;
    x->signer = signer;
    signer = NULL;
    x->hnext = *bucket_of(t, x->tid, x->tid_len);
    *bucket_of(t, x->tid, x->tid_len) = x;
    list_append(&t->lru, x, IN_TABLE);
    x->owner = s;
    list_append(&s->txns, x, IN_OWNER);
    s->count++;
    t->count++;
    *out = x;
    x = NULL;

done:
    pthread_mutex_unlock(&t->lock);
    free(x);
    X509_free(signer);
    free_dead(t, dead);
    return rc;
}

int
cmp_srv_txn_acquire(struct cmp_srv_table *t, const struct der_in *tid,
                    const struct cmp_srv_sender_id *sender, int64_t now, struct cmp_srv_txn **out)
{
    struct cmp_srv_txn *x, *dead = NULL;
    int rc = CMP_SRV_TXN_OK;

    *out = NULL;
    if (tid->len == 0 || tid->len > CMP_SRV_MAX_TID_LEN) {
        return CMP_SRV_TXN_UNKNOWN;
    }
    pthread_mutex_lock(&t->lock);
    x = find(t, tid);
    /* Another sender's transaction is none of its business, busy or not. */
    if (x == NULL || !sender_eq(&x->owner->id, sender)) {
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

X509 *
cmp_srv_txn_peek_signer(struct cmp_srv_table *t, const struct der_in *tid)
{
    struct cmp_srv_txn *x;
    X509 *signer = NULL;

    if (tid->len == 0 || tid->len > CMP_SRV_MAX_TID_LEN) {
        return NULL;
    }
    pthread_mutex_lock(&t->lock);
    x = find(t, tid);
    /* x->signer is set when the transaction is opened and never changes. */
    if (x != NULL && x->signer != NULL && X509_up_ref(x->signer)) {
        signer = x->signer;
    }
    pthread_mutex_unlock(&t->lock);
    return signer;
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
        list_unlink(&t->lru, txn, IN_TABLE);
        list_append(&t->lru, txn, IN_TABLE);
        list_unlink(&txn->owner->txns, txn, IN_OWNER);
        list_append(&txn->owner->txns, txn, IN_OWNER);
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

size_t
cmp_srv_table_sender_count(struct cmp_srv_table *t, const struct cmp_srv_sender_id *sender)
{
    struct cmp_srv_sender *s;
    size_t n;

    pthread_mutex_lock(&t->lock);
    s = sender_find(t, sender);
    n = s != NULL ? s->count : 0;
    pthread_mutex_unlock(&t->lock);
    return n;
}
