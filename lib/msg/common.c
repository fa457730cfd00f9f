/*
 * Types shared by several CMP bodies: PKIFreeText, AlgorithmIdentifier,
 * GeneralName, InfoTypeAndValue, PKIStatusInfo, certificate sequences and
 * CertId. See msg.h for the ASN.1.
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

int
cmp_decode_fail(struct cmp_err *err, const struct der_in *at, const char *file, int line,
                const char *what)
{
    cmp_err_set(err, CMP_E_DECODE, CMP_FI_BAD_DATA_FORMAT, file, line, "malformed %s", what);
    if (at != NULL) {
        cmp_err_set_pos(err, at->p);
    }
    return 0;
}

int
cmp_limit_fail(struct cmp_err *err, const struct der_in *at, const char *file, int line,
               const char *what)
{
    cmp_err_set(err, CMP_E_LIMIT, CMP_FI_BAD_DATA_FORMAT, file, line,
                "%s has more than %u elements", what, (unsigned)CMP_MAX_ITEMS);
    if (at != NULL) {
        cmp_err_set_pos(err, at->p);
    }
    return 0;
}

int
cmp_seq_of_decode(struct der_in *in, uint32_t tag, const struct cmp_seq_of *s, void *arg,
                  void **out_items, size_t *out_num, struct cmp_err *err)
{
    struct der_in copy = *in, contents, walk;
    uint8_t *items = NULL;
    size_t num = 0, i;

    *out_items = NULL;
    *out_num = 0;
    if (!der_get(&copy, tag, &contents)) {
        return CMP_DECODE_FAIL(err, in, s->what);
    }
    /*
     * Count first, to allocate once. A malformed element is reported (where it
     * is) before too many elements: the limit is for well-formed lists.
     */
    walk = contents;
    while (!der_done(&walk)) {
        struct der_in at = walk;

        if (!der_get_any(&walk, NULL, NULL, NULL)) {
            return CMP_DECODE_FAIL(err, &at, s->what);
        }
        num++;
    }
    if (num > CMP_MAX_ITEMS) {
        return CMP_LIMIT_FAIL(err, in, s->what);
    }
    if (s->nonempty && num == 0) {
        return CMP_DECODE_FAIL(err, in, s->what);
    }
    if (num > 0 && s->elem_size > 0) {
        items = calloc(num, s->elem_size);
        if (items == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "%s: out of memory", s->what);
        }
    }
    /* The caller owns the (zeroed) array from here on, even if an element fails. */
    *out_items = items;
    *out_num = num;
    for (i = 0; i < num; i++) {
        if (!s->decode(&contents, items != NULL ? items + i * s->elem_size : NULL, arg, err)) {
            return CMP_CONTEXT(err, "%s #%zu", s->elem, i);
        }
    }
    if (!der_done(&contents)) {
        return CMP_DECODE_FAIL(err, &contents, s->what); /* a decoder took less than its element */
    }
    *in = copy;
    return 1;
}

/* ---- PKIFreeText ---- */

/* One UTF8String of a PKIFreeText. */
static int
freetext_str_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    if (!der_get(in, DER_UTF8_STRING, elem)) {
        return CMP_DECODE_FAIL(err, in, "PKIFreeText UTF8String");
    }
    return 1;
}

static const struct cmp_seq_of freetext_seq = {"PKIFreeText", "PKIFreeText", sizeof(struct der_in),
                                               1, freetext_str_decode};

int
cmp_freetext_decode(struct der_in *in, struct cmp_freetext *out, struct cmp_err *err)
{
    void *strs;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &freetext_seq, NULL, &strs, &out->num, err);

    out->strs = strs;
    return ok;
}

int
cmp_freetext_encode(struct der_out *out, const struct cmp_freetext *ft)
{
    size_t seq, i;

    if (ft->num == 0) {
        out->failed = 1; /* SIZE (1..MAX): an empty one has no valid encoding */
        return 0;
    }
    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < ft->num; i++) {
        if (!der_put_prim(out, DER_UTF8_STRING, ft->strs[i].p, ft->strs[i].len)) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_freetext_cleanup(struct cmp_freetext *ft)
{
    free(ft->strs);
    memset(ft, 0, sizeof(*ft));
}

/* ---- AlgorithmIdentifier ---- */

int
cmp_algid_decode(struct der_in *in, uint32_t tag, struct cmp_algid *out, struct cmp_err *err)
{
    struct der_in at = *in, contents, whole, params;

    if (!der_get_tlv(in, tag, &whole)) {
        return CMP_DECODE_FAIL(err, &at, "AlgorithmIdentifier");
    }
    contents = whole;
    if (!der_get(&contents, tag, &contents)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "AlgorithmIdentifier");
    }
    params = contents;
    if (!der_get_oid(&contents, &out->oid)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &params, "AlgorithmIdentifier.algorithm");
    }
    out->params = DER_IN_EMPTY;
    if (!der_done(&contents)) {
        params = contents;
        if (!der_get_any(&contents, NULL, NULL, &out->params) || !der_done(&contents) ||
            !der_walk(&out->params, DER_MAX_DEPTH)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &params, "AlgorithmIdentifier.parameters");
        }
    }
    out->whole = whole;
    return 1;
}

