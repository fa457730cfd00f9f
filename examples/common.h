/*
 * What the three cmpkit examples share: reading "-name value" arguments,
 * reporting a struct cmp_err, and connecting a client context to a server.
 * Not part of the library; build it with each example:
 *
 *   cc -o enroll enroll.c common.c $(pkg-config --cflags --libs cmpkit)
 */
#ifndef CMPKIT_EXAMPLE_COMMON_H
#define CMPKIT_EXAMPLE_COMMON_H

#include <cmpkit/client.h>
#include <cmpkit/err.h>

/* The program's name in messages, set by args_init(). */
extern const char *g_prog;

/*
 * The command line: "-name value" pairs only, each name one of |names| (a
 * NULL-terminated list). args_init() checks that and prints the usage on
 * error; "-version" alone prints the versions and exits 0.
 */
struct args {
    int argc;
    char **argv;
};

int args_init(struct args *a, int argc, char **argv, const char *const *names, const char *usage);

/* args_get() returns the value of -|name|, or NULL if it was not given. */
const char *args_get(const struct args *a, const char *name);

/* args_int() returns -|name| as an integer in [min, max], |def| if absent, or exits. */
int args_int(const struct args *a, const char *name, int def, int min, int max);

/* report() prints "<prog>: <what>" and the error record, outermost context first. */
void report(const char *what, const struct cmp_err *err);

/*
 * client_connect() prepares |ctx| for a transaction with the options every
 * client example takes:
 *   -server URL                      where the CMP server listens (http://...)
 *   -ref REF -secret SOURCE          MAC-based protection (PBM), or
 *   -cert FILE -key FILE             signature-based protection
 *   -trusted FILE                    trust anchors for signed responses
 *   -recipient DN                    the recipient in our requests
 * SOURCE is a pass phrase source as in openssl: pass:TEXT, env:VAR, file:PATH.
 * Returns 1, or 0 after printing what failed.
 */
int client_connect(struct cmp_ctx *ctx, const struct args *a);

/* The options client_connect() reads, for the examples' own lists. */
#define CLIENT_OPTIONS "server", "ref", "secret", "cert", "key", "trusted", "recipient"

#endif
