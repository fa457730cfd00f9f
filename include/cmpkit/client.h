/*
 * cmpkit public API: the CMP client.
 *
 * A struct cmp_ctx holds everything a transaction needs (the options of
 * openssl-cmp(1), set one by one) and, after a transaction, its results.
 * One call runs one whole transaction: cmp_exec() with an enum cmp_cmd.
 * The messages go through a struct cmp_transfer (cmpkit/transfer.h):
 * HTTP(S), an in-process server engine, files.
 *
 * Fallbacks are those of openssl cmp 3.0 (see the setters). Ownership:
 * set1 copies or takes a new reference, set0 takes over what it is given
 * (on success only), get0 borrows until the next transaction or
 * cmp_ctx_free().
 *
 * Errors: a setter or exec that fails returns 0 (a getter NULL) and leaves
 * the reason in cmp_ctx_error(ctx) (cmpkit/err.h; CMP_E_ARG for a value out
 * of range, CMP_E_MEMORY, CMP_E_IO, CMP_E_PEER ... and the PKIFailureInfo
 * bit when there is one); a failed setter leaves the earlier setting in
 * place. A |ctx| of NULL is not allowed except in cmp_ctx_free().
 *
 * A context is used by one thread at a time.
 */
#ifndef CMPKIT_PUBLIC_CLIENT_H
#define CMPKIT_PUBLIC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cmpkit/err.h"
#include "cmpkit/transfer.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cmp_ctx;

/* Log levels, as `openssl cmp -verbosity` (syslog numbers). */
enum cmp_log_level {
    CMP_LOG_ERR = 3,
    CMP_LOG_WARN = 4,
    CMP_LOG_NOTE = 5,
    CMP_LOG_INFO = 6,  /* one line per message sent and received, polling progress */
    CMP_LOG_DEBUG = 7, /* the transactionID, the header of each message, the exchanges'
                        * sizes and times, how each response's protection was checked
                        * (every signer certificate tried, and why it failed) */
    CMP_LOG_TRACE = 8  /* each message in full, as cmp_msg_print() prints it */
};

/* A log line without trailing newline; peer text in it is already sanitized. */
typedef void cmp_log_fn(void *arg, int level, const char *line);

/* cmp_ctx_new() returns a context with openssl cmp's defaults, or NULL. */
CMP_API struct cmp_ctx *cmp_ctx_new(void);

/* cmp_ctx_free() frees |ctx|, its transfer and its results; secrets are wiped. */
CMP_API void cmp_ctx_free(struct cmp_ctx *ctx);

/* cmp_ctx_error() is the record of the last failure (code CMP_E_NONE after success). */
CMP_API const struct cmp_err *cmp_ctx_error(const struct cmp_ctx *ctx);

/* cmp_ctx_set_log_cb() sets where log lines go (NULL: nowhere) and up to which level. */
CMP_API void cmp_ctx_set_log_cb(struct cmp_ctx *ctx, cmp_log_fn *fn, void *arg, int verbosity);

/* ---- integer options ---- */

