/*
 * Tests for lib/msg/pem.c: cmp_pem_to_der() (strict base64, labels, limits,
 * the offset of a bad character).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmpkit/msg.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *name, *pem, *hex; /* hex NULL: must fail */
} pem_cases[] = {
    {"plain", "-----BEGIN X-----\nQUJD\n-----END X-----\n", "414243"},
    {"CRLF and blanks", "-----BEGIN A B-----\r\nQU JD\r\n\tQQ==\r\n-----END A B-----\r\n",
     "41424341"},
    {"text before", "Subject: x\n-----BEGIN X-----\nQUI=\n-----END X-----", "4142"},
    {"second block ignored", "-----BEGIN X-----\nQQ==\n-----END X-----\n-----BEGIN Y-----\n", "41"},
    {"no BEGIN", "QUJD\n", NULL},
    {"BEGIN not at line start", " -----BEGIN X-----\nQUJD\n-----END X-----\n", NULL},
    {"no END", "-----BEGIN X-----\nQUJD\n", NULL},
    {"END label differs", "-----BEGIN X-----\nQUJD\n-----END Y-----\n", NULL},
    {"empty label", "-----BEGIN -----\nQUJD\n-----END -----\n", NULL},
    {"junk after BEGIN", "-----BEGIN X-----junk\nQUJD\n-----END X-----\n", NULL},
    {"empty block", "-----BEGIN X-----\n-----END X-----\n", NULL},
    {"bad character", "-----BEGIN X-----\nQU!D\n-----END X-----\n", NULL},
    {"header line", "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nQUJD\n-----END X-----\n", NULL},
    {"length not 4n", "-----BEGIN X-----\nQUJDR\n-----END X-----\n", NULL},
    {"data after padding", "-----BEGIN X-----\nQQ==QUJD\n-----END X-----\n", NULL},
    {"three pads", "-----BEGIN X-----\nQ===\n-----END X-----\n", NULL},
    {"nonzero pad bits 1", "-----BEGIN X-----\nQUJ=\n-----END X-----\n", NULL},
    {"nonzero pad bits 2", "-----BEGIN X-----\nQR==\n-----END X-----\n", NULL},
    {"NUL in body", "-----BEGIN X-----\nQU\0JD\n-----END X-----\n", NULL},
};

static void
test_pem(void)
{
    uint8_t want[16], *der;
    size_t i, want_len, der_len;
    struct cmp_err err;

    for (i = 0; i < ARRAY_LEN(pem_cases); i++) {
        const char *pem = pem_cases[i].pem;
        size_t len = strlen(pem);
        int ok;

        if (strcmp(pem_cases[i].name, "NUL in body") == 0) {
            len = sizeof("-----BEGIN X-----\nQU\0JD\n-----END X-----\n") - 1;
        }
        cmp_err_init(&err);
        der = NULL;
        ok = cmp_pem_to_der(pem, len, &der, &der_len, &err);
        if (pem_cases[i].hex == NULL) {
            CHECK_CASE(pem_cases[i].name, !ok && der == NULL && err.code != CMP_E_NONE);
        } else if (CHECK_CASE(pem_cases[i].name, ok) &&
                   CHECK_CASE(pem_cases[i].name,
                              check_unhex(pem_cases[i].hex, want, sizeof(want), &want_len))) {
            CHECK_MEM(pem_cases[i].name, der, der_len, want, want_len);
        }
        free(der);
    }
    /* The offset of a bad character is reported. */
    cmp_err_init(&err);
    CHECK(!cmp_pem_to_der("-----BEGIN X-----\nQU!D\n-----END X-----\n", 38, &der, &der_len, &err));
    CHECK(err.has_offset && err.offset == 20);
    CHECK(!cmp_pem_to_der(NULL, 5, &der, &der_len, &err) && err.code == CMP_E_ARG);
}

int
main(void)
{
    test_pem();
    return check_finish();
}
