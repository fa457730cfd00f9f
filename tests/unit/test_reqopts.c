/*
 * Unit tests for lib/client/reqopts.c and for the options of openssl cmp
 * 3.2 to 3.6 end to end, in-process against the server engine with the
 * mock responder (always run, no network):
 *
 *   -geninfo lists (int: and str:, syntax errors), -profile (and the
 *   mock's certProfile check), -issuer with -serial for rr (and the mock's
 *   -ref_cert), the validated server certificate of -srvcertout,
 *   -no_cache_extracerts (client and engine), -reqout_only, delayed
 *   delivery of every response type (-poll_count: ir, rr, genm, certConf),
 *   certConf with hashAlg and pvno 3 for EdDSA certificates, and the
 *   recipNonce rule of a final response after polling (lib/verify).
 *
 * Usage: test_reqopts GENERATED-VECTORS-DIR (exits 77 without it)
 * With TEST_REQOPTS_VERBOSE set, prints the client's and server's logs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "cmpkit/client.h"
#include "cmpkit/server.h"
#include "cmpkit/transfer.h"
#include "msg/msg.h"
#include "msg/oids.h"
#include "verify/verify.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_MSGS 16

static char g_pki[1024];
static char g_secret[256], g_ref[64];
static X509 *g_root, *g_server, *g_client, *g_ee;
static EVP_PKEY *g_server_key, *g_client_key, *g_ee_key;
static X509_STORE *g_store_root;
static int g_verbose;

/* ---- set-up ---- */

static int
read_line(const char *dir, const char *name, char *buf, size_t cap)
{
    uint8_t *p = NULL;
    size_t len = 0;

    if (!check_read_file(dir, name, &p, &len)) {
        return 0;
    }
    while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r')) {
        len--;
    }
    if (len >= cap) {
        free(p);
        return 0;
    }
    memcpy(buf, p, len);
    buf[len] = '\0';
    free(p);
    return 1;
}

static int
load_all(const char *dir)
{
    snprintf(g_pki, sizeof(g_pki), "%s/pki", dir);
    if (!read_line(dir, "secret.txt", g_secret, sizeof(g_secret)) ||
        !read_line(dir, "ref.txt", g_ref, sizeof(g_ref))) {
        return 0;
    }
    g_root = check_load_cert(g_pki, "root.crt");
    g_server = check_load_cert(g_pki, "server.crt");
    g_client = check_load_cert(g_pki, "client.crt");
    g_ee = check_load_cert(g_pki, "ee.crt");
    g_server_key = check_load_key(g_pki, "server.key");
    g_client_key = check_load_key(g_pki, "client.key");
    g_ee_key = check_load_key(g_pki, "ee.key");
    g_store_root = X509_STORE_new();
    return g_root != NULL && g_server != NULL && g_client != NULL && g_ee != NULL &&
           g_server_key != NULL && g_client_key != NULL && g_ee_key != NULL &&
           g_store_root != NULL && X509_STORE_add_cert(g_store_root, g_root) == 1;
}

static void
log_line(void *arg, int level, const char *line)
{
    if (g_verbose) {
        fprintf(stderr, "  %s %d: %s\n", (const char *)arg, level, line);
    }
}

/* The mock as gen_vectors.sh's servers run it; the caller changes what it tests. */
static void
base_config(struct cmp_srv_config *c)
{
    cmp_srv_config_init(c);
    c->ref = g_ref;
    c->secret = (const uint8_t *)g_secret;
    c->secret_len = strlen(g_secret);
    c->cert = g_server;
    c->key = g_server_key;
    c->trusted = g_store_root;
    c->rsp_cert = g_ee;
    c->log = log_line;
    c->log_arg = (void *)"server";
    c->verbosity = CMP_SRV_LOG_DEBUG;
}

static struct cmp_srv *
new_engine(const struct cmp_srv_config *c)
{
    struct cmp_err err;
    struct cmp_srv *srv;
    char buf[512];

    cmp_err_init(&err);
    srv = cmp_srv_new(c, &err);
    if (srv == NULL) {
        fprintf(stderr, "cmp_srv_new: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
    }
    return srv;
}

/* ---- a transfer that keeps every message of a transaction ---- */

struct capture {
    struct cmp_transfer *inner; /* NULL: nothing may be sent */
    int num;
    uint8_t *req[MAX_MSGS], *rsp[MAX_MSGS];
    size_t req_len[MAX_MSGS], rsp_len[MAX_MSGS];
};

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n > 0 ? n : 1);

    if (d != NULL && n > 0) {
        memcpy(d, p, n);
    }
    return d;
}

