/*
 * cmpkit public API: loading pass phrases, keys and certificates as
 * `openssl cmp` loads them (for the CLI and other applications).
 *
 * Pass phrase arguments follow openssl-passphrase-options(1): "pass:",
 * "env:", "file:", "fd:", "stdin", and, as openssl cmp accepts, a bare
 * string. Keys and certificates come from files (PEM, DER, PKCS#12) or
 * OSSL_STORE URIs. Lists of sources are separated by commas and/or
 * whitespace. Nothing here ever prompts.
 *
 * Ownership and errors: what a loader returns is new and the caller's
 * (X509_free(), EVP_PKEY_free(), X509_STORE_free(), X509_CRL_free(),
 * sk_X509_pop_free(..., X509_free), cmp_load_pass_free()). On failure it
 * returns NULL (or 0) and |err| (may be NULL) names |desc| and the source
 * (the file, URI or variable, never a pass phrase); CMP_E_IO when it cannot
 * be read, CMP_E_DECODE when it holds nothing of the kind asked for.
 */
#ifndef CMPKIT_PUBLIC_LOAD_H
#define CMPKIT_PUBLIC_LOAD_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cmpkit/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Input formats (-keyform); a hint, the content decides in the end. */
enum cmp_load_format {
    CMP_LOAD_FORMAT_ANY = 0,
    CMP_LOAD_FORMAT_PEM = 1,
    CMP_LOAD_FORMAT_DER = 2,
    CMP_LOAD_FORMAT_P12 = 3
};

/*
 * cmp_load_pass() resolves the pass phrase source |arg|. On success |*out|
 * is a new NUL-terminated string: free it with cmp_load_pass_free(), which
 * wipes it. |desc| names it in errors ("server key pass phrase").
 */
CMP_API int cmp_load_pass(char **out, const char *arg, const char *desc,
                          struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_load_pass_free() wipes and frees a pass phrase; NULL does nothing. */
CMP_API void cmp_load_pass_free(char *pass);

/*
 * cmp_load_private_key() loads the private key in |uri| (with |pass|, may be
 * NULL, for an encrypted one). Returns a new key, or NULL with |err| naming
 * |desc| and |uri|.
 */
CMP_API EVP_PKEY *cmp_load_private_key(const char *uri, int format, const char *pass,
                                       const char *desc, struct cmp_err *err);

/*
 * cmp_load_one_cert() loads the first certificate in |uri| (with |pass| for
 * a PKCS#12 file, may be NULL): a new X509, or NULL with |err| naming |desc|
 * and |uri|.
 */
CMP_API X509 *cmp_load_one_cert(const char *uri, const char *pass, const char *desc,
                                struct cmp_err *err);

/*
 * cmp_load_cert_list() loads every certificate of every source in |uris|
 * and appends them to |*certs| (created if NULL). A source without any
 * certificate is an error. Returns 1, or 0 with |*certs| as it was.
 */
CMP_API int cmp_load_cert_list(STACK_OF(X509) * *certs, const char *uris, const char *pass,
                               const char *desc, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_load_trust_store() makes a new X509_STORE holding every certificate of
 * |uris| as trust anchors, with a copy of |vpm| (may be NULL) as its
 * verification parameters, less any expected host name, IP address and
 * e-mail address (as openssl cmp does for its trust stores). Returns NULL
 * on failure.
 */
CMP_API X509_STORE *cmp_load_trust_store(const char *uris, const char *pass,
                                         const X509_VERIFY_PARAM *vpm, const char *desc,
                                         struct cmp_err *err);

/*
 * cmp_load_crl() loads the CRL in |uri| (-oldcrl, -rsp_crl): a file in PEM
 * or DER, or an OSSL_STORE URI. Returns a new X509_CRL, or NULL with |err|
 * naming |desc| and |uri|.
 */
CMP_API X509_CRL *cmp_load_crl(const char *uri, const char *desc, struct cmp_err *err);

#ifdef __cplusplus
}
#endif
#endif
