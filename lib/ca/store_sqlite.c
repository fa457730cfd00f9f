/*
 * The CA store in one SQLite file: the only file that includes <sqlite3.h>.
 *
 * libsqlite3 is loaded with dlopen() when the first database is opened, as
 * libcurl and libmicrohttpd are (README, "Dependencies"): the cmpkit binary
 * is mostly a client, and tests/startup_libs.sh keeps what a client process
 * maps at start-up small. The functions used are looked up once into |sq|.
 *
 * Durability: WAL mode with synchronous=FULL, so each COMMIT returns after
 * the WAL is fsync()ed; every change of store.h is one BEGIN IMMEDIATE ..
 * COMMIT. IMMEDIATE takes the write lock at BEGIN, so two writers never
 * both hold a read snapshot and then fail to upgrade it (SQLITE_BUSY that
 * busy_timeout cannot wait out).
 *
 * Threads: one connection for the changes, behind a mutex. SQLite has a
 * single writer per database whatever the number of connections, so more
 * writing connections would add lock hand-offs, not write throughput. What
 * does add throughput is group commit (write_txn()): changes that threads
 * ask for while a transaction is being committed go together into the
 * next one, each in its own SAVEPOINT. bench/ca_floor measures 1, 4 and 16
 * threads. Look-ups (each_cert, each_secret, crl_last) go through a second
 * connection with its own mutex: in WAL mode a reader sees the last
 * committed state and waits for no writer, so a look-up never waits for
 * the fsync of a commit in progress (the CA looks up a secret or a
 * certificate on every request; bench/ca measured the difference).
 *
 * The file is created by open(2) with O_CREAT|O_EXCL and mode 0600 before
 * SQLite sees it (the WAL and shared-memory files that SQLite creates
 * later take the database file's mode); an existing file that the group or
 * others may access is refused, because it holds enrollment secrets
 * (store.h, struct cmp_ca_secret_rec).
 *
 * Portability to PostgreSQL (DESIGN.md): the statements below are standard
 * SQL that PostgreSQL also runs, with these rules:
 * - no INSERT OR REPLACE / INSERT OR IGNORE, no ON CONFLICT, no RETURNING,
 *   no AUTOINCREMENT and no rowid: keys are the data's own (the serial, the
 *   secret reference), and a unique-key violation is the conflict outcome;
 * - integers are INTEGER or BIGINT, times are BIGINT seconds since the
 *   epoch (no date functions), booleans are INTEGER 0/1; the DDL's BLOB is
 *   the one type word a PostgreSQL store writes differently (BYTEA);
 * - no PRAGMA outside connection set-up; the schema version is a table
 *   (cmpkit_schema), not PRAGMA user_version;
 * - LIKE with an explicit ESCAPE (SQLite's LIKE is case-insensitive for
 *   ASCII, PostgreSQL's is not: subject search is documented as such);
 * - parameters are '?' (libpq wants $1..$n: the other store's strings).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "ca/store.h"
#include "der/dl.h"

#define SQLITE_LIBRARY "libsqlite3.so.0"
#define SQLITE_PACKAGE "libsqlite3-0"
#define DEFAULT_BUSY_MS 5000

/* ---- loading libsqlite3 ---- */

static struct {
    int (*open_v2)(const char *, sqlite3 **, int, const char *);
    int (*close_v2)(sqlite3 *);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*step)(sqlite3_stmt *);
    int (*reset)(sqlite3_stmt *);
    int (*clear_bindings)(sqlite3_stmt *);
    int (*finalize)(sqlite3_stmt *);
    int (*bind_blob)(sqlite3_stmt *, int, const void *, int, void (*)(void *));
    int (*bind_int64)(sqlite3_stmt *, int, sqlite3_int64);
    int (*bind_text)(sqlite3_stmt *, int, const char *, int, void (*)(void *));
    int (*bind_null)(sqlite3_stmt *, int);
    const void *(*column_blob)(sqlite3_stmt *, int);
    int (*column_bytes)(sqlite3_stmt *, int);
    sqlite3_int64 (*column_int64)(sqlite3_stmt *, int);
    const unsigned char *(*column_text)(sqlite3_stmt *, int);
    int (*column_type)(sqlite3_stmt *, int);
    const char *(*errmsg)(sqlite3 *);
    int (*extended_errcode)(sqlite3 *);
    int (*changes)(sqlite3 *);
    int (*exec)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
    void (*free)(void *);
    int (*busy_timeout)(sqlite3 *, int);
    int (*threadsafe)(void);
    const char *(*libversion)(void);
} sq;

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;
static int sqlite_ready;
static char sqlite_why[512];

static void
load_sqlite(void)
{
    const struct cmp_dl_sym syms[] = {
        {"sqlite3_open_v2", &sq.open_v2},
        {"sqlite3_close_v2", &sq.close_v2},
        {"sqlite3_prepare_v2", &sq.prepare_v2},
        {"sqlite3_step", &sq.step},
        {"sqlite3_reset", &sq.reset},
        {"sqlite3_clear_bindings", &sq.clear_bindings},
        {"sqlite3_finalize", &sq.finalize},
        {"sqlite3_bind_blob", &sq.bind_blob},
        {"sqlite3_bind_int64", &sq.bind_int64},
        {"sqlite3_bind_text", &sq.bind_text},
        {"sqlite3_bind_null", &sq.bind_null},
        {"sqlite3_column_blob", &sq.column_blob},
        {"sqlite3_column_bytes", &sq.column_bytes},
        {"sqlite3_column_int64", &sq.column_int64},
        {"sqlite3_column_text", &sq.column_text},
        {"sqlite3_column_type", &sq.column_type},
        {"sqlite3_errmsg", &sq.errmsg},
        {"sqlite3_extended_errcode", &sq.extended_errcode},
        {"sqlite3_changes", &sq.changes},
        {"sqlite3_exec", &sq.exec},
        {"sqlite3_free", &sq.free},
        {"sqlite3_busy_timeout", &sq.busy_timeout},
        {"sqlite3_threadsafe", &sq.threadsafe},
        {"sqlite3_libversion", &sq.libversion},
    };
    if (cmp_dl_load(SQLITE_LIBRARY, syms, sizeof(syms) / sizeof(syms[0]), sqlite_why,
                    sizeof(sqlite_why)) == NULL) {
        return;
    }
    /* The connection moves between threads (under our mutex): a library
     * built with SQLITE_THREADSAFE=0 cannot do that. */
    if (sq.threadsafe() == 0) {
        snprintf(sqlite_why, sizeof(sqlite_why), "the library was built without thread support");
        return;
    }
    sqlite_ready = 1;
}

/* ---- schema ---- */

/*
 * The schema, in numbered steps: a database at version n gets steps n+1..
 * in order, each in its own transaction with the version update, so a
 * crash mid-upgrade leaves a database at a whole version. Never edit a
 * step that has shipped; add one.
 */
