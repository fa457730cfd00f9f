/*
 * Unit tests for lib/msg/common.c: PKIFreeText, AlgorithmIdentifier,
 * GeneralName, InfoTypeAndValue(s), PKIStatusInfo, certificate sequences and
 * CertId. Every accepted row re-encodes byte for byte and gets the sweeps of
 * tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

/* ---- uniform wrappers around the codecs ---- */

static int
freetext_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_freetext_decode(in, out, err);
}

static int
freetext_enc(struct der_out *out, const void *v)
{
    return cmp_freetext_encode(out, v);
}

static void
freetext_free(void *v)
{
    cmp_freetext_cleanup(v);
}

static int
algid_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_algid_decode(in, DER_SEQUENCE, out, err);
}

/* CRMF's signingAlg [2] AlgorithmIdentifier under IMPLICIT tags. */
static int
algid_implicit_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_algid_decode(in, DER_IMPLICIT(2, DER_SEQUENCE), out, err);
}

static int
algid_enc(struct der_out *out, const void *v)
{
    return cmp_algid_encode(out, v);
}

static int
gname_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_gname_decode(in, out, err);
}

static int
gname_enc(struct der_out *out, const void *v)
{
    return cmp_gname_encode(out, v);
}

static int
itav_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_itav_decode(in, out, err);
}

static int
itav_enc(struct der_out *out, const void *v)
{
    return cmp_itav_encode(out, v);
}

/* generalInfo, Controls, regInfo: SIZE (1..MAX). */
static int
itavs_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_itavs_decode(in, DER_SEQUENCE, 1, out, err);
}

/* GenMsgContent / GenRepContent: may be empty. */
static int
itavs_empty_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_itavs_decode(in, DER_SEQUENCE, 0, out, err);
}

static int
itavs_enc(struct der_out *out, const void *v)
{
    return cmp_itavs_encode(out, DER_SEQUENCE, v);
}

static void
itavs_free(void *v)
{
    cmp_itavs_cleanup(v);
}

static int
pkistatus_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_pkistatus_decode(in, out, err);
}

static int
pkistatus_enc(struct der_out *out, const void *v)
{
    return cmp_pkistatus_encode(out, v);
}

static void
pkistatus_free(void *v)
{
    cmp_pkistatus_cleanup(v);
}

static int
certs_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_certs_decode(in, DER_SEQUENCE, out, err);
}

static int
certs_enc(struct der_out *out, const void *v)
{
    return cmp_certs_encode(out, DER_SEQUENCE, v);
}

static void
certs_free(void *v)
{
    cmp_certs_cleanup(v);
}

static int
certid_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_certid_decode(in, out, err);
}

static int
certid_enc(struct der_out *out, const void *v)
{
    return cmp_certid_encode(out, v);
}

static const struct codec freetext_codec = {
    "PKIFreeText", sizeof(struct cmp_freetext), freetext_dec, freetext_enc, freetext_free, NULL};
static const struct codec algid_codec = {
    "AlgorithmIdentifier", sizeof(struct cmp_algid), algid_dec, algid_enc, NULL, NULL};
static const struct codec algid_implicit_codec = {
    "[2] AlgorithmIdentifier", sizeof(struct cmp_algid), algid_implicit_dec, algid_enc, NULL, NULL};
static const struct codec gname_codec = {
    "GeneralName", sizeof(struct cmp_gname), gname_dec, gname_enc, NULL, NULL};
static const struct codec itav_codec = {
    "InfoTypeAndValue", sizeof(struct cmp_itav), itav_dec, itav_enc, NULL, NULL};
static const struct codec itavs_codec = {"SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue",
                                         sizeof(struct cmp_itavs),
                                         itavs_dec,
                                         itavs_enc,
                                         itavs_free,
                                         NULL};
