/*
 * Tests for lib/crypto/protect.c: PBM and PBMAC1 protection.
 *
 *   test_protect                      tables and known-answer vectors
 *   test_protect --shared DIR         every MAC-protected message of DIR
 *                                     (../shared/vectors); 77 if DIR is absent
 *   test_protect --generated DIR      every MAC-protected message of the
 *                                     generated vectors (ctest fixture)
 *
 * Parameter tables build the PBMParameter / PBMAC1-params DER field by field;
 * rows that must verify get their MAC from a reference implementation in
 * this file (plain EVP digest loops, HMAC(), PKCS5_PBKDF2_HMAC). Two
 * known-answer messages come from outside cmpkit: a PBMAC1 message built
 * and MACed by Python's hashlib/hmac (checked again with `openssl kdf` and
 * `openssl mac`), and a PBM message written by `openssl cmp` 3.0.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check.h"
#include "crypto/crypto.h"
#include "prot_test_util.h"

#define HEX_MAX 2048

/* AlgorithmIdentifiers, as hex */
#define OWF_SHA1 "300706052B0E03021A"
#define OWF_SHA256 "300B0609608648016503040201"
#define OWF_SHA256_NULL "300D06096086480165030402010500"
#define OWF_SHA256_OCTETS "300D06096086480165030402010400"
#define OWF_SHA512 "300B0609608648016503040203"
#define OWF_SHA3_256 "300B0609608648016503040208"
#define OWF_MD5 "300A06082A864886F70D0205"
#define MAC_HMAC_SHA1 "300A06082B06010505080102"
#define MAC_HMAC_SHA1_NULL "300C06082B060105050801020500"
#define MAC_HMAC_MD5 "300A06082B06010505080101"
#define MAC_SHA1 "300A06082A864886F70D0207"
#define MAC_SHA256 "300A06082A864886F70D0209"
#define MAC_SHA256_NULL "300C06082A864886F70D02090500"
#define MAC_SHA256_OCTETS "300C06082A864886F70D02090400"
#define MAC_SHA384_NULL "300C06082A864886F70D020A0500"
#define MAC_SHA512 "300A06082A864886F70D020B"
#define MAC_SHA512_NULL "300C06082A864886F70D020B0500"
#define MAC_SHA3_256 "300B060960864801650304020E"
#define KDF_PBKDF2 "06092A864886F70D01050C"
#define KDF_SCRYPT "06092B06010401DA470402" /* 1.3.6.1.4.1.11591.4.11 */

static const uint8_t SECRET[] = "cmpkit test secret";
#define SECRET_LEN (sizeof(SECRET) - 1)

static int
unhex(const char *name, const char *hex, uint8_t *buf, size_t *len)
{
    if (!check_unhex(hex, buf, HEX_MAX, len)) {
        return check_true(0, name, "malformed hex in the table", __FILE__, __LINE__);
    }
    return 1;
}

/* ---- reference implementations (for rows that must verify) ---------------- */

static int
ref_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
         uint8_t *out, size_t *out_len)
{
    const EVP_MD *md = EVP_get_digestbyname(digest);
    unsigned n = 0;

    if (md == NULL || HMAC(md, key, (int)key_len, data, len, out, &n) == NULL) {
        return 0;
    }
    *out_len = n;
    return 1;
}

static int
ref_pbm(const char *owf, const char *mac, int64_t iterations, const uint8_t *salt, size_t salt_len,
        const uint8_t *secret, size_t secret_len, const uint8_t *data, size_t len, uint8_t *out,
        size_t *out_len)
{
    const EVP_MD *md = EVP_get_digestbyname(owf);
    uint8_t in[1024], key[EVP_MAX_MD_SIZE];
    unsigned key_len = 0;
    int64_t i;

    if (md == NULL || secret_len + salt_len > sizeof(in)) {
        return 0;
    }
    memcpy(in, secret, secret_len);
    memcpy(in + secret_len, salt, salt_len);
    if (!EVP_Digest(in, secret_len + salt_len, key, &key_len, md, NULL)) {
        return 0;
    }
    for (i = 1; i < iterations; i++) {
        if (!EVP_Digest(key, key_len, key, &key_len, md, NULL)) {
            return 0;
        }
    }
    return ref_hmac(mac, key, key_len, data, len, out, out_len);
}

static int
ref_pbmac1(const char *prf, const char *mac, int64_t iterations, int64_t key_len,
           const uint8_t *salt, size_t salt_len, const uint8_t *secret, size_t secret_len,
           const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
    uint8_t key[256];

    if (key_len <= 0 || key_len > (int64_t)sizeof(key) ||
        !PKCS5_PBKDF2_HMAC((const char *)secret, (int)secret_len, salt, (int)salt_len,
                           (int)iterations, EVP_get_digestbyname(prf), (int)key_len, key)) {
        return 0;
    }
    return ref_hmac(mac, key, (size_t)key_len, data, len, out, out_len);
}

/* ---- building messages with given parameters ------------------------------ */

/* set_alg() makes |der| (an AlgorithmIdentifier) the protectionAlg of |m|. */
static int
set_alg(struct cmp_msg *m, const uint8_t *der, size_t len)
{
    uint8_t *copy = cmp_msg_dup(m, der, len);
    struct der_in in;

    if (copy == NULL) {
        return 0;
    }
    in = der_in_make(copy, len);
    memset(&m->hdr.protection_alg, 0, sizeof(m->hdr.protection_alg));
    if (!cmp_algid_decode(&in, DER_SEQUENCE, &m->hdr.protection_alg, NULL) || !der_done(&in)) {
        return 0;
    }
    m->hdr.has_protection_alg = 1;
    return 1;
}

static int
set_protection(struct cmp_msg *m, const uint8_t *p, size_t len)
{
    uint8_t *copy = cmp_msg_dup(m, p, len);

    if (copy == NULL) {
        return 0;
    }
    m->protection = der_in_make(copy, len);
    m->protection_unused = 0;
    m->has_protection = 1;
    return 1;
}

/* fresh_part() encodes the ProtectedPart of a message being built. */
static uint8_t *
fresh_part(const struct cmp_msg *m, size_t *len)
{
    struct der_out w;
    uint8_t *buf = NULL;

    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_protected_part_encode(&w, m, 0) || !der_out_finish(&w, &buf, len)) {
        der_out_cleanup(&w);
        return NULL;
    }
    return buf;
}

/* ---- PBM round trips ------------------------------------------------------ */

