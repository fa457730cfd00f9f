/*
 * The client's requests: header (RFC 9810 5.1.1), the bodies of ir/cr/kur
 * (CRMF, RFC 4211), p10cr, rr, genm, certConf and pollReq, and their
 * protection, with the fallbacks of openssl cmp 3.0 (openssl-cmp(1)).
 *
 * Every slice of a message being built points into the message's arena
 * (cmp_msg_alloc/cmp_msg_dup); arrays are malloc'ed and freed with it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "client/internal.h"

/* the value of id-it-implicitConfirm, NULL */
static const uint8_t der_null[] = {0x05, 0x00};

X509 *
cmp_cli_refcert(const struct cmp_ctx *ctx)
{
    return ctx->oldcert != NULL ? ctx->oldcert : ctx->cert;
}

/* ---- DER of libcrypto objects, into the message's arena ---- */

/* Copies libcrypto's DER output (|len| from an i2d call) into |m|'s arena. */
static int
keep_der(struct cmp_msg *m, unsigned char *der, int len, struct der_in *out, const char *what,
         struct cmp_err *err)
{
    uint8_t *copy;

    if (len <= 0) {
        OPENSSL_free(der);
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot encode %s", what);
    }
    copy = cmp_msg_dup(m, der, (size_t)len);
    OPENSSL_free(der);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "%s", what);
    }
    *out = der_in_make(copy, (size_t)len);
    return 1;
}

int
cmp_cli_name_der(struct cmp_msg *m, const X509_NAME *name, struct der_in *out, struct cmp_err *err)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(name, &der);

    return keep_der(m, der, len, out, "name", err);
}

/* A directoryName GeneralName for |name| (NULL: the NULL-DN). */
static int
gname_of(struct cmp_msg *m, const X509_NAME *name, struct cmp_gname *gn, struct cmp_err *err)
{
    static const uint8_t null_dn[] = {0x30, 0x00};
    struct der_in der = der_in_make(null_dn, sizeof(null_dn));
    uint8_t *buf;

    if (name != NULL && !cmp_cli_name_der(m, name, &der, err)) {
        return 0;
    }
    buf = cmp_msg_alloc(m, der.len + 6);
    if (buf == NULL || !cmp_gname_set_dirname(gn, buf, der.len + 6, &der)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "GeneralName");
    }
    return 1;
}

/*
 * A fresh senderNonce. Under CMP_FUZZ it depends only on the position in
 * the transaction, so that a fuzz input can carry the matching recipNonce.
 */
static int
fresh_nonce(const struct cmp_cli_txn *t, uint8_t *p, size_t n)
{
#ifdef CMP_FUZZ
    size_t i;

    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(0x5A + i + t->num_sent);
    }
    return 1;
#else
    (void)t;
    return RAND_bytes(p, (int)n) == 1;
#endif
}

/* ---- the header ---- */

