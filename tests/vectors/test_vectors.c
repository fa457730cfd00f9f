/*
 * Decodes every DER PKIMessage under the directories given, checks that it
 * re-encodes byte for byte and prints, and runs mutation sweeps over it:
 *   - each constructed element shortened by its last byte (lengths fixed up)
 *     must be rejected;
 *   - one extra byte inside each constructed element must be rejected;
 *   - each element's tag replaced by other tags must either be rejected or,
 *     when the result is still a valid message, re-encode identically.
 * Every mutant must be handled without a crash or leak (ASan/LSan watch).
 *
 * usage: test_vectors [--skip-missing] [--expect-types ir,ip,...] DIR...
 * With --skip-missing, a missing DIR makes the test exit 77 (skipped).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmpkit/msg.h"
#include "der/der.h"

static int failures, checks;

#define CHECK(cond, ...)                                                 \
    do {                                                                 \
        checks++;                                                        \
        if (!(cond)) {                                                   \
            failures++;                                                  \
            fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);        \
            fprintf(stderr, __VA_ARGS__);                                \
            fputc('\n', stderr);                                         \
        }                                                                \
    } while (0)

enum mutation { MUT_NONE, MUT_TRUNCATE, MUT_EXTRA, MUT_TAG };

struct mut {
    enum mutation kind;
    size_t target;   /* index of the element to mutate, in walk order */
    size_t counter;  /* elements seen so far */
    uint32_t new_tag;
    int applied;
};

/* Rebuilds the elements in |in| into |out|, applying |m| to one of them. */
static int
rebuild(struct der_out *out, struct der_in in, struct mut *m)
{
    while (!der_done(&in)) {
        uint32_t tag;
        struct der_in body;
        size_t idx = m->counter++, mark;
        int is_target = idx == m->target;

        if (!der_get_any(&in, &tag, &body, NULL)) {
            return 0;
        }
        if (is_target && m->kind == MUT_TAG) {
            tag = m->new_tag;
            m->applied = 1;
        }
        if ((tag & DER_CONSTRUCTED) && !(is_target && m->kind == MUT_TAG)) {
            if (!der_open(out, tag, &mark) || !rebuild(out, body, m)) {
                return 0;
            }
            if (is_target && m->kind == MUT_TRUNCATE && body.len > 0) {
                out->len--; /* drop the last content byte */
                m->applied = 1;
            }
            if (is_target && m->kind == MUT_EXTRA) {
                uint8_t zero = 0;
                if (!der_put_raw(out, &zero, 1)) {
                    return 0;
                }
                m->applied = 1;
            }
            if (!der_close(out, mark)) {
                return 0;
            }
        } else {
            if (!der_put_prim(out, tag, body.p, body.len)) {
                return 0;
            }
            if (tag & DER_CONSTRUCTED) {
                /* A retagged constructed element: count its children too. */
                struct mut skip = {MUT_NONE, SIZE_MAX, 0, 0, 0};
                struct der_out sink;
                der_out_init(&sink, DER_OUT_DEFAULT_MAX);
                (void)rebuild(&sink, body, &skip);
                der_out_cleanup(&sink);
                m->counter += skip.counter;
            }
        }
    }
    return 1;
}

static int
mutate(const uint8_t *der, size_t len, struct mut *m, uint8_t **out, size_t *out_len)
{
    struct der_out w;

    der_out_init(&w, DER_OUT_DEFAULT_MAX);
    if (!rebuild(&w, der_in_make(der, len), m) || !der_out_finish(&w, out, out_len)) {
        der_out_cleanup(&w);
        return 0;
    }
    return 1;
}

static size_t
count_elements(const uint8_t *der, size_t len)
{
    struct mut m = {MUT_NONE, SIZE_MAX, 0, 0, 0};
    uint8_t *buf;
    size_t blen;

    if (!mutate(der, len, &m, &buf, &blen)) {
        return 0;
    }
    free(buf);
    return m.counter;
}

/* Returns 1 if |der| decodes; if it does, it must re-encode identically. */
static int
decode_check(const char *name, const uint8_t *der, size_t len, int print)
{
    struct cmp_msg *msg = NULL;
    struct cmp_err err;
    uint8_t *enc = NULL;
    size_t enc_len = 0;

    cmp_err_init(&err);
    if (!cmp_msg_decode(&msg, der, len, &err)) {
        CHECK(err.code != CMP_E_NONE, "%s: decode failed without an error record", name);
        return 0;
    }
    CHECK(cmp_msg_encode(msg, &enc, &enc_len, &err), "%s: re-encoding failed", name);
    CHECK(enc != NULL && enc_len == len && memcmp(enc, der, len) == 0,
          "%s: re-encoding differs (%zu vs %zu bytes)", name, enc_len, len);
    if (print) {
        FILE *sink = fopen("/dev/null", "w");
        CHECK(sink != NULL && cmp_msg_print(sink, msg), "%s: printing failed", name);
        if (sink != NULL) {
            fclose(sink);
        }
    }
    free(enc);
    cmp_msg_free(msg);
    return 1;
}

static const uint32_t retags[] = {
    DER_INTEGER, DER_OCTET_STRING, DER_NULL, DER_SEQUENCE, DER_SET, DER_EXPLICIT(0),
    DER_EXPLICIT(1), DER_EXPLICIT(9), DER_EXPLICIT(27), DER_CLASS_CONTEXT | 0u,
    DER_CLASS_CONTEXT | 1u, DER_CLASS_CONTEXT | 4u,
};

