/*
 * HTTPS serving: the server's TLS context from the -srv_tls_* options, and
 * the pump between a client's TLS connection and libmicrohttpd's plaintext
 * socket (tls_srv.h says why the TLS is ours).
 *
 * The pump is a thread per TLS connection. It holds no slot of its own: the
 * connection's slot is that of libmicrohttpd's end of the socketpair, and
 * whatever closes that end (libmicrohttpd after the answer, the watchdog at
 * the deadline, the stop) ends the pump within one poll(). Its memory is
 * two buffers of PUMP_BUF bytes and OpenSSL's per-connection state.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cmpkit/err.h"
#include "cmpkit/load.h"
#include "tls_srv.h"

#define PUMP_BUF 16384     /* one TLS record's plaintext */
#define FLUSH_MS 1000      /* after libmicrohttpd closed, the most the last bytes may take */
#define PLAIN_DRAIN_MS 200 /* after refusing plain HTTP, reading what the client still sends */
#define PLAIN_DRAIN_MAX 65536
#define TLS_RECORD_HANDSHAKE 0x16 /* the first byte of a ClientHello (RFC 8446 5.1) */

/* ---- the context ---- */

/* tls_fail() prints "cmpkit: -option value: <the error>" and returns 0. */
static int
tls_fail(const char *opt, const char *value, const struct cmp_err *err)
{
    char buf[1024];

    fprintf(stderr, "%s: -%s%s%s: %s\n", PROG, opt, value != NULL ? " " : "",
            value != NULL ? value : "", cmp_err_format(err, buf, sizeof(buf)));
    return 0;
}

/* ssl_fail() prints libssl's reason for refusing |what| and returns 0. */
static int
ssl_fail(const char *what)
{
    char buf[256];
    unsigned long e = ERR_peek_last_error();

    ERR_error_string_n(e, buf, sizeof(buf));
    fprintf(stderr, "%s: %s: %s\n", PROG, what, e != 0 ? buf : "unknown error");
    ERR_clear_error();
    return 0;
}

/* The -srv_tls_verify settings. */
static const struct {
    const char *name;
    int mode; /* SSL_CTX_set_verify() */
} verify_modes[] = {
    {"none", SSL_VERIFY_NONE},
    {"optional", SSL_VERIFY_PEER},
    {"require", SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT},
};

/* tls_settings() checks -srv_tls_verify and -srv_tls_min_version: 1, or 0 printed. */
static int
tls_settings(const struct cmp_opts *o, int *mode, int *min_version)
{
    size_t i;

    *mode = o->srv_tls_trusted != NULL ? SSL_VERIFY_PEER : SSL_VERIFY_NONE;
    if (o->srv_tls_verify != NULL) {
        for (i = 0; i < sizeof(verify_modes) / sizeof(verify_modes[0]); i++) {
            if (strcasecmp(o->srv_tls_verify, verify_modes[i].name) == 0) {
                break;
            }
        }
        if (i == sizeof(verify_modes) / sizeof(verify_modes[0])) {
            fprintf(stderr, "%s: -srv_tls_verify %s: expected none, optional or require\n", PROG,
                    o->srv_tls_verify);
            return 0;
        }
        *mode = verify_modes[i].mode;
        if (*mode != SSL_VERIFY_NONE && o->srv_tls_trusted == NULL) {
            fprintf(stderr, "%s: -srv_tls_verify %s: client certificates need -srv_tls_trusted\n",
                    PROG, o->srv_tls_verify);
            return 0;
        }
    }
    if (o->srv_tls_min_version == NULL || strcmp(o->srv_tls_min_version, "1.2") == 0) {
        *min_version = TLS1_2_VERSION;
    } else if (strcmp(o->srv_tls_min_version, "1.3") == 0) {
        *min_version = TLS1_3_VERSION;
    } else {
        fprintf(stderr, "%s: -srv_tls_min_version %s: expected 1.2 or 1.3 (nothing older)\n", PROG,
                o->srv_tls_min_version);
        return 0;
    }
    return 1;
}

