/*
 * Tests for lib/crypto/load.c: pass phrase arguments (openssl-passphrase-
 * options(1) and openssl cmp's bare string), and keys and certificates in
 * PEM, DER and PKCS#12 files and file: URIs. Everything it reads it writes
 * first into a temporary folder, which it removes.
 *
 * load.c reads plain files of unencrypted PEM or DER items itself and leaves
 * everything else to OSSL_STORE. To tell which way a load went, this program
 * defines OSSL_STORE_open_ex() itself, counting the calls and passing them
 * on to libcrypto's; to tell that both ways give the same, it compares each
 * load with what OSSL_STORE itself returns.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/crypto.h"
#include "prot_test_util.h"

static char dir[256];
static int store_opens; /* calls of OSSL_STORE_open_ex() */

typedef OSSL_STORE_CTX *store_open_fn(const char *, OSSL_LIB_CTX *, const char *, const UI_METHOD *,
                                      void *, const OSSL_PARAM[], OSSL_STORE_post_process_info_fn,
                                      void *);

/* Counts what load.c (linked into this program) opens, and opens it with libcrypto. */
OSSL_STORE_CTX *
OSSL_STORE_open_ex(const char *uri, OSSL_LIB_CTX *libctx, const char *propq,
                   const UI_METHOD *ui_method, void *ui_data, const OSSL_PARAM params[],
                   OSSL_STORE_post_process_info_fn post_process, void *post_process_data)
{
    static store_open_fn *real;
    void *sym;

    if (real == NULL) {
        sym = dlsym(RTLD_NEXT, "OSSL_STORE_open_ex");
        memcpy(&real, &sym, sizeof(real));
    }
    store_opens++;
    return real == NULL ? NULL
                        : real(uri, libctx, propq, ui_method, ui_data, params, post_process,
                               post_process_data);
}

static const char *
at(const char *name)
{
    static char buf[8][512];
    static int n;

    n = (n + 1) % 8;
    snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
    return buf[n];
}

/* ---- pass phrases ------------------------------------------------------------- */

static void
check_pass(const char *name, const char *arg, const char *want, int code)
{
    struct cmp_err err;
    char *p = NULL;
    int ok;

    cmp_err_init(&err);
    ok = cmp_pass_get(&p, arg, "test pass phrase", &err);
    if (want != NULL) {
        if (CHECK_CASE(name, ok && p != NULL)) {
            if (!CHECK_CASE(name, strcmp(p, want) == 0)) {
                fprintf(stderr, "  %s: got \"%s\", want \"%s\"\n", name, p, want);
            }
        } else {
            pt_print_err(name, &err);
        }
    } else {
        CHECK_CASE(name, !ok && p == NULL && err.code == code);
        CHECK_CASE(name, strstr(err.msg, "test pass phrase") != NULL);
    }
    cmp_pass_free(p);
}

static void
test_pass(void)
{
    char arg[600], longline[2001], want_long[1024];
    int fds[2], saved;

    check_pass("pass:", "pass:abc def", "abc def", 0);
    check_pass("pass: empty", "pass:", "", 0);
    check_pass("pass: with colons", "pass:a:b:c", "a:b:c", 0);
    check_pass("bare string (openssl cmp -secret)", "justasecret", "justasecret", 0);
    check_pass("bare string with an unknown prefix", "xyz:abc", "xyz:abc", 0);
    check_pass("prefixes are case-sensitive", "Pass:abc", "Pass:abc", 0);
    check_pass("no argument", NULL, NULL, CMP_E_ARG);

    CHECK(setenv("CMPKIT_TEST_PASS", "from the environment", 1) == 0);
    check_pass("env:", "env:CMPKIT_TEST_PASS", "from the environment", 0);
    unsetenv("CMPKIT_TEST_PASS_UNSET");
    check_pass("env: unset", "env:CMPKIT_TEST_PASS_UNSET", NULL, CMP_E_ARG);

    /* file: the first line, without its newline; a CR stays (as openssl) */
    CHECK(pt_write_file(at("pass1.txt"), "first line\r\nsecond line\n", 25));
    snprintf(arg, sizeof(arg), "file:%s", at("pass1.txt"));
    check_pass("file:", arg, "first line\r", 0);
    CHECK(pt_write_file(at("pass2.txt"), "no newline", 10));
    snprintf(arg, sizeof(arg), "file:%s", at("pass2.txt"));
    check_pass("file: without a newline", arg, "no newline", 0);
    CHECK(pt_write_file(at("pass3.txt"), "\nsecond", 7));
    snprintf(arg, sizeof(arg), "file:%s", at("pass3.txt"));
    check_pass("file: empty first line", arg, "", 0);
    CHECK(pt_write_file(at("pass4.txt"), "", 0));
    snprintf(arg, sizeof(arg), "file:%s", at("pass4.txt"));
    check_pass("file: empty file", arg, NULL, CMP_E_IO);
    memset(longline, 'a', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    memset(want_long, 'a', sizeof(want_long) - 1);
    want_long[sizeof(want_long) - 1] = '\0';
    CHECK(pt_write_file(at("pass5.txt"), longline, strlen(longline)));
    snprintf(arg, sizeof(arg), "file:%s", at("pass5.txt"));
    check_pass("file: long line (1023 bytes, as openssl)", arg, want_long, 0);
    snprintf(arg, sizeof(arg), "file:%s", at("no-such-file"));
    check_pass("file: missing", arg, NULL, CMP_E_IO);

    /* fd: */
    if (CHECK(pipe(fds) == 0)) {
        CHECK(write(fds[1], "from a pipe\nmore", 16) == 16);
        close(fds[1]);
        snprintf(arg, sizeof(arg), "fd:%d", fds[0]);
        check_pass("fd:", arg, "from a pipe", 0);
        close(fds[0]);
    }
    check_pass("fd: not a number", "fd:x", NULL, CMP_E_ARG);
    check_pass("fd: empty", "fd:", NULL, CMP_E_ARG);
    check_pass("fd: closed", "fd:987", NULL, CMP_E_IO);

    /* stdin */
    saved = dup(STDIN_FILENO);
    if (CHECK(saved >= 0 && pipe(fds) == 0)) {
        CHECK(write(fds[1], "from stdin\n", 11) == 11);
        close(fds[1]);
        CHECK(dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
        close(fds[0]);
        check_pass("stdin", "stdin", "from stdin", 0);
        check_pass("stdin at its end", "stdin", NULL, CMP_E_IO);
        CHECK(dup2(saved, STDIN_FILENO) == STDIN_FILENO);
    }
    if (saved >= 0) {
        close(saved);
    }
    cmp_pass_free(NULL);
}

/* ---- keys and certificates ------------------------------------------------------ */

static EVP_PKEY *key, *root_key, *ed_key, *sm2_key; /* sm2_key: NULL without SM2 */
static X509 *root, *ee, *other;

static X509 *
make_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *subject_key, long serial)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x != NULL && name != NULL && X509_set_version(x, X509_VERSION_3) &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                        -1, 0) &&
             X509_set_subject_name(x, name) &&
             X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) &&
             X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
             X509_gmtime_adj(X509_getm_notAfter(x), 86400) && X509_set_pubkey(x, subject_key) &&
             X509_sign(x, issuer_key, EVP_sha256()) > 0;

    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static int
