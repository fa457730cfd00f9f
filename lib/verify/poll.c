/*
 * The checks of polling messages (RFC 9810 5.3.22): pollReq at the server,
 * against the responses its transaction delayed; pollRep at the client,
 * against the certReqIds it polled for.
 */
#include "verify/internal.h"
#include "verify/verify.h"

static int
listed(const int64_t *ids, size_t num, int64_t id)
{
    size_t i;

    for (i = 0; i < num; i++) {
        if (ids[i] == id) {
            return 1;
        }
    }
    return 0;
}

int
cmp_vfy_pollreq(const struct cmp_msg *msg, const int64_t *waiting, size_t num_waiting,
                const char **peer_text, struct cmp_err *err)
{
    const struct cmp_poll_req *pr = &msg->body.u.poll_req;
    size_t i, j;

    if (msg->body.type != CMP_BODY_POLLREQ) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not a pollReq");
    }
    /* RFC 9810 5.3.22: a pollReq asks for something that is waiting. */
    if (pr->num == 0) {
        CMP_VFY_PEER(peer_text, "pollReq without certReqId");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "pollReq without certReqId");
    }
    for (i = 0; i < pr->num; i++) {
        /*
         * RFC 9810 5.3.22: "Its certReqId MUST be either the index of a
         * CertResponse data structure with status 'waiting' or -1" (a
         * delayed response as a whole).
         */
        if (!listed(waiting, num_waiting, pr->cert_req_ids[i])) {
            CMP_VFY_PEER(peer_text, "unexpected certReqId");
            if (num_waiting == 1) {
                return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                     "pollReq for certReqId %lld, expected %lld",
                                     (long long)pr->cert_req_ids[i], (long long)waiting[0]);
            }
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                 "pollReq for certReqId %lld, which is not waiting",
                                 (long long)pr->cert_req_ids[i]);
        }
        for (j = 0; j < i; j++) {
            if (pr->cert_req_ids[j] == pr->cert_req_ids[i]) {
                CMP_VFY_PEER(peer_text, "duplicate certReqId");
                return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "pollReq names certReqId %lld twice",
                                     (long long)pr->cert_req_ids[i]);
            }
        }
    }
    return 1;
}

int
cmp_vfy_pollrep(const struct cmp_msg *msg, const int64_t *polled, size_t num_polled,
                struct cmp_err *err)
{
    const struct cmp_poll_rep *pr = &msg->body.u.poll_rep;
    size_t i, j;

    if (msg->body.type != CMP_BODY_POLLREP) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not a pollRep");
    }
    /* RFC 9810 5.3.22: one entry for each certReqId polled for, and no other. */
    for (i = 0; i < pr->num && pr->num == num_polled; i++) {
        for (j = 0; j < i && pr->items[j].cert_req_id != pr->items[i].cert_req_id; j++) {
        }
        if (j < i || !listed(polled, num_polled, pr->items[i].cert_req_id)) {
            break;
        }
    }
    if (pr->num != num_polled || i < pr->num) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "pollRep for %zu request(s) or another certReqId than %lld", pr->num,
                             num_polled > 0 ? (long long)polled[0] : -1LL);
    }
    /* RFC 9810 5.3.22: checkAfter is a time in seconds; a negative one means nothing. */
    for (i = 0; i < pr->num; i++) {
        if (pr->items[i].check_after < 0) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "pollRep with negative checkAfter");
        }
    }
    return 1;
}
