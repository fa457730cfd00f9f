/*
 * The values of the CA's answers to support messages (genm, RFC 9810
 * 5.3.19.14-17, RFC 9483 4.3) that come from its configuration: the
 * certificate request template of a profile and the root CA key update.
 * The responder (responder.c) picks what to answer; lib/msg encodes the
 * structures.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"
#include "crypto/crypto.h"
#include "msg/msg.h"

/* Writes the OBJECT IDENTIFIER of OpenSSL NID |nid|. */
static int
put_obj(struct der_out *w, int nid)
{
    const ASN1_OBJECT *o = OBJ_nid2obj(nid);
    const unsigned char *p = o != NULL ? OBJ_get0_data(o) : NULL;
    size_t len = o != NULL ? OBJ_length(o) : 0;

    return p != NULL && len > 0 && der_put_prim(w, DER_OID, p, len);
}

/*
 * The subject of the template: each attribute the profile requires, with
 * an empty value for the EE to fill in (RFC 9483 4.3.3). Attributes whose
 * syntax is PrintableString (C, serialNumber, dnQualifier) are written so.
 */
static int
put_subject(struct der_out *w, const struct cmp_ca_profile *p)
{
    size_t seq, set, atv, i;
    int ok = der_open(w, DER_SEQUENCE, &seq);

    for (i = 0; ok && i < p->num_subject_required; i++) {
        int nid = p->subject_required[i];
        uint32_t tag = nid == NID_countryName || nid == NID_serialNumber || nid == NID_dnQualifier
                           ? DER_PRINTABLE_STRING
                           : DER_UTF8_STRING;

        ok = der_open(w, DER_SET, &set) && der_open(w, DER_SEQUENCE, &atv) && put_obj(w, nid) &&
             der_put_prim(w, tag, NULL, 0) && der_close(w, atv) && der_close(w, set);
    }
    return ok && der_close(w, seq);
}

/*
 * The extensions the profile puts in every certificate (basicConstraints,
 * forced keyUsage and extendedKeyUsage) with their values, and a
 * subjectAltName with an empty value when the profile requires one (the EE
 * fills it in): an Extensions SEQUENCE into |*out|.
 */
static int
extensions_der(const struct cmp_ca_profile *p, uint8_t **out, int *out_len)
{
    STACK_OF(X509_EXTENSION) *exts = NULL;
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    ASN1_BIT_STRING *ku = NULL;
    EXTENDED_KEY_USAGE *eku = NULL;
    ASN1_OCTET_STRING *empty = NULL;
    X509_EXTENSION *san = NULL;
    static const unsigned char no_names[] = {0x30, 0x00};
    size_t i;
    int ok = bc != NULL;

    *out = NULL;
    *out_len = 0;
    if (ok) {
        bc->ca = p->ca ? 0xFF : 0;
        if (p->ca && p->path_len >= 0) {
            bc->pathlen = ASN1_INTEGER_new();
            ok = bc->pathlen != NULL && ASN1_INTEGER_set(bc->pathlen, p->path_len) == 1;
        }
        ok = ok && X509V3_add1_i2d(&exts, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) == 1;
    }
    if (ok && p->ku_forced != 0) {
        ku = cmp_ca_ku_bits(p->ku_forced);
        ok = ku != NULL && X509V3_add1_i2d(&exts, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;
    }
    if (ok && p->num_eku_forced > 0) {
        eku = sk_ASN1_OBJECT_new_null();
        for (i = 0; eku != NULL && ok && i < p->num_eku_forced; i++) {
            ASN1_OBJECT *o = OBJ_dup(p->eku_forced[i]);

            ok = o != NULL && sk_ASN1_OBJECT_push(eku, o) > 0;
            if (!ok) {
                ASN1_OBJECT_free(o);
            }
        }
        ok = ok && eku != NULL &&
             X509V3_add1_i2d(&exts, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) == 1;
    }
    if (ok && p->san_required != 0) {
        empty = ASN1_OCTET_STRING_new();
        ok = empty != NULL && ASN1_OCTET_STRING_set(empty, no_names, sizeof(no_names)) == 1 &&
             (san = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, empty)) != NULL &&
             X509v3_add_ext(&exts, san, -1) != NULL;
    }
    ok = ok && exts != NULL && (*out_len = i2d_X509_EXTENSIONS(exts, out)) > 0;
    BASIC_CONSTRAINTS_free(bc);
    ASN1_BIT_STRING_free(ku);
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    ASN1_OCTET_STRING_free(empty);
    X509_EXTENSION_free(san);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return ok;
}

/*
 * The keySpec: one control per key type the profile takes (RFC 9483
 * 4.3.3): id-regCtrl-algId with id-ecPublicKey and the curve, or the EdDSA
 * algorithm; id-regCtrl-rsaKeyLen with the smallest RSA size allowed (RSA
 * is never named by algId): what the EE may generate itself, whatever the
 * profile generates centrally. |vals| receives the values; |ctl| points at
 * them.
 */
#define MAX_KEY_SPECS (CMP_CA_MAX_CURVES + 3)

