/*
 * Unit tests for lib/msg/genmval.c: the values of the genm/genp support
 * messages (RFC 9810 5.3.19.15-17): RootCaKeyUpdateContent,
 * CertReqTemplateContent and the CRLStatus list, through the table runner
 * and the mutation sweeps of tests/support/codec_check.h; the syntax check
 * of a value by its infoType; and the printer lines of each.
 *
 * Certificates inside the values are only framed here (a SEQUENCE), so
 * "3003020101" stands for one.
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/internal.h"
#include "msg/msg.h"

/* ---- the codecs behind codec_check's uniform signature ---- */

static int
rcku_decode(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_root_ca_key_update_decode(in, out, err);
}

static int
rcku_encode(struct der_out *out, const void *v)
{
    return cmp_root_ca_key_update_encode(out, v);
}

static int
crt_decode(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_cert_req_template_decode(in, out, err);
}

static int
crt_encode(struct der_out *out, const void *v)
{
    return cmp_cert_req_template_encode(out, v);
}

static void
crt_cleanup(void *v)
{
    cmp_cert_req_template_cleanup(v);
}

static int
csl_decode(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_crl_status_list_decode(in, out, err);
}

static int
csl_encode(struct der_out *out, const void *v)
{
    return cmp_crl_status_list_encode(out, v);
}

static void
csl_cleanup(void *v)
{
    cmp_crl_status_list_cleanup(v);
}

static const struct codec rcku_codec = {"RootCaKeyUpdateContent",
                                        sizeof(struct cmp_root_ca_key_update),
                                        rcku_decode,
                                        rcku_encode,
                                        NULL,
                                        NULL};
static const struct codec crt_codec = {"CertReqTemplateContent",
                                       sizeof(struct cmp_cert_req_template),
                                       crt_decode,
                                       crt_encode,
                                       crt_cleanup,
                                       NULL};
static const struct codec csl_codec = {"CRLStatusListValue", sizeof(struct cmp_crl_status_list),
                                       csl_decode,           csl_encode,
                                       csl_cleanup,          NULL};

static const struct codec_case rcku_cases[] = {
    {"newWithNew only", "3005 3003020101", 1},
    {"with newWithOld", "300c 3003020101 a005 3003020102", 1},
    {"with oldWithNew", "300c 3003020101 a105 3003020103", 1},
    {"all three", "3013 3003020101 a005 3003020102 a105 3003020103", 1},
    {"empty", "3000", 0},
    {"newWithNew missing, newWithOld only", "3007 a005 3003020102", 0},
    {"newWithNew an INTEGER", "3003 020101", 0},
    {"[1] before [0]", "3013 3003020101 a105 3003020103 a005 3003020102", 0},
    {"[0] empty", "3007 3003020101 a000", 0},
    {"[0] two certificates", "3011 3003020101 a00a 3003020102 3003020103", 0},
    {"[0] implicit (primitive)", "300a 3003020101 8003020102", 0},
    {"[2]", "300c 3003020101 a205 3003020103", 0},
    {"[0] twice", "3013 3003020101 a005 3003020102 a005 3003020102", 0},
    {"trailing element", "3007 3003020101 0500", 0},
    {"a SET", "3105 3003020101", 0},
};

/* keySpec: id-regCtrl-algId id-ecPublicKey, id-regCtrl-rsaKeyLen 4096 */
#define KEYSPEC_HEX                                                                                \
    "3029 3016 06092b060105050705010b 3009 06072a8648ce3d0201"                                     \
    " 300f 06092b060105050705010c 02021000"

static const struct codec_case crt_cases[] = {
    {"empty template", "3002 3000", 1},
    {"template with issuer", "3006 3004 a302 3000", 1},
    {"empty template and keySpec", "302d 3000 " KEYSPEC_HEX, 1},
    {"template with subject and keySpec", "3031 3004 a502 3000 " KEYSPEC_HEX, 1},
    {"empty", "3000", 0},
    {"certTemplate an INTEGER", "3003 020101", 0},
    {"keySpec empty (SIZE 1..MAX)", "3004 3000 3000", 0},
    {"keySpec control without value", "3009 3000 3005 3003 06012a", 0},
    {"keySpec a bare OID", "3007 3000 3003 06012a", 0},
    {"trailing after keySpec", "302f 3000 " KEYSPEC_HEX " 0500", 0},
    {"template with bad field", "3005 3003 830100", 0},
};

