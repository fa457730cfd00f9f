/*
 * libFuzzer target: the server engine (cmp_srv_handle), no sockets. An input
 * is a short conversation: up to 8 requests, each one DER element after the
 * other (anything left over that is no element is sent as the last
 * request). If the first byte is not 0x30 (a SEQUENCE) it picks the mock
 * server options instead: bit 0 -accept_unprotected and -accept_unprot_err,
 * bit 1 -poll_count 2, bit 2 -send_unprot_err, bit 3 -grant_implicitconf,
 * bit 4 -accept_raverified, bit 5 -send_error, bit 6 -pkistatus 2.
 * Bit 7 puts the CA responder (cmpkit/ca.h) behind the engine instead of
 * the mock: a throwaway CA (the seeds' server certificate and key) with its
 * database in a private temporary directory (on /dev/shm when there is one,
 * so that its fsyncs cost nothing), made once per process and removed at
 * exit, holding gen_vectors.sh's reference and secret as an enrollment
 * secret, so that the seeds are issued certificates; bit 2 still sets
 * -send_unprot_err.
 *
 * The engine signs its answers only when the input's first request is
 * signature-protected (wants_signature()); otherwise it has no -srv_key
 * and answers with its MAC (the CA engine then gets the PBM secret as
 * -srv_secret). Made once per process: the certificates, key, trust store
 * and the CA.
 *
 * Each input gets a fresh engine, freed at the end with every transaction
 * the input left open (LeakSanitizer checks that); the table holds at most
 * 4, 2 of one sender, and the replay cache 16 nonces (small: an engine is
 * made per input). Every request must get a response that decodes, and so
 * must the unprotected refusal of it (cmp_srv_refuse()); what the engine
 * reports of it must agree with the answer.
 *
 * The server has the PBM secret of tests/vectors/gen_vectors.sh and the
 * certificates and key of the run that made the seeds in
 * fuzz/corpus/server_request/, so the seeds pass the MAC, signature, POPO
 * and path checks; CMP_FUZZ makes nonces deterministic, and verification
 * time is fixed inside the certificates' validity.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cmpkit/ca.h"
#include "cmpkit/msg.h"
#include "cmpkit/server.h"
#include "der/der.h"
#include "msg/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* gen_vectors.sh's PBM secret and reference */
static const uint8_t secret[] = "cmpkit-pbm-secret";
static const char ref[] = "cmpkit-ref";

/* pki/root.crt, server.crt, server.key and ee.crt of the run that made the seeds */
static const char root_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBjjCCATWgAwIBAgICEAEwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTY21wa2l0\n"
                               "IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYyMDU4MzlaFw0zNjExMjMyMDU4MzlaMB4x\n"
                               "HDAaBgNVBAMME2NtcGtpdCBUZXN0IFJvb3QgQ0EwWTATBgcqhkjOPQIBBggqhkjO\n"
                               "PQMBBwNCAARJs6CR6nl+daDuBt+cZxTXQfUVCUaM+mQA6k25FQILSZTQjXxX/7fJ\n"
                               "Hc2+IQX23I1KGMlz9CvNjDprmofPaXzYo2MwYTAPBgNVHRMBAf8EBTADAQH/MA4G\n"
                               "A1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQU6zMErnqPeQF2rtMOppNhiagCEV4wHwYD\n"
                               "VR0jBBgwFoAU6zMErnqPeQF2rtMOppNhiagCEV4wCgYIKoZIzj0EAwIDRwAwRAIg\n"
                               "EOryawv/K35gF4KsP4uNhUdUHgjxKAUSFoIiN7PaJVICIHQA+G3lUohFwCpd/TBY\n"
                               "u6Uj0EJTGF0Br3OsADIYyTn6\n"
                               "-----END CERTIFICATE-----\n";

