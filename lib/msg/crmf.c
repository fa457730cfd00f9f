/*
 * CRMF requests (RFC 4211): CertTemplate, Controls, ProofOfPossession,
 * CertReqMessages. The CRMF module (PKIXCRMF-2009) uses IMPLICIT TAGS; tags
 * on the CHOICE types Name, Time and POPOPrivKey are explicit. The ASN.1 of
 * the decoded types is in msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

/* ---- CertTemplate ---- */

#define TEMPLATE_NUM_FIELDS 10

/* The tag of each CertTemplate field, indexed by its tag number. */
static const uint32_t template_tags[TEMPLATE_NUM_FIELDS] = {
    DER_IMPLICIT(0, DER_INTEGER),    DER_IMPLICIT(1, DER_INTEGER),
    DER_IMPLICIT(2, DER_SEQUENCE),   DER_EXPLICIT(3),
    DER_IMPLICIT(4, DER_SEQUENCE),   DER_EXPLICIT(5),
    DER_IMPLICIT(6, DER_SEQUENCE),   DER_IMPLICIT(7, DER_BIT_STRING),
    DER_IMPLICIT(8, DER_BIT_STRING), DER_IMPLICIT(9, DER_SEQUENCE),
};

static const char *const template_names[TEMPLATE_NUM_FIELDS] = {
    "CertTemplate.version",    "CertTemplate.serialNumber", "CertTemplate.signingAlg",
    "CertTemplate.issuer",     "CertTemplate.validity",     "CertTemplate.subject",
    "CertTemplate.publicKey",  "CertTemplate.issuerUID",    "CertTemplate.subjectUID",
    "CertTemplate.extensions",
};

/* [3]/[5] Name: an explicit wrapper around one Name (RDNSequence) TLV. */
static int
name_decode(struct der_in *in, uint32_t tag, struct der_in *out_name, const char *what,
            struct cmp_err *err)
{
    struct der_in copy = *in, wrap, name;

    if (!der_get(&copy, tag, &wrap) || !der_get_tlv(&wrap, DER_SEQUENCE, &name) ||
        !der_done(&wrap) || !der_walk(&name, DER_MAX_DEPTH)) {
        return CMP_DECODE_FAIL(err, in, what);
    }
    *out_name = name;
    *in = copy;
    return 1;
}

/* notBefore [0] Time OPTIONAL / notAfter [1] Time OPTIONAL: keeps the Time TLV. */
static int
validity_time_decode(struct der_in *in, uint32_t tag, int *out_has, struct der_in *out_time,
                     int64_t *out_secs, const char *what, struct cmp_err *err)
{
    struct der_in copy = *in, wrap, tlv;
    int present;

    if (!der_get_opt(&copy, tag, &wrap, &present)) {
        return CMP_DECODE_FAIL(err, in, what);
    }
    if (!present) {
        return 1;
    }
    tlv = wrap;
    if (!der_get_time(&wrap, out_secs, NULL) || !der_done(&wrap)) {
        return CMP_DECODE_FAIL(err, &tlv, what);
    }
    *out_has = 1;
    *out_time = tlv; /* the wrapper holds exactly the Time TLV */
    *in = copy;
    return 1;
}

static int
validity_decode(struct der_in *in, struct cmp_cert_template *t, struct cmp_err *err)
{
    struct der_in copy = *in, seq;

    if (!der_get(&copy, template_tags[4], &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertTemplate.validity");
    }
    if (!validity_time_decode(&seq, DER_EXPLICIT(0), &t->has_not_before, &t->not_before,
                              &t->not_before_secs, "CertTemplate.validity.notBefore", err) ||
        !validity_time_decode(&seq, DER_EXPLICIT(1), &t->has_not_after, &t->not_after,
                              &t->not_after_secs, "CertTemplate.validity.notAfter", err)) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertTemplate.validity");
    }
    t->has_validity = 1;
    *in = copy;
    return 1;
}

