/*
 * Unit tests for the rules of each body type in lib/verify (certconf.c,
 * poll.c, rev.c, certreq.c): for every rule a message built to break it,
 * and the failure bit (and, for the server's checks, the statusString
 * text) that must come out; and messages that keep every rule and pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/crypto.h"
#include "msg/msg.h"
#include "verify/verify.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static X509 *g_cert;

/* A self-signed EC certificate, to confirm. */
static X509 *
make_cert(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    int ok = key != NULL && x != NULL && n != NULL &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"t", -1,
                                        -1, 0) &&
             X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 5) &&
             X509_set_issuer_name(x, n) && X509_set_subject_name(x, n) &&
             X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL && X509_set_pubkey(x, key) &&
             X509_sign(x, key, EVP_sha256()) > 0;

    EVP_PKEY_free(key);
    X509_NAME_free(n);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static struct cmp_msg *
new_msg(int type, int64_t pvno)
{
    struct cmp_msg *m = cmp_msg_new();

    if (m != NULL) {
        m->hdr.pvno = pvno;
        m->body.type = type;
    }
    return m;
}

/* ---- certConf ---- */

/* AlgorithmIdentifier { id-sha256 } and { id-sha512 } */
static const uint8_t alg_sha256[] = {0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t alg_sha512[] = {0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x03};

enum { H_RIGHT, H_WRONG };

struct cs_row {
    int64_t id;
    int hash;              /* H_RIGHT: the certificate's, H_WRONG */
    const uint8_t *alg;    /* hashAlg TLV, or NULL */
    size_t alg_len;
};

static const struct {
    const char *name;
    int64_t pvno;
    size_t num;
    struct cs_row cs[2];
    int ok, bit;
    const char *peer;
} certconf_rows[] = {
    {"the certificate sent", 2, 1, {{0, H_RIGHT, NULL, 0}}, 1, 0, NULL},
    {"empty: rejects all", 2, 0, {{0}}, 1, 0, NULL},
    {"another certReqId", 2, 1, {{3, H_RIGHT, NULL, 0}}, 0, CMP_FI_BAD_CERT_ID,
     "unexpected certReqId"},
    {"certHash wrong", 2, 1, {{0, H_WRONG, NULL, 0}}, 0, CMP_FI_BAD_CERT_ID,
     "certHash does not match"},
    {"twice the same certReqId", 2, 2, {{0, H_RIGHT, NULL, 0}, {0, H_RIGHT, NULL, 0}}, 0,
     CMP_FI_BAD_REQUEST, "duplicate certReqId"},
    {"hashAlg with pvno 2", 2, 1, {{0, H_RIGHT, alg_sha256, sizeof(alg_sha256)}}, 0,
     CMP_FI_UNSUPPORTED_VERSION, NULL},
    {"hashAlg with pvno 3", 3, 1, {{0, H_RIGHT, alg_sha256, sizeof(alg_sha256)}}, 1, 0, NULL},
    {"hashAlg SHA-512, hash of SHA-256", 3, 1, {{0, H_WRONG, alg_sha512, sizeof(alg_sha512)}}, 0,
     CMP_FI_BAD_CERT_ID, "certHash does not match"},
};

static void
test_certconf(void)
{
    struct cmp_vfy_issued issued = {0, NULL, {NULL, 0}};
    uint8_t right[EVP_MAX_MD_SIZE], wrong[EVP_MAX_MD_SIZE];
    size_t right_len = 0, i, j;
    struct cmp_err err;

    issued.cert = g_cert;
    cmp_err_init(&err);
    if (!CHECK(cmp_cert_hash(g_cert, NULL, right, &right_len, &err))) {
        return;
    }
    memcpy(wrong, right, right_len);
    wrong[0] ^= 1;
    for (i = 0; i < NROWS(certconf_rows); i++) {
        const char *name = certconf_rows[i].name, *peer = "unset";
        struct cmp_msg *m = new_msg(CMP_BODY_CERTCONF, certconf_rows[i].pvno);
        struct cmp_certconf *cc;
        int ok;

        if (!CHECK_CASE(name, m != NULL)) {
            continue;
        }
        cc = &m->body.u.cert_conf;
        cc->items = calloc(2, sizeof(*cc->items));
        if (!CHECK_CASE(name, cc->items != NULL)) {
            cmp_msg_free(m);
            continue;
        }
        cc->num = certconf_rows[i].num;
        for (j = 0; j < cc->num; j++) {
            const struct cs_row *r = &certconf_rows[i].cs[j];
            struct cmp_certstatus *cs = &cc->items[j];

            cs->cert_req_id = r->id;
            cs->cert_hash = der_in_make(r->hash == H_RIGHT ? right : wrong, right_len);
            if (r->alg != NULL) {
                struct der_in in = der_in_make(r->alg, r->alg_len);

                cs->has_hash_alg = 1;
                CHECK_CASE(name, cmp_algid_decode(&in, DER_SEQUENCE, &cs->hash_alg, &err));
            }
        }
        cmp_err_init(&err);
        ok = cmp_vfy_certconf(m, &issued, 1, &peer, &err);
        CHECK_CASE(name, ok == certconf_rows[i].ok);
        if (!certconf_rows[i].ok) {
            CHECK_CASE(name, err.failure_bit == certconf_rows[i].bit);
            CHECK_CASE(name, certconf_rows[i].peer == NULL
                                 ? peer == NULL
                                 : peer != NULL && strcmp(peer, certconf_rows[i].peer) == 0);
        }
        cmp_msg_free(m);
    }
}

/* ---- pollReq, pollRep ---- */

static void
test_pollreq(void)
{
    static const int64_t one[] = {0}, whole[] = {-1};
    static const struct {
        const char *name;
        const int64_t *waiting;
        size_t num_waiting;
        size_t num;
        int64_t ids[2];
        int ok;
        const char *peer;
    } rows[] = {
        {"the waiting one", one, 1, 1, {0}, 1, NULL},
        {"-1 for a whole answer", whole, 1, 1, {-1}, 1, NULL},
        {"none", one, 1, 0, {0}, 0, "pollReq without certReqId"},
        {"another certReqId", one, 1, 1, {1}, 0, "unexpected certReqId"},
        {"-1 for a CertResponse", one, 1, 1, {-1}, 0, "unexpected certReqId"},
        {"twice", one, 1, 2, {0, 0}, 0, "duplicate certReqId"},
        {"nothing waits", one, 0, 1, {0}, 0, "unexpected certReqId"},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_msg *m = new_msg(CMP_BODY_POLLREQ, 2);
        const char *peer = NULL;
        struct cmp_err err;

        if (!CHECK_CASE(rows[i].name, m != NULL)) {
            continue;
        }
        m->body.u.poll_req.cert_req_ids = calloc(2, sizeof(int64_t));
        if (CHECK_CASE(rows[i].name, m->body.u.poll_req.cert_req_ids != NULL)) {
            memcpy(m->body.u.poll_req.cert_req_ids, rows[i].ids, sizeof(rows[i].ids));
            m->body.u.poll_req.num = rows[i].num;
            cmp_err_init(&err);
            CHECK_CASE(rows[i].name, cmp_vfy_pollreq(m, rows[i].waiting, rows[i].num_waiting,
                                                     &peer, &err) == rows[i].ok);
            if (!rows[i].ok) {
                CHECK_CASE(rows[i].name, err.failure_bit == CMP_FI_BAD_REQUEST && peer != NULL &&
                                             strcmp(peer, rows[i].peer) == 0);
            }
        }
        cmp_msg_free(m);
    }
}

static void
test_pollrep(void)
{
    static const int64_t polled[] = {0};
    static const struct {
        const char *name;
        size_t num;
        int64_t ids[2], after[2];
        int ok, bit;
    } rows[] = {
        {"one for ours", 1, {0}, {5}, 1, 0},
        {"checkAfter 0", 1, {0}, {0}, 1, 0},
        {"negative checkAfter", 1, {0}, {-1}, 0, CMP_FI_BAD_DATA_FORMAT},
        {"another certReqId", 1, {1}, {5}, 0, CMP_FI_BAD_REQUEST},
        {"none", 0, {0}, {0}, 0, CMP_FI_BAD_REQUEST},
        {"ours twice", 2, {0, 0}, {5, 5}, 0, CMP_FI_BAD_REQUEST},
    };
    size_t i, j;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_msg *m = new_msg(CMP_BODY_POLLREP, 2);
        struct cmp_err err;

        if (!CHECK_CASE(rows[i].name, m != NULL)) {
            continue;
        }
        m->body.u.poll_rep.items = calloc(2, sizeof(*m->body.u.poll_rep.items));
        if (CHECK_CASE(rows[i].name, m->body.u.poll_rep.items != NULL)) {
            for (j = 0; j < 2; j++) {
                m->body.u.poll_rep.items[j].cert_req_id = rows[i].ids[j];
                m->body.u.poll_rep.items[j].check_after = rows[i].after[j];
            }
            m->body.u.poll_rep.num = rows[i].num;
            cmp_err_init(&err);
            CHECK_CASE(rows[i].name, cmp_vfy_pollrep(m, polled, 1, &err) == rows[i].ok);
            if (!rows[i].ok) {
                CHECK_CASE(rows[i].name, err.failure_bit == rows[i].bit);
            }
        }
        cmp_msg_free(m);
    }
}

