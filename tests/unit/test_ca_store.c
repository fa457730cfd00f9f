/*
 * lib/ca/store_sqlite.c through the store interface (store.h): every
 * operation and its outcomes, atomicity (a refused change leaves nothing
 * behind), reopening, the schema upgrade from v1, the 0600 file mode,
 * damaged rows, and concurrent writers.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "ca_test_util.h"

static char dir[256];
static char path[512];

/* A record with made-up DER (the store does not parse it) and serial byte |id|. */
struct fake {
    struct cmp_ca_cert_rec rec;
    uint8_t der[64];
};

static void
fake_rec(struct fake *f, uint8_t id, const char *subject)
{
    static const uint8_t issuer[] = {0x30, 0x0B, 0x31, 0x09, 0x30, 0x07, 0x06,
                                     0x03, 0x55, 0x04, 0x03, 0x0C, 0x00};
    size_t i;

    memset(f, 0, sizeof(*f));
    for (i = 0; i < sizeof(f->der); i++) {
        f->der[i] = (uint8_t)(id * 7 + i);
    }
    f->rec.serial_len = CMP_CA_SERIAL_MAX;
    memset(f->rec.serial, id, CMP_CA_SERIAL_MAX);
    f->rec.serial[0] = id & 0x7F;
    f->rec.issuer_der = issuer;
    f->rec.issuer_der_len = sizeof(issuer);
    f->rec.subject_der = (const uint8_t *)subject; /* any bytes will do */
    f->rec.subject_der_len = strlen(subject);
    f->rec.subject = subject;
    f->rec.cert_der = f->der;
    f->rec.cert_der_len = sizeof(f->der);
    memset(f->rec.cert_hash, id, CMP_CA_HASH_LEN);
    memset(f->rec.key_hash, id ^ 0x55, CMP_CA_HASH_LEN);
    f->rec.status = CMP_CA_ST_WAITING;
    f->rec.not_before = 1700000000;
    f->rec.not_after = 1700000000 + 86400;
    f->rec.profile = "default";
    f->rec.requester = "kid:4142";
    f->rec.tid_len = 16;
    memset(f->rec.tid, 0xA0 + (id & 0xF), 16);
    f->rec.confirm_deadline = 1700000300;
    f->rec.rev_reason = CMP_CA_NO_REASON;
    f->rec.created = 1700000000 + id;
}

struct counter {
    size_t n;
    struct cmp_ca_cert_rec last;
};

static int
count_cb(void *arg, const struct cmp_ca_cert_rec *rec)
{
    struct counter *c = arg;

    c->n++;
    c->last = *rec; /* only the fixed fields are looked at afterwards */
    return 1;
}

static size_t
count(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f)
{
    struct counter c = {0};
    struct cmp_err err;

    cmp_err_init(&err);
    if (!s->ops->each_cert(s, f, count_cb, &c, &err)) {
        fprintf(stderr, "each_cert: %s\n", err.msg);
        return (size_t)-1;
    }
    return c.n;
}

static size_t
count_all(struct cmp_ca_store *s)
{
    struct cmp_ca_cert_filter f;

    memset(&f, 0, sizeof(f));
    return count(s, &f);
}

static struct cmp_ca_store *
open_store(const char *p, int max_version, struct cmp_err *err)
{
    struct cmp_ca_sqlite_opts o = {0, max_version};

    cmp_err_init(err);
    return cmp_ca_store_sqlite_open(p, &o, err);
}

