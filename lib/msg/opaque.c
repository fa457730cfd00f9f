/*
 * The bodies kept whole: popdecc [5], popdecr [6], krp [10], ckuann [15],
 * cann [16], rann [17], crlann [18]. Their content is one element whose
 * framing is checked (der_walk) and which is re-encoded verbatim; the
 * printer shows its size. A body type that gets its own codec leaves this
 * file for its own.
 */
#include "msg/internal.h"

int
cmp_opaque_decode(struct der_in *in, struct der_in *out, struct cmp_err *err)
{
    struct der_in copy = *in, whole;

    if (!der_get_any(&copy, NULL, NULL, &whole) || !der_walk(&whole, DER_MAX_DEPTH)) {
        return CMP_DECODE_FAIL(err, in, "PKIBody content");
    }
    *out = whole;
    *in = copy;
    return 1;
}

static int
opaque_body_decode(struct der_in *in, void *content, int depth, struct cmp_err *err)
{
    return cmp_opaque_decode(in, content, err);
}

static int
opaque_body_encode(struct der_out *out, const void *content)
{
    return der_put_in(out, content);
}

static void
opaque_body_print(struct cmp_printer *pr, int level, const char *name, const void *content,
                  int depth)
{
    const struct der_in *whole = content;

    cmp_pline(pr, level, "body: %s (%zu bytes, not decoded)", name, whole->len);
}

const struct cmp_body_codec cmp_opaque_body = {
    "ANY (kept whole)", sizeof(struct der_in), opaque_body_decode, opaque_body_encode, NULL,
    opaque_body_print};