/* [6] SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *     subjectPublicKey BIT STRING }; keeps the contents. */
static int
public_key_decode(struct der_in *in, struct der_in *out_contents, struct cmp_err *err)
{
    struct der_in copy = *in, body, spki, bits;
    struct cmp_algid alg;
    unsigned unused;

    if (!der_get(&copy, template_tags[6], &body)) {
        return CMP_DECODE_FAIL(err, in, "CertTemplate.publicKey");
    }
    spki = body;
    memset(&alg, 0, sizeof(alg));
    if (!cmp_algid_decode(&spki, DER_SEQUENCE, &alg, err)) {
        return CMP_CONTEXT(err, "CertTemplate.publicKey");
    }
    if (!der_get_bitstring(&spki, DER_BIT_STRING, &bits, &unused) || !der_done(&spki)) {
        return CMP_DECODE_FAIL(err, &spki, "CertTemplate.publicKey.subjectPublicKey");
    }
    *out_contents = body;
    *in = copy;
    return 1;
}

/* [9] Extensions (IMPLICIT): keeps the contents, the Extension TLVs. */
static int
extensions_decode(struct der_in *in, struct der_in *out_contents, struct cmp_err *err)
{
    struct der_in whole = *in;

    if (!cmp_extensions_check(in, template_tags[9], "CertTemplate.extensions", err)) {
        return 0;
    }
    whole.len = (size_t)(in->p - whole.p);
    return der_get(&whole, template_tags[9], out_contents);
}

/* template_field_decode() decodes field |n| (its tag number) from |in|. */
static int
template_field_decode(struct der_in *in, int n, struct cmp_cert_template *t, struct cmp_err *err)
{
    struct der_in at = *in, body;

    switch (n) {
    case 0:
        if (!der_get_int64_tag(in, template_tags[0], &t->version)) {
            return CMP_DECODE_FAIL(err, &at, template_names[0]);
        }
        t->has_version = 1;
        return 1;
    case 1:
        if (!der_get_integer(in, template_tags[1], &t->serial)) {
            return CMP_DECODE_FAIL(err, &at, template_names[1]);
        }
        t->has_serial = 1;
        return 1;
    case 2:
        if (!cmp_algid_decode(in, template_tags[2], &t->signing_alg, err)) {
            return CMP_CONTEXT(err, "%s", template_names[2]);
        }
        t->has_signing_alg = 1;
        return 1;
    case 3:
        if (!name_decode(in, template_tags[3], &t->issuer, template_names[3], err)) {
            return 0;
        }
        t->has_issuer = 1;
        return 1;
    case 4:
        return validity_decode(in, t, err);
    case 5:
        if (!name_decode(in, template_tags[5], &t->subject, template_names[5], err)) {
            return 0;
        }
        t->has_subject = 1;
        return 1;
    case 6:
        if (!public_key_decode(in, &t->public_key, err)) {
            return 0;
        }
        t->has_public_key = 1;
        return 1;
    case 7:
    case 8:
        if (!der_get(in, template_tags[n], &body) || !der_check_bitstring(&body)) {
            return CMP_DECODE_FAIL(err, &at, template_names[n]);
        }
        if (n == 7) {
            t->has_issuer_uid = 1;
            t->issuer_uid = body;
        } else {
            t->has_subject_uid = 1;
            t->subject_uid = body;
        }
        return 1;
    case 9:
        if (!extensions_decode(in, &t->extensions, err)) {
            return 0;
        }
        t->has_extensions = 1;
        return 1;
    default:
        return CMP_DECODE_FAIL(err, &at, "CertTemplate");
    }
}

