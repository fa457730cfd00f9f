/*
 * Checks of a received PKIMessage (RFC 9810 5.1, RFC 9483 3.5), used by the
 * client on responses and by the server on requests (mirrored). Each check
 * is a separate function that fails with the PKIFailureInfo bit the RFC
 * defines for it (RFC 9810 5.2.3) and a message that names the field:
 *
 *   unsupportedVersion  pvno is not cmp2000(2) or cmp2021(3)
 *   badDataFormat       a required header field is missing or of the wrong
 *                       kind (transactionID, sender not a directoryName,
 *                       extraCerts that are not certificates)
 *   badRequest          transactionID differs from our transaction's
 *   transactionIdInUse  a new transaction reuses a transactionID (server)
 *   badSenderNonce      senderNonce missing or shorter than 128 bits
 *   badRecipientNonce   recipNonce missing or not our last senderNonce
 *   badTime             messageTime too far from our clock
 *   wrongAuthority      recipient is not us
 *   badAlg              protectionAlg unknown or its parameters unacceptable
 *                       (PBM iteration count over the limit: refused before
 *                       any work)
 *   wrongIntegrity      MAC-based protection where signature-based is
 *                       expected or vice versa, or the kind we have no
 *                       credentials for (no secret, no trust anchor)
 *   badMessageCheck     protection missing or wrong (MAC or signature does
 *                       not verify; sender or senderKID differ from the
 *                       pinned signer certificate)
 *   signerNotTrusted    no acceptable signer certificate (none matches sender
 *                       and senderKID, no digitalSignature key usage, no
 *                       chain to a trust anchor) or the sender is not the
 *                       expected sender
 *   incorrectData       a newly enrolled certificate does not validate
 *                       against -out_trusted
 *
 * cmp_vfy_msg() runs them in order and stops at the first failure.
 * The rules of each body type (certConf, polling, revocation, certificate
 * requests and responses) have their own checks, below. The
 * options mirror `openssl cmp`'s server authentication options (-trusted,
 * -untrusted, -srvcert, -expect_sender, -ignore_keyusage,
 * -unprotected_errors) and its mock server's (-srv_trusted, -srv_untrusted,
 * -srv_secret, -accept_unprotected, -accept_unprot_err).
 */
#ifndef CMPKIT_VERIFY_H
#define CMPKIT_VERIFY_H

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "crypto/crypto.h"
#include "msg/msg.h"

/* RFC 9483 3.1: a senderNonce carries at least 128 bits. */
#define CMP_VFY_MIN_NONCE_LEN 16
/* Signer candidates (extraCerts, -untrusted) whose signature we try at most. */
#define CMP_VFY_MAX_CANDIDATES 16

/* The kind of protection a message has or that was verified. */
enum cmp_vfy_prot { CMP_VFY_PROT_NONE = 0, CMP_VFY_PROT_MAC = 1, CMP_VFY_PROT_SIG = 2 };

/*
 * The server's transaction table: returns 1 if |tid| already names a
 * transaction (RFC 9810 5.1.1: the new one then fails with
 * transactionIdInUse), 0 if it is free.
 */
typedef int cmp_vfy_tid_in_use_fn(void *arg, const struct der_in *tid);

/*
 * What a received message is checked against. Zeroed means: any sender,
 * nothing checked that needs state, no protection accepted (no secret, no
 * trust). Everything is borrowed and must outlive the call.
 */
struct cmp_vfy_opts {
    /* MAC-based protection (-secret, -srv_secret) */
    const uint8_t *secret;
    size_t secret_len;
    struct cmp_mac_limits mac_limits; /* PBM/PBMAC1 iteration count limit */
    /*
     * the reference of |secret| (-srv_ref; len 0: not set): a MAC-protected
     * message whose senderKID names another is refused (badMessageCheck)
     * before a key is derived
     */
    struct der_in mac_kid;

    /* signature-based protection */
    X509 *srvcert;             /* -srvcert: pinned and directly trusted, even if expired */
    X509_STORE *trusted;       /* -trusted: trust anchors; ignored with srvcert */
    STACK_OF(X509) *untrusted; /* -untrusted: intermediates, signer candidates */
    X509_VERIFY_PARAM *vpm;    /* verification options (-attime, -policy...); may be NULL */
    int ignore_keyusage;       /* -ignore_keyusage */
    X509 *validated_signer;    /* the signer of an earlier message of this transaction,
                                * tried first (cmp_vfy_result.signer); may be NULL */
    STACK_OF(X509) *extra_certs; /* the message's extraCerts already decoded, all of them in
                                  * order (the server's decode cache); NULL: decoded here */
    X509 *vouched_signer;        /* the signer certificate as the caller's own records name
                                  * it (a CA's database, cmpkit/server.h find_signer): the
                                  * only candidate, accepted without a path to a trust
                                  * anchor; NULL: none */

