/*
 * The mock responder: what the `openssl cmp` 3.0 mock server answers
 * (apps/lib/cmp_mock_srv.c with crypto/cmp/cmp_server.c), learned by
 * experiment with `openssl cmp -port`. One responder behind the interface
 * of cmpkit/server.h: the engine has checked every request (header,
 * protection, certReqIds, POPO, certHash, the transaction's state) before
 * it gets here.
 *
 *   ir/cr/kur/p10cr  each CertReqMsg answered on its own (RFC 9810 5.3.4;
 *                    openssl's mock takes one only): a failed POPO first
 *                    (rejection and badPOP, nothing else), then a subject
 *                    equal to -srv_reject_subject (rejection and
 *                    badCertTemplate); if every request is rejected so, the
 *                    ip/cp/kup says so and nothing else. Else -send_error:
 *                    error message; cr: a certProfile other than "profile1"
 *                    is refused (as 3.6's mock); kur: its oldCertID must
 *                    name the reference certificate (-ref_cert, else
 *                    -rsp_cert); -poll_count N: 'waiting' for the others (no
 *                    certificate, caPubs or extraCerts), the Nth pollReq
 *                    gets the final answer, the ones before it pollRep with
 *                    -check_after; the final answer of each:
 *                    -pkistatus/-failurebits/-statusstring, the -rsp_cert
 *                    unless the status is rejection or waiting, caPubs
 *                    (-rsp_capubs) only in ip, extraCerts (-rsp_extracerts)
 *                    whatever the status, implicit confirmation with
 *                    -grant_implicitconf
 *   certConf         a rejecting one is logged; pkiConf
 *   rr               one RevDetails; with issuer and serialNumber in the
 *                    template they must be the reference certificate's;
 *                    rp with the status and revCerts (the CertId) when
 *                    both are given
 *   genm             one ITAV: the support messages as openssl 3.6's mock
 *                    (mock_support.c), other types echoed; none: an empty
 *                    genp; more: refused (badRequest), as openssl 3.6
 *   error            logged; pkiConf
 *
 * Delayed delivery of every answer (openssl cmp 3.3+'s mock): with
 * -poll_count N an rr, a genm and a certConf are answered by an error
 * message with status 'waiting', each pollReq before the Nth by a pollRep,
 * the Nth by the answer (which -send_error then makes an error message).
 * So an enrollment with -poll_count polls twice: for the certificate, then
 * for the pkiConf, as with openssl cmp 3.6's mock server.
 *
 * As openssl 3.6's mock: central key generation (RFC 9483 4.1.6, no POPO
 * and no public key in the template) returns -rsp_key with -rsp_cert, which
 * the engine signs and encrypts. cmpkit's own -accept_keyenc answers
 * keyEncipherment subsequentMessage encrCert (indirect POP) with the
 * certificate encrypted; without it such a request gets badPOP, as from
 * openssl's mock, which does not support it.
 *
 * Where openssl answers every failure with badRequest, the bits here are
 * the RFC's (badCertId for a certificate that is not ours, badPOP...).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "server/internal.h"

/* The mock's options, with its own copies and references. */
struct mock {
    X509 *rsp_cert; /* -rsp_cert, or NULL */
    X509 *ref_cert; /* -ref_cert, else -rsp_cert: what rr and kur must name; or NULL */
    uint8_t *rsp_issuer; /* the reference's issuer Name and serial (INTEGER contents) */
    size_t rsp_issuer_len;
    uint8_t *rsp_serial;
    size_t rsp_serial_len;
    struct cmp_srv_certs capubs_der; /* -rsp_capubs */
    struct cmp_srv_certs extra_der;  /* -rsp_extracerts */
    struct cmp_srv_der *capubs;      /* the same, as the answer takes them */
    struct cmp_srv_der *extra;
    int poll_count, check_after, grant_implicitconf, pkistatus, send_error;
    uint32_t failbits; /* -failure / -failurebits resolved */
    char *statusstring;
    struct cmp_srv_mock_support support; /* genm support messages (mock_support.c) */
    EVP_PKEY *rsp_key; /* -rsp_key, or NULL */
    int accept_keyenc; /* -accept_keyenc */
    unsigned char *reject_subject; /* -srv_reject_subject as a DER Name, or NULL */
    size_t reject_subject_len;
};

