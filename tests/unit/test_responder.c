/*
 * A second responder behind the server engine, built from the public
 * headers alone (cmpkit/server.h, cmpkit/client.h; no lib/ include): a
 * small CA that issues certificates from the requests it gets, signed with
 * its own key. The cmpkit client runs transactions against it through the
 * engine (the in-process transfer) and the test checks what the interface
 * promises:
 *   - the requests shown to the responder (subject, public key, POPO,
 *     oldCertID, RevDetails, ITAVs), and the transaction's first type;
 *   - answers: a certificate issued, a rejection with its failure bit and
 *     text, 'waiting' followed by polling, implicit confirmation granted,
 *     revocation, a genp of its own, a callback that refuses;
 *   - certConf reaching the responder per certificate, after the engine
 *     checked certHash;
 *   - commit after each answer and before the response leaves (a failed
 *     commit turns the response into an error);
 *   - several CertReqMsgs in one ir (RFC 9810 5.3.1): each answered on its
 *     own (one rejected by the CA's policy, one the client rejects), one
 *     certConf confirming or rejecting each certificate sent, the results
 *     per certReqId;
 *   - the per-transaction pointer: given back within a transaction and
 *     freed with txn_free exactly once, however the transaction ends; the
 *     responder's own free with the engine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "check.h"
#include "cmpkit/client.h"
#include "cmpkit/server.h"
#include "cmpkit/transfer.h"

/*
 * A responder written on the public API records its errors with
 * cmp_err_set() (cmpkit/err.h); the library's CMP_FAIL macros are internal.
 */
#define FAIL(err, code, ...) \
    cmp_err_set((err), (code), CMP_FI_NONE, __FILE__, __LINE__, __VA_ARGS__)
#define FAIL_BIT(err, bit, ...) \
    cmp_err_set((err), CMP_E_INVALID, (bit), __FILE__, __LINE__, __VA_ARGS__)

static const uint8_t g_secret[] = "responder test secret";
static const char g_ref[] = "responder-test";

/* The test CA: its key and name; what it issued and what it saw. */
struct ca {
    EVP_PKEY *key;
    X509_NAME *name;
    long next_serial;
    X509 *issued[16];
    int num_issued;

    /* counts, and what the last calls were given */
    int cert_requests, polls, confs, confs_accepted, confs_rejected, revokes, generals;
    int commits_ok, commits_failed, callbacks_ok;
    int txn_allocs, txn_frees, freed;
    int last_popo, last_first_type, last_auth, last_body_type;
    size_t last_num_reqs, last_num_confs;
    long last_old_serial;
    int kur_old_cert_ok;
    size_t last_num_itavs;
    struct cmp_srv_itav genp[1]; /* the last genp's ITAV */
    X509 *last_tls_cert;         /* call->tls_client_cert of the last genm (borrowed) */
};

/* What the CA keeps per transaction. */
struct ca_txn {
    int polls;       /* pollReqs answered */
    int fail_commit; /* the next commit fails */
    int wait;        /* the certificate comes after two pollReqs */
    struct cmp_srv_der public_key_der;
    uint8_t key_buf[512];
    X509_NAME *subject;
};

/* The CA's data of the call's transaction, made on its first request; NULL if out of memory. */
static struct ca_txn *
txn_of(struct ca *ca, const struct cmp_srv_call *call)
{
    struct ca_txn *t;

    if (call->txn_data == NULL) {
        return NULL;
    }
    if (*call->txn_data == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL) {
            return NULL;
        }
        ca->txn_allocs++;
        *call->txn_data = t;
    }
    return *call->txn_data;
}

/* A callback's start: counts it in |*count|, and the transaction's data must be there. */
static int
seen(struct ca *ca, const struct cmp_srv_call *call, int *count, struct cmp_err *err)
{
    (*count)++;
    if (txn_of(ca, call) == NULL) {
        return FAIL(err, CMP_E_MEMORY, "test CA");
    }
    return 1;
}

/* The CN of |name|, or "". */
static const char *
cn_of(const X509_NAME *name, char *buf, size_t len)
{
    buf[0] = '\0';
    if (name != NULL) {
        X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, buf, (int)len);
    }
    return buf;
}

/* Issues a certificate for |subject| and |pub|, signed by the CA. */
static X509 *
issue(struct ca *ca, const X509_NAME *subject, EVP_PKEY *pub)
{
    X509 *x = X509_new();

    if (x == NULL || !X509_set_version(x, 2) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(x), ca->next_serial++) ||
        !X509_set_issuer_name(x, ca->name) || !X509_set_subject_name(x, subject) ||
        X509_gmtime_adj(X509_getm_notBefore(x), -60) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL || !X509_set_pubkey(x, pub) ||
        X509_sign(x, ca->key, EVP_sha256()) <= 0) {
        X509_free(x);
        return NULL;
    }
    if (ca->num_issued < (int)(sizeof(ca->issued) / sizeof(ca->issued[0])) && X509_up_ref(x)) {
        ca->issued[ca->num_issued++] = x;
    }
    return x;
}