int
cmp_cert_template_decode(struct der_in *in, struct cmp_cert_template *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq;
    uint32_t tag;
    int next = 0;

    if (!der_get_any(&copy, &tag, &seq, &out->raw) || tag != DER_SEQUENCE) {
        return CMP_DECODE_FAIL(err, in, "CertTemplate");
    }
    /* Every field is optional; they must come in order, each at most once. */
    while (!der_done(&seq)) {
        struct der_in at = seq;
        uint32_t number;

        if (!der_peek_tag(&seq, &tag)) {
            return CMP_DECODE_FAIL(err, &at, "CertTemplate");
        }
        number = tag & DER_TAG_NUMBER_MASK;
        if ((tag & DER_CLASS_MASK) != DER_CLASS_CONTEXT || number >= TEMPLATE_NUM_FIELDS ||
            (int)number < next) {
            return CMP_DECODE_FAIL(err, &at, "CertTemplate");
        }
        if (tag != template_tags[number]) {
            return CMP_DECODE_FAIL(err, &at, template_names[number]);
        }
        if (!template_field_decode(&seq, (int)number, out, err)) {
            return 0;
        }
        next = (int)number + 1;
    }
    *in = copy;
    return 1;
}

static int
validity_time_encode(struct der_out *out, uint32_t tag, int has, const struct der_in *tlv)
{
    size_t mark;

    return !has || (der_open(out, tag, &mark) && der_put_in(out, tlv) && der_close(out, mark));
}

static int
explicit_encode(struct der_out *out, uint32_t tag, const struct der_in *tlv)
{
    size_t mark;

    return der_open(out, tag, &mark) && der_put_in(out, tlv) && der_close(out, mark);
}

int
cmp_cert_template_encode(struct der_out *out, const struct cmp_cert_template *t)
{
    size_t seq, val;

    return der_open(out, DER_SEQUENCE, &seq) &&
           (!t->has_version || der_put_int64_tag(out, template_tags[0], t->version)) &&
           (!t->has_serial || der_put_prim(out, template_tags[1], t->serial.p, t->serial.len)) &&
           (!t->has_signing_alg || cmp_algid_encode(out, &t->signing_alg)) &&
           (!t->has_issuer || explicit_encode(out, template_tags[3], &t->issuer)) &&
           (!t->has_validity ||
            (der_open(out, template_tags[4], &val) &&
             validity_time_encode(out, DER_EXPLICIT(0), t->has_not_before, &t->not_before) &&
             validity_time_encode(out, DER_EXPLICIT(1), t->has_not_after, &t->not_after) &&
             der_close(out, val))) &&
           (!t->has_subject || explicit_encode(out, template_tags[5], &t->subject)) &&
           (!t->has_public_key ||
            der_put_prim(out, template_tags[6], t->public_key.p, t->public_key.len)) &&
           (!t->has_issuer_uid ||
            der_put_prim(out, template_tags[7], t->issuer_uid.p, t->issuer_uid.len)) &&
           (!t->has_subject_uid ||
            der_put_prim(out, template_tags[8], t->subject_uid.p, t->subject_uid.len)) &&
           (!t->has_extensions ||
            der_put_prim(out, template_tags[9], t->extensions.p, t->extensions.len)) &&
           der_close(out, seq);
}

/* ---- Controls ---- */

int
cmp_controls_decode(struct der_in *in, struct cmp_controls *out, struct cmp_err *err)
{
    struct der_in copy = *in;
    size_t i;

    if (!cmp_itavs_decode(&copy, DER_SEQUENCE, 1, &out->items, err)) {
        return CMP_CONTEXT(err, "Controls");
    }
    for (i = 0; i < out->items.num; i++) {
        struct cmp_itav *item = &out->items.items[i];
        struct der_in value = item->value, body;

        if (!item->has_value) {
            CMP_DECODE_FAIL(err, &item->type, "AttributeTypeAndValue.value");
            return CMP_CONTEXT(err, "Control #%zu", i);
        }
        if (cmp_oid_is(&item->type, CMP_NID_REG_CTRL_REG_TOKEN)) {
            if (out->has_reg_token || !der_get(&value, DER_UTF8_STRING, &body) ||
                !der_done(&value)) {
                CMP_DECODE_FAIL(err, &item->value, "Controls.regToken");
                return CMP_CONTEXT(err, "Control #%zu", i);
            }
            out->has_reg_token = 1;
            out->reg_token = body;
        } else if (cmp_oid_is(&item->type, CMP_NID_REG_CTRL_OLD_CERT_ID)) {
            if (out->has_old_cert_id) {
                CMP_DECODE_FAIL(err, &item->value, "Controls.oldCertID");
                return CMP_CONTEXT(err, "Control #%zu", i);
            }
            if (!cmp_certid_decode(&value, &out->old_cert_id, err)) {
                CMP_CONTEXT(err, "Controls.oldCertID");
                return CMP_CONTEXT(err, "Control #%zu", i);
            }
            if (!der_done(&value)) {
                CMP_DECODE_FAIL(err, &value, "Controls.oldCertID");
                return CMP_CONTEXT(err, "Control #%zu", i);
            }
            out->has_old_cert_id = 1;
        }
    }
    *in = copy;
    return 1;
}

