/*
 * What the files of lib/verify share and nobody else needs.
 */
#ifndef CMPKIT_VERIFY_INTERNAL_H
#define CMPKIT_VERIFY_INTERNAL_H

#include <openssl/x509.h>

#include "der/der.h"

/*
 * cmp_vfy_name_parse() parses a Name TLV (nothing may follow it) into a new
 * X509_NAME; NULL if it is not one.
 */
X509_NAME *cmp_vfy_name_parse(const struct der_in *der);

#endif
