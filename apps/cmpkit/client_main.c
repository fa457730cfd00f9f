/*
 * The client mode (-cmd): the client options of `openssl cmp` 3.0 become
 * the settings of a struct cmp_ctx, checked and loaded in the order of
 * openssl cmp's setup_client_ctx(); the transfer is HTTP(S) (-server), the
 * in-process mock server engine (-use_mock_srv) or none, wrapped by the file
 * transfer for -reqout/-rspin/-rspout. Then the command runs -repeat times,
 * printing the server's PKIStatus and saving -certout, -chainout,
 * -extracertsout and -cacertsout as openssl cmp does.
 *
 * Messages: "CMP <level>: <text>", up to -verbosity, on the streams of
 * openssl cmp 3.0 (which scripts rely on): info, notes and warnings on
 * stdout; errors of the setup on stderr, errors during a transaction (the
 * library's log and the error that ended it) on stdout. Exit status 0 on
 * success, 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpkit/client.h"
#include "cmpkit/err.h"
#include "cmpkit/load.h"
#include "cmpkit/server.h"
#include "cmpkit/transfer.h"
#include "opts.h"

/* What the client loaded and set up; freed by cli_cleanup(). */
struct cli {
    struct cmp_opts *o;
    struct cmp_ctx *ctx;
    struct cmp_srv *srv; /* -use_mock_srv */
    int cmd; /* enum cmp_cmd */
    int cert_der; /* -certform DER */
    int keyform;
    STACK_OF(X509) * untrusted;
    /* TLS material, kept until the HTTP transfer has taken its references */
    X509 *tls_cert;
    EVP_PKEY *tls_key;
    STACK_OF(X509) * tls_extra;
    X509_STORE *tls_trusted;
    int in_txn; /* a transaction runs: its errors go to stdout, as openssl cmp 3.0's */
    /* -extra_req: copies of its values (cut into fields) and each request's -certout */
    char *extra_buf[CMP_OPTS_MAX_LIST];
    const char *extra_certout[CMP_MAX_EXTRA_REQUESTS];
    size_t num_extra;
};

/* ---- messages ---- */

/* cli_print() prints "CMP <label>: <text>" (each line of |text|) if |level| is shown. */
static void
cli_print(const struct cli *c, int level, const char *label, const char *text)
{
    FILE *fp = level >= LOG_LVL_WARN || c->in_txn ? stdout : stderr;
    const char *p = text, *nl;

    if (level > c->o->verbosity) {
        return;
    }
    flockfile(fp);
    do {
        nl = strchr(p, '\n');
        fprintf(fp, "CMP %s: %.*s\n", label, nl != NULL ? (int)(nl - p) : (int)strlen(p), p);
        p = nl != NULL ? nl + 1 : NULL;
    } while (p != NULL && *p != '\0');
    fflush(fp);
    funlockfile(fp);
}

/*
 * cli_err() prints "CMP error: |what|: <the error on one line>" (just |what|
 * without an error). Returns 0.
 */
static int
cli_err(const struct cli *c, const char *what, const struct cmp_err *err)
{
    char buf[2048], line[2600];

    if (err != NULL && err->code != CMP_E_NONE) {
        snprintf(line, sizeof(line), "%s: %s", what, cmp_err_format_line(err, buf, sizeof(buf)));
        cli_print(c, LOG_LVL_ERR, "error", line);
    } else {
        cli_print(c, LOG_LVL_ERR, "error", what);
    }
    return 0;
}

static void
ctx_log(void *arg, int level, const char *line)
{
    const struct cli *c = arg;

    cli_print(c, level, app_level_name(level), line);
}

/* ---- loading ---- */

/* get_pass() resolves a pass phrase option; *out NULL if not given. */
static int
get_pass(struct cli *c, char **out, const char *arg, const char *opt)
{
    struct cmp_err err;
    char what[80];

    *out = NULL;
    if (arg == NULL) {
        return 1;
    }
    cmp_err_init(&err);
    if (!cmp_load_pass(out, arg, opt, &err)) {
        snprintf(what, sizeof(what), "cannot get the pass phrase of -%s", opt);
        return cli_err(c, what, &err);
    }
    return 1;
}

static int
load_fail(struct cli *c, const char *opt, const char *value, const struct cmp_err *err)
{
    char what[512];

    snprintf(what, sizeof(what), "cannot load -%s %s", opt, value);
    return cli_err(c, what, err);
}

/* load_certs() loads the list |uris| (with -otherpass) for option |opt|. */
static int
load_certs(struct cli *c, STACK_OF(X509) * *out, const char *uris, const char *opt,
           const char *desc)
{
    struct cmp_err err;
    char *pass = NULL;
    int ok;

    if (!get_pass(c, &pass, c->o->otherpass, "otherpass")) {
        return 0;
    }
    cmp_err_init(&err);
    ok = cmp_load_cert_list(out, uris, pass, desc, &err);
    cmp_load_pass_free(pass);
    return ok ? 1 : load_fail(c, opt, uris, &err);
}

/* load_store() loads the trust anchors |uris| (with -otherpass) for option |opt|. */
static X509_STORE *
load_store(struct cli *c, const char *uris, const char *opt, const char *desc)
{
    struct cmp_err err;
    X509_STORE *store;
    char *pass = NULL;

    if (!get_pass(c, &pass, c->o->otherpass, "otherpass")) {
        return NULL;
    }
    cmp_err_init(&err);
    store = cmp_load_trust_store(uris, pass, c->o->vpm, desc, &err);
    cmp_load_pass_free(pass);
    if (store == NULL) {
        load_fail(c, opt, uris, &err);
    }
    return store;
}

/*
 * no_prompt() is the PEM pass phrase callback of the loaders below: neither a
 * public key nor a CSR is encrypted, and without a callback libcrypto would
 * prompt on the terminal (e.g. when -newkey is an encrypted private key whose
 * -newkeypass is wrong, as openssl cmp, which falls back with the same pass
 * phrase, never does).
 */