static const struct codec itavs_empty_codec = {"SEQUENCE OF InfoTypeAndValue",
                                               sizeof(struct cmp_itavs),
                                               itavs_empty_dec,
                                               itavs_enc,
                                               itavs_free,
                                               NULL};
static const struct codec pkistatus_codec = {"PKIStatusInfo", sizeof(struct cmp_pkistatus),
                                             pkistatus_dec,   pkistatus_enc,
                                             pkistatus_free,  NULL};
static const struct codec certs_codec = {
    "SEQUENCE OF Certificate", sizeof(struct cmp_certs), certs_dec, certs_enc, certs_free, NULL};
static const struct codec certid_codec = {
    "CertId", sizeof(struct cmp_certid), certid_dec, certid_enc, NULL, NULL};

/* ---- tables ---- */

static const struct codec_case freetext_cases[] = {
    {"one string", "30070c0568656c6c6f", 1},
    {"three strings", "300c0c01610c000c05636166c3a9", 1},
    {"empty UTF8String", "30020c00", 1},
    {"empty SEQUENCE (SIZE 1..MAX)", "3000", 0},
    {"PrintableString item", "30051303616263", 0},
    {"IA5String item", "30080c01611603616263", 0},
    {"constructed UTF8String", "30052c030c0161", 0},
    {"SET instead of SEQUENCE", "31030c0161", 0},
    {"bare UTF8String", "0c0161", 0},
    {"item truncated", "30030c0561", 0},
    {"trailing byte in SEQUENCE", "30040c016100", 0},
    {"indefinite length", "30800c01610000", 0},
    {"non-minimal length", "3081030c0161", 0},
};

static const struct codec_case algid_cases[] = {
    {"no parameters", "300b0609608648016503040201", 1},
    {"NULL parameters", "300d06092a864886f70d01010b0500", 1},
    {"SEQUENCE parameters",
     "302106092a864886f70d01010a3014a00d300b0609608648016503040201a203020120", 1},
    {"OID parameters (EC)", "301306072a8648ce3d020106082a8648ce3d030107", 1},
    {"empty SEQUENCE", "3000", 0},
    {"no OID", "30020500", 0},
    {"two parameters", "300f060960864801650304020105000500", 0},
    {"bad OID (non-minimal arc)", "300806062a8648018065", 0},
    {"empty OID", "30020600", 0},
    {"OID ends mid-arc", "300406022a86", 0},
    {"parameters bad framing", "300f060960864801650304020130030201", 0},
    {"parameters with bad inner framing", "301006096086480165030402013003020501", 0},
    {"IMPLICIT tag where SEQUENCE expected", "a20b0609608648016503040201", 0},
    {"SET instead of SEQUENCE", "310b0609608648016503040201", 0},
    {"INTEGER instead of OID", "3003020101", 0},
};

static const struct codec_case algid_implicit_cases[] = {
    {"[2] IMPLICIT, no parameters", "a20b0609608648016503040201", 1},
    {"[2] IMPLICIT, NULL parameters", "a20d06092a864886f70d01010b0500", 1},
    {"universal SEQUENCE where [2] expected", "300b0609608648016503040201", 0},
    {"[2] EXPLICIT wrapper around SEQUENCE", "a20d300b0609608648016503040201", 0},
    {"[2] primitive", "820b0609608648016503040201", 0},
    {"[3] instead of [2]", "a30b0609608648016503040201", 0},
};

