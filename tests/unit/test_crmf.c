/*
 * Unit tests for lib/msg/crmf.c (RFC 4211): CertTemplate, Controls,
 * ProofOfPossession in all four forms and CertReqMessages. Every accepted
 * row re-encodes byte for byte and gets the sweeps of
 * tests/support/codec_check.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static int
template_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_cert_template_decode(in, out, err);
}

static int
template_enc(struct der_out *out, const void *v)
{
    return cmp_cert_template_encode(out, v);
}

static int
controls_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_controls_decode(in, out, err);
}

static int
controls_enc(struct der_out *out, const void *v)
{
    return cmp_controls_encode(out, v);
}

static void
controls_free(void *v)
{
    cmp_controls_cleanup(v);
}

static int
popo_dec(struct der_in *in, void *out, struct cmp_err *err)
{
    return cmp_popo_decode(in, out, err);
}

static int
popo_enc(struct der_out *out, const void *v)
{
    return cmp_popo_encode(out, v);
}

/* A CertTemplate and a ProofOfPossession allocate nothing. */
static const struct codec template_codec = {
    "CertTemplate", sizeof(struct cmp_cert_template), template_dec, template_enc, NULL, NULL};
static const struct codec controls_codec = {
    "Controls", sizeof(struct cmp_controls), controls_dec, controls_enc, controls_free, NULL};
static const struct codec popo_codec = {
    "ProofOfPossession", sizeof(struct cmp_popo), popo_dec, popo_enc, NULL, NULL};
/* CertReqMessages: the codec of ir, cr, kur, krr and ccr in lib/msg's body table (main). */
static struct codec reqs_codec;

/* A row for test_errors(). */
struct err_case {
    const char *name, *hex;
    size_t offset, len; /* the failing element */
    const char *field;  /* what cmp_err_format() must name */
};

