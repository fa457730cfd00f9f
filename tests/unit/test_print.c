/*
 * Tests for the printer (lib/msg/print.c, printbuf.c, x509print.c and the
 * body printers beside their codecs): cmp_msg_print() over hand-built
 * messages with hostile text
 * (control characters, bidi overrides, invalid UTF-8), odd Names, unknown
 * status values and failure bits, PBMAC1/PSS/DHBasedMac parameters, CRLs
 * and unparsable slices. The output must hold the expected pieces and
 * never a control character other than '\n'.
 *
 * The messages were built with a small DER script; the comments above each
 * say what is in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmpkit/msg.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MSG_MAX 2048

/* ---- cmp_msg_print() ---- */

static const char hex_error_nasty[] =
    "3081DB305E020102A40E300C310A300806035504030C0173A40E300C310A300806035504030C0172A011180F"
    "32303236303130313030303030305AA412041001010101010101010101010101010101A51204100202020202"
    "0202020202020202020202B760305E304F02010230430C366576696C1B5B33316D7265641B5B306D0D0A6C69"
    "6E653209227122205C20E280AE676E702E65786520C3BC6D6CC3A4757420F09F98800C09626164FFC3757466"
    "38030500804000310201FB30080C0664657461696CA017031500AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAA";
static const char hex_ir_odd[] =
    "308201ED30819F020102A40E300C310A300806035504030C0173A40E300C310A300806035504030C0172A011"
    "180F32303236303130313030303030305AA13F303D06092A864886F70D01010A3030A00D300B060960864801"
    "6503040201A11A301806092A864886F70D010108300B0609608648016503040201A203020120A41204100101"
    "0101010101010101010101010101A512041002020202020202020202020202020202A082012E3082012A3082"
    "01083081EE0201053081BF800102810105A310300E310C300A06035504030C03697373A413A111180F323033"
    "30303130313030303030305AA510300E310C300A06035504030C03737562A615301006072A8648CE3D020106"
    "052B81040022030100A967304E0603551D1104473045820C686F73742E6578616D706C65A40E300C310A3008"
    "06035504030C01788710000102030405060708090A0B0C0D0E0F8103614062860A687474703A2F2F782F1B88"
    "022A03300C0603551D130101FF040230003007060331090904003027301306092B06010505070501010C0674"
    "6F6B656E1B301006092B0601050507050106300302010180003013301106092B06010505070502010C046125"
    "6225301C30150201063010A50E300C310A300806035504030C016BA203810100A017031500AAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAA";
static const char hex_hdr_odd[] =
    "3081913072020102810D7573657240657800616D706C65A4023000A124302206092A864886F67D07421E3015"
    "300706052B0E03021A300A06082A864886F70D0207A2020400A30404020001A52A0428000102030405060708"
    "090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627B3020500A017031500AAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
static const char hex_rp_crls[] =
    "3082011F305E020102A40E300C310A300806035504030C0173A40E300C310A300806035504030C0172A01118"
    "0F32303236303130313030303030305AA412041001010101010101010101010101010101A512041002020202"
    "020202020202020202020202AC81A33081A0300A3003020100300302012AA00E300C300A81056140622E6302"
    "01FFA18181307F30783066020101300A06082A8648CE3D040302300D310B300906035504030C024341170D32"
    "35303130313030303030305A170D3235303230313030303030305A30283012020101170D3235303130313030"
    "303030305A3012020102170D3235303130313030303030305A300A06082A8648CE3D04030203020000300302"
    "0101A017031500AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
