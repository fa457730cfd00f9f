/*
 * Unit tests for lib/msg/bodies.c: rr (RevReqContent, with crlEntryDetails),
 * rp (RevRepContent: status, revCerts, crls), error (ErrorMsgContent:
 * errorCode, errorDetails), certConf (hashAlg, statusInfo, empty), pollReq,
 * pollRep (reason; a negative checkAfter is rejected) and the opaque bodies.
 * Every accepted row re-encodes byte for byte and gets the sweeps of
 * tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static int
rr_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_rev_req_decode(in, out, err);
}

static int
rr_enc(struct der_out *out, const void *v)
{
    return cmp_rev_req_encode(out, v);
}

static void
rr_free(void *v)
{
    cmp_rev_req_cleanup(v);
}

static int
rp_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_rev_rep_decode(in, out, err);
}

static int
rp_enc(struct der_out *out, const void *v)
{
    return cmp_rev_rep_encode(out, v);
}

static void
rp_free(void *v)
{
    cmp_rev_rep_cleanup(v);
}

static int
error_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_error_msg_decode(in, out, err);
}

static int
error_enc(struct der_out *out, const void *v)
{
    return cmp_error_msg_encode(out, v);
}

static void
error_free(void *v)
{
    cmp_error_msg_cleanup(v);
}

static int
certconf_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_certconf_decode(in, out, err);
}

static int
certconf_enc(struct der_out *out, const void *v)
{
    return cmp_certconf_encode(out, v);
}

static void
certconf_free(void *v)
{
    cmp_certconf_cleanup(v);
}

static int
pollreq_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_poll_req_decode(in, out, err);
}

static int
pollreq_enc(struct der_out *out, const void *v)
{
    return cmp_poll_req_encode(out, v);
}

static void
pollreq_free(void *v)
{
    cmp_poll_req_cleanup(v);
}

static int
pollrep_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_poll_rep_decode(in, out, err);
}

static int
pollrep_enc(struct der_out *out, const void *v)
{
    return cmp_poll_rep_encode(out, v);
}

static void
pollrep_free(void *v)
{
    cmp_poll_rep_cleanup(v);
}

static int
opaque_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_opaque_decode(in, out, err);
}

static int
opaque_enc(struct der_out *out, const void *v)
{
    return der_put_in(out, v);
}

static const struct codec rr_codec = {"RevReqContent", sizeof(struct cmp_rev_req), rr_dec, rr_enc,
                                      rr_free};
static const struct codec rp_codec = {"RevRepContent", sizeof(struct cmp_rev_rep), rp_dec, rp_enc,
                                      rp_free};
static const struct codec error_codec = {"ErrorMsgContent", sizeof(struct cmp_error_msg), error_dec,
                                         error_enc, error_free};
static const struct codec certconf_codec = {"CertConfirmContent", sizeof(struct cmp_certconf),
                                            certconf_dec, certconf_enc, certconf_free};
static const struct codec pollreq_codec = {"PollReqContent", sizeof(struct cmp_poll_req),
                                           pollreq_dec, pollreq_enc, pollreq_free};
static const struct codec pollrep_codec = {"PollRepContent", sizeof(struct cmp_poll_rep),
                                           pollrep_dec, pollrep_enc, pollrep_free};
static const struct codec opaque_codec = {"opaque PKIBody content", sizeof(struct der_in),
                                          opaque_dec, opaque_enc, NULL};

/* A row for test_errors(): |type| is the body whose content |hex| is. */
struct err_case {
    const char *name;
    int type;
    const char *hex;
    size_t offset, len; /* the failing element */
    const char *field;  /* what cmp_err_format() must name */
};

