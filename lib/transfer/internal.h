/*
 * What the files of lib/transfer share: the URL syntax of openssl-cmp(1)'s
 * -server and -proxy, the proxy choice, and the lists of file names.
 */
#ifndef CMPKIT_TRANSFER_INTERNAL_H
#define CMPKIT_TRANSFER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cmpkit/transfer.h"

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

/*
 * cmp_transfer_files_last_from_rspin() is 1 if |t| is a file transfer
 * (cmp_transfer_files_new()) whose last response came from an -rspin file;
 * the client then takes over its transactionID and recipNonce, as openssl
 * cmp does, so that recorded responses pass the checks.
 */
int cmp_transfer_files_last_from_rspin(const struct cmp_transfer *t);

#endif
