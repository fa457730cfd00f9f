/*
 * The public face of the loaders in load.c (include/cmpkit/load.h): the CLI
 * sees only public headers, so it loads through these thin wrappers.
 */
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "cmpkit/load.h"
#include "crypto/crypto.h"

/* The public format numbers are the internal ones. */
_Static_assert((int)CMP_LOAD_FORMAT_ANY == (int)CMP_FORMAT_ANY &&
                   (int)CMP_LOAD_FORMAT_PEM == (int)CMP_FORMAT_PEM &&
                   (int)CMP_LOAD_FORMAT_DER == (int)CMP_FORMAT_DER &&
                   (int)CMP_LOAD_FORMAT_P12 == (int)CMP_FORMAT_P12,
               "enum cmp_load_format must match enum cmp_format");

int
cmp_load_pass(char **out, const char *arg, const char *desc, struct cmp_err *err)
{
    return cmp_pass_get(out, arg, desc, err);
}

void
cmp_load_pass_free(char *pass)
{
    cmp_pass_free(pass);
}

EVP_PKEY *
cmp_load_private_key(const char *uri, int format, const char *pass, const char *desc,
                     struct cmp_err *err)
{
    return cmp_load_key(uri, format, pass, 0, desc, err);
}

X509 *
cmp_load_one_cert(const char *uri, const char *pass, const char *desc, struct cmp_err *err)
{
    return cmp_load_cert(uri, CMP_FORMAT_ANY, pass, desc, err);
}

int
cmp_load_cert_list(STACK_OF(X509) * *certs, const char *uris, const char *pass, const char *desc,
                   struct cmp_err *err)
{
    STACK_OF(X509) *loaded = NULL;

    if (!cmp_load_certs(&loaded, uris, CMP_FORMAT_ANY, pass, desc, err)) {
        return 0;
    }
    if (*certs == NULL) {
        *certs = loaded;
        return 1;
    }
    while (sk_X509_num(loaded) > 0) {
        X509 *c = sk_X509_shift(loaded);

        if (!sk_X509_push(*certs, c)) {
            X509_free(c);
            sk_X509_pop_free(loaded, X509_free);
            return CMP_FAIL(err, CMP_E_MEMORY, "%s", desc != NULL ? desc : "certificates");
        }
    }
    sk_X509_free(loaded);
    return 1;
}

X509_STORE *
cmp_load_trust_store(const char *uris, const char *pass, const X509_VERIFY_PARAM *vpm,
                     const char *desc, struct cmp_err *err)
{
    STACK_OF(X509) *certs = NULL;
    X509_STORE *store;
    X509_VERIFY_PARAM *p;
    int i;

    if (desc == NULL) {
        desc = "trusted certificates";
    }
    if (!cmp_load_certs(&certs, uris, CMP_FORMAT_ANY, pass, desc, err)) {
        return NULL;
    }
    store = X509_STORE_new();
    if (store == NULL) {
        sk_X509_pop_free(certs, X509_free);
        CMP_FAIL(err, CMP_E_MEMORY, "%s", desc);
        return NULL;
    }
    for (i = 0; i < sk_X509_num(certs); i++) {
        /* The same certificate twice is no error (X509_STORE_add_cert() says so since 1.1.1). */
        if (!X509_STORE_add_cert(store, sk_X509_value(certs, i))) {
            sk_X509_pop_free(certs, X509_free);
            X509_STORE_free(store);
            CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot add to the store of %s", desc);
            return NULL;
        }
    }
    sk_X509_pop_free(certs, X509_free);
    p = X509_STORE_get0_param(store);
    if ((vpm != NULL && !X509_STORE_set1_param(store, vpm)) ||
        !X509_VERIFY_PARAM_set1_host(p, NULL, 0) || !X509_VERIFY_PARAM_set1_ip(p, NULL, 0) ||
        !X509_VERIFY_PARAM_set1_email(p, NULL, 0)) {
        X509_STORE_free(store);
        CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot set the verification options of the %s", desc);
        return NULL;
    }
    return store;
}