int
cmp_controls_encode(struct der_out *out, const struct cmp_controls *c)
{
    /* The items, verbatim: reg_token and old_cert_id are views of them. */
    return cmp_itavs_encode(out, DER_SEQUENCE, &c->items);
}

void
cmp_controls_cleanup(struct cmp_controls *c)
{
    cmp_itavs_cleanup(&c->items);
    memset(c, 0, sizeof(*c));
}

/* ---- ProofOfPossession ---- */

/* The POPOPrivKey inside keyEncipherment [2] / keyAgreement [3]. */
static int
popo_priv_decode(struct der_in *in, struct cmp_popo *popo, struct cmp_err *err)
{
    struct der_in at = *in, body, whole;
    uint32_t tag;

    if (!der_get_any(in, &tag, &body, &whole) || !der_done(in)) {
        return CMP_DECODE_FAIL(err, &at, "POPOPrivKey");
    }
    switch (tag) {
    case DER_IMPLICIT(0, DER_BIT_STRING):
        if (!der_check_bitstring(&body)) {
            return CMP_DECODE_FAIL(err, &at, "POPOPrivKey.thisMessage");
        }
        popo->priv_type = CMP_POPO_PRIV_THIS_MESSAGE;
        break;
    case DER_IMPLICIT(1, DER_INTEGER):
        if (!der_parse_int64(&body, &popo->subsequent) ||
            (popo->subsequent != CMP_SUBSEQ_ENCR_CERT &&
             popo->subsequent != CMP_SUBSEQ_CHALLENGE_RESP)) {
            return CMP_DECODE_FAIL(err, &at, "POPOPrivKey.subsequentMessage");
        }
        popo->priv_type = CMP_POPO_PRIV_SUBSEQUENT;
        break;
    case DER_IMPLICIT(2, DER_BIT_STRING):
        if (!der_check_bitstring(&body)) {
            return CMP_DECODE_FAIL(err, &at, "POPOPrivKey.dhMAC");
        }
        popo->priv_type = CMP_POPO_PRIV_DHMAC;
        break;
    case DER_IMPLICIT(3, DER_SEQUENCE):
        if (!der_walk(&whole, DER_MAX_DEPTH)) {
            return CMP_DECODE_FAIL(err, &at, "POPOPrivKey.agreeMAC");
        }
        popo->priv_type = CMP_POPO_PRIV_AGREEMAC;
        break;
    case DER_IMPLICIT(4, DER_SEQUENCE):
        if (!der_walk(&whole, DER_MAX_DEPTH)) {
            return CMP_DECODE_FAIL(err, &at, "POPOPrivKey.encryptedKey");
        }
        popo->priv_type = CMP_POPO_PRIV_ENCRYPTED_KEY;
        break;
    default:
        return CMP_DECODE_FAIL(err, &at, "POPOPrivKey");
    }
    popo->priv = whole;
    return 1;
}

