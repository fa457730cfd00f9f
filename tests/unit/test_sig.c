/*
 * Tests for lib/crypto/sig.c: signature protection, the signature
 * primitives and extraCerts.
 *
 *   test_sig                   tables (keys are generated in the test)
 *   test_sig --shared DIR      every signature-protected message of DIR
 *                              (../shared/vectors); 77 if DIR is absent
 *   test_sig --generated DIR   every signature-protected message of the
 *                              generated vectors (ctest fixture)
 *
 * Each algorithm's AlgorithmIdentifier is compared with the one OpenSSL
 * writes when it signs a certificate the same way (X509_sign_ctx), and every
 * signature is checked to fail after a flipped bit, with another key of the
 * same type (badMessageCheck) and with a key of another type (badAlg).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "crypto/crypto.h"
#include "prot_test_util.h"

#define HEX_MAX 2048

enum {
    K_RSA,
    K_RSA2,
    K_RSA_PSS,
    K_EC,
    K_EC2,
    K_EC384,
    K_ED25519,
    K_ED25519_2,
    K_ED448,
    K_ED448_2,
    K_X25519,
    NUM_KEYS
};

static EVP_PKEY *keys[NUM_KEYS];

/* An RSA-PSS key (EVP_PKEY_Q_keygen() knows only RSA, EC and the EdDSA/X types). */
static EVP_PKEY *
rsa_pss_key(void)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    EVP_PKEY *key = NULL;

    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static int
make_keys(void)
{
    keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[K_RSA2] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    keys[K_RSA_PSS] = rsa_pss_key();
    keys[K_EC] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[K_EC2] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    keys[K_EC384] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    keys[K_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    keys[K_ED25519_2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    keys[K_ED448] = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    keys[K_ED448_2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    keys[K_X25519] = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    for (int i = 0; i < NUM_KEYS; i++) {
        if (!CHECK_CASE("key generation", keys[i] != NULL)) {
            fprintf(stderr, "  key #%d\n", i);
            return 0;
        }
    }
    return 1;
}

static void
free_keys(void)
{
    for (int i = 0; i < NUM_KEYS; i++) {
        EVP_PKEY_free(keys[i]);
        keys[i] = NULL;
    }
}

/* ---- OpenSSL's own AlgorithmIdentifier for the same signature ------------------ */

/*
 * openssl_algid() signs a throwaway certificate with |key| as cmp_sign_data()
 * does (PSS: MGF1 with the same digest, salt as long as the digest) and
 * returns the signature AlgorithmIdentifier that OpenSSL wrote.
 */
static uint8_t *
openssl_algid(EVP_PKEY *key, const char *digest, int pss, size_t *len)
{
    X509 *x = X509_new();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t *der = NULL;
    int n = 0;

    *len = 0;
    if (x == NULL || ctx == NULL || !X509_set_version(x, X509_VERSION_3) ||
        !X509_set_pubkey(x, key) || !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 3600) ||
        EVP_DigestSignInit_ex(ctx, &pctx, digest, NULL, NULL, key, NULL) <= 0 ||
        (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
                 EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) <= 0 ||
                 EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, digest, NULL) <= 0)) ||
        X509_sign_ctx(x, ctx) <= 0) {
        ERR_clear_error();
    } else {
        n = i2d_X509_ALGOR(X509_get0_tbs_sigalg(x), &der);
    }
    EVP_MD_CTX_free(ctx);
    X509_free(x);
    if (n <= 0) {
        return NULL;
    }
    *len = (size_t)n;
    return der;
}

/* ---- round trips --------------------------------------------------------------- */

