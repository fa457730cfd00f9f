/* Table-driven codec checks and mutation sweeps (see codec_check.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "der_rebuild.h"

struct codec
codec_of_body(int type)
{
    const struct cmp_body_desc *d = cmp_body_desc(type);
    struct codec c;

    memset(&c, 0, sizeof(c));
    if (d != NULL) {
        c.name = d->codec->asn1_name;
        c.size = d->codec->size;
        c.body = d->codec;
    }
    return c;
}

size_t
codec_size(const struct codec *c)
{
    return c->size > 0 ? c->size : 1; /* pkiConf's NULL has no model */
}

int
codec_decode(const struct codec *c, struct der_in *in, void *v, struct cmp_err *err)
{
    if (c->body != NULL) {
        return c->body->decode(in, v, 0, err);
    }
    return c->decode(in, v, err);
}

static int
codec_encode(const struct codec *c, struct der_out *out, const void *v)
{
    return c->body != NULL ? c->body->encode(out, v) : c->encode(out, v);
}

void
codec_cleanup(const struct codec *c, void *v)
{
    void (*cleanup)(void *) = c->body != NULL ? c->body->cleanup : c->cleanup;

    if (v != NULL && cleanup != NULL) {
        cleanup(v);
    }
}

/* Releases a decoded struct; cleanup runs twice, as a half-filled struct may. */
static void
release(const struct codec *c, void *v)
{
    codec_cleanup(c, v);
    codec_cleanup(c, v);
    free(v);
}

/* Re-encodes |v| and compares with |der|. */
static int
reencode_same(const struct codec *c, const char *name, const void *v, const uint8_t *der,
              size_t len)
{
    struct der_out out;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    int ok;

    der_out_init(&out, DER_OUT_DEFAULT_MAX);
    if (!CHECK_CASE(name, codec_encode(c, &out, v) && der_out_finish(&out, &enc, &enc_len))) {
        der_out_cleanup(&out);
        return 0;
    }
    ok = CHECK_MEM(name, enc, enc_len, der, len);
    free(enc);
    return ok;
}

int
codec_check_one(const struct codec *c, const char *name, const uint8_t *der, size_t len,
                enum codec_expect expect, struct cmp_err *out_err)
{
    struct der_in in;
    struct cmp_err err;
    /* An exact-size copy, so that ASan sees any read past the input. */
    uint8_t *copy = malloc(len > 0 ? len : 1);
    void *v = calloc(1, codec_size(c));
    int ok;

    if (!CHECK_CASE(name, v != NULL && copy != NULL)) {
        free(copy);
        free(v);
        return 0;
    }
    if (len > 0) {
        memcpy(copy, der, len);
    }
    der = copy;
    in = der_in_make(der, len);
    cmp_err_init(&err);
    ok = codec_decode(c, &in, v, &err);
    if (ok) {
        size_t used = len - in.len;

        /*
         * A decoder consumes one element; what follows is its caller's
         * business. Each row is one element, so it must be consumed whole,
         * but a byte-flip mutant may shorten the element: then what was
         * consumed must still re-encode to itself.
         */
        CHECK_CASE(name, in.p == der + used);
        if (used != len && expect != CODEC_EITHER) {
            CHECK_CASE(name, !"did not consume the whole element");
        }
        if (!reencode_same(c, name, v, der, used) || used != len) {
            ok = 0;
        }
        if (expect == CODEC_REJECT) {
            CHECK_CASE(name, !"accepted, expected a rejection");
        }
    } else {
        CHECK_CASE(name, in.p == der && in.len == len);
        CHECK_CASE(name, err.code != CMP_E_NONE);
        CHECK_CASE(name, err.num_frames >= 0 && err.num_frames <= CMP_ERR_FRAMES);
        CHECK_CASE(name, err.pos == NULL || (err.pos >= der && err.pos <= der + len));
        CHECK_CASE(name, !err.has_offset || err.offset <= len);
        if (expect == CODEC_ACCEPT) {
            char buf[1024];

            CHECK_CASE(name, !"rejected, expected to decode");
            fprintf(stderr, "    %s\n", cmp_err_format(&err, buf, sizeof(buf)));
        }
        if (out_err != NULL) {
            *out_err = err;
            out_err->pos = NULL; /* it pointed into the copy */
        }
        /* Callers may pass no error record at all. */
        release(c, v);
        v = calloc(1, codec_size(c));
        if (CHECK_CASE(name, v != NULL)) {
            in = der_in_make(der, len);
            CHECK_CASE(name, !codec_decode(c, &in, v, NULL) && in.p == der && in.len == len);
        }
    }
    release(c, v);
    free(copy);
    return ok;
}