/* ---- rr, rp ---- */

static void
test_rev(void)
{
    static const uint8_t name[] = {0x30, 0x0C, 0x31, 0x0A, 0x30, 0x08, 0x06, 0x03,
                                   0x55, 0x04, 0x03, 0x0C, 0x01, 0x74}; /* CN=t */
    static const uint8_t other[] = {0x30, 0x0C, 0x31, 0x0A, 0x30, 0x08, 0x06, 0x03,
                                    0x55, 0x04, 0x03, 0x0C, 0x01, 0x75}; /* CN=u */
    static const uint8_t serial[] = {0x05}, serial2[] = {0x06};
    struct der_in n = der_in_make(name, sizeof(name)), s = der_in_make(serial, sizeof(serial));
    struct der_in n2 = der_in_make(other, sizeof(other)), s2 = der_in_make(serial2, 1);
    static const struct {
        const char *name;
        size_t num_status;
        int has_rev_certs;
        size_t num_rev_certs;
        int ok;
    } rp_rows[] = {
        {"one status", 1, 0, 0, 1},
        {"one status, its CertId", 1, 1, 1, 1},
        {"empty revCerts (openssl)", 1, 1, 0, 1},
        {"two statuses for one", 2, 0, 0, 0},
        {"no status", 0, 0, 0, 0},
        {"two revCerts for one", 1, 1, 2, 0},
    };
    struct cmp_msg *m;
    struct cmp_err err;
    const char *peer = NULL;
    size_t i;
    uint8_t buf[64];

    /* rr: RFC 9810 5.3.10, at least one RevDetails */
    m = new_msg(CMP_BODY_RR, 2);
    if (CHECK(m != NULL)) {
        cmp_err_init(&err);
        CHECK(!cmp_vfy_rr(m, &peer, &err) && err.failure_bit == CMP_FI_BAD_REQUEST &&
              peer != NULL && strcmp(peer, "no RevDetails") == 0);
        m->body.u.rr.items = calloc(1, sizeof(*m->body.u.rr.items));
        m->body.u.rr.num = m->body.u.rr.items != NULL;
        CHECK(m->body.u.rr.num == 1 && cmp_vfy_rr(m, &peer, &err));
    }
    cmp_msg_free(m);

    for (i = 0; i < NROWS(rp_rows); i++) {
        struct cmp_rev_rep *rp;

        m = new_msg(CMP_BODY_RP, 2);
        if (!CHECK_CASE(rp_rows[i].name, m != NULL)) {
            continue;
        }
        rp = &m->body.u.rp;
        rp->status = calloc(2, sizeof(*rp->status));
        rp->rev_certs = calloc(2, sizeof(*rp->rev_certs));
        if (CHECK_CASE(rp_rows[i].name, rp->status != NULL && rp->rev_certs != NULL &&
                                            cmp_gname_set_dirname(&rp->rev_certs[0].issuer, buf,
                                                                  sizeof(buf), &n))) {
            rp->rev_certs[0].serial = s;
            rp->rev_certs[1] = rp->rev_certs[0];
            rp->num_status = rp_rows[i].num_status;
            rp->has_rev_certs = rp_rows[i].has_rev_certs;
            rp->num_rev_certs = rp_rows[i].num_rev_certs;
            cmp_err_init(&err);
            CHECK_CASE(rp_rows[i].name, cmp_vfy_rp(m, 1, &err) == rp_rows[i].ok);
            if (!rp_rows[i].ok) {
                CHECK_CASE(rp_rows[i].name, err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
            }
            /* the CertId must name the certificate of the RevDetails */
            if (rp->num_rev_certs == 1) {
                CHECK_CASE(rp_rows[i].name, cmp_vfy_rp_cert_id(m, 0, &n, &s, &err));
                CHECK_CASE(rp_rows[i].name, !cmp_vfy_rp_cert_id(m, 0, &n2, &s, &err) &&
                                                err.failure_bit == CMP_FI_BAD_CERT_ID);
                CHECK_CASE(rp_rows[i].name, !cmp_vfy_rp_cert_id(m, 0, &n, &s2, &err));
            } else if (rp->num_rev_certs == 0) {
                /* no revCerts: nothing to compare */
                CHECK_CASE(rp_rows[i].name, cmp_vfy_rp_cert_id(m, 0, &n2, &s2, &err));
            }
        }
        cmp_msg_free(m);
    }
}

/* ---- certificate requests and responses ---- */

static void
test_cert_req_ids(void)
{
    static const struct {
        const char *name;
        size_t num;
        int64_t ids[2];
        int ok;
        const char *peer;
    } rows[] = {
        {"one, 0", 1, {0}, 1, NULL},
        {"one, 7", 1, {7}, 0, "certReqId must be 0"},
        {"one, -1", 1, {-1}, 0, "certReqId must be 0"},
        {"two, 0 and 1", 2, {0, 1}, 1, NULL},
        {"two, 5 and 3", 2, {5, 3}, 1, NULL},
        {"two, both 0", 2, {0, 0}, 0, "duplicate certReqId"},
        {"two, one -1", 2, {0, -1}, 0, "negative certReqId"},
    };
    size_t i, j;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_msg *m = new_msg(CMP_BODY_IR, 2);
        const char *peer = NULL;
        struct cmp_err err;

        if (!CHECK_CASE(rows[i].name, m != NULL)) {
            continue;
        }
        m->body.u.req.items = calloc(2, sizeof(*m->body.u.req.items));
        if (CHECK_CASE(rows[i].name, m->body.u.req.items != NULL)) {
            for (j = 0; j < 2; j++) {
                m->body.u.req.items[j].cert_req_id = rows[i].ids[j];
            }
            m->body.u.req.num = rows[i].num;
            cmp_err_init(&err);
            CHECK_CASE(rows[i].name, cmp_vfy_cert_req_ids(m, &peer, &err) == rows[i].ok);
            if (!rows[i].ok) {
                CHECK_CASE(rows[i].name, err.failure_bit == CMP_FI_BAD_REQUEST && peer != NULL &&
                                             strcmp(peer, rows[i].peer) == 0);
            }
        }
        cmp_msg_free(m);
    }
}

