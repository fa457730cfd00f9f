/*
 * Certificates and CRLs made with libcrypto for the tests of the support
 * messages (test_verify_genp.c, test_support.c): a certificate of a given
 * subject, key, issuer and signer, with subject and authority key
 * identifiers and basicConstraints; a CRL of a given issuer and
 * thisUpdate. Header-only, as the other *_test_util.h.
 */
#ifndef CMPKIT_TESTS_PKI_TEST_UTIL_H
#define CMPKIT_TESTS_PKI_TEST_UTIL_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DAY 86400L

/* What make_cert() puts in a certificate. */
struct cert_spec {
    const char *subject; /* CN */
    EVP_PKEY *key;       /* the certified key */
    const char *issuer;  /* CN */
    EVP_PKEY *signer;    /* the key that signs */
    X509 *issuer_cert;   /* for the authorityKeyIdentifier; NULL: self-issued, own SKID */
    int ca;              /* basicConstraints cA; -1: no extension */
    long not_before;     /* seconds from now */
    long not_after;
};

static inline int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ok = ext != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static inline X509 *
make_cert(const struct cert_spec *s)
{
    static long serial = 1; /* each certificate its own */
    X509 *x = X509_new();
    X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
    int ok = x != NULL && subj != NULL && iss != NULL &&
             X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)s->subject,
                                        -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)s->issuer,
                                        -1, -1, 0) &&
             X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
             X509_set_issuer_name(x, iss) && X509_set_subject_name(x, subj) &&
             X509_gmtime_adj(X509_getm_notBefore(x), s->not_before) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), s->not_after) != NULL &&
             X509_set_pubkey(x, s->key) && add_ext(x, NULL, NID_subject_key_identifier, "hash") &&
             (s->ca < 0 ||
              add_ext(x, NULL, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "CA:FALSE")) &&
             add_ext(x, s->issuer_cert, NID_authority_key_identifier, "keyid:always") &&
             X509_sign(x, s->signer, EVP_sha256()) > 0;

    X509_NAME_free(subj);
    X509_NAME_free(iss);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static inline X509 *
cert(const char *subject, EVP_PKEY *key, const char *issuer, EVP_PKEY *signer, X509 *issuer_cert,
     int ca)
{
    struct cert_spec s = {subject, key, issuer, signer, issuer_cert, ca, -DAY, 365 * DAY};

    return make_cert(&s);
}

static inline X509_CRL *
make_crl(const char *issuer, long this_update, EVP_PKEY *signer)
{
    X509_CRL *crl = X509_CRL_new();
    X509_NAME *n = X509_NAME_new();
    ASN1_TIME *t = X509_gmtime_adj(NULL, this_update);
    int ok = crl != NULL && n != NULL && t != NULL &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)issuer, -1,
                                        -1, 0) &&
             X509_CRL_set_version(crl, 1) && X509_CRL_set_issuer_name(crl, n) &&
             X509_CRL_set1_lastUpdate(crl, t) && X509_CRL_sign(crl, signer, EVP_sha256()) > 0;

    X509_NAME_free(n);
    ASN1_TIME_free(t);
    if (!ok) {
        X509_CRL_free(crl);
        return NULL;
    }
    return crl;
}

#endif