/* tls_credentials() loads the certificate, its key and chain into |ctx|: 1, or 0 printed. */
static int
tls_credentials(const struct cmp_opts *o, int keyform, SSL_CTX *ctx)
{
    struct cmp_err err;
    char *pass = NULL;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *extra = NULL;
    int ok = 0, i;

    cmp_err_init(&err);
    if (o->srv_tls_keypass != NULL &&
        !cmp_load_pass(&pass, o->srv_tls_keypass, "pass phrase of -srv_tls_key", &err)) {
        return tls_fail("srv_tls_keypass", NULL, &err);
    }
    /* As the client's -tls_cert: the pass phrase also opens a PKCS#12 certificate file. */
    cert = cmp_load_one_cert(o->srv_tls_cert, pass, "TLS server certificate", &err);
    if (cert == NULL) {
        tls_fail("srv_tls_cert", o->srv_tls_cert, &err);
        goto end;
    }
    key = cmp_load_private_key(o->srv_tls_key != NULL ? o->srv_tls_key : o->srv_tls_cert, keyform,
                               pass, "TLS server key", &err);
    if (key == NULL) {
        tls_fail(o->srv_tls_key != NULL ? "srv_tls_key" : "srv_tls_cert",
                 o->srv_tls_key != NULL ? o->srv_tls_key : o->srv_tls_cert, &err);
        goto end;
    }
    if (o->srv_tls_extra != NULL &&
        !cmp_load_cert_list(&extra, o->srv_tls_extra, pass, "TLS server chain", &err)) {
        tls_fail("srv_tls_extra", o->srv_tls_extra, &err);
        goto end;
    }
    if (SSL_CTX_use_certificate(ctx, cert) != 1) {
        ssl_fail("-srv_tls_cert: the certificate is not usable for TLS");
        goto end;
    }
    if (SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
        ssl_fail("-srv_tls_key: the key does not match -srv_tls_cert");
        goto end;
    }
    for (i = 0; i < sk_X509_num(extra); i++) {
        if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(extra, i)) != 1) {
            ssl_fail("-srv_tls_extra: cannot add the certificate to the chain");
            goto end;
        }
    }
    ok = 1;
end:
    X509_free(cert);
    EVP_PKEY_free(key);
    sk_X509_pop_free(extra, X509_free);
    cmp_load_pass_free(pass);
    return ok;
}

int
app_tls_srv_ctx(const struct cmp_opts *o, int keyform, SSL_CTX **out)
{
    static const unsigned char sid_ctx[] = "cmpkit-srv";
    struct cmp_err err;
    X509_STORE *store;
    SSL_CTX *ctx;
    int mode, min_version;

    *out = NULL;
    if (o->srv_tls_cert == NULL) {
        if (o->srv_tls_key != NULL || o->srv_tls_keypass != NULL || o->srv_tls_extra != NULL ||
            o->srv_tls_trusted != NULL || o->srv_tls_verify != NULL ||
            o->srv_tls_min_version != NULL) {
            fprintf(stderr, "%s: the -srv_tls_* options need -srv_tls_cert (HTTPS serving)\n",
                    PROG);
            return 0;
        }
        return 1;
    }
    if (!tls_settings(o, &mode, &min_version)) {
        return 0;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) {
        return ssl_fail("cannot make the TLS context");
    }
    /* TLS 1.2 and 1.3: nothing older (RFC 8996 deprecated TLS 1.0 and 1.1); no renegotiation. */
    if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
        SSL_CTX_free(ctx);
        return ssl_fail("cannot set the TLS versions");
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* the chain sent is -srv_tls_cert and -srv_tls_extra: not completed from -srv_tls_trusted */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (!tls_credentials(o, keyform, ctx)) {
        SSL_CTX_free(ctx);
        return 0;
    }
    if (o->srv_tls_trusted != NULL) {
        cmp_err_init(&err);
        store = cmp_load_trust_store(o->srv_tls_trusted, NULL, o->vpm,
                                     "trust anchors of TLS client certificates", &err);
        if (store == NULL) {
            SSL_CTX_free(ctx);
            return tls_fail("srv_tls_trusted", o->srv_tls_trusted, &err);
        }
        SSL_CTX_set_cert_store(ctx, store); /* owned by ctx now */
    }
    SSL_CTX_set_verify(ctx, mode, NULL);
    /* resumed sessions keep their client certificate; libssl wants a context name for that */
    if (SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1) != 1) {
        SSL_CTX_free(ctx);
        return ssl_fail("cannot set the TLS session context");
    }
    *out = ctx;
    return 1;
}

/* ---- the pump ---- */

static int64_t
pump_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * pump_wait() polls the client's socket for |net_ev| and libmicrohttpd's
 * end for |app_ev| (its hang-up is always seen) for at most |ms| (-1: no
 * limit). Returns the revents of both through |net_rev|, |app_rev|.
 */