static const struct codec_case rr_cases[] = {
    {"empty RevReqContent", "3000", 1},
    {"empty template", "300430023000", 1},
    {"serialNumber and issuer", "30193017301581021234a30f300d310b300906035504030c024341", 1},
    {"crlEntryDetails reasonCode",
     "30273025301581021234a30f300d310b300906035504030c024341300c300a0603551d150403"
     "0a0101",
     1},
    {"crlEntryDetails critical",
     "302a3028301581021234a30f300d310b300906035504030c024341300f300d0603551d150101"
     "ff04030a0101",
     1},
    {"crlEntryDetails two extensions",
     "3041303f301581021234a30f300d310b300906035504030c0243413026300a0603551d150403"
     "0a010130180603551d180411180f32303236303130313030303030305a",
     1},
    {"two RevDetails", "301930103000300c300a0603551d1504030a010130053003810105", 1},
    {"crlEntryDetails empty (SIZE 1..MAX)", "3006300430003000", 0},
    {"crlEntryDetails critical FALSE", "301530133000300f300d0603551d1501010004030a0101", 0},
    {"crlEntryDetails critical 01", "301330113000300d300b0603551d15010101040100", 0},
    {"crlEntryDetails no extnValue", "300d300b3000300730050603551d15", 0},
    {"crlEntryDetails no extnID", "300b3009300030053003040100", 0},
    {"crlEntryDetails extension trailing", "3011300f3000300b30090603551d1504000500", 0},
    {"crlEntryDetails item not an Extension", "30083006300030020500", 0},
    {"crlEntryDetails [0] tagged", "301430123000a00e300c300a0603551d1504030a0101", 0},
    {"RevDetails without template", "30023000", 0},
    {"RevDetails template not a SEQUENCE", "300430023100", 0},
    {"template bad version", "30083006300480020001", 0},
    {"template fields out of order", "300a30083006810102800102", 0},
    {"RevDetails trailing", "301430123000300c300a0603551d1504030a01010500", 0},
    {"two crlEntryDetails", "3020301e3000300c300a0603551d1504030a0101300c300a0603551d1504030a0101",
     0},
    {"item not a SEQUENCE", "30020500", 0},
    {"SET instead of SEQUENCE", "310430023000", 0},
};

static const struct codec_case rp_cases[] = {
    {"one status", "300730053003020100", 1},
    {"two statuses", "301c301a3003020100301302010230090c077265766f6b65640303050020", 1},
    {"revCerts", "302430053003020100a01b30193017a411300f310d300b06035504030c047465737402021234", 1},
    {"revCerts two",
     "3042300a30030201003003020100a03430323017a411300f310d300b06035504030c04746573"
     "74020212343017a411300f310d300b06035504030c047465737402021234",
     1},
    {"crls",
     "304930053003020100a140303e303c302a300a06082a8648ce3d040302300d310b3009060355"
     "04030c024341170d3236303130313030303030305a300a06082a8648ce3d04030203020000",
     1},
    {"crls two",
     "30818b30053003020100a18181307f303c302a300a06082a8648ce3d040302300d310b300906"
     "035504030c024341170d3236303130313030303030305a300a06082a8648ce3d040302030200"
     "00303f302d020101300a06082a8648ce3d040302300d310b300906035504030c024341170d32"
     "36303130313030303030305a300a06082a8648ce3d04030203020000",
     1},
    {"revCerts and crls",
     "306630053003020100a01b30193017a411300f310d300b06035504030c047465737402021234"
     "a140303e303c302a300a06082a8648ce3d040302300d310b300906035504030c024341170d32"
     "36303130313030303030305a300a06082a8648ce3d04030203020000",
     1},
    {"status empty (SIZE 1..MAX)", "30023000", 0},
    {"no status", "3000", 0},
    {"status item bad", "3009300730050201003000", 0},
    {"status item not a SEQUENCE", "30053003020100", 0},
    /* SIZE (1..MAX), but openssl 3.0's mock server sends it (rr by -csr) */
    {"revCerts empty (openssl 3.0 mock server)", "300b30053003020100a0023000", 1},
    {"revCerts IMPLICIT",
     "302230053003020100a0193017a411300f310d300b06035504030c047465737402021234", 0},
    {"revCerts [0] primitive",
     "302430053003020100801b30193017a411300f310d300b06035504030c047465737402021234", 0},
    {"revCerts trailing in [0]",
     "302630053003020100a01d30193017a411300f310d300b06035504030c047465737402021234"
     "0500",
     0},
    {"revCerts CertId without serial",
     "302030053003020100a01730153013a411300f310d300b06035504030c0474657374", 0},
    {"revCerts CertId bad issuer",
     "302130053003020100a01830163014300f310d300b06035504030c0474657374020101", 0},
    {"crls empty (SIZE 1..MAX)", "300b30053003020100a1023000", 0},
    {"crls IMPLICIT",
     "304730053003020100a13e303c302a300a06082a8648ce3d040302300d310b30090603550403"
     "0c024341170d3236303130313030303030305a300a06082a8648ce3d04030203020000",
     0},
    {"crls item not a SEQUENCE", "300d30053003020100a10430020500", 0},
    {"crls trailing in [1]",
     "304b30053003020100a142303e303c302a300a06082a8648ce3d040302300d310b3009060355"
     "04030c024341170d3236303130313030303030305a300a06082a8648ce3d0403020302000005"
     "00",
     0},
    {"crls before revCerts",
     "306630053003020100a140303e303c302a300a06082a8648ce3d040302300d310b3009060355"
     "04030c024341170d3236303130313030303030305a300a06082a8648ce3d04030203020000a0"
     "1b30193017a411300f310d300b06035504030c047465737402021234",
     0},
    {"revCerts twice",
     "304130053003020100a01b30193017a411300f310d300b06035504030c047465737402021234"
     "a01b30193017a411300f310d300b06035504030c047465737402021234",
     0},
    {"unknown field [2]", "300b30053003020100a2020500", 0},
    {"trailing NULL", "3009300530030201000500", 0},
};

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

