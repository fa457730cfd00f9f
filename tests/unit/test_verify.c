/*
 * Unit tests for lib/verify: a table per check. Each row takes a real
 * message from the test-time vectors (tests/vectors/gen_vectors.sh: openssl
 * cmp against its mock server), changes one field in the model, protects it
 * again (PBM with the vectors' secret, or a signature with pki/server.key),
 * encodes and decodes it, and runs cmp_vfy_msg(). A valid row passes; a
 * wrong field fails with its PKIFailureInfo bit and a message naming it.
 *
 * Usage: test_verify GENERATED-VECTORS-DIR (exits 77 without it)
 * With TEST_VERIFY_VERBOSE set, prints each table row's outcome.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check.h"
#include "crypto/crypto.h"
#include "msg/msg.h"
#include "verify/verify.h"

static const char *g_dir;
static uint8_t g_secret[256];
static size_t g_secret_len;
static X509 *g_root, *g_server, *g_client;
static EVP_PKEY *g_root_key, *g_server_key, *g_client_key;
static X509 *g_ku_cert; /* subject of the server, keyUsage keyEncipherment only */
static EVP_PKEY *g_ku_key;
static X509_STORE *g_store_root, *g_store_client, *g_store_empty;
static uint8_t *g_client_name, *g_root_name, *g_server_name, *g_ee_name;
static size_t g_client_name_len, g_root_name_len, g_server_name_len, g_ee_name_len;

/* ---- loading ---- */

static struct cmp_msg *
decode_bytes(const uint8_t *p, size_t len)
{
    struct cmp_msg *m = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!cmp_msg_decode(&m, p, len, &err)) {
        fprintf(stderr, "decode: %s\n", err.msg);
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
    m = decode_bytes(buf, len);
    free(buf);
    return m;
}

static X509_STORE *
store_of(X509 *cert)
{
    X509_STORE *s = X509_STORE_new();

    if (s != NULL && cert != NULL && !X509_STORE_add_cert(s, cert)) {
        X509_STORE_free(s);
        return NULL;
    }
    return s;
}

static int
name_der(X509 *cert, uint8_t **out, size_t *out_len)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(X509_get_subject_name(cert), &der);

    if (len <= 0) {
        return 0;
    }
    *out = der;
    *out_len = (size_t)len;
    return 1;
}

/*
 * A certificate with the CMP server's subject, issued by the root, whose
 * keyUsage lacks digitalSignature: only -ignore_keyusage lets it sign.
 */
static X509 *
make_ku_cert(EVP_PKEY **out_key)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *c = X509_new();
    X509V3_CTX v3;
    X509_EXTENSION *ext = NULL;
    int ok;

    ok = key != NULL && c != NULL && X509_set_version(c, X509_VERSION_3) &&
         ASN1_INTEGER_set(X509_get_serialNumber(c), 0x2001) &&
         X509_set_subject_name(c, X509_get_subject_name(g_server)) &&
         X509_set_issuer_name(c, X509_get_subject_name(g_root)) &&
         X509_time_adj_ex(X509_getm_notBefore(c), 0, -3600, NULL) != NULL &&
         X509_time_adj_ex(X509_getm_notAfter(c), 365, 0, NULL) != NULL && X509_set_pubkey(c, key);
    if (ok) {
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, g_root, c, NULL, NULL, 0);
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,keyEncipherment");
        ok = ext != NULL && X509_add_ext(c, ext, -1) && X509_sign(c, g_root_key, EVP_sha256()) > 0;
    }
    X509_EXTENSION_free(ext);
    if (!ok) {
        X509_free(c);
        EVP_PKEY_free(key);
        return NULL;
    }
    *out_key = key;
    return c;
}

/* ---- changing one field and protecting again ---- */

typedef void mutate_fn(struct cmp_msg *m);

enum reprot {
    RP_KEEP = 0,  /* leave protectionAlg and protection as they are */
    RP_PBM,       /* PBM with the vectors' secret */
    RP_PBM_WRONG, /* PBM with another secret */
    RP_SIG,       /* signed with pki/server.key */
    RP_SIG_WRONG, /* signed with pki/client.key */
    RP_SIG_KU,    /* signed with the key of g_ku_cert */
    RP_STRIP      /* no protectionAlg, no protection */
};