static int
capture_exchange(void *arg, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
                 size_t *rsp_len, struct cmp_err *err)
{
    struct capture *c = arg;
    int i = c->num;

    if (c->inner == NULL) {
        return CMP_FAIL(err, CMP_E_IO, "test: no server");
    }
    if (!cmp_transfer_exchange(c->inner, req, req_len, timeout_ms, rsp, rsp_len, err)) {
        return 0;
    }
    if (i < MAX_MSGS) {
        c->req[i] = dup_bytes(req, req_len);
        c->req_len[i] = req_len;
        c->rsp[i] = dup_bytes(*rsp, *rsp_len);
        c->rsp_len[i] = *rsp_len;
        c->num++;
    }
    return 1;
}

static void
capture_reset(struct capture *c)
{
    int i;

    for (i = 0; i < c->num; i++) {
        free(c->req[i]);
        free(c->rsp[i]);
        c->req[i] = c->rsp[i] = NULL;
    }
    c->num = 0;
}

static void
capture_free(void *arg)
{
    struct capture *c = arg;

    capture_reset(c);
    cmp_transfer_free(c->inner);
    free(c);
}

/*
 * A client with PBM (|sig|: signatures with client.crt) talking to |srv|
 * through a capture, |*cap| borrowed from it. |srv| NULL: no transfer at all.
 */
static struct cmp_ctx *
new_client(struct cmp_srv *srv, int sig, struct capture **cap)
{
    struct cmp_ctx *ctx = cmp_ctx_new();
    struct cmp_transfer *t = NULL;
    struct capture *c = NULL;
    struct cmp_err err;
    X509_NAME *subject = NULL, *recipient = NULL;
    int ok;

    cmp_err_init(&err);
    *cap = NULL;
    if (ctx == NULL) {
        return NULL;
    }
    cmp_ctx_set_log_cb(ctx, log_line, (void *)"client", CMP_LOG_DEBUG);
    if (srv != NULL) {
        c = calloc(1, sizeof(*c));
        t = calloc(1, sizeof(*t));
        if (c == NULL || t == NULL || (c->inner = cmp_transfer_inproc_new(srv, &err)) == NULL) {
            free(c);
            free(t);
            cmp_ctx_free(ctx);
            return NULL;
        }
        t->exchange = capture_exchange;
        t->free = capture_free;
        t->ctx = c;
        cmp_ctx_set0_transfer(ctx, t);
        *cap = c;
    }
    subject = cmp_name_parse("/CN=cmpkit Test EE", &err);
    recipient = cmp_name_parse("/CN=cmpkit Test CMP Server", &err);
    ok = subject != NULL && recipient != NULL && cmp_ctx_set1_subject(ctx, subject) &&
         cmp_ctx_set1_recipient(ctx, recipient) && cmp_ctx_set1_newkey(ctx, g_ee_key) &&
         cmp_ctx_set1_trusted(ctx, g_store_root);
    if (ok && sig) {
        ok = cmp_ctx_set1_cert(ctx, g_client) && cmp_ctx_set1_key(ctx, g_client_key);
    } else if (ok) {
        ok = cmp_ctx_set1_secret(ctx, (const uint8_t *)g_secret, strlen(g_secret)) &&
             cmp_ctx_set1_ref(ctx, (const uint8_t *)g_ref, strlen(g_ref));
    }
    X509_NAME_free(subject);
    X509_NAME_free(recipient);
    if (!ok) {
        cmp_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

static void
print_error(const char *what, const struct cmp_ctx *ctx)
{
    char buf[2048];

    fprintf(stderr, "  %s: %s\n", what, cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf)));
}

static struct cmp_msg *
decode(const uint8_t *p, size_t len)
{
    struct cmp_msg *m = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!cmp_msg_decode(&m, p, len, &err)) {
        cmp_msg_free(m);
        return NULL;
    }
    return m;
}

/* The body type of the |i|-th request (rsp 0) or response (rsp 1) captured; -1 if none. */
static int
type_of(const struct capture *c, int i, int rsp)
{
    struct cmp_msg *m;
    int t;

    if (c == NULL || i >= c->num) {
        return -1;
    }
    m = rsp ? decode(c->rsp[i], c->rsp_len[i]) : decode(c->req[i], c->req_len[i]);
    t = m != NULL ? m->body.type : -1;
    cmp_msg_free(m);
    return t;
}

/* ---- 1. -geninfo lists ---- */