static const struct {
    const char *name;
    const char *owf, *mac;
    int64_t iterations;
    size_t salt_len;
    const char *owf_der, *mac_der; /* expected encodings; NULL: not checked */
    int ok;
} pbm_opts_cases[] = {
    {"defaults (openssl cmp)", NULL, NULL, 0, 0, OWF_SHA256, MAC_HMAC_SHA1, 1},
    {"sha256 + hmac-sha1", "sha256", "hmac-sha1", 500, 16, OWF_SHA256, MAC_HMAC_SHA1, 1},
    {"sha512 + hmacWithSHA256", "SHA512", "hmacWithSHA256", 500, 16, OWF_SHA512, MAC_SHA256, 1},
    {"SHA2-512 + digest name sha512", "SHA2-512", "sha512", 200, 16, OWF_SHA512, MAC_SHA512, 1},
    {"sha1 + hmacWithSHA1", "sha1", "hmacWithSHA1", 100, 8, OWF_SHA1, MAC_SHA1, 1},
    {"sha3-256 + hmac-sha3-256", "SHA3-256", "hmac-SHA3-256", 100, 32, OWF_SHA3_256, MAC_SHA3_256,
     1},
    {"salt of 256 bytes", NULL, NULL, 100, 256, NULL, NULL, 1},
    {"salt of 1 byte", NULL, NULL, 100, 1, NULL, NULL, 1},
    {"iterationCount 100001 may be sent", NULL, NULL, 100001, 0, NULL, NULL, 1},
    {"owf md5", "md5", NULL, 0, 0, NULL, NULL, 0},
    {"owf unknown", "no-such-digest", NULL, 0, 0, NULL, NULL, 0},
    {"mac unknown", NULL, "hmac-nonsense", 0, 0, NULL, NULL, 0},
    {"iterationCount 99", NULL, NULL, 99, 0, NULL, NULL, 0},
    {"iterationCount -5", NULL, NULL, -5, 0, NULL, NULL, 0},
    {"salt of 257 bytes", NULL, NULL, 0, 257, NULL, NULL, 0},
};

