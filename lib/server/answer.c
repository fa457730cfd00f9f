/*
 * The responder's turn: what the engine shows a responder of a request that
 * passed every check (the views of cmpkit/server.h), and the response body
 * it makes of the answer. The engine's state table (engine.c) calls one of
 * the cmp_srv_answer_*() functions per request; each records in the
 * request what becomes of the transaction (certificates awaiting certConf,
 * what waits for pollReq), which the driver applies.
 *
 * Answers are checked before they become a response: a responder's mistake
 * (a certificate with a rejection, a status out of range) gets the client
 * an error message (systemFailure), never a malformed response.
 */
#include <stdlib.h>
#include <string.h>

#include "server/internal.h"

/* ---- what the responder is shown ---- */

static struct cmp_srv_der
view(const struct der_in *in)
{
    struct cmp_srv_der d;

    d.p = in->p;
    d.len = in->len;
    return d;
}

/*
 * The contents of an IMPLICIT-tagged SEQUENCE (CertTemplate publicKey [6],
 * extensions [9]) as the SEQUENCE libcrypto parses (d2i_PUBKEY,
 * d2i_X509_EXTENSIONS), in the response's arena.
 */
static int
view_seq(struct cmp_srv_req *r, const struct der_in *contents, struct cmp_srv_der *out,
         struct cmp_err *err)
{
    struct der_out w;
    uint8_t *der = NULL, *copy;
    size_t len = 0, seq;
    int ok;

    der_out_init(&w, CMP_MAX_MSG_LEN);
    ok = der_open(&w, DER_SEQUENCE, &seq) && der_put_in(&w, contents) && der_close(&w, seq) &&
         der_out_finish(&w, &der, &len);
    der_out_cleanup(&w);
    copy = ok ? cmp_msg_dup(r->rsp, der, len) : NULL;
    free(der);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certificate request");
    }
    out->p = copy;
    out->len = len;
    return 1;
}

static void
peer_status(struct cmp_srv_peer_status *out, const struct cmp_pkistatus *si)
{
    memset(out, 0, sizeof(*out));
    out->status = si->status >= 0 && si->status <= INT32_MAX ? (int)si->status : -1;
    out->has_fail_info = si->has_fail_info;
    out->fail_info = (uint32_t)si->fail_info;
    if (si->has_status_string && si->status_string.num > 0) {
        out->text = view(&si->status_string.strs[0]);
    }
}

/* Fills r->call for the request (and its transaction, if any). */
void
cmp_srv_call_init(struct cmp_srv_req *r)
{
    struct cmp_srv_call *c = &r->call;
    const struct cmp_header *h = &r->req->hdr;

    memset(c, 0, sizeof(*c));
    c->msg = r->req;
    c->body_type = r->req->body.type;
    c->first_type = r->txn != NULL ? r->txn->first_type : c->body_type;
    c->pvno = (int)h->pvno;
    if (h->has_transaction_id) {
        c->transaction_id = view(&h->transaction_id);
    }
    if (h->sender.type == CMP_GN_DIRNAME) {
        c->sender = view(&h->sender.value);
    }
    if (h->has_sender_kid) {
        c->sender_kid = view(&h->sender_kid);
    }
    c->auth = r->auth;
    c->signer = r->auth == CMP_SRV_AUTH_SIGNATURE ? r->signer : NULL;
    c->vouched = r->vouched;
    c->implicit_confirm = r->txn != NULL && r->txn->implicit_confirm;
    c->txn_data = r->txn != NULL ? &r->txn->data : NULL;
    c->req = r;
    c->tls_client_cert = r->tls_client_cert;
}

/* A callback that failed: its text for the peer, and a bit if it named none. */
static int
callback_failed(struct cmp_srv_req *r, struct cmp_err *err)
{
    r->fail_text = r->answer.error_text;
    if (err->code == CMP_E_NONE) {
        CMP_FAIL(err, CMP_E_INVALID, "the responder refused the request");
    }
    return 0;
}

static int
unsupported(struct cmp_srv_req *r, struct cmp_err *err)
{
    r->fail_text = "unsupported message type";
    return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "the responder does not take %s",
                         cmp_body_type_name(r->req->body.type));
}

/* A responder's mistake: the client gets systemFailure, the log the detail. */
#define RESPONDER_FAIL(err, ...) \
    cmp_err_set((err), CMP_E_INVALID, CMP_FI_SYSTEM_FAILURE, __FILE__, __LINE__, __VA_ARGS__)

static int
status_valid(const struct cmp_srv_status *st)
{
    return st->status >= CMP_SRV_ACCEPTED && st->status <= CMP_SRV_KEY_UPDATE_WARNING &&
           (uint64_t)st->fail_info < ((uint64_t)1 << (CMP_FI_MAX + 1));
}

