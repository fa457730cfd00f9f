/*
 * bench/ca_floor: the floor under the CA's throughput on this machine (issue
 * 12's bench/ca compares against it):
 *
 *   - durable writes per second of the SQLite store, one issuance record
 *     per change (WAL, synchronous=FULL): from 1 thread, one commit each
 *     (the disk's durable commit rate), and from 4 and 16 threads, whose
 *     changes the store groups into shared commits;
 *   - the CA's own signing of a certificate (X509_sign) and verifying
 *     (X509_verify) per second, with P-256, RSA-2048 and Ed25519 CA keys;
 *   - whole issuances per second (profile check, certificate built and
 *     signed, record committed) for P-256 and RSA-2048 requested keys, and
 *     for P-256 from 16 threads at once.
 *
 * Usage: ca_floor [DIR [SECONDS]]. The database goes into a fresh
 * directory under DIR (default: the current directory, so that the disk
 * measured is the one the CA would use) and is removed afterwards.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "ca/ca.h"

static double seconds = 2.0;

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static EVP_PKEY *
keygen(const char *what)
{
    if (strcmp(what, "RSA-2048") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    }
    if (strcmp(what, "P-256") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    }
    return EVP_PKEY_Q_keygen(NULL, NULL, what);
}

static const EVP_MD *
md_for(EVP_PKEY *k)
{
    int id = EVP_PKEY_get_base_id(k);

    return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

/* A self-signed CA certificate with the extensions cmp_ca_issue() needs. */
static X509 *
make_ca(EVP_PKEY *key)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_NAME_new();
    X509V3_CTX ctx;
    X509_EXTENSION *e;
    int ok = x != NULL && n != NULL &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"bench CA",
                                        -1, -1, 0) == 1 &&
             X509_set_version(x, X509_VERSION_3) == 1 &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
             X509_set_issuer_name(x, n) == 1 && X509_set_subject_name(x, n) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) != NULL &&
             X509_set_pubkey(x, key) == 1;

    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    e = ok ? X509V3_EXT_conf(NULL, &ctx, "subjectKeyIdentifier", "hash") : NULL;
    ok = e != NULL && X509_add_ext(x, e, -1) == 1 && X509_sign(x, key, md_for(key)) > 0;
    X509_EXTENSION_free(e);
    X509_NAME_free(n);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* ---- durable commits ---- */

struct commit_worker {
    struct cmp_ca_store *s;
    const struct cmp_ca_cert_rec *tmpl;
    int id;
    double until;
    long done;
    int failed;
};

static void *
commit_loop(void *arg)
{
    struct commit_worker *w = arg;
    struct cmp_ca_cert_rec r = *w->tmpl;
    long i = 0;

    while (now_s() < w->until) {
        struct cmp_err err;
        int outcome;

        cmp_err_init(&err);
        /* a fresh serial and hash per record, as issuance makes */
        r.serial[1] = (uint8_t)w->id;
        memcpy(r.serial + 2, &i, sizeof(i));
        memcpy(r.cert_hash, r.serial, CMP_CA_SERIAL_MAX);
        if (!w->s->ops->insert_cert(w->s, &r, NULL, &outcome, &err) || outcome != CMP_CA_DONE) {
            fprintf(stderr, "insert: %s\n", err.msg);
            w->failed = 1;
            break;
        }
        i++;
    }
    w->done = i;
    return NULL;
}

