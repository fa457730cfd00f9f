/*
 * Unit tests for lib/msg/opaque.c: the bodies kept whole (popdecc, popdecr,
 * krp, ckuann, cann, rann, crlann), through the codec of the body table:
 * any one element with valid framing, re-encoded verbatim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static const struct codec_case opaque_cases[] = {
    {"NULL", "0500", 1},
    {"SEQUENCE",
     "3081c73081c43081b0a00302010202021234300a06082a8648ce3d040302300d310b30090603"
     "5504030c024341301e170d3236303130313030303030305a170d323730313031303030303030"
     "5a300f310d300b06035504030c04746573743059301306072a8648ce3d020106082a8648ce3d"
     "03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
     "1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f300a06082a"
     "8648ce3d0403020303003000",
     1},
    {"CRLAnnContent",
     "307f303c302a300a06082a8648ce3d040302300d310b300906035504030c024341170d323630"
     "3130313030303030305a300a06082a8648ce3d04030203020000303f302d020101300a06082a"
     "8648ce3d040302300d310b300906035504030c024341170d3236303130313030303030305a30"
     "0a06082a8648ce3d04030203020000",
     1},
    {"empty SEQUENCE", "3000", 1},
    {"bad inner framing", "3003300105", 0},
    {"indefinite length", "308005000000", 0},
    {"nothing", "", 0},
};

int
main(void)
{
    static const int types[] = {CMP_BODY_POPDECC, CMP_BODY_POPDECR, CMP_BODY_KRP,   CMP_BODY_CKUANN,
                                CMP_BODY_CANN,    CMP_BODY_RANN,    CMP_BODY_CRLANN};
    struct codec c = codec_of_body(CMP_BODY_CANN);
    struct der_in in, out;
    struct cmp_err err;
    size_t i;

    codec_check_cases(&c, opaque_cases, CODEC_NUM(opaque_cases));
    for (i = 0; i < CODEC_NUM(types); i++) {
        CHECK_CASE(cmp_body_type_name(types[i]), cmp_body_desc(types[i])->codec == c.body);
    }
    /* The typed function keeps the whole element. */
    in = der_in_make((const uint8_t *)"\x30\x00\x05\x00", 4);
    cmp_err_init(&err);
    CHECK(cmp_opaque_decode(&in, &out, &err) && out.len == 2 && in.len == 2);
    return check_finish();
}
