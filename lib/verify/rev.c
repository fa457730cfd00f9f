/*
 * The checks of revocation messages: rr at the server (RFC 9810 5.3.9),
 * rp at the client against the RevDetails it sent (RFC 9810 5.3.10).
 */
#include <string.h>

#include "verify/internal.h"
#include "verify/verify.h"

int
cmp_vfy_rr(const struct cmp_msg *msg, const char **peer_text, struct cmp_err *err)
{
    if (msg->body.type != CMP_BODY_RR) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not an rr");
    }
    /*
     * RFC 9810 5.3.10: the rp holds one status per RevDetails, at least one
     * (SIZE (1..MAX)): an rr without RevDetails cannot be answered.
     */
    if (msg->body.u.rr.num == 0) {
        CMP_VFY_PEER(peer_text, "no RevDetails");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "rr without RevDetails");
    }
    return 1;
}

/* id-ce-cRLReasons (2.5.29.21), the OID's contents */
static const uint8_t oid_crl_reason[] = {0x55, 0x1D, 0x15};

/* Do the crlEntryDetails Extensions (a SEQUENCE TLV) hold a reasonCode? */
static int
has_reason_code(const struct der_in *exts)
{
    struct der_in in = *exts, seq, ext, oid;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    while (seq.len > 0) {
        if (!der_get(&seq, DER_SEQUENCE, &ext) || !der_get(&ext, DER_OID, &oid)) {
            return 0;
        }
        if (oid.len == sizeof(oid_crl_reason) &&
            memcmp(oid.p, oid_crl_reason, sizeof(oid_crl_reason)) == 0) {
            return 1;
        }
    }
    return 0;
}

int
cmp_vfy_rr_lightweight(const struct cmp_msg *msg, const char **peer_text, struct cmp_err *err)
{
    const struct cmp_rev_details *rd;

    if (!cmp_vfy_rr(msg, peer_text, err)) {
        return 0;
    }
    /* RFC 9483 4.2: revDetails "MUST be present exactly once". */
    if (msg->body.u.rr.num != 1) {
        CMP_VFY_PEER(peer_text, "exactly one RevDetails");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "rr with %zu RevDetails, expected one",
                             msg->body.u.rr.num);
    }
    rd = &msg->body.u.rr.items[0];
    /* RFC 9483 4.2: certDetails "MUST contain" issuer and serialNumber. */
    if (!rd->cert_details.has_issuer || !rd->cert_details.has_serial) {
        CMP_VFY_PEER(peer_text, "certDetails without issuer or serialNumber");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "rr certDetails lacks issuer or serialNumber");
    }
    /* RFC 9483 4.2: crlEntryDetails REQUIRED, with a reasonCode. */
    if (!rd->has_crl_entry_details || !has_reason_code(&rd->crl_entry_details)) {
        CMP_VFY_PEER(peer_text, "crlEntryDetails without reasonCode");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "rr crlEntryDetails lacks a reasonCode");
    }
    return 1;
}

int
cmp_vfy_rp(const struct cmp_msg *msg, size_t num_requested, struct cmp_err *err)
{
    const struct cmp_rev_rep *rp = &msg->body.u.rp;

    if (msg->body.type != CMP_BODY_RP) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not an rp");
    }
    /* RFC 9810 5.3.10, RFC 9483 4.2: one status per RevDetails sent, in their order. */
    if (rp->num_status != num_requested) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "rp with %zu statuses, expected %zu",
                             rp->num_status, num_requested);
    }
    /*
     * RFC 9810 5.3.10: revCerts, if present, name them in the same order.
     * openssl's mock sends an empty revCerts when the rr named no
     * certificate (a request made from a CSR): tolerated, it names nothing.
     */
    if (rp->has_rev_certs && rp->num_rev_certs != 0 && rp->num_rev_certs != rp->num_status) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "rp with %zu revCerts for %zu statuses",
                             rp->num_rev_certs, rp->num_status);
    }
    return 1;
}

int
cmp_vfy_rp_cert_id(const struct cmp_msg *msg, size_t i, const struct der_in *issuer,
                   const struct der_in *serial, struct cmp_err *err)
{
    const struct cmp_rev_rep *rp = &msg->body.u.rp;
    const struct cmp_certid *id;

    if (msg->body.type != CMP_BODY_RP || !rp->has_rev_certs || i >= rp->num_rev_certs) {
        return 1;
    }
    /* RFC 9810 5.3.10: the CertId of the i-th RevDetails sent. */
    id = &rp->rev_certs[i];
    if (id->issuer.type != CMP_GN_DIRNAME || !cmp_vfy_name_eq(&id->issuer.value, issuer) ||
        !der_in_eq(&id->serial, serial)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                             "rp revCerts names another certificate than -oldcert");
    }
    return 1;
}
