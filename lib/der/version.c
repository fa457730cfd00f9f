/*
 * The library's version (cmpkit/version.h). It lives in the lowest layer
 * because it needs nothing but the generated header: every other layer, and
 * an application, may ask for it.
 */
#include "cmpkit/version.h"

unsigned long
cmp_version(void)
{
    return CMPKIT_VERSION_NUMBER;
}

const char *
cmp_version_string(void)
{
    return CMPKIT_VERSION_STRING;
}
