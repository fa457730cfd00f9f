/*
 * Tests for what comes encrypted in an ip/cp/kup: lib/msg/enckey.c
 * (EncryptedValue and EncryptedKey codec and printer), lib/crypto/enckey.c
 * (EnvelopedData, SignedData, EncryptedValue) and lib/verify/enckey.c (the
 * rules: KGA trust and authorization, the key and certificate fit the
 * request), then central key generation (RFC 9483 4.1.6) and encrypted
 * certificates (RFC 9810 5.2.8.3.2) end to end: the cmpkit client against
 * the server engine's mock through the in-process transfer.
 *
 * The PKI is made at run time: a CA, a KGA with id-kp-cmKGA, one without,
 * a CA nobody trusts, RSA and EC client certificates, the key and
 * certificate to enroll. A table of hostile EncryptedValues and
 * EnvelopedData/SignedData inputs must each be refused with an error that
 * names the problem (ASan and LeakSanitizer watch for the rest).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "cmpkit/client.h"
#include "cmpkit/server.h"
#include "cmpkit/transfer.h"
#include "codec_check.h"
#include "crypto/crypto.h"
#include "msg/msg.h"
#include "verify/verify.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t g_secret[] = "enckey test secret";
static const char g_ref[] = "enckey-test";

static EVP_PKEY *g_ca_key, *g_other_key, *g_kga_key, *g_rsa_key, *g_ec_key, *g_new_key;
static X509 *g_ca, *g_other_ca, *g_kga, *g_kga_noeku, *g_kga_other, *g_rsa_cert, *g_ec_cert;
static X509 *g_new_cert;
static X509_STORE *g_store;
static long g_serial = 1;

/* ---- the PKI ---- */

static EVP_PKEY *
ec_key(void)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    ok = ext != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* A certificate for |key| named |cn|, issued by |issuer| (NULL: self-signed). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
          const char *eku)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x != NULL && name != NULL;

    ok = ok && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), g_serial++) &&
         X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) && X509_set_pubkey(x, key) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_subject_name(x, name) &&
         X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
         add_ext(x, issuer, NID_subject_key_identifier, "hash") &&
         (!ca || add_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE")) &&
         (issuer == NULL || add_ext(x, issuer, NID_authority_key_identifier, "keyid")) &&
         (eku == NULL || add_ext(x, issuer, NID_ext_key_usage, eku)) &&
         X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int
make_pki(void)
{
    g_ca_key = ec_key();
    g_other_key = ec_key();
    g_kga_key = ec_key();
    g_ec_key = ec_key();
    g_rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    g_new_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (g_ca_key == NULL || g_other_key == NULL || g_kga_key == NULL || g_ec_key == NULL ||
        g_rsa_key == NULL || g_new_key == NULL) {
        return 0;
    }
    g_ca = make_cert("Test CA", g_ca_key, NULL, NULL, 1, NULL);
    g_other_ca = make_cert("Other CA", g_other_key, NULL, NULL, 1, NULL);
    g_kga = make_cert("KGA", g_kga_key, g_ca, g_ca_key, 0, "cmKGA");
    g_kga_noeku = make_cert("not a KGA", g_kga_key, g_ca, g_ca_key, 0, "serverAuth");
    g_kga_other = make_cert("KGA of another CA", g_kga_key, g_other_ca, g_other_key, 0, "cmKGA");
    g_rsa_cert = make_cert("RSA client", g_rsa_key, g_ca, g_ca_key, 0, NULL);
    g_ec_cert = make_cert("EC client", g_ec_key, g_ca, g_ca_key, 0, NULL);
    g_new_cert = make_cert("new", g_new_key, g_ca, g_ca_key, 0, NULL);
    g_store = X509_STORE_new();
    return g_ca != NULL && g_other_ca != NULL && g_kga != NULL && g_kga_noeku != NULL &&
           g_kga_other != NULL && g_rsa_cert != NULL && g_ec_cert != NULL && g_new_cert != NULL &&
           g_store != NULL && X509_STORE_add_cert(g_store, g_ca) == 1;
}

static void
free_pki(void)
{
    EVP_PKEY_free(g_ca_key);
    EVP_PKEY_free(g_other_key);
    EVP_PKEY_free(g_kga_key);
    EVP_PKEY_free(g_rsa_key);
    EVP_PKEY_free(g_ec_key);
    EVP_PKEY_free(g_new_key);
    X509_free(g_ca);
    X509_free(g_other_ca);
    X509_free(g_kga);
    X509_free(g_kga_noeku);
    X509_free(g_kga_other);
    X509_free(g_rsa_cert);
    X509_free(g_ec_cert);
    X509_free(g_new_cert);
    X509_STORE_free(g_store);
}

/* ---- lib/msg: EncryptedValue ---- */

static int
ev_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_enc_value_decode(in, out, err);
}

static int
ev_enc(struct der_out *out, const void *v)
{
    return cmp_enc_value_encode(out, v);
}

static const struct codec ev_codec = {
    "EncryptedValue", sizeof(struct cmp_enc_value), ev_dec, ev_enc, NULL, NULL};

/* ecdsa-with-SHA256 stands in for any AlgorithmIdentifier: this is syntax only. */
static const struct codec_case ev_cases[] = {
    {"encValue only (every optional field absent)", "300403020011", 1},
    {"every field",
     "3033a00a06082a8648ce3d040302a10a06082a8648ce3d04030282020001a30a06082a86"
     "48ce3d040302840468696e740303001122",
     1},
    {"symmAlg aes-128-cbc with its IV",
     "3023a11d06096086480165030401020410000102030405060708090a0b0c0d0e0f03020011", 1},
    {"empty valueHint", "3006840003020011", 1},
    {"empty encValue", "30030301 00", 1},
    {"empty encSymmKey", "30068201000301 00", 1},
    {"encSymmKey with unused bits", "30098203040a0003020011", 1},
    {"empty SEQUENCE (no encValue)", "3000", 0},
    {"no encValue", "300ca10a06082a8648ce3d040302", 0},
    {"two encValues", "3008030200110302 0011", 0},
    {"symmAlg empty", "3006a10003020011", 0},
    {"symmAlg EXPLICIT (a SEQUENCE inside [1])", "3012a10c300a06082a8648ce3d04030203020011", 0},
    {"encSymmKey constructed", "300aa20403020001 03020011", 0},
    {"encSymmKey primitive [2] not a BIT STRING", "3007820103 03020011", 0},
    {"valueHint constructed", "3008a40204 0003020011", 0},
    {"fields out of order ([2] before [1])", "301482020001a10a06082a8648ce3d04030203020011", 0},
    {"intendedAlg twice", "301ca00a06082a8648ce3d040302a00a06082a8648ce3d04030203020011", 0},
    {"encValue unused bits 8", "3004030208ff", 0},
    {"encValue padding bits set", "3004030201ff", 0},
    {"encValue OCTET STRING", "3004040200 11", 0},
    {"trailing byte", "30050302001100", 0},
    {"SET", "310403020011", 0},
    {"absurd length", "3084ffffffff03020011", 0},
    {"indefinite length", "308003020011 0000", 0},
};