/* signature [1] POPOSigningKey (IMPLICIT, so A1 replaces the SEQUENCE tag). */
static int
popo_signing_key_decode(struct der_in *body, struct cmp_popo *popo, struct cmp_err *err)
{
    struct der_in at = *body, input;
    int present;

    if (!der_get_opt_tlv(body, DER_IMPLICIT(0, DER_SEQUENCE), &input, &present) ||
        (present && !der_walk(&input, DER_MAX_DEPTH))) {
        return CMP_DECODE_FAIL(err, &at, "POPOSigningKey.poposkInput");
    }
    if (present) {
        struct der_in copy = input;

        if (!der_get(&copy, DER_IMPLICIT(0, DER_SEQUENCE), &popo->poposk_input)) {
            return CMP_DECODE_FAIL(err, &at, "POPOSigningKey.poposkInput");
        }
        popo->has_poposk_input = 1;
    }
    if (!cmp_algid_decode(body, DER_SEQUENCE, &popo->alg, err)) {
        return CMP_CONTEXT(err, "POPOSigningKey.algorithmIdentifier");
    }
    at = *body;
    if (!der_get_bitstring(body, DER_BIT_STRING, &popo->signature, &popo->signature_unused)) {
        return CMP_DECODE_FAIL(err, &at, "POPOSigningKey.signature");
    }
    if (!der_done(body)) {
        return CMP_DECODE_FAIL(err, body, "POPOSigningKey");
    }
    return 1;
}

int
cmp_popo_decode(struct der_in *in, struct cmp_popo *out, struct cmp_err *err)
{
    struct der_in copy = *in, body;
    uint32_t tag;

    if (!der_get_any(&copy, &tag, &body, NULL)) {
        return CMP_DECODE_FAIL(err, in, "ProofOfPossession");
    }
    switch (tag) {
    case DER_IMPLICIT(0, DER_NULL):
        if (body.len != 0) {
            return CMP_DECODE_FAIL(err, in, "ProofOfPossession.raVerified");
        }
        out->type = CMP_POPO_RAVERIFIED;
        break;
    case DER_IMPLICIT(1, DER_SEQUENCE):
        out->type = CMP_POPO_SIGNATURE;
        if (!popo_signing_key_decode(&body, out, err)) {
            return CMP_CONTEXT(err, "ProofOfPossession.signature");
        }
        break;
    case DER_EXPLICIT(2):
    case DER_EXPLICIT(3):
        out->type = tag == DER_EXPLICIT(2) ? CMP_POPO_KEYENC : CMP_POPO_KEYAGREE;
        if (!popo_priv_decode(&body, out, err)) {
            return CMP_CONTEXT(err, out->type == CMP_POPO_KEYENC
                                        ? "ProofOfPossession.keyEncipherment"
                                        : "ProofOfPossession.keyAgreement");
        }
        break;
    default:
        return CMP_DECODE_FAIL(err, in, "ProofOfPossession");
    }
    *in = copy;
    return 1;
}

/* A built POPOPrivKey may leave |priv| empty for subsequentMessage. */
static int
popo_priv_encode(struct der_out *out, const struct cmp_popo *popo)
{
    if (popo->priv.len == 0 && popo->priv_type == CMP_POPO_PRIV_SUBSEQUENT) {
        return der_put_int64_tag(out, DER_IMPLICIT(1, DER_INTEGER), popo->subsequent);
    }
    return der_put_in(out, &popo->priv);
}

int
cmp_popo_encode(struct der_out *out, const struct cmp_popo *popo)
{
    size_t mark;

    switch (popo->type) {
    case CMP_POPO_RAVERIFIED:
        return der_put_prim(out, DER_IMPLICIT(0, DER_NULL), NULL, 0);
    case CMP_POPO_SIGNATURE:
        return der_open(out, DER_IMPLICIT(1, DER_SEQUENCE), &mark) &&
               (!popo->has_poposk_input ||
                der_put_prim(out, DER_IMPLICIT(0, DER_SEQUENCE), popo->poposk_input.p,
                             popo->poposk_input.len)) &&
               cmp_algid_encode(out, &popo->alg) &&
               der_put_bitstring(out, DER_BIT_STRING, popo->signature.p, popo->signature.len,
                                 popo->signature_unused) &&
               der_close(out, mark);
    case CMP_POPO_KEYENC:
    case CMP_POPO_KEYAGREE:
        return der_open(out, DER_EXPLICIT(popo->type), &mark) && popo_priv_encode(out, popo) &&
               der_close(out, mark);
    default:
        out->failed = 1;
        return 0;
    }
}