static const struct {
    const char *name;
    int key, other, wrong_type;
    const char *digest;
    int pss;
    const char *alg_hex; /* expected; NULL: as OpenSSL writes it */
    int ok;
    int code, bit;
} sig_cases[] = {
    {"RSA PKCS#1 sha256", K_RSA, K_RSA2, K_EC, NULL, 0, "300D06092A864886F70D01010B0500", 1, 0, 0},
    {"RSA PKCS#1 sha384", K_RSA, K_RSA2, K_EC, "SHA384", 0, NULL, 1, 0, 0},
    {"RSA PKCS#1 sha512", K_RSA, K_RSA2, K_ED25519, "sha512", 0, NULL, 1, 0, 0},
    {"RSA PKCS#1 sha3-256", K_RSA, K_RSA2, K_EC, "SHA3-256", 0, NULL, 1, 0, 0},
    {"RSASSA-PSS sha256", K_RSA, K_RSA2, K_EC, "SHA256", 1,
     "304106092A864886F70D01010A3034A00F300D06096086480165030402010500A11C301A06092A864886F70D"
     "010108300D06096086480165030402010500A203020120",
     1, 0, 0},
    {"RSASSA-PSS sha512", K_RSA, K_RSA2, K_EC, "SHA512", 1, NULL, 1, 0, 0},
    {"RSASSA-PSS sha1 (all DEFAULTs)", K_RSA, K_RSA2, K_EC, "SHA1", 1,
     "300D06092A864886F70D01010A3000", 1, 0, 0},
    /* OpenSSL writes the maximum salt length for RSA-PSS keys; we use the hash length */
    {"RSA-PSS key", K_RSA_PSS, K_RSA2, K_EC, "SHA256", 0,
     "304106092A864886F70D01010A3034A00F300D06096086480165030402010500A11C301A06092A864886F70D"
     "010108300D06096086480165030402010500A203020120",
     1, 0, 0},
    {"ECDSA P-256 sha256", K_EC, K_EC2, K_RSA, NULL, 0, "300A06082A8648CE3D040302", 1, 0, 0},
    {"ECDSA P-256 sha384", K_EC, K_EC2, K_RSA, "SHA384", 0, NULL, 1, 0, 0},
    {"ECDSA P-384 sha384", K_EC384, K_EC2, K_ED448, "SHA384", 0, NULL, 1, 0, 0},
    /* OpenSSL 3.0 has no OID for ECDSA with SHA3 (OBJ_find_sigid_by_algs) */
    {"ECDSA P-256 sha3-256", K_EC, 0, 0, "SHA3-256", 0, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG},
    {"Ed25519", K_ED25519, K_ED25519_2, K_ED448, NULL, 0, "300506032B6570", 1, 0, 0},
    {"Ed25519 ignores the digest", K_ED25519, K_ED25519_2, K_EC, "SHA256", 0, "300506032B6570", 1,
     0, 0},
    {"Ed448", K_ED448, K_ED448_2, K_ED25519, NULL, 0, "300506032B6571", 1, 0, 0},
    {"PSS with an EC key", K_EC, 0, 0, NULL, 1, NULL, 0, CMP_E_ARG, CMP_FI_NONE},
    {"PSS with an Ed25519 key", K_ED25519, 0, 0, NULL, 1, NULL, 0, CMP_E_ARG, CMP_FI_NONE},
    {"RSA with md5", K_RSA, 0, 0, "MD5", 0, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG},
    {"unknown digest", K_EC, 0, 0, "no-such-digest", 0, NULL, 0, CMP_E_CRYPTO, CMP_FI_BAD_ALG},
    {"X25519 cannot sign", K_X25519, 0, 0, NULL, 0, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG},
};

