/*
 * The PKIMessage model (RFC 9810 section 5, CRMF RFC 4211). Syntax only:
 * the der layer and libc, no OpenSSL. Certificates, Names, keys, extensions
 * and AlgorithmIdentifier parameters stay DER slices (struct der_in) that
 * callers parse (the parameters with the parsers of algparams.c). Each body
 * family has its file (its codec and printer) and its rows in body.c's table.
 *
 * Tagging: the CMP module (PKIXCMP-2023) uses EXPLICIT TAGS; the CRMF module
 * (PKIXCRMF-2009) uses IMPLICIT TAGS, except that a tag on a CHOICE (Name,
 * Time, POPOPrivKey, GeneralName) is always explicit.
 *
 * Conventions, for every type T below:
 *   int cmp_T_decode(struct der_in *in, struct cmp_T *out, struct cmp_err *err);
 *       consumes one whole element (tag, length, contents) from |in|. |out|
 *       must be zeroed by the caller; after a failure the caller still calls
 *       cmp_T_cleanup(), which handles a half-filled struct. Slices borrow
 *       from the input, which must outlive |out|. Syntax only: RFC rules
 *       beyond the ASN.1 are checked by the _validate functions.
 *   int cmp_T_encode(struct der_out *out, const struct cmp_T *v);
 *       writes one whole element. A DER-decoded value re-encodes to the same
 *       bytes.
 *   void cmp_T_cleanup(struct cmp_T *v);
 *       frees what decode allocated (arrays), never the borrowed bytes, and
 *       zeroes the struct. Safe on a zeroed struct.
 *
 * Optional fields have an explicit has_ flag; a "TLV" slice holds a whole
 * element (tag, length and contents), a "contents" slice only the contents.
 */
#ifndef CMPKIT_MSG_H
#define CMPKIT_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "der/fail.h"
#include "cmpkit/msg.h"
#include "der/der.h"
#include "msg/oids.h"

/* ---- limits on anything that comes from the network ---- */

#define CMP_MAX_MSG_LEN (4u << 20) /* one encoded PKIMessage */
#define CMP_MAX_ITEMS 256          /* elements in any SEQUENCE OF */
#define CMP_MAX_NESTING 3          /* nested [20] PKIMessages inside each other */

/* PKIHeader.pvno values. */
#define CMP_PVNO_1999 1
#define CMP_PVNO_2000 2
#define CMP_PVNO_2021 3

/*
 * A failed decode records CMP_E_DECODE with PKIFailureInfo badDataFormat, the
 * field's name and where in the input it failed; returns 0.
 */
int cmp_decode_fail(struct cmp_err *err, const struct der_in *at, const char *file, int line,
                    const char *what);
#define CMP_DECODE_FAIL(err, at, what) cmp_decode_fail((err), (at), __FILE__, __LINE__, (what))

/* A SEQUENCE OF with more than CMP_MAX_ITEMS elements: CMP_E_LIMIT. */
int cmp_limit_fail(struct cmp_err *err, const struct der_in *at, const char *file, int line,
                   const char *what);
#define CMP_LIMIT_FAIL(err, at, what) cmp_limit_fail((err), (at), __FILE__, __LINE__, (what))

/*
 * SEQUENCE OF: how one element decodes, and the names errors use. |decode|
 * consumes exactly one element from |in| into |elem| (NULL when |elem_size|
 * is 0: the elements are only checked); |arg| is passed through.
 */
struct cmp_seq_of {
    const char *what; /* the list, in its errors: "CertConfirmContent" */
    const char *elem; /* an element, in context frames as "<elem> #n": "CertStatus" */
    size_t elem_size; /* bytes per element of the array; 0 for none */
    int nonempty;     /* SIZE (1..MAX) */
    int (*decode)(struct der_in *in, void *elem, void *arg, struct cmp_err *err);
};

/*
 * cmp_seq_of_decode() decodes one SEQUENCE OF with tag |tag| from |in|. It
 * counts the elements, checking each one's framing (a malformed one fails
 * where it is), fails above CMP_MAX_ITEMS (CMP_E_LIMIT) or, for |nonempty|,
 * on none; allocates one zeroed array of |*out_num| elements (NULL if there
 * are none) and decodes them in order. The array is the caller's as soon as
 * it is set, also after a failure (its cleanup frees it; every element is
 * zeroed or decoded). On failure |in| is unchanged.
 */
int cmp_seq_of_decode(struct der_in *in, uint32_t tag, const struct cmp_seq_of *s, void *arg,
                      void **out_items, size_t *out_num, struct cmp_err *err) CMP_MUST_CHECK;

/* ================= common types (common.c) ================= */

/* PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String */
struct cmp_freetext {
    size_t num;
    struct der_in *strs; /* UTF8String contents, borrowed */
};
int cmp_freetext_decode(struct der_in *in, struct cmp_freetext *out, struct cmp_err *err);
/* Encoding an empty one fails: SIZE (1..MAX) has no valid empty encoding. */
int cmp_freetext_encode(struct der_out *out, const struct cmp_freetext *ft);
void cmp_freetext_cleanup(struct cmp_freetext *ft);

/*
 * AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER,
 *     parameters ANY DEFINED BY algorithm OPTIONAL }
 */
struct cmp_algid {
    struct der_in whole;  /* the whole SEQUENCE TLV; encode writes it */
    struct der_in oid;    /* OID contents */
    struct der_in params; /* parameters TLV; len 0 if absent */
};
/* |tag| is DER_SEQUENCE, or DER_IMPLICIT(n, DER_SEQUENCE) in CRMF. */
int cmp_algid_decode(struct der_in *in, uint32_t tag, struct cmp_algid *out, struct cmp_err *err);
int cmp_algid_encode(struct der_out *out, const struct cmp_algid *alg);

/* ================= AlgorithmIdentifier parameters (algparams.c) ================= */

/* cmp_params_absent_or_null() is 1 for absent or NULL parameters (both are seen for hashes). */
int cmp_params_absent_or_null(const struct der_in *params);

