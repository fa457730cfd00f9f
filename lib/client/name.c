/*
 * Distinguished names as openssl-cmp(1) writes them (-subject, -issuer,
 * -recipient, -expect_sender): "/type0=value0/type1=value1+type2=value2".
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "client/internal.h"

#define NAME_MAX_LEN 4096

X509_NAME *
cmp_name_parse(const char *text, struct cmp_err *err)
{
    X509_NAME *name = NULL;
    char *buf = NULL, *type, *value, *o;
    const char *p;
    size_t len;
    int multi = 0;

    if (text == NULL || text[0] != '/') {
        CMP_FAIL(err, CMP_E_ARG,
                 "name '%.60s' is not in the format /type0=value0/type1=value1/type2=... "
                 "(characters may be escaped by \\)",
                 text != NULL ? text : "");
        return NULL;
    }
    len = strlen(text);
    if (len > NAME_MAX_LEN) {
        CMP_FAIL(err, CMP_E_LIMIT, "name longer than %d characters", NAME_MAX_LEN);
        return NULL;
    }
    name = X509_NAME_new();
    buf = malloc(len + 1);
    if (name == NULL || buf == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "name");
        goto fail;
    }
    p = text + 1;
    while (*p != '\0') {
        int next_multi = 0;
        int nid;

        /* type, up to '=' */
        o = buf;
        type = o;
        while (*p != '\0' && *p != '=') {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            *o++ = *p++;
        }
        *o++ = '\0';
        if (*p != '=') {
            CMP_FAIL(err, CMP_E_ARG, "name '%.60s': missing '=' after '%.30s'", text, type);
            goto fail;
        }
        p++;
        /* value, up to an unescaped '/' or '+' */
        value = o;
        while (*p != '\0' && *p != '/' && *p != '+') {
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            *o++ = *p++;
        }
        *o = '\0';
        if (*p == '+') {
            next_multi = 1;
        }
        if (*p != '\0') {
            p++;
        }
        if (value[0] == '\0') {
            /* "Empty values are permitted, but the corresponding type will not be included." */
            multi = next_multi;
            continue;
        }
        nid = OBJ_txt2nid(type);
        if (nid == NID_undef) {
            /* as openssl's parse_name(): "Skipping unknown ... name attribute" */
            ERR_clear_error();
            multi = next_multi;
            continue;
        }
        if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (unsigned char *)value, -1, -1,
                                        multi ? -1 : 0)) {
            ERR_clear_error();
            CMP_FAIL(err, CMP_E_ARG, "name '%.60s': bad value for '%.30s'", text, type);
            goto fail;
        }
        multi = next_multi;
    }
    free(buf);
    return name;

fail:
    free(buf);
    X509_NAME_free(name);
    return NULL;
}
