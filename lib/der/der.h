/*
 * Strict DER reader and writer. libc only.
 *
 * A reader is a borrowed window (struct der_in) that shrinks from the front.
 * It accepts only DER: definite minimal lengths, the short tag form for
 * numbers below 31, minimal INTEGERs, BOOLEAN 00/FF, BIT STRINGs with valid
 * unused bits. Every function returns 1 on success and 0 on failure; on
 * failure the window is left unchanged.
 *
 * The writer (struct der_out) grows a heap buffer up to a hard cap. Errors
 * are sticky: after one failure every call fails and der_out_finish() never
 * returns partial output.
 */
#ifndef CMPKIT_DER_H
#define CMPKIT_DER_H

#include <stddef.h>
#include <stdint.h>

#include "der/fail.h"

/*
 * Tags are uint32_t: the identifier octet's class and constructed bits in
 * the top byte, the tag number (up to 2^24-1) below.
 */
#define DER_CLASS_UNIVERSAL 0x00000000u
#define DER_CLASS_APPLICATION 0x40000000u
#define DER_CLASS_CONTEXT 0x80000000u
#define DER_CLASS_PRIVATE 0xC0000000u
#define DER_CLASS_MASK 0xC0000000u
#define DER_CONSTRUCTED 0x20000000u
#define DER_TAG_NUMBER_MASK 0x00FFFFFFu

#define DER_BOOLEAN 0x01u
#define DER_INTEGER 0x02u
#define DER_BIT_STRING 0x03u
#define DER_OCTET_STRING 0x04u
#define DER_NULL 0x05u
#define DER_OID 0x06u
#define DER_ENUMERATED 0x0Au
#define DER_UTF8_STRING 0x0Cu
#define DER_PRINTABLE_STRING 0x13u
#define DER_T61_STRING 0x14u
#define DER_IA5_STRING 0x16u
#define DER_UTC_TIME 0x17u
#define DER_GENERALIZED_TIME 0x18u
#define DER_VISIBLE_STRING 0x1Au
#define DER_UNIVERSAL_STRING 0x1Cu
#define DER_BMP_STRING 0x1Eu
#define DER_SEQUENCE (DER_CONSTRUCTED | 0x10u)
#define DER_SET (DER_CONSTRUCTED | 0x11u)

/* [n] EXPLICIT: always constructed. */
#define DER_EXPLICIT(n) (DER_CLASS_CONTEXT | DER_CONSTRUCTED | (uint32_t)(n))
/* [n] IMPLICIT base: keeps the base type's constructed bit. */
#define DER_IMPLICIT(n, base) \
    (DER_CLASS_CONTEXT | ((uint32_t)(base) & DER_CONSTRUCTED) | (uint32_t)(n))

/* Hard limits for anything that comes from outside. */
#define DER_MAX_DEPTH 32          /* der_walk() nesting limit */
#define DER_MAX_LEN (64u << 20)   /* no single TLV may claim more */

struct der_in {
    const uint8_t *p; /* never owned */
    size_t len;
};

#define DER_IN_EMPTY ((struct der_in){NULL, 0})

/* Builds a window over |p|, |len| bytes. */
static inline struct der_in
der_in_make(const uint8_t *p, size_t len)
{
    struct der_in in;
    in.p = p;
    in.len = len;
    return in;
}

/* ---- reader ---- */

/*
 * der_parse_header() reads one identifier and length from |in| without
 * consuming it: |*out_tag|, |*out_hdr_len| and |*out_body_len|. Fails on any
 * non-DER header or a body running past |in|.
 */
int der_parse_header(const struct der_in *in, uint32_t *out_tag, size_t *out_hdr_len,
                     size_t *out_body_len) CMP_MUST_CHECK;

/*
 * der_get() consumes one element with tag |tag| and returns its contents.
 * |out_body| may be |in| itself, to step into the element.
 */
int der_get(struct der_in *in, uint32_t tag, struct der_in *out_body) CMP_MUST_CHECK;

/* der_get_tlv() consumes one element with tag |tag| and returns it whole. */
int der_get_tlv(struct der_in *in, uint32_t tag, struct der_in *out_whole) CMP_MUST_CHECK;

/*
 * der_get_any() consumes one element with any tag. |out_tag|, |out_body| and
 * |out_whole| may each be NULL.
 */
int der_get_any(struct der_in *in, uint32_t *out_tag, struct der_in *out_body,
                struct der_in *out_whole) CMP_MUST_CHECK;

/*
 * der_get_opt() consumes an element with tag |tag| if one is next. Sets
 * |*out_present|; fails only on malformed input. |out_body| is emptied when
 * absent.
 */
int der_get_opt(struct der_in *in, uint32_t tag, struct der_in *out_body,
                int *out_present) CMP_MUST_CHECK;

/* der_get_opt_tlv() is der_get_opt() returning the whole element. */
int der_get_opt_tlv(struct der_in *in, uint32_t tag, struct der_in *out_whole,
                    int *out_present) CMP_MUST_CHECK;

