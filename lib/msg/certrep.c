/*
 * CertRepMessage (RFC 9810 5.3.4), the body of ip, cp, kup and ccp. The CMP
 * module uses EXPLICIT TAGS; EncryptedKey comes from the IMPLICIT CRMF
 * module (enckey.c). The ASN.1 is in msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

/* [n] EXPLICIT EncryptedKey: the wrapper holds exactly one EncryptedKey. */
static int
explicit_enckey_decode(struct der_in *in, uint32_t tag, struct cmp_enckey *out, const char *what,
                       struct cmp_err *err)
{
    struct der_in copy = *in, wrap;

    if (!der_get(&copy, tag, &wrap)) {
        return CMP_DECODE_FAIL(err, in, what);
    }
    if (!cmp_enckey_decode(&wrap, out, err)) {
        return CMP_CONTEXT(err, "%s", what);
    }
    if (!der_done(&wrap)) {
        return CMP_DECODE_FAIL(err, &wrap, what);
    }
    *in = copy;
    return 1;
}

static int
certified_key_pair_decode(struct der_in *in, struct cmp_certified_key_pair *ckp,
                          struct cmp_err *err)
{
    struct der_in copy = *in, seq, at, wrap;
    int present;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertifiedKeyPair");
    }
    at = seq;
    if (der_peek(&seq, DER_EXPLICIT(0))) {
        if (!der_get(&seq, DER_EXPLICIT(0), &wrap) ||
            !der_get_tlv(&wrap, DER_SEQUENCE, &ckp->cert) || !der_done(&wrap) ||
            !der_walk(&ckp->cert, DER_MAX_DEPTH)) {
            return CMP_DECODE_FAIL(err, &at, "CertOrEncCert.certificate");
        }
        ckp->cert_type = CMP_CERT_PLAIN;
    } else if (der_peek(&seq, DER_EXPLICIT(1))) {
        if (!explicit_enckey_decode(&seq, DER_EXPLICIT(1), &ckp->enc_cert,
                                    "CertOrEncCert.encryptedCert", err)) {
            return 0;
        }
        ckp->cert_type = CMP_CERT_ENCRYPTED;
    } else {
        return CMP_DECODE_FAIL(err, &at, "CertifiedKeyPair.certOrEncCert");
    }
    if (der_peek(&seq, DER_EXPLICIT(0))) {
        if (!explicit_enckey_decode(&seq, DER_EXPLICIT(0), &ckp->private_key,
                                    "CertifiedKeyPair.privateKey", err)) {
            return 0;
        }
        ckp->has_private_key = 1;
    }
    at = seq;
    if (!der_get_opt(&seq, DER_EXPLICIT(1), &wrap, &present)) {
        return CMP_DECODE_FAIL(err, &at, "CertifiedKeyPair.publicationInfo");
    }
    if (present) {
        if (!der_get_tlv(&wrap, DER_SEQUENCE, &ckp->publication_info) || !der_done(&wrap) ||
            !der_walk(&ckp->publication_info, DER_MAX_DEPTH)) {
            return CMP_DECODE_FAIL(err, &at, "CertifiedKeyPair.publicationInfo");
        }
        ckp->has_publication_info = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertifiedKeyPair");
    }
    *in = copy;
    return 1;
}

static int
cert_response_decode(struct der_in *in, struct cmp_cert_response *r, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;
    int present;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertResponse");
    }
    at = seq;
    if (!der_get_int64(&seq, &r->cert_req_id)) {
        return CMP_DECODE_FAIL(err, &at, "CertResponse.certReqId");
    }
    if (!cmp_pkistatus_decode(&seq, &r->status, err)) {
        return CMP_CONTEXT(err, "CertResponse.status");
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!certified_key_pair_decode(&seq, &r->ckp, err)) {
            return CMP_CONTEXT(err, "CertResponse.certifiedKeyPair");
        }
        r->has_ckp = 1;
    }
    at = seq;
    if (!der_get_opt(&seq, DER_OCTET_STRING, &r->rsp_info, &present)) {
        return CMP_DECODE_FAIL(err, &at, "CertResponse.rspInfo");
    }
    r->has_rsp_info = present;
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertResponse");
    }
    *in = copy;
    return 1;
}

static int
cert_response_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return cert_response_decode(in, elem, err);
}

/* SEQUENCE OF CertResponse has no SIZE (1..MAX): it may be empty. */
static const struct cmp_seq_of response_seq = {"CertRepMessage.response", "CertResponse",
                                               sizeof(struct cmp_cert_response), 0,
                                               cert_response_elem_decode};

