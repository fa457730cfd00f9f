/*
 * Unit tests for lib/server: the engine configured like the mock servers of
 * tests/vectors/gen_vectors.sh answers the requests that `openssl cmp` sent
 * them (given fresh transactionIDs and nonces, protected again). Each
 * response is decoded and checked as a client would (lib/verify: recipNonce,
 * transactionID, protection with the secret or the server's certificate
 * chain) and its contents compared with what the OpenSSL 3.0 mock server
 * sends. Then the follow-ups the test builds itself (certConf with the
 * certHash of the returned certificate, pollReq), a table of bad requests
 * that must each get the right error message while the engine keeps
 * serving, the transaction table's bounds, and 4 threads x 200 transactions
 * through one engine.
 *
 * Usage: test_server GENERATED-VECTORS-DIR (exits 77 without it)
 * With TEST_SERVER_VERBOSE set, prints the engine's log.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "cmpkit/server.h"
#include "crypto/crypto.h"
#include "msg/msg.h"
#include "server/internal.h"
#include "verify/verify.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static const char *g_dir;
static uint8_t g_secret[256];
static size_t g_secret_len;
static char g_ref[64];
static X509 *g_root, *g_server, *g_client, *g_ee;
static EVP_PKEY *g_server_key, *g_client_key, *g_ee_key;
static X509_STORE *g_store_root;
static STACK_OF(X509) * g_extra, *g_capubs; /* server.crt; root.crt */
static uint8_t *g_server_name;
static size_t g_server_name_len;
static int g_verbose;

/* ---- loading ---- */

/* memmem() is a GNU extension; the tests build with _POSIX_C_SOURCE. */
static const uint8_t *
find_bytes(const void *hay, size_t hay_len, const void *needle, size_t needle_len)
{
    const uint8_t *h = hay;
    size_t i;

    for (i = 0; needle_len > 0 && i + needle_len <= hay_len; i++) {
        if (memcmp(h + i, needle, needle_len) == 0) {
            return h + i;
        }
    }
    return NULL;
}

static int
read_line(const char *name, uint8_t *buf, size_t cap, size_t *out_len)
{
    uint8_t *s;
    size_t len;

    if (!check_read_file(g_dir, name, &s, &len)) {
        return 0;
    }
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
        len--;
    }
    if (len >= cap) {
        free(s);
        return 0;
    }
    memcpy(buf, s, len);
    buf[len] = 0;
    *out_len = len;
    free(s);
    return 1;
}

static struct cmp_msg *
decode(const uint8_t *p, size_t len)
{
    struct cmp_msg *m = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!cmp_msg_decode(&m, p, len, &err)) {
        char buf[512];

        fprintf(stderr, "decode: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
        return NULL;
    }
    return m;
}

static struct cmp_msg *
load_msg(const char *name)
{
    uint8_t *buf;
    size_t len;
    struct cmp_msg *m;

    if (!check_read_file(g_dir, name, &buf, &len)) {
        return NULL;
    }
    m = decode(buf, len);
    free(buf);
    return m;
}

static int
name_der(const X509_NAME *name, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(name, &der);

    if (len <= 0) {
        return 0;
    }
    *out = der;
    *out_len = (size_t)len;
    return 1;
}

/* ---- the engine ---- */

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_log_lines, g_log_secret_seen;

static void
log_cb(void *arg, int level, const char *line)
{
    (void)arg;
    pthread_mutex_lock(&g_log_lock);
    g_log_lines++;
    if (find_bytes(line, strlen(line), g_secret, g_secret_len) != NULL) {
        g_log_secret_seen = 1;
    }
    if (g_verbose) {
        fprintf(stderr, "  log %d: %s\n", level, line);
    }
    pthread_mutex_unlock(&g_log_lock);
}

/* The configuration of gen_vectors.sh's mock servers, before their extra options. */
static void
base_config(struct cmp_srv_config *c)
{
    cmp_srv_config_init(c);
    c->ref = g_ref;
    c->secret = g_secret;
    c->secret_len = g_secret_len;
    c->cert = g_server;
    c->key = g_server_key;
    c->trusted = g_store_root;
    c->rsp_cert = g_ee;
    c->rsp_extracerts = g_extra;
    c->rsp_capubs = g_capubs;
    c->log = log_cb;
    c->verbosity = CMP_SRV_LOG_DEBUG;
}

static struct cmp_srv *
new_engine(const struct cmp_srv_config *c)
{
    struct cmp_err err;
    struct cmp_srv *srv;

    cmp_err_init(&err);
    srv = cmp_srv_new(c, &err);
    if (srv == NULL) {
        char buf[512];

        fprintf(stderr, "cmp_srv_new: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
    }
    return srv;
}

/* ---- requests: a vector with a fresh transactionID and nonce, protected again ---- */

enum prot {
    P_KEEP = 0,   /* as in the vector (it is then sent byte for byte) */
    P_PBM,        /* PBM with the vectors' secret */
    P_PBM_WRONG,  /* PBM with another secret */
    P_PBMAC1,     /* PBMAC1 with the vectors' secret */
    P_SIG_CLIENT, /* signed with pki/client.key */
    P_SIG_EE,     /* signed with pki/ee.key */
    P_SIG_WRONG,  /* signed with pki/server.key, which is not the sender's */
    P_NONE,       /* no protection */
    P_SIG_NOKID,  /* signed with pki/client.key, without senderKID */
    P_SIG_SERVER, /* signed with pki/server.key as the server (sender, senderKID, extraCerts) */
    P_PBM_NOKID   /* PBM with the vectors' secret, without senderKID */
};

static void
fresh(uint8_t *p, size_t n)
{
    if (RAND_bytes(p, (int)n) != 1) {
        fprintf(stderr, "RAND_bytes failed\n");
        exit(1);
    }
}

static uint8_t *
arena_bytes(struct cmp_msg *m, const void *p, size_t n)
{
    uint8_t *d = cmp_msg_dup(m, p, n);

    if (d == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return d;
}

static void
set_fresh_tid(struct cmp_msg *m)
{
    uint8_t b[16];

    fresh(b, sizeof(b));
    m->hdr.has_transaction_id = 1;
    m->hdr.transaction_id = der_in_make(arena_bytes(m, b, sizeof(b)), sizeof(b));
}

static void
set_fresh_nonce(struct cmp_msg *m)
{
    uint8_t b[16];

    fresh(b, sizeof(b));
    m->hdr.has_sender_nonce = 1;
    m->hdr.sender_nonce = der_in_make(arena_bytes(m, b, sizeof(b)), sizeof(b));
}

/* senderKID: the SKID of the protection certificate, as openssl sets it (RFC 9483 3.1). */
static void
set_skid(struct cmp_msg *m, X509 *cert)
{
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

    if (skid != NULL && ASN1_STRING_length(skid) > 0) {
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = der_in_make(
            arena_bytes(m, ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid)),
            (size_t)ASN1_STRING_length(skid));
    }
}

static int
protect_as(struct cmp_msg *m, int how)
{
    static const uint8_t wrong[] = "not-the-secret";
    struct cmp_err err;
    int ok = 1;

    cmp_err_init(&err);
    if (how == P_KEEP) {
        return 1;
    }
    m->hdr.has_protection_alg = 0;
    m->has_protection = 0;
    m->hdr.has_sender_kid = 0;
    switch (how) {
    case P_PBM:
    case P_PBM_WRONG:
    case P_PBMAC1:
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = der_in_make((const uint8_t *)g_ref, strlen(g_ref));
        if (how == P_PBMAC1) {
            ok = cmp_protect_pbmac1(m, NULL, g_secret, g_secret_len, &err);
        } else if (how == P_PBM) {
            ok = cmp_protect_pbm(m, NULL, g_secret, g_secret_len, &err);
        } else {
            ok = cmp_protect_pbm(m, NULL, wrong, sizeof(wrong) - 1, &err);
        }
        break;
    case P_SIG_CLIENT:
        set_skid(m, g_client);
        ok = cmp_protect_sig(m, g_client_key, NULL, 0, &err);
        break;
    case P_SIG_EE:
        set_skid(m, g_ee);
        ok = cmp_protect_sig(m, g_ee_key, NULL, 0, &err);
        break;
    case P_SIG_WRONG:
        set_skid(m, g_client);
        ok = cmp_protect_sig(m, g_server_key, NULL, 0, &err);
        break;
    case P_SIG_NOKID:
        ok = cmp_protect_sig(m, g_client_key, NULL, 0, &err);
        break;
    case P_SIG_SERVER: {
        uint8_t *buf = cmp_msg_alloc(m, g_server_name_len + 6);
        struct der_in name = der_in_make(g_server_name, g_server_name_len);

        set_skid(m, g_server);
        ok = buf != NULL &&
             cmp_gname_set_dirname(&m->hdr.sender, buf, g_server_name_len + 6, &name) &&
             cmp_set_extra_certs(m, g_server, NULL, NULL, &err) &&
             cmp_protect_sig(m, g_server_key, NULL, 0, &err);
        break;
    }
    case P_PBM_NOKID:
        ok = cmp_protect_pbm(m, NULL, g_secret, g_secret_len, &err);
        break;
    case P_NONE:
    default:
        break;
    }
    if (!ok) {
        fprintf(stderr, "protect: %s\n", err.msg);
    }
    return ok;
}

static int
encode(const struct cmp_msg *m, uint8_t **out, size_t *out_len)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (!cmp_msg_encode(m, out, out_len, &err)) {
        fprintf(stderr, "encode: %s\n", err.msg);
        return 0;
    }
    return 1;
}

/* messageTime now, as a client sends it (the vectors' own may be older than the window). */
static void
set_fresh_time(struct cmp_msg *m)
{
    m->hdr.has_message_time = 1;
    m->hdr.message_time = DER_IN_EMPTY;
    m->hdr.message_time_secs = (int64_t)time(NULL);
}

/* A request made from a vector; the caller may change it before send(). */
static struct cmp_msg *
request(const char *file)
{
    struct cmp_msg *m = load_msg(file);

    if (m != NULL) {
        set_fresh_tid(m);
        set_fresh_nonce(m);
        set_fresh_time(m);
    }
    return m;
}

/* What one request brought back: the bytes sent and the decoded response. */
struct exch {
    struct cmp_msg *req; /* as sent (decoded again from the bytes) */
    struct cmp_msg *rsp; /* NULL if the response did not decode */
};

static void
exch_free(struct exch *x)
{
    cmp_msg_free(x->req);
    cmp_msg_free(x->rsp);
    memset(x, 0, sizeof(*x));
}

static int
send_bytes(struct cmp_srv *srv, const uint8_t *p, size_t len, struct exch *x)
{
    uint8_t *rsp = NULL;
    size_t rsp_len = 0;

    if (!cmp_srv_handle(srv, p, len, &rsp, &rsp_len)) {
        fprintf(stderr, "cmp_srv_handle failed\n");
        return 0;
    }
    x->rsp = decode(rsp, rsp_len);
    free(rsp);
    return x->rsp != NULL;
}

/* Protects |m| as |how|, sends it, and frees it; |x| gets both messages. */
static int
send_msg(struct cmp_srv *srv, struct cmp_msg *m, int how, struct exch *x)
{
    uint8_t *der = NULL;
    size_t len = 0;
    int ok;

    memset(x, 0, sizeof(*x));
    ok = m != NULL && protect_as(m, how) && encode(m, &der, &len);
    cmp_msg_free(m);
    if (!ok) {
        return 0;
    }
    x->req = decode(der, len);
    ok = x->req != NULL && send_bytes(srv, der, len, x);
    free(der);
    return ok;
}

/* ---- checking a response as the client does ---- */

enum expect_prot { E_MAC = 1, E_SIG = 2, E_NONE = 3 };

static int
client_check(const struct cmp_msg *req, const struct cmp_msg *rsp, int prot, const char *name)
{
    struct cmp_vfy_opts o;
    struct cmp_vfy_result res;
    struct cmp_err err;
    int ok;

    memset(&o, 0, sizeof(o));
    memset(&res, 0, sizeof(res));
    cmp_err_init(&err);
    o.secret = g_secret;
    o.secret_len = g_secret_len;
    o.trusted = g_store_root;
    o.expect_sender = der_in_make(g_server_name, g_server_name_len);
    o.transaction_id = req->hdr.transaction_id;
    o.last_sender_nonce = req->hdr.sender_nonce;
    o.expect_protection = prot == E_SIG ? CMP_VFY_PROT_SIG : prot == E_MAC ? CMP_VFY_PROT_MAC : 0;
    o.unprotected_errors = prot == E_NONE;
    ok = cmp_vfy_msg(&o, rsp, &res, &err);
    if (!CHECK_CASE(name, ok)) {
        fprintf(stderr, "  client check of %s: %s\n", name, err.msg);
        return 0;
    }
    if (prot == E_SIG) {
        ok = CHECK_CASE(name, res.signer != NULL && X509_cmp(res.signer, g_server) == 0);
    } else if (prot == E_NONE) {
        ok = CHECK_CASE(name, !rsp->hdr.has_protection_alg && !rsp->has_protection);
    } else {
        ok = CHECK_CASE(name, res.protection == CMP_VFY_PROT_MAC);
    }
    cmp_vfy_result_cleanup(&res);
    return ok;
}

static int
error_bit(const struct cmp_msg *rsp)
{
    int i;

    if (rsp == NULL || rsp->body.type != CMP_BODY_ERROR ||
        !rsp->body.u.error.status.has_fail_info) {
        return -1;
    }
    for (i = 0; i <= CMP_FI_MAX; i++) {
        if ((rsp->body.u.error.status.fail_info >> i) & 1) {
            return i;
        }
    }
    return -1;
}

/* The statusString of an error message: short, ours, no file:line. */
static int
error_text_ok(const struct cmp_msg *rsp)
{
    const struct cmp_pkistatus *si = &rsp->body.u.error.status;
    const struct der_in *s;

    if (!si->has_status_string || si->status_string.num != 1) {
        return 0;
    }
    s = &si->status_string.strs[0];
    return s->len > 0 && s->len < 64 && find_bytes(s->p, s->len, ".c:", 3) == NULL &&
           find_bytes(s->p, s->len, "routines", 8) == NULL && !rsp->body.u.error.has_error_details;
}

static int
has_implicit_confirm(const struct cmp_msg *m)
{
    size_t i;

    for (i = 0; m->hdr.has_general_info && i < m->hdr.general_info.num; i++) {
        if (cmp_oid_is(&m->hdr.general_info.items[i].type, CMP_NID_IT_IMPLICIT_CONFIRM)) {
            return 1;
        }
    }
    return 0;
}

static X509 *
rsp_cert(const struct cmp_msg *rsp)
{
    const struct cmp_cert_response *cr;
    const unsigned char *p;

    if (rsp == NULL || rsp->body.u.rep.num != 1) {
        return NULL;
    }
    cr = &rsp->body.u.rep.responses[0];
    if (!cr->has_ckp || cr->ckp.cert_type != CMP_CERT_PLAIN) {
        return NULL;
    }
    p = cr->ckp.cert.p;
    return d2i_X509(NULL, &p, (long)cr->ckp.cert.len);
}

static int
is_certrep(int type)
{
    return type == CMP_BODY_IP || type == CMP_BODY_CP || type == CMP_BODY_KUP;
}

static int64_t
rsp_status(const struct cmp_msg *rsp)
{
    if (is_certrep(rsp->body.type) && rsp->body.u.rep.num == 1) {
        return rsp->body.u.rep.responses[0].status.status;
    }
    if (rsp->body.type == CMP_BODY_RP && rsp->body.u.rp.num_status == 1) {
        return rsp->body.u.rp.status[0].status;
    }
    return -1;
}

/* ---- follow-ups built by the test: certConf, pollReq, error ---- */

enum followup { F_CERTCONF, F_CERTCONF_WRONG_HASH, F_POLLREQ };

/*
 * A message of the client continuing |x|: sender, recipient and
 * transactionID of the request, recipNonce the response's senderNonce.
 */