/* der_peek() is 1 if the next element's identifier is |tag|. */
int der_peek(const struct der_in *in, uint32_t tag);

/* der_peek_tag() reads the next identifier without consuming anything. */
int der_peek_tag(const struct der_in *in, uint32_t *out_tag) CMP_MUST_CHECK;

/* der_done() is 1 when nothing is left in |in|. */
static inline int
der_done(const struct der_in *in)
{
    return in->len == 0;
}

/* der_skip() advances |in| by |n| bytes (n <= in->len). */
void der_skip(struct der_in *in, size_t n);

/*
 * der_get_int64() reads an INTEGER that must be minimal and fit in int64_t;
 * a larger one is rejected, never truncated. der_get_int64_tag() takes the
 * tag (for ENUMERATED or an IMPLICIT tag).
 */
int der_get_int64(struct der_in *in, int64_t *out) CMP_MUST_CHECK;
int der_get_int64_tag(struct der_in *in, uint32_t tag, int64_t *out) CMP_MUST_CHECK;

/* der_parse_int64() parses INTEGER contents (no tag/length). */
int der_parse_int64(const struct der_in *body, int64_t *out) CMP_MUST_CHECK;

/*
 * der_get_integer() reads an INTEGER of any size, checking minimality, and
 * returns its contents (two's complement, big-endian). |tag| is DER_INTEGER or
 * an IMPLICIT tag.
 */
int der_get_integer(struct der_in *in, uint32_t tag, struct der_in *out_body) CMP_MUST_CHECK;

/* der_check_integer() checks INTEGER contents: non-empty and minimal. */
int der_check_integer(const struct der_in *body);

/* der_get_bool() reads a BOOLEAN (00 or FF only). */
int der_get_bool(struct der_in *in, uint32_t tag, int *out) CMP_MUST_CHECK;

/*
 * der_get_bitstring() reads a BIT STRING: |out_bits| gets the bytes after the
 * unused-bits octet. Unused bits must be 0..7, zero when there are no bytes,
 * and the padding bits must be zero.
 */
int der_get_bitstring(struct der_in *in, uint32_t tag, struct der_in *out_bits,
                      unsigned *out_unused) CMP_MUST_CHECK;

/* der_check_bitstring() checks BIT STRING contents (with the unused octet). */
int der_check_bitstring(const struct der_in *body);

/*
 * der_get_named_bits() reads a named-bit BIT STRING (DER: no trailing zero
 * bits, so the last byte's lowest used bit is 1) into a bit mask where bit n
 * of the ASN.1 is (1 << n). Bits above 63 fail.
 */
int der_get_named_bits(struct der_in *in, uint32_t tag, uint64_t *out) CMP_MUST_CHECK;

/* der_get_oid() reads an OBJECT IDENTIFIER (contents checked) and returns its contents. */
int der_get_oid(struct der_in *in, struct der_in *out_body) CMP_MUST_CHECK;

/* der_check_oid() checks OID contents: non-empty, minimal arcs, complete. */
int der_check_oid(const struct der_in *body);

/* der_get_null() reads a NULL. */
int der_get_null(struct der_in *in) CMP_MUST_CHECK;

/*
 * der_get_time() reads a UTCTime or GeneralizedTime in the DER forms that
 * RFC 5280 uses (YYMMDDHHMMSSZ, YYYYMMDDHHMMSS[.f]Z without trailing zeros in
 * the fraction) into seconds since the epoch. |out_tag| may be NULL.
 */
int der_get_time(struct der_in *in, int64_t *out_secs, uint32_t *out_tag) CMP_MUST_CHECK;

/* der_get_gentime() reads a GeneralizedTime only. */
int der_get_gentime(struct der_in *in, int64_t *out_secs) CMP_MUST_CHECK;

/* der_parse_time() parses the contents of a time with the given universal tag. */
int der_parse_time(const struct der_in *body, uint32_t tag, int64_t *out_secs) CMP_MUST_CHECK;

/*
 * der_walk() checks that |in| holds exactly one element which, recursively
 * through every constructed element, is valid DER framing no deeper than
 * |max_depth|. Primitive contents are not interpreted.
 */
int der_walk(const struct der_in *in, int max_depth) CMP_MUST_CHECK;

/* ---- writer ---- */

/*
 * Elements a writer may have open at once. The deepest PKIMessage we write
 * nests about 20; der_walk() accepts DER_MAX_DEPTH, which tests and fuzzers
 * rebuild through the writer.
 */
#define DER_OUT_MAX_DEPTH 64

struct der_out {
    uint8_t *buf;
    size_t len;
    size_t cap;
    size_t max; /* hard cap on len */
    int failed; /* sticky */
    int num_open; /* elements opened and not yet closed */
    size_t open[DER_OUT_MAX_DEPTH]; /* their marks, innermost last */
};