static void
test_geninfo_text(void)
{
    static const struct {
        const char *name, *text;
        int ok;
        size_t num;     /* ITAVs added */
        const char *v0; /* hex of the first value, or NULL */
        const char *v1; /* hex of the second value, or NULL */
    } rows[] = {
        {"int", "1.3:int:987", 1, 1, "020203DB", NULL},
        {"negative int", "1.2.3.4:int:-1", 1, 1, "0201FF", NULL},
        {"str", "id-kp:str:name", 1, 1, "0C046E616D65", NULL},
        {"empty str", "id-kp:str:", 1, 1, "0C00", NULL},
        {"str and int", "id-kp:str:name, 1.3:int:987", 1, 2, "0C046E616D65", "020203DB"},
        {"case, blanks", "  1.2.3:INT:5,\t1.2.4:Str:a b", 1, 2, "020105", "0C036120 62"},
        {"trailing comma", "1.2.3:int:5,", 1, 1, "020105", NULL},
        {"unknown OID warns only", "1.33:int:987", 1, 1, "020203DB", NULL},
        {"leading '.'", ".1.2.3:int:987", 0, 0, NULL, NULL},
        {"bad arc", "1.333:int:987", 0, 0, NULL, NULL},
        {"bad name", "id-kp_:int:987", 0, 0, NULL, NULL},
        {"no ':'", "1.2.3", 0, 0, NULL, NULL},
        {"bad type", "1.2.3:xyz:987", 0, 0, NULL, NULL},
        {"int987", "1.2.3:int987", 0, 0, NULL, NULL},
        {"double ':'", "1.2.3:int::987", 0, 0, NULL, NULL},
        {"extra char", "1.2.3:int:987@", 0, 0, NULL, NULL},
        {"too big", "1.2.3:int:99999999999999999999", 0, 0, NULL, NULL},
        {"second bad: nothing added", "1.2.3:int:1, 1.2.4:int:x", 0, 0, NULL, NULL},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_srv_config cfg;
        struct cmp_srv *srv;
        struct capture *cap;
        struct cmp_ctx *ctx;
        int ok;

        base_config(&cfg);
        srv = new_engine(&cfg);
        ctx = srv != NULL ? new_client(srv, 0, &cap) : NULL;
        if (!CHECK_CASE(rows[i].name, ctx != NULL)) {
            cmp_srv_free(srv);
            continue;
        }
        ok = cmp_ctx_add1_geninfo_text(ctx, rows[i].text);
        CHECK_CASE(rows[i].name, ok == rows[i].ok);
        if (!ok && rows[i].ok) {
            print_error(rows[i].name, ctx);
        }
        /* the ITAVs go into every request; a genm shows them */
        if (CHECK_CASE(rows[i].name, cmp_exec(ctx, CMP_CMD_GENM) && cap->num == 1)) {
            struct cmp_msg *m = decode(cap->req[0], cap->req_len[0]);
            const struct cmp_header *h = m != NULL ? &m->hdr : NULL;
            size_t n = h != NULL && h->has_general_info ? h->general_info.num : 0;
            const char *want[2];
            size_t k;

            want[0] = rows[i].v0;
            want[1] = rows[i].v1;
            CHECK_CASE(rows[i].name, n == rows[i].num);
            for (k = 0; k < n && k < 2; k++) {
                uint8_t buf[64];
                size_t len = 0;
                const struct cmp_itav *it = &h->general_info.items[k];

                CHECK_CASE(rows[i].name, want[k] != NULL && check_unhex(want[k], buf, sizeof(buf),
                                                                        &len) &&
                                             it->has_value);
                CHECK_MEM(rows[i].name, it->value.p, it->value.len, buf, len);
            }
            cmp_msg_free(m);
        }
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }
}

/* ---- 2. -profile, and the mock's certProfile check ---- */

static void
test_profile(void)
{
    static const struct {
        const char *name, *profile, *geninfo;
        int cmd, implicit, ok;
    } rows[] = {
        {"cr profile1", "profile1", NULL, CMP_CMD_CR, 0, 1},
        {"cr profile2 refused", "profile2", NULL, CMP_CMD_CR, 0, 0},
        {"ir profile2 (only cr is checked)", "profile2", NULL, CMP_CMD_IR, 0, 1},
        {"order: geninfo, profile, implicitConfirm", "profile1", "1.2.3:int:7", CMP_CMD_CR, 1, 1},
    };
    /* SEQUENCE { UTF8String "profile1" } */
    static const uint8_t profile1[] = {0x30, 0x0A, 0x0C, 0x08, 'p', 'r', 'o', 'f', 'i', 'l', 'e', '1'};
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        const char *name = rows[i].name;
        struct cmp_srv_config cfg;
        struct cmp_srv *srv;
        struct capture *cap;
        struct cmp_ctx *ctx;
        struct cmp_msg *m;
        int ok;

        base_config(&cfg);
        srv = new_engine(&cfg);
        ctx = srv != NULL ? new_client(srv, 1, &cap) : NULL;
        if (!CHECK_CASE(name, ctx != NULL && cmp_ctx_set1_profile(ctx, rows[i].profile) &&
                                  (rows[i].geninfo == NULL ||
                                   cmp_ctx_add1_geninfo_text(ctx, rows[i].geninfo)) &&
                                  cmp_ctx_set_option(ctx, CMP_OPT_IMPLICIT_CONFIRM,
                                                     rows[i].implicit))) {
            cmp_ctx_free(ctx);
            cmp_srv_free(srv);
            continue;
        }
        ok = cmp_exec(ctx, rows[i].cmd);
        if (!CHECK_CASE(name, ok == rows[i].ok)) {
            print_error(name, ctx);
        }
        if (!rows[i].ok) {
            CHECK_CASE(name, type_of(cap, 0, 1) == CMP_BODY_ERROR &&
                                 cmp_ctx_get_failinfo(ctx) == 1u << CMP_FI_BAD_CERT_TEMPLATE);
        }
        m = cap->num > 0 ? decode(cap->req[0], cap->req_len[0]) : NULL;
        if (CHECK_CASE(name, m != NULL && m->hdr.has_general_info)) {
            const struct cmp_itavs *gi = &m->hdr.general_info;
            size_t at = rows[i].geninfo != NULL ? 1 : 0;

            CHECK_CASE(name, gi->num == at + 1 + (size_t)rows[i].implicit);
            if (CHECK_CASE(name, gi->num > at)) {
                CHECK_CASE(name, cmp_oid_is(&gi->items[at].type, CMP_NID_IT_CERT_PROFILE));
                if (strcmp(rows[i].profile, "profile1") == 0) {
                    CHECK_MEM(name, gi->items[at].value.p, gi->items[at].value.len, profile1,
                              sizeof(profile1));
                }
            }
            if (rows[i].implicit && gi->num > at + 1) {
                CHECK_CASE(name,
                           cmp_oid_is(&gi->items[at + 1].type, CMP_NID_IT_IMPLICIT_CONFIRM));
            }
        }
        cmp_msg_free(m);
        /* and in the certConf too, as openssl cmp 3.6 puts it into every request */
        if (rows[i].ok && !rows[i].implicit && CHECK_CASE(name, cap->num == 2)) {
            m = decode(cap->req[1], cap->req_len[1]);
            CHECK_CASE(name, m != NULL && m->body.type == CMP_BODY_CERTCONF &&
                                 m->hdr.has_general_info && m->hdr.general_info.num == 1);
            cmp_msg_free(m);
        }
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }
}

