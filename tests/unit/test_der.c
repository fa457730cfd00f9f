/*
 * Tests for lib/der: the strict reader and the writer (der.c), times
 * (time.c), OBJECT IDENTIFIER text (oid.c) and the error records (err.c).
 *
 * Tables of hex cases (STYLE.md section 7), then automatic sweeps over a
 * sample structure: truncation at every length, an extra byte or element in
 * each constructed element, each tag flipped, and a byte-for-byte
 * re-encoding through the writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "der/der.h"
#include "der_rebuild.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define HEX_MAX 512

/* unhex() decodes a table row's hex; a malformed row counts as a failure. */
static int
unhex(const char *name, const char *hex, uint8_t *buf, size_t *len)
{
    if (!check_unhex(hex, buf, HEX_MAX, len)) {
        return check_true(0, name, "malformed hex in the table", __FILE__, __LINE__);
    }
    return 1;
}

static int
same_window(const struct der_in *a, const struct der_in *b)
{
    return a->p == b->p && a->len == b->len;
}

/* finish() ends a writer that must have succeeded and compares with |hex|. */
static void
finish_expect(const char *name, struct der_out *out, const char *hex)
{
    uint8_t want[HEX_MAX], *buf = NULL;
    size_t want_len, len = 0;

    if (!unhex(name, hex, want, &want_len)) {
        der_out_cleanup(out);
        return;
    }
    if (!CHECK_CASE(name, der_out_finish(out, &buf, &len))) {
        der_out_cleanup(out);
        return;
    }
    CHECK_MEM(name, buf, len, want, want_len);
    free(buf);
    der_out_cleanup(out);
}

/* ---- headers ------------------------------------------------------------ */

static const struct {
    const char *name, *hex;
    size_t pad; /* zero bytes appended after hex, so long lengths fit */
    int ok;
    uint32_t tag;
    size_t hdr_len, body_len;
} header_cases[] = {
    {"empty input", "", 0, 0, 0, 0, 0},
    {"tag only", "04", 0, 0, 0, 0, 0},
    {"short length 0", "0400", 0, 1, DER_OCTET_STRING, 2, 0},
    {"short length 5", "0405", 5, 1, DER_OCTET_STRING, 2, 5},
    {"short length 127", "047F", 127, 1, DER_OCTET_STRING, 2, 127},
    {"long 81 80", "048180", 128, 1, DER_OCTET_STRING, 3, 128},
    {"long 81 FF", "0481FF", 255, 1, DER_OCTET_STRING, 3, 255},
    {"long 82 01 00", "04820100", 256, 1, DER_OCTET_STRING, 4, 256},
    {"long 83 01 00 00", "0483010000", 65536, 1, DER_OCTET_STRING, 5, 65536},
    {"long 84 01 00 00 00", "048401000000", 1u << 24, 1, DER_OCTET_STRING, 6, 1u << 24},
    {"long 84 at DER_MAX_LEN", "048404000000", DER_MAX_LEN, 1, DER_OCTET_STRING, 6, DER_MAX_LEN},
    {"long 84 above DER_MAX_LEN", "048404000001", DER_MAX_LEN + 1, 0, 0, 0, 0},
    {"non-minimal 81 05", "048105", 5, 0, 0, 0, 0},
    {"non-minimal 81 7F", "04817F", 127, 0, 0, 0, 0},
    {"non-minimal 82 00 80", "04820080", 128, 0, 0, 0, 0},
    {"non-minimal 82 00 FF", "048200FF", 255, 0, 0, 0, 0},
    {"non-minimal 83 00 01 00", "0483000100", 256, 0, 0, 0, 0},
    {"indefinite 80", "30800500", 2, 0, 0, 0, 0},
    {"length past input", "04050102", 0, 0, 0, 0, 0},
    {"length exactly the input", "0403010203", 0, 1, DER_OCTET_STRING, 2, 3},
    {"long length past input", "048180", 127, 0, 0, 0, 0},
    {"long length bytes missing", "048201", 0, 0, 0, 0, 0},
    {"5-byte length", "04850100000000", 16, 0, 0, 0, 0},
    {"8-byte length", "04880000000000000001", 1, 0, 0, 0, 0},
    {"length octet FF", "04FF", 0, 0, 0, 0, 0},
    {"high tag [31]", "9F1F00", 0, 1, DER_CLASS_CONTEXT | 31, 3, 0},
    {"high tag [31] constructed", "BF1F00", 0, 1, DER_EXPLICIT(31), 3, 0},
    {"high tag universal 31", "1F1F0101", 0, 1, 31, 3, 1},
    {"high tag [APPLICATION 200]", "5F814800", 0, 1, DER_CLASS_APPLICATION | 200, 4, 0},
    {"high tag [PRIVATE 16383]", "DFFF7F00", 0, 1, DER_CLASS_PRIVATE | 16383, 4, 0},
    {"high tag 2^24-1", "9F87FFFF7F00", 0, 1, DER_CLASS_CONTEXT | 0xFFFFFFu, 6, 0},
    {"high tag 2^24", "9F8880800000", 0, 0, 0, 0, 0},
    {"high tag 28 bits", "9FFFFFFF7F00", 0, 0, 0, 0, 0},
    {"high form for 5", "9F0500", 0, 0, 0, 0, 0},
    {"high form for 30", "9F1E00", 0, 0, 0, 0, 0},
    {"high form for 0", "9F0000", 0, 0, 0, 0, 0},
    {"high tag leading 80 septet", "9F801F00", 0, 0, 0, 0, 0},
    {"high tag leading 80 80 septets", "9F80801F00", 0, 0, 0, 0, 0},
    {"high tag unterminated", "9F81", 0, 0, 0, 0, 0},
    {"high tag, no length", "9F1F", 0, 0, 0, 0, 0},
    {"universal tag 0", "0000", 0, 0, 0, 0, 0},
    {"universal tag 0 constructed", "2000", 0, 0, 0, 0, 0},
    {"context tag 0", "8000", 0, 1, DER_CLASS_CONTEXT, 2, 0},
    {"application tag 0", "4000", 0, 1, DER_CLASS_APPLICATION, 2, 0},
    {"primitive SEQUENCE 10", "1000", 0, 0, 0, 0, 0},
    {"primitive SET 11", "1100", 0, 0, 0, 0, 0},
    {"SEQUENCE", "3000", 0, 1, DER_SEQUENCE, 2, 0},
    {"SET", "3100", 0, 1, DER_SET, 2, 0},
    {"constructed OCTET STRING (framing only)", "2400", 0, 1, DER_CONSTRUCTED | 4, 2, 0},
    {"[0] EXPLICIT", "A0020500", 0, 1, DER_EXPLICIT(0), 2, 2},
    {"[30] short form", "9E00", 0, 1, DER_CLASS_CONTEXT | 30, 2, 0},
};

static void
test_headers(void)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(header_cases); i++) {
        const char *name = header_cases[i].name;
        uint8_t hex[HEX_MAX], *buf;
        size_t hex_len, n, hdr = 0, body = 0;
        uint32_t tag = 0, peeked = 0;
        struct der_in in, copy, got_body, got_whole;
        int ok;

        if (!unhex(name, header_cases[i].hex, hex, &hex_len)) {
            continue;
        }
        n = hex_len + header_cases[i].pad;
        buf = calloc(n + 1, 1);
        if (!CHECK_CASE(name, buf != NULL)) {
            continue;
        }
        memcpy(buf, hex, hex_len);
        in = der_in_make(buf, n);

        ok = der_parse_header(&in, &tag, &hdr, &body);
        CHECK_CASE(name, ok == header_cases[i].ok);
        if (ok && header_cases[i].ok) {
            CHECK_CASE(name, tag == header_cases[i].tag);
            CHECK_CASE(name, hdr == header_cases[i].hdr_len);
            CHECK_CASE(name, body == header_cases[i].body_len);
        }

        /* der_peek_tag() and der_get_any() agree with der_parse_header(). */
        CHECK_CASE(name, der_peek_tag(&in, &peeked) == header_cases[i].ok);
        copy = in;
        ok = der_get_any(&copy, &peeked, &got_body, &got_whole);
        CHECK_CASE(name, ok == header_cases[i].ok);
        if (ok && header_cases[i].ok) {
            CHECK_CASE(name, peeked == header_cases[i].tag);
            CHECK_CASE(name, got_body.p == buf + header_cases[i].hdr_len &&
                                 got_body.len == header_cases[i].body_len);
            CHECK_CASE(name, got_whole.p == buf && got_whole.len == header_cases[i].hdr_len +
                                                                        header_cases[i].body_len);
            CHECK_CASE(name, copy.p == buf + got_whole.len && copy.len == n - got_whole.len);
        } else {
            CHECK_CASE(name, same_window(&copy, &in));
        }
        free(buf);
    }
}

/* ---- der_get and friends -------------------------------------------------- */

static void
test_get_semantics(void)
{
    /* INTEGER 5, OCTET STRING AA BB, SEQUENCE { BOOLEAN TRUE } */
    static const uint8_t seq[] = {0x02, 0x01, 0x05, 0x04, 0x02, 0xAA,
                                  0xBB, 0x30, 0x03, 0x01, 0x01, 0xFF};
    static const uint8_t bad[] = {0x02, 0x05, 0x00}; /* length past the input */
    struct der_in in = der_in_make(seq, sizeof(seq)), before, body, whole, empty = DER_IN_EMPTY;
    uint32_t tag;
    int present;

    before = in;
    CHECK(!der_get(&in, DER_OCTET_STRING, &body));
    CHECK(same_window(&in, &before));
    CHECK(!der_get_tlv(&in, DER_OCTET_STRING, &whole));
    CHECK(same_window(&in, &before));
    CHECK(der_peek(&in, DER_INTEGER));
    CHECK(!der_peek(&in, DER_OCTET_STRING));
    CHECK(der_peek_tag(&in, &tag) && tag == DER_INTEGER);
    CHECK(same_window(&in, &before));

    CHECK(der_get(&in, DER_INTEGER, &body));
    CHECK(body.p == seq + 2 && body.len == 1);
    CHECK(in.p == seq + 3 && in.len == sizeof(seq) - 3);

    /* Absent optional element: success, nothing consumed, body emptied. */
    before = in;
    body = der_in_make(seq, 1);
    present = -1;
    CHECK(der_get_opt(&in, DER_INTEGER, &body, &present));
    CHECK(present == 0 && body.p == NULL && body.len == 0);
    CHECK(same_window(&in, &before));
    whole = der_in_make(seq, 1);
    present = -1;
    CHECK(der_get_opt_tlv(&in, DER_BOOLEAN, &whole, &present));
    CHECK(present == 0 && whole.p == NULL && whole.len == 0);
    CHECK(same_window(&in, &before));

    /* Present optional element: consumed. */
    CHECK(der_get_opt(&in, DER_OCTET_STRING, &body, &present));
    CHECK(present == 1 && body.p == seq + 5 && body.len == 2);
    CHECK(in.p == seq + 7);
    CHECK(der_get_opt_tlv(&in, DER_SEQUENCE, &whole, &present));
    CHECK(present == 1 && whole.p == seq + 7 && whole.len == 5);
    CHECK(der_done(&in));

    /* At the end: optional is absent, mandatory fails. */
    CHECK(der_get_opt(&in, DER_SEQUENCE, &body, &present) && present == 0);
    CHECK(der_get_opt_tlv(&in, DER_SEQUENCE, &body, &present) && present == 0);
    CHECK(!der_get(&in, DER_SEQUENCE, &body));
    CHECK(!der_get_tlv(&in, DER_SEQUENCE, &body));
    CHECK(!der_get_any(&in, NULL, NULL, NULL));
    CHECK(!der_peek(&in, DER_SEQUENCE));
    CHECK(!der_peek(&empty, DER_SEQUENCE));
    CHECK(der_done(&empty));

    /* A malformed next element fails even when optional, changing nothing. */
    in = der_in_make(bad, sizeof(bad));
    before = in;
    CHECK(!der_get_opt(&in, DER_INTEGER, &body, &present));
    CHECK(same_window(&in, &before));
    CHECK(!der_get_opt(&in, DER_OCTET_STRING, &body, &present));
    CHECK(same_window(&in, &before));
    CHECK(!der_get_opt_tlv(&in, DER_INTEGER, &whole, &present));
    CHECK(same_window(&in, &before));
    CHECK(!der_get(&in, DER_INTEGER, &body));
    CHECK(same_window(&in, &before));
    CHECK(!der_get_tlv(&in, DER_INTEGER, &whole));
    CHECK(same_window(&in, &before));
    CHECK(!der_get_any(&in, &tag, &body, &whole));
    CHECK(same_window(&in, &before));
    CHECK(!der_peek(&in, DER_INTEGER));

    /* der_get_any() with every output NULL still consumes one element. */
    in = der_in_make(seq, sizeof(seq));
    CHECK(der_get_any(&in, NULL, NULL, NULL) && in.p == seq + 3);
    CHECK(der_get_any(&in, &tag, NULL, &whole) && tag == DER_OCTET_STRING && whole.len == 4);

    /* der_get() may step into an element in place (|out_body| == |in|). */
    in = der_in_make(seq + 7, 5);
    CHECK(der_get(&in, DER_SEQUENCE, &in) && in.p == seq + 9 && in.len == 3);
    CHECK(!der_get(&in, DER_SEQUENCE, &in) && in.p == seq + 9 && in.len == 3);
    CHECK(der_get_tlv(&in, DER_BOOLEAN, &in) && in.p == seq + 9 && in.len == 3);
    CHECK(der_get_any(&in, &tag, &in, NULL) && tag == DER_BOOLEAN && in.p == seq + 11 &&
          in.len == 1);

    /* der_skip() clamps. */
    in = der_in_make(seq, 3);
    der_skip(&in, 2);
    CHECK(in.p == seq + 2 && in.len == 1);
    der_skip(&in, 100);
    CHECK(in.len == 0 && der_done(&in));

    /* Slice comparisons, including empty slices with NULL pointers. */
    body = der_in_make(seq, 3);
    whole = der_in_make(seq + 0, 3);
    CHECK(der_in_eq(&body, &whole));
    whole = der_in_make(seq + 3, 3);
    CHECK(!der_in_eq(&body, &whole));
    CHECK(der_in_eq(&empty, &empty));
    CHECK(!der_in_eq(&empty, &body));
    CHECK(der_oid_eq(&empty, seq, 0));
    CHECK(der_oid_eq(&body, seq, 3));
    CHECK(!der_oid_eq(&body, seq, 2));
    CHECK(!der_oid_eq(&body, seq + 1, 3));
}

