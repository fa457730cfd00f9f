/*
 * What the files of lib/ca share beyond ca.h: the CA object itself.
 */
#ifndef CMPKIT_CA_INTERNAL_H
#define CMPKIT_CA_INTERNAL_H

#include "ca/ca.h"

#define CMP_CA_MAX_PROFILES 32

struct cmp_ca {
    X509 *cert;
    EVP_PKEY *key;
    struct cmp_ca_store *store; /* borrowed */
    struct cmp_ca_profile *profiles[CMP_CA_MAX_PROFILES];
    size_t num_profiles;
    size_t default_profile;
    int builtin; /* profiles[0] is the built-in default, replaced by the first one added */
    int64_t days;
    int64_t crl_period;
    cmp_ca_serial_fn *serial_fn;
    void *serial_arg;
    char *crl_dp; /* "URI:<crl url>" for cRLDistributionPoints, or NULL */
};

/*
 * cmp_ca_list_next() copies the next item of the comma and/or blank
 * separated |*list| into |item| (room for |item_max| bytes with the NUL)
 * and advances. Returns 1, 0 at the end, -1 for an item too long.
 */
int cmp_ca_list_next(const char **list, char *item, size_t item_max);

/*
 * cmp_ca_name_text() writes |name| in RFC 2253 syntax in the certificate's
 * order (UTF-8 kept; as listed and searched) into |buf|; "" on failure. Returns |buf|.
 */
const char *cmp_ca_name_text(char *buf, size_t len, const X509_NAME *name);

/* KU_* bits as a keyUsage BIT STRING (issue.c); NULL when out of memory. */
ASN1_BIT_STRING *cmp_ca_ku_bits(unsigned ku);

/* The digest the CA signs with for |prof| (NULL for EdDSA keys). */
const EVP_MD *cmp_ca_sign_md(const struct cmp_ca *ca, const struct cmp_ca_profile *prof);

/* ---- responder.c: what command.c needs of the service (cmpkit/ca.h) ---- */

struct cmp_ca_service;
struct cmp_ca_store *cmp_ca_service_store(struct cmp_ca_service *svc);
struct cmp_ca *cmp_ca_service_ca(struct cmp_ca_service *svc);
/* An audit line for a revocation by the administrator. */
void cmp_ca_service_audit_revoked(struct cmp_ca_service *svc, const uint8_t *serial, size_t len,
                                  int reason);
/* A CRL was issued at |now| (by the administrator): the schedule goes on from there. */
void cmp_ca_service_note_crl(struct cmp_ca_service *svc, int64_t now);
/* Rejects what is past its confirmation deadline (audit lines, a CRL if any). */
int cmp_ca_service_sweep(struct cmp_ca_service *svc, int64_t now, size_t *out_count,
                         struct cmp_err *err) CMP_MUST_CHECK;

#endif
