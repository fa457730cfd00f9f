/*
 * The rules for what a client accepts in a genp answering one of the
 * support messages of RFC 9810 5.3.19.14 to 5.3.19.17 (RFC 9483 4.3):
 * caCerts, rootCaKeyUpdate, certReqTemplate and crls. The syntax of the
 * values is lib/msg's (genmval.c); here are the rules beyond it, and the
 * checks that keep a server (or an RA on the path) from slipping in
 * certificates the client would then trust.
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "verify/internal.h"
#include "verify/verify.h"

/* ---- the answer's ITAV ---- */

int
cmp_vfy_genp_itav(const struct cmp_msg *msg, int nid, const struct cmp_itav **out,
                  size_t *num_others, struct cmp_err *err)
{
    const struct cmp_itavs *itavs = &msg->body.u.itavs;
    size_t i, others = 0;

    *out = NULL;
    if (msg->body.type != CMP_BODY_GENP) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not a genp");
    }
    /*
     * RFC 9483 4.3: the genp answers with the infoType asked for (its value
     * absent if there is nothing to tell). As openssl: the first ITAV of
     * that type counts; others are counted for a warning.
     */
    for (i = 0; i < itavs->num; i++) {
        if (*out == NULL && cmp_oid_is(&itavs->items[i].type, nid)) {
            *out = &itavs->items[i];
        } else {
            others++;
        }
    }
    if (num_others != NULL) {
        *num_others = others;
    }
    if (*out == NULL) {
        struct der_in oid = cmp_oid(nid);

        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "genp has %zu ITAV(s) but none of the requested type %s", itavs->num,
                             cmp_oid_name(&oid));
    }
    return 1;
}

/* ---- caCerts (RFC 9810 5.3.19.14, RFC 9483 4.3.1) ---- */

/* |cert| is within its validity period at |vpm|'s time (none with -no_check_time): 0, else <0 or
 * >0. */
static int
check_time(X509 *cert, X509_VERIFY_PARAM *vpm)
{
    return X509_cmp_timeframe(vpm, X509_get0_notBefore(cert), X509_get0_notAfter(cert));
}

int
cmp_vfy_ca_certs(const struct der_in *value, X509_VERIFY_PARAM *vpm, STACK_OF(X509) * *out,
                 struct cmp_err *err)
{
    struct cmp_certs certs;
    struct der_in v = *value;
    size_t i;
    int ok = 1;

    *out = NULL;
    memset(&certs, 0, sizeof(certs));
    if (!cmp_certs_decode(&v, DER_SEQUENCE, &certs, err)) {
        cmp_certs_cleanup(&certs);
        return CMP_CONTEXT(err, "caCerts");
    }
    if (!der_done(&v)) {
        cmp_certs_cleanup(&certs);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "caCerts: trailing data");
    }
    *out = sk_X509_new_null();
    if (*out == NULL) {
        cmp_certs_cleanup(&certs);
        return CMP_FAIL(err, CMP_E_MEMORY, "caCerts");
    }
    /*
     * The certificates are to be trusted as CA certificates: as openssl,
     * each must be one (basicConstraints cA, RFC 5280 4.2.1.9; a v1
     * certificate has no extensions and passes) and be valid now (RFC 5280
     * 4.1.2.5; -attime and -no_check_time apply).
     */
    for (i = 0; ok && i < certs.num; i++) {
        X509 *x = cmp_vfy_cert_parse(&certs.items[i]);
        int t;

        if (x == NULL) {
            ok = CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "caCerts[%zu] is not a certificate", i);
            break;
        }
        if (!sk_X509_push(*out, x)) {
            X509_free(x);
            ok = CMP_FAIL(err, CMP_E_MEMORY, "caCerts");
            break;
        }
        t = check_time(x, vpm);
        if (t != 0) {
            ok = CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA, "caCerts[%zu] %s", i,
                               t > 0 ? "has expired" : "is not yet valid");
        } else if ((X509_get_extension_flags(x) & EXFLAG_V1) == 0 &&
                   (X509_get_extension_flags(x) & EXFLAG_CA) == 0) {
            ok = CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA, "caCerts[%zu] is not a CA certificate",
                               i);
        }
    }
    ERR_clear_error();
    cmp_certs_cleanup(&certs);
    if (!ok) {
        sk_X509_pop_free(*out, X509_free);
        *out = NULL;
    }
    return ok;
}