/*
 * What a request asked for beyond a certificate: its key generated
 * (central key generation), or the certificate encrypted (indirect POP).
 */
struct mock_kind {
    int64_t cert_req_id;
    int central_keygen;
    int encrypt_cert;
};

/* What the mock keeps per transaction: the pollReqs answered so far. */
struct mock_txn {
    int polls;
    int answered; /* the final answer was given */
    /*
     * An answer delayed as a whole (rr, genm, certConf; 0: none) and what
     * it is made from when the Nth pollReq comes: copies of the RevDetails'
     * issuer and serial, of the genm's ITAVs, in |buf|.
     */
    int delayed;
    struct cmp_srv_rev_req *revs;
    size_t num_revs;
    struct cmp_srv_itav *itavs;
    size_t num_itavs;
    uint8_t *buf;
    struct mock_kind *kinds; /* what each certificate request asked for */
    size_t num_kinds;
};

/* -send_error: the error message openssl sends (badRequest). */
static int
send_error(struct cmp_srv_answer *a, struct cmp_err *err)
{
    a->error_text = "error processing message";
    return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "-send_error is set");
}

/* Does a CertTemplate's or CertId's issuer and serial name the reference certificate? */
static int
is_rsp_cert(const struct mock *m, const struct cmp_srv_der *issuer,
            const struct cmp_srv_der *serial)
{
    struct der_in i = der_in_make(m->rsp_issuer, m->rsp_issuer_len);
    struct der_in s = der_in_make(m->rsp_serial, m->rsp_serial_len);
    struct der_in gi = der_in_make(issuer->p, issuer->len);
    struct der_in gs = der_in_make(serial->p, serial->len);

    return issuer->len > 0 && cmp_vfy_name_eq(&gi, &i) && der_in_eq(&gs, &s);
}

/* The entry of |kinds| for |cert_req_id|, or NULL. */
static const struct mock_kind *
kind_of(const struct mock_kind *kinds, size_t num, int64_t cert_req_id)
{
    size_t i;

    for (i = 0; i < num; i++) {
        if (kinds[i].cert_req_id == cert_req_id) {
            return &kinds[i];
        }
    }
    return NULL;
}

/*
 * The configured status, with -rsp_cert unless it is a rejection or
 * 'waiting', for each result not already rejected (or, |pending| set, for
 * each still 'waiting'); with -rsp_key for central key generation,
 * encrypted for indirect POP, as each request's entry of |kinds| (by
 * certReqId) says.
 */
static int
final_certrep(const struct mock *m, const struct cmp_srv_call *call,
              const struct mock_kind *kinds, size_t num_kinds, struct cmp_srv_answer *a,
              int pending, struct cmp_err *err)
{
    const struct mock_kind *kind;
    size_t i;

    for (i = 0; i < a->num_certs; i++) {
        struct cmp_srv_cert_result *res = &a->certs[i];

        if (res->status.status != (pending ? CMP_SRV_WAITING : CMP_SRV_ACCEPTED)) {
            continue;
        }
        res->status.status = m->pkistatus;
        res->status.fail_info = m->failbits;
        res->status.text = m->statusstring;
        if (m->rsp_cert != NULL && m->pkistatus != CMP_SRV_REJECTION &&
            m->pkistatus != CMP_SRV_WAITING) {
            if (!X509_up_ref(m->rsp_cert)) {
                return CMP_FAIL(err, CMP_E_MEMORY, "certificate");
            }
            res->cert = m->rsp_cert;
        }
        kind = kind_of(kinds, num_kinds, res->cert_req_id);
        if (res->cert != NULL && kind != NULL && kind->central_keygen) {
            if (!EVP_PKEY_up_ref(m->rsp_key)) {
                return CMP_FAIL(err, CMP_E_MEMORY, "key");
            }
            res->key = m->rsp_key;
        }
        res->encrypt_cert = res->cert != NULL && kind != NULL && kind->encrypt_cert;
    }
    if (call->first_type == CMP_BODY_IR) {
        a->ca_pubs = m->capubs;
        a->num_ca_pubs = m->capubs_der.num;
    }
    a->extra_certs = m->extra;
    a->num_extra_certs = m->extra_der.num;
    a->implicit_confirm = m->grant_implicitconf;
    a->check_after = m->check_after;
    return 1;
}

