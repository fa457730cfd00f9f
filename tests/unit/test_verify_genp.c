/*
 * Unit tests for lib/verify/genp.c: what a client accepts in the genp of a
 * support message. The certificates and CRLs are made here with libcrypto
 * (P-256 keys): an old root, its successor with the three link
 * certificates, and an attacker's key.
 *
 * The rootCaKeyUpdate cases are the forged updates of CVE-2026-42769 (an
 * RA or server substituting the client's root): a newWithNew of the
 * attacker's key with a newWithOld not signed by the old root (though it
 * names it as issuer, with its key identifier), with a genuine newWithOld
 * for another key, with an end-entity certificate or another subject the
 * old root signed for the attacker's key, or linked through an
 * intermediate. Each must be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "msg/msg.h"
#include "pki_test_util.h"
#include "verify/verify.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static EVP_PKEY *k_old, *k_new, *k_evil, *k_int;

/* ---- rootCaKeyUpdate ---- */

static X509 *old_root, *new_root, *new_with_old, *old_with_new, *intermediate;
static X509 *evil_root, *evil_with_old_fake, *evil_ee_by_old, *evil_other_subject, *evil_via_int;
static X509 *evil_old_with_new, *new_not_self_signed, *new_expired, *new_ee;

static int
make_pki(void)
{
    struct cert_spec expired = {"Root CA", NULL, "Root CA", NULL, NULL, 1, -10 * DAY, -DAY};

    k_old = EVP_EC_gen("P-256");
    k_new = EVP_EC_gen("P-256");
    k_evil = EVP_EC_gen("P-256");
    k_int = EVP_EC_gen("P-256");
    if (k_old == NULL || k_new == NULL || k_evil == NULL || k_int == NULL) {
        return 0;
    }
    old_root = cert("Root CA", k_old, "Root CA", k_old, NULL, 1);
    new_root = cert("Root CA", k_new, "Root CA", k_new, NULL, 1);
    new_with_old = cert("Root CA", k_new, "Root CA", k_old, old_root, 1);
    old_with_new = cert("Root CA", k_old, "Root CA", k_new, new_root, 1);
    intermediate = cert("Intermediate", k_int, "Root CA", k_old, old_root, 1);

    /* the attacker's root, and what might make it pass */
    evil_root = cert("Root CA", k_evil, "Root CA", k_evil, NULL, 1);
    /* names the old root as issuer and carries its key identifier, but the attacker signed it */
    evil_with_old_fake = cert("Root CA", k_evil, "Root CA", k_evil, old_root, 1);
    /* genuinely signed by the old root for the attacker's key, but an end entity */
    evil_ee_by_old = cert("Root CA", k_evil, "Root CA", k_old, old_root, 0);
    /* genuinely signed by the old root for the attacker's key, a CA of another name */
    evil_other_subject = cert("Evil CA", k_evil, "Root CA", k_old, old_root, 1);
    /* signed by an intermediate under the old root */
    evil_via_int = cert("Root CA", k_evil, "Intermediate", k_int, intermediate, 1);
    /* an oldWithNew the new key did not sign */
    evil_old_with_new = cert("Root CA", k_old, "Root CA", k_evil, evil_root, 1);
    new_not_self_signed = cert("Root CA", k_new, "Root CA", k_old, old_root, 1);
    expired.key = k_new;
    expired.signer = k_new;
    new_expired = make_cert(&expired);
    new_ee = cert("Root CA", k_new, "Root CA", k_new, NULL, 0);
    return old_root != NULL && new_root != NULL && new_with_old != NULL && old_with_new != NULL &&
           intermediate != NULL && evil_root != NULL && evil_with_old_fake != NULL &&
           evil_ee_by_old != NULL && evil_other_subject != NULL && evil_via_int != NULL &&
           evil_old_with_new != NULL && new_not_self_signed != NULL && new_expired != NULL &&
           new_ee != NULL;
}

enum anchor { A_OLD_ROOT, A_TRUSTED, A_NONE };

