/*
 * libFuzzer target: the checks of a received message (lib/verify). Any
 * input that decodes goes through cmp_vfy_msg() twice, as a client with a
 * fixed secret and trust store and as a peer pinning a fixed -srvcert, and
 * a certificate of an accepted ip/cp/kup through cmp_vfy_new_cert(). It
 * must never crash or leak, and every failure must say why.
 *
 * The secret and the certificates are those of the seeds in
 * fuzz/corpus/verify/ (messages from one run of tests/vectors/gen_vectors.sh:
 * the vectors' fixed secret, their root and server certificates), so the
 * seeds reach the MAC, signature and path checks. Verification time is
 * fixed inside the certificates' validity, so runs are deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cmpkit/msg.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* gen_vectors.sh's PBM secret */
static const uint8_t secret[] = "cmpkit-pbm-secret";

/* pki/root.crt and pki/server.crt of the run that made the seeds */
static const char root_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBjzCCATWgAwIBAgICEAEwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTY21wa2l0\n"
                               "IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYyMDM2NDdaFw0zNjExMjMyMDM2NDdaMB4x\n"
                               "HDAaBgNVBAMME2NtcGtpdCBUZXN0IFJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjO\n"
                               "PQMBBwNCAARA/Wr0kTHH9fDYNfz8Be4OZ+hrLCGv8YTOCehce4EV70w870pVcUrw\n"
                               "MwxpCpHBuA3GYP7z0Gwy7sMHH4nMj4jXo2MwYTAPBgNVHRMBAf8EBTADAQH/MA4G\n"
                               "A1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUL6Cw9oHr3tLtkh+jxYaWZWpqcNQwHwYD\n"
                               "VR0jBBgwFoAUL6Cw9oHr3tLtkh+jxYaWZWpqcNQwCgYIKoZIzj0EAwIDSAAwRQIh\n"
                               "ANwfmg3ZyDILvDt5nWsJR7XgmcoIIc+7474f+zRSz4hdAiB5WJ5TfPN050CQlPMJ\n"
                               "zIM/KAjdx2T+6oVnrf3lQzWh4g==\n"
                               "-----END CERTIFICATE-----\n";
static const char server_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBlTCCATugAwIBAgICEAIwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTY21wa2l0\n"
    "IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYyMDM2NDdaFw0zNjExMjMyMDM2NDdaMCEx\n"
    "HzAdBgNVBAMMFmNtcGtpdCBUZXN0IENNUCBTZXJ2ZXIwWTATBgcqhkjOPQIBBggq\n"
    "hkjOPQMBBwNCAASSupQEJwzRJbc0uHejbKCZTWBr38KDPZMhHC6ZY813BJxUDhX4\n"
    "9gQtgMV+LkZ5UpJQ/A9/felU6Q9YU2FhZucNo2YwZDASBgNVHRMBAf8ECDAGAQH/\n"
    "AgEAMA4GA1UdDwEB/wQEAwIBhjAdBgNVHQ4EFgQUDipazrCHNn5hClpOyVyZEXPu\n"
    "vxYwHwYDVR0jBBgwFoAUL6Cw9oHr3tLtkh+jxYaWZWpqcNQwCgYIKoZIzj0EAwID\n"
    "SAAwRQIhAKTMxkX90mLaYlriDq8wIvpZglREJkmnfkGxDYPcoNTiAiAwobRAzU1e\n"
    "cRzZGRdMc/j32LNU8QrRaAjoKTeOb4VRHA==\n"
    "-----END CERTIFICATE-----\n";

/* notBefore of both certificates (2026-11-26 20:36:47 UTC) plus a day */
#define FUZZ_NOW (INT64_C(1795725407) + 86400)

static X509_STORE *trusted;
static STACK_OF(X509) *untrusted;
static X509 *server;
static X509_VERIFY_PARAM *vpm;

static X509 *
pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return x;
}

