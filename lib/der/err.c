/* Error records: fixed-size, never allocate. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmpkit/err.h"

void
cmp_err_init(struct cmp_err *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
    err->failure_bit = CMP_FI_NONE;
}

int
cmp_err_set(struct cmp_err *err, int code, int failure_bit, const char *file, int line,
            const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return 0;
    }
    cmp_err_init(err);
    err->code = code;
    err->failure_bit = failure_bit;
    err->file = file;
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return 0;
}

int
cmp_err_context(struct cmp_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err->num_frames >= CMP_ERR_FRAMES) {
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(err->frames[err->num_frames], CMP_ERR_FRAME_MAX, fmt, ap);
    va_end(ap);
    err->num_frames++;
    return 0;
}

void
cmp_err_set_pos(struct cmp_err *err, const uint8_t *pos)
{
    if (err != NULL && err->pos == NULL) {
        err->pos = pos;
    }
}

void
cmp_err_set_offset(struct cmp_err *err, size_t offset)
{
    if (err != NULL && !err->has_offset) {
        err->offset = offset;
        err->has_offset = 1;
    }
}

static void
append(char *buf, size_t buf_len, size_t *pos, const char *fmt, ...) CMP_PRINTF(4, 5);

static void
append(char *buf, size_t buf_len, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*pos >= buf_len) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(buf + *pos, buf_len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0) {
        *pos += (size_t)n;
    }
    if (*pos >= buf_len) {
        *pos = buf_len;
    }
}

/*
 * format() writes |err| for cmp_err_format() (|one_line| 0: an "in <frame>:"
 * line per frame, then "<kind>: <message>") and cmp_err_format_line() (the
 * frames and the message joined by ": ", without the kind).
 */
static const char *
format(const struct cmp_err *err, int one_line, char *buf, size_t buf_len)
{
    size_t pos = 0;
    int i;

    if (buf_len == 0) {
        return buf;
    }
    buf[0] = '\0';
    if (err == NULL || err->code == CMP_E_NONE) {
        append(buf, buf_len, &pos, "no error recorded");
        return buf;
    }
    for (i = err->num_frames - 1; i >= 0; i--) {
        append(buf, buf_len, &pos, one_line ? "%s: " : "in %s:\n", err->frames[i]);
    }
    if (one_line) {
        append(buf, buf_len, &pos, "%s", err->msg);
    } else {
        append(buf, buf_len, &pos, "%s: %s", cmp_errcode_name(err->code), err->msg);
    }
    if (err->has_offset) {
        append(buf, buf_len, &pos, " (at byte offset %zu)", err->offset);
    }
    if (err->failure_bit != CMP_FI_NONE && cmp_failure_bit_name(err->failure_bit) != NULL) {
        append(buf, buf_len, &pos, " [%s]", cmp_failure_bit_name(err->failure_bit));
    }
    return buf;
}

const char *
cmp_err_format(const struct cmp_err *err, char *buf, size_t buf_len)
{
    return format(err, 0, buf, buf_len);
}

const char *
cmp_err_format_line(const struct cmp_err *err, char *buf, size_t buf_len)
{
    return format(err, 1, buf, buf_len);
}

static const char *const failure_names[CMP_FI_MAX + 1] = {
    "badAlg",           "badMessageCheck",    "badRequest",
    "badTime",          "badCertId",          "badDataFormat",
    "wrongAuthority",   "incorrectData",      "missingTimeStamp",
    "badPOP",           "certRevoked",        "certConfirmed",
    "wrongIntegrity",   "badRecipientNonce",  "timeNotAvailable",
    "unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable",
    "badSenderNonce",   "badCertTemplate",    "signerNotTrusted",
    "transactionIdInUse", "unsupportedVersion", "notAuthorized",
    "systemUnavail",    "systemFailure",      "duplicateCertReq",
};

const char *
cmp_failure_bit_name(int bit)
{
    if (bit < 0 || bit > CMP_FI_MAX) {
        return NULL;
    }
    return failure_names[bit];
}

const char *
cmp_errcode_name(int code)
{
    switch (code) {
    case CMP_E_NONE:
        return "no error";
    case CMP_E_DECODE:
        return "malformed input";
    case CMP_E_ENCODE:
        return "encoding failed";
    case CMP_E_LIMIT:
        return "limit exceeded";
    case CMP_E_MEMORY:
        return "out of memory";
    case CMP_E_INVALID:
        return "invalid value";
    case CMP_E_IO:
        return "I/O error";
    case CMP_E_CRYPTO:
        return "crypto error";
    case CMP_E_ARG:
        return "bad argument";
    case CMP_E_PROTOCOL:
        return "protocol error";
    case CMP_E_PEER:
        return "peer reported failure";
    case CMP_E_UNSUPPORTED:
        return "unsupported";
    default:
        return "error";
    }
}