/* ---- 3. -issuer with -serial for rr; the mock's -ref_cert ---- */

static ASN1_INTEGER *
serial_of(X509 *x, int delta)
{
    ASN1_INTEGER *a = ASN1_INTEGER_dup(X509_get0_serialNumber(x));
    BIGNUM *bn = a != NULL ? ASN1_INTEGER_to_BN(a, NULL) : NULL;

    if (bn == NULL || (delta != 0 && !BN_add_word(bn, (BN_ULONG)delta)) ||
        BN_to_ASN1_INTEGER(bn, a) == NULL) {
        ASN1_INTEGER_free(a);
        a = NULL;
    }
    BN_free(bn);
    return a;
}

static void
test_serial_rr(void)
{
    static const struct {
        const char *name;
        int ref_cert_client; /* the mock's -ref_cert: client.crt (else -rsp_cert ee.crt) */
        int of_client;       /* -issuer/-serial of client.crt (else of ee.crt) */
        int serial_delta;
        int oldcert;         /* -oldcert too (ignored then) */
        int ok, fail_bit;
    } rows[] = {
        {"ee by issuer and serial", 0, 0, 0, 0, 1, -1},
        {"wrong serial", 0, 0, 1, 0, 0, CMP_FI_BAD_CERT_ID},
        {"-ref_cert client.crt", 1, 1, 0, 0, 1, -1},
        {"-ref_cert client.crt, ee refused", 1, 0, 0, 0, 0, CMP_FI_BAD_CERT_ID},
        {"-oldcert ignored", 0, 0, 0, 1, 1, -1},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        const char *name = rows[i].name;
        X509 *target = rows[i].of_client ? g_client : g_ee;
        ASN1_INTEGER *sn = serial_of(target, rows[i].serial_delta);
        struct cmp_srv_config cfg;
        struct cmp_srv *srv;
        struct capture *cap = NULL;
        struct cmp_ctx *ctx;
        struct cmp_msg *m;

        base_config(&cfg);
        if (rows[i].ref_cert_client) {
            cfg.ref_cert = g_client;
        }
        srv = new_engine(&cfg);
        ctx = srv != NULL ? new_client(srv, 0, &cap) : NULL;
        if (!CHECK_CASE(name, ctx != NULL && sn != NULL &&
                                  cmp_ctx_set1_issuer(ctx, X509_get_issuer_name(target)) &&
                                  cmp_ctx_set1_serial(ctx, sn) &&
                                  (!rows[i].oldcert || cmp_ctx_set1_oldcert(ctx, g_client)))) {
            goto next;
        }
        if (!CHECK_CASE(name, cmp_exec(ctx, CMP_CMD_RR) == rows[i].ok)) {
            print_error(name, ctx);
        }
        if (rows[i].fail_bit >= 0) {
            CHECK_CASE(name, cmp_ctx_get_failinfo(ctx) == 1u << rows[i].fail_bit);
        }
        m = cap->num > 0 ? decode(cap->req[0], cap->req_len[0]) : NULL;
        if (CHECK_CASE(name, m != NULL && m->body.type == CMP_BODY_RR && m->body.u.rr.num == 1)) {
            const struct cmp_cert_template *t = &m->body.u.rr.items[0].cert_details;
            unsigned char *der = NULL;
            int len = i2d_ASN1_INTEGER(sn, &der);

            /* RFC 9483 4.2: issuer and serialNumber, nothing else */
            CHECK_CASE(name, t->has_issuer && t->has_serial && !t->has_subject &&
                                 !t->has_public_key && len > 2);
            if (len > 2) {
                CHECK_MEM(name, t->serial.p, t->serial.len, der + 2, (size_t)len - 2);
            }
            OPENSSL_free(der);
        }
        cmp_msg_free(m);
    next:
        ASN1_INTEGER_free(sn);
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }

    /* -serial without -issuer: there is nothing to revoke (with no -oldcert, no -csr) */
    {
        struct capture *cap;
        struct cmp_ctx *ctx = new_client(NULL, 0, &cap);
        ASN1_INTEGER *sn = serial_of(g_ee, 0);

        CHECK(ctx != NULL && sn != NULL && cmp_ctx_set1_serial(ctx, sn) &&
              cmp_ctx_set1_reqout_only(ctx, "/nonexistent/never-written"));
        CHECK(ctx != NULL && !cmp_exec(ctx, CMP_CMD_RR) &&
              strstr(cmp_ctx_error(ctx)->msg, "-serial") != NULL);
        ASN1_INTEGER_free(sn);
        cmp_ctx_free(ctx);
    }
}