static const char server_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBljCCATugAwIBAgICEAIwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTY21wa2l0\n"
    "IFRlc3QgUm9vdCBDQTAeFw0yNjExMjYyMDU4MzlaFw0zNjExMjMyMDU4MzlaMCEx\n"
    "HzAdBgNVBAMMFmNtcGtpdCBUZXN0IENNUCBTZXJ2ZXIwWTATBgcqhkjOPQIBBggq\n"
    "hkjOPQMBBwNCAAQs4VikBAyXvG5V8I4TF6URuLPYz10yGFYPKlrh2vuZVTYhCZyh\n"
    "p8cAm+YToA/QQxfl81RAp4gEzWbf2TVZo/wKo2YwZDASBgNVHRMBAf8ECDAGAQH/\n"
    "AgEAMA4GA1UdDwEB/wQEAwIBhjAdBgNVHQ4EFgQUssvJHSqZT4mEhBp+lELZQCRR\n"
    "DUQwHwYDVR0jBBgwFoAU6zMErnqPeQF2rtMOppNhiagCEV4wCgYIKoZIzj0EAwID\n"
    "SQAwRgIhAPwsyD1ktoD3C0iAzefBerLkAUpnRuszp1rqNVxxSienAiEAi/8vllz5\n"
    "uf0peepSrAJ4bZEb8Hg6IGC+mgQeJ5qJTq8=\n"
    "-----END CERTIFICATE-----\n";

static const char server_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgkwfjoSuHxlp0Em+g\n"
    "qC220ftY+2telE8uQhStcDaKJfahRANCAAQs4VikBAyXvG5V8I4TF6URuLPYz10y\n"
    "GFYPKlrh2vuZVTYhCZyhp8cAm+YToA/QQxfl81RAp4gEzWbf2TVZo/wK\n"
    "-----END PRIVATE KEY-----\n";

static const char ee_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBijCCATCgAwIBAgICEAQwCgYIKoZIzj0EAwIwITEfMB0GA1UEAwwWY21wa2l0\n"
                             "IFRlc3QgQ01QIFNlcnZlcjAeFw0yNjExMjYyMDU4MzlaFw0zNjExMjMyMDU4Mzla\n"
                             "MBkxFzAVBgNVBAMMDmNtcGtpdCBUZXN0IEVFMFkwEwYHKoZIzj0CAQYIKoZIzj0D\n"
                             "AQcDQgAEZ9lThHD8S7HedBVNLxC5GsHDEoJn3p0fz1iBuYWfMUDId/9/K62OInOc\n"
                             "DaOwH7QildPr4rRPpu6fdyaftmgKWaNgMF4wDAYDVR0TAQH/BAIwADAOBgNVHQ8B\n"
                             "Af8EBAMCB4AwHQYDVR0OBBYEFKWrE4DxR/La3ltVJvH2irZSk0bBMB8GA1UdIwQY\n"
                             "MBaAFLLLyR0qmU+JhIQafpRC2UAkUQ1EMAoGCCqGSM49BAMCA0gAMEUCIGJ674QQ\n"
                             "5s/ROR8eTBER1PkmPwSd3JZ1qppxqaexu20GAiEAyBD2AKD6EWWb+h9DDeMa0OQ9\n"
                             "GXVo0vqSWKKs83/fjF0=\n"
                             "-----END CERTIFICATE-----\n";

/* notBefore of the certificates (2026-11-26 20:58:39 UTC) plus a day */
#define FUZZ_NOW (INT64_C(1795726719) + 86400)

#define MAX_REQUESTS 8

static X509 *root, *server, *ee;
static EVP_PKEY *server_key;
static X509_STORE *trusted;
static STACK_OF(X509) * extra, *capubs;
static X509_VERIFY_PARAM *vpm;
static struct cmp_ca_service *ca;
static char ca_dir[256];