/*
 * run_reader() runs one typed reader on |hex| alone and on |hex| followed by
 * a NULL: when it fails the window is unchanged; when it succeeds it
 * consumed exactly the element.
 */
enum reader {
    R_INT64,
    R_INTEGER,
    R_ENUM,
    R_BOOL,
    R_BITS,
    R_NAMED,
    R_NULL,
    R_OID,
    R_TIME,
    R_GENTIME
};

struct read_result {
    int64_t i64;
    int b;
    uint64_t mask;
    unsigned unused;
    uint32_t tag;
    struct der_in slice;
};

static int
read_one(enum reader r, struct der_in *in, struct read_result *res)
{
    switch (r) {
    case R_INT64:
        return der_get_int64(in, &res->i64);
    case R_INTEGER:
        return der_get_integer(in, DER_INTEGER, &res->slice);
    case R_ENUM:
        return der_get_int64_tag(in, DER_ENUMERATED, &res->i64);
    case R_BOOL:
        return der_get_bool(in, DER_BOOLEAN, &res->b);
    case R_BITS:
        return der_get_bitstring(in, DER_BIT_STRING, &res->slice, &res->unused);
    case R_NAMED:
        return der_get_named_bits(in, DER_BIT_STRING, &res->mask);
    case R_NULL:
        return der_get_null(in);
    case R_OID:
        return der_get_oid(in, &res->slice);
    case R_TIME:
        return der_get_time(in, &res->i64, &res->tag);
    case R_GENTIME:
        return der_get_gentime(in, &res->i64);
    default:
        return 0;
    }
}

static int
run_reader(const char *name, enum reader r, const char *hex, struct read_result *res)
{
    uint8_t buf[HEX_MAX + 2];
    size_t len;
    struct der_in in, before;
    struct read_result scratch;
    int ok, ok2;

    memset(res, 0, sizeof(*res));
    if (!unhex(name, hex, buf, &len)) {
        return -1;
    }
    in = der_in_make(buf, len);
    before = in;
    ok = read_one(r, &in, res);
    if (ok) {
        CHECK_CASE(name, der_done(&in));
    } else {
        CHECK_CASE(name, same_window(&in, &before));
    }
    /* With a trailing element: same verdict, and the trailer is left. */
    buf[len] = 0x05;
    buf[len + 1] = 0x00;
    in = der_in_make(buf, len + 2);
    before = in;
    ok2 = read_one(r, &in, &scratch);
    if (ok) {
        CHECK_CASE(name, ok2 && in.p == buf + len && in.len == 2);
    } else if (!ok2) {
        CHECK_CASE(name, same_window(&in, &before));
    }
    return ok;
}

/* ---- INTEGER ------------------------------------------------------------- */

static const struct {
    const char *name, *hex;
    int ok_integer; /* der_get_integer(): minimal, any size */
    int ok_int64;
    int64_t value;
} int_cases[] = {
    {"0", "020100", 1, 1, 0},
    {"1", "020101", 1, 1, 1},
    {"127", "02017F", 1, 1, 127},
    {"00 80 = 128", "02020080", 1, 1, 128},
    {"256", "02020100", 1, 1, 256},
    {"-1", "0201FF", 1, 1, -1},
    {"-128", "020180", 1, 1, -128},
    {"FF 7F = -129", "0202FF7F", 1, 1, -129},
    {"00 7F not minimal", "0202007F", 0, 0, 0},
    {"00 00 not minimal", "02020000", 0, 0, 0},
    {"FF 80 not minimal", "0202FF80", 0, 0, 0},
    {"FF FF not minimal", "0202FFFF", 0, 0, 0},
    {"00 00 01 not minimal", "0203000001", 0, 0, 0},
    {"empty", "0200", 0, 0, 0},
    {"INT64_MAX", "02087FFFFFFFFFFFFFFF", 1, 1, INT64_MAX},
    {"INT64_MIN", "02088000000000000000", 1, 1, INT64_MIN},
    {"INT64_MAX-1", "02087FFFFFFFFFFFFFFE", 1, 1, INT64_MAX - 1},
    {"INT64_MIN+1", "02088000000000000001", 1, 1, INT64_MIN + 1},
    {"2^63: 9 bytes", "0209008000000000000000", 1, 0, 0},
    {"-2^63-1: 9 bytes", "0209FF7FFFFFFFFFFFFFFF", 1, 0, 0},
    {"2^64: 9 bytes", "0209010000000000000000", 1, 0, 0},
    {"9 bytes not minimal", "0209007FFFFFFFFFFFFFFF", 0, 0, 0},
    {"16 bytes", "021001020304050607080910111213141516", 1, 0, 0},
    {"wrong tag", "040100", 0, 0, 0},
    {"constructed", "2203020100", 0, 0, 0},
    {"truncated", "020201", 0, 0, 0},
};

static void
test_integers(void)
{
    size_t i;
    struct read_result res;
    uint8_t buf[16];
    struct der_in body;
    int64_t v;

    for (i = 0; i < ARRAY_LEN(int_cases); i++) {
        const char *name = int_cases[i].name;
        int ok;

        ok = run_reader(name, R_INT64, int_cases[i].hex, &res);
        CHECK_CASE(name, ok == int_cases[i].ok_int64);
        if (ok == 1 && int_cases[i].ok_int64) {
            CHECK_CASE(name, res.i64 == int_cases[i].value);
        }
        ok = run_reader(name, R_INTEGER, int_cases[i].hex, &res);
        CHECK_CASE(name, ok == int_cases[i].ok_integer);
        if (ok == 1) {
            CHECK_CASE(name, der_check_integer(&res.slice));
            CHECK_CASE(name, der_parse_int64(&res.slice, &v) == int_cases[i].ok_int64);
        }
    }

    /* ENUMERATED and IMPLICIT tags go through der_get_int64_tag(). */
    CHECK(run_reader("ENUMERATED 3", R_ENUM, "0A0103", &res) == 1 && res.i64 == 3);
    CHECK(run_reader("ENUMERATED read as INTEGER", R_INT64, "0A0103", &res) == 0);
    CHECK(run_reader("INTEGER read as ENUMERATED", R_ENUM, "020103", &res) == 0);
    CHECK(run_reader("ENUMERATED not minimal", R_ENUM, "0A020003", &res) == 0);
    {
        static const uint8_t imp[] = {0x82, 0x01, 0x07};
        struct der_in in = der_in_make(imp, sizeof(imp));
        CHECK(!der_get_int64(&in, &v) && in.len == 3);
        CHECK(der_get_int64_tag(&in, DER_IMPLICIT(2, DER_INTEGER), &v) && v == 7 && in.len == 0);
        in = der_in_make(imp, sizeof(imp));
        CHECK(der_get_integer(&in, DER_IMPLICIT(2, DER_INTEGER), &body) && body.len == 1);
    }

    /* der_parse_int64() / der_check_integer() on bare contents. */
    buf[0] = 0x80;
    body = der_in_make(buf, 1);
    CHECK(der_parse_int64(&body, &v) && v == -128);
    body = der_in_make(buf, 0);
    CHECK(!der_parse_int64(&body, &v) && !der_check_integer(&body));
    memset(buf, 0xFF, 8);
    body = der_in_make(buf, 8);
    CHECK(!der_check_integer(&body) && !der_parse_int64(&body, &v));
    body = der_in_make(buf, 1);
    CHECK(der_parse_int64(&body, &v) && v == -1);
}

/* ---- BOOLEAN, BIT STRING, NULL ------------------------------------------------ */

static const struct {
    const char *name, *hex;
    int ok, value;
} bool_cases[] = {
    {"FALSE 00", "010100", 1, 0},
    {"TRUE FF", "0101FF", 1, 1},
    {"01 is BER only", "010101", 0, 0},
    {"7F", "01017F", 0, 0},
    {"FE", "0101FE", 0, 0},
    {"2 bytes", "01020000", 0, 0},
    {"2 bytes FF FF", "0102FFFF", 0, 0},
    {"empty", "0100", 0, 0},
    {"wrong tag", "0201FF", 0, 0},
};

static const struct {
    const char *name, *hex;
    int ok;
    unsigned unused;
    size_t num_bytes;
} bits_cases[] = {
    {"empty", "030100", 1, 0, 0},
    {"unused 1 with no bytes", "030101", 0, 0, 0},
    {"unused 7 with no bytes", "030107", 0, 0, 0},
    {"no unused octet", "0300", 0, 0, 0},
    {"unused 8", "03020800", 0, 0, 0},
    {"unused FF", "0302FF00", 0, 0, 0},
    {"unused 0, one byte", "030200FF", 1, 0, 1},
    {"unused 7, 80", "03020780", 1, 7, 1},
    {"unused 7, 81: padding set", "03020781", 0, 0, 0},
    {"unused 7, C0: padding set", "030207C0", 0, 0, 0},
    {"unused 4, F0", "030204F0", 1, 4, 1},
    {"unused 4, F8: padding set", "030204F8", 0, 0, 0},
    {"unused 4, 08: padding set", "03020408", 0, 0, 0},
    {"unused 1, trailing zero bits allowed", "03030100FE", 1, 1, 2},
    {"three bytes", "030400FFFFFF", 1, 0, 3},
    {"constructed BIT STRING", "2303030100", 0, 0, 0},
};

