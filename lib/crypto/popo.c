/*
 * Proof of possession of a request's private key (RFC 4211 section 4,
 * RFC 9810 5.2.8, RFC 9483 4.1.1) and the self-signature of a PKCS#10
 * request (p10cr, RFC 2986).
 *
 * CRMF (PKIXCRMF-2009) uses IMPLICIT TAGS:
 *   POPOSigningKey ::= SEQUENCE {
 *       poposkInput [0] POPOSigningKeyInput OPTIONAL,
 *       algorithmIdentifier AlgorithmIdentifier, signature BIT STRING }
 *   POPOSigningKeyInput ::= SEQUENCE {
 *       authInfo CHOICE { sender [0] GeneralName,    -- A0: explicit (CHOICE)
 *                         publicKeyMAC PKMACValue }, -- SEQUENCE
 *       publicKey SubjectPublicKeyInfo }
 *
 * RFC 4211 4.1: with poposkInput absent the signature is over the DER of the
 * CertRequest (which must then hold subject and publicKey); with it present,
 * over the DER of POPOSigningKeyInput, whose publicKey MUST be exactly the
 * template's.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/* A SubjectPublicKeyInfo or POPOSigningKeyInput is far below this. */
#define POPO_MAX_INPUT_LEN (64u << 10)

/* popo_fail() records a badPOP failure naming the CertReqMsg by its certReqId. */
#define POPO_FAIL(err, code, req, ...)                                                             \
    popo_fail((err), (code), (req), __FILE__, __LINE__, __VA_ARGS__)

static int popo_fail(struct cmp_err *err, int code, const struct cmp_cert_req_msg *req,
                     const char *file, int line, const char *fmt, ...) CMP_PRINTF(6, 7);