static const char *const schema_steps[] = {
    /* v1: certificates, enrollment secrets, the CRL counter */
    "CREATE TABLE certs ("
    " serial BLOB NOT NULL PRIMARY KEY,"
    " issuer_der BLOB NOT NULL,"
    " subject_der BLOB NOT NULL,"
    " subject TEXT NOT NULL,"
    " cert_der BLOB NOT NULL,"
    " cert_hash BLOB NOT NULL UNIQUE,"
    " key_hash BLOB NOT NULL,"
    " status INTEGER NOT NULL CHECK (status BETWEEN 1 AND 5),"
    " not_before BIGINT NOT NULL,"
    " not_after BIGINT NOT NULL,"
    " profile TEXT NOT NULL,"
    " requester TEXT NOT NULL,"
    " tid BLOB,"
    " old_serial BLOB REFERENCES certs (serial),"
    " confirm_deadline BIGINT NOT NULL,"
    " rev_reason INTEGER NOT NULL,"
    " rev_time BIGINT NOT NULL,"
    " created BIGINT NOT NULL);"
    "CREATE TABLE secrets ("
    " ref BLOB NOT NULL PRIMARY KEY,"
    " secret BLOB NOT NULL,"
    " expires BIGINT NOT NULL,"
    " one_time INTEGER NOT NULL,"
    " used_at BIGINT NOT NULL,"
    " created BIGINT NOT NULL);"
    "CREATE TABLE crl_state ("
    " id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),"
    " next_number BIGINT NOT NULL,"
    " last_number BIGINT NOT NULL,"
    " last_this_update BIGINT NOT NULL,"
    " last_crl BLOB);"
    "INSERT INTO crl_state (id, next_number, last_number, last_this_update, last_crl)"
    " VALUES (1, 1, 0, 0, NULL);",

    /* v2: indexes for the look-ups of store.h (by subject, by key, the
     * waiting certificates by deadline, kur's old certificate) */
    "CREATE INDEX certs_subject ON certs (subject_der);"
    "CREATE INDEX certs_key ON certs (key_hash);"
    "CREATE INDEX certs_status ON certs (status, confirm_deadline);"
    "CREATE INDEX certs_old ON certs (old_serial);",
};
#define NUM_STEPS ((int)(sizeof(schema_steps) / sizeof(schema_steps[0])))
_Static_assert(NUM_STEPS == CMP_CA_SQLITE_SCHEMA_VERSION, "schema steps and version differ");

/* ---- statements, prepared once per connection ---- */

enum stmt_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_ROLLBACK_TO,
    ST_RELEASE,
    ST_INSERT_CERT,
    ST_USE_SECRET,
    ST_SET_STATUS,
    ST_GET_STATUS,
    ST_SECRET_ADD,
    ST_SECRET_DEL,
    ST_SECRET_ALL,
    ST_SECRET_ONE,
    ST_CRL_NEXT_GET,
    ST_CRL_NEXT_SET,
    ST_CRL_SAVE,
    ST_CRL_LAST,
    ST_VERSION,
    ST_COUNT
};

#define CERT_COLUMNS                                                                               \
    "serial, issuer_der, subject_der, subject, cert_der, cert_hash, key_hash, status,"             \
    " not_before, not_after, profile, requester, tid, old_serial, confirm_deadline,"               \
    " rev_reason, rev_time, created"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT one_change",
    [ST_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT one_change",
    [ST_RELEASE] = "RELEASE SAVEPOINT one_change",
    [ST_INSERT_CERT] = "INSERT INTO certs (" CERT_COLUMNS ")"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_USE_SECRET] = "UPDATE secrets SET used_at = ? WHERE ref = ?"
                      " AND (expires = 0 OR expires > ?) AND (one_time = 0 OR used_at = 0)",
    [ST_SET_STATUS] = "UPDATE certs SET status = ?, rev_reason = ?, rev_time = ?"
                      " WHERE serial = ? AND status IN (?, ?, ?, ?, ?)",
    [ST_GET_STATUS] = "SELECT status FROM certs WHERE serial = ?",
    [ST_SECRET_ADD] = "INSERT INTO secrets (ref, secret, expires, one_time, used_at, created)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
    [ST_SECRET_DEL] = "DELETE FROM secrets WHERE ref = ?",
    [ST_SECRET_ALL] = "SELECT ref, secret, expires, one_time, used_at, created FROM secrets"
                      " ORDER BY created, ref",
    [ST_SECRET_ONE] = "SELECT ref, secret, expires, one_time, used_at, created FROM secrets"
                      " WHERE ref = ?",
    [ST_CRL_NEXT_GET] = "SELECT next_number FROM crl_state WHERE id = 1",
    [ST_CRL_NEXT_SET] = "UPDATE crl_state SET next_number = next_number + 1 WHERE id = 1",
    [ST_CRL_SAVE] = "UPDATE crl_state SET last_number = ?, last_this_update = ?, last_crl = ?"
                    " WHERE id = 1 AND last_number < ?",
    [ST_CRL_LAST] = "SELECT last_number, last_crl FROM crl_state WHERE id = 1",
    [ST_VERSION] = "SELECT version FROM cmpkit_schema",
};

/* The parts of a certificate filter (struct cmp_ca_cert_filter) that are set. */
enum {
    F_STATUS = 1 << 0,
    F_SERIAL = 1 << 1,
    F_ISSUER = 1 << 2,
    F_SUBJECT_DER = 1 << 3,
    F_SUBJECT_LIKE = 1 << 4,
    F_CERT_HASH = 1 << 5,
    F_KEY_HASH = 1 << 6,
    F_DEADLINE = 1 << 7,
    F_LIMIT = 1 << 8,
    F_SHAPES = 1 << 9
};

struct work;

struct sqlite_store {
    struct cmp_ca_store base; /* first: the store.h view */
    pthread_mutex_t lock;     /* one thread at a time on |db| and the statements */
    /* group commit (write_txn()): changes waiting for a transaction */
    pthread_mutex_t queue_lock;
    struct work *head, *tail;
    int leader; /* a thread is running a transaction for the queue */
    uint64_t num_commits, num_changes;
    sqlite3 *db;
    char path[1024];
    sqlite3_stmt *stmt[ST_COUNT];
    /* SELECTs of certificates, one per filter shape (which fields are set) */
    sqlite3_stmt *cert_select[F_SHAPES];
    /* the connection for look-ups (NULL in itself): see the top of the file */
    struct sqlite_store *reader;
};

#define SQ_STATIC ((void (*)(void *))0) /* SQLITE_STATIC: we reset before the data goes */

static int
db_fail(struct sqlite_store *st, struct cmp_err *err, const char *what)
{
    return CMP_FAIL(err, CMP_E_IO, "CA database %s: %s: %s (SQLite code %d)", st->path, what,
                    sq.errmsg(st->db), sq.extended_errcode(st->db));
}

static sqlite3_stmt *
prepare(struct sqlite_store *st, sqlite3_stmt **slot, const char *sql, struct cmp_err *err)
{
    if (*slot == NULL && sq.prepare_v2(st->db, sql, -1, slot, NULL) != SQLITE_OK) {
        *slot = NULL;
        db_fail(st, err, "preparing a statement");
        return NULL;
    }
    return *slot;
}

static sqlite3_stmt *
stmt(struct sqlite_store *st, enum stmt_id id, struct cmp_err *err)
{
    return prepare(st, &st->stmt[id], stmt_sql[id], err);
}

/* done() resets a statement for its next use and drops the borrowed bindings. */
static void
done(sqlite3_stmt *s)
{
    if (s != NULL) {
        (void)sq.reset(s);
        (void)sq.clear_bindings(s);
    }
}

