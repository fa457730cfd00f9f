/*
 * Pass phrases, keys and certificates, loaded as `openssl cmp` loads them:
 * pass phrase arguments as openssl-passphrase-options(1) (plus the bare
 * string that openssl cmp falls back to), and keys and certificates through
 * OSSL_STORE, so that PEM, DER, PKCS#12 and store URIs (file:, a provider's
 * or an engine's URI) all work, with -keyform/-certform as a hint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/* openssl's app_get_pass() reads one line of at most 1023 bytes (BIO_gets, APP_PASS_LEN). */
#define PASS_MAX 1023
#define MAX_STORE_OBJECTS 4096 /* objects read from one source */

/* ---- pass phrases ------------------------------------------------------- */

/* read_line() reads the first line of |fd| (without the newline), as app_get_pass(). */
static int
read_line(int fd, char **out, const char *desc, const char *src, struct cmp_err *err)
{
    char buf[PASS_MAX + 1], c;
    size_t n = 0;
    ssize_t r;
    int newline = 0;

    while (n < PASS_MAX) {
        r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            OPENSSL_cleanse(buf, sizeof(buf));
            return CMP_FAIL(err, CMP_E_IO, "cannot read the %s from %s: %s", desc, src,
                            strerror(errno));
        }
        if (r == 0) {
            break;
        }
        if (c == '\n') {
            newline = 1;
            break;
        }
        buf[n++] = c;
    }
    if (n == 0 && !newline) {
        return CMP_FAIL(err, CMP_E_IO, "cannot read the %s from %s: nothing to read", desc, src);
    }
    buf[n] = '\0';
    *out = strdup(buf);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "%s", desc);
    }
    return 1;
}

/* parse_fd() parses the decimal number of "fd:N" strictly (no atoi()). */
static int
parse_fd(const char *s, int *out)
{
    long v = 0;

    if (*s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > 100000000L) {
            return 0;
        }
        v = v * 10 + (*s - '0');
    }
    *out = (int)v;
    return 1;
}

int
cmp_pass_get(char **out, const char *arg, const char *desc, struct cmp_err *err)
{
    const char *v;
    int fd, ok;

    *out = NULL;
    if (desc == NULL) {
        desc = "pass phrase";
    }
    if (arg == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no source for the %s", desc);
    }
    if (strncmp(arg, "pass:", 5) == 0) {
        v = arg + 5;
    } else if (strncmp(arg, "env:", 4) == 0) {
        v = getenv(arg + 4);
        if (v == NULL) {
            return CMP_FAIL(err, CMP_E_ARG, "%s: no environment variable %s", desc, arg + 4);
        }
    } else if (strncmp(arg, "file:", 5) == 0) {
        fd = open(arg + 5, O_RDONLY);
        if (fd < 0) {
            return CMP_FAIL(err, CMP_E_IO, "%s: cannot open file %s: %s", desc, arg + 5,
                            strerror(errno));
        }
        ok = read_line(fd, out, desc, arg + 5, err);
        close(fd);
        return ok;
    } else if (strncmp(arg, "fd:", 3) == 0) {
        if (!parse_fd(arg + 3, &fd)) {
            return CMP_FAIL(err, CMP_E_ARG, "%s: \"%s\" is not a file descriptor number", desc,
                            arg + 3);
        }
        return read_line(fd, out, desc, arg, err);
    } else if (strcmp(arg, "stdin") == 0) {
        return read_line(STDIN_FILENO, out, desc, "stdin", err);
    } else {
        /*
         * openssl cmp takes an argument that is no pass phrase source as the
         * pass phrase itself ("Trying plain input string (better precede
         * with 'pass:')"), which -secret relies on.
         */
        v = arg;
    }
    *out = strdup(v);
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "%s", desc);
    }
    return 1;
}

void
cmp_pass_free(char *pass)
{
    if (pass == NULL) {
        return;
    }
    OPENSSL_cleanse(pass, strlen(pass));
    free(pass);
}

/* ---- OSSL_STORE --------------------------------------------------------- */

/* Gives the store the pass phrase we were given; never prompts. */
static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pass = u;
    size_t len;

    (void)rwflag;
    if (pass == NULL || size <= 0) {
        return -1;
    }
    len = strlen(pass);
    if (len > (size_t)size) {
        len = (size_t)size;
    }
    memcpy(buf, pass, len);
    return (int)len;
}

struct want {
    int expect;      /* OSSL_STORE_INFO_* to expect, 0 for anything */
    EVP_PKEY **pkey; /* the first (private or public) key, or NULL */
    int public_only;
    STACK_OF(X509) * certs; /* certificates are appended here, or NULL */
    int max_certs;          /* 0: all */
};

