/*
 * The table of named OIDs, indexed by CMP_NID_ (see oids.h for how names
 * are chosen). Each entry keeps the OID's contents octets next to its dotted
 * form; cmp_oid_table_check() verifies that the two agree.
 */
#include <stdio.h>
#include <string.h>

#include "msg/oids.h"

struct oid_name {
    const uint8_t *der; /* OID contents */
    size_t der_len;
    const char *dotted;
    const char *name;
    const char *short_name; /* attribute types in Names; else NULL */
};

/* |der| is a string literal of \x escapes; sizeof counts its NUL. */
#define OID_DER(der) (const uint8_t *)(der), sizeof(der) - 1

static const struct oid_name oid_names[CMP_NID_NUM] = {
    /* MACs and key derivation (RFC 9810 5.1.3, RFC 9481, RFC 8018) */
    [CMP_NID_PASSWORD_BASED_MAC] = {OID_DER("\x2A\x86\x48\x86\xF6\x7D\x07\x42\x0D"),
                                    "1.2.840.113533.7.66.13", "passwordBasedMac", NULL},
    [CMP_NID_DH_BASED_MAC] = {OID_DER("\x2A\x86\x48\x86\xF6\x7D\x07\x42\x1E"),
                              "1.2.840.113533.7.66.30", "dhBasedMac", NULL},
    [CMP_NID_KEM_BASED_MAC] = {OID_DER("\x2A\x86\x48\x86\xF6\x7D\x07\x42\x10"),
                               "1.2.840.113533.7.66.16", "kemBasedMac", NULL},
    [CMP_NID_PBMAC1] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0E"), "1.2.840.113549.1.5.14",
                        "PBMAC1", NULL},
    [CMP_NID_PBKDF2] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0C"), "1.2.840.113549.1.5.12",
                        "PBKDF2", NULL},
    [CMP_NID_PBES2] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0D"), "1.2.840.113549.1.5.13",
                       "PBES2", NULL},
    [CMP_NID_HMAC_WITH_SHA1] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x07"), "1.2.840.113549.2.7",
                                "hmacWithSHA1", NULL},
    [CMP_NID_HMAC_WITH_SHA224] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x08"), "1.2.840.113549.2.8",
                                  "hmacWithSHA224", NULL},
    [CMP_NID_HMAC_WITH_SHA256] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x09"), "1.2.840.113549.2.9",
                                  "hmacWithSHA256", NULL},
    [CMP_NID_HMAC_WITH_SHA384] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x0A"),
                                  "1.2.840.113549.2.10", "hmacWithSHA384", NULL},
    [CMP_NID_HMAC_WITH_SHA512] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x0B"),
                                  "1.2.840.113549.2.11", "hmacWithSHA512", NULL},
    [CMP_NID_HMAC_WITH_SHA512_224] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x0C"),
                                      "1.2.840.113549.2.12", "hmacWithSHA512-224", NULL},
    [CMP_NID_HMAC_WITH_SHA512_256] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x0D"),
                                      "1.2.840.113549.2.13", "hmacWithSHA512-256", NULL},
    [CMP_NID_HMAC_SHA1] = {OID_DER("\x2B\x06\x01\x05\x05\x08\x01\x02"), "1.3.6.1.5.5.8.1.2",
                           "hmac-sha1", NULL},
    [CMP_NID_HMAC_SHA3_224] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0D"),
                               "2.16.840.1.101.3.4.2.13", "hmac-sha3-224", NULL},
    [CMP_NID_HMAC_SHA3_256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0E"),
                               "2.16.840.1.101.3.4.2.14", "hmac-sha3-256", NULL},
    [CMP_NID_HMAC_SHA3_384] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0F"),
                               "2.16.840.1.101.3.4.2.15", "hmac-sha3-384", NULL},
    [CMP_NID_HMAC_SHA3_512] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x10"),
                               "2.16.840.1.101.3.4.2.16", "hmac-sha3-512", NULL},

    /* hash functions */
    [CMP_NID_MD5] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x05"), "1.2.840.113549.2.5", "md5",
                     NULL},
    [CMP_NID_SHA1] = {OID_DER("\x2B\x0E\x03\x02\x1A"), "1.3.14.3.2.26", "sha1", NULL},
    [CMP_NID_SHA224] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x04"), "2.16.840.1.101.3.4.2.4",
                        "sha224", NULL},
    [CMP_NID_SHA256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x01"), "2.16.840.1.101.3.4.2.1",
                        "sha256", NULL},
    [CMP_NID_SHA384] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x02"), "2.16.840.1.101.3.4.2.2",
                        "sha384", NULL},
    [CMP_NID_SHA512] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x03"), "2.16.840.1.101.3.4.2.3",
                        "sha512", NULL},
    [CMP_NID_SHA512_224] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x05"),
                            "2.16.840.1.101.3.4.2.5", "sha512-224", NULL},
    [CMP_NID_SHA512_256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x06"),
                            "2.16.840.1.101.3.4.2.6", "sha512-256", NULL},
    [CMP_NID_SHA3_224] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x07"), "2.16.840.1.101.3.4.2.7",
                          "sha3-224", NULL},
    [CMP_NID_SHA3_256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x08"), "2.16.840.1.101.3.4.2.8",
                          "sha3-256", NULL},
    [CMP_NID_SHA3_384] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x09"), "2.16.840.1.101.3.4.2.9",
                          "sha3-384", NULL},
    [CMP_NID_SHA3_512] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0A"),
                          "2.16.840.1.101.3.4.2.10", "sha3-512", NULL},
    [CMP_NID_SHAKE128] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0B"),
                          "2.16.840.1.101.3.4.2.11", "shake128", NULL},
    [CMP_NID_SHAKE256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0C"),
                          "2.16.840.1.101.3.4.2.12", "shake256", NULL},

    /* RSA (RFC 8017) */
    [CMP_NID_RSA_ENCRYPTION] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01"),
                                "1.2.840.113549.1.1.1", "rsaEncryption", NULL},
    [CMP_NID_SHA1_WITH_RSA_ENCRYPTION] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x05"),
                                          "1.2.840.113549.1.1.5", "sha1WithRSAEncryption", NULL},
    [CMP_NID_SHA224_WITH_RSA_ENCRYPTION] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0E"),
                                            "1.2.840.113549.1.1.14", "sha224WithRSAEncryption",
                                            NULL},
    [CMP_NID_SHA256_WITH_RSA_ENCRYPTION] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0B"),
                                            "1.2.840.113549.1.1.11", "sha256WithRSAEncryption",
                                            NULL},
    [CMP_NID_SHA384_WITH_RSA_ENCRYPTION] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0C"),
                                            "1.2.840.113549.1.1.12", "sha384WithRSAEncryption",
                                            NULL},
    [CMP_NID_SHA512_WITH_RSA_ENCRYPTION] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0D"),
                                            "1.2.840.113549.1.1.13", "sha512WithRSAEncryption",
                                            NULL},
    [CMP_NID_RSASSA_PSS] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0A"),
                            "1.2.840.113549.1.1.10", "rsassaPss", NULL},
    [CMP_NID_RSAES_OAEP] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x07"), "1.2.840.113549.1.1.7",
                            "rsaesOaep", NULL},
    [CMP_NID_MGF1] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x08"), "1.2.840.113549.1.1.8",
                      "mgf1", NULL},
    [CMP_NID_RSASSA_PSS_SHAKE128] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x06\x1E"),
                                     "1.3.6.1.5.5.7.6.30", "id-RSASSA-PSS-SHAKE128", NULL},
    [CMP_NID_RSASSA_PSS_SHAKE256] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x06\x1F"),
                                     "1.3.6.1.5.5.7.6.31", "id-RSASSA-PSS-SHAKE256", NULL},
    [CMP_NID_RSA_SHA3_224] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0D"),
                              "2.16.840.1.101.3.4.3.13", "RSA-SHA3-224", NULL},
    [CMP_NID_RSA_SHA3_256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0E"),
                              "2.16.840.1.101.3.4.3.14", "RSA-SHA3-256", NULL},
    [CMP_NID_RSA_SHA3_384] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0F"),
                              "2.16.840.1.101.3.4.3.15", "RSA-SHA3-384", NULL},
    [CMP_NID_RSA_SHA3_512] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x10"),
                              "2.16.840.1.101.3.4.3.16", "RSA-SHA3-512", NULL},

    /* elliptic curves and EdDSA/ECDH (RFC 5480, RFC 5758, RFC 8410) */
    [CMP_NID_EC_PUBLIC_KEY] = {OID_DER("\x2A\x86\x48\xCE\x3D\x02\x01"), "1.2.840.10045.2.1",
                               "id-ecPublicKey", NULL},
    [CMP_NID_ECDSA_WITH_SHA1] = {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x01"), "1.2.840.10045.4.1",
                                 "ecdsa-with-SHA1", NULL},
    [CMP_NID_ECDSA_WITH_SHA224] = {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x01"),
                                   "1.2.840.10045.4.3.1", "ecdsa-with-SHA224", NULL},
    [CMP_NID_ECDSA_WITH_SHA256] = {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x02"),
                                   "1.2.840.10045.4.3.2", "ecdsa-with-SHA256", NULL},
    [CMP_NID_ECDSA_WITH_SHA384] = {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x03"),
                                   "1.2.840.10045.4.3.3", "ecdsa-with-SHA384", NULL},
    [CMP_NID_ECDSA_WITH_SHA512] = {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x04"),
                                   "1.2.840.10045.4.3.4", "ecdsa-with-SHA512", NULL},
    [CMP_NID_ECDSA_WITH_SHA3_224] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x09"),
                                     "2.16.840.1.101.3.4.3.9", "ecdsa_with_SHA3-224", NULL},
    [CMP_NID_ECDSA_WITH_SHA3_256] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0A"),
                                     "2.16.840.1.101.3.4.3.10", "ecdsa_with_SHA3-256", NULL},
    [CMP_NID_ECDSA_WITH_SHA3_384] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0B"),
                                     "2.16.840.1.101.3.4.3.11", "ecdsa_with_SHA3-384", NULL},
    [CMP_NID_ECDSA_WITH_SHA3_512] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0C"),
                                     "2.16.840.1.101.3.4.3.12", "ecdsa_with_SHA3-512", NULL},
    [CMP_NID_ECDSA_WITH_SHAKE128] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x06\x20"),
                                     "1.3.6.1.5.5.7.6.32", "id-ecdsa-with-shake128", NULL},
    [CMP_NID_ECDSA_WITH_SHAKE256] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x06\x21"),
                                     "1.3.6.1.5.5.7.6.33", "id-ecdsa-with-shake256", NULL},
    [CMP_NID_X25519] = {OID_DER("\x2B\x65\x6E"), "1.3.101.110", "X25519", NULL},
    [CMP_NID_X448] = {OID_DER("\x2B\x65\x6F"), "1.3.101.111", "X448", NULL},
    [CMP_NID_ED25519] = {OID_DER("\x2B\x65\x70"), "1.3.101.112", "ED25519", NULL},
    [CMP_NID_ED448] = {OID_DER("\x2B\x65\x71"), "1.3.101.113", "ED448", NULL},

    /* ML-DSA (FIPS 204) and ML-KEM (FIPS 203), names as in OpenSSL 3.5 */
    [CMP_NID_ML_DSA_44] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x11"),
                           "2.16.840.1.101.3.4.3.17", "ML-DSA-44", NULL},
    [CMP_NID_ML_DSA_65] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x12"),
                           "2.16.840.1.101.3.4.3.18", "ML-DSA-65", NULL},
    [CMP_NID_ML_DSA_87] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x13"),
                           "2.16.840.1.101.3.4.3.19", "ML-DSA-87", NULL},
    [CMP_NID_ML_KEM_512] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x04\x01"),
                            "2.16.840.1.101.3.4.4.1", "ML-KEM-512", NULL},
    [CMP_NID_ML_KEM_768] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x04\x02"),
                            "2.16.840.1.101.3.4.4.2", "ML-KEM-768", NULL},
    [CMP_NID_ML_KEM_1024] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x04\x03"),
                             "2.16.840.1.101.3.4.4.3", "ML-KEM-1024", NULL},

    /* named curves */
    [CMP_NID_PRIME256V1] = {OID_DER("\x2A\x86\x48\xCE\x3D\x03\x01\x07"), "1.2.840.10045.3.1.7",
                            "prime256v1", NULL},
    [CMP_NID_SECP384R1] = {OID_DER("\x2B\x81\x04\x00\x22"), "1.3.132.0.34", "secp384r1", NULL},
    [CMP_NID_SECP521R1] = {OID_DER("\x2B\x81\x04\x00\x23"), "1.3.132.0.35", "secp521r1", NULL},
    [CMP_NID_SECP256K1] = {OID_DER("\x2B\x81\x04\x00\x0A"), "1.3.132.0.10", "secp256k1", NULL},
    [CMP_NID_BRAINPOOL_P256R1] = {OID_DER("\x2B\x24\x03\x03\x02\x08\x01\x01\x07"),
                                  "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1", NULL},
    [CMP_NID_BRAINPOOL_P384R1] = {OID_DER("\x2B\x24\x03\x03\x02\x08\x01\x01\x0B"),
                                  "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1", NULL},
    [CMP_NID_BRAINPOOL_P512R1] = {OID_DER("\x2B\x24\x03\x03\x02\x08\x01\x01\x0D"),
                                  "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1", NULL},

    /* attribute types in Names (X.520, PKCS #9, RFC 4519): long and short name */
    [CMP_NID_COMMON_NAME] = {OID_DER("\x55\x04\x03"), "2.5.4.3", "commonName", "CN"},
    [CMP_NID_SURNAME] = {OID_DER("\x55\x04\x04"), "2.5.4.4", "surname", "SN"},
    [CMP_NID_SERIAL_NUMBER] = {OID_DER("\x55\x04\x05"), "2.5.4.5", "serialNumber", "serialNumber"},
    [CMP_NID_COUNTRY_NAME] = {OID_DER("\x55\x04\x06"), "2.5.4.6", "countryName", "C"},
    [CMP_NID_LOCALITY_NAME] = {OID_DER("\x55\x04\x07"), "2.5.4.7", "localityName", "L"},
    [CMP_NID_STATE_OR_PROVINCE_NAME] = {OID_DER("\x55\x04\x08"), "2.5.4.8", "stateOrProvinceName",
                                        "ST"},
    [CMP_NID_STREET_ADDRESS] = {OID_DER("\x55\x04\x09"), "2.5.4.9", "streetAddress", "street"},
    [CMP_NID_ORGANIZATION_NAME] = {OID_DER("\x55\x04\x0A"), "2.5.4.10", "organizationName", "O"},
    [CMP_NID_ORGANIZATIONAL_UNIT_NAME] = {OID_DER("\x55\x04\x0B"), "2.5.4.11",
                                          "organizationalUnitName", "OU"},
    [CMP_NID_TITLE] = {OID_DER("\x55\x04\x0C"), "2.5.4.12", "title", "title"},
    [CMP_NID_DESCRIPTION] = {OID_DER("\x55\x04\x0D"), "2.5.4.13", "description", "description"},
    [CMP_NID_POSTAL_CODE] = {OID_DER("\x55\x04\x11"), "2.5.4.17", "postalCode", "postalCode"},
    [CMP_NID_NAME] = {OID_DER("\x55\x04\x29"), "2.5.4.41", "name", "name"},
    [CMP_NID_GIVEN_NAME] = {OID_DER("\x55\x04\x2A"), "2.5.4.42", "givenName", "GN"},
    [CMP_NID_INITIALS] = {OID_DER("\x55\x04\x2B"), "2.5.4.43", "initials", "initials"},
    [CMP_NID_GENERATION_QUALIFIER] = {OID_DER("\x55\x04\x2C"), "2.5.4.44", "generationQualifier",
                                      "generationQualifier"},
    [CMP_NID_DN_QUALIFIER] = {OID_DER("\x55\x04\x2E"), "2.5.4.46", "dnQualifier", "dnQualifier"},
    [CMP_NID_PSEUDONYM] = {OID_DER("\x55\x04\x41"), "2.5.4.65", "pseudonym", "pseudonym"},
    [CMP_NID_ORGANIZATION_IDENTIFIER] = {OID_DER("\x55\x04\x61"), "2.5.4.97",
                                         "organizationIdentifier", "organizationIdentifier"},
    [CMP_NID_EMAIL_ADDRESS] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x01"),
                               "1.2.840.113549.1.9.1", "emailAddress", "emailAddress"},
    [CMP_NID_USER_ID] = {OID_DER("\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x01"),
                         "0.9.2342.19200300.100.1.1", "userId", "UID"},
    [CMP_NID_DOMAIN_COMPONENT] = {OID_DER("\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x19"),
                                  "0.9.2342.19200300.100.1.25", "domainComponent", "DC"},

    /* certificate and CRL extensions (RFC 5280) */
    [CMP_NID_SUBJECT_KEY_IDENTIFIER] = {OID_DER("\x55\x1D\x0E"), "2.5.29.14",
                                        "subjectKeyIdentifier", NULL},
    [CMP_NID_KEY_USAGE] = {OID_DER("\x55\x1D\x0F"), "2.5.29.15", "keyUsage", NULL},
    [CMP_NID_SUBJECT_ALT_NAME] = {OID_DER("\x55\x1D\x11"), "2.5.29.17", "subjectAltName", NULL},
    [CMP_NID_ISSUER_ALT_NAME] = {OID_DER("\x55\x1D\x12"), "2.5.29.18", "issuerAltName", NULL},
    [CMP_NID_BASIC_CONSTRAINTS] = {OID_DER("\x55\x1D\x13"), "2.5.29.19", "basicConstraints", NULL},
    [CMP_NID_CRL_NUMBER] = {OID_DER("\x55\x1D\x14"), "2.5.29.20", "crlNumber", NULL},
    [CMP_NID_CRL_REASON] = {OID_DER("\x55\x1D\x15"), "2.5.29.21", "CRLReason", NULL},
    [CMP_NID_INVALIDITY_DATE] = {OID_DER("\x55\x1D\x18"), "2.5.29.24", "invalidityDate", NULL},
    [CMP_NID_CERTIFICATE_ISSUER] = {OID_DER("\x55\x1D\x1D"), "2.5.29.29", "certificateIssuer",
                                    NULL},
    [CMP_NID_NAME_CONSTRAINTS] = {OID_DER("\x55\x1D\x1E"), "2.5.29.30", "nameConstraints", NULL},
    [CMP_NID_CRL_DISTRIBUTION_POINTS] = {OID_DER("\x55\x1D\x1F"), "2.5.29.31",
                                         "crlDistributionPoints", NULL},
    [CMP_NID_CERTIFICATE_POLICIES] = {OID_DER("\x55\x1D\x20"), "2.5.29.32", "certificatePolicies",
                                      NULL},
    [CMP_NID_AUTHORITY_KEY_IDENTIFIER] = {OID_DER("\x55\x1D\x23"), "2.5.29.35",
                                          "authorityKeyIdentifier", NULL},
    [CMP_NID_POLICY_CONSTRAINTS] = {OID_DER("\x55\x1D\x24"), "2.5.29.36", "policyConstraints",
                                    NULL},
    [CMP_NID_EXTENDED_KEY_USAGE] = {OID_DER("\x55\x1D\x25"), "2.5.29.37", "extendedKeyUsage", NULL},
    [CMP_NID_AUTHORITY_INFO_ACCESS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x01\x01"),
                                       "1.3.6.1.5.5.7.1.1", "authorityInfoAccess", NULL},

    /* access methods and extended key usages (RFC 5280, RFC 6402, RFC 9480) */
    [CMP_NID_AD_OCSP] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x30\x01"), "1.3.6.1.5.5.7.48.1", "OCSP",
                         NULL},
    [CMP_NID_AD_CA_ISSUERS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x30\x02"), "1.3.6.1.5.5.7.48.2",
                               "caIssuers", NULL},
    [CMP_NID_KP_SERVER_AUTH] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x01"), "1.3.6.1.5.5.7.3.1",
                                "serverAuth", NULL},
    [CMP_NID_KP_CLIENT_AUTH] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x02"), "1.3.6.1.5.5.7.3.2",
                                "clientAuth", NULL},
    [CMP_NID_KP_CODE_SIGNING] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x03"), "1.3.6.1.5.5.7.3.3",
                                 "codeSigning", NULL},
    [CMP_NID_KP_EMAIL_PROTECTION] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x04"),
                                     "1.3.6.1.5.5.7.3.4", "emailProtection", NULL},
    [CMP_NID_KP_TIME_STAMPING] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x08"), "1.3.6.1.5.5.7.3.8",
                                  "timeStamping", NULL},
    [CMP_NID_KP_OCSP_SIGNING] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x09"), "1.3.6.1.5.5.7.3.9",
                                 "OCSPSigning", NULL},
    [CMP_NID_KP_CMC_CA] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x1B"), "1.3.6.1.5.5.7.3.27",
                           "cmcCA", NULL},
    [CMP_NID_KP_CMC_RA] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x1C"), "1.3.6.1.5.5.7.3.28",
                           "cmcRA", NULL},
    [CMP_NID_KP_CM_KGA] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x20"), "1.3.6.1.5.5.7.3.32",
                           "cmKGA", NULL},

    /* CRMF controls and regInfo (RFC 4211 6 and 7, RFC 9810, RFC 9480) */
    [CMP_NID_REG_CTRL_REG_TOKEN] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x01"),
                                    "1.3.6.1.5.5.7.5.1.1", "id-regCtrl-regToken", NULL},
    [CMP_NID_REG_CTRL_AUTHENTICATOR] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x02"),
                                        "1.3.6.1.5.5.7.5.1.2", "id-regCtrl-authenticator", NULL},
    [CMP_NID_REG_CTRL_PKI_PUBLICATION_INFO] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x03"),
                                               "1.3.6.1.5.5.7.5.1.3",
                                               "id-regCtrl-pkiPublicationInfo", NULL},
    [CMP_NID_REG_CTRL_PKI_ARCHIVE_OPTIONS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x04"),
                                              "1.3.6.1.5.5.7.5.1.4", "id-regCtrl-pkiArchiveOptions",
                                              NULL},
    [CMP_NID_REG_CTRL_OLD_CERT_ID] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x05"),
                                      "1.3.6.1.5.5.7.5.1.5", "id-regCtrl-oldCertID", NULL},
    [CMP_NID_REG_CTRL_PROTOCOL_ENCR_KEY] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x06"),
                                            "1.3.6.1.5.5.7.5.1.6", "id-regCtrl-protocolEncrKey",
                                            NULL},
    [CMP_NID_REG_CTRL_ALT_CERT_TEMPLATE] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x07"),
                                            "1.3.6.1.5.5.7.5.1.7", "id-regCtrl-altCertTemplate",
                                            NULL},
    [CMP_NID_REG_CTRL_ALG_ID] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x0B"),
                                 "1.3.6.1.5.5.7.5.1.11", "id-regCtrl-algId", NULL},
    [CMP_NID_REG_CTRL_RSA_KEY_LEN] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x0C"),
                                      "1.3.6.1.5.5.7.5.1.12", "id-regCtrl-rsaKeyLen", NULL},
    [CMP_NID_REG_INFO_UTF8_PAIRS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x02\x01"),
                                     "1.3.6.1.5.5.7.5.2.1", "id-regInfo-utf8Pairs", NULL},
    [CMP_NID_REG_INFO_CERT_REQ] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x02\x02"),
                                   "1.3.6.1.5.5.7.5.2.2", "id-regInfo-certReq", NULL},

    /* CMP InfoTypeAndValue types, id-it (RFC 9810 5.3.19, RFC 9480, RFC 9810 for 24) */
    [CMP_NID_IT_CA_PROT_ENC_CERT] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x01"),
                                     "1.3.6.1.5.5.7.4.1", "id-it-caProtEncCert", NULL},
    [CMP_NID_IT_SIGN_KEY_PAIR_TYPES] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x02"),
                                        "1.3.6.1.5.5.7.4.2", "id-it-signKeyPairTypes", NULL},
    [CMP_NID_IT_ENC_KEY_PAIR_TYPES] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x03"),
                                       "1.3.6.1.5.5.7.4.3", "id-it-encKeyPairTypes", NULL},
    [CMP_NID_IT_PREFERRED_SYMM_ALG] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x04"),
                                       "1.3.6.1.5.5.7.4.4", "id-it-preferredSymmAlg", NULL},
    [CMP_NID_IT_CA_KEY_UPDATE_INFO] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x05"),
                                       "1.3.6.1.5.5.7.4.5", "id-it-caKeyUpdateInfo", NULL},
    [CMP_NID_IT_CURRENT_CRL] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x06"), "1.3.6.1.5.5.7.4.6",
                                "id-it-currentCRL", NULL},
    [CMP_NID_IT_UNSUPPORTED_OIDS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x07"),
                                     "1.3.6.1.5.5.7.4.7", "id-it-unsupportedOIDs", NULL},
    [CMP_NID_IT_KEY_PAIR_PARAM_REQ] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0A"),
                                       "1.3.6.1.5.5.7.4.10", "id-it-keyPairParamReq", NULL},
    [CMP_NID_IT_KEY_PAIR_PARAM_REP] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0B"),
                                       "1.3.6.1.5.5.7.4.11", "id-it-keyPairParamRep", NULL},
    [CMP_NID_IT_REV_PASSPHRASE] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0C"),
                                   "1.3.6.1.5.5.7.4.12", "id-it-revPassphrase", NULL},
    [CMP_NID_IT_IMPLICIT_CONFIRM] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0D"),
                                     "1.3.6.1.5.5.7.4.13", "id-it-implicitConfirm", NULL},
    [CMP_NID_IT_CONFIRM_WAIT_TIME] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0E"),
                                      "1.3.6.1.5.5.7.4.14", "id-it-confirmWaitTime", NULL},
    [CMP_NID_IT_ORIG_PKI_MESSAGE] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0F"),
                                     "1.3.6.1.5.5.7.4.15", "id-it-origPKIMessage", NULL},
    [CMP_NID_IT_SUPP_LANG_TAGS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x10"),
                                   "1.3.6.1.5.5.7.4.16", "id-it-suppLangTags", NULL},
    [CMP_NID_IT_CA_CERTS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x11"), "1.3.6.1.5.5.7.4.17",
                             "id-it-caCerts", NULL},
    [CMP_NID_IT_ROOT_CA_KEY_UPDATE] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x12"),
                                       "1.3.6.1.5.5.7.4.18", "id-it-rootCaKeyUpdate", NULL},
    [CMP_NID_IT_CERT_REQ_TEMPLATE] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x13"),
                                      "1.3.6.1.5.5.7.4.19", "id-it-certReqTemplate", NULL},
    [CMP_NID_IT_ROOT_CA_CERT] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x14"), "1.3.6.1.5.5.7.4.20",
                                 "id-it-rootCaCert", NULL},
    [CMP_NID_IT_CERT_PROFILE] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x15"), "1.3.6.1.5.5.7.4.21",
                                 "id-it-certProfile", NULL},
    [CMP_NID_IT_CRL_STATUS_LIST] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x16"),
                                    "1.3.6.1.5.5.7.4.22", "id-it-crlStatusList", NULL},
    [CMP_NID_IT_CRLS] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x17"), "1.3.6.1.5.5.7.4.23",
                         "id-it-crls", NULL},
    [CMP_NID_IT_KEM_CIPHERTEXT_INFO] = {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x18"),
                                        "1.3.6.1.5.5.7.4.24", "id-it-KemCiphertextInfo", NULL},

    /* CMS content types and PKCS #9 attributes */
    [CMP_NID_PKCS7_DATA] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x07\x01"), "1.2.840.113549.1.7.1",
                            "pkcs7-data", NULL},
    [CMP_NID_PKCS7_SIGNED_DATA] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02"),
                                   "1.2.840.113549.1.7.2", "pkcs7-signedData", NULL},
    [CMP_NID_PKCS7_ENVELOPED_DATA] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x07\x03"),
                                      "1.2.840.113549.1.7.3", "pkcs7-envelopedData", NULL},
    [CMP_NID_CT_ENC_KEY_WITH_ID] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x10\x01\x15"),
                                    "1.2.840.113549.1.9.16.1.21", "id-ct-encKeyWithID", NULL},
    [CMP_NID_CT_KP_AKEY_PACKAGE] = {OID_DER("\x60\x86\x48\x01\x65\x02\x01\x02\x4E\x05"),
                                    "2.16.840.1.101.2.1.2.78.5", "id-ct-KP-aKeyPackage", NULL},
    [CMP_NID_CHALLENGE_PASSWORD] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x07"),
                                    "1.2.840.113549.1.9.7", "challengePassword", NULL},
    [CMP_NID_EXT_REQ] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x0E"), "1.2.840.113549.1.9.14",
                         "extReq", NULL},

    /* AES (RFC 3565, RFC 3394, RFC 5084) */
    [CMP_NID_AES_128_CBC] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x02"),
                             "2.16.840.1.101.3.4.1.2", "aes-128-cbc", NULL},
    [CMP_NID_AES_192_CBC] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x16"),
                             "2.16.840.1.101.3.4.1.22", "aes-192-cbc", NULL},
    [CMP_NID_AES_256_CBC] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x2A"),
                             "2.16.840.1.101.3.4.1.42", "aes-256-cbc", NULL},
    [CMP_NID_AES128_WRAP] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x05"),
                             "2.16.840.1.101.3.4.1.5", "id-aes128-wrap", NULL},
    [CMP_NID_AES192_WRAP] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x19"),
                             "2.16.840.1.101.3.4.1.25", "id-aes192-wrap", NULL},
    [CMP_NID_AES256_WRAP] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x2D"),
                             "2.16.840.1.101.3.4.1.45", "id-aes256-wrap", NULL},
    [CMP_NID_AES_128_GCM] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x06"),
                             "2.16.840.1.101.3.4.1.6", "aes-128-gcm", NULL},
    [CMP_NID_AES_192_GCM] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x1A"),
                             "2.16.840.1.101.3.4.1.26", "aes-192-gcm", NULL},
    [CMP_NID_AES_256_GCM] = {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x2E"),
                             "2.16.840.1.101.3.4.1.46", "aes-256-gcm", NULL},
    [CMP_NID_DES_EDE3_CBC] = {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x03\x07"), "1.2.840.113549.3.7",
                              "des-ede3-cbc", NULL},
};