static void
test_root_ca_update(void)
{
    struct {
        const char *name;
        int anchor;
        X509 *nwn, *nwo, *own;
        int ok;
        const char *text;
    } rows[] = {
        {"genuine, -oldwithold", A_OLD_ROOT, new_root, new_with_old, NULL, 1, NULL},
        {"genuine, -trusted", A_TRUSTED, new_root, new_with_old, NULL, 1, NULL},
        {"genuine with oldWithNew", A_OLD_ROOT, new_root, new_with_old, old_with_new, 1, NULL},
        {"oldWithNew unchecked without -oldwithold", A_TRUSTED, new_root, new_with_old,
         evil_old_with_new, 1, NULL},
        {"no newWithOld, newWithNew already trusted", A_OLD_ROOT, old_root, NULL, NULL, 1, NULL},
        {"no anchors", A_NONE, new_root, new_with_old, NULL, 0, "no -oldwithold"},
        /* forged updates */
        {"attacker root, newWithOld self-made naming the old root", A_OLD_ROOT, evil_root,
         evil_with_old_fake, NULL, 0, "newWithOld (against -oldwithold) does not validate"},
        {"attacker root, newWithOld self-made, -trusted", A_TRUSTED, evil_root, evil_with_old_fake,
         NULL, 0, "does not validate"},
        {"attacker root, genuine newWithOld of the real new key", A_OLD_ROOT, evil_root,
         new_with_old, NULL, 0, "newWithOld does not certify the subject and key of newWithNew"},
        {"genuine new root, newWithOld for the attacker key", A_OLD_ROOT, new_root,
         evil_with_old_fake, NULL, 0, "does not certify"},
        {"attacker root, end-entity certificate of the old root", A_OLD_ROOT, evil_root,
         evil_ee_by_old, NULL, 0, "newWithOld is not a CA certificate"},
        {"attacker root, CA of another subject by the old root", A_OLD_ROOT, evil_root,
         evil_other_subject, NULL, 0, "does not certify"},
        {"attacker root, newWithOld through an intermediate", A_TRUSTED, evil_root, evil_via_int,
         NULL, 0, "does not validate"},
        {"attacker root, no newWithOld", A_OLD_ROOT, evil_root, NULL, NULL, 0,
         "newWithOld is missing"},
        {"attacker root, no newWithOld, -trusted", A_TRUSTED, evil_root, NULL, NULL, 0,
         "newWithOld is missing"},
        {"oldWithNew not by the new key", A_OLD_ROOT, new_root, new_with_old, evil_old_with_new, 0,
         "oldWithNew (against newWithNew) does not validate"},
        {"oldWithNew is newWithOld", A_OLD_ROOT, new_root, new_with_old, new_with_old, 0,
         "oldWithNew does not certify"},
        {"newWithNew not self-signed", A_OLD_ROOT, new_not_self_signed, new_with_old, NULL, 0,
         "not self-signed"},
        {"newWithNew expired", A_OLD_ROOT, new_expired, new_with_old, NULL, 0, "has expired"},
        {"newWithNew not a CA", A_OLD_ROOT, new_ee, new_with_old, NULL, 0, "not a CA"},
    };
    X509_STORE *trusted = X509_STORE_new();
    size_t i;

    if (!CHECK(trusted != NULL && X509_STORE_add_cert(trusted, old_root))) {
        X509_STORE_free(trusted);
        return;
    }
    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_err err;
        int ok;

        cmp_err_init(&err);
        ok = cmp_vfy_root_ca_update(rows[i].anchor == A_OLD_ROOT ? old_root : NULL,
                                    rows[i].anchor == A_TRUSTED ? trusted : NULL, rows[i].nwn,
                                    rows[i].nwo, rows[i].own, NULL, &err);
        CHECK_CASE(rows[i].name, ok == rows[i].ok);
        if (!rows[i].ok) {
            CHECK_CASE(rows[i].name, err.failure_bit == CMP_FI_INCORRECT_DATA);
            if (!CHECK_CASE(rows[i].name, strstr(err.msg, rows[i].text) != NULL)) {
                fprintf(stderr, "  %s: got \"%s\"\n", rows[i].name, err.msg);
            }
        }
    }
    X509_STORE_free(trusted);
}

