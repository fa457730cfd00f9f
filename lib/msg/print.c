/*
 * cmp_msg_print(): a PKIMessage for people; cmp_pem_to_der(). libc only.
 *
 * The model keeps Names, certificates, keys, CSRs and extensions as DER
 * slices; the small parsers here read just enough of them to print. They
 * are lenient where that is harmless (non-minimal INTEGERs, odd times) and
 * print "(unparsable, N bytes)" for what they cannot read, never failing
 * the whole print. Every string from the network is escaped (see
 * sb_text()), so no control character reaches the output.
 *
 * Pieces of a line are built in a fixed-size struct sbuf (cut with "..."
 * when full), so a slice that fails to parse halfway prints nothing partial.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpkit/msg.h"
#include "msg/msg.h"
#include "msg/oids.h"

#define SB_CAP 2048  /* one rendered piece of a line, including "..." */
#define HEX_MAX 32   /* bytes of a hex string printed before "..." */
#define LIST_MAX 256 /* lines printed for one SEQUENCE OF parsed here */

/* ================= string buffer ================= */

struct sbuf {
    size_t len;
    int cut; /* full: "..." was appended, later additions are dropped */
    char s[SB_CAP];
};

static void
sb_init(struct sbuf *sb)
{
    sb->len = 0;
    sb->cut = 0;
    sb->s[0] = '\0';
}

/* Marks |sb| full: drops a partial UTF-8 sequence at the end, adds "...". */
static void
sb_cut(struct sbuf *sb)
{
    size_t i = sb->len, need;

    /* Find the last lead byte within 3 bytes; drop it if incomplete. */
    while (i > 0 && sb->len - i < 4 && ((uint8_t)sb->s[i - 1] & 0xC0) == 0x80) {
        i--;
    }
    if (i > 0 && ((uint8_t)sb->s[i - 1] & 0x80) != 0) {
        uint8_t lead = (uint8_t)sb->s[i - 1];

        need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
        if (sb->len - (i - 1) < need) {
            sb->len = i - 1;
        }
    }
    memcpy(sb->s + sb->len, "...", 4);
    sb->len += 3;
    sb->cut = 1;
}

/* Appends |n| bytes; the caller has made them safe to print. */
static void
sb_putn(struct sbuf *sb, const void *p, size_t n)
{
    size_t room;

    if (sb->cut) {
        return;
    }
    room = SB_CAP - 4 - sb->len; /* keep room for "..." and the NUL */
    if (n > room) {
        memcpy(sb->s + sb->len, p, room);
        sb->len += room;
        sb_cut(sb);
        return;
    }
    memcpy(sb->s + sb->len, p, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *str)
{
    sb_putn(sb, str, strlen(str));
}

static void sb_add(struct sbuf *sb, const char *fmt, ...) CMP_PRINTF(2, 3);

static void
sb_add(struct sbuf *sb, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    sb_putn(sb, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Up to HEX_MAX bytes as upper-case hex, then "...". */
static void
sb_hex(struct sbuf *sb, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len && i < HEX_MAX; i++) {
        sb_add(sb, "%02X", p[i]);
    }
    if (len > HEX_MAX) {
        sb_puts(sb, "...");
    }
}

/* Hex with spaces between the bytes ("31 32 33 34"). */
static void
sb_hex_spaced(struct sbuf *sb, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len && i < HEX_MAX; i++) {
        sb_add(sb, i == 0 ? "%02X" : " %02X", p[i]);
    }
    if (len > HEX_MAX) {
        sb_puts(sb, " ...");
    }
}

/* An INTEGER's contents as 0x..., without the sign octet of a positive one. */
static void
sb_serial(struct sbuf *sb, const struct der_in *v)
{
    const uint8_t *p = v->p;
    size_t len = v->len;

    if (len == 0) {
        sb_puts(sb, "(empty)");
        return;
    }
    if ((p[0] & 0x80) != 0) {
        sb_puts(sb, "(negative) ");
    }
    if (len > 1 && p[0] == 0x00) {
        p++;
        len--;
    }
    sb_puts(sb, "0x");
    sb_hex(sb, p, len);
}

static void
sb_time(struct sbuf *sb, int64_t secs)
{
    char buf[48];

    sb_puts(sb, der_time_format(secs, buf, sizeof(buf)));
}

/* ---- escaping text from the network ---- */

enum text_enc {
    ENC_UTF8,  /* UTF8String: valid UTF-8 printed, the rest escaped */
    ENC_BYTES, /* Printable/IA5/Visible/T61/Numeric/OCTET STRING: ASCII only */
    ENC_BMP,   /* BMPString: UCS-2 big-endian */
    ENC_UCS4   /* UniversalString: UCS-4 big-endian */
};

/*
 * Code points printed as they are: not C0/C1 controls or DEL, not
 * surrogates or noncharacters, and none of the invisible or text-reordering
 * characters that could make the output lie (soft hyphen, Arabic letter
 * mark, zero-width and bidi controls, line and paragraph separators, BOM,
 * interlinear annotation, tag characters).
 */
static int
cp_printable(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
        return 0;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || (cp & 0xFFFE) == 0xFFFE ||
        (cp >= 0xFDD0 && cp <= 0xFDEF)) {
        return 0;
    }
    if (cp == 0xAD || cp == 0x61C || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
        (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F)) {
        return 0;
    }
    return 1;
}

/*
 * Writes one code point: printable ones as UTF-8, '\\' and the |specials|
 * with a backslash, the others as \xNN, \uNNNN or \UNNNNNNNN.
 */
