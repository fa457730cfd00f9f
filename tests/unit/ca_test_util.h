/*
 * Helpers shared by the lib/ca tests (test_ca_*.c): a scratch directory,
 * keys, a throwaway root CA, names and request building. Header-only
 * (static functions), as prot_test_util.h.
 */
#ifndef CMPKIT_TESTS_CA_TEST_UTIL_H
#define CMPKIT_TESTS_CA_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "check.h"

#define CT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ct_tmpdir() makes a fresh private directory (mkdtemp) under $TMPDIR or /tmp. */
static inline char *
ct_tmpdir(char *buf, size_t len)
{
    const char *base = getenv("TMPDIR");

    snprintf(buf, len, "%s/cmpkit-ca-XXXXXX", base != NULL && base[0] != '\0' ? base : "/tmp");
    return mkdtemp(buf);
}

/* ct_rmdir() removes the files of |dir| (no subdirectories) and |dir|. */
static inline void
ct_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            (void)unlink(path);
        }
    }
    closedir(d);
    (void)rmdir(dir);
}

/* ct_key() makes a key: "P-256", "P-384", "P-224", "RSA-2048", "RSA-1024", "Ed25519", "Ed448",
 * "X25519". */
static inline EVP_PKEY *
ct_key(const char *what)
{
    if (strncmp(what, "RSA-", 4) == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)strtoul(what + 4, NULL, 10));
    }
    if (strncmp(what, "P-", 2) == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", what);
    }
    return EVP_PKEY_Q_keygen(NULL, NULL, what);
}

/* ct_name() builds a Name from "CN=x,O=y" (no escapes). */
static inline X509_NAME *
ct_name(const char *text)
{
    X509_NAME *n = X509_NAME_new();
    char buf[512], *p = buf, *comma, *eq;

    snprintf(buf, sizeof(buf), "%s", text);
    while (n != NULL && *p != '\0') {
        comma = strchr(p, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        eq = strchr(p, '=');
        if (eq == NULL) {
            X509_NAME_free(n);
            return NULL;
        }
        *eq = '\0';
        if (X509_NAME_add_entry_by_txt(n, p, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1, 0) !=
            1) {
            X509_NAME_free(n);
            return NULL;
        }
        p = comma != NULL ? comma + 1 : p + strlen(p);
    }
    return n;
}

/* ct_root() makes a self-signed CA certificate for |key|. */
static inline X509 *
ct_root(EVP_PKEY *key, const char *subject, int days)
{
    X509 *x = X509_new();
    X509_NAME *name = ct_name(subject);
    X509V3_CTX ctx;
    const char *exts[][2] = {
        {"basicConstraints", "critical,CA:TRUE"},
        {"keyUsage", "critical,keyCertSign,cRLSign,digitalSignature"},
        {"subjectKeyIdentifier", "hash"},
    };
    size_t i;
    int ok = x != NULL && name != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
             X509_set_issuer_name(x, name) == 1 && X509_set_subject_name(x, name) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) != NULL &&
             X509_set_pubkey(x, key) == 1;

    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    for (i = 0; ok && i < CT_ARRAY_LEN(exts); i++) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i][0], exts[i][1]);

        ok = e != NULL && X509_add_ext(x, e, -1) == 1;
        X509_EXTENSION_free(e);
    }
    {
        int id = EVP_PKEY_get_base_id(key);

        ok = ok &&
             X509_sign(x, key,
                       id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256()) > 0;
    }
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        ERR_print_errors_fp(stderr);
        return NULL;
    }
    return x;
}

/* Owned DER pieces of a request, kept until ct_req_free(). */
struct ct_req {
    struct cmp_ca_request req;
    unsigned char *subject, *spki, *exts;
};

static inline void
ct_req_free(struct ct_req *r)
{
    OPENSSL_free(r->subject);
    OPENSSL_free(r->spki);
    OPENSSL_free(r->exts);
    cmp_ca_request_cleanup(&r->req);
    memset(r, 0, sizeof(*r));
}

/*
 * ct_req_make() fills a request for |key| with |subject| ("" for none) and
 * the extensions in |exts| (openssl x509v3_config lines "name=value", or
 * NULL).
 */
