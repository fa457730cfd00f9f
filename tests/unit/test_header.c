/*
 * Unit tests for lib/msg/header.c: PKIHeader (RFC 9810 5.1.1) with every
 * field, minimal, out of order, duplicated, with wrong inner types. Every
 * accepted row re-encodes byte for byte and gets the sweeps of
 * tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static int
header_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_header_decode(in, out, err);
}

static int
header_enc(struct der_out *out, const void *v)
{
    return cmp_header_encode(out, v);
}

static void
header_free(void *v)
{
    cmp_header_cleanup(v);
}

static const struct codec header_codec = {
    "PKIHeader", sizeof(struct cmp_header), header_dec, header_enc, header_free, NULL};

static const struct codec_case header_cases[] = {
    {"minimal, pvno 2",
     "3027020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341",
     1},
    {"pvno 1 (cmp1999)",
     "3027020101a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341",
     1},
    {"pvno 3 (cmp2021)",
     "3027020103a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341",
     1},
    {"pvno 0 (decoding is syntax only)",
     "3027020100a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341",
     1},
    {"NULL-DN sender and recipient", "300b020102a4023000a4023000", 1},
    {"dNSName sender, rfc822Name recipient",
     "301b020102820a72612e6578616d706c65810a6361406578616d706c65", 1},
    {"every field, pvno 2",
     "3081d2020102a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341a011180f32303236303130313132303030305aa10c300a06082a8648ce3d040302a2"
     "0504036b6964a3060404726b6964a4120410000102030405060708090a0b0c0d0e0fa5120410"
     "101112131415161718191a1b1c1d1e1fa6120410202122232425262728292a2b2c2d2e2fa70e"
     "300c0c04667265650c0474657874a82d302b300c06082b060105050704120500301b06082b06"
     "010505070413180f32303236303130313132303030305a",
     1},
    {"every field, pvno 3",
     "3081d2020103a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341a011180f32303236303130313132303030305aa10c300a06082a8648ce3d040302a2"
     "0504036b6964a3060404726b6964a4120410000102030405060708090a0b0c0d0e0fa5120410"
     "101112131415161718191a1b1c1d1e1fa6120410202122232425262728292a2b2c2d2e2fa70e"
     "300c0c04667265650c0474657874a82d302b300c06082b060105050704120500301b06082b06"
     "010505070413180f32303236303130313132303030305a",
     1},
    {"every field, pvno 1",
     "3081d2020101a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341a011180f32303236303130313132303030305aa10c300a06082a8648ce3d040302a2"
     "0504036b6964a3060404726b6964a4120410000102030405060708090a0b0c0d0e0fa5120410"
     "101112131415161718191a1b1c1d1e1fa6120410202122232425262728292a2b2c2d2e2fa70e"
     "300c0c04667265650c0474657874a82d302b300c06082b060105050704120500301b06082b06"
     "010505070413180f32303236303130313132303030305a",
     1},
    {"messageTime only",
     "303a020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a011180f32303236303130313132303030305a",
     1},
    {"messageTime with fraction",
     "303c020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a013181132303236303130313132303030302e355a",
     1},
    {"protectionAlg PBM with parameters",
     "305b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a132303006092a864886f67d07420d3023040473616c74300b06096086480165030402"
     "01020201f4300a06082b06010505080102",
     1},
    {"senderKID only",
     "302e020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a20504036b6964",
     1},
    {"empty senderKID",
     "302b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a2020400",
     1},
    {"recipKID only",
     "302f020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a3060404726b6964",
     1},
    {"transactionID only",
     "303b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a4120410000102030405060708090a0b0c0d0e0f",
     1},
    {"senderNonce only",
     "303b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a5120410101112131415161718191a1b1c1d1e1f",
     1},
    {"recipNonce only",
     "303b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a6120410202122232425262728292a2b2c2d2e2f",
     1},
    {"freeText only",
     "3037020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a70e300c0c04667265650c0474657874",
     1},
    {"generalInfo only",
     "3056020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a82d302b300c06082b060105050704120500301b06082b06010505070413180f323032"
     "36303130313132303030305a",
     1},
    {"generalInfo itav without value",
     "3037020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a80e300c300a06082b06010505070412",
     1},
    {"transactionID, nonces, generalInfo",
     "308192020102a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341a4120410000102030405060708090a0b0c0d0e0fa512041010111213141516171819"
     "1a1b1c1d1e1fa6120410202122232425262728292a2b2c2d2e2fa82d302b300c06082b060105"
     "050704120500301b06082b06010505070413180f32303236303130313132303030305a",
     1},
    {"[1] before [0]",
     "3048020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a10c300a06082a8648ce3d040302a011180f32303236303130313132303030305a",
     0},
    {"[5] before [4]",
     "304f020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a5120410101112131415161718191a1b1c1d1e1fa4120410000102030405060708090a"
     "0b0c0d0e0f",
     0},
    {"[8] before [7]",
     "3066020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a82d302b300c06082b060105050704120500301b06082b06010505070413180f323032"
     "36303130313132303030305aa70e300c0c04667265650c0474657874",
     0},
    {"[3] before [2]",
     "3036020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a3060404726b6964a20504036b6964",
     0},
    {"recipient after [0]",
     "303a020102a411300f310d300b06035504030c0474657374a011180f32303236303130313132"
     "303030305aa40f300d310b300906035504030c024341",
     0},
    {"pvno after sender",
     "3027a411300f310d300b06035504030c0474657374020102a40f300d310b300906035504030c"
     "024341",
     0},
    {"duplicate [0]",
     "304d020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a011180f32303236303130313132303030305aa011180f323032363031303131323030"
     "30305a",
     0},
    {"duplicate [4]",
     "304f020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a4120410000102030405060708090a0b0c0d0e0fa4120410000102030405060708090a"
     "0b0c0d0e0f",
     0},
    {"duplicate [8]",
     "308185020102a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341a82d302b300c06082b060105050704120500301b06082b06010505070413180f3230"
     "3236303130313132303030305aa82d302b300c06082b060105050704120500301b06082b0601"
     "0505070413180f32303236303130313132303030305a",
     0},
    {"three GeneralNames",
     "3038020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a40f300d310b300906035504030c024341",
     0},
    {"no recipient", "3016020102a411300f310d300b06035504030c0474657374", 0},
    {"no pvno", "3024a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c024341", 0},
    {"empty SEQUENCE", "3000", 0},
    {"pvno ENUMERATED",
     "30270a0102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341",
     0},
    {"pvno non-minimal",
     "302802020002a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341",
     0},
    {"pvno 9 bytes",
     "302f0209010000000000000000a411300f310d300b06035504030c0474657374a40f300d310b"
     "300906035504030c024341",
     0},
    {"sender a bare Name",
     "3025020102300f310d300b06035504030c0474657374a40f300d310b300906035504030c0243"
     "41",
     0},
    {"recipient directoryName IMPLICIT",
     "3025020102a411300f310d300b06035504030c0474657374a40d310b300906035504030c0243"
     "41",
     0},
    {"messageTime UTCTime",
     "3038020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a00f170d3236303130313132303030305a",
     0},
    {"messageTime without Z",
     "3039020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a010180e3230323630313031313230303030",
     0},
    {"messageTime with offset",
     "303e020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a015181332303236303130313132303030302b30313030",
     0},
    {"messageTime fraction trailing zero",
     "303d020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a014181232303236303130313132303030302e35305a",
     0},
    {"messageTime month 13",
     "303a020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a011180f32303236313330313132303030305a",
     0},
    {"messageTime IMPLICIT",
     "3038020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341800f32303236303130313132303030305a",
     0},
    {"messageTime two times",
     "304b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a022180f32303236303130313132303030305a180f3230323630313031313230303030"
     "5a",
     0},
    {"protectionAlg IMPLICIT",
     "3033020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a10a06082a8648ce3d040302",
     0},
    {"protectionAlg trailing",
     "3037020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a10e300a06082a8648ce3d0403020500",
     0},
    {"protectionAlg empty",
     "3029020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a100",
     0},
    {"senderKID IMPLICIT",
     "302c020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "02434182036b6964",
     0},
    {"senderKID UTF8String",
     "302e020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a2050c036b6964",
     0},
    {"senderKID two OCTET STRINGs",
     "302f020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a206040161040162",
     0},
    {"transactionID INTEGER",
     "302c020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a403020105",
     0},
    {"transactionID constructed OCTET STRING",
     "302e020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a4052403040161",
     0},
    {"senderNonce empty wrapper",
     "3029020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a500",
     0},
    {"recipNonce primitive [6]",
     "302c020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341860304016e",
     0},
    {"freeText empty (SIZE 1..MAX)",
     "302b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a7023000",
     0},
    {"freeText PrintableString",
     "302e020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a7053003130178",
     0},
    {"freeText trailing in [7]",
     "3030020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a70730030c01780500",
     0},
    {"freeText bare UTF8String",
     "302c020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a7030c0178",
     0},
    {"generalInfo empty (SIZE 1..MAX)",
     "302b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a8023000",
     0},
    {"generalInfo itav without OID",
     "302f020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a806300430020500",
     0},
    {"generalInfo trailing in [8]",
     "303b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a812300e300c06082b0601050507041205000500",
     0},
    {"generalInfo bare itav",
     "3037020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a80e300c06082b060105050704120500",
     0},
    {"unknown field [9]",
     "302b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a9020500",
     0},
    {"trailing NULL",
     "303d020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a4120410000102030405060708090a0b0c0d0e0f0500",
     0},
    {"SET instead of SEQUENCE",
     "3127020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341",
     0},
};

/* Every field, pvno 3. */
static const char full_header[] =
    "3081d2020103a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
    "0c024341a011180f32303236303130313132303030305aa10c300a06082a8648ce3d040302a2"
    "0504036b6964a3060404726b6964a4120410000102030405060708090a0b0c0d0e0fa5120410"
    "101112131415161718191a1b1c1d1e1fa6120410202122232425262728292a2b2c2d2e2fa70e"
    "300c0c04667265650c0474657874a82d302b300c06082b060105050704120500301b06082b06"
    "010505070413180f32303236303130313132303030305a";