static void
test_enc_value_codec(void)
{
    codec_check_cases(&ev_codec, ev_cases, NROWS(ev_cases));
}

/* ---- making the inputs ---- */

/* |der| as the EncryptedKey struct the message model holds (decoded from |der|). */
static int
enckey_of(const uint8_t *der, size_t len, struct cmp_enckey *ek)
{
    struct der_in in = der_in_make(der, len);
    struct cmp_err err;

    cmp_err_init(&err);
    memset(ek, 0, sizeof(*ek));
    return cmp_enckey_decode(&in, ek, &err) && der_done(&in);
}

/* |der| (a ContentInfo made by libcrypto) re-tagged: [0] IMPLICIT around its content. */
static int
implicit_of_content_info(CMS_ContentInfo *cms, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int len = i2d_CMS_ContentInfo(cms, &der);
    struct der_in in = der_in_make(der, len > 0 ? (size_t)len : 0), seq, oid, wrap, inner;
    struct der_out w;
    size_t m;
    int ok;

    ok = len > 0 && der_get(&in, DER_SEQUENCE, &seq) && der_get_oid(&seq, &oid) &&
         der_get(&seq, DER_EXPLICIT(0), &wrap) && der_get(&wrap, DER_SEQUENCE, &inner);
    der_out_init(&w, 1u << 22);
    ok = ok && der_open(&w, DER_IMPLICIT(0, DER_SEQUENCE), &m) && der_put_in(&w, &inner) &&
         der_close(&w, m) && der_out_finish(&w, out, out_len);
    der_out_cleanup(&w);
    OPENSSL_free(der);
    return ok;
}

/* The inner TLV of a ContentInfo (the SignedData SEQUENCE), new buffer. */
static int
inner_of_content_info(CMS_ContentInfo *cms, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int len = i2d_CMS_ContentInfo(cms, &der);
    struct der_in in = der_in_make(der, len > 0 ? (size_t)len : 0), seq, oid, wrap, inner;
    int ok;

    ok = len > 0 && der_get(&in, DER_SEQUENCE, &seq) && der_get_oid(&seq, &oid) &&
         der_get(&seq, DER_EXPLICIT(0), &wrap) && der_get_tlv(&wrap, DER_SEQUENCE, &inner);
    if (ok) {
        *out = malloc(inner.len);
        ok = *out != NULL;
        if (ok) {
            memcpy(*out, inner.p, inner.len);
            *out_len = inner.len;
        }
    }
    OPENSSL_free(der);
    return ok;
}

/* An EnvelopedData of |data| (content type |ctype|) as EncryptedKey DER: for the certs, or a
 * secret. */
static int
envelop(const uint8_t *data, size_t len, const char *ctype, X509 *const *recips, int num,
        const uint8_t *secret, int iter, uint8_t **out, size_t *out_len)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    BIO *in = BIO_new_mem_buf(data, (int)len);
    CMS_ContentInfo *cms = NULL;
    ASN1_OBJECT *type = OBJ_txt2obj(ctype, 1);
    int i, ok = sk != NULL && cipher != NULL && in != NULL && type != NULL;

    for (i = 0; ok && i < num; i++) {
        ok = sk_X509_push(sk, recips[i]) > 0;
    }
    cms = ok ? CMS_encrypt(sk, NULL, cipher, CMS_BINARY | CMS_PARTIAL) : NULL;
    ok = cms != NULL;
    if (ok && secret != NULL) {
        unsigned char *pass = OPENSSL_memdup(secret, strlen((const char *)secret));

        ok = pass != NULL &&
             CMS_add0_recipient_password(cms, iter, NID_undef, NID_undef, pass,
                                         (ossl_ssize_t)strlen((const char *)secret), NULL) != NULL;
        if (!ok) {
            OPENSSL_free(pass);
        }
    }
    ok = ok && CMS_set1_eContentType(cms, type) && CMS_final(cms, in, NULL, CMS_BINARY) &&
         implicit_of_content_info(cms, out, out_len);
    CMS_ContentInfo_free(cms);
    ASN1_OBJECT_free(type);
    BIO_free(in);
    EVP_CIPHER_free(cipher);
    sk_X509_free(sk);
    return ok;
}

/*
 * A SignedData over |data| (eContentType |ctype|) by |signer|, and by
 * |signer2| too when not NULL; the SEQUENCE, new buffer.
 */
static int
sign_data(const uint8_t *data, size_t len, const char *ctype, X509 *signer, EVP_PKEY *key,
          X509 *signer2, EVP_PKEY *key2, uint8_t **out, size_t *out_len)
{
    unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    BIO *in = BIO_new_mem_buf(data, (int)len);
    CMS_ContentInfo *cms = in != NULL ? CMS_sign(signer, key, NULL, NULL, flags) : NULL;
    ASN1_OBJECT *type = OBJ_txt2obj(ctype, 1);
    int ok = cms != NULL && type != NULL && CMS_set1_eContentType(cms, type);

    if (ok && signer2 != NULL) {
        ok = CMS_add1_signer(cms, signer2, key2, EVP_sha256(), flags) != NULL;
    }
    ok = ok && CMS_final(cms, in, NULL, flags) && inner_of_content_info(cms, out, out_len);
    CMS_ContentInfo_free(cms);
    ASN1_OBJECT_free(type);
    BIO_free(in);
    return ok;
}

/* DER of |key| as PKCS #8 PrivateKeyInfo (OneAsymmetricKey v1), new buffer. */
static int
pkcs8_of(EVP_PKEY *key, uint8_t **out, size_t *out_len)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
    unsigned char *der = NULL;
    int len = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : 0;

    PKCS8_PRIV_KEY_INFO_free(p8);
    if (len <= 0) {
        return 0;
    }
    *out = malloc((size_t)len);
    if (*out != NULL) {
        memcpy(*out, der, (size_t)len);
        *out_len = (size_t)len;
    }
    OPENSSL_free(der);
    return *out != NULL;
}

