/*
 * Unit tests for lib/transfer/http_parse.c, the HTTP/1.1 response parser of
 * the built-in client: every row is fed whole, split in two at every
 * position, and byte by byte, and must give the same result each way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "transfer/internal.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))
#define CHECK_MSG(cond, ...) check_msg((cond) ? 1 : 0, #cond, __LINE__, __VA_ARGS__)

/* A check whose name says which row and split failed; formatted on failure only. */
static void check_msg(int ok, const char *expr, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
check_msg(int ok, const char *expr, int line, const char *fmt, ...)
{
    char name[512];
    va_list ap;

    if (ok) {
        check_true(1, NULL, expr, __FILE__, line);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    check_true(0, name, expr, __FILE__, line);
}

struct result {
    int rc; /* 1 complete, -1 error (after the end of the input, if needed) */
    int status;
    int keeps;
    char body[256];
    size_t body_len;
    char ct[128];
    char msg[CMP_ERR_MSG_MAX];
};

/*
 * Feeds |in| in pieces of |step| bytes (0: in two pieces split at |split|),
 * then the end of the connection if the response is not complete by then.
 */
static void
run(struct result *res, const char *in, size_t len, size_t max_body, size_t step, size_t split)
{
    struct cmp_http_rsp r;
    struct cmp_err err;
    size_t pos = 0;
    int rc = 0;

    memset(res, 0, sizeof(*res));
    cmp_err_init(&err);
    cmp_http_rsp_init(&r, max_body);
    while (rc == 0 && pos < len) {
        size_t n = step != 0 ? step : (pos == 0 && split > 0 ? split : len - pos);

        if (n > len - pos) {
            n = len - pos;
        }
        rc = cmp_http_rsp_feed(&r, (const uint8_t *)in + pos, n, &err);
        pos += n;
    }
    if (rc == 1 && pos < len) {
        rc = -1; /* complete before the end of the input: the rest is junk */
    }
    if (rc == 0) {
        rc = cmp_http_rsp_feed(&r, NULL, 0, &err);
    }
    res->rc = rc;
    if (rc == 1) {
        res->status = r.status;
        res->keeps = cmp_http_rsp_keeps_connection(&r);
        res->body_len = r.body_len;
        if (r.body_len < sizeof(res->body)) {
            memcpy(res->body, r.buf, r.body_len);
        }
        snprintf(res->ct, sizeof(res->ct), "%s", r.has_content_type ? r.content_type : "");
    } else {
        snprintf(res->msg, sizeof(res->msg), "%s", err.msg);
    }
    cmp_http_rsp_cleanup(&r);
}

static const struct {
    const char *name, *in;
    int rc, status, keeps;
    const char *body; /* or the error's text, when rc is -1 */
    const char *ct;
} rows[] = {
    {"content-length",
     "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n"
     "Content-Length: 5\r\n\r\nhello",
     1, 200, 1, "hello", "application/pkixcmp"},
    {"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", 1, 200, 1, "hi", ""},
    {"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", 1, 200, 1, "x", ""},
    {"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 1,
     200, 0, "x", ""},
    {"connection list", "HTTP/1.1 200 OK\r\nConnection: foo ,Close\r\nContent-Length: 0\r\n\r\n", 1,
     200, 0, "", ""},
    {"http/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 1, 200, 0, "x", ""},
    {"http/1.0 keep-alive",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", 1, 200, 1, "x", ""},
    {"until close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", 1, 200, 0,
     "until the end", "text/plain"},
    {"chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3\r\nabc\r\n1;ext=\"x\"\r\nd\r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
     1, 200, 1, "abcd0123456789", ""},
    {"chunked, bare LF", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nab\n0\n\n", 1, 200, 1,
     "ab", ""},
    {"chunked beats length",
     "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n"
     "Transfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
     1, 200, 0, "z", ""},
    {"100 continue",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nX: y\r\n\r\n"
     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
     1, 200, 1, "ok", ""},
    {"204", "HTTP/1.1 204 No Content\r\n\r\n", 1, 204, 1, "", ""},
    {"404 with text", "HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope", 1, 404, 1, "nope",
     ""},
    {"same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 1,
     200, 1, "x", ""},
    {"ows around values",
     "HTTP/1.1 200 OK\r\nContent-Length: \t1 \r\nContent-Type:  a/b ; x=1 \r\n\r\nx", 1, 200, 1,
     "x", "a/b ; x=1"},

    {"nothing", "", -1, 0, 0, "without a response", NULL},
    {"not http", "SSH-2.0-OpenSSH\r\n\r\n", -1, 0, 0, "not HTTP: it starts with 'SSH-2.0-Open", NULL},
    {"tls record", "\x16\x03\x03\x01\x0a\x02", -1, 0, 0, "16 03 03 01 (TLS", NULL},
    {"short junk", "HTT", -1, 0, 0, "in the HTTP head", NULL},
    {"http/1.2", "HTTP/1.2 200 OK\r\n\r\n", -1, 0, 0, "not an HTTP/1.x status line", NULL},
    {"escape in reason", "HTTP/1.1 200 \x1b[31mOK\r\n\r\n", -1, 0, 0, "control character (1B)",
     NULL},
    {"DEL in field", "HTTP/1.1 200 OK\r\nX: \x7f\r\n\r\n", -1, 0, 0, "control character (7F)",
     NULL},
    {"http/2", "HTTP/2 200\r\n\r\n", -1, 0, 0, "not an HTTP/1.x status line", NULL},
    {"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", -1, 0, 0, "bad HTTP status code", NULL},
    {"status 099", "HTTP/1.1 099 Huh\r\n\r\n", -1, 0, 0, "bad HTTP status code", NULL},
    {"101", "HTTP/1.1 101 Switching Protocols\r\n\r\n", -1, 0, 0, "switches protocols", NULL},
    {"truncated head", "HTTP/1.1 200 OK\r\nContent-Len", -1, 0, 0, "in the HTTP head", NULL},
    {"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", -1, 0, 0,
     "after 3 of 10 body bytes", NULL},
    {"longer than length", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", -1, 0, 0, "", NULL},
    {"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx", -1, 0, 0,
     "two different Content-Lengths", NULL},
    {"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -1, 0, 0,
     "bad Content-Length", NULL},
    {"length list", "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx", -1, 0, 0,
     "bad Content-Length", NULL},
    {"huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", -1, 0, 0,
     "which exceeds 4096 bytes", NULL},
    {"length above limit", "HTTP/1.1 200 OK\r\nContent-Length: 4097\r\n\r\n", -1, 0, 0,
     "which exceeds 4096 bytes", NULL},
    {"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", -1, 0, 0,
     "unsupported Transfer-Encoding", NULL},
    {"chunked twice",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 0,
     0, "unsupported Transfer-Encoding", NULL},
    {"chunked in 1.0", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", -1, 0, 0,
     "HTTP/1.0", NULL},
    {"folding", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", -1, 0, 0, "obsolete line folding", NULL},
    {"space before colon", "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", -1, 0, 0,
     "bad header field name", NULL},
    {"no colon", "HTTP/1.1 200 OK\r\nbogus\r\n\r\n", -1, 0, 0, "bad header field", NULL},
    {"CR inside", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", -1, 0, 0, "control character (0D)", NULL},
    {"two types", "HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Type: c/d\r\n\r\n", -1, 0, 0,
     "two Content-Types", NULL},
    {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", -1, 0, 0,
     "bad chunk size line", NULL},
    {"chunk too long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
     -1, 0, 0, "longer than its size", NULL},
    {"chunk above limit", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1001\r\n", -1, 0, 0,
     "exceeds 4096 bytes", NULL},
    {"chunk size overflow",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     "FFFFFFFFFFFFFFFFFFFFFFFF\r\n",
     -1, 0, 0, "exceeds 4096 bytes", NULL},
    {"chunks above limit",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
     "800\r\n",
     -1, 0, 0, "", NULL}, /* completed below with data */
    {"truncated chunks", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", -1, 0, 0,
     "chunked body", NULL},
    {"junk after chunks", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP", -1,
     0, 0, "", NULL},
    {"junk after 204", "HTTP/1.1 204 No Content\r\n\r\nx", -1, 0, 0, "", NULL},
};

static void
check_row(size_t i, const char *in, size_t len)
{
    struct result whole, part;
    size_t k;

    run(&whole, in, len, 4096, len + 1, 0);
    CHECK_MSG(whole.rc == rows[i].rc, "%s: rc %d, expected %d (%s)", rows[i].name, whole.rc,
              rows[i].rc, whole.msg);
    if (rows[i].rc == 1 && whole.rc == 1) {
        CHECK_MSG(whole.status == rows[i].status, "%s: status %d", rows[i].name, whole.status);
        CHECK_MSG(whole.keeps == rows[i].keeps, "%s: keeps %d", rows[i].name, whole.keeps);
        CHECK_MSG(whole.body_len == strlen(rows[i].body) &&
                      memcmp(whole.body, rows[i].body, whole.body_len) == 0,
                  "%s: body '%.*s'", rows[i].name, (int)whole.body_len, whole.body);
        CHECK_MSG(strcmp(whole.ct, rows[i].ct) == 0, "%s: content type '%s'", rows[i].name,
                  whole.ct);
    } else if (rows[i].rc == -1) {
        CHECK_MSG(strstr(whole.msg, rows[i].body) != NULL, "%s: message '%s' lacks '%s'",
                  rows[i].name, whole.msg, rows[i].body);
    }
    /* Any split gives the same result. */
    for (k = 0; k <= len + 1; k++) {
        if (k == 0) {
            run(&part, in, len, 4096, 1, 0); /* byte by byte */
        } else {
            run(&part, in, len, 4096, 0, k - 1);
        }
        CHECK_MSG(part.rc == whole.rc, "%s: split %zu: rc %d, whole %d (%s)", rows[i].name, k,
                  part.rc, whole.rc, part.msg);
        if (part.rc == 1 && whole.rc == 1) {
            CHECK_MSG(part.status == whole.status && part.keeps == whole.keeps &&
                          part.body_len == whole.body_len &&
                          memcmp(part.body, whole.body, part.body_len) == 0,
                      "%s: split %zu differs", rows[i].name, k);
        }
    }
}

static void
test_rows(void)
{
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        char buf[8192];
        size_t len = strlen(rows[i].in);

        memcpy(buf, rows[i].in, len);
        if (strcmp(rows[i].name, "chunks above limit") == 0) {
            /* two chunks of 0x800 bytes fit; a third byte does not */
            memset(buf + len, 'a', 0x800);
            len += 0x800;
            memcpy(buf + len, "\r\n800\r\n", 7);
            len += 7;
            memset(buf + len, 'b', 0x800);
            len += 0x800;
            memcpy(buf + len, "\r\n1\r\nc\r\n0\r\n\r\n", 13);
            len += 13;
            check_row(i, buf, len);
            continue;
        }
        check_row(i, buf, len);
    }
}

/* A NUL in a header line is refused; in the body it is data. */
static void
test_binary(void)
{
    static const char in[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n\0\x01\x02";
    static const char bad[] = "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n";
    struct result res;

    run(&res, in, sizeof(in) - 1, 4096, 1000, 0);
    CHECK(res.rc == 1 && res.body_len == 3 && res.body[2] == 2);
    run(&res, bad, sizeof(bad) - 1, 4096, 1000, 0);
    CHECK(res.rc == -1 && strstr(res.msg, "control character (00)") != NULL);
}

/* The head, header count, interim responses and close-delimited bodies are bounded. */
static void
test_limits(void)
{
    static char in[64 << 10];
    struct result res;
    size_t len;
    int i;

    len = (size_t)snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nX: ");
    memset(in + len, 'a', CMP_HTTP_MAX_HEAD);
    len += CMP_HTTP_MAX_HEAD;
    run(&res, in, len, 4096, 4096, 0);
    CHECK(res.rc == -1 && strstr(res.msg, "head exceeds") != NULL);

    len = (size_t)snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n");
    for (i = 0; i <= CMP_HTTP_MAX_FIELDS; i++) {
        len += (size_t)snprintf(in + len, sizeof(in) - len, "X%d: y\r\n", i);
    }
    len += (size_t)snprintf(in + len, sizeof(in) - len, "\r\n");
    run(&res, in, len, 4096, 7, 0);
    CHECK(res.rc == -1 && strstr(res.msg, "header fields") != NULL);

    len = 0;
    for (i = 0; i <= CMP_HTTP_MAX_INTERIM; i++) {
        len += (size_t)snprintf(in + len, sizeof(in) - len, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    run(&res, in, len, 4096, 3, 0);
    CHECK(res.rc == -1 && strstr(res.msg, "interim") != NULL);

    len = (size_t)snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n\r\n");
    memset(in + len, 'b', 4097);
    run(&res, in, len + 4096, 4096, 100, 0);
    CHECK(res.rc == 1 && res.body_len == 4096);
    run(&res, in, len + 4097, 4096, 100, 0);
    CHECK(res.rc == -1 && strstr(res.msg, "exceeds 4096") != NULL);

    len = (size_t)snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    memset(in + len, '0', CMP_HTTP_MAX_LINE + 10);
    run(&res, in, len + CMP_HTTP_MAX_LINE + 10, 4096, 64, 0);
    CHECK(res.rc == -1 && strstr(res.msg, "chunk line") != NULL);
}

int
main(void)
{
    test_rows();
    test_binary();
    test_limits();
    return check_finish();
}
