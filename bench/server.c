/*
 * bench/server: the load generator of bench/server.sh and bench/ca.sh. N clients on
 * loopback, each running ir + certConf transactions back to back against a
 * CMP server over HTTP, all in one thread on libcurl's multi interface, so
 * that the generator's own CPU cost stays small and the same for every
 * server it drives.
 *
 * What is pre-built once: the client's signing key and certificate (from
 * --pki), a fresh enrollment key (EC P-256, or RSA-2048 with --key rsa2048;
 * bench/ca.sh drives the CA with both), and two unprotected templates,
 * the ir (its one CertRequest with subject and publicKey, POPO-signed with
 * the enrollment key) and the certConf. The POPO signature covers only the
 * CertRequest, so every ir may carry the same one. Per transaction:
 *
 *   ir:       the template with a fresh transactionID, senderNonce and
 *             messageTime, protected (PBM with the server's secret: a fresh
 *             salt per message, or with --reuse-salt one salt and key
 *             derived once, which spares the generator, not the server,
 *             the 500 iterations; or an
 *             ECDSA P-256 signature by pki/client.key, whose certificate is
 *             in extraCerts and chains to the server's -srv_trusted);
 *   ip:       decoded and checked: body type, transactionID, recipNonce =
 *             our senderNonce, one CertResponse accepted with a certificate;
 *   certConf: certHash of that certificate (cached while the server returns
 *             the same bytes), recipNonce = the ip's senderNonce, a fresh
 *             senderNonce, protected as the ir;
 *   pkiConf:  decoded and checked as the ip.
 * The protection of responses is not verified (that is client cost, not
 * server cost). Only transactions that end with a good pkiConf count.
 * Everything else is counted by kind, and the first texts of each kind are
 * printed: transport errors (connection, HTTP status), timeouts, CMP error
 * messages from the server (by PKIFailureInfo bit and statusString), and
 * bad responses (undecodable, wrong body, wrong transactionID or nonce).
 *
 * Each client has its own HTTP connection (kept alive unless --close), as
 * a real client has: see setup_clients() for why that matters. With
 * --conn-per-txn a client opens a connection for each transaction (ir and
 * certConf on it) and closes it afterwards, as `openssl cmp` does.
 *
 * With --procs P the clients are P separate processes (forked; one client
 * each, the transactions shared out among them), each with its own
 * connection per transaction: the realistic case of many `openssl cmp`
 * runs, in which the server pays for a connection per transaction.
 *
 * With --attack RATE another address (--attack-src, 127.0.0.2 by default)
 * sends RATE requests a second meanwhile, each an ir whose PBM MAC is wrong
 * at --attack-iter iterations (100000 by default: the servers' cap, the
 * most they hash before they know), on a keep-alive connection, in a
 * process of its own, for as long as the measured run lasts: what valid
 * clients get from a server that an unauthenticated peer keeps busy. Its
 * answers are counted: handled (HTTP 200, a CMP error), refused (429 or
 * 503: not handled) and failed.
 *
 * Server-side figures, with --pid: CPU time (utime + stime of
 * /proc/PID/stat, all threads) before and after the run, and its split over
 * the server's threads; VmHWM (peak RSS, reset at the start with
 * /proc/PID/clear_refs when allowed) and VmRSS of /proc/PID/status after;
 * with --rss-every K also VmRSS after every K successful transactions.
 *
 * Bounded: at most --count transactions (and --warmup before them), each
 * run at most --seconds of wall time, each request at most --timeout
 * seconds; the URL must name an IPv4 loopback address (127.0.0.0/8).
 *
 * usage: server --url http://127.0.0.1:PORT/pkix/ --pki DIR --secret FILE
 *               --ref REF --prot pbm|sig [--clients N] [--count T]
 *               [--warmup W] [--seconds S] [--timeout S] [--close]
 *               [--conn-per-txn] [--procs P] [--pid PID] [--rss-every K]
 *               [--attack RATE [--attack-iter N] [--attack-src IP]] [--label TEXT]
 *               [--cacert FILE]
 * --cacert: the URL is https://, the server's certificate verified against FILE.
 * Output: "RSS ..." lines while running, "WARMUP ...", "ERR ..." samples and
 * "THREADS ..." lines, then one "RESULT key=value ..." line that
 * bench/server.sh turns into its table. Exit status 0 if any transaction
 * succeeded.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "msg/msg.h"

#define MAX_CLIENTS 256
#define MAX_PROCS 256
#define MAX_TXNS 1000000
#define MAX_SECONDS 3600
#define MAX_RSP_LEN (256u << 10) /* a response larger than this is an error */
#define NONCE_LEN 16
#define MAX_PEER_NONCE 64 /* a longer senderNonce in a response is a bad response */
#define MAX_SECRET 256
#define POLL_MS 100
#define MAX_SAMPLES 6 /* distinct error texts kept per kind */

/* ---- options ---- */

struct opts {
    const char *url, *pki, *secret_file, *ref, *label;
    int sig;        /* --prot sig: ECDSA; else PBM */
    int rsa;        /* --key rsa2048: an RSA-2048 enrollment key; else EC P-256 */
    int reuse_salt; /* --reuse-salt: one PBM salt and key for all our requests */
    long clients;   /* concurrent transactions */
    long count;     /* transactions to run (measured) */
    long warmup;    /* transactions before measuring */
    double seconds; /* wall-time limit of the measured run */
    double timeout; /* per request */
    int close_conn; /* a new connection per request */
    int conn_per_txn; /* a new connection per transaction, closed after it */
    long procs;       /* clients in separate processes; 0: all in this one */
    long pid;       /* the server's PID; 0: no server figures */
    long rss_every; /* print VmRSS every K successes; 0: never */
    long attack_rate;       /* wrong-MAC requests a second from another address; 0: none */
    long attack_iter;       /* their PBM iteration count */
    const char *attack_src; /* the address they come from */
    const char *cacert;     /* --cacert: HTTPS, the server's trust anchor; NULL: plain HTTP */
};

static void
usage(void)
{
    fprintf(stderr,
            "usage: server --url URL --pki DIR --secret FILE --ref REF --prot pbm|sig\n"
            "              [--clients N] [--count T] [--warmup W] [--seconds S] [--timeout S]\n"
            "              [--close] [--conn-per-txn] [--procs P] [--pid PID] [--rss-every K]\n"
            "              [--attack RATE [--attack-iter N] [--attack-src IP]] [--label TEXT]\n"
            "              [--key p256|rsa2048] [--reuse-salt] [--cacert FILE]\n");
    exit(2);
}

static long
num_arg(const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "server: bad number '%s' (%ld..%ld)\n", s, min, max);
        exit(2);
    }
    return v;
}

