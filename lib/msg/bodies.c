/*
 * The smaller PKIBody contents (RFC 9810 5.3.9, 5.3.10, 5.3.18, 5.3.21, 5.3.22):
 * rr, rp, error, certConf, pollReq, pollRep, and the bodies kept as opaque TLVs.
 *
 * The CMP module (PKIXCMP-2023) uses EXPLICIT TAGS, so revCerts [0], crls [1]
 * and hashAlg [0] each wrap a whole inner element. The body's own [n] wrapper
 * is handled by msg.c: every decoder here starts at the content element.
 * Decoding checks syntax only; RFC rules beyond the ASN.1 are for validation.
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

/* Marks the writer failed: the model cannot be encoded as valid DER. */
static int
encode_fail(struct der_out *out)
{
    out->failed = 1;
    return 0;
}

/* ================= rr: RevReqContent ================= */

static int
rev_details_decode(struct der_in *in, struct cmp_rev_details *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "RevDetails");
    }
    if (!cmp_cert_template_decode(&seq, &out->cert_details, err)) {
        return CMP_CONTEXT(err, "RevDetails.certDetails");
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        at = seq;
        if (!cmp_extensions_check(&seq, DER_SEQUENCE, "RevDetails.crlEntryDetails", err)) {
            return 0;
        }
        out->crl_entry_details = der_in_make(at.p, (size_t)(seq.p - at.p));
        out->has_crl_entry_details = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "RevDetails");
    }
    *in = copy;
    return 1;
}

static int
rev_details_encode(struct der_out *out, const struct cmp_rev_details *rd)
{
    size_t seq;

    if (rd->has_crl_entry_details && rd->crl_entry_details.len == 0) {
        return encode_fail(out);
    }
    return der_open(out, DER_SEQUENCE, &seq) &&
           cmp_cert_template_encode(out, &rd->cert_details) &&
           (!rd->has_crl_entry_details || der_put_in(out, &rd->crl_entry_details)) &&
           der_close(out, seq);
}

static int
rev_details_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return rev_details_decode(in, elem, err);
}

static const struct cmp_seq_of rev_req_seq = {"RevReqContent", "RevDetails",
                                              sizeof(struct cmp_rev_details), 0,
                                              rev_details_elem_decode};

