/*
 * The cryptography of EncryptedKey (RFC 9810 5.2.2): central key generation
 * (RFC 9483 4.1.6) and encrypted certificates for indirect proof of
 * possession (RFC 9810 5.2.8.3.2).
 *
 *   envelopedData   RFC 5652 6 with libcrypto's CMS code: KeyTransRecipientInfo
 *                   and KeyAgreeRecipientInfo for a recipient certificate,
 *                   PasswordRecipientInfo (RFC 3211) for a shared secret.
 *                   Around a centrally generated key: a SignedData of the key
 *                   generation authority (KGA).
 *   encryptedValue  RFC 4211 2.1 (deprecated): a symmetric key encrypted with
 *                   RSA (PKCS #1 v1.5), the value with a CBC cipher.
 *
 * The EncryptedKey and EncryptedValue structures are ours (lib/msg); only
 * EnvelopedData and SignedData go through CMS, which gets them wrapped in a
 * ContentInfo built here. Everything a peer chooses is bounded before any
 * work: the number of RecipientInfos, PBKDF2 iteration counts, the size of
 * what is decrypted, the ciphers (a fixed list). Which signer to trust, and
 * whether what was decrypted fits the request, is decided in lib/verify.
 */
#include <limits.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"

/* ---- DER helpers ---- */

/* A new buffer holding |contents| inside a |tag| element (e.g. a re-tagged SEQUENCE). */
static int
wrap_element(uint32_t tag, const struct der_in *contents, uint8_t **out, size_t *out_len)
{
    struct der_out w;
    size_t mark;

    der_out_init(&w, CMP_MAX_MSG_LEN + 64);
    if (!der_open(&w, tag, &mark) || !der_put_in(&w, contents) || !der_close(&w, mark) ||
        !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return 0;
    }
    return 1;
}

/*
 * ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }
 * (RFC 5652 3) around |content_tlv|, which must be a SEQUENCE: what
 * d2i_CMS_ContentInfo() takes.
 */
static CMS_ContentInfo *
content_info_of(int type_nid, const struct der_in *content_tlv)
{
    struct der_out w;
    size_t seq, t0;
    uint8_t *buf = NULL;
    size_t len = 0;
    const unsigned char *p;
    CMS_ContentInfo *cms = NULL;

    der_out_init(&w, CMP_MAX_MSG_LEN + 64);
    if (der_open(&w, DER_SEQUENCE, &seq) && cmp_oid_put(&w, type_nid) &&
        der_open(&w, DER_EXPLICIT(0), &t0) && der_put_in(&w, content_tlv) && der_close(&w, t0) &&
        der_close(&w, seq) && der_out_finish(&w, &buf, &len) && len <= LONG_MAX) {
        p = buf;
        cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
        if (cms != NULL && p != buf + len) {
            CMS_ContentInfo_free(cms);
            cms = NULL;
        }
    }
    der_out_cleanup(&w);
    free(buf);
    return cms;
}

/* The content of a ContentInfo libcrypto made (|cms|): a new buffer with the inner TLV. */
static int
content_of(CMS_ContentInfo *cms, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    unsigned char *der = NULL;
    int len = i2d_CMS_ContentInfo(cms, &der);
    struct der_in in = der_in_make(der, len > 0 ? (size_t)len : 0), seq, wrap, oid, inner;
    int ok;

    ok = len > 0 && der_get(&in, DER_SEQUENCE, &seq) && der_get_oid(&seq, &oid) &&
         der_get(&seq, DER_EXPLICIT(0), &wrap) && der_get_tlv(&wrap, DER_SEQUENCE, &inner) &&
         der_done(&wrap) && der_done(&seq);
    if (ok) {
        *out = malloc(inner.len);
        ok = *out != NULL;
        if (ok) {
            memcpy(*out, inner.p, inner.len);
            *out_len = inner.len;
        }
    }
    OPENSSL_free(der);
    return ok ? 1 : CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot encode the CMS content");
}

/* The CMP_NID_ of an ASN1_OBJECT, or CMP_NID_UNDEF. */
static int
nid_of_obj(const ASN1_OBJECT *obj)
{
    unsigned char *der = NULL;
    int len = obj != NULL ? i2d_ASN1_OBJECT(obj, &der) : 0;
    struct der_in in = der_in_make(der, len > 0 ? (size_t)len : 0), oid;
    int nid = CMP_NID_UNDEF;

    if (len > 0 && der_get_oid(&in, &oid) && der_done(&in)) {
        nid = cmp_oid_nid(&oid);
    }
    OPENSSL_free(der);
    return nid;
}

/* An ASN1_OBJECT for CMP_NID_ |nid| (new; NULL if out of memory). */
static ASN1_OBJECT *
obj_of_nid(int nid)
{
    struct der_in oid = cmp_oid(nid);
    uint8_t tlv[2 + 64];
    const unsigned char *p = tlv;

    if (oid.len == 0 || oid.len > 64) {
        return NULL;
    }
    tlv[0] = DER_OID;
    tlv[1] = (uint8_t)oid.len;
    memcpy(tlv + 2, oid.p, oid.len);
    return d2i_ASN1_OBJECT(NULL, &p, (long)(oid.len + 2));
}