/* ---- the bodies made of answers ---- */

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

static void
body_pkiconf(struct cmp_srv_req *r)
{
    cmp_body_cleanup(&r->rsp->body);
    r->rsp->body.type = CMP_BODY_PKICONF;
}

/* pollRep (RFC 9810 5.3.22): each polled certReqId waits |check_after| seconds more. */
static int
body_pollrep(struct cmp_srv_req *r, const int64_t *ids, size_t num, struct cmp_err *err)
{
    struct cmp_body *b = &r->rsp->body;
    size_t i;

    if (r->answer.check_after < 0) {
        return RESPONDER_FAIL(err, "responder: negative checkAfter %lld",
                              (long long)r->answer.check_after);
    }
    cmp_body_cleanup(b);
    b->type = CMP_BODY_POLLREP;
    b->u.poll_rep.items = calloc(num, sizeof(*b->u.poll_rep.items));
    if (b->u.poll_rep.items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PollRepContent");
    }
    b->u.poll_rep.num = num;
    for (i = 0; i < num; i++) {
        b->u.poll_rep.items[i].cert_req_id = ids[i];
        b->u.poll_rep.items[i].check_after = r->answer.check_after;
    }
    r->check_after = r->answer.check_after;
    return 1;
}

/* The certReqIds that wait now: |keep| (those not polled) and the results that wait. */
static int
set_waiting(struct cmp_srv_req *r, const int64_t *keep, size_t num_keep, struct cmp_err *err)
{
    const struct cmp_srv_answer *a = &r->answer;
    size_t i, n = 0;

    r->new_waiting = malloc((num_keep + a->num_certs + 1) * sizeof(*r->new_waiting));
    if (r->new_waiting == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
    }
    for (i = 0; i < num_keep; i++) {
        r->new_waiting[n++] = keep[i];
    }
    for (i = 0; i < a->num_certs; i++) {
        if (a->certs[i].status.status == CMP_SRV_WAITING) {
            r->new_waiting[n++] = a->certs[i].cert_req_id;
        }
    }
    r->num_new_waiting = n;
    r->set_waiting = 1;
    r->check_after = a->check_after;
    return 1;
}

/* Copies an issued-list entry: its own DER and X509 reference. 0 if out of memory. */
static int
issued_copy(struct cmp_vfy_issued *dst, const struct cmp_vfy_issued *src, X509 *cert)
{
    uint8_t *der = malloc(src->der.len > 0 ? src->der.len : 1);

    if (der == NULL || (cert != NULL && !X509_up_ref(cert))) {
        free(der);
        return 0;
    }
    memcpy(der, src->der.p, src->der.len);
    dst->cert_req_id = src->cert_req_id;
    dst->der = der_in_make(der, src->der.len);
    dst->cert = cert;
    return 1;
}

/*
 * The certificates that await certConf after this response: those that
 * already did and the new ones (implicit confirmation granted: none of
 * the new ones), each with its DER in |ders| (the response's).
 */
static int
set_issued(struct cmp_srv_req *r, int implicit, const struct der_in *ders, struct cmp_err *err)
{
    const struct cmp_srv_answer *a = &r->answer;
    const struct cmp_srv_txn *t = r->txn;
    size_t i, n = 0;

    r->new_issued = calloc(t->num_issued + a->num_certs + 1, sizeof(*r->new_issued));
    if (r->new_issued == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
    }
    r->set_issued = 1;
    for (i = 0; i < t->num_issued; i++) {
        if (!issued_copy(&r->new_issued[n], &t->issued[i], t->issued[i].cert)) {
            r->num_new_issued = n;
            return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
        }
        r->num_new_issued = ++n;
    }
    for (i = 0; !implicit && i < a->num_certs; i++) {
        struct cmp_vfy_issued e;

        if (ders[i].len == 0) {
            continue;
        }
        /* RFC 9810 5.3.18: the certificate needs the client's confirmation. */
        e.cert_req_id = a->certs[i].cert_req_id;
        e.der = ders[i];
        e.cert = NULL;
        if (!issued_copy(&r->new_issued[n], &e, a->certs[i].cert)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
        }
        r->num_new_issued = ++n;
    }
    return 1;
}

/* ---- encrypted certificates and centrally generated keys ---- */

/* An EncryptedKey lib/crypto made (|buf|, taken), as the response's arena and model hold it. */
static int
keep_enckey(struct cmp_srv_req *r, uint8_t *buf, size_t len, struct cmp_enckey *out,
            struct cmp_err *err)
{
    uint8_t *copy = cmp_msg_dup(r->rsp, buf, len);
    struct der_in in = der_in_make(copy, len);