static struct cmp_msg *
followup(const struct exch *x, int kind, int64_t cert_req_id)
{
    struct cmp_msg *m = cmp_msg_new();
    struct cmp_header *h;
    struct cmp_err err;

    if (m == NULL) {
        return NULL;
    }
    cmp_err_init(&err);
    h = &m->hdr;
    h->pvno = CMP_PVNO_2000;
    h->sender = x->req->hdr.sender;
    h->recipient = x->req->hdr.recipient;
    h->has_message_time = 1;
    h->message_time_secs = (int64_t)time(NULL);
    h->has_transaction_id = 1;
    h->transaction_id =
        der_in_make(arena_bytes(m, x->req->hdr.transaction_id.p, x->req->hdr.transaction_id.len),
                    x->req->hdr.transaction_id.len);
    set_fresh_nonce(m);
    if (x->rsp != NULL && x->rsp->hdr.has_sender_nonce) {
        h->has_recip_nonce = 1;
        h->recip_nonce =
            der_in_make(arena_bytes(m, x->rsp->hdr.sender_nonce.p, x->rsp->hdr.sender_nonce.len),
                        x->rsp->hdr.sender_nonce.len);
    }
    /* The borrowed names must outlive |x|: copy them too. */
    h->sender.whole =
        der_in_make(arena_bytes(m, h->sender.whole.p, h->sender.whole.len), h->sender.whole.len);
    h->sender.value = der_in_make(h->sender.whole.p + (h->sender.whole.len - h->sender.value.len),
                                  h->sender.value.len);
    h->recipient.whole = der_in_make(arena_bytes(m, h->recipient.whole.p, h->recipient.whole.len),
                                     h->recipient.whole.len);
    h->recipient.value =
        der_in_make(h->recipient.whole.p + (h->recipient.whole.len - h->recipient.value.len),
                    h->recipient.value.len);

    if (kind == F_POLLREQ) {
        m->body.type = CMP_BODY_POLLREQ;
        m->body.u.poll_req.cert_req_ids = calloc(1, sizeof(int64_t));
        if (m->body.u.poll_req.cert_req_ids == NULL) {
            cmp_msg_free(m);
            return NULL;
        }
        m->body.u.poll_req.cert_req_ids[0] = cert_req_id;
        m->body.u.poll_req.num = 1;
        return m;
    }
    m->body.type = CMP_BODY_CERTCONF;
    m->body.u.cert_conf.items = calloc(1, sizeof(struct cmp_certstatus));
    if (m->body.u.cert_conf.items == NULL) {
        cmp_msg_free(m);
        return NULL;
    }
    m->body.u.cert_conf.num = 1;
    {
        struct cmp_certstatus *cs = &m->body.u.cert_conf.items[0];
        uint8_t hash[EVP_MAX_MD_SIZE];
        size_t hash_len = 32;
        X509 *cert = rsp_cert(x->rsp);

        memset(hash, 0x5A, sizeof(hash));
        if (cert != NULL && !cmp_cert_hash(cert, NULL, hash, &hash_len, &err)) {
            fprintf(stderr, "cmp_cert_hash: %s\n", err.msg);
        }
        X509_free(cert);
        if (kind == F_CERTCONF_WRONG_HASH) {
            hash[0] ^= 1;
        }
        cs->cert_hash = der_in_make(arena_bytes(m, hash, hash_len), hash_len);
        cs->cert_req_id = cert_req_id;
        cs->has_status = 1;
        cs->status.status = CMP_STATUS_ACCEPTED;
    }
    return m;
}

/* certConf for |x| protected as |how|; expects pkiConf protected as |prot|. */
static void
confirm(struct cmp_srv *srv, const struct exch *x, int how, int prot, int64_t id, const char *name)
{
    struct exch c;

    if (!CHECK_CASE(name, send_msg(srv, followup(x, F_CERTCONF, id), how, &c))) {
        exch_free(&c);
        return;
    }
    if (CHECK_CASE(name, c.rsp->body.type == CMP_BODY_PKICONF)) {
        client_check(c.req, c.rsp, prot, name);
    } else {
        fprintf(stderr, "  %s: certConf answered with %s (bit %d)\n", name,
                cmp_body_type_name(c.rsp->body.type), error_bit(c.rsp));
    }
    exch_free(&c);
}

/* ---- 1. the flows of gen_vectors.sh's main server (-grant_implicitconf) ---- */

struct flow {
    const char *name, *req;
    int how; /* protection of the request and of the client's certConf */
    int rsp_type;
    int prot;     /* expected protection of the responses */
    int64_t id;   /* certReqId */
    int capubs;   /* ip: caPubs with root.crt */
    int confirm;  /* a certificate that needs certConf */
    int implicit; /* implicitConfirm granted */
};

static const struct flow flows[] = {
    {"ir PBM", "ir_pbm_1_ir.der", P_PBM, CMP_BODY_IP, E_MAC, 0, 1, 1, 0},
    {"ir PBMAC1", "ir_pbm_1_ir.der", P_PBMAC1, CMP_BODY_IP, E_MAC, 0, 1, 1, 0},
    {"ir signed", "ir_sig_1_ir.der", P_SIG_CLIENT, CMP_BODY_IP, E_SIG, 0, 1, 1, 0},
    {"cr PBM", "cr_pbm_1_cr.der", P_PBM, CMP_BODY_CP, E_MAC, 0, 0, 1, 0},
    {"cr signed", "cr_sig_1_cr.der", P_SIG_CLIENT, CMP_BODY_CP, E_SIG, 0, 0, 1, 0},
    {"kur signed", "kur_sig_1_kur.der", P_SIG_EE, CMP_BODY_KUP, E_SIG, 0, 0, 1, 0},
    {"p10cr PBM", "p10cr_pbm_1_p10cr.der", P_PBM, CMP_BODY_CP, E_MAC, -1, 0, 1, 0},
    {"ir implicit", "implicit_pbm_1_ir.der", P_PBM, CMP_BODY_IP, E_MAC, 0, 1, 0, 1},
    {"rr PBM", "rr_pbm_1_rr.der", P_PBM, CMP_BODY_RP, E_MAC, 0, 0, 0, 0},
    {"rr signed", "rr_sig_1_rr.der", P_SIG_CLIENT, CMP_BODY_RP, E_SIG, 0, 0, 0, 0},
    {"genm PBM", "genm_pbm_1_genm.der", P_PBM, CMP_BODY_GENP, E_MAC, 0, 0, 0, 0},
    {"genm signed", "genm_sig_1_genm.der", P_SIG_CLIENT, CMP_BODY_GENP, E_SIG, 0, 0, 0, 0},
    {"error PBM", "errreq_pbm_1_error.der", P_PBM, CMP_BODY_PKICONF, E_MAC, 0, 0, 0, 0},
};

/* What the OpenSSL 3.0 mock server puts into each kind of response. */
static void
check_contents(const struct flow *f, const struct exch *x, struct cmp_srv *srv)
{
    const struct cmp_msg *q = x->req, *r = x->rsp;
    const struct cmp_header *h = &r->hdr;

    CHECK_CASE(f->name, h->pvno == CMP_PVNO_2000);
    CHECK_CASE(f->name, h->has_message_time);
    CHECK_CASE(f->name, der_in_eq(&h->recipient.whole, &q->hdr.sender.whole));
    CHECK_CASE(f->name, h->has_sender_nonce && h->sender_nonce.len == 16);
    CHECK_CASE(f->name, h->has_sender_kid);
    if (f->prot == E_MAC) {
        CHECK_CASE(f->name, h->sender_kid.len == strlen(g_ref) &&
                                memcmp(h->sender_kid.p, g_ref, h->sender_kid.len) == 0);
    } else {
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(g_server);

        CHECK_CASE(f->name, skid != NULL && h->sender_kid.len == (size_t)ASN1_STRING_length(skid) &&
                                memcmp(h->sender_kid.p, ASN1_STRING_get0_data(skid),
                                       h->sender_kid.len) == 0);
    }
    CHECK_CASE(f->name, has_implicit_confirm(r) == f->implicit);
    if (is_certrep(f->rsp_type)) {
        const struct cmp_cert_rep *rep = &r->body.u.rep;
        X509 *cert = rsp_cert(r);

        CHECK_CASE(f->name, rep->num == 1 && rep->responses[0].cert_req_id == f->id);
        CHECK_CASE(f->name, rsp_status(r) == CMP_STATUS_ACCEPTED &&
                                !rep->responses[0].status.has_fail_info &&
                                !rep->responses[0].status.has_status_string);
        CHECK_CASE(f->name, cert != NULL && X509_cmp(cert, g_ee) == 0);
        X509_free(cert);
        CHECK_CASE(f->name, rep->has_ca_pubs == f->capubs);
        if (rep->has_ca_pubs) {
            CHECK_CASE(f->name, rep->ca_pubs.num == 1);
        }
        /* extraCerts: server.crt (-rsp_extracerts; for a signed one also the signer) */
        CHECK_CASE(f->name, r->has_extra_certs && r->extra_certs.num == 1);
    } else if (f->prot == E_SIG) {
        CHECK_CASE(f->name, r->has_extra_certs && r->extra_certs.num == 1);
    } else {
        CHECK_CASE(f->name, !r->has_extra_certs);
    }
    if (f->rsp_type == CMP_BODY_RP) {
        const struct cmp_rev_rep *rp = &r->body.u.rp;

        CHECK_CASE(f->name, rp->num_status == 1 && rsp_status(r) == CMP_STATUS_ACCEPTED);
        CHECK_CASE(f->name, rp->has_rev_certs && rp->num_rev_certs == 1 &&
                                rp->rev_certs[0].issuer.type == CMP_GN_DIRNAME);
    }
    if (f->rsp_type == CMP_BODY_GENP) {
        CHECK_CASE(f->name, r->body.u.itavs.num == q->body.u.itavs.num);
        if (q->body.u.itavs.num > 0) {
            CHECK_CASE(f->name,
                       der_in_eq(&r->body.u.itavs.items[0].type, &q->body.u.itavs.items[0].type));
        }
    }
    CHECK_CASE(f->name, cmp_srv_table_count(&srv->table) == (size_t)f->confirm);
}

