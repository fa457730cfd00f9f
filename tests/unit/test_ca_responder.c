/*
 * The CA responder (lib/ca/responder.c, cmpkit/ca.h) behind the server
 * engine, driven by the cmpkit client through an in-process transfer:
 *
 *   - enrollment (ir with a database secret, reusable and one-time; cr
 *     and kur signed by a certificate of the CA, with and without
 *     extraCerts; p10cr), each certificate verified against the CA, with
 *     the requested key and subject and its profile's extensions;
 *   - profiles chosen by certProfile (RFC 9483 4.1.1), implicit
 *     confirmation only where the profile grants it;
 *   - confirmation: certConf accepting and rejecting, the timeout (tick),
 *     an error message from the client;
 *   - revocation by the certificate itself and by an RA (id-kp-cmcRA),
 *     certRevoked and badCertId, kur superseding, CRLs listing exactly the
 *     revoked serials with growing numbers;
 *   - hostile and unauthorised requests: each gets the failure bit RFC
 *     9483 names, and the database (every certificate, secret and the CRL
 *     number) is the same before and after;
 *   - administration commands in text and JSON Lines.
 *
 * Works in its own mkdtemp() directory; no network.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca/store.h"
#include "ca_test_util.h"
#include "check.h"
#include "cmpkit/ca.h"
#include "cmpkit/client.h"
#include "cmpkit/server.h"
#include "msg/msg.h"

static const char profiles_conf[] = "[device]\n"
                                    "subject_required = CN\n"
                                    "key_types = EC:P-256, EC:P-384, RSA:2048-4096, Ed25519\n"
                                    "extended_key_usage = clientAuth\n"
                                    "days = 30\n"
                                    "[server]\n"
                                    "extended_key_usage = serverAuth\n"
                                    "implicit_confirm = yes\n"
                                    "kur_old = keep\n"
                                    "[ra]\n"
                                    "extended_key_usage = cmcRA\n"
                                    "[quick]\n"
                                    "confirm_timeout = 1\n";

struct fx {
    char dir[256], db[300];
    EVP_PKEY *ca_key;
    X509 *ca_cert;
    CONF *conf;
    struct cmp_ca_service *svc;
    struct cmp_srv *srv;
    X509_STORE *trust; /* the CA, for the client and for checking what it issued */
    char audit[16384];
    size_t audit_len;
    /* the last transaction's outcome */
    int status;
    uint32_t failinfo;
    char text[512];
};

static void
audit_cb(void *arg, const char *line)
{
    struct fx *f = arg;
    int n = snprintf(f->audit + f->audit_len, sizeof(f->audit) - f->audit_len, "%s\n", line);

    if (n > 0 && f->audit_len + (size_t)n < sizeof(f->audit)) {
        f->audit_len += (size_t)n;
    }
}

/* ---- the in-process transfer, with a hook to drop extraCerts ---- */

struct tp {
    struct cmp_srv *srv;
    int strip_extra_certs; /* extraCerts are not protected: the request stays valid */
};

static int
tp_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
            size_t *rsp_len, struct cmp_err *err)
{
    struct tp *t = ctx;
    struct cmp_msg *m = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    int ok;

    (void)timeout_ms;
    if (t->strip_extra_certs) {
        if (!cmp_msg_decode(&m, req, req_len, err)) {
            return 0;
        }
        cmp_certs_cleanup(&m->extra_certs);
        m->has_extra_certs = 0;
        ok = cmp_msg_encode(m, &der, &der_len, err);
        cmp_msg_free(m);
        if (!ok) {
            return 0;
        }
        req = der;
        req_len = der_len;
    }
    ok = cmp_srv_handle(t->srv, req, req_len, rsp, rsp_len);
    free(der);
    return ok ? 1 : CMP_FAIL(err, CMP_E_MEMORY, "server");
}

static void
tp_free(void *ctx)
{
    free(ctx);
}

/* ---- set-up ---- */

