/*
 * cmpkit public API: moving the DER bytes of CMP messages.
 *
 * A transfer is one function that sends a request's bytes and returns the
 * response's bytes. The client (cmpkit/client.h) does not know which kind
 * it talks to:
 *
 *   cmp_transfer_http_new()    HTTP(S) POST, RFC 9811: -server, -path,
 *                              -proxy, -no_proxy, -keep_alive, -tls_* of
 *                              openssl-cmp(1); plain HTTP built in, HTTPS
 *                              and proxies with libcurl, loaded on demand
 *   cmp_transfer_inproc_new()  straight to a server engine (-use_mock_srv;
 *                              declared in cmpkit/server.h)
 *   cmp_transfer_files_new()   -reqout, -rspin, -rspout: saves and
 *                              substitutes messages around another transfer
 *
 * struct cmp_transfer is a small visible vtable on purpose: an application
 * may plug in its own transfer (a test, a queue, a hardware module's
 * channel) by filling in its fields; the client asks a transfer what it
 * does through it (cmp_transfer_caps()), never by comparing pointers.
 */
#ifndef CMPKIT_PUBLIC_TRANSFER_H
#define CMPKIT_PUBLIC_TRANSFER_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cmpkit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest response any transfer of ours accepts (4 MiB, as CMP_MAX_MSG_LEN). */
#define CMP_TRANSFER_MAX_RESPONSE (4u << 20)

/*
 * One exchange: sends |req_len| bytes and on success (1) sets |*rsp| to a
 * new buffer of |*rsp_len| bytes (free() it). |timeout_ms| bounds the whole
 * round trip; 0 means no limit. On failure (0) |*rsp| is NULL and |err|
 * says what failed (for HTTP: the URL and the HTTP status).
 */
typedef int cmp_transfer_exchange_fn(void *ctx, const uint8_t *req, size_t req_len,
                                     int64_t timeout_ms, uint8_t **rsp, size_t *rsp_len,
                                     struct cmp_err *err);

/*
 * What a transfer may report about itself beyond exchanging
 * (cmp_transfer_caps()): bits that hold at the time of the question.
 */
enum cmp_transfer_cap {
    /*
     * The last response was read from a file (-rspin), not received from a
     * server: the client takes over its transactionID and recipNonce, as
     * openssl cmp does, so that recorded responses pass the checks.
     */
    CMP_TRANSFER_RSP_FROM_FILE = 1u << 0,
    /*
     * The next request is saved to a file (-reqout): with -reqin the client
     * hands the request it created to cmp_transfer_save_request(), which is
     * saved in place of the one sent.
     */
    CMP_TRANSFER_SAVES_REQUEST = 1u << 1
};

/*
 * A transfer. |close| (may be NULL) ends any open connection at the end of
 * a transaction (-keep_alive: connections are not kept across
 * transactions); |free| (may be NULL) frees |ctx|. |caps| (may be NULL: no
 * bits) returns enum cmp_transfer_cap bits; |save_request| (may be NULL:
 * nothing is saved) makes the next exchange save |der| instead of the
 * request it sends (a copy; 1, or 0 with |err| set). A transfer made by
 * hand fills in |exchange| and |ctx| and zeroes the rest it does not use.
 */
struct cmp_transfer {
    cmp_transfer_exchange_fn *exchange;
    void (*close)(void *ctx);
    void (*free)(void *ctx);
    void *ctx;
    unsigned (*caps)(void *ctx);
    int (*save_request)(void *ctx, const uint8_t *der, size_t len, struct cmp_err *err);
};

/*
 * cmp_transfer_exchange() runs one exchange of |t|, checking the arguments
 * and that the response is not empty and within CMP_TRANSFER_MAX_RESPONSE.
 */