/* SEQUENCE { |a| [, |b|] } into a new buffer. */
static int
seq_of(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t **out,
       size_t *out_len)
{
    struct der_out w;
    size_t m;
    int ok;

    der_out_init(&w, 1u << 20);
    ok = der_open(&w, DER_SEQUENCE, &m) && der_put_raw(&w, a, a_len) &&
         (b == NULL || der_put_raw(&w, b, b_len)) && der_close(&w, m) &&
         der_out_finish(&w, out, out_len);
    der_out_cleanup(&w);
    return ok;
}

/*
 * OneAsymmetricKey v2 of |key| with the publicKey of |pub| (RFC 5958 2):
 * version 1, alg, privateKey, [1] the public key's bits.
 */
static int
oak_v2(EVP_PKEY *key, EVP_PKEY *pub, uint8_t **out, size_t *out_len)
{
    uint8_t *p8 = NULL;
    size_t p8_len = 0;
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(pub, &spki);
    struct der_in in, seq, version, alg, priv, s, salg, bits;
    unsigned unused;
    struct der_out w;
    size_t m;
    int ok = spki_len > 0 && pkcs8_of(key, &p8, &p8_len);

    if (ok) {
        in = der_in_make(p8, p8_len);
        s = der_in_make(spki, (size_t)spki_len);
        ok = der_get(&in, DER_SEQUENCE, &seq) && der_get_tlv(&seq, DER_INTEGER, &version) &&
             der_get_tlv(&seq, DER_SEQUENCE, &alg) && der_get_tlv(&seq, DER_OCTET_STRING, &priv) &&
             der_get(&s, DER_SEQUENCE, &s) && der_get_tlv(&s, DER_SEQUENCE, &salg) &&
             der_get_bitstring(&s, DER_BIT_STRING, &bits, &unused);
    }
    der_out_init(&w, 1u << 20);
    ok = ok && der_open(&w, DER_SEQUENCE, &m) && der_put_int64(&w, 1) && der_put_in(&w, &alg) &&
         der_put_in(&w, &priv) &&
         der_put_bitstring(&w, DER_IMPLICIT(1, DER_BIT_STRING), bits.p, bits.len, unused) &&
         der_close(&w, m) && der_out_finish(&w, out, out_len);
    der_out_cleanup(&w);
    free(p8);
    OPENSSL_free(spki);
    return ok;
}

/* ---- lib/crypto and lib/verify: round trips ---- */

#define OID_DATA "1.2.840.113549.1.7.1"
#define OID_SIGNED "1.2.840.113549.1.7.2"
#define OID_AKP "2.16.840.1.101.2.1.2.78.5"

static void
kga_opts(struct cmp_vfy_kga_opts *o, X509 *newcert)
{
    memset(o, 0, sizeof(*o));
    o->trusted = g_store;
    o->newcert = newcert;
    o->keys.pkey = g_rsa_key;
    o->keys.cert = g_rsa_cert;
}

static void
test_wrap_key_round_trips(void)
{
    static const struct {
        const char *name;
        int package;
        int rcpt; /* 0 RSA (KTRI), 1 EC (KARI), 2 secret (PWRI) */
    } rows[] = {
        {"KTRI, openssl's id-data", 0, 0},    {"KTRI, AsymmetricKeyPackage", 1, 0},
        {"KARI, AsymmetricKeyPackage", 1, 1}, {"KARI, openssl's id-data", 0, 1},
        {"PWRI, AsymmetricKeyPackage", 1, 2}, {"PWRI, openssl's id-data", 0, 2},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_kga kga = {g_kga, g_kga_key, NULL, rows[i].package};
        struct cmp_recipient rcpt;
        struct cmp_vfy_kga_opts o;
        struct cmp_enckey ek;
        struct cmp_err err;
        uint8_t *der = NULL;
        size_t len = 0;
        EVP_PKEY *key = NULL;

        cmp_err_init(&err);
        memset(&rcpt, 0, sizeof(rcpt));
        kga_opts(&o, g_new_cert);
        if (rows[i].rcpt == 0) {
            rcpt.cert = g_rsa_cert;
        } else if (rows[i].rcpt == 1) {
            rcpt.cert = g_ec_cert;
            o.keys.pkey = g_ec_key;
            o.keys.cert = g_ec_cert;
        } else {
            rcpt.secret = g_secret;
            rcpt.secret_len = sizeof(g_secret) - 1;
            o.keys.pkey = NULL;
            o.keys.cert = NULL;
            o.keys.secret = g_secret;
            o.keys.secret_len = sizeof(g_secret) - 1;
        }
        if (!CHECK_CASE(rows[i].name,
                        cmp_enckey_wrap_key(&der, &len, g_new_key, &kga, &rcpt, &err))) {
            continue;
        }
        CHECK_CASE(rows[i].name, enckey_of(der, len, &ek) && ek.type == CMP_ENCKEY_ENVELOPED);
        CHECK_CASE(rows[i].name, cmp_vfy_central_key(&ek, &o, &key, &err));
        CHECK_CASE(rows[i].name, key != NULL && EVP_PKEY_eq(key, g_new_key) == 1);
        if (err.code != CMP_E_NONE) {
            char buf[1024];

            fprintf(stderr, "  %s: %s\n", rows[i].name, cmp_err_format(&err, buf, sizeof(buf)));
        }
        EVP_PKEY_free(key);
        free(der);
    }
}

static void
test_wrap_cert_round_trips(void)
{
    static const struct {
        const char *name;
        int legacy, ec;
    } rows[] = {
        {"EnvelopedData, RSA (KTRI)", 0, 0},
        {"EnvelopedData, EC (KARI)", 0, 1},
        {"EncryptedValue, RSA", 1, 0},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        X509 *cert = rows[i].ec ? g_ec_cert : g_new_cert, *got = NULL;
        EVP_PKEY *key = rows[i].ec ? g_ec_key : g_new_key;
        struct cmp_enckey ek;
        struct cmp_err err;
        uint8_t *der = NULL;
        size_t len = 0;

        cmp_err_init(&err);
        if (!CHECK_CASE(rows[i].name,
                        cmp_enckey_wrap_cert(&der, &len, cert, rows[i].legacy, &err))) {
            continue;
        }
        CHECK_CASE(rows[i].name,
                   enckey_of(der, len, &ek) &&
                       ek.type == (rows[i].legacy ? CMP_ENCKEY_VALUE : CMP_ENCKEY_ENVELOPED));
        CHECK_CASE(rows[i].name, cmp_vfy_enc_cert(&ek, key, &got, &err));
        CHECK_CASE(rows[i].name, got != NULL && X509_cmp(got, cert) == 0);
        X509_free(got);
        free(der);
    }
    /* An EC key cannot take an EncryptedValue (RSA only). */
    {
        struct cmp_err err;
        uint8_t *der = NULL;
        size_t len = 0;

        cmp_err_init(&err);
        CHECK(!cmp_enckey_wrap_cert(&der, &len, g_ec_cert, 1, &err));
        CHECK(strstr(err.msg, "RSA") != NULL);
        free(der);
    }
}