enum cmp_opt {
    CMP_OPT_DAYS = 1,           /* -days: validity requested; 0 none */
    CMP_OPT_POPO,               /* -popo: -1 none, which asks for central key generation
                                 * (openssl 3.6, -centralkeygen; RFC 9483 4.1.6), 0
                                 * raVerified, 1 signature (default), 2 keyEncipherment
                                 * (indirect POP: the certificate comes encrypted) */
    CMP_OPT_REVREASON,          /* -revreason: -1 none (default), 0..10 */
    CMP_OPT_IMPLICIT_CONFIRM,   /* -implicit_confirm */
    CMP_OPT_DISABLE_CONFIRM,    /* -disable_confirm */
    CMP_OPT_UNPROTECTED_SEND,   /* -unprotected_requests */
    CMP_OPT_UNPROTECTED_ERRORS, /* -unprotected_errors */
    CMP_OPT_IGNORE_KEYUSAGE,    /* -ignore_keyusage */
    CMP_OPT_MSG_TIMEOUT,        /* -msg_timeout seconds; <= 0 none; default: the
                                 * -total_timeout setting if there is one, else
                                 * CMP_DEFAULT_MSG_TIMEOUT */
    CMP_OPT_TOTAL_TIMEOUT,      /* -total_timeout seconds; <= 0 none (default) */
    CMP_OPT_SANS_CRITICAL,      /* "critical" in -sans */
    CMP_OPT_SAN_NODEFAULT,      /* -san_nodefault */
    CMP_OPT_POLICIES_CRITICAL,  /* -policy_oids_critical */
    CMP_OPT_REQIN_NEW_TID,      /* -reqin_new_tid */
    CMP_OPT_PBM_ITERATIONS,     /* PBM iteration count of our requests (default 500); with
                                 * CMP_OPT_PBMAC1 the PBKDF2 count (default 10000) */
    CMP_OPT_NO_CACHE_EXTRACERTS, /* -no_cache_extracerts: the extraCerts of a response help
                                  * to check it, not the messages after it */
    CMP_OPT_PBMAC1,             /* -pbmac1: MAC-based protection with PBMAC1 (RFC 9481
                                 * 6.1.3) instead of PBM */
    CMP_OPT_PVNO                /* -pvno: 2 (cmp2000, the default) or 3 (cmp2021) on every
                                 * request (RFC 9810 7: the highest both sides support) */
};

/*
 * The message round-trip timeout when neither CMP_OPT_MSG_TIMEOUT nor
 * CMP_OPT_TOTAL_TIMEOUT is set, in seconds (openssl cmp 3.0 waits for ever).
 */
#define CMP_DEFAULT_MSG_TIMEOUT 120

/* cmp_ctx_set_option() sets an integer option; fails (CMP_E_ARG) when out of range. */
CMP_API int cmp_ctx_set_option(struct cmp_ctx *ctx, int opt, int value) CMP_MUST_CHECK;

/* ---- transfer ---- */

/*
 * cmp_ctx_set0_transfer() makes |t| the context's transfer (freeing any
 * earlier one). Without one every exec fails.
 */
CMP_API void cmp_ctx_set0_transfer(struct cmp_ctx *ctx, struct cmp_transfer *t);

/*
 * cmp_ctx_set1_reqin() (-reqin): the n-th request of a transaction is read
 * from the n-th file instead of being built; from the second on, its
 * recipNonce is updated and it is protected again (as openssl cmp does);
 * with CMP_OPT_REQIN_NEW_TID it gets a fresh transactionID too. NULL: none.
 */
CMP_API int cmp_ctx_set1_reqin(struct cmp_ctx *ctx, const char *files) CMP_MUST_CHECK;

/* ---- our credentials ---- */

/* -secret (PBM; takes precedence over -cert/-key for protection) and -ref (senderKID). */
CMP_API int cmp_ctx_set1_secret(struct cmp_ctx *ctx, const uint8_t *secret,
                                size_t len) CMP_MUST_CHECK;
CMP_API int cmp_ctx_set1_ref(struct cmp_ctx *ctx, const uint8_t *ref, size_t len) CMP_MUST_CHECK;

/*
 * cmp_ctx_set1_secret_source() sets the secret from a source as openssl
 * cmp's -secret takes it: "pass:TEXT", "env:VAR", "file:PATH" (its first
 * line), "fd:N" or "stdin" (see cmp_load_pass() of cmpkit/load.h). The
 * secret is copied into |ctx|; the temporary copy is wiped. On failure
 * (NULL |source|, unknown kind, unset variable, unreadable file, no memory)
 * it returns 0, the secret set before stays, and cmp_ctx_error() names the
 * source kind and the variable or file, never the secret.
 */
CMP_API int cmp_ctx_set1_secret_source(struct cmp_ctx *ctx, const char *source) CMP_MUST_CHECK;

/* -cert and -key: signer certificate and key for signature-based protection. */
CMP_API int cmp_ctx_set1_cert(struct cmp_ctx *ctx, X509 *cert) CMP_MUST_CHECK;
CMP_API int cmp_ctx_set1_key(struct cmp_ctx *ctx, EVP_PKEY *key) CMP_MUST_CHECK;

