/*
 * client_driver: runs one CMP transaction with the public client API
 * (cmpkit/client.h, cmpkit/transfer.h) against an HTTP(S) server, for
 * tests/interop/client_interop.sh. Options are named after openssl-cmp(1)'s
 * (with two dashes); files are PEM.
 *
 *   client_driver --server URL --cmd ir|cr|kur|p10cr|rr|genm [options]
 *
 * Prints "OK" and what was received on success (exit 0); on failure the
 * error, "STATUS: <the peer's PKIStatusInfo>" if there was one (exit 1).
 * Exit 2: bad usage or a file that does not load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cmpkit/client.h"
#include "cmpkit/transfer.h"

static int g_verbose;

static void
log_line(void *arg, int level, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s: %s\n",
            level <= CMP_LOG_ERR    ? "ERROR"
            : level <= CMP_LOG_WARN ? "WARN"
                                    : "INFO",
            line);
}

static void
die(const char *what, const char *arg)
{
    fprintf(stderr, "client_driver: %s%s%s\n", what, arg != NULL ? ": " : "",
            arg != NULL ? arg : "");
    exit(2);
}

static int
num(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < -1000000 || v > 1000000) {
        die("not a number", s);
    }
    return (int)v;
}

static X509 *
cert_file(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

    if (f != NULL) {
        fclose(f);
    }
    if (x == NULL) {
        die("cannot load certificate", path);
    }
    return x;
}

static STACK_OF(X509) * certs_file(const char *path)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    FILE *f = fopen(path, "r");
    X509 *x;

    if (f == NULL || sk == NULL) {
        die("cannot load certificates", path);
    }
    while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        sk_X509_push(sk, x);
    }
    ERR_clear_error();
    fclose(f);
    if (sk_X509_num(sk) == 0) {
        die("no certificates in", path);
    }
    return sk;
}

static X509_STORE *
store_file(const char *path)
{
    STACK_OF(X509) *sk = certs_file(path);
    X509_STORE *s = X509_STORE_new();
    int i;

    for (i = 0; s != NULL && i < sk_X509_num(sk); i++) {
        X509_STORE_add_cert(s, sk_X509_value(sk, i));
    }
    sk_X509_pop_free(sk, X509_free);
    return s;
}

static EVP_PKEY *
key_file(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

    if (f != NULL) {
        fclose(f);
    }
    if (k == NULL) {
        die("cannot load key", path);
    }
    return k;
}

static X509_REQ *
csr_file(const char *path)
{
    FILE *f = fopen(path, "r");
    X509_REQ *r = f != NULL ? PEM_read_X509_REQ(f, NULL, NULL, NULL) : NULL;

    if (f != NULL) {
        fclose(f);
    }
    if (r == NULL) {
        die("cannot load CSR", path);
    }
    return r;
}

static X509_NAME *
dn(const char *text)
{
    struct cmp_err err;
    X509_NAME *n;

    cmp_err_init(&err);
    n = cmp_name_parse(text, &err);
    if (n == NULL) {
        die(err.msg, NULL);
    }
    return n;
}

/* A secret as openssl's pass:/file: (or plain). */
static char *
secret_of(const char *arg)
{
    static char buf[512];
    FILE *f;

    if (strncmp(arg, "pass:", 5) == 0) {
        snprintf(buf, sizeof(buf), "%s", arg + 5);
    } else if (strncmp(arg, "file:", 5) == 0) {
        f = fopen(arg + 5, "r");
        if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
            die("cannot read secret", arg);
        }
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
    } else {
        snprintf(buf, sizeof(buf), "%s", arg);
    }
    return buf;
}

static void
need(int ok, struct cmp_ctx *ctx, const char *what)
{
    char buf[1024];

    if (!ok) {
        fprintf(stderr, "client_driver: %s: %s\n", what,
                cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf)));
        exit(2);
    }
}