write_bio(const char *name, int (*fn)(BIO *, void *), void *arg)
{
    BIO *b = BIO_new_file(at(name), "wb");
    int ok = b != NULL && fn(b, arg);

    BIO_free(b);
    return ok;
}

static int
w_key_pem(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
w_key_pem_enc(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, EVP_aes_256_cbc(), NULL, 0, NULL, "keypass");
}

static int
w_key_der(BIO *b, void *k)
{
    return i2d_PKCS8PrivateKey_bio(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
w_pub_pem(BIO *b, void *k)
{
    return PEM_write_bio_PUBKEY(b, k);
}

static int
w_cert_pem(BIO *b, void *x)
{
    return PEM_write_bio_X509(b, x);
}

static int
w_cert_der(BIO *b, void *x)
{
    return i2d_X509_bio(b, x);
}

static int
w_chain_pem(BIO *b, void *unused)
{
    (void)unused;
    return PEM_write_bio_X509(b, ee) && PEM_write_bio_X509(b, root);
}

static int
w_key_and_cert(BIO *b, void *unused)
{
    (void)unused;
    return PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) && PEM_write_bio_X509(b, ee);
}

static int
w_key_trad(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL, NULL);
}

static int
w_key_trad_enc(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey_traditional(b, k, EVP_aes_128_cbc(), NULL, 0, NULL, "keypass");
}

static int
w_pub_der(BIO *b, void *k)
{
    return i2d_PUBKEY_bio(b, k);
}

/* Three certificates with text around them, as `openssl pkcs12 -nokeys` writes. */
static int
w_chain3_text(BIO *b, void *unused)
{
    static const char bag[] = "Bag Attributes\n    friendlyName: ee \xc3\xa4\n"
                              "subject=CN = load test ee\n";

    (void)unused;
    return BIO_puts(b, bag) > 0 && PEM_write_bio_X509(b, ee) &&
           BIO_puts(b, "\nsubject=CN = load test root\n") > 0 && PEM_write_bio_X509(b, root) &&
           PEM_write_bio_X509(b, other) && BIO_puts(b, "trailing text\n") > 0;
}

/* root with trust settings, as TRUSTED CERTIFICATE or (both in the store's eyes) CERTIFICATE */
static int
w_trusted(BIO *b, void *as_plain)
{
    X509 *t = X509_dup(root);
    unsigned char *der = NULL;
    int len, ok = t != NULL && X509_add1_trust_object(t, OBJ_nid2obj(NID_server_auth));

    if (ok && as_plain == NULL) {
        ok = PEM_write_bio_X509_AUX(b, t);
    } else if (ok) {
        len = i2d_X509_AUX(t, &der);
        ok = len > 0 && PEM_write_bio(b, PEM_STRING_X509, "", der, len);
    }
    OPENSSL_free(der);
    X509_free(t);
    return ok;
}

static int
w_cert_then_key(BIO *b, void *unused)
{
    (void)unused;
    return PEM_write_bio_X509(b, ee) && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
}

static int
w_pub_then_key(BIO *b, void *unused)
{
    (void)unused;
    return PEM_write_bio_PUBKEY(b, root_key) &&
           PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL);
}

static int
w_two_keys(BIO *b, void *unused)
{
    (void)unused;
    return PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) &&
           PEM_write_bio_PrivateKey(b, root_key, NULL, NULL, 0, NULL, NULL);
}

static int
w_unknown_then_cert(BIO *b, void *unused)
{
    static const unsigned char empty_seq[] = {0x30, 0x00};

    (void)unused;
    return PEM_write_bio(b, "CMPKIT TEST", "", empty_seq, sizeof(empty_seq)) &&
           PEM_write_bio_X509(b, ee);
}

static int
w_cert_der_trailing(BIO *b, void *x)
{
    return i2d_X509_bio(b, x) && BIO_write(b, "xx", 2) == 2;
}

