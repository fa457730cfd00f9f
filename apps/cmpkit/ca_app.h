/*
 * The CA in the CLI (ca_main.c): what the server mode needs of it.
 */
#ifndef CMPKIT_APP_CA_H
#define CMPKIT_APP_CA_H

#include <openssl/x509.h>

#include "cmpkit/ca.h"
#include "opts.h"

/* The loaded CA: its service and what it was made of. */
struct app_ca {
    struct cmp_ca_service *svc;
    X509 *cert;
    EVP_PKEY *key;
    int audit_fd; /* -ca_audit, or -1: stderr */
    const char *audit_path;
};

/* The root CA key update a CA answers rootCaCert with (-rsp_newwithnew ...). */
struct app_ca_rollover {
    X509 *new_with_new, *new_with_old, *old_with_new;
};

/*
 * app_ca_open() loads -ca_cert and -ca_key (required with |need_key|) and
 * opens -ca_db with -ca_profiles, -days, -ca_crl_interval, -ca_crl_url,
 * -ca_audit and the mock options that keep a meaning for a CA: |extra|
 * (-rsp_extracerts) and |capubs| (-rsp_capubs), both may be NULL, |roll|
 * (may be NULL) and -accept_raverified. Prints its error; returns 1 or 0.
 * |o| must outlive the CA.
 */
int app_ca_open(const struct cmp_opts *o, struct app_ca *ca, int need_key, STACK_OF(X509) * extra,
                STACK_OF(X509) * capubs, const struct app_ca_rollover *roll);

/* app_ca_cleanup() frees what app_ca_open() made. */
void app_ca_cleanup(struct app_ca *ca);

#endif
