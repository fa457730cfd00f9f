/*
 * The transfer interface, and what its kinds share: URLs as openssl-cmp(1)
 * writes them, its proxy rules, lists of file names, whole-file I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer/internal.h"

/* ---- options ---- */

void
cmp_http_opts_init(struct cmp_http_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->keep_alive = 1; /* openssl-cmp(1): "The default value is 1" */
}

void
cmp_file_opts_init(struct cmp_file_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
}

/* ---- the interface ---- */

struct cmp_transfer *
cmp_transfer_wrap(cmp_transfer_exchange_fn *exchange, void (*close_fn)(void *),
                  void (*free_fn)(void *), void *ctx, struct cmp_err *err)
{
    struct cmp_transfer *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        if (free_fn != NULL) {
            free_fn(ctx);
        }
        CMP_FAIL(err, CMP_E_MEMORY, "transfer");
        return NULL;
    }
    t->exchange = exchange;
    t->close = close_fn;
    t->free = free_fn;
    t->ctx = ctx;
    return t;
}

int
cmp_transfer_exchange(struct cmp_transfer *t, const uint8_t *req, size_t req_len,
                      int64_t timeout_ms, uint8_t **rsp, size_t *rsp_len, struct cmp_err *err)
{
    if (rsp == NULL || rsp_len == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "transfer: no place for the response");
    }
    *rsp = NULL;
    *rsp_len = 0;
    if (t == NULL || t->exchange == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no transfer set (-server, -use_mock_srv or -rspin)");
    }
    if (req == NULL || req_len == 0) {
        return CMP_FAIL(err, CMP_E_ARG, "transfer: empty request");
    }
    if (timeout_ms < 0) {
        timeout_ms = 0;
    }
    if (!t->exchange(t->ctx, req, req_len, timeout_ms, rsp, rsp_len, err)) {
        free(*rsp);
        *rsp = NULL;
        *rsp_len = 0;
        if (err != NULL && err->code == CMP_E_NONE) {
            CMP_FAIL(err, CMP_E_IO, "transfer failed");
        }
        return 0;
    }
    if (*rsp == NULL || *rsp_len == 0) {
        free(*rsp);
        *rsp = NULL;
        *rsp_len = 0;
        return CMP_FAIL(err, CMP_E_PROTOCOL, "empty response");
    }
    if (*rsp_len > CMP_TRANSFER_MAX_RESPONSE) {
        free(*rsp);
        *rsp = NULL;
        *rsp_len = 0;
        return CMP_FAIL(err, CMP_E_LIMIT, "response exceeds %u bytes",
                        (unsigned)CMP_TRANSFER_MAX_RESPONSE);
    }
    return 1;
}

unsigned
cmp_transfer_caps(const struct cmp_transfer *t)
{
    if (t == NULL || t->caps == NULL) {
        return 0;
    }
    return t->caps(t->ctx);
}

int
cmp_transfer_save_request(struct cmp_transfer *t, const uint8_t *der, size_t len,
                          struct cmp_err *err)
{
    if (t == NULL || t->save_request == NULL) {
        return 1;
    }
    if (der == NULL && len != 0) {
        return CMP_FAIL(err, CMP_E_ARG, "transfer: no request to save");
    }
    return t->save_request(t->ctx, der, len, err);
}

void
cmp_transfer_close(struct cmp_transfer *t)
{
    if (t != NULL && t->close != NULL) {
        t->close(t->ctx);
    }
}

void
cmp_transfer_free(struct cmp_transfer *t)
{
    if (t == NULL) {
        return;
    }
    if (t->free != NULL) {
        t->free(t->ctx);
    }
    free(t);
}

/* ---- URLs ---- */

static int
copy_span(char *dst, size_t cap, const char *p, size_t n)
{
    if (n >= cap) {
        return 0;
    }
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 1;
}

int
cmp_url_parse(struct cmp_url *out, const char *text, const char *what, struct cmp_err *err)
{
    const char *p = text, *auth_end, *at, *host, *host_end, *q;
    int is_proxy = strcmp(what, "proxy") == 0;
    size_t n;

    memset(out, 0, sizeof(*out));
    if (text == NULL || text[0] == '\0') {
        return CMP_FAIL(err, CMP_E_ARG, "-%s: empty address", what);
    }
    q = strstr(p, "://");
    if (q != NULL) {
        n = (size_t)(q - p);
        if (n == 5 && strncmp(p, "https", 5) == 0) {
            out->https = 1;
        } else if (!(n == 4 && strncmp(p, "http", 4) == 0)) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s %s: unsupported scheme '%.*s' (http or https)",
                            what, text, (int)(n > 20 ? 20 : n), p);
        }
        p = q + 3;
    }
    /* The authority ends at the path, query or fragment. */
    auth_end = p + strcspn(p, "/?#");
    at = memchr(p, '@', (size_t)(auth_end - p));
    host = at != NULL ? at + 1 : p; /* userinfo is ignored */
    if (*host == '[') {
        host_end = memchr(host, ']', (size_t)(auth_end - host));
        if (host_end == NULL) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s %s: IPv6 address without closing ']'", what, text);
        }
        if (!copy_span(out->host, sizeof(out->host), host + 1, (size_t)(host_end - host - 1))) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s: host name too long", what);
        }
        out->ipv6 = 1;
        q = host_end + 1;
        if (q != auth_end && *q != ':') {
            return CMP_FAIL(err, CMP_E_ARG, "-%s %s: unexpected text after ']'", what, text);
        }
    } else {
        host_end = memchr(host, ':', (size_t)(auth_end - host));
        if (host_end == NULL) {
            host_end = auth_end;
        }
        if (!copy_span(out->host, sizeof(out->host), host, (size_t)(host_end - host))) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s: host name too long", what);
        }
        q = host_end;
    }
    if (out->host[0] == '\0') {
        return CMP_FAIL(err, CMP_E_ARG, "-%s %s: missing host", what, text);
    }
    out->port = out->https ? 443 : 80;
    if (q < auth_end && *q == ':') {
        long port = 0;

        q++;
        if (q == auth_end) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s %s: missing port number after ':'", what, text);
        }
        for (; q < auth_end; q++) {
            if (!isdigit((unsigned char)*q) || port > 65535) {
                return CMP_FAIL(err, CMP_E_ARG, "-%s %s: invalid port number", what, text);
            }
            port = port * 10 + (*q - '0');
        }
        if (port < 1 || port > 65535) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s %s: port number out of range 1..65535", what,
                            text);
        }
        out->port = (int)port;
    }
    /* The path with any query; the fragment is ignored. */
    p = auth_end;
    n = strcspn(p, "#");
    out->path[0] = '/';
    out->path[1] = '\0';
    if (is_proxy || n == 0) {
        return 1;
    }
    out->has_path = 1;
    if (*p == '?') {
        /* "host?query": the query follows the root path */
        if (!copy_span(out->path + 1, sizeof(out->path) - 1, p, n)) {
            return CMP_FAIL(err, CMP_E_ARG, "-%s: path too long", what);
        }
    } else if (!copy_span(out->path, sizeof(out->path), p, n)) {
        return CMP_FAIL(err, CMP_E_ARG, "-%s: path too long", what);
    }
    return 1;
}