static const struct codec_case template_cases[] = {
    {"empty template", "3000", 1},
    {"every field",
     "3081eb80010281020099a20a06082a8648ce3d040302a30f300d310b300906035504030c0243"
     "41a424a00f170d3236303130313030303030305aa111180f3230353030313031303030303030"
     "5aa511300f310d300b06035504030c0474657374a659301306072a8648ce3d020106082a8648"
     "ce3d03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c"
     "1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f870300"
     "0102880204f0a928300e0603551d0f0101ff0404030205a030160603551d11040f300d820b65"
     "78616d706c652e636f6d",
     1},
    {"only version [0]", "3003800102", 1},
    {"only serialNumber [1]", "300481020099", 1},
    {"only signingAlg [2]", "300ca20a06082a8648ce3d040302", 1},
    {"only issuer [3]", "3011a30f300d310b300906035504030c024341", 1},
    {"only validity [4]",
     "3026a424a00f170d3236303130313030303030305aa111180f32303530303130313030303030"
     "305a",
     1},
    {"only subject [5]", "3013a511300f310d300b06035504030c0474657374", 1},
    {"only publicKey [6]",
     "305ba659301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708"
     "090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e"
     "2f303132333435363738393a3b3c3d3e3f",
     1},
    {"only issuerUID [7]", "30058703000102", 1},
    {"only subjectUID [8]", "3004880204f0", 1},
    {"only extensions [9]",
     "302aa928300e0603551d0f0101ff0404030205a030160603551d11040f300d820b6578616d70"
     "6c652e636f6d",
     1},
    {"subject and publicKey (typical)",
     "306ea511300f310d300b06035504030c0474657374a659301306072a8648ce3d020106082a86"
     "48ce3d03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b"
     "1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
     1},
    {"validity notBefore only", "3013a411a00f170d3236303130313030303030305a", 1},
    {"validity notAfter only", "3015a413a111180f32303530303130313030303030305a", 1},
    {"signingAlg with NULL parameters", "300fa20d06092a864886f70d01010b0500", 1},
    {"extension critical TRUE", "3012a910300e0603551d0f0101ff0404030205a0", 1},
    {"extension without critical", "301aa91830160603551d11040f300d820b6578616d706c652e636f6d", 1},
    {"subject empty RDNSequence", "3004a5023000", 1},
    {"issuerUID empty", "3003870100", 1},
    {"serialNumber negative", "30038101ff", 1},
    {"subject before issuer",
     "3024a511300f310d300b06035504030c0474657374a30f300d310b300906035504030c024341", 0},
    {"extensions before version",
     "302da928300e0603551d0f0101ff0404030205a030160603551d11040f300d820b6578616d70"
     "6c652e636f6d800102",
     0},
    {"publicKey before subject",
     "306ea659301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708"
     "090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e"
     "2f303132333435363738393a3b3c3d3e3fa511300f310d300b06035504030c0474657374",
     0},
    {"duplicate subject",
     "3026a511300f310d300b06035504030c0474657374a511300f310d300b06035504030c047465"
     "7374",
     0},
    {"duplicate version", "3006800102800102", 0},
    {"every field, last two swapped",
     "3081eb80010281020099a20a06082a8648ce3d040302a30f300d310b300906035504030c0243"
     "41a424a00f170d3236303130313030303030305aa111180f3230353030313031303030303030"
     "5aa511300f310d300b06035504030c0474657374a659301306072a8648ce3d020106082a8648"
     "ce3d03010703420004000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c"
     "1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f870300"
     "0102a928300e0603551d0f0101ff0404030205a030160603551d11040f300d820b6578616d70"
     "6c652e636f6d880204f0",
     0},
    {"version constructed [0]", "3005a003020102", 0},
    {"version non-minimal", "300480020002", 0},
    {"version empty", "30028000", 0},
    {"serialNumber non-minimal", "300481020001", 0},
    {"serialNumber empty", "30028100", 0},
    {"signingAlg universal SEQUENCE", "300c300a06082a8648ce3d040302", 0},
    {"signingAlg [2] EXPLICIT", "300ea20c300a06082a8648ce3d040302", 0},
    {"signingAlg [2] primitive", "300c820a06082a8648ce3d040302", 0},
    {"issuer IMPLICIT (no Name inside)", "300fa30d310b300906035504030c024341", 0},
    {"issuer [3] primitive", "3011830f300d310b300906035504030c024341", 0},
    {"subject two Names",
     "3024a522300f310d300b06035504030c0474657374300f310d300b06035504030c0474657374", 0},
    {"subject SET inside", "3004a5023100", 0},
    {"subject bad inner framing", "3008a506300431033001", 0},
    {"validity reversed",
     "3024a422a10f170d3330303130313030303030305aa00f170d3330303130313030303030305a", 0},
    {"validity duplicate notBefore",
     "3024a422a00f170d3330303130313030303030305aa00f170d3330303130313030303030305a", 0},
    {"validity notBefore IMPLICIT", "3011a40f800d3330303130313030303030305a", 0},
    {"validity bad UTCTime", "3011a40fa00d170b333030313031303030305a", 0},
    {"validity two times in [0]",
     "3022a420a01e170d3330303130313030303030305a170d3330303130313030303030305a", 0},
    {"validity OCTET STRING time", "3013a411a00f040d3330303130313030303030305a", 0},
    {"validity [4] primitive", "30028400", 0},
    {"validity trailing NULL", "3015a413a00f170d3330303130313030303030305a0500", 0},
    {"publicKey no BIT STRING", "300da60b300906072a8648ce3d0201", 0},
    {"publicKey bad algorithm", "3008a606300003020004", 0},
    {"publicKey trailing",
     "305da65b301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708"
     "090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e"
     "2f303132333435363738393a3b3c3d3e3f0500",
     0},
    {"publicKey [6] EXPLICIT SPKI",
     "305da65b3059301306072a8648ce3d020106082a8648ce3d0301070342000400010203040506"
     "0708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c"
     "2d2e2f303132333435363738393a3b3c3d3e3f",
     0},
    {"publicKey BIT STRING bad padding", "3011a60f300906072a8648ce3d020103020101", 0},
    {"issuerUID bad padding", "300487020101", 0},
    {"issuerUID constructed", "3006a70403020001", 0},
    {"subjectUID unused 8", "300488020800", 0},
    {"extensions empty (SIZE 1..MAX)", "3002a900", 0},
    {"extension critical FALSE (DEFAULT must be omitted)", "300ea90c300a0603551d0f0101000400", 0},
    {"extension critical 01", "300ea90c300a0603551d0f0101010400", 0},
    {"extension without extnValue", "3009a90730050603551d0f", 0},
    {"extension extnValue BIT STRING", "300ca90a30080603551d0f030100", 0},
    {"extension trailing", "300da90b30090603551d0f04000500", 0},
    {"extensions item not a SEQUENCE", "3004a9020400", 0},
    {"extensions [9] primitive", "301a891830160603551d11040f300d820b6578616d706c652e636f6d", 0},
    {"unknown field [10]", "30028a00", 0},
    {"universal INTEGER in template", "3003020101", 0},
    {"application tag in template", "3003410102", 0},
    {"SET instead of SEQUENCE", "3103800102", 0},
};