static uint8_t *
dup_bytes(struct cmp_msg *m, const void *p, size_t len)
{
    uint8_t *d = cmp_msg_dup(m, p, len);

    if (d == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return d;
}

static void
set_octets(struct cmp_msg *m, struct der_in *field, uint8_t fill, size_t len)
{
    uint8_t buf[64];

    memset(buf, fill, sizeof(buf));
    *field = der_in_make(dup_bytes(m, buf, len), len);
}

static void
set_dirname(struct cmp_msg *m, struct cmp_gname *gn, const uint8_t *name, size_t len)
{
    struct der_in n = der_in_make(name, len);
    uint8_t *buf = cmp_msg_alloc(m, len + 6);

    if (buf == NULL || !cmp_gname_set_dirname(gn, buf, len + 6, &n)) {
        fprintf(stderr, "cmp_gname_set_dirname failed\n");
        exit(1);
    }
}

static void
mut_pvno1(struct cmp_msg *m)
{
    m->hdr.pvno = 1;
}

static void
mut_pvno4(struct cmp_msg *m)
{
    m->hdr.pvno = 4;
}

static void
mut_pvno3(struct cmp_msg *m)
{
    m->hdr.pvno = 3;
}

static void
mut_tid_other(struct cmp_msg *m)
{
    set_octets(m, &m->hdr.transaction_id, 0x55, 16);
}

static void
mut_tid_missing(struct cmp_msg *m)
{
    m->hdr.has_transaction_id = 0;
}

static void
mut_snonce_missing(struct cmp_msg *m)
{
    m->hdr.has_sender_nonce = 0;
}

static void
mut_snonce_short(struct cmp_msg *m)
{
    set_octets(m, &m->hdr.sender_nonce, 0x66, 15);
}

static void
mut_rnonce_other(struct cmp_msg *m)
{
    set_octets(m, &m->hdr.recip_nonce, 0x77, 16);
}

static void
mut_rnonce_missing(struct cmp_msg *m)
{
    m->hdr.has_recip_nonce = 0;
}

static void
mut_time_far(struct cmp_msg *m)
{
    m->hdr.message_time_secs += 7200;
    m->hdr.message_time = DER_IN_EMPTY; /* the encoder writes the seconds */
}

static void
mut_time_missing(struct cmp_msg *m)
{
    m->hdr.has_message_time = 0;
}

static void
mut_sender_client(struct cmp_msg *m)
{
    set_dirname(m, &m->hdr.sender, g_client_name, g_client_name_len);
}

static void
mut_sender_dns(struct cmp_msg *m)
{
    static const uint8_t dns[] = {0x82, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't'};
    uint8_t *p = dup_bytes(m, dns, sizeof(dns));

    m->hdr.sender.type = CMP_GN_DNS;
    m->hdr.sender.whole = der_in_make(p, sizeof(dns));
    m->hdr.sender.value = der_in_make(p + 2, sizeof(dns) - 2);
}

static void
mut_recip_root(struct cmp_msg *m)
{
    set_dirname(m, &m->hdr.recipient, g_root_name, g_root_name_len);
}

static void
mut_recip_null(struct cmp_msg *m)
{
    static const uint8_t null_dn[] = {0x30, 0x00};

    set_dirname(m, &m->hdr.recipient, null_dn, sizeof(null_dn));
}

static void
mut_kid_other(struct cmp_msg *m)
{
    m->hdr.has_sender_kid = 1;
    set_octets(m, &m->hdr.sender_kid, 0x11, 20);
}

static void
set_alg(struct cmp_msg *m, const uint8_t *der, size_t len)
{
    struct der_in in = der_in_make(dup_bytes(m, der, len), len);
    struct cmp_err err;

    memset(&m->hdr.protection_alg, 0, sizeof(m->hdr.protection_alg));
    cmp_err_init(&err);
    if (!cmp_algid_decode(&in, DER_SEQUENCE, &m->hdr.protection_alg, &err)) {
        fprintf(stderr, "set_alg: %s\n", err.msg);
        exit(1);
    }
    m->hdr.has_protection_alg = 1;
}

static void
mut_alg_unknown(struct cmp_msg *m)
{
    static const uint8_t alg[] = {0x30, 0x05, 0x06, 0x03, 0x2A, 0x03, 0x04}; /* 1.2.3.4 */

    set_alg(m, alg, sizeof(alg));
}

/* PBMParameter with iterationCount 10^12: a peer's denial of service. */
static void
mut_pbm_iter_huge(struct cmp_msg *m)
{
    struct der_in p = m->hdr.protection_alg.params, seq, salt, owf, mac;
    struct der_out w;
    size_t s1, s2;
    int64_t it;
    uint8_t *buf = NULL;
    size_t len = 0;

    if (!der_get(&p, DER_SEQUENCE, &seq) || !der_get_tlv(&seq, DER_OCTET_STRING, &salt) ||
        !der_get_tlv(&seq, DER_SEQUENCE, &owf) || !der_get_int64(&seq, &it) ||
        !der_get_tlv(&seq, DER_SEQUENCE, &mac)) {
        fprintf(stderr, "mut_pbm_iter_huge: not PBM parameters\n");
        exit(1);
    }
    der_out_init(&w, 4096);
    if (!der_open(&w, DER_SEQUENCE, &s1) ||
        !der_put_prim(&w, DER_OID, CMP_OID_PBM, CMP_OID_PBM_LEN) ||
        !der_open(&w, DER_SEQUENCE, &s2) || !der_put_in(&w, &salt) || !der_put_in(&w, &owf) ||
        !der_put_int64(&w, INT64_C(1000000000000)) || !der_put_in(&w, &mac) || !der_close(&w, s2) ||
        !der_close(&w, s1) || !der_out_finish(&w, &buf, &len)) {
        fprintf(stderr, "mut_pbm_iter_huge: encoding failed\n");
        exit(1);
    }
    set_alg(m, buf, len);
    free(buf);
}

/* protectionAlg stays, the protection BIT STRING goes. */
static void
mut_drop_protection(struct cmp_msg *m)
{
    m->has_protection = 0;
}

/* the protection BIT STRING stays, protectionAlg goes. */
static void
mut_drop_alg(struct cmp_msg *m)
{
    m->hdr.has_protection_alg = 0;
}

/* no extraCerts (they lie outside the protected part) */
static void
mut_no_extra(struct cmp_msg *m)
{
    m->has_extra_certs = 0;
}

/* extraCerts[0] is an INTEGER in a SEQUENCE: framing fine, not a certificate. */
static void
mut_extra_garbage(struct cmp_msg *m)
{
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};

    if (m->extra_certs.num == 0) {
        fprintf(stderr, "mut_extra_garbage: no extraCerts\n");
        exit(1);
    }
    m->extra_certs.items[0] = der_in_make(dup_bytes(m, junk, sizeof(junk)), sizeof(junk));
    m->extra_certs.num = 1;
}

/* extraCerts = [ the keyUsage-restricted certificate ] (signed with its key). */
static void
mut_extra_ku(struct cmp_msg *m)
{
    unsigned char *der = NULL;
    int len = i2d_X509(g_ku_cert, &der);

    if (len <= 0 || m->extra_certs.num == 0) {
        fprintf(stderr, "mut_extra_ku failed\n");
        exit(1);
    }
    m->extra_certs.items[0] = der_in_make(dup_bytes(m, der, (size_t)len), (size_t)len);
    m->extra_certs.num = 1;
    OPENSSL_free(der);
}

