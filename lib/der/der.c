/* Strict DER reader and writer (see der.h). libc only. */
#include <stdlib.h>
#include <string.h>

#include "der.h"

/* ---- reader ---- */

int
der_parse_header(const struct der_in *in, uint32_t *out_tag, size_t *out_hdr_len,
                 size_t *out_body_len)
{
    const uint8_t *p = in->p;
    size_t n = in->len, pos = 0, len;
    uint32_t tag, number;
    uint8_t b;

    if (n < 2) {
        return 0;
    }
    b = p[pos++];
    tag = ((uint32_t)(b & 0xE0u)) << 24;
    number = b & 0x1Fu;
    if (number == 0x1F) {
        /* High tag form: base-128, minimal, and only for numbers >= 31. */
        number = 0;
        for (;;) {
            if (pos >= n) {
                return 0;
            }
            b = p[pos++];
            if (number == 0 && b == 0x80) {
                return 0; /* leading zero septet */
            }
            if (number > (DER_TAG_NUMBER_MASK >> 7)) {
                return 0;
            }
            number = (number << 7) | (b & 0x7Fu);
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (number < 31) {
            return 0;
        }
    }
    tag |= number;
    if (pos >= n) {
        return 0;
    }
    b = p[pos++];
    if (b < 0x80) {
        len = b;
    } else if (b == 0x80) {
        return 0; /* indefinite length is BER, not DER */
    } else {
        size_t num = b & 0x7Fu, i;
        if (num > 4 || num > n - pos) {
            return 0;
        }
        if (p[pos] == 0) {
            return 0; /* leading zero octet: not minimal */
        }
        len = 0;
        for (i = 0; i < num; i++) {
            len = (len << 8) | p[pos++];
        }
        if (len < 0x80) {
            return 0; /* long form for a short length */
        }
    }
    if (len > DER_MAX_LEN || len > n - pos) {
        return 0;
    }
    /* Universal tag 0 is reserved; a primitive SEQUENCE/SET is invalid. */
    if ((tag & DER_CLASS_MASK) == DER_CLASS_UNIVERSAL) {
        if (number == 0) {
            return 0;
        }
        if ((number == 0x10 || number == 0x11) && (tag & DER_CONSTRUCTED) == 0) {
            return 0;
        }
    }
    *out_tag = tag;
    *out_hdr_len = pos;
    *out_body_len = len;
    return 1;
}

void
der_skip(struct der_in *in, size_t n)
{
    if (n > in->len) {
        n = in->len;
    }
    in->p += n;
    in->len -= n;
}

int
der_get_any(struct der_in *in, uint32_t *out_tag, struct der_in *out_body,
            struct der_in *out_whole)
{
    uint32_t tag;
    size_t hdr, body;

    if (!der_parse_header(in, &tag, &hdr, &body)) {
        return 0;
    }
    {
        struct der_in b = der_in_make(in->p + hdr, body);
        struct der_in w = der_in_make(in->p, hdr + body);
        der_skip(in, hdr + body);
        if (out_tag != NULL) {
            *out_tag = tag;
        }
        if (out_body != NULL) {
            *out_body = b;
        }
        if (out_whole != NULL) {
            *out_whole = w;
        }
    }
    return 1;
}

/* |out| may be |in| itself: descend into an element's contents. */
int
der_get(struct der_in *in, uint32_t tag, struct der_in *out_body)
{
    struct der_in copy = *in, body;
    uint32_t got;

    if (!der_get_any(&copy, &got, &body, NULL) || got != tag) {
        return 0;
    }
    *in = copy;
    *out_body = body;
    return 1;
}

int
der_get_tlv(struct der_in *in, uint32_t tag, struct der_in *out_whole)
{
    struct der_in copy = *in, whole;
    uint32_t got;

    if (!der_get_any(&copy, &got, NULL, &whole) || got != tag) {
        return 0;
    }
    *in = copy;
    *out_whole = whole;
    return 1;
}

int
der_peek_tag(const struct der_in *in, uint32_t *out_tag)
{
    size_t hdr, body;
    return der_parse_header(in, out_tag, &hdr, &body);
}

int
der_peek(const struct der_in *in, uint32_t tag)
{
    uint32_t got;
    return der_peek_tag(in, &got) && got == tag;
}

static int
get_opt(struct der_in *in, uint32_t tag, struct der_in *out, int *out_present, int whole)
{
    uint32_t got;

    *out_present = 0;
    if (out != NULL) {
        *out = DER_IN_EMPTY;
    }
    if (in->len == 0) {
        return 1;
    }
    if (!der_peek_tag(in, &got)) {
        return 0;
    }
    if (got != tag) {
        return 1;
    }
    *out_present = 1;
    return whole ? der_get_tlv(in, tag, out) : der_get(in, tag, out);
}

int
der_get_opt(struct der_in *in, uint32_t tag, struct der_in *out_body, int *out_present)
{
    return get_opt(in, tag, out_body, out_present, 0);
}

int
der_get_opt_tlv(struct der_in *in, uint32_t tag, struct der_in *out_whole, int *out_present)
{
    return get_opt(in, tag, out_whole, out_present, 1);
}

int
der_check_integer(const struct der_in *body)
{
    if (body->len == 0) {
        return 0;
    }
    if (body->len > 1) {
        /* Minimal two's complement: the first 9 bits are not all equal. */
        if (body->p[0] == 0x00 && (body->p[1] & 0x80) == 0) {
            return 0;
        }
        if (body->p[0] == 0xFF && (body->p[1] & 0x80) != 0) {
            return 0;
        }
    }
    return 1;
}

int
der_parse_int64(const struct der_in *body, int64_t *out)
{
    uint64_t v;
    size_t i;

    if (!der_check_integer(body) || body->len > 8) {
        return 0;
    }
    v = (body->p[0] & 0x80) ? UINT64_MAX : 0;
    for (i = 0; i < body->len; i++) {
        v = (v << 8) | body->p[i];
    }
    *out = (int64_t)v;
    return 1;
}

int
der_get_int64_tag(struct der_in *in, uint32_t tag, int64_t *out)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, tag, &body) || !der_parse_int64(&body, out)) {
        return 0;
    }
    *in = copy;
    return 1;
}

