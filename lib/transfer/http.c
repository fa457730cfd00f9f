/*
 * CMP over HTTPS and through proxies, with libcurl: the only file that
 * includes <curl/curl.h>. Plain http:// without a proxy is carried by the
 * built-in client of http_plain.c, which also picks the transfer.
 *
 * libcurl is loaded with dlopen() on first use, not linked: Debian's
 * libcurl pulls about thirty shared libraries into the process, which
 * would cost every cmpkit process (the server and clients over plain
 * HTTP included) more start-up CPU time and memory than a whole
 * `openssl cmp` enrollment (bench/client.sh). The few functions used are
 * looked up once into |cu|.
 *
 * Each request is one HTTP/1.1 POST of Content-Type application/pkixcmp;
 * the response is checked by cmp_http_check_response() (RFC 9811 3.4).
 * One easy handle lives as long as the transfer, so that the connection
 * stays open between the messages of a transaction (-keep_alive 1, 2).
 * TCP_NODELAY makes each request leave at once. The response body is
 * capped at CMP_TRANSFER_MAX_RESPONSE while it arrives.
 *
 * Proxies follow openssl cmp, not curl (http_plain.c chooses them);
 * curl's own environment handling is switched off. TLS settings go into
 * libssl's SSL_CTX from the CURLOPT_SSL_CTX_FUNCTION callback; the
 * server's host name (or -tls_host) is checked by libcrypto's verifier
 * with the -tls_trusted store.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "der/dl.h"
#include "transfer/internal.h"

#define CT_PKIXCMP "application/pkixcmp"
#define CURL_LIBRARY "libcurl.so.4"

struct http {
    CURL *curl;
    struct curl_slist *headers;
    char url[CMP_HTTP_URL_MAX];
    char host[CMP_URL_MAX_HOST]; /* for host name checks */
    char proxy[CMP_URL_MAX_HOST + 32];
    int keep_alive;

    int tls_used;
    X509 *tls_cert;
    EVP_PKEY *tls_key;
    STACK_OF(X509) * tls_extra;
    X509_STORE *tls_trusted;
    char *tls_host;
    cmp_http_tls_fn *tls_cb;
    void *tls_cb_arg;

    /* one exchange */
    uint8_t *buf;
    size_t len, cap;
    int too_big;
    int http10;             /* the last status line was HTTP/1.0 */
    int conn_close;         /* Connection: close */
    int conn_keep;          /* Connection: keep-alive */
    int last_closed;        /* the last response ended its connection */
    size_t num_in_txn;      /* exchanges since the last http_close() */
    struct cmp_err tls_err; /* set by the SSL_CTX callback */
    char curl_msg[CURL_ERROR_SIZE];
};

/* The libcurl functions used, looked up once by load_curl(). */
static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURL *(*easy_duphandle)(CURL *curl);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
    void (*slist_free_all)(struct curl_slist *list);
} cu;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;
static char curl_why[512]; /* why libcurl cannot be used */

static void
load_curl(void)
{
    const struct cmp_dl_sym syms[] = {
        {"curl_global_init", &cu.global_init},       {"curl_easy_init", &cu.easy_init},
        {"curl_easy_duphandle", &cu.easy_duphandle}, {"curl_easy_setopt", &cu.easy_setopt},
        {"curl_easy_perform", &cu.easy_perform},     {"curl_easy_getinfo", &cu.easy_getinfo},
        {"curl_easy_cleanup", &cu.easy_cleanup},     {"curl_easy_strerror", &cu.easy_strerror},
        {"curl_slist_append", &cu.slist_append},     {"curl_slist_free_all", &cu.slist_free_all},
    };
    if (cmp_dl_load(CURL_LIBRARY, syms, sizeof(syms) / sizeof(syms[0]), curl_why,
                    sizeof(curl_why)) == NULL) {
        return;
    }
    if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(curl_why, sizeof(curl_why), "curl_global_init failed");
        return; /* the library stays loaded; nothing else calls into it */
    }
    curl_ready = 1;
}