/* The proof of possession failed: rejection and badPOP for this request. */
static void
reject_pop(const struct cmp_srv_call *call, const struct cmp_srv_cert_req *req,
           struct cmp_srv_cert_result *res)
{
    const char *text;

    switch (req->popo) {
    case CMP_SRV_POPO_MISSING:
        text = "POPO missing";
        break;
    case CMP_SRV_POPO_RAVERIFIED:
        text = "POPO raVerified not accepted";
        break;
    case CMP_SRV_POPO_INDIRECT:
        text = "POPO method not supported";
        break;
    default:
        text = call->body_type == CMP_BODY_P10CR ? "PKCS#10 signature invalid" : "POPO invalid";
        break;
    }
    if (call->body_type == CMP_BODY_P10CR || req->cert_req_id == 0) {
        cmp_srv_call_log(call, CMP_SRV_LOG_ERR, "rejecting the request: %s", text);
    } else {
        cmp_srv_call_log(call, CMP_SRV_LOG_ERR, "rejecting certReqId %lld: %s",
                         (long long)req->cert_req_id, text);
    }
    cmp_srv_call_log_err(call, CMP_SRV_LOG_DEBUG, "POPO", req->popo_error);
    res->status.status = CMP_SRV_REJECTION;
    res->status.fail_info = 1u << CMP_FI_BAD_POP;
    res->status.text = text;
}

/* -srv_reject_subject: is this the subject refused? */
static int
subject_refused(const struct mock *m, const struct cmp_srv_cert_req *req)
{
    struct der_in want = der_in_make(m->reject_subject, m->reject_subject_len);
    struct der_in got = der_in_make(req->subject.p, req->subject.len);

    return m->reject_subject != NULL && req->subject.len > 0 && cmp_vfy_name_eq(&got, &want);
}

/*
 * RFC 9483 4.1.3: a kur names the certificate it updates in the oldCertID
 * control; the mock only updates the reference certificate, -ref_cert or
 * else -rsp_cert (openssl 3.0: "wrong certid").
 */
static int
check_old_cert_id(const struct mock *m, const struct cmp_srv_cert_req *req,
                  struct cmp_srv_answer *a, struct cmp_err *err)
{
    if (m->ref_cert == NULL) {
        return 1;
    }
    if (req->old_serial.len == 0) {
        a->error_text = "oldCertID missing";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "kur without the oldCertID control");
    }
    if (!is_rsp_cert(m, &req->old_issuer, &req->old_serial)) {
        a->error_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "kur oldCertID names a certificate other than the reference "
                             "(-ref_cert, else -rsp_cert)");
    }
    return 1;
}

/*
 * -profile (openssl cmp 3.3+): its mock takes a cr whose certProfile
 * (RFC 9483 3.1, RFC 9810 5.1.1.4) names "profile1" and no other. We refuse
 * with badCertTemplate, the bit RFC 9483 4.1.1 gives to a request outside
 * the profiles offered (openssl: badRequest).
 */
static int
check_profile(const struct cmp_srv_call *call, struct cmp_srv_answer *a, struct cmp_err *err)
{
    static const char accepted[] = "profile1";
    const struct cmp_header *h = &call->msg->hdr;
    size_t i;

    for (i = 0; h->has_general_info && i < h->general_info.num; i++) {
        const struct cmp_itav *it = &h->general_info.items[i];
        struct der_in v = it->value;
        struct cmp_freetext names;
        int ok;

        if (!cmp_oid_is(&it->type, CMP_NID_IT_CERT_PROFILE)) {
            continue;
        }
        memset(&names, 0, sizeof(names));
        /* CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String: PKIFreeText's syntax */
        ok = it->has_value && cmp_freetext_decode(&v, &names, err) && der_done(&v) &&
             names.num >= 1 && names.strs[0].len == sizeof(accepted) - 1 &&
             memcmp(names.strs[0].p, accepted, sizeof(accepted) - 1) == 0;
        cmp_freetext_cleanup(&names);
        if (!ok) {
            a->error_text = "unexpected certProfile";
            cmp_err_init(err);
            return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                                 "certProfile is not \"%s\", the one this mock offers", accepted);
        }
        return 1;
    }
    return 1;
}