int
cmp_cli_new_request(struct cmp_cli_txn *t, int body_type, struct cmp_msg **out, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    X509 *refcert = cmp_cli_refcert(ctx);
    const X509_NAME *sender = NULL, *rcp = NULL;
    struct cmp_msg *m = cmp_msg_new();
    struct cmp_header *h;
    uint8_t *p;
    size_t n = 0, i;

    *out = NULL;
    if (m == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "request");
    }
    h = &m->hdr;
    m->body.type = body_type;
    /*
     * RFC 9810 7: cmp2021(3) when the server is known to support it
     * (-pvno 3); RFC 9483 3.1 asks for it where cmp2021 features are used:
     * the answer we ask for is cmp2021 syntax (RFC 9480 2.20).
     */
    h->pvno = ctx->pvno == CMP_PVNO_2021 || t->pvno == CMP_PVNO_2021 ? CMP_PVNO_2021
                                                                      : CMP_PVNO_2000;

    /* sender: -cert, else -oldcert, else -subject; else the NULL-DN with -ref */
    if (ctx->cert != NULL) {
        sender = X509_get_subject_name(ctx->cert);
    } else if (ctx->oldcert != NULL) {
        sender = X509_get_subject_name(ctx->oldcert);
    } else {
        sender = ctx->subject;
    }
    if (sender == NULL && ctx->ref == NULL && !ctx->unprotected_send) {
        cmp_msg_free(m);
        return CMP_FAIL(err, CMP_E_ARG,
                        "missing identity of the client: no -ref, -cert, -oldcert or -subject");
    }
    /* recipient: -recipient, -srvcert's subject, -issuer, the issuer of -oldcert or -cert */
    if (ctx->recipient != NULL) {
        rcp = ctx->recipient;
    } else if (ctx->srvcert != NULL) {
        rcp = X509_get_subject_name(ctx->srvcert);
    } else if (ctx->issuer != NULL) {
        rcp = ctx->issuer;
    } else if (refcert != NULL) {
        rcp = X509_get_issuer_name(refcert);
    }
    if (!gname_of(m, sender, &h->sender, err) || !gname_of(m, rcp, &h->recipient, err)) {
        cmp_msg_free(m);
        return CMP_CONTEXT(err, "PKIHeader");
    }
    h->has_message_time = 1;
    h->message_time_secs = (int64_t)time(NULL);
    if (ctx->ref != NULL) {
        h->has_sender_kid = 1;
        h->sender_kid = der_in_make(ctx->ref, ctx->ref_len);
    }
    h->has_transaction_id = 1;
    h->transaction_id = t->tid_in;
    p = cmp_msg_alloc(m, CMP_CLI_NONCE_LEN);
    if (p == NULL || !fresh_nonce(t, p, CMP_CLI_NONCE_LEN)) {
        cmp_msg_free(m);
        return CMP_FAIL(err, CMP_E_MEMORY, "senderNonce");
    }
    h->has_sender_nonce = 1;
    h->sender_nonce = der_in_make(p, CMP_CLI_NONCE_LEN);
    if (t->recip_nonce_len > 0) {
        h->has_recip_nonce = 1;
        h->recip_nonce = der_in_make(t->recip_nonce, t->recip_nonce_len);
    }

    /*
     * generalInfo: -geninfo, -profile (RFC 9483 3.1: certProfile), then
     * implicitConfirm (RFC 9810 5.1.1.1) in certificate requests, in the
     * order openssl cmp 3.6 puts them.
     */
    n = ctx->num_geninfo + (ctx->profile != NULL);
    if (ctx->implicit_confirm && (body_type == CMP_BODY_IR || body_type == CMP_BODY_CR ||
                                  body_type == CMP_BODY_KUR || body_type == CMP_BODY_P10CR)) {
        n++;
    }
    if (n > 0) {
        h->general_info.items = calloc(n, sizeof(*h->general_info.items));
        if (h->general_info.items == NULL) {
            cmp_msg_free(m);
            return CMP_FAIL(err, CMP_E_MEMORY, "generalInfo");
        }
        h->has_general_info = 1;
        h->general_info.num = n;
        for (i = 0; i < ctx->num_geninfo; i++) {
            struct cmp_itav *it = &h->general_info.items[i];

            it->type = der_in_make(ctx->geninfo[i].oid, ctx->geninfo[i].oid_len);
            it->has_value = ctx->geninfo[i].value != NULL;
            it->value = der_in_make(ctx->geninfo[i].value, ctx->geninfo[i].value_len);
        }
        if (ctx->profile != NULL &&
            !cmp_cli_profile_itav(ctx, m, &h->general_info.items[i++], err)) {
            cmp_msg_free(m);
            return CMP_CONTEXT(err, "-profile");
        }
        if (i < n) {
            struct cmp_itav *it = &h->general_info.items[i];

            it->type = cmp_oid(CMP_NID_IT_IMPLICIT_CONFIRM);
            it->has_value = 1;
            it->value = der_in_make(der_null, sizeof(der_null));
        }
    }
    memcpy(t->nonce, p, CMP_CLI_NONCE_LEN);
    t->nonce_len = CMP_CLI_NONCE_LEN;
    *out = m;
    return 1;
}

/* ---- protection ---- */

int
cmp_cli_protect(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_header *h = &m->hdr;

    m->has_protection = 0;
    h->has_protection_alg = 0;
    cmp_certs_cleanup(&m->extra_certs);
    m->has_extra_certs = 0;
    if (ctx->unprotected_send || ctx->secret != NULL) {
        /* -extracerts only; with a secret, PBM and senderKID -ref */
        if (sk_X509_num(ctx->extracerts) > 0 &&
            !cmp_set_extra_certs(m, NULL, NULL, ctx->extracerts, err)) {
            return CMP_CONTEXT(err, "-extracerts");
        }
        if (ctx->unprotected_send) {
            return 1;
        }
        if (ctx->ref != NULL) {
            h->has_sender_kid = 1;
            h->sender_kid = der_in_make(ctx->ref, ctx->ref_len);
        }
        if (ctx->pbmac1) {
            /* RFC 9481 6.1.3, RFC 9483 3.2: PBMAC1 with PBKDF2, chosen by -pbmac1. */
            struct cmp_pbmac1_opts o;

            memset(&o, 0, sizeof(o));
            o.prf = ctx->pbmac1_prf;
            o.mac = ctx->pbmac1_mac;
            o.iterations = ctx->pbm_iterations;
            if (!cmp_protect_pbmac1(m, &o, ctx->secret, ctx->secret_len, err)) {
                return CMP_CONTEXT(err, "PBMAC1 protection (-secret, -pbmac1)");
            }
            return 1;
        }
        {
            struct cmp_pbm_opts o;

            memset(&o, 0, sizeof(o));
            o.owf = ctx->digest;
            o.mac = ctx->mac;
            o.iterations = ctx->pbm_iterations;
            if (!cmp_protect_pbm(m, &o, ctx->secret, ctx->secret_len, err)) {
                return CMP_CONTEXT(err, "PBM protection (-secret)");
            }
            return 1;
        }
    }
    if (ctx->cert == NULL || ctx->key == NULL) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "missing -secret, or -cert and -key, to protect requests "
                        "(or -unprotected_requests)");
    }
    /* as openssl cmp does: refuse to sign with a key that -cert does not certify */
    if (!X509_check_private_key(ctx->cert, ctx->key)) {
        ERR_clear_error();
        return CMP_FAIL(err, CMP_E_ARG, "-cert and -key do not match (key values mismatch)");
    }
    {
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(ctx->cert);

        /* senderKID: the SKID of -cert, else -ref (RFC 9483 3.1) */
        if (skid != NULL && ASN1_STRING_length(skid) > 0) {
            uint8_t *p =
                cmp_msg_dup(m, ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid));

            if (p == NULL) {
                return CMP_FAIL(err, CMP_E_MEMORY, "senderKID");
            }
            h->has_sender_kid = 1;
            h->sender_kid = der_in_make(p, (size_t)ASN1_STRING_length(skid));
        } else if (ctx->ref != NULL) {
            h->has_sender_kid = 1;
            h->sender_kid = der_in_make(ctx->ref, ctx->ref_len);
        } else {
            h->has_sender_kid = 0;
        }
    }
    if (!cmp_set_extra_certs(m, ctx->cert, ctx->untrusted, ctx->extracerts, err)) {
        return CMP_CONTEXT(err, "extraCerts");
    }
    if (!cmp_protect_sig(m, ctx->key, ctx->digest, EVP_PKEY_is_a(ctx->key, "RSA-PSS"), err)) {
        return CMP_CONTEXT(err, "signature protection (-cert, -key)");
    }
    return 1;
}

