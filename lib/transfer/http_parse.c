/*
 * An HTTP/1.1 response parser (RFC 9112) for the built-in client of
 * http_plain.c: no I/O, fed with the bytes as they arrive, so that the
 * fuzzer and the unit tests can drive it with any split of any input.
 *
 * What a CMP client needs and no more: the status line, Content-Type,
 * Content-Length, Transfer-Encoding: chunked and Connection. Interim 1xx
 * responses are skipped. Everything is bounded: the head (status line and
 * header fields) to CMP_HTTP_MAX_HEAD bytes and CMP_HTTP_MAX_FIELDS fields,
 * a chunk-size line to CMP_HTTP_MAX_LINE bytes, the body to the caller's
 * limit (checked against Content-Length and chunk sizes before the bytes
 * arrive). Chunked bodies are decoded in place, so the buffer never holds
 * much more than the body.
 *
 * Strict where leniency would let a peer smuggle or confuse: obsolete line
 * folding, a field name with white space before the colon, two different
 * Content-Lengths, a transfer coding other than chunked, bytes after the
 * end of the response and a connection closed before the announced end are
 * errors. Bare LF line ends are accepted (RFC 9112 2.2 allows it).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "transfer/internal.h"

enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER };

/* Input is taken in steps of this size, which bounds the buffer beyond the body. */
#define FEED_STEP 4096

void
cmp_http_rsp_init(struct cmp_http_rsp *r, size_t max_body)
{
    memset(r, 0, sizeof(*r));
    r->max_body = max_body;
    r->content_length = -1;
}

void
cmp_http_rsp_cleanup(struct cmp_http_rsp *r)
{
    if (r == NULL) {
        return;
    }
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
}

/* Room for |n| more bytes in r->buf; at most |limit| bytes in all. */
static int
reserve(struct cmp_http_rsp *r, size_t n, size_t limit, struct cmp_err *err)
{
    size_t cap;
    uint8_t *nb;

    if (n > limit || r->len > limit - n) {
        return CMP_FAIL(err, CMP_E_LIMIT, "HTTP response exceeds %zu bytes", limit);
    }
    if (r->len + n <= r->cap) {
        return 1;
    }
    cap = r->cap == 0 ? 4096 : r->cap;
    while (cap < r->len + n) {
        cap = cap > limit / 2 ? limit : cap * 2;
    }
    nb = realloc(r->buf, cap);
    if (nb == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "HTTP response");
    }
    r->buf = nb;
    r->cap = cap;
    return 1;
}

static int
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Trims optional white space (SP, HTAB) on both ends of [*p, *p + *n). */
static void
trim_ows(const char **p, size_t *n)
{
    while (*n > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t')) {
        (*n)--;
    }
}

/* Does the comma-separated list [p, p + n) hold the token |tok|? */
static int
list_has(const char *p, size_t n, const char *tok)
{
    size_t tl = strlen(tok);

    while (n > 0) {
        const char *comma = memchr(p, ',', n);
        size_t item = comma != NULL ? (size_t)(comma - p) : n;
        const char *q = p;
        size_t ql = item;

        trim_ows(&q, &ql);
        if (ql == tl && strncasecmp(q, tok, tl) == 0) {
            return 1;
        }
        if (comma == NULL) {
            break;
        }
        p += item + 1;
        n -= item + 1;
    }
    return 0;
}

/* "HTTP/1.x SSS [reason]" */
static int
status_line(struct cmp_http_rsp *r, const char *p, size_t n, struct cmp_err *err)
{
    size_t i;

    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
        (n > 12 && p[12] != ' ')) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "not an HTTP/1.x status line: '%.40s'", p);
    }
    r->http10 = p[7] == '0';
    r->status = 0;
    for (i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return CMP_FAIL(err, CMP_E_PROTOCOL, "bad HTTP status code in '%.40s'", p);
        }
        r->status = r->status * 10 + (p[i] - '0');
    }
    if (r->status < 100) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "bad HTTP status code %d", r->status);
    }
    return 1;
}

