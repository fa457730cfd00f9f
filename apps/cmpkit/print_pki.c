/*
 * -print of a file that is no PKIMessage: certificates, CSRs, CRLs, PKCS#7
 * and CMS containers, keys, in PEM (any number of blocks) or DER. Each
 * object is named and summarised (subject, issuer, serial, validity, key;
 * a CRL's issuer and revoked serials; a container's certificates and
 * CRLs), so that `cmpkit -print` answers "what is this file?" for the
 * files a CMP user handles, instead of a PKIHeader error.
 *
 * X.509 and CMS parsing is libcrypto's (the CMP protocol is not involved).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "opts.h"

/* Limits on what one file prints (the file itself is at most 4 MiB). */
#define PRINT_MAX_OBJECTS 100  /* PEM blocks */
#define PRINT_MAX_REVOKED 1000 /* revoked serials listed per CRL */
#define PRINT_MAX_CERTS 100    /* certificates listed per container */

/* A distinguished name as "/CN=a/O=b" (cmpkit's form in every message). */
/* Each field is a line "<indent>  <label><value>". */
static void
print_name(BIO *out, const char *indent, const char *label, const X509_NAME *name)
{
    char buf[512];

    X509_NAME_oneline(name, buf, sizeof(buf));
    BIO_printf(out, "%s  %s%s\n", indent, label, buf);
}

static void
print_time(BIO *out, const char *indent, const char *label, const ASN1_TIME *t)
{
    BIO_printf(out, "%s  %s", indent, label);
    if (t == NULL || !ASN1_TIME_print(out, t)) {
        BIO_printf(out, "(none)");
    }
    BIO_printf(out, "\n");
}

static void
print_serial(BIO *out, const char *indent, const char *label, const ASN1_INTEGER *serial)
{
    BIO_printf(out, "%s  %s", indent, label);
    if (serial == NULL || i2a_ASN1_INTEGER(out, serial) <= 0) {
        BIO_printf(out, "(none)");
    }
    BIO_printf(out, "\n");
}

/* "EC (256 bits, prime256v1)", "RSA (2048 bits)", "ML-DSA-65 (...)". */
static void
print_key(BIO *out, const char *indent, const char *label, EVP_PKEY *key)
{
    char group[80];
    size_t glen = 0;

    if (key == NULL) {
        BIO_printf(out, "%s  %s(cannot decode the public key)\n", indent, label);
        return;
    }
    BIO_printf(out, "%s  %s%s (%d bits", indent, label, EVP_PKEY_get0_type_name(key) != NULL
                                               ? EVP_PKEY_get0_type_name(key)
                                               : "unknown algorithm",
               EVP_PKEY_get_bits(key));
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) && glen > 0) {
        BIO_printf(out, ", %s", group);
    }
    BIO_printf(out, ")\n");
}

static void
print_sigalg(BIO *out, const X509_ALGOR *alg)
{
    const ASN1_OBJECT *oid = NULL;
    char buf[80];

    X509_ALGOR_get0(&oid, NULL, NULL, alg);
    OBJ_obj2txt(buf, sizeof(buf), oid, 0);
    BIO_printf(out, "  signature: %s\n", buf);
}

static void
print_cert(BIO *out, X509 *cert, const char *indent)
{
    const X509_ALGOR *alg = NULL;

    BIO_printf(out, "%scertificate (X.509 v%ld)\n", indent, X509_get_version(cert) + 1);
    print_name(out, indent, "subject:   ", X509_get_subject_name(cert));
    print_name(out, indent, "issuer:    ", X509_get_issuer_name(cert));
    print_serial(out, indent, "serial:    ", X509_get0_serialNumber(cert));
    print_time(out, indent, "notBefore: ", X509_get0_notBefore(cert));
    print_time(out, indent, "notAfter:  ", X509_get0_notAfter(cert));
    print_key(out, indent, "key:       ", X509_get0_pubkey(cert));
    if (indent[0] == '\0') {
        X509_get0_signature(NULL, &alg, cert);
        print_sigalg(out, alg);
    }
}