static const struct codec_case certconf_cases[] = {
    {"empty (rejects every certificate)", "3000", 1},
    {"certHash and certReqId",
     "302730250420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100",
     1},
    {"with statusInfo",
     "302c302a0420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "0201003003020100",
     1},
    {"with rejection statusInfo",
     "303930370420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100301002010230070c0577726f6e6703020001",
     1},
    {"with hashAlg",
     "303b30390420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "0201003003020100a00d300b0609608648016503040201",
     1},
    {"hashAlg with NULL parameters",
     "303d303b0420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "0201003003020100a00f300d06096086480165030402010500",
     1},
    {"hashAlg without statusInfo",
     "303630340420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a00d300b0609608648016503040201",
     1},
    {"two CertStatus",
     "303430250420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100300b0401010201ff3003020100",
     1},
    {"empty certHash", "300730050400020100", 1},
    {"CertStatus empty", "30023000", 0},
    {"no certReqId", "302430220420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     0},
    {"certReqId before certHash",
     "302730250201000420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c"
     "1d1e1f",
     0},
    {"certHash constructed", "300a30082403040101020100", 0},
    {"certHash BIT STRING", "3009300703020001020100", 0},
    {"certReqId non-minimal",
     "302830260420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "0202007f",
     0},
    {"statusInfo bad",
     "302e302c0420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "02010030050201003000",
     0},
    {"hashAlg IMPLICIT",
     "303430320420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a00b0609608648016503040201",
     0},
    {"hashAlg trailing in [0]",
     "303830360420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a00f300b06096086480165030402010500",
     0},
    {"hashAlg empty [0]",
     "302930270420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a000",
     0},
    {"hashAlg [0] primitive",
     "303630340420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100800d300b0609608648016503040201",
     0},
    {"hashAlg before statusInfo",
     "303b30390420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a00d300b06096086480165030402013003020100",
     0},
    {"hashAlg [1]",
     "303630340420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a10d300b0609608648016503040201",
     0},
    {"two statusInfo",
     "3031302f0420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "02010030030201003003020100",
     0},
    {"CertStatus trailing NULL",
     "302930270420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "0201000500",
     0},
    {"item not a SEQUENCE", "30020500", 0},
    {"indefinite length", "308030060401010201000000", 0},
};

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
    {"checkAfter negative", "300830060201000201ff", 0},
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
    {"second item bad", "3010300602010002010530060201010201fb", 0},
};

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

static const struct err_case body_errors[] = {
    {"pollRep negative checkAfter", 26, "3010300602010002010530060201010201fb", 15, 3,
     "PollRepContent.checkAfter"},
    {"certConf hashAlg IMPLICIT", 24,
     "303430320420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "020100a00b0609608648016503040201",
     43, 11, "CertStatus.hashAlg"},
    {"rr critical FALSE", 11, "301530133000300f300d0603551d1501010004030a0101", 15, 3,
     "Extension.critical"},
    {"error code after details", 23, "300d300302010230030c0161020101", 12, 3, "ErrorMsgContent"},
    {"pollReq extra field", 25, "300c300302010030050201010500", 12, 2, "PollReqContent"},
};

