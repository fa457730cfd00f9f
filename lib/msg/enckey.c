/*
 * EncryptedKey and EncryptedValue (RFC 4211 2.1, RFC 9810 5.2.2): what
 * carries an encrypted certificate (CertOrEncCert.encryptedCert, indirect
 * POP) and a centrally generated private key (CertifiedKeyPair.privateKey).
 * Both come from the CRMF module, which uses IMPLICIT TAGS. The ASN.1 is in
 * msg.h.
 *
 * EncryptedValue is deprecated (RFC 9810 5.2.2: EnvelopedData replaces it)
 * but older CAs still send it, and OpenSSL had a NULL dereference on a
 * hostile one (CVE-2026-42767): this decoder is total, every optional field
 * may be absent and any field may be empty. What decryption needs (symmAlg,
 * its IV, encSymmKey) is a rule of lib/verify, not syntax. EnvelopedData
 * stays one checked TLV: libcrypto's CMS code parses it when decrypting.
 */
#include <string.h>

#include "msg/internal.h"

/* ---- EncryptedValue ---- */

int
cmp_enc_value_decode(struct der_in *in, struct cmp_enc_value *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;
    int present;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "EncryptedValue");
    }
    if (der_peek(&seq, DER_IMPLICIT(0, DER_SEQUENCE))) {
        if (!cmp_algid_decode(&seq, DER_IMPLICIT(0, DER_SEQUENCE), &out->intended_alg, err)) {
            return CMP_CONTEXT(err, "EncryptedValue.intendedAlg");
        }
        out->has_intended_alg = 1;
    }
    if (der_peek(&seq, DER_IMPLICIT(1, DER_SEQUENCE))) {
        if (!cmp_algid_decode(&seq, DER_IMPLICIT(1, DER_SEQUENCE), &out->symm_alg, err)) {
            return CMP_CONTEXT(err, "EncryptedValue.symmAlg");
        }
        out->has_symm_alg = 1;
    }
    if (der_peek(&seq, DER_IMPLICIT(2, DER_BIT_STRING))) {
        at = seq;
        if (!der_get_bitstring(&seq, DER_IMPLICIT(2, DER_BIT_STRING), &out->enc_symm_key,
                               &out->enc_symm_key_unused)) {
            return CMP_DECODE_FAIL(err, &at, "EncryptedValue.encSymmKey");
        }
        out->has_enc_symm_key = 1;
    }
    if (der_peek(&seq, DER_IMPLICIT(3, DER_SEQUENCE))) {
        if (!cmp_algid_decode(&seq, DER_IMPLICIT(3, DER_SEQUENCE), &out->key_alg, err)) {
            return CMP_CONTEXT(err, "EncryptedValue.keyAlg");
        }
        out->has_key_alg = 1;
    }
    at = seq;
    if (!der_get_opt(&seq, DER_IMPLICIT(4, DER_OCTET_STRING), &out->value_hint, &present)) {
        return CMP_DECODE_FAIL(err, &at, "EncryptedValue.valueHint");
    }
    out->has_value_hint = present;
    at = seq;
    if (!der_get_bitstring(&seq, DER_BIT_STRING, &out->enc_value, &out->enc_value_unused)) {
        return CMP_DECODE_FAIL(err, &at, "EncryptedValue.encValue");
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "EncryptedValue");
    }
    *in = copy;
    return 1;
}

int
cmp_enc_value_encode(struct der_out *out, const struct cmp_enc_value *ev)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) &&
           (!ev->has_intended_alg || cmp_algid_encode(out, &ev->intended_alg)) &&
           (!ev->has_symm_alg || cmp_algid_encode(out, &ev->symm_alg)) &&
           (!ev->has_enc_symm_key ||
            der_put_bitstring(out, DER_IMPLICIT(2, DER_BIT_STRING), ev->enc_symm_key.p,
                              ev->enc_symm_key.len, ev->enc_symm_key_unused)) &&
           (!ev->has_key_alg || cmp_algid_encode(out, &ev->key_alg)) &&
           (!ev->has_value_hint || der_put_prim(out, DER_IMPLICIT(4, DER_OCTET_STRING),
                                                ev->value_hint.p, ev->value_hint.len)) &&
           der_put_bitstring(out, DER_BIT_STRING, ev->enc_value.p, ev->enc_value.len,
                             ev->enc_value_unused) &&
           der_close(out, seq);
}

/* ---- EncryptedKey ---- */

int
cmp_enckey_decode(struct der_in *in, struct cmp_enckey *out, struct cmp_err *err)
{
    struct der_in copy = *in, whole, value;
    uint32_t tag;

    if (!der_get_any(&copy, &tag, NULL, &whole)) {
        return CMP_DECODE_FAIL(err, in, "EncryptedKey");
    }
    switch (tag) {
    case DER_SEQUENCE:
        out->type = CMP_ENCKEY_VALUE;
        value = whole;
        if (!cmp_enc_value_decode(&value, &out->value, err)) {
            return CMP_CONTEXT(err, "EncryptedKey.encryptedValue");
        }
        break;
    case DER_IMPLICIT(0, DER_SEQUENCE):
        out->type = CMP_ENCKEY_ENVELOPED;
        if (!der_walk(&whole, DER_MAX_DEPTH)) {
            return CMP_DECODE_FAIL(err, in, "EncryptedKey.envelopedData");
        }
        break;
    default:
        return CMP_DECODE_FAIL(err, in, "EncryptedKey");
    }
    out->whole = whole;
    *in = copy;
    return 1;
}