/* Decodes |name|, changes it, protects it again, encodes and decodes it. */
static struct cmp_msg *
remake(const char *name, mutate_fn *mutate, int reprot)
{
    static const uint8_t other_secret[] = "not-the-secret";
    struct cmp_msg *m = load_msg(name), *out;
    struct cmp_err err;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    int ok = 1;

    if (m == NULL) {
        return NULL;
    }
    cmp_err_init(&err);
    if (mutate != NULL) {
        mutate(m);
    }
    switch (reprot) {
    case RP_PBM:
        ok = cmp_protect_pbm(m, NULL, g_secret, g_secret_len, &err);
        break;
    case RP_PBM_WRONG:
        ok = cmp_protect_pbm(m, NULL, other_secret, sizeof(other_secret) - 1, &err);
        break;
    case RP_SIG:
        ok = cmp_protect_sig(m, g_server_key, NULL, 0, &err);
        break;
    case RP_SIG_WRONG:
        ok = cmp_protect_sig(m, g_client_key, NULL, 0, &err);
        break;
    case RP_SIG_KU:
        ok = cmp_protect_sig(m, g_ku_key, NULL, 0, &err);
        break;
    case RP_STRIP:
        m->has_protection = 0;
        m->hdr.has_protection_alg = 0;
        break;
    default:
        break;
    }
    if (!ok || !cmp_msg_encode(m, &enc, &enc_len, &err)) {
        fprintf(stderr, "remake %s: %s\n", name, err.msg);
        cmp_msg_free(m);
        return NULL;
    }
    cmp_msg_free(m);
    out = decode_bytes(enc, enc_len);
    free(enc);
    return out;
}

/* ---- options ---- */

typedef void adjust_fn(struct cmp_vfy_opts *o);

/* The client's view of a response to |req|. */
static void
client_opts(struct cmp_vfy_opts *o, const struct cmp_msg *req)
{
    memset(o, 0, sizeof(*o));
    o->transaction_id = req->hdr.transaction_id;
    o->last_sender_nonce = req->hdr.sender_nonce;
}

static void
pbm_opts(struct cmp_vfy_opts *o, const struct cmp_msg *req)
{
    client_opts(o, req);
    o->secret = g_secret;
    o->secret_len = g_secret_len;
}

static void
sig_opts(struct cmp_vfy_opts *o, const struct cmp_msg *req)
{
    client_opts(o, req);
    o->trusted = g_store_root;
}

static int64_t g_time_base; /* messageTime of the row's original message */

static void
adj_time(struct cmp_vfy_opts *o)
{
    o->check_time = 1;
    o->now = g_time_base + 10;
    o->max_time_drift = 300;
}

static void
adj_expect_server(struct cmp_vfy_opts *o)
{
    o->expect_sender = der_in_make(g_server_name, g_server_name_len);
}

static void
adj_expect_client(struct cmp_vfy_opts *o)
{
    o->expect_sender = der_in_make(g_client_name, g_client_name_len);
}

static void
adj_expect_ee_recipient(struct cmp_vfy_opts *o)
{
    o->expect_recipient = der_in_make(g_ee_name, g_ee_name_len);
}

static void
adj_limit_100(struct cmp_vfy_opts *o)
{
    o->mac_limits.max_iterations = 100;
}

static void
adj_no_secret_trust(struct cmp_vfy_opts *o)
{
    o->secret = NULL;
    o->secret_len = 0;
    o->trusted = g_store_root;
}

static void
adj_no_secret_no_trust(struct cmp_vfy_opts *o)
{
    o->secret = NULL;
    o->secret_len = 0;
}

static void
adj_expect_sig(struct cmp_vfy_opts *o)
{
    o->expect_protection = CMP_VFY_PROT_SIG;
}

static void
adj_expect_mac(struct cmp_vfy_opts *o)
{
    o->expect_protection = CMP_VFY_PROT_MAC;
}

static void
adj_unprot_errors(struct cmp_vfy_opts *o)
{
    o->unprotected_errors = 1;
}

static void
adj_trust_client_only(struct cmp_vfy_opts *o)
{
    o->trusted = g_store_client;
}

static void
adj_pinned_server(struct cmp_vfy_opts *o)
{
    o->srvcert = g_server;
    o->trusted = NULL;
}

static void
adj_pinned_client(struct cmp_vfy_opts *o)
{
    o->srvcert = g_client;
    o->trusted = NULL;
}

static void
adj_pinned_client_expect_server(struct cmp_vfy_opts *o)
{
    adj_pinned_client(o);
    adj_expect_server(o);
}

static void
adj_secret_no_trust(struct cmp_vfy_opts *o)
{
    o->trusted = NULL;
    o->secret = g_secret;
    o->secret_len = g_secret_len;
}

static void
adj_no_trust(struct cmp_vfy_opts *o)
{
    o->trusted = NULL;
}

static void
adj_validated_no_path(struct cmp_vfy_opts *o)
{
    o->trusted = g_store_empty;
    o->validated_signer = g_server;
}

static void
adj_validated_wrong(struct cmp_vfy_opts *o)
{
    o->validated_signer = g_client;
}

static void
adj_ignore_ku(struct cmp_vfy_opts *o)
{
    o->ignore_keyusage = 1;
}

static void
adj_untrusted_only(struct cmp_vfy_opts *o)
{
    static STACK_OF(X509) *untrusted;

    if (untrusted == NULL) {
        untrusted = sk_X509_new_null();
        if (untrusted == NULL || !sk_X509_push(untrusted, g_server) || !X509_up_ref(g_server)) {
            exit(1);
        }
    }
    o->untrusted = untrusted;
}

/* ---- the table runner ---- */

struct vcase {
    const char *name;
    mutate_fn *mutate;
    int reprot;
    adjust_fn *adjust;
    int ok;
    int bit;           /* expected failure bit */
    const char *field; /* must appear in err.msg */
};

static void
report(const char *name, const struct cmp_err *err)
{
    char buf[1024];

    fprintf(stderr, "    [%s] bit %d (%s): %s\n", name, err->failure_bit,
            cmp_failure_bit_name(err->failure_bit) ? cmp_failure_bit_name(err->failure_bit)
                                                   : "none",
            cmp_err_format(err, buf, sizeof(buf)));
}

