/*
 * libFuzzer target: the HTTP/1.1 response parser of the built-in client
 * (lib/transfer/http_parse.c).
 *
 * Input: one byte, the size of the pieces the rest is fed in (0: whole),
 * then what a server sends. Besides crashes, leaks and hangs, it checks a
 * property: the result (complete or failed, the status, the body, whether
 * the connection may be kept) does not depend on how the bytes arrive.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transfer/internal.h"

#define MAX_BODY (64u << 10)

struct outcome {
    int rc;
    int status, keeps;
    uint8_t *body;
    size_t body_len;
};

static void
parse(struct outcome *o, const uint8_t *p, size_t len, size_t step)
{
    struct cmp_http_rsp r;
    struct cmp_err err;
    size_t pos = 0;
    int rc = 0;

    memset(o, 0, sizeof(*o));
    cmp_err_init(&err);
    cmp_http_rsp_init(&r, MAX_BODY);
    while (rc == 0 && pos < len) {
        size_t n = step == 0 || step > len - pos ? len - pos : step;

        rc = cmp_http_rsp_feed(&r, p + pos, n, &err);
        pos += n;
    }
    if (rc == 1 && pos < len) {
        /* complete before the end: the next byte is refused */
        rc = cmp_http_rsp_feed(&r, p + pos, 1, &err);
        if (rc != -1) {
            abort();
        }
    }
    if (rc == 0) {
        rc = cmp_http_rsp_feed(&r, NULL, 0, &err);
    }
    if (rc != 1 && rc != -1) {
        abort(); /* after the end of the input, the parser must decide */
    }
    if (rc == -1 && err.code == CMP_E_NONE) {
        abort(); /* a failure always says why */
    }
    o->rc = rc;
    if (rc == 1) {
        o->status = r.status;
        o->keeps = cmp_http_rsp_keeps_connection(&r);
        o->body_len = r.body_len;
        if (r.body_len > MAX_BODY) {
            abort();
        }
        o->body = r.buf;
        r.buf = NULL;
    }
    cmp_http_rsp_cleanup(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct outcome whole, pieces;

    if (size < 1) {
        return 0;
    }
    parse(&whole, data + 1, size - 1, 0);
    parse(&pieces, data + 1, size - 1, data[0]);
    if (whole.rc != pieces.rc) {
        abort();
    }
    if (whole.rc == 1 &&
        (whole.status != pieces.status || whole.keeps != pieces.keeps ||
         whole.body_len != pieces.body_len ||
         (whole.body_len > 0 && memcmp(whole.body, pieces.body, whole.body_len) != 0))) {
        abort();
    }
    free(whole.body);
    free(pieces.body);
    return 0;
}