/* ---- CertReqMessages ---- */

/* CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate, controls OPTIONAL } */
static int
cert_request_decode(struct der_in *in, struct cmp_cert_req_msg *m, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;
    uint32_t tag;

    if (!der_get_any(&copy, &tag, &seq, &m->cert_req) || tag != DER_SEQUENCE) {
        return CMP_DECODE_FAIL(err, in, "CertRequest");
    }
    at = seq;
    if (!der_get_int64(&seq, &m->cert_req_id)) {
        return CMP_DECODE_FAIL(err, &at, "CertRequest.certReqId");
    }
    if (!cmp_cert_template_decode(&seq, &m->tmpl, err)) {
        return CMP_CONTEXT(err, "CertRequest.certTemplate");
    }
    if (!der_done(&seq)) {
        if (!cmp_controls_decode(&seq, &m->controls, err)) {
            return CMP_CONTEXT(err, "CertRequest.controls");
        }
        m->has_controls = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertRequest");
    }
    *in = copy;
    return 1;
}

static int
cert_req_msg_decode(struct der_in *in, struct cmp_cert_req_msg *m, struct cmp_err *err)
{
    struct der_in copy = *in, seq;
    size_t i;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertReqMsg");
    }
    if (!cert_request_decode(&seq, m, err)) {
        return CMP_CONTEXT(err, "CertReqMsg.certReq");
    }
    /* popo is context-tagged, regInfo a SEQUENCE. */
    if (!der_done(&seq) && !der_peek(&seq, DER_SEQUENCE)) {
        if (!cmp_popo_decode(&seq, &m->popo, err)) {
            return CMP_CONTEXT(err, "CertReqMsg.popo");
        }
        m->has_popo = 1;
    }
    if (!der_done(&seq)) {
        if (!cmp_itavs_decode(&seq, DER_SEQUENCE, 1, &m->reg_info, err)) {
            return CMP_CONTEXT(err, "CertReqMsg.regInfo");
        }
        m->has_reg_info = 1;
        for (i = 0; i < m->reg_info.num; i++) {
            if (!m->reg_info.items[i].has_value) {
                CMP_DECODE_FAIL(err, &m->reg_info.items[i].type, "AttributeTypeAndValue.value");
                CMP_CONTEXT(err, "regInfo #%zu", i);
                return CMP_CONTEXT(err, "CertReqMsg.regInfo");
            }
        }
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertReqMsg");
    }
    *in = copy;
    return 1;
}

static int
cert_req_msg_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return cert_req_msg_decode(in, elem, err);
}

static const struct cmp_seq_of cert_req_msgs_seq = {
    "CertReqMessages", "CertReqMsg", sizeof(struct cmp_cert_req_msg), 1, cert_req_msg_elem_decode};

int
cmp_cert_req_msgs_decode(struct der_in *in, struct cmp_cert_req_msgs *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &cert_req_msgs_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_cert_request_encode(struct der_out *out, const struct cmp_cert_req_msg *req)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && der_put_int64(out, req->cert_req_id) &&
           cmp_cert_template_encode(out, &req->tmpl) &&
           (!req->has_controls || cmp_controls_encode(out, &req->controls)) && der_close(out, seq);
}

static int
cert_req_msg_encode(struct der_out *out, const struct cmp_cert_req_msg *m)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && cmp_cert_request_encode(out, m) &&
           (!m->has_popo || cmp_popo_encode(out, &m->popo)) &&
           (!m->has_reg_info || cmp_itavs_encode(out, DER_SEQUENCE, &m->reg_info)) &&
           der_close(out, seq);
}

int
cmp_cert_req_msgs_encode(struct der_out *out, const struct cmp_cert_req_msgs *reqs)
{
    size_t seq, i;
    int ok;

    if (reqs->num == 0) {
        out->failed = 1; /* SIZE (1..MAX): an empty one has no valid encoding */
        return 0;
    }
    ok = der_open(out, DER_SEQUENCE, &seq);
    for (i = 0; ok && i < reqs->num; i++) {
        ok = cert_req_msg_encode(out, &reqs->items[i]);
    }
    return ok && der_close(out, seq);
}

