/*
 * The digest algorithms cmpkit takes by OID, in one table: PBM's owf
 * (RFC 9481 2), certConf's hashAlg (RFC 9810 5.3.18) and the hashAlgorithm of
 * RSASSA-PSS-params (RFC 4055 3.1). Each user says which of them it accepts
 * (PBM no XOF, hashAlg no SHA-1).
 */
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"

/* SHAKE128/256 as a message digest have 256/512-bit output (RFC 8702 2). */
static const struct cmp_digest digests[] = {
    {CMP_NID_SHA1, "SHA1", 0},
    {CMP_NID_SHA224, "SHA224", 0},
    {CMP_NID_SHA256, "SHA256", 0},
    {CMP_NID_SHA384, "SHA384", 0},
    {CMP_NID_SHA512, "SHA512", 0},
    {CMP_NID_SHA512_224, "SHA512-224", 0},
    {CMP_NID_SHA512_256, "SHA512-256", 0},
    {CMP_NID_SHA3_224, "SHA3-224", 0},
    {CMP_NID_SHA3_256, "SHA3-256", 0},
    {CMP_NID_SHA3_384, "SHA3-384", 0},
    {CMP_NID_SHA3_512, "SHA3-512", 0},
    {CMP_NID_SHAKE128, "SHAKE128", 32},
    {CMP_NID_SHAKE256, "SHAKE256", 64},
};

#define NUM_DIGESTS (sizeof(digests) / sizeof(digests[0]))

const struct cmp_digest *
cmp_digest_by_nid(int nid)
{
    size_t i;

    for (i = 0; i < NUM_DIGESTS; i++) {
        if (digests[i].nid == nid) {
            return &digests[i];
        }
    }
    return NULL;
}

const struct cmp_digest *
cmp_digest_by_oid(const struct der_in *oid)
{
    int nid = cmp_oid_nid(oid);

    return nid == CMP_NID_UNDEF ? NULL : cmp_digest_by_nid(nid);
}

const struct cmp_digest *
cmp_digest_by_name(const char *name)
{
    const struct cmp_digest *found = NULL;
    EVP_MD *md;
    size_t i;

    for (i = 0; i < NUM_DIGESTS; i++) {
        if (strcasecmp(name, digests[i].name) == 0) {
            return &digests[i]; /* no fetch for the common names */
        }
    }
    md = EVP_MD_fetch(NULL, name, NULL);
    if (md == NULL) {
        ERR_clear_error();
        return NULL;
    }
    for (i = 0; i < NUM_DIGESTS && found == NULL; i++) {
        if (EVP_MD_is_a(md, digests[i].name)) {
            found = &digests[i];
        }
    }
    EVP_MD_free(md);
    return found;
}