static int
fx_init(struct fx *f)
{
    struct cmp_ca_service_config cfg;
    struct cmp_srv_config sc;
    struct cmp_srv_responder rs;
    struct cmp_err err;
    BIO *b;
    long eline = 0;

    memset(f, 0, sizeof(*f));
    cmp_err_init(&err);
    if (ct_tmpdir(f->dir, sizeof(f->dir)) == NULL) {
        return 0;
    }
    snprintf(f->db, sizeof(f->db), "%s/ca.db", f->dir);
    f->ca_key = ct_key("P-256");
    f->ca_cert =
        f->ca_key != NULL ? ct_root(f->ca_key, "CN=Responder Test CA,O=cmpkit", 3650) : NULL;
    f->conf = NCONF_new(NULL);
    b = BIO_new_mem_buf(profiles_conf, -1);
    if (f->ca_cert == NULL || f->conf == NULL || b == NULL ||
        NCONF_load_bio(f->conf, b, &eline) <= 0) {
        BIO_free(b);
        return 0;
    }
    BIO_free(b);
    f->trust = X509_STORE_new();
    if (f->trust == NULL || X509_STORE_add_cert(f->trust, f->ca_cert) != 1) {
        return 0;
    }
    cmp_ca_service_config_init(&cfg);
    cfg.cert = f->ca_cert;
    cfg.key = f->ca_key;
    cfg.db = f->db;
    cfg.conf = f->conf;
    cfg.profiles = "device, server, ra quick";
    cfg.audit = audit_cb;
    cfg.audit_arg = f;
    f->svc = cmp_ca_service_new(&cfg, &err);
    if (f->svc == NULL || !cmp_ca_service_responder(f->svc, &rs, &err)) {
        char buf[512];

        fprintf(stderr, "CA: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
        return 0;
    }
    cmp_srv_config_init(&sc);
    sc.cert = f->ca_cert;
    sc.key = f->ca_key;
    sc.trusted = NULL; /* only the CA's own certificates sign */
    sc.responder = &rs;
    f->srv = cmp_srv_new(&sc, &err);
    return f->srv != NULL;
}

static void
fx_cleanup(struct fx *f)
{
    cmp_srv_free(f->srv);
    cmp_ca_service_free(f->svc);
    X509_STORE_free(f->trust);
    X509_free(f->ca_cert);
    EVP_PKEY_free(f->ca_key);
    NCONF_free(f->conf);
    ct_rmdir(f->dir);
}

/* ---- a client transaction ---- */

/* Further certificate requests (cmp_ctx_add1_request()), and what each got. */
struct ro_extra {
    size_t num;
    const char *subject[2];
    EVP_PKEY *key[2];
    X509 *out[2]; /* the certificate granted and accepted (new reference), or NULL */
    int status[2];
    uint32_t failinfo[2];
};

struct ro {
    const char *ref, *secret; /* MAC */
    X509 *cert;               /* signature */
    EVP_PKEY *key;
    EVP_PKEY *newkey;
    const char *subject;
    X509 *oldcert;
    const char *profile; /* certProfile */
    int popo;            /* 0: default; else popo + 10 (-1 none: 9, raVerified: 10) */
    int implicit;
    int disable_confirm;
    int revreason;
    X509_REQ *csr;
    int strip_extra_certs;
    X509_STORE *out_trusted; /* the client rejects a certificate that does not chain to it */
    struct ro_extra *extra; /* further certificate requests in the message, or NULL */
};

/* certProfile: SEQUENCE { UTF8String name } */
static int
add_profile(struct cmp_ctx *c, const char *name)
{
    uint8_t der[80];
    size_t n = strlen(name);

    if (n > 60) {
        return 0;
    }
    der[0] = 0x30;
    der[1] = (uint8_t)(n + 2);
    der[2] = 0x0C;
    der[3] = (uint8_t)n;
    memcpy(der + 4, name, n);
    return cmp_ctx_add1_geninfo(c, "1.3.6.1.5.5.7.4.21", der, n + 4);
}

/* A client context for |o| that talks to the CA in process; NULL on failure. */
static struct cmp_ctx *
new_ctx(struct fx *f, const struct ro *o)
{
    struct cmp_ctx *c = cmp_ctx_new();
    size_t i;
    struct tp *t = calloc(1, sizeof(*t));
    struct cmp_transfer *tr = calloc(1, sizeof(*tr));
    X509_NAME *subject = NULL;
    int ok;

    if (c == NULL || t == NULL || tr == NULL) {
        cmp_ctx_free(c);
        free(t);
        free(tr);
        return NULL;
    }
    t->srv = f->srv;
    t->strip_extra_certs = o->strip_extra_certs;
    tr->exchange = tp_exchange;
    tr->free = tp_free;
    tr->ctx = t;
    cmp_ctx_set0_transfer(c, tr);
    ok = cmp_ctx_set1_trusted(c, f->trust);
    if (o->ref != NULL) {
        ok = ok && cmp_ctx_set1_ref(c, (const uint8_t *)o->ref, strlen(o->ref)) &&
             cmp_ctx_set1_secret(c, (const uint8_t *)o->secret, strlen(o->secret));
        /* the recipient of MAC-protected requests: the CA's name */
        ok = ok && cmp_ctx_set1_recipient(c, X509_get_subject_name(f->ca_cert));
    }
    if (o->cert != NULL) {
        ok = ok && cmp_ctx_set1_cert(c, o->cert) && cmp_ctx_set1_key(c, o->key);
    }
    if (o->newkey != NULL) {
        ok = ok && cmp_ctx_set1_newkey(c, o->newkey);
    }
    if (o->subject != NULL) {
        subject = ct_name(o->subject);
        ok = ok && subject != NULL && cmp_ctx_set1_subject(c, subject);
    }
    if (o->oldcert != NULL) {
        ok = ok && cmp_ctx_set1_oldcert(c, o->oldcert);
    }
    if (o->csr != NULL) {
        ok = ok && cmp_ctx_set1_csr(c, o->csr);
    }
    if (o->out_trusted != NULL) {
        ok = ok && cmp_ctx_set1_out_trusted(c, o->out_trusted);
    }
    if (o->profile != NULL) {
        ok = ok && add_profile(c, o->profile);
    }
    if (o->popo != 0) {
        ok = ok && cmp_ctx_set_option(c, CMP_OPT_POPO, o->popo - 10);
    }
    if (o->implicit) {
        ok = ok && cmp_ctx_set_option(c, CMP_OPT_IMPLICIT_CONFIRM, 1);
    }
    if (o->disable_confirm) {
        ok = ok && cmp_ctx_set_option(c, CMP_OPT_DISABLE_CONFIRM, 1);
    }
    if (o->revreason != 0) {
        ok = ok && cmp_ctx_set_option(c, CMP_OPT_REVREASON, o->revreason);
    }
    for (i = 0; ok && o->extra != NULL && i < o->extra->num; i++) {
        X509_NAME *n = ct_name(o->extra->subject[i]);

        ok = n != NULL && cmp_ctx_add1_request(c, n, o->extra->key[i]);
        X509_NAME_free(n);
    }
    X509_NAME_free(subject);
    if (!ok) {
        fprintf(stderr, "client set-up failed\n");
        cmp_ctx_free(c);
        return NULL;
    }
    return c;
}

/* Records the outcome of the last transaction of |c|. */
static void
record_outcome(struct fx *f, const struct cmp_ctx *c)
{
    f->status = cmp_ctx_get_status(c);
    f->failinfo = cmp_ctx_get_failinfo(c);
    cmp_ctx_status_text(c, f->text, sizeof(f->text));
}

/* Runs one transaction; |*out| (may be NULL) gets the new certificate. Records the outcome. */
static int
run(struct fx *f, int cmd, const struct ro *o, X509 **out)
{
    struct cmp_ctx *c = new_ctx(f, o);
    size_t i;
    int ok;

    if (out != NULL) {
        *out = NULL;
    }
    if (c == NULL) {
        return 0;
    }
    ok = cmp_exec(c, cmd);
    record_outcome(f, c);
    /* with further requests, the first one's certificate also when another failed */
    if ((ok || o->extra != NULL) && out != NULL && cmp_ctx_get0_newcert(c) != NULL) {
        *out = cmp_ctx_get0_newcert(c);
        X509_up_ref(*out);
    }
    for (i = 0; o->extra != NULL && i < o->extra->num; i++) {
        X509 *x = NULL;

        /* the further requests' results follow the first request's (#0) */
        o->extra->out[i] = NULL;
        o->extra->status[i] = -2;
        if (cmp_ctx_get0_cert_result(c, i + 1, NULL, &o->extra->status[i],
                                     &o->extra->failinfo[i], &x, NULL) &&
            x != NULL && X509_up_ref(x)) {
            o->extra->out[i] = x;
        }
    }
    cmp_ctx_free(c);
    return ok;
}

#define BIT(b) ((uint32_t)1 << (b))

/* ---- the database, as a comparable text ---- */

struct dump {
    char buf[65536];
    size_t len;
};

static void dump_add(struct dump *d, const char *fmt, ...) CMP_PRINTF(2, 3);

static void
dump_add(struct dump *d, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(d->buf + d->len, sizeof(d->buf) - d->len, fmt, ap);
    va_end(ap);
    if (n > 0 && d->len + (size_t)n < sizeof(d->buf)) {
        d->len += (size_t)n;
    }
}

static int
dump_cert(void *arg, const struct cmp_ca_cert_rec *r)
{
    char hex[64];

    dump_add(arg, "cert %s st=%d reason=%d rev=%lld deadline=%lld\n",
             cmp_ca_hex(hex, sizeof(hex), r->serial, r->serial_len), r->status, r->rev_reason,
             (long long)r->rev_time, (long long)r->confirm_deadline);
    return 1;
}

static int
dump_secret(void *arg, const struct cmp_ca_secret_rec *r)
{
    dump_add(arg, "secret %.*s used=%lld expires=%lld\n", (int)r->ref_len, (const char *)r->ref,
             (long long)r->used_at, (long long)r->expires);
    return 1;
}

/* Everything the CA keeps, read through a second connection to the file. */
static int
dump_db(struct fx *f, struct dump *d)
{
    struct cmp_ca_store *s;
    struct cmp_ca_cert_filter all;
    struct cmp_err err;
    uint8_t *crl = NULL;
    size_t crl_len = 0;
    int64_t number = 0;
    int ok;

    memset(d, 0, sizeof(*d));
    memset(&all, 0, sizeof(all));
    cmp_err_init(&err);
    s = cmp_ca_store_sqlite_open(f->db, NULL, &err);
    if (s == NULL) {
        return 0;
    }
    ok = s->ops->each_cert(s, &all, dump_cert, d, &err) &&
         s->ops->each_secret(s, NULL, 0, dump_secret, d, &err) &&
         s->ops->crl_last(s, &crl, &crl_len, &number, &err);
    dump_add(d, "crl %lld\n", (long long)number);
    free(crl);
    cmp_ca_store_close(s);
    return ok;
}

/* The status of a certificate in the database, by its serial. */
static int
status_of(struct fx *f, X509 *cert)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
    struct cmp_ca_store *s;
    struct cmp_ca_cert_filter flt;
    struct cmp_ca_cert_rec *rec = NULL;
    struct cmp_err err;
    int st = -1;

    cmp_err_init(&err);
    s = cmp_ca_store_sqlite_open(f->db, NULL, &err);
    if (s == NULL) {
        return -1;
    }
    memset(&flt, 0, sizeof(flt));
    flt.serial = ASN1_STRING_get0_data(sn);
    flt.serial_len = (size_t)ASN1_STRING_length(sn);
    if (cmp_ca_store_get_cert(s, &flt, &rec, &err) && rec != NULL) {
        st = rec->status;
    }
    cmp_ca_cert_rec_free(rec);
    cmp_ca_store_close(s);
    return st;
}