static const struct codec_case gname_cases[] = {
    {"otherName [0]", "a01c060a2b060104018237140203a00e0c0c75736572406578616d706c65", 1},
    {"rfc822Name [1]", "811075736572406578616d706c652e636f6d", 1},
    {"dNSName [2]", "820b6578616d706c652e636f6d", 1},
    {"x400Address [3]", "a30a30083006610413024445", 1},
    {"directoryName [4]", "a411300f310d300b06035504030c0474657374", 1},
    {"directoryName [4] empty RDNSequence", "a4023000", 1},
    {"ediPartyName [5]", "a509a10713057061727479", 1},
    {"uniformResourceIdentifier [6]", "8613687474703a2f2f6578616d706c652e636f6d2f", 1},
    {"iPAddress [7] v4", "8704c0000201", 1},
    {"iPAddress [7] v6", "871000000000000000000000000000000000", 1},
    {"registeredID [8]", "88062b0601050507", 1},
    {"empty dNSName", "8200", 1},
    {"directoryName IMPLICIT (no wrapper)", "a40f310d300b06035504030c0474657374", 0},
    {"directoryName primitive [4]", "8411300f310d300b06035504030c0474657374", 0},
    {"directoryName wrapper with two Names",
     "a422300f310d300b06035504030c0474657374300f310d300b06035504030c0474657374", 0},
    {"directoryName wrapper with SET", "a40c310a300806035504030c0178", 0},
    {"directoryName empty wrapper", "a400", 0},
    {"directoryName bad inner framing", "a406300431053003", 0},
    {"rfc822Name constructed", "a1051603614062", 0},
    {"dNSName constructed", "a203160161", 0},
    {"URI constructed", "a603160161", 0},
    {"iPAddress constructed", "a706040401020304", 0},
    {"registeredID constructed", "a80406022b06", 0},
    {"registeredID bad OID", "88022b80", 0},
    {"registeredID empty", "8800", 0},
    {"otherName primitive", "800306012b", 0},
    {"x400Address primitive", "830100", 0},
    {"ediPartyName primitive", "850100", 0},
    {"otherName bad inner framing", "a00406032b06", 0},
    {"unknown alternative [9]", "890178", 0},
    {"unknown alternative [9] constructed", "a9020500", 0},
    {"universal tag (bare Name)", "300f310d300b06035504030c0474657374", 0},
    {"application class [2]", "420b6578616d706c652e636f6d", 0},
    {"private class [4]", "e411300f310d300b06035504030c0474657374", 0},
    {"high tag number [31]", "9f1f0161", 0},
};

static const struct codec_case itav_cases[] = {
    {"type only", "300a06082b0601050507040d", 1},
    {"type and NULL", "300c06082b0601050507040d0500", 1},
    {"type and SEQUENCE value",
     "3081d406082b060105050704113081c73081c43081b0a00302010202021234300a06082a8648"
     "ce3d040302300d310b300906035504030c024341301e170d3236303130313030303030305a17"
     "0d3237303130313030303030305a300f310d300b06035504030c04746573743059301306072a"
     "8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d0e0f1011"
     "12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
     "38393a3b3c3d3e3f300a06082a8648ce3d0403020303003000",
     1},
    {"type and UTF8String value", "301306082b060105050704100c0770726f66696c65", 1},
    {"empty SEQUENCE", "3000", 0},
    {"no OID", "30020500", 0},
    {"two values", "300706012b05000500", 0},
    {"value with bad inner framing", "300806012b3003040301", 0},
    {"bad OID", "30050601800500", 0},
    {"[0] instead of SEQUENCE", "a00306012b", 0},
};

static const struct codec_case itavs_cases[] = {
    {"one", "300e300c06082b0601050507040d0500", 1},
    {"two", "301a300c06082b0601050507040d0500300a06082b06010505070411", 1},
    {"empty (SIZE 1..MAX)", "3000", 0},
    {"item not a SEQUENCE", "3011300c06082b0601050507040d050006012b", 0},
    {"bad second item", "3012300c06082b0601050507040d050030020500", 0},
    {"item with bad framing", "3012300c06082b0601050507040d050030050601", 0},
};

static const struct codec_case itavs_empty_cases[] = {
    {"empty (genm/genp allow it)", "3000", 1},
    {"one", "300e300c06082b0601050507040d0500", 1},
};