static int
popo_fail(struct cmp_err *err, int code, const struct cmp_cert_req_msg *req, const char *file,
          int line, const char *fmt, ...)
{
    char text[CMP_ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return cmp_err_set(err, code, CMP_FI_BAD_POP, file, line,
                       "CertReqMsg (certReqId %" PRId64 "): %s", req->cert_req_id, text);
}

/*
 * wrap_sequence() returns a new buffer (free() it) holding SEQUENCE {
 * |contents| }: the DER of a SubjectPublicKeyInfo from the template's [6]
 * contents, or of POPOSigningKeyInput from poposkInput's [0] contents.
 */
static int
wrap_sequence(const struct der_in *contents, uint8_t **out, size_t *out_len)
{
    struct der_out w;
    size_t seq;

    der_out_init(&w, POPO_MAX_INPUT_LEN);
    if (!der_open(&w, DER_SEQUENCE, &seq) || !der_put_in(&w, contents) || !der_close(&w, seq)) {
        der_out_cleanup(&w);
        return 0;
    }
    return der_out_finish(&w, out, out_len);
}

/* RFC 5480 2.1.1: the named curves taken here. */
static const struct {
    int nid;
    const char *group;
    size_t point_len; /* uncompressed: 04 || x || y (SEC 1 2.3.3) */
} ec_curves[] = {
    {CMP_NID_PRIME256V1, "P-256", 1 + 2 * 32},
    {CMP_NID_SECP384R1, "P-384", 1 + 2 * 48},
    {CMP_NID_SECP521R1, "P-521", 1 + 2 * 66},
};

/*
 * A key built from its group's name makes the group anew
 * (EC_GROUP_new_by_curve_name and its precomputations: most of the ~30 us a
 * key costs); a copy of a key of the same curve (EVP_PKEY_dup) copies the
 * group, about 4 times cheaper. So the first key of each curve stays as
 * the template of the next ones, which get its group and their own point
 * (EVP_PKEY_set1_encoded_public_key decodes it with EC_POINT_oct2point,
 * which refuses a point off the curve, as fromdata does). A template is
 * set once, never changed, and only read: threads share it. At most one per
 * curve of ec_curves[]; they live as long as the process.
 */
static EVP_PKEY *ec_templates[sizeof(ec_curves) / sizeof(ec_curves[0])];

static EVP_PKEY *ec_pubkey_by_name(const char *group, const struct der_in *point);

/* ec_pubkey_from() copies |tmpl| with the point |point|; NULL if the point is bad. */
static EVP_PKEY *
ec_pubkey_from(EVP_PKEY *tmpl, const struct der_in *point)
{
    EVP_PKEY *pub = EVP_PKEY_dup(tmpl);

    if (pub != NULL && EVP_PKEY_set1_encoded_public_key(pub, point->p, point->len) != 1) {
        EVP_PKEY_free(pub);
        pub = NULL;
    }
    return pub;
}

/* ec_pubkey() builds an EC public key from its group and point; NULL if the point is bad. */
static EVP_PKEY *
ec_pubkey(size_t curve, const struct der_in *point)
{
    EVP_PKEY *tmpl = __atomic_load_n(&ec_templates[curve], __ATOMIC_ACQUIRE), *none = NULL;
    EVP_PKEY *pub;

    if (tmpl != NULL) {
        return ec_pubkey_from(tmpl, point);
    }
    pub = ec_pubkey_by_name(ec_curves[curve].group, point);
    /* The first good key of its curve becomes the template (one reference kept). */
    if (pub != NULL && EVP_PKEY_up_ref(pub) &&
        !__atomic_compare_exchange_n(&ec_templates[curve], &none, pub, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        EVP_PKEY_free(pub); /* another thread was first */
    }
    return pub;
}

/* ec_pubkey_by_name() builds an EC public key from its group's name and point; NULL if bad. */
static EVP_PKEY *
ec_pubkey_by_name(const char *group, const struct der_in *point)
{
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pub = NULL;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
    params[1] =
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point->p, point->len);
    params[2] = OSSL_PARAM_construct_end();
    /* The provider decodes the point with EC_POINT_oct2point: off the curve fails. */
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        EVP_PKEY_free(pub);
        pub = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pub;
}

/* The largest RSA modulus built here (the CA's cap, lib/ca: 16384 bits). */
#define RSA_FAST_MAX_BYTES (16384 / 8)

/*
 * rsa_pubkey() builds an RSA public key from RSAPublicKey ::= SEQUENCE {
 * modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1), both
 * positive; NULL otherwise. OpenSSL 3.0's d2i_PUBKEY of an RSA-2048 key
 * costs about 220 us (its decoders), this about 6 us.
 */
static EVP_PKEY *
rsa_pubkey(const struct der_in *bits)
{
    struct der_in in = *bits, seq, n, e;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pub = NULL;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in) ||
        !der_get_integer(&seq, DER_INTEGER, &n) || !der_get_integer(&seq, DER_INTEGER, &e) ||
        !der_done(&seq) || (n.p[0] & 0x80) != 0 || (e.p[0] & 0x80) != 0 ||
        n.len > RSA_FAST_MAX_BYTES + 1 || e.len > 8) {
        return NULL;
    }
    bn_n = BN_bin2bn(n.p, (int)n.len, NULL);
    bn_e = BN_bin2bn(e.p, (int)e.len, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (bn_n != NULL && bn_e != NULL && bld != NULL && !BN_is_zero(bn_n) && !BN_is_zero(bn_e) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
        EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        EVP_PKEY_free(pub);
        pub = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return pub;
}

/* cmp_spki_fast_pubkey(): see crypto.h. */
EVP_PKEY *
cmp_spki_fast_pubkey(const uint8_t *spki, size_t spki_len)
{
    struct der_in in = der_in_make(spki, spki_len), seq, alg, oid, curve, bits;
    EVP_PKEY *pub = NULL;
    unsigned unused;
    size_t i;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in) || !der_get(&seq, DER_SEQUENCE, &alg) ||
        !der_get_bitstring(&seq, DER_BIT_STRING, &bits, &unused) || !der_done(&seq) ||
        unused != 0 || !der_get_oid(&alg, &oid)) {
        return NULL;
    }
    ERR_set_mark();
    if (cmp_oid_is(&oid, CMP_NID_ED25519)) {
        if (der_done(&alg) && bits.len == 32) {
            pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, bits.p, bits.len);
        }
    } else if (cmp_oid_is(&oid, CMP_NID_ED448)) {
        if (der_done(&alg) && bits.len == 57) {
            pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED448, NULL, bits.p, bits.len);
        }
    } else if (cmp_oid_is(&oid, CMP_NID_RSA_ENCRYPTION)) {
        /* RFC 3279 2.3.1: the parameters are NULL */
        static const uint8_t null[] = {0x05, 0x00};

        if (alg.len == sizeof(null) && memcmp(alg.p, null, sizeof(null)) == 0) {
            pub = rsa_pubkey(&bits);
        }
    } else if (cmp_oid_is(&oid, CMP_NID_EC_PUBLIC_KEY) &&
               der_get_oid(&alg, &curve) && der_done(&alg)) {
        for (i = 0; i < sizeof(ec_curves) / sizeof(ec_curves[0]); i++) {
            if (cmp_oid_is(&curve, ec_curves[i].nid)) {
                if (bits.len == ec_curves[i].point_len && bits.p[0] == 0x04) {
                    pub = ec_pubkey(i, &bits);
                }
                break;
            }
        }
    }
    ERR_pop_to_mark();
    return pub;
}