static void
test_popo(void)
{
    static const struct {
        const char *name;
        int has_popo, type, priv_type, accept_ra, want;
    } rows[] = {
        {"none", 0, 0, 0, 0, CMP_VFY_POPO_MISSING},
        {"raVerified, not accepted", 1, CMP_POPO_RAVERIFIED, 0, 0, CMP_VFY_POPO_RAVERIFIED},
        {"raVerified, accepted", 1, CMP_POPO_RAVERIFIED, 0, 1, CMP_VFY_POPO_OK},
        {"keyEncipherment subsequentMessage", 1, CMP_POPO_KEYENC, CMP_POPO_PRIV_SUBSEQUENT, 0,
         CMP_VFY_POPO_INDIRECT},
        {"keyAgreement thisMessage", 1, CMP_POPO_KEYAGREE, CMP_POPO_PRIV_THIS_MESSAGE, 0,
         CMP_VFY_POPO_INDIRECT},
        {"signature without a key", 1, CMP_POPO_SIGNATURE, 0, 0, CMP_VFY_POPO_BAD},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_cert_req_msg crm;
        struct cmp_err why;

        memset(&crm, 0, sizeof(crm));
        crm.has_popo = rows[i].has_popo;
        crm.popo.type = rows[i].type;
        crm.popo.priv_type = rows[i].priv_type;
        cmp_err_init(&why);
        CHECK_CASE(rows[i].name, cmp_vfy_popo(&crm, rows[i].accept_ra, &why) == rows[i].want);
    }
}

