/*
 * Protection, proof of possession, certHash, and loading of keys,
 * certificates and secrets. The only layer below verify/ that uses libcrypto
 * (for cryptography and X.509 only: never its CMP/CRMF/HTTP code).
 *
 * Messages being built keep their bytes in the message's arena
 * (cmp_msg_alloc); the functions here that change a message put what they
 * add there.
 */
#ifndef CMPKIT_CRYPTO_H
#define CMPKIT_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "msg/msg.h"

/* ---- limits on what a peer may ask of us ---- */

#define CMP_PBM_DEFAULT_MAX_ITERATIONS 100000 /* a larger count is a DoS */
#define CMP_PBM_MAX_SALT_LEN 256
#define CMP_PBM_MIN_SALT_LEN 1
#define CMP_MAC_MAX_LEN EVP_MAX_MD_SIZE
#define CMP_PBMAC1_MAX_KEY_LEN 128

struct cmp_mac_limits {
    int64_t max_iterations; /* 0 means CMP_PBM_DEFAULT_MAX_ITERATIONS */
};

/*
 * ---- the PBM and PBMAC1 OIDs' contents, for der_oid_eq() ----
 * The bytes are in the one OID table (msg/oids.h); these names stay for the
 * callers in verify/ and server/. New code says cmp_oid_is(oid, CMP_NID_...).
 */
#define CMP_OID_PBM (cmp_oid(CMP_NID_PASSWORD_BASED_MAC).p)
#define CMP_OID_PBM_LEN (cmp_oid(CMP_NID_PASSWORD_BASED_MAC).len)
#define CMP_OID_PBMAC1 (cmp_oid(CMP_NID_PBMAC1).p)
#define CMP_OID_PBMAC1_LEN (cmp_oid(CMP_NID_PBMAC1).len)

/* ---- digest algorithms taken by OID (digest.c) ---- */

struct cmp_digest {
    int nid;          /* CMP_NID_ */
    const char *name; /* OpenSSL's name, for EVP_MD_fetch() */
    size_t xof_len;   /* output bytes of an XOF; 0 for a fixed-size digest */
};

/* cmp_digest_by_oid() / _by_nid() find a digest in the table; NULL if it is not there. */
const struct cmp_digest *cmp_digest_by_oid(const struct der_in *oid);
const struct cmp_digest *cmp_digest_by_nid(int nid);

/*
 * cmp_digest_by_name() finds a digest by any name OpenSSL knows for it
 * ("sha256", "SHA2-256"); NULL (and nothing on the error queue) if none.
 */
const struct cmp_digest *cmp_digest_by_name(const char *name);

/* ---- MAC-based protection (protect.c) ---- */

/*
 * PBM, RFC 4211 4.4 / RFC 9481 6.1.1:
 *   PBMParameter ::= SEQUENCE { salt OCTET STRING, owf AlgorithmIdentifier,
 *       iterationCount INTEGER, mac AlgorithmIdentifier }
 * key = owf^iterationCount(secret || salt); protection = MAC(key, ProtectedPart)
 */
struct cmp_pbm_opts {
    const char *owf;    /* digest name; NULL: "SHA256" (as openssl cmp) */
    const char *mac;    /* NULL: "hmac-sha1" (as openssl cmp); or a digest name for
                         * hmacWith<digest>, or an HMAC algorithm name */
    int64_t iterations; /* 0: 500 (as openssl cmp) */
    size_t salt_len;    /* 0: 16 */
    /*
     * A key derived earlier by cmp_pbm_derive() with these options, and its
     * salt (salt_len bytes): protecting then costs one HMAC, not the
     * iterationCount hashes. NULL: a fresh salt and derivation per message.
     */
    const uint8_t *salt;
    const uint8_t *key;
    size_t key_len;
};

/*
 * cmp_pbm_derive() picks a random salt (opts->salt_len bytes, default 16)
 * and derives the PBM key for |secret| with |opts|' owf and iterationCount.
 * |salt| and |key| have room for CMP_PBM_MAX_SALT_LEN and EVP_MAX_MD_SIZE
 * bytes. The caller wipes the key with OPENSSL_cleanse.
 */
int cmp_pbm_derive(const struct cmp_pbm_opts *opts, const uint8_t *secret, size_t secret_len,
                   uint8_t *salt, size_t *salt_len, uint8_t *key, size_t *key_len,
                   struct cmp_err *err) CMP_MUST_CHECK;

