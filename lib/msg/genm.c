/*
 * genm and genp, RFC 9810 5.3.19 and 5.3.20: GenMsgContent and
 * GenRepContent, each a SEQUENCE OF InfoTypeAndValue that may be empty (the
 * InfoTypeAndValue codec is in common.c, shared with the header's
 * generalInfo), and the printer of InfoTypeAndValue with the values of the
 * info types of RFC 9810 5.3.19 and RFC 9480.
 */
#include <stdio.h>

#include "msg/internal.h"

/* SEQUENCE OF x rendered as a comma list; |kind| says what x is. */
enum seq_kind { SEQ_UTF8, SEQ_ALGID, SEQ_OID };

static int
sb_seq_of(struct cmp_sbuf *sb, const struct der_in *tlv, int kind)
{
    struct der_in in = *tlv, seq, item;
    int first = 1;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    if (der_done(&seq)) {
        cmp_sb_puts(sb, "(empty)");
    }
    while (!der_done(&seq) && !sb->cut) {
        if (!first) {
            cmp_sb_puts(sb, ", ");
        }
        first = 0;
        switch (kind) {
        case SEQ_UTF8:
            if (!der_get(&seq, DER_UTF8_STRING, &item)) {
                return 0;
            }
            cmp_sb_quoted(sb, CMP_ENC_UTF8, &item);
            break;
        case SEQ_ALGID:
            if (!cmp_sb_algid(sb, &seq, DER_SEQUENCE)) {
                return 0;
            }
            break;
        default:
            if (!der_get_oid(&seq, &item)) {
                return 0;
            }
            cmp_sb_oid(sb, &item, 0);
            break;
        }
    }
    return 1;
}

/*
 * One InfoTypeAndValue: "prefix<type>" followed by its value where the
 * type's value is simple (RFC 9810 5.3.19, RFC 9480), or lines below for
 * certificates and CRLs. Values of other types show their size.
 */
