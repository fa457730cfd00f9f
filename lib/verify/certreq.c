/*
 * The checks of certificate requests and responses: ir/cr/kur and p10cr
 * at the server (certReqIds, proof of possession), ip/cp/kup at the client
 * (the CertResponse for our request and its consistency).
 */
#include "verify/internal.h"
#include "verify/verify.h"

static int
is_crmf_request(int type)
{
    return type == CMP_BODY_IR || type == CMP_BODY_CR || type == CMP_BODY_KUR ||
           type == CMP_BODY_KRR || type == CMP_BODY_CCR;
}

int
cmp_vfy_cert_req_count(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                       const char **peer_text, struct cmp_err *err)
{
    size_t n = msg->body.u.req.num;

    /* RFC 9483 4.1.1: "the EE MUST include a sequence of one CertReqMsg" */
    if (rules != NULL && rules->profile == CMP_VFY_PROFILE_LIGHTWEIGHT && n != 1) {
        CMP_VFY_PEER(peer_text, "exactly one CertReqMsg (Lightweight CMP Profile)");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "%zu CertReqMsgs in one message; the Lightweight CMP Profile allows "
                             "one (RFC 9483 4.1.1)",
                             n);
    }
    return 1;
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
 * The bits of the RSA modulus of a template's public key ([6] IMPLICIT
 * SubjectPublicKeyInfo: the contents only), read from the DER alone: no
 * key is built here (the POPO check builds it once, after this check has
 * refused a huge one). 0 if the key is not RSA (rsaEncryption or
 * id-RSASSA-PSS) or is empty (central key generation), -1 if the algorithm
 * or an RSA key does not parse.
 */
static int64_t
rsa_modulus_bits(const struct der_in *spki)
{
    struct der_in in = *spki, alg, oid, bits, key, n;
    unsigned unused;
    uint8_t top;
    int64_t nbits;

    if (!der_get(&in, DER_SEQUENCE, &alg) || !der_get_oid(&alg, &oid)) {
        return -1;
    }
    if (!cmp_oid_is(&oid, CMP_NID_RSA_ENCRYPTION) && !cmp_oid_is(&oid, CMP_NID_RSASSA_PSS)) {
        return 0;
    }
    /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1) */
    if (!der_get_bitstring(&in, DER_BIT_STRING, &bits, &unused) || !der_done(&in) ||
        unused != 0) {
        return -1;
    }
    /* RFC 9483 4.1.6: an empty subjectPublicKey asks for a central key of this type */
    if (bits.len == 0) {
        return 0;
    }
    if (!der_get(&bits, DER_SEQUENCE, &key) || !der_done(&bits) ||
        !der_get(&key, DER_INTEGER, &n) || n.len == 0) {
        return -1;
    }
    /* DER INTEGERs are minimal: a leading 00 only before a set top bit. */
    if (n.p[0] == 0x00 && n.len > 1) {
        n.p++;
        n.len--;
    }
    nbits = (int64_t)n.len * 8;
    for (top = n.p[0]; nbits > 0 && !(top & 0x80); top = (uint8_t)(top << 1)) {
        nbits--;
    }
    return nbits;
}

int
cmp_vfy_p10cr_key(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                  const char **peer_text, struct cmp_err *err)
{
    int max_bits = rules != NULL && rules->max_rsa_bits > 0 ? rules->max_rsa_bits
                                                            : CMP_VFY_DEFAULT_MAX_RSA_BITS;
    struct der_in in = msg->body.u.p10cr, csr, info, version, subject, spki;
    int64_t bits;

    /*
     * CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE
     * { version INTEGER, subject Name, subjectPKInfo SubjectPublicKeyInfo,
     * attributes [0] }, ... } (RFC 2986 4): a CSR that does not read so is
     * left to the signature check, which says why.
     */
    if (!der_get(&in, DER_SEQUENCE, &csr) || !der_get(&csr, DER_SEQUENCE, &info) ||
        !der_get(&info, DER_INTEGER, &version) || !der_get(&info, DER_SEQUENCE, &subject) ||
        !der_get(&info, DER_SEQUENCE, &spki)) {
        return 1;
    }
    bits = rsa_modulus_bits(&spki);
    if (bits > max_bits) {
        CMP_VFY_PEER(peer_text, "RSA key too large");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "p10cr: RSA key of %lld bits, more than the %d allowed",
                             (long long)bits, max_bits);
    }
    return 1;
}

int
cmp_vfy_cert_template(const struct cmp_vfy_req_rules *rules, const struct cmp_cert_req_msg *crm,
                      const char **peer_text, struct cmp_err *err)
{
    const struct cmp_cert_template *t = &crm->tmpl;
    int max_bits = rules != NULL && rules->max_rsa_bits > 0 ? rules->max_rsa_bits
                                                            : CMP_VFY_DEFAULT_MAX_RSA_BITS;
    int64_t bits;

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
    /*
     * RFC 9483 4.1.1: a key the CA will not certify is a template it does
     * not accept (badCertTemplate); checked before the POPO, whose
     * verification with a huge RSA key would cost us seconds. Other keys
     * are read by the POPO check.
     */
    bits = rsa_modulus_bits(&t->public_key);
    if (bits < 0) {
        CMP_VFY_PEER(peer_text, "certTemplate publicKey unreadable");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "CertReqMsg certReqId %lld: certTemplate publicKey does not parse",
                             (long long)crm->cert_req_id);
    }
    if (bits > max_bits) {
        CMP_VFY_PEER(peer_text, "RSA key too large");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "CertReqMsg certReqId %lld: RSA key of %lld bits, more than the %d "
                             "allowed",
                             (long long)crm->cert_req_id, (long long)bits, max_bits);
    }
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
cmp_vfy_central_keygen(const struct cmp_cert_req_msg *crm, struct cmp_err *why)
{
    struct der_in spki = crm->tmpl.public_key, alg, key;
    unsigned unused = 0;
    int central = !crm->tmpl.has_public_key;

    /*
     * RFC 9483 4.1.6: the EE asks the PKI to generate its key by leaving
     * publicKey out, or by giving only the algorithm with a zero-length
     * subjectPublicKey.
     */
    if (!central && der_get_tlv(&spki, DER_SEQUENCE, &alg) &&
        der_get_bitstring(&spki, DER_BIT_STRING, &key, &unused) && der_done(&spki)) {
        central = key.len == 0;
    }
    if (!central) {
        return 0;
    }
    /* RFC 9483 4.1.6: "the popo field MUST be omitted". */
    if (crm->has_popo) {
        cmp_err_set(why, CMP_E_INVALID, CMP_FI_BAD_POP, __FILE__, __LINE__,
                    "CertReqMsg (certReqId %lld): a POPO with central key generation",
                    (long long)crm->cert_req_id);
        return -1;
    }
    return 1;
}

int
cmp_vfy_popo_encr_cert(const struct cmp_cert_req_msg *crm)
{
    /* RFC 4211 4.2, RFC 9810 5.2.8.3.2: keyEncipherment [2] subsequentMessage encrCert */
    return crm->has_popo && crm->popo.type == CMP_POPO_KEYENC &&
           crm->popo.priv_type == CMP_POPO_PRIV_SUBSEQUENT &&
           crm->popo.subsequent == CMP_SUBSEQ_ENCR_CERT;
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