    free(buf);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "EncryptedKey");
    }
    if (!cmp_enckey_decode(&in, out, err) || !der_done(&in)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "EncryptedKey");
    }
    return 1;
}

/*
 * encryptedCert (RFC 9810 5.2.8.3.2): |cert| for its own key. EnvelopedData
 * is cmp2021 syntax (RFC 9480 2.20), and a response has the request's pvno
 * (RFC 9810 7): a cmp2000 request gets the EncryptedValue cmp2000 has.
 */
static int
enc_cert(struct cmp_srv_req *r, X509 *cert, struct cmp_enckey *out, struct cmp_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;

    if (!cmp_enckey_wrap_cert(&buf, &len, cert, r->call.pvno < CMP_PVNO_2021, err)) {
        return CMP_CONTEXT(err, "encryptedCert");
    }
    return keep_enckey(r, buf, len, out, err);
}

/*
 * privateKey (RFC 9483 4.1.6): |key| signed by our certificate as the key
 * generation authority, in an EnvelopedData for the request's protection:
 * the certificate that signed it (4.1.6.1/4.1.6.2) or the shared secret of
 * its MAC (4.1.6.3).
 */
static int
central_key(struct cmp_srv_req *r, EVP_PKEY *key, struct cmp_enckey *out, struct cmp_err *err)
{
    const struct cmp_srv *srv = r->srv;
    struct cmp_recipient rcpt;
    struct cmp_kga kga;
    uint8_t *buf = NULL;
    size_t len = 0;

    memset(&kga, 0, sizeof(kga));
    memset(&rcpt, 0, sizeof(rcpt));
    kga.cert = srv->cfg.cert;
    kga.key = srv->cfg.key;
    kga.chain = srv->cfg.untrusted;
    kga.key_package = srv->cfg.kga_key_package;
    if (kga.cert == NULL || kga.key == NULL) {
        r->fail_text = "central key generation is not available";
        return cmp_err_set(err, CMP_E_ARG, CMP_FI_SYSTEM_UNAVAIL, __FILE__, __LINE__,
                           "no -srv_cert and -srv_key to sign the generated key with (KGA)");
    }
    switch (r->auth) {
    case CMP_SRV_AUTH_SIGNATURE:
        rcpt.cert = r->signer;
        break;
    case CMP_SRV_AUTH_MAC:
        /* the secret the request was checked with: the responder's (find_secret) or ours */
        rcpt.secret = r->secret != NULL ? r->secret : srv->secret;
        rcpt.secret_len = r->secret != NULL ? r->secret_len : srv->secret_len;
        break;
    default:
        rcpt.cert = NULL;
        break;
    }
    if (rcpt.cert == NULL && rcpt.secret == NULL) {
        r->fail_text = "central key generation needs a protected request";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "an unprotected request names nobody to encrypt the key for");
    }
    if (!cmp_enckey_wrap_key(&buf, &len, key, &kga, &rcpt, err)) {
        return CMP_CONTEXT(err, "privateKey");
    }
    return keep_enckey(r, buf, len, out, err);
}

/*
 * ip/cp/kup from the answer's results (RFC 9810 5.3.4), or, after a pollReq
 * (|polled|) whose answer is still 'waiting' for all, a pollRep.
 */
static int
body_certrep(struct cmp_srv_req *r, int polled, const int64_t *keep, size_t num_keep,
             struct cmp_err *err)
{
    struct cmp_srv_answer *a = &r->answer;
    struct cmp_body *b = &r->rsp->body;
    struct cmp_cert_rep *rep;
    struct der_in *ders;
    size_t i, num_certs = 0, num_waiting = 0, num_rejected = 0, num_encrypted = 0;
    int implicit, ok;