static void
test_flows(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    size_t i;

    base_config(&c);
    c.grant_implicitconf = 1;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    for (i = 0; i < NROWS(flows); i++) {
        const struct flow *f = &flows[i];
        struct exch x;

        if (!CHECK_CASE(f->name, send_msg(srv, request(f->req), f->how, &x))) {
            exch_free(&x);
            continue;
        }
        if (!CHECK_CASE(f->name, x.rsp->body.type == f->rsp_type)) {
            fprintf(stderr, "  %s: got %s (bit %d)\n", f->name,
                    cmp_body_type_name(x.rsp->body.type), error_bit(x.rsp));
            exch_free(&x);
            continue;
        }
        client_check(x.req, x.rsp, f->prot, f->name);
        check_contents(f, &x, srv);
        if (f->confirm) {
            confirm(srv, &x, f->how, f->prot, f->id, f->name);
        }
        if (f->implicit) {
            /* granted: the transaction is over, a certConf now is out of place */
            struct exch y;

            if (CHECK_CASE(f->name, send_msg(srv, followup(&x, F_CERTCONF, f->id), f->how, &y))) {
                CHECK_CASE(f->name, error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
            }
            exch_free(&y);
        }
        CHECK_CASE(f->name, cmp_srv_table_count(&srv->table) == 0);
        exch_free(&x);
    }
    cmp_srv_free(srv);
}

/* The vectors' requests byte for byte: the transactions ended, so their IDs are free. */
static void
test_vectors_as_sent(void)
{
    static const char *const files[] = {"ir_pbm_1_ir.der",   "cr_sig_1_cr.der",
                                        "kur_sig_1_kur.der", "p10cr_pbm_1_p10cr.der",
                                        "rr_pbm_1_rr.der",   "genm_pbm_1_genm.der"};
    static const int types[] = {CMP_BODY_IP, CMP_BODY_CP, CMP_BODY_KUP,
                                CMP_BODY_CP, CMP_BODY_RP, CMP_BODY_GENP};
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    size_t i;

    base_config(&c);
    /* the vectors were made when the test run began; the window has its own test */
    c.message_time_window_s = 30 * 86400;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    for (i = 0; i < NROWS(files); i++) {
        struct exch x;

        if (CHECK_CASE(files[i], send_msg(srv, load_msg(files[i]), P_KEEP, &x))) {
            CHECK_CASE(files[i], x.rsp->body.type == types[i]);
            client_check(x.req, x.rsp,
                         x.req->hdr.has_protection_alg && cmp_msg_mac_protected(x.req) ? E_MAC
                                                                                       : E_SIG,
                         files[i]);
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);
}

/* ---- 2. polling (-poll_count, -check_after) ---- */

/*
 * certConf to the mock with -poll_count, which delays its answer as openssl
 * cmp 3.3+'s does: an error message 'waiting', pollRep to the first
 * |poll_count| - 1 pollReqs (certReqId -1, RFC 9810 5.3.22), then pkiConf.
 */
static void
confirm_delayed(struct cmp_srv *srv, const struct exch *x, int poll_count, int64_t id,
                const char *name)
{
    struct exch c, p;
    int k;

    if (!CHECK_CASE(name, send_msg(srv, followup(x, F_CERTCONF, id), P_PBM, &c))) {
        exch_free(&c);
        return;
    }
    client_check(c.req, c.rsp, E_MAC, name);
    CHECK_CASE(name, c.rsp->body.type == CMP_BODY_ERROR &&
                         c.rsp->body.u.error.status.status == CMP_STATUS_WAITING);
    for (k = 1; k <= poll_count; k++) {
        if (!CHECK_CASE(name, send_msg(srv, followup(&c, F_POLLREQ, -1), P_PBM, &p))) {
            exch_free(&p);
            break;
        }
        client_check(p.req, p.rsp, E_MAC, name);
        CHECK_CASE(name, p.rsp->body.type == (k < poll_count ? CMP_BODY_POLLREP : CMP_BODY_PKICONF));
        cmp_msg_free(c.rsp);
        c.rsp = p.rsp;
        p.rsp = NULL;
        exch_free(&p);
    }
    exch_free(&c);
}

static void
test_polling(void)
{
    static const struct {
        const char *name, *req;
        int poll_count, implicit;
    } rows[] = {
        {"poll 2", "ir_pbm_1_ir.der", 2, 0},
        {"poll 1, implicit", "implicit_pbm_1_ir.der", 1, 1},
        {"poll 3, p10cr", "p10cr_pbm_1_p10cr.der", 3, 0},
    };
    size_t i;
    int k;

    for (i = 0; i < NROWS(rows); i++) {
        const char *name = rows[i].name;
        int64_t id = strstr(rows[i].req, "p10cr") != NULL ? -1 : 0;
        struct cmp_srv_config c;
        struct cmp_srv *srv;
        struct exch x, p;
        int done = 0;

        base_config(&c);
        c.poll_count = rows[i].poll_count;
        c.check_after = 5;
        c.grant_implicitconf = 1;
        srv = new_engine(&c);
        if (!CHECK_CASE(name, srv != NULL)) {
            continue;
        }
        if (!CHECK_CASE(name, send_msg(srv, request(rows[i].req), P_PBM, &x)) ||
            !CHECK_CASE(name, is_certrep(x.rsp->body.type))) {
            exch_free(&x);
            cmp_srv_free(srv);
            continue;
        }
        /* 'waiting': no certificate, caPubs or extraCerts, no implicitConfirm */
        client_check(x.req, x.rsp, E_MAC, name);
        CHECK_CASE(name, rsp_status(x.rsp) == CMP_STATUS_WAITING);
        CHECK_CASE(name, !x.rsp->body.u.rep.responses[0].has_ckp);
        CHECK_CASE(name, !x.rsp->body.u.rep.has_ca_pubs && !x.rsp->has_extra_certs);
        CHECK_CASE(name, !has_implicit_confirm(x.rsp));
        for (k = 1; k <= rows[i].poll_count && !done; k++) {
            if (!CHECK_CASE(name, send_msg(srv, followup(&x, F_POLLREQ, id), P_PBM, &p))) {
                exch_free(&p);
                break;
            }
            client_check(p.req, p.rsp, E_MAC, name);
            /* the next message answers this response: x.rsp follows the latest */
            cmp_msg_free(x.rsp);
            x.rsp = p.rsp;
            p.rsp = NULL;
            exch_free(&p);
            if (k < rows[i].poll_count) {
                CHECK_CASE(name, x.rsp->body.type == CMP_BODY_POLLREP &&
                                     x.rsp->body.u.poll_rep.num == 1 &&
                                     x.rsp->body.u.poll_rep.items[0].check_after == 5 &&
                                     x.rsp->body.u.poll_rep.items[0].cert_req_id == id);
                continue;
            }
            {
                X509 *cert = rsp_cert(x.rsp);

                CHECK_CASE(name, is_certrep(x.rsp->body.type) &&
                                     rsp_status(x.rsp) == CMP_STATUS_ACCEPTED);
                CHECK_CASE(name, cert != NULL && X509_cmp(cert, g_ee) == 0);
                X509_free(cert);
            }
            CHECK_CASE(name, x.rsp->has_extra_certs);
            CHECK_CASE(name, has_implicit_confirm(x.rsp) == rows[i].implicit);
            if (!rows[i].implicit) {
                confirm_delayed(srv, &x, rows[i].poll_count, id, name);
            }
            done = 1;
        }
        CHECK_CASE(name, done);
        CHECK_CASE(name, cmp_srv_table_count(&srv->table) == 0);
        exch_free(&x);
        cmp_srv_free(srv);
    }
}

/* ---- 3. the negative options: -send_error, -pkistatus/-failure, unprotected ---- */

static void
test_send_error(void)
{
    static const char *const files[] = {"ir_pbm_1_ir.der", "rr_pbm_1_rr.der",
                                        "genm_pbm_1_genm.der"};
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x;
    size_t i;

    base_config(&c);
    c.send_error = 1;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    for (i = 0; i < NROWS(files); i++) {
        if (CHECK_CASE(files[i], send_msg(srv, request(files[i]), P_PBM, &x))) {
            CHECK_CASE(files[i], error_bit(x.rsp) == CMP_FI_BAD_REQUEST);
            CHECK_CASE(files[i], error_text_ok(x.rsp));
            CHECK_CASE(files[i], x.rsp->body.u.error.status.status == CMP_STATUS_REJECTION);
            client_check(x.req, x.rsp, E_MAC, files[i]);
        }
        exch_free(&x);
    }
    /* an error message from the client still gets pkiConf */
    if (CHECK(send_msg(srv, request("errreq_pbm_1_error.der"), P_PBM, &x))) {
        CHECK(x.rsp->body.type == CMP_BODY_PKICONF);
    }
    exch_free(&x);
    CHECK(cmp_srv_table_count(&srv->table) == 0);
    cmp_srv_free(srv);
}

static void
test_status_options(void)
{
    static const struct {
        const char *name;
        int pkistatus, failure;
        uint32_t failurebits;
        const char *text;
        uint64_t want_bits;
        int with_cert;
    } rows[] = {
        {"-pkistatus 2 -failure 2", 2, 2, 0, "rejected by cmpkit test", 1u << 2, 0},
        {"-failurebits overrides -failure", 2, 9, 3, NULL, 3, 0},
        {"accepted with failure bits", 0, -1, (1u << 5) | (1u << 26), "hello",
         (1u << 5) | (1u << 26), 1},
        {"-pkistatus 1", 1, -1, 0, NULL, 0, 1},
        {"-pkistatus 3 without polling", 3, -1, 0, NULL, 0, 0},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        const char *name = rows[i].name;
        struct cmp_srv_config c;
        struct cmp_srv *srv;
        struct exch x;

        base_config(&c);
        c.pkistatus = rows[i].pkistatus;
        c.failure = rows[i].failure;
        c.failurebits = rows[i].failurebits;
        c.statusstring = rows[i].text;
        srv = new_engine(&c);
        if (!CHECK_CASE(name, srv != NULL)) {
            continue;
        }
        /* ip: the status, the certificate unless rejection/waiting, caPubs always */
        if (CHECK_CASE(name, send_msg(srv, request("ir_pbm_1_ir.der"), P_PBM, &x)) &&
            CHECK_CASE(name, x.rsp->body.type == CMP_BODY_IP)) {
            const struct cmp_pkistatus *si = &x.rsp->body.u.rep.responses[0].status;

            client_check(x.req, x.rsp, E_MAC, name);
            CHECK_CASE(name, si->status == rows[i].pkistatus);
            CHECK_CASE(name, si->has_fail_info == (rows[i].want_bits != 0) &&
                                 si->fail_info == rows[i].want_bits);
            CHECK_CASE(name, si->has_status_string == (rows[i].text != NULL));
            if (rows[i].text != NULL && si->has_status_string) {
                CHECK_CASE(name, si->status_string.strs[0].len == strlen(rows[i].text));
            }
            CHECK_CASE(name, x.rsp->body.u.rep.responses[0].has_ckp == rows[i].with_cert);
            CHECK_CASE(name, x.rsp->body.u.rep.has_ca_pubs && x.rsp->has_extra_certs);
            /* a certificate awaits certConf; 'waiting' awaits pollReq */
            CHECK_CASE(name, cmp_srv_table_count(&srv->table) ==
                                 (size_t)(rows[i].with_cert || rows[i].pkistatus == 3));
            if (rows[i].with_cert) {
                confirm(srv, &x, P_PBM, E_MAC, 0, name);
            } else if (rows[i].pkistatus == 3) {
                struct exch y;

                /* -pkistatus 3 without -poll_count: nothing comes of polling (as openssl) */
                if (CHECK_CASE(name, send_msg(srv, followup(&x, F_POLLREQ, 0), P_PBM, &y))) {
                    CHECK_CASE(name, error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
                }
                exch_free(&y);
            }
        }
        exch_free(&x);
        /* rp: the same status */
        if (CHECK_CASE(name, send_msg(srv, request("rr_pbm_1_rr.der"), P_PBM, &x)) &&
            CHECK_CASE(name, x.rsp->body.type == CMP_BODY_RP)) {
            CHECK_CASE(name, rsp_status(x.rsp) == rows[i].pkistatus);
            CHECK_CASE(name, x.rsp->body.u.rp.status[0].fail_info == rows[i].want_bits);
        }
        exch_free(&x);
        /* -pkistatus 3 without -poll_count: nothing to poll for */
        CHECK_CASE(name, cmp_srv_table_count(&srv->table) == 0);
        cmp_srv_free(srv);
    }
}

static void
test_unprotected(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x;

    /* gen_vectors.sh's "unprot" server: unprotected ir accepted, rejection unprotected */
    base_config(&c);
    c.accept_unprotected = 1;
    c.send_unprot_err = 1;
    c.pkistatus = 2;
    c.failure = 9;
    c.statusstring = "unprotected rejection";
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (CHECK(send_msg(srv, request("unprot_1_ir.der"), P_NONE, &x)) &&
        CHECK(x.rsp->body.type == CMP_BODY_IP)) {
        client_check(x.req, x.rsp, E_NONE, "send_unprot_err ip");
        CHECK(rsp_status(x.rsp) == CMP_STATUS_REJECTION);
        CHECK(x.rsp->body.u.rep.responses[0].status.fail_info == (1u << 9));
        CHECK(x.rsp->has_extra_certs && x.rsp->body.u.rep.has_ca_pubs);
    }
    exch_free(&x);
    /* a positive response (genp) stays protected: signed, the request being unprotected */
    if (CHECK(send_msg(srv, request("genm_pbm_1_genm.der"), P_NONE, &x)) &&
        CHECK(x.rsp->body.type == CMP_BODY_GENP)) {
        client_check(x.req, x.rsp, E_SIG, "send_unprot_err genp");
    }
    exch_free(&x);
    /* a wrong MAC is accepted too (-accept_unprotected: missing or invalid) */
    if (CHECK(send_msg(srv, request("genm_pbm_1_genm.der"), P_PBM_WRONG, &x))) {
        CHECK(x.rsp->body.type == CMP_BODY_GENP);
    }
    exch_free(&x);
    cmp_srv_free(srv);

    /* -send_unprotected: nothing is protected; senderKID is still -srv_ref (as openssl) */
    base_config(&c);
    c.send_unprotected = 1;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (CHECK(send_msg(srv, request("genm_pbm_1_genm.der"), P_PBM, &x)) &&
        CHECK(x.rsp->body.type == CMP_BODY_GENP)) {
        CHECK(!x.rsp->hdr.has_protection_alg && !x.rsp->has_protection);
        CHECK(x.rsp->hdr.has_sender_kid && x.rsp->hdr.sender_kid.len == strlen(g_ref));
        CHECK(!x.rsp->has_extra_certs);
    }
    exch_free(&x);
    cmp_srv_free(srv);

    /* -accept_unprot_err: an unprotected error message is taken */
    base_config(&c);
    c.accept_unprot_err = 1;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (CHECK(send_msg(srv, request("errreq_pbm_1_error.der"), P_NONE, &x))) {
        CHECK(x.rsp->body.type == CMP_BODY_PKICONF);
        client_check(x.req, x.rsp, E_SIG, "accept_unprot_err");
    }
    exch_free(&x);
    if (CHECK(send_msg(srv, request("genm_pbm_1_genm.der"), P_NONE, &x))) {
        CHECK(error_bit(x.rsp) == CMP_FI_BAD_MESSAGE_CHECK);
    }
    exch_free(&x);
    cmp_srv_free(srv);
}

/* A server with a secret only: everything MAC-protected, sender the NULL-DN. */
static void
test_secret_only(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x;

    base_config(&c);
    c.cert = NULL;
    c.key = NULL;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (CHECK(send_msg(srv, request("genm_sig_1_genm.der"), P_SIG_CLIENT, &x)) &&
        CHECK(x.rsp->body.type == CMP_BODY_GENP)) {
        CHECK(cmp_msg_mac_protected(x.rsp));
        CHECK(x.rsp->hdr.sender.type == CMP_GN_DIRNAME &&
              cmp_vfy_name_is_null(&x.rsp->hdr.sender.value));
    }
    exch_free(&x);
    cmp_srv_free(srv);
}

/* ---- 4. bad requests: each gets the right error, the engine keeps serving ---- */

typedef void mutate_fn(struct cmp_msg *m);

static void
mut_pvno1(struct cmp_msg *m)
{
    m->hdr.pvno = 1;
}

static void
mut_no_nonce(struct cmp_msg *m)
{
    m->hdr.has_sender_nonce = 0;
}

static void
mut_no_tid(struct cmp_msg *m)
{
    m->hdr.has_transaction_id = 0;
}

static void
mut_long_tid(struct cmp_msg *m)
{
    uint8_t b[CMP_SRV_MAX_TID_LEN + 1];

    fresh(b, sizeof(b));
    m->hdr.transaction_id = der_in_make(arena_bytes(m, b, sizeof(b)), sizeof(b));
}

static void
mut_raverified(struct cmp_msg *m)
{
    m->body.u.req.items[0].popo.type = CMP_POPO_RAVERIFIED;
}

static void
mut_no_popo(struct cmp_msg *m)
{
    m->body.u.req.items[0].has_popo = 0;
}

static void
mut_req_id(struct cmp_msg *m)
{
    m->body.u.req.items[0].cert_req_id = 7;
}

/* |n| copies of the first CertReqMsg (no controls, no regInfo), certReqIds 0.. n-1 or all 0. */
static void
copy_reqs(struct cmp_msg *m, size_t n, int distinct)
{
    struct cmp_cert_req_msgs *reqs = &m->body.u.req;
    struct cmp_cert_req_msg *items = realloc(reqs->items, n * sizeof(*items));
    size_t i;

    if (items == NULL) {
        return;
    }
    for (i = 1; i < n; i++) {
        items[i] = items[0];
        items[i].cert_req_id = distinct ? (int64_t)i : 0;
        items[i].has_controls = 0;
        memset(&items[i].controls, 0, sizeof(items[i].controls));
        items[i].has_reg_info = 0;
        memset(&items[i].reg_info, 0, sizeof(items[i].reg_info));
    }
    reqs->items = items;
    reqs->num = n;
}

/* Sends ir_pbm_1_ir.der with |n| CertReqMsgs (certReqIds 0 .. n-1), PBM-protected again. */
static int
send_copies(struct cmp_srv *srv, size_t n, struct exch *x)
{
    struct cmp_msg *m = request("ir_pbm_1_ir.der");

    if (m != NULL) {
        copy_reqs(m, n, 1);
    }
    return send_msg(srv, m, P_PBM, x);
}

/* Is |r| the CertResponse for certReqId |id| with |status| and failure |bits|, a cert or not? */
static int
response_is(const struct cmp_cert_response *r, int64_t id, int64_t status, uint64_t bits,
            int has_cert)
{
    return r->cert_req_id == id && r->status.status == status && r->status.fail_info == bits &&
           r->has_ckp == has_cert;
}

/* certConf accepting the mock's -rsp_cert (ee.crt) as certReqId |id|, continuing |x|. */
static struct cmp_msg *
confirm_ee(const struct exch *x, int64_t id)
{
    struct cmp_msg *m = followup(x, F_CERTCONF, id);
    uint8_t hash[EVP_MAX_MD_SIZE];
    size_t hash_len = 0;
    struct cmp_err err;

    cmp_err_init(&err);
    if (m != NULL && cmp_cert_hash(g_ee, NULL, hash, &hash_len, &err)) {
        m->body.u.cert_conf.items[0].cert_hash = der_in_make(arena_bytes(m, hash, hash_len),
                                                             hash_len);
    }
    return m;
}

/*
 * RFC 9810 5.3.18: each certificate sent awaits its own CertStatus; a
 * certConf may settle some of them, the transaction waits for the rest.
 */
static void
test_confirm_one_by_one(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct cmp_msg *m = request("ir_pbm_1_ir.der");
    struct exch x, c1, c2;
    size_t i;

    memset(&c1, 0, sizeof(c1));
    memset(&c2, 0, sizeof(c2));
    base_config(&c);
    c.accept_raverified = 1;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL && m != NULL)) {
        cmp_msg_free(m);
        cmp_srv_free(srv);
        return;
    }
    /* two requests with raVerified (accepted here): both granted */
    copy_reqs(m, 2, 1);
    for (i = 0; i < m->body.u.req.num; i++) {
        m->body.u.req.items[i].popo.type = CMP_POPO_RAVERIFIED;
    }
    if (CHECK(send_msg(srv, m, P_PBM, &x)) &&
        CHECK(x.rsp->body.type == CMP_BODY_IP && x.rsp->body.u.rep.num == 2) &&
        CHECK(response_is(&x.rsp->body.u.rep.responses[0], 0, CMP_STATUS_ACCEPTED, 0, 1) &&
              response_is(&x.rsp->body.u.rep.responses[1], 1, CMP_STATUS_ACCEPTED, 0, 1))) {
        /* certReqId 1 first: pkiConf, certReqId 0 still awaits its CertStatus */
        if (CHECK(send_msg(srv, confirm_ee(&x, 1), P_PBM, &c1)) &&
            CHECK(c1.rsp->body.type == CMP_BODY_PKICONF)) {
            CHECK(cmp_srv_table_count(&srv->table) == 1);
            /* certReqId 1 again: it is settled (badCertId), which ends the transaction */
            if (CHECK(send_msg(srv, confirm_ee(&c1, 1), P_PBM, &c2))) {
                CHECK(error_bit(c2.rsp) == CMP_FI_BAD_CERT_ID);
            }
        }
    }
    exch_free(&x);
    exch_free(&c1);
    exch_free(&c2);
    CHECK(cmp_srv_table_count(&srv->table) == 0);

    /* the same, then certReqId 0: the transaction is over */
    m = request("ir_pbm_1_ir.der");
    memset(&c1, 0, sizeof(c1));
    memset(&c2, 0, sizeof(c2));
    if (m != NULL) {
        copy_reqs(m, 2, 1);
        for (i = 0; i < m->body.u.req.num; i++) {
            m->body.u.req.items[i].popo.type = CMP_POPO_RAVERIFIED;
        }
    }
    if (CHECK(send_msg(srv, m, P_PBM, &x)) &&
        CHECK(send_msg(srv, confirm_ee(&x, 1), P_PBM, &c1)) &&
        CHECK(c1.rsp->body.type == CMP_BODY_PKICONF) &&
        CHECK(send_msg(srv, confirm_ee(&c1, 0), P_PBM, &c2))) {
        CHECK(c2.rsp->body.type == CMP_BODY_PKICONF && cmp_srv_table_count(&srv->table) == 0);
    }
    exch_free(&x);
    exch_free(&c1);
    exch_free(&c2);
    cmp_srv_free(srv);
}

/* RFC 9810 5.3.4: each CertResponse names its request, so certReqIds differ. */
static void
mut_two_reqs(struct cmp_msg *m)
{
    copy_reqs(m, 2, 0);
}

/* Two CertReqMsgs with certReqIds 0 and 1 (RFC 9810 allows it, RFC 9483 4.1.1 does not). */
static void
mut_two_distinct_reqs(struct cmp_msg *m)
{
    copy_reqs(m, 2, 1);
}

/* One more CertReqMsg than the engine takes by default (-srv_max_cert_reqs). */
static void
mut_many_reqs(struct cmp_msg *m)
{
    copy_reqs(m, CMP_SRV_DEFAULT_MAX_CERT_REQS + 1, 1);
}

/* PBM parameters asking for 10^6 iterations: refused before any work. */
static void
mut_pbm_huge(struct cmp_msg *m)
{
    (void)m; /* applied after protection, see bad_rows */
}

/* rr for a certificate the server did not issue (another serial number) */
static void
mut_rr_serial(struct cmp_msg *m)
{
    static const uint8_t serial[] = {0x77};

    m->body.u.rr.items[0].cert_details.serial = der_in_make(serial, sizeof(serial));
}

/* Changes a kur's CertRequest and signs its POPO again with ee.key. */
static void
kur_resign(struct cmp_msg *m)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (!cmp_popo_sign(m, &m->body.u.req.items[0], g_ee_key, NULL, &err)) {
        fprintf(stderr, "cmp_popo_sign: %s\n", err.msg);
    }
}