/* run() steps a statement that returns no rows; 1 ok, 0 failed. *out_rc gets the code. */
static int
run(struct sqlite_store *st, sqlite3_stmt *s, int *out_rc, struct cmp_err *err, const char *what)
{
    int rc = sq.step(s);

    if (out_rc != NULL) {
        *out_rc = rc;
    }
    if (rc != SQLITE_DONE) {
        if (out_rc != NULL && (rc & 0xff) == SQLITE_CONSTRAINT) {
            done(s);
            return 1; /* the caller turns it into an outcome */
        }
        db_fail(st, err, what);
        done(s);
        return 0;
    }
    done(s);
    return 1;
}

static int
simple(struct sqlite_store *st, enum stmt_id id, struct cmp_err *err, const char *what)
{
    sqlite3_stmt *s = stmt(st, id, err);

    return s != NULL && run(st, s, NULL, err, what);
}

static int
begin(struct sqlite_store *st, struct cmp_err *err)
{
    return simple(st, ST_BEGIN, err, "BEGIN");
}

static int
commit(struct sqlite_store *st, struct cmp_err *err)
{
    if (!simple(st, ST_COMMIT, err, "COMMIT")) {
        struct cmp_err ignored;

        cmp_err_init(&ignored);
        (void)simple(st, ST_ROLLBACK, &ignored, "ROLLBACK");
        return 0;
    }
    return 1;
}

static void
rollback(struct sqlite_store *st)
{
    struct cmp_err ignored;

    cmp_err_init(&ignored);
    (void)simple(st, ST_ROLLBACK, &ignored, "ROLLBACK");
}

static int
bind_blob(sqlite3_stmt *s, int i, const void *p, size_t len)
{
    if (len > CMP_CA_DER_MAX) {
        return SQLITE_TOOBIG;
    }
    if (p == NULL || len == 0) {
        return sq.bind_null(s, i);
    }
    return sq.bind_blob(s, i, p, (int)len, SQ_STATIC);
}

static int
bind_text(sqlite3_stmt *s, int i, const char *t)
{
    size_t len = t == NULL ? 0 : strlen(t);

    if (len > CMP_CA_TEXT_MAX) {
        return SQLITE_TOOBIG;
    }
    return sq.bind_text(s, i, t == NULL ? "" : t, (int)len, SQ_STATIC);
}

/* ---- connection set-up ---- */

/* pragma_cb() keeps the first column of the first row of a PRAGMA's answer. */
static int
pragma_cb(void *arg, int n, char **values, char **names)
{
    char *out = arg;

    if (n > 0 && values[0] != NULL && out[0] == '\0') {
        snprintf(out, 32, "%s", values[0]);
    }
    return 0;
}

static int
pragma(struct sqlite_store *st, const char *sql, const char *expect, struct cmp_err *err)
{
    char value[32] = "";
    char *msg = NULL;

    if (sq.exec(st->db, sql, pragma_cb, value, &msg) != SQLITE_OK) {
        CMP_FAIL(err, CMP_E_IO, "CA database %s: %s: %s", st->path, sql,
                 msg != NULL ? msg : "failed");
        sq.free(msg);
        return 0;
    }
    if (expect != NULL && strcmp(value, expect) != 0) {
        return CMP_FAIL(err, CMP_E_IO, "CA database %s: %s gave '%s', not '%s'", st->path, sql,
                        value, expect);
    }
    return 1;
}

static int
exec_sql(struct sqlite_store *st, const char *sql, struct cmp_err *err)
{
    char *msg = NULL;

    if (sq.exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        CMP_FAIL(err, CMP_E_IO, "CA database %s: %s", st->path, msg != NULL ? msg : "failed");
        sq.free(msg);
        return 0;
    }
    return 1;
}

static int
read_version(struct sqlite_store *st, int *out, struct cmp_err *err)
{
    sqlite3_stmt *s = stmt(st, ST_VERSION, err);
    int rc;

    if (s == NULL) {
        return 0;
    }
    rc = sq.step(s);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sq.column_int64(s, 0);

        *out = v < 0 || v > 1000000 ? -1 : (int)v;
        done(s);
        return 1;
    }
    if (rc == SQLITE_DONE) {
        *out = 0; /* a new database */
        done(s);
        return 1;
    }
    db_fail(st, err, "reading the schema version");
    done(s);
    return 0;
}

/*
 * upgrade() brings the schema to |target|, one step per transaction. The
 * version is read again inside each transaction: another process may have
 * upgraded the file meanwhile.
 */
static int
upgrade(struct sqlite_store *st, int target, struct cmp_err *err)
{
    char sql[64];
    int version;

    if (!exec_sql(st, "CREATE TABLE IF NOT EXISTS cmpkit_schema (version INTEGER NOT NULL)", err)) {
        return CMP_CONTEXT(err, "creating the schema version table");
    }
    for (;;) {
        if (!begin(st, err)) {
            return 0;
        }
        if (!read_version(st, &version, err)) {
            rollback(st);
            return 0;
        }
        if (version < 0 || version > NUM_STEPS) {
            rollback(st);
            return CMP_FAIL(err, CMP_E_UNSUPPORTED,
                            "CA database %s has schema version %d; this cmpkit knows 1 to %d",
                            st->path, version, NUM_STEPS);
        }
        if (version >= target) {
            rollback(st); /* nothing was written */
            return 1;
        }
        if (version == 0) {
            snprintf(sql, sizeof(sql), "INSERT INTO cmpkit_schema (version) VALUES (1)");
        } else {
            snprintf(sql, sizeof(sql), "UPDATE cmpkit_schema SET version = %d", version + 1);
        }
        if (!exec_sql(st, schema_steps[version], err) || !exec_sql(st, sql, err)) {
            rollback(st);
            return CMP_CONTEXT(err, "upgrading the schema to version %d", version + 1);
        }
        if (!commit(st, err)) {
            return CMP_CONTEXT(err, "upgrading the schema to version %d", version + 1);
        }
    }
}

/*
 * create_or_check() makes a new file 0600, or checks an existing one: a
 * regular file (not a link) that neither the group nor others may access.
 */
static int
create_or_check(const char *path, struct cmp_err *err)
{
    struct stat sb;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd >= 0) {
        (void)close(fd);
        return 1;
    }
    if (errno != EEXIST) {
        return CMP_FAIL(err, CMP_E_IO, "cannot create CA database %s: %s", path, strerror(errno));
    }
    if (lstat(path, &sb) != 0) {
        return CMP_FAIL(err, CMP_E_IO, "CA database %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(sb.st_mode)) {
        return CMP_FAIL(err, CMP_E_IO, "CA database %s is not a regular file%s", path,
                        S_ISLNK(sb.st_mode) ? " (a symbolic link)" : "");
    }
    if ((sb.st_mode & 077) != 0) {
        return CMP_FAIL(err, CMP_E_IO,
                        "CA database %s has mode %04o: it holds enrollment secrets, so the group "
                        "and others must have no access (chmod 600 %s)",
                        path, (unsigned)(sb.st_mode & 07777), path);
    }
    return 1;
}

static void sqlite_close(struct cmp_ca_store *s);
static const struct cmp_ca_store_ops sqlite_ops;

