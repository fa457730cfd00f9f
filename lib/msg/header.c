/* PKIHeader, RFC 9810 5.1.1 (ASN.1 in msg.h). All tags EXPLICIT. */
#include <string.h>

#include "msg/internal.h"

/* An optional [n] EXPLICIT OCTET STRING. */
static int
get_opt_octets(struct der_in *in, unsigned n, int *has, struct der_in *out, struct cmp_err *err,
               const char *what)
{
    struct der_in at = *in, wrapper;

    if (!der_get_opt(in, DER_EXPLICIT(n), &wrapper, has)) {
        return CMP_DECODE_FAIL(err, &at, what);
    }
    if (*has && (!der_get(&wrapper, DER_OCTET_STRING, out) || !der_done(&wrapper))) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, what);
    }
    return 1;
}

int
cmp_header_decode(struct der_in *in, struct cmp_header *out, struct cmp_err *err)
{
    struct der_in at = *in, c, field, w;
    int has;

    if (!der_get_tlv(in, DER_SEQUENCE, &out->raw)) {
        return CMP_DECODE_FAIL(err, &at, "PKIHeader");
    }
    c = out->raw;
    if (!der_get(&c, DER_SEQUENCE, &c)) {
        goto bad;
    }
    field = c;
    if (!der_get_int64(&c, &out->pvno)) {
        CMP_DECODE_FAIL(err, &field, "PKIHeader.pvno");
        goto bad_ctx;
    }
    if (!cmp_gname_decode(&c, &out->sender, err)) {
        CMP_CONTEXT(err, "PKIHeader.sender");
        goto bad_ctx;
    }
    if (!cmp_gname_decode(&c, &out->recipient, err)) {
        CMP_CONTEXT(err, "PKIHeader.recipient");
        goto bad_ctx;
    }
    field = c;
    if (!der_get_opt(&c, DER_EXPLICIT(0), &w, &out->has_message_time)) {
        CMP_DECODE_FAIL(err, &field, "PKIHeader.messageTime");
        goto bad_ctx;
    }
    if (out->has_message_time) {
        struct der_in t = w;
        if (!der_get(&t, DER_GENERALIZED_TIME, &out->message_time) || !der_done(&t) ||
            !der_parse_time(&out->message_time, DER_GENERALIZED_TIME, &out->message_time_secs)) {
            CMP_DECODE_FAIL(err, &w, "PKIHeader.messageTime");
            goto bad_ctx;
        }
    }
    field = c;
    if (!der_get_opt(&c, DER_EXPLICIT(1), &w, &out->has_protection_alg)) {
        CMP_DECODE_FAIL(err, &field, "PKIHeader.protectionAlg");
        goto bad_ctx;
    }
    if (out->has_protection_alg) {
        if (!cmp_algid_decode(&w, DER_SEQUENCE, &out->protection_alg, err)) {
            CMP_CONTEXT(err, "PKIHeader.protectionAlg");
            goto bad_ctx;
        }
        if (!der_done(&w)) {
            CMP_DECODE_FAIL(err, &w, "PKIHeader.protectionAlg");
            goto bad_ctx;
        }
    }
    if (!get_opt_octets(&c, 2, &out->has_sender_kid, &out->sender_kid, err,
                        "PKIHeader.senderKID") ||
        !get_opt_octets(&c, 3, &out->has_recip_kid, &out->recip_kid, err, "PKIHeader.recipKID") ||
        !get_opt_octets(&c, 4, &out->has_transaction_id, &out->transaction_id, err,
                        "PKIHeader.transactionID") ||
        !get_opt_octets(&c, 5, &out->has_sender_nonce, &out->sender_nonce, err,
                        "PKIHeader.senderNonce") ||
        !get_opt_octets(&c, 6, &out->has_recip_nonce, &out->recip_nonce, err,
                        "PKIHeader.recipNonce")) {
        goto bad_ctx;
    }
    field = c;
    if (!der_get_opt(&c, DER_EXPLICIT(7), &w, &has)) {
        CMP_DECODE_FAIL(err, &field, "PKIHeader.freeText");
        goto bad_ctx;
    }
    if (has) {
        if (!cmp_freetext_decode(&w, &out->free_text, err)) {
            CMP_CONTEXT(err, "PKIHeader.freeText");
            goto bad_ctx;
        }
        out->has_free_text = 1;
        if (!der_done(&w)) {
            CMP_DECODE_FAIL(err, &w, "PKIHeader.freeText");
            goto bad_ctx;
        }
    }
    field = c;
    if (!der_get_opt(&c, DER_EXPLICIT(8), &w, &has)) {
        CMP_DECODE_FAIL(err, &field, "PKIHeader.generalInfo");
        goto bad_ctx;
    }
    if (has) {
        if (!cmp_itavs_decode(&w, DER_SEQUENCE, 1, &out->general_info, err)) {
            CMP_CONTEXT(err, "PKIHeader.generalInfo");
            goto bad_ctx;
        }
        out->has_general_info = 1;
        if (!der_done(&w)) {
            CMP_DECODE_FAIL(err, &w, "PKIHeader.generalInfo");
            goto bad_ctx;
        }
    }
    if (!der_done(&c)) {
        CMP_DECODE_FAIL(err, &c, "PKIHeader (unexpected field)");
        goto bad_ctx;
    }
    return 1;

bad:
    CMP_DECODE_FAIL(err, &at, "PKIHeader");
bad_ctx:
    *in = at;
    return 0;
}