/* ---- checks of what was issued ---- */

static int
verifies(struct fx *f, X509 *cert)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = ctx != NULL && X509_STORE_CTX_init(ctx, f->trust, cert, NULL) == 1 &&
             X509_verify_cert(ctx) == 1;

    X509_STORE_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static int
has_eku(X509 *cert, int nid)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    int i, found = 0;

    for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
        found |= OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid;
    }
    EXTENDED_KEY_USAGE_free(eku);
    return found;
}

static int
subject_is(X509 *cert, const char *text)
{
    X509_NAME *n = ct_name(text);
    int eq = n != NULL && X509_NAME_cmp(n, X509_get_subject_name(cert)) == 0;

    X509_NAME_free(n);
    return eq;
}

static int
key_is(X509 *cert, EVP_PKEY *key)
{
    return EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1;
}

/* Is |cert|'s serial on the CRL the listener would serve now? */
static int
crl_lists(struct fx *f, X509 *cert, int64_t *out_number)
{
    uint8_t *der = NULL;
    size_t len = 0;
    struct cmp_err err;
    const unsigned char *p;
    X509_CRL *crl;
    X509_REVOKED *rev = NULL;
    ASN1_INTEGER *num;
    int found;

    cmp_err_init(&err);
    if (!cmp_ca_service_crl(f->svc, (int64_t)time(NULL), &der, &len, &err)) {
        return -1;
    }
    p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    free(der);
    if (crl == NULL || X509_CRL_verify(crl, f->ca_key) != 1) {
        X509_CRL_free(crl);
        return -1;
    }
    found = X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert)) == 1;
    num = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    if (out_number != NULL) {
        *out_number = num != NULL ? (int64_t)ASN1_INTEGER_get(num) : -1;
    }
    ASN1_INTEGER_free(num);
    X509_CRL_free(crl);
    return found;
}

