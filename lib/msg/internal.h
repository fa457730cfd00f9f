/*
 * What the files of lib/msg share and no other layer needs: the printer's
 * output buffer and lines (printbuf.c), the lenient X.509 printers
 * (x509print.c), the printers of the shared types, and the body codecs that
 * the body table (body.c) points to, one per body family file.
 */
#ifndef CMPKIT_MSG_INTERNAL_H
#define CMPKIT_MSG_INTERNAL_H

#include <stdio.h>

#include "msg/msg.h"

/* Marks the writer failed: the model cannot be encoded as valid DER. */
static inline int
cmp_encode_fail(struct der_out *out)
{
    out->failed = 1;
    return 0;
}

/* ================= the printer's output (printbuf.c) ================= */

#define CMP_SB_CAP 2048 /* one rendered piece of a line, including "..." */

/*
 * A piece of a line, built before it is printed, so that a slice that fails
 * to parse halfway prints nothing partial. When full it is cut with "..."
 * and later additions are dropped.
 */
struct cmp_sbuf {
    size_t len;
    int cut; /* full: "..." was appended, later additions are dropped */
    char s[CMP_SB_CAP];
};

void cmp_sb_init(struct cmp_sbuf *sb);
/* cmp_sb_putn() appends |n| bytes the caller has made safe to print. */
void cmp_sb_putn(struct cmp_sbuf *sb, const void *p, size_t n);
void cmp_sb_puts(struct cmp_sbuf *sb, const char *str);
void cmp_sb_add(struct cmp_sbuf *sb, const char *fmt, ...) CMP_PRINTF(2, 3);
/* Up to 32 bytes as upper-case hex, then "..."; cmp_sb_hex_spaced() puts spaces between. */
void cmp_sb_hex(struct cmp_sbuf *sb, const uint8_t *p, size_t len);
void cmp_sb_hex_spaced(struct cmp_sbuf *sb, const uint8_t *p, size_t len);
/* An INTEGER's contents as 0x..., without the sign octet of a positive one. */
void cmp_sb_serial(struct cmp_sbuf *sb, const struct der_in *v);
void cmp_sb_time(struct cmp_sbuf *sb, int64_t secs);

/* How the bytes of a string from the network are encoded. */
enum cmp_text_enc {
    CMP_ENC_UTF8,  /* UTF8String: valid UTF-8 printed, the rest escaped */
    CMP_ENC_BYTES, /* Printable/IA5/Visible/T61/Numeric/OCTET STRING: ASCII only */
    CMP_ENC_BMP,   /* BMPString: UCS-2 big-endian */
    CMP_ENC_UCS4   /* UniversalString: UCS-4 big-endian */
};

/*
 * cmp_sb_text() appends text in encoding |enc| (enum cmp_text_enc), escaped:
 * printable code points as UTF-8, '\\' and the |specials| with a backslash,
 * the rest (controls, bidi and invisible characters, invalid UTF-8) as \xNN,
 * \uNNNN or \UNNNNNNNN, so that no control character reaches the output.
 */
void cmp_sb_text(struct cmp_sbuf *sb, int enc, const uint8_t *p, size_t len, const char *specials);
/* "text" with quotes, escaped. */
void cmp_sb_quoted(struct cmp_sbuf *sb, int enc, const struct der_in *s);
/* The OID's name, or its dotted form; with |full| "name (1.2.3)". */
void cmp_sb_oid(struct cmp_sbuf *sb, const struct der_in *oid, int full);

/* Where the lines go: a file, or (fp NULL) a callback per line; a failed write is remembered. */
struct cmp_printer {
    FILE *fp;
    cmp_msg_line_fn *line; /* with fp NULL: gets each line, indentation included */
    void *line_arg;
    int failed; /* a write failed */
};

/* cmp_pline() prints one line, indented by two spaces per |level|. */
void cmp_pline(struct cmp_printer *pr, int level, const char *fmt, ...) CMP_PRINTF(3, 4);
/* cmp_oid_str() renders cmp_sb_oid() into |sb| and returns the text. */
const char *cmp_oid_str(struct cmp_sbuf *sb, const struct der_in *oid, int full);
/* "label: hex", or "label: (empty)". */
void cmp_print_hex_field(struct cmp_printer *pr, int level, const char *label,
                         const struct der_in *v);