/* Reads a BIO's bytes into a new buffer (at most CMP_ENCKEY_MAX_CONTENT). */
static int
bio_take(BIO *bio, uint8_t **out, size_t *out_len, const char *what, struct cmp_err *err)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);

    if (n < 0 || data == NULL) {
        n = 0;
    }
    if ((size_t)n > CMP_ENCKEY_MAX_CONTENT) {
        return cmp_err_set(err, CMP_E_LIMIT, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                           "%s: %ld bytes, more than %u", what, n, CMP_ENCKEY_MAX_CONTENT);
    }
    *out = OPENSSL_malloc(n > 0 ? (size_t)n : 1);
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "%s", what);
    }
    if (n > 0) {
        memcpy(*out, data, (size_t)n);
    }
    *out_len = (size_t)n;
    return 1;
}

/* ---- EnvelopedData: what a peer may make us do, checked before CMS sees it ---- */

/*
 * PasswordRecipientInfo ::= SEQUENCE { version CMSVersion,
 *     keyDerivationAlgorithm [0] KeyDerivationAlgorithmIdentifier OPTIONAL,
 *     keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
 *     encryptedKey EncryptedKey }              (RFC 3211 2; CMS: IMPLICIT TAGS)
 * Its PBKDF2 iteration count is the sender's choice: bounded here.
 */
static int
check_pwri(struct der_in *pwri, int64_t max_iterations, struct cmp_err *err)
{
    struct cmp_algid kdf;
    struct cmp_pbkdf2_params kp;
    struct cmp_err ignore;
    int64_t version, count;

    memset(&kdf, 0, sizeof(kdf));
    cmp_err_init(&ignore);
    if (!der_get_int64(pwri, &version) || !der_peek(pwri, DER_IMPLICIT(0, DER_SEQUENCE))) {
        return 1; /* no key derivation (or malformed): CMS fails it without work */
    }
    if (!cmp_algid_decode(pwri, DER_IMPLICIT(0, DER_SEQUENCE), &kdf, &ignore) ||
        !cmp_oid_is(&kdf.oid, CMP_NID_PBKDF2)) {
        return 1;
    }
    memset(&kp, 0, sizeof(kp));
    if (!cmp_pbkdf2_params_decode(&kdf.params, &kp, &ignore) ||
        !der_parse_int64(&kp.iteration_count, &count)) {
        return cmp_err_set(err, CMP_E_INVALID, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                           "PasswordRecipientInfo: unusable PBKDF2 parameters");
    }
    if (count < 1 || count > max_iterations) {
        return cmp_err_set(err, CMP_E_LIMIT, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                           "PasswordRecipientInfo: PBKDF2 iteration count %lld (at most %lld)",
                           (long long)count, (long long)max_iterations);
    }
    return 1;
}

/*
 * EnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL,
 *     recipientInfos SET SIZE (1..MAX) OF RecipientInfo, encryptedContentInfo,
 *     unprotectedAttrs [1] OPTIONAL }     (RFC 5652 6.1; here the [0] IMPLICIT
 * contents of EncryptedKey.envelopedData). At most CMP_ENCKEY_MAX_RECIPIENTS
 * RecipientInfos, each one costing a private key operation or a key
 * derivation; PWRI iteration counts bounded.
 */
static int
check_enveloped(const struct der_in *whole, int64_t max_iterations, struct cmp_err *err)
{
    struct der_in set, rest, ri;
    int64_t version;
    uint32_t tag;
    size_t n = 0;

    if (!cmp_enveloped_split(whole, &version, &set, &rest)) {
        return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                           "malformed EnvelopedData");
    }
    while (!der_done(&set)) {
        if (++n > CMP_ENCKEY_MAX_RECIPIENTS) {
            return cmp_err_set(err, CMP_E_LIMIT, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                               "EnvelopedData with more than %d RecipientInfos",
                               CMP_ENCKEY_MAX_RECIPIENTS);
        }
        if (!der_get_any(&set, &tag, &ri, NULL)) {
            return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                               "malformed EnvelopedData RecipientInfo");
        }
        if (tag == DER_IMPLICIT(3, DER_SEQUENCE) && !check_pwri(&ri, max_iterations, err)) {
            return 0;
        }
    }
    if (n == 0) {
        return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                           "EnvelopedData without RecipientInfo");
    }
    return 1;
}

/* ---- decrypting ---- */

/* The symmetric ciphers an EncryptedValue may name (CBC with an IV parameter). */
static const struct {
    int nid;
    const char *name;
} value_ciphers[] = {
    {CMP_NID_AES_128_CBC, "AES-128-CBC"},
    {CMP_NID_AES_192_CBC, "AES-192-CBC"},
    {CMP_NID_AES_256_CBC, "AES-256-CBC"},
    {CMP_NID_DES_EDE3_CBC, "DES-EDE3-CBC"},
};