    for (i = 0; i < a->num_certs; i++) {
        struct cmp_srv_cert_result *res = &a->certs[i];

        if (a->waiting) {
            X509_free(res->cert);
            EVP_PKEY_free(res->key);
            memset(&res->status, 0, sizeof(res->status));
            res->status.status = CMP_SRV_WAITING;
            res->cert = NULL;
            memset(&res->cert_der, 0, sizeof(res->cert_der));
            res->key = NULL;
        }
        if (res->key != NULL && res->cert == NULL) {
            return RESPONDER_FAIL(err, "responder: certReqId %lld: a key without a certificate",
                                  (long long)res->cert_req_id);
        }
        num_encrypted += res->cert != NULL && res->encrypt_cert;
        if (!status_valid(&res->status)) {
            return RESPONDER_FAIL(err, "responder: certReqId %lld: PKIStatus %d, failInfo %#x",
                                  (long long)res->cert_req_id, res->status.status,
                                  (unsigned)res->status.fail_info);
        }
        if (res->cert != NULL && res->cert_der.len > 0) {
            return RESPONDER_FAIL(err, "responder: certReqId %lld: both cert and cert_der",
                                  (long long)res->cert_req_id);
        }
        if ((res->cert != NULL || res->cert_der.len > 0) &&
            (res->status.status == CMP_SRV_REJECTION || res->status.status == CMP_SRV_WAITING)) {
            return RESPONDER_FAIL(err, "responder: certReqId %lld: a certificate with status %s",
                                  (long long)res->cert_req_id,
                                  cmp_vfy_status_name(res->status.status));
        }
        num_certs += res->cert != NULL || res->cert_der.len > 0;
        num_waiting += res->status.status == CMP_SRV_WAITING;
        num_rejected += res->status.status == CMP_SRV_REJECTION;
    }
    if (a->num_ca_pubs > CMP_MAX_ITEMS) {
        return RESPONDER_FAIL(err, "responder: %zu caPubs", a->num_ca_pubs);
    }
    if (!set_waiting(r, keep, num_keep, err)) {
        return 0;
    }
    if (polled && num_waiting == a->num_certs) {
        const int64_t *ids = r->req->body.u.poll_req.cert_req_ids;

        return body_pollrep(r, ids, r->req->body.u.poll_req.num, err);
    }
    cmp_body_cleanup(b);
    b->type = response_type(r->call.first_type);
    rep = &b->u.rep;
    rep->responses = calloc(a->num_certs, sizeof(*rep->responses));
    if (rep->responses == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "CertRepMessage");
    }
    rep->num = a->num_certs;
    ders = calloc(a->num_certs, sizeof(*ders));
    if (ders == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "CertRepMessage");
    }
    for (i = 0; i < a->num_certs; i++) {
        const struct cmp_srv_cert_result *res = &a->certs[i];
        struct cmp_cert_response *cr = &rep->responses[i];
        X509 *cert = res->cert;
        uint8_t *der = NULL;
        int len = 0;

        cr->cert_req_id = res->cert_req_id;
        if (!cmp_srv_status_set(&cr->status, res->status.status, res->status.fail_info,
                                res->status.text)) {
            free(ders);
            return CMP_FAIL(err, CMP_E_MEMORY, "PKIStatusInfo");
        }
        if (res->cert_der.len > 0) {
            /* the responder's DER, copied as it is: never parsed here */
            der = res->cert_der.len <= CMP_MAX_MSG_LEN
                      ? cmp_msg_dup(r->rsp, res->cert_der.p, res->cert_der.len)
                      : NULL;
            len = (int)res->cert_der.len;
            if (der == NULL) {
                free(ders);
                return CMP_FAIL(err, CMP_E_MEMORY, "certReqId %lld: certificate",
                                (long long)res->cert_req_id);
            }
        } else if (cert != NULL) {
            uint8_t *q;

            len = i2d_X509(cert, NULL);
            der = len > 0 ? cmp_msg_alloc(r->rsp, (size_t)len) : NULL;
            q = der;
            if (der == NULL || i2d_X509(cert, &q) != len) {
                free(ders);
                return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "certReqId %lld: certificate",
                                    (long long)res->cert_req_id);
            }
        }
        if (der != NULL) {
            cr->has_ckp = 1;
            cr->ckp.cert_type = CMP_CERT_PLAIN;
            cr->ckp.cert = der_in_make(der, (size_t)len);
            ders[i] = cr->ckp.cert;
            if (res->encrypt_cert) {
                /* a responder's DER is parsed only to encrypt it for its own key */
                const unsigned char *q = der;
                X509 *parsed = cert == NULL ? d2i_X509(NULL, &q, len) : NULL;

                ok = (cert != NULL || parsed != NULL) &&
                     enc_cert(r, cert != NULL ? cert : parsed, &cr->ckp.enc_cert, err);
                X509_free(parsed);
                if (!ok) {
                    free(ders);
                    return CMP_CONTEXT(err, "certReqId %lld: encrypting the certificate",
                                       (long long)res->cert_req_id);
                }
                cr->ckp.cert_type = CMP_CERT_ENCRYPTED;
            }
            if (res->key != NULL) {
                if (!central_key(r, res->key, &cr->ckp.private_key, err)) {
                    free(ders);
                    return CMP_CONTEXT(err, "certReqId %lld", (long long)res->cert_req_id);
                }
                cr->ckp.has_private_key = 1;
            }
        }
    }
    if (a->num_ca_pubs > 0) {
        rep->ca_pubs.items = calloc(a->num_ca_pubs, sizeof(*rep->ca_pubs.items));
        if (rep->ca_pubs.items == NULL) {
            free(ders);
            return CMP_FAIL(err, CMP_E_MEMORY, "caPubs");
        }
        for (i = 0; i < a->num_ca_pubs; i++) {
            rep->ca_pubs.items[i] = der_in_make(a->ca_pubs[i].p, a->ca_pubs[i].len);
        }
        rep->ca_pubs.num = a->num_ca_pubs;
        rep->has_ca_pubs = 1;
    }
    /*
     * RFC 9810 5.1.1.1: granted only if asked, and only for certificates
     * sent; never for an encrypted one, whose certConf completes the proof
     * of possession (RFC 9810 5.2.8.3.2).
     */
    implicit =
        a->implicit_confirm && r->call.implicit_confirm && num_certs > 0 && num_encrypted == 0;
    r->implicit_granted = implicit;
    r->negative = a->num_certs > 0 && num_rejected == a->num_certs;
    ok = set_issued(r, implicit, ders, err);
    free(ders);
    return ok;
}