/* template_pubkey() parses the template's publicKey; a new key or NULL. */
static EVP_PKEY *
template_pubkey(const struct cmp_cert_req_msg *req, uint8_t **spki, size_t *spki_len,
                struct cmp_err *err)
{
    const unsigned char *p;
    EVP_PKEY *pub;

    if (!req->tmpl.has_public_key) {
        POPO_FAIL(err, CMP_E_INVALID, req, "the template has no publicKey");
        return NULL;
    }
    if (!wrap_sequence(&req->tmpl.public_key, spki, spki_len)) {
        POPO_FAIL(err, CMP_E_LIMIT, req, "template publicKey too large");
        return NULL;
    }
    pub = cmp_spki_fast_pubkey(*spki, *spki_len);
    if (pub != NULL) {
        return pub;
    }
    p = *spki;
    pub = d2i_PUBKEY(NULL, &p, (long)*spki_len);
    if (pub == NULL || p != *spki + *spki_len) {
        EVP_PKEY_free(pub);
        free(*spki);
        *spki = NULL;
        CMP_FAIL_SSL(err, CMP_FI_BAD_POP,
                     "CertReqMsg (certReqId %" PRId64 "): template publicKey unusable",
                     req->cert_req_id);
        return NULL;
    }
    return pub;
}

/*
 * poposk_input_check() checks POPOSigningKeyInput (contents of poposkInput)
 * and returns the signed bytes (its DER as a SEQUENCE, a new buffer).
 * authInfo is not checked here: whether |sender| is the message's
 * authenticated sender, or the publicKeyMAC verifies with the shared secret,
 * is for the caller, who knows both.
 */
static int
poposk_input_check(const struct cmp_cert_req_msg *req, const uint8_t *spki, size_t spki_len,
                   uint8_t **signed_data, size_t *signed_len, struct cmp_err *err)
{
    struct der_in in = req->popo.poposk_input, key;
    struct der_in tmpl_key = der_in_make(spki, spki_len);
    uint32_t tag;

    if (!der_get_any(&in, &tag, NULL, NULL) || (tag != DER_EXPLICIT(0) && tag != DER_SEQUENCE) ||
        !der_get_tlv(&in, DER_SEQUENCE, &key) || !der_done(&in)) {
        return POPO_FAIL(err, CMP_E_DECODE, req, "malformed poposkInput");
    }
    /* RFC 4211 4.1: "This MUST be exactly the same value as contained in the
     * certificate template." */
    if (!der_in_eq(&key, &tmpl_key)) {
        return POPO_FAIL(err, CMP_E_INVALID, req,
                         "poposkInput publicKey differs from the template's publicKey");
    }
    if (!wrap_sequence(&req->popo.poposk_input, signed_data, signed_len)) {
        return POPO_FAIL(err, CMP_E_LIMIT, req, "poposkInput too large");
    }
    return 1;
}

