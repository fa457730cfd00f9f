/*
 * The CA as a responder of the server engine (cmpkit/server.h): the
 * requests the engine has checked (header, protection, POPO, certHash)
 * become calls of ca.h, and their results the answers. The service object
 * of cmpkit/ca.h lives here too, with its tick and its CRL; administration
 * is in command.c.
 *
 * Who may ask (RFC 9483 3.5, 4.1, 4.2):
 *   - MAC: the senderKID names an enrollment secret in the database
 *     (find_secret), or -srv_secret is used for any senderKID. A database
 *     secret that expired, or a one-time secret already spent, authorises
 *     nothing new (notAuthorized) but still the rest of the transaction
 *     that spent it (certConf). Issuing spends it in the same committed
 *     transaction that records the certificate.
 *   - signature: a certificate this CA issued and that is confirmed
 *     (find_signer finds it by the first extraCert's issuer and serial, or
 *     by sender and senderKID when there are no extraCerts), or one that
 *     chains to -srv_trusted (the engine checks that path). A certificate of
 *     ours that is not confirmed (waiting, revoked...) signs nothing
 *     (signerNotTrusted).
 *   - kur: signed with the certificate being updated (oldCertID names it,
 *     or the signer is it), or by an RA; else notAuthorized.
 *   - rr: signed with the certificate being revoked, or by an RA; else
 *     notAuthorized for that RevDetails.
 *   - an RA: a signer whose certificate has the extended key usage
 *     id-kp-cmcRA (RFC 9483 3.1, RFC 6402 2.10) and that this CA issued or
 *     that chains to -srv_trusted. Only an RA's raVerified POPO is taken
 *     (RFC 9483 4.1.1: notAuthorized otherwise), unless -accept_raverified.
 *
 * Failures that concern the whole message (who asks) are error messages;
 * those of one request (its template against the profile, its POPO, the
 * certificate an rr names) are that request's rejection in the ip/cp/kup
 * or rp, with the PKIFailureInfo bit and a statusString saying what was
 * wrong.
 *
 * Confirmation: a certificate waits for certConf (profile confirm_timeout),
 * unless implicit confirmation was asked for and the profile grants it; a
 * rejecting certConf, an error message from the client, a response that
 * could not be sent (commit with ok 0) or the timeout (tick) reject it,
 * which revokes it (it is listed on the CRL). A CRL is issued after every
 * change that adds to it, in the commit, before the response leaves.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"
#include "cmpkit/ca.h"
#include "msg/msg.h"
#include "verify/verify.h"

/* Subject and requester texts in audit lines are cut at this many bytes. */
#define AUDIT_TEXT_MAX 300
/* Certificates of one subject looked at when a signer is found by sender and senderKID. */
#define SIGNER_CANDIDATES 16

struct cmp_ca_service {
    struct cmp_ca_store *store;
    struct cmp_ca *ca; /* NULL without a key */
    X509 *cert;
    uint8_t *ca_name; /* the CA's subject DER: the issuer of what it issues */
    size_t ca_name_len;
    struct ca_certs {
        size_t num;
        struct cmp_srv_der *items;
        uint8_t **bufs;
    } extra, capubs; /* DER as the answers take them */
    int accept_raverified;
    int64_t crl_interval;
    /* support messages (genm): the caCerts value; the root CA key update and the root
     * it updates (NULL: no update, or no self-signed root in the chain) */
    uint8_t *ca_certs;
    size_t ca_certs_len;
    uint8_t *root_update;
    size_t root_update_len;
    X509 *root;
    char *crl_url; /* -ca_crl_url, or NULL */
    cmp_ca_audit_fn *audit;
    void *audit_arg;

    pthread_mutex_t lock; /* guards what follows */
    int64_t last_crl;     /* thisUpdate of the last CRL issued; 0: none known */
    int crl_due;          /* something new is to be listed */
};

/* One certificate issued in a transaction. */
struct ca_cert {
    int64_t cert_req_id;
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t serial_len;
    uint8_t *der; /* answered to the engine (cert_der): kept while the transaction lives */
    size_t der_len;
    int waiting; /* not settled by certConf yet */
    int new;     /* issued by the callback now running (the commit rejects it if ok is 0) */
};

/* One certificate request of the message, prepared by the check before POPO. */
struct ca_prep {
    int done;    /* prepared (and checked) */
    int refused; /* the check refused it: |why| */
    struct cmp_err why;
    struct cmp_ca_request req;
    char profile[CMP_CA_PROFILE_NAME_MAX + 1];
    EVP_PKEY *key; /* central key generation: the key made for it, until answered */
    uint8_t *spki; /* ... and its SubjectPublicKeyInfo (req.spki) */
};

/* The responder's data of one transaction (call->txn_data). */
struct ca_txn {
    int authorized; /* the requester was looked at: */
    int refused;    /* the message is refused as a whole, with |refusal| */
    struct cmp_err refusal;
    int ra; /* the signer is an RA */
    char requester[CMP_CA_TEXT_MAX];
    uint8_t secret_ref[CMP_CA_REF_MAX]; /* a database secret authorised it: its reference */
    size_t secret_ref_len;
    struct cmp_ca_cert_rec *old; /* kur: the certificate being updated */
    /* certProfile of generalInfo (RFC 9483 4.1.1): one name, or one per request */
    char (*profiles)[CMP_CA_PROFILE_NAME_MAX + 1];
    size_t num_profiles;

    struct ca_prep *preps; /* per request of the first message */
    size_t num_preps;
    struct ca_cert *certs;
    size_t num_certs;
    int crl_due;

    /* genm: the genp's ITAVs and the buffers their values point into */
    struct cmp_srv_itav *genp;
    uint8_t **genp_bufs;
    size_t num_genp;
};

/* ---- small helpers ---- */

static void audit(const struct cmp_ca_service *svc, const char *fmt, ...) CMP_PRINTF(2, 3);

static void
audit(const struct cmp_ca_service *svc, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    size_t i;

    if (svc->audit == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    for (i = 0; line[i] != '\0'; i++) {
        unsigned char c = (unsigned char)line[i];

        if (c < 0x20 || c == 0x7F) {
            line[i] = '?';
        }
    }
    svc->audit(svc->audit_arg, line);
}

static const char *
hex_of(char *buf, size_t len, const uint8_t *p, size_t n)
{
    return cmp_ca_hex(buf, len, p, n);
}

/* The transactionID in hex for audit lines. */
static const char *
tid_hex(char *buf, size_t len, const struct cmp_srv_call *call)
{
    size_t n =
        call->transaction_id.len < CMP_CA_TID_MAX ? call->transaction_id.len : CMP_CA_TID_MAX;

    return hex_of(buf, len, call->transaction_id.p, n);
}

/* A Name (DER TLV) as text, for audit lines ("" if it does not parse). */
static const char *
name_text(char *buf, size_t len, const struct der_in *name)
{
    const unsigned char *p = name->p;
    X509_NAME *n = name->len > 0 ? d2i_X509_NAME(NULL, &p, (long)name->len) : NULL;

    buf[0] = '\0';
    if (n != NULL) {
        cmp_ca_name_text(buf, len, n);
    }
    X509_NAME_free(n);
    ERR_clear_error();
    return buf;
}

/*
 * The subject of a certificate (DER) as text, for audit lines: read with
 * the DER reader (RFC 5280 4.1), so that the certificate is not parsed by
 * libcrypto, which costs as much as a signature.
 */
static const char *
subject_of_der(char *buf, size_t len, const uint8_t *der, size_t der_len)
{
    struct der_in in = der_in_make(der, der_len), c, tbs, ver, sn, alg, iss, validity, subj;
    int has_ver = 0;

    buf[0] = '\0';
    if (!der_get(&in, DER_SEQUENCE, &c) || !der_get(&c, DER_SEQUENCE, &tbs) ||
        !der_get_opt(&tbs, DER_EXPLICIT(0), &ver, &has_ver) || !der_get(&tbs, DER_INTEGER, &sn) ||
        !der_get(&tbs, DER_SEQUENCE, &alg) || !der_get(&tbs, DER_SEQUENCE, &iss) ||
        !der_get(&tbs, DER_SEQUENCE, &validity) || !der_get_tlv(&tbs, DER_SEQUENCE, &subj)) {
        return buf;
    }
    return name_text(buf, len, &subj);
}

/* The subject of a certificate in the store, for audit lines. */
static const char *
subject_of_serial(const struct cmp_ca_service *svc, char *buf, size_t len, const uint8_t *serial,
                  size_t serial_len)
{
    struct cmp_ca_cert_filter f;
    struct cmp_ca_cert_rec *rec = NULL;
    struct cmp_err e;

    buf[0] = '\0';
    memset(&f, 0, sizeof(f));
    f.serial = serial;
    f.serial_len = serial_len;
    cmp_err_init(&e);
    if (cmp_ca_store_get_cert(svc->store, &f, &rec, &e) && rec != NULL) {
        snprintf(buf, len, "%s", rec->subject);
    }
    cmp_ca_cert_rec_free(rec);
    return buf;
}

/* The serialNumber (INTEGER contents) of a Certificate, read with the DER reader. */
static int
serial_of_der(const uint8_t *der, size_t len, struct der_in *serial)
{
    struct der_in in = der_in_make(der, len), c, tbs, ver;
    int has_ver = 0;

    return der_get(&in, DER_SEQUENCE, &c) && der_get(&c, DER_SEQUENCE, &tbs) &&
           der_get_opt(&tbs, DER_EXPLICIT(0), &ver, &has_ver) &&
           der_get(&tbs, DER_INTEGER, serial) && serial->len > 0 &&
           serial->len <= CMP_CA_SERIAL_MAX;
}

/* Is the Name DER |name| this CA's? Bytes first (what the CA writes), then as DNs. */
static int
is_ca_name(const struct cmp_ca_service *svc, const uint8_t *name, size_t len)
{
    struct der_in a, b;

    if (len == svc->ca_name_len && memcmp(name, svc->ca_name, len) == 0) {
        return 1;
    }
    a = der_in_make(name, len);
    b = der_in_make(svc->ca_name, svc->ca_name_len);
    return len > 0 && cmp_vfy_name_eq(&a, &b);
}

/* Was |cert| issued by this CA? (its issuer is our name) */
static int
is_ours(const struct cmp_ca_service *svc, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(X509_get_issuer_name(cert), &der), ours;

    ours = len > 0 && is_ca_name(svc, der, (size_t)len);
    OPENSSL_free(der);
    return ours;
}

/* The serialNumber of |cert| as INTEGER contents, into |buf|. 0 if it does not fit. */
static int
cert_serial(X509 *cert, uint8_t *buf, size_t *len)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
    unsigned char *der = NULL, *p;
    int n = i2d_ASN1_INTEGER((ASN1_INTEGER *)sn, &der), ok;
    struct der_in in, contents;

    if (n <= 0) {
        return 0;
    }
    p = der;
    in = der_in_make(p, (size_t)n);
    ok = der_get(&in, DER_INTEGER, &contents) && contents.len <= CMP_CA_SERIAL_MAX;
    if (ok) {
        memcpy(buf, contents.p, contents.len);
        *len = contents.len;
    }
    OPENSSL_free(der);
    return ok;
}

