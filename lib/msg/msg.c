/* PKIMessage and PKIBody, RFC 9810 5.1 (ASN.1 in msg.h). */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static void arena_free(struct cmp_arena_block *b);

/* ---- PKIBody: [n] EXPLICIT around the content of body type n (body.c) ---- */

int
cmp_body_decode(struct der_in *in, struct cmp_body *out, int depth, struct cmp_err *err)
{
    const struct cmp_body_desc *d;
    struct der_in at = *in, c, whole;
    uint32_t tag;
    int ok;

    if (!der_get_any(in, &tag, &c, &whole)) {
        return CMP_DECODE_FAIL(err, &at, "PKIBody");
    }
    d = cmp_body_desc((int)(tag & DER_TAG_NUMBER_MASK));
    if ((tag & ~DER_TAG_NUMBER_MASK) != (DER_CLASS_CONTEXT | DER_CONSTRUCTED) || d == NULL) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "PKIBody (unknown body type)");
    }
    out->type = (int)(tag & DER_TAG_NUMBER_MASK);
    out->raw = whole;
    ok = d->codec->decode(&c, &out->u, depth, err);
    if (ok && !der_done(&c)) {
        ok = CMP_DECODE_FAIL(err, &c, "PKIBody (trailing data)");
    }
    if (!ok) {
        *in = at;
        return CMP_CONTEXT(err, "PKIBody %s", d->name);
    }
    return 1;
}

int
cmp_body_encode(struct der_out *out, const struct cmp_body *b)
{
    const struct cmp_body_desc *d = cmp_body_desc(b->type);
    size_t t;

    if (d == NULL) {
        out->failed = 1;
        return 0;
    }
    return der_open(out, DER_EXPLICIT(b->type), &t) && d->codec->encode(out, &b->u) &&
           der_close(out, t);
}

void
cmp_body_cleanup(struct cmp_body *b)
{
    const struct cmp_body_desc *d = cmp_body_desc(b->type);

    if (d != NULL && d->codec->cleanup != NULL) {
        d->codec->cleanup(&b->u);
    }
    memset(b, 0, sizeof(*b));
}

/* ---- PKIMessage ---- */

int
cmp_msg_decode_in(struct der_in *in, struct cmp_msg *out, int depth, struct cmp_err *err)
{
    struct der_in at = *in, c, field, w;
    int has;

    if (!der_get_tlv(in, DER_SEQUENCE, &out->raw)) {
        return CMP_DECODE_FAIL(err, &at, "PKIMessage");
    }
    c = out->raw;
    if (!der_get(&c, DER_SEQUENCE, &c)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "PKIMessage");
    }
    if (!cmp_header_decode(&c, &out->hdr, err)) {
        *in = at;
        return 0;
    }
    if (!cmp_body_decode(&c, &out->body, depth, err)) {
        *in = at;
        return 0;
    }
    field = c;
    if (!der_get_opt(&c, DER_EXPLICIT(0), &w, &out->has_protection)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &field, "PKIMessage.protection");
    }
    if (out->has_protection &&
        (!der_get_bitstring(&w, DER_BIT_STRING, &out->protection, &out->protection_unused) ||
         !der_done(&w))) {
        *in = at;
        return CMP_DECODE_FAIL(err, &field, "PKIMessage.protection");
    }
    field = c;
    if (!der_get_opt(&c, DER_EXPLICIT(1), &w, &has)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &field, "PKIMessage.extraCerts");
    }
    if (has && der_peek(&w, DER_SEQUENCE) && w.len == 2) {
        /*
         * RFC 9810 says SIZE (1..MAX), but OpenSSL has sent an empty
         * extraCerts (A1 02 30 00; see its CMP unit-test messages). Accept it
         * for interop and keep it, so that the message re-encodes as received.
         */
        der_skip(&w, 2);
        out->has_extra_certs = 1;
    } else if (has) {
        if (!cmp_certs_decode(&w, DER_SEQUENCE, &out->extra_certs, err)) {
            *in = at;
            return CMP_CONTEXT(err, "PKIMessage.extraCerts");
        }
        out->has_extra_certs = 1;
        if (!der_done(&w)) {
            *in = at;
            return CMP_DECODE_FAIL(err, &w, "PKIMessage.extraCerts");
        }
    }
    if (!der_done(&c)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &c, "PKIMessage (unexpected field)");
    }
    return 1;
}

/* extraCerts [1]: an empty list is the OpenSSL form that decoding keeps (see above). */
static int
extra_certs_encode(struct der_out *out, const struct cmp_certs *certs)
{
    size_t t, seq;

    if (certs->num == 0) {
        return der_open(out, DER_EXPLICIT(1), &t) && der_open(out, DER_SEQUENCE, &seq) &&
               der_close(out, seq) && der_close(out, t);
    }
    return der_open(out, DER_EXPLICIT(1), &t) && cmp_certs_encode(out, DER_SEQUENCE, certs) &&
           der_close(out, t);
}

int
cmp_msg_encode_out(struct der_out *out, const struct cmp_msg *m)
{
    size_t seq, t;

    return der_open(out, DER_SEQUENCE, &seq) && cmp_header_encode(out, &m->hdr) &&
           cmp_body_encode(out, &m->body) &&
           (!m->has_protection || (der_open(out, DER_EXPLICIT(0), &t) &&
                                   der_put_bitstring(out, DER_BIT_STRING, m->protection.p,
                                                     m->protection.len, m->protection_unused) &&
                                   der_close(out, t))) &&
           (!m->has_extra_certs || extra_certs_encode(out, &m->extra_certs)) && der_close(out, seq);
}

