/*
 * libFuzzer target: PKIMessage decoding. DER is canonical, so an accepted
 * input must re-encode to exactly the same bytes; the printer must cope
 * with whatever the decoder accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpkit/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    struct cmp_msg *msg = NULL;
    struct cmp_err err;
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    if (sink == NULL) {
        sink = fopen("/dev/null", "w");
    }
    cmp_err_init(&err);
    if (!cmp_msg_decode(&msg, data, size, &err)) {
        if (err.code == 0) {
            __builtin_trap(); /* a failure must say why */
        }
        return 0;
    }
    if (!cmp_msg_encode(msg, &enc, &enc_len, &err) || enc_len != size ||
        memcmp(enc, data, size) != 0) {
        __builtin_trap();
    }
    if (sink != NULL && !cmp_msg_print(sink, msg)) {
        __builtin_trap();
    }
    free(enc);
    cmp_msg_free(msg);
    return 0;
}