int
cmp_algid_encode(struct der_out *out, const struct cmp_algid *alg)
{
    return der_put_in(out, &alg->whole);
}

/* ---- GeneralName ---- */

int
cmp_gname_decode(struct der_in *in, struct cmp_gname *out, struct cmp_err *err)
{
    struct der_in at = *in, body, whole, inner;
    uint32_t tag, number;

    if (!der_get_any(in, &tag, &body, &whole) || (tag & DER_CLASS_MASK) != DER_CLASS_CONTEXT) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "GeneralName");
    }
    number = tag & DER_TAG_NUMBER_MASK;
    switch (number) {
    case CMP_GN_EMAIL:
    case CMP_GN_DNS:
    case CMP_GN_URI:
    case CMP_GN_IP:
        /* IA5String / OCTET STRING under IMPLICIT tags: primitive. */
        if (tag & DER_CONSTRUCTED) {
            *in = at;
            return CMP_DECODE_FAIL(err, &at, "GeneralName");
        }
        out->value = body;
        break;
    case CMP_GN_RID:
        if ((tag & DER_CONSTRUCTED) || !der_check_oid(&body)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &at, "GeneralName.registeredID");
        }
        out->value = body;
        break;
    case CMP_GN_DIRNAME:
        /* [4] EXPLICIT Name: exactly one SEQUENCE (RDNSequence). */
        inner = body;
        if (!(tag & DER_CONSTRUCTED) || !der_get_tlv(&inner, DER_SEQUENCE, &out->value) ||
            !der_done(&inner) || !der_walk(&out->value, DER_MAX_DEPTH)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &at, "GeneralName.directoryName");
        }
        break;
    case CMP_GN_OTHER:
    case CMP_GN_X400:
    case CMP_GN_EDIPARTY:
        inner = whole;
        if (!(tag & DER_CONSTRUCTED) || !der_walk(&inner, DER_MAX_DEPTH)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &at, "GeneralName");
        }
        out->value = body;
        break;
    default:
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "GeneralName (unknown alternative)");
    }
    out->type = (int)number;
    out->whole = whole;
    return 1;
}

int
cmp_gname_encode(struct der_out *out, const struct cmp_gname *gn)
{
    return der_put_in(out, &gn->whole);
}

int
cmp_gname_set_dirname(struct cmp_gname *gn, uint8_t *buf, size_t buf_len, const struct der_in *name)
{
    struct der_out w;
    uint8_t *enc;
    size_t enc_len, mark;

    der_out_init(&w, buf_len);
    if (!der_open(&w, DER_EXPLICIT(CMP_GN_DIRNAME), &mark) || !der_put_in(&w, name) ||
        !der_close(&w, mark) || !der_out_finish(&w, &enc, &enc_len)) {
        der_out_cleanup(&w);
        return 0;
    }
    memcpy(buf, enc, enc_len);
    free(enc);
    gn->type = CMP_GN_DIRNAME;
    gn->whole = der_in_make(buf, enc_len);
    gn->value = der_in_make(buf + (enc_len - name->len), name->len);
    return 1;
}

/* ---- InfoTypeAndValue ---- */

int
cmp_itav_decode(struct der_in *in, struct cmp_itav *out, struct cmp_err *err)
{
    struct der_in at = *in, contents, field;

    if (!der_get(in, DER_SEQUENCE, &contents)) {
        return CMP_DECODE_FAIL(err, &at, "InfoTypeAndValue");
    }
    field = contents;
    if (!der_get_oid(&contents, &out->type)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &field, "InfoTypeAndValue.infoType");
    }
    out->has_value = 0;
    out->value = DER_IN_EMPTY;
    if (!der_done(&contents)) {
        field = contents;
        if (!der_get_any(&contents, NULL, NULL, &out->value) || !der_done(&contents) ||
            !der_walk(&out->value, DER_MAX_DEPTH)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &field, "InfoTypeAndValue.infoValue");
        }
        out->has_value = 1;
    }
    return 1;
}

int
cmp_itav_encode(struct der_out *out, const struct cmp_itav *itav)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) &&
           der_put_prim(out, DER_OID, itav->type.p, itav->type.len) &&
           (!itav->has_value || der_put_in(out, &itav->value)) && der_close(out, seq);
}