static const struct codec_case pkistatus_cases[] = {
    {"status accepted", "3003020100", 1},
    {"status grantedWithMods", "3003020101", 1},
    {"status rejection", "3003020102", 1},
    {"status waiting", "3003020103", 1},
    {"status revocationWarning", "3003020104", 1},
    {"status revocationNotification", "3003020105", 1},
    {"status keyUpdateWarning", "3003020106", 1},
    {"with statusString", "3012020102300d0c0b6261642072657175657374", 1},
    {"with failInfo badAlg (bit 0)", "300702010203020780", 1},
    {"with failInfo badPOP (bit 9)", "30080201020303060040", 1},
    {"with failInfo duplicateCertReq (bit 26)", "300a02010203050500000020", 1},
    {"with all 27 failInfo bits", "300a020102030505ffffffe0", 1},
    {"with statusString and failInfo", "300f02010230060c01780c017903020224", 1},
    {"failInfo with no bits set", "3006020102030100", 1},
    {"failInfo trailing zero bit", "300702010203020680", 0},
    {"failInfo trailing zero byte", "30080201020303008000", 0},
    {"failInfo badDataFormat with 0 unused bits", "300702010203020004", 0},
    {"failInfo nonzero padding bits", "300702010203020781", 0},
    {"failInfo unused bits > 7", "300702010203020880", 0},
    {"failInfo unused bits with no bytes", "3006020102030101", 0},
    {"failInfo more than 64 bits", "300f020102030a07000000000000000080", 0},
    {"failInfo before statusString", "300c0201020302078030030c0178", 0},
    {"failInfo as OCTET STRING", "3006020102040180", 0},
    {"failInfo constructed", "3009020102230403020780", 0},
    {"empty statusString", "30050201023000", 0},
    {"two failInfos", "300b0201020302078003020640", 0},
    {"trailing NULL", "30050201000500", 0},
    {"no status", "3000", 0},
    {"status ENUMERATED", "30030a0100", 0},
    {"status non-minimal", "300402020000", 0},
    {"status empty INTEGER", "30020200", 0},
    {"status 9 bytes", "300b0209010000000000000000", 0},
    {"SET instead of SEQUENCE", "3103020100", 0},
};

static const struct codec_case certs_cases[] = {
    {"one certificate",
     "3081c73081c43081b0a00302010202021234300a06082a8648ce3d040302300d310b30090603"
     "5504030c024341301e170d3236303130313030303030305a170d323730313031303030303030"
     "5a300f310d300b06035504030c04746573743059301306072a8648ce3d020106082a8648ce3d"
     "03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
     "1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f300a06082a"
     "8648ce3d0403020303003000",
     1},
    {"two certificates",
     "3081dd3081c43081b0a00302010202021234300a06082a8648ce3d040302300d310b30090603"
     "5504030c024341301e170d3236303130313030303030305a170d323730313031303030303030"
     "5a300f310d300b06035504030c04746573743059301306072a8648ce3d020106082a8648ce3d"
     "03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
     "1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f300a06082a"
     "8648ce3d040302030300300030143003020101300a06082a8648ce3d040302030100",
     1},
    {"empty (SIZE 1..MAX)", "3000", 0},
    {"item not a SEQUENCE",
     "3081ca3081c43081b0a00302010202021234300a06082a8648ce3d040302300d310b30090603"
     "5504030c024341301e170d3236303130313030303030305a170d323730313031303030303030"
     "5a300f310d300b06035504030c04746573743059301306072a8648ce3d020106082a8648ce3d"
     "03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
     "1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f300a06082a"
     "8648ce3d0403020303003000040178",
     0},
    {"item with bad inner framing", "3006300430030201", 0},
    {"SET instead of SEQUENCE",
     "3181c73081c43081b0a00302010202021234300a06082a8648ce3d040302300d310b30090603"
     "5504030c024341301e170d3236303130313030303030305a170d323730313031303030303030"
     "5a300f310d300b06035504030c04746573743059301306072a8648ce3d020106082a8648ce3d"
     "03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e"
     "1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f300a06082a"
     "8648ce3d0403020303003000",
     0},
};

