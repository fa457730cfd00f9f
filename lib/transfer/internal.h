/*
 * What the files of lib/transfer share: the URL syntax of openssl-cmp(1)'s
 * -server and -proxy, the proxy choice, and the lists of file names.
 */
#ifndef CMPKIT_TRANSFER_INTERNAL_H
#define CMPKIT_TRANSFER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cmpkit/transfer.h"
#include "der/fail.h"

#define CMP_URL_MAX_HOST 256
#define CMP_URL_MAX_PATH 2048

/*
 * [http[s]://][userinfo@]host[:port][/path][?query][#fragment]
 * userinfo and fragment are ignored; the query stays part of the path.
 */
struct cmp_url {
    int https;                   /* the scheme "https" was given */
    int ipv6;                    /* host was in brackets */
    char host[CMP_URL_MAX_HOST]; /* without brackets */
    int port;                    /* given, or 80 (443 for https) */
    int has_path;                /* a path or query was given */
    char path[CMP_URL_MAX_PATH]; /* "/" if none; with "?query" */
};

/*
 * cmp_url_parse() parses |text| as -server (|what| "server") or -proxy
 * (path, query and fragment ignored there). Fails (CMP_E_ARG) on an
 * unknown scheme, an empty host, an unclosed '[', a bad port.
 */
int cmp_url_parse(struct cmp_url *out, const char *text, const char *what,
                  struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_http_use_proxy() is 0 if |host| is listed in |no_proxy| (names and
 * addresses separated by commas and/or whitespace, compared exactly, as
 * openssl cmp 3.0 does), else 1. |no_proxy| NULL: the
 * environment's no_proxy, else NO_PROXY.
 */
int cmp_http_use_proxy(const char *no_proxy, const char *host);

/*
 * cmp_http_proxy_of() returns the proxy to use for |host| (or NULL for
 * none): |proxy| or, if NULL, http_proxy / HTTP_PROXY (https_proxy /
 * HTTPS_PROXY when |tls|), unless it is empty or |host| is in no_proxy.
 */
const char *cmp_http_proxy_of(const char *proxy, const char *no_proxy, const char *host, int tls);

/*
 * A list of file names separated by commas and/or whitespace, as
 * openssl-cmp(1) takes them. cmp_names_split() copies |text| (NULL: an
 * empty list). At most CMP_NAMES_MAX names.
 */
#define CMP_NAMES_MAX 64
struct cmp_names {
    char *buf;
    size_t num;
    char *items[CMP_NAMES_MAX];
};
int cmp_names_split(struct cmp_names *out, const char *text, struct cmp_err *err) CMP_MUST_CHECK;
void cmp_names_cleanup(struct cmp_names *names);

/* cmp_file_read() reads a whole file of at most |max| bytes into a new buffer. */
int cmp_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len,
                  struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_file_write() writes |len| bytes to |path| (created or truncated). */
int cmp_file_write(const char *path, const uint8_t *p, size_t len,
                   struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_transfer_wrap() allocates a struct cmp_transfer around |ctx|, or frees |ctx|. */
struct cmp_transfer *cmp_transfer_wrap(cmp_transfer_exchange_fn *exchange, void (*close_fn)(void *),
                                       void (*free_fn)(void *), void *ctx, struct cmp_err *err);

/* ---- HTTP (http_plain.c, http.c, http_parse.c) ---- */

#define CMP_HTTP_URL_MAX (CMP_URL_MAX_HOST + CMP_URL_MAX_PATH + 32)

/*
 * cmp_http_check_response() accepts a response of HTTP |status| with
 * Content-Type |ct| (NULL: none) and |body| from |url|: 200 and
 * application/pkixcmp, or another status with a CMP body (a server's error
 * message). Otherwise fails with the status and an excerpt of a text body.
 */
int cmp_http_check_response(const char *url, long status, const char *ct, const uint8_t *body,
                            size_t len, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_http_keep_alive_ok() applies -keep_alive 2: once a transaction has
 * begun (|num_in_txn| exchanges), the server must not have ended the
 * connection (|last_closed|); it may do so after the last response.
 */
int cmp_http_keep_alive_ok(int keep_alive, size_t num_in_txn, int last_closed, const char *url,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_http_curl_new() is the transfer for HTTPS and for proxies, with
 * libcurl, which is loaded on the first call (http.c). |path| is the
 * request's path (with query); |proxy_url| "http://host:port" or "" for none.
 */
struct cmp_transfer *cmp_http_curl_new(const struct cmp_http_opts *o, const struct cmp_url *url,
                                       const char *path, const char *proxy_url,
                                       struct cmp_err *err);

/*
 * An HTTP/1.1 response, parsed as it arrives (http_parse.c). Init with the
 * body limit, feed every received chunk (an empty one when the peer closes
 * the connection): 1 when the response is complete (the body is
 * buf[0..body_len)), 0 while more is needed, -1 on an error (|err| set).
 */
#define CMP_HTTP_MAX_HEAD (16u << 10) /* status line and header fields */
#define CMP_HTTP_MAX_FIELDS 100
#define CMP_HTTP_MAX_LINE 1024 /* a chunk-size or trailer line */
#define CMP_HTTP_MAX_INTERIM 8 /* 1xx responses before the final one */

enum cmp_http_phase {
    CMP_HTTP_HEAD = 0,
    CMP_HTTP_BODY_LEN,     /* Content-Length bytes */
    CMP_HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
    CMP_HTTP_BODY_EOF,     /* until the connection ends */
    CMP_HTTP_DONE
};

struct cmp_http_rsp {
    /* the response */
    int status;     /* 200 ... */
    int http10;     /* HTTP/1.0 */
    int conn_close; /* the connection ends after this response */
    int conn_keep;  /* Connection: keep-alive */
    int has_content_type;
    char content_type[128]; /* truncated if longer */
    int64_t content_length; /* -1: none */
    int chunked;
    size_t body_len;
    uint8_t *buf;    /* the body, once complete */
    size_t received; /* bytes fed so far */

    /* parser state */
    size_t max_body;
    size_t len, cap;
    size_t rd;  /* next byte to parse */
    size_t out; /* end of the decoded chunked body */
    enum cmp_http_phase phase;
    int chunk_state;
    size_t chunk_left;
    size_t head_len;
    int seen; /* the status line has been read */
    int num_fields;
    int num_interim;
};

void cmp_http_rsp_init(struct cmp_http_rsp *r, size_t max_body);
void cmp_http_rsp_cleanup(struct cmp_http_rsp *r);
int cmp_http_rsp_feed(struct cmp_http_rsp *r, const uint8_t *p, size_t n, struct cmp_err *err);
/* Whether the connection may carry the next request. */
int cmp_http_rsp_keeps_connection(const struct cmp_http_rsp *r);

#endif