static int
w_p12(BIO *b, void *unused)
{
    STACK_OF(X509) *ca = sk_X509_new_null();
    PKCS12 *p12 = NULL;
    int ok;

    (void)unused;
    ok = ca != NULL && sk_X509_push(ca, root);
    p12 = ok ? PKCS12_create("p12pass", "cmpkit test", key, ee, ca, 0, 0, 0, 0, 0) : NULL;
    ok = p12 != NULL && i2d_PKCS12_bio(b, p12);
    PKCS12_free(p12);
    sk_X509_free(ca);
    return ok;
}

static int
make_files(void)
{
    static const char bad_base64[] =
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";

    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!CHECK(key != NULL && root_key != NULL)) {
        return 0;
    }
    root = make_cert("load test root", NULL, root_key, root_key, 1);
    ee = make_cert("load test ee", root, root_key, key, 2);
    other = make_cert("load test other", root, root_key, root_key, 3);
    ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    sm2_key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    ERR_clear_error();
    if (sm2_key == NULL) {
        fprintf(stderr, "  (no SM2 in this libcrypto: its cases are left out)\n");
    }
    return CHECK(root != NULL && ee != NULL && other != NULL && ed_key != NULL) &&
           CHECK(write_bio("key_trad.pem", w_key_trad, key)) &&
           CHECK(write_bio("key_trad_enc.pem", w_key_trad_enc, key)) &&
           CHECK(write_bio("pub.der", w_pub_der, key)) &&
           CHECK(write_bio("chain3.pem", w_chain3_text, NULL)) &&
           CHECK(write_bio("trusted.pem", w_trusted, NULL)) &&
           CHECK(write_bio("aux_plain.pem", w_trusted, "as CERTIFICATE")) &&
           CHECK(write_bio("cert_then_key.pem", w_cert_then_key, NULL)) &&
           CHECK(write_bio("pub_then_key.pem", w_pub_then_key, NULL)) &&
           CHECK(write_bio("two_keys.pem", w_two_keys, NULL)) &&
           CHECK(write_bio("unknown_then_cert.pem", w_unknown_then_cert, NULL)) &&
           CHECK(write_bio("ee_trailing.der", w_cert_der_trailing, ee)) &&
           CHECK(write_bio("ed.pem", w_key_pem, ed_key)) &&
           CHECK(write_bio("ed.der", w_key_der, ed_key)) &&
           CHECK(sm2_key == NULL || write_bio("sm2.pem", w_key_pem, sm2_key)) &&
           CHECK(sm2_key == NULL || write_bio("sm2_pub.pem", w_pub_pem, sm2_key)) &&
           CHECK(pt_write_file(at("empty.pem"), "", 0)) &&
           CHECK(pt_write_file(at("bad_base64.pem"), bad_base64, sizeof(bad_base64) - 1)) &&
           CHECK(write_bio("key.pem", w_key_pem, key)) &&
           CHECK(write_bio("key_enc.pem", w_key_pem_enc, key)) &&
           CHECK(write_bio("key.der", w_key_der, key)) &&
           CHECK(write_bio("pub.pem", w_pub_pem, key)) &&
           CHECK(write_bio("root.pem", w_cert_pem, root)) &&
           CHECK(write_bio("with space.pem", w_cert_pem, root)) &&
           CHECK(write_bio("ee.der", w_cert_der, ee)) &&
           CHECK(write_bio("chain.pem", w_chain_pem, NULL)) &&
           CHECK(write_bio("key_and_cert.pem", w_key_and_cert, NULL)) &&
           CHECK(write_bio("bundle.p12", w_p12, NULL)) &&
           CHECK(pt_write_file(at("garbage.pem"), "no PEM here\n", 12));
}

static const struct {
    const char *name, *file;
    int uri; /* as a file: URI */
    int format;
    const char *pass;
    int public_only;
    int ok, code;
} key_cases[] = {
    {"PEM", "key.pem", 0, CMP_FORMAT_ANY, NULL, 0, 1, 0},
    {"PEM as file: URI", "key.pem", 1, CMP_FORMAT_ANY, NULL, 0, 1, 0},
    {"PEM, -keyform PEM", "key.pem", 0, CMP_FORMAT_PEM, NULL, 0, 1, 0},
    {"PEM, -keyform DER", "key.pem", 0, CMP_FORMAT_DER, NULL, 0, 0, CMP_E_CRYPTO},
    {"DER", "key.der", 0, CMP_FORMAT_ANY, NULL, 0, 1, 0},
    {"DER, -keyform DER", "key.der", 0, CMP_FORMAT_DER, NULL, 0, 1, 0},
    {"encrypted PEM", "key_enc.pem", 0, CMP_FORMAT_ANY, "keypass", 0, 1, 0},
    {"encrypted PEM, wrong pass", "key_enc.pem", 0, CMP_FORMAT_ANY, "wrong", 0, 0, CMP_E_CRYPTO},
    {"encrypted PEM, no pass (no prompt)", "key_enc.pem", 0, CMP_FORMAT_ANY, NULL, 0, 0,
     CMP_E_CRYPTO},
    {"PKCS#12", "bundle.p12", 0, CMP_FORMAT_P12, "p12pass", 0, 1, 0},
    {"PKCS#12 found by content", "bundle.p12", 1, CMP_FORMAT_ANY, "p12pass", 0, 1, 0},
    {"PKCS#12, wrong pass", "bundle.p12", 0, CMP_FORMAT_P12, "wrong", 0, 0, CMP_E_CRYPTO},
    {"key and cert in one PEM", "key_and_cert.pem", 0, CMP_FORMAT_ANY, NULL, 0, 1, 0},
    {"public part of a private key", "key.pem", 0, CMP_FORMAT_ANY, NULL, 1, 1, 0},
    {"public key", "pub.pem", 0, CMP_FORMAT_ANY, NULL, 1, 1, 0},
    {"public key is no private key", "pub.pem", 0, CMP_FORMAT_ANY, NULL, 0, 0, CMP_E_CRYPTO},
    {"a certificate is no key", "root.pem", 0, CMP_FORMAT_ANY, NULL, 0, 0, CMP_E_CRYPTO},
    {"not PEM", "garbage.pem", 0, CMP_FORMAT_ANY, NULL, 0, 0, CMP_E_CRYPTO},
    {"missing file", "no-such-key.pem", 0, CMP_FORMAT_ANY, NULL, 0, 0, CMP_E_IO},
};

