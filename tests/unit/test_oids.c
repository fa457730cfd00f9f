/*
 * Tests for lib/msg/oids.c: every CMP_NID_ has an entry, the table's bytes
 * match its dotted forms, no OID is listed twice, the named constants
 * (cmp_oid, cmp_oid_is, cmp_oid_nid, cmp_oid_put), names and short names,
 * and cmp_oid_text() on known, unknown and malformed OIDs and small buffers.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "msg/oids.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *hex, *name, *short_name, *text; /* OID contents; NULL: unknown */
} cases[] = {
    {"2A864886F67D07420D", "passwordBasedMac", "passwordBasedMac",
     "passwordBasedMac (1.2.840.113533.7.66.13)"},
    {"2A864886F70D01050E", "PBMAC1", "PBMAC1", "PBMAC1 (1.2.840.113549.1.5.14)"},
    {"2B06010505080102", "hmac-sha1", "hmac-sha1", "hmac-sha1 (1.3.6.1.5.5.8.1.2)"},
    {"2A8648CE3D040302", "ecdsa-with-SHA256", "ecdsa-with-SHA256",
     "ecdsa-with-SHA256 (1.2.840.10045.4.3.2)"},
    {"2B6570", "ED25519", "ED25519", "ED25519 (1.3.101.112)"},
    {"550403", "commonName", "CN", "commonName (2.5.4.3)"},
    {"0992268993F22C640119", "domainComponent", "DC",
     "domainComponent (0.9.2342.19200300.100.1.25)"},
    {"2A864886F70D010901", "emailAddress", "emailAddress", "emailAddress (1.2.840.113549.1.9.1)"},
    {"551D11", "subjectAltName", "subjectAltName", "subjectAltName (2.5.29.17)"},
    {"2B060105050704 0D", "id-it-implicitConfirm", "id-it-implicitConfirm",
     "id-it-implicitConfirm (1.3.6.1.5.5.7.4.13)"},
    {"2B060105050704 18", "id-it-KemCiphertextInfo", "id-it-KemCiphertextInfo",
     "id-it-KemCiphertextInfo (1.3.6.1.5.5.7.4.24)"},
    {"2B06010505070501 05", "id-regCtrl-oldCertID", "id-regCtrl-oldCertID",
     "id-regCtrl-oldCertID (1.3.6.1.5.5.7.5.1.5)"},
    {"2B06010505070320", "cmKGA", "cmKGA", "cmKGA (1.3.6.1.5.5.7.3.32)"},
    {"2A864886F70D020C", "hmacWithSHA512-224", "hmacWithSHA512-224",
     "hmacWithSHA512-224 (1.2.840.113549.2.12)"},
    {"2B0601050507061F", "id-RSASSA-PSS-SHAKE256", "id-RSASSA-PSS-SHAKE256",
     "id-RSASSA-PSS-SHAKE256 (1.3.6.1.5.5.7.6.31)"},
    {"2B060105050704 63", NULL, NULL, "1.3.6.1.5.5.7.4.99"},
    {"2A03", NULL, NULL, "1.2.3"},
};

/* The named constants: each CMP_NID_ finds its own bytes and back. */
static const struct {
    int nid;
    const char *hex;
} nids[] = {
    {CMP_NID_PASSWORD_BASED_MAC, "2A864886F67D07420D"},
    {CMP_NID_PBMAC1, "2A864886F70D01050E"},
    {CMP_NID_SHA256, "608648016503040201"},
    {CMP_NID_IT_IMPLICIT_CONFIRM, "2B0601050507040D"},
    {CMP_NID_REG_CTRL_OLD_CERT_ID, "2B060105050705 0105"},
    {CMP_NID_CRL_REASON, "551D15"},
    {CMP_NID_ECDSA_WITH_SHAKE128, "2B06010505070620"},
};