/* rp (RFC 9810 5.3.10): one status per RevDetails; revCerts from |rr| if asked. */
static int
body_rp(struct cmp_srv_req *r, const struct cmp_rev_req *rr, struct cmp_err *err)
{
    const struct cmp_srv_answer *a = &r->answer;
    struct cmp_body *b = &r->rsp->body;
    struct cmp_rev_rep *rp = &b->u.rp;
    size_t i, num_rejected = 0;
    int with_ids = a->rev_cert_ids && rr != NULL && rr->num == a->num_revs;

    for (i = 0; i < a->num_revs; i++) {
        if (!status_valid(&a->revs[i])) {
            return RESPONDER_FAIL(err, "responder: RevDetails #%zu: PKIStatus %d, failInfo %#x", i,
                                  a->revs[i].status, (unsigned)a->revs[i].fail_info);
        }
        num_rejected += a->revs[i].status == CMP_SRV_REJECTION;
        with_ids = with_ids && rr->items[i].cert_details.has_issuer &&
                   rr->items[i].cert_details.has_serial;
    }
    cmp_body_cleanup(b);
    b->type = CMP_BODY_RP;
    rp->status = calloc(a->num_revs, sizeof(*rp->status));
    if (rp->status == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "RevRepContent");
    }
    rp->num_status = a->num_revs;
    for (i = 0; i < a->num_revs; i++) {
        if (!cmp_srv_status_set(&rp->status[i], a->revs[i].status, a->revs[i].fail_info,
                                a->revs[i].text)) {
            return CMP_FAIL(err, CMP_E_MEMORY, "PKIStatusInfo");
        }
    }
    if (with_ids) {
        rp->rev_certs = calloc(a->num_revs, sizeof(*rp->rev_certs));
        if (rp->rev_certs == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "revCerts");
        }
        for (i = 0; i < a->num_revs; i++) {
            const struct cmp_cert_template *t = &rr->items[i].cert_details;
            uint8_t *buf = cmp_msg_alloc(r->rsp, t->issuer.len + 6);

            if (buf == NULL ||
                !cmp_gname_set_dirname(&rp->rev_certs[i].issuer, buf, t->issuer.len + 6,
                                       &t->issuer)) {
                return CMP_FAIL(err, CMP_E_MEMORY, "revCerts");
            }
            rp->rev_certs[i].serial = t->serial;
        }
        rp->num_rev_certs = a->num_revs;
        rp->has_rev_certs = 1;
    }
    r->negative = a->num_revs > 0 && num_rejected == a->num_revs;
    return 1;
}

/* genp (RFC 9810 5.3.19): the answer's ITAVs. */
static int
body_genp(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_srv_answer *a = &r->answer;
    struct cmp_body *b = &r->rsp->body;
    size_t i;

    if (a->num_itavs > CMP_MAX_ITEMS || (a->num_itavs > 0 && a->itavs == NULL)) {
        return RESPONDER_FAIL(err, "responder: %zu ITAVs", a->num_itavs);
    }
    cmp_body_cleanup(b);
    b->type = CMP_BODY_GENP;
    if (a->num_itavs == 0) {
        return 1;
    }
    b->u.itavs.items = calloc(a->num_itavs, sizeof(*b->u.itavs.items));
    if (b->u.itavs.items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "GenRepContent");
    }
    for (i = 0; i < a->num_itavs; i++) {
        struct cmp_itav *it = &b->u.itavs.items[i];

        if (a->itavs[i].type.len == 0) {
            return RESPONDER_FAIL(err, "responder: ITAV #%zu without infoType", i);
        }
        it->type = der_in_make(a->itavs[i].type.p, a->itavs[i].type.len);
        it->has_value = a->itavs[i].value.len > 0;
        it->value = der_in_make(a->itavs[i].value.p, a->itavs[i].value.len);
    }
    b->u.itavs.num = a->num_itavs;
    return 1;
}