int
cmp_cert_rep_decode(struct der_in *in, struct cmp_cert_rep *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at, wrap;
    void *items;
    int present, ok;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertRepMessage");
    }
    at = seq;
    if (!der_get_opt(&seq, DER_EXPLICIT(1), &wrap, &present)) {
        return CMP_DECODE_FAIL(err, &at, "CertRepMessage.caPubs");
    }
    if (present) {
        if (!cmp_certs_decode(&wrap, DER_SEQUENCE, &out->ca_pubs, err)) {
            return CMP_CONTEXT(err, "CertRepMessage.caPubs");
        }
        if (!der_done(&wrap)) {
            return CMP_DECODE_FAIL(err, &wrap, "CertRepMessage.caPubs");
        }
        out->has_ca_pubs = 1;
    }
    ok = cmp_seq_of_decode(&seq, DER_SEQUENCE, &response_seq, NULL, &items, &out->num, err);
    out->responses = items;
    if (!ok) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertRepMessage");
    }
    *in = copy;
    return 1;
}

static int
explicit_tlv_encode(struct der_out *out, uint32_t tag, const struct der_in *tlv)
{
    size_t mark;

    return der_open(out, tag, &mark) && der_put_in(out, tlv) && der_close(out, mark);
}

static int
certified_key_pair_encode(struct der_out *out, const struct cmp_certified_key_pair *ckp)
{
    size_t seq;
    int ok = der_open(out, DER_SEQUENCE, &seq);

    switch (ckp->cert_type) {
    case CMP_CERT_PLAIN:
        ok = ok && explicit_tlv_encode(out, DER_EXPLICIT(0), &ckp->cert);
        break;
    case CMP_CERT_ENCRYPTED:
        ok = ok && explicit_tlv_encode(out, DER_EXPLICIT(1), &ckp->enc_cert.whole);
        break;
    default:
        out->failed = 1;
        return 0;
    }
    return ok &&
           (!ckp->has_private_key ||
            explicit_tlv_encode(out, DER_EXPLICIT(0), &ckp->private_key.whole)) &&
           (!ckp->has_publication_info ||
            explicit_tlv_encode(out, DER_EXPLICIT(1), &ckp->publication_info)) &&
           der_close(out, seq);
}

static int
cert_response_encode(struct der_out *out, const struct cmp_cert_response *r)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && der_put_int64(out, r->cert_req_id) &&
           cmp_pkistatus_encode(out, &r->status) &&
           (!r->has_ckp || certified_key_pair_encode(out, &r->ckp)) &&
           (!r->has_rsp_info || der_put_octets(out, r->rsp_info.p, r->rsp_info.len)) &&
           der_close(out, seq);
}

int
cmp_cert_rep_encode(struct der_out *out, const struct cmp_cert_rep *rep)
{
    size_t seq, ca, list, i;
    int ok = der_open(out, DER_SEQUENCE, &seq) &&
             (!rep->has_ca_pubs ||
              (der_open(out, DER_EXPLICIT(1), &ca) &&
               cmp_certs_encode(out, DER_SEQUENCE, &rep->ca_pubs) && der_close(out, ca))) &&
             der_open(out, DER_SEQUENCE, &list);

    for (i = 0; ok && i < rep->num; i++) {
        ok = cert_response_encode(out, &rep->responses[i]);
    }
    return ok && der_close(out, list) && der_close(out, seq);
}

void
cmp_cert_rep_cleanup(struct cmp_cert_rep *rep)
{
    size_t i;

    cmp_certs_cleanup(&rep->ca_pubs);
    if (rep->responses != NULL) {
        for (i = 0; i < rep->num; i++) {
            cmp_pkistatus_cleanup(&rep->responses[i].status);
        }
        free(rep->responses);
    }
    memset(rep, 0, sizeof(*rep));
}

/* ---- printing ---- */

static void
print_cert_rep(struct cmp_printer *pr, int level, const struct cmp_cert_rep *rep)
{
    struct cmp_sbuf sb;
    size_t i;

    if (rep->has_ca_pubs) {
        cmp_print_certs(pr, level, "caPubs", &rep->ca_pubs);
    }
    for (i = 0; i < rep->num; i++) {
        const struct cmp_cert_response *r = &rep->responses[i];

        cmp_pline(pr, level, "CertResponse #%zu: certReqId %lld", i, (long long)r->cert_req_id);
        cmp_print_status(pr, level + 1, "status", &r->status);
        if (r->has_ckp) {
            if (r->ckp.cert_type == CMP_CERT_PLAIN) {
                cmp_print_cert_block(pr, level + 1, "certificate", &r->ckp.cert);
            } else {
                cmp_print_enckey(pr, level + 1, "encryptedCert", &r->ckp.enc_cert);
            }
            if (r->ckp.has_private_key) {
                cmp_print_enckey(pr, level + 1, "privateKey", &r->ckp.private_key);
            }
            if (r->ckp.has_publication_info) {
                cmp_pline(pr, level + 1, "publicationInfo: (%zu bytes)",
                          r->ckp.publication_info.len);
            }
        }
        if (r->has_rsp_info) {
            cmp_sb_init(&sb);
            cmp_sb_hex(&sb, r->rsp_info.p, r->rsp_info.len);
            cmp_pline(pr, level + 1, "rspInfo: %s", sb.s);
        }
    }
}

CMP_BODY_CODEC(cmp_cert_rep_body, "CertRepMessage", struct cmp_cert_rep, cmp_cert_rep,
               print_cert_rep);
