/*
 * The checks of one HTTP request to the CMP server and the collection of
 * its body under a per-request cap and a budget shared by all connections
 * (see http_req.h). No sockets, no libmicrohttpd: fuzzed by
 * fuzz/http_request.c, tested by tests/unit/test_http_req.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_req.h"

void
http_budget_init(struct http_budget *b, size_t limit)
{
    atomic_init(&b->used, 0);
    b->limit = limit;
}

/* large_share() is what requests above HTTP_REQ_SMALL_BODY may fill: 3/4 of the budget. */
static size_t
large_share(const struct http_budget *b)
{
    return b->limit - b->limit / 4;
}

size_t
http_budget_most(const struct http_budget *b)
{
    size_t small = b->limit < HTTP_REQ_SMALL_BODY ? b->limit : HTTP_REQ_SMALL_BODY;

    return large_share(b) > small ? large_share(b) : small;
}

/*
 * budget_take() reserves |n| more bytes of |b| for a request that then holds
 * |total|: 1, or 0 (nothing taken) if they do not fit.
 */
static int
budget_take(struct http_budget *b, size_t n, size_t total)
{
    size_t cap = total > HTTP_REQ_SMALL_BODY ? large_share(b) : b->limit;
    size_t used = atomic_load(&b->used);

    do {
        if (n > cap || used > cap - n) {
            return 0;
        }
    } while (!atomic_compare_exchange_weak(&b->used, &used, used + n));
    return 1;
}

static void
budget_give(struct http_budget *b, size_t n)
{
    if (n != 0) {
        atomic_fetch_sub(&b->used, n);
    }
}

const char *
http_req_norm_path(const char *p, size_t *len)
{
    size_t n;

    while (*p == '/') {
        p++;
    }
    n = strlen(p);
    while (n >= 2 && p[n - 1] == '/' && p[n - 2] == '/') {
        n--;
    }
    *len = n;
    return p;
}

/* path_ok(): the path is empty, "pkix/" or -path's (RFC 9811 3.6 leaves the path to the server). */
static int
path_ok(const struct http_req_limits *lim, const char *url)
{
    size_t n;
    const char *p = http_req_norm_path(url, &n);

    return n == 0 || (n == 5 && memcmp(p, "pkix/", 5) == 0) ||
           (lim->extra_path != NULL && n == lim->extra_len && memcmp(p, lim->extra_path, n) == 0);
}

static const char *
skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    return s;
}

/* content_type_ok(): the media type, without parameters and blanks, is ours (RFC 9811 3.4). */
static int
content_type_ok(const char *ct)
{
    size_t n = sizeof(HTTP_REQ_CONTENT_TYPE) - 1;

    if (ct == NULL) {
        return 0;
    }
    ct = skip_blanks(ct);
    if (strncasecmp(ct, HTTP_REQ_CONTENT_TYPE, n) != 0) {
        return 0;
    }
    ct = skip_blanks(ct + n);
    return *ct == '\0' || *ct == ';';
}

/*
 * parse_length() reads a Content-Length value (RFC 9110 8.6: 1*DIGIT,
 * blanks around it allowed): 1 with |*out|, saturated at ULLONG_MAX as it is
 * too large anyway; 0 if it is not a number.
 */
static int
parse_length(const char *s, unsigned long long *out)
{
    unsigned long long v = 0;
    const char *p = skip_blanks(s);

    if (*p < '0' || *p > '9') {
        return 0;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');

        v = v > (~0ULL - d) / 10 ? ~0ULL : v * 10 + d;
    }
    *out = v;
    return *skip_blanks(p) == '\0';
}

static void
refuse(struct http_req *r, int status, int cause)
{
    r->status = status;
    r->cause = cause;
}

