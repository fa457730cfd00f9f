/*
 * Signature-based protection (RFC 9810 5.1.3.3) with the algorithms of
 * RFC 9481 3: RSA PKCS#1 v1.5, RSASSA-PSS (RFC 4055), ECDSA, Ed25519 and
 * Ed448 (RFC 8410: no digest, no parameters); the signature primitives that
 * POPO shares; and extraCerts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "crypto/protect_internal.h"

#define OID_TEXT_MAX 96
#define OID_DER_MAX 64
#define MAX_CHAIN 16          /* issuers followed from the signer certificate */
#define PSS_MAX_SALT_LEN 1024 /* bounds a peer's saltLength */

enum key_kind { KEY_OTHER = 0, KEY_RSA, KEY_RSA_PSS, KEY_EC, KEY_ED25519, KEY_ED448 };

static int
key_kind(const EVP_PKEY *key)
{
    /* The base id is cheap; EVP_PKEY_is_a() (a name lookup) is for provider-only keys. */
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        return KEY_RSA;
    case EVP_PKEY_RSA_PSS:
        return KEY_RSA_PSS;
    case EVP_PKEY_EC:
        return KEY_EC;
    case EVP_PKEY_ED25519:
        return KEY_ED25519;
    case EVP_PKEY_ED448:
        return KEY_ED448;
    default:
        break;
    }
    if (EVP_PKEY_is_a(key, "RSA")) {
        return KEY_RSA;
    }
    if (EVP_PKEY_is_a(key, "RSA-PSS")) {
        return KEY_RSA_PSS;
    }
    if (EVP_PKEY_is_a(key, "EC")) {
        return KEY_EC;
    }
    if (EVP_PKEY_is_a(key, "ED25519")) {
        return KEY_ED25519;
    }
    if (EVP_PKEY_is_a(key, "ED448")) {
        return KEY_ED448;
    }
    return KEY_OTHER;
}

static const char *
key_kind_name(int kind)
{
    switch (kind) {
    case KEY_RSA:
        return "RSA";
    case KEY_RSA_PSS:
        return "RSA-PSS";
    case KEY_EC:
        return "EC";
    case KEY_ED25519:
        return "Ed25519";
    case KEY_ED448:
        return "Ed448";
    default:
        return "unsupported";
    }
}

static const char *
oid_text(const struct der_in *oid, char *buf, size_t len)
{
    if (!der_oid_to_text(oid, buf, len)) {
        snprintf(buf, len, "(bad OID)");
    }
    return buf;
}

/* cmp_oid_ossl_nid(): see crypto.h. */
int
cmp_oid_ossl_nid(const struct der_in *oid)
{
    uint8_t der[OID_DER_MAX + 2];
    const uint8_t *p = der;
    ASN1_OBJECT *obj;
    int nid;

    if (oid->len == 0 || oid->len > OID_DER_MAX) {
        return NID_undef;
    }
    der[0] = DER_OID;
    der[1] = (uint8_t)oid->len;
    memcpy(der + 2, oid->p, oid->len);
    obj = d2i_ASN1_OBJECT(NULL, &p, (long)(oid->len + 2));
    if (obj == NULL) {
        ERR_clear_error();
        return NID_undef;
    }
    nid = OBJ_obj2nid(obj);
    ASN1_OBJECT_free(obj);
    return nid;
}

static int
put_oid_nid(struct der_out *out, int nid)
{
    const ASN1_OBJECT *obj = OBJ_nid2obj(nid);

    if (obj == NULL || OBJ_length(obj) == 0) {
        out->failed = 1;
        return 0;
    }
    return der_put_prim(out, DER_OID, OBJ_get0_data(obj), OBJ_length(obj));
}

/* Digests too weak to accept in a signature, whatever the peer says. */
static int
weak_digest(int md_nid)
{
    return md_nid == NID_md2 || md_nid == NID_md4 || md_nid == NID_md5 || md_nid == NID_mdc2;
}

/* fetch_digest_nid() fetches a digest by NID; NULL (queue cleared) if unknown. */
static EVP_MD *
fetch_digest_nid(int nid)
{
    const char *name = OBJ_nid2sn(nid);
    EVP_MD *md = name != NULL ? EVP_MD_fetch(NULL, name, NULL) : NULL;

    if (md == NULL) {
        ERR_clear_error();
    }
    return md;
}