static const struct codec *
codec_for(int type)
{
    switch (type) {
    case CMP_BODY_RR:
        return &rr_codec;
    case CMP_BODY_RP:
        return &rp_codec;
    case CMP_BODY_ERROR:
        return &error_codec;
    case CMP_BODY_CERTCONF:
        return &certconf_codec;
    case CMP_BODY_POLLREQ:
        return &pollreq_codec;
    case CMP_BODY_POLLREP:
        return &pollrep_codec;
    default:
        return &opaque_codec;
    }
}

/* Decoded fields of a few bodies. */
static void
test_fields(void)
{
    uint8_t buf[256];
    size_t len = 0;
    struct der_in in;
    struct cmp_err err;
    struct cmp_rev_req rr;
    struct cmp_rev_rep rp;
    struct cmp_error_msg em;
    struct cmp_certconf cc;
    struct cmp_poll_rep pr;

    /* rr: serialNumber 0x1234, crlEntryDetails reasonCode */
    CHECK(check_unhex("3016 3014 3004 81021234 300c 300a 0603551d15 0403 0a0101", buf, sizeof(buf),
                      &len));
    in = der_in_make(buf, len);
    memset(&rr, 0, sizeof(rr));
    cmp_err_init(&err);
    CHECK(cmp_rev_req_decode(&in, &rr, &err) && der_done(&in));
    CHECK(rr.num == 1 && rr.items[0].cert_details.has_serial &&
          rr.items[0].cert_details.serial.len == 2 && rr.items[0].has_crl_entry_details &&
          rr.items[0].crl_entry_details.p == buf + 10 && rr.items[0].crl_entry_details.len == 14);
    cmp_rev_req_cleanup(&rr);

    /* rp: two statuses, revCerts with one CertId */
    CHECK(check_unhex("3025 300a 3003020100 3003020102 a017 3015 3013 a40e300c310a30080603550403"
                      "0c0178 020101",
                      buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&rp, 0, sizeof(rp));
    cmp_err_init(&err);
    CHECK(cmp_rev_rep_decode(&in, &rp, &err) && der_done(&in));
    CHECK(rp.num_status == 2 && rp.status[1].status == CMP_STATUS_REJECTION && rp.has_rev_certs &&
          rp.num_rev_certs == 1 && rp.rev_certs[0].serial.len == 1 && !rp.has_crls);
    cmp_rev_rep_cleanup(&rp);

    /* error: errorCode 500, errorDetails "a" */
    CHECK(check_unhex("300e 3003020102 020201f4 30030c0161", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&em, 0, sizeof(em));
    cmp_err_init(&err);
    CHECK(cmp_error_msg_decode(&in, &em, &err) && der_done(&in));
    CHECK(em.status.status == CMP_STATUS_REJECTION && em.has_error_code && em.error_code == 500 &&
          em.has_error_details && em.error_details.num == 1);
    cmp_error_msg_cleanup(&em);

    /* certConf: certHash 01, certReqId -1, statusInfo, hashAlg sha256 */
    CHECK(check_unhex("301c 301a 040101 0201ff 3003020100 a00d300b0609608648016503040201", buf,
                      sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&cc, 0, sizeof(cc));
    cmp_err_init(&err);
    CHECK(cmp_certconf_decode(&in, &cc, &err) && der_done(&in));
    CHECK(cc.num == 1 && cc.items[0].cert_hash.len == 1 && cc.items[0].cert_req_id == -1 &&
          cc.items[0].has_status && cc.items[0].has_hash_alg && cc.items[0].hash_alg.oid.len == 9);
    cmp_certconf_cleanup(&cc);

    /* pollRep: checkAfter 60, reason */
    CHECK(check_unhex("300f 300d 020101 02013c 3005 0c03616263", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&pr, 0, sizeof(pr));
    cmp_err_init(&err);
    CHECK(cmp_poll_rep_decode(&in, &pr, &err) && der_done(&in));
    CHECK(pr.num == 1 && pr.items[0].cert_req_id == 1 && pr.items[0].check_after == 60 &&
          pr.items[0].has_reason && pr.items[0].reason.num == 1);
    cmp_poll_rep_cleanup(&pr);
}

/* Models the encoders refuse: they would not be valid DER for the ASN.1. */
static void
test_encode_refusals(void)
{
    struct der_out out;
    struct cmp_rev_rep rp;
    struct cmp_poll_rep pr;
    struct cmp_poll_rep_item item;
    struct cmp_pkistatus st;
    struct cmp_error_msg em;

    memset(&rp, 0, sizeof(rp));
    der_out_init(&out, 256);
    CHECK(!cmp_rev_rep_encode(&out, &rp) && !der_out_ok(&out)); /* status SIZE (1..MAX) */
    der_out_cleanup(&out);

    memset(&st, 0, sizeof(st));
    rp.num_status = 1;
    rp.status = &st;
    rp.has_rev_certs = 1; /* with no CertIds: kept as decoded (openssl 3.0's mock server) */
    der_out_init(&out, 256);
    CHECK(cmp_rev_rep_encode(&out, &rp) && der_out_ok(&out));
    der_out_cleanup(&out);

    rp.has_rev_certs = 0;
    rp.has_crls = 1; /* with no CRLs */
    der_out_init(&out, 256);
    CHECK(!cmp_rev_rep_encode(&out, &rp) && !der_out_ok(&out));
    der_out_cleanup(&out);

    memset(&em, 0, sizeof(em));
    em.has_error_details = 1; /* with no strings */
    der_out_init(&out, 256);
    CHECK(!cmp_error_msg_encode(&out, &em) && !der_out_ok(&out));
    der_out_cleanup(&out);

    memset(&item, 0, sizeof(item));
    item.check_after = -1;
    pr.num = 1;
    pr.items = &item;
    der_out_init(&out, 256);
    CHECK(!cmp_poll_rep_encode(&out, &pr) && !der_out_ok(&out));
    der_out_cleanup(&out);

    item.check_after = 5;
    item.has_reason = 1; /* with no strings */
    der_out_init(&out, 256);
    CHECK(!cmp_poll_rep_encode(&out, &pr) && !der_out_ok(&out));
    der_out_cleanup(&out);
}

/*
 * build_rp() writes RevRepContent { { status }, [0] { n x CertId } }
 * or, with |crls|, { { status }, [1] { n x CertificateList } }.
 */
static int
build_rp(size_t n, int crls, uint8_t **out_buf, size_t *out_len)
{
    static const uint8_t status[] = {0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00};
    static const uint8_t certid[] = {0x30, 0x07, 0xa4, 0x02, 0x30, 0x00, 0x02, 0x01, 0x01};
    static const uint8_t crl[] = {0x30, 0x00};
    struct der_out out;
    size_t seq, tag, list, i;
    int ok;

    der_out_init(&out, DER_OUT_DEFAULT_MAX);
    ok = der_open(&out, DER_SEQUENCE, &seq) && der_put_raw(&out, status, sizeof(status)) &&
         der_open(&out, DER_EXPLICIT(crls ? 1 : 0), &tag) && der_open(&out, DER_SEQUENCE, &list);
    for (i = 0; ok && i < n; i++) {
        ok = crls ? der_put_raw(&out, crl, sizeof(crl)) : der_put_raw(&out, certid, sizeof(certid));
    }
    ok = ok && der_close(&out, list) && der_close(&out, tag) && der_close(&out, seq);
    if (!ok || !der_out_finish(&out, out_buf, out_len)) {
        der_out_cleanup(&out);
        return 0;
    }
    return 1;
}

/* Every SEQUENCE OF: CMP_MAX_ITEMS elements decode, one more is CMP_E_LIMIT. */
static void
test_limits(void)
{
    static const uint32_t seq[] = {DER_SEQUENCE};
    static const uint32_t seq2[] = {DER_SEQUENCE, DER_SEQUENCE};
    static const struct {
        const struct codec *c;
        const char *name;
        const uint32_t *wraps;
        size_t num_wraps;
        const char *item;
    } rows[] = {
        {&rr_codec, "RevReqContent", seq, 1, "3002 3000"},
        {&rp_codec, "RevRepContent.status", seq2, 2, "3003 020100"},
        {&certconf_codec, "CertConfirmContent", seq, 1, "3006 040101 020100"},
        {&pollreq_codec, "PollReqContent", seq, 1, "3003 020100"},
        {&pollrep_codec, "PollRepContent", seq, 1, "3006 020100 020105"},
    };
    size_t i;
    int crls;

    for (i = 0; i < CODEC_NUM(rows); i++) {
        char name[128];

        snprintf(name, sizeof(name), "%s %d", rows[i].name, CMP_MAX_ITEMS);
        codec_check_repeat(rows[i].c, name, rows[i].wraps, rows[i].num_wraps, rows[i].item,
                           CMP_MAX_ITEMS, 1, 0);
        snprintf(name, sizeof(name), "%s %d", rows[i].name, CMP_MAX_ITEMS + 1);
        codec_check_repeat(rows[i].c, name, rows[i].wraps, rows[i].num_wraps, rows[i].item,
                           CMP_MAX_ITEMS + 1, 0, CMP_E_LIMIT);
    }
    for (crls = 0; crls <= 1; crls++) {
        const char *what = crls ? "RevRepContent.crls" : "RevRepContent.revCerts";
        uint8_t *der = NULL;
        size_t len = 0;
        struct cmp_err err;

        if (CHECK_CASE(what, build_rp(CMP_MAX_ITEMS, crls, &der, &len))) {
            codec_check_one(&rp_codec, what, der, len, CODEC_ACCEPT, NULL);
            free(der);
        }
        if (CHECK_CASE(what, build_rp(CMP_MAX_ITEMS + 1, crls, &der, &len))) {
            cmp_err_init(&err);
            CHECK_CASE(what, !codec_check_one(&rp_codec, what, der, len, CODEC_REJECT, &err) &&
                                 err.code == CMP_E_LIMIT);
            free(der);
        }
    }
}

/*
 * Errors point into the failing element (err.pos within [offset, offset +
 * len)) and cmp_err_format() names the field.
 */
static void
test_errors(void)
{
    size_t i;

    for (i = 0; i < CODEC_NUM(body_errors); i++) {
        uint8_t buf[256];
        size_t len = 0;
        struct der_in in;
        struct cmp_err err;
        char text[1024];
        const char *name = body_errors[i].name;
        const struct codec *c = codec_for(body_errors[i].type);
        const uint8_t *lo = buf + body_errors[i].offset, *hi = lo + body_errors[i].len;
        void *v;

        if (!CHECK_CASE(name, check_unhex(body_errors[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        v = calloc(1, c->size);
        if (!CHECK_CASE(name, v != NULL)) {
            continue;
        }
        in = der_in_make(buf, len);
        cmp_err_init(&err);
        CHECK_CASE(name, !c->decode(&in, v, &err));
        CHECK_CASE(name, in.p == buf && in.len == len && err.code == CMP_E_DECODE);
        if (!CHECK_CASE(name, err.pos != NULL && err.pos >= lo && err.pos < hi)) {
            fprintf(stderr, "    err.pos at %ld, expected %zu..%zu\n",
                    err.pos != NULL ? (long)(err.pos - buf) : -1L, body_errors[i].offset,
                    body_errors[i].offset + body_errors[i].len - 1);
        }
        cmp_err_format(&err, text, sizeof(text));
        if (!CHECK_CASE(name, strstr(text, body_errors[i].field) != NULL)) {
            fprintf(stderr, "    got: %s\n", text);
        }
        if (c->cleanup != NULL) {
            c->cleanup(v);
        }
        free(v);
    }
}

int
main(void)
{
    codec_check_cases(&rr_codec, rr_cases, CODEC_NUM(rr_cases));
    codec_check_cases(&rp_codec, rp_cases, CODEC_NUM(rp_cases));
    codec_check_cases(&error_codec, error_cases, CODEC_NUM(error_cases));
    codec_check_cases(&certconf_codec, certconf_cases, CODEC_NUM(certconf_cases));
    codec_check_cases(&pollreq_codec, pollreq_cases, CODEC_NUM(pollreq_cases));
    codec_check_cases(&pollrep_codec, pollrep_cases, CODEC_NUM(pollrep_cases));
    codec_check_cases(&opaque_codec, opaque_cases, CODEC_NUM(opaque_cases));
    test_fields();
    test_encode_refusals();
    test_limits();
    test_errors();
    return check_finish();
}