const char *
cmp_enc_value_cipher(const struct der_in *oid)
{
    size_t i;

    for (i = 0; i < sizeof(value_ciphers) / sizeof(value_ciphers[0]); i++) {
        if (cmp_oid_is(oid, value_ciphers[i].nid)) {
            return value_ciphers[i].name;
        }
    }
    return NULL;
}

/*
 * The plaintext of an EncryptedValue is one DER element followed by PKCS #7
 * padding (RFC 5652 6.3; openssl decrypts without removing the padding and
 * lets d2i ignore it); a sender that chose a length of whole blocks and no
 * padding is accepted too. Returns the length of the element, or 0.
 */
static size_t
unpad_element(const uint8_t *p, size_t len, size_t block)
{
    struct der_in in = der_in_make(p, len), whole;
    size_t pad, i;

    if (!der_get_any(&in, NULL, NULL, &whole)) {
        return 0;
    }
    pad = in.len;
    if (pad == 0) {
        return whole.len;
    }
    if (pad > block) {
        return 0;
    }
    for (i = 0; i < pad; i++) {
        if (in.p[i] != pad) {
            return 0;
        }
    }
    return whole.len;
}

/*
 * RFC 4211 2.1: encSymmKey is the symmetric key encrypted with the
 * recipient's public key (keyAlg; rsaEncryption, PKCS #1 v1.5, when absent,
 * as openssl), encValue the value encrypted with symmAlg and that key, its
 * parameters the IV. lib/verify (cmp_vfy_enc_value) checks the fields first;
 * whatever the peer sent, this fails cleanly without them.
 */
static int
enc_value_decrypt(const struct cmp_enc_value *ev, EVP_PKEY *pkey, uint8_t **out, size_t *out_len,
                  struct cmp_err *err)
{
    const char *name = ev->has_symm_alg ? cmp_enc_value_cipher(&ev->symm_alg.oid) : NULL;
    EVP_CIPHER *cipher = NULL;
    EVP_CIPHER_CTX *cctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t *key = NULL, *plain = NULL;
    size_t key_len = 0, elem;
    struct der_in params, iv;
    int n1 = 0, n2 = 0, ok = 0, iv_len, block;

    *out = NULL;
    *out_len = 0;
    if (pkey == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "EncryptedValue: no private key to decrypt with");
    }
    if (name == NULL || !ev->has_enc_symm_key || ev->enc_symm_key.len == 0 ||
        ev->enc_value.len == 0 || ev->enc_value.len > CMP_ENCKEY_MAX_CONTENT ||
        ev->enc_value.len > INT_MAX) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "EncryptedValue: symmAlg, encSymmKey or encValue unusable");
    }
    if (ev->has_key_alg && !cmp_oid_is(&ev->key_alg.oid, CMP_NID_RSA_ENCRYPTION)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "EncryptedValue: keyAlg is not rsaEncryption");
    }
    cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    if (cipher == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "EncryptedValue: cipher %s", name);
    }
    iv_len = EVP_CIPHER_get_iv_length(cipher);
    block = EVP_CIPHER_get_block_size(cipher);
    params = ev->symm_alg.params;
    if (!der_get(&params, DER_OCTET_STRING, &iv) || !der_done(&params) ||
        iv.len != (size_t)iv_len) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                      "EncryptedValue: symmAlg parameters are not a %d-byte IV", iv_len);
        goto done;
    }
    if (ev->enc_value.len % (size_t)block != 0) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                      "EncryptedValue: encValue is not a multiple of the block size");
        goto done;
    }
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (pctx == NULL || EVP_PKEY_decrypt_init(pctx) <= 0 ||
        EVP_PKEY_decrypt(pctx, NULL, &key_len, ev->enc_symm_key.p, ev->enc_symm_key.len) <= 0 ||
        (key = OPENSSL_malloc(key_len)) == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "EncryptedValue: cannot decrypt with this key");
        goto done;
    }
    /*
     * One failure for every way the key can be wrong (padding, length): a
     * peer learns nothing of the private key from which one it was.
     */
    if (EVP_PKEY_decrypt(pctx, key, &key_len, ev->enc_symm_key.p, ev->enc_symm_key.len) <= 0 ||
        key_len != (size_t)EVP_CIPHER_get_key_length(cipher)) {
        ERR_clear_error();
        CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK, "EncryptedValue: cannot decrypt encSymmKey");
        goto done;
    }
    plain = OPENSSL_malloc(ev->enc_value.len + (size_t)block);
    cctx = EVP_CIPHER_CTX_new();
    if (plain == NULL || cctx == NULL || !EVP_DecryptInit_ex2(cctx, cipher, key, iv.p, NULL) ||
        !EVP_CIPHER_CTX_set_padding(cctx, 0) ||
        !EVP_DecryptUpdate(cctx, plain, &n1, ev->enc_value.p, (int)ev->enc_value.len) ||
        !EVP_DecryptFinal_ex(cctx, plain + n1, &n2)) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_MESSAGE_CHECK, "EncryptedValue: cannot decrypt encValue");
        goto done;
    }
    elem = unpad_element(plain, (size_t)n1 + (size_t)n2, (size_t)block);
    if (elem == 0) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                      "EncryptedValue: what encValue decrypts to is not one DER element");
        goto done;
    }
    *out = plain;
    *out_len = elem;
    plain = NULL;
    ok = 1;
