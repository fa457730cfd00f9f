/*
 * The values of the genm/genp support messages of RFC 9810 5.3.19.14 to
 * 5.3.19.17 (RFC 9483 4.3): RootCaKeyUpdateContent, CertReqTemplateContent,
 * the CRLStatus list, with their printers. The ASN.1 is in msg.h. The CMP
 * module's tags are EXPLICIT; GeneralNames and DistributionPointName come
 * from PKIX1Implicit88 (IMPLICIT, but a directoryName's Name is explicit).
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

/* ---- RootCaKeyUpdateContent (RFC 9810 5.3.19.15) ---- */

/* One Certificate TLV, its framing checked (as the SEQUENCE OF Certificate elements). */
static int
cert_tlv_decode(struct der_in *in, struct der_in *out, const char *what, struct cmp_err *err)
{
    struct der_in at = *in;

    if (!der_get_tlv(in, DER_SEQUENCE, out) || !der_walk(out, DER_MAX_DEPTH)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, what);
    }
    return 1;
}

/* [n] CMPCertificate OPTIONAL: one Certificate inside the explicit tag. */
static int
opt_cert_decode(struct der_in *in, int n, int *out_has, struct der_in *out, const char *what,
                struct cmp_err *err)
{
    struct der_in at = *in, body;
    int present;

    if (!der_get_opt(in, DER_EXPLICIT(n), &body, &present)) {
        return CMP_DECODE_FAIL(err, &at, what);
    }
    if (!present) {
        return 1;
    }
    if (!cert_tlv_decode(&body, out, what, NULL) || !der_done(&body)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, what);
    }
    *out_has = 1;
    return 1;
}

int
cmp_root_ca_key_update_decode(struct der_in *in, struct cmp_root_ca_key_update *out,
                              struct cmp_err *err)
{
    struct der_in copy = *in, seq;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "RootCaKeyUpdateContent");
    }
    if (!cert_tlv_decode(&seq, &out->new_with_new, "RootCaKeyUpdateContent.newWithNew", err) ||
        !opt_cert_decode(&seq, 0, &out->has_new_with_old, &out->new_with_old,
                         "RootCaKeyUpdateContent.newWithOld", err) ||
        !opt_cert_decode(&seq, 1, &out->has_old_with_new, &out->old_with_new,
                         "RootCaKeyUpdateContent.oldWithNew", err)) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "RootCaKeyUpdateContent");
    }
    *in = copy;
    return 1;
}

static int
explicit_tlv_encode(struct der_out *out, int n, const struct der_in *tlv)
{
    size_t mark;

    return der_open(out, DER_EXPLICIT(n), &mark) && der_put_in(out, tlv) && der_close(out, mark);
}

int
cmp_root_ca_key_update_encode(struct der_out *out, const struct cmp_root_ca_key_update *u)
{
    size_t seq;

    if (u->new_with_new.len == 0) {
        return cmp_encode_fail(out); /* newWithNew is not optional */
    }
    return der_open(out, DER_SEQUENCE, &seq) && der_put_in(out, &u->new_with_new) &&
           (!u->has_new_with_old || explicit_tlv_encode(out, 0, &u->new_with_old)) &&
           (!u->has_old_with_new || explicit_tlv_encode(out, 1, &u->old_with_new)) &&
           der_close(out, seq);
}

/* ---- CertReqTemplateContent (RFC 9810 5.3.19.16) ---- */

int
cmp_cert_req_template_decode(struct der_in *in, struct cmp_cert_req_template *out,
                             struct cmp_err *err)
{
    struct der_in copy = *in, seq;
    size_t i;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertReqTemplateContent");
    }
    if (!cmp_cert_template_decode(&seq, &out->tmpl, err)) {
        return CMP_CONTEXT(err, "CertReqTemplateContent.certTemplate");
    }
    if (!der_done(&seq)) {
        if (!cmp_itavs_decode(&seq, DER_SEQUENCE, 1, &out->key_spec, err)) {
            return CMP_CONTEXT(err, "CertReqTemplateContent.keySpec");
        }
        out->has_key_spec = 1;
        /* Controls are AttributeTypeAndValue: the value is not optional. */
        for (i = 0; i < out->key_spec.num; i++) {
            if (!out->key_spec.items[i].has_value) {
                CMP_DECODE_FAIL(err, &out->key_spec.items[i].type, "AttributeTypeAndValue.value");
                return CMP_CONTEXT(err, "CertReqTemplateContent.keySpec #%zu", i);
            }
        }
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertReqTemplateContent");
    }
    *in = copy;
    return 1;
}

