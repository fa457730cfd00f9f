/*
 * CMP over HTTP (RFC 9811, which obsoletes RFC 6712) with libcurl: the only
 * file that includes <curl/curl.h>.
 *
 * Each request is one HTTP/1.1 POST of Content-Type application/pkixcmp;
 * the response must be 200 with the same content type (RFC 9811 3.4). A
 * non-200 answer whose body is application/pkixcmp is handed to the client
 * all the same: servers send CMP error messages that way, and the client
 * reports the peer's status and text rather than a bare HTTP code.
 *
 * One easy handle lives as long as the transfer, so that the connection
 * stays open between the messages of a transaction (-keep_alive 1, 2).
 * TCP_NODELAY makes each request leave at once (DESIGN.md: openssl cmp 3.0
 * loses about 40 ms per request to Nagle and delayed ACKs). The response
 * body is capped at CMP_TRANSFER_MAX_RESPONSE while it arrives.
 *
 * Proxies follow openssl cmp, not curl: -proxy or http_proxy/HTTP_PROXY
 * (https_proxy/HTTPS_PROXY with TLS), skipped for a host listed exactly in
 * -no_proxy or no_proxy/NO_PROXY; curl's own environment handling is
 * switched off. TLS settings go into libssl's SSL_CTX from the
 * CURLOPT_SSL_CTX_FUNCTION callback; the server's host name (or -tls_host)
 * is checked by libcrypto's verifier with the -tls_trusted store.
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

#include "transfer/internal.h"

#define CT_PKIXCMP "application/pkixcmp"
#define HTTP_URL_MAX (CMP_URL_MAX_HOST + CMP_URL_MAX_PATH + 32)

struct http {
    CURL *curl;
    struct curl_slist *headers;
    char url[HTTP_URL_MAX];
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

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;

static void
curl_init_once(void)
{
    curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
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

/* ---- one exchange ---- */

/* Is |ct| application/pkixcmp (parameters and case aside)? */
static int
is_pkixcmp(const char *ct)
{
    size_t n = strlen(CT_PKIXCMP);

    if (ct == NULL) {
        return 0;
    }
    while (*ct == ' ') {
        ct++;
    }
    return strncasecmp(ct, CT_PKIXCMP, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* A short, printable excerpt of a text body for an error message. */
static void
excerpt(char *out, size_t cap, const uint8_t *p, size_t len)
{
    size_t i, o = 0;

    for (i = 0; i < len && o + 1 < cap && o < 80; i++) {
        unsigned char c = p[i];

        out[o++] = c >= 0x20 && c < 0x7F ? (char)c : ' ';
    }
    out[o] = '\0';
}

static int
http_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
              size_t *rsp_len, struct cmp_err *err)
{
    struct http *h = ctx;
    CURLcode rc;
    long status = 0;
    char *ct = NULL;
    char text[96];

    /*
     * -keep_alive 2: the server must keep the connection open while the
     * transaction goes on (it may close it after the last response).
     */
    if (h->keep_alive == 2 && h->num_in_txn > 0 && h->last_closed) {
        return CMP_FAIL(err, CMP_E_PROTOCOL,
                        "%s closed the connection in mid-transaction, but -keep_alive 2 "
                        "requires a persistent connection",
                        h->url);
    }
    h->num_in_txn++;
    h->len = 0;
    h->too_big = 0;
    h->http10 = h->conn_close = h->conn_keep = 0;
    h->curl_msg[0] = '\0';
    cmp_err_init(&h->tls_err);
    rc = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)req);
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req_len);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    }
    if (rc == CURLE_OK) {
        rc = curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    }
    if (rc != CURLE_OK) {
        return CMP_FAIL(err, CMP_E_IO, "libcurl: %s", curl_easy_strerror(rc));
    }
    rc = curl_easy_perform(h->curl);
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
        return CMP_FAIL(err, CMP_E_IO, "%s%s%s: %s", h->url,
                        h->proxy[0] != '\0' ? " via proxy " : "", h->proxy,
                        h->curl_msg[0] != '\0' ? h->curl_msg : curl_easy_strerror(rc));
    }
    if (curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
        curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK) {
        return CMP_FAIL(err, CMP_E_IO, "%s: no HTTP status", h->url);
    }
    if (status != 200 && !(is_pkixcmp(ct) && h->len > 0)) {
        excerpt(text, sizeof(text), h->buf, is_pkixcmp(ct) ? 0 : h->len);
        return CMP_FAIL(err, CMP_E_PROTOCOL, "HTTP status %ld from %s%s%s%s", status, h->url,
                        text[0] != '\0' ? " (\"" : "", text, text[0] != '\0' ? "\")" : "");
    }
    if (!is_pkixcmp(ct)) {
        return CMP_FAIL(err, CMP_E_PROTOCOL,
                        "response from %s has Content-Type '%.60s', expected " CT_PKIXCMP, h->url,
                        ct != NULL ? ct : "(none)");
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
        curl_easy_cleanup(h->curl);
    }
    curl_slist_free_all(h->headers);
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
    fresh = curl_easy_duphandle(h->curl);
    if (fresh != NULL) {
        curl_easy_cleanup(h->curl);
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
            rc = curl_easy_setopt((h)->curl, (opt), (val));                                        \
            what = #opt;                                                                           \
        }                                                                                          \
    } while (0)