/* The store's record of the certificate with |serial|, or NULL (*out). */
static int
get_by_serial(const struct cmp_ca_service *svc, const uint8_t *serial, size_t len,
              struct cmp_ca_cert_rec **out, struct cmp_err *err)
{
    struct cmp_ca_cert_filter f;

    memset(&f, 0, sizeof(f));
    f.serial = serial;
    f.serial_len = len;
    return cmp_ca_store_get_cert(svc->store, &f, out, err);
}

/* RFC 9483 3.1, RFC 6402 2.10: a PKI management entity's certificate has id-kp-cmcRA. */
static int
is_ra_cert(X509 *cert)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    ASN1_OBJECT *ra = OBJ_nid2obj(NID_cmcRA);
    int i, found = 0;

    for (i = 0; eku != NULL && ra != NULL && i < sk_ASN1_OBJECT_num(eku) && !found; i++) {
        found = OBJ_cmp(sk_ASN1_OBJECT_value(eku, i), ra) == 0;
    }
    EXTENDED_KEY_USAGE_free(eku);
    ERR_clear_error();
    return found;
}

/* A certificate list as the answers take it (struct cmp_srv_der). */
static int
certs_set(struct ca_certs *dst, X509 *first, STACK_OF(X509) * sk)
{
    int n = sk_X509_num(sk) > 0 ? sk_X509_num(sk) : 0, i;
    size_t total = (size_t)n + (first != NULL);

    memset(dst, 0, sizeof(*dst));
    if (total == 0) {
        return 1;
    }
    dst->items = calloc(total, sizeof(*dst->items));
    dst->bufs = calloc(total, sizeof(*dst->bufs));
    if (dst->items == NULL || dst->bufs == NULL) {
        return 0;
    }
    for (i = -1; i < n; i++) {
        X509 *x = i < 0 ? first : sk_X509_value(sk, i);
        unsigned char *der = NULL;
        int len;

        if (x == NULL) {
            continue;
        }
        len = i2d_X509(x, &der);
        if (len <= 0) {
            return 0;
        }
        dst->bufs[dst->num] = der;
        dst->items[dst->num].p = der;
        dst->items[dst->num].len = (size_t)len;
        dst->num++;
    }
    return 1;
}

static void
certs_cleanup(struct ca_certs *c)
{
    size_t i;

    for (i = 0; c->bufs != NULL && i < c->num; i++) {
        OPENSSL_free(c->bufs[i]);
    }
    free(c->bufs);
    free(c->items);
    memset(c, 0, sizeof(*c));
}

static int64_t
now_secs(void)
{
    return (int64_t)time(NULL);
}

/* ---- CRLs ---- */

static void
note_crl_due(struct cmp_ca_service *svc)
{
    pthread_mutex_lock(&svc->lock);
    svc->crl_due = 1;
    pthread_mutex_unlock(&svc->lock);
}

/* Issues a CRL now; the audit log hears of it. */
static int
issue_crl(struct cmp_ca_service *svc, int64_t now, struct cmp_err *err)
{
    int64_t number = 0;

    pthread_mutex_lock(&svc->lock);
    svc->crl_due = 0;
    pthread_mutex_unlock(&svc->lock);
    if (!cmp_ca_crl_issue(svc->ca, now, NULL, NULL, &number, err)) {
        note_crl_due(svc); /* try again at the next tick */
        return CMP_CONTEXT(err, "issuing a CRL");
    }
    pthread_mutex_lock(&svc->lock);
    if (now > svc->last_crl) {
        svc->last_crl = now;
    }
    pthread_mutex_unlock(&svc->lock);
    audit(svc, "crl number=%lld", (long long)number);
    return 1;
}

/*
 * The thisUpdate of a CRL (DER), or 0: RFC 5280 5.1, TBSCertList ::=
 * SEQUENCE { version INTEGER OPTIONAL, signature, issuer, thisUpdate ... }.
 */
static int64_t
crl_this_update(const uint8_t *der, size_t len)
{
    struct der_in in = der_in_make(der, len), crl, tbs, skip;
    int64_t t = 0;
    uint32_t tag;

    if (!der_get(&in, DER_SEQUENCE, &crl) || !der_get(&crl, DER_SEQUENCE, &tbs)) {
        return 0;
    }
    if (der_peek(&tbs, DER_INTEGER) && !der_get(&tbs, DER_INTEGER, &skip)) {
        return 0;
    }
    if (!der_get(&tbs, DER_SEQUENCE, &skip) || !der_get(&tbs, DER_SEQUENCE, &skip) ||
        !der_get_time(&tbs, &t, &tag)) {
        return 0;
    }
    return t;
}

int
cmp_ca_service_crl(struct cmp_ca_service *svc, int64_t now, uint8_t **out, size_t *out_len,
                   struct cmp_err *err)
{
    int64_t number = 0, last;
    int due;

    *out = NULL;
    *out_len = 0;
    if (svc == NULL || svc->ca == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "the CA has no key: no CRL");
    }
    pthread_mutex_lock(&svc->lock);
    last = svc->last_crl;
    due = svc->crl_due;
    pthread_mutex_unlock(&svc->lock);
    if (!due && last > 0 && now < last + svc->crl_interval &&
        !svc->store->ops->crl_last(svc->store, out, out_len, &number, err)) {
        return CMP_CONTEXT(err, "reading the last CRL");
    }
    if (*out != NULL) {
        return 1;
    }
    /* none yet, past its nextUpdate, or a revocation not listed yet: a new one */
    if (!issue_crl(svc, now, err)) {
        return 0;
    }
    if (!svc->store->ops->crl_last(svc->store, out, out_len, &number, err)) {
        return CMP_CONTEXT(err, "reading the last CRL");
    }
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_IO, "no CRL kept after issuing one");
    }
    return 1;
}

/* ---- the periodic work ---- */

struct expired_ctx {
    struct cmp_ca_service *svc;
    int64_t now;
};

static void
audit_expired(void *arg, const uint8_t *serial, size_t len)
{
    struct expired_ctx *x = arg;
    char hex[2 * CMP_CA_SERIAL_MAX + 1], subject[AUDIT_TEXT_MAX];

    audit(x->svc, "rejected serial=%s subject=\"%s\" requester=timeout tid=-",
          hex_of(hex, sizeof(hex), serial, len),
          subject_of_serial(x->svc, subject, sizeof(subject), serial, len));
}

int
cmp_ca_service_tick(struct cmp_ca_service *svc, int64_t now, struct cmp_err *err)
{
    struct expired_ctx x = {svc, now};
    size_t n = 0;
    int64_t last;
    int due;

    if (svc == NULL || svc->ca == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "the CA has no key");
    }
    if (!cmp_ca_expire_waiting(svc->ca, now, audit_expired, &x, &n, err)) {
        return CMP_CONTEXT(err, "rejecting unconfirmed certificates");
    }
    pthread_mutex_lock(&svc->lock);
    if (n > 0) {
        svc->crl_due = 1;
    }
    due = svc->crl_due;
    last = svc->last_crl;
    pthread_mutex_unlock(&svc->lock);
    if (due || last == 0 || now >= last + svc->crl_interval) {
        return issue_crl(svc, now, err);
    }
    return 1;
}

/* ---- the transaction's data ---- */

static void
txn_free(void *arg, void *data)
{
    struct ca_txn *t = data;
    size_t i;

    (void)arg;
    if (t == NULL) {
        return;
    }
    for (i = 0; i < t->num_preps; i++) {
        cmp_ca_request_cleanup(&t->preps[i].req);
        EVP_PKEY_free(t->preps[i].key);
        OPENSSL_free(t->preps[i].spki);
    }
    free(t->preps);
    for (i = 0; i < t->num_certs; i++) {
        free(t->certs[i].der);
    }
    free(t->certs);
    for (i = 0; i < t->num_genp; i++) {
        free(t->genp_bufs[i]);
    }
    free(t->genp_bufs);
    free(t->genp);
    free(t->profiles);
    cmp_ca_cert_rec_free(t->old);
    OPENSSL_cleanse(t->secret_ref, sizeof(t->secret_ref));
    free(t);
}

static struct ca_txn *
txn_of(const struct cmp_srv_call *call, struct cmp_err *err)
{
    struct ca_txn *t;

    if (call->txn_data == NULL) {
        CMP_FAIL(err, CMP_E_INVALID, "a request outside any transaction");
        return NULL;
    }
    if (*call->txn_data == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL) {
            CMP_FAIL(err, CMP_E_MEMORY, "transaction");
            return NULL;
        }
        *call->txn_data = t;
    }
    return *call->txn_data;
}

/* The message refused as a whole: the error message's bit and text. */
static int refuse(struct ca_txn *t, int bit, const char *fmt, ...) CMP_PRINTF(3, 4);

static int
refuse(struct ca_txn *t, int bit, const char *fmt, ...)
{
    va_list ap;

    cmp_err_init(&t->refusal);
    t->refusal.code = CMP_E_PEER;
    t->refusal.failure_bit = bit;
    t->refusal.file = __FILE__;
    t->refusal.line = __LINE__;
    va_start(ap, fmt);
    vsnprintf(t->refusal.msg, sizeof(t->refusal.msg), fmt, ap);
    va_end(ap);
    t->refused = 1;
    return 1;
}

/*
 * certProfile (RFC 9483 4.1.1, RFC 9480 2.20): CertProfileValue ::=
 * SEQUENCE SIZE (1..MAX) OF UTF8String, one name per CertReqMsg in their
 * order (one name for all when there is one).
 */