static const struct codec_case csl_cases[] = {
    {"issuer directoryName", "300a 3008 a106 3004 a402 3000", 1},
    {"issuer, UTCTime thisUpdate", "3019 3017 a106 3004 a402 3000 170d3234303232333135343733385a",
     1},
    {"issuer, GeneralizedTime thisUpdate",
     "301b 3019 a106 3004 a402 3000 180f32303234303232333135343733385a", 1},
    {"issuer URI and dNSName", "3013 3011 a10f 300d 8603687474 8206686f73742e78", 1},
    {"dpn fullName URI", "3010 300e a00c a00a 8608687474703a2f2f78", 1},
    {"dpn nameRelativeToCRLIssuer", "3010 300e a00c a10a 3008 0603550403 0c0161", 1},
    {"two statuses", "301a 3008 a106 3004 a402 3000 300e a00c a00a 8608687474703a2f2f78", 1},
    {"empty list (SIZE 1..MAX)", "3000", 0},
    {"CRLStatus empty", "3002 3000", 0},
    {"source [2]", "300a 3008 a206 3004 a402 3000", 0},
    {"source implicit", "300a 3008 8106 3004 a402 3000", 0},
    {"issuer GeneralNames empty", "3006 3004 a102 3000", 0},
    {"issuer a bare GeneralName", "3008 3006 a104 a4023000", 0},
    {"issuer two elements", "300e 300c a10a 3004 a4023000 3002 3000", 0},
    {"dpn [2]", "3010 300e a00c a20a 8608687474703a2f2f78", 0},
    {"dpn fullName empty", "3006 3004 a002 a000", 0},
    {"dpn RDN empty", "3006 3004 a002 a100", 0},
    {"dpn RDN element not an AVA", "3009 3007 a005 a103 020101", 0},
    {"thisUpdate an INTEGER", "300d 300b a106 3004 a402 3000 020101", 0},
    {"thisUpdate bad time", "3019 3017 a106 3004 a402 3000 170d3234313332333135343733385a", 0},
    {"two thisUpdate",
     "3028 3026 a106 3004 a402 3000 170d3234303232333135343733385a"
     " 170d3234303232333135343733385a",
     0},
    {"two sources", "3012 3010 a106 3004 a402 3000 a106 3004 a402 3000", 0},
};

/* ---- cmp_itav_value_check() ---- */

static void
test_value_check(void)
{
    static const struct {
        const char *name;
        int nid;
        const char *value_hex; /* NULL: absent */
        int ok;
    } cases[] = {
        {"caCerts", CMP_NID_IT_CA_CERTS, "3005 3003020101", 1},
        {"caCerts empty (SIZE 1..MAX)", CMP_NID_IT_CA_CERTS, "3000", 0},
        {"caCerts absent", CMP_NID_IT_CA_CERTS, NULL, 1},
        {"caCerts an INTEGER element", CMP_NID_IT_CA_CERTS, "3003 020101", 0},
        {"crls", CMP_NID_IT_CRLS, "3005 3003020101", 1},
        {"crls not a SEQUENCE", CMP_NID_IT_CRLS, "0500", 0},
        {"rootCaCert", CMP_NID_IT_ROOT_CA_CERT, "3003020101", 1},
        {"rootCaCert an OCTET STRING", CMP_NID_IT_ROOT_CA_CERT, "0400", 0},
        {"rootCaKeyUpdate", CMP_NID_IT_ROOT_CA_KEY_UPDATE, "3005 3003020101", 1},
        {"rootCaKeyUpdate empty", CMP_NID_IT_ROOT_CA_KEY_UPDATE, "3000", 0},
        {"certReqTemplate", CMP_NID_IT_CERT_REQ_TEMPLATE, "3002 3000", 1},
        {"certReqTemplate NULL", CMP_NID_IT_CERT_REQ_TEMPLATE, "0500", 0},
        {"crlStatusList", CMP_NID_IT_CRL_STATUS_LIST, "300a 3008 a106 3004 a402 3000", 1},
        {"crlStatusList empty", CMP_NID_IT_CRL_STATUS_LIST, "3000", 0},
        {"other type, anything", CMP_NID_IT_CERT_PROFILE, "0500", 1},
    };
    size_t i;

    for (i = 0; i < CODEC_NUM(cases); i++) {
        uint8_t buf[64];
        size_t len = 0;
        struct cmp_itav itav;
        struct cmp_err err;

        memset(&itav, 0, sizeof(itav));
        itav.type = cmp_oid(cases[i].nid);
        if (cases[i].value_hex != NULL) {
            CHECK_CASE(cases[i].name, check_unhex(cases[i].value_hex, buf, sizeof(buf), &len));
            itav.has_value = 1;
            itav.value = der_in_make(buf, len);
        }
        cmp_err_init(&err);
        CHECK_CASE(cases[i].name, cmp_itav_value_check(&itav, &err) == cases[i].ok);
        CHECK_CASE(cases[i].name, cases[i].ok ? err.code == CMP_E_NONE : err.code == CMP_E_DECODE);
    }
}