/* ---- the certificate template ---- */

/*
 * The SubjectPublicKeyInfo DER of |key|: the context's copy when |key| is
 * the key encoded last (ctx->spki_key), else encoded now and kept in place
 * of it. Borrowed from the context until the next call.
 */
static int
spki_der(struct cmp_ctx *ctx, EVP_PKEY *key, struct der_in *out, struct cmp_err *err)
{
    unsigned char *der = NULL;
    int len;

    if (ctx->spki_key != key) {
        len = i2d_PUBKEY(key, &der);
        if (len <= 0 || !EVP_PKEY_up_ref(key)) {
            OPENSSL_free(der);
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot encode public key");
        }
        EVP_PKEY_free(ctx->spki_key);
        OPENSSL_free(ctx->spki_der);
        ctx->spki_key = key;
        ctx->spki_der = der;
        ctx->spki_der_len = (size_t)len;
    }
    *out = der_in_make(ctx->spki_der, ctx->spki_der_len);
    return 1;
}

/* SubjectPublicKeyInfo contents (the template's [6] IMPLICIT) of |key|. */
static int
spki_contents(struct cmp_ctx *ctx, struct cmp_msg *m, EVP_PKEY *key, struct der_in *out,
              struct cmp_err *err)
{
    struct der_in whole;
    uint8_t *copy;

    if (!spki_der(ctx, key, &whole, err)) {
        return 0;
    }
    copy = cmp_msg_dup(m, whole.p, whole.len);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "public key");
    }
    whole = der_in_make(copy, whole.len);
    if (!der_get(&whole, DER_SEQUENCE, out) || !der_done(&whole)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "public key: not a SubjectPublicKeyInfo");
    }
    return 1;
}

/*
 * RFC 9483 4.1.6: central key generation asks for a key of |key|'s
 * algorithm (and parameters) with a zero-length subjectPublicKey, as
 * openssl 3.6 does; without a key the template has no publicKey.
 */
static int
spki_contents_empty(struct cmp_ctx *ctx, struct cmp_msg *m, EVP_PKEY *key, struct der_in *out,
                    struct cmp_err *err)
{
    static const uint8_t empty_bits[] = {0x03, 0x01, 0x00};
    struct der_in full, alg;
    uint8_t *buf;

    if (!spki_contents(ctx, m, key, &full, err)) {
        return 0;
    }
    if (!der_get_tlv(&full, DER_SEQUENCE, &alg)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "public key: no algorithm");
    }
    buf = cmp_msg_alloc(m, alg.len + sizeof(empty_bits));
    if (buf == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "public key");
    }
    memcpy(buf, alg.p, alg.len);
    memcpy(buf + alg.len, empty_bits, sizeof(empty_bits));
    *out = der_in_make(buf, alg.len + sizeof(empty_bits));
    return 1;
}

/* Replaces or appends |ext| in |exts| (same OID: the later one wins). */
static int
exts_put(STACK_OF(X509_EXTENSION) * exts, X509_EXTENSION *ext)
{
    int i, n = sk_X509_EXTENSION_num(exts);
    X509_EXTENSION *copy = X509_EXTENSION_dup(ext);

    if (copy == NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (OBJ_cmp(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i)),
                    X509_EXTENSION_get_object(ext)) == 0) {
            X509_EXTENSION_free(sk_X509_EXTENSION_set(exts, i, copy));
            return 1;
        }
    }
    if (!sk_X509_EXTENSION_push(exts, copy)) {
        X509_EXTENSION_free(copy);
        return 0;
    }
    return 1;
}

static int
exts_put_all(STACK_OF(X509_EXTENSION) * exts, const STACK_OF(X509_EXTENSION) * more)
{
    int i;

    for (i = 0; i < sk_X509_EXTENSION_num(more); i++) {
        if (!exts_put(exts, sk_X509_EXTENSION_value(more, i))) {
            return 0;
        }
    }
    return 1;
}

static int
exts_have(const STACK_OF(X509_EXTENSION) * exts, int nid)
{
    return X509v3_get_ext_by_NID(exts, nid, -1) >= 0;
}