static int
put_explicit_octets(struct der_out *out, unsigned n, const struct der_in *v)
{
    size_t t;

    return der_open(out, DER_EXPLICIT(n), &t) && der_put_octets(out, v->p, v->len) &&
           der_close(out, t);
}

int
cmp_header_encode(struct der_out *out, const struct cmp_header *h)
{
    size_t seq, t;

    if (!der_open(out, DER_SEQUENCE, &seq) || !der_put_int64(out, h->pvno) ||
        !cmp_gname_encode(out, &h->sender) || !cmp_gname_encode(out, &h->recipient)) {
        return 0;
    }
    if (h->has_message_time) {
        if (!der_open(out, DER_EXPLICIT(0), &t)) {
            return 0;
        }
        if (h->message_time.len > 0) {
            if (!der_put_prim(out, DER_GENERALIZED_TIME, h->message_time.p, h->message_time.len)) {
                return 0;
            }
        } else if (!der_put_gentime(out, h->message_time_secs)) {
            return 0;
        }
        if (!der_close(out, t)) {
            return 0;
        }
    }
    return (!h->has_protection_alg ||
            (der_open(out, DER_EXPLICIT(1), &t) && cmp_algid_encode(out, &h->protection_alg) &&
             der_close(out, t))) &&
           (!h->has_sender_kid || put_explicit_octets(out, 2, &h->sender_kid)) &&
           (!h->has_recip_kid || put_explicit_octets(out, 3, &h->recip_kid)) &&
           (!h->has_transaction_id || put_explicit_octets(out, 4, &h->transaction_id)) &&
           (!h->has_sender_nonce || put_explicit_octets(out, 5, &h->sender_nonce)) &&
           (!h->has_recip_nonce || put_explicit_octets(out, 6, &h->recip_nonce)) &&
           (!h->has_free_text || (der_open(out, DER_EXPLICIT(7), &t) &&
                                  cmp_freetext_encode(out, &h->free_text) && der_close(out, t))) &&
           (!h->has_general_info ||
            (der_open(out, DER_EXPLICIT(8), &t) &&
             cmp_itavs_encode(out, DER_SEQUENCE, &h->general_info) && der_close(out, t))) &&
           der_close(out, seq);
}

void
cmp_header_cleanup(struct cmp_header *h)
{
    cmp_freetext_cleanup(&h->free_text);
    cmp_itavs_cleanup(&h->general_info);
    memset(h, 0, sizeof(*h));
}

/* ---- printing ---- */

