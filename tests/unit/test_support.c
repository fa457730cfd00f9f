/*
 * Tests for the support messages of the client (lib/client/support*.c)
 * against the server engine in the same process: the mock's answers
 * (lib/server/mock_support.c) to caCerts, rootCaCert, crlStatusList and
 * certReqTemplate, and a responder of this test that answers with what a
 * client must refuse: forged root CA updates (CVE-2026-42769), an end
 * entity among the CA certificates, a CRL not newer than the client's, a
 * template with a public key, a genp without the type asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "cmpkit/client.h"
#include "cmpkit/server.h"
#include "msg/msg.h"
#include "pki_test_util.h"

static const uint8_t g_secret[] = "support-secret";
static const char g_ref[] = "support";

static EVP_PKEY *k_old, *k_new, *k_evil, *k_ee;
static X509 *old_root, *new_root, *new_with_old, *old_with_new, *ee, *ee_dp, *other_ee;
static X509 *evil_root, *evil_with_old;
static X509_CRL *crl_older, *crl_newer;

static int
make_pki(void)
{
    k_old = EVP_EC_gen("P-256");
    k_new = EVP_EC_gen("P-256");
    k_evil = EVP_EC_gen("P-256");
    k_ee = EVP_EC_gen("P-256");
    if (k_old == NULL || k_new == NULL || k_evil == NULL || k_ee == NULL) {
        return 0;
    }
    old_root = cert("Root CA", k_old, "Root CA", k_old, NULL, 1);
    new_root = cert("Root CA", k_new, "Root CA", k_new, NULL, 1);
    new_with_old = cert("Root CA", k_new, "Root CA", k_old, old_root, 1);
    old_with_new = cert("Root CA", k_old, "Root CA", k_new, new_root, 1);
    ee = cert("EE", k_ee, "Root CA", k_old, old_root, 0);
    other_ee = cert("Other EE", k_ee, "Other CA", k_evil, NULL, 0);
    evil_root = cert("Root CA", k_evil, "Root CA", k_evil, NULL, 1);
    /* issued and signed by the attacker, naming the old root as issuer */
    evil_with_old = cert("Root CA", k_evil, "Root CA", k_evil, old_root, 1);
    crl_older = make_crl("Root CA", -2 * DAY, k_old);
    crl_newer = make_crl("Root CA", -60, k_old);
    if (ee != NULL) {
        /* a CRL distribution point: the CRLStatus names it instead of the issuer */
        ee_dp = X509_dup(ee);
        if (ee_dp == NULL ||
            !add_ext(ee_dp, old_root, NID_crl_distribution_points, "URI:http://crl.example/r") ||
            X509_sign(ee_dp, k_old, EVP_sha256()) <= 0) {
            return 0;
        }
    }
    return old_root != NULL && new_root != NULL && new_with_old != NULL && old_with_new != NULL &&
           ee != NULL && other_ee != NULL && evil_root != NULL && evil_with_old != NULL &&
           crl_older != NULL && crl_newer != NULL;
}

/* ---- the engines ---- */

/* A mock server with these support answers (NULL: none). */
static struct cmp_srv *
mock(X509 *nwn, X509 *nwo, X509 *own, X509_CRL *crl, STACK_OF(X509) * capubs)
{
    struct cmp_srv_config c;
    struct cmp_err err;
    struct cmp_srv *srv;

    cmp_srv_config_init(&c);
    c.ref = g_ref;
    c.secret = g_secret;
    c.secret_len = sizeof(g_secret) - 1;
    c.rsp_cert = ee;
    c.rsp_capubs = capubs;
    c.rsp_newwithnew = nwn;
    c.rsp_newwithold = nwo;
    c.rsp_oldwithnew = own;
    c.rsp_crl = crl;
    cmp_err_init(&err);
    srv = cmp_srv_new(&c, &err);
    if (srv == NULL) {
        fprintf(stderr, "cmp_srv_new: %s\n", err.msg);
    }
    return srv;
}

/* The test's own responder: a genp with the one ITAV set here. */
static struct cmp_srv_itav g_answer;
static uint8_t g_answer_buf[4096];

static int
answer_general(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_itav *itavs,
               size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    (void)arg;
    (void)call;
    (void)itavs;
    (void)num;
    (void)err;
    a->itavs = &g_answer;
    a->num_itavs = 1;
    return 1;
}

static struct cmp_srv *
answering(void)
{
    struct cmp_srv_responder rs;
    struct cmp_srv_config c;
    struct cmp_err err;

    memset(&rs, 0, sizeof(rs));
    rs.general = answer_general;
    cmp_srv_config_init(&c);
    c.ref = g_ref;
    c.secret = g_secret;
    c.secret_len = sizeof(g_secret) - 1;
    c.responder = &rs;
    cmp_err_init(&err);
    return cmp_srv_new(&c, &err);
}

