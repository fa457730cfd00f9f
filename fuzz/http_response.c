/*
 * libFuzzer target: the client's processing of responses (lib/client with
 * lib/verify and lib/msg beneath it), through a transfer that answers each
 * request with the next DER element of the input.
 *
 * Input: one flags byte, then the responses, each one DER element (what is
 * left when an element does not parse is the last response).
 *   flags bit 0  -unprotected_errors
 *         bit 1  -implicit_confirm
 *         bit 2  -disable_confirm
 *         bits 3-5  the command: 0 ir (the seeds), 1 cr, 2 kur, 3 p10cr, 4 rr, 5 genm
 * The client uses PBM with the secret "fuzz-secret"; under CMP_FUZZ its
 * transactionID is 16 bytes 0x42 and its senderNonces depend only on the
 * position in the transaction, so the seeds (fuzz/corpus/http_response/,
 * made with the server engine) pass every check and reach certConf,
 * polling and pkiConf.
 *
 * Made once per process: the key, certificate and CSR, and one client
 * context per (flags & 7, command), 48 at most, made on first use with its
 * options, credentials, -oldcert or -csr (X509_REQ_dup() re-decodes the
 * key: a fifth of the time when it was done per input). An input only
 * points the context's transfer at itself and runs the command. A context
 * runs one transaction after another by design: cmp_exec() frees the
 * results of the last one and clears the error first (client.c exec_cmd ->
 * cmp_cli_clear_results()); the untrusted certificates a transaction
 * collects from extraCerts, its nonces, transactionID and request state
 * live in the transaction (struct cmp_cli_txn), not in the context, and
 * the transfer is closed at its end; the harness frees the results at the
 * end of each input. What a context keeps across inputs is what the
 * harness set and the SubjectPublicKeyInfo DER of its key (build.c's copy
 * of the last key encoded), derived only from that key. So an input sees
 * the same context as it would fresh, and a crash reproduces from the one
 * input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cmpkit/client.h"
#include "der/der.h"

static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6CXIeWG3DJJUVupg\n"
                              "QHiRCL/t8kHMG1E5Voff/EDsfjuhRANCAAQGv39pZr2P1w5krmWRIP01RhnN+nW+\n"
                              "/LS+mkQU9WQR26XMeNB8ZnBgb2wGG0dxie3cav/Uzq5n1cLvrlizM5+m\n"
                              "-----END PRIVATE KEY-----\n";
static const char cert_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBijCCAS+gAwIBAgIUa3t2sk411tFlHCHqKHSw1Zq/ZZ8wCgYIKoZIzj0EAwIw\n"
                               "GTEXMBUGA1UEAwwOY21wa2l0IGZ1enogRUUwIBcNMjYxMTI2MjEzODM2WhgPMjEy\n"
                               "NjExMDIyMTM4MzZaMBkxFzAVBgNVBAMMDmNtcGtpdCBmdXp6IEVFMFkwEwYHKoZI\n"
                               "zj0CAQYIKoZIzj0DAQcDQgAEBr9/aWa9j9cOZK5lkSD9NUYZzfp1vvy0vppEFPVk\n"
                               "EdulzHjQfGZwYG9sBhtHcYnt3Gr/1M6uZ9XC765YszOfpqNTMFEwHQYDVR0OBBYE\n"
                               "FOBbMhNY0PBGDTFsAb74/XsMXegzMB8GA1UdIwQYMBaAFOBbMhNY0PBGDTFsAb74\n"
                               "/XsMXegzMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhALeRDJ0D\n"
                               "agDO/y9vw5GUwTCwakrwVCm7BhCaXYpbYIXnAiEA9oGou23YMgUS7MYhur/7WkrR\n"
                               "a3Pprg6TJq9rE7EueHk=\n"
                               "-----END CERTIFICATE-----\n";

static EVP_PKEY *g_key;
static X509 *g_cert;
static X509_REQ *g_csr;
static X509_NAME *g_subject;

static void
init_once(void)
{
    BIO *b;
    struct cmp_err err;

    if (g_key != NULL) {
        return;
    }
    b = BIO_new_mem_buf(key_pem, -1);
    g_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    b = BIO_new_mem_buf(cert_pem, -1);
    g_cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    cmp_err_init(&err);
    g_subject = cmp_name_parse("/CN=cmpkit fuzz EE", &err);
    g_csr = X509_REQ_new();
    if (g_key == NULL || g_cert == NULL || g_subject == NULL || g_csr == NULL ||
        !X509_REQ_set_subject_name(g_csr, g_subject) || !X509_REQ_set_pubkey(g_csr, g_key) ||
        !X509_REQ_sign(g_csr, g_key, EVP_sha256())) {
        abort();
    }
}

struct feed {
    const uint8_t *p;
    size_t len;
};

static int
feed_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
              size_t *rsp_len, struct cmp_err *err)
{
    struct feed *f = ctx;
    struct der_in in = der_in_make(f->p, f->len);
    uint32_t tag;
    size_t hdr, body, n;

    (void)req;
    (void)req_len;
    (void)timeout_ms;
    if (f->len == 0) {
        return CMP_FAIL(err, CMP_E_IO, "no more responses");
    }
    n = der_parse_header(&in, &tag, &hdr, &body) ? hdr + body : f->len;
    *rsp = malloc(n);
    if (*rsp == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "response");
    }
    memcpy(*rsp, f->p, n);
    *rsp_len = n;
    f->p += n;
    f->len -= n;
    return 1;
}

#define NUM_CMDS 6

/* The context of (flags & 7, command) and the input its transfer reads. */
static struct cmp_ctx *g_ctx[8 * NUM_CMDS];
static struct feed g_feed;