static void
run_case(const char *file, const struct cmp_msg *req,
         void (*base)(struct cmp_vfy_opts *, const struct cmp_msg *), const struct vcase *c)
{
    struct cmp_msg *m = remake(file, c->mutate, c->reprot);
    struct cmp_vfy_opts o;
    struct cmp_vfy_result res;
    struct cmp_err err;
    int ok;

    if (!CHECK_CASE(c->name, m != NULL)) {
        return;
    }
    g_time_base = m->hdr.message_time_secs;
    if (c->mutate == mut_time_far) {
        g_time_base -= 7200;
    }
    base(&o, req);
    if (c->adjust != NULL) {
        c->adjust(&o);
    }
    memset(&res, 0, sizeof(res));
    cmp_err_init(&err);
    ok = cmp_vfy_msg(&o, m, &res, &err);
    if (getenv("TEST_VERIFY_VERBOSE") != NULL) {
        printf("%-60s %s\n", c->name, ok ? (res.warning[0] ? res.warning : "ok") : err.msg);
    }
    if (c->ok) {
        if (!CHECK_CASE(c->name, ok)) {
            report(c->name, &err);
        }
    } else {
        CHECK_CASE(c->name, !ok);
        CHECK_CASE(c->name, res.signer == NULL && res.protection == 0);
        if (!CHECK_CASE(c->name, err.failure_bit == c->bit) ||
            !CHECK_CASE(c->name, strstr(err.msg, c->field) != NULL)) {
            report(c->name, &err);
        }
    }
    /* whatever libcrypto queued went into |err| */
    CHECK_CASE(c->name, ERR_peek_error() == 0);
    ERR_clear_error();
    cmp_vfy_result_cleanup(&res);
    cmp_msg_free(m);
}

static void
run_table(const char *file, const char *req_file,
          void (*base)(struct cmp_vfy_opts *, const struct cmp_msg *), const struct vcase *rows,
          size_t num)
{
    struct cmp_msg *req = load_msg(req_file);
    size_t i;

    if (!CHECK_CASE(req_file, req != NULL)) {
        return;
    }
    for (i = 0; i < num; i++) {
        run_case(file, req, base, &rows[i]);
    }
    cmp_msg_free(req);
}

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

/* ---- header fields and MAC-based protection (a PBM-protected ip) ---- */

static const struct vcase pbm_rows[] = {
    {"valid as received", NULL, RP_KEEP, NULL, 1, 0, NULL},
    {"valid, protected again", NULL, RP_PBM, NULL, 1, 0, NULL},
    {"pvno 3 (cmp2021)", mut_pvno3, RP_PBM, NULL, 1, 0, NULL},
    {"pvno 1", mut_pvno1, RP_PBM, NULL, 0, CMP_FI_UNSUPPORTED_VERSION, "pvno"},
    {"pvno 4", mut_pvno4, RP_PBM, NULL, 0, CMP_FI_UNSUPPORTED_VERSION, "pvno"},
    {"transactionID other", mut_tid_other, RP_PBM, NULL, 0, CMP_FI_BAD_REQUEST, "transactionID"},
    {"transactionID missing", mut_tid_missing, RP_PBM, NULL, 0, CMP_FI_BAD_DATA_FORMAT,
     "transactionID"},
    {"senderNonce missing", mut_snonce_missing, RP_PBM, NULL, 0, CMP_FI_BAD_SENDER_NONCE,
     "senderNonce"},
    {"senderNonce 120 bits", mut_snonce_short, RP_PBM, NULL, 0, CMP_FI_BAD_SENDER_NONCE,
     "senderNonce"},
    {"recipNonce other", mut_rnonce_other, RP_PBM, NULL, 0, CMP_FI_BAD_RECIPIENT_NONCE,
     "recipNonce"},
    {"recipNonce missing", mut_rnonce_missing, RP_PBM, NULL, 0, CMP_FI_BAD_RECIPIENT_NONCE,
     "recipNonce"},
    {"messageTime close", NULL, RP_KEEP, adj_time, 1, 0, NULL},
    {"messageTime missing", mut_time_missing, RP_PBM, adj_time, 1, 0, NULL},
    {"messageTime 2 h off", mut_time_far, RP_PBM, adj_time, 0, CMP_FI_BAD_TIME, "messageTime"},
    {"messageTime 2 h off, not checked", mut_time_far, RP_PBM, NULL, 1, 0, NULL},
    {"sender is expect_sender", NULL, RP_KEEP, adj_expect_server, 1, 0, NULL},
    {"sender not expect_sender", mut_sender_client, RP_PBM, adj_expect_server, 0,
     CMP_FI_SIGNER_NOT_TRUSTED, "sender"},
    {"sender not expect_sender (2)", NULL, RP_KEEP, adj_expect_client, 0, CMP_FI_SIGNER_NOT_TRUSTED,
     "sender"},
    {"sender a dNSName", mut_sender_dns, RP_PBM, NULL, 0, CMP_FI_BAD_DATA_FORMAT, "sender"},
    {"recipient is us", NULL, RP_KEEP, adj_expect_ee_recipient, 1, 0, NULL},
    {"recipient NULL-DN", mut_recip_null, RP_PBM, adj_expect_ee_recipient, 1, 0, NULL},
    {"recipient other", mut_recip_root, RP_PBM, adj_expect_ee_recipient, 0, CMP_FI_WRONG_AUTHORITY,
     "recipient"},
    {"wrong MAC", NULL, RP_PBM_WRONG, NULL, 0, CMP_FI_BAD_MESSAGE_CHECK, "protection"},
    {"PBM iterationCount over our limit", NULL, RP_KEEP, adj_limit_100, 0, CMP_FI_BAD_ALG,
     "iteration"},
    {"unknown protectionAlg", mut_alg_unknown, RP_KEEP, NULL, 0, CMP_FI_BAD_ALG, "protectionAlg"},
    {"protection missing", NULL, RP_STRIP, NULL, 0, CMP_FI_BAD_MESSAGE_CHECK, "protection"},
    {"protection without protectionAlg", mut_drop_alg, RP_KEEP, NULL, 0, CMP_FI_BAD_MESSAGE_CHECK,
     "protectionAlg"},
    {"protectionAlg without protection", mut_drop_protection, RP_KEEP, NULL, 0,
     CMP_FI_BAD_MESSAGE_CHECK, "protection"},
    {"MAC, but only a trust store", NULL, RP_KEEP, adj_no_secret_trust, 0, CMP_FI_WRONG_INTEGRITY,
     "MAC"},
    {"MAC, but no credentials", NULL, RP_KEEP, adj_no_secret_no_trust, 0, CMP_FI_BAD_MESSAGE_CHECK,
     "MAC"},
    {"MAC where a signature is expected", NULL, RP_KEEP, adj_expect_sig, 0, CMP_FI_WRONG_INTEGRITY,
     "protection"},
    {"missing protection of a positive ip, -unprotected_errors", NULL, RP_STRIP, adj_unprot_errors,
     0, CMP_FI_BAD_MESSAGE_CHECK, "protection"},
};

