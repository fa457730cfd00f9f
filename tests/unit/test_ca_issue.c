/*
 * lib/ca/issue.c: certificates issued for P-256, RSA-2048 and Ed25519
 * requests (by CAs with P-256 and Ed25519 keys), each verified with
 * X509_verify and a chain check; requests from a CertTemplate and from a
 * PKCS#10 CSR; every profile violation with its failure bit and no trace
 * in the store; serial numbers (20 bytes, positive, unique, retried on a
 * collision); confirmation, timeouts, kur and revocation.
 *
 * test_ca_issue [--out DIR] writes the CA and issued certificates as PEM
 * for tests/ca_openssl_verify.sh.
 */
#include <openssl/objects.h>
#include <openssl/x509_vfy.h>

#include "ca_test_util.h"
#include "msg/msg.h"

static const char *out_dir;

/* The issued certificate has what was asked and what the default profile forces. */
static void
check_issued(const char *name, const struct ct_ca *c, X509 *x, EVP_PKEY *key, const char *subject)
{
    X509_NAME *want = ct_name(subject);
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    X509_STORE *trust = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    BASIC_CONSTRAINTS *bc;
    int crit = -1, day = 0, sec = 0;

    CHECK_CASE(name, X509_verify(x, c->key) == 1);
    CHECK_CASE(name, X509_NAME_cmp(X509_get_subject_name(x), want) == 0);
    CHECK_CASE(name, X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(c->cert)) == 0);
    CHECK_CASE(name, EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1);
    CHECK_CASE(name, X509_get_version(x) == X509_VERSION_3);
    /* 20 bytes, positive, first byte non-zero (RFC 5280 4.1.2.2) */
    CHECK_CASE(name, ASN1_STRING_type(sn) == V_ASN1_INTEGER && ASN1_STRING_length(sn) == 20 &&
                         ASN1_STRING_get0_data(sn)[0] != 0 &&
                         (ASN1_STRING_get0_data(sn)[0] & 0x80) == 0);
    CHECK_CASE(name, X509_get_key_usage(x) == KU_DIGITAL_SIGNATURE);
    CHECK_CASE(name, X509_get_extended_key_usage(x) == XKU_SSL_CLIENT);
    bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
    CHECK_CASE(name, bc != NULL && bc->ca == 0 && crit == 1);
    BASIC_CONSTRAINTS_free(bc);
    CHECK_CASE(name, X509_get0_subject_key_id(x) != NULL);
    /* authorityKeyIdentifier: the CA's subjectKeyIdentifier */
    CHECK_CASE(name, X509_get0_authority_key_id(x) != NULL &&
                         ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
                                               X509_get0_subject_key_id(c->cert)) == 0);
    CHECK_CASE(name, ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(x), X509_get0_notAfter(x)) &&
                         day == 365 && sec == 0);
    /* a chain to the CA, for TLS client use */
    CHECK_CASE(name, trust != NULL && ctx != NULL && X509_STORE_add_cert(trust, c->cert) == 1 &&
                         X509_STORE_CTX_init(ctx, trust, x, NULL) == 1 &&
                         X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) == 1 &&
                         X509_verify_cert(ctx) == 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(trust);
    X509_NAME_free(want);
}

static int
issue(struct ct_ca *c, struct cmp_ca_request *req, struct cmp_ca_issued *out, struct cmp_err *err)
{
    cmp_err_init(err);
    return cmp_ca_issue(c->ca, req, ct_now(), out, err);
}

