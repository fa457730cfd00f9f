/*
 * CMP over HTTP (RFC 9811, which obsoletes RFC 6712): cmp_transfer_http_new()
 * and the built-in HTTP/1.1 client that carries plain http:// without a
 * proxy. HTTPS and proxies go to libcurl (http.c), loaded only then.
 *
 * Why a client of our own for the plain case: Debian's libcurl pulls about
 * thirty shared libraries (gssapi, ldap, gnutls, ssh2, nghttp2...) into
 * every process, which cost more CPU time and memory at start-up than a
 * whole `openssl cmp` enrollment (bench/client.sh). A CMP exchange over
 * plain HTTP is one POST with a small body and one response, which takes
 * about as much code as the glue to drive libcurl.
 *
 * Each request is one HTTP/1.1 POST of Content-Type application/pkixcmp,
 * sent with one write on a socket with TCP_NODELAY (DESIGN.md: openssl cmp
 * 3.0 loses about 40 ms per request to Nagle and delayed ACKs). The
 * response (http_parse.c) must be 200 with the same content type (RFC 9811
 * 3.4); a non-200 answer whose body is application/pkixcmp is handed to the
 * client all the same, because servers send CMP error messages that way.
 * The connection stays open between the messages of a transaction unless
 * -keep_alive is 0 or the server ends it. A request on a kept connection
 * that turns out closed (no response byte came back) is sent once more on a
 * fresh one, as libcurl does. POST is not idempotent (RFC 9112 9.3.1), but
 * a CMP message is: a server that did process the first copy refuses the
 * second by its transactionID and nonces, so nothing is issued twice.
 * |timeout_ms| bounds each exchange, from connecting to the last byte.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "transfer/internal.h"

#define CT_PKIXCMP "application/pkixcmp"
#define READ_STEP (16u << 10)

struct plain {
    char url[CMP_HTTP_URL_MAX]; /* for messages */
    char host[CMP_URL_MAX_HOST];
    char port[8];
    char host_field[CMP_URL_MAX_HOST + 16]; /* the Host header's value */
    char path[CMP_URL_MAX_PATH + 1];
    int keep_alive;
    int fd;            /* -1: not connected */
    int last_closed;   /* the last response ended its connection */
    size_t num_in_txn; /* exchanges since the last close */
    int stale;         /* the last I/O failure hit a kept connection before any response */
    int timed_out;
};

/* ---- shared with the libcurl transfer ---- */

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

int
cmp_http_check_response(const char *url, long status, const char *ct, const uint8_t *body,
                        size_t len, struct cmp_err *err)
{
    char text[96];

    if (status != 200 && !(is_pkixcmp(ct) && len > 0)) {
        excerpt(text, sizeof(text), body, is_pkixcmp(ct) ? 0 : len);
        return CMP_FAIL(err, CMP_E_PROTOCOL, "HTTP status %ld from %s%s%s%s", status, url,
                        text[0] != '\0' ? " (\"" : "", text, text[0] != '\0' ? "\")" : "");
    }
    if (!is_pkixcmp(ct)) {
        excerpt(text, sizeof(text), (const uint8_t *)ct, ct != NULL ? strlen(ct) : 0);
        return CMP_FAIL(err, CMP_E_PROTOCOL,
                        "response from %s has Content-Type '%.60s', expected " CT_PKIXCMP, url,
                        ct != NULL ? text : "(none)");
    }
    return 1;
}

int
cmp_http_keep_alive_ok(int keep_alive, size_t num_in_txn, int last_closed, const char *url,
                       struct cmp_err *err)
{
    if (keep_alive == 2 && num_in_txn > 0 && last_closed) {
        return CMP_FAIL(err, CMP_E_PROTOCOL,
                        "%s closed the connection in mid-transaction, but -keep_alive 2 "
                        "requires a persistent connection",
                        url);
    }
    return 1;
}

/* ---- sockets ---- */

static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until |fd| is ready for |events| or |deadline| (0: none) passes.
 * 1 ready, 0 on a timeout or error (|err| set).
 */
static int
wait_fd(struct plain *h, int fd, short events, int64_t deadline, int64_t timeout_ms,
        struct cmp_err *err)
{
    struct pollfd pfd;

    for (;;) {
        int wait = -1, rc;

        if (deadline != 0) {
            int64_t left = deadline - now_ms();

            if (left <= 0) {
                h->timed_out = 1;
                return CMP_FAIL(err, CMP_E_IO, "timeout after %lld ms waiting for %s",
                                (long long)timeout_ms, h->url);
            }
            wait = left > 60000 ? 60000 : (int)left;
        }
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        rc = poll(&pfd, 1, wait);
        if (rc > 0) {
            return 1;
        }
        if (rc < 0 && errno != EINTR) {
            return CMP_FAIL(err, CMP_E_IO, "poll: %s", strerror(errno));
        }
    }
}