static const struct {
    const char *name, *hex;
    int ok;
    uint64_t mask;
} named_cases[] = {
    {"no bits", "030100", 1, 0},
    {"bit 0", "03020780", 1, 1},
    {"bit 1", "03020640", 1, 2},
    {"bits 0 and 2", "030205A0", 1, 5},
    {"bit 7", "03020001", 1, 0x80},
    {"bit 8", "0303070080", 1, 0x100},
    {"bit 26",
     "030505000000"
     "20",
     1, (uint64_t)1 << 26},
    {"bit 63", "0309000000000000000001", 1, (uint64_t)1 << 63},
    {"all 64 bits", "030900FFFFFFFFFFFFFFFF", 1, UINT64_MAX},
    {"trailing zero bit: unused 5 but bit 2 clear", "03020540", 0, 0},
    {"trailing zero bits: 00 80 unused 0", "03020080", 0, 0},
    {"trailing zero byte", "0303078000", 0, 0},
    {"unused 7, 00", "03020700", 0, 0},
    {"one zero byte", "03020000", 0, 0},
    {"bit 64: 9 bytes", "030A07000000000000000080", 0, 0},
    {"padding set", "03020781", 0, 0},
    {"IMPLICIT tag read as BIT STRING", "81020780", 0, 0},
};

static const struct {
    uint64_t mask;
    const char *hex; /* NULL: round trip only */
} named_writes[] = {
    {0, "030100"},
    {1, "03020780"},
    {2, "03020640"},
    {5, "030205A0"},
    {0x80, "03020001"},
    {0x100, "0303070080"},
    {(uint64_t)1 << 26, "03050500000020"},
    {((uint64_t)1 << 26) | 1, "03050580000020"},
    {(uint64_t)1 << 63, "0309000000000000000001"},
    {UINT64_MAX, "030900FFFFFFFFFFFFFFFF"},
    {0xDEADBEEFu, NULL},
    {0x0123456789ABCDEFu, NULL},
    {0x7FFFFFFu, NULL},
};

static void
test_bool_bits_null(void)
{
    size_t i;
    struct read_result res;

    for (i = 0; i < ARRAY_LEN(bool_cases); i++) {
        int ok = run_reader(bool_cases[i].name, R_BOOL, bool_cases[i].hex, &res);
        CHECK_CASE(bool_cases[i].name, ok == bool_cases[i].ok);
        if (ok == 1) {
            CHECK_CASE(bool_cases[i].name, res.b == bool_cases[i].value);
        }
    }
    for (i = 0; i < ARRAY_LEN(bits_cases); i++) {
        const char *name = bits_cases[i].name;
        int ok = run_reader(name, R_BITS, bits_cases[i].hex, &res);

        CHECK_CASE(name, ok == bits_cases[i].ok);
        if (ok == 1) {
            CHECK_CASE(name, res.unused == bits_cases[i].unused);
            CHECK_CASE(name, res.slice.len == bits_cases[i].num_bytes);
        }
    }
    for (i = 0; i < ARRAY_LEN(named_cases); i++) {
        const char *name = named_cases[i].name;
        int ok = run_reader(name, R_NAMED, named_cases[i].hex, &res);

        CHECK_CASE(name, ok == named_cases[i].ok);
        if (ok == 1) {
            CHECK_CASE(name, res.mask == named_cases[i].mask);
        }
    }
    for (i = 0; i < ARRAY_LEN(named_writes); i++) {
        char name[64];
        struct der_out out;
        uint8_t *buf = NULL;
        size_t len = 0;
        struct der_in in;
        uint64_t back = 0;

        snprintf(name, sizeof(name), "named bits 0x%llx", (unsigned long long)named_writes[i].mask);
        der_out_init(&out, 64);
        if (!CHECK_CASE(name, der_put_named_bits(&out, DER_BIT_STRING, named_writes[i].mask)) ||
            !CHECK_CASE(name, der_out_finish(&out, &buf, &len))) {
            der_out_cleanup(&out);
            continue;
        }
        if (named_writes[i].hex != NULL) {
            uint8_t want[HEX_MAX];
            size_t want_len;
            if (unhex(name, named_writes[i].hex, want, &want_len)) {
                CHECK_MEM(name, buf, len, want, want_len);
            }
        }
        in = der_in_make(buf, len);
        CHECK_CASE(name, der_get_named_bits(&in, DER_BIT_STRING, &back) && der_done(&in));
        CHECK_CASE(name, back == named_writes[i].mask);
        free(buf);
    }
    /* An IMPLICIT named-bit list. */
    {
        struct der_out out;
        der_out_init(&out, 64);
        CHECK(der_put_named_bits(&out, DER_IMPLICIT(1, DER_BIT_STRING), 5));
        finish_expect("[1] IMPLICIT named bits", &out, "810205A0");
    }

    CHECK(run_reader("NULL", R_NULL, "0500", &res) == 1);
    CHECK(run_reader("NULL with contents", R_NULL, "050100", &res) == 0);
    CHECK(run_reader("NULL wrong tag", R_NULL, "0400", &res) == 0);
    CHECK(run_reader("NULL constructed", R_NULL, "2500", &res) == 0);
}

/* ---- OBJECT IDENTIFIER ---------------------------------------------------- */

static const struct {
    const char *name, *hex; /* contents */
    int ok;
} oid_check_cases[] = {
    {"sha256WithRSAEncryption", "2A864886F70D01010B", 1},
    {"2.999.3", "883703", 1},
    {"single arc 0.0", "00", 1},
    {"empty", "", 0},
    {"leading 80 in first arc", "8001", 0},
    {"leading 80 in later arc", "2A8001", 0},
    {"leading 80 80", "2A808001", 0},
    {"80 inside an arc is fine", "2A818001", 1},
    {"trailing continuation", "2A86", 0},
    {"last arc continues", "2A864886F70D01018B", 0},
    {"only continuation", "FF", 0},
    {"2^64-1 arc", "2A81FFFFFFFFFFFFFFFF7F", 1},
};

static const struct {
    const char *text, *hex;
} oid_text_cases[] = {
    {"1.2.840.113549.1.1.11", "2A864886F70D01010B"},
    {"2.999.3", "883703"},
    {"0.0", "00"},
    {"0.39", "27"},
    {"1.0", "28"},
    {"1.39", "4F"},
    {"2.0", "50"},
    {"2.47", "7F"},
    {"2.48", "8100"},
    {"2.100.3", "813403"},
    {"2.5.4.3", "550403"},
    {"1.3.6.1.5.5.7.4.2", "2B06010505070402"},
    {"1.2.3.127.128.16383.16384", "2A037F8100FF7F818000"},
    {"1.2.18446744073709551615", "2A81FFFFFFFFFFFFFFFF7F"},
    {"1.2.18446744073709551610", "2A81FFFFFFFFFFFFFFFF7A"},
    {"1.2.18446744073709551609", "2A81FFFFFFFFFFFFFFFF79"},
    {"2.18446744073709551535", "81FFFFFFFFFFFFFFFF7F"},
};

static const char *const oid_bad_texts[] = {
    "",
    "1",
    "3.1",
    "1.40",
    "0.40",
    "1..2",
    "01.2",
    "1.02",
    "1.2.",
    ".1.2",
    "1.2a",
    "1.-2",
    "1.2.03",
    "1 .2",
    "1. 2",
    "a.b",
    "1,2",
    "00.1",
    "1.2.18446744073709551616",
    "1.2.18446744073709551620",
    "2.18446744073709551536",
    "1.2.99999999999999999999999",
};

static void
test_oids(void)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(oid_check_cases); i++) {
        const char *name = oid_check_cases[i].name;
        uint8_t buf[HEX_MAX + 2];
        size_t len;
        struct der_in body, in, got;

        if (!unhex(name, oid_check_cases[i].hex, buf + 2, &len) || len > 127) {
            continue;
        }
        body = der_in_make(buf + 2, len);
        CHECK_CASE(name, der_check_oid(&body) == oid_check_cases[i].ok);
        buf[0] = DER_OID;
        buf[1] = (uint8_t)len;
        in = der_in_make(buf, len + 2);
        CHECK_CASE(name, der_get_oid(&in, &got) == oid_check_cases[i].ok);
        if (oid_check_cases[i].ok) {
            CHECK_CASE(name, der_done(&in) && got.p == buf + 2 && got.len == len);
        } else {
            CHECK_CASE(name, in.p == buf && in.len == len + 2);
        }
    }

    for (i = 0; i < ARRAY_LEN(oid_text_cases); i++) {
        const char *text = oid_text_cases[i].text;
        uint8_t want[HEX_MAX], enc[64];
        size_t want_len, enc_len = 0, tl = strlen(text);
        char back[128];
        struct der_in body;

        if (!unhex(text, oid_text_cases[i].hex, want, &want_len)) {
            continue;
        }
        if (CHECK_CASE(text, der_oid_from_text(text, enc, sizeof(enc), &enc_len))) {
            CHECK_MEM(text, enc, enc_len, want, want_len);
        }
        body = der_in_make(want, want_len);
        if (CHECK_CASE(text, der_oid_to_text(&body, back, sizeof(back)))) {
            CHECK_CASE(text, strcmp(back, text) == 0);
        }
        /* Exact buffer sizes: text needs tl + 1, the encoding want_len. */
        CHECK_CASE(text, der_oid_to_text(&body, back, tl + 1));
        CHECK_CASE(text, !der_oid_to_text(&body, back, tl));
        CHECK_CASE(text, der_oid_from_text(text, enc, want_len, &enc_len) && enc_len == want_len);
        CHECK_CASE(text, !der_oid_from_text(text, enc, want_len - 1, &enc_len));
    }

    for (i = 0; i < ARRAY_LEN(oid_bad_texts); i++) {
        uint8_t enc[64];
        size_t enc_len = 12345;

        CHECK_CASE(oid_bad_texts[i],
                   !der_oid_from_text(oid_bad_texts[i], enc, sizeof(enc), &enc_len));
        CHECK_CASE(oid_bad_texts[i], enc_len == 12345);
    }

    /* to_text refuses malformed contents and zero-sized buffers. */
    {
        static const uint8_t bad[] = {0x2A, 0x86};
        static const uint8_t huge[] = {0x2A, 0x82, 0x80, 0x80, 0x80, 0x80,
                                       0x80, 0x80, 0x80, 0x80, 0x80, 0x00}; /* 2^64 */
        static const uint8_t good[] = {0x2A, 0x03};
        struct der_in body = der_in_make(bad, sizeof(bad));
        char text[64];

        CHECK(!der_oid_to_text(&body, text, sizeof(text)));
        body = der_in_make(huge, sizeof(huge));
        CHECK(!der_oid_to_text(&body, text, sizeof(text)));
        body = der_in_make(good, sizeof(good));
        CHECK(!der_oid_to_text(&body, text, 0));
        CHECK(der_oid_to_text(&body, text, sizeof(text)) && strcmp(text, "1.2.3") == 0);
    }
}