static void
test_open_and_mode(void)
{
    struct cmp_err err;
    struct cmp_ca_store *s = open_store(path, 0, &err);
    struct stat sb;
    char wal[600], link[600];
    int v = 0;

    CHECK(s != NULL);
    if (s == NULL) {
        fprintf(stderr, "open: %s\n", err.msg);
        return;
    }
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(s->ops->schema_version(s, &v, &err) && v == CMP_CA_SQLITE_SCHEMA_VERSION);
    /* the WAL exists once the database is open in WAL mode, with the file's mode */
    snprintf(wal, sizeof(wal), "%s-wal", path);
    CHECK(stat(wal, &sb) == 0 && (sb.st_mode & 077) == 0);
    cmp_ca_store_close(s);

    /* group- or world-readable: refused, naming the mode */
    CHECK(chmod(path, 0644) == 0);
    s = open_store(path, 0, &err);
    CHECK(s == NULL && strstr(err.msg, "mode 0644") != NULL);
    cmp_ca_store_close(s);
    CHECK(chmod(path, 0600) == 0);

    /* a symbolic link is refused */
    snprintf(link, sizeof(link), "%s/link.db", dir);
    CHECK(symlink(path, link) == 0);
    s = open_store(link, 0, &err);
    CHECK(s == NULL && strstr(err.msg, "symbolic link") != NULL);
    cmp_ca_store_close(s);
    (void)unlink(link);

    /* a file that is not a database */
    {
        char junk[600];
        FILE *f;

        snprintf(junk, sizeof(junk), "%s/junk.db", dir);
        f = fopen(junk, "w");
        CHECK(f != NULL && fputs("this is not an SQLite database, not at all", f) >= 0);
        if (f != NULL) {
            fclose(f);
        }
        CHECK(chmod(junk, 0600) == 0);
        s = open_store(junk, 0, &err);
        CHECK(s == NULL && err.code == CMP_E_IO);
        cmp_ca_store_close(s);
    }
}