static void
sb_codepoint(struct sbuf *sb, uint32_t cp, const char *specials)
{
    uint8_t u[4];

    if (!cp_printable(cp)) {
        if (cp < 0x100) {
            sb_add(sb, "\\x%02X", (unsigned)cp);
        } else if (cp <= 0xFFFF) {
            sb_add(sb, "\\u%04X", (unsigned)cp);
        } else {
            sb_add(sb, "\\U%08lX", (unsigned long)cp);
        }
        return;
    }
    if (cp < 0x80) {
        if (cp == '\\' || strchr(specials, (int)cp) != NULL) {
            u[0] = '\\';
            u[1] = (uint8_t)cp;
            sb_putn(sb, u, 2);
        } else {
            u[0] = (uint8_t)cp;
            sb_putn(sb, u, 1);
        }
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        sb_putn(sb, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        sb_putn(sb, u, 3);
    } else {
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        sb_putn(sb, u, 4);
    }
}

/* Decodes one strict UTF-8 sequence; returns its length, 0 if invalid. */
static size_t
utf8_decode(const uint8_t *p, size_t len, uint32_t *out_cp)
{
    uint32_t cp, min;
    size_t n, i;

    if (p[0] < 0x80) {
        *out_cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = p[0] & 0x1Fu;
        min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = p[0] & 0x0Fu;
        min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = p[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    *out_cp = cp;
    return n;
}

/* Appends text in encoding |enc|, escaped (see sb_codepoint()). */
static void
sb_text(struct sbuf *sb, int enc, const uint8_t *p, size_t len, const char *specials)
{
    size_t i = 0, n;
    uint32_t cp;

    while (i < len && !sb->cut) {
        switch (enc) {
        case ENC_UTF8:
            n = utf8_decode(p + i, len - i, &cp);
            if (n == 0) {
                sb_add(sb, "\\x%02X", p[i]);
                n = 1;
            } else {
                sb_codepoint(sb, cp, specials);
            }
            break;
        case ENC_BMP:
        case ENC_UCS4:
            n = enc == ENC_BMP ? 2 : 4;
            if (len - i < n) {
                sb_add(sb, "\\x%02X", p[i]);
                n = 1;
                break;
            }
            cp = enc == ENC_BMP ? ((uint32_t)p[i] << 8) | p[i + 1]
                                : ((uint32_t)p[i] << 24) | ((uint32_t)p[i + 1] << 16) |
                                      ((uint32_t)p[i + 2] << 8) | p[i + 3];
            sb_codepoint(sb, cp, specials);
            break;
        default: /* ENC_BYTES */
            n = 1;
            if (p[i] < 0x80) {
                sb_codepoint(sb, p[i], specials);
            } else {
                sb_add(sb, "\\x%02X", p[i]);
            }
            break;
        }
        i += n;
    }
}

/* "text" with quotes, escaped. */
static void
sb_quoted(struct sbuf *sb, int enc, const struct der_in *s)
{
    sb_puts(sb, "\"");
    sb_text(sb, enc, s->p, s->len, "\"");
    sb_puts(sb, "\"");
}

/* The string encoding of a universal string tag, or -1 for other tags. */
static int
string_enc(uint32_t tag)
{
    switch (tag) {
    case DER_UTF8_STRING:
        return ENC_UTF8;
    case 0x12: /* NumericString */
    case DER_PRINTABLE_STRING:
    case DER_T61_STRING:
    case DER_IA5_STRING:
    case DER_VISIBLE_STRING:
        return ENC_BYTES;
    case DER_BMP_STRING:
        return ENC_BMP;
    case DER_UNIVERSAL_STRING:
        return ENC_UCS4;
    default:
        return -1;
    }
}

/* The OID's name, or its dotted form; with |full| "name (1.2.3)". */
static void
sb_oid(struct sbuf *sb, const struct der_in *oid, int full)
{
    char buf[192];
    const char *name;

    if (full) {
        (void)cmp_oid_text(oid, buf, sizeof(buf));
        sb_puts(sb, buf);
        return;
    }
    name = cmp_oid_name(oid);
    if (name != NULL) {
        sb_puts(sb, name);
    } else if (der_oid_to_text(oid, buf, sizeof(buf))) {
        sb_puts(sb, buf);
    } else {
        sb_puts(sb, "(bad OID)");
    }
}

/* PKIFreeText: "a", "b" */
static void
sb_freetext(struct sbuf *sb, const struct cmp_freetext *ft)
{
    size_t i;

    for (i = 0; i < ft->num; i++) {
        if (i > 0) {
            sb_puts(sb, ", ");
        }
        sb_quoted(sb, ENC_UTF8, &ft->strs[i]);
    }
}

/* ================= small DER parsers ================= */

/* AlgorithmIdentifier with tag |tag|: OID contents and parameters TLV (len 0 if absent). */
static int
get_algid(struct der_in *in, uint32_t tag, struct der_in *oid, struct der_in *params)
{
    struct der_in seq;

    *params = DER_IN_EMPTY;
    if (!der_get(in, tag, &seq) || !der_get_oid(&seq, oid)) {
        return 0;
    }
    if (!der_done(&seq) && !der_get_any(&seq, NULL, NULL, params)) {
        return 0;
    }
    return der_done(&seq);
}

/* An AlgorithmIdentifier's name (parameters not shown). */
static int
sb_algid(struct sbuf *sb, struct der_in *in, uint32_t tag)
{
    struct der_in oid, params;

    if (!get_algid(in, tag, &oid, &params)) {
        return 0;
    }
    sb_oid(sb, &oid, 0);
    return 1;
}

/* Time TLV (UTCTime or GeneralizedTime); odd ones are shown as their text. */
static int
sb_time_tlv(struct sbuf *sb, struct der_in *in)
{
    struct der_in body;
    uint32_t tag;
    int64_t secs;

    if (!der_get_any(in, &tag, &body, NULL) ||
        (tag != DER_UTC_TIME && tag != DER_GENERALIZED_TIME)) {
        return 0;
    }
    if (der_parse_time(&body, tag, &secs)) {
        sb_time(sb, secs);
    } else {
        sb_quoted(sb, ENC_BYTES, &body);
    }
    return 1;
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
 * Printed as /CN=x/O=y, multi-valued RDNs joined with '+', values that are
 * no string as #hex of their DER. '/', '+', '=' and '\' in values get a
 * backslash.
 */
static int
sb_name(struct sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, rdns, set, atv, type, value_body;
    uint32_t vtag;
    const char *name;
    char dotted[128];
    int first, enc;

    if (!der_get(&in, DER_SEQUENCE, &rdns) || !der_done(&in)) {
        return 0;
    }
    if (der_done(&rdns)) {
        sb_puts(sb, "(empty)");
        return 1;
    }
    while (!der_done(&rdns)) {
        if (!der_get(&rdns, DER_SET, &set) || der_done(&set)) {
            return 0;
        }
        sb_puts(sb, "/");
        first = 1;
        while (!der_done(&set)) {
            struct der_in value_tlv;

            if (!der_get(&set, DER_SEQUENCE, &atv) || !der_get_oid(&atv, &type) ||
                !der_get_any(&atv, &vtag, &value_body, &value_tlv) || !der_done(&atv)) {
                return 0;
            }
            if (!first) {
                sb_puts(sb, "+");
            }
            first = 0;
            name = cmp_oid_short_name(&type);
            if (name == NULL) {
                name = der_oid_to_text(&type, dotted, sizeof(dotted)) ? dotted : "?";
            }
            sb_puts(sb, name);
            sb_puts(sb, "=");
            enc = string_enc(vtag);
            if (enc >= 0) {
                sb_text(sb, enc, value_body.p, value_body.len, "/+=");
            } else {
                sb_puts(sb, "#");
                sb_hex(sb, value_tlv.p, value_tlv.len);
            }
        }
    }
    return 1;
}

/* IPv4 dotted, IPv6 as eight hex groups, anything else (masks) as hex. */
static void
sb_ip(struct sbuf *sb, const struct der_in *v)
{
    size_t i;

    if (v->len == 4) {
        sb_add(sb, "%u.%u.%u.%u", v->p[0], v->p[1], v->p[2], v->p[3]);
    } else if (v->len == 16) {
        for (i = 0; i < 16; i += 2) {
            sb_add(sb, i == 0 ? "%x" : ":%x", ((unsigned)v->p[i] << 8) | v->p[i + 1]);
        }
    } else {
        sb_hex(sb, v->p, v->len);
    }
}

/*
 * GeneralName of type |type|; |value| is the Name TLV for directoryName,
 * else the contents (as in struct cmp_gname).
 */
static int
sb_gname(struct sbuf *sb, int type, const struct der_in *value)
{
    struct der_in in, oid;

    switch (type) {
    case CMP_GN_DIRNAME:
        sb_puts(sb, "directoryName ");
        return sb_name(sb, value);
    case CMP_GN_EMAIL:
        sb_puts(sb, "rfc822Name ");
        sb_text(sb, ENC_BYTES, value->p, value->len, " ");
        return 1;
    case CMP_GN_DNS:
        sb_puts(sb, "dNSName ");
        sb_text(sb, ENC_BYTES, value->p, value->len, " ");
        return 1;
    case CMP_GN_URI:
        sb_puts(sb, "uniformResourceIdentifier ");
        sb_text(sb, ENC_BYTES, value->p, value->len, " ");
        return 1;
    case CMP_GN_IP:
        sb_puts(sb, "iPAddress ");
        sb_ip(sb, value);
        return 1;
    case CMP_GN_RID:
        if (!der_check_oid(value)) {
            return 0;
        }
        sb_puts(sb, "registeredID ");
        sb_oid(sb, value, 0);
        return 1;
    case CMP_GN_OTHER:
        /* otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY } */
        in = *value;
        if (!der_get_oid(&in, &oid)) {
            return 0;
        }
        sb_puts(sb, "otherName ");
        sb_oid(sb, &oid, 0);
        return 1;
    case CMP_GN_X400:
        sb_add(sb, "x400Address (%zu bytes)", value->len);
        return 1;
    case CMP_GN_EDIPARTY:
        sb_add(sb, "ediPartyName (%zu bytes)", value->len);
        return 1;
    default:
        return 0;
    }
}

/* Reads one GeneralName TLV into the (type, value) pair of sb_gname(). */
static int
get_gname(struct der_in *in, int *out_type, struct der_in *out_value)
{
    struct der_in body, inner;
    uint32_t tag, num;

    if (!der_get_any(in, &tag, &body, NULL) || (tag & DER_CLASS_MASK) != DER_CLASS_CONTEXT) {
        return 0;
    }
    num = tag & DER_TAG_NUMBER_MASK;
    if (num > CMP_GN_RID) {
        return 0;
    }
    if (num == CMP_GN_DIRNAME) {
        inner = body;
        if (!der_get_tlv(&inner, DER_SEQUENCE, out_value) || !der_done(&inner)) {
            return 0;
        }
    } else {
        *out_value = body;
    }
    *out_type = (int)num;
    return 1;
}

/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName, "; "-separated. */
static int
sb_gnames(struct sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, seq, value;
    int type, first = 1;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    while (!der_done(&seq) && !sb->cut) {
        if (!get_gname(&seq, &type, &value)) {
            return 0;
        }
        if (!first) {
            sb_puts(sb, "; ");
        }
        first = 0;
        if (!sb_gname(sb, type, &value)) {
            return 0;
        }
    }
    return 1;
}

/* CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } */
static int
sb_certid_tlv(struct sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, seq, value, serial;
    int type;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !get_gname(&seq, &type, &value) ||
        !der_get(&seq, DER_INTEGER, &serial) || !der_done(&seq)) {
        return 0;
    }
    sb_puts(sb, "issuer ");
    if (!sb_gname(sb, type, &value)) {
        return 0;
    }
    sb_puts(sb, ", serial ");
    sb_serial(sb, &serial);
    return 1;
}

/* CRLReason ::= ENUMERATED (RFC 5280 5.3.1) */
static const char *
crl_reason_name(int64_t r)
{
    static const char *const names[] = {
        "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
        "superseded",    "cessationOfOperation", "certificateHold", NULL,
        "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
    };

    if (r < 0 || (size_t)r >= sizeof(names) / sizeof(names[0])) {
        return NULL;
    }
    return names[r];
}

/*
 * The contents of Extensions (the Extension TLVs): names, comma-separated,
 * "(critical)" marked; subjectAltName and CRLReason with their values.
 * Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 *     extnValue OCTET STRING }
 */
static int
sb_extensions(struct sbuf *sb, const struct der_in *contents)
{
    struct der_in in = *contents, ext, oid, crit, value, v;
    int first = 1;
    int64_t reason;

    if (der_done(&in)) {
        sb_puts(sb, "(none)");
        return 1;
    }
    while (!der_done(&in) && !sb->cut) {
        if (!der_get(&in, DER_SEQUENCE, &ext) || !der_get_oid(&ext, &oid)) {
            return 0;
        }
        crit = DER_IN_EMPTY;
        if (der_peek(&ext, DER_BOOLEAN) && !der_get(&ext, DER_BOOLEAN, &crit)) {
            return 0;
        }
        if (!der_get(&ext, DER_OCTET_STRING, &value) || !der_done(&ext)) {
            return 0;
        }
        if (!first) {
            sb_puts(sb, ", ");
        }
        first = 0;
        sb_oid(sb, &oid, 0);
        if (crit.len == 1 && crit.p[0] != 0) {
            sb_puts(sb, " (critical)");
        }
        if (cmp_oid_is(&oid, CMP_NID_SUBJECT_ALT_NAME)) {
            struct sbuf names;

            sb_init(&names);
            if (sb_gnames(&names, &value)) {
                sb_puts(sb, " [");
                sb_puts(sb, names.s);
                sb_puts(sb, "]");
            }
        } else if (cmp_oid_is(&oid, CMP_NID_CRL_REASON)) {
            v = value;
            if (der_get_int64_tag(&v, DER_ENUMERATED, &reason) && der_done(&v) &&
                crl_reason_name(reason) != NULL) {
                sb_add(sb, " %s", crl_reason_name(reason));
            }
        }
    }
    return 1;
}

/* Bit length of an unsigned big-endian number (leading zero octets skipped). */
static size_t
bit_length(const struct der_in *n)
{
    size_t i = 0, bits;
    uint8_t top;

    while (i < n->len && n->p[i] == 0) {
        i++;
    }
    if (i == n->len) {
        return 0;
    }
    bits = (n->len - i) * 8;
    for (top = n->p[i]; (top & 0x80) == 0; top = (uint8_t)(top << 1)) {
        bits--;
    }
    return bits;
}

static const struct {
    int nid;
    unsigned bits;
} curve_bits[] = {
    {CMP_NID_PRIME256V1, 256},       {CMP_NID_SECP384R1, 384},        {CMP_NID_SECP521R1, 521},
    {CMP_NID_SECP256K1, 256},        {CMP_NID_BRAINPOOL_P256R1, 256}, {CMP_NID_BRAINPOOL_P384R1, 384},
    {CMP_NID_BRAINPOOL_P512R1, 512},
};

/*
 * SubjectPublicKeyInfo contents: algorithm name, the curve of an EC key,
 * the size of RSA and EC keys. An empty key (RFC 9483 4.1.6: central key
 * generation requested) is said so.
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *     subjectPublicKey BIT STRING }
 */
static int
sb_spki_contents(struct sbuf *sb, const struct der_in *contents)
{
    struct der_in in = *contents, oid, params, bits, key, rsa, rsa_seq, n, curve;
    size_t i;

    if (!get_algid(&in, DER_SEQUENCE, &oid, &params) || !der_get(&in, DER_BIT_STRING, &bits) ||
        bits.len == 0 || !der_done(&in)) {
        return 0;
    }
    key = der_in_make(bits.p + 1, bits.len - 1);
    sb_oid(sb, &oid, 0);
    if (cmp_oid_is(&oid, CMP_NID_EC_PUBLIC_KEY)) {
        curve = params;
        if (der_get_oid(&curve, &n)) {
            sb_puts(sb, " ");
            sb_oid(sb, &n, 0);
            for (i = 0; i < sizeof(curve_bits) / sizeof(curve_bits[0]); i++) {
                if (cmp_oid_is(&n, curve_bits[i].nid)) {
                    sb_add(sb, " (%u-bit)", curve_bits[i].bits);
                    break;
                }
            }
        }
    } else if ((cmp_oid_is(&oid, CMP_NID_RSA_ENCRYPTION) || cmp_oid_is(&oid, CMP_NID_RSASSA_PSS)) && key.len > 0) {
        /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
        rsa = key;
        if (der_get(&rsa, DER_SEQUENCE, &rsa_seq) && der_get(&rsa_seq, DER_INTEGER, &n)) {
            sb_add(sb, " (%zu-bit)", bit_length(&n));
        }
    }
    if (key.len == 0) {
        sb_puts(sb, " (empty key: central key generation)");
    }
    return 1;
}

static int
sb_spki_tlv(struct sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, contents;

    return der_get(&in, DER_SEQUENCE, &contents) && der_done(&in) &&
           sb_spki_contents(sb, &contents);
}

/*
 * Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
 *     signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * TBSCertificate ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *     serialNumber INTEGER, signature AlgorithmIdentifier, issuer Name,
 *     validity Validity, subject Name, subjectPublicKeyInfo SPKI,
 *     issuerUniqueID [1] IMPLICIT OPTIONAL, subjectUniqueID [2] IMPLICIT OPTIONAL,
 *     extensions [3] EXPLICIT Extensions OPTIONAL }
 */
struct cert_info {
    struct der_in serial; /* INTEGER contents */
    struct der_in issuer; /* Name TLV */
    struct der_in subject;
    struct der_in spki; /* TLV */
    int has_not_before, has_not_after;
    int64_t not_before, not_after;
    int has_extensions;
    struct der_in extensions; /* contents of the Extensions SEQUENCE */
};

static int
cert_parse(const struct der_in *tlv, struct cert_info *ci)
{
    struct der_in in = *tlv, cert, tbs, skip, validity, t, ext;
    uint32_t tag;
    int present;

    memset(ci, 0, sizeof(*ci));
    if (!der_get(&in, DER_SEQUENCE, &cert) || !der_done(&in) ||
        !der_get(&cert, DER_SEQUENCE, &tbs) ||
        !der_get_opt(&tbs, DER_EXPLICIT(0), &skip, &present) ||
        !der_get(&tbs, DER_INTEGER, &ci->serial) || !der_get(&tbs, DER_SEQUENCE, &skip) ||
        !der_get_tlv(&tbs, DER_SEQUENCE, &ci->issuer) || !der_get(&tbs, DER_SEQUENCE, &validity) ||
        !der_get_tlv(&tbs, DER_SEQUENCE, &ci->subject) ||
        !der_get_tlv(&tbs, DER_SEQUENCE, &ci->spki)) {
        return 0;
    }
    /* Odd times don't make the certificate unprintable. */
    if (der_get_any(&validity, &tag, &t, NULL)) {
        ci->has_not_before = der_parse_time(&t, tag, &ci->not_before);
    }
    if (der_get_any(&validity, &tag, &t, NULL)) {
        ci->has_not_after = der_parse_time(&t, tag, &ci->not_after);
    }
    if (!der_get_opt(&tbs, DER_IMPLICIT(1, DER_BIT_STRING), &skip, &present) ||
        !der_get_opt(&tbs, DER_IMPLICIT(2, DER_BIT_STRING), &skip, &present) ||
        !der_get_opt(&tbs, DER_EXPLICIT(3), &ext, &ci->has_extensions)) {
        return 0;
    }
    if (ci->has_extensions && !der_get(&ext, DER_SEQUENCE, &ci->extensions)) {
        return 0;
    }
    return 1;
}

/* One line for a certificate: subject, issuer, serial. */
static void
sb_cert_line(struct sbuf *sb, const struct der_in *tlv)
{
    struct cert_info ci;
    size_t mark = sb->len;

    if (cert_parse(tlv, &ci)) {
        sb_puts(sb, "subject ");
        if (sb_name(sb, &ci.subject)) {
            sb_puts(sb, ", issuer ");
            if (sb_name(sb, &ci.issuer)) {
                sb_puts(sb, ", serial ");
                sb_serial(sb, &ci.serial);
                return;
            }
        }
    }
    if (!sb->cut) {
        sb->len = mark;
        sb->s[mark] = '\0';
    }
    sb_add(sb, "(unparsable, %zu bytes)", tlv->len);
}

/*
 * CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm,
 *     signatureValue BIT STRING }
 * TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature
 *     AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time
 *     OPTIONAL, revokedCertificates SEQUENCE OF ... OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
static int
sb_crl_line(struct sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, crl, tbs, skip, issuer, revoked;
    size_t num = 0;
    int present;

    if (!der_get(&in, DER_SEQUENCE, &crl) || !der_done(&in) || !der_get(&crl, DER_SEQUENCE, &tbs) ||
        !der_get_opt(&tbs, DER_INTEGER, &skip, &present) || !der_get(&tbs, DER_SEQUENCE, &skip) ||
        !der_get_tlv(&tbs, DER_SEQUENCE, &issuer)) {
        return 0;
    }
    sb_puts(sb, "issuer ");
    if (!sb_name(sb, &issuer)) {
        return 0;
    }
    sb_puts(sb, ", thisUpdate ");
    if (!sb_time_tlv(sb, &tbs)) {
        return 0;
    }
    if (der_peek(&tbs, DER_UTC_TIME) || der_peek(&tbs, DER_GENERALIZED_TIME)) {
        sb_puts(sb, ", nextUpdate ");
        if (!sb_time_tlv(sb, &tbs)) {
            return 0;
        }
    }
    if (!der_get_opt(&tbs, DER_SEQUENCE, &revoked, &present)) {
        return 0;
    }
    while (present && !der_done(&revoked)) {
        if (!der_get(&revoked, DER_SEQUENCE, &skip)) {
            return 0;
        }
        num++;
    }
    sb_add(sb, ", %zu revoked", num);
    return 1;
}

/* ---- parameters of MAC and signature algorithms (parsed by algparams.c) ---- */

/* INTEGER contents as a decimal number when it fits, else as hex. */
static void
sb_int_contents(struct sbuf *sb, const struct der_in *body)
{
    int64_t v;

    if (der_parse_int64(body, &v)) {
        sb_add(sb, "%lld", (long long)v);
    } else {
        sb_serial(sb, body);
    }
}

static int
sb_pbm_params(struct sbuf *sb, const struct der_in *params)
{
    struct cmp_pbm_params p;

    if (!cmp_pbm_params_decode(params, &p, NULL)) {
        return 0;
    }
    sb_puts(sb, "salt: ");
    sb_hex(sb, p.salt.p, p.salt.len);
    sb_puts(sb, "  owf: ");
    sb_oid(sb, &p.owf.oid, 0);
    sb_puts(sb, "  iterationCount: ");
    sb_int_contents(sb, &p.iteration_count);
    sb_puts(sb, "  mac: ");
    sb_oid(sb, &p.mac.oid, 0);
    return 1;
}

static int
sb_dhbm_params(struct sbuf *sb, const struct der_in *params)
{
    struct cmp_dhbm_params p;

    if (!cmp_dhbm_params_decode(params, &p, NULL)) {
        return 0;
    }
    sb_puts(sb, "owf: ");
    sb_oid(sb, &p.owf.oid, 0);
    sb_puts(sb, "  mac: ");
    sb_oid(sb, &p.mac.oid, 0);
    return 1;
}

static int
sb_pbmac1_params(struct sbuf *sb, const struct der_in *params)
{
    struct cmp_pbmac1_params p;
    struct cmp_pbkdf2_params kp;

    if (!cmp_pbmac1_params_decode(params, &p, NULL)) {
        return 0;
    }
    sb_puts(sb, "kdf: ");
    sb_oid(sb, &p.kdf.oid, 0);
    if (cmp_oid_is(&p.kdf.oid, CMP_NID_PBKDF2)) {
        if (!cmp_pbkdf2_params_decode(&p.kdf.params, &kp, NULL)) {
            return 0;
        }
        sb_puts(sb, "  salt: ");
        if (kp.has_salt_source) {
            sb_oid(sb, &kp.salt_source.oid, 0);
        } else {
            sb_hex(sb, kp.salt.p, kp.salt.len);
        }
        sb_puts(sb, "  iterationCount: ");
        sb_int_contents(sb, &kp.iteration_count);
        if (kp.has_key_length) {
            sb_puts(sb, "  keyLength: ");
            sb_int_contents(sb, &kp.key_length);
        }
        sb_puts(sb, "  prf: ");
        if (kp.has_prf) {
            sb_oid(sb, &kp.prf.oid, 0);
        } else {
            sb_puts(sb, "hmacWithSHA1 (default)");
        }
    }
    sb_puts(sb, "  mac: ");
    sb_oid(sb, &p.mac.oid, 0);
    return 1;
}

static int
sb_pss_params(struct sbuf *sb, const struct der_in *params)
{
    struct cmp_pss_params p;
    struct der_in mgf_params;

    if (!cmp_pss_params_decode(params, &p, NULL)) {
        return 0;
    }
    sb_puts(sb, "hash: ");
    if (p.has_hash) {
        sb_oid(sb, &p.hash.oid, 0);
    } else {
        sb_puts(sb, "sha1");
    }
    sb_puts(sb, "  mgf: ");
    if (!p.has_mgf) {
        sb_puts(sb, "mgf1 sha1");
    } else {
        sb_oid(sb, &p.mgf.oid, 0);
        if (p.has_mgf1_hash) {
            sb_puts(sb, " ");
            sb_oid(sb, &p.mgf1_hash.oid, 0);
        } else if (p.mgf.params.len > 0) {
            /* another mask generation function: its parameters shown the same way */
            mgf_params = p.mgf.params;
            sb_puts(sb, " ");
            if (!sb_algid(sb, &mgf_params, DER_SEQUENCE)) {
                return 0;
            }
        }
    }
    sb_puts(sb, "  saltLength: ");
    if (p.has_salt_length) {
        sb_int_contents(sb, &p.salt_length);
    } else {
        sb_puts(sb, "20");
    }
    return 1;
}

/*
 * The parameters of a protection or POPO algorithm, for a line of their
 * own. Returns 1 with nothing added when there is nothing worth showing
 * (absent or NULL), 0 when they don't parse.
 */
static int
sb_alg_params(struct sbuf *sb, const struct der_in *oid, const struct der_in *params)
{
    if (cmp_params_absent_or_null(params)) {
        return 1;
    }
    if (cmp_oid_is(oid, CMP_NID_PASSWORD_BASED_MAC)) {
        return sb_pbm_params(sb, params);
    }
    if (cmp_oid_is(oid, CMP_NID_DH_BASED_MAC)) {
        return sb_dhbm_params(sb, params);
    }
    if (cmp_oid_is(oid, CMP_NID_PBMAC1)) {
        return sb_pbmac1_params(sb, params);
    }
    if (cmp_oid_is(oid, CMP_NID_RSASSA_PSS)) {
        return sb_pss_params(sb, params);
    }
    sb_add(sb, "parameters: %zu bytes", params->len);
    return 1;
}

/* ================= the printer ================= */

struct printer {
    FILE *fp;
    int failed; /* a write failed */
};

static void pline(struct printer *pr, int level, const char *fmt, ...) CMP_PRINTF(3, 4);

/* One line, indented by two spaces per |level|. */
static void
pline(struct printer *pr, int level, const char *fmt, ...)
{
    va_list ap;

    if (pr->failed) {
        return;
    }
    if (fprintf(pr->fp, "%*s", level * 2, "") < 0) {
        pr->failed = 1;
        return;
    }
    va_start(ap, fmt);
    if (vfprintf(pr->fp, fmt, ap) < 0 || fputc('\n', pr->fp) == EOF) {
        pr->failed = 1;
    }
    va_end(ap);
}

/* Renders a Name into |sb| (or the unparsable note) and returns the text. */
static const char *
name_str(struct sbuf *sb, const struct der_in *tlv)
{
    sb_init(sb);
    if (!sb_name(sb, tlv)) {
        sb_init(sb);
        sb_add(sb, "(unparsable, %zu bytes)", tlv->len);
    }
    return sb->s;
}

static const char *
gname_str(struct sbuf *sb, const struct cmp_gname *gn)
{
    sb_init(sb);
    if (!sb_gname(sb, gn->type, &gn->value)) {
        sb_init(sb);
        sb_add(sb, "(unparsable GeneralName, %zu bytes)", gn->whole.len);
    }
    return sb->s;
}

static const char *
oid_str(struct sbuf *sb, const struct der_in *oid, int full)
{
    sb_init(sb);
    sb_oid(sb, oid, full);
    return sb->s;
}

static void
print_hex_field(struct printer *pr, int level, const char *label, const struct der_in *v)
{
    struct sbuf sb;

    sb_init(&sb);
    if (v->len == 0) {
        sb_puts(&sb, "(empty)");
    } else {
        sb_hex(&sb, v->p, v->len);
    }
    pline(pr, level, "%s: %s", label, sb.s);
}

/* A key identifier: quoted with its hex when it is printable ASCII, else hex. */
static void
print_kid(struct printer *pr, int level, const char *label, const struct der_in *v)
{
    struct sbuf sb;
    size_t i;
    int printable = v->len > 0;

    for (i = 0; i < v->len; i++) {
        if (v->p[i] < 0x20 || v->p[i] > 0x7E) {
            printable = 0;
        }
    }
    if (!printable) {
        print_hex_field(pr, level, label, v);
        return;
    }
    sb_init(&sb);
    sb_quoted(&sb, ENC_BYTES, v);
    sb_puts(&sb, " (");
    sb_hex_spaced(&sb, v->p, v->len);
    sb_puts(&sb, ")");
    pline(pr, level, "%s: %s", label, sb.s);
}

static const char *
status_name(int64_t status)
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
static void
print_status(struct printer *pr, int level, const char *label, const struct cmp_pkistatus *si)
{
    struct sbuf sb;
    const char *name = status_name(si->status);
    int bit, first = 1;

    if (name != NULL) {
        pline(pr, level, "%s: %s", label, name);
    } else {
        pline(pr, level, "%s: unknown (%lld)", label, (long long)si->status);
    }
    if (si->has_fail_info) {
        sb_init(&sb);
        for (bit = 0; bit < 64; bit++) {
            if ((si->fail_info & ((uint64_t)1 << bit)) == 0) {
                continue;
            }
            if (!first) {
                sb_puts(&sb, ", ");
            }
            first = 0;
            if (cmp_failure_bit_name(bit) != NULL) {
                sb_puts(&sb, cmp_failure_bit_name(bit));
            } else {
                sb_add(&sb, "bit %d", bit);
            }
        }
        pline(pr, level + 1, "failInfo: %s", first ? "(none)" : sb.s);
    }
    if (si->has_status_string) {
        sb_init(&sb);
        sb_freetext(&sb, &si->status_string);
        pline(pr, level + 1, "statusString: %s", sb.s);
    }
}

/* One certificate on one line: "label: subject ..., issuer ..., serial ...". */
static void
print_cert_line(struct printer *pr, int level, const char *label, const struct der_in *tlv)
{
    struct sbuf sb;

    sb_init(&sb);
    sb_cert_line(&sb, tlv);
    pline(pr, level, "%s: %s", label, sb.s);
}

/* A list of certificates: "label: N", then one line each. */
static void
print_certs(struct printer *pr, int level, const char *label, const struct cmp_certs *certs)
{
    char lab[32];
    size_t i;

    pline(pr, level, "%s: %zu", label, certs->num);
    for (i = 0; i < certs->num; i++) {
        snprintf(lab, sizeof(lab), "cert #%zu", i);
        print_cert_line(pr, level + 1, lab, &certs->items[i]);
    }
}

/* An issued certificate in full: subject, issuer, serial, validity, key. */
static void
print_cert_block(struct printer *pr, int level, const char *label, const struct der_in *tlv)
{
    struct cert_info ci;
    struct sbuf sb;

    if (!cert_parse(tlv, &ci)) {
        pline(pr, level, "%s: (unparsable, %zu bytes)", label, tlv->len);
        return;
    }
    pline(pr, level, "%s:", label);
    pline(pr, level + 1, "subject: %s", name_str(&sb, &ci.subject));
    pline(pr, level + 1, "issuer: %s", name_str(&sb, &ci.issuer));
    sb_init(&sb);
    sb_serial(&sb, &ci.serial);
    pline(pr, level + 1, "serial: %s", sb.s);
    if (ci.has_not_before) {
        sb_init(&sb);
        sb_time(&sb, ci.not_before);
        pline(pr, level + 1, "notBefore: %s", sb.s);
    }
    if (ci.has_not_after) {
        sb_init(&sb);
        sb_time(&sb, ci.not_after);
        pline(pr, level + 1, "notAfter: %s", sb.s);
    }
    sb_init(&sb);
    if (!sb_spki_tlv(&sb, &ci.spki)) {
        sb_init(&sb);
        sb_add(&sb, "(unparsable, %zu bytes)", ci.spki.len);
    }
    pline(pr, level + 1, "publicKey: %s", sb.s);
    if (ci.has_extensions) {
        sb_init(&sb);
        if (!sb_extensions(&sb, &ci.extensions)) {
            sb_init(&sb);
            sb_add(&sb, "(unparsable, %zu bytes)", ci.extensions.len);
        }
        pline(pr, level + 1, "extensions: %s", sb.s);
    }
}

/* A SEQUENCE OF Certificate (or CertificateList) TLV kept as a slice. */
static int
print_cert_seq(struct printer *pr, int level, const struct der_in *tlv, int crls)
{
    struct der_in in = *tlv, seq, item;
    struct sbuf sb;
    size_t n = 0;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    while (!der_done(&seq)) {
        if (!der_get_tlv(&seq, DER_SEQUENCE, &item)) {
            return 0;
        }
        if (n == LIST_MAX) {
            pline(pr, level, "...");
        }
        if (n < LIST_MAX) {
            sb_init(&sb);
            if (crls) {
                if (!sb_crl_line(&sb, &item)) {
                    sb_init(&sb);
                    sb_add(&sb, "(unparsable, %zu bytes)", item.len);
                }
            } else {
                sb_cert_line(&sb, &item);
            }
            pline(pr, level, "%s #%zu: %s", crls ? "crl" : "cert", n, sb.s);
        }
        n++;
    }
    return 1;
}

/* ---- InfoTypeAndValue ---- */

/* SEQUENCE OF x rendered as a comma list; |kind| says what x is. */
enum seq_kind { SEQ_UTF8, SEQ_ALGID, SEQ_OID };

static int
sb_seq_of(struct sbuf *sb, const struct der_in *tlv, int kind)
{
    struct der_in in = *tlv, seq, item;
    int first = 1;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    if (der_done(&seq)) {
        sb_puts(sb, "(empty)");
    }
    while (!der_done(&seq) && !sb->cut) {
        if (!first) {
            sb_puts(sb, ", ");
        }
        first = 0;
        switch (kind) {
        case SEQ_UTF8:
            if (!der_get(&seq, DER_UTF8_STRING, &item)) {
                return 0;
            }
            sb_quoted(sb, ENC_UTF8, &item);
            break;
        case SEQ_ALGID:
            if (!sb_algid(sb, &seq, DER_SEQUENCE)) {
                return 0;
            }
            break;
        default:
            if (!der_get_oid(&seq, &item)) {
                return 0;
            }
            sb_oid(sb, &item, 0);
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
static void
print_itav(struct printer *pr, int level, const char *prefix, const struct cmp_itav *itav)
{
    struct sbuf sb, val;
    const struct der_in *oid = &itav->type;
    struct der_in v = itav->value, body;
    int64_t secs;
    int ok = 1, lines = 0;

    sb_init(&sb);
    sb_puts(&sb, prefix);
    sb_oid(&sb, oid, 1);
    sb_init(&val);
    if (!itav->has_value) {
        /* no value: a request for that information */
    } else if (cmp_oid_is(oid, CMP_NID_IT_CERT_PROFILE) || cmp_oid_is(oid, CMP_NID_IT_SUPP_LANG_TAGS)) {
        ok = sb_seq_of(&val, &v, SEQ_UTF8);
    } else if (cmp_oid_is(oid, CMP_NID_IT_SIGN_KEY_PAIR_TYPES) || cmp_oid_is(oid, CMP_NID_IT_ENC_KEY_PAIR_TYPES)) {
        ok = sb_seq_of(&val, &v, SEQ_ALGID);
    } else if (cmp_oid_is(oid, CMP_NID_IT_UNSUPPORTED_OIDS)) {
        ok = sb_seq_of(&val, &v, SEQ_OID);
    } else if (cmp_oid_is(oid, CMP_NID_IT_PREFERRED_SYMM_ALG) || cmp_oid_is(oid, CMP_NID_IT_KEY_PAIR_PARAM_REP)) {
        ok = sb_algid(&val, &v, DER_SEQUENCE) && der_done(&v);
    } else if (cmp_oid_is(oid, CMP_NID_IT_KEY_PAIR_PARAM_REQ)) {
        ok = der_get_oid(&v, &body) && der_done(&v);
        if (ok) {
            sb_oid(&val, &body, 0);
        }
    } else if (cmp_oid_is(oid, CMP_NID_IT_CONFIRM_WAIT_TIME)) {
        ok = der_get_gentime(&v, &secs) && der_done(&v);
        if (ok) {
            sb_time(&val, secs);
        }
    } else if (cmp_oid_is(oid, CMP_NID_IT_CA_PROT_ENC_CERT) || cmp_oid_is(oid, CMP_NID_IT_ROOT_CA_CERT)) {
        sb_cert_line(&val, &v);
    } else if (cmp_oid_is(oid, CMP_NID_IT_CURRENT_CRL)) {
        ok = sb_crl_line(&val, &v);
    } else if (cmp_oid_is(oid, CMP_NID_IT_CA_CERTS) || cmp_oid_is(oid, CMP_NID_IT_CRLS)) {
        lines = 1;
    } else if (v.len == 2 && v.p[0] == DER_NULL && v.p[1] == 0) {
        /* NULL, e.g. implicitConfirm */
    } else {
        sb_add(&val, "(%zu bytes)", v.len);
    }
    if (!ok) {
        sb_init(&val);
        sb_add(&val, "(unparsable value, %zu bytes)", itav->value.len);
    }
    if (val.len > 0) {
        pline(pr, level, "%s: %s", sb.s, val.s);
    } else {
        pline(pr, level, "%s", sb.s);
    }
    if (lines && !print_cert_seq(pr, level + 1, &itav->value, cmp_oid_is(oid, CMP_NID_IT_CRLS))) {
        pline(pr, level + 1, "(unparsable value, %zu bytes)", itav->value.len);
    }
}

static void
print_itavs(struct printer *pr, int level, const struct cmp_itavs *itavs)
{
    char prefix[32];
    size_t i;

    for (i = 0; i < itavs->num; i++) {
        snprintf(prefix, sizeof(prefix), "itav #%zu: ", i);
        print_itav(pr, level, prefix, &itavs->items[i]);
    }
}

/* ---- header ---- */

static void
print_header(struct printer *pr, int level, const struct cmp_header *h)
{
    struct sbuf sb;
    const char *pvno_name = h->pvno == CMP_PVNO_1999   ? "cmp1999"
                            : h->pvno == CMP_PVNO_2000 ? "cmp2000"
                            : h->pvno == CMP_PVNO_2021 ? "cmp2021"
                                                       : "unknown";

    pline(pr, level, "header:");
    level++;
    pline(pr, level, "pvno: %lld (%s)", (long long)h->pvno, pvno_name);
    pline(pr, level, "sender: %s", gname_str(&sb, &h->sender));
    pline(pr, level, "recipient: %s", gname_str(&sb, &h->recipient));
    if (h->has_message_time) {
        sb_init(&sb);
        sb_time(&sb, h->message_time_secs);
        pline(pr, level, "messageTime: %s", sb.s);
    }
    if (h->has_protection_alg) {
        pline(pr, level, "protectionAlg: %s", oid_str(&sb, &h->protection_alg.oid, 1));
        sb_init(&sb);
        if (!sb_alg_params(&sb, &h->protection_alg.oid, &h->protection_alg.params)) {
            sb_init(&sb);
            sb_add(&sb, "(unparsable parameters, %zu bytes)", h->protection_alg.params.len);
        }
        if (sb.len > 0) {
            pline(pr, level + 1, "%s", sb.s);
        }
    }
    if (h->has_sender_kid) {
        print_kid(pr, level, "senderKID", &h->sender_kid);
    }
    if (h->has_recip_kid) {
        print_kid(pr, level, "recipKID", &h->recip_kid);
    }
    if (h->has_transaction_id) {
        print_hex_field(pr, level, "transactionID", &h->transaction_id);
    }
    if (h->has_sender_nonce) {
        print_hex_field(pr, level, "senderNonce", &h->sender_nonce);
    }
    if (h->has_recip_nonce) {
        print_hex_field(pr, level, "recipNonce", &h->recip_nonce);
    }
    if (h->has_free_text) {
        sb_init(&sb);
        sb_freetext(&sb, &h->free_text);
        pline(pr, level, "freeText: %s", sb.s);
    }
    if (h->has_general_info) {
        if (h->general_info.num == 1) {
            print_itav(pr, level, "generalInfo: ", &h->general_info.items[0]);
        } else {
            pline(pr, level, "generalInfo:");
            print_itavs(pr, level + 1, &h->general_info);
        }
    }
}

/* ---- request bodies ---- */

/* The fields of a CertTemplate that are present. */
static void
print_template(struct printer *pr, int level, const struct cmp_cert_template *t)
{
    struct sbuf sb;

    if (t->has_version) {
        pline(pr, level, "version: %lld", (long long)t->version);
    }
    if (t->has_serial) {
        sb_init(&sb);
        sb_serial(&sb, &t->serial);
        pline(pr, level, "serialNumber: %s", sb.s);
    }
    if (t->has_signing_alg) {
        pline(pr, level, "signingAlg: %s", oid_str(&sb, &t->signing_alg.oid, 0));
    }
    if (t->has_issuer) {
        pline(pr, level, "issuer: %s", name_str(&sb, &t->issuer));
    }
    if (t->has_validity) {
        sb_init(&sb);
        if (t->has_not_before) {
            sb_puts(&sb, "notBefore ");
            sb_time(&sb, t->not_before_secs);
        }
        if (t->has_not_after) {
            sb_puts(&sb, t->has_not_before ? ", notAfter " : "notAfter ");
            sb_time(&sb, t->not_after_secs);
        }
        pline(pr, level, "validity: %s", sb.len > 0 ? sb.s : "(empty)");
    }
    if (t->has_subject) {
        pline(pr, level, "subject: %s", name_str(&sb, &t->subject));
    }
    if (t->has_public_key) {
        sb_init(&sb);
        if (!sb_spki_contents(&sb, &t->public_key)) {
            sb_init(&sb);
            sb_add(&sb, "(unparsable, %zu bytes)", t->public_key.len);
        }
        pline(pr, level, "publicKey: %s", sb.s);
    }
    if (t->has_issuer_uid) {
        print_hex_field(pr, level, "issuerUID", &t->issuer_uid);
    }
    if (t->has_subject_uid) {
        print_hex_field(pr, level, "subjectUID", &t->subject_uid);
    }
    if (t->has_extensions) {
        sb_init(&sb);
        if (!sb_extensions(&sb, &t->extensions)) {
            sb_init(&sb);
            sb_add(&sb, "(unparsable, %zu bytes)", t->extensions.len);
        }
        pline(pr, level, "extensions: %s", sb.s);
    }
}

/* Controls and regInfo: one line each, with the values of the simple ones. */
static void
print_attrs(struct printer *pr, int level, const char *label, const struct cmp_itavs *a)
{
    struct sbuf sb;
    struct der_in v, s;
    size_t i;
    int ok;

    pline(pr, level, "%s:", label);
    for (i = 0; i < a->num; i++) {
        const struct cmp_itav *it = &a->items[i];

        sb_init(&sb);
        sb_oid(&sb, &it->type, 0);
        v = it->value;
        ok = 1;
        if (cmp_oid_is(&it->type, CMP_NID_REG_CTRL_REG_TOKEN) || cmp_oid_is(&it->type, CMP_NID_REG_CTRL_AUTHENTICATOR) ||
            cmp_oid_is(&it->type, CMP_NID_REG_INFO_UTF8_PAIRS)) {
            ok = der_get(&v, DER_UTF8_STRING, &s) && der_done(&v);
            if (ok) {
                sb_puts(&sb, ": ");
                sb_quoted(&sb, ENC_UTF8, &s);
            }
        } else if (cmp_oid_is(&it->type, CMP_NID_REG_CTRL_OLD_CERT_ID)) {
            sb_puts(&sb, ": ");
            ok = sb_certid_tlv(&sb, &it->value);
        } else if (it->has_value) {
            sb_add(&sb, " (%zu bytes)", it->value.len);
        }
        if (!ok) {
            sb_init(&sb);
            sb_oid(&sb, &it->type, 0);
            sb_add(&sb, ": (unparsable, %zu bytes)", it->value.len);
        }
        pline(pr, level + 1, "%s", sb.s);
    }
}

static void
print_popo(struct printer *pr, int level, const struct cmp_popo *popo)
{
    static const char *const priv_names[] = {"thisMessage", "subsequentMessage", "dhMAC",
                                             "agreeMAC", "encryptedKey"};
    struct sbuf sb;

    sb_init(&sb);
    switch (popo->type) {
    case CMP_POPO_RAVERIFIED:
        sb_puts(&sb, "raVerified");
        break;
    case CMP_POPO_SIGNATURE:
        sb_puts(&sb, "signature, ");
        sb_oid(&sb, &popo->alg.oid, 0);
        if (popo->has_poposk_input) {
            sb_puts(&sb, ", with poposkInput");
        }
        break;
    case CMP_POPO_KEYENC:
    case CMP_POPO_KEYAGREE:
        sb_puts(&sb, popo->type == CMP_POPO_KEYENC ? "keyEncipherment, " : "keyAgreement, ");
        if (popo->priv_type >= 0 && popo->priv_type <= CMP_POPO_PRIV_ENCRYPTED_KEY) {
            sb_puts(&sb, priv_names[popo->priv_type]);
        } else {
            sb_add(&sb, "[%d]", popo->priv_type);
        }
        if (popo->priv_type == CMP_POPO_PRIV_SUBSEQUENT) {
            sb_puts(&sb, popo->subsequent == CMP_SUBSEQ_ENCR_CERT        ? " encrCert"
                         : popo->subsequent == CMP_SUBSEQ_CHALLENGE_RESP ? " challengeResp"
                                                                         : " (unknown)");
        } else {
            sb_add(&sb, " (%zu bytes)", popo->priv.len);
        }
        break;
    default:
        sb_add(&sb, "[%d]", popo->type);
        break;
    }
    pline(pr, level, "popo: %s", sb.s);
}

static void
print_cert_req_msgs(struct printer *pr, int level, const struct cmp_cert_req_msgs *reqs)
{
    size_t i;

    for (i = 0; i < reqs->num; i++) {
        const struct cmp_cert_req_msg *r = &reqs->items[i];

        pline(pr, level, "CertReqMsg #%zu: certReqId %lld", i, (long long)r->cert_req_id);
        print_template(pr, level + 1, &r->tmpl);
        if (r->has_controls) {
            print_attrs(pr, level + 1, "controls", &r->controls.items);
        }
        if (r->has_popo) {
            print_popo(pr, level + 1, &r->popo);
        } else {
            pline(pr, level + 1, "popo: (none)");
        }
        if (r->has_reg_info) {
            print_attrs(pr, level + 1, "regInfo", &r->reg_info);
        }
    }
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE {
 *     version INTEGER, subject Name, subjectPKInfo SubjectPublicKeyInfo,
 *     attributes [0] IMPLICIT SET OF Attribute },
 *     signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * Attribute ::= SEQUENCE { type OID, values SET OF ANY }      (RFC 2986)
 */
static int
print_csr(struct printer *pr, int level, const struct der_in *tlv)
{
    struct der_in in = *tlv, csr, info, version, subject, spki, attrs, attr, type, values, ext;
    struct sbuf name, key, exts, others, sigalg;
    int present, has_exts = 0;

    /* Everything is parsed before anything is printed. */
    sb_init(&key);
    sb_init(&exts);
    sb_init(&others);
    sb_init(&sigalg);
    if (!der_get(&in, DER_SEQUENCE, &csr) || !der_done(&in) ||
        !der_get(&csr, DER_SEQUENCE, &info) || !der_get(&info, DER_INTEGER, &version) ||
        !der_get_tlv(&info, DER_SEQUENCE, &subject) || !der_get_tlv(&info, DER_SEQUENCE, &spki) ||
        !sb_spki_tlv(&key, &spki) ||
        !der_get_opt(&info, DER_IMPLICIT(0, DER_SET), &attrs, &present) || !der_done(&info)) {
        return 0;
    }
    while (present && !der_done(&attrs)) {
        if (!der_get(&attrs, DER_SEQUENCE, &attr) || !der_get_oid(&attr, &type) ||
            !der_get(&attr, DER_SET, &values) || !der_done(&attr)) {
            return 0;
        }
        if (cmp_oid_is(&type, CMP_NID_EXT_REQ) && !has_exts) {
            /* extensionRequest: SET OF Extensions, one value in practice */
            if (!der_get(&values, DER_SEQUENCE, &ext) || !sb_extensions(&exts, &ext)) {
                return 0;
            }
            has_exts = 1;
            continue;
        }
        if (others.len > 0) {
            sb_puts(&others, ", ");
        }
        sb_oid(&others, &type, 0);
    }
    if (!sb_algid(&sigalg, &csr, DER_SEQUENCE)) {
        return 0;
    }
    pline(pr, level, "subject: %s", name_str(&name, &subject));
    pline(pr, level, "publicKey: %s", key.s);
    if (has_exts) {
        pline(pr, level, "extensions: %s", exts.s);
    }
    if (others.len > 0) {
        pline(pr, level, "attributes: %s", others.s);
    }
    pline(pr, level, "signatureAlg: %s", sigalg.s);
    return 1;
}

/* ---- response bodies ---- */

static const char *
enckey_str(const struct cmp_enckey *k, char *buf, size_t len)
{
    snprintf(buf, len, "%s (%zu bytes)",
             k->type == CMP_ENCKEY_ENVELOPED ? "envelopedData" : "encryptedValue", k->whole.len);
    return buf;
}

static void
print_cert_rep(struct printer *pr, int level, const struct cmp_cert_rep *rep)
{
    struct sbuf sb;
    char buf[64];
    size_t i;

    if (rep->has_ca_pubs) {
        print_certs(pr, level, "caPubs", &rep->ca_pubs);
    }
    for (i = 0; i < rep->num; i++) {
        const struct cmp_cert_response *r = &rep->responses[i];

        pline(pr, level, "CertResponse #%zu: certReqId %lld", i, (long long)r->cert_req_id);
        print_status(pr, level + 1, "status", &r->status);
        if (r->has_ckp) {
            if (r->ckp.cert_type == CMP_CERT_PLAIN) {
                print_cert_block(pr, level + 1, "certificate", &r->ckp.cert);
            } else {
                pline(pr, level + 1, "encryptedCert: %s",
                      enckey_str(&r->ckp.enc_cert, buf, sizeof(buf)));
            }
            if (r->ckp.has_private_key) {
                pline(pr, level + 1, "privateKey: %s",
                      enckey_str(&r->ckp.private_key, buf, sizeof(buf)));
            }
            if (r->ckp.has_publication_info) {
                pline(pr, level + 1, "publicationInfo: (%zu bytes)", r->ckp.publication_info.len);
            }
        }
        if (r->has_rsp_info) {
            sb_init(&sb);
            sb_hex(&sb, r->rsp_info.p, r->rsp_info.len);
            pline(pr, level + 1, "rspInfo: %s", sb.s);
        }
    }
}

static void
print_rev_req(struct printer *pr, int level, const struct cmp_rev_req *rr)
{
    struct sbuf sb;
    struct der_in in, contents;
    size_t i;

    for (i = 0; i < rr->num; i++) {
        const struct cmp_rev_details *d = &rr->items[i];

        pline(pr, level, "RevDetails #%zu:", i);
        print_template(pr, level + 1, &d->cert_details);
        if (d->has_crl_entry_details) {
            sb_init(&sb);
            in = d->crl_entry_details;
            if (!der_get(&in, DER_SEQUENCE, &contents) || !sb_extensions(&sb, &contents)) {
                sb_init(&sb);
                sb_add(&sb, "(unparsable, %zu bytes)", d->crl_entry_details.len);
            }
            pline(pr, level + 1, "crlEntryDetails: %s", sb.s);
        }
    }
}

static void
print_rev_rep(struct printer *pr, int level, const struct cmp_rev_rep *rp)
{
    struct sbuf sb;
    char lab[32];
    size_t i;

    for (i = 0; i < rp->num_status; i++) {
        snprintf(lab, sizeof(lab), "status #%zu", i);
        print_status(pr, level, lab, &rp->status[i]);
    }
    if (rp->has_rev_certs) {
        pline(pr, level, "revCerts:");
        for (i = 0; i < rp->num_rev_certs; i++) {
            sb_init(&sb);
            sb_puts(&sb, "issuer ");
            if (!sb_gname(&sb, rp->rev_certs[i].issuer.type, &rp->rev_certs[i].issuer.value)) {
                sb_init(&sb);
                sb_puts(&sb, "issuer (unparsable)");
            }
            sb_puts(&sb, ", serial ");
            sb_serial(&sb, &rp->rev_certs[i].serial);
            pline(pr, level + 1, "certId #%zu: %s", i, sb.s);
        }
    }
    if (rp->has_crls) {
        pline(pr, level, "crls: %zu", rp->crls.num);
        for (i = 0; i < rp->crls.num; i++) {
            sb_init(&sb);
            if (!sb_crl_line(&sb, &rp->crls.items[i])) {
                sb_init(&sb);
                sb_add(&sb, "(unparsable, %zu bytes)", rp->crls.items[i].len);
            }
            pline(pr, level + 1, "crl #%zu: %s", i, sb.s);
        }
    }
}

static void
print_error_msg(struct printer *pr, int level, const struct cmp_error_msg *em)
{
    struct sbuf sb;

    print_status(pr, level, "status", &em->status);
    if (em->has_error_code) {
        /* OpenSSL sends its packed error codes here; hex shows lib and reason. */
        if (em->error_code > 0) {
            pline(pr, level, "errorCode: %lld (0x%llX)", (long long)em->error_code,
                  (unsigned long long)em->error_code);
        } else {
            pline(pr, level, "errorCode: %lld", (long long)em->error_code);
        }
    }
    if (em->has_error_details) {
        sb_init(&sb);
        sb_freetext(&sb, &em->error_details);
        pline(pr, level, "errorDetails: %s", sb.s);
    }
}

static void
print_cert_conf(struct printer *pr, int level, const struct cmp_certconf *cc)
{
    size_t i;

    if (cc->num == 0) {
        pline(pr, level, "(no CertStatus: all certificates rejected)");
    }
    for (i = 0; i < cc->num; i++) {
        const struct cmp_certstatus *cs = &cc->items[i];
        struct sbuf sb;

        pline(pr, level, "CertStatus #%zu: certReqId %lld", i, (long long)cs->cert_req_id);
        print_hex_field(pr, level + 1, "certHash", &cs->cert_hash);
        if (cs->has_status) {
            print_status(pr, level + 1, "status", &cs->status);
        }
        if (cs->has_hash_alg) {
            pline(pr, level + 1, "hashAlg: %s", oid_str(&sb, &cs->hash_alg.oid, 0));
        }
    }
}

static void
print_poll_rep(struct printer *pr, int level, const struct cmp_poll_rep *prep)
{
    struct sbuf sb;
    size_t i;

    for (i = 0; i < prep->num; i++) {
        const struct cmp_poll_rep_item *it = &prep->items[i];

        pline(pr, level, "certReqId %lld: checkAfter %lld s", (long long)it->cert_req_id,
              (long long)it->check_after);
        if (it->has_reason) {
            sb_init(&sb);
            sb_freetext(&sb, &it->reason);
            pline(pr, level + 1, "reason: %s", sb.s);
        }
    }
}

/* ---- the message ---- */

static const char *const body_descriptions[CMP_BODY_MAX + 1] = {
    "initialization request",
    "initialization response",
    "certification request",
    "certification response",
    "PKCS #10 certification request",
    "POP challenge",
    "POP response",
    "key update request",
    "key update response",
    "key recovery request",
    "key recovery response",
    "revocation request",
    "revocation response",
    "cross-certification request",
    "cross-certification response",
    "CA key update announcement",
    "certificate announcement",
    "revocation announcement",
    "CRL announcement",
    "confirmation",
    "nested messages",
    "general message",
    "general response",
    "error message",
    "certificate confirmation",
    "polling request",
    "polling response",
};

static void print_msg(struct printer *pr, int level, const char *label, const struct cmp_msg *msg,
                      int depth);

static void
print_body(struct printer *pr, int level, const struct cmp_body *b, int depth)
{
    const char *name = cmp_body_type_name(b->type);
    char lab[48];
    size_t i;

    if (name == NULL) {
        pline(pr, level, "body: [%d]", b->type);
        return;
    }
    switch (b->type) {
    case CMP_BODY_IR:
    case CMP_BODY_CR:
    case CMP_BODY_KUR:
    case CMP_BODY_KRR:
    case CMP_BODY_CCR:
        pline(pr, level, "body: %s", name);
        print_cert_req_msgs(pr, level + 1, &b->u.req);
        break;
    case CMP_BODY_IP:
    case CMP_BODY_CP:
    case CMP_BODY_KUP:
    case CMP_BODY_CCP:
        pline(pr, level, "body: %s", name);
        print_cert_rep(pr, level + 1, &b->u.rep);
        break;
    case CMP_BODY_P10CR:
        pline(pr, level, "body: %s", name);
        if (!print_csr(pr, level + 1, &b->u.p10cr)) {
            pline(pr, level + 1, "(unparsable CertificationRequest, %zu bytes)", b->u.p10cr.len);
        }
        break;
    case CMP_BODY_RR:
        pline(pr, level, "body: %s", name);
        print_rev_req(pr, level + 1, &b->u.rr);
        break;
    case CMP_BODY_RP:
        pline(pr, level, "body: %s", name);
        print_rev_rep(pr, level + 1, &b->u.rp);
        break;
    case CMP_BODY_PKICONF:
        pline(pr, level, "body: %s", name);
        break;
    case CMP_BODY_GENM:
    case CMP_BODY_GENP:
        pline(pr, level, "body: %s%s", name, b->u.itavs.num == 0 ? " (empty)" : "");
        print_itavs(pr, level + 1, &b->u.itavs);
        break;
    case CMP_BODY_ERROR:
        pline(pr, level, "body: %s", name);
        print_error_msg(pr, level + 1, &b->u.error);
        break;
    case CMP_BODY_CERTCONF:
        pline(pr, level, "body: %s", name);
        print_cert_conf(pr, level + 1, &b->u.cert_conf);
        break;
    case CMP_BODY_POLLREQ:
        pline(pr, level, "body: %s", name);
        for (i = 0; i < b->u.poll_req.num; i++) {
            pline(pr, level + 1, "certReqId %lld", (long long)b->u.poll_req.cert_req_ids[i]);
        }
        break;
    case CMP_BODY_POLLREP:
        pline(pr, level, "body: %s", name);
        print_poll_rep(pr, level + 1, &b->u.poll_rep);
        break;
    case CMP_BODY_NESTED:
        pline(pr, level, "body: %s, %zu message%s", name, b->u.nested.num,
              b->u.nested.num == 1 ? "" : "s");
        for (i = 0; i < b->u.nested.num; i++) {
            snprintf(lab, sizeof(lab), "PKIMessage #%zu", i);
            print_msg(pr, level + 1, lab, b->u.nested.items[i], depth + 1);
        }
        break;
    default:
        /* popdecc, popdecr, krp, ckuann, cann, rann, crlann: kept whole */
        pline(pr, level, "body: %s (%zu bytes, not decoded)", name, b->u.opaque.len);
        break;
    }
}

static void
print_msg(struct printer *pr, int level, const char *label, const struct cmp_msg *msg, int depth)
{
    int t = msg->body.type;
    const char *name = cmp_body_type_name(t);
    char size[40] = "";

    if (depth > CMP_MAX_NESTING + 1) {
        pline(pr, level, "%s: (nested too deeply)", label);
        return;
    }
    if (msg->raw.len > 0) {
        snprintf(size, sizeof(size), ", %zu bytes", msg->raw.len);
    }
    if (name != NULL && t >= 0 && t <= CMP_BODY_MAX) {
        pline(pr, level, "%s: %s (%s)%s", label, name, body_descriptions[t], size);
    } else {
        pline(pr, level, "%s: [%d]%s", label, t, size);
    }
    print_header(pr, level + 1, &msg->hdr);
    print_body(pr, level + 1, &msg->body, depth);
    if (msg->has_protection) {
        if (msg->protection_unused != 0) {
            pline(pr, level + 1, "protection: %zu bytes (%u unused bits)", msg->protection.len,
                  msg->protection_unused);
        } else {
            pline(pr, level + 1, "protection: %zu bytes", msg->protection.len);
        }
    } else {
        pline(pr, level + 1, "protection: (none)");
    }
    if (msg->has_extra_certs) {
        print_certs(pr, level + 1, "extraCerts", &msg->extra_certs);
    }
}

int
cmp_msg_print(FILE *fp, const struct cmp_msg *msg)
{
    struct printer pr;

    if (fp == NULL || msg == NULL) {
        return 0;
    }
    pr.fp = fp;
    pr.failed = 0;
    print_msg(&pr, 0, "PKIMessage", msg, 0);
    return !pr.failed;
}

/* ================= PEM ================= */

/* The value of a base64 character, or -1. */
static int
b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Finds |needle| at the start of a line in text[from..len); returns its offset or len. */
static size_t
find_line_start(const char *text, size_t len, size_t from, const char *needle)
{
    size_t n = strlen(needle), i;

    for (i = from; i + n <= len; i++) {
        if ((i == 0 || text[i - 1] == '\n') && memcmp(text + i, needle, n) == 0) {
            return i;
        }
    }
    return len;
}

/* The end of the line starting at |i| (offset of its '\n', or len). */
static size_t
line_end(const char *text, size_t len, size_t i)
{
    const char *nl = memchr(text + i, '\n', len - i);

    return nl != NULL ? (size_t)(nl - text) : len;
}

/*
 * Reads "LABEL-----" then optional spaces and a line end at text[i..];
 * sets the label's position.
 */
static int
pem_label(const char *text, size_t len, size_t i, size_t *label, size_t *label_len)
{
    size_t end = line_end(text, len, i), j;

    for (j = i; j + 5 <= end; j++) {
        if (memcmp(text + j, "-----", 5) == 0) {
            break;
        }
        if ((uint8_t)text[j] < 0x20 || (uint8_t)text[j] > 0x7E) {
            return 0;
        }
    }
    if (j + 5 > end || j == i || j - i > 80) {
        return 0;
    }
    *label = i;
    *label_len = j - i;
    for (j += 5; j < end; j++) {
        if (text[j] != ' ' && text[j] != '\t' && text[j] != '\r') {
            return 0;
        }
    }
    return 1;
}

/*
 * Strict base64 (RFC 7468 3) of text[from..to) into |buf|: the alphabet,
 * line breaks and blanks; '=' only as the last one or two characters, with
 * zero padding bits. Returns 1, or 0 with |*bad_at| at the offending
 * character (to when the length is wrong).
 */
static int
b64_decode(const char *text, size_t from, size_t to, uint8_t *buf, size_t *out_n, size_t *bad_at)
{
    size_t i, n = 0;
    uint32_t acc = 0;
    unsigned nchars = 0, pad = 0;
    int v;

    for (i = from; i < to; i++) {
        uint8_t c = (uint8_t)text[i];

        if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
            continue;
        }
        *bad_at = i;
        if (c == '=') {
            pad++;
            if (pad > 2 || nchars % 4 < 2) {
                return 0;
            }
            nchars++;
            continue;
        }
        v = b64_value(c);
        if (v < 0 || pad > 0) {
            return 0;
        }
        acc = (acc << 6) | (uint32_t)v;
        nchars++;
        if (nchars % 4 == 0) {
            buf[n++] = (uint8_t)(acc >> 16);
            buf[n++] = (uint8_t)(acc >> 8);
            buf[n++] = (uint8_t)acc;
            acc = 0;
        }
    }
    *bad_at = to;
    if (nchars % 4 != 0 || (pad == 2 && (acc & 0xF) != 0) || (pad == 1 && (acc & 0x3) != 0)) {
        return 0;
    }
    if (pad == 2) {
        buf[n++] = (uint8_t)(acc >> 4);
    } else if (pad == 1) {
        buf[n++] = (uint8_t)(acc >> 10);
        buf[n++] = (uint8_t)(acc >> 2);
    }
    *out_n = n;
    return 1;
}

int
cmp_pem_to_der(const char *text, size_t text_len, uint8_t **out, size_t *out_len,
               struct cmp_err *err)
{
    static const char begin[] = "-----BEGIN ", end[] = "-----END ";
    size_t b, e, body, label, label_len, end_label, end_label_len, n = 0, bad_at = 0;
    uint8_t *buf;

    if (out == NULL || out_len == NULL || (text == NULL && text_len > 0)) {
        return CMP_FAIL(err, CMP_E_ARG, "cmp_pem_to_der: NULL argument");
    }
    *out = NULL;
    *out_len = 0;
    b = find_line_start(text, text_len, 0, begin);
    if (b == text_len) {
        return CMP_FAIL(err, CMP_E_DECODE, "PEM: no \"-----BEGIN\" line");
    }
    if (!pem_label(text, text_len, b + sizeof(begin) - 1, &label, &label_len)) {
        (void)CMP_FAIL(err, CMP_E_DECODE, "PEM: bad BEGIN line");
        cmp_err_set_offset(err, b);
        return 0;
    }
    body = line_end(text, text_len, b);
    e = find_line_start(text, text_len, body, end);
    if (e == text_len ||
        !pem_label(text, text_len, e + sizeof(end) - 1, &end_label, &end_label_len) ||
        end_label_len != label_len || memcmp(text + label, text + end_label, label_len) != 0) {
        return CMP_FAIL(err, CMP_E_DECODE, "PEM: no matching \"-----END\" line");
    }
    /* Headers (RFC 1421 encrypted PEM) fail as invalid base64 (':'). */
    buf = malloc((e - body) / 4 * 3 + 3);
    if (buf == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PEM: out of memory");
    }
    if (!b64_decode(text, body, e, buf, &n, &bad_at)) {
        free(buf);
        if (bad_at < e) {
            (void)CMP_FAIL(err, CMP_E_DECODE, "PEM: invalid base64 character 0x%02X",
                           (unsigned)(uint8_t)text[bad_at]);
        } else {
            (void)CMP_FAIL(err, CMP_E_DECODE, "PEM: base64 length or padding is wrong");
        }
        cmp_err_set_offset(err, bad_at);
        return 0;
    }
    if (n == 0 || n > CMP_MAX_MSG_LEN) {
        free(buf);
        if (n == 0) {
            return CMP_FAIL(err, CMP_E_DECODE, "PEM: empty block");
        }
        return CMP_FAIL(err, CMP_E_LIMIT, "PEM: more than %u bytes", CMP_MAX_MSG_LEN);
    }
    *out = buf;
    *out_len = n;
    return 1;
}