static inline int
ct_req_make(struct ct_req *r, EVP_PKEY *key, const char *subject, const char *const *exts,
            size_t num_exts)
{
    X509_NAME *n = subject[0] != '\0' ? ct_name(subject) : X509_NAME_new();
    STACK_OF(X509_EXTENSION) *sk = sk_X509_EXTENSION_new_null();
    int len, ok = n != NULL && sk != NULL;
    size_t i;

    memset(r, 0, sizeof(*r));
    for (i = 0; ok && i < num_exts; i++) {
        char buf[256], *eq;
        X509_EXTENSION *e;

        snprintf(buf, sizeof(buf), "%s", exts[i]);
        eq = strchr(buf, '=');
        if (eq == NULL) {
            ok = 0;
            break;
        }
        *eq = '\0';
        e = X509V3_EXT_conf(NULL, NULL, buf, eq + 1);
        ok = e != NULL && sk_X509_EXTENSION_push(sk, e) > 0;
    }
    if (ok && subject[0] != '\0') {
        len = i2d_X509_NAME(n, &r->subject);
        ok = len > 0;
        r->req.subject = der_in_make(r->subject, (size_t)len);
    }
    if (ok && key != NULL) {
        len = i2d_PUBKEY(key, &r->spki);
        ok = len > 0;
        r->req.spki = der_in_make(r->spki, (size_t)len);
    }
    if (ok && num_exts > 0) {
        len = i2d_X509_EXTENSIONS(sk, &r->exts);
        ok = len > 0;
        r->req.exts = der_in_make(r->exts, (size_t)len);
    }
    X509_NAME_free(n);
    sk_X509_EXTENSION_pop_free(sk, X509_EXTENSION_free);
    if (!ok) {
        ERR_print_errors_fp(stderr);
    }
    return ok;
}

/* ct_now(): the tests' clock, fixed so that runs are reproducible where it matters. */
static inline int64_t
ct_now(void)
{
    return (int64_t)time(NULL);
}

/* A CA in a scratch directory: its key, certificate, store and the CA object. */
struct ct_ca {
    char dir[256];
    char db[512];
    EVP_PKEY *key;
    X509 *cert;
    struct cmp_ca_store *store;
    struct cmp_ca *ca;
};

static inline void
ct_ca_free(struct ct_ca *c)
{
    cmp_ca_free(c->ca);
    cmp_ca_store_close(c->store);
    X509_free(c->cert);
    EVP_PKEY_free(c->key);
    if (c->dir[0] != '\0') {
        ct_rmdir(c->dir);
    }
    memset(c, 0, sizeof(*c));
}

/* ct_ca_new() makes a CA with a |key_type| key (ct_key()) and the built-in profile. */
static inline int
ct_ca_new(struct ct_ca *c, const char *key_type)
{
    struct cmp_err err;

    memset(c, 0, sizeof(*c));
    cmp_err_init(&err);
    if (ct_tmpdir(c->dir, sizeof(c->dir)) == NULL) {
        c->dir[0] = '\0';
        return 0;
    }
    snprintf(c->db, sizeof(c->db), "%s/ca.db", c->dir);
    c->key = ct_key(key_type);
    c->cert = c->key != NULL ? ct_root(c->key, "CN=cmpkit test CA,O=cmpkit", 3650) : NULL;
    c->store = c->cert != NULL ? cmp_ca_store_sqlite_open(c->db, NULL, &err) : NULL;
    c->ca = c->store != NULL ? cmp_ca_new(c->cert, c->key, c->store, 0, &err) : NULL;
    if (c->ca == NULL) {
        fprintf(stderr, "test CA (%s): %s\n", key_type, err.msg);
        ct_ca_free(c);
        return 0;
    }
    return 1;
}

/* ct_count() counts the certificates in |s|. */
static inline int
ct_count_cb(void *arg, const struct cmp_ca_cert_rec *rec)
{
    (*(size_t *)arg)++;
    return 1;
}

static inline size_t
ct_count(struct cmp_ca_store *s)
{
    struct cmp_ca_cert_filter f;
    struct cmp_err err;
    size_t n = 0;

    memset(&f, 0, sizeof(f));
    cmp_err_init(&err);
    return s->ops->each_cert(s, &f, ct_count_cb, &n, &err) ? n : (size_t)-1;
}

/* ct_write_pem() writes a certificate or CRL as PEM into DIR/NAME (for openssl verify). */
static inline int
ct_write_pem(const char *dir, const char *name, X509 *cert, X509_CRL *crl)
{
    char path[600];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        return 0;
    }
    ok = cert != NULL ? PEM_write_X509(f, cert) : PEM_write_X509_CRL(f, crl);
    return fclose(f) == 0 && ok == 1;
}

#endif