static int
no_prompt(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* load_pubkey() reads a public key (PEM or DER SubjectPublicKeyInfo) from a file. */
static EVP_PKEY *
load_pubkey(const char *path)
{
    EVP_PKEY *key = NULL;
    BIO *bio = BIO_new_file(path, "rb");

    if (bio == NULL) {
        return NULL;
    }
    key = PEM_read_bio_PUBKEY(bio, NULL, no_prompt, NULL);
    if (key == NULL && BIO_reset(bio) == 0) {
        key = d2i_PUBKEY_bio(bio, NULL);
    }
    BIO_free(bio);
    return key;
}

/* load_csr() reads a PKCS#10 request (PEM or DER) from a file. */
static X509_REQ *
load_csr(const char *path)
{
    X509_REQ *csr = NULL;
    BIO *bio = BIO_new_file(path, "rb");

    if (bio == NULL) {
        return NULL;
    }
    csr = PEM_read_bio_X509_REQ(bio, NULL, no_prompt, NULL);
    if (csr == NULL && BIO_reset(bio) == 0) {
        csr = d2i_X509_REQ_bio(bio, NULL);
    }
    BIO_free(bio);
    return csr;
}

static int
parse_key_format(struct cli *c, const char *s)
{
    if (s == NULL) {
        c->keyform = CMP_LOAD_FORMAT_ANY;
    } else if (strcasecmp(s, "PEM") == 0) {
        c->keyform = CMP_LOAD_FORMAT_PEM;
    } else if (strcasecmp(s, "DER") == 0) {
        c->keyform = CMP_LOAD_FORMAT_DER;
    } else if (strcasecmp(s, "P12") == 0 || strcasecmp(s, "PKCS12") == 0) {
        c->keyform = CMP_LOAD_FORMAT_P12;
    } else {
        cli_print(c, LOG_LVL_ERR, "error",
                  "unknown or unsupported -keyform; use PEM, DER or P12");
        return 0;
    }
    return 1;
}

/* warn_unknown_types() warns about the attribute types of |text| that cmp_name_parse() skips. */
static void
warn_unknown_types(const struct cli *c, const char *text, const char *opt)
{
    const char *p = text;

    while (*p != '\0') {
        char type[64];
        size_t n = 0;

        if (*p == '/' || *p == '+') {
            p++;
        }
        while (*p != '\0' && *p != '=' && *p != '/' && *p != '+') {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            if (n < sizeof(type) - 1) {
                type[n++] = *p;
            }
            p++;
        }
        type[n] = '\0';
        if (*p == '=') {
            p++;
            if (n > 0 && *p != '\0' && *p != '/' && *p != '+' && OBJ_txt2nid(type) == NID_undef) {
                char line[200];

                snprintf(line, sizeof(line), "skipping unknown %s name attribute \"%s\"", opt,
                         type);
                cli_print(c, LOG_LVL_WARN, "warning", line);
            }
        }
        while (*p != '\0' && *p != '/' && *p != '+') {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            p++;
        }
    }
    ERR_clear_error();
}

/* set_name() parses -|opt| and gives it to |set|; an unset option does nothing. */
static int
set_name(struct cli *c, const char *text, const char *opt,
         int (*set)(struct cmp_ctx *, const X509_NAME *))
{
    struct cmp_err err;
    X509_NAME *name;
    char what[300];
    int ok;

    if (text == NULL) {
        return 1;
    }
    cmp_err_init(&err);
    warn_unknown_types(c, text, opt);
    name = cmp_name_parse(text, &err);
    if (name == NULL) {
        snprintf(what, sizeof(what), "cannot parse -%s '%s'", opt, text);
        return cli_err(c, what, &err);
    }
    ok = set(c->ctx, name);
    X509_NAME_free(name);
    if (!ok) {
        snprintf(what, sizeof(what), "cannot set -%s", opt);
        return cli_err(c, what, cmp_ctx_error(c->ctx));
    }
    return 1;
}

static int
ctx_fail(struct cli *c, const char *what)
{
    return cli_err(c, what, cmp_ctx_error(c->ctx));
}

/* ---- options of openssl cmp 3.2 to 3.6 ---- */

/*
 * -reqout_only (3.5): the client builds and saves its first request and
 * contacts no server, so the options about servers and responses are
 * ignored, with the warnings openssl cmp 3.6 prints.
 */
static int
setup_reqout_only(struct cli *c)
{
    struct cmp_opts *o = c->o;
    static const char ignored[] = "option is ignored since -reqout_only option is given";
    char line[200];

    if (o->server != NULL) {
        snprintf(line, sizeof(line), "-server %s", ignored);
        cli_print(c, LOG_LVL_WARN, "warning", line);
        o->server = NULL;
    }
    if (o->path != NULL) {
        snprintf(line, sizeof(line), "-path %s", ignored);
        cli_print(c, LOG_LVL_WARN, "warning", line);
        o->path = NULL;
    }
    if (o->use_mock_srv) {
        snprintf(line, sizeof(line), "-use_mock_srv %s", ignored);
        cli_print(c, LOG_LVL_WARN, "warning", line);
        o->use_mock_srv = 0;
    }
    if (o->reqout != NULL || o->rspin != NULL || o->rspout != NULL) {
        snprintf(line, sizeof(line), "-reqout, -rspin and -rspout: %s", ignored);
        cli_print(c, LOG_LVL_WARN, "warning", line);
    }
    if (o->reqin != NULL &&
        (!cmp_ctx_set1_reqin(c->ctx, o->reqin) ||
         (o->reqin_new_tid && !cmp_ctx_set_option(c->ctx, CMP_OPT_REQIN_NEW_TID, 1)))) {
        return ctx_fail(c, "cannot set -reqin");
    }
    if (!cmp_ctx_set1_reqout_only(c->ctx, o->reqout_only)) {
        return ctx_fail(c, "cannot set -reqout_only");
    }
    cli_print(c, LOG_LVL_INFO, "info", "will not contact any server");
    return 1;
}

/* Is |url| an https:// one (the scheme in any case, as openssl's URL parser takes it)? */
static int
is_https(const char *url)
{
    return url != NULL && strncasecmp(url, "https://", 8) == 0;
}

/*
 * The options added after openssl cmp 3.0 that shape the rest of the setup:
 * https:// in -server implies -tls_used (3.2); -no_cache_extracerts (3.3);
 * -issuer and -serial name the certificate an rr revokes (3.2), with the
 * checks and warnings of 3.6.
 */
static int
setup_newer_opts(struct cli *c)
{
    struct cmp_opts *o = c->o;

    if (is_https(o->server) && !o->tls_used && o->reqout_only == NULL && !o->use_mock_srv) {
        cli_print(c, LOG_LVL_WARN, "warning", "assuming -tls_used since -server URL indicates HTTPS");
        o->tls_used = 1;
    }
    if (o->no_cache_extracerts &&
        !cmp_ctx_set_option(c->ctx, CMP_OPT_NO_CACHE_EXTRACERTS, 1)) {
        return ctx_fail(c, "cannot set -no_cache_extracerts");
    }
    if (c->cmd != CMP_CMD_RR) {
        if (o->serial != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning", "ignoring -serial for command other than 'rr'");
        }
        return 1;
    }
    if (o->issuer == NULL && o->serial == NULL) {
        if (o->oldcert == NULL && o->csr == NULL) {
            cli_print(c, LOG_LVL_ERR, "error",
                      "missing -oldcert or -issuer and -serial for certificate to be revoked and "
                      "no -csr given");
            return 0;
        }
        if (o->oldcert != NULL && o->csr != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "ignoring -csr since certificate to be revoked is given");
        }
        return 1;
    }
    if (o->issuer == NULL || o->serial == NULL) {
        cli_print(c, LOG_LVL_ERR, "error", "must give both -issuer and -serial options or neither");
        return 0;
    }
    if (o->oldcert != NULL) {
        cli_print(c, LOG_LVL_WARN, "warning",
                  "ignoring -oldcert since -issuer and -serial is given for command 'rr'");
    }
    if (o->csr != NULL) {
        cli_print(c, LOG_LVL_WARN, "warning",
                  "ignoring -csr since -issuer and -serial is given for command 'rr'");
    }
    {
        /* decimal, or hex with 0x, as openssl cmp reads it (s2i_ASN1_INTEGER) */
        ASN1_INTEGER *sno = s2i_ASN1_INTEGER(NULL, o->serial);
        char what[200];
        int ok;

        if (sno == NULL) {
            ERR_clear_error();
            snprintf(what, sizeof(what), "cannot read serial number: '%.100s'", o->serial);
            cli_print(c, LOG_LVL_ERR, "error", what);
            return 0;
        }
        ok = cmp_ctx_set1_serial(c->ctx, sno);
        ASN1_INTEGER_free(sno);
        if (!ok) {
            return ctx_fail(c, "cannot set -serial");
        }
    }
    return 1;
}

/* ---- -verbosity 8: the TLS handshake ---- */

/* The client whose -verbosity 8 wants the handshake traced (one per process). */
static const struct cli *g_tls_trace;

