/*
 * The replay cache: the senderNonces of authenticated requests, so that a
 * request captured and sent again is refused (RFC 9810 5.1.1: "The
 * senderNonce and recipNonce fields protect the PKIMessage against replay
 * attacks"; the senderNonce of a replayed request is an invalid one,
 * badSenderNonce of RFC 9810 5.2.3). A nonce is kept with the
 * transactionID it came with: both lie under the protection, so a captured
 * message cannot be changed in either without the sender's credentials,
 * while a holder of them may send a stored request again under a new
 * transactionID (openssl cmp -reqin_new_tid), which is no replay of a
 * message anyone captured. A nonce is kept until the messageTime
 * window of its request has closed: a replay after that fails the
 * messageTime check (badTime) instead, so the window bounds what must be
 * remembered.
 *
 * Bounded in entries: a ring of |cap| slots filled in order, the oldest
 * nonce forgotten first when it is full (counted, for the log: a window too
 * long for the traffic). The hash table over the ring is keyed with a random
 * seed, and a nonce is kept as a 64-bit keyed hash of it, so that a peer can
 * neither make one chain long nor pick a value that stands for another
 * peer's nonce. Only requests that passed authentication are recorded.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "server/internal.h"

int
cmp_srv_replay_init(struct cmp_srv_replay *rc, size_t cap)
{
    size_t n = 16;

    memset(rc, 0, sizeof(*rc));
    if (cap == 0 || cap > UINT32_MAX - 1) {
        return 0;
    }
    /* about one bucket per slot */
    while (n < cap && n < ((size_t)1 << 30)) {
        n <<= 1;
    }
    /* calloc(): the pages of slots never used stay untouched */
    rc->ring = calloc(cap, sizeof(*rc->ring));
    rc->buckets = calloc(n, sizeof(*rc->buckets));
    if (rc->ring == NULL || rc->buckets == NULL ||
        RAND_bytes((unsigned char *)&rc->seed, sizeof(rc->seed)) != 1 ||
        pthread_mutex_init(&rc->lock, NULL) != 0) {
        free(rc->ring);
        free(rc->buckets);
        memset(rc, 0, sizeof(*rc));
        return 0;
    }
    rc->lock_ready = 1;
    rc->cap = cap;
    rc->mask = n - 1;
    return 1;
}

void
cmp_srv_replay_cleanup(struct cmp_srv_replay *rc)
{
    if (rc->lock_ready) {
        pthread_mutex_destroy(&rc->lock);
    }
    free(rc->ring);
    free(rc->buckets);
    memset(rc, 0, sizeof(*rc));
}

/* The bucket of a fingerprint: its high bits (the low ones are compared in the chain too). */
static uint32_t *
bucket_of(struct cmp_srv_replay *rc, uint64_t fp)
{
    return &rc->buckets[(fp >> 20) & rc->mask];
}

/* unlink_slot() takes slot |i| out of its chain. */
static void
unlink_slot(struct cmp_srv_replay *rc, size_t i)
{
    uint32_t *pp = bucket_of(rc, rc->ring[i].fp);

    while (*pp != 0 && *pp != i + 1) {
        pp = &rc->ring[*pp - 1].next;
    }
    if (*pp == i + 1) {
        *pp = rc->ring[i].next;
    }
    rc->ring[i].used = 0;
    rc->ring[i].next = 0;
}

int
cmp_srv_replay_check(struct cmp_srv_replay *rc, const struct der_in *tid,
                     const struct der_in *nonce, int64_t expires, int64_t now,
                     uint64_t *out_forgotten)
{
    uint64_t fp;
    uint32_t *b, k;
    struct cmp_srv_replay_ent *e;
    size_t i;
    int fresh = 1;

    if (out_forgotten != NULL) {
        *out_forgotten = 0;
    }
    if (rc->ring == NULL) {
        return 1;
    }
    fp = cmp_srv_hash(cmp_srv_hash(rc->seed, tid->p, tid->len), nonce->p, nonce->len);
    pthread_mutex_lock(&rc->lock);
    b = bucket_of(rc, fp);
    for (k = *b; k != 0; k = rc->ring[k - 1].next) {
        e = &rc->ring[k - 1];
        if (e->fp == fp && e->expires >= now) {
            fresh = 0;
            break;
        }
    }
    if (fresh) {
        i = rc->next;
        e = &rc->ring[i];
        if (e->used) {
            if (e->expires >= now) {
                rc->forgotten_early++;
            }
            unlink_slot(rc, i);
        }
        e->fp = fp;
        e->expires = expires;
        e->used = 1;
        e->next = *b;
        *b = (uint32_t)i + 1;
        rc->next = (i + 1) % rc->cap;
    }
    if (out_forgotten != NULL && rc->forgotten_early > 0) {
        *out_forgotten = rc->forgotten_early;
        rc->forgotten_early = 0;
    }
    pthread_mutex_unlock(&rc->lock);
    return fresh;
}