/*
 * One parser per parameter schema; |params| is the parameters TLV of an
 * AlgorithmIdentifier (struct cmp_algid.params), which must hold exactly the
 * one SEQUENCE. Syntax only; INTEGERs are kept as contents (der_parse_int64
 * converts and checks them). Slices borrow from |params|.
 */

/*
 * PBMParameter ::= SEQUENCE { salt OCTET STRING, owf AlgorithmIdentifier,
 *     iterationCount INTEGER, mac AlgorithmIdentifier }   (RFC 9810 5.1.3.1)
 */
struct cmp_pbm_params {
    struct der_in salt; /* OCTET STRING contents */
    struct cmp_algid owf;
    struct der_in iteration_count; /* INTEGER contents */
    struct cmp_algid mac;
};
int cmp_pbm_params_decode(const struct der_in *params, struct cmp_pbm_params *out,
                          struct cmp_err *err) CMP_MUST_CHECK;

/* DHBMParameter ::= SEQUENCE { owf AlgorithmIdentifier, mac AlgorithmIdentifier } */
struct cmp_dhbm_params {
    struct cmp_algid owf;
    struct cmp_algid mac;
};
int cmp_dhbm_params_decode(const struct der_in *params, struct cmp_dhbm_params *out,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * PBMAC1-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier,
 *     messageAuthScheme AlgorithmIdentifier }                  (RFC 8018 A.5)
 */
struct cmp_pbmac1_params {
    struct cmp_algid kdf;
    struct cmp_algid mac;
};
int cmp_pbmac1_params_decode(const struct der_in *params, struct cmp_pbmac1_params *out,
                             struct cmp_err *err) CMP_MUST_CHECK;

/*
 * PBKDF2-params ::= SEQUENCE {
 *     salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier },
 *     iterationCount INTEGER (1..MAX), keyLength INTEGER (1..MAX) OPTIONAL,
 *     prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }     (RFC 8018 A.2)
 */
struct cmp_pbkdf2_params {
    int has_salt_source;
    struct der_in salt;           /* specified: OCTET STRING contents */
    struct cmp_algid salt_source; /* otherSource, when has_salt_source */
    struct der_in iteration_count; /* INTEGER contents */
    int has_key_length;
    struct der_in key_length; /* INTEGER contents */
    int has_prf;
    struct cmp_algid prf; /* absent: the DEFAULT hmacWithSHA1 */
};
int cmp_pbkdf2_params_decode(const struct der_in *params, struct cmp_pbkdf2_params *out,
                             struct cmp_err *err) CMP_MUST_CHECK;

/*
 * RSASSA-PSS-params ::= SEQUENCE {          (RFC 4055 3.1: EXPLICIT TAGS)
 *     hashAlgorithm    [0] HashAlgorithm    DEFAULT sha1,
 *     maskGenAlgorithm [1] MaskGenAlgorithm DEFAULT mgf1SHA1,
 *     saltLength       [2] INTEGER          DEFAULT 20,
 *     trailerField     [3] TrailerField     DEFAULT trailerFieldBC }
 * MGF1's parameters are its hash's AlgorithmIdentifier (mgf1_hash).
 */
struct cmp_pss_params {
    int has_hash;
    struct cmp_algid hash;
    int has_mgf;
    struct cmp_algid mgf;
    int has_mgf1_hash; /* maskGenAlgorithm is id-mgf1 with parameters */
    struct cmp_algid mgf1_hash;
    int has_salt_length;
    struct der_in salt_length; /* INTEGER contents */
    int has_trailer_field;
    struct der_in trailer_field; /* INTEGER contents */
};
int cmp_pss_params_decode(const struct der_in *params, struct cmp_pss_params *out,
                          struct cmp_err *err) CMP_MUST_CHECK;

/*
 * GeneralName ::= CHOICE { otherName [0], rfc822Name [1] IA5String,
 *     dNSName [2] IA5String, x400Address [3], directoryName [4] Name,
 *     ediPartyName [5], uniformResourceIdentifier [6] IA5String,
 *     iPAddress [7] OCTET STRING, registeredID [8] OBJECT IDENTIFIER }
 * (PKIX1Implicit88: IMPLICIT, but directoryName [4] is explicit: Name is a CHOICE)
 */
enum cmp_gname_type {
    CMP_GN_OTHER = 0,
    CMP_GN_EMAIL = 1,
    CMP_GN_DNS = 2,
    CMP_GN_X400 = 3,
    CMP_GN_DIRNAME = 4,
    CMP_GN_EDIPARTY = 5,
    CMP_GN_URI = 6,
    CMP_GN_IP = 7,
    CMP_GN_RID = 8
};
struct cmp_gname {
    int type;            /* enum cmp_gname_type */
    struct der_in whole; /* the whole [n] TLV; encode writes it */
    struct der_in value; /* directoryName: the Name TLV (a SEQUENCE); others: contents */
};
int cmp_gname_decode(struct der_in *in, struct cmp_gname *out, struct cmp_err *err);
int cmp_gname_encode(struct der_out *out, const struct cmp_gname *gn);
/* cmp_gname_set_dirname() makes a directoryName from a Name TLV, building
 * the [4] wrapper into |buf| (|buf_len| >= name_len + 6). */
int cmp_gname_set_dirname(struct cmp_gname *gn, uint8_t *buf, size_t buf_len,
                          const struct der_in *name) CMP_MUST_CHECK;

/*
 * InfoTypeAndValue ::= SEQUENCE { infoType OBJECT IDENTIFIER,
 *     infoValue ANY DEFINED BY infoType OPTIONAL }
 * AttributeTypeAndValue (CRMF Controls, regInfo) has the same shape, with the
 * value required.
 */