/* contains() is 1 if |hay| holds |hex| (decoded) as a substring. */
static int
contains(const struct der_in *hay, const char *hex)
{
    uint8_t needle[HEX_MAX];
    size_t n, i;

    if (!check_unhex(hex, needle, sizeof(needle), &n) || n > hay->len) {
        return 0;
    }
    for (i = 0; i + n <= hay->len; i++) {
        if (memcmp(hay->p + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
test_pbm_roundtrip(void)
{
    struct cmp_mac_limits raised = {200000};
    size_t i;

    for (i = 0; i < PT_ARRAY_LEN(pbm_opts_cases); i++) {
        const char *name = pbm_opts_cases[i].name;
        struct cmp_pbm_opts o = {.owf = pbm_opts_cases[i].owf,
                                 .mac = pbm_opts_cases[i].mac,
                                 .iterations = pbm_opts_cases[i].iterations,
                                 .salt_len = pbm_opts_cases[i].salt_len};
        struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
        struct cmp_err err;
        int ok;

        if (!CHECK_CASE(name, m != NULL)) {
            continue;
        }
        cmp_err_init(&err);
        ok = cmp_protect_pbm(m, &o, SECRET, SECRET_LEN, &err);
        if (!CHECK_CASE(name, ok == pbm_opts_cases[i].ok)) {
            pt_print_err(name, &err);
        }
        if (!ok) {
            /* a failed protection leaves the message unprotected */
            CHECK_CASE(name, !m->hdr.has_protection_alg && !m->has_protection);
            CHECK_CASE(name, err.code == CMP_E_ARG);
            cmp_msg_free(m);
            continue;
        }
        CHECK_CASE(name, cmp_msg_mac_protected(m));
        if (pbm_opts_cases[i].owf_der != NULL) {
            CHECK_CASE(name, contains(&m->hdr.protection_alg.params, pbm_opts_cases[i].owf_der));
            CHECK_CASE(name, contains(&m->hdr.protection_alg.params, pbm_opts_cases[i].mac_der));
        }
        /* the built message verifies as it will be sent ... */
        cmp_err_init(&err);
        if (!CHECK_CASE(name, cmp_verify_mac(m, SECRET, SECRET_LEN, &raised, &err))) {
            pt_print_err(name, &err);
        }
        /* ... and so does what a peer decodes */
        r = pt_reparse(m);
        if (CHECK_CASE(name, r != NULL)) {
            cmp_err_init(&err);
            if (!CHECK_CASE(name, cmp_verify_mac(r, SECRET, SECRET_LEN, &raised, &err))) {
                pt_print_err(name, &err);
            }
            cmp_err_init(&err);
            CHECK_CASE(name, !cmp_verify_mac(r, (const uint8_t *)"wrong", 5, &raised, &err) &&
                                 pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK,
                                           "does not verify"));
        }
        cmp_msg_free(r);
        cmp_msg_free(m);
    }
}

/* The encoding matches what openssl cmp 3.0 sends (ir_req.asn1.txt: no NULL parameters). */
static void
test_pbm_encoding(void)
{
    static const char want_prefix[] = "303C06092A864886F67D07420D302F0410";
    static const char want_suffix[] = "300B0609608648016503040201020201F4300A06082B06010505080102";
    struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF);
    struct cmp_err err;
    uint8_t pre[64], suf[64];
    size_t pre_len, suf_len;
    const struct der_in *w;

    cmp_err_init(&err);
    if (!CHECK(m != NULL) || !CHECK(cmp_protect_pbm(m, NULL, SECRET, SECRET_LEN, &err))) {
        cmp_msg_free(m);
        return;
    }
    w = &m->hdr.protection_alg.whole;
    CHECK(check_unhex(want_prefix, pre, sizeof(pre), &pre_len));
    CHECK(check_unhex(want_suffix, suf, sizeof(suf), &suf_len));
    if (CHECK(w->len == pre_len + 16 + suf_len)) {
        CHECK_MEM("PBM AlgorithmIdentifier head", w->p, pre_len, pre, pre_len);
        CHECK_MEM("PBM AlgorithmIdentifier tail", w->p + pre_len + 16, suf_len, suf, suf_len);
    }
    CHECK(m->protection.len == 20 && m->protection_unused == 0); /* HMAC-SHA1 */
    cmp_msg_free(m);
}

/* ---- PBM parameters as a peer may send them ------------------------------- */

static const struct {
    const char *name;
    size_t salt_len;
    const char *owf_der;
    const char *owf; /* digest for the reference; rows that must verify */
    int64_t iterations;
    const char *iter_der; /* replaces iterations when set */
    const char *mac_der;
    const char *mac;    /* digest for the reference */
    const char *extra;  /* appended inside PBMParameter */
    const char *params; /* replaces the whole PBMParameter when set ("" = absent) */
    int ok, code, bit;
    const char *text;
} pbm_param_cases[] = {
    {"openssl cmp form", 16, OWF_SHA256, "SHA256", 500, NULL, MAC_HMAC_SHA1, "SHA1", "", NULL, 1, 0,
     0, NULL},
    {"owf with NULL parameters", 16, OWF_SHA256_NULL, "SHA256", 500, NULL, MAC_HMAC_SHA1, "SHA1",
     "", NULL, 1, 0, 0, NULL},
    {"mac with NULL parameters", 16, OWF_SHA256, "SHA256", 500, NULL, MAC_HMAC_SHA1_NULL, "SHA1",
     "", NULL, 1, 0, 0, NULL},
    {"hmacWithSHA256 NULL", 16, OWF_SHA256, "SHA256", 500, NULL, MAC_SHA256_NULL, "SHA256", "",
     NULL, 1, 0, 0, NULL},
    {"sha512 + hmacWithSHA512", 16, OWF_SHA512, "SHA512", 300, NULL, MAC_SHA512, "SHA512", "", NULL,
     1, 0, 0, NULL},
    {"sha1 + hmacWithSHA1", 16, OWF_SHA1, "SHA1", 300, NULL, MAC_SHA1, "SHA1", "", NULL, 1, 0, 0,
     NULL},
    {"sha3-256 + hmacWithSHA3-256", 16, OWF_SHA3_256, "SHA3-256", 300, NULL, MAC_SHA3_256,
     "SHA3-256", "", NULL, 1, 0, 0, NULL},
    {"iterationCount 100 (the minimum)", 16, OWF_SHA256, "SHA256", 100, NULL, MAC_HMAC_SHA1, "SHA1",
     "", NULL, 1, 0, 0, NULL},
    {"iterationCount 100000 (the limit)", 4, OWF_SHA256, "SHA256", 100000, NULL, MAC_HMAC_SHA1,
     "SHA1", "", NULL, 1, 0, 0, NULL},
    {"salt of 1 byte", 1, OWF_SHA256, "SHA256", 100, NULL, MAC_HMAC_SHA1, "SHA1", "", NULL, 1, 0, 0,
     NULL},
    {"salt of 256 bytes", 256, OWF_SHA256, "SHA256", 100, NULL, MAC_HMAC_SHA1, "SHA1", "", NULL, 1,
     0, 0, NULL},
    {"iterationCount 100001", 16, OWF_SHA256, NULL, 100001, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0,
     CMP_E_LIMIT, CMP_FI_BAD_ALG, "PBM iterationCount 100001 exceeds the limit 100000"},
    {"iterationCount 2^40 (no work done)", 16, OWF_SHA256, NULL, 1099511627776LL, NULL,
     MAC_HMAC_SHA1, NULL, "", NULL, 0, CMP_E_LIMIT, CMP_FI_BAD_ALG,
     "iterationCount 1099511627776 exceeds the limit 100000"},
    {"iterationCount 2^72", 16, OWF_SHA256, NULL, 0, "0209010000000000000000", MAC_HMAC_SHA1, NULL,
     "", NULL, 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "PBMParameter.iterationCount"},
    {"iterationCount 99", 16, OWF_SHA256, NULL, 99, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "below the minimum 100"},
    {"iterationCount 0", 16, OWF_SHA256, NULL, 0, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "iterationCount 0 is below"},
    {"iterationCount -1", 16, OWF_SHA256, NULL, -1, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "iterationCount -1 is below"},
    {"empty salt", 0, OWF_SHA256, NULL, 500, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0, CMP_E_INVALID,
     CMP_FI_BAD_ALG, "salt of 0 bytes"},
    {"salt of 257 bytes", 257, OWF_SHA256, NULL, 500, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "salt of 257 bytes"},
    {"owf md5", 16, OWF_MD5, NULL, 500, NULL, MAC_HMAC_SHA1, NULL, "", NULL, 0, CMP_E_INVALID,
     CMP_FI_BAD_ALG, "PBM owf 1.2.840.113549.2.5 is not supported"},
    {"owf with OCTET STRING parameters", 16, OWF_SHA256_OCTETS, NULL, 500, NULL, MAC_HMAC_SHA1,
     NULL, "", NULL, 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "owf parameters"},
    {"mac hmac-md5", 16, OWF_SHA256, NULL, 500, NULL, MAC_HMAC_MD5, NULL, "", NULL, 0,
     CMP_E_INVALID, CMP_FI_BAD_ALG, "PBM mac 1.3.6.1.5.5.8.1.1 is not supported"},
    {"mac with OCTET STRING parameters", 16, OWF_SHA256, NULL, 500, NULL, MAC_SHA256_OCTETS, NULL,
     "", NULL, 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "mac parameters"},
    {"trailing element", 16, OWF_SHA256, NULL, 500, NULL, MAC_HMAC_SHA1, NULL, "0500", NULL, 0,
     CMP_E_DECODE, CMP_FI_BAD_ALG, "trailing"},
    {"no parameters", 16, NULL, NULL, 0, NULL, NULL, NULL, "", "", 0, CMP_E_INVALID, CMP_FI_BAD_ALG,
     "without PBMParameter"},
    {"parameters not a SEQUENCE", 16, NULL, NULL, 0, NULL, NULL, NULL, "", "0400", 0, CMP_E_DECODE,
     CMP_FI_BAD_ALG, "malformed PBMParameter"},
    {"mac missing", 16, NULL, NULL, 0, NULL, NULL, NULL, "",
     "30140401AA300B0609608648016503040201020201F4", 0, CMP_E_DECODE, CMP_FI_BAD_ALG,
     "PBMParameter.mac"},
    {"salt not an OCTET STRING", 16, NULL, NULL, 0, NULL, NULL, NULL, "",
     "30200301AA300B0609608648016503040201020201F4300A06082B06010505080102", 0, CMP_E_DECODE,
     CMP_FI_BAD_ALG, "PBMParameter.salt"},
};

/* build_pbm_alg() writes the PBM AlgorithmIdentifier of row |i|. */
static int
build_pbm_alg(size_t i, uint8_t *salt, uint8_t **out, size_t *out_len)
{
    uint8_t tmp[HEX_MAX];
    size_t n, seq, params;
    struct der_out w;
    const char *name = pbm_param_cases[i].name;

    der_out_init(&w, 4096);
    if (!der_open(&w, DER_SEQUENCE, &seq) ||
        !der_put_prim(&w, DER_OID, CMP_OID_PBM, CMP_OID_PBM_LEN)) {
        der_out_cleanup(&w);
        return 0;
    }
    if (pbm_param_cases[i].params != NULL) {
        if (!unhex(name, pbm_param_cases[i].params, tmp, &n) || !der_put_raw(&w, tmp, n)) {
            der_out_cleanup(&w);
            return 0;
        }
    } else {
        if (!der_open(&w, DER_SEQUENCE, &params) ||
            !der_put_octets(&w, salt, pbm_param_cases[i].salt_len) ||
            !unhex(name, pbm_param_cases[i].owf_der, tmp, &n) || !der_put_raw(&w, tmp, n)) {
            der_out_cleanup(&w);
            return 0;
        }
        if (pbm_param_cases[i].iter_der != NULL) {
            if (!unhex(name, pbm_param_cases[i].iter_der, tmp, &n) || !der_put_raw(&w, tmp, n)) {
                der_out_cleanup(&w);
                return 0;
            }
        } else if (!der_put_int64(&w, pbm_param_cases[i].iterations)) {
            der_out_cleanup(&w);
            return 0;
        }
        if (!unhex(name, pbm_param_cases[i].mac_der, tmp, &n) || !der_put_raw(&w, tmp, n) ||
            !unhex(name, pbm_param_cases[i].extra, tmp, &n) || !der_put_raw(&w, tmp, n) ||
            !der_close(&w, params)) {
            der_out_cleanup(&w);
            return 0;
        }
    }
    if (!der_close(&w, seq) || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return 0;
    }
    return 1;
}

static void
test_pbm_params(void)
{
    uint8_t salt[300];
    size_t i;

    for (i = 0; i < sizeof(salt); i++) {
        salt[i] = (uint8_t)(0x5A ^ i);
    }
    for (i = 0; i < PT_ARRAY_LEN(pbm_param_cases); i++) {
        const char *name = pbm_param_cases[i].name;
        struct cmp_msg *m = pt_build_msg(CMP_BODY_GENM), *r = NULL;
        uint8_t *alg = NULL, *part = NULL, mac[EVP_MAX_MD_SIZE];
        size_t alg_len = 0, part_len = 0, mac_len = 20;
        struct cmp_err err;
        clock_t t0;
        int ok;

        memset(mac, 0x11, sizeof(mac));
        if (!CHECK_CASE(name, m != NULL && build_pbm_alg(i, salt, &alg, &alg_len) &&
                                  set_alg(m, alg, alg_len))) {
            free(alg);
            cmp_msg_free(m);
            continue;
        }
        if (pbm_param_cases[i].ok) {
            part = fresh_part(m, &part_len);
            CHECK_CASE(name, part != NULL && ref_pbm(pbm_param_cases[i].owf, pbm_param_cases[i].mac,
                                                     pbm_param_cases[i].iterations, salt,
                                                     pbm_param_cases[i].salt_len, SECRET,
                                                     SECRET_LEN, part, part_len, mac, &mac_len));
        }
        if (CHECK_CASE(name, set_protection(m, mac, mac_len))) {
            r = pt_reparse(m);
        }
        if (CHECK_CASE(name, r != NULL)) {
            cmp_err_init(&err);
            t0 = clock();
            ok = cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err);
            if (!CHECK_CASE(name, ok == pbm_param_cases[i].ok)) {
                pt_print_err(name, &err);
            }
            if (!ok &&
                !CHECK_CASE(name, pt_err_is(&err, pbm_param_cases[i].code, pbm_param_cases[i].bit,
                                            pbm_param_cases[i].text))) {
                pt_print_err(name, &err);
            }
            if (!pbm_param_cases[i].ok) {
                /* parameters are checked before any hashing */
                CHECK_CASE(name, (double)(clock() - t0) / CLOCKS_PER_SEC < 0.05);
            }
        }
        free(alg);
        free(part);
        cmp_msg_free(r);
        cmp_msg_free(m);
    }
}

/* The iteration limit: 100001 fails with the default limit and passes when raised. */
static void
test_pbm_limits(void)
{
    struct cmp_pbm_opts o = {.iterations = 100001};
    struct cmp_mac_limits zero = {0}, negative = {-7}, raised = {100001}, lowered = {499};
    struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL, *d = NULL;
    struct cmp_pbm_opts def = {.owf = NULL};
    struct cmp_err err;

    cmp_err_init(&err);
    if (!CHECK(m != NULL) || !CHECK(cmp_protect_pbm(m, &o, SECRET, SECRET_LEN, &err)) ||
        !CHECK((r = pt_reparse(m)) != NULL)) {
        cmp_msg_free(m);
        return;
    }
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err) &&
          pt_err_is(&err, CMP_E_LIMIT, CMP_FI_BAD_ALG,
                    "PBM iterationCount 100001 exceeds the limit 100000"));
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, &zero, &err) && err.code == CMP_E_LIMIT);
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, &negative, &err) && err.code == CMP_E_LIMIT);
    cmp_err_init(&err);
    if (!CHECK(cmp_verify_mac(r, SECRET, SECRET_LEN, &raised, &err))) {
        pt_print_err("raised limit", &err);
    }
    /* a limit below openssl cmp's 500 rejects its messages */
    cmp_msg_free(m);
    m = pt_build_msg(CMP_BODY_PKICONF);
    cmp_err_init(&err);
    if (CHECK(m != NULL) && CHECK(cmp_protect_pbm(m, &def, SECRET, SECRET_LEN, &err)) &&
        CHECK((d = pt_reparse(m)) != NULL)) {
        cmp_err_init(&err);
        CHECK(!cmp_verify_mac(d, SECRET, SECRET_LEN, &lowered, &err) &&
              pt_err_is(&err, CMP_E_LIMIT, CMP_FI_BAD_ALG, "500 exceeds the limit 499"));
    }
    cmp_msg_free(d);
    cmp_msg_free(r);
    cmp_msg_free(m);
}