/* -extracerts: more certificates for the extraCerts of requests. */
CMP_API int cmp_ctx_set1_extracerts(struct cmp_ctx *ctx, STACK_OF(X509) * certs) CMP_MUST_CHECK;

/* -untrusted: intermediates for our chain, the server's and the new certificate's. */
CMP_API int cmp_ctx_set1_untrusted(struct cmp_ctx *ctx, STACK_OF(X509) * certs) CMP_MUST_CHECK;

/* -own_trusted: our own signer certificate must chain to these before use. */
CMP_API int cmp_ctx_set1_own_trusted(struct cmp_ctx *ctx, X509_STORE *store) CMP_MUST_CHECK;

/* -digest (signatures and the PBM one-way function; default SHA256) and -mac (default hmac-sha1).
 */
CMP_API int cmp_ctx_set1_digest(struct cmp_ctx *ctx, const char *name) CMP_MUST_CHECK;
CMP_API int cmp_ctx_set1_mac(struct cmp_ctx *ctx, const char *name) CMP_MUST_CHECK;

/*
 * With CMP_OPT_PBMAC1 (-pbmac1): the digest of PBKDF2's PRF hmacWith<digest>
 * (-pbmac1_prf: sha1, sha224, sha256, sha384, sha512; default sha256) and of
 * the HMAC that protects the message (-pbmac1_mac; default sha256). NULL:
 * the default. Fails (CMP_E_ARG) for a digest PBMAC1 cannot use.
 */
CMP_API int cmp_ctx_set1_pbmac1_prf(struct cmp_ctx *ctx, const char *digest) CMP_MUST_CHECK;
CMP_API int cmp_ctx_set1_pbmac1_mac(struct cmp_ctx *ctx, const char *digest) CMP_MUST_CHECK;

/* ---- the server ---- */

/* -trusted: trust anchors for signed responses (ignored with -srvcert). */
CMP_API int cmp_ctx_set1_trusted(struct cmp_ctx *ctx, X509_STORE *store) CMP_MUST_CHECK;
/* -srvcert: the pinned server certificate. */
CMP_API int cmp_ctx_set1_srvcert(struct cmp_ctx *ctx, X509 *cert) CMP_MUST_CHECK;
/* -expect_sender */
CMP_API int cmp_ctx_set1_expect_sender(struct cmp_ctx *ctx, const X509_NAME *name) CMP_MUST_CHECK;
/* verification options (-attime, -no_check_time...) for every path check; NULL: none */
CMP_API int cmp_ctx_set1_vpm(struct cmp_ctx *ctx, const X509_VERIFY_PARAM *vpm) CMP_MUST_CHECK;

/*
 * -recipient. Default: the subject of -srvcert, else -issuer, else the
 * issuer of -oldcert, else of -cert, else the NULL-DN.
 */
CMP_API int cmp_ctx_set1_recipient(struct cmp_ctx *ctx, const X509_NAME *name) CMP_MUST_CHECK;

/* ---- what is requested ---- */

/*
 * -subject and -issuer of the certificate template. A name without any
 * entry (the NULL-DN "/") means: none in the template. Defaults as
 * openssl-cmp(1): subject from -csr, else (kur, or ir/cr without SANs) the
 * reference certificate (-oldcert, else -cert); issuer from the reference
 * certificate. Without -cert and -oldcert the subject is also the sender.
 */
CMP_API int cmp_ctx_set1_subject(struct cmp_ctx *ctx, const X509_NAME *name) CMP_MUST_CHECK;
CMP_API int cmp_ctx_set1_issuer(struct cmp_ctx *ctx, const X509_NAME *name) CMP_MUST_CHECK;

/* -newkey: the key to certify (private for POPO signature); default -key. */
CMP_API int cmp_ctx_set1_newkey(struct cmp_ctx *ctx, EVP_PKEY *key) CMP_MUST_CHECK;

