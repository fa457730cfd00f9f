/*
 * Generic DER re-encoding, shared by tests/unit/test_der.c and
 * fuzz/der_roundtrip.c. DER is canonical, so anything der_walk() accepts must
 * come out of the writer byte for byte; a difference is a reader or writer
 * bug.
 */
#ifndef CMPKIT_TESTS_DER_REBUILD_H
#define CMPKIT_TESTS_DER_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "der/der.h"

/*
 * der_rebuild_tree() re-encodes every element in |in| into |out| with
 * der_open()/der_close() for constructed elements and der_put_prim() for
 * primitive ones, nesting at most |max_depth| constructed levels. Returns 1
 * on success, 0 on malformed input or a writer failure.
 */
int der_rebuild_tree(struct der_out *out, const struct der_in *in, int max_depth) CMP_MUST_CHECK;

/*
 * der_rebuild() re-encodes |in| into a new buffer (free() it). Returns 0,
 * with nothing to free, on failure.
 */
int der_rebuild(const struct der_in *in, uint8_t **out_buf, size_t *out_len) CMP_MUST_CHECK;

/*
 * der_rebuild_values() decodes every primitive element in |in| whose tag it
 * knows (INTEGER, ENUMERATED, BOOLEAN, BIT STRING, NULL, OBJECT IDENTIFIER,
 * UTCTime, GeneralizedTime) with the typed readers and, when a reader accepts
 * it, re-encodes the value with the typed writers or text converters and
 * compares. Returns 1 if every accepted value round-trips (rejected values
 * are fine), 0 on the first one that does not, or on malformed framing.
 */
int der_rebuild_values(const struct der_in *in, int max_depth) CMP_MUST_CHECK;

/*
 * Mutations for the codec sweeps (tests/support/codec_check.c). Elements are
 * numbered in walk order: an element, then its children (if constructed),
 * then its next sibling; the first element of |in| is 0.
 */
enum der_mutation {
    DER_MUT_NONE = 0, /* a plain re-encoding */
    DER_MUT_EXTRA,    /* one 00 byte appended to a constructed element's contents */
    DER_MUT_SHORTEN,  /* a constructed element's last content byte dropped */
    DER_MUT_RETAG     /* an element's tag replaced; its contents kept verbatim */
};

/* der_rebuild_count() sets |*out_num| to the number of elements in |in|, at all depths. */
int der_rebuild_count(const struct der_in *in, size_t *out_num) CMP_MUST_CHECK;

/*
 * der_rebuild_element() finds element |index| (walk order) in |in|: its tag
 * and its whole TLV, a slice of |in|. Returns 0 if there is no such element.
 */
int der_rebuild_element(const struct der_in *in, size_t index, uint32_t *out_tag,
                        struct der_in *out_whole) CMP_MUST_CHECK;

/*
 * der_rebuild_mutate() re-encodes |in| into a new buffer (free() it) with
 * mutation |kind| applied to element |target| (|new_tag| for DER_MUT_RETAG);
 * every enclosing length is fixed up. |*out_applied| is 0 when the mutation
 * does not apply to that element (EXTRA or SHORTEN on a primitive element,
 * SHORTEN on an empty one). Returns 0, with nothing to free, on malformed
 * input or a writer failure.
 */
int der_rebuild_mutate(const struct der_in *in, enum der_mutation kind, size_t target,
                       uint32_t new_tag, uint8_t **out_buf, size_t *out_len,
                       int *out_applied) CMP_MUST_CHECK;

#endif
