/*
 * Named OBJECT IDENTIFIERs: the one table of OIDs in the tree (BoringSSL's
 * obj_dat.h is the model). Every OID the code compares or writes has a
 * CMP_NID_ constant here; its contents octets exist once, in oids.c, next to
 * its dotted form (cmp_oid_table_check() verifies that the two agree).
 * libc only.
 *
 * Names are what `openssl asn1parse` prints (OpenSSL's long name) unless
 * that name has spaces ("X509v3 Key Usage"); then OpenSSL's short name
 * (keyUsage). CMP's MAC algorithms read as in RFC 9810 without the "id-"
 * (passwordBasedMac). OIDs that OpenSSL 3.0 does not know use the name of
 * their RFC's ASN.1 module (id-it-certProfile).
 */
#ifndef CMPKIT_MSG_OIDS_H
#define CMPKIT_MSG_OIDS_H

#include <stddef.h>

#include "der/der.h"

enum cmp_nid {
    CMP_NID_UNDEF = -1,
    /* MACs and key derivation (RFC 9810 5.1.3, RFC 9481, RFC 8018) */
    CMP_NID_PASSWORD_BASED_MAC,
    CMP_NID_DH_BASED_MAC,
    CMP_NID_KEM_BASED_MAC,
    CMP_NID_PBMAC1,
    CMP_NID_PBKDF2,
    CMP_NID_PBES2,
    CMP_NID_HMAC_WITH_SHA1,
    CMP_NID_HMAC_WITH_SHA224,
    CMP_NID_HMAC_WITH_SHA256,
    CMP_NID_HMAC_WITH_SHA384,
    CMP_NID_HMAC_WITH_SHA512,
    CMP_NID_HMAC_WITH_SHA512_224,
    CMP_NID_HMAC_WITH_SHA512_256,
    CMP_NID_HMAC_SHA1,
    CMP_NID_HMAC_SHA3_224,
    CMP_NID_HMAC_SHA3_256,
    CMP_NID_HMAC_SHA3_384,
    CMP_NID_HMAC_SHA3_512,

    /* hash functions */
    CMP_NID_MD5,
    CMP_NID_SHA1,
    CMP_NID_SHA224,
    CMP_NID_SHA256,
    CMP_NID_SHA384,
    CMP_NID_SHA512,
    CMP_NID_SHA512_224,
    CMP_NID_SHA512_256,
    CMP_NID_SHA3_224,
    CMP_NID_SHA3_256,
    CMP_NID_SHA3_384,
    CMP_NID_SHA3_512,
    CMP_NID_SHAKE128,
    CMP_NID_SHAKE256,

    /* RSA (RFC 8017) */
    CMP_NID_RSA_ENCRYPTION,
    CMP_NID_SHA1_WITH_RSA_ENCRYPTION,
    CMP_NID_SHA224_WITH_RSA_ENCRYPTION,
    CMP_NID_SHA256_WITH_RSA_ENCRYPTION,
    CMP_NID_SHA384_WITH_RSA_ENCRYPTION,
    CMP_NID_SHA512_WITH_RSA_ENCRYPTION,
    CMP_NID_RSASSA_PSS,
    CMP_NID_RSAES_OAEP,
    CMP_NID_MGF1,
    CMP_NID_RSASSA_PSS_SHAKE128,
    CMP_NID_RSASSA_PSS_SHAKE256,
    CMP_NID_RSA_SHA3_224,
    CMP_NID_RSA_SHA3_256,
    CMP_NID_RSA_SHA3_384,
    CMP_NID_RSA_SHA3_512,

    /* elliptic curves and EdDSA/ECDH (RFC 5480, RFC 5758, RFC 8410) */
    CMP_NID_EC_PUBLIC_KEY,
    CMP_NID_ECDSA_WITH_SHA1,
    CMP_NID_ECDSA_WITH_SHA224,
    CMP_NID_ECDSA_WITH_SHA256,
    CMP_NID_ECDSA_WITH_SHA384,
    CMP_NID_ECDSA_WITH_SHA512,
    CMP_NID_ECDSA_WITH_SHA3_224,
    CMP_NID_ECDSA_WITH_SHA3_256,
    CMP_NID_ECDSA_WITH_SHA3_384,
    CMP_NID_ECDSA_WITH_SHA3_512,
    CMP_NID_ECDSA_WITH_SHAKE128,
    CMP_NID_ECDSA_WITH_SHAKE256,
    CMP_NID_X25519,
    CMP_NID_X448,
    CMP_NID_ED25519,
    CMP_NID_ED448,