/* tls_trace() prints the handshake's states, alerts and outcome as TRACE lines. */
static void
tls_trace(const SSL *ssl, int where, int ret)
{
    char line[700], subj[256] = "none";
    X509 *peer;

    if (g_tls_trace == NULL) {
        return;
    }
    if (where & SSL_CB_ALERT) {
        snprintf(line, sizeof(line), "TLS alert %s: %s: %s",
                 (where & SSL_CB_READ) ? "received" : "sent", SSL_alert_type_string_long(ret),
                 SSL_alert_desc_string_long(ret));
    } else if (where & SSL_CB_HANDSHAKE_DONE) {
        peer = SSL_get1_peer_certificate(ssl);
        if (peer != NULL) {
            X509_NAME_oneline(X509_get_subject_name(peer), subj, sizeof(subj));
            X509_free(peer);
        }
        snprintf(line, sizeof(line),
                 "TLS handshake done: %s, cipher %s, server certificate %s, verification: %s",
                 SSL_get_version(ssl), SSL_get_cipher_name(ssl), subj,
                 X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
    } else if (where & SSL_CB_EXIT && ret <= 0 && ret != -1) {
        snprintf(line, sizeof(line), "TLS handshake failed in state %s",
                 SSL_state_string_long(ssl));
    } else if (where & SSL_CB_LOOP) {
        snprintf(line, sizeof(line), "TLS %s", SSL_state_string_long(ssl));
    } else {
        return;
    }
    cli_print(g_tls_trace, LOG_LVL_TRACE, app_level_name(LOG_LVL_TRACE), line);
}

/* tls_trace_setup() is the HTTP transfer's TLS hook at -verbosity 8. */
static int
tls_trace_setup(void *arg, void *ssl_ctx)
{
    (void)arg;
    SSL_CTX_set_info_callback(ssl_ctx, tls_trace);
    return 1;
}

/* ---- setup, in the order of openssl cmp's setup_client_ctx() ---- */

static int
parse_cmd(struct cli *c)
{
    if (c->o->cmd == NULL) {
        cli_print(c, LOG_LVL_ERR, "error", "no cmp command to execute");
        return 0;
    }
    c->cmd = cmp_cmd_by_name(c->o->cmd);
    if (c->cmd >= 0) {
        return 1;
    }
    {
        char what[200];

        snprintf(what, sizeof(what), "unknown cmp command '%.100s'", c->o->cmd);
        cli_print(c, LOG_LVL_ERR, "error", what);
    }
    return 0;
}

static int
setup_transfer(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    struct cmp_transfer *t = NULL;
    struct cmp_err err;

    cmp_err_init(&err);
    if (o->reqout_only != NULL) {
        return setup_reqout_only(c);
    }
    if (!o->use_mock_srv && o->rspin == NULL && o->server == NULL) {
        cli_print(c, LOG_LVL_ERR, "error",
                  "missing -server or -use_mock_srv option, or too few -rspin filename "
                  "arguments");
        return 0;
    }
    if (o->server != NULL && o->use_mock_srv) {
        cli_print(c, LOG_LVL_ERR, "error", "cannot use both -server and -use_mock_srv options");
        return 0;
    }
    if ((o->tls_cert != NULL || o->tls_key != NULL || o->tls_keypass != NULL ||
         o->tls_extra != NULL || o->tls_trusted != NULL || o->tls_host != NULL) &&
        !o->tls_used) {
        cli_print(c, LOG_LVL_WARN, "warning", "TLS options(s) given but not -tls_used");
    }
    if (o->use_mock_srv) {
        c->srv = app_mock_srv_new(o);
        if (c->srv == NULL) {
            return 0;
        }
        t = cmp_transfer_inproc_new(c->srv, &err);
        if (t == NULL) {
            return cli_err(c, "cannot set up the mock server transfer", &err);
        }
    } else if (o->server != NULL) {
        struct cmp_http_opts h;

        memset(&h, 0, sizeof(h));
        h.server = o->server;
        h.path = o->path;
        h.proxy = o->proxy;
        h.no_proxy = o->no_proxy;
        h.keep_alive = o->keep_alive;
        h.tls_used = o->tls_used;
        if (o->tls_used) {
            char *pass = NULL;

            /* openssl cmp refuses a TLS key without certificate and vice versa */
            if ((o->tls_cert != NULL || o->tls_key != NULL || o->tls_keypass != NULL) &&
                (o->tls_key == NULL || o->tls_cert == NULL)) {
                cli_print(c, LOG_LVL_ERR, "error",
                          o->tls_key == NULL ? "missing -tls_key option"
                                             : "missing -tls_cert option");
                return 0;
            }
            if (!get_pass(c, &pass, o->tls_keypass, "tls_keypass")) {
                return 0;
            }
            if (o->tls_cert != NULL) {
                c->tls_cert = cmp_load_one_cert(o->tls_cert, pass, "TLS client certificate", &err);
                if (c->tls_cert == NULL) {
                    cmp_load_pass_free(pass);
                    return load_fail(c, "tls_cert", o->tls_cert, &err);
                }
                if (o->tls_key == NULL) {
                    cmp_load_pass_free(pass);
                    cli_print(c, LOG_LVL_ERR, "error", "missing -tls_key option");
                    return 0;
                }
                c->tls_key = cmp_load_private_key(o->tls_key, c->keyform, pass,
                                                  "TLS client private key", &err);
                if (c->tls_key == NULL) {
                    cmp_load_pass_free(pass);
                    return load_fail(c, "tls_key", o->tls_key, &err);
                }
            }
            cmp_load_pass_free(pass);
            if (o->tls_extra != NULL &&
                !load_certs(c, &c->tls_extra, o->tls_extra, "tls_extra",
                            "extra certificates for TLS")) {
                return 0;
            }
            if (o->tls_trusted != NULL) {
                c->tls_trusted =
                    load_store(c, o->tls_trusted, "tls_trusted", "trusted TLS certificates");
                if (c->tls_trusted == NULL) {
                    return 0;
                }
            } else {
                cli_print(c, LOG_LVL_WARN, "warning",
                          "-tls_used given without -tls_trusted; will not authenticate the "
                          "TLS server");
            }
            h.tls_cert = c->tls_cert;
            h.tls_key = c->tls_key;
            h.tls_extra = c->tls_extra;
            h.tls_trusted = c->tls_trusted;
            h.tls_host = o->tls_host;
            if (o->verbosity >= LOG_LVL_TRACE) {
                g_tls_trace = c;
                h.tls_cb = tls_trace_setup;
            }
        }
        t = cmp_transfer_http_new(&h, &err);
        if (t == NULL) {
            return cli_err(c, "cannot set up the HTTP transfer", &err);
        }
    }
    if (o->reqout != NULL || o->rspin != NULL || o->rspout != NULL) {
        struct cmp_file_opts f;

        f.reqout = o->reqout;
        f.rspin = o->rspin;
        f.rspout = o->rspout;
        t = cmp_transfer_files_new(&f, t, &err);
        if (t == NULL) {
            return cli_err(c, "cannot set up -reqout, -rspin or -rspout", &err);
        }
    }
    if (t != NULL) {
        cmp_ctx_set0_transfer(c->ctx, t);
    }
    if (o->reqin != NULL) {
        if (!cmp_ctx_set1_reqin(c->ctx, o->reqin) ||
            (o->reqin_new_tid && !cmp_ctx_set_option(c->ctx, CMP_OPT_REQIN_NEW_TID, 1))) {
            return ctx_fail(c, "cannot set -reqin");
        }
    }
    return 1;
}

static int
setup_verification(struct cli *c)
{
    struct cmp_opts *o = c->o;
    const char *trusted = o->trusted;

    if (o->untrusted != NULL &&
        !load_certs(c, &c->untrusted, o->untrusted, "untrusted", "untrusted certificates")) {
        return 0;
    }
    if (o->srvcert != NULL) {
        struct cmp_err err;
        X509 *srvcert;
        char *pass = NULL;
        int ok;

        if (trusted != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-trusted option is ignored since -srvcert option is present");
            trusted = NULL;
        }
        if (o->recipient != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-recipient option is ignored since -srvcert option is present");
            o->recipient = NULL;
        }
        if (!get_pass(c, &pass, o->otherpass, "otherpass")) {
            return 0;
        }
        cmp_err_init(&err);
        srvcert = cmp_load_one_cert(o->srvcert, pass,
                                    "directly trusted CMP server certificate", &err);
        cmp_load_pass_free(pass);
        if (srvcert == NULL) {
            return load_fail(c, "srvcert", o->srvcert, &err);
        }
        ok = cmp_ctx_set1_srvcert(c->ctx, srvcert);
        X509_free(srvcert);
        if (!ok) {
            return ctx_fail(c, "cannot set -srvcert");
        }
    }
    if (trusted != NULL) {
        X509_STORE *ts = load_store(c, trusted, "trusted", "certs trusted by client");
        int ok;

        if (ts == NULL) {
            return 0;
        }
        ok = cmp_ctx_set1_trusted(c->ctx, ts);
        X509_STORE_free(ts);
        if (!ok) {
            return ctx_fail(c, "cannot set -trusted");
        }
    }
    if (!cmp_ctx_set1_vpm(c->ctx, o->vpm)) {
        return ctx_fail(c, "cannot set the verification options");
    }
    if ((o->ignore_keyusage && !cmp_ctx_set_option(c->ctx, CMP_OPT_IGNORE_KEYUSAGE, 1)) ||
        (o->unprotected_errors && !cmp_ctx_set_option(c->ctx, CMP_OPT_UNPROTECTED_ERRORS, 1))) {
        return ctx_fail(c, "cannot set options");
    }
    if (o->out_trusted != NULL) {
        X509_STORE *ts =
            load_store(c, o->out_trusted, "out_trusted",
                       "trusted certs for verifying newly enrolled cert");
        int ok;

        if (ts == NULL) {
            return 0;
        }
        /* as openssl cmp: any -attime is ignored here, new certs are current anyway */
        X509_VERIFY_PARAM_clear_flags(X509_STORE_get0_param(ts), X509_V_FLAG_USE_CHECK_TIME);
        ok = cmp_ctx_set1_out_trusted(c->ctx, ts);
        X509_STORE_free(ts);
        if (!ok) {
            return ctx_fail(c, "cannot set -out_trusted");
        }
    }
    if ((o->disable_confirm && !cmp_ctx_set_option(c->ctx, CMP_OPT_DISABLE_CONFIRM, 1)) ||
        (o->implicit_confirm && !cmp_ctx_set_option(c->ctx, CMP_OPT_IMPLICIT_CONFIRM, 1))) {
        return ctx_fail(c, "cannot set options");
    }
    if (o->keep_alive != 1) {
        /* given to the HTTP transfer; nothing to do here */
    }
    if (o->total_timeout > 0 && o->msg_timeout > 0 && o->total_timeout < o->msg_timeout) {
        char what[120];

        /* refused, in openssl cmp's words */
        snprintf(what, sizeof(what), "-total_timeout argument = %d must not be < %d (-msg_timeout)",
                 o->total_timeout, o->msg_timeout);
        cli_print(c, LOG_LVL_ERR, "error", what);
        return 0;
    }
    if ((o->msg_timeout >= 0 && !cmp_ctx_set_option(c->ctx, CMP_OPT_MSG_TIMEOUT, o->msg_timeout)) ||
        (o->total_timeout >= 0 &&
         !cmp_ctx_set_option(c->ctx, CMP_OPT_TOTAL_TIMEOUT, o->total_timeout))) {
        return ctx_fail(c, "cannot set the timeouts");
    }
    return 1;
}

/* -pbmac1, -pbmac1_prf, -pbmac1_mac, -mac_iterations, -pvno (cmpkit's own; docs/cmpkit.1). */
static int
set_pbmac1(struct cli *c, const struct cmp_opts *o)
{
    if ((o->pbmac1_prf != NULL || o->pbmac1_mac != NULL) && !o->pbmac1) {
        app_log(o->verbosity, LOG_LVL_WARN,
                "ignoring -pbmac1_prf and -pbmac1_mac since -pbmac1 is not given");
    }
    if (o->pbmac1 && (!cmp_ctx_set_option(c->ctx, CMP_OPT_PBMAC1, 1) ||
                      !cmp_ctx_set1_pbmac1_prf(c->ctx, o->pbmac1_prf) ||
                      !cmp_ctx_set1_pbmac1_mac(c->ctx, o->pbmac1_mac))) {
        return ctx_fail(c, "cannot set -pbmac1");
    }
    if (o->mac_iterations != 0 &&
        !cmp_ctx_set_option(c->ctx, CMP_OPT_PBM_ITERATIONS, o->mac_iterations)) {
        return ctx_fail(c, "cannot set -mac_iterations");
    }
    if (o->pvno != 0 && !cmp_ctx_set_option(c->ctx, CMP_OPT_PVNO, o->pvno)) {
        return ctx_fail(c, "cannot set -pvno (2 or 3)");
    }
    return 1;
}

static int
setup_protection(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!o->unprotected_requests && o->secret == NULL && o->key == NULL) {
        cli_print(c, LOG_LVL_ERR, "error",
                  "must give -key or -secret unless -unprotected_requests is used");
        return 0;
    }
    if (o->ref == NULL && o->cert == NULL && o->subject == NULL) {
        /* cert or subject should determine the sender */
        cli_print(c, LOG_LVL_ERR, "error", "must give -ref if no -cert and no -subject given");
        return 0;
    }
    if (o->secret == NULL && (o->cert == NULL) != (o->key == NULL)) {
        cli_print(c, LOG_LVL_ERR, "error", "must give both -cert and -key options or neither");
        return 0;
    }
    if (o->secret != NULL) {
        if (!cmp_ctx_set1_secret_source(c->ctx, o->secret)) {
            return ctx_fail(c, "cannot get the secret");
        }
        if (o->cert != NULL || o->key != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-cert and -key not used for protection since -secret is given");
        }
    }
    if (o->ref != NULL && !cmp_ctx_set1_ref(c->ctx, (const uint8_t *)o->ref, strlen(o->ref))) {
        return ctx_fail(c, "cannot set -ref");
    }
    if (o->key != NULL) {
        EVP_PKEY *key;
        char *pass = NULL;
        int ok;

        if (!get_pass(c, &pass, o->keypass, "keypass")) {
            return 0;
        }
        key = cmp_load_private_key(o->key, c->keyform, pass,
                                   "private key for CMP client certificate", &err);
        cmp_load_pass_free(pass);
        if (key == NULL) {
            return load_fail(c, "key", o->key, &err);
        }
        ok = cmp_ctx_set1_key(c->ctx, key);
        EVP_PKEY_free(key);
        if (!ok) {
            return ctx_fail(c, "cannot set -key");
        }
    }
    if (o->secret == NULL && o->srvcert == NULL && o->trusted == NULL) {
        cli_print(c, LOG_LVL_WARN, "warning",
                  "will not authenticate server due to missing -secret, -trusted, or -srvcert");
    }
    if (o->cert != NULL) {
        STACK_OF(X509) *certs = NULL;
        char *pass = NULL;
        X509 *cert;
        int ok;

        /* -keypass is needed if -cert is an encrypted PKCS#12 file */
        if (!get_pass(c, &pass, o->keypass, "keypass")) {
            return 0;
        }
        ok = cmp_load_cert_list(&certs, o->cert, pass,
                                "CMP client certificate (optionally with chain)", &err);
        cmp_load_pass_free(pass);
        if (!ok) {
            return load_fail(c, "cert", o->cert, &err);
        }
        cert = sk_X509_shift(certs);
        ok = cert != NULL && cmp_ctx_set1_cert(c->ctx, cert);
        X509_free(cert);
        /* further certificates in the file are added to the untrusted ones */
        while (ok && sk_X509_num(certs) > 0) {
            X509 *x = sk_X509_shift(certs);

            if (c->untrusted == NULL) {
                c->untrusted = sk_X509_new_null();
            }
            if (c->untrusted == NULL || !sk_X509_push(c->untrusted, x)) {
                X509_free(x);
                ok = 0;
            }
        }
        sk_X509_pop_free(certs, X509_free);
        if (!ok) {
            return ctx_fail(c, "cannot set -cert");
        }
        if (o->own_trusted != NULL) {
            X509_STORE *ts = load_store(c, o->own_trusted, "own_trusted",
                                        "trusted certs for verifying own CMP signer cert");

            if (ts == NULL) {
                return 0;
            }
            ok = cmp_ctx_set1_own_trusted(c->ctx, ts);
            X509_STORE_free(ts);
            if (!ok) {
                return ctx_fail(c, "cannot set -own_trusted");
            }
        }
    } else if (o->own_trusted != NULL) {
        cli_print(c, LOG_LVL_WARN, "warning", "-own_trusted option is ignored without -cert");
    }
    if (c->untrusted != NULL && !cmp_ctx_set1_untrusted(c->ctx, c->untrusted)) {
        return ctx_fail(c, "cannot set -untrusted");
    }
    if (o->extracerts != NULL) {
        STACK_OF(X509) *certs = NULL;
        int ok;

        if (!load_certs(c, &certs, o->extracerts, "extracerts",
                        "extra certificates for CMP")) {
            return 0;
        }
        ok = cmp_ctx_set1_extracerts(c->ctx, certs);
        sk_X509_pop_free(certs, X509_free);
        if (!ok) {
            return ctx_fail(c, "cannot set -extracerts");
        }
    }
    if (o->unprotected_requests && !cmp_ctx_set_option(c->ctx, CMP_OPT_UNPROTECTED_SEND, 1)) {
        return ctx_fail(c, "cannot set -unprotected_requests");
    }
    if (o->digest != NULL) {
        char what[200];

        if (OBJ_ln2nid(o->digest) == NID_undef) {
            snprintf(what, sizeof(what), "digest algorithm name not recognized: '%.100s'",
                     o->digest);
            cli_print(c, LOG_LVL_ERR, "error", what);
            return 0;
        }
        if (!cmp_ctx_set1_digest(c->ctx, o->digest)) {
            return ctx_fail(c, "cannot set -digest");
        }
    }
    if (o->mac != NULL) {
        char what[200];

        if (OBJ_ln2nid(o->mac) == NID_undef) {
            snprintf(what, sizeof(what), "MAC algorithm name not recognized: '%.100s'", o->mac);
            cli_print(c, LOG_LVL_ERR, "error", what);
            return 0;
        }
        if (!cmp_ctx_set1_mac(c->ctx, o->mac)) {
            return ctx_fail(c, "cannot set -mac");
        }
    }
    return set_pbmac1(c, o);
}