int
cmp_rev_req_decode(struct der_in *in, struct cmp_rev_req *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &rev_req_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_rev_req_encode(struct der_out *out, const struct cmp_rev_req *rr)
{
    size_t seq, i;

    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < rr->num; i++) {
        if (!rev_details_encode(out, &rr->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_rev_req_cleanup(struct cmp_rev_req *rr)
{
    /* A CertTemplate allocates nothing; its slices borrow from the input. */
    free(rr->items);
    memset(rr, 0, sizeof(*rr));
}

/* ================= rp: RevRepContent ================= */

static int
pkistatus_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return cmp_pkistatus_decode(in, elem, err);
}

static const struct cmp_seq_of rev_rep_status_seq = {"RevRepContent.status",
                                                     "RevRepContent.status",
                                                     sizeof(struct cmp_pkistatus), 1,
                                                     pkistatus_elem_decode};

static int
rev_rep_status_decode(struct der_in *in, struct cmp_rev_rep *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &rev_rep_status_seq, NULL, &items,
                               &out->num_status, err);

    out->status = items;
    return ok;
}

/*
 * revCerts [0] EXPLICIT SEQUENCE SIZE (1..MAX) OF CertId. An empty one is
 * taken (and re-encoded) as it is: the openssl cmp 3.0 mock server sends it
 * in answer to an rr by -csr, and openssl's client accepts it.
 */
static int
certid_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return cmp_certid_decode(in, elem, err);
}

static const struct cmp_seq_of rev_certs_seq = {"RevRepContent.revCerts", "RevRepContent.revCerts",
                                                sizeof(struct cmp_certid), 0, certid_elem_decode};

static int
rev_certs_decode(struct der_in *in, struct cmp_rev_rep *out, struct cmp_err *err)
{
    struct der_in copy = *in, tagged;
    void *items;
    int ok;

    if (!der_get(&copy, DER_EXPLICIT(0), &tagged)) {
        return CMP_DECODE_FAIL(err, in, "RevRepContent.revCerts");
    }
    ok = cmp_seq_of_decode(&tagged, DER_SEQUENCE, &rev_certs_seq, NULL, &items,
                           &out->num_rev_certs, err);
    out->rev_certs = items;
    if (!ok) {
        return 0;
    }
    if (!der_done(&tagged)) {
        return CMP_DECODE_FAIL(err, &tagged, "RevRepContent.revCerts");
    }
    *in = copy;
    return 1;
}

/* crls [1] EXPLICIT SEQUENCE SIZE (1..MAX) OF CertificateList */
static int
crls_decode(struct der_in *in, struct cmp_rev_rep *out, struct cmp_err *err)
{
    struct der_in copy = *in, tagged;

    if (!der_get(&copy, DER_EXPLICIT(1), &tagged)) {
        return CMP_DECODE_FAIL(err, in, "RevRepContent.crls");
    }
    if (!cmp_certs_decode(&tagged, DER_SEQUENCE, &out->crls, err)) {
        return CMP_CONTEXT(err, "RevRepContent.crls");
    }
    if (!der_done(&tagged)) {
        return CMP_DECODE_FAIL(err, &tagged, "RevRepContent.crls");
    }
    *in = copy;
    return 1;
}

int
cmp_rev_rep_decode(struct der_in *in, struct cmp_rev_rep *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "RevRepContent");
    }
    if (!rev_rep_status_decode(&seq, out, err)) {
        return 0;
    }
    if (der_peek(&seq, DER_EXPLICIT(0))) {
        if (!rev_certs_decode(&seq, out, err)) {
            return 0;
        }
        out->has_rev_certs = 1;
    }
    if (der_peek(&seq, DER_EXPLICIT(1))) {
        if (!crls_decode(&seq, out, err)) {
            return 0;
        }
        out->has_crls = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "RevRepContent");
    }
    *in = copy;
    return 1;
}

static int
rev_rep_status_encode(struct der_out *out, const struct cmp_rev_rep *rp)
{
    size_t seq, i;

    if (rp->num_status == 0) {
        return encode_fail(out); /* SIZE (1..MAX) */
    }
    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < rp->num_status; i++) {
        if (!cmp_pkistatus_encode(out, &rp->status[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

static int
rev_certs_encode(struct der_out *out, const struct cmp_rev_rep *rp)
{
    size_t t0, seq, i;

    if (!der_open(out, DER_EXPLICIT(0), &t0) || !der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < rp->num_rev_certs; i++) {
        if (!cmp_certid_encode(out, &rp->rev_certs[i])) {
            return 0;
        }
    }
    return der_close(out, seq) && der_close(out, t0);
}

int
cmp_rev_rep_encode(struct der_out *out, const struct cmp_rev_rep *rp)
{
    size_t seq, t1;

    return der_open(out, DER_SEQUENCE, &seq) && rev_rep_status_encode(out, rp) &&
           (!rp->has_rev_certs || rev_certs_encode(out, rp)) &&
           (!rp->has_crls ||
            (der_open(out, DER_EXPLICIT(1), &t1) &&
             cmp_certs_encode(out, DER_SEQUENCE, &rp->crls) && der_close(out, t1))) &&
           der_close(out, seq);
}

void
cmp_rev_rep_cleanup(struct cmp_rev_rep *rp)
{
    size_t i;

    if (rp->status != NULL) {
        for (i = 0; i < rp->num_status; i++) {
            cmp_pkistatus_cleanup(&rp->status[i]);
        }
    }
    free(rp->status);
    /* A CertId allocates nothing. */
    free(rp->rev_certs);
    cmp_certs_cleanup(&rp->crls);
    memset(rp, 0, sizeof(*rp));
}

/* ================= error: ErrorMsgContent ================= */

int
cmp_error_msg_decode(struct der_in *in, struct cmp_error_msg *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "ErrorMsgContent");
    }
    if (!cmp_pkistatus_decode(&seq, &out->status, err)) {
        return CMP_CONTEXT(err, "ErrorMsgContent.pKIStatusInfo");
    }
    if (der_peek(&seq, DER_INTEGER)) {
        at = seq;
        if (!der_get_int64(&seq, &out->error_code)) {
            return CMP_DECODE_FAIL(err, &at, "ErrorMsgContent.errorCode");
        }
        out->has_error_code = 1;
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!cmp_freetext_decode(&seq, &out->error_details, err)) {
            return CMP_CONTEXT(err, "ErrorMsgContent.errorDetails");
        }
        out->has_error_details = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "ErrorMsgContent");
    }
    *in = copy;
    return 1;
}