done:
    if (plain != NULL) {
        OPENSSL_clear_free(plain, ev->enc_value.len + (size_t)block);
    }
    if (key != NULL) {
        OPENSSL_clear_free(key, key_len);
    }
    EVP_CIPHER_CTX_free(cctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_CIPHER_free(cipher);
    return ok;
}

static int
enveloped_decrypt(const struct cmp_enckey *ek, const struct cmp_decrypt_keys *keys, uint8_t **out,
                  size_t *out_len, int *content_nid, struct cmp_err *err)
{
    int64_t max_iter =
        keys->max_iterations > 0 ? keys->max_iterations : CMP_PBM_DEFAULT_MAX_ITERATIONS;
    struct der_in contents = ek->whole, whole;
    uint8_t *seq = NULL;
    size_t seq_len = 0;
    CMS_ContentInfo *cms = NULL;
    BIO *bio = NULL;
    int ok = 0, have_key = 0;

    if (!check_enveloped(&ek->whole, max_iter, err)) {
        return CMP_CONTEXT(err, "EncryptedKey.envelopedData");
    }
    /* [0] IMPLICIT EnvelopedData: the SEQUENCE CMS parses has the same contents. */
    if (!der_get(&contents, DER_IMPLICIT(0, DER_SEQUENCE), &whole) ||
        !wrap_element(DER_SEQUENCE, &whole, &seq, &seq_len)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "EncryptedKey.envelopedData");
    }
    whole = der_in_make(seq, seq_len);
    ERR_set_mark();
    cms = content_info_of(CMP_NID_PKCS7_ENVELOPED_DATA, &whole);
    if (cms == NULL) {
        ERR_pop_to_mark();
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "EncryptedKey.envelopedData does not parse");
        goto done;
    }
    ERR_pop_to_mark();
    if (keys->secret != NULL && keys->secret_len > 0 && keys->secret_len <= INT_MAX) {
        /* set1 in name only: it borrows the secret for the time of the call */
        ERR_set_mark();
        have_key |= CMS_decrypt_set1_password(cms, (unsigned char *)keys->secret,
                                              (ossl_ssize_t)keys->secret_len) > 0;
        ERR_pop_to_mark();
    }
    if (!have_key && keys->pkey != NULL) {
        ERR_set_mark();
        have_key |= CMS_decrypt_set1_pkey(cms, keys->pkey, keys->cert) > 0;
        ERR_pop_to_mark();
    }
    if (!have_key) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                      "EncryptedKey.envelopedData: no RecipientInfo for our %s",
                      keys->secret != NULL ? "shared secret" : "key");
        goto done;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !CMS_decrypt(cms, NULL, NULL, NULL, bio, CMS_BINARY)) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_MESSAGE_CHECK, "EncryptedKey.envelopedData: cannot decrypt");
        goto done;
    }
    if (!bio_take(bio, out, out_len, "EncryptedKey.envelopedData content", err)) {
        goto done;
    }
    *content_nid = nid_of_obj(CMS_get0_eContentType(cms));
    ok = 1;
done:
    BIO_free(bio);
    CMS_ContentInfo_free(cms);
    free(seq);
    return ok;
}

int
cmp_enckey_decrypt(const struct cmp_enckey *ek, const struct cmp_decrypt_keys *keys, uint8_t **out,
                   size_t *out_len, int *content_nid, struct cmp_err *err)
{
    *out = NULL;
    *out_len = 0;
    *content_nid = CMP_NID_UNDEF;
    switch (ek->type) {
    case CMP_ENCKEY_VALUE:
        return enc_value_decrypt(&ek->value, keys->pkey, out, out_len, err);
    case CMP_ENCKEY_ENVELOPED:
        return enveloped_decrypt(ek, keys, out, out_len, content_nid, err);
    default:
        return CMP_FAIL(err, CMP_E_ARG, "EncryptedKey of unknown type %d", ek->type);
    }
}

/* ---- SignedData ---- */

void
cmp_signed_content_cleanup(struct cmp_signed_content *sc)
{
    if (sc->content != NULL) {
        OPENSSL_clear_free(sc->content, sc->content_len);
    }
    X509_free(sc->signer);
    sk_X509_pop_free(sc->certs, X509_free);
    memset(sc, 0, sizeof(*sc));
}

