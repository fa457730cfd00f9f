/*
 * dlopen() with a table of symbols: the one loader of the optional
 * libraries (see dl.h). It sits in the lowest layer because it needs
 * nothing of CMP and two layers above (transfer, ca) use it.
 */
#include "dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

/* dlsym()'s void * is copied into function pointers, as POSIX allows. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are not void *");

void *
cmp_dl_load(const char *library, const struct cmp_dl_sym *syms, size_t n, char *why,
            size_t why_len)
{
    void *lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    const char *reason;
    size_t i;

    if (lib == NULL) {
        reason = dlerror();
        snprintf(why, why_len, "%s", reason != NULL ? reason : "unknown error");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        void *sym;

        (void)dlerror();
        sym = dlsym(lib, syms[i].name);
        if (sym == NULL) {
            reason = dlerror();
            snprintf(why, why_len, "%s", reason != NULL ? reason : syms[i].name);
            while (i-- > 0) {
                memset(syms[i].slot, 0, sizeof(sym));
            }
            (void)dlclose(lib);
            return NULL;
        }
        memcpy(syms[i].slot, &sym, sizeof(sym));
    }
    return lib;
}