static double
secs_arg(const char *s, double max)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > max) {
        fprintf(stderr, "server: bad duration '%s'\n", s);
        exit(2);
    }
    return v;
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->clients = 1;
    o->count = 1000;
    o->seconds = 60;
    o->timeout = 10;
    o->label = "-";
    o->attack_iter = 100000;
    o->attack_src = "127.0.0.2";
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--close") == 0) {
            o->close_conn = 1;
            continue;
        }
        if (strcmp(a, "--conn-per-txn") == 0) {
            o->conn_per_txn = 1;
            continue;
        }
        if (strcmp(a, "--reuse-salt") == 0) {
            o->reuse_salt = 1;
            continue;
        }
        if (i + 1 >= argc) {
            usage();
        }
        if (strcmp(a, "--url") == 0) {
            o->url = argv[++i];
        } else if (strcmp(a, "--pki") == 0) {
            o->pki = argv[++i];
        } else if (strcmp(a, "--secret") == 0) {
            o->secret_file = argv[++i];
        } else if (strcmp(a, "--ref") == 0) {
            o->ref = argv[++i];
        } else if (strcmp(a, "--label") == 0) {
            o->label = argv[++i];
        } else if (strcmp(a, "--prot") == 0) {
            i++;
            if (strcmp(argv[i], "sig") == 0) {
                o->sig = 1;
            } else if (strcmp(argv[i], "pbm") != 0) {
                usage();
            }
        } else if (strcmp(a, "--key") == 0) {
            i++;
            if (strcmp(argv[i], "rsa2048") == 0) {
                o->rsa = 1;
            } else if (strcmp(argv[i], "p256") != 0) {
                usage();
            }
        } else if (strcmp(a, "--clients") == 0) {
            o->clients = num_arg(argv[++i], 1, MAX_CLIENTS);
        } else if (strcmp(a, "--count") == 0) {
            o->count = num_arg(argv[++i], 1, MAX_TXNS);
        } else if (strcmp(a, "--warmup") == 0) {
            o->warmup = num_arg(argv[++i], 0, MAX_TXNS);
        } else if (strcmp(a, "--seconds") == 0) {
            o->seconds = secs_arg(argv[++i], MAX_SECONDS);
        } else if (strcmp(a, "--timeout") == 0) {
            o->timeout = secs_arg(argv[++i], MAX_SECONDS);
        } else if (strcmp(a, "--pid") == 0) {
            o->pid = num_arg(argv[++i], 1, 1L << 30);
        } else if (strcmp(a, "--procs") == 0) {
            o->procs = num_arg(argv[++i], 1, MAX_PROCS);
        } else if (strcmp(a, "--rss-every") == 0) {
            o->rss_every = num_arg(argv[++i], 0, MAX_TXNS);
        } else if (strcmp(a, "--attack") == 0) {
            o->attack_rate = num_arg(argv[++i], 1, 10000);
        } else if (strcmp(a, "--attack-iter") == 0) {
            o->attack_iter = num_arg(argv[++i], 100, 10000000);
        } else if (strcmp(a, "--attack-src") == 0) {
            o->attack_src = argv[++i];
        } else if (strcmp(a, "--cacert") == 0) {
            o->cacert = argv[++i];
        } else {
            usage();
        }
    }
    if (o->url == NULL || o->pki == NULL || o->secret_file == NULL || o->ref == NULL) {
        usage();
    }
}

/* ---- the server process (/proc) ---- */

/* proc_cpu() returns utime + stime of |pid| in seconds, or -1. */
static double
proc_cpu(long pid)
{
    char path[64], buf[4096], *p;
    unsigned long long ut, st;
    size_t n;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields restart after the last ')'. */
    p = strrchr(buf, ')');
    if (p == NULL ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) {
        return -1;
    }
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* proc_kb() returns the "Vm...:" field |key| of /proc/PID/status in kB, or -1. */
static long
proc_kb(long pid, const char *key)
{
    char path[64], line[256];
    size_t klen = strlen(key);
    long v = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            v = strtol(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* proc_reset_hwm() resets VmHWM to the current RSS (Linux clear_refs "5"); 1 if done. */
static int
proc_reset_hwm(long pid)
{
    char path[64];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "/proc/%ld/clear_refs", pid);
    f = fopen(path, "w");
    if (f == NULL) {
        return 0;
    }
    ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

/* The CPU seconds of each thread of the server (/proc/PID/task/TID/stat). */
#define MAX_TASKS 256
struct tasks {
    int num;
    long tid[MAX_TASKS];
    double cpu[MAX_TASKS];
};

static void
proc_tasks(long pid, struct tasks *t)
{
    char path[64];
    struct dirent *e;
    DIR *d;

    t->num = 0;
    snprintf(path, sizeof(path), "/proc/%ld/task", pid);
    d = opendir(path);
    if (d == NULL) {
        return;
    }
    for (e = readdir(d); e != NULL && t->num < MAX_TASKS; e = readdir(d)) {
        char stat[sizeof(path) + sizeof(e->d_name) + 8], buf[1024], *p;
        unsigned long long ut, st;
        size_t n;
        FILE *f;

        if (e->d_name[0] < '0' || e->d_name[0] > '9') {
            continue;
        }
        snprintf(stat, sizeof(stat), "%s/%s/stat", path, e->d_name);
        f = fopen(stat, "r");
        if (f == NULL) {
            continue;
        }
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (p != NULL && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                                &ut, &st) == 2) {
            t->tid[t->num] = strtol(e->d_name, NULL, 10);
            t->cpu[t->num] = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
            t->num++;
        }
    }
    closedir(d);
}

/*
 * thread_spread() prints each server thread's share of the CPU time between
 * |a| and |b| and returns the largest share (1 if all the work ran on one
 * thread); |*out_busy| counts the threads with at least 10%.
 */
static double
thread_spread(const char *label, const struct tasks *a, const struct tasks *b, int *out_busy)
{
    double d[MAX_TASKS], total = 0, top = 0;
    int i, j, busy = 0;

    for (i = 0; i < b->num; i++) {
        d[i] = b->cpu[i];
        for (j = 0; j < a->num; j++) {
            if (a->tid[j] == b->tid[i]) {
                d[i] -= a->cpu[j];
                break;
            }
        }
        total += d[i];
    }
    printf("THREADS label=%s", label);
    for (i = 0; i < b->num; i++) {
        double share = total > 0 ? d[i] / total : 0;

        printf(" %ld:%.2fs", b->tid[i], d[i]);
        top = share > top ? share : top;
        busy += share >= 0.1;
    }
    printf("\n");
    *out_busy = busy;
    return top;
}

static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* self_cpu() is the generator's CPU time, its client processes' (--procs) included. */
static double
self_cpu(void)
{
    static const int who[2] = {RUSAGE_SELF, RUSAGE_CHILDREN};
    struct rusage ru;
    double t = 0;
    int i;

    for (i = 0; i < 2; i++) {
        if (getrusage(who[i], &ru) == 0) {
            t += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        }
    }
    return t;
}

/* ---- outcome counting ---- */

enum outcome { O_OK = 0, O_HTTP, O_TIMEOUT, O_CMP_ERROR, O_BAD, O_NUM };
static const char *const outcome_names[O_NUM] = {"ok", "http", "timeout", "cmp_error", "bad"};

struct sample {
    char text[160];
    long count;
};

struct stats {
    long outcomes[O_NUM];
    struct sample samples[O_NUM][MAX_SAMPLES];
    long other_samples[O_NUM];
    double *lat; /* seconds per successful transaction */
    long num_lat, cap_lat;
};

static void note(struct stats *s, int kind, const char *fmt, ...) CMP_PRINTF(3, 4);

static void
note(struct stats *s, int kind, const char *fmt, ...)
{
    char text[160];
    va_list ap;
    int i;

    s->outcomes[kind]++;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    for (i = 0; i < MAX_SAMPLES; i++) {
        struct sample *sm = &s->samples[kind][i];

        if (sm->count == 0) {
            snprintf(sm->text, sizeof(sm->text), "%s", text);
            sm->count = 1;
            return;
        }
        if (strcmp(sm->text, text) == 0) {
            sm->count++;
            return;
        }
    }
    s->other_samples[kind]++;
}

/* ---- the pre-built material ---- */

struct gen {
    struct opts o;
    uint8_t secret[MAX_SECRET];
    size_t secret_len;
    /* --reuse-salt: the PBM key derived once (the server still derives it per message) */
    uint8_t pbm_salt[CMP_PBM_MAX_SALT_LEN];
    size_t pbm_salt_len;
    uint8_t pbm_key[EVP_MAX_MD_SIZE];
    size_t pbm_key_len;
    EVP_PKEY *client_key;
    X509 *client_cert;
    uint8_t *ir_tmpl, *conf_tmpl; /* unprotected DER templates */
    size_t ir_tmpl_len, conf_tmpl_len;
    /* certHash cache: the last certificate seen and its hash */
    uint8_t *cached_cert;
    size_t cached_cert_len;
    uint8_t cached_hash[EVP_MAX_MD_SIZE];
    size_t cached_hash_len;

    CURLM *multi;
    struct curl_slist *headers;
    struct stats *st;
    long started, finished, limit;
    double t0;
};

enum step_id { ST_IR = 0, ST_CONF, ST_NUM };

struct client {
    struct gen *g;
    CURL *h;
    int busy;       /* a request is in flight */
    int step;       /* enum step_id */
    double t_start; /* of the transaction */
    uint8_t tid[16];
    uint8_t nonce[NONCE_LEN];           /* our last senderNonce */
    uint8_t peer_nonce[MAX_PEER_NONCE]; /* the ip's senderNonce */
    size_t peer_nonce_len;
    uint8_t hash[EVP_MAX_MD_SIZE]; /* certHash of the ip's certificate */
    size_t hash_len;
    int64_t cert_req_id;
    uint8_t *req; /* the request in flight, owned */
    size_t req_len;
    uint8_t *rsp; /* the response so far, owned */
    size_t rsp_len, rsp_cap;
    int rsp_too_big;
    char *url;                  /* with this client's host name (curl_free) */
    struct curl_slist *resolve; /* that name -> the server's address */
};

static void
die(const char *what, const struct cmp_err *err)
{
    char buf[1024];

    if (err != NULL && err->code != CMP_E_NONE) {
        fprintf(stderr, "server: %s: %s\n", what, cmp_err_format(err, buf, sizeof(buf)));
    } else {
        fprintf(stderr, "server: %s\n", what);
        ERR_print_errors_fp(stderr);
    }
    exit(1);
}

/* ---- loading ---- */

static FILE *
pki_open(const struct gen *g, const char *name)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", g->o.pki, name);
    f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "server: cannot open %s\n", path);
        exit(1);
    }
    return f;
}