/* Flips applied to each element's tag: class, constructed bit, number bits. */
static const uint32_t tag_flips[] = {
    DER_CLASS_CONTEXT,
    DER_CLASS_APPLICATION,
    DER_CONSTRUCTED,
    DER_CLASS_CONTEXT | DER_CONSTRUCTED,
    1,
    2,
    4,
    8,
    16,
};

static void
sweep_framing(const struct codec *c, const char *name, const struct der_in *in, size_t num)
{
    static const enum der_mutation kinds[] = {DER_MUT_EXTRA, DER_MUT_SHORTEN};
    static const char *const kind_names[] = {"extra byte in element", "element shortened"};
    size_t i, k;

    for (i = 0; i < num; i++) {
        for (k = 0; k < CODEC_NUM(kinds); k++) {
            uint8_t *m = NULL;
            size_t m_len = 0;
            int applied = 0;
            char label[256];

            if (!CHECK_CASE(name, der_rebuild_mutate(in, kinds[k], i, 0, &m, &m_len, &applied))) {
                continue;
            }
            if (applied) {
                snprintf(label, sizeof(label), "%s: %s #%zu", name, kind_names[k], i);
                codec_check_one(c, label, m, m_len, CODEC_REJECT, NULL);
            }
            free(m);
        }
    }
}

static void
sweep_tags(const struct codec *c, const char *name, const struct der_in *in, size_t num)
{
    size_t i, k;

    for (i = 0; i < num; i++) {
        uint32_t tag;
        struct der_in whole;

        if (!CHECK_CASE(name, der_rebuild_element(in, i, &tag, &whole))) {
            return;
        }
        for (k = 0; k < CODEC_NUM(tag_flips); k++) {
            uint8_t *m = NULL;
            size_t m_len = 0;
            int applied = 0;
            char label[256];

            if (!CHECK_CASE(name, der_rebuild_mutate(in, DER_MUT_RETAG, i, tag ^ tag_flips[k], &m,
                                                     &m_len, &applied) &&
                                      applied)) {
                continue;
            }
            snprintf(label, sizeof(label), "%s: element #%zu tag %08X -> %08X", name, i,
                     (unsigned)tag, (unsigned)(tag ^ tag_flips[k]));
            codec_check_one(c, label, m, m_len, CODEC_EITHER, NULL);
            free(m);
        }
    }
}

/*
 * Byte flips anywhere (lengths, tags, contents): DER has one encoding per
 * value, so a mutant that still decodes must re-encode to itself.
 */
static void
sweep_bytes(const struct codec *c, const char *name, const uint8_t *der, size_t len)
{
    static const uint8_t flips[] = {0x01, 0x80, 0xff};
    uint8_t *m = malloc(len > 0 ? len : 1);
    size_t i, k;

    if (!CHECK_CASE(name, m != NULL)) {
        return;
    }
    for (i = 0; i < len; i++) {
        for (k = 0; k < CODEC_NUM(flips); k++) {
            char label[256];

            memcpy(m, der, len);
            m[i] ^= flips[k];
            snprintf(label, sizeof(label), "%s: byte %zu ^ %02X", name, i, flips[k]);
            codec_check_one(c, label, m, len, CODEC_EITHER, NULL);
        }
    }
    free(m);
}

void
codec_check_sweeps(const struct codec *c, const char *name, const uint8_t *der, size_t len)
{
    struct der_in in = der_in_make(der, len);
    size_t num = 0, i;
    char label[256];

    if (!CHECK_CASE(name, der_rebuild_count(&in, &num) && num > 0)) {
        return;
    }
    for (i = 0; i < len; i++) {
        snprintf(label, sizeof(label), "%s: truncated to %zu", name, i);
        codec_check_one(c, label, der, i, CODEC_REJECT, NULL);
    }
    sweep_framing(c, name, &in, num);
    sweep_tags(c, name, &in, num);
    sweep_bytes(c, name, der, len);
}

/* check_code() checks a rejected row's error code, unless |code| is 0. */
static void
check_code(const char *name, const struct cmp_err *err, int code)
{
    if (code != 0 && !CHECK_CASE(name, err->code == code)) {
        fprintf(stderr, "    error code %d (%s), expected %d (%s)\n", err->code,
                cmp_errcode_name(err->code), code, cmp_errcode_name(code));
    }
}