static int
add_secret(struct fx *f, const char *ref, const char *secret, int64_t valid, int one_time)
{
    struct cmp_ca_admin_args a;
    struct cmp_err err;
    FILE *null = fopen("/dev/null", "w");
    int ok;

    memset(&a, 0, sizeof(a));
    a.ref = ref;
    a.secret = secret;
    a.expires = valid;
    a.one_time = one_time;
    cmp_err_init(&err);
    ok = null != NULL &&
         cmp_ca_service_admin(f->svc, "secret-add", &a, (int64_t)time(NULL), null, &err);
    if (null != NULL) {
        fclose(null);
    }
    return ok;
}

/* ---- the tests ---- */

struct state {
    X509 *dev; /* ir, device profile, reusable secret */
    EVP_PKEY *dev_key;
    X509 *ra; /* an RA certificate (profile ra) */
    EVP_PKEY *ra_key;
    X509 *other; /* a second device */
    EVP_PKEY *other_key;
};

static void
test_enroll(struct fx *f, struct state *s)
{
    struct ro o;
    X509 *cert = NULL;
    EVP_PKEY *k = ct_key("P-256");

    /* ir with a reusable database secret: the default profile (device) */
    CHECK(add_secret(f, "dev-ref", "dev-secret", 0, 0));
    CHECK(add_secret(f, "once", "once-secret", 3600, 1));
    memset(&o, 0, sizeof(o));
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    o.newkey = k;
    o.subject = "CN=device 1,O=cmpkit";
    s->dev_key = k;
    CHECK(run(f, CMP_CMD_IR, &o, &s->dev));
    if (s->dev == NULL) {
        return;
    }
    CHECK(verifies(f, s->dev));
    CHECK(subject_is(s->dev, "CN=device 1,O=cmpkit"));
    CHECK(key_is(s->dev, k));
    CHECK(has_eku(s->dev, NID_client_auth) && !has_eku(s->dev, NID_server_auth));
    CHECK(X509_check_ca(s->dev) == 0);
    CHECK(status_of(f, s->dev) == CMP_CA_ST_CONFIRMED);
    /* the profile's 30 days */
    {
        int days = 0, secs = 0;

        CHECK(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(s->dev),
                             X509_get0_notAfter(s->dev)) == 1 &&
              days == 30);
    }
    CHECK(strstr(f->audit, "issued serial=") != NULL && strstr(f->audit, "confirmed serial=") &&
          strstr(f->audit, "requester=kid:6465762D726566") != NULL);

    /* a one-time secret: one certificate (and its certConf), then no more */
    memset(&o, 0, sizeof(o));
    o.ref = "once";
    o.secret = "once-secret";
    o.newkey = ct_key("Ed25519");
    o.subject = "CN=device 2";
    s->other_key = o.newkey;
    CHECK(run(f, CMP_CMD_IR, &o, &s->other));
    CHECK(s->other != NULL && status_of(f, s->other) == CMP_CA_ST_CONFIRMED);

    /* cr signed by the device's certificate (extraCerts carry it) */
    memset(&o, 0, sizeof(o));
    o.cert = s->dev;
    o.key = s->dev_key;
    o.newkey = ct_key("RSA-2048");
    o.subject = "CN=device 1 tls";
    o.profile = "server";
    o.implicit = 1;
    CHECK(run(f, CMP_CMD_CR, &o, &cert));
    CHECK(cert != NULL && verifies(f, cert) && key_is(cert, o.newkey) &&
          has_eku(cert, NID_server_auth));
    /* implicit confirmation: the server profile grants it, no certConf needed */
    CHECK(cert != NULL && status_of(f, cert) == CMP_CA_ST_CONFIRMED &&
          strstr(f->audit, "confirmed=implicit") != NULL);
    /* kur of it: the profile "server" keeps the old certificate (kur_old = keep) */
    if (cert != NULL) {
        X509 *next = NULL;
        EVP_PKEY *nk = ct_key("P-256");
        struct ro kr;

        memset(&kr, 0, sizeof(kr));
        kr.cert = cert;
        kr.key = o.newkey;
        kr.newkey = nk;
        CHECK(run(f, CMP_CMD_KUR, &kr, &next));
        CHECK(next != NULL && has_eku(next, NID_server_auth) && key_is(next, nk));
        CHECK(status_of(f, cert) == CMP_CA_ST_CONFIRMED);
        X509_free(next);
        EVP_PKEY_free(nk);
    }
    EVP_PKEY_free(o.newkey);
    X509_free(cert);

    /* the same, without extraCerts: the CA finds the signer by sender and senderKID */
    memset(&o, 0, sizeof(o));
    o.cert = s->dev;
    o.key = s->dev_key;
    o.newkey = ct_key("P-384");
    o.subject = "CN=device 1 second";
    o.strip_extra_certs = 1;
    CHECK(run(f, CMP_CMD_CR, &o, &cert));
    CHECK(cert != NULL && verifies(f, cert) && key_is(cert, o.newkey));
    EVP_PKEY_free(o.newkey);
    X509_free(cert);

    /* implicit confirmation asked for where the profile does not grant it: certConf */
    memset(&o, 0, sizeof(o));
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    o.newkey = ct_key("P-256");
    o.subject = "CN=device 3";
    o.implicit = 1;
    CHECK(run(f, CMP_CMD_IR, &o, &cert));
    CHECK(cert != NULL && status_of(f, cert) == CMP_CA_ST_CONFIRMED);
    EVP_PKEY_free(o.newkey);
    X509_free(cert);

    /* p10cr with the secret */
    {
        X509_REQ *csr = X509_REQ_new();
        X509_NAME *n = ct_name("CN=p10 device");
        EVP_PKEY *pk = ct_key("P-256");

        CHECK(csr != NULL && n != NULL && pk != NULL && X509_REQ_set_subject_name(csr, n) &&
              X509_REQ_set_pubkey(csr, pk) && X509_REQ_sign(csr, pk, EVP_sha256()) > 0);
        memset(&o, 0, sizeof(o));
        o.ref = "dev-ref";
        o.secret = "dev-secret";
        o.csr = csr;
        CHECK(run(f, CMP_CMD_P10CR, &o, &cert));
        CHECK(cert != NULL && verifies(f, cert) && subject_is(cert, "CN=p10 device") &&
              key_is(cert, pk));
        X509_free(cert);
        X509_REQ_free(csr);
        X509_NAME_free(n);
        EVP_PKEY_free(pk);
    }

    /* an RA certificate (profile ra: id-kp-cmcRA) */
    memset(&o, 0, sizeof(o));
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    s->ra_key = ct_key("P-256");
    o.newkey = s->ra_key;
    o.subject = "CN=test RA";
    o.profile = "ra";
    CHECK(run(f, CMP_CMD_IR, &o, &s->ra));
    CHECK(s->ra != NULL && has_eku(s->ra, NID_cmcRA));

    /* raVerified POPO from that RA is taken (RFC 9483 4.1.1) */
    memset(&o, 0, sizeof(o));
    o.cert = s->ra;
    o.key = s->ra_key;
    o.newkey = ct_key("P-256");
    o.subject = "CN=via RA";
    o.popo = 10; /* raVerified */
    CHECK(run(f, CMP_CMD_CR, &o, &cert));
    CHECK(cert != NULL && key_is(cert, o.newkey));
    EVP_PKEY_free(o.newkey);
    X509_free(cert);
}

