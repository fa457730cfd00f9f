/*
 * Pass phrases, keys and certificates, loaded as `openssl cmp` loads them:
 * pass phrase arguments as openssl-passphrase-options(1) (plus the bare
 * string that openssl cmp falls back to), and keys and certificates through
 * OSSL_STORE, so that PEM, DER, PKCS#12 and store URIs (file:, a provider's
 * or an engine's URI) all work, with -keyform/-certform as a hint. Plain
 * files of unencrypted PEM or DER items take a shorter way to the same result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/* openssl's app_get_pass() reads one line of at most 1023 bytes (BIO_gets, APP_PASS_LEN). */
#define PASS_MAX 1023
#define MAX_STORE_OBJECTS 4096    /* objects read from one source */
#define MAX_FAST_FILE (16L << 20) /* larger files are left to OSSL_STORE */

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

/* ---- a shorter way for plain files -------------------------------------- */

/*
 * OSSL_STORE is costly in OpenSSL 3.0: each OSSL_STORE_open() sets up the
 * decoders of every key type. Loading two EC P-256 certificates and a
 * PKCS#8 key from PEM files costs 15.5M instructions through it and 10.2M
 * here (callgrind), much of a client's start. fast_load() reads a regular
 * file of certificates and unencrypted PKCS#8 or SubjectPublicKeyInfo keys,
 * PEM or DER, and decodes each item as OSSL_STORE would. Anything else
 * (encrypted or traditional keys, PKCS#12, PEM headers, other PEM types, an
 * item the caller does not want, something that does not decode) makes it
 * give up without a trace, and store_load() goes through OSSL_STORE, whose
 * results, errors and pass phrase handling stay what they were.
 */

enum item { ITEM_NONE, ITEM_CERT, ITEM_CERT_AUX, ITEM_PKCS8, ITEM_SPKI };

/*
 * fast_file() is the path that OSSL_STORE's file: loader (OpenSSL 3.0
 * file_open()) opens for |uri|, or NULL where it may open another file or
 * none: a URI with an authority ("scheme://") other than file:/// or
 * file://localhost/, a file: URI with a relative path (RFC 8089: an error),
 * or one that also names an existing file, which the loader tries first.
 */
static const char *
fast_file(const char *uri)
{
    const char *p;

    if (strncasecmp(uri, "file:", 5) != 0) {
        return strstr(uri, "://") == NULL ? uri : NULL;
    }
    if (access(uri, F_OK) == 0) {
        return NULL;
    }
    p = uri + 5;
    if (strncmp(p, "//", 2) == 0) {
        p += 2;
        if (strncasecmp(p, "localhost/", 10) == 0) {
            p += 9;
        }
    }
    return p[0] == '/' ? p : NULL;
}

/*
 * read_regular() reads all of |path| if it is a regular file of at most
 * MAX_FAST_FILE bytes. A FIFO (read once) or a directory (OSSL_STORE lists
 * it) is left to OSSL_STORE. Free with OPENSSL_clear_free(): it may hold a
 * private key.
 */
static uint8_t *
read_regular(const char *path, size_t *out_len)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t len = 0, n = 0;
    ssize_t r = 1;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= MAX_FAST_FILE) {
        len = (size_t)st.st_size;
        buf = OPENSSL_malloc(len + 1); /* one more byte tells that the file grew */
    }
    while (buf != NULL && r != 0 && n <= len) {
        r = read(fd, buf + n, len + 1 - n);
        if (r < 0 && errno != EINTR) {
            break;
        }
        n += r > 0 ? (size_t)r : 0;
    }
    close(fd);
    if (buf != NULL && (r != 0 || n != len)) {
        OPENSSL_clear_free(buf, len + 1);
        return NULL;
    }
    *out_len = len;
    return buf;
}

/*
 * is_text() tells a PEM file, all text, from one with binary parts: DER
 * there (certificates and keys hold INTEGER or OID tags, 0x02 and 0x06)
 * might be found by OSSL_STORE, which tries its DER decoders too.
 */
static int
is_text(const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
            return 0;
        }
    }
    return 1;
}

/* has_pem_begin(): PEM in a DER file might be found by OSSL_STORE, which tries its PEM decoder too.
 */