/* ---- proxies, as openssl cmp 3.0 chooses them ---- */

static int
is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int
cmp_http_use_proxy(const char *no_proxy, const char *host)
{
    size_t hl = strlen(host);
    const char *p;

    if (no_proxy == NULL) {
        no_proxy = getenv("no_proxy");
    }
    if (no_proxy == NULL) {
        no_proxy = getenv("NO_PROXY");
    }
    if (no_proxy == NULL || hl == 0) {
        return 1;
    }
    /* An exact, whole entry of the list: no suffix or wildcard matching. */
    for (p = strstr(no_proxy, host); p != NULL; p = strstr(p + 1, host)) {
        int starts = p == no_proxy || is_sep(p[-1]);
        int ends = p[hl] == '\0' || is_sep(p[hl]);

        if (starts && ends) {
            return 0;
        }
    }
    return 1;
}

const char *
cmp_http_proxy_of(const char *proxy, const char *no_proxy, const char *host, int tls)
{
    if (proxy == NULL) {
        proxy = getenv(tls ? "https_proxy" : "http_proxy");
    }
    if (proxy == NULL) {
        proxy = getenv(tls ? "HTTPS_PROXY" : "HTTP_PROXY");
    }
    if (proxy == NULL || proxy[0] == '\0' || !cmp_http_use_proxy(no_proxy, host)) {
        return NULL;
    }
    return proxy;
}

/* ---- lists of file names ---- */

int
cmp_names_split(struct cmp_names *out, const char *text, struct cmp_err *err)
{
    size_t len;
    char *p;

    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        return 1;
    }
    len = strlen(text);
    out->buf = malloc(len + 1);
    if (out->buf == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "file names");
    }
    memcpy(out->buf, text, len + 1);
    p = out->buf;
    for (;;) {
        while (*p != '\0' && is_sep(*p)) {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        if (out->num == CMP_NAMES_MAX) {
            cmp_names_cleanup(out);
            return CMP_FAIL(err, CMP_E_LIMIT, "more than %d file names", CMP_NAMES_MAX);
        }
        out->items[out->num++] = p;
        while (*p != '\0' && !is_sep(*p)) {
            p++;
        }
    }
    return 1;
}

void
cmp_names_cleanup(struct cmp_names *names)
{
    free(names->buf);
    memset(names, 0, sizeof(*names));
}

/* ---- whole files ---- */

int
cmp_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    *out = NULL;
    *out_len = 0;
    if (f == NULL) {
        return CMP_FAIL(err, CMP_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap == 0 ? 4096 : cap * 2;
            uint8_t *nb;

            if (cap > max) {
                free(buf);
                fclose(f);
                return CMP_FAIL(err, CMP_E_LIMIT, "%s is larger than %zu bytes", path, max);
            }
            nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return CMP_FAIL(err, CMP_E_MEMORY, "reading %s", path);
            }
            buf = nb;
            cap = ncap;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return CMP_FAIL(err, CMP_E_IO, "cannot read %s", path);
    }
    fclose(f);
    if (len > max) {
        free(buf);
        return CMP_FAIL(err, CMP_E_LIMIT, "%s is larger than %zu bytes", path, max);
    }
    *out = buf;
    *out_len = len;
    return 1;
}

int
cmp_file_write(const char *path, const uint8_t *p, size_t len, struct cmp_err *err)
{
    FILE *f = fopen(path, "wb");

    if (f == NULL) {
        return CMP_FAIL(err, CMP_E_IO, "cannot write %s: %s", path, strerror(errno));
    }
    if (fwrite(p, 1, len, f) != len) {
        fclose(f);
        return CMP_FAIL(err, CMP_E_IO, "cannot write %s", path);
    }
    if (fclose(f) != 0) {
        return CMP_FAIL(err, CMP_E_IO, "cannot write %s: %s", path, strerror(errno));
    }
    return 1;
}