static int
popo_signature_verify(const struct cmp_cert_req_msg *req, struct cmp_err *err)
{
    const struct cmp_popo *popo = &req->popo;
    uint8_t *spki = NULL, *input = NULL;
    size_t spki_len = 0, input_len = 0;
    const uint8_t *data;
    size_t data_len;
    EVP_PKEY *pub;
    int ok = 0;

    if (popo->signature_unused != 0) {
        return POPO_FAIL(err, CMP_E_INVALID, req, "signature BIT STRING has unused bits");
    }
    pub = template_pubkey(req, &spki, &spki_len, err);
    if (pub == NULL) {
        return 0;
    }
    if (popo->has_poposk_input) {
        if (!poposk_input_check(req, spki, spki_len, &input, &input_len, err)) {
            goto done;
        }
        data = input;
        data_len = input_len;
    } else {
        /* RFC 4211 4.1: without poposkInput the template must name the subject. */
        if (!req->tmpl.has_subject) {
            POPO_FAIL(err, CMP_E_INVALID, req, "no poposkInput and no subject in the template");
            goto done;
        }
        if (req->cert_req.len == 0) {
            POPO_FAIL(err, CMP_E_ARG, req, "the CertRequest bytes are not set");
            goto done;
        }
        data = req->cert_req.p;
        data_len = req->cert_req.len;
    }
    if (!cmp_verify_data(pub, &popo->alg, data, data_len, popo->signature.p, popo->signature.len,
                         err)) {
        /* Whatever the cause (a wrong signature, an algorithm that does not
         * fit the key), the peer hears badPOP (RFC 9810 5.2.3). */
        if (err != NULL) {
            err->failure_bit = CMP_FI_BAD_POP;
        }
        CMP_CONTEXT(err, "POPO signature of CertReqMsg (certReqId %" PRId64 ")", req->cert_req_id);
        goto done;
    }
    ok = 1;
done:
    EVP_PKEY_free(pub);
    free(spki);
    free(input);
    return ok;
}

static const char *
priv_type_name(int priv_type)
{
    switch (priv_type) {
    case CMP_POPO_PRIV_THIS_MESSAGE:
        return "thisMessage";
    case CMP_POPO_PRIV_SUBSEQUENT:
        return "subsequentMessage";
    case CMP_POPO_PRIV_DHMAC:
        return "dhMAC";
    case CMP_POPO_PRIV_AGREEMAC:
        return "agreeMAC";
    case CMP_POPO_PRIV_ENCRYPTED_KEY:
        return "encryptedKey";
    default:
        return "unknown";
    }
}

int
cmp_popo_verify(const struct cmp_cert_req_msg *req, int accept_raverified, struct cmp_err *err)
{
    const char *kind;

    if (!req->has_popo) {
        return POPO_FAIL(err, CMP_E_INVALID, req, "no POPO");
    }
    switch (req->popo.type) {
    case CMP_POPO_SIGNATURE:
        return popo_signature_verify(req, err);
    case CMP_POPO_RAVERIFIED:
        if (!accept_raverified) {
            return POPO_FAIL(err, CMP_E_INVALID, req, "raVerified POPO not accepted");
        }
        return 1;
    case CMP_POPO_KEYENC:
    case CMP_POPO_KEYAGREE:
        kind = req->popo.type == CMP_POPO_KEYENC ? "keyEncipherment" : "keyAgreement";
        if (req->popo.priv_type == CMP_POPO_PRIV_SUBSEQUENT) {
            return POPO_FAIL(err, CMP_E_UNSUPPORTED, req,
                             "%s subsequentMessage: the proof comes in a later exchange "
                             "(encrCert or challengeResp), not in the request",
                             kind);
        }
        return POPO_FAIL(err, CMP_E_UNSUPPORTED, req, "%s POPO (%s) cannot be verified", kind,
                         priv_type_name(req->popo.priv_type));
    default:
        return POPO_FAIL(err, CMP_E_INVALID, req, "unknown POPO type %d", req->popo.type);
    }
}

