/*
 * Config files, read as `openssl cmp` 3.0 reads them (its read_config()):
 *
 * - The file is -config's; without -config the default OpenSSL config file
 *   (OPENSSL_CONF, else OPENSSLDIR/openssl.cnf), and only if it exists;
 *   -config "" means none.
 * - -section names one or more sections, separated by commas and/or
 *   whitespace; "" means [default]; the default is "cmp". Each named section
 *   must exist (a missing [cmp] is only reported when it was not named).
 * - An option is looked up in the named sections from the last to the
 *   first; in each, NCONF falls back to [default] (which is also the
 *   unnamed section at the top of the file). The first value found wins.
 * - Option names have no dash. Strings are taken as they are ($var
 *   expansion is NCONF's); an empty string resets the option. Flags and
 *   numbers are decimal numbers (flags 0 or 1); a value that is not a whole
 *   decimal number counts as not given.
 * - The command line is applied afterwards, so it overrides the file.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/conf.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "opts.h"

#define SECTION_NAME_MAX 40 /* as openssl cmp: longer names are cut */

static int
is_sep(char c)
{
    return c == ',' || isspace((unsigned char)c);
}

/*
 * prev_section() steps back over one name of the list |names| that ends
 * at |*end|, copying it to |item|. Returns 0 when there is none left.
 */
static int
prev_section(const char *names, const char **end, char item[SECTION_NAME_MAX + 1], int verbosity)
{
    const char *e = *end, *b;
    size_t len;

    while (e > names && is_sep(e[-1])) {
        e--;
    }
    if (e == names) {
        return 0;
    }
    b = e;
    while (b > names && !is_sep(b[-1])) {
        b--;
    }
    len = (size_t)(e - b);
    if (len > SECTION_NAME_MAX) {
        app_log(verbosity, LOG_LVL_WARN,
                "using only first %d characters of section name starting with \"%.*s\"",
                SECTION_NAME_MAX, SECTION_NAME_MAX, b);
        len = SECTION_NAME_MAX;
    }
    memcpy(item, b, len);
    item[len] = '\0';
    *end = b;
    return 1;
}

/* conf_value() is the value of |name| from the last of |sections| that has it, or NULL. */
static const char *
conf_value(const CONF *conf, const char *sections, const char *name, int verbosity)
{
    char item[SECTION_NAME_MAX + 1];
    const char *end = sections + strlen(sections);
    const char *v;

    while (prev_section(sections, &end, item, verbosity)) {
        ERR_set_mark();
        v = NCONF_get_string(conf, item, name);
        ERR_pop_to_mark(); /* "no value" is no error */
        if (v != NULL) {
            return v;
        }
    }
    return NULL;
}

/* check_sections() checks that the sections exist, as openssl cmp does. */
static int
check_sections(const CONF *conf, const char *sections, const char *file, int verbosity)
{
    char item[SECTION_NAME_MAX + 1];
    const char *end = sections + strlen(sections);
    int found;

    if (strcmp(sections, "cmp") == 0) {
        ERR_set_mark();
        found = NCONF_get_section(conf, "cmp") != NULL;
        ERR_pop_to_mark();
        if (!found) {
            app_log(verbosity, LOG_LVL_INFO,
                    "no [cmp] section found in config file '%s'; will thus use just [default] "
                    "and unnamed section if present",
                    file);
        }
        return 1;
    }
    while (prev_section(sections, &end, item, verbosity)) {
        ERR_set_mark();
        found = NCONF_get_section(conf, item) != NULL;
        ERR_pop_to_mark();
        if (!found) {
            fprintf(stderr, "%s: no [%s] section found in config file '%s'\n", PROG, item, file);
            return 0;
        }
    }
    return 1;
}

int
cmp_config_apply(struct cmp_opts *o)
{
    char *default_file = NULL;
    const char *file = o->config;
    const char *sections;
    long eline = -1;
    size_t i;
    int ok = 1;

    if (o->section == NULL || o->section[0] == '\0') {
        o->section = "default";
    }
    sections = o->section;
    if (file == NULL) {
        default_file = CONF_get1_default_config_file();
        /* The default file is read only if it exists. */
        if (default_file == NULL || access(default_file, F_OK) != 0) {
            OPENSSL_free(default_file);
            return 1;
        }
        file = default_file;
    }
    if (file[0] == '\0') {
        return 1; /* -config "": none */
    }
    app_log(o->verbosity, LOG_LVL_INFO, "using section(s) '%s' of OpenSSL configuration file '%s'",
            sections, file);
    o->conf = NCONF_new(NULL);
    if (o->conf == NULL || NCONF_load(o->conf, file, &eline) <= 0) {
        if (eline > 0) {
            fprintf(stderr, "%s: error on line %ld of config file \"%s\"\n", PROG, eline, file);
        } else {
            fprintf(stderr, "%s: cannot load config file \"%s\"\n", PROG, file);
        }
        app_print_ssl_errors();
        OPENSSL_free(default_file);
        return 0;
    }
    if (!check_sections(o->conf, sections, file, o->verbosity)) {
        OPENSSL_free(default_file);
        return 0;
    }
    for (i = 0; ok && i < cmp_opt_count; i++) {
        const struct opt_def *d = &cmp_opt_table[i];
        const char *v;

        if ((d->flags & OPTF_NO_CONFIG) != 0) {
            continue;
        }
        v = conf_value(o->conf, sections, d->name, o->verbosity);
        if (v == NULL) {
            continue;
        }
        /* An empty value of an option that is applied at once (not stored) means: not given. */
        if (v[0] == '\0' && (d->target == OPTT_VERIFY || d->target == OPTT_PROVIDER)) {
            continue;
        }
        ok = cmp_opts_set(o, d, v, 1, sections);
        if (!ok) {
            fprintf(stderr, "%s: for option '%s' in config file '%s', section(s) '%s'\n", PROG,
                    d->name, file, sections);
        }
    }
    if (ok && (o->verbosity < LOG_LVL_EMERG || o->verbosity > LOG_LVL_TRACE)) {
        fprintf(stderr, "%s: logging verbosity level %d out of range (0 .. 8)\n", PROG,
                o->verbosity);
        ok = 0;
    }
    if (!ok) {
        fprintf(stderr, "%s: Use -help for summary.\n", PROG);
    }
    OPENSSL_free(default_file);
    return ok;
}