struct cmp_itav {
    struct der_in type;  /* OID contents */
    int has_value;
    struct der_in value; /* value TLV */
};
struct cmp_itavs {
    size_t num;
    struct cmp_itav *items;
};
int cmp_itav_decode(struct der_in *in, struct cmp_itav *out, struct cmp_err *err);
int cmp_itav_encode(struct der_out *out, const struct cmp_itav *itav);
/* SEQUENCE OF InfoTypeAndValue. |nonempty|: SIZE (1..MAX). */
int cmp_itavs_decode(struct der_in *in, uint32_t tag, int nonempty, struct cmp_itavs *out,
                     struct cmp_err *err);
int cmp_itavs_encode(struct der_out *out, uint32_t tag, const struct cmp_itavs *itavs);
void cmp_itavs_cleanup(struct cmp_itavs *itavs);

/*
 * PKIStatusInfo ::= SEQUENCE { status PKIStatus,
 *     statusString PKIFreeText OPTIONAL, failInfo PKIFailureInfo OPTIONAL }
 * PKIStatus ::= INTEGER { accepted(0), grantedWithMods(1), rejection(2),
 *     waiting(3), revocationWarning(4), revocationNotification(5),
 *     keyUpdateWarning(6) }
 * PKIFailureInfo ::= BIT STRING (named bits, RFC 9810 5.2.3)
 */
enum cmp_pkistatus_value {
    CMP_STATUS_ACCEPTED = 0,
    CMP_STATUS_GRANTED_WITH_MODS = 1,
    CMP_STATUS_REJECTION = 2,
    CMP_STATUS_WAITING = 3,
    CMP_STATUS_REVOCATION_WARNING = 4,
    CMP_STATUS_REVOCATION_NOTIFICATION = 5,
    CMP_STATUS_KEY_UPDATE_WARNING = 6
};
struct cmp_pkistatus {
    int64_t status;
    int has_status_string;
    struct cmp_freetext status_string;
    int has_fail_info;
    uint64_t fail_info; /* bit n of the ASN.1 is (1 << n) */
};
int cmp_pkistatus_decode(struct der_in *in, struct cmp_pkistatus *out, struct cmp_err *err);
int cmp_pkistatus_encode(struct der_out *out, const struct cmp_pkistatus *si);
void cmp_pkistatus_cleanup(struct cmp_pkistatus *si);

/* SEQUENCE SIZE (1..MAX) OF CMPCertificate (or of CertificateList). */
struct cmp_certs {
    size_t num;
    struct der_in *items; /* each a whole TLV (a SEQUENCE), borrowed */
};
/* |tag| is the SEQUENCE OF's own tag; elements must be SEQUENCEs. */
int cmp_certs_decode(struct der_in *in, uint32_t tag, struct cmp_certs *out, struct cmp_err *err);
/* An empty one fails (SIZE (1..MAX)); msg.c writes OpenSSL's empty extraCerts itself. */
int cmp_certs_encode(struct der_out *out, uint32_t tag, const struct cmp_certs *certs);
void cmp_certs_cleanup(struct cmp_certs *certs);

/*
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
 *     critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * cmp_extensions_check() checks the syntax of one Extensions element with
 * tag |tag| (DER_SEQUENCE, or [9] IMPLICIT in a CertTemplate) and consumes
 * it; the values stay slices for callers. |what| names the field in errors.
 */
int cmp_extensions_check(struct der_in *in, uint32_t tag, const char *what,
                         struct cmp_err *err) CMP_MUST_CHECK;

/* CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } (CRMF) */
struct cmp_certid {
    struct cmp_gname issuer;
    struct der_in serial; /* INTEGER contents */
};
int cmp_certid_decode(struct der_in *in, struct cmp_certid *out, struct cmp_err *err);
int cmp_certid_encode(struct der_out *out, const struct cmp_certid *id);

/* ================= PKIHeader (header.c) ================= */

/*
 * PKIHeader ::= SEQUENCE {
 *     pvno INTEGER { cmp1999(1), cmp2000(2), cmp2021(3) },
 *     sender GeneralName, recipient GeneralName,
 *     messageTime   [0] GeneralizedTime OPTIONAL,
 *     protectionAlg [1] AlgorithmIdentifier OPTIONAL,
 *     senderKID     [2] KeyIdentifier OPTIONAL,
 *     recipKID      [3] KeyIdentifier OPTIONAL,
 *     transactionID [4] OCTET STRING OPTIONAL,
 *     senderNonce   [5] OCTET STRING OPTIONAL,
 *     recipNonce    [6] OCTET STRING OPTIONAL,
 *     freeText      [7] PKIFreeText OPTIONAL,
 *     generalInfo   [8] SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue OPTIONAL }
 * All tags EXPLICIT.
 */
struct cmp_header {
    struct der_in raw; /* the whole header TLV as received (protection input) */
    int64_t pvno;
    struct cmp_gname sender;
    struct cmp_gname recipient;
    int has_message_time;
    struct der_in message_time; /* GeneralizedTime contents (kept for re-encoding) */
    int64_t message_time_secs;
    int has_protection_alg;
    struct cmp_algid protection_alg;
    int has_sender_kid;
    struct der_in sender_kid; /* OCTET STRING contents, may be empty */
    int has_recip_kid;
    struct der_in recip_kid;
    int has_transaction_id;
    struct der_in transaction_id;
    int has_sender_nonce;
    struct der_in sender_nonce;
    int has_recip_nonce;
    struct der_in recip_nonce;
    int has_free_text;
    struct cmp_freetext free_text;
    int has_general_info;
    struct cmp_itavs general_info;
};
int cmp_header_decode(struct der_in *in, struct cmp_header *out, struct cmp_err *err);
/*
 * cmp_header_salvage() reads what can be read of a message that may not
 * decode: the header, if |p| starts with a SEQUENCE whose first element is
 * one (the rest may be truncated or broken). 1 and |out| set (free it with
 * cmp_header_cleanup()), or 0 and |out| empty.
 */
int cmp_header_salvage(const uint8_t *p, size_t len, struct cmp_header *out);
int cmp_header_encode(struct der_out *out, const struct cmp_header *hdr);
void cmp_header_cleanup(struct cmp_header *hdr);

/* ================= CRMF requests: ir cr kur krr ccr (crmf.c) ================= */