/*
 * build_poposk_input() builds POPOSigningKeyInput { sender [0] msg->hdr.sender,
 * publicKey template's } into |msg|'s arena: |signed_data| gets the whole
 * SEQUENCE (the bytes to sign), |contents| its contents (poposkInput).
 */
static int
build_poposk_input(struct cmp_msg *msg, const struct cmp_cert_req_msg *req,
                   struct der_in *signed_data, struct der_in *contents, struct cmp_err *err)
{
    struct der_out w;
    size_t seq, spki, t0;
    uint8_t *buf = NULL, *copy;
    size_t len = 0;
    struct der_in in;

    if (msg->hdr.sender.whole.len == 0) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "POPO: the template has no subject, so poposkInput "
                        "needs the header's sender, which is not set");
    }
    der_out_init(&w, POPO_MAX_INPUT_LEN);
    if (!(der_open(&w, DER_SEQUENCE, &seq) && der_open(&w, DER_EXPLICIT(0), &t0) &&
          cmp_gname_encode(&w, &msg->hdr.sender) && der_close(&w, t0) &&
          der_open(&w, DER_SEQUENCE, &spki) && der_put_in(&w, &req->tmpl.public_key) &&
          der_close(&w, spki) && der_close(&w, seq)) ||
        !der_out_finish(&w, &buf, &len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "POPO: cannot encode POPOSigningKeyInput");
    }
    copy = cmp_msg_dup(msg, buf, len);
    free(buf);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "POPO: out of memory");
    }
    in = der_in_make(copy, len);
    *signed_data = in;
    if (!der_get(&in, DER_SEQUENCE, contents)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "POPO: cannot encode POPOSigningKeyInput");
    }
    return 1;
}

/* encode_cert_request() sets req->cert_req to its fresh DER in |msg|'s arena. */
static int
encode_cert_request(struct cmp_msg *msg, struct cmp_cert_req_msg *req, struct cmp_err *err)
{
    struct der_out w;
    uint8_t *buf = NULL, *copy;
    size_t len = 0;

    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_cert_request_encode(&w, req) || !der_out_finish(&w, &buf, &len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "POPO: cannot encode CertRequest");
    }
    copy = cmp_msg_dup(msg, buf, len);
    free(buf);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "POPO: out of memory");
    }
    req->cert_req = der_in_make(copy, len);
    return 1;
}

/*
 * key_matches_template() is 1 if |key| is the template's public key. With
 * |key_spki| (the DER of |key|'s SubjectPublicKeyInfo) a template holding
 * the same bytes matches without a key being built from it; other bytes
 * may still be the same key (another point encoding), so they are compared
 * as keys.
 */
static int
key_matches_template(const struct cmp_cert_req_msg *req, EVP_PKEY *key, const uint8_t *key_spki,
                     size_t key_spki_len, struct cmp_err *err)
{
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    EVP_PKEY *pub;
    int eq;

    if (key_spki != NULL && req->tmpl.has_public_key) {
        struct der_in whole = der_in_make(key_spki, key_spki_len), contents;

        /* the template holds the contents of the SubjectPublicKeyInfo ([6] IMPLICIT) */
        if (der_get(&whole, DER_SEQUENCE, &contents) && der_done(&whole) &&
            der_in_eq(&contents, &req->tmpl.public_key)) {
            return 1;
        }
    }
    pub = template_pubkey(req, &spki, &spki_len, err);
    if (pub == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "POPO: the template has no usable publicKey");
    }
    eq = EVP_PKEY_eq(pub, key);
    EVP_PKEY_free(pub);
    free(spki);
    if (eq != 1) {
        ERR_clear_error(); /* -1/-2 (different types) may leave an entry */
        return CMP_FAIL(err, CMP_E_ARG, "POPO: the key does not match the template's publicKey");
    }
    return 1;
}