/* g_answer: type |nid|, value the DER SEQUENCE OF |certs| or of |crls| (none: no value). */
static int
set_answer(int nid, X509 *const *certs, size_t num_certs, X509_CRL *const *crls, size_t num_crls)
{
    struct der_in oid = cmp_oid(nid);
    struct der_out out;
    uint8_t *der = NULL;
    size_t len = 0, mark, i;
    int ok;

    g_answer.type.p = oid.p;
    g_answer.type.len = oid.len;
    g_answer.value.p = NULL;
    g_answer.value.len = 0;
    if (num_certs + num_crls == 0) {
        return 1;
    }
    der_out_init(&out, sizeof(g_answer_buf));
    ok = der_open(&out, DER_SEQUENCE, &mark);
    for (i = 0; ok && i < num_certs + num_crls; i++) {
        unsigned char *p = NULL;
        int n = i < num_certs ? i2d_X509(certs[i], &p) : i2d_X509_CRL(crls[i - num_certs], &p);

        ok = n > 0 && der_put_raw(&out, p, (size_t)n);
        OPENSSL_free(p);
    }
    ok = ok && der_close(&out, mark) && der_out_finish(&out, &der, &len) &&
         len <= sizeof(g_answer_buf);
    der_out_cleanup(&out);
    if (ok) {
        memcpy(g_answer_buf, der, len);
        g_answer.value.p = g_answer_buf;
        g_answer.value.len = len;
    }
    free(der);
    return ok;
}

static struct cmp_ctx *
client(struct cmp_srv *srv)
{
    struct cmp_ctx *ctx = cmp_ctx_new();
    X509_STORE *trusted = X509_STORE_new();
    struct cmp_err err;
    struct cmp_transfer *t;
    int ok;

    cmp_err_init(&err);
    ok = ctx != NULL && trusted != NULL && srv != NULL && X509_STORE_add_cert(trusted, old_root) &&
         cmp_ctx_set1_secret(ctx, g_secret, sizeof(g_secret) - 1) &&
         cmp_ctx_set1_ref(ctx, (const uint8_t *)g_ref, strlen(g_ref)) &&
         cmp_ctx_set1_trusted(ctx, trusted) && (t = cmp_transfer_inproc_new(srv, &err)) != NULL;
    X509_STORE_free(trusted);
    if (!ok) {
        cmp_ctx_free(ctx);
        return NULL;
    }
    cmp_ctx_set0_transfer(ctx, t);
    return ctx;
}

static int
failed_with(const char *name, struct cmp_ctx *ctx, const char *text)
{
    char buf[2048];

    cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf));
    if (strstr(buf, text) == NULL) {
        fprintf(stderr, "%s: expected \"%s\" in: %s\n", name, text, buf);
        return 0;
    }
    return 1;
}

/* ---- the mock's answers ---- */

static void
test_ca_certs(void)
{
    STACK_OF(X509) *capubs = sk_X509_new_null(), *got = NULL;
    struct cmp_srv *srv = NULL, *none = mock(NULL, NULL, NULL, NULL, NULL);
    struct cmp_ctx *ctx = NULL;

    if (CHECK(capubs != NULL && sk_X509_push(capubs, old_root))) {
        srv = mock(NULL, NULL, NULL, NULL, capubs);
    }
    ctx = client(srv);
    if (CHECK(ctx != NULL) && CHECK(cmp_get1_ca_certs(ctx, &got))) {
        CHECK(sk_X509_num(got) == 1 && X509_cmp(sk_X509_value(got, 0), old_root) == 0);
    }
    sk_X509_pop_free(got, X509_free);
    got = NULL;
    cmp_ctx_free(ctx);
    /* a server without any: success, nothing */
    ctx = client(none);
    CHECK(ctx != NULL && cmp_get1_ca_certs(ctx, &got) && got == NULL);
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
    cmp_srv_free(none);
    sk_X509_free(capubs);
}

