/*
 * Loading a CRL (-oldcrl, -rsp_crl) as openssl cmp's load_crl() does for a
 * file: PEM or DER, whichever the content is. Other URIs (a provider's
 * store) go through OSSL_STORE, expecting a CRL.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/store.h>

#include "cmpkit/load.h"
#include "crypto/crypto.h"

/* |uri| is "scheme:..." (RFC 3986 3.1) other than file:. */
static int
is_store_uri(const char *uri)
{
    const char *p = uri;

    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
           (p > uri && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))) {
        p++;
    }
    return p > uri + 1 && *p == ':' && strncasecmp(uri, "file:", 5) != 0;
}

static X509_CRL *
store_crl(const char *uri)
{
    OSSL_STORE_CTX *st = OSSL_STORE_open(uri, NULL, NULL, NULL, NULL);
    X509_CRL *crl = NULL;

    if (st == NULL) {
        return NULL;
    }
    (void)OSSL_STORE_expect(st, OSSL_STORE_INFO_CRL);
    while (crl == NULL && !OSSL_STORE_eof(st)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(st);

        if (info != NULL && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_CRL) {
            crl = OSSL_STORE_INFO_get1_CRL(info);
        }
        OSSL_STORE_INFO_free(info);
        if (info == NULL && OSSL_STORE_error(st)) {
            break;
        }
    }
    OSSL_STORE_close(st);
    return crl;
}

X509_CRL *
cmp_load_crl(const char *uri, const char *desc, struct cmp_err *err)
{
    const char *path = uri;
    X509_CRL *crl = NULL;
    BIO *bio;

    if (uri == NULL || *uri == '\0') {
        CMP_FAIL(err, CMP_E_ARG, "no file name for the %s", desc);
        return NULL;
    }
    if (is_store_uri(uri) && access(uri, F_OK) != 0) {
        crl = store_crl(uri);
        if (crl == NULL) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "cannot load the %s from '%s'", desc, uri);
        }
        return crl;
    }
    if (strncasecmp(path, "file:", 5) == 0) {
        path += 5;
    }
    errno = 0;
    bio = BIO_new_file(path, "rb");
    if (bio == NULL) {
        int e = errno;

        ERR_clear_error();
        CMP_FAIL(err, CMP_E_IO, "cannot open '%s' (the %s): %s", path, desc,
                 e != 0 ? strerror(e) : "cannot be read");
        return NULL;
    }
    crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
    if (crl == NULL && BIO_reset(bio) == 0) {
        ERR_clear_error();
        crl = d2i_X509_CRL_bio(bio, NULL);
    }
    BIO_free(bio);
    if (crl == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_NONE, "'%s' holds no CRL (the %s), in PEM or DER", path, desc);
    }
    return crl;
}