/*
 * What the request asks for (struct mock_kind), or 0 when its POPO rejects
 * it: a missing one is fine for central key generation (RFC 9483 4.1.6),
 * an indirect one (encrCert) with -accept_keyenc.
 */
static int
request_kind(const struct mock *m, const struct cmp_srv_cert_req *req, struct mock_kind *kind)
{
    memset(kind, 0, sizeof(*kind));
    kind->cert_req_id = req->cert_req_id;
    switch (req->popo) {
    case CMP_SRV_POPO_OK:
        return 1;
    case CMP_SRV_POPO_MISSING:
        kind->central_keygen = req->central_keygen;
        return req->central_keygen;
    case CMP_SRV_POPO_INDIRECT:
        kind->encrypt_cert = req->encr_cert && m->accept_keyenc;
        return kind->encrypt_cert;
    default:
        return 0;
    }
}

/*
 * Each request on its own (RFC 9810 5.3.4): rejections by POPO and by
 * -srv_reject_subject first; the others get the configured answer, now or
 * after polling. A result left at 'accepted' (0) is one still to answer.
 */
static int certs_now_or_later(const struct mock *m, const struct cmp_srv_call *call,
                              const struct cmp_srv_cert_req *reqs, size_t num,
                              const struct mock_kind *kinds, struct cmp_srv_answer *a,
                              struct cmp_err *err);

static int
mock_cert_request(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_req *reqs,
                  size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;
    struct mock_kind *kinds;
    size_t i, num_rejected = 0;
    int ok;

    kinds = calloc(num, sizeof(*kinds));
    if (kinds == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "requests");
    }
    for (i = 0; i < num; i++) {
        struct cmp_srv_cert_result *res = &a->certs[i];

        if (!request_kind(m, &reqs[i], &kinds[i])) {
            reject_pop(call, &reqs[i], res);
        } else if (subject_refused(m, &reqs[i])) {
            cmp_srv_call_log(call, CMP_SRV_LOG_ERR, "rejecting certReqId %lld: subject refused",
                             (long long)reqs[i].cert_req_id);
            res->status.status = CMP_SRV_REJECTION;
            res->status.fail_info = 1u << CMP_FI_BAD_CERT_TEMPLATE;
            res->status.text = "subject not allowed";
        } else {
            continue;
        }
        num_rejected++;
    }
    ok = num_rejected < num ? certs_now_or_later(m, call, reqs, num, kinds, a, err) : 1;
    free(kinds);
    return ok;
}

/*
 * The requests not rejected by mock_cert_request(): the whole message
 * refused (central key generation without -rsp_key, -send_error, cr's
 * certProfile, kur's oldCertID), or each request's answer, now or after
 * -poll_count pollReqs. |kinds| stays the caller's.
 */
static int
certs_now_or_later(const struct mock *m, const struct cmp_srv_call *call,
                   const struct cmp_srv_cert_req *reqs, size_t num, const struct mock_kind *kinds,
                   struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct mock_txn *mt;
    size_t i;

    for (i = 0; i < num; i++) {
        if (a->certs[i].status.status != CMP_SRV_REJECTION && kinds[i].central_keygen &&
            (m->rsp_key == NULL || m->rsp_cert == NULL)) {
            /* openssl's mock answers with an error message too */
            a->error_text = "central key generation is not supported";
            return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                                 "central key generation asked for, but no -rsp_key (and "
                                 "-rsp_cert)");
        }
    }
    if (m->send_error) {
        return send_error(a, err);
    }
    if (call->body_type == CMP_BODY_CR && !check_profile(call, a, err)) {
        return 0;
    }
    for (i = 0; call->body_type == CMP_BODY_KUR && i < num; i++) {
        if (a->certs[i].status.status != CMP_SRV_REJECTION &&
            !check_old_cert_id(m, &reqs[i], a, err)) {
            return 0;
        }
    }
    if (m->poll_count > 0) {
        /* The answer is delayed: 'waiting' now, the certificates after polling. */
        mt = calloc(1, sizeof(*mt));
        if (mt == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
        }
        *call->txn_data = mt;
        mt->kinds = malloc(num * sizeof(*mt->kinds));
        if (mt->kinds == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "transaction");
        }
        memcpy(mt->kinds, kinds, num * sizeof(*mt->kinds));
        mt->num_kinds = num;
        for (i = 0; i < num; i++) {
            if (a->certs[i].status.status != CMP_SRV_REJECTION) {
                a->certs[i].status.status = CMP_SRV_WAITING;
            }
        }
        a->check_after = m->check_after;
        return 1;
    }
    return final_certrep(m, call, kinds, num, a, 0, err);
}