/* -oldcert: the certificate to update (kur; default -cert) or to revoke (rr). */
CMP_API int cmp_ctx_set1_oldcert(struct cmp_ctx *ctx, X509 *cert) CMP_MUST_CHECK;

/* -csr: PKCS#10 request (p10cr as is; ir/cr/kur/rr take names and key from it). */
CMP_API int cmp_ctx_set1_csr(struct cmp_ctx *ctx, X509_REQ *csr) CMP_MUST_CHECK;

/*
 * -reqexts: the DER of an Extensions SEQUENCE (X509_EXTENSIONS) to request;
 * they override those of -csr with the same OID.
 */
CMP_API int cmp_ctx_set1_reqexts(struct cmp_ctx *ctx, const uint8_t *der,
                                 size_t len) CMP_MUST_CHECK;

/*
 * -sans: "a.example.com, 192.0.2.1, https://x.example/ critical": names
 * separated by commas and/or whitespace, each an IP address if it parses
 * as one, else a URI if it has a ':', else a DNS name; "critical" marks
 * the extension critical. Appends to any earlier ones.
 */
CMP_API int cmp_ctx_set1_sans(struct cmp_ctx *ctx, const char *spec) CMP_MUST_CHECK;

/* -policy_oids: certificate policies to request (dotted OIDs or names). Appends. */
CMP_API int cmp_ctx_add1_policy(struct cmp_ctx *ctx, const char *oid) CMP_MUST_CHECK;

/* -geninfo: an ITAV for the generalInfo of every request (|oid| dotted or a name,
 * |value_der| one DER element). Appends. */
CMP_API int cmp_ctx_add1_geninfo(struct cmp_ctx *ctx, const char *oid, const uint8_t *value_der,
                                 size_t value_len) CMP_MUST_CHECK;

/* -infotype: the InfoType of the genm: a name after "id-it-" (signKeyPairTypes), or an OID. */
CMP_API int cmp_ctx_set1_infotype(struct cmp_ctx *ctx, const char *oid) CMP_MUST_CHECK;

/* -out_trusted: the new certificate must validate against these, or it is rejected. */
CMP_API int cmp_ctx_set1_out_trusted(struct cmp_ctx *ctx, X509_STORE *store) CMP_MUST_CHECK;

/* ---- options of openssl cmp 3.2 to 3.6: header, revocation, offline requests ---- */

/*
 * cmp_ctx_add1_geninfo_text() (-geninfo): a comma-separated list of
 * "OID:int:N" and "OID:str:text" (OID dotted or a name; "int:" and "str:"
 * in any case; blanks before each item are skipped; text runs to the next
 * comma and may be empty), each appended as an ITAV with an INTEGER or a
 * UTF8String value, as cmp_ctx_add1_geninfo() does. An OID libcrypto does
 * not name is logged as a warning. On a syntax error nothing is appended
 * and the error names the item at fault (CMP_E_ARG).
 */
CMP_API int cmp_ctx_add1_geninfo_text(struct cmp_ctx *ctx, const char *values) CMP_MUST_CHECK;

/*
 * cmp_ctx_set1_profile() (-profile): the name of a certificate profile,
 * sent as id-it-certProfile (RFC 9483 3.1, RFC 9810 5.1.1.4) in the
 * generalInfo of every request, after the -geninfo ITAVs. NULL: none.
 */
CMP_API int cmp_ctx_set1_profile(struct cmp_ctx *ctx, const char *name) CMP_MUST_CHECK;

/*
 * cmp_ctx_set1_serial() (-serial): with -issuer (cmp_ctx_set1_issuer()) the
 * certificate an rr revokes, named by issuer and serialNumber in the
 * CertTemplate of its RevDetails (RFC 9483 4.2); -oldcert and -csr are then
 * not used for it. NULL: none. Other commands ignore it.
 */
CMP_API int cmp_ctx_set1_serial(struct cmp_ctx *ctx, const ASN1_INTEGER *serial) CMP_MUST_CHECK;

