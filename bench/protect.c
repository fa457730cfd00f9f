/*
 * bench/protect: message protection per second, each beside the raw
 * libcrypto primitive it is built on, measured in the same run over the
 * same bytes:
 *
 *   PBM (SHA-256, 500 iterations, HMAC-SHA1: openssl cmp's defaults)
 *       primitive: 500 chained SHA-256 hashes + one HMAC-SHA1
 *   ECDSA P-256 with SHA-256, RSA-2048 PKCS#1 v1.5 with SHA-256
 *       primitive: EVP_DigestSign / EVP_DigestVerify (with their init)
 *
 * "protect" is cmp_protect_*() on a built message (setting protectionAlg,
 * encoding ProtectedPart, computing the protection); "verify" is
 * cmp_verify_*() on the decoded message. The primitive runs over that
 * message's ProtectedPart. Each figure is the best of three rounds;
 * overhead = primitive rate / cmpkit rate - 1.
 *
 * usage: protect [--seconds S] [FILE]   (FILE: a PKIMessage to protect;
 *                                        default: a pkiConf built here)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "msg/msg.h"

static const uint8_t SECRET[] = "bench secret";
#define SECRET_LEN (sizeof(SECRET) - 1)
#define ROUNDS 3

static double seconds = 1.0;

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the message --------------------------------------------------------- */

static uint8_t *input;
static size_t input_len;

static struct cmp_msg *
build_msg(void)
{
    static const uint8_t name[] = {0x30, 0x13, 0x31, 0x11, 0x30, 0x0F, 0x06, 0x03, 0x55, 0x04, 0x03,
                                   0x0C, 0x08, 'b',  'e',  'n',  'c',  'h',  ' ',  'C',  'N'};
    static const uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct cmp_msg *m;
    struct der_in n = der_in_make(name, sizeof(name));
    uint8_t *buf;

    if (input != NULL) {
        return cmp_msg_decode(&m, input, input_len, NULL) ? m : NULL;
    }
    m = cmp_msg_new();
    if (m == NULL) {
        return NULL;
    }
    m->hdr.pvno = CMP_PVNO_2000;
    buf = cmp_msg_alloc(m, 2 * (sizeof(name) + 8));
    if (buf == NULL || !cmp_gname_set_dirname(&m->hdr.sender, buf, sizeof(name) + 8, &n) ||
        !cmp_gname_set_dirname(&m->hdr.recipient, buf + sizeof(name) + 8, sizeof(name) + 8, &n)) {
        cmp_msg_free(m);
        return NULL;
    }
    m->hdr.has_message_time = 1;
    m->hdr.message_time_secs = 1767225600;
    m->hdr.has_transaction_id = 1;
    m->hdr.transaction_id = der_in_make(id, sizeof(id));
    m->hdr.has_sender_nonce = 1;
    m->hdr.sender_nonce = der_in_make(id, sizeof(id));
    m->body.type = CMP_BODY_PKICONF;
    return m;
}

static struct cmp_msg *
reparse(const struct cmp_msg *m)
{
    struct cmp_msg *r = NULL;
    uint8_t *der = NULL;
    size_t len = 0;

    if (!cmp_msg_encode(m, &der, &len, NULL) || !cmp_msg_decode(&r, der, len, NULL)) {
        r = NULL;
    }
    free(der);
    return r;
}

/* ---- the operations -------------------------------------------------------- */

struct ctx {
    struct cmp_msg *built;    /* protected again and again */
    struct cmp_msg *received; /* verified again and again */
    EVP_PKEY *key;
    uint8_t *part; /* the received message's ProtectedPart */
    size_t part_len;
    uint8_t *sig;
    size_t sig_len;
    EVP_MD *sha256;
    int ops; /* in the current batch */
};

/* Protecting the same message over and over fills its arena: start afresh now and then. */
static int
renew(struct ctx *c)
{
    if (++c->ops < 256) {
        return 1;
    }
    c->ops = 0;
    cmp_msg_free(c->built);
    c->built = build_msg();
    return c->built != NULL;
}

static int
op_pbm_protect(struct ctx *c)
{
    return renew(c) && cmp_protect_pbm(c->built, NULL, SECRET, SECRET_LEN, NULL);
}

static int
op_pbm_verify(struct ctx *c)
{
    return cmp_verify_mac(c->received, SECRET, SECRET_LEN, NULL, NULL);
}

/* 500 chained SHA-256 hashes of secret || salt, then HMAC-SHA1 over ProtectedPart. */
static int
op_pbm_primitive(struct ctx *c)
{
    static const uint8_t salt[16] = {0};
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t key[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
    unsigned key_len = 0;
    size_t mac_len = 0;
    int i, ok;

    ok = md != NULL && EVP_DigestInit_ex2(md, c->sha256, NULL) &&
         EVP_DigestUpdate(md, SECRET, SECRET_LEN) && EVP_DigestUpdate(md, salt, sizeof(salt)) &&
         EVP_DigestFinal_ex(md, key, &key_len);
    for (i = 1; ok && i < 500; i++) {
        ok = EVP_DigestInit_ex2(md, NULL, NULL) && EVP_DigestUpdate(md, key, key_len) &&
             EVP_DigestFinal_ex(md, key, &key_len);
    }
    ok = ok && EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, key, key_len, c->part, c->part_len, mac,
                         sizeof(mac), &mac_len) != NULL;
    EVP_MD_CTX_free(md);
    return ok;
}

static int
op_sig_protect(struct ctx *c)
{
    return renew(c) && cmp_protect_sig(c->built, c->key, "SHA256", 0, NULL);
}