/* ---- times -------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint32_t tag;
    const char *text;
    int ok;
    int64_t secs;
} time_cases[] = {
    {"UTC epoch", DER_UTC_TIME, "700101000000Z", 1, 0},
    {"UTC 50 is 1950", DER_UTC_TIME, "500101000000Z", 1, -631152000},
    {"UTC 49 is 2049", DER_UTC_TIME, "491231235959Z", 1, 2524607999},
    {"UTC 99 is 1999", DER_UTC_TIME, "990101000000Z", 1, 915148800},
    {"UTC 00-02-29", DER_UTC_TIME, "000229000000Z", 1, 951782400},
    {"UTC 01-02-29", DER_UTC_TIME, "010229000000Z", 0, 0},
    {"UTC no seconds", DER_UTC_TIME, "7001010000Z", 0, 0},
    {"UTC no Z", DER_UTC_TIME, "700101000000", 0, 0},
    {"UTC offset", DER_UTC_TIME, "700101000000+0000", 0, 0},
    {"UTC lower z", DER_UTC_TIME, "700101000000z", 0, 0},
    {"UTC month 13", DER_UTC_TIME, "701301000000Z", 0, 0},
    {"UTC month 00", DER_UTC_TIME, "700001000000Z", 0, 0},
    {"UTC day 32", DER_UTC_TIME, "700132000000Z", 0, 0},
    {"UTC day 00", DER_UTC_TIME, "700100000000Z", 0, 0},
    {"UTC hour 24", DER_UTC_TIME, "700101240000Z", 0, 0},
    {"UTC minute 60", DER_UTC_TIME, "700101006000Z", 0, 0},
    {"UTC second 60", DER_UTC_TIME, "700101000060Z", 0, 0},
    {"UTC non-digit", DER_UTC_TIME, "70010100 000Z", 0, 0},
    {"UTC sign", DER_UTC_TIME, "-70101000000Z", 0, 0},
    {"UTC with fraction", DER_UTC_TIME, "700101000000.5Z", 0, 0},
    {"UTC in GeneralizedTime form", DER_UTC_TIME, "19700101000000Z", 0, 0},
    {"Gen epoch", DER_GENERALIZED_TIME, "19700101000000Z", 1, 0},
    {"Gen 2024-01-01", DER_GENERALIZED_TIME, "20240101000000Z", 1, 1704067200},
    {"Gen Feb 29 2024 (leap)", DER_GENERALIZED_TIME, "20240229120000Z", 1, 1709208000},
    {"Gen Feb 29 2023", DER_GENERALIZED_TIME, "20230229120000Z", 0, 0},
    {"Gen Feb 29 2000 (400)", DER_GENERALIZED_TIME, "20000229000000Z", 1, 951782400},
    {"Gen Feb 29 2100 (100)", DER_GENERALIZED_TIME, "21000229000000Z", 0, 0},
    {"Gen Feb 29 1900 (100)", DER_GENERALIZED_TIME, "19000229000000Z", 0, 0},
    {"Gen Feb 30 2024", DER_GENERALIZED_TIME, "20240230000000Z", 0, 0},
    {"Gen Apr 31", DER_GENERALIZED_TIME, "20240431000000Z", 0, 0},
    {"Gen Dec 31", DER_GENERALIZED_TIME, "20241231235959Z", 1, 1735689599},
    {"Gen fraction .5", DER_GENERALIZED_TIME, "20240101000000.5Z", 1, 1704067200},
    {"Gen fraction .05", DER_GENERALIZED_TIME, "20240101000000.05Z", 1, 1704067200},
    {"Gen fraction .123456789", DER_GENERALIZED_TIME, "20240101000000.123456789Z", 1, 1704067200},
    {"Gen fraction .50", DER_GENERALIZED_TIME, "20240101000000.50Z", 0, 0},
    {"Gen fraction .0", DER_GENERALIZED_TIME, "20240101000000.0Z", 0, 0},
    {"Gen dot alone", DER_GENERALIZED_TIME, "20240101000000.Z", 0, 0},
    {"Gen comma", DER_GENERALIZED_TIME, "20240101000000,5Z", 0, 0},
    {"Gen fraction non-digit", DER_GENERALIZED_TIME, "20240101000000.5aZ", 0, 0},
    {"Gen fraction no Z", DER_GENERALIZED_TIME, "20240101000000.5", 0, 0},
    {"Gen no Z", DER_GENERALIZED_TIME, "20240101000000", 0, 0},
    {"Gen lower z", DER_GENERALIZED_TIME, "20240101000000z", 0, 0},
    {"Gen offset", DER_GENERALIZED_TIME, "20240101000000+0100", 0, 0},
    {"Gen hour 24", DER_GENERALIZED_TIME, "20240101240000Z", 0, 0},
    {"Gen minute 60", DER_GENERALIZED_TIME, "20240101006000Z", 0, 0},
    {"Gen second 60", DER_GENERALIZED_TIME, "20240101000060Z", 0, 0},
    {"Gen month 13", DER_GENERALIZED_TIME, "20241301000000Z", 0, 0},
    {"Gen month 00", DER_GENERALIZED_TIME, "20240001000000Z", 0, 0},
    {"Gen day 00", DER_GENERALIZED_TIME, "20240100000000Z", 0, 0},
    {"Gen 14 chars", DER_GENERALIZED_TIME, "2024010100000Z", 0, 0},
    {"Gen no seconds", DER_GENERALIZED_TIME, "202401010000Z", 0, 0},
    {"Gen non-digit", DER_GENERALIZED_TIME, "2024010100000aZ", 0, 0},
    {"Gen in UTCTime form", DER_GENERALIZED_TIME, "700101000000Z", 0, 0},
    {"Gen year 9999", DER_GENERALIZED_TIME, "99991231235959Z", 1, 253402300799},
    {"Gen year 0000", DER_GENERALIZED_TIME, "00000101000000Z", 1, -62167219200},
    {"Gen year 0001", DER_GENERALIZED_TIME, "00010101000000Z", 1, -62135596800},
    {"Gen empty", DER_GENERALIZED_TIME, "", 0, 0},
};

static void
test_times(void)
{
    size_t i;
    char hex[HEX_MAX];

    for (i = 0; i < ARRAY_LEN(time_cases); i++) {
        const char *name = time_cases[i].name, *text = time_cases[i].text;
        size_t tl = strlen(text), j, pos;
        struct read_result res;
        struct der_in body = der_in_make((const uint8_t *)text, tl);
        int64_t secs = 0;
        int ok;

        CHECK_CASE(name, der_parse_time(&body, time_cases[i].tag, &secs) == time_cases[i].ok);
        if (time_cases[i].ok) {
            CHECK_CASE(name, secs == time_cases[i].secs);
        }
        /* The other time tag and a non-time tag never accept it as is. */
        CHECK_CASE(name, !der_parse_time(&body, DER_OCTET_STRING, &secs));

        pos = (size_t)snprintf(hex, sizeof(hex), "%02X%02X", (unsigned)time_cases[i].tag,
                               (unsigned)tl);
        for (j = 0; j < tl && pos + 3 < sizeof(hex); j++) {
            pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, "%02X", (unsigned)text[j]);
        }
        ok = run_reader(name, R_TIME, hex, &res);
        CHECK_CASE(name, ok == time_cases[i].ok);
        if (ok == 1) {
            CHECK_CASE(name, res.i64 == time_cases[i].secs && res.tag == time_cases[i].tag);
        }
        ok = run_reader(name, R_GENTIME, hex, &res);
        CHECK_CASE(name, ok == (time_cases[i].ok && time_cases[i].tag == DER_GENERALIZED_TIME));
        if (ok == 1) {
            CHECK_CASE(name, res.i64 == time_cases[i].secs);
        }
    }
    {
        struct read_result res;
        /* An IMPLICIT tag or an OCTET STRING holding time text is no time. */
        CHECK(run_reader("time in OCTET STRING", R_TIME, "040D3730303130313030303030305A", &res) ==
              0);
        CHECK(run_reader("time under [0]", R_TIME, "800D3730303130313030303030305A", &res) == 0);
    }
}

static const struct {
    int64_t secs;
    const char *text; /* der_put_gentime() contents; NULL: must fail */
} gentime_writes[] = {
    {0, "19700101000000Z"},
    {-1, "19691231235959Z"},
    {951782400, "20000229000000Z"},
    {1709208000, "20240229120000Z"},
    {2524607999, "20491231235959Z"},
    {253402300799, "99991231235959Z"},
    {-62167219200, "00000101000000Z"},
    {253402300800, NULL},
    {-62167219201, NULL},
    {INT64_MAX, NULL},
    {INT64_MIN, NULL},
};

static const struct {
    int64_t secs;
    int64_t year;
    int month, day, hour, min, sec;
} civil_cases[] = {
    {0, 1970, 1, 1, 0, 0, 0},
    {-1, 1969, 12, 31, 23, 59, 59},
    {-86400, 1969, 12, 31, 0, 0, 0},
    {-86401, 1969, 12, 30, 23, 59, 59},
    {86399, 1970, 1, 1, 23, 59, 59},
    {951782400, 2000, 2, 29, 0, 0, 0},
    {951868800, 2000, 3, 1, 0, 0, 0},
    {1709208000, 2024, 2, 29, 12, 0, 0},
    {-631152000, 1950, 1, 1, 0, 0, 0},
    {-2208988800, 1900, 1, 1, 0, 0, 0},
    {-62135596800, 1, 1, 1, 0, 0, 0},
    {-62167219200, 0, 1, 1, 0, 0, 0},
    {-62167219201, -1, 12, 31, 23, 59, 59},
    {253402300799, 9999, 12, 31, 23, 59, 59},
    {253402300800, 10000, 1, 1, 0, 0, 0},
    {4102444800, 2100, 1, 1, 0, 0, 0},
};

static int
days_in_month(int64_t y, int m)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return mdays[m - 1] + (m == 2 && leap);
}