int
cmp_enckey_encode(struct der_out *out, const struct cmp_enckey *ek)
{
    if (ek->whole.len == 0) {
        return cmp_encode_fail(out);
    }
    return der_put_in(out, &ek->whole);
}

int
cmp_enveloped_split(const struct der_in *whole, int64_t *version, struct der_in *recipients,
                    struct der_in *rest)
{
    struct der_in in = *whole, seq, skipped;
    int present;

    if (!der_get(&in, DER_IMPLICIT(0, DER_SEQUENCE), &seq) || !der_done(&in) ||
        !der_get_int64(&seq, version) ||
        !der_get_opt(&seq, DER_IMPLICIT(0, DER_SEQUENCE), &skipped, &present) ||
        !der_get(&seq, DER_SET, recipients)) {
        return 0;
    }
    *rest = seq;
    return 1;
}

/* ---- printing ---- */

/* "label: name", with an IV's size for a cipher's OCTET STRING parameter. */
static void
print_algid(struct cmp_printer *pr, int level, const char *label, const struct cmp_algid *alg)
{
    struct cmp_sbuf sb;
    struct der_in params = alg->params, iv;

    cmp_sb_init(&sb);
    cmp_sb_oid(&sb, &alg->oid, 0);
    if (params.len > 0 && der_get(&params, DER_OCTET_STRING, &iv) && der_done(&params)) {
        cmp_sb_add(&sb, " (IV %zu bytes)", iv.len);
    } else if (params.len > 0 && !cmp_params_absent_or_null(&alg->params)) {
        cmp_sb_add(&sb, " (parameters %zu bytes)", alg->params.len);
    }
    cmp_pline(pr, level, "%s: %s", label, sb.s);
}

void
cmp_print_enc_value(struct cmp_printer *pr, int level, const char *label,
                    const struct cmp_enc_value *ev)
{
    cmp_pline(pr, level, "%s: encryptedValue", label);
    if (ev->has_intended_alg) {
        print_algid(pr, level + 1, "intendedAlg", &ev->intended_alg);
    }
    if (ev->has_symm_alg) {
        print_algid(pr, level + 1, "symmAlg", &ev->symm_alg);
    }
    if (ev->has_enc_symm_key) {
        cmp_pline(pr, level + 1, "encSymmKey: %zu bytes", ev->enc_symm_key.len);
    }
    if (ev->has_key_alg) {
        print_algid(pr, level + 1, "keyAlg", &ev->key_alg);
    }
    if (ev->has_value_hint) {
        cmp_print_hex_field(pr, level + 1, "valueHint", &ev->value_hint);
    }
    cmp_pline(pr, level + 1, "encValue: %zu bytes", ev->enc_value.len);
}

/* The name of a RecipientInfo alternative (RFC 5652 6.2) by its tag. */
static const char *
recipient_kind(uint32_t tag)
{
    switch (tag) {
    case DER_SEQUENCE:
        return "ktri";
    case DER_IMPLICIT(1, DER_SEQUENCE):
        return "kari";
    case DER_IMPLICIT(2, DER_SEQUENCE):
        return "kekri";
    case DER_IMPLICIT(3, DER_SEQUENCE):
        return "pwri";
    case DER_IMPLICIT(4, DER_SEQUENCE):
        return "ori";
    default:
        return "?";
    }
}

/*
 * EnvelopedData (RFC 5652 6.1), read leniently for the printer: after
 * the RecipientInfos, encryptedContentInfo SEQUENCE { contentType,
 * contentEncryptionAlgorithm, encryptedContent [0] OPTIONAL }. Returns 0, having added possibly
 * partial text, when it does not parse.
 */
static int
sb_enveloped(struct cmp_sbuf *sb, const struct der_in *whole)
{
    struct der_in seq, set, eci, oid, content;
    int64_t version;
    uint32_t tag;
    size_t n = 0;
    int present;

    if (!cmp_enveloped_split(whole, &version, &set, &seq)) {
        return 0;
    }
    cmp_sb_add(sb, "version %lld, recipientInfos", (long long)version);
    while (!der_done(&set) && n < 8) {
        if (!der_get_any(&set, &tag, NULL, NULL)) {
            return 0;
        }
        cmp_sb_add(sb, "%s%s", n == 0 ? " " : ", ", recipient_kind(tag));
        n++;
    }
    if (!der_done(&set)) {
        cmp_sb_puts(sb, ", ...");
    }
    if (!der_get(&seq, DER_SEQUENCE, &eci) || !der_get_oid(&eci, &oid)) {
        return 0;
    }
    cmp_sb_puts(sb, "; content ");
    cmp_sb_oid(sb, &oid, 0);
    cmp_sb_puts(sb, ", ");
    if (!cmp_sb_algid(sb, &eci, DER_SEQUENCE)) {
        return 0;
    }
    if (der_get_opt(&eci, DER_IMPLICIT(0, DER_OCTET_STRING), &content, &present) && present) {
        cmp_sb_add(sb, ", %zu bytes", content.len);
    }
    return 1;
}

void
cmp_print_enckey(struct cmp_printer *pr, int level, const char *label, const struct cmp_enckey *ek)
{
    struct cmp_sbuf sb;

    if (ek->type == CMP_ENCKEY_VALUE) {
        cmp_print_enc_value(pr, level, label, &ek->value);
        return;
    }
    cmp_sb_init(&sb);
    if (!sb_enveloped(&sb, &ek->whole)) {
        cmp_sb_init(&sb);
        cmp_sb_add(&sb, "(unparsable, %zu bytes)", ek->whole.len);
    }
    cmp_pline(pr, level, "%s: envelopedData: %s", label, sb.s);
}