/*
 * CertTemplate ::= SEQUENCE {            -- CRMF: IMPLICIT TAGS
 *     version      [0] Version OPTIONAL,              -- 80
 *     serialNumber [1] INTEGER OPTIONAL,              -- 81
 *     signingAlg   [2] AlgorithmIdentifier OPTIONAL,  -- A2
 *     issuer       [3] Name OPTIONAL,                 -- A3, explicit (CHOICE)
 *     validity     [4] OptionalValidity OPTIONAL,     -- A4
 *     subject      [5] Name OPTIONAL,                 -- A5, explicit (CHOICE)
 *     publicKey    [6] SubjectPublicKeyInfo OPTIONAL, -- A6
 *     issuerUID    [7] UniqueIdentifier OPTIONAL,     -- 87 (BIT STRING)
 *     subjectUID   [8] UniqueIdentifier OPTIONAL,     -- 88
 *     extensions   [9] Extensions OPTIONAL }          -- A9
 * OptionalValidity ::= SEQUENCE { notBefore [0] Time OPTIONAL,
 *     notAfter [1] Time OPTIONAL }       -- explicit: Time is a CHOICE
 */
struct cmp_cert_template {
    struct der_in raw; /* the whole template TLV as received */
    int has_version;
    int64_t version;
    int has_serial;
    struct der_in serial; /* INTEGER contents */
    int has_signing_alg;
    struct cmp_algid signing_alg; /* decoded with DER_IMPLICIT(2, DER_SEQUENCE) */
    int has_issuer;
    struct der_in issuer; /* Name TLV (the SEQUENCE inside [3]) */
    int has_validity;
    int has_not_before;
    struct der_in not_before; /* Time TLV (UTCTime or GeneralizedTime) */
    int64_t not_before_secs;
    int has_not_after;
    struct der_in not_after;
    int64_t not_after_secs;
    int has_subject;
    struct der_in subject; /* Name TLV */
    int has_public_key;
    struct der_in public_key; /* SubjectPublicKeyInfo contents (inside [6]) */
    int has_issuer_uid;
    struct der_in issuer_uid; /* BIT STRING contents incl. the unused-bits octet */
    int has_subject_uid;
    struct der_in subject_uid;
    int has_extensions;
    struct der_in extensions; /* contents of [9]: the Extension TLVs */
};
/* A SEQUENCE (in CertRequest and RevDetails). */
int cmp_cert_template_decode(struct der_in *in, struct cmp_cert_template *out,
                             struct cmp_err *err);
int cmp_cert_template_encode(struct der_out *out, const struct cmp_cert_template *t);

/*
 * Controls ::= SEQUENCE SIZE (1..MAX) OF AttributeTypeAndValue
 * Known controls (RFC 4211 6): id-regCtrl-regToken (UTF8String),
 * id-regCtrl-oldCertID (CertId); the others are kept as TLVs.
 */
struct cmp_controls {
    struct cmp_itavs items; /* every control, in order (encode writes these) */
    int has_reg_token;
    struct der_in reg_token; /* UTF8String contents */
    int has_old_cert_id;
    struct cmp_certid old_cert_id;
};
int cmp_controls_decode(struct der_in *in, struct cmp_controls *out, struct cmp_err *err);
int cmp_controls_encode(struct der_out *out, const struct cmp_controls *c);
void cmp_controls_cleanup(struct cmp_controls *c);

/*
 * ProofOfPossession ::= CHOICE {
 *     raVerified      [0] NULL,                -- 80 00
 *     signature       [1] POPOSigningKey,      -- A1
 *     keyEncipherment [2] POPOPrivKey,         -- A2, explicit (CHOICE)
 *     keyAgreement    [3] POPOPrivKey }        -- A3, explicit (CHOICE)
 * POPOSigningKey ::= SEQUENCE {
 *     poposkInput [0] POPOSigningKeyInput OPTIONAL,   -- A0
 *     algorithmIdentifier AlgorithmIdentifier, signature BIT STRING }
 * POPOPrivKey ::= CHOICE {
 *     thisMessage [0] BIT STRING,          -- 80 (deprecated)
 *     subsequentMessage [1] SubsequentMessage,  -- 81 INTEGER
 *     dhMAC [2] BIT STRING,                -- 82 (deprecated)
 *     agreeMAC [3] PKMACValue,             -- A3
 *     encryptedKey [4] EnvelopedData }     -- A4
 */
enum cmp_popo_type {
    CMP_POPO_RAVERIFIED = 0,
    CMP_POPO_SIGNATURE = 1,
    CMP_POPO_KEYENC = 2,
    CMP_POPO_KEYAGREE = 3
};
enum cmp_popo_priv_type {
    CMP_POPO_PRIV_THIS_MESSAGE = 0,
    CMP_POPO_PRIV_SUBSEQUENT = 1,
    CMP_POPO_PRIV_DHMAC = 2,
    CMP_POPO_PRIV_AGREEMAC = 3,
    CMP_POPO_PRIV_ENCRYPTED_KEY = 4
};
enum cmp_subsequent_message { CMP_SUBSEQ_ENCR_CERT = 0, CMP_SUBSEQ_CHALLENGE_RESP = 1 };
struct cmp_popo {
    int type; /* enum cmp_popo_type */
    /* signature */
    int has_poposk_input;
    struct der_in poposk_input; /* contents of [0] */
    struct cmp_algid alg;
    struct der_in signature; /* BIT STRING bytes after the unused-bits octet */
    unsigned signature_unused;
    /* keyEncipherment, keyAgreement */
    int priv_type;          /* enum cmp_popo_priv_type */
    struct der_in priv;     /* the POPOPrivKey TLV inside [2]/[3]; encode writes it */
    int64_t subsequent;     /* subsequentMessage, when priv_type is SUBSEQUENT */
};
int cmp_popo_decode(struct der_in *in, struct cmp_popo *out, struct cmp_err *err);
int cmp_popo_encode(struct der_out *out, const struct cmp_popo *popo);

