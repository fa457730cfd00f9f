/*
 * Tests for lib/crypto/load.c: pass phrase arguments (openssl-passphrase-
 * options(1) and openssl cmp's bare string), and keys and certificates in
 * PEM, DER and PKCS#12 files and file: URIs. Everything it reads it writes
 * first into a temporary folder, which it removes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/crypto.h"
#include "prot_test_util.h"

static char dir[256];

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

static EVP_PKEY *key, *root_key;
static X509 *root, *ee;

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
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!CHECK(key != NULL && root_key != NULL)) {
        return 0;
    }
    root = make_cert("load test root", NULL, root_key, root_key, 1);
    ee = make_cert("load test ee", root, root_key, key, 2);
    return CHECK(root != NULL && ee != NULL) && CHECK(write_bio("key.pem", w_key_pem, key)) &&
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
    }
    remove_files();
    EVP_PKEY_free(key);
    EVP_PKEY_free(root_key);
    X509_free(root);
    X509_free(ee);
    return check_finish();
}