    /* names (Name DER, a SEQUENCE; len 0: not set) */
    struct der_in expect_sender;    /* -expect_sender; default: srvcert's subject */
    struct der_in expect_recipient; /* our own name; a NULL-DN recipient also passes */

    /* which protection is acceptable */
    int expect_protection;  /* enum cmp_vfy_prot: 0 any; else the other kind is wrongIntegrity */
    int unprotected_errors; /* client: missing or invalid protection of negative responses */
    int accept_unprotected; /* server: missing or invalid protection of any request */
    int accept_unprot_err;  /* server: missing or invalid protection of error messages */

    /* transaction state */
    struct der_in transaction_id;      /* ours; len 0: a new transaction (server) */
    cmp_vfy_tid_in_use_fn *tid_in_use; /* server, new transaction; may be NULL */
    void *tid_in_use_arg;
    struct der_in last_sender_nonce; /* recipNonce must equal it; len 0: not checked */
    struct der_in first_sender_nonce; /* client polling: a final response (not a pollRep) may
                                       * answer the request that got 'waiting' instead,
                                       * RFC 9483 4.4; len 0: none */

    /*
     * Debug lines (may be NULL): each signer certificate tried, with the
     * outcome (not the sender, wrong senderKID, key usage, signature, path),
     * and the trust anchors searched.
     */
    void (*log)(void *arg, const char *line);
    void *log_arg;

    /* time */
    int check_time;         /* check messageTime when present */
    int64_t now;            /* seconds since the epoch; 0: time(NULL) */
    int64_t max_time_drift; /* allowed |messageTime - now| in seconds */
};

/* What cmp_vfy_msg() found, for the caller to act on and log. */
struct cmp_vfy_result {
    int protection;                /* enum cmp_vfy_prot that verified; NONE when accepted without */
    X509 *signer;                  /* owned: the certificate that verified the signature, or NULL */
    int unprotected_accepted;      /* missing or invalid protection accepted by an exception */
    char warning[CMP_ERR_MSG_MAX + 64]; /* why it was accepted, for the log; "" if not */
};

/* cmp_vfy_result_cleanup() frees the signer and zeroes |res|. Safe on a zeroed struct. */
void cmp_vfy_result_cleanup(struct cmp_vfy_result *res);

/*
 * cmp_vfy_msg() runs the checks below in this order and stops at the first
 * failure: pvno, sender, recipient, transactionID, senderNonce, recipNonce,
 * messageTime, protection (with the -unprotected_errors / -accept_unprot*
 * exceptions). |res| must be zeroed; on success it says how the message
 * was protected and, for a signature, which certificate verified it (the
 * client pins it as opts->validated_signer for the rest of the transaction,
 * as openssl does). On failure |res| is left zeroed and |err| has the bit.
 */
int cmp_vfy_msg(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg,
                struct cmp_vfy_result *res, struct cmp_err *err) CMP_MUST_CHECK;

/* ---- header checks (header.c) ---- */