/*
 * Several certificates in one ir (RFC 9810 5.3.1, 5.3.4): each CertReqMsg
 * gets its own CertResponse from the profile; the one whose key type the
 * profile does not allow is refused and never issued, the two others are
 * issued and confirmed one by one by the certConf.
 */
static void
test_several(struct fx *f)
{
    struct ro o;
    struct ro_extra x;
    X509 *cert = NULL;
    EVP_PKEY *k0 = ct_key("P-256"), *k1 = ct_key("P-521"), *k2 = ct_key("P-384");

    memset(&o, 0, sizeof(o));
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    o.newkey = k0;
    o.subject = "CN=multi 0";
    memset(&x, 0, sizeof(x));
    o.extra = &x;
    x.num = 2;
    x.subject[0] = "CN=multi 1";
    x.key[0] = k1;
    x.subject[1] = "CN=multi 2";
    x.key[1] = k2;
    CHECK(k0 != NULL && k1 != NULL && k2 != NULL);
    CHECK(!run(f, CMP_CMD_IR, &o, &cert));
    CHECK(cert != NULL && verifies(f, cert) && subject_is(cert, "CN=multi 0") && key_is(cert, k0));
    CHECK(cert != NULL && status_of(f, cert) == CMP_CA_ST_CONFIRMED);
    CHECK(x.out[0] == NULL && x.status[0] == CMP_SRV_REJECTION &&
          x.failinfo[0] == (1u << CMP_FI_BAD_CERT_TEMPLATE));
    CHECK(x.out[1] != NULL && verifies(f, x.out[1]) &&
          subject_is(x.out[1], "CN=multi 2") && key_is(x.out[1], k2) &&
          status_of(f, x.out[1]) == CMP_CA_ST_CONFIRMED);
    /* the refused request left no certificate: no audit line issued it */
    CHECK(strstr(f->audit, "subject=\"CN=multi 1\"") == NULL &&
          strstr(f->audit, "subject=\"CN=multi 2\"") != NULL);
    X509_free(cert);
    X509_free(x.out[0]);
    X509_free(x.out[1]);
    EVP_PKEY_free(k0);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
}