static int seen_types[CMP_BODY_MAX + 1];

static void
test_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *der;
    long len;
    size_t n, i, k, rejected = 0, mutants = 0;
    struct cmp_msg *msg = NULL;
    struct cmp_err err;
    char ebuf[1024];

    CHECK(f != NULL, "%s: cannot open", path);
    if (f == NULL) {
        return;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    der = malloc(len > 0 ? (size_t)len : 1);
    CHECK(der != NULL && len > 0 && fread(der, 1, (size_t)len, f) == (size_t)len, "%s: read",
          path);
    fclose(f);
    if (der == NULL || len <= 0) {
        free(der);
        return;
    }
    cmp_err_init(&err);
    if (!cmp_msg_decode(&msg, der, (size_t)len, &err)) {
        CHECK(0, "%s: does not decode:\n%s", path, cmp_err_format(&err, ebuf, sizeof(ebuf)));
        free(der);
        return;
    }
    seen_types[cmp_msg_body_type(msg)] = 1;
    cmp_msg_free(msg);
    CHECK(decode_check(path, der, (size_t)len, 1), "%s: decode", path);

    n = count_elements(der, (size_t)len);
    CHECK(n > 0, "%s: element walk failed", path);
    for (i = 0; i < n; i++) {
        enum mutation kinds[2] = {MUT_TRUNCATE, MUT_EXTRA};
        for (k = 0; k < 2; k++) {
            struct mut m = {kinds[k], i, 0, 0, 0};
            uint8_t *mut_der;
            size_t mut_len;
            if (!mutate(der, (size_t)len, &m, &mut_der, &mut_len)) {
                continue;
            }
            if (m.applied) {
                mutants++;
                CHECK(!decode_check(path, mut_der, mut_len, 0),
                      "%s: element %zu %s was accepted", path, i,
                      kinds[k] == MUT_TRUNCATE ? "shortened by one byte" : "with an extra byte");
                rejected++;
            }
            free(mut_der);
        }
        for (k = 0; k < sizeof(retags) / sizeof(retags[0]); k++) {
            struct mut m = {MUT_TAG, i, 0, retags[k], 0};
            uint8_t *mut_der;
            size_t mut_len;
            if (!mutate(der, (size_t)len, &m, &mut_der, &mut_len)) {
                continue;
            }
            if (m.applied && (mut_len != (size_t)len || memcmp(mut_der, der, mut_len) != 0)) {
                mutants++;
                if (!decode_check(path, mut_der, mut_len, 1)) {
                    rejected++;
                }
            }
            free(mut_der);
        }
    }
    /* Every truncation of the whole encoding fails too. */
    for (i = 0; i < (size_t)len; i++) {
        CHECK(!decode_check(path, der, i, 0), "%s: prefix of %zu bytes accepted", path, i);
    }
    printf("ok %s: %ld bytes, %zu elements, %zu mutants, %zu rejected\n", path, len, n, mutants,
           rejected);
    free(der);
}

static int
has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
test_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t num = 0, cap = 0, i, files = 0;

    if (d == NULL) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) {
            continue;
        }
        if (num == cap) {
            char **nn;
            cap = cap ? cap * 2 : 64;
            nn = realloc(names, cap * sizeof(*names));
            if (nn == NULL) {
                break;
            }
            names = nn;
        }
        if (S_ISDIR(st.st_mode) || (has_suffix(e->d_name, ".der") &&
                                    strcmp(e->d_name, "pkcs10.der") != 0)) {
            names[num++] = strdup(path);
        }
    }
    closedir(d);
    if (num > 0) {
        qsort(names, num, sizeof(*names), cmp_str);
    }
    for (i = 0; i < num; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            files += test_dir(names[i]);
        } else {
            test_file(names[i]);
            files++;
        }
        free(names[i]);
    }
    free(names);
    return files;
}

int
main(int argc, char **argv)
{
    int i, skip_missing = 0;
    const char *expect = NULL;
    size_t files = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;
        if (strcmp(argv[i], "--skip-missing") == 0) {
            skip_missing = 1;
            continue;
        }
        if (strcmp(argv[i], "--expect-types") == 0 && i + 1 < argc) {
            expect = argv[++i];
            continue;
        }
        if (stat(argv[i], &st) != 0) {
            if (skip_missing) {
                printf("skipped: %s is absent\n", argv[i]);
                return 77;
            }
            CHECK(0, "%s: no such directory", argv[i]);
            continue;
        }
        files += test_dir(argv[i]);
    }
    CHECK(files > 0, "no vectors found");
    while (expect != NULL && *expect != '\0') {
        const char *comma = strchr(expect, ',');
        size_t n = comma != NULL ? (size_t)(comma - expect) : strlen(expect);
        int t, found = 0;
        for (t = 0; t <= CMP_BODY_MAX; t++) {
            const char *name = cmp_body_type_name(t);
            if (strlen(name) == n && strncmp(name, expect, n) == 0) {
                found = seen_types[t];
            }
        }
        CHECK(found, "no vector of body type %.*s", (int)n, expect);
        expect = comma != NULL ? comma + 1 : NULL;
    }
    printf("%zu files; %d passed, %d failed\n", files, checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
