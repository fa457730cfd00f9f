/*
 * Signature-based protection of a received message (RFC 9810 5.1.3.3):
 * finding the signer certificate, checking that it may sign for the sender,
 * its key usage and its path to a trust anchor, as openssl cmp's -srvcert,
 * -trusted, -untrusted and -ignore_keyusage describe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "verify/internal.h"
#include "verify/verify.h"

/*
 * RFC 9810 5.1.1: with signature-based protection the sender is the subject
 * of the protection certificate; RFC 9483 3.1: senderKID is its SKID (when
 * it has one).
 */
/* Is |cert|'s subject the sender (a directoryName)? -1 if the sender is no valid Name. */
static int
subject_is_sender(const struct cmp_msg *msg, X509 *cert)
{
    X509_NAME *sender;
    int eq;

    if (msg->hdr.sender.type != CMP_GN_DIRNAME) {
        return 0;
    }
    sender = cmp_vfy_name_parse(&msg->hdr.sender.value);
    if (sender == NULL) {
        return -1;
    }
    eq = X509_NAME_cmp(sender, X509_get_subject_name(cert)) == 0;
    X509_NAME_free(sender);
    return eq;
}

/* Is senderKID |cert|'s SKID, or one of them absent? */
static int
kid_matches(const struct cmp_msg *msg, X509 *cert)
{
    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);

    if (!msg->hdr.has_sender_kid || skid == NULL) {
        return 1;
    }
    return msg->hdr.sender_kid.len == (size_t)ASN1_STRING_length(skid) &&
           memcmp(msg->hdr.sender_kid.p, ASN1_STRING_get0_data(skid), msg->hdr.sender_kid.len) == 0;
}

/*
 * RFC 9810 5.1.1: with signature-based protection the sender is the subject
 * of the protection certificate; RFC 9483 3.1: senderKID is its SKID (when
 * it has one).
 */
int
cmp_vfy_signer_matches(const struct cmp_msg *msg, X509 *cert, int bit, struct cmp_err *err)
{
    int eq = subject_is_sender(msg, cert);

    if (eq < 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "sender is not a valid Name");
    }
    if (eq == 0) {
        return CMP_FAIL_INFO(err, bit, "sender does not match the signer certificate's subject");
    }
    if (!kid_matches(msg, cert)) {
        return CMP_FAIL_INFO(err, bit,
                             "senderKID does not match the signer certificate's "
                             "subjectKeyIdentifier");
    }
    return 1;
}

/* RFC 5280 4.2.1.3; openssl-cmp(1) -ignore_keyusage. */
int
cmp_vfy_key_usage(X509 *cert, struct cmp_err *err)
{
    if ((X509_get_extension_flags(cert) & EXFLAG_KUSAGE) != 0 &&
        (X509_get_key_usage(cert) & KU_DIGITAL_SIGNATURE) == 0) {
        return CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED,
                             "signer certificate's keyUsage lacks digitalSignature");
    }
    return 1;
}

/* The signature itself, with |cert|'s public key. */
static int
verify_with(const struct cmp_msg *msg, X509 *cert, struct cmp_err *err)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert);

    if (pub == NULL) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG,
                             "signer certificate's public key is not usable (protectionAlg)");
    }
    if (!cmp_verify_sig(msg, pub, err)) {
        return CMP_CONTEXT(err, "signature-based protection");
    }
    return 1;
}

/*
 * The signer of an earlier message of the transaction: acceptable as it was
 * (no new path validation, as openssl), still within its validity period.
 */
static int
try_validated(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, X509 *cert,
              struct cmp_err *err)
{
    if (!cmp_vfy_signer_matches(msg, cert, CMP_FI_SIGNER_NOT_TRUSTED, err)) {
        return 0;
    }
    if (!opts->ignore_keyusage && !cmp_vfy_key_usage(cert, err)) {
        return 0;
    }
    if (X509_cmp_timeframe(opts->vpm, X509_get0_notBefore(cert), X509_get0_notAfter(cert)) != 0) {
        return CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED,
                             "signer certificate is not within its validity period");
    }
    return verify_with(msg, cert, err);
}