/* ---- PBMAC1 ---------------------------------------------------------------- */

static const struct {
    const char *name;
    const char *prf, *mac;
    int64_t iterations;
    size_t salt_len, key_len;
    const char *prf_der; /* expected prf AlgorithmIdentifier; "" = absent (default) */
    int ok;
} pbmac1_opts_cases[] = {
    {"defaults", NULL, NULL, 0, 0, 0, MAC_SHA256_NULL, 1},
    {"prf sha1 is left out (DEFAULT)", "SHA1", "SHA256", 1000, 16, 32, "", 1},
    {"prf sha512, mac sha384", "sha512", "hmacWithSHA384", 1000, 16, 48, MAC_SHA512_NULL, 1},
    {"mac hmac-sha1 (PKIX)", "SHA256", "hmac-sha1", 1000, 16, 20, MAC_SHA256_NULL, 1},
    {"key of 16 bytes", NULL, NULL, 1000, 16, 16, NULL, 1},
    {"key of 128 bytes", NULL, NULL, 1000, 16, 128, NULL, 1},
    {"key of 15 bytes", NULL, NULL, 1000, 16, 15, NULL, 0},
    {"key of 129 bytes", NULL, NULL, 1000, 16, 129, NULL, 0},
    {"prf hmac-sha1 PKIX is no PBKDF2 prf", "hmac-sha1", NULL, 1000, 16, 0, NULL, 0},
    {"prf unknown", "nonsense", NULL, 1000, 16, 0, NULL, 0},
    {"iterationCount 99", NULL, NULL, 99, 16, 0, NULL, 0},
    {"salt of 257 bytes", NULL, NULL, 1000, 257, 0, NULL, 0},
};