/* The subject and public key of a request: from its template, or its CSR. */
static int
request_parts(const struct cmp_srv_call *call, const struct cmp_srv_cert_req *req,
              X509_NAME **subject, EVP_PKEY **pub)
{
    const unsigned char *p;

    *subject = NULL;
    *pub = NULL;
    if (call->body_type == CMP_BODY_P10CR) {
        X509_REQ *csr;

        p = req->request.p;
        csr = d2i_X509_REQ(NULL, &p, (long)req->request.len);
        if (csr != NULL) {
            *subject = X509_NAME_dup(X509_REQ_get_subject_name(csr));
            *pub = X509_REQ_get_pubkey(csr);
        }
        X509_REQ_free(csr);
    } else {
        p = req->subject.p;
        if (req->subject.len > 0) {
            *subject = d2i_X509_NAME(NULL, &p, (long)req->subject.len);
        }
        p = req->public_key.p;
        if (req->public_key.len > 0) {
            *pub = d2i_PUBKEY(NULL, &p, (long)req->public_key.len);
        }
    }
    if (*subject == NULL || *pub == NULL) {
        X509_NAME_free(*subject);
        EVP_PKEY_free(*pub);
        return 0;
    }
    return 1;
}

static int
ca_cert_request(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_req *reqs,
                size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct ca *ca = arg;
    struct ca_txn *t = txn_of(ca, call);
    X509_NAME *subject;
    EVP_PKEY *pub;
    char cn[64];
    size_t i;

    ca->cert_requests++;
    ca->last_num_reqs = num;
    ca->last_popo = reqs[0].popo;
    ca->last_first_type = call->first_type;
    ca->last_body_type = call->body_type;
    ca->last_auth = call->auth;
    if (t == NULL) {
        return FAIL(err, CMP_E_MEMORY, "test CA");
    }
    for (i = 0; i < num; i++) {
        if (reqs[i].popo != CMP_SRV_POPO_OK) {
            a->certs[i].status.status = CMP_SRV_REJECTION;
            a->certs[i].status.fail_info = 1u << CMP_FI_BAD_POP;
            continue;
        }
        if (!request_parts(call, &reqs[i], &subject, &pub)) {
            return FAIL_BIT(err, CMP_FI_BAD_CERT_TEMPLATE, "no subject or key");
        }
        cn_of(subject, cn, sizeof(cn));
        if (call->body_type == CMP_BODY_KUR) {
            /* the certificate updated must be one of ours */
            const unsigned char *p = reqs[i].old_serial.p;
            int k;

            ca->last_old_serial = -1;
            if (reqs[i].old_serial.len == 1) {
                ca->last_old_serial = p[0];
            }
            for (k = 0; k < ca->num_issued; k++) {
                if (ASN1_INTEGER_get(X509_get0_serialNumber(ca->issued[k])) ==
                    ca->last_old_serial) {
                    ca->kur_old_cert_ok = 1;
                }
            }
        }
        if (strcmp(cn, "reject-me") == 0) {
            a->certs[i].status.status = CMP_SRV_REJECTION;
            a->certs[i].status.fail_info = 1u << CMP_FI_BAD_CERT_TEMPLATE;
            a->certs[i].status.text = "the test CA rejects this subject";
        } else if (strcmp(cn, "wrong-key") == 0) {
            /* a certificate for another key: the client must reject it in its certConf */
            a->certs[i].cert = issue(ca, subject, ca->key);
            a->certs[i].status.status = CMP_SRV_ACCEPTED;
        } else if (strcmp(cn, "refuse-me") == 0) {
            X509_NAME_free(subject);
            EVP_PKEY_free(pub);
            a->error_text = "not allowed here";
            return FAIL_BIT(err, CMP_FI_NOT_AUTHORIZED, "the test CA refuses %s", cn);
        } else if (strcmp(cn, "wait") == 0) {
            t->wait = 1;
            t->subject = subject;
            subject = NULL;
            t->public_key_der.len = reqs[i].public_key.len;
            if (reqs[i].public_key.len <= sizeof(t->key_buf)) {
                memcpy(t->key_buf, reqs[i].public_key.p, reqs[i].public_key.len);
            }
            t->public_key_der.p = t->key_buf;
            a->waiting = 1;
            a->check_after = 0;
        } else {
            a->certs[i].cert = issue(ca, subject, pub);
            a->certs[i].status.status = CMP_SRV_ACCEPTED;
            t->fail_commit = strcmp(cn, "no-commit") == 0;
        }
        X509_NAME_free(subject);
        EVP_PKEY_free(pub);
    }
    a->implicit_confirm = 1;
    ca->callbacks_ok++;
    return 1;
}