/*
 * CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg
 * CertReqMsg ::= SEQUENCE { certReq CertRequest,
 *     popo ProofOfPossession OPTIONAL,
 *     regInfo SEQUENCE SIZE (1..MAX) OF AttributeTypeAndValue OPTIONAL }
 * CertRequest ::= SEQUENCE { certReqId INTEGER, certTemplate CertTemplate,
 *     controls Controls OPTIONAL }
 */
struct cmp_cert_req_msg {
    struct der_in cert_req; /* the whole CertRequest TLV (the POPO signature input) */
    int64_t cert_req_id;
    struct cmp_cert_template tmpl;
    int has_controls;
    struct cmp_controls controls;
    int has_popo;
    struct cmp_popo popo;
    int has_reg_info;
    struct cmp_itavs reg_info;
};
struct cmp_cert_req_msgs {
    size_t num;
    struct cmp_cert_req_msg *items;
};
int cmp_cert_req_msgs_decode(struct der_in *in, struct cmp_cert_req_msgs *out,
                             struct cmp_err *err);
/* Encoding an empty one fails: SIZE (1..MAX). */
int cmp_cert_req_msgs_encode(struct der_out *out, const struct cmp_cert_req_msgs *reqs);
void cmp_cert_req_msgs_cleanup(struct cmp_cert_req_msgs *reqs);
/* One CertRequest (used to build the POPO signature input). */
int cmp_cert_request_encode(struct der_out *out, const struct cmp_cert_req_msg *req);

/* ================= EncryptedKey, EncryptedValue (enckey.c) ================= */

/*
 * EncryptedValue ::= SEQUENCE {          -- CRMF (RFC 4211 2.1): IMPLICIT TAGS
 *     intendedAlg [0] AlgorithmIdentifier OPTIONAL,   -- A0
 *     symmAlg     [1] AlgorithmIdentifier OPTIONAL,   -- A1
 *     encSymmKey  [2] BIT STRING OPTIONAL,            -- 82
 *     keyAlg      [3] AlgorithmIdentifier OPTIONAL,   -- A3
 *     valueHint   [4] OCTET STRING OPTIONAL,          -- 84
 *     encValue    BIT STRING }
 * Deprecated (RFC 9810 5.2.2), still sent by older CAs. The decoder is total
 * (any optional field absent, any field empty); what decryption needs is
 * checked by lib/verify (cmp_vfy_enc_value()).
 */
struct cmp_enc_value {
    int has_intended_alg;
    struct cmp_algid intended_alg; /* decoded with DER_IMPLICIT(0, DER_SEQUENCE) */
    int has_symm_alg;
    struct cmp_algid symm_alg; /* [1] */
    int has_enc_symm_key;
    struct der_in enc_symm_key; /* BIT STRING bytes after the unused-bits octet */
    unsigned enc_symm_key_unused;
    int has_key_alg;
    struct cmp_algid key_alg; /* [3] */
    int has_value_hint;
    struct der_in value_hint; /* OCTET STRING contents */
    struct der_in enc_value;  /* BIT STRING bytes after the unused-bits octet */
    unsigned enc_value_unused;
};
/* Decoding allocates nothing: there is no cleanup. */
int cmp_enc_value_decode(struct der_in *in, struct cmp_enc_value *out, struct cmp_err *err);
int cmp_enc_value_encode(struct der_out *out, const struct cmp_enc_value *ev);

/*
 * EncryptedKey ::= CHOICE { encryptedValue EncryptedValue,  -- SEQUENCE, deprecated
 *     envelopedData [0] EnvelopedData }                      -- A0 (IMPLICIT)
 * The EnvelopedData (RFC 5652 6.1) stays one TLV whose framing is checked;
 * libcrypto's CMS code parses it when decrypting (lib/crypto/enckey.c).
 */
enum cmp_enckey_type { CMP_ENCKEY_VALUE = 0, CMP_ENCKEY_ENVELOPED = 1 };
struct cmp_enckey {
    int type;            /* enum cmp_enckey_type */
    struct der_in whole; /* the EncryptedKey TLV; encode writes it */
    struct cmp_enc_value value; /* CMP_ENCKEY_VALUE: the fields of |whole| */
};
int cmp_enckey_decode(struct der_in *in, struct cmp_enckey *out, struct cmp_err *err);
int cmp_enckey_encode(struct der_out *out, const struct cmp_enckey *ek);

/*
 * cmp_enveloped_split() reads the head of EncryptedKey.envelopedData
 * (|whole|, the [0] IMPLICIT TLV): EnvelopedData ::= SEQUENCE { version,
 * originatorInfo [0] OPTIONAL (skipped), recipientInfos SET OF RecipientInfo,
 * ... } (RFC 5652 6.1): |*version|, the SET's contents |*recipients| and what
 * follows it (|*rest|: encryptedContentInfo, unprotectedAttrs). 0 if that
 * much does not parse.
 */
int cmp_enveloped_split(const struct der_in *whole, int64_t *version, struct der_in *recipients,
                        struct der_in *rest) CMP_MUST_CHECK;

/* ================= CertRepMessage: ip cp kup ccp (certrep.c) ================= */

/*
 * CertRepMessage ::= SEQUENCE {
 *     caPubs [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL,
 *     response SEQUENCE OF CertResponse }
 * CertResponse ::= SEQUENCE { certReqId INTEGER, status PKIStatusInfo,
 *     certifiedKeyPair CertifiedKeyPair OPTIONAL, rspInfo OCTET STRING OPTIONAL }
 * CertifiedKeyPair ::= SEQUENCE { certOrEncCert CertOrEncCert,
 *     privateKey [0] EncryptedKey OPTIONAL,
 *     publicationInfo [1] PKIPublicationInfo OPTIONAL }
 * CertOrEncCert ::= CHOICE { certificate [0] CMPCertificate,
 *     encryptedCert [1] EncryptedKey }
 * (CMP module: EXPLICIT)
 */