/* A debug line through opts->log, if set. */
static void CMP_PRINTF(2, 3) vlog(const struct cmp_vfy_opts *opts, const char *fmt, ...)
{
    char line[600];
    va_list ap;

    if (opts->log == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    opts->log(opts->log_arg, line);
}

/* "/CN=server (issuer /CN=root)" for the debug lines. */
static const char *
cert_names(X509 *cert, char *buf, size_t len)
{
    char subj[256], iss[256];

    X509_NAME_oneline(X509_get_subject_name(cert), subj, sizeof(subj));
    X509_NAME_oneline(X509_get_issuer_name(cert), iss, sizeof(iss));
    snprintf(buf, len, "%.200s (issuer %.200s)", subj, iss);
    return buf;
}

/* The trust anchors searched, for the debug log: who a signer must chain to. */
static void
log_anchors(const struct cmp_vfy_opts *opts)
{
    STACK_OF(X509_OBJECT) *objs;
    char name[256];
    int i, n = 0;

    if (opts->log == NULL || opts->trusted == NULL) {
        return;
    }
    objs = X509_STORE_get0_objects(opts->trusted);
    for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

        if (x != NULL) {
            X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
            vlog(opts, "trust anchor (-trusted) #%d: %s", n++, name);
        }
    }
    if (n == 0) {
        vlog(opts, "no certificates in the trust store (-trusted)");
    }
}

/* How far a candidate got; the furthest one's error is the one reported. */
enum stage { ST_NONE = 0, ST_NO_NAME, ST_NO_KID, ST_UNACCEPTABLE, ST_BAD_SIG, ST_NO_PATH };

struct search {
    const struct cmp_vfy_opts *opts;
    const struct cmp_msg *msg;
    const char *from;      /* where the candidates come from, for the log */
    int index;             /* the candidate's position there */
    STACK_OF(X509) *chain; /* extraCerts and -untrusted: intermediates */
    int tried;             /* signatures tried */
    int stage;             /* furthest stage reached by a failing candidate */
    struct cmp_err best;   /* its error */
    X509 *found;
};

static void
search_note(struct search *s, int stage, const struct cmp_err *e)
{
    if (stage > s->stage) {
        s->stage = stage;
        s->best = *e;
    }
}

/* One candidate; 1 if it is the signer. */
static int
search_try(struct search *s, X509 *cert)
{
    const struct cmp_vfy_opts *o = s->opts;
    struct cmp_err e;
    char names[600];

    cmp_err_init(&e);
    if (o->log != NULL) {
        vlog(o, "considering signer candidate %s #%d: %s", s->from, s->index,
             cert_names(cert, names, sizeof(names)));
    }
    if (subject_is_sender(s->msg, cert) != 1) {
        vlog(o, "  its subject is not the sender");
        search_note(s, ST_NO_NAME, &e);
        return 0;
    }
    if (!kid_matches(s->msg, cert)) {
        vlog(o, "  senderKID is not its subjectKeyIdentifier");
        CMP_FAIL_INFO(&e, CMP_FI_SIGNER_NOT_TRUSTED,
                      "senderKID matches the subjectKeyIdentifier of no certificate in "
                      "extraCerts or -untrusted whose subject is the sender");
        search_note(s, ST_NO_KID, &e);
        return 0;
    }
    if (!o->ignore_keyusage && !cmp_vfy_key_usage(cert, &e)) {
        vlog(o, "  not acceptable: %s", e.msg);
        search_note(s, ST_UNACCEPTABLE, &e);
        return 0;
    }
    if (s->tried >= CMP_VFY_MAX_CANDIDATES) {
        vlog(o, "  not tried: %d signatures tried already", CMP_VFY_MAX_CANDIDATES);
        return 0;
    }
    s->tried++;
    if (!verify_with(s->msg, cert, &e)) {
        vlog(o, "  the signature does not verify with its key: %s", e.msg);
        search_note(s, ST_BAD_SIG, &e);
        return 0;
    }
    if (!cmp_vfy_cert_path(o->trusted, s->chain, cert, o->vpm, 0, 0, CMP_FI_SIGNER_NOT_TRUSTED,
                           "signer certificate", &e)) {
        vlog(o, "  the signature verifies, but the %s", e.msg);
        search_note(s, ST_NO_PATH, &e);
        return 0;
    }
    vlog(o, "  the signature verifies and the certificate chains to a trust anchor");
    s->found = cert;
    return 1;
}