/* ---- callbacks ---- */

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct http *h = arg;
    size_t n = size * nmemb;

    if (n > CMP_TRANSFER_MAX_RESPONSE - h->len) {
        h->too_big = 1;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (h->len + n > h->cap) {
        size_t cap = h->cap == 0 ? 4096 : h->cap;
        uint8_t *nb;

        while (cap < h->len + n) {
            cap *= 2;
        }
        if (cap > CMP_TRANSFER_MAX_RESPONSE) {
            cap = CMP_TRANSFER_MAX_RESPONSE;
        }
        nb = realloc(h->buf, cap);
        if (nb == NULL) {
            return 0;
        }
        h->buf = nb;
        h->cap = cap;
    }
    memcpy(h->buf + h->len, p, n);
    h->len += n;
    return n;
}

/* Does the header line |p| (|n| bytes) have the name |name|? Sets |*value|. */
static int
header_is(const char *p, size_t n, const char *name, const char **value, size_t *value_len)
{
    size_t nl = strlen(name);

    if (n <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':') {
        return 0;
    }
    p += nl + 1;
    n -= nl + 1;
    while (n > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' ')) {
        n--;
    }
    *value = p;
    *value_len = n;
    return 1;
}

/* Whether the server keeps the connection open (-keep_alive 2 requires it). */
static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
    struct http *h = arg;
    size_t n = size * nmemb, vl;
    const char *v;

    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* A new status line (after 100 Continue or a proxy's CONNECT): start over. */
        h->http10 = n >= 8 && strncmp(p, "HTTP/1.0", 8) == 0;
        h->conn_close = 0;
        h->conn_keep = 0;
    } else if (header_is(p, n, "Connection", &v, &vl)) {
        if (vl >= 5 && strncasecmp(v, "close", 5) == 0) {
            h->conn_close = 1;
        } else if (vl >= 10 && strncasecmp(v, "keep-alive", 10) == 0) {
            h->conn_keep = 1;
        }
    }
    return n;
}

static int
is_ip_address(const char *host)
{
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(host);

    if (ip == NULL) {
        ERR_clear_error();
        return 0;
    }
    ASN1_OCTET_STRING_free(ip);
    return 1;
}

