/*
 * Helpers shared by tests/unit/test_protect.c, test_sig.c and test_load.c:
 * files, message building and re-decoding. Header-only (static functions)
 * so that the test support library stays as it is.
 */
#ifndef CMPKIT_TESTS_PROT_TEST_UTIL_H
#define CMPKIT_TESTS_PROT_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmpkit/msg.h"
#include "crypto/crypto.h"
#include "msg/msg.h"

#define PT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* pt_read_file() reads a whole file into a new buffer (free() it). */
static inline int
pt_read_file(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    *out = NULL;
    *out_len = 0;
    if (f == NULL) {
        return 0;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nb;

            cap = cap == 0 ? 4096 : cap * 2;
            nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return 0;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        if (n == 0) {
            break;
        }
        len += n;
    }
    fclose(f);
    *out = buf;
    *out_len = len;
    return 1;
}

/* pt_write_file() writes |len| bytes to |path|. */
static inline int
pt_write_file(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    int ok;

    if (f == NULL) {
        return 0;
    }
    ok = fwrite(p, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static inline int
pt_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* pt_list_dir() lists the names in |dir| ending in |suffix|, sorted. */
static inline int
pt_list_dir(const char *dir, const char *suffix, char ***out, size_t *num)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0, sl = strlen(suffix);

    *out = NULL;
    *num = 0;
    if (d == NULL) {
        return 0;
    }
    for (e = readdir(d); e != NULL; e = readdir(d)) {
        size_t l = strlen(e->d_name);

        if (l <= sl || strcmp(e->d_name + l - sl, suffix) != 0) {
            continue;
        }
        if (n == cap) {
            char **nn;

            cap = cap == 0 ? 64 : cap * 2;
            nn = realloc(names, cap * sizeof(*names));
            if (nn == NULL) {
                break;
            }
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n] != NULL) {
            n++;
        }
    }
    closedir(d);
    if (n > 0) {
        qsort(names, n, sizeof(*names), pt_name_cmp);
    }
    *out = names;
    *num = n;
    return 1;
}

static inline void
pt_free_list(char **names, size_t num)
{
    size_t i;

    for (i = 0; i < num; i++) {
        free(names[i]);
    }
    free(names);
}