static struct cmp_ctx *
client(int flags, int cmd)
{
    static const char secret[] = "fuzz-secret", ref[] = "fuzz-ref";
    struct cmp_ctx **slot = &g_ctx[(flags & 7) * NUM_CMDS + cmd];
    struct cmp_transfer *t;
    struct cmp_ctx *ctx;
    int ok;

    if (*slot != NULL) {
        return *slot;
    }
    ctx = cmp_ctx_new();
    t = calloc(1, sizeof(*t));
    if (ctx == NULL || t == NULL) {
        abort();
    }
    t->exchange = feed_exchange;
    t->ctx = &g_feed;
    cmp_ctx_set0_transfer(ctx, t);
    ok = cmp_ctx_set1_secret(ctx, (const uint8_t *)secret, strlen(secret)) &&
         cmp_ctx_set1_ref(ctx, (const uint8_t *)ref, strlen(ref)) &&
         cmp_ctx_set1_subject(ctx, g_subject) && cmp_ctx_set1_newkey(ctx, g_key) &&
         cmp_ctx_set_option(ctx, CMP_OPT_UNPROTECTED_ERRORS, flags & 1) &&
         cmp_ctx_set_option(ctx, CMP_OPT_IMPLICIT_CONFIRM, (flags >> 1) & 1) &&
         cmp_ctx_set_option(ctx, CMP_OPT_DISABLE_CONFIRM, (flags >> 2) & 1) &&
         cmp_ctx_set_option(ctx, CMP_OPT_PBM_ITERATIONS, 100);
    if (ok && (cmd == 2 || cmd == 4)) {
        ok = cmp_ctx_set1_oldcert(ctx, g_cert);
    } else if (ok && cmd == 3) {
        ok = cmp_ctx_set1_csr(ctx, g_csr);
    }
    if (!ok) {
        abort();
    }
    *slot = ctx;
    return ctx;
}

/* Frees the contexts at exit, so that LeakSanitizer sees only real leaks. */
static void
free_clients(void)
{
    size_t i;

    for (i = 0; i < sizeof(g_ctx) / sizeof(g_ctx[0]); i++) {
        cmp_ctx_free(g_ctx[i]);
        g_ctx[i] = NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct cmp_ctx *ctx;
    char buf[1024];
    int flags, cmd, ok;

    if (size < 1) {
        return 0;
    }
    if (!ready) {
        init_once();
        atexit(free_clients);
        ready = 1;
    }
    flags = data[0];
    cmd = (flags >> 3) % NUM_CMDS;
    ctx = client(flags, cmd);
    g_feed.p = data + 1;
    g_feed.len = size - 1;
    switch (cmd) {
    case 1:
        ok = cmp_exec_cr(ctx);
        break;
    case 2:
        ok = cmp_exec_kur(ctx);
        break;
    case 3:
        ok = cmp_exec_p10cr(ctx);
        break;
    case 4:
        ok = cmp_exec_rr(ctx);
        break;
    case 5:
        ok = cmp_exec_genm(ctx);
        break;
    case 0:
    default:
        ok = cmp_exec_ir(ctx);
        break;
    }
    /* The error is printable, and an enrollment that succeeded has its certificate. */
    cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf));
    cmp_ctx_status_text(ctx, buf, sizeof(buf));
    if (ok && cmd <= 3 && cmp_ctx_get0_newcert(ctx) == NULL) {
        abort();
    }
    g_feed.p = NULL;
    g_feed.len = 0;
    /*
     * Free the results now (an unknown command only does that): an input
     * that ends with more mallocs than frees is run a second time by
     * libFuzzer's leak check, a tenth of the time when they were left for
     * the next input's cmp_exec() to free.
     */
    if (cmp_exec(ctx, -1)) {
        abort();
    }
    ERR_clear_error();
    return 0;
}