static X509 *
pki_cert(const struct gen *g, const char *name)
{
    FILE *f = pki_open(g, name);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);

    fclose(f);
    if (x == NULL) {
        die(name, NULL);
    }
    return x;
}

static EVP_PKEY *
pki_key(const struct gen *g, const char *name)
{
    FILE *f = pki_open(g, name);
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);

    fclose(f);
    if (k == NULL) {
        die(name, NULL);
    }
    return k;
}

/* The secret as `openssl cmp -srv_secret file:` reads it: the first line. */
static void
load_secret(struct gen *g)
{
    FILE *f = fopen(g->o.secret_file, "r");
    char line[MAX_SECRET + 2];
    size_t n;

    if (f == NULL || fgets(line, sizeof(line), f) == NULL) {
        fprintf(stderr, "server: cannot read %s\n", g->o.secret_file);
        exit(1);
    }
    fclose(f);
    n = strcspn(line, "\r\n");
    if (n == 0 || n > MAX_SECRET) {
        fprintf(stderr, "server: bad secret in %s\n", g->o.secret_file);
        exit(1);
    }
    memcpy(g->secret, line, n);
    g->secret_len = n;
    OPENSSL_cleanse(line, sizeof(line));
}

/* ---- the templates ---- */

/* set_dirname() makes |gn| a directoryName of |name|, bytes in |m|'s arena. */
static void
set_dirname(struct cmp_msg *m, struct cmp_gname *gn, const X509_NAME *name)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(name, &der);
    uint8_t *buf;
    struct der_in dn;

    if (len <= 0) {
        die("i2d_X509_NAME", NULL);
    }
    buf = cmp_msg_alloc(m, (size_t)len * 2 + 6);
    if (buf == NULL) {
        die("out of memory", NULL);
    }
    memcpy(buf, der, (size_t)len);
    OPENSSL_free(der);
    dn = der_in_make(buf, (size_t)len);
    if (!cmp_gname_set_dirname(gn, buf + len, (size_t)len + 6, &dn)) {
        die("cmp_gname_set_dirname", NULL);
    }
}

/*
 * A header as `openssl cmp` sends it: pvno 2, sender the client, recipient
 * the server, senderKID the reference (PBM) or the client certificate's
 * SKID (signature). transactionID, nonces and messageTime are set per
 * request.
 */
static struct cmp_msg *
new_template(const struct gen *g, X509 *server_cert)
{
    struct cmp_msg *m = cmp_msg_new();
    struct cmp_header *h;
    struct cmp_err err;

    cmp_err_init(&err);
    if (m == NULL) {
        die("out of memory", NULL);
    }
    h = &m->hdr;
    h->pvno = CMP_PVNO_2000;
    set_dirname(m, &h->sender, X509_get_subject_name(g->client_cert));
    set_dirname(m, &h->recipient, X509_get_subject_name(server_cert));
    h->has_message_time = 1;
    h->message_time_secs = (int64_t)time(NULL);
    h->has_sender_kid = 1;
    if (g->o.sig) {
        const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(g->client_cert);
        uint8_t *p;

        if (skid == NULL) {
            die("pki/client.crt has no subjectKeyIdentifier", NULL);
        }
        p = cmp_msg_dup(m, ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid));
        if (p == NULL) {
            die("out of memory", NULL);
        }
        h->sender_kid = der_in_make(p, (size_t)ASN1_STRING_length(skid));
        if (!cmp_set_extra_certs(m, g->client_cert, NULL, NULL, &err)) {
            die("extraCerts", &err);
        }
    } else {
        h->sender_kid = der_in_make((const uint8_t *)g->o.ref, strlen(g->o.ref));
    }
    return m;
}

static void
encode_template(struct cmp_msg *m, uint8_t **out, size_t *out_len)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (!cmp_msg_encode(m, out, out_len, &err)) {
        die("encoding a template", &err);
    }
    cmp_msg_free(m);
}