static void
test_keys(void)
{
    static const uint8_t data[] = "x";
    char uri[600];
    size_t i;

    for (i = 0; i < PT_ARRAY_LEN(key_cases); i++) {
        const char *name = key_cases[i].name;
        struct cmp_err err;
        EVP_PKEY *k;
        uint8_t *sig = NULL;
        size_t sig_len = 0;

        snprintf(uri, sizeof(uri), "%s%s", key_cases[i].uri ? "file:" : "", at(key_cases[i].file));
        cmp_err_init(&err);
        k = cmp_load_key(uri, key_cases[i].format, key_cases[i].pass, key_cases[i].public_only,
                         "test key", &err);
        if (!CHECK_CASE(name, (k != NULL) == key_cases[i].ok)) {
            pt_print_err(name, &err);
        }
        if (k == NULL) {
            CHECK_CASE(name, err.code == key_cases[i].code);
            CHECK_CASE(name, strstr(err.msg, "test key") != NULL);
            CHECK_CASE(name, ERR_peek_error() == 0);
            continue;
        }
        CHECK_CASE(name, EVP_PKEY_eq(k, key) == 1);
        cmp_err_init(&err);
        if (key_cases[i].public_only) {
            CHECK_CASE(name, !cmp_sign_data(k, NULL, 0, data, 1, &sig, &sig_len, NULL, NULL, &err));
            ERR_clear_error();
        } else {
            CHECK_CASE(name, cmp_sign_data(k, NULL, 0, data, 1, &sig, &sig_len, NULL, NULL, &err));
        }
        free(sig);
        EVP_PKEY_free(k);
    }
    {
        struct cmp_err err;

        cmp_err_init(&err);
        CHECK(cmp_load_key("http://example.com/key.pem", 0, NULL, 0, "k", &err) == NULL &&
              err.code == CMP_E_UNSUPPORTED);
        cmp_err_init(&err);
        CHECK(cmp_load_key("", 0, NULL, 0, "k", &err) == NULL && err.code == CMP_E_ARG);
        cmp_err_init(&err);
        CHECK(cmp_load_key(NULL, 0, NULL, 0, NULL, &err) == NULL && err.code == CMP_E_ARG);
        cmp_err_init(&err);
        CHECK(cmp_load_key(at("key.pem"), 99, NULL, 0, "k", &err) == NULL && err.code == CMP_E_ARG);
    }
}

static const struct {
    const char *name, *file;
    int format;
    const char *pass;
    int want; /* 0: root, 1: ee, -1: failure */
} cert_cases[] = {
    {"PEM", "root.pem", CMP_FORMAT_ANY, NULL, 0},
    {"DER", "ee.der", CMP_FORMAT_ANY, NULL, 1},
    {"DER, -certform DER", "ee.der", CMP_FORMAT_DER, NULL, 1},
    {"the first of a chain", "chain.pem", CMP_FORMAT_ANY, NULL, 1},
    {"next to a key", "key_and_cert.pem", CMP_FORMAT_ANY, NULL, 1},
    {"PKCS#12: the key's certificate", "bundle.p12", CMP_FORMAT_P12, "p12pass", 1},
    {"PKCS#12, wrong pass", "bundle.p12", CMP_FORMAT_P12, "wrong", -1},
    {"a key is no certificate", "key.pem", CMP_FORMAT_ANY, NULL, -1},
    {"missing file", "no-such.pem", CMP_FORMAT_ANY, NULL, -1},
};

static void
test_certs(void)
{
    size_t i;

    for (i = 0; i < PT_ARRAY_LEN(cert_cases); i++) {
        const char *name = cert_cases[i].name;
        struct cmp_err err;
        X509 *x;

        cmp_err_init(&err);
        x = cmp_load_cert(at(cert_cases[i].file), cert_cases[i].format, cert_cases[i].pass,
                          "test certificate", &err);
        if (!CHECK_CASE(name, (x != NULL) == (cert_cases[i].want >= 0))) {
            pt_print_err(name, &err);
        }
        if (x != NULL) {
            CHECK_CASE(name, X509_cmp(x, cert_cases[i].want == 0 ? root : ee) == 0);
        } else {
            CHECK_CASE(name, strstr(err.msg, "test certificate") != NULL);
        }
        X509_free(x);
    }
}

