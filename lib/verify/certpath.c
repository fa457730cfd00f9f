/*
 * Certificate paths: the CMP signer's (-trusted), a newly enrolled
 * certificate's (-out_trusted) and the client's own (-own_trusted), built
 * with libcrypto's X509_STORE_CTX and the verification options of
 * openssl-verification-options(1) applied through X509_VERIFY_PARAM.
 */
#include <limits.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "verify/internal.h"
#include "verify/verify.h"

X509 *
cmp_vfy_cert_parse(const struct der_in *der)
{
    const unsigned char *p = der->p;
    X509 *cert;

    if (der->len == 0 || der->len > (size_t)LONG_MAX) {
        return NULL;
    }
    ERR_set_mark();
    cert = d2i_X509(NULL, &p, (long)der->len);
    ERR_pop_to_mark(); /* a peer's bad certificate is reported by the caller, not queued */
    if (cert != NULL && p != der->p + der->len) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static int
append_certs(STACK_OF(X509) *sk, const struct cmp_certs *certs, const char *field,
             struct cmp_err *err)
{
    size_t i;

    for (i = 0; i < certs->num; i++) {
        X509 *cert;

        cert = cmp_vfy_cert_parse(&certs->items[i]);
        if (cert == NULL) {
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "%s[%zu] is not a certificate", field,
                                 i);
        }
        if (!sk_X509_push(sk, cert)) {
            X509_free(cert);
            return CMP_FAIL(err, CMP_E_MEMORY, "%s", field);
        }
    }
    return 1;
}

int
cmp_vfy_msg_certs(STACK_OF(X509) **certs, const struct cmp_msg *msg, int with_ca_pubs,
                  struct cmp_err *err)
{
    int type = msg->body.type;

    if (*certs == NULL) {
        *certs = sk_X509_new_null();
        if (*certs == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
        }
    }
    if (msg->has_extra_certs && !append_certs(*certs, &msg->extra_certs, "extraCerts", err)) {
        return 0;
    }
    if (with_ca_pubs && (type == CMP_BODY_IP || type == CMP_BODY_CP || type == CMP_BODY_KUP) &&
        msg->body.u.rep.has_ca_pubs &&
        !append_certs(*certs, &msg->body.u.rep.ca_pubs, "caPubs", err)) {
        return 0;
    }
    return 1;
}

int
cmp_vfy_cert_path(X509_STORE *trusted, STACK_OF(X509) *untrusted, X509 *cert,
                  X509_VERIFY_PARAM *vpm, int keep_host, int no_status, int bit, const char *what,
                  struct cmp_err *err)
{
    X509_STORE_CTX *ctx;
    X509_VERIFY_PARAM *param;
    X509 *at;
    char subj[128], iss[128];
    int ok, e, depth;

    if (trusted == NULL) {
        return CMP_FAIL_INFO(err, bit, "no trust anchors to validate the %s", what);
    }
    /* What libcrypto queues here is reported through |err|, so leave no trace. */
    ERR_set_mark();
    ctx = X509_STORE_CTX_new();
    if (ctx == NULL || !X509_STORE_CTX_init(ctx, trusted, cert, untrusted)) {
        X509_STORE_CTX_free(ctx);
        ERR_pop_to_mark();
        return CMP_FAIL(err, CMP_E_MEMORY, "validating the %s", what);
    }
    param = X509_STORE_CTX_get0_param(ctx);
    ok = vpm == NULL || X509_VERIFY_PARAM_set1(param, vpm);
    if (ok && !keep_host) {
        /*
         * openssl-cmp(1): -verify_hostname, -verify_ip and -verify_email
         * only affect -out_trusted.
         */
        ok = X509_VERIFY_PARAM_set1_host(param, NULL, 0) &&
             X509_VERIFY_PARAM_set1_email(param, NULL, 0) &&
             X509_VERIFY_PARAM_set1_ip(param, NULL, 0);
    }
    if (ok && no_status) {
        ok =
            X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    if (!ok) {
        X509_STORE_CTX_free(ctx);
        ERR_pop_to_mark();
        return CMP_FAIL(err, CMP_E_MEMORY, "validating the %s", what);
    }
    ok = X509_verify_cert(ctx) > 0;
    e = X509_STORE_CTX_get_error(ctx);
    depth = X509_STORE_CTX_get_error_depth(ctx);
    at = X509_STORE_CTX_get_current_cert(ctx);
    if (!ok) {
        /*
         * Name the certificate at fault, so that a wrong trust store can be
         * told from a wrong certificate: "(at depth 0: /CN=server, issuer
         * /CN=root)".
         */
        X509_NAME_oneline(X509_get_subject_name(at != NULL ? at : cert), subj, sizeof(subj));
        X509_NAME_oneline(X509_get_issuer_name(at != NULL ? at : cert), iss, sizeof(iss));
    }
    X509_STORE_CTX_free(ctx);
    ERR_pop_to_mark(); /* the reason is the context's error, reported below */
    if (!ok) {
        return CMP_FAIL_INFO(err, bit,
                             "%s does not validate: %s (at depth %d: %.40s, issuer %.40s)", what,
                             X509_verify_cert_error_string(e), depth, subj, iss);
    }
    return 1;
}

/*
 * openssl-cmp(1) -out_trusted: "Trusted certificate(s) to use for validating
 * the newly enrolled certificate. During this verification, any certificate
 * status checking is disabled." The path may use the response's extraCerts
 * and caPubs. openssl cmp rejects the certificate in certConf with
 * incorrectData.
 */
int
cmp_vfy_new_cert(X509_STORE *out_trusted, const struct cmp_msg *rsp, X509 *cert,
                 STACK_OF(X509) *untrusted, X509_VERIFY_PARAM *vpm, struct cmp_err *err)
{
    STACK_OF(X509) *chain = NULL;
    int ok;

    if (!cmp_vfy_msg_certs(&chain, rsp, 1, err)) {
        sk_X509_pop_free(chain, X509_free);
        return CMP_CONTEXT(err, "newly enrolled certificate");
    }
    if (!X509_add_certs(chain, untrusted, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        sk_X509_pop_free(chain, X509_free);
        return CMP_FAIL(err, CMP_E_MEMORY, "newly enrolled certificate");
    }
    ok = cmp_vfy_cert_path(out_trusted, chain, cert, vpm, 1, 1, CMP_FI_INCORRECT_DATA,
                           "newly enrolled certificate", err);
    sk_X509_pop_free(chain, X509_free);
    return ok;
}

/* openssl-cmp(1) -own_trusted: the chain built for the -cert CMP signer certificate. */
int
cmp_vfy_own_chain(X509_STORE *own_trusted, X509 *cert, STACK_OF(X509) *untrusted,
                  X509_VERIFY_PARAM *vpm, struct cmp_err *err)
{
    return cmp_vfy_cert_path(own_trusted, untrusted, cert, vpm, 0, 0, CMP_FI_NONE,
                             "own CMP signer certificate (-cert)", err);
}
