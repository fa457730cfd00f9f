/*
 * The CA in the CLI (docs/CA.md): loading -ca_cert, -ca_key and -ca_db
 * into a struct cmp_ca_service (cmpkit/ca.h) for the server mode
 * (server_main.c), the audit lines, and -ca_admin, the administration
 * commands on the same database:
 *
 *   cmpkit -ca_db ca.db -ca_admin list [-ca_status S] [-ca_subject T]
 *          [-ca_serial N] [-ca_json]
 *   cmpkit -ca_db ca.db -ca_admin show -ca_serial N
 *   cmpkit -ca_db ca.db -ca_cert ca.crt -ca_key ca.key -ca_admin revoke
 *          -ca_serial N [-revreason R]
 *   cmpkit -ca_db ca.db -ca_admin secret-add -ref REF [-secret pass:S]
 *          [-ca_expires SECONDS] [-ca_one_time]
 *   cmpkit -ca_db ca.db -ca_admin secret-del -ref REF
 *   cmpkit -ca_db ca.db -ca_admin secret-list
 *   cmpkit -ca_db ca.db -ca_cert ca.crt -ca_key ca.key -ca_admin crl
 *          [-ca_crlout crl.pem]
 *   cmpkit -ca_db ca.db -ca_cert ca.crt -ca_key ca.key -ca_admin sweep
 *
 * Output goes to stdout (text, or JSON Lines with -ca_json); errors to
 * stderr with exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ca_app.h"
#include "cmpkit/ca.h"
#include "cmpkit/err.h"
#include "cmpkit/load.h"
#include "opts.h"

int
app_ca_mode(const struct cmp_opts *o)
{
    return o->ca_cert != NULL || o->ca_key != NULL || o->ca_db != NULL || o->ca_profiles != NULL ||
           o->ca_admin != NULL;
}

static int
fail(const char *what, const struct cmp_err *err)
{
    char buf[1024];

    fprintf(stderr, "%s: %s: %s\n", PROG, what, cmp_err_format(err, buf, sizeof(buf)));
    return 0;
}

/* ---- audit lines ---- */