static const struct codec_case controls_cases[] = {
    {"regToken", "3015301306092b06010505070501010c06736563726574", 1},
    {"oldCertID",
     "3026302406092b06010505070501053017a411300f310d300b06035504030c04746573740202"
     "1234",
     1},
    {"authenticator (kept as a TLV)", "3013301106092b06010505070501020c0461757468", 1},
    {"pkiPublicationInfo and protocolEncrKey",
     "307a301006092b06010505070501033003020100306606092b06010505070501063059301306"
     "072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d0e0f"
     "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435"
     "363738393a3b3c3d3e3f",
     1},
    {"all of them",
     "3081c8301306092b06010505070501010c06736563726574301106092b06010505070501020c"
     "0461757468301006092b06010505070501033003020100302406092b06010505070501053017"
     "a411300f310d300b06035504030c047465737402021234306606092b06010505070501063059"
     "301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c"
     "0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132"
     "333435363738393a3b3c3d3e3f",
     1},
    {"unknown control", "300e300c06072b060104018237040178", 1},
    {"empty (SIZE 1..MAX)", "3000", 0},
    {"control without value", "300d300b06092b0601050507050102", 0},
    {"regToken OCTET STRING", "3010300e06092b0601050507050101040178", 0},
    {"regToken twice",
     "302a301306092b06010505070501010c06736563726574301306092b06010505070501010c06"
     "736563726574",
     0},
    {"oldCertID twice",
     "304c302406092b06010505070501053017a411300f310d300b06035504030c04746573740202"
     "1234302406092b06010505070501053017a411300f310d300b06035504030c04746573740202"
     "1234",
     0},
    {"oldCertID without serial",
     "3022302006092b06010505070501053013a411300f310d300b06035504030c0474657374", 0},
    {"oldCertID bad issuer",
     "3023302106092b06010505070501053014300f310d300b06035504030c0474657374020101", 0},
    {"control with two values", "3013301106092b06010505070501020c01610c0162", 0},
    {"item not a SEQUENCE", "300b06092b0601050507050101", 0},
    {"SET instead of SEQUENCE", "3115301306092b06010505070501010c06736563726574", 0},
};