static void
print_csr(BIO *out, X509_REQ *req)
{
    EVP_PKEY *key = X509_REQ_get0_pubkey(req);
    const X509_ALGOR *alg = NULL;

    BIO_printf(out, "certificate request (PKCS#10)\n");
    print_name(out, "", "subject:   ", X509_REQ_get_subject_name(req));
    print_key(out, "", "key:       ", key);
    X509_REQ_get0_signature(req, NULL, &alg);
    print_sigalg(out, alg);
    BIO_printf(out, "  self-signature: %s\n",
               key != NULL && X509_REQ_verify(req, key) == 1 ? "verifies" : "DOES NOT VERIFY");
}

static void
print_crl(BIO *out, X509_CRL *crl, const char *indent)
{
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(crl);
    int i, n = sk_X509_REVOKED_num(rev);

    BIO_printf(out, "%sCRL (X.509 v%ld)\n", indent, X509_CRL_get_version(crl) + 1);
    print_name(out, indent, "issuer:     ", X509_CRL_get_issuer(crl));
    print_time(out, indent, "thisUpdate: ", X509_CRL_get0_lastUpdate(crl));
    print_time(out, indent, "nextUpdate: ", X509_CRL_get0_nextUpdate(crl));
    BIO_printf(out, "%s  revoked:    %d certificate(s)\n", indent, n < 0 ? 0 : n);
    for (i = 0; i < n && i < PRINT_MAX_REVOKED; i++) {
        const X509_REVOKED *r = sk_X509_REVOKED_value(rev, i);

        BIO_printf(out, "%s    serial ", indent);
        i2a_ASN1_INTEGER(out, X509_REVOKED_get0_serialNumber(r));
        BIO_printf(out, ", revoked ");
        ASN1_TIME_print(out, X509_REVOKED_get0_revocationDate(r));
        BIO_printf(out, "\n");
    }
    if (n > PRINT_MAX_REVOKED) {
        BIO_printf(out, "%s    ... and %d more\n", indent, n - PRINT_MAX_REVOKED);
    }
}

/* The certificates and CRLs of a container, each summarised. */
static void
print_bag(BIO *out, STACK_OF(X509) *certs, STACK_OF(X509_CRL) *crls)
{
    int i, n = sk_X509_num(certs), m = sk_X509_CRL_num(crls);

    BIO_printf(out, "  certificates: %d\n", n < 0 ? 0 : n);
    for (i = 0; i < n && i < PRINT_MAX_CERTS; i++) {
        print_cert(out, sk_X509_value(certs, i), "    ");
    }
    if (n > PRINT_MAX_CERTS) {
        BIO_printf(out, "    ... and %d more\n", n - PRINT_MAX_CERTS);
    }
    BIO_printf(out, "  CRLs: %d\n", m < 0 ? 0 : m);
    for (i = 0; i < m && i < PRINT_MAX_CERTS; i++) {
        print_crl(out, sk_X509_CRL_value(crls, i), "    ");
    }
}

static void
print_pkcs7(BIO *out, PKCS7 *p7)
{
    char type[80];
    STACK_OF(X509) *certs = NULL;
    STACK_OF(X509_CRL) *crls = NULL;

    OBJ_obj2txt(type, sizeof(type), p7->type, 0);
    BIO_printf(out, "PKCS#7 (CMS) container (%s)\n", type);
    if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL) {
        certs = p7->d.sign->cert;
        crls = p7->d.sign->crl;
    } else if (PKCS7_type_is_signedAndEnveloped(p7) && p7->d.signed_and_enveloped != NULL) {
        certs = p7->d.signed_and_enveloped->cert;
        crls = p7->d.signed_and_enveloped->crl;
    }
    print_bag(out, certs, crls);
}

static void
print_cms(BIO *out, CMS_ContentInfo *cms)
{
    char type[80];
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    STACK_OF(X509_CRL) *crls = CMS_get1_crls(cms);

    OBJ_obj2txt(type, sizeof(type), CMS_get0_type(cms), 0);
    BIO_printf(out, "CMS container (%s)\n", type);
    print_bag(out, certs, crls);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_CRL_pop_free(crls, X509_CRL_free);
}