/* ---- rootCaKeyUpdate (RFC 9810 5.3.19.15, RFC 9483 4.3.2) ---- */

/* |a| and |b| have the same subject and the same public key. */
static int
same_subject_and_key(X509 *a, X509 *b)
{
    EVP_PKEY *ka = X509_get0_pubkey(a), *kb = X509_get0_pubkey(b);
    int ok = X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)) == 0 && ka != NULL &&
             kb != NULL && EVP_PKEY_eq(ka, kb) == 1;

    ERR_clear_error();
    return ok;
}

/* A CA certificate that may sign certificates (RFC 5280 4.2.1.3, 4.2.1.9). */
static int
is_ca(X509 *x)
{
    int ok = X509_check_ca(x) > 0;

    ERR_clear_error();
    return ok;
}

/* A store whose only trust anchor is |anchor|, with |vpm|. */
static X509_STORE *
single_anchor(X509 *anchor, struct cmp_err *err)
{
    X509_STORE *s = X509_STORE_new();

    if (s == NULL || !X509_STORE_add_cert(s, anchor)) {
        X509_STORE_free(s);
        ERR_clear_error();
        CMP_FAIL(err, CMP_E_MEMORY, "trust store");
        return NULL;
    }
    return s;
}

/*
 * |link| (newWithOld, or oldWithNew) is the certificate that carries the
 * key of |target| (newWithNew, or oldWithOld) signed by the other key: it
 * has target's subject and public key, is a CA certificate, and validates
 * straight to a trust anchor of |anchors| (no intermediates: the other
 * root signed it). Only then does the trust in |anchors| pass to target's
 * key.
 */
static int
check_link(X509_STORE *anchors, X509 *link, X509 *target, X509_VERIFY_PARAM *vpm,
           const char *link_name, const char *target_name, const char *anchor_name,
           struct cmp_err *err)
{
    char what[160];

    if (!same_subject_and_key(link, target)) {
        return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA,
                             "%s does not certify the subject and key of %s", link_name,
                             target_name);
    }
    if (!is_ca(link)) {
        return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA, "%s is not a CA certificate", link_name);
    }
    snprintf(what, sizeof(what), "%s (against %s)", link_name, anchor_name);
    return cmp_vfy_cert_path(anchors, NULL, link, vpm, 0, 0, CMP_FI_INCORRECT_DATA, what, err);
}

/* |x| is one of the trust anchors of |store| (the same certificate). */
static int
is_anchor(X509_STORE *store, X509 *x)
{
    STACK_OF(X509) *all = store != NULL ? X509_STORE_get1_all_certs(store) : NULL;
    int i, found = 0;

    for (i = 0; !found && i < sk_X509_num(all); i++) {
        found = X509_cmp(sk_X509_value(all, i), x) == 0;
    }
    sk_X509_pop_free(all, X509_free);
    ERR_clear_error();
    return found;
}

