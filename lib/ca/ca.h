/*
 * The CA: profiles (profile.c), issuance, confirmation and revocation
 * (issue.c), CRLs (crl.c) and administration (admin.c), over a store
 * (store.h). Nothing here knows CMP messages beyond the decoded
 * CertTemplate of lib/msg; the responder that turns requests into calls
 * of this header lives with the server engine.
 *
 * Times are seconds since the epoch, passed in by the caller (|now|), so
 * that tests and the confirmation timeouts use one clock.
 */
#ifndef CMPKIT_CA_H
#define CMPKIT_CA_H

#include <stdio.h>

#include <openssl/conf.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca/store.h"
#include "der/der.h"

struct cmp_cert_template;

/* ================= profiles (profile.c) ================= */

/* Bounds a profile may set, whatever its configuration says. */
#define CMP_CA_RSA_FLOOR_BITS 1024
#define CMP_CA_RSA_CAP_BITS 16384 /* a larger key is refused before any arithmetic */
#define CMP_CA_MAX_DAYS 36500
#define CMP_CA_MAX_CURVES 8
#define CMP_CA_MAX_ATTRS 24
#define CMP_CA_MAX_EKUS 16

/* subjectAltName forms (GeneralName), as bits of san_allowed / san_required. */
enum {
    CMP_CA_SAN_DNS = 1u << 0,
    CMP_CA_SAN_IP = 1u << 1,
    CMP_CA_SAN_EMAIL = 1u << 2,
    CMP_CA_SAN_URI = 1u << 3
};

enum cmp_ca_kur_old { CMP_CA_KUR_SUPERSEDE = 0, CMP_CA_KUR_KEEP = 1 };
enum cmp_ca_ext_policy { CMP_CA_EXT_REFUSE = 0, CMP_CA_EXT_DROP = 1 };

struct cmp_ca_profile {
    char name[CMP_CA_PROFILE_NAME_MAX + 1];
    /* key types */
    int rsa;                        /* RSA allowed */
    int rsa_min_bits, rsa_max_bits; /* within the floor and cap above */
    int curves[CMP_CA_MAX_CURVES];  /* EC curve NIDs allowed */
    size_t num_curves;
    int ed25519, ed448;
    /* subject: attribute NIDs */
    int subject_required[CMP_CA_MAX_ATTRS];
    size_t num_subject_required;
    int subject_allowed[CMP_CA_MAX_ATTRS]; /* used unless subject_any */
    size_t num_subject_allowed;
    int subject_any;   /* any attribute type */
    int subject_empty; /* an empty subject is allowed (then a subjectAltName is required) */
    /* subjectAltName */
    unsigned san_allowed, san_required; /* CMP_CA_SAN_* */
    /* key usage: X509v3 KU_* bits. Issued: forced | (requested & allowed). */
    unsigned ku_forced, ku_allowed;
    /* extended key usage: OIDs. Issued: forced + requested ones that are allowed. */
    ASN1_OBJECT *eku_forced[CMP_CA_MAX_EKUS];
    size_t num_eku_forced;
    ASN1_OBJECT *eku_allowed[CMP_CA_MAX_EKUS];
    size_t num_eku_allowed;
    /* validity */
    int64_t days, max_days;
    /* basicConstraints */
    int ca;
    int path_len; /* -1: none */
    /* confirmation and kur */
    int implicit_confirm;    /* may be granted when asked for */
    int64_t confirm_timeout; /* seconds a certificate waits for certConf */
    int kur_old;             /* enum cmp_ca_kur_old */
    int unknown_ext;         /* enum cmp_ca_ext_policy */
    char digest[32];         /* the CA's signing digest; "" for the key's default */
    /*
     * central_keygen: the key the CA generates for a request without a
     * public key (RFC 9483 4.1.6); NONE: such requests are refused.
     */
    int keygen;       /* enum cmp_ca_keygen */
    int keygen_bits;  /* RSA */
    int keygen_curve; /* EC: the curve's NID */
};