static int
search_stack(struct search *s, STACK_OF(X509) *certs, const char *from)
{
    int i;

    s->from = from;
    for (i = 0; i < sk_X509_num(certs); i++) {
        s->index = i;
        if (search_try(s, sk_X509_value(certs, i))) {
            return 1;
        }
    }
    return 0;
}

int
cmp_vfy_signature(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, X509 **out_signer,
                  struct cmp_err *err)
{
    STACK_OF(X509) *extra = NULL;
    struct search s;
    struct cmp_err e;
    int ok = 0;

    if (out_signer != NULL) {
        *out_signer = NULL;
    }
    if (opts->srvcert != NULL) {
        /* -srvcert: "expect and directly trust (even if it is expired)". */
        if (opts->log != NULL) {
            char names[600];

            vlog(opts, "checking the signature with the pinned server certificate (-srvcert) %s",
                 cert_names(opts->srvcert, names, sizeof(names)));
        }
        if (!cmp_vfy_signer_matches(msg, opts->srvcert, CMP_FI_BAD_MESSAGE_CHECK, err)) {
            return CMP_CONTEXT(err, "pinned server certificate (-srvcert)");
        }
        if (!verify_with(msg, opts->srvcert, err)) {
            return CMP_CONTEXT(err, "pinned server certificate (-srvcert)");
        }
        if (out_signer != NULL && X509_up_ref(opts->srvcert)) {
            *out_signer = opts->srvcert;
        }
        return 1;
    }
    if (opts->vouched_signer != NULL) {
        /*
         * The caller's records name the signer (a CA that issued it and keeps
         * its status): that certificate or none, and no path to check.
         */
        if (!try_validated(opts, msg, opts->vouched_signer, err)) {
            return CMP_CONTEXT(err, "signer certificate");
        }
        if (out_signer != NULL && X509_up_ref(opts->vouched_signer)) {
            *out_signer = opts->vouched_signer;
        }
        return 1;
    }
    if (opts->validated_signer != NULL) {
        char names[600];

        cmp_err_init(&e);
        if (opts->log != NULL) {
            vlog(opts, "trying the signer of the earlier response, %s",
                 cert_names(opts->validated_signer, names, sizeof(names)));
        }
        if (try_validated(opts, msg, opts->validated_signer, &e)) {
            vlog(opts, "  the signature verifies");
            if (out_signer != NULL && X509_up_ref(opts->validated_signer)) {
                *out_signer = opts->validated_signer;
            }
            return 1;
        }
        /* As openssl: fall back to a full search (the server may have a new key). */
        vlog(opts, "  no: %s; searching again", e.msg);
    }
    if (opts->trusted == NULL) {
        /* wrongIntegrity: "password based instead of signature or vice versa" */
        return CMP_FAIL_INFO(
            err, opts->secret != NULL ? CMP_FI_WRONG_INTEGRITY : CMP_FI_SIGNER_NOT_TRUSTED,
            "protection is signature-based, but we have no trust anchor or "
            "pinned certificate to verify it");
    }

    memset(&s, 0, sizeof(s));
    s.opts = opts;
    s.msg = msg;
    cmp_err_init(&s.best);
    if (opts->extra_certs != NULL) {
        /* The caller decoded them already (each certificate once per message). */
        extra = X509_chain_up_ref(opts->extra_certs);
        if (extra == NULL) {
            CMP_FAIL(err, CMP_E_MEMORY, "extraCerts");
            goto done;
        }
    } else if (!cmp_vfy_msg_certs(&extra, msg, 0, err)) {
        CMP_CONTEXT(err, "signature-based protection");
        goto done;
    }
    s.chain = sk_X509_new_null();
    if (s.chain == NULL || !X509_add_certs(s.chain, extra, X509_ADD_FLAG_UP_REF) ||
        !X509_add_certs(s.chain, opts->untrusted, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        CMP_FAIL(err, CMP_E_MEMORY, "signer certificate candidates");
        goto done;
    }
    /* RFC 9483 3.3: the protection certificate comes first in extraCerts. */
    log_anchors(opts);
    if (search_stack(&s, extra, "from extraCerts") ||
        search_stack(&s, opts->untrusted, "from -untrusted")) {
        if (out_signer != NULL && X509_up_ref(s.found)) {
            *out_signer = s.found;
        }
        ok = 1;
        goto done;
    }
    if (s.stage <= ST_NO_NAME) {
        CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED,
                      "sender is the subject of no certificate in extraCerts or -untrusted");
    } else if (err != NULL) {
        *err = s.best;
    }
done:
    sk_X509_pop_free(s.chain, X509_free);
    sk_X509_pop_free(extra, X509_free);
    return ok;
}