/* ---- signature-based protection (a signed ip, server.crt in extraCerts) ---- */

static const struct vcase sig_rows[] = {
    {"valid as received", NULL, RP_KEEP, NULL, 1, 0, NULL},
    {"valid, signed again", NULL, RP_SIG, NULL, 1, 0, NULL},
    {"signed with another key", NULL, RP_SIG_WRONG, NULL, 0, CMP_FI_BAD_MESSAGE_CHECK, "signature"},
    {"signer does not chain to -trusted", NULL, RP_KEEP, adj_trust_client_only, 0,
     CMP_FI_SIGNER_NOT_TRUSTED, "signer certificate"},
    {"sender is not the signer", mut_sender_client, RP_SIG, NULL, 0, CMP_FI_SIGNER_NOT_TRUSTED,
     "sender"},
    {"senderKID is not the signer's SKID", mut_kid_other, RP_SIG, NULL, 0,
     CMP_FI_SIGNER_NOT_TRUSTED, "senderKID"},
    {"pinned -srvcert", NULL, RP_KEEP, adj_pinned_server, 1, 0, NULL},
    {"pinned -srvcert, signed with another key", NULL, RP_SIG_WRONG, adj_pinned_server, 0,
     CMP_FI_BAD_MESSAGE_CHECK, "signature"},
    {"pinned -srvcert is not the sender (default expect_sender)", NULL, RP_KEEP, adj_pinned_client,
     0, CMP_FI_SIGNER_NOT_TRUSTED, "sender"},
    {"pinned -srvcert's subject is not the sender", NULL, RP_KEEP, adj_pinned_client_expect_server,
     0, CMP_FI_BAD_MESSAGE_CHECK, "sender"},
    {"pinned -srvcert, senderKID is not its SKID", mut_kid_other, RP_SIG, adj_pinned_server, 0,
     CMP_FI_BAD_MESSAGE_CHECK, "senderKID"},
    {"signature where MAC is expected", NULL, RP_KEEP, adj_expect_mac, 0, CMP_FI_WRONG_INTEGRITY,
     "protection"},
    {"signature, but only a secret", NULL, RP_KEEP, adj_secret_no_trust, 0, CMP_FI_WRONG_INTEGRITY,
     "signature-based"},
    {"signature, but no credentials", NULL, RP_KEEP, adj_no_trust, 0, CMP_FI_SIGNER_NOT_TRUSTED,
     "signature-based"},
    {"validated signer of the transaction, no new path", NULL, RP_KEEP, adj_validated_no_path, 1, 0,
     NULL},
    {"validated signer does not fit, full search", NULL, RP_KEEP, adj_validated_wrong, 1, 0, NULL},
    {"extraCerts[0] not a certificate", mut_extra_garbage, RP_KEEP, NULL, 0, CMP_FI_BAD_DATA_FORMAT,
     "extraCerts"},
    {"no extraCerts, signer not found", mut_no_extra, RP_KEEP, NULL, 0, CMP_FI_SIGNER_NOT_TRUSTED,
     "sender"},
    {"no extraCerts, signer in -untrusted", mut_no_extra, RP_KEEP, adj_untrusted_only, 1, 0, NULL},
    {"keyUsage without digitalSignature", mut_extra_ku, RP_SIG_KU, NULL, 0,
     CMP_FI_SIGNER_NOT_TRUSTED, "keyUsage"},
    {"keyUsage without digitalSignature, -ignore_keyusage", mut_extra_ku, RP_SIG_KU, adj_ignore_ku,
     1, 0, NULL},
};

/* ---- -unprotected_errors: which responses may lack protection ---- */

struct unprot_case {
    const char *name, *rsp, *req;
    int reprot;
    int flag; /* -unprotected_errors */
    int ok;
    const char *warning; /* in res.warning when accepted */
};

static const struct unprot_case unprot_rows[] = {
    {"ip rejection, missing", "reject_pbm_2_ip.der", "reject_pbm_1_ir.der", RP_STRIP, 1, 1,
     "missing"},
    {"ip rejection, missing, no flag", "reject_pbm_2_ip.der", "reject_pbm_1_ir.der", RP_STRIP, 0, 0,
     NULL},
    {"ip rejection, wrong MAC", "reject_pbm_2_ip.der", "reject_pbm_1_ir.der", RP_PBM_WRONG, 1, 1,
     "invalid"},
    {"ip rejection, wrong MAC, no flag", "reject_pbm_2_ip.der", "reject_pbm_1_ir.der", RP_PBM_WRONG,
     0, 0, NULL},
    {"ip rejection from the mock server, unprotected", "unprot_2_ip.der", "unprot_1_ir.der",
     RP_KEEP, 1, 1, "missing"},
    {"ip accepted, missing", "ir_pbm_2_ip.der", "ir_pbm_1_ir.der", RP_STRIP, 1, 0, NULL},
    {"ip accepted, wrong MAC", "ir_pbm_2_ip.der", "ir_pbm_1_ir.der", RP_PBM_WRONG, 1, 0, NULL},
    {"error, missing", "senderr_pbm_2_error.der", "senderr_pbm_1_ir.der", RP_STRIP, 1, 1,
     "error message"},
    {"error, missing, no flag", "senderr_pbm_2_error.der", "senderr_pbm_1_ir.der", RP_STRIP, 0, 0,
     NULL},
    {"rp rejection, missing", "reject_rr_pbm_2_rp.der", "reject_rr_pbm_1_rr.der", RP_STRIP, 1, 1,
     "revocation"},
    {"rp accepted, missing", "rr_pbm_2_rp.der", "rr_pbm_1_rr.der", RP_STRIP, 1, 0, NULL},
    {"pkiConf, missing", "ir_pbm_4_pkiConf.der", "ir_pbm_3_certConf.der", RP_STRIP, 1, 1,
     "pkiConf"},
    {"pkiConf, missing, no flag", "ir_pbm_4_pkiConf.der", "ir_pbm_3_certConf.der", RP_STRIP, 0, 0,
     NULL},
    {"genp, missing", "genm_pbm_2_genp.der", "genm_pbm_1_genm.der", RP_STRIP, 1, 0, NULL},
    {"pollRep, missing", "poll_pbm_4_pollRep.der", "poll_pbm_3_pollReq.der", RP_STRIP, 1, 0, NULL},
    {"ip waiting, missing", "poll_pbm_2_ip.der", "poll_pbm_1_ir.der", RP_STRIP, 1, 0, NULL},
};

