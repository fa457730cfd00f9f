/* Generic DER re-encoding for the unit tests and fuzzers (see der_rebuild.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der_rebuild.h"

int
der_rebuild_tree(struct der_out *out, const struct der_in *in, int max_depth)
{
    struct der_in rest = *in;

    while (!der_done(&rest)) {
        uint32_t tag;
        struct der_in body;
        size_t mark;

        if (!der_get_any(&rest, &tag, &body, NULL)) {
            return 0;
        }
        if ((tag & DER_CONSTRUCTED) == 0) {
            if (!der_put_prim(out, tag, body.p, body.len)) {
                return 0;
            }
            continue;
        }
        if (max_depth <= 0 || !der_open(out, tag, &mark) ||
            !der_rebuild_tree(out, &body, max_depth - 1) || !der_close(out, mark)) {
            return 0;
        }
    }
    return 1;
}

int
der_rebuild(const struct der_in *in, uint8_t **out_buf, size_t *out_len)
{
    struct der_out out;

    /* Room for the input plus a little, so a writer bug shows as a mismatch. */
    der_out_init(&out, in->len + 64);
    if (!der_rebuild_tree(&out, in, DER_MAX_DEPTH)) {
        der_out_cleanup(&out);
        return 0;
    }
    return der_out_finish(&out, out_buf, out_len);
}

/* finish_same() is 1 if |out| finishes successfully holding exactly |want|. */
static int
finish_same(struct der_out *out, const uint8_t *want, size_t want_len)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int same;

    if (!der_out_finish(out, &buf, &len)) {
        return 0;
    }
    same = len == want_len && (len == 0 || memcmp(buf, want, len) == 0);
    free(buf);
    return same;
}

static int
integer_same(uint32_t tag, const struct der_in *body, const struct der_in *whole)
{
    struct der_out out;
    int64_t v;
    int minimal = der_check_integer(body), fits = der_parse_int64(body, &v);

    if (fits != (minimal && body->len <= 8)) {
        return 0;
    }
    if (!fits) {
        return 1;
    }
    der_out_init(&out, 64);
    if (!der_put_int64_tag(&out, tag, v)) {
        der_out_cleanup(&out);
        return 0;
    }
    return finish_same(&out, whole->p, whole->len);
}

static int
bool_same(const struct der_in *body, const struct der_in *whole)
{
    struct der_in copy = *whole;
    struct der_out out;
    int v, ok = der_get_bool(&copy, DER_BOOLEAN, &v);

    if (ok != (body->len == 1 && (body->p[0] == 0x00 || body->p[0] == 0xFF))) {
        return 0;
    }
    if (!ok) {
        return 1;
    }
    der_out_init(&out, 64);
    if (!der_put_bool(&out, DER_BOOLEAN, v)) {
        der_out_cleanup(&out);
        return 0;
    }
    return finish_same(&out, whole->p, whole->len);
}

static int
bitstring_same(const struct der_in *body, const struct der_in *whole)
{
    struct der_in copy = *whole, bits;
    struct der_out out;
    unsigned unused;
    uint64_t mask;

    if (der_get_bitstring(&copy, DER_BIT_STRING, &bits, &unused) != der_check_bitstring(body)) {
        return 0;
    }
    if (!der_check_bitstring(body)) {
        return 1;
    }
    der_out_init(&out, whole->len + 16);
    if (!der_put_bitstring(&out, DER_BIT_STRING, bits.p, bits.len, unused) ||
        !finish_same(&out, whole->p, whole->len)) {
        der_out_cleanup(&out);
        return 0;
    }
    copy = *whole;
    if (!der_get_named_bits(&copy, DER_BIT_STRING, &mask)) {
        return 1; /* trailing zero bits or more than 64: not a named-bit list */
    }
    der_out_init(&out, 64);
    if (!der_put_named_bits(&out, DER_BIT_STRING, mask)) {
        der_out_cleanup(&out);
        return 0;
    }
    return finish_same(&out, whole->p, whole->len);
}