static int
read_profiles(const struct cmp_srv_call *call, struct ca_txn *t, size_t num_reqs)
{
    const struct cmp_header *h = &call->msg->hdr;
    struct der_in seq, s;
    size_t i, n = 0;

    for (i = 0; h->has_general_info && i < h->general_info.num; i++) {
        const struct cmp_itav *it = &h->general_info.items[i];
        struct der_in v = it->value;

        if (!cmp_oid_is(&it->type, CMP_NID_IT_CERT_PROFILE)) {
            continue;
        }
        if (t->profiles != NULL) {
            return refuse(t, CMP_FI_BAD_REQUEST, "certProfile given twice in generalInfo");
        }
        if (!it->has_value || !der_get(&v, DER_SEQUENCE, &seq) || !der_done(&v) || seq.len == 0) {
            return refuse(t, CMP_FI_BAD_REQUEST, "certProfile is not a SEQUENCE OF UTF8String");
        }
        t->profiles = calloc(num_reqs > 0 ? num_reqs : 1, sizeof(*t->profiles));
        if (t->profiles == NULL) {
            return refuse(t, CMP_FI_SYSTEM_FAILURE, "out of memory");
        }
        while (seq.len > 0) {
            size_t k;

            if (!der_get(&seq, DER_UTF8_STRING, &s)) {
                return refuse(t, CMP_FI_BAD_REQUEST, "certProfile is not a SEQUENCE OF UTF8String");
            }
            if (n >= num_reqs) {
                return refuse(t, CMP_FI_BAD_REQUEST,
                              "certProfile names more profiles than there are requests (%zu)",
                              num_reqs);
            }
            if (s.len == 0 || s.len > CMP_CA_PROFILE_NAME_MAX) {
                return refuse(t, CMP_FI_BAD_CERT_TEMPLATE, "certProfile name of %zu bytes (1..%d)",
                              s.len, CMP_CA_PROFILE_NAME_MAX);
            }
            for (k = 0; k < s.len; k++) {
                if (s.p[k] < 0x20 || s.p[k] >= 0x7F) {
                    return refuse(t, CMP_FI_BAD_CERT_TEMPLATE,
                                  "certProfile name with a character that no profile has");
                }
            }
            memcpy(t->profiles[n], s.p, s.len);
            t->profiles[n][s.len] = '\0';
            n++;
        }
        if (n != 1 && n != num_reqs) {
            return refuse(t, CMP_FI_BAD_REQUEST, "certProfile names %zu profiles for %zu requests",
                          n, num_reqs);
        }
        t->num_profiles = n;
    }
    return 1;
}

/* ---- who may ask ---- */

/*
 * A signer certificate of ours that the engine found through -srv_trusted
 * (not vouched for by find_signer): it must still be confirmed here.
 */
static int
signer_status_ok(struct cmp_ca_service *svc, const struct cmp_srv_call *call, struct ca_txn *t,
                 struct cmp_ca_cert_rec **out_rec, struct cmp_err *err)
{
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t len = 0;
    struct cmp_ca_cert_rec *rec = NULL;

    *out_rec = NULL;
    if (call->signer == NULL || !is_ours(svc, call->signer)) {
        return 1;
    }
    if (!cert_serial(call->signer, serial, &len)) {
        return refuse(t, CMP_FI_SIGNER_NOT_TRUSTED, "signer certificate has no usable serial");
    }
    if (!get_by_serial(svc, serial, len, &rec, err)) {
        return 0;
    }
    if (rec == NULL) {
        return refuse(t, CMP_FI_SIGNER_NOT_TRUSTED,
                      "signer certificate names this CA as issuer but is not in its records");
    }
    if (rec->status != CMP_CA_ST_CONFIRMED) {
        refuse(t, CMP_FI_SIGNER_NOT_TRUSTED, "signer certificate is %s",
               cmp_ca_status_name(rec->status));
        cmp_ca_cert_rec_free(rec);
        return 1;
    }
    *out_rec = rec;
    return 1;
}

/* kur (RFC 9483 4.1.3): the certificate being updated signs, or an RA. */
static int
authorize_kur(struct cmp_ca_service *svc, const struct cmp_srv_call *call, struct ca_txn *t,
              struct cmp_ca_cert_rec *signer_rec, struct cmp_err *err)
{
    const struct cmp_cert_req_msgs *reqs = &call->msg->body.u.req;
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t len = 0, i;
    struct der_in old = DER_IN_EMPTY;
    struct cmp_ca_cert_rec *rec = NULL;

    if (call->auth != CMP_SRV_AUTH_SIGNATURE || call->signer == NULL) {
        return refuse(t, CMP_FI_NOT_AUTHORIZED,
                      "kur must be signed with the certificate to be updated");
    }
    /* oldCertID (RFC 4211 6.5): the same certificate for every request of the message */
    for (i = 0; i < reqs->num; i++) {
        const struct cmp_cert_req_msg *crm = &reqs->items[i];

        if (crm->has_controls && crm->controls.has_old_cert_id) {
            const struct cmp_certid *id = &crm->controls.old_cert_id;

            if (id->issuer.type != CMP_GN_DIRNAME ||
                !is_ca_name(svc, id->issuer.value.p, id->issuer.value.len)) {
                return refuse(t, CMP_FI_BAD_CERT_ID, "oldCertID names another issuer");
            }
            if (id->serial.len == 0 || id->serial.len > CMP_CA_SERIAL_MAX ||
                (old.len > 0 && !der_in_eq(&old, &id->serial))) {
                return refuse(t, CMP_FI_BAD_REQUEST, "oldCertID differs between requests");
            }
            old = id->serial;
        }
    }
    if (old.len == 0) {
        /* without oldCertID the signer is the certificate updated */
        if (signer_rec == NULL) {
            return refuse(t, CMP_FI_NOT_AUTHORIZED,
                          "kur signed with a certificate this CA did not issue");
        }
        t->old = signer_rec;
        return 1;
    }
    if (!get_by_serial(svc, old.p, old.len, &rec, err)) {
        return 0;
    }
    if (rec == NULL) {
        return refuse(t, CMP_FI_BAD_CERT_ID, "oldCertID names no certificate of this CA");
    }
    if (rec->status != CMP_CA_ST_CONFIRMED) {
        refuse(t, CMP_FI_CERT_REVOKED, "the certificate to be updated is %s",
               cmp_ca_status_name(rec->status));
        cmp_ca_cert_rec_free(rec);
        return 1;
    }
    if (!t->ra) {
        if (signer_rec == NULL || !cert_serial(call->signer, serial, &len) ||
            len != rec->serial_len || memcmp(serial, rec->serial, len) != 0) {
            cmp_ca_cert_rec_free(rec);
            return refuse(t, CMP_FI_NOT_AUTHORIZED,
                          "kur must be signed with the certificate to be updated");
        }
    }
    t->old = rec;
    return 1;
}

/*
 * Looks at who asks, once per transaction (the first request): sets
 * t->refused with the reason when the message is not allowed.
 */
static int
authorize(struct cmp_ca_service *svc, const struct cmp_srv_call *call, struct ca_txn *t,
          struct cmp_err *err)
{
    struct cmp_ca_cert_rec *signer_rec = NULL;
    size_t num_reqs = call->body_type == CMP_BODY_P10CR ? 1 : call->msg->body.u.req.num;
    int ok = 1;

    if (t->authorized) {
        return 1;
    }
    t->authorized = 1;
    switch (call->auth) {
    case CMP_SRV_AUTH_MAC:
        cmp_ca_requester_kid(t->requester, sizeof(t->requester), call->sender_kid.p,
                             call->sender_kid.len);
        if (call->vouched) {
            struct cmp_ca_secret_rec *s = NULL;
            int64_t now = now_secs();

            if (!cmp_ca_store_get_secret(svc->store, call->sender_kid.p, call->sender_kid.len, &s,
                                         err)) {
                return CMP_CONTEXT(err, "enrollment secret");
            }
            if (s == NULL) {
                return refuse(t, CMP_FI_NOT_AUTHORIZED, "the enrollment secret was removed");
            }
            if (s->expires != 0 && s->expires <= now) {
                refuse(t, CMP_FI_NOT_AUTHORIZED, "the enrollment secret has expired");
            } else if (s->one_time && s->used_at != 0) {
                refuse(t, CMP_FI_NOT_AUTHORIZED, "the one-time enrollment secret was used");
            }
            cmp_ca_secret_rec_free(s);
            if (call->sender_kid.len > sizeof(t->secret_ref)) {
                return refuse(t, CMP_FI_BAD_REQUEST, "senderKID too long");
            }
            memcpy(t->secret_ref, call->sender_kid.p, call->sender_kid.len);
            t->secret_ref_len = call->sender_kid.len;
        }
        break;
    case CMP_SRV_AUTH_SIGNATURE:
        cmp_ca_requester_cert(t->requester, sizeof(t->requester), call->signer);
        if (call->vouched) {
            uint8_t serial[CMP_CA_SERIAL_MAX];
            size_t len = 0;

            /* find_signer found it confirmed in the database; its record for kur */
            if (cert_serial(call->signer, serial, &len) &&
                !get_by_serial(svc, serial, len, &signer_rec, err)) {
                return 0;
            }
        } else if (!signer_status_ok(svc, call, t, &signer_rec, err)) {
            return 0;
        }
        t->ra = call->signer != NULL && is_ra_cert(call->signer);
        break;
    case CMP_SRV_AUTH_NONE:
    default:
        return refuse(t, CMP_FI_NOT_AUTHORIZED, "the CA takes no unprotected requests");
    }
    if (!t->refused && call->body_type == CMP_BODY_KUR) {
        ok = authorize_kur(svc, call, t, signer_rec, err);
        if (t->old == signer_rec) {
            signer_rec = NULL;
        }
    }
    cmp_ca_cert_rec_free(signer_rec);
    if (ok && !t->refused) {
        ok = read_profiles(call, t, num_reqs);
    }
    return ok;
}

/* ---- certificate requests ---- */

