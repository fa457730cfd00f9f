/*
 * The mock responder: what the `openssl cmp` 3.0 mock server answers
 * (apps/lib/cmp_mock_srv.c with crypto/cmp/cmp_server.c), learned by
 * experiment with `openssl cmp -port`:
 *
 *   ir/cr/kur/p10cr  one CertReqMsg with certReqId 0 (p10cr: -1); POPO
 *                    checked first (failure: ip/cp/kup with rejection and
 *                    badPOP, nothing else); -send_error: error message;
 *                    kur: its oldCertID must name -rsp_cert;
 *                    -poll_count N: status 'waiting' (no certificate, caPubs
 *                    or extraCerts), the Nth pollReq gets the final answer,
 *                    the ones before it pollRep with -check_after; the final
 *                    answer: -pkistatus/-failurebits/-statusstring, the
 *                    -rsp_cert unless the status is rejection or waiting,
 *                    caPubs (-rsp_capubs) only in ip, extraCerts
 *                    (-rsp_extracerts) whatever the status
 *   implicit confirm granted (implicitConfirm in the response's generalInfo,
 *                    transaction ends) if the request asked, -grant_implicitconf
 *                    is set and the certificate is sent; else certConf is due
 *   certConf         the first CertStatus; certReqId and certHash (over the
 *                    certificate sent) must match; a rejecting status is
 *                    logged; pkiConf
 *   rr               one RevDetails; with issuer and serialNumber in the
 *                    template they must be -rsp_cert's; rp with the status
 *                    and revCerts (the CertId) when both are given
 *   genm             genp echoing the ITAVs
 *   error            logged; pkiConf
 *
 * Where openssl answers every failure with badRequest, the bits here are
 * the RFC's (badCertId for a certificate that is not ours, badPOP...).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/internal.h"

static int
response_type(int req_type)
{
    switch (req_type) {
    case CMP_BODY_IR:
        return CMP_BODY_IP;
    case CMP_BODY_KUR:
        return CMP_BODY_KUP;
    case CMP_BODY_CR:
    case CMP_BODY_P10CR:
    default:
        return CMP_BODY_CP;
    }
}

/* -send_error: the error message openssl sends (badRequest). */
static int
send_error(struct cmp_srv_req *r, struct cmp_err *err)
{
    r->fail_text = "error processing message";
    return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "-send_error is set");
}

/* A CertRepMessage with one CertResponse and no certificate yet. */
static int
certrep_start(struct cmp_srv_req *r, int req_type, int64_t cert_req_id, int64_t status,
              uint64_t bits, const char *text, struct cmp_err *err)
{
    struct cmp_body *b = &r->rsp->body;

    cmp_body_cleanup(b);
    b->type = response_type(req_type);
    b->u.rep.responses = calloc(1, sizeof(*b->u.rep.responses));
    if (b->u.rep.responses == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "CertRepMessage");
    }
    b->u.rep.num = 1;
    b->u.rep.responses[0].cert_req_id = cert_req_id;
    if (!cmp_srv_status_set(&b->u.rep.responses[0].status, status, bits, text)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PKIStatusInfo");
    }
    r->negative = status == CMP_STATUS_REJECTION;
    return 1;
}

/*
 * The answer to a certificate request (at once or after polling): the
 * configured status with -rsp_cert, caPubs and extraCerts, and what becomes
 * of the transaction.
 */
static int
final_certrep(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    const struct cmp_srv_config *c = &srv->cfg;
    struct cmp_srv_txn *t = r->txn;
    struct cmp_cert_rep *rep = &r->rsp->body.u.rep;
    int with_cert;

    if (!certrep_start(r, t->req_type, t->cert_req_id, c->pkistatus, (uint64_t)srv->failbits,
                       c->statusstring, err)) {
        return 0;
    }
    with_cert = srv->rsp_cert_der != NULL && c->pkistatus != CMP_STATUS_REJECTION &&
                c->pkistatus != CMP_STATUS_WAITING;
    if (with_cert) {
        rep->responses[0].has_ckp = 1;
        rep->responses[0].ckp.cert_type = CMP_CERT_PLAIN;
        rep->responses[0].ckp.cert = der_in_make(srv->rsp_cert_der, srv->rsp_cert_len);
    }
    if (r->rsp->body.type == CMP_BODY_IP && srv->capubs.num > 0) {
        if (!cmp_srv_certs_attach(&rep->ca_pubs, &srv->capubs)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "caPubs");
        }
        rep->has_ca_pubs = 1;
    }
    r->with_extra = 1;
    r->implicit_granted = with_cert && t->implicit_confirm && c->grant_implicitconf;
    if (with_cert && !r->implicit_granted) {
        /* RFC 9810 5.3.18: the certificate needs the client's confirmation. */
        if (!X509_up_ref(c->rsp_cert)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "certificate");
        }
        X509_free(t->cert);
        t->cert = c->rsp_cert;
        t->state = CMP_SRV_TXN_WAIT_CONF;
        r->keep = 1;
    } else {
        r->keep = 0;
    }
    return 1;
}