#define NUM_OID_NAMES (sizeof(oid_names) / sizeof(oid_names[0]))

static const struct oid_name *
oid_find(const struct der_in *oid)
{
    int nid = cmp_oid_nid(oid);

    return nid != CMP_NID_UNDEF ? &oid_names[nid] : NULL;
}

struct der_in
cmp_oid(int nid)
{
    if (nid < 0 || nid >= CMP_NID_NUM) {
        return DER_IN_EMPTY;
    }
    return der_in_make(oid_names[nid].der, oid_names[nid].der_len);
}

int
cmp_oid_is(const struct der_in *oid, int nid)
{
    return nid >= 0 && nid < CMP_NID_NUM &&
           der_oid_eq(oid, oid_names[nid].der, oid_names[nid].der_len);
}

int
cmp_oid_nid(const struct der_in *oid)
{
    size_t i;

    if (oid == NULL) {
        return CMP_NID_UNDEF;
    }
    for (i = 0; i < NUM_OID_NAMES; i++) {
        if (der_oid_eq(oid, oid_names[i].der, oid_names[i].der_len)) {
            return (int)i;
        }
    }
    return CMP_NID_UNDEF;
}

int
cmp_oid_put(struct der_out *out, int nid)
{
    if (nid < 0 || nid >= CMP_NID_NUM) {
        out->failed = 1;
        return 0;
    }
    return der_put_prim(out, DER_OID, oid_names[nid].der, oid_names[nid].der_len);
}

