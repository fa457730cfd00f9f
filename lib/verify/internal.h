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

/*
 * CMP_VFY_PEER() stores |text| in |*peer_text| when the caller asked for
 * it: a constant naming the broken rule, fit for the statusString a peer
 * gets (nothing from the message, no detail), or NULL for the default text
 * of the failure bit.
 */
#define CMP_VFY_PEER(peer_text, text) ((peer_text) != NULL ? (void)(*(peer_text) = (text)) : (void)0)

#endif