static void
test_cert_lists(void)
{
    STACK_OF(X509) *certs = NULL;
    struct cmp_err err;
    char list[2048];

    /* commas and whitespace; every certificate of every source, in order */
    snprintf(list, sizeof(list), "%s, %s  %s,%s", at("chain.pem"), at("root.pem"), at("ee.der"),
             at("bundle.p12"));
    cmp_err_init(&err);
    if (CHECK(cmp_load_certs(&certs, list, CMP_FORMAT_ANY, "p12pass", "test certs", &err))) {
        CHECK(sk_X509_num(certs) == 6);
        CHECK(sk_X509_num(certs) == 6 && X509_cmp(sk_X509_value(certs, 0), ee) == 0 &&
              X509_cmp(sk_X509_value(certs, 1), root) == 0 &&
              X509_cmp(sk_X509_value(certs, 2), root) == 0 &&
              X509_cmp(sk_X509_value(certs, 3), ee) == 0);
    } else {
        pt_print_err("list", &err);
    }
    /* appended to what is there; '\' escapes a space in a name */
    snprintf(list, sizeof(list), "%s/with\\ space.pem", dir);
    cmp_err_init(&err);
    if (CHECK(cmp_load_certs(&certs, list, CMP_FORMAT_PEM, NULL, "test certs", &err))) {
        CHECK(sk_X509_num(certs) == 7 && X509_cmp(sk_X509_value(certs, 6), root) == 0);
    } else {
        pt_print_err("escaped", &err);
    }
    /* one bad source: nothing is appended */
    snprintf(list, sizeof(list), "%s,%s", at("root.pem"), at("key.pem"));
    cmp_err_init(&err);
    CHECK(!cmp_load_certs(&certs, list, CMP_FORMAT_ANY, NULL, "test certs", &err) &&
          sk_X509_num(certs) == 7 && strstr(err.msg, "key.pem") != NULL);
    sk_X509_pop_free(certs, X509_free);
    certs = NULL;
    cmp_err_init(&err);
    CHECK(!cmp_load_certs(&certs, " , ", CMP_FORMAT_ANY, NULL, "test certs", &err) &&
          err.code == CMP_E_ARG && certs == NULL);
    cmp_err_init(&err);
    CHECK(!cmp_load_certs(&certs, NULL, CMP_FORMAT_ANY, NULL, NULL, &err) &&
          err.code == CMP_E_ARG && certs == NULL);
    cmp_err_init(&err);
    CHECK(!cmp_load_certs(&certs, at("missing.pem"), CMP_FORMAT_ANY, NULL, NULL, &err) &&
          certs == NULL);
}

/* ---- the shorter way for plain files, and OSSL_STORE ---------------------------- */

enum mode { M_KEY, M_PUB, M_CERT, M_CERTS };

static const char *const mode_names[] = {"key", "public key", "certificate", "certificates"};

/* URIs for a file of the test folder: its path, a file: URI, one with localhost, a relative one */
enum uri_kind { U_PATH, U_FILE, U_LOCALHOST, U_RELATIVE };

static const char *
uri_of(enum uri_kind kind, const char *file)
{
    static char buf[600];

    switch (kind) {
    case U_FILE:
        snprintf(buf, sizeof(buf), "file:%s", at(file));
        break;
    case U_LOCALHOST:
        snprintf(buf, sizeof(buf), "file://localhost%s", at(file));
        break;
    case U_RELATIVE:
        snprintf(buf, sizeof(buf), "file:%s", file);
        break;
    case U_PATH:
    default:
        snprintf(buf, sizeof(buf), "%s", at(file));
        break;
    }
    return buf;
}

/* via_cmp() loads |uri| with load.c as |m| says, into |*pkey| or onto |certs|. */
static int
via_cmp(enum mode m, const char *uri, int format, const char *pass, EVP_PKEY **pkey,
        STACK_OF(X509) * certs, struct cmp_err *err)
{
    STACK_OF(X509) *got = NULL;
    X509 *x;
    int ok;

    switch (m) {
    case M_KEY:
    case M_PUB:
        *pkey = cmp_load_key(uri, format, pass, m == M_PUB, "test key", err);
        return *pkey != NULL;
    case M_CERT:
        x = cmp_load_cert(uri, format, pass, "test certificate", err);
        if (x != NULL && !sk_X509_push(certs, x)) {
            X509_free(x);
            return 0;
        }
        return x != NULL;
    case M_CERTS:
    default:
        ok = cmp_load_certs(&got, uri, format, pass, "test certificates", err);
        while (ok && sk_X509_num(got) > 0) {
            x = sk_X509_shift(got);
            if (!sk_X509_push(certs, x)) {
                X509_free(x);
                ok = 0;
            }
        }
        sk_X509_pop_free(got, X509_free);
        return ok;
    }
}

static int
store_pass_cb(char *buf, int size, int rwflag, void *u)
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

static EVP_PKEY *
public_of(const EVP_PKEY *k)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    EVP_PKEY *pub = NULL;
    int len = i2d_PUBKEY(k, &der);

    p = der;
    if (len > 0) {
        pub = d2i_PUBKEY(NULL, &p, len);
    }
    OPENSSL_free(der);
    return pub;
}

/*
 * via_store() loads |uri| through OSSL_STORE alone, with the options,
 * expectations and stopping rules of load.c's store_load(): the reference
 * that via_cmp() must match, whichever way load.c goes.
 */
static int
via_store(enum mode m, const char *uri, int format, const char *pass, EVP_PKEY **pkey,
          STACK_OF(X509) * certs)
{
    int expect = m == M_KEY ? OSSL_STORE_INFO_PKEY : m == M_PUB ? 0 : OSSL_STORE_INFO_CERT;
    int want_key = m == M_KEY || m == M_PUB, i, type, n = 0;
    UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(store_pass_cb, 0);
    OSSL_PARAM params[2];
    OSSL_STORE_CTX *ctx = NULL;
    OSSL_STORE_INFO *info;
    X509 *x;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_STORE_PARAM_INPUT_TYPE,
                                                 format == CMP_FORMAT_PEM ? "PEM" : "DER", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (ui != NULL) {
        ctx = OSSL_STORE_open_ex(
            uri, NULL, NULL, ui, (void *)pass,
            format == CMP_FORMAT_PEM || format == CMP_FORMAT_DER ? params : NULL, NULL, NULL);
    }
    if (ctx != NULL && (expect == 0 || OSSL_STORE_expect(ctx, expect))) {
        for (i = 0; i < 4096 && !OSSL_STORE_eof(ctx); i++) {
            if ((want_key && *pkey != NULL) || (m == M_CERT && n == 1)) {
                break;
            }
            info = OSSL_STORE_load(ctx);
            type = info != NULL ? OSSL_STORE_INFO_get_type(info) : 0;
            if (type == OSSL_STORE_INFO_PKEY && want_key) {
                *pkey = m == M_PUB ? public_of(OSSL_STORE_INFO_get0_PKEY(info))
                                   : OSSL_STORE_INFO_get1_PKEY(info);
            } else if (type == OSSL_STORE_INFO_PUBKEY && m == M_PUB) {
                *pkey = OSSL_STORE_INFO_get1_PUBKEY(info);
            } else if (type == OSSL_STORE_INFO_CERT && !want_key) {
                x = OSSL_STORE_INFO_get1_CERT(info);
                if (x != NULL && sk_X509_push(certs, x)) {
                    n++;
                } else {
                    X509_free(x);
                }
            }
            OSSL_STORE_INFO_free(info);
        }
    }
    if (ctx != NULL) {
        OSSL_STORE_close(ctx);
    }
    UI_destroy_method(ui);
    ERR_clear_error();
    return want_key ? *pkey != NULL : n > 0;
}

