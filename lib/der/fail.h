/*
 * How the library records errors (STYLE.md 3): CMP_FAIL records an error in
 * a struct cmp_err (cmpkit/err.h) with the file and line, CMP_FAIL_INFO one
 * that is a PKIFailureInfo bit for the peer, CMP_CONTEXT adds a frame as it
 * unwinds. All evaluate to 0, so that `return CMP_FAIL(...)` reads as the
 * failure it is. (CMP_FAIL_SSL, for a failed libcrypto call, is in
 * crypto/crypto.h.)
 *
 * Library-internal: der/der.h, msg/msg.h and ca/store.h include it, so every
 * file of lib/ has it; a program on the public API reads a struct cmp_err
 * and never fills one.
 */
#ifndef CMPKIT_DER_FAIL_H
#define CMPKIT_DER_FAIL_H

#include "cmpkit/err.h"

#define CMP_FAIL(err, code, ...) \
    cmp_err_set((err), (code), CMP_FI_NONE, __FILE__, __LINE__, __VA_ARGS__)
#define CMP_FAIL_INFO(err, bit, ...) \
    cmp_err_set((err), CMP_E_INVALID, (bit), __FILE__, __LINE__, __VA_ARGS__)
#define CMP_CONTEXT(err, ...) cmp_err_context((err), __VA_ARGS__)

#endif