static int
content_length(struct cmp_http_rsp *r, const char *v, size_t vl, struct cmp_err *err)
{
    int64_t cl = 0;
    size_t i;

    if (vl == 0) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "empty Content-Length in the HTTP response");
    }
    for (i = 0; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return CMP_FAIL(err, CMP_E_PROTOCOL, "bad Content-Length '%.*s' in the HTTP response",
                            (int)(vl < 40 ? vl : 40), v);
        }
        if (cl > ((int64_t)r->max_body - (v[i] - '0')) / 10) {
            return CMP_FAIL(err, CMP_E_LIMIT,
                            "the HTTP response announces %.*s bytes, which exceeds %zu bytes",
                            (int)(vl < 24 ? vl : 24), v, r->max_body);
        }
        cl = cl * 10 + (v[i] - '0');
    }
    if (r->content_length >= 0 && r->content_length != cl) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "two different Content-Lengths in the HTTP response");
    }
    r->content_length = cl;
    return 1;
}

static int
header_field(struct cmp_http_rsp *r, const char *p, size_t n, struct cmp_err *err)
{
    const char *colon = memchr(p, ':', n), *v;
    size_t nl, vl, i;

    if (p[0] == ' ' || p[0] == '\t') {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "obsolete line folding in the HTTP response");
    }
    if (colon == NULL || colon == p) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "bad header field in the HTTP response: '%.40s'", p);
    }
    nl = (size_t)(colon - p);
    for (i = 0; i < nl; i++) {
        if (!is_tchar((unsigned char)p[i])) {
            return CMP_FAIL(err, CMP_E_PROTOCOL,
                            "bad header field name in the HTTP response: '%.*s'",
                            (int)(nl < 40 ? nl : 40), p);
        }
    }
    if (++r->num_fields > CMP_HTTP_MAX_FIELDS) {
        return CMP_FAIL(err, CMP_E_LIMIT, "more than %d header fields in the HTTP response",
                        CMP_HTTP_MAX_FIELDS);
    }
    v = colon + 1;
    vl = n - nl - 1;
    trim_ows(&v, &vl);
    if (nl == 14 && strncasecmp(p, "Content-Length", nl) == 0) {
        return content_length(r, v, vl, err);
    }
    if (nl == 17 && strncasecmp(p, "Transfer-Encoding", nl) == 0) {
        /* Only "chunked", and only once: anything else we could not decode. */
        if (r->chunked || vl != 7 || strncasecmp(v, "chunked", 7) != 0) {
            return CMP_FAIL(err, CMP_E_UNSUPPORTED,
                            "unsupported Transfer-Encoding '%.*s' in the HTTP response",
                            (int)(vl < 40 ? vl : 40), v);
        }
        r->chunked = 1;
    } else if (nl == 12 && strncasecmp(p, "Content-Type", nl) == 0) {
        if (r->has_content_type) {
            return CMP_FAIL(err, CMP_E_PROTOCOL, "two Content-Types in the HTTP response");
        }
        r->has_content_type = 1;
        vl = vl < sizeof(r->content_type) - 1 ? vl : sizeof(r->content_type) - 1;
        memcpy(r->content_type, v, vl);
        r->content_type[vl] = '\0';
    } else if (nl == 10 && strncasecmp(p, "Connection", nl) == 0) {
        r->conn_close |= list_has(v, vl, "close");
        r->conn_keep |= list_has(v, vl, "keep-alive");
    }
    return 1;
}

/* For the next response (after an interim one); keeps |received| and |num_interim|. */
static void
reset_head(struct cmp_http_rsp *r)
{
    r->status = 0;
    r->http10 = r->conn_close = r->conn_keep = 0;
    r->chunked = r->has_content_type = 0;
    r->content_type[0] = '\0';
    r->content_length = -1;
    r->num_fields = 0;
    r->head_len = 0;
    r->seen = 0;
    r->phase = CMP_HTTP_HEAD;
}