int
der_get_int64(struct der_in *in, int64_t *out)
{
    return der_get_int64_tag(in, DER_INTEGER, out);
}

int
der_get_integer(struct der_in *in, uint32_t tag, struct der_in *out_body)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, tag, &body) || !der_check_integer(&body)) {
        return 0;
    }
    *out_body = body;
    *in = copy;
    return 1;
}

int
der_get_bool(struct der_in *in, uint32_t tag, int *out)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, tag, &body) || body.len != 1) {
        return 0;
    }
    if (body.p[0] == 0x00) {
        *out = 0;
    } else if (body.p[0] == 0xFF) {
        *out = 1;
    } else {
        return 0;
    }
    *in = copy;
    return 1;
}

int
der_check_bitstring(const struct der_in *body)
{
    unsigned unused;

    if (body->len == 0) {
        return 0;
    }
    unused = body->p[0];
    if (unused > 7) {
        return 0;
    }
    if (body->len == 1) {
        return unused == 0;
    }
    /* DER: the padding bits are zero. */
    return (body->p[body->len - 1] & ((1u << unused) - 1)) == 0;
}

int
der_get_bitstring(struct der_in *in, uint32_t tag, struct der_in *out_bits, unsigned *out_unused)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, tag, &body) || !der_check_bitstring(&body)) {
        return 0;
    }
    *out_unused = body.p[0];
    out_bits->p = body.p + 1;
    out_bits->len = body.len - 1;
    *in = copy;
    return 1;
}

int
der_get_named_bits(struct der_in *in, uint32_t tag, uint64_t *out)
{
    struct der_in copy = *in, bits;
    unsigned unused;
    uint64_t v = 0;
    size_t i;
    int b;

    if (!der_get_bitstring(&copy, tag, &bits, &unused)) {
        return 0;
    }
    if (bits.len > 8) {
        return 0;
    }
    /* X.690 11.2.2: a named-bit list has no trailing zero bits. */
    if (bits.len > 0 && (bits.p[bits.len - 1] & (1u << unused)) == 0) {
        return 0;
    }
    for (i = 0; i < bits.len; i++) {
        for (b = 0; b < 8; b++) {
            if (bits.p[i] & (0x80u >> b)) {
                v |= (uint64_t)1 << (i * 8 + (size_t)b);
            }
        }
    }
    *out = v;
    *in = copy;
    return 1;
}

int
der_check_oid(const struct der_in *body)
{
    size_t i;
    int start = 1;

    if (body->len == 0 || (body->p[body->len - 1] & 0x80) != 0) {
        return 0;
    }
    for (i = 0; i < body->len; i++) {
        if (start && body->p[i] == 0x80) {
            return 0; /* non-minimal arc */
        }
        start = (body->p[i] & 0x80) == 0;
    }
    return 1;
}

