/*
 * Loading an optional shared library at run time (libcurl for the HTTP
 * transfer, libsqlite3 for the CA's store): the library is dlopen()ed on
 * first use rather than linked, so a program that never uses the feature
 * neither needs the library installed nor pays for loading it.
 */
#ifndef CMPKIT_DER_DL_H
#define CMPKIT_DER_DL_H

#include <stddef.h>

/* One symbol to look up and the function pointer that receives its address. */
struct cmp_dl_sym {
    const char *name;
    void *slot; /* the address of a function pointer (of any type) */
};

/*
 * Opens |library| and fills every slot of |syms|. On success returns the
 * handle (never closed: the pointers stay in use until exit). On failure
 * returns NULL, leaves no slot filled and writes dlerror()'s reason, or the
 * missing symbol's name, to |why| (of |why_len| bytes).
 */
void *cmp_dl_load(const char *library, const struct cmp_dl_sym *syms, size_t n, char *why,
                  size_t why_len);

#endif