int
cmp_vfy_root_ca_update(X509 *old_root, X509_STORE *trusted, X509 *new_with_new, X509 *new_with_old,
                       X509 *old_with_new, X509_VERIFY_PARAM *vpm, struct cmp_err *err)
{
    X509_STORE *anchors = NULL;
    const char *anchor_name = old_root != NULL ? "-oldwithold" : "-trusted";
    EVP_PKEY *key = X509_get0_pubkey(new_with_new);
    int t, ok = 0;

    /* newWithNew is the new root: self-signed with its own key, a CA, valid now. */
    if (key == NULL || X509_verify(new_with_new, key) != 1 ||
        X509_NAME_cmp(X509_get_subject_name(new_with_new), X509_get_issuer_name(new_with_new)) !=
            0) {
        ERR_clear_error();
        return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA, "newWithNew is not self-signed");
    }
    if (!is_ca(new_with_new)) {
        return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA, "newWithNew is not a CA certificate");
    }
    t = check_time(new_with_new, vpm);
    if (t != 0) {
        return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA, "newWithNew %s",
                             t > 0 ? "has expired" : "is not yet valid");
    }
    if (old_root != NULL) {
        anchors = single_anchor(old_root, err);
        if (anchors == NULL) {
            return 0;
        }
    } else if (trusted != NULL) {
        anchors = trusted;
    } else {
        return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA,
                             "no -oldwithold and no -trusted to validate newWithNew");
    }
    if (new_with_old == NULL) {
        /*
         * RFC 9483 4.3.2: newWithOld MUST be present with newWithNew. openssl
         * validates newWithNew alone against the anchors instead, which
         * only succeeds for a certificate that already is one; so do we: it
         * changes nothing the client trusts.
         */
        if (!is_anchor(anchors, new_with_new)) {
            CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA,
                          "newWithOld is missing (RFC 9483 4.3.2) and newWithNew is not a trust "
                          "anchor of %s already",
                          anchor_name);
            goto end;
        }
    } else if (!check_link(anchors, new_with_old, new_with_new, vpm, "newWithOld", "newWithNew",
                           anchor_name, err)) {
        goto end;
    }
    /* oldWithNew: the old key signed with the new one; checkable only against -oldwithold. */
    if (old_root != NULL && old_with_new != NULL) {
        X509_STORE *new_anchor = single_anchor(new_with_new, err);

        if (new_anchor == NULL) {
            goto end;
        }
        ok = check_link(new_anchor, old_with_new, old_root, vpm, "oldWithNew", "oldWithOld",
                        "newWithNew", err);
        X509_STORE_free(new_anchor);
        if (!ok) {
            goto end;
        }
    }
    ok = 1;
end:
    if (anchors != trusted) {
        X509_STORE_free(anchors);
    }
    return ok;
}

/* ---- certReqTemplate (RFC 9810 5.3.19.16, RFC 9483 4.3.3) ---- */

int
cmp_vfy_cert_req_template(const struct cmp_cert_req_template *t, struct cmp_err *err)
{
    size_t i;

    /* RFC 9810 5.3.19.16: "The publicKey field in the certTemplate MUST NOT be used." */
    if (t->tmpl.has_public_key) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                             "certReqTemplate: certTemplate has a publicKey");
    }
    for (i = 0; t->has_key_spec && i < t->key_spec.num; i++) {
        const struct cmp_itav *c = &t->key_spec.items[i];
        struct der_in v = c->value;
        struct cmp_algid alg;
        int64_t len;

        if (cmp_oid_is(&c->type, CMP_NID_REG_CTRL_ALG_ID)) {
            /*
             * An AlgorithmIdentifier "other than rsaEncryption": for RSA
             * the id-regCtrl-rsaKeyLen control SHALL be used.
             */
            memset(&alg, 0, sizeof(alg));
            if (!cmp_algid_decode(&v, DER_SEQUENCE, &alg, NULL) || !der_done(&v)) {
                return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                     "certReqTemplate keySpec #%zu: id-regCtrl-algId is not an "
                                     "AlgorithmIdentifier",
                                     i);
            }
            if (cmp_oid_is(&alg.oid, CMP_NID_RSA_ENCRYPTION)) {
                return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                                     "certReqTemplate keySpec #%zu: id-regCtrl-algId names "
                                     "rsaEncryption (id-regCtrl-rsaKeyLen is for RSA)",
                                     i);
            }
        } else if (cmp_oid_is(&c->type, CMP_NID_REG_CTRL_RSA_KEY_LEN)) {
            /* RsaKeyLenCtrl ::= INTEGER (1..MAX) */
            if (!der_get_int64(&v, &len) || !der_done(&v) || len < 1) {
                return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                     "certReqTemplate keySpec #%zu: id-regCtrl-rsaKeyLen is not an "
                                     "INTEGER (1..MAX)",
                                     i);
            }
        } else {
            char name[96];

            cmp_oid_text(&c->type, name, sizeof(name));
            return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                                 "certReqTemplate keySpec #%zu has type %s, neither "
                                 "id-regCtrl-algId nor id-regCtrl-rsaKeyLen",
                                 i, name);
        }
    }
    return 1;
}

