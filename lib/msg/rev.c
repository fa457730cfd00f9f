/*
 * Revocation, RFC 9810 5.3.9 and 5.3.10: rr (RevReqContent) and rp
 * (RevRepContent), codec and printer. The CMP module uses EXPLICIT TAGS, so
 * revCerts [0] and crls [1] each wrap a whole inner element. The body's own
 * [n] wrapper is msg.c's: the decoders start at the content element. Syntax
 * only; the ASN.1 is in msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

/* ---- rr: RevReqContent ---- */

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
        return cmp_encode_fail(out);
    }
    return der_open(out, DER_SEQUENCE, &seq) && cmp_cert_template_encode(out, &rd->cert_details) &&
           (!rd->has_crl_entry_details || der_put_in(out, &rd->crl_entry_details)) &&
           der_close(out, seq);
}

static int
rev_details_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return rev_details_decode(in, elem, err);
}

static const struct cmp_seq_of rev_req_seq = {
    "RevReqContent", "RevDetails", sizeof(struct cmp_rev_details), 0, rev_details_elem_decode};

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

/* ---- rp: RevRepContent ---- */

static int
pkistatus_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return cmp_pkistatus_decode(in, elem, err);
}

static const struct cmp_seq_of rev_rep_status_seq = {"RevRepContent.status", "RevRepContent.status",
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
    ok = cmp_seq_of_decode(&tagged, DER_SEQUENCE, &rev_certs_seq, NULL, &items, &out->num_rev_certs,
                           err);
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
        return cmp_encode_fail(out); /* SIZE (1..MAX) */
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

/* ---- printing ---- */

static void
print_rev_req(struct cmp_printer *pr, int level, const struct cmp_rev_req *rr)
{
    struct cmp_sbuf sb;
    struct der_in in, contents;
    size_t i;

    for (i = 0; i < rr->num; i++) {
        const struct cmp_rev_details *d = &rr->items[i];

        cmp_pline(pr, level, "RevDetails #%zu:", i);
        cmp_print_template(pr, level + 1, &d->cert_details);
        if (d->has_crl_entry_details) {
            cmp_sb_init(&sb);
            in = d->crl_entry_details;
            if (!der_get(&in, DER_SEQUENCE, &contents) || !cmp_sb_extensions(&sb, &contents)) {
                cmp_sb_init(&sb);
                cmp_sb_add(&sb, "(unparsable, %zu bytes)", d->crl_entry_details.len);
            }
            cmp_pline(pr, level + 1, "crlEntryDetails: %s", sb.s);
        }
    }
}

static void
print_rev_rep(struct cmp_printer *pr, int level, const struct cmp_rev_rep *rp)
{
    struct cmp_sbuf sb;
    char lab[32];
    size_t i;

    for (i = 0; i < rp->num_status; i++) {
        snprintf(lab, sizeof(lab), "status #%zu", i);
        cmp_print_status(pr, level, lab, &rp->status[i]);
    }
    if (rp->has_rev_certs) {
        cmp_pline(pr, level, "revCerts:");
        for (i = 0; i < rp->num_rev_certs; i++) {
            cmp_sb_init(&sb);
            cmp_sb_puts(&sb, "issuer ");
            if (!cmp_sb_gname(&sb, rp->rev_certs[i].issuer.type, &rp->rev_certs[i].issuer.value)) {
                cmp_sb_init(&sb);
                cmp_sb_puts(&sb, "issuer (unparsable)");
            }
            cmp_sb_puts(&sb, ", serial ");
            cmp_sb_serial(&sb, &rp->rev_certs[i].serial);
            cmp_pline(pr, level + 1, "certId #%zu: %s", i, sb.s);
        }
    }
    if (rp->has_crls) {
        cmp_pline(pr, level, "crls: %zu", rp->crls.num);
        for (i = 0; i < rp->crls.num; i++) {
            cmp_sb_init(&sb);
            if (!cmp_sb_crl_line(&sb, &rp->crls.items[i])) {
                cmp_sb_init(&sb);
                cmp_sb_add(&sb, "(unparsable, %zu bytes)", rp->crls.items[i].len);
            }
            cmp_pline(pr, level + 1, "crl #%zu: %s", i, sb.s);
        }
    }
}

CMP_BODY_CODEC(cmp_rev_req_body, "RevReqContent", struct cmp_rev_req, cmp_rev_req, print_rev_req);
CMP_BODY_CODEC(cmp_rev_rep_body, "RevRepContent", struct cmp_rev_rep, cmp_rev_rep, print_rev_rep);
