/*
 * Unit tests for lib/msg/error.c: ErrorMsgContent (errorCode, errorDetails),
 * through the codec of the body table, with the sweeps of
 * tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static const struct codec_case error_cases[] = {
    {"status only", "30053003020102", 1},
    {"errorCode", "30093003020102020201f4", 1},
    {"negative errorCode", "300830030201020201ff", 1},
    {"errorDetails", "3010300302010230090c0764657461696c73", 1},
    {"errorCode and errorDetails", "301b300e02010230050c036261640302020402010130060c01610c0162", 1},
    {"empty", "3000", 0},
    {"status bad", "300730050201020400", 0},
    {"errorCode after errorDetails", "300d300302010230030c0161020101", 0},
    {"errorCode non-minimal", "3009300302010202020001", 0},
    {"errorCode 9 bytes", "301030030201020209010000000000000000", 0},
    {"errorCode ENUMERATED", "300830030201020a0101", 0},
    {"errorDetails empty (SIZE 1..MAX)", "300730030201023000", 0},
    {"errorDetails PrintableString", "300a30030201023003130178", 0},
    {"two errorCodes", "300b3003020102020101020102", 0},
    {"two errorDetails", "300f300302010230030c016130030c0162", 0},
    {"trailing NULL", "300730030201020500", 0},
    {"status not first", "30080201013003020102", 0},
};

int
main(void)
{
    struct codec c = codec_of_body(CMP_BODY_ERROR);
    uint8_t buf[64];
    size_t len = 0;
    struct der_in in;
    struct cmp_err err;
    struct cmp_error_msg em;
    struct der_out out;

    codec_check_cases(&c, error_cases, CODEC_NUM(error_cases));

    /* errorCode 500, errorDetails "a" */
    CHECK(check_unhex("300e 3003020102 020201f4 30030c0161", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&em, 0, sizeof(em));
    cmp_err_init(&err);
    CHECK(cmp_error_msg_decode(&in, &em, &err) && der_done(&in));
    CHECK(em.status.status == CMP_STATUS_REJECTION && em.has_error_code && em.error_code == 500 &&
          em.has_error_details && em.error_details.num == 1);
    cmp_error_msg_cleanup(&em);

    /* errorDetails with no strings has no valid encoding (SIZE (1..MAX)). */
    memset(&em, 0, sizeof(em));
    em.has_error_details = 1;
    der_out_init(&out, 256);
    CHECK(!cmp_error_msg_encode(&out, &em) && !der_out_ok(&out));
    der_out_cleanup(&out);

    codec_check_error(&c, "error code after details", "300d300302010230030c0161020101", 12, 3,
                      "ErrorMsgContent");
    return check_finish();
}