/* ---- signing ------------------------------------------------------------- */

struct sig_setup {
    int kind;
    int pss;
    EVP_MD *md; /* NULL for EdDSA */
};

static void
sig_setup_cleanup(struct sig_setup *s)
{
    EVP_MD_free(s->md);
    memset(s, 0, sizeof(*s));
}

static int
sig_setup_init(struct sig_setup *s, EVP_PKEY *key, const char *digest, int pss, struct cmp_err *err)
{
    memset(s, 0, sizeof(*s));
    if (key == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no signing key");
    }
    s->kind = key_kind(key);
    switch (s->kind) {
    case KEY_RSA:
        s->pss = pss;
        break;
    case KEY_RSA_PSS:
        s->pss = 1;
        break;
    case KEY_EC:
        if (pss) {
            return CMP_FAIL(err, CMP_E_ARG, "RSASSA-PSS needs an RSA key, not an EC key");
        }
        break;
    case KEY_ED25519:
    case KEY_ED448:
        if (pss) {
            return CMP_FAIL(err, CMP_E_ARG, "RSASSA-PSS needs an RSA key, not an EdDSA key");
        }
        return 1; /* pure EdDSA: no digest (RFC 8419 / RFC 9481 3.3) */
    default:
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "unsupported signing key type %s",
                             EVP_PKEY_get0_type_name(key) != NULL ? EVP_PKEY_get0_type_name(key)
                                                                  : "(unknown)");
    }
    if (digest == NULL) {
        digest = "SHA256";
    }
    s->md = EVP_MD_fetch(NULL, digest, NULL);
    if (s->md == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "digest \"%s\"", digest);
    }
    if (weak_digest(EVP_MD_get_type(s->md))) {
        sig_setup_cleanup(s);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "digest \"%s\" is too weak to sign with", digest);
    }
    return 1;
}

/* A hash AlgorithmIdentifier inside RSASSA-PSS-params: NULL parameters, as OpenSSL writes. */
static int
put_hash_algid(struct der_out *out, int md_nid)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && put_oid_nid(out, md_nid) && der_put_null(out) &&
           der_close(out, seq);
}

/*
 * RFC 4055 3.1 (EXPLICIT tags):
 *   RSASSA-PSS-params ::= SEQUENCE { hashAlgorithm [0] DEFAULT sha1,
 *       maskGenAlgorithm [1] DEFAULT mgf1SHA1, saltLength [2] INTEGER DEFAULT 20,
 *       trailerField [3] INTEGER DEFAULT 1 }
 * We use MGF1 with the same hash and a salt as long as the hash (RFC 9481 3.1);
 * DER leaves out what equals the DEFAULT.
 */
static int
put_pss_algid(struct der_out *out, const EVP_MD *md)
{
    int md_nid = EVP_MD_get_type(md), salt_len = EVP_MD_get_size(md);
    size_t seq, params, t, mgf;
    int is_sha1 = md_nid == NID_sha1;

    return der_open(out, DER_SEQUENCE, &seq) &&
           cmp_oid_put(out, CMP_NID_RSASSA_PSS) &&
           der_open(out, DER_SEQUENCE, &params) &&
           (is_sha1 || (der_open(out, DER_EXPLICIT(0), &t) && put_hash_algid(out, md_nid) &&
                        der_close(out, t))) &&
           (is_sha1 || (der_open(out, DER_EXPLICIT(1), &t) && der_open(out, DER_SEQUENCE, &mgf) &&
                        cmp_oid_put(out, CMP_NID_MGF1) &&
                        put_hash_algid(out, md_nid) && der_close(out, mgf) && der_close(out, t))) &&
           (salt_len == 20 || (der_open(out, DER_EXPLICIT(2), &t) && der_put_int64(out, salt_len) &&
                               der_close(out, t))) &&
           der_close(out, params) && der_close(out, seq);
}