enum cmp_ca_keygen {
    CMP_CA_KEYGEN_NONE = 0,
    CMP_CA_KEYGEN_RSA,
    CMP_CA_KEYGEN_EC,
    CMP_CA_KEYGEN_ED25519,
    CMP_CA_KEYGEN_ED448
};

/*
 * cmp_ca_profile_keygen() generates a key of the profile's central_keygen
 * type; NULL with |err| when the profile has none (badCertTemplate) or
 * libcrypto fails.
 */
EVP_PKEY *cmp_ca_profile_keygen(const struct cmp_ca_profile *p, struct cmp_err *err);

/*
 * cmp_ca_profile_default() is the built-in profile (named "default"):
 * end-entity certificates a device can use for CMP signature protection
 * and TLS client authentication: EC P-256/P-384/P-521, RSA 2048..4096,
 * Ed25519, Ed448; digitalSignature; extendedKeyUsage clientAuth; CA:FALSE;
 * |days| days (0: 365). Returns a new profile or NULL.
 */
struct cmp_ca_profile *cmp_ca_profile_default(int64_t days, struct cmp_err *err);

/*
 * cmp_ca_profile_from_conf() reads the profile |section| of |conf|
 * (docs/CA.md lists the keys), starting from the built-in default with
 * |days|. Unknown keys and bad values fail, naming the section and the key.
 */
struct cmp_ca_profile *cmp_ca_profile_from_conf(const CONF *conf, const char *section, int64_t days,
                                                struct cmp_err *err);

void cmp_ca_profile_free(struct cmp_ca_profile *p);

/*
 * cmp_ca_profile_describe_keys() writes the allowed key types for a
 * person ("EC P-256, EC P-384, RSA 2048..4096, Ed25519"). Returns |buf|.
 */
const char *cmp_ca_profile_describe_keys(const struct cmp_ca_profile *p, char *buf, size_t len);

/* ================= the CA (issue.c) ================= */

/*
 * A CA is set up (profiles, CRL period, serial source) by one thread; after
 * that, issuance, confirmation, revocation and CRLs may be called from
 * several threads at once (the store serialises what needs it).
 */
struct cmp_ca;

/* A source of serial numbers: fills |out| with CMP_CA_SERIAL_MAX bytes. For tests. */
typedef int cmp_ca_serial_fn(void *arg, uint8_t *out);

/*
 * cmp_ca_new() makes a CA that signs with |key| as |cert| (both up-ref'ed;
 * they must match) and keeps its state in |store| (borrowed: it must
 * outlive the CA). The CA starts with the built-in default profile with
 * |days| (0: 365) until profiles are added.
 */
struct cmp_ca *cmp_ca_new(X509 *cert, EVP_PKEY *key, struct cmp_ca_store *store, int64_t days,
                          struct cmp_err *err);
void cmp_ca_free(struct cmp_ca *ca);

/*
 * cmp_ca_add_profile() hands |p| to the CA (set0: on success only). The
 * first profile added replaces the built-in default as the default; a
 * second with the same name fails.
 */
int cmp_ca_add_profile(struct cmp_ca *ca, struct cmp_ca_profile *p,
                       struct cmp_err *err) CMP_MUST_CHECK;
/* cmp_ca_set_default_profile() picks the profile used without certProfile. */
int cmp_ca_set_default_profile(struct cmp_ca *ca, const char *name,
                               struct cmp_err *err) CMP_MUST_CHECK;
/* cmp_ca_get0_profile() finds a profile by name (NULL: the default). */
const struct cmp_ca_profile *cmp_ca_get0_profile(const struct cmp_ca *ca, const char *name);

/* Seconds from a CRL's thisUpdate to its nextUpdate (default one day). */
void cmp_ca_set_crl_period(struct cmp_ca *ca, int64_t seconds);
void cmp_ca_set_serial_fn(struct cmp_ca *ca, cmp_ca_serial_fn *fn, void *arg);
/*
 * cmp_ca_set_crl_url() puts a cRLDistributionPoints extension with |url|
 * (http:// or https://, no blanks or commas, at most 1024 bytes) into every
 * certificate issued from now on.
 */