static void
test_civil(void)
{
    size_t i;
    int64_t d, s, prev_year, year;
    int prev_month, prev_day, month, day, hour, min, sec;
    long bad_days = 0, bad_secs = 0;
    char text[64];

    for (i = 0; i < ARRAY_LEN(civil_cases); i++) {
        char name[32];

        snprintf(name, sizeof(name), "civil %lld", (long long)civil_cases[i].secs);
        der_time_to_civil(civil_cases[i].secs, &year, &month, &day, &hour, &min, &sec);
        CHECK_CASE(name, year == civil_cases[i].year && month == civil_cases[i].month &&
                             day == civil_cases[i].day && hour == civil_cases[i].hour &&
                             min == civil_cases[i].min && sec == civil_cases[i].sec);
        CHECK_CASE(name,
                   der_time_from_civil(civil_cases[i].year, civil_cases[i].month,
                                       civil_cases[i].day, civil_cases[i].hour, civil_cases[i].min,
                                       civil_cases[i].sec) == civil_cases[i].secs);
    }

    /* Day by day over about +-3000 years: each day follows the previous one. */
    der_time_to_civil(-1100001 * (int64_t)86400, &prev_year, &prev_month, &prev_day, &hour, &min,
                      &sec);
    for (d = -1100000; d <= 1100000; d++) {
        int64_t ey = prev_year;
        int em = prev_month, ed = prev_day + 1;

        if (ed > days_in_month(ey, em)) {
            ed = 1;
            if (++em > 12) {
                em = 1;
                ey++;
            }
        }
        der_time_to_civil(d * 86400, &year, &month, &day, &hour, &min, &sec);
        if (year != ey || month != em || day != ed || hour != 0 || min != 0 || sec != 0 ||
            der_time_from_civil(year, month, day, 0, 0, 0) != d * 86400) {
            if (bad_days++ == 0) {
                fprintf(stderr, "day %lld: got %lld-%d-%d, want %lld-%d-%d\n", (long long)d,
                        (long long)year, month, day, (long long)ey, em, ed);
            }
        }
        prev_year = year;
        prev_month = month;
        prev_day = day;
    }
    CHECK(bad_days == 0);

    /* Second by second around the epoch, and spread over a wide range. */
    for (s = -300000; s <= 300000; s++) {
        int64_t v = s < 0 ? s * 7919 - 13 : s * 7919;
        int64_t vals[2];
        int k;

        vals[0] = s;
        vals[1] = v * 101;
        for (k = 0; k < 2; k++) {
            der_time_to_civil(vals[k], &year, &month, &day, &hour, &min, &sec);
            if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
                hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 59 ||
                der_time_from_civil(year, month, day, hour, min, sec) != vals[k]) {
                if (bad_secs++ == 0) {
                    fprintf(stderr, "secs %lld: %lld-%d-%d %d:%d:%d\n", (long long)vals[k],
                            (long long)year, month, day, hour, min, sec);
                }
            }
        }
    }
    CHECK(bad_secs == 0);

    /* Extremes must not crash and must stay in range. */
    der_time_to_civil(INT64_MIN, &year, &month, &day, &hour, &min, &sec);
    CHECK(month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23);
    der_time_to_civil(INT64_MAX, &year, &month, &day, &hour, &min, &sec);
    CHECK(month >= 1 && month <= 12 && day >= 1 && day <= 31 && sec == 7);

    CHECK(strcmp(der_time_format(0, text, sizeof(text)), "1970-01-01 00:00:00 UTC") == 0);
    CHECK(strcmp(der_time_format(1709208000, text, sizeof(text)), "2024-02-29 12:00:00 UTC") == 0);
    CHECK(strcmp(der_time_format(-1, text, sizeof(text)), "1969-12-31 23:59:59 UTC") == 0);

    for (i = 0; i < ARRAY_LEN(gentime_writes); i++) {
        char name[48];
        struct der_out out;
        uint8_t *buf = NULL;
        size_t len = 0;
        int ok;

        snprintf(name, sizeof(name), "der_put_gentime %lld", (long long)gentime_writes[i].secs);
        der_out_init(&out, 64);
        ok = der_put_gentime(&out, gentime_writes[i].secs);
        if (gentime_writes[i].text == NULL) {
            CHECK_CASE(name, !ok && !der_out_ok(&out));
            CHECK_CASE(name, !der_put_null(&out)); /* sticky */
            CHECK_CASE(name, !der_out_finish(&out, &buf, &len) && buf == NULL);
            der_out_cleanup(&out);
            continue;
        }
        if (CHECK_CASE(name, ok && der_out_finish(&out, &buf, &len))) {
            struct der_in in = der_in_make(buf, len);
            int64_t back = 0;

            CHECK_CASE(name, len == 17 && buf[0] == DER_GENERALIZED_TIME && buf[1] == 15 &&
                                 memcmp(buf + 2, gentime_writes[i].text, 15) == 0);
            CHECK_CASE(name, der_get_gentime(&in, &back) && back == gentime_writes[i].secs);
            free(buf);
        }
        der_out_cleanup(&out);
    }

    /* Writer and reader agree on every day of a few centuries. */
    bad_days = 0;
    for (d = -80000; d < 80000; d++) {
        struct der_out out;
        uint8_t *buf = NULL;
        size_t len = 0;
        int64_t secs = d * 86400 + (d % 86400 + 86400) % 86400, back = -1;
        struct der_in in;

        der_out_init(&out, 64);
        if (!der_put_gentime(&out, secs) || !der_out_finish(&out, &buf, &len)) {
            bad_days++;
            der_out_cleanup(&out);
            continue;
        }
        in = der_in_make(buf, len);
        if (!der_get_gentime(&in, &back) || back != secs) {
            bad_days++;
        }
        free(buf);
    }
    CHECK(bad_days == 0);
}

/* ---- der_walk ----------------------------------------------------------------- */

/* nest() builds |n| SEQUENCEs nested around a NULL. */
static uint8_t *
nest(int n, size_t *out_len)
{
    struct der_out out;
    size_t marks[64];
    uint8_t *buf = NULL;
    int i, ok = 1;

    der_out_init(&out, DER_OUT_DEFAULT_MAX);
    for (i = 0; i < n && i < 64; i++) {
        ok = ok && der_open(&out, DER_SEQUENCE, &marks[i]);
    }
    ok = ok && der_put_null(&out);
    for (i = n - 1; i >= 0; i--) {
        ok = ok && der_close(&out, marks[i]);
    }
    if (!ok || !der_out_finish(&out, &buf, out_len)) {
        der_out_cleanup(&out);
        return NULL;
    }
    return buf;
}

static const struct {
    const char *name, *hex;
    int ok;
} walk_cases[] = {
    {"NULL", "0500", 1},
    {"empty SEQUENCE", "3000", 1},
    {"nested", "30053003020101", 1},
    {"primitive contents not interpreted", "04023005", 1},
    {"empty input", "", 0},
    {"trailing byte", "300000", 0},
    {"two elements", "05000500", 0},
    {"inner past end", "3003020205", 0},
    {"inner exactly at end", "3003020105", 1},
    {"inner trailing byte", "300402010000", 0},
    {"inner primitive SEQUENCE", "30021000", 0},
    {"inner indefinite", "A0023080", 0},
    {"inner non-minimal length", "30040481010A", 0},
    {"inner universal 0", "30020000", 0},
    {"inner high form for low tag", "30039F0500", 0},
    {"constructed OCTET STRING of garbage", "2402FFFF", 0},
    {"explicit with two elements", "A00405000500", 1},
};

static void
test_walk(void)
{
    static const struct {
        int n, max_depth, ok;
    } depth_cases[] = {
        {1, DER_MAX_DEPTH, 1},
        {10, DER_MAX_DEPTH, 1},
        {32, DER_MAX_DEPTH, 1},
        {33, DER_MAX_DEPTH, 0},
        {40, DER_MAX_DEPTH, 0},
        {40, 1000, 0},
        {5, 5, 1},
        {6, 5, 0},
        {1, 0, 0},
        {0, 0, 1},
        {1, -1, 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(walk_cases); i++) {
        uint8_t buf[HEX_MAX];
        size_t len;
        struct der_in in;

        if (unhex(walk_cases[i].name, walk_cases[i].hex, buf, &len)) {
            in = der_in_make(buf, len);
            CHECK_CASE(walk_cases[i].name, der_walk(&in, DER_MAX_DEPTH) == walk_cases[i].ok);
        }
    }
    for (i = 0; i < ARRAY_LEN(depth_cases); i++) {
        char name[48];
        size_t len = 0;
        uint8_t *buf = nest(depth_cases[i].n, &len);
        struct der_in in;

        snprintf(name, sizeof(name), "%d nested, max %d", depth_cases[i].n,
                 depth_cases[i].max_depth);
        if (!CHECK_CASE(name, buf != NULL)) {
            continue;
        }
        in = der_in_make(buf, len);
        CHECK_CASE(name, der_walk(&in, depth_cases[i].max_depth) == depth_cases[i].ok);
        free(buf);
    }
}

/* ---- writer ------------------------------------------------------------------- */

static const struct {
    size_t n;
    const char *hdr;
} open_cases[] = {
    {0, "3000"},
    {1, "3001"},
    {127, "307F"},
    {128, "308180"},
    {255, "3081FF"},
    {256, "30820100"},
    {65535, "3082FFFF"},
    {65536, "3083010000"},
    {(1u << 24) - 1, "3083FFFFFF"},
    {1u << 24, "308401000000"},
};

static void
test_open_close(void)
{
    size_t i, j;

    for (i = 0; i < ARRAY_LEN(open_cases); i++) {
        char name[48];
        size_t n = open_cases[i].n, mark = 99, hdr_len, got_hdr, got_body, len = 0;
        uint8_t want[16], *content = malloc(n + 1), *buf = NULL;
        struct der_out out;
        struct der_in in;
        uint32_t tag;

        snprintf(name, sizeof(name), "der_open/close %zu bytes", n);
        if (!CHECK_CASE(name, content != NULL) || !unhex(name, open_cases[i].hdr, want, &hdr_len)) {
            free(content);
            continue;
        }
        for (j = 0; j < n; j++) {
            content[j] = (uint8_t)(j * 7 + 1);
        }
        der_out_init(&out, n + 16);
        CHECK_CASE(name, der_open(&out, DER_SEQUENCE, &mark) && mark == 1);
        CHECK_CASE(name, der_put_raw(&out, content, n));
        CHECK_CASE(name, der_close(&out, mark));
        if (CHECK_CASE(name, der_out_finish(&out, &buf, &len))) {
            CHECK_CASE(name, len == hdr_len + n);
            CHECK_MEM(name, buf, len < hdr_len ? len : hdr_len, want, hdr_len);
            CHECK_CASE(name, len == hdr_len + n && memcmp(buf + hdr_len, content, n) == 0);
            in = der_in_make(buf, len);
            CHECK_CASE(name, der_parse_header(&in, &tag, &got_hdr, &got_body) &&
                                 tag == DER_SEQUENCE && got_hdr == hdr_len && got_body == n);
            free(buf);
        }
        der_out_cleanup(&out);
        free(content);
    }

    /* Nested elements whose lengths both grow: the shifts compose. */
    {
        uint8_t a[200], b[100], *buf = NULL;
        size_t outer, inner, len = 0;
        struct der_out out;

        memset(a, 0xA5, sizeof(a));
        memset(b, 0x5A, sizeof(b));
        der_out_init(&out, 1024);
        CHECK(der_open(&out, DER_SEQUENCE, &outer) && der_open(&out, DER_EXPLICIT(3), &inner) &&
              der_put_raw(&out, a, sizeof(a)) && der_close(&out, inner) &&
              der_put_raw(&out, b, sizeof(b)) && der_close(&out, outer));
        if (CHECK(der_out_finish(&out, &buf, &len))) {
            static const uint8_t hdrs[] = {0x30, 0x82, 0x01, 0x2F, 0xA3, 0x81, 0xC8};
            CHECK(len == 7 + 200 + 100);
            CHECK_MEM("nested headers", buf, len < 7 ? len : 7, hdrs, 7);
            CHECK(len == 307 && memcmp(buf + 7, a, 200) == 0 && memcmp(buf + 207, b, 100) == 0);
            free(buf);
        }
        der_out_cleanup(&out);
    }
}

/*
 * der_close() closes only the innermost open element. Closing an outer one
 * first used to succeed and patch the outer length over an inner element
 * whose length byte stayed a placeholder: invalid DER. Now it fails, the
 * failure is sticky and nothing is returned. Both orders of two siblings and
 * of a deeper nest, and the depth limit, are covered.
 */
static void
test_close_order(void)
{
    static const struct {
        const char *name;
        int depth;         /* elements opened, each inside the previous */
        int closes[3];     /* the order they are closed in (index into the opens) */
        int ok;
    } rows[] = {
        {"inner then outer", 2, {1, 0}, 1},
        {"outer before inner", 2, {0, 1}, 0},
        {"three, middle first", 3, {1, 2, 0}, 0},
        {"three, outermost first", 3, {0, 2, 1}, 0},
        {"three in order", 3, {2, 1, 0}, 1},
        {"inner closed twice", 2, {1, 1}, 0},
    };
    size_t i;
    int j;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        const char *name = rows[i].name;
        struct der_out out;
        size_t marks[3], len = 77;
        uint8_t *buf = (uint8_t *)&len;
        int ok = 1;

        der_out_init(&out, 100);
        for (j = 0; j < rows[i].depth; j++) {
            CHECK_CASE(name, der_open(&out, DER_SEQUENCE, &marks[j]) && der_put_null(&out));
        }
        for (j = 0; j < rows[i].depth; j++) {
            ok = der_close(&out, marks[rows[i].closes[j]]) && ok;
        }
        CHECK_CASE(name, ok == rows[i].ok && der_out_ok(&out) == rows[i].ok);
        if (rows[i].ok) {
            if (CHECK_CASE(name, der_out_finish(&out, &buf, &len))) {
                struct der_in in = der_in_make(buf, len);
                CHECK_CASE(name, der_walk(&in, DER_MAX_DEPTH));
                free(buf);
            }
        } else {
            /* Sticky: nothing more is written and no partial output comes back. */
            CHECK_CASE(name, !der_put_null(&out) && !der_open(&out, DER_SET, &marks[0]));
            CHECK_CASE(name, !der_out_finish(&out, &buf, &len) && buf == NULL && len == 0);
        }
        der_out_cleanup(&out);
    }

    /* DER_OUT_MAX_DEPTH elements may be open at once; one more fails for good. */
    {
        struct der_out out;
        size_t marks[DER_OUT_MAX_DEPTH + 1], mark;
        uint8_t *buf = NULL;
        size_t len = 0;
        int ok = 1;

        der_out_init(&out, 4096);
        for (j = 0; j < DER_OUT_MAX_DEPTH; j++) {
            ok = ok && der_open(&out, DER_SEQUENCE, &marks[j]);
        }
        CHECK(ok);
        CHECK(!der_open(&out, DER_SEQUENCE, &mark) && !der_out_ok(&out));
        der_out_cleanup(&out);
        der_out_init(&out, 4096);
        for (j = 0; j < DER_OUT_MAX_DEPTH; j++) {
            ok = ok && der_open(&out, DER_SEQUENCE, &marks[j]);
        }
        for (j = DER_OUT_MAX_DEPTH - 1; j >= 0; j--) {
            ok = ok && der_close(&out, marks[j]);
        }
        if (CHECK(ok && der_out_finish(&out, &buf, &len))) {
            CHECK(len == 2 * DER_OUT_MAX_DEPTH && buf[0] == 0x30 && buf[1] == len - 2);
            free(buf);
        }
        der_out_cleanup(&out);
    }
}

