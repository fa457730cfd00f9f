/*
 * cmpkit: the command-line tool, a drop-in replacement for `openssl cmp`
 * (see cmpkit(1)): the options of openssl cmp 3.0 (opts.c), read from the
 * config file (config.c) and then the command line; the mock server mode
 * (-port, server_main.c), a CA with -ca_cert/-ca_key/-ca_db and its
 * administration (-ca_admin, ca_main.c); and cmpkit's own -print and
 * -version.
 *
 * The CLI sees only the public headers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rand.h>

#include "cmpkit/err.h"
#include "cmpkit/msg.h"
#include "cmpkit/version.h"
#include "opts.h"

#define MAX_INPUT_FILE (4u << 20) /* -print reads at most 4 MiB */

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

/*
 * -print FILE: returns the exit status. A PKIMessage (PEM or DER) is printed
 * in full; any other file is given to app_print_pki_file(), which names
 * certificates, CSRs, CRLs and containers; only if it is none of these does
 * the PKIMessage decoding error stand.
 */
static int
do_print(const char *path)
{
    struct cmp_err err;
    struct cmp_msg *msg = NULL;
    uint8_t *data = NULL, *der = NULL;
    size_t data_len = 0, der_len = 0;
    int ok, other;

    cmp_err_init(&err);
    if (!read_file(path, MAX_INPUT_FILE, &data, &data_len)) {
        return 1;
    }
    if (looks_like_pem(data, data_len)) {
        ok = cmp_pem_to_der((const char *)data, data_len, &der, &der_len, &err);
    } else {
        ok = 1;
        der = data;
        der_len = data_len;
    }
    ok = ok && cmp_msg_decode(&msg, der, der_len, &err);
    if (der != data) {
        free(der);
    }
    if (!ok) {
        other = app_print_pki_file(data, data_len);
        free(data);
        if (other < 0) {
            print_error("cannot decode", path, &err);
            fprintf(stderr, "%s: %s is no PKIMessage, certificate, CSR, CRL, PKCS#7 or CMS "
                            "structure\n", PROG, path);
        }
        if (fflush(stdout) != 0) {
            fprintf(stderr, "%s: cannot write the output: %s\n", PROG, strerror(errno));
            return 1;
        }
        return other == 1 ? 0 : 1;
    }
    free(data);
    ok = cmp_msg_print(stdout, msg);
    cmp_msg_free(msg);
    if (!ok || fflush(stdout) != 0) {
        fprintf(stderr, "%s: cannot write the output: %s\n", PROG, strerror(errno));
        return 1;
    }
    return 0;
}

/*
 * prescan() takes -config, -section and -verbosity before the config file
 * is read (as openssl cmp does), and notes -print, which reads no config.
 * Unknown options are left to cmp_opts_parse_args() to report.
 */
static void
prescan(struct cmp_opts *o, int argc, char **argv, int *print_mode)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *name = arg + 1, *eq, *value = NULL;
        const struct opt_def *d;
        size_t len;
        long n;

        if (arg[0] != '-' || arg[1] == '\0') {
            continue;
        }
        if (name[0] == '-') {
            name++;
        }
        eq = strchr(name, '=');
        len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        d = cmp_opts_find(name, len);
        if (d == NULL || d->kind == OPTK_FLAG) {
            continue;
        }
        if (eq != NULL) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            continue;
        }
        if (d->id == OPTID_CONFIG) {
            o->config = value;
        } else if (d->id == OPTID_SECTION) {
            o->section = value;
        } else if (d->id == OPTID_PRINT) {
            *print_mode = 1;
        } else if (strcmp(d->name, "verbosity") == 0 && parse_long(value, 0, &n) &&
                   n >= LOG_LVL_EMERG && n <= LOG_LVL_TRACE) {
            o->verbosity = (int)n;
        }
    }
}

/* load_rand() loads the -rand files (separated by ':', as openssl's app_RAND_load()). */
static int
load_rand(const char *files)
{
    char *list, *p, *next;
    int ok = 1;

    if (files == NULL) {
        return 1;
    }
    list = strdup(files);
    if (list == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return 0;
    }
    for (p = list; ok && p != NULL; p = next) {
        next = strchr(p, ':');
        if (next != NULL) {
            *next++ = '\0';
        }
        if (*p != '\0' && RAND_load_file(p, -1) < 0) {
            fprintf(stderr, "%s: cannot load %s into the random number generator\n", PROG, p);
            ok = 0;
        }
    }
    free(list);
    return ok;
}

static int
run(struct cmp_opts *o, int argc, char **argv)
{
    int print_mode = 0;

    prescan(o, argc, argv, &print_mode);
    if (!print_mode && !cmp_config_apply(o)) {
        return 1;
    }
    if (!cmp_opts_parse_args(o, argc, argv)) {
        return 1;
    }
    if (o->help) {
        cmp_opts_help(stdout);
        return 0;
    }
    if (o->version) {
        printf("%s %s\n", PROG, cmp_version_string());
        return 0;
    }
    if (!cmp_opts_check(o)) {
        fprintf(stderr, "%s: Use -help for summary.\n", PROG);
        return 1;
    }
    if (o->print != NULL) {
        return do_print(o->print);
    }
    if (!load_rand(o->rand)) {
        return 1;
    }
    if (o->ca_admin != NULL) {
        return cmp_ca_admin_main(o);
    }
    if (o->port != NULL) {
        return cmp_server_main(o);
    }
    if (app_ca_mode(o)) {
        fprintf(stderr,
                "%s: the CA options (-ca_cert, -ca_key, -ca_db, -ca_profiles) need -port "
                "(a CA server) or -ca_admin\n",
                PROG);
        return 1;
    }
    return cmp_client_main(o);
}

int
main(int argc, char **argv)
{
    struct cmp_opts o;
    int ret;

    if (argc <= 1) {
        /* as openssl cmp: no arguments, the summary and failure */
        cmp_opts_help(stderr);
        return 1;
    }
    if (!cmp_opts_init(&o)) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return 1;
    }
    ret = run(&o, argc, argv);
    if (o.writerand != NULL && RAND_write_file(o.writerand) == -1) {
        fprintf(stderr, "%s: cannot write random bytes to %s\n", PROG, o.writerand);
        ret = 1;
    }
    cmp_opts_cleanup(&o);
    return ret;
}