static double
commits_per_second(struct cmp_ca_store *s, const struct cmp_ca_cert_rec *tmpl, int threads,
                   int base_id)
{
    struct commit_worker w[16];
    pthread_t t[16];
    double start = now_s();
    long total = 0;
    int i;

    for (i = 0; i < threads; i++) {
        w[i].s = s;
        w[i].tmpl = tmpl;
        w[i].id = base_id + i;
        w[i].until = start + seconds;
        w[i].done = 0;
        w[i].failed = 0;
        if (pthread_create(&t[i], NULL, commit_loop, &w[i]) != 0) {
            return -1;
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += w[i].done;
        if (w[i].failed) {
            return -1;
        }
    }
    return (double)total / (now_s() - start);
}

/* ---- signing and verifying ---- */

static void
sign_verify(const char *ca_type)
{
    EVP_PKEY *ca_key = keygen(ca_type), *sub = keygen("P-256");
    X509 *ca = ca_key != NULL ? make_ca(ca_key) : NULL;
    X509 *x = X509_new();
    double start, signs, verifies;
    long n;

    if (ca == NULL || sub == NULL || x == NULL || X509_set_version(x, X509_VERSION_3) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
        X509_set_subject_name(x, X509_get_subject_name(ca)) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL || X509_set_pubkey(x, sub) != 1) {
        fprintf(stderr, "%s: setting up failed\n", ca_type);
        goto done;
    }
    start = now_s();
    for (n = 0; now_s() - start < seconds / 2; n++) {
        ASN1_INTEGER_set(X509_get_serialNumber(x), n + 1); /* a new TBS each time */
        if (X509_sign(x, ca_key, md_for(ca_key)) <= 0) {
            fprintf(stderr, "%s: X509_sign failed\n", ca_type);
            goto done;
        }
    }
    signs = (double)n / (now_s() - start);
    start = now_s();
    for (n = 0; now_s() - start < seconds / 2; n++) {
        if (X509_verify(x, ca_key) != 1) {
            fprintf(stderr, "%s: X509_verify failed\n", ca_type);
            goto done;
        }
    }
    verifies = (double)n / (now_s() - start);
    printf("  %-9s CA key: certificate signing %9.0f /s   verifying %9.0f /s\n", ca_type, signs,
           verifies);
done:
    X509_free(x);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(sub);
}

/* ---- whole issuances ---- */

static double
issuances_per_second(struct cmp_ca *ca, const char *req_type)
{
    EVP_PKEY *k = keygen(req_type);
    X509_NAME *n = X509_NAME_new();
    unsigned char *spki = NULL, *subj = NULL;
    int spki_len = k != NULL ? i2d_PUBKEY(k, &spki) : -1, subj_len;
    struct cmp_ca_request req;
    double start, rate = -1;
    long i;

    memset(&req, 0, sizeof(req));
    if (n == NULL ||
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"bench device", -1,
                                   -1, 0) != 1 ||
        (subj_len = i2d_X509_NAME(n, &subj)) <= 0 || spki_len <= 0) {
        goto done;
    }
    req.subject = der_in_make(subj, (size_t)subj_len);
    req.spki = der_in_make(spki, (size_t)spki_len);
    req.requester = "kid:62656e6368";
    start = now_s();
    for (i = 0; now_s() - start < seconds; i++) {
        struct cmp_ca_issued out;
        struct cmp_err err;

        cmp_err_init(&err);
        if (!cmp_ca_issue(ca, &req, (int64_t)time(NULL), &out, &err)) {
            fprintf(stderr, "issue: %s\n", err.msg);
            goto done;
        }
        cmp_ca_issued_cleanup(&out);
    }
    rate = (double)i / (now_s() - start);
done:
    OPENSSL_free(spki);
    OPENSSL_free(subj);
    X509_NAME_free(n);
    EVP_PKEY_free(k);
    return rate;
}

/* A store that keeps nothing: issuance's own CPU cost, without the disk. */
static int
keep_nothing(struct cmp_ca_store *s, const struct cmp_ca_cert_rec *rec,
             const struct cmp_ca_secret_use *use, int *out_outcome, struct cmp_err *err)
{
    *out_outcome = CMP_CA_DONE;
    return 1;
}

static const struct cmp_ca_store_ops nop_ops = {.name = "none", .insert_cert = keep_nothing};
static struct cmp_ca_store nop_store = {&nop_ops};

struct issue_worker {
    struct cmp_ca *ca;
    const char *req_type;
    double rate;
};

static void *
issue_loop(void *arg)
{
    struct issue_worker *w = arg;

    w->rate = issuances_per_second(w->ca, w->req_type);
    return NULL;
}

/* issuances_threads(): the sum over |threads| threads issuing at once. */
static double
issuances_threads(struct cmp_ca *ca, const char *req_type, int threads)
{
    struct issue_worker w[16];
    pthread_t t[16];
    double sum = 0;
    int i;

    for (i = 0; i < threads; i++) {
        w[i].ca = ca;
        w[i].req_type = req_type;
        w[i].rate = -1;
        if (pthread_create(&t[i], NULL, issue_loop, &w[i]) != 0) {
            return -1;
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        if (w[i].rate < 0) {
            sum = -1e9;
        }
        sum += w[i].rate;
    }
    return sum;
}

static void
remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            (void)unlink(path);
        }
    }
    if (d != NULL) {
        closedir(d);
    }
    (void)rmdir(dir);
}