static int
setup_handle(struct http *h, struct cmp_err *err)
{
    CURLcode rc = CURLE_OK;
    const char *what = "";

    h->curl = curl_easy_init();
    if (h->curl == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "cannot create an HTTP client handle");
    }
    h->headers = curl_slist_append(h->headers, "Content-Type: " CT_PKIXCMP);
    h->headers = h->headers == NULL ? NULL : curl_slist_append(h->headers, "Accept: " CT_PKIXCMP);
    /* No "Expect: 100-continue": a CMP request is small and goes out at once. */
    h->headers = h->headers == NULL ? NULL : curl_slist_append(h->headers, "Expect:");
    if (h->headers != NULL && h->keep_alive == 0) {
        h->headers = curl_slist_append(h->headers, "Connection: close");
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
        return CMP_FAIL(err, CMP_E_UNSUPPORTED, "libcurl: %s: %s", what, curl_easy_strerror(rc));
    }
    return 1;
}

struct cmp_transfer *
cmp_transfer_http_new(const struct cmp_http_opts *o, struct cmp_err *err)
{
    struct cmp_url url, purl;
    const char *path, *proxy;
    struct http *h;
    int n;

    if (o == NULL || o->server == NULL) {
        CMP_FAIL(err, CMP_E_ARG, "no -server given");
        return NULL;
    }
    if (o->keep_alive < 0 || o->keep_alive > 2) {
        CMP_FAIL(err, CMP_E_ARG, "-keep_alive %d is out of range 0..2", o->keep_alive);
        return NULL;
    }
    if (!cmp_url_parse(&url, o->server, "server", err)) {
        return NULL;
    }
    if (url.https && !o->tls_used) {
        CMP_FAIL(err, CMP_E_ARG, "missing -tls_used option since -server URL indicates HTTPS");
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    if (!curl_ready) {
        CMP_FAIL(err, CMP_E_UNSUPPORTED, "libcurl initialization failed");
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (h == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "HTTP transfer");
        return NULL;
    }
    h->keep_alive = o->keep_alive;
    path = o->path != NULL ? o->path : url.path;
    n = snprintf(h->url, sizeof(h->url), "%s://%s%s%s:%d%s%s", o->tls_used ? "https" : "http",
                 url.ipv6 ? "[" : "", url.host, url.ipv6 ? "]" : "", url.port,
                 path[0] == '/' ? "" : "/", path);
    if (n < 0 || (size_t)n >= sizeof(h->url)) {
        CMP_FAIL(err, CMP_E_ARG, "-server and -path make a URL that is too long");
        goto fail;
    }
    memcpy(h->host, url.host, sizeof(h->host));
    proxy = cmp_http_proxy_of(o->proxy, o->no_proxy, url.host, o->tls_used);
    if (proxy != NULL) {
        /* Scheme, path, userinfo, query and fragment of the proxy are ignored. */
        if (!cmp_url_parse(&purl, proxy, "proxy", err)) {
            goto fail;
        }
        n = snprintf(h->proxy, sizeof(h->proxy), "http://%s%s%s:%d", purl.ipv6 ? "[" : "",
                     purl.host, purl.ipv6 ? "]" : "", purl.port);
        if (n < 0 || (size_t)n >= sizeof(h->proxy)) {
            CMP_FAIL(err, CMP_E_ARG, "-proxy too long");
            goto fail;
        }
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