/* libssl's SSL_CTX, before the handshake: -tls_cert/-tls_key/-tls_extra/-tls_trusted/-tls_host. */
static CURLcode
on_ssl_ctx(CURL *curl, void *ssl_ctx, void *arg)
{
    struct http *h = arg;
    SSL_CTX *ctx = ssl_ctx;
    int i;

    (void)curl;
    if (h->tls_cert != NULL) {
        if (SSL_CTX_use_certificate(ctx, h->tls_cert) != 1 ||
            SSL_CTX_use_PrivateKey(ctx, h->tls_key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
            ERR_clear_error();
            CMP_FAIL(&h->tls_err, CMP_E_ARG, "-tls_key does not fit -tls_cert");
            return CURLE_SSL_CERTPROBLEM;
        }
    }
    for (i = 0; i < sk_X509_num(h->tls_extra); i++) {
        if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(h->tls_extra, i)) != 1) {
            ERR_clear_error();
            CMP_FAIL(&h->tls_err, CMP_E_CRYPTO, "cannot use -tls_extra certificate #%d", i);
            return CURLE_SSL_CERTPROBLEM;
        }
    }
    if (h->tls_trusted != NULL) {
        X509_VERIFY_PARAM *vpm = SSL_CTX_get0_param(ctx);
        const char *host = h->tls_host != NULL ? h->tls_host : h->host;
        int ok;

        SSL_CTX_set1_cert_store(ctx, h->tls_trusted);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        /* -tls_trusted "implies hostname validation" (openssl-cmp(1)). */
        if (is_ip_address(host)) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(vpm, host);
        } else {
            X509_VERIFY_PARAM_set_hostflags(vpm, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            ok = X509_VERIFY_PARAM_set1_host(vpm, host, 0);
        }
        if (ok != 1) {
            ERR_clear_error();
            CMP_FAIL(&h->tls_err, CMP_E_ARG, "cannot check TLS host name '%s'", host);
            return CURLE_SSL_CERTPROBLEM;
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (h->tls_cb != NULL && !h->tls_cb(h->tls_cb_arg, ctx)) {
        CMP_FAIL(&h->tls_err, CMP_E_ARG, "the TLS setup callback failed");
        return CURLE_SSL_CERTPROBLEM;
    }
    return CURLE_OK;
}

/*
 * tls_hint() explains the usual TLS failure whose libssl text names only
 * the symptom: a TLS client on a plain-HTTP port reads an HTTP answer as a
 * TLS record ("wrong version number", "packet length too long"), or sees
 * the connection closed (SSL_ERROR_SYSCALL).
 */
static const char *
tls_hint(CURLcode rc, const char *msg)
{
    if (rc != CURLE_SSL_CONNECT_ERROR && rc != CURLE_PEER_FAILED_VERIFICATION) {
        return "";
    }
    /* libcurl's text has libssl's reason; the rest of its queue ("shutdown while in init") is noise
     */
    ERR_clear_error();
    if (rc == CURLE_SSL_CONNECT_ERROR && (strstr(msg, "wrong version number") != NULL ||
                                          strstr(msg, "packet length too long") != NULL)) {
        return " (the server does not speak TLS on this port: plain HTTP? then drop -tls_used)";
    }
    /* a plain-HTTP server may also answer the ClientHello by closing (or resetting) at once */
    if (rc == CURLE_SSL_CONNECT_ERROR && strstr(msg, "SSL_ERROR_SYSCALL") != NULL) {
        return " (the server closed the connection in the TLS handshake: it may not speak TLS "
               "on this port)";
    }
    return "";
}

/* ---- one exchange ---- */

static int
http_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
              size_t *rsp_len, struct cmp_err *err)
{
    struct http *h = ctx;
    CURLcode rc;
    long status = 0;
    char *ct = NULL;

    if (!cmp_http_keep_alive_ok(h->keep_alive, h->num_in_txn, h->last_closed, h->url, err)) {
        return 0;
    }
    h->num_in_txn++;
    h->len = 0;
    h->too_big = 0;
    h->http10 = h->conn_close = h->conn_keep = 0;
    h->curl_msg[0] = '\0';
    cmp_err_init(&h->tls_err);
    rc = cu.easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)req);
    if (rc == CURLE_OK) {
        rc = cu.easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
    }
    if (rc == CURLE_OK) {
        rc = cu.easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    }
    if (rc == CURLE_OK) {
        rc = cu.easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    }
    if (rc != CURLE_OK) {
        return CMP_FAIL(err, CMP_E_IO, "libcurl: %s", cu.easy_strerror(rc));
    }
    rc = cu.easy_perform(h->curl);
    if (rc != CURLE_OK) {
        if (h->too_big) {
            return CMP_FAIL(err, CMP_E_LIMIT, "response from %s exceeds %u bytes", h->url,
                            (unsigned)CMP_TRANSFER_MAX_RESPONSE);
        }
        if (h->tls_err.code != CMP_E_NONE) {
            *err = h->tls_err;
            return CMP_CONTEXT(err, "TLS connection to %.40s", h->url);
        }
        if (rc == CURLE_OPERATION_TIMEDOUT) {
            return CMP_FAIL(err, CMP_E_IO, "timeout after %lld ms waiting for %s",
                            (long long)timeout_ms, h->url);
        }
        if (rc == CURLE_SSL_CONNECT_ERROR && h->proxy[0] == '\0' &&
            (strstr(h->curl_msg, "wrong version number") != NULL ||
             strstr(h->curl_msg, "packet length too long") != NULL ||
             strstr(h->curl_msg, "record layer failure") != NULL)) {
            /*
             * What OpenSSL reports when the first bytes of the answer are no
             * TLS record: a plain HTTP server (-tls_used against http). One
             * line that says so instead of the SSL library's codes.
             */
            return CMP_FAIL(err, CMP_E_IO,
                            "%s: the server does not speak TLS on this port (a plain HTTP server? "
                            "-tls_used needs an HTTPS server)",
                            h->url);
        }
        return CMP_FAIL(err, CMP_E_IO, "%s%s%s: %s%s", h->url,
                        h->proxy[0] != '\0' ? " via proxy " : "", h->proxy,
                        h->curl_msg[0] != '\0' ? h->curl_msg : cu.easy_strerror(rc),
                        tls_hint(rc, h->curl_msg));
    }
    if (cu.easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        cu.easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK) {
        return CMP_FAIL(err, CMP_E_IO, "%s: no HTTP status", h->url);
    }
    if (!cmp_http_check_response(h->url, status, ct, h->buf, h->len, err)) {
        return 0;
    }
    h->last_closed = h->conn_close || (h->http10 && !h->conn_keep);
    *rsp = malloc(h->len > 0 ? h->len : 1);
    if (*rsp == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "HTTP response");
    }
    memcpy(*rsp, h->buf, h->len);
    *rsp_len = h->len;
    return 1;
}

