/*
 * Tests for lib/msg/algparams.c: the parsers of PBMParameter, DHBMParameter,
 * PBMAC1-params, PBKDF2-params and RSASSA-PSS-params. Each table row is the
 * parameters TLV of an AlgorithmIdentifier and says whether it parses and,
 * for a rejection, which field the error names. Accepted rows then have
 * their fields checked; every shorter prefix of an accepted row must fail.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "msg/msg.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Pieces of the rows: AlgorithmIdentifiers and their OIDs. */
#define SHA256_ALG "300B0609608648016503040201"
#define SHA256_NULL "300D06096086480165030402010500"
#define HMAC_SHA1_ALG "300A06082B06010505080102"
#define HMAC_SHA256_NULL "300C06082A864886F70D02090500"
#define MGF1_OID "06092A864886F70D010108"
#define PBKDF2_OID "06092A864886F70D01050C"

enum schema { PBM, DHBM, PBMAC1, PBKDF2, PSS };

static const struct {
    const char *name;
    int schema;
    const char *hex;
    const char *field; /* NULL: must parse; else the error must name it */
} rows[] = {
    {"PBM", PBM, "3021 04020102" SHA256_ALG "020201F4" HMAC_SHA1_ALG, NULL},
    {"PBM non-minimal count kept", PBM, "3022 04020102" SHA256_ALG "02030001F4" HMAC_SHA1_ALG,
     NULL},
    {"PBM empty", PBM, "", "PBMParameter"},
    {"PBM not a SEQUENCE", PBM, "3121 04020102" SHA256_ALG "020201F4" HMAC_SHA1_ALG,
     "PBMParameter"},
    {"PBM second element", PBM, "3021 04020102" SHA256_ALG "020201F4" HMAC_SHA1_ALG "0500",
     "PBMParameter"},
    {"PBM salt an INTEGER", PBM, "3021 02020102" SHA256_ALG "020201F4" HMAC_SHA1_ALG,
     "PBMParameter.salt"},
    {"PBM owf an OID", PBM, "301F 04020102 0609608648016503040201 0202 01F4" HMAC_SHA1_ALG,
     "PBMParameter.owf"},
    {"PBM count missing", PBM, "301D 04020102" SHA256_ALG HMAC_SHA1_ALG,
     "PBMParameter.iterationCount"},
    {"PBM mac missing", PBM, "3015 04020102" SHA256_ALG "020201F4", "PBMParameter.mac"},
    {"PBM trailing", PBM, "3023 04020102" SHA256_ALG "020201F4" HMAC_SHA1_ALG "0500",
     "PBMParameter (trailing data)"},

    {"DHBM", DHBM, "3019" SHA256_ALG HMAC_SHA1_ALG, NULL},
    {"DHBM mac missing", DHBM, "300D" SHA256_ALG, "DHBMParameter.mac"},
    {"DHBM trailing", DHBM, "301B" SHA256_ALG HMAC_SHA1_ALG "0500", "DHBMParameter"},

    {"PBMAC1", PBMAC1,
     "3036 3026" PBKDF2_OID "3019 04020102 02022710 020120" HMAC_SHA256_NULL HMAC_SHA256_NULL,
     NULL},
    {"PBMAC1 one AlgorithmIdentifier", PBMAC1, "300E" HMAC_SHA256_NULL, "PBMAC1-params"},
    {"PBMAC1 trailing", PBMAC1, "3020" HMAC_SHA256_NULL HMAC_SHA256_NULL "0500", "PBMAC1-params"},

    {"PBKDF2", PBKDF2, "3019 04020102 02022710 020120" HMAC_SHA256_NULL, NULL},
    {"PBKDF2 defaults", PBKDF2, "3007 04020102 020101", NULL},
    {"PBKDF2 otherSource salt", PBKDF2, "3010" SHA256_ALG "020101", NULL},
    {"PBKDF2 salt NULL", PBKDF2, "3005 0500 020101", "PBKDF2-params.salt"},
    {"PBKDF2 count missing", PBKDF2, "3004 04020102", "PBKDF2-params.iterationCount"},
    {"PBKDF2 prf not an AlgorithmIdentifier", PBKDF2, "300C 04020102 020101 020101 0500",
     "PBKDF2-params.prf"},
    {"PBKDF2 trailing", PBKDF2, "3017 04020102 020101" HMAC_SHA256_NULL "0500",
     "PBKDF2-params (trailing data)"},

    {"PSS", PSS, "3034 A00F" SHA256_NULL "A11C301A" MGF1_OID SHA256_NULL "A203020120", NULL},
    {"PSS all DEFAULTs", PSS, "3000", NULL},
    {"PSS trailerField", PSS, "3005 A303020101", NULL},
    {"PSS other mgf, NULL parameters", PSS, "3011 A10F300D 06092A864886F70D010107 0500", NULL},
    {"PSS hash not an AlgorithmIdentifier", PSS, "3004 A0020500",
     "RSASSA-PSS-params.hashAlgorithm"},
    {"PSS hash with trailing", PSS, "3013 A011" SHA256_NULL "0500",
     "RSASSA-PSS-params.hashAlgorithm"},
    {"PSS MGF1 parameters not an AlgorithmIdentifier", PSS, "3011 A10F300D" MGF1_OID "0500",
     "RSASSA-PSS-params.maskGenAlgorithm"},
    {"PSS saltLength with trailing", PSS, "3007 A205 020120 0500", "RSASSA-PSS-params.saltLength"},
    {"PSS trailerField NULL", PSS, "3004 A3020500", "RSASSA-PSS-params.trailerField"},
    {"PSS fields out of order", PSS, "3016 A203020120 A00F" SHA256_NULL,
     "RSASSA-PSS-params (trailing data)"},
    {"PSS IMPLICIT saltLength", PSS, "3003 820120", "RSASSA-PSS-params (trailing data)"},
};