static int
has_pem_begin(const uint8_t *p, size_t len)
{
    static const char begin[] = "-----BEGIN";
    size_t i;

    for (i = 0; i + sizeof(begin) - 1 <= len; i++) {
        if (memcmp(p + i, begin, sizeof(begin) - 1) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * decode_cert() decodes exactly one certificate. OSSL_STORE reads a PEM
 * block with d2i_X509_AUX() (trust settings may follow, whatever the PEM
 * name) but reads a DER file one TLV at a time, hence |aux|.
 */
static X509 *
decode_cert(const unsigned char *der, long len, int aux)
{
    const unsigned char *p = der;
    X509 *cert = aux ? d2i_X509_AUX(NULL, &p, len) : d2i_X509(NULL, &p, len);

    if (cert != NULL && p != der + len) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

/*
 * decode_pkcs8() decodes exactly one unencrypted PKCS#8 PrivateKeyInfo, as
 * OSSL_STORE does. EVP_PKCS82PKEY() in OpenSSL 3.0 sets up the decoders of
 * every key type (callgrind: 4.4M instructions for an EC P-256 key, against
 * 1.1M with the type named). Only EC is named, and a key that then is not
 * plain EC (SM2 keys share its OID) is decoded again the general way.
 */
static EVP_PKEY *
decode_pkcs8(const unsigned char *der, long len)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
    const ASN1_OBJECT *alg = NULL;
    OSSL_DECODER_CTX *dctx;
    EVP_PKEY *key = NULL;
    size_t left = (size_t)len;

    if (p8 == NULL || p != der + len || !PKCS8_pkey_get0(&alg, NULL, NULL, NULL, p8)) {
        PKCS8_PRIV_KEY_INFO_free(p8);
        return NULL;
    }
    if (OBJ_obj2nid(alg) == NID_X9_62_id_ecPublicKey) {
        p = der;
        dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "DER", "PrivateKeyInfo", "EC", EVP_PKEY_KEYPAIR,
                                             NULL, NULL);
        if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &p, &left) || left != 0 ||
            !EVP_PKEY_is_a(key, "EC")) {
            EVP_PKEY_free(key);
            key = NULL;
        }
        OSSL_DECODER_CTX_free(dctx);
    }
    if (key == NULL) {
        key = EVP_PKCS82PKEY(p8);
    }
    PKCS8_PRIV_KEY_INFO_free(p8);
    return key;
}