static void
test_key_types(const char *ca_key)
{
    static const char *const keys[] = {"P-256", "RSA-2048", "Ed25519"};
    struct ct_ca c;
    size_t i;

    if (!CHECK(ct_ca_new(&c, ca_key))) {
        return;
    }
    if (out_dir != NULL && strcmp(ca_key, "P-256") == 0) {
        CHECK(ct_write_pem(out_dir, "ca.pem", c.cert, NULL));
    }
    for (i = 0; i < CT_ARRAY_LEN(keys); i++) {
        char name[64], file[64];
        EVP_PKEY *k = ct_key(keys[i]);
        struct ct_req r;
        struct cmp_ca_issued out;
        struct cmp_err err;
        struct cmp_ca_cert_filter f;
        struct cmp_ca_cert_rec *rec = NULL;
        int64_t before = ct_now();

        snprintf(name, sizeof(name), "%s key, %s CA", keys[i], ca_key);
        if (!CHECK_CASE(name, k != NULL && ct_req_make(&r, k, "CN=device-1,O=Lab", NULL, 0))) {
            EVP_PKEY_free(k);
            continue;
        }
        r.req.requester = "kid:6465762d31";
        r.req.tid = der_in_make((const uint8_t *)"0123456789abcdef", 16);
        CHECK_CASE(name, issue(&c, &r.req, &out, &err));
        if (cmp_ca_issued_cert(&out) == NULL) {
            fprintf(stderr, "%s: %s\n", name, err.msg);
        } else {
            check_issued(name, &c, cmp_ca_issued_cert(&out), k, "CN=device-1,O=Lab");
            CHECK_CASE(name, out.status == CMP_CA_ST_WAITING && !out.implicit_confirm &&
                                 out.confirm_deadline >= before + 300 &&
                                 out.confirm_deadline <= ct_now() + 300);
            /* the store has it as issued, findable by serial and by certificate hash */
            memset(&f, 0, sizeof(f));
            f.serial = out.serial;
            f.serial_len = out.serial_len;
            CHECK_CASE(name, cmp_ca_store_get_cert(c.store, &f, &rec, &err) && rec != NULL);
            if (rec != NULL) {
                CHECK_MEM(name, rec->cert_der, rec->cert_der_len, out.der, out.der_len);
                CHECK_CASE(name, strcmp(rec->subject, "CN=device-1,O=Lab") == 0 &&
                                     strcmp(rec->requester, "kid:6465762d31") == 0 &&
                                     strcmp(rec->profile, "default") == 0 &&
                                     rec->status == CMP_CA_ST_WAITING && rec->tid_len == 16);
                memset(&f, 0, sizeof(f));
                f.cert_hash = rec->cert_hash;
                CHECK_CASE(name, ct_count(c.store) >= 1);
            }
            cmp_ca_cert_rec_free(rec);
            rec = NULL;
            if (out_dir != NULL) {
                snprintf(file, sizeof(file), "%s-by-%s.pem", keys[i], ca_key);
                CHECK_CASE(name, ct_write_pem(out_dir, file, cmp_ca_issued_cert(&out), NULL));
            }
        }
        cmp_ca_issued_cleanup(&out);
        ct_req_free(&r);
        EVP_PKEY_free(k);
    }
    ct_ca_free(&c);
}

/* ---- the request forms: CertTemplate and PKCS#10 ---- */

static void
test_template(struct ct_ca *c, EVP_PKEY *k)
{
    static const char *const exts[] = {"subjectAltName=DNS:dev.example,IP:192.0.2.1"};
    struct ct_req r;
    struct cmp_cert_template t, back;
    struct cmp_ca_request req;
    struct cmp_ca_issued out;
    struct cmp_err err;
    struct der_out w;
    struct der_in spki, ex, in;
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    memset(&t, 0, sizeof(t));
    memset(&back, 0, sizeof(back));
    memset(&req, 0, sizeof(req));
    if (!CHECK(ct_req_make(&r, k, "CN=templated", exts, 1))) {
        return;
    }
    /* the template carries publicKey and extensions as the contents of their tags */
    in = r.req.spki;
    CHECK(der_get(&in, DER_SEQUENCE, &spki));
    in = r.req.exts;
    CHECK(der_get(&in, DER_SEQUENCE, &ex));
    t.has_subject = 1;
    t.subject = r.req.subject;
    t.has_public_key = 1;
    t.public_key = spki;
    t.has_extensions = 1;
    t.extensions = ex;
    der_out_init(&w, 1 << 16);
    CHECK(cmp_cert_template_encode(&w, &t) && der_out_finish(&w, &enc, &enc_len));
    in = der_in_make(enc, enc_len);
    cmp_err_init(&err);
    CHECK(cmp_cert_template_decode(&in, &back, &err));
    CHECK(cmp_ca_request_from_template(&req, &back, &err));
    CHECK(issue(c, &req, &out, &err));
    if (cmp_ca_issued_cert(&out) != NULL) {
        GENERAL_NAMES *san =
            X509_get_ext_d2i(cmp_ca_issued_cert(&out), NID_subject_alt_name, NULL, NULL);

        CHECK(X509_verify(cmp_ca_issued_cert(&out), c->key) == 1);
        CHECK(san != NULL && sk_GENERAL_NAME_num(san) == 2 &&
              sk_GENERAL_NAME_value(san, 0)->type == GEN_DNS &&
              sk_GENERAL_NAME_value(san, 1)->type == GEN_IPADD);
        GENERAL_NAMES_free(san);
    } else {
        fprintf(stderr, "template: %s\n", err.msg);
    }
    cmp_ca_issued_cleanup(&out);

    /* a serialNumber in the template: RFC 4211 5 says the requester omits it */
    back.has_serial = 1;
    back.serial = der_in_make((const uint8_t *)"\x01", 1);
    CHECK(cmp_ca_request_from_template(&req, &back, &err));
    CHECK(!issue(c, &req, &out, &err) && err.failure_bit == CMP_FI_BAD_CERT_TEMPLATE &&
          strstr(err.msg, "serialNumber") != NULL);
    back.has_serial = 0;
    back.has_version = 1;
    back.version = 0;
    CHECK(cmp_ca_request_from_template(&req, &back, &err));
    CHECK(!issue(c, &req, &out, &err) && err.failure_bit == CMP_FI_BAD_CERT_TEMPLATE &&
          strstr(err.msg, "version") != NULL);
    cmp_ca_request_cleanup(&req);
    free(enc);
    ct_req_free(&r);
}