static void
test_pbmac1_roundtrip(void)
{
    size_t i;

    for (i = 0; i < PT_ARRAY_LEN(pbmac1_opts_cases); i++) {
        const char *name = pbmac1_opts_cases[i].name;
        struct cmp_pbmac1_opts o = {pbmac1_opts_cases[i].prf, pbmac1_opts_cases[i].mac,
                                    pbmac1_opts_cases[i].iterations, pbmac1_opts_cases[i].salt_len,
                                    pbmac1_opts_cases[i].key_len};
        struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
        struct cmp_err err;
        int ok;

        if (!CHECK_CASE(name, m != NULL)) {
            continue;
        }
        cmp_err_init(&err);
        ok = cmp_protect_pbmac1(m, &o, SECRET, SECRET_LEN, &err);
        if (!CHECK_CASE(name, ok == pbmac1_opts_cases[i].ok)) {
            pt_print_err(name, &err);
        }
        if (!ok) {
            CHECK_CASE(name, !m->hdr.has_protection_alg && !m->has_protection);
            cmp_msg_free(m);
            continue;
        }
        CHECK_CASE(name, cmp_msg_mac_protected(m));
        if (pbmac1_opts_cases[i].prf_der != NULL && pbmac1_opts_cases[i].prf_der[0] != '\0') {
            CHECK_CASE(name, contains(&m->hdr.protection_alg.params, pbmac1_opts_cases[i].prf_der));
        } else if (pbmac1_opts_cases[i].prf_der != NULL) {
            CHECK_CASE(name, !contains(&m->hdr.protection_alg.params, "06082A864886F70D0207"));
        }
        r = pt_reparse(m);
        if (CHECK_CASE(name, r != NULL)) {
            cmp_err_init(&err);
            if (!CHECK_CASE(name, cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err))) {
                pt_print_err(name, &err);
            }
            cmp_err_init(&err);
            CHECK_CASE(name, !cmp_verify_mac(r, SECRET, SECRET_LEN - 1, NULL, &err) &&
                                 pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK,
                                           "PBMAC1 protection does not verify"));
        }
        cmp_msg_free(r);
        cmp_msg_free(m);
    }
}

static const struct {
    const char *name;
    const char *kdf_oid;
    const char *salt; /* the salt element; NULL: 16-byte OCTET STRING */
    int64_t iterations;
    int64_t key_len;     /* -1: absent */
    const char *prf_der; /* NULL: absent */
    const char *prf;     /* digest for the reference */
    const char *extra;   /* appended inside PBKDF2-params */
    const char *mac_der;
    const char *mac;
    const char *params; /* replaces PBMAC1-params when set ("" = absent) */
    int ok, code, bit;
    const char *text;
} pbmac1_param_cases[] = {
    {"RFC 9481 form", KDF_PBKDF2, NULL, 1000, 32, MAC_SHA256_NULL, "SHA256", "", MAC_SHA256_NULL,
     "SHA256", NULL, 1, 0, 0, NULL},
    {"prf DEFAULT hmacWithSHA1", KDF_PBKDF2, NULL, 1000, 20, NULL, "SHA1", "", MAC_SHA256_NULL,
     "SHA256", NULL, 1, 0, 0, NULL},
    {"prf and mac without NULL", KDF_PBKDF2, NULL, 1000, 64, MAC_SHA512, "SHA512", "", MAC_SHA256,
     "SHA256", NULL, 1, 0, 0, NULL},
    {"mac hmac-sha1 PKIX", KDF_PBKDF2, NULL, 1000, 20, MAC_SHA256_NULL, "SHA256", "", MAC_HMAC_SHA1,
     "SHA1", NULL, 1, 0, 0, NULL},
    {"iterationCount 100000 (the limit)", KDF_PBKDF2, NULL, 100000, 16, MAC_SHA256_NULL, "SHA256",
     "", MAC_SHA256_NULL, "SHA256", NULL, 1, 0, 0, NULL},
    {"keyLength absent", KDF_PBKDF2, NULL, 1000, -1, MAC_SHA256_NULL, NULL, "", MAC_SHA256_NULL,
     NULL, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "keyLength is absent"},
    {"keyLength 8", KDF_PBKDF2, NULL, 1000, 8, MAC_SHA256_NULL, NULL, "", MAC_SHA256_NULL, NULL,
     NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "keyLength 8 is outside 16..128"},
    {"keyLength 4096", KDF_PBKDF2, NULL, 1000, 4096, MAC_SHA256_NULL, NULL, "", MAC_SHA256_NULL,
     NULL, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "keyLength 4096"},
    {"iterationCount 100001", KDF_PBKDF2, NULL, 100001, 32, MAC_SHA256_NULL, NULL, "",
     MAC_SHA256_NULL, NULL, NULL, 0, CMP_E_LIMIT, CMP_FI_BAD_ALG,
     "PBMAC1 iterationCount 100001 exceeds the limit 100000"},
    {"iterationCount 2^40 (no work done)", KDF_PBKDF2, NULL, 1099511627776LL, 32, MAC_SHA256_NULL,
     NULL, "", MAC_SHA256_NULL, NULL, NULL, 0, CMP_E_LIMIT, CMP_FI_BAD_ALG, "exceeds the limit"},
    {"iterationCount 1", KDF_PBKDF2, NULL, 1, 32, MAC_SHA256_NULL, NULL, "", MAC_SHA256_NULL, NULL,
     NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "below the minimum"},
    {"salt otherSource", KDF_PBKDF2, "300706052B0E03021A", 1000, 32, MAC_SHA256_NULL, NULL, "",
     MAC_SHA256_NULL, NULL, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "otherSource"},
    {"empty salt", KDF_PBKDF2, "0400", 1000, 32, MAC_SHA256_NULL, NULL, "", MAC_SHA256_NULL, NULL,
     NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "salt of 0 bytes"},
    {"kdf scrypt", KDF_SCRYPT, NULL, 1000, 32, MAC_SHA256_NULL, NULL, "", MAC_SHA256_NULL, NULL,
     NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "is not PBKDF2"},
    {"prf hmac-sha1 PKIX", KDF_PBKDF2, NULL, 1000, 32, MAC_HMAC_SHA1, NULL, "", MAC_SHA256_NULL,
     NULL, NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "PBKDF2 prf 1.3.6.1.5.5.8.1.2"},
    {"prf with OCTET STRING parameters", KDF_PBKDF2, NULL, 1000, 32, MAC_SHA256_OCTETS, NULL, "",
     MAC_SHA256_NULL, NULL, NULL, 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "prf parameters"},
    {"mac hmac-md5", KDF_PBKDF2, NULL, 1000, 32, MAC_SHA256_NULL, NULL, "", MAC_HMAC_MD5, NULL,
     NULL, 0, CMP_E_INVALID, CMP_FI_BAD_ALG, "messageAuthScheme 1.3.6.1.5.5.8.1.1"},
    {"trailing element in PBKDF2-params", KDF_PBKDF2, NULL, 1000, 32, MAC_SHA256_NULL, NULL, "0500",
     MAC_SHA256_NULL, NULL, NULL, 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "PBKDF2-params"},
    {"no parameters", KDF_PBKDF2, NULL, 0, 0, NULL, NULL, "", NULL, NULL, "", 0, CMP_E_INVALID,
     CMP_FI_BAD_ALG, "without PBMAC1-params"},
    {"messageAuthScheme missing", KDF_PBKDF2, NULL, 0, 0, NULL, NULL, "", NULL, NULL,
     "300D300B06092A864886F70D01050C", 0, CMP_E_DECODE, CMP_FI_BAD_ALG, "PBMAC1-params"},
};