/* add_ext_section() adds the X.509v3 extensions of config section |section| to |*exts|. */
static int
add_ext_section(struct cli *c, STACK_OF(X509_EXTENSION) * *exts, const char *section,
                const char *desc)
{
    X509V3_CTX v3;
    char what[300];

    memset(&v3, 0, sizeof(v3));
    X509V3_set_ctx(&v3, NULL, NULL, NULL, NULL, 0);
    if (c->o->conf != NULL) {
        X509V3_set_nconf(&v3, c->o->conf);
    }
    if (c->o->conf == NULL || NCONF_get_section(c->o->conf, section) == NULL ||
        !X509V3_EXT_add_nconf_sk(c->o->conf, &v3, section, exts)) {
        ERR_clear_error();
        snprintf(what, sizeof(what), "cannot load %s extension section '%.100s'", desc, section);
        cli_print(c, LOG_LVL_ERR, "error", what);
        return 0;
    }
    return 1;
}

static int
setup_exts(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned char *der = NULL;
    int len, ok;

    if (o->policies != NULL && o->policy_oids != NULL) {
        cli_print(c, LOG_LVL_ERR, "error",
                  "cannot have policies both via -policies and via -policy_oids");
        return 0;
    }
    if (o->reqexts == NULL && o->policies == NULL) {
        return 1;
    }
    exts = sk_X509_EXTENSION_new_null();
    if (exts == NULL) {
        cli_print(c, LOG_LVL_ERR, "error", "out of memory");
        return 0;
    }
    if ((o->reqexts != NULL &&
         !add_ext_section(c, &exts, o->reqexts, "certificate request")) ||
        (o->policies != NULL && !add_ext_section(c, &exts, o->policies, "policy cert request"))) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        return 0;
    }
    if (o->sans != NULL && X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        cli_print(c, LOG_LVL_ERR, "error",
                  "cannot have Subject Alternative Names both via -reqexts and via -sans");
        return 0;
    }
    len = i2d_X509_EXTENSIONS(exts, &der);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (len <= 0) {
        cli_print(c, LOG_LVL_ERR, "error", "cannot encode the requested extensions");
        return 0;
    }
    ok = cmp_ctx_set1_reqexts(c->ctx, der, (size_t)len);
    OPENSSL_free(der);
    return ok ? 1 : ctx_fail(c, "cannot set -reqexts");
}

/* next_item() cuts the list at |s| after its first item (commas and/or whitespace). */
static char *
next_item(char *s)
{
    while (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t' && *s != '\n') {
        s++;
    }
    if (*s == '\0') {
        return NULL;
    }
    *s++ = '\0';
    while (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n') {
        s++;
    }
    return *s != '\0' ? s : NULL;
}

static int
setup_policy_oids(struct cli *c)
{
    char *list, *p, *next;
    int ok = 1;

    if (c->o->policy_oids_critical) {
        if (c->o->policy_oids == NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-opt_policy_oids_critical has no effect unless -policy_oids is given");
        }
        if (!cmp_ctx_set_option(c->ctx, CMP_OPT_POLICIES_CRITICAL, 1)) {
            return ctx_fail(c, "cannot set -policy_oids_critical");
        }
    }
    if (c->o->policy_oids == NULL) {
        return 1;
    }
    list = strdup(c->o->policy_oids);
    if (list == NULL) {
        cli_print(c, LOG_LVL_ERR, "error", "out of memory");
        return 0;
    }
    for (p = list; ok && p != NULL; p = next) {
        next = next_item(p);
        if (*p == '\0') {
            continue;
        }
        if (!cmp_ctx_add1_policy(c->ctx, p)) {
            char what[200];

            snprintf(what, sizeof(what), "unknown policy OID '%.100s'", p);
            ok = cli_err(c, what, NULL);
        }
    }
    free(list);
    return ok;
}

/* load_newkey() loads a key to certify: private (for the POPO), else public. */
static EVP_PKEY *
load_newkey(struct cli *c, const char *path, const char *passarg, const char *opt)
{
    struct cmp_err err;
    EVP_PKEY *key;
    char *pass = NULL;

    if (!get_pass(c, &pass, passarg, strcmp(opt, "newkey") == 0 ? "newkeypass" : opt)) {
        return NULL;
    }
    cmp_err_init(&err);
    key = cmp_load_private_key(path, c->keyform, pass, "new private key for cert to be enrolled",
                               &err);
    cmp_load_pass_free(pass);
    if (key == NULL) {
        ERR_clear_error();
        key = load_pubkey(path);
        ERR_clear_error();
        if (key == NULL) {
            load_fail(c, opt, path, &err);
        }
    }
    return key;
}

static int
setup_newkey(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    EVP_PKEY *key;
    int ok;

    if (o->newkey == NULL) {
        return 1;
    }
    key = load_newkey(c, o->newkey, o->newkeypass, "newkey");
    if (key == NULL) {
        return 0;
    }
    ok = cmp_ctx_set1_newkey(c->ctx, key);
    EVP_PKEY_free(key);
    return ok ? 1 : ctx_fail(c, "cannot set -newkey");
}

/*
 * -centralkeygen and -popo -1, as openssl 3.6's setup_request_ctx(): each
 * implies the other; the key must go somewhere (-newkeyout); another -popo
 * contradicts it. Outside ir/cr/kur they are ignored, with a warning.
 */
static int
setup_centralkeygen(struct cli *c)
{
    struct cmp_opts *o = c->o;
    char what[200];

    if (c->cmd != CMP_CMD_IR && c->cmd != CMP_CMD_CR && c->cmd != CMP_CMD_KUR) {
        if (o->centralkeygen) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-popo -1 or -centralkeygen option is ignored for commands other than "
                      "'ir', 'cr', and 'kur'");
        }
        if (o->newkeyout != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-newkeyout option is ignored for commands other than 'ir', 'cr', and "
                      "'kur'");
        }
        o->centralkeygen = 0;
        return 1;
    }
    if (o->popo == -1 && !o->centralkeygen) {
        cli_print(c, LOG_LVL_INFO, "info", "POPO is disabled, which implies -centralkeygen");
        o->centralkeygen = 1;
    }
    if (!o->centralkeygen) {
        return 1;
    }
    if (o->popo > -1) {
        snprintf(what, sizeof(what), "-popo value %d is inconsistent with -centralkeygen", o->popo);
        cli_print(c, LOG_LVL_ERR, "error", what);
        return 0;
    }
    if (o->newkeyout == NULL) {
        cli_print(c, LOG_LVL_ERR, "error",
                  "-newkeyout not given, nowhere to save centrally generated key");
        return 0;
    }
    o->popo = -1;
    return 1;
}

/*
 * next_field() cuts |*s| at the next |sep| not escaped by '\\' and returns
 * the part before it (NULL at the end); |*s| moves past it.
 */
static char *
next_field(char **s, char sep)
{
    char *start = *s, *p;

    if (start == NULL) {
        return NULL;
    }
    for (p = start; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
        } else if (*p == sep) {
            *p = '\0';
            *s = p + 1;
            return start;
        }
    }
    *s = NULL;
    return start;
}