CMP_API int cmp_transfer_exchange(struct cmp_transfer *t, const uint8_t *req, size_t req_len,
                                  int64_t timeout_ms, uint8_t **rsp, size_t *rsp_len,
                                  struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_transfer_caps() returns |t|'s enum cmp_transfer_cap bits (0 for NULL). */
CMP_API unsigned cmp_transfer_caps(const struct cmp_transfer *t);

/*
 * cmp_transfer_save_request() makes |t|'s next exchange save |der| (copied)
 * instead of the request it sends, if |t| saves requests; else it does
 * nothing. Returns 1, or 0 with |err| set.
 */
CMP_API int cmp_transfer_save_request(struct cmp_transfer *t, const uint8_t *der, size_t len,
                                      struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_transfer_close() ends |t|'s open connection, if any. NULL does nothing. */
CMP_API void cmp_transfer_close(struct cmp_transfer *t);

/* cmp_transfer_free() frees |t| and its context. NULL does nothing. */
CMP_API void cmp_transfer_free(struct cmp_transfer *t);

/* ---- HTTP(S) ---- */

/*
 * Called from the TLS handshake setup with libssl's SSL_CTX (an SSL_CTX *,
 * given as void * so that this header does not need <openssl/ssl.h>), after
 * cmpkit applied the fields of struct cmp_http_opts. Returns 1, or 0 to
 * abort the connection.
 */
typedef int cmp_http_tls_fn(void *arg, void *ssl_ctx);

/*
 * HTTP options, as openssl-cmp(1) names them. Everything is borrowed during
 * cmp_transfer_http_new() only: strings are copied and the libcrypto
 * objects get their own references.
 */
struct cmp_http_opts {
    /* -server [http[s]://][userinfo@]host[:port][/path][?query][#fragment] */
    const char *server;
    /* -path: overrides the path of -server (default "/") */
    const char *path;
    /* -proxy; NULL: http_proxy / HTTP_PROXY (https_proxy / HTTPS_PROXY with TLS) */
    const char *proxy;
    /* -no_proxy; NULL: no_proxy / NO_PROXY */
    const char *no_proxy;
    /* -keep_alive: 0 close after each response, 1 prefer (the default in
     * openssl cmp, set by cmp_http_opts_init()), 2 require persistent
     * connections */
    int keep_alive;

    /* -tls_used, and the TLS settings that take effect with it */
    int tls_used;
    X509 *tls_cert;             /* -tls_cert: client certificate; NULL: none */
    EVP_PKEY *tls_key;          /* -tls_key */
    STACK_OF(X509) * tls_extra; /* -tls_extra: chain certificates sent to the server */
    X509_STORE *tls_trusted;    /* -tls_trusted: verify the server (and its host
                                 * name); NULL: the server is not authenticated */
    const char *tls_host;       /* -tls_host: name or IP address to check; NULL:
                                 * the host of -server */
    cmp_http_tls_fn *tls_cb;    /* anything else (ciphers, versions...); may be NULL */
    void *tls_cb_arg;
};

/*
 * cmp_http_opts_init() sets |opts| to openssl cmp's defaults: keep_alive 1,
 * no TLS, the proxy from the environment, the path from -server (every other
 * field 0 or NULL). Start from it: in a struct cleared with memset()
 * keep_alive is 0, which closes the connection after every message. The
 * time an exchange may take is not an option here: the client passes it to
 * each exchange (CMP_OPT_MSG_TIMEOUT in cmpkit/client.h).
 */
CMP_API void cmp_http_opts_init(struct cmp_http_opts *opts);

/*
 * cmp_transfer_http_new() checks |opts| (the URL syntax; "https" only with
 * -tls_used) and returns a new HTTP transfer, or NULL with |err| set. The
 * connection is made at the first exchange and kept for the next ones
 * (unless keep_alive is 0) until cmp_transfer_close(). With TLS or a proxy
 * it loads libcurl (libcurl.so.4) on first use and fails (CMP_E_UNSUPPORTED)
 * if that is not possible.
 */
CMP_API struct cmp_transfer *cmp_transfer_http_new(const struct cmp_http_opts *opts,
                                                   struct cmp_err *err) CMP_MUST_CHECK;

/* ---- files: -reqout, -rspin, -rspout ---- */

/*
 * Each field is a list of file names separated by commas and/or whitespace
 * (NULL: none). The n-th exchange of the transfer
 *   - writes the request to the n-th -reqout file,
 *   - reads the response from the n-th -rspin file if there is one, else
 *     asks |inner|, and fails if there is no inner transfer ("not enough
 *     -rspin files"),
 *   - writes the response to the n-th -rspout file.
 * Positions count from the first exchange after creation or the last
 * cmp_transfer_close() (one transaction). -reqin changes the requests
 * themselves (recipNonce, re-protection), so the client handles it
 * (cmp_ctx_set1_reqin() in cmpkit/client.h).
 */
struct cmp_file_opts {
    const char *reqout;
    const char *rspin;
    const char *rspout;
};

/* cmp_file_opts_init() sets every field of |opts| to NULL (no files). */
CMP_API void cmp_file_opts_init(struct cmp_file_opts *opts);

/*
 * cmp_transfer_files_new() returns the file transfer around |inner| (may
 * be NULL), which it takes over (freed with it, also on failure).
 */
CMP_API struct cmp_transfer *cmp_transfer_files_new(const struct cmp_file_opts *opts,
                                                    struct cmp_transfer *inner,
                                                    struct cmp_err *err) CMP_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