static int
null_same(const struct der_in *body, const struct der_in *whole)
{
    struct der_in copy = *whole;
    struct der_out out;

    if (der_get_null(&copy) != (body->len == 0)) {
        return 0;
    }
    if (body->len != 0) {
        return 1;
    }
    der_out_init(&out, 64);
    if (!der_put_null(&out)) {
        der_out_cleanup(&out);
        return 0;
    }
    return finish_same(&out, whole->p, whole->len);
}

static int
oid_same(const struct der_in *body, const struct der_in *whole)
{
    struct der_in copy = *whole, got;
    /* Each contents byte adds at most 4 characters (".127"). */
    size_t text_len = 4 * body->len + 32, bin_len = 0;
    char *text;
    uint8_t *bin;
    int ok;

    if (der_get_oid(&copy, &got) != der_check_oid(body)) {
        return 0;
    }
    if (!der_check_oid(body)) {
        return 1;
    }
    text = malloc(text_len);
    bin = malloc(body->len);
    if (text == NULL || bin == NULL) {
        free(text);
        free(bin);
        return 1; /* out of memory is not a codec bug */
    }
    if (!der_oid_to_text(body, text, text_len)) {
        ok = 1; /* an arc above 2^64 has no text form here */
    } else {
        ok = der_oid_from_text(text, bin, body->len, &bin_len) && bin_len == body->len &&
             memcmp(bin, body->p, bin_len) == 0;
    }
    free(text);
    free(bin);
    return ok;
}

static int
time_same(uint32_t tag, const struct der_in *body)
{
    int64_t secs, year;
    int mo, d, h, mi, s, n;
    char text[32];
    struct der_out out;
    uint8_t *buf = NULL;
    size_t len = 0;

    if (!der_parse_time(body, tag, &secs)) {
        return 1;
    }
    der_time_to_civil(secs, &year, &mo, &d, &h, &mi, &s);
    if (tag == DER_UTC_TIME) {
        if (year < 1950 || year > 2049) {
            return 0;
        }
        n = snprintf(text, sizeof(text), "%02d%02d%02d%02d%02d%02dZ", (int)(year % 100), mo, d, h,
                     mi, s);
        return n == 13 && memcmp(text, body->p, 13) == 0;
    }
    /* GeneralizedTime: the writer omits the fraction, which the reader drops. */
    der_out_init(&out, 64);
    if (!der_put_gentime(&out, secs) || !der_out_finish(&out, &buf, &len)) {
        der_out_cleanup(&out);
        return 0;
    }
    n = len == 17 && buf[0] == DER_GENERALIZED_TIME && buf[1] == 15 &&
        memcmp(buf + 2, body->p, 14) == 0 && body->p[body->len - 1] == 'Z';
    free(buf);
    return n;
}

