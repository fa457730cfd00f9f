/*
 * libFuzzer target: EncryptedKey and EncryptedValue decoding (lib/msg
 * enckey.c), the deprecated structure on which openssl dereferenced NULL
 * (CVE-2026-42767). An accepted input must re-encode to exactly the same
 * bytes; the printer and the rules of lib/verify (cmp_vfy_enc_value) must
 * cope with whatever the decoder accepts; every failure must say why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    struct cmp_printer pr;
    struct cmp_enckey ek;
    struct cmp_err err;
    struct der_out w;
    struct der_in in = der_in_make(data, size);
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    if (sink == NULL) {
        sink = fopen("/dev/null", "w");
    }
    memset(&ek, 0, sizeof(ek));
    cmp_err_init(&err);
    if (!cmp_enckey_decode(&in, &ek, &err)) {
        if (err.code == 0 || in.p != data || in.len != size) {
            __builtin_trap(); /* a failure must say why and leave the input alone */
        }
        return 0;
    }
    /* DER is canonical: what was consumed re-encodes byte for byte */
    der_out_init(&w, size + 16);
    if (!cmp_enckey_encode(&w, &ek) || !der_out_finish(&w, &enc, &enc_len) ||
        enc_len != size - in.len || memcmp(enc, data, enc_len) != 0) {
        __builtin_trap();
    }
    free(enc);
    if (ek.type == CMP_ENCKEY_VALUE) {
        der_out_init(&w, size + 16);
        if (!cmp_enc_value_encode(&w, &ek.value) || !der_out_finish(&w, &enc, &enc_len) ||
            enc_len != ek.whole.len || memcmp(enc, ek.whole.p, enc_len) != 0) {
            __builtin_trap();
        }
        free(enc);
        cmp_err_init(&err);
        if (!cmp_vfy_enc_value(&ek.value, &err) && err.code == 0) {
            __builtin_trap();
        }
    }
    if (sink != NULL) {
        pr.fp = sink;
        pr.failed = 0;
        cmp_print_enckey(&pr, 0, "encryptedCert", &ek);
    }
    return 0;
}