/* A certificatePolicies extension with the OIDs of -policy_oids. */
static X509_EXTENSION *
policies_ext(const struct cmp_ctx *ctx)
{
    CERTIFICATEPOLICIES *pols = CERTIFICATEPOLICIES_new();
    X509_EXTENSION *ext = NULL;
    int i;

    if (pols == NULL) {
        return NULL;
    }
    for (i = 0; i < sk_ASN1_OBJECT_num(ctx->policies); i++) {
        POLICYINFO *pi = POLICYINFO_new();

        if (pi == NULL) {
            goto done;
        }
        ASN1_OBJECT_free(pi->policyid);
        pi->policyid = OBJ_dup(sk_ASN1_OBJECT_value(ctx->policies, i));
        if (pi->policyid == NULL || !sk_POLICYINFO_push(pols, pi)) {
            POLICYINFO_free(pi);
            goto done;
        }
    }
    ext = X509V3_EXT_i2d(NID_certificate_policies, ctx->policies_critical, pols);
done:
    CERTIFICATEPOLICIES_free(pols);
    return ext;
}

/*
 * The requested extensions (openssl cmp 3.0): those of -csr, overridden by
 * -reqexts; -sans (or by default the SANs of the reference certificate,
 * unless -san_nodefault or -reqexts has some); -policy_oids.
 */
static int
template_extensions(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_cert_template *tmpl,
                    int *has_sans, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    X509 *refcert = cmp_cli_refcert(ctx);
    STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
    STACK_OF(X509_EXTENSION) *more = NULL;
    X509_EXTENSION *ext = NULL;
    unsigned char *der = NULL;
    struct der_in whole;
    int ok = 0, len;

    *has_sans = sk_GENERAL_NAME_num(ctx->sans) > 0;
    if (exts == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "extensions");
    }
    if (ctx->csr != NULL) {
        more = X509_REQ_get_extensions(ctx->csr);
        if (more != NULL && !exts_put_all(exts, more)) {
            goto oom;
        }
        sk_X509_EXTENSION_pop_free(more, X509_EXTENSION_free);
        more = NULL;
    }
    if (ctx->reqexts != NULL) {
        const unsigned char *p = ctx->reqexts;

        more = d2i_X509_EXTENSIONS(NULL, &p, (long)ctx->reqexts_len);
        if (more == NULL) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "-reqexts");
            goto done;
        }
        if (*has_sans && exts_have(more, NID_subject_alt_name)) {
            CMP_FAIL(err, CMP_E_ARG, "-sans cannot be used with SANs in -reqexts");
            goto done;
        }
        if (!exts_put_all(exts, more)) {
            goto oom;
        }
    }
    if (*has_sans) {
        ext = X509V3_EXT_i2d(NID_subject_alt_name, ctx->sans_critical, ctx->sans);
        if (ext == NULL || !exts_put(exts, ext)) {
            goto oom;
        }
    } else if (!ctx->san_nodefault && !exts_have(exts, NID_subject_alt_name) && refcert != NULL) {
        int i = X509_get_ext_by_NID(refcert, NID_subject_alt_name, -1);

        if (i >= 0) {
            if (!exts_put(exts, X509_get_ext(refcert, i))) {
                goto oom;
            }
            *has_sans = 1;
        }
    } else if (exts_have(exts, NID_subject_alt_name)) {
        *has_sans = 1;
    }
    if (sk_ASN1_OBJECT_num(ctx->policies) > 0) {
        X509_EXTENSION_free(ext);
        ext = policies_ext(ctx);
        if (ext == NULL || !exts_put(exts, ext)) {
            goto oom;
        }
    }
    if (sk_X509_EXTENSION_num(exts) > 0) {
        len = i2d_X509_EXTENSIONS(exts, &der);
        if (!keep_der(m, der, len, &whole, "extensions", err)) {
            goto done;
        }
        /* [9] IMPLICIT Extensions: the contents of the SEQUENCE */
        if (!der_get(&whole, DER_SEQUENCE, &tmpl->extensions)) {
            CMP_FAIL(err, CMP_E_ENCODE, "extensions");
            goto done;
        }
        tmpl->has_extensions = 1;
    }
    ok = 1;
    goto done;
oom:
    CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot build the requested extensions");
done:
    X509_EXTENSION_free(ext);
    sk_X509_EXTENSION_pop_free(more, X509_EXTENSION_free);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ok;
}

/* A Time TLV (UTCTime until 2049, as RFC 5280 4.1.2.5) in the arena. */
static int
time_tlv(struct cmp_msg *m, int64_t secs, struct der_in *out, struct cmp_err *err)
{
    ASN1_TIME *tm = ASN1_TIME_set(NULL, (time_t)secs);
    unsigned char *der = NULL;
    int len;

    if (tm == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "validity time");
    }
    len = i2d_ASN1_TIME(tm, &der);
    ASN1_TIME_free(tm);
    return keep_der(m, der, len, out, "validity time", err);
}

/* The CertId of the oldCertID control: issuer and serial of |cert|. */
static int
old_cert_id(struct cmp_msg *m, X509 *cert, struct cmp_itav *ctl, struct cmp_err *err)
{
    struct cmp_certid id;
    struct der_in issuer, serial_tlv, serial;
    unsigned char *der = NULL;
    struct der_out w;
    uint8_t *buf = NULL, *copy, *gbuf;
    size_t len = 0;
    int n;

    memset(&id, 0, sizeof(id));
    if (!cmp_cli_name_der(m, X509_get_issuer_name(cert), &issuer, err)) {
        return 0;
    }
    n = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
    if (!keep_der(m, der, n, &serial_tlv, "serial number", err)) {
        return 0;
    }
    if (!der_get_integer(&serial_tlv, DER_INTEGER, &serial)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "serial number");
    }
    gbuf = cmp_msg_alloc(m, issuer.len + 6);
    if (gbuf == NULL || !cmp_gname_set_dirname(&id.issuer, gbuf, issuer.len + 6, &issuer)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "oldCertID");
    }
    id.serial = serial;
    der_out_init(&w, 64 * 1024);
    if (!cmp_certid_encode(&w, &id) || !der_out_finish(&w, &buf, &len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "oldCertID");
    }
    copy = cmp_msg_dup(m, buf, len);
    free(buf);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "oldCertID");
    }
    ctl->type = cmp_oid(CMP_NID_REG_CTRL_OLD_CERT_ID);
    ctl->has_value = 1;
    ctl->value = der_in_make(copy, len);
    return 1;
}