/* kur whose oldCertID names another serial number */
static void
mut_kur_other_cert(struct cmp_msg *m)
{
    struct cmp_cert_req_msg *crm = &m->body.u.req.items[0];
    struct cmp_certid id = crm->controls.old_cert_id;
    static const uint8_t serial[] = {0x77};
    struct der_out w;
    uint8_t *der = NULL;
    size_t len = 0, i;

    id.serial = der_in_make(serial, sizeof(serial));
    der_out_init(&w, 4096);
    if (!cmp_certid_encode(&w, &id) || !der_out_finish(&w, &der, &len)) {
        der_out_cleanup(&w);
        return;
    }
    for (i = 0; i < crm->controls.items.num; i++) {
        if (cmp_oid_is(&crm->controls.items.items[i].type, CMP_NID_REG_CTRL_OLD_CERT_ID)) {
            crm->controls.items.items[i].value = der_in_make(arena_bytes(m, der, len), len);
        }
    }
    free(der);
    kur_resign(m);
}

/* kur without controls (so without oldCertID) */
static void
mut_kur_no_old_cert(struct cmp_msg *m)
{
    m->body.u.req.items[0].has_controls = 0;
    kur_resign(m);
}

struct bad {
    const char *name, *req;
    mutate_fn *mutate;
    int how;
    int want; /* failure bit of the error message; -1: a rejecting ip/cp (badPOP) */
    int prot; /* protection of the answer */
};

static const struct bad bad_rows[] = {
    {"pvno 1", "genm_pbm_1_genm.der", mut_pvno1, P_PBM, CMP_FI_UNSUPPORTED_VERSION, E_MAC},
    {"no senderNonce", "genm_pbm_1_genm.der", mut_no_nonce, P_PBM, CMP_FI_BAD_SENDER_NONCE, E_MAC},
    {"no transactionID", "genm_pbm_1_genm.der", mut_no_tid, P_PBM, CMP_FI_BAD_DATA_FORMAT, E_MAC},
    {"transactionID too long", "genm_pbm_1_genm.der", mut_long_tid, P_PBM, CMP_FI_BAD_REQUEST,
     E_MAC},
    {"wrong MAC", "ir_pbm_1_ir.der", NULL, P_PBM_WRONG, CMP_FI_BAD_MESSAGE_CHECK, E_MAC},
    {"wrong signature", "ir_sig_1_ir.der", NULL, P_SIG_WRONG, CMP_FI_BAD_MESSAGE_CHECK, E_SIG},
    {"unprotected", "unprot_1_ir.der", NULL, P_NONE, CMP_FI_BAD_MESSAGE_CHECK, E_SIG},
    {"POPO raVerified", "ir_pbm_1_ir.der", mut_raverified, P_PBM, CMP_FI_NOT_AUTHORIZED, E_MAC},
    {"POPO missing", "ir_pbm_1_ir.der", mut_no_popo, P_PBM, -1, E_MAC},
    {"certReqId 7", "ir_pbm_1_ir.der", mut_req_id, P_PBM, CMP_FI_BAD_REQUEST, E_MAC},
    {"duplicate certReqIds", "ir_pbm_1_ir.der", mut_two_reqs, P_PBM, CMP_FI_BAD_REQUEST, E_MAC},
    {"17 CertReqMsgs", "ir_pbm_1_ir.der", mut_many_reqs, P_PBM, CMP_FI_BAD_REQUEST, E_MAC},
    {"PBM iterations 10^6", "genm_pbm_1_genm.der", mut_pbm_huge, P_PBM, CMP_FI_BAD_ALG, E_MAC},
    {"ip as a request", "ir_pbm_2_ip.der", NULL, P_PBM, CMP_FI_BAD_REQUEST, E_MAC},
    {"rr for another certificate", "rr_sig_1_rr.der", mut_rr_serial, P_SIG_CLIENT, -2, E_SIG},
    {"kur for another certificate", "kur_sig_1_kur.der", mut_kur_other_cert, P_SIG_EE, -2, E_SIG},
    {"kur without oldCertID", "kur_sig_1_kur.der", mut_kur_no_old_cert, P_SIG_EE,
     CMP_FI_BAD_REQUEST, E_SIG},
};

/*
 * Sets the PBM iterationCount of a protected message's DER to 10^6
 * (INTEGER 01F4 becomes 0F4240): the MAC no longer matters, the server must
 * refuse the parameters before doing any work.
 */
static int
pbm_huge(uint8_t **der, size_t *len)
{
    static const uint8_t pat[] = {0x02, 0x02, 0x01, 0xF4};
    struct cmp_msg *m = decode(*der, *len);
    const struct der_in *w;
    uint8_t *alg, *q, *out;
    size_t n, off, out_len;
    struct cmp_err err;
    struct der_in in;
    int ok;

    if (m == NULL) {
        return 0;
    }
    w = &m->hdr.protection_alg.whole;
    n = w->len;
    alg = cmp_msg_alloc(m, n + 1);
    q = alg != NULL ? (uint8_t *)find_bytes(w->p, n, pat, sizeof(pat)) : NULL;
    /* AlgorithmIdentifier: 30 L 06 09 <PBM OID> 30 L' { ... INTEGER ... } */
    if (q == NULL || n < 16 || w->p[1] >= 0x7F || w->p[3] != 9 || w->p[14] >= 0x7F) {
        cmp_msg_free(m);
        return 0;
    }
    off = (size_t)(q - w->p);
    memcpy(alg, w->p, off);
    alg[off] = 0x02;
    alg[off + 1] = 0x03;
    alg[off + 2] = 0x0F;
    alg[off + 3] = 0x42;
    alg[off + 4] = 0x40;
    memcpy(alg + off + 5, w->p + off + 4, n - off - 4);
    alg[1]++;
    alg[14]++;
    in = der_in_make(alg, n + 1);
    cmp_err_init(&err);
    ok = cmp_algid_decode(&in, DER_SEQUENCE, &m->hdr.protection_alg, &err) &&
         encode(m, &out, &out_len);
    cmp_msg_free(m);
    if (!ok) {
        return 0;
    }
    free(*der);
    *der = out;
    *len = out_len;
    return 1;
}

/* After every bad request: the engine still answers a good one. */
static void
still_serving(struct cmp_srv *srv, const char *name)
{
    struct exch x;

    if (CHECK_CASE(name, send_msg(srv, request("genm_pbm_1_genm.der"), P_PBM, &x))) {
        CHECK_CASE(name, x.rsp->body.type == CMP_BODY_GENP);
    }
    exch_free(&x);
}

static void
test_bad_rows(struct cmp_srv *srv)
{
    size_t i;

    for (i = 0; i < NROWS(bad_rows); i++) {
        const struct bad *b = &bad_rows[i];
        struct cmp_msg *m = request(b->req);
        uint8_t *der = NULL;
        size_t len = 0;
        struct exch x;

        memset(&x, 0, sizeof(x));
        if (!CHECK_CASE(b->name, m != NULL)) {
            continue;
        }
        if (b->mutate != NULL) {
            b->mutate(m);
        }
        if (!CHECK_CASE(b->name, protect_as(m, b->how) && encode(m, &der, &len))) {
            cmp_msg_free(m);
            continue;
        }
        cmp_msg_free(m);
        if (b->mutate == mut_pbm_huge && !CHECK_CASE(b->name, pbm_huge(&der, &len))) {
            free(der);
            continue;
        }
        x.req = decode(der, len);
        if (CHECK_CASE(b->name, x.req != NULL && send_bytes(srv, der, len, &x))) {
            if (b->want >= 0) {
                if (!CHECK_CASE(b->name, error_bit(x.rsp) == b->want)) {
                    fprintf(stderr, "  %s: got %s, bit %d\n", b->name,
                            cmp_body_type_name(x.rsp->body.type), error_bit(x.rsp));
                }
                CHECK_CASE(b->name, error_text_ok(x.rsp));
            } else if (b->want == -1) {
                /* POPO: ip with rejection and badPOP, nothing else */
                CHECK_CASE(b->name, x.rsp->body.type == CMP_BODY_IP &&
                                        rsp_status(x.rsp) == CMP_STATUS_REJECTION &&
                                        x.rsp->body.u.rep.responses[0].status.fail_info ==
                                            (1u << CMP_FI_BAD_POP) &&
                                        !x.rsp->body.u.rep.responses[0].has_ckp &&
                                        !x.rsp->body.u.rep.has_ca_pubs && !x.rsp->has_extra_certs);
            } else {
                CHECK_CASE(b->name, error_bit(x.rsp) == CMP_FI_BAD_CERT_ID);
            }
            if (x.req->hdr.has_transaction_id && x.req->hdr.transaction_id.len <= 64 &&
                x.req->hdr.has_sender_nonce) {
                client_check(x.req, x.rsp, b->prot, b->name);
            }
        }
        free(der);
        exch_free(&x);
        CHECK_CASE(b->name, cmp_srv_table_count(&srv->table) == 0);
        still_serving(srv, b->name);
    }
}

/* Bytes that do not decode: an error with a fresh header and what could be salvaged. */
static void
test_undecodable(struct cmp_srv *srv)
{
    static const uint8_t garbage[] = "hello, CMP server";
    uint8_t *ir = NULL, *big;
    size_t ir_len = 0, big_len = (4u << 20) + 10;
    struct cmp_msg *q = NULL;
    struct exch x;

    memset(&x, 0, sizeof(x));
    /* garbage, empty: a fresh transactionID; signed (no MAC to answer in kind) */
    if (CHECK(send_bytes(srv, garbage, sizeof(garbage) - 1, &x))) {
        CHECK(error_bit(x.rsp) == CMP_FI_BAD_DATA_FORMAT && error_text_ok(x.rsp));
        CHECK(x.rsp->hdr.has_transaction_id && x.rsp->hdr.transaction_id.len == 16);
        CHECK(!x.rsp->hdr.has_recip_nonce);
        CHECK(x.rsp->hdr.has_protection_alg && !cmp_msg_mac_protected(x.rsp));
    }
    exch_free(&x);
    if (CHECK(send_bytes(srv, NULL, 0, &x))) {
        CHECK(error_bit(x.rsp) == CMP_FI_BAD_DATA_FORMAT);
    }
    exch_free(&x);
    big = malloc(big_len);
    if (CHECK(big != NULL)) {
        memset(big, 0x30, big_len);
        if (CHECK(send_bytes(srv, big, big_len, &x))) {
            CHECK(error_bit(x.rsp) == CMP_FI_BAD_DATA_FORMAT);
        }
        exch_free(&x);
        free(big);
    }
    /* truncated ir: transactionID and senderNonce salvaged, answered with PBM */
    q = request("ir_pbm_1_ir.der");
    if (CHECK(q != NULL && protect_as(q, P_PBM) && encode(q, &ir, &ir_len))) {
        size_t cut;

        cmp_msg_free(q);
        q = decode(ir, ir_len);
        for (cut = ir_len - 1; cut > ir_len / 2 && q != NULL; cut -= 37) {
            if (!CHECK(send_bytes(srv, ir, cut, &x))) {
                exch_free(&x);
                break;
            }
            CHECK(error_bit(x.rsp) == CMP_FI_BAD_DATA_FORMAT);
            CHECK(der_in_eq(&x.rsp->hdr.transaction_id, &q->hdr.transaction_id));
            CHECK(x.rsp->hdr.has_recip_nonce &&
                  der_in_eq(&x.rsp->hdr.recip_nonce, &q->hdr.sender_nonce));
            client_check(q, x.rsp, E_MAC, "truncated ir");
            exch_free(&x);
        }
        /* every prefix and a flipped byte at every position: always an answer */
        for (cut = 0; cut < ir_len; cut++) {
            uint8_t *rsp = NULL;
            size_t rsp_len = 0;

            if (!cmp_srv_handle(srv, ir, cut, &rsp, &rsp_len) || rsp == NULL) {
                CHECK(0);
                break;
            }
            free(rsp);
            ir[cut] ^= 0x55;
            if (!cmp_srv_handle(srv, ir, ir_len, &rsp, &rsp_len) || rsp == NULL) {
                CHECK(0);
                break;
            }
            ir[cut] ^= 0x55;
            free(rsp);
        }
        CHECK(cut == ir_len);
    }
    cmp_msg_free(q);
    free(ir);
    still_serving(srv, "after undecodable");
}