static void
test_writer_failures(void)
{
    static const uint8_t ten[10] = {0};
    struct der_out out;
    uint8_t *buf;
    size_t len, mark, mark2;

    /* Hard cap: reaching it is fine, passing it fails for good. */
    der_out_init(&out, 10);
    CHECK(der_put_raw(&out, ten, 10) && out.len == 10 && der_out_ok(&out));
    CHECK(der_put_raw(&out, ten, 0));
    CHECK(!der_put_raw(&out, ten, 1));
    CHECK(!der_out_ok(&out));
    CHECK(!der_put_raw(&out, ten, 0));
    CHECK(!der_put_null(&out));
    CHECK(!der_open(&out, DER_SEQUENCE, &mark));
    CHECK(!der_close(&out, 0));
    CHECK(!der_put_int64(&out, 1));
    CHECK(!der_put_octets(&out, ten, 1));
    buf = (uint8_t *)&mark; /* must be overwritten with NULL */
    len = 77;
    CHECK(!der_out_finish(&out, &buf, &len));
    CHECK(buf == NULL && len == 0);
    CHECK(!der_out_ok(&out)); /* still failed after finish */
    CHECK(!der_put_null(&out));
    CHECK(!der_out_finish(&out, &buf, &len) && buf == NULL);
    der_out_cleanup(&out);
    der_out_cleanup(&out); /* twice is fine */

    /* Exactly at the cap. */
    der_out_init(&out, 2);
    CHECK(der_put_null(&out));
    finish_expect("NULL at cap 2", &out, "0500");
    der_out_init(&out, 1);
    CHECK(!der_put_null(&out));
    CHECK(!der_out_finish(&out, &buf, &len));
    der_out_cleanup(&out);

    /* The cap also applies when der_close() grows the length. */
    der_out_init(&out, 130);
    CHECK(der_open(&out, DER_SEQUENCE, &mark) && der_put_raw(&out, ten, 10));
    {
        uint8_t big[118];
        memset(big, 0, sizeof(big));
        CHECK(der_put_raw(&out, big, sizeof(big)) && out.len == 130);
    }
    CHECK(!der_close(&out, mark));
    CHECK(!der_out_finish(&out, &buf, &len) && buf == NULL);
    der_out_cleanup(&out);
    der_out_init(&out, 131);
    {
        uint8_t big[128];
        memset(big, 0, sizeof(big));
        CHECK(der_open(&out, DER_SEQUENCE, &mark) && der_put_raw(&out, big, sizeof(big)) &&
              der_close(&out, mark));
        if (CHECK(der_out_finish(&out, &buf, &len))) {
            CHECK(len == 131 && buf[0] == 0x30 && buf[1] == 0x81 && buf[2] == 0x80);
            free(buf);
        }
    }
    der_out_cleanup(&out);

    /* der_close() with nothing open, or a mark past the end. */
    der_out_init(&out, 100);
    CHECK(!der_close(&out, 0));
    CHECK(!der_out_ok(&out));
    der_out_cleanup(&out);
    der_out_init(&out, 100);
    CHECK(der_put_null(&out));
    CHECK(!der_close(&out, 1));
    CHECK(!der_out_finish(&out, &buf, &len));
    der_out_cleanup(&out);
    der_out_init(&out, 100);
    CHECK(der_open(&out, DER_SEQUENCE, &mark));
    CHECK(!der_close(&out, 50));
    der_out_cleanup(&out);
    der_out_init(&out, 100);
    CHECK(der_open(&out, DER_SEQUENCE, &mark) && der_close(&out, mark));
    CHECK(!der_close(&out, mark)); /* closed twice */
    der_out_cleanup(&out);

    /* der_out_finish() with an element still open. */
    der_out_init(&out, 100);
    CHECK(der_open(&out, DER_SEQUENCE, &mark) && der_open(&out, DER_SET, &mark2) &&
          der_put_null(&out) && der_close(&out, mark2));
    buf = (uint8_t *)&mark;
    CHECK(!der_out_finish(&out, &buf, &len) && buf == NULL && len == 0);
    CHECK(!der_out_ok(&out));
    der_out_cleanup(&out);

    /* An empty writer finishes with a freeable zero-length buffer. */
    der_out_init(&out, 100);
    buf = NULL;
    CHECK(der_out_finish(&out, &buf, &len) && buf != NULL && len == 0);
    free(buf);
    /* And a finished writer can be used again, keeping its cap. */
    CHECK(der_put_null(&out) && out.max == 100);
    finish_expect("writer reused", &out, "0500");

    /* Element sizes above DER_MAX_LEN fail before touching the data. */
    der_out_init(&out, 100);
    CHECK(!der_put_prim(&out, DER_OCTET_STRING, NULL, (size_t)DER_MAX_LEN + 1));
    CHECK(!der_out_ok(&out));
    der_out_cleanup(&out);

    /* BIT STRINGs the reader would reject are not written. */
    {
        static const uint8_t ff = 0xFF, f0 = 0xF0;
        static const struct {
            const char *name;
            const uint8_t *bits;
            size_t len;
            unsigned unused;
            int ok;
        } bs[] = {
            {"unused 8", &f0, 1, 8, 0},        {"unused with no bytes", NULL, 0, 1, 0},
            {"padding bit set", &ff, 1, 1, 0}, {"padding bits set", &ff, 1, 7, 0},
            {"unused 4 F0", &f0, 1, 4, 1},     {"empty", NULL, 0, 0, 1},
            {"unused 0 FF", &ff, 1, 0, 1},
        };
        size_t i;

        for (i = 0; i < ARRAY_LEN(bs); i++) {
            der_out_init(&out, 100);
            CHECK_CASE(bs[i].name, der_put_bitstring(&out, DER_BIT_STRING, bs[i].bits, bs[i].len,
                                                     bs[i].unused) == bs[i].ok);
            CHECK_CASE(bs[i].name, der_out_ok(&out) == bs[i].ok);
            if (bs[i].ok) {
                buf = NULL;
                if (CHECK_CASE(bs[i].name, der_out_finish(&out, &buf, &len))) {
                    struct der_in in = der_in_make(buf, len), bits;
                    unsigned unused = 99;
                    CHECK_CASE(bs[i].name, der_get_bitstring(&in, DER_BIT_STRING, &bits, &unused) &&
                                               unused == bs[i].unused && bits.len == bs[i].len);
                    free(buf);
                }
            }
            der_out_cleanup(&out);
        }
    }
}

static const struct {
    int64_t v;
    const char *hex;
} int_writes[] = {
    {0, "020100"},
    {1, "020101"},
    {127, "02017F"},
    {128, "02020080"},
    {255, "020200FF"},
    {256, "02020100"},
    {32767, "02027FFF"},
    {32768, "0203008000"},
    {-1, "0201FF"},
    {-128, "020180"},
    {-129, "0202FF7F"},
    {-256, "0202FF00"},
    {-32768, "02028000"},
    {-32769, "0203FF7FFF"},
    {INT64_MAX, "02087FFFFFFFFFFFFFFF"},
    {INT64_MIN, "02088000000000000000"},
    {INT64_MIN + 1, "02088000000000000001"},
    {(int64_t)1 << 55, "02080080000000000000"},
};

static void
test_put_values(void)
{
    size_t i;
    int k;
    long bad = 0;

    for (i = 0; i < ARRAY_LEN(int_writes); i++) {
        char name[48];
        struct der_out out;

        snprintf(name, sizeof(name), "der_put_int64 %lld", (long long)int_writes[i].v);
        der_out_init(&out, 64);
        CHECK_CASE(name, der_put_int64(&out, int_writes[i].v));
        finish_expect(name, &out, int_writes[i].hex);
    }

    /* Every power of two and its neighbours, both signs, round-trip minimally. */
    for (k = 0; k < 63; k++) {
        int64_t base = (int64_t)1 << k, vals[6];
        int j;

        vals[0] = base;
        vals[1] = base - 1;
        vals[2] = base + 1;
        vals[3] = -base;
        vals[4] = -base - 1;
        vals[5] = -base + 1;
        for (j = 0; j < 6; j++) {
            struct der_out out;
            uint8_t *buf = NULL;
            size_t len = 0;
            struct der_in in, body;
            int64_t back = 0;

            der_out_init(&out, 64);
            if (!der_put_int64(&out, vals[j]) || !der_out_finish(&out, &buf, &len)) {
                bad++;
                der_out_cleanup(&out);
                continue;
            }
            in = der_in_make(buf, len);
            if (!der_get_integer(&in, DER_INTEGER, &body) || !der_parse_int64(&body, &back) ||
                back != vals[j]) {
                bad++;
            }
            free(buf);
        }
    }
    CHECK(bad == 0);

    {
        struct der_out out;
        der_out_init(&out, 64);
        CHECK(der_put_int64_tag(&out, DER_ENUMERATED, 2) &&
              der_put_int64_tag(&out, DER_IMPLICIT(0, DER_INTEGER), -1));
        finish_expect("ENUMERATED and [0] INTEGER", &out, "0A0102 8001FF");
        der_out_init(&out, 64);
        CHECK(der_put_bool(&out, DER_BOOLEAN, 1) && der_put_bool(&out, DER_BOOLEAN, 0) &&
              der_put_bool(&out, DER_BOOLEAN, 42) && der_put_bool(&out, DER_IMPLICIT(1, 1), 1));
        finish_expect("BOOLEANs", &out, "0101FF 010100 0101FF 8101FF");
        der_out_init(&out, 64);
        CHECK(der_put_octets(&out, NULL, 0) && der_put_null(&out));
        finish_expect("empty OCTET STRING, NULL", &out, "0400 0500");
        {
            static const uint8_t tlv[] = {0x02, 0x01, 0x09};
            struct der_in empty = DER_IN_EMPTY, whole = der_in_make(tlv, sizeof(tlv));
            der_out_init(&out, 64);
            CHECK(der_put_in(&out, &empty) && der_put_in(&out, &whole) &&
                  der_put_raw(&out, NULL, 0));
            finish_expect("der_put_in", &out, "020109");
        }
    }
}