int
main(int argc, char **argv)
{
    char dir[512], db[600];
    struct cmp_err err;
    struct cmp_ca_store *s = NULL;
    struct cmp_ca *ca = NULL;
    EVP_PKEY *ca_key = keygen("P-256");
    X509 *ca_cert = ca_key != NULL ? make_ca(ca_key) : NULL;
    struct cmp_ca_issued first;
    int rc = 1;

    memset(&first, 0, sizeof(first));
    snprintf(dir, sizeof(dir), "%s/ca_floor-XXXXXX", argc > 1 ? argv[1] : ".");
    if (argc > 2) {
        seconds = strtod(argv[2], NULL);
        if (seconds <= 0) {
            seconds = 2.0;
        }
    }
    if (mkdtemp(dir) == NULL) {
        perror(dir);
        return 1;
    }
    snprintf(db, sizeof(db), "%s/ca.db", dir);
    cmp_err_init(&err);
    s = cmp_ca_store_sqlite_open(db, NULL, &err);
    ca = s != NULL && ca_cert != NULL ? cmp_ca_new(ca_cert, ca_key, s, 0, &err) : NULL;
    if (ca == NULL) {
        fprintf(stderr, "ca_floor: %s\n", err.msg);
        goto done;
    }
    printf("ca_floor: %s, %.1f s per figure\n", db, seconds);

    /* a real certificate as the record's payload */
    {
        double r256 = issuances_per_second(ca, "P-256");
        double r2048 = issuances_per_second(ca, "RSA-2048");
        struct cmp_ca_cert_filter f;
        struct cmp_ca_cert_rec *rec = NULL;
        double c1, c4 = 0, r16;
        int i;

        memset(&f, 0, sizeof(f));
        f.limit = 1;
        if (!cmp_ca_store_get_cert(s, &f, &rec, &err) || rec == NULL) {
            fprintf(stderr, "ca_floor: no record: %s\n", err.msg);
            goto done;
        }
        printf("SQLite store, durable writes (one issuance record of a %zu-byte certificate per "
               "change, WAL, synchronous=FULL):\n",
               rec->cert_der_len);
        c1 = commits_per_second(s, rec, 1, 0x10);
        printf("  1 thread   %9.0f records/s (one commit each: the disk's durable commit rate)\n",
               c1);
        for (i = 0; i < 2; i++) {
            int threads = i == 0 ? 4 : 16;
            uint64_t commits0 = 0, changes0 = 0, commits1 = 0, changes1 = 0;
            double c;

            (void)cmp_ca_store_sqlite_stats(s, &commits0, &changes0);
            c = commits_per_second(s, rec, threads, 0x20 + 0x10 * i);
            (void)cmp_ca_store_sqlite_stats(s, &commits1, &changes1);
            printf("  %2d threads %9.0f records/s (group commit: %.1f records per commit)\n",
                   threads, c,
                   commits1 > commits0
                       ? (double)(changes1 - changes0) / (double)(commits1 - commits0)
                       : 0.0);
            c4 = i == 0 ? c : c4;
        }
        cmp_ca_cert_rec_free(rec);
        printf("CA signing and verifying (a P-256 subject key):\n");
        sign_verify("P-256");
        sign_verify("RSA-2048");
        sign_verify("Ed25519");
        printf("Whole issuances, P-256 CA key (check, build, sign, durable record):\n");
        printf("  P-256 requested key,     1 thread   %9.0f /s\n", r256);
        printf("  RSA-2048 requested key,  1 thread   %9.0f /s\n", r2048);
        r16 = issuances_threads(ca, "P-256", 16);
        printf("  P-256 requested key,    16 threads  %9.0f /s\n", r16);
        {
            struct cmp_ca *cpu = cmp_ca_new(ca_cert, ca_key, &nop_store, 0, &err);

            if (cpu != NULL) {
                printf("  P-256 requested key,     1 thread   %9.0f /s without the store (CPU "
                       "only)\n",
                       issuances_per_second(cpu, "P-256"));
                printf("  P-256 requested key,     2 threads  %9.0f /s without the store (CPU "
                       "only)\n",
                       issuances_threads(cpu, "P-256", 2));
            }
            cmp_ca_free(cpu);
        }
        rc = c1 > 0 && c4 > 0 && r256 > 0 && r2048 > 0 && r16 > 0 ? 0 : 1;
    }
done:
    cmp_ca_issued_cleanup(&first);
    cmp_ca_free(ca);
    cmp_ca_store_close(s);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    remove_dir(dir);
    return rc;
}
