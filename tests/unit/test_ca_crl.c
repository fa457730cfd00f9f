/*
 * lib/ca/crl.c: CRLs parsed back with libcrypto: signature, version 2,
 * issuer, times, exactly the revoked serials with their reasons and
 * revocation times, increasing CRL numbers, the authority key identifier,
 * the last CRL kept in the store, and a chain check that uses the CRL.
 *
 * test_ca_crl [--out DIR] also writes ca.pem, crl.pem, revoked.pem and
 * good.pem for tests/ca_openssl_verify.sh.
 */
#include <openssl/x509_vfy.h>

#include "ca_test_util.h"

static const char *out_dir;

struct expect {
    uint8_t serial[CMP_CA_SERIAL_MAX];
    int reason; /* 0: no reasonCode entry extension */
    int found;
};

static int
entry_reason(X509_REVOKED *rev)
{
    ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
    int r = e != NULL ? (int)ASN1_ENUMERATED_get(e) : 0;

    ASN1_ENUMERATED_free(e);
    return r;
}

static int64_t
crl_number(X509_CRL *crl)
{
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    int64_t v = -1;

    if (n == NULL || ASN1_INTEGER_get_int64(&v, n) != 1) {
        v = -1;
    }
    ASN1_INTEGER_free(n);
    return v;
}

/* verify_with_crl() checks |x| against the CA and |crl|: the X509_V_ code. */
static int
verify_with_crl(X509 *ca, X509_CRL *crl, X509 *x, int64_t now)
{
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = -1;

    if (st != NULL && ctx != NULL && X509_STORE_add_cert(st, ca) == 1 &&
        X509_STORE_add_crl(st, crl) == 1 && X509_STORE_CTX_init(ctx, st, x, NULL) == 1) {
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK);
        X509_STORE_CTX_set_time(ctx, 0, (time_t)now + 60);
        (void)X509_verify_cert(ctx);
        rc = X509_STORE_CTX_get_error(ctx);
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    return rc;
}