static int
itav_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return cmp_itav_decode(in, elem, err);
}

static const struct cmp_seq_of itavs_seq = {"SEQUENCE OF InfoTypeAndValue", "InfoTypeAndValue",
                                            sizeof(struct cmp_itav), 0, itav_elem_decode};
static const struct cmp_seq_of itavs_seq_nonempty = {"SEQUENCE OF InfoTypeAndValue",
                                                     "InfoTypeAndValue", sizeof(struct cmp_itav), 1,
                                                     itav_elem_decode};

int
cmp_itavs_decode(struct der_in *in, uint32_t tag, int nonempty, struct cmp_itavs *out,
                 struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, tag, nonempty ? &itavs_seq_nonempty : &itavs_seq, NULL, &items,
                               &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_itavs_encode(struct der_out *out, uint32_t tag, const struct cmp_itavs *itavs)
{
    size_t seq, i;

    if (!der_open(out, tag, &seq)) {
        return 0;
    }
    for (i = 0; i < itavs->num; i++) {
        if (!cmp_itav_encode(out, &itavs->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_itavs_cleanup(struct cmp_itavs *itavs)
{
    free(itavs->items);
    memset(itavs, 0, sizeof(*itavs));
}

/* ---- PKIStatusInfo ---- */

int
cmp_pkistatus_decode(struct der_in *in, struct cmp_pkistatus *out, struct cmp_err *err)
{
    struct der_in at = *in, contents, field;

    if (!der_get(in, DER_SEQUENCE, &contents)) {
        return CMP_DECODE_FAIL(err, &at, "PKIStatusInfo");
    }
    field = contents;
    if (!der_get_int64(&contents, &out->status)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &field, "PKIStatusInfo.status");
    }
    if (der_peek(&contents, DER_SEQUENCE)) {
        if (!cmp_freetext_decode(&contents, &out->status_string, err)) {
            *in = at;
            return CMP_CONTEXT(err, "PKIStatusInfo.statusString");
        }
        out->has_status_string = 1;
    }
    if (!der_done(&contents)) {
        field = contents;
        if (!der_get_named_bits(&contents, DER_BIT_STRING, &out->fail_info)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &field, "PKIStatusInfo.failInfo");
        }
        out->has_fail_info = 1;
    }
    if (!der_done(&contents)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &contents, "PKIStatusInfo (trailing data)");
    }
    return 1;
}

int
cmp_pkistatus_encode(struct der_out *out, const struct cmp_pkistatus *si)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && der_put_int64(out, si->status) &&
           (!si->has_status_string || cmp_freetext_encode(out, &si->status_string)) &&
           (!si->has_fail_info || der_put_named_bits(out, DER_BIT_STRING, si->fail_info)) &&
           der_close(out, seq);
}

void
cmp_pkistatus_cleanup(struct cmp_pkistatus *si)
{
    cmp_freetext_cleanup(&si->status_string);
    memset(si, 0, sizeof(*si));
}

/* ---- SEQUENCE OF CMPCertificate ---- */

/* One certificate (or CRL): a SEQUENCE, kept whole, its framing checked. */
static int
cert_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct der_in at = *in, *cert = elem;

    if (!der_get_tlv(in, DER_SEQUENCE, cert) || !der_walk(cert, DER_MAX_DEPTH)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "Certificate");
    }
    return 1;
}

static const struct cmp_seq_of certs_seq = {"SEQUENCE OF Certificate", "certificate",
                                            sizeof(struct der_in), 1, cert_elem_decode};

