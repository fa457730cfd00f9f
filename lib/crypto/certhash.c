/*
 * certHash (RFC 9810 5.3.18, as updated by RFC 9480 2.10): the hash of a
 * newly issued certificate that certConf confirms.
 *
 *   "The hashAlg field SHOULD be used only in exceptional cases where the
 *   signatureAlgorithm of the certificate to be confirmed does not specify
 *   a hash algorithm in the OID or in the parameters. [...] Otherwise, the
 *   certHash value SHALL be computed using the same hash algorithm as used
 *   to create and verify the certificate signature."
 *
 * Without hashAlg, the digest comes from the certificate's signatureAlgorithm:
 *   - the digest its OID names (sha256WithRSAEncryption, ecdsa-with-SHA384,
 *     ...; OpenSSL's table of signature OIDs);
 *   - RSASSA-PSS: hashAlgorithm in its parameters (RFC 4055, default SHA-1);
 *   - RFC 8692 SHAKE signatures: SHAKE128 with 256-bit, SHAKE256 with 512-bit
 *     output; the SHA-3 signatures (OpenSSL 3.0 misses id-ecdsa-with-sha3-*);
 *   - EdDSA, which hashes nothing itself (RFC 9481 3.3, following RFC 8419
 *     3.1 for CMS): SHA-512 for Ed25519, SHAKE256 with 512-bit output for
 *     Ed448;
 *   - any other algorithm, known without a digest or not known at all:
 *     SHA-256.
 *
 * OpenSSL 3.0's X509_digest_sig() (what `openssl cmp` 3.0 uses) agrees for
 * all of these except Ed448, where it takes SHAKE256's default 256-bit
 * output: its certHash is the first 32 of our 64 bytes. And it fails, where
 * we use SHA-256, for a signature algorithm it does not know.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/*
 * Signature algorithms whose digest OpenSSL 3.0's table of signature OIDs
 * does not give (well): EdDSA (RFC 9481 3.3), the RFC 8692 SHAKE signatures
 * and the NIST id-ecdsa-with-sha3-* (OpenSSL 3.0 maps the RSA SHA-3 ones but
 * not these). SHAKE as a message digest: see digest.c.
 */
static const struct {
    int sig_nid;
    int digest_nid;
} sig_digests[] = {
    {CMP_NID_ED25519, CMP_NID_SHA512},
    {CMP_NID_ED448, CMP_NID_SHAKE256},
    {CMP_NID_RSASSA_PSS_SHAKE128, CMP_NID_SHAKE128},
    {CMP_NID_RSASSA_PSS_SHAKE256, CMP_NID_SHAKE256},
    {CMP_NID_ECDSA_WITH_SHAKE128, CMP_NID_SHAKE128},
    {CMP_NID_ECDSA_WITH_SHAKE256, CMP_NID_SHAKE256},
    {CMP_NID_ECDSA_WITH_SHA3_224, CMP_NID_SHA3_224},
    {CMP_NID_ECDSA_WITH_SHA3_256, CMP_NID_SHA3_256},
    {CMP_NID_ECDSA_WITH_SHA3_384, CMP_NID_SHA3_384},
    {CMP_NID_ECDSA_WITH_SHA3_512, CMP_NID_SHA3_512},
    {CMP_NID_RSA_SHA3_224, CMP_NID_SHA3_224},
    {CMP_NID_RSA_SHA3_256, CMP_NID_SHA3_256},
    {CMP_NID_RSA_SHA3_384, CMP_NID_SHA3_384},
    {CMP_NID_RSA_SHA3_512, CMP_NID_SHA3_512},
};

/*
 * The digests hashAlg may name: RFC 9481 2 (SHA-2, SHAKE), plus SHA-3; not
 * SHA-1, which is only used when a certificate's (RSASSA-PSS) signature used it.
 */