static void
build_templates(struct gen *g)
{
    static const uint8_t zero_hash[32] = {0};
    X509 *server_cert = pki_cert(g, "server.crt");
    EVP_PKEY *ee = g->o.rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    X509_NAME *subject = X509_NAME_new();
    struct cmp_cert_req_msg *req;
    struct cmp_certstatus *cs;
    struct cmp_msg *m;
    struct cmp_err err;
    unsigned char *der = NULL;
    struct der_in in;
    uint8_t *buf;
    int len;

    cmp_err_init(&err);
    if (ee == NULL || subject == NULL ||
        !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"cmpkit bench EE", -1, -1, 0)) {
        die("enrollment key", NULL);
    }

    /* ir: one CertReqMsg, subject and publicKey, POPO signature */
    m = new_template(g, server_cert);
    m->body.type = CMP_BODY_IR;
    m->body.u.req.items = calloc(1, sizeof(*m->body.u.req.items));
    if (m->body.u.req.items == NULL) {
        die("out of memory", NULL);
    }
    m->body.u.req.num = 1;
    req = &m->body.u.req.items[0];
    req->cert_req_id = 0;
    len = i2d_X509_NAME(subject, &der);
    buf = len > 0 ? cmp_msg_dup(m, der, (size_t)len) : NULL;
    if (buf == NULL) {
        die("subject", NULL);
    }
    OPENSSL_free(der);
    der = NULL;
    req->tmpl.has_subject = 1;
    req->tmpl.subject = der_in_make(buf, (size_t)len);
    len = i2d_PUBKEY(ee, &der);
    buf = len > 0 ? cmp_msg_dup(m, der, (size_t)len) : NULL;
    if (buf == NULL) {
        die("public key", NULL);
    }
    OPENSSL_free(der);
    in = der_in_make(buf, (size_t)len);
    if (!der_get(&in, DER_SEQUENCE, &req->tmpl.public_key)) {
        die("public key", NULL);
    }
    req->tmpl.has_public_key = 1;
    if (!cmp_popo_sign(m, req, ee, NULL, &err)) {
        die("POPO", &err);
    }
    encode_template(m, &g->ir_tmpl, &g->ir_tmpl_len);

    /* certConf: one CertStatus, accepted; certHash and certReqId per request */
    m = new_template(g, server_cert);
    m->body.type = CMP_BODY_CERTCONF;
    m->body.u.cert_conf.items = calloc(1, sizeof(*m->body.u.cert_conf.items));
    if (m->body.u.cert_conf.items == NULL) {
        die("out of memory", NULL);
    }
    m->body.u.cert_conf.num = 1;
    cs = &m->body.u.cert_conf.items[0];
    cs->cert_hash = der_in_make(zero_hash, sizeof(zero_hash));
    cs->cert_req_id = 0;
    cs->has_status = 1;
    cs->status.status = CMP_STATUS_ACCEPTED;
    encode_template(m, &g->conf_tmpl, &g->conf_tmpl_len);

    X509_NAME_free(subject);
    EVP_PKEY_free(ee);
    X509_free(server_cert);
}

/* ---- one request ---- */

static void
fresh(uint8_t *p, size_t n)
{
    if (RAND_bytes(p, (int)n) != 1) {
        die("RAND_bytes", NULL);
    }
}

/*
 * make_request() fills c->req with the request of c->step: the template
 * with this transaction's header fields, protected. The message borrows
 * |c|'s buffers only until it is encoded.
 */
static int
make_request(struct client *c, struct cmp_err *err)
{
    const struct gen *g = c->g;
    int conf = c->step == ST_CONF;
    struct cmp_msg *m = NULL;
    struct cmp_header *h;
    int ok;

    if (!cmp_msg_decode(&m, conf ? g->conf_tmpl : g->ir_tmpl,
                        conf ? g->conf_tmpl_len : g->ir_tmpl_len, err)) {
        return 0;
    }
    h = &m->hdr;
    if (!conf) {
        fresh(c->tid, sizeof(c->tid));
    }
    fresh(c->nonce, sizeof(c->nonce));
    h->has_transaction_id = 1;
    h->transaction_id = der_in_make(c->tid, sizeof(c->tid));
    h->has_sender_nonce = 1;
    h->sender_nonce = der_in_make(c->nonce, sizeof(c->nonce));
    h->message_time = DER_IN_EMPTY; /* encoded from message_time_secs */
    h->message_time_secs = (int64_t)time(NULL);
    if (conf) {
        struct cmp_certstatus *cs = &m->body.u.cert_conf.items[0];

        h->has_recip_nonce = 1;
        h->recip_nonce = der_in_make(c->peer_nonce, c->peer_nonce_len);
        cs->cert_hash = der_in_make(c->hash, c->hash_len);
        cs->cert_req_id = c->cert_req_id;
    }
    if (g->o.sig) {
        ok = cmp_protect_sig(m, g->client_key, NULL, 0, err);
    } else {
        struct cmp_pbm_opts pbm;

        memset(&pbm, 0, sizeof(pbm));
        if (g->o.reuse_salt) {
            pbm.salt = g->pbm_salt;
            pbm.salt_len = g->pbm_salt_len;
            pbm.key = g->pbm_key;
            pbm.key_len = g->pbm_key_len;
        }
        ok = cmp_protect_pbm(m, &pbm, g->secret, g->secret_len, err);
    }
    free(c->req);
    c->req = NULL;
    ok = ok && cmp_msg_encode(m, &c->req, &c->req_len, err);
    cmp_msg_free(m);
    return ok;
}

/* ---- checking a response ---- */

/* printable() copies a peer's text for a log line, control characters replaced. */
static void
printable(char *out, size_t out_len, const struct der_in *s)
{
    size_t i, n = s->len < out_len - 1 ? s->len : out_len - 1;

    for (i = 0; i < n; i++) {
        out[i] = s->p[i] >= 0x20 && s->p[i] < 0x7F ? (char)s->p[i] : '?';
    }
    out[n] = '\0';
}

static void
note_error_msg(struct stats *st, const char *step, const struct cmp_msg *r)
{
    const struct cmp_pkistatus *si = &r->body.u.error.status;
    const char *bit = "none";
    char text[96] = "";
    int i;

    for (i = 0; si->has_fail_info && i <= CMP_FI_MAX; i++) {
        if ((si->fail_info >> i) & 1) {
            bit = cmp_failure_bit_name(i);
            break;
        }
    }
    if (si->has_status_string && si->status_string.num > 0) {
        printable(text, sizeof(text), &si->status_string.strs[0]);
    }
    note(st, O_CMP_ERROR, "error message for %s: %s '%s'", step, bit, text);
}

