/*
 * MAC-based protection of PKIMessages (RFC 9810 5.1.3.1):
 *   PBM     RFC 4211 4.4 (as updated by RFC 9045), RFC 9481 6.1.1
 *   PBMAC1  RFC 8018 A.5 and 7.1, RFC 9480 2.2, RFC 9481 6.1.3
 * plus what protect.c and sig.c share (protect_internal.h) and cmp_fail_ssl().
 *
 * A sender chooses the parameters of its MAC, and an attacker can send any
 * parameters it likes. So verification parses them completely and checks
 * every one against fixed bounds and the caller's limits before it hashes
 * anything: the iteration count (a huge one is a denial of service), the salt
 * length, the PBMAC1 key length (a short key would turn forgery into a
 * guess) and the algorithms (only those in the tables below).
 */
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"
#include "crypto/protect_internal.h"

/* RFC 4211 4.4 (RFC 9045): "The iterationCount MUST be a minimum of 100." */
#define PBM_MIN_ITERATIONS 100
#define PBM_DEFAULT_ITERATIONS 500 /* openssl cmp */
#define PBM_DEFAULT_SALT_LEN 16    /* openssl cmp */
#define PBMAC1_DEFAULT_ITERATIONS 10000
/*
 * A PBMAC1 key shorter than this would let a forger guess the key instead of
 * the password: the verifier derives whatever length the message asks for.
 */
#define PBMAC1_MIN_KEY_LEN 16
#define OID_TEXT_MAX 96

/*
 * HMAC algorithms (RFC 9481 6.2.1) with their digests; |pkcs5| marks the
 * RFC 8018 PBKDF2 PRFs.
 */
struct mac_alg {
    int nid;
    const char *name;   /* as -mac and -pbmac1_mac take it */
    const char *digest; /* the OpenSSL digest name (digest.c) */
    int pkcs5;
};

static const struct mac_alg mac_algs[] = {
    /* 1.3.6.1.5.5.8.1.2: openssl cmp's default for PBM (RFC 4210) */
    {CMP_NID_HMAC_SHA1, "hmac-sha1", "SHA1", 0},
    {CMP_NID_HMAC_WITH_SHA1, "hmacWithSHA1", "SHA1", 1},
    {CMP_NID_HMAC_WITH_SHA224, "hmacWithSHA224", "SHA224", 1},
    {CMP_NID_HMAC_WITH_SHA256, "hmacWithSHA256", "SHA256", 1},
    {CMP_NID_HMAC_WITH_SHA384, "hmacWithSHA384", "SHA384", 1},
    {CMP_NID_HMAC_WITH_SHA512, "hmacWithSHA512", "SHA512", 1},
    {CMP_NID_HMAC_WITH_SHA512_224, "hmacWithSHA512-224", "SHA512-224", 1},
    {CMP_NID_HMAC_WITH_SHA512_256, "hmacWithSHA512-256", "SHA512-256", 1},
    {CMP_NID_HMAC_SHA3_224, "hmacWithSHA3-224", "SHA3-224", 0},
    {CMP_NID_HMAC_SHA3_256, "hmacWithSHA3-256", "SHA3-256", 0},
    {CMP_NID_HMAC_SHA3_384, "hmacWithSHA3-384", "SHA3-384", 0},
    {CMP_NID_HMAC_SHA3_512, "hmacWithSHA3-512", "SHA3-512", 0},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors -------------------------------------------------------------- */

int
cmp_fail_ssl(struct cmp_err *err, int failure_bit, const char *file, int line, const char *fmt, ...)
{
    char what[CMP_ERR_MSG_MAX], first_text[160] = "", last_text[96] = "";
    const char *data = NULL, *d;
    unsigned long e, first = 0, last = 0;
    int flags = 0, f;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    for (;;) {
        e = ERR_get_error_all(NULL, NULL, NULL, &d, &f);
        if (e == 0) {
            break;
        }
        if (first == 0) {
            first = e;
            data = d;
            flags = f;
            ERR_error_string_n(e, first_text, sizeof(first_text));
            if (data != NULL && (flags & ERR_TXT_STRING) != 0 && data[0] != '\0') {
                size_t n = strlen(first_text);
                snprintf(first_text + n, sizeof(first_text) - n, " (%s)", data);
            }
        }
        last = e;
    }
    ERR_clear_error();
    if (last != first && ERR_reason_error_string(last) != NULL) {
        snprintf(last_text, sizeof(last_text), "; %s", ERR_reason_error_string(last));
    }
    if (first == 0) {
        return cmp_err_set(err, CMP_E_CRYPTO, failure_bit, file, line, "%s", what);
    }
    return cmp_err_set(err, CMP_E_CRYPTO, failure_bit, file, line, "%s: %s%s", what, first_text,
                       last_text);
}

/* A malformed parameter of a MAC algorithm: the peer's algorithm is unusable. */
#define BAD_PARAMS(err, what)                                                                      \
    cmp_err_set((err), CMP_E_DECODE, CMP_FI_BAD_ALG, __FILE__, __LINE__, "malformed %s", (what))

static const char *
oid_text(const struct der_in *oid, char *buf, size_t len)
{
    if (!der_oid_to_text(oid, buf, len)) {
        snprintf(buf, len, "(bad OID)");
    }
    return buf;
}

/* ---- what protect.c and sig.c share (protect_internal.h) ---------------- */

void
cmp_prot_begin(const struct cmp_msg *msg, struct cmp_prot_saved *saved)
{
    saved->has_protection_alg = msg->hdr.has_protection_alg;
    saved->protection_alg = msg->hdr.protection_alg;
    saved->hdr_raw = msg->hdr.raw;
    saved->body_raw = msg->body.raw;
    saved->has_protection = msg->has_protection;
    saved->protection = msg->protection;
    saved->protection_unused = msg->protection_unused;
}

void
cmp_prot_abort(struct cmp_msg *msg, const struct cmp_prot_saved *saved)
{
    msg->hdr.has_protection_alg = saved->has_protection_alg;
    msg->hdr.protection_alg = saved->protection_alg;
    msg->hdr.raw = saved->hdr_raw;
    msg->body.raw = saved->body_raw;
    msg->has_protection = saved->has_protection;
    msg->protection = saved->protection;
    msg->protection_unused = saved->protection_unused;
}

int
cmp_prot_set_alg(struct cmp_msg *msg, const uint8_t *der, size_t len, struct cmp_err *err)
{
    struct cmp_algid alg;
    struct der_in in;
    uint8_t *copy = cmp_msg_dup(msg, der, len);

    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "protectionAlg");
    }
    memset(&alg, 0, sizeof(alg));
    in = der_in_make(copy, len);
    if (!cmp_algid_decode(&in, DER_SEQUENCE, &alg, err) || !der_done(&in)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "protectionAlg: not one AlgorithmIdentifier");
    }
    msg->hdr.protection_alg = alg;
    msg->hdr.has_protection_alg = 1;
    return 1;
}