static void
test_certs(struct cmp_ca_store *s)
{
    struct fake a, b, c;
    struct cmp_ca_cert_filter f;
    struct cmp_ca_cert_rec *got = NULL;
    struct cmp_err err;
    int outcome = -1, prev = -1;

    cmp_err_init(&err);
    fake_rec(&a, 1, "CN=alpha 100%_done,O=Lab");
    fake_rec(&b, 2, "CN=beta,O=Lab");
    fake_rec(&c, 3, "CN=gamma,O=Other");
    CHECK(s->ops->insert_cert(s, &a.rec, NULL, &outcome, &err) && outcome == CMP_CA_DONE);
    CHECK(s->ops->insert_cert(s, &b.rec, NULL, &outcome, &err) && outcome == CMP_CA_DONE);
    /* the same serial again: a conflict outcome, not an error, and nothing changes */
    c.rec.serial_len = a.rec.serial_len;
    memcpy(c.rec.serial, a.rec.serial, CMP_CA_SERIAL_MAX);
    CHECK(s->ops->insert_cert(s, &c.rec, NULL, &outcome, &err) && outcome == CMP_CA_CONFLICT);
    CHECK(count_all(s) == 2);
    fake_rec(&c, 3, "CN=gamma,O=Other");
    CHECK(s->ops->insert_cert(s, &c.rec, NULL, &outcome, &err) && outcome == CMP_CA_DONE);

    /* look-ups by each key */
    memset(&f, 0, sizeof(f));
    f.serial = b.rec.serial;
    f.serial_len = b.rec.serial_len;
    CHECK(cmp_ca_store_get_cert(s, &f, &got, &err) && got != NULL);
    if (got != NULL) {
        CHECK(strcmp(got->subject, "CN=beta,O=Lab") == 0);
        CHECK_MEM("cert", got->cert_der, got->cert_der_len, b.der, sizeof(b.der));
        CHECK_MEM("tid", got->tid, got->tid_len, b.rec.tid, b.rec.tid_len);
        CHECK(got->status == CMP_CA_ST_WAITING && got->not_after == b.rec.not_after &&
              got->confirm_deadline == b.rec.confirm_deadline &&
              got->rev_reason == CMP_CA_NO_REASON && got->old_serial_len == 0);
        CHECK(strcmp(got->profile, "default") == 0 && strcmp(got->requester, "kid:4142") == 0);
    }
    cmp_ca_cert_rec_free(got);
    f.issuer_der = a.rec.issuer_der;
    f.issuer_der_len = a.rec.issuer_der_len;
    CHECK(count(s, &f) == 1);
    f.issuer_der = (const uint8_t *)"other";
    f.issuer_der_len = 5;
    CHECK(count(s, &f) == 0);
    memset(&f, 0, sizeof(f));
    f.cert_hash = c.rec.cert_hash;
    CHECK(count(s, &f) == 1);
    memset(&f, 0, sizeof(f));
    f.key_hash = a.rec.key_hash;
    CHECK(count(s, &f) == 1);
    memset(&f, 0, sizeof(f));
    f.subject_der = c.rec.subject_der;
    f.subject_der_len = c.rec.subject_der_len;
    CHECK(count(s, &f) == 1);
    memset(&f, 0, sizeof(f));
    f.subject_contains = "O=Lab";
    CHECK(count(s, &f) == 2);
    f.subject_contains = "100%_"; /* LIKE wildcards are taken literally */
    CHECK(count(s, &f) == 1);
    f.subject_contains = "1%0";
    CHECK(count(s, &f) == 0);
    f.subject_contains = "_eta";
    CHECK(count(s, &f) == 0);
    memset(&f, 0, sizeof(f));
    f.limit = 2;
    CHECK(count(s, &f) == 2);
    f.limit = 0;
    f.deadline_before = a.rec.confirm_deadline + 1;
    CHECK(count(s, &f) == 3);
    f.deadline_before = a.rec.confirm_deadline;
    CHECK(count(s, &f) == 0);

    /* status changes and their outcomes */
    {
        struct cmp_ca_status_change chg;

        memset(&chg, 0, sizeof(chg));
        chg.serial = a.rec.serial;
        chg.serial_len = a.rec.serial_len;
        chg.from_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
        chg.to_status = CMP_CA_ST_CONFIRMED;
        chg.rev_reason = CMP_CA_NO_REASON;
        CHECK(s->ops->change_status(s, &chg, &outcome, &prev, &err) && outcome == CMP_CA_DONE &&
              prev == CMP_CA_ST_WAITING);
        CHECK(s->ops->change_status(s, &chg, &outcome, &prev, &err) &&
              outcome == CMP_CA_WRONG_STATE && prev == CMP_CA_ST_CONFIRMED);
        chg.serial = (const uint8_t *)"\x01\x02";
        chg.serial_len = 2;
        CHECK(s->ops->change_status(s, &chg, &outcome, &prev, &err) &&
              outcome == CMP_CA_NOT_FOUND && prev == 0);

        /* revoke b with a reason and a time */
        chg.serial = b.rec.serial;
        chg.serial_len = b.rec.serial_len;
        chg.from_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING) | CMP_CA_ST_BIT(CMP_CA_ST_CONFIRMED);
        chg.to_status = CMP_CA_ST_REVOKED;
        chg.rev_reason = 1;
        chg.when = 1700001234;
        CHECK(s->ops->change_status(s, &chg, &outcome, &prev, &err) && outcome == CMP_CA_DONE);
        memset(&f, 0, sizeof(f));
        f.serial = b.rec.serial;
        f.serial_len = b.rec.serial_len;
        CHECK(cmp_ca_store_get_cert(s, &f, &got, &err) && got != NULL && got->rev_reason == 1 &&
              got->rev_time == 1700001234 && got->status == CMP_CA_ST_REVOKED);
        cmp_ca_cert_rec_free(got);

        /* kur: d replaces a; confirming d supersedes a in the same transaction */
        {
            struct fake d;

            fake_rec(&d, 4, "CN=alpha 100%_done,O=Lab");
            memcpy(d.rec.old_serial, a.rec.serial, CMP_CA_SERIAL_MAX);
            d.rec.old_serial_len = CMP_CA_SERIAL_MAX;
            CHECK(s->ops->insert_cert(s, &d.rec, NULL, &outcome, &err) && outcome == CMP_CA_DONE);
            memset(&chg, 0, sizeof(chg));
            chg.serial = d.rec.serial;
            chg.serial_len = d.rec.serial_len;
            chg.from_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
            chg.to_status = CMP_CA_ST_CONFIRMED;
            chg.rev_reason = CMP_CA_NO_REASON;
            chg.when = 1700002000;
            chg.old_serial = a.rec.serial;
            chg.old_serial_len = a.rec.serial_len;
            chg.old_to_status = CMP_CA_ST_SUPERSEDED;
            chg.old_reason = 4;
            CHECK(s->ops->change_status(s, &chg, &outcome, &prev, &err) && outcome == CMP_CA_DONE);
            memset(&f, 0, sizeof(f));
            f.serial = a.rec.serial;
            f.serial_len = a.rec.serial_len;
            CHECK(cmp_ca_store_get_cert(s, &f, &got, &err) && got != NULL &&
                  got->status == CMP_CA_ST_SUPERSEDED && got->rev_reason == 4 &&
                  got->rev_time == 1700002000);
            cmp_ca_cert_rec_free(got);

            /* a kur of a certificate that does not exist: the foreign key refuses it */
            fake_rec(&d, 5, "CN=orphan");
            memset(d.rec.old_serial, 0x33, CMP_CA_SERIAL_MAX);
            d.rec.old_serial_len = CMP_CA_SERIAL_MAX;
            cmp_err_init(&err);
            CHECK(!s->ops->insert_cert(s, &d.rec, NULL, &outcome, &err) &&
                  strstr(err.msg, "FOREIGN KEY") != NULL);
            cmp_err_init(&err);
        }
    }
    memset(&f, 0, sizeof(f));
    f.status_mask = CMP_CA_ST_ON_CRL;
    CHECK(count(s, &f) == 2);
    f.status_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
    CHECK(count(s, &f) == 1);
    CHECK(count_all(s) == 4);
}