static void
test_root_update(void)
{
    struct cmp_srv *srv = mock(new_root, new_with_old, old_with_new, NULL, NULL);
    struct cmp_ctx *ctx = client(srv);
    X509 *nwn = NULL, *nwo = NULL, *own = NULL;

    /* with -oldwithold: all three, checked */
    if (CHECK(ctx != NULL) && CHECK(cmp_get1_root_ca_update(ctx, old_root, &nwn, &nwo, &own))) {
        CHECK(nwn != NULL && X509_cmp(nwn, new_root) == 0);
        CHECK(nwo != NULL && X509_cmp(nwo, new_with_old) == 0);
        CHECK(own != NULL && X509_cmp(own, old_with_new) == 0);
    }
    X509_free(nwn);
    X509_free(nwo);
    X509_free(own);
    nwn = nwo = own = NULL;
    /* with -trusted only */
    CHECK(ctx != NULL && cmp_get1_root_ca_update(ctx, NULL, &nwn, NULL, NULL) && nwn != NULL);
    X509_free(nwn);
    nwn = NULL;
    /* a root of another subject: the mock has no update for it */
    CHECK(ctx != NULL && cmp_get1_root_ca_update(ctx, ee, &nwn, &nwo, &own) && nwn == NULL &&
          nwo == NULL && own == NULL);
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);

    /* no -rsp_newwithnew: no update */
    srv = mock(NULL, NULL, NULL, NULL, NULL);
    ctx = client(srv);
    CHECK(ctx != NULL && cmp_get1_root_ca_update(ctx, old_root, &nwn, NULL, NULL) && nwn == NULL);
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
}

/* Forged updates from a server (or an RA on the path): refused, nothing returned. */
static void
test_forged_root_update(void)
{
    static const struct {
        const char *name;
        int nwn, nwo, anchor; /* indexes into certs[] below; -1: none */
        const char *text;
    } rows[] = {
        {"attacker root, newWithOld made by the attacker", 0, 1, 0, "newWithOld"},
        {"attacker root, newWithOld made by the attacker, -trusted", 0, 1, -1, "newWithOld"},
        {"attacker root, genuine newWithOld of another key", 0, 2, 0, "does not certify"},
        {"attacker root, no newWithOld", 0, -1, 0, "newWithOld is missing"},
        {"genuine root, newWithOld of the attacker", 3, 1, 0, "does not certify"},
        {"old root as newWithOld", 0, 4, 0, "does not certify"},
    };
    X509 *certs[] = {evil_root, evil_with_old, new_with_old, new_root, old_root};
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cmp_srv *srv = mock(certs[rows[i].nwn], rows[i].nwo >= 0 ? certs[rows[i].nwo] : NULL,
                                   NULL, NULL, NULL);
        struct cmp_ctx *ctx = client(srv);
        X509 *nwn = NULL, *nwo = NULL, *own = NULL;

        if (!CHECK_CASE(rows[i].name, ctx != NULL)) {
            cmp_srv_free(srv);
            continue;
        }
        CHECK_CASE(rows[i].name, !cmp_get1_root_ca_update(
                                     ctx, rows[i].anchor >= 0 ? old_root : NULL, &nwn, &nwo, &own));
        CHECK_CASE(rows[i].name, nwn == NULL && nwo == NULL && own == NULL);
        CHECK_CASE(rows[i].name, failed_with(rows[i].name, ctx, rows[i].text));
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }
}

static void
test_crl_update(void)
{
    struct cmp_srv *srv = mock(NULL, NULL, NULL, crl_newer, NULL);
    struct cmp_ctx *ctx = client(srv);
    X509_CRL *crl = NULL;

    if (!CHECK(ctx != NULL)) {
        cmp_srv_free(srv);
        return;
    }
    /* the issuer of -crlcert */
    if (CHECK(cmp_get1_crl_update(ctx, ee, NULL, &crl))) {
        CHECK(crl != NULL && X509_CRL_cmp(crl, crl_newer) == 0);
    }
    X509_CRL_free(crl);
    crl = NULL;
    /* a distribution point of -crlcert */
    CHECK(cmp_get1_crl_update(ctx, ee_dp, NULL, &crl) && crl != NULL);
    X509_CRL_free(crl);
    crl = NULL;
    /* an older -oldcrl: the newer one */
    CHECK(cmp_get1_crl_update(ctx, NULL, crl_older, &crl) && crl != NULL &&
          X509_CRL_cmp(crl, crl_newer) == 0);
    X509_CRL_free(crl);
    crl = NULL;
    /* the newest already: none */
    CHECK(cmp_get1_crl_update(ctx, ee, crl_newer, &crl) && crl == NULL);
    /* another issuer: the mock refuses */
    CHECK(!cmp_get1_crl_update(ctx, other_ee, NULL, &crl) && crl == NULL &&
          failed_with("other issuer", ctx, "unknown CRL issuer"));
    /* nothing to name the source */
    CHECK(!cmp_get1_crl_update(ctx, NULL, NULL, &crl) && cmp_ctx_error(ctx)->code == CMP_E_ARG);
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
}