static int
ca_poll(void *arg, const struct cmp_srv_call *call, const int64_t *ids, size_t num,
        struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct ca *ca = arg;
    struct ca_txn *t = txn_of(ca, call);
    const unsigned char *p;
    EVP_PKEY *pub;

    (void)ids;
    ca->polls++;
    if (t != NULL && call->polled_type == CMP_BODY_RR && num == 1 && a->num_revs == 1) {
        /* a delayed rr (RFC 9810 5.3.22): 'waiting' once more, then revoked */
        if (++t->polls < 2) {
            a->waiting = 1;
        } else {
            a->revs[0].status = CMP_SRV_ACCEPTED;
        }
        ca->callbacks_ok++;
        return 1;
    }
    if (t == NULL || !t->wait || num != 1 || a->num_certs != 1) {
        return FAIL_BIT(err, CMP_FI_BAD_REQUEST, "nothing to poll for");
    }
    if (++t->polls < 2) {
        a->waiting = 1;
        a->check_after = 0;
        ca->callbacks_ok++;
        return 1;
    }
    p = t->public_key_der.p;
    pub = d2i_PUBKEY(NULL, &p, (long)t->public_key_der.len);
    if (pub == NULL) {
        return FAIL(err, CMP_E_CRYPTO, "test CA: the kept key");
    }
    a->certs[0].cert = issue(ca, t->subject, pub);
    a->certs[0].status.status = CMP_SRV_ACCEPTED;
    EVP_PKEY_free(pub);
    ca->callbacks_ok++;
    return 1;
}

static int
ca_cert_conf(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_conf *confs,
             size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct ca *ca = arg;
    size_t i;

    (void)a;
    if (!seen(ca, call, &ca->confs, err)) {
        return 0;
    }
    ca->last_num_confs = num;
    for (i = 0; i < num; i++) {
        if (confs[i].cert == NULL) {
            return FAIL(err, CMP_E_ARG, "certConf without its certificate");
        }
        if (confs[i].accepted) {
            ca->confs_accepted++;
        } else {
            ca->confs_rejected++;
        }
    }
    ca->callbacks_ok++;
    return 1;
}

static int
ca_revoke(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_rev_req *reqs,
          size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct ca *ca = arg;
    size_t i;

    if (!seen(ca, call, &ca->revokes, err)) {
        return 0;
    }
    for (i = 0; i < num; i++) {
        const unsigned char *p = reqs[i].issuer.p;
        X509_NAME *issuer = reqs[i].issuer.len > 0
                                ? d2i_X509_NAME(NULL, &p, (long)reqs[i].issuer.len)
                                : NULL;

        if (issuer == NULL || X509_NAME_cmp(issuer, ca->name) != 0 || reqs[i].serial.len == 0) {
            a->revs[i].status = CMP_SRV_REJECTION;
            a->revs[i].fail_info = 1u << CMP_FI_BAD_CERT_ID;
        } else if (ca->revokes >= 2) {
            /* the second revocation is delayed: the answer comes after polling */
            a->waiting = 1;
            a->check_after = 0;
        } else {
            a->revs[i].status = CMP_SRV_ACCEPTED;
        }
        X509_NAME_free(issuer);
    }
    a->rev_cert_ids = 1;
    ca->callbacks_ok++;
    return 1;
}

static int
ca_general(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_itav *itavs,
           size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    /* SEQUENCE { AlgorithmIdentifier { id-ecPublicKey } } */
    static const uint8_t value[] = {0x30, 0x0B, 0x30, 0x09, 0x06, 0x07, 0x2A, 0x86,
                                    0x48, 0xCE, 0x3D, 0x02, 0x01};
    struct ca *ca = arg;

    ca->last_num_itavs = num;
    ca->last_tls_cert = call->tls_client_cert;
    if (!seen(ca, call, &ca->generals, err)) {
        return 0;
    }
    if (num != 1) {
        return FAIL_BIT(err, CMP_FI_BAD_REQUEST, "one InfoType, please");
    }
    ca->genp[0].type = itavs[0].type; /* lives until the response is made */
    ca->genp[0].value.p = value;
    ca->genp[0].value.len = sizeof(value);
    a->itavs = ca->genp;
    a->num_itavs = 1;
    ca->callbacks_ok++;
    return 1;
}

static int
ca_commit(void *arg, const struct cmp_srv_call *call, int ok, struct cmp_err *err)
{
    struct ca *ca = arg;
    struct ca_txn *t = call->txn_data != NULL ? *call->txn_data : NULL;

    if (!ok) {
        ca->commits_failed++;
        return 1;
    }
    if (t != NULL && t->fail_commit) {
        return FAIL(err, CMP_E_IO, "the test CA's store said no");
    }
    ca->commits_ok++;
    return 1;
}