/* open_conn() opens one connection to |path| and brings its schema up to |target|. */
static struct sqlite_store *
open_conn(const char *path, int busy, int target, struct cmp_err *err)
{
    struct sqlite_store *st;

    (void)pthread_once(&sqlite_once, load_sqlite);
    if (!sqlite_ready) {
        CMP_FAIL(err, CMP_E_UNSUPPORTED,
                 "the CA database needs libsqlite3 (%s, Debian package %s), which cannot be "
                 "used: %s",
                 SQLITE_LIBRARY, SQLITE_PACKAGE, sqlite_why);
        return NULL;
    }
    if (strlen(path) >= sizeof(st->path)) {
        CMP_FAIL(err, CMP_E_ARG, "CA database path is too long (%zu bytes)", strlen(path));
        return NULL;
    }
    if (!create_or_check(path, err)) {
        return NULL;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "CA database %s", path);
        return NULL;
    }
    st->base.ops = &sqlite_ops;
    snprintf(st->path, sizeof(st->path), "%s", path);
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        CMP_FAIL(err, CMP_E_MEMORY, "CA database %s: mutex", path);
        return NULL;
    }
    if (pthread_mutex_init(&st->queue_lock, NULL) != 0) {
        (void)pthread_mutex_destroy(&st->lock);
        free(st);
        CMP_FAIL(err, CMP_E_MEMORY, "CA database %s: mutex", path);
        return NULL;
    }
    /* NOMUTEX: our own lock serialises the connection. NOFOLLOW: the link
     * check above must hold for the file SQLite opens. */
    if (sq.open_v2(path, &st->db,
                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                   NULL) != SQLITE_OK) {
        if (st->db != NULL) {
            db_fail(st, err, "opening");
        } else {
            CMP_FAIL(err, CMP_E_MEMORY, "CA database %s: opening", path);
        }
        sqlite_close(&st->base);
        return NULL;
    }
    (void)sq.busy_timeout(st->db, busy);
    if (!pragma(st, "PRAGMA journal_mode=WAL", "wal", err) ||
        !pragma(st, "PRAGMA synchronous=FULL", NULL, err) ||
        !pragma(st, "PRAGMA synchronous", "2", err) ||
        !pragma(st, "PRAGMA foreign_keys=ON", NULL, err) ||
        !pragma(st, "PRAGMA foreign_keys", "1", err) ||
        /* removed secrets are overwritten in the file, not left in free pages */
        !pragma(st, "PRAGMA secure_delete=ON", NULL, err) ||
        !pragma(st, "PRAGMA trusted_schema=OFF", NULL, err) || !upgrade(st, target, err)) {
        sqlite_close(&st->base);
        return NULL;
    }
    return st;
}

struct cmp_ca_store *
cmp_ca_store_sqlite_open(const char *path, const struct cmp_ca_sqlite_opts *opts,
                         struct cmp_err *err)
{
    int busy = opts != NULL && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : DEFAULT_BUSY_MS;
    int target = opts != NULL && opts->max_version > 0 && opts->max_version < NUM_STEPS
                     ? opts->max_version
                     : NUM_STEPS;
    struct sqlite_store *st = open_conn(path, busy, target, err);

    if (st == NULL) {
        return NULL;
    }
    /* the second connection finds the schema up to date */
    st->reader = open_conn(path, busy, target, err);
    if (st->reader == NULL) {
        sqlite_close(&st->base);
        return NULL;
    }
    return &st->base;
}

/* The connection for look-ups. */
static struct sqlite_store *
reader_of(struct sqlite_store *st)
{
    return st->reader != NULL ? st->reader : st;
}

static void
sqlite_close(struct cmp_ca_store *s)
{
    struct sqlite_store *st = (struct sqlite_store *)s;
    int i;

    if (st->reader != NULL) {
        sqlite_close(&st->reader->base);
        st->reader = NULL;
    }
    for (i = 0; i < ST_COUNT; i++) {
        if (st->stmt[i] != NULL) {
            (void)sq.finalize(st->stmt[i]);
        }
    }
    for (i = 0; i < F_SHAPES; i++) {
        if (st->cert_select[i] != NULL) {
            (void)sq.finalize(st->cert_select[i]);
        }
    }
    if (st->db != NULL) {
        (void)sq.close_v2(st->db);
    }
    (void)pthread_mutex_destroy(&st->queue_lock);
    (void)pthread_mutex_destroy(&st->lock);
    free(st);
}

/* Each call of store.h holds the connection's lock throughout. */
static void
lock(struct sqlite_store *st)
{
    (void)pthread_mutex_lock(&st->lock);
}

static int
unlock(struct sqlite_store *st, int ok)
{
    (void)pthread_mutex_unlock(&st->lock);
    return ok;
}

/*
 * Group commit. A durable COMMIT costs an fsync (a few milliseconds on a
 * disk: bench/ca_floor), so one transaction per change would cap the whole
 * CA at the disk's fsync rate. Changes from concurrent threads are
 * therefore queued, and one thread at a time (the leader) runs everything
 * queued so far in one transaction: each change inside a SAVEPOINT, rolled
 * back alone when it fails or is refused, then one COMMIT for all. Every
 * caller still returns only after the COMMIT that holds its change, and
 * each change is still all-or-nothing; a single thread sees one change per
 * transaction as before. SAVEPOINT is standard SQL (PostgreSQL has it).
 */
#define BATCH_MAX 64

typedef int write_fn(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err);

struct work {
    write_fn *fn;
    void *arg;
    int *out_outcome;
    struct cmp_err *err;
    int ok;
    int done;
    pthread_cond_t wake; /* its thread waits here: for its result, or to lead */
    struct work *next;
};

/* fail_all() gives every change of |batch| the error |why|. */
static void
fail_all(struct work *batch, const struct cmp_err *why)
{
    struct work *w;

    for (w = batch; w != NULL; w = w->next) {
        if (w->err != NULL) {
            *w->err = *why;
        }
        w->ok = 0;
    }
}

/* run_batch() runs |batch| in one transaction (the caller holds st->lock). */
static void
run_batch(struct sqlite_store *st, struct work *batch)
{
    struct cmp_err why;
    struct work *w;
    size_t n = 0;

    cmp_err_init(&why);
    if (!begin(st, &why)) {
        fail_all(batch, &why);
        return;
    }
    for (w = batch; w != NULL; w = w->next) {
        struct cmp_err ignored;

        cmp_err_init(&ignored);
        *w->out_outcome = CMP_CA_DONE;
        if (!simple(st, ST_SAVEPOINT, &why, "SAVEPOINT")) {
            rollback(st);
            fail_all(batch, &why);
            return;
        }
        w->ok = w->fn(st, w->arg, w->out_outcome, w->err);
        /* a refused or failed change leaves nothing behind */
        if ((!w->ok || *w->out_outcome != CMP_CA_DONE) &&
            !simple(st, ST_ROLLBACK_TO, &why, "ROLLBACK TO SAVEPOINT")) {
            rollback(st); /* e.g. SQLite rolled back by itself after an I/O error */
            fail_all(batch, &why);
            return;
        }
        if (!simple(st, ST_RELEASE, &why, "RELEASE SAVEPOINT")) {
            rollback(st);
            fail_all(batch, &why);
            return;
        }
        n++;
    }
    if (!commit(st, &why)) {
        fail_all(batch, &why);
        return;
    }
    st->num_commits++;
    st->num_changes += n;
}

/*
 * write_txn() runs |fn| in a committed transaction, with whatever other
 * threads queued meanwhile. Returns what |fn| returned, or 0 when the
 * transaction failed. Each waiting thread sleeps on its own condition
 * variable: the leader wakes those whose changes it committed, and the
 * first of the queue to lead next, not every waiter each time (which cost
 * a context switch per waiter per commit: bench/ca under 16 clients).
 */