void
cmp_cert_req_msgs_cleanup(struct cmp_cert_req_msgs *reqs)
{
    size_t i;

    if (reqs->items != NULL) {
        for (i = 0; i < reqs->num; i++) {
            cmp_controls_cleanup(&reqs->items[i].controls);
            cmp_itavs_cleanup(&reqs->items[i].reg_info);
        }
        free(reqs->items);
    }
    memset(reqs, 0, sizeof(*reqs));
}

/* ---- printing ---- */

/* The fields of a CertTemplate that are present. */
void
cmp_print_template(struct cmp_printer *pr, int level, const struct cmp_cert_template *t)
{
    struct cmp_sbuf sb;

    if (t->has_version) {
        cmp_pline(pr, level, "version: %lld", (long long)t->version);
    }
    if (t->has_serial) {
        cmp_sb_init(&sb);
        cmp_sb_serial(&sb, &t->serial);
        cmp_pline(pr, level, "serialNumber: %s", sb.s);
    }
    if (t->has_signing_alg) {
        cmp_pline(pr, level, "signingAlg: %s", cmp_oid_str(&sb, &t->signing_alg.oid, 0));
    }
    if (t->has_issuer) {
        cmp_pline(pr, level, "issuer: %s", cmp_name_str(&sb, &t->issuer));
    }
    if (t->has_validity) {
        cmp_sb_init(&sb);
        if (t->has_not_before) {
            cmp_sb_puts(&sb, "notBefore ");
            cmp_sb_time(&sb, t->not_before_secs);
        }
        if (t->has_not_after) {
            cmp_sb_puts(&sb, t->has_not_before ? ", notAfter " : "notAfter ");
            cmp_sb_time(&sb, t->not_after_secs);
        }
        cmp_pline(pr, level, "validity: %s", sb.len > 0 ? sb.s : "(empty)");
    }
    if (t->has_subject) {
        cmp_pline(pr, level, "subject: %s", cmp_name_str(&sb, &t->subject));
    }
    if (t->has_public_key) {
        cmp_sb_init(&sb);
        if (!cmp_sb_spki_contents(&sb, &t->public_key)) {
            cmp_sb_init(&sb);
            cmp_sb_add(&sb, "(unparsable, %zu bytes)", t->public_key.len);
        }
        cmp_pline(pr, level, "publicKey: %s", sb.s);
    }
    if (t->has_issuer_uid) {
        cmp_print_hex_field(pr, level, "issuerUID", &t->issuer_uid);
    }
    if (t->has_subject_uid) {
        cmp_print_hex_field(pr, level, "subjectUID", &t->subject_uid);
    }
    if (t->has_extensions) {
        cmp_sb_init(&sb);
        if (!cmp_sb_extensions(&sb, &t->extensions)) {
            cmp_sb_init(&sb);
            cmp_sb_add(&sb, "(unparsable, %zu bytes)", t->extensions.len);
        }
        cmp_pline(pr, level, "extensions: %s", sb.s);
    }
}