int cmp_ca_set_crl_url(struct cmp_ca *ca, const char *url, struct cmp_err *err) CMP_MUST_CHECK;
X509 *cmp_ca_get0_cert(const struct cmp_ca *ca);
struct cmp_ca_store *cmp_ca_get0_store(const struct cmp_ca *ca);

/*
 * What a requester asks for. All slices are borrowed (from the message or
 * from |owned|); a zero length means absent.
 */
struct cmp_ca_request {
    const char *profile;           /* certProfile (RFC 9483 4.1.1); NULL: the default */
    struct der_in subject;         /* Name TLV */
    struct der_in spki;            /* SubjectPublicKeyInfo TLV */
    struct der_in exts;            /* Extensions TLV (SEQUENCE OF Extension) */
    struct der_in issuer;          /* Name TLV, if the template names one */
    int64_t not_before, not_after; /* 0: not asked for */
    /* a template field that RFC 4211 5 says the requester must omit, or NULL */
    const char *forbidden_field;
    /*
     * Possession of |spki| was proven by a signature that verified with it
     * (the POPO or the PKCS#10 self-signature), or will be before issuance
     * (a check before the POPO): it parses and is a valid key, so the checks
     * read its type and size from the DER and libcrypto does not decode it
     * again. 0: decoded and validated here.
     */
    int key_proven;

    /* recorded with the certificate */
    const char *requester;    /* who asked (cmp_ca_requester_*()) */
    struct der_in tid;        /* transactionID */
    int implicit_confirm;     /* implicitConfirm was asked for */
    struct der_in old_serial; /* kur: the serial (INTEGER contents) being replaced */
    struct der_in secret_ref; /* MAC-protected: the senderKID whose secret to mark used */

    uint8_t *owned; /* freed by cmp_ca_request_cleanup() */
};

/*
 * cmp_ca_request_from_template() fills |req| from a decoded CertTemplate
 * (RFC 4211 5); the rest of |req| is left as it is. Fails only when out of
 * memory. cmp_ca_request_from_p10() does the same from a PKCS#10 request
 * (DER), failing with badDataFormat on one that does not parse. Neither
 * checks a signature or POPO: that is the responder's part.
 */
int cmp_ca_request_from_template(struct cmp_ca_request *req, const struct cmp_cert_template *t,
                                 struct cmp_err *err) CMP_MUST_CHECK;
int cmp_ca_request_from_p10(struct cmp_ca_request *req, const uint8_t *der, size_t len,
                            struct cmp_err *err) CMP_MUST_CHECK;
void cmp_ca_request_cleanup(struct cmp_ca_request *req);

/* A certificate just issued. */
struct cmp_ca_issued {
    uint8_t *der; /* the certificate (owned) */
    size_t der_len;
    X509 *cert; /* parsed from |der| on demand: use cmp_ca_issued_cert() */
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t serial_len;
    int status;               /* CMP_CA_ST_WAITING, or CONFIRMED when implicitly confirmed */
    int implicit_confirm;     /* granted */
    int64_t confirm_deadline; /* WAITING until then */
    const struct cmp_ca_profile *profile;
};
void cmp_ca_issued_cleanup(struct cmp_ca_issued *out);
/*
 * cmp_ca_issued_cert() is the certificate as an X509 (get0), parsed from
 * the DER on the first call: a CMP answer needs only the DER, and parsing
 * costs as much as a signature with OpenSSL 3.0. NULL when out of memory.
 */
X509 *cmp_ca_issued_cert(struct cmp_ca_issued *out);

/*
 * cmp_ca_check_request() checks |req| against its profile without
 * signing anything: on failure |err| has the PKIFailureInfo bit (RFC 9483
 * 4.1.1, RFC 9810 5.2.3) and a message that serves as statusString.
 */