int
cmp_error_msg_encode(struct der_out *out, const struct cmp_error_msg *em)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && cmp_pkistatus_encode(out, &em->status) &&
           (!em->has_error_code || der_put_int64(out, em->error_code)) &&
           (!em->has_error_details || cmp_freetext_encode(out, &em->error_details)) &&
           der_close(out, seq);
}

void
cmp_error_msg_cleanup(struct cmp_error_msg *em)
{
    cmp_pkistatus_cleanup(&em->status);
    cmp_freetext_cleanup(&em->error_details);
    memset(em, 0, sizeof(*em));
}

/* ================= certConf: CertConfirmContent ================= */

static int
certstatus_decode(struct der_in *in, struct cmp_certstatus *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at, tagged;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertStatus");
    }
    at = seq;
    if (!der_get(&seq, DER_OCTET_STRING, &out->cert_hash)) {
        return CMP_DECODE_FAIL(err, &at, "CertStatus.certHash");
    }
    at = seq;
    if (!der_get_int64(&seq, &out->cert_req_id)) {
        return CMP_DECODE_FAIL(err, &at, "CertStatus.certReqId");
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!cmp_pkistatus_decode(&seq, &out->status, err)) {
            return CMP_CONTEXT(err, "CertStatus.statusInfo");
        }
        out->has_status = 1;
    }
    if (der_peek(&seq, DER_EXPLICIT(0))) {
        at = seq;
        if (!der_get(&seq, DER_EXPLICIT(0), &tagged)) {
            return CMP_DECODE_FAIL(err, &at, "CertStatus.hashAlg");
        }
        if (!cmp_algid_decode(&tagged, DER_SEQUENCE, &out->hash_alg, err)) {
            return CMP_CONTEXT(err, "CertStatus.hashAlg");
        }
        if (!der_done(&tagged)) {
            return CMP_DECODE_FAIL(err, &tagged, "CertStatus.hashAlg");
        }
        out->has_hash_alg = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertStatus");
    }
    *in = copy;
    return 1;
}

static int
certstatus_encode(struct der_out *out, const struct cmp_certstatus *cs)
{
    size_t seq, t0;

    return der_open(out, DER_SEQUENCE, &seq) &&
           der_put_octets(out, cs->cert_hash.p, cs->cert_hash.len) &&
           der_put_int64(out, cs->cert_req_id) &&
           (!cs->has_status || cmp_pkistatus_encode(out, &cs->status)) &&
           (!cs->has_hash_alg ||
            (der_open(out, DER_EXPLICIT(0), &t0) && cmp_algid_encode(out, &cs->hash_alg) &&
             der_close(out, t0))) &&
           der_close(out, seq);
}

static int
certstatus_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return certstatus_decode(in, elem, err);
}

/* RFC 9810 5.3.18: an empty SEQUENCE OF is how a client rejects all certificates. */
static const struct cmp_seq_of certconf_seq = {"CertConfirmContent", "CertStatus",
                                               sizeof(struct cmp_certstatus), 0,
                                               certstatus_elem_decode};

