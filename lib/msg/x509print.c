/*
 * Certificates, CRLs, Names, keys and extensions for the printer. The model
 * keeps them as DER slices; the small parsers here read just enough of them
 * to print. They are lenient where that is harmless (non-minimal INTEGERs,
 * odd times) and the callers print "(unparsable, N bytes)" for what they
 * cannot read, never failing the whole print. libc only.
 */
#include <stdio.h>
#include <string.h>

#include "msg/internal.h"
#include "msg/oids.h"

#define LIST_MAX 256 /* lines printed for one SEQUENCE OF parsed here */

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
int
cmp_sb_algid(struct cmp_sbuf *sb, struct der_in *in, uint32_t tag)
{
    struct der_in oid, params;

    if (!get_algid(in, tag, &oid, &params)) {
        return 0;
    }
    cmp_sb_oid(sb, &oid, 0);
    return 1;
}

/* Time TLV (UTCTime or GeneralizedTime); odd ones are shown as their text. */
static int
sb_time_tlv(struct cmp_sbuf *sb, struct der_in *in)
{
    struct der_in body;
    uint32_t tag;
    int64_t secs;

    if (!der_get_any(in, &tag, &body, NULL) ||
        (tag != DER_UTC_TIME && tag != DER_GENERALIZED_TIME)) {
        return 0;
    }
    if (der_parse_time(&body, tag, &secs)) {
        cmp_sb_time(sb, secs);
    } else {
        cmp_sb_quoted(sb, CMP_ENC_BYTES, &body);
    }
    return 1;
}

/* The string encoding of a universal string tag, or -1 for other tags. */
static int
string_enc(uint32_t tag)
{
    switch (tag) {
    case DER_UTF8_STRING:
        return CMP_ENC_UTF8;
    case 0x12: /* NumericString */
    case DER_PRINTABLE_STRING:
    case DER_T61_STRING:
    case DER_IA5_STRING:
    case DER_VISIBLE_STRING:
        return CMP_ENC_BYTES;
    case DER_BMP_STRING:
        return CMP_ENC_BMP;
    case DER_UNIVERSAL_STRING:
        return CMP_ENC_UCS4;
    default:
        return -1;
    }
}

/*
 * Name ::= SEQUENCE OF RelativeDistinguishedName
 * RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
 * AttributeTypeAndValue ::= SEQUENCE { type OID, value ANY }
 * Printed as /CN=x/O=y, multi-valued RDNs joined with '+', values that are
 * no string as #hex of their DER. '/', '+', '=' and '\' in values get a
 * backslash.
 */
int
cmp_sb_name(struct cmp_sbuf *sb, const struct der_in *tlv)
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
        cmp_sb_puts(sb, "(empty)");
        return 1;
    }
    while (!der_done(&rdns)) {
        if (!der_get(&rdns, DER_SET, &set) || der_done(&set)) {
            return 0;
        }
        cmp_sb_puts(sb, "/");
        first = 1;
        while (!der_done(&set)) {
            struct der_in value_tlv;

            if (!der_get(&set, DER_SEQUENCE, &atv) || !der_get_oid(&atv, &type) ||
                !der_get_any(&atv, &vtag, &value_body, &value_tlv) || !der_done(&atv)) {
                return 0;
            }
            if (!first) {
                cmp_sb_puts(sb, "+");
            }
            first = 0;
            name = cmp_oid_short_name(&type);
            if (name == NULL) {
                name = der_oid_to_text(&type, dotted, sizeof(dotted)) ? dotted : "?";
            }
            cmp_sb_puts(sb, name);
            cmp_sb_puts(sb, "=");
            enc = string_enc(vtag);
            if (enc >= 0) {
                cmp_sb_text(sb, enc, value_body.p, value_body.len, "/+=");
            } else {
                cmp_sb_puts(sb, "#");
                cmp_sb_hex(sb, value_tlv.p, value_tlv.len);
            }
        }
    }
    return 1;
}

/* IPv4 dotted, IPv6 as eight hex groups, anything else (masks) as hex. */
static void
sb_ip(struct cmp_sbuf *sb, const struct der_in *v)
{
    size_t i;

    if (v->len == 4) {
        cmp_sb_add(sb, "%u.%u.%u.%u", v->p[0], v->p[1], v->p[2], v->p[3]);
    } else if (v->len == 16) {
        for (i = 0; i < 16; i += 2) {
            cmp_sb_add(sb, i == 0 ? "%x" : ":%x", ((unsigned)v->p[i] << 8) | v->p[i + 1]);
        }
    } else {
        cmp_sb_hex(sb, v->p, v->len);
    }
}