int
cmp_prot_part_fresh(struct cmp_msg *msg, struct der_in *out, struct cmp_err *err)
{
    struct der_out w;
    struct der_in in, hdr, body;
    uint8_t *buf = NULL, *copy;
    size_t len = 0;

    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_protected_part_encode(&w, msg, 0) || !der_out_finish(&w, &buf, &len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "cannot encode the ProtectedPart");
    }
    copy = cmp_msg_dup(msg, buf, len);
    free(buf);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "ProtectedPart");
    }
    in = der_in_make(copy, len);
    if (!der_get(&in, DER_SEQUENCE, &in) || !der_get_any(&in, NULL, NULL, &hdr) ||
        !der_get_any(&in, NULL, NULL, &body) || !der_done(&in)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "ProtectedPart is not SEQUENCE { header, body }");
    }
    msg->hdr.raw = hdr;
    msg->body.raw = body;
    *out = der_in_make(copy, len);
    return 1;
}

int
cmp_prot_part_received(const struct cmp_msg *msg, uint8_t **out, size_t *out_len,
                       struct cmp_err *err)
{
    struct der_out w;

    *out = NULL;
    *out_len = 0;
    if (msg->hdr.raw.len == 0 || msg->body.raw.len == 0) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "the message was neither received nor protected: no header and body "
                        "bytes to verify");
    }
    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_protected_part_encode(&w, msg, 1) || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "cannot assemble the ProtectedPart");
    }
    return 1;
}

int
cmp_prot_set_value(struct cmp_msg *msg, const uint8_t *p, size_t len, struct cmp_err *err)
{
    uint8_t *copy = cmp_msg_dup(msg, p, len);

    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "protection");
    }
    msg->protection = der_in_make(copy, len);
    msg->protection_unused = 0;
    msg->has_protection = 1;
    return 1;
}

int
cmp_prot_check_value(const struct cmp_msg *msg, struct cmp_err *err)
{
    if (!msg->has_protection) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK, "the message has no protection");
    }
    if (msg->protection_unused != 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "the protection BIT STRING has %u unused bits",
                             msg->protection_unused);
    }
    return 1;
}

/* ---- algorithm tables ---------------------------------------------------- */

/* A one-way function for PBM (RFC 9481 2): a digest of the table, not an XOF. */
static const struct cmp_digest *
owf_by_oid(const struct der_in *oid)
{
    const struct cmp_digest *d = cmp_digest_by_oid(oid);

    return d != NULL && d->xof_len == 0 ? d : NULL;
}

static const struct cmp_digest *
owf_by_name(const char *name)
{
    const struct cmp_digest *d = cmp_digest_by_name(name);

    return d != NULL && d->xof_len == 0 ? d : NULL;
}

static const struct mac_alg *
mac_by_oid(const struct der_in *oid)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(mac_algs); i++) {
        if (cmp_oid_is(oid, mac_algs[i].nid)) {
            return &mac_algs[i];
        }
    }
    return NULL;
}

/*
 * mac_by_name() takes "hmac-sha1" (the PKIX OID, as openssl cmp's -mac), a
 * table name such as "hmacWithSHA256", "hmac-<digest>", or a digest name
 * alone (hmacWith<digest>).
 */
static const struct mac_alg *
mac_by_name(const char *name, int pkcs5_only)
{
    const struct cmp_digest *digest;
    size_t i;

    for (i = 0; i < ARRAY_LEN(mac_algs); i++) {
        if (strcasecmp(name, mac_algs[i].name) == 0) {
            return !pkcs5_only || mac_algs[i].pkcs5 ? &mac_algs[i] : NULL;
        }
    }
    if (strncasecmp(name, "hmacWith", 8) == 0) {
        name += 8;
    } else if (strncasecmp(name, "hmac-", 5) == 0) {
        name += 5;
    }
    digest = owf_by_name(name);
    if (digest == NULL) {
        return NULL;
    }
    for (i = 0; i < ARRAY_LEN(mac_algs); i++) {
        /* the first entry for a digest is the PKIX hmac-sha1 one: skip it */
        if (strcmp(mac_algs[i].digest, digest->name) == 0 &&
            strncmp(mac_algs[i].name, "hmacWith", 8) == 0 && (!pkcs5_only || mac_algs[i].pkcs5)) {
            return &mac_algs[i];
        }
    }
    return NULL;
}