static void
test_tag_writing(void)
{
    static const struct {
        uint32_t tag;
        const char *hex; /* primitive with contents AB */
    } fixed[] = {
        {DER_CLASS_CONTEXT | 31, "9F1F01AB"},
        {DER_CLASS_CONTEXT | 200, "9F814801AB"},
        {DER_CLASS_CONTEXT | 16383, "9FFF7F01AB"},
        {DER_CLASS_CONTEXT | 16384, "9F81800001AB"},
        {DER_CLASS_APPLICATION | 31, "5F1F01AB"},
        {DER_CLASS_PRIVATE | 0xFFFFFF, "DF87FFFF7F01AB"},
        {31, "1F1F01AB"},
        {DER_CLASS_CONTEXT | 30, "9E01AB"},
        {DER_CLASS_CONTEXT | 0, "8001AB"},
        {DER_CLASS_APPLICATION | 5, "4501AB"},
    };
    static const uint32_t numbers[] = {1,   2,     30,    31,       32,       127,      128,
                                       200, 16383, 16384, 0x1FFFFF, 0x200000, 0xFFFFFE, 0xFFFFFF};
    static const uint32_t classes[] = {DER_CLASS_CONTEXT, DER_CLASS_APPLICATION, DER_CLASS_PRIVATE,
                                       DER_CLASS_UNIVERSAL};
    static const uint8_t ab = 0xAB;
    size_t i, c, n;
    int cons;

    for (i = 0; i < ARRAY_LEN(fixed); i++) {
        char name[48];
        struct der_out out;

        snprintf(name, sizeof(name), "tag 0x%08X", (unsigned)fixed[i].tag);
        der_out_init(&out, 64);
        CHECK_CASE(name, der_put_prim(&out, fixed[i].tag, &ab, 1));
        finish_expect(name, &out, fixed[i].hex);
    }
    {
        struct der_out out;
        size_t mark;
        der_out_init(&out, 64);
        CHECK(der_open(&out, DER_CLASS_APPLICATION | DER_CONSTRUCTED | 16384, &mark) &&
              der_close(&out, mark));
        finish_expect("[APPLICATION 16384] constructed", &out, "7F81800000");
    }

    /* Every class, form and a spread of numbers parses back to the same tag. */
    for (c = 0; c < ARRAY_LEN(classes); c++) {
        for (n = 0; n < ARRAY_LEN(numbers); n++) {
            for (cons = 0; cons < 2; cons++) {
                uint32_t tag = classes[c] | numbers[n] | (cons ? DER_CONSTRUCTED : 0);
                char name[48];
                struct der_out out;
                uint8_t *buf = NULL;
                size_t len = 0, mark, hdr, body, want_hdr;
                uint32_t got = 0;
                struct der_in in;
                int ok;

                if (classes[c] == DER_CLASS_UNIVERSAL &&
                    ((numbers[n] == 16 || numbers[n] == 17) && !cons)) {
                    continue;
                }
                snprintf(name, sizeof(name), "tag round trip 0x%08X", (unsigned)tag);
                want_hdr = 2;
                if (numbers[n] >= 31) {
                    uint32_t v = numbers[n];
                    for (; v > 0; v >>= 7) {
                        want_hdr++;
                    }
                }
                der_out_init(&out, 64);
                if (cons) {
                    ok = der_open(&out, tag, &mark) && der_put_null(&out) && der_close(&out, mark);
                } else {
                    ok = der_put_prim(&out, tag, &ab, 1);
                }
                if (!CHECK_CASE(name, ok && der_out_finish(&out, &buf, &len))) {
                    der_out_cleanup(&out);
                    continue;
                }
                in = der_in_make(buf, len);
                CHECK_CASE(name, der_parse_header(&in, &got, &hdr, &body) && got == tag &&
                                     hdr == want_hdr && body == (cons ? 2u : 1u) &&
                                     hdr + body == len);
                CHECK_CASE(name, der_walk(&in, DER_MAX_DEPTH));
                free(buf);
            }
        }
    }
}

/* ---- sweeps over a sample structure ------------------------------------------- */

/*
 * Sample ::= SEQUENCE {
 *     version   INTEGER (128),
 *     data      OCTET STRING (SIZE (3)),
 *     critical  BOOLEAN (TRUE),
 *     alg       SEQUENCE { algorithm OBJECT IDENTIFIER (sha256WithRSAEncryption),
 *                          parameters NULL },
 *     set       SET { INTEGER (127), UTF8String ("hi") },
 *     time      [0] EXPLICIT GeneralizedTime (2024-02-29 12:00:00),
 *     flags     [1] IMPLICIT BIT STRING OPTIONAL ({0, 2}),
 *     ext       [31] IMPLICIT OCTET STRING (SIZE (2)),
 *     nested    [2] EXPLICIT SEQUENCE { SEQUENCE { INTEGER (-1) } } }
 */
static const char sample_hex[] = "3049"
                                 "02020080"
                                 "0403010203"
                                 "0101FF"
                                 "300D06092A864886F70D01010B0500"
                                 "310702017F0C026869"
                                 "A011180F32303234303232393132303030305A"
                                 "810205A0"
                                 "9F1F02ABCD"
                                 "A207300530030201FF";

/* decode_sample() is a strict decoder of Sample, written the way lib/msg decodes. */
static int
decode_sample(const uint8_t *p, size_t len)
{
    static const uint8_t sha256_rsa[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B};
    struct der_in in = der_in_make(p, len), seq, alg, set, t0, nested, inner, inner2, data, oid,
                  ext, utf8;
    int64_t v, t;
    uint64_t flags;
    int b, present;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in)) {
        return 0;
    }
    if (!der_get_int64(&seq, &v) || v != 128 || !der_get(&seq, DER_OCTET_STRING, &data) ||
        data.len != 3 || !der_get_bool(&seq, DER_BOOLEAN, &b) || !b) {
        return 0;
    }
    if (!der_get(&seq, DER_SEQUENCE, &alg) || !der_get_oid(&alg, &oid) ||
        !der_oid_eq(&oid, sha256_rsa, sizeof(sha256_rsa)) || !der_get_null(&alg) ||
        !der_done(&alg)) {
        return 0;
    }
    if (!der_get(&seq, DER_SET, &set) || !der_get_int64(&set, &v) || v != 127 ||
        !der_get(&set, DER_UTF8_STRING, &utf8) || utf8.len != 2 || !der_done(&set)) {
        return 0;
    }
    if (!der_get(&seq, DER_EXPLICIT(0), &t0) || !der_get_gentime(&t0, &t) || t != 1709208000 ||
        !der_done(&t0)) {
        return 0;
    }
    if (der_peek(&seq, DER_IMPLICIT(1, DER_BIT_STRING))) {
        if (!der_get_named_bits(&seq, DER_IMPLICIT(1, DER_BIT_STRING), &flags) || flags != 5) {
            return 0;
        }
    }
    if (!der_get_opt(&seq, DER_IMPLICIT(31, DER_OCTET_STRING), &ext, &present) || !present ||
        ext.len != 2) {
        return 0;
    }
    if (!der_get(&seq, DER_EXPLICIT(2), &nested) || !der_get(&nested, DER_SEQUENCE, &inner) ||
        !der_done(&nested) || !der_get(&inner, DER_SEQUENCE, &inner2) || !der_done(&inner) ||
        !der_get_int64(&inner2, &v) || v != -1 || !der_done(&inner2)) {
        return 0;
    }
    return der_done(&seq);
}

struct elem {
    size_t start, hdr_len, body_len;
    int constructed;
};

/* collect() lists every element of |in| (depth first) with offsets from |base|. */
static size_t
collect(const uint8_t *base, struct der_in in, struct elem *elems, size_t num, size_t max)
{
    while (!der_done(&in) && num < max) {
        uint32_t tag;
        size_t hdr, body;

        if (!der_parse_header(&in, &tag, &hdr, &body)) {
            return num;
        }
        elems[num].start = (size_t)(in.p - base);
        elems[num].hdr_len = hdr;
        elems[num].body_len = body;
        elems[num].constructed = (tag & DER_CONSTRUCTED) != 0;
        num++;
        if (tag & DER_CONSTRUCTED) {
            num = collect(base, der_in_make(in.p + hdr, body), elems, num, max);
        }
        der_skip(&in, hdr + body);
    }
    return num;
}

/*
 * rebuild_extra() re-encodes |in|, appending |extra| to the contents of the
 * |target|-th constructed element, with every enclosing length adjusted.
 */
static int
rebuild_extra(struct der_out *out, struct der_in in, size_t target, size_t *counter,
              const uint8_t *extra, size_t extra_len)
{
    while (!der_done(&in)) {
        uint32_t tag;
        struct der_in body;
        size_t mark, idx;

        if (!der_get_any(&in, &tag, &body, NULL)) {
            return 0;
        }
        if ((tag & DER_CONSTRUCTED) == 0) {
            if (!der_put_prim(out, tag, body.p, body.len)) {
                return 0;
            }
            continue;
        }
        idx = (*counter)++;
        if (!der_open(out, tag, &mark) ||
            !rebuild_extra(out, body, target, counter, extra, extra_len) ||
            (idx == target && !der_put_raw(out, extra, extra_len)) || !der_close(out, mark)) {
            return 0;
        }
    }
    return 1;
}

/* roundtrip() checks the generic properties of anything der_walk() accepts. */
static void
roundtrip(const char *name, const uint8_t *p, size_t len)
{
    struct der_in in = der_in_make(p, len);
    uint8_t *re = NULL;
    size_t re_len = 0;

    if (!der_walk(&in, DER_MAX_DEPTH)) {
        return;
    }
    if (CHECK_CASE(name, der_rebuild(&in, &re, &re_len))) {
        CHECK_MEM(name, re, re_len, p, len);
        free(re);
    }
    CHECK_CASE(name, der_rebuild_values(&in, DER_MAX_DEPTH));
}

static void
sweep(const char *what, const uint8_t *p, size_t len, int typed)
{
    static const struct {
        uint8_t bytes[2];
        size_t len;
    } extras[] = {{{0x00}, 1}, {{0x05}, 1}, {{0x30}, 1}, {{0xFF}, 1}, {{0x05, 0x00}, 2}};
    struct elem elems[64];
    size_t num, i, k, cut, num_cons = 0;
    uint8_t *buf = malloc(len + 8);
    char name[96];
    long bad_trunc = 0;

    if (!CHECK(buf != NULL)) {
        return;
    }
    snprintf(name, sizeof(name), "%s: original", what);
    {
        struct der_in in = der_in_make(p, len);
        CHECK_CASE(name, der_walk(&in, DER_MAX_DEPTH));
    }
    if (typed) {
        CHECK_CASE(name, decode_sample(p, len));
    }
    roundtrip(name, p, len);

    /* Truncation at every length. */
    for (cut = 0; cut < len; cut++) {
        struct der_in in = der_in_make(p, cut);
        uint8_t *re = NULL;
        size_t re_len;

        if (der_walk(&in, DER_MAX_DEPTH) || (typed && decode_sample(p, cut))) {
            if (bad_trunc++ == 0) {
                fprintf(stderr, "%s: truncated to %zu bytes was accepted\n", what, cut);
            }
        }
        if (der_rebuild(&in, &re, &re_len)) {
            /* The rebuild is as lenient as der_walk() only at depth 0. */
            free(re);
            if (cut == 0) {
                continue;
            }
            if (bad_trunc++ == 0) {
                fprintf(stderr, "%s: truncated to %zu bytes rebuilt\n", what, cut);
            }
        }
    }
    snprintf(name, sizeof(name), "%s: every truncation rejected", what);
    CHECK_CASE(name, bad_trunc == 0);

    num = collect(p, der_in_make(p, len), elems, 0, ARRAY_LEN(elems));

    /* One extra byte at the start and end of each constructed element's
     * contents, adjusting nothing. */
    for (i = 0; i < num; i++) {
        size_t at[2];
        int j;

        if (!elems[i].constructed) {
            continue;
        }
        at[0] = elems[i].start + elems[i].hdr_len;
        at[1] = at[0] + elems[i].body_len;
        for (j = 0; j < 2; j++) {
            struct der_in in;

            memcpy(buf, p, at[j]);
            buf[at[j]] = 0x00;
            memcpy(buf + at[j] + 1, p + at[j], len - at[j]);
            in = der_in_make(buf, len + 1);
            snprintf(name, sizeof(name), "%s: unadjusted extra byte at %zu", what, at[j]);
            CHECK_CASE(name, !der_walk(&in, DER_MAX_DEPTH));
            if (typed) {
                CHECK_CASE(name, !decode_sample(buf, len + 1));
            }
        }
    }

    /* An extra byte (or NULL element) at the end of each constructed element,
     * with the enclosing lengths adjusted. */
    for (i = 0; i < num; i++) {
        num_cons += elems[i].constructed;
    }
    for (i = 0; i < num_cons; i++) {
        for (k = 0; k < ARRAY_LEN(extras); k++) {
            size_t extra_len = extras[k].len;
            struct der_out out;
            size_t counter = 0, m_len = 0;
            uint8_t *m = NULL;
            struct der_in in;

            snprintf(name, sizeof(name), "%s: extra %zu byte(s) %02X in constructed #%zu", what,
                     extra_len, extras[k].bytes[0], i);
            der_out_init(&out, len + 64);
            if (!CHECK_CASE(name, rebuild_extra(&out, der_in_make(p, len), i, &counter,
                                                extras[k].bytes, extra_len) &&
                                      der_out_finish(&out, &m, &m_len))) {
                der_out_cleanup(&out);
                continue;
            }
            in = der_in_make(m, m_len);
            /* A lone byte is never an element; a whole NULL is valid framing. */
            CHECK_CASE(name, der_walk(&in, DER_MAX_DEPTH) == (extra_len == 2));
            if (typed) {
                CHECK_CASE(name, !decode_sample(m, m_len));
            }
            roundtrip(name, m, m_len);
            free(m);
        }
    }

    /* Each tag flipped: constructed bit, lowest number bit, class bit. */
    for (i = 0; i < num; i++) {
        static const uint8_t flips[] = {0x20, 0x01, 0x80, 0x40};
        for (k = 0; k < ARRAY_LEN(flips); k++) {
            memcpy(buf, p, len);
            buf[elems[i].start] ^= flips[k];
            snprintf(name, sizeof(name), "%s: tag at %zu ^ %02X", what, elems[i].start, flips[k]);
            if (typed) {
                CHECK_CASE(name, !decode_sample(buf, len));
            }
            roundtrip(name, buf, len);
        }
    }
    free(buf);
}