static int
build_pbmac1_alg(size_t i, const uint8_t *salt, uint8_t **out, size_t *out_len)
{
    const char *name = pbmac1_param_cases[i].name;
    uint8_t tmp[HEX_MAX];
    size_t n, seq, params, kdf, kp;
    struct der_out w;
    int ok;

    der_out_init(&w, 4096);
    ok = der_open(&w, DER_SEQUENCE, &seq) &&
         der_put_prim(&w, DER_OID, CMP_OID_PBMAC1, CMP_OID_PBMAC1_LEN);
    if (ok && pbmac1_param_cases[i].params != NULL) {
        ok = unhex(name, pbmac1_param_cases[i].params, tmp, &n) && der_put_raw(&w, tmp, n);
    } else if (ok) {
        ok = der_open(&w, DER_SEQUENCE, &params) && der_open(&w, DER_SEQUENCE, &kdf) &&
             unhex(name, pbmac1_param_cases[i].kdf_oid, tmp, &n) && der_put_raw(&w, tmp, n) &&
             der_open(&w, DER_SEQUENCE, &kp);
        if (ok && pbmac1_param_cases[i].salt != NULL) {
            ok = unhex(name, pbmac1_param_cases[i].salt, tmp, &n) && der_put_raw(&w, tmp, n);
        } else if (ok) {
            ok = der_put_octets(&w, salt, 16);
        }
        ok =
            ok && der_put_int64(&w, pbmac1_param_cases[i].iterations) &&
            (pbmac1_param_cases[i].key_len < 0 || der_put_int64(&w, pbmac1_param_cases[i].key_len));
        if (ok && pbmac1_param_cases[i].prf_der != NULL) {
            ok = unhex(name, pbmac1_param_cases[i].prf_der, tmp, &n) && der_put_raw(&w, tmp, n);
        }
        ok = ok && unhex(name, pbmac1_param_cases[i].extra, tmp, &n) && der_put_raw(&w, tmp, n) &&
             der_close(&w, kp) && der_close(&w, kdf) &&
             unhex(name, pbmac1_param_cases[i].mac_der, tmp, &n) && der_put_raw(&w, tmp, n) &&
             der_close(&w, params);
    }
    if (!ok || !der_close(&w, seq) || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return 0;
    }
    return 1;
}

static void
test_pbmac1_params(void)
{
    uint8_t salt[16];
    size_t i;

    for (i = 0; i < sizeof(salt); i++) {
        salt[i] = (uint8_t)(0xC0 + i);
    }
    for (i = 0; i < PT_ARRAY_LEN(pbmac1_param_cases); i++) {
        const char *name = pbmac1_param_cases[i].name;
        struct cmp_msg *m = pt_build_msg(CMP_BODY_GENM), *r = NULL;
        uint8_t *alg = NULL, *part = NULL, mac[EVP_MAX_MD_SIZE];
        size_t alg_len = 0, part_len = 0, mac_len = 32;
        struct cmp_err err;
        clock_t t0;
        int ok;

        memset(mac, 0x22, sizeof(mac));
        if (!CHECK_CASE(name, m != NULL && build_pbmac1_alg(i, salt, &alg, &alg_len) &&
                                  set_alg(m, alg, alg_len))) {
            free(alg);
            cmp_msg_free(m);
            continue;
        }
        if (pbmac1_param_cases[i].ok) {
            part = fresh_part(m, &part_len);
            CHECK_CASE(name, part != NULL &&
                                 ref_pbmac1(pbmac1_param_cases[i].prf, pbmac1_param_cases[i].mac,
                                            pbmac1_param_cases[i].iterations,
                                            pbmac1_param_cases[i].key_len, salt, sizeof(salt),
                                            SECRET, SECRET_LEN, part, part_len, mac, &mac_len));
        }
        if (CHECK_CASE(name, set_protection(m, mac, mac_len))) {
            r = pt_reparse(m);
        }
        if (CHECK_CASE(name, r != NULL)) {
            cmp_err_init(&err);
            t0 = clock();
            ok = cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err);
            if (!CHECK_CASE(name, ok == pbmac1_param_cases[i].ok)) {
                pt_print_err(name, &err);
            }
            if (!ok && !CHECK_CASE(name, pt_err_is(&err, pbmac1_param_cases[i].code,
                                                   pbmac1_param_cases[i].bit,
                                                   pbmac1_param_cases[i].text))) {
                pt_print_err(name, &err);
            }
            if (!pbmac1_param_cases[i].ok) {
                CHECK_CASE(name, (double)(clock() - t0) / CLOCKS_PER_SEC < 0.05);
            }
        }
        free(alg);
        free(part);
        cmp_msg_free(r);
        cmp_msg_free(m);
    }
}

/* ---- known answers from outside cmpkit -------------------------------------- */

/*
 * A pkiConf with PBMAC1 protection, built and MACed by Python:
 *   key = hashlib.pbkdf2_hmac('sha512', b'cmpkit-pbmac1-kat',
 *                             bytes(range(0x10, 0x20)), 1000, 32)
 *   protection = hmac.new(key, DER(ProtectedPart), hashlib.sha256)
 * and checked with `openssl kdf -keylen 32 -kdfopt digest:SHA512 ... PBKDF2`
 * and `openssl mac -digest SHA256 -macopt hexkey:... HMAC`.
 */
static const char pbmac1_kat[] =
    "3081E13081B5020102A41730153113301106035504030C0A4B41542073656E646572A41A30183116301406"
    "035504030C0D4B415420726563697069656E74A153305106092A864886F70D01050E3044303406092A8648"
    "86F70D01050C30270410101112131415161718191A1B1C1D1E1F020203E8020120300C06082A864886F70D"
    "020B0500300C06082A864886F70D02090500A412041000000000000000000000000000000000A512041055"
    "555555555555555555555555555555B3020500A02303210078373CD052402873C86761BBFB16F1B027AAFC"
    "67E3051B4FFFABED249B3A64CA";

/* A genp that `openssl cmp` 3.0 (mock server) protected with PBM, secret "cmpkit-pbm-secret". */
static const char pbm_kat[] =
    "3081F53081C9020102A4233021311F301D06035504030C16636D706B6974205465737420434D5020536572"
    "766572A4023000A011180F32303236313132363230333334375AA13E303C06092A864886F67D07420D302F"
    "041045FA47E63E9D79A210C6B606679CB62F300B0609608648016503040201020201F4300A06082B060105"
    "05080102A20C040A636D706B69742D726566A4120410181E66D35419DFBAAEC340388824090AA512041002"
    "00F70F928BCF3A58CBED4D99D94202A6120410DC39780F3DBA19B07AD8A7CB08D450DFB60E300C300A0608"
    "2B06010505070402A0170315004970FF730C1777B08F3E3850D8250A36986732D3";