int
cmp_popo_sign(struct cmp_msg *msg, struct cmp_cert_req_msg *req, EVP_PKEY *key, const char *digest,
              struct cmp_err *err)
{
    return cmp_popo_sign_spki(msg, req, key, NULL, 0, digest, err);
}

int
cmp_popo_sign_spki(struct cmp_msg *msg, struct cmp_cert_req_msg *req, EVP_PKEY *key,
                   const uint8_t *key_spki, size_t key_spki_len, const char *digest,
                   struct cmp_err *err)
{
    struct der_in signed_data = DER_IN_EMPTY, alg_in;
    uint8_t *sig = NULL, *alg = NULL, *sig_copy, *alg_copy;
    size_t sig_len = 0, alg_len = 0;
    struct cmp_popo popo;
    int ok = 0;

    if (!key_matches_template(req, key, key_spki, key_spki_len, err)) {
        return 0;
    }
    memset(&popo, 0, sizeof(popo));
    popo.type = CMP_POPO_SIGNATURE;
    /* The CertRequest bytes are set in any case: a verifier of this message
     * (and a test) finds them like those of a decoded request. */
    if (!encode_cert_request(msg, req, err)) {
        return 0;
    }
    if (req->tmpl.has_subject) {
        signed_data = req->cert_req;
    } else {
        /* RFC 4211 4.1: without a subject the signature goes over
         * POPOSigningKeyInput, with the sender's authenticated name. */
        if (!build_poposk_input(msg, req, &signed_data, &popo.poposk_input, err)) {
            return 0;
        }
        popo.has_poposk_input = 1;
    }
    if (!cmp_sign_data(key, digest, EVP_PKEY_is_a(key, "RSA-PSS"), signed_data.p, signed_data.len,
                       &sig, &sig_len, &alg, &alg_len, err)) {
        return CMP_CONTEXT(err, "POPO signature");
    }
    sig_copy = cmp_msg_dup(msg, sig, sig_len);
    alg_copy = cmp_msg_dup(msg, alg, alg_len);
    if (sig_copy == NULL || alg_copy == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "POPO: out of memory");
        goto done;
    }
    alg_in = der_in_make(alg_copy, alg_len);
    if (!cmp_algid_decode(&alg_in, DER_SEQUENCE, &popo.alg, err) || !der_done(&alg_in)) {
        CMP_FAIL(err, CMP_E_ENCODE, "POPO: bad signature AlgorithmIdentifier");
        goto done;
    }
    popo.signature = der_in_make(sig_copy, sig_len);
    popo.signature_unused = 0;
    req->popo = popo;
    req->has_popo = 1;
    ok = 1;
done:
    free(sig);
    free(alg);
    return ok;
}

int
cmp_p10cr_verify(const struct der_in *csr, struct cmp_err *err)
{
    const unsigned char *p = csr->p;
    X509_REQ *req;
    EVP_PKEY *pub;
    int ok = 0;

    if (csr->len == 0 || csr->len > CMP_MAX_MSG_LEN) {
        return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                           "p10cr: no CertificationRequest");
    }
    req = d2i_X509_REQ(NULL, &p, (long)csr->len);
    if (req == NULL || p != csr->p + csr->len) {
        X509_REQ_free(req);
        return CMP_FAIL_SSL(err, CMP_FI_BAD_DATA_FORMAT, "p10cr: malformed CertificationRequest");
    }
    pub = X509_REQ_get0_pubkey(req);
    if (pub == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_POP, "p10cr: CertificationRequest has no usable public key");
    } else if (X509_REQ_verify(req, pub) != 1) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_POP, "p10cr: CertificationRequest signature does not verify");
    } else {
        ok = 1;
    }
    X509_REQ_free(req);
    return ok;
}
