/*
 * cmpkit public API: the certification authority.
 *
 * A struct cmp_ca_service is a CA with its database (SQLite; docs/CA.md):
 * the CA certificate and key it signs with, its profiles, and the state it
 * keeps (issued certificates, enrollment secrets, CRLs). It serves three
 * callers:
 *
 *   - the server engine (cmpkit/server.h): cmp_ca_service_responder() is
 *     the responder that issues certificates from ir, cr, kur and p10cr,
 *     takes certConf and revokes on rr, with the credential lookups that
 *     let the engine check MAC-protected requests against per-reference
 *     secrets and signed ones against the certificates this CA issued;
 *   - the listener's CRL route and the server's timer: cmp_ca_service_crl()
 *     and cmp_ca_service_tick();
 *   - administration (cmp_ca_service_admin()): listing, showing and
 *     revoking certificates, enrollment secrets, CRLs, in plain text or
 *     JSON Lines.
 *
 * Every issuance, confirmation and revocation is committed to the database
 * (durably: fsync) before the response that reports it leaves the engine.
 * Each one is also written as one audit line (struct
 * cmp_ca_service_config.audit).
 *
 * Threads: after cmp_ca_service_new() every call may come from any thread,
 * concurrently; cmp_ca_service_free() may not overlap with any other.
 */
#ifndef CMPKIT_PUBLIC_CA_H
#define CMPKIT_PUBLIC_CA_H

#include <stdint.h>
#include <stdio.h>

#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpkit/err.h"
#include "cmpkit/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An audit line (no trailing newline): "issued serial=... subject=... requester=... tid=...". */
typedef void cmp_ca_audit_fn(void *arg, const char *line);

struct cmp_ca_service_config {
    /* -ca_cert and -ca_key: what the CA signs certificates and CRLs with (they must
     * match). Without a key the service only administers the database (list,
     * show, secrets); everything that signs fails. */
    X509 *cert;
    EVP_PKEY *key;
    /* -ca_db: the SQLite database, created (mode 0600) on first use */
    const char *db;
    /*
     * -ca_profiles: the names of the config sections of |conf| that are
     * profiles (docs/CA.md), separated by commas and/or blanks; the first
     * is the default. NULL: the built-in default profile.
     */
    const CONF *conf;
    const char *profiles;
    int64_t days;         /* -days: validity when a profile names none; 0: 365 */
    int64_t crl_interval; /* -ca_crl_interval: seconds between scheduled CRLs, and each
                           * CRL's nextUpdate after its thisUpdate; 0: one day */
    /* extraCerts of ip/cp/kup after the CA certificate (-rsp_extracerts); may be NULL */
    STACK_OF(X509) * extra_certs;
    /* caPubs of ip (-rsp_capubs); may be NULL */
    STACK_OF(X509) * ca_pubs;
    /*
     * Support messages (genm, RFC 9483 4.3). rootCaCert: a root CA key
     * update (-rsp_newwithnew, with -rsp_newwithold and -rsp_oldwithnew,
     * checked against the CA's current root: -ca_cert if self-signed, else
     * the self-signed end of -rsp_extracerts/-rsp_capubs), answered to a
     * genm that names the current root or none; NULL: no update. caCerts
     * are the CA certificate and extra_certs; certReqTemplate comes from
     * the profile the genm's certProfile names; crlStatusList from the
     * CA's current CRL.
     */
    X509 *new_with_new, *new_with_old, *old_with_new;
    /*
     * -ca_crl_url: the http(s) URL where the CRL is published (GET /crl of
     * this server, or a copy elsewhere): a cRLDistributionPoints extension
     * of every certificate, and the distribution point a crlStatusList may
     * name. NULL: none.
     */
    const char *crl_url;
    /* -accept_raverified: POPO raVerified from any authenticated requester, not only
     * from an RA (a signer certificate with id-kp-cmcRA) */
    int accept_raverified;
    cmp_ca_audit_fn *audit; /* NULL: no audit lines */
    void *audit_arg;
};

struct cmp_ca_service;