/* ---- crls (RFC 9810 5.3.19.17, RFC 9483 4.3.4) ---- */

/* The seconds since the epoch of an ASN1_TIME; 0 if it cannot be read. */
static int
asn1_time_secs(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        ERR_clear_error();
        return 0;
    }
    *out = der_time_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                               tm.tm_min, tm.tm_sec);
    return 1;
}

int
cmp_vfy_crls(const struct der_in *value, const struct cmp_crl_status *sent, X509_CRL **out,
             struct cmp_err *err)
{
    struct cmp_certs crls;
    struct der_in v = *value;
    const unsigned char *p;
    X509_CRL *crl;
    int64_t this_update;

    *out = NULL;
    memset(&crls, 0, sizeof(crls));
    if (!cmp_certs_decode(&v, DER_SEQUENCE, &crls, err)) {
        cmp_certs_cleanup(&crls);
        return CMP_CONTEXT(err, "crls");
    }
    if (!der_done(&v)) {
        cmp_certs_cleanup(&crls);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "crls: trailing data");
    }
    /* One CRLStatus asked about one CRL (as openssl, which takes exactly one). */
    if (crls.num != 1) {
        size_t num = crls.num;

        cmp_certs_cleanup(&crls);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "crls: %zu CRLs for the one CRLStatus sent", num);
    }
    p = crls.items[0].p;
    ERR_set_mark();
    crl = crls.items[0].len <= (size_t)LONG_MAX ? d2i_X509_CRL(NULL, &p, (long)crls.items[0].len)
                                                : NULL;
    ERR_pop_to_mark();
    if (crl == NULL || p != crls.items[0].p + crls.items[0].len) {
        X509_CRL_free(crl);
        cmp_certs_cleanup(&crls);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "crls[0] is not a CRL");
    }
    cmp_certs_cleanup(&crls);
    /* The source named the CRL's issuer: it must be that CA's CRL. */
    if (sent->source_type == CMP_CRL_SOURCE_ISSUER && sent->num_names > 0 &&
        sent->names[0].type == CMP_GN_DIRNAME) {
        X509_NAME *issuer = cmp_vfy_name_parse(&sent->names[0].value);
        int same = issuer != NULL && X509_NAME_cmp(issuer, X509_CRL_get_issuer(crl)) == 0;

        X509_NAME_free(issuer);
        ERR_clear_error();
        if (!same) {
            X509_CRL_free(crl);
            return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA,
                                 "crls: the CRL's issuer is not the one asked for");
        }
    }
    /*
     * RFC 9810 5.3.19.17: "The server shall provide only those CRLs that
     * are more recent than the ones indicated by the client."
     */
    if (sent->has_this_update) {
        if (!asn1_time_secs(X509_CRL_get0_lastUpdate(crl), &this_update)) {
            X509_CRL_free(crl);
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "crls: the CRL's thisUpdate");
        }
        if (this_update <= sent->this_update_secs) {
            X509_CRL_free(crl);
            return CMP_FAIL_INFO(err, CMP_FI_INCORRECT_DATA,
                                 "crls: the CRL is not more recent than the one we have");
        }
    }
    *out = crl;
    return 1;
}
