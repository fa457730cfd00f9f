/*
 * cmpkit error records.
 *
 * A struct cmp_err never allocates, so running out of memory can still be
 * reported. Fallible functions take one explicitly (or keep one in their
 * context, as cmp_ctx_error() of cmpkit/client.h); nothing is
 * thread-local. The macros below mark functions: CMP_API is exported from
 * libcmpkit, CMP_MUST_CHECK warns when a caller ignores the result (1/0 or
 * a pointer), CMP_PRINTF checks printf-style arguments.
 */
#ifndef CMPKIT_ERR_H
#define CMPKIT_ERR_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define CMP_MUST_CHECK __attribute__((warn_unused_result))
#define CMP_API __attribute__((visibility("default")))
#define CMP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CMP_MUST_CHECK
#define CMP_API
#define CMP_PRINTF(f, a)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes: what kind of thing went wrong. */
enum cmp_errcode {
    CMP_E_NONE = 0,
    CMP_E_DECODE,    /* malformed DER or a structure that breaks the ASN.1 */
    CMP_E_ENCODE,    /* could not encode (size cap, bad model) */
    CMP_E_LIMIT,     /* a size, count or nesting limit was exceeded */
    CMP_E_MEMORY,    /* allocation failed */
    CMP_E_INVALID,   /* a value breaks an RFC rule (validation) */
    CMP_E_IO,        /* file or network I/O */
    CMP_E_CRYPTO,    /* libcrypto reported an error */
    CMP_E_ARG,       /* bad argument from the caller */
    CMP_E_PROTOCOL,  /* the peer broke the protocol */
    CMP_E_PEER,      /* the peer answered with a negative status */
    CMP_E_UNSUPPORTED
};

/* PKIFailureInfo bit numbers, RFC 9810 section 5.2.3. */
enum cmp_failure_bit {
    CMP_FI_BAD_ALG = 0,
    CMP_FI_BAD_MESSAGE_CHECK = 1,
    CMP_FI_BAD_REQUEST = 2,
    CMP_FI_BAD_TIME = 3,
    CMP_FI_BAD_CERT_ID = 4,
    CMP_FI_BAD_DATA_FORMAT = 5,
    CMP_FI_WRONG_AUTHORITY = 6,
    CMP_FI_INCORRECT_DATA = 7,
    CMP_FI_MISSING_TIME_STAMP = 8,
    CMP_FI_BAD_POP = 9,
    CMP_FI_CERT_REVOKED = 10,
    CMP_FI_CERT_CONFIRMED = 11,
    CMP_FI_WRONG_INTEGRITY = 12,
    CMP_FI_BAD_RECIPIENT_NONCE = 13,
    CMP_FI_TIME_NOT_AVAILABLE = 14,
    CMP_FI_UNACCEPTED_POLICY = 15,
    CMP_FI_UNACCEPTED_EXTENSION = 16,
    CMP_FI_ADD_INFO_NOT_AVAILABLE = 17,
    CMP_FI_BAD_SENDER_NONCE = 18,
    CMP_FI_BAD_CERT_TEMPLATE = 19,
    CMP_FI_SIGNER_NOT_TRUSTED = 20,
    CMP_FI_TRANSACTION_ID_IN_USE = 21,
    CMP_FI_UNSUPPORTED_VERSION = 22,
    CMP_FI_NOT_AUTHORIZED = 23,
    CMP_FI_SYSTEM_UNAVAIL = 24,
    CMP_FI_SYSTEM_FAILURE = 25,
    CMP_FI_DUPLICATE_CERT_REQ = 26,
    CMP_FI_MAX = 26,
    CMP_FI_NONE = -1
};

#define CMP_ERR_MSG_MAX 200
#define CMP_ERR_FRAMES 6
#define CMP_ERR_FRAME_MAX 64

/*
 * An error record. Fill it with cmp_err_init() before use; the library sets
 * it, a program reads it (cmp_err_format(), cmp_err_format_line(), or the
 * fields). It owns no memory: copy it by assignment, drop it without a call.
 */
