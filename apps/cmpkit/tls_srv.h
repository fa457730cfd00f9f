/*
 * HTTPS serving (-srv_tls_cert ...): the server's TLS context, and the
 * pump that terminates TLS on one connection for the HTTP listener.
 *
 * libmicrohttpd does TLS only through GnuTLS, whose development files are
 * not among our dependencies (DESIGN.md), and could neither take PKCS#12
 * nor give us the client certificate without them. So the listener
 * terminates TLS itself with libssl: for each accepted connection it hands
 * one end of a socketpair to libmicrohttpd (counted in the connection's
 * slot as a plain connection is) and runs tls_pump_run() on a thread of its
 * own between the client's socket and the other end. The pump ends when
 * libmicrohttpd closes its end, and so when the listener's watchdog shuts
 * that end down at the connection's deadline: a stalled handshake is idle
 * time, bounded by -srv_idle_timeout like any connection without a request.
 */
#ifndef CMPKIT_APP_TLS_SRV_H
#define CMPKIT_APP_TLS_SRV_H

#include <openssl/ssl.h>

#include "opts.h"

/*
 * app_tls_srv_ctx() makes the server's TLS context from -srv_tls_cert,
 * -srv_tls_key, -srv_tls_keypass, -srv_tls_extra, -srv_tls_trusted,
 * -srv_tls_verify and -srv_tls_min_version (|keyform| from -keyform): 1
 * with |*out| a new context, or NULL when no -srv_tls_cert is given (plain
 * HTTP); 0 with the error printed (naming the option and the file).
 */
int app_tls_srv_ctx(const struct cmp_opts *o, int keyform, SSL_CTX **out);

/* How a pump ended. */
enum tls_pump_end {
    TLS_PUMP_DONE = 0,  /* the connection was served and closed by either side */
    TLS_PUMP_PLAIN,     /* not TLS: answered 400 "this port speaks HTTPS" */
    TLS_PUMP_HANDSHAKE, /* the handshake failed (|why|) */
    TLS_PUMP_CUT        /* closed before or during the handshake (deadline, peer, stop) */
};

struct tls_pump {
    SSL_CTX *ctx;
    int net_fd; /* the client's TCP socket, non-blocking (closed by the pump) */
    int app_fd; /* our end of the socketpair libmicrohttpd has the other end of (closed too) */
    /*
     * Called once after the handshake, before any byte of the request goes
     * to libmicrohttpd, with the client's verified certificate (a new
     * reference, which the callee owns) or NULL.
     */
    void (*on_peer)(void *arg, X509 *cert);
    void *arg;
    char why[256]; /* TLS_PUMP_HANDSHAKE: what failed */
};

/* tls_pump_run() serves one connection until either side ends it; closes both descriptors. */
enum tls_pump_end tls_pump_run(struct tls_pump *p);

#endif