static void
test_sig_roundtrip(void)
{
    size_t i;
    unsigned bit;

    for (i = 0; i < PT_ARRAY_LEN(sig_cases); i++) {
        const char *name = sig_cases[i].name;
        struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
        uint8_t want[HEX_MAX], *osl = NULL, *der = NULL;
        size_t want_len = 0, der_len = 0;
        struct cmp_err err;
        int ok;

        if (!CHECK_CASE(name, m != NULL)) {
            continue;
        }
        cmp_err_init(&err);
        ok =
            cmp_protect_sig(m, keys[sig_cases[i].key], sig_cases[i].digest, sig_cases[i].pss, &err);
        if (!CHECK_CASE(name, ok == sig_cases[i].ok)) {
            pt_print_err(name, &err);
        }
        if (!ok) {
            CHECK_CASE(name, err.code == sig_cases[i].code && err.failure_bit == sig_cases[i].bit);
            CHECK_CASE(name, !m->hdr.has_protection_alg && !m->has_protection);
            if (err.code != sig_cases[i].code) {
                pt_print_err(name, &err);
            }
            cmp_msg_free(m);
            continue;
        }
        CHECK_CASE(name, !cmp_msg_mac_protected(m));
        /* the AlgorithmIdentifier is the one OpenSSL writes for the same signature */
        if (sig_cases[i].alg_hex != NULL) {
            CHECK_CASE(name, check_unhex(sig_cases[i].alg_hex, want, sizeof(want), &want_len));
            CHECK_MEM(name, m->hdr.protection_alg.whole.p, m->hdr.protection_alg.whole.len, want,
                      want_len);
        }
        if (sig_cases[i].key != K_RSA_PSS) {
            osl =
                openssl_algid(keys[sig_cases[i].key],
                              sig_cases[i].key == K_ED25519 || sig_cases[i].key == K_ED448
                                  ? NULL
                                  : (sig_cases[i].digest != NULL ? sig_cases[i].digest : "SHA256"),
                              sig_cases[i].pss, &want_len);
            if (CHECK_CASE(name, osl != NULL)) {
                CHECK_MEM(name, m->hdr.protection_alg.whole.p, m->hdr.protection_alg.whole.len, osl,
                          want_len);
            }
            OPENSSL_free(osl);
        }

        cmp_err_init(&err);
        if (!CHECK_CASE(name, cmp_verify_sig(m, keys[sig_cases[i].key], &err))) {
            pt_print_err(name, &err);
        }
        r = pt_reparse(m);
        der = pt_encode(m, &der_len);
        if (!CHECK_CASE(name, r != NULL && der != NULL)) {
            free(der);
            cmp_msg_free(r);
            cmp_msg_free(m);
            continue;
        }
        cmp_err_init(&err);
        if (!CHECK_CASE(name, cmp_verify_sig(r, keys[sig_cases[i].key], &err))) {
            pt_print_err(name, &err);
        }
        cmp_err_init(&err);
        CHECK_CASE(name, !cmp_verify_sig(r, keys[sig_cases[i].other], &err) &&
                             pt_err_is(&err, -1, CMP_FI_BAD_MESSAGE_CHECK, "does not verify"));
        cmp_err_init(&err);
        CHECK_CASE(name, !cmp_verify_sig(r, keys[sig_cases[i].wrong_type], &err) &&
                             pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_ALG, "does not match"));
        for (bit = 0; bit < 8; bit += 3) {
            struct cmp_msg *p = pt_mutate(der, der_len, pt_offset_in(r, &r->protection) + 5, bit);
            struct cmp_msg *h =
                pt_mutate(der, der_len, pt_offset_in(r, &r->hdr.transaction_id), bit);

            cmp_err_init(&err);
            CHECK_CASE(name, p != NULL && !cmp_verify_sig(p, keys[sig_cases[i].key], &err) &&
                                 err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
            cmp_err_init(&err);
            CHECK_CASE(name, h != NULL && !cmp_verify_sig(h, keys[sig_cases[i].key], &err) &&
                                 err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
            cmp_msg_free(p);
            cmp_msg_free(h);
        }
        free(der);
        cmp_msg_free(r);
        cmp_msg_free(m);
    }
}

/* ---- cmp_verify_data() with algorithms a peer may send ---------------------------- */

static const struct {
    const char *name;
    int key;      /* verifying key */
    int sign_key; /* the data is signed with this key ... */
    const char *digest;
    int pss;             /* ... this way */
    const char *alg_hex; /* the AlgorithmIdentifier presented; NULL: the right one */
    int empty_sig;
    int ok, code, bit;
    const char *text;
} data_cases[] = {
    {"right algorithm", K_EC, K_EC, "SHA256", 0, NULL, 0, 1, 0, 0, NULL},
    {"RSA alg, EC key", K_EC, K_EC, "SHA256", 0, "300D06092A864886F70D01010B0500", 0, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "does not match the EC key"},
    {"ECDSA alg, RSA key", K_RSA, K_RSA, "SHA256", 0, "300A06082A8648CE3D040302", 0, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "does not match the RSA key"},
    {"Ed25519 alg, Ed448 key", K_ED448, K_ED448, NULL, 0, "300506032B6570", 0, 0, CMP_E_INVALID,
     CMP_FI_BAD_ALG, "does not match the Ed448 key"},
    {"Ed25519 alg with NULL parameters", K_ED25519, K_ED25519, NULL, 0, "300706032B65700500", 0, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "with parameters"},
    {"RSA alg without NULL is accepted", K_RSA, K_RSA, "SHA256", 0, "300B06092A864886F70D01010B", 0,
     1, 0, 0, NULL},
    {"RSA alg with OCTET STRING parameters", K_RSA, K_RSA, "SHA256", 0,
     "300D06092A864886F70D01010B0400", 0, 0, CMP_E_INVALID, CMP_FI_BAD_ALG,
     "unexpected parameters"},
    {"ECDSA alg with NULL is accepted", K_EC, K_EC, "SHA256", 0, "300C06082A8648CE3D0403020500", 0,
     1, 0, 0, NULL},
    {"md5WithRSAEncryption", K_RSA, K_RSA, "SHA256", 0, "300D06092A864886F70D0101040500", 0, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "weak digest"},
    {"unknown OID", K_RSA, K_RSA, "SHA256", 0, "3005060353040A", 0, 0, CMP_E_INVALID,
     CMP_FI_BAD_ALG, "2.3.4.10 is not a known signature algorithm"},
    {"hmacWithSHA256 is no signature", K_RSA, K_RSA, "SHA256", 0, "300C06082A864886F70D02090500", 0,
     0, CMP_E_INVALID, CMP_FI_BAD_ALG, "not a known signature algorithm"},
    {"PSS trailerField 2", K_RSA, K_RSA, "SHA1", 1, "301206092A864886F70D01010A3005A303020102", 0,
     0, CMP_E_INVALID, CMP_FI_BAD_ALG, "trailerField 2"},
    {"PSS mask generation not MGF1", K_RSA, K_RSA, "SHA1", 1,
     "301C06092A864886F70D01010A300FA10D300B06092A864886F70D010109", 0, 0, CMP_E_INVALID,
     CMP_FI_BAD_ALG, "not MGF1"},
    {"PSS saltLength 5000", K_RSA, K_RSA, "SHA1", 1, "301306092A864886F70D01010A3006A20402021388",
     0, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "saltLength 5000"},
    {"PSS parameters malformed", K_RSA, K_RSA, "SHA1", 1, "301106092A864886F70D01010A3004A0020400",
     0, 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "RSASSA-PSS parameters"},
    {"PSS parameters absent", K_RSA, K_RSA, "SHA1", 1, "300B06092A864886F70D01010A", 0, 0,
     CMP_E_DECODE, CMP_FI_BAD_ALG, "RSASSA-PSS parameters"},
    {"PSS saltLength 20 for a 32-byte salt", K_RSA, K_RSA, "SHA256", 1,
     "303C06092A864886F70D01010A302FA00F300D06096086480165030402010500A11C301A06092A864886F70D"
     "010108300D06096086480165030402010500",
     0, 0, CMP_E_CRYPTO, CMP_FI_BAD_MESSAGE_CHECK, "does not verify"},
    {"PSS sha1 DEFAULTs for a sha256 signature", K_RSA, K_RSA, "SHA256", 1,
     "300D06092A864886F70D01010A3000", 0, 0, CMP_E_CRYPTO, CMP_FI_BAD_MESSAGE_CHECK,
     "does not verify"},
    {"PSS with an RSA-PSS key", K_RSA_PSS, K_RSA_PSS, "SHA256", 1, NULL, 0, 1, 0, 0, NULL},
    {"PKCS#1 alg with an RSA-PSS key", K_RSA_PSS, K_RSA_PSS, "SHA256", 1,
     "300D06092A864886F70D01010B0500", 0, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "does not match"},
    {"empty signature", K_EC, K_EC, "SHA256", 0, NULL, 1, 0, CMP_E_INVALID,
     CMP_FI_BAD_MESSAGE_CHECK, "empty signature"},
    {"signed by another key", K_EC2, K_EC, "SHA256", 0, NULL, 0, 0, CMP_E_CRYPTO,
     CMP_FI_BAD_MESSAGE_CHECK, "does not verify"},
};

static void
test_verify_data(void)
{
    static const uint8_t data[] = "data signed for cmp_verify_data";
    size_t i;

    for (i = 0; i < PT_ARRAY_LEN(data_cases); i++) {
        const char *name = data_cases[i].name;
        uint8_t *sig = NULL, *alg_der = NULL, given[HEX_MAX];
        size_t sig_len = 0, alg_len = 0, given_len;
        struct cmp_algid alg;
        struct der_in in;
        struct cmp_err err;
        int ok;

        cmp_err_init(&err);
        if (!CHECK_CASE(name, cmp_sign_data(keys[data_cases[i].sign_key], data_cases[i].digest,
                                            data_cases[i].pss, data, sizeof(data), &sig, &sig_len,
                                            &alg_der, &alg_len, &err))) {
            pt_print_err(name, &err);
            continue;
        }
        if (data_cases[i].alg_hex != NULL) {
            if (!CHECK_CASE(name,
                            check_unhex(data_cases[i].alg_hex, given, sizeof(given), &given_len))) {
                free(sig);
                free(alg_der);
                continue;
            }
            in = der_in_make(given, given_len);
        } else {
            in = der_in_make(alg_der, alg_len);
        }
        memset(&alg, 0, sizeof(alg));
        if (!CHECK_CASE(name, cmp_algid_decode(&in, DER_SEQUENCE, &alg, NULL))) {
            free(sig);
            free(alg_der);
            continue;
        }
        cmp_err_init(&err);
        ok = cmp_verify_data(keys[data_cases[i].key], &alg, data, sizeof(data),
                             data_cases[i].empty_sig ? NULL : sig,
                             data_cases[i].empty_sig ? 0 : sig_len, &err);
        if (!CHECK_CASE(name, ok == data_cases[i].ok)) {
            pt_print_err(name, &err);
        }
        if (!ok && !CHECK_CASE(name, pt_err_is(&err, data_cases[i].code, data_cases[i].bit,
                                               data_cases[i].text))) {
            pt_print_err(name, &err);
        }
        CHECK_CASE(name, ERR_peek_error() == 0); /* the queue was moved into err */
        free(sig);
        free(alg_der);
    }
}

/* cmp_sign_data() without an AlgorithmIdentifier wanted, and cmp_verify_sig() misuse. */
static void
test_misc(void)
{
    static const uint8_t data[] = "x";
    struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    struct cmp_err err;

    cmp_err_init(&err);
    CHECK(cmp_sign_data(keys[K_ED25519], NULL, 0, data, 1, &sig, &sig_len, NULL, NULL, &err) &&
          sig_len == 64);
    free(sig);
    cmp_err_init(&err);
    CHECK(!cmp_sign_data(NULL, NULL, 0, data, 1, &sig, &sig_len, NULL, NULL, &err) &&
          err.code == CMP_E_ARG && sig == NULL);
    if (!CHECK(m != NULL)) {
        return;
    }
    /* no protection at all */
    cmp_err_init(&err);
    CHECK(!cmp_verify_sig(m, keys[K_EC], &err) && err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
    /* MAC-protected */
    cmp_err_init(&err);
    CHECK(cmp_protect_pbm(m, NULL, (const uint8_t *)"s", 1, &err));
    cmp_err_init(&err);
    CHECK(!cmp_verify_sig(m, keys[K_EC], &err) &&
          pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_ALG, "MAC-protected"));
    /* re-protected with a signature, and unused bits in the BIT STRING */
    cmp_err_init(&err);
    CHECK(cmp_protect_sig(m, keys[K_EC], NULL, 0, &err));
    r = pt_reparse(m);
    if (CHECK(r != NULL)) {
        cmp_err_init(&err);
        CHECK(cmp_verify_sig(r, keys[K_EC], &err));
        r->protection_unused = 1;
        cmp_err_init(&err);
        CHECK(!cmp_verify_sig(r, keys[K_EC], &err) &&
              pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK, "unused bits"));
    }
    cmp_msg_free(r);
    cmp_msg_free(m);
}

