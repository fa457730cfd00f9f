/*
 * libFuzzer target: the CA's handling of what a requester sends (lib/ca):
 * a CertTemplate (first byte even) or a PKCS#10 request (odd), checked
 * against the built-in profile and, when accepted, built into a signed
 * certificate. The store accepts every record without keeping it. A
 * refusal must say why; an issued certificate must verify with the CA key.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"
#include "msg/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
keep_nothing(struct cmp_ca_store *s, const struct cmp_ca_cert_rec *rec,
             const struct cmp_ca_secret_use *use, int *out_outcome, struct cmp_err *err)
{
    *out_outcome = CMP_CA_DONE;
    return 1;
}

static const struct cmp_ca_store_ops nop_ops = {.name = "fuzz", .insert_cert = keep_nothing};
static struct cmp_ca_store nop_store = {&nop_ops};
static struct cmp_ca *ca;
static EVP_PKEY *ca_key;

static void
setup(void)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    struct cmp_err err;

    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (x == NULL || n == NULL || ca_key == NULL ||
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz CA", -1, -1,
                                   0) != 1 ||
        X509_set_version(x, X509_VERSION_3) != 1 ||
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 || X509_set_issuer_name(x, n) != 1 ||
        X509_set_subject_name(x, n) != 1 || ASN1_TIME_set(X509_getm_notBefore(x), 0) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), 4102444800) == NULL ||
        X509_set_pubkey(x, ca_key) != 1) {
        abort();
    }
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    e = X509V3_EXT_conf(NULL, &ctx, "subjectKeyIdentifier", "hash");
    if (e == NULL || X509_add_ext(x, e, -1) != 1 || X509_sign(x, ca_key, EVP_sha256()) <= 0) {
        abort();
    }
    X509_EXTENSION_free(e);
    X509_NAME_free(n);
    cmp_err_init(&err);
    ca = cmp_ca_new(x, ca_key, &nop_store, 0, &err);
    X509_free(x);
    if (ca == NULL) {
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmp_ca_request req;
    struct cmp_ca_issued out;
    struct cmp_err err;
    int ok;

    if (ca == NULL) {
        setup();
    }
    if (size < 1) {
        return 0;
    }
    memset(&req, 0, sizeof(req));
    cmp_err_init(&err);
    if ((data[0] & 1) == 0) {
        struct cmp_cert_template t;
        struct der_in in = der_in_make(data + 1, size - 1);

        memset(&t, 0, sizeof(t));
        if (!cmp_cert_template_decode(&in, &t, &err)) {
            return 0;
        }
        ok = cmp_ca_request_from_template(&req, &t, &err);
    } else {
        ok = cmp_ca_request_from_p10(&req, data + 1, size - 1, &err);
    }
    if (ok) {
        req.profile = (data[0] & 2) != 0 ? "default" : NULL;
        req.implicit_confirm = (data[0] & 4) != 0;
        ok = cmp_ca_issue(ca, &req, 1700000000, &out, &err);
        if (ok && (cmp_ca_issued_cert(&out) == NULL ||
                   X509_verify(cmp_ca_issued_cert(&out), ca_key) != 1)) {
            __builtin_trap();
        }
        if (ok) {
            cmp_ca_issued_cleanup(&out);
        }
    }
    if (!ok && err.code == 0) {
        __builtin_trap(); /* a refusal must say why */
    }
    cmp_ca_request_cleanup(&req);
    return 0;
}