/* ---- hostile EncryptedValues ---- */

enum ev_mutation {
    EV_NONE,
    EV_NO_SYMM_ALG,
    EV_UNKNOWN_CIPHER,
    EV_NO_IV,
    EV_SHORT_IV,
    EV_IV_NOT_OCTETS,
    EV_NO_SYMM_KEY,
    EV_EMPTY_SYMM_KEY,
    EV_SYMM_KEY_UNUSED,
    EV_KEY_ALG_EC,
    EV_EMPTY_VALUE,
    EV_VALUE_UNUSED,
    EV_VALUE_NOT_BLOCKS,
    EV_BAD_SYMM_KEY,
    EV_BAD_VALUE,
    EV_TRAILING_BLOCK,
    EV_WRONG_KEY,
    EV_EC_KEY,
    EV_NO_KEY
};

static void
test_hostile_enc_values(void)
{
    static const uint8_t sha256_oid[] = {0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                         0x65, 0x03, 0x04, 0x02, 0x01};
    static const uint8_t aes_iv8[] = {0xA1, 0x15, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                      0x65, 0x03, 0x04, 0x01, 0x2A, 0x04, 0x08, 0x00,
                                      0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    static const uint8_t aes_null[] = {0xA1, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                       0x65, 0x03, 0x04, 0x01, 0x2A, 0x05, 0x00};
    static const uint8_t ec_alg[] = {0xA3, 0x09, 0x06, 0x07, 0x2A, 0x86,
                                     0x48, 0xCE, 0x3D, 0x02, 0x01};
    static const uint8_t aes_noparams[] = {0xA1, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48,
                                           0x01, 0x65, 0x03, 0x04, 0x01, 0x2A};
    static const struct {
        const char *name;
        int mutation;
        const char *expect; /* in the error's message */
    } rows[] = {
        {"valid", EV_NONE, NULL},
        {"no symmAlg", EV_NO_SYMM_ALG, "without symmAlg"},
        {"symmAlg not a cipher", EV_UNKNOWN_CIPHER, "is not supported"},
        {"symmAlg without parameters", EV_NO_IV, "without an IV"},
        {"IV of 8 bytes for AES", EV_SHORT_IV, "16-byte IV"},
        {"IV a NULL", EV_IV_NOT_OCTETS, "without an IV"},
        {"no encSymmKey", EV_NO_SYMM_KEY, "without encSymmKey"},
        {"empty encSymmKey", EV_EMPTY_SYMM_KEY, "without encSymmKey"},
        {"encSymmKey with unused bits", EV_SYMM_KEY_UNUSED, "unused bits"},
        {"keyAlg ecPublicKey", EV_KEY_ALG_EC, "keyAlg is not rsaEncryption"},
        {"empty encValue", EV_EMPTY_VALUE, "empty encValue"},
        {"encValue with unused bits", EV_VALUE_UNUSED, "unused bits"},
        {"encValue not whole blocks", EV_VALUE_NOT_BLOCKS, "multiple of the block size"},
        {"encSymmKey tampered", EV_BAD_SYMM_KEY, "cannot decrypt"},
        {"encValue tampered", EV_BAD_VALUE, "encryptedCert"},
        {"a block of garbage after the padding", EV_TRAILING_BLOCK, "not one DER element"},
        {"decrypted with another RSA key", EV_WRONG_KEY, "cannot decrypt"},
        {"decrypted with an EC key", EV_EC_KEY, "cannot decrypt"},
        {"no key", EV_NO_KEY, "no private key"},
    };
    uint8_t *der = NULL, *work = NULL, bits[1] = {0x80}, extra[4096];
    size_t len = 0, i;
    struct cmp_enckey good;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!CHECK(cmp_enckey_wrap_cert(&der, &len, g_new_cert, 1, &err)) ||
        !CHECK(enckey_of(der, len, &good))) {
        free(der);
        return;
    }
    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_enckey ek = good;
        struct cmp_enc_value *ev = &ek.value;
        struct der_in in;
        EVP_PKEY *key = g_new_key;
        X509 *got = NULL;
        int ok;

        cmp_err_init(&err);
        free(work);
        work = NULL;
        switch (rows[i].mutation) {
        case EV_NO_SYMM_ALG:
            ev->has_symm_alg = 0;
            break;
        case EV_UNKNOWN_CIPHER:
            ev->symm_alg.oid = der_in_make(sha256_oid + 2, sizeof(sha256_oid) - 2);
            break;
        case EV_NO_IV:
            in = der_in_make(aes_noparams, sizeof(aes_noparams));
            CHECK(cmp_algid_decode(&in, DER_IMPLICIT(1, DER_SEQUENCE), &ev->symm_alg, &err));
            break;
        case EV_SHORT_IV:
            in = der_in_make(aes_iv8, sizeof(aes_iv8));
            CHECK(cmp_algid_decode(&in, DER_IMPLICIT(1, DER_SEQUENCE), &ev->symm_alg, &err));
            break;
        case EV_IV_NOT_OCTETS:
            in = der_in_make(aes_null, sizeof(aes_null));
            CHECK(cmp_algid_decode(&in, DER_IMPLICIT(1, DER_SEQUENCE), &ev->symm_alg, &err));
            break;
        case EV_NO_SYMM_KEY:
            ev->has_enc_symm_key = 0;
            break;
        case EV_EMPTY_SYMM_KEY:
            ev->enc_symm_key.len = 0;
            break;
        case EV_SYMM_KEY_UNUSED:
            ev->enc_symm_key_unused = 1;
            break;
        case EV_KEY_ALG_EC:
            in = der_in_make(ec_alg, sizeof(ec_alg));
            CHECK(cmp_algid_decode(&in, DER_IMPLICIT(3, DER_SEQUENCE), &ev->key_alg, &err));
            break;
        case EV_EMPTY_VALUE:
            ev->enc_value.len = 0;
            break;
        case EV_VALUE_UNUSED:
            ev->enc_value = der_in_make(bits, 1);
            ev->enc_value_unused = 7;
            break;
        case EV_VALUE_NOT_BLOCKS:
            ev->enc_value.len--;
            break;
        case EV_BAD_SYMM_KEY:
            work = malloc(ev->enc_symm_key.len);
            memcpy(work, ev->enc_symm_key.p, ev->enc_symm_key.len);
            work[ev->enc_symm_key.len / 2] ^= 0x55;
            ev->enc_symm_key.p = work;
            break;
        case EV_BAD_VALUE:
            work = malloc(ev->enc_value.len);
            memcpy(work, ev->enc_value.p, ev->enc_value.len);
            work[ev->enc_value.len - 1] ^= 0x55; /* the padding */
            ev->enc_value.p = work;
            break;
        case EV_TRAILING_BLOCK:
            /* a whole block more: CBC decrypts it to garbage after the padding */
            if (ev->enc_value.len + 16 <= sizeof(extra)) {
                memcpy(extra, ev->enc_value.p, ev->enc_value.len);
                memset(extra + ev->enc_value.len, 0x33, 16);
                ev->enc_value = der_in_make(extra, ev->enc_value.len + 16);
            }
            break;
        case EV_WRONG_KEY:
            key = g_rsa_key;
            break;
        case EV_EC_KEY:
            key = g_ec_key;
            break;
        case EV_NO_KEY:
            key = NULL;
            break;
        default:
            break;
        }
        cmp_err_init(&err);
        ok = cmp_vfy_enc_cert(&ek, key, &got, &err);
        if (rows[i].expect == NULL) {
            CHECK_CASE(rows[i].name, ok && got != NULL && X509_cmp(got, g_new_cert) == 0);
        } else {
            char buf[1024];

            CHECK_CASE(rows[i].name, !ok && got == NULL);
            cmp_err_format(&err, buf, sizeof(buf));
            if (!CHECK_CASE(rows[i].name, strstr(buf, rows[i].expect) != NULL)) {
                fprintf(stderr, "  got: %s\n", buf);
            }
        }
        X509_free(got);
        ERR_clear_error();
    }
    free(work);
    free(der);
}