static int
parse(int schema, const struct der_in *params, struct cmp_err *err)
{
    struct cmp_pbm_params pbm;
    struct cmp_dhbm_params dhbm;
    struct cmp_pbmac1_params pbmac1;
    struct cmp_pbkdf2_params pbkdf2;
    struct cmp_pss_params pss;

    switch (schema) {
    case PBM:
        return cmp_pbm_params_decode(params, &pbm, err);
    case DHBM:
        return cmp_dhbm_params_decode(params, &dhbm, err);
    case PBMAC1:
        return cmp_pbmac1_params_decode(params, &pbmac1, err);
    case PBKDF2:
        return cmp_pbkdf2_params_decode(params, &pbkdf2, err);
    case PSS:
        return cmp_pss_params_decode(params, &pss, err);
    default:
        return 0;
    }
}

static void
test_rows(void)
{
    size_t i, n;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        uint8_t buf[256];
        size_t len = 0;
        struct der_in params;
        struct cmp_err err;
        char text[512];

        if (!CHECK_CASE(rows[i].name, check_unhex(rows[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        params = der_in_make(buf, len);
        cmp_err_init(&err);
        if (rows[i].field == NULL) {
            CHECK_CASE(rows[i].name, parse(rows[i].schema, &params, &err));
            for (n = 0; n < len; n++) {
                struct der_in cut = der_in_make(buf, n);
                CHECK_CASE(rows[i].name, !parse(rows[i].schema, &cut, NULL));
            }
            continue;
        }
        CHECK_CASE(rows[i].name, !parse(rows[i].schema, &params, &err) && err.code == CMP_E_DECODE);
        cmp_err_format(&err, text, sizeof(text));
        if (!CHECK_CASE(rows[i].name, strstr(text, rows[i].field) != NULL)) {
            fprintf(stderr, "    got: %s\n", text);
        }
        CHECK_CASE(rows[i].name, err.pos == NULL || (err.pos >= buf && err.pos <= buf + len));
    }
}

/* The fields of the accepted rows. */
static void
test_fields(void)
{
    uint8_t buf[256];
    size_t len = 0;
    struct der_in in;
    int64_t v;
    struct cmp_pbm_params pbm;
    struct cmp_pbmac1_params pbmac1;
    struct cmp_pbkdf2_params kp;
    struct cmp_pss_params pss;

    CHECK(check_unhex(rows[0].hex, buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    CHECK(cmp_pbm_params_decode(&in, &pbm, NULL));
    CHECK(pbm.salt.len == 2 && pbm.salt.p == buf + 4 && cmp_oid_is(&pbm.owf.oid, CMP_NID_SHA256) &&
          cmp_oid_is(&pbm.mac.oid, CMP_NID_HMAC_SHA1) &&
          der_parse_int64(&pbm.iteration_count, &v) && v == 500);
    /* A non-minimal count parses here (the printer shows it); der_parse_int64 refuses it. */
    CHECK(check_unhex(rows[1].hex, buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    CHECK(cmp_pbm_params_decode(&in, &pbm, NULL) && pbm.iteration_count.len == 3 &&
          !der_parse_int64(&pbm.iteration_count, &v));

    CHECK(check_unhex("3036 3026" PBKDF2_OID
                      "3019 04020102 02022710 020120" HMAC_SHA256_NULL HMAC_SHA256_NULL,
                      buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    CHECK(cmp_pbmac1_params_decode(&in, &pbmac1, NULL) &&
          cmp_oid_is(&pbmac1.kdf.oid, CMP_NID_PBKDF2) &&
          cmp_oid_is(&pbmac1.mac.oid, CMP_NID_HMAC_WITH_SHA256) &&
          cmp_params_absent_or_null(&pbmac1.mac.params));
    CHECK(cmp_pbkdf2_params_decode(&pbmac1.kdf.params, &kp, NULL) && !kp.has_salt_source &&
          kp.salt.len == 2 && der_parse_int64(&kp.iteration_count, &v) && v == 10000 &&
          kp.has_key_length && der_parse_int64(&kp.key_length, &v) && v == 32 && kp.has_prf &&
          cmp_oid_is(&kp.prf.oid, CMP_NID_HMAC_WITH_SHA256));
    CHECK(check_unhex("3010" SHA256_ALG "020101", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    CHECK(cmp_pbkdf2_params_decode(&in, &kp, NULL) && kp.has_salt_source &&
          cmp_oid_is(&kp.salt_source.oid, CMP_NID_SHA256) && !kp.has_key_length && !kp.has_prf);

    CHECK(check_unhex("3034 A00F" SHA256_NULL "A11C301A" MGF1_OID SHA256_NULL "A203020120", buf,
                      sizeof(buf), &len));
    in = der_in_make(buf, len);
    CHECK(cmp_pss_params_decode(&in, &pss, NULL) && pss.has_hash &&
          cmp_oid_is(&pss.hash.oid, CMP_NID_SHA256) && pss.has_mgf &&
          cmp_oid_is(&pss.mgf.oid, CMP_NID_MGF1) && pss.has_mgf1_hash &&
          cmp_oid_is(&pss.mgf1_hash.oid, CMP_NID_SHA256) && pss.has_salt_length &&
          der_parse_int64(&pss.salt_length, &v) && v == 32 && !pss.has_trailer_field);
    CHECK(check_unhex("3000", buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    CHECK(cmp_pss_params_decode(&in, &pss, NULL) && !pss.has_hash && !pss.has_mgf &&
          !pss.has_mgf1_hash && !pss.has_salt_length && !pss.has_trailer_field);
}

static void
test_absent_or_null(void)
{
    static const struct {
        const char *hex;
        int ok;
    } cases[] = {{"", 1}, {"0500", 1}, {"050100", 0}, {"3000", 0}, {"0400", 0}};
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        uint8_t buf[8];
        size_t len = 0;
        struct der_in in;

        if (CHECK_CASE(cases[i].hex, check_unhex(cases[i].hex, buf, sizeof(buf), &len))) {
            in = der_in_make(len > 0 ? buf : NULL, len);
            CHECK_CASE(cases[i].hex, cmp_params_absent_or_null(&in) == cases[i].ok);
        }
    }
}

int
main(void)
{
    test_rows();
    test_fields();
    test_absent_or_null();
    return check_finish();
}