/* sig_algid() writes the signature AlgorithmIdentifier for |s|. */
static int
sig_algid(const struct sig_setup *s, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    struct der_out w;
    size_t seq;
    int sig_nid = NID_undef, ok;

    der_out_init(&w, 512);
    if (s->kind == KEY_ED25519 || s->kind == KEY_ED448) {
        /* RFC 8410 3: the parameters MUST be absent. */
        ok = der_open(&w, DER_SEQUENCE, &seq) &&
             cmp_oid_put(&w, s->kind == KEY_ED25519 ? CMP_NID_ED25519 : CMP_NID_ED448) &&
             der_close(&w, seq);
    } else if (s->pss) {
        ok = put_pss_algid(&w, s->md);
    } else {
        int pkey_nid = s->kind == KEY_RSA ? NID_rsaEncryption : NID_X9_62_id_ecPublicKey;

        if (!OBJ_find_sigid_by_algs(&sig_nid, EVP_MD_get_type(s->md), pkey_nid)) {
            der_out_cleanup(&w);
            return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "no signature algorithm for %s with %s",
                                 key_kind_name(s->kind), EVP_MD_get0_name(s->md));
        }
        /* RSA PKCS#1 v1.5 identifiers carry NULL (RFC 4055 5); ECDSA ones none (RFC 5758 3.2). */
        ok = der_open(&w, DER_SEQUENCE, &seq) && put_oid_nid(&w, sig_nid) &&
             (s->kind != KEY_RSA || der_put_null(&w)) && der_close(&w, seq);
    }
    if (!ok || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "signature AlgorithmIdentifier");
    }
    return 1;
}

static int
set_pss(EVP_PKEY_CTX *pctx, const EVP_MD *md, const EVP_MD *mgf1_md, int salt_len)
{
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1_md) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt_len) > 0 && md != NULL;
}

static int
sign_bytes(EVP_PKEY *key, const struct sig_setup *s, const uint8_t *data, size_t len, uint8_t **sig,
           size_t *sig_len, struct cmp_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    uint8_t *buf = NULL;
    size_t buf_len = 0;

    if (ctx == NULL ||
        EVP_DigestSignInit_ex(ctx, &pctx, s->md != NULL ? EVP_MD_get0_name(s->md) : NULL, NULL,
                              NULL, key, NULL) <= 0 ||
        (s->pss && !set_pss(pctx, s->md, s->md, RSA_PSS_SALTLEN_DIGEST))) {
        EVP_MD_CTX_free(ctx);
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot sign with the %s key",
                            key_kind_name(s->kind));
    }
    /*
     * One signature per context: without EVP_MD_CTX_FLAG_FINALISE,
     * EVP_DigestSignFinal() signs a copy of the context (EVP_PKEY_CTX_dup:
     * the key's provider data and the digest state, allocated and freed
     * again), so that more data could follow. Asking for the size first
     * (NULL) finalises nothing.
     */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    if (EVP_DigestSign(ctx, NULL, &buf_len, data, len) <= 0) {
        EVP_MD_CTX_free(ctx);
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot sign with the %s key",
                            key_kind_name(s->kind));
    }
    buf = malloc(buf_len > 0 ? buf_len : 1);
    if (buf == NULL) {
        EVP_MD_CTX_free(ctx);
        return CMP_FAIL(err, CMP_E_MEMORY, "signature");
    }
    if (EVP_DigestSign(ctx, buf, &buf_len, data, len) <= 0) {
        free(buf);
        EVP_MD_CTX_free(ctx);
        return CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot sign with the %s key",
                            key_kind_name(s->kind));
    }
    EVP_MD_CTX_free(ctx);
    *sig = buf;
    *sig_len = buf_len;
    return 1;
}

int
cmp_sign_data(EVP_PKEY *key, const char *digest, int pss, const uint8_t *data, size_t len,
              uint8_t **sig, size_t *sig_len, uint8_t **alg_der, size_t *alg_der_len,
              struct cmp_err *err)
{
    struct sig_setup s;
    uint8_t *alg = NULL;
    size_t alg_len = 0;