static void
ca_txn_free(void *arg, void *data)
{
    struct ca *ca = arg;
    struct ca_txn *t = data;

    ca->txn_frees++;
    X509_NAME_free(t->subject);
    free(t);
}

static void
ca_free(void *arg)
{
    struct ca *ca = arg;

    ca->freed++;
}

/* ---- setting up ---- */

static EVP_PKEY *
new_key(void)
{
    return EVP_EC_gen("P-256");
}

static X509_NAME *
name_cn(const char *cn)
{
    X509_NAME *n = X509_NAME_new();

    if (n != NULL &&
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0)) {
        X509_NAME_free(n);
        n = NULL;
    }
    return n;
}

static struct cmp_srv *
new_engine(struct ca *ca)
{
    struct cmp_srv_responder rs;
    struct cmp_srv_config c;
    struct cmp_err err;
    struct cmp_srv *srv;

    memset(&rs, 0, sizeof(rs));
    rs.arg = ca;
    rs.cert_request = ca_cert_request;
    rs.poll = ca_poll;
    rs.cert_conf = ca_cert_conf;
    rs.revoke = ca_revoke;
    rs.general = ca_general;
    rs.commit = ca_commit;
    rs.txn_free = ca_txn_free;
    rs.free = ca_free;
    cmp_srv_config_init(&c);
    c.secret = g_secret;
    c.secret_len = sizeof(g_secret) - 1;
    c.ref = g_ref;
    c.responder = &rs;
    cmp_err_init(&err);
    srv = cmp_srv_new(&c, &err);
    if (srv == NULL) {
        fprintf(stderr, "cmp_srv_new: %s\n", err.msg);
    }
    return srv;
}

/* A client with the shared secret, talking to |srv|, asking for |cn| with |key|. */
static struct cmp_ctx *
new_client(struct cmp_srv *srv, const char *cn, EVP_PKEY *key)
{
    struct cmp_ctx *ctx = cmp_ctx_new();
    X509_NAME *subject = name_cn(cn);
    struct cmp_err err;
    int ok;

    cmp_err_init(&err);
    ok = ctx != NULL && subject != NULL &&
         cmp_ctx_set1_secret(ctx, g_secret, sizeof(g_secret) - 1) &&
         cmp_ctx_set1_ref(ctx, (const uint8_t *)g_ref, strlen(g_ref)) &&
         cmp_ctx_set1_subject(ctx, subject) && cmp_ctx_set1_newkey(ctx, key);
    X509_NAME_free(subject);
    if (ok) {
        struct cmp_transfer *t = cmp_transfer_inproc_new(srv, &err);

        ok = t != NULL;
        cmp_ctx_set0_transfer(ctx, t);
    }
    if (!ok) {
        cmp_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

/* The new certificate: issued by the CA, for |key| and CN |cn|. */
static int
issued_ok(struct ca *ca, const struct cmp_ctx *ctx, EVP_PKEY *key, const char *cn)
{
    X509 *x = cmp_ctx_get0_newcert(ctx);
    char buf[64];

    return x != NULL && X509_verify(x, ca->key) == 1 && EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1 &&
           strcmp(cn_of(X509_get_subject_name(x), buf, sizeof(buf)), cn) == 0 &&
           X509_NAME_cmp(X509_get_issuer_name(x), ca->name) == 0;
}

static void
print_error(const char *what, const struct cmp_ctx *ctx)
{
    char buf[1024];

    fprintf(stderr, "  %s: %s\n", what, cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf)));
}

/* ---- the transactions ---- */