static void
test_sweeps(void)
{
    uint8_t sample[HEX_MAX], *big = NULL, octets[300];
    size_t sample_len, big_len = 0, i, m0, m1, m2;
    struct der_out out;
    struct der_in in;

    if (unhex("sample", sample_hex, sample, &sample_len)) {
        CHECK(sample_len == 75);
        sweep("sample", sample, sample_len, 1);
    }

    /* A bigger structure with long-form lengths, built with the writer. */
    for (i = 0; i < sizeof(octets); i++) {
        octets[i] = (uint8_t)(i * 13);
    }
    der_out_init(&out, 4096);
    {
        uint8_t oid[16], utc[] = "491231235959Z";
        size_t oid_len = 0;
        int ok = der_oid_from_text("2.999.3", oid, sizeof(oid), &oid_len);

        CHECK(ok);
        ok = ok && der_open(&out, DER_SEQUENCE, &m0) && der_put_octets(&out, octets, 300) &&
             der_open(&out, DER_SEQUENCE, &m1) && der_put_octets(&out, octets, 130) &&
             der_put_int64(&out, 65536) && der_open(&out, DER_EXPLICIT(5), &m2) &&
             der_put_null(&out) && der_close(&out, m2) && der_close(&out, m1) &&
             der_put_named_bits(&out, DER_BIT_STRING, (uint64_t)1 << 26) &&
             der_put_prim(&out, DER_OID, oid, oid_len) &&
             der_put_prim(&out, DER_UTC_TIME, utc, 13) && der_put_gentime(&out, -1) &&
             der_put_bool(&out, DER_BOOLEAN, 0) && der_put_int64_tag(&out, DER_ENUMERATED, -5) &&
             der_put_prim(&out, DER_CLASS_PRIVATE | 1000, octets, 200) && der_close(&out, m0);
        CHECK(ok && der_out_finish(&out, &big, &big_len));
    }
    der_out_cleanup(&out);
    if (big != NULL) {
        in = der_in_make(big, big_len);
        CHECK(big_len > 600 && big[1] == 0x82);
        CHECK(der_walk(&in, DER_MAX_DEPTH));
        sweep("writer-built", big, big_len, 0);
        free(big);
    }

    /* The generic value checks catch a value that does not round-trip. */
    {
        static const uint8_t good[] = {0x30, 0x06, 0x02, 0x01, 0x05, 0x01, 0x01, 0x00};
        static const uint8_t odd_oid[] = {0x06, 0x02, 0x80, 0x01}; /* rejected, so fine */
        in = der_in_make(good, sizeof(good));
        CHECK(der_rebuild_values(&in, DER_MAX_DEPTH));
        in = der_in_make(odd_oid, sizeof(odd_oid));
        CHECK(der_rebuild_values(&in, DER_MAX_DEPTH));
        in = der_in_make(good, 5);
        CHECK(!der_rebuild_values(&in, DER_MAX_DEPTH)); /* framing */
    }
}

/* ---- error records (err.c) ------------------------------------------------------ */

static int
fail_inner(struct cmp_err *err)
{
    return CMP_FAIL(err, CMP_E_DECODE, "CertStatus.certHash: %d bytes", 3);
}

static void
test_err(void)
{
    struct cmp_err err;
    char buf[1024], small[16];
    const char *outer, *inner, *cause;
    int line, i;

    cmp_err_init(&err);
    CHECK(err.code == CMP_E_NONE && err.failure_bit == CMP_FI_NONE && err.num_frames == 0);
    CHECK(strcmp(cmp_err_format(&err, buf, sizeof(buf)), "no error recorded") == 0);
    CHECK(strcmp(cmp_err_format(NULL, buf, sizeof(buf)), "no error recorded") == 0);

    line = __LINE__ + 1;
    CHECK(CMP_FAIL(&err, CMP_E_DECODE, "bad %s %d", "thing", 7) == 0);
    CHECK(err.code == CMP_E_DECODE && err.failure_bit == CMP_FI_NONE);
    CHECK(strcmp(err.msg, "bad thing 7") == 0);
    CHECK(err.file != NULL && strcmp(err.file, __FILE__) == 0 && err.line == line);
    CHECK(CMP_FAIL(NULL, CMP_E_DECODE, "ignored") == 0);
    CHECK(CMP_CONTEXT(NULL, "ignored") == 0);

    CHECK(CMP_FAIL_INFO(&err, CMP_FI_BAD_POP, "POPO") == 0);
    CHECK(err.code == CMP_E_INVALID && err.failure_bit == CMP_FI_BAD_POP);

    /* Contexts accumulate innermost first, at most CMP_ERR_FRAMES. */
    CHECK(fail_inner(&err) == 0);
    CHECK(err.num_frames == 0 && err.failure_bit == CMP_FI_NONE);
    CHECK(CMP_CONTEXT(&err, "CertStatus #%d", 0) == 0);
    CHECK(CMP_CONTEXT(&err, "certConf") == 0);
    CHECK(CMP_CONTEXT(&err, "PKIMessage") == 0);
    CHECK(err.num_frames == 3 && strcmp(err.frames[0], "CertStatus #0") == 0 &&
          strcmp(err.frames[2], "PKIMessage") == 0);
    CHECK(strcmp(err.msg, "CertStatus.certHash: 3 bytes") == 0);

    cmp_err_format(&err, buf, sizeof(buf));
    outer = strstr(buf, "PKIMessage");
    inner = strstr(buf, "CertStatus #0");
    cause = strstr(buf, "CertStatus.certHash: 3 bytes");
    CHECK(outer != NULL && inner != NULL && cause != NULL);
    CHECK(outer == buf + 3 && outer < inner && inner < cause); /* "in PKIMessage:" first */
    CHECK(strstr(buf, "certConf") > outer && strstr(buf, "certConf") < inner);
    CHECK(strchr(cause, '\n') == NULL); /* the cause is the last line */
    CHECK(strstr(buf, cmp_errcode_name(CMP_E_DECODE)) != NULL);

    for (i = 0; i < 10; i++) {
        CHECK(CMP_CONTEXT(&err, "frame %d", i) == 0);
    }
    CHECK(err.num_frames == CMP_ERR_FRAMES);
    CHECK(strcmp(err.frames[CMP_ERR_FRAMES - 1], "frame 2") == 0);

    /* A new failure replaces the old record, frames included. */
    CHECK(CMP_FAIL(&err, CMP_E_LIMIT, "too many") == 0);
    CHECK(err.num_frames == 0 && err.code == CMP_E_LIMIT);

    /* Offsets and positions are recorded once (innermost wins). */
    cmp_err_set_offset(&err, 12);
    cmp_err_set_offset(&err, 99);
    CHECK(err.has_offset && err.offset == 12);
    cmp_err_set_pos(&err, (const uint8_t *)buf + 1);
    cmp_err_set_pos(&err, (const uint8_t *)buf + 2);
    CHECK(err.pos == (const uint8_t *)buf + 1);
    cmp_err_set_offset(NULL, 1);
    cmp_err_set_pos(NULL, NULL);
    CHECK(strstr(cmp_err_format(&err, buf, sizeof(buf)), "(at byte offset 12)") != NULL);

    CHECK(CMP_FAIL_INFO(&err, CMP_FI_DUPLICATE_CERT_REQ, "again") == 0);
    CHECK(strstr(cmp_err_format(&err, buf, sizeof(buf)), "[duplicateCertReq]") != NULL);

    /* Long messages and frames are truncated, never overflowed. */
    memset(buf, 'x', 600);
    buf[600] = '\0';
    CHECK(CMP_FAIL(&err, CMP_E_DECODE, "%s", buf) == 0);
    CHECK(strlen(err.msg) == CMP_ERR_MSG_MAX - 1);
    CHECK(CMP_CONTEXT(&err, "%s", buf) == 0);
    CHECK(strlen(err.frames[0]) == CMP_ERR_FRAME_MAX - 1);

    /* Formatting into small buffers truncates and terminates. */
    CHECK(strlen(cmp_err_format(&err, small, sizeof(small))) == sizeof(small) - 1);
    small[0] = 'q';
    cmp_err_format(&err, small, 1);
    CHECK(small[0] == '\0');
    small[0] = 'q';
    cmp_err_format(&err, small, 0);
    CHECK(small[0] == 'q');

    CHECK(strcmp(cmp_failure_bit_name(0), "badAlg") == 0);
    CHECK(strcmp(cmp_failure_bit_name(CMP_FI_BAD_POP), "badPOP") == 0);
    CHECK(strcmp(cmp_failure_bit_name(26), "duplicateCertReq") == 0);
    CHECK(cmp_failure_bit_name(27) == NULL);
    CHECK(cmp_failure_bit_name(-1) == NULL);
    for (i = 0; i <= CMP_FI_MAX; i++) {
        CHECK_CASE("every failure bit has a name", cmp_failure_bit_name(i) != NULL);
    }
    CHECK(strcmp(cmp_errcode_name(CMP_E_NONE), "no error") == 0);
    CHECK(cmp_errcode_name(9999) != NULL && cmp_errcode_name(-5) != NULL);
    for (i = CMP_E_NONE; i <= CMP_E_UNSUPPORTED; i++) {
        CHECK_CASE("every code has a name", strcmp(cmp_errcode_name(i), "error") != 0);
    }
}

int
main(void)
{
    test_headers();
    test_get_semantics();
    test_integers();
    test_bool_bits_null();
    test_oids();
    test_times();
    test_civil();
    test_walk();
    test_open_close();
    test_close_order();
    test_writer_failures();
    test_put_values();
    test_tag_writing();
    test_sweeps();
    test_err();
    return check_finish();
}