int cmp_ca_check_request(struct cmp_ca *ca, const struct cmp_ca_request *req, int64_t now,
                         struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_issue() checks |req| as above, builds and signs the certificate
 * and records it (one committed transaction, retried with a new serial
 * if the serial was taken). Returns 1 with |out| filled, or 0: a refusal
 * (err's failure bit set) or a failure of the store or libcrypto
 * (systemFailure).
 */
int cmp_ca_issue(struct cmp_ca *ca, const struct cmp_ca_request *req, int64_t now,
                 struct cmp_ca_issued *out, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_confirm() settles a WAITING certificate: |accepted| makes it
 * CONFIRMED (and, for a kur whose profile says so, the old certificate
 * SUPERSEDED in the same transaction); otherwise REJECTED (revoked). The
 * outcome: DONE, NOT_FOUND, WRONG_STATE (with *out_prev the status).
 */
int cmp_ca_confirm(struct cmp_ca *ca, const uint8_t *serial, size_t serial_len, int accepted,
                   int64_t now, int *out_outcome, int *out_prev,
                   struct cmp_err *err) CMP_MUST_CHECK;

/* A serial number, for a caller to hear of each certificate a call changed. */
typedef void cmp_ca_each_serial_fn(void *arg, const uint8_t *serial, size_t serial_len);

/*
 * cmp_ca_expire_waiting() rejects every certificate whose confirmation
 * deadline is before |now|; *out_count says how many, and |each| (may be
 * NULL) hears of each one (for the audit log).
 */
int cmp_ca_expire_waiting(struct cmp_ca *ca, int64_t now, cmp_ca_each_serial_fn *each, void *arg,
                          size_t *out_count, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_revoke() revokes a WAITING or CONFIRMED certificate with a
 * CRLReason (RFC 5280 5.3.1; not certificateHold or removeFromCRL).
 * Outcomes as cmp_ca_confirm(): WRONG_STATE for one already revoked.
 */
int cmp_ca_revoke(struct cmp_ca *ca, const uint8_t *serial, size_t serial_len, int reason,
                  int64_t now, int *out_outcome, int *out_prev, struct cmp_err *err) CMP_MUST_CHECK;

/*
 * Requester strings for the record: "kid:<hex>" for a senderKID, and
 * "cert:<issuer>/<serial hex>" for a signer's certificate. Return |buf|.
 */
const char *cmp_ca_requester_kid(char *buf, size_t len, const uint8_t *kid, size_t kid_len);
const char *cmp_ca_requester_cert(char *buf, size_t len, const X509 *cert);

/* cmp_ca_reason_name() is a CRLReason's RFC 5280 name, or NULL. */
const char *cmp_ca_reason_name(int reason);
/* cmp_ca_reason_parse() takes a name or a number; -1 when unknown or not allowed. */
int cmp_ca_reason_parse(const char *text);

/* ================= CRLs (crl.c) ================= */

/*
 * cmp_ca_crl_issue() signs a CRL v2 (RFC 5280 5) of every revoked
 * certificate (REJECTED, REVOKED, SUPERSEDED) with the next CRL number,
 * thisUpdate |now| and nextUpdate |now| plus the CRL period, and keeps it
 * in the store as the last CRL. |*out_der| (free()) and |*out_number| may
 * be requested with non-NULL pointers.
 */
int cmp_ca_crl_issue(struct cmp_ca *ca, int64_t now, uint8_t **out_der, size_t *out_len,
                     int64_t *out_number, struct cmp_err *err) CMP_MUST_CHECK;

/* ================= support messages (support.c) ================= */

/*
 * cmp_ca_support_template() encodes the CertReqTemplateContent (RFC 9483
 * 4.3.3) of profile |p| into |*out| (free()): a CertTemplate with the
 * subject attributes the profile requires (empty values for the EE to fill
 * in), the extensions it forces (basicConstraints, keyUsage,
 * extendedKeyUsage; an empty subjectAltName when one is required), and a
 * keySpec naming each key type it takes.
 */
int cmp_ca_support_template(const struct cmp_ca_profile *p, uint8_t **out, size_t *out_len,
                            struct cmp_err *err) CMP_MUST_CHECK;

/*
 * cmp_ca_support_root_update() encodes a RootCaKeyUpdateContent (RFC 9810
 * 5.3.19.15) of the new root |new_with_new| and the optional cross
 * certificates into |*out| (free()).
 */
int cmp_ca_support_root_update(X509 *new_with_new, X509 *new_with_old, X509 *old_with_new,
                               uint8_t **out, size_t *out_len, struct cmp_err *err) CMP_MUST_CHECK;

/* ================= administration (admin.c) ================= */

enum cmp_ca_format { CMP_CA_FMT_TEXT = 0, CMP_CA_FMT_JSON = 1 };

/* Hex serials: "0x" and colons are accepted on input; output is upper-case hex. */
int cmp_ca_serial_parse(const char *text, uint8_t *out, size_t *out_len,
                        struct cmp_err *err) CMP_MUST_CHECK;
const char *cmp_ca_hex(char *buf, size_t len, const uint8_t *p, size_t n);

/*
 * Output for people (TEXT: one line per certificate for a listing, a
 * block of "name: value" lines for one) or for programs (JSON: one JSON
 * object per line). Text from certificates is written with control
 * characters replaced, JSON with them escaped.
 */
int cmp_ca_print_cert_line(FILE *out, const struct cmp_ca_cert_rec *rec, int format);
int cmp_ca_print_cert_full(FILE *out, const struct cmp_ca_cert_rec *rec, int format);
int cmp_ca_print_secret(FILE *out, const struct cmp_ca_secret_rec *rec, int64_t now, int format);

/* cmp_ca_admin_list() prints the certificates matching |f|; *out_count says how many. */
int cmp_ca_admin_list(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f, int format,
                      FILE *out, size_t *out_count, struct cmp_err *err) CMP_MUST_CHECK;
/* cmp_ca_admin_show() prints one certificate by serial (hex); a miss fails, naming it. */
int cmp_ca_admin_show(struct cmp_ca_store *s, const char *serial_hex, int format, FILE *out,
                      struct cmp_err *err) CMP_MUST_CHECK;
/*
 * cmp_ca_admin_revoke() revokes by serial (hex) with a reason (name or
 * number) and issues a new CRL; prints what it did. A miss or a
 * certificate already revoked fails with a message saying so.
 */
int cmp_ca_admin_revoke(struct cmp_ca *ca, const char *serial_hex, const char *reason, int64_t now,
                        int format, FILE *out, struct cmp_err *err) CMP_MUST_CHECK;
/*
 * cmp_ca_admin_secret_add() adds an enrollment secret for |ref| (the
 * senderKID clients will send). |secret| NULL: 16 random bytes are
 * made and printed as "pass:<hex>" (the form -secret takes), once.
 * |valid_secs| 0: no expiry.
 */
int cmp_ca_admin_secret_add(struct cmp_ca_store *s, const char *ref, const char *secret,
                            int64_t valid_secs, int one_time, int64_t now, int format, FILE *out,
                            struct cmp_err *err) CMP_MUST_CHECK;
int cmp_ca_admin_secret_remove(struct cmp_ca_store *s, const char *ref, int format, FILE *out,
                               struct cmp_err *err) CMP_MUST_CHECK;
/* Lists the secrets (never the secrets themselves). */
int cmp_ca_admin_secret_list(struct cmp_ca_store *s, int64_t now, int format, FILE *out,
                             struct cmp_err *err) CMP_MUST_CHECK;
/*
 * cmp_ca_admin_crl() issues a CRL now and writes it to |crl_out| (PEM, or
 * DER with |der|) when given; prints its number and entries to |out|.
 */
int cmp_ca_admin_crl(struct cmp_ca *ca, int64_t now, FILE *crl_out, int der, int format, FILE *out,
                     struct cmp_err *err) CMP_MUST_CHECK;

#endif