static inline void
pt_path(char *buf, size_t len, const char *dir, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

/* pt_decode_file() decodes the PKIMessage in |path|; NULL if it is none. */
static inline struct cmp_msg *
pt_decode_file(const char *path)
{
    struct cmp_msg *m = NULL;
    struct cmp_err err;
    uint8_t *der;
    size_t len;

    if (!pt_read_file(path, &der, &len)) {
        return NULL;
    }
    cmp_err_init(&err);
    if (!cmp_msg_decode(&m, der, len, &err)) {
        m = NULL;
    }
    free(der);
    return m;
}

/*
 * pt_build_msg() builds a message from scratch: pvno 2, sender and recipient
 * directoryNames, a transactionID and senderNonce, and a pkiConf body (or
 * genm with no items).
 */
static inline struct cmp_msg *
pt_build_msg(int body_type)
{
    /* CN=cmpkit test sender, CN=cmpkit test recipient */
    static const uint8_t sender[] = {
        0x30, 0x1D, 0x31, 0x1B, 0x30, 0x19, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x12, 'c', 'm', 'p',
        'k',  'i',  't',  ' ',  't',  'e',  's',  't',  ' ',  's',  'e',  'n',  'd',  'e', 'r'};
    static const uint8_t recipient[] = {0x30, 0x20, 0x31, 0x1E, 0x30, 0x1C, 0x06, 0x03, 0x55,
                                        0x04, 0x03, 0x0C, 0x15, 'c',  'm',  'p',  'k',  'i',
                                        't',  ' ',  't',  'e',  's',  't',  ' ',  'r',  'e',
                                        'c',  'i',  'p',  'i',  'e',  'n',  't'};
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t nonce[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                      0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
    struct cmp_msg *m = cmp_msg_new();
    struct der_in name;
    uint8_t *buf;

    if (m == NULL) {
        return NULL;
    }
    m->hdr.pvno = CMP_PVNO_2000;
    name = der_in_make(sender, sizeof(sender));
    buf = cmp_msg_alloc(m, sizeof(sender) + 8);
    if (buf == NULL || !cmp_gname_set_dirname(&m->hdr.sender, buf, sizeof(sender) + 8, &name)) {
        cmp_msg_free(m);
        return NULL;
    }
    name = der_in_make(recipient, sizeof(recipient));
    buf = cmp_msg_alloc(m, sizeof(recipient) + 8);
    if (buf == NULL ||
        !cmp_gname_set_dirname(&m->hdr.recipient, buf, sizeof(recipient) + 8, &name)) {
        cmp_msg_free(m);
        return NULL;
    }
    m->hdr.has_message_time = 1;
    m->hdr.message_time_secs = 1767225600; /* 2026-01-01 00:00:00 UTC */
    m->hdr.has_transaction_id = 1;
    m->hdr.transaction_id = der_in_make(tid, sizeof(tid));
    m->hdr.has_sender_nonce = 1;
    m->hdr.sender_nonce = der_in_make(nonce, sizeof(nonce));
    m->body.type = body_type;
    return m;
}

/* pt_encode() encodes |m| (a new buffer); NULL on failure. */
static inline uint8_t *
pt_encode(const struct cmp_msg *m, size_t *len)
{
    struct cmp_err err;
    uint8_t *der = NULL;

    cmp_err_init(&err);
    if (!cmp_msg_encode(m, &der, len, &err)) {
        return NULL;
    }
    return der;
}

/* pt_reparse() encodes |m| and decodes it again: the message as a peer receives it. */
static inline struct cmp_msg *
pt_reparse(const struct cmp_msg *m)
{
    struct cmp_msg *out = NULL;
    struct cmp_err err;
    uint8_t *der;
    size_t len = 0;

    der = pt_encode(m, &len);
    if (der == NULL) {
        return NULL;
    }
    cmp_err_init(&err);
    if (!cmp_msg_decode(&out, der, len, &err)) {
        out = NULL;
    }
    free(der);
    return out;
}

/*
 * pt_mutate() decodes |der| after flipping bit |bit| of byte |at|; NULL if
 * the result does not decode.
 */
static inline struct cmp_msg *
pt_mutate(const uint8_t *der, size_t len, size_t at, unsigned bit)
{
    struct cmp_msg *out = NULL;
    struct cmp_err err;
    uint8_t *copy = malloc(len);

    if (copy == NULL || at >= len) {
        free(copy);
        return NULL;
    }
    memcpy(copy, der, len);
    copy[at] ^= (uint8_t)(1u << bit);
    cmp_err_init(&err);
    if (!cmp_msg_decode(&out, copy, len, &err)) {
        out = NULL;
    }
    free(copy);
    return out;
}

/* pt_offset_in() is the offset of slice |s| in |der| (which it must point into). */
static inline size_t
pt_offset_in(const struct cmp_msg *m, const struct der_in *s)
{
    return (size_t)(s->p - m->raw.p);
}

/* pt_err_has() is 1 if the error has |code|, |bit| and |text| (NULL: any) in its message. */
static inline int
pt_err_is(const struct cmp_err *err, int code, int bit, const char *text)
{
    if (code >= 0 && err->code != code) {
        return 0;
    }
    if (bit != -2 && err->failure_bit != bit) {
        return 0;
    }
    return text == NULL || strstr(err->msg, text) != NULL;
}

static inline void
pt_print_err(const char *name, const struct cmp_err *err)
{
    char buf[1024];

    fprintf(stderr, "  %s: %s\n", name, cmp_err_format(err, buf, sizeof(buf)));
}

/* pt_read_secret() reads the first line of a file (the generated vectors' secret.txt). */
static inline int
pt_read_secret(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (f == NULL || fgets(buf, (int)len, f) == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        return 0;
    }
    fclose(f);
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    return 1;
}

#endif