int
cmp_signed_data_open(const uint8_t *der, size_t len, STACK_OF(X509) * extra,
                     struct cmp_signed_content *out, struct cmp_err *err)
{
    struct der_in in = der_in_make(der, len), tlv;
    CMS_ContentInfo *cms = NULL;
    STACK_OF(X509) *signers = NULL;
    BIO *bio = NULL;
    int ok = 0, n;

    memset(out, 0, sizeof(*out));
    if (!der_get_tlv(&in, DER_SEQUENCE, &tlv) || !der_done(&in)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "SignedData: not one SEQUENCE");
    }
    ERR_set_mark();
    cms = content_info_of(CMP_NID_PKCS7_SIGNED_DATA, &tlv);
    ERR_pop_to_mark();
    if (cms == NULL) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "SignedData does not parse");
    }
    /* One signer: the KGA (RFC 9483 4.1.6). Each SignerInfo costs a verification. */
    n = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms));
    if (n != 1) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "SignedData with %d SignerInfos, not one", n);
        goto done;
    }
    /* The signature only: whether to trust the signer is lib/verify's question. */
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL ||
        CMS_verify(cms, extra, NULL, NULL, bio, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_MESSAGE_CHECK, "SignedData: the signature does not verify");
        goto done;
    }
    signers = CMS_get0_signers(cms);
    if (sk_X509_num(signers) != 1 || !X509_up_ref(sk_X509_value(signers, 0))) {
        CMP_FAIL(err, CMP_E_CRYPTO, "SignedData: no signer certificate");
        goto done;
    }
    out->signer = sk_X509_value(signers, 0);
    out->certs = CMS_get1_certs(cms);
    out->content_nid = nid_of_obj(CMS_get0_eContentType(cms));
    if (!bio_take(bio, &out->content, &out->content_len, "SignedData content", err)) {
        goto done;
    }
    ok = 1;
done:
    sk_X509_free(signers);
    BIO_free(bio);
    CMS_ContentInfo_free(cms);
    if (!ok) {
        cmp_signed_content_cleanup(out);
    }
    return ok;
}

/* ---- the private key in a KGA's content ---- */

/* d2i of exactly |len| bytes: PKCS #8 PrivateKeyInfo or a traditional key. */
static EVP_PKEY *
key_from_der(const uint8_t *p, size_t len)
{
    const unsigned char *q = p;
    EVP_PKEY *key;

    if (len == 0 || len > (size_t)LONG_MAX) {
        return NULL;
    }
    ERR_set_mark();
    key = d2i_AutoPrivateKey(NULL, &q, (long)len);
    ERR_pop_to_mark();
    if (key != NULL && q != p + len) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

/*
 * OneAsymmetricKey ::= SEQUENCE { version INTEGER { v1(0), v2(1) },
 *     privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING,
 *     attributes [0] Attributes OPTIONAL, publicKey [1] BIT STRING OPTIONAL }
 * (RFC 5958 2, IMPLICIT TAGS). libcrypto reads v1 PrivateKeyInfo; a v2
 * key's publicKey is taken off and compared with the private key's.
 */
static EVP_PKEY *
one_asymmetric_key(const struct der_in *tlv, struct cmp_err *err)
{
    struct der_in in = *tlv, seq, alg, priv, attrs, pub, bits;
    struct der_out w;
    uint8_t *v1 = NULL, *spki = NULL;
    size_t v1_len = 0, spki_len = 0, mark, m2;
    unsigned unused = 0;
    int64_t version;
    int has_attrs, has_pub;
    EVP_PKEY *key = NULL, *pubkey = NULL;
    const unsigned char *q;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in) || !der_get_int64(&seq, &version) ||
        (version != 0 && version != 1)) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "OneAsymmetricKey: bad version");
        return NULL;
    }
    if (!der_get_tlv(&seq, DER_SEQUENCE, &alg) || !der_get_tlv(&seq, DER_OCTET_STRING, &priv) ||
        !der_get_opt_tlv(&seq, DER_IMPLICIT(0, DER_SET), &attrs, &has_attrs) ||
        !der_get_opt_tlv(&seq, DER_IMPLICIT(1, DER_BIT_STRING), &pub, &has_pub) ||
        !der_done(&seq) || (has_pub && version != 1)) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "OneAsymmetricKey does not parse");
        return NULL;
    }
    der_out_init(&w, CMP_ENCKEY_MAX_CONTENT);
    if (!(der_open(&w, DER_SEQUENCE, &mark) && der_put_int64(&w, 0) && der_put_in(&w, &alg) &&
          der_put_in(&w, &priv) && (!has_attrs || der_put_in(&w, &attrs)) && der_close(&w, mark)) ||
        !der_out_finish(&w, &v1, &v1_len)) {
        der_out_cleanup(&w);
        CMP_FAIL(err, CMP_E_MEMORY, "OneAsymmetricKey");
        return NULL;
    }
    key = key_from_der(v1, v1_len);
    OPENSSL_clear_free(v1, v1_len);
    if (key == NULL) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "OneAsymmetricKey: unusable private key");
        return NULL;
    }
    if (!has_pub) {
        return key;
    }
    /* RFC 5958 2: publicKey, when present, is the key's public part. */
    pub = der_in_make(pub.p, pub.len);
    if (!der_get_bitstring(&pub, DER_IMPLICIT(1, DER_BIT_STRING), &bits, &unused)) {
        goto bad_pub;
    }
    der_out_init(&w, CMP_ENCKEY_MAX_CONTENT);
    if (!(der_open(&w, DER_SEQUENCE, &m2) && der_put_in(&w, &alg) &&
          der_put_bitstring(&w, DER_BIT_STRING, bits.p, bits.len, unused) && der_close(&w, m2)) ||
        !der_out_finish(&w, &spki, &spki_len)) {
        der_out_cleanup(&w);
        goto bad_pub;
    }
    q = spki;
    ERR_set_mark();
    pubkey = d2i_PUBKEY(NULL, &q, (long)spki_len);
    ERR_pop_to_mark();
    free(spki);
    if (pubkey != NULL && EVP_PKEY_eq(pubkey, key) == 1) {
        EVP_PKEY_free(pubkey);
        return key;
    }
    EVP_PKEY_free(pubkey);
    ERR_clear_error();
