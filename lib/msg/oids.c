/*
 * OBJECT IDENTIFIER names (see oids.h for how names are chosen). The table
 * keeps each OID's DER contents next to its dotted form;
 * cmp_oid_table_check() verifies that the two agree.
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

static const struct oid_name oid_names[] = {
    /* MACs and key derivation (RFC 9810 5.1.3, RFC 9481, RFC 8018) */
    {OID_DER("\x2A\x86\x48\x86\xF6\x7D\x07\x42\x0D"), "1.2.840.113533.7.66.13", "passwordBasedMac",
     NULL},
    {OID_DER("\x2A\x86\x48\x86\xF6\x7D\x07\x42\x1E"), "1.2.840.113533.7.66.30", "dhBasedMac", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF6\x7D\x07\x42\x10"), "1.2.840.113533.7.66.16", "kemBasedMac",
     NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0E"), "1.2.840.113549.1.5.14", "PBMAC1", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0C"), "1.2.840.113549.1.5.12", "PBKDF2", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x05\x0D"), "1.2.840.113549.1.5.13", "PBES2", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x07"), "1.2.840.113549.2.7", "hmacWithSHA1", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x08"), "1.2.840.113549.2.8", "hmacWithSHA224", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x09"), "1.2.840.113549.2.9", "hmacWithSHA256", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x0A"), "1.2.840.113549.2.10", "hmacWithSHA384", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x0B"), "1.2.840.113549.2.11", "hmacWithSHA512", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x08\x01\x02"), "1.3.6.1.5.5.8.1.2", "hmac-sha1", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0D"), "2.16.840.1.101.3.4.2.13", "hmac-sha3-224",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0E"), "2.16.840.1.101.3.4.2.14", "hmac-sha3-256",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0F"), "2.16.840.1.101.3.4.2.15", "hmac-sha3-384",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x10"), "2.16.840.1.101.3.4.2.16", "hmac-sha3-512",
     NULL},

    /* hash functions */
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x02\x05"), "1.2.840.113549.2.5", "md5", NULL},
    {OID_DER("\x2B\x0E\x03\x02\x1A"), "1.3.14.3.2.26", "sha1", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x04"), "2.16.840.1.101.3.4.2.4", "sha224", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x01"), "2.16.840.1.101.3.4.2.1", "sha256", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x02"), "2.16.840.1.101.3.4.2.2", "sha384", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x03"), "2.16.840.1.101.3.4.2.3", "sha512", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x05"), "2.16.840.1.101.3.4.2.5", "sha512-224", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x06"), "2.16.840.1.101.3.4.2.6", "sha512-256", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x07"), "2.16.840.1.101.3.4.2.7", "sha3-224", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x08"), "2.16.840.1.101.3.4.2.8", "sha3-256", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x09"), "2.16.840.1.101.3.4.2.9", "sha3-384", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0A"), "2.16.840.1.101.3.4.2.10", "sha3-512", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0B"), "2.16.840.1.101.3.4.2.11", "shake128", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x02\x0C"), "2.16.840.1.101.3.4.2.12", "shake256", NULL},

    /* RSA (RFC 8017) */
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x01"), "1.2.840.113549.1.1.1", "rsaEncryption",
     NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x05"), "1.2.840.113549.1.1.5",
     "sha1WithRSAEncryption", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0E"), "1.2.840.113549.1.1.14",
     "sha224WithRSAEncryption", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0B"), "1.2.840.113549.1.1.11",
     "sha256WithRSAEncryption", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0C"), "1.2.840.113549.1.1.12",
     "sha384WithRSAEncryption", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0D"), "1.2.840.113549.1.1.13",
     "sha512WithRSAEncryption", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x0A"), "1.2.840.113549.1.1.10", "rsassaPss", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x07"), "1.2.840.113549.1.1.7", "rsaesOaep", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x01\x08"), "1.2.840.113549.1.1.8", "mgf1", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0D"), "2.16.840.1.101.3.4.3.13", "RSA-SHA3-224",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0E"), "2.16.840.1.101.3.4.3.14", "RSA-SHA3-256",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0F"), "2.16.840.1.101.3.4.3.15", "RSA-SHA3-384",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x10"), "2.16.840.1.101.3.4.3.16", "RSA-SHA3-512",
     NULL},

    /* elliptic curves and EdDSA/ECDH (RFC 5480, RFC 5758, RFC 8410) */
    {OID_DER("\x2A\x86\x48\xCE\x3D\x02\x01"), "1.2.840.10045.2.1", "id-ecPublicKey", NULL},
    {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x01"), "1.2.840.10045.4.1", "ecdsa-with-SHA1", NULL},
    {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x01"), "1.2.840.10045.4.3.1", "ecdsa-with-SHA224", NULL},
    {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x02"), "1.2.840.10045.4.3.2", "ecdsa-with-SHA256", NULL},
    {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x03"), "1.2.840.10045.4.3.3", "ecdsa-with-SHA384", NULL},
    {OID_DER("\x2A\x86\x48\xCE\x3D\x04\x03\x04"), "1.2.840.10045.4.3.4", "ecdsa-with-SHA512", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x09"), "2.16.840.1.101.3.4.3.9",
     "ecdsa_with_SHA3-224", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0A"), "2.16.840.1.101.3.4.3.10",
     "ecdsa_with_SHA3-256", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0B"), "2.16.840.1.101.3.4.3.11",
     "ecdsa_with_SHA3-384", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x0C"), "2.16.840.1.101.3.4.3.12",
     "ecdsa_with_SHA3-512", NULL},
    {OID_DER("\x2B\x65\x6E"), "1.3.101.110", "X25519", NULL},
    {OID_DER("\x2B\x65\x6F"), "1.3.101.111", "X448", NULL},
    {OID_DER("\x2B\x65\x70"), "1.3.101.112", "ED25519", NULL},
    {OID_DER("\x2B\x65\x71"), "1.3.101.113", "ED448", NULL},

    /* ML-DSA (FIPS 204) and ML-KEM (FIPS 203), names as in OpenSSL 3.5 */
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x11"), "2.16.840.1.101.3.4.3.17", "ML-DSA-44", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x12"), "2.16.840.1.101.3.4.3.18", "ML-DSA-65", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x03\x13"), "2.16.840.1.101.3.4.3.19", "ML-DSA-87", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x04\x01"), "2.16.840.1.101.3.4.4.1", "ML-KEM-512", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x04\x02"), "2.16.840.1.101.3.4.4.2", "ML-KEM-768", NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x04\x03"), "2.16.840.1.101.3.4.4.3", "ML-KEM-1024",
     NULL},

    /* named curves */
    {OID_DER("\x2A\x86\x48\xCE\x3D\x03\x01\x07"), "1.2.840.10045.3.1.7", "prime256v1", NULL},
    {OID_DER("\x2B\x81\x04\x00\x22"), "1.3.132.0.34", "secp384r1", NULL},
    {OID_DER("\x2B\x81\x04\x00\x23"), "1.3.132.0.35", "secp521r1", NULL},
    {OID_DER("\x2B\x81\x04\x00\x0A"), "1.3.132.0.10", "secp256k1", NULL},
    {OID_DER("\x2B\x24\x03\x03\x02\x08\x01\x01\x07"), "1.3.36.3.3.2.8.1.1.7", "brainpoolP256r1",
     NULL},
    {OID_DER("\x2B\x24\x03\x03\x02\x08\x01\x01\x0B"), "1.3.36.3.3.2.8.1.1.11", "brainpoolP384r1",
     NULL},
    {OID_DER("\x2B\x24\x03\x03\x02\x08\x01\x01\x0D"), "1.3.36.3.3.2.8.1.1.13", "brainpoolP512r1",
     NULL},

    /* attribute types in Names (X.520, PKCS #9, RFC 4519): long and short name */
    {OID_DER("\x55\x04\x03"), "2.5.4.3", "commonName", "CN"},
    {OID_DER("\x55\x04\x04"), "2.5.4.4", "surname", "SN"},
    {OID_DER("\x55\x04\x05"), "2.5.4.5", "serialNumber", "serialNumber"},
    {OID_DER("\x55\x04\x06"), "2.5.4.6", "countryName", "C"},
    {OID_DER("\x55\x04\x07"), "2.5.4.7", "localityName", "L"},
    {OID_DER("\x55\x04\x08"), "2.5.4.8", "stateOrProvinceName", "ST"},
    {OID_DER("\x55\x04\x09"), "2.5.4.9", "streetAddress", "street"},
    {OID_DER("\x55\x04\x0A"), "2.5.4.10", "organizationName", "O"},
    {OID_DER("\x55\x04\x0B"), "2.5.4.11", "organizationalUnitName", "OU"},
    {OID_DER("\x55\x04\x0C"), "2.5.4.12", "title", "title"},
    {OID_DER("\x55\x04\x0D"), "2.5.4.13", "description", "description"},
    {OID_DER("\x55\x04\x11"), "2.5.4.17", "postalCode", "postalCode"},
    {OID_DER("\x55\x04\x29"), "2.5.4.41", "name", "name"},
    {OID_DER("\x55\x04\x2A"), "2.5.4.42", "givenName", "GN"},
    {OID_DER("\x55\x04\x2B"), "2.5.4.43", "initials", "initials"},
    {OID_DER("\x55\x04\x2C"), "2.5.4.44", "generationQualifier", "generationQualifier"},
    {OID_DER("\x55\x04\x2E"), "2.5.4.46", "dnQualifier", "dnQualifier"},
    {OID_DER("\x55\x04\x41"), "2.5.4.65", "pseudonym", "pseudonym"},
    {OID_DER("\x55\x04\x61"), "2.5.4.97", "organizationIdentifier", "organizationIdentifier"},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x01"), "1.2.840.113549.1.9.1", "emailAddress",
     "emailAddress"},
    {OID_DER("\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x01"), "0.9.2342.19200300.100.1.1", "userId",
     "UID"},
    {OID_DER("\x09\x92\x26\x89\x93\xF2\x2C\x64\x01\x19"), "0.9.2342.19200300.100.1.25",
     "domainComponent", "DC"},

    /* certificate and CRL extensions (RFC 5280) */
    {OID_DER("\x55\x1D\x0E"), "2.5.29.14", "subjectKeyIdentifier", NULL},
    {OID_DER("\x55\x1D\x0F"), "2.5.29.15", "keyUsage", NULL},
    {OID_DER("\x55\x1D\x11"), "2.5.29.17", "subjectAltName", NULL},
    {OID_DER("\x55\x1D\x12"), "2.5.29.18", "issuerAltName", NULL},
    {OID_DER("\x55\x1D\x13"), "2.5.29.19", "basicConstraints", NULL},
    {OID_DER("\x55\x1D\x14"), "2.5.29.20", "crlNumber", NULL},
    {OID_DER("\x55\x1D\x15"), "2.5.29.21", "CRLReason", NULL},
    {OID_DER("\x55\x1D\x18"), "2.5.29.24", "invalidityDate", NULL},
    {OID_DER("\x55\x1D\x1D"), "2.5.29.29", "certificateIssuer", NULL},
    {OID_DER("\x55\x1D\x1E"), "2.5.29.30", "nameConstraints", NULL},
    {OID_DER("\x55\x1D\x1F"), "2.5.29.31", "crlDistributionPoints", NULL},
    {OID_DER("\x55\x1D\x20"), "2.5.29.32", "certificatePolicies", NULL},
    {OID_DER("\x55\x1D\x23"), "2.5.29.35", "authorityKeyIdentifier", NULL},
    {OID_DER("\x55\x1D\x24"), "2.5.29.36", "policyConstraints", NULL},
    {OID_DER("\x55\x1D\x25"), "2.5.29.37", "extendedKeyUsage", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x01\x01"), "1.3.6.1.5.5.7.1.1", "authorityInfoAccess", NULL},

    /* access methods and extended key usages (RFC 5280, RFC 6402, RFC 9480) */
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x30\x01"), "1.3.6.1.5.5.7.48.1", "OCSP", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x30\x02"), "1.3.6.1.5.5.7.48.2", "caIssuers", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x01"), "1.3.6.1.5.5.7.3.1", "serverAuth", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x02"), "1.3.6.1.5.5.7.3.2", "clientAuth", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x03"), "1.3.6.1.5.5.7.3.3", "codeSigning", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x04"), "1.3.6.1.5.5.7.3.4", "emailProtection", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x08"), "1.3.6.1.5.5.7.3.8", "timeStamping", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x09"), "1.3.6.1.5.5.7.3.9", "OCSPSigning", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x1B"), "1.3.6.1.5.5.7.3.27", "cmcCA", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x1C"), "1.3.6.1.5.5.7.3.28", "cmcRA", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x03\x20"), "1.3.6.1.5.5.7.3.32", "cmKGA", NULL},

    /* CRMF controls and regInfo (RFC 4211 6 and 7, RFC 9810, RFC 9480) */
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x01"), "1.3.6.1.5.5.7.5.1.1", "id-regCtrl-regToken",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x02"), "1.3.6.1.5.5.7.5.1.2",
     "id-regCtrl-authenticator", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x03"), "1.3.6.1.5.5.7.5.1.3",
     "id-regCtrl-pkiPublicationInfo", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x04"), "1.3.6.1.5.5.7.5.1.4",
     "id-regCtrl-pkiArchiveOptions", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x05"), "1.3.6.1.5.5.7.5.1.5", "id-regCtrl-oldCertID",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x06"), "1.3.6.1.5.5.7.5.1.6",
     "id-regCtrl-protocolEncrKey", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x07"), "1.3.6.1.5.5.7.5.1.7",
     "id-regCtrl-altCertTemplate", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x0B"), "1.3.6.1.5.5.7.5.1.11", "id-regCtrl-algId",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x01\x0C"), "1.3.6.1.5.5.7.5.1.12",
     "id-regCtrl-rsaKeyLen", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x02\x01"), "1.3.6.1.5.5.7.5.2.1", "id-regInfo-utf8Pairs",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x05\x02\x02"), "1.3.6.1.5.5.7.5.2.2", "id-regInfo-certReq",
     NULL},

    /* CMP InfoTypeAndValue types, id-it (RFC 9810 5.3.19, RFC 9480, RFC 9810 for 24) */
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x01"), "1.3.6.1.5.5.7.4.1", "id-it-caProtEncCert", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x02"), "1.3.6.1.5.5.7.4.2", "id-it-signKeyPairTypes",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x03"), "1.3.6.1.5.5.7.4.3", "id-it-encKeyPairTypes",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x04"), "1.3.6.1.5.5.7.4.4", "id-it-preferredSymmAlg",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x05"), "1.3.6.1.5.5.7.4.5", "id-it-caKeyUpdateInfo",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x06"), "1.3.6.1.5.5.7.4.6", "id-it-currentCRL", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x07"), "1.3.6.1.5.5.7.4.7", "id-it-unsupportedOIDs",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0A"), "1.3.6.1.5.5.7.4.10", "id-it-keyPairParamReq",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0B"), "1.3.6.1.5.5.7.4.11", "id-it-keyPairParamRep",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0C"), "1.3.6.1.5.5.7.4.12", "id-it-revPassphrase",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0D"), "1.3.6.1.5.5.7.4.13", "id-it-implicitConfirm",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0E"), "1.3.6.1.5.5.7.4.14", "id-it-confirmWaitTime",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x0F"), "1.3.6.1.5.5.7.4.15", "id-it-origPKIMessage",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x10"), "1.3.6.1.5.5.7.4.16", "id-it-suppLangTags", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x11"), "1.3.6.1.5.5.7.4.17", "id-it-caCerts", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x12"), "1.3.6.1.5.5.7.4.18", "id-it-rootCaKeyUpdate",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x13"), "1.3.6.1.5.5.7.4.19", "id-it-certReqTemplate",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x14"), "1.3.6.1.5.5.7.4.20", "id-it-rootCaCert", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x15"), "1.3.6.1.5.5.7.4.21", "id-it-certProfile", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x16"), "1.3.6.1.5.5.7.4.22", "id-it-crlStatusList",
     NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x17"), "1.3.6.1.5.5.7.4.23", "id-it-crls", NULL},
    {OID_DER("\x2B\x06\x01\x05\x05\x07\x04\x18"), "1.3.6.1.5.5.7.4.24", "id-it-KemCiphertextInfo",
     NULL},

    /* CMS content types and PKCS #9 attributes */
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x07\x01"), "1.2.840.113549.1.7.1", "pkcs7-data", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x07\x02"), "1.2.840.113549.1.7.2", "pkcs7-signedData",
     NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x07\x03"), "1.2.840.113549.1.7.3", "pkcs7-envelopedData",
     NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x10\x01\x15"), "1.2.840.113549.1.9.16.1.21",
     "id-ct-encKeyWithID", NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x07"), "1.2.840.113549.1.9.7", "challengePassword",
     NULL},
    {OID_DER("\x2A\x86\x48\x86\xF7\x0D\x01\x09\x0E"), "1.2.840.113549.1.9.14", "extReq", NULL},

    /* AES (RFC 3565, RFC 3394, RFC 5084) */
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x02"), "2.16.840.1.101.3.4.1.2", "aes-128-cbc",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x16"), "2.16.840.1.101.3.4.1.22", "aes-192-cbc",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x2A"), "2.16.840.1.101.3.4.1.42", "aes-256-cbc",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x05"), "2.16.840.1.101.3.4.1.5", "id-aes128-wrap",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x19"), "2.16.840.1.101.3.4.1.25", "id-aes192-wrap",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x2D"), "2.16.840.1.101.3.4.1.45", "id-aes256-wrap",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x06"), "2.16.840.1.101.3.4.1.6", "aes-128-gcm",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x1A"), "2.16.840.1.101.3.4.1.26", "aes-192-gcm",
     NULL},
    {OID_DER("\x60\x86\x48\x01\x65\x03\x04\x01\x2E"), "2.16.840.1.101.3.4.1.46", "aes-256-gcm",
     NULL},
};

#define NUM_OID_NAMES (sizeof(oid_names) / sizeof(oid_names[0]))

static const struct oid_name *
oid_find(const struct der_in *oid)
{
    size_t i;

    if (oid == NULL) {
        return NULL;
    }
    for (i = 0; i < NUM_OID_NAMES; i++) {
        if (der_oid_eq(oid, oid_names[i].der, oid_names[i].der_len)) {
            return &oid_names[i];
        }
    }
    return NULL;
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