static int
put_algid(struct der_out *out, int nid, int null_params)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && cmp_oid_put(out, nid) &&
           (!null_params || der_put_null(out)) && der_close(out, seq);
}

/* ---- the computations ---------------------------------------------------- */

static int
hmac(const struct mac_alg *mac, const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
     uint8_t *out, size_t *out_len, struct cmp_err *err)
{
    if (EVP_Q_mac(NULL, "HMAC", NULL, mac->digest, NULL, key, key_len, data, len, out,
                  CMP_MAC_MAX_LEN, out_len) == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "HMAC with %s", mac->digest);
    }
    return 1;
}

struct pbm_params {
    struct der_in salt;
    const struct cmp_digest *owf;
    int64_t iterations;
    const struct mac_alg *mac;
    const uint8_t *key; /* derived earlier for this salt, or NULL */
    size_t key_len;
};

/* key = owf^iterationCount(secret || salt) */
static int
pbm_derive_key(const struct pbm_params *p, const uint8_t *secret, size_t secret_len,
               uint8_t key[EVP_MAX_MD_SIZE], unsigned *out_key_len, struct cmp_err *err)
{
    unsigned key_len = 0;
    EVP_MD *owf;
    EVP_MD_CTX *ctx;
    int64_t i;
    int ok = 0;

    /* The common owfs without EVP's cost per iteration (pbm_owf.c); the same key. */
    ok = cmp_pbm_owf_fast(p->owf->nid, secret, secret_len, p->salt.p, p->salt.len, p->iterations,
                          key, out_key_len);
    if (ok >= 0) {
        return ok ? 1 : CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBM owf %s", p->owf->name);
    }
    ok = 0;
    owf = EVP_MD_fetch(NULL, p->owf->name, NULL);
    ctx = EVP_MD_CTX_new();
    if (owf == NULL || ctx == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBM owf %s", p->owf->name);
        goto done;
    }
    /* The first round hashes secret || salt, each further one the previous output. */
    if (!EVP_DigestInit_ex2(ctx, owf, NULL) || !EVP_DigestUpdate(ctx, secret, secret_len) ||
        !EVP_DigestUpdate(ctx, p->salt.p, p->salt.len) || !EVP_DigestFinal_ex(ctx, key, &key_len)) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBM owf %s", p->owf->name);
        goto done;
    }
    for (i = 1; i < p->iterations; i++) {
        if (!EVP_DigestInit_ex2(ctx, NULL, NULL) || !EVP_DigestUpdate(ctx, key, key_len) ||
            !EVP_DigestFinal_ex(ctx, key, &key_len)) {
            CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBM owf %s", p->owf->name);
            goto done;
        }
    }
    *out_key_len = key_len;
    ok = 1;

done:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(owf);
    return ok;
}

/* out = MAC(key, data), with the key derived now or earlier. */
static int
pbm_compute(const struct pbm_params *p, const uint8_t *secret, size_t secret_len,
            const uint8_t *data, size_t len, uint8_t *out, size_t *out_len, struct cmp_err *err)
{
    uint8_t key[EVP_MAX_MD_SIZE];
    unsigned key_len = 0;
    int ok;

    if (p->key != NULL) {
        return hmac(p->mac, p->key, p->key_len, data, len, out, out_len, err);
    }
    ok = pbm_derive_key(p, secret, secret_len, key, &key_len, err) &&
         hmac(p->mac, key, key_len, data, len, out, out_len, err);
    OPENSSL_cleanse(key, sizeof(key));
    return ok;
}

/*
 * PBM keys derived while verifying, kept per (owf, iterationCount, salt,
 * secret). RFC 4211 4.4 asks for a salt, not for a new one in every
 * message: a sender that keeps its PBMParameter (a device that reuses it,
 * bench/ca.sh's load generator with --reuse-salt) then costs the verifier
 * one hash and one HMAC per message instead of iterationCount hashes (500
 * for openssl cmp, about 70 us: a tenth of the CA's CPU per certificate).
 * A sender with a fresh salt per message gains nothing and costs one more
 * hash. An entry is found by SHA-256 over all four, so a key comes back
 * only for the same secret and parameters; it is kept only after the MAC it
 * was derived for verified (a forger's salts cannot push out a sender's
 * keys), replaced in turn, and wiped when replaced. Process-wide: the
 * engine's threads share it.
 */
#define PBM_CACHE_SIZE 64

static struct {
    pthread_mutex_t lock;
    size_t next;
    struct pbm_cached {
        uint8_t id[32];
        uint8_t key[EVP_MAX_MD_SIZE];
        unsigned key_len; /* 0: empty */
    } e[PBM_CACHE_SIZE];
} pbm_cache = {PTHREAD_MUTEX_INITIALIZER, 0, {{{0}, {0}, 0}}};