bad_pub:
    EVP_PKEY_free(key);
    CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                  "OneAsymmetricKey: publicKey is not the private key's");
    return NULL;
}

EVP_PKEY *
cmp_key_package_parse(const uint8_t *p, size_t len, int content_nid, struct cmp_err *err)
{
    struct der_in in = der_in_make(p, len), seq, one;
    EVP_PKEY *key;

    switch (content_nid) {
    case CMP_NID_CT_KP_AKEY_PACKAGE:
        /*
         * RFC 5958 2: AsymmetricKeyPackage ::= SEQUENCE SIZE (1..MAX) OF
         * OneAsymmetricKey. One certificate is requested, so one key comes.
         */
        if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in) ||
            !der_get_tlv(&seq, DER_SEQUENCE, &one)) {
            CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "AsymmetricKeyPackage does not parse");
            return NULL;
        }
        if (!der_done(&seq)) {
            CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                          "AsymmetricKeyPackage holds more than one key");
            return NULL;
        }
        return one_asymmetric_key(&one, err);
    case CMP_NID_PKCS7_DATA:
        /* openssl 3.5 and 3.6: id-data with the DER of the key itself */
        key = key_from_der(p, len);
        if (key == NULL) {
            CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                          "the signed content (id-data) is not one private key");
        }
        return key;
    default:
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                      "the signed content is neither id-ct-KP-aKeyPackage nor id-data");
        return NULL;
    }
}

/* ---- making them (the server, and tests) ---- */

/* The key as the KGA signs it: AsymmetricKeyPackage, or (openssl's form) PKCS #8. */
static int
key_content(EVP_PKEY *key, int key_package, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key);
    unsigned char *der = NULL;
    int len = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : 0;
    struct der_in one = der_in_make(der, len > 0 ? (size_t)len : 0);
    int ok;

    PKCS8_PRIV_KEY_INFO_free(p8);
    if (len <= 0) {
        OPENSSL_free(der);
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot encode the private key");
    }
    if (key_package) {
        ok = wrap_element(DER_SEQUENCE, &one, out, out_len);
    } else {
        *out = malloc(one.len);
        ok = *out != NULL;
        if (ok) {
            memcpy(*out, one.p, one.len);
            *out_len = one.len;
        }
    }
    OPENSSL_clear_free(der, (size_t)len);
    return ok ? 1 : CMP_FAIL(err, CMP_E_MEMORY, "private key");
}

/* CMS_sign over |data| as a KGA: SignedData (the SEQUENCE) in a new buffer. */
static int
kga_sign(const struct cmp_kga *kga, const uint8_t *data, size_t len, int key_package, uint8_t **out,
         size_t *out_len, struct cmp_err *err)
{
    unsigned int flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
    ASN1_OBJECT *type = NULL;
    CMS_ContentInfo *cms = NULL;
    BIO *in = NULL;
    int ok = 0;

    if (kga->cert == NULL || kga->key == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no KGA certificate and key to sign the key with");
    }
    /* RFC 9483 4.1.6: the signer is identified by its subjectKeyIdentifier. */
    if (X509_get0_subject_key_id(kga->cert) != NULL) {
        flags |= CMS_USE_KEYID;
    }
    in = BIO_new_mem_buf(data, (int)len);
    cms = in != NULL ? CMS_sign(kga->cert, kga->key, kga->chain, NULL, flags) : NULL;
    if (cms == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot sign the key as KGA");
        goto done;
    }
    if (key_package) {
        type = obj_of_nid(CMP_NID_CT_KP_AKEY_PACKAGE);
        if (type == NULL || !CMS_set1_eContentType(cms, type)) {
            CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot set id-ct-KP-aKeyPackage");
            goto done;
        }
    }
    if (!CMS_final(cms, in, NULL, flags)) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot sign the key as KGA");
        goto done;
    }
    ok = content_of(cms, out, out_len, err);