/*
 * PBMAC1, RFC 9480 2.2 / RFC 9481 6.1.3 / RFC 8018 A.5:
 *   PBMAC1-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier (PBKDF2),
 *       messageAuthScheme AlgorithmIdentifier (HMAC) }
 */
struct cmp_pbmac1_opts {
    const char *prf;    /* PBKDF2 PRF digest; NULL: "SHA256" */
    const char *mac;    /* HMAC digest; NULL: "SHA256" */
    int64_t iterations; /* 0: 10000 */
    size_t salt_len;    /* 0: 16 */
    size_t key_len;     /* 0: the MAC digest's size */
};

/*
 * cmp_protect_pbm() / cmp_protect_pbmac1() set msg->hdr's protectionAlg and
 * the message's protection over the freshly encoded ProtectedPart. Call them
 * last, when header and body are final. On failure the message is unchanged
 * in meaning (it may hold unused arena bytes).
 */
int cmp_protect_pbm(struct cmp_msg *msg, const struct cmp_pbm_opts *opts, const uint8_t *secret,
                    size_t secret_len, struct cmp_err *err) CMP_MUST_CHECK;
int cmp_protect_pbmac1(struct cmp_msg *msg, const struct cmp_pbmac1_opts *opts,
                       const uint8_t *secret, size_t secret_len,
                       struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_protect_mac_as() protects |msg| like cmp_protect_pbm() /
 * cmp_protect_pbmac1() with the algorithm and parameters of |like| (a
 * received PBM or PBMAC1 protectionAlg): for PBM the same PBMParameter
 * (salt, owf, iterationCount, mac; the key the request verified with, if
 * kept), for PBMAC1 the same PRF, iterationCount, keyLength and MAC with a
 * fresh salt of the same length. badAlg if |like| is not MAC-based, its parameters are
 * unsupported or beyond |limits| (NULL: the defaults).
 */
int cmp_protect_mac_as(struct cmp_msg *msg, const struct cmp_algid *like,
                       const struct cmp_mac_limits *limits, const uint8_t *secret,
                       size_t secret_len, struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_msg_mac_protected() is 1 if protectionAlg is PBM or PBMAC1. */
int cmp_msg_mac_protected(const struct cmp_msg *msg);

/*
 * cmp_verify_mac() checks a PBM or PBMAC1 protection with |secret| over the
 * ProtectedPart as received. Parameters are checked against |limits| (NULL:
 * defaults) before any work. Failure bits: badAlg (unknown or unacceptable
 * algorithm or parameters, iteration count over the limit), badMessageCheck
 * (wrong MAC, no protection).
 */
int cmp_verify_mac(const struct cmp_msg *msg, const uint8_t *secret, size_t secret_len,
                   const struct cmp_mac_limits *limits, struct cmp_err *err) CMP_MUST_CHECK;

/* ---- signature-based protection (sig.c) ---- */

/*
 * cmp_protect_sig() signs the freshly encoded ProtectedPart with |key| and
 * sets protectionAlg: RSA PKCS#1 v1.5 (or RSASSA-PSS with |pss|), ECDSA,
 * Ed25519, Ed448. |digest| NULL means SHA256; ignored for EdDSA.
 */
int cmp_protect_sig(struct cmp_msg *msg, EVP_PKEY *key, const char *digest, int pss,
                    struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_verify_sig() checks the signature protection of a received message
 * with |pub| (the signer's public key). Failure bits: badAlg (unsupported or
 * mismatching algorithm), badMessageCheck (wrong signature).
 */
int cmp_verify_sig(const struct cmp_msg *msg, EVP_PKEY *pub, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_sign_data() / cmp_verify_data(): the signature primitives under
 * cmp_protect_sig and POPO. |alg_out| receives the AlgorithmIdentifier DER
 * (a new buffer, free() it).
 */
int cmp_sign_data(EVP_PKEY *key, const char *digest, int pss, const uint8_t *data, size_t len,
                  uint8_t **sig, size_t *sig_len, uint8_t **alg_der, size_t *alg_der_len,
                  struct cmp_err *err) CMP_MUST_CHECK;
int cmp_verify_data(EVP_PKEY *pub, const struct cmp_algid *alg, const uint8_t *data, size_t len,
                    const uint8_t *sig, size_t sig_len, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_set_extra_certs() sets the message's extraCerts: |cert| first, then the
 * chain up to (not including) a self-signed root built from |untrusted| and
 * |extra|, then the rest of |extra| (RFC 9483 3.3 order). extraCerts lie
 * outside ProtectedPart, so this may come before or after protecting.
 */
int cmp_set_extra_certs(struct cmp_msg *msg, X509 *cert, STACK_OF(X509) *untrusted,
                        STACK_OF(X509) *extra, struct cmp_err *err) CMP_MUST_CHECK;

/* ---- proof of possession (popo.c) ---- */

/*
 * cmp_popo_sign() sets |req|'s POPO to signature: the signature by |key|
 * over the DER of its CertRequest (RFC 4211 4.1, no poposkInput when the
 * template has subject and publicKey). The template's publicKey must be
 * |key|'s. Without a subject it signs POPOSigningKeyInput with authInfo
 * sender = msg->hdr.sender (set it first; RFC 4211 wants an authenticated
 * name there). An RSA-PSS key signs with RSASSA-PSS. Sets req->cert_req to
 * the fresh CertRequest DER. Bytes go to |msg|'s arena.
 */
int cmp_popo_sign(struct cmp_msg *msg, struct cmp_cert_req_msg *req, EVP_PKEY *key,
                  const char *digest, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_popo_sign_spki() is cmp_popo_sign() for a caller that has the DER of
 * |key|'s SubjectPublicKeyInfo (|key_spki|, or NULL): a template holding
 * those bytes is |key|'s without decoding a key from it (the client, which
 * made the template from them).
 */
int cmp_popo_sign_spki(struct cmp_msg *msg, struct cmp_cert_req_msg *req, EVP_PKEY *key,
                       const uint8_t *key_spki, size_t key_spki_len, const char *digest,
                       struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_popo_verify() checks a request's POPO: a signature with the
 * template's public key over the CertRequest as received (or over
 * poposkInput, whose publicKey must equal the template's; its authInfo is the
 * caller's to check); raVerified only if |accept_raverified|. Failure bit
 * badPOP, also for a missing POPO. keyEncipherment and keyAgreement fail with
 * CMP_E_UNSUPPORTED: a caller that supports subsequentMessage (encrCert,
 * challengeResp) must handle it before calling.
 */
int cmp_popo_verify(const struct cmp_cert_req_msg *req, int accept_raverified,
                    struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_spki_fast_pubkey() builds the key of the SubjectPublicKeyInfo |spki|
 * (its DER) directly for the common kinds: EC on P-256, P-384, P-521 with
 * an uncompressed point (checked to be on the curve), Ed25519, Ed448, and
 * RSA (rsaEncryption, up to 16384 bits; ~6 us instead of ~220 us).
 * d2i_PUBKEY goes through OpenSSL 3.0's decoder framework and costs ~72 us;
 * this ~13 us. NULL for any other key (or encoding of one), which
 * d2i_PUBKEY then decides on; nothing is left on the error queue. Used by
 * POPO verification and by the CA's key checks (lib/ca/issue.c).
 */
EVP_PKEY *cmp_spki_fast_pubkey(const uint8_t *spki, size_t spki_len);

/*
 * cmp_p10cr_verify() checks the self-signature of a PKCS#10 request. badPOP
 * (badDataFormat if it does not parse as exactly one CertificationRequest).
 */
int cmp_p10cr_verify(const struct der_in *csr, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_oid_ossl_nid() (sig.c) maps OID contents to OpenSSL's NID, for the
 * tables of libcrypto (signature algorithms, curves); NID_undef if OpenSSL
 * does not know it. Not the CMP_NID_* of lib/msg's own table.
 */
int cmp_oid_ossl_nid(const struct der_in *oid);

/* ---- certHash (certhash.c) ---- */

/*
 * cmp_cert_hash() computes certHash, RFC 9810 5.3.18: with |hash_alg| (pvno
 * 3) that algorithm; otherwise the digest of the certificate's signature
 * algorithm (SHA-512 for Ed25519, SHAKE256 with 64 bytes for Ed448; SHA-256
 * when the signature algorithm has none or is unknown). |out| has room for
 * EVP_MAX_MD_SIZE bytes; |*out_len| gets the length. Failure bit badAlg.
 */
int cmp_cert_hash(const X509 *cert, const struct cmp_algid *hash_alg, uint8_t *out,
                  size_t *out_len, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_cert_hash_der() is cmp_cert_hash() of the certificate |der| (one
 * Certificate, DER), without parsing it with libcrypto: the digest comes
 * from its signatureAlgorithm. badCertId if that does not decode.
 */
int cmp_cert_hash_der(const uint8_t *der, size_t der_len, const struct cmp_algid *hash_alg,
                      uint8_t *out, size_t *out_len, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_cert_hash_fallback(): RFC 9810 5.3.18 (as RFC 9480 2.10 updated it)
 * wants hashAlg in a CertStatus (and pvno 3) when the certificate's
 * signature algorithm names no hash of its own. |*out| is then the digest
 * cmp_cert_hash() takes for it without hashAlg (EdDSA: SHA-512 or SHAKE256;
 * else SHA-256), and NULL when the algorithm names its hash. 0 with badCertId
 * when the signature algorithm cannot be read.
 */
int cmp_cert_hash_fallback(const X509 *cert, const struct cmp_digest **out,
                           struct cmp_err *err) CMP_MUST_CHECK;

/* ---- loading (load.c), as openssl cmp loads them ---- */

/*
 * cmp_pass_get() resolves a pass phrase argument as openssl-passphrase-
 * options(1): pass:, env:, file:, fd:, stdin, or (as openssl cmp accepts)
 * a bare string. |*out| is a new NUL-terminated string; free it with
 * cmp_pass_free(), which wipes it.
 */
int cmp_pass_get(char **out, const char *arg, const char *desc, struct cmp_err *err) CMP_MUST_CHECK;
void cmp_pass_free(char *pass);

/* Key and certificate formats (-keyform, -certform). */
enum cmp_format { CMP_FORMAT_ANY = 0, CMP_FORMAT_PEM, CMP_FORMAT_DER, CMP_FORMAT_P12 };

/*
 * cmp_load_key() loads a private key (or with |public_only| a public key)
 * from a file (PEM, DER, PKCS#12) or an OSSL_STORE URI. |pass| may be NULL.
 * |desc| names it in errors ("client key"). Returns a new key or NULL.
 */
EVP_PKEY *cmp_load_key(const char *uri, int format, const char *pass, int public_only,
                       const char *desc, struct cmp_err *err);

/* cmp_load_cert() loads exactly one certificate. */
X509 *cmp_load_cert(const char *uri, int format, const char *pass, const char *desc,
                    struct cmp_err *err);

/*
 * cmp_load_certs() loads every certificate of a list of files/URIs separated
 * by commas or whitespace (as openssl cmp's "filenames|uris") and appends
 * them to |*certs| (created if NULL).
 */
int cmp_load_certs(STACK_OF(X509) **certs, const char *uris, int format, const char *pass,
                   const char *desc, struct cmp_err *err) CMP_MUST_CHECK;

/* ---- encrypted keys and certificates (enckey.c) ---- */

/*
 * Limits on what a peer's EncryptedKey may make us do: RecipientInfos in one
 * EnvelopedData (each one a private key operation or a key derivation), the
 * size of what is decrypted (a key package, a certificate).
 */
#define CMP_ENCKEY_MAX_RECIPIENTS 8
#define CMP_ENCKEY_MAX_CONTENT (1u << 20)
/* PBKDF2 iterations of the PasswordRecipientInfos we make (RFC 9481 4.4 wants >= 1000). */
#define CMP_PWRI_DEFAULT_ITERATIONS 10000

/*
 * What an EncryptedKey may be decrypted with: our private key (and its
 * certificate, to find our RecipientInfo; without it every one is tried)
 * for KeyTransRecipientInfo, KeyAgreeRecipientInfo and EncryptedValue; the
 * shared secret for PasswordRecipientInfo (RFC 9483 4.1.6.3).
 */
struct cmp_decrypt_keys {
    EVP_PKEY *pkey;        /* may be NULL */
    X509 *cert;            /* may be NULL */
    const uint8_t *secret; /* may be NULL */
    size_t secret_len;
    int64_t max_iterations; /* a PWRI's PBKDF2 count; 0: CMP_PBM_DEFAULT_MAX_ITERATIONS */
};

/*
 * cmp_enckey_decrypt() decrypts an EncryptedKey: envelopedData with
 * libcrypto's CMS code (after checking the limits above), encryptedValue
 * with keys->pkey and the cipher it names. On success |*out| is a new
 * buffer (free it with OPENSSL_clear_free()) of |*out_len| bytes and
 * |*content_nid| the EnvelopedData's content type (CMP_NID_; CMP_NID_UNDEF
 * for an EncryptedValue or an unknown type). A failure to decrypt is
 * badMessageCheck, a malformed structure badDataFormat, an algorithm we do
 * not take badAlg.
 */
int cmp_enckey_decrypt(const struct cmp_enckey *ek, const struct cmp_decrypt_keys *keys,
                       uint8_t **out, size_t *out_len, int *content_nid,
                       struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_enc_value_cipher() is the name of the EncryptedValue symmAlg |oid| we take, or NULL. */
const char *cmp_enc_value_cipher(const struct der_in *oid);

/* What a SignedData holds once its signature is verified. */
struct cmp_signed_content {
    uint8_t *content; /* eContent (OPENSSL_clear_free) */
    size_t content_len;
    int content_nid;        /* eContentType as CMP_NID_, or CMP_NID_UNDEF */
    X509 *signer;           /* the signer's certificate (own reference) */
    STACK_OF(X509) * certs; /* the SignedData's certificates (own references), or NULL */
};
void cmp_signed_content_cleanup(struct cmp_signed_content *sc);

/*
 * cmp_signed_data_open() checks a SignedData (RFC 5652 5; |der| is the
 * SignedData SEQUENCE itself): exactly one SignerInfo, whose signature
 * verifies with its certificate (from the SignedData or |extra|). Whether
 * that signer may be trusted is NOT checked here (lib/verify does it).
 */
int cmp_signed_data_open(const uint8_t *der, size_t len, STACK_OF(X509) * extra,
                         struct cmp_signed_content *out, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_key_package_parse() reads the private key a KGA signed: with
 * id-ct-KP-aKeyPackage an AsymmetricKeyPackage (RFC 5958 2) of exactly one
 * OneAsymmetricKey (a v2 publicKey must be the key's); with id-data
 * (openssl 3.5 and 3.6) the DER of one PKCS #8 or traditional key. A new
 * key, or NULL (badDataFormat).
 */
EVP_PKEY *cmp_key_package_parse(const uint8_t *p, size_t len, int content_nid, struct cmp_err *err);

/* A key generation authority: who signs centrally generated keys (RFC 9483 4.1.6). */
struct cmp_kga {
    X509 *cert; /* with id-kp-cmKGA, or the issuing CA's */
    EVP_PKEY *key;
    STACK_OF(X509) * chain; /* more certificates for the SignedData; may be NULL */
    int key_package;        /* 1: id-ct-KP-aKeyPackage with an AsymmetricKeyPackage
                             * (RFC 9483 4.1.6); 0: id-data with the PKCS #8 key,
                             * the only form openssl 3.5 and 3.6 clients read */
};

/* Who an EnvelopedData is for: a certificate (KTRI for RSA, KARI for EC), else a secret (PWRI). */
struct cmp_recipient {
    X509 *cert;
    const uint8_t *secret;
    size_t secret_len;
};

/*
 * cmp_enckey_wrap_key() makes CertifiedKeyPair.privateKey for a centrally
 * generated |key| (RFC 9483 4.1.6): an EncryptedKey envelopedData
 * (AES-256-CBC, content type id-signedData) for |rcpt| around the KGA's
 * SignedData of the key. |*out| is a new buffer (free()).
 */
int cmp_enckey_wrap_key(uint8_t **out, size_t *out_len, EVP_PKEY *key, const struct cmp_kga *kga,
                        const struct cmp_recipient *rcpt, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_enc_value_encrypt() makes the deprecated EncryptedValue (RFC 4211 2.1)
 * of |data| for the RSA key |recip|: a fresh AES-256 key encrypted with
 * PKCS #1 v1.5 (keyAlg rsaEncryption), the data in CBC with PKCS #7
 * padding, the IV in symmAlg's parameters. |*out| is a new buffer (free()).
 */
int cmp_enc_value_encrypt(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len,
                          EVP_PKEY *recip, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_enckey_wrap_cert() makes CertOrEncCert.encryptedCert (RFC 9810
 * 5.2.8.3.2): |cert| encrypted for its own public key, as envelopedData
 * (KTRI or KARI naming |cert|) or, with |legacy|, as the deprecated
 * EncryptedValue (RSA keys only). |*out| is a new buffer (free()).
 */
int cmp_enckey_wrap_cert(uint8_t **out, size_t *out_len, X509 *cert, int legacy,
                         struct cmp_err *err) CMP_MUST_CHECK;

/* After a failed libcrypto call: records CMP_E_CRYPTO with OpenSSL's queue. */
int cmp_fail_ssl(struct cmp_err *err, int failure_bit, const char *file, int line,
                 const char *fmt, ...) CMP_PRINTF(5, 6);
#define CMP_FAIL_SSL(err, bit, ...) cmp_fail_ssl((err), (bit), __FILE__, __LINE__, __VA_ARGS__)

#endif
