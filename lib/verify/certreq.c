/*
 * The checks of certificate requests and responses: ir/cr/kur and p10cr
 * at the server (certReqIds, proof of possession), ip/cp/kup at the client
 * (the CertResponse for our request and its consistency).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "verify/internal.h"
#include "verify/verify.h"

/* The largest SubjectPublicKeyInfo we hand to libcrypto (an RSA key of 32768 bits fits). */
#define MAX_SPKI_LEN 8192

static int
is_crmf_request(int type)
{
    return type == CMP_BODY_IR || type == CMP_BODY_CR || type == CMP_BODY_KUR ||
           type == CMP_BODY_KRR || type == CMP_BODY_CCR;
}

int
cmp_vfy_cert_req_ids(const struct cmp_msg *msg, const char **peer_text, struct cmp_err *err)
{
    const struct cmp_cert_req_msgs *reqs = &msg->body.u.req;
    size_t i, j;

    if (!is_crmf_request(msg->body.type)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not a CertReqMessages body");
    }
    /* RFC 9483 4.1.1: the certReqId of the one CertReqMsg MUST be 0. */
    if (reqs->num == 1) {
        if (reqs->items[0].cert_req_id != 0) {
            CMP_VFY_PEER(peer_text, "certReqId must be 0");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "certReqId %lld, expected 0",
                                 (long long)reqs->items[0].cert_req_id);
        }
        return 1;
    }
    /*
     * RFC 9810 5.3.4: each CertResponse names its request by certReqId, so
     * those of one message differ; -1 stands for "no certReqId" (RFC 9483
     * 4.1.4, RFC 9810 5.3.22), so they are not negative.
     */
    for (i = 0; i < reqs->num; i++) {
        if (reqs->items[i].cert_req_id < 0) {
            CMP_VFY_PEER(peer_text, "negative certReqId");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "CertReqMsg #%zu has certReqId %lld", i,
                                 (long long)reqs->items[i].cert_req_id);
        }
        for (j = 0; j < i; j++) {
            if (reqs->items[j].cert_req_id == reqs->items[i].cert_req_id) {
                CMP_VFY_PEER(peer_text, "duplicate certReqId");
                return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                     "CertReqMsgs #%zu and #%zu have certReqId %lld", j, i,
                                     (long long)reqs->items[i].cert_req_id);
            }
        }
    }
    return 1;
}

/*
 * The public key of a template: [6] IMPLICIT SubjectPublicKeyInfo keeps
 * only the contents, so the SEQUENCE header is put back for d2i_PUBKEY().
 * NULL if it does not parse; OpenSSL's error queue is left as it was.
 */
static EVP_PKEY *
template_key(const struct der_in *spki)
{
    uint8_t *buf;
    const unsigned char *p;
    size_t hdr = 0;
    EVP_PKEY *pkey;

    if (spki->len == 0 || spki->len > MAX_SPKI_LEN) {
        return NULL;
    }
    buf = malloc(spki->len + 4);
    if (buf == NULL) {
        return NULL;
    }
    buf[hdr++] = 0x30;
    if (spki->len < 0x80) {
        buf[hdr++] = (uint8_t)spki->len;
    } else if (spki->len <= 0xFF) {
        buf[hdr++] = 0x81;
        buf[hdr++] = (uint8_t)spki->len;
    } else {
        buf[hdr++] = 0x82;
        buf[hdr++] = (uint8_t)(spki->len >> 8);
        buf[hdr++] = (uint8_t)spki->len;
    }
    memcpy(buf + hdr, spki->p, spki->len);
    p = buf;
    ERR_set_mark();
    pkey = d2i_PUBKEY(NULL, &p, (long)(hdr + spki->len));
    ERR_pop_to_mark();
    if (pkey != NULL && p != buf + hdr + spki->len) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    free(buf);
    return pkey;
}

int
cmp_vfy_cert_template(const struct cmp_vfy_req_rules *rules, const struct cmp_cert_req_msg *crm,
                      const char **peer_text, struct cmp_err *err)
{
    const struct cmp_cert_template *t = &crm->tmpl;
    int max_bits = rules != NULL && rules->max_rsa_bits > 0 ? rules->max_rsa_bits
                                                            : CMP_VFY_DEFAULT_MAX_RSA_BITS;
    EVP_PKEY *pkey;
    int bits;

    /*
     * RFC 9483 4.1.1 (ir, cr) and 4.1.3 (kur): the template's subject is
     * REQUIRED (the NULL-DN is allowed with a subjectAltName, which the
     * issuing side judges).
     */
    if (!t->has_subject) {
        CMP_VFY_PEER(peer_text, "certTemplate without subject");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "CertReqMsg certReqId %lld: certTemplate has no subject",
                             (long long)crm->cert_req_id);
    }
    /* RFC 9483 4.1.6: without a public key the key is to be generated centrally. */
    if (!t->has_public_key) {
        return 1;
    }
    pkey = template_key(&t->public_key);
    if (pkey == NULL) {
        CMP_VFY_PEER(peer_text, "certTemplate public key unreadable");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "CertReqMsg certReqId %lld: certTemplate publicKey does not parse "
                             "or exceeds %d bytes",
                             (long long)crm->cert_req_id, MAX_SPKI_LEN);
    }
    /*
     * RFC 9483 4.1.1: a key the CA will not certify is a template it does
     * not accept (badCertTemplate); checked before the POPO, whose
     * verification with a huge RSA key would cost us seconds.
     */
    bits = EVP_PKEY_get_bits(pkey);
    if ((EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS")) && bits > max_bits) {
        EVP_PKEY_free(pkey);
        CMP_VFY_PEER(peer_text, "RSA key too large");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "CertReqMsg certReqId %lld: RSA key of %d bits, more than the %d "
                             "allowed",
                             (long long)crm->cert_req_id, bits, max_bits);
    }
    EVP_PKEY_free(pkey);
    return 1;
}