static int
write_txn(struct sqlite_store *st, write_fn *fn, void *arg, int *out_outcome, struct cmp_err *err)
{
    struct work w = {fn, arg, out_outcome, err, 0, 0, PTHREAD_COND_INITIALIZER, NULL};

    (void)pthread_mutex_lock(&st->queue_lock);
    if (st->tail != NULL) {
        st->tail->next = &w;
    } else {
        st->head = &w;
    }
    st->tail = &w;
    while (!w.done) {
        struct work *batch, *last, *it, *next;
        size_t n;

        if (st->leader) {
            (void)pthread_cond_wait(&w.wake, &st->queue_lock);
            continue;
        }
        /* lead: take what is queued (up to BATCH_MAX), run it without the queue lock */
        st->leader = 1;
        batch = last = st->head;
        for (n = 1; n < BATCH_MAX && last->next != NULL; n++) {
            last = last->next;
        }
        st->head = last->next;
        if (st->head == NULL) {
            st->tail = NULL;
        }
        last->next = NULL;
        (void)pthread_mutex_unlock(&st->queue_lock);
        lock(st);
        run_batch(st, batch);
        (void)unlock(st, 1);
        (void)pthread_mutex_lock(&st->queue_lock);
        /* |next| first: a finished waiter may return (its work is on its stack) */
        for (it = batch; it != NULL; it = next) {
            next = it->next;
            it->done = 1;
            if (it != &w) {
                (void)pthread_cond_signal(&it->wake);
            }
        }
        st->leader = 0;
        /* the first one queued meanwhile leads the next transaction */
        if (st->head != NULL) {
            (void)pthread_cond_signal(&st->head->wake);
        }
    }
    (void)pthread_mutex_unlock(&st->queue_lock);
    (void)pthread_cond_destroy(&w.wake);
    return w.ok;
}

int
cmp_ca_store_sqlite_check(struct cmp_ca_store *s, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    if (s->ops != &sqlite_ops) {
        return CMP_FAIL(err, CMP_E_ARG, "not an SQLite store");
    }
    lock(st);
    return unlock(st, pragma(st, "PRAGMA integrity_check", "ok", err));
}

int
cmp_ca_store_sqlite_stats(struct cmp_ca_store *s, uint64_t *out_commits, uint64_t *out_changes)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    if (s->ops != &sqlite_ops) {
        return 0;
    }
    lock(st);
    *out_commits = st->num_commits;
    *out_changes = st->num_changes;
    return unlock(st, 1);
}

int
cmp_ca_store_sqlite_exec(struct cmp_ca_store *s, const char *sql, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    if (s->ops != &sqlite_ops) {
        return CMP_FAIL(err, CMP_E_ARG, "not an SQLite store");
    }
    lock(st);
    return unlock(st, exec_sql(st, sql, err));
}

static int
sqlite_schema_version(struct cmp_ca_store *s, int *out, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    lock(st);
    return unlock(st, read_version(st, out, err));
}

/* ---- certificates ---- */

/* The status values of |mask|, as the five parameters of "status IN (...)". */
static int
bind_status_mask(sqlite3_stmt *s, int first, unsigned mask)
{
    int i, n = 0, rc = SQLITE_OK;

    for (i = 1; i <= CMP_CA_ST_MAX && rc == SQLITE_OK; i++) {
        if ((mask & CMP_CA_ST_BIT(i)) != 0) {
            rc = sq.bind_int64(s, first + n++, i);
        }
    }
    while (n < CMP_CA_ST_MAX && rc == SQLITE_OK) {
        rc = sq.bind_int64(s, first + n++, 0); /* matches no status */
    }
    return rc;
}

struct insert_args {
    const struct cmp_ca_cert_rec *rec;
    const struct cmp_ca_secret_use *use;
};

static int
body_insert(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err)
{
    const struct insert_args *a = arg;
    const struct cmp_ca_cert_rec *r = a->rec;
    const struct cmp_ca_secret_use *use = a->use;
    sqlite3_stmt *s;
    int rc = SQLITE_OK, step_rc;

    if (use != NULL) {
        s = stmt(st, ST_USE_SECRET, err);
        if (s == NULL) {
            return 0;
        }
        if (sq.bind_int64(s, 1, use->now) != SQLITE_OK ||
            bind_blob(s, 2, use->ref, use->ref_len) != SQLITE_OK ||
            sq.bind_int64(s, 3, use->now) != SQLITE_OK) {
            done(s);
            return db_fail(st, err, "using an enrollment secret");
        }
        if (!run(st, s, NULL, err, "using an enrollment secret")) {
            return 0;
        }
        if (sq.changes(st->db) == 0) {
            *out_outcome = CMP_CA_SECRET_UNUSABLE;
            return 1;
        }
    }
    s = stmt(st, ST_INSERT_CERT, err);
    if (s == NULL) {
        return 0;
    }
    rc |= bind_blob(s, 1, r->serial, r->serial_len);
    rc |= bind_blob(s, 2, r->issuer_der, r->issuer_der_len);
    rc |= bind_blob(s, 3, r->subject_der, r->subject_der_len);
    rc |= bind_text(s, 4, r->subject);
    rc |= bind_blob(s, 5, r->cert_der, r->cert_der_len);
    rc |= bind_blob(s, 6, r->cert_hash, CMP_CA_HASH_LEN);
    rc |= bind_blob(s, 7, r->key_hash, CMP_CA_HASH_LEN);
    rc |= sq.bind_int64(s, 8, r->status);
    rc |= sq.bind_int64(s, 9, r->not_before);
    rc |= sq.bind_int64(s, 10, r->not_after);
    rc |= bind_text(s, 11, r->profile);
    rc |= bind_text(s, 12, r->requester);
    rc |= bind_blob(s, 13, r->tid, r->tid_len);
    rc |= bind_blob(s, 14, r->old_serial, r->old_serial_len);
    rc |= sq.bind_int64(s, 15, r->confirm_deadline);
    rc |= sq.bind_int64(s, 16, r->rev_reason);
    rc |= sq.bind_int64(s, 17, r->rev_time);
    rc |= sq.bind_int64(s, 18, r->created);
    if (rc != SQLITE_OK) {
        done(s);
        return CMP_FAIL(err, CMP_E_ARG, "CA database %s: a certificate record field is too long",
                        st->path);
    }
    if (!run(st, s, &step_rc, err, "inserting a certificate")) {
        return 0;
    }
    if (step_rc != SQLITE_DONE) {
        int ext = sq.extended_errcode(st->db);

        if (ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE) {
            *out_outcome = CMP_CA_CONFLICT;
            return 1;
        }
        return db_fail(st, err, "inserting a certificate"); /* e.g. FOREIGN KEY */
    }
    return 1;
}

static int
sqlite_insert_cert(struct cmp_ca_store *s, const struct cmp_ca_cert_rec *rec,
                   const struct cmp_ca_secret_use *use, int *out_outcome, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    *out_outcome = CMP_CA_DONE;
    if (rec->serial_len == 0 || rec->serial_len > CMP_CA_SERIAL_MAX ||
        rec->tid_len > CMP_CA_TID_MAX || rec->old_serial_len > CMP_CA_SERIAL_MAX ||
        rec->status < 1 || rec->status > CMP_CA_ST_MAX) {
        return CMP_FAIL(err, CMP_E_ARG, "CA database: a malformed certificate record");
    }
    {
        struct insert_args a = {rec, use};

        return write_txn(st, body_insert, &a, out_outcome, err);
    }
}