/* The CertReqMsg of a view, by its certReqId (unique, lib/verify); NULL for a p10cr. */
static const struct cmp_cert_req_msg *
crm_of(const struct cmp_srv_call *call, const struct cmp_srv_cert_req *req, size_t *index)
{
    const struct cmp_cert_req_msgs *reqs = &call->msg->body.u.req;
    size_t i;

    *index = 0;
    if (call->body_type == CMP_BODY_P10CR) {
        return NULL;
    }
    for (i = 0; i < reqs->num; i++) {
        if (reqs->items[i].cert_req_id == req->cert_req_id) {
            *index = i;
            return &reqs->items[i];
        }
    }
    return NULL;
}

/*
 * Central key generation (RFC 9483 4.1.6): a key of the type the request's
 * profile names (central_keygen) becomes the request's public key. The
 * template's publicKey algorithm, if any, is not looked at: the profile
 * decides. 0 with p->refused when the profile generates none.
 */
static int
central_key(struct cmp_ca_service *svc, struct ca_prep *p)
{
    const struct cmp_ca_profile *prof = cmp_ca_get0_profile(svc->ca, p->req.profile);
    unsigned char *der = NULL;
    int len;

    if (prof == NULL) {
        p->refused = 1;
        return CMP_FAIL_INFO(&p->why, CMP_FI_BAD_CERT_TEMPLATE, "unknown certificate profile %s",
                             p->req.profile);
    }
    p->key = cmp_ca_profile_keygen(prof, &p->why);
    len = p->key != NULL ? i2d_PUBKEY(p->key, &der) : 0;
    if (len <= 0) {
        if (p->key != NULL) {
            CMP_FAIL_SSL(&p->why, CMP_FI_SYSTEM_FAILURE, "encoding the generated key");
        }
        p->refused = 1;
        return 0;
    }
    p->spki = der;
    p->req.spki = der_in_make(der, (size_t)len);
    return 1;
}

/* Makes the CA request of |req| (the index-th of the message) and checks it. */
static int
prepare(struct cmp_ca_service *svc, const struct cmp_srv_call *call, struct ca_txn *t,
        const struct cmp_srv_cert_req *req, struct ca_prep **out, struct cmp_err *err)
{
    size_t index = 0, num = call->body_type == CMP_BODY_P10CR ? 1 : call->msg->body.u.req.num;
    const struct cmp_cert_req_msg *crm = crm_of(call, req, &index);
    struct ca_prep *p;
    struct cmp_ca_request *r;

    *out = NULL;
    if (call->body_type != CMP_BODY_P10CR && crm == NULL) {
        return CMP_FAIL(err, CMP_E_INVALID, "certReqId %lld is not in the request",
                        (long long)req->cert_req_id);
    }
    if (t->preps == NULL) {
        t->preps = calloc(num, sizeof(*t->preps));
        if (t->preps == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "certificate requests");
        }
        t->num_preps = num;
    }
    if (index >= t->num_preps) {
        return CMP_FAIL(err, CMP_E_INVALID, "request #%zu of %zu", index, t->num_preps);
    }
    p = &t->preps[index];
    *out = p;
    if (p->done) {
        return 1;
    }
    p->done = 1;
    cmp_err_init(&p->why);
    r = &p->req;
    if (crm != NULL) {
        if (!cmp_ca_request_from_template(r, &crm->tmpl, &p->why)) {
            p->refused = 1;
            return 1;
        }
    } else if (!cmp_ca_request_from_p10(r, req->request.p, req->request.len, &p->why)) {
        p->refused = 1;
        return 1;
    }
    if (t->num_profiles > 0) {
        memcpy(p->profile, t->profiles[t->num_profiles == 1 ? 0 : index], sizeof(p->profile));
        r->profile = p->profile;
    }
    if (t->old != NULL) {
        /* kur: the old certificate's profile and subject unless the request names them */
        if (r->profile == NULL) {
            snprintf(p->profile, sizeof(p->profile), "%s", t->old->profile);
            r->profile = cmp_ca_get0_profile(svc->ca, p->profile) != NULL ? p->profile : NULL;
        }
        if (r->subject.len == 0) {
            r->subject = der_in_make(t->old->subject_der, t->old->subject_der_len);
        }
        r->old_serial = der_in_make(t->old->serial, t->old->serial_len);
    }
    if (req->central_keygen && !central_key(svc, p)) {
        return 1;
    }
    r->requester = t->requester;
    r->tid = der_in_make(call->transaction_id.p, call->transaction_id.len);
    r->implicit_confirm = call->implicit_confirm;
    if (t->secret_ref_len > 0) {
        r->secret_ref = der_in_make(t->secret_ref, t->secret_ref_len);
    }
    /* before the POPO: its type and size from the DER; a bad key fails the POPO */
    r->key_proven = 1;
    if (!cmp_ca_check_request(svc->ca, r, now_secs(), &p->why)) {
        p->refused = 1;
    }
    /* at issuance, only a signature that verified with it has proven the key, or its
     * generation here */
    r->key_proven = call->body_type == CMP_BODY_P10CR || p->key != NULL ||
                    (crm != NULL && crm->has_popo && crm->popo.type == CMP_POPO_SIGNATURE);
    return 1;
}

/* The engine's check before POPO (cmpkit/server.h check_cert_request). */
static int
ca_check_cert_request(void *arg, const struct cmp_srv_call *call,
                      const struct cmp_srv_cert_req *req, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t = txn_of(call, err);
    struct ca_prep *p;

    if (t == NULL || !authorize(svc, call, t, err)) {
        return 0;
    }
    if (t->refused) {
        *err = t->refusal;
        return 0; /* the message fails as a whole in cert_request */
    }
    if (!prepare(svc, call, t, req, &p, err)) {
        return 0;
    }
    if (p->refused) {
        *err = p->why;
        return 0;
    }
    return 1;
}

/* One request's rejection: its bit and text. */
static void
reject(struct cmp_srv_cert_result *res, const struct cmp_err *why, int bit, const char *text)
{
    res->status.status = CMP_SRV_REJECTION;
    res->status.fail_info = (uint32_t)1 << bit;
    res->status.text = text != NULL ? text : why->msg;
}

/* Keeps an issued certificate with the transaction; its DER stays for the answer. */
static int
keep_cert(struct ca_txn *t, int64_t cert_req_id, struct cmp_ca_issued *iss, int waiting,
          struct cmp_err *err)
{
    struct ca_cert *c;
    struct ca_cert *certs = realloc(t->certs, (t->num_certs + 1) * sizeof(*t->certs));

    if (certs == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
    }
    t->certs = certs;
    c = &t->certs[t->num_certs++];
    memset(c, 0, sizeof(*c));
    c->cert_req_id = cert_req_id;
    memcpy(c->serial, iss->serial, iss->serial_len);
    c->serial_len = iss->serial_len;
    c->der = iss->der;
    c->der_len = iss->der_len;
    iss->der = NULL;
    c->waiting = waiting;
    c->new = 1;
    return 1;
}

static const char *
popo_text(int popo)
{
    switch (popo) {
    case CMP_SRV_POPO_MISSING:
        return "proof of possession missing";
    case CMP_SRV_POPO_INDIRECT:
        /* RFC 4211 4.2: only encrCert (the certificate encrypted) is offered */
        return "indirect POPO is accepted only as subsequentMessage encrCert";
    case CMP_SRV_POPO_BAD:
    default:
        return "proof of possession failed";
    }
}

/*
 * Why the certificate of |req| cannot go out encrypted for its key (RFC
 * 9810 5.2.8.3.2), or NULL: an RSA key takes either form; an EC key only
 * EnvelopedData (ECDH, KeyAgreeRecipientInfo), which cmp2021 (pvno 3)
 * brings; EdDSA keys cannot decrypt.
 */
static const char *
encr_cert_refusal(const struct cmp_srv_call *call, const struct cmp_srv_cert_req *req)
{
    const unsigned char *q = req->public_key.p;
    EVP_PKEY *k = req->public_key.len > 0 ? d2i_PUBKEY(NULL, &q, (long)req->public_key.len) : NULL;
    const char *why = NULL;

    if (k == NULL) {
        ERR_clear_error();
        why = "encrCert POPO without a public key that parses";
    } else if (EVP_PKEY_is_a(k, "EC")) {
        if (call->pvno < 3) {
            why = "an encrypted certificate for an EC key needs EnvelopedData: send pvno 3";
        }
    } else if (!EVP_PKEY_is_a(k, "RSA")) {
        why = "encrCert POPO needs a key that can decrypt (RSA or EC)";
    }
    EVP_PKEY_free(k);
    return why;
}