int
der_rebuild_values(const struct der_in *in, int max_depth)
{
    struct der_in rest = *in;

    while (!der_done(&rest)) {
        uint32_t tag;
        struct der_in body, whole;
        int ok;

        if (!der_get_any(&rest, &tag, &body, &whole)) {
            return 0;
        }
        if (tag & DER_CONSTRUCTED) {
            if (max_depth <= 0 || !der_rebuild_values(&body, max_depth - 1)) {
                return 0;
            }
            continue;
        }
        switch (tag) {
        case DER_INTEGER:
        case DER_ENUMERATED:
            ok = integer_same(tag, &body, &whole);
            break;
        case DER_BOOLEAN:
            ok = bool_same(&body, &whole);
            break;
        case DER_BIT_STRING:
            ok = bitstring_same(&body, &whole);
            break;
        case DER_NULL:
            ok = null_same(&body, &whole);
            break;
        case DER_OID:
            ok = oid_same(&body, &whole);
            break;
        case DER_UTC_TIME:
        case DER_GENERALIZED_TIME:
            ok = time_same(tag, &body);
            break;
        default:
            ok = 1; /* contents this layer does not interpret */
            break;
        }
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* ---- mutations ---- */

struct mutation {
    enum der_mutation kind;
    size_t target;
    uint32_t new_tag;
    size_t next; /* walk index of the next element */
    int applied;
};

/* count_tree() counts the elements in |in| at all depths; 0 on bad framing. */
static int
count_tree(const struct der_in *in, int max_depth, size_t *num)
{
    struct der_in rest = *in;

    while (!der_done(&rest)) {
        uint32_t tag;
        struct der_in body;

        if (!der_get_any(&rest, &tag, &body, NULL)) {
            return 0;
        }
        (*num)++;
        if ((tag & DER_CONSTRUCTED) != 0 &&
            (max_depth <= 0 || !count_tree(&body, max_depth - 1, num))) {
            return 0;
        }
    }
    return 1;
}

int
der_rebuild_count(const struct der_in *in, size_t *out_num)
{
    size_t num = 0;

    if (!count_tree(in, DER_MAX_DEPTH, &num)) {
        return 0;
    }
    *out_num = num;
    return 1;
}

/* find_tree() walks |in| until element |*left| (counting down) is reached. */
static int
find_tree(const struct der_in *in, int max_depth, size_t *left, uint32_t *out_tag,
          struct der_in *out_whole)
{
    struct der_in rest = *in;

    while (!der_done(&rest)) {
        uint32_t tag;
        struct der_in body, whole;

        if (!der_get_any(&rest, &tag, &body, &whole)) {
            return 0;
        }
        if (*left == 0) {
            *out_tag = tag;
            *out_whole = whole;
            return 1;
        }
        (*left)--;
        if ((tag & DER_CONSTRUCTED) != 0 && max_depth > 0 &&
            find_tree(&body, max_depth - 1, left, out_tag, out_whole)) {
            return 1;
        }
    }
    return 0;
}

int
der_rebuild_element(const struct der_in *in, size_t index, uint32_t *out_tag,
                    struct der_in *out_whole)
{
    size_t left = index;

    return find_tree(in, DER_MAX_DEPTH, &left, out_tag, out_whole);
}

static int
mutate_tree(struct der_out *out, const struct der_in *in, int max_depth, struct mutation *m)
{
    struct der_in rest = *in;

    while (!der_done(&rest)) {
        uint32_t tag;
        struct der_in body;
        size_t mark, index = m->next++;
        int is_target = index == m->target;

        if (!der_get_any(&rest, &tag, &body, NULL)) {
            return 0;
        }
        if (is_target && m->kind == DER_MUT_RETAG) {
            /* The contents stay as they are; their elements keep their numbers. */
            if ((tag & DER_CONSTRUCTED) != 0 &&
                (max_depth <= 0 || !count_tree(&body, max_depth - 1, &m->next))) {
                return 0;
            }
            if (!der_put_prim(out, m->new_tag, body.p, body.len)) {
                return 0;
            }
            m->applied = 1;
            continue;
        }
        if ((tag & DER_CONSTRUCTED) == 0) {
            if (!der_put_prim(out, tag, body.p, body.len)) {
                return 0;
            }
            continue;
        }
        if (max_depth <= 0 || !der_open(out, tag, &mark) ||
            !mutate_tree(out, &body, max_depth - 1, m)) {
            return 0;
        }
        if (is_target && m->kind == DER_MUT_EXTRA) {
            uint8_t zero = 0;

            if (!der_put_raw(out, &zero, 1)) {
                return 0;
            }
            m->applied = 1;
        } else if (is_target && m->kind == DER_MUT_SHORTEN && body.len > 0) {
            out->len--; /* the writer holds at least this element's last byte */
            m->applied = 1;
        }
        if (!der_close(out, mark)) {
            return 0;
        }
    }
    return 1;
}

int
der_rebuild_mutate(const struct der_in *in, enum der_mutation kind, size_t target, uint32_t new_tag,
                   uint8_t **out_buf, size_t *out_len, int *out_applied)
{
    struct der_out out;
    struct mutation m;

    memset(&m, 0, sizeof(m));
    m.kind = kind;
    m.target = target;
    m.new_tag = new_tag;
    /* Room for the input, the extra byte and longer length fields. */
    der_out_init(&out, in->len + 64);
    if (!mutate_tree(&out, in, DER_MAX_DEPTH, &m) || !der_out_finish(&out, out_buf, out_len)) {
        der_out_cleanup(&out);
        return 0;
    }
    *out_applied = m.applied;
    return 1;
}