static const struct codec_case popo_cases[] = {
    {"raVerified", "8000", 1},
    {"signature", "a111300a06082a8648ce3d040302030300aabb", 1},
    {"signature with poposkInput",
     "a18182a070a013a411300f310d300b06035504030c04746573743059301306072a8648ce3d02"
     "0106082a8648ce3d03010703420004000102030405060708090a0b0c0d0e0f10111213141516"
     "1718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c"
     "3d3e3f300a06082a8648ce3d040302030200aa",
     1},
    {"signature with unused bits", "a110300a06082a8648ce3d040302030204a0", 1},
    {"keyEncipherment thisMessage", "a204800200ff", 1},
    {"keyEncipherment subsequentMessage encrCert", "a203810100", 1},
    {"keyEncipherment subsequentMessage challengeResp", "a203810101", 1},
    {"keyEncipherment dhMAC", "a20482020780", 1},
    {"keyEncipherment agreeMAC", "a212a310300a06082a8648ce3d04030203020001", 1},
    {"keyEncipherment encryptedKey", "a214a4120201003100300b06092a864886f70d010701", 1},
    {"keyAgreement thisMessage", "a303800100", 1},
    {"keyAgreement subsequentMessage", "a303810101", 1},
    {"keyAgreement dhMAC", "a30482020001", 1},
    {"keyAgreement agreeMAC", "a312a310300a06082a8648ce3d04030203020001", 1},
    {"keyAgreement encryptedKey", "a307a4050201003100", 1},
    {"raVerified with contents", "800100", 0},
    {"raVerified constructed", "a000", 0},
    {"raVerified universal NULL", "0500", 0},
    {"signature empty", "a100", 0},
    {"signature without BIT STRING", "a10c300a06082a8648ce3d040302", 0},
    {"signature trailing", "a111300a06082a8648ce3d0403020301000500", 0},
    {"signature BIT STRING bad padding", "a110300a06082a8648ce3d04030203020101", 0},
    {"signature poposkInput after algorithm",
     "a18181300a06082a8648ce3d040302a070a013a411300f310d300b06035504030c0474657374"
     "3059301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a"
     "0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30"
     "3132333435363738393a3b3c3d3e3f030100",
     0},
    {"signature poposkInput bad framing", "a115a00430030201300a06082a8648ce3d040302030100", 0},
    {"signature [1] primitive", "810f300a06082a8648ce3d040302030100", 0},
    {"keyEncipherment IMPLICIT (no CHOICE inside)", "820100", 0},
    {"keyEncipherment empty", "a200", 0},
    {"keyEncipherment two choices", "a206810100810100", 0},
    {"subsequentMessage 2", "a203810102", 0},
    {"subsequentMessage non-minimal", "a20481020000", 0},
    {"subsequentMessage constructed", "a205a103020100", 0},
    {"thisMessage bad padding", "a20480020101", 0},
    {"dhMAC unused bits without bytes", "a303820107", 0},
    {"agreeMAC primitive", "a303830100", 0},
    {"agreeMAC bad inner framing", "a305a303300500", 0},
    {"encryptedKey primitive", "a2028400", 0},
    {"POPOPrivKey [5]", "a203850100", 0},
    {"ProofOfPossession [4]", "a400", 0},
    {"ProofOfPossession universal SEQUENCE", "300f300a06082a8648ce3d040302030100", 0},
};