static void
test_confirmation(struct fx *f)
{
    struct ro o;
    X509 *cert = NULL;
    struct cmp_err err;
    int64_t before, after;

    /* no certConf (the client skips it): the certificate waits, the timeout rejects it */
    memset(&o, 0, sizeof(o));
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    o.newkey = ct_key("P-256");
    o.subject = "CN=never confirmed";
    o.profile = "quick";
    o.disable_confirm = 1;
    CHECK(run(f, CMP_CMD_IR, &o, &cert));
    CHECK(cert != NULL && status_of(f, cert) == CMP_CA_ST_WAITING);
    CHECK(cert != NULL && crl_lists(f, cert, &before) == 0);
    cmp_err_init(&err);
    CHECK(cmp_ca_service_tick(f->svc, (int64_t)time(NULL) + 5, &err));
    CHECK(cert != NULL && status_of(f, cert) == CMP_CA_ST_REJECTED);
    CHECK(cert != NULL && crl_lists(f, cert, &after) == 1 && after > before);
    CHECK(strstr(f->audit, "requester=timeout") != NULL);
    EVP_PKEY_free(o.newkey);
    X509_free(cert);

    /* a certConf that rejects (the certificate does not chain to -out_trusted): revoked */
    {
        EVP_PKEY *other_key = ct_key("P-256");
        X509 *other_root = other_key != NULL ? ct_root(other_key, "CN=elsewhere", 1) : NULL;
        X509_STORE *other = X509_STORE_new();

        CHECK(other_root != NULL && other != NULL && X509_STORE_add_cert(other, other_root));
        memset(&o, 0, sizeof(o));
        o.ref = "dev-ref";
        o.secret = "dev-secret";
        o.newkey = ct_key("P-256");
        o.subject = "CN=refused by its owner";
        o.out_trusted = other;
        CHECK(!run(f, CMP_CMD_IR, &o, &cert) && cert == NULL);
        /* the audit log's last line: that certificate rejected by its certConf */
        {
            const char *last = strstr(f->audit, "rejected serial=");
            const char *next;

            while (last != NULL && (next = strstr(last + 1, "rejected serial=")) != NULL) {
                last = next;
            }
            CHECK(last != NULL && strstr(last, "subject=\"CN=refused by its owner\"") != NULL &&
                  strstr(last, "requester=kid:") != NULL);
        }
        EVP_PKEY_free(o.newkey);
        X509_STORE_free(other);
        X509_free(other_root);
        EVP_PKEY_free(other_key);
    }
}

/* One hostile or unauthorised transaction: it fails with |bit| and the database stays. */
static void
refused(struct fx *f, const char *name, int cmd, const struct ro *o, int bit)
{
    struct dump a, b;
    X509 *cert = NULL;
    int ok;

    CHECK_CASE(name, dump_db(f, &a));
    ok = run(f, cmd, o, &cert);
    CHECK_CASE(name, !ok && cert == NULL);
    if ((f->failinfo & BIT(bit)) == 0) {
        fprintf(stderr, "%s: failinfo %#x, expected bit %d: %s\n", name, (unsigned)f->failinfo, bit,
                f->text);
    }
    CHECK_CASE(name, (f->failinfo & BIT(bit)) != 0);
    CHECK_CASE(name, dump_db(f, &b));
    if (strcmp(a.buf, b.buf) != 0) {
        fprintf(stderr, "%s: the database changed:\n--- before\n%s--- after\n%s", name, a.buf,
                b.buf);
    }
    CHECK_CASE(name, strcmp(a.buf, b.buf) == 0);
    X509_free(cert);
}

static void
test_hostile(struct fx *f, struct state *s)
{
    struct ro o;
    EVP_PKEY *k = ct_key("P-256"), *rsa1024 = ct_key("RSA-1024"), *stranger_key = ct_key("P-256");
    X509 *stranger =
        stranger_key != NULL ? ct_root(stranger_key, "CN=device 1,O=cmpkit", 10) : NULL;

    CHECK(add_secret(f, "old", "old-secret", 1, 0));
    sleep(2); /* "old" expires */

    memset(&o, 0, sizeof(o));
    o.newkey = k;
    o.subject = "CN=intruder";

    o.ref = "dev-ref";
    o.secret = "wrong secret";
    refused(f, "wrong MAC", CMP_CMD_IR, &o, CMP_FI_BAD_MESSAGE_CHECK);
    o.ref = "nobody";
    o.secret = "dev-secret";
    refused(f, "unknown reference", CMP_CMD_IR, &o, CMP_FI_BAD_MESSAGE_CHECK);
    o.ref = "once";
    o.secret = "once-secret";
    refused(f, "spent one-time secret", CMP_CMD_IR, &o, CMP_FI_NOT_AUTHORIZED);
    o.ref = "old";
    o.secret = "old-secret";
    refused(f, "expired secret", CMP_CMD_IR, &o, CMP_FI_NOT_AUTHORIZED);

    /* templates outside the profile (RFC 9483 4.1.1: badCertTemplate) */
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    o.newkey = rsa1024;
    refused(f, "RSA-1024 key", CMP_CMD_IR, &o, CMP_FI_BAD_CERT_TEMPLATE);
    o.newkey = k;
    o.subject = "O=no common name";
    refused(f, "subject without CN", CMP_CMD_IR, &o, CMP_FI_BAD_CERT_TEMPLATE);
    o.subject = "CN=intruder";
    o.profile = "no such profile";
    refused(f, "unknown certProfile", CMP_CMD_IR, &o, CMP_FI_BAD_CERT_TEMPLATE);
    o.profile = NULL;
    o.popo = 10; /* raVerified from an end entity */
    refused(f, "raVerified from an end entity", CMP_CMD_IR, &o, CMP_FI_NOT_AUTHORIZED);
    o.popo = 9; /* -popo -1: central key generation (openssl 3.5+), which the CA does not offer */
    refused(f, "central key generation", CMP_CMD_IR, &o, CMP_FI_BAD_CERT_TEMPLATE);
    o.popo = 0;

    /* signatures */
    memset(&o, 0, sizeof(o));
    o.newkey = k;
    o.subject = "CN=intruder";
    o.cert = stranger;
    o.key = stranger_key;
    refused(f, "signed by an unknown certificate", CMP_CMD_CR, &o, CMP_FI_SIGNER_NOT_TRUSTED);
    o.strip_extra_certs = 1;
    refused(f, "unknown certificate, no extraCerts", CMP_CMD_CR, &o, CMP_FI_SIGNER_NOT_TRUSTED);
    o.strip_extra_certs = 0;

    /* kur of the device's certificate signed by another one of ours */
    memset(&o, 0, sizeof(o));
    o.newkey = k;
    o.cert = s->other;
    o.key = s->other_key;
    o.oldcert = s->dev;
    refused(f, "kur signed by another certificate", CMP_CMD_KUR, &o, CMP_FI_NOT_AUTHORIZED);
    /* kur with a MAC */
    memset(&o, 0, sizeof(o));
    o.newkey = k;
    o.ref = "dev-ref";
    o.secret = "dev-secret";
    o.oldcert = s->dev;
    refused(f, "kur protected by a MAC", CMP_CMD_KUR, &o, CMP_FI_NOT_AUTHORIZED);

    /* rr of the device's certificate by someone else */
    memset(&o, 0, sizeof(o));
    o.cert = s->other;
    o.key = s->other_key;
    o.oldcert = s->dev;
    refused(f, "rr signed by another certificate", CMP_CMD_RR, &o, CMP_FI_NOT_AUTHORIZED);

    /* garbage, and a request cut short */
    {
        static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x05, 0xFF};
        uint8_t *rsp = NULL;
        size_t rsp_len = 0;
        struct cmp_msg *m = NULL;
        struct cmp_err err;
        struct dump a, b;

        cmp_err_init(&err);
        CHECK(dump_db(f, &a));
        CHECK(cmp_srv_handle(f->srv, garbage, sizeof(garbage), &rsp, &rsp_len));
        CHECK(rsp != NULL && cmp_msg_decode(&m, rsp, rsp_len, &err));
        CHECK(m != NULL && m->body.type == CMP_BODY_ERROR &&
              (m->body.u.error.status.fail_info & BIT(CMP_FI_BAD_DATA_FORMAT)) != 0);
        CHECK(dump_db(f, &b) && strcmp(a.buf, b.buf) == 0);
        cmp_msg_free(m);
        free(rsp);
    }
    EVP_PKEY_free(k);
    EVP_PKEY_free(rsa1024);
    EVP_PKEY_free(stranger_key);
    X509_free(stranger);
}