/* ---- 4. -srvcertout's certificate; -no_cache_extracerts ---- */

static void
test_srvcert_and_cache(void)
{
    struct cmp_srv_config cfg;
    struct cmp_srv *srv;
    struct capture *cap;
    struct cmp_ctx *ctx;
    X509_STORE *out_trusted = X509_STORE_new();
    int k;

    CHECK(out_trusted != NULL && X509_STORE_add_cert(out_trusted, g_root) == 1);
    base_config(&cfg);
    cfg.rsp_extracerts = NULL;
    srv = new_engine(&cfg);
    if (!CHECK(srv != NULL)) {
        X509_STORE_free(out_trusted);
        return;
    }
    /* signed responses: the server certificate; MAC-based: none */
    ctx = new_client(srv, 1, &cap);
    CHECK(ctx != NULL && cmp_exec(ctx, CMP_CMD_GENM));
    CHECK(ctx != NULL && cmp_ctx_get0_validated_srvcert(ctx) != NULL &&
          X509_cmp(cmp_ctx_get0_validated_srvcert(ctx), g_server) == 0);
    cmp_ctx_free(ctx);
    ctx = new_client(srv, 0, &cap);
    CHECK(ctx != NULL && cmp_exec(ctx, CMP_CMD_GENM) &&
          cmp_ctx_get0_validated_srvcert(ctx) == NULL);
    cmp_ctx_free(ctx);

    /*
     * ee.crt, issued by server.crt, validates with -out_trusted root.crt
     * thanks to the server certificate in the extraCerts of the signed ip.
     * With -no_cache_extracerts too: RFC 9810 5.1 has a response's
     * extraCerts help with its own new certificate (openssl cmp 3.6 then
     * rejects it; it uses the cached ones only). Its chain has it as well.
     */
    for (k = 0; k < 2; k++) {
        const char *name = k ? "no_cache_extracerts" : "extraCerts cached";
        STACK_OF(X509) *chain;

        ctx = new_client(srv, 1, &cap);
        if (!CHECK_CASE(name, ctx != NULL && cmp_ctx_set1_out_trusted(ctx, out_trusted) &&
                                  cmp_ctx_set_option(ctx, CMP_OPT_NO_CACHE_EXTRACERTS, k))) {
            cmp_ctx_free(ctx);
            continue;
        }
        if (!CHECK_CASE(name, cmp_exec(ctx, CMP_CMD_IR))) {
            print_error(name, ctx);
        }
        chain = cmp_ctx_get0_newchain(ctx);
        CHECK_CASE(name, sk_X509_num(chain) == 1 && X509_cmp(sk_X509_value(chain, 0), g_server) == 0);
        cmp_ctx_free(ctx);
    }
    cmp_srv_free(srv);
    X509_STORE_free(out_trusted);

    /*
     * The engine: a genm signed by ee.crt brings server.crt in its
     * extraCerts; the engine learns it for later requests. With
     * -no_cache_extracerts it still keeps the signer's validated chain, as
     * openssl 3.3+'s mock caches its sender (data-master's row "using
     * centrally generated key (and cert) without giving chain (requires
     * sender cert caching)"), so the same signer gets through again.
     */
    for (k = 0; k < 2; k++) {
        const char *name = k ? "engine no_cache_extracerts" : "engine learns";
        STACK_OF(X509) *chain = sk_X509_new_null();
        struct cmp_ctx *c2;
        int ok;

        base_config(&cfg);
        cfg.secret = NULL;
        cfg.secret_len = 0;
        cfg.no_cache_extracerts = k;
        srv = new_engine(&cfg);
        ctx = srv != NULL ? new_client(srv, 1, &cap) : NULL;
        ok = ctx != NULL && chain != NULL && sk_X509_push(chain, g_server) &&
             X509_up_ref(g_server) && cmp_ctx_set1_cert(ctx, g_ee) &&
             cmp_ctx_set1_key(ctx, g_ee_key) && cmp_ctx_set1_untrusted(ctx, chain);
        if (!CHECK_CASE(name, ok)) {
            sk_X509_free(chain);
            cmp_ctx_free(ctx);
            cmp_srv_free(srv);
            continue;
        }
        CHECK_CASE(name, cmp_exec(ctx, CMP_CMD_GENM));
        c2 = new_client(srv, 1, &cap);
        ok = c2 != NULL && cmp_ctx_set1_cert(c2, g_ee) && cmp_ctx_set1_key(c2, g_ee_key);
        CHECK_CASE(name, ok && cmp_exec(c2, CMP_CMD_GENM));
        sk_X509_pop_free(chain, X509_free);
        cmp_ctx_free(c2);
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }
}