static const struct codec_case reqs_cases[] = {
    {"one request, raVerified",
     "307930773073020100306ea511300f310d300b06035504030c0474657374a659301306072a86"
     "48ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d0e0f101112"
     "131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738"
     "393a3b3c3d3e3f8000",
     1},
    {"one request, no POPO", "3009300730050201003000", 1},
    {"full request",
     "308201d5308201d13082012e0201003081eb80010281020099a20a06082a8648ce3d040302a3"
     "0f300d310b300906035504030c024341a424a00f170d3236303130313030303030305aa11118"
     "0f32303530303130313030303030305aa511300f310d300b06035504030c0474657374a65930"
     "1306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d"
     "0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
     "3435363738393a3b3c3d3e3f8703000102880204f0a928300e0603551d0f0101ff0404030205"
     "a030160603551d11040f300d820b6578616d706c652e636f6d303b301306092b060105050705"
     "01010c06736563726574302406092b06010505070501053017a411300f310d300b0603550403"
     "0c047465737402021234a18182a070a013a411300f310d300b06035504030c04746573743059"
     "301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c"
     "0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132"
     "333435363738393a3b3c3d3e3f300a06082a8648ce3d040302030200aa3018301606092b0601"
     "0505070502010c09757466387061697273",
     1},
    {"regInfo without POPO",
     "30233021300502010130003018301606092b06010505070502010c09757466387061697273", 1},
    {"controls, no POPO",
     "30818e30818b308188020102306ea511300f310d300b06035504030c0474657374a659301306"
     "072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d0e0f"
     "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435"
     "363738393a3b3c3d3e3f3013301106092b06010505070501020c0461757468",
     1},
    {"three requests",
     "30819030773073020100306ea511300f310d300b06035504030c0474657374a659301306072a"
     "8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d0e0f1011"
     "12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
     "38393a3b3c3d3e3f8000300c30050201013000a203810100300730050201ff3000",
     1},
    {"certReqId 2^63-1", "3010300e300c02087fffffffffffffff3000", 1},
    {"empty (SIZE 1..MAX)", "3000", 0},
    {"item not a SEQUENCE", "3003020100", 0},
    {"CertReqMsg empty", "30023000", 0},
    {"CertRequest without template", "300730053003020100", 0},
    {"CertRequest without certReqId", "3006300430023000", 0},
    {"certReqId 2^63", "3011300f300d02090080000000000000003000", 0},
    {"certReqId non-minimal", "300a30083006020200003000", 0},
    {"CertRequest trailing",
     "30223020301e02010030003015301306092b06010505070501010c067365637265740500", 0},
    {"controls empty", "300b3009300702010030003000", 0},
    {"controls not a SEQUENCE",
     "3020301e301c02010030003115301306092b06010505070501010c06736563726574", 0},
    {"bad POPO", "300b300930050201003000a400", 0},
    {"two POPOs", "300d300b3005020100300080008000", 0},
    {"POPO after regInfo",
     "30253023300502010030003018301606092b06010505070502010c0975746638706169727380"
     "00",
     0},
    {"regInfo empty", "300b3009300502010030003000", 0},
    {"regInfo item without value", "3018301630050201003000300d300b06092b0601050507050201", 0},
    {"trailing after regInfo",
     "30253023300502010030003018301606092b06010505070502010c0975746638706169727305"
     "00",
     0},
    {"second request bad",
     "3038300730050201003000302d302b0201013026a511300f310d300b06035504030c04746573"
     "74a511300f310d300b06035504030c0474657374",
     0},
    {"template out of order inside request",
     "302d302b30290201003024a511300f310d300b06035504030c0474657374a30f300d310b3009"
     "06035504030c024341",
     0},
};

/* One CertReqMsg with every field: certReqId 7, the template with every field,
 * controls regToken and oldCertID, POPO signature with poposkInput, regInfo. */
static const char full_request[] =
    "308201d5308201d13082012e0201073081eb80010281020099a20a06082a8648ce3d040302a3"
    "0f300d310b300906035504030c024341a424a00f170d3236303130313030303030305aa11118"
    "0f32303530303130313030303030305aa511300f310d300b06035504030c0474657374a65930"
    "1306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c0d"
    "0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f30313233"
    "3435363738393a3b3c3d3e3f8703000102880204f0a928300e0603551d0f0101ff0404030205"
    "a030160603551d11040f300d820b6578616d706c652e636f6d303b301306092b060105050705"
    "01010c06736563726574302406092b06010505070501053017a411300f310d300b0603550403"
    "0c047465737402021234a18182a070a013a411300f310d300b06035504030c04746573743059"
    "301306072a8648ce3d020106082a8648ce3d03010703420004000102030405060708090a0b0c"
    "0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132"
    "333435363738393a3b3c3d3e3f300a06082a8648ce3d040302030200aa3018301606092b0601"
    "0505070502010c09757466387061697273";
#define FULL_REQUEST_CERT_REQ_AT 8
#define FULL_REQUEST_CERT_REQ_LEN 306

static const struct err_case crmf_errors[] = {
    {"subject before issuer",
     "302d302b30290201003024a511300f310d300b06035504030c0474657374a30f300d310b3009"
     "06035504030c024341",
     30, 17, "CertTemplate"},
    {"validity bad UTCTime", "301a301830160201003011a40fa00d170b333030313031303030305a", 15, 13,
     "CertTemplate.validity.notBefore"},
    {"regToken OCTET STRING", "301b3019301702010030003010300e06092b0601050507050101040178", 26, 3,
     "Controls.regToken"},
    {"subsequentMessage 2", "300e300c30050201003000a203810102", 13, 3,
     "POPOPrivKey.subsequentMessage"},
    {"certReqId non-minimal", "300a30083006020200003000", 6, 4, "CertRequest.certReqId"},
    {"regInfo item without value", "3018301630050201003000300d300b06092b0601050507050201", 15, 11,
     "AttributeTypeAndValue.value"},
    {"second request bad", "3016300730050201003000300b3009020101300480020002", 20, 4,
     "CertReqMsg #1"},
    {"extension critical FALSE", "301730153013020100300ea90c300a0603551d0f0101000400", 13, 12,
     "CertTemplate.extensions"},
};