/* The head has ended: pick the body's framing (RFC 9112 6.3). */
static int
end_of_head(struct cmp_http_rsp *r, struct cmp_err *err)
{
    if (r->status == 101) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "the HTTP server switches protocols (101)");
    }
    if (r->status < 200) {
        /* An interim response (100 Continue): the real one follows. */
        if (++r->num_interim > CMP_HTTP_MAX_INTERIM) {
            return CMP_FAIL(err, CMP_E_LIMIT, "more than %d interim (1xx) HTTP responses",
                            CMP_HTTP_MAX_INTERIM);
        }
        reset_head(r);
        return 1;
    }
    if (r->chunked) {
        if (r->http10) {
            return CMP_FAIL(err, CMP_E_PROTOCOL, "Transfer-Encoding in an HTTP/1.0 response");
        }
        /* It overrides a Content-Length, after which the connection must end (RFC 9112 6.3). */
        if (r->content_length >= 0) {
            r->conn_close = 1;
        }
        r->content_length = -1;
        r->phase = CMP_HTTP_BODY_CHUNKED;
        r->chunk_state = CH_SIZE;
    } else if (r->status == 204 || r->status == 304) {
        r->phase = CMP_HTTP_DONE;
    } else if (r->content_length >= 0) {
        r->phase = r->content_length == 0 ? CMP_HTTP_DONE : CMP_HTTP_BODY_LEN;
    } else {
        r->phase = CMP_HTTP_BODY_EOF; /* delimited by the end of the connection */
        r->conn_close = 1;
    }
    return 1;
}

/*
 * A response must start with "HTTP/": anything else fails at once, rather
 * than when the peer closes or the time is up. Binary bytes are shown in
 * hex: a TLS server answering plain text is the usual cause.
 */
static int
not_http(const struct cmp_http_rsp *r, struct cmp_err *err)
{
    const uint8_t *p = r->buf + r->rd;
    size_t n = r->len - r->rd, i;
    char text[16];

    for (i = 0; i < n && i < sizeof(text) - 1; i++) {
        if (p[i] < 0x20 || p[i] >= 0x7F) {
            return CMP_FAIL(err, CMP_E_PROTOCOL,
                            "the answer is not HTTP: it starts with %02X %02X %02X %02X%s", p[0],
                            p[1], p[2], p[3],
                            p[0] == 0x15 || p[0] == 0x16 ? " (TLS; is -tls_used missing?)" : "");
        }
        text[i] = (char)p[i];
    }
    text[i] = '\0';
    return CMP_FAIL(err, CMP_E_PROTOCOL, "the answer is not HTTP: it starts with '%s'", text);
}