/* ---- caCerts ---- */

/* DER SEQUENCE OF the certificates, into |buf|. */
static size_t
seq_of(uint8_t *buf, size_t cap, X509 **certs, size_t num, X509_CRL **crls)
{
    struct der_out out;
    uint8_t *der = NULL;
    size_t len = 0, mark, i;
    int ok;

    der_out_init(&out, cap);
    ok = der_open(&out, DER_SEQUENCE, &mark);
    for (i = 0; ok && i < num; i++) {
        unsigned char *p = NULL;
        int n = crls != NULL ? i2d_X509_CRL(crls[i], &p) : i2d_X509(certs[i], &p);

        ok = n > 0 && der_put_raw(&out, p, (size_t)n);
        OPENSSL_free(p);
    }
    ok = ok && der_close(&out, mark) && der_out_finish(&out, &der, &len);
    der_out_cleanup(&out);
    if (!ok || len > cap) {
        free(der);
        return 0;
    }
    memcpy(buf, der, len);
    free(der);
    return len;
}

static void
test_ca_certs(void)
{
    struct cert_spec expired = {"Old CA", NULL, "Old CA", NULL, NULL, 1, -10 * DAY, -DAY};
    struct cert_spec future = {"New CA", NULL, "New CA", NULL, NULL, 1, DAY, 10 * DAY};
    X509 *ee = cert("EE", k_evil, "Root CA", k_old, old_root, 0);
    X509 *exp, *fut, *list[3];
    STACK_OF(X509) *out = NULL;
    X509_VERIFY_PARAM *no_time = X509_VERIFY_PARAM_new();
    static uint8_t buf[4096];
    struct der_in v;
    struct cmp_err err;
    size_t len;

    expired.key = expired.signer = k_old;
    future.key = future.signer = k_new;
    exp = make_cert(&expired);
    fut = make_cert(&future);
    if (!CHECK(ee != NULL && exp != NULL && fut != NULL && no_time != NULL)) {
        goto end;
    }
    X509_VERIFY_PARAM_set_flags(no_time, X509_V_FLAG_NO_CHECK_TIME);

    list[0] = old_root;
    list[1] = new_root;
    len = seq_of(buf, sizeof(buf), list, 2, NULL);
    v = der_in_make(buf, len);
    cmp_err_init(&err);
    CHECK(cmp_vfy_ca_certs(&v, NULL, &out, &err) && sk_X509_num(out) == 2);
    sk_X509_pop_free(out, X509_free);

    list[1] = ee; /* an end entity among them */
    len = seq_of(buf, sizeof(buf), list, 2, NULL);
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_ca_certs(&v, NULL, &out, &err) && out == NULL &&
          strstr(err.msg, "caCerts[1] is not a CA certificate") != NULL);

    list[0] = exp;
    len = seq_of(buf, sizeof(buf), list, 1, NULL);
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_ca_certs(&v, NULL, &out, &err) && strstr(err.msg, "has expired") != NULL);
    /* -no_check_time */
    CHECK(cmp_vfy_ca_certs(&v, no_time, &out, &err));
    sk_X509_pop_free(out, X509_free);

    list[0] = fut;
    len = seq_of(buf, sizeof(buf), list, 1, NULL);
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_ca_certs(&v, NULL, &out, &err) && strstr(err.msg, "not yet valid") != NULL);

    /* framed as a certificate, but not one */
    CHECK(check_unhex("3005 3003020101", buf, sizeof(buf), &len));
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_ca_certs(&v, NULL, &out, &err) && err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
    CHECK(check_unhex("3000", buf, sizeof(buf), &len));
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_ca_certs(&v, NULL, &out, &err) && err.code == CMP_E_DECODE);
end:
    X509_free(ee);
    X509_free(exp);
    X509_free(fut);
    X509_VERIFY_PARAM_free(no_time);
}

/* ---- certReqTemplate ---- */

