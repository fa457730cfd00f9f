/*
 * Table-driven checks for the lib/msg codecs, shared by tests/unit/test_*.c.
 *
 * A codec is described by its decode/encode/cleanup functions behind a
 * uniform signature (each test wraps the real ones, which may take a tag or
 * a flag). For every input the harness decodes into a zeroed heap struct and:
 *   - on success: the whole input must be consumed (a mutant checked with
 *     CODEC_EITHER may leave bytes after the element) and the _encode
 *     function must reproduce what was consumed byte for byte;
 *   - on failure: the input window must be unchanged, an error recorded
 *     (err.code != 0), and err.pos, when set, must point into the input;
 *     decoding again without an error record (NULL) must fail the same way;
 *   - either way: _cleanup runs (twice: it must be idempotent), so that
 *     ASan/LeakSanitizer see every allocation freed.
 *
 * codec_check_cases() runs a table; every accepted row then gets the sweeps:
 *   - truncation to every shorter length: must fail;
 *   - one 00 byte appended inside each constructed element (lengths fixed
 *     up): must fail;
 *   - each constructed element shortened by one byte (lengths fixed up):
 *     must fail;
 *   - each element's tag flipped (class, constructed bit, number bits): must
 *     fail or, if accepted, re-encode identically;
 *   - each byte flipped (^01, ^80, ^FF): the same (DER has one encoding per
 *     value, so whatever still decodes must re-encode to itself).
 */
#ifndef CMPKIT_TESTS_CODEC_CHECK_H
#define CMPKIT_TESTS_CODEC_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "cmpkit/err.h"
#include "der/der.h"
#include "msg/msg.h"

struct codec {
    const char *name;
    size_t size; /* sizeof the model struct */
    int (*decode)(struct der_in *in, void *out, struct cmp_err *err);
    int (*encode)(struct der_out *out, const void *v);
    void (*cleanup)(void *v); /* NULL when decoding allocates nothing */
    /* Instead of the four above: a body content's codec from lib/msg's body table. */
    const struct cmp_body_codec *body;
};

/*
 * codec_of_body() is the codec of the content of body type |type|, straight
 * from lib/msg's table (cmp_body_desc()): the real name, size and functions.
 */
struct codec codec_of_body(int type);

/* codec_decode() decodes with |c| as the harness does (zeroed |v| of c's size). */
int codec_decode(const struct codec *c, struct der_in *in, void *v, struct cmp_err *err);
size_t codec_size(const struct codec *c);
void codec_cleanup(const struct codec *c, void *v);

/* One table row: whitespace may separate bytes in |hex|. */
struct codec_case {
    const char *name;
    const char *hex;
    int ok;
};

/* What codec_check_one() should insist on. */
enum codec_expect { CODEC_REJECT = 0, CODEC_ACCEPT = 1, CODEC_EITHER = 2 };

/*
 * codec_check_one() decodes |der| with |c| and checks the contract above.
 * Returns 1 if all of it decoded (and re-encoded identically), else 0; the
 * rejecting error is copied to |*out_err| when non-NULL.
 */
int codec_check_one(const struct codec *c, const char *name, const uint8_t *der, size_t len,
                    enum codec_expect expect, struct cmp_err *out_err);

/*
 * codec_check_sweeps() runs the truncation, extra-byte, shorten, tag-flip and
 * byte-flip sweeps over |der| (which must decode).
 */
void codec_check_sweeps(const struct codec *c, const char *name, const uint8_t *der, size_t len);

/*
 * codec_check_hex() checks one hex row (expecting |ok|, and for a rejection
 * the error code |code| unless 0) and, if accepted, sweeps it.
 */
void codec_check_hex(const struct codec *c, const char *name, const char *hex, int ok, int code);

/* codec_check_cases() runs codec_check_hex() over a table. */
void codec_check_cases(const struct codec *c, const struct codec_case *cases, size_t num);

/*
 * codec_check_repeat() builds |item_hex| repeated |n| times inside the
 * constructed tags |wraps| (outermost first; the last one is the SEQUENCE OF)
 * and checks it like codec_check_hex(), without the sweeps. For the
 * CMP_MAX_ITEMS limits.
 */
void codec_check_repeat(const struct codec *c, const char *name, const uint32_t *wraps,
                        size_t num_wraps, const char *item_hex, size_t n, int ok, int code);

/*
 * codec_check_error() checks that |hex| fails to decode with CMP_E_DECODE,
 * leaving the input unchanged, that err.pos points into the failing element
 * [offset, offset + len) and that cmp_err_format() names |field|.
 */
void codec_check_error(const struct codec *c, const char *name, const char *hex, size_t offset,
                       size_t len, const char *field);

/*
 * codec_check_limit() checks a SEQUENCE OF against CMP_MAX_ITEMS (see
 * codec_check_repeat()): that many |item_hex| decode, one more is CMP_E_LIMIT.
 */
void codec_check_limit(const struct codec *c, const char *name, const uint32_t *wraps,
                       size_t num_wraps, const char *item_hex);

#define CODEC_NUM(a) (sizeof(a) / sizeof((a)[0]))

#endif