static void
test_kat_one(const char *name, const char *hex, const char *secret)
{
    uint8_t der[HEX_MAX];
    size_t len, bit;
    struct cmp_msg *m = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!unhex(name, hex, der, &len) || !CHECK_CASE(name, cmp_msg_decode(&m, der, len, &err))) {
        return;
    }
    CHECK_CASE(name, cmp_msg_mac_protected(m));
    cmp_err_init(&err);
    if (!CHECK_CASE(name, cmp_verify_mac(m, (const uint8_t *)secret, strlen(secret), NULL, &err))) {
        pt_print_err(name, &err);
    }
    cmp_err_init(&err);
    CHECK_CASE(name, !cmp_verify_mac(m, (const uint8_t *)"x", 1, NULL, &err) &&
                         err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
    /* every bit of the protection and of the body counts */
    for (bit = 0; bit < 8; bit++) {
        struct cmp_msg *p = pt_mutate(der, len, len - 1 - bit, (unsigned)bit);
        struct cmp_msg *b = pt_mutate(der, len, pt_offset_in(m, &m->body.raw) + 2, (unsigned)bit);

        cmp_err_init(&err);
        CHECK_CASE(name,
                   p != NULL &&
                       !cmp_verify_mac(p, (const uint8_t *)secret, strlen(secret), NULL, &err) &&
                       err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
        cmp_err_init(&err);
        CHECK_CASE(name, b == NULL || !cmp_verify_mac(b, (const uint8_t *)secret, strlen(secret),
                                                      NULL, &err));
        cmp_msg_free(p);
        cmp_msg_free(b);
    }
    cmp_msg_free(m);
}

static void
test_kats(void)
{
    test_kat_one("PBMAC1 known answer (Python hashlib)", pbmac1_kat, "cmpkit-pbmac1-kat");
    test_kat_one("PBM known answer (openssl cmp 3.0)", pbm_kat, "cmpkit-pbm-secret");
}

/* ---- the protection value and the message ------------------------------------ */

static void
test_protection_value(void)
{
    struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
    struct cmp_err err;
    uint8_t *der = NULL;
    size_t len = 0;

    cmp_err_init(&err);
    if (!CHECK(m != NULL) || !CHECK(cmp_protect_pbm(m, NULL, SECRET, SECRET_LEN, &err))) {
        cmp_msg_free(m);
        return;
    }
    der = pt_encode(m, &len);
    r = pt_reparse(m);
    if (!CHECK(der != NULL && r != NULL)) {
        free(der);
        cmp_msg_free(r);
        cmp_msg_free(m);
        return;
    }
    /* a MAC one byte short (corrupted MAC length) */
    r->protection.len--;
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err) &&
          err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
    r->protection.len++;
    /* unused bits in the BIT STRING */
    r->protection_unused = 3;
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err) &&
          pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK, "unused bits"));
    r->protection_unused = 0;
    /* no protection at all */
    r->has_protection = 0;
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err) &&
          pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK, "no protection"));
    r->has_protection = 1;
    /* no secret */
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, NULL, 0, NULL, &err) && err.code == CMP_E_ARG);
    cmp_err_init(&err);
    CHECK(!cmp_protect_pbm(m, NULL, SECRET, 0, &err) && err.code == CMP_E_ARG);
    /* no protectionAlg */
    r->hdr.has_protection_alg = 0;
    CHECK(!cmp_msg_mac_protected(r));
    cmp_err_init(&err);
    CHECK(!cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err) &&
          pt_err_is(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK, "no protectionAlg"));
    r->hdr.has_protection_alg = 1;
    cmp_err_init(&err);
    CHECK(cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err));
    /* a message that was built but never protected has no bytes to verify */
    {
        struct cmp_msg *b = pt_build_msg(CMP_BODY_PKICONF);

        CHECK(b != NULL &&
              set_alg(b, m->hdr.protection_alg.whole.p, m->hdr.protection_alg.whole.len) &&
              set_protection(b, m->protection.p, m->protection.len) && cmp_msg_mac_protected(b));
        cmp_err_init(&err);
        CHECK(b != NULL && !cmp_verify_mac(b, SECRET, SECRET_LEN, NULL, &err) &&
              err.code == CMP_E_ARG);
        cmp_msg_free(b);
    }
    free(der);
    cmp_msg_free(r);
    cmp_msg_free(m);
}

/* Re-protecting a decoded message replaces protectionAlg and protection. */
static void
test_reprotect(void)
{
    uint8_t der[HEX_MAX];
    size_t len;
    struct cmp_msg *m = NULL, *r = NULL;
    struct cmp_pbmac1_opts o = {NULL, NULL, 1000, 0, 0};
    struct cmp_err err;

    cmp_err_init(&err);
    if (!unhex("reprotect", pbm_kat, der, &len) || !CHECK(cmp_msg_decode(&m, der, len, &err))) {
        return;
    }
    CHECK(cmp_protect_pbmac1(m, &o, SECRET, SECRET_LEN, &err));
    cmp_err_init(&err);
    CHECK(cmp_verify_mac(m, SECRET, SECRET_LEN, NULL, &err));
    r = pt_reparse(m);
    cmp_err_init(&err);
    CHECK(r != NULL && cmp_verify_mac(r, SECRET, SECRET_LEN, NULL, &err) &&
          der_oid_eq(&r->hdr.protection_alg.oid, CMP_OID_PBMAC1, CMP_OID_PBMAC1_LEN));
    /* everything but the protection fields is as before */
    CHECK(r != NULL && r->hdr.has_sender_kid && r->hdr.sender_kid.len == 10 &&
          r->has_extra_certs == m->has_extra_certs && r->body.type == CMP_BODY_GENP);
    cmp_msg_free(r);
    cmp_msg_free(m);
}

/* cmp_fail_ssl() moves OpenSSL's error queue into the message and empties it. */
static void
test_fail_ssl(void)
{
    struct cmp_err err;
    EVP_MD *md;

    cmp_err_init(&err);
    md = EVP_MD_fetch(NULL, "no-such-digest-cmpkit", NULL);
    CHECK(md == NULL);
    CHECK(ERR_peek_error() != 0);
    CHECK(CMP_FAIL_SSL(&err, CMP_FI_BAD_ALG, "fetching %s", "no-such-digest-cmpkit") == 0);
    CHECK(err.code == CMP_E_CRYPTO && err.failure_bit == CMP_FI_BAD_ALG);
    CHECK(strstr(err.msg, "fetching no-such-digest-cmpkit: error:") != NULL);
    CHECK(ERR_peek_error() == 0);
    /* an empty queue leaves just the text */
    cmp_err_init(&err);
    CHECK(CMP_FAIL_SSL(&err, CMP_FI_NONE, "nothing queued") == 0);
    CHECK(strcmp(err.msg, "nothing queued") == 0);
}

/* ---- vectors ------------------------------------------------------------------ */

struct vec_secret {
    const char *file; /* file name, or "*" for every other file */
    const char *secret;
    int ok;
};

/*
 * verify_dir() verifies every MAC-protected message in |dir| with the
 * secret that |secrets| gives its name; returns the number verified (as
 * expected), counting failures as failed checks.
 */
