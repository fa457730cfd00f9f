/* The shared test harness (see check.h). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"

int check_num_passed;
int check_num_failed;

int
check_true(int ok, const char *name, const char *expr, const char *file, int line)
{
    if (ok) {
        check_num_passed++;
        return 1;
    }
    check_num_failed++;
    if (name != NULL) {
        fprintf(stderr, "%s:%d: FAILED [%s]: %s\n", file, line, name, expr);
    } else {
        fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, expr);
    }
    return 0;
}

static void
print_hex(const char *label, const uint8_t *p, size_t len)
{
    size_t i, show = len > 64 ? 64 : len;

    fprintf(stderr, "    %s (%zu bytes):", label, len);
    for (i = 0; i < show; i++) {
        fprintf(stderr, " %02X", p[i]);
    }
    fprintf(stderr, "%s\n", show < len ? " ..." : "");
}

int
check_mem(const char *name, const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len,
          const char *file, int line)
{
    size_t i;

    if (a_len == b_len) {
        for (i = 0; i < a_len && a[i] == b[i]; i++) {
        }
        if (i == a_len) {
            check_num_passed++;
            return 1;
        }
    }
    check_num_failed++;
    fprintf(stderr, "%s:%d: FAILED [%s]: bytes differ\n", file, line,
            name != NULL ? name : "bytes");
    print_hex("got", a, a_len);
    print_hex("want", b, b_len);
    return 0;
}

int
check_finish(void)
{
    printf("%d passed, %d failed\n", check_num_passed, check_num_failed);
    return check_num_failed == 0 ? 0 : 1;
}

static int
nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int
check_unhex(const char *hex, uint8_t *buf, size_t cap, size_t *out_len)
{
    size_t n = 0;
    const char *p = hex;

    for (;;) {
        int hi, lo;

        while (*p == ' ' || *p == '\n' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        hi = nibble(p[0]);
        lo = hi < 0 ? -1 : nibble(p[1]);
        if (lo < 0 || n >= cap) {
            return 0;
        }
        buf[n++] = (uint8_t)(hi * 16 + lo);
        p += 2;
    }
    *out_len = n;
    return 1;
}

int
check_have_dir(const char *path)
{
    struct stat st;

    return path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
check_read_file(const char *dir, const char *name, uint8_t **out, size_t *out_len)
{
    char path[1024];
    FILE *f;
    long n;
    uint8_t *buf;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return 0;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return 0;
    }
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return 0;
    }
    fclose(f);
    *out = buf;
    *out_len = (size_t)n;
    return 1;
}

static FILE *
open_in(const char *dir, const char *name)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
    }
    return f;
}

X509 *
check_load_cert(const char *dir, const char *name)
{
    FILE *f = open_in(dir, name);
    X509 *x;

    if (f == NULL) {
        return NULL;
    }
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

EVP_PKEY *
check_load_key(const char *dir, const char *name)
{
    FILE *f = open_in(dir, name);
    EVP_PKEY *k;

    if (f == NULL) {
        return NULL;
    }
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}