done:
    ASN1_OBJECT_free(type);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    return ok;
}

/*
 * EnvelopedData of |data| (content type |type_nid|) for |rcpt|, as an
 * EncryptedKey: [0] IMPLICIT EnvelopedData, in a new buffer. AES-256-CBC
 * (RFC 9481 5, as openssl).
 */
static int
envelop(const uint8_t *data, size_t len, int type_nid, const struct cmp_recipient *rcpt,
        uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    unsigned int flags = CMS_BINARY | CMS_PARTIAL;
    STACK_OF(X509) *recips = NULL;
    CMS_ContentInfo *cms = NULL;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    ASN1_OBJECT *type = NULL;
    unsigned char *pass = NULL;
    uint8_t *seq = NULL;
    size_t seq_len = 0;
    struct der_in s, contents;
    BIO *in = NULL;
    int ok = 0;

    if (rcpt->cert != NULL) {
        recips = sk_X509_new_null();
        if (recips == NULL || !sk_X509_push(recips, rcpt->cert)) {
            CMP_FAIL(err, CMP_E_MEMORY, "EnvelopedData");
            goto done;
        }
    } else if (rcpt->secret == NULL || rcpt->secret_len == 0 || rcpt->secret_len > INT_MAX) {
        CMP_FAIL(err, CMP_E_ARG, "EnvelopedData: no recipient certificate and no shared secret");
        goto done;
    }
    in = BIO_new_mem_buf(data, (int)len);
    cms = in != NULL && cipher != NULL ? CMS_encrypt(recips, NULL, cipher, flags) : NULL;
    if (cms == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot make the EnvelopedData");
        goto done;
    }
    if (rcpt->cert == NULL) {
        /* RFC 9483 4.1.6.3: PasswordRecipientInfo with the MAC's shared secret */
        pass = OPENSSL_memdup(rcpt->secret, rcpt->secret_len);
        if (pass == NULL ||
            CMS_add0_recipient_password(cms, CMP_PWRI_DEFAULT_ITERATIONS, NID_undef, NID_undef,
                                        pass, (ossl_ssize_t)rcpt->secret_len, NULL) == NULL) {
            CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot add the PasswordRecipientInfo");
            goto done;
        }
        pass = NULL; /* the CMS structure frees it */
    }
    type = obj_of_nid(type_nid);
    if (type == NULL || !CMS_set1_eContentType(cms, type) || !CMS_final(cms, in, NULL, flags)) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot encrypt the EnvelopedData");
        goto done;
    }
    if (!content_of(cms, &seq, &seq_len, err)) {
        goto done;
    }
    s = der_in_make(seq, seq_len);
    if (!der_get(&s, DER_SEQUENCE, &contents) ||
        !wrap_element(DER_IMPLICIT(0, DER_SEQUENCE), &contents, out, out_len)) {
        CMP_FAIL(err, CMP_E_MEMORY, "EncryptedKey");
        goto done;
    }
    ok = 1;
done:
    if (pass != NULL) {
        OPENSSL_clear_free(pass, rcpt->secret_len);
    }
    free(seq);
    ASN1_OBJECT_free(type);
    CMS_ContentInfo_free(cms);
    BIO_free(in);
    EVP_CIPHER_free(cipher);
    sk_X509_free(recips);
    return ok;
}

int
cmp_enckey_wrap_key(uint8_t **out, size_t *out_len, EVP_PKEY *key, const struct cmp_kga *kga,
                    const struct cmp_recipient *rcpt, struct cmp_err *err)
{
    uint8_t *content = NULL, *signed_data = NULL;
    size_t content_len = 0, signed_len = 0;
    int ok;

    *out = NULL;
    *out_len = 0;
    ok = key_content(key, kga->key_package, &content, &content_len, err) &&
         kga_sign(kga, content, content_len, kga->key_package, &signed_data, &signed_len, err) &&
         envelop(signed_data, signed_len, CMP_NID_PKCS7_SIGNED_DATA, rcpt, out, out_len, err);
    if (content != NULL) {
        OPENSSL_clear_free(content, content_len);
    }
    free(signed_data);
    return ok;
}

/*
 * An AlgorithmIdentifier with tag [|n|] IMPLICIT (EncryptedValue, CRMF), OID
 * |nid| and the parameters TLV |params|, in a new buffer |*buf| that |*out|
 * points into.
 */
static int
implicit_algid(unsigned n, int nid, const uint8_t *params, size_t params_len, uint8_t **buf,
               struct cmp_algid *out, struct cmp_err *err)
{
    struct der_out w;
    struct der_in in;
    size_t mark, len = 0;