/* ---- hostile EnvelopedData and SignedData ---- */

struct kga_case {
    const char *name;
    uint8_t *der; /* EncryptedKey, made by the case */
    size_t len;
    int ok;
    const char *expect;
};

static void
check_central(struct kga_case *c, const struct cmp_vfy_kga_opts *o, EVP_PKEY *want)
{
    struct cmp_enckey ek;
    struct cmp_err err;
    EVP_PKEY *key = NULL;
    int ok;

    cmp_err_init(&err);
    if (!CHECK_CASE(c->name, c->der != NULL && enckey_of(c->der, c->len, &ek))) {
        free(c->der);
        return;
    }
    ok = cmp_vfy_central_key(&ek, o, &key, &err);
    if (c->ok) {
        CHECK_CASE(c->name, ok && key != NULL && EVP_PKEY_eq(key, want) == 1);
        if (!ok) {
            char buf[1024];

            fprintf(stderr, "  %s: %s\n", c->name, cmp_err_format(&err, buf, sizeof(buf)));
        }
    } else {
        char buf[1024];

        CHECK_CASE(c->name, !ok && key == NULL);
        if (!CHECK_CASE(c->name,
                        strstr(cmp_err_format(&err, buf, sizeof(buf)), c->expect) != NULL)) {
            fprintf(stderr, "  got: %s\n", buf);
        }
    }
    EVP_PKEY_free(key);
    free(c->der);
    c->der = NULL;
    ERR_clear_error();
}

/* An EncryptedKey for the RSA client of SignedData(|content|, |ctype|) by |signer|. */
static int
kga_blob(const uint8_t *content, size_t len, const char *ctype, X509 *signer, EVP_PKEY *key,
         const char *env_type, struct kga_case *c)
{
    uint8_t *sd = NULL;
    size_t sd_len = 0;
    int ok = sign_data(content, len, ctype, signer, key, NULL, NULL, &sd, &sd_len) &&
             envelop(sd, sd_len, env_type, &g_rsa_cert, 1, NULL, 0, &c->der, &c->len);

    free(sd);
    return ok;
}