static int
verify_dir(const char *dir, const struct vec_secret *secrets, size_t num_secrets)
{
    char **names = NULL, path[4096];
    size_t num = 0, i, j;
    int count = 0;

    if (!CHECK_CASE(dir, pt_list_dir(dir, ".der", &names, &num))) {
        return 0;
    }
    for (i = 0; i < num; i++) {
        const struct vec_secret *s = NULL;
        struct cmp_msg *m;
        struct cmp_err err;
        uint8_t *der = NULL;
        size_t len = 0;
        int ok;

        pt_path(path, sizeof(path), dir, names[i]);
        m = pt_decode_file(path);
        if (m == NULL || !cmp_msg_mac_protected(m)) {
            if (m != NULL && !m->hdr.has_protection_alg) {
                cmp_err_init(&err);
                CHECK_CASE(path, !cmp_verify_mac(m, SECRET, SECRET_LEN, NULL, &err) &&
                                     err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
            }
            cmp_msg_free(m);
            continue;
        }
        for (j = 0; j < num_secrets && s == NULL; j++) {
            if (strcmp(secrets[j].file, names[i]) == 0 || strcmp(secrets[j].file, "*") == 0) {
                s = &secrets[j];
            }
        }
        if (s == NULL) {
            cmp_msg_free(m);
            continue;
        }
        cmp_err_init(&err);
        ok = cmp_verify_mac(m, (const uint8_t *)s->secret, strlen(s->secret), NULL, &err);
        if (!CHECK_CASE(path, ok == s->ok)) {
            pt_print_err(path, &err);
        }
        if (!s->ok) {
            CHECK_CASE(path, err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
        }
        /* a flipped bit in the protection must fail */
        if (s->ok && pt_read_file(path, &der, &len)) {
            struct cmp_msg *f = pt_mutate(der, len, pt_offset_in(m, &m->protection) + 3, 5);

            cmp_err_init(&err);
            CHECK_CASE(path, f != NULL &&
                                 !cmp_verify_mac(f, (const uint8_t *)s->secret, strlen(s->secret),
                                                 NULL, &err) &&
                                 err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
            cmp_msg_free(f);
        }
        free(der);
        count += ok == s->ok;
        cmp_msg_free(m);
    }
    pt_free_list(names, num);
    return count;
}

static int
run_shared(const char *dir)
{
    /* the server answered err_ir_req with "wrong pbm value": another secret */
    static const struct vec_secret cli[] = {{"err_ir_req.der", "test", 0}, {"*", "test", 1}};
    static const struct vec_secret protect[] = {{"IP_PBM.der", "insta", 1}};
    static const struct vec_secret server[] = {{"CR_protected_PBM_1234.der", "1234", 1}};
    static const struct vec_secret vfy[] = {{"IP_waitingStatus_PBM.der", "9pp8-b35i-Xd3Q-udNR", 1}};
    char path[4096];
    int n;

    pt_path(path, sizeof(path), dir, "openssl-cli");
    if (!check_have_dir(path)) {
        printf("skipped: %s is absent\n", path);
        return CHECK_SKIP;
    }
    n = verify_dir(path, cli, PT_ARRAY_LEN(cli));
    printf("openssl-cli: %d PBM-protected messages checked\n", n);
    CHECK(n == 26); /* summary.txt: 26 "password based MAC" */
    pt_path(path, sizeof(path), dir, "openssl-unit/protect");
    CHECK(verify_dir(path, protect, PT_ARRAY_LEN(protect)) == 1);
    pt_path(path, sizeof(path), dir, "openssl-unit/server");
    CHECK(verify_dir(path, server, PT_ARRAY_LEN(server)) == 1);
    pt_path(path, sizeof(path), dir, "openssl-unit/vfy");
    CHECK(verify_dir(path, vfy, PT_ARRAY_LEN(vfy)) == 1);
    return check_finish();
}

static int
run_generated(const char *dir)
{
    char path[4096], secret[256];
    struct vec_secret secrets[2];
    int n;

    pt_path(path, sizeof(path), dir, "secret.txt");
    if (!CHECK_CASE(path, pt_read_secret(path, secret, sizeof(secret)))) {
        return check_finish();
    }
    /* gen_vectors.sh sends badmac_pbm's ir with "wrong-secret" */
    secrets[0].file = "badmac_pbm_1_ir.der";
    secrets[0].secret = secret;
    secrets[0].ok = 0;
    secrets[1].file = "*";
    secrets[1].secret = secret;
    secrets[1].ok = 1;
    n = verify_dir(dir, secrets, 2);
    printf("generated: %d PBM-protected messages checked\n", n);
    CHECK(n >= 30); /* 36 when written */
    secrets[0].secret = "wrong-secret";
    secrets[0].ok = 1;
    n = verify_dir(dir, secrets, 1);
    CHECK(n == 1);
    return check_finish();
}

/* cmp_pbm_derive(): a key derived once protects many messages that verify with the secret. */
static void
test_pbm_derived_key(void)
{
    static const uint8_t secret[] = "derived-key secret";
    uint8_t salt[CMP_PBM_MAX_SALT_LEN], key[EVP_MAX_MD_SIZE];
    size_t salt_len = 0, key_len = 0;
    struct cmp_pbm_opts o;
    struct cmp_err err;
    int n;

    cmp_err_init(&err);
    memset(&o, 0, sizeof(o));
    CHECK(cmp_pbm_derive(NULL, secret, sizeof(secret) - 1, salt, &salt_len, key, &key_len, &err));
    CHECK(salt_len == 16 && key_len == 32);
    o.salt = salt;
    o.salt_len = salt_len;
    o.key = key;
    o.key_len = key_len;
    for (n = 0; n < 2; n++) {
        struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF), *r = NULL;
        uint8_t *der = NULL;
        size_t der_len = 0;

        CHECK(m != NULL && cmp_protect_pbm(m, &o, secret, sizeof(secret) - 1, &err));
        CHECK(m != NULL && cmp_msg_encode(m, &der, &der_len, &err));
        CHECK(der != NULL && cmp_msg_decode(&r, der, der_len, &err));
        CHECK(r != NULL && cmp_verify_mac(r, secret, sizeof(secret) - 1, NULL, &err));
        CHECK(r != NULL && !cmp_verify_mac(r, (const uint8_t *)"other", 5, NULL, &err));
        cmp_msg_free(r);
        r = NULL;
        /* the second time the verifier's key comes from its cache (same salt and secret): an
         * altered MAC still fails, and the cache keeps the key for the right secret only */
        der[der_len - 1] ^= 1;
        CHECK(cmp_msg_decode(&r, der, der_len, &err));
        CHECK(r != NULL && !cmp_verify_mac(r, secret, sizeof(secret) - 1, NULL, &err) &&
              err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
        CHECK(r != NULL && !cmp_verify_mac(r, (const uint8_t *)"other", 5, NULL, &err));
        free(der);
        cmp_msg_free(r);
        cmp_msg_free(m);
    }
    /* a key without its salt is refused */
    o.salt = NULL;
    {
        struct cmp_msg *m = pt_build_msg(CMP_BODY_PKICONF);
        CHECK(m != NULL && !cmp_protect_pbm(m, &o, secret, sizeof(secret) - 1, &err));
        cmp_msg_free(m);
    }
    OPENSSL_cleanse(key, sizeof(key));
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
    test_pbm_roundtrip();
    test_pbm_encoding();
    test_pbm_params();
    test_pbm_limits();
    test_pbm_derived_key();
    test_pbmac1_roundtrip();
    test_pbmac1_params();
    test_kats();
    test_protection_value();
    test_reprotect();
    test_fail_ssl();
    return check_finish();
}