/* The cache's id of |p| with |secret|: SHA-256 of owf, count, salt and secret. */
static int
pbm_cache_id(const struct pbm_params *p, const uint8_t *secret, size_t secret_len, uint8_t id[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t fixed[12];
    unsigned len = 0;
    int i, ok;

    for (i = 0; i < 8; i++) {
        fixed[i] = (uint8_t)((uint64_t)p->iterations >> (56 - 8 * i));
    }
    for (i = 0; i < 4; i++) {
        fixed[8 + i] = (uint8_t)(p->salt.len >> (24 - 8 * i));
    }
    ok = ctx != NULL && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) &&
         EVP_DigestUpdate(ctx, p->owf->name, strlen(p->owf->name) + 1) &&
         EVP_DigestUpdate(ctx, fixed, sizeof(fixed)) &&
         EVP_DigestUpdate(ctx, p->salt.p, p->salt.len) &&
         EVP_DigestUpdate(ctx, secret, secret_len) && EVP_DigestFinal_ex(ctx, id, &len) &&
         len == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error(); /* no cache, then: the key is derived */
    }
    return ok;
}

/* Copies the key kept for |id| into |key|; 0 if there is none. */
static int
pbm_cache_get(const uint8_t id[32], uint8_t key[EVP_MAX_MD_SIZE], unsigned *key_len)
{
    size_t i;
    int found = 0;

    (void)pthread_mutex_lock(&pbm_cache.lock);
    for (i = 0; i < PBM_CACHE_SIZE && !found; i++) {
        const struct pbm_cached *c = &pbm_cache.e[i];

        if (c->key_len > 0 && CRYPTO_memcmp(c->id, id, 32) == 0) {
            memcpy(key, c->key, c->key_len);
            *key_len = c->key_len;
            found = 1;
        }
    }
    (void)pthread_mutex_unlock(&pbm_cache.lock);
    return found;
}

/* Keeps |key| for |id|, in the place of the oldest entry. */
static void
pbm_cache_put(const uint8_t id[32], const uint8_t *key, unsigned key_len)
{
    struct pbm_cached *c;
    size_t i;

    if (key_len == 0 || key_len > EVP_MAX_MD_SIZE) {
        return;
    }
    (void)pthread_mutex_lock(&pbm_cache.lock);
    for (i = 0; i < PBM_CACHE_SIZE; i++) {
        if (pbm_cache.e[i].key_len > 0 && CRYPTO_memcmp(pbm_cache.e[i].id, id, 32) == 0) {
            break; /* another thread kept it meanwhile */
        }
    }
    if (i == PBM_CACHE_SIZE) {
        c = &pbm_cache.e[pbm_cache.next];
        pbm_cache.next = (pbm_cache.next + 1) % PBM_CACHE_SIZE;
        OPENSSL_cleanse(c, sizeof(*c));
        memcpy(c->id, id, 32);
        memcpy(c->key, key, key_len);
        c->key_len = key_len;
    }
    (void)pthread_mutex_unlock(&pbm_cache.lock);
}

struct pbmac1_params {
    struct der_in salt;
    int64_t iterations;
    int64_t key_len;
    const struct mac_alg *prf;
    const struct mac_alg *mac;
};

/* key = PBKDF2(prf, secret, salt, iterationCount, keyLength); out = MAC(key, data). */
static int
pbmac1_compute(const struct pbmac1_params *p, const uint8_t *secret, size_t secret_len,
               const uint8_t *data, size_t len, uint8_t *out, size_t *out_len, struct cmp_err *err)
{
    uint8_t key[CMP_PBMAC1_MAX_KEY_LEN];
    EVP_MD *prf;
    int ok = 0;

    if (secret_len > INT_MAX || p->iterations > INT_MAX || p->key_len < 1 ||
        p->key_len > (int64_t)sizeof(key) || p->salt.len > INT_MAX) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBMAC1 parameters out of range");
    }
    prf = EVP_MD_fetch(NULL, p->prf->digest, NULL);
    if (prf == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBKDF2 prf %s", p->prf->name);
    }
    if (!PKCS5_PBKDF2_HMAC((const char *)secret, (int)secret_len, p->salt.p, (int)p->salt.len,
                           (int)p->iterations, prf, (int)p->key_len, key)) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBKDF2 with %s", p->prf->name);
        goto done;
    }
    ok = hmac(p->mac, key, (size_t)p->key_len, data, len, out, out_len, err);

done:
    OPENSSL_cleanse(key, sizeof(key));
    EVP_MD_free(prf);
    return ok;
}

/* ---- parameters: decoding and checking ----------------------------------- */

/* Checks what PBM and PBMAC1 share against the limits; before any work. */
static int
check_limits(const char *scheme, int64_t iterations, size_t salt_len,
             const struct cmp_mac_limits *limits, struct cmp_err *err)
{
    int64_t max = CMP_PBM_DEFAULT_MAX_ITERATIONS;

    if (limits != NULL && limits->max_iterations > 0) {
        max = limits->max_iterations;
    }
    if (iterations > max) {
        return cmp_err_set(err, CMP_E_LIMIT, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                           "%s iterationCount %lld exceeds the limit %lld", scheme,
                           (long long)iterations, (long long)max);
    }
    if (iterations < PBM_MIN_ITERATIONS) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                             "%s iterationCount %lld is below the minimum %d (RFC 4211 4.4)",
                             scheme, (long long)iterations, PBM_MIN_ITERATIONS);
    }
    if (salt_len < CMP_PBM_MIN_SALT_LEN || salt_len > CMP_PBM_MAX_SALT_LEN) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "%s salt of %zu bytes is outside %d..%d", scheme,
                             salt_len, CMP_PBM_MIN_SALT_LEN, CMP_PBM_MAX_SALT_LEN);
    }
    return 1;
}

/*
 * A peer's parameters that do not parse make its algorithm unusable: the
 * parser's "malformed <field>" goes out as badAlg (RFC 9810 5.2.3), not
 * badDataFormat.
 */