/* ---- 5. -reqout_only ---- */

static void
test_reqout_only(void)
{
    char path[] = "/tmp/test_reqopts_XXXXXX";
    struct cmp_srv_config cfg;
    struct cmp_srv *srv;
    struct capture *cap;
    struct cmp_ctx *ctx;
    int fd = mkstemp(path), k;

    if (!CHECK(fd >= 0)) {
        return;
    }
    close(fd);
    base_config(&cfg);
    srv = new_engine(&cfg);
    /* without a transfer, and with one that must stay unused */
    for (k = 0; k < 2; k++) {
        uint8_t *p = NULL;
        size_t len = 0;
        struct cmp_msg *m;

        ctx = new_client(k ? srv : NULL, 0, &cap);
        if (!CHECK(ctx != NULL && cmp_ctx_set1_reqout_only(ctx, path))) {
            cmp_ctx_free(ctx);
            continue;
        }
        if (!CHECK(cmp_exec(ctx, CMP_CMD_IR))) {
            print_error("-reqout_only", ctx);
        }
        CHECK(cmp_ctx_reqout_only_done(ctx) && cmp_ctx_get_status(ctx) == -1 &&
              cmp_ctx_get0_newcert(ctx) == NULL && (cap == NULL || cap->num == 0));
        m = check_read_file("", path, &p, &len) ? decode(p, len) : NULL;
        CHECK(m != NULL && m->body.type == CMP_BODY_IR && m->has_protection);
        cmp_msg_free(m);
        free(p);
        /* a second transaction with the option off sends as usual */
        if (k) {
            CHECK(cmp_ctx_set1_reqout_only(ctx, NULL) && cmp_exec(ctx, CMP_CMD_IR) &&
                  !cmp_ctx_reqout_only_done(ctx) && cap->num == 2);
        }
        cmp_ctx_free(ctx);
    }
    /* a file that cannot be written: the exec fails */
    ctx = new_client(NULL, 0, &cap);
    CHECK(ctx != NULL && cmp_ctx_set1_reqout_only(ctx, "/nonexistent-dir/ir.der") &&
          !cmp_exec(ctx, CMP_CMD_IR) && !cmp_ctx_reqout_only_done(ctx));
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
    unlink(path);
}

/* ---- 6. delayed delivery of every response type ---- */