/*
 * A delayed answer to a request other than a certificate request: an error
 * message with status 'waiting' (RFC 9810 5.3.22); the client polls with
 * certReqId -1.
 */
static int
body_waiting(struct cmp_srv_req *r, struct cmp_err *err)
{
    static const int64_t whole = -1;
    struct cmp_body *b = &r->rsp->body;

    cmp_body_cleanup(b);
    b->type = CMP_BODY_ERROR;
    if (!cmp_srv_status_set(&b->u.error.status, CMP_STATUS_WAITING, 0, NULL)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "ErrorMsgContent");
    }
    r->answer.num_certs = 0;
    r->delayed_type = r->req->body.type;
    return set_waiting(r, &whole, 1, err);
}

/* After a pollReq: what still waits that was not polled for now. */
static int
unpolled(struct cmp_srv_req *r, int64_t **out, size_t *out_num, struct cmp_err *err)
{
    const struct cmp_poll_req *pr = &r->req->body.u.poll_req;
    const struct cmp_srv_txn *t = r->txn;
    size_t i, j, n = 0;

    *out = malloc((t->num_waiting + 1) * sizeof(**out));
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
    }
    for (i = 0; i < t->num_waiting; i++) {
        for (j = 0; j < pr->num && pr->cert_req_ids[j] != t->waiting[i]; j++) {
        }
        if (j == pr->num) {
            (*out)[n++] = t->waiting[i];
        }
    }
    *out_num = n;
    return 1;
}

/* ---- each request type's turn ---- */

int
cmp_srv_cert_req_views(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_body *body = &r->req->body;
    size_t i, num = r->num_cert_reqs;

    for (i = 0; i < num; i++) {
        struct cmp_srv_cert_req *v = &r->cert_reqs[i];

        if (body->type == CMP_BODY_P10CR) {
            /* RFC 9483 4.1.4: a PKCS#10 request has no certReqId; -1 stands for it. */
            v->cert_req_id = -1;
            v->request = view(&body->u.p10cr);
        } else {
            const struct cmp_cert_req_msg *crm = &body->u.req.items[i];
            const struct cmp_cert_template *t = &crm->tmpl;

            v->cert_req_id = crm->cert_req_id;
            v->request = view(&crm->cert_req);
            if (t->has_subject) {
                v->subject = view(&t->subject);
            }
            if ((t->has_public_key && !view_seq(r, &t->public_key, &v->public_key, err)) ||
                (t->has_extensions && !view_seq(r, &t->extensions, &v->extensions, err))) {
                return 0;
            }
            if (crm->has_controls && crm->controls.has_old_cert_id) {
                const struct cmp_certid *id = &crm->controls.old_cert_id;

                if (id->issuer.type == CMP_GN_DIRNAME) {
                    v->old_issuer = view(&id->issuer.value);
                }
                v->old_serial = view(&id->serial);
            }
        }
    }
    return 1;
}

int
cmp_srv_answer_certs(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_srv_responder *rs = &r->srv->responder;
    struct cmp_srv_answer *a = &r->answer;
    size_t i, num = r->num_cert_reqs;

    /* the call and the views were made by the check (engine.c cert_reqs_begin()) */
    for (i = 0; i < num; i++) {
        struct cmp_srv_cert_req *v = &r->cert_reqs[i];

        v->popo_error = v->popo != CMP_SRV_POPO_OK ? &r->popo_errs[i] : NULL;
    }
    a->certs = calloc(num, sizeof(*a->certs));
    if (a->certs == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "answer");
    }
    a->num_certs = num;
    for (i = 0; i < num; i++) {
        a->certs[i].cert_req_id = r->cert_reqs[i].cert_req_id;
    }
    if (rs->cert_request == NULL) {
        return unsupported(r, err);
    }
    if (!rs->cert_request(rs->arg, &r->call, r->cert_reqs, num, a, err)) {
        return callback_failed(r, err);
    }
    r->called = 1;
    if (a->num_certs != num) {
        return RESPONDER_FAIL(err, "responder: %zu results for %zu requests", a->num_certs, num);
    }
    return body_certrep(r, 0, NULL, 0, err);
}