static const char hex_genp_many[] =
    "308203A93081FE020102A40E300C310A300806035504030C0173A40E300C310A300806035504030C0172A011"
    "180F32303236303130313030303030305AA16B306906092A864886F70D01050E305C304C06092A864886F70D"
    "01050C303F042805050505050505050505050505050505050505050505050505050505050505050505050505"
    "05050502022710020120300C06082A864886F70D02090500300C06082A864886F70D02090500A41204100101"
    "0101010101010101010101010101A512041002020202020202020202020202020202A70D300B0C0966726565"
    "0074657874A8223020300C06082B0601050507040D0500301006082B0601050507041030040C02656EB68202"
    "8B30820287308201FC06082B06010505070411308201EE3082012630820111A00302010202020080300A0608"
    "2A8648CE3D04030230123110300E06035504030C07497373756572073020170D323530313031303030303030"
    "5A180F32303939313233313233353935395A30693113301106035504031E0A0042006D007000E9202E312030"
    "14060355040A140D4DFC6C6C65722F436F2B783D793008060355040B130161310B300906042A030405160178"
    "310A3008060355040502010531173015060A0992268993F22C64011916076578616D706C653059301306072A"
    "8648CE3D020106082A8648CE3D03010703420004111111111111111111111111111111111111111111111111"
    "11111111111111111111111111111111111111111111111111111111111111111111111111111111300A0608"
    "2A8648CE3D04030203030030003081C13081ADA003020102020101300A06082A8648CE3D040302300C310A30"
    "0806035504030C01633020170D3235303130313030303030305A180F32303939313233313233353935395A30"
    "0C310A300806035504030C01623059301306072A8648CE3D020106082A8648CE3D0301070342000411111111"
    "1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
    "11111111111111111111111111111111300A06082A8648CE3D0403020303003000301B06082B060105050704"
    "15300F0C0870726F66696C65310C0370320A301B06082B0601050507040E180F323032363031303130303030"
    "30305A302206082B060105050704023016300506032B6570300D06092A864886F70D0101010500300A06032A"
    "03040403616263300F06082B060105050704143003020101300A06082B06010505070412A017031500AAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/*
 * error_nasty: error, statusString with ESC sequences, CR LF, TAB, quotes,
 *   a backslash, U+202E, umlauts and an emoji, then invalid UTF-8; failInfo
 *   bits 0, 9, 26, 27, 31; errorCode -5.
 * ir_odd: RSASSA-PSS protection; a template with version, serial, issuer,
 *   notAfter, a P-384 key with an empty BIT STRING, a subjectAltName of six
 *   kinds, a critical basicConstraints and an unknown extension; regToken
 *   with ESC, an unknown control, raVerified, utf8Pairs; a second request
 *   with keyEncipherment subsequentMessage.
 * hdr_odd: pkiconf; rfc822Name sender with NUL, NULL-DN recipient,
 *   DHBasedMac, empty senderKID, binary recipKID, a 40-byte nonce.
 * rp_crls: unknown status 42, a CertId with an rfc822Name and serial -1,
 *   a CRL with two entries and an unparsable one.
 * genp_many: PBMAC1, freeText with NUL, two generalInfo, caCerts with a
 *   certificate whose subject has BMP, T61 and multi-valued RDNs, special
 *   characters, an unknown attribute and an INTEGER value; certProfile,
 *   confirmWaitTime, signKeyPairTypes, an unknown type, a broken rootCaCert.
 */
static const struct {
    const char *name, *hex;
    const char *expect[12]; /* pieces of the output, NULL-terminated */
} print_cases[] = {
    {"error_nasty",
     hex_error_nasty,
     {"PKIMessage: error (error message), 222 bytes", "status: rejection",
      "failInfo: badAlg, badPOP, duplicateCertReq, bit 27, bit 31",
      "\"evil\\x1B[31mred\\x1B[0m\\x0D\\x0Aline2\\x09\\\"q\\\" \\\\ \\u202Egnp.exe "
      "\xC3\xBCml\xC3\xA4ut \xF0\x9F\x98\x80\"",
      "\"bad\\xFF\\xC3utf8\"", "errorCode: -5\n", "errorDetails: \"detail\"", NULL}},
    {"ir_odd",
     hex_ir_odd,
     {"protectionAlg: rsassaPss (1.2.840.113549.1.1.10)",
      "hash: sha256  mgf: mgf1 sha256  saltLength: 32", "CertReqMsg #0: certReqId 5",
      "serialNumber: 0x05", "validity: notAfter 2030-01-01 00:00:00 UTC",
      "publicKey: id-ecPublicKey secp384r1 (384-bit) (empty key: central key generation)",
      "subjectAltName [dNSName host.example; directoryName /CN=x; iPAddress "
      "1:203:405:607:809:a0b:c0d:e0f; rfc822Name a@b; uniformResourceIdentifier http://x/\\x1B; "
      "registeredID 1.2.3], basicConstraints (critical), 1.9.9.9",
      "id-regCtrl-regToken: \"token\\x1B\"", "popo: raVerified", "id-regInfo-utf8Pairs: \"a%b%\"",
      "popo: keyEncipherment, subsequentMessage encrCert", NULL}},
    {"hdr_odd",
     hex_hdr_odd,
     {"sender: rfc822Name user@ex\\x00ample", "recipient: directoryName (empty)",
      "protectionAlg: dhBasedMac (1.2.840.113533.7.66.30)\n      owf: sha1  mac: hmacWithSHA1",
      "senderKID: (empty)", "recipKID: 0001",
      "senderNonce: 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F...\n",
      "body: pkiconf", NULL}},
    {"rp_crls",
     hex_rp_crls,
     {"status #0: accepted", "status #1: unknown (42)",
      "certId #0: issuer rfc822Name a@b.c, serial (negative) 0xFF",
      "crl #0: issuer /CN=CA, thisUpdate 2025-01-01 00:00:00 UTC, nextUpdate 2025-02-01 "
      "00:00:00 UTC, 2 revoked",
      "crl #1: (unparsable, 5 bytes)", "protection: 20 bytes", NULL}},
    {"genp_many",
     hex_genp_many,
     {"kdf: PBKDF2  salt: 05050505050505050505050505050505050505050505050505050505050505"
      "05...  iterationCount: 10000  keyLength: 32  prf: hmacWithSHA256  mac: hmacWithSHA256",
      "freeText: \"free\\x00text\"",
      "generalInfo:\n      itav #0: id-it-implicitConfirm (1.3.6.1.5.5.7.4.13)\n"
      "      itav #1: id-it-suppLangTags (1.3.6.1.5.5.7.4.16): \"en\"",
      "cert #0: subject /CN=Bmp\xC3\xA9\\u202E/O=M\\xFCller\\/Co\\+x\\=y+OU=a/1.2.3.4.5=x/"
      "serialNumber=#020105/DC=example, issuer /CN=Issuer\\x07, serial 0x80",
      "itav #1: id-it-certProfile (1.3.6.1.5.5.7.4.21): \"profile1\", \"p2\\x0A\"",
      "itav #2: id-it-confirmWaitTime (1.3.6.1.5.5.7.4.14): 2026-01-01 00:00:00 UTC",
      "itav #3: id-it-signKeyPairTypes (1.3.6.1.5.5.7.4.2): ED25519, rsaEncryption",
      "itav #4: 1.2.3.4: (5 bytes)", "id-it-rootCaCert (1.3.6.1.5.5.7.4.20): (unparsable, 5 bytes)",
      "itav #6: id-it-rootCaKeyUpdate (1.3.6.1.5.5.7.4.18)\n", NULL}},
};