enum cmp_cert_or_enc_type { CMP_CERT_PLAIN = 0, CMP_CERT_ENCRYPTED = 1 };
struct cmp_certified_key_pair {
    int cert_type;              /* enum cmp_cert_or_enc_type */
    struct der_in cert;         /* CMP_CERT_PLAIN: the Certificate TLV */
    struct cmp_enckey enc_cert; /* CMP_CERT_ENCRYPTED */
    int has_private_key;
    struct cmp_enckey private_key;
    int has_publication_info;
    struct der_in publication_info; /* PKIPublicationInfo TLV */
};
struct cmp_cert_response {
    int64_t cert_req_id;
    struct cmp_pkistatus status;
    int has_ckp;
    struct cmp_certified_key_pair ckp;
    int has_rsp_info;
    struct der_in rsp_info; /* OCTET STRING contents */
};
struct cmp_cert_rep {
    int has_ca_pubs;
    struct cmp_certs ca_pubs;
    size_t num;
    struct cmp_cert_response *responses;
};
int cmp_cert_rep_decode(struct der_in *in, struct cmp_cert_rep *out, struct cmp_err *err);
int cmp_cert_rep_encode(struct der_out *out, const struct cmp_cert_rep *rep);
void cmp_cert_rep_cleanup(struct cmp_cert_rep *rep);

/* ================= rr, rp (rev.c) ================= */

/*
 * RevReqContent ::= SEQUENCE OF RevDetails
 * RevDetails ::= SEQUENCE { certDetails CertTemplate,
 *     crlEntryDetails Extensions OPTIONAL }
 */
struct cmp_rev_details {
    struct cmp_cert_template cert_details;
    int has_crl_entry_details;
    struct der_in crl_entry_details; /* Extensions TLV (SEQUENCE) */
};
struct cmp_rev_req {
    size_t num;
    struct cmp_rev_details *items;
};
int cmp_rev_req_decode(struct der_in *in, struct cmp_rev_req *out, struct cmp_err *err);
int cmp_rev_req_encode(struct der_out *out, const struct cmp_rev_req *rr);
void cmp_rev_req_cleanup(struct cmp_rev_req *rr);

/*
 * RevRepContent ::= SEQUENCE {
 *     status SEQUENCE SIZE (1..MAX) OF PKIStatusInfo,
 *     revCerts [0] SEQUENCE SIZE (1..MAX) OF CertId OPTIONAL,
 *     crls [1] SEQUENCE SIZE (1..MAX) OF CertificateList OPTIONAL }
 */
struct cmp_rev_rep {
    size_t num_status;
    struct cmp_pkistatus *status;
    int has_rev_certs;
    size_t num_rev_certs;
    struct cmp_certid *rev_certs;
    int has_crls;
    struct cmp_certs crls;
};
int cmp_rev_rep_decode(struct der_in *in, struct cmp_rev_rep *out, struct cmp_err *err);
int cmp_rev_rep_encode(struct der_out *out, const struct cmp_rev_rep *rp);
void cmp_rev_rep_cleanup(struct cmp_rev_rep *rp);

/* ================= error (error.c) ================= */

/*
 * ErrorMsgContent ::= SEQUENCE { pKIStatusInfo PKIStatusInfo,
 *     errorCode INTEGER OPTIONAL, errorDetails PKIFreeText OPTIONAL }
 */
struct cmp_error_msg {
    struct cmp_pkistatus status;
    int has_error_code;
    int64_t error_code;
    int has_error_details;
    struct cmp_freetext error_details;
};
int cmp_error_msg_decode(struct der_in *in, struct cmp_error_msg *out, struct cmp_err *err);
int cmp_error_msg_encode(struct der_out *out, const struct cmp_error_msg *em);
void cmp_error_msg_cleanup(struct cmp_error_msg *em);

/* ================= certConf, pkiConf (certconf.c) ================= */

/*
 * CertConfirmContent ::= SEQUENCE OF CertStatus
 * CertStatus ::= SEQUENCE { certHash OCTET STRING, certReqId INTEGER,
 *     statusInfo PKIStatusInfo OPTIONAL,
 *     hashAlg [0] AlgorithmIdentifier OPTIONAL }     -- explicit
 */
struct cmp_certstatus {
    struct der_in cert_hash; /* OCTET STRING contents */
    int64_t cert_req_id;
    int has_status;
    struct cmp_pkistatus status;
    int has_hash_alg;
    struct cmp_algid hash_alg;
};
struct cmp_certconf {
    size_t num;
    struct cmp_certstatus *items;
};
int cmp_certconf_decode(struct der_in *in, struct cmp_certconf *out, struct cmp_err *err);
int cmp_certconf_encode(struct der_out *out, const struct cmp_certconf *cc);
void cmp_certconf_cleanup(struct cmp_certconf *cc);

/* ================= pollReq, pollRep (poll.c) ================= */

/*
 * PollReqContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER }
 * PollRepContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER,
 *     checkAfter INTEGER, reason PKIFreeText OPTIONAL }
 */
struct cmp_poll_req {
    size_t num;
    int64_t *cert_req_ids;
};
int cmp_poll_req_decode(struct der_in *in, struct cmp_poll_req *out, struct cmp_err *err);
int cmp_poll_req_encode(struct der_out *out, const struct cmp_poll_req *pr);
void cmp_poll_req_cleanup(struct cmp_poll_req *pr);

struct cmp_poll_rep_item {
    int64_t cert_req_id;
    int64_t check_after; /* seconds */
    int has_reason;
    struct cmp_freetext reason;
};
struct cmp_poll_rep {
    size_t num;
    struct cmp_poll_rep_item *items;
};
int cmp_poll_rep_decode(struct der_in *in, struct cmp_poll_rep *out, struct cmp_err *err);
int cmp_poll_rep_encode(struct der_out *out, const struct cmp_poll_rep *pr);
void cmp_poll_rep_cleanup(struct cmp_poll_rep *pr);

/* ================= the bodies kept whole (opaque.c) ================= */