/* The proof of possession failed: ip/cp/kup with rejection and badPOP only. */
static int
reject_pop(struct cmp_srv_req *r, int64_t cert_req_id, const char *text, const struct cmp_err *why,
           struct cmp_err *err)
{
    cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_ERR, "rejecting the request: %s", text);
    cmp_srv_log_err(r->srv, r->tid_hex, CMP_SRV_LOG_DEBUG, "POPO", why);
    r->keep = 0;
    r->with_extra = 0;
    return certrep_start(r, r->req->body.type, cert_req_id, CMP_STATUS_REJECTION,
                         (uint64_t)1 << CMP_FI_BAD_POP, text, err);
}

/* Does a CertTemplate's or CertId's issuer and serial name -rsp_cert? */
static int
is_rsp_cert(const struct cmp_srv *srv, const struct der_in *issuer, const struct der_in *serial)
{
    struct der_in i = der_in_make(srv->rsp_issuer, srv->rsp_issuer_len);
    struct der_in s = der_in_make(srv->rsp_serial, srv->rsp_serial_len);

    return cmp_vfy_name_eq(issuer, &i) && der_in_eq(serial, &s);
}

/*
 * RFC 9483 4.1.3: a kur names the certificate it updates in the oldCertID
 * control; the mock only updates -rsp_cert (openssl 3.0: "wrong certid").
 */
static int
check_old_cert_id(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_cert_req_msg *crm = &r->req->body.u.req.items[0];
    const struct cmp_certid *id = &crm->controls.old_cert_id;

    if (r->srv->rsp_cert_der == NULL) {
        return 1;
    }
    if (!crm->has_controls || !crm->controls.has_old_cert_id) {
        r->fail_text = "oldCertID missing";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "kur without the oldCertID control");
    }
    if (id->issuer.type != CMP_GN_DIRNAME || !is_rsp_cert(r->srv, &id->issuer.value, &id->serial)) {
        r->fail_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "kur oldCertID names a certificate other than -rsp_cert");
    }
    return 1;
}

int
cmp_srv_mock_cert_request(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_msg *req = r->req;
    const struct cmp_srv_config *c = &r->srv->cfg;
    struct cmp_srv_txn *t = r->txn;
    struct cmp_err why;
    int64_t id;

    cmp_err_init(&why);
    if (req->body.type == CMP_BODY_P10CR) {
        /* RFC 9483 4.1.4: a PKCS#10 request has no certReqId; -1 stands for it. */
        id = -1;
        if (!cmp_p10cr_verify(&req->body.u.p10cr, &why)) {
            if (why.failure_bit != CMP_FI_BAD_POP) {
                *err = why;
                return CMP_CONTEXT(err, "p10cr");
            }
            return reject_pop(r, id, "PKCS#10 signature invalid", &why, err);
        }
    } else {
        const struct cmp_cert_req_msgs *reqs = &req->body.u.req;
        const struct cmp_cert_req_msg *crm;

        if (reqs->num != 1) {
            r->fail_text = "only one request per message is supported";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                 "%zu CertReqMsgs: only one per request is supported", reqs->num);
        }
        crm = &reqs->items[0];
        if (crm->cert_req_id != 0) {
            r->fail_text = "certReqId must be 0";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "certReqId %lld, expected 0",
                                 (long long)crm->cert_req_id);
        }
        id = 0;
        if (!cmp_popo_verify(crm, c->accept_raverified, &why)) {
            const char *text = "POPO invalid";

            if (!crm->has_popo) {
                text = "POPO missing";
            } else if (crm->popo.type == CMP_POPO_RAVERIFIED) {
                text = "POPO raVerified not accepted";
            } else if (why.code == CMP_E_UNSUPPORTED) {
                text = "POPO method not supported";
            }
            return reject_pop(r, id, text, &why, err);
        }
    }
    if (c->send_error) {
        return send_error(r, err);
    }
    if (req->body.type == CMP_BODY_KUR && !check_old_cert_id(r, err)) {
        return 0;
    }
    t->req_type = req->body.type;
    t->cert_req_id = id;
    if (c->poll_count > 0) {
        /* The answer is delayed: 'waiting' now, the certificate after polling. */
        t->state = CMP_SRV_TXN_POLLING;
        t->polls = 0;
        t->check_after = c->check_after;
        r->keep = 1;
        return certrep_start(r, t->req_type, id, CMP_STATUS_WAITING, 0, NULL, err);
    }
    return final_certrep(r, err);
}