static void
test_crl(const char *ca_key)
{
    struct ct_ca c;
    struct ct_req r;
    struct cmp_ca_issued certs[5];
    struct expect exp[3];
    struct cmp_err err;
    EVP_PKEY *k = ct_key("P-256");
    int64_t now = ct_now(), number = 0;
    uint8_t *der = NULL, *der2 = NULL, *last = NULL;
    size_t len = 0, len2 = 0, last_len = 0, i;
    int outcome, prev, day = 0, sec = 0, j;
    X509_CRL *crl = NULL;
    const unsigned char *p;

    memset(certs, 0, sizeof(certs));
    memset(exp, 0, sizeof(exp));
    if (!CHECK_CASE(ca_key, k != NULL && ct_ca_new(&c, ca_key))) {
        EVP_PKEY_free(k);
        return;
    }
    if (!CHECK_CASE(ca_key, ct_req_make(&r, k, "CN=crl test", NULL, 0))) {
        ct_ca_free(&c);
        EVP_PKEY_free(k);
        return;
    }
    cmp_err_init(&err);
    /* an empty CRL first */
    CHECK_CASE(ca_key, cmp_ca_crl_issue(c.ca, now, &der, &len, &number, &err) && number == 1);
    p = der;
    crl = d2i_X509_CRL(NULL, &p, (long)len);
    CHECK_CASE(ca_key, crl != NULL && X509_CRL_verify(crl, c.key) == 1 &&
                           X509_CRL_get_REVOKED(crl) == NULL && /* absent when empty */
                           crl_number(crl) == 1);
    X509_CRL_free(crl);
    free(der);
    der = NULL;

    for (i = 0; i < 4; i++) {
        CHECK_CASE(ca_key, cmp_ca_issue(c.ca, &r.req, now, &certs[i], &err));
    }
    for (i = 0; i < 3; i++) {
        CHECK_CASE(ca_key, cmp_ca_confirm(c.ca, certs[i].serial, CMP_CA_SERIAL_MAX, 1, now,
                                          &outcome, &prev, &err) &&
                               outcome == CMP_CA_DONE);
    }
    /* 1: revoked, keyCompromise; 3: rejected by certConf; 0: superseded by a kur (4) */
    CHECK_CASE(ca_key, cmp_ca_revoke(c.ca, certs[1].serial, CMP_CA_SERIAL_MAX, 1, now - 100,
                                     &outcome, &prev, &err) &&
                           outcome == CMP_CA_DONE);
    CHECK_CASE(ca_key, cmp_ca_confirm(c.ca, certs[3].serial, CMP_CA_SERIAL_MAX, 0, now - 50,
                                      &outcome, &prev, &err) &&
                           outcome == CMP_CA_DONE);
    r.req.old_serial = der_in_make(certs[0].serial, CMP_CA_SERIAL_MAX);
    CHECK_CASE(ca_key, cmp_ca_issue(c.ca, &r.req, now, &certs[4], &err));
    CHECK_CASE(ca_key, cmp_ca_confirm(c.ca, certs[4].serial, CMP_CA_SERIAL_MAX, 1, now - 10,
                                      &outcome, &prev, &err) &&
                           outcome == CMP_CA_DONE);
    memcpy(exp[0].serial, certs[1].serial, CMP_CA_SERIAL_MAX);
    exp[0].reason = 1;
    memcpy(exp[1].serial, certs[3].serial, CMP_CA_SERIAL_MAX);
    exp[1].reason = 0;
    memcpy(exp[2].serial, certs[0].serial, CMP_CA_SERIAL_MAX);
    exp[2].reason = 4;

    cmp_ca_set_crl_period(c.ca, 3600);
    CHECK_CASE(ca_key, cmp_ca_crl_issue(c.ca, now, &der, &len, &number, &err) && number == 2);
    if (der == NULL) {
        fprintf(stderr, "%s: %s\n", ca_key, err.msg);
    }
    p = der;
    crl = der != NULL ? d2i_X509_CRL(NULL, &p, (long)len) : NULL;
    CHECK_CASE(ca_key, crl != NULL);
    if (crl != NULL) {
        STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);
        ASN1_TIME *at_now = ASN1_TIME_set(NULL, (time_t)now);
        AUTHORITY_KEYID *akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);

        CHECK_CASE(ca_key, X509_CRL_verify(crl, c.key) == 1);
        CHECK_CASE(ca_key, X509_CRL_get_version(crl) == X509_CRL_VERSION_2);
        CHECK_CASE(ca_key,
                   X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(c.cert)) == 0);
        CHECK_CASE(ca_key, ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl), at_now) == 0);
        CHECK_CASE(ca_key, ASN1_TIME_diff(&day, &sec, X509_CRL_get0_lastUpdate(crl),
                                          X509_CRL_get0_nextUpdate(crl)) &&
                               day == 0 && sec == 3600);
        CHECK_CASE(ca_key, crl_number(crl) == 2);
        CHECK_CASE(ca_key,
                   akid != NULL && akid->keyid != NULL &&
                       ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(c.cert)) == 0);
        AUTHORITY_KEYID_free(akid);
        /* exactly the three revoked serials */
        CHECK_CASE(ca_key, sk_X509_REVOKED_num(revs) == 3);
        for (j = 0; j < sk_X509_REVOKED_num(revs); j++) {
            X509_REVOKED *rev = sk_X509_REVOKED_value(revs, j);
            const ASN1_INTEGER *sn = X509_REVOKED_get0_serialNumber(rev);

            for (i = 0; i < 3; i++) {
                if (ASN1_STRING_length(sn) == CMP_CA_SERIAL_MAX &&
                    memcmp(ASN1_STRING_get0_data(sn), exp[i].serial, CMP_CA_SERIAL_MAX) == 0) {
                    exp[i].found++;
                    CHECK_CASE(ca_key, entry_reason(rev) == exp[i].reason);
                }
            }
        }
        for (i = 0; i < 3; i++) {
            CHECK_CASE(ca_key, exp[i].found == 1);
        }
        /* the revocation time of serial 1 is the one given */
        {
            X509_REVOKED *rev = NULL;
            ASN1_INTEGER *sn = ASN1_INTEGER_new();
            ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)(now - 100));

            CHECK_CASE(ca_key,
                       sn != NULL && t != NULL &&
                           ASN1_STRING_set(sn, exp[0].serial, CMP_CA_SERIAL_MAX) == 1 &&
                           X509_CRL_get0_by_serial(crl, &rev, sn) == 1 && rev != NULL &&
                           ASN1_TIME_compare(X509_REVOKED_get0_revocationDate(rev), t) == 0);
            ASN1_INTEGER_free(sn);
            ASN1_TIME_free(t);
        }
        /* the CRL in use: the revoked certificate fails, a good one passes */
        CHECK_CASE(ca_key, verify_with_crl(c.cert, crl, cmp_ca_issued_cert(&certs[1]), now) ==
                               X509_V_ERR_CERT_REVOKED);
        CHECK_CASE(ca_key,
                   verify_with_crl(c.cert, crl, cmp_ca_issued_cert(&certs[2]), now) == X509_V_OK);
        if (out_dir != NULL && strcmp(ca_key, "P-256") == 0) {
            CHECK(ct_write_pem(out_dir, "crl-ca.pem", c.cert, NULL));
            CHECK(ct_write_pem(out_dir, "crl.pem", NULL, crl));
            CHECK(ct_write_pem(out_dir, "revoked.pem", cmp_ca_issued_cert(&certs[1]), NULL));
            CHECK(ct_write_pem(out_dir, "good.pem", cmp_ca_issued_cert(&certs[2]), NULL));
        }
        ASN1_TIME_free(at_now);
    }
    X509_CRL_free(crl);

    /* the numbers keep growing; the store keeps the newest */
    CHECK_CASE(ca_key, cmp_ca_crl_issue(c.ca, now + 1, &der2, &len2, &number, &err) && number == 3);
    CHECK_CASE(ca_key,
               c.store->ops->crl_last(c.store, &last, &last_len, &number, &err) && number == 3);
    CHECK_MEM(ca_key, last, last_len, der2, len2);
    free(last);
    free(der2);
    free(der);
    for (i = 0; i < 5; i++) {
        cmp_ca_issued_cleanup(&certs[i]);
    }
    ct_req_free(&r);
    ct_ca_free(&c);
    EVP_PKEY_free(k);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--out") == 0) {
        out_dir = argv[2];
    }
    test_crl("P-256");
    test_crl("Ed25519");
    test_crl("RSA-2048");
    return check_finish();
}