int
der_get_oid(struct der_in *in, struct der_in *out_body)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, DER_OID, &body) || !der_check_oid(&body)) {
        return 0;
    }
    *out_body = body;
    *in = copy;
    return 1;
}

int
der_get_null(struct der_in *in)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, DER_NULL, &body) || body.len != 0) {
        return 0;
    }
    *in = copy;
    return 1;
}

static int
walk(struct der_in in, int depth_left)
{
    while (in.len > 0) {
        uint32_t tag;
        struct der_in body;

        if (!der_get_any(&in, &tag, &body, NULL)) {
            return 0;
        }
        if (tag & DER_CONSTRUCTED) {
            if (depth_left <= 0 || !walk(body, depth_left - 1)) {
                return 0;
            }
        }
    }
    return 1;
}

int
der_walk(const struct der_in *in, int max_depth)
{
    struct der_in copy = *in, whole;

    if (max_depth > DER_MAX_DEPTH) {
        max_depth = DER_MAX_DEPTH;
    }
    if (!der_get_any(&copy, NULL, NULL, &whole) || !der_done(&copy)) {
        return 0;
    }
    return walk(whole, max_depth);
}

int
der_in_eq(const struct der_in *a, const struct der_in *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

int
der_oid_eq(const struct der_in *oid, const uint8_t *c, size_t len)
{
    return oid->len == len && (len == 0 || memcmp(oid->p, c, len) == 0);
}

/* ---- writer ---- */

/* The marks in out->open are only read below num_open: they need no zeroing. */
void
der_out_init(struct der_out *out, size_t max)
{
    out->buf = NULL;
    out->len = 0;
    out->cap = 0;
    out->max = max;
    out->failed = 0;
    out->num_open = 0;
}

void
der_out_cleanup(struct der_out *out)
{
    free(out->buf);
    der_out_init(out, 0);
}

static int
reserve(struct der_out *out, size_t extra)
{
    size_t need, cap;
    uint8_t *nb;

    if (out->failed) {
        return 0;
    }
    if (extra > out->max - out->len) {
        out->failed = 1;
        return 0;
    }
    need = out->len + extra;
    if (need <= out->cap) {
        return 1;
    }
    cap = out->cap < 256 ? 256 : out->cap;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    if (cap > out->max) {
        cap = out->max;
    }
    nb = realloc(out->buf, cap);
    if (nb == NULL) {
        out->failed = 1;
        return 0;
    }
    out->buf = nb;
    out->cap = cap;
    return 1;
}

int
der_put_raw(struct der_out *out, const uint8_t *p, size_t len)
{
    if (!reserve(out, len)) {
        return 0;
    }
    if (len > 0) {
        memcpy(out->buf + out->len, p, len);
    }
    out->len += len;
    return 1;
}

int
der_put_in(struct der_out *out, const struct der_in *in)
{
    return der_put_raw(out, in->p, in->len);
}

static size_t
tag_bytes(uint32_t tag, uint8_t buf[5])
{
    uint32_t number = tag & DER_TAG_NUMBER_MASK;
    uint8_t first = (uint8_t)((tag >> 24) & 0xE0u);
    size_t n = 0, i;
    uint8_t tmp[4];
    size_t t = 0;

    if (number < 31) {
        buf[0] = (uint8_t)(first | number);
        return 1;
    }
    buf[n++] = (uint8_t)(first | 0x1Fu);
    while (number > 0) {
        tmp[t++] = (uint8_t)(number & 0x7Fu);
        number >>= 7;
    }
    for (i = t; i > 0; i--) {
        buf[n++] = (uint8_t)(tmp[i - 1] | (i > 1 ? 0x80u : 0));
    }
    return n;
}

static size_t
len_bytes(size_t len, uint8_t buf[5])
{
    size_t n = 0, i;

    if (len < 0x80) {
        buf[0] = (uint8_t)len;
        return 1;
    }
    for (i = len; i > 0; i >>= 8) {
        n++;
    }
    buf[0] = (uint8_t)(0x80u | n);
    for (i = 0; i < n; i++) {
        buf[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    }
    return n + 1;
}

int
der_open(struct der_out *out, uint32_t tag, size_t *mark)
{
    uint8_t hdr[6];
    size_t n = tag_bytes(tag, hdr);

    if (out->num_open >= DER_OUT_MAX_DEPTH) {
        out->failed = 1;
        return 0;
    }
    hdr[n] = 0; /* the length placeholder, patched by der_close() */
    if (!der_put_raw(out, hdr, n + 1)) {
        return 0;
    }
    *mark = out->len - 1;
    out->open[out->num_open++] = *mark;
    return 1;
}

int
der_close(struct der_out *out, size_t mark)
{
    size_t body, n;
    uint8_t lb[5];

    if (out->failed) {
        return 0;
    }
    /* Only the innermost open element may be closed (see der.h). */
    if (out->num_open <= 0 || out->open[out->num_open - 1] != mark) {
        out->failed = 1;
        return 0;
    }
    out->num_open--;
    body = out->len - mark - 1;
    if (body > DER_MAX_LEN) {
        out->failed = 1;
        return 0;
    }
    n = len_bytes(body, lb);
    if (n > 1) {
        if (!reserve(out, n - 1)) {
            return 0;
        }
        memmove(out->buf + mark + n, out->buf + mark + 1, body);
        out->len += n - 1;
    }
    memcpy(out->buf + mark, lb, n);
    return 1;
}

int
der_put_prim(struct der_out *out, uint32_t tag, const uint8_t *p, size_t len)
{
    uint8_t hb[10];
    size_t n = tag_bytes(tag, hb);

    if (len > DER_MAX_LEN) {
        out->failed = 1;
        return 0;
    }
    n += len_bytes(len, hb + n);
    return der_put_raw(out, hb, n) && der_put_raw(out, p, len);
}

int
der_put_octets(struct der_out *out, const uint8_t *p, size_t len)
{
    return der_put_prim(out, DER_OCTET_STRING, p, len);
}

int
der_put_int64_tag(struct der_out *out, uint32_t tag, int64_t v)
{
    uint8_t b[8];
    size_t n = 8, start = 0;
    uint64_t u = (uint64_t)v;
    size_t i;

    for (i = 0; i < 8; i++) {
        b[7 - i] = (uint8_t)(u >> (8 * i));
    }
    while (n - start > 1 && ((b[start] == 0x00 && (b[start + 1] & 0x80) == 0) ||
                             (b[start] == 0xFF && (b[start + 1] & 0x80) != 0))) {
        start++;
    }
    return der_put_prim(out, tag, b + start, n - start);
}

int
der_put_int64(struct der_out *out, int64_t v)
{
    return der_put_int64_tag(out, DER_INTEGER, v);
}

int
der_put_bool(struct der_out *out, uint32_t tag, int v)
{
    uint8_t b = v ? 0xFF : 0x00;
    return der_put_prim(out, tag, &b, 1);
}

int
der_put_bitstring(struct der_out *out, uint32_t tag, const uint8_t *bits, size_t len,
                  unsigned unused)
{
    size_t mark;
    uint8_t u = (uint8_t)unused;

    /* Same rules as der_check_bitstring(): the padding bits are zero in DER. */
    if (unused > 7 || (len == 0 && unused != 0) ||
        (len > 0 && (bits[len - 1] & ((1u << unused) - 1)) != 0)) {
        out->failed = 1;
        return 0;
    }
    return der_open(out, tag, &mark) && der_put_raw(out, &u, 1) && der_put_raw(out, bits, len) &&
           der_close(out, mark);
}

int
der_put_named_bits(struct der_out *out, uint32_t tag, uint64_t bits)
{
    uint8_t b[8];
    size_t n = 0, i;
    unsigned unused = 0;
    int highest = -1, bit;

    memset(b, 0, sizeof(b));
    for (bit = 0; bit < 64; bit++) {
        if (bits & ((uint64_t)1 << bit)) {
            b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
            highest = bit;
        }
    }
    if (highest >= 0) {
        n = (size_t)highest / 8 + 1;
        unused = 7 - (unsigned)(highest % 8);
    }
    for (i = n; i < sizeof(b); i++) {
        b[i] = 0;
    }
    return der_put_bitstring(out, tag, b, n, unused);
}

int
der_put_null(struct der_out *out)
{
    return der_put_prim(out, DER_NULL, NULL, 0);
}

int
der_out_finish(struct der_out *out, uint8_t **out_buf, size_t *out_len)
{
    uint8_t *buf = out->buf;

    *out_buf = NULL;
    *out_len = 0;
    if (!out->failed && out->num_open == 0 && buf == NULL) {
        /* An empty result is still a valid, freeable buffer. */
        buf = malloc(1);
        if (buf == NULL) {
            out->failed = 1;
        }
    }
    if (out->failed || out->num_open != 0) {
        /* Drop the partial output but stay failed: errors are sticky. */
        free(out->buf);
        out->buf = NULL;
        out->len = out->cap = 0;
        out->failed = 1;
        return 0;
    }
    *out_buf = buf;
    *out_len = out->len;
    der_out_init(out, out->max);
    return 1;
}