static const struct codec_case certid_cases[] = {
    {"directoryName issuer", "3017a411300f310d300b06035504030c047465737402021234", 1},
    {"dNSName issuer", "300f820a63612e6578616d706c65020101", 1},
    {"negative serial", "3016a411300f310d300b06035504030c04746573740201ff", 1},
    {"20-byte serial",
     "3029a411300f310d300b06035504030c047465737402147f000102030405060708090a0b0c0d"
     "0e0f101112",
     1},
    {"serial non-minimal", "3017a411300f310d300b06035504030c04746573740202007f", 0},
    {"serial empty", "3015a411300f310d300b06035504030c04746573740200", 0},
    {"no serial", "3013a411300f310d300b06035504030c0474657374", 0},
    {"no issuer", "3003020101", 0},
    {"issuer a bare Name", "3014300f310d300b06035504030c0474657374020101", 0},
    {"serial before issuer", "3016020101a411300f310d300b06035504030c0474657374", 0},
    {"trailing NULL", "3018a411300f310d300b06035504030c04746573740201010500", 0},
    {"serial as OCTET STRING", "3016a411300f310d300b06035504030c0474657374040101", 0},
};

/* ---- checks beyond the tables ---- */

/* Decodes one hex element with a zeroed struct; 1 if it decoded and was consumed. */
static int
decode_hex(const char *hex, uint8_t *buf, size_t cap, struct der_in *in,
           int (*dec)(struct der_in *, void *, struct cmp_err *), void *out)
{
    size_t len = 0;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!check_unhex(hex, buf, cap, &len)) {
        return 0;
    }
    *in = der_in_make(buf, len);
    return dec(in, out, &err) && der_done(in);
}