/* Out-of-sequence and unknown transactions. */
static void
test_sequence(struct cmp_srv *srv)
{
    struct exch x, y, z;

    memset(&x, 0, sizeof(x));
    memset(&y, 0, sizeof(y));
    memset(&z, 0, sizeof(z));
    /* certConf and pollReq for a transactionID nobody opened */
    if (CHECK(send_msg(srv, request("ir_pbm_1_ir.der"), P_PBM, &x))) {
        struct exch fake = {x.req, x.rsp};
        struct cmp_msg *m;

        m = followup(&fake, F_CERTCONF, 0);
        if (m != NULL) {
            set_fresh_tid(m);
        }
        if (CHECK(send_msg(srv, m, P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_REQUEST && error_text_ok(y.rsp));
            client_check(y.req, y.rsp, E_MAC, "certConf, unknown transaction");
        }
        exch_free(&y);
        m = followup(&fake, F_POLLREQ, 0);
        if (m != NULL) {
            set_fresh_tid(m);
        }
        if (CHECK(send_msg(srv, m, P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
        }
        exch_free(&y);

        /* a second ir with the transactionID in use: the first is not disturbed */
        m = load_msg("ir_pbm_1_ir.der");
        if (m != NULL) {
            m->hdr.transaction_id = der_in_make(
                arena_bytes(m, x.req->hdr.transaction_id.p, x.req->hdr.transaction_id.len),
                x.req->hdr.transaction_id.len);
            set_fresh_nonce(m);
            set_fresh_time(m);
        }
        if (CHECK(send_msg(srv, m, P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_TRANSACTION_ID_IN_USE);
            client_check(y.req, y.rsp, E_MAC, "transactionID in use");
        }
        exch_free(&y);

        /* certConf with a wrong recipNonce: refused, the transaction stays */
        m = followup(&x, F_CERTCONF, 0);
        if (m != NULL) {
            uint8_t b[16];

            fresh(b, sizeof(b));
            m->hdr.recip_nonce = der_in_make(arena_bytes(m, b, sizeof(b)), sizeof(b));
        }
        if (CHECK(send_msg(srv, m, P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_RECIPIENT_NONCE);
        }
        exch_free(&y);
        /* a certConf with a wrong MAC changes nothing either */
        if (CHECK(send_msg(srv, followup(&x, F_CERTCONF, 0), P_PBM_WRONG, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_MESSAGE_CHECK);
        }
        exch_free(&y);
        CHECK(cmp_srv_table_count(&srv->table) == 1);
        /* pollReq while a certConf is due: out of sequence, ends the transaction */
        if (CHECK(send_msg(srv, followup(&x, F_POLLREQ, 0), P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
        }
        exch_free(&y);
        CHECK(cmp_srv_table_count(&srv->table) == 0);
        if (CHECK(send_msg(srv, followup(&x, F_CERTCONF, 0), P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
        }
        exch_free(&y);
    }
    exch_free(&x);

    /* certConf with a wrong certHash: badCertId, the transaction ends */
    if (CHECK(send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x))) {
        if (CHECK(send_msg(srv, followup(&x, F_CERTCONF_WRONG_HASH, 0), P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_CERT_ID);
            client_check(y.req, y.rsp, E_MAC, "wrong certHash");
        }
        exch_free(&y);
        CHECK(cmp_srv_table_count(&srv->table) == 0);
    }
    exch_free(&x);

    /* certConf with the wrong certReqId */
    if (CHECK(send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x))) {
        if (CHECK(send_msg(srv, followup(&x, F_CERTCONF, 3), P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_CERT_ID);
        }
        exch_free(&y);
    }
    exch_free(&x);

    /* an error message from the client ends its transaction */
    if (CHECK(send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x))) {
        struct cmp_msg *m = load_msg("errreq_pbm_1_error.der");

        if (m != NULL) {
            m->hdr.transaction_id = der_in_make(
                arena_bytes(m, x.req->hdr.transaction_id.p, x.req->hdr.transaction_id.len),
                x.req->hdr.transaction_id.len);
            set_fresh_nonce(m);
            set_fresh_time(m);
            m->hdr.has_recip_nonce = 1;
            m->hdr.recip_nonce =
                der_in_make(arena_bytes(m, x.rsp->hdr.sender_nonce.p, x.rsp->hdr.sender_nonce.len),
                            x.rsp->hdr.sender_nonce.len);
        }
        CHECK(cmp_srv_table_count(&srv->table) == 1);
        if (CHECK(send_msg(srv, m, P_PBM, &y))) {
            CHECK(y.rsp->body.type == CMP_BODY_PKICONF);
        }
        exch_free(&y);
        CHECK(cmp_srv_table_count(&srv->table) == 0);
        if (CHECK(send_msg(srv, followup(&x, F_CERTCONF, 0), P_PBM, &z))) {
            CHECK(error_bit(z.rsp) == CMP_FI_BAD_REQUEST);
        }
        exch_free(&z);
    }
    exch_free(&x);
    still_serving(srv, "after sequence");
}

static void
test_bad_requests(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    test_bad_rows(srv);
    test_undecodable(srv);
    test_sequence(srv);
    cmp_srv_free(srv);

    /* -accept_raverified */
    base_config(&c);
    c.accept_raverified = 1;
    srv = new_engine(&c);
    if (CHECK(srv != NULL)) {
        struct cmp_msg *m = request("ir_pbm_1_ir.der");
        struct exch x;

        if (m != NULL) {
            mut_raverified(m);
        }
        if (CHECK(send_msg(srv, m, P_PBM, &x))) {
            CHECK(x.rsp->body.type == CMP_BODY_IP && rsp_status(x.rsp) == CMP_STATUS_ACCEPTED);
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);

    /*
     * Three CertReqMsgs (certReqIds 0, 1, 2): each gets its own CertResponse.
     * The copies' POPO signs the first's CertRequest: badPOP for those two
     * only; the first is granted (RFC 9810 5.3.4).
     */
    base_config(&c);
    srv = new_engine(&c);
    if (CHECK(srv != NULL)) {
        struct exch x;

        if (CHECK(send_copies(srv, 3, &x)) &&
            CHECK(x.rsp->body.type == CMP_BODY_IP && x.rsp->body.u.rep.num == 3)) {
            const struct cmp_cert_response *r = x.rsp->body.u.rep.responses;

            CHECK(response_is(&r[0], 0, CMP_STATUS_ACCEPTED, 0, 1));
            CHECK(response_is(&r[1], 1, CMP_STATUS_REJECTION, 1u << CMP_FI_BAD_POP, 0));
            CHECK(response_is(&r[2], 2, CMP_STATUS_REJECTION, 1u << CMP_FI_BAD_POP, 0));
            /* the one certificate sent awaits its certConf */
            CHECK(cmp_srv_table_count(&srv->table) == 1);
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);

    /* -srv_max_cert_reqs 2: three are refused, two pass; -srv_reject_subject by name */
    base_config(&c);
    c.max_cert_reqs = 2;
    c.reject_subject = X509_get_subject_name(g_ee);
    srv = new_engine(&c);
    if (CHECK(srv != NULL)) {
        struct exch x;

        if (CHECK(send_copies(srv, 3, &x))) {
            CHECK(error_bit(x.rsp) == CMP_FI_BAD_REQUEST);
        }
        exch_free(&x);
        if (CHECK(send_copies(srv, 2, &x)) &&
            CHECK(x.rsp->body.type == CMP_BODY_IP && x.rsp->body.u.rep.num == 2)) {
            const struct cmp_cert_response *r = x.rsp->body.u.rep.responses;

            /* the subject refused for #0; #1's POPO fails before its subject is looked at */
            CHECK(response_is(&r[0], 0, CMP_STATUS_REJECTION, 1u << CMP_FI_BAD_CERT_TEMPLATE, 0));
            CHECK(response_is(&r[1], 1, CMP_STATUS_REJECTION, 1u << CMP_FI_BAD_POP, 0));
            CHECK(cmp_srv_table_count(&srv->table) == 0);
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);

    /* a signer that chains to no trust anchor: no -srv_trusted */
    base_config(&c);
    c.trusted = NULL;
    srv = new_engine(&c);
    if (CHECK(srv != NULL)) {
        struct exch x;

        if (CHECK(send_msg(srv, request("genm_sig_1_genm.der"), P_SIG_CLIENT, &x))) {
            CHECK(error_bit(x.rsp) == CMP_FI_SIGNER_NOT_TRUSTED ||
                  error_bit(x.rsp) == CMP_FI_WRONG_INTEGRITY);
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);
}

/*
 * Intermediates learned from an authenticated request serve later ones (as
 * with openssl's mock server, which the suite's kur rows rely on): a kur
 * whose extraCerts hold only ee.crt verifies once server.crt was seen.
 */
static void
test_cert_cache(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x;
    int k;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    for (k = 0; k < 3; k++) {
        struct cmp_msg *m = request("kur_sig_1_kur.der");

        if (m != NULL && k != 1) {
            m->extra_certs.num = 1; /* ee.crt, not its issuer */
        }
        if (CHECK(send_msg(srv, m, P_SIG_EE, &x))) {
            CHECK(k == 0 ? error_bit(x.rsp) == CMP_FI_SIGNER_NOT_TRUSTED
                         : x.rsp->body.type == CMP_BODY_KUP);
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);
}

/* ---- 5. the transaction table: bounded, expiring, freed with the engine ---- */

static void
test_table(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x[6];
    size_t i;

    base_config(&c);
    c.max_transactions = 4;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    memset(x, 0, sizeof(x));
    for (i = 0; i < NROWS(x); i++) {
        CHECK(send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x[i]) &&
              x[i].rsp->body.type == CMP_BODY_CP);
        CHECK(cmp_srv_table_count(&srv->table) <= 4);
    }
    CHECK(cmp_srv_table_count(&srv->table) == 4);
    /* the two oldest were dropped */
    for (i = 0; i < NROWS(x); i++) {
        struct exch y;

        if (CHECK(x[i].rsp != NULL && send_msg(srv, followup(&x[i], F_CERTCONF, 0), P_PBM, &y))) {
            CHECK(i < 2 ? error_bit(y.rsp) == CMP_FI_BAD_REQUEST
                        : y.rsp->body.type == CMP_BODY_PKICONF);
        }
        exch_free(&y);
        exch_free(&x[i]);
    }
    CHECK(cmp_srv_table_count(&srv->table) == 0);
    /* left open: cmp_srv_free() frees them (ASan would tell) */
    for (i = 0; i < 3; i++) {
        struct exch y;

        CHECK(send_msg(srv, request("ir_sig_1_ir.der"), P_SIG_CLIENT, &y));
        exch_free(&y);
    }
    CHECK(cmp_srv_table_count(&srv->table) == 3);
    cmp_srv_free(srv);

    /* expiry: an idle transaction is gone after the timeout */
    base_config(&c);
    c.transaction_timeout_s = 1;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (CHECK(send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x[0]))) {
        struct exch y;

        sleep(3);
        if (CHECK(send_msg(srv, followup(&x[0], F_CERTCONF, 0), P_PBM, &y))) {
            CHECK(error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
        }
        exch_free(&y);
    }
    exch_free(&x[0]);
    CHECK(cmp_srv_table_count(&srv->table) == 0);
    cmp_srv_free(srv);
}

/* ---- 5b. per-sender shares of the table (-srv_max_txns_per_sender) ---- */

/* The sender id of PBM requests with the vectors' reference (struct cmp_srv_sender_id). */
static void
pbm_sender(struct cmp_srv_sender_id *id)
{
    memset(id, 0, sizeof(*id));
    id->kind = CMP_SRV_AUTH_MAC;
    id->len = strlen(g_ref);
    memcpy(id->id, g_ref, id->len);
}

/*
 * A holder of the PBM secret opens transactions and never confirms them:
 * with a share of 3 it loses its own oldest ones, and with the table full
 * (a share as large as the table) the sender holding the most pays; the
 * signature client's open transaction survives both and is confirmed.
 */
static void
test_senders(void)
{
    static const struct {
        const char *name;
        size_t max, per_sender, kept;
    } rows[] = {
        {"share of 3 in 8", 8, 3, 3},
        {"table of 4 full", 4, 4, 3},
    };
    struct cmp_srv_sender_id pbm;
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch sig, x[8], y;
    size_t r, i;

    pbm_sender(&pbm);
    for (r = 0; r < NROWS(rows); r++) {
        const char *name = rows[r].name;

        base_config(&c);
        c.max_transactions = rows[r].max;
        c.max_transactions_per_sender = rows[r].per_sender;
        srv = new_engine(&c);
        if (!CHECK_CASE(name, srv != NULL)) {
            return;
        }
        memset(x, 0, sizeof(x));
        CHECK_CASE(name, send_msg(srv, request("cr_sig_1_cr.der"), P_SIG_CLIENT, &sig) &&
                             sig.rsp->body.type == CMP_BODY_CP);
        for (i = 0; i < NROWS(x); i++) {
            CHECK_CASE(name, send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x[i]) &&
                                 x[i].rsp->body.type == CMP_BODY_CP);
            CHECK_CASE(name, cmp_srv_table_sender_count(&srv->table, &pbm) <= rows[r].kept);
        }
        CHECK_CASE(name, cmp_srv_table_sender_count(&srv->table, &pbm) == rows[r].kept);
        CHECK_CASE(name, cmp_srv_table_count(&srv->table) == rows[r].kept + 1);
        if (sig.rsp != NULL) {
            confirm(srv, &sig, P_SIG_CLIENT, E_SIG, 0, name);
        }
        /* of the PBM holder's, only the newest are left */
        for (i = 0; i < NROWS(x); i++) {
            if (CHECK_CASE(name, x[i].rsp != NULL &&
                                     send_msg(srv, followup(&x[i], F_CERTCONF, 0), P_PBM, &y))) {
                CHECK_CASE(name, i < NROWS(x) - rows[r].kept
                                     ? error_bit(y.rsp) == CMP_FI_BAD_REQUEST
                                     : y.rsp->body.type == CMP_BODY_PKICONF);
            }
            exch_free(&y);
            exch_free(&x[i]);
        }
        exch_free(&sig);
        CHECK_CASE(name, cmp_srv_table_count(&srv->table) == 0);
        cmp_srv_free(srv);
    }
}

/* ---- 5c. nothing of an open transaction before authentication ---- */

/* The statusString of an error message, or "" (a static buffer: one at a time). */
static const char *
error_text(const struct cmp_msg *rsp)
{
    static char buf[128];
    const struct cmp_pkistatus *si;

    buf[0] = '\0';
    if (rsp == NULL || rsp->body.type != CMP_BODY_ERROR) {
        return buf;
    }
    si = &rsp->body.u.error.status;
    if (si->has_status_string && si->status_string.num > 0 &&
        si->status_string.strs[0].len < sizeof(buf)) {
        memcpy(buf, si->status_string.strs[0].p, si->status_string.strs[0].len);
        buf[si->status_string.strs[0].len] = '\0';
    }
    return buf;
}

/* |m| with the transactionID of |x|'s request. */
static struct cmp_msg *
with_tid_of(struct cmp_msg *m, const struct exch *x)
{
    if (m != NULL) {
        m->hdr.has_transaction_id = 1;
        m->hdr.transaction_id = der_in_make(
            arena_bytes(m, x->req->hdr.transaction_id.p, x->req->hdr.transaction_id.len),
            x->req->hdr.transaction_id.len);
    }
    return m;
}

/* |m| with a recipNonce nobody sent. */
static struct cmp_msg *
with_stray_recip_nonce(struct cmp_msg *m)
{
    uint8_t b[16];

    if (m != NULL) {
        fresh(b, sizeof(b));
        m->hdr.has_recip_nonce = 1;
        m->hdr.recip_nonce = der_in_make(arena_bytes(m, b, sizeof(b)), sizeof(b));
    }
    return m;
}

/* ---- RFC 9483 sections 3 and 4: one request per rule, its failure bit ---- */

static void
mut_no_time(struct cmp_msg *m)
{
    m->hdr.has_message_time = 0;
}

static void
mut_time_ahead(struct cmp_msg *m)
{
    m->hdr.message_time_secs += 3600;
}

static void
mut_first_recip_nonce(struct cmp_msg *m)
{
    (void)with_stray_recip_nonce(m);
}

/* generalInfo of one entry: OID |nid| with the value TLV |v|. */
static void
set_general_info(struct cmp_msg *m, int nid, const uint8_t *v, size_t v_len)
{
    cmp_itavs_cleanup(&m->hdr.general_info);
    m->hdr.general_info.items = calloc(1, sizeof(*m->hdr.general_info.items));
    if (m->hdr.general_info.items == NULL) {
        return;
    }
    m->hdr.general_info.items[0].type = cmp_oid(nid);
    m->hdr.general_info.items[0].has_value = 1;
    m->hdr.general_info.items[0].value = der_in_make(arena_bytes(m, v, v_len), v_len);
    m->hdr.general_info.num = 1;
    m->hdr.has_general_info = 1;
}

static void
mut_implicit_int(struct cmp_msg *m)
{
    static const uint8_t v[] = {0x02, 0x01, 0x00}; /* INTEGER 0, not NULL */

    set_general_info(m, CMP_NID_IT_IMPLICIT_CONFIRM, v, sizeof(v));
}

static void
mut_wait_utctime(struct cmp_msg *m)
{
    static const uint8_t v[] = {0x17, 0x0D, '3', '0', '0', '1', '0', '1', '0', '0',
                                '0', '0', '0', '0', 'Z'}; /* UTCTime, not GeneralizedTime */

    set_general_info(m, CMP_NID_IT_CONFIRM_WAIT_TIME, v, sizeof(v));
}

static void
mut_wait_gentime(struct cmp_msg *m)
{
    static const uint8_t v[] = {0x18, 0x0F, '2', '0', '3', '0', '0', '1', '0', '1',
                                '0', '0', '0', '0', '0', '0', 'Z'};

    set_general_info(m, CMP_NID_IT_CONFIRM_WAIT_TIME, v, sizeof(v));
}

static void
mut_profile_two(struct cmp_msg *m)
{
    static const uint8_t v[] = {0x30, 0x06, 0x0C, 0x01, 'a', 0x0C, 0x01, 'b'};

    set_general_info(m, CMP_NID_IT_CERT_PROFILE, v, sizeof(v));
}

static void
mut_profile_one(struct cmp_msg *m)
{
    static const uint8_t v[] = {0x30, 0x03, 0x0C, 0x01, 'a'};

    set_general_info(m, CMP_NID_IT_CERT_PROFILE, v, sizeof(v));
}

static void
mut_sender_dns(struct cmp_msg *m)
{
    static const uint8_t gn[] = {0x82, 0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e'};

    m->hdr.sender.type = CMP_GN_DNS;
    m->hdr.sender.whole = der_in_make(gn, sizeof(gn));
    m->hdr.sender.value = der_in_make(gn + 2, sizeof(gn) - 2);
}

static void
mut_no_subject(struct cmp_msg *m)
{
    m->body.u.req.items[0].tmpl.has_subject = 0;
}

/*
 * An RSA SubjectPublicKeyInfo (contents, as in the template's [6]) with a
 * modulus of 12800 bits: generating such a key would take minutes, and the
 * server must refuse it by its size alone.
 */
static int
rsa_12800_spki(struct cmp_msg *m, struct der_in *out)
{
    static const uint8_t alg[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                  0x0D, 0x01, 0x01, 0x01, 0x05, 0x00};
    enum { MOD = 1600 }; /* 12800 bits */
    size_t rsa_len = 4 + 1 + MOD + 5, bits_len = 1 + 4 + rsa_len;
    size_t total = sizeof(alg) + 4 + bits_len;
    uint8_t *b = cmp_msg_alloc(m, total), *p;

    if (b == NULL) {
        return 0;
    }
    p = b;
    memcpy(p, alg, sizeof(alg));
    p += sizeof(alg);
    *p++ = 0x03; /* BIT STRING */
    *p++ = 0x82;
    *p++ = (uint8_t)(bits_len >> 8);
    *p++ = (uint8_t)bits_len;
    *p++ = 0x00;
    *p++ = 0x30; /* RSAPublicKey */
    *p++ = 0x82;
    *p++ = (uint8_t)(rsa_len >> 8);
    *p++ = (uint8_t)rsa_len;
    *p++ = 0x02; /* modulus: 00 then 1600 bytes, top bit set, odd */
    *p++ = 0x82;
    *p++ = (uint8_t)((MOD + 1) >> 8);
    *p++ = (uint8_t)(MOD + 1);
    *p++ = 0x00;
    fresh(p, MOD);
    p[0] |= 0x80;
    p[MOD - 1] |= 0x01;
    p += MOD;
    memcpy(p, "\x02\x03\x01\x00\x01", 5); /* publicExponent 65537 */
    *out = der_in_make(b, total);
    return 1;
}

static void
mut_rsa_12800(struct cmp_msg *m)
{
    struct der_in spki;

    if (rsa_12800_spki(m, &spki)) {
        m->body.u.req.items[0].tmpl.has_public_key = 1;
        m->body.u.req.items[0].tmpl.public_key = spki;
    }
}

/* An rsaEncryption SubjectPublicKeyInfo whose BIT STRING holds no RSAPublicKey. */
static void
mut_rsa_garbage(struct cmp_msg *m)
{
    static const uint8_t spki[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                   0x01, 0x01, 0x01, 0x05, 0x00, 0x03, 0x03, 0x00, 0x05, 0x00};

    m->body.u.req.items[0].tmpl.has_public_key = 1;
    m->body.u.req.items[0].tmpl.public_key = der_in_make(arena_bytes(m, spki, sizeof(spki)),
                                                         sizeof(spki));
}

/* extraCerts [server certificate, client certificate]: the signer (client) is not the first. */
static void
mut_extra_signer_second(struct cmp_msg *m)
{
    STACK_OF(X509) *extra = sk_X509_new_null();
    struct cmp_err err;

    cmp_err_init(&err);
    if (extra == NULL || sk_X509_push(extra, g_client) <= 0 ||
        !cmp_set_extra_certs(m, g_server, NULL, extra, &err)) {
        fprintf(stderr, "mut_extra_signer_second: cannot set the extraCerts\n");
    }
    sk_X509_free(extra);
}

/*
 * A p10cr whose CSR carries an RSA key of 12800 bits (the SPKI of
 * mut_rsa_12800 in a CertificationRequest; its signature is not looked at:
 * the size alone refuses it).
 */
static void
mut_p10cr_rsa_12800(struct cmp_msg *m)
{
    static const uint8_t sig_alg[] = {0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7,
                                      0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00};
    struct der_in spki;
    size_t info_len, csr_len;
    uint8_t *b, *p;

    if (!rsa_12800_spki(m, &spki)) {
        return;
    }
    /* info: 02 01 00 | 30 00 | 30 82 LL LL spki | a0 00 */
    info_len = 3 + 2 + 4 + spki.len + 2;
    csr_len = 4 + info_len + sizeof(sig_alg) + 3;
    b = cmp_msg_alloc(m, 4 + csr_len);
    if (b == NULL) {
        return;
    }
    p = b;
    *p++ = 0x30, *p++ = 0x82, *p++ = (uint8_t)(csr_len >> 8), *p++ = (uint8_t)csr_len;
    *p++ = 0x30, *p++ = 0x82, *p++ = (uint8_t)(info_len >> 8), *p++ = (uint8_t)info_len;
    memcpy(p, "\x02\x01\x00\x30\x00", 5);
    p += 5;
    *p++ = 0x30, *p++ = 0x82, *p++ = (uint8_t)(spki.len >> 8), *p++ = (uint8_t)spki.len;
    memcpy(p, spki.p, spki.len);
    p += spki.len;
    *p++ = 0xA0, *p++ = 0x00;
    memcpy(p, sig_alg, sizeof(sig_alg));
    p += sizeof(sig_alg);
    memcpy(p, "\x03\x01\x00", 3);
    m->body.u.p10cr = der_in_make(b, 4 + csr_len);
}

/* rr without crlEntryDetails (so without reasonCode) */
static void
mut_rr_no_reason(struct cmp_msg *m)
{
    m->body.u.rr.items[0].has_crl_entry_details = 0;
}

struct rule_row {
    const char *rule; /* the RFC section and what the request breaks */
    const char *req;
    mutate_fn *mutate;
    int how;
    int profile;      /* CMP_SRV_PROFILE_... */
    int require_time; /* -srv_require_msgtime */
    int want;         /* failure bit of the error message; -1: answered normally */
    int want_type;    /* the body type answered when want is -1 */
};

static const struct rule_row rule_rows[] = {
    {"3.1 messageTime absent (RECOMMENDED only): answered", "genm_pbm_1_genm.der", mut_no_time,
     P_PBM, CMP_SRV_PROFILE_LIGHTWEIGHT, 0, -1, CMP_BODY_GENP},
    {"3.1 messageTime absent, -srv_require_msgtime", "genm_pbm_1_genm.der", mut_no_time, P_PBM, 0,
     1, CMP_FI_MISSING_TIME_STAMP, 0},
    {"3.1/3.5 messageTime an hour ahead", "genm_pbm_1_genm.der", mut_time_ahead, P_PBM, 0, 0,
     CMP_FI_BAD_TIME, 0},
    {"3.1 signed without senderKID (certificate has an SKID)", "genm_sig_1_genm.der", NULL,
     P_SIG_NOKID, 0, 0, CMP_FI_BAD_MESSAGE_CHECK, 0},
    {"3.1 recipNonce in the first request", "ir_pbm_1_ir.der", mut_first_recip_nonce, P_PBM, 0, 0,
     CMP_FI_BAD_RECIPIENT_NONCE, 0},
    {"3.1 implicitConfirm not NULL", "ir_pbm_1_ir.der", mut_implicit_int, P_PBM, 0, 0,
     CMP_FI_BAD_DATA_FORMAT, 0},
    {"3.1 confirmWaitTime a UTCTime", "genm_pbm_1_genm.der", mut_wait_utctime, P_PBM, 0, 0,
     CMP_FI_BAD_DATA_FORMAT, 0},
    {"3.1 confirmWaitTime a GeneralizedTime: answered", "genm_pbm_1_genm.der", mut_wait_gentime,
     P_PBM, 0, 0, -1, CMP_BODY_GENP},
    {"3.1 certProfile of two strings", "genm_pbm_1_genm.der", mut_profile_two, P_PBM, 0, 0,
     CMP_FI_BAD_DATA_FORMAT, 0},
    {"3.1 certProfile of one string: answered", "genm_pbm_1_genm.der", mut_profile_one, P_PBM, 0,
     0, -1, CMP_BODY_GENP},
    {"3.1/3.2 sender a dNSName, MAC", "genm_pbm_1_genm.der", mut_sender_dns, P_PBM, 0, 0,
     CMP_FI_BAD_REQUEST, 0},
    {"3.1/3.2 sender a dNSName, signature", "genm_sig_1_genm.der", mut_sender_dns, P_SIG_CLIENT,
     0, 0, CMP_FI_BAD_MESSAGE_CHECK, 0},
    {"3.1/3.2 MAC without senderKID, rfc9810: answered", "genm_pbm_1_genm.der", NULL,
     P_PBM_NOKID, 0, 0, -1, CMP_BODY_GENP},
    {"3.1/3.2 MAC without senderKID, lightweight", "genm_pbm_1_genm.der", NULL, P_PBM_NOKID,
     CMP_SRV_PROFILE_LIGHTWEIGHT, 0, CMP_FI_BAD_MESSAGE_CHECK, 0},
    {"3.5 signed with the server's own certificate", "genm_sig_1_genm.der", NULL, P_SIG_SERVER, 0,
     0, CMP_FI_NOT_AUTHORIZED, 0},
    {"4.1.1 raVerified POPO from an end entity", "ir_sig_1_ir.der", mut_raverified, P_SIG_CLIENT,
     0, 0, CMP_FI_NOT_AUTHORIZED, 0},
    {"4.1.1 certTemplate without subject", "ir_pbm_1_ir.der", mut_no_subject, P_PBM, 0, 0,
     CMP_FI_BAD_CERT_TEMPLATE, 0},
    {"4.1.3 kur certTemplate without subject", "kur_sig_1_kur.der", mut_no_subject, P_SIG_EE, 0,
     0, CMP_FI_BAD_CERT_TEMPLATE, 0},
    {"4.1.1 RSA key of 12800 bits", "cr_pbm_1_cr.der", mut_rsa_12800, P_PBM, 0, 0,
     CMP_FI_BAD_CERT_TEMPLATE, 0},
    {"4.1.1 RSA key that does not parse", "cr_pbm_1_cr.der", mut_rsa_garbage, P_PBM, 0, 0,
     CMP_FI_BAD_CERT_TEMPLATE, 0},
    {"4.1.1 two CertReqMsgs, lightweight", "ir_pbm_1_ir.der", mut_two_distinct_reqs, P_PBM,
     CMP_SRV_PROFILE_LIGHTWEIGHT, 0, CMP_FI_BAD_REQUEST, 0},
    {"4.1.1 two CertReqMsgs, rfc9810: answered", "ir_pbm_1_ir.der", mut_two_distinct_reqs, P_PBM,
     0, 0, -1,
     CMP_BODY_IP},
    {"4.1.4 p10cr with an RSA key of 12800 bits", "p10cr_pbm_1_p10cr.der", mut_p10cr_rsa_12800,
     P_PBM, 0, 0, CMP_FI_BAD_CERT_TEMPLATE, 0},
    {"3.3 signer not the first extraCert, lightweight", "genm_sig_1_genm.der",
     mut_extra_signer_second, P_SIG_CLIENT, CMP_SRV_PROFILE_LIGHTWEIGHT, 0, CMP_FI_BAD_MESSAGE_CHECK,
     0},
    {"3.3 signer not the first extraCert, rfc9810: answered", "genm_sig_1_genm.der",
     mut_extra_signer_second, P_SIG_CLIENT, 0, 0, -1, CMP_BODY_GENP},
    {"4.2 rr without reasonCode, rfc9810: answered", "rr_pbm_1_rr.der", mut_rr_no_reason, P_PBM, 0,
     0, -1, CMP_BODY_RP},
    {"4.2 rr without reasonCode, lightweight", "rr_pbm_1_rr.der", mut_rr_no_reason, P_PBM,
     CMP_SRV_PROFILE_LIGHTWEIGHT, 0, CMP_FI_BAD_REQUEST, 0},
};

/*
 * Each rule of RFC 9483 sections 3 and 4 that a server checks: a request
 * that breaks it alone, and the failure bit of the error message (the
 * listener sends each in an HTTP 200 answer, as every CMP message;
 * tests/interop/server_rules.py checks some through it).
 * The rows marked "answered" show where the rule stops: what the profile
 * or the RFC still allows.
 */
static void
test_rfc9483_rules(void)
{
    size_t i;

    for (i = 0; i < NROWS(rule_rows); i++) {
        const struct rule_row *w = &rule_rows[i];
        struct cmp_srv_config c;
        struct cmp_srv *srv;
        struct cmp_msg *m;
        struct exch x;

        base_config(&c);
        c.profile = w->profile;
        c.require_message_time = w->require_time;
        srv = new_engine(&c);
        m = request(w->req);
        if (!CHECK_CASE(w->rule, srv != NULL && m != NULL)) {
            cmp_msg_free(m);
            cmp_srv_free(srv);
            continue;
        }
        if (w->mutate != NULL) {
            w->mutate(m);
        }
        if (CHECK_CASE(w->rule, send_msg(srv, m, w->how, &x))) {
            if (w->want >= 0) {
                if (!CHECK_CASE(w->rule, x.rsp->body.type == CMP_BODY_ERROR &&
                                             error_bit(x.rsp) == w->want)) {
                    fprintf(stderr, "  %s: got %s, bit %d\n", w->rule,
                            cmp_body_type_name(x.rsp->body.type), error_bit(x.rsp));
                }
                CHECK_CASE(w->rule, error_text_ok(x.rsp));
                CHECK_CASE(w->rule, cmp_srv_table_count(&srv->table) == 0);
            } else if (!CHECK_CASE(w->rule, x.rsp->body.type == w->want_type)) {
                fprintf(stderr, "  %s: got %s, bit %d\n", w->rule,
                        cmp_body_type_name(x.rsp->body.type), error_bit(x.rsp));
            }
        }
        exch_free(&x);
        cmp_srv_free(srv);
    }
}

/* ---- MAC answers under the request's own algorithm and parameters ---- */

struct mac_row {
    const char *name;
    int pbmac1;
    const char *owf_or_prf, *mac;
    int64_t iterations;
    size_t salt_len, key_len;
    int want; /* -1: a genp under the same parameters; else the error's bit */
};

static const struct mac_row mac_rows[] = {
    {"PBM SHA512 owf, hmacWithSHA256, 1000", 0, "SHA512", "SHA256", 1000, 16, 0, -1},
    {"PBM SHA256 owf, hmac-sha1, 5000, salt 32", 0, "SHA256", "hmac-sha1", 5000, 32, 0, -1},
    {"PBM SHA384 owf, hmacWithSHA512, 700", 0, "SHA384", "SHA512", 700, 8, 0, -1},
    {"PBMAC1 hmacWithSHA1, HMAC-SHA256, 1000", 1, "SHA1", "SHA256", 1000, 16, 32, -1},
    {"PBMAC1 hmacWithSHA256, HMAC-SHA256, 262144 (the default cap)", 1, "SHA256", "SHA256",
     262144, 16, 32, -1},
    {"PBMAC1 hmacWithSHA384, HMAC-SHA384, 2000", 1, "SHA384", "SHA384", 2000, 16, 48, -1},
    {"PBMAC1 hmacWithSHA512, HMAC-SHA512, 3000, key 64", 1, "SHA512", "SHA512", 3000, 24, 64, -1},
    {"PBMAC1 hmacWithSHA512, HMAC-SHA256, 1500", 1, "SHA512", "SHA256", 1500, 16, 32, -1},
    {"PBMAC1 262145 iterations: over the cap", 1, "SHA256", "SHA256", 262145, 16, 32,
     CMP_FI_BAD_ALG},
};

/* The parameters of a PBM or PBMAC1 protectionAlg, without the salt, and the salt. */
static int
mac_params_of(const struct cmp_msg *m, int pbmac1, struct der_in *a, struct der_in *b,
              struct der_in *c, struct der_in *salt)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (!pbmac1) {
        struct cmp_pbm_params pp;

        if (!cmp_pbm_params_decode(&m->hdr.protection_alg.params, &pp, &err)) {
            return 0;
        }
        *a = pp.owf.oid;
        *b = pp.iteration_count;
        *c = pp.mac.oid;
        *salt = pp.salt;
    } else {
        struct cmp_pbmac1_params pp;
        struct cmp_pbkdf2_params kp;

        if (!cmp_pbmac1_params_decode(&m->hdr.protection_alg.params, &pp, &err) ||
            !cmp_pbkdf2_params_decode(&pp.kdf.params, &kp, &err)) {
            return 0;
        }
        /* the PRF (absent: hmacWithSHA1), the count and keyLength, the MAC */
        *a = kp.has_prf ? kp.prf.oid : DER_IN_EMPTY;
        *b = kp.iteration_count;
        *c = pp.mac.oid;
        *salt = kp.salt;
        if (!kp.has_key_length) {
            return 0;
        }
    }
    return 1;
}

/*
 * RFC 9483 3.2: a MAC-protected request is answered under the same
 * algorithm and parameters: PBM with the request's whole PBMParameter, salt
 * included (RFC 9810 5.1.3.1 recommends it constant within a transaction);
 * PBMAC1 with its PRF, iterationCount, keyLength and MAC and a fresh salt of
 * the same length. The answer verifies with the secret under them.
 */
static void
test_mac_answer_params(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    size_t i;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    for (i = 0; i < NROWS(mac_rows); i++) {
        const struct mac_row *w = &mac_rows[i];
        struct cmp_msg *m = request("genm_pbm_1_genm.der");
        struct cmp_mac_limits lim = {CMP_SRV_DEFAULT_MAX_ITERATIONS};
        struct der_in qa, qb, qc, qs, ra, rb, rc, rs;
        struct cmp_err err;
        struct exch x;
        int ok;

        cmp_err_init(&err);
        memset(&x, 0, sizeof(x));
        if (!CHECK_CASE(w->name, m != NULL)) {
            continue;
        }
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = der_in_make((const uint8_t *)g_ref, strlen(g_ref));
        if (w->pbmac1) {
            struct cmp_pbmac1_opts o = {w->owf_or_prf, w->mac, w->iterations, w->salt_len,
                                        w->key_len};

            ok = cmp_protect_pbmac1(m, &o, g_secret, g_secret_len, &err);
        } else {
            struct cmp_pbm_opts o;

            memset(&o, 0, sizeof(o));
            o.owf = w->owf_or_prf;
            o.mac = w->mac;
            o.iterations = w->iterations;
            o.salt_len = w->salt_len;
            ok = cmp_protect_pbm(m, &o, g_secret, g_secret_len, &err);
        }
        if (!CHECK_CASE(w->name, ok && send_msg(srv, m, P_KEEP, &x))) {
            fprintf(stderr, "  %s: %s\n", w->name, err.msg);
            exch_free(&x);
            continue;
        }
        if (w->want >= 0) {
            CHECK_CASE(w->name, error_bit(x.rsp) == w->want);
            exch_free(&x);
            continue;
        }
        if (i == 0) {
            /* The same bytes again: a replay, answered under our own PBM parameters. */
            struct exch y;
            uint8_t *der = NULL;
            size_t len = 0;

            memset(&y, 0, sizeof(y));
            if (CHECK_CASE("replayed", encode(x.req, &der, &len) &&
                                           send_bytes(srv, der, len, &y))) {
                CHECK_CASE("replayed", error_bit(y.rsp) == CMP_FI_BAD_SENDER_NONCE &&
                                           mac_params_of(y.rsp, 0, &ra, &rb, &rc, &rs) &&
                                           mac_params_of(x.req, 0, &qa, &qb, &qc, &qs) &&
                                           !der_in_eq(&qb, &rb));
            }
            free(der);
            exch_free(&y);
        }
        if (CHECK_CASE(w->name, x.rsp->body.type == CMP_BODY_GENP &&
                                    cmp_msg_mac_protected(x.rsp) &&
                                    cmp_oid_is(&x.rsp->hdr.protection_alg.oid,
                                               w->pbmac1 ? CMP_NID_PBMAC1
                                                         : CMP_NID_PASSWORD_BASED_MAC) &&
                                    mac_params_of(x.req, w->pbmac1, &qa, &qb, &qc, &qs) &&
                                    mac_params_of(x.rsp, w->pbmac1, &ra, &rb, &rc, &rs))) {
            CHECK_CASE(w->name, der_in_eq(&qa, &ra) && der_in_eq(&qb, &rb) && der_in_eq(&qc, &rc));
            CHECK_CASE(w->name, qs.len == rs.len && der_in_eq(&qs, &rs) == !w->pbmac1);
            cmp_err_init(&err);
            CHECK_CASE(w->name, cmp_verify_mac(x.rsp, g_secret, g_secret_len, &lim, &err));
        }
        exch_free(&x);
    }
    cmp_srv_free(srv);
}

/* ---- requests signed by PKI management entities (RFC 9483 3.5, 4.1.1, 5) ---- */

/*
 * A P-256 certificate under the test root (pki/root.key) with the extended
 * key usage |eku_nid| (NID_cmcCA, NID_cmcRA), digitalSignature and an SKID;
 * its key in |*out_key|. NULL on failure.
 */
static X509 *
entity_cert(int eku_nid, const char *cn, EVP_PKEY **out_key)
{
    EVP_PKEY *root_key = check_load_key(g_dir, "pki/root.key");
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509_NAME *name = X509_NAME_new();
    X509V3_CTX v3;
    X509_EXTENSION *ext;
    const char *eku = eku_nid == NID_cmcCA ? "cmcCA" : "cmcRA";
    int ok;

    ok = root_key != NULL && key != NULL && cert != NULL && name != NULL &&
         X509_set_version(cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242) &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                    0) &&
         X509_set_subject_name(cert, name) &&
         X509_set_issuer_name(cert, X509_get_subject_name(g_root)) &&
         X509_gmtime_adj(X509_getm_notBefore(cert), -3600) &&
         X509_gmtime_adj(X509_getm_notAfter(cert), 86400) && X509_set_pubkey(cert, key);
    X509V3_set_ctx(&v3, g_root, cert, NULL, NULL, 0);
    ext = ok ? X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, eku) : NULL;
    ok = ok && ext != NULL && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    ext = ok ? X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "digitalSignature") : NULL;
    ok = ok && ext != NULL && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    ext = ok ? X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash") : NULL;
    ok = ok && ext != NULL && X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    ok = ok && X509_sign(cert, root_key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    EVP_PKEY_free(root_key);
    if (!ok) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return NULL;
    }
    *out_key = key;
    return cert;
}

/* Signs |m| as the holder of |cert| and |key|: sender, senderKID, extraCerts. */
static int
protect_as_entity(struct cmp_msg *m, X509 *cert, EVP_PKEY *key)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(X509_get_subject_name(cert), &der);
    struct cmp_err err;
    uint8_t *buf;
    struct der_in name;
    int ok;

    cmp_err_init(&err);
    if (len <= 0) {
        return 0;
    }
    buf = cmp_msg_alloc(m, (size_t)len + 6);
    name = der_in_make(arena_bytes(m, der, (size_t)len), (size_t)len);
    OPENSSL_free(der);
    m->hdr.has_protection_alg = 0;
    m->has_protection = 0;
    m->hdr.has_sender_kid = 0;
    set_skid(m, cert);
    ok = buf != NULL && cmp_gname_set_dirname(&m->hdr.sender, buf, (size_t)len + 6, &name) &&
         cmp_set_extra_certs(m, cert, NULL, NULL, &err) && cmp_protect_sig(m, key, NULL, 0, &err);
    if (!ok) {
        fprintf(stderr, "protect_as_entity: %s\n", err.msg);
    }
    return ok;
}

/*
 * RFC 9483 3.5 and 5: a request signed with a CA's certificate (cmcCA)
 * comes from another PKI management entity, notAuthorized though its path
 * is valid; an RA's (cmcRA) may forward an ir whose POPO it verified
 * (raVerified, 4.1.1, 5.2.3.2), which the server then accepts.
 */
static void
test_pki_entities(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    EVP_PKEY *ca_key = NULL, *ra_key = NULL;
    X509 *ca = entity_cert(NID_cmcCA, "cmpkit Test other CA", &ca_key);
    X509 *ra = entity_cert(NID_cmcRA, "cmpkit Test RA", &ra_key);
    struct cmp_msg *m;
    uint8_t *der = NULL;
    size_t len = 0;
    struct exch x;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL && ca != NULL && ra != NULL)) {
        goto done;
    }
    m = request("genm_sig_1_genm.der");
    memset(&x, 0, sizeof(x));
    if (CHECK_CASE("3.5 signed by a CA (cmcCA)", m != NULL && protect_as_entity(m, ca, ca_key) &&
                                                    encode(m, &der, &len) &&
                                                    send_bytes(srv, der, len, &x))) {
        CHECK_CASE("3.5 signed by a CA (cmcCA)", error_bit(x.rsp) == CMP_FI_NOT_AUTHORIZED);
    }
    cmp_msg_free(m);
    free(der);
    der = NULL;
    exch_free(&x);
    m = request("ir_sig_1_ir.der");
    if (m != NULL) {
        mut_raverified(m);
    }
    if (CHECK_CASE("4.1.1 raVerified from an RA (cmcRA)",
                   m != NULL && protect_as_entity(m, ra, ra_key) && encode(m, &der, &len) &&
                       send_bytes(srv, der, len, &x))) {
        if (!CHECK_CASE("4.1.1 raVerified from an RA (cmcRA)",
                        x.rsp->body.type == CMP_BODY_IP &&
                            rsp_status(x.rsp) == CMP_STATUS_ACCEPTED)) {
            fprintf(stderr, "  raVerified from an RA: got %s, bit %d\n",
                    cmp_body_type_name(x.rsp->body.type), error_bit(x.rsp));
        }
    }
    cmp_msg_free(m);
    free(der);
    exch_free(&x);

done:
    cmp_srv_free(srv);
    X509_free(ca);
    X509_free(ra);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(ra_key);
}

/*
 * RFC 9483 3.1: certProfile "MUST be used only in the first message" of a
 * transaction. `openssl cmp` 3.6 (-profile) repeats it in certConf, so only
 * the lightweight profile refuses that certConf (badRequest).
 */
static void
test_cert_profile_in_certconf(void)
{
    int profile;

    for (profile = CMP_SRV_PROFILE_RFC9810; profile <= CMP_SRV_PROFILE_LIGHTWEIGHT; profile++) {
        const char *name = profile == CMP_SRV_PROFILE_RFC9810
                               ? "3.1 certProfile in certConf, rfc9810"
                               : "3.1 certProfile in certConf, lightweight";
        struct cmp_srv_config c;
        struct cmp_srv *srv;
        struct cmp_msg *m;
        struct exch x, y;

        base_config(&c);
        c.profile = profile;
        srv = new_engine(&c);
        if (!CHECK_CASE(name, srv != NULL)) {
            continue;
        }
        if (CHECK_CASE(name, send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x) &&
                                 x.rsp->body.type == CMP_BODY_CP)) {
            m = followup(&x, F_CERTCONF, 0);
            if (m != NULL) {
                mut_profile_one(m);
            }
            if (CHECK_CASE(name, send_msg(srv, m, P_PBM, &y))) {
                CHECK_CASE(name, profile == CMP_SRV_PROFILE_RFC9810
                                     ? y.rsp->body.type == CMP_BODY_PKICONF
                                     : error_bit(y.rsp) == CMP_FI_BAD_REQUEST);
            }
            exch_free(&y);
        }
        exch_free(&x);
        cmp_srv_free(srv);
    }
}

/*
 * RFC 9483 3.5 / RFC 9810 5.1.1: a first request reusing the transactionID
 * of another sender's open transaction gets transactionIdInUse (after its
 * own authentication), and the open transaction still completes.
 */
static void
test_tid_of_other_sender(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch xs, y;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (CHECK(send_msg(srv, request("cr_sig_1_cr.der"), P_SIG_CLIENT, &xs) &&
              xs.rsp->body.type == CMP_BODY_CP)) {
        if (CHECK(send_msg(srv, with_tid_of(request("genm_pbm_1_genm.der"), &xs), P_PBM, &y))) {
            CHECK_CASE("3.5 transactionID of another sender's open transaction",
                       error_bit(y.rsp) == CMP_FI_TRANSACTION_ID_IN_USE);
        }
        exch_free(&y);
        confirm(srv, &xs, P_SIG_CLIENT, E_SIG, 0, "the other sender's transaction");
    }
    exch_free(&xs);
    cmp_srv_free(srv);
}

/*
 * Requests that fail authentication get the same answer (bit and
 * statusString) whether their transactionID names an open transaction or
 * not: an ir reusing it (not transactionIdInUse), certConfs with a wrong MAC
 * or signature, one with a stray recipNonce too (not badRecipientNonce). The
 * open transaction is not disturbed and is confirmed afterwards.
 */
static void
test_in_use_after_auth(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x, xs, known, unknown, *open;
    struct {
        const char *name;
        int how;
        int kind; /* 0: ir; 1: certConf; 2: certConf with a stray recipNonce */
        int bit;
    } rows[] = {
        {"ir, wrong MAC", P_PBM_WRONG, 0, CMP_FI_BAD_MESSAGE_CHECK},
        {"certConf, wrong MAC", P_PBM_WRONG, 1, CMP_FI_BAD_MESSAGE_CHECK},
        {"certConf, wrong MAC and recipNonce", P_PBM_WRONG, 2, CMP_FI_BAD_MESSAGE_CHECK},
        /* the transaction of a signature client: its signer is tried first, in vain */
        {"certConf, wrong signer", P_SIG_WRONG, 1, CMP_FI_SIGNER_NOT_TRUSTED},
    };
    size_t i;
    char text[128];

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    if (!CHECK(send_msg(srv, request("cr_pbm_1_cr.der"), P_PBM, &x) &&
               x.rsp->body.type == CMP_BODY_CP &&
               send_msg(srv, request("cr_sig_1_cr.der"), P_SIG_CLIENT, &xs) &&
               xs.rsp->body.type == CMP_BODY_CP)) {
        exch_free(&x);
        exch_free(&xs);
        cmp_srv_free(srv);
        return;
    }
    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_msg *m1, *m2;

        open = rows[i].how == P_SIG_WRONG ? &xs : &x;
        if (rows[i].kind == 0) {
            m1 = with_tid_of(request("ir_pbm_1_ir.der"), open);
            m2 = request("ir_pbm_1_ir.der");
        } else {
            m1 = followup(open, F_CERTCONF, 0);
            m2 = followup(open, F_CERTCONF, 0);
            if (m2 != NULL) {
                set_fresh_tid(m2);
            }
            if (rows[i].kind == 2) {
                with_stray_recip_nonce(m1);
                with_stray_recip_nonce(m2);
            }
        }
        if (CHECK_CASE(rows[i].name, send_msg(srv, m1, rows[i].how, &known) &&
                                         send_msg(srv, m2, rows[i].how, &unknown))) {
            snprintf(text, sizeof(text), "%s", error_text(unknown.rsp));
            CHECK_CASE(rows[i].name, error_bit(known.rsp) == rows[i].bit &&
                                         error_bit(unknown.rsp) == rows[i].bit);
            CHECK_CASE(rows[i].name, strcmp(error_text(known.rsp), text) == 0 && text[0] != 0);
        }
        exch_free(&known);
        exch_free(&unknown);
        CHECK_CASE(rows[i].name, cmp_srv_table_count(&srv->table) == 2);
    }
    confirm(srv, &x, P_PBM, E_MAC, 0, "the open transaction after the probes");
    confirm(srv, &xs, P_SIG_CLIENT, E_SIG, 0, "the signed transaction after the probes");
    exch_free(&x);
    exch_free(&xs);
    cmp_srv_free(srv);
}

/* ---- 5d. replayed requests and the messageTime window ---- */

/* |m| protected as |how| and encoded; NULL if that failed. */
static uint8_t *
sealed(struct cmp_msg *m, int how, size_t *len)
{
    uint8_t *der = NULL;

    *len = 0;
    if (m == NULL || !protect_as(m, how) || !encode(m, &der, len)) {
        der = NULL;
    }
    cmp_msg_free(m);
    return der;
}

/* An engine of the base configuration with |cache| nonces and a window of |window| s (0: default).
 */
static struct cmp_srv *
replay_engine(size_t cache, int64_t window)
{
    struct cmp_srv_config c;

    base_config(&c);
    c.replay_cache_size = cache;
    c.message_time_window_s = window;
    return new_engine(&c);
}

/* What |srv| answers to |der|: the body type, ERROR_ANSWER + the failure bit, or -1. */
#define ERROR_ANSWER 1000
static int
answer_of(struct cmp_srv *srv, const uint8_t *der, size_t len)
{
    struct exch x;
    int a = -1;

    memset(&x, 0, sizeof(x));
    if (srv != NULL && der != NULL && send_bytes(srv, der, len, &x)) {
        a = x.rsp->body.type == CMP_BODY_ERROR ? ERROR_ANSWER + error_bit(x.rsp) : x.rsp->body.type;
    }
    exch_free(&x);
    return a;
}

/*
 * A captured request sent again is refused with badSenderNonce (RFC 9810
 * 5.1.1, 5.2.3), an ir as well as a certConf after its transaction ended;
 * the cache is bounded (a nonce pushed out is forgotten); after the window
 * a replay fails the messageTime check instead. The engine keeps serving.
 */
static void
test_replay(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x, y, z;
    uint8_t *ir, *conf, *a, *b;
    size_t ir_len, conf_len, a_len, b_len, i;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    memset(&x, 0, sizeof(x));
    memset(&y, 0, sizeof(y));
    memset(&z, 0, sizeof(z));
    ir = sealed(request("ir_pbm_1_ir.der"), P_PBM, &ir_len);
    if (CHECK(ir != NULL && send_bytes(srv, ir, ir_len, &x) && x.rsp->body.type == CMP_BODY_IP)) {
        x.req = decode(ir, ir_len);
        conf = x.req != NULL ? sealed(followup(&x, F_CERTCONF, 0), P_PBM, &conf_len) : NULL;
        /* the ir again while its transaction is open, then the certConf, then both again */
        CHECK(send_bytes(srv, ir, ir_len, &y) && error_bit(y.rsp) == CMP_FI_BAD_SENDER_NONCE);
        exch_free(&y);
        CHECK(conf != NULL && send_bytes(srv, conf, conf_len, &y) &&
              y.rsp->body.type == CMP_BODY_PKICONF);
        exch_free(&y);
        CHECK(send_bytes(srv, ir, ir_len, &y) && error_bit(y.rsp) == CMP_FI_BAD_SENDER_NONCE);
        CHECK(y.rsp != NULL &&
              !strcmp(error_text(y.rsp), "senderNonce used before: replayed request"));
        exch_free(&y);
        CHECK(conf != NULL && send_bytes(srv, conf, conf_len, &y) &&
              error_bit(y.rsp) == CMP_FI_BAD_SENDER_NONCE);
        exch_free(&y);
        CHECK(cmp_srv_table_count(&srv->table) == 0);
        free(conf);
    }
    exch_free(&x);
    free(ir);
    still_serving(srv, "after replays");
    cmp_srv_free(srv);

    /* accept_replays (-srv_accept_replays): the same genm twice is answered twice */
    base_config(&c);
    c.accept_replays = 1;
    srv = new_engine(&c);
    a = sealed(request("genm_pbm_1_genm.der"), P_PBM, &a_len);
    CHECK(answer_of(srv, a, a_len) == CMP_BODY_GENP);
    CHECK(answer_of(srv, a, a_len) == CMP_BODY_GENP);
    free(a);
    cmp_srv_free(srv);

    /* bounded: with room for 2 nonces, the first of 3 requests is forgotten */
    srv = replay_engine(2, 0);
    a = sealed(request("genm_pbm_1_genm.der"), P_PBM, &a_len);
    CHECK(answer_of(srv, a, a_len) == CMP_BODY_GENP);
    for (i = 0; i < 2; i++) {
        b = sealed(request("genm_pbm_1_genm.der"), P_PBM, &b_len);
        CHECK(answer_of(srv, b, b_len) == CMP_BODY_GENP);
        free(b);
    }
    CHECK(answer_of(srv, a, a_len) == CMP_BODY_GENP);
    free(a);
    cmp_srv_free(srv);

    /* past the window (2 s) a replay is too old: badTime */
    srv = replay_engine(0, 2);
    a = sealed(request("genm_pbm_1_genm.der"), P_PBM, &a_len);
    CHECK(answer_of(srv, a, a_len) == CMP_BODY_GENP);
    CHECK(answer_of(srv, a, a_len) == ERROR_ANSWER + CMP_FI_BAD_SENDER_NONCE);
    sleep(4);
    CHECK(answer_of(srv, a, a_len) == ERROR_ANSWER + CMP_FI_BAD_TIME);
    free(a);
    cmp_srv_free(srv);
}

/*
 * RFC 9810 5.1.1, RFC 9483 3.5: messageTime, if present, within the window
 * (-srv_msgtime_window) of our clock, else badTime; without messageTime a
 * request passes.
 */
static void
test_message_time(void)
{
    static const struct {
        const char *name;
        int64_t window, offset; /* offset of messageTime from now; INT64_MIN: none */
        int ok;
    } rows[] = {
        {"an hour ago, default window", 0, -3600, 0},
        {"an hour ahead, default window", 0, 3600, 0},
        {"a minute ago, default window", 0, -60, 1},
        {"an hour ago, window of 2 h", 7200, -3600, 1},
        {"no messageTime", 0, INT64_MIN, 1},
    };
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct exch x;
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_msg *m = request("genm_pbm_1_genm.der");

        base_config(&c);
        c.message_time_window_s = rows[i].window;
        srv = new_engine(&c);
        if (!CHECK_CASE(rows[i].name, srv != NULL)) {
            cmp_msg_free(m);
            return;
        }
        if (m != NULL) {
            m->hdr.has_message_time = rows[i].offset != INT64_MIN;
            m->hdr.message_time_secs += rows[i].offset != INT64_MIN ? rows[i].offset : 0;
        }
        if (CHECK_CASE(rows[i].name, send_msg(srv, m, P_PBM, &x))) {
            CHECK_CASE(rows[i].name, rows[i].ok ? x.rsp->body.type == CMP_BODY_GENP
                                                : error_bit(x.rsp) == CMP_FI_BAD_TIME);
        }
        exch_free(&x);
        cmp_srv_free(srv);
    }
}

/* ---- 5e. what the listener is told of a request, and the cheap refusal ---- */

static int
handle_ex(struct cmp_srv *srv, const uint8_t *p, size_t len, struct cmp_srv_outcome *out,
          struct exch *x)
{
    uint8_t *rsp = NULL;
    size_t rsp_len = 0;

    memset(x, 0, sizeof(*x));
    if (!cmp_srv_handle_ex(srv, p, len, &rsp, &rsp_len, out)) {
        return 0;
    }
    x->rsp = decode(rsp, rsp_len);
    free(rsp);
    return x->rsp != NULL;
}

/*
 * cmp_srv_handle_ex(): a request that fails authentication (wrong MAC,
 * garbage, a senderKID that names no secret of ours, a replay) is reported
 * as such with the CPU it cost; one refused after authentication is not.
 * cmp_srv_refuse(): an unprotected error echoing transactionID and
 * senderNonce, the table untouched.
 */
static void
test_outcome(void)
{
    static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x05};
    static const uint8_t other_kid[] = "not-our-reference";
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct cmp_srv_outcome out;
    struct exch x, first;
    struct cmp_msg *m;
    struct cmp_err err;
    uint8_t *ir, *der;
    size_t ir_len, len;

    base_config(&c);
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    ir = sealed(request("ir_pbm_1_ir.der"), P_PBM, &ir_len);
    CHECK(ir != NULL && handle_ex(srv, ir, ir_len, &out, &first) &&
          first.rsp->body.type == CMP_BODY_IP && out.authenticated &&
          !out.unauthenticated_failure && out.failure_bit == -1 && !out.undecodable);
    first.req = ir != NULL ? decode(ir, ir_len) : NULL;
    CHECK(ir != NULL && handle_ex(srv, ir, ir_len, &out, &x) && out.authenticated &&
          out.unauthenticated_failure && out.failure_bit == CMP_FI_BAD_SENDER_NONCE);
    exch_free(&x);
    der = sealed(request("ir_pbm_1_ir.der"), P_PBM_WRONG, &len);
    CHECK(der != NULL && handle_ex(srv, der, len, &out, &x) && !out.authenticated &&
          out.unauthenticated_failure && out.failure_bit == CMP_FI_BAD_MESSAGE_CHECK &&
          out.cpu_us > 0);
    exch_free(&x);
    free(der);
    CHECK(handle_ex(srv, garbage, sizeof(garbage), &out, &x) && out.unauthenticated_failure &&
          out.failure_bit == CMP_FI_BAD_DATA_FORMAT && out.undecodable);
    exch_free(&x);
    /* another senderKID: refused before a key is derived */
    m = request("ir_pbm_1_ir.der");
    cmp_err_init(&err);
    der = NULL;
    if (CHECK(m != NULL)) {
        m->hdr.has_sender_kid = 1;
        m->hdr.sender_kid = der_in_make(other_kid, sizeof(other_kid) - 1);
        CHECK(cmp_protect_pbm(m, NULL, g_secret, g_secret_len, &err) && encode(m, &der, &len));
    }
    cmp_msg_free(m);
    CHECK(der != NULL && handle_ex(srv, der, len, &out, &x) && out.unauthenticated_failure &&
          out.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
    exch_free(&x);
    free(der);
    /* refused after authentication: a pollReq for no open transaction */
    m = first.req != NULL && first.rsp != NULL ? followup(&first, F_POLLREQ, 0) : NULL;
    if (m != NULL) {
        set_fresh_tid(m);
    }
    der = sealed(m, P_PBM, &len);
    CHECK(der != NULL && handle_ex(srv, der, len, &out, &x) && out.authenticated &&
          !out.unauthenticated_failure && out.failure_bit == CMP_FI_BAD_REQUEST);
    exch_free(&x);
    free(der);
    exch_free(&first);
    CHECK(cmp_srv_table_count(&srv->table) == 1);

    /* the cheap refusal */
    der = NULL;
    len = 0;
    if (CHECK(ir != NULL &&
              cmp_srv_refuse(srv, ir, ir_len, CMP_FI_SYSTEM_UNAVAIL, "try later", &der, &len))) {
        struct cmp_msg *req = decode(ir, ir_len), *rsp = decode(der, len);

        CHECK(req != NULL && rsp != NULL && error_bit(rsp) == CMP_FI_SYSTEM_UNAVAIL &&
              !strcmp(error_text(rsp), "try later") && !rsp->hdr.has_protection_alg &&
              !rsp->has_protection &&
              der_in_eq(&rsp->hdr.transaction_id, &req->hdr.transaction_id) &&
              rsp->hdr.has_recip_nonce && der_in_eq(&rsp->hdr.recip_nonce, &req->hdr.sender_nonce));
        cmp_msg_free(req);
        cmp_msg_free(rsp);
    }
    free(der);
    der = NULL;
    if (CHECK(cmp_srv_refuse(srv, garbage, sizeof(garbage), CMP_FI_SYSTEM_UNAVAIL, NULL, &der,
                             &len))) {
        struct cmp_msg *rsp = decode(der, len);

        CHECK(rsp != NULL && error_bit(rsp) == CMP_FI_SYSTEM_UNAVAIL && !rsp->hdr.has_recip_nonce);
        cmp_msg_free(rsp);
    }
    free(der);
    CHECK(cmp_srv_table_count(&srv->table) == 1);
    free(ir);
    cmp_srv_free(srv);
}

/* ---- 6. the configuration checks ---- */

static void
test_config(void)
{
    static const struct {
        const char *name;
        int field;
    } rows[] = {
        {"no credentials", 0},      {"cert without key or secret", 1}, {"key of another cert", 2},
        {"no ref without cert", 3}, {"pkistatus 7", 4},         {"failure 27", 5},
        {"failurebits 2^27", 6},    {"negative poll_count", 7}, {"empty secret", 8},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_srv_config c;
        struct cmp_err err;
        struct cmp_srv *srv;

        base_config(&c);
        switch (rows[i].field) {
        case 0:
            c.secret = NULL;
            c.cert = NULL;
            c.key = NULL;
            break;
        case 1:
            c.key = NULL;
            c.secret = NULL;
            break;
        case 2:
            c.key = g_client_key;
            break;
        case 3:
            c.cert = NULL;
            c.key = NULL;
            c.ref = NULL;
            break;
        case 4:
            c.pkistatus = 7;
            break;
        case 5:
            c.failure = 27;
            break;
        case 6:
            c.failurebits = 1u << 27;
            break;
        case 7:
            c.poll_count = -1;
            break;
        default:
            c.secret_len = 0;
            break;
        }
        cmp_err_init(&err);
        srv = cmp_srv_new(&c, &err);
        CHECK_CASE(rows[i].name, srv == NULL && err.code != CMP_E_NONE);
        cmp_srv_free(srv);
    }
    ERR_clear_error();
    {
        /* the engine keeps its own references: the caller's may go */
        struct cmp_srv_config c;
        struct cmp_srv *srv;
        X509 *ee = check_load_cert(g_dir, "pki/ee.crt");
        struct exch x;
        char text[] = "status text";

        memset(&x, 0, sizeof(x));
        base_config(&c);
        c.rsp_cert = ee;
        c.statusstring = text;
        srv = new_engine(&c);
        X509_free(ee);
        memset(text, 'X', sizeof(text) - 1);
        if (CHECK(srv != NULL) && CHECK(send_msg(srv, request("ir_pbm_1_ir.der"), P_PBM, &x))) {
            const struct cmp_pkistatus *si = &x.rsp->body.u.rep.responses[0].status;

            CHECK(si->has_status_string && si->status_string.strs[0].len == 11 &&
                  memcmp(si->status_string.strs[0].p, "status text", 11) == 0);
        }
        exch_free(&x);
        cmp_srv_free(srv);
    }
    {
        /* -srv_cert without -srv_key but with -srv_secret starts, as in openssl
         * cmp, and answers MAC-protected requests. */
        struct cmp_srv_config c;
        struct cmp_srv *srv;
        struct exch x;

        memset(&x, 0, sizeof(x));
        base_config(&c);
        c.key = NULL;
        srv = new_engine(&c);
        if (CHECK(srv != NULL) && CHECK(send_msg(srv, request("ir_pbm_1_ir.der"), P_PBM, &x))) {
            CHECK(x.rsp->body.type == CMP_BODY_IP &&
                  x.rsp->body.u.rep.responses[0].status.status == CMP_STATUS_ACCEPTED);
        }
        exch_free(&x);
        cmp_srv_free(srv);
    }
    cmp_srv_free(NULL);
}

/* ---- 7. 4 threads x 200 transactions through one engine ---- */

#define THREADS 4
#define PER_THREAD 200

struct worker {
    struct cmp_srv *srv;
    int failed, done;
};

static int
one_transaction(struct cmp_srv *srv, int k)
{
    static const char *const files[] = {"ir_pbm_1_ir.der", "cr_pbm_1_cr.der",
                                        "p10cr_pbm_1_p10cr.der", "genm_pbm_1_genm.der"};
    const char *file = files[k % 4];
    struct cmp_msg *m = request(file);
    uint8_t *der = NULL, *rsp = NULL;
    size_t len = 0, rsp_len = 0;
    struct cmp_msg *q = NULL, *r = NULL;
    struct cmp_vfy_opts o;
    struct cmp_err err;
    int ok = 0;

    if (m == NULL || !protect_as(m, P_PBM) || !encode(m, &der, &len)) {
        goto done;
    }
    q = decode(der, len);
    if (q == NULL || !cmp_srv_handle(srv, der, len, &rsp, &rsp_len)) {
        goto done;
    }
    r = decode(rsp, rsp_len);
    memset(&o, 0, sizeof(o));
    o.secret = g_secret;
    o.secret_len = g_secret_len;
    o.transaction_id = q->hdr.transaction_id;
    o.last_sender_nonce = q->hdr.sender_nonce;
    o.expect_protection = CMP_VFY_PROT_MAC;
    cmp_err_init(&err);
    if (r == NULL || !cmp_vfy_msg(&o, r, NULL, &err)) {
        goto done;
    }
    if (r->body.type == CMP_BODY_GENP) {
        ok = 1;
        goto done;
    }
    if (!is_certrep(r->body.type)) {
        goto done;
    }
    {
        struct exch x = {q, r}, c;
        int64_t id = q->body.type == CMP_BODY_P10CR ? -1 : 0;

        memset(&c, 0, sizeof(c));
        ok = send_msg(srv, followup(&x, F_CERTCONF, id), P_PBM, &c) &&
             c.rsp->body.type == CMP_BODY_PKICONF;
        exch_free(&c);
    }

done:
    cmp_msg_free(m);
    cmp_msg_free(q);
    cmp_msg_free(r);
    free(der);
    free(rsp);
    return ok;
}

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    int k;

    for (k = 0; k < PER_THREAD; k++) {
        if (one_transaction(w->srv, k)) {
            w->done++;
        } else {
            w->failed++;
        }
    }
    return NULL;
}

static void
test_threads(void)
{
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct worker w[THREADS];
    pthread_t th[THREADS];
    int i, started = 0, done = 0, failed = 0;

    base_config(&c);
    c.verbosity = CMP_SRV_LOG_WARN;
    srv = new_engine(&c);
    if (!CHECK(srv != NULL)) {
        return;
    }
    memset(w, 0, sizeof(w));
    for (i = 0; i < THREADS; i++) {
        w[i].srv = srv;
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) == 0) {
            started++;
        } else {
            break;
        }
    }
    for (i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        done += w[i].done;
        failed += w[i].failed;
    }
    CHECK(started == THREADS);
    if (!CHECK(done == THREADS * PER_THREAD && failed == 0)) {
        fprintf(stderr, "  threads: %d transactions done, %d failed\n", done, failed);
    }
    CHECK(cmp_srv_table_count(&srv->table) == 0);
    cmp_srv_free(srv);
}