int
cmp_cert_req_template_encode(struct der_out *out, const struct cmp_cert_req_template *t)
{
    size_t seq, i;

    for (i = 0; t->has_key_spec && i < t->key_spec.num; i++) {
        if (!t->key_spec.items[i].has_value) {
            return cmp_encode_fail(out);
        }
    }
    if (t->has_key_spec && t->key_spec.num == 0) {
        return cmp_encode_fail(out); /* SIZE (1..MAX) */
    }
    return der_open(out, DER_SEQUENCE, &seq) && cmp_cert_template_encode(out, &t->tmpl) &&
           (!t->has_key_spec || cmp_itavs_encode(out, DER_SEQUENCE, &t->key_spec)) &&
           der_close(out, seq);
}

void
cmp_cert_req_template_cleanup(struct cmp_cert_req_template *t)
{
    cmp_itavs_cleanup(&t->key_spec);
    memset(t, 0, sizeof(*t));
}

/* ---- CRLStatus (RFC 9810 5.3.19.17) ---- */

static int
gname_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    (void)arg;
    return cmp_gname_decode(in, elem, err);
}

static const struct cmp_seq_of gnames_seq = {"GeneralNames", "GeneralName",
                                             sizeof(struct cmp_gname), 1, gname_elem_decode};

/* AttributeTypeAndValue ::= SEQUENCE { type OBJECT IDENTIFIER, value ANY } (an RDN's element) */
static int
ava_check(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct der_in at = *in, seq, oid;

    (void)elem;
    (void)arg;
    if (!der_get(in, DER_SEQUENCE, &seq) || !der_get_oid(&seq, &oid) ||
        !der_get_any(&seq, NULL, NULL, NULL) || !der_done(&seq)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "AttributeTypeAndValue");
    }
    return 1;
}

static const struct cmp_seq_of rdn_set = {"RelativeDistinguishedName", "AttributeTypeAndValue", 0,
                                          1, ava_check};

/*
 * The source of one CRLStatus: [0] DistributionPointName or [1]
 * GeneralNames, each exactly one element inside its explicit tag.
 */
static int
crl_source_decode(struct der_in *in, struct cmp_crl_status *st, struct cmp_err *err)
{
    struct der_in at = *in, body, inner, whole;
    uint32_t choice, tag;
    void *names = NULL, *none = NULL;
    size_t num = 0;
    int ok;

    if (!der_get_any(in, &choice, &body, NULL) ||
        (choice != DER_EXPLICIT(0) && choice != DER_EXPLICIT(1))) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "CRLSource");
    }
    inner = body;
    if (!der_get_any(&inner, &tag, NULL, &whole) || !der_done(&inner)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &body, "CRLSource");
    }
    inner = whole;
    if (choice == DER_EXPLICIT(0)) {
        st->source_type = CMP_CRL_SOURCE_DPN;
        if (tag == DER_IMPLICIT(0, DER_SEQUENCE)) {
            st->dpn_type = CMP_DPN_FULL_NAME;
            ok = cmp_seq_of_decode(&inner, tag, &gnames_seq, NULL, &names, &num, err);
        } else if (tag == DER_IMPLICIT(1, DER_SET)) {
            st->dpn_type = CMP_DPN_RELATIVE;
            ok = cmp_seq_of_decode(&inner, tag, &rdn_set, NULL, &none, &num, err);
            num = 0;
        } else {
            ok = CMP_DECODE_FAIL(err, &whole, "DistributionPointName");
        }
    } else {
        st->source_type = CMP_CRL_SOURCE_ISSUER;
        ok = cmp_seq_of_decode(&inner, DER_SEQUENCE, &gnames_seq, NULL, &names, &num, err);
    }
    st->names = names;
    st->num_names = num;
    if (!ok) {
        *in = at;
        return CMP_CONTEXT(err, "CRLSource.%s",
                           st->source_type == CMP_CRL_SOURCE_DPN ? "dpn" : "issuer");
    }
    st->source = whole;
    return 1;
}

static int
crl_status_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct cmp_crl_status *st = elem;
    struct der_in at = *in, seq, time_at;
    uint32_t tag;

    (void)arg;
    if (!der_get(in, DER_SEQUENCE, &seq)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "CRLStatus");
    }
    if (!crl_source_decode(&seq, st, err)) {
        *in = at;
        return 0;
    }
    if (!der_done(&seq)) {
        time_at = seq;
        if (!der_get_time(&seq, &st->this_update_secs, &tag) || !der_done(&seq)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &time_at, "CRLStatus.thisUpdate");
        }
        st->has_this_update = 1;
        st->this_update = der_in_make(time_at.p, time_at.len);
    }
    return 1;
}

