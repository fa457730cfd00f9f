/*
 * Protection of a received message (RFC 9810 5.1.3): which kind it is,
 * whether it may be missing, and the MAC-based check. Signatures are in
 * signer.c.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "verify/internal.h"
#include "verify/verify.h"

/* Largest OID contents we look up; no signature algorithm OID comes near it. */
#define MAX_ALG_OID_LEN 64

/* Is the OID (contents) one libcrypto knows as a signature algorithm? */
static int
is_sig_alg(const struct der_in *oid)
{
    unsigned char buf[2 + MAX_ALG_OID_LEN];
    const unsigned char *p = buf;
    ASN1_OBJECT *obj;
    int nid, pkey_nid = NID_undef, ok;

    if (oid->len == 0 || oid->len > MAX_ALG_OID_LEN) {
        return 0;
    }
    buf[0] = 0x06;
    buf[1] = (unsigned char)oid->len;
    memcpy(buf + 2, oid->p, oid->len);
    ERR_set_mark();
    obj = d2i_ASN1_OBJECT(NULL, &p, (long)(2 + oid->len));
    ERR_pop_to_mark();
    if (obj == NULL) {
        return 0;
    }
    nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    ok = nid != NID_undef && OBJ_find_sigid_algs(nid, NULL, &pkey_nid) && pkey_nid != NID_undef;
    return ok;
}

int
cmp_vfy_prot_kind(const struct cmp_msg *msg)
{
    const struct der_in *oid = &msg->hdr.protection_alg.oid;

    if (!msg->hdr.has_protection_alg) {
        return CMP_VFY_PROT_NONE;
    }
    if (der_oid_eq(oid, CMP_OID_PBM, CMP_OID_PBM_LEN) ||
        der_oid_eq(oid, CMP_OID_PBMAC1, CMP_OID_PBMAC1_LEN)) {
        return CMP_VFY_PROT_MAC;
    }
    return is_sig_alg(oid) ? CMP_VFY_PROT_SIG : -1;
}

/* PKIStatus of the single CertResponse of an ip/cp/kup; -1 if not exactly one. */
static int64_t
single_cert_status(const struct cmp_msg *msg)
{
    const struct cmp_cert_rep *rep = &msg->body.u.rep;

    if (rep->num != 1) {
        return -1;
    }
    return rep->responses[0].status.status;
}

/*
 * openssl-cmp(1) -unprotected_errors: "error messages, negative certificate
 * responses (IP/CP/KUP), negative revocation responses (RP), negative
 * PKIConf messages". PKIConf is NULL, so nothing makes one negative; openssl
 * 3.0 (its client's unprotected_exception()) accepts every pkiConf, and so
 * do we. An ip/cp/kup qualifies only with a single CertResponse (as there),
 * an rp by its first status (the one for our single RevDetails).
 */
int
cmp_vfy_is_negative(const struct cmp_msg *msg)
{
    switch (msg->body.type) {
    case CMP_BODY_ERROR:
    case CMP_BODY_PKICONF:
        return 1;
    case CMP_BODY_RP:
        return msg->body.u.rp.num_status >= 1 &&
               msg->body.u.rp.status[0].status == CMP_STATUS_REJECTION;
    case CMP_BODY_IP:
    case CMP_BODY_CP:
    case CMP_BODY_KUP:
        return single_cert_status(msg) == CMP_STATUS_REJECTION;
    default:
        return 0;
    }
}

int
cmp_vfy_unprotected_ok(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg)
{
    if (opts->accept_unprotected) {
        return 1;
    }
    if (opts->accept_unprot_err && msg->body.type == CMP_BODY_ERROR) {
        return 1;
    }
    return opts->unprotected_errors && cmp_vfy_is_negative(msg);
}

/* Could we check a signature (RFC 9810 5.1.3.3) with what we were given? */
static int
have_sig_trust(const struct cmp_vfy_opts *opts)
{
    return opts->srvcert != NULL || opts->trusted != NULL;
}

/* RFC 9810 5.1.3.1 (PBM), RFC 9481 6.1.3 (PBMAC1). */
int
cmp_vfy_mac(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, struct cmp_err *err)
{
    if (opts->secret == NULL) {
        /* wrongIntegrity: "password based instead of signature or vice versa" */
        return CMP_FAIL_INFO(
            err, have_sig_trust(opts) ? CMP_FI_WRONG_INTEGRITY : CMP_FI_BAD_MESSAGE_CHECK,
            "protection is MAC-based, but we have no secret to verify it");
    }
    /*
     * RFC 9810 5.1.1: senderKID identifies the key of the protection. A MAC
     * under another reference cannot verify with our secret: refused before
     * a key is derived with the sender's parameters (an iteration count up
     * to the limit), which anyone could otherwise make us do.
     */
    if (opts->mac_kid.len != 0 && msg->hdr.has_sender_kid &&
        !der_in_eq(&msg->hdr.sender_kid, &opts->mac_kid)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "senderKID is not the reference of our secret: MAC not checked");
    }
    if (!cmp_verify_mac(msg, opts->secret, opts->secret_len, &opts->mac_limits, err)) {
        return CMP_CONTEXT(err, "MAC-based protection");
    }
    return 1;
}

static const char *
kind_name(int kind)
{
    return kind == CMP_VFY_PROT_MAC ? "MAC-based" : "signature-based";
}

/* RFC 9810 5.1.3: PKIProtection and protectionAlg go together. */
int
cmp_vfy_protection(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg,
                   struct cmp_vfy_result *res, struct cmp_err *err)
{
    int kind = cmp_vfy_prot_kind(msg);
    X509 *signer = NULL;

    if (!msg->has_protection && kind == CMP_VFY_PROT_NONE) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK, "protection is missing");
    }
    if (!msg->has_protection) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "protection is missing although protectionAlg is present");
    }
    if (kind == CMP_VFY_PROT_NONE) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "protectionAlg is missing although protection is present");
    }
    if (kind < 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "protectionAlg is not a supported algorithm");
    }
    if (opts->expect_protection != CMP_VFY_PROT_NONE && kind != opts->expect_protection) {
        return CMP_FAIL_INFO(err, CMP_FI_WRONG_INTEGRITY,
                             "protection is %s, expected %s (protectionAlg)", kind_name(kind),
                             kind_name(opts->expect_protection));
    }
    if (kind == CMP_VFY_PROT_MAC) {
        if (!cmp_vfy_mac(opts, msg, err)) {
            return 0;
        }
    } else if (!cmp_vfy_signature(opts, msg, &signer, err)) {
        return 0;
    }
    if (res != NULL) {
        res->protection = kind;
        res->signer = signer;
    } else {
        X509_free(signer);
    }
    return 1;
}