/* ---- setup ---- */

static int
setup(void)
{
    size_t ref_len;
    X509 *server;

    if (!read_line("secret.txt", g_secret, sizeof(g_secret), &g_secret_len) ||
        !read_line("ref.txt", (uint8_t *)g_ref, sizeof(g_ref), &ref_len)) {
        return 0;
    }
    g_root = check_load_cert(g_dir, "pki/root.crt");
    g_server = check_load_cert(g_dir, "pki/server.crt");
    g_client = check_load_cert(g_dir, "pki/client.crt");
    g_ee = check_load_cert(g_dir, "pki/ee.crt");
    g_server_key = check_load_key(g_dir, "pki/server.key");
    g_client_key = check_load_key(g_dir, "pki/client.key");
    g_ee_key = check_load_key(g_dir, "pki/ee.key");
    if (g_root == NULL || g_server == NULL || g_client == NULL || g_ee == NULL ||
        g_server_key == NULL || g_client_key == NULL || g_ee_key == NULL) {
        return 0;
    }
    g_store_root = X509_STORE_new();
    g_extra = sk_X509_new_null();
    g_capubs = sk_X509_new_null();
    server = check_load_cert(g_dir, "pki/server.crt");
    if (g_store_root == NULL || !X509_STORE_add_cert(g_store_root, g_root) || g_extra == NULL ||
        g_capubs == NULL || server == NULL || !sk_X509_push(g_extra, server)) {
        X509_free(server);
        return 0;
    }
    if (!X509_up_ref(g_root) || !sk_X509_push(g_capubs, g_root)) {
        return 0;
    }
    return name_der(X509_get_subject_name(g_server), &g_server_name, &g_server_name_len);
}