void
cmp_msg_cleanup(struct cmp_msg *m)
{
    cmp_header_cleanup(&m->hdr);
    cmp_body_cleanup(&m->body);
    cmp_certs_cleanup(&m->extra_certs);
    free(m->raw_buf);
    arena_free(m->arena);
    memset(m, 0, sizeof(*m));
}

int
cmp_protected_part_encode(struct der_out *out, const struct cmp_msg *m, int as_received)
{
    size_t seq;

    if (as_received && (m->hdr.raw.len == 0 || m->body.raw.len == 0)) {
        out->failed = 1;
        return 0;
    }
    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    if (as_received) {
        /* RFC 9810 5.1.3: protection covers the header and body as sent. */
        return der_put_in(out, &m->hdr.raw) && der_put_in(out, &m->body.raw) && der_close(out, seq);
    }
    return cmp_header_encode(out, &m->hdr) && cmp_body_encode(out, &m->body) && der_close(out, seq);
}

/* ---- the arena of a message being built ---- */

struct cmp_arena_block {
    struct cmp_arena_block *next;
    size_t len;
    uint8_t data[];
};

uint8_t *
cmp_msg_alloc(struct cmp_msg *msg, size_t len)
{
    struct cmp_arena_block *b;

    if (len > CMP_MAX_MSG_LEN) {
        return NULL;
    }
    b = calloc(1, sizeof(*b) + (len > 0 ? len : 1));
    if (b == NULL) {
        return NULL;
    }
    b->len = len;
    b->next = msg->arena;
    msg->arena = b;
    return b->data;
}

uint8_t *
cmp_msg_dup(struct cmp_msg *msg, const void *p, size_t len)
{
    uint8_t *d = cmp_msg_alloc(msg, len);

    if (d != NULL && len > 0) {
        memcpy(d, p, len);
    }
    return d;
}

static void
arena_free(struct cmp_arena_block *b)
{
    while (b != NULL) {
        struct cmp_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

struct cmp_msg *
cmp_msg_new(void)
{
    return calloc(1, sizeof(struct cmp_msg));
}

/* ---- public API ---- */

/*
 * The total size that a SEQUENCE header at |p| announces, for the message
 * of a truncated input (the strict reader only says it does not fit).
 */
static int
outer_len(const uint8_t *p, size_t len, size_t *out_total)
{
    size_t n, i, body = 0;

    if (len < 2 || p[0] != 0x30) {
        return 0;
    }
    if (p[1] < 0x80) {
        *out_total = 2 + (size_t)p[1];
        return 1;
    }
    n = p[1] & 0x7Fu;
    if (n == 0 || n > 4 || len < 2 + n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        body = (body << 8) | p[2 + i];
    }
    *out_total = 2 + n + body;
    return 1;
}

int
cmp_msg_decode(struct cmp_msg **out, const uint8_t *der, size_t len, struct cmp_err *err)
{
    struct cmp_msg *m;
    struct der_in in;

    *out = NULL;
    if (der == NULL || len == 0) {
        return CMP_FAIL(err, CMP_E_DECODE, "empty input, expected a DER PKIMessage");
    }
    if (len > CMP_MAX_MSG_LEN) {
        return CMP_FAIL(err, CMP_E_LIMIT, "message of %zu bytes exceeds the limit of %u bytes", len,
                        (unsigned)CMP_MAX_MSG_LEN);
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PKIMessage");
    }
    m->raw_buf = malloc(len);
    if (m->raw_buf == NULL) {
        free(m);
        return CMP_FAIL(err, CMP_E_MEMORY, "PKIMessage");
    }
    memcpy(m->raw_buf, der, len);
    in = der_in_make(m->raw_buf, len);
    if (!cmp_msg_decode_in(&in, m, 0, err)) {
        size_t announced;
        if (outer_len(der, len, &announced) && announced > len) {
            CMP_FAIL(err, CMP_E_DECODE,
                     "truncated PKIMessage: it announces %zu bytes, the input has %zu", announced,
                     len);
        }
        goto fail;
    }
    if (!der_done(&in)) {
        CMP_DECODE_FAIL(err, &in, "PKIMessage (trailing bytes after the message)");
        goto fail;
    }
    *out = m;
    return 1;

fail:
    if (err != NULL && err->pos != NULL && err->pos >= m->raw_buf && err->pos <= m->raw_buf + len) {
        cmp_err_set_offset(err, (size_t)(err->pos - m->raw_buf));
    }
    if (err != NULL) {
        err->pos = NULL; /* points into the freed copy */
    }
    cmp_msg_free(m);
    return 0;
}

int
cmp_msg_encode(const struct cmp_msg *msg, uint8_t **out, size_t *out_len, struct cmp_err *err)
{
    struct der_out w;

    der_out_init(&w, CMP_MAX_MSG_LEN);
    if (!cmp_msg_encode_out(&w, msg) || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return CMP_FAIL(err, CMP_E_ENCODE, "cannot encode the PKIMessage (%s body)",
                        cmp_body_type_name(msg->body.type) ? cmp_body_type_name(msg->body.type)
                                                           : "unknown");
    }
    return 1;
}

void
cmp_msg_free(struct cmp_msg *msg)
{
    if (msg == NULL) {
        return;
    }
    cmp_msg_cleanup(msg);
    free(msg);
}

int
cmp_msg_body_type(const struct cmp_msg *msg)
{
    return msg->body.type;
}