static EVP_PKEY *
public_part(const EVP_PKEY *key)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub;
    int len = i2d_PUBKEY(key, &der);

    if (len <= 0) {
        return NULL;
    }
    p = der;
    pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);
    return pub;
}

/* take() keeps what |info| holds if |w| wants it; 0 on an internal failure. */
static int
take(OSSL_STORE_INFO *info, struct want *w, int *num_certs)
{
    int type = OSSL_STORE_INFO_get_type(info);

    if (type == OSSL_STORE_INFO_PKEY && w->pkey != NULL && *w->pkey == NULL) {
        *w->pkey = w->public_only ? public_part(OSSL_STORE_INFO_get0_PKEY(info))
                                  : OSSL_STORE_INFO_get1_PKEY(info);
        return *w->pkey != NULL;
    }
    if (type == OSSL_STORE_INFO_PUBKEY && w->pkey != NULL && *w->pkey == NULL && w->public_only) {
        *w->pkey = OSSL_STORE_INFO_get1_PUBKEY(info);
        return *w->pkey != NULL;
    }
    if (type == OSSL_STORE_INFO_CERT && w->certs != NULL &&
        (w->max_certs == 0 || *num_certs < w->max_certs)) {
        X509 *cert = OSSL_STORE_INFO_get1_CERT(info);

        if (cert == NULL || !sk_X509_push(w->certs, cert)) {
            X509_free(cert);
            return 0;
        }
        (*num_certs)++;
    }
    return 1;
}

static int
done_wanting(const struct want *w, int num_certs)
{
    return (w->pkey == NULL || *w->pkey != NULL) &&
           (w->certs == NULL || (w->max_certs != 0 && num_certs >= w->max_certs));
}

/*
 * A plain path or a file: URI that cannot be opened gets the system's reason
 * ("No such file or directory"), which OSSL_STORE would hide behind
 * "unregistered scheme". Other URIs (a provider's) are left to OSSL_STORE.
 */
static int
file_readable(const char *uri, const char *desc, struct cmp_err *err)
{
    const char *path = uri, *p = uri;
    FILE *f;

    if (strncasecmp(uri, "file:", 5) == 0) {
        path = uri + 5;
        if (strncmp(path, "//", 2) == 0) {
            /* file://[localhost]/path */
            const char *slash = strchr(path + 2, '/');
            path = slash != NULL ? slash : path;
        }
    } else {
        /* scheme ":" (RFC 3986 3.1), unless a file of that name exists */
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
               (p > uri && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))) {
            p++;
        }
        if (p > uri && *p == ':' && access(uri, F_OK) != 0) {
            return 1;
        }
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        return CMP_FAIL(err, CMP_E_IO, "cannot open '%s' (the %s): %s", path, desc,
                        strerror(errno));
    }
    fclose(f);
    return 1;
}

/*
 * store_load() reads |uri| through OSSL_STORE with |pass| for whatever is
 * encrypted, keeping what |w| asks for. |format| is a hint, as in openssl's
 * load_key_certs_crls(): PEM or DER becomes the store's input type.
 */
static int
store_load(const char *uri, int format, const char *pass, const char *desc, struct want *w,
           int *num_certs, struct cmp_err *err)
{
    OSSL_PARAM params[2];
    const OSSL_PARAM *pp = NULL;
    OSSL_STORE_CTX *ctx;
    UI_METHOD *ui;
    int i, ok = 1;

    *num_certs = 0;
    if (uri == NULL || uri[0] == '\0') {
        return CMP_FAIL(err, CMP_E_ARG, "no file or URI for the %s", desc);
    }
    if (strncasecmp(uri, "http://", 7) == 0 || strncasecmp(uri, "https://", 8) == 0) {
        return CMP_FAIL(err, CMP_E_UNSUPPORTED,
                        "cannot load the %s from %s: HTTP is not "
                        "supported for loading",
                        desc, uri);
    }
    if (!file_readable(uri, desc, err)) {
        return 0;
    }
    switch (format) {
    case CMP_FORMAT_PEM:
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_STORE_PARAM_INPUT_TYPE, "PEM", 0);
        params[1] = OSSL_PARAM_construct_end();
        pp = params;
        break;
    case CMP_FORMAT_DER:
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_STORE_PARAM_INPUT_TYPE, "DER", 0);
        params[1] = OSSL_PARAM_construct_end();
        pp = params;
        break;
    case CMP_FORMAT_ANY:
    case CMP_FORMAT_P12:
        break; /* PKCS#12 is recognized by content */
    default:
        return CMP_FAIL(err, CMP_E_ARG, "unknown format %d for the %s", format, desc);
    }
    ui = UI_UTIL_wrap_read_pem_callback(pass_cb, 0);
    if (ui == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot load the %s", desc);
    }
    ctx = OSSL_STORE_open_ex(uri, NULL, NULL, ui, (void *)pass, pp, NULL, NULL);
    if (ctx == NULL) {
        UI_destroy_method(ui);
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot open %s to load the %s", uri, desc);
    }
    if (w->expect != 0 && !OSSL_STORE_expect(ctx, w->expect)) {
        ok = CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot load the %s from %s", desc, uri);
    }
    /* As openssl's loader: a failed item is skipped and loading goes on to the end. */
    for (i = 0; ok && i < MAX_STORE_OBJECTS && !done_wanting(w, *num_certs) && !OSSL_STORE_eof(ctx);
         i++) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(ctx);

        if (info == NULL) {
            continue;
        }
        if (!take(info, w, num_certs)) {
            ok = CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot load the %s from %s", desc, uri);
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(ctx);
    UI_destroy_method(ui);
    if (ok && w->pkey != NULL && *w->pkey == NULL) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "could not read the %s from %s", desc, uri);
    }
    if (ok && w->certs != NULL && *num_certs == 0) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "could not read any certificate (%s) from %s", desc,
                            uri);
    }
    if (ok) {
        ERR_clear_error(); /* what failed on the way did not matter */
    }
    return ok;
}