/* A key identifier: quoted with its hex when it is printable ASCII, else hex. */
static void
print_kid(struct cmp_printer *pr, int level, const char *label, const struct der_in *v)
{
    struct cmp_sbuf sb;
    size_t i;
    int printable = v->len > 0;

    for (i = 0; i < v->len; i++) {
        if (v->p[i] < 0x20 || v->p[i] > 0x7E) {
            printable = 0;
        }
    }
    if (!printable) {
        cmp_print_hex_field(pr, level, label, v);
        return;
    }
    cmp_sb_init(&sb);
    cmp_sb_quoted(&sb, CMP_ENC_BYTES, v);
    cmp_sb_puts(&sb, " (");
    cmp_sb_hex_spaced(&sb, v->p, v->len);
    cmp_sb_puts(&sb, ")");
    cmp_pline(pr, level, "%s: %s", label, sb.s);
}

void
cmp_print_header(struct cmp_printer *pr, int level, const struct cmp_header *h)
{
    struct cmp_sbuf sb;
    const char *pvno_name = h->pvno == CMP_PVNO_1999   ? "cmp1999"
                            : h->pvno == CMP_PVNO_2000 ? "cmp2000"
                            : h->pvno == CMP_PVNO_2021 ? "cmp2021"
                                                       : "unknown";

    cmp_pline(pr, level, "header:");
    level++;
    cmp_pline(pr, level, "pvno: %lld (%s)", (long long)h->pvno, pvno_name);
    cmp_pline(pr, level, "sender: %s", cmp_gname_str(&sb, &h->sender));
    cmp_pline(pr, level, "recipient: %s", cmp_gname_str(&sb, &h->recipient));
    if (h->has_message_time) {
        cmp_sb_init(&sb);
        cmp_sb_time(&sb, h->message_time_secs);
        cmp_pline(pr, level, "messageTime: %s", sb.s);
    }
    if (h->has_protection_alg) {
        cmp_pline(pr, level, "protectionAlg: %s", cmp_oid_str(&sb, &h->protection_alg.oid, 1));
        cmp_sb_init(&sb);
        if (!cmp_sb_alg_params(&sb, &h->protection_alg.oid, &h->protection_alg.params)) {
            cmp_sb_init(&sb);
            cmp_sb_add(&sb, "(unparsable parameters, %zu bytes)", h->protection_alg.params.len);
        }
        if (sb.len > 0) {
            cmp_pline(pr, level + 1, "%s", sb.s);
        }
    }
    if (h->has_sender_kid) {
        print_kid(pr, level, "senderKID", &h->sender_kid);
    }
    if (h->has_recip_kid) {
        print_kid(pr, level, "recipKID", &h->recip_kid);
    }
    if (h->has_transaction_id) {
        cmp_print_hex_field(pr, level, "transactionID", &h->transaction_id);
    }
    if (h->has_sender_nonce) {
        cmp_print_hex_field(pr, level, "senderNonce", &h->sender_nonce);
    }
    if (h->has_recip_nonce) {
        cmp_print_hex_field(pr, level, "recipNonce", &h->recip_nonce);
    }
    if (h->has_free_text) {
        cmp_sb_init(&sb);
        cmp_sb_freetext(&sb, &h->free_text);
        cmp_pline(pr, level, "freeText: %s", sb.s);
    }
    if (h->has_general_info) {
        if (h->general_info.num == 1) {
            cmp_print_itav(pr, level, "generalInfo: ", &h->general_info.items[0]);
        } else {
            cmp_pline(pr, level, "generalInfo:");
            cmp_print_itavs(pr, level + 1, &h->general_info);
        }
    }
}

int
cmp_header_salvage(const uint8_t *p, size_t len, struct cmp_header *out)
{
    struct der_in in;
    struct cmp_err err;
    size_t i, n;

    memset(out, 0, sizeof(*out));
    if (p == NULL || len < 2 || p[0] != 0x30) {
        return 0;
    }
    /* the outer header by hand: its length may promise more than |len| holds */
    if (p[1] < 0x80) {
        i = 2;
    } else {
        n = p[1] & 0x7F;
        if (n == 0 || n > 4 || len < 2 + n) {
            return 0;
        }
        i = 2 + n;
    }
    in = der_in_make(p + i, len - i);
    cmp_err_init(&err);
    if (!cmp_header_decode(&in, out, &err)) {
        cmp_header_cleanup(out);
        return 0;
    }
    return 1;
}