/* The key whose public part is requested: -newkey, -key, the key of -csr, of the refcert. */
static EVP_PKEY *
enroll_key(const struct cmp_ctx *ctx)
{
    X509 *refcert = cmp_cli_refcert(ctx);

    if (ctx->newkey != NULL) {
        return ctx->newkey;
    }
    if (ctx->key != NULL) {
        return ctx->key;
    }
    if (ctx->csr != NULL) {
        return X509_REQ_get0_pubkey(ctx->csr);
    }
    return refcert != NULL ? X509_get0_pubkey(refcert) : NULL;
}

/* Forgets the certificate requests of an earlier build of the first request. */
static void
reqs_reset(struct cmp_cli_txn *t)
{
    size_t i;

    for (i = 0; i < t->num_reqs; i++) {
        EVP_PKEY_free(t->reqs[i].pub);
        X509_free(t->reqs[i].cert);
    }
    memset(t->reqs, 0, sizeof(t->reqs));
    t->num_reqs = 0;
}

/* Records a certificate request sent: its certReqId and public key (a new reference). */
static int
reqs_add(struct cmp_cli_txn *t, int64_t cert_req_id, EVP_PKEY *pub, struct cmp_err *err)
{
    struct cmp_cli_req *r = &t->reqs[t->num_reqs];

    if (t->num_reqs >= CMP_CLI_MAX_REQS) {
        return CMP_FAIL(err, CMP_E_LIMIT, "more than %d certificate requests", CMP_CLI_MAX_REQS);
    }
    if (pub != NULL && !EVP_PKEY_up_ref(pub)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "key");
    }
    memset(r, 0, sizeof(*r));
    r->cert_req_id = cert_req_id;
    r->pub = pub;
    t->num_reqs++;
    return 1;
}

/* POPO (-popo) of |crm|: a signature by |priv| (RFC 4211 4.1), raVerified or keyEncipherment. */
static int
set_popo(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_cert_req_msg *crm, EVP_PKEY *priv,
         struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;

    switch (ctx->popo) {
    case -1:
        return 1;
    case 0:
        crm->has_popo = 1;
        crm->popo.type = CMP_POPO_RAVERIFIED;
        return 1;
    case 2: {
        static const uint8_t subsequent[] = {0x81, 0x01, 0x00}; /* [1] encrCert */

        crm->has_popo = 1;
        crm->popo.type = CMP_POPO_KEYENC;
        crm->popo.priv_type = CMP_POPO_PRIV_SUBSEQUENT;
        crm->popo.subsequent = CMP_SUBSEQ_ENCR_CERT;
        crm->popo.priv = der_in_make(subsequent, sizeof(subsequent));
        return 1;
    }
    case 1:
    default:
        if (priv == NULL) {
            return CMP_FAIL(err, CMP_E_ARG,
                            "missing private key (-newkey or -key) for the POPO signature");
        }
        /* the SubjectPublicKeyInfo the template was just given, if it is |priv|'s */
        if (!cmp_popo_sign_spki(m, crm, priv, ctx->spki_key == priv ? ctx->spki_der : NULL,
                                ctx->spki_key == priv ? ctx->spki_der_len : 0, ctx->digest, err)) {
            return CMP_CONTEXT(err, "POPO (-popo 1)");
        }
        return 1;
    }
}

/*
 * The further certificate requests of cmp_ctx_add1_request(): the first
 * one's template with their own subject and key, certReqIds 1, 2, ...
 * (RFC 9810 5.3.4: each CertResponse names its request by certReqId).
 */
static int
extra_requests(struct cmp_cli_txn *t, struct cmp_msg *m, EVP_PKEY *first_pub,
               EVP_PKEY *first_priv, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_cert_req_msgs *reqs = &m->body.u.req;
    size_t k;

    for (k = 1; k <= ctx->num_extra; k++) {
        const struct cmp_cli_extra_req *x = &ctx->extra[k - 1];
        struct cmp_cert_req_msg *crm = &reqs->items[k];
        EVP_PKEY *pub = x->newkey != NULL ? x->newkey : first_pub;

        crm->cert_req_id = (int64_t)k;
        crm->tmpl = reqs->items[0].tmpl;
        crm->tmpl.raw = der_in_make(NULL, 0);
        if (x->subject != NULL) {
            crm->tmpl.has_subject = X509_NAME_entry_count(x->subject) > 0;
            crm->tmpl.subject = der_in_make(NULL, 0);
            if (crm->tmpl.has_subject && !cmp_cli_name_der(m, x->subject, &crm->tmpl.subject, err)) {
                return CMP_CONTEXT(err, "certificate request #%zu: subject", k);
            }
        }
        if (!spki_contents(ctx, m, pub, &crm->tmpl.public_key, err) || !reqs_add(t, crm->cert_req_id, pub, err) ||
            !set_popo(t, m, crm, x->newkey != NULL ? x->newkey : first_priv, err)) {
            return CMP_CONTEXT(err, "certificate request #%zu", k);
        }
    }
    return 1;
}

