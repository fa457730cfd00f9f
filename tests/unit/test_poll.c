/*
 * Unit tests for lib/msg/poll.c: pollReq (PollReqContent) and pollRep
 * (PollRepContent: reason; checkAfter's sign is a rule of lib/verify/poll.c,
 * not syntax), through the
 * codecs of the body table, with the sweeps of tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static const struct codec_case pollreq_cases[] = {
    {"empty", "3000", 1},
    {"one", "30053003020100", 1},
    {"two", "300a30030201003003020101", 1},
    {"negative certReqId", "300530030201ff", 1},
    {"item empty", "30023000", 0},
    {"item with extra field", "300730050201000500", 0},
    {"item a bare INTEGER", "3003020100", 0},
    {"certReqId 9 bytes", "300d300b0209010000000000000000", 0},
    {"certReqId non-minimal", "300630040202ffff", 0},
    {"certReqId OCTET STRING", "30053003040100", 0},
};

static const struct codec_case pollrep_cases[] = {
    {"empty", "3000", 1},
    {"one", "30083006020100020105", 1},
    {"checkAfter 0", "30083006020100020100", 1},
    {"checkAfter 2^63-1", "300f300d02010002087fffffffffffffff", 1},
    {"with reason", "3011300f02010002010530070c05776169742e", 1},
    {"two, one with reason", "3018300e02010002010530060c01610c0162300602010102013c", 1},
    {"checkAfter negative (syntax; verify checks it)", "300830060201000201ff", 1},
    {"checkAfter -2^63", "3010300e0201000209ff8000000000000000", 0},
    {"checkAfter 2^63", "3010300e0201000209008000000000000000", 0},
    {"checkAfter missing", "30053003020100", 0},
    {"checkAfter missing, reason present", "300a300802010030030c0178", 0},
    {"reason empty (SIZE 1..MAX)", "300a30080201000201053000", 0},
    {"reason PrintableString", "300d300b0201000201053003130178", 0},
    {"reason a bare UTF8String", "300b30090201000201050c0178", 0},
    {"trailing after reason", "300f300d02010002010530030c01780500", 0},
    {"checkAfter non-minimal", "3009300702010002020005", 0},
    {"item empty", "30023000", 0},
    {"second item bad", "3010300602010002010530060201010101ff", 0},
};

static void
test_encode_refusals(void)
{
    struct der_out out;
    struct cmp_poll_rep pr;
    struct cmp_poll_rep_item item;

    memset(&item, 0, sizeof(item));
    pr.num = 1;
    pr.items = &item;
    item.check_after = 5;
    item.has_reason = 1; /* with no strings */
    der_out_init(&out, 256);
    CHECK(!cmp_poll_rep_encode(&out, &pr) && !der_out_ok(&out));
    der_out_cleanup(&out);
}

int
main(void)
{
    static const uint32_t seq[] = {DER_SEQUENCE};
    struct codec req = codec_of_body(CMP_BODY_POLLREQ), rep = codec_of_body(CMP_BODY_POLLREP);
    uint8_t buf[64];
    size_t len = 0;
    struct der_in in;
    struct cmp_err err;
    struct cmp_poll_rep pr;

    codec_check_cases(&req, pollreq_cases, CODEC_NUM(pollreq_cases));
    codec_check_cases(&rep, pollrep_cases, CODEC_NUM(pollrep_cases));

    /* pollRep: checkAfter 60, reason */
    CHECK(check_unhex("300f 300d 020101 02013c 3005 0c03616263", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&pr, 0, sizeof(pr));
    cmp_err_init(&err);
    CHECK(cmp_poll_rep_decode(&in, &pr, &err) && der_done(&in));
    CHECK(pr.num == 1 && pr.items[0].cert_req_id == 1 && pr.items[0].check_after == 60 &&
          pr.items[0].has_reason && pr.items[0].reason.num == 1);
    cmp_poll_rep_cleanup(&pr);

    test_encode_refusals();
    codec_check_limit(&req, "PollReqContent", seq, 1, "3003 020100");
    codec_check_limit(&rep, "PollRepContent", seq, 1, "3006 020100 020105");
    codec_check_error(&rep, "pollRep checkAfter not an INTEGER",
                      "3010300602010002010530060201010101ff", 15, 3, "PollRepContent.checkAfter");
    codec_check_error(&req, "pollReq extra field", "300c300302010030050201010500", 12, 2,
                      "PollReqContent");
    return check_finish();
}