static int
same_der(int (*i2d)(const void *, unsigned char **), const void *a, const void *b)
{
    unsigned char *da = NULL, *db = NULL;
    int la = i2d(a, &da), lb = i2d(b, &db);
    int same = la == lb && (la <= 0 || memcmp(da, db, (size_t)la) == 0);

    OPENSSL_free(da);
    OPENSSL_free(db);
    ERR_clear_error();
    return same;
}

static int
i2d_pub(const void *k, unsigned char **out)
{
    return i2d_PUBKEY(k, out);
}

static int
i2d_priv(const void *k, unsigned char **out)
{
    return i2d_PrivateKey(k, out);
}

static int
i2d_cert_aux(const void *x, unsigned char **out)
{
    return i2d_X509_AUX(x, out);
}

/* same_key(): the same type, public key and private key (or none), which EVP_PKEY_eq() does not all
 * check. */
static int
same_key(const EVP_PKEY *a, const EVP_PKEY *b)
{
    const char *ta, *tb;

    if (a == NULL || b == NULL) {
        return a == b;
    }
    ta = EVP_PKEY_get0_type_name(a);
    tb = EVP_PKEY_get0_type_name(b);
    return ta != NULL && tb != NULL && strcmp(ta, tb) == 0 && same_der(i2d_pub, a, b) &&
           same_der(i2d_priv, a, b);
}

/* same_certs(): the same certificates, with the same trust settings, in the same order */
static int
same_certs(STACK_OF(X509) * a, STACK_OF(X509) * b)
{
    int i;

    if (sk_X509_num(a) != sk_X509_num(b)) {
        return 0;
    }
    for (i = 0; i < sk_X509_num(a); i++) {
        if (!same_der(i2d_cert_aux, sk_X509_value(a, i), sk_X509_value(b, i))) {
            return 0;
        }
    }
    return 1;
}

/*
 * compare() loads |uri| with load.c and with OSSL_STORE and checks that both
 * give the same. Returns load.c's result; |*fast| tells whether it went
 * without OSSL_STORE.
 */
static int
compare(const char *name, enum mode m, const char *uri, int format, const char *pass, int *fast,
        struct cmp_err *err)
{
    STACK_OF(X509) *certs = sk_X509_new_null(), *ref_certs = sk_X509_new_null();
    EVP_PKEY *k = NULL, *ref_k = NULL;
    int ok, ref_ok, opens;

    if (!CHECK_CASE(name, certs != NULL && ref_certs != NULL)) {
        sk_X509_free(certs);
        sk_X509_free(ref_certs);
        return 0;
    }
    cmp_err_init(err);
    opens = store_opens;
    ok = via_cmp(m, uri, format, pass, &k, certs, err);
    *fast = store_opens == opens;
    if (ok && !CHECK_CASE(name, ERR_peek_error() == 0)) {
        ERR_clear_error();
    }
    ref_ok = via_store(m, uri, format, pass, &ref_k, ref_certs);
    if (!CHECK_CASE(name, ok == ref_ok && same_key(k, ref_k) && same_certs(certs, ref_certs))) {
        fprintf(stderr, "  %s: %s from %s, format %d: load.c %d (%s), OSSL_STORE %d\n", name,
                mode_names[m], uri, format, ok, *fast ? "without OSSL_STORE" : "OSSL_STORE",
                ref_ok);
        if (!ok) {
            pt_print_err(name, err);
        }
    }
    EVP_PKEY_free(k);
    EVP_PKEY_free(ref_k);
    sk_X509_pop_free(certs, X509_free);
    sk_X509_pop_free(ref_certs, X509_free);
    return ok;
}

