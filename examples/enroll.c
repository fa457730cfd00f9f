/*
 * enroll: gets a first certificate from a CMP server (an ir transaction,
 * RFC 9810 5.3.1; RFC 9483 4.1.1) and saves it as PEM.
 *
 *   enroll -server http://127.0.0.1:8080/pkix/ -ref REF -secret pass:1234 \
 *          -newkey ee.key -subject /CN=ee -certout ee.crt
 *   enroll -server URL -cert old.crt -key old.key -trusted root.crt \
 *          -newkey ee.key -subject /CN=ee -certout ee.crt
 *
 * With -secret the requests are MAC-protected (PBM) with a secret shared
 * with the server, as for a device's first certificate; with -cert and -key
 * they are signed. -newkey is the key to certify (its public half goes into
 * the request, and it signs the proof of possession).
 *
 * Build:  cc -o enroll enroll.c common.c $(pkg-config --cflags --libs cmpkit)
 * Exit status 0 when the certificate is saved, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cmpkit/client.h>
#include <cmpkit/load.h>

#include "common.h"

static const char *const names[] = {CLIENT_OPTIONS, "newkey", "subject", "certout", NULL};

/* -newkey and -subject: what the certificate is for. */
static int
set_request(struct cmp_ctx *ctx, const char *key_file, const char *subject)
{
    struct cmp_err err;
    EVP_PKEY *key;
    X509_NAME *name;
    int ok;

    cmp_err_init(&err);
    key = cmp_load_private_key(key_file, CMP_LOAD_FORMAT_ANY, NULL, "-newkey", &err);
    if (key == NULL) {
        report("cannot load -newkey", &err);
        return 0;
    }
    ok = cmp_ctx_set1_newkey(ctx, key);
    EVP_PKEY_free(key); /* set1: the context holds its own reference */
    if (!ok) {
        report("cannot use -newkey", cmp_ctx_error(ctx));
        return 0;
    }
    name = cmp_name_parse(subject, &err);
    if (name == NULL) {
        report("cannot parse -subject", &err);
        return 0;
    }
    ok = cmp_ctx_set1_subject(ctx, name);
    X509_NAME_free(name);
    if (!ok) {
        report("cannot use -subject", cmp_ctx_error(ctx));
    }
    return ok;
}

static int
save_cert(const X509 *cert, const char *path)
{
    FILE *f = fopen(path, "w");
    int ok = f != NULL && PEM_write_X509(f, cert);

    if (f != NULL && fclose(f) != 0) {
        ok = 0;
    }
    if (!ok) {
        fprintf(stderr, "%s: cannot write %s\n", g_prog, path);
    }
    return ok;
}

int
main(int argc, char **argv)
{
    struct args a;
    struct cmp_ctx *ctx;
    X509 *cert;
    char status[512], subject[256];
    int ok = 0;

    if (!args_init(&a, argc, argv, names,
                   "-server URL (-ref REF -secret SRC | -cert FILE -key FILE) [-trusted FILE]\n"
                   "       [-recipient DN] -newkey FILE -subject DN -certout FILE")) {
        return 1;
    }
    if (args_get(&a, "newkey") == NULL || args_get(&a, "subject") == NULL ||
        args_get(&a, "certout") == NULL) {
        fprintf(stderr, "%s: -newkey, -subject and -certout are required\n", g_prog);
        return 1;
    }

    /* A context starts with openssl cmp's defaults; cmp_ctx_free() frees what it holds. */
    ctx = cmp_ctx_new();
    if (ctx == NULL) {
        fprintf(stderr, "%s: out of memory\n", g_prog);
        return 1;
    }
    if (!client_connect(ctx, &a) ||
        !set_request(ctx, args_get(&a, "newkey"), args_get(&a, "subject"))) {
        goto done;
    }

    /* One call runs the whole transaction: ir, ip, certConf, pkiConf. */
    if (!cmp_exec_ir(ctx)) {
        report("enrollment failed", cmp_ctx_error(ctx));
        if (cmp_ctx_get_status(ctx) >= 0) { /* the server said no, and why */
            fprintf(stderr, "%s: %s\n", g_prog,
                    cmp_ctx_status_text(ctx, status, sizeof(status)));
        }
        goto done;
    }

    /* Borrowed from the context until its next transaction or cmp_ctx_free(). */
    cert = cmp_ctx_get0_newcert(ctx);
    if (!save_cert(cert, args_get(&a, "certout"))) {
        goto done;
    }
    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    printf("enrolled %s, saved to %s\n", subject, args_get(&a, "certout"));
    ok = 1;

done:
    cmp_ctx_free(ctx);
    return ok ? 0 : 1;
}