static int
ca_cert_request(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_req *reqs,
                size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t = txn_of(call, err);
    char hex[2 * CMP_CA_SERIAL_MAX + 1], tid[2 * CMP_CA_TID_MAX + 1], subject[AUDIT_TEXT_MAX];
    size_t i, num_issued = 0, num_implicit = 0;
    int64_t now = now_secs();

    if (t == NULL || !authorize(svc, call, t, err)) {
        return 0;
    }
    if (t->refused) {
        *err = t->refusal;
        a->error_text = t->refusal.msg;
        return 0;
    }
    for (i = 0; i < num; i++) {
        const struct cmp_srv_cert_req *req = &reqs[i];
        struct cmp_srv_cert_result *res = &a->certs[i];
        struct cmp_ca_issued iss;
        struct ca_prep *p;
        struct cmp_err e;

        const char *no_encr = NULL;

        switch (req->popo) {
        case CMP_SRV_POPO_OK:
            break;
        case CMP_SRV_POPO_MISSING:
            if (!req->central_keygen) {
                reject(res, NULL, CMP_FI_BAD_POP, popo_text(req->popo));
                continue;
            }
            break; /* the key is generated here (prepare) */
        case CMP_SRV_POPO_INDIRECT:
            if (req->encr_cert && (no_encr = encr_cert_refusal(call, req)) == NULL) {
                break; /* the certificate goes out encrypted; certConf completes the POP */
            }
            reject(res, NULL, CMP_FI_BAD_POP, no_encr != NULL ? no_encr : popo_text(req->popo));
            continue;
        case CMP_SRV_POPO_UNCHECKED:
            /* the check before POPO refused it: its bit and text */
            reject(res, req->popo_error,
                   req->popo_error->failure_bit >= 0 ? req->popo_error->failure_bit
                                                     : CMP_FI_BAD_REQUEST,
                   NULL);
            continue;
        case CMP_SRV_POPO_RAVERIFIED:
            /* RFC 9483 4.1.1: raVerified only from a PKI management entity */
            if (t->ra || svc->accept_raverified) {
                break;
            }
            reject(res, NULL, CMP_FI_NOT_AUTHORIZED,
                   "POPO raVerified is accepted only from an RA (id-kp-cmcRA)");
            continue;
        default:
            reject(res, NULL, CMP_FI_BAD_POP, popo_text(req->popo));
            continue;
        }
        if (!prepare(svc, call, t, req, &p, err)) {
            return 0;
        }
        if (p->refused) {
            reject(res, &p->why, p->why.failure_bit >= 0 ? p->why.failure_bit : CMP_FI_BAD_REQUEST,
                   NULL);
            continue;
        }
        cmp_err_init(&e);
        p->req.key_proven = p->req.key_proven && (req->popo == CMP_SRV_POPO_OK || p->key != NULL);
        if (req->popo == CMP_SRV_POPO_INDIRECT) {
            /* RFC 9810 5.2.8.3.2: the certConf proves possession; never implicit */
            p->req.implicit_confirm = 0;
        }
        if (!cmp_ca_issue(svc->ca, &p->req, now, &iss, &e)) {
            if (e.failure_bit == CMP_FI_SYSTEM_FAILURE || e.failure_bit < 0) {
                /* the store or libcrypto failed: the whole message fails */
                *err = e;
                a->error_text = "the CA could not issue the certificate";
                return CMP_CONTEXT(err, "issuing");
            }
            p->why = e;
            reject(res, &p->why, e.failure_bit, NULL);
            continue;
        }
        if (!keep_cert(t, req->cert_req_id, &iss, !iss.implicit_confirm, err)) {
            cmp_ca_issued_cleanup(&iss);
            return 0;
        }
        res->status.status = CMP_SRV_ACCEPTED;
        res->cert_der.p = t->certs[t->num_certs - 1].der;
        res->cert_der.len = t->certs[t->num_certs - 1].der_len;
        res->encrypt_cert = req->popo == CMP_SRV_POPO_INDIRECT;
        if (p->key != NULL) {
            /* the engine sends a generated key only with the certificate as an X509 */
            const unsigned char *q = res->cert_der.p;
            X509 *x = d2i_X509(NULL, &q, (long)res->cert_der.len);

            if (x == NULL) {
                cmp_ca_issued_cleanup(&iss);
                a->error_text = "the CA could not answer with the generated key";
                return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "issued certificate");
            }
            res->cert = x;
            memset(&res->cert_der, 0, sizeof(res->cert_der));
            res->key = p->key; /* the engine's now: it wraps it for the requester */
            p->key = NULL;
        }
        num_issued++;
        num_implicit += iss.implicit_confirm;
        audit(svc, "issued serial=%s subject=\"%s\" requester=%s tid=%s profile=%s%s",
              hex_of(hex, sizeof(hex), iss.serial, iss.serial_len),
              name_text(subject, sizeof(subject), &p->req.subject), t->requester,
              tid_hex(tid, sizeof(tid), call), iss.profile->name,
              iss.implicit_confirm ? " confirmed=implicit" : "");
        cmp_ca_issued_cleanup(&iss);
    }
    /* RFC 9810 5.1.1.1: granted only when every certificate issued was confirmed so */
    a->implicit_confirm = num_issued > 0 && num_implicit == num_issued;
    a->extra_certs = svc->extra.items;
    a->num_extra_certs = svc->extra.num;
    if (call->first_type == CMP_BODY_IR) {
        a->ca_pubs = svc->capubs.items;
        a->num_ca_pubs = svc->capubs.num;
    }
    return 1;
}

/* ---- confirmation ---- */

/* Rejects (revokes) one certificate of the transaction that waits; audit line. */
static int
reject_waiting(struct cmp_ca_service *svc, const struct cmp_srv_call *call, struct ca_txn *t,
               struct ca_cert *c, const char *why, struct cmp_err *err)
{
    char hex[2 * CMP_CA_SERIAL_MAX + 1], tid[2 * CMP_CA_TID_MAX + 1], subject[AUDIT_TEXT_MAX];
    int outcome, prev;

    if (!cmp_ca_confirm(svc->ca, c->serial, c->serial_len, 0, now_secs(), &outcome, &prev, err)) {
        return CMP_CONTEXT(err, "rejecting a certificate");
    }
    c->waiting = 0;
    if (outcome == CMP_CA_DONE) {
        t->crl_due = 1;
        audit(svc, "rejected serial=%s subject=\"%s\" requester=%s tid=%s reason=%s",
              hex_of(hex, sizeof(hex), c->serial, c->serial_len),
              subject_of_der(subject, sizeof(subject), c->der, c->der_len), t->requester,
              tid_hex(tid, sizeof(tid), call), why);
    }
    return 1;
}

static int
ca_cert_conf(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_conf *confs,
             size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t = txn_of(call, err);
    char hex[2 * CMP_CA_SERIAL_MAX + 1], tid[2 * CMP_CA_TID_MAX + 1], subject[AUDIT_TEXT_MAX];
    int64_t now = now_secs();
    size_t i, j;

    if (t == NULL) {
        return 0;
    }
    for (i = 0; i < num; i++) {
        const struct cmp_srv_cert_conf *cc = &confs[i];
        struct ca_cert *c = NULL;
        struct der_in serial;
        int outcome, prev;

        if (!serial_of_der(cc->cert_der.p, cc->cert_der.len, &serial)) {
            return CMP_FAIL(err, CMP_E_INVALID, "certReqId %lld: no certificate of ours",
                            (long long)cc->cert_req_id);
        }
        for (j = 0; j < t->num_certs; j++) {
            if (t->certs[j].serial_len == serial.len &&
                memcmp(t->certs[j].serial, serial.p, serial.len) == 0) {
                c = &t->certs[j];
            }
        }
        if (!cmp_ca_confirm(svc->ca, serial.p, serial.len, cc->accepted, now, &outcome, &prev,
                            err)) {
            a->error_text = "the CA could not record the confirmation";
            return CMP_CONTEXT(err, "certConf");
        }
        if (c != NULL) {
            c->waiting = 0;
        }
        hex_of(hex, sizeof(hex), serial.p, serial.len);
        subject_of_der(subject, sizeof(subject), cc->cert_der.p, cc->cert_der.len);
        tid_hex(tid, sizeof(tid), call);
        if (outcome == CMP_CA_DONE) {
            /* a rejection revokes; an accepted kur may supersede the old certificate */
            if (!cc->accepted || t->old != NULL) {
                t->crl_due = 1;
            }
            audit(svc, "%s serial=%s subject=\"%s\" requester=%s tid=%s",
                  cc->accepted ? "confirmed" : "rejected", hex, subject, t->requester, tid);
            continue;
        }
        if (outcome == CMP_CA_WRONG_STATE && prev == CMP_CA_ST_CONFIRMED) {
            int rev_outcome, rev_prev;

            /* confirmed implicitly before (RFC 9810 5.1.1.1); a rejection now revokes it */
            if (cc->accepted) {
                continue;
            }
            if (!cmp_ca_revoke(svc->ca, serial.p, serial.len, 0, now, &rev_outcome, &rev_prev,
                               err)) {
                return CMP_CONTEXT(err, "certConf");
            }
            t->crl_due = 1;
            audit(svc, "revoked serial=%s subject=\"%s\" requester=%s tid=%s reason=certConf", hex,
                  subject, t->requester, tid);
            continue;
        }
        /* rejected meanwhile: its confirmation time ran out (tick) */
        a->error_text = "the certificate was rejected: its confirmation time ran out";
        return CMP_FAIL_INFO(err, CMP_FI_CERT_REVOKED, "certificate %s is %s", hex,
                             cmp_ca_status_name(prev));
    }
    return 1;
}

/* An error message from the client ends its transaction: what waits is rejected. */
static int
ca_error(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_error *e,
         struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t;
    size_t i;

    (void)e;
    (void)a;
    if (call->txn_data == NULL || *call->txn_data == NULL) {
        return 1; /* nothing of ours: only logged by the engine */
    }
    t = *call->txn_data;
    for (i = 0; i < t->num_certs; i++) {
        if (t->certs[i].waiting &&
            !reject_waiting(svc, call, t, &t->certs[i], "error message", err)) {
            return 0;
        }
    }
    return 1;
}

/* ---- revocation ---- */

/* The reasonCode of crlEntryDetails (RFC 9483 4.2), or 0 (unspecified) if absent. */
static int
rev_reason(const struct der_in *exts_der, int *out)
{
    const unsigned char *p = exts_der->p;
    STACK_OF(X509_EXTENSION) * exts;
    ASN1_ENUMERATED *e;
    int crit = 0;
    long v;

    *out = 0;
    if (exts_der->len == 0) {
        return 1;
    }
    exts = d2i_X509_EXTENSIONS(NULL, &p, (long)exts_der->len);
    if (exts == NULL || p != exts_der->p + exts_der->len) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        ERR_clear_error();
        return 0;
    }
    e = X509V3_get_d2i(exts, NID_crl_reason, &crit, NULL);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (e == NULL) {
        ERR_clear_error();
        return crit == -1; /* absent is fine, malformed is not */
    }
    v = ASN1_ENUMERATED_get(e);
    ASN1_ENUMERATED_free(e);
    if (v < 0 || v > 10) {
        return 0;
    }
    *out = (int)v;
    return 1;
}

static void
rev_reject(struct cmp_srv_status *st, int bit, const char *text)
{
    st->status = CMP_SRV_REJECTION;
    st->fail_info = (uint32_t)1 << bit;
    st->text = text;
}