static const struct {
    const char *name, *hex;
    size_t offset;     /* where err.pos must point */
    const char *field; /* what cmp_err_format() must name */
} header_errors[] = {
    {"transactionID INTEGER",
     "302c020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a403020105",
     41, "PKIHeader.transactionID"},
    {"messageTime month 13",
     "303a020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a011180f32303236313330313132303030305a",
     43, "PKIHeader.messageTime"},
    {"freeText empty",
     "302b020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a7023000",
     43, "PKIHeader.freeText"},
    {"[1] before [0]",
     "3048020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a10c300a06082a8648ce3d040302a011180f32303236303130313132303030305a",
     55, "PKIHeader (unexpected field)"},
    {"recipient bad", "3019020102a411300f310d300b06035504030c0474657374890178", 24,
     "PKIHeader.recipient"},
    {"pvno non-minimal",
     "302802020002a411300f310d300b06035504030c0474657374a40f300d310b30090603550403"
     "0c024341",
     2, "PKIHeader.pvno"},
    {"generalInfo bad itav",
     "303d020102a411300f310d300b06035504030c0474657374a40f300d310b300906035504030c"
     "024341a8143012300c06082b06010505070412050030020500",
     61, "InfoTypeAndValue #1"},
};

/* slice_is() compares a decoded slice with a string. */
static int
slice_is(const struct der_in *s, const char *want, size_t want_len)
{
    return s->len == want_len && memcmp(s->p, want, want_len) == 0;
}