int
cmp_cli_body_certreq(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    X509 *refcert = cmp_cli_refcert(ctx);
    struct cmp_cert_req_msgs *reqs = &m->body.u.req;
    struct cmp_cert_req_msg *crm;
    struct cmp_cert_template *tmpl;
    const X509_NAME *subject = NULL, *issuer = NULL;
    EVP_PKEY *pub = enroll_key(ctx);
    EVP_PKEY *priv = ctx->newkey != NULL ? ctx->newkey : ctx->key;
    int is_kur = m->body.type == CMP_BODY_KUR, has_sans = 0;

    reqs_reset(t);
    if (is_kur && refcert == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "missing -oldcert or -cert: the certificate to update");
    }
    if (pub == NULL && !t->central_keygen) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "missing -newkey (or -key, -csr, -oldcert) for the public key to certify");
    }
    /* A kur updates the one certificate its oldCertID names (RFC 9483 4.1.3). */
    if (is_kur && ctx->num_extra > 0) {
        return CMP_FAIL(err, CMP_E_ARG, "further certificate requests (-extra_req) in a kur");
    }
    /*
     * Central key generation and encrypted certificates (cmp2021 answers
     * decrypted with the one key of the first request) are for the first
     * request alone: a message with further requests is refused before it
     * is sent rather than half of it being answered in a form we cannot read.
     */
    if (ctx->num_extra > 0 && (ctx->popo == -1 || ctx->popo == 2)) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "further certificate requests (-extra_req) with %s: not supported, "
                        "send them in a transaction of their own",
                        ctx->popo == -1 ? "central key generation (-popo -1, -centralkeygen)"
                                        : "an encrypted certificate (-popo 2)");
    }
    reqs->items = calloc(1 + ctx->num_extra, sizeof(*reqs->items));
    if (reqs->items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "CertReqMessages");
    }
    reqs->num = 1 + ctx->num_extra;
    crm = &reqs->items[0];
    tmpl = &crm->tmpl;
    /* RFC 9483 4.1.1: the certReqId of the one CertReqMsg is 0. */
    crm->cert_req_id = 0;

    if (!template_extensions(t, m, tmpl, &has_sans, err)) {
        return CMP_CONTEXT(err, "certificate template");
    }
    /* subject: -subject, -csr's, the refcert's (kur, or ir/cr without SANs) */
    if (ctx->subject != NULL) {
        subject = ctx->subject;
    } else if (ctx->csr != NULL) {
        subject = X509_REQ_get_subject_name(ctx->csr);
    } else if (refcert != NULL && (is_kur || !has_sans)) {
        subject = X509_get_subject_name(refcert);
    }
    if (subject != NULL && X509_NAME_entry_count(subject) > 0) {
        if (!cmp_cli_name_der(m, subject, &tmpl->subject, err)) {
            return CMP_CONTEXT(err, "template subject");
        }
        tmpl->has_subject = 1;
    }
    /* issuer: -issuer, the refcert's issuer */
    issuer = ctx->issuer != NULL ? ctx->issuer
                                 : (refcert != NULL ? X509_get_issuer_name(refcert) : NULL);
    if (issuer != NULL && X509_NAME_entry_count(issuer) > 0) {
        if (!cmp_cli_name_der(m, issuer, &tmpl->issuer, err)) {
            return CMP_CONTEXT(err, "template issuer");
        }
        tmpl->has_issuer = 1;
    }
    if (ctx->days > 0) {
        int64_t now = (int64_t)time(NULL);

        if (!time_tlv(m, now, &tmpl->not_before, err) ||
            !time_tlv(m, now + (int64_t)ctx->days * 86400, &tmpl->not_after, err)) {
            return CMP_CONTEXT(err, "-days");
        }
        tmpl->has_validity = tmpl->has_not_before = tmpl->has_not_after = 1;
    }
    if (t->central_keygen) {
        /* the key comes from the server: no key of ours to compare with */
        if (pub != NULL && !spki_contents_empty(ctx, m, pub, &tmpl->public_key, err)) {
            return 0;
        }
        tmpl->has_public_key = pub != NULL;
        if (!reqs_add(t, 0, NULL, err)) {
            return 0;
        }
    } else {
        if (!spki_contents(ctx, m, pub, &tmpl->public_key, err)) {
            return 0;
        }
        tmpl->has_public_key = 1;
        if (!reqs_add(t, 0, pub, err)) {
            return 0;
        }
    }
    if (is_kur) {
        /* RFC 4211 6.5, RFC 9483 4.1.3: the certificate being updated */
        crm->controls.items.items = calloc(1, sizeof(*crm->controls.items.items));
        if (crm->controls.items.items == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "controls");
        }
        crm->controls.items.num = 1;
        crm->has_controls = 1;
        if (!old_cert_id(m, refcert, &crm->controls.items.items[0], err)) {
            return CMP_CONTEXT(err, "oldCertID");
        }
    }
    /* The further requests copy the first template before its POPO is set. */
    return extra_requests(t, m, pub, priv, err) && set_popo(t, m, crm, priv, err);
}