int
cmp_certconf_decode(struct der_in *in, struct cmp_certconf *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &certconf_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_certconf_encode(struct der_out *out, const struct cmp_certconf *cc)
{
    size_t seq, i;

    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < cc->num; i++) {
        if (!certstatus_encode(out, &cc->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_certconf_cleanup(struct cmp_certconf *cc)
{
    size_t i;

    if (cc->items != NULL) {
        for (i = 0; i < cc->num; i++) {
            cmp_pkistatus_cleanup(&cc->items[i].status);
        }
    }
    free(cc->items);
    memset(cc, 0, sizeof(*cc));
}

/* ================= pollReq: PollReqContent ================= */

/* SEQUENCE { certReqId INTEGER } */
static int
poll_req_item_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "PollReqContent");
    }
    at = seq;
    if (!der_get_int64(&seq, elem)) {
        return CMP_DECODE_FAIL(err, &at, "PollReqContent.certReqId");
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "PollReqContent");
    }
    *in = copy;
    return 1;
}

static const struct cmp_seq_of poll_req_seq = {"PollReqContent", "PollReqContent", sizeof(int64_t),
                                               0, poll_req_item_decode};

int
cmp_poll_req_decode(struct der_in *in, struct cmp_poll_req *out, struct cmp_err *err)
{
    void *ids;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &poll_req_seq, NULL, &ids, &out->num, err);

    out->cert_req_ids = ids;
    return ok;
}

int
cmp_poll_req_encode(struct der_out *out, const struct cmp_poll_req *pr)
{
    size_t seq, item, i;

    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < pr->num; i++) {
        if (!der_open(out, DER_SEQUENCE, &item) || !der_put_int64(out, pr->cert_req_ids[i]) ||
            !der_close(out, item)) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_poll_req_cleanup(struct cmp_poll_req *pr)
{
    free(pr->cert_req_ids);
    memset(pr, 0, sizeof(*pr));
}

/* ================= pollRep: PollRepContent ================= */

static int
poll_rep_item_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct cmp_poll_rep_item *out = elem;
    struct der_in copy = *in, seq, at;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "PollRepContent");
    }
    at = seq;
    if (!der_get_int64(&seq, &out->cert_req_id)) {
        return CMP_DECODE_FAIL(err, &at, "PollRepContent.certReqId");
    }
    /* A time in seconds: a negative one has no meaning. */
    at = seq;
    if (!der_get_int64(&seq, &out->check_after) || out->check_after < 0) {
        return CMP_DECODE_FAIL(err, &at, "PollRepContent.checkAfter");
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!cmp_freetext_decode(&seq, &out->reason, err)) {
            return CMP_CONTEXT(err, "PollRepContent.reason");
        }
        out->has_reason = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "PollRepContent");
    }
    *in = copy;
    return 1;
}

static int
poll_rep_item_encode(struct der_out *out, const struct cmp_poll_rep_item *it)
{
    size_t seq;

    if (it->check_after < 0) {
        return encode_fail(out);
    }
    return der_open(out, DER_SEQUENCE, &seq) && der_put_int64(out, it->cert_req_id) &&
           der_put_int64(out, it->check_after) &&
           (!it->has_reason || cmp_freetext_encode(out, &it->reason)) && der_close(out, seq);
}

static const struct cmp_seq_of poll_rep_seq = {"PollRepContent", "PollRepContent",
                                               sizeof(struct cmp_poll_rep_item), 0,
                                               poll_rep_item_decode};

int
cmp_poll_rep_decode(struct der_in *in, struct cmp_poll_rep *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &poll_rep_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_poll_rep_encode(struct der_out *out, const struct cmp_poll_rep *pr)
{
    size_t seq, i;

    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < pr->num; i++) {
        if (!poll_rep_item_encode(out, &pr->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_poll_rep_cleanup(struct cmp_poll_rep *pr)
{
    size_t i;

    if (pr->items != NULL) {
        for (i = 0; i < pr->num; i++) {
            cmp_freetext_cleanup(&pr->items[i].reason);
        }
    }
    free(pr->items);
    memset(pr, 0, sizeof(*pr));
}

/* ================= opaque bodies ================= */

int
cmp_opaque_decode(struct der_in *in, struct der_in *out, struct cmp_err *err)
{
    struct der_in copy = *in, whole;

    if (!der_get_any(&copy, NULL, NULL, &whole) || !der_walk(&whole, DER_MAX_DEPTH)) {
        return CMP_DECODE_FAIL(err, in, "PKIBody content");
    }
    *out = whole;
    *in = copy;
    return 1;
}