/* print_to_string() prints |msg| into a new NUL-terminated string. */
static char *
print_to_string(const struct cmp_msg *msg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&text, &len);
    int ok;

    if (fp == NULL) {
        return NULL;
    }
    ok = cmp_msg_print(fp, msg);
    if (fclose(fp) != 0 || !ok) {
        free(text);
        return NULL;
    }
    return text;
}

static void
test_print(void)
{
    uint8_t der[MSG_MAX];
    size_t i, j, len;
    struct cmp_err err;
    struct cmp_msg *msg;
    char *text;

    for (i = 0; i < ARRAY_LEN(print_cases); i++) {
        const char *name = print_cases[i].name;
        int clean = 1;

        cmp_err_init(&err);
        msg = NULL;
        if (!CHECK_CASE(name, check_unhex(print_cases[i].hex, der, sizeof(der), &len)) ||
            !CHECK_CASE(name, cmp_msg_decode(&msg, der, len, &err))) {
            continue;
        }
        text = print_to_string(msg);
        cmp_msg_free(msg);
        if (!CHECK_CASE(name, text != NULL)) {
            continue;
        }
        for (j = 0; print_cases[i].expect[j] != NULL; j++) {
            if (!CHECK_CASE(name, strstr(text, print_cases[i].expect[j]) != NULL)) {
                fprintf(stderr, "  missing: %s\n", print_cases[i].expect[j]);
            }
        }
        for (j = 0; text[j] != '\0'; j++) {
            if (((unsigned char)text[j] < 0x20 && text[j] != '\n') || text[j] == 0x7F) {
                clean = 0;
            }
        }
        CHECK_CASE(name, clean);
        if (check_num_failed > 0) {
            fprintf(stderr, "--- output of %s:\n%s", name, text);
        }
        free(text);
    }
}

/* A write error is reported. */
static void
test_write_error(void)
{
    uint8_t der[MSG_MAX];
    size_t len;
    struct cmp_err err;
    struct cmp_msg *msg = NULL;
    FILE *fp = fopen("/dev/full", "w");

    if (fp == NULL || !check_unhex(hex_hdr_odd, der, sizeof(der), &len) ||
        !cmp_msg_decode(&msg, der, len, &err)) {
        if (fp != NULL) {
            fclose(fp);
        }
        cmp_msg_free(msg);
        return; /* no /dev/full here */
    }
    setvbuf(fp, NULL, _IONBF, 0);
    CHECK(!cmp_msg_print(fp, msg));
    fclose(fp);
    CHECK(!cmp_msg_print(NULL, msg) && !cmp_msg_print(stdout, NULL));
    cmp_msg_free(msg);
}

int
main(void)
{
    test_print();
    test_write_error();
    return check_finish();
}