/* ---- setup ---- */

static void
http_free(void *ctx)
{
    struct http *h = ctx;

    if (h == NULL) {
        return;
    }
    if (h->curl != NULL) {
        cu.easy_cleanup(h->curl);
    }
    cu.slist_free_all(h->headers);
    X509_free(h->tls_cert);
    EVP_PKEY_free(h->tls_key);
    sk_X509_pop_free(h->tls_extra, X509_free);
    X509_STORE_free(h->tls_trusted);
    free(h->tls_host);
    free(h->buf);
    free(h);
}

/* Ends the connection: a new handle, so the next exchange connects afresh. */
static void
http_close(void *ctx)
{
    struct http *h = ctx;
    CURL *fresh;

    h->num_in_txn = 0;
    h->last_closed = 0;
    if (h->curl == NULL) {
        return;
    }
    fresh = cu.easy_duphandle(h->curl);
    if (fresh != NULL) {
        cu.easy_cleanup(h->curl);
        h->curl = fresh;
    }
}

static int
take_tls(struct http *h, const struct cmp_http_opts *o, struct cmp_err *err)
{
    h->tls_used = 1;
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        return CMP_FAIL(err, CMP_E_ARG, "-tls_cert and -tls_key must be given together");
    }
    if (o->tls_cert != NULL) {
        if (!X509_up_ref(o->tls_cert)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "-tls_cert");
        }
        h->tls_cert = o->tls_cert;
        if (!EVP_PKEY_up_ref(o->tls_key)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "-tls_key");
        }
        h->tls_key = o->tls_key;
    }
    if (o->tls_extra != NULL) {
        h->tls_extra = X509_chain_up_ref(o->tls_extra);
        if (h->tls_extra == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "-tls_extra");
        }
    }
    if (o->tls_trusted != NULL) {
        if (!X509_STORE_up_ref(o->tls_trusted)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "-tls_trusted");
        }
        h->tls_trusted = o->tls_trusted;
    }
    if (o->tls_host != NULL) {
        size_t n = strlen(o->tls_host) + 1;

        h->tls_host = malloc(n);
        if (h->tls_host == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "-tls_host");
        }
        memcpy(h->tls_host, o->tls_host, n);
    }
    h->tls_cb = o->tls_cb;
    h->tls_cb_arg = o->tls_cb_arg;
    return 1;
}

#define SETOPT(h, opt, val)                                                                        \
    do {                                                                                           \
        if (rc == CURLE_OK) {                                                                      \
            rc = cu.easy_setopt((h)->curl, (opt), (val));                                          \
            what = #opt;                                                                           \
        }                                                                                          \
    } while (0)