/*
 * cmp_ctx_set1_reqout_only() (-reqout_only): the next transaction builds its
 * first request, protects it, saves its DER to |file| and stops without
 * sending anything (no transfer is needed): cmp_exec() then returns 1, sets
 * no result and cmp_ctx_reqout_only_done() returns 1. NULL: off.
 */
CMP_API int cmp_ctx_set1_reqout_only(struct cmp_ctx *ctx, const char *file) CMP_MUST_CHECK;
CMP_API int cmp_ctx_reqout_only_done(const struct cmp_ctx *ctx);

/*
 * The certificate that verified the signature of the server's responses in
 * the last transaction (-srvcertout), also after a failure; NULL when none
 * was signed-and-verified (MAC-based protection, no response).
 */
CMP_API X509 *cmp_ctx_get0_validated_srvcert(const struct cmp_ctx *ctx);
/*
 * Several certificates in one message (RFC 9810 5.3.1, 5.3.3; RFC 4211:
 * CertReqMessages is a SEQUENCE SIZE (1..MAX) OF CertReqMsg).
 *
 * cmp_ctx_add1_request() adds a further certificate request to the ir and
 * cr the context sends: a CertReqMsg of its own, with certReqId 1, 2, ...
 * in the order of the calls, after the first request (certReqId 0), which
 * the options above describe. Its template is the first request's (issuer,
 * validity, extensions, SANs, policies) with |subject| (NULL: the first
 * request's) and the public key of |newkey| (NULL: the first request's key);
 * a private |newkey| signs its POPO as CMP_OPT_POPO says. The references
 * are taken (up_ref). At most CMP_MAX_EXTRA_REQUESTS (CMP_E_LIMIT beyond);
 * kur, p10cr, rr and genm refuse them (CMP_E_ARG), and so do CMP_OPT_POPO
 * -1 (central key generation) and 2 (encrypted certificate), which are for
 * a message of one request: the transaction fails before anything is sent.
 * RFC 9483 4.1.1 (the
 * Lightweight CMP Profile) asks for one CertReqMsg per message: a server
 * that follows it may reject the whole message.
 * cmp_ctx_clear_requests() removes them all.
 */
#define CMP_MAX_EXTRA_REQUESTS 15
CMP_API int cmp_ctx_add1_request(struct cmp_ctx *ctx, const X509_NAME *subject,
                                 EVP_PKEY *newkey) CMP_MUST_CHECK;
CMP_API void cmp_ctx_clear_requests(struct cmp_ctx *ctx);

/* ---- transactions ---- */

/* The commands of openssl-cmp(1) -cmd: each is one kind of transaction. */
enum cmp_cmd {
    CMP_CMD_IR = 0, /* ir: initial registration */
    CMP_CMD_CR,     /* cr: certification request */
    CMP_CMD_KUR,    /* kur: key update */
    CMP_CMD_P10CR,  /* p10cr: PKCS#10 certification request */
    CMP_CMD_RR,     /* rr: revocation */
    CMP_CMD_GENM,   /* genm: general message */
    CMP_CMD_NUM     /* the number of commands */
};

/* cmp_cmd_by_name() returns the enum cmp_cmd named |name| ("ir"...), or -1. */
CMP_API int cmp_cmd_by_name(const char *name);

/* cmp_cmd_name() returns the name of |cmd| ("ir"...), or NULL if there is none. */
CMP_API const char *cmp_cmd_name(int cmd);

/*
 * cmp_exec() runs one transaction of |cmd| (enum cmp_cmd). On success (1)
 * the results below are set; on failure (0) cmp_ctx_error() says why, and
 * for a negative answer of the peer cmp_ctx_get_status() and
 * cmp_ctx_status_text() say what it said. An unknown |cmd| fails
 * (CMP_E_ARG); like every call it first frees the results of the last
 * transaction. cmp_exec_ir() ... cmp_exec_genm() are cmp_exec() with
 * their command.
 */