/* Removes the CA's temporary directory at exit (its files, then itself). */
static void
remove_ca_dir(void)
{
    DIR *d;
    struct dirent *e;
    char path[512];

    cmp_ca_service_free(ca);
    ca = NULL;
    d = opendir(ca_dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", ca_dir, e->d_name);
            (void)unlink(path);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    (void)rmdir(ca_dir);
}

/* The throwaway CA, made on first use. */
static struct cmp_ca_service *
ca_service(void)
{
    struct cmp_ca_service_config cfg;
    struct cmp_ca_admin_args a;
    struct cmp_err err;
    char db[300];
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    FILE *null;

    if (ca != NULL) {
        return ca;
    }
    snprintf(ca_dir, sizeof(ca_dir), "%s/cmpkit-fuzz-ca-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    if (mkdtemp(ca_dir) == NULL) {
        __builtin_trap();
    }
    atexit(remove_ca_dir);
    snprintf(db, sizeof(db), "%s/ca.db", ca_dir);
    cmp_ca_service_config_init(&cfg);
    cfg.cert = server;
    cfg.key = server_key;
    cfg.db = db;
    cmp_err_init(&err);
    ca = cmp_ca_service_new(&cfg, &err);
    memset(&a, 0, sizeof(a));
    a.ref = ref;
    a.secret = (const char *)secret;
    null = fopen("/dev/null", "w");
    if (ca == NULL || null == NULL ||
        !cmp_ca_service_admin(ca, "secret-add", &a, (int64_t)time(NULL), null, &err)) {
        __builtin_trap();
    }
    fclose(null);
    return ca;
}

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
    BIO *b = BIO_new_mem_buf(server_key_pem, -1);

    server_key = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    root = pem_cert(root_pem);
    server = pem_cert(server_pem);
    ee = pem_cert(ee_pem);
    trusted = X509_STORE_new();
    extra = sk_X509_new_null();
    capubs = sk_X509_new_null();
    vpm = X509_VERIFY_PARAM_new();
    if (server_key == NULL || root == NULL || server == NULL || ee == NULL || trusted == NULL ||
        extra == NULL || capubs == NULL || vpm == NULL || !X509_STORE_add_cert(trusted, root) ||
        !sk_X509_push(extra, server) || !sk_X509_push(capubs, root)) {
        __builtin_trap();
    }
    X509_VERIFY_PARAM_set_time(vpm, (time_t)FUZZ_NOW);
}

/*
 * Whether the mock engine gets its signing key: when the first request
 * carries a protectionAlg that is no MAC, read as the engine reads a header
 * (also from a message cut short: cmp_header_salvage()). Without the
 * key the engine answers everything with its MAC, as a server with only
 * -srv_secret does: a signature per answer to garbage, the answer to most
 * mutated inputs, was a third of the time, and signing the error answer of
 * the thousandth broken request covers nothing the first did not. The seeds
 * signed by ee.crt still get signed answers; those with a MAC got MAC
 * answers before too.
 */
static int
wants_signature(const uint8_t *p, size_t len)
{
    struct cmp_header h;
    int sig = cmp_header_salvage(p, len, &h) && h.has_protection_alg &&
              !cmp_oid_is(&h.protection_alg.oid, CMP_NID_PASSWORD_BASED_MAC) &&
              !cmp_oid_is(&h.protection_alg.oid, CMP_NID_PBMAC1);

    cmp_header_cleanup(&h);
    return sig;
}