const char *
cmp_oid_name(const struct der_in *oid)
{
    const struct oid_name *e = oid_find(oid);

    return e != NULL ? e->name : NULL;
}

const char *
cmp_oid_short_name(const struct der_in *oid)
{
    const struct oid_name *e = oid_find(oid);

    if (e == NULL) {
        return NULL;
    }
    return e->short_name != NULL ? e->short_name : e->name;
}

int
cmp_oid_text(const struct der_in *oid, char *buf, size_t len)
{
    const struct oid_name *e;
    char dotted[128];
    int n;

    if (len == 0) {
        return 0;
    }
    buf[0] = '\0';
    if (oid == NULL || !der_oid_to_text(oid, dotted, sizeof(dotted))) {
        snprintf(buf, len, "(bad OID)");
        return 0;
    }
    e = oid_find(oid);
    if (e != NULL) {
        n = snprintf(buf, len, "%s (%s)", e->name, dotted);
    } else {
        n = snprintf(buf, len, "%s", dotted);
    }
    return n >= 0 && (size_t)n < len;
}

int
cmp_oid_table_check(void)
{
    char dotted[128];
    size_t i, j;

    for (i = 0; i < NUM_OID_NAMES; i++) {
        struct der_in in = der_in_make(oid_names[i].der, oid_names[i].der_len);

        if (oid_names[i].der == NULL || oid_names[i].name == NULL) {
            return 0; /* a CMP_NID_ without its entry */
        }
        if (!der_oid_to_text(&in, dotted, sizeof(dotted)) ||
            strcmp(dotted, oid_names[i].dotted) != 0) {
            return 0;
        }
        for (j = i + 1; j < NUM_OID_NAMES; j++) {
            if (der_oid_eq(&in, oid_names[j].der, oid_names[j].der_len)) {
                return 0;
            }
        }
    }
    return 1;
}