static void
test_delayed(void)
{
    static const struct {
        const char *name;
        int cmd, poll_count, send_error, ok;
        int exchanges;
        int types[10]; /* the responses, in order */
    } rows[] = {
        {"ir: certificate, then pkiConf",
         CMP_CMD_IR,
         2,
         0,
         1,
         6,
         {CMP_BODY_IP, CMP_BODY_POLLREP, CMP_BODY_IP, CMP_BODY_ERROR, CMP_BODY_POLLREP,
          CMP_BODY_PKICONF}},
        {"rr", CMP_CMD_RR, 2, 0, 1, 3, {CMP_BODY_ERROR, CMP_BODY_POLLREP, CMP_BODY_RP}},
        {"genm", CMP_CMD_GENM, 1, 0, 1, 2, {CMP_BODY_ERROR, CMP_BODY_GENP}},
        {"genm, -send_error after polling",
         CMP_CMD_GENM,
         2,
         1,
         0,
         3,
         {CMP_BODY_ERROR, CMP_BODY_POLLREP, CMP_BODY_ERROR}},
    };
    size_t i;
    int k;

    for (i = 0; i < NROWS(rows); i++) {
        const char *name = rows[i].name;
        struct cmp_srv_config cfg;
        struct cmp_srv *srv;
        struct capture *cap;
        struct cmp_ctx *ctx;

        base_config(&cfg);
        cfg.poll_count = rows[i].poll_count;
        cfg.check_after = 0;
        cfg.send_error = rows[i].send_error;
        srv = new_engine(&cfg);
        ctx = srv != NULL ? new_client(srv, 1, &cap) : NULL;
        if (!CHECK_CASE(name, ctx != NULL && cmp_ctx_set1_oldcert(ctx, g_ee) &&
                                  cmp_ctx_set1_infotype(ctx, "signKeyPairTypes"))) {
            cmp_ctx_free(ctx);
            cmp_srv_free(srv);
            continue;
        }
        if (!CHECK_CASE(name, cmp_exec(ctx, rows[i].cmd) == rows[i].ok)) {
            print_error(name, ctx);
        }
        CHECK_CASE(name, cap->num == rows[i].exchanges);
        for (k = 0; k < cap->num && k < 10; k++) {
            if (!CHECK_CASE(name, type_of(cap, k, 1) == rows[i].types[k])) {
                fprintf(stderr, "  response #%d is %s\n", k, cmp_body_type_name(type_of(cap, k, 1)));
            }
            if (type_of(cap, k, 0) == CMP_BODY_POLLREQ) {
                /* RFC 9810 5.3.22: -1 for a whole message, else the certReqId 0 */
                struct cmp_msg *m = decode(cap->req[k], cap->req_len[k]);
                int prev = type_of(cap, k - 1, 1);
                int whole = prev == CMP_BODY_ERROR ||
                            (prev == CMP_BODY_POLLREP && rows[i].cmd != CMP_CMD_IR) ||
                            (rows[i].cmd == CMP_CMD_IR && k > 2);

                CHECK_CASE(name, m != NULL && m->body.u.poll_req.num == 1 &&
                                     m->body.u.poll_req.cert_req_ids[0] == (whole ? -1 : 0));
                cmp_msg_free(m);
            }
        }
        if (rows[i].cmd == CMP_CMD_RR && rows[i].ok) {
            CHECK_CASE(name, cmp_ctx_get_status(ctx) == 0);
        }
        if (rows[i].cmd == CMP_CMD_GENM && rows[i].ok) {
            /* a genp has no status: the 'waiting' of the error message is over */
            CHECK_CASE(name, cmp_ctx_get_status(ctx) == -1 && cmp_ctx_num_genp_itavs(ctx) == 1);
        }
        if (rows[i].cmd == CMP_CMD_IR && rows[i].ok) {
            CHECK_CASE(name, cmp_ctx_get0_newcert(ctx) != NULL);
        }
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
    }
}

/*
 * lib/verify: while polling, a final response may carry the senderNonce of
 * the request that got 'waiting' (RFC 9483 4.4), a pollRep never.
 */
static void
test_first_nonce(void)
{
    static const uint8_t other[16] = {1, 2, 3};
    struct cmp_srv_config cfg;
    struct cmp_srv *srv;
    struct capture *cap;
    struct cmp_ctx *ctx;
    int k;

    base_config(&cfg);
    cfg.poll_count = 2;
    cfg.check_after = 0;
    srv = new_engine(&cfg);
    ctx = srv != NULL ? new_client(srv, 0, &cap) : NULL;
    if (!CHECK(ctx != NULL && cmp_ctx_set1_oldcert(ctx, g_ee) && cmp_exec(ctx, CMP_CMD_RR) &&
               cap->num == 3)) {
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
        return;
    }
    /* responses 1 (pollRep) and 2 (rp); their recipNonce is the last pollReq's senderNonce */
    for (k = 1; k <= 2; k++) {
        struct cmp_msg *rsp = decode(cap->rsp[k], cap->rsp_len[k]);
        struct cmp_vfy_opts o;
        struct cmp_err err;

        if (!CHECK(rsp != NULL && rsp->hdr.has_recip_nonce)) {
            cmp_msg_free(rsp);
            continue;
        }
        memset(&o, 0, sizeof(o));
        o.secret = (const uint8_t *)g_secret;
        o.secret_len = strlen(g_secret);
        o.last_sender_nonce = der_in_make(other, sizeof(other));
        o.first_sender_nonce = rsp->hdr.recip_nonce;
        cmp_err_init(&err);
        CHECK(cmp_vfy_msg(&o, rsp, NULL, &err) == (rsp->body.type != CMP_BODY_POLLREP));
        CHECK(rsp->body.type != CMP_BODY_POLLREP || err.failure_bit == CMP_FI_BAD_RECIPIENT_NONCE);
        o.first_sender_nonce = DER_IN_EMPTY;
        cmp_err_init(&err);
        CHECK(!cmp_vfy_msg(&o, rsp, NULL, &err) && err.failure_bit == CMP_FI_BAD_RECIPIENT_NONCE);
        cmp_msg_free(rsp);
    }
    cmp_ctx_free(ctx);
    cmp_srv_free(srv);
}