struct cmp_err {
    int code;                   /* enum cmp_errcode; CMP_E_NONE if no error */
    int failure_bit;            /* enum cmp_failure_bit; CMP_FI_NONE if unset */
    size_t offset;              /* byte offset in the input, if known */
    int has_offset;
    const uint8_t *pos;         /* where in the input decoding failed, or NULL (borrowed:
                                 * valid only while that input is) */
    const char *file;           /* where the error was recorded (a string literal) */
    int line;
    char msg[CMP_ERR_MSG_MAX];
    int num_frames;             /* context frames, innermost first */
    char frames[CMP_ERR_FRAMES][CMP_ERR_FRAME_MAX];
};

/* cmp_err_init() clears |err| to "no error". NULL does nothing. */
CMP_API void cmp_err_init(struct cmp_err *err);

/*
 * cmp_err_set() records an error (replacing any earlier one): |code| (enum
 * cmp_errcode), |failure_bit| (enum cmp_failure_bit or CMP_FI_NONE), where it
 * happened (|file| must outlive |err|: a string literal) and a printf-style
 * message, cut to CMP_ERR_MSG_MAX - 1 bytes. Returns 0, so that `return
 * cmp_err_set(...)` reads as a failure. |err| may be NULL.
 */
CMP_API int cmp_err_set(struct cmp_err *err, int code, int failure_bit, const char *file,
                        int line, const char *fmt, ...) CMP_PRINTF(6, 7);

/*
 * cmp_err_context() adds a context frame (cut to CMP_ERR_FRAME_MAX - 1
 * bytes) as the error unwinds; beyond CMP_ERR_FRAMES frames the outer ones
 * are dropped. Returns 0. |err| may be NULL.
 */
CMP_API int cmp_err_context(struct cmp_err *err, const char *fmt, ...) CMP_PRINTF(2, 3);

/*
 * cmp_err_set_pos() records where in the input decoding failed (innermost
 * wins: a later call does not replace it). |pos| is borrowed. NULL |err| does
 * nothing.
 */
CMP_API void cmp_err_set_pos(struct cmp_err *err, const uint8_t *pos);

/* cmp_err_set_offset() records the input offset of a decoding error once (the first wins). */
CMP_API void cmp_err_set_offset(struct cmp_err *err, size_t offset);

/*
 * cmp_err_format() writes the error for a person into |buf| (always
 * NUL-terminated, cut to |buf_len|): outermost context first, one "in
 * <frame>:" line each, then "<kind>: <message>" with the byte offset and
 * the failure bit, e.g.
 *   in checking the IP:
 *   in MAC-based protection:
 *   invalid value: PBM protection does not verify (...) [badMessageCheck]
 * "no error recorded" for NULL or a cleared record. Returns |buf|.
 */
CMP_API const char *cmp_err_format(const struct cmp_err *err, char *buf, size_t buf_len);

/*
 * cmp_err_format_line() writes the same on one line, for a log or a script:
 * the frames, outermost first, then the message, joined by ": ", then the
 * byte offset and the failure bit, without the kind:
 *   checking the IP: MAC-based protection: PBM protection does not verify (...) [badMessageCheck]
 * As cmp_err_format() otherwise; `cmpkit` prints its errors this way.
 */
CMP_API const char *cmp_err_format_line(const struct cmp_err *err, char *buf, size_t buf_len);

/* cmp_failure_bit_name() returns the RFC name of a PKIFailureInfo bit ("badPOP"), or NULL. */
CMP_API const char *cmp_failure_bit_name(int bit);

/* cmp_errcode_name() returns a short name for an error code ("I/O error"; "error" if unknown). */
CMP_API const char *cmp_errcode_name(int code);

#ifdef __cplusplus
}
#endif

/*
 * Inside libcmpkit (and the tests and fuzzers of its layers, which the build
 * compiles with CMPKIT_BUILDING), the macros that record errors (CMP_FAIL,
 * CMP_FAIL_INFO, CMP_CONTEXT) come with this header, so that every file of
 * lib/ has them whatever it includes. They are internal (lib/der/fail.h): a
 * program on the public API never defines CMPKIT_BUILDING and never sees them.
 */
#ifdef CMPKIT_BUILDING
#include "der/fail.h"
#endif
#endif