/*
 * One -extra_req request: "subject=NAME,newkey=KEY,newkeypass=ARG,certout=FILE"
 * (each optional but certout; the others default to the first request's).
 */
static int
setup_one_extra(struct cli *c, char *spec)
{
    const char *subject = NULL, *newkey = NULL, *newkeypass = NULL, *certout = NULL;
    char *rest = spec, *field, what[300];
    X509_NAME *name = NULL;
    EVP_PKEY *key = NULL;
    int ok;

    while ((field = next_field(&rest, ',')) != NULL) {
        char *eq = strchr(field, '=');

        while (*field == ' ') {
            field++;
        }
        if (*field == '\0') {
            continue;
        }
        if (eq == NULL) {
            snprintf(what, sizeof(what), "-extra_req: '%.100s' is not KEY=VALUE", field);
            cli_print(c, LOG_LVL_ERR, "error", what);
            return 0;
        }
        *eq = '\0';
        if (strcmp(field, "subject") == 0) {
            subject = eq + 1;
        } else if (strcmp(field, "newkey") == 0) {
            newkey = eq + 1;
        } else if (strcmp(field, "newkeypass") == 0) {
            newkeypass = eq + 1;
        } else if (strcmp(field, "certout") == 0) {
            certout = eq + 1;
        } else {
            snprintf(what, sizeof(what),
                     "-extra_req: unknown key '%.60s' (subject, newkey, newkeypass, certout)",
                     field);
            cli_print(c, LOG_LVL_ERR, "error", what);
            return 0;
        }
    }
    if (certout == NULL || *certout == '\0') {
        cli_print(c, LOG_LVL_ERR, "error",
                  "-extra_req: certout=FILE missing, nowhere to save that certificate");
        return 0;
    }
    if (c->num_extra >= CMP_MAX_EXTRA_REQUESTS) {
        snprintf(what, sizeof(what), "-extra_req: more than %d further requests",
                 CMP_MAX_EXTRA_REQUESTS);
        cli_print(c, LOG_LVL_ERR, "error", what);
        return 0;
    }
    if (subject != NULL) {
        struct cmp_err err;

        cmp_err_init(&err);
        warn_unknown_types(c, subject, "extra_req subject");
        name = cmp_name_parse(subject, &err);
        if (name == NULL) {
            snprintf(what, sizeof(what), "cannot parse -extra_req subject '%.200s'", subject);
            return cli_err(c, what, &err);
        }
    }
    if (newkey != NULL && (key = load_newkey(c, newkey, newkeypass, "extra_req newkey")) == NULL) {
        X509_NAME_free(name);
        return 0;
    }
    ok = cmp_ctx_add1_request(c->ctx, name, key);
    X509_NAME_free(name);
    EVP_PKEY_free(key);
    if (!ok) {
        return ctx_fail(c, "cannot add -extra_req");
    }
    c->extra_certout[c->num_extra++] = certout;
    return 1;
}

/* -extra_req (cmpkit's own): further CertReqMsgs in the ir/cr, ';' between several. */
static int
setup_extra_reqs(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    int i;

    if (o->extra_req.num == 0) {
        return 1;
    }
    if (c->cmd != CMP_CMD_IR && c->cmd != CMP_CMD_CR) {
        cli_print(c, LOG_LVL_ERR, "error", "-extra_req is only for the ir and cr commands");
        return 0;
    }
    /* the key and the certificate that come encrypted are the first request's only */
    if (o->centralkeygen || o->popo == -1 || o->popo == 2) {
        cli_print(c, LOG_LVL_ERR, "error",
                  o->popo == 2 ? "-extra_req cannot be combined with -popo 2 (encrypted "
                                 "certificate); send those requests in a transaction of their own"
                               : "-extra_req cannot be combined with central key generation "
                                 "(-centralkeygen, -popo -1); send those requests in a "
                                 "transaction of their own");
        return 0;
    }
    for (i = 0; i < o->extra_req.num; i++) {
        size_t n = strlen(o->extra_req.items[i]) + 1;
        char *rest, *spec;

        c->extra_buf[i] = malloc(n);
        if (c->extra_buf[i] == NULL) {
            cli_print(c, LOG_LVL_ERR, "error", "out of memory");
            return 0;
        }
        memcpy(c->extra_buf[i], o->extra_req.items[i], n);
        rest = c->extra_buf[i];
        while ((spec = next_field(&rest, ';')) != NULL) {
            if (*spec != '\0' && !setup_one_extra(c, spec)) {
                return 0;
            }
        }
    }
    return 1;
}

static int
setup_request(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    int enroll = c->cmd == CMP_CMD_IR || c->cmd == CMP_CMD_CR || c->cmd == CMP_CMD_KUR;

    if (!setup_centralkeygen(c)) {
        return 0;
    }
    if (enroll && o->newkey == NULL && o->key == NULL && o->csr == NULL && o->oldcert == NULL &&
        !o->centralkeygen) {
        cli_print(c, LOG_LVL_ERR, "error",
                  "missing -newkey (or -key) to be certified and no -csr, -oldcert, or -cert "
                  "given for fallback public key");
        return 0;
    }
    if (enroll && o->newkey == NULL && o->popo != -1 && o->popo != 0) {
        if (o->csr != NULL) {
            cli_print(c, LOG_LVL_ERR, "error",
                      o->key == NULL
                          ? "no -newkey option given with private key for POPO, -csr option "
                            "only provides public key"
                          : "no -newkey option given with private key for POPO, -csr option "
                            "only provides public key, and -key option superseded by -csr");
            return 0;
        }
        if (o->key == NULL) {
            cli_print(c, LOG_LVL_ERR, "error", "missing -newkey (or -key) option for POPO");
            return 0;
        }
    }
    if (o->certout == NULL && (enroll || c->cmd == CMP_CMD_P10CR)) {
        cli_print(c, LOG_LVL_ERR, "error",
                  "-certout not given, nowhere to save newly enrolled certificate");
        return 0;
    }
    if (!set_name(c, o->subject, "subject", cmp_ctx_set1_subject) ||
        !set_name(c, o->issuer, "issuer", cmp_ctx_set1_issuer)) {
        return 0;
    }
    if (!setup_newkey(c) || !setup_extra_reqs(c)) {
        return 0;
    }
    if (o->days > 0 && !cmp_ctx_set_option(c->ctx, CMP_OPT_DAYS, o->days)) {
        return ctx_fail(c, "could not set requested cert validity period");
    }
    if (!setup_exts(c)) {
        return 0;
    }
    if (o->sans != NULL && !cmp_ctx_set1_sans(c->ctx, o->sans)) {
        return ctx_fail(c, "cannot set -sans");
    }
    if (o->san_nodefault) {
        if (o->sans != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-opt_san_nodefault has no effect when -sans is used");
        }
        if (!cmp_ctx_set_option(c->ctx, CMP_OPT_SAN_NODEFAULT, 1)) {
            return ctx_fail(c, "cannot set -san_nodefault");
        }
    }
    if (!setup_policy_oids(c)) {
        return 0;
    }
    if (o->popo >= -1 && !cmp_ctx_set_option(c->ctx, CMP_OPT_POPO, o->popo)) {
        return ctx_fail(c, "cannot set -popo");
    }
    if (o->csr != NULL) {
        X509_REQ *csr = load_csr(o->csr);
        int ok;

        if (csr == NULL) {
            char what[300];

            ERR_clear_error();
            snprintf(what, sizeof(what), "cannot load PKCS#10 CSR from '%.200s'", o->csr);
            cli_print(c, LOG_LVL_ERR, "error", what);
            return 0;
        }
        ok = cmp_ctx_set1_csr(c->ctx, csr);
        X509_REQ_free(csr);
        if (!ok) {
            return ctx_fail(c, "cannot set -csr");
        }
    }
    if (o->oldcert != NULL) {
        if (c->cmd == CMP_CMD_GENM) {
            cli_print(c, LOG_LVL_WARN, "warning", "-oldcert option is ignored for command 'genm'");
        } else {
            struct cmp_err err;
            char *pass = NULL;
            X509 *oldcert;
            int ok;

            /* -keypass is needed if -oldcert is an encrypted PKCS#12 file */
            if (!get_pass(c, &pass, o->keypass, "keypass")) {
                return 0;
            }
            cmp_err_init(&err);
            oldcert = cmp_load_one_cert(o->oldcert, pass,
                                        c->cmd == CMP_CMD_KUR  ? "certificate to be updated"
                                        : c->cmd == CMP_CMD_RR ? "certificate to be revoked"
                                                           : "reference certificate (oldcert)",
                                        &err);
            cmp_load_pass_free(pass);
            if (oldcert == NULL) {
                return load_fail(c, "oldcert", o->oldcert, &err);
            }
            ok = cmp_ctx_set1_oldcert(c->ctx, oldcert);
            X509_free(oldcert);
            if (!ok) {
                return ctx_fail(c, "cannot set -oldcert");
            }
        }
    }
    if (o->revreason > -1 && !cmp_ctx_set_option(c->ctx, CMP_OPT_REVREASON, o->revreason)) {
        return ctx_fail(c, "cannot set -revreason");
    }
    return 1;
}

/*
 * -geninfo, a list of OID:int:N and OID:str:text (openssl cmp 3.3), then
 * -profile (3.3): both go into the generalInfo of every request, in this
 * order.
 */
static int
setup_geninfo(struct cli *c)
{
    const struct cmp_opts *o = c->o;

    if (o->geninfo != NULL && !cmp_ctx_add1_geninfo_text(c->ctx, o->geninfo)) {
        return ctx_fail(c, "cannot use -geninfo");
    }
    if (o->profile != NULL && !cmp_ctx_set1_profile(c->ctx, o->profile)) {
        return ctx_fail(c, "cannot use -profile");
    }
    return 1;
}

/*
 * contact_url() writes the server's URL as openssl cmp prints it:
 * "http[s]://host:port/path", the port made explicit (80, 443), -path
 * replacing the URL's path, userinfo and fragment dropped.
 */