static int
connect_one(struct plain *h, const struct addrinfo *ai, int64_t deadline, int64_t timeout_ms,
            int *out, struct cmp_err *err)
{
    int fd, one = 1, so_err = 0;
    socklen_t len = sizeof(so_err);

    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        return CMP_FAIL(err, CMP_E_IO, "socket: %s", strerror(errno));
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
        close(fd);
        return CMP_FAIL(err, CMP_E_IO, "TCP_NODELAY: %s", strerror(errno));
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            so_err = errno;
        } else if (!wait_fd(h, fd, POLLOUT, deadline, timeout_ms, err)) {
            close(fd);
            return 0;
        } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) != 0) {
            so_err = errno;
        }
    }
    if (so_err != 0) {
        close(fd);
        return CMP_FAIL(err, CMP_E_IO, "cannot connect to %s: %s", h->url, strerror(so_err));
    }
    *out = fd;
    return 1;
}

/* Connects to the first address of the server's that answers. */
static int
plain_connect(struct plain *h, int64_t deadline, int64_t timeout_ms, struct cmp_err *err)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, ok = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(h->host, h->port, &hints, &res);
    if (rc != 0) {
        return CMP_FAIL(err, CMP_E_IO, "cannot resolve host '%s' of %s: %s", h->host, h->url,
                        rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
    }
    for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
        cmp_err_init(err);
        ok = connect_one(h, ai, deadline, timeout_ms, &h->fd, err);
        if (h->timed_out) {
            break;
        }
    }
    freeaddrinfo(res);
    return ok;
}

static void
plain_disconnect(struct plain *h)
{
    if (h->fd >= 0) {
        close(h->fd);
        h->fd = -1;
    }
}

static int
send_all(struct plain *h, const uint8_t *p, size_t n, int64_t deadline, int64_t timeout_ms,
         struct cmp_err *err)
{
    while (n > 0) {
        ssize_t k = send(h->fd, p, n, MSG_NOSIGNAL);

        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!wait_fd(h, h->fd, POLLOUT, deadline, timeout_ms, err)) {
                return 0;
            }
            continue;
        }
        h->stale = 1;
        return CMP_FAIL(err, CMP_E_IO, "cannot send to %s: %s", h->url,
                        k < 0 ? strerror(errno) : "connection closed");
    }
    return 1;
}

static int
receive(struct plain *h, struct cmp_http_rsp *r, int64_t deadline, int64_t timeout_ms,
        struct cmp_err *err)
{
    uint8_t buf[READ_STEP];

    for (;;) {
        ssize_t k = recv(h->fd, buf, sizeof(buf), 0);
        int rc;

        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (!wait_fd(h, h->fd, POLLIN, deadline, timeout_ms, err)) {
                return 0;
            }
            continue;
        }
        if (k < 0) {
            h->stale = r->received == 0;
            return CMP_FAIL(err, CMP_E_IO, "cannot receive from %s: %s", h->url, strerror(errno));
        }
        rc = cmp_http_rsp_feed(r, buf, (size_t)k, err);
        if (rc < 0) {
            h->stale = k == 0 && r->received == 0;
            return CMP_CONTEXT(err, "response from %s", h->url);
        }
        if (rc > 0) {
            return 1;
        }
    }
}

/* ---- the transfer ---- */

static int
plain_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
               size_t *rsp_len, struct cmp_err *err)
{
    struct plain *h = ctx;
    int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    struct cmp_http_rsp r;
    uint8_t *msg;
    size_t head_len;
    char head[CMP_URL_MAX_PATH + CMP_URL_MAX_HOST + 256];
    int n, attempt, ok = 0;

    if (!cmp_http_keep_alive_ok(h->keep_alive, h->num_in_txn, h->last_closed, h->url, err)) {
        return 0;
    }
    h->num_in_txn++;
    n = snprintf(head, sizeof(head),
                 "POST %s HTTP/1.1\r\n"
                 "Host: %s\r\n"
                 "User-Agent: cmpkit\r\n"
                 "Content-Type: " CT_PKIXCMP "\r\n"
                 "Accept: " CT_PKIXCMP "\r\n"
                 "Content-Length: %zu\r\n"
                 "%s"
                 "\r\n",
                 h->path, h->host_field, req_len,
                 h->keep_alive == 0 ? "Connection: close\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(head)) {
        return CMP_FAIL(err, CMP_E_ARG, "HTTP request head too long for %s", h->url);
    }
    head_len = (size_t)n;
    msg = malloc(head_len + req_len);
    if (msg == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "HTTP request");
    }
    memcpy(msg, head, head_len);
    memcpy(msg + head_len, req, req_len);

    cmp_http_rsp_init(&r, CMP_TRANSFER_MAX_RESPONSE);
    for (attempt = 0; attempt < 2 && !ok; attempt++) {
        int reused = h->fd >= 0;

        if (attempt > 0) {
            cmp_err_init(err);
            cmp_http_rsp_cleanup(&r);
            cmp_http_rsp_init(&r, CMP_TRANSFER_MAX_RESPONSE);
        }
        h->stale = h->timed_out = 0;
        if (h->fd < 0 && !plain_connect(h, deadline, timeout_ms, err)) {
            break;
        }
        ok = send_all(h, msg, head_len + req_len, deadline, timeout_ms, err) &&
             receive(h, &r, deadline, timeout_ms, err);
        if (!ok) {
            plain_disconnect(h);
            if (!reused || !h->stale) {
                break; /* only a kept connection that went stale is worth a retry */
            }
        }
    }
    free(msg);
    if (ok) {
        ok = cmp_http_check_response(h->url, r.status, r.has_content_type ? r.content_type : NULL,
                                     r.buf, r.body_len, err);
    }
    if (ok) {
        h->last_closed = !cmp_http_rsp_keeps_connection(&r);
        if (h->last_closed || h->keep_alive == 0) {
            plain_disconnect(h);
        }
        if (r.buf == NULL) {
            r.buf = malloc(1);
        }
        *rsp = r.buf;
        *rsp_len = r.body_len;
        r.buf = NULL;
        ok = *rsp != NULL || CMP_FAIL(err, CMP_E_MEMORY, "HTTP response");
    } else {
        plain_disconnect(h);
    }
    cmp_http_rsp_cleanup(&r);
    return ok;
}