void
cmp_print_itav(struct cmp_printer *pr, int level, const char *prefix, const struct cmp_itav *itav)
{
    struct cmp_sbuf sb, val;
    const struct der_in *oid = &itav->type;
    struct der_in v = itav->value, body;
    int64_t secs;
    int ok = 1, lines = 0;
    /* RFC 9810 5.3.19.15-17 values: printed below the line (genmval.c) */
    int (*value_lines)(struct cmp_printer *, int, const struct der_in *) = NULL;

    cmp_sb_init(&sb);
    cmp_sb_puts(&sb, prefix);
    cmp_sb_oid(&sb, oid, 1);
    cmp_sb_init(&val);
    if (!itav->has_value) {
        /* no value: a request for that information */
    } else if (cmp_oid_is(oid, CMP_NID_IT_CERT_PROFILE) ||
               cmp_oid_is(oid, CMP_NID_IT_SUPP_LANG_TAGS)) {
        ok = sb_seq_of(&val, &v, SEQ_UTF8);
    } else if (cmp_oid_is(oid, CMP_NID_IT_SIGN_KEY_PAIR_TYPES) ||
               cmp_oid_is(oid, CMP_NID_IT_ENC_KEY_PAIR_TYPES)) {
        ok = sb_seq_of(&val, &v, SEQ_ALGID);
    } else if (cmp_oid_is(oid, CMP_NID_IT_UNSUPPORTED_OIDS)) {
        ok = sb_seq_of(&val, &v, SEQ_OID);
    } else if (cmp_oid_is(oid, CMP_NID_IT_PREFERRED_SYMM_ALG) ||
               cmp_oid_is(oid, CMP_NID_IT_KEY_PAIR_PARAM_REP)) {
        ok = cmp_sb_algid(&val, &v, DER_SEQUENCE) && der_done(&v);
    } else if (cmp_oid_is(oid, CMP_NID_IT_KEY_PAIR_PARAM_REQ)) {
        ok = der_get_oid(&v, &body) && der_done(&v);
        if (ok) {
            cmp_sb_oid(&val, &body, 0);
        }
    } else if (cmp_oid_is(oid, CMP_NID_IT_CONFIRM_WAIT_TIME)) {
        ok = der_get_gentime(&v, &secs) && der_done(&v);
        if (ok) {
            cmp_sb_time(&val, secs);
        }
    } else if (cmp_oid_is(oid, CMP_NID_IT_CA_PROT_ENC_CERT) ||
               cmp_oid_is(oid, CMP_NID_IT_ROOT_CA_CERT)) {
        cmp_sb_cert_line(&val, &v);
    } else if (cmp_oid_is(oid, CMP_NID_IT_CURRENT_CRL)) {
        ok = cmp_sb_crl_line(&val, &v);
    } else if (cmp_oid_is(oid, CMP_NID_IT_CA_CERTS) || cmp_oid_is(oid, CMP_NID_IT_CRLS)) {
        lines = 1;
    } else if (cmp_oid_is(oid, CMP_NID_IT_ROOT_CA_KEY_UPDATE)) {
        value_lines = cmp_print_root_ca_key_update;
    } else if (cmp_oid_is(oid, CMP_NID_IT_CERT_REQ_TEMPLATE)) {
        value_lines = cmp_print_cert_req_template;
    } else if (cmp_oid_is(oid, CMP_NID_IT_CRL_STATUS_LIST)) {
        value_lines = cmp_print_crl_status_list;
    } else if (v.len == 2 && v.p[0] == DER_NULL && v.p[1] == 0) {
        /* NULL, e.g. implicitConfirm */
    } else {
        cmp_sb_add(&val, "(%zu bytes)", v.len);
    }
    if (!ok) {
        cmp_sb_init(&val);
        cmp_sb_add(&val, "(unparsable value, %zu bytes)", itav->value.len);
    }
    if (val.len > 0) {
        cmp_pline(pr, level, "%s: %s", sb.s, val.s);
    } else {
        cmp_pline(pr, level, "%s", sb.s);
    }
    if (lines &&
        !cmp_print_cert_seq(pr, level + 1, &itav->value, cmp_oid_is(oid, CMP_NID_IT_CRLS))) {
        cmp_pline(pr, level + 1, "(unparsable value, %zu bytes)", itav->value.len);
    }
    if (value_lines != NULL && itav->has_value && !value_lines(pr, level + 1, &itav->value)) {
        cmp_pline(pr, level + 1, "(unparsable value, %zu bytes)", itav->value.len);
    }
}

void
cmp_print_itavs(struct cmp_printer *pr, int level, const struct cmp_itavs *itavs)
{
    char prefix[32];
    size_t i;

    for (i = 0; i < itavs->num; i++) {
        snprintf(prefix, sizeof(prefix), "itav #%zu: ", i);
        cmp_print_itav(pr, level, prefix, &itavs->items[i]);
    }
}

static int
genm_decode(struct der_in *in, void *content, int depth, struct cmp_err *err)
{
    return cmp_itavs_decode(in, DER_SEQUENCE, 0, content, err);
}

static int
genm_encode(struct der_out *out, const void *content)
{
    return cmp_itavs_encode(out, DER_SEQUENCE, content);
}

static void
genm_cleanup(void *content)
{
    cmp_itavs_cleanup(content);
}

static void
genm_print(struct cmp_printer *pr, int level, const char *name, const void *content, int depth)
{
    const struct cmp_itavs *itavs = content;

    cmp_pline(pr, level, "body: %s%s", name, itavs->num == 0 ? " (empty)" : "");
    cmp_print_itavs(pr, level + 1, itavs);
}

const struct cmp_body_codec cmp_genm_body = {"SEQUENCE OF InfoTypeAndValue",
                                             sizeof(struct cmp_itavs),
                                             genm_decode,
                                             genm_encode,
                                             genm_cleanup,
                                             genm_print};
