/*
 * CRLs (RFC 5280 5): version 2, signed with the CA key, listing every
 * certificate the store holds as revoked (REJECTED, REVOKED, SUPERSEDED)
 * with its revocation time and, unless unspecified, its reasonCode
 * (5.3.1: "the reason code CRL entry extension SHOULD be absent instead of
 * using the unspecified (0) reasonCode value"). Extensions: cRLNumber
 * (5.2.3, from the store's counter, committed before signing, so numbers
 * only grow even across crashes) and authorityKeyIdentifier (5.2.1, MUST).
 * Entries stay after their certificates expire: nothing is pruned yet.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"
#include "crypto/crypto.h"

struct crl_build {
    X509_CRL *crl;
    size_t count;
    int failed;
};

static int
add_entry(void *arg, const struct cmp_ca_cert_rec *rec)
{
    struct crl_build *b = arg;
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)rec->rev_time);
    ASN1_ENUMERATED *reason = NULL;
    int ok = rev != NULL && sn != NULL && when != NULL &&
             ASN1_STRING_set(sn, rec->serial, (int)rec->serial_len) == 1 &&
             X509_REVOKED_set_serialNumber(rev, sn) == 1 &&
             X509_REVOKED_set_revocationDate(rev, when) == 1;

    if (ok && rec->rev_reason > 0) {
        reason = ASN1_ENUMERATED_new();
        ok = reason != NULL && ASN1_ENUMERATED_set(reason, rec->rev_reason) == 1 &&
             X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) == 1;
    }
    if (ok) {
        ok = X509_CRL_add0_revoked(b->crl, rev) == 1;
    }
    if (!ok) {
        X509_REVOKED_free(rev);
        b->failed = 1;
    }
    ASN1_ENUMERATED_free(reason);
    ASN1_INTEGER_free(sn);
    ASN1_TIME_free(when);
    b->count += ok;
    return ok;
}

int
cmp_ca_crl_issue(struct cmp_ca *ca, int64_t now, uint8_t **out_der, size_t *out_len,
                 int64_t *out_number, struct cmp_err *err)
{
    struct crl_build b = {NULL, 0, 0};
    struct cmp_ca_cert_filter f;
    ASN1_TIME *this_update = NULL, *next_update = NULL;
    ASN1_INTEGER *number = NULL;
    X509_EXTENSION *aki = NULL;
    X509V3_CTX ctx;
    unsigned char *der = NULL;
    int64_t n;
    int der_len = 0, ok;

    if (out_der != NULL) {
        *out_der = NULL;
        *out_len = 0;
    }
    if (!ca->store->ops->crl_next_number(ca->store, &n, err)) {
        return CMP_CONTEXT(err, "taking a CRL number");
    }
    b.crl = X509_CRL_new();
    this_update = ASN1_TIME_set(NULL, (time_t)now);
    next_update = ASN1_TIME_set(NULL, (time_t)(now + ca->crl_period));
    number = ASN1_INTEGER_new();
    ok = b.crl != NULL && this_update != NULL && next_update != NULL && number != NULL &&
         X509_CRL_set_version(b.crl, X509_CRL_VERSION_2) == 1 &&
         X509_CRL_set_issuer_name(b.crl, X509_get_subject_name(ca->cert)) == 1 &&
         X509_CRL_set1_lastUpdate(b.crl, this_update) == 1 &&
         X509_CRL_set1_nextUpdate(b.crl, next_update) == 1;
    if (!ok) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "building CRL %lld", (long long)n);
        goto done;
    }
    memset(&f, 0, sizeof(f));
    f.status_mask = CMP_CA_ST_ON_CRL;
    if (!ca->store->ops->each_cert(ca->store, &f, add_entry, &b, err)) {
        ok = CMP_CONTEXT(err, "listing revoked certificates for CRL %lld", (long long)n);
        goto done;
    }
    X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, b.crl, 0);
    aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    ok = !b.failed && X509_CRL_sort(b.crl) == 1 && aki != NULL &&
         X509_CRL_add_ext(b.crl, aki, -1) == 1 && ASN1_INTEGER_set_int64(number, n) == 1 &&
         X509_CRL_add1_ext_i2d(b.crl, NID_crl_number, number, 0, 0) == 1 &&
         X509_CRL_sign(b.crl, ca->key, cmp_ca_sign_md(ca, ca->profiles[ca->default_profile])) > 0 &&
         (der_len = i2d_X509_CRL(b.crl, &der)) > 0;
    if (!ok) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "signing CRL %lld", (long long)n);
        goto done;
    }
    if (!ca->store->ops->crl_save(ca->store, n, now, der, (size_t)der_len, err)) {
        ok = CMP_CONTEXT(err, "saving CRL %lld", (long long)n);
        goto done;
    }
    if (out_number != NULL) {
        *out_number = n;
    }
    if (out_der != NULL) {
        *out_der = malloc((size_t)der_len);
        if (*out_der == NULL) {
            ok = CMP_FAIL(err, CMP_E_MEMORY, "CRL %lld", (long long)n);
            goto done;
        }
        memcpy(*out_der, der, (size_t)der_len);
        *out_len = (size_t)der_len;
    }
done:
    OPENSSL_free(der);
    X509_EXTENSION_free(aki);
    ASN1_INTEGER_free(number);
    ASN1_TIME_free(this_update);
    ASN1_TIME_free(next_update);
    X509_CRL_free(b.crl);
    return ok;
}