/* The DER of one object, |label| its PEM label or NULL (then each type is tried). */
static int
print_der(BIO *out, const char *label, const unsigned char *der, long len)
{
    const unsigned char *p;
    int any = label == NULL;

#define TRY(type, d2i, free_fn, call)                                                  \
    do {                                                                               \
        type *obj_;                                                                    \
        p = der;                                                                       \
        obj_ = d2i(NULL, &p, len);                                                     \
        if (obj_ != NULL && p == der + len) {                                          \
            call;                                                                      \
            free_fn(obj_);                                                             \
            return 1;                                                                  \
        }                                                                              \
        free_fn(obj_);                                                                 \
    } while (0)

    if (any || strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "X509 CERTIFICATE") == 0) {
        TRY(X509, d2i_X509, X509_free, print_cert(out, obj_, ""));
    }
    if (label != NULL && strcmp(label, "TRUSTED CERTIFICATE") == 0) {
        TRY(X509, d2i_X509_AUX, X509_free, print_cert(out, obj_, ""));
    }
    if (any || strcmp(label, "CERTIFICATE REQUEST") == 0 ||
        strcmp(label, "NEW CERTIFICATE REQUEST") == 0) {
        TRY(X509_REQ, d2i_X509_REQ, X509_REQ_free, print_csr(out, obj_));
    }
    if (any || strcmp(label, "X509 CRL") == 0) {
        TRY(X509_CRL, d2i_X509_CRL, X509_CRL_free, print_crl(out, obj_, ""));
    }
    if (any || strcmp(label, "PKCS7") == 0) {
        TRY(PKCS7, d2i_PKCS7, PKCS7_free, print_pkcs7(out, obj_));
    }
    if (any || strcmp(label, "CMS") == 0) {
        TRY(CMS_ContentInfo, d2i_CMS_ContentInfo, CMS_ContentInfo_free, print_cms(out, obj_));
    }
#undef TRY
    if (label != NULL && strstr(label, "PRIVATE KEY") != NULL) {
        BIO_printf(out, "private key (%s): not printed\n", label);
        return 1;
    }
    if (label != NULL && strcmp(label, "PUBLIC KEY") == 0) {
        EVP_PKEY *key;

        p = der;
        key = d2i_PUBKEY(NULL, &p, len);
        if (key != NULL) {
            BIO_printf(out, "public key\n");
            print_key(out, "", "key: ", key);
            EVP_PKEY_free(key);
            return 1;
        }
    }
    return 0;
}

int
app_print_pki_file(const uint8_t *data, size_t len)
{
    BIO *out = BIO_new_fp(stdout, BIO_NOCLOSE), *in;
    int n = 0, bad = 0;

    if (out == NULL || len > (size_t)INT_MAX) {
        BIO_free(out);
        return -1;
    }
    in = BIO_new_mem_buf(data, (int)len);
    if (in == NULL) {
        BIO_free(out);
        return -1;
    }
    for (;;) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long der_len = 0;

        if (n >= PRINT_MAX_OBJECTS) {
            BIO_printf(out, "... more than %d PEM blocks: the rest is not printed\n",
                       PRINT_MAX_OBJECTS);
            break;
        }
        if (!PEM_read_bio(in, &name, &header, &der, &der_len)) {
            break;
        }
        n++;
        if (n > 1) {
            BIO_printf(out, "\n");
        }
        if (!print_der(out, name, der, der_len)) {
            BIO_printf(out, "PEM block \"%.60s\" of %ld bytes: not a certificate, CSR, CRL, "
                            "PKCS#7 or CMS structure that cmpkit can read\n",
                       name, der_len);
            bad++;
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
    }
    ERR_clear_error(); /* the end of the PEM blocks is reported as an error */
    BIO_free(in);
    if (n == 0) {
        /* DER: one object of any of the types */
        n = print_der(out, NULL, data, (long)len);
        ERR_clear_error();
        if (n == 0) {
            BIO_free(out);
            return -1;
        }
    }
    BIO_free(out);
    return bad > 0 ? 0 : 1;
}