void
codec_check_hex(const struct codec *c, const char *name, const char *hex, int ok, int code)
{
    uint8_t *der;
    size_t cap = strlen(hex) / 2 + 1, len = 0;
    struct cmp_err err;
    int got;

    der = malloc(cap);
    if (!CHECK_CASE(name, der != NULL && check_unhex(hex, der, cap, &len))) {
        free(der);
        return;
    }
    cmp_err_init(&err);
    got = codec_check_one(c, name, der, len, ok ? CODEC_ACCEPT : CODEC_REJECT, &err);
    if (!ok && !got) {
        check_code(name, &err, code);
    }
    if (ok && got) {
        codec_check_sweeps(c, name, der, len);
    }
    free(der);
}

void
codec_check_cases(const struct codec *c, const struct codec_case *cases, size_t num)
{
    size_t i;

    for (i = 0; i < num; i++) {
        codec_check_hex(c, cases[i].name, cases[i].hex, cases[i].ok, 0);
    }
}

void
codec_check_repeat(const struct codec *c, const char *name, const uint32_t *wraps, size_t num_wraps,
                   const char *item_hex, size_t n, int ok, int code)
{
    uint8_t item[512], *der = NULL;
    size_t item_len = 0, marks[8], len = 0, i;
    struct der_out out;
    struct cmp_err err;
    int built;

    if (!CHECK_CASE(name, num_wraps <= CODEC_NUM(marks) &&
                              check_unhex(item_hex, item, sizeof(item), &item_len))) {
        return;
    }
    der_out_init(&out, DER_OUT_DEFAULT_MAX);
    built = 1;
    for (i = 0; i < num_wraps; i++) {
        built = built && der_open(&out, wraps[i], &marks[i]);
    }
    for (i = 0; i < n; i++) {
        built = built && der_put_raw(&out, item, item_len);
    }
    for (i = num_wraps; i > 0; i--) {
        built = built && der_close(&out, marks[i - 1]);
    }
    if (!CHECK_CASE(name, built && der_out_finish(&out, &der, &len))) {
        der_out_cleanup(&out);
        return;
    }
    cmp_err_init(&err);
    if (!codec_check_one(c, name, der, len, ok ? CODEC_ACCEPT : CODEC_REJECT, &err) && !ok) {
        check_code(name, &err, code);
    }
    free(der);
}

void
codec_check_error(const struct codec *c, const char *name, const char *hex, size_t offset,
                  size_t len, const char *field)
{
    uint8_t buf[512];
    size_t buf_len = 0;
    struct der_in in;
    struct cmp_err err;
    char text[1024];
    const uint8_t *lo = buf + offset, *hi = lo + len;
    void *v;

    if (!CHECK_CASE(name, check_unhex(hex, buf, sizeof(buf), &buf_len))) {
        return;
    }
    v = calloc(1, codec_size(c));
    if (!CHECK_CASE(name, v != NULL)) {
        return;
    }
    in = der_in_make(buf, buf_len);
    cmp_err_init(&err);
    CHECK_CASE(name, !codec_decode(c, &in, v, &err));
    CHECK_CASE(name, in.p == buf && in.len == buf_len && err.code == CMP_E_DECODE);
    if (!CHECK_CASE(name, err.pos != NULL && err.pos >= lo && err.pos < hi)) {
        fprintf(stderr, "    err.pos at %ld, expected %zu..%zu\n",
                err.pos != NULL ? (long)(err.pos - buf) : -1L, offset, offset + len - 1);
    }
    cmp_err_format(&err, text, sizeof(text));
    if (!CHECK_CASE(name, strstr(text, field) != NULL)) {
        fprintf(stderr, "    got: %s\n", text);
    }
    release(c, v);
}

void
codec_check_limit(const struct codec *c, const char *name, const uint32_t *wraps, size_t num_wraps,
                  const char *item_hex)
{
    char what[128];

    snprintf(what, sizeof(what), "%s %d", name, CMP_MAX_ITEMS);
    codec_check_repeat(c, what, wraps, num_wraps, item_hex, CMP_MAX_ITEMS, 1, 0);
    snprintf(what, sizeof(what), "%s %d", name, CMP_MAX_ITEMS + 1);
    codec_check_repeat(c, what, wraps, num_wraps, item_hex, CMP_MAX_ITEMS + 1, 0, CMP_E_LIMIT);
}
