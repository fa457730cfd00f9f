/*
 * cmpkit: the command-line tool, growing into a drop-in replacement for
 * `openssl cmp` (see cmpkit(1)). For now: -print, -help and -version.
 *
 * Options follow OpenSSL's syntax: "-name value", "-name=value", and "--name"
 * for "-name". They are described by one table; -help prints it.
 * The CLI sees only the public headers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpkit/err.h"
#include "cmpkit/msg.h"

#ifndef CMPKIT_VERSION
#define CMPKIT_VERSION "0.1.0"
#endif

#define PROG "cmpkit"
#define MAX_INPUT_FILE (4u << 20) /* -print reads at most 4 MiB */

/* What an option takes, shown by -help as OpenSSL shows it. */
enum arg_kind {
    ARG_NONE,   /* a flag */
    ARG_INFILE, /* an input file name: "infile" */
    ARG_VAL     /* any string: "val" */
};

enum opt_id { OPT_HELP, OPT_VERSION, OPT_PRINT };

struct opt_def {
    const char *name; /* without the leading '-' */
    int kind;         /* enum arg_kind */
    int id;           /* enum opt_id */
    const char *help;
};

static const struct opt_def options[] = {
    {"help", ARG_NONE, OPT_HELP, "Display this summary"},
    {"version", ARG_NONE, OPT_VERSION, "Display the cmpkit version"},
    {"print", ARG_INFILE, OPT_PRINT, "Decode the PKIMessage in a DER or PEM file and print it"},
};

#define NUM_OPTIONS (sizeof(options) / sizeof(options[0]))

static const char *
arg_kind_name(int kind)
{
    switch (kind) {
    case ARG_INFILE:
        return "infile";
    case ARG_VAL:
        return "val";
    default:
        return "";
    }
}

static void
print_help(FILE *fp)
{
    char left[64];
    size_t i;

    fprintf(fp, "Usage: %s [options]\n", PROG);
    fprintf(fp, "Valid options are:\n");
    for (i = 0; i < NUM_OPTIONS; i++) {
        snprintf(left, sizeof(left), "-%s %s", options[i].name, arg_kind_name(options[i].kind));
        fprintf(fp, " %-22s %s\n", left, options[i].help);
    }
    fprintf(fp, "\nThe options of `openssl cmp` are to come; see %s(1).\n", PROG);
}

static const struct opt_def *
find_option(const char *name, size_t name_len)
{
    size_t i;

    for (i = 0; i < NUM_OPTIONS; i++) {
        if (strlen(options[i].name) == name_len && memcmp(options[i].name, name, name_len) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

/*
 * read_file() reads all of |path| into a new buffer (free() it), failing
 * above |max| bytes. Prints its own error message.
 */
static int
read_file(const char *path, size_t max, uint8_t **out, size_t *out_len)
{
    FILE *fp;
    uint8_t *buf;
    size_t n;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "%s: cannot open %s: %s\n", PROG, path, strerror(errno));
        return 0;
    }
    /* One byte more than allowed tells a too large file apart. */
    buf = malloc(max + 1);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        fclose(fp);
        return 0;
    }
    n = fread(buf, 1, max + 1, fp);
    if (ferror(fp)) {
        fprintf(stderr, "%s: cannot read %s: %s\n", PROG, path, strerror(errno));
        fclose(fp);
        free(buf);
        return 0;
    }
    fclose(fp);
    if (n > max) {
        fprintf(stderr, "%s: %s: file too large (more than %zu bytes)\n", PROG, path, max);
        free(buf);
        return 0;
    }
    *out = buf;
    *out_len = n;
    return 1;
}

/* A file is PEM when, after any blanks, it starts with "-----BEGIN". */
static int
looks_like_pem(const uint8_t *p, size_t len)
{
    static const char begin[] = "-----BEGIN";
    size_t i = 0;

    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
        i++;
    }
    return len - i >= sizeof(begin) - 1 && memcmp(p + i, begin, sizeof(begin) - 1) == 0;
}

static void
print_error(const char *what, const char *path, const struct cmp_err *err)
{
    char buf[1024];

    fprintf(stderr, "%s: %s %s: %s\n", PROG, what, path, cmp_err_format(err, buf, sizeof(buf)));
}

/* -print FILE: returns the exit status. */
static int
do_print(const char *path)
{
    struct cmp_err err;
    struct cmp_msg *msg = NULL;
    uint8_t *data = NULL, *der = NULL;
    size_t data_len = 0, der_len = 0;
    int ok;

    cmp_err_init(&err);
    if (!read_file(path, MAX_INPUT_FILE, &data, &data_len)) {
        return 1;
    }
    if (looks_like_pem(data, data_len)) {
        ok = cmp_pem_to_der((const char *)data, data_len, &der, &der_len, &err);
        free(data);
        if (!ok) {
            print_error("cannot decode", path, &err);
            return 1;
        }
    } else {
        der = data;
        der_len = data_len;
    }
    ok = cmp_msg_decode(&msg, der, der_len, &err);
    free(der);
    if (!ok) {
        print_error("cannot decode", path, &err);
        return 1;
    }
    ok = cmp_msg_print(stdout, msg);
    cmp_msg_free(msg);
    if (!ok || fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the output: %s\n", PROG, strerror(errno));
        return 1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *print_file = NULL;
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *name, *eq, *value = NULL;
        const struct opt_def *opt;
        size_t name_len;

        if (arg[0] != '-' || arg[1] == '\0') {
            fprintf(stderr, "%s: unexpected argument: %s\n", PROG, arg);
            fprintf(stderr, "%s: use -help for summary\n", PROG);
            return 1;
        }
        name = arg + 1;
        if (name[0] == '-') {
            name++; /* "--name" as OpenSSL accepts it */
        }
        eq = strchr(name, '=');
        name_len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        opt = find_option(name, name_len);
        if (opt == NULL) {
            fprintf(stderr, "%s: unknown option: %s\n", PROG, arg);
            fprintf(stderr, "%s: use -help for summary\n", PROG);
            return 1;
        }
        if (opt->kind == ARG_NONE) {
            if (eq != NULL) {
                fprintf(stderr, "%s: option -%s takes no value\n", PROG, opt->name);
                return 1;
            }
        } else if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            fprintf(stderr, "%s: option -%s needs a value\n", PROG, opt->name);
            return 1;
        }
        switch (opt->id) {
        case OPT_HELP:
            print_help(stdout);
            return 0;
        case OPT_VERSION:
            printf("%s %s\n", PROG, CMPKIT_VERSION);
            return 0;
        case OPT_PRINT:
            print_file = value;
            break;
        default:
            break;
        }
    }
    if (print_file == NULL) {
        fprintf(stderr, "%s: nothing to do (so far only -print is implemented)\n", PROG);
        fprintf(stderr, "%s: use -help for summary\n", PROG);
        return 1;
    }
    return do_print(print_file);
}