static int
bad_params(struct cmp_err *err)
{
    if (err != NULL) {
        err->failure_bit = CMP_FI_BAD_ALG;
    }
    return 0;
}

/* PBMParameter (msg/algparams.c), checked: owf and mac supported, a usable count. */
static int
pbm_params_decode(const struct der_in *params, struct pbm_params *out, struct cmp_err *err)
{
    struct cmp_pbm_params pp;
    char oid[OID_TEXT_MAX];

    memset(out, 0, sizeof(*out));
    if (params->len == 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBM protectionAlg without PBMParameter");
    }
    if (!cmp_pbm_params_decode(params, &pp, err)) {
        return bad_params(err);
    }
    if (!der_parse_int64(&pp.iteration_count, &out->iterations)) {
        return BAD_PARAMS(err, "PBMParameter.iterationCount");
    }
    out->salt = pp.salt;
    out->owf = owf_by_oid(&pp.owf.oid);
    if (out->owf == NULL) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBM owf %s is not supported",
                             oid_text(&pp.owf.oid, oid, sizeof(oid)));
    }
    if (!cmp_params_absent_or_null(&pp.owf.params)) {
        return BAD_PARAMS(err, "PBMParameter.owf parameters");
    }
    out->mac = mac_by_oid(&pp.mac.oid);
    if (out->mac == NULL) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBM mac %s is not supported",
                             oid_text(&pp.mac.oid, oid, sizeof(oid)));
    }
    if (!cmp_params_absent_or_null(&pp.mac.params)) {
        return BAD_PARAMS(err, "PBMParameter.mac parameters");
    }
    return 1;
}

/*
 * PBMAC1-params with PBKDF2-params (msg/algparams.c), checked: PBKDF2 with a
 * specified salt, supported prf and mac, keyLength present and in range.
 */
static int
pbmac1_params_decode(const struct der_in *params, struct pbmac1_params *out, struct cmp_err *err)
{
    struct cmp_pbmac1_params pp;
    struct cmp_pbkdf2_params kp;
    char oid[OID_TEXT_MAX];

    memset(out, 0, sizeof(*out));
    if (params->len == 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBMAC1 protectionAlg without PBMAC1-params");
    }
    if (!cmp_pbmac1_params_decode(params, &pp, err)) {
        return bad_params(err);
    }
    if (!cmp_oid_is(&pp.kdf.oid, CMP_NID_PBKDF2)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBMAC1 keyDerivationFunc %s is not PBKDF2",
                             oid_text(&pp.kdf.oid, oid, sizeof(oid)));
    }
    if (!cmp_pbkdf2_params_decode(&pp.kdf.params, &kp, err)) {
        return bad_params(err);
    }
    if (kp.has_salt_source) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                             "PBKDF2-params.salt otherSource is not supported");
    }
    out->salt = kp.salt;
    if (!der_parse_int64(&kp.iteration_count, &out->iterations)) {
        return BAD_PARAMS(err, "PBKDF2-params.iterationCount");
    }
    if (kp.has_key_length && !der_parse_int64(&kp.key_length, &out->key_len)) {
        return BAD_PARAMS(err, "PBKDF2-params.keyLength");
    }
    out->prf = mac_by_name("hmacWithSHA1", 1); /* the DEFAULT */
    if (kp.has_prf) {
        out->prf = mac_by_oid(&kp.prf.oid);
        if (out->prf == NULL || !out->prf->pkcs5) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBKDF2 prf %s is not supported",
                                 oid_text(&kp.prf.oid, oid, sizeof(oid)));
        }
        if (!cmp_params_absent_or_null(&kp.prf.params)) {
            return BAD_PARAMS(err, "PBKDF2-params.prf parameters");
        }
    }
    out->mac = mac_by_oid(&pp.mac.oid);
    if (out->mac == NULL) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBMAC1 messageAuthScheme %s is not supported",
                             oid_text(&pp.mac.oid, oid, sizeof(oid)));
    }
    if (!cmp_params_absent_or_null(&pp.mac.params)) {
        return BAD_PARAMS(err, "PBMAC1-params.messageAuthScheme parameters");
    }
    /* RFC 9481 6.1.3: keyLength is required, so that the key size is explicit. */
    if (!kp.has_key_length) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBKDF2-params.keyLength is absent");
    }
    if (out->key_len < PBMAC1_MIN_KEY_LEN || out->key_len > CMP_PBMAC1_MAX_KEY_LEN) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "PBKDF2 keyLength %lld is outside %d..%d",
                             (long long)out->key_len, PBMAC1_MIN_KEY_LEN, CMP_PBMAC1_MAX_KEY_LEN);
    }
    return 1;
}

/* ---- protecting ---------------------------------------------------------- */

static int
check_secret(const uint8_t *secret, size_t secret_len, struct cmp_err *err)
{
    if (secret == NULL || secret_len == 0) {
        return CMP_FAIL(err, CMP_E_ARG, "no secret for MAC-based protection");
    }
    return 1;
}

/*
 * finish_mac_protection() sets |alg| as protectionAlg, encodes ProtectedPart
 * and sets the protection that |compute| returns over it.
 */
static int
finish_mac_protection(struct cmp_msg *msg, const uint8_t *alg, size_t alg_len, int is_pbm,
                      const void *params, const uint8_t *secret, size_t secret_len,
                      struct cmp_err *err)
{
    struct cmp_prot_saved saved;
    struct der_in part;
    uint8_t mac[CMP_MAC_MAX_LEN];
    size_t mac_len = 0;
    int ok;