/* The SELECT for one filter shape: the WHERE terms of the fields that are set. */
static sqlite3_stmt *
cert_select(struct sqlite_store *st, unsigned shape, struct cmp_err *err)
{
    static const struct {
        unsigned bit;
        const char *term;
    } terms[] = {
        {F_STATUS, "status IN (?, ?, ?, ?, ?)"},
        {F_SERIAL, "serial = ?"},
        {F_ISSUER, "issuer_der = ?"},
        {F_SUBJECT_DER, "subject_der = ?"},
        {F_SUBJECT_LIKE, "subject LIKE ? ESCAPE '\\'"},
        {F_CERT_HASH, "cert_hash = ?"},
        {F_KEY_HASH, "key_hash = ?"},
        {F_DEADLINE, "confirm_deadline > 0 AND confirm_deadline < ?"},
    };
    char sql[1024];
    size_t i, n;
    const char *sep = " WHERE ";

    if (st->cert_select[shape] != NULL) {
        return st->cert_select[shape];
    }
    n = (size_t)snprintf(sql, sizeof(sql), "SELECT " CERT_COLUMNS " FROM certs");
    for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
        if ((shape & terms[i].bit) != 0) {
            n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s", sep, terms[i].term);
            sep = " AND ";
        }
    }
    n += (size_t)snprintf(sql + n, sizeof(sql) - n, " ORDER BY created, serial%s",
                          (shape & F_LIMIT) != 0 ? " LIMIT ?" : "");
    if (n >= sizeof(sql)) {
        CMP_FAIL(err, CMP_E_LIMIT, "certificate query too long");
        return NULL;
    }
    return prepare(st, &st->cert_select[shape], sql, err);
}

/* The LIKE pattern for "contains |text|", with % _ and \ escaped. */
static char *
like_pattern(const char *text)
{
    size_t len = strlen(text), i, n = 0;
    char *p;

    if (len > CMP_CA_TEXT_MAX) {
        return NULL;
    }
    p = malloc(2 * len + 3);
    if (p == NULL) {
        return NULL;
    }
    p[n++] = '%';
    for (i = 0; i < len; i++) {
        if (text[i] == '%' || text[i] == '_' || text[i] == '\\') {
            p[n++] = '\\';
        }
        p[n++] = text[i];
    }
    p[n++] = '%';
    p[n] = '\0';
    return p;
}

/* Copies a BLOB column into a fixed field; fails on a longer value (a damaged file). */
static int
column_fixed(sqlite3_stmt *s, int col, uint8_t *out, size_t cap, size_t *out_len, int exact)
{
    const void *p = sq.column_blob(s, col);
    int n = sq.column_bytes(s, col);

    if (n < 0 || (size_t)n > cap || (exact && (size_t)n != cap)) {
        return 0;
    }
    if (n > 0) {
        memcpy(out, p, (size_t)n);
    }
    if (out_len != NULL) {
        *out_len = (size_t)n;
    }
    return 1;
}

static int
row_to_cert(sqlite3_stmt *s, struct cmp_ca_cert_rec *r)
{
    memset(r, 0, sizeof(*r));
    /* blob before bytes: sqlite3_column_bytes() after _blob() is the blob's length */
    r->issuer_der = sq.column_blob(s, 1);
    r->issuer_der_len = (size_t)sq.column_bytes(s, 1);
    r->subject_der = sq.column_blob(s, 2);
    r->subject_der_len = (size_t)sq.column_bytes(s, 2);
    r->subject = (const char *)sq.column_text(s, 3);
    r->cert_der = sq.column_blob(s, 4);
    r->cert_der_len = (size_t)sq.column_bytes(s, 4);
    r->status = (int)sq.column_int64(s, 7);
    r->not_before = sq.column_int64(s, 8);
    r->not_after = sq.column_int64(s, 9);
    r->profile = (const char *)sq.column_text(s, 10);
    r->requester = (const char *)sq.column_text(s, 11);
    r->confirm_deadline = sq.column_int64(s, 14);
    r->rev_reason = (int)sq.column_int64(s, 15);
    r->rev_time = sq.column_int64(s, 16);
    r->created = sq.column_int64(s, 17);
    return column_fixed(s, 0, r->serial, CMP_CA_SERIAL_MAX, &r->serial_len, 0) &&
           r->serial_len > 0 && column_fixed(s, 5, r->cert_hash, CMP_CA_HASH_LEN, NULL, 1) &&
           column_fixed(s, 6, r->key_hash, CMP_CA_HASH_LEN, NULL, 1) &&
           column_fixed(s, 12, r->tid, CMP_CA_TID_MAX, &r->tid_len, 0) &&
           column_fixed(s, 13, r->old_serial, CMP_CA_SERIAL_MAX, &r->old_serial_len, 0) &&
           r->subject != NULL && r->profile != NULL && r->requester != NULL &&
           r->cert_der_len > 0 && r->status >= 1 && r->status <= CMP_CA_ST_MAX;
}

static int
each_cert_locked(struct sqlite_store *st, const struct cmp_ca_cert_filter *f, cmp_ca_cert_fn *fn,
                 void *arg, struct cmp_err *err)
{
    unsigned shape = 0;
    sqlite3_stmt *s;
    char *like = NULL;
    int i = 1, rc = SQLITE_OK, ok = 1;

    shape |= f->status_mask != 0 ? F_STATUS : 0;
    shape |= f->serial_len != 0 ? F_SERIAL : 0;
    shape |= f->issuer_der_len != 0 ? F_ISSUER : 0;
    shape |= f->subject_der_len != 0 ? F_SUBJECT_DER : 0;
    shape |= f->subject_contains != NULL ? F_SUBJECT_LIKE : 0;
    shape |= f->cert_hash != NULL ? F_CERT_HASH : 0;
    shape |= f->key_hash != NULL ? F_KEY_HASH : 0;
    shape |= f->deadline_before > 0 ? F_DEADLINE : 0;
    shape |= f->limit > 0 ? F_LIMIT : 0;
    s = cert_select(st, shape, err);
    if (s == NULL) {
        return 0;
    }
    if ((shape & F_STATUS) != 0) {
        rc |= bind_status_mask(s, i, f->status_mask);
        i += CMP_CA_ST_MAX;
    }
    if ((shape & F_SERIAL) != 0) {
        rc |= bind_blob(s, i++, f->serial, f->serial_len);
    }
    if ((shape & F_ISSUER) != 0) {
        rc |= bind_blob(s, i++, f->issuer_der, f->issuer_der_len);
    }
    if ((shape & F_SUBJECT_DER) != 0) {
        rc |= bind_blob(s, i++, f->subject_der, f->subject_der_len);
    }
    if ((shape & F_SUBJECT_LIKE) != 0) {
        like = like_pattern(f->subject_contains);
        rc |= like == NULL ? SQLITE_TOOBIG : sq.bind_text(s, i++, like, -1, SQ_STATIC);
    }
    if ((shape & F_CERT_HASH) != 0) {
        rc |= bind_blob(s, i++, f->cert_hash, CMP_CA_HASH_LEN);
    }
    if ((shape & F_KEY_HASH) != 0) {
        rc |= bind_blob(s, i++, f->key_hash, CMP_CA_HASH_LEN);
    }
    if ((shape & F_DEADLINE) != 0) {
        rc |= sq.bind_int64(s, i++, f->deadline_before);
    }
    if ((shape & F_LIMIT) != 0) {
        rc |= sq.bind_int64(s, i++, f->limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)f->limit);
    }
    if (rc != SQLITE_OK) {
        done(s);
        free(like);
        return CMP_FAIL(err, CMP_E_ARG, "CA database %s: a filter value is too long", st->path);
    }
    for (;;) {
        struct cmp_ca_cert_rec rec;

        rc = sq.step(s);
        if (rc == SQLITE_DONE) {
            break;
        }
        if (rc != SQLITE_ROW) {
            ok = db_fail(st, err, "listing certificates");
            break;
        }
        if (!row_to_cert(s, &rec)) {
            ok = CMP_FAIL(err, CMP_E_DECODE, "CA database %s: a malformed certificate row",
                          st->path);
            break;
        }
        if (!fn(arg, &rec)) {
            break;
        }
    }
    done(s);
    free(like);
    return ok;
}