static void
test_kur_rr(struct fx *f, struct state *s)
{
    struct ro o;
    X509 *next = NULL;
    EVP_PKEY *k = ct_key("P-256");
    int64_t n1 = 0, n2 = 0;

    /* kur signed with the certificate being updated: the old one is superseded */
    memset(&o, 0, sizeof(o));
    o.cert = s->dev;
    o.key = s->dev_key;
    o.newkey = k;
    CHECK(run(f, CMP_CMD_KUR, &o, &next));
    CHECK(next != NULL && verifies(f, next) && key_is(next, k) &&
          subject_is(next, "CN=device 1,O=cmpkit"));
    CHECK(status_of(f, s->dev) == CMP_CA_ST_SUPERSEDED);
    CHECK(crl_lists(f, s->dev, &n1) == 1);
    if (next == NULL) {
        EVP_PKEY_free(k);
        return;
    }

    /* rr signed by the certificate itself, reason keyCompromise */
    memset(&o, 0, sizeof(o));
    o.cert = next;
    o.key = k;
    o.oldcert = next;
    o.revreason = 1;
    CHECK(run(f, CMP_CMD_RR, &o, NULL));
    CHECK(status_of(f, next) == CMP_CA_ST_REVOKED);
    CHECK(crl_lists(f, next, &n2) == 1 && n2 > n1);
    CHECK(strstr(f->audit, "revoked serial=") != NULL);

    /* the RA: certRevoked for it now, and it may revoke others */
    memset(&o, 0, sizeof(o));
    o.cert = s->ra;
    o.key = s->ra_key;
    o.oldcert = next;
    CHECK(!run(f, CMP_CMD_RR, &o, NULL) && (f->failinfo & BIT(CMP_FI_CERT_REVOKED)) != 0);
    o.oldcert = s->other;
    CHECK(run(f, CMP_CMD_RR, &o, NULL) && status_of(f, s->other) == CMP_CA_ST_REVOKED);
    /* a certificate the CA never issued: badCertId */
    {
        EVP_PKEY *sk = ct_key("P-256");
        X509 *foreign = sk != NULL ? ct_root(sk, "CN=Responder Test CA,O=cmpkit", 1) : NULL;

        o.oldcert = foreign;
        CHECK(foreign != NULL && !run(f, CMP_CMD_RR, &o, NULL) &&
              (f->failinfo & BIT(CMP_FI_BAD_CERT_ID)) != 0);
        X509_free(foreign);
        EVP_PKEY_free(sk);
    }
    /* a revoked certificate signs nothing any more */
    memset(&o, 0, sizeof(o));
    o.cert = next;
    o.key = k;
    o.newkey = k;
    o.subject = "CN=revoked signer";
    CHECK(!run(f, CMP_CMD_CR, &o, NULL) && (f->failinfo & BIT(CMP_FI_SIGNER_NOT_TRUSTED)) != 0);
    X509_free(next);
    EVP_PKEY_free(k);
}