/* Each line is written whole with one write(2) on an O_APPEND descriptor. */
static void
audit_line(void *arg, const char *line)
{
    struct app_ca *ca = arg;
    char buf[1200];
    struct timespec ts;
    struct tm tm;
    char when[32] = "";
    int n;

    if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL) {
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    if (ca->audit_fd >= 0) {
        n = snprintf(buf, sizeof(buf), "%s %s\n", when, line);
        if (n > 0) {
            size_t len = (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1;

            if (write(ca->audit_fd, buf, len) < 0) {
                fprintf(stderr, "%s: cannot write to -ca_audit %s: %s\n", PROG, ca->audit_path,
                        strerror(errno));
            }
        }
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "CA audit: %s %s\n", when, line);
    fflush(stderr);
    funlockfile(stderr);
}

/* ---- the service ---- */

void
app_ca_cleanup(struct app_ca *ca)
{
    cmp_ca_service_free(ca->svc);
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    if (ca->audit_fd >= 0) {
        close(ca->audit_fd);
    }
    memset(ca, 0, sizeof(*ca));
    ca->audit_fd = -1;
}

/*
 * app_ca_open() loads -ca_cert and -ca_key (when |need_key| or given) and
 * opens -ca_db with the profiles and the mock options that keep a meaning
 * for a CA (|extra|, |capubs| may be NULL). Prints its error; returns 1 or 0.
 */
int
app_ca_open(const struct cmp_opts *o, struct app_ca *ca, int need_key, STACK_OF(X509) * extra,
            STACK_OF(X509) * capubs, const struct app_ca_rollover *roll)
{
    struct cmp_ca_service_config cfg;
    struct cmp_err err;
    char *pass = NULL;
    int format = CMP_LOAD_FORMAT_ANY;

    memset(ca, 0, sizeof(*ca));
    ca->audit_fd = -1;
    cmp_err_init(&err);
    if (o->ca_db == NULL) {
        fprintf(stderr, "%s: the CA needs its database: -ca_db FILE\n", PROG);
        return 0;
    }
    if (need_key && (o->ca_cert == NULL || o->ca_key == NULL)) {
        fprintf(stderr, "%s: the CA needs -ca_cert and -ca_key\n", PROG);
        return 0;
    }
    if ((o->ca_cert == NULL) != (o->ca_key == NULL)) {
        fprintf(stderr, "%s: give both -ca_cert and -ca_key, or neither\n", PROG);
        return 0;
    }
    if (o->keyform != NULL && strcasecmp(o->keyform, "DER") == 0) {
        format = CMP_LOAD_FORMAT_DER;
    } else if (o->keyform != NULL && strcasecmp(o->keyform, "P12") == 0) {
        format = CMP_LOAD_FORMAT_P12;
    }
    if (o->ca_keypass != NULL &&
        !cmp_load_pass(&pass, o->ca_keypass, "pass phrase of -ca_key", &err)) {
        return fail("-ca_keypass", &err);
    }
    if (o->ca_cert != NULL) {
        ca->cert = cmp_load_one_cert(o->ca_cert, pass, "CA certificate", &err);
        if (ca->cert == NULL) {
            cmp_load_pass_free(pass);
            return fail("-ca_cert", &err);
        }
        ca->key = cmp_load_private_key(o->ca_key, format, pass, "CA key", &err);
        if (ca->key == NULL) {
            cmp_load_pass_free(pass);
            return fail("-ca_key", &err);
        }
    }
    cmp_load_pass_free(pass);
    if (o->ca_audit != NULL) {
        ca->audit_fd = open(o->ca_audit, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (ca->audit_fd < 0) {
            fprintf(stderr, "%s: -ca_audit %s: %s\n", PROG, o->ca_audit, strerror(errno));
            return 0;
        }
        ca->audit_path = o->ca_audit;
    }
    cmp_ca_service_config_init(&cfg);
    cfg.cert = ca->cert;
    cfg.key = ca->key;
    cfg.db = o->ca_db;
    cfg.conf = o->conf;
    cfg.profiles = o->ca_profiles;
    cfg.days = o->days;
    cfg.crl_interval = o->ca_crl_interval;
    cfg.extra_certs = extra;
    cfg.ca_pubs = capubs;
    cfg.crl_url = o->ca_crl_url;
    if (roll != NULL) {
        cfg.new_with_new = roll->new_with_new;
        cfg.new_with_old = roll->new_with_old;
        cfg.old_with_new = roll->old_with_new;
    }
    cfg.accept_raverified = o->accept_raverified;
    cfg.audit = audit_line;
    cfg.audit_arg = ca;
    ca->svc = cmp_ca_service_new(&cfg, &err);
    if (ca->svc == NULL) {
        return fail("cannot set up the CA", &err);
    }
    return 1;
}

/* ---- -ca_admin ---- */

int
cmp_ca_admin_main(struct cmp_opts *o)
{
    struct cmp_ca_admin_args a;
    struct app_ca ca;
    struct cmp_err err;
    char *secret = NULL;
    FILE *crl_out = NULL;
    int ok;

    if (o->cmd != NULL || o->port != NULL || o->server != NULL || o->use_mock_srv) {
        fprintf(stderr, "%s: -ca_admin does not go with -cmd, -port, -server or -use_mock_srv\n",
                PROG);
        return 1;
    }
    cmp_err_init(&err);
    memset(&a, 0, sizeof(a));
    a.status = o->ca_status;
    a.subject = o->ca_subject;
    a.serial = o->ca_serial;
    a.reason = o->revreason;
    a.ref = o->ref;
    a.expires = o->ca_expires;
    a.one_time = o->ca_one_time;
    a.json = o->ca_json;
    if (o->secret != NULL) {
        if (strcmp(o->ca_admin, "secret-add") != 0) {
            fprintf(stderr, "%s: -secret is only for -ca_admin secret-add\n", PROG);
            return 1;
        }
        if (!cmp_load_pass(&secret, o->secret, "enrollment secret", &err)) {
            return !fail("-secret", &err);
        }
        a.secret = secret;
    }
    if (!app_ca_open(o, &ca, 0, NULL, NULL, NULL)) {
        cmp_load_pass_free(secret);
        return 1;
    }
    if (o->ca_crlout != NULL) {
        crl_out = fopen(o->ca_crlout, "w");
        if (crl_out == NULL) {
            fprintf(stderr, "%s: -ca_crlout %s: %s\n", PROG, o->ca_crlout, strerror(errno));
            cmp_load_pass_free(secret);
            app_ca_cleanup(&ca);
            return 1;
        }
        a.crl_out = crl_out;
    }
    ok = cmp_ca_service_admin(ca.svc, o->ca_admin, &a, (int64_t)time(NULL), stdout, &err);
    if (!ok) {
        fail("-ca_admin", &err);
    }
    if (crl_out != NULL && fclose(crl_out) != 0 && ok) {
        fprintf(stderr, "%s: -ca_crlout %s: %s\n", PROG, o->ca_crlout, strerror(errno));
        ok = 0;
    }
    cmp_load_pass_free(secret);
    app_ca_cleanup(&ca);
    return ok ? 0 : 1;
}