    *sig = NULL;
    *sig_len = 0;
    if (alg_der != NULL) {
        *alg_der = NULL;
        *alg_der_len = 0;
    }
    if (!sig_setup_init(&s, key, digest, pss, err)) {
        return 0;
    }
    if ((alg_der != NULL && !sig_algid(&s, &alg, &alg_len, err)) ||
        !sign_bytes(key, &s, data, len, sig, sig_len, err)) {
        free(alg);
        sig_setup_cleanup(&s);
        return 0;
    }
    sig_setup_cleanup(&s);
    if (alg_der != NULL) {
        *alg_der = alg;
        *alg_der_len = alg_len;
    }
    return 1;
}

int
cmp_protect_sig(struct cmp_msg *msg, EVP_PKEY *key, const char *digest, int pss,
                struct cmp_err *err)
{
    struct cmp_prot_saved saved;
    struct sig_setup s;
    struct der_in part;
    uint8_t *alg = NULL, *sig = NULL;
    size_t alg_len = 0, sig_len = 0;
    int ok;

    if (!sig_setup_init(&s, key, digest, pss, err)) {
        return CMP_CONTEXT(err, "signature protection");
    }
    cmp_prot_begin(msg, &saved);
    /* protectionAlg is part of the header, so it is set before the signature. */
    ok = sig_algid(&s, &alg, &alg_len, err) && cmp_prot_set_alg(msg, alg, alg_len, err) &&
         cmp_prot_part_fresh(msg, &part, err) &&
         sign_bytes(key, &s, part.p, part.len, &sig, &sig_len, err) &&
         cmp_prot_set_value(msg, sig, sig_len, err);
    free(alg);
    free(sig);
    sig_setup_cleanup(&s);
    if (!ok) {
        cmp_prot_abort(msg, &saved);
        return CMP_CONTEXT(err, "signature protection");
    }
    return 1;
}

/* ---- verifying ----------------------------------------------------------- */

/* A hash AlgorithmIdentifier: a digest we accept, parameters absent or NULL. */
static int
hash_algid_nid(const struct cmp_algid *a, int *out_nid)
{
    if (!cmp_params_absent_or_null(&a->params)) {
        return 0;
    }
    *out_nid = cmp_oid_ossl_nid(&a->oid);
    return *out_nid != NID_undef;
}

struct pss_params {
    int md_nid;
    int mgf1_md_nid;
    int64_t salt_len;
};

/* RSASSA-PSS-params (msg/algparams.c) with the DEFAULTs applied, checked. */
static int
parse_pss_params(const struct der_in *params, struct pss_params *out, struct cmp_err *err)
{
    struct cmp_pss_params pp;
    int64_t trailer = 1;

    out->md_nid = NID_sha1;
    out->mgf1_md_nid = NID_sha1;
    out->salt_len = 20;
    if (!cmp_pss_params_decode(params, &pp, NULL)) {
        goto bad;
    }
    if (pp.has_hash && !hash_algid_nid(&pp.hash, &out->md_nid)) {
        goto bad;
    }
    if (pp.has_mgf) {
        if (!cmp_oid_is(&pp.mgf.oid, CMP_NID_MGF1)) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "RSASSA-PSS maskGenAlgorithm is not MGF1");
        }
        if (!pp.has_mgf1_hash || !hash_algid_nid(&pp.mgf1_hash, &out->mgf1_md_nid)) {
            goto bad;
        }
    }
    if ((pp.has_salt_length && !der_parse_int64(&pp.salt_length, &out->salt_len)) ||
        (pp.has_trailer_field && !der_parse_int64(&pp.trailer_field, &trailer))) {
        goto bad;
    }
    if (trailer != 1) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "RSASSA-PSS trailerField %lld is not 1",
                             (long long)trailer);
    }
    if (out->salt_len < 0 || out->salt_len > PSS_MAX_SALT_LEN) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "RSASSA-PSS saltLength %lld is out of range",
                             (long long)out->salt_len);
    }
    return 1;

bad:
    return cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_ALG, __FILE__, __LINE__,
                       "malformed or unsupported RSASSA-PSS parameters");
}

static int
key_matches(EVP_PKEY *pub, int pkey_nid)
{
    int kind = key_kind(pub);

    switch (pkey_nid) {
    case NID_rsaEncryption:
        return kind == KEY_RSA;
    case NID_rsassaPss:
        return kind == KEY_RSA || kind == KEY_RSA_PSS;
    case NID_X9_62_id_ecPublicKey:
        return kind == KEY_EC;
    case NID_ED25519:
        return kind == KEY_ED25519;
    case NID_ED448:
        return kind == KEY_ED448;
    default:
        return 0;
    }
}

