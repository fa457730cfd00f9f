/*
 * The checks of one HTTP request to the CMP server and the collection of
 * its body (RFC 9811 3: POST of application/pkixcmp), without sockets and
 * without libmicrohttpd: the listener feeds what libmicrohttpd parsed, the
 * unit test and the fuzz target feed tables and random input.
 *
 * Memory: each request's body is capped (max_body) and all bodies together
 * stay within a budget shared by every connection (struct http_budget).
 * A request reserves its share of the budget before any of its body is
 * stored: its whole declared Content-Length at once, or for a body without
 * one (chunked) HTTP_REQ_FIRST_RESERVE bytes, doubled as it grows. A request
 * whose share cannot be reserved is refused with 503 before its body is
 * read, so nothing is allocated beyond the budget.
 *
 * Requests of more than HTTP_REQ_SMALL_BODY bytes (CMP messages are a few
 * KiB; a large body is mostly a certificate chain or an attack) may fill only
 * 3/4 of the budget: peers that send large bodies slowly cannot keep the
 * usual small requests out.
 */
#ifndef CMPKIT_APP_HTTP_REQ_H
#define CMPKIT_APP_HTTP_REQ_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_REQ_CONTENT_TYPE "application/pkixcmp"

/* A body without Content-Length first reserves this much (at most max_body). */
#define HTTP_REQ_FIRST_RESERVE ((size_t)16 << 10)
/* A larger reservation takes only from the large share (3/4) of the budget. */
#define HTTP_REQ_SMALL_BODY ((size_t)64 << 10)
/* A body above the cap is read and dropped up to this many times the cap, then cut. */
#define HTTP_REQ_DRAIN_FACTOR 16

/* The HTTP statuses the checks give. */
enum {
    HTTP_REQ_BAD_REQUEST = 400,
    HTTP_REQ_NOT_FOUND = 404,
    HTTP_REQ_NOT_ALLOWED = 405,
    HTTP_REQ_TOO_LARGE = 413,
    HTTP_REQ_BAD_MEDIA = 415,
    HTTP_REQ_TOO_MANY = 429,
    HTTP_REQ_UNAVAILABLE = 503
};

/* Why a request was refused: one log cause each (the listener rate-limits them). */
enum http_req_cause {
    HTTP_CAUSE_NONE = 0,
    HTTP_CAUSE_METHOD,    /* not a POST: 405 */
    HTTP_CAUSE_PATH,      /* not "/", "/pkix/" or -path: 404 */
    HTTP_CAUSE_MEDIA,     /* not application/pkixcmp: 415 */
    HTTP_CAUSE_LENGTH,    /* Content-Length is no number: 400 */
    HTTP_CAUSE_TOO_LARGE, /* above max_body: 413 */
    HTTP_CAUSE_BUDGET,    /* the body budget is spent: 503 */
    HTTP_CAUSE_NUM
};

/* The bytes of request bodies held by all connections together. */
struct http_budget {
    atomic_size_t used;
    size_t limit;
};

struct http_req_limits {
    size_t max_body;        /* > 0 */
    const char *extra_path; /* -path as http_req_norm_path() returns it, or NULL */
    size_t extra_len;
};

/* One request; zero it (or call http_req_cleanup()) before http_req_begin(). */
struct http_req {
    int status;     /* 0: fine so far; else the HTTP status to answer */
    int cause;      /* enum http_req_cause of |status| */
    int answer_now; /* answer before the body is read; the connection then closes */
    uint8_t *buf;   /* the body so far (malloc()ed), |len| of |cap| bytes */
    size_t len, cap;
    size_t reserved; /* bytes of the budget this request holds (cap <= reserved) */
    size_t dropped;  /* body bytes read and dropped after a refusal */
    unsigned long long declared; /* Content-Length, if |has_declared| */
    int has_declared;
};

/* http_budget_init() sets an empty budget of |limit| bytes. */
void http_budget_init(struct http_budget *b, size_t limit);

/* http_budget_most() is the largest body |b| can ever hold: a larger -srv_max_body is useless. */
size_t http_budget_most(const struct http_budget *b);

/*
 * http_req_begin() checks the request line and head: |method|, |url| (the
 * path, without the query), and the values of Content-Type, Content-Length
 * and Expect (NULL when absent). Sets r->status and r->cause on a refusal,
 * and r->answer_now when the answer should go out before the body: a
 * declared body above the cap that the client waits to send (Expect:
 * 100-continue) or that is too large to drain, or a body the budget cannot
 * hold. Otherwise reserves the body's share of |b|.
 */
void http_req_begin(struct http_req *r, const struct http_req_limits *lim, struct http_budget *b,
                    const char *method, const char *url, const char *content_type,
                    const char *content_length, const char *expect);

/*
 * http_req_take() stores the next |n| bytes of the body, or drops them once
 * the request is refused. Returns 0 when the connection should be cut: out of
 * memory, a body without Content-Length that outgrows what the budget can
 * give (r->status 503), or too many dropped bytes.
 */
int http_req_take(struct http_req *r, const struct http_req_limits *lim, struct http_budget *b,
                  const uint8_t *data, size_t n);

/* http_req_cleanup() frees the body and gives its reservation back to |b|; r is zeroed. */
void http_req_cleanup(struct http_req *r, struct http_budget *b);

/*
 * http_req_norm_path(): as openssl's HTTP server, leading slashes and
 * repeated trailing ones do not count ("/pkix/////" is "pkix/"). Returns the
 * start of what counts and its length in |*len|.
 */
const char *http_req_norm_path(const char *p, size_t *len);

/* http_req_status_text() is the reason phrase of a status the listener sends. */
const char *http_req_status_text(int status);

#endif