static void
pump_wait(const struct tls_pump *p, short net_ev, short app_ev, int ms, short *net_rev,
          short *app_rev)
{
    struct pollfd f[2] = {{p->net_fd, net_ev, 0}, {p->app_fd, app_ev, 0}};

    *net_rev = 0;
    *app_rev = 0;
    if (poll(f, 2, ms) > 0) {
        *net_rev = f[0].revents;
        *app_rev = f[1].revents;
    } else if (errno == EINTR) {
        return;
    }
}

/*
 * refuse_plain() answers a client that speaks plain HTTP to the TLS port:
 * 400 with a text that says so, then reads (briefly, boundedly) what it
 * still sends, so that closing does not reset the answer away.
 */
static void
refuse_plain(const struct tls_pump *p)
{
    static const char text[] = "This port speaks HTTPS (CMP over TLS): use https://\n";
    char head[256], sink[4096];
    int64_t until = pump_now_ms() + PLAIN_DRAIN_MS, left;
    size_t drained = 0;
    int n;
    short nrev, arev;

    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                 "Content-Length: %zu\r\n\r\n%s",
                 sizeof(text) - 1, text);
    if (n <= 0 || send(p->net_fd, head, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n) {
        return;
    }
    (void)shutdown(p->net_fd, SHUT_WR);
    while (drained < PLAIN_DRAIN_MAX && (left = until - pump_now_ms()) > 0) {
        pump_wait(p, POLLIN, 0, (int)left, &nrev, &arev);
        if ((arev & (POLLHUP | POLLERR)) != 0) {
            return;
        }
        n = (int)recv(p->net_fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return;
        }
        drained += n > 0 ? (size_t)n : 0;
    }
}

/*
 * first_byte() waits for the client's first byte: 1 with it in |*b|, 0 if
 * the connection ended first (the peer, or the deadline through app_fd).
 */
static int
first_byte(const struct tls_pump *p, unsigned char *b)
{
    short nrev, arev;
    ssize_t n;

    for (;;) {
        n = recv(p->net_fd, b, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n == 1) {
            return 1;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            return 0;
        }
        pump_wait(p, POLLIN, 0, -1, &nrev, &arev);
        if ((arev & (POLLHUP | POLLERR | POLLIN)) != 0) {
            return 0;
        }
    }
}

/*
 * ssl_wants() reads what an SSL_read() or SSL_write() that returned |ret|
 * waits for: 1 with POLLIN or POLLOUT added to |*events|, or 0 if the
 * connection is over.
 */
static int
ssl_wants(SSL *ssl, int ret, short *events)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        *events |= POLLIN;
        return 1;
    case SSL_ERROR_WANT_WRITE:
        *events |= POLLOUT;
        return 1;
    default:
        return 0;
    }
}

/* handshake_why() records why the handshake failed: the certificate check or libssl's reason. */
static void
handshake_why(struct tls_pump *p, SSL *ssl, int ssl_err)
{
    unsigned long e = ERR_peek_last_error();
    long v = SSL_get_verify_result(ssl);
    char buf[200];

    if (v != X509_V_OK) {
        snprintf(p->why, sizeof(p->why), "client certificate not accepted: %s",
                 X509_verify_cert_error_string(v));
    } else if (e != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        snprintf(p->why, sizeof(p->why), "%s", buf);
    } else {
        snprintf(p->why, sizeof(p->why), "%s",
                 ssl_err == SSL_ERROR_SYSCALL ? "the client closed the connection" : "TLS error");
    }
    ERR_clear_error();
}

/* handshake() runs the server side of the handshake: 1 done, 0 failed (|p->why|) or cut (-1). */
static int
handshake(struct tls_pump *p, SSL *ssl)
{
    short nrev, arev, ev;
    int r;

    for (;;) {
        ERR_clear_error();
        r = SSL_accept(ssl);
        if (r == 1) {
            return 1;
        }
        ev = 0;
        if (!ssl_wants(ssl, r, &ev)) {
            handshake_why(p, ssl, SSL_get_error(ssl, r));
            return 0;
        }
        pump_wait(p, ev, 0, -1, &nrev, &arev);
        if ((arev & (POLLHUP | POLLERR | POLLIN)) != 0) {
            return -1; /* the deadline, or the stop: libmicrohttpd's end was shut */
        }
    }
}

/* Bytes in flight one way: buf[off .. off + len). */
struct flow {
    unsigned char buf[PUMP_BUF];
    size_t off, len;
};

/*
 * relay() moves bytes both ways until either side ends. Returns when the
 * client closed or failed, or libmicrohttpd closed its end and what it
 * sent last went out (or FLUSH_MS passed).
 */
