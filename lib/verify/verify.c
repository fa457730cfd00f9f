/*
 * cmp_vfy_msg(): every check of a received message, in order, stopping at
 * the first failure (RFC 9483 3.5 lists them; OpenSSL's client runs the
 * same set).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509.h>

#include "verify/internal.h"
#include "verify/verify.h"

void
cmp_vfy_result_cleanup(struct cmp_vfy_result *res)
{
    if (res == NULL) {
        return;
    }
    X509_free(res->signer);
    memset(res, 0, sizeof(*res));
}

/* -expect_sender, or by default the subject of a pinned -srvcert. */
static int
check_sender(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, struct cmp_err *err)
{
    unsigned char *der = NULL;
    struct der_in name;
    int len, ok;

    if (opts->expect_sender.len != 0 || opts->srvcert == NULL) {
        return cmp_vfy_sender(msg, &opts->expect_sender, err);
    }
    len = i2d_X509_NAME(X509_get_subject_name(opts->srvcert), &der);
    if (len <= 0) {
        return CMP_FAIL(err, CMP_E_MEMORY, "subject of the pinned server certificate");
    }
    name = der_in_make(der, (size_t)len);
    ok = cmp_vfy_sender(msg, &name, err);
    OPENSSL_free(der);
    return ok;
}

static const char *
what_negative(const struct cmp_msg *msg)
{
    switch (msg->body.type) {
    case CMP_BODY_ERROR:
        return "error message";
    case CMP_BODY_PKICONF:
        return "pkiConf message";
    case CMP_BODY_RP:
        return "revocation response with rejection status";
    case CMP_BODY_IP:
    case CMP_BODY_CP:
    case CMP_BODY_KUP:
        return "certificate response with rejection status";
    default:
        return "message";
    }
}

/*
 * Protection, or its exceptions: openssl-cmp(1) -unprotected_errors
 * ("missing or invalid protection of negative responses") and the mock
 * server's -accept_unprotected / -accept_unprot_err.
 */
static int
check_protection(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg,
                 struct cmp_vfy_result *res, struct cmp_err *err)
{
    struct cmp_err e;
    int missing;

    cmp_err_init(&e);
    if (cmp_vfy_protection(opts, msg, res, &e)) {
        return 1;
    }
    if (!cmp_vfy_unprotected_ok(opts, msg)) {
        if (err != NULL) {
            *err = e;
        }
        return 0;
    }
    missing = !msg->has_protection && !msg->hdr.has_protection_alg;
    res->protection = CMP_VFY_PROT_NONE;
    res->unprotected_accepted = 1;
    snprintf(res->warning, sizeof(res->warning), "ignoring %s protection of %.40s%s%.150s",
             missing ? "missing" : "invalid", what_negative(msg), missing ? "" : ": ",
             missing ? "" : e.msg);
    return 1;
}

/*
 * recipNonce: the senderNonce of our last message; while polling, the final
 * response may carry that of the request answered 'waiting' instead (RFC
 * 9483 4.4: a response made from the original request, as openssl cmp 3.3+
 * accepts it), a pollRep never.
 */
static int
check_recip_nonce(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, struct cmp_err *err)
{
    if (opts->first_sender_nonce.len != 0 && msg->body.type != CMP_BODY_POLLREP &&
        msg->hdr.has_recip_nonce && der_in_eq(&msg->hdr.recip_nonce, &opts->first_sender_nonce)) {
        return 1;
    }
    return cmp_vfy_recip_nonce(msg, &opts->last_sender_nonce, err);
}

int
cmp_vfy_msg(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, struct cmp_vfy_result *res,
            struct cmp_err *err)
{
    struct cmp_vfy_result r;

    memset(&r, 0, sizeof(r));
    if (!cmp_vfy_pvno(msg, err) || !check_sender(opts, msg, err) ||
        !cmp_vfy_recipient(msg, &opts->expect_recipient, err)) {
        return 0;
    }
    if (opts->transaction_id.len != 0) {
        if (!cmp_vfy_transaction_id(msg, &opts->transaction_id, err)) {
            return 0;
        }
    } else if (!cmp_vfy_transaction_id_new(msg, opts->tid_in_use, opts->tid_in_use_arg, err)) {
        return 0;
    }
    if (!cmp_vfy_sender_nonce(msg, err)) {
        return 0;
    }
    if (opts->last_sender_nonce.len != 0 && !check_recip_nonce(opts, msg, err)) {
        return 0;
    }
    if (opts->check_time && !cmp_vfy_message_time(msg, opts->now, opts->max_time_drift, err)) {
        return 0;
    }
    if (!check_protection(opts, msg, &r, err)) {
        cmp_vfy_result_cleanup(&r);
        return 0;
    }
    if (res != NULL) {
        *res = r;
    } else {
        cmp_vfy_result_cleanup(&r);
    }
    return 1;
}