static int
setup_handle(struct http *h, struct cmp_err *err)
{
    CURLcode rc = CURLE_OK;
    const char *what = "";

    h->curl = cu.easy_init();
    if (h->curl == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "cannot create an HTTP client handle");
    }
    h->headers = cu.slist_append(h->headers, "Content-Type: " CT_PKIXCMP);
    h->headers = h->headers == NULL ? NULL : cu.slist_append(h->headers, "Accept: " CT_PKIXCMP);
    /* No "Expect: 100-continue": a CMP request is small and goes out at once. */
    h->headers = h->headers == NULL ? NULL : cu.slist_append(h->headers, "Expect:");
    if (h->headers != NULL && h->keep_alive == 0) {
        h->headers = cu.slist_append(h->headers, "Connection: close");
    }
    if (h->headers == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "HTTP headers");
    }
    SETOPT(h, CURLOPT_URL, h->url);
    SETOPT(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(h, CURLOPT_POST, 1L);
    SETOPT(h, CURLOPT_HTTPHEADER, h->headers);
    SETOPT(h, CURLOPT_USERAGENT, "cmpkit");
    SETOPT(h, CURLOPT_NOSIGNAL, 1L);
    SETOPT(h, CURLOPT_TCP_NODELAY, 1L);
    SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(h, CURLOPT_WRITEDATA, h);
    SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(h, CURLOPT_HEADERDATA, h);
    SETOPT(h, CURLOPT_ERRORBUFFER, h->curl_msg);
    SETOPT(h, CURLOPT_PROTOCOLS_STR, h->tls_used ? "https" : "http");
    /* The proxy choice is ours (openssl's rules): "" keeps curl from the environment. */
    SETOPT(h, CURLOPT_PROXY, h->proxy);
    SETOPT(h, CURLOPT_NOPROXY, "");
    if (h->keep_alive == 0) {
        SETOPT(h, CURLOPT_FORBID_REUSE, 1L);
    }
    if (h->tls_used) {
        SETOPT(h, CURLOPT_SSL_VERIFYPEER, h->tls_trusted != NULL ? 1L : 0L);
        SETOPT(h, CURLOPT_SSL_VERIFYHOST, 0L); /* checked by libcrypto with -tls_host */
        SETOPT(h, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
        SETOPT(h, CURLOPT_SSL_CTX_DATA, h);
    }
    if (rc != CURLE_OK) {
        return CMP_FAIL(err, CMP_E_UNSUPPORTED, "libcurl: %s: %s", what, cu.easy_strerror(rc));
    }
    return 1;
}

struct cmp_transfer *
cmp_http_curl_new(const struct cmp_http_opts *o, const struct cmp_url *url, const char *path,
                  const char *proxy_url, struct cmp_err *err)
{
    struct http *h;
    int n;

    pthread_once(&curl_once, load_curl);
    if (!curl_ready) {
        CMP_FAIL(err, CMP_E_UNSUPPORTED,
                 "%s needs libcurl (%s, Debian package libcurl4), which cannot be used: %s",
                 o->tls_used ? "HTTPS" : "a proxy", CURL_LIBRARY, curl_why);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "HTTP transfer");
        return NULL;
    }
    h->keep_alive = o->keep_alive;
    n = snprintf(h->url, sizeof(h->url), "%s://%s%s%s:%d%s%s", o->tls_used ? "https" : "http",
                 url->ipv6 ? "[" : "", url->host, url->ipv6 ? "]" : "", url->port,
                 path[0] == '/' ? "" : "/", path);
    if (n < 0 || (size_t)n >= sizeof(h->url)) {
        CMP_FAIL(err, CMP_E_ARG, "-server and -path make a URL that is too long");
        goto fail;
    }
    memcpy(h->host, url->host, sizeof(h->host));
    n = snprintf(h->proxy, sizeof(h->proxy), "%s", proxy_url);
    if (n < 0 || (size_t)n >= sizeof(h->proxy)) {
        CMP_FAIL(err, CMP_E_ARG, "-proxy too long");
        goto fail;
    }
    if (o->tls_used && !take_tls(h, o, err)) {
        goto fail;
    }
    if (!setup_handle(h, err)) {
        goto fail;
    }
    cmp_err_init(&h->tls_err);
    return cmp_transfer_wrap(http_exchange, http_close, http_free, h, err);

fail:
    http_free(h);
    return NULL;
}