static struct cmp_srv *
engine(unsigned flags, int sign)
{
    struct cmp_srv_config c;
    struct cmp_srv_responder rs;
    struct cmp_err err;
    struct cmp_srv *srv;

    cmp_srv_config_init(&c);
    cmp_err_init(&err);
    if ((flags & 128) != 0) {
        if (!cmp_ca_service_responder(ca_service(), &rs, &err)) {
            __builtin_trap();
        }
        c.cert = server;
        if (sign) {
            c.key = server_key;
        } else {
            /* -srv_cert with -srv_secret and no -srv_key: MAC answers, as for the mock */
            c.ref = ref;
            c.secret = secret;
            c.secret_len = sizeof(secret) - 1;
        }
        c.trusted = trusted;
        c.vpm = vpm;
        c.responder = &rs;
        c.send_unprot_err = (flags & 4) != 0;
        c.max_transactions = 4;
        c.max_transactions_per_sender = 2;
        c.replay_cache_size = 16;
        c.message_time_window_s = INT64_C(200) * 366 * 86400;
        c.max_iterations = 10000;
        srv = cmp_srv_new(&c, &err);
        if (srv == NULL) {
            __builtin_trap();
        }
        return srv;
    }
    c.ref = ref;
    c.secret = secret;
    c.secret_len = sizeof(secret) - 1;
    c.cert = server;
    c.key = sign ? server_key : NULL;
    c.trusted = trusted;
    c.vpm = vpm;
    c.rsp_cert = ee;
    c.rsp_extracerts = extra;
    c.rsp_capubs = capubs;
    c.accept_unprotected = c.accept_unprot_err = (flags & 1) != 0;
    c.poll_count = (flags & 2) != 0 ? 2 : 0;
    c.send_unprot_err = (flags & 4) != 0;
    c.grant_implicitconf = (flags & 8) != 0;
    c.accept_raverified = (flags & 16) != 0;
    c.send_error = (flags & 32) != 0;
    c.pkistatus = (flags & 64) != 0 ? 2 : 0;
    c.max_transactions = 4;
    c.max_transactions_per_sender = 2; /* reached by a conversation of 8 requests */
    c.replay_cache_size = 16;          /* an engine per input: no megabytes to clear */
    c.message_time_window_s = INT64_C(200) * 366 * 86400; /* the seeds' times, any clock */
    c.max_iterations = 10000; /* keep a PBM with a mutated count cheap */
    srv = cmp_srv_new(&c, &err);
    if (srv == NULL) {
        __builtin_trap();
    }
    return srv;
}

/* decoded() is the response |rsp| decoded (it must decode), and frees |rsp|. */
static struct cmp_msg *
decoded(uint8_t *rsp, size_t rsp_len)
{
    struct cmp_msg *m = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (rsp == NULL || rsp_len == 0 || !cmp_msg_decode(&m, rsp, rsp_len, &err)) {
        __builtin_trap();
    }
    free(rsp);
    return m;
}

static void
answer(struct cmp_srv *srv, const uint8_t *req, size_t len)
{
    uint8_t *rsp = NULL;
    size_t rsp_len = 0;
    struct cmp_srv_outcome out;
    struct cmp_msg *m;

    if (!cmp_srv_handle_ex(srv, req, len, &rsp, &rsp_len, &out)) {
        __builtin_trap(); /* every request gets an answer */
    }
    m = decoded(rsp, rsp_len);
    /* a failure the engine reports is an error message; one that did not authenticate, too */
    if ((out.failure_bit >= 0 || out.unauthenticated_failure) &&
        cmp_msg_body_type(m) != CMP_BODY_ERROR) {
        __builtin_trap();
    }
    cmp_msg_free(m);
    rsp = NULL;
    rsp_len = 0;
    if (!cmp_srv_refuse(srv, req, len, CMP_FI_SYSTEM_UNAVAIL, "refused", &rsp, &rsp_len)) {
        __builtin_trap();
    }
    m = decoded(rsp, rsp_len);
    if (cmp_msg_body_type(m) != CMP_BODY_ERROR) {
        __builtin_trap();
    }
    cmp_msg_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct cmp_srv *srv;
    unsigned flags = 0;
    int n;

    if (!ready) {
        init();
        ready = 1;
    }
    if (size > 0 && data[0] != 0x30) {
        flags = data[0];
        data++;
        size--;
    }
    srv = engine(flags, wants_signature(data, size));
    for (n = 0; n < MAX_REQUESTS && size > 0; n++) {
        struct der_in in = der_in_make(data, size), whole;
        size_t len = size;

        if (der_get_any(&in, NULL, NULL, &whole) && n + 1 < MAX_REQUESTS) {
            len = whole.len;
        }
        answer(srv, data, len);
        data += len;
        size -= len;
    }
    cmp_srv_free(srv);
    ERR_clear_error();
    return 0;
}