    cmp_prot_begin(msg, &saved);
    ok = cmp_prot_set_alg(msg, alg, alg_len, err) && cmp_prot_part_fresh(msg, &part, err);
    if (ok) {
        ok = is_pbm
                 ? pbm_compute(params, secret, secret_len, part.p, part.len, mac, &mac_len, err)
                 : pbmac1_compute(params, secret, secret_len, part.p, part.len, mac, &mac_len, err);
    }
    ok = ok && cmp_prot_set_value(msg, mac, mac_len, err);
    if (!ok) {
        cmp_prot_abort(msg, &saved);
    }
    return ok;
}

/* The owf, iterationCount and salt length of |opts| (or the defaults), checked. */
static int
pbm_setup(struct pbm_params *p, const struct cmp_pbm_opts *opts, const uint8_t *secret,
          size_t secret_len, struct cmp_err *err)
{
    const char *owf_name = opts != NULL && opts->owf != NULL ? opts->owf : "SHA256";

    memset(p, 0, sizeof(*p));
    p->iterations =
        opts != NULL && opts->iterations != 0 ? opts->iterations : PBM_DEFAULT_ITERATIONS;
    p->salt.len = opts != NULL && opts->salt_len != 0 ? opts->salt_len : PBM_DEFAULT_SALT_LEN;
    if (!check_secret(secret, secret_len, err)) {
        return 0;
    }
    if (p->iterations < PBM_MIN_ITERATIONS) {
        return CMP_FAIL(err, CMP_E_ARG, "PBM iterationCount %lld is below the minimum %d",
                        (long long)p->iterations, PBM_MIN_ITERATIONS);
    }
    if (p->salt.len < CMP_PBM_MIN_SALT_LEN || p->salt.len > CMP_PBM_MAX_SALT_LEN) {
        return CMP_FAIL(err, CMP_E_ARG, "PBM salt length %zu is outside %d..%d", p->salt.len,
                        CMP_PBM_MIN_SALT_LEN, CMP_PBM_MAX_SALT_LEN);
    }
    p->owf = owf_by_name(owf_name);
    if (p->owf == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "PBM owf \"%s\" is not a supported digest", owf_name);
    }
    return 1;
}

int
cmp_protect_pbm(struct cmp_msg *msg, const struct cmp_pbm_opts *opts, const uint8_t *secret,
                size_t secret_len, struct cmp_err *err)
{
    const char *mac_name = opts != NULL && opts->mac != NULL ? opts->mac : "hmac-sha1";
    uint8_t salt[CMP_PBM_MAX_SALT_LEN];
    struct pbm_params p;
    struct der_out w;
    uint8_t *alg = NULL;
    size_t alg_len = 0, seq, params;
    int ok;

    if (!pbm_setup(&p, opts, secret, secret_len, err)) {
        return 0;
    }
    p.mac = mac_by_name(mac_name, 0);
    if (p.mac == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "PBM mac \"%s\" is not a supported HMAC", mac_name);
    }
    if (opts != NULL && opts->key != NULL) {
        if (opts->salt == NULL || opts->key_len == 0 || opts->key_len > EVP_MAX_MD_SIZE) {
            return CMP_FAIL(err, CMP_E_ARG, "PBM key given without its salt");
        }
        memcpy(salt, opts->salt, p.salt.len);
        p.key = opts->key;
        p.key_len = opts->key_len;
    } else if (RAND_bytes(salt, (int)p.salt.len) != 1) {
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "PBM salt");
    }
    p.salt.p = salt;

    /* openssl cmp writes owf and mac without parameters; so do we. */
    der_out_init(&w, 1024);
    if (!der_open(&w, DER_SEQUENCE, &seq) ||
        !cmp_oid_put(&w, CMP_NID_PASSWORD_BASED_MAC) ||
        !der_open(&w, DER_SEQUENCE, &params) || !der_put_octets(&w, salt, p.salt.len) ||
        !put_algid(&w, p.owf->nid, 0) || !der_put_int64(&w, p.iterations) ||
        !put_algid(&w, p.mac->nid, 0) || !der_close(&w, params) ||
        !der_close(&w, seq) || !der_out_finish(&w, &alg, &alg_len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "PBM AlgorithmIdentifier");
    }
    ok = finish_mac_protection(msg, alg, alg_len, 1, &p, secret, secret_len, err);
    free(alg);
    return ok ? 1 : CMP_CONTEXT(err, "PBM protection");
}

int
cmp_pbm_derive(const struct cmp_pbm_opts *opts, const uint8_t *secret, size_t secret_len,
               uint8_t *salt, size_t *salt_len, uint8_t *key, size_t *key_len,
               struct cmp_err *err)
{
    struct pbm_params p;
    unsigned len = 0;

    if (!pbm_setup(&p, opts, secret, secret_len, err)) {
        return 0;
    }
    if (RAND_bytes(salt, (int)p.salt.len) != 1) {
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "PBM salt");
    }
    p.salt.p = salt;
    if (!pbm_derive_key(&p, secret, secret_len, key, &len, err)) {
        return 0;
    }
    *salt_len = p.salt.len;
    *key_len = len;
    return 1;
}