int
cmp_vfy_popo(const struct cmp_cert_req_msg *crm, int accept_raverified, struct cmp_err *why)
{
    /* RFC 4211 4, RFC 9483 4.1.1: a failed proof rejects this request (badPOP). */
    if (cmp_popo_verify(crm, accept_raverified, why)) {
        return CMP_VFY_POPO_OK;
    }
    if (!crm->has_popo) {
        return CMP_VFY_POPO_MISSING;
    }
    if (crm->popo.type == CMP_POPO_RAVERIFIED) {
        return CMP_VFY_POPO_RAVERIFIED;
    }
    if (why != NULL && why->code == CMP_E_UNSUPPORTED) {
        return CMP_VFY_POPO_INDIRECT;
    }
    return CMP_VFY_POPO_BAD;
}

int
cmp_vfy_p10cr(const struct cmp_msg *msg, struct cmp_err *why)
{
    if (msg->body.type != CMP_BODY_P10CR) {
        CMP_FAIL_INFO(why, CMP_FI_BAD_REQUEST, "not a p10cr");
        return -1;
    }
    /* RFC 9483 4.1.4: the CertificationRequest's self-signature is the proof. */
    if (cmp_p10cr_verify(&msg->body.u.p10cr, why)) {
        return CMP_VFY_POPO_OK;
    }
    /* One that does not parse (badDataFormat) fails the message as a whole. */
    return why->failure_bit == CMP_FI_BAD_POP ? CMP_VFY_POPO_BAD : -1;
}

const char *
cmp_vfy_status_name(int64_t status)
{
    switch (status) {
    case CMP_STATUS_ACCEPTED:
        return "accepted";
    case CMP_STATUS_GRANTED_WITH_MODS:
        return "granted with modifications";
    case CMP_STATUS_REJECTION:
        return "rejection";
    case CMP_STATUS_WAITING:
        return "waiting";
    case CMP_STATUS_REVOCATION_WARNING:
        return "revocation warning";
    case CMP_STATUS_REVOCATION_NOTIFICATION:
        return "revocation notification";
    case CMP_STATUS_KEY_UPDATE_WARNING:
        return "key update warning";
    default:
        return "(unknown PKIStatus)";
    }
}

int
cmp_vfy_certrep_find(const struct cmp_msg *msg, int64_t cert_req_id,
                     const struct cmp_cert_response **out, struct cmp_err *err)
{
    const struct cmp_cert_rep *rep = &msg->body.u.rep;
    size_t i;

    *out = NULL;
    if (msg->body.type != CMP_BODY_IP && msg->body.type != CMP_BODY_CP &&
        msg->body.type != CMP_BODY_KUP && msg->body.type != CMP_BODY_CCP) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not a CertRepMessage body");
    }
    /*
     * RFC 9810 5.3.4: the CertResponse carries the certReqId of its request;
     * a p10cr has none (-1, RFC 9483 4.1.4), and some servers answer it
     * with 0: then the single response is the one.
     */
    for (i = 0; i < rep->num; i++) {
        if (rep->responses[i].cert_req_id == cert_req_id || (cert_req_id == -1 && rep->num == 1)) {
            *out = &rep->responses[i];
            return 1;
        }
    }
    return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "%s has no response for certReqId %lld",
                         cmp_body_type_name(msg->body.type), (long long)cert_req_id);
}

int
cmp_vfy_status_grants(int64_t status)
{
    switch (status) {
    case CMP_STATUS_ACCEPTED:
    case CMP_STATUS_GRANTED_WITH_MODS:
    case CMP_STATUS_REVOCATION_WARNING:
    case CMP_STATUS_REVOCATION_NOTIFICATION:
    case CMP_STATUS_KEY_UPDATE_WARNING:
        return 1;
    default:
        return 0;
    }
}

int
cmp_vfy_cert_response(const struct cmp_msg *msg, const struct cmp_cert_response *cr,
                      struct cmp_err *err)
{
    /* RFC 9810 5.3.22: 'waiting' means the certificate comes later. */
    if (cr->status.status == CMP_STATUS_WAITING && cr->has_ckp) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "status 'waiting' with a certificate");
    }
    /* RFC 9810 5.3.4: a positive answer carries the certificate. */
    if (cmp_vfy_status_grants(cr->status.status) && !cr->has_ckp) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "no certificate in %s with status %s",
                             cmp_body_type_name(msg->body.type),
                             cmp_vfy_status_name(cr->status.status));
    }
    /* rejection, or a status the caller reports as unknown */
    return 1;
}