static void
test_transactions(void)
{
    struct ca ca;
    struct cmp_srv *srv;
    struct cmp_ctx *ctx;
    EVP_PKEY *key = new_key(), *key2 = new_key();
    X509 *first = NULL;
    char text[512];
    int i, before;

    memset(&ca, 0, sizeof(ca));
    ca.key = new_key();
    ca.name = name_cn("cmpkit test responder CA");
    ca.next_serial = 1;
    if (!CHECK(key != NULL && key2 != NULL && ca.key != NULL && ca.name != NULL)) {
        goto out;
    }
    srv = new_engine(&ca);
    if (!CHECK(srv != NULL)) {
        goto out;
    }

    /* ir: issued, confirmed by certConf (the client did not ask for implicit confirmation) */
    ctx = new_client(srv, "device-1", key);
    if (CHECK(ctx != NULL) && !CHECK(cmp_exec(ctx, CMP_CMD_IR))) {
        print_error("ir", ctx);
    }
    CHECK(issued_ok(&ca, ctx, key, "device-1"));
    CHECK(ca.cert_requests == 1 && ca.confs == 1 && ca.confs_accepted == 1);
    CHECK(ca.last_popo == CMP_SRV_POPO_OK && ca.last_first_type == CMP_BODY_IR &&
          ca.last_auth == CMP_SRV_AUTH_MAC);
    if (cmp_ctx_get0_newcert(ctx) != NULL && X509_up_ref(cmp_ctx_get0_newcert(ctx))) {
        first = cmp_ctx_get0_newcert(ctx);
    }
    cmp_ctx_free(ctx);

    /* cr with implicit confirmation asked and granted: no certConf */
    ctx = new_client(srv, "device-2", key);
    before = ca.confs;
    if (CHECK(ctx != NULL && cmp_ctx_set_option(ctx, CMP_OPT_IMPLICIT_CONFIRM, 1)) &&
        !CHECK(cmp_exec(ctx, CMP_CMD_CR))) {
        print_error("cr", ctx);
    }
    CHECK(issued_ok(&ca, ctx, key, "device-2") && ca.confs == before);
    cmp_ctx_free(ctx);

    /* a rejection with its bit and text, as the client reports it */
    ctx = new_client(srv, "reject-me", key);
    if (CHECK(ctx != NULL)) {
        CHECK(!cmp_exec(ctx, CMP_CMD_IR));
        CHECK(cmp_ctx_get_status(ctx) == CMP_SRV_REJECTION &&
              cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_BAD_CERT_TEMPLATE));
        CHECK(strstr(cmp_ctx_status_text(ctx, text, sizeof(text)),
                     "the test CA rejects this subject") != NULL);
        CHECK(cmp_ctx_get0_newcert(ctx) == NULL);
    }
    cmp_ctx_free(ctx);

    /* a callback that refuses: an error message with its bit and text */
    ctx = new_client(srv, "refuse-me", key);
    if (CHECK(ctx != NULL)) {
        CHECK(!cmp_exec(ctx, CMP_CMD_IR));
        CHECK(cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_NOT_AUTHORIZED));
        CHECK(strstr(cmp_ctx_status_text(ctx, text, sizeof(text)), "not allowed here") != NULL);
    }
    cmp_ctx_free(ctx);

    /* 'waiting', two pollReqs, then the certificate and certConf */
    ctx = new_client(srv, "wait", key2);
    before = ca.confs;
    if (CHECK(ctx != NULL) && !CHECK(cmp_exec(ctx, CMP_CMD_IR))) {
        print_error("ir with polling", ctx);
    }
    CHECK(issued_ok(&ca, ctx, key2, "wait") && ca.polls == 2 && ca.confs == before + 1);
    cmp_ctx_free(ctx);

    /* p10cr: the CSR's subject and key */
    ctx = new_client(srv, "unused", key);
    if (CHECK(ctx != NULL)) {
        X509_REQ *csr = X509_REQ_new();
        X509_NAME *n = name_cn("from-csr");

        if (CHECK(csr != NULL && n != NULL && X509_REQ_set_subject_name(csr, n) &&
                  X509_REQ_set_pubkey(csr, key2) && X509_REQ_sign(csr, key2, EVP_sha256()) > 0 &&
                  cmp_ctx_set1_csr(ctx, csr)) &&
            !CHECK(cmp_exec(ctx, CMP_CMD_P10CR))) {
            print_error("p10cr", ctx);
        }
        CHECK(issued_ok(&ca, ctx, key2, "from-csr") && ca.last_body_type == CMP_BODY_P10CR);
        X509_NAME_free(n);
        X509_REQ_free(csr);
    }
    cmp_ctx_free(ctx);

    /* kur: the oldCertID names the first certificate */
    ctx = new_client(srv, "device-1", key2);
    if (CHECK(ctx != NULL && first != NULL && cmp_ctx_set1_oldcert(ctx, first)) &&
        !CHECK(cmp_exec(ctx, CMP_CMD_KUR))) {
        print_error("kur", ctx);
    }
    CHECK(issued_ok(&ca, ctx, key2, "device-1") && ca.kur_old_cert_ok &&
          ca.last_first_type == CMP_BODY_KUR &&
          ca.last_old_serial == ASN1_INTEGER_get(X509_get0_serialNumber(first)));
    cmp_ctx_free(ctx);

    /* rr: revoked, and the rp names the certificate (revCerts) */
    ctx = new_client(srv, "device-1", key);
    if (CHECK(ctx != NULL && first != NULL && cmp_ctx_set1_oldcert(ctx, first)) &&
        !CHECK(cmp_exec(ctx, CMP_CMD_RR))) {
        print_error("rr", ctx);
    }
    CHECK(ca.revokes == 1 && cmp_ctx_get_status(ctx) == CMP_SRV_ACCEPTED);
    /*
     * the second rr is delayed: an error message with status 'waiting' (RFC
     * 9810 5.3.22), then the client polls: 'waiting' again, then the rp
     */
    before = ca.polls;
    if (!CHECK(cmp_exec(ctx, CMP_CMD_RR))) {
        print_error("delayed rr", ctx);
    }
    CHECK(cmp_ctx_get_status(ctx) == CMP_SRV_ACCEPTED && ca.polls == before + 2);
    cmp_ctx_free(ctx);

    /* genm: the genp carries the responder's ITAV */
    ctx = new_client(srv, "device-1", key);
    if (CHECK(ctx != NULL && cmp_ctx_set1_infotype(ctx, "signKeyPairTypes")) &&
        !CHECK(cmp_exec(ctx, CMP_CMD_GENM))) {
        print_error("genm", ctx);
    }
    if (CHECK(ca.generals == 1 && ca.last_num_itavs == 1 && cmp_ctx_num_genp_itavs(ctx) == 1)) {
        const uint8_t *oid, *value;
        size_t oid_len, value_len;

        CHECK(cmp_ctx_get0_genp_itav(ctx, 0, &oid, &oid_len, &value, &value_len) &&
              oid_len == 8 && value_len == 13 && value[0] == 0x30);
    }
    cmp_ctx_free(ctx);

    /* a commit that fails: the client gets systemFailure instead of the certificate */
    ctx = new_client(srv, "no-commit", key);
    before = ca.commits_ok;
    if (CHECK(ctx != NULL)) {
        CHECK(!cmp_exec(ctx, CMP_CMD_IR));
        CHECK(cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_SYSTEM_FAILURE));
        CHECK(cmp_ctx_get0_newcert(ctx) == NULL && ca.commits_ok == before);
    }
    cmp_ctx_free(ctx);

    /* every answer was committed; none left to roll back */
    CHECK(ca.commits_ok == ca.callbacks_ok - 1 && ca.commits_failed == 0);

    /* every transaction ended, and every pointer went back */
    CHECK(ca.txn_allocs > 0 && ca.txn_frees == ca.txn_allocs);
    cmp_srv_free(srv);
    CHECK(ca.txn_frees == ca.txn_allocs && ca.freed == 1);