static void
test_p10(struct ct_ca *c, EVP_PKEY *k)
{
    X509_REQ *csr = X509_REQ_new();
    X509_NAME *n = ct_name("CN=from-csr,O=Lab");
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *san = X509V3_EXT_conf(NULL, NULL, "subjectAltName", "DNS:csr.example");
    struct cmp_ca_request req;
    struct cmp_ca_issued out;
    struct cmp_err err;
    unsigned char *der = NULL;
    int len;

    memset(&req, 0, sizeof(req));
    CHECK(csr != NULL && n != NULL && exts != NULL && san != NULL &&
          X509_REQ_set_subject_name(csr, n) == 1 && X509_REQ_set_pubkey(csr, k) == 1 &&
          sk_X509_EXTENSION_push(exts, san) > 0 && X509_REQ_add_extensions(csr, exts) == 1 &&
          X509_REQ_sign(csr, k, EVP_sha256()) > 0);
    len = i2d_X509_REQ(csr, &der);
    cmp_err_init(&err);
    CHECK(len > 0 && cmp_ca_request_from_p10(&req, der, (size_t)len, &err));
    CHECK(issue(c, &req, &out, &err));
    if (cmp_ca_issued_cert(&out) != NULL) {
        X509_NAME *want = ct_name("CN=from-csr,O=Lab");

        CHECK(X509_verify(cmp_ca_issued_cert(&out), c->key) == 1);
        CHECK(X509_NAME_cmp(X509_get_subject_name(cmp_ca_issued_cert(&out)), want) == 0);
        CHECK(X509_get_ext_by_NID(cmp_ca_issued_cert(&out), NID_subject_alt_name, -1) >= 0);
        X509_NAME_free(want);
    } else {
        fprintf(stderr, "p10: %s\n", err.msg);
    }
    cmp_ca_issued_cleanup(&out);
    /* not a CSR, and a CSR with a byte after it */
    CHECK(!cmp_ca_request_from_p10(&req, (const uint8_t *)"\x30\x03\x02\x01\x01", 5, &err) &&
          err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
    if (len > 0) {
        unsigned char *longer = malloc((size_t)len + 1);

        if (longer != NULL) {
            memcpy(longer, der, (size_t)len);
            longer[len] = 0;
            CHECK(!cmp_ca_request_from_p10(&req, longer, (size_t)len + 1, &err) &&
                  err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
            free(longer);
        }
    }
    cmp_ca_request_cleanup(&req);
    OPENSSL_free(der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_NAME_free(n);
    X509_REQ_free(csr);
}

/* ---- profile violations ---- */

/* clang-format off */
static const char profiles_conf[] =
    "[device]\n"
    "key_types = EC:P-256, EC:P-384, RSA:2048-4096\n"
    "subject_required = CN\n"
    "subject_allowed = CN, O\n"
    "san_allowed = DNS, IP\n"
    "key_usage = digitalSignature\n"
    "extended_key_usage = clientAuth\n"
    "extended_key_usage_allowed = serverAuth\n"
    "days = 90\nmax_days = 180\n"
    "implicit_confirm = yes\n"
    "[needsdns]\n"
    "san_required = DNS\n"
    "unknown_extensions = drop\n"
    "kur_old = keep\n";
/* clang-format on */

/* An RSA SubjectPublicKeyInfo with a |bits|-bit modulus, written by hand: no key is made. */
static int
huge_rsa_spki(int bits, uint8_t **out, size_t *out_len)
{
    static const uint8_t rsa_alg[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                      0xF7, 0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};
    size_t n_len = (size_t)bits / 8 + 1, m1, m2, m3;
    uint8_t *n = malloc(n_len);
    struct der_out w;
    int ok;

    if (n == NULL) {
        return 0;
    }
    memset(n, 0xC3, n_len);
    n[0] = 0x00; /* positive, top bit of the modulus set */
    n[n_len - 1] |= 1;
    der_out_init(&w, 1 << 16);
    ok = der_open(&w, DER_SEQUENCE, &m1) && der_put_raw(&w, rsa_alg, sizeof(rsa_alg)) &&
         der_open(&w, DER_BIT_STRING, &m2) && der_put_raw(&w, (const uint8_t *)"", 1) &&
         der_open(&w, DER_SEQUENCE, &m3) && der_put_prim(&w, DER_INTEGER, n, n_len) &&
         der_put_prim(&w, DER_INTEGER, (const uint8_t *)"\x01\x00\x01", 3) && der_close(&w, m3) &&
         der_close(&w, m2) && der_close(&w, m1) && der_out_finish(&w, out, out_len);
    free(n);
    return ok;
}

enum req_tweak {
    TW_NONE,
    TW_PROFILE_UNKNOWN,
    TW_PROFILE_NEEDSDNS,
    TW_LONG_VALIDITY,
    TW_INVERTED_VALIDITY,
    TW_WRONG_ISSUER,
    TW_GARBAGE_KEY,
    TW_HUGE_RSA,
    TW_NO_KEY,
    TW_UNKNOWN_ALG,
};

static void
test_violations(struct ct_ca *c)
{
    static const struct {
        const char *name;
        const char *key;
        const char *subject;
        const char *ext1, *ext2;
        int tweak;
        int bit;          /* expected failure bit; CMP_FI_NONE: issued */
        const char *text; /* part of the statusString */
    } cases[] = {
        {"RSA-1024", "RSA-1024", "CN=a", NULL, NULL, TW_NONE, CMP_FI_BAD_CERT_TEMPLATE,
         "key type RSA-1024 not allowed by profile 'device' (allowed: EC P-256, EC P-384, RSA "
         "2048..4096)"},
        {"RSA-12800 (never parsed)", NULL, "CN=a", NULL, NULL, TW_HUGE_RSA,
         CMP_FI_BAD_CERT_TEMPLATE, "key type RSA-12800 not allowed"},
        {"X25519", "X25519", "CN=a", NULL, NULL, TW_NONE, CMP_FI_BAD_ALG,
         "key algorithm X25519 is not supported"},
        {"Ed448 outside profile", "Ed448", "CN=a", NULL, NULL, TW_NONE, CMP_FI_BAD_CERT_TEMPLATE,
         "key type Ed448 not allowed"},
        {"P-521 outside profile", "P-521", "CN=a", NULL, NULL, TW_NONE, CMP_FI_BAD_CERT_TEMPLATE,
         "key type EC P-521 not allowed"},
        {"garbage key", NULL, "CN=a", NULL, NULL, TW_GARBAGE_KEY, CMP_FI_BAD_DATA_FORMAT,
         "public key"},
        {"no key", NULL, "CN=a", NULL, NULL, TW_NO_KEY, CMP_FI_BAD_CERT_TEMPLATE, "no public key"},
        {"unknown key algorithm", NULL, "CN=a", NULL, NULL, TW_UNKNOWN_ALG, CMP_FI_BAD_ALG,
         "key algorithm 1.2.3 is not supported"},
        {"no subject", "P-256", "", NULL, NULL, TW_NONE, CMP_FI_BAD_CERT_TEMPLATE, "no subject"},
        {"OU not allowed", "P-256", "CN=a,OU=b", NULL, NULL, TW_NONE, CMP_FI_BAD_CERT_TEMPLATE,
         "subject attribute OU not allowed"},
        {"CN required", "P-256", "O=b", NULL, NULL, TW_NONE, CMP_FI_BAD_CERT_TEMPLATE,
         "subject attribute CN required"},
        {"SAN email", "P-256", "CN=a", "subjectAltName=email:a@example.org", NULL, TW_NONE,
         CMP_FI_BAD_CERT_TEMPLATE, "subjectAltName form email not allowed"},
        {"SAN DNS required", "P-256", "CN=a", "subjectAltName=IP:192.0.2.7", NULL,
         TW_PROFILE_NEEDSDNS, CMP_FI_BAD_CERT_TEMPLATE, "subjectAltName DNS required"},
        {"EKU codeSigning", "P-256", "CN=a", "extendedKeyUsage=codeSigning", NULL, TW_NONE,
         CMP_FI_BAD_CERT_TEMPLATE, "extended key usage codeSigning not allowed"},
        {"KU keyEncipherment", "P-256", "CN=a", "keyUsage=digitalSignature,keyEncipherment", NULL,
         TW_NONE, CMP_FI_BAD_CERT_TEMPLATE, "key usage keyEncipherment not allowed"},
        {"CA:TRUE", "P-256", "CN=a", "basicConstraints=CA:TRUE", NULL, TW_NONE,
         CMP_FI_BAD_CERT_TEMPLATE, "CA:TRUE not allowed"},
        {"unknown extension", "P-256", "CN=a", "nsComment=hello", NULL, TW_NONE,
         CMP_FI_UNACCEPTED_EXTENSION, "extension nsComment not allowed"},
        {"extension twice", "P-256", "CN=a", "extendedKeyUsage=serverAuth",
         "extendedKeyUsage=clientAuth", TW_NONE, CMP_FI_BAD_CERT_TEMPLATE, "requested twice"},
        {"validity too long", "P-256", "CN=a", NULL, NULL, TW_LONG_VALIDITY,
         CMP_FI_BAD_CERT_TEMPLATE, "exceeds the maximum of 180 days"},
        {"validity inverted", "P-256", "CN=a", NULL, NULL, TW_INVERTED_VALIDITY,
         CMP_FI_BAD_CERT_TEMPLATE, "notAfter is not after notBefore"},
        {"unknown certProfile", "P-256", "CN=a", NULL, NULL, TW_PROFILE_UNKNOWN,
         CMP_FI_BAD_CERT_TEMPLATE, "certProfile 'nosuch' is not offered"},
        {"issuer not the CA", "P-256", "CN=a", NULL, NULL, TW_WRONG_ISSUER,
         CMP_FI_BAD_CERT_TEMPLATE, "issuer"},
        /* and some that pass */
        {"EKU serverAuth allowed", "P-256", "CN=a,O=b", "extendedKeyUsage=serverAuth", NULL,
         TW_NONE, CMP_FI_NONE, NULL},
        {"unknown extension dropped", "P-256", "CN=a", "nsComment=hello",
         "subjectAltName=DNS:x.example", TW_PROFILE_NEEDSDNS, CMP_FI_NONE, NULL},
        {"RSA-2048 in profile", "RSA-2048", "CN=a", NULL, NULL, TW_NONE, CMP_FI_NONE, NULL},
    };
    size_t i;

    for (i = 0; i < CT_ARRAY_LEN(cases); i++) {
        const char *name = cases[i].name;
        const char *exts[2] = {cases[i].ext1, cases[i].ext2};
        size_t num_exts = cases[i].ext2 != NULL ? 2 : cases[i].ext1 != NULL ? 1 : 0;
        EVP_PKEY *k = cases[i].key != NULL ? ct_key(cases[i].key) : NULL;
        struct ct_req r;
        struct cmp_ca_issued out;
        struct cmp_err err;
        size_t before = ct_count(c->store);
        uint8_t *spki = NULL;
        unsigned char *issuer = NULL;
        X509_NAME *other = NULL;
        int ok, len;

        if (!CHECK_CASE(name, ct_req_make(&r, k, cases[i].subject, exts, num_exts))) {
            EVP_PKEY_free(k);
            continue;
        }
        r.req.profile = "device";
        switch (cases[i].tweak) {
        case TW_PROFILE_UNKNOWN:
            r.req.profile = "nosuch";
            break;
        case TW_PROFILE_NEEDSDNS:
            r.req.profile = "needsdns";
            break;
        case TW_LONG_VALIDITY:
            r.req.not_after = ct_now() + 200 * 86400;
            break;
        case TW_INVERTED_VALIDITY:
            r.req.not_before = ct_now() + 86400;
            r.req.not_after = ct_now() + 3600;
            break;
        case TW_WRONG_ISSUER:
            other = ct_name("CN=some other CA");
            len = i2d_X509_NAME(other, &issuer);
            r.req.issuer = der_in_make(issuer, len > 0 ? (size_t)len : 0);
            break;
        case TW_UNKNOWN_ALG:
            /* SEQUENCE { SEQUENCE { OID 1.2.3 }, BIT STRING 00 01 02 } */
            r.req.spki = der_in_make((const uint8_t *)"\x30\x0B\x30\x04\x06\x02\x2A\x03"
                                                      "\x03\x03\x00\x01\x02",
                                     13);
            break;
        case TW_GARBAGE_KEY:
            r.req.spki = der_in_make((const uint8_t *)"\x30\x05\x30\x03\x06\x01\x00", 7);
            break;
        case TW_HUGE_RSA: {
            size_t spki_len = 0;

            CHECK_CASE(name, huge_rsa_spki(12800, &spki, &spki_len));
            r.req.spki = der_in_make(spki, spki_len);
            break;
        }
        default:
            break;
        }
        cmp_err_init(&err);
        ok = cmp_ca_issue(c->ca, &r.req, ct_now(), &out, &err);
        if (cases[i].bit == CMP_FI_NONE) {
            CHECK_CASE(name, ok && cmp_ca_issued_cert(&out) != NULL &&
                                 X509_verify(cmp_ca_issued_cert(&out), c->key) == 1);
            CHECK_CASE(name, ct_count(c->store) == before + 1);
            if (ok && cases[i].tweak == TW_PROFILE_NEEDSDNS) {
                /* dropped, not copied */
                CHECK_CASE(name, X509_get_ext_by_NID(cmp_ca_issued_cert(&out), NID_netscape_comment,
                                                     -1) < 0);
            }
            if (ok && strcmp(cases[i].subject, "CN=a,O=b") == 0) {
                CHECK_CASE(name, X509_get_extended_key_usage(cmp_ca_issued_cert(&out)) ==
                                     (XKU_SSL_CLIENT | XKU_SSL_SERVER));
                /* the device profile grants implicit confirmation when asked; not asked here */
                CHECK_CASE(name, out.status == CMP_CA_ST_WAITING);
            }
            if (!ok) {
                fprintf(stderr, "  %s: %s\n", name, err.msg);
            }
        } else {
            CHECK_CASE(name, !ok && out.der == NULL && cmp_ca_issued_cert(&out) == NULL);
            CHECK_CASE(name, err.failure_bit == cases[i].bit);
            CHECK_CASE(name, strstr(err.msg, cases[i].text) != NULL);
            if (ok || err.failure_bit != cases[i].bit || strstr(err.msg, cases[i].text) == NULL) {
                fprintf(stderr, "  %s: bit %d, '%s'\n", name, err.failure_bit, err.msg);
            }
            /* a refused request leaves nothing behind */
            CHECK_CASE(name, ct_count(c->store) == before);
            /* and cmp_ca_check_request() says the same without issuing */
            cmp_err_init(&err);
            CHECK_CASE(name, !cmp_ca_check_request(c->ca, &r.req, ct_now(), &err) &&
                                 err.failure_bit == cases[i].bit);
        }
        cmp_ca_issued_cleanup(&out);
        free(spki);
        OPENSSL_free(issuer);
        X509_NAME_free(other);
        ct_req_free(&r);
        EVP_PKEY_free(k);
    }
}

/* ---- serial numbers ---- */

struct fixed_serials {
    uint8_t serials[4][CMP_CA_SERIAL_MAX];
    int next, num;
};

static int
fixed_serial(void *arg, uint8_t *out)
{
    struct fixed_serials *fs = arg;

    memcpy(out, fs->serials[fs->next < fs->num ? fs->next : fs->num - 1], CMP_CA_SERIAL_MAX);
    fs->next++;
    return 1;
}

static int
cmp_serial(const void *a, const void *b)
{
    return memcmp(a, b, CMP_CA_SERIAL_MAX);
}

static void
test_serials(struct ct_ca *c, EVP_PKEY *k)
{
    enum { MANY = 200 };
    static uint8_t seen[MANY][CMP_CA_SERIAL_MAX];
    struct fixed_serials fs;
    struct ct_req r;
    struct cmp_ca_issued out;
    struct cmp_err err;
    size_t before = ct_count(c->store), i;
    int ok = 1, distinct = 1;

    if (!CHECK(ct_req_make(&r, k, "CN=many", NULL, 0))) {
        return;
    }
    for (i = 0; i < MANY && ok; i++) {
        ok = issue(c, &r.req, &out, &err) && out.serial_len == CMP_CA_SERIAL_MAX;
        if (ok) {
            memcpy(seen[i], out.serial, CMP_CA_SERIAL_MAX);
        }
        cmp_ca_issued_cleanup(&out);
    }
    CHECK(ok);
    CHECK(ct_count(c->store) == before + MANY);
    qsort(seen, MANY, CMP_CA_SERIAL_MAX, cmp_serial);
    for (i = 1; i < MANY; i++) {
        distinct &= memcmp(seen[i - 1], seen[i], CMP_CA_SERIAL_MAX) != 0;
    }
    CHECK(distinct);

    /* a collision: the second issuance draws the first one's serial, then a new one */
    memset(&fs, 0, sizeof(fs));
    memset(fs.serials[0], 0x11, CMP_CA_SERIAL_MAX);
    memset(fs.serials[1], 0x11, CMP_CA_SERIAL_MAX);
    memset(fs.serials[2], 0x22, CMP_CA_SERIAL_MAX);
    fs.serials[2][0] = 0xA2; /* the top bit is cleared by the CA: 0x22... */
    fs.num = 3;
    cmp_ca_set_serial_fn(c->ca, fixed_serial, &fs);
    CHECK(issue(c, &r.req, &out, &err) && out.serial[0] == 0x11);
    cmp_ca_issued_cleanup(&out);
    CHECK(issue(c, &r.req, &out, &err) && out.serial[0] == 0x22 && out.serial[1] == 0x22 &&
          fs.next == 3);
    cmp_ca_issued_cleanup(&out);
    /* a source stuck on a used serial: systemFailure after a few tries, nothing recorded */
    before = ct_count(c->store);
    fs.next = 0;
    fs.num = 1;
    CHECK(!issue(c, &r.req, &out, &err) && err.failure_bit == CMP_FI_SYSTEM_FAILURE &&
          fs.next == 8);
    /* a source of zeros */
    memset(fs.serials[0], 0x80, CMP_CA_SERIAL_MAX);
    fs.serials[0][0] = 0x80; /* 0x80 & 0x7F == 0: never a valid first byte */
    fs.next = 0;
    CHECK(!issue(c, &r.req, &out, &err) && err.failure_bit == CMP_FI_SYSTEM_FAILURE);
    CHECK(ct_count(c->store) == before);
    cmp_ca_set_serial_fn(c->ca, NULL, NULL);
    ct_req_free(&r);
}

/* ---- confirmation, timeouts, kur, revocation, secrets ---- */

static int
status_of(struct ct_ca *c, const uint8_t *serial)
{
    struct cmp_ca_cert_filter f;
    struct cmp_ca_cert_rec *rec = NULL;
    struct cmp_err err;
    int st;

    memset(&f, 0, sizeof(f));
    f.serial = serial;
    f.serial_len = CMP_CA_SERIAL_MAX;
    cmp_err_init(&err);
    if (!cmp_ca_store_get_cert(c->store, &f, &rec, &err) || rec == NULL) {
        return 0;
    }
    st = rec->status;
    cmp_ca_cert_rec_free(rec);
    return st;
}

static void
test_lifecycle(struct ct_ca *c, EVP_PKEY *k)
{
    struct ct_req r;
    struct cmp_ca_issued a, b, d;
    struct cmp_err err;
    int outcome, prev;
    size_t n;
    int64_t now = ct_now();

    if (!CHECK(ct_req_make(&r, k, "CN=life,O=Lab", NULL, 0))) {
        return;
    }
    /* confirm; confirm again; reject another */
    CHECK(issue(c, &r.req, &a, &err) && a.status == CMP_CA_ST_WAITING);
    CHECK(cmp_ca_confirm(c->ca, a.serial, a.serial_len, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_DONE && status_of(c, a.serial) == CMP_CA_ST_CONFIRMED);
    CHECK(cmp_ca_confirm(c->ca, a.serial, a.serial_len, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_WRONG_STATE && prev == CMP_CA_ST_CONFIRMED);
    CHECK(issue(c, &r.req, &b, &err));
    CHECK(cmp_ca_confirm(c->ca, b.serial, b.serial_len, 0, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_DONE && status_of(c, b.serial) == CMP_CA_ST_REJECTED);
    cmp_ca_issued_cleanup(&b);

    /* the timeout: waiting past the deadline becomes rejected */
    CHECK(issue(c, &r.req, &b, &err));
    CHECK(cmp_ca_expire_waiting(c->ca, b.confirm_deadline, NULL, NULL, &n, &err));
    CHECK(status_of(c, b.serial) == CMP_CA_ST_WAITING);
    CHECK(cmp_ca_expire_waiting(c->ca, b.confirm_deadline + 1, NULL, NULL, &n, &err) && n >= 1);
    CHECK(status_of(c, b.serial) == CMP_CA_ST_REJECTED);
    CHECK(cmp_ca_confirm(c->ca, b.serial, b.serial_len, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_WRONG_STATE && prev == CMP_CA_ST_REJECTED);
    cmp_ca_issued_cleanup(&b);

    /* kur: confirming the new certificate supersedes the old one */
    r.req.old_serial = der_in_make(a.serial, a.serial_len);
    CHECK(issue(c, &r.req, &b, &err));
    CHECK(status_of(c, a.serial) == CMP_CA_ST_CONFIRMED);
    CHECK(cmp_ca_confirm(c->ca, b.serial, b.serial_len, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_DONE);
    CHECK(status_of(c, a.serial) == CMP_CA_ST_SUPERSEDED);
    /* with a profile that keeps the old one */
    r.req.profile = "needsdns";
    {
        static const char *const exts[] = {"subjectAltName=DNS:k.example"};
        struct ct_req r2;

        if (CHECK(ct_req_make(&r2, k, "CN=keep", exts, 1))) {
            r2.req.profile = "needsdns";
            CHECK(issue(c, &r2.req, &d, &err));
            CHECK(cmp_ca_confirm(c->ca, d.serial, d.serial_len, 1, now, &outcome, &prev, &err));
            r2.req.old_serial = der_in_make(d.serial, d.serial_len);
            cmp_ca_issued_cleanup(&a);
            CHECK(issue(c, &r2.req, &a, &err));
            CHECK(cmp_ca_confirm(c->ca, a.serial, a.serial_len, 1, now, &outcome, &prev, &err) &&
                  outcome == CMP_CA_DONE);
            CHECK(status_of(c, d.serial) == CMP_CA_ST_CONFIRMED);
            cmp_ca_issued_cleanup(&d);
            ct_req_free(&r2);
        }
    }
    r.req.profile = NULL;
    r.req.old_serial = DER_IN_EMPTY;

    /* revocation */
    CHECK(cmp_ca_revoke(c->ca, b.serial, b.serial_len, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_DONE && status_of(c, b.serial) == CMP_CA_ST_REVOKED);
    CHECK(cmp_ca_revoke(c->ca, b.serial, b.serial_len, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_WRONG_STATE && prev == CMP_CA_ST_REVOKED);
    CHECK(cmp_ca_revoke(c->ca, (const uint8_t *)"\x01", 1, 1, now, &outcome, &prev, &err) &&
          outcome == CMP_CA_NOT_FOUND);
    CHECK(!cmp_ca_revoke(c->ca, b.serial, b.serial_len, 6, now, &outcome, &prev, &err));
    cmp_ca_issued_cleanup(&a);
    cmp_ca_issued_cleanup(&b);

    /* implicit confirmation: granted only where the profile allows it */
    r.req.implicit_confirm = 1;
    CHECK(issue(c, &r.req, &a, &err) && a.status == CMP_CA_ST_WAITING && !a.implicit_confirm);
    cmp_ca_issued_cleanup(&a);
    r.req.profile = "device";
    CHECK(issue(c, &r.req, &a, &err) && a.status == CMP_CA_ST_CONFIRMED && a.implicit_confirm &&
          status_of(c, a.serial) == CMP_CA_ST_CONFIRMED);
    cmp_ca_issued_cleanup(&a);
    r.req.profile = NULL;
    r.req.implicit_confirm = 0;

    /* a one-time enrollment secret is spent by the issuance it authorised */
    {
        struct cmp_ca_secret_rec s;
        size_t before;

        memset(&s, 0, sizeof(s));
        s.ref = (const uint8_t *)"once";
        s.ref_len = 4;
        s.secret = (const uint8_t *)"pw";
        s.secret_len = 2;
        s.one_time = 1;
        s.created = now;
        CHECK(c->store->ops->secret_add(c->store, &s, &outcome, &err) && outcome == CMP_CA_DONE);
        r.req.secret_ref = der_in_make(s.ref, s.ref_len);
        CHECK(issue(c, &r.req, &a, &err));
        cmp_ca_issued_cleanup(&a);
        before = ct_count(c->store);
        CHECK(!issue(c, &r.req, &a, &err) && err.failure_bit == CMP_FI_NOT_AUTHORIZED);
        CHECK(ct_count(c->store) == before);
        r.req.secret_ref = DER_IN_EMPTY;
    }
    ct_req_free(&r);
}

int
main(int argc, char **argv)
{
    struct ct_ca c;
    CONF *conf = NCONF_new(NULL);
    BIO *b = BIO_new_mem_buf(profiles_conf, -1);
    EVP_PKEY *k = ct_key("P-256");
    struct cmp_err err;

    if (argc == 3 && strcmp(argv[1], "--out") == 0) {
        out_dir = argv[2];
    }
    test_key_types("P-256");
    test_key_types("Ed25519");

    cmp_err_init(&err);
    if (CHECK(ct_ca_new(&c, "P-256") && conf != NULL && b != NULL && k != NULL &&
              NCONF_load_bio(conf, b, NULL) == 1)) {
        struct cmp_ca_profile *p1 = cmp_ca_profile_from_conf(conf, "device", 0, &err);
        struct cmp_ca_profile *p2 = cmp_ca_profile_from_conf(conf, "needsdns", 0, &err);
        struct cmp_ca_profile *p3 = cmp_ca_profile_default(0, &err);

        CHECK(p1 != NULL && p2 != NULL && p3 != NULL);
        CHECK(p1 != NULL && cmp_ca_add_profile(c.ca, p1, &err));
        CHECK(p2 != NULL && cmp_ca_add_profile(c.ca, p2, &err));
        CHECK(p3 != NULL && cmp_ca_add_profile(c.ca, p3, &err));
        CHECK(cmp_ca_set_default_profile(c.ca, "default", &err));
        CHECK(!cmp_ca_set_default_profile(c.ca, "nosuch", &err));
        test_template(&c, k);
        test_p10(&c, k);
        test_violations(&c);
        test_serials(&c, k);
        test_lifecycle(&c, k);
        ct_ca_free(&c);
    }
    EVP_PKEY_free(k);
    BIO_free(b);
    NCONF_free(conf);
    return check_finish();
}
