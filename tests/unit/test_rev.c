/*
 * Unit tests for lib/msg/rev.c: rr (RevReqContent, with crlEntryDetails) and
 * rp (RevRepContent: status, revCerts, crls), through the codecs of the body
 * table. Every accepted row re-encodes byte for byte and gets the sweeps of
 * tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

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

static void
test_fields(void)
{
    uint8_t buf[256];
    size_t len = 0;
    struct der_in in;
    struct cmp_err err;
    struct cmp_rev_req rr;
    struct cmp_rev_rep rp;

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
}

/* Models the encoders refuse: they would not be valid DER for the ASN.1. */
static void
test_encode_refusals(void)
{
    struct der_out out;
    struct cmp_rev_rep rp;
    struct cmp_pkistatus st;

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
test_limits(const struct codec *rr, const struct codec *rp)
{
    static const uint32_t seq[] = {DER_SEQUENCE};
    static const uint32_t seq2[] = {DER_SEQUENCE, DER_SEQUENCE};
    int crls;

    codec_check_limit(rr, "RevReqContent", seq, 1, "3002 3000");
    codec_check_limit(rp, "RevRepContent.status", seq2, 2, "3003 020100");
    for (crls = 0; crls <= 1; crls++) {
        const char *what = crls ? "RevRepContent.crls" : "RevRepContent.revCerts";
        uint8_t *der = NULL;
        size_t len = 0;
        struct cmp_err err;

        if (CHECK_CASE(what, build_rp(CMP_MAX_ITEMS, crls, &der, &len))) {
            codec_check_one(rp, what, der, len, CODEC_ACCEPT, NULL);
            free(der);
        }
        if (CHECK_CASE(what, build_rp(CMP_MAX_ITEMS + 1, crls, &der, &len))) {
            cmp_err_init(&err);
            CHECK_CASE(what, !codec_check_one(rp, what, der, len, CODEC_REJECT, &err) &&
                                 err.code == CMP_E_LIMIT);
            free(der);
        }
    }
}

int
main(void)
{
    struct codec rr = codec_of_body(CMP_BODY_RR), rp = codec_of_body(CMP_BODY_RP);

    codec_check_cases(&rr, rr_cases, CODEC_NUM(rr_cases));
    codec_check_cases(&rp, rp_cases, CODEC_NUM(rp_cases));
    test_fields();
    test_encode_refusals();
    test_limits(&rr, &rp);
    /* Errors point into the failing element and name the field. */
    codec_check_error(&rr, "rr critical FALSE", "301530133000300f300d0603551d1501010004030a0101",
                      15, 3, "Extension.critical");
    return check_finish();
}