static int poll_delayed(struct mock *m, const struct cmp_srv_call *call, struct mock_txn *mt,
                        struct cmp_srv_answer *a, struct cmp_err *err);

static int
mock_poll(void *arg, const struct cmp_srv_call *call, const int64_t *ids, size_t num,
          struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct mock *m = arg;
    struct mock_txn *mt = *call->txn_data;
    size_t i;

    (void)ids;
    if (mt != NULL && mt->delayed != 0) {
        return poll_delayed(m, call, mt, a, err);
    }
    if (mt == NULL || mt->answered) {
        /*
         * 'waiting' was the configured final status (-pkistatus 3): as
         * openssl's mock, which is then no longer polling, the next pollReq
         * is refused (and the transaction ends with it).
         */
        a->error_text = "unexpected pollReq";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "pollReq, but no answer is delayed");
    }
    if (num != a->num_certs) {
        a->error_text = "unexpected pollReq";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "pollReq for %zu requests, %zu results",
                             num, a->num_certs);
    }
    /* Every request polled for waits as long: the Nth pollReq gets them all. */
    for (i = 0; i < num; i++) {
        a->certs[i].status.status = CMP_SRV_WAITING;
    }
    if (++mt->polls >= m->poll_count) {
        mt->answered = 1;
        mt->polls = 0; /* as openssl's mock: the certConf to come is delayed in turn */
        return final_certrep(m, call, mt->kinds, mt->num_kinds, a, 1, err);
    }
    a->check_after = m->check_after;
    return 1;
}

static int
mock_revoke(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_rev_req *reqs,
            size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;

    (void)call;
    if (num != 1) {
        a->error_text = "only one request per message is supported";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "%zu RevDetails: only one per request is supported", num);
    }
    if (m->send_error) {
        return send_error(a, err);
    }
    /* openssl cmp 3.0: without a reference certificate there is nothing to revoke */
    if (m->ref_cert == NULL) {
        a->error_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "no -ref_cert or -rsp_cert: no certificate to revoke");
    }
    /* A request made from a CSR may lack issuer and serial: openssl accepts it. */
    if (reqs[0].issuer.len > 0 && reqs[0].serial.len > 0 &&
        !is_rsp_cert(m, &reqs[0].issuer, &reqs[0].serial)) {
        a->error_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "issuer and serialNumber are not those of the reference certificate "
                             "(-ref_cert, else -rsp_cert)");
    }
    a->revs[0].status = m->pkistatus;
    a->revs[0].fail_info = m->failbits;
    a->revs[0].text = m->statusstring;
    a->rev_cert_ids = 1;
    return 1;
}

static int
mock_general(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_itav *itavs,
             size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;

    if (m->send_error) {
        return send_error(a, err);
    }
    /* openssl 3.6's mock answers a genm of one ITAV, or echoes an empty one */
    if (num > 1) {
        a->error_text = "only one InfoTypeAndValue per genm is supported";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%zu ITAVs in genm: only one is supported",
                             num);
    }
    if (num == 1) {
        return cmp_srv_mock_support_answer(&m->support, call, &itavs[0], a, err);
    }
    a->itavs = itavs;
    a->num_itavs = num;
    return 1;
}

/* A peer's status for the log (at most 200 bytes of its text). */
static void
log_status(const struct cmp_srv_call *call, const char *what, const struct cmp_srv_peer_status *si)
{
    const struct cmp_srv_der *s = si->text.len > 0 ? &si->text : NULL;
    int bits = 0, i;

    for (i = 0; i <= CMP_FI_MAX; i++) {
        if (si->has_fail_info && (si->fail_info >> i) & 1) {
            bits = i;
            break;
        }
    }
    cmp_srv_call_log(call, CMP_SRV_LOG_INFO, "%s: status %lld%s%s%s%.*s%s", what,
                     (long long)si->status, si->has_fail_info ? ", failInfo " : "",
                     si->has_fail_info ? cmp_failure_bit_name(bits) : "", s != NULL ? ", \"" : "",
                     s != NULL ? (int)(s->len > 200 ? 200 : s->len) : 0,
                     s != NULL ? (const char *)s->p : "", s != NULL ? "\"" : "");
}

