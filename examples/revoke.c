/*
 * revoke: asks a CMP server to revoke a certificate (an rr transaction,
 * RFC 9810 5.3.9; RFC 9483 4.2).
 *
 *   revoke -server http://127.0.0.1:8080/pkix/ -ref REF -secret pass:1234 \
 *          -oldcert ee.crt -revreason 1
 *   revoke -server URL -cert ee.crt -key ee.key -trusted root.crt -oldcert ee.crt
 *
 * -revreason is a CRLReason (RFC 5280 5.3.1): 0 unspecified, 1 keyCompromise,
 * 4 superseded, 5 cessationOfOperation...; without it the request carries
 * none. A certificate is usually revoked with a signature of its own key
 * (-cert and -key name the certificate to revoke and its key).
 *
 * Build:  cc -o revoke revoke.c common.c $(pkg-config --cflags --libs cmpkit)
 * Exit status 0 when the server accepted the revocation, 1 otherwise.
 */
#include <stdio.h>

#include <openssl/x509.h>

#include <cmpkit/client.h>
#include <cmpkit/load.h>

#include "common.h"

static const char *const names[] = {CLIENT_OPTIONS, "oldcert", "revreason", NULL};

int
main(int argc, char **argv)
{
    struct args a;
    struct cmp_ctx *ctx;
    struct cmp_err err;
    X509 *oldcert = NULL;
    char status[512];
    int ok = 0, reason;

    if (!args_init(&a, argc, argv, names,
                   "-server URL (-ref REF -secret SRC | -cert FILE -key FILE) [-trusted FILE]\n"
                   "       [-recipient DN] -oldcert FILE [-revreason 0..10]")) {
        return 1;
    }
    if (args_get(&a, "oldcert") == NULL) {
        fprintf(stderr, "%s: -oldcert is required\n", g_prog);
        return 1;
    }
    reason = args_int(&a, "revreason", -1, -1, 10);

    ctx = cmp_ctx_new();
    if (ctx == NULL) {
        fprintf(stderr, "%s: out of memory\n", g_prog);
        return 1;
    }
    if (!client_connect(ctx, &a)) {
        goto done;
    }

    /* The certificate to revoke: the request names its issuer and serial number. */
    cmp_err_init(&err);
    oldcert = cmp_load_one_cert(args_get(&a, "oldcert"), NULL, "-oldcert", &err);
    if (oldcert == NULL) {
        report("cannot load -oldcert", &err);
        goto done;
    }
    if (!cmp_ctx_set1_oldcert(ctx, oldcert) ||
        !cmp_ctx_set_option(ctx, CMP_OPT_REVREASON, reason)) {
        report("cannot use -oldcert or -revreason", cmp_ctx_error(ctx));
        goto done;
    }

    /* rr, then rp: success means the server answered "accepted". */
    if (!cmp_exec_rr(ctx)) {
        report("revocation failed", cmp_ctx_error(ctx));
        if (cmp_ctx_get_status(ctx) >= 0) {
            fprintf(stderr, "%s: %s\n", g_prog,
                    cmp_ctx_status_text(ctx, status, sizeof(status)));
        }
        goto done;
    }
    printf("revoked: %s\n", cmp_ctx_status_text(ctx, status, sizeof(status)));
    ok = 1;

done:
    X509_free(oldcert); /* the context has its own reference */
    cmp_ctx_free(ctx);
    return ok ? 0 : 1;
}