static int
ca_revoke(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_rev_req *reqs,
          size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t = txn_of(call, err);
    const struct cmp_rev_req *rr = &call->msg->body.u.rr;
    char hex[2 * CMP_CA_SERIAL_MAX + 1], tid[2 * CMP_CA_TID_MAX + 1], subject[AUDIT_TEXT_MAX];
    uint8_t signer_serial[CMP_CA_SERIAL_MAX];
    size_t signer_serial_len = 0, i;
    int64_t now = now_secs();
    int ours = 0, ra = 0;

    if (t == NULL) {
        return 0;
    }
    if (call->auth == CMP_SRV_AUTH_SIGNATURE && call->signer != NULL) {
        struct cmp_ca_cert_rec *rec = NULL;

        cmp_ca_requester_cert(t->requester, sizeof(t->requester), call->signer);
        if (!call->vouched && !signer_status_ok(svc, call, t, &rec, err)) {
            return 0;
        }
        cmp_ca_cert_rec_free(rec);
        if (t->refused) {
            *err = t->refusal;
            a->error_text = t->refusal.msg;
            return 0;
        }
        ours = is_ours(svc, call->signer) &&
               cert_serial(call->signer, signer_serial, &signer_serial_len);
        ra = is_ra_cert(call->signer);
    } else {
        cmp_ca_requester_kid(t->requester, sizeof(t->requester), call->sender_kid.p,
                             call->sender_kid.len);
    }
    a->rev_cert_ids = 1;
    for (i = 0; i < num; i++) {
        const struct cmp_srv_rev_req *v = &reqs[i];
        struct cmp_srv_status *st = &a->revs[i];
        int reason = 0, outcome, prev;

        if (v->serial.len == 0 || v->serial.len > CMP_CA_SERIAL_MAX) {
            rev_reject(st, CMP_FI_BAD_CERT_ID, "certDetails must name a serialNumber of ours");
            continue;
        }
        if (v->issuer.len > 0 && !is_ca_name(svc, v->issuer.p, v->issuer.len)) {
            rev_reject(st, CMP_FI_BAD_CERT_ID, "certDetails names another issuer");
            continue;
        }
        /* RFC 9483 4.2: the certificate to be revoked signs the rr, or an RA */
        if (call->auth != CMP_SRV_AUTH_SIGNATURE ||
            !(ra || (ours && signer_serial_len == v->serial.len &&
                     memcmp(signer_serial, v->serial.p, v->serial.len) == 0))) {
            /* whether it exists is not told to someone who may not revoke it */
            rev_reject(st, CMP_FI_NOT_AUTHORIZED,
                       "an rr must be signed with the certificate to be revoked, or by an RA");
            continue;
        }
        if (!rev_reason(&rr->items[i].crl_entry_details, &reason)) {
            rev_reject(st, CMP_FI_BAD_DATA_FORMAT, "crlEntryDetails reasonCode is malformed");
            continue;
        }
        if (reason == 6 || reason == 8 || reason == 7) {
            rev_reject(st, CMP_FI_BAD_REQUEST,
                       "certificateHold and removeFromCRL are not supported: revocation is final");
            continue;
        }
        if (!cmp_ca_revoke(svc->ca, v->serial.p, v->serial.len, reason, now, &outcome, &prev,
                           err)) {
            a->error_text = "the CA could not record the revocation";
            return CMP_CONTEXT(err, "rr");
        }
        if (outcome == CMP_CA_NOT_FOUND) {
            rev_reject(st, CMP_FI_BAD_CERT_ID, "no certificate of this CA has that serialNumber");
            continue;
        }
        if (outcome == CMP_CA_WRONG_STATE) {
            rev_reject(st, CMP_FI_CERT_REVOKED, "the certificate is already revoked");
            continue;
        }
        st->status = CMP_SRV_ACCEPTED;
        t->crl_due = 1;
        audit(svc, "revoked serial=%s subject=\"%s\" requester=%s tid=%s reason=%s",
              hex_of(hex, sizeof(hex), v->serial.p, v->serial.len),
              subject_of_serial(svc, subject, sizeof(subject), v->serial.p, v->serial.len),
              t->requester, tid_hex(tid, sizeof(tid), call), cmp_ca_reason_name(reason));
    }
    return 1;
}

/* ---- commit: after each callback, before the response leaves ---- */

static int
ca_commit(void *arg, const struct cmp_srv_call *call, int ok, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t = call->txn_data != NULL ? *call->txn_data : NULL;
    struct cmp_err e;
    size_t i;

    (void)err;
    if (t == NULL) {
        return 1;
    }
    /*
     * Everything was committed durably by the callback (the store's calls
     * return after their COMMIT). A response that cannot be sent takes
     * back what it would have announced: the new certificates are rejected.
     */
    for (i = 0; i < t->num_certs; i++) {
        if (t->certs[i].new && !ok && t->certs[i].waiting) {
            cmp_err_init(&e);
            if (!reject_waiting(svc, call, t, &t->certs[i], "response not sent", &e)) {
                cmp_srv_call_log_err(call, CMP_SRV_LOG_ERR, "CA", &e);
            }
        }
        t->certs[i].new = 0;
    }
    if (t->crl_due) {
        t->crl_due = 0;
        note_crl_due(svc);
        cmp_err_init(&e);
        /* a CRL that fails now is issued at the next tick; the revocation stands */
        if (!issue_crl(svc, now_secs(), &e)) {
            cmp_srv_call_log_err(call, CMP_SRV_LOG_ERR, "CA: CRL", &e);
        }
    }
    return 1;
}

/* ---- credentials ---- */

/* *out: a malloc()ed copy of |len| bytes for the engine, which frees it. */
static int
dup_bytes(uint8_t **out, size_t *out_len, const uint8_t *p, size_t len, struct cmp_err *err)
{
    *out = malloc(len > 0 ? len : 1);
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "credentials");
    }
    memcpy(*out, p, len);
    *out_len = len;
    return 1;
}

static int
ca_find_secret(void *arg, const struct cmp_srv_cred_query *q, uint8_t **out, size_t *out_len,
               struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct cmp_ca_secret_rec *s = NULL;
    int ok;

    *out = NULL;
    *out_len = 0;
    if (q->sender_kid.len == 0 || q->sender_kid.len > CMP_CA_REF_MAX) {
        return 1;
    }
    if (!cmp_ca_store_get_secret(svc->store, q->sender_kid.p, q->sender_kid.len, &s, err)) {
        return CMP_CONTEXT(err, "enrollment secret");
    }
    if (s == NULL) {
        return 1;
    }
    ok = dup_bytes(out, out_len, s->secret, s->secret_len, err);
    cmp_ca_secret_rec_free(s);
    return ok;
}

/* Finds a confirmed certificate of |subject| whose SKID is |kid|. */
struct kid_search {
    const uint8_t *kid;
    size_t kid_len;
    uint8_t *der;
    size_t der_len;
};

static int
match_kid(void *arg, const struct cmp_ca_cert_rec *rec)
{
    struct kid_search *k = arg;
    const unsigned char *p = rec->cert_der;
    X509 *x = d2i_X509(NULL, &p, (long)rec->cert_der_len);
    const ASN1_OCTET_STRING *skid = x != NULL ? X509_get0_subject_key_id(x) : NULL;
    int match = skid != NULL && (size_t)ASN1_STRING_length(skid) == k->kid_len &&
                memcmp(ASN1_STRING_get0_data(skid), k->kid, k->kid_len) == 0;

    X509_free(x);
    ERR_clear_error();
    if (match) {
        free(k->der);
        k->der = malloc(rec->cert_der_len);
        if (k->der != NULL) {
            memcpy(k->der, rec->cert_der, rec->cert_der_len);
            k->der_len = rec->cert_der_len;
        }
    }
    return 1; /* the newest match wins (oldest first) */
}

static int
ca_find_signer(void *arg, const struct cmp_srv_cred_query *q, uint8_t **out, size_t *out_len,
               struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct cmp_ca_cert_filter f;
    struct cmp_ca_cert_rec *rec = NULL;
    struct kid_search k;
    int ok;

    *out = NULL;
    *out_len = 0;
    memset(&f, 0, sizeof(f));
    if (q->cert_issuer.len > 0) {
        /* RFC 9483 3.3: the first extraCert is the protection certificate */
        if (!is_ca_name(svc, q->cert_issuer.p, q->cert_issuer.len) ||
            q->cert_serial.len > CMP_CA_SERIAL_MAX) {
            return 1; /* not ours: the engine checks its path to -srv_trusted */
        }
        if (!get_by_serial(svc, q->cert_serial.p, q->cert_serial.len, &rec, err)) {
            return CMP_CONTEXT(err, "signer certificate");
        }
        if (rec == NULL) {
            return CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED,
                                 "the signer certificate names this CA as issuer but is not in "
                                 "its records");
        }
        if (rec->status != CMP_CA_ST_CONFIRMED) {
            CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED, "the signer certificate is %s",
                          cmp_ca_status_name(rec->status));
            cmp_ca_cert_rec_free(rec);
            return 0;
        }
        ok = dup_bytes(out, out_len, rec->cert_der, rec->cert_der_len, err);
        cmp_ca_cert_rec_free(rec);
        return ok;
    }
    /* no extraCerts: the sender and senderKID name it (RFC 9483 3.1) */
    if (q->sender.len == 0 || q->sender_kid.len == 0) {
        return 1;
    }
    f.subject_der = q->sender.p;
    f.subject_der_len = q->sender.len;
    f.status_mask = CMP_CA_ST_BIT(CMP_CA_ST_CONFIRMED);
    f.limit = SIGNER_CANDIDATES;
    memset(&k, 0, sizeof(k));
    k.kid = q->sender_kid.p;
    k.kid_len = q->sender_kid.len;
    if (!svc->store->ops->each_cert(svc->store, &f, match_kid, &k, err)) {
        free(k.der);
        return CMP_CONTEXT(err, "signer certificate");
    }
    *out = k.der;
    *out_len = k.der_len;
    return 1;
}

/* ---- support messages (genm, RFC 9483 4.3) ---- */

/* The name of an infoType, for the log. */
static const char *
itav_name(const struct der_in *oid)
{
    const char *name = cmp_oid_name(oid);

    return name != NULL ? name : "an unknown infoType";
}

/* ITAVs one genm may ask about. */
#define GENM_MAX_ITAVS 8

/*
 * rootCaCert (RFC 9483 4.3.2): the update when one is configured and the
 * genm names the CA's current root (or no root: the CA has one); else no
 * value, as RFC 9483 asks when there is no update for that root.
 */
static int
answer_root(const struct cmp_ca_service *svc, const struct cmp_itav *req, struct cmp_srv_itav *ans,
            struct cmp_err *err)
{
    X509 *old;
    int same;

    ans->type = (struct cmp_srv_der){cmp_oid(CMP_NID_IT_ROOT_CA_KEY_UPDATE).p,
                                     cmp_oid(CMP_NID_IT_ROOT_CA_KEY_UPDATE).len};
    if (svc->root_update == NULL) {
        return 1;
    }
    if (req->has_value) {
        old = cmp_vfy_cert_parse(&req->value);
        if (old == NULL) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "rootCaCert is not a certificate");
        }
        same = svc->root != NULL && X509_cmp(old, svc->root) == 0;
        X509_free(old);
        if (!same) {
            return 1;
        }
    }
    ans->value = (struct cmp_srv_der){svc->root_update, svc->root_update_len};
    return 1;
}