/* ================= certificates and names (x509print.c) ================= */

/*
 * Lenient parsers of the X.509 slices the model keeps (Names, certificates,
 * CRLs, keys, extensions): they read just enough to print. The cmp_sb_
 * ones return 0, having added possibly partial text, when the slice does not
 * parse; the callers then print "(unparsable, N bytes)" instead.
 */
/* An AlgorithmIdentifier element with tag |tag| from |in|: its name. */
int cmp_sb_algid(struct cmp_sbuf *sb, struct der_in *in, uint32_t tag);
/* A Name TLV as /CN=x/O=y. */
int cmp_sb_name(struct cmp_sbuf *sb, const struct der_in *tlv);
/* A GeneralName of |type|: |value| as in struct cmp_gname. */
int cmp_sb_gname(struct cmp_sbuf *sb, int type, const struct der_in *value);
/* A CertId TLV: "issuer ..., serial ...". */
int cmp_sb_certid_tlv(struct cmp_sbuf *sb, const struct der_in *tlv);
/* The contents of Extensions: names, "(critical)", a few values. */
int cmp_sb_extensions(struct cmp_sbuf *sb, const struct der_in *contents);
/* SubjectPublicKeyInfo contents / TLV: algorithm, curve, size. */
int cmp_sb_spki_contents(struct cmp_sbuf *sb, const struct der_in *contents);
int cmp_sb_spki_tlv(struct cmp_sbuf *sb, const struct der_in *tlv);
/* A certificate on one line (never fails: "(unparsable, N bytes)"). */
void cmp_sb_cert_line(struct cmp_sbuf *sb, const struct der_in *tlv);
/* A CRL on one line: issuer, thisUpdate, nextUpdate, revoked count. */
int cmp_sb_crl_line(struct cmp_sbuf *sb, const struct der_in *tlv);

/* A Name or GeneralName rendered into |sb| (or the unparsable note); returns the text. */
const char *cmp_name_str(struct cmp_sbuf *sb, const struct der_in *tlv);
const char *cmp_gname_str(struct cmp_sbuf *sb, const struct cmp_gname *gn);

/* "label: N", then one line per certificate. */
void cmp_print_certs(struct cmp_printer *pr, int level, const char *label,
                     const struct cmp_certs *certs);
/* An issued certificate in full: subject, issuer, serial, validity, key, extensions. */
void cmp_print_cert_block(struct cmp_printer *pr, int level, const char *label,
                          const struct der_in *tlv);
/* A SEQUENCE OF Certificate (or of CertificateList with |crls|) TLV; 0 if it does not parse. */
int cmp_print_cert_seq(struct cmp_printer *pr, int level, const struct der_in *tlv, int crls);

/* ================= the shared types' printers ================= */

/* PKIFreeText: "a", "b" (common.c) */
void cmp_sb_freetext(struct cmp_sbuf *sb, const struct cmp_freetext *ft);
/* PKIStatusInfo: "label: status", then failInfo and statusString below it (common.c) */
void cmp_print_status(struct cmp_printer *pr, int level, const char *label,
                      const struct cmp_pkistatus *si);
/*
 * The parameters of a protection or POPO algorithm (algparams.c), for a line
 * of their own: 1 with nothing added when there is nothing worth showing
 * (absent or NULL), 0 when they don't parse.
 */
int cmp_sb_alg_params(struct cmp_sbuf *sb, const struct der_in *oid, const struct der_in *params);
/* One InfoTypeAndValue, "prefix<type>: value", and a list of them (genm.c) */
void cmp_print_itav(struct cmp_printer *pr, int level, const char *prefix,
                    const struct cmp_itav *itav);
