/*
 * bench/codec: decode+encode of PKIMessages per second, cmpkit beside
 * libcrypto's d2i_OSSL_CMP_MSG/i2d_OSSL_CMP_MSG on the same inputs in the
 * same run. (bench/ is the one place that may link libcrypto's CMP code.)
 *
 * usage: codec [--seconds S] DIR|FILE...
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/cmp.h>

#include "cmpkit/msg.h"

struct input {
    char *name;
    uint8_t *der;
    size_t len;
};

static struct input inputs[1024];
static size_t num_inputs;

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
add_file(const char *path)
{
    FILE *f;
    long len;
    struct cmp_msg *m = NULL;
    struct cmp_err err;
    uint8_t *der;

    if (num_inputs >= sizeof(inputs) / sizeof(inputs[0])) {
        return;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return;
    }
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len <= 0 || len > (4 << 20)) {
        fclose(f);
        return;
    }
    der = malloc((size_t)len);
    if (der == NULL || fread(der, 1, (size_t)len, f) != (size_t)len) {
        free(der);
        fclose(f);
        return;
    }
    fclose(f);
    cmp_err_init(&err);
    if (!cmp_msg_decode(&m, der, (size_t)len, &err)) {
        free(der); /* not a PKIMessage (a CSR, a certificate): not a codec input */
        return;
    }
    cmp_msg_free(m);
    inputs[num_inputs].name = strdup(path);
    inputs[num_inputs].der = der;
    inputs[num_inputs].len = (size_t)len;
    num_inputs++;
}

static void
add_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (stat(path, &st) != 0) {
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        add_file(path);
        return;
    }
    d = opendir(path);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        char sub[4096];
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            add_path(sub);
        } else if (n > 4 && strcmp(e->d_name + n - 4, ".der") == 0) {
            add_file(sub);
        }
    }
    closedir(d);
}

/* One pass over all inputs; returns 0 on any failure. */
static int
pass_cmpkit(void)
{
    size_t i;

    for (i = 0; i < num_inputs; i++) {
        struct cmp_msg *m = NULL;
        uint8_t *out = NULL;
        size_t out_len = 0;
        if (!cmp_msg_decode(&m, inputs[i].der, inputs[i].len, NULL) ||
            !cmp_msg_encode(m, &out, &out_len, NULL) || out_len != inputs[i].len) {
            cmp_msg_free(m);
            free(out);
            return 0;
        }
        free(out);
        cmp_msg_free(m);
    }
    return 1;
}

static int
pass_openssl(void)
{
    size_t i;

    for (i = 0; i < num_inputs; i++) {
        const unsigned char *p = inputs[i].der;
        unsigned char *out = NULL;
        OSSL_CMP_MSG *m = d2i_OSSL_CMP_MSG(NULL, &p, (long)inputs[i].len);
        int n;
        if (m == NULL) {
            return 0;
        }
        n = i2d_OSSL_CMP_MSG(m, &out);
        OPENSSL_free(out);
        OSSL_CMP_MSG_free(m);
        if (n != (int)inputs[i].len) {
            return 0;
        }
    }
    return 1;
}

static double
run(const char *label, int (*pass)(void), double seconds)
{
    double t0 = now(), c0 = cpu_now(), t, c;
    long passes = 0;
    double rate;

    /* Warm up once. */
    if (!pass()) {
        printf("%-8s FAILED on the inputs\n", label);
        return 0;
    }
    t0 = now();
    c0 = cpu_now();
    do {
        if (!pass()) {
            printf("%-8s FAILED on the inputs\n", label);
            return 0;
        }
        passes++;
        t = now();
    } while (t - t0 < seconds);
    c = cpu_now() - c0;
    rate = (double)passes * (double)num_inputs / (t - t0);
    printf("%-9s %10.0f msgs/s  (%ld passes, %.2f s wall, %.2f s cpu, %.2f us/msg)\n", label,
           rate, passes, t - t0, c, 1e6 / rate);
    return rate;
}

int
main(int argc, char **argv)
{
    double seconds = 2.0, r1, r2;
    size_t i, bytes = 0;
    int a;

    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
            seconds = strtod(argv[++a], NULL);
        } else {
            add_path(argv[a]);
        }
    }
    if (num_inputs == 0) {
        fprintf(stderr, "usage: codec [--seconds S] DIR|FILE...  (no PKIMessages found)\n");
        return 1;
    }
    for (i = 0; i < num_inputs; i++) {
        bytes += inputs[i].len;
    }
    printf("bench/codec: decode+encode, %zu messages (%zu bytes in all), %.1f s each\n",
           num_inputs, bytes, seconds);
    r1 = run("cmpkit", pass_cmpkit, seconds);
    r2 = run("libcrypto", pass_openssl, seconds);
    if (r1 > 0 && r2 > 0) {
        printf("ratio     cmpkit/libcrypto = %.2fx\n", r1 / r2);
    }
    for (i = 0; i < num_inputs; i++) {
        free(inputs[i].name);
        free(inputs[i].der);
    }
    return r1 > 0 && r2 > 0 ? 0 : 1;
}