static void
test_unprotected_errors(void)
{
    size_t i;

    for (i = 0; i < NROWS(unprot_rows); i++) {
        const struct unprot_case *c = &unprot_rows[i];
        struct cmp_msg *req = load_msg(c->req), *m = remake(c->rsp, NULL, c->reprot);
        struct cmp_vfy_opts o;
        struct cmp_vfy_result res;
        struct cmp_err err;
        int ok;

        if (!CHECK_CASE(c->name, req != NULL && m != NULL)) {
            cmp_msg_free(req);
            cmp_msg_free(m);
            continue;
        }
        pbm_opts(&o, req);
        o.unprotected_errors = c->flag;
        memset(&res, 0, sizeof(res));
        cmp_err_init(&err);
        ok = cmp_vfy_msg(&o, m, &res, &err);
        if (!CHECK_CASE(c->name, ok == c->ok)) {
            report(c->name, &err);
        }
        if (ok) {
            CHECK_CASE(c->name, res.unprotected_accepted && res.protection == CMP_VFY_PROT_NONE);
            CHECK_CASE(c->name, res.signer == NULL);
            CHECK_CASE(c->name, strstr(res.warning, c->warning) != NULL);
        } else {
            CHECK_CASE(c->name, err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
            CHECK_CASE(c->name,
                       strstr(err.msg, "MAC") != NULL || strstr(err.msg, "protection") != NULL);
        }
        cmp_vfy_result_cleanup(&res);
        cmp_msg_free(m);
        cmp_msg_free(req);
    }
}

/* ---- the server's side: requests ---- */

static struct der_in g_used_tid;

static int
tid_table(void *arg, const struct der_in *tid)
{
    int *calls = arg;

    (*calls)++;
    return der_in_eq(tid, &g_used_tid);
}

struct srv_case {
    const char *name, *req;
    int reprot;
    int accept_unprotected, accept_unprot_err;
    int tid_used; /* the table already holds the request's transactionID */
    int ok;
    int bit;
    const char *field;
};

static const struct srv_case srv_rows[] = {
    {"ir, PBM", "ir_pbm_1_ir.der", RP_KEEP, 0, 0, 0, 1, 0, NULL},
    {"ir, transactionID in use", "ir_pbm_1_ir.der", RP_KEEP, 0, 0, 1, 0,
     CMP_FI_TRANSACTION_ID_IN_USE, "transactionID"},
    {"ir, unprotected", "unprot_1_ir.der", RP_KEEP, 0, 0, 0, 0, CMP_FI_BAD_MESSAGE_CHECK,
     "protection"},
    {"ir, unprotected, -accept_unprotected", "unprot_1_ir.der", RP_KEEP, 1, 0, 0, 1, 0, NULL},
    {"ir, wrong MAC, -accept_unprotected", "ir_pbm_1_ir.der", RP_PBM_WRONG, 1, 0, 0, 1, 0, NULL},
    {"ir, unprotected, -accept_unprot_err", "unprot_1_ir.der", RP_KEEP, 0, 1, 0, 0,
     CMP_FI_BAD_MESSAGE_CHECK, "protection"},
    {"error, unprotected, -accept_unprot_err", "errreq_pbm_1_error.der", RP_STRIP, 0, 1, 0, 1, 0,
     NULL},
    {"error, unprotected", "errreq_pbm_1_error.der", RP_STRIP, 0, 0, 0, 0, CMP_FI_BAD_MESSAGE_CHECK,
     "protection"},
    {"ir, signed by client.crt", "ir_sig_1_ir.der", RP_KEEP, 0, 0, 0, 1, 0, NULL},
};

static void
test_server(void)
{
    size_t i;

    for (i = 0; i < NROWS(srv_rows); i++) {
        const struct srv_case *c = &srv_rows[i];
        struct cmp_msg *m = remake(c->req, NULL, c->reprot);
        struct cmp_vfy_opts o;
        struct cmp_vfy_result res;
        struct cmp_err err;
        int calls = 0, ok;

        if (!CHECK_CASE(c->name, m != NULL)) {
            continue;
        }
        memset(&o, 0, sizeof(o));
        o.secret = g_secret;
        o.secret_len = g_secret_len;
        o.trusted = g_store_root; /* -srv_trusted */
        o.accept_unprotected = c->accept_unprotected;
        o.accept_unprot_err = c->accept_unprot_err;
        o.tid_in_use = tid_table;
        o.tid_in_use_arg = &calls;
        g_used_tid = c->tid_used ? m->hdr.transaction_id : DER_IN_EMPTY;
        memset(&res, 0, sizeof(res));
        cmp_err_init(&err);
        ok = cmp_vfy_msg(&o, m, &res, &err);
        CHECK_CASE(c->name, calls == 1);
        if (!CHECK_CASE(c->name, ok == c->ok)) {
            report(c->name, &err);
        }
        if (!ok && (!CHECK_CASE(c->name, err.failure_bit == c->bit) ||
                    !CHECK_CASE(c->name, strstr(err.msg, c->field) != NULL))) {
            report(c->name, &err);
        }
        if (ok && strstr(c->req, "sig") != NULL) {
            CHECK_CASE(c->name, res.signer != NULL && X509_cmp(res.signer, g_client) == 0);
        }
        cmp_vfy_result_cleanup(&res);
        cmp_msg_free(m);
    }
}

/* cmp_vfy_transaction_id_new() on its own, and the other functions' edges. */
static void
test_functions(void)
{
    struct cmp_msg *m = load_msg("ir_pbm_1_ir.der");
    struct cmp_err err;
    struct der_in other = der_in_make((const uint8_t *)"0123456789abcdef", 16);
    int calls = 0;

    if (!CHECK(m != NULL)) {
        return;
    }
    cmp_err_init(&err);
    g_used_tid = m->hdr.transaction_id;
    CHECK(!cmp_vfy_transaction_id_new(m, tid_table, &calls, &err));
    CHECK(err.failure_bit == CMP_FI_TRANSACTION_ID_IN_USE);
    CHECK(strstr(err.msg, "transactionID") != NULL);
    g_used_tid = other;
    CHECK(cmp_vfy_transaction_id_new(m, tid_table, &calls, &err));
    CHECK(cmp_vfy_transaction_id_new(m, NULL, NULL, &err));
    CHECK(calls == 2);
    CHECK(cmp_vfy_transaction_id(m, &m->hdr.transaction_id, &err));
    CHECK(!cmp_vfy_transaction_id(m, &other, &err) && err.failure_bit == CMP_FI_BAD_REQUEST);
    CHECK(cmp_vfy_sender_nonce(m, &err));
    CHECK(!cmp_vfy_recip_nonce(m, &other, &err) && err.failure_bit == CMP_FI_BAD_RECIPIENT_NONCE);
    CHECK(cmp_vfy_pvno(m, &err));
    CHECK(cmp_vfy_message_time(m, m->hdr.message_time_secs - 5, 5, &err));
    CHECK(!cmp_vfy_message_time(m, m->hdr.message_time_secs - 6, 5, &err) &&
          err.failure_bit == CMP_FI_BAD_TIME);
    CHECK(cmp_vfy_prot_kind(m) == CMP_VFY_PROT_MAC);
    CHECK(!cmp_vfy_is_negative(m));
    /* err may be NULL */
    m->hdr.pvno = 7;
    CHECK(!cmp_vfy_pvno(m, NULL));
    m->hdr.pvno = CMP_PVNO_2000;
    CHECK(cmp_vfy_name_eq(&m->hdr.sender.value, &m->hdr.sender.value));
    cmp_msg_free(m);

    m = load_msg("ir_sig_1_ir.der");
    if (CHECK(m != NULL)) {
        CHECK(cmp_vfy_prot_kind(m) == CMP_VFY_PROT_SIG);
        CHECK(cmp_vfy_signer_matches(m, g_client, CMP_FI_BAD_MESSAGE_CHECK, &err));
        CHECK(!cmp_vfy_signer_matches(m, g_server, CMP_FI_BAD_MESSAGE_CHECK, &err) &&
              err.failure_bit == CMP_FI_BAD_MESSAGE_CHECK);
        CHECK(cmp_vfy_key_usage(g_client, &err));
        CHECK(!cmp_vfy_key_usage(g_ku_cert, &err) && err.failure_bit == CMP_FI_SIGNER_NOT_TRUSTED);
    }
    cmp_msg_free(m);
}

/* The signed response exports its signer; the client pins it. */
static void
test_signer_export(void)
{
    struct cmp_msg *req = load_msg("ir_sig_1_ir.der"), *rsp = load_msg("ir_sig_2_ip.der");
    struct cmp_msg *conf_req = load_msg("ir_sig_3_certConf.der");
    struct cmp_msg *conf = load_msg("ir_sig_4_pkiConf.der");
    struct cmp_vfy_opts o;
    struct cmp_vfy_result res, res2;
    struct cmp_err err;

    if (!CHECK(req != NULL && rsp != NULL && conf_req != NULL && conf != NULL)) {
        goto done;
    }
    sig_opts(&o, req);
    memset(&res, 0, sizeof(res));
    memset(&res2, 0, sizeof(res2));
    cmp_err_init(&err);
    if (CHECK(cmp_vfy_msg(&o, rsp, &res, &err))) {
        CHECK(res.protection == CMP_VFY_PROT_SIG && !res.unprotected_accepted);
        CHECK(res.signer != NULL && X509_cmp(res.signer, g_server) == 0);
        CHECK(res.warning[0] == '\0');
        /* the pkiConf of the same transaction, with the pinned signer and no trust store */
        client_opts(&o, conf_req);
        o.validated_signer = res.signer;
        o.trusted = g_store_empty;
        if (!CHECK(cmp_vfy_msg(&o, conf, &res2, &err))) {
            report("pkiConf with pinned signer", &err);
        }
        CHECK(res2.signer == res.signer);
    } else {
        report("signed ip", &err);
    }
    cmp_vfy_result_cleanup(&res);
    cmp_vfy_result_cleanup(&res2);
    cmp_vfy_result_cleanup(&res2); /* twice is fine */
done:
    cmp_msg_free(req);
    cmp_msg_free(rsp);
    cmp_msg_free(conf_req);
    cmp_msg_free(conf);
}

/* A peer's huge PBM iteration count is refused before any work. */
static void
test_iteration_dos(void)
{
    struct cmp_msg *req = load_msg("ir_pbm_1_ir.der");
    struct cmp_msg *m = remake("ir_pbm_2_ip.der", mut_pbm_iter_huge, RP_KEEP);
    struct cmp_vfy_opts o;
    struct cmp_vfy_result res;
    struct cmp_err err;
    struct timespec t0, t1;
    double secs;

    if (!CHECK(req != NULL && m != NULL)) {
        goto done;
    }
    pbm_opts(&o, req);
    memset(&res, 0, sizeof(res));
    cmp_err_init(&err);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(!cmp_vfy_msg(&o, m, &res, &err));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    CHECK(err.failure_bit == CMP_FI_BAD_ALG);
    if (!CHECK(strstr(err.msg, "iteration") != NULL)) {
        report("iterationCount 10^12", &err);
    }
    CHECK(secs < 1.0);
    /* even -unprotected_errors does not make a positive response pass */
    o.unprotected_errors = 1;
    CHECK(!cmp_vfy_msg(&o, m, &res, &err));
done:
    cmp_msg_free(req);
    cmp_msg_free(m);
}

/* -out_trusted and -own_trusted. */
static void
test_cert_paths(void)
{
    struct cmp_msg *ip = load_msg("ir_pbm_2_ip.der");
    struct cmp_msg *bare = remake("ir_pbm_2_ip.der", NULL, RP_KEEP);
    struct cmp_err err;
    X509 *ee = NULL;
    const unsigned char *p;
    STACK_OF(X509) *untrusted = sk_X509_new_null(), *certs = NULL;

    if (!CHECK(ip != NULL && bare != NULL && untrusted != NULL) ||
        !CHECK(ip->body.u.rep.num == 1 && ip->body.u.rep.responses[0].has_ckp)) {
        goto done;
    }
    p = ip->body.u.rep.responses[0].ckp.cert.p;
    ee = d2i_X509(NULL, &p, (long)ip->body.u.rep.responses[0].ckp.cert.len);
    if (!CHECK(ee != NULL)) {
        goto done;
    }
    cmp_err_init(&err);
    /* chain via extraCerts (server.crt) to the root */
    if (!CHECK(cmp_vfy_new_cert(g_store_root, ip, ee, NULL, NULL, &err))) {
        report("new cert", &err);
    }
    CHECK(!cmp_vfy_new_cert(g_store_client, ip, ee, NULL, NULL, &err));
    CHECK(err.failure_bit == CMP_FI_INCORRECT_DATA);
    CHECK(strstr(err.msg, "newly enrolled certificate") != NULL);
    CHECK(!cmp_vfy_new_cert(NULL, ip, ee, NULL, NULL, &err) &&
          err.failure_bit == CMP_FI_INCORRECT_DATA);
    /* without extraCerts the intermediate must come from -untrusted */
    bare->has_extra_certs = 0;
    CHECK(!cmp_vfy_new_cert(g_store_root, bare, ee, NULL, NULL, &err));
    if (CHECK(sk_X509_push(untrusted, g_server) > 0)) {
        X509_up_ref(g_server);
        CHECK(cmp_vfy_new_cert(g_store_root, bare, ee, untrusted, NULL, &err));
    }
    /* extraCerts and caPubs, decoded */
    CHECK(cmp_vfy_msg_certs(&certs, ip, 1, &err) && sk_X509_num(certs) == 2);

    /* -own_trusted */
    CHECK(cmp_vfy_own_chain(g_store_root, g_client, NULL, NULL, &err));
    CHECK(!cmp_vfy_own_chain(g_store_client, g_server, NULL, NULL, &err));
    CHECK(err.code == CMP_E_INVALID && err.failure_bit == CMP_FI_NONE);
    CHECK(strstr(err.msg, "own") != NULL);
done:
    X509_free(ee);
    sk_X509_pop_free(untrusted, X509_free);
    sk_X509_pop_free(certs, X509_free);
    cmp_msg_free(ip);
    cmp_msg_free(bare);
}

static int
setup(void)
{
    uint8_t *s;
    size_t len;

    if (!check_read_file(g_dir, "secret.txt", &s, &len)) {
        return 0;
    }
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) {
        len--;
    }
    if (len > sizeof(g_secret)) {
        free(s);
        return 0;
    }
    memcpy(g_secret, s, len);
    g_secret_len = len;
    free(s);
    g_root = check_load_cert(g_dir, "pki/root.crt");
    g_server = check_load_cert(g_dir, "pki/server.crt");
    g_client = check_load_cert(g_dir, "pki/client.crt");
    g_root_key = check_load_key(g_dir, "pki/root.key");
    g_server_key = check_load_key(g_dir, "pki/server.key");
    g_client_key = check_load_key(g_dir, "pki/client.key");
    if (g_root == NULL || g_server == NULL || g_client == NULL || g_root_key == NULL ||
        g_server_key == NULL || g_client_key == NULL) {
        return 0;
    }
    g_ku_cert = make_ku_cert(&g_ku_key);
    g_store_root = store_of(g_root);
    g_store_client = store_of(g_client);
    g_store_empty = store_of(NULL);
    {
        X509 *ee = check_load_cert(g_dir, "pki/ee.crt");
        int ok = ee != NULL && name_der(ee, &g_ee_name, &g_ee_name_len);

        X509_free(ee);
        if (!ok) {
            return 0;
        }
    }
    return g_ku_cert != NULL && g_store_root != NULL && g_store_client != NULL &&
           g_store_empty != NULL && name_der(g_client, &g_client_name, &g_client_name_len) &&
           name_der(g_root, &g_root_name, &g_root_name_len) &&
           name_der(g_server, &g_server_name, &g_server_name_len);
}

