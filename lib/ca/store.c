/*
 * Helpers over any store (store.h): copies of records, single look-ups,
 * status names.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca/store.h"

void
cmp_ca_store_close(struct cmp_ca_store *s)
{
    if (s != NULL) {
        s->ops->close(s);
    }
}

/* Room for one copied field, with its terminating NUL for text. */
static size_t
text_size(const char *s)
{
    return s == NULL ? 0 : strlen(s) + 1;
}

static const void *
put(uint8_t **p, const void *src, size_t len)
{
    const void *at = *p;

    if (len == 0) {
        return NULL;
    }
    memcpy(*p, src, len);
    *p += len;
    return at;
}

struct cmp_ca_cert_rec *
cmp_ca_cert_rec_dup(const struct cmp_ca_cert_rec *rec)
{
    size_t extra = rec->subject_der_len + rec->issuer_der_len + rec->cert_der_len +
                   text_size(rec->subject) + text_size(rec->profile) + text_size(rec->requester);
    struct cmp_ca_cert_rec *c = malloc(sizeof(*c) + extra);
    uint8_t *p;

    if (c == NULL) {
        return NULL;
    }
    *c = *rec;
    p = (uint8_t *)(c + 1);
    c->subject_der = put(&p, rec->subject_der, rec->subject_der_len);
    c->issuer_der = put(&p, rec->issuer_der, rec->issuer_der_len);
    c->cert_der = put(&p, rec->cert_der, rec->cert_der_len);
    c->subject = put(&p, rec->subject, text_size(rec->subject));
    c->profile = put(&p, rec->profile, text_size(rec->profile));
    c->requester = put(&p, rec->requester, text_size(rec->requester));
    return c;
}

void
cmp_ca_cert_rec_free(struct cmp_ca_cert_rec *rec)
{
    free(rec);
}

static int
keep_cert(void *arg, const struct cmp_ca_cert_rec *rec)
{
    struct cmp_ca_cert_rec **out = arg;

    *out = cmp_ca_cert_rec_dup(rec);
    return 0; /* the first is enough */
}

int
cmp_ca_store_get_cert(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f,
                      struct cmp_ca_cert_rec **out, struct cmp_err *err)
{
    struct cmp_ca_cert_filter one = *f;

    *out = NULL;
    one.limit = 1;
    if (!s->ops->each_cert(s, &one, keep_cert, out, err)) {
        cmp_ca_cert_rec_free(*out);
        *out = NULL;
        return 0;
    }
    return 1;
}

/* Set by keep_secret() when malloc failed, so that a miss is told apart from a failure. */
struct secret_copy {
    struct cmp_ca_secret_rec *rec;
    int oom;
};

static int
keep_secret(void *arg, const struct cmp_ca_secret_rec *rec)
{
    struct secret_copy *sc = arg;
    struct cmp_ca_secret_rec *c = malloc(sizeof(*c) + rec->ref_len + rec->secret_len);
    uint8_t *p;

    if (c == NULL) {
        sc->oom = 1;
        return 0;
    }
    *c = *rec;
    p = (uint8_t *)(c + 1);
    c->ref = put(&p, rec->ref, rec->ref_len);
    c->secret = put(&p, rec->secret, rec->secret_len);
    sc->rec = c;
    return 0;
}

int
cmp_ca_store_get_secret(struct cmp_ca_store *s, const uint8_t *ref, size_t ref_len,
                        struct cmp_ca_secret_rec **out, struct cmp_err *err)
{
    struct secret_copy sc = {NULL, 0};

    *out = NULL;
    if (!s->ops->each_secret(s, ref, ref_len, keep_secret, &sc, err)) {
        cmp_ca_secret_rec_free(sc.rec);
        return 0;
    }
    if (sc.oom) {
        return CMP_FAIL(err, CMP_E_MEMORY, "copying an enrollment secret");
    }
    *out = sc.rec;
    return 1;
}

void
cmp_ca_secret_rec_free(struct cmp_ca_secret_rec *rec)
{
    if (rec != NULL) {
        OPENSSL_cleanse(rec, sizeof(*rec) + rec->ref_len + rec->secret_len);
        free(rec);
    }
}

static const char *const status_names[CMP_CA_ST_MAX + 1] = {
    [CMP_CA_ST_WAITING] = "waiting",       [CMP_CA_ST_CONFIRMED] = "confirmed",
    [CMP_CA_ST_REJECTED] = "rejected",     [CMP_CA_ST_REVOKED] = "revoked",
    [CMP_CA_ST_SUPERSEDED] = "superseded",
};

const char *
cmp_ca_status_name(int status)
{
    if (status < 0 || status > CMP_CA_ST_MAX) {
        return NULL;
    }
    return status_names[status];
}

int
cmp_ca_status_parse(const char *name)
{
    int i;

    for (i = 1; i <= CMP_CA_ST_MAX; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            return i;
        }
    }
    return 0;
}

const char *
cmp_ca_outcome_name(int outcome)
{
    switch (outcome) {
    case CMP_CA_DONE:
        return "done";
    case CMP_CA_CONFLICT:
        return "conflict";
    case CMP_CA_NOT_FOUND:
        return "not found";
    case CMP_CA_WRONG_STATE:
        return "wrong state";
    case CMP_CA_SECRET_UNUSABLE:
        return "secret unusable";
    default:
        return "unknown";
    }
}
