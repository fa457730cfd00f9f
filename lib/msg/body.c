/*
 * The body types, RFC 9810 5.1.2: one row per PKIBody alternative, indexed
 * by enum cmp_body_type (its [n] tag). msg.c decodes, encodes and frees a
 * body through its row's codec, the printer prints through it, and the
 * server engine and the client read here what a body type is (request or
 * response, whether it opens a transaction, what answers it).
 *
 * A new body type is its own file with its codec (struct cmp_body_codec,
 * declared in internal.h) and its row here.
 */
#include <stddef.h>

#include "msg/internal.h"

#define REQ CMP_BODY_F_REQUEST
#define RSP CMP_BODY_F_RESPONSE
#define FIRST CMP_BODY_F_FIRST
#define CERT_REQ CMP_BODY_F_CERT_REQ
#define CERT_REP CMP_BODY_F_CERT_REP
#define ANNOUNCE CMP_BODY_F_ANNOUNCE

/*
 * The responses: RFC 9810 5.3.1-5.3.22 and Appendix D. The answer to a
 * certConf, and to an error that a client sends, is pkiConf (5.3.17,
 * 5.3.21); pollReq is answered by pollRep, or by the response the polling
 * waited for, which the engine decides. popdecc is answered by popdecr.
 */
static const struct cmp_body_desc bodies[CMP_BODY_MAX + 1] = {
    [CMP_BODY_IR] = {"ir", "initialization request", REQ | FIRST | CERT_REQ, CMP_BODY_IP,
                     &cmp_cert_req_body},
    [CMP_BODY_IP] = {"ip", "initialization response", RSP | CERT_REP, -1, &cmp_cert_rep_body},
    [CMP_BODY_CR] = {"cr", "certification request", REQ | FIRST | CERT_REQ, CMP_BODY_CP,
                     &cmp_cert_req_body},
    [CMP_BODY_CP] = {"cp", "certification response", RSP | CERT_REP, -1, &cmp_cert_rep_body},
    [CMP_BODY_P10CR] = {"p10cr", "PKCS #10 certification request", REQ | FIRST | CERT_REQ,
                        CMP_BODY_CP, &cmp_p10cr_body},
    [CMP_BODY_POPDECC] = {"popdecc", "POP challenge", RSP, CMP_BODY_POPDECR, &cmp_opaque_body},
    [CMP_BODY_POPDECR] = {"popdecr", "POP response", REQ, -1, &cmp_opaque_body},
    [CMP_BODY_KUR] = {"kur", "key update request", REQ | FIRST | CERT_REQ, CMP_BODY_KUP,
                      &cmp_cert_req_body},
    [CMP_BODY_KUP] = {"kup", "key update response", RSP | CERT_REP, -1, &cmp_cert_rep_body},
    [CMP_BODY_KRR] = {"krr", "key recovery request", REQ | FIRST, CMP_BODY_KRP,
                      &cmp_cert_req_body},
    [CMP_BODY_KRP] = {"krp", "key recovery response", RSP, -1, &cmp_opaque_body},
    [CMP_BODY_RR] = {"rr", "revocation request", REQ | FIRST, CMP_BODY_RP, &cmp_rev_req_body},
    [CMP_BODY_RP] = {"rp", "revocation response", RSP, -1, &cmp_rev_rep_body},
    [CMP_BODY_CCR] = {"ccr", "cross-certification request", REQ | FIRST | CERT_REQ, CMP_BODY_CCP,
                      &cmp_cert_req_body},
    [CMP_BODY_CCP] = {"ccp", "cross-certification response", RSP | CERT_REP, -1,
                      &cmp_cert_rep_body},
    [CMP_BODY_CKUANN] = {"ckuann", "CA key update announcement", ANNOUNCE, -1, &cmp_opaque_body},
    [CMP_BODY_CANN] = {"cann", "certificate announcement", ANNOUNCE, -1, &cmp_opaque_body},
    [CMP_BODY_RANN] = {"rann", "revocation announcement", ANNOUNCE, -1, &cmp_opaque_body},
    [CMP_BODY_CRLANN] = {"crlann", "CRL announcement", ANNOUNCE, -1, &cmp_opaque_body},
    [CMP_BODY_PKICONF] = {"pkiconf", "confirmation", RSP, -1, &cmp_pkiconf_body},
    [CMP_BODY_NESTED] = {"nested", "nested messages", REQ | RSP, -1, &cmp_nested_body},
    [CMP_BODY_GENM] = {"genm", "general message", REQ | FIRST, CMP_BODY_GENP, &cmp_genm_body},
    [CMP_BODY_GENP] = {"genp", "general response", RSP, -1, &cmp_genm_body},
    [CMP_BODY_ERROR] = {"error", "error message", REQ | RSP, CMP_BODY_PKICONF, &cmp_error_body},
    [CMP_BODY_CERTCONF] = {"certConf", "certificate confirmation", REQ, CMP_BODY_PKICONF,
                           &cmp_certconf_body},
    [CMP_BODY_POLLREQ] = {"pollReq", "polling request", REQ, CMP_BODY_POLLREP, &cmp_poll_req_body},
    [CMP_BODY_POLLREP] = {"pollRep", "polling response", RSP, -1, &cmp_poll_rep_body},
};

const struct cmp_body_desc *
cmp_body_desc(int type)
{
    if (type < 0 || type > CMP_BODY_MAX) {
        return NULL;
    }
    return &bodies[type];
}

const char *
cmp_body_type_name(int type)
{
    const struct cmp_body_desc *d = cmp_body_desc(type);

    return d != NULL ? d->name : NULL;
}