static const struct {
    const char *name, *file;
    enum uri_kind uri;
    enum mode mode;
    int format;
    const char *pass;
    int fast; /* 1: without OSSL_STORE */
    int ok;
} path_cases[] = {
    {"PKCS#8 PEM", "key.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"PKCS#8 PEM, -keyform PEM", "key.pem", U_PATH, M_KEY, CMP_FORMAT_PEM, NULL, 1, 1},
    {"PKCS#8 PEM, -keyform DER", "key.pem", U_PATH, M_KEY, CMP_FORMAT_DER, NULL, 0, 0},
    {"PKCS#8 PEM, a pass phrase given", "key.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, "x", 1, 1},
    {"PKCS#8 PEM as file: URI", "key.pem", U_FILE, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"PKCS#8 PEM as file://localhost URI", "key.pem", U_LOCALHOST, M_KEY, CMP_FORMAT_ANY, NULL, 1,
     1},
    {"file: URI with a relative path", "key.pem", U_RELATIVE, M_KEY, CMP_FORMAT_ANY, NULL, 0, 0},
    {"PKCS#8 DER", "key.der", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"PKCS#8 DER, -keyform DER", "key.der", U_PATH, M_KEY, CMP_FORMAT_DER, NULL, 1, 1},
    {"PKCS#8 DER, -keyform PEM", "key.der", U_PATH, M_KEY, CMP_FORMAT_PEM, NULL, 0, 0},
    {"Ed25519 PKCS#8 PEM", "ed.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"Ed25519 PKCS#8 DER", "ed.der", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"SM2 PKCS#8 PEM", "sm2.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"public part of a PKCS#8 PEM key", "key.pem", U_PATH, M_PUB, CMP_FORMAT_ANY, NULL, 1, 1},
    {"public part of a PKCS#8 DER key", "key.der", U_PATH, M_PUB, CMP_FORMAT_ANY, NULL, 1, 1},
    {"PUBLIC KEY PEM", "pub.pem", U_PATH, M_PUB, CMP_FORMAT_ANY, NULL, 1, 1},
    {"SubjectPublicKeyInfo DER", "pub.der", U_PATH, M_PUB, CMP_FORMAT_ANY, NULL, 1, 1},
    {"SM2 PUBLIC KEY PEM", "sm2_pub.pem", U_PATH, M_PUB, CMP_FORMAT_ANY, NULL, 1, 1},
    {"the first of two keys", "two_keys.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"a key before a certificate", "key_and_cert.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 1, 1},
    {"a public key before a key: the public key", "pub_then_key.pem", U_PATH, M_PUB, CMP_FORMAT_ANY,
     NULL, 1, 1},
    {"a public key before a key: the key", "pub_then_key.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL,
     0, 1},
    {"a certificate before the key", "cert_then_key.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 0,
     1},
    {"traditional EC PRIVATE KEY", "key_trad.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 0, 1},
    {"traditional, encrypted", "key_trad_enc.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, "keypass", 0, 1},
    {"traditional, encrypted, wrong pass", "key_trad_enc.pem", U_PATH, M_KEY, CMP_FORMAT_ANY,
     "wrong", 0, 0},
    {"traditional, encrypted, no pass", "key_trad_enc.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 0,
     0},
    {"ENCRYPTED PRIVATE KEY", "key_enc.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, "keypass", 0, 1},
    {"ENCRYPTED PRIVATE KEY, public part", "key_enc.pem", U_PATH, M_PUB, CMP_FORMAT_ANY, "keypass",
     0, 1},
    {"PKCS#12 key", "bundle.p12", U_PATH, M_KEY, CMP_FORMAT_P12, "p12pass", 0, 1},
    {"PKCS#12 key found by content", "bundle.p12", U_PATH, M_KEY, CMP_FORMAT_ANY, "p12pass", 0, 1},
    {"PEM certificate", "root.pem", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 1, 1},
    {"DER certificate", "ee.der", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 1, 1},
    {"DER certificate, -certform DER", "ee.der", U_PATH, M_CERT, CMP_FORMAT_DER, NULL, 1, 1},
    {"DER certificate as a list", "ee.der", U_FILE, M_CERTS, CMP_FORMAT_ANY, NULL, 1, 1},
    {"DER certificate and 2 more bytes", "ee_trailing.der", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 0,
     1},
    {"certificates with text around", "chain3.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 1, 1},
    {"certificates, -certform PEM", "chain3.pem", U_PATH, M_CERTS, CMP_FORMAT_PEM, NULL, 1, 1},
    {"the first of the certificates", "chain3.pem", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 1, 1},
    {"TRUSTED CERTIFICATE", "trusted.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 1, 1},
    {"CERTIFICATE with trust settings", "aux_plain.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 1,
     1},
    {"a key before the certificate", "key_and_cert.pem", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 0,
     1},
    {"a certificate before a key", "cert_then_key.pem", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 1, 1},
    {"all certificates before a key", "cert_then_key.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 0,
     1},
    {"an unknown PEM type first", "unknown_then_cert.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 0,
     1},
    {"broken base64", "bad_base64.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 0, 0},
    {"PKCS#12 certificates", "bundle.p12", U_PATH, M_CERTS, CMP_FORMAT_ANY, "p12pass", 0, 1},
    {"a key is no certificate", "key.pem", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 0, 0},
    {"a certificate is no public key", "root.pem", U_PATH, M_PUB, CMP_FORMAT_ANY, NULL, 0, 0},
    {"a public key is no private key", "pub.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 0, 0},
    {"empty file: no key", "empty.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 0, 0},
    {"empty file: no certificate", "empty.pem", U_PATH, M_CERT, CMP_FORMAT_ANY, NULL, 0, 0},
    {"garbage: no key", "garbage.pem", U_PATH, M_KEY, CMP_FORMAT_ANY, NULL, 0, 0},
    {"garbage: no certificates", "garbage.pem", U_PATH, M_CERTS, CMP_FORMAT_ANY, NULL, 0, 0},
};

static void
test_fast_path(void)
{
    STACK_OF(X509) *certs = NULL;
    char cwd[512], want[700];
    struct cmp_err err;
    size_t i;
    int fast, ok;

    for (i = 0; i < PT_ARRAY_LEN(path_cases); i++) {
        const char *name = path_cases[i].name;

        if (sm2_key == NULL && strncmp(path_cases[i].file, "sm2", 3) == 0) {
            continue;
        }
        /* a relative file: URI names a file there: OSSL_STORE refuses it all the same */
        if (path_cases[i].uri == U_RELATIVE &&
            !CHECK_CASE(name, getcwd(cwd, sizeof(cwd)) != NULL && chdir(dir) == 0)) {
            continue;
        }
        ok = compare(name, path_cases[i].mode, uri_of(path_cases[i].uri, path_cases[i].file),
                     path_cases[i].format, path_cases[i].pass, &fast, &err);
        if (path_cases[i].uri == U_RELATIVE) {
            CHECK_CASE(name, chdir(cwd) == 0);
        }
        CHECK_CASE(name, ok == path_cases[i].ok);
        if (!CHECK_CASE(name, fast == path_cases[i].fast)) {
            fprintf(stderr, "  %s: %s\n", name,
                    fast ? "went without OSSL_STORE" : "went through OSSL_STORE");
        }
    }

    /* in their order; appended to what is there */
    cmp_err_init(&err);
    if (CHECK(cmp_load_certs(&certs, at("root.pem"), CMP_FORMAT_ANY, NULL, "c", &err) &&
              cmp_load_certs(&certs, at("chain3.pem"), CMP_FORMAT_ANY, NULL, "c", &err))) {
        CHECK(sk_X509_num(certs) == 4 && X509_cmp(sk_X509_value(certs, 0), root) == 0 &&
              X509_cmp(sk_X509_value(certs, 1), ee) == 0 &&
              X509_cmp(sk_X509_value(certs, 2), root) == 0 &&
              X509_cmp(sk_X509_value(certs, 3), other) == 0);
    }
    sk_X509_pop_free(certs, X509_free);

    /* the errors of before (OSSL_STORE's) for what is no key or certificate */
    snprintf(want, sizeof(want), "could not read the test key from %s", at("empty.pem"));
    cmp_err_init(&err);
    CHECK(cmp_load_key(at("empty.pem"), CMP_FORMAT_ANY, NULL, 0, "test key", &err) == NULL &&
          err.code == CMP_E_CRYPTO && strncmp(err.msg, want, strlen(want)) == 0);
    snprintf(want, sizeof(want), "could not read any certificate (test certificate) from %s",
             at("garbage.pem"));
    cmp_err_init(&err);
    CHECK(cmp_load_cert(at("garbage.pem"), CMP_FORMAT_ANY, NULL, "test certificate", &err) ==
              NULL &&
          err.code == CMP_E_CRYPTO && strncmp(err.msg, want, strlen(want)) == 0);
    ERR_clear_error();
}

/* Every file, every way of loading it, every format: load.c gives what OSSL_STORE gives. */
static const struct {
    const char *file, *pass;
} fixtures[] = {
    {"key.pem", NULL},
    {"key.der", NULL},
    {"key_enc.pem", "keypass"},
    {"key_trad.pem", NULL},
    {"key_trad_enc.pem", "keypass"},
    {"pub.pem", NULL},
    {"pub.der", NULL},
    {"root.pem", NULL},
    {"ee.der", NULL},
    {"ee_trailing.der", NULL},
    {"chain.pem", NULL},
    {"chain3.pem", NULL},
    {"trusted.pem", NULL},
    {"aux_plain.pem", NULL},
    {"key_and_cert.pem", NULL},
    {"cert_then_key.pem", NULL},
    {"pub_then_key.pem", NULL},
    {"two_keys.pem", NULL},
    {"unknown_then_cert.pem", NULL},
    {"bundle.p12", "p12pass"},
    {"ed.pem", NULL},
    {"ed.der", NULL},
    {"sm2.pem", NULL},
    {"sm2_pub.pem", NULL},
    {"empty.pem", NULL},
    {"garbage.pem", NULL},
    {"bad_base64.pem", NULL},
};

static void
test_same_as_store(void)
{
    static const int formats[] = {CMP_FORMAT_ANY, CMP_FORMAT_PEM, CMP_FORMAT_DER, CMP_FORMAT_P12};
    struct cmp_err err;
    size_t i, f;
    int m, u, fast, num_fast = 0;
    char name[200];

    for (i = 0; i < PT_ARRAY_LEN(fixtures); i++) {
        if (sm2_key == NULL && strncmp(fixtures[i].file, "sm2", 3) == 0) {
            continue;
        }
        for (m = M_KEY; m <= M_CERTS; m++) {
            for (f = 0; f < PT_ARRAY_LEN(formats); f++) {
                for (u = U_PATH; u <= (formats[f] == CMP_FORMAT_ANY ? U_LOCALHOST : U_PATH); u++) {
                    snprintf(name, sizeof(name),
                             "same as OSSL_STORE: %s from %s (format %d, uri %d)", mode_names[m],
                             fixtures[i].file, formats[f], u);
                    (void)compare(name, (enum mode)m, uri_of((enum uri_kind)u, fixtures[i].file),
                                  formats[f], fixtures[i].pass, &fast, &err);
                    num_fast += fast;
                }
            }
        }
    }
    CHECK(num_fast > 50); /* the comparison covers the shorter way */
}

static void
remove_files(void)
{
    char **names = NULL;
    size_t num = 0, i;

    if (pt_list_dir(dir, "", &names, &num)) {
        for (i = 0; i < num; i++) {
            if (strcmp(names[i], ".") != 0 && strcmp(names[i], "..") != 0) {
                unlink(at(names[i]));
            }
        }
        pt_free_list(names, num);
    }
    rmdir(dir);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/cmpkit-test-load.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (!CHECK(mkdtemp(dir) != NULL)) {
        return check_finish();
    }
    test_pass();
    if (make_files()) {
        test_keys();
        test_certs();
        test_cert_lists();
        test_fast_path();
        test_same_as_store();
    }
    remove_files();
    EVP_PKEY_free(key);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(ed_key);
    EVP_PKEY_free(sm2_key);
    X509_free(root);
    X509_free(ee);
    X509_free(other);
    return check_finish();
}