int
cmp_srv_answer_rr(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_rev_req *rr = &r->req->body.u.rr;
    const struct cmp_srv_responder *rs = &r->srv->responder;
    struct cmp_srv_answer *a = &r->answer;
    struct cmp_srv_rev_req *v;
    size_t i;

    cmp_srv_call_init(r);
    v = calloc(rr->num, sizeof(*v));
    a->revs = calloc(rr->num, sizeof(*a->revs));
    r->views = v;
    if (v == NULL || a->revs == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "answer");
    }
    a->num_revs = rr->num;
    for (i = 0; i < rr->num; i++) {
        const struct cmp_cert_template *t = &rr->items[i].cert_details;

        v[i].details = view(&t->raw);
        if (t->has_issuer) {
            v[i].issuer = view(&t->issuer);
        }
        if (t->has_serial) {
            v[i].serial = view(&t->serial);
        }
    }
    if (rs->revoke == NULL) {
        return unsupported(r, err);
    }
    if (!rs->revoke(rs->arg, &r->call, v, rr->num, a, err)) {
        return callback_failed(r, err);
    }
    r->called = 1;
    if (a->waiting) {
        return body_waiting(r, err);
    }
    if (a->num_revs != rr->num) {
        return RESPONDER_FAIL(err, "responder: %zu statuses for %zu RevDetails", a->num_revs,
                              rr->num);
    }
    return body_rp(r, rr, err);
}

int
cmp_srv_answer_genm(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_itavs *in = &r->req->body.u.itavs;
    const struct cmp_srv_responder *rs = &r->srv->responder;
    struct cmp_srv_answer *a = &r->answer;
    struct cmp_srv_itav *v;
    size_t i;

    cmp_srv_call_init(r);
    v = calloc(in->num + 1, sizeof(*v));
    r->views = v;
    if (v == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "answer");
    }
    for (i = 0; i < in->num; i++) {
        v[i].type = view(&in->items[i].type);
        if (in->items[i].has_value) {
            v[i].value = view(&in->items[i].value);
        }
    }
    if (rs->general == NULL) {
        return unsupported(r, err);
    }
    if (!rs->general(rs->arg, &r->call, v, in->num, a, err)) {
        return callback_failed(r, err);
    }
    r->called = 1;
    if (a->waiting) {
        return body_waiting(r, err);
    }
    return body_genp(r, err);
}

int
cmp_srv_answer_poll(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_poll_req *pr = &r->req->body.u.poll_req;
    const struct cmp_srv_responder *rs = &r->srv->responder;
    struct cmp_srv_answer *a = &r->answer;
    /* what is polled for: a delayed certConf's pkiConf, else the first request's answer */
    int first = r->txn->delayed_type == CMP_BODY_CERTCONF ? CMP_BODY_CERTCONF : r->txn->first_type;
    int64_t *keep = NULL;
    size_t num_keep = 0, i;
    int ok;

    cmp_srv_call_init(r);
    r->call.polled_type = first;
    if (first == CMP_BODY_RR) {
        a->revs = calloc(r->txn->num_reqs + 1, sizeof(*a->revs));
        a->num_revs = r->txn->num_reqs;
        if (a->revs == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "answer");
        }
    } else if (first != CMP_BODY_GENM && first != CMP_BODY_CERTCONF) {
        a->certs = calloc(pr->num, sizeof(*a->certs));
        if (a->certs == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "answer");
        }
        a->num_certs = pr->num;
        for (i = 0; i < pr->num; i++) {
            a->certs[i].cert_req_id = pr->cert_req_ids[i];
        }
    }
    if (rs->poll == NULL) {
        return unsupported(r, err);
    }
    if (!rs->poll(rs->arg, &r->call, pr->cert_req_ids, pr->num, a, err)) {
        return callback_failed(r, err);
    }
    r->called = 1;
    if (first != CMP_BODY_RR && first != CMP_BODY_GENM && first != CMP_BODY_CERTCONF) {
        if (a->num_certs != pr->num) {
            return RESPONDER_FAIL(err, "responder: %zu results for %zu polled", a->num_certs,
                                  pr->num);
        }
        if (!unpolled(r, &keep, &num_keep, err)) {
            return 0;
        }
        ok = body_certrep(r, 1, keep, num_keep, err);
        free(keep);
        return ok;
    }
    if (a->waiting) {
        /* still waiting: RFC 9810 5.3.22 pollRep; the same certReqId (-1) waits */
        r->delayed_type = first;
        return set_waiting(r, pr->cert_req_ids, pr->num, err) &&
               body_pollrep(r, pr->cert_req_ids, pr->num, err);
    }
    r->set_waiting = 1; /* nothing waits any more */
    if (first == CMP_BODY_CERTCONF) {
        body_pkiconf(r);
        return 1;
    }
    if (first == CMP_BODY_RR) {
        if (a->num_revs != r->txn->num_reqs) {
            return RESPONDER_FAIL(err, "responder: %zu statuses for %zu RevDetails", a->num_revs,
                                  r->txn->num_reqs);
        }
        return body_rp(r, NULL, err);
    }
    return body_genp(r, err);
}

