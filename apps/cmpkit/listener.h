/*
 * The HTTP listener of the mock server mode (RFC 9811 HTTP transfer): POSTs
 * of application/pkixcmp in, the handler's DER out. listener.c is the only
 * file that includes <microhttpd.h>.
 */
#ifndef CMPKIT_APP_LISTENER_H
#define CMPKIT_APP_LISTENER_H

#include <stddef.h>
#include <stdint.h>

/* Requests larger than this get 413 unless the caller sets another cap. */
#define CMP_LISTENER_DEFAULT_MAX_BODY ((size_t)1 << 20)

/*
 * The handler answers one request body: 1 with |*rsp| a malloc()ed DER
 * response of |*rsp_len| bytes, or 0 (the listener answers 500). Called
 * from the listener's threads, possibly from several at once.
 */
typedef int cmp_listener_handle_fn(void *arg, const uint8_t *req, size_t req_len, uint8_t **rsp,
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
    size_t max_body;  /* 0: CMP_LISTENER_DEFAULT_MAX_BODY */
    unsigned threads; /* 0: one per core */
    int max_msgs;     /* stop after answering this many CMP requests; 0: no limit */
    int verbosity;    /* log level (stderr) */
    cmp_listener_handle_fn *handle;
    void *handle_arg;
    /* GET /crl answers this as application/pkix-crl (RFC 5280 4.2.1.13, RFC 2585); NULL:
     * no such route (405 as for any GET) */
    cmp_listener_get_fn *get_crl;
};

/*
 * cmp_listener_run() binds, prints "ACCEPT host:port PID=n" on stdout once
 * listening and serves until SIGINT or SIGTERM, or until -max_msgs requests
 * were answered. Returns the exit status: 0 after a clean stop, 1 if it
 * could not load libmicrohttpd (dlopen()ed on the first call) or could not
 * listen (the reason printed).
 */
int cmp_listener_run(const struct cmp_listener_config *cfg);

#endif
