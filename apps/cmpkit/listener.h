/*
 * The HTTP listener of the mock server mode (RFC 9811 HTTP transfer): POSTs
 * of application/pkixcmp in, the handler's DER out. listener.c is the only
 * file that includes <microhttpd.h>.
 *
 * Every resource a peer can hold is bounded, each by a field of struct
 * cmp_listener_config (the -srv_* options; 0 takes the default below, which
 * is meant to be safe on the open internet): connections in total and per
 * client address, the time a connection may wait for a request and the time
 * a whole request may take (neither is extended by trickling bytes), the
 * size of one request body, the bytes of all bodies held at once, and the
 * CPU time that the failed authentications of one address may cost.
 */
#ifndef CMPKIT_APP_LISTENER_H
#define CMPKIT_APP_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define CMP_LISTENER_DEFAULT_MAX_CONNS 512u
/* 1/8 of the total; room for a NAT gateway's clients, whose closed connections still count
 * until the server has read their end */
#define CMP_LISTENER_DEFAULT_MAX_CONNS_PER_ADDR 64u
#define CMP_LISTENER_DEFAULT_REQ_TIMEOUT 30u  /* seconds */
#define CMP_LISTENER_DEFAULT_IDLE_TIMEOUT 15u /* seconds */
#define CMP_LISTENER_DEFAULT_MAX_BODY ((size_t)1 << 20)
#define CMP_LISTENER_DEFAULT_BODY_BUDGET ((size_t)64 << 20)
#define CMP_LISTENER_MAX_THREADS 64u
/* 5% of one core: a flood of failing requests from one address leaves the rest to others */
#define CMP_LISTENER_DEFAULT_FAIL_CPU_MS 50u
#define CMP_LISTENER_MAX_FAIL_CPU_MS 1000u
/* Upper bounds of the options (cmp_listener_run() refuses more). */
#define CMP_LISTENER_MAX_CONNS_LIMIT 1000000u
#define CMP_LISTENER_MAX_TIMEOUT 86400u

/* How the listener sends a handler's answer (struct cmp_listener_answer). */
struct cmp_listener_answer {
    /*
     * the CPU time to charge to the client's address: that of a request
     * that failed authentication, which anyone can send; 0 before the call
     */
    uint64_t charge_us;
    /*
     * the HTTP status, 200 before the call: RFC 9811 3.3, a CMP response
     * goes in a 200 answer, and "all applicable Client Error 4xx ...
     * status codes MAY be used": 400 for a body that is no PKIMessage (its
     * CMP error message still in the body)
     */
    int status;
};

/*
 * The handler answers one request body: 1 with |*rsp| a malloc()ed DER
 * response of |*rsp_len| bytes, or 0 (the listener answers 500). Called
 * from the listener's threads, possibly from several at once. |*ans| says
 * how the answer goes out (its fields preset as described above).
 * |tls_client_cert| is the verified certificate of the TLS client (HTTPS
 * with a client certificate; borrowed, valid during the call), else NULL.
 */
typedef int cmp_listener_handle_fn(void *arg, const uint8_t *req, size_t req_len, uint8_t **rsp,
                                   size_t *rsp_len, struct cmp_listener_answer *ans,
                                   X509 *tls_client_cert);

/*
 * The refusal of a request from an address over its budget: a DER error
 * message made without handling the request (cheap), 1 with |*rsp| as
 * above, or 0 (the listener answers a bare 429).
 */
typedef int cmp_listener_refuse_fn(void *arg, const uint8_t *req, size_t req_len, uint8_t **rsp,
                                   size_t *rsp_len);

/*
 * A document served by GET (the CA's CRL): 1 with |*out| a malloc()ed DER
 * of |*out_len| bytes, or 0 (the listener answers 500). Called with the
 * handler's |handle_arg|, from the listener's threads.
 */
typedef int cmp_listener_get_fn(void *arg, uint8_t **out, size_t *out_len);

struct cmp_listener_config {
    const char *port; /* -port: "port" (all addresses, IPv6 and IPv4) or "host:port",
                       * "[v6addr]:port"; port 0 picks a free one */
    const char *path; /* an HTTP path accepted besides "/" and "/pkix/" (-path), or NULL */
    /* -srv_max_conns: connections open at once; when all are taken, the
     * longest-waiting idle one is closed and new ones wait in the kernel's
     * backlog */
    unsigned max_conns;
    /* -srv_max_conns_per_addr: connections from one IPv4 address or IPv6 /64
     * (more are closed at once) */
    unsigned max_conns_per_addr;
    /* -srv_req_timeout: seconds from a request's first line until its
     * response is sent; the connection is closed when they are over */
    unsigned req_timeout;
    /* -srv_idle_timeout: seconds a connection may wait for the first line of
     * a request (after it was opened or its last response sent); 1 s while
     * more than 3/4 of max_conns are in use */
    unsigned idle_timeout;
    size_t max_body;    /* -srv_max_body: a larger request body gets 413 */
    size_t body_budget; /* -srv_body_budget: bytes of bodies held by all connections;
                         * past it, new requests get 503 */
    unsigned threads;   /* -srv_threads: serving threads; 0: one per core */
    /* -srv_fail_cpu: milliseconds of CPU per second that the requests of one
     * address which fail authentication may cost (the handler's charge);
     * beyond, its requests get 429 at once, unhandled */
    unsigned fail_cpu_ms;
    /* -srv_tls_cert ...: serve HTTPS with this context (tls_srv.h), or NULL: plain HTTP */
    SSL_CTX *tls;
    int max_msgs;       /* stop after answering this many CMP requests; 0: no limit */
    int verbosity;      /* log level (stderr) */
    int log_time;       /* -srv_log_time: lines start as cmp_listener_log_prefix() writes */
    cmp_listener_handle_fn *handle;
    cmp_listener_refuse_fn *refuse; /* may be NULL */
    void *handle_arg;               /* of both */
    /* GET /crl answers this as application/pkix-crl (RFC 5280 4.2.1.13, RFC 2585); NULL:
     * no such route (405 as for any GET) */
    cmp_listener_get_fn *get_crl;
};

/*
 * cmp_listener_run() binds, prints "ACCEPT host:port PID=n" on stdout once
 * listening and serves until SIGINT or SIGTERM, or until -max_msgs requests
 * were answered. It stops within 2 seconds of the signal whatever the
 * connections are doing. Returns the exit status: 0 after a clean stop, 1 if
 * it could not load libmicrohttpd (dlopen()ed on the first call), could not
 * listen, was given a limit out of range (the reason printed), or had to
 * cut its stop short.
 */
int cmp_listener_run(const struct cmp_listener_config *cfg);

/*
 * cmp_listener_log_prefix() writes the start of a log line for -srv_log_time:
 * the UTC time with milliseconds and the address of the client whose request
 * the calling thread is answering ("-" outside a request), then a blank:
 * "2026-12-03T12:49:33.120Z 192.0.2.1 ". An IPv6 client is shown by its /64,
 * as -srv_max_conns_per_addr counts it. Returns |buf|.
 */
const char *cmp_listener_log_prefix(char *buf, size_t len);
#define CMP_LISTENER_LOG_PREFIX_MAX 160 /* bytes that always hold it */

#endif