static void
test_template(void)
{
    struct cmp_srv *srv = mock(NULL, NULL, NULL, NULL, NULL);
    struct cmp_ctx *ctx = client(srv);
    uint8_t *tmpl = NULL, *spec = NULL;
    size_t tmpl_len = 0, spec_len = 0;

    if (CHECK(ctx != NULL) &&
        CHECK(cmp_get1_cert_req_template(ctx, &tmpl, &tmpl_len, &spec, &spec_len))) {
        struct cmp_cert_template t;
        struct cmp_itavs ks;
        struct der_in in = der_in_make(tmpl, tmpl_len);
        unsigned char *issuer = NULL;
        int n = i2d_X509_NAME(X509_get_issuer_name(ee), &issuer);
        struct cmp_err err;

        memset(&t, 0, sizeof(t));
        memset(&ks, 0, sizeof(ks));
        cmp_err_init(&err);
        /* the issuer of -rsp_cert, as openssl's mock */
        CHECK(cmp_cert_template_decode(&in, &t, &err) && der_done(&in) && t.has_issuer && n > 0 &&
              t.issuer.len == (size_t)n && memcmp(t.issuer.p, issuer, (size_t)n) == 0);
        in = der_in_make(spec, spec_len);
        CHECK(cmp_itavs_decode(&in, DER_SEQUENCE, 1, &ks, &err) && ks.num == 2 &&
              cmp_oid_is(&ks.items[0].type, CMP_NID_REG_CTRL_ALG_ID) &&
              cmp_oid_is(&ks.items[1].type, CMP_NID_REG_CTRL_RSA_KEY_LEN));
        cmp_itavs_cleanup(&ks);
        OPENSSL_free(issuer);
    }
    free(tmpl);
    free(spec);
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
}

/* ---- answers to refuse ---- */

static void
test_refusals(void)
{
    struct cmp_srv *srv = answering();
    struct cmp_ctx *ctx = client(srv);
    STACK_OF(X509) *got = NULL;
    X509 *certs[2] = {old_root, ee};
    X509_CRL *crl = NULL;
    uint8_t *tmpl = NULL;
    size_t tmpl_len = 0;

    if (!CHECK(ctx != NULL)) {
        cmp_srv_free(srv);
        return;
    }
    /* an end entity among the CA certificates */
    CHECK(set_answer(CMP_NID_IT_CA_CERTS, certs, 2, NULL, 0));
    CHECK(!cmp_get1_ca_certs(ctx, &got) && got == NULL &&
          failed_with("EE in caCerts", ctx, "caCerts[1] is not a CA certificate"));
    /* the answer of another type */
    CHECK(set_answer(CMP_NID_IT_CRLS, NULL, 0, &crl_newer, 1));
    CHECK(!cmp_get1_ca_certs(ctx, &got) && failed_with("wrong type", ctx, "id-it-caCerts"));
    /* a CRL that is not newer than the one we have */
    CHECK(!cmp_get1_crl_update(ctx, NULL, crl_newer, &crl) && crl == NULL &&
          failed_with("old CRL", ctx, "not more recent"));
    /* the CRL of another issuer */
    CHECK(!cmp_get1_crl_update(ctx, other_ee, NULL, &crl) &&
          failed_with("CRL of another issuer", ctx, "issuer"));
    /* two CRLs for one CRLStatus */
    {
        X509_CRL *two[2] = {crl_newer, crl_newer};

        CHECK(set_answer(CMP_NID_IT_CRLS, NULL, 0, two, 2));
        CHECK(!cmp_get1_crl_update(ctx, ee, NULL, &crl) && failed_with("two CRLs", ctx, "2 CRLs"));
    }
    /* a template with a public key (RFC 9810 5.3.19.16: MUST NOT) */
    {
        static const uint8_t t[] = {0x30, 0x0E, 0x30, 0x0C, 0xA6, 0x0A, 0x30, 0x05,
                                    0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x01, 0x00};
        struct der_in oid = cmp_oid(CMP_NID_IT_CERT_REQ_TEMPLATE);

        g_answer.type.p = oid.p;
        g_answer.type.len = oid.len;
        g_answer.value.p = t;
        g_answer.value.len = sizeof(t);
        CHECK(!cmp_get1_cert_req_template(ctx, &tmpl, &tmpl_len, NULL, NULL) && tmpl == NULL &&
              failed_with("template with publicKey", ctx, "publicKey"));
    }
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
}

int
main(void)
{
    if (CHECK(make_pki())) {
        test_ca_certs();
        test_root_update();
        test_forged_root_update();
        test_crl_update();
        test_template();
        test_refusals();
    }
    X509_free(old_root);
    X509_free(new_root);
    X509_free(new_with_old);
    X509_free(old_with_new);
    X509_free(ee);
    X509_free(ee_dp);
    X509_free(other_ee);
    X509_free(evil_root);
    X509_free(evil_with_old);
    X509_CRL_free(crl_older);
    X509_CRL_free(crl_newer);
    EVP_PKEY_free(k_old);
    EVP_PKEY_free(k_new);
    EVP_PKEY_free(k_evil);
    EVP_PKEY_free(k_ee);
    return check_finish();
}
