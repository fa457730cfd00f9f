/*
 * PBM's one-way function iterated (RFC 4211 4.4: key = owf^iterationCount
 * (secret || salt)) on the common hashes, through libcrypto's digest
 * functions that take a context on the stack (SHA256_Init, _Update, _Final).
 *
 * Why not EVP: every iteration hashes one short block, and on such input
 * EVP's provider dispatch (EVP_DigestInit_ex2 / _Update / _Final_ex) costs
 * as much as the hash itself: 500 iterations take ~80 us through EVP and
 * ~38 us here (SHA-256, this machine). A server verifies one PBM per
 * request, at an iteration count the peer picks (up to -srv_max_iterations),
 * so this is half of what a PBM-protected transaction costs its CPU.
 *
 * Those functions are deprecated in OpenSSL 3.0 (in favour of EVP), not
 * removed; this file alone suppresses the warning. Built against a libcrypto
 * without them (OPENSSL_NO_DEPRECATED_3_0), cmp_pbm_owf_fast() does nothing
 * and the caller iterates through EVP, with the same result.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/crypto.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include "crypto/crypto.h"
#include "crypto/protect_internal.h"

#ifndef OPENSSL_NO_DEPRECATED_3_0

/* One hash family's context and functions, each run on a context of its own type. */
#define OWF_ITERATE(CTX, INIT, UPDATE, FINAL, LEN)                                                 \
    do {                                                                                           \
        CTX c;                                                                                     \
        int64_t i;                                                                                 \
                                                                                                   \
        ok = INIT(&c) && UPDATE(&c, secret, secret_len) && UPDATE(&c, salt, salt_len) &&           \
             FINAL(key, &c);                                                                       \
        for (i = 1; ok && i < iterations; i++) {                                                   \
            ok = INIT(&c) && UPDATE(&c, key, LEN) && FINAL(key, &c);                               \
        }                                                                                          \
        OPENSSL_cleanse(&c, sizeof(c));                                                            \
        *key_len = LEN;                                                                            \
    } while (0)

int
cmp_pbm_owf_fast(int nid, const uint8_t *secret, size_t secret_len, const uint8_t *salt,
                 size_t salt_len, int64_t iterations, uint8_t *key, unsigned *key_len)
{
    int ok;

    switch (nid) {
    case CMP_NID_SHA1:
        OWF_ITERATE(SHA_CTX, SHA1_Init, SHA1_Update, SHA1_Final, SHA_DIGEST_LENGTH);
        break;
    case CMP_NID_SHA224:
        OWF_ITERATE(SHA256_CTX, SHA224_Init, SHA224_Update, SHA224_Final, SHA224_DIGEST_LENGTH);
        break;
    case CMP_NID_SHA256:
        OWF_ITERATE(SHA256_CTX, SHA256_Init, SHA256_Update, SHA256_Final, SHA256_DIGEST_LENGTH);
        break;
    case CMP_NID_SHA384:
        OWF_ITERATE(SHA512_CTX, SHA384_Init, SHA384_Update, SHA384_Final, SHA384_DIGEST_LENGTH);
        break;
    case CMP_NID_SHA512:
        OWF_ITERATE(SHA512_CTX, SHA512_Init, SHA512_Update, SHA512_Final, SHA512_DIGEST_LENGTH);
        break;
    default:
        return -1; /* not one of these: EVP */
    }
    return ok ? 1 : 0;
}

#else

int
cmp_pbm_owf_fast(int nid, const uint8_t *secret, size_t secret_len, const uint8_t *salt,
                 size_t salt_len, int64_t iterations, uint8_t *key, unsigned *key_len)
{
    (void)nid;
    (void)secret;
    (void)secret_len;
    (void)salt;
    (void)salt_len;
    (void)iterations;
    (void)key;
    (void)key_len;
    return -1;
}

#endif