/* cmp_ca_service_config_init() zeroes |cfg|. */
CMP_API void cmp_ca_service_config_init(struct cmp_ca_service_config *cfg);

/*
 * cmp_ca_service_new() opens (creating) the database, reads the profiles
 * and sets up the CA. It takes its own references to the certificate, key
 * and stacks and copies what it needs of |conf|. Returns the service, or
 * NULL with |err| naming what is wrong (the profile section and key, the
 * database file, a key that does not match the certificate).
 */
CMP_API struct cmp_ca_service *cmp_ca_service_new(const struct cmp_ca_service_config *cfg,
                                                  struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_ca_service_free() closes the database and frees the service. NULL does nothing. */
CMP_API void cmp_ca_service_free(struct cmp_ca_service *svc);

/*
 * cmp_ca_service_responder() fills |out| with the CA's responder, for
 * cmp_srv_config.responder. Its arg is |svc|, borrowed: free the engine
 * before the service (out->free is NULL). The engine should be configured
 * with the CA certificate and key (or -srv_cert/-srv_key) for signed
 * responses, and without accept_raverified (the responder decides). Fails
 * without a CA key.
 */
CMP_API int cmp_ca_service_responder(struct cmp_ca_service *svc, struct cmp_srv_responder *out,
                                     struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_service_tick() does the periodic work at time |now| (seconds
 * since the epoch): certificates past their confirmation deadline are
 * rejected (revoked), and a CRL is issued when one was due (after those
 * rejections, or crl_interval after the last one). The responder's tick
 * calls it; cmp_srv_tick() calls that.
 */
CMP_API int cmp_ca_service_tick(struct cmp_ca_service *svc, int64_t now,
                                struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_service_crl() returns the CA's current CRL (DER, |*out| to
 * free()), issuing one first if none was issued yet or the last one is
 * past its nextUpdate.
 */
CMP_API int cmp_ca_service_crl(struct cmp_ca_service *svc, int64_t now, uint8_t **out,
                               size_t *out_len, struct cmp_err *err) CMP_MUST_CHECK;

/* What an administration command takes (cmp_ca_service_admin()); zero what is not given. */
struct cmp_ca_admin_args {
    const char *status;  /* list: waiting, confirmed, rejected, revoked, superseded (comma list) */
    const char *subject; /* list: a substring of the subject (CN=...,O=...) */
    const char *serial;  /* list, show, revoke: the serial number in hex */
    int reason;          /* revoke: CRLReason 0..10 (not 6, 8); -1: unspecified */
    const char *ref;     /* secret-add, secret-del: the reference (senderKID) */
    const char *secret;  /* secret-add: the secret; NULL: 16 random bytes, printed once */
    int64_t expires;     /* secret-add: seconds it stays valid; 0: for ever */
    int one_time;        /* secret-add: good for one certificate */
    FILE *crl_out;       /* crl: where to write the CRL (PEM); NULL: nowhere */
    int json;            /* JSON Lines instead of text */
};

/*
 * cmp_ca_service_admin() runs one administration command at time |now|
 * and prints its result to |out|:
 *   list        the certificates matching status/subject/serial
 *   show        one certificate by serial, in full
 *   revoke      revokes one by serial with |reason|, then issues a CRL
 *   secret-add  adds an enrollment secret for |ref|
 *   secret-del  removes the secret of |ref|
 *   secret-list lists the secrets (never the secrets themselves)
 *   crl         issues a CRL now (written to crl_out)
 *   sweep       rejects the certificates past their confirmation deadline
 *   check       SQLite's integrity check of the whole database file
 * An unknown command, a missing argument or a failure returns 0 with |err|.
 */
CMP_API int cmp_ca_service_admin(struct cmp_ca_service *svc, const char *command,
                                 const struct cmp_ca_admin_args *args, int64_t now, FILE *out,
                                 struct cmp_err *err) CMP_MUST_CHECK;

/* cmp_ca_admin_commands() lists the command names, for -help ("list, show, ..."). */
CMP_API const char *cmp_ca_admin_commands(void);

#ifdef __cplusplus
}
#endif
#endif