    /* ML-DSA (FIPS 204) and ML-KEM (FIPS 203), names as in OpenSSL 3.5 */
    CMP_NID_ML_DSA_44,
    CMP_NID_ML_DSA_65,
    CMP_NID_ML_DSA_87,
    CMP_NID_ML_KEM_512,
    CMP_NID_ML_KEM_768,
    CMP_NID_ML_KEM_1024,

    /* named curves */
    CMP_NID_PRIME256V1,
    CMP_NID_SECP384R1,
    CMP_NID_SECP521R1,
    CMP_NID_SECP256K1,
    CMP_NID_BRAINPOOL_P256R1,
    CMP_NID_BRAINPOOL_P384R1,
    CMP_NID_BRAINPOOL_P512R1,

    /* attribute types in Names (X.520, PKCS #9, RFC 4519): long and short name */
    CMP_NID_COMMON_NAME,
    CMP_NID_SURNAME,
    CMP_NID_SERIAL_NUMBER,
    CMP_NID_COUNTRY_NAME,
    CMP_NID_LOCALITY_NAME,
    CMP_NID_STATE_OR_PROVINCE_NAME,
    CMP_NID_STREET_ADDRESS,
    CMP_NID_ORGANIZATION_NAME,
    CMP_NID_ORGANIZATIONAL_UNIT_NAME,
    CMP_NID_TITLE,
    CMP_NID_DESCRIPTION,
    CMP_NID_POSTAL_CODE,
    CMP_NID_NAME,
    CMP_NID_GIVEN_NAME,
    CMP_NID_INITIALS,
    CMP_NID_GENERATION_QUALIFIER,
    CMP_NID_DN_QUALIFIER,
    CMP_NID_PSEUDONYM,
    CMP_NID_ORGANIZATION_IDENTIFIER,
    CMP_NID_EMAIL_ADDRESS,
    CMP_NID_USER_ID,
    CMP_NID_DOMAIN_COMPONENT,

    /* certificate and CRL extensions (RFC 5280) */
    CMP_NID_SUBJECT_KEY_IDENTIFIER,
    CMP_NID_KEY_USAGE,
    CMP_NID_SUBJECT_ALT_NAME,
    CMP_NID_ISSUER_ALT_NAME,
    CMP_NID_BASIC_CONSTRAINTS,
    CMP_NID_CRL_NUMBER,
    CMP_NID_CRL_REASON,
    CMP_NID_INVALIDITY_DATE,
    CMP_NID_CERTIFICATE_ISSUER,
    CMP_NID_NAME_CONSTRAINTS,
    CMP_NID_CRL_DISTRIBUTION_POINTS,
    CMP_NID_CERTIFICATE_POLICIES,
    CMP_NID_AUTHORITY_KEY_IDENTIFIER,
    CMP_NID_POLICY_CONSTRAINTS,
    CMP_NID_EXTENDED_KEY_USAGE,
    CMP_NID_AUTHORITY_INFO_ACCESS,

    /* access methods and extended key usages (RFC 5280, RFC 6402, RFC 9480) */
    CMP_NID_AD_OCSP,
    CMP_NID_AD_CA_ISSUERS,
    CMP_NID_KP_SERVER_AUTH,
    CMP_NID_KP_CLIENT_AUTH,
    CMP_NID_KP_CODE_SIGNING,
    CMP_NID_KP_EMAIL_PROTECTION,
    CMP_NID_KP_TIME_STAMPING,
    CMP_NID_KP_OCSP_SIGNING,
    CMP_NID_KP_CMC_CA,
    CMP_NID_KP_CMC_RA,
    CMP_NID_KP_CM_KGA,

    /* CRMF controls and regInfo (RFC 4211 6 and 7, RFC 9810, RFC 9480) */
    CMP_NID_REG_CTRL_REG_TOKEN,
    CMP_NID_REG_CTRL_AUTHENTICATOR,
    CMP_NID_REG_CTRL_PKI_PUBLICATION_INFO,
    CMP_NID_REG_CTRL_PKI_ARCHIVE_OPTIONS,
    CMP_NID_REG_CTRL_OLD_CERT_ID,
    CMP_NID_REG_CTRL_PROTOCOL_ENCR_KEY,
    CMP_NID_REG_CTRL_ALT_CERT_TEMPLATE,
    CMP_NID_REG_CTRL_ALG_ID,
    CMP_NID_REG_CTRL_RSA_KEY_LEN,
    CMP_NID_REG_INFO_UTF8_PAIRS,
    CMP_NID_REG_INFO_CERT_REQ,