/* The ip: one accepted CertResponse with a certificate; keeps what certConf needs. */
static int
check_ip(struct client *c, const struct cmp_msg *r)
{
    struct gen *g = c->g;
    const struct cmp_cert_rep *rep = &r->body.u.rep;
    const struct cmp_cert_response *cr;
    struct cmp_err err;

    if (rep->num != 1) {
        note(g->st, O_BAD, "ip with %zu CertResponses", rep->num);
        return 0;
    }
    cr = &rep->responses[0];
    if (cr->status.status != CMP_STATUS_ACCEPTED &&
        cr->status.status != CMP_STATUS_GRANTED_WITH_MODS) {
        note(g->st, O_BAD, "ip with status %lld", (long long)cr->status.status);
        return 0;
    }
    if (!cr->has_ckp || cr->ckp.cert_type != CMP_CERT_PLAIN) {
        note(g->st, O_BAD, "ip without a plain certificate");
        return 0;
    }
    if (!r->hdr.has_sender_nonce || r->hdr.sender_nonce.len > MAX_PEER_NONCE) {
        note(g->st, O_BAD, "ip without a usable senderNonce");
        return 0;
    }
    memcpy(c->peer_nonce, r->hdr.sender_nonce.p, r->hdr.sender_nonce.len);
    c->peer_nonce_len = r->hdr.sender_nonce.len;
    c->cert_req_id = cr->cert_req_id;

    /*
     * certHash: over the certificate's DER with the digest of its signature
     * algorithm, read from the DER (no X509 object: decoding one costs more
     * than the rest of the generator's work per transaction, in OpenSSL
     * 3.0's key decoders). The mock servers return the same certificate
     * every time: kept while they do.
     */
    if (g->cached_cert == NULL || g->cached_cert_len != cr->ckp.cert.len ||
        memcmp(g->cached_cert, cr->ckp.cert.p, cr->ckp.cert.len) != 0) {
        int ok;

        cmp_err_init(&err);
        ok = cmp_cert_hash_der(cr->ckp.cert.p, cr->ckp.cert.len, NULL, g->cached_hash,
                               &g->cached_hash_len, &err);
        free(g->cached_cert);
        g->cached_cert = NULL;
        if (!ok) {
            note(g->st, O_BAD, "ip certificate does not parse or hash");
            return 0;
        }
        g->cached_cert = malloc(cr->ckp.cert.len);
        if (g->cached_cert == NULL) {
            die("out of memory", NULL);
        }
        memcpy(g->cached_cert, cr->ckp.cert.p, cr->ckp.cert.len);
        g->cached_cert_len = cr->ckp.cert.len;
    }
    memcpy(c->hash, g->cached_hash, g->cached_hash_len);
    c->hash_len = g->cached_hash_len;
    return 1;
}

static int
check_pkiconf(struct client *c, const struct cmp_msg *r)
{
    (void)c;
    (void)r;
    return 1; /* pkiConf has no content; the header was checked */
}

/* The transaction flow: what each step sends, answers and leads to. */
static const struct step {
    const char *name;
    int expect; /* enum cmp_body_type */
    int (*check)(struct client *c, const struct cmp_msg *r);
    int next; /* ST_NUM: the transaction is done */
} steps[ST_NUM] = {
    [ST_IR] = {.name = "ir", .expect = CMP_BODY_IP, .check = check_ip, .next = ST_CONF},
    [ST_CONF] = {.name = "certConf",
                 .expect = CMP_BODY_PKICONF,
                 .check = check_pkiconf,
                 .next = ST_NUM},
};

/* check_response() is 1 if the answer to c->step is good; else it notes why. */
static int
check_response(struct client *c, CURLcode rc)
{
    struct gen *g = c->g;
    const struct step *s = &steps[c->step];
    struct cmp_msg *r = NULL;
    struct cmp_err err;
    long status = 0;
    int ok = 0;

    if (rc == CURLE_OPERATION_TIMEDOUT) {
        note(g->st, O_TIMEOUT, "%s: no answer within %.0f s", s->name, g->o.timeout);
        return 0;
    }
    if (rc != CURLE_OK) {
        note(g->st, O_HTTP, "%s: %s%s", s->name, curl_easy_strerror(rc),
             c->rsp_too_big ? " (response too large)" : "");
        return 0;
    }
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        note(g->st, O_HTTP, "%s: HTTP status %ld", s->name, status);
        return 0;
    }
    cmp_err_init(&err);
    if (!cmp_msg_decode(&r, c->rsp, c->rsp_len, &err)) {
        note(g->st, O_BAD, "%s: the response does not decode: %s", s->name, err.msg);
        return 0;
    }
    if (r->body.type == CMP_BODY_ERROR) {
        note_error_msg(g->st, s->name, r);
    } else if (r->body.type != s->expect) {
        note(g->st, O_BAD, "%s answered with %s", s->name,
             cmp_body_type_name(r->body.type) != NULL ? cmp_body_type_name(r->body.type) : "?");
    } else if (!r->hdr.has_transaction_id || r->hdr.transaction_id.len != sizeof(c->tid) ||
               memcmp(r->hdr.transaction_id.p, c->tid, sizeof(c->tid)) != 0) {
        note(g->st, O_BAD, "%s: the response has another transactionID", s->name);
    } else if (!r->hdr.has_recip_nonce || r->hdr.recip_nonce.len != sizeof(c->nonce) ||
               memcmp(r->hdr.recip_nonce.p, c->nonce, sizeof(c->nonce)) != 0) {
        note(g->st, O_BAD, "%s: the response's recipNonce is not our senderNonce", s->name);
    } else if (!r->has_protection) {
        note(g->st, O_BAD, "%s: the response is unprotected", s->name);
    } else {
        ok = s->check(c, r);
    }
    cmp_msg_free(r);
    return ok;
}

/* ---- HTTP ---- */

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
    struct client *c = arg;
    size_t n = size * nmemb;

    if (n > MAX_RSP_LEN - c->rsp_len) {
        c->rsp_too_big = 1;
        return 0;
    }
    if (c->rsp_len + n > c->rsp_cap) {
        size_t cap = c->rsp_cap == 0 ? 4096 : c->rsp_cap;
        uint8_t *p;

        while (cap < c->rsp_len + n) {
            cap *= 2;
        }
        if (cap > MAX_RSP_LEN) {
            cap = MAX_RSP_LEN;
        }
        p = realloc(c->rsp, cap);
        if (p == NULL) {
            return 0;
        }
        c->rsp = p;
        c->rsp_cap = cap;
    }
    memcpy(c->rsp + c->rsp_len, data, n);
    c->rsp_len += n;
    return n;
}

static void
send_step(struct client *c)
{
    struct cmp_err err;
    CURLMcode mc;

    cmp_err_init(&err);
    if (!make_request(c, &err)) {
        die("building a request", &err);
    }
    c->rsp_len = 0;
    c->rsp_too_big = 0;
    if (c->g->o.conn_per_txn) {
        /* the transaction's first request opens a connection, its last one closes it */
        curl_easy_setopt(c->h, CURLOPT_FRESH_CONNECT, c->step == ST_IR ? 1L : 0L);
        curl_easy_setopt(c->h, CURLOPT_FORBID_REUSE, steps[c->step].next == ST_NUM ? 1L : 0L);
    }
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->req_len);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, (const char *)c->req);
    mc = curl_multi_add_handle(c->g->multi, c->h);
    if (mc != CURLM_OK) {
        fprintf(stderr, "server: curl_multi_add_handle: %s\n", curl_multi_strerror(mc));
        exit(1);
    }
    c->busy = 1;
}