/* Decoded fields match the input. */
static void
test_fields(void)
{
    uint8_t buf[256];
    struct der_in in;
    struct cmp_freetext ft;
    struct cmp_algid alg;
    struct cmp_gname gn;
    struct cmp_itav itav;
    struct cmp_pkistatus si;
    struct cmp_certid id;

    memset(&ft, 0, sizeof(ft));
    CHECK(decode_hex("300c0c01610c000c05636166c3a9", buf, sizeof(buf), &in, freetext_dec, &ft));
    CHECK(ft.num == 3 && ft.strs[0].len == 1 && ft.strs[0].p[0] == 'a' && ft.strs[1].len == 0 &&
          ft.strs[2].len == 5 && ft.strs[2].p == buf + 9);
    cmp_freetext_cleanup(&ft);
    CHECK(ft.num == 0 && ft.strs == NULL);

    memset(&alg, 0, sizeof(alg));
    CHECK(decode_hex("300d06092a864886f70d01010b0500", buf, sizeof(buf), &in, algid_dec, &alg));
    CHECK(alg.whole.p == buf && alg.whole.len == 15);
    CHECK(alg.oid.p == buf + 4 && alg.oid.len == 9);
    CHECK(alg.params.p == buf + 13 && alg.params.len == 2);
    memset(&alg, 0, sizeof(alg));
    CHECK(decode_hex("300b0609608648016503040201", buf, sizeof(buf), &in, algid_dec, &alg));
    CHECK(alg.params.len == 0 && alg.oid.len == 9);
    memset(&alg, 0, sizeof(alg));
    CHECK(
        decode_hex("a20b0609608648016503040201", buf, sizeof(buf), &in, algid_implicit_dec, &alg));
    CHECK(alg.whole.p == buf && alg.whole.len == 13 && alg.oid.p == buf + 4);

    /* directoryName: value is the Name SEQUENCE inside the explicit [4]. */
    memset(&gn, 0, sizeof(gn));
    CHECK(decode_hex("a411300f310d300b0603550403130474657374", buf, sizeof(buf), &in, gname_dec,
                     &gn));
    CHECK(gn.type == CMP_GN_DIRNAME && gn.whole.len == 19 && gn.value.p == buf + 2 &&
          gn.value.len == 17 && gn.value.p[0] == 0x30);
    memset(&gn, 0, sizeof(gn));
    CHECK(decode_hex("820b6578616d706c652e636f6d", buf, sizeof(buf), &in, gname_dec, &gn));
    CHECK(gn.type == CMP_GN_DNS && gn.value.len == 11 &&
          memcmp(gn.value.p, "example.com", 11) == 0);
    memset(&gn, 0, sizeof(gn));
    CHECK(decode_hex("8704c0000201", buf, sizeof(buf), &in, gname_dec, &gn));
    CHECK(gn.type == CMP_GN_IP && gn.value.len == 4 && gn.value.p[0] == 192);
    memset(&gn, 0, sizeof(gn));
    CHECK(decode_hex("88062b0601050507", buf, sizeof(buf), &in, gname_dec, &gn));
    CHECK(gn.type == CMP_GN_RID && gn.value.len == 6);

    memset(&itav, 0, sizeof(itav));
    CHECK(decode_hex("300a06082b0601050507040d", buf, sizeof(buf), &in, itav_dec, &itav));
    CHECK(itav.type.len == 8 && !itav.has_value && itav.value.len == 0);
    memset(&itav, 0, sizeof(itav));
    CHECK(decode_hex("300c06082b0601050507040d0500", buf, sizeof(buf), &in, itav_dec, &itav));
    CHECK(itav.has_value && itav.value.p == buf + 12 && itav.value.len == 2);

    memset(&si, 0, sizeof(si));
    CHECK(decode_hex("300f02010230060c01780c017903020224", buf, sizeof(buf), &in, pkistatus_dec,
                     &si));
    CHECK(si.status == CMP_STATUS_REJECTION && si.has_status_string && si.status_string.num == 2 &&
          si.has_fail_info &&
          si.fail_info == ((1u << CMP_FI_BAD_REQUEST) | (1u << CMP_FI_BAD_DATA_FORMAT)));
    cmp_pkistatus_cleanup(&si);

    memset(&id, 0, sizeof(id));
    CHECK(decode_hex("3017a411300f310d300b060355040313047465737402021234", buf, sizeof(buf), &in,
                     certid_dec, &id));
    CHECK(id.issuer.type == CMP_GN_DIRNAME && id.serial.len == 2 && id.serial.p[0] == 0x12);
}