static void
test_nids(void)
{
    uint8_t buf[32], *enc = NULL;
    size_t i, len, enc_len = 0;
    int nid;

    for (i = 0; i < ARRAY_LEN(nids); i++) {
        struct der_in want, got = cmp_oid(nids[i].nid);
        struct der_out out;

        if (!CHECK_CASE(nids[i].hex, check_unhex(nids[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        want = der_in_make(buf, len);
        CHECK_CASE(nids[i].hex, der_in_eq(&got, &want));
        CHECK_CASE(nids[i].hex,
                   cmp_oid_is(&want, nids[i].nid) && cmp_oid_nid(&want) == nids[i].nid);
        CHECK_CASE(nids[i].hex, !cmp_oid_is(&want, nids[i].nid == 0 ? 1 : 0));
        der_out_init(&out, 64);
        if (CHECK_CASE(nids[i].hex,
                       cmp_oid_put(&out, nids[i].nid) && der_out_finish(&out, &enc, &enc_len))) {
            CHECK_CASE(nids[i].hex, enc_len == len + 2 && enc[0] == DER_OID && enc[1] == len &&
                                        memcmp(enc + 2, buf, len) == 0);
            free(enc);
        }
        der_out_cleanup(&out);
    }
    /* Every entry round-trips through its nid; nids outside the table do nothing. */
    for (nid = 0; nid < CMP_NID_NUM; nid++) {
        struct der_in oid = cmp_oid(nid);
        CHECK_CASE("every nid", oid.len > 0 && cmp_oid_nid(&oid) == nid && cmp_oid_name(&oid));
    }
    {
        struct der_out out;
        struct der_in oid = cmp_oid(CMP_NID_NUM),
                      unknown = der_in_make((const uint8_t *)"\x2A\x03", 2);

        CHECK(oid.len == 0 && cmp_oid(CMP_NID_UNDEF).len == 0);
        CHECK(!cmp_oid_is(&unknown, CMP_NID_UNDEF) && !cmp_oid_is(&unknown, CMP_NID_NUM));
        CHECK(cmp_oid_nid(&unknown) == CMP_NID_UNDEF && cmp_oid_nid(NULL) == CMP_NID_UNDEF);
        der_out_init(&out, 64);
        CHECK(!cmp_oid_put(&out, CMP_NID_NUM) && !der_out_ok(&out));
        der_out_cleanup(&out);
    }
}

int
main(void)
{
    uint8_t buf[32];
    char text[128];
    size_t i, len;

    CHECK(cmp_oid_table_check());
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        struct der_in oid;
        const char *n, *s;

        if (!CHECK_CASE(cases[i].text, check_unhex(cases[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        oid = der_in_make(buf, len);
        n = cmp_oid_name(&oid);
        s = cmp_oid_short_name(&oid);
        CHECK_CASE(cases[i].text,
                   cases[i].name == NULL ? n == NULL : n != NULL && strcmp(n, cases[i].name) == 0);
        CHECK_CASE(cases[i].text, cases[i].short_name == NULL
                                      ? s == NULL
                                      : s != NULL && strcmp(s, cases[i].short_name) == 0);
        CHECK_CASE(cases[i].text,
                   cmp_oid_text(&oid, text, sizeof(text)) && strcmp(text, cases[i].text) == 0);
    }
    /* Malformed OIDs, a buffer too small (cut, NUL-terminated), no buffer. */
    {
        static const uint8_t bad[] = {0x2A, 0x86}, nonmin[] = {0x80, 0x01},
                             cn[] = {0x55, 0x04, 0x03};
        struct der_in oid = der_in_make(bad, sizeof(bad));

        CHECK(!cmp_oid_text(&oid, text, sizeof(text)) && strcmp(text, "(bad OID)") == 0);
        oid = der_in_make(nonmin, sizeof(nonmin));
        CHECK(!cmp_oid_text(&oid, text, sizeof(text)) && cmp_oid_name(&oid) == NULL);
        oid = der_in_make(NULL, 0);
        CHECK(!cmp_oid_text(&oid, text, sizeof(text)) && cmp_oid_name(&oid) == NULL);
        oid = der_in_make(cn, sizeof(cn));
        CHECK(!cmp_oid_text(&oid, text, 8) && strcmp(text, "commonN") == 0);
        CHECK(!cmp_oid_text(&oid, text, 0));
        CHECK(cmp_oid_name(NULL) == NULL && !cmp_oid_text(NULL, text, sizeof(text)));
    }
    test_nids();
    return check_finish();
}