CMP_API int cmp_exec(struct cmp_ctx *ctx, int cmd) CMP_MUST_CHECK;
CMP_API int cmp_exec_ir(struct cmp_ctx *ctx) CMP_MUST_CHECK;
CMP_API int cmp_exec_cr(struct cmp_ctx *ctx) CMP_MUST_CHECK;
CMP_API int cmp_exec_kur(struct cmp_ctx *ctx) CMP_MUST_CHECK;
CMP_API int cmp_exec_p10cr(struct cmp_ctx *ctx) CMP_MUST_CHECK;
CMP_API int cmp_exec_rr(struct cmp_ctx *ctx) CMP_MUST_CHECK;
CMP_API int cmp_exec_genm(struct cmp_ctx *ctx) CMP_MUST_CHECK;

/* ---- results of the last transaction ---- */

/* The enrolled certificate, or NULL. */
CMP_API X509 *cmp_ctx_get0_newcert(const struct cmp_ctx *ctx);
/*
 * Central key generation (CMP_OPT_POPO -1, RFC 9483 4.1.6): the private key
 * of the enrolled certificate, generated by the server, decrypted and its
 * signer (the key generation authority) checked against -trusted (or
 * -srvcert); or NULL.
 */
CMP_API EVP_PKEY *cmp_ctx_get0_central_key(const struct cmp_ctx *ctx);
/* Its chain (without it and without a self-signed root), or NULL. */
CMP_API STACK_OF(X509) * cmp_ctx_get0_newchain(const struct cmp_ctx *ctx);
/* caPubs of the last ip/cp/kup, or NULL. */
CMP_API STACK_OF(X509) * cmp_ctx_get0_capubs(const struct cmp_ctx *ctx);
/* extraCerts of the last response (except pollRep and pkiConf), or NULL. */
CMP_API STACK_OF(X509) * cmp_ctx_get0_extracerts_in(const struct cmp_ctx *ctx);

/* The ITAVs of the genp: count, and the |i|-th as OID contents and value TLV (len 0: none). */
CMP_API size_t cmp_ctx_num_genp_itavs(const struct cmp_ctx *ctx);
CMP_API int cmp_ctx_get0_genp_itav(const struct cmp_ctx *ctx, size_t i, const uint8_t **oid,
                                   size_t *oid_len, const uint8_t **value,
                                   size_t *value_len) CMP_MUST_CHECK;

/*
 * The peer's PKIStatus in the last ip/cp/kup/rp/error (-1 if none), its
 * PKIFailureInfo bits (bit n is 1 << n) and, written into |buf|, the whole
 * PKIStatusInfo as openssl prints it:
 *   PKIStatus: rejection; PKIFailureInfo: badRequest; StatusString: "text"
 * (quoted, control characters replaced). Returns |buf|.
 */
CMP_API int cmp_ctx_get_status(const struct cmp_ctx *ctx);
CMP_API uint32_t cmp_ctx_get_failinfo(const struct cmp_ctx *ctx);
CMP_API const char *cmp_ctx_status_text(const struct cmp_ctx *ctx, char *buf, size_t buf_len);

/* ---- support messages (RFC 9810 5.3.19.14-17, RFC 9483 4.3) ----
 *
 * Each runs one genm transaction (as cmp_exec_genm(), with the context's
 * settings, but with its own InfoTypeAndValue instead of -infotype),
 * checks the genp's answer by the rules of RFC 9810 and RFC 9483 and
 * returns what the server sent, as new references. On failure (0)
 * cmp_ctx_error() says why and nothing is returned. A server with nothing
 * to tell answers without a value: success with NULL results.
 */

/*
 * cmp_get1_ca_certs() (-infotype caCerts, RFC 9483 4.3.1): |*out| gets a
 * new stack of the CA certificates sent (each must be a CA certificate
 * valid now, at the time of the verification options), or NULL for none.
 */
CMP_API int cmp_get1_ca_certs(struct cmp_ctx *ctx, STACK_OF(X509) * *out) CMP_MUST_CHECK;