static int
mock_cert_conf(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_conf *confs,
               size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    size_t i;

    (void)arg;
    (void)a;
    (void)err;
    for (i = 0; i < num; i++) {
        if (confs[i].accepted) {
            continue;
        }
        if (confs[i].has_status) {
            log_status(call, "certificate rejected by client", &confs[i].status);
        } else {
            cmp_srv_call_log(call, CMP_SRV_LOG_INFO, "certificate rejected by client");
        }
    }
    return 1;
}

static int
mock_error(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_error *e,
           struct cmp_srv_answer *a, struct cmp_err *err)
{
    (void)arg;
    (void)a;
    (void)err;
    log_status(call, "received error", &e->status);
    return 1;
}

/* ---- delayed delivery of rr, genm and certConf (openssl cmp 3.3+'s mock) ---- */

/* The mock's data of the transaction, made on first use. */
static struct mock_txn *
txn_of(const struct cmp_srv_call *call, struct cmp_err *err)
{
    struct mock_txn *mt = *call->txn_data;

    if (mt == NULL) {
        mt = calloc(1, sizeof(*mt));
        if (mt == NULL) {
            CMP_FAIL(err, CMP_E_MEMORY, "transaction");
            return NULL;
        }
        *call->txn_data = mt;
    }
    return mt;
}

/* Appends a copy of |d| to |mt->buf| at |*pos| and points |*out| at it. */
static void
keep_der(struct mock_txn *mt, size_t *pos, const struct cmp_srv_der *d, struct cmp_srv_der *out)
{
    out->p = d->len > 0 ? mt->buf + *pos : NULL;
    out->len = d->len;
    if (d->len > 0) {
        memcpy(mt->buf + *pos, d->p, d->len);
        *pos += d->len;
    }
}

/*
 * delay() answers 'waiting' and keeps what the answer will be made of when
 * polling ends: copies of the RevDetails' issuer and serial (an rr) or of
 * the ITAVs (a genm), which the engine's views do not outlive.
 */
static int
delay(const struct mock *m, const struct cmp_srv_call *call, const struct cmp_srv_rev_req *revs,
      size_t num_revs, const struct cmp_srv_itav *itavs, size_t num_itavs,
      struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct mock_txn *mt = txn_of(call, err);
    size_t i, total = 0, pos = 0;

    if (mt == NULL) {
        return 0;
    }
    for (i = 0; i < num_revs; i++) {
        total += revs[i].issuer.len + revs[i].serial.len;
    }
    for (i = 0; i < num_itavs; i++) {
        total += itavs[i].type.len + itavs[i].value.len;
    }
    free(mt->revs);
    free(mt->itavs);
    free(mt->buf);
    mt->revs = num_revs > 0 ? calloc(num_revs, sizeof(*mt->revs)) : NULL;
    mt->itavs = num_itavs > 0 ? calloc(num_itavs, sizeof(*mt->itavs)) : NULL;
    mt->buf = malloc(total > 0 ? total : 1);
    mt->num_revs = num_revs;
    mt->num_itavs = num_itavs;
    if ((num_revs > 0 && mt->revs == NULL) || (num_itavs > 0 && mt->itavs == NULL) ||
        mt->buf == NULL) {
        mt->num_revs = mt->num_itavs = 0;
        return CMP_FAIL(err, CMP_E_MEMORY, "delayed answer");
    }
    for (i = 0; i < num_revs; i++) {
        keep_der(mt, &pos, &revs[i].issuer, &mt->revs[i].issuer);
        keep_der(mt, &pos, &revs[i].serial, &mt->revs[i].serial);
    }
    for (i = 0; i < num_itavs; i++) {
        keep_der(mt, &pos, &itavs[i].type, &mt->itavs[i].type);
        keep_der(mt, &pos, &itavs[i].value, &mt->itavs[i].value);
    }
    mt->delayed = call->body_type;
    mt->polls = 0;
    cmp_srv_call_log(call, CMP_SRV_LOG_INFO, "delaying the answer to %s (-poll_count %d)",
                     cmp_body_type_name(call->body_type), m->poll_count);
    a->waiting = 1;
    a->check_after = m->check_after;
    return 1;
}