static const struct cmp_digest *
hash_alg_digest(const struct der_in *oid)
{
    const struct cmp_digest *d = cmp_digest_by_oid(oid);

    return d != NULL && d->nid != CMP_NID_SHA1 ? d : NULL;
}

/* unsupported() records badAlg for the digest AlgorithmIdentifier |alg|. */
static int
unsupported(struct cmp_err *err, const char *what, const struct der_in *oid)
{
    char text[80];

    if (!der_oid_to_text(oid, text, sizeof(text))) {
        memcpy(text, "?", 2);
    }
    return cmp_err_set(err, CMP_E_UNSUPPORTED, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                       "certHash: unsupported %s %s", what, text);
}

/* pss_digest() takes the digest from the RSASSA-PSS-params (msg/algparams.c). */
static int
pss_digest(const struct cmp_algid *sig_alg, const struct cmp_digest **out, struct cmp_err *err)
{
    struct cmp_pss_params pp;

    if (!cmp_pss_params_decode(&sig_alg->params, &pp, NULL)) {
        return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                           "certHash: malformed RSASSA-PSS parameters in the certificate");
    }
    if (!pp.has_hash) {
        *out = cmp_digest_by_nid(CMP_NID_SHA1); /* the DEFAULT */
        return 1;
    }
    *out = cmp_digest_by_oid(&pp.hash.oid);
    if (*out == NULL || (*out)->xof_len != 0 || !cmp_params_absent_or_null(&pp.hash.params)) {
        return unsupported(err, "RSASSA-PSS hashAlgorithm", &pp.hash.oid);
    }
    return 1;
}

/*
 * sig_digest() picks the digest for the signature algorithm |alg| of a
 * certificate: |*out| is from the tables above, or NULL with |*name| set
 * from OpenSSL's table. |*fallback| (may be NULL) tells whether the
 * algorithm names no digest of its own: EdDSA, or one that has none or that
 * we do not know.
 */
static int
sig_digest(const struct cmp_algid *alg, const struct cmp_digest **out, const char **name,
           int *fallback, struct cmp_err *err)
{
    int mdnid = NID_undef, pknid = NID_undef, none = 0;
    size_t i;

    *out = NULL;
    *name = NULL;
    if (cmp_oid_is(&alg->oid, CMP_NID_RSASSA_PSS)) {
        if (fallback != NULL) {
            *fallback = 0;
        }
        return pss_digest(alg, out, err);
    }
    for (i = 0; i < sizeof(sig_digests) / sizeof(sig_digests[0]); i++) {
        if (cmp_oid_is(&alg->oid, sig_digests[i].sig_nid)) {
            *out = cmp_digest_by_nid(sig_digests[i].digest_nid);
            /* RFC 9481 3.3: EdDSA hashes nothing itself; its digest is a convention */
            none = sig_digests[i].sig_nid == CMP_NID_ED25519 ||
                   sig_digests[i].sig_nid == CMP_NID_ED448;
            goto done;
        }
    }
    if (OBJ_find_sigid_algs(cmp_oid_ossl_nid(&alg->oid), &mdnid, &pknid) && mdnid != NID_undef) {
        *name = OBJ_nid2sn(mdnid);
    }
    if (*name == NULL) {
        /* No digest in the algorithm, or an algorithm we do not know. */
        *out = cmp_digest_by_nid(CMP_NID_SHA256);
        none = 1;
    }
done:
    if (fallback != NULL) {
        *fallback = none;
    }
    return 1;
}

/* cert_sig_alg() decodes the signatureAlgorithm of the Certificate |der|. */
static int
cert_sig_alg(const uint8_t *der, size_t der_len, struct cmp_algid *sig_alg, struct cmp_err *err)
{
    /* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } */
    struct der_in in = der_in_make(der, der_len), cert, tbs;

    memset(sig_alg, 0, sizeof(*sig_alg));
    if (!der_get(&in, DER_SEQUENCE, &cert) || !der_done(&in) ||
        !der_get(&cert, DER_SEQUENCE, &tbs) ||
        !cmp_algid_decode(&cert, DER_SEQUENCE, sig_alg, err)) {
        return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_CERT_ID, __FILE__, __LINE__,
                           "certHash: the certificate's signatureAlgorithm does not decode");
    }
    return 1;
}