static void
init(void)
{
    X509 *root = pem_cert(root_pem);

    server = pem_cert(server_pem);
    trusted = X509_STORE_new();
    untrusted = sk_X509_new_null();
    vpm = X509_VERIFY_PARAM_new();
    if (root == NULL || server == NULL || trusted == NULL || untrusted == NULL || vpm == NULL ||
        !X509_STORE_add_cert(trusted, root) || !X509_up_ref(server) ||
        !sk_X509_push(untrusted, server)) {
        __builtin_trap();
    }
    X509_free(root);
    X509_VERIFY_PARAM_set_time(vpm, (time_t)FUZZ_NOW);
}

/* The server's transaction table: a transactionID starting with 0xFF is in use. */
static int
tid_in_use(void *arg, const struct der_in *tid)
{
    (void)arg;
    return tid->len > 0 && tid->p[0] == 0xFF;
}

static void
run(const struct cmp_vfy_opts *o, const struct cmp_msg *msg, int *out_ok)
{
    struct cmp_vfy_result res;
    struct cmp_err err;
    int ok;

    memset(&res, 0, sizeof(res));
    cmp_err_init(&err);
    ok = cmp_vfy_msg(o, msg, &res, &err);
    if (!ok && (err.code == CMP_E_NONE || res.signer != NULL)) {
        __builtin_trap(); /* a failure must say why and return nothing */
    }
    if (ok && res.protection == CMP_VFY_PROT_SIG && res.signer == NULL) {
        __builtin_trap();
    }
    if (ok && res.unprotected_accepted && (res.signer != NULL || res.warning[0] == '\0')) {
        __builtin_trap();
    }
    cmp_vfy_result_cleanup(&res);
    *out_ok = ok;
}

/* The certificate of an accepted single-response ip/cp/kup, against -out_trusted. */
static void
new_cert(const struct cmp_msg *msg)
{
    const struct cmp_cert_rep *rep = &msg->body.u.rep;
    const unsigned char *p;
    struct cmp_err err;
    X509 *cert;

    if ((msg->body.type != CMP_BODY_IP && msg->body.type != CMP_BODY_CP &&
         msg->body.type != CMP_BODY_KUP) ||
        rep->num != 1 || !rep->responses[0].has_ckp ||
        rep->responses[0].ckp.cert_type != CMP_CERT_PLAIN) {
        return;
    }
    p = rep->responses[0].ckp.cert.p;
    cert = d2i_X509(NULL, &p, (long)rep->responses[0].ckp.cert.len);
    if (cert == NULL) {
        ERR_clear_error();
        return;
    }
    cmp_err_init(&err);
    if (!cmp_vfy_new_cert(trusted, msg, cert, untrusted, vpm, &err) && err.code == CMP_E_NONE) {
        __builtin_trap();
    }
    X509_free(cert);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmp_msg *msg = NULL;
    struct cmp_vfy_opts o;
    struct cmp_err err;
    int ok;

    if (trusted == NULL) {
        init();
    }
    cmp_err_init(&err);
    if (!cmp_msg_decode(&msg, data, size, &err)) {
        return 0;
    }

    /* a client: -secret, -trusted, -untrusted, -unprotected_errors */
    memset(&o, 0, sizeof(o));
    o.secret = secret;
    o.secret_len = sizeof(secret) - 1;
    o.mac_limits.max_iterations = 1000; /* the seeds use 500 */
    o.trusted = trusted;
    o.untrusted = untrusted;
    o.vpm = vpm;
    o.unprotected_errors = 1;
    o.transaction_id = msg->hdr.transaction_id; /* reach the later checks */
    o.last_sender_nonce = msg->hdr.recip_nonce;
    o.check_time = 1;
    o.now = FUZZ_NOW;
    o.max_time_drift = 400 * 86400;
    run(&o, msg, &ok);
    if (ok) {
        new_cert(msg);
    }

    /* a peer pinning -srvcert, expecting a signature; a server's transaction table */
    memset(&o, 0, sizeof(o));
    o.srvcert = server;
    o.vpm = vpm;
    o.ignore_keyusage = 1;
    o.expect_protection = CMP_VFY_PROT_SIG;
    o.accept_unprot_err = 1;
    o.tid_in_use = tid_in_use;
    run(&o, msg, &ok);

    cmp_msg_free(msg);
    return 0;
}