/* Whether the CRLSource of |st| names this CA's CRL: its issuer, or a distribution point
 * whose fullName holds the CA's name or -ca_crl_url. */
static int
crl_source_is_ours(const struct cmp_ca_service *svc, const struct cmp_crl_status *st)
{
    struct der_in ca_name = der_in_make(svc->ca_name, svc->ca_name_len);
    size_t i;

    if (st->source_type == CMP_CRL_SOURCE_DPN && st->dpn_type != CMP_DPN_FULL_NAME) {
        return 0; /* nameRelativeToCRLIssuer: this CA has one CRL, named by fullName */
    }
    for (i = 0; i < st->num_names; i++) {
        const struct cmp_gname *g = &st->names[i];

        if (g->type == CMP_GN_DIRNAME && cmp_vfy_name_eq(&g->value, &ca_name)) {
            return 1;
        }
        if (g->type == CMP_GN_URI && st->source_type == CMP_CRL_SOURCE_DPN &&
            svc->crl_url != NULL && g->value.len == strlen(svc->crl_url) &&
            memcmp(g->value.p, svc->crl_url, g->value.len) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * crlStatusList (RFC 9483 4.3.4): the CA's current CRL in a crls answer if
 * a CRLStatus names it and the client's (thisUpdate) is older or absent;
 * crls without a value if the client has the current one. A source naming
 * no CRL of this CA is refused (badRequest), as openssl's mock does.
 */
static int
answer_crls(struct cmp_ca_service *svc, const struct cmp_itav *req, struct cmp_srv_itav *ans,
            uint8_t **buf, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_crl_status_list l;
    struct der_in v = req->value;
    uint8_t *crl = NULL;
    size_t crl_len = 0, i, len = 0, mark;
    struct der_out w;
    int64_t ours;
    int newer = 0, ok;

    ans->type = (struct cmp_srv_der){cmp_oid(CMP_NID_IT_CRLS).p, cmp_oid(CMP_NID_IT_CRLS).len};
    memset(&l, 0, sizeof(l));
    if (!req->has_value || !cmp_crl_status_list_decode(&v, &l, NULL)) {
        cmp_crl_status_list_cleanup(&l);
        a->error_text = "crlStatusList without a CRLStatus";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "crlStatusList without a CRLStatus");
    }
    if (!cmp_ca_service_crl(svc, now_secs(), &crl, &crl_len, err)) {
        cmp_crl_status_list_cleanup(&l);
        a->error_text = "the CA has no CRL";
        return CMP_CONTEXT(err, "crlStatusList");
    }
    ours = crl_this_update(crl, crl_len);
    for (i = 0; i < l.num; i++) {
        const struct cmp_crl_status *st = &l.items[i];

        if (!crl_source_is_ours(svc, st)) {
            cmp_crl_status_list_cleanup(&l);
            free(crl);
            a->error_text = "unknown CRL issuer or distribution point";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                 "crlStatusList #%zu names no CRL of this CA", i);
        }
        newer |= !st->has_this_update || st->this_update_secs < ours;
    }
    cmp_crl_status_list_cleanup(&l);
    ok = 1;
    if (newer) {
        /* CRLsValue ::= SEQUENCE SIZE (1..MAX) OF CertificateList */
        der_out_init(&w, CMP_MAX_MSG_LEN);
        ok = der_open(&w, DER_SEQUENCE, &mark) && der_put_raw(&w, crl, crl_len) &&
             der_close(&w, mark) && der_out_finish(&w, buf, &len);
        der_out_cleanup(&w);
        ans->value = (struct cmp_srv_der){*buf, len};
    }
    free(crl);
    return ok ? 1 : CMP_FAIL(err, CMP_E_ENCODE, "crls");
}

/* certReqTemplate (RFC 9483 4.3.3) of the profile the genm's certProfile names. */
static int
answer_template(struct cmp_ca_service *svc, const struct cmp_srv_call *call, struct ca_txn *t,
                struct cmp_srv_itav *ans, uint8_t **buf, struct cmp_srv_answer *a,
                struct cmp_err *err)
{
    const struct cmp_ca_profile *prof;
    size_t len = 0;

    ans->type = (struct cmp_srv_der){cmp_oid(CMP_NID_IT_CERT_REQ_TEMPLATE).p,
                                     cmp_oid(CMP_NID_IT_CERT_REQ_TEMPLATE).len};
    if (t->profiles == NULL && !t->refused && !read_profiles(call, t, 1)) {
        return 0;
    }
    if (t->refused) {
        *err = t->refusal;
        a->error_text = t->refusal.msg;
        return 0;
    }
    prof = cmp_ca_get0_profile(svc->ca, t->num_profiles > 0 ? t->profiles[0] : NULL);
    if (prof == NULL) {
        a->error_text = "unknown certificate profile";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE, "certProfile %s is not a profile",
                             t->profiles[0]);
    }
    if (!cmp_ca_support_template(prof, buf, &len, err)) {
        return 0;
    }
    ans->value = (struct cmp_srv_der){*buf, len};
    return 1;
}

static int
ca_general(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_itav *itavs, size_t num,
           struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_ca_service *svc = arg;
    struct ca_txn *t = txn_of(call, err);
    size_t i;

    if (t == NULL) {
        return 0;
    }
    if (num > GENM_MAX_ITAVS) {
        a->error_text = "too many InfoTypeAndValues";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "genm with %zu InfoTypeAndValues (at most %d)", num, GENM_MAX_ITAVS);
    }
    if (num > 0) {
        t->genp = calloc(num, sizeof(*t->genp));
        t->genp_bufs = calloc(num, sizeof(*t->genp_bufs));
        if (t->genp == NULL || t->genp_bufs == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "genp");
        }
        t->num_genp = num;
    }
    for (i = 0; i < num; i++) {
        struct cmp_srv_itav *ans = &t->genp[i];
        struct cmp_itav req;
        int ok = 1;

        memset(&req, 0, sizeof(req));
        req.type = der_in_make(itavs[i].type.p, itavs[i].type.len);
        req.has_value = itavs[i].value.len > 0;
        req.value = der_in_make(itavs[i].value.p, itavs[i].value.len);
        if (!cmp_itav_value_check(&req, err)) {
            a->error_text = "malformed InfoTypeAndValue";
            return CMP_CONTEXT(err, "genm #%zu", i);
        }
        switch (cmp_oid_nid(&req.type)) {
        case CMP_NID_IT_CA_CERTS:
            /* RFC 9483 4.3.1: the CA certificate and its chain (-rsp_extracerts) */
            ans->type = itavs[i].type;
            ans->value = (struct cmp_srv_der){svc->ca_certs, svc->ca_certs_len};
            break;
        case CMP_NID_IT_ROOT_CA_CERT:
            ok = answer_root(svc, &req, ans, err);
            break;
        case CMP_NID_IT_CERT_REQ_TEMPLATE:
            ok = answer_template(svc, call, t, ans, &t->genp_bufs[i], a, err);
            break;
        case CMP_NID_IT_CRL_STATUS_LIST:
            ok = answer_crls(svc, &req, ans, &t->genp_bufs[i], a, err);
            break;
        default:
            /* RFC 9810 5.3.19: an infoType this CA has nothing on comes back without a value */
            ans->type = itavs[i].type;
            break;
        }
        if (!ok) {
            return CMP_CONTEXT(err, "genm %s", itav_name(&req.type));
        }
        cmp_srv_call_log(call, CMP_SRV_LOG_INFO, "answering %s with %s %s", itav_name(&req.type),
                         itav_name(&(struct der_in){ans->type.p, ans->type.len}),
                         ans->value.len > 0 ? "and a value" : "without a value");
    }
    a->itavs = t->genp;
    a->num_itavs = t->num_genp;
    return 1;
}

static int
ca_tick(void *arg, int64_t now, struct cmp_err *err)
{
    return cmp_ca_service_tick(arg, now, err);
}

int
cmp_ca_service_responder(struct cmp_ca_service *svc, struct cmp_srv_responder *out,
                         struct cmp_err *err)
{
    memset(out, 0, sizeof(*out));
    if (svc == NULL || svc->ca == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "the CA responder needs the CA key (-ca_key)");
    }
    out->arg = svc;
    out->cert_request = ca_cert_request;
    out->revoke = ca_revoke;
    out->cert_conf = ca_cert_conf;
    out->error = ca_error;
    out->commit = ca_commit;
    out->txn_free = txn_free;
    out->find_secret = ca_find_secret;
    out->find_signer = ca_find_signer;
    out->check_cert_request = ca_check_cert_request;
    out->tick = ca_tick;
    out->general = ca_general;
    return 1;
}

/* ---- the service ---- */

void
cmp_ca_service_config_init(struct cmp_ca_service_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
}

/*
 * The CA's root: -ca_cert if self-signed, else the certificate that the
 * chain (-rsp_extracerts, then -rsp_capubs) leads to; NULL if it ends
 * before a self-signed one. Borrowed.
 */
static X509 *
find_root(X509 *cert, STACK_OF(X509) * chain, STACK_OF(X509) * more)
{
    X509 *x = cert;
    int depth, i;

    for (depth = 0; x != NULL && depth < 8; depth++) {
        X509 *up = NULL;

        if (X509_check_issued(x, x) == X509_V_OK) {
            return x;
        }
        for (i = 0; up == NULL && i < sk_X509_num(chain) + sk_X509_num(more); i++) {
            X509 *c = i < sk_X509_num(chain) ? sk_X509_value(chain, i)
                                             : sk_X509_value(more, i - sk_X509_num(chain));

            if (c != x && X509_check_issued(c, x) == X509_V_OK) {
                up = c;
            }
        }
        x = up;
    }
    return NULL;
}

/* The answers to support messages that come from the configuration (genm). */
static int
support_init(struct cmp_ca_service *svc, const struct cmp_ca_service_config *cfg,
             struct cmp_err *err)
{
    struct cmp_certs certs;
    struct der_in items[16];
    struct der_out w;
    size_t i;