static void
contact_url(const struct cmp_opts *o, char *buf, size_t len)
{
    const char *s = o->server, *end, *at, *colon, *path;
    int tls = o->tls_used, n_host;

    if (strncasecmp(s, "https://", 8) == 0) {
        s += 8;
        tls = 1;
    } else if (strncasecmp(s, "http://", 7) == 0) {
        s += 7;
    }
    end = s + strcspn(s, "/?#");
    for (at = s; at < end; at++) {
        if (*at == '@') {
            s = at + 1; /* userinfo@ */
        }
    }
    path = *end == '/' ? end + 1 : "";
    if (o->path != NULL) {
        path = o->path[0] == '/' ? o->path + 1 : o->path;
    }
    /* the port: after the last ':' that follows any IPv6 "[...]" */
    colon = NULL;
    for (at = s; at < end; at++) {
        if (*at == ']') {
            colon = NULL;
        } else if (*at == ':') {
            colon = at;
        }
    }
    n_host = (int)((colon != NULL ? colon : end) - s);
    snprintf(buf, len, "http%s://%.*s:%.*s/%.*s", tls ? "s" : "", n_host > 200 ? 200 : n_host, s,
             colon != NULL ? (int)(end - colon - 1) : 3,
             colon != NULL ? colon + 1 : tls ? "443" : "80", (int)strcspn(path, "#"), path);
}

/* say_contact() prints openssl cmp's last line of the setup: whom the client will contact. */
static void
say_contact(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    char url[700], line[900];

    if (o->reqout_only != NULL) {
        return; /* setup_reqout_only() said so */
    }
    if (o->rspin != NULL) {
        cli_print(c, LOG_LVL_INFO, "info", "will not contact any server since -rspin is given");
        return;
    }
    if (o->server == NULL) {
        cli_print(c, LOG_LVL_INFO, "info", "will contact mock server");
        return;
    }
    contact_url(o, url, sizeof(url));
    snprintf(line, sizeof(line), "will contact %s%s%.200s", url,
             o->proxy != NULL && o->proxy[0] != '\0' ? " via " : "",
             o->proxy != NULL ? o->proxy : "");
    cli_print(c, LOG_LVL_INFO, "info", line);
}

static int setup_support(struct cli *c); /* the support messages' options, below */

static int
setup_client(struct cli *c)
{
    const struct cmp_opts *o = c->o;

    if (o->engine != NULL) {
        cli_print(c, LOG_LVL_ERR, "error", "engines are not supported; use -provider");
        return 0;
    }
    if (o->certform == NULL || strcasecmp(o->certform, "PEM") == 0) {
        c->cert_der = 0;
    } else if (strcasecmp(o->certform, "DER") == 0) {
        c->cert_der = 1;
    } else {
        cli_print(c, LOG_LVL_ERR, "error", "unknown -certform; use PEM or DER");
        return 0;
    }
    if (!parse_key_format(c, o->keyform) || !parse_cmd(c) || !setup_newer_opts(c)) {
        return 0;
    }
    if (o->infotype != NULL) {
        if (c->cmd != CMP_CMD_GENM) {
            cli_print(c, LOG_LVL_WARN, "warning", "-infotype option is ignored for commands "
                                                  "other than 'genm'");
        } else if (!cmp_ctx_set1_infotype(c->ctx, o->infotype)) {
            return cli_err(c, "unknown OID name in -infotype option", NULL);
        }
    }
    if (!setup_support(c)) {
        return 0;
    }
    if (!setup_transfer(c) || !setup_verification(c) || !setup_protection(c) ||
        !setup_request(c) || !set_name(c, o->recipient, "recipient", cmp_ctx_set1_recipient) ||
        !set_name(c, o->expect_sender, "expect_sender", cmp_ctx_set1_expect_sender) ||
        !setup_geninfo(c)) {
        return 0;
    }
    if (o->recipient == NULL && o->srvcert == NULL && o->issuer == NULL && o->oldcert == NULL &&
        o->cert == NULL) {
        cli_print(c, LOG_LVL_WARN, "warning",
                  "missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient will be "
                  "set to \"NULL-DN\"");
    }
    say_contact(c);
    return 1;
}

/* ---- results ---- */

/*
 * save_certs() writes |certs| (may be NULL: the file is emptied) to |file|
 * as openssl cmp's save_free_certs() does. Returns 0 on error.
 */
static int
save_certs(struct cli *c, STACK_OF(X509) * certs, const char *file, const char *desc)
{
    char line[600];
    FILE *fp;
    int i, n = sk_X509_num(certs), ok = 1;

    if (file == NULL) {
        return 1;
    }
    if (n < 0) {
        n = 0;
    }
    if (certs != NULL) {
        snprintf(line, sizeof(line), "received %d %s certificate(s), saving to file '%.400s'", n,
                 desc, file);
        cli_print(c, LOG_LVL_INFO, "info", line);
    }
    if (n > 1 && c->cert_der) {
        cli_print(c, LOG_LVL_WARN, "warning", "saving more than one certificate in non-PEM format");
    }
    fp = fopen(file, "wb");
    if (fp == NULL) {
        snprintf(line, sizeof(line), "could not open file '%.400s' for %s %s certificate(s): %s",
                 file, certs == NULL ? "deleting" : "writing", desc, strerror(errno));
        cli_print(c, LOG_LVL_ERR, "error", line);
        return 0;
    }
    for (i = 0; ok && i < n; i++) {
        X509 *x = sk_X509_value(certs, i);

        ok = c->cert_der ? i2d_X509_fp(fp, x) : PEM_write_X509(fp, x);
    }
    if (fclose(fp) != 0) {
        ok = 0;
    }
    if (!ok) {
        snprintf(line, sizeof(line), "cannot write %s certificate to file '%.400s'", desc, file);
        cli_print(c, LOG_LVL_ERR, "error", line);
        return 0;
    }
    return 1;
}

/*
 * -srvcertout (openssl cmp 3.2): the server certificate that verified the
 * signed responses, or, when there is none (MAC-based protection), the
 * file is deleted to say so.
 */
static int
save_srvcert(struct cli *c)
{
    const char *file = c->o->srvcertout;
    X509 *cert = cmp_ctx_get0_validated_srvcert(c->ctx);
    STACK_OF(X509) *one;
    char line[600];
    int ok;

    if (file == NULL) {
        return 1;
    }
    if (cert == NULL) {
        if (unlink(file) != 0 && errno != ENOENT) {
            snprintf(line, sizeof(line),
                     "failed to delete %.400s, which should be done to indicate there is no "
                     "validated server certificate: %s",
                     file, strerror(errno));
            cli_print(c, LOG_LVL_ERR, "error", line);
            return 0;
        }
        return 1;
    }
    one = sk_X509_new_null();
    ok = one != NULL && sk_X509_push(one, cert) && save_certs(c, one, file, "validated server");
    sk_X509_free(one);
    return ok;
}

/*
 * -certout and -chainout. The chain is that of the newly enrolled
 * certificate without it and without the trust anchor (openssl cmp 3.4:
 * also when it was validated with -out_trusted; 3.0 kept the root then).
 * The same file for both gets the certificate followed by its chain
 * (3.4), where 3.0 wrote the chain over the certificate.
 */
static int
save_cert_and_chain(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    X509 *cert = cmp_ctx_get0_newcert(c->ctx);
    STACK_OF(X509) *chain = cmp_ctx_get0_newchain(c->ctx), *all;
    int i, ok;

    if (cert == NULL) {
        return save_certs(c, chain, o->chainout, "chain");
    }
    if (o->certout != NULL && o->chainout != NULL && strcmp(o->certout, o->chainout) == 0) {
        all = sk_X509_new_null();
        ok = all != NULL && sk_X509_push(all, cert);
        for (i = 0; ok && i < sk_X509_num(chain); i++) {
            ok = sk_X509_push(all, sk_X509_value(chain, i)) > 0;
        }
        ok = ok && save_certs(c, all, o->certout, "newly enrolled cert and chain");
        sk_X509_free(all);
        return ok;
    }
    all = sk_X509_new_null();
    ok = all != NULL && sk_X509_push(all, cert) && save_certs(c, all, o->certout, "enrolled");
    sk_X509_free(all);
    return ok && save_certs(c, chain, o->chainout, "chain");
}

/* print_itavs() prints the InfoTypes of the genp as openssl cmp's print_itavs(). */
static void
print_itavs(struct cli *c)
{
    size_t i, n = cmp_ctx_num_genp_itavs(c->ctx);

    if (n == 0) {
        cli_print(c, LOG_LVL_INFO, "info", "genp contains no ITAV");
        return;
    }
    for (i = 0; i < n; i++) {
        const uint8_t *oid, *value;
        size_t oid_len, value_len;
        unsigned char tlv[2 + 127];
        const unsigned char *p = tlv;
        ASN1_OBJECT *obj = NULL;
        char name[128], line[200];

        if (!cmp_ctx_get0_genp_itav(c->ctx, i, &oid, &oid_len, &value, &value_len)) {
            continue;
        }
        if (oid_len > 0 && oid_len <= 127) {
            tlv[0] = V_ASN1_OBJECT;
            tlv[1] = (unsigned char)oid_len;
            memcpy(tlv + 2, oid, oid_len);
            obj = d2i_ASN1_OBJECT(NULL, &p, (long)(2 + oid_len));
        }
        if (obj == NULL || OBJ_obj2txt(name, sizeof(name), obj, 0) <= 0) {
            ERR_clear_error();
            cli_print(c, LOG_LVL_ERR, "error", "could not get ITAV details");
        } else {
            snprintf(line, sizeof(line), "genp contains ITAV of type: %s", name);
            cli_print(c, LOG_LVL_INFO, "info", line);
        }
        ASN1_OBJECT_free(obj);
    }
}

/* print_status() prints the PKIStatusInfo received, as openssl cmp's print_status(). */
static void
print_status(struct cli *c, int status)
{
    char text[1024], line[1400];
    const char *from = c->o->server != NULL ? " from " : "";
    const char *server = c->o->server != NULL ? c->o->server : "";

    snprintf(line, sizeof(line), "received%s%.300s %s", from, server,
             cmp_ctx_status_text(c->ctx, text, sizeof(text)));
    if (status == 0) {
        cli_print(c, LOG_LVL_INFO, "info", line);
    } else if (status == 2) {
        cli_print(c, LOG_LVL_ERR, "server error", line);
    } else if (status == 3) {
        cli_print(c, LOG_LVL_ERR, "internal error", line);
    } else {
        cli_print(c, LOG_LVL_WARN, "warning", line);
    }
}