/* The decoded model of the header with every field. */
static void
test_full_fields(void)
{
    uint8_t buf[512];
    size_t len = 0, i;
    struct der_in in;
    struct cmp_header h;
    struct cmp_err err;
    int ok = 1;

    CHECK(check_unhex(full_header, buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&h, 0, sizeof(h));
    cmp_err_init(&err);
    CHECK(cmp_header_decode(&in, &h, &err) && der_done(&in));
    CHECK(h.raw.p == buf && h.raw.len == len);
    CHECK(h.pvno == CMP_PVNO_2021);
    CHECK(h.sender.type == CMP_GN_DIRNAME && h.recipient.type == CMP_GN_DIRNAME);
    CHECK(h.has_message_time && slice_is(&h.message_time, "20260101120000Z", 15) &&
          h.message_time_secs == der_time_from_civil(2026, 1, 1, 12, 0, 0));
    CHECK(h.has_protection_alg && h.protection_alg.oid.len == 8 &&
          h.protection_alg.params.len == 0);
    CHECK(h.has_sender_kid && slice_is(&h.sender_kid, "kid", 3));
    CHECK(h.has_recip_kid && slice_is(&h.recip_kid, "rkid", 4));
    CHECK(h.has_transaction_id && h.transaction_id.len == 16 && h.has_sender_nonce &&
          h.sender_nonce.len == 16 && h.has_recip_nonce && h.recip_nonce.len == 16);
    for (i = 0; i < 16; i++) {
        ok = ok && h.transaction_id.p[i] == i && h.sender_nonce.p[i] == 16 + i &&
             h.recip_nonce.p[i] == 32 + i;
    }
    CHECK(ok);
    CHECK(h.has_free_text && h.free_text.num == 2 && slice_is(&h.free_text.strs[1], "text", 4));
    CHECK(h.has_general_info && h.general_info.num == 2 && h.general_info.items[0].has_value &&
          h.general_info.items[1].has_value);
    cmp_header_cleanup(&h);
    CHECK(h.general_info.items == NULL && h.free_text.strs == NULL && !h.has_free_text);
}

/* A header built in memory: messageTime comes from the seconds when no bytes are kept. */
static void
test_built(void)
{
    static const uint8_t sender[] = {0xa4, 0x02, 0x30, 0x00};
    static const char want[] =
        "3025 020102 a4023000 a4023000 a011180f32303236303130313132303030305a"
        "a2050403 6b6964";
    struct cmp_header h;
    struct der_out out;
    struct der_in in;
    struct cmp_err err;
    uint8_t expect[64], *enc = NULL;
    size_t expect_len = 0, len = 0;

    memset(&h, 0, sizeof(h));
    h.pvno = CMP_PVNO_2000;
    in = der_in_make(sender, sizeof(sender));
    cmp_err_init(&err);
    CHECK(cmp_gname_decode(&in, &h.sender, &err));
    h.recipient = h.sender;
    h.has_message_time = 1;
    h.message_time_secs = der_time_from_civil(2026, 1, 1, 12, 0, 0);
    h.has_sender_kid = 1;
    h.sender_kid = der_in_make((const uint8_t *)"kid", 3);
    der_out_init(&out, 256);
    CHECK(cmp_header_encode(&out, &h) && der_out_finish(&out, &enc, &len));
    CHECK(check_unhex(want, expect, sizeof(expect), &expect_len));
    CHECK_MEM("built header", enc, len, expect, expect_len);
    free(enc);
}

/* Errors point at the failing element and name the field. */
static void
test_errors(void)
{
    size_t i;

    for (i = 0; i < CODEC_NUM(header_errors); i++) {
        uint8_t buf[512];
        size_t len = 0;
        struct der_in in;
        struct cmp_header h;
        struct cmp_err err;
        char text[1024];
        const char *name = header_errors[i].name;

        if (!CHECK_CASE(name, check_unhex(header_errors[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        in = der_in_make(buf, len);
        memset(&h, 0, sizeof(h));
        cmp_err_init(&err);
        CHECK_CASE(name, !cmp_header_decode(&in, &h, &err));
        CHECK_CASE(name, in.p == buf && in.len == len);
        CHECK_CASE(name, err.code == CMP_E_DECODE && err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
        if (!CHECK_CASE(name, err.pos == buf + header_errors[i].offset)) {
            fprintf(stderr, "    err.pos at %ld, expected %zu\n",
                    err.pos != NULL ? (long)(err.pos - buf) : -1L, header_errors[i].offset);
        }
        cmp_err_format(&err, text, sizeof(text));
        if (!CHECK_CASE(name, strstr(text, header_errors[i].field) != NULL)) {
            fprintf(stderr, "    got: %s\n", text);
        }
        cmp_header_cleanup(&h);
    }
}

int
main(void)
{
    codec_check_cases(&header_codec, header_cases, CODEC_NUM(header_cases));
    test_full_fields();
    test_built();
    test_errors();
    return check_finish();
}