static void
test_certrep(void)
{
    static const struct {
        const char *name;
        int64_t want_id, rsp_id;
        int64_t status;
        int has_ckp;
        int found, ok, bit;
    } rows[] = {
        {"accepted with a certificate", 0, 0, CMP_STATUS_ACCEPTED, 1, 1, 1, 0},
        {"accepted without", 0, 0, CMP_STATUS_ACCEPTED, 0, 1, 0, CMP_FI_BAD_DATA_FORMAT},
        {"keyUpdateWarning without", 0, 0, CMP_STATUS_KEY_UPDATE_WARNING, 0, 1, 0,
         CMP_FI_BAD_DATA_FORMAT},
        {"waiting without", 0, 0, CMP_STATUS_WAITING, 0, 1, 1, 0},
        {"waiting with a certificate", 0, 0, CMP_STATUS_WAITING, 1, 1, 0, CMP_FI_BAD_DATA_FORMAT},
        {"rejection without", 0, 0, CMP_STATUS_REJECTION, 0, 1, 1, 0},
        {"p10cr answered with 0", -1, 0, CMP_STATUS_ACCEPTED, 1, 1, 1, 0},
        {"another certReqId", 0, 3, CMP_STATUS_ACCEPTED, 1, 0, 0, CMP_FI_BAD_REQUEST},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_msg *m = new_msg(CMP_BODY_IP, 2);
        const struct cmp_cert_response *cr = NULL;
        struct cmp_err err;
        int found;

        if (!CHECK_CASE(rows[i].name, m != NULL)) {
            continue;
        }
        m->body.u.rep.responses = calloc(1, sizeof(*m->body.u.rep.responses));
        if (CHECK_CASE(rows[i].name, m->body.u.rep.responses != NULL)) {
            m->body.u.rep.num = 1;
            m->body.u.rep.responses[0].cert_req_id = rows[i].rsp_id;
            m->body.u.rep.responses[0].status.status = rows[i].status;
            m->body.u.rep.responses[0].has_ckp = rows[i].has_ckp;
            cmp_err_init(&err);
            found = cmp_vfy_certrep_find(m, rows[i].want_id, &cr, &err);
            CHECK_CASE(rows[i].name, found == rows[i].found);
            if (found) {
                CHECK_CASE(rows[i].name, cmp_vfy_cert_response(m, cr, &err) == rows[i].ok);
            }
            if (!rows[i].ok) {
                CHECK_CASE(rows[i].name, err.failure_bit == rows[i].bit);
            }
        }
        cmp_msg_free(m);
    }
}
/* RFC 9483 4.1.1: a lightweight certConf confirms one certificate; RFC 9810 allows several. */
static void
test_certconf_count(void)
{
    struct cmp_certstatus items[2];
    struct cmp_vfy_req_rules lw, plain;
    struct cmp_msg m;
    struct cmp_err err;
    const char *text = NULL;

    memset(items, 0, sizeof(items));
    memset(&m, 0, sizeof(m));
    memset(&lw, 0, sizeof(lw));
    memset(&plain, 0, sizeof(plain));
    lw.profile = CMP_VFY_PROFILE_LIGHTWEIGHT;
    plain.profile = CMP_VFY_PROFILE_RFC9810;
    m.body.type = CMP_BODY_CERTCONF;
    m.body.u.cert_conf.items = items;
    m.body.u.cert_conf.num = 1;
    cmp_err_init(&err);
    CHECK(cmp_vfy_certconf_count(&lw, &m, &text, &err) == 1);
    m.body.u.cert_conf.num = 2;
    CHECK(cmp_vfy_certconf_count(&plain, &m, &text, &err) == 1);
    CHECK(cmp_vfy_certconf_count(&lw, &m, &text, &err) == 0 &&
          err.failure_bit == CMP_FI_BAD_REQUEST && text != NULL);
    cmp_err_init(&err);
    m.body.u.cert_conf.num = 0;
    CHECK(cmp_vfy_certconf_count(&lw, &m, &text, &err) == 0);
}


int
main(void)
{
    g_cert = make_cert();
    if (!CHECK(g_cert != NULL)) {
        return check_finish();
    }
    test_certconf();
    test_certconf_count();
    test_pollreq();
    test_pollrep();
    test_rev();
    test_cert_req_ids();
    test_popo();
    test_certrep();
    X509_free(g_cert);
    return check_finish();
}