/* ---- support messages: genm with -infotype caCerts, rootCaCert, certReqTemplate,
 * crlStatusList (openssl 3.6's do_genm()) ---- */

enum support {
    SUP_NONE,
    SUP_CA_CERTS,
    SUP_ROOT_CA_CERT,
    SUP_CERT_REQ_TEMPLATE,
    SUP_CRL_STATUS_LIST
};

/* support_type() is the support message that -cmd genm -infotype asks for, or SUP_NONE. */
static int
support_type(const struct cli *c)
{
    static const struct {
        const char *name;
        int type;
    } types[] = {{"caCerts", SUP_CA_CERTS},
                 {"rootCaCert", SUP_ROOT_CA_CERT},
                 {"certReqTemplate", SUP_CERT_REQ_TEMPLATE},
                 {"crlStatusList", SUP_CRL_STATUS_LIST}};
    const char *name = c->o->infotype;
    size_t i;

    if (c->cmd != CMP_CMD_GENM || name == NULL) {
        return SUP_NONE;
    }
    if (strncmp(name, "id-it-", 6) == 0) {
        name += 6;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(name, types[i].name) == 0) {
            return types[i].type;
        }
    }
    return SUP_NONE;
}

/* The options of the support messages: -crlform, and warnings for those that do not apply. */
static int
setup_support(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    int type = support_type(c);
    char line[200];

    if (o->crlform != NULL && strcasecmp(o->crlform, "PEM") != 0 &&
        strcasecmp(o->crlform, "DER") != 0) {
        snprintf(line, sizeof(line), "unknown -crlform '%.100s'; use PEM or DER", o->crlform);
        return cli_err(c, line, NULL);
    }
    if (type != SUP_ROOT_CA_CERT) {
        const char *opts[] = {o->oldwithold, o->newwithnew, o->newwithold, o->oldwithnew};
        const char *names[] = {"oldwithold", "newwithnew", "newwithold", "oldwithnew"};
        size_t i;

        for (i = 0; i < 4; i++) {
            if (opts[i] != NULL) {
                snprintf(line, sizeof(line),
                         "-%s option is ignored unless -cmd 'genm' and -infotype rootCaCert is "
                         "given",
                         names[i]);
                cli_print(c, LOG_LVL_WARN, "warning", line);
            }
        }
    }
    if (type != SUP_CERT_REQ_TEMPLATE) {
        if (o->template != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-template option is ignored unless -cmd 'genm' and -infotype "
                      "certReqTemplate is given");
        }
        if (o->keyspec != NULL) {
            cli_print(c, LOG_LVL_WARN, "warning",
                      "-keyspec option is ignored unless -cmd 'genm' and -infotype "
                      "certReqTemplate is given");
        }
    } else if (o->template == NULL) {
        /* openssl 3.6 says so here, sends the genm, then fails to save the template */
        return cli_err(c, "missing -template option for genm with -infotype certReqTemplate", NULL);
    }
    if (type != SUP_CRL_STATUS_LIST &&
        (o->crlcert != NULL || o->oldcrl != NULL || o->crlout != NULL)) {
        cli_print(c, LOG_LVL_WARN, "warning",
                  "-crlcert, -oldcrl and -crlout are ignored unless -cmd 'genm' and -infotype "
                  "crlStatusList is given");
    }
    return 1;
}

/* delete_file() removes |file| (if given) to say there is no |desc|. */
static int
delete_file(const struct cli *c, const char *file, const char *desc)
{
    char line[600];

    if (file == NULL || unlink(file) == 0 || errno == ENOENT) {
        return 1;
    }
    snprintf(line, sizeof(line), "cannot delete '%.400s' to indicate there is no %s: %s", file,
             desc, strerror(errno));
    cli_print(c, LOG_LVL_ERR, "error", line);
    return 0;
}

/* save_cert_or_delete() saves |cert| to |file| (if given), or deletes the file without one. */
static int
save_cert_or_delete(struct cli *c, X509 *cert, const char *file, const char *desc)
{
    STACK_OF(X509) * one;
    char what[120];
    int ok;

    if (file == NULL) {
        return 1;
    }
    if (cert == NULL) {
        snprintf(what, sizeof(what), "%s certificate", desc);
        return delete_file(c, file, what);
    }
    one = sk_X509_new_null();
    ok = one != NULL && sk_X509_push(one, cert) && save_certs(c, one, file, desc);
    sk_X509_free(one);
    return ok;
}

/* save_one() writes one enrolled certificate to |file|. */
static int
save_one(struct cli *c, X509 *cert, const char *file)
{
    STACK_OF(X509) *one = sk_X509_new_null();
    int ok = one != NULL && sk_X509_push(one, cert) && save_certs(c, one, file, "enrolled");

    sk_X509_free(one);
    return ok;
}

/* save_der() writes |len| bytes to |file|. */
static int
save_der(struct cli *c, const char *file, const uint8_t *der, size_t len, const char *desc)
{
    char line[600];
    FILE *fp = fopen(file, "wb");
    int ok = fp != NULL && fwrite(der, 1, len, fp) == len;

    if (fp != NULL && fclose(fp) != 0) {
        ok = 0;
    }
    if (!ok) {
        snprintf(line, sizeof(line), "cannot save the %s to '%.400s': %s", desc, file,
                 strerror(errno));
        cli_print(c, LOG_LVL_ERR, "error", line);
        return 0;
    }
    snprintf(line, sizeof(line), "stored the %s from genp in '%.400s'", desc, file);
    cli_print(c, LOG_LVL_INFO, "info", line);
    return 1;
}

/* load_opt_cert() loads the certificate of -|opt| with -otherpass. */
static X509 *
load_opt_cert(struct cli *c, const char *uri, const char *opt, const char *desc)
{
    struct cmp_err err;
    char *pass = NULL;
    X509 *x;

    if (!get_pass(c, &pass, c->o->otherpass, "otherpass")) {
        return NULL;
    }
    cmp_err_init(&err);
    x = cmp_load_one_cert(uri, pass, desc, &err);
    cmp_load_pass_free(pass);
    if (x == NULL) {
        load_fail(c, opt, uri, &err);
    }
    return x;
}

static int
support_ca_certs(struct cli *c)
{
    STACK_OF(X509) *certs = NULL;
    int ok;

    if (c->o->cacertsout == NULL) {
        return cli_err(c, "missing -cacertsout option for -infotype caCerts", NULL);
    }
    if (!cmp_get1_ca_certs(c->ctx, &certs)) {
        return cli_err(c, "getting CA certificates (genm with caCerts) failed",
                       cmp_ctx_error(c->ctx));
    }
    if (certs == NULL) {
        cli_print(c, LOG_LVL_WARN, "warning", "no CA certificates provided by the server");
        return 1;
    }
    ok = save_certs(c, certs, c->o->cacertsout, "CA");
    sk_X509_pop_free(certs, X509_free);
    return ok;
}

static int
support_root_ca_cert(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    X509 *old = NULL, *nwn = NULL, *nwo = NULL, *own = NULL;
    int ok = 0;

    if (o->newwithnew == NULL) {
        return cli_err(c, "missing -newwithnew option for -infotype rootCaCert", NULL);
    }
    if (o->oldwithold == NULL) {
        cli_print(c, LOG_LVL_WARN, "warning",
                  "no -oldwithold given: the -trusted certificates are the trust anchors for "
                  "the newWithNew certificate");
    } else if ((old = load_opt_cert(c, o->oldwithold, "oldwithold",
                                    "OldWithOld cert for genm with -infotype rootCaCert")) ==
               NULL) {
        return 0;
    }
    if (!cmp_get1_root_ca_update(c->ctx, old, &nwn, &nwo, &own)) {
        cli_err(c, "getting a root CA certificate update (genm with rootCaCert) failed",
                cmp_ctx_error(c->ctx));
        goto end;
    }
    if (nwn == NULL) {
        cli_print(c, LOG_LVL_INFO, "info", "no root CA certificate update available");
    }
    ok = save_cert_or_delete(c, nwn, o->newwithnew, "NewWithNew cert from genp") &&
         save_cert_or_delete(c, nwo, o->newwithold, "NewWithOld cert from genp") &&
         save_cert_or_delete(c, own, o->oldwithnew, "OldWithNew cert from genp");
end:
    X509_free(old);
    X509_free(nwn);
    X509_free(nwo);
    X509_free(own);
    return ok;
}

static int
support_crl_status_list(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    X509 *cert = NULL;
    X509_CRL *old = NULL, *crl = NULL;
    struct cmp_err err;
    int ok = 0;

    if (o->oldcrl == NULL && o->crlcert == NULL) {
        return cli_err(c, "missing -oldcrl and no -crlcert given for -infotype crlStatusList",
                       NULL);
    }
    if (o->crlout == NULL) {
        return cli_err(c, "missing -crlout for -infotype crlStatusList", NULL);
    }
    if (o->crlcert != NULL &&
        (cert = load_opt_cert(c, o->crlcert, "crlcert",
                              "cert for genm with -infotype crlStatusList")) == NULL) {
        return 0;
    }
    cmp_err_init(&err);
    if (o->oldcrl != NULL &&
        (old = cmp_load_crl(o->oldcrl, "CRL for genm with -infotype crlStatusList", &err)) ==
            NULL) {
        load_fail(c, "oldcrl", o->oldcrl, &err);
        goto end;
    }
    if (cert != NULL && old != NULL &&
        X509_NAME_cmp(X509_CRL_get_issuer(old), X509_get_issuer_name(cert)) != 0) {
        cli_print(c, LOG_LVL_WARN, "warning", "-oldcrl and -crlcert have different issuers");
    }
    if (!cmp_get1_crl_update(c->ctx, cert, old, &crl)) {
        cli_err(c, "getting a CRL update (genm with crlStatusList) failed", cmp_ctx_error(c->ctx));
        goto end;
    }
    if (crl == NULL) {
        cli_print(c, LOG_LVL_INFO, "info", "no CRL update available");
        ok = delete_file(c, o->crlout, "CRL from genp of type 'crls'");
    } else {
        BIO *bio = BIO_new_file(o->crlout, "wb");
        char line[600];

        ok = bio != NULL && (o->crlform != NULL && strcasecmp(o->crlform, "PEM") == 0
                                 ? PEM_write_bio_X509_CRL(bio, crl)
                                 : i2d_X509_CRL_bio(bio, crl));
        BIO_free(bio);
        snprintf(line, sizeof(line),
                 ok ? "received CRL from genp, saved to file '%.400s'"
                    : "cannot write the CRL from genp to file '%.400s'",
                 o->crlout);
        cli_print(c, ok ? LOG_LVL_INFO : LOG_LVL_ERR, ok ? "info" : "error", line);
    }
end:
    X509_free(cert);
    X509_CRL_free(old);
    X509_CRL_free(crl);
    return ok;
}

