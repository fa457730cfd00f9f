/*
 * What protect.c (MAC-based protection) and sig.c (signature-based
 * protection) share: setting a message's protectionAlg and protection in its
 * arena, and the ProtectedPart bytes to protect or verify.
 */
#ifndef CMPKIT_CRYPTO_PROTECT_INTERNAL_H
#define CMPKIT_CRYPTO_PROTECT_INTERNAL_H

#include "crypto/crypto.h"

/*
 * What cmp_prot_begin() saves so that a failed protection leaves the
 * message as it was (crypto.h: "unchanged in meaning").
 */
struct cmp_prot_saved {
    int has_protection_alg;
    struct cmp_algid protection_alg;
    struct der_in hdr_raw;
    struct der_in body_raw;
    int has_protection;
    struct der_in protection;
    unsigned protection_unused;
};

/* cmp_prot_begin() records the protection-related fields of |msg|. */
void cmp_prot_begin(const struct cmp_msg *msg, struct cmp_prot_saved *saved);

/* cmp_prot_abort() puts back what cmp_prot_begin() recorded. */
void cmp_prot_abort(struct cmp_msg *msg, const struct cmp_prot_saved *saved);

/*
 * cmp_prot_set_alg() copies the AlgorithmIdentifier |der| into |msg|'s arena
 * and makes it the header's protectionAlg.
 */
int cmp_prot_set_alg(struct cmp_msg *msg, const uint8_t *der, size_t len,
                     struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_prot_part_fresh() encodes ProtectedPart from the model into |msg|'s
 * arena and points hdr.raw and body.raw at it, so that the message, once
 * protected, verifies as it will be sent. |*out| is the whole ProtectedPart.
 */
int cmp_prot_part_fresh(struct cmp_msg *msg, struct der_in *out,
                        struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_prot_part_received() writes ProtectedPart from the header and body as
 * received into a new buffer (free() it). Fails (CMP_E_ARG) for a message
 * that was neither decoded nor protected.
 */
int cmp_prot_part_received(const struct cmp_msg *msg, uint8_t **out, size_t *out_len,
                           struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_prot_set_value() copies |len| bytes into the arena as the protection BIT STRING. */
int cmp_prot_set_value(struct cmp_msg *msg, const uint8_t *p, size_t len,
                       struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_prot_check_value() checks that a received message carries a protection
 * BIT STRING with no unused bits (badMessageCheck otherwise).
 */
int cmp_prot_check_value(const struct cmp_msg *msg, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_pbm_owf_fast() (pbm_owf.c) computes PBM's key = owf^|iterations|(secret
 * || salt) for the owf |nid| (CMP_NID_SHA1, _SHA224, _SHA256, _SHA384,
 * _SHA512) without EVP's per-call cost: 1 with |key| (room for
 * EVP_MAX_MD_SIZE bytes) and |*key_len| set, 0 if libcrypto failed, -1 if
 * it does not take |nid| (or was built without those functions): the caller
 * then iterates through EVP. |iterations| is at least 1.
 */
int cmp_pbm_owf_fast(int nid, const uint8_t *secret, size_t secret_len, const uint8_t *salt,
                     size_t salt_len, int64_t iterations, uint8_t *key, unsigned *key_len);

#endif