static void
test_secrets(struct cmp_ca_store *s)
{
    struct cmp_ca_secret_rec r;
    struct cmp_ca_secret_rec *got = NULL;
    struct cmp_ca_secret_use use;
    struct fake x, y;
    struct cmp_err err;
    int outcome = -1;
    size_t before;

    cmp_err_init(&err);
    memset(&r, 0, sizeof(r));
    r.ref = (const uint8_t *)"device-17";
    r.ref_len = 9;
    r.secret = (const uint8_t *)"s3cret";
    r.secret_len = 6;
    r.expires = 1800000000;
    r.one_time = 1;
    r.created = 1700000000;
    CHECK(s->ops->secret_add(s, &r, &outcome, &err) && outcome == CMP_CA_DONE);
    CHECK(s->ops->secret_add(s, &r, &outcome, &err) && outcome == CMP_CA_CONFLICT);
    CHECK(cmp_ca_store_get_secret(s, r.ref, r.ref_len, &got, &err) && got != NULL);
    if (got != NULL) {
        CHECK_MEM("secret", got->secret, got->secret_len, r.secret, r.secret_len);
        CHECK(got->one_time && got->used_at == 0 && got->expires == 1800000000);
    }
    cmp_ca_secret_rec_free(got);
    CHECK(cmp_ca_store_get_secret(s, (const uint8_t *)"nobody", 6, &got, &err) && got == NULL);

    /* an issuance that loses its serial to a conflict does not spend the secret */
    before = count_all(s);
    fake_rec(&x, 1, "CN=dup"); /* serial of 'a', taken */
    use.ref = r.ref;
    use.ref_len = r.ref_len;
    use.now = 1700000500;
    CHECK(s->ops->insert_cert(s, &x.rec, &use, &outcome, &err) && outcome == CMP_CA_CONFLICT);
    CHECK(cmp_ca_store_get_secret(s, r.ref, r.ref_len, &got, &err) && got != NULL &&
          got->used_at == 0);
    cmp_ca_secret_rec_free(got);

    /* the one use */
    fake_rec(&x, 10, "CN=first use");
    CHECK(s->ops->insert_cert(s, &x.rec, &use, &outcome, &err) && outcome == CMP_CA_DONE);
    CHECK(cmp_ca_store_get_secret(s, r.ref, r.ref_len, &got, &err) && got != NULL &&
          got->used_at == 1700000500);
    cmp_ca_secret_rec_free(got);
    /* a second use: refused, and the certificate is not recorded */
    fake_rec(&y, 11, "CN=second use");
    CHECK(s->ops->insert_cert(s, &y.rec, &use, &outcome, &err) &&
          outcome == CMP_CA_SECRET_UNUSABLE);
    CHECK(count_all(s) == before + 1);

    /* expired, and reusable secrets */
    r.ref = (const uint8_t *)"old";
    r.ref_len = 3;
    r.expires = 1600000000;
    r.one_time = 0;
    CHECK(s->ops->secret_add(s, &r, &outcome, &err) && outcome == CMP_CA_DONE);
    use.ref = r.ref;
    use.ref_len = r.ref_len;
    CHECK(s->ops->insert_cert(s, &y.rec, &use, &outcome, &err) &&
          outcome == CMP_CA_SECRET_UNUSABLE);
    r.ref = (const uint8_t *)"many";
    r.ref_len = 4;
    r.expires = 0;
    CHECK(s->ops->secret_add(s, &r, &outcome, &err) && outcome == CMP_CA_DONE);
    use.ref = r.ref;
    use.ref_len = r.ref_len;
    CHECK(s->ops->insert_cert(s, &y.rec, &use, &outcome, &err) && outcome == CMP_CA_DONE);
    fake_rec(&y, 12, "CN=third");
    CHECK(s->ops->insert_cert(s, &y.rec, &use, &outcome, &err) && outcome == CMP_CA_DONE);

    /* removal */
    CHECK(s->ops->secret_remove(s, (const uint8_t *)"old", 3, &outcome, &err) &&
          outcome == CMP_CA_DONE);
    CHECK(s->ops->secret_remove(s, (const uint8_t *)"old", 3, &outcome, &err) &&
          outcome == CMP_CA_NOT_FOUND);
    /* bounds */
    r.ref_len = 0;
    CHECK(!s->ops->secret_add(s, &r, &outcome, &err) && err.code == CMP_E_ARG);
}