/* ---- extraCerts ------------------------------------------------------------------- */

static X509 *
make_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *key, int ca, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    int ok;

    ok = x != NULL && name != NULL && X509_set_version(x, X509_VERSION_3) &&
         ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_subject_name(x, name) &&
         X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
         X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
         X509_gmtime_adj(X509_getm_notAfter(x), 86400) && X509_set_pubkey(x, key);
    if (ok) {
        X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                  ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
        ok = ext != NULL && X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    ok = ok &&
         X509_sign(x, issuer_key, EVP_PKEY_is_a(issuer_key, "ED25519") ? NULL : EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static STACK_OF(X509) * stack_of(X509 *a, X509 *b, X509 *c)
{
    STACK_OF(X509) *s = sk_X509_new_null();
    X509 *all[3] = {a, b, c};

    for (int i = 0; s != NULL && i < 3; i++) {
        if (all[i] != NULL) {
            sk_X509_push(s, all[i]);
        }
    }
    return s;
}

/* same_certs() is 1 if the message's extraCerts are exactly |want| (NULL-terminated). */
static int
same_certs(const struct cmp_msg *m, X509 **want)
{
    size_t i, n = 0;

    while (want[n] != NULL) {
        n++;
    }
    if (m->extra_certs.num != n || m->has_extra_certs != (n > 0)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        const unsigned char *p = m->extra_certs.items[i].p;
        X509 *x = d2i_X509(NULL, &p, (long)m->extra_certs.items[i].len);
        int same = x != NULL && X509_cmp(x, want[i]) == 0;

        X509_free(x);
        if (!same) {
            return 0;
        }
    }
    return 1;
}

static void
test_extra_certs(void)
{
    X509 *root = make_cert("root", NULL, keys[K_EC], keys[K_EC], 1, 1);
    X509 *inter = make_cert("inter", root, keys[K_EC], keys[K_EC2], 1, 2);
    X509 *ee = make_cert("ee", inter, keys[K_EC2], keys[K_EC384], 0, 3);
    X509 *other = make_cert("other", NULL, keys[K_ED25519], keys[K_ED25519], 1, 4);
    STACK_OF(X509) *untrusted = stack_of(root, inter, NULL);
    STACK_OF(X509) *extra = stack_of(other, inter, NULL);
    STACK_OF(X509) *extra2 = stack_of(inter, root, other);
    STACK_OF(X509) *only_other = stack_of(other, NULL, NULL);
    struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
    struct cmp_err err;

    if (!CHECK(root && inter && ee && other && untrusted && extra && extra2 && only_other && m)) {
        goto done;
    }
    {
        X509 *want[] = {ee, inter, other, NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, ee, untrusted, extra, &err));
        CHECK_CASE("own cert, chain without the root, the rest of extra", same_certs(m, want));
    }
    {
        X509 *want[] = {ee, inter, root, other, NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, ee, NULL, extra2, &err));
        CHECK_CASE("chain from extra; the root only as an extra cert", same_certs(m, want));
    }
    {
        X509 *want[] = {ee, NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, ee, NULL, NULL, &err));
        CHECK_CASE("own cert alone", same_certs(m, want));
    }
    {
        X509 *want[] = {root, NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, root, untrusted, NULL, &err));
        CHECK_CASE("self-signed own cert", same_certs(m, want));
    }
    {
        X509 *want[] = {other, NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, NULL, untrusted, only_other, &err));
        CHECK_CASE("no own cert: extra only", same_certs(m, want));
    }
    {
        X509 *want[] = {NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, NULL, NULL, NULL, &err));
        CHECK_CASE("nothing: no extraCerts", same_certs(m, want));
    }
    {
        X509 *want[] = {ee, inter, other, NULL};

        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(m, ee, untrusted, extra, &err));
        /* extraCerts lie outside ProtectedPart: set before or after protecting */
        CHECK(cmp_protect_sig(m, keys[K_EC384], NULL, 0, &err));
        r = pt_reparse(m);
        cmp_err_init(&err);
        CHECK_CASE("decoded extraCerts",
                   r != NULL && same_certs(r, want) && cmp_verify_sig(r, keys[K_EC384], &err));
    }
    if (r != NULL) {
        X509 *want[] = {ee, NULL};

        /* replacing the extraCerts of a decoded message */
        cmp_err_init(&err);
        CHECK(cmp_set_extra_certs(r, ee, NULL, NULL, &err));
        CHECK_CASE("replaced extraCerts", same_certs(r, want));
        cmp_msg_free(m);
        m = pt_reparse(r);
        cmp_err_init(&err);
        CHECK_CASE("replaced extraCerts decoded",
                   m != NULL && same_certs(m, want) && cmp_verify_sig(m, keys[K_EC384], &err));
    }