static void
test_cert_req_template(void)
{
    static const struct {
        const char *name, *hex;
        int ok;
        int bit;
    } rows[] = {
        {"empty template", "3002 3000", 1, 0},
        {"EC and RSA",
         "302d 3000 3029 3016 06092b060105050705010b 3009 06072a8648ce3d0201"
         " 300f 06092b060105050705010c 02021000",
         1, 0},
        {"publicKey in the template", "300e 300c a60a 3005 06032b6570 030100", 0,
         CMP_FI_BAD_CERT_TEMPLATE},
        {"rsaKeyLen 0", "3014 3000 3010 300e 06092b060105050705010c 020100", 0,
         CMP_FI_BAD_DATA_FORMAT},
        {"rsaKeyLen negative", "3014 3000 3010 300e 06092b060105050705010c 0201ff", 0,
         CMP_FI_BAD_DATA_FORMAT},
        {"rsaKeyLen an OCTET STRING", "3014 3000 3010 300e 06092b060105050705010c 040100", 0,
         CMP_FI_BAD_DATA_FORMAT},
        {"algId rsaEncryption",
         "3020 3000 301c 301a 06092b060105050705010b 300d 06092a864886f70d0101010500", 0,
         CMP_FI_BAD_CERT_TEMPLATE},
        {"algId an INTEGER", "3014 3000 3010 300e 06092b060105050705010b 020101", 0,
         CMP_FI_BAD_DATA_FORMAT},
        {"other control (regToken)", "3014 3000 3010 300e 06092b0601050507050101 0c0161", 0,
         CMP_FI_BAD_CERT_TEMPLATE},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        uint8_t buf[128];
        size_t len = 0;
        struct der_in in;
        struct cmp_cert_req_template t;
        struct cmp_err err;

        memset(&t, 0, sizeof(t));
        cmp_err_init(&err);
        CHECK_CASE(rows[i].name, check_unhex(rows[i].hex, buf, sizeof(buf), &len));
        in = der_in_make(buf, len);
        if (!CHECK_CASE(rows[i].name, cmp_cert_req_template_decode(&in, &t, &err))) {
            cmp_cert_req_template_cleanup(&t);
            continue;
        }
        CHECK_CASE(rows[i].name, cmp_vfy_cert_req_template(&t, &err) == rows[i].ok);
        CHECK_CASE(rows[i].name, rows[i].ok || err.failure_bit == rows[i].bit);
        cmp_cert_req_template_cleanup(&t);
    }
}

/* ---- crls ---- */

static void
test_crls(void)
{
    X509_CRL *fresh = make_crl("Root CA", -60, k_old), *other = make_crl("Other CA", -60, k_old),
             *list[2];
    uint8_t name_der[64], *p = name_der;
    static uint8_t buf[4096];
    struct cmp_crl_status st;
    struct cmp_gname gn;
    X509_CRL *out = NULL;
    struct cmp_err err;
    struct der_in v;
    size_t len;
    int n;

    if (!CHECK(fresh != NULL && other != NULL)) {
        goto end;
    }
    /* the CRLStatus sent: issuer directoryName CN=Root CA, thisUpdate an hour ago */
    n = i2d_X509_NAME(X509_CRL_get_issuer(fresh), NULL);
    if (!CHECK(n > 0 && (size_t)n <= sizeof(name_der))) {
        goto end;
    }
    i2d_X509_NAME(X509_CRL_get_issuer(fresh), &p);
    memset(&st, 0, sizeof(st));
    memset(&gn, 0, sizeof(gn));
    gn.type = CMP_GN_DIRNAME;
    gn.value = der_in_make(name_der, (size_t)n);
    st.source_type = CMP_CRL_SOURCE_ISSUER;
    st.num_names = 1;
    st.names = &gn;
    st.has_this_update = 1;
    st.this_update_secs = (int64_t)time(NULL) - 3600;

    list[0] = fresh;
    len = seq_of(buf, sizeof(buf), NULL, 1, list);
    v = der_in_make(buf, len);
    cmp_err_init(&err);
    CHECK(cmp_vfy_crls(&v, &st, &out, &err) && out != NULL);
    X509_CRL_free(out);
    out = NULL;

    /* not newer than ours */
    st.this_update_secs = (int64_t)time(NULL);
    CHECK(!cmp_vfy_crls(&v, &st, &out, &err) && out == NULL &&
          strstr(err.msg, "not more recent") != NULL);
    /* no thisUpdate sent: any CRL is newer */
    st.has_this_update = 0;
    CHECK(cmp_vfy_crls(&v, &st, &out, &err));
    X509_CRL_free(out);
    out = NULL;

    /* another issuer's CRL */
    list[0] = other;
    len = seq_of(buf, sizeof(buf), NULL, 1, list);
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_crls(&v, &st, &out, &err) && strstr(err.msg, "issuer") != NULL);
    /* a distribution point source: the issuer is not compared */
    st.source_type = CMP_CRL_SOURCE_DPN;
    st.num_names = 0;
    CHECK(cmp_vfy_crls(&v, &st, &out, &err));
    X509_CRL_free(out);
    out = NULL;

    /* two CRLs for one CRLStatus */
    list[1] = fresh;
    len = seq_of(buf, sizeof(buf), NULL, 2, list);
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_crls(&v, &st, &out, &err) && err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
    /* not a CRL */
    CHECK(check_unhex("3005 3003020101", buf, sizeof(buf), &len));
    v = der_in_make(buf, len);
    CHECK(!cmp_vfy_crls(&v, &st, &out, &err) && strstr(err.msg, "not a CRL") != NULL);