int
main(int argc, char **argv)
{
    struct cmp_http_opts h;
    struct cmp_file_opts fo;
    struct cmp_ctx *ctx = cmp_ctx_new();
    struct cmp_transfer *t;
    struct cmp_err err;
    const char *cmd = NULL, *certout = NULL;
    int i, ok, use_files = 0;
    char buf[2048];

    memset(&h, 0, sizeof(h));
    memset(&fo, 0, sizeof(fo));
    h.keep_alive = 1;
    cmp_err_init(&err);
    if (ctx == NULL) {
        die("out of memory", NULL);
    }
    for (i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int flag = 1;

#define OPT(name) (strcmp(o, "--" name) == 0)
        if (OPT("implicit_confirm")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_IMPLICIT_CONFIRM, 1), ctx, o);
        } else if (OPT("disable_confirm")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_DISABLE_CONFIRM, 1), ctx, o);
        } else if (OPT("unprotected_errors")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_UNPROTECTED_ERRORS, 1), ctx, o);
        } else if (OPT("unprotected_requests")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_UNPROTECTED_SEND, 1), ctx, o);
        } else if (OPT("tls_used")) {
            h.tls_used = 1;
        } else if (OPT("verbose")) {
            g_verbose = 1;
        } else {
            flag = 0;
        }
        if (flag) {
            continue;
        }
        if (v == NULL) {
            die("missing value for", o);
        }
        i++;
        if (OPT("server")) {
            h.server = v;
        } else if (OPT("path")) {
            h.path = v;
        } else if (OPT("proxy")) {
            h.proxy = v;
        } else if (OPT("no_proxy")) {
            h.no_proxy = v;
        } else if (OPT("keep_alive")) {
            h.keep_alive = num(v);
        } else if (OPT("tls_trusted")) {
            h.tls_trusted = store_file(v);
        } else if (OPT("tls_host")) {
            h.tls_host = v;
        } else if (OPT("tls_cert")) {
            h.tls_cert = cert_file(v);
        } else if (OPT("tls_key")) {
            h.tls_key = key_file(v);
        } else if (OPT("cmd")) {
            cmd = v;
        } else if (OPT("secret")) {
            const char *s = secret_of(v);

            need(cmp_ctx_set1_secret(ctx, (const uint8_t *)s, strlen(s)), ctx, o);
        } else if (OPT("ref")) {
            need(cmp_ctx_set1_ref(ctx, (const uint8_t *)v, strlen(v)), ctx, o);
        } else if (OPT("cert")) {
            X509 *x = cert_file(v);

            need(cmp_ctx_set1_cert(ctx, x), ctx, o);
            X509_free(x);
        } else if (OPT("key")) {
            EVP_PKEY *k = key_file(v);

            need(cmp_ctx_set1_key(ctx, k), ctx, o);
            EVP_PKEY_free(k);
        } else if (OPT("newkey")) {
            EVP_PKEY *k = key_file(v);

            need(cmp_ctx_set1_newkey(ctx, k), ctx, o);
            EVP_PKEY_free(k);
        } else if (OPT("oldcert") || OPT("srvcert")) {
            X509 *x = cert_file(v);

            need(OPT("oldcert") ? cmp_ctx_set1_oldcert(ctx, x) : cmp_ctx_set1_srvcert(ctx, x), ctx,
                 o);
            X509_free(x);
        } else if (OPT("csr")) {
            X509_REQ *r = csr_file(v);

            need(cmp_ctx_set1_csr(ctx, r), ctx, o);
            X509_REQ_free(r);
        } else if (OPT("trusted") || OPT("out_trusted")) {
            X509_STORE *s = store_file(v);

            need(OPT("trusted") ? cmp_ctx_set1_trusted(ctx, s) : cmp_ctx_set1_out_trusted(ctx, s),
                 ctx, o);
            X509_STORE_free(s);
        } else if (OPT("untrusted")) {
            STACK_OF(X509) *sk = certs_file(v);

            need(cmp_ctx_set1_untrusted(ctx, sk), ctx, o);
            sk_X509_pop_free(sk, X509_free);
        } else if (OPT("recipient") || OPT("subject") || OPT("issuer") || OPT("expect_sender")) {
            X509_NAME *n = dn(v);

            need(OPT("recipient") ? cmp_ctx_set1_recipient(ctx, n)
                 : OPT("subject") ? cmp_ctx_set1_subject(ctx, n)
                 : OPT("issuer")  ? cmp_ctx_set1_issuer(ctx, n)
                                  : cmp_ctx_set1_expect_sender(ctx, n),
                 ctx, o);
            X509_NAME_free(n);
        } else if (OPT("revreason")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_REVREASON, num(v)), ctx, o);
        } else if (OPT("days")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_DAYS, num(v)), ctx, o);
        } else if (OPT("popo")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_POPO, num(v)), ctx, o);
        } else if (OPT("msg_timeout")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_MSG_TIMEOUT, num(v)), ctx, o);
        } else if (OPT("total_timeout")) {
            need(cmp_ctx_set_option(ctx, CMP_OPT_TOTAL_TIMEOUT, num(v)), ctx, o);
        } else if (OPT("infotype")) {
            need(cmp_ctx_set1_infotype(ctx, v), ctx, o);
        } else if (OPT("sans")) {
            need(cmp_ctx_set1_sans(ctx, v), ctx, o);
        } else if (OPT("reqout")) {
            fo.reqout = v;
            use_files = 1;
        } else if (OPT("rspout")) {
            fo.rspout = v;
            use_files = 1;
        } else if (OPT("certout")) {
            certout = v;
        } else {
            die("unknown option", o);
        }