int
cmp_cli_body_p10cr(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    unsigned char *der = NULL;
    EVP_PKEY *pub;
    int len;

    if (ctx->csr == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "missing -csr for p10cr");
    }
    len = i2d_X509_REQ(ctx->csr, &der);
    if (!keep_der(m, der, len, &m->body.u.p10cr, "-csr", err)) {
        return 0;
    }
    /* RFC 9483 4.1.4: the response's certReqId is -1 */
    reqs_reset(t);
    pub = X509_REQ_get0_pubkey(ctx->csr);
    if (pub == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "-csr has no usable public key");
    }
    return reqs_add(t, -1, pub, err);
}

/* ---- rr ---- */

/* crlEntryDetails: Extensions { cRLReason ENUMERATED } */
static int
crl_reason(struct cmp_msg *m, int reason, struct der_in *out, struct cmp_err *err)
{
    struct der_out w;
    size_t seq, ext, oct;
    uint8_t *buf = NULL, *copy;
    size_t len = 0;

    der_out_init(&w, 64);
    if (!(der_open(&w, DER_SEQUENCE, &seq) && der_open(&w, DER_SEQUENCE, &ext) &&
          cmp_oid_put(&w, CMP_NID_CRL_REASON) &&
          der_open(&w, DER_OCTET_STRING, &oct) && der_put_int64_tag(&w, DER_ENUMERATED, reason) &&
          der_close(&w, oct) && der_close(&w, ext) && der_close(&w, seq)) ||
        !der_out_finish(&w, &buf, &len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "CRLReason");
    }
    copy = cmp_msg_dup(m, buf, len);
    free(buf);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "CRLReason");
    }
    *out = der_in_make(copy, len);
    return 1;
}

int
cmp_cli_body_rr(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_rev_req *rr = &m->body.u.rr;
    struct cmp_cert_template *tmpl;

    if (ctx->oldcert == NULL && ctx->csr == NULL &&
        (ctx->serial == NULL || ctx->issuer == NULL)) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "missing -oldcert, -issuer and -serial, or -csr: the certificate to revoke");
    }
    rr->items = calloc(1, sizeof(*rr->items));
    if (rr->items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "RevReqContent");
    }
    rr->num = 1;
    tmpl = &rr->items[0].cert_details;
    if (ctx->serial != NULL && ctx->issuer != NULL) {
        /* -issuer and -serial (openssl cmp 3.2): they name it, without -oldcert */
        if (!cmp_cli_name_der(m, ctx->issuer, &tmpl->issuer, err)) {
            return CMP_CONTEXT(err, "-issuer");
        }
        tmpl->serial = der_in_make(ctx->serial, ctx->serial_len);
        tmpl->has_serial = tmpl->has_issuer = 1;
    } else if (ctx->oldcert != NULL) {
        /* RFC 9483 4.2: issuer and serialNumber of the certificate */
        unsigned char *der = NULL;
        struct der_in tlv;
        int len = i2d_ASN1_INTEGER(X509_get0_serialNumber(ctx->oldcert), &der);

        if (!keep_der(m, der, len, &tlv, "serial number", err) ||
            !cmp_cli_name_der(m, X509_get_issuer_name(ctx->oldcert), &tmpl->issuer, err)) {
            return CMP_CONTEXT(err, "-oldcert");
        }
        if (!der_get_integer(&tlv, DER_INTEGER, &tmpl->serial)) {
            return CMP_FAIL(err, CMP_E_ENCODE, "serial number");
        }
        tmpl->has_serial = tmpl->has_issuer = 1;
    } else {
        /* from a CSR: its subject and public key */
        EVP_PKEY *pub = X509_REQ_get0_pubkey(ctx->csr);

        if (pub == NULL || !spki_contents(ctx, m, pub, &tmpl->public_key, err) ||
            !cmp_cli_name_der(m, X509_REQ_get_subject_name(ctx->csr), &tmpl->subject, err)) {
            return CMP_FAIL(err, CMP_E_ARG, "-csr: no usable subject and public key");
        }
        tmpl->has_public_key = tmpl->has_subject = 1;
    }
    if (ctx->revreason >= 0) {
        if (!crl_reason(m, ctx->revreason, &rr->items[0].crl_entry_details, err)) {
            return 0;
        }
        rr->items[0].has_crl_entry_details = 1;
    }
    return 1;
}

/* ---- genm, certConf, pollReq ---- */

int
cmp_cli_body_genm(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_ctx *ctx = t->ctx;
    struct cmp_itavs *itavs = &m->body.u.itavs;

    if (ctx->support_itav.type.len > 0) {
        /* a support message's own ITAV (support.c), whatever -infotype says */
        itavs->items = calloc(1, sizeof(*itavs->items));
        if (itavs->items == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "GenMsgContent");
        }
        itavs->num = 1;
        itavs->items[0] = ctx->support_itav;
        return 1;
    }
    if (ctx->infotype == NULL) {
        return 1; /* an empty genm: the server chooses what to tell */
    }
    itavs->items = calloc(1, sizeof(*itavs->items));
    if (itavs->items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "GenMsgContent");
    }
    itavs->num = 1;
    itavs->items[0].type = der_in_make(ctx->infotype, ctx->infotype_len);
    return 1;
}

/*
 * RFC 9810 5.3.18 (as RFC 9480 2.10 updated it): when the certificate's
 * signature algorithm names no hash (EdDSA), the certConf says which one
 * its certHash used, in hashAlg, and that needs pvno cmp2021(3). As
 * openssl cmp 3.3+ does; 3.0 sends neither.
 */