void
http_req_begin(struct http_req *r, const struct http_req_limits *lim, struct http_budget *b,
               const char *method, const char *url, const char *content_type,
               const char *content_length, const char *expect)
{
    size_t want;

    memset(r, 0, sizeof(*r));
    if (strcmp(method, "POST") != 0) {
        refuse(r, HTTP_REQ_NOT_ALLOWED, HTTP_CAUSE_METHOD);
        return;
    }
    if (!path_ok(lim, url)) {
        refuse(r, HTTP_REQ_NOT_FOUND, HTTP_CAUSE_PATH);
        return;
    }
    if (!content_type_ok(content_type)) {
        refuse(r, HTTP_REQ_BAD_MEDIA, HTTP_CAUSE_MEDIA);
        return;
    }
    if (content_length != NULL) {
        if (!parse_length(content_length, &r->declared)) {
            refuse(r, HTTP_REQ_BAD_REQUEST, HTTP_CAUSE_LENGTH);
            r->answer_now = 1; /* the body's end is unknown: nothing to drain */
            return;
        }
        r->has_declared = 1;
    }
    if (r->has_declared && r->declared > lim->max_body) {
        /*
         * Refused before the body is read when the client waits for "100
         * Continue" or the body is too large to drain; otherwise the body is
         * read and dropped, so that a client busy sending it gets the answer
         * and may keep the connection.
         */
        refuse(r, HTTP_REQ_TOO_LARGE, HTTP_CAUSE_TOO_LARGE);
        r->answer_now = (expect != NULL && strcasecmp(skip_blanks(expect), "100-continue") == 0) ||
                        r->declared > HTTP_REQ_DRAIN_FACTOR * (unsigned long long)lim->max_body;
        return;
    }
    want = r->has_declared ? (size_t)r->declared
                           : (lim->max_body < HTTP_REQ_FIRST_RESERVE ? lim->max_body
                                                                     : HTTP_REQ_FIRST_RESERVE);
    if (!budget_take(b, want, want)) {
        refuse(r, HTTP_REQ_UNAVAILABLE, HTTP_CAUSE_BUDGET);
        r->answer_now = 1;
        return;
    }
    r->reserved = want;
}

/* drop() counts refused body bytes: 0 once there were too many to keep reading. */
static int
drop(struct http_req *r, const struct http_req_limits *lim, size_t n)
{
    size_t most = lim->max_body > SIZE_MAX / HTTP_REQ_DRAIN_FACTOR
                      ? SIZE_MAX
                      : HTTP_REQ_DRAIN_FACTOR * lim->max_body;

    r->dropped = n > SIZE_MAX - r->dropped ? SIZE_MAX : r->dropped + n;
    return r->dropped <= most;
}

/* release() frees the body and its reservation (the request was refused). */
static void
release(struct http_req *r, struct http_budget *b)
{
    free(r->buf);
    r->buf = NULL;
    r->len = r->cap = 0;
    budget_give(b, r->reserved);
    r->reserved = 0;
}

/* grow_reservation() raises the reservation to hold |need| bytes: 1, or 0 (unchanged). */
static int
grow_reservation(struct http_req *r, const struct http_req_limits *lim, struct http_budget *b,
                 size_t need)
{
    size_t want = r->reserved;

    while (want < need) {
        want = want > lim->max_body / 2 ? lim->max_body : want * 2;
    }
    if (!budget_take(b, want - r->reserved, want)) {
        return 0;
    }
    r->reserved = want;
    return 1;
}

int
http_req_take(struct http_req *r, const struct http_req_limits *lim, struct http_budget *b,
              const uint8_t *data, size_t n)
{
    uint8_t *p;

    if (r->status != 0) {
        return drop(r, lim, n);
    }
    if (n > lim->max_body - r->len) {
        release(r, b);
        refuse(r, HTTP_REQ_TOO_LARGE, HTTP_CAUSE_TOO_LARGE);
        return drop(r, lim, n);
    }
    if (r->len + n > r->reserved) {
        /* Only a body without Content-Length grows (libmicrohttpd stops at the declared end). */
        if (r->has_declared || r->reserved == 0 || !grow_reservation(r, lim, b, r->len + n)) {
            release(r, b);
            refuse(r, HTTP_REQ_UNAVAILABLE, HTTP_CAUSE_BUDGET);
            return 0;
        }
    }
    if (r->len + n > r->cap) {
        /* The buffer is the reservation's size: with Content-Length one allocation. */
        p = realloc(r->buf, r->reserved);
        if (p == NULL) {
            return 0;
        }
        r->buf = p;
        r->cap = r->reserved;
    }
    if (n != 0) {
        memcpy(r->buf + r->len, data, n);
        r->len += n;
    }
    return 1;
}

void
http_req_cleanup(struct http_req *r, struct http_budget *b)
{
    release(r, b);
    memset(r, 0, sizeof(*r));
}

const char *
http_req_status_text(int status)
{
    switch (status) {
    case HTTP_REQ_BAD_REQUEST:
        return "400 Bad Request\n";
    case HTTP_REQ_NOT_FOUND:
        return "404 Not Found\n";
    case HTTP_REQ_NOT_ALLOWED:
        return "405 Method Not Allowed\n";
    case HTTP_REQ_TOO_LARGE:
        return "413 Payload Too Large\n";
    case HTTP_REQ_BAD_MEDIA:
        return "415 Unsupported Media Type: expected " HTTP_REQ_CONTENT_TYPE "\n";
    case HTTP_REQ_TOO_MANY:
        return "429 Too Many Requests\n";
    case HTTP_REQ_UNAVAILABLE:
        return "503 Service Unavailable\n";
    default:
        return "500 Internal Server Error\n";
    }
}
