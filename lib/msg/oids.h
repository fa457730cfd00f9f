/*
 * OBJECT IDENTIFIER names for people (printing, logs). libc only.
 *
 * Names are what `openssl asn1parse` prints (OpenSSL's long name) unless
 * that name has spaces ("X509v3 Key Usage"); then OpenSSL's short name
 * (keyUsage). CMP's MAC algorithms read as in RFC 9810 without the "id-"
 * (passwordBasedMac). OIDs that OpenSSL 3.0 does not know use the name of
 * their RFC's ASN.1 module (id-it-certProfile).
 */
#ifndef CMPKIT_MSG_OIDS_H
#define CMPKIT_MSG_OIDS_H

#include <stddef.h>

#include "der/der.h"

/* cmp_oid_name() returns the name of OID contents |oid|, or NULL if unknown. */
const char *cmp_oid_name(const struct der_in *oid);

/*
 * cmp_oid_short_name() returns the short name used in Names for an
 * attribute type ("CN" for commonName), else the same as cmp_oid_name().
 */
const char *cmp_oid_short_name(const struct der_in *oid);

/*
 * cmp_oid_text() writes "name (1.2.3)" for a known OID, the dotted form for
 * an unknown one, into |buf| (always NUL-terminated when |len| > 0). Returns
 * 1, or 0 if the OID is malformed ("(bad OID)" is written) or |buf| is too
 * small (the text is cut).
 */
int cmp_oid_text(const struct der_in *oid, char *buf, size_t len);

/*
 * cmp_oid_table_check() is for the unit test: 1 if every table entry's
 * bytes encode its dotted form and no OID appears twice.
 */
int cmp_oid_table_check(void);

#endif
