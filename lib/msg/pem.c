/*
 * cmp_pem_to_der(): the first PEM block of a text as DER (RFC 7468), with a
 * strict base64 decoder. libc only.
 */
#include <stdlib.h>
#include <string.h>

#include "cmpkit/msg.h"
#include "msg/msg.h"

/* The value of a base64 character, or -1. */
static int
b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Finds |needle| at the start of a line in text[from..len); returns its offset or len. */
static size_t
find_line_start(const char *text, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle), i;

    for (i = from; i + n <= len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, needle, n) == 0) {
            return i;
        }
    }
    return len;
}

/* The end of the line starting at |i| (offset of its '\n', or len). */
static size_t
line_end(const char *text, size_t len, size_t i)
{
    const char *nl = memchr(text + i, '\n', len - i);

    return nl != NULL ? (size_t)(nl - text) : len;
}

/*
 * Reads "LABEL-----" then optional spaces and a line end at text[i..];
 * sets the label's position.
 */
static int
pem_label(const char *text, size_t len, size_t i, size_t *label, size_t *label_len)
{
    size_t end = line_end(text, len, i), j;

    for (j = i; j + 5 <= end; j++) {
        if (memcmp(text + j, "-----", 5) == 0) {
            break;
        }
        if ((uint8_t)text[j] < 0x20 || (uint8_t)text[j] > 0x7E) {
            return 0;
        }
    }
    if (j + 5 > end || j == i || j - i > 80) {
        return 0;
    }
    *label = i;
    *label_len = j - i;
    for (j += 5; j < end; j++) {
        if (text[j] != ' ' && text[j] != '\t' && text[j] != '\r') {
            return 0;
        }
    }
    return 1;
}

/*
 * Strict base64 (RFC 7468 3) of text[from..to) into |buf|: the alphabet,
 * line breaks and blanks; '=' only as the last one or two characters, with
 * zero padding bits. Returns 1, or 0 with |*bad_at| at the offending
 * character (to when the length is wrong).
 */
static int
b64_decode(const char *text, size_t from, size_t to, uint8_t *buf, size_t *out_n, size_t *bad_at)
{
    size_t i, n = 0;
    uint32_t acc = 0;
    unsigned nchars = 0, pad = 0;
    int v;

    for (i = from; i < to; i++) {
        uint8_t c = (uint8_t)text[i];

        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
            continue;
        }
        *bad_at = i;
        if (c == '=') {
            pad++;
            if (pad > 2 || nchars % 4 < 2) {
                return 0;
            }
            nchars++;
            continue;
        }
        v = b64_value(c);
        if (v < 0 || pad > 0) {
            return 0;
        }
        acc = (acc << 6) | (uint32_t)v;
        nchars++;
        if (nchars % 4 == 0) {
            buf[n++] = (uint8_t)(acc >> 16);
            buf[n++] = (uint8_t)(acc >> 8);
            buf[n++] = (uint8_t)acc;
            acc = 0;
        }
    }
    *bad_at = to;
    if (nchars % 4 != 0 || (pad == 2 && (acc & 0xF) != 0) || (pad == 1 && (acc & 0x3) != 0)) {
        return 0;
    }
    if (pad == 2) {
        buf[n++] = (uint8_t)(acc >> 4);
    } else if (pad == 1) {
        buf[n++] = (uint8_t)(acc >> 10);
        buf[n++] = (uint8_t)(acc >> 2);
    }
    *out_n = n;
    return 1;
}

int
cmp_pem_to_der(const char *text, size_t text_len, uint8_t **out, size_t *out_len,
               struct cmp_err *err)
{
    static const char begin[] = "-----BEGIN ", end[] = "-----END ";
    size_t b, e, body, label, label_len, end_label, end_label_len, n = 0, bad_at = 0;
    uint8_t *buf;

    if (out == NULL || out_len == NULL || (text == NULL && text_len > 0)) {
        return CMP_FAIL(err, CMP_E_ARG, "cmp_pem_to_der: NULL argument");
    }
    *out = NULL;
    *out_len = 0;
    b = find_line_start(text, text_len, 0, begin);
    if (b == text_len) {
        return CMP_FAIL(err, CMP_E_DECODE, "PEM: no \"-----BEGIN\" line");
    }
    if (!pem_label(text, text_len, b + sizeof(begin) - 1, &label, &label_len)) {
        (void)CMP_FAIL(err, CMP_E_DECODE, "PEM: bad BEGIN line");
        cmp_err_set_offset(err, b);
        return 0;
    }
    body = line_end(text, text_len, b);
    e = find_line_start(text, text_len, body, end);
    if (e == text_len ||
        !pem_label(text, text_len, e + sizeof(end) - 1, &end_label, &end_label_len) ||
        end_label_len != label_len || memcmp(text + label, text + end_label, label_len) != 0) {
        return CMP_FAIL(err, CMP_E_DECODE, "PEM: no matching \"-----END\" line");
    }
    /* Headers (RFC 1421 encrypted PEM) fail as invalid base64 (':'). */
    buf = malloc((e - body) / 4 * 3 + 3);
    if (buf == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PEM: out of memory");
    }
    if (!b64_decode(text, body, e, buf, &n, &bad_at)) {
        free(buf);
        if (bad_at < e) {
            (void)CMP_FAIL(err, CMP_E_DECODE, "PEM: invalid base64 character 0x%02X",
                           (unsigned)(uint8_t)text[bad_at]);
        } else {
            (void)CMP_FAIL(err, CMP_E_DECODE, "PEM: base64 length or padding is wrong");
        }
        cmp_err_set_offset(err, bad_at);
        return 0;
    }
    if (n == 0 || n > CMP_MAX_MSG_LEN) {
        free(buf);
        if (n == 0) {
            return CMP_FAIL(err, CMP_E_DECODE, "PEM: empty block");
        }
        return CMP_FAIL(err, CMP_E_LIMIT, "PEM: more than %u bytes", CMP_MAX_MSG_LEN);
    }
    *out = buf;
    *out_len = n;
    return 1;
}