/* hash_der() hashes |der| with digest |name| (|xof_len| bytes of an XOF). */
static int
hash_der(const char *name, size_t xof_len, const uint8_t *der, size_t der_len, uint8_t *out,
         size_t *out_len, struct cmp_err *err)
{
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    EVP_MD_CTX *ctx = NULL;
    unsigned int n = 0;
    int size, xof, ok = 0;

    if (md == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "certHash: digest %s is not available", name);
    }
    xof = (EVP_MD_get_flags(md) & EVP_MD_FLAG_XOF) != 0;
    size = EVP_MD_get_size(md);
    if (xof != (xof_len != 0) || (xof && xof_len > EVP_MAX_MD_SIZE) ||
        (!xof && (size <= 0 || size > EVP_MAX_MD_SIZE))) {
        cmp_err_set(err, CMP_E_UNSUPPORTED, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                    "certHash: unusable digest %s", name);
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, md, NULL) || !EVP_DigestUpdate(ctx, der, der_len) ||
        !(xof ? EVP_DigestFinalXOF(ctx, out, xof_len) : EVP_DigestFinal_ex(ctx, out, &n))) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "certHash: %s failed", name);
        goto done;
    }
    *out_len = xof ? xof_len : n;
    ok = 1;
done:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return ok;
}

int
cmp_cert_hash_der(const uint8_t *der, size_t der_len, const struct cmp_algid *hash_alg,
                  uint8_t *out, size_t *out_len, struct cmp_err *err)
{
    const struct cmp_digest *d = NULL;
    const char *name = NULL;
    struct cmp_algid sig_alg;

    *out_len = 0;
    if (hash_alg != NULL) {
        d = hash_alg_digest(&hash_alg->oid);
        if (d == NULL || !cmp_params_absent_or_null(&hash_alg->params)) {
            return unsupported(err, "hashAlg", &hash_alg->oid);
        }
    } else if (!cert_sig_alg(der, der_len, &sig_alg, err) ||
               !sig_digest(&sig_alg, &d, &name, NULL, err)) {
        return 0;
    }
    return hash_der(d != NULL ? d->name : name, d != NULL ? d->xof_len : 0, der, der_len, out,
                    out_len, err);
}

int
cmp_cert_hash(const X509 *cert, const struct cmp_algid *hash_alg, uint8_t *out, size_t *out_len,
              struct cmp_err *err)
{
    unsigned char *der = NULL;
    int der_len, ok;

    *out_len = 0;
    der_len = i2d_X509(cert, &der);
    if (der_len <= 0) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_CERT_ID, "certHash: cannot encode the certificate");
    }
    ok = cmp_cert_hash_der(der, (size_t)der_len, hash_alg, out, out_len, err);
    OPENSSL_free(der);
    return ok;
}

int
cmp_cert_hash_fallback(const X509 *cert, const struct cmp_digest **out, struct cmp_err *err)
{
    const struct cmp_digest *d = NULL;
    const char *name = NULL;
    unsigned char *der = NULL;
    struct cmp_algid sig_alg;
    int der_len, fallback = 0, ok;

    *out = NULL;
    der_len = i2d_X509(cert, &der);
    if (der_len <= 0) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_CERT_ID, "certHash: cannot encode the certificate");
    }
    /* |sig_alg| borrows from |der| until it is freed below */
    ok = cert_sig_alg(der, (size_t)der_len, &sig_alg, err) &&
         sig_digest(&sig_alg, &d, &name, &fallback, err);
    OPENSSL_free(der);
    if (ok && fallback) {
        *out = d;
    }
    return ok;
}