#define DER_OUT_DEFAULT_MAX (16u << 20)

/* der_out_init() prepares an empty writer that may grow to |max| bytes. */
void der_out_init(struct der_out *out, size_t max);

/* der_out_cleanup() frees the buffer. */
void der_out_cleanup(struct der_out *out);

/*
 * der_out_finish() hands the bytes to the caller (free() them) and resets
 * the writer. Fails, returning nothing (*out_buf NULL, *out_len 0), if any
 * earlier call failed or an element is still open; the partial output is
 * freed and the writer stays failed.
 */
int der_out_finish(struct der_out *out, uint8_t **out_buf, size_t *out_len) CMP_MUST_CHECK;

/* der_out_ok() is 1 while no call has failed. */
static inline int
der_out_ok(const struct der_out *out)
{
    return !out->failed;
}

/*
 * der_open() writes |tag| and a length placeholder; |*mark| finds it again.
 * Fails (for good) with DER_OUT_MAX_DEPTH elements already open.
 */
int der_open(struct der_out *out, uint32_t tag, size_t *mark) CMP_MUST_CHECK;

/*
 * der_close() patches the length of the element opened at |mark|, which must
 * be the innermost open one: closing an outer element first would leave the
 * inner length unpatched, so it fails and the writer stays failed (as
 * BoringSSL's CBB refuses to touch a parent while a child is open).
 */
int der_close(struct der_out *out, size_t mark) CMP_MUST_CHECK;

/* der_put_raw() appends bytes verbatim (an already encoded element). */
int der_put_raw(struct der_out *out, const uint8_t *p, size_t len) CMP_MUST_CHECK;

/* der_put_in() appends a whole slice verbatim; an empty slice writes nothing. */
int der_put_in(struct der_out *out, const struct der_in *in) CMP_MUST_CHECK;

/* der_put_prim() writes a primitive element |tag| with contents |p|. */
int der_put_prim(struct der_out *out, uint32_t tag, const uint8_t *p, size_t len) CMP_MUST_CHECK;

/* der_put_octets() writes an OCTET STRING. */
int der_put_octets(struct der_out *out, const uint8_t *p, size_t len) CMP_MUST_CHECK;

/* der_put_int64() writes a minimal INTEGER; der_put_int64_tag() with another tag. */
int der_put_int64(struct der_out *out, int64_t v) CMP_MUST_CHECK;
int der_put_int64_tag(struct der_out *out, uint32_t tag, int64_t v) CMP_MUST_CHECK;

/* der_put_bool() writes a BOOLEAN (FF for true). */
int der_put_bool(struct der_out *out, uint32_t tag, int v) CMP_MUST_CHECK;

/*
 * der_put_bitstring() writes a BIT STRING from bytes and an unused-bit count;
 * fails on what der_check_bitstring() rejects (unused > 7, unused bits with
 * no bytes, nonzero padding bits).
 */
int der_put_bitstring(struct der_out *out, uint32_t tag, const uint8_t *bits, size_t len,
                      unsigned unused) CMP_MUST_CHECK;

/* der_put_named_bits() writes a named-bit mask in its minimal DER form. */
int der_put_named_bits(struct der_out *out, uint32_t tag, uint64_t bits) CMP_MUST_CHECK;

/* der_put_null() writes a NULL. */
int der_put_null(struct der_out *out) CMP_MUST_CHECK;

/* der_put_gentime() writes a GeneralizedTime YYYYMMDDHHMMSSZ. */
int der_put_gentime(struct der_out *out, int64_t secs) CMP_MUST_CHECK;

/* ---- times and OIDs ---- */

/* der_time_from_civil(): seconds since the epoch of a UTC calendar time. */
int64_t der_time_from_civil(int64_t year, int month, int day, int hour, int min, int sec);

/* der_time_to_civil(): the reverse. */
void der_time_to_civil(int64_t secs, int64_t *year, int *month, int *day, int *hour, int *min,
                       int *sec);

/* der_time_format() writes "YYYY-MM-DD HH:MM:SS UTC" into buf (>= 32 bytes). */
const char *der_time_format(int64_t secs, char *buf, size_t buf_len);

/*
 * der_oid_to_text() writes OID contents in dotted form. Returns 0 if the
 * buffer is too small or the OID is malformed.
 */
int der_oid_to_text(const struct der_in *oid, char *buf, size_t buf_len) CMP_MUST_CHECK;

/*
 * der_oid_from_text() encodes a dotted OID into |buf| (contents only) and
 * sets |*out_len|.
 */
int der_oid_from_text(const char *text, uint8_t *buf, size_t buf_len,
                      size_t *out_len) CMP_MUST_CHECK;

/* der_oid_eq() compares OID contents with a constant (contents, |len| bytes). */
int der_oid_eq(const struct der_in *oid, const uint8_t *c, size_t len);

/* der_in_eq() compares two slices byte for byte. */
int der_in_eq(const struct der_in *a, const struct der_in *b);

#endif