end:
    X509_CRL_free(fresh);
    X509_CRL_free(other);
}

/* ---- the answer's ITAV ---- */

static void
test_genp_itav(void)
{
    struct cmp_msg *m = cmp_msg_new();
    struct cmp_itav items[3];
    const struct cmp_itav *found = NULL;
    struct cmp_err err;
    size_t others = 99;

    if (!CHECK(m != NULL)) {
        return;
    }
    memset(items, 0, sizeof(items));
    items[0].type = cmp_oid(CMP_NID_IT_CERT_PROFILE);
    items[1].type = cmp_oid(CMP_NID_IT_CA_CERTS);
    items[2].type = cmp_oid(CMP_NID_IT_CA_CERTS);
    m->body.type = CMP_BODY_GENP;
    m->body.u.itavs.items = items;
    m->body.u.itavs.num = 3;
    cmp_err_init(&err);
    CHECK(cmp_vfy_genp_itav(m, CMP_NID_IT_CA_CERTS, &found, &others, &err) && found == &items[1] &&
          others == 2);
    CHECK(!cmp_vfy_genp_itav(m, CMP_NID_IT_CRLS, &found, NULL, &err) && found == NULL &&
          err.failure_bit == CMP_FI_BAD_DATA_FORMAT && strstr(err.msg, "id-it-crls") != NULL);
    m->body.u.itavs.num = 0;
    CHECK(!cmp_vfy_genp_itav(m, CMP_NID_IT_CA_CERTS, &found, NULL, &err));
    m->body.u.itavs.items = NULL;
    m->body.type = CMP_BODY_PKICONF;
    CHECK(!cmp_vfy_genp_itav(m, CMP_NID_IT_CA_CERTS, &found, NULL, &err));
    cmp_msg_free(m);
}

int
main(void)
{
    if (CHECK(make_pki())) {
        test_root_ca_update();
        test_ca_certs();
        test_cert_req_template();
        test_crls();
    }
    test_genp_itav();
    X509_free(old_root);
    X509_free(new_root);
    X509_free(new_with_old);
    X509_free(old_with_new);
    X509_free(intermediate);
    X509_free(evil_root);
    X509_free(evil_with_old_fake);
    X509_free(evil_ee_by_old);
    X509_free(evil_other_subject);
    X509_free(evil_via_int);
    X509_free(evil_old_with_new);
    X509_free(new_not_self_signed);
    X509_free(new_expired);
    X509_free(new_ee);
    EVP_PKEY_free(k_old);
    EVP_PKEY_free(k_new);
    EVP_PKEY_free(k_evil);
    EVP_PKEY_free(k_int);
    return check_finish();
}