EVP_PKEY *
cmp_load_key(const char *uri, int format, const char *pass, int public_only, const char *desc,
             struct cmp_err *err)
{
    EVP_PKEY *key = NULL;
    struct want w;
    int n;

    memset(&w, 0, sizeof(w));
    w.expect = public_only ? 0 : OSSL_STORE_INFO_PKEY;
    w.pkey = &key;
    w.public_only = public_only;
    if (!store_load(uri, format, pass, desc != NULL ? desc : "key", &w, &n, err)) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

X509 *
cmp_load_cert(const char *uri, int format, const char *pass, const char *desc, struct cmp_err *err)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    X509 *cert = NULL;
    struct want w;
    int n;

    if (certs == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "certificate");
        return NULL;
    }
    memset(&w, 0, sizeof(w));
    w.expect = OSSL_STORE_INFO_CERT;
    w.certs = certs;
    w.max_certs = 1; /* as openssl's load_cert(): the first one */
    if (store_load(uri, format, pass, desc != NULL ? desc : "certificate", &w, &n, err)) {
        cert = sk_X509_shift(certs);
    }
    sk_X509_pop_free(certs, X509_free);
    return cert;
}

/*
 * next_item() splits a list "separated by commas and/or whitespace" as
 * openssl cmp's next_item() does, with '\' escaping the next character.
 * Returns the item (in place, unescaped) or NULL at the end.
 */
static char *
next_item(char **pos)
{
    char *s = *pos, *item, *d;

    while (*s == ',' || *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    if (*s == '\0') {
        *pos = s;
        return NULL;
    }
    item = s;
    d = s;
    while (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
        if (*s == '\\' && s[1] != '\0') {
            s++;
        }
        *d++ = *s++;
    }
    if (*s != '\0') {
        s++;
    }
    *d = '\0';
    *pos = s;
    return item;
}

int
cmp_load_certs(STACK_OF(X509) * *certs, const char *uris, int format, const char *pass,
               const char *desc, struct cmp_err *err)
{
    STACK_OF(X509) *loaded = sk_X509_new_null();
    char *list, *pos, *item;
    struct want w;
    int n, ok = 1;

    if (desc == NULL) {
        desc = "certificates";
    }
    list = uris != NULL ? strdup(uris) : NULL;
    if (loaded == NULL || list == NULL) {
        sk_X509_free(loaded);
        free(list);
        return uris == NULL ? CMP_FAIL(err, CMP_E_ARG, "no files or URIs for the %s", desc)
                            : CMP_FAIL(err, CMP_E_MEMORY, "%s", desc);
    }
    pos = list;
    item = next_item(&pos);
    if (item == NULL) {
        ok = CMP_FAIL(err, CMP_E_ARG, "no files or URIs for the %s", desc);
    }
    for (; ok && item != NULL; item = next_item(&pos)) {
        memset(&w, 0, sizeof(w));
        w.expect = OSSL_STORE_INFO_CERT;
        w.certs = loaded;
        ok = store_load(item, format, pass, desc, &w, &n, err);
    }
    free(list);
    if (ok && *certs == NULL) {
        *certs = sk_X509_new_null();
        if (*certs == NULL) {
            ok = CMP_FAIL(err, CMP_E_MEMORY, "%s", desc);
        }
    }
    while (ok && sk_X509_num(loaded) > 0) {
        X509 *c = sk_X509_shift(loaded);

        if (!sk_X509_push(*certs, c)) {
            X509_free(c);
            ok = CMP_FAIL(err, CMP_E_MEMORY, "%s", desc);
        }
    }
    sk_X509_pop_free(loaded, X509_free);
    return ok;
}