static int
sqlite_each_cert(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f, cmp_ca_cert_fn *fn,
                 void *arg, struct cmp_err *err)
{
    struct sqlite_store *st = reader_of((struct sqlite_store *)s);

    lock(st);
    return unlock(st, each_cert_locked(st, f, fn, arg, err));
}

/* get_status() reads a certificate's status: 0 when there is none. */
static int
get_status(struct sqlite_store *st, const uint8_t *serial, size_t serial_len, int *out,
           struct cmp_err *err)
{
    sqlite3_stmt *s = stmt(st, ST_GET_STATUS, err);
    int rc;

    if (s == NULL) {
        return 0;
    }
    if (bind_blob(s, 1, serial, serial_len) != SQLITE_OK) {
        done(s);
        return db_fail(st, err, "reading a status");
    }
    rc = sq.step(s);
    *out = rc == SQLITE_ROW ? (int)sq.column_int64(s, 0) : 0;
    done(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_fail(st, err, "reading a status");
    }
    return 1;
}

/* set_status() runs the UPDATE; *out_changed is whether a row changed. */
static int
set_status(struct sqlite_store *st, const uint8_t *serial, size_t serial_len, unsigned from_mask,
           int to, int reason, int64_t when, int *out_changed, struct cmp_err *err)
{
    sqlite3_stmt *s = stmt(st, ST_SET_STATUS, err);
    int rc = SQLITE_OK;

    if (s == NULL) {
        return 0;
    }
    rc |= sq.bind_int64(s, 1, to);
    rc |= sq.bind_int64(s, 2, reason);
    rc |= sq.bind_int64(s, 3, when);
    rc |= bind_blob(s, 4, serial, serial_len);
    rc |= bind_status_mask(s, 5, from_mask);
    if (rc != SQLITE_OK || !run(st, s, NULL, err, "changing a status")) {
        done(s);
        return rc != SQLITE_OK ? db_fail(st, err, "changing a status") : 0;
    }
    *out_changed = sq.changes(st->db) > 0;
    return 1;
}

static int
body_change_status(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err)
{
    const struct cmp_ca_status_change *c = ((void **)arg)[0];
    int *out_prev = ((void **)arg)[1];
    int changed, revoking = c->to_status == CMP_CA_ST_REJECTED ||
                            c->to_status == CMP_CA_ST_REVOKED ||
                            c->to_status == CMP_CA_ST_SUPERSEDED;

    if (!get_status(st, c->serial, c->serial_len, out_prev, err)) {
        return 0;
    }
    if (*out_prev == 0) {
        *out_outcome = CMP_CA_NOT_FOUND;
        return 1;
    }
    if (!set_status(st, c->serial, c->serial_len, c->from_mask, c->to_status,
                    revoking ? c->rev_reason : CMP_CA_NO_REASON, revoking ? c->when : 0, &changed,
                    err)) {
        return 0;
    }
    if (!changed) {
        *out_outcome = CMP_CA_WRONG_STATE;
        return 1;
    }
    if (c->old_serial_len > 0 && c->old_to_status != 0 &&
        !set_status(st, c->old_serial, c->old_serial_len, CMP_CA_ST_BIT(CMP_CA_ST_CONFIRMED),
                    c->old_to_status, c->old_reason, c->when, &changed, err)) {
        return 0;
    }
    return 1;
}

static int
sqlite_change_status(struct cmp_ca_store *s, const struct cmp_ca_status_change *c, int *out_outcome,
                     int *out_prev, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    *out_outcome = CMP_CA_DONE;
    *out_prev = 0;
    if (c->serial_len == 0 || c->serial_len > CMP_CA_SERIAL_MAX || c->to_status < 1 ||
        c->to_status > CMP_CA_ST_MAX || c->old_serial_len > CMP_CA_SERIAL_MAX) {
        return CMP_FAIL(err, CMP_E_ARG, "CA database: a malformed status change");
    }
    {
        void *args[2] = {(void *)c, out_prev};

        return write_txn(st, body_change_status, args, out_outcome, err);
    }
}

/* ---- enrollment secrets ---- */

static int
body_secret_add(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err)
{
    const struct cmp_ca_secret_rec *r = arg;
    sqlite3_stmt *s = stmt(st, ST_SECRET_ADD, err);
    int rc = SQLITE_OK, step_rc;

    if (s == NULL) {
        return 0;
    }
    rc |= bind_blob(s, 1, r->ref, r->ref_len);
    rc |= bind_blob(s, 2, r->secret, r->secret_len);
    rc |= sq.bind_int64(s, 3, r->expires);
    rc |= sq.bind_int64(s, 4, r->one_time != 0);
    rc |= sq.bind_int64(s, 5, r->used_at);
    rc |= sq.bind_int64(s, 6, r->created);
    if (rc != SQLITE_OK) {
        done(s);
        return db_fail(st, err, "adding a secret");
    }
    if (!run(st, s, &step_rc, err, "adding a secret")) {
        return 0;
    }
    if (step_rc != SQLITE_DONE) {
        if (sq.extended_errcode(st->db) == SQLITE_CONSTRAINT_PRIMARYKEY) {
            *out_outcome = CMP_CA_CONFLICT;
            return 1;
        }
        return db_fail(st, err, "adding a secret");
    }
    return 1;
}

static int
sqlite_secret_add(struct cmp_ca_store *s, const struct cmp_ca_secret_rec *rec, int *out_outcome,
                  struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    *out_outcome = CMP_CA_DONE;
    if (rec->ref_len == 0 || rec->ref_len > CMP_CA_REF_MAX || rec->secret_len == 0 ||
        rec->secret_len > CMP_CA_SECRET_MAX) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "enrollment secret: the reference must have 1 to %d bytes and the secret "
                        "1 to %d",
                        CMP_CA_REF_MAX, CMP_CA_SECRET_MAX);
    }
    return write_txn(st, body_secret_add, (void *)rec, out_outcome, err);
}

struct ref_args {
    const uint8_t *ref;
    size_t ref_len;
};

static int
body_secret_remove(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err)
{
    const struct ref_args *a = arg;
    sqlite3_stmt *s = stmt(st, ST_SECRET_DEL, err);

    if (s == NULL) {
        return 0;
    }
    if (bind_blob(s, 1, a->ref, a->ref_len) != SQLITE_OK) {
        done(s);
        return db_fail(st, err, "removing a secret");
    }
    if (!run(st, s, NULL, err, "removing a secret")) {
        return 0;
    }
    *out_outcome = sq.changes(st->db) > 0 ? CMP_CA_DONE : CMP_CA_NOT_FOUND;
    return 1;
}