static void
test_crl_state(struct cmp_ca_store *s)
{
    struct cmp_err err;
    int64_t n1 = 0, n2 = 0, last = 0;
    uint8_t *der = NULL;
    size_t len = 0;

    cmp_err_init(&err);
    CHECK(s->ops->crl_last(s, &der, &len, &last, &err) && der == NULL && last == 0);
    CHECK(s->ops->crl_next_number(s, &n1, &err) && n1 == 1);
    CHECK(s->ops->crl_next_number(s, &n2, &err) && n2 == 2);
    CHECK(s->ops->crl_save(s, n2, 1700000000, (const uint8_t *)"crl-two", 7, &err));
    /* an older CRL saved late does not replace the newer one */
    CHECK(s->ops->crl_save(s, n1, 1700000000, (const uint8_t *)"crl-one", 7, &err));
    CHECK(s->ops->crl_last(s, &der, &len, &last, &err) && last == 2);
    CHECK_MEM("last crl", der, len, (const uint8_t *)"crl-two", 7);
    free(der);
}

static void
test_reopen(void)
{
    struct cmp_err err;
    struct cmp_ca_store *s = open_store(path, 0, &err);
    int64_t n = 0;

    CHECK(s != NULL);
    if (s == NULL) {
        return;
    }
    CHECK(count_all(s) == 7);
    CHECK(s->ops->crl_next_number(s, &n, &err) && n == 3);

    /* a damaged row is reported, not trusted (fixed-size fields are checked) */
    CHECK(cmp_ca_store_sqlite_exec(s,
                                   "UPDATE certs SET cert_hash = x'00' WHERE subject = "
                                   "'CN=third'",
                                   &err));
    cmp_err_init(&err);
    {
        struct cmp_ca_cert_filter f;
        struct counter c = {0};

        memset(&f, 0, sizeof(f));
        CHECK(!s->ops->each_cert(s, &f, count_cb, &c, &err) && err.code == CMP_E_DECODE);
    }
    CHECK(cmp_ca_store_sqlite_exec(s, "DELETE FROM certs WHERE subject = 'CN=third'", &err));
    cmp_ca_store_close(s);
}

static void
test_upgrade(void)
{
    char p1[600];
    struct cmp_err err;
    struct cmp_ca_store *s;
    struct fake a;
    int v = 0, outcome;

    snprintf(p1, sizeof(p1), "%s/v1.db", dir);
    s = open_store(p1, 1, &err);
    CHECK(s != NULL);
    if (s == NULL) {
        return;
    }
    CHECK(s->ops->schema_version(s, &v, &err) && v == 1);
    fake_rec(&a, 9, "CN=from v1");
    CHECK(s->ops->insert_cert(s, &a.rec, NULL, &outcome, &err) && outcome == CMP_CA_DONE);
    /* v1 has no index certs_subject (v2 adds it) */
    CHECK(!cmp_ca_store_sqlite_exec(s, "DROP INDEX certs_subject", &err));
    cmp_ca_store_close(s);

    s = open_store(p1, 0, &err);
    CHECK(s != NULL);
    if (s == NULL) {
        return;
    }
    CHECK(s->ops->schema_version(s, &v, &err) && v == 2);
    CHECK(count_all(s) == 1);
    cmp_err_init(&err);
    CHECK(cmp_ca_store_sqlite_exec(s, "DROP INDEX certs_subject", &err));
    /* a database from a newer cmpkit is refused */
    CHECK(cmp_ca_store_sqlite_exec(s, "UPDATE cmpkit_schema SET version = 99", &err));
    cmp_ca_store_close(s);
    s = open_store(p1, 0, &err);
    CHECK(s == NULL && strstr(err.msg, "schema version 99") != NULL);
    cmp_ca_store_close(s);
}