int
cmp_certs_decode(struct der_in *in, uint32_t tag, struct cmp_certs *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, tag, &certs_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_certs_encode(struct der_out *out, uint32_t tag, const struct cmp_certs *certs)
{
    size_t seq, i;

    if (certs->num == 0) {
        out->failed = 1; /* SIZE (1..MAX): an empty one has no valid encoding */
        return 0;
    }
    if (!der_open(out, tag, &seq)) {
        return 0;
    }
    for (i = 0; i < certs->num; i++) {
        if (!der_put_in(out, &certs->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_certs_cleanup(struct cmp_certs *certs)
{
    free(certs->items);
    memset(certs, 0, sizeof(*certs));
}

/* ---- Extensions ---- */

/*
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 * Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER,
 *     critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
 * The value stays a TLV for callers; here only its syntax is checked. DER
 * leaves out a DEFAULT value, so an encoded critical must be TRUE.
 */
static int
extension_check(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct der_in copy = *in, ext, at, oid, value;
    int critical;

    if (!der_get(&copy, DER_SEQUENCE, &ext)) {
        return CMP_DECODE_FAIL(err, in, "Extension");
    }
    at = ext;
    if (!der_get_oid(&ext, &oid)) {
        return CMP_DECODE_FAIL(err, &at, "Extension.extnID");
    }
    if (der_peek(&ext, DER_BOOLEAN)) {
        at = ext;
        if (!der_get_bool(&ext, DER_BOOLEAN, &critical) || !critical) {
            return CMP_DECODE_FAIL(err, &at, "Extension.critical");
        }
    }
    at = ext;
    if (!der_get(&ext, DER_OCTET_STRING, &value)) {
        return CMP_DECODE_FAIL(err, &at, "Extension.extnValue");
    }
    if (!der_done(&ext)) {
        return CMP_DECODE_FAIL(err, &ext, "Extension");
    }
    *in = copy;
    return 1;
}

int
cmp_extensions_check(struct der_in *in, uint32_t tag, const char *what, struct cmp_err *err)
{
    const struct cmp_seq_of seq = {what, what, 0, 1, extension_check};
    void *none;
    size_t num;

    return cmp_seq_of_decode(in, tag, &seq, NULL, &none, &num, err);
}

/* ---- CertId ---- */

int
cmp_certid_decode(struct der_in *in, struct cmp_certid *out, struct cmp_err *err)
{
    struct der_in at = *in, contents, field;

    if (!der_get(in, DER_SEQUENCE, &contents)) {
        return CMP_DECODE_FAIL(err, &at, "CertId");
    }
    if (!cmp_gname_decode(&contents, &out->issuer, err)) {
        *in = at;
        return CMP_CONTEXT(err, "CertId.issuer");
    }
    field = contents;
    if (!der_get_integer(&contents, DER_INTEGER, &out->serial) || !der_done(&contents)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &field, "CertId.serialNumber");
    }
    return 1;
}

int
cmp_certid_encode(struct der_out *out, const struct cmp_certid *id)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && cmp_gname_encode(out, &id->issuer) &&
           der_put_prim(out, DER_INTEGER, id->serial.p, id->serial.len) && der_close(out, seq);
}

/* ---- printing ---- */

/* PKIFreeText: "a", "b" */
void
cmp_sb_freetext(struct cmp_sbuf *sb, const struct cmp_freetext *ft)
{
    size_t i;

    for (i = 0; i < ft->num; i++) {
        if (i > 0) {
            cmp_sb_puts(sb, ", ");
        }
        cmp_sb_quoted(sb, CMP_ENC_UTF8, &ft->strs[i]);
    }
}

const char *
cmp_pkistatus_name(int64_t status)
{
    switch (status) {
    case CMP_STATUS_ACCEPTED:
        return "accepted";
    case CMP_STATUS_GRANTED_WITH_MODS:
        return "grantedWithMods";
    case CMP_STATUS_REJECTION:
        return "rejection";
    case CMP_STATUS_WAITING:
        return "waiting";
    case CMP_STATUS_REVOCATION_WARNING:
        return "revocationWarning";
    case CMP_STATUS_REVOCATION_NOTIFICATION:
        return "revocationNotification";
    case CMP_STATUS_KEY_UPDATE_WARNING:
        return "keyUpdateWarning";
    default:
        return NULL;
    }
}

/* PKIStatusInfo: "label: status", then failInfo and statusString below it. */
void
cmp_print_status(struct cmp_printer *pr, int level, const char *label,
                 const struct cmp_pkistatus *si)
{
    struct cmp_sbuf sb;
    const char *name = cmp_pkistatus_name(si->status);
    int bit, first = 1;

    if (name != NULL) {
        cmp_pline(pr, level, "%s: %s", label, name);
    } else {
        cmp_pline(pr, level, "%s: unknown (%lld)", label, (long long)si->status);
    }
    if (si->has_fail_info) {
        cmp_sb_init(&sb);
        for (bit = 0; bit < 64; bit++) {
            if ((si->fail_info & ((uint64_t)1 << bit)) == 0) {
                continue;
            }
            if (!first) {
                cmp_sb_puts(&sb, ", ");
            }
            first = 0;
            if (cmp_failure_bit_name(bit) != NULL) {
                cmp_sb_puts(&sb, cmp_failure_bit_name(bit));
            } else {
                cmp_sb_add(&sb, "bit %d", bit);
            }
        }
        cmp_pline(pr, level + 1, "failInfo: %s", first ? "(none)" : sb.s);
    }
    if (si->has_status_string) {
        cmp_sb_init(&sb);
        cmp_sb_freetext(&sb, &si->status_string);
        cmp_pline(pr, level + 1, "statusString: %s", sb.s);
    }
}