    /* CMP InfoTypeAndValue types, id-it (RFC 9810 5.3.19, RFC 9480, RFC 9810 for 24) */
    CMP_NID_IT_CA_PROT_ENC_CERT,
    CMP_NID_IT_SIGN_KEY_PAIR_TYPES,
    CMP_NID_IT_ENC_KEY_PAIR_TYPES,
    CMP_NID_IT_PREFERRED_SYMM_ALG,
    CMP_NID_IT_CA_KEY_UPDATE_INFO,
    CMP_NID_IT_CURRENT_CRL,
    CMP_NID_IT_UNSUPPORTED_OIDS,
    CMP_NID_IT_KEY_PAIR_PARAM_REQ,
    CMP_NID_IT_KEY_PAIR_PARAM_REP,
    CMP_NID_IT_REV_PASSPHRASE,
    CMP_NID_IT_IMPLICIT_CONFIRM,
    CMP_NID_IT_CONFIRM_WAIT_TIME,
    CMP_NID_IT_ORIG_PKI_MESSAGE,
    CMP_NID_IT_SUPP_LANG_TAGS,
    CMP_NID_IT_CA_CERTS,
    CMP_NID_IT_ROOT_CA_KEY_UPDATE,
    CMP_NID_IT_CERT_REQ_TEMPLATE,
    CMP_NID_IT_ROOT_CA_CERT,
    CMP_NID_IT_CERT_PROFILE,
    CMP_NID_IT_CRL_STATUS_LIST,
    CMP_NID_IT_CRLS,
    CMP_NID_IT_KEM_CIPHERTEXT_INFO,

    /* CMS content types and PKCS #9 attributes */
    CMP_NID_PKCS7_DATA,
    CMP_NID_PKCS7_SIGNED_DATA,
    CMP_NID_PKCS7_ENVELOPED_DATA,
    CMP_NID_CT_ENC_KEY_WITH_ID,
    CMP_NID_CT_KP_AKEY_PACKAGE, /* RFC 5958: AsymmetricKeyPackage (RFC 9483 4.1.6) */
    CMP_NID_CHALLENGE_PASSWORD,
    CMP_NID_EXT_REQ,

    /* AES (RFC 3565, RFC 3394, RFC 5084) */
    CMP_NID_AES_128_CBC,
    CMP_NID_AES_192_CBC,
    CMP_NID_AES_256_CBC,
    CMP_NID_AES128_WRAP,
    CMP_NID_AES192_WRAP,
    CMP_NID_AES256_WRAP,
    CMP_NID_AES_128_GCM,
    CMP_NID_AES_192_GCM,
    CMP_NID_AES_256_GCM,
    CMP_NID_DES_EDE3_CBC, /* RFC 3370 5.2: in EncryptedValue of older CAs */

    CMP_NID_NUM
};

/* cmp_oid() returns the contents octets of OID |nid|; an empty slice for an unknown nid. */
struct der_in cmp_oid(int nid);

/* cmp_oid_is() is 1 if the OID contents |oid| are OID |nid|. */
int cmp_oid_is(const struct der_in *oid, int nid);

/* cmp_oid_nid() returns the CMP_NID_ of the OID contents |oid|, or CMP_NID_UNDEF. */
int cmp_oid_nid(const struct der_in *oid);

/* cmp_oid_put() writes OID |nid| as an OBJECT IDENTIFIER element. */
int cmp_oid_put(struct der_out *out, int nid) CMP_MUST_CHECK;

/* cmp_oid_name() returns the name of OID contents |oid|, or NULL if unknown. */
const char *cmp_oid_name(const struct der_in *oid);

/*
 * cmp_oid_short_name() returns the short name used in Names for an
 * attribute type ("CN" for commonName), else the same as cmp_oid_name().
 */
const char *cmp_oid_short_name(const struct der_in *oid);

/*
 * cmp_oid_text() writes "name (1.2.3)" for a known OID, the dotted form for
 * an unknown one, into |buf| (always NUL-terminated when |len| > 0). Returns
 * 1, or 0 if the OID is malformed ("(bad OID)" is written) or |buf| is too
 * small (the text is cut).
 */
int cmp_oid_text(const struct der_in *oid, char *buf, size_t len);

/*
 * cmp_oid_table_check() is for the unit test: 1 if every CMP_NID_ has an
 * entry, every entry's bytes encode its dotted form and no OID appears twice.
 */
int cmp_oid_table_check(void);

#endif