static int
mock_revoke_delayed(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_rev_req *reqs,
                    size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;

    if (m->poll_count > 0) {
        return delay(m, call, reqs, num, NULL, 0, a, err);
    }
    return mock_revoke(arg, call, reqs, num, a, err);
}

static int
mock_general_delayed(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_itav *itavs,
                     size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;

    if (m->poll_count > 0) {
        return delay(m, call, NULL, 0, itavs, num, a, err);
    }
    return mock_general(arg, call, itavs, num, a, err);
}

static int
mock_cert_conf_delayed(void *arg, const struct cmp_srv_call *call,
                       const struct cmp_srv_cert_conf *confs, size_t num,
                       struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;

    if (!mock_cert_conf(arg, call, confs, num, a, err)) {
        return 0;
    }
    return m->poll_count > 0 ? delay(m, call, NULL, 0, NULL, 0, a, err) : 1;
}

/* A pollReq for a delayed rr, genm or certConf: pollRep until the Nth, then the answer. */
static int
poll_delayed(struct mock *m, const struct cmp_srv_call *call, struct mock_txn *mt,
             struct cmp_srv_answer *a, struct cmp_err *err)
{
    int delayed = mt->delayed;

    if (++mt->polls < m->poll_count) {
        a->waiting = 1;
        a->check_after = m->check_after;
        return 1;
    }
    mt->delayed = 0;
    switch (delayed) {
    case CMP_BODY_RR:
        return mock_revoke(m, call, mt->revs, mt->num_revs, a, err);
    case CMP_BODY_GENM:
        return mock_general(m, call, mt->itavs, mt->num_itavs, a, err);
    case CMP_BODY_CERTCONF:
        return 1; /* the engine answers pkiConf */
    default:
        return CMP_FAIL(err, CMP_E_INVALID, "mock: nothing delayed");
    }
}

static void
mock_txn_free(void *arg, void *txn_data)
{
    struct mock_txn *mt = txn_data;

    (void)arg;
    if (mt != NULL) {
        free(mt->revs);
        free(mt->itavs);
        free(mt->buf);
        free(mt->kinds);
    }
    free(mt);
}

static void
mock_free(void *arg)
{
    struct mock *m = arg;

    if (m == NULL) {
        return;
    }
    X509_free(m->rsp_cert);
    X509_free(m->ref_cert);
    EVP_PKEY_free(m->rsp_key);
    OPENSSL_free(m->rsp_issuer);
    free(m->rsp_serial);
    cmp_srv_certs_cleanup(&m->capubs_der);
    cmp_srv_certs_cleanup(&m->extra_der);
    free(m->capubs);
    free(m->extra);
    free(m->statusstring);
    cmp_srv_mock_support_cleanup(&m->support);
    OPENSSL_free(m->reject_subject);
    free(m);
}

/* The answer's view of a DER list (the list's buffer outlives the mock's answers). */
static int
ders_of(struct cmp_srv_der **out, const struct cmp_srv_certs *c)
{
    size_t i;

    *out = calloc(c->num + 1, sizeof(**out));
    if (*out == NULL) {
        return 0;
    }
    for (i = 0; i < c->num; i++) {
        (*out)[i].p = c->items[i].p;
        (*out)[i].len = c->items[i].len;
    }
    return 1;
}

/* The reference certificate's issuer Name and serialNumber, to compare with rr and kur. */
static int
rsp_cert_id(struct mock *m, struct cmp_err *err)
{
    unsigned char *der = NULL;
    struct der_in in, serial;
    int len;

    len = i2d_X509_NAME(X509_get_issuer_name(m->ref_cert), &m->rsp_issuer);
    if (len <= 0) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "issuer of -ref_cert/-rsp_cert");
    }
    m->rsp_issuer_len = (size_t)len;
    len = i2d_ASN1_INTEGER(X509_get0_serialNumber(m->ref_cert), &der);
    in = der_in_make(der, len > 0 ? (size_t)len : 0);
    if (len <= 0 || !der_get_integer(&in, DER_INTEGER, &serial)) {
        OPENSSL_free(der);
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "serial number of -ref_cert/-rsp_cert");
    }
    m->rsp_serial = malloc(serial.len);
    if (m->rsp_serial == NULL) {
        OPENSSL_free(der);
        return CMP_FAIL(err, CMP_E_MEMORY, "serial number of -ref_cert/-rsp_cert");
    }
    memcpy(m->rsp_serial, serial.p, serial.len);
    m->rsp_serial_len = serial.len;
    OPENSSL_free(der);
    return 1;
}