    der_out_init(&w, 256);
    if (!(der_open(&w, DER_IMPLICIT(n, DER_SEQUENCE), &mark) && cmp_oid_put(&w, nid) &&
          der_put_raw(&w, params, params_len) && der_close(&w, mark)) ||
        !der_out_finish(&w, buf, &len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_MEMORY, "EncryptedValue");
    }
    in = der_in_make(*buf, len);
    return cmp_algid_decode(&in, DER_IMPLICIT(n, DER_SEQUENCE), out, err);
}

/* RFC 4211 2.1, the deprecated form (crypto.h). */
int
cmp_enc_value_encrypt(uint8_t **out, size_t *out_len, const uint8_t *data, size_t len,
                      EVP_PKEY *recip, struct cmp_err *err)
{
    static const uint8_t rsa_null[] = {0x05, 0x00};
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
    EVP_CIPHER_CTX *cctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t key[32], iv[16], *ek = NULL, *ct = NULL, *alg_buf = NULL, *kalg_buf = NULL;
    uint8_t *iv_tlv = NULL;
    size_t ek_len = 0, iv_tlv_len = 0;
    struct cmp_enc_value ev;
    struct der_out w, ivw;
    int n1 = 0, n2 = 0, ok = 0;

    *out = NULL;
    *out_len = 0;
    memset(&ev, 0, sizeof(ev));
    der_out_init(&ivw, 64);
    if (recip == NULL || !EVP_PKEY_is_a(recip, "RSA")) {
        CMP_FAIL(err, CMP_E_UNSUPPORTED, "EncryptedValue needs an RSA key to encrypt for");
        goto done;
    }
    if (cipher == NULL || len > INT_MAX - 32 || RAND_bytes(key, sizeof(key)) != 1 ||
        RAND_bytes(iv, sizeof(iv)) != 1) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "EncryptedValue: no key");
        goto done;
    }
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, recip, NULL);
    if (pctx == NULL || EVP_PKEY_encrypt_init(pctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
        EVP_PKEY_encrypt(pctx, NULL, &ek_len, key, sizeof(key)) <= 0 ||
        (ek = OPENSSL_malloc(ek_len)) == NULL ||
        EVP_PKEY_encrypt(pctx, ek, &ek_len, key, sizeof(key)) <= 0) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "EncryptedValue: cannot encrypt the key");
        goto done;
    }
    ct = OPENSSL_malloc(len + 32);
    cctx = EVP_CIPHER_CTX_new();
    if (ct == NULL || cctx == NULL || !EVP_EncryptInit_ex2(cctx, cipher, key, iv, NULL) ||
        !EVP_EncryptUpdate(cctx, ct, &n1, data, (int)len) ||
        !EVP_EncryptFinal_ex(cctx, ct + n1, &n2)) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "EncryptedValue: cannot encrypt the value");
        goto done;
    }
    /* symmAlg [1] { aes-256-cbc, OCTET STRING iv }, keyAlg [3] { rsaEncryption, NULL } */
    if (!der_put_octets(&ivw, iv, sizeof(iv)) || !der_out_finish(&ivw, &iv_tlv, &iv_tlv_len) ||
        !implicit_algid(1, CMP_NID_AES_256_CBC, iv_tlv, iv_tlv_len, &alg_buf, &ev.symm_alg, err) ||
        !implicit_algid(3, CMP_NID_RSA_ENCRYPTION, rsa_null, sizeof(rsa_null), &kalg_buf,
                        &ev.key_alg, err)) {
        goto done;
    }
    ev.has_symm_alg = ev.has_key_alg = ev.has_enc_symm_key = 1;
    ev.enc_symm_key = der_in_make(ek, ek_len);
    ev.enc_value = der_in_make(ct, (size_t)n1 + (size_t)n2);
    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_enc_value_encode(&w, &ev) || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        CMP_FAIL(err, CMP_E_ENCODE, "EncryptedValue");
        goto done;
    }
    ok = 1;
done:
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_free(ek);
    OPENSSL_free(ct);
    free(alg_buf);
    free(kalg_buf);
    free(iv_tlv);
    der_out_cleanup(&ivw);
    EVP_CIPHER_CTX_free(cctx);
    EVP_PKEY_CTX_free(pctx);
    EVP_CIPHER_free(cipher);
    return ok;
}

int
cmp_enckey_wrap_cert(uint8_t **out, size_t *out_len, X509 *cert, int legacy, struct cmp_err *err)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    struct cmp_recipient rcpt;
    int ok;

    *out = NULL;
    *out_len = 0;
    if (len <= 0) {
        OPENSSL_free(der);
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot encode the certificate");
    }
    if (legacy) {
        ok = cmp_enc_value_encrypt(out, out_len, der, (size_t)len, X509_get0_pubkey(cert), err);
    } else {
        /*
         * RFC 9810 5.2.8.3.2: encrypted for the key being certified; the
         * RecipientInfo names the new certificate itself.
         */
        memset(&rcpt, 0, sizeof(rcpt));
        rcpt.cert = cert;
        ok = envelop(der, (size_t)len, CMP_NID_PKCS7_DATA, &rcpt, out, out_len, err);
    }
    OPENSSL_free(der);
    return ok;
}