static int
op_sig_verify(struct ctx *c)
{
    return cmp_verify_sig(c->received, c->key, NULL);
}

static int
op_sign_primitive(struct ctx *c)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint8_t sig[1024];
    size_t sig_len = sizeof(sig);
    int ok = md != NULL && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, c->key, NULL) &&
             EVP_DigestSign(md, sig, &sig_len, c->part, c->part_len) == 1;

    EVP_MD_CTX_free(md);
    return ok;
}

static int
op_verify_primitive(struct ctx *c)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, c->key, NULL) &&
             EVP_DigestVerify(md, c->sig, c->sig_len, c->part, c->part_len) == 1;

    EVP_MD_CTX_free(md);
    return ok;
}

/* rate() runs |op| for |seconds| and returns operations per second (0 on failure). */
static double
rate(int (*op)(struct ctx *), struct ctx *c)
{
    double t0, t;
    long n = 0;

    if (!op(c)) {
        return 0;
    }
    t0 = now();
    do {
        int i;

        for (i = 0; i < 16; i++) {
            if (!op(c)) {
                return 0;
            }
        }
        n += 16;
        t = now();
    } while (t - t0 < seconds);
    return (double)n / (t - t0);
}

/* compare() measures cmpkit's |ours| beside |prim|, alternating, best of ROUNDS each. */
static int
compare(const char *what, int (*ours)(struct ctx *), int (*prim)(struct ctx *), struct ctx *c)
{
    double best_ours = 0, best_prim = 0, r;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        r = rate(prim, c);
        best_prim = r > best_prim ? r : best_prim;
        r = rate(ours, c);
        best_ours = r > best_ours ? r : best_ours;
        if (best_ours == 0 || best_prim == 0) {
            printf("%-26s FAILED\n", what);
            return 0;
        }
    }
    printf("%-26s %10.0f /s %9.1f us | primitive %10.0f /s %9.1f us | overhead %+6.1f%%\n", what,
           best_ours, 1e6 / best_ours, best_prim, 1e6 / best_prim,
           (best_prim / best_ours - 1.0) * 100.0);
    return 1;
}

/* setup() protects and decodes the message once and signs its ProtectedPart for the primitives. */
static int
setup(struct ctx *c, EVP_PKEY *key)
{
    struct cmp_msg *m = build_msg();
    struct der_out w;
    int ok;

    memset(c, 0, sizeof(*c));
    c->key = key;
    c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    c->built = build_msg();
    ok = m != NULL && c->built != NULL && c->sha256 != NULL &&
         (key != NULL ? cmp_protect_sig(m, key, "SHA256", 0, NULL)
                      : cmp_protect_pbm(m, NULL, SECRET, SECRET_LEN, NULL));
    c->received = ok ? reparse(m) : NULL;
    cmp_msg_free(m);
    if (c->received == NULL) {
        return 0;
    }
    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_protected_part_encode(&w, c->received, 1) ||
        !der_out_finish(&w, &c->part, &c->part_len)) {
        der_out_cleanup(&w);
        return 0;
    }
    if (key != NULL) {
        return cmp_sign_data(key, "SHA256", 0, c->part, c->part_len, &c->sig, &c->sig_len, NULL,
                             NULL, NULL);
    }
    return 1;
}

static void
cleanup(struct ctx *c)
{
    cmp_msg_free(c->built);
    cmp_msg_free(c->received);
    EVP_MD_free(c->sha256);
    free(c->part);
    free(c->sig);
    memset(c, 0, sizeof(*c));
}

static int
read_input(const char *path)
{
    FILE *f = fopen(path, "rb");
    long len = 0;

    if (f == NULL) {
        return 0;
    }
    if (fseek(f, 0, SEEK_END) == 0) {
        len = ftell(f);
    }
    if (len <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return 0;
    }
    input = malloc((size_t)len);
    if (input == NULL || fread(input, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        return 0;
    }
    fclose(f);
    input_len = (size_t)len;
    return 1;
}

int
main(int argc, char **argv)
{
    EVP_PKEY *ec = NULL, *rsa = NULL;
    struct ctx c;
    int a, ok = 1;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
            seconds = strtod(argv[++a], NULL);
        } else if (!read_input(argv[a])) {
            fprintf(stderr, "usage: protect [--seconds S] [FILE]  (cannot read %s)\n", argv[a]);
            return 1;
        }
    }
    ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    if (ec == NULL || rsa == NULL) {
        fprintf(stderr, "protect: key generation failed\n");
        return 1;
    }
    if (!setup(&c, NULL)) {
        fprintf(stderr, "protect: cannot build or protect the message\n");
        return 1;
    }
    printf("bench/protect: %s, ProtectedPart %zu bytes, %.1f s per figure, best of %d\n",
           input != NULL ? argv[argc - 1] : "built pkiConf", c.part_len, seconds, ROUNDS);
    ok &= compare("PBM protect", op_pbm_protect, op_pbm_primitive, &c);
    ok &= compare("PBM verify", op_pbm_verify, op_pbm_primitive, &c);
    cleanup(&c);
    if (setup(&c, ec)) {
        ok &= compare("ECDSA P-256 protect", op_sig_protect, op_sign_primitive, &c);
        ok &= compare("ECDSA P-256 verify", op_sig_verify, op_verify_primitive, &c);
    } else {
        ok = 0;
    }
    cleanup(&c);
    if (setup(&c, rsa)) {
        ok &= compare("RSA-2048 protect", op_sig_protect, op_sign_primitive, &c);
        ok &= compare("RSA-2048 verify", op_sig_verify, op_verify_primitive, &c);
    } else {
        ok = 0;
    }
    cleanup(&c);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    free(input);
    return ok ? 0 : 1;
}
