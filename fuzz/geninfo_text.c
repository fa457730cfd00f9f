/*
 * libFuzzer target: the text of -geninfo and -profile (a command line or a
 * config file is outside input too), lib/client/reqopts.c. The input is
 * split at its first NUL byte: -geninfo before, -profile after (if any).
 * What parses goes into the header of a genm that -reqout_only writes to
 * /dev/null, so the ITAVs are also encoded and protected. It must never
 * crash or leak, and a refused list must leave no ITAV behind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmpkit/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char secret[] = "fuzz-secret", ref[] = "fuzz-ref";
    struct cmp_ctx *ctx;
    char *text;
    const char *profile = NULL;
    size_t n;
    int ok;

    text = malloc(size + 2);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    text[size + 1] = '\0';
    n = strlen(text);
    if (n < size) {
        profile = text + n + 1;
    }
    ctx = cmp_ctx_new();
    if (ctx == NULL || !cmp_ctx_set1_secret(ctx, (const uint8_t *)secret, strlen(secret)) ||
        !cmp_ctx_set1_ref(ctx, (const uint8_t *)ref, strlen(ref)) ||
        !cmp_ctx_set_option(ctx, CMP_OPT_PBM_ITERATIONS, 100) ||
        !cmp_ctx_set1_reqout_only(ctx, "/dev/null")) {
        abort();
    }
    cmp_ctx_set_log_cb(ctx, NULL, NULL, 0);
    ok = cmp_ctx_add1_geninfo_text(ctx, text);
    if (profile != NULL && *profile != '\0') {
        ok = cmp_ctx_set1_profile(ctx, profile) && ok;
    }
    if (ok && (!cmp_exec_genm(ctx) || !cmp_ctx_reqout_only_done(ctx))) {
        /* what was accepted must make a request */
        abort();
    }
    cmp_ctx_free(ctx);
    free(text);
    return 0;
}