/* Controls and regInfo: one line each, with the values of the simple ones. */
static void
print_attrs(struct cmp_printer *pr, int level, const char *label, const struct cmp_itavs *a)
{
    struct cmp_sbuf sb;
    struct der_in v, s;
    size_t i;
    int ok;

    cmp_pline(pr, level, "%s:", label);
    for (i = 0; i < a->num; i++) {
        const struct cmp_itav *it = &a->items[i];

        cmp_sb_init(&sb);
        cmp_sb_oid(&sb, &it->type, 0);
        v = it->value;
        ok = 1;
        if (cmp_oid_is(&it->type, CMP_NID_REG_CTRL_REG_TOKEN) ||
            cmp_oid_is(&it->type, CMP_NID_REG_CTRL_AUTHENTICATOR) ||
            cmp_oid_is(&it->type, CMP_NID_REG_INFO_UTF8_PAIRS)) {
            ok = der_get(&v, DER_UTF8_STRING, &s) && der_done(&v);
            if (ok) {
                cmp_sb_puts(&sb, ": ");
                cmp_sb_quoted(&sb, CMP_ENC_UTF8, &s);
            }
        } else if (cmp_oid_is(&it->type, CMP_NID_REG_CTRL_OLD_CERT_ID)) {
            cmp_sb_puts(&sb, ": ");
            ok = cmp_sb_certid_tlv(&sb, &it->value);
        } else if (it->has_value) {
            cmp_sb_add(&sb, " (%zu bytes)", it->value.len);
        }
        if (!ok) {
            cmp_sb_init(&sb);
            cmp_sb_oid(&sb, &it->type, 0);
            cmp_sb_add(&sb, ": (unparsable, %zu bytes)", it->value.len);
        }
        cmp_pline(pr, level + 1, "%s", sb.s);
    }
}

static void
print_popo(struct cmp_printer *pr, int level, const struct cmp_popo *popo)
{
    static const char *const priv_names[] = {"thisMessage", "subsequentMessage", "dhMAC",
                                             "agreeMAC", "encryptedKey"};
    struct cmp_sbuf sb;

    cmp_sb_init(&sb);
    switch (popo->type) {
    case CMP_POPO_RAVERIFIED:
        cmp_sb_puts(&sb, "raVerified");
        break;
    case CMP_POPO_SIGNATURE:
        cmp_sb_puts(&sb, "signature, ");
        cmp_sb_oid(&sb, &popo->alg.oid, 0);
        if (popo->has_poposk_input) {
            cmp_sb_puts(&sb, ", with poposkInput");
        }
        break;
    case CMP_POPO_KEYENC:
    case CMP_POPO_KEYAGREE:
        cmp_sb_puts(&sb, popo->type == CMP_POPO_KEYENC ? "keyEncipherment, " : "keyAgreement, ");
        if (popo->priv_type >= 0 && popo->priv_type <= CMP_POPO_PRIV_ENCRYPTED_KEY) {
            cmp_sb_puts(&sb, priv_names[popo->priv_type]);
        } else {
            cmp_sb_add(&sb, "[%d]", popo->priv_type);
        }
        if (popo->priv_type == CMP_POPO_PRIV_SUBSEQUENT) {
            cmp_sb_puts(&sb, popo->subsequent == CMP_SUBSEQ_ENCR_CERT        ? " encrCert"
                             : popo->subsequent == CMP_SUBSEQ_CHALLENGE_RESP ? " challengeResp"
                                                                             : " (unknown)");
        } else {
            cmp_sb_add(&sb, " (%zu bytes)", popo->priv.len);
        }
        break;
    default:
        cmp_sb_add(&sb, "[%d]", popo->type);
        break;
    }
    cmp_pline(pr, level, "popo: %s", sb.s);
}

static void
print_cert_req_msgs(struct cmp_printer *pr, int level, const struct cmp_cert_req_msgs *reqs)
{
    size_t i;

    for (i = 0; i < reqs->num; i++) {
        const struct cmp_cert_req_msg *r = &reqs->items[i];

        cmp_pline(pr, level, "CertReqMsg #%zu: certReqId %lld", i, (long long)r->cert_req_id);
        cmp_print_template(pr, level + 1, &r->tmpl);
        if (r->has_controls) {
            print_attrs(pr, level + 1, "controls", &r->controls.items);
        }
        if (r->has_popo) {
            print_popo(pr, level + 1, &r->popo);
        } else {
            cmp_pline(pr, level + 1, "popo: (none)");
        }
        if (r->has_reg_info) {
            print_attrs(pr, level + 1, "regInfo", &r->reg_info);
        }
    }
}

CMP_BODY_CODEC(cmp_cert_req_body, "CertReqMessages", struct cmp_cert_req_msgs, cmp_cert_req_msgs,
               print_cert_req_msgs);