out:
    for (i = 0; i < ca.num_issued; i++) {
        X509_free(ca.issued[i]);
    }
    X509_free(first);
    EVP_PKEY_free(key);
    EVP_PKEY_free(key2);
    EVP_PKEY_free(ca.key);
    X509_NAME_free(ca.name);
}

/* Result |i| of |ctx|: its certReqId, status and bits, and a certificate for |key| and |cn| (NULL: none). */
static int
result_is(struct ca *ca, const struct cmp_ctx *ctx, size_t i, int status, uint32_t bits,
          EVP_PKEY *key, const char *cn, const char *text_part)
{
    int64_t id = -2;
    int st = -2;
    uint32_t fi = 0;
    X509 *x = NULL;
    const char *text = NULL;
    char buf[64];

    if (!cmp_ctx_get0_cert_result(ctx, i, &id, &st, &fi, &x, &text) || id != (int64_t)i ||
        st != status || fi != bits || (text_part != NULL && strstr(text, text_part) == NULL)) {
        fprintf(stderr, "  result #%zu: certReqId %lld, status %d, bits %#x, \"%s\"\n", i,
                (long long)id, st, (unsigned)fi, text != NULL ? text : "");
        return 0;
    }
    if (cn == NULL) {
        return x == NULL;
    }
    return x != NULL && X509_verify(x, ca->key) == 1 &&
           EVP_PKEY_eq(X509_get0_pubkey(x), key) == 1 &&
           strcmp(cn_of(X509_get_subject_name(x), buf, sizeof(buf)), cn) == 0;
}

/*
 * Several certificates in one ir (RFC 9810 5.3.1, 5.3.4, 5.3.18): each
 * CertReqMsg gets its own CertResponse; one certConf lists each
 * certificate sent, accepted or rejected by the client.
 */