int
cmp_protect_pbmac1(struct cmp_msg *msg, const struct cmp_pbmac1_opts *opts, const uint8_t *secret,
                   size_t secret_len, struct cmp_err *err)
{
    const char *prf_name = opts != NULL && opts->prf != NULL ? opts->prf : "SHA256";
    const char *mac_name = opts != NULL && opts->mac != NULL ? opts->mac : "SHA256";
    uint8_t salt[CMP_PBM_MAX_SALT_LEN];
    struct pbmac1_params p;
    struct der_out w;
    uint8_t *alg = NULL;
    size_t alg_len = 0, seq, params, kdf, kdf_params;
    int ok;

    memset(&p, 0, sizeof(p));
    p.iterations =
        opts != NULL && opts->iterations != 0 ? opts->iterations : PBMAC1_DEFAULT_ITERATIONS;
    p.salt.len = opts != NULL && opts->salt_len != 0 ? opts->salt_len : PBM_DEFAULT_SALT_LEN;
    if (!check_secret(secret, secret_len, err)) {
        return 0;
    }
    p.prf = mac_by_name(prf_name, 1);
    if (p.prf == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "PBKDF2 prf \"%s\" is not a supported HMAC", prf_name);
    }
    p.mac = mac_by_name(mac_name, 0);
    if (p.mac == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "PBMAC1 mac \"%s\" is not a supported HMAC", mac_name);
    }
    if (opts != NULL && opts->key_len != 0) {
        p.key_len = (int64_t)opts->key_len;
    } else {
        EVP_MD *md = EVP_MD_fetch(NULL, p.mac->digest, NULL);

        if (md == NULL) {
            return CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "PBMAC1 mac %s", p.mac->name);
        }
        p.key_len = EVP_MD_get_size(md);
        EVP_MD_free(md);
    }
    if (p.iterations < PBM_MIN_ITERATIONS || p.iterations > INT_MAX) {
        return CMP_FAIL(err, CMP_E_ARG, "PBMAC1 iterationCount %lld is outside %d..%d",
                        (long long)p.iterations, PBM_MIN_ITERATIONS, INT_MAX);
    }
    if (p.salt.len < CMP_PBM_MIN_SALT_LEN || p.salt.len > CMP_PBM_MAX_SALT_LEN) {
        return CMP_FAIL(err, CMP_E_ARG, "PBMAC1 salt length %zu is outside %d..%d", p.salt.len,
                        CMP_PBM_MIN_SALT_LEN, CMP_PBM_MAX_SALT_LEN);
    }
    if (p.key_len < PBMAC1_MIN_KEY_LEN || p.key_len > CMP_PBMAC1_MAX_KEY_LEN) {
        return CMP_FAIL(err, CMP_E_ARG, "PBMAC1 key length %lld is outside %d..%d",
                        (long long)p.key_len, PBMAC1_MIN_KEY_LEN, CMP_PBMAC1_MAX_KEY_LEN);
    }
    if (RAND_bytes(salt, (int)p.salt.len) != 1) {
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "PBMAC1 salt");
    }
    p.salt.p = salt;

    /*
     * RFC 8018 gives the hmacWith* identifiers NULL parameters; the prf is
     * left out when it is the DEFAULT hmacWithSHA1 (DER).
     */
    der_out_init(&w, 1024);
    if (!der_open(&w, DER_SEQUENCE, &seq) ||
        !cmp_oid_put(&w, CMP_NID_PBMAC1) ||
        !der_open(&w, DER_SEQUENCE, &params) || !der_open(&w, DER_SEQUENCE, &kdf) ||
        !cmp_oid_put(&w, CMP_NID_PBKDF2) ||
        !der_open(&w, DER_SEQUENCE, &kdf_params) || !der_put_octets(&w, salt, p.salt.len) ||
        !der_put_int64(&w, p.iterations) || !der_put_int64(&w, p.key_len) ||
        (strcmp(p.prf->name, "hmacWithSHA1") != 0 &&
         !put_algid(&w, p.prf->nid, 1)) ||
        !der_close(&w, kdf_params) || !der_close(&w, kdf) ||
        !put_algid(&w, p.mac->nid, 1) || !der_close(&w, params) ||
        !der_close(&w, seq) || !der_out_finish(&w, &alg, &alg_len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "PBMAC1 AlgorithmIdentifier");
    }
    ok = finish_mac_protection(msg, alg, alg_len, 0, &p, secret, secret_len, err);
    free(alg);
    return ok ? 1 : CMP_CONTEXT(err, "PBMAC1 protection");
}

int
cmp_protect_mac_as(struct cmp_msg *msg, const struct cmp_algid *like,
                   const struct cmp_mac_limits *limits, const uint8_t *secret, size_t secret_len,
                   struct cmp_err *err)
{
    struct pbm_params pbm;
    struct pbmac1_params pbmac1;