static int
slice_is(const struct der_in *s, const char *want, size_t want_len)
{
    return s->len == want_len && memcmp(s->p, want, want_len) == 0;
}

/* The decoded model of a request with every field. */
static void
test_full_request(void)
{
    static uint8_t buf[1024];
    size_t len = 0;
    struct der_in in;
    struct cmp_cert_req_msgs reqs;
    struct cmp_cert_req_msg *m;
    struct cmp_cert_template *t;
    struct cmp_err err;
    struct der_out out;
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    CHECK(check_unhex(full_request, buf, sizeof(buf), &len));
    in = der_in_make(buf, len);
    memset(&reqs, 0, sizeof(reqs));
    cmp_err_init(&err);
    if (!CHECK(cmp_cert_req_msgs_decode(&in, &reqs, &err) && der_done(&in) && reqs.num == 1)) {
        cmp_cert_req_msgs_cleanup(&reqs);
        return;
    }
    m = &reqs.items[0];
    t = &m->tmpl;
    CHECK(m->cert_req.p == buf + FULL_REQUEST_CERT_REQ_AT &&
          m->cert_req.len == FULL_REQUEST_CERT_REQ_LEN);
    CHECK(m->cert_req_id == 7);
    CHECK(t->raw.len > 0 && t->raw.p[0] == 0x30);
    CHECK(t->has_version && t->version == 2);
    CHECK(t->has_serial && t->serial.len == 2 && t->serial.p[1] == 0x99);
    CHECK(t->has_signing_alg && t->signing_alg.oid.len == 8 && t->signing_alg.whole.p[0] == 0xa2);
    CHECK(t->has_issuer && t->issuer.p[0] == 0x30 && t->has_subject && t->subject.p[0] == 0x30);
    CHECK(t->has_validity && t->has_not_before && t->has_not_after);
    CHECK(t->not_before.p[0] == DER_UTC_TIME && t->not_after.p[0] == DER_GENERALIZED_TIME);
    CHECK(t->not_before_secs == der_time_from_civil(2026, 1, 1, 0, 0, 0) &&
          t->not_after_secs == der_time_from_civil(2050, 1, 1, 0, 0, 0));
    CHECK(t->has_public_key && t->public_key.p[0] == 0x30 && t->public_key.len == 89);
    CHECK(t->has_issuer_uid && t->issuer_uid.len == 3 && t->issuer_uid.p[0] == 0);
    CHECK(t->has_subject_uid && t->subject_uid.len == 2 && t->subject_uid.p[0] == 4);
    CHECK(t->has_extensions && t->extensions.p[0] == 0x30);
    CHECK(m->has_controls && m->controls.items.num == 2);
    CHECK(m->controls.has_reg_token && slice_is(&m->controls.reg_token, "secret", 6));
    CHECK(m->controls.has_old_cert_id && m->controls.old_cert_id.issuer.type == CMP_GN_DIRNAME &&
          m->controls.old_cert_id.serial.len == 2);
    CHECK(m->has_popo && m->popo.type == CMP_POPO_SIGNATURE && m->popo.has_poposk_input);
    CHECK(m->popo.signature.len == 1 && m->popo.signature.p[0] == 0xaa &&
          m->popo.signature_unused == 0);
    CHECK(m->has_reg_info && m->reg_info.num == 1 && m->reg_info.items[0].has_value);

    /* cmp_cert_request_encode() gives the POPO signature input: the CertRequest as sent. */
    der_out_init(&out, 1024);
    CHECK(cmp_cert_request_encode(&out, m) && der_out_finish(&out, &enc, &enc_len));
    CHECK_MEM("CertRequest", enc, enc_len, m->cert_req.p, m->cert_req.len);
    free(enc);
    cmp_cert_req_msgs_cleanup(&reqs);
    CHECK(reqs.num == 0 && reqs.items == NULL);
}