static void
relay(struct tls_pump *p, SSL *ssl, struct flow *in, struct flow *out)
{
    int app_eof = 0, progress, n;
    int64_t flush_until = 0;
    short nev, aev, nrev, arev;
    ssize_t k;

    for (;;) {
        progress = 0;
        nev = 0;
        aev = 0;
        /* client -> libmicrohttpd */
        if (in->len == 0) {
            ERR_clear_error();
            n = SSL_read(ssl, in->buf, (int)sizeof(in->buf));
            if (n > 0) {
                in->off = 0;
                in->len = (size_t)n;
                progress = 1;
            } else if (!ssl_wants(ssl, n, &nev)) {
                return; /* closed (close_notify or not) or broken */
            }
        }
        if (in->len > 0) {
            k = send(p->app_fd, in->buf + in->off, in->len, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (k > 0) {
                in->off += (size_t)k;
                in->len -= (size_t)k;
                progress = 1;
            } else if (errno == EAGAIN) {
                aev |= POLLOUT;
            } else if (errno != EINTR) {
                return; /* libmicrohttpd is gone */
            }
        }
        /* libmicrohttpd -> client */
        if (out->len == 0 && !app_eof) {
            k = recv(p->app_fd, out->buf, sizeof(out->buf), MSG_DONTWAIT);
            if (k > 0) {
                out->off = 0;
                out->len = (size_t)k;
                progress = 1;
            } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
                app_eof = 1;
            } else {
                aev |= POLLIN;
            }
        }
        if (out->len > 0) {
            ERR_clear_error();
            n = SSL_write(ssl, out->buf + out->off, (int)out->len);
            if (n > 0) {
                out->off += (size_t)n;
                out->len -= (size_t)n;
                progress = 1;
            } else if (!ssl_wants(ssl, n, &nev)) {
                return;
            }
        }
        if (app_eof && out->len == 0) {
            (void)SSL_shutdown(ssl); /* close_notify, once, without waiting for the client's */
            return;
        }
        if (progress) {
            continue;
        }
        if (app_eof && flush_until == 0) {
            flush_until = pump_now_ms() + FLUSH_MS;
        }
        if (flush_until != 0 && pump_now_ms() >= flush_until) {
            return;
        }
        pump_wait(p, nev, aev, flush_until != 0 ? (int)(flush_until - pump_now_ms()) : -1, &nrev,
                  &arev);
        /*
         * libmicrohttpd's end hung up (closed, or shut by the watchdog): what
         * it wrote is still to be read and sent, within FLUSH_MS.
         */
        if ((arev & (POLLHUP | POLLERR)) != 0 && flush_until == 0) {
            flush_until = pump_now_ms() + FLUSH_MS;
        }
        if ((nrev & (POLLHUP | POLLERR)) != 0 && (nrev & POLLIN) == 0) {
            return;
        }
    }
}

enum tls_pump_end
tls_pump_run(struct tls_pump *p)
{
    enum tls_pump_end end = TLS_PUMP_CUT;
    struct {
        struct flow in, out;
    } *flows = NULL;
    unsigned char b;
    SSL *ssl = NULL;
    int r;

    p->why[0] = '\0';
    if (!first_byte(p, &b)) {
        goto done;
    }
    if (b != TLS_RECORD_HANDSHAKE) {
        refuse_plain(p);
        end = TLS_PUMP_PLAIN;
        goto done;
    }
    ssl = SSL_new(p->ctx);
    flows = malloc(sizeof(*flows));
    if (ssl == NULL || flows == NULL || SSL_set_fd(ssl, p->net_fd) != 1) {
        snprintf(p->why, sizeof(p->why), "out of memory");
        end = TLS_PUMP_HANDSHAKE;
        goto done;
    }
    r = handshake(p, ssl);
    if (r <= 0) {
        end = r == 0 ? TLS_PUMP_HANDSHAKE : TLS_PUMP_CUT;
        goto done;
    }
    p->on_peer(p->arg,
               SSL_get_verify_result(ssl) == X509_V_OK ? SSL_get1_peer_certificate(ssl) : NULL);
    flows->in.len = 0;
    flows->out.len = 0;
    relay(p, ssl, &flows->in, &flows->out);
    end = TLS_PUMP_DONE;
done:
    SSL_free(ssl);
    ERR_clear_error();
    free(flows);
    close(p->net_fd);
    close(p->app_fd);
    return end;
}