    /* caCerts: the CA certificate and its chain, as the extraCerts of its answers */
    if (svc->extra.num > sizeof(items) / sizeof(items[0])) {
        return CMP_FAIL(err, CMP_E_ARG, "-rsp_extracerts: more than %zu certificates",
                        sizeof(items) / sizeof(items[0]) - 1);
    }
    for (i = 0; i < svc->extra.num; i++) {
        items[i] = der_in_make(svc->extra.items[i].p, svc->extra.items[i].len);
    }
    certs.num = svc->extra.num;
    certs.items = items;
    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_certs_encode(&w, DER_SEQUENCE, &certs) ||
        !der_out_finish(&w, &svc->ca_certs, &svc->ca_certs_len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "caCerts");
    }
    der_out_cleanup(&w);
    if (cfg->crl_url != NULL && (svc->crl_url = strdup(cfg->crl_url)) == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "-ca_crl_url");
    }
    if (cfg->new_with_new == NULL) {
        if (cfg->new_with_old != NULL || cfg->old_with_new != NULL) {
            return CMP_FAIL(err, CMP_E_ARG,
                            "-rsp_newwithold and -rsp_oldwithnew need -rsp_newwithnew");
        }
        return 1;
    }
    /* rootCaCert: the rollover of the CA's current root */
    svc->root = find_root(cfg->cert, cfg->extra_certs, cfg->ca_pubs);
    if (svc->root == NULL) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "-rsp_newwithnew: the CA's root is not known (-ca_cert is not self-signed "
                        "and -rsp_extracerts/-rsp_capubs lead to no self-signed certificate)");
    }
    if (X509_check_issued(cfg->new_with_new, cfg->new_with_new) != X509_V_OK) {
        return CMP_FAIL(err, CMP_E_ARG, "-rsp_newwithnew is not a self-signed root");
    }
    if (cfg->old_with_new != NULL &&
        (X509_NAME_cmp(X509_get_subject_name(cfg->old_with_new),
                       X509_get_subject_name(svc->root)) != 0 ||
         X509_check_issued(cfg->new_with_new, cfg->old_with_new) != X509_V_OK)) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "-rsp_oldwithnew is not the current root certified by the new one");
    }
    if (cfg->new_with_old != NULL &&
        (X509_NAME_cmp(X509_get_subject_name(cfg->new_with_old),
                       X509_get_subject_name(cfg->new_with_new)) != 0 ||
         X509_check_issued(svc->root, cfg->new_with_old) != X509_V_OK)) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "-rsp_newwithold is not the new root certified by the current one");
    }
    if (!X509_up_ref(svc->root)) {
        svc->root = NULL;
        return CMP_FAIL(err, CMP_E_MEMORY, "root");
    }
    return cmp_ca_support_root_update(cfg->new_with_new, cfg->new_with_old, cfg->old_with_new,
                                      &svc->root_update, &svc->root_update_len, err);
}

/* Reads the profiles named in cfg->profiles; the first becomes the default. */
static int
add_profiles(struct cmp_ca_service *svc, const struct cmp_ca_service_config *cfg,
             struct cmp_err *err)
{
    const char *p = cfg->profiles != NULL ? cfg->profiles : "";
    char section[128];
    int first = 1, r;

    while ((r = cmp_ca_list_next(&p, section, sizeof(section))) != 0) {
        struct cmp_ca_profile *prof;

        if (r < 0) {
            return CMP_FAIL(err, CMP_E_ARG, "-ca_profiles: a section name is too long");
        }
        if (cfg->conf == NULL) {
            return CMP_FAIL(err, CMP_E_ARG,
                            "-ca_profiles names section '%s', but there is no config file",
                            section);
        }
        prof = cmp_ca_profile_from_conf(cfg->conf, section, cfg->days, err);
        if (prof == NULL) {
            return CMP_CONTEXT(err, "-ca_profiles");
        }
        if (!cmp_ca_add_profile(svc->ca, prof, err)) {
            cmp_ca_profile_free(prof);
            return CMP_CONTEXT(err, "-ca_profiles");
        }
        if (first && !cmp_ca_set_default_profile(svc->ca, prof->name, err)) {
            return CMP_CONTEXT(err, "-ca_profiles");
        }
        first = 0;
    }
    return 1;
}

struct cmp_ca_service *
cmp_ca_service_new(const struct cmp_ca_service_config *cfg, struct cmp_err *err)
{
    struct cmp_ca_service *svc;
    unsigned char *name = NULL;
    int len;
    uint8_t *crl = NULL;
    size_t crl_len = 0;
    int64_t number;

    if (cfg == NULL || cfg->db == NULL) {
        CMP_FAIL(err, CMP_E_ARG, "the CA needs a database (-ca_db)");
        return NULL;
    }
    if (cfg->key != NULL && cfg->cert == NULL) {
        CMP_FAIL(err, CMP_E_ARG, "-ca_key needs -ca_cert");
        return NULL;
    }
    if (cfg->key != NULL && X509_check_private_key(cfg->cert, cfg->key) != 1) {
        ERR_clear_error();
        CMP_FAIL(err, CMP_E_ARG, "-ca_key does not match -ca_cert");
        return NULL;
    }
    if (cfg->days < 0 || cfg->days > CMP_CA_MAX_DAYS || cfg->crl_interval < 0) {
        CMP_FAIL(err, CMP_E_ARG, "-days or -ca_crl_interval out of range");
        return NULL;
    }
    svc = calloc(1, sizeof(*svc));
    if (svc == NULL || pthread_mutex_init(&svc->lock, NULL) != 0) {
        free(svc);
        CMP_FAIL(err, CMP_E_MEMORY, "CA");
        return NULL;
    }
    svc->accept_raverified = cfg->accept_raverified;
    svc->crl_interval = cfg->crl_interval > 0 ? cfg->crl_interval : 86400;
    svc->audit = cfg->audit;
    svc->audit_arg = cfg->audit_arg;
    svc->store = cmp_ca_store_sqlite_open(cfg->db, NULL, err);
    if (svc->store == NULL) {
        CMP_CONTEXT(err, "-ca_db %.100s", cfg->db);
        goto fail;
    }
    if (cfg->cert != NULL) {
        if (!X509_up_ref(cfg->cert)) {
            CMP_FAIL(err, CMP_E_MEMORY, "CA certificate");
            goto fail;
        }
        svc->cert = cfg->cert;
        len = i2d_X509_NAME(X509_get_subject_name(cfg->cert), &name);
        if (len <= 0) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "subject of -ca_cert");
            goto fail;
        }
        svc->ca_name = malloc((size_t)len);
        if (svc->ca_name == NULL) {
            OPENSSL_free(name);
            CMP_FAIL(err, CMP_E_MEMORY, "CA name");
            goto fail;
        }
        memcpy(svc->ca_name, name, (size_t)len);
        svc->ca_name_len = (size_t)len;
        OPENSSL_free(name);
    }
    if (cfg->key != NULL) {
        svc->ca = cmp_ca_new(cfg->cert, cfg->key, svc->store, cfg->days, err);
        if (svc->ca == NULL || !add_profiles(svc, cfg, err)) {
            goto fail;
        }
        cmp_ca_set_crl_period(svc->ca, svc->crl_interval);
        if (cfg->crl_url != NULL && !cmp_ca_set_crl_url(svc->ca, cfg->crl_url, err)) {
            CMP_CONTEXT(err, "-ca_crl_url");
            goto fail;
        }
        if (!certs_set(&svc->extra, cfg->cert, cfg->extra_certs) ||
            !certs_set(&svc->capubs, NULL, cfg->ca_pubs)) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "extraCerts and caPubs of the CA's answers");
            goto fail;
        }
        if (!support_init(svc, cfg, err)) {
            goto fail;
        }
        /* the last CRL's time: the schedule goes on from there after a restart */
        if (!svc->store->ops->crl_last(svc->store, &crl, &crl_len, &number, err)) {
            CMP_CONTEXT(err, "-ca_db %.100s: the last CRL", cfg->db);
            goto fail;
        }
        if (crl != NULL) {
            svc->last_crl = crl_this_update(crl, crl_len);
            free(crl);
        }
    }
    return svc;
fail:
    cmp_ca_service_free(svc);
    return NULL;
}

void
cmp_ca_service_free(struct cmp_ca_service *svc)
{
    if (svc == NULL) {
        return;
    }
    cmp_ca_free(svc->ca);
    cmp_ca_store_close(svc->store);
    X509_free(svc->cert);
    free(svc->ca_name);
    certs_cleanup(&svc->extra);
    certs_cleanup(&svc->capubs);
    free(svc->ca_certs);
    free(svc->root_update);
    X509_free(svc->root);
    free(svc->crl_url);
    pthread_mutex_destroy(&svc->lock);
    free(svc);
}

/* For command.c: the parts of the service administration needs. */
struct cmp_ca_store *
cmp_ca_service_store(struct cmp_ca_service *svc)
{
    return svc->store;
}

struct cmp_ca *
cmp_ca_service_ca(struct cmp_ca_service *svc)
{
    return svc->ca;
}

void
cmp_ca_service_audit_revoked(struct cmp_ca_service *svc, const uint8_t *serial, size_t len,
                             int reason)
{
    char hex[2 * CMP_CA_SERIAL_MAX + 1], subject[AUDIT_TEXT_MAX];

    audit(svc, "revoked serial=%s subject=\"%s\" requester=administrator tid=- reason=%s",
          hex_of(hex, sizeof(hex), serial, len),
          subject_of_serial(svc, subject, sizeof(subject), serial, len),
          cmp_ca_reason_name(reason) != NULL ? cmp_ca_reason_name(reason) : "?");
}

void
cmp_ca_service_note_crl(struct cmp_ca_service *svc, int64_t now)
{
    pthread_mutex_lock(&svc->lock);
    if (now > svc->last_crl) {
        svc->last_crl = now;
    }
    svc->crl_due = 0;
    pthread_mutex_unlock(&svc->lock);
}

int
cmp_ca_service_sweep(struct cmp_ca_service *svc, int64_t now, size_t *out_count,
                     struct cmp_err *err)
{
    struct expired_ctx x = {svc, now};

    *out_count = 0;
    if (svc->ca == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "the CA has no key (-ca_key)");
    }
    if (!cmp_ca_expire_waiting(svc->ca, now, audit_expired, &x, out_count, err)) {
        return 0;
    }
    return *out_count == 0 || issue_crl(svc, now, err);
}