static int
support_cert_req_template(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    uint8_t *tmpl = NULL, *key_spec = NULL;
    size_t tmpl_len = 0, key_spec_len = 0;
    int ok = 0;

    if (!cmp_get1_cert_req_template(c->ctx, &tmpl, &tmpl_len, &key_spec, &key_spec_len)) {
        return cli_err(c,
                       "getting a certificate request template (genm with certReqTemplate) "
                       "failed",
                       cmp_ctx_error(c->ctx));
    }
    if (tmpl == NULL) {
        cli_print(c, LOG_LVL_WARN, "warning", "no certificate request template available");
        return delete_file(c, o->template, "certTemplate from genp") &&
               delete_file(c, o->keyspec, "keySpec from genp");
    }
    if (!save_der(c, o->template, tmpl, tmpl_len, "certTemplate")) {
        goto end;
    }
    if (o->keyspec != NULL) {
        if (key_spec == NULL) {
            cli_print(c, LOG_LVL_WARN, "warning", "no key specifications available");
            ok = delete_file(c, o->keyspec, "keySpec from genp");
            goto end;
        }
        if (!save_der(c, o->keyspec, key_spec, key_spec_len, "keySpec")) {
            goto end;
        }
    }
    ok = 1;
end:
    free(tmpl);
    free(key_spec);
    return ok;
}

/* run_support() runs the genm of support message |type| and saves what it got. */
static int
run_support(struct cli *c, int type)
{
    switch (type) {
    case SUP_CA_CERTS:
        return support_ca_certs(c);
    case SUP_ROOT_CA_CERT:
        return support_root_ca_cert(c);
    case SUP_CRL_STATUS_LIST:
        return support_crl_status_list(c);
    case SUP_CERT_REQ_TEMPLATE:
        return support_cert_req_template(c);
    default:
        return 0;
    }
}

/*
 * -newkeyout: the centrally generated key in PEM (PKCS #8), encrypted with
 * AES-256-CBC under -newkeypass if given, in a file only its owner may read
 * (as openssl 3.6).
 */
static int
save_central_key(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    EVP_PKEY *key = cmp_ctx_get0_central_key(c->ctx);
    EVP_CIPHER *cipher = NULL;
    char *pass = NULL, line[600];
    FILE *fp = NULL;
    int fd, ok = 0;

    if (!o->centralkeygen || o->newkeyout == NULL) {
        return 1;
    }
    if (key == NULL) {
        cli_print(c, LOG_LVL_ERR, "error", "no centrally generated key received");
        return 0;
    }
    if (o->newkeypass != NULL) {
        if (!get_pass(c, &pass, o->newkeypass, "newkeypass")) {
            return 0;
        }
        cipher = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
        if (cipher == NULL) {
            goto done;
        }
    }
    snprintf(line, sizeof(line), "saving centrally generated key to file '%.400s'", o->newkeyout);
    cli_print(c, LOG_LVL_INFO, "info", line);
    fd = open(o->newkeyout, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fp == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        snprintf(line, sizeof(line), "could not open file '%.400s' for writing: %s", o->newkeyout,
                 strerror(errno));
        cli_print(c, LOG_LVL_ERR, "error", line);
        goto done;
    }
    ok = PEM_write_PrivateKey(fp, key, cipher, NULL, 0, NULL, pass) > 0;
    if (fclose(fp) != 0) {
        ok = 0;
    }
done:
    if (!ok) {
        snprintf(line, sizeof(line), "cannot write the centrally generated key to '%.400s'",
                 o->newkeyout);
        cli_print(c, LOG_LVL_ERR, "error", line);
    }
    cmp_load_pass_free(pass);
    EVP_CIPHER_free(cipher);
    return ok;
}

/*
 * print_txn_error() prints why the transaction failed, on one line: where
 * (the frames, outermost first) and the cause, as cmp_err_format_line().
 */
static void
print_txn_error(const struct cli *c)
{
    char buf[2048];

    cli_print(c, LOG_LVL_ERR, "error",
              cmp_err_format_line(cmp_ctx_error(c->ctx), buf, sizeof(buf)));
}

/*
 * save_results() prints the answer to each certificate request of a
 * message with several (-extra_req) and saves the further requests'
 * certificates to their certout files.
 */
static int
save_results(struct cli *c)
{
    size_t i, n = cmp_ctx_num_cert_results(c->ctx);
    int ok = 1;

    for (i = 0; i < n; i++) {
        char line[1200];
        const char *text = NULL;
        int64_t id = 0;
        int status = -1;
        X509 *cert = NULL;

        if (!cmp_ctx_get0_cert_result(c->ctx, i, &id, &status, NULL, &cert, &text)) {
            continue;
        }
        snprintf(line, sizeof(line), "certReqId %lld: %s%s", (long long)id,
                 cert != NULL ? "" : "no certificate: ", text);
        cli_print(c, cert != NULL ? LOG_LVL_INFO : LOG_LVL_ERR, cert != NULL ? "info" : "error",
                  line);
        if (i > 0 && i - 1 < c->num_extra && cert != NULL &&
            !save_one(c, cert, c->extra_certout[i - 1])) {
            ok = 0;
        }
    }
    return ok;
}

/* run_once() runs one transaction and saves its results. Returns 1 on success. */
static int
run_once(struct cli *c)
{
    const struct cmp_opts *o = c->o;
    int support = support_type(c);
    int ok, status;

    c->in_txn = 1;
    ok = support != SUP_NONE ? run_support(c, support) : cmp_exec(c->ctx, c->cmd);
    status = cmp_ctx_get_status(c->ctx);
    /*
     * As openssl cmp: the PKIStatus received first, then what failed, so
     * that the last line is the reason. A 'waiting' left over from polling
     * that ran out of time is no status to report: the error says it.
     */
    if (status >= 0 && !(status == 3 /* waiting */ && !ok)) {
        print_status(c, status);
    }
    if (!ok && support == SUP_NONE) { /* run_support() says what failed */
        print_txn_error(c);
    }
    c->in_txn = 0;
    /*
     * The library's error record said what failed; what libssl and libcrypto
     * left on their queue on the way (a TLS alert, "shutdown while in init")
     * would only repeat it in raw codes at exit.
     */
    ERR_clear_error();
    if (ok && cmp_ctx_reqout_only_done(c->ctx)) {
        return 1; /* -reqout_only: the request is saved, nothing was received */
    }
    if (status < 0 && c->cmd != CMP_CMD_GENM) {
        return 0; /* we got no response, maybe did not even send a request */
    }
    if (ok && c->cmd == CMP_CMD_GENM && support == SUP_NONE) {
        print_itavs(c);
    }
    if ((status >= 0 || ok) && !save_srvcert(c)) {
        ok = 0;
    }
    if (status >= 0 || ok) {
        STACK_OF(X509) *extra = cmp_ctx_get0_extracerts_in(c->ctx);
        STACK_OF(X509) *empty = NULL;

        if (extra == NULL && o->extracertsout != NULL) {
            empty = sk_X509_new_null();
            extra = empty;
        }
        if (!save_certs(c, extra, o->extracertsout, "extra")) {
            ok = 0;
        }
        sk_X509_free(empty);
    }
    if (cmp_ctx_num_cert_results(c->ctx) > 1 && !save_results(c)) {
        ok = 0;
    }
    if (!ok) {
        /* Several requests, some granted: those certificates are confirmed and saved all the same. */
        if (cmp_ctx_num_cert_results(c->ctx) > 1 && cmp_ctx_get0_newcert(c->ctx) != NULL) {
            save_one(c, cmp_ctx_get0_newcert(c->ctx), o->certout);
        }
        return 0;
    }
    if (support != SUP_NONE) {
        return 1; /* run_support() saved what it got */
    }
    if (!save_certs(c, cmp_ctx_get0_capubs(c->ctx), o->cacertsout, "CA")) {
        return 0;
    }
    return save_cert_and_chain(c) && save_central_key(c);
}

static void
cli_cleanup(struct cli *c)
{
    int i;

    cmp_ctx_free(c->ctx);
    cmp_srv_free(c->srv);
    sk_X509_pop_free(c->untrusted, X509_free);
    X509_free(c->tls_cert);
    EVP_PKEY_free(c->tls_key);
    sk_X509_pop_free(c->tls_extra, X509_free);
    X509_STORE_free(c->tls_trusted);
    for (i = 0; i < CMP_OPTS_MAX_LIST; i++) {
        free(c->extra_buf[i]);
    }
}

int
cmp_client_main(struct cmp_opts *o)
{
    struct cli c;
    int i, ret = 1;

    memset(&c, 0, sizeof(c));
    c.o = o;
    c.ctx = cmp_ctx_new();
    if (c.ctx == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return 1;
    }
    cmp_ctx_set_log_cb(c.ctx, ctx_log, &c, o->verbosity);
    if (!setup_client(&c)) {
        cli_print(&c, LOG_LVL_ERR, "error", "cannot set up CMP context");
        goto end;
    }
    for (i = 0; i < o->repeat; i++) {
        if (!run_once(&c)) {
            goto end;
        }
    }
    ret = 0;
end:
    cli_cleanup(&c);
    app_print_ssl_errors();
    return ret;
}