/*
 * Bodies kept as validated TLVs (framing checked with der_walk, re-encoded
 * verbatim): popdecc [5], popdecr [6], krp [10], ckuann [15], cann [16],
 * rann [17], crlann [18].
 */
int cmp_opaque_decode(struct der_in *in, struct der_in *out, struct cmp_err *err);

/* ================= the values of genm/genp support messages (genmval.c) ================= */

/*
 * The InfoTypeAndValue values of RFC 9810 5.3.19.14 to 5.3.19.17 (RFC 9483
 * 4.3) that have a structure of their own. The CMP module's EXPLICIT tags.
 * caCerts and crls are a SEQUENCE SIZE (1..MAX) OF CMPCertificate / of
 * CertificateList (struct cmp_certs); rootCaCert is one CMPCertificate.
 * Syntax only: lib/verify checks what a client may accept.
 *
 * RootCaKeyUpdateContent ::= SEQUENCE {
 *     newWithNew     CMPCertificate,
 *     newWithOld [0] CMPCertificate OPTIONAL,
 *     oldWithNew [1] CMPCertificate OPTIONAL }
 */
struct cmp_root_ca_key_update {
    struct der_in new_with_new; /* Certificate TLV */
    int has_new_with_old;
    struct der_in new_with_old; /* Certificate TLV (inside [0]) */
    int has_old_with_new;
    struct der_in old_with_new; /* Certificate TLV (inside [1]) */
};
int cmp_root_ca_key_update_decode(struct der_in *in, struct cmp_root_ca_key_update *out,
                                  struct cmp_err *err);
int cmp_root_ca_key_update_encode(struct der_out *out, const struct cmp_root_ca_key_update *u);

/*
 * CertReqTemplateContent ::= SEQUENCE {
 *     certTemplate CertTemplate,
 *     keySpec      Controls OPTIONAL }
 * Controls ::= SEQUENCE SIZE (1..MAX) OF AttributeTypeAndValue
 * (keySpec's controls are id-regCtrl-algId, an AlgorithmIdentifier, and
 * id-regCtrl-rsaKeyLen, an INTEGER (1..MAX); each has a value.)
 */
struct cmp_cert_req_template {
    struct cmp_cert_template tmpl;
    int has_key_spec;
    struct cmp_itavs key_spec;
};
int cmp_cert_req_template_decode(struct der_in *in, struct cmp_cert_req_template *out,
                                 struct cmp_err *err);
int cmp_cert_req_template_encode(struct der_out *out, const struct cmp_cert_req_template *t);
void cmp_cert_req_template_cleanup(struct cmp_cert_req_template *t);

/*
 * CRLStatusListValue ::= SEQUENCE SIZE (1..MAX) OF CRLStatus
 * CRLStatus ::= SEQUENCE { source CRLSource, thisUpdate Time OPTIONAL }
 * CRLSource ::= CHOICE { dpn [0] DistributionPointName, issuer [1] GeneralNames }
 * DistributionPointName ::= CHOICE {             -- RFC 5280: IMPLICIT
 *     fullName                [0] GeneralNames,
 *     nameRelativeToCRLIssuer [1] RelativeDistinguishedName }
 * GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 */
enum cmp_crl_source_type { CMP_CRL_SOURCE_DPN = 0, CMP_CRL_SOURCE_ISSUER = 1 };
enum cmp_dpn_type { CMP_DPN_FULL_NAME = 0, CMP_DPN_RELATIVE = 1 };
struct cmp_crl_status {
    int source_type;      /* enum cmp_crl_source_type */
    struct der_in source; /* the DistributionPointName or GeneralNames TLV inside [0]/[1];
                           * encode writes it */
    int dpn_type;         /* dpn: enum cmp_dpn_type */
    size_t num_names;     /* issuer, or a dpn fullName: the GeneralNames (decode only) */
    struct cmp_gname *names;
    int has_this_update;
    struct der_in this_update; /* Time TLV */
    int64_t this_update_secs;
};
struct cmp_crl_status_list {
    size_t num;
    struct cmp_crl_status *items;
};
int cmp_crl_status_list_decode(struct der_in *in, struct cmp_crl_status_list *out,
                               struct cmp_err *err);
int cmp_crl_status_list_encode(struct der_out *out, const struct cmp_crl_status_list *l);
void cmp_crl_status_list_cleanup(struct cmp_crl_status_list *l);

/*
 * cmp_itav_value_check() checks the syntax of the value of |itav| if its
 * type is one of the above (caCerts, rootCaCert, rootCaKeyUpdate,
 * certReqTemplate, crlStatusList, crls); other types, and an absent value
 * (each of these may be absent in a genm or a genp), pass.
 */
int cmp_itav_value_check(const struct cmp_itav *itav, struct cmp_err *err) CMP_MUST_CHECK;

/* ================= PKIMessage (msg.c) ================= */

/*
 * PKIBody ::= CHOICE { ir [0] CertReqMessages, ip [1] CertRepMessage,
 *     cr [2], cp [3], p10cr [4] CertificationRequest, popdecc [5], popdecr [6],
 *     kur [7], kup [8], krr [9], krp [10], rr [11] RevReqContent,
 *     rp [12] RevRepContent, ccr [13], ccp [14], ckuann [15], cann [16],
 *     rann [17], crlann [18], pkiconf [19] NULL, nested [20] PKIMessages,
 *     genm [21] GenMsgContent, genp [22] GenRepContent, error [23],
 *     certConf [24], pollReq [25], pollRep [26] }     -- all EXPLICIT
 * enum cmp_body_type is in cmpkit/msg.h.
 */
struct cmp_msgs {
    size_t num;
    struct cmp_msg **items;
};
struct cmp_body {
    int type;          /* enum cmp_body_type */
    struct der_in raw; /* the whole [n] TLV as received (protection input) */
    union {
        struct cmp_cert_req_msgs req; /* ir cr kur krr ccr */
        struct cmp_cert_rep rep;      /* ip cp kup ccp */
        struct der_in p10cr;          /* CertificationRequest TLV */
        struct cmp_rev_req rr;
        struct cmp_rev_rep rp;
        struct cmp_itavs itavs;       /* genm genp (SEQUENCE OF, may be empty) */
        struct cmp_error_msg error;
        struct cmp_certconf cert_conf;
        struct cmp_poll_req poll_req;
        struct cmp_poll_rep poll_rep;
        struct cmp_msgs nested;
        struct der_in opaque;         /* the content TLV of the other bodies */
    } u;
};