int
cmp_verify_data(EVP_PKEY *pub, const struct cmp_algid *alg, const uint8_t *data, size_t len,
                const uint8_t *sig, size_t sig_len, struct cmp_err *err)
{
    struct pss_params pss;
    EVP_MD *md = NULL, *mgf1_md = NULL;
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    char oid[OID_TEXT_MAX];
    int sig_nid, md_nid = NID_undef, pkey_nid = NID_undef, is_pss, ok = 0, rc;

    if (pub == NULL || alg == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no key or no algorithm to verify a signature with");
    }
    is_pss = cmp_oid_is(&alg->oid, CMP_NID_RSASSA_PSS);
    if (is_pss) {
        if (!parse_pss_params(&alg->params, &pss, err)) {
            return 0;
        }
        md_nid = pss.md_nid;
        pkey_nid = NID_rsassaPss;
    } else {
        sig_nid = cmp_oid_ossl_nid(&alg->oid);
        if (sig_nid == NID_undef || !OBJ_find_sigid_algs(sig_nid, &md_nid, &pkey_nid)) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "%s is not a known signature algorithm",
                                 oid_text(&alg->oid, oid, sizeof(oid)));
        }
        if (pkey_nid == NID_ED25519 || pkey_nid == NID_ED448) {
            /* RFC 8410 3: the parameters MUST be absent. */
            if (alg->params.len != 0) {
                return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                                     "EdDSA AlgorithmIdentifier with "
                                     "parameters");
            }
            md_nid = NID_undef;
        } else if (!cmp_params_absent_or_null(&alg->params)) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                                 "unexpected parameters in signature "
                                 "algorithm %s",
                                 oid_text(&alg->oid, oid, sizeof(oid)));
        }
    }
    if (!key_matches(pub, pkey_nid)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                             "signature algorithm %s does not match the %s key of the signer",
                             oid_text(&alg->oid, oid, sizeof(oid)), key_kind_name(key_kind(pub)));
    }
    if (pkey_nid != NID_ED25519 && pkey_nid != NID_ED448) {
        if (weak_digest(md_nid)) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "signature algorithm %s uses a weak digest",
                                 oid_text(&alg->oid, oid, sizeof(oid)));
        }
        md = fetch_digest_nid(md_nid);
        mgf1_md = is_pss ? fetch_digest_nid(pss.mgf1_md_nid) : NULL;
        if (md == NULL || (is_pss && mgf1_md == NULL)) {
            CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                          "the digest of signature algorithm %s is not "
                          "available",
                          oid_text(&alg->oid, oid, sizeof(oid)));
            goto done;
        }
    }
    if (sig == NULL || sig_len == 0) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK, "empty signature");
        goto done;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL ||
        EVP_DigestVerifyInit_ex(ctx, &pctx, md != NULL ? EVP_MD_get0_name(md) : NULL, NULL, NULL,
                                pub, NULL) <= 0 ||
        (is_pss && !set_pss(pctx, md, mgf1_md, (int)pss.salt_len))) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_ALG, "cannot verify %s signatures with the %s key",
                     oid_text(&alg->oid, oid, sizeof(oid)), key_kind_name(key_kind(pub)));
        goto done;
    }
    /* One verification per context: no copy of it to finalise (see sign_bytes()). */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    rc = EVP_DigestVerify(ctx, sig, sig_len, data, len);
    if (rc != 1) {
        CMP_FAIL_SSL(err, CMP_FI_BAD_MESSAGE_CHECK, "the %s signature does not verify",
                     oid_text(&alg->oid, oid, sizeof(oid)));
        goto done;
    }
    ok = 1;

done:
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    EVP_MD_free(mgf1_md);
    return ok;
}

