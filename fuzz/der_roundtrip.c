/*
 * libFuzzer target: the DER reader and writer. DER is canonical, so every
 * input that der_walk() accepts must re-encode through the writer to exactly
 * the same bytes, and every primitive value that a typed reader accepts must
 * round-trip through the matching writer (tests/support/der_rebuild.c).
 */
#include <stdlib.h>
#include <string.h>

#include "der/der.h"
#include "der_rebuild.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct der_in in = der_in_make(data, size);
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    if (!der_walk(&in, DER_MAX_DEPTH)) {
        return 0;
    }
    if (!der_rebuild(&in, &enc, &enc_len)) {
        __builtin_trap(); /* accepted framing must be writable */
    }
    if (enc_len != size || memcmp(enc, data, size) != 0) {
        __builtin_trap();
    }
    free(enc);
    if (!der_rebuild_values(&in, DER_MAX_DEPTH)) {
        __builtin_trap();
    }
    return 0;
}