/* cmp_vfy_pvno(): RFC 9810 5.1.1, pvno cmp2000(2) or cmp2021(3); else unsupportedVersion. */
int cmp_vfy_pvno(const struct cmp_msg *msg, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_transaction_id(): RFC 9810 5.1.1, transactionID present
 * (badDataFormat) and, with |expected| non-empty, equal to our
 * transaction's (badRequest).
 */
int cmp_vfy_transaction_id(const struct cmp_msg *msg, const struct der_in *expected,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_transaction_id_new(): RFC 9810 5.1.1, the first message of a new
 * transaction at the server: transactionID present (badDataFormat) and, if
 * |in_use| (the server's transaction table; may be NULL) says it names a
 * transaction already, transactionIdInUse.
 */
int cmp_vfy_transaction_id_new(const struct cmp_msg *msg, cmp_vfy_tid_in_use_fn *in_use, void *arg,
                               struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_sender_nonce(): RFC 9810 5.1.1, RFC 9483 3.1, senderNonce present
 * and at least 128 bits; else badSenderNonce.
 */
int cmp_vfy_sender_nonce(const struct cmp_msg *msg, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_recip_nonce(): RFC 9810 5.1.1, recipNonce present and equal to
 * |last_sender_nonce|, the senderNonce of the message this one answers;
 * else badRecipientNonce.
 */
int cmp_vfy_recip_nonce(const struct cmp_msg *msg, const struct der_in *last_sender_nonce,
                        struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_message_time(): RFC 9810 5.1.1, RFC 9483 3.5, a messageTime, if
 * present, within |max_drift| seconds of |now| (0: time(NULL)); else
 * badTime. A message without one passes.
 */
int cmp_vfy_message_time(const struct cmp_msg *msg, int64_t now, int64_t max_drift,
                         struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_sender(): RFC 9810 5.1.1, sender is a directoryName
 * (badDataFormat) and, with |expected| non-empty (-expect_sender), the same
 * DN (X509_NAME_cmp); a different one is signerNotTrusted.
 */
int cmp_vfy_sender(const struct cmp_msg *msg, const struct der_in *expected,
                   struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_recipient(): RFC 9810 5.1.1, recipient is a directoryName equal to
 * |expected|, or the NULL-DN (the sender may not know our name); else
 * wrongAuthority. Passes if |expected| is empty.
 */
int cmp_vfy_recipient(const struct cmp_msg *msg, const struct der_in *expected,
                      struct cmp_err *err) CMP_MUST_CHECK;

/* ---- the rules of a request at the server (RFC 9483 3 and 4) ----
 *
 * RFC 9483 (the Lightweight CMP Profile) makes rules that RFC 9810 leaves
 * open. The server checks those that every client we know keeps on every
 * request; the profile CMP_VFY_PROFILE_LIGHTWEIGHT adds those that
 * `openssl cmp` 3.0 and 3.6 break by default (docs/SERVER.md lists both).
 */
enum cmp_vfy_profile { CMP_VFY_PROFILE_RFC9810 = 0, CMP_VFY_PROFILE_LIGHTWEIGHT = 1 };

/* The largest RSA key a certTemplate may carry by default (RFC 9483 4.1.1: badCertTemplate). */
#define CMP_VFY_DEFAULT_MAX_RSA_BITS 8192

struct cmp_vfy_req_rules {
    int profile;              /* enum cmp_vfy_profile */
    int require_message_time; /* a request without messageTime fails (missingTimeStamp) */
    int max_rsa_bits;         /* largest RSA modulus in a certTemplate; 0: the default */
};

/*
 * cmp_vfy_req_header() checks the header rules of RFC 9483 3.1 and 3.2 that
 * need no key, for a request (|first|: the first message of a transaction):
 *   sender a directoryName: badMessageCheck for a signature (it names the
 *     protection certificate's subject), badRequest otherwise (3.1, 3.2);
 *   no recipNonce in a first message (3.1): badRecipientNonce;
 *   messageTime present if |rules| require it (3.1 RECOMMENDED; RFC 9810
 *     5.2.3): missingTimeStamp;
 *   generalInfo: implicitConfirm NULL, confirmWaitTime a GeneralizedTime,
 *     certProfile one UTF8String (RFC 9810 5.1.1.1-5.1.1.4, 3.1):
 *     badDataFormat;
 *   lightweight: certProfile only in a first message (3.1): badRequest; a
 *     MAC-protected request names its secret by senderKID (3.1, 3.2):
 *     badMessageCheck.
 */
int cmp_vfy_req_header(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg, int first,
                       const char **peer_text, struct cmp_err *err) CMP_MUST_CHECK;

/* ---- protection (protection.c) ---- */

/*
 * cmp_vfy_prot_kind() classifies protectionAlg: CMP_VFY_PROT_MAC (PBM,
 * PBMAC1), CMP_VFY_PROT_SIG (a signature algorithm libcrypto knows),
 * CMP_VFY_PROT_NONE if absent, or -1 if unknown.
 */
int cmp_vfy_prot_kind(const struct cmp_msg *msg);

/*
 * cmp_vfy_is_negative() is 1 for the negative responses that
 * -unprotected_errors covers (openssl-cmp(1)): error messages, ip/cp/kup
 * with a single CertResponse of status rejection, rp whose first status is
 * rejection, and pkiConf (which has no status; openssl accepts every one).
 */
int cmp_vfy_is_negative(const struct cmp_msg *msg);

/*
 * cmp_vfy_unprotected_ok() is 1 if |opts| let |msg| through with missing or
 * invalid protection: -unprotected_errors for a negative response,
 * -accept_unprotected for any message, -accept_unprot_err for an error.
 */
int cmp_vfy_unprotected_ok(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg);

/*
 * cmp_vfy_protection() checks the protection (RFC 9810 5.1.3) with the
 * credentials of |opts|: badMessageCheck if absent; MAC or signature below;
 * badAlg for an unknown algorithm; wrongIntegrity for a kind not expected.
 * On success sets res->protection and, for a signature, res->signer.
 */
int cmp_vfy_protection(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg,
                       struct cmp_vfy_result *res, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_mac() checks PBM/PBMAC1 protection (RFC 9810 5.1.3.1) with
 * opts->secret via cmp_verify_mac() (the iteration limit first). No secret:
 * wrongIntegrity if we could check a signature instead, else badMessageCheck;
 * a senderKID other than opts->mac_kid (if set): badMessageCheck, before
 * any work.
 */
int cmp_vfy_mac(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg,
                struct cmp_err *err) CMP_MUST_CHECK;

/* ---- signature-based protection (signer.c) ---- */

/*
 * cmp_vfy_signature() checks signature-based protection (RFC 9810 5.1.3.3):
 *   - with opts->srvcert: that certificate (no key usage, validity or path
 *     check: it is pinned);
 *   - else with opts->vouched_signer: that certificate alone, as an earlier
 *     validated signer (subject, senderKID, key usage, validity; no path);
 *   - else opts->validated_signer if it is still acceptable;
 *   - else the first acceptable certificate among extraCerts, then
 *     opts->untrusted, whose key verifies the signature and which chains to
 *     opts->trusted (with extraCerts and opts->untrusted as intermediates).
 * Acceptable: subject equal to sender, SKID equal to senderKID when both are
 * present, digitalSignature key usage unless opts->ignore_keyusage, within
 * its validity period. On success |*out_signer| (may be NULL) gets a new
 * reference to the certificate.
 */
int cmp_vfy_signature(const struct cmp_vfy_opts *opts, const struct cmp_msg *msg, X509 **out_signer,
                      struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_signer_matches() checks that |cert| may be the signer of |msg|
 * (RFC 9810 5.1.1, RFC 9483 3.1): subject equal to the sender, SKID equal
 * to senderKID when both are present. Failure bit |bit| (badMessageCheck
 * for a pinned certificate, signerNotTrusted for a candidate).
 */
int cmp_vfy_signer_matches(const struct cmp_msg *msg, X509 *cert, int bit,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_key_usage() requires the digitalSignature key usage when |cert|
 * has a keyUsage extension (RFC 5280 4.2.1.3); else signerNotTrusted.
 */
int cmp_vfy_key_usage(X509 *cert, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_signer_kid(): RFC 9483 3.1, "senderKID ... MUST be the
 * SubjectKeyIdentifier if the CMP protection certificate contains" one: a
 * request signed with such a certificate and no senderKID fails with
 * badMessageCheck (a different one already fails the signer's match).
 */
int cmp_vfy_signer_kid(const struct cmp_msg *msg, X509 *signer, const char **peer_text,
                       struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_signer_role() checks that the signer of a request may request
 * from us (RFC 9483 3.5: the sender is authorized; 5: a PKI management
 * entity is known by the id-kp-cmcCA / id-kp-cmcRA extended key usage):
 * our own certificate |own| (may be NULL) or a CA's (cmcCA) is another PKI
 * management entity, notAuthorized. An RA's (cmcRA) may forward requests
 * (5.2.3) and vouch for their POPO (cmp_vfy_signer_is_ra()).
 */
int cmp_vfy_signer_role(X509 *signer, X509 *own, const char **peer_text,
                        struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_signer_first() (signer.c): under the Lightweight CMP Profile
 * (rules->profile) the extraCerts of a signed request, when present, begin
 * with the CMP protection certificate |signer| (RFC 9483 3.3: "the first
 * certificate in this field MUST be the CMP protection certificate"):
 * badMessageCheck otherwise, as for a protection that cannot be tied to
 * its certificate.
 */
int cmp_vfy_signer_first(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                         X509 *signer, const char **peer_text,
                         struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_vfy_signer_is_ra() is 1 if |signer| (may be NULL) has the id-kp-cmcRA extended key usage. */
int cmp_vfy_signer_is_ra(X509 *signer);

/* ---- certificate paths (certpath.c) ---- */

/*
 * cmp_vfy_msg_certs() decodes msg's extraCerts and, with |with_ca_pubs|,
 * the caPubs of an ip/cp/kup, appending them to |*certs| (created if NULL).
 * badDataFormat if one is not a certificate.
 */
int cmp_vfy_msg_certs(STACK_OF(X509) **certs, const struct cmp_msg *msg, int with_ca_pubs,
                      struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_cert_path() builds and verifies a path from |cert| to a trust
 * anchor of |trusted|, with |untrusted| as intermediates and |vpm| (may be
 * NULL) applied over the store's parameters. |keep_host| keeps vpm's
 * -verify_hostname/-verify_ip/-verify_email (only -out_trusted uses them);
 * |no_status| disables CRL checking (-out_trusted: "any certificate status
 * checking is disabled"). Fails with |bit| and the X509 verify error text.
 */
int cmp_vfy_cert_path(X509_STORE *trusted, STACK_OF(X509) *untrusted, X509 *cert,
                      X509_VERIFY_PARAM *vpm, int keep_host, int no_status, int bit,
                      const char *what, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_new_cert() validates a newly enrolled certificate against
 * |out_trusted| (-out_trusted), with the response's extraCerts and caPubs
 * and |untrusted| as intermediates; incorrectData on failure (the bit
 * openssl cmp puts in the certConf that rejects the certificate).
 */
int cmp_vfy_new_cert(X509_STORE *out_trusted, const struct cmp_msg *rsp, X509 *cert,
                     STACK_OF(X509) *untrusted, X509_VERIFY_PARAM *vpm,
                     struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_own_chain() verifies the client's own CMP signer certificate
 * (-cert) against |own_trusted| (-own_trusted) with |untrusted| as
 * intermediates. A local configuration error: CMP_E_INVALID, no bit.
 */
int cmp_vfy_own_chain(X509_STORE *own_trusted, X509 *cert, STACK_OF(X509) *untrusted,
                      X509_VERIFY_PARAM *vpm, struct cmp_err *err) CMP_MUST_CHECK;

/* ---- the rules of each body type ----
 *
 * Decoders check syntax; these check the RFCs' rules for one body type
 * that lie beyond it. The server engine calls them from its state table
 * for every responder, the client for the responses it gets. Each fails
 * with the failure bit of its rule; the server ones also set |*peer_text|
 * (if not NULL) to a short constant naming the rule for the peer's
 * statusString (NULL: the bit's default).
 */

/* certConf (certconf.c): a certificate the server's transaction sent, to be confirmed. */
struct cmp_vfy_issued {
    int64_t cert_req_id;
    X509 *cert;        /* borrowed; may be NULL when |der| is set */
    struct der_in der; /* the certificate's DER (borrowed); len 0: take |cert| */
};

/*
 * cmp_vfy_certconf() checks each CertStatus of a certConf against the
 * |num_issued| certificates sent (RFC 9810 5.3.18): its certReqId names one
 * of them (badCertId) and no other CertStatus before it does (badRequest);
 * hashAlg only with pvno cmp2021(3) (unsupportedVersion); certHash is that
 * certificate's hash (badCertId; badAlg if it cannot be computed). An
 * empty certConf passes: it rejects every certificate.
 */
int cmp_vfy_certconf(const struct cmp_msg *msg, const struct cmp_vfy_issued *issued,
                     size_t num_issued, const char **peer_text, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_pollreq() (poll.c): RFC 9810 5.3.22, a pollReq names at least
 * one certReqId, each one of the |num_waiting| responses still waiting
 * (-1: a delayed response as a whole), none twice; else badRequest.
 */
int cmp_vfy_pollreq(const struct cmp_msg *msg, const int64_t *waiting, size_t num_waiting,
                    const char **peer_text, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_pollrep(): RFC 9810 5.3.22, a pollRep has one entry for each of
 * the |num_polled| certReqIds polled for and no other (badRequest), and no
 * negative checkAfter (badDataFormat).
 */
int cmp_vfy_pollrep(const struct cmp_msg *msg, const int64_t *polled, size_t num_polled,
                    struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_vfy_rr() (rev.c): RFC 9810 5.3.9/5.3.10, an rr holds at least one RevDetails (badRequest). */
int cmp_vfy_rr(const struct cmp_msg *msg, const char **peer_text,
               struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_rr_lightweight(): RFC 9483 4.2, an rr holds exactly one
 * RevDetails whose certDetails name issuer and serialNumber, with
 * crlEntryDetails carrying a reasonCode; else badRequest (profile
 * lightweight: `openssl cmp` sends no reason unless -revreason is given).
 */
int cmp_vfy_rr_lightweight(const struct cmp_msg *msg, const char **peer_text,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_rp(): RFC 9810 5.3.10, an rp holds one status per RevDetails
 * sent (|num_requested|) and, if it has any, as many revCerts
 * (badDataFormat).
 */
int cmp_vfy_rp(const struct cmp_msg *msg, size_t num_requested, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_rp_cert_id(): RFC 9810 5.3.10, the |i|-th revCerts entry, if
 * any, names the certificate of the |i|-th RevDetails: |issuer| (Name DER)
 * and |serial| (INTEGER contents); else badCertId.
 */
int cmp_vfy_rp_cert_id(const struct cmp_msg *msg, size_t i, const struct der_in *issuer,
                       const struct der_in *serial, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_cert_req_ids() (certreq.c): the certReqIds of an ir/cr/kur: 0 for
 * a single CertReqMsg (RFC 9483 4.1.1); with several, not negative and all
 * different (RFC 9810 5.3.4); else badRequest.
 */
int cmp_vfy_cert_req_ids(const struct cmp_msg *msg, const char **peer_text,
                         struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_cert_req_count() (certreq.c): under the Lightweight CMP Profile
 * (rules->profile) an ir/cr/kur carries exactly one CertReqMsg (RFC 9483
 * 4.1.1: "a sequence of one CertReqMsg"; further certificates take further
 * transactions): badRequest otherwise. RFC 9810 allows several.
 */
int cmp_vfy_cert_req_count(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                           const char **peer_text, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_p10cr_key() (certreq.c): the RSA key of a p10cr's CSR is at
 * most rules->max_rsa_bits, as a certTemplate's (RFC 9483 4.1.4 with
 * 4.1.1): badCertTemplate before the CSR's signature is checked with it.
 */
int cmp_vfy_p10cr_key(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                      const char **peer_text, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_certconf_count() (certconf.c): under the Lightweight CMP Profile
 * a certConf confirms the one certificate of its transaction (RFC 9483
 * 4.1.1: one CertReqMsg, so one CertStatus): badRequest otherwise.
 */
int cmp_vfy_certconf_count(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                           const char **peer_text, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_cert_template() checks the certTemplate of one CertReqMsg of an
 * ir/cr/kur (RFC 9483 4.1.1, 4.1.3): a subject (badCertTemplate); an RSA
 * public key of at most rules->max_rsa_bits, its size read from the DER
 * (badCertTemplate: a larger or unreadable one is refused before any POPO
 * is checked with it; other keys are read by the POPO check). A template
 * without a public key, or with an empty one, passes (central key
 * generation, 4.1.6).
 */
int cmp_vfy_cert_template(const struct cmp_vfy_req_rules *rules,
                          const struct cmp_cert_req_msg *crm, const char **peer_text,
                          struct cmp_err *err) CMP_MUST_CHECK;

/* What became of the proof of possession of one certificate request. */
enum cmp_vfy_popo_result {
    CMP_VFY_POPO_OK = 0,     /* a signature verified, or raVerified accepted */
    CMP_VFY_POPO_MISSING,    /* none given */
    CMP_VFY_POPO_RAVERIFIED, /* raVerified, not accepted */
    CMP_VFY_POPO_INDIRECT,   /* keyEncipherment or keyAgreement: not checked here */
    CMP_VFY_POPO_BAD         /* it does not verify */
};

/*
 * cmp_vfy_popo() checks the POPO of one CertReqMsg (RFC 4211 4, RFC 9483
 * 4.1.1) and returns an enum cmp_vfy_popo_result; |why| (not NULL) gets the
 * details unless it is CMP_VFY_POPO_OK. A failed proof rejects that
 * request (badPOP), not the message.
 */
int cmp_vfy_popo(const struct cmp_cert_req_msg *crm, int accept_raverified, struct cmp_err *why);

/*
 * cmp_vfy_central_keygen() is 1 if one CertReqMsg asks for central key
 * generation (RFC 9483 4.1.6: publicKey absent, or an algorithm with an
 * empty subjectPublicKey, and no POPO), 0 if not, and -1 (|why| set,
 * badPOP) if it asks for it and has a POPO all the same.
 */
int cmp_vfy_central_keygen(const struct cmp_cert_req_msg *crm, struct cmp_err *why);

/*
 * cmp_vfy_popo_encr_cert() is 1 if the POPO is keyEncipherment with
 * subsequentMessage encrCert: the certificate is to be sent encrypted
 * (indirect POP, RFC 9810 5.2.8.3.2).
 */
int cmp_vfy_popo_encr_cert(const struct cmp_cert_req_msg *crm);

/*
 * cmp_vfy_p10cr() checks a p10cr's self-signature (RFC 9483 4.1.4):
 * CMP_VFY_POPO_OK or CMP_VFY_POPO_BAD (|why| says why), or -1 if the
 * CertificationRequest does not parse (|why|: badDataFormat), which fails
 * the message. |why| is not NULL.
 */
int cmp_vfy_p10cr(const struct cmp_msg *msg, struct cmp_err *why);

/*
 * cmp_vfy_certrep_find() points |*out| at the CertResponse of an ip/cp/kup
 * for |cert_req_id| (RFC 9810 5.3.4; for a p10cr's -1 the single response
 * whatever its id, as servers answer 0); badRequest if there is none.
 */
int cmp_vfy_certrep_find(const struct cmp_msg *msg, int64_t cert_req_id,
                         const struct cmp_cert_response **out, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_cert_response() checks one CertResponse of |msg|: no certificate
 * with status waiting (RFC 9810 5.3.22), one with a positive status
 * (RFC 9810 5.3.4); else badDataFormat. Rejections and unknown statuses pass.
 */
int cmp_vfy_cert_response(const struct cmp_msg *msg, const struct cmp_cert_response *cr,
                          struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_status_grants() is 1 for a PKIStatus that grants the request:
 * accepted, grantedWithMods and the three warnings (RFC 9810 5.2.3).
 */
int cmp_vfy_status_grants(int64_t status);

/* cmp_vfy_status_name() is openssl's text for a PKIStatus ("rejection"). */
const char *cmp_vfy_status_name(int64_t status);

/* ---- genp contents (genp.c): RFC 9810 5.3.19.14-17, RFC 9483 4.3 ----
 *
 * What a client accepts in the genp answering a support message. Each
 * fails with badDataFormat for what does not parse, else with the bit of
 * the broken rule (incorrectData, badCertTemplate).
 */

/*
 * cmp_vfy_genp_itav() points |*out| at the first ITAV of type |nid| (a
 * CMP_NID_) in the genp |msg|; |*num_others| (may be NULL) counts the
 * ITAVs of other types, which the caller may warn about. badDataFormat if
 * there is none (RFC 9483 4.3: the answer carries the type asked for).
 */
int cmp_vfy_genp_itav(const struct cmp_msg *msg, int nid, const struct cmp_itav **out,
                      size_t *num_others, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_ca_certs() checks a caCerts value (RFC 9810 5.3.19.14, RFC 9483
 * 4.3.1): certificates that parse, each a CA certificate (v1 passes) valid
 * at |vpm|'s time (may be NULL: now). On success |*out| is a new stack of
 * them; on failure NULL.
 */
int cmp_vfy_ca_certs(const struct der_in *value, X509_VERIFY_PARAM *vpm, STACK_OF(X509) **out,
                     struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_root_ca_update() checks a rootCaKeyUpdate (RFC 9810 5.3.19.15,
 * RFC 9483 4.3.2, openssl-cmp(1) -newwithnew) before the client may trust
 * |new_with_new|. The trust anchors are |old_root| (-oldwithold) alone, or
 * without it |trusted| (-trusted):
 *   - newWithNew is self-signed, a CA certificate, valid now;
 *   - newWithOld has newWithNew's subject and public key, is a CA
 *     certificate and validates straight to an anchor (its signature by
 *     the old root, no intermediates): only this passes the trust in the
 *     old root on to the new key. Without newWithOld (which RFC 9483 4.3.2
 *     requires) only a newWithNew that already is an anchor passes;
 *   - with |old_root|, an oldWithNew has the old root's subject and key, is
 *     a CA certificate and validates with newWithNew as the only anchor.
 * A forged update (a newWithNew of another key, a newWithOld for another
 * key or not signed by the old root) fails with incorrectData.
 * |new_with_old|, |old_with_new| and |vpm| may be NULL.
 */
int cmp_vfy_root_ca_update(X509 *old_root, X509_STORE *trusted, X509 *new_with_new,
                           X509 *new_with_old, X509 *old_with_new, X509_VERIFY_PARAM *vpm,
                           struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_cert_req_template() checks a CertReqTemplateContent (RFC 9810
 * 5.3.19.16, RFC 9483 4.3.3): no publicKey in the certTemplate; each
 * keySpec control is id-regCtrl-algId with an AlgorithmIdentifier other
 * than rsaEncryption, or id-regCtrl-rsaKeyLen with an INTEGER (1..MAX).
 */
int cmp_vfy_cert_req_template(const struct cmp_cert_req_template *t,
                              struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_crls() checks a crls value answering the one CRLStatus |sent|
 * (RFC 9810 5.3.19.17, RFC 9483 4.3.4): one CRL that parses, of the issuer
 * named by a directoryName source, more recent than sent's thisUpdate. On
 * success |*out| is the new CRL.
 */
int cmp_vfy_crls(const struct der_in *value, const struct cmp_crl_status *sent, X509_CRL **out,
                 struct cmp_err *err) CMP_MUST_CHECK;

/* ---- what comes encrypted in an ip/cp/kup (enckey.c) ---- */

/*
 * cmp_vfy_enc_value() checks what decrypting an EncryptedValue needs (RFC
 * 4211 2.1): symmAlg with a cipher we take and an IV, encSymmKey, encValue,
 * whole octets, keyAlg absent or rsaEncryption; badDataFormat or badAlg.
 */
int cmp_vfy_enc_value(const struct cmp_enc_value *ev, struct cmp_err *err) CMP_MUST_CHECK;

/* How the client checks a centrally generated key (RFC 9483 4.1.6). */
struct cmp_vfy_kga_opts {
    X509_STORE *trusted;          /* anchors for the KGA's certificate (-trusted), or NULL */
    X509 *srvcert;                /* -srvcert: the anchor when |trusted| is NULL */
    STACK_OF(X509) * untrusted;   /* intermediates (-untrusted, extraCerts received) */
    X509_VERIFY_PARAM *vpm;       /* may be NULL */
    X509 *newcert;                /* the certificate the key came with: the key must be its
                                   * key; its issuer may be the KGA. May be NULL (not checked) */
    struct cmp_decrypt_keys keys; /* our key (KTRI/KARI, EncryptedValue) or secret (PWRI) */
};

/*
 * cmp_vfy_central_key() takes CertifiedKeyPair.privateKey to the key it
 * carries: envelopedData decrypted, holding the KGA's SignedData whose one
 * signature verifies, whose signer validates against the anchors and
 * carries id-kp-cmKGA or issued |newcert|, whose content is the key
 * (AsymmetricKeyPackage, or openssl's id-data form); the deprecated
 * encryptedValue decrypted with keys.pkey (no signature, as openssl 3.5).
 * The key must be |newcert|'s. |*out| gets a new key. Failure bits:
 * badMessageCheck (cannot decrypt, bad signature), signerNotTrusted,
 * notAuthorized (no cmKGA), badDataFormat, badAlg.
 */
int cmp_vfy_central_key(const struct cmp_enckey *ek, const struct cmp_vfy_kga_opts *o,
                        EVP_PKEY **out, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_vfy_enc_cert() decrypts CertOrEncCert.encryptedCert (RFC 9810
 * 5.2.8.3.2) with |newkey|, the private key whose certificate was requested
 * (indirect POP): exactly one certificate, for that key. |*out| gets it.
 */
int cmp_vfy_enc_cert(const struct cmp_enckey *ek, EVP_PKEY *newkey, X509 **out,
                     struct cmp_err *err) CMP_MUST_CHECK;

/* ---- helpers shared with the client and server ---- */

/*
 * cmp_vfy_name_eq() is 1 if the Name DER |a| and |b| are the same DN
 * (X509_NAME_cmp: canonical comparison), 0 if not or if one fails to parse.
 */
int cmp_vfy_name_eq(const struct der_in *a, const struct der_in *b);

/* cmp_vfy_name_is_null() is 1 for the NULL-DN (an empty SEQUENCE, 30 00). */
int cmp_vfy_name_is_null(const struct der_in *name);

/*
 * cmp_vfy_cert_parse() decodes exactly one certificate from a DER slice
 * (nothing may follow it); NULL if it does not decode. OpenSSL's error queue
 * is left as it was: the caller reports a peer's bad certificate.
 */
X509 *cmp_vfy_cert_parse(const struct der_in *der);

#endif