static int
sqlite_secret_remove(struct cmp_ca_store *s, const uint8_t *ref, size_t ref_len, int *out_outcome,
                     struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    *out_outcome = CMP_CA_DONE;
    if (ref_len == 0 || ref_len > CMP_CA_REF_MAX) {
        *out_outcome = CMP_CA_NOT_FOUND;
        return 1;
    }
    {
        struct ref_args a = {ref, ref_len};

        return write_txn(st, body_secret_remove, &a, out_outcome, err);
    }
}

static int
each_secret_locked(struct sqlite_store *st, const uint8_t *ref, size_t ref_len,
                   cmp_ca_secret_fn *fn, void *arg, struct cmp_err *err)
{
    sqlite3_stmt *s = stmt(st, ref != NULL ? ST_SECRET_ONE : ST_SECRET_ALL, err);
    int rc, ok = 1;

    if (s == NULL) {
        return 0;
    }
    if (ref != NULL && bind_blob(s, 1, ref, ref_len) != SQLITE_OK) {
        done(s);
        return db_fail(st, err, "finding a secret");
    }
    for (;;) {
        struct cmp_ca_secret_rec r;

        rc = sq.step(s);
        if (rc == SQLITE_DONE) {
            break;
        }
        if (rc != SQLITE_ROW) {
            ok = db_fail(st, err, "listing secrets");
            break;
        }
        memset(&r, 0, sizeof(r));
        r.ref = sq.column_blob(s, 0);
        r.ref_len = (size_t)sq.column_bytes(s, 0);
        r.secret = sq.column_blob(s, 1);
        r.secret_len = (size_t)sq.column_bytes(s, 1);
        r.expires = sq.column_int64(s, 2);
        r.one_time = sq.column_int64(s, 3) != 0;
        r.used_at = sq.column_int64(s, 4);
        r.created = sq.column_int64(s, 5);
        if (r.ref_len == 0 || r.ref_len > CMP_CA_REF_MAX || r.secret_len == 0 ||
            r.secret_len > CMP_CA_SECRET_MAX) {
            ok = CMP_FAIL(err, CMP_E_DECODE, "CA database %s: a malformed secret row", st->path);
            break;
        }
        if (!fn(arg, &r)) {
            break;
        }
    }
    done(s);
    return ok;
}

static int
sqlite_each_secret(struct cmp_ca_store *s, const uint8_t *ref, size_t ref_len, cmp_ca_secret_fn *fn,
                   void *arg, struct cmp_err *err)
{
    struct sqlite_store *st = reader_of((struct sqlite_store *)s);

    if (ref != NULL && (ref_len == 0 || ref_len > CMP_CA_REF_MAX)) {
        return 1; /* no such secret can exist */
    }
    lock(st);
    return unlock(st, each_secret_locked(st, ref, ref_len, fn, arg, err));
}

/* ---- CRLs ---- */

static int
body_crl_next(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err)
{
    int64_t *out = arg;
    sqlite3_stmt *s = stmt(st, ST_CRL_NEXT_GET, err);
    int rc;

    if (s == NULL) {
        return 0;
    }
    rc = sq.step(s);
    if (rc != SQLITE_ROW) {
        done(s);
        return db_fail(st, err, "reading the CRL number");
    }
    *out = sq.column_int64(s, 0);
    done(s);
    if (*out < 1 || *out == INT64_MAX) {
        return CMP_FAIL(err, CMP_E_DECODE, "CA database %s: CRL number %lld out of range", st->path,
                        (long long)*out);
    }
    return simple(st, ST_CRL_NEXT_SET, err, "counting CRL numbers");
}

static int
sqlite_crl_next_number(struct cmp_ca_store *s, int64_t *out, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;
    int outcome;

    return write_txn(st, body_crl_next, out, &outcome, err);
}

struct crl_args {
    int64_t number, this_update;
    const uint8_t *der;
    size_t der_len;
};

static int
body_crl_save(struct sqlite_store *st, void *arg, int *out_outcome, struct cmp_err *err)
{
    const struct crl_args *a = arg;
    sqlite3_stmt *s = stmt(st, ST_CRL_SAVE, err);
    int rc = SQLITE_OK;

    if (s == NULL) {
        return 0;
    }
    rc |= sq.bind_int64(s, 1, a->number);
    rc |= sq.bind_int64(s, 2, a->this_update);
    rc |= bind_blob(s, 3, a->der, a->der_len);
    rc |= sq.bind_int64(s, 4, a->number);
    if (rc != SQLITE_OK) {
        done(s);
        return db_fail(st, err, "saving the CRL");
    }
    return run(st, s, NULL, err, "saving the CRL");
}

static int
sqlite_crl_save(struct cmp_ca_store *s, int64_t number, int64_t this_update, const uint8_t *der,
                size_t der_len, struct cmp_err *err)
{
    struct sqlite_store *st = (struct sqlite_store *)s;

    if (der_len == 0 || der_len > CMP_CA_DER_MAX) {
        return CMP_FAIL(err, CMP_E_LIMIT, "CRL of %zu bytes not saved", der_len);
    }
    {
        struct crl_args a = {number, this_update, der, der_len};
        int outcome;

        return write_txn(st, body_crl_save, &a, &outcome, err);
    }
}

static int
crl_last_locked(struct sqlite_store *st, uint8_t **out_der, size_t *out_len, int64_t *out_number,
                struct cmp_err *err)
{
    sqlite3_stmt *s = stmt(st, ST_CRL_LAST, err);
    int rc;

    if (s == NULL) {
        return 0;
    }
    rc = sq.step(s);
    if (rc != SQLITE_ROW) {
        done(s);
        return db_fail(st, err, "reading the last CRL");
    }
    *out_number = sq.column_int64(s, 0);
    if (sq.column_type(s, 1) == SQLITE_BLOB) {
        const void *p = sq.column_blob(s, 1);
        int n = sq.column_bytes(s, 1);

        if (n > 0) {
            *out_der = malloc((size_t)n);
            if (*out_der == NULL) {
                done(s);
                return CMP_FAIL(err, CMP_E_MEMORY, "reading the last CRL");
            }
            memcpy(*out_der, p, (size_t)n);
            *out_len = (size_t)n;
        }
    }
    done(s);
    return 1;
}

static int
sqlite_crl_last(struct cmp_ca_store *s, uint8_t **out_der, size_t *out_len, int64_t *out_number,
                struct cmp_err *err)
{
    struct sqlite_store *st = reader_of((struct sqlite_store *)s);

    *out_der = NULL;
    *out_len = 0;
    *out_number = 0;
    lock(st);
    return unlock(st, crl_last_locked(st, out_der, out_len, out_number, err));
}

static const struct cmp_ca_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .schema_version = sqlite_schema_version,
    .insert_cert = sqlite_insert_cert,
    .each_cert = sqlite_each_cert,
    .change_status = sqlite_change_status,
    .secret_add = sqlite_secret_add,
    .secret_remove = sqlite_secret_remove,
    .each_secret = sqlite_each_secret,
    .crl_next_number = sqlite_crl_next_number,
    .crl_save = sqlite_crl_save,
    .crl_last = sqlite_crl_last,
};
