/*
 * cmpkit error records.
 *
 * A struct cmp_err never allocates, so running out of memory can still be
 * reported. Fallible functions take one explicitly; nothing is thread-local.
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

struct cmp_err {
    int code;                   /* enum cmp_errcode; CMP_E_NONE if no error */
    int failure_bit;            /* enum cmp_failure_bit; CMP_FI_NONE if unset */
    size_t offset;              /* byte offset in the input, if known */
    int has_offset;
    const uint8_t *pos;         /* where in the input decoding failed, or NULL */
    const char *file;           /* where the error was recorded */
    int line;
    char msg[CMP_ERR_MSG_MAX];
    int num_frames;             /* context frames, innermost first */
    char frames[CMP_ERR_FRAMES][CMP_ERR_FRAME_MAX];
};

/* cmp_err_init() clears |err| to "no error". */
CMP_API void cmp_err_init(struct cmp_err *err);

/*
 * cmp_err_set() records an error (replacing any earlier one) and returns 0,
 * so that `return CMP_FAIL(...)` reads as a failure. |err| may be NULL.
 */
CMP_API int cmp_err_set(struct cmp_err *err, int code, int failure_bit, const char *file,
                        int line, const char *fmt, ...) CMP_PRINTF(6, 7);

/* cmp_err_context() adds a context frame as the error unwinds; returns 0. */
CMP_API int cmp_err_context(struct cmp_err *err, const char *fmt, ...) CMP_PRINTF(2, 3);

/* cmp_err_set_pos() records where in the input decoding failed (innermost wins). */
CMP_API void cmp_err_set_pos(struct cmp_err *err, const uint8_t *pos);

/* cmp_err_set_offset() records the input offset of a decoding error once. */
CMP_API void cmp_err_set_offset(struct cmp_err *err, size_t offset);

/*
 * cmp_err_format() writes the error for a person: outermost context first,
 * then the cause, each on its own line. Returns |buf|.
 */
CMP_API const char *cmp_err_format(const struct cmp_err *err, char *buf, size_t buf_len);

/* cmp_failure_bit_name() returns the RFC name of a PKIFailureInfo bit, or NULL. */
CMP_API const char *cmp_failure_bit_name(int bit);

/* cmp_errcode_name() returns a short name for an error code. */
CMP_API const char *cmp_errcode_name(int code);

#define CMP_FAIL(err, code, ...) \
    cmp_err_set((err), (code), CMP_FI_NONE, __FILE__, __LINE__, __VA_ARGS__)
#define CMP_FAIL_INFO(err, bit, ...) \
    cmp_err_set((err), CMP_E_INVALID, (bit), __FILE__, __LINE__, __VA_ARGS__)
#define CMP_CONTEXT(err, ...) cmp_err_context((err), __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