#undef OPT
    }
    if (cmd == NULL || h.server == NULL) {
        die("usage: client_driver --server URL --cmd ir|cr|kur|p10cr|rr|genm [options]", NULL);
    }
    cmp_ctx_set_log_cb(ctx, log_line, NULL, g_verbose ? CMP_LOG_DEBUG : CMP_LOG_INFO);
    t = cmp_transfer_http_new(&h, &err);
    if (t == NULL) {
        fprintf(stderr, "client_driver: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
        return 1;
    }
    if (use_files) {
        t = cmp_transfer_files_new(&fo, t, &err);
        if (t == NULL) {
            fprintf(stderr, "client_driver: %s\n", cmp_err_format(&err, buf, sizeof(buf)));
            return 2;
        }
    }
    cmp_ctx_set0_transfer(ctx, t);
    if (strcmp(cmd, "ir") == 0) {
        ok = cmp_exec_ir(ctx);
    } else if (strcmp(cmd, "cr") == 0) {
        ok = cmp_exec_cr(ctx);
    } else if (strcmp(cmd, "kur") == 0) {
        ok = cmp_exec_kur(ctx);
    } else if (strcmp(cmd, "p10cr") == 0) {
        ok = cmp_exec_p10cr(ctx);
    } else if (strcmp(cmd, "rr") == 0) {
        ok = cmp_exec_rr(ctx);
    } else if (strcmp(cmd, "genm") == 0) {
        ok = cmp_exec_genm(ctx);
    } else {
        die("unknown command", cmd);
        return 2;
    }
    if (!ok) {
        fprintf(stderr, "FAILED: %s\n", cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf)));
        if (cmp_ctx_get_status(ctx) >= 0) {
            printf("STATUS: %s\n", cmp_ctx_status_text(ctx, buf, sizeof(buf)));
        }
    } else {
        X509 *nc = cmp_ctx_get0_newcert(ctx);

        printf("OK\n");
        if (nc != NULL) {
            X509_NAME_oneline(X509_get_subject_name(nc), buf, sizeof(buf));
            printf("NEWCERT: %s\n", buf);
            printf("CHAIN: %d CAPUBS: %d EXTRACERTS: %d\n", sk_X509_num(cmp_ctx_get0_newchain(ctx)),
                   sk_X509_num(cmp_ctx_get0_capubs(ctx)),
                   sk_X509_num(cmp_ctx_get0_extracerts_in(ctx)));
            if (certout != NULL) {
                FILE *f = fopen(certout, "w");

                if (f == NULL || !PEM_write_X509(f, nc)) {
                    die("cannot write", certout);
                }
                fclose(f);
            }
        }
        if (strcmp(cmd, "genm") == 0) {
            printf("GENP ITAVS: %zu\n", cmp_ctx_num_genp_itavs(ctx));
        }
        if (cmp_ctx_get_status(ctx) >= 0) {
            printf("STATUS: %s\n", cmp_ctx_status_text(ctx, buf, sizeof(buf)));
        }
    }
    X509_free(h.tls_cert);
    EVP_PKEY_free(h.tls_key);
    X509_STORE_free(h.tls_trusted);
    cmp_ctx_free(ctx);
    return ok ? 0 : 1;
}