int
cmp_srv_mock_rr(struct cmp_srv_req *r, struct cmp_err *err)
{
    struct cmp_srv *srv = r->srv;
    const struct cmp_srv_config *c = &srv->cfg;
    const struct cmp_rev_req *rr = &r->req->body.u.rr;
    const struct cmp_cert_template *t;
    struct cmp_body *b = &r->rsp->body;
    struct cmp_rev_rep *rp = &b->u.rp;

    if (rr->num != 1) {
        r->fail_text = "only one request per message is supported";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "%zu RevDetails: only one per request is supported", rr->num);
    }
    if (c->send_error) {
        return send_error(r, err);
    }
    if (srv->rsp_cert_der == NULL) {
        r->fail_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID, "no -rsp_cert: no certificate to revoke");
    }
    t = &rr->items[0].cert_details;
    /* A request made from a CSR may lack issuer and serial: openssl accepts it. */
    if (t->has_issuer && t->has_serial) {
        if (!is_rsp_cert(srv, &t->issuer, &t->serial)) {
            r->fail_text = "unknown certificate";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                                 "issuer and serialNumber are not those of -rsp_cert");
        }
    }
    cmp_body_cleanup(b);
    b->type = CMP_BODY_RP;
    rp->status = calloc(1, sizeof(*rp->status));
    if (rp->status == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "RevRepContent");
    }
    rp->num_status = 1;
    if (!cmp_srv_status_set(&rp->status[0], c->pkistatus, (uint64_t)srv->failbits,
                            c->statusstring)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PKIStatusInfo");
    }
    if (t->has_issuer && t->has_serial) {
        uint8_t *buf = cmp_msg_alloc(r->rsp, t->issuer.len + 6);

        rp->rev_certs = calloc(1, sizeof(*rp->rev_certs));
        if (buf == NULL || rp->rev_certs == NULL ||
            !cmp_gname_set_dirname(&rp->rev_certs[0].issuer, buf, t->issuer.len + 6, &t->issuer)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "revCerts");
        }
        rp->rev_certs[0].serial = t->serial;
        rp->num_rev_certs = 1;
        rp->has_rev_certs = 1;
    }
    r->negative = c->pkistatus == CMP_STATUS_REJECTION;
    r->keep = 0;
    return 1;
}

int
cmp_srv_mock_genm(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_itavs *in = &r->req->body.u.itavs;
    struct cmp_body *b = &r->rsp->body;

    if (r->srv->cfg.send_error) {
        return send_error(r, err);
    }
    cmp_body_cleanup(b);
    b->type = CMP_BODY_GENP;
    if (in->num > 0) {
        b->u.itavs.items = malloc(in->num * sizeof(*in->items));
        if (b->u.itavs.items == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "GenRepContent");
        }
        memcpy(b->u.itavs.items, in->items, in->num * sizeof(*in->items));
        b->u.itavs.num = in->num;
    }
    r->keep = 0;
    return 1;
}

static void
set_pkiconf(struct cmp_srv_req *r)
{
    cmp_body_cleanup(&r->rsp->body);
    r->rsp->body.type = CMP_BODY_PKICONF;
    r->keep = 0;
}