static void
teardown(void)
{
    X509_free(g_root);
    X509_free(g_server);
    X509_free(g_client);
    X509_free(g_ee);
    EVP_PKEY_free(g_server_key);
    EVP_PKEY_free(g_client_key);
    EVP_PKEY_free(g_ee_key);
    X509_STORE_free(g_store_root);
    sk_X509_pop_free(g_extra, X509_free);
    sk_X509_pop_free(g_capubs, X509_free);
    OPENSSL_free(g_server_name);
}

int
main(int argc, char **argv)
{
    if (argc != 2 || !check_have_dir(argv[1])) {
        fprintf(stderr, "usage: test_server GENERATED-VECTORS-DIR (skipped: no such dir)\n");
        return CHECK_SKIP;
    }
    g_dir = argv[1];
    g_verbose = getenv("TEST_SERVER_VERBOSE") != NULL;
    if (!CHECK(setup())) {
        teardown();
        return check_finish();
    }
    test_flows();
    test_vectors_as_sent();
    test_polling();
    test_send_error();
    test_status_options();
    test_unprotected();
    test_secret_only();
    test_bad_requests();
    test_confirm_one_by_one();
    test_cert_cache();
    test_table();
    test_senders();
    test_in_use_after_auth();
    test_rfc9483_rules();
    test_tid_of_other_sender();
    test_cert_profile_in_certconf();
    test_pki_entities();
    test_mac_answer_params();
    test_replay();
    test_message_time();
    test_outcome();
    test_config();
    test_threads();
    CHECK(g_log_lines > 0 && !g_log_secret_seen);
    teardown();
    return check_finish();
}
