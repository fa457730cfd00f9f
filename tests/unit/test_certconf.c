/*
 * Unit tests for lib/msg/certconf.c: certConf (CertConfirmContent: hashAlg,
 * statusInfo, empty) and pkiConf (NULL), through the codecs of the body
 * table, with the sweeps of tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

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

static const struct codec_case pkiconf_cases[] = {
    {"NULL", "0500", 1},
    {"NULL with contents", "050100", 0},
    {"empty SEQUENCE", "3000", 0},
    {"nothing", "", 0},
};

int
main(void)
{
    static const uint32_t seq[] = {DER_SEQUENCE};
    struct codec c = codec_of_body(CMP_BODY_CERTCONF), pkiconf = codec_of_body(CMP_BODY_PKICONF);
    uint8_t buf[64];
    size_t len = 0;
    struct der_in in;
    struct cmp_err err;
    struct cmp_certconf cc;

    codec_check_cases(&c, certconf_cases, CODEC_NUM(certconf_cases));
    codec_check_cases(&pkiconf, pkiconf_cases, CODEC_NUM(pkiconf_cases));

    /* certHash 01, certReqId -1, statusInfo, hashAlg sha256 */
    CHECK(check_unhex("301c 301a 040101 0201ff 3003020100 a00d300b0609608648016503040201", buf,
                      sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&cc, 0, sizeof(cc));
    cmp_err_init(&err);
    CHECK(cmp_certconf_decode(&in, &cc, &err) && der_done(&in));
    CHECK(cc.num == 1 && cc.items[0].cert_hash.len == 1 && cc.items[0].cert_req_id == -1 &&
          cc.items[0].has_status && cc.items[0].has_hash_alg &&
          cmp_oid_is(&cc.items[0].hash_alg.oid, CMP_NID_SHA256));
    cmp_certconf_cleanup(&cc);

    codec_check_limit(&c, "CertConfirmContent", seq, 1, "3006 040101 020100");
    codec_check_error(&c, "certConf hashAlg IMPLICIT",
                      "303430320420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                      "020100a00b0609608648016503040201",
                      43, 11, "CertStatus.hashAlg");
    return check_finish();
}