/* ---- encoding refusals ---- */

static void
test_encode_refusals(void)
{
    struct der_out out;
    struct cmp_root_ca_key_update u;
    struct cmp_cert_req_template t;
    struct cmp_crl_status_list l;
    struct cmp_crl_status st;

    memset(&u, 0, sizeof(u)); /* no newWithNew */
    der_out_init(&out, 256);
    CHECK(!cmp_root_ca_key_update_encode(&out, &u) && !der_out_ok(&out));
    der_out_cleanup(&out);

    memset(&t, 0, sizeof(t)); /* keySpec present but empty */
    t.has_key_spec = 1;
    der_out_init(&out, 256);
    CHECK(!cmp_cert_req_template_encode(&out, &t) && !der_out_ok(&out));
    der_out_cleanup(&out);

    memset(&l, 0, sizeof(l)); /* empty list */
    der_out_init(&out, 256);
    CHECK(!cmp_crl_status_list_encode(&out, &l) && !der_out_ok(&out));
    der_out_cleanup(&out);

    memset(&st, 0, sizeof(st)); /* a status without its source */
    l.num = 1;
    l.items = &st;
    der_out_init(&out, 256);
    CHECK(!cmp_crl_status_list_encode(&out, &l) && !der_out_ok(&out));
    der_out_cleanup(&out);
}

/* ---- what the decoders report ---- */

