/*
 * Polling, RFC 9810 5.3.22: pollReq (PollReqContent) and pollRep
 * (PollRepContent), codec and printer (the ASN.1 is in msg.h).
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

/* ---- pollReq: PollReqContent ---- */

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

/* ---- pollRep: PollRepContent ---- */

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
    /* A negative checkAfter is syntax; RFC 9810 5.3.22's rule is cmp_vfy_pollrep()'s. */
    at = seq;
    if (!der_get_int64(&seq, &out->check_after)) {
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

    return der_open(out, DER_SEQUENCE, &seq) && der_put_int64(out, it->cert_req_id) &&
           der_put_int64(out, it->check_after) &&
           (!it->has_reason || cmp_freetext_encode(out, &it->reason)) && der_close(out, seq);
}

static const struct cmp_seq_of poll_rep_seq = {
    "PollRepContent", "PollRepContent", sizeof(struct cmp_poll_rep_item), 0, poll_rep_item_decode};

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

/* ---- printing ---- */

static void
print_poll_req(struct cmp_printer *pr, int level, const struct cmp_poll_req *preq)
{
    size_t i;

    for (i = 0; i < preq->num; i++) {
        cmp_pline(pr, level, "certReqId %lld", (long long)preq->cert_req_ids[i]);
    }
}

static void
print_poll_rep(struct cmp_printer *pr, int level, const struct cmp_poll_rep *prep)
{
    struct cmp_sbuf sb;
    size_t i;

    for (i = 0; i < prep->num; i++) {
        const struct cmp_poll_rep_item *it = &prep->items[i];

        cmp_pline(pr, level, "certReqId %lld: checkAfter %lld s", (long long)it->cert_req_id,
                  (long long)it->check_after);
        if (it->has_reason) {
            cmp_sb_init(&sb);
            cmp_sb_freetext(&sb, &it->reason);
            cmp_pline(pr, level + 1, "reason: %s", sb.s);
        }
    }
}

CMP_BODY_CODEC(cmp_poll_req_body, "PollReqContent", struct cmp_poll_req, cmp_poll_req,
               print_poll_req);
CMP_BODY_CODEC(cmp_poll_rep_body, "PollRepContent", struct cmp_poll_rep, cmp_poll_rep,
               print_poll_rep);