    /*
     * RFC 9483 3.2 / RFC 9810 5.1.3.1: the answer is protected with the
     * same shared secret and algorithm as the request; its parameters are
     * taken over, so that the client can check the answer under its own
     * policy. They passed cmp_verify_mac() on the request; the limits are
     * checked again all the same.
     */
    if (cmp_oid_is(&like->oid, CMP_NID_PASSWORD_BASED_MAC)) {
        struct cmp_pbm_opts o;
        uint8_t id[32], key[EVP_MAX_MD_SIZE];
        unsigned key_len = 0;
        int ok;

        if (!pbm_params_decode(&like->params, &pbm, err) ||
            !check_limits("PBM", pbm.iterations, pbm.salt.len, limits, err)) {
            return CMP_CONTEXT(err, "parameters of the request's PBM");
        }
        /*
         * The whole PBMParameter, salt included: RFC 9810 5.1.3.1 (as RFC
         * 4210) recommends that it "remain constant throughout the messages
         * of a single transaction" to save the PBM computation. The key is
         * then the one the request verified with (kept by cmp_verify_mac()),
         * not a second derivation per answer.
         */
        if (!(pbm_cache_id(&pbm, secret, secret_len, id) && pbm_cache_get(id, key, &key_len)) &&
            !pbm_derive_key(&pbm, secret, secret_len, key, &key_len, err)) {
            OPENSSL_cleanse(key, sizeof(key));
            return CMP_CONTEXT(err, "PBM protection");
        }
        memset(&o, 0, sizeof(o));
        o.owf = pbm.owf->name;
        o.mac = pbm.mac->name;
        o.iterations = pbm.iterations;
        o.salt_len = pbm.salt.len;
        o.salt = pbm.salt.p;
        o.key = key;
        o.key_len = key_len;
        ok = cmp_protect_pbm(msg, &o, secret, secret_len, err);
        OPENSSL_cleanse(key, sizeof(key));
        return ok;
    }
    /* PBMAC1: its parameters with a fresh salt of the same length (no key is kept for it). */
    if (cmp_oid_is(&like->oid, CMP_NID_PBMAC1)) {
        struct cmp_pbmac1_opts o;

        if (!pbmac1_params_decode(&like->params, &pbmac1, err) ||
            !check_limits("PBMAC1", pbmac1.iterations, pbmac1.salt.len, limits, err)) {
            return CMP_CONTEXT(err, "parameters of the request's PBMAC1");
        }
        memset(&o, 0, sizeof(o));
        o.prf = pbmac1.prf->name;
        o.mac = pbmac1.mac->name;
        o.iterations = pbmac1.iterations;
        o.salt_len = pbmac1.salt.len;
        o.key_len = (size_t)pbmac1.key_len;
        return cmp_protect_pbmac1(msg, &o, secret, secret_len, err);
    }
    return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "the request's protectionAlg is not MAC-based");
}

/* ---- verifying ----------------------------------------------------------- */

int
cmp_msg_mac_protected(const struct cmp_msg *msg)
{
    const struct der_in *oid = &msg->hdr.protection_alg.oid;

    return msg->hdr.has_protection_alg &&
           (cmp_oid_is(oid, CMP_NID_PASSWORD_BASED_MAC) || cmp_oid_is(oid, CMP_NID_PBMAC1));
}

int
cmp_verify_mac(const struct cmp_msg *msg, const uint8_t *secret, size_t secret_len,
               const struct cmp_mac_limits *limits, struct cmp_err *err)
{
    const struct cmp_algid *alg = &msg->hdr.protection_alg;
    struct pbm_params pbm;
    struct pbmac1_params pbmac1;
    uint8_t mac[CMP_MAC_MAX_LEN], *part = NULL, id[32], key[EVP_MAX_MD_SIZE];
    size_t mac_len = 0, part_len = 0;
    unsigned key_len = 0;
    char oid[OID_TEXT_MAX];
    int is_pbm, ok, has_id = 0, cached = 0;

    if (!msg->hdr.has_protection_alg) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "the message has no protectionAlg: it is not protected");
    }
    is_pbm = cmp_oid_is(&alg->oid, CMP_NID_PASSWORD_BASED_MAC);
    if (!is_pbm && !cmp_oid_is(&alg->oid, CMP_NID_PBMAC1)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "protectionAlg %s is not MAC-based",
                             oid_text(&alg->oid, oid, sizeof(oid)));
    }
    /* Every parameter is checked before any hashing. */
    if (is_pbm) {
        if (!pbm_params_decode(&alg->params, &pbm, err) ||
            !check_limits("PBM", pbm.iterations, pbm.salt.len, limits, err)) {
            return CMP_CONTEXT(err, "PBM protection");
        }
    } else if (!pbmac1_params_decode(&alg->params, &pbmac1, err) ||
               !check_limits("PBMAC1", pbmac1.iterations, pbmac1.salt.len, limits, err)) {
        return CMP_CONTEXT(err, "PBMAC1 protection");
    }
    if (!cmp_prot_check_value(msg, err) || !check_secret(secret, secret_len, err) ||
        !cmp_prot_part_received(msg, &part, &part_len, err)) {
        return CMP_CONTEXT(err, is_pbm ? "PBM protection" : "PBMAC1 protection");
    }
    if (is_pbm) {
        /* the key of an earlier message with the same parameters and secret, or derived now */
        has_id = pbm_cache_id(&pbm, secret, secret_len, id);
        cached = has_id && pbm_cache_get(id, key, &key_len);
        ok = cached || pbm_derive_key(&pbm, secret, secret_len, key, &key_len, err);
        pbm.key = key;
        pbm.key_len = key_len;
        ok = ok && pbm_compute(&pbm, secret, secret_len, part, part_len, mac, &mac_len, err);
    } else {
        ok = pbmac1_compute(&pbmac1, secret, secret_len, part, part_len, mac, &mac_len, err);
    }
    free(part);
    if (!ok) {
        OPENSSL_cleanse(key, sizeof(key));
        return CMP_CONTEXT(err, is_pbm ? "PBM protection" : "PBMAC1 protection");
    }
    /* The length is public; the comparison of the values takes constant time. */
    ok = mac_len == msg->protection.len && CRYPTO_memcmp(mac, msg->protection.p, mac_len) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    if (ok && is_pbm && has_id && !cached) {
        pbm_cache_put(id, key, key_len);
    }
    OPENSSL_cleanse(key, sizeof(key));
    if (!ok) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "%s protection does not verify (wrong secret or altered message)",
                             is_pbm ? "PBM" : "PBMAC1");
    }
    return 1;
}