/* A failure in the middle of a SEQUENCE OF leaves |in| and frees nothing twice. */
static void
test_half_filled(void)
{
    uint8_t buf[64];
    size_t len = 0;
    struct der_in in;
    struct cmp_err err;
    struct cmp_freetext ft;
    struct cmp_itavs itavs;

    /* The second string is bad: the array was allocated, the caller frees it. */
    CHECK(check_unhex("30070c0161 13026162", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&ft, 0, sizeof(ft));
    cmp_err_init(&err);
    CHECK(!cmp_freetext_decode(&in, &ft, &err));
    CHECK(in.p == buf && in.len == len && err.code == CMP_E_DECODE);
    CHECK(err.pos == buf + 5); /* at the PrintableString */
    CHECK(err.num_frames == 1 && strstr(err.frames[0], "PKIFreeText #1") != NULL);
    cmp_freetext_cleanup(&ft);

    CHECK(check_unhex("300a 300306012b 3003050000", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&itavs, 0, sizeof(itavs));
    cmp_err_init(&err);
    CHECK(!cmp_itavs_decode(&in, DER_SEQUENCE, 1, &itavs, &err));
    CHECK(in.p == buf && in.len == len && err.code == CMP_E_DECODE);
    CHECK(err.pos == buf + 9); /* at the second InfoTypeAndValue's infoType */
    cmp_itavs_cleanup(&itavs);
    CHECK(itavs.num == 0 && itavs.items == NULL);
}

/* Every PKIFailureInfo bit, alone and all together, encodes minimally and decodes back. */
static void
test_fail_info_bits(void)
{
    int bit;

    for (bit = 0; bit <= CMP_FI_MAX + 1; bit++) {
        struct cmp_pkistatus si, back;
        struct der_out out;
        struct der_in in;
        struct cmp_err err;
        uint8_t *enc = NULL;
        size_t len = 0;
        char name[64];

        memset(&si, 0, sizeof(si));
        si.status = CMP_STATUS_REJECTION;
        si.has_fail_info = 1;
        /* bit CMP_FI_MAX + 1: all 27 named bits at once */
        si.fail_info = bit <= CMP_FI_MAX ? (uint64_t)1 << bit : ((uint64_t)1 << 27) - 1;
        snprintf(name, sizeof(name), "failInfo bit %d", bit);
        if (bit <= CMP_FI_MAX) {
            CHECK_CASE(name, cmp_failure_bit_name(bit) != NULL);
        }
        der_out_init(&out, 64);
        if (!CHECK_CASE(name,
                        cmp_pkistatus_encode(&out, &si) && der_out_finish(&out, &enc, &len))) {
            der_out_cleanup(&out);
            continue;
        }
        /* 30 L 02 01 02 03 n unused bytes...: the last byte ends in a 1 bit. */
        CHECK_CASE(name, len >= 8 && enc[5] == 0x03);
        CHECK_CASE(name, enc[len - 1] & (1u << enc[7]));
        CHECK_CASE(name, (size_t)enc[6] == 1 + (size_t)(bit <= CMP_FI_MAX ? bit / 8 + 1 : 4));
        in = der_in_make(enc, len);
        memset(&back, 0, sizeof(back));
        cmp_err_init(&err);
        CHECK_CASE(name, cmp_pkistatus_decode(&in, &back, &err) && der_done(&in) &&
                             back.has_fail_info && back.fail_info == si.fail_info);
        cmp_pkistatus_cleanup(&back);
        codec_check_sweeps(&pkistatus_codec, name, enc, len);
        free(enc);
    }
    CHECK(cmp_failure_bit_name(CMP_FI_MAX + 1) == NULL);
    CHECK(cmp_failure_bit_name(-1) == NULL);
}

/* cmp_gname_set_dirname() builds the explicit [4] wrapper. */
static void
test_set_dirname(void)
{
    static const uint8_t name[] = {0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55,
                                   0x04, 0x03, 0x13, 0x04, 0x74, 0x65, 0x73, 0x74};
    struct der_in nm = der_in_make(name, sizeof(name)), in;
    uint8_t buf[sizeof(name) + 6], small[4];
    struct cmp_gname gn, back;
    struct der_out out;
    struct cmp_err err;
    uint8_t *enc = NULL;
    size_t len = 0;

    memset(&gn, 0, sizeof(gn));
    CHECK(cmp_gname_set_dirname(&gn, buf, sizeof(buf), &nm));
    CHECK(gn.type == CMP_GN_DIRNAME && gn.whole.len == sizeof(name) + 2 && buf[0] == 0xa4 &&
          buf[1] == sizeof(name) && der_in_eq(&gn.value, &nm));
    der_out_init(&out, 64);
    CHECK(cmp_gname_encode(&out, &gn) && der_out_finish(&out, &enc, &len));
    CHECK_MEM("set_dirname", enc, len, buf, sizeof(name) + 2);
    in = der_in_make(enc, len);
    memset(&back, 0, sizeof(back));
    cmp_err_init(&err);
    CHECK(cmp_gname_decode(&in, &back, &err) && back.type == CMP_GN_DIRNAME &&
          der_in_eq(&back.value, &nm));
    free(enc);
    memset(&gn, 0, sizeof(gn));
    CHECK(!cmp_gname_set_dirname(&gn, small, sizeof(small), &nm));
}

/* SEQUENCE OF limits: CMP_MAX_ITEMS elements decode, one more is CMP_E_LIMIT. */
static void
test_limits(void)
{
    static const uint32_t seq[] = {DER_SEQUENCE};

    codec_check_repeat(&freetext_codec, "PKIFreeText 256", seq, 1, "0c0178", CMP_MAX_ITEMS, 1, 0);
    codec_check_repeat(&freetext_codec, "PKIFreeText 257", seq, 1, "0c0178", CMP_MAX_ITEMS + 1, 0,
                       CMP_E_LIMIT);
    codec_check_repeat(&itavs_codec, "InfoTypeAndValues 256", seq, 1, "300306012b", CMP_MAX_ITEMS,
                       1, 0);
    codec_check_repeat(&itavs_codec, "InfoTypeAndValues 257", seq, 1, "300306012b",
                       CMP_MAX_ITEMS + 1, 0, CMP_E_LIMIT);
    codec_check_repeat(&itavs_empty_codec, "GenMsgContent 257", seq, 1, "300306012b",
                       CMP_MAX_ITEMS + 1, 0, CMP_E_LIMIT);
    codec_check_repeat(&certs_codec, "certificates 256", seq, 1, "3000", CMP_MAX_ITEMS, 1, 0);
    codec_check_repeat(&certs_codec, "certificates 257", seq, 1, "3000", CMP_MAX_ITEMS + 1, 0,
                       CMP_E_LIMIT);
}

/*
 * encode_fails() is 1 if |enc| refuses |v| and leaves the writer failed, so
 * that no partial output escapes.
 */
static int
encode_fails(int (*enc)(struct der_out *, const void *), const void *v)
{
    struct der_out out;
    int refused;

    der_out_init(&out, 256);
    refused = !enc(&out, v) && !der_out_ok(&out);
    der_out_cleanup(&out);
    return refused;
}

/* SIZE (1..MAX) lists: an empty one has no DER encoding, so the encoders refuse it. */
static void
test_encode_refusals(void)
{
    struct cmp_freetext ft;
    struct cmp_certs certs;
    struct cmp_pkistatus si;

    memset(&ft, 0, sizeof(ft));
    CHECK(encode_fails(freetext_enc, &ft));
    memset(&certs, 0, sizeof(certs));
    CHECK(encode_fails(certs_enc, &certs));
    memset(&si, 0, sizeof(si));
    si.has_status_string = 1;
    CHECK(encode_fails(pkistatus_enc, &si));
}

int
main(void)
{
    codec_check_cases(&freetext_codec, freetext_cases, CODEC_NUM(freetext_cases));
    codec_check_cases(&algid_codec, algid_cases, CODEC_NUM(algid_cases));
    codec_check_cases(&algid_implicit_codec, algid_implicit_cases, CODEC_NUM(algid_implicit_cases));
    codec_check_cases(&gname_codec, gname_cases, CODEC_NUM(gname_cases));
    codec_check_cases(&itav_codec, itav_cases, CODEC_NUM(itav_cases));
    codec_check_cases(&itavs_codec, itavs_cases, CODEC_NUM(itavs_cases));
    codec_check_cases(&itavs_empty_codec, itavs_empty_cases, CODEC_NUM(itavs_empty_cases));
    codec_check_cases(&pkistatus_codec, pkistatus_cases, CODEC_NUM(pkistatus_cases));
    codec_check_cases(&certs_codec, certs_cases, CODEC_NUM(certs_cases));
    codec_check_cases(&certid_codec, certid_cases, CODEC_NUM(certid_cases));
    test_fields();
    test_half_filled();
    test_fail_info_bits();
    test_set_dirname();
    test_limits();
    test_encode_refusals();
    return check_finish();
}