static void
start_txn(struct client *c)
{
    struct gen *g = c->g;

    if (g->started >= g->limit) {
        return;
    }
    g->started++;
    c->step = ST_IR;
    c->t_start = now();
    send_step(c);
}

static void
on_done(struct client *c, CURLcode rc)
{
    struct gen *g = c->g;
    struct stats *st = g->st;
    int ok;

    curl_multi_remove_handle(g->multi, c->h);
    c->busy = 0;
    ok = check_response(c, rc);
    if (ok && steps[c->step].next != ST_NUM) {
        c->step = steps[c->step].next;
        send_step(c);
        return;
    }
    if (ok) {
        st->outcomes[O_OK]++;
        if (st->num_lat < st->cap_lat) {
            st->lat[st->num_lat++] = now() - c->t_start;
        }
        if (g->o.pid != 0 && g->o.rss_every > 0 && st->outcomes[O_OK] % g->o.rss_every == 0) {
            printf("RSS label=%s ok=%ld secs=%.1f rss_kb=%ld hwm_kb=%ld\n", g->o.label,
                   st->outcomes[O_OK], now() - g->t0, proc_kb(g->o.pid, "VmRSS"),
                   proc_kb(g->o.pid, "VmHWM"));
            fflush(stdout);
        }
    }
    g->finished++;
    start_txn(c);
}

/*
 * parse_target() accepts only http:// or https:// to an IPv4 address in 127.0.0.0/8 (or
 * localhost, taken as 127.0.0.1) and returns the address and port.
 */
static void
parse_target(const char *url, char *ip, size_t ip_len, long *port)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port_s = NULL;
    int ok;

    ok = u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_PORT, &port_s, CURLU_DEFAULT_PORT) == CURLUE_OK &&
         (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    if (ok && strcmp(host, "localhost") == 0) {
        snprintf(ip, ip_len, "127.0.0.1");
    } else if (ok) {
        struct in_addr a;

        /* inet_pton: a name such as 127.example.com is not an address */
        ok = inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
        snprintf(ip, ip_len, "%s", host);
    }
    if (ok) {
        char *end;

        *port = strtol(port_s, &end, 10);
        ok = *end == '\0' && *port > 0 && *port < 65536;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port_s);
    curl_url_cleanup(u);
    if (!ok) {
        fprintf(stderr, "server: only http:// to an IPv4 loopback address: %s\n", url);
        exit(2);
    }
}

/*
 * Each client gets a host name of its own, resolved to the server's address
 * with CURLOPT_RESOLVE. A multi handle pools connections by host: with one
 * name, a client's next request may go out on a connection another client
 * just finished with, in the middle of that client's transaction, which a
 * server that ties a transaction to its connection (openssl's mock) takes
 * as a new transaction. Real clients have connections of their own.
 */
static void
setup_clients(struct gen *g, struct client *cl, long n)
{
    long i, port, tmo = (long)(g->o.timeout * 1000);
    char ip[64];
    CURLU *u;

    parse_target(g->o.url, ip, sizeof(ip), &port);
    u = curl_url();
    if (u == NULL || curl_url_set(u, CURLUPART_URL, g->o.url, 0) != CURLUE_OK) {
        die("curl_url", NULL);
    }

    g->multi = curl_multi_init();
    g->headers = curl_slist_append(NULL, "Content-Type: application/pkixcmp");
    /* no "Expect: 100-continue": openssl's server does not answer it */
    g->headers = curl_slist_append(g->headers, "Expect:");
    g->headers = curl_slist_append(g->headers, "Accept:");
    if (g->o.close_conn) {
        g->headers = curl_slist_append(g->headers, "Connection: close");
    }
    if (g->multi == NULL || g->headers == NULL) {
        die("curl setup", NULL);
    }
    for (i = 0; i < n; i++) {
        struct client *c = &cl[i];
        char name[64], entry[160];

        memset(c, 0, sizeof(*c));
        c->g = g;
        snprintf(name, sizeof(name), "c%ld.cmpkit-bench.invalid", i);
        snprintf(entry, sizeof(entry), "%s:%ld:%s", name, port, ip);
        c->resolve = curl_slist_append(NULL, entry);
        c->h = curl_easy_init();
        if (c->resolve == NULL || c->h == NULL ||
            curl_url_set(u, CURLUPART_HOST, name, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &c->url, 0) != CURLUE_OK) {
            die("curl setup", NULL);
        }
        curl_easy_setopt(c->h, CURLOPT_URL, c->url);
        curl_easy_setopt(c->h, CURLOPT_RESOLVE, c->resolve);
        curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, g->o.cacert != NULL ? "https" : "http");
        if (g->o.cacert != NULL) {
            /*
             * The server's certificate names *.cmpkit-bench.invalid (each
             * client's host name): verified in full. No session resumption:
             * a full handshake per connection, as a new `openssl cmp` run does.
             */
            curl_easy_setopt(c->h, CURLOPT_CAINFO, g->o.cacert);
            curl_easy_setopt(c->h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
        }
        curl_easy_setopt(c->h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(c->h, CURLOPT_POST, 1L);
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, g->headers);
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c);
        curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
        curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, tmo);
        curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, tmo);
        curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c->h, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(c->h, CURLOPT_FORBID_REUSE, g->o.close_conn ? 1L : 0L);
    }
    curl_url_cleanup(u);
}

/* run() runs |count| transactions on |n| clients for at most |seconds|; returns the unfinished. */
static long
run(struct gen *g, struct client *cl, long n, long count, double seconds, struct stats *st)
{
    double deadline = now() + seconds;
    long i, busy, unfinished = 0;

    g->st = st;
    g->started = 0;
    g->finished = 0;
    g->limit = count;
    g->t0 = now();
    for (i = 0; i < n; i++) {
        start_txn(&cl[i]);
    }
    for (;;) {
        CURLMsg *msg;
        int running = 0, left = 0;

        for (busy = 0, i = 0; i < n; i++) {
            busy += cl[i].busy;
        }
        if (busy == 0 || now() >= deadline) {
            break;
        }
        curl_multi_perform(g->multi, &running);
        for (msg = curl_multi_info_read(g->multi, &left); msg != NULL;
             msg = curl_multi_info_read(g->multi, &left)) {
            if (msg->msg == CURLMSG_DONE) {
                CURL *h = msg->easy_handle;
                CURLcode rc = msg->data.result;
                char *priv = NULL;

                curl_easy_getinfo(h, CURLINFO_PRIVATE, &priv);
                on_done((struct client *)priv, rc);
            }
        }
        curl_multi_poll(g->multi, NULL, 0, POLL_MS, NULL);
    }
    /* out of time: what is in flight does not count */
    for (i = 0; i < n; i++) {
        if (cl[i].busy) {
            curl_multi_remove_handle(g->multi, cl[i].h);
            cl[i].busy = 0;
            unfinished++;
        }
    }
    return unfinished + (g->limit - g->started);
}

/* ---- separate client processes (--procs) ---- */

/* What a client process reports, in memory shared with the parent. */
struct child_report {
    struct stats st; /* st.lat points into the shared latencies */
    long unfinished;
};