/* Consumes complete head lines from r->buf[r->rd..r->len). */
static int
parse_head(struct cmp_http_rsp *r, struct cmp_err *err)
{
    while (r->phase == CMP_HTTP_HEAD) {
        uint8_t *line = r->buf + r->rd;
        uint8_t *lf = memchr(line, '\n', r->len - r->rd);
        size_t n, i;

        if (!r->seen && r->len - r->rd >= 5 && memcmp(line, "HTTP/", 5) != 0) {
            return not_http(r, err);
        }
        if (lf == NULL) {
            if (r->head_len + (r->len - r->rd) > CMP_HTTP_MAX_HEAD) {
                return CMP_FAIL(err, CMP_E_LIMIT, "the HTTP response head exceeds %u bytes",
                                (unsigned)CMP_HTTP_MAX_HEAD);
            }
            return 1;
        }
        n = (size_t)(lf - line);
        r->head_len += n + 1;
        r->rd += n + 1;
        if (r->head_len > CMP_HTTP_MAX_HEAD) {
            return CMP_FAIL(err, CMP_E_LIMIT, "the HTTP response head exceeds %u bytes",
                            (unsigned)CMP_HTTP_MAX_HEAD);
        }
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        /* No control characters (RFC 9110 5.5), which could also reach a terminal in a message. */
        for (i = 0; i < n; i++) {
            if ((line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7F) {
                return CMP_FAIL(err, CMP_E_PROTOCOL,
                                "a control character (%02X) in the HTTP response head", line[i]);
            }
        }
        line[n] = '\0'; /* the CR or LF: messages may print the line with %.40s */
        if (!r->seen) {
            r->seen = 1;
            if (!status_line(r, (const char *)line, n, err)) {
                return 0;
            }
        } else if (n == 0) {
            if (!end_of_head(r, err)) {
                return 0;
            }
        } else if (!header_field(r, (const char *)line, n, err)) {
            return 0;
        }
    }
    return 1;
}

/* Parses a chunk-size line "HEX[;ext]"; 0 on a bad line. */
static int
chunk_size(struct cmp_http_rsp *r, const uint8_t *p, size_t n, uint64_t *size, struct cmp_err *err)
{
    size_t i = 0;
    uint64_t s = 0;

    if (n > 0 && p[n - 1] == '\r') {
        n--;
    }
    for (; i < n; i++) {
        int d;

        if (p[i] >= '0' && p[i] <= '9') {
            d = p[i] - '0';
        } else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f') {
            d = (p[i] | 0x20) - 'a' + 10;
        } else {
            break;
        }
        if (s > (r->max_body >> 4)) {
            return CMP_FAIL(err, CMP_E_LIMIT, "an HTTP chunk exceeds %zu bytes", r->max_body);
        }
        s = (s << 4) | (uint64_t)d;
    }
    if (i == 0 || (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')) {
        return CMP_FAIL(err, CMP_E_PROTOCOL, "bad chunk size line in the HTTP response");
    }
    *size = s;
    return 1;
}

/*
 * Decodes the chunks in r->buf[r->rd..r->len) in place: the data moves down
 * to r->out, which never passes r->rd.
 */
static int
parse_chunked(struct cmp_http_rsp *r, struct cmp_err *err)
{
    while (r->phase == CMP_HTTP_BODY_CHUNKED && r->rd < r->len) {
        uint8_t *p = r->buf + r->rd;
        size_t avail = r->len - r->rd;
        uint8_t *lf;
        size_t n;

        switch (r->chunk_state) {
        case CH_SIZE:
        case CH_TRAILER:
            lf = memchr(p, '\n', avail);
            if (lf == NULL) {
                if (avail > CMP_HTTP_MAX_LINE) {
                    return CMP_FAIL(err, CMP_E_LIMIT,
                                    "a chunk line of the HTTP response exceeds %u bytes",
                                    (unsigned)CMP_HTTP_MAX_LINE);
                }
                return 1;
            }
            n = (size_t)(lf - p);
            r->rd += n + 1;
            if (n > CMP_HTTP_MAX_LINE) {
                return CMP_FAIL(err, CMP_E_LIMIT,
                                "a chunk line of the HTTP response exceeds %u bytes",
                                (unsigned)CMP_HTTP_MAX_LINE);
            }
            if (r->chunk_state == CH_TRAILER) {
                r->head_len += n + 1; /* trailer fields count against the head limit */
                if (r->head_len > 2 * CMP_HTTP_MAX_HEAD) {
                    return CMP_FAIL(err, CMP_E_LIMIT, "the HTTP trailer exceeds %u bytes",
                                    (unsigned)CMP_HTTP_MAX_HEAD);
                }
                if (n == 0 || (n == 1 && p[0] == '\r')) {
                    r->phase = CMP_HTTP_DONE;
                }
                break;
            }
            {
                uint64_t size = 0;

                if (!chunk_size(r, p, n, &size, err)) {
                    return 0;
                }
                if (size > r->max_body - r->out) {
                    return CMP_FAIL(err, CMP_E_LIMIT, "HTTP response body exceeds %zu bytes",
                                    r->max_body);
                }
                r->chunk_left = (size_t)size;
                r->chunk_state = size == 0 ? CH_TRAILER : CH_DATA;
            }
            break;
        case CH_DATA:
            n = avail < r->chunk_left ? avail : r->chunk_left;
            memmove(r->buf + r->out, p, n);
            r->out += n;
            r->rd += n;
            r->chunk_left -= n;
            if (r->chunk_left == 0) {
                r->chunk_state = CH_DATA_END;
            }
            break;
        default: /* CH_DATA_END: CRLF (or LF) after the data */
            if (p[0] == '\n') {
                r->rd++;
                r->chunk_state = CH_SIZE;
            } else if (p[0] == '\r') {
                if (avail < 2) {
                    return 1;
                }
                if (p[1] != '\n') {
                    return CMP_FAIL(err, CMP_E_PROTOCOL, "no CRLF after an HTTP chunk");
                }
                r->rd += 2;
                r->chunk_state = CH_SIZE;
            } else {
                return CMP_FAIL(err, CMP_E_PROTOCOL, "an HTTP chunk is longer than its size");
            }
            break;
        }
    }
    /* Keep only the decoded data and what is not parsed yet. */
    if (r->rd > r->out) {
        memmove(r->buf + r->out, r->buf + r->rd, r->len - r->rd);
        r->len -= r->rd - r->out;
        r->rd = r->out;
    }
    return 1;
}

/* The peer closed the connection. */
static int
feed_eof(struct cmp_http_rsp *r, struct cmp_err *err)
{
    switch (r->phase) {
    case CMP_HTTP_DONE:
        return 1;
    case CMP_HTTP_BODY_EOF:
        r->phase = CMP_HTTP_DONE;
        r->body_len = r->len;
        return 1;
    case CMP_HTTP_HEAD:
        if (r->received == 0) {
            CMP_FAIL(err, CMP_E_IO, "the server closed the connection without a response");
        } else {
            CMP_FAIL(err, CMP_E_PROTOCOL, "the server closed the connection in the HTTP head");
        }
        return -1;
    case CMP_HTTP_BODY_LEN:
        CMP_FAIL(err, CMP_E_PROTOCOL,
                 "the server closed the connection after %zu of %lld body bytes", r->len,
                 (long long)r->content_length);
        return -1;
    default:
        CMP_FAIL(err, CMP_E_PROTOCOL, "the server closed the connection in a chunked body");
        return -1;
    }
}

/* feed_some() takes at most FEED_STEP bytes, which bounds the buffer. */
static int
feed_some(struct cmp_http_rsp *r, const uint8_t *p, size_t n, struct cmp_err *err)
{
    size_t limit;

    switch (r->phase) {
    case CMP_HTTP_HEAD:
        limit = CMP_HTTP_MAX_HEAD + FEED_STEP;
        break;
    case CMP_HTTP_BODY_CHUNKED:
        limit = r->max_body + CMP_HTTP_MAX_LINE + 2 + FEED_STEP;
        break;
    case CMP_HTTP_DONE:
        CMP_FAIL(err, CMP_E_PROTOCOL, "bytes after the end of the HTTP response");
        return -1;
    default:
        limit = r->max_body;
        break;
    }
    if (!reserve(r, n, limit, err)) {
        return -1;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
    r->received += n;
    if (r->phase == CMP_HTTP_HEAD) {
        if (!parse_head(r, err)) {
            return -1;
        }
        /* Drop the parsed lines: after the head, the buffer holds only body bytes. */
        memmove(r->buf, r->buf + r->rd, r->len - r->rd);
        r->len -= r->rd;
        r->rd = r->out = 0;
    }
    switch (r->phase) {
    case CMP_HTTP_HEAD:
        return 0;
    case CMP_HTTP_BODY_CHUNKED:
        if (!parse_chunked(r, err)) {
            return -1;
        }
        if (r->phase != CMP_HTTP_DONE) {
            return 0;
        }
        if (r->rd != r->len) {
            CMP_FAIL(err, CMP_E_PROTOCOL, "bytes after the end of the HTTP response");
            return -1;
        }
        r->body_len = r->out;
        return 1;
    case CMP_HTTP_BODY_LEN:
        if (r->len > (size_t)r->content_length) {
            CMP_FAIL(err, CMP_E_PROTOCOL, "the HTTP response is longer than its Content-Length");
            return -1;
        }
        if (r->len < (size_t)r->content_length) {
            return 0;
        }
        r->phase = CMP_HTTP_DONE;
        r->body_len = r->len;
        return 1;
    case CMP_HTTP_BODY_EOF:
        return 0;
    default: /* done right after the head: no body */
        if (r->len > 0) {
            CMP_FAIL(err, CMP_E_PROTOCOL, "bytes after the end of the HTTP response");
            return -1;
        }
        r->body_len = 0;
        return 1;
    }
}

int
cmp_http_rsp_feed(struct cmp_http_rsp *r, const uint8_t *p, size_t n, struct cmp_err *err)
{
    if (n == 0) {
        return feed_eof(r, err);
    }
    while (n > 0) {
        size_t k = n < FEED_STEP ? n : FEED_STEP;
        int rc = feed_some(r, p, k, err);

        p += k;
        n -= k;
        if (rc < 0) {
            return -1;
        }
        if (rc > 0 && n > 0) {
            CMP_FAIL(err, CMP_E_PROTOCOL, "bytes after the end of the HTTP response");
            return -1;
        }
        if (rc > 0) {
            return 1;
        }
    }
    return 0;
}

int
cmp_http_rsp_keeps_connection(const struct cmp_http_rsp *r)
{
    return r->phase == CMP_HTTP_DONE && !r->conn_close && !(r->http10 && !r->conn_keep);
}