done:
    cmp_msg_free(r);
    cmp_msg_free(m);
    sk_X509_free(untrusted);
    sk_X509_free(extra);
    sk_X509_free(extra2);
    sk_X509_free(only_other);
    X509_free(root);
    X509_free(inter);
    X509_free(ee);
    X509_free(other);
}

/* ---- vectors --------------------------------------------------------------------- */

#define MAX_PKI_KEYS 32

/* What a pki folder offers: certificates, and keys (for a message signed by a bare key). */
struct pki {
    STACK_OF(X509) * certs;
    EVP_PKEY *keys[MAX_PKI_KEYS];
    size_t num_keys;
};

/* load_pki_file() adds every certificate and key in the PEM file |path|. */
static void
load_pki_file(const char *path, struct pki *pki)
{
    BIO *b = BIO_new_file(path, "rb");
    STACK_OF(X509_INFO) * infos;
    int i;

    if (b == NULL) {
        ERR_clear_error();
        return;
    }
    infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
    for (i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *xi = sk_X509_INFO_value(infos, i);

        if (xi->x509 != NULL && sk_X509_push(pki->certs, xi->x509)) {
            xi->x509 = NULL;
        }
        if (xi->x_pkey != NULL && xi->x_pkey->dec_pkey != NULL && pki->num_keys < MAX_PKI_KEYS &&
            EVP_PKEY_up_ref(xi->x_pkey->dec_pkey)) {
            pki->keys[pki->num_keys++] = xi->x_pkey->dec_pkey;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(b);
    ERR_clear_error();
}

static void
pki_cleanup(struct pki *pki)
{
    size_t i;

    sk_X509_pop_free(pki->certs, X509_free);
    for (i = 0; i < pki->num_keys; i++) {
        EVP_PKEY_free(pki->keys[i]);
    }
    memset(pki, 0, sizeof(*pki));
}

static void
load_pki_dir(const char *dir, struct pki *pki)
{
    static const char *const suffixes[] = {".crt", ".pem"};
    char **names = NULL, path[4096];
    size_t num = 0, i, s;

    for (s = 0; s < PT_ARRAY_LEN(suffixes); s++) {
        if (!pt_list_dir(dir, suffixes[s], &names, &num)) {
            continue;
        }
        for (i = 0; i < num; i++) {
            pt_path(path, sizeof(path), dir, names[i]);
            load_pki_file(path, pki);
        }
        pt_free_list(names, num);
    }
}

/* name_is() is 1 if |cert|'s subject is the directoryName |gn|. */
static int
name_is(X509 *cert, const struct cmp_gname *gn)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(X509_get_subject_name(cert), &der);
    int same = gn->type == CMP_GN_DIRNAME && len > 0 && (size_t)len == gn->value.len &&
               memcmp(der, gn->value.p, gn->value.len) == 0;

    OPENSSL_free(der);
    return same;
}

/*
 * verify_dir() verifies every signature-protected message in |dir| with the
 * certificate that signed it: the one, among its extraCerts and the
 * certificates of |pki_dir|, whose subject is the message's sender; failing
 * that, with a bare key of |pki_dir|. |unverifiable| names a message that
 * must not verify. Returns the number verified; |*num_sig| counts the
 * signature-protected messages.
 */
static int
verify_dir(const char *dir, const char *pki_dir, const char *unverifiable, int *num_sig)
{
    struct pki pki;
    char **names = NULL, path[4096];
    size_t num = 0, i;
    int verified = 0;

    *num_sig = 0;
    memset(&pki, 0, sizeof(pki));
    pki.certs = sk_X509_new_null();
    if (!CHECK_CASE(dir, pki.certs != NULL && pt_list_dir(dir, ".der", &names, &num))) {
        pki_cleanup(&pki);
        return 0;
    }
    load_pki_dir(pki_dir, &pki);
    for (i = 0; i < num; i++) {
        STACK_OF(X509) *cands = sk_X509_new_null();
        EVP_PKEY *signer = NULL;
        struct cmp_msg *m;
        struct cmp_err err;
        uint8_t *der = NULL;
        size_t len = 0, k;
        int tried = 0, j, expect_ok;

        pt_path(path, sizeof(path), dir, names[i]);
        expect_ok = unverifiable == NULL || strcmp(names[i], unverifiable) != 0;
        m = pt_decode_file(path);
        if (m == NULL || !m->hdr.has_protection_alg || cmp_msg_mac_protected(m) || cands == NULL) {
            cmp_msg_free(m);
            sk_X509_free(cands);
            continue;
        }
        (*num_sig)++;
        for (k = 0; k < m->extra_certs.num; k++) {
            const unsigned char *p = m->extra_certs.items[k].p;
            X509 *x = d2i_X509(NULL, &p, (long)m->extra_certs.items[k].len);

            if (x != NULL && !sk_X509_push(cands, x)) {
                X509_free(x);
            }
        }
        for (j = 0; j < sk_X509_num(pki.certs); j++) {
            X509 *x = sk_X509_value(pki.certs, j);

            if (X509_up_ref(x) && !sk_X509_push(cands, x)) {
                X509_free(x);
            }
        }
        cmp_err_init(&err);
        for (j = 0; j < sk_X509_num(cands) && signer == NULL; j++) {
            X509 *x = sk_X509_value(cands, j);

            if (name_is(x, &m->hdr.sender)) {
                tried++;
                cmp_err_init(&err);
                if (cmp_verify_sig(m, X509_get0_pubkey(x), &err)) {
                    signer = X509_get0_pubkey(x);
                }
            }
        }
        for (k = 0; k < pki.num_keys && signer == NULL; k++) {
            struct cmp_err kerr;

            cmp_err_init(&kerr);
            if (cmp_verify_sig(m, pki.keys[k], &kerr)) {
                signer = pki.keys[k];
            }
        }
        if (!CHECK_CASE(path, (signer != NULL) == expect_ok)) {
            fprintf(stderr, "  %s: %d certificates named as the sender%s\n", path, tried,
                    expect_ok ? ", no key verifies" : "");
            if (tried > 0) {
                pt_print_err(path, &err);
            }
        }
        if (signer != NULL && pt_read_file(path, &der, &len)) {
            struct cmp_msg *f = pt_mutate(der, len, pt_offset_in(m, &m->protection) + 7, 2);

            cmp_err_init(&err);
            CHECK_CASE(path, f != NULL && !cmp_verify_sig(f, signer, &err) &&
                                 err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
            cmp_msg_free(f);
            verified++;
        }
        free(der);
        sk_X509_pop_free(cands, X509_free);
        cmp_msg_free(m);
    }
    pt_free_list(names, num);
    pki_cleanup(&pki);
    return verified;
}

static int
run_shared(const char *dir)
{
    /*
     * protect/IR_protected.der verifies with none of the keys there: OpenSSL's
     * cmp_protect_test only re-signs it (test_cmp_calc_protection_pkey).
     */
    static const struct {
        const char *dir, *pki, *unverifiable;
        int num_sig, num_ok;
    } dirs[] = {
        {"openssl-cli", "openssl-cli/pki", NULL, 10, 10},
        {"openssl-unit/protect", "openssl-unit/protect", "IR_protected.der", 2, 1},
        {"openssl-unit/vfy", "openssl-unit/vfy", NULL, 3, 3},
    };
    char path[4096], pki[4096];
    size_t i;
    int n, num_sig;

    pt_path(path, sizeof(path), dir, "openssl-cli");
    if (!check_have_dir(path)) {
        printf("skipped: %s is absent\n", path);
        return CHECK_SKIP;
    }
    for (i = 0; i < PT_ARRAY_LEN(dirs); i++) {
        pt_path(path, sizeof(path), dir, dirs[i].dir);
        pt_path(pki, sizeof(pki), dir, dirs[i].pki);
        n = verify_dir(path, pki, dirs[i].unverifiable, &num_sig);
        printf("%s: %d of %d signature-protected messages verified\n", dirs[i].dir, n, num_sig);
        CHECK_CASE(dirs[i].dir, n == dirs[i].num_ok && num_sig == dirs[i].num_sig);
    }
    return check_finish();
}

static int
run_generated(const char *dir)
{
    char pki[4096];
    int n, num_sig;

    pt_path(pki, sizeof(pki), dir, "pki");
    n = verify_dir(dir, pki, NULL, &num_sig);
    printf("generated: %d of %d signature-protected messages verified\n", n, num_sig);
    CHECK(n == num_sig && num_sig >= 12); /* 16 when written */
    return check_finish();
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--shared") == 0) {
        return run_shared(argv[2]);
    }
    if (argc == 3 && strcmp(argv[1], "--generated") == 0) {
        return run_generated(argv[2]);
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--shared DIR | --generated DIR]\n", argv[0]);
        return 2;
    }
    if (make_keys()) {
        test_sig_roundtrip();
        test_verify_data();
        test_misc();
        test_extra_certs();
    }
    free_keys();
    return check_finish();
}