/* merge_stats() adds the outcomes, error samples and latencies of |from| to |to|. */
static void
merge_stats(struct stats *to, const struct stats *from)
{
    long k, i, j;

    for (k = 0; k < O_NUM; k++) {
        to->outcomes[k] += from->outcomes[k];
        to->other_samples[k] += from->other_samples[k];
        for (i = 0; i < MAX_SAMPLES && from->samples[k][i].count > 0; i++) {
            const struct sample *sm = &from->samples[k][i];

            for (j = 0; j < MAX_SAMPLES; j++) {
                struct sample *t = &to->samples[k][j];

                if (t->count == 0) {
                    *t = *sm;
                    break;
                }
                if (strcmp(t->text, sm->text) == 0) {
                    t->count += sm->count;
                    break;
                }
            }
            if (j == MAX_SAMPLES) {
                to->other_samples[k] += sm->count;
            }
        }
    }
    for (i = 0; i < from->num_lat && to->num_lat < to->cap_lat; i++) {
        to->lat[to->num_lat++] = from->lat[i];
    }
}

/*
 * run_procs() runs |count| transactions in g->o.procs forked processes of
 * one client each, for at most |seconds|; merges what they report into
 * |st| and returns the unfinished transactions. A process that fails
 * leaves its transactions unfinished.
 */
static long
run_procs(struct gen *g, long count, double seconds, struct stats *st)
{
    long p, n = g->o.procs, off = 0, unfinished = 0;
    size_t size = (size_t)n * sizeof(struct child_report) + (size_t)count * sizeof(double);
    pid_t pids[MAX_PROCS];
    struct child_report *rep;
    double *lat;

    rep = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rep == MAP_FAILED) {
        die("mmap", NULL);
    }
    memset(rep, 0, size);
    lat = (double *)(rep + n);
    fflush(stdout);
    fflush(stderr);
    for (p = 0; p < n; p++) {
        long mine = count / n + (p < count % n);

        rep[p].st.lat = lat + off;
        rep[p].st.cap_lat = mine;
        rep[p].unfinished = mine; /* until the process says otherwise */
        off += mine;
        pids[p] = fork();
        if (pids[p] < 0) {
            die("fork", NULL);
        }
        if (pids[p] == 0) {
            static struct client cl[1];

            setup_clients(g, cl, 1);
            rep[p].unfinished = mine > 0 ? run(g, cl, 1, mine, seconds, &rep[p].st) : 0;
            fflush(stdout);
            _exit(0);
        }
    }
    for (p = 0; p < n; p++) {
        int status = 0;

        if (waitpid(pids[p], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "server: client process %ld failed\n", p);
        }
        merge_stats(st, &rep[p].st);
        unfinished += rep[p].unfinished;
    }
    munmap(rep, size);
    return unfinished;
}

/* ---- another address sending wrong MACs (--attack) ---- */

/* What the attacker process counts, in memory shared with the parent. */
struct attack_report {
    volatile int stop; /* set by the parent */
    long sent, handled, refused, failed;
};

/* discard() drops a response body. */
static size_t
discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

/* attack_request() is an ir whose PBM MAC is wrong, at --attack-iter iterations. */
static void
attack_request(const struct gen *g, uint8_t **der, size_t *len)
{
    static const uint8_t wrong[] = "not-the-servers-secret";
    struct cmp_pbm_opts pbm;
    struct cmp_msg *m = NULL;
    struct cmp_err err;
    static uint8_t tid[16], nonce[NONCE_LEN];

    cmp_err_init(&err);
    memset(&pbm, 0, sizeof(pbm));
    pbm.iterations = g->o.attack_iter;
    fresh(tid, sizeof(tid));
    fresh(nonce, sizeof(nonce));
    if (!cmp_msg_decode(&m, g->ir_tmpl, g->ir_tmpl_len, &err)) {
        die("the attack's ir", &err);
    }
    m->hdr.has_transaction_id = 1;
    m->hdr.transaction_id = der_in_make(tid, sizeof(tid));
    m->hdr.has_sender_nonce = 1;
    m->hdr.sender_nonce = der_in_make(nonce, sizeof(nonce));
    m->hdr.message_time = DER_IN_EMPTY;
    m->hdr.message_time_secs = (int64_t)time(NULL);
    if (!cmp_protect_pbm(m, &pbm, wrong, sizeof(wrong) - 1, &err) ||
        !cmp_msg_encode(m, der, len, &err)) {
        die("the attack's ir", &err);
    }
    cmp_msg_free(m);
}

/* attacker_main() sends until told to stop or out of time (in its own process). */
static void
attacker_main(const struct gen *g, struct attack_report *rep, double seconds)
{
    char iface[80];
    uint8_t *der = NULL;
    size_t len = 0;
    double next = now(), end = next + seconds;
    CURL *h = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/pkixcmp");

    headers = headers != NULL ? curl_slist_append(headers, "Expect:") : NULL;
    if (h == NULL || headers == NULL) {
        die("curl setup (attacker)", NULL);
    }
    attack_request(g, &der, &len);
    snprintf(iface, sizeof(iface), "host!%s", g->o.attack_src);
    curl_easy_setopt(h, CURLOPT_URL, g->o.url);
    curl_easy_setopt(h, CURLOPT_INTERFACE, iface);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)der);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(g->o.timeout * 1000));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    while (!rep->stop && now() < end) {
        long status = 0;
        double wait;

        rep->sent++;
        if (curl_easy_perform(h) != CURLE_OK) {
            rep->failed++;
        } else {
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            if (status == 200) {
                rep->handled++;
            } else if (status == 429 || status == 503) {
                rep->refused++;
            } else {
                rep->failed++;
            }
        }
        next += 1.0 / (double)g->o.attack_rate;
        wait = next - now();
        if (wait > 0) {
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};

            nanosleep(&ts, NULL);
        }
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    free(der);
}

/* attack_start() forks the attacker; its report lives in shared memory. */
static pid_t
attack_start(const struct gen *g, struct attack_report **out, double seconds)
{
    struct attack_report *rep;
    pid_t pid;

    rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rep == MAP_FAILED) {
        die("mmap", NULL);
    }
    memset((void *)rep, 0, sizeof(*rep));
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        die("fork", NULL);
    }
    if (pid == 0) {
        attacker_main(g, rep, seconds);
        _exit(0);
    }
    *out = rep;
    return pid;
}