/*
 * PKIMessage ::= SEQUENCE { header PKIHeader, body PKIBody,
 *     protection [0] PKIProtection OPTIONAL,          -- BIT STRING
 *     extraCerts [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL }
 */
struct cmp_arena_block; /* bytes owned by a message, freed with it */
struct cmp_msg {
    uint8_t *raw_buf; /* owned copy of the input; NULL when built or nested */
    struct cmp_arena_block *arena; /* what the slices of a built message point to */
    struct der_in raw;  /* the whole message as received */
    struct cmp_header hdr;
    struct cmp_body body;
    int has_protection;
    struct der_in protection; /* BIT STRING bytes after the unused-bits octet */
    unsigned protection_unused;
    int has_extra_certs;
    struct cmp_certs extra_certs;
};

/* Decodes one PKIMessage element from |in| without copying; |depth| counts nesting. */
int cmp_msg_decode_in(struct der_in *in, struct cmp_msg *out, int depth, struct cmp_err *err);
int cmp_msg_encode_out(struct der_out *out, const struct cmp_msg *msg);
void cmp_msg_cleanup(struct cmp_msg *msg);

int cmp_body_decode(struct der_in *in, struct cmp_body *out, int depth, struct cmp_err *err);
int cmp_body_encode(struct der_out *out, const struct cmp_body *body);
void cmp_body_cleanup(struct cmp_body *body);

/* ================= what each body type is (body.c) ================= */

/*
 * How one kind of PKIBody content is decoded, encoded, freed and printed:
 * one per body family, defined in the family's file (certconf.c, poll.c...).
 * |content| points at the member of struct cmp_body's union the family uses
 * (all members start at &body->u; |size| is that member's). |depth| is the
 * nesting depth of the message holding the body (nested.c uses it).
 */
struct cmp_printer; /* msg/internal.h */
struct cmp_body_codec {
    const char *asn1_name; /* the content's ASN.1 type: "CertConfirmContent" */
    size_t size;           /* sizeof the union member: struct cmp_certconf */
    int (*decode)(struct der_in *in, void *content, int depth, struct cmp_err *err);
    int (*encode)(struct der_out *out, const void *content);
    void (*cleanup)(void *content); /* NULL: decoding allocates nothing */
    /* prints "body: <name>..." at |level| and the content below it */
    void (*print)(struct cmp_printer *pr, int level, const char *name, const void *content,
                  int depth);
};

/* What a body type is in a transaction (RFC 9810 5.3, Appendix D). */
#define CMP_BODY_F_REQUEST 0x01u  /* an EE/RA sends it to a CA/RA: a server takes it */
#define CMP_BODY_F_RESPONSE 0x02u /* a CA/RA answers a request with it */
#define CMP_BODY_F_FIRST 0x04u    /* opens a transaction (its first message) */
#define CMP_BODY_F_CERT_REQ 0x08u /* asks for a certificate: certConf may follow the answer */
#define CMP_BODY_F_CERT_REP 0x10u /* CertRepMessage: issued certificates, caPubs */
#define CMP_BODY_F_ANNOUNCE 0x20u /* a CA announcement, sent unasked */

/*
 * One row per enum cmp_body_type: msg.c, the printer and the body type's
 * name dispatch through it, and the server engine and the client read what
 * a type is here instead of switching on it.
 */
struct cmp_body_desc {
    const char *name;        /* RFC 9810 5.1.2: "certConf" */
    const char *description; /* for people: "certificate confirmation" */
    unsigned flags;          /* CMP_BODY_F_ */
    int response;            /* the body type that answers this one; -1 for none */
    const struct cmp_body_codec *codec;
};

/* cmp_body_desc() returns the row of body type |type|, or NULL outside 0..CMP_BODY_MAX. */
const struct cmp_body_desc *cmp_body_desc(int type);

/*
 * cmp_protected_part_encode() writes ProtectedPart ::= SEQUENCE { header,
 * body }. With |as_received| (verifying), from the raw slices as received,
 * never a re-encoding (RFC 9810 5.1.3; fails if the message was not
 * decoded); otherwise (protecting) by encoding the model.
 */
int cmp_protected_part_encode(struct der_out *out, const struct cmp_msg *msg,
                              int as_received) CMP_MUST_CHECK;

/*
 * cmp_msg_alloc() returns |len| zeroed bytes owned by |msg| and freed with
 * it, for the slices of a message being built; NULL if out of memory.
 * cmp_msg_dup() copies |len| bytes from |p| the same way.
 */
uint8_t *cmp_msg_alloc(struct cmp_msg *msg, size_t len);
uint8_t *cmp_msg_dup(struct cmp_msg *msg, const void *p, size_t len);

/* cmp_msg_new() returns an empty message to build, or NULL. */
struct cmp_msg *cmp_msg_new(void);

/* cmp_pkistatus_name() is the ASN.1 name of a PKIStatus ("grantedWithMods"), or NULL. */
const char *cmp_pkistatus_name(int64_t status);

/* ================= printing into log lines (print.c) ================= */

/* Gets one printed line (indentation included, no newline, no control characters). */
typedef void cmp_msg_line_fn(void *arg, const char *line);

/*
 * cmp_msg_print_lines() prints |msg| as cmp_msg_print() does, each line to
 * |fn|: with |header_only| the PKIHeader's fields only (sender, recipient,
 * transactionID, nonces, protectionAlg, senderKID, generalInfo...), else the
 * whole message. For the client's debug output.
 */
void cmp_msg_print_lines(const struct cmp_msg *msg, int header_only, cmp_msg_line_fn *fn,
                         void *arg);

#endif