void cmp_print_itavs(struct cmp_printer *pr, int level, const struct cmp_itavs *itavs);
/*
 * The values of RFC 9810 5.3.19.15 to 5.3.19.17 on lines of their own
 * (genmval.c): 1, or 0 with nothing printed when |value| does not parse.
 */
int cmp_print_root_ca_key_update(struct cmp_printer *pr, int level, const struct der_in *value);
int cmp_print_cert_req_template(struct cmp_printer *pr, int level, const struct der_in *value);
int cmp_print_crl_status_list(struct cmp_printer *pr, int level, const struct der_in *value);
/*
 * EncryptedKey and EncryptedValue (enckey.c): "label: encryptedValue" and its
 * fields below, or "label: envelopedData: <recipients, content>".
 */
void cmp_print_enckey(struct cmp_printer *pr, int level, const char *label,
                      const struct cmp_enckey *ek);
void cmp_print_enc_value(struct cmp_printer *pr, int level, const char *label,
                         const struct cmp_enc_value *ev);
/* The fields of a CertTemplate that are present (crmf.c; rr's RevDetails use it too) */
void cmp_print_template(struct cmp_printer *pr, int level, const struct cmp_cert_template *t);
/* The header (header.c) and a whole message, nested ones included (print.c) */
void cmp_print_header(struct cmp_printer *pr, int level, const struct cmp_header *h);
void cmp_print_msg(struct cmp_printer *pr, int level, const char *label, const struct cmp_msg *msg,
                   int depth);

/* ================= the body families' codecs (body.c's table points to them) ================= */

extern const struct cmp_body_codec cmp_cert_req_body; /* crmf.c: ir cr kur krr ccr */
extern const struct cmp_body_codec cmp_cert_rep_body; /* certrep.c: ip cp kup ccp */
extern const struct cmp_body_codec cmp_p10cr_body;    /* p10cr.c */
extern const struct cmp_body_codec cmp_rev_req_body;  /* rev.c: rr */
extern const struct cmp_body_codec cmp_rev_rep_body;  /* rev.c: rp */
extern const struct cmp_body_codec cmp_pkiconf_body;  /* certconf.c */
extern const struct cmp_body_codec cmp_certconf_body; /* certconf.c */
extern const struct cmp_body_codec cmp_nested_body;   /* nested.c */
extern const struct cmp_body_codec cmp_genm_body;     /* genm.c: genm genp */
extern const struct cmp_body_codec cmp_error_body;    /* error.c */
extern const struct cmp_body_codec cmp_poll_req_body; /* poll.c */
extern const struct cmp_body_codec cmp_poll_rep_body; /* poll.c */
extern const struct cmp_body_codec cmp_opaque_body;   /* opaque.c: the bodies kept whole */

/*
 * CMP_BODY_CODEC() defines |var|, the struct cmp_body_codec of a body family
 * with typed functions prefix_decode(in, type *, err), prefix_encode(out,
 * const type *), prefix_cleanup(type *) and print(pr, level, const type *),
 * which prints the content's lines below "body: <name>": the table's untyped
 * views of them, written once.
 */
#define CMP_BODY_CODEC(var, asn1_name, type, prefix, print)                                        \
    static int var##_decode(struct der_in *in, void *content, int depth, struct cmp_err *err)      \
    {                                                                                              \
        return prefix##_decode(in, content, err);                                                  \
    }                                                                                              \
    static int var##_encode(struct der_out *out, const void *content)                              \
    {                                                                                              \
        return prefix##_encode(out, content);                                                      \
    }                                                                                              \
    static void var##_cleanup(void *content)                                                       \
    {                                                                                              \
        prefix##_cleanup(content);                                                                 \
    }                                                                                              \
    static void var##_print(struct cmp_printer *pr, int level, const char *name,                   \
                            const void *content, int depth)                                        \
    {                                                                                              \
        cmp_pline(pr, level, "body: %s", name);                                                    \
        print(pr, level + 1, content);                                                             \
    }                                                                                              \
    const struct cmp_body_codec var = {asn1_name,    sizeof(type),  var##_decode,                  \
                                       var##_encode, var##_cleanup, var##_print}

#endif