static void
test_admin(struct fx *f)
{
    struct cmp_ca_admin_args a;
    struct cmp_err err;
    char path[400], line[4096];
    FILE *out;
    int lines = 0, json = 1;

    snprintf(path, sizeof(path), "%s/list.txt", f->dir);
    out = fopen(path, "w");
    memset(&a, 0, sizeof(a));
    a.status = "revoked,superseded";
    a.json = 1;
    cmp_err_init(&err);
    CHECK(out != NULL && cmp_ca_service_admin(f->svc, "list", &a, (int64_t)time(NULL), out, &err));
    if (out != NULL) {
        fclose(out);
    }
    out = fopen(path, "r");
    while (out != NULL && fgets(line, sizeof(line), out) != NULL) {
        lines++;
        json = json && line[0] == '{' && strstr(line, "\"status\":\"") != NULL;
    }
    if (out != NULL) {
        fclose(out);
    }
    CHECK(lines == 3 && json); /* the first device superseded, its successor and device 2 revoked */
    CHECK(!cmp_ca_service_admin(f->svc, "frobnicate", &a, 0, stdout, &err));
}

/*
 * genm from the CA's state (RFC 9483 4.3): caCerts is the CA certificate,
 * crlStatusList by issuer gets its CRL, certReqTemplate follows the profile certProfile names (an
 * unknown one is refused), rootCaCert has no update (none configured), crlStatusList without a
 * CRLStatus is refused, an infoType the CA has nothing on comes back without a value.
 */
static void
test_support(struct fx *f)
{
    static const uint8_t server_auth[] = {0x06, 0x08, 0x2B, 0x06, 0x01,
                                          0x05, 0x05, 0x07, 0x03, 0x01};
    struct ro o = {.ref = "dev-ref", .secret = "dev-secret"};
    X509_CRL *crl = NULL;
    struct cmp_ctx *c = new_ctx(f, &o);
    STACK_OF(X509) *cas = NULL;
    X509 *nwn = NULL, *nwo = NULL, *own = NULL;
    uint8_t *tmpl = NULL, *spec = NULL;
    size_t tmpl_len = 0, spec_len = 0, i;
    const uint8_t *oid = NULL, *val = NULL;
    size_t oid_len = 0, val_len = 0;
    int found = 0;

    if (!CHECK(c != NULL)) {
        return;
    }
    CHECK(cmp_get1_ca_certs(c, &cas) && sk_X509_num(cas) == 1 &&
          X509_cmp(sk_X509_value(cas, 0), f->ca_cert) == 0);
    sk_X509_pop_free(cas, X509_free);
    CHECK(cmp_get1_root_ca_update(c, f->ca_cert, &nwn, &nwo, &own) && nwn == NULL);
    X509_free(nwn);
    X509_free(nwo);
    X509_free(own);
    /* the CA's certificate names the CA as its issuer: the CA's current CRL */
    CHECK(cmp_get1_crl_update(c, f->ca_cert, NULL, &crl) && crl != NULL &&
          X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(f->ca_cert)) == 0);
    X509_CRL_free(crl);
    cmp_ctx_free(c);

    /* the template of profile "server": serverAuth forced */
    o.profile = "server";
    c = new_ctx(f, &o);
    CHECK(c != NULL && cmp_get1_cert_req_template(c, &tmpl, &tmpl_len, &spec, &spec_len) &&
          tmpl != NULL && spec != NULL);
    for (i = 0; tmpl != NULL && i + sizeof(server_auth) <= tmpl_len; i++) {
        found |= memcmp(tmpl + i, server_auth, sizeof(server_auth)) == 0;
    }
    CHECK(found);
    free(tmpl);
    free(spec);
    cmp_ctx_free(c);

    o.profile = "no-such-profile";
    c = new_ctx(f, &o);
    CHECK(c != NULL && !cmp_get1_cert_req_template(c, &tmpl, &tmpl_len, NULL, NULL));
    if (c != NULL) {
        record_outcome(f, c);
        CHECK(f->failinfo == BIT(CMP_FI_BAD_CERT_TEMPLATE));
    }
    cmp_ctx_free(c);

    /* crlStatusList without a value, and signKeyPairTypes, which the CA has nothing on */
    o.profile = NULL;
    c = new_ctx(f, &o);
    CHECK(c != NULL && cmp_ctx_set1_infotype(c, "crlStatusList") && !cmp_exec_genm(c));
    if (c != NULL) {
        record_outcome(f, c);
        CHECK(f->failinfo == BIT(CMP_FI_BAD_REQUEST));
    }
    cmp_ctx_free(c);
    c = new_ctx(f, &o);
    CHECK(c != NULL && cmp_ctx_set1_infotype(c, "signKeyPairTypes") && cmp_exec_genm(c) &&
          cmp_ctx_num_genp_itavs(c) == 1 &&
          cmp_ctx_get0_genp_itav(c, 0, &oid, &oid_len, &val, &val_len) && val_len == 0);
    cmp_ctx_free(c);
}

int
main(void)
{
    struct fx f;
    struct state s;

    memset(&s, 0, sizeof(s));
    if (!fx_init(&f)) {
        ERR_print_errors_fp(stderr);
        CHECK(0);
        return check_finish();
    }
    test_enroll(&f, &s);
    if (s.dev != NULL && s.other != NULL && s.ra != NULL) {
        test_confirmation(&f);
        test_several(&f);
        test_hostile(&f, &s);
        test_kur_rr(&f, &s);
        test_admin(&f);
        test_support(&f);
    }
    X509_free(s.dev);
    X509_free(s.ra);
    X509_free(s.other);
    EVP_PKEY_free(s.dev_key);
    EVP_PKEY_free(s.ra_key);
    EVP_PKEY_free(s.other_key);
    fx_cleanup(&f);
    return check_finish();
}
