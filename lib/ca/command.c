/*
 * Administration commands of the service (cmpkit/ca.h
 * cmp_ca_service_admin()): one table of commands over the functions of
 * admin.c, for the CLI's -ca_admin.
 */
#include <stdio.h>
#include <string.h>

#include "ca/internal.h"
#include "cmpkit/ca.h"

/* What a command needs besides the database. */
enum { NEEDS_DB = 0, NEEDS_KEY = 1 };

struct command {
    const char *name;
    int needs;
    int (*run)(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now,
               FILE *out, struct cmp_err *err);
};

static int
fmt(const struct cmp_ca_admin_args *a)
{
    return a->json ? CMP_CA_FMT_JSON : CMP_CA_FMT_TEXT;
}

/* "waiting,revoked" -> the status bits; 0 with |err| for an unknown name. */
static int
status_mask(const char *list, unsigned *out, struct cmp_err *err)
{
    char item[32];
    const char *p = list;
    int r;

    *out = 0;
    while ((r = cmp_ca_list_next(&p, item, sizeof(item))) != 0) {
        int st = r > 0 ? cmp_ca_status_parse(item) : 0;

        if (r < 0) {
            snprintf(item, sizeof(item), "(too long)");
        }
        if (st == 0) {
            return CMP_FAIL(err, CMP_E_ARG,
                            "-ca_status: unknown status '%s' (waiting, confirmed, rejected, "
                            "revoked, superseded)",
                            item);
        }
        *out |= CMP_CA_ST_BIT(st);
    }
    return 1;
}

static int
run_list(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now, FILE *out,
         struct cmp_err *err)
{
    struct cmp_ca_cert_filter f;
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t count = 0;

    (void)now;
    memset(&f, 0, sizeof(f));
    if (a->status != NULL && !status_mask(a->status, &f.status_mask, err)) {
        return 0;
    }
    if (a->serial != NULL) {
        if (!cmp_ca_serial_parse(a->serial, serial, &f.serial_len, err)) {
            return CMP_CONTEXT(err, "-ca_serial");
        }
        f.serial = serial;
    }
    f.subject_contains = a->subject;
    return cmp_ca_admin_list(cmp_ca_service_store(svc), &f, fmt(a), out, &count, err);
}

static int
need(const char *value, const char *option, const char *command, struct cmp_err *err)
{
    if (value == NULL || value[0] == '\0') {
        return CMP_FAIL(err, CMP_E_ARG, "-ca_admin %s needs %s", command, option);
    }
    return 1;
}

static int
run_show(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now, FILE *out,
         struct cmp_err *err)
{
    (void)now;
    return need(a->serial, "-ca_serial", "show", err) &&
           cmp_ca_admin_show(cmp_ca_service_store(svc), a->serial, fmt(a), out, err);
}

static int
run_revoke(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now, FILE *out,
           struct cmp_err *err)
{
    char reason[16];
    int r = a->reason < 0 ? 0 : a->reason;
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t serial_len = 0;

    if (!need(a->serial, "-ca_serial", "revoke", err)) {
        return 0;
    }
    snprintf(reason, sizeof(reason), "%d", r);
    if (!cmp_ca_admin_revoke(cmp_ca_service_ca(svc), a->serial, reason, now, fmt(a), out, err)) {
        return 0;
    }
    if (cmp_ca_serial_parse(a->serial, serial, &serial_len, err)) {
        cmp_ca_service_audit_revoked(svc, serial, serial_len, r);
    }
    cmp_ca_service_note_crl(svc, now);
    return 1;
}

static int
run_secret_add(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now,
               FILE *out, struct cmp_err *err)
{
    if (a->expires < 0) {
        return CMP_FAIL(err, CMP_E_ARG, "-ca_expires must not be negative");
    }
    return need(a->ref, "-ref", "secret-add", err) &&
           cmp_ca_admin_secret_add(cmp_ca_service_store(svc), a->ref, a->secret, a->expires,
                                   a->one_time, now, fmt(a), out, err);
}