int
cmp_verify_sig(const struct cmp_msg *msg, EVP_PKEY *pub, struct cmp_err *err)
{
    uint8_t *part = NULL;
    size_t part_len = 0;
    int ok;

    if (!msg->hdr.has_protection_alg) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "the message has no protectionAlg: it is not protected");
    }
    if (cmp_msg_mac_protected(msg)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                             "the message is MAC-protected, not signature-protected");
    }
    if (!cmp_prot_check_value(msg, err) || !cmp_prot_part_received(msg, &part, &part_len, err)) {
        return CMP_CONTEXT(err, "signature protection");
    }
    ok = cmp_verify_data(pub, &msg->hdr.protection_alg, part, part_len, msg->protection.p,
                         msg->protection.len, err);
    free(part);
    return ok ? 1 : CMP_CONTEXT(err, "signature protection");
}

/* ---- extraCerts ---------------------------------------------------------- */

static int
cert_listed(STACK_OF(X509) * list, X509 *cert)
{
    int i;

    for (i = 0; i < sk_X509_num(list); i++) {
        if (X509_cmp(sk_X509_value(list, i), cert) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
self_signed(X509 *cert)
{
    return X509_check_issued(cert, cert) == X509_V_OK;
}

/* find_issuer() returns the first certificate of |a| or |b| that issued |cert|. */
static X509 *
find_issuer(X509 *cert, STACK_OF(X509) * a, STACK_OF(X509) * b)
{
    STACK_OF(X509) * lists[2] = {a, b};
    int l, i;

    for (l = 0; l < 2; l++) {
        for (i = 0; i < sk_X509_num(lists[l]); i++) {
            X509 *c = sk_X509_value(lists[l], i);

            if (X509_cmp(c, cert) != 0 && X509_check_issued(c, cert) == X509_V_OK) {
                return c;
            }
        }
    }
    return NULL;
}

static int
push_unique(STACK_OF(X509) * list, X509 *cert)
{
    if (cert_listed(list, cert)) {
        return 1;
    }
    return sk_X509_push(list, cert) > 0;
}

int
cmp_set_extra_certs(struct cmp_msg *msg, X509 *cert, STACK_OF(X509) * untrusted,
                    STACK_OF(X509) * extra, struct cmp_err *err)
{
    STACK_OF(X509) *list = sk_X509_new_null(); /* borrowed pointers */
    struct der_in *items = NULL;
    X509 *cur;
    int i, n, depth, ok = 0;

    if (list == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
    }
    /* RFC 9483 3.3: the signer's certificate first, then its chain without the root. */
    if (cert != NULL) {
        if (!push_unique(list, cert)) {
            CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
            goto done;
        }
        cur = cert;
        for (depth = 0; depth < MAX_CHAIN && !self_signed(cur); depth++) {
            X509 *issuer = find_issuer(cur, untrusted, extra);

            if (issuer == NULL || self_signed(issuer) || cert_listed(list, issuer)) {
                break;
            }
            if (!push_unique(list, issuer)) {
                CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
                goto done;
            }
            cur = issuer;
        }
    }
    for (i = 0; i < sk_X509_num(extra); i++) {
        if (!push_unique(list, sk_X509_value(extra, i))) {
            CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
            goto done;
        }
    }
    n = sk_X509_num(list);
    if (n > CMP_MAX_ITEMS) {
        CMP_FAIL(err, CMP_E_LIMIT, "%d extraCerts exceed the limit %u", n, (unsigned)CMP_MAX_ITEMS);
        goto done;
    }
    if (n > 0) {
        items = calloc((size_t)n, sizeof(*items));
        if (items == NULL) {
            CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
            goto done;
        }
    }
    for (i = 0; i < n; i++) {
        X509 *c = sk_X509_value(list, i);
        int len = i2d_X509(c, NULL);
        uint8_t *der, *p;

        der = len > 0 ? cmp_msg_alloc(msg, (size_t)len) : NULL;
        p = der;
        if (der == NULL || i2d_X509(c, &p) != len) {
            CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "cannot encode extraCerts #%d", i);
            goto done;
        }
        items[i] = der_in_make(der, (size_t)len);
    }
    cmp_certs_cleanup(&msg->extra_certs);
    msg->extra_certs.items = items;
    msg->extra_certs.num = (size_t)n;
    msg->has_extra_certs = n > 0;
    items = NULL;
    ok = 1;

done:
    free(items);
    sk_X509_free(list);
    return ok;
}