static void
test_hostile_central_keys(void)
{
    X509 *many[CMP_ENCKEY_MAX_RECIPIENTS + 1];
    struct cmp_vfy_kga_opts o;
    uint8_t *p8 = NULL, *p8b = NULL, *akp = NULL, *two = NULL, *v2 = NULL, *v2bad = NULL;
    uint8_t *sd = NULL, *akp_v2 = NULL, *akp_v2bad = NULL;
    size_t p8_len = 0, p8b_len = 0, akp_len = 0, two_len = 0, v2_len = 0, v2bad_len = 0;
    size_t sd_len = 0, akp_v2_len = 0, akp_v2bad_len = 0, i;
    struct kga_case c;

    if (!CHECK(pkcs8_of(g_new_key, &p8, &p8_len) && pkcs8_of(g_rsa_key, &p8b, &p8b_len) &&
               seq_of(p8, p8_len, NULL, 0, &akp, &akp_len) &&
               seq_of(p8, p8_len, p8b, p8b_len, &two, &two_len) &&
               oak_v2(g_new_key, g_new_key, &v2, &v2_len) &&
               oak_v2(g_new_key, g_rsa_key, &v2bad, &v2bad_len) &&
               seq_of(v2, v2_len, NULL, 0, &akp_v2, &akp_v2_len) &&
               seq_of(v2bad, v2bad_len, NULL, 0, &akp_v2bad, &akp_v2bad_len))) {
        goto done;
    }

#define CASE(n, okv, exp)                                                                          \
    do {                                                                                           \
        memset(&c, 0, sizeof(c));                                                                  \
        c.name = (n);                                                                              \
        c.ok = (okv);                                                                              \
        c.expect = (exp);                                                                          \
    } while (0)

    /* the forms that must work */
    kga_opts(&o, g_new_cert);
    CASE("AsymmetricKeyPackage in id-signedData", 1, NULL);
    kga_blob(akp, akp_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, g_new_key);
    CASE("openssl's form: id-data in id-data", 1, NULL);
    kga_blob(p8, p8_len, OID_DATA, g_kga, g_kga_key, OID_DATA, &c);
    check_central(&c, &o, g_new_key);
    CASE("OneAsymmetricKey v2 with its publicKey", 1, NULL);
    kga_blob(akp_v2, akp_v2_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, g_new_key);
    CASE("the issuing CA as KGA, without cmKGA", 1, NULL);
    kga_blob(akp, akp_len, OID_AKP, g_ca, g_ca_key, OID_SIGNED, &c);
    check_central(&c, &o, g_new_key);
    CASE("-srvcert as the only anchor", 1, NULL);
    kga_blob(akp, akp_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    o.trusted = NULL;
    o.srvcert = g_kga;
    check_central(&c, &o, g_new_key);

    /* the KGA */
    kga_opts(&o, g_new_cert);
    CASE("KGA without id-kp-cmKGA", 0, "no id-kp-cmKGA");
    kga_blob(akp, akp_len, OID_AKP, g_kga_noeku, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("KGA of a CA we do not trust", 0, "does not validate");
    kga_blob(akp, akp_len, OID_AKP, g_kga_other, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("no trust anchors", 0, "no -trusted or -srvcert");
    kga_blob(akp, akp_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    o.trusted = NULL;
    check_central(&c, &o, NULL);
    kga_opts(&o, g_new_cert);
    CASE("two signers", 0, "not one");
    if (sign_data(akp, akp_len, OID_AKP, g_kga, g_kga_key, g_ca, g_ca_key, &sd, &sd_len)) {
        envelop(sd, sd_len, OID_SIGNED, &g_rsa_cert, 1, NULL, 0, &c.der, &c.len);
    }
    free(sd);
    sd = NULL;
    check_central(&c, &o, NULL);
    CASE("a signature that does not verify", 0, "does not verify");
    free(sd);
    sd = NULL;
    if (sign_data(akp, akp_len, OID_AKP, g_kga, g_kga_key, NULL, NULL, &sd, &sd_len)) {
        /* the last byte of the last SignerInfo's signature */
        sd[sd_len - 1] ^= 0x01;
        envelop(sd, sd_len, OID_SIGNED, &g_rsa_cert, 1, NULL, 0, &c.der, &c.len);
    }
    check_central(&c, &o, NULL);

    /* what is signed */
    CASE("the key of another certificate", 0, "not the new certificate's");
    kga_blob(p8b, p8b_len, OID_DATA, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("AsymmetricKeyPackage of two keys", 0, "more than one key");
    kga_blob(two, two_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("OneAsymmetricKey v2 with another publicKey", 0, "publicKey is not the private key's");
    kga_blob(akp_v2bad, akp_v2bad_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("id-ct-KP-aKeyPackage holding a bare key", 0, "AsymmetricKeyPackage does not parse");
    kga_blob(p8, p8_len, OID_AKP, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("id-data holding a package", 0, "not one private key");
    kga_blob(akp, akp_len, OID_DATA, g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("another content type", 0, "neither");
    kga_blob(akp, akp_len, "1.2.3.4", g_kga, g_kga_key, OID_SIGNED, &c);
    check_central(&c, &o, NULL);
    CASE("EnvelopedData of another content type", 0, "does not hold a SignedData");
    kga_blob(akp, akp_len, OID_AKP, g_kga, g_kga_key, "1.2.3.4", &c);
    check_central(&c, &o, NULL);
    CASE("EnvelopedData of the key itself", 0, "SignedData does not parse");
    envelop(p8, p8_len, OID_SIGNED, &g_rsa_cert, 1, NULL, 0, &c.der, &c.len);
    check_central(&c, &o, NULL);

    /* the EnvelopedData */
    CASE("for another recipient", 0, "no RecipientInfo for our key");
    free(sd);
    sd = NULL;
    if (sign_data(akp, akp_len, OID_AKP, g_kga, g_kga_key, NULL, NULL, &sd, &sd_len)) {
        envelop(sd, sd_len, OID_SIGNED, &g_ec_cert, 1, NULL, 0, &c.der, &c.len);
    }
    check_central(&c, &o, NULL);
    CASE("more RecipientInfos than the limit", 0, "RecipientInfos");
    for (i = 0; i < NROWS(many); i++) {
        many[i] = g_rsa_cert;
    }
    envelop(sd, sd_len, OID_SIGNED, many, (int)NROWS(many), NULL, 0, &c.der, &c.len);
    check_central(&c, &o, NULL);
    o.keys.pkey = NULL;
    o.keys.cert = NULL;
    o.keys.secret = g_secret;
    o.keys.secret_len = sizeof(g_secret) - 1;
    CASE("PWRI with 200000 PBKDF2 iterations", 0, "iteration count");
    envelop(sd, sd_len, OID_SIGNED, NULL, 0, g_secret, 200000, &c.der, &c.len);
    check_central(&c, &o, NULL);
    CASE("PWRI with another secret", 0, "no RecipientInfo for our shared secret");
    envelop(sd, sd_len, OID_SIGNED, NULL, 0, (const uint8_t *)"another secret", 1000, &c.der,
            &c.len);
    check_central(&c, &o, NULL);
    CASE("KTRI only, we have a secret", 0, "no RecipientInfo for our shared secret");
    envelop(sd, sd_len, OID_SIGNED, &g_rsa_cert, 1, NULL, 0, &c.der, &c.len);
    check_central(&c, &o, NULL);
    kga_opts(&o, g_new_cert);
    CASE("[0] holding no EnvelopedData", 0, "malformed EnvelopedData");
    c.der = malloc(5);
    memcpy(c.der, "\xa0\x03\x02\x01\x00", 5);
    c.len = 5;
    check_central(&c, &o, NULL);
    CASE("EnvelopedData without RecipientInfos", 0, "without RecipientInfo");
    c.der = malloc(7);
    memcpy(c.der, "\xa0\x05\x02\x01\x00\x31\x00", 7);
    c.len = 7;
    check_central(&c, &o, NULL);
#undef CASE

    /* the deprecated form of a key: an EncryptedValue, decrypted with our key (openssl 3.5) */
    {
        uint8_t *der = NULL;
        size_t len = 0;
        struct cmp_enckey ek;
        struct cmp_err err;
        EVP_PKEY *key = NULL;

        cmp_err_init(&err);
        kga_opts(&o, g_new_cert);
        if (CHECK(cmp_enc_value_encrypt(&der, &len, p8, p8_len, g_rsa_key, &err))) {
            CHECK(enckey_of(der, len, &ek) && ek.type == CMP_ENCKEY_VALUE);
            CHECK(cmp_vfy_central_key(&ek, &o, &key, &err));
            CHECK(key != NULL && EVP_PKEY_eq(key, g_new_key) == 1);
            EVP_PKEY_free(key);
            key = NULL;
            /* with another key of ours it does not decrypt */
            o.keys.pkey = g_ec_key;
            CHECK(!cmp_vfy_central_key(&ek, &o, &key, &err) && key == NULL);
        }
        free(der);
        der = NULL;
        /* one holding a certificate is no key */
        kga_opts(&o, g_new_cert);
        if (CHECK(cmp_enckey_wrap_cert(&der, &len, g_rsa_cert, 1, &err))) {
            CHECK(enckey_of(der, len, &ek));
            CHECK(!cmp_vfy_central_key(&ek, &o, &key, &err) && key == NULL);
        }
        free(der);
    }
done:
    free(p8);
    free(p8b);
    free(akp);
    free(two);
    free(v2);
    free(v2bad);
    free(akp_v2);
    free(akp_v2bad);
    free(sd);
}

/* ---- the request side (lib/verify certreq.c) ---- */

static void
test_request_kinds(void)
{
    static const uint8_t spki_empty[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                         0x0D, 0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x01, 0x00};
    static const uint8_t spki_bits[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                        0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x02, 0x00, 0x01};
    struct cmp_cert_req_msg crm;
    struct cmp_err why;

    memset(&crm, 0, sizeof(crm));
    cmp_err_init(&why);
    /* RFC 9483 4.1.6: no publicKey, or an empty one, and no POPO */
    CHECK(cmp_vfy_central_keygen(&crm, &why) == 1);
    crm.tmpl.has_public_key = 1;
    crm.tmpl.public_key = der_in_make(spki_empty, sizeof(spki_empty));
    CHECK(cmp_vfy_central_keygen(&crm, &why) == 1);
    crm.has_popo = 1;
    crm.popo.type = CMP_POPO_SIGNATURE;
    CHECK(cmp_vfy_central_keygen(&crm, &why) == -1);
    CHECK(why.failure_bit == CMP_FI_BAD_POP && strstr(why.msg, "central key generation") != NULL);
    crm.tmpl.public_key = der_in_make(spki_bits, sizeof(spki_bits));
    CHECK(cmp_vfy_central_keygen(&crm, &why) == 0);
    CHECK(!cmp_vfy_popo_encr_cert(&crm));
    crm.popo.type = CMP_POPO_KEYENC;
    crm.popo.priv_type = CMP_POPO_PRIV_SUBSEQUENT;
    crm.popo.subsequent = CMP_SUBSEQ_ENCR_CERT;
    CHECK(cmp_vfy_popo_encr_cert(&crm));
    crm.popo.subsequent = CMP_SUBSEQ_CHALLENGE_RESP;
    CHECK(!cmp_vfy_popo_encr_cert(&crm));
}

/* ---- end to end: the client against the engine's mock ---- */

static int g_verbose;

static void
log_line(void *arg, int level, const char *line)
{
    if (g_verbose) {
        fprintf(stderr, "  %s %d: %s\n", (const char *)arg, level, line);
    }
}

/* A transfer that counts the exchanges and remembers the last response. */
struct counting {
    struct cmp_transfer *inner;
    int exchanges;
    uint8_t *last_rsp;
    size_t last_len;
};

static int
counting_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
                  size_t *rsp_len, struct cmp_err *err)
{
    struct counting *c = ctx;
    int ok = cmp_transfer_exchange(c->inner, req, req_len, timeout_ms, rsp, rsp_len, err);

    c->exchanges++;
    if (ok && c->exchanges == 1) {
        free(c->last_rsp);
        c->last_rsp = malloc(*rsp_len);
        if (c->last_rsp != NULL) {
            memcpy(c->last_rsp, *rsp, *rsp_len);
            c->last_len = *rsp_len;
        }
    }
    return ok;
}

static void
counting_free(void *ctx)
{
    struct counting *c = ctx;

    cmp_transfer_free(c->inner);
    free(c->last_rsp);
    free(c);
}

static struct cmp_srv *
new_server(int accept_keyenc, int key_package, int with_key, int grant_implicit)
{
    struct cmp_srv_config cfg;
    struct cmp_err err;
    struct cmp_srv *srv;

    cmp_srv_config_init(&cfg);
    cfg.cert = g_kga;
    cfg.key = g_kga_key;
    cfg.secret = g_secret;
    cfg.secret_len = sizeof(g_secret) - 1;
    cfg.ref = g_ref;
    cfg.trusted = g_store;
    cfg.rsp_cert = g_new_cert;
    cfg.rsp_key = with_key ? g_new_key : NULL;
    cfg.accept_keyenc = accept_keyenc;
    cfg.kga_key_package = key_package;
    cfg.grant_implicitconf = grant_implicit;
    cfg.log = log_line;
    cfg.log_arg = (void *)"server";
    cfg.verbosity = CMP_SRV_LOG_DEBUG;
    cmp_err_init(&err);
    srv = cmp_srv_new(&cfg, &err);
    if (srv == NULL) {
        char buf[1024];

        fprintf(stderr, "server: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
    }
    return srv;
}

/* A client of |srv|: signature (RSA client) or MAC protection. */
static struct cmp_ctx *
new_client(struct cmp_srv *srv, int mac, struct counting **count)
{
    struct cmp_ctx *ctx = cmp_ctx_new();
    struct counting *c = calloc(1, sizeof(*c));
    struct cmp_err err;
    struct cmp_transfer *t;
    X509_NAME *subject = X509_NAME_new();
    int ok;

    cmp_err_init(&err);
    ok = ctx != NULL && c != NULL && subject != NULL &&
         X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, (const unsigned char *)"new", -1,
                                    -1, 0) &&
         cmp_ctx_set1_subject(ctx, subject) && cmp_ctx_set1_trusted(ctx, g_store);
    if (ok && mac) {
        ok = cmp_ctx_set1_secret(ctx, g_secret, sizeof(g_secret) - 1) &&
             cmp_ctx_set1_ref(ctx, (const uint8_t *)g_ref, strlen(g_ref));
    } else if (ok) {
        ok = cmp_ctx_set1_cert(ctx, g_rsa_cert) && cmp_ctx_set1_key(ctx, g_rsa_key);
    }
    X509_NAME_free(subject);
    c->inner = ok ? cmp_transfer_inproc_new(srv, &err) : NULL;
    t = c->inner != NULL ? calloc(1, sizeof(*t)) : NULL;
    if (t == NULL) {
        if (c != NULL) {
            cmp_transfer_free(c->inner);
        }
        free(c);
        cmp_ctx_free(ctx);
        return NULL;
    }
    t->exchange = counting_exchange;
    t->free = counting_free;
    t->ctx = c;
    cmp_ctx_set0_transfer(ctx, t);
    cmp_ctx_set_log_cb(ctx, log_line, (void *)"client", CMP_LOG_DEBUG);
    *count = c;
    return ctx;
}

/* The pvno and the encrypted forms of the last response kept by |c|. */
static void
check_response_forms(struct counting *c, const char *name, int pvno, int cert_form, int key_form)
{
    struct cmp_msg *m = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!CHECK_CASE(name,
                    c->last_rsp != NULL && cmp_msg_decode(&m, c->last_rsp, c->last_len, &err))) {
        return;
    }
    CHECK_CASE(name, m->hdr.pvno == pvno);
    if (CHECK_CASE(name, m->body.u.rep.num == 1 && m->body.u.rep.responses[0].has_ckp)) {
        const struct cmp_certified_key_pair *ckp = &m->body.u.rep.responses[0].ckp;

        CHECK_CASE(name, cert_form < 0 ? ckp->cert_type == CMP_CERT_PLAIN
                                       : ckp->cert_type == CMP_CERT_ENCRYPTED &&
                                             ckp->enc_cert.type == cert_form);
        CHECK_CASE(name, key_form < 0 ? !ckp->has_private_key
                                      : ckp->has_private_key && ckp->private_key.type == key_form);
    }
    /* the printer shows what came encrypted */
    {
        FILE *f = tmpfile();
        char out[8192];
        size_t n = 0;

        if (f != NULL) {
            CHECK_CASE(name, cmp_msg_print(f, m));
            rewind(f);
            n = fread(out, 1, sizeof(out) - 1, f);
            out[n] = '\0';
            fclose(f);
            CHECK_CASE(name,
                       (cert_form < 0 || strstr(out, "encryptedCert: ") != NULL) &&
                           (key_form < 0 || strstr(out, "privateKey: envelopedData: ") != NULL));
            if (cert_form == CMP_ENCKEY_VALUE) {
                CHECK_CASE(name, strstr(out, "symmAlg: aes-256-cbc (IV 16 bytes)") != NULL &&
                                     strstr(out, "keyAlg: rsaEncryption") != NULL);
            }
        }
    }
    cmp_msg_free(m);
}

static void
test_client_server(void)
{
    static const struct {
        const char *name;
        int mac, key_package;
    } central[] = {
        {"central keygen, signature, openssl's content", 0, 0},
        {"central keygen, signature, AsymmetricKeyPackage", 0, 1},
        {"central keygen, MAC (PWRI)", 1, 0},
        {"central keygen, MAC (PWRI), AsymmetricKeyPackage", 1, 1},
    };
    struct counting *count = NULL;
    struct cmp_srv *srv;
    struct cmp_ctx *ctx;
    size_t i;

    for (i = 0; i < NROWS(central); i++) {
        srv = new_server(0, central[i].key_package, 1, 0);
        ctx = srv != NULL ? new_client(srv, central[i].mac, &count) : NULL;
        if (!CHECK_CASE(central[i].name, ctx != NULL)) {
            cmp_srv_free(srv);
            continue;
        }
        CHECK_CASE(central[i].name, cmp_ctx_set_option(ctx, CMP_OPT_POPO, -1));
        CHECK_CASE(central[i].name, cmp_exec_cr(ctx));
        CHECK_CASE(central[i].name, cmp_ctx_get0_central_key(ctx) != NULL &&
                                        EVP_PKEY_eq(cmp_ctx_get0_central_key(ctx), g_new_key) == 1);
        CHECK_CASE(central[i].name, cmp_ctx_get0_newcert(ctx) != NULL &&
                                        X509_cmp(cmp_ctx_get0_newcert(ctx), g_new_cert) == 0);
        CHECK_CASE(central[i].name, count->exchanges == 2); /* cr and certConf */
        check_response_forms(count, central[i].name, CMP_PVNO_2021, -1, CMP_ENCKEY_ENVELOPED);
        /* a later transaction without central key generation has no key */
        CHECK_CASE(central[i].name, cmp_ctx_set_option(ctx, CMP_OPT_POPO, 1) &&
                                        cmp_ctx_set1_newkey(ctx, g_new_key) && cmp_exec_cr(ctx) &&
                                        cmp_ctx_get0_central_key(ctx) == NULL);
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }

    /* no -rsp_key: the mock refuses (badCertTemplate), as openssl's with an error */
    srv = new_server(0, 0, 0, 0);
    ctx = srv != NULL ? new_client(srv, 0, &count) : NULL;
    if (CHECK(ctx != NULL)) {
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_POPO, -1));
        CHECK(!cmp_exec_ir(ctx));
        CHECK(cmp_ctx_get_failinfo(ctx) & (1u << CMP_FI_BAD_CERT_TEMPLATE));
        CHECK(cmp_ctx_get0_central_key(ctx) == NULL);
    }
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);

    /* -popo 2 without -accept_keyenc: badPOP, as from openssl's mock */
    srv = new_server(0, 0, 1, 0);
    ctx = srv != NULL ? new_client(srv, 0, &count) : NULL;
    if (CHECK(ctx != NULL)) {
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_POPO, 2) && cmp_ctx_set1_newkey(ctx, g_new_key));
        CHECK(!cmp_exec_ir(ctx));
        CHECK(cmp_ctx_get_status(ctx) == 2 && (cmp_ctx_get_failinfo(ctx) & (1u << CMP_FI_BAD_POP)));
    }
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);

    /*
     * -popo 2 with -accept_keyenc: pvno 3, the certificate as EnvelopedData,
     * confirmed even with -disable_confirm and when implicit confirmation
     * was asked for (the certConf completes the POP).
     */
    srv = new_server(1, 0, 1, 1);
    ctx = srv != NULL ? new_client(srv, 0, &count) : NULL;
    if (CHECK(ctx != NULL)) {
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_POPO, 2) && cmp_ctx_set1_newkey(ctx, g_new_key));
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_IMPLICIT_CONFIRM, 1) &&
              cmp_ctx_set_option(ctx, CMP_OPT_DISABLE_CONFIRM, 1));
        CHECK(cmp_exec_ir(ctx));
        CHECK(cmp_ctx_get0_newcert(ctx) != NULL &&
              X509_cmp(cmp_ctx_get0_newcert(ctx), g_new_cert) == 0);
        CHECK(count->exchanges == 2);
        check_response_forms(count, "popo 2", CMP_PVNO_2021, CMP_ENCKEY_ENVELOPED, -1);
        /* without the private key the certificate cannot be decrypted */
        CHECK(cmp_ctx_set1_newkey(ctx, g_ec_key));
        CHECK(!cmp_exec_ir(ctx));
        {
            char buf[1024];

            CHECK(strstr(cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf)),
                         "the encrypted certificate") != NULL);
        }
    }
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
}

int
main(void)
{
    g_verbose = getenv("TEST_ENCKEY_VERBOSE") != NULL;
    if (!CHECK(make_pki())) {
        free_pki();
        return check_finish();
    }
    test_enc_value_codec();
    test_wrap_key_round_trips();
    test_wrap_cert_round_trips();
    test_hostile_enc_values();
    test_hostile_central_keys();
    test_request_kinds();
    test_client_server();
    free_pki();
    return check_finish();
}