static void
test_fields(void)
{
    uint8_t buf[128];
    size_t len = 0;
    struct der_in in;
    struct cmp_crl_status_list l;
    struct cmp_cert_req_template t;
    struct cmp_err err;

    CHECK(check_unhex("3029 3017 a106 3004 a402 3000 170d3234303232333135343733385a"
                      " 300e a00c a00a 8608687474703a2f2f78",
                      buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&l, 0, sizeof(l));
    cmp_err_init(&err);
    CHECK(cmp_crl_status_list_decode(&in, &l, &err) && der_done(&in));
    CHECK(l.num == 2);
    if (l.num == 2) {
        CHECK(l.items[0].source_type == CMP_CRL_SOURCE_ISSUER && l.items[0].num_names == 1 &&
              l.items[0].names[0].type == CMP_GN_DIRNAME);
        CHECK(l.items[0].has_this_update && l.items[0].this_update_secs == 1708703258);
        CHECK(l.items[0].this_update.len == 15);
        CHECK(l.items[1].source_type == CMP_CRL_SOURCE_DPN &&
              l.items[1].dpn_type == CMP_DPN_FULL_NAME && l.items[1].num_names == 1 &&
              l.items[1].names[0].type == CMP_GN_URI && !l.items[1].has_this_update);
    }
    cmp_crl_status_list_cleanup(&l);

    CHECK(check_unhex("302d 3000 " KEYSPEC_HEX, buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&t, 0, sizeof(t));
    CHECK(cmp_cert_req_template_decode(&in, &t, &err) && der_done(&in));
    CHECK(t.has_key_spec && t.key_spec.num == 2 &&
          cmp_oid_is(&t.key_spec.items[0].type, CMP_NID_REG_CTRL_ALG_ID) &&
          cmp_oid_is(&t.key_spec.items[1].type, CMP_NID_REG_CTRL_RSA_KEY_LEN));
    cmp_cert_req_template_cleanup(&t);
}

/* ---- printing ---- */

static void
test_print(void)
{
    static const struct {
        const char *name;
        int nid;
        const char *value_hex;
        const char *expect[4];
    } cases[] = {
        {"rootCaKeyUpdate",
         CMP_NID_IT_ROOT_CA_KEY_UPDATE,
         "300c 3003020101 a105 3003020103",
         {"id-it-rootCaKeyUpdate", "newWithNew: (unparsable, 5 bytes)",
          "oldWithNew: (unparsable, 5 bytes)", NULL}},
        {"certReqTemplate",
         CMP_NID_IT_CERT_REQ_TEMPLATE,
         "3031 3004 a502 3000 " KEYSPEC_HEX,
         {"certTemplate:", "subject: ", "keySpec #0: algId id-ecPublicKey",
          "keySpec #1: rsaKeyLen 4096"}},
        {"crlStatusList",
         CMP_NID_IT_CRL_STATUS_LIST,
         "3029 3017 a106 3004 a402 3000 170d3234303232333135343733385a"
         " 300e a00c a00a 8608687474703a2f2f78",
         {"CRLStatus #0: issuer directoryName", "thisUpdate 2024-02-23 15:47:38 UTC",
          "CRLStatus #1: dpn fullName uniformResourceIdentifier http://x", NULL}},
        {"crlStatusList broken",
         CMP_NID_IT_CRL_STATUS_LIST,
         "3000",
         {"(unparsable value, 2 bytes)", NULL}},
    };
    size_t i, j;

    for (i = 0; i < CODEC_NUM(cases); i++) {
        uint8_t buf[128];
        size_t len = 0, out_len = 0;
        char *out = NULL;
        struct cmp_itav itav;
        struct cmp_printer pr;

        memset(&itav, 0, sizeof(itav));
        itav.type = cmp_oid(cases[i].nid);
        CHECK_CASE(cases[i].name, check_unhex(cases[i].value_hex, buf, sizeof(buf), &len));
        itav.has_value = 1;
        itav.value = der_in_make(buf, len);
        memset(&pr, 0, sizeof(pr));
        pr.fp = open_memstream(&out, &out_len);
        if (!CHECK_CASE(cases[i].name, pr.fp != NULL)) {
            continue;
        }
        cmp_print_itav(&pr, 0, "itav: ", &itav);
        fclose(pr.fp);
        for (j = 0; j < 4 && cases[i].expect[j] != NULL; j++) {
            if (!CHECK_CASE(cases[i].name, strstr(out, cases[i].expect[j]) != NULL)) {
                fprintf(stderr, "missing \"%s\" in:\n%s", cases[i].expect[j], out);
            }
        }
        free(out);
    }
}

int
main(void)
{
    static const uint32_t seq[] = {DER_SEQUENCE};

    codec_check_cases(&rcku_codec, rcku_cases, CODEC_NUM(rcku_cases));
    codec_check_cases(&crt_codec, crt_cases, CODEC_NUM(crt_cases));
    codec_check_cases(&csl_codec, csl_cases, CODEC_NUM(csl_cases));
    codec_check_limit(&csl_codec, "CRLStatusListValue", seq, 1, "3008 a106 3004 a402 3000");
    codec_check_error(&csl_codec, "thisUpdate an INTEGER", "300d300ba1063004a4023000020101", 12, 3,
                      "CRLStatus.thisUpdate");
    codec_check_error(&rcku_codec, "newWithOld empty", "30073003020101a000", 7, 2,
                      "RootCaKeyUpdateContent.newWithOld");
    test_value_check();
    test_encode_refusals();
    test_fields();
    test_print();
    return check_finish();
}