static void
teardown(void)
{
    X509_free(g_root);
    X509_free(g_server);
    X509_free(g_client);
    X509_free(g_ku_cert);
    EVP_PKEY_free(g_root_key);
    EVP_PKEY_free(g_server_key);
    EVP_PKEY_free(g_client_key);
    EVP_PKEY_free(g_ku_key);
    X509_STORE_free(g_store_root);
    X509_STORE_free(g_store_client);
    X509_STORE_free(g_store_empty);
    OPENSSL_free(g_client_name);
    OPENSSL_free(g_root_name);
    OPENSSL_free(g_server_name);
    OPENSSL_free(g_ee_name);
}

int
main(int argc, char **argv)
{
    if (argc != 2 || !check_have_dir(argv[1])) {
        fprintf(stderr, "usage: test_verify GENERATED-VECTORS-DIR (skipped: no such dir)\n");
        return CHECK_SKIP;
    }
    g_dir = argv[1];
    if (!CHECK(setup())) {
        teardown();
        return check_finish();
    }
    run_table("ir_pbm_2_ip.der", "ir_pbm_1_ir.der", pbm_opts, pbm_rows, NROWS(pbm_rows));
    run_table("ir_sig_2_ip.der", "ir_sig_1_ir.der", sig_opts, sig_rows, NROWS(sig_rows));
    test_unprotected_errors();
    test_server();
    test_functions();
    test_signer_export();
    test_iteration_dos();
    test_cert_paths();
    teardown();
    return check_finish();
}
