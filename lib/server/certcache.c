/*
 * The engine's certificate cache: the certificates decoded from requests,
 * kept by their exact DER (a client sends the same ones in every message,
 * and decoding is dear), and the CA certificates learned from the
 * extraCerts of authenticated requests, kept as intermediates for the
 * requests to come (as openssl's mock server does; the suite's kur rows
 * rely on it). Both are bounded; both are safe under concurrent requests.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "server/internal.h"

int
cmp_srv_cert_cache_init(struct cmp_srv_cert_cache *c)
{
    memset(c, 0, sizeof(*c));
    c->learned = sk_X509_new_null();
    if (c->learned == NULL || pthread_mutex_init(&c->learned_lock, NULL) != 0) {
        return 0;
    }
    c->learned_lock_ready = 1;
    if (pthread_mutex_init(&c->dec_lock, NULL) != 0) {
        return 0;
    }
    c->dec_lock_ready = 1;
    return 1;
}

void
cmp_srv_cert_cache_cleanup(struct cmp_srv_cert_cache *c)
{
    size_t i;

    sk_X509_pop_free(c->learned, X509_free);
    if (c->learned_lock_ready) {
        pthread_mutex_destroy(&c->learned_lock);
    }
    for (i = 0; i < CMP_SRV_DECODED_MAX; i++) {
        X509_free(c->decoded[i].cert);
        free(c->decoded[i].der);
    }
    if (c->dec_lock_ready) {
        pthread_mutex_destroy(&c->dec_lock);
    }
    memset(c, 0, sizeof(*c));
}

STACK_OF(X509) * cmp_srv_cert_cache_untrusted(struct cmp_srv_cert_cache *c,
                                              STACK_OF(X509) * untrusted)
{
    STACK_OF(X509) *sk = NULL;
    int ok = 1;

    pthread_mutex_lock(&c->learned_lock);
    if (sk_X509_num(untrusted) > 0 || sk_X509_num(c->learned) > 0) {
        sk = sk_X509_new_null();
        ok = sk != NULL && X509_add_certs(sk, untrusted, X509_ADD_FLAG_UP_REF) &&
             X509_add_certs(sk, c->learned, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP);
    }
    pthread_mutex_unlock(&c->learned_lock);
    if (!ok) {
        sk_X509_pop_free(sk, X509_free);
        return untrusted != NULL ? X509_chain_up_ref(untrusted) : NULL;
    }
    return sk;
}

/* FNV-1a over the DER; a match is confirmed byte for byte, so collisions cost only time. */
static uint64_t
der_hash(const struct der_in *der)
{
    uint64_t h = 0xcbf29ce484222325u;
    size_t i;

    for (i = 0; i < der->len; i++) {
        h = (h ^ der->p[i]) * 0x100000001b3u;
    }
    return h;
}

/* cached_cert() is a new reference to the certificate decoded from |der|, or NULL. */
static X509 *
cached_cert(struct cmp_srv_cert_cache *c, const struct der_in *der, uint64_t hash)
{
    X509 *x = NULL;
    size_t i;

    pthread_mutex_lock(&c->dec_lock);
    for (i = 0; i < CMP_SRV_DECODED_MAX; i++) {
        struct cmp_srv_decoded *e = &c->decoded[i];

        if (e->der != NULL && e->hash == hash && e->len == der->len &&
            memcmp(e->der, der->p, der->len) == 0) {
            if (X509_up_ref(e->cert)) {
                x = e->cert;
                e->used = 1;
            }
            break;
        }
    }
    pthread_mutex_unlock(&c->dec_lock);
    return x;
}

/* cache_cert() keeps |x| (decoded from |der|) in the slot the clock's hand picks. */
static void
cache_cert(struct cmp_srv_cert_cache *c, const struct der_in *der, uint64_t hash, X509 *x)
{
    struct cmp_srv_decoded *e;
    uint8_t *copy = malloc(der->len);
    size_t i;

    if (copy == NULL) {
        return;
    }
    memcpy(copy, der->p, der->len);
    if (!X509_up_ref(x)) {
        free(copy);
        return;
    }
    pthread_mutex_lock(&c->dec_lock);
    /* Another thread may have decoded the same bytes meanwhile. */
    for (i = 0; i < CMP_SRV_DECODED_MAX; i++) {
        e = &c->decoded[i];
        if (e->der != NULL && e->hash == hash && e->len == der->len &&
            memcmp(e->der, der->p, der->len) == 0) {
            pthread_mutex_unlock(&c->dec_lock);
            X509_free(x);
            free(copy);
            return;
        }
    }
    /* Clock: pass over the slots used since the last round (at most one round). */
    for (;;) {
        e = &c->decoded[c->dec_hand];
        c->dec_hand = (c->dec_hand + 1) % CMP_SRV_DECODED_MAX;
        if (e->der == NULL || !e->used) {
            break;
        }
        e->used = 0;
    }
    X509_free(e->cert);
    free(e->der);
    e->der = copy;
    e->len = der->len;
    e->hash = hash;
    e->cert = x;
    e->used = 1;
    pthread_mutex_unlock(&c->dec_lock);
}