/* decode_spki() decodes exactly one SubjectPublicKeyInfo. */
static EVP_PKEY *
decode_spki(const unsigned char *der, long len)
{
    const unsigned char *p = der;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, len);

    if (key != NULL && p != der + len) {
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

/*
 * keep() decodes an item of |kind| that |got| wants and keeps it as take()
 * keeps what OSSL_STORE returns. 0: an item that |got| does not want (which
 * OSSL_STORE would skip or stop at), that does not decode, or no memory.
 */
static int
keep(struct want *got, int *num_certs, enum item kind, const unsigned char *der, long len)
{
    EVP_PKEY *key, *pub;
    X509 *cert;

    switch (kind) {
    case ITEM_CERT:
    case ITEM_CERT_AUX:
        if (got->certs == NULL || (got->max_certs != 0 && *num_certs >= got->max_certs)) {
            return 0;
        }
        cert = decode_cert(der, len, kind == ITEM_CERT_AUX);
        if (cert == NULL || !sk_X509_push(got->certs, cert)) {
            X509_free(cert);
            return 0;
        }
        (*num_certs)++;
        return 1;
    case ITEM_PKCS8:
    case ITEM_SPKI:
        if (got->pkey == NULL || *got->pkey != NULL || (kind == ITEM_SPKI && !got->public_only)) {
            return 0;
        }
        key = kind == ITEM_SPKI ? decode_spki(der, len) : decode_pkcs8(der, len);
        if (key != NULL && kind == ITEM_PKCS8 && got->public_only) {
            pub = public_part(key);
            EVP_PKEY_free(key);
            key = pub;
        }
        *got->pkey = key;
        return key != NULL;
    case ITEM_NONE:
    default:
        return 0;
    }
}

static enum item
pem_item(const char *name)
{
    if (strcmp(name, PEM_STRING_X509) == 0 || strcmp(name, PEM_STRING_X509_OLD) == 0 ||
        strcmp(name, PEM_STRING_X509_TRUSTED) == 0) {
        return ITEM_CERT_AUX;
    }
    if (strcmp(name, PEM_STRING_PKCS8INF) == 0) {
        return ITEM_PKCS8;
    }
    if (strcmp(name, PEM_STRING_PUBLIC) == 0) {
        return ITEM_SPKI;
    }
    return ITEM_NONE;
}

/* fast_pem() walks the PEM blocks of |buf| as store_load() walks the store's items. */
static int
fast_pem(struct want *got, int *num_certs, const uint8_t *buf, size_t len)
{
    BIO *bio = BIO_new_mem_buf(buf, (int)len);
    char *name, *header;
    unsigned char *data;
    long data_len;
    unsigned long e;
    int i, ok = bio != NULL;

    for (i = 0; ok && !done_wanting(got, *num_certs); i++) {
        name = NULL;
        header = NULL;
        data = NULL;
        data_len = 0;
        if (i == MAX_STORE_OBJECTS) {
            ok = 0;
            break;
        }
        if (PEM_read_bio(bio, &name, &header, &data, &data_len) <= 0) {
            /* the end, unless a block is broken */
            e = ERR_peek_last_error();
            ok = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
            break;
        }
        /* A header (Proc-Type: an encrypted traditional key) is for OSSL_STORE. */
        ok = header[0] == '\0' && keep(got, num_certs, pem_item(name), data, data_len);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_clear_free(data, (size_t)data_len);
    }
    BIO_free(bio);
    return ok;
}

/*
 * fast_load() loads what |w| wants from the file that |uri| names, as
 * store_load() would through OSSL_STORE, when the file holds nothing else
 * that OSSL_STORE might treat differently. Returns 0 with nothing changed
 * (OpenSSL's error queue neither) when it leaves the file to OSSL_STORE.
 */
static int
fast_load(const char *uri, int format, struct want *w, int *num_certs)
{
    const char *path = fast_file(uri);
    STACK_OF(X509) *certs = NULL;
    EVP_PKEY *key = NULL;
    struct want got = *w;
    uint8_t *buf;
    size_t len = 0;
    int n = 0, ok;

    if (path == NULL ||
        (format != CMP_FORMAT_ANY && format != CMP_FORMAT_PEM && format != CMP_FORMAT_DER)) {
        return 0;
    }
    ERR_set_mark();
    buf = read_regular(path, &len);
    got.pkey = w->pkey != NULL ? &key : NULL;
    if (w->certs != NULL) {
        certs = sk_X509_new_null();
    }
    got.certs = certs;
    ok = buf != NULL && (w->certs == NULL || certs != NULL);
    /* Certificates, keys and PKCS#12 in DER are SEQUENCEs (0x30); PEM hardly starts so. */
    if (format == CMP_FORMAT_PEM || (format == CMP_FORMAT_ANY && (len == 0 || buf[0] != 0x30))) {
        ok = ok && is_text(buf, len) && fast_pem(&got, &n, buf, len);
    } else {
        ok = ok && (format == CMP_FORMAT_DER || !has_pem_begin(buf, len)) &&
             (keep(&got, &n, ITEM_CERT, buf, (long)len) ||
              keep(&got, &n, ITEM_PKCS8, buf, (long)len) ||
              keep(&got, &n, ITEM_SPKI, buf, (long)len));
    }
    /* What OSSL_STORE does not find it reports. */
    ok = ok && (w->pkey == NULL || key != NULL) && (w->certs == NULL || n > 0) &&
         (w->certs == NULL || sk_X509_reserve(w->certs, n));
    if (ok && w->pkey != NULL) {
        *w->pkey = key;
        key = NULL;
    }
    while (ok && sk_X509_num(certs) > 0) {
        (void)sk_X509_push(w->certs, sk_X509_shift(certs)); /* reserved */
    }
    if (ok) {
        *num_certs = n;
    }
    ERR_pop_to_mark();
    EVP_PKEY_free(key);
    sk_X509_pop_free(certs, X509_free);
    OPENSSL_clear_free(buf, len + 1);
    return ok;
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
    if (fast_load(uri, format, w, num_certs)) {
        ERR_clear_error(); /* as below */
        return 1;
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