/* attack_stop() tells the attacker to stop and waits for it. */
static void
attack_stop(pid_t pid, struct attack_report *rep)
{
    rep->stop = 1;
    if (waitpid(pid, NULL, 0) < 0) {
        fprintf(stderr, "server: the attacker process is lost\n");
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
percentile_ms(struct stats *st, double q)
{
    long k;

    if (st->num_lat == 0) {
        return -1;
    }
    k = (long)(q * (double)(st->num_lat - 1) + 0.5);
    return st->lat[k] * 1000;
}

static void
print_samples(const struct gen *g, const struct stats *st)
{
    int k, i;

    for (k = O_HTTP; k < O_NUM; k++) {
        for (i = 0; i < MAX_SAMPLES && st->samples[k][i].count > 0; i++) {
            printf("ERR label=%s kind=%s count=%ld text=%s\n", g->o.label, outcome_names[k],
                   st->samples[k][i].count, st->samples[k][i].text);
        }
        if (st->other_samples[k] > 0) {
            printf("ERR label=%s kind=%s count=%ld text=(other texts)\n", g->o.label,
                   outcome_names[k], st->other_samples[k]);
        }
    }
}

static void
fmt_ms(char *buf, size_t len, double v)
{
    if (v < 0) {
        snprintf(buf, len, "n/a");
    } else {
        snprintf(buf, len, "%.3f", v);
    }
}

int
main(int argc, char **argv)
{
    static struct client cl[MAX_CLIENTS];
    struct gen g;
    struct stats warm, st;
    double t0, t1, cpu0 = -1, cpu1 = -1, gen0, gen1, secs, srv_cpu;
    long unfinished, ok, hwm = -1, rss = -1, rss0 = -1, i;
    int hwm_reset = 0, busy_threads = 0;
    double top_share = 0;
    static struct tasks tasks0, tasks1;
    char srv_ms[32], gen_ms[32], p50[32], p90[32], p99[32], pmax[32];
    struct attack_report *attack = NULL;
    pid_t attacker = 0;

    memset(&g, 0, sizeof(g));
    parse_opts(&g.o, argc, argv);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        die("curl_global_init", NULL);
    }
    load_secret(&g);
    if (g.o.reuse_salt) {
        struct cmp_err e;

        cmp_err_init(&e);
        if (!cmp_pbm_derive(NULL, g.secret, g.secret_len, g.pbm_salt, &g.pbm_salt_len, g.pbm_key,
                            &g.pbm_key_len, &e)) {
            die("PBM key", &e);
        }
    }
    g.client_key = pki_key(&g, "client.key");
    g.client_cert = pki_cert(&g, "client.crt");
    build_templates(&g);
    if (g.o.procs == 0) {
        setup_clients(&g, cl, g.o.clients);
    }

    if (g.o.warmup > 0) {
        memset(&warm, 0, sizeof(warm));
        unfinished = g.o.procs > 0 ? run_procs(&g, g.o.warmup, g.o.seconds, &warm)
                                   : run(&g, cl, g.o.clients, g.o.warmup, g.o.seconds, &warm);
        printf("WARMUP label=%s ok=%ld failed=%ld unfinished=%ld\n", g.o.label, warm.outcomes[O_OK],
               g.o.warmup - warm.outcomes[O_OK] - unfinished, unfinished);
        print_samples(&g, &warm);
    }

    memset(&st, 0, sizeof(st));
    st.cap_lat = g.o.count;
    st.lat = calloc((size_t)g.o.count, sizeof(double));
    if (st.lat == NULL) {
        die("out of memory", NULL);
    }
    if (g.o.pid != 0) {
        proc_tasks(g.o.pid, &tasks0);
        hwm_reset = proc_reset_hwm(g.o.pid);
        rss0 = proc_kb(g.o.pid, "VmRSS");
        cpu0 = proc_cpu(g.o.pid);
    }
    if (g.o.attack_rate > 0) {
        attacker = attack_start(&g, &attack, g.o.seconds);
    }
    gen0 = self_cpu();
    t0 = now();
    unfinished = g.o.procs > 0 ? run_procs(&g, g.o.count, g.o.seconds, &st)
                               : run(&g, cl, g.o.clients, g.o.count, g.o.seconds, &st);
    t1 = now();
    gen1 = self_cpu();
    if (attacker > 0) {
        attack_stop(attacker, attack);
        printf("ATTACK label=%s rate=%ld iter=%ld src=%s sent=%ld handled=%ld refused=%ld "
               "failed=%ld\n",
               g.o.label, g.o.attack_rate, g.o.attack_iter, g.o.attack_src, attack->sent,
               attack->handled, attack->refused, attack->failed);
        munmap(attack, sizeof(*attack));
    }
    if (g.o.pid != 0) {
        cpu1 = proc_cpu(g.o.pid);
        proc_tasks(g.o.pid, &tasks1);
        hwm = proc_kb(g.o.pid, "VmHWM");
        rss = proc_kb(g.o.pid, "VmRSS");
    }

    ok = st.outcomes[O_OK];
    secs = t1 - t0;
    srv_cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    qsort(st.lat, (size_t)st.num_lat, sizeof(double), cmp_double);
    fmt_ms(srv_ms, sizeof(srv_ms), srv_cpu >= 0 && ok > 0 ? srv_cpu * 1000 / (double)ok : -1);
    fmt_ms(gen_ms, sizeof(gen_ms), ok > 0 ? (gen1 - gen0) * 1000 / (double)ok : -1);
    fmt_ms(p50, sizeof(p50), percentile_ms(&st, 0.5));
    fmt_ms(p90, sizeof(p90), percentile_ms(&st, 0.9));
    fmt_ms(p99, sizeof(p99), percentile_ms(&st, 0.99));
    fmt_ms(pmax, sizeof(pmax), percentile_ms(&st, 1));
    print_samples(&g, &st);
    if (g.o.pid != 0) {
        top_share = thread_spread(g.o.label, &tasks0, &tasks1, &busy_threads);
    }
    printf("RESULT label=%s prot=%s clients=%ld conn=%s count=%ld ok=%ld http=%ld timeout=%ld "
           "cmp_error=%ld bad=%ld unfinished=%ld secs=%.2f tps=%.1f srv_cpu_s=%.2f "
           "srv_ms_per_txn=%s gen_ms_per_txn=%s lat_p50_ms=%s lat_p90_ms=%s lat_p99_ms=%s "
           "lat_max_ms=%s rss_before_kb=%ld "
           "hwm_kb=%ld hwm_reset=%d rss_kb=%ld srv_threads_busy=%d srv_top_thread_pct=%.0f\n",
           g.o.label, g.o.sig ? "sig" : "pbm", g.o.procs > 0 ? g.o.procs : g.o.clients,
           g.o.close_conn ? "close" : g.o.conn_per_txn ? "per-txn" : "keepalive",
           g.o.count, ok, st.outcomes[O_HTTP], st.outcomes[O_TIMEOUT], st.outcomes[O_CMP_ERROR],
           st.outcomes[O_BAD], unfinished, secs, secs > 0 ? (double)ok / secs : 0, srv_cpu, srv_ms,
           gen_ms, p50, p90, p99, pmax, rss0, hwm, hwm_reset, rss, busy_threads, top_share * 100);

    for (i = 0; g.o.procs == 0 && i < g.o.clients; i++) {
        curl_easy_cleanup(cl[i].h);
        curl_slist_free_all(cl[i].resolve);
        curl_free(cl[i].url);
        free(cl[i].req);
        free(cl[i].rsp);
    }
    if (g.multi != NULL) {
        curl_multi_cleanup(g.multi);
    }
    curl_slist_free_all(g.headers);
    curl_global_cleanup();
    free(st.lat);
    free(g.ir_tmpl);
    free(g.conf_tmpl);
    free(g.cached_cert);
    EVP_PKEY_free(g.client_key);
    X509_free(g.client_cert);
    OPENSSL_cleanse(g.secret, sizeof(g.secret));
    return ok > 0 ? 0 : 1;
}