/* ---- 7. certConf with hashAlg and pvno 3 (RFC 9810 5.3.18) ---- */

static int
self_signed(const char *alg, X509 **cert, EVP_PKEY **key)
{
    X509_NAME *n = X509_NAME_new();
    int ok;

    int ec = strcmp(alg, "EC") == 0;

    *cert = X509_new();
    *key = ec ? EVP_PKEY_Q_keygen(NULL, NULL, alg, "P-256") : EVP_PKEY_Q_keygen(NULL, NULL, alg);
    ok = n != NULL && *cert != NULL && *key != NULL &&
         X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)alg, -1, -1,
                                    0) &&
         X509_set_version(*cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(*cert), 7) &&
         X509_set_subject_name(*cert, n) && X509_set_issuer_name(*cert, n) &&
         X509_gmtime_adj(X509_getm_notBefore(*cert), -60) != NULL &&
         X509_gmtime_adj(X509_getm_notAfter(*cert), 3600) != NULL &&
         X509_set_pubkey(*cert, *key) && X509_sign(*cert, *key, ec ? EVP_sha256() : NULL) > 0;
    X509_NAME_free(n);
    return ok;
}

static void
test_certconf_hash_alg(void)
{
    static const struct {
        const char *alg;
        int pvno;
        int hash_nid; /* -1: no hashAlg */
        size_t hash_len;
    } rows[] = {
        {"ED25519", CMP_PVNO_2021, CMP_NID_SHA512, 64},
        {"ED448", CMP_PVNO_2021, CMP_NID_SHAKE256, 64},
        {"EC", CMP_PVNO_2000, -1, 32},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        const char *name = rows[i].alg;
        struct cmp_srv_config cfg;
        struct cmp_srv *srv = NULL;
        struct capture *cap = NULL;
        struct cmp_ctx *ctx = NULL;
        struct cmp_msg *m;
        X509 *cert = NULL;
        EVP_PKEY *key = NULL;

        if (!CHECK_CASE(name, self_signed(rows[i].alg, &cert, &key))) {
            goto next;
        }
        base_config(&cfg);
        cfg.rsp_cert = cert;
        srv = new_engine(&cfg);
        ctx = srv != NULL ? new_client(srv, 0, &cap) : NULL;
        if (!CHECK_CASE(name, ctx != NULL && cmp_ctx_set1_newkey(ctx, key))) {
            goto next;
        }
        /* the mock accepts it: its certHash checks out with that hashAlg */
        if (!CHECK_CASE(name, cmp_exec(ctx, CMP_CMD_IR) && cap->num == 2)) {
            print_error(name, ctx);
            goto next;
        }
        m = decode(cap->req[1], cap->req_len[1]);
        if (CHECK_CASE(name, m != NULL && m->body.type == CMP_BODY_CERTCONF &&
                                 m->body.u.cert_conf.num == 1)) {
            const struct cmp_certstatus *cs = &m->body.u.cert_conf.items[0];

            CHECK_CASE(name, m->hdr.pvno == rows[i].pvno);
            CHECK_CASE(name, cs->has_hash_alg == (rows[i].hash_nid >= 0) &&
                                 cs->cert_hash.len == rows[i].hash_len);
            CHECK_CASE(name, rows[i].hash_nid < 0 ||
                                 (cmp_oid_is(&cs->hash_alg.oid, rows[i].hash_nid) &&
                                  cs->hash_alg.params.len == 0));
        }
        cmp_msg_free(m);
        /* the pkiConf answers in the same version */
        m = decode(cap->rsp[1], cap->rsp_len[1]);
        CHECK_CASE(name, m != NULL && m->body.type == CMP_BODY_PKICONF &&
                             m->hdr.pvno == rows[i].pvno);
        cmp_msg_free(m);
    next:
        cmp_ctx_free(ctx);
        cmp_srv_free(srv);
        X509_free(cert);
        EVP_PKEY_free(key);
    }
}

int
main(int argc, char **argv)
{
    if (argc < 2 || !check_have_dir(argv[1])) {
        fprintf(stderr, "usage: test_reqopts GENERATED-VECTORS-DIR (skipped: no such dir)\n");
        return CHECK_SKIP;
    }
    g_verbose = getenv("TEST_REQOPTS_VERBOSE") != NULL;
    if (!CHECK(load_all(argv[1]))) {
        return check_finish();
    }
    test_geninfo_text();
    test_profile();
    test_serial_rr();
    test_srvcert_and_cache();
    test_reqout_only();
    test_delayed();
    test_first_nonce();
    test_certconf_hash_alg();

    X509_free(g_root);
    X509_free(g_server);
    X509_free(g_client);
    X509_free(g_ee);
    EVP_PKEY_free(g_server_key);
    EVP_PKEY_free(g_client_key);
    EVP_PKEY_free(g_ee_key);
    X509_STORE_free(g_store_root);
    return check_finish();
}