/* The first string of a PKIFreeText, for the log (at most 200 bytes). */
static void
log_status(struct cmp_srv_req *r, const char *what, const struct cmp_pkistatus *si)
{
    const struct der_in *s =
        si->has_status_string && si->status_string.num > 0 ? &si->status_string.strs[0] : NULL;
    int bits = 0, i;

    for (i = 0; i <= CMP_FI_MAX; i++) {
        if (si->has_fail_info && (si->fail_info >> i) & 1) {
            bits = i;
            break;
        }
    }
    cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_INFO, "%s: status %lld%s%s%s%.*s%s", what,
                (long long)si->status, si->has_fail_info ? ", failInfo " : "",
                si->has_fail_info ? cmp_failure_bit_name(bits) : "", s != NULL ? ", \"" : "",
                s != NULL ? (int)(s->len > 200 ? 200 : s->len) : 0,
                s != NULL ? (const char *)s->p : "", s != NULL ? "\"" : "");
}

int
cmp_srv_mock_error(struct cmp_srv_req *r, struct cmp_err *err)
{
    (void)err;
    log_status(r, "received error", &r->req->body.u.error.status);
    set_pkiconf(r);
    return 1;
}

int
cmp_srv_mock_certconf(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_certconf *cc = &r->req->body.u.cert_conf;
    struct cmp_srv_txn *t = r->txn;
    const struct cmp_certstatus *cs;
    uint8_t hash[EVP_MAX_MD_SIZE];
    size_t hash_len = 0;

    if (t->state != CMP_SRV_TXN_WAIT_CONF || t->cert == NULL) {
        r->fail_text = "certConf not expected";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "certConf while waiting for pollReq");
    }
    if (cc->num == 0) {
        /* RFC 4210 5.3.18: an empty list rejects every certificate. */
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_INFO, "certificate rejected by client");
        set_pkiconf(r);
        return 1;
    }
    if (cc->num > 1) {
        cmp_srv_log(r->srv, r->tid_hex, CMP_SRV_LOG_WARN,
                    "certConf has %zu CertStatus: all but the first are ignored", cc->num);
    }
    cs = &cc->items[0];
    if (cs->cert_req_id != t->cert_req_id) {
        r->fail_text = "unexpected certReqId";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID, "certConf for certReqId %lld, expected %lld",
                             (long long)cs->cert_req_id, (long long)t->cert_req_id);
    }
    /* RFC 9810 5.1.1 / 5.3.18: hashAlg belongs to pvno cmp2021. */
    if (cs->has_hash_alg && r->req->hdr.pvno != CMP_PVNO_2021) {
        return CMP_FAIL_INFO(err, CMP_FI_UNSUPPORTED_VERSION, "certConf hashAlg needs pvno 3");
    }
    if (!cmp_cert_hash(t->cert, cs->has_hash_alg ? &cs->hash_alg : NULL, hash, &hash_len, err)) {
        return CMP_CONTEXT(err, "certConf certHash");
    }
    if (hash_len != cs->cert_hash.len || CRYPTO_memcmp(hash, cs->cert_hash.p, hash_len) != 0) {
        r->fail_text = "certHash does not match";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "certHash does not match the certificate sent");
    }
    if (cs->has_status && cs->status.status != CMP_STATUS_ACCEPTED) {
        log_status(r, "certificate rejected by client", &cs->status);
    }
    set_pkiconf(r);
    return 1;
}

int
cmp_srv_mock_pollreq(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_poll_req *pr = &r->req->body.u.poll_req;
    struct cmp_srv_txn *t = r->txn;
    struct cmp_body *b = &r->rsp->body;

    if (t->state != CMP_SRV_TXN_POLLING) {
        r->fail_text = "pollReq not expected";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "pollReq while waiting for certConf");
    }
    if (pr->num != 1) {
        r->fail_text = "only one request per message is supported";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "pollReq for %zu requests: only one is supported", pr->num);
    }
    if (pr->cert_req_ids[0] != t->cert_req_id) {
        r->fail_text = "unexpected certReqId";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "pollReq for certReqId %lld, expected %lld",
                             (long long)pr->cert_req_ids[0], (long long)t->cert_req_id);
    }
    if (++t->polls >= r->srv->cfg.poll_count) {
        return final_certrep(r, err);
    }
    cmp_body_cleanup(b);
    b->type = CMP_BODY_POLLREP;
    b->u.poll_rep.items = calloc(1, sizeof(*b->u.poll_rep.items));
    if (b->u.poll_rep.items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PollRepContent");
    }
    b->u.poll_rep.num = 1;
    b->u.poll_rep.items[0].cert_req_id = t->cert_req_id;
    b->u.poll_rep.items[0].check_after = t->check_after;
    r->keep = 1;
    return 1;
}
