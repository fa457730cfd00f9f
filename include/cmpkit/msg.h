/*
 * cmpkit public API: PKIMessage decoding, encoding and printing.
 *
 * A struct cmp_msg is opaque and owns all its memory (cmp_msg_free()).
 * Functions that can fail return 1 or 0 and fill |err| (may be NULL):
 * CMP_E_DECODE (or CMP_E_INVALID for a value that breaks an RFC rule) with
 * the byte offset and the field for malformed input, CMP_E_LIMIT above a
 * limit (4 MiB, nesting depth, counts), CMP_E_MEMORY.
 * Output buffers are new and the caller's: free() them.
 */
#ifndef CMPKIT_PUBLIC_MSG_H
#define CMPKIT_PUBLIC_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmpkit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* PKIBody alternatives, RFC 9810 5.1.2: the value is the context tag. */
enum cmp_body_type {
    CMP_BODY_IR = 0,
    CMP_BODY_IP = 1,
    CMP_BODY_CR = 2,
    CMP_BODY_CP = 3,
    CMP_BODY_P10CR = 4,
    CMP_BODY_POPDECC = 5,
    CMP_BODY_POPDECR = 6,
    CMP_BODY_KUR = 7,
    CMP_BODY_KUP = 8,
    CMP_BODY_KRR = 9,
    CMP_BODY_KRP = 10,
    CMP_BODY_RR = 11,
    CMP_BODY_RP = 12,
    CMP_BODY_CCR = 13,
    CMP_BODY_CCP = 14,
    CMP_BODY_CKUANN = 15,
    CMP_BODY_CANN = 16,
    CMP_BODY_RANN = 17,
    CMP_BODY_CRLANN = 18,
    CMP_BODY_PKICONF = 19,
    CMP_BODY_NESTED = 20,
    CMP_BODY_GENM = 21,
    CMP_BODY_GENP = 22,
    CMP_BODY_ERROR = 23,
    CMP_BODY_CERTCONF = 24,
    CMP_BODY_POLLREQ = 25,
    CMP_BODY_POLLREP = 26,
    CMP_BODY_MAX = 26
};

struct cmp_msg;

/*
 * cmp_msg_decode() decodes one DER PKIMessage of exactly |len| bytes. On
 * success |*out| is a new message that owns a copy of the input (free it
 * with cmp_msg_free()); on failure |*out| is NULL and |err| says what failed
 * and at which byte offset.
 */
CMP_API int cmp_msg_decode(struct cmp_msg **out, const uint8_t *der, size_t len,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_msg_encode() encodes |msg| as DER into a new buffer (free() it). A
 * decoded message encodes to the bytes it was decoded from. Fails only
 * without memory (CMP_E_MEMORY); |*out| is then NULL.
 */
CMP_API int cmp_msg_encode(const struct cmp_msg *msg, uint8_t **out, size_t *out_len,
                           struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_msg_free() frees |msg|; NULL does nothing. */
CMP_API void cmp_msg_free(struct cmp_msg *msg);

/* cmp_msg_body_type() returns the enum cmp_body_type of |msg| (not NULL). */
CMP_API int cmp_msg_body_type(const struct cmp_msg *msg);

/* cmp_body_type_name() returns "ir", "ip", ... or NULL for an unknown type. */
CMP_API const char *cmp_body_type_name(int type);

/*
 * cmp_msg_print() writes |msg| for a person to |fp|: the body type, every
 * header field by name, statuses and failure bits by name, certificate
 * subjects and serial numbers, OIDs by name. Returns 1, or 0 on a write error.
 */
CMP_API int cmp_msg_print(FILE *fp, const struct cmp_msg *msg);

/*
 * cmp_pem_to_der() turns the first PEM block in |text| into DER (any label).
 * |*out| is a new buffer (free() it). It fails with CMP_E_DECODE if |text|
 * holds no "-----BEGIN" line, no matching END line or bad base64,
 * CMP_E_LIMIT above 4 MiB, and leaves |*out| NULL.
 */
CMP_API int cmp_pem_to_der(const char *text, size_t text_len, uint8_t **out, size_t *out_len,
                           struct cmp_err *err) CMP_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