/* Each POPO alternative decodes to the right type, private-key choice and value. */
static void
test_popo_types(void)
{
    static const struct {
        const char *hex;
        int type, priv_type;
        int64_t subsequent;
    } rows[] = {
        {"8000", CMP_POPO_RAVERIFIED, 0, 0},
        {"a10f300a06082a8648ce3d040302030100", CMP_POPO_SIGNATURE, 0, 0},
        {"a20480020001", CMP_POPO_KEYENC, CMP_POPO_PRIV_THIS_MESSAGE, 0},
        {"a203810100", CMP_POPO_KEYENC, CMP_POPO_PRIV_SUBSEQUENT, CMP_SUBSEQ_ENCR_CERT},
        {"a303810101", CMP_POPO_KEYAGREE, CMP_POPO_PRIV_SUBSEQUENT, CMP_SUBSEQ_CHALLENGE_RESP},
        {"a30482020780", CMP_POPO_KEYAGREE, CMP_POPO_PRIV_DHMAC, 0},
        {"a312a310300a06082a8648ce3d04030203020001", CMP_POPO_KEYAGREE, CMP_POPO_PRIV_AGREEMAC, 0},
        {"a207a40502010031 00", CMP_POPO_KEYENC, CMP_POPO_PRIV_ENCRYPTED_KEY, 0},
    };
    size_t i;

    for (i = 0; i < CODEC_NUM(rows); i++) {
        uint8_t buf[64];
        size_t len = 0;
        struct der_in in;
        struct cmp_popo popo;
        struct cmp_err err;
        char name[32];

        snprintf(name, sizeof(name), "POPO type row %zu", i);
        if (!CHECK_CASE(name, check_unhex(rows[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        in = der_in_make(buf, len);
        memset(&popo, 0, sizeof(popo));
        cmp_err_init(&err);
        if (!CHECK_CASE(name, cmp_popo_decode(&in, &popo, &err) && der_done(&in))) {
            continue;
        }
        CHECK_CASE(name, popo.type == rows[i].type);
        if (rows[i].type == CMP_POPO_KEYENC || rows[i].type == CMP_POPO_KEYAGREE) {
            CHECK_CASE(name, popo.priv_type == rows[i].priv_type);
            CHECK_CASE(name, popo.priv.p == buf + 2 && popo.priv.len == len - 2);
        }
        if (popo.priv_type == CMP_POPO_PRIV_SUBSEQUENT) {
            CHECK_CASE(name, popo.subsequent == rows[i].subsequent);
        }
    }
}

/* A POPO built in memory: subsequentMessage needs no |priv| bytes. */
static void
test_popo_built(void)
{
    struct cmp_popo popo;
    struct der_out out;
    uint8_t *enc = NULL;
    size_t len = 0;
    static const uint8_t want[] = {0xa2, 0x03, 0x81, 0x01, 0x00};
    static const uint8_t want_ra[] = {0x80, 0x00};

    memset(&popo, 0, sizeof(popo));
    popo.type = CMP_POPO_KEYENC;
    popo.priv_type = CMP_POPO_PRIV_SUBSEQUENT;
    popo.subsequent = CMP_SUBSEQ_ENCR_CERT;
    der_out_init(&out, 64);
    CHECK(cmp_popo_encode(&out, &popo) && der_out_finish(&out, &enc, &len));
    CHECK_MEM("built subsequentMessage", enc, len, want, sizeof(want));
    free(enc);

    memset(&popo, 0, sizeof(popo));
    popo.type = CMP_POPO_RAVERIFIED;
    der_out_init(&out, 64);
    CHECK(cmp_popo_encode(&out, &popo) && der_out_finish(&out, &enc, &len));
    CHECK_MEM("built raVerified", enc, len, want_ra, sizeof(want_ra));
    free(enc);

    /* An unknown type cannot be encoded, and the writer stays failed. */
    memset(&popo, 0, sizeof(popo));
    popo.type = 4;
    der_out_init(&out, 64);
    CHECK(!cmp_popo_encode(&out, &popo) && !der_out_ok(&out));
    der_out_cleanup(&out);
}

/* CertReqMessages is SIZE (1..MAX): an empty one has no DER encoding. */
static void
test_reqs_refusal(void)
{
    struct cmp_cert_req_msgs reqs;
    struct der_out out;

    memset(&reqs, 0, sizeof(reqs));
    der_out_init(&out, 64);
    CHECK(!cmp_cert_req_msgs_encode(&out, &reqs) && !der_out_ok(&out));
    der_out_cleanup(&out);
}

/* CertReqMessages: CMP_MAX_ITEMS requests decode, one more is CMP_E_LIMIT. */
static void
test_limits(void)
{
    static const uint32_t seq[] = {DER_SEQUENCE};
    /* CertReqMsg { CertRequest { 0, CertTemplate {} } } */
    static const char req[] = "3007 3005 020100 3000";

    codec_check_repeat(&reqs_codec, "CertReqMessages 256", seq, 1, req, CMP_MAX_ITEMS, 1, 0);
    codec_check_repeat(&reqs_codec, "CertReqMessages 257", seq, 1, req, CMP_MAX_ITEMS + 1, 0,
                       CMP_E_LIMIT);
    codec_check_repeat(&reqs_codec, "CertReqMessages 1000", seq, 1, req, 1000, 0, CMP_E_LIMIT);
    /* Controls (a SEQUENCE OF AttributeTypeAndValue) has the same limit. */
    codec_check_repeat(&controls_codec, "Controls 256", seq, 1,
                       "300e 06092b0601050507050102 0c0161", CMP_MAX_ITEMS, 1, 0);
    codec_check_repeat(&controls_codec, "Controls 257", seq, 1,
                       "300e 06092b0601050507050102 0c0161", CMP_MAX_ITEMS + 1, 0, CMP_E_LIMIT);
}

/*
 * Errors point into the failing element (err.pos within [offset, offset +
 * len)) and cmp_err_format() names the field.
 */
static void
test_errors(void)
{
    size_t i;

    for (i = 0; i < CODEC_NUM(crmf_errors); i++) {
        static uint8_t buf[512];
        size_t len = 0;
        struct der_in in;
        struct cmp_cert_req_msgs reqs;
        struct cmp_err err;
        char text[1024];
        const char *name = crmf_errors[i].name;
        const uint8_t *lo = buf + crmf_errors[i].offset, *hi = lo + crmf_errors[i].len;

        if (!CHECK_CASE(name, check_unhex(crmf_errors[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        in = der_in_make(buf, len);
        memset(&reqs, 0, sizeof(reqs));
        cmp_err_init(&err);
        CHECK_CASE(name, !cmp_cert_req_msgs_decode(&in, &reqs, &err));
        CHECK_CASE(name, in.p == buf && in.len == len && err.code == CMP_E_DECODE);
        if (!CHECK_CASE(name, err.pos != NULL && err.pos >= lo && err.pos < hi)) {
            fprintf(stderr, "    err.pos at %ld, expected %zu..%zu\n",
                    err.pos != NULL ? (long)(err.pos - buf) : -1L, crmf_errors[i].offset,
                    crmf_errors[i].offset + crmf_errors[i].len - 1);
        }
        cmp_err_format(&err, text, sizeof(text));
        if (!CHECK_CASE(name, strstr(text, crmf_errors[i].field) != NULL)) {
            fprintf(stderr, "    got: %s\n", text);
        }
        cmp_cert_req_msgs_cleanup(&reqs);
    }
}

int
main(void)
{
    reqs_codec = codec_of_body(CMP_BODY_IR);
    codec_check_cases(&template_codec, template_cases, CODEC_NUM(template_cases));
    codec_check_cases(&controls_codec, controls_cases, CODEC_NUM(controls_cases));
    codec_check_cases(&popo_codec, popo_cases, CODEC_NUM(popo_cases));
    codec_check_cases(&reqs_codec, reqs_cases, CODEC_NUM(reqs_cases));
    test_full_request();
    test_popo_types();
    test_popo_built();
    test_reqs_refusal();
    test_limits();
    test_errors();
    return check_finish();
}