/*
 * GeneralName of type |type|; |value| is the Name TLV for directoryName,
 * else the contents (as in struct cmp_gname).
 */
int
cmp_sb_gname(struct cmp_sbuf *sb, int type, const struct der_in *value)
{
    struct der_in in, oid;

    switch (type) {
    case CMP_GN_DIRNAME:
        cmp_sb_puts(sb, "directoryName ");
        return cmp_sb_name(sb, value);
    case CMP_GN_EMAIL:
        cmp_sb_puts(sb, "rfc822Name ");
        cmp_sb_text(sb, CMP_ENC_BYTES, value->p, value->len, " ");
        return 1;
    case CMP_GN_DNS:
        cmp_sb_puts(sb, "dNSName ");
        cmp_sb_text(sb, CMP_ENC_BYTES, value->p, value->len, " ");
        return 1;
    case CMP_GN_URI:
        cmp_sb_puts(sb, "uniformResourceIdentifier ");
        cmp_sb_text(sb, CMP_ENC_BYTES, value->p, value->len, " ");
        return 1;
    case CMP_GN_IP:
        cmp_sb_puts(sb, "iPAddress ");
        sb_ip(sb, value);
        return 1;
    case CMP_GN_RID:
        if (!der_check_oid(value)) {
            return 0;
        }
        cmp_sb_puts(sb, "registeredID ");
        cmp_sb_oid(sb, value, 0);
        return 1;
    case CMP_GN_OTHER:
        /* otherName [0] IMPLICIT SEQUENCE { type-id OID, value [0] EXPLICIT ANY } */
        in = *value;
        if (!der_get_oid(&in, &oid)) {
            return 0;
        }
        cmp_sb_puts(sb, "otherName ");
        cmp_sb_oid(sb, &oid, 0);
        return 1;
    case CMP_GN_X400:
        cmp_sb_add(sb, "x400Address (%zu bytes)", value->len);
        return 1;
    case CMP_GN_EDIPARTY:
        cmp_sb_add(sb, "ediPartyName (%zu bytes)", value->len);
        return 1;
    default:
        return 0;
    }
}

/* Reads one GeneralName TLV into the (type, value) pair of cmp_sb_gname(). */
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
sb_gnames(struct cmp_sbuf *sb, const struct der_in *tlv)
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
            cmp_sb_puts(sb, "; ");
        }
        first = 0;
        if (!cmp_sb_gname(sb, type, &value)) {
            return 0;
        }
    }
    return 1;
}

/* CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } */
int
cmp_sb_certid_tlv(struct cmp_sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, seq, value, serial;
    int type;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !get_gname(&seq, &type, &value) ||
        !der_get(&seq, DER_INTEGER, &serial) || !der_done(&seq)) {
        return 0;
    }
    cmp_sb_puts(sb, "issuer ");
    if (!cmp_sb_gname(sb, type, &value)) {
        return 0;
    }
    cmp_sb_puts(sb, ", serial ");
    cmp_sb_serial(sb, &serial);
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
int
cmp_sb_extensions(struct cmp_sbuf *sb, const struct der_in *contents)
{
    struct der_in in = *contents, ext, oid, crit, value, v;
    int first = 1;
    int64_t reason;

    if (der_done(&in)) {
        cmp_sb_puts(sb, "(none)");
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
            cmp_sb_puts(sb, ", ");
        }
        first = 0;
        cmp_sb_oid(sb, &oid, 0);
        if (crit.len == 1 && crit.p[0] != 0) {
            cmp_sb_puts(sb, " (critical)");
        }
        if (cmp_oid_is(&oid, CMP_NID_SUBJECT_ALT_NAME)) {
            struct cmp_sbuf names;

            cmp_sb_init(&names);
            if (sb_gnames(&names, &value)) {
                cmp_sb_puts(sb, " [");
                cmp_sb_puts(sb, names.s);
                cmp_sb_puts(sb, "]");
            }
        } else if (cmp_oid_is(&oid, CMP_NID_CRL_REASON)) {
            v = value;
            if (der_get_int64_tag(&v, DER_ENUMERATED, &reason) && der_done(&v) &&
                crl_reason_name(reason) != NULL) {
                cmp_sb_add(sb, " %s", crl_reason_name(reason));
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
    {CMP_NID_PRIME256V1, 256},       {CMP_NID_SECP384R1, 384},
    {CMP_NID_SECP521R1, 521},        {CMP_NID_SECP256K1, 256},
    {CMP_NID_BRAINPOOL_P256R1, 256}, {CMP_NID_BRAINPOOL_P384R1, 384},
    {CMP_NID_BRAINPOOL_P512R1, 512},
};

/*
 * SubjectPublicKeyInfo contents: algorithm name, the curve of an EC key,
 * the size of RSA and EC keys. An empty key (RFC 9483 4.1.6: central key
 * generation requested) is said so.
 * SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
 *     subjectPublicKey BIT STRING }
 */
int
cmp_sb_spki_contents(struct cmp_sbuf *sb, const struct der_in *contents)
{
    struct der_in in = *contents, oid, params, bits, key, rsa, rsa_seq, n, curve;
    size_t i;

    if (!get_algid(&in, DER_SEQUENCE, &oid, &params) || !der_get(&in, DER_BIT_STRING, &bits) ||
        bits.len == 0 || !der_done(&in)) {
        return 0;
    }
    key = der_in_make(bits.p + 1, bits.len - 1);
    cmp_sb_oid(sb, &oid, 0);
    if (cmp_oid_is(&oid, CMP_NID_EC_PUBLIC_KEY)) {
        curve = params;
        if (der_get_oid(&curve, &n)) {
            cmp_sb_puts(sb, " ");
            cmp_sb_oid(sb, &n, 0);
            for (i = 0; i < sizeof(curve_bits) / sizeof(curve_bits[0]); i++) {
                if (cmp_oid_is(&n, curve_bits[i].nid)) {
                    cmp_sb_add(sb, " (%u-bit)", curve_bits[i].bits);
                    break;
                }
            }
        }
    } else if ((cmp_oid_is(&oid, CMP_NID_RSA_ENCRYPTION) || cmp_oid_is(&oid, CMP_NID_RSASSA_PSS)) &&
               key.len > 0) {
        /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
        rsa = key;
        if (der_get(&rsa, DER_SEQUENCE, &rsa_seq) && der_get(&rsa_seq, DER_INTEGER, &n)) {
            cmp_sb_add(sb, " (%zu-bit)", bit_length(&n));
        }
    }
    if (key.len == 0) {
        cmp_sb_puts(sb, " (empty key: central key generation)");
    }
    return 1;
}

int
cmp_sb_spki_tlv(struct cmp_sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, contents;

    return der_get(&in, DER_SEQUENCE, &contents) && der_done(&in) &&
           cmp_sb_spki_contents(sb, &contents);
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
void
cmp_sb_cert_line(struct cmp_sbuf *sb, const struct der_in *tlv)
{
    struct cert_info ci;
    size_t mark = sb->len;

    if (cert_parse(tlv, &ci)) {
        cmp_sb_puts(sb, "subject ");
        if (cmp_sb_name(sb, &ci.subject)) {
            cmp_sb_puts(sb, ", issuer ");
            if (cmp_sb_name(sb, &ci.issuer)) {
                cmp_sb_puts(sb, ", serial ");
                cmp_sb_serial(sb, &ci.serial);
                return;
            }
        }
    }
    if (!sb->cut) {
        sb->len = mark;
        sb->s[mark] = '\0';
    }
    cmp_sb_add(sb, "(unparsable, %zu bytes)", tlv->len);
}

/*
 * CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm,
 *     signatureValue BIT STRING }
 * TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature
 *     AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time
 *     OPTIONAL, revokedCertificates SEQUENCE OF ... OPTIONAL,
 *     crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 */
int
cmp_sb_crl_line(struct cmp_sbuf *sb, const struct der_in *tlv)
{
    struct der_in in = *tlv, crl, tbs, skip, issuer, revoked;
    size_t num = 0;
    int present;

    if (!der_get(&in, DER_SEQUENCE, &crl) || !der_done(&in) || !der_get(&crl, DER_SEQUENCE, &tbs) ||
        !der_get_opt(&tbs, DER_INTEGER, &skip, &present) || !der_get(&tbs, DER_SEQUENCE, &skip) ||
        !der_get_tlv(&tbs, DER_SEQUENCE, &issuer)) {
        return 0;
    }
    cmp_sb_puts(sb, "issuer ");
    if (!cmp_sb_name(sb, &issuer)) {
        return 0;
    }
    cmp_sb_puts(sb, ", thisUpdate ");
    if (!sb_time_tlv(sb, &tbs)) {
        return 0;
    }
    if (der_peek(&tbs, DER_UTC_TIME) || der_peek(&tbs, DER_GENERALIZED_TIME)) {
        cmp_sb_puts(sb, ", nextUpdate ");
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
    cmp_sb_add(sb, ", %zu revoked", num);
    return 1;
}

/* ---- whole lines ---- */

/* Renders a Name into |sb| (or the unparsable note) and returns the text. */
const char *
cmp_name_str(struct cmp_sbuf *sb, const struct der_in *tlv)
{
    cmp_sb_init(sb);
    if (!cmp_sb_name(sb, tlv)) {
        cmp_sb_init(sb);
        cmp_sb_add(sb, "(unparsable, %zu bytes)", tlv->len);
    }
    return sb->s;
}

const char *
cmp_gname_str(struct cmp_sbuf *sb, const struct cmp_gname *gn)
{
    cmp_sb_init(sb);
    if (!cmp_sb_gname(sb, gn->type, &gn->value)) {
        cmp_sb_init(sb);
        cmp_sb_add(sb, "(unparsable GeneralName, %zu bytes)", gn->whole.len);
    }
    return sb->s;
}

/* One certificate on one line: "label: subject ..., issuer ..., serial ...". */
static void
print_cert_line(struct cmp_printer *pr, int level, const char *label, const struct der_in *tlv)
{
    struct cmp_sbuf sb;

    cmp_sb_init(&sb);
    cmp_sb_cert_line(&sb, tlv);
    cmp_pline(pr, level, "%s: %s", label, sb.s);
}

/* A list of certificates: "label: N", then one line each. */
void
cmp_print_certs(struct cmp_printer *pr, int level, const char *label, const struct cmp_certs *certs)
{
    char lab[32];
    size_t i;

    cmp_pline(pr, level, "%s: %zu", label, certs->num);
    for (i = 0; i < certs->num; i++) {
        snprintf(lab, sizeof(lab), "cert #%zu", i);
        print_cert_line(pr, level + 1, lab, &certs->items[i]);
    }
}

/* An issued certificate in full: subject, issuer, serial, validity, key. */
void
cmp_print_cert_block(struct cmp_printer *pr, int level, const char *label, const struct der_in *tlv)
{
    struct cert_info ci;
    struct cmp_sbuf sb;

    if (!cert_parse(tlv, &ci)) {
        cmp_pline(pr, level, "%s: (unparsable, %zu bytes)", label, tlv->len);
        return;
    }
    cmp_pline(pr, level, "%s:", label);
    cmp_pline(pr, level + 1, "subject: %s", cmp_name_str(&sb, &ci.subject));
    cmp_pline(pr, level + 1, "issuer: %s", cmp_name_str(&sb, &ci.issuer));
    cmp_sb_init(&sb);
    cmp_sb_serial(&sb, &ci.serial);
    cmp_pline(pr, level + 1, "serial: %s", sb.s);
    if (ci.has_not_before) {
        cmp_sb_init(&sb);
        cmp_sb_time(&sb, ci.not_before);
        cmp_pline(pr, level + 1, "notBefore: %s", sb.s);
    }
    if (ci.has_not_after) {
        cmp_sb_init(&sb);
        cmp_sb_time(&sb, ci.not_after);
        cmp_pline(pr, level + 1, "notAfter: %s", sb.s);
    }
    cmp_sb_init(&sb);
    if (!cmp_sb_spki_tlv(&sb, &ci.spki)) {
        cmp_sb_init(&sb);
        cmp_sb_add(&sb, "(unparsable, %zu bytes)", ci.spki.len);
    }
    cmp_pline(pr, level + 1, "publicKey: %s", sb.s);
    if (ci.has_extensions) {
        cmp_sb_init(&sb);
        if (!cmp_sb_extensions(&sb, &ci.extensions)) {
            cmp_sb_init(&sb);
            cmp_sb_add(&sb, "(unparsable, %zu bytes)", ci.extensions.len);
        }
        cmp_pline(pr, level + 1, "extensions: %s", sb.s);
    }
}

/* A SEQUENCE OF Certificate (or CertificateList) TLV kept as a slice. */
int
cmp_print_cert_seq(struct cmp_printer *pr, int level, const struct der_in *tlv, int crls)
{
    struct der_in in = *tlv, seq, item;
    struct cmp_sbuf sb;
    size_t n = 0;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    while (!der_done(&seq)) {
        if (!der_get_tlv(&seq, DER_SEQUENCE, &item)) {
            return 0;
        }
        if (n == LIST_MAX) {
            cmp_pline(pr, level, "...");
        }
        if (n < LIST_MAX) {
            cmp_sb_init(&sb);
            if (crls) {
                if (!cmp_sb_crl_line(&sb, &item)) {
                    cmp_sb_init(&sb);
                    cmp_sb_add(&sb, "(unparsable, %zu bytes)", item.len);
                }
            } else {
                cmp_sb_cert_line(&sb, &item);
            }
            cmp_pline(pr, level, "%s #%zu: %s", crls ? "crl" : "cert", n, sb.s);
        }
        n++;
    }
    return 1;
}