int
cmp_srv_answer_certconf(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_certconf *cc = &r->req->body.u.cert_conf;
    const struct cmp_srv_responder *rs = &r->srv->responder;
    const struct cmp_srv_txn *t = r->txn;
    struct cmp_srv_cert_conf *v;
    size_t i, j, num = cc->num > 0 ? cc->num : t->num_issued, n = 0;

    cmp_srv_call_init(r);
    v = calloc(num + 1, sizeof(*v));
    r->views = v;
    r->new_issued = calloc(t->num_issued + 1, sizeof(*r->new_issued));
    if (v == NULL || r->new_issued == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "answer");
    }
    r->set_issued = 1;
    if (cc->num == 0) {
        /* RFC 4210 5.3.18: an empty certConf rejects every certificate. */
        for (i = 0; i < t->num_issued; i++) {
            v[i].cert_req_id = t->issued[i].cert_req_id;
            v[i].cert = t->issued[i].cert;
            v[i].cert_der = view(&t->issued[i].der);
        }
    }
    for (i = 0; i < cc->num; i++) {
        const struct cmp_certstatus *cs = &cc->items[i];

        v[i].cert_req_id = cs->cert_req_id;
        for (j = 0; j < t->num_issued; j++) {
            if (t->issued[j].cert_req_id == cs->cert_req_id) {
                v[i].cert = t->issued[j].cert;
                v[i].cert_der = view(&t->issued[j].der);
            }
        }
        v[i].accepted = !cs->has_status || cs->status.status == CMP_STATUS_ACCEPTED;
        v[i].has_status = cs->has_status;
        if (cs->has_status) {
            peer_status(&v[i].status, &cs->status);
        }
    }
    /* What this certConf does not settle still awaits one. */
    for (j = 0; cc->num > 0 && j < t->num_issued; j++) {
        for (i = 0; i < cc->num && cc->items[i].cert_req_id != t->issued[j].cert_req_id; i++) {
        }
        if (i == cc->num) {
            if (!issued_copy(&r->new_issued[n], &t->issued[j], t->issued[j].cert)) {
                r->num_new_issued = n;
                return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
            }
            n++;
        }
    }
    r->num_new_issued = n;
    if (rs->cert_conf != NULL) {
        if (!rs->cert_conf(rs->arg, &r->call, v, num, &r->answer, err)) {
            return callback_failed(r, err);
        }
        r->called = 1;
    }
    if (r->answer.waiting) {
        /* the pkiConf comes after polling (RFC 9810 5.3.22, openssl cmp 3.3+) */
        return body_waiting(r, err);
    }
    body_pkiconf(r);
    return 1;
}

int
cmp_srv_answer_error(struct cmp_srv_req *r, struct cmp_err *err)
{
    const struct cmp_error_msg *em = &r->req->body.u.error;
    const struct cmp_srv_responder *rs = &r->srv->responder;
    struct cmp_srv_error v;
    size_t i;

    cmp_srv_call_init(r);
    memset(&v, 0, sizeof(v));
    peer_status(&v.status, &em->status);
    v.has_error_code = em->has_error_code;
    v.error_code = em->error_code;
    if (em->has_error_details && em->error_details.num > 0) {
        r->ders = calloc(em->error_details.num, sizeof(*r->ders));
        if (r->ders == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "answer");
        }
        for (i = 0; i < em->error_details.num; i++) {
            r->ders[i] = view(&em->error_details.strs[i]);
        }
        v.num_details = em->error_details.num;
        v.details = r->ders;
    }
    if (rs->error != NULL) {
        if (!rs->error(rs->arg, &r->call, &v, &r->answer, err)) {
            return callback_failed(r, err);
        }
        r->called = 1;
    }
    body_pkiconf(r);
    return 1;
}

void
cmp_srv_answer_cleanup(struct cmp_srv_req *r)
{
    size_t i;

    for (i = 0; r->answer.certs != NULL && i < r->answer.num_certs; i++) {
        X509_free(r->answer.certs[i].cert);
        EVP_PKEY_free(r->answer.certs[i].key);
    }
    free(r->answer.certs);
    free(r->answer.revs);
    memset(&r->answer, 0, sizeof(r->answer));
    cmp_srv_issued_free(r->new_issued, r->num_new_issued);
    free(r->new_waiting);
    free(r->cert_reqs);
    free(r->popo_errs);
    free(r->views);
    free(r->ders);
    r->new_issued = NULL;
    r->new_waiting = NULL;
    r->cert_reqs = NULL;
    r->popo_errs = NULL;
    r->views = NULL;
    r->ders = NULL;
}