static int
key_spec(const struct cmp_ca_profile *p, struct cmp_itav *ctl, struct der_out *vals, size_t *num)
{
    const int *curves = p->curves;
    int rsa = p->rsa, ed25519 = p->ed25519, ed448 = p->ed448, rsa_bits = p->rsa_min_bits;
    size_t ncurves = p->num_curves, i, n = 0, start[MAX_KEY_SPECS], mark;
    int ok = 1;

    for (i = 0; ok && i < ncurves; i++) {
        start[n] = vals->len;
        ctl[n++].type = cmp_oid(CMP_NID_REG_CTRL_ALG_ID);
        ok = der_open(vals, DER_SEQUENCE, &mark) && put_obj(vals, NID_X9_62_id_ecPublicKey) &&
             put_obj(vals, curves[i]) && der_close(vals, mark);
    }
    if (ok && ed25519) {
        start[n] = vals->len;
        ctl[n++].type = cmp_oid(CMP_NID_REG_CTRL_ALG_ID);
        ok = der_open(vals, DER_SEQUENCE, &mark) && put_obj(vals, NID_ED25519) &&
             der_close(vals, mark);
    }
    if (ok && ed448) {
        start[n] = vals->len;
        ctl[n++].type = cmp_oid(CMP_NID_REG_CTRL_ALG_ID);
        ok = der_open(vals, DER_SEQUENCE, &mark) && put_obj(vals, NID_ED448) &&
             der_close(vals, mark);
    }
    if (ok && rsa) {
        start[n] = vals->len;
        ctl[n++].type = cmp_oid(CMP_NID_REG_CTRL_RSA_KEY_LEN);
        ok = der_put_int64(vals, rsa_bits);
    }
    if (!ok) {
        return 0;
    }
    /* the values are slices of |vals|, whose buffer no longer moves */
    for (i = 0; i < n; i++) {
        size_t end = i + 1 < n ? start[i + 1] : vals->len;

        ctl[i].has_value = 1;
        ctl[i].value = der_in_make(vals->buf + start[i], end - start[i]);
    }
    *num = n;
    return 1;
}

int
cmp_ca_support_template(const struct cmp_ca_profile *p, uint8_t **out, size_t *out_len,
                        struct cmp_err *err)
{
    struct cmp_cert_req_template t;
    struct cmp_itav ctl[MAX_KEY_SPECS];
    struct der_out subj, vals, w;
    uint8_t *exts = NULL;
    struct der_in in, contents;
    int exts_len = 0, ok;

    *out = NULL;
    *out_len = 0;
    memset(&t, 0, sizeof(t));
    memset(ctl, 0, sizeof(ctl));
    der_out_init(&subj, CMP_MAX_MSG_LEN);
    der_out_init(&vals, CMP_MAX_MSG_LEN);
    der_out_init(&w, CMP_MAX_MSG_LEN);
    ok = key_spec(p, ctl, &vals, &t.key_spec.num) && extensions_der(p, &exts, &exts_len);
    if (ok && p->num_subject_required > 0) {
        ok = put_subject(&subj, p);
        t.tmpl.has_subject = 1;
        t.tmpl.subject = der_in_make(subj.buf, subj.len);
    }
    if (ok) {
        /* CertTemplate extensions [9] holds the Extension TLVs */
        in = der_in_make(exts, (size_t)exts_len);
        ok = der_get(&in, DER_SEQUENCE, &contents) && contents.len > 0;
        t.tmpl.has_extensions = ok;
        t.tmpl.extensions = contents;
    }
    t.has_key_spec = t.key_spec.num > 0;
    t.key_spec.items = ctl;
    ok = ok && cmp_cert_req_template_encode(&w, &t) && der_out_finish(&w, out, out_len);
    OPENSSL_free(exts);
    der_out_cleanup(&subj);
    der_out_cleanup(&vals);
    der_out_cleanup(&w);
    if (!ok) {
        ERR_clear_error();
        return CMP_FAIL(err, CMP_E_ENCODE, "certReqTemplate of profile %s", p->name);
    }
    return 1;
}

/* The DER of |x| (OPENSSL_malloc'd) as a der_in; NULL |x|: empty. */
static int
cert_der(X509 *x, unsigned char **buf, struct der_in *out)
{
    int len = x != NULL ? i2d_X509(x, buf) : 0;

    *out = der_in_make(*buf, len > 0 ? (size_t)len : 0);
    return x == NULL || len > 0;
}

int
cmp_ca_support_root_update(X509 *new_with_new, X509 *new_with_old, X509 *old_with_new,
                           uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    struct cmp_root_ca_key_update u;
    unsigned char *d[3] = {NULL, NULL, NULL};
    struct der_out w;
    int ok;

    memset(&u, 0, sizeof(u));
    der_out_init(&w, CMP_MAX_MSG_LEN);
    ok = new_with_new != NULL && cert_der(new_with_new, &d[0], &u.new_with_new) &&
         cert_der(new_with_old, &d[1], &u.new_with_old) &&
         cert_der(old_with_new, &d[2], &u.old_with_new);
    u.has_new_with_old = new_with_old != NULL;
    u.has_old_with_new = old_with_new != NULL;
    ok = ok && cmp_root_ca_key_update_encode(&w, &u) && der_out_finish(&w, out, out_len);
    der_out_cleanup(&w);
    OPENSSL_free(d[0]);
    OPENSSL_free(d[1]);
    OPENSSL_free(d[2]);
    if (!ok) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE,
                            "the root CA key update (-rsp_newwithnew, "
                            "-rsp_newwithold, -rsp_oldwithnew)");
    }
    return 1;
}