/* Ends the connection, so that the next exchange connects afresh. */
static void
plain_close(void *ctx)
{
    struct plain *h = ctx;

    plain_disconnect(h);
    h->num_in_txn = 0;
    h->last_closed = 0;
}

static void
plain_free(void *ctx)
{
    struct plain *h = ctx;

    if (h == NULL) {
        return;
    }
    plain_disconnect(h);
    free(h);
}

static struct cmp_transfer *
plain_new(const struct cmp_http_opts *o, const struct cmp_url *url, const char *path,
          struct cmp_err *err)
{
    struct plain *h = calloc(1, sizeof(*h));
    int n;

    if (h == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "HTTP transfer");
        return NULL;
    }
    h->fd = -1;
    h->keep_alive = o->keep_alive;
    memcpy(h->host, url->host, sizeof(h->host));
    snprintf(h->port, sizeof(h->port), "%d", url->port);
    n = snprintf(h->host_field, sizeof(h->host_field), "%s%s%s%s%s", url->ipv6 ? "[" : "",
                 url->host, url->ipv6 ? "]" : "", url->port != 80 ? ":" : "",
                 url->port != 80 ? h->port : "");
    if (n < 0 || (size_t)n >= sizeof(h->host_field)) {
        CMP_FAIL(err, CMP_E_ARG, "-server host too long");
        goto fail;
    }
    n = snprintf(h->path, sizeof(h->path), "%s%s", path[0] == '/' ? "" : "/", path);
    if (n < 0 || (size_t)n >= sizeof(h->path)) {
        CMP_FAIL(err, CMP_E_ARG, "-path too long");
        goto fail;
    }
    n = snprintf(h->url, sizeof(h->url), "http://%s%s", h->host_field, h->path);
    if (n < 0 || (size_t)n >= sizeof(h->url)) {
        CMP_FAIL(err, CMP_E_ARG, "-server and -path make a URL that is too long");
        goto fail;
    }
    return cmp_transfer_wrap(plain_exchange, plain_close, plain_free, h, err);

fail:
    plain_free(h);
    return NULL;
}

struct cmp_transfer *
cmp_transfer_http_new(const struct cmp_http_opts *o, struct cmp_err *err)
{
    struct cmp_url url, purl;
    const char *path, *proxy;
    char proxy_url[CMP_URL_MAX_HOST + 32];
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
    path = o->path != NULL ? o->path : url.path;
    proxy = cmp_http_proxy_of(o->proxy, o->no_proxy, url.host, o->tls_used);
    if (proxy == NULL && !o->tls_used) {
        return plain_new(o, &url, path, err);
    }
    proxy_url[0] = '\0';
    if (proxy != NULL) {
        /* Scheme, path, userinfo, query and fragment of the proxy are ignored. */
        if (!cmp_url_parse(&purl, proxy, "proxy", err)) {
            return NULL;
        }
        n = snprintf(proxy_url, sizeof(proxy_url), "http://%s%s%s:%d", purl.ipv6 ? "[" : "",
                     purl.host, purl.ipv6 ? "]" : "", purl.port);
        if (n < 0 || (size_t)n >= sizeof(proxy_url)) {
            CMP_FAIL(err, CMP_E_ARG, "-proxy too long");
            return NULL;
        }
    }
    return cmp_http_curl_new(o, &url, path, proxy_url, err);
}