/* ---- the signer of a request at the server (RFC 9483 3.1, 3.5, 5) ---- */

int
cmp_vfy_signer_kid(const struct cmp_msg *msg, X509 *signer, const char **peer_text,
                   struct cmp_err *err)
{
    const ASN1_OCTET_STRING *skid;

    if (signer == NULL || msg->hdr.has_sender_kid) {
        return 1;
    }
    skid = X509_get0_subject_key_id(signer);
    if (skid != NULL && ASN1_STRING_length(skid) > 0) {
        CMP_VFY_PEER(peer_text, "senderKID missing");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "signed request without senderKID, although the signer certificate "
                             "has a subjectKeyIdentifier");
    }
    return 1;
}

/* Does |cert| carry the extended key usage |nid| (an OpenSSL NID)? */
static int
has_eku(X509 *cert, int nid)
{
    EXTENDED_KEY_USAGE *eku;
    int i, found = 0;

    if (cert == NULL) {
        return 0;
    }
    eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    for (i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
        if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid) {
            found = 1;
        }
    }
    EXTENDED_KEY_USAGE_free(eku);
    return found;
}

int
cmp_vfy_signer_is_ra(X509 *signer)
{
    return has_eku(signer, NID_cmcRA);
}

int
cmp_vfy_signer_first(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                     X509 *signer, const char **peer_text, struct cmp_err *err)
{
    const struct der_in *first;
    unsigned char *der = NULL;
    int len, same;

    if (rules == NULL || rules->profile != CMP_VFY_PROFILE_LIGHTWEIGHT || signer == NULL ||
        !msg->has_extra_certs || msg->extra_certs.num == 0) {
        return 1;
    }
    /*
     * RFC 9483 3.3: "the first certificate in this field MUST be the CMP
     * protection certificate". Compared as DER (what X509_cmp() compares
     * too), without decoding the first one again.
     */
    first = &msg->extra_certs.items[0];
    len = i2d_X509(signer, &der);
    same = len > 0 && (size_t)len == first->len && memcmp(der, first->p, first->len) == 0;
    OPENSSL_free(der);
    ERR_clear_error();
    if (!same) {
        CMP_VFY_PEER(peer_text, "the first extraCert is not the protection certificate");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "the first of the extraCerts is not the CMP protection certificate "
                             "(RFC 9483 3.3)");
    }
    return 1;
}

int
cmp_vfy_signer_role(X509 *signer, X509 *own, const char **peer_text, struct cmp_err *err)
{
    if (signer == NULL) {
        return 1;
    }
    /*
     * RFC 9483 3.5: the sender of a request must be authorized for it. A
     * request signed with our own CMP certificate, or with a CA's (RFC 9483
     * 5, RFC 6402 2.10: id-kp-cmcCA), comes from another PKI management
     * entity, never an end entity or an RA of ours: notAuthorized, though
     * its signature and path may be valid.
     */
    if (own != NULL && X509_cmp(signer, own) == 0) {
        CMP_VFY_PEER(peer_text, "not authorized: signed with the server's certificate");
        return CMP_FAIL_INFO(err, CMP_FI_NOT_AUTHORIZED,
                             "request signed with the server's own CMP certificate");
    }
    if (has_eku(signer, NID_cmcCA)) {
        CMP_VFY_PEER(peer_text, "not authorized: signed by a CA's certificate");
        return CMP_FAIL_INFO(err, CMP_FI_NOT_AUTHORIZED,
                             "request signed with a CA's certificate (extended key usage "
                             "cmcCA): another PKI management entity");
    }
    return 1;
}