static void
test_several(void)
{
    struct ca ca;
    struct cmp_srv *srv = NULL;
    struct cmp_ctx *ctx;
    EVP_PKEY *k0 = new_key(), *k1 = new_key(), *k2 = new_key();
    X509_NAME *n1 = name_cn("reject-me"), *n2 = name_cn("device-c"), *nw = name_cn("wrong-key");
    int i;

    memset(&ca, 0, sizeof(ca));
    ca.key = new_key();
    ca.name = name_cn("cmpkit test responder CA");
    ca.next_serial = 100;
    if (!CHECK(k0 != NULL && k1 != NULL && k2 != NULL && n1 != NULL && n2 != NULL && nw != NULL &&
               ca.key != NULL && ca.name != NULL) ||
        !CHECK((srv = new_engine(&ca)) != NULL)) {
        goto out;
    }

    /* three requests, the CA rejects the second: the first and third are confirmed */
    ctx = new_client(srv, "device-a", k0);
    if (CHECK(ctx != NULL && cmp_ctx_add1_request(ctx, n1, k1) &&
              cmp_ctx_add1_request(ctx, n2, k2))) {
        CHECK(!cmp_exec(ctx, CMP_CMD_IR));
        CHECK(ca.cert_requests == 1 && ca.last_num_reqs == 3);
        CHECK(cmp_ctx_num_cert_results(ctx) == 3);
        CHECK(result_is(&ca, ctx, 0, CMP_SRV_ACCEPTED, 0, k0, "device-a", NULL));
        CHECK(result_is(&ca, ctx, 1, CMP_SRV_REJECTION, 1u << CMP_FI_BAD_CERT_TEMPLATE, NULL, NULL,
                        "the test CA rejects this subject"));
        CHECK(result_is(&ca, ctx, 2, CMP_SRV_ACCEPTED, 0, k2, "device-c", NULL));
        CHECK(ca.confs == 1 && ca.last_num_confs == 2 && ca.confs_accepted == 2 &&
              ca.confs_rejected == 0);
        /* the first request's certificate, the status of the one that failed */
        CHECK(issued_ok(&ca, ctx, k0, "device-a"));
        CHECK(cmp_ctx_get_status(ctx) == CMP_SRV_REJECTION &&
              cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_BAD_CERT_TEMPLATE));
        CHECK(strstr(cmp_ctx_error(ctx)->msg, "1 of 3 certificate requests failed") != NULL);
    }
    cmp_ctx_free(ctx);

    /* a certificate for another key: the client's certConf rejects it and accepts the others */
    ctx = new_client(srv, "device-a", k0);
    if (CHECK(ctx != NULL && cmp_ctx_add1_request(ctx, nw, k1) &&
              cmp_ctx_add1_request(ctx, n2, NULL))) {
        CHECK(!cmp_exec(ctx, CMP_CMD_CR));
        CHECK(ca.confs == 2 && ca.last_num_confs == 3 && ca.confs_accepted == 4 &&
              ca.confs_rejected == 1);
        CHECK(result_is(&ca, ctx, 0, CMP_SRV_ACCEPTED, 0, k0, "device-a", NULL));
        CHECK(result_is(&ca, ctx, 1, CMP_SRV_ACCEPTED, 0, NULL, NULL,
                        "public key in new certificate does not match"));
        /* no key given: the first request's */
        CHECK(result_is(&ca, ctx, 2, CMP_SRV_ACCEPTED, 0, k0, "device-c", NULL));
        CHECK(cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_INCORRECT_DATA));
    }
    cmp_ctx_free(ctx);

    /* all granted: success, and implicit confirmation covers all of them */
    ctx = new_client(srv, "device-a", k0);
    if (CHECK(ctx != NULL && cmp_ctx_add1_request(ctx, n2, k2) &&
              cmp_ctx_set_option(ctx, CMP_OPT_IMPLICIT_CONFIRM, 1))) {
        CHECK(cmp_exec(ctx, CMP_CMD_IR));
        CHECK(ca.confs == 2 && cmp_ctx_num_cert_results(ctx) == 2);
        CHECK(result_is(&ca, ctx, 0, CMP_SRV_ACCEPTED, 0, k0, "device-a", NULL));
        CHECK(result_is(&ca, ctx, 1, CMP_SRV_ACCEPTED, 0, k2, "device-c", NULL));
        /* kur updates one certificate: further requests are refused before anything is sent */
        CHECK(!cmp_exec(ctx, CMP_CMD_KUR) && ca.cert_requests == 3);
        /* central key generation and encrypted certificates: for the first request alone */
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_POPO, -1) && !cmp_exec(ctx, CMP_CMD_IR) &&
              cmp_ctx_error(ctx)->code == CMP_E_ARG &&
              strstr(cmp_ctx_error(ctx)->msg, "central key generation") != NULL &&
              ca.cert_requests == 3);
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_POPO, 2) && !cmp_exec(ctx, CMP_CMD_CR) &&
              cmp_ctx_error(ctx)->code == CMP_E_ARG &&
              strstr(cmp_ctx_error(ctx)->msg, "encrypted certificate") != NULL &&
              ca.cert_requests == 3);
        CHECK(cmp_ctx_set_option(ctx, CMP_OPT_POPO, 1));
        /* the limit of further requests */
        cmp_ctx_clear_requests(ctx);
        for (i = 0; i < CMP_MAX_EXTRA_REQUESTS; i++) {
            CHECK(cmp_ctx_add1_request(ctx, NULL, NULL));
        }
        CHECK(!cmp_ctx_add1_request(ctx, NULL, NULL) &&
              cmp_ctx_error(ctx)->code == CMP_E_LIMIT);
    }
    cmp_ctx_free(ctx);

out:
    cmp_srv_free(srv);
    for (i = 0; i < ca.num_issued; i++) {
        X509_free(ca.issued[i]);
    }
    EVP_PKEY_free(k0);
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    X509_NAME_free(n1);
    X509_NAME_free(n2);
    X509_NAME_free(nw);
    EVP_PKEY_free(ca.key);
    X509_NAME_free(ca.name);
}