int
cmp_srv_mock_new(struct cmp_srv_responder *out, const struct cmp_srv_config *cfg,
                 struct cmp_err *err)
{
    struct mock *m = calloc(1, sizeof(*m));

    memset(out, 0, sizeof(*out));
    if (m == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "mock responder");
    }
    m->poll_count = cfg->poll_count;
    m->check_after = cfg->check_after;
    m->grant_implicitconf = cfg->grant_implicitconf;
    m->pkistatus = cfg->pkistatus;
    m->send_error = cfg->send_error;
    m->accept_keyenc = cfg->accept_keyenc;
    if (cfg->rsp_key != NULL) {
        if (!EVP_PKEY_up_ref(cfg->rsp_key)) {
            mock_free(m);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_key");
        }
        m->rsp_key = cfg->rsp_key;
    }
    /* -failurebits overrides -failure (as openssl cmp). */
    m->failbits = cfg->failurebits;
    if (m->failbits == 0 && cfg->failure >= 0) {
        m->failbits = 1u << cfg->failure;
    }
    if (cfg->statusstring != NULL) {
        size_t n = strlen(cfg->statusstring) + 1;

        m->statusstring = malloc(n);
        if (m->statusstring == NULL) {
            mock_free(m);
            return CMP_FAIL(err, CMP_E_MEMORY, "-statusstring");
        }
        memcpy(m->statusstring, cfg->statusstring, n);
    }
    if (cfg->reject_subject != NULL) {
        int len = i2d_X509_NAME(cfg->reject_subject, &m->reject_subject);

        if (len <= 0) {
            mock_free(m);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-srv_reject_subject");
        }
        m->reject_subject_len = (size_t)len;
    }
    if (cfg->rsp_cert != NULL) {
        if (!X509_up_ref(cfg->rsp_cert)) {
            mock_free(m);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_cert");
        }
        m->rsp_cert = cfg->rsp_cert;
    }
    /* -ref_cert (openssl cmp 3.2), else -rsp_cert as openssl cmp 3.0 */
    m->ref_cert = cfg->ref_cert != NULL ? cfg->ref_cert : cfg->rsp_cert;
    if (m->ref_cert != NULL) {
        if (!X509_up_ref(m->ref_cert)) {
            m->ref_cert = NULL;
            mock_free(m);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "-ref_cert");
        }
        if (!rsp_cert_id(m, err)) {
            mock_free(m);
            return 0;
        }
    }
    if (!cmp_srv_certs_from_stack(&m->capubs_der, cfg->rsp_capubs, err) ||
        !cmp_srv_certs_from_stack(&m->extra_der, cfg->rsp_extracerts, err)) {
        mock_free(m);
        return CMP_CONTEXT(err, "-rsp_capubs, -rsp_extracerts");
    }
    if (!ders_of(&m->capubs, &m->capubs_der) || !ders_of(&m->extra, &m->extra_der)) {
        mock_free(m);
        return CMP_FAIL(err, CMP_E_MEMORY, "-rsp_capubs, -rsp_extracerts");
    }
    {
        struct der_in ref_issuer = der_in_make(m->rsp_issuer, m->rsp_issuer_len);

        if (!cmp_srv_mock_support_init(&m->support, cfg, &m->capubs_der, &ref_issuer, err)) {
            mock_free(m);
            return CMP_CONTEXT(err, "the mock's support messages");
        }
    }
    out->arg = m;
    out->cert_request = mock_cert_request;
    out->revoke = mock_revoke_delayed;
    out->general = mock_general_delayed;
    out->poll = mock_poll;
    out->cert_conf = mock_cert_conf_delayed;
    out->error = mock_error;
    out->txn_free = mock_txn_free;
    out->free = mock_free;
    return 1;
}