static int
hash_alg_if_needed(struct cmp_msg *m, const X509 *cert, struct cmp_certstatus *cs,
                   struct cmp_err *err)
{
    const struct cmp_digest *d = NULL;
    struct der_out w;
    struct der_in whole, rest, inner;
    uint8_t *der = NULL, *copy;
    size_t len = 0, seq;
    int ok;

    if (!cmp_cert_hash_fallback(cert, &d, err)) {
        return 0;
    }
    if (d == NULL) {
        return 1;
    }
    /* AlgorithmIdentifier { algorithm, parameters absent } (RFC 9481 2) */
    der_out_init(&w, 64);
    ok = der_open(&w, DER_SEQUENCE, &seq) && cmp_oid_put(&w, d->nid) && der_close(&w, seq) &&
         der_out_finish(&w, &der, &len);
    der_out_cleanup(&w);
    copy = ok ? cmp_msg_dup(m, der, len) : NULL;
    free(der);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_ENCODE, "certConf hashAlg");
    }
    whole = der_in_make(copy, len);
    rest = whole;
    if (!der_get(&rest, DER_SEQUENCE, &inner) || !der_get_oid(&inner, &cs->hash_alg.oid)) {
        return CMP_FAIL(err, CMP_E_ENCODE, "certConf hashAlg");
    }
    cs->hash_alg.whole = whole;
    cs->hash_alg.params = DER_IN_EMPTY;
    cs->has_hash_alg = 1;
    m->hdr.pvno = CMP_PVNO_2021;
    return 1;
}

/* One CertStatus (RFC 9810 5.3.18): certHash, certReqId, and our verdict. */
static int
cert_status(struct cmp_msg *m, struct cmp_certstatus *cs, const struct cmp_cli_req *r,
            struct cmp_err *err)
{
    uint8_t hash[EVP_MAX_MD_SIZE], *copy;
    size_t hash_len = 0;

    if (!hash_alg_if_needed(m, r->cert, cs, err) ||
        !cmp_cert_hash(r->cert, cs->has_hash_alg ? &cs->hash_alg : NULL, hash, &hash_len, err)) {
        return CMP_CONTEXT(err, "certHash");
    }
    copy = cmp_msg_dup(m, hash, hash_len);
    if (copy == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certConf");
    }
    cs->cert_hash = der_in_make(copy, hash_len);
    cs->cert_req_id = r->cert_req_id;
    cs->has_status = 1;
    cs->status.status = r->reject_bits != 0 ? CMP_STATUS_REJECTION : CMP_STATUS_ACCEPTED;
    if (r->reject_bits != 0) {
        cs->status.has_fail_info = 1;
        cs->status.fail_info = r->reject_bits;
        if (r->reject_text != NULL) {
            cs->status.status_string.strs = calloc(1, sizeof(*cs->status.status_string.strs));
            if (cs->status.status_string.strs == NULL) {
                return CMP_FAIL(err, CMP_E_MEMORY, "certConf");
            }
            cs->status.status_string.strs[0] =
                der_in_make((const uint8_t *)r->reject_text, strlen(r->reject_text));
            cs->status.status_string.num = 1;
            cs->status.has_status_string = 1;
        }
    }
    return 1;
}

/*
 * certConf: a CertStatus for each certificate received and not yet
 * confirmed (implicitly or by an earlier certConf), accepting or rejecting
 * it (RFC 9810 5.3.18).
 */
int
cmp_cli_body_certconf(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_certconf *cc = &m->body.u.cert_conf;
    size_t i;

    cc->items = calloc(t->num_reqs + 1, sizeof(*cc->items));
    if (cc->items == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "certConf");
    }
    for (i = 0; i < t->num_reqs; i++) {
        const struct cmp_cli_req *r = &t->reqs[i];

        if (r->cert == NULL || r->confirmed) {
            continue;
        }
        if (!cert_status(m, &cc->items[cc->num], r, err)) {
            return 0;
        }
        cc->num++;
    }
    if (cc->num == 0) {
        return CMP_FAIL(err, CMP_E_ARG, "certConf without a certificate");
    }
    return 1;
}

size_t
cmp_cli_polled_ids(const struct cmp_cli_txn *t, int64_t *out)
{
    size_t i, n = 0;

    if (t->poll_id == -1) {
        /* RFC 9810 5.3.22: -1 polls for a whole message ('waiting' error message) */
        out[n++] = -1;
        return n;
    }
    for (i = 0; i < t->num_reqs; i++) {
        if (t->reqs[i].waiting) {
            out[n++] = t->reqs[i].cert_req_id;
        }
    }
    return n;
}

/* pollReq (RFC 9810 5.3.22): the certReqIds still 'waiting', or -1. */
int
cmp_cli_body_pollreq(struct cmp_cli_txn *t, struct cmp_msg *m, struct cmp_err *err)
{
    struct cmp_poll_req *pr = &m->body.u.poll_req;

    pr->cert_req_ids = calloc(CMP_CLI_MAX_REQS, sizeof(*pr->cert_req_ids));
    if (pr->cert_req_ids == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "pollReq");
    }
    pr->num = cmp_cli_polled_ids(t, pr->cert_req_ids);
    if (pr->num == 0) {
        return CMP_FAIL(err, CMP_E_ARG, "pollReq without a request waiting");
    }
    return 1;
}