/* ---- concurrent writers ---- */

#define THREADS 4
#define PER_THREAD 40

struct worker {
    struct cmp_ca_store *s;
    int id;
    int failures;
    int shared_won; /* inserts of the one shared serial that succeeded */
};

/*
 * Each thread inserts its own records, and in between the one serial all
 * threads try (one may win, the others get CONFLICT) and a record whose
 * kur reference breaks the foreign key (an error). With group commit these
 * land in the same transactions as other threads' good records, which must
 * not suffer for them.
 */
static void *
writer(void *arg)
{
    struct worker *w = arg;
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        struct fake f;
        struct cmp_err err;
        int outcome;

        cmp_err_init(&err);
        fake_rec(&f, 0, "CN=thread");
        f.rec.serial[0] = 0x40;
        f.rec.serial[1] = (uint8_t)w->id;
        f.rec.serial[2] = (uint8_t)i;
        f.rec.cert_hash[0] = (uint8_t)w->id;
        f.rec.cert_hash[1] = (uint8_t)i;
        if (!w->s->ops->insert_cert(w->s, &f.rec, NULL, &outcome, &err) || outcome != CMP_CA_DONE) {
            w->failures++;
        }
        if (i % 4 == 0) {
            fake_rec(&f, 0, "CN=shared");
            f.rec.serial[0] = 0x41;
            f.rec.cert_hash[0] = 0xEE;
            if (!w->s->ops->insert_cert(w->s, &f.rec, NULL, &outcome, &err)) {
                w->failures++;
            } else if (outcome == CMP_CA_DONE) {
                w->shared_won++;
            } else if (outcome != CMP_CA_CONFLICT) {
                w->failures++;
            }
        }
        if (i % 5 == 0) {
            fake_rec(&f, 0, "CN=orphan");
            f.rec.serial[0] = 0x42;
            f.rec.serial[1] = (uint8_t)w->id;
            f.rec.serial[2] = (uint8_t)i;
            f.rec.cert_hash[0] = 0xDD;
            f.rec.cert_hash[1] = (uint8_t)w->id;
            f.rec.cert_hash[2] = (uint8_t)i;
            memset(f.rec.old_serial, 0x33, CMP_CA_SERIAL_MAX);
            f.rec.old_serial_len = CMP_CA_SERIAL_MAX;
            cmp_err_init(&err);
            if (w->s->ops->insert_cert(w->s, &f.rec, NULL, &outcome, &err) ||
                strstr(err.msg, "FOREIGN KEY") == NULL) {
                w->failures++;
            }
        }
    }
    return NULL;
}