static const struct cmp_seq_of crl_status_seq = {
    "CRLStatusListValue", "CRLStatus", sizeof(struct cmp_crl_status), 1, crl_status_decode};

int
cmp_crl_status_list_decode(struct der_in *in, struct cmp_crl_status_list *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &crl_status_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_crl_status_list_encode(struct der_out *out, const struct cmp_crl_status_list *l)
{
    size_t seq, st, i;

    if (l->num == 0) {
        return cmp_encode_fail(out); /* SIZE (1..MAX) */
    }
    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < l->num; i++) {
        const struct cmp_crl_status *s = &l->items[i];

        if (s->source.len == 0 ||
            (s->source_type != CMP_CRL_SOURCE_DPN && s->source_type != CMP_CRL_SOURCE_ISSUER)) {
            return cmp_encode_fail(out);
        }
        if (!der_open(out, DER_SEQUENCE, &st) ||
            !explicit_tlv_encode(out, s->source_type, &s->source) ||
            (s->has_this_update && !der_put_in(out, &s->this_update)) || !der_close(out, st)) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_crl_status_list_cleanup(struct cmp_crl_status_list *l)
{
    size_t i;

    for (i = 0; l->items != NULL && i < l->num; i++) {
        free(l->items[i].names);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
}

/* ---- any value of these types ---- */

int
cmp_itav_value_check(const struct cmp_itav *itav, struct cmp_err *err)
{
    struct der_in v = itav->value, cert;
    int nid = cmp_oid_nid(&itav->type), ok = 1;

    if (!itav->has_value) {
        return 1;
    }
    switch (nid) {
    case CMP_NID_IT_CA_CERTS:
    case CMP_NID_IT_CRLS: {
        struct cmp_certs certs;

        memset(&certs, 0, sizeof(certs));
        ok = cmp_certs_decode(&v, DER_SEQUENCE, &certs, err);
        cmp_certs_cleanup(&certs);
        break;
    }
    case CMP_NID_IT_ROOT_CA_CERT:
        ok = cert_tlv_decode(&v, &cert, "RootCaCertValue", err);
        break;
    case CMP_NID_IT_ROOT_CA_KEY_UPDATE: {
        struct cmp_root_ca_key_update u;

        memset(&u, 0, sizeof(u));
        ok = cmp_root_ca_key_update_decode(&v, &u, err);
        break;
    }
    case CMP_NID_IT_CERT_REQ_TEMPLATE: {
        struct cmp_cert_req_template t;

        memset(&t, 0, sizeof(t));
        ok = cmp_cert_req_template_decode(&v, &t, err);
        cmp_cert_req_template_cleanup(&t);
        break;
    }
    case CMP_NID_IT_CRL_STATUS_LIST: {
        struct cmp_crl_status_list l;

        memset(&l, 0, sizeof(l));
        ok = cmp_crl_status_list_decode(&v, &l, err);
        cmp_crl_status_list_cleanup(&l);
        break;
    }
    default:
        return 1;
    }
    if (ok && !der_done(&v)) {
        ok = CMP_DECODE_FAIL(err, &v, "InfoTypeAndValue.infoValue");
    }
    return ok ? 1 : CMP_CONTEXT(err, "%s", cmp_oid_name(&itav->type));
}

/* ---- printing ---- */

int
cmp_print_root_ca_key_update(struct cmp_printer *pr, int level, const struct der_in *value)
{
    struct cmp_root_ca_key_update u;
    struct der_in v = *value;
    struct cmp_sbuf sb;

    memset(&u, 0, sizeof(u));
    if (!cmp_root_ca_key_update_decode(&v, &u, NULL) || !der_done(&v)) {
        return 0;
    }
    cmp_sb_init(&sb);
    cmp_sb_cert_line(&sb, &u.new_with_new);
    cmp_pline(pr, level, "newWithNew: %s", sb.s);
    if (u.has_new_with_old) {
        cmp_sb_init(&sb);
        cmp_sb_cert_line(&sb, &u.new_with_old);
        cmp_pline(pr, level, "newWithOld: %s", sb.s);
    }
    if (u.has_old_with_new) {
        cmp_sb_init(&sb);
        cmp_sb_cert_line(&sb, &u.old_with_new);
        cmp_pline(pr, level, "oldWithNew: %s", sb.s);
    }
    return 1;
}

/* One keySpec control: "algId <algorithm>", "rsaKeyLen <n>", else its type and size. */
static void
print_key_spec(struct cmp_printer *pr, int level, size_t i, const struct cmp_itav *c)
{
    struct cmp_sbuf sb;
    struct der_in v = c->value;
    int64_t n;

    cmp_sb_init(&sb);
    if (cmp_oid_is(&c->type, CMP_NID_REG_CTRL_ALG_ID) && cmp_sb_algid(&sb, &v, DER_SEQUENCE) &&
        der_done(&v)) {
        cmp_pline(pr, level, "keySpec #%zu: algId %s", i, sb.s);
    } else if (cmp_oid_is(&c->type, CMP_NID_REG_CTRL_RSA_KEY_LEN) && der_get_int64(&v, &n) &&
               der_done(&v)) {
        cmp_pline(pr, level, "keySpec #%zu: rsaKeyLen %lld", i, (long long)n);
    } else {
        cmp_pline(pr, level, "keySpec #%zu: %s (%zu bytes)", i, cmp_oid_str(&sb, &c->type, 1),
                  c->value.len);
    }
}

int
cmp_print_cert_req_template(struct cmp_printer *pr, int level, const struct der_in *value)
{
    struct cmp_cert_req_template t;
    struct der_in v = *value;
    const struct cmp_cert_template *tm = &t.tmpl;
    size_t i;

    memset(&t, 0, sizeof(t));
    if (!cmp_cert_req_template_decode(&v, &t, NULL) || !der_done(&v)) {
        cmp_cert_req_template_cleanup(&t);
        return 0;
    }
    if (!tm->has_version && !tm->has_serial && !tm->has_signing_alg && !tm->has_issuer &&
        !tm->has_validity && !tm->has_subject && !tm->has_public_key && !tm->has_issuer_uid &&
        !tm->has_subject_uid && !tm->has_extensions) {
        cmp_pline(pr, level, "certTemplate: (empty)");
    } else {
        cmp_pline(pr, level, "certTemplate:");
        cmp_print_template(pr, level + 1, tm);
    }
    for (i = 0; t.has_key_spec && i < t.key_spec.num; i++) {
        print_key_spec(pr, level, i, &t.key_spec.items[i]);
    }
    cmp_cert_req_template_cleanup(&t);
    return 1;
}

/* The GeneralNames of a source, comma-separated. */
static void
sb_gnames(struct cmp_sbuf *sb, const struct cmp_crl_status *st)
{
    size_t i;

    for (i = 0; i < st->num_names && !sb->cut; i++) {
        size_t mark = sb->len;

        if (i > 0) {
            cmp_sb_puts(sb, ", ");
        }
        if (!cmp_sb_gname(sb, st->names[i].type, &st->names[i].value) && !sb->cut) {
            sb->len = mark;
            sb->s[mark] = '\0';
            cmp_sb_add(sb, "%s(GeneralName, %zu bytes)", i > 0 ? ", " : "", st->names[i].whole.len);
        }
    }
}

int
cmp_print_crl_status_list(struct cmp_printer *pr, int level, const struct der_in *value)
{
    struct cmp_crl_status_list l;
    struct der_in v = *value;
    struct cmp_sbuf sb;
    size_t i;

    memset(&l, 0, sizeof(l));
    if (!cmp_crl_status_list_decode(&v, &l, NULL) || !der_done(&v)) {
        cmp_crl_status_list_cleanup(&l);
        return 0;
    }
    for (i = 0; i < l.num; i++) {
        const struct cmp_crl_status *st = &l.items[i];

        cmp_sb_init(&sb);
        if (st->source_type == CMP_CRL_SOURCE_ISSUER) {
            cmp_sb_puts(&sb, "issuer ");
            sb_gnames(&sb, st);
        } else if (st->dpn_type == CMP_DPN_FULL_NAME) {
            cmp_sb_puts(&sb, "dpn fullName ");
            sb_gnames(&sb, st);
        } else {
            cmp_sb_add(&sb, "dpn nameRelativeToCRLIssuer (%zu bytes)", st->source.len);
        }
        if (st->has_this_update) {
            cmp_sb_puts(&sb, ", thisUpdate ");
            cmp_sb_time(&sb, st->this_update_secs);
        }
        cmp_pline(pr, level, "CRLStatus #%zu: %s", i, sb.s);
    }
    cmp_crl_status_list_cleanup(&l);
    return 1;
}