/* A responder without callbacks: every request is refused, the engine keeps serving. */
static void
test_empty_responder(void)
{
    struct cmp_srv_responder rs;
    struct cmp_srv_config c;
    struct cmp_srv *srv;
    struct cmp_ctx *ctx;
    struct cmp_err err;
    EVP_PKEY *key = new_key();

    memset(&rs, 0, sizeof(rs));
    cmp_srv_config_init(&c);
    c.secret = g_secret;
    c.secret_len = sizeof(g_secret) - 1;
    c.ref = g_ref;
    c.responder = &rs;
    cmp_err_init(&err);
    srv = cmp_srv_new(&c, &err);
    if (!CHECK(srv != NULL && key != NULL)) {
        EVP_PKEY_free(key);
        return;
    }
    ctx = new_client(srv, "nobody", key);
    if (CHECK(ctx != NULL)) {
        CHECK(!cmp_exec(ctx, CMP_CMD_IR) &&
              cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_BAD_REQUEST));
        CHECK(!cmp_exec(ctx, CMP_CMD_GENM) &&
              cmp_ctx_get_failinfo(ctx) == (1u << CMP_FI_BAD_REQUEST));
    }
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
    EVP_PKEY_free(key);
}

/* A transfer as an HTTPS listener with a client certificate: cmp_srv_handle_peer(). */
struct peer_transfer {
    struct cmp_srv *srv;
    struct cmp_srv_peer peer;
};

static int
peer_exchange(void *arg, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
              size_t *rsp_len, struct cmp_err *err)
{
    struct peer_transfer *pt = arg;
    struct cmp_srv_outcome out;

    (void)timeout_ms;
    if (!cmp_srv_handle_peer(pt->srv, &pt->peer, req, req_len, rsp, rsp_len, &out)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "the engine could not answer");
    }
    return out.authenticated ? 1 : CMP_FAIL(err, CMP_E_INVALID, "not authenticated");
}

/* genm with |peer|: what the responder saw as call->tls_client_cert (1 if the genm passed). */
static int
genm_from(struct cmp_srv *srv, struct peer_transfer *pt, EVP_PKEY *key)
{
    struct cmp_ctx *ctx = new_client(srv, "tls-peer", key);
    struct cmp_transfer *t = calloc(1, sizeof(*t));
    int ok = 0;

    if (ctx != NULL && t != NULL) {
        t->exchange = peer_exchange;
        t->ctx = pt;
        cmp_ctx_set0_transfer(ctx, t); /* replaces (frees) the in-process one */
        t = NULL;
        ok = cmp_ctx_set1_infotype(ctx, "signKeyPairTypes") && cmp_exec(ctx, CMP_CMD_GENM);
        if (!ok) {
            print_error("genm with a TLS peer", ctx);
        }
    }
    free(t);
    cmp_ctx_free(ctx);
    return ok;
}

/*
 * The TLS client certificate a listener passes with cmp_srv_handle_peer()
 * reaches the responder as call->tls_client_cert (RFC 9811 3.5); none
 * without it, and none with cmp_srv_handle_ex() (the in-process transfer).
 */
static void
test_tls_peer(void)
{
    struct ca ca;
    struct peer_transfer pt;
    EVP_PKEY *key = new_key();
    X509 *cert = X509_new();
    X509_NAME *n = name_cn("tls client");

    memset(&ca, 0, sizeof(ca));
    memset(&pt, 0, sizeof(pt));
    pt.srv = new_engine(&ca);
    if (!CHECK(pt.srv != NULL && key != NULL && cert != NULL && n != NULL &&
               X509_set_subject_name(cert, n) && X509_set_pubkey(cert, key))) {
        goto out;
    }
    pt.peer.tls_client_cert = cert;
    ca.last_tls_cert = NULL;
    CHECK(genm_from(pt.srv, &pt, key) && ca.generals == 1 && ca.last_tls_cert == cert);
    pt.peer.tls_client_cert = NULL;
    CHECK(genm_from(pt.srv, &pt, key) && ca.generals == 2 && ca.last_tls_cert == NULL);
    /* cmp_srv_handle_peer() without a peer, as cmp_srv_handle_ex() */
    {
        struct cmp_ctx *ctx = new_client(pt.srv, "in-process", key);

        ca.last_tls_cert = cert;
        CHECK(ctx != NULL && cmp_ctx_set1_infotype(ctx, "signKeyPairTypes") &&
              cmp_exec(ctx, CMP_CMD_GENM) && ca.generals == 3 && ca.last_tls_cert == NULL);
        cmp_ctx_free(ctx);
    }
out:
    cmp_srv_free(pt.srv);
    X509_NAME_free(n);
    X509_free(cert);
    EVP_PKEY_free(key);
}

int
main(void)
{
    test_transactions();
    test_several();
    test_empty_responder();
    test_tls_peer();
    return check_finish();
}