static int
run_secret_del(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now,
               FILE *out, struct cmp_err *err)
{
    (void)now;
    return need(a->ref, "-ref", "secret-del", err) &&
           cmp_ca_admin_secret_remove(cmp_ca_service_store(svc), a->ref, fmt(a), out, err);
}

static int
run_secret_list(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now,
                FILE *out, struct cmp_err *err)
{
    return cmp_ca_admin_secret_list(cmp_ca_service_store(svc), now, fmt(a), out, err);
}

static int
run_crl(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now, FILE *out,
        struct cmp_err *err)
{
    if (!cmp_ca_admin_crl(cmp_ca_service_ca(svc), now, a->crl_out, 0, fmt(a), out, err)) {
        return 0;
    }
    cmp_ca_service_note_crl(svc, now);
    return 1;
}

static int
run_sweep(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now, FILE *out,
          struct cmp_err *err)
{
    size_t n = 0;

    if (!cmp_ca_service_sweep(svc, now, &n, err)) {
        return 0;
    }
    if (a->json) {
        fprintf(out, "{\"rejected\":%zu}\n", n);
    } else {
        fprintf(out, "rejected %zu certificate%s past their confirmation deadline\n", n,
                n == 1 ? "" : "s");
    }
    return fflush(out) == 0 ? 1 : CMP_FAIL(err, CMP_E_IO, "writing the result");
}

/* SQLite's integrity check over the whole file (store_sqlite.c). */
static int
run_check(struct cmp_ca_service *svc, const struct cmp_ca_admin_args *a, int64_t now, FILE *out,
          struct cmp_err *err)
{
    struct cmp_ca_store *s = cmp_ca_service_store(svc);
    int version = 0;

    (void)now;
    if (!s->ops->schema_version(s, &version, err) || !cmp_ca_store_sqlite_check(s, err)) {
        return CMP_CONTEXT(err, "checking the database");
    }
    if (a->json) {
        fprintf(out, "{\"integrity\":\"ok\",\"schema\":%d}\n", version);
    } else {
        fprintf(out, "integrity ok, schema version %d\n", version);
    }
    return fflush(out) == 0 ? 1 : CMP_FAIL(err, CMP_E_IO, "writing the result");
}

static const struct command commands[] = {
    {"list", NEEDS_DB, run_list},
    {"show", NEEDS_DB, run_show},
    {"revoke", NEEDS_KEY, run_revoke},
    {"secret-add", NEEDS_DB, run_secret_add},
    {"secret-del", NEEDS_DB, run_secret_del},
    {"secret-list", NEEDS_DB, run_secret_list},
    {"crl", NEEDS_KEY, run_crl},
    {"sweep", NEEDS_KEY, run_sweep},
    {"check", NEEDS_DB, run_check},
};

const char *
cmp_ca_admin_commands(void)
{
    return "list, show, revoke, secret-add, secret-del, secret-list, crl, sweep, check";
}

int
cmp_ca_service_admin(struct cmp_ca_service *svc, const char *command,
                     const struct cmp_ca_admin_args *args, int64_t now, FILE *out,
                     struct cmp_err *err)
{
    size_t i;

    if (svc == NULL || command == NULL || args == NULL || out == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "administration: missing argument");
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, command) != 0) {
            continue;
        }
        if (commands[i].needs == NEEDS_KEY && cmp_ca_service_ca(svc) == NULL) {
            return CMP_FAIL(err, CMP_E_ARG, "-ca_admin %s signs: it needs -ca_cert and -ca_key",
                            command);
        }
        return commands[i].run(svc, args, now, out, err);
    }
    return CMP_FAIL(err, CMP_E_ARG, "-ca_admin: unknown command '%.40s' (%s)", command,
                    cmp_ca_admin_commands());
}
