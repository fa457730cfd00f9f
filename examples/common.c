/* What the cmpkit examples share (see common.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include <cmpkit/load.h>
#include <cmpkit/transfer.h>
#include <cmpkit/version.h>

#include "common.h"

const char *g_prog = "example";

static int
known(const char *const *names, const char *name)
{
    for (; *names != NULL; names++) {
        if (strcmp(*names, name) == 0) {
            return 1;
        }
    }
    return 0;
}

int
args_init(struct args *a, int argc, char **argv, const char *const *names, const char *usage)
{
    int i;

    if (argc > 0) {
        const char *slash = strrchr(argv[0], '/');

        g_prog = slash != NULL ? slash + 1 : argv[0];
    }
    a->argc = argc;
    a->argv = argv;
    if (argc == 2 && strcmp(argv[1], "-version") == 0) {
        /* The library we run with, and the headers we were built with. */
        printf("%s: libcmpkit %s (built with %s)\n", g_prog, cmp_version_string(),
               CMPKIT_VERSION_STRING);
        exit(0);
    }
    for (i = 1; i < argc; i += 2) {
        if (argv[i][0] != '-' || !known(names, argv[i] + 1) || i + 1 >= argc) {
            fprintf(stderr, "%s: %s '%s'\nusage: %s %s\n", g_prog,
                    i + 1 >= argc && argv[i][0] == '-' ? "missing value after" : "unknown option",
                    argv[i], g_prog, usage);
            return 0;
        }
    }
    return 1;
}

const char *
args_get(const struct args *a, const char *name)
{
    const char *value = NULL;
    int i;

    for (i = 1; i + 1 < a->argc; i += 2) {
        if (strcmp(a->argv[i] + 1, name) == 0) {
            value = a->argv[i + 1]; /* the last one wins, as in openssl */
        }
    }
    return value;
}

int
args_int(const struct args *a, const char *name, int def, int min, int max)
{
    const char *s = args_get(a, name);
    char *end;
    long v;

    if (s == NULL) {
        return def;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
        fprintf(stderr, "%s: -%s %s is not a number in %d..%d\n", g_prog, name, s, min, max);
        exit(1);
    }
    return (int)v;
}

void
report(const char *what, const struct cmp_err *err)
{
    char buf[2048];

    fprintf(stderr, "%s: %s\n%s\n", g_prog, what, cmp_err_format(err, buf, sizeof(buf)));
}

static void
log_to_stderr(void *arg, int level, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s: %s%s\n", g_prog,
            level <= CMP_LOG_ERR ? "error: " : level == CMP_LOG_WARN ? "warning: " : "", line);
}

/* Loaders report in |err|, the context's setters in cmp_ctx_error(). Returns 0. */
static int
failed(const char *what, const struct cmp_err *err, const struct cmp_ctx *ctx)
{
    report(what, err->code != CMP_E_NONE ? err : cmp_ctx_error(ctx));
    return 0;
}

/* -cert and -key: the certificate and key that sign our requests. */
static int
set_signer(struct cmp_ctx *ctx, const char *cert_file, const char *key_file, struct cmp_err *err)
{
    X509 *cert = cmp_load_one_cert(cert_file, NULL, "-cert", err);
    EVP_PKEY *key = cert != NULL ? cmp_load_private_key(key_file, CMP_LOAD_FORMAT_ANY, NULL,
                                                        "-key", err)
                                 : NULL;
    int ok = key != NULL && cmp_ctx_set1_cert(ctx, cert) && cmp_ctx_set1_key(ctx, key);

    /* The context took its own references. */
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}

static int
set_trusted(struct cmp_ctx *ctx, const char *file, struct cmp_err *err)
{
    X509_STORE *store = cmp_load_trust_store(file, NULL, NULL, "-trusted", err);
    int ok = store != NULL && cmp_ctx_set1_trusted(ctx, store);

    X509_STORE_free(store);
    return ok;
}

static int
set_recipient(struct cmp_ctx *ctx, const char *dn, struct cmp_err *err)
{
    X509_NAME *name = cmp_name_parse(dn, err);
    int ok = name != NULL && cmp_ctx_set1_recipient(ctx, name);

    X509_NAME_free(name);
    return ok;
}

int
client_connect(struct cmp_ctx *ctx, const struct args *a)
{
    struct cmp_http_opts http;
    struct cmp_transfer *t;
    struct cmp_err err;
    const char *secret = args_get(a, "secret"), *ref = args_get(a, "ref");
    const char *cert = args_get(a, "cert"), *key = args_get(a, "key");
    const char *trusted = args_get(a, "trusted"), *recipient = args_get(a, "recipient");

    cmp_err_init(&err);
    if (args_get(a, "server") == NULL || (secret == NULL && (cert == NULL || key == NULL))) {
        fprintf(stderr, "%s: give -server, and -ref with -secret or -cert with -key\n", g_prog);
        return 0;
    }

    /* Log lines (one per message sent and received) go to standard error. */
    cmp_ctx_set_log_cb(ctx, log_to_stderr, NULL, CMP_LOG_INFO);

    /* HTTP: start from the defaults (keep-alive preferred), then set the URL. */
    cmp_http_opts_init(&http);
    http.server = args_get(a, "server");
    t = cmp_transfer_http_new(&http, &err);
    if (t == NULL) {
        report("cannot use -server", &err);
        return 0;
    }
    cmp_ctx_set0_transfer(ctx, t); /* the context owns it now */

    /* pass:, env:, file: as openssl cmp takes -secret; the context keeps a copy */
    if (secret != NULL && !cmp_ctx_set1_secret_source(ctx, secret)) {
        return failed("cannot use -secret", &err, ctx);
    }
    if (ref != NULL && !cmp_ctx_set1_ref(ctx, (const uint8_t *)ref, strlen(ref))) {
        return failed("cannot use -ref", &err, ctx);
    }
    if (cert != NULL && key != NULL && !set_signer(ctx, cert, key, &err)) {
        return failed("cannot use -cert and -key", &err, ctx);
    }
    if (trusted != NULL && !set_trusted(ctx, trusted, &err)) {
        return failed("cannot use -trusted", &err, ctx);
    }
    if (recipient != NULL && !set_recipient(ctx, recipient, &err)) {
        return failed("cannot use -recipient", &err, ctx);
    }
    return 1;
}