/*
 * decode_cert() decodes one CMPCertificate TLV (nothing may follow it), as
 * cmp_vfy_msg_certs() does, through the cache: a new reference, or NULL if
 * it is not a certificate (or memory ran out).
 */
static X509 *
decode_cert(struct cmp_srv_cert_cache *c, const struct der_in *der)
{
    uint64_t hash;
    X509 *x;

    if (der->len == 0 || der->len > (size_t)LONG_MAX) {
        return NULL;
    }
    hash = der_hash(der);
    x = cached_cert(c, der, hash);
    if (x != NULL) {
        return x;
    }
    x = cmp_vfy_cert_parse(der);
    if (x != NULL && der->len <= CMP_SRV_DECODED_MAX_DER) {
        cache_cert(c, der, hash, x);
    }
    return x;
}

X509 *
cmp_srv_cert_cache_decode(struct cmp_srv_cert_cache *c, const uint8_t *der, size_t len)
{
    struct der_in in = der_in_make(der, len);

    return decode_cert(c, &in);
}

STACK_OF(X509) * cmp_srv_cert_cache_msg_certs(struct cmp_srv_cert_cache *c,
                                              const struct cmp_msg *msg)
{
    STACK_OF(X509) * sk;
    size_t i;

    if (!msg->has_extra_certs || msg->extra_certs.num == 0) {
        return NULL;
    }
    sk = sk_X509_new_reserve(
        NULL, msg->extra_certs.num <= CMP_SRV_DECODED_MAX ? (int)msg->extra_certs.num : 0);
    if (sk == NULL) {
        return NULL;
    }
    for (i = 0; i < msg->extra_certs.num; i++) {
        X509 *x = decode_cert(c, &msg->extra_certs.items[i]);

        if (x == NULL || !sk_X509_push(sk, x)) {
            X509_free(x);
            sk_X509_pop_free(sk, X509_free);
            return NULL;
        }
    }
    return sk;
}

/*
 * Only CA certificates are kept: end-entity certificates would only push
 * them out of the bounded list.
 */
void
cmp_srv_cert_cache_learn(struct cmp_srv_cert_cache *c, const struct cmp_msg *msg,
                         X509 *path_of, STACK_OF(X509) * decoded)
{
    unsigned char on_path[CMP_SRV_CERT_CACHE_MAX] = {0};
    size_t i;

    if (path_of != NULL) {
        /* the extraCerts that issued the signer, its issuer, ...: each marked once */
        X509 *cur = path_of;
        int steps, found = 1;

        for (steps = 0; found && steps < CMP_SRV_CERT_CACHE_MAX; steps++) {
            found = 0;
            for (i = 0; decoded != NULL && i < (size_t)sk_X509_num(decoded) &&
                        i < CMP_SRV_CERT_CACHE_MAX;
                 i++) {
                X509 *x = sk_X509_value(decoded, (int)i);

                if (!on_path[i] && x != NULL && X509_cmp(x, cur) != 0 &&
                    X509_check_issued(x, cur) == X509_V_OK) {
                    on_path[i] = 1;
                    cur = x;
                    found = 1;
                    break;
                }
            }
        }
    }
    for (i = 0; msg->has_extra_certs && i < msg->extra_certs.num && i < CMP_SRV_CERT_CACHE_MAX;
         i++) {
        X509 *x;
        int j, known = 0;

        if (path_of != NULL && !on_path[i]) {
            continue;
        }
        if (decoded != NULL) {
            x = sk_X509_value(decoded, (int)i);
            if (x == NULL || !X509_up_ref(x)) {
                continue;
            }
        } else {
            x = decode_cert(c, &msg->extra_certs.items[i]);
        }
        if (x == NULL || X509_check_ca(x) <= 0) {
            X509_free(x);
            continue;
        }
        pthread_mutex_lock(&c->learned_lock);
        for (j = 0; j < sk_X509_num(c->learned) && !known; j++) {
            X509 *k = sk_X509_value(c->learned, j);

            known = k == x || X509_cmp(k, x) == 0;
        }
        if (!known) {
            if (sk_X509_num(c->learned) >= CMP_SRV_CERT_CACHE_MAX) {
                X509_free(sk_X509_shift(c->learned));
            }
            if (sk_X509_push(c->learned, x) > 0) {
                x = NULL;
            }
        }
        pthread_mutex_unlock(&c->learned_lock);
        X509_free(x);
    }
}
