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
 *                    error message; kur: its oldCertID must name -rsp_cert;
 *                    -poll_count N: 'waiting' for the others (no
 *                    certificate, caPubs or extraCerts), the Nth pollReq gets
 *                    the final answer, the ones before it pollRep with
 *                    -check_after; the final answer of each:
 *                    -pkistatus/-failurebits/-statusstring, the -rsp_cert
 *                    unless the status is rejection or waiting, caPubs
 *                    (-rsp_capubs) only in ip, extraCerts (-rsp_extracerts)
 *                    whatever the status, implicit confirmation with
 *                    -grant_implicitconf
 *   certConf         a rejecting one is logged; pkiConf
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

/* The mock's options, with its own copies and references. */
struct mock {
    X509 *rsp_cert; /* -rsp_cert, or NULL */
    uint8_t *rsp_issuer; /* its issuer Name and serial (INTEGER contents) */
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
    unsigned char *reject_subject; /* -srv_reject_subject as a DER Name, or NULL */
    size_t reject_subject_len;
};

/* What the mock keeps per transaction: the pollReqs answered so far. */
struct mock_txn {
    int polls;
    int answered; /* the final answer was given */
};

/* -send_error: the error message openssl sends (badRequest). */
static int
send_error(struct cmp_srv_answer *a, struct cmp_err *err)
{
    a->error_text = "error processing message";
    return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "-send_error is set");
}

/* Does a CertTemplate's or CertId's issuer and serial name -rsp_cert? */
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

/*
 * The configured status, with -rsp_cert unless it is a rejection or
 * 'waiting', for each result not already rejected (or, |pending| set, for
 * each still 'waiting').
 */
static int
final_certrep(const struct mock *m, const struct cmp_srv_call *call, struct cmp_srv_answer *a,
              int pending, struct cmp_err *err)
{
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
 * control; the mock only updates -rsp_cert (openssl 3.0: "wrong certid").
 */
static int
check_old_cert_id(const struct mock *m, const struct cmp_srv_cert_req *req,
                  struct cmp_srv_answer *a, struct cmp_err *err)
{
    if (m->rsp_cert == NULL) {
        return 1;
    }
    if (req->old_serial.len == 0) {
        a->error_text = "oldCertID missing";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "kur without the oldCertID control");
    }
    if (!is_rsp_cert(m, &req->old_issuer, &req->old_serial)) {
        a->error_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "kur oldCertID names a certificate other than -rsp_cert");
    }
    return 1;
}

/*
 * Each request on its own (RFC 9810 5.3.4): rejections by POPO and by
 * -srv_reject_subject first; the others get the configured answer, now or
 * after polling. A result left at 'accepted' (0) is one still to answer.
 */
static int
mock_cert_request(void *arg, const struct cmp_srv_call *call, const struct cmp_srv_cert_req *reqs,
                  size_t num, struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;
    struct mock_txn *mt;
    size_t i, num_rejected = 0;

    for (i = 0; i < num; i++) {
        struct cmp_srv_cert_result *res = &a->certs[i];

        if (reqs[i].popo != CMP_SRV_POPO_OK) {
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
    if (num_rejected == num) {
        return 1;
    }
    if (m->send_error) {
        return send_error(a, err);
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
        for (i = 0; i < num; i++) {
            if (a->certs[i].status.status != CMP_SRV_REJECTION) {
                a->certs[i].status.status = CMP_SRV_WAITING;
            }
        }
        a->check_after = m->check_after;
        return 1;
    }
    return final_certrep(m, call, a, 0, err);
}

static int
mock_poll(void *arg, const struct cmp_srv_call *call, const int64_t *ids, size_t num,
          struct cmp_srv_answer *a, struct cmp_err *err)
{
    const struct mock *m = arg;
    struct mock_txn *mt = *call->txn_data;
    size_t i;

    (void)ids;
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
        return final_certrep(m, call, a, 1, err);
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
    if (m->rsp_cert == NULL) {
        a->error_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID, "no -rsp_cert: no certificate to revoke");
    }
    /* A request made from a CSR may lack issuer and serial: openssl accepts it. */
    if (reqs[0].issuer.len > 0 && reqs[0].serial.len > 0 &&
        !is_rsp_cert(m, &reqs[0].issuer, &reqs[0].serial)) {
        a->error_text = "unknown certificate";
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "issuer and serialNumber are not those of -rsp_cert");
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

    (void)call;
    if (m->send_error) {
        return send_error(a, err);
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

static void
mock_txn_free(void *arg, void *txn_data)
{
    (void)arg;
    free(txn_data);
}

static void
mock_free(void *arg)
{
    struct mock *m = arg;

    if (m == NULL) {
        return;
    }
    X509_free(m->rsp_cert);
    OPENSSL_free(m->rsp_issuer);
    free(m->rsp_serial);
    cmp_srv_certs_cleanup(&m->capubs_der);
    cmp_srv_certs_cleanup(&m->extra_der);
    free(m->capubs);
    free(m->extra);
    free(m->statusstring);
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

/* -rsp_cert's issuer Name and serialNumber, to compare with rr and kur. */
static int
rsp_cert_id(struct mock *m, struct cmp_err *err)
{
    unsigned char *der = NULL;
    struct der_in in, serial;
    int len;

    len = i2d_X509_NAME(X509_get_issuer_name(m->rsp_cert), &m->rsp_issuer);
    if (len <= 0) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "issuer of -rsp_cert");
    }
    m->rsp_issuer_len = (size_t)len;
    len = i2d_ASN1_INTEGER(X509_get0_serialNumber(m->rsp_cert), &der);
    in = der_in_make(der, len > 0 ? (size_t)len : 0);
    if (len <= 0 || !der_get_integer(&in, DER_INTEGER, &serial)) {
        OPENSSL_free(der);
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "serial number of -rsp_cert");
    }
    m->rsp_serial = malloc(serial.len);
    if (m->rsp_serial == NULL) {
        OPENSSL_free(der);
        return CMP_FAIL(err, CMP_E_MEMORY, "serial number of -rsp_cert");
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
    out->arg = m;
    out->cert_request = mock_cert_request;
    out->revoke = mock_revoke;
    out->general = mock_general;
    out->poll = mock_poll;
    out->cert_conf = mock_cert_conf;
    out->error = mock_error;
    out->txn_free = mock_txn_free;
    out->free = mock_free;
    return 1;
}