/*
 * cmp_get1_root_ca_update() (-infotype rootCaCert, RFC 9483 4.3.2) asks
 * for the successor of the root CA certificate |old_root| (-oldwithold;
 * NULL: none is sent, and the -trusted certificates are the anchors).
 * |*new_with_new| gets the new root, or NULL if there is no update;
 * |*new_with_old| and |*old_with_new| (each may be NULL) the link
 * certificates received, or NULL. The new root is accepted only if a
 * newWithOld certifying its subject and key validates straight to
 * |old_root| (or a -trusted anchor): no server or RA on the path can put
 * in a root of its own. With |old_root|, an oldWithNew must validate with
 * the new root as the only anchor.
 */
CMP_API int cmp_get1_root_ca_update(struct cmp_ctx *ctx, X509 *old_root, X509 **new_with_new,
                                    X509 **new_with_old, X509 **old_with_new) CMP_MUST_CHECK;

/*
 * cmp_get1_crl_update() (-infotype crlStatusList, RFC 9483 4.3.4) asks for
 * a CRL newer than |old_crl| (-oldcrl; its thisUpdate is sent), from the
 * source named by |crl_cert| (-crlcert: its CRL distribution point, else
 * its issuer), else by |old_crl| (its issuing distribution point, else its
 * issuer); one of the two must be given. |*crl| gets the CRL, which must
 * be of the issuer asked for and newer than |old_crl|, or NULL if there is
 * none newer.
 */
CMP_API int cmp_get1_crl_update(struct cmp_ctx *ctx, X509 *crl_cert, X509_CRL *old_crl,
                                X509_CRL **crl) CMP_MUST_CHECK;

/*
 * cmp_get1_cert_req_template() (-infotype certReqTemplate, RFC 9483
 * 4.3.3): |*tmpl| gets the DER of the CertTemplate to use in requests,
 * |*key_spec| (may be NULL) the DER of its keySpec (a SEQUENCE OF
 * AttributeTypeAndValue of id-regCtrl-algId and id-regCtrl-rsaKeyLen, also
 * logged at CMP_LOG_INFO), each a new buffer to free(), or NULL if the
 * server sent none.
 */
CMP_API int cmp_get1_cert_req_template(struct cmp_ctx *ctx, uint8_t **tmpl, size_t *tmpl_len,
                                       uint8_t **key_spec, size_t *key_spec_len) CMP_MUST_CHECK;
/*
 * The answer to each certificate request of the last ir/cr/kur/p10cr, in
 * the order of their certReqIds (the first request is #0):
 * cmp_ctx_num_cert_results() counts them, cmp_ctx_get0_cert_result() gives
 * the |i|-th: its certReqId, the server's PKIStatus for it (-1: no final
 * answer), PKIFailureInfo bits, the certificate (borrowed; NULL unless the
 * server granted it and we accepted and confirmed it) and a text: the
 * server's PKIStatusInfo as cmp_ctx_status_text() writes it, or why we
 * rejected the certificate. Any output may be NULL. 0 if |i| is out of
 * range.
 *
 * cmp_exec() succeeds only when every request got a certificate that we
 * accepted. When some did and others did not, it fails (the error names
 * the requests that did not), and the certificates granted, confirmed to
 * the server as each certConf CertStatus says, are here all the same
 * (cmp_ctx_get0_newcert() is the first request's, if granted).
 */
CMP_API size_t cmp_ctx_num_cert_results(const struct cmp_ctx *ctx);
CMP_API int cmp_ctx_get0_cert_result(const struct cmp_ctx *ctx, size_t i, int64_t *cert_req_id,
                                     int *status, uint32_t *failinfo, X509 **cert,
                                     const char **text);

/* ---- names ---- */

/*
 * cmp_name_parse() parses "/type0=value0/type1=value1+type2=value2..." as
 * openssl-cmp(1) -subject does: "\" escapes, "+" joins the AVAs of one
 * multi-valued RDN, an empty value drops its AVA, an AVA of an unknown
 * attribute type is skipped (as openssl does, which warns), "/" alone is the NULL-DN.
 * Returns a new X509_NAME, or NULL with |err| naming the bad part.
 */
CMP_API X509_NAME *cmp_name_parse(const char *text, struct cmp_err *err);

#ifdef __cplusplus
}
#endif
#endif