static void
test_threads(void)
{
    char p[600];
    struct cmp_err err;
    struct cmp_ca_store *s;
    pthread_t t[THREADS];
    struct worker w[THREADS];
    int i, failures = 0, won = 0;
    uint64_t commits = 0, changes = 0;

    snprintf(p, sizeof(p), "%s/threads.db", dir);
    s = open_store(p, 0, &err);
    CHECK(s != NULL);
    if (s == NULL) {
        return;
    }
    for (i = 0; i < THREADS; i++) {
        w[i].s = s;
        w[i].id = i;
        w[i].failures = 0;
        w[i].shared_won = 0;
        CHECK(pthread_create(&t[i], NULL, writer, &w[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        failures += w[i].failures;
        won += w[i].shared_won;
    }
    CHECK(failures == 0);
    CHECK(won == 1);
    CHECK(count_all(s) == THREADS * PER_THREAD + 1);
    /* every successful change was committed; refused ones count as changes too */
    CHECK(cmp_ca_store_sqlite_stats(s, &commits, &changes) && commits > 0 && changes >= commits);
    printf("threads: %llu changes in %llu commits\n", (unsigned long long)changes,
           (unsigned long long)commits);
    cmp_ca_store_close(s);
}

/* ---- durability against kill -9 ---- */

#define KILL_ROUNDS 8
#define KILL_THREADS 4

struct killer_child {
    struct cmp_ca_store *s;
    int fd; /* where each committed serial is reported */
    int round, id;
};

/* Inserts until killed; reports each serial after the call that stored it returned. */
static void *
kill_writer(void *arg)
{
    struct killer_child *k = arg;
    uint32_t i;

    for (i = 0;; i++) {
        struct fake f;
        struct cmp_err err;
        int outcome;
        uint8_t report[4] = {(uint8_t)k->round, (uint8_t)k->id, (uint8_t)(i >> 8), (uint8_t)i};

        cmp_err_init(&err);
        fake_rec(&f, 0, "CN=kill");
        f.rec.serial[0] = 0x50;
        memcpy(f.rec.serial + 1, report, sizeof(report));
        memcpy(f.rec.cert_hash, f.rec.serial, 5);
        if (!k->s->ops->insert_cert(k->s, &f.rec, NULL, &outcome, &err) || outcome != CMP_CA_DONE ||
            write(k->fd, report, sizeof(report)) != sizeof(report)) {
            _exit(3);
        }
    }
    return NULL;
}

/*
 * A child process inserts from several threads and is killed with SIGKILL
 * at a moment that differs each round; every insert it saw return must be
 * in the database afterwards, and the file must pass the integrity check.
 * (A process kill, not a power cut: what the OS has been handed by fsync
 * survives either way, but only a kill can be tested here.)
 */
static void
test_kill(void)
{
    char p[600];
    int round, missing = 0, reported = 0;

    snprintf(p, sizeof(p), "%s/kill.db", dir);
    for (round = 0; round < KILL_ROUNDS; round++) {
        int fds[2], status = 0;
        pid_t pid;
        uint8_t report[4];
        struct cmp_err err;
        struct cmp_ca_store *s;

        if (!CHECK(pipe(fds) == 0)) {
            return;
        }
        pid = fork();
        if (pid == 0) {
            struct killer_child k[KILL_THREADS];
            pthread_t t[KILL_THREADS];
            int i;

            close(fds[0]);
            s = open_store(p, 0, &err);
            if (s == NULL) {
                _exit(2);
            }
            for (i = 0; i < KILL_THREADS; i++) {
                k[i].s = s;
                k[i].fd = fds[1];
                k[i].round = round;
                k[i].id = i;
                if (pthread_create(&t[i], NULL, kill_writer, &k[i]) != 0) {
                    _exit(2);
                }
            }
            for (;;) {
                pause();
            }
        }
        close(fds[1]);
        CHECK(pid > 0);
        /* 15..120 ms in: while records are being written */
        {
            struct timespec ts = {0, (15 + (round * 37 % 8) * 15) * 1000000L};

            nanosleep(&ts, NULL);
        }
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        }
        s = open_store(p, 0, &err);
        CHECK(s != NULL);
        while (s != NULL && read(fds[0], report, sizeof(report)) == sizeof(report)) {
            struct fake f;
            struct cmp_ca_cert_filter flt;

            fake_rec(&f, 0, "CN=kill");
            f.rec.serial[0] = 0x50;
            memcpy(f.rec.serial + 1, report, sizeof(report));
            memset(&flt, 0, sizeof(flt));
            flt.serial = f.rec.serial;
            flt.serial_len = CMP_CA_SERIAL_MAX;
            missing += count(s, &flt) != 1;
            reported++;
        }
        close(fds[0]);
        if (s != NULL) {
            cmp_err_init(&err);
            CHECK(cmp_ca_store_sqlite_check(s, &err));
        }
        cmp_ca_store_close(s);
    }
    CHECK(reported > 0);
    CHECK(missing == 0);
    printf("kill -9: %d rounds, %d inserts reported, %d missing\n", KILL_ROUNDS, reported, missing);
}

int
main(void)
{
    struct cmp_err err;
    struct cmp_ca_store *s;

    if (ct_tmpdir(dir, sizeof(dir)) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof(path), "%s/ca.db", dir);
    test_open_and_mode();
    s = open_store(path, 0, &err);
    CHECK(s != NULL);
    if (s != NULL) {
        test_certs(s);
        test_secrets(s);
        test_crl_state(s);
        cmp_ca_store_close(s);
        test_reopen();
    }
    test_upgrade();
    test_threads();
    test_kill();
    ct_rmdir(dir);
    return check_finish();
}
