/*
 * The HTTP listener (the only file that includes <microhttpd.h>).
 *
 * As the `openssl cmp` 3.0 mock server: POST on "/" or "/pkix/" (404 for
 * other paths; also -path if given; extra leading and trailing slashes do
 * not count), the body is a DER PKIMessage, the answer is
 * "application/pkixcmp". Listens on all addresses, IPv6 and IPv4 through
 * one dual-stack socket where the system has IPv6, and prints
 * "ACCEPT [::]:PORT PID=n" (or "ACCEPT 0.0.0.0:PORT PID=n") on stdout once
 * it does. "-port host:port" binds that one address. The checks of a
 * request and the collection of its body are in http_req.c (no sockets).
 *
 * Beyond openssl's: keep-alive for HTTP/1.0 and 1.1, one thread per core,
 * 405 (with Allow: POST), 415, 413, 400 for a Content-Length that is no
 * number, 503 when the body budget is spent, TCP_NODELAY (libmicrohttpd sets
 * it with the first response on a socket it was given), a clean stop on
 * SIGINT and SIGTERM, and limits on everything a peer can hold (listener.h).
 *
 * Connections are ours until libmicrohttpd closes them. One acceptor thread
 * accepts, counts each connection against the total and its address's
 * share *before* it hands it to one of the libmicrohttpd daemons (one
 * thread each, round robin), and the daemons' connection callbacks give
 * the slot back. libmicrohttpd's own connection limit is set beyond reach,
 * because Debian 12's 0.9.75 deadlocks on it when fed sockets with
 * MHD_add_connection(): internal_add_connection() checks the limit without
 * counting the connections queued for the daemon thread, and
 * new_connection_process_() then finds the daemon full under
 * cleanup_connection_mutex and returns without unlocking it; the daemon's
 * next cleanup_connections() waits on the mutex it holds for good (fixed
 * upstream in 1.0.0, commit 67061d5c). A watchdog thread closes (with
 * shutdown(), so libmicrohttpd sees the end and frees the connection)
 * every connection past its deadline: libmicrohttpd's own timeout starts
 * again with every byte, so a peer trickling one byte a second would hold
 * its connection for ever.
 *
 * HTTPS (cfg->tls): the acceptor counts the connection in a slot as above,
 * but hands libmicrohttpd one end of a socketpair and starts a pump thread
 * (tls_srv.h) that terminates TLS between the client and the other end. The
 * slot's descriptor is libmicrohttpd's end, so the watchdog's deadlines and
 * evictions end the pump too: the handshake counts as waiting for a request.
 *
 * Nothing is written to stdout after the ACCEPT line (a harness may have
 * stopped reading it): log lines go to stderr, one write() each. Refusals
 * are logged once per cause per LOG_EVERY_MS, with the count of the others.
 *
 * libmicrohttpd is dlopen()ed when the listener starts, not linked: it pulls
 * in gnutls, nettle, gmp, p11-kit and more, and loading them dominated the
 * start-up time and memory of the client mode, which never serves HTTP.
 * <microhttpd.h> is still included for its types and constants.
 */
#define _GNU_SOURCE /* accept4() */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/rand.h>

#include "http_req.h"
#include "listener.h"
#include "opts.h"
#include "tls_srv.h"

/*
 * libmicrohttpd's connection limit: never reached, as each connection it
 * counts holds an open descriptor (listener comment above for why).
 */
#define MHD_UNREACHED_LIMIT ((unsigned)INT_MAX)
#define WATCHDOG_TICK_MS 200
#define BUSY_IDLE_MS 1000     /* a connection's wait for a request while slots run short */
#define EVICT_MIN_IDLE_MS 50 /* when full, only connections idle this long are closed */
#define FULL_WAIT_MS 100      /* the acceptor's wait for a slot before it looks again */
#define LOG_EVERY_MS 10000    /* at most one line per cause this often */
#define STOP_GRACE_MS 1500    /* after SIGTERM/SIGINT, the most a clean stop may take */
#define FD_RESERVE 64         /* descriptors besides connections (listening, MHD's, files) */
#define FD_TABLE_MAX (1 << 22)
#define LOG_LINE_MAX 1024
#define PUMP_STACK ((size_t)256 << 10) /* a TLS pump thread's stack: libssl needs little */
#define THROTTLE_MAX 4096u     /* addresses whose failed authentications are tracked at once */
#define THROTTLE_BUCKETS 8192u /* a power of 2 */
#define THROTTLE_BURST_S 2     /* an address may spend this many seconds of its budget at once */
/*
 * libmicrohttpd's memory per connection (its default is 32 KiB): the read
 * buffer (half of it) holds a request's head and passes the body on in
 * pieces; a CMP request's head is a few hundred bytes. Bounded per
 * connection, it stays outside -srv_body_budget.
 */
#define MHD_POOL_SIZE ((size_t)8 << 10)

/* ---- libmicrohttpd, loaded at run time ---- */

#define MHD_LIBRARY "libmicrohttpd.so.12"
#define MHD_PACKAGE "libmicrohttpd12" /* Debian's and Ubuntu's name for it */

/* The MHD functions this file calls, with the types <microhttpd.h> declares. */
static struct {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_add_connection) *add_connection;
    __typeof__(MHD_get_connection_info) *get_connection_info;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
} mhd;

/* dlsym()'s void * is copied into the function pointers, as POSIX allows. */
_Static_assert(sizeof(void *) == sizeof(mhd.start_daemon), "function pointers are not void *");

static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static int mhd_loaded;
static char mhd_error[512]; /* dlerror()'s text when loading failed */

/* mhd_load_once() opens the library and fills |mhd|; it stays loaded until exit. */
static void
mhd_load_once(void)
{
    const struct {
        const char *name;
        void *slot; /* the member of |mhd| that gets the address */
    } syms[] = {
        {"MHD_start_daemon", &mhd.start_daemon},
        {"MHD_stop_daemon", &mhd.stop_daemon},
        {"MHD_add_connection", &mhd.add_connection},
        {"MHD_get_connection_info", &mhd.get_connection_info},
        {"MHD_lookup_connection_value", &mhd.lookup_connection_value},
        {"MHD_create_response_from_buffer", &mhd.create_response_from_buffer},
        {"MHD_add_response_header", &mhd.add_response_header},
        {"MHD_queue_response", &mhd.queue_response},
        {"MHD_destroy_response", &mhd.destroy_response},
    };
    const char *why;
    void *lib, *sym;
    size_t i;

    lib = dlopen(MHD_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        why = dlerror();
        snprintf(mhd_error, sizeof(mhd_error), "%s", why != NULL ? why : "unknown error");
        return;
    }
    for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
        (void)dlerror();
        sym = dlsym(lib, syms[i].name);
        if (sym == NULL) {
            why = dlerror();
            snprintf(mhd_error, sizeof(mhd_error), "%s", why != NULL ? why : syms[i].name);
            memset(&mhd, 0, sizeof(mhd));
            (void)dlclose(lib);
            return;
        }
        memcpy(syms[i].slot, &sym, sizeof(sym));
    }
    mhd_loaded = 1;
}

/* mhd_load() loads libmicrohttpd once per process: 1 if it is usable, else 0 (printed). */
static int
mhd_load(void)
{
    if (pthread_once(&mhd_once, mhd_load_once) != 0) {
        snprintf(mhd_error, sizeof(mhd_error), "pthread_once failed");
    }
    if (!mhd_loaded) {
        fprintf(stderr, "%s: cannot start the HTTP server: cannot load %s: %s\n", PROG, MHD_LIBRARY,
                mhd_error);
        fprintf(stderr, "%s: the server mode (-port) needs libmicrohttpd: install the package %s\n",
                PROG, MHD_PACKAGE);
        return 0;
    }
    return 1;
}

/* ---- the listener's state ---- */

/* A connection slot. */
enum conn_state {
    CS_FREE = 0,
    CS_HANDED,  /* accepted and handed to a daemon, not yet started there */
    CS_IDLE,    /* waiting for the first line of a request */
    CS_REQUEST  /* from the first line of a request until its response is sent */
};

struct conn {
    int fd;
    /*
     * The state (enum conn_state) and since when (ms, monotonic), as
     * since << 2 | state in one word: the serving thread switches between
     * CS_IDLE and CS_REQUEST without the mutex, and the watchdog reads both
     * at once. The other changes happen under the mutex.
     */
    _Atomic uint64_t phase;
    unsigned char killed;   /* shut down by the watchdog or evicted; under the mutex */
    unsigned char begun;    /* the current request's head was checked */
    unsigned char admitted; /* the current request counts against -max_msgs */
    unsigned char get_crl;  /* the current request is GET /crl (answer_crl()) */
    uint8_t key[16];        /* the client's address (addr_key()) */
    uint32_t gen;           /* counts the slot's connections (a TLS pump's check); under the mutex */
    X509 *tls_peer;         /* HTTPS: the client's verified certificate, or NULL; under the mutex */
    struct http_req req;    /* the current request: only the thread serving it touches it */
};

/* Connections per client address: an open-addressing table, at most half full. */
struct addr_ent {
    uint8_t key[16];
    uint32_t count; /* 0: a free entry */
};

/* Why connections or requests are refused or closed: one rate-limited log line each. */
enum lst_cause {
    /* 0 .. HTTP_CAUSE_NUM - 1: enum http_req_cause */
    LC_PER_ADDR = HTTP_CAUSE_NUM,
    LC_FULL,
    LC_EVICT,
    LC_BUSY_IDLE,
    LC_IDLE,
    LC_DEADLINE,
    LC_ACCEPT,
    LC_HANDOVER,
    LC_HANDLER,
    LC_THROTTLE,
    LC_TLS_PLAIN,
    LC_TLS_HANDSHAKE,
    LC_NUM
};

/*
 * An address's budget for requests that fail authentication: a token bucket
 * of CPU time (microseconds), refilled at -srv_fail_cpu per second up to
 * THROTTLE_BURST_S seconds of it, charged what each failing request cost.
 * Entries outlive connections; one whose bucket is full again is dropped.
 */
struct thr_ent {
    uint8_t key[16];   /* the address (addr_key()) */
    int64_t credit_us; /* may go below 0 by the cost of the last request */
    int64_t at_ms;     /* when credit_us was last brought up to date */
    uint32_t next;     /* chain or free list: entry + 1, 0 none */
};

struct ratelimit {
    atomic_llong next; /* ms before which the cause is not logged again */
    atomic_long skipped;
};

struct listener {
    const struct cmp_listener_config *cfg;
    struct http_req_limits lim;
    struct http_budget budget;
    unsigned max_conns, per_addr;
    int64_t req_ms, idle_ms, busy_idle_ms;
    pthread_t main_thread;
    atomic_int reserved; /* CMP requests admitted (for -max_msgs) */
    atomic_int answered; /* of those, fully answered */
    atomic_int done;     /* -max_msgs reached */
    atomic_int stopping; /* the acceptor must end */
    atomic_int pumps;    /* TLS pump threads running (tls_srv.h) */
    struct ratelimit rl[LC_NUM];

    int lfd; /* listening */
    struct MHD_Daemon *d[CMP_LISTENER_MAX_THREADS];
    unsigned num_daemons;

    /* Under |mu|: */
    pthread_mutex_t mu;
    pthread_cond_t slot_free; /* signalled when a slot frees while the acceptor waits */
    pthread_cond_t tick;      /* the watchdog's sleep; signalled to end it */
    int acceptor_waiting;
    int watchdog_exit;
    int64_t stop_began; /* ms; 0 while serving */
    struct conn *conns; /* max_conns slots */
    uint32_t *free_slots, num_free;
    uint32_t *fd_conn; /* descriptor -> slot + 1, 0 none (calloc()ed: untouched pages stay
                        * virtual when RLIMIT_NOFILE is large) */
    int fd_cap;
    unsigned in_use;
    struct addr_ent *addrs;
    uint32_t addr_mask;
    uint64_t hash_key[2];

    /* Under |thr_mu|: the budgets of failed authentications (throttle_*()). */
    pthread_mutex_t thr_mu;
    int64_t thr_rate_us; /* per second */
    int64_t thr_cap_us;
    struct thr_ent *thr;   /* THROTTLE_MAX entries */
    uint32_t *thr_buckets; /* THROTTLE_BUCKETS chains: entry + 1, 0 none */
    uint32_t thr_free;     /* free entries: entry + 1, 0 none */
};

static int64_t
now_ms(void)
{
    struct timespec ts;

    /* coarse: read from the vDSO, no system call; 1-4 ms resolution is plenty here */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* set_phase() sets a connection's state, since now. */
static void
set_phase(struct conn *c, int state)
{
    atomic_store_explicit(&c->phase, (uint64_t)now_ms() << 2 | (unsigned)state,
                          memory_order_release);
}

static uint64_t
get_phase(const struct conn *c)
{
    return atomic_load_explicit(&c->phase, memory_order_acquire);
}

static int
phase_state(uint64_t phase)
{
    return (int)(phase & 3);
}

static int64_t
phase_since(uint64_t phase)
{
    return (int64_t)(phase >> 2);
}

/* ---- logging ---- */

/* write_line() writes |len| bytes to stderr with as few write()s as it takes (one, normally). */
static void
write_line(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, p, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        p += n;
        len -= (size_t)n;
    }
}

/* The client whose request this thread answers (answer()), for the log lines' prefix. */
static _Thread_local char tl_peer[INET6_ADDRSTRLEN + 4];

const char *
cmp_listener_log_prefix(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
             tl_peer[0] != '\0' ? tl_peer : "-");
    return buf;
}

/* grown() is a log line's length after a snprintf() that returned |k| at |n| (cut if need be). */
static size_t
grown(size_t n, int k)
{
    if (k < 0) {
        return n;
    }
    return n + (size_t)k > LOG_LINE_MAX - 2 ? LOG_LINE_MAX - 2 : n + (size_t)k;
}

static void lst_vlog(const struct listener *l, int level, const char *suffix, const char *fmt,
                     va_list ap) CMP_PRINTF(4, 0);

/* lst_vlog() writes "cmpkit: <text><suffix>\n" in one write(), at most LOG_LINE_MAX bytes. */
static void
lst_vlog(const struct listener *l, int level, const char *suffix, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX], stamp[CMP_LISTENER_LOG_PREFIX_MAX];
    size_t n;

    if (level > l->cfg->verbosity) {
        return;
    }
    /* each piece may fill the line up to LOG_LINE_MAX - 2, leaving room for '\n' */
    n = grown(0, snprintf(line, LOG_LINE_MAX - 1, "%s%s: ",
                          l->cfg->log_time ? cmp_listener_log_prefix(stamp, sizeof(stamp)) : "",
                          PROG));
    n = grown(n, vsnprintf(line + n, LOG_LINE_MAX - 1 - n, fmt, ap));
    if (suffix != NULL) {
        n = grown(n, snprintf(line + n, LOG_LINE_MAX - 1 - n, "%s", suffix));
    }
    line[n++] = '\n';
    write_line(line, n);
}

static void lst_log(const struct listener *l, int level, const char *fmt, ...) CMP_PRINTF(3, 4);

static void
lst_log(const struct listener *l, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    lst_vlog(l, level, NULL, fmt, ap);
    va_end(ap);
}

static void note(struct listener *l, int cause, int level, const char *fmt, ...) CMP_PRINTF(4, 5);

/*
 * note() logs a refusal of |cause| at most once per LOG_EVERY_MS, with the
 * number of the others of that cause since the last line, so that a peer
 * cannot flood the log.
 */
static void
note(struct listener *l, int cause, int level, const char *fmt, ...)
{
    struct ratelimit *rl = &l->rl[cause];
    long long now, next;
    long skipped;
    char more[96] = "";
    va_list ap;

    if (level > l->cfg->verbosity) {
        return;
    }
    now = now_ms();
    next = atomic_load(&rl->next);
    if (now < next || !atomic_compare_exchange_strong(&rl->next, &next, now + LOG_EVERY_MS)) {
        atomic_fetch_add(&rl->skipped, 1);
        return;
    }
    skipped = atomic_exchange(&rl->skipped, 0);
    if (skipped > 0) {
        snprintf(more, sizeof(more), " (and %ld more since the last such line)", skipped);
    }
    va_start(ap, fmt);
    lst_vlog(l, level, more, fmt, ap);
    va_end(ap);
}

/*
 * printable() copies peer text (a request line) for the log: at most |size|
 * - 1 bytes, control characters as '?', so that a line stays one line.
 */
static const char *
printable(char *buf, size_t size, const char *s)
{
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];

        buf[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
    }
    buf[i] = '\0';
    return buf;
}

/* ---- binding ---- */

/* parse_port() reads a port number strictly: 1 with |*out| in 0..65535, else 0. */
static int
parse_port(const char *s, int *out)
{
    long v;

    if (!parse_long(s, 10, &v) || v < 0 || v > 65535 || s[0] == '+' || s[0] == '-') {
        return 0;
    }
    *out = (int)v;
    return 1;
}

/*
 * prepare_socket() readies a listening socket. It stays blocking: the
 * acceptor thread sleeps in accept() (one system call per connection, no
 * poll()), and shutdown() of the socket wakes it to stop.
 */
static int
prepare_socket(int fd)
{
    int one = 1;

    return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
           fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

/* bind_any() binds all addresses: IPv6 dual-stack, or IPv4 without IPv6. */
static int
bind_any(int port, int *out_fd)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    int fd, zero = 0, saved;

    fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd >= 0) {
        memset(&a6, 0, sizeof(a6));
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_any;
        a6.sin6_port = htons((uint16_t)port);
        if (prepare_socket(fd) &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == 0 &&
            bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0 && listen(fd, SOMAXCONN) == 0) {
            *out_fd = fd;
            return 1;
        }
        saved = errno;
        close(fd);
        if (saved != EAFNOSUPPORT && saved != EADDRNOTAVAIL) {
            errno = saved;
            return 0;
        }
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    memset(&a4, 0, sizeof(a4));
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl(INADDR_ANY);
    a4.sin_port = htons((uint16_t)port);
    if (prepare_socket(fd) && bind(fd, (struct sockaddr *)&a4, sizeof(a4)) == 0 &&
        listen(fd, SOMAXCONN) == 0) {
        *out_fd = fd;
        return 1;
    }
    saved = errno;
    close(fd);
    errno = saved;
    return 0;
}

/* bind_host() binds the one address |host| resolves to first. */
static int
bind_host(const char *host, const char *port, char *why, size_t why_len, int *out_fd)
{
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc, one = 1, saved = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(why, why_len, "cannot resolve %s: %s", host, gai_strerror(rc));
        return 0;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* "[::]:port" means all addresses, as the default; any other IPv6 address is just it. */
        if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ai->ai_addr;

            one = memcmp(&a6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) != 0;
            (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        }
        if (prepare_socket(fd) && bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, SOMAXCONN) == 0) {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(why, why_len, "cannot listen on %s port %s: %s", host, port,
                 strerror(saved != 0 ? saved : EADDRNOTAVAIL));
        return 0;
    }
    *out_fd = fd;
    return 1;
}

/*
 * open_listen_socket() binds what -port says: "port", "host:port" or
 * "[v6addr]:port". Prints its error.
 */
static int
open_listen_socket(const char *spec, int *out_fd)
{
    char host[256], why[300];
    const char *colon, *port_s = spec;
    size_t host_len = 0;
    int port, have_host = 0;

    if (spec[0] == '[') {
        const char *close_b = strchr(spec, ']');

        if (close_b == NULL || close_b[1] != ':') {
            fprintf(stderr, "%s: -port %s: expected [address]:port\n", PROG, spec);
            return 0;
        }
        host_len = (size_t)(close_b - spec - 1);
        memcpy(host, spec + 1, host_len < sizeof(host) ? host_len : 0);
        port_s = close_b + 2;
        have_host = 1;
    } else if (strrchr(spec, ':') != NULL) {
        colon = strrchr(spec, ':');
        if (strchr(spec, ':') != colon) {
            fprintf(stderr, "%s: -port %s: write an IPv6 address as [address]:port\n", PROG, spec);
            return 0;
        }
        host_len = (size_t)(colon - spec);
        memcpy(host, spec, host_len < sizeof(host) ? host_len : 0);
        port_s = colon + 1;
        have_host = 1;
    }
    if (have_host && (host_len == 0 || host_len >= sizeof(host))) {
        fprintf(stderr, "%s: -port %s: bad host\n", PROG, spec);
        return 0;
    }
    host[have_host ? host_len : 0] = '\0';
    if (!parse_port(port_s, &port)) {
        fprintf(stderr, "%s: -port %s: \"%s\" is not a port number (0..65535)\n", PROG, spec,
                port_s);
        return 0;
    }
    if (!have_host || strcmp(host, "*") == 0) {
        if (!bind_any(port, out_fd)) {
            fprintf(stderr, "%s: -port %s: cannot listen on port %d: %s\n", PROG, spec, port,
                    strerror(errno));
            return 0;
        }
        return 1;
    }
    if (!bind_host(host, port_s, why, sizeof(why), out_fd)) {
        fprintf(stderr, "%s: -port %s: %s\n", PROG, spec, why);
        return 0;
    }
    return 1;
}

/* print_accept() prints "ACCEPT host:port PID=n" as openssl cmp 3.0 does. */
static int
print_accept(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char addr[INET6_ADDRSTRLEN];
    unsigned port;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;

        if (inet_ntop(AF_INET6, &a6->sin6_addr, addr, sizeof(addr)) == NULL) {
            return 0;
        }
        port = ntohs(a6->sin6_port);
        printf("ACCEPT [%s]:%u PID=%ld\n", addr, port, (long)getpid());
    } else {
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;

        if (inet_ntop(AF_INET, &a4->sin_addr, addr, sizeof(addr)) == NULL) {
            return 0;
        }
        port = ntohs(a4->sin_port);
        printf("ACCEPT %s:%u PID=%ld\n", addr, port, (long)getpid());
    }
    return fflush(stdout) == 0;
}

/* ---- client addresses ---- */

/*
 * addr_key() is what -srv_max_conns_per_addr counts by: an IPv4 address
 * (also when it comes IPv4-mapped through the dual-stack socket), or the
 * /64 prefix of an IPv6 address, since a site gets at least a /64 (RFC 6177)
 * and may use any address in it.
 */
static void
addr_key(const struct sockaddr *sa, uint8_t key[16])
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};

    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        memcpy(key, v4mapped, sizeof(v4mapped));
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        if (memcmp(key, v4mapped, sizeof(v4mapped)) != 0) {
            memset(key + 8, 0, 8);
        }
    }
}

/* addr_text() prints a key for the log: "192.0.2.1" or "2001:db8::/64". */
static const char *
addr_text(const uint8_t key[16], char *buf, size_t size)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    char a[INET6_ADDRSTRLEN];

    if (memcmp(key, v4mapped, sizeof(v4mapped)) == 0) {
        if (inet_ntop(AF_INET, key + 12, a, sizeof(a)) == NULL) {
            snprintf(a, sizeof(a), "?");
        }
        snprintf(buf, size, "%s", a);
    } else {
        if (inet_ntop(AF_INET6, key, a, sizeof(a)) == NULL) {
            snprintf(a, sizeof(a), "?");
        }
        snprintf(buf, size, "%s/64", a);
    }
    return buf;
}

/* addr_hash() is keyed with a random key, so that a peer cannot pick colliding addresses. */
static uint32_t
addr_hash(const struct listener *l, const uint8_t key[16])
{
    uint64_t a, b, h;

    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    h = (a ^ l->hash_key[0]) * 0x9E3779B97F4A7C15u;
    h ^= h >> 29;
    h = (h ^ b ^ l->hash_key[1]) * 0xBF58476D1CE4E5B9u;
    h ^= h >> 32;
    return (uint32_t)h;
}

/*
 * addr_find() returns the entry of |key|, or with |insert| a free one
 * (count 0) holding |key|, which the caller must count at once; NULL if
 * absent. Under l->mu. The table has twice as many entries as there can
 * be addresses, so a free entry is always found.
 */
static struct addr_ent *
addr_find(struct listener *l, const uint8_t key[16], int insert)
{
    uint32_t i = addr_hash(l, key) & l->addr_mask;

    for (;;) {
        struct addr_ent *e = &l->addrs[i];

        if (e->count == 0) {
            if (!insert) {
                return NULL;
            }
            memcpy(e->key, key, 16);
            return e;
        }
        if (memcmp(e->key, key, 16) == 0) {
            return e;
        }
        i = (i + 1) & l->addr_mask;
    }
}

/* addr_drop() uncounts one connection of |key|; an entry that reaches 0 is removed. */
static void
addr_drop(struct listener *l, const uint8_t key[16])
{
    struct addr_ent *e = addr_find(l, key, 0);
    uint32_t i, j, home;

    if (e == NULL || --e->count > 0) {
        return;
    }
    /* Backward-shift deletion: move up the entries whose probe sequence passes the hole. */
    i = (uint32_t)(e - l->addrs);
    for (j = (i + 1) & l->addr_mask; l->addrs[j].count != 0; j = (j + 1) & l->addr_mask) {
        int stays; /* its home is cyclically in (i, j]: it must not move before it */

        home = addr_hash(l, l->addrs[j].key) & l->addr_mask;
        stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            l->addrs[i] = l->addrs[j];
            l->addrs[j].count = 0;
            i = j;
        }
    }
}

/* ---- connection slots ---- */

/* fd_slot() is the slot that holds descriptor |fd|, or NULL. Under l->mu. */
static struct conn *
fd_slot(const struct listener *l, int fd)
{
    if (fd < 0 || fd >= l->fd_cap || l->fd_conn[fd] == 0) {
        return NULL;
    }
    return &l->conns[l->fd_conn[fd] - 1];
}

/* slot_release() gives a slot back (under l->mu); its request must be cleaned up already. */
static void
slot_release(struct listener *l, struct conn *c)
{
    uint32_t idx = (uint32_t)(c - l->conns);

    addr_drop(l, c->key);
    if (fd_slot(l, c->fd) == c) {
        l->fd_conn[c->fd] = 0;
    }
    c->fd = -1;
    set_phase(c, CS_FREE);
    c->killed = 0;
    X509_free(c->tls_peer);
    c->tls_peer = NULL;
    l->free_slots[l->num_free++] = idx;
    l->in_use--;
    if (l->acceptor_waiting) {
        pthread_cond_signal(&l->slot_free);
    }
}

enum admit_result { ADMIT_OK, ADMIT_PER_ADDR, ADMIT_FULL, ADMIT_FD };

/*
 * admit() counts a new connection against the limits before it is handed
 * over: its slot, or NULL with |*why|. |key| gets the client's address key.
 */
static struct conn *
admit(struct listener *l, int fd, const struct sockaddr *sa, int *why, uint8_t key[16])
{
    struct addr_ent *e;
    struct conn *c, *stale;

    addr_key(sa, key);
    pthread_mutex_lock(&l->mu);
    if (fd >= l->fd_cap) {
        pthread_mutex_unlock(&l->mu);
        *why = ADMIT_FD;
        return NULL;
    }
    stale = fd_slot(l, fd);
    if (stale != NULL) {
        /*
         * The descriptor is new again, so libmicrohttpd closed the last
         * connection on it without a "closed" callback: it does so, before
         * "started", when it cannot allocate the connection's memory pool.
         * That slot is free again. A started connection always gets its
         * "closed" callback before its descriptor is closed; if one still
         * held this descriptor, its slot is left alone (a thread may serve
         * it) and the new connection is refused.
         */
        if (phase_state(get_phase(stale)) != CS_HANDED) {
            pthread_mutex_unlock(&l->mu);
            *why = ADMIT_FD;
            return NULL;
        }
        slot_release(l, stale);
    }
    e = addr_find(l, key, 1);
    if (e->count >= l->per_addr) {
        pthread_mutex_unlock(&l->mu);
        *why = ADMIT_PER_ADDR;
        return NULL;
    }
    if (l->in_use >= l->max_conns) {
        pthread_mutex_unlock(&l->mu);
        *why = ADMIT_FULL;
        return NULL;
    }
    e->count++;
    c = &l->conns[l->free_slots[--l->num_free]];
    c->fd = fd;
    set_phase(c, CS_HANDED);
    c->killed = 0;
    c->gen++;
    memcpy(c->key, key, 16);
    l->fd_conn[fd] = (uint32_t)(c - l->conns) + 1;
    l->in_use++;
    pthread_mutex_unlock(&l->mu);
    *why = ADMIT_OK;
    return c;
}

/* refuse_conn() closes a connection that was not admitted, with a 503 if it can go out at once. */
static void
refuse_conn(int fd)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Connection: close\r\nContent-Length: 0\r\n\r\n";

    (void)send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
}

/*
 * evict_idle() closes the connection that has waited longest for a request
 * (at least EVICT_MIN_IDLE_MS), to make room when all slots are taken.
 * Under l->mu. Returns 1 with its address in |key|, or 0 if none qualified.
 */
static int
evict_idle(struct listener *l, int64_t now, uint8_t key[16])
{
    struct conn *old = NULL;
    int64_t old_since = 0;
    unsigned i;

    for (i = 0; i < l->max_conns; i++) {
        struct conn *c = &l->conns[i];
        uint64_t ph = get_phase(c);

        if (phase_state(ph) == CS_IDLE && !c->killed &&
            now - phase_since(ph) >= EVICT_MIN_IDLE_MS &&
            (old == NULL || phase_since(ph) < old_since)) {
            old = c;
            old_since = phase_since(ph);
        }
    }
    if (old == NULL) {
        return 0;
    }
    /* The descriptor is still the connection's: libmicrohttpd closes it after the "closed"
     * callback, which needs l->mu. */
    (void)shutdown(old->fd, SHUT_RDWR);
    old->killed = 1;
    memcpy(key, old->key, 16);
    return 1;
}

/* deadline_in() is the CLOCK_MONOTONIC time |ms| from now, for pthread_cond_timedwait(). */
static struct timespec
deadline_in(long ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

/* ---- the budget of failed authentications per address ---- */

/* thr_link() is the link that points to |key|'s entry (*link == 0: none). Under thr_mu. */
static uint32_t *
thr_link(struct listener *l, const uint8_t key[16])
{
    uint32_t *link = &l->thr_buckets[addr_hash(l, key) & (THROTTLE_BUCKETS - 1)];

    while (*link != 0 && memcmp(l->thr[*link - 1].key, key, 16) != 0) {
        link = &l->thr[*link - 1].next;
    }
    return link;
}

/* thr_refill() brings an entry's credit up to |now|. */
static void
thr_refill(const struct listener *l, struct thr_ent *e, int64_t now)
{
    int64_t dt = now - e->at_ms;

    if (dt <= 0) {
        return;
    }
    if (dt >= (int64_t)THROTTLE_BURST_S * 2000) {
        e->credit_us = l->thr_cap_us; /* long enough to refill from the lowest credit */
    } else {
        e->credit_us += l->thr_rate_us * dt / 1000;
        if (e->credit_us > l->thr_cap_us) {
            e->credit_us = l->thr_cap_us;
        }
    }
    e->at_ms = now;
}

/* thr_remove() unlinks the entry |*link| points to and frees it. Under thr_mu. */
static void
thr_remove(struct listener *l, uint32_t *link)
{
    uint32_t i = *link;

    *link = l->thr[i - 1].next;
    l->thr[i - 1].next = l->thr_free;
    l->thr_free = i;
}

/*
 * thr_reclaim() frees an entry for a new address when all are taken: the
 * one nearest to a full bucket (the least in debt). Under thr_mu.
 */
static void
thr_reclaim(struct listener *l, int64_t now)
{
    uint32_t i, best = 0;

    for (i = 0; i < THROTTLE_MAX; i++) {
        thr_refill(l, &l->thr[i], now);
        if (best == 0 || l->thr[i].credit_us > l->thr[best - 1].credit_us) {
            best = i + 1;
        }
    }
    if (best != 0) {
        thr_remove(l, thr_link(l, l->thr[best - 1].key));
    }
}

/*
 * throttle_allows() is 1 if the requests of |key| may be handled: its
 * failed authentications have not spent its budget. Else 0, with
 * |*out_wait_ms| until they may again.
 */
static int
throttle_allows(struct listener *l, const uint8_t key[16], int64_t now, int64_t *out_wait_ms)
{
    uint32_t *link;
    struct thr_ent *e;
    int ok = 1;

    *out_wait_ms = 0;
    pthread_mutex_lock(&l->thr_mu);
    link = thr_link(l, key);
    if (*link != 0) {
        e = &l->thr[*link - 1];
        thr_refill(l, e, now);
        if (e->credit_us <= 0) {
            ok = 0;
            *out_wait_ms = (-e->credit_us * 1000) / l->thr_rate_us + 1;
        }
    }
    pthread_mutex_unlock(&l->thr_mu);
    return ok;
}

/* throttle_charge() takes |cost_us| from the budget of |key|. */
static void
throttle_charge(struct listener *l, const uint8_t key[16], uint64_t cost_us, int64_t now)
{
    uint32_t *link;
    struct thr_ent *e;
    int64_t cost = cost_us > (uint64_t)l->thr_cap_us ? l->thr_cap_us : (int64_t)cost_us;

    pthread_mutex_lock(&l->thr_mu);
    link = thr_link(l, key);
    if (*link == 0) {
        if (l->thr_free == 0) {
            thr_reclaim(l, now);
            link = thr_link(l, key);
        }
        *link = l->thr_free;
        e = &l->thr[*link - 1];
        l->thr_free = e->next;
        memcpy(e->key, key, 16);
        e->next = 0;
        e->credit_us = l->thr_cap_us;
        e->at_ms = now;
    }
    e = &l->thr[*link - 1];
    thr_refill(l, e, now);
    /* a debt of at most one bucket: no address is shut out for longer than twice the burst */
    e->credit_us = e->credit_us - cost < -l->thr_cap_us ? -l->thr_cap_us : e->credit_us - cost;
    pthread_mutex_unlock(&l->thr_mu);
}

/* throttle_sweep() drops the entries whose bucket is full again (the watchdog, each tick). */
static void
throttle_sweep(struct listener *l, int64_t now)
{
    uint32_t b, *link;

    pthread_mutex_lock(&l->thr_mu);
    for (b = 0; b < THROTTLE_BUCKETS; b++) {
        link = &l->thr_buckets[b];
        while (*link != 0) {
            struct thr_ent *e = &l->thr[*link - 1];

            thr_refill(l, e, now);
            if (e->credit_us >= l->thr_cap_us) {
                thr_remove(l, link);
            } else {
                link = &e->next;
            }
        }
    }
    pthread_mutex_unlock(&l->thr_mu);
}

/* ---- requests ---- */

static enum MHD_Result
send_status(struct MHD_Connection *conn, int status)
{
    const char *text = http_req_status_text(status);
    struct MHD_Response *rsp;
    enum MHD_Result ret;

    rsp = mhd.create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (rsp == NULL) {
        return MHD_NO;
    }
    if (mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES ||
        (status == HTTP_REQ_NOT_ALLOWED &&
         mhd.add_response_header(rsp, MHD_HTTP_HEADER_ALLOW, "POST") != MHD_YES)) {
        mhd.destroy_response(rsp);
        return MHD_NO;
    }
    ret = mhd.queue_response(conn, (unsigned)status, rsp);
    mhd.destroy_response(rsp);
    return ret;
}

/* log_refusal() logs why the current request of |c| is refused (rate-limited per cause). */
static void
log_refusal(struct listener *l, const struct conn *c, const char *method, const char *url,
            const char *value)
{
    char m[16], u[256], v[64], at[64];

    addr_text(c->key, at, sizeof(at));
    switch (c->req.cause) {
    case HTTP_CAUSE_METHOD:
        note(l, c->req.cause, LOG_LVL_INFO, "refusing method '%s' from %s (405)",
             printable(m, sizeof(m), method), at);
        break;
    case HTTP_CAUSE_PATH:
        note(l, c->req.cause, LOG_LVL_ERR, "expecting empty path or 'pkix/' but got '%s' from %s",
             printable(u, sizeof(u), url), at);
        break;
    case HTTP_CAUSE_MEDIA:
        note(l, c->req.cause, LOG_LVL_INFO, "refusing content type '%s' from %s (415)",
             value != NULL ? printable(v, sizeof(v), value) : "(none)", at);
        break;
    case HTTP_CAUSE_LENGTH:
        note(l, c->req.cause, LOG_LVL_WARN, "refusing Content-Length '%s' from %s (400)",
             value != NULL ? printable(v, sizeof(v), value) : "", at);
        break;
    case HTTP_CAUSE_TOO_LARGE:
        if (c->req.has_declared) {
            note(l, c->req.cause, LOG_LVL_WARN,
                 "refusing a request of %llu bytes from %s (at most %zu, -srv_max_body)",
                 c->req.declared, at, l->lim.max_body);
        } else {
            note(l, c->req.cause, LOG_LVL_WARN,
                 "refusing a request of more than %zu bytes from %s (-srv_max_body)",
                 l->lim.max_body, at);
        }
        break;
    case HTTP_CAUSE_BUDGET:
        note(l, c->req.cause, LOG_LVL_WARN,
             "request bodies hold all of the %zu bytes of -srv_body_budget: %s from %s",
             l->budget.limit,
             c->req.answer_now ? "answering 503 to a request" : "cutting a request", at);
        break;
    default:
        break;
    }
}

/* ---- GET /crl: the CA's CRL (RFC 2585 3: application/pkix-crl, DER) ---- */

#define CRL_PATH "/crl"
#define CRL_CONTENT_TYPE "application/pkix-crl"

static int
is_crl_get(const struct listener *l, const char *method, const char *url)
{
    return l->cfg->get_crl != NULL && strcmp(method, MHD_HTTP_METHOD_GET) == 0 &&
           strcmp(url, CRL_PATH) == 0;
}

static enum MHD_Result
answer_crl(struct listener *l, struct MHD_Connection *conn)
{
    struct MHD_Response *rsp;
    enum MHD_Result ret;
    uint8_t *der = NULL;
    size_t len = 0;

    if (!l->cfg->get_crl(l->cfg->handle_arg, &der, &len) || der == NULL) {
        free(der);
        note(l, LC_HANDLER, LOG_LVL_ERR, "could not answer GET %s: no CRL", CRL_PATH);
        return send_status(conn, 500);
    }
    rsp = mhd.create_response_from_buffer(len, der, MHD_RESPMEM_MUST_FREE);
    if (rsp == NULL) {
        free(der);
        return MHD_NO;
    }
    if (mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, CRL_CONTENT_TYPE) != MHD_YES) {
        mhd.destroy_response(rsp);
        return MHD_NO;
    }
    ret = mhd.queue_response(conn, MHD_HTTP_OK, rsp);
    mhd.destroy_response(rsp);
    return ret;
}

/* begin_request() checks the request line and head (http_req_begin()). */
static void
begin_request(struct listener *l, struct MHD_Connection *conn, struct conn *c, const char *url,
              const char *method, const char *version)
{
    const char *ctype, *clen;
    char m[16], u[256], v[16];

    lst_log(l, LOG_LVL_INFO, "Received request, 1st line: %s %s %s",
            printable(m, sizeof(m), method), printable(u, sizeof(u), url),
            printable(v, sizeof(v), version));
    if (is_crl_get(l, method, url)) {
        c->get_crl = 1;
        return;
    }
    ctype = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    clen = mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    http_req_begin(&c->req, &l->lim, &l->budget, method, url, ctype, clen,
                   mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT));
    if (c->req.status != 0) {
        log_refusal(l, c, method, url, c->req.cause == HTTP_CAUSE_MEDIA ? ctype : clen);
    }
}

/*
 * refuse_request() answers a request of an address over its budget at once,
 * unhandled: 429 with Retry-After and, if the handler's refusal can make one,
 * a CMP error message (RFC 9811: the body of a CMP answer is a PKIMessage).
 */
static enum MHD_Result
refuse_request(struct listener *l, struct MHD_Connection *conn, struct conn *c, int64_t wait_ms)
{
    const char *text = http_req_status_text(HTTP_REQ_TOO_MANY);
    struct MHD_Response *rsp;
    enum MHD_Result ret;
    uint8_t *out = NULL;
    size_t out_len = 0;
    char retry[24], at[64];
    int cmp;

    note(l, LC_THROTTLE, LOG_LVL_WARN,
         "answering 429 at once to %s: its failed authentications used the %lld ms of CPU "
         "per second it may (-srv_fail_cpu)",
         addr_text(c->key, at, sizeof(at)), (long long)(l->thr_rate_us / 1000));
    cmp = l->cfg->refuse != NULL &&
          l->cfg->refuse(l->cfg->handle_arg, c->req.buf, c->req.len, &out, &out_len) && out != NULL;
    if (cmp) {
        http_req_cleanup(&c->req, &l->budget);
        rsp = mhd.create_response_from_buffer(out_len, out, MHD_RESPMEM_MUST_FREE);
        if (rsp == NULL) {
            free(out);
        }
    } else {
        free(out);
        rsp = mhd.create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    }
    if (rsp == NULL) {
        return MHD_NO;
    }
    snprintf(retry, sizeof(retry), "%lld", (long long)((wait_ms + 999) / 1000));
    if (mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                cmp ? HTTP_REQ_CONTENT_TYPE : "text/plain") != MHD_YES ||
        mhd.add_response_header(rsp, MHD_HTTP_HEADER_RETRY_AFTER, retry) != MHD_YES) {
        mhd.destroy_response(rsp);
        return MHD_NO;
    }
    ret = mhd.queue_response(conn, HTTP_REQ_TOO_MANY, rsp);
    mhd.destroy_response(rsp);
    return ret;
}

/* answer() hands a complete body to the handler and queues its response. */
static enum MHD_Result
answer(struct listener *l, struct MHD_Connection *conn, struct conn *c)
{
    struct MHD_Response *rsp;
    enum MHD_Result ret;
    uint8_t *out = NULL;
    size_t out_len = 0;
    struct cmp_listener_answer how = {0, 200};
    int64_t wait_ms;
    X509 *peer;
    int n;

    /* An address whose failed authentications spent its budget is not heard (and costs little). */
    if (!throttle_allows(l, c->key, now_ms(), &wait_ms)) {
        return refuse_request(l, conn, c, wait_ms);
    }
    if (l->cfg->max_msgs > 0) {
        n = atomic_fetch_add(&l->reserved, 1);
        if (n >= l->cfg->max_msgs) {
            return send_status(conn, HTTP_REQ_UNAVAILABLE);
        }
        c->admitted = 1;
    }
    /* set by the pump before the request's first byte came; stays while the connection does */
    pthread_mutex_lock(&l->mu);
    peer = c->tls_peer;
    pthread_mutex_unlock(&l->mu);
    n = l->cfg->handle(l->cfg->handle_arg, c->req.buf, c->req.len, &out, &out_len, &how, peer);
    if (how.charge_us > 0) {
        throttle_charge(l, c->key, how.charge_us, now_ms());
    }
    if (!n || out == NULL) {
        free(out);
        note(l, LC_HANDLER, LOG_LVL_ERR, "could not answer a request: internal error");
        return send_status(conn, 500);
    }
    /* The body is not needed any more: give its share of the budget back now. */
    http_req_cleanup(&c->req, &l->budget);
    rsp = mhd.create_response_from_buffer(out_len, out, MHD_RESPMEM_MUST_FREE);
    if (rsp == NULL) {
        free(out);
        return MHD_NO;
    }
    if (mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_REQ_CONTENT_TYPE) !=
        MHD_YES) {
        mhd.destroy_response(rsp);
        return MHD_NO;
    }
    ret = mhd.queue_response(conn, how.status == 400 ? 400 : MHD_HTTP_OK, rsp);
    mhd.destroy_response(rsp);
    return ret;
}

static enum MHD_Result
serve_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **con_cls)
{
    struct listener *l = cls;
    struct conn *c = *con_cls; /* set by on_uri() */
    int was_ok;

    if (c == NULL) {
        return MHD_NO; /* not counted (cannot happen): close */
    }
    if (!c->begun) {
        c->begun = 1;
        begin_request(l, conn, c, url, method, version);
        if (c->get_crl) {
            return MHD_YES;
        }
        /* libmicrohttpd closes the connection after an answer given before the body */
        return c->req.answer_now ? send_status(conn, c->req.status) : MHD_YES;
    }
    if (c->get_crl) {
        /* a GET has no body: one is not read, the connection is closed */
        return *upload_data_size != 0 ? MHD_NO : answer_crl(l, conn);
    }
    if (*upload_data_size != 0) {
        was_ok = c->req.status == 0;
        if (!http_req_take(&c->req, &l->lim, &l->budget, (const uint8_t *)upload_data,
                           *upload_data_size)) {
            if (was_ok) {
                log_refusal(l, c, method, url, NULL);
            }
            return MHD_NO; /* out of memory or budget, or far too much: cut the connection */
        }
        if (was_ok && c->req.status != 0) {
            log_refusal(l, c, method, url, NULL);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (c->req.status != 0) {
        return send_status(conn, c->req.status);
    }
    return answer(l, conn, c);
}

/* on_request() serves with the client's address at hand for the log lines (-srv_log_time). */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    const struct conn *c = *con_cls;
    enum MHD_Result ret;

    if (c != NULL) {
        addr_text(c->key, tl_peer, sizeof(tl_peer));
    }
    ret = serve_request(cls, conn, url, method, version, upload_data, upload_data_size, con_cls);
    tl_peer[0] = '\0';
    return ret;
}

/*
 * on_uri() runs when a request's first line has arrived: from now on the
 * request deadline (-srv_req_timeout) applies instead of the idle one. Its
 * return value becomes the request's context (*con_cls): the slot.
 */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci;
    struct conn *c;

    (void)cls;
    (void)uri;
    ci = mhd.get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    c = ci != NULL ? ci->socket_context : NULL;
    if (c == NULL) {
        return NULL;
    }
    set_phase(c, CS_REQUEST);
    c->begun = 0;
    c->admitted = 0;
    c->get_crl = 0;
    return c;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct listener *l = cls;
    struct conn *c = *con_cls;

    (void)conn;
    (void)toe;
    if (c == NULL) {
        return;
    }
    if (c->admitted && atomic_fetch_add(&l->answered, 1) + 1 >= l->cfg->max_msgs) {
        atomic_store(&l->done, 1);
        pthread_kill(l->main_thread, SIGUSR1); /* wake up the main thread */
    }
    c->admitted = 0;
    http_req_cleanup(&c->req, &l->budget);
    if (phase_state(get_phase(c)) == CS_REQUEST) {
        set_phase(c, CS_IDLE);
    }
    *con_cls = NULL;
}

/*
 * on_connection(): "started" finds the slot the acceptor counted the
 * connection in (by its descriptor) and keeps it as the connection's
 * context; "closed" gives the slot back. libmicrohttpd calls "closed"
 * before it closes the descriptor, so while a slot is taken its descriptor
 * is the connection's, and the watchdog may shut it down.
 */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    struct listener *l = cls;
    const union MHD_ConnectionInfo *ci;
    struct conn *c = NULL;
    int fd;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        ci = mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        fd = ci != NULL ? ci->connect_fd : -1;
        pthread_mutex_lock(&l->mu);
        c = fd_slot(l, fd);
        if (c != NULL && phase_state(get_phase(c)) == CS_HANDED) {
            set_phase(c, CS_IDLE);
        } else {
            c = NULL;
        }
        pthread_mutex_unlock(&l->mu);
        *socket_context = c;
        if (c == NULL && fd >= 0) {
            (void)shutdown(fd, SHUT_RDWR); /* not counted (cannot happen): close it */
            note(l, LC_HANDOVER, LOG_LVL_ERR, "internal error: closing a connection not counted");
        }
        return;
    }
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        c = *socket_context;
        if (c == NULL) {
            return;
        }
        http_req_cleanup(&c->req, &l->budget);
        pthread_mutex_lock(&l->mu);
        slot_release(l, c);
        pthread_mutex_unlock(&l->mu);
        *socket_context = NULL;
    }
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) CMP_PRINTF(2, 0);

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct listener *l = cls;
    char line[512];
    size_t n;

    if (l->cfg->verbosity < LOG_LVL_DEBUG) {
        return;
    }
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        line[--n] = '\0';
    }
    lst_log(l, LOG_LVL_DEBUG, "HTTP: %s", line);
}

/* ---- the acceptor ---- */

static void
pause_briefly(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};

    (void)nanosleep(&ts, NULL);
}

/*
 * wait_for_slot() returns once a slot is free (or the listener stops).
 * While all are taken it closes the longest-idle connection every
 * FULL_WAIT_MS; new connections meanwhile wait in the kernel's backlog.
 */
static void
wait_for_slot(struct listener *l)
{
    uint8_t key[16];
    char at[64];
    int waited = 0, evicted = 0;

    pthread_mutex_lock(&l->mu);
    while (!atomic_load(&l->stopping) && l->in_use >= l->max_conns) {
        struct timespec until = deadline_in(FULL_WAIT_MS);

        waited = 1;
        evicted += evict_idle(l, now_ms(), key);
        l->acceptor_waiting = 1;
        (void)pthread_cond_timedwait(&l->slot_free, &l->mu, &until);
        l->acceptor_waiting = 0;
    }
    pthread_mutex_unlock(&l->mu);
    if (waited) {
        note(l, LC_FULL, LOG_LVL_WARN,
             "all %u connections are in use (-srv_max_conns): new ones wait", l->max_conns);
    }
    if (evicted > 0) {
        note(l, LC_EVICT, LOG_LVL_WARN,
             "closed %d connection(s) waiting for a request to make room, the last from %s",
             evicted, addr_text(key, at, sizeof(at)));
    }
}

/* ---- HTTPS: the pumps (tls_srv.h) ---- */

/* A pump's connection: its slot, which it may touch only while the slot is still its own. */
struct pump_job {
    struct listener *l;
    uint32_t slot, gen;
    uint8_t key[16];
    struct tls_pump p;
};

/* pump_on_peer() keeps the client's certificate in the slot, for answer(). */
static void
pump_on_peer(void *arg, X509 *cert)
{
    struct pump_job *j = arg;
    struct conn *c = &j->l->conns[j->slot];

    pthread_mutex_lock(&j->l->mu);
    if (c->gen == j->gen && phase_state(get_phase(c)) != CS_FREE && c->tls_peer == NULL) {
        c->tls_peer = cert;
        cert = NULL;
    }
    pthread_mutex_unlock(&j->l->mu);
    X509_free(cert);
}

static void *
pump_thread(void *arg)
{
    struct pump_job *j = arg;
    struct listener *l = j->l;
    char at[64];

    switch (tls_pump_run(&j->p)) {
    case TLS_PUMP_PLAIN:
        note(l, LC_TLS_PLAIN, LOG_LVL_WARN,
             "answered 400 to plain HTTP from %s: this port speaks HTTPS",
             addr_text(j->key, at, sizeof(at)));
        break;
    case TLS_PUMP_HANDSHAKE:
        note(l, LC_TLS_HANDSHAKE, LOG_LVL_WARN, "TLS handshake with %s failed: %s",
             addr_text(j->key, at, sizeof(at)), j->p.why);
        break;
    default:
        break;
    }
    free(j);
    /* the last touch of |l|: serve() waits for this count to reach 0 before freeing it */
    atomic_fetch_sub(&l->pumps, 1);
    return NULL;
}

/*
 * tls_split() makes the socketpair of an accepted TLS connection:
 * |*fd| (the client's socket) moves to |*net_fd|, and |*fd| becomes
 * libmicrohttpd's end, |*pump_fd| the pump's. 0 (all closed) on failure.
 */
static int
tls_split(struct listener *l, int *fd, int *net_fd, int *pump_fd)
{
    int pair[2], one = 1;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
        note(l, LC_ACCEPT, LOG_LVL_ERR, "cannot make a socketpair for a TLS connection: %s",
             strerror(errno));
        close(*fd);
        pause_briefly(); /* out of descriptors, most likely */
        return 0;
    }
    /* libmicrohttpd sets TCP_NODELAY on the socket it has, which is no TCP socket here */
    (void)setsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    *net_fd = *fd;
    *fd = pair[0];
    *pump_fd = pair[1];
    return 1;
}

/*
 * tls_start_pump() runs the pump of |c|'s connection on a thread of its
 * own (detached, a small stack); 0 (the pump's descriptors closed) if it
 * cannot.
 */
static int
tls_start_pump(struct listener *l, struct conn *c, int net_fd, int pump_fd, const uint8_t key[16])
{
    struct pump_job *j = calloc(1, sizeof(*j));
    pthread_attr_t attr;
    pthread_t t;
    int ok = 0;

    if (j != NULL && pthread_attr_init(&attr) == 0) {
        j->l = l;
        j->slot = (uint32_t)(c - l->conns);
        j->gen = c->gen; /* stable: the slot is CS_HANDED until libmicrohttpd starts it */
        memcpy(j->key, key, 16);
        j->p.ctx = l->cfg->tls;
        j->p.net_fd = net_fd;
        j->p.app_fd = pump_fd;
        j->p.on_peer = pump_on_peer;
        j->p.arg = j;
        atomic_fetch_add(&l->pumps, 1);
        ok = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
             pthread_attr_setstacksize(&attr, PUMP_STACK) == 0 &&
             pthread_create(&t, &attr, pump_thread, j) == 0;
        pthread_attr_destroy(&attr);
        if (!ok) {
            atomic_fetch_sub(&l->pumps, 1);
        }
    }
    if (!ok) {
        free(j);
        close(net_fd);
        close(pump_fd);
        note(l, LC_HANDOVER, LOG_LVL_ERR, "cannot start the TLS thread of a connection");
    }
    return ok;
}

/* wait_for_pumps() waits for the pumps to end (libmicrohttpd closed their ends). */
static void
wait_for_pumps(struct listener *l)
{
    while (atomic_load(&l->pumps) > 0) {
        pause_briefly(); /* the watchdog ends the process if this takes over STOP_GRACE_MS */
    }
}

static void *
accept_loop(void *arg)
{
    struct listener *l = arg;
    unsigned next = 0;

    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        uint8_t key[16];
        char at[64];
        struct conn *c;
        int fd, why, net_fd, pump_fd = -1;

        wait_for_slot(l);
        if (atomic_load(&l->stopping)) {
            break;
        }
        /* Non-blocking and close-on-exec from the start: no fcntl() per connection. */
        fd = accept4(l->lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (atomic_load(&l->stopping)) {
                break;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: wait for connections to close rather than spin. */
                note(l, LC_ACCEPT, LOG_LVL_ERR, "cannot accept a connection: %s",
                     strerror(errno));
                pause_briefly();
            }
            continue; /* EAGAIN, ECONNABORTED, EINTR, ... */
        }
        net_fd = -1;
        if (l->cfg->tls != NULL && !tls_split(l, &fd, &net_fd, &pump_fd)) {
            continue;
        }
        c = admit(l, fd, (struct sockaddr *)&ss, &why, key);
        if (c == NULL) {
            refuse_conn(fd);
            if (net_fd >= 0) {
                close(net_fd);
                close(pump_fd);
            }
            if (why == ADMIT_PER_ADDR) {
                note(l, LC_PER_ADDR, LOG_LVL_WARN,
                     "refusing connections from %s: it has %u open (-srv_max_conns_per_addr)",
                     addr_text(key, at, sizeof(at)), l->per_addr);
            } else {
                note(l, LC_ACCEPT, LOG_LVL_ERR,
                     "refusing a connection on descriptor %d: beyond RLIMIT_NOFILE's table or "
                     "still counted (internal error)",
                     fd);
            }
            continue;
        }
        /*
         * No TCP_NODELAY here: libmicrohttpd does not know the state of a socket
         * it is given and sets TCP_NODELAY itself with the first response
         * (openssl cmp 3.0 lost ~40 ms a message to Nagle and delayed ACKs).
         */
        if (net_fd >= 0 && !tls_start_pump(l, c, net_fd, pump_fd, key)) {
            pthread_mutex_lock(&l->mu);
            slot_release(l, c);
            pthread_mutex_unlock(&l->mu);
            close(fd);
            continue;
        }
        if (mhd.add_connection(l->d[next], fd, (struct sockaddr *)&ss, len) != MHD_YES) {
            /* Closed by libmicrohttpd and never queued: no callback will come. */
            int saved = errno;

            pthread_mutex_lock(&l->mu);
            if (phase_state(get_phase(c)) == CS_HANDED && c->fd == fd) {
                slot_release(l, c);
            }
            pthread_mutex_unlock(&l->mu);
            note(l, LC_HANDOVER, LOG_LVL_ERR, "could not hand a connection over: %s",
                 strerror(saved));
        }
        next = next + 1 < l->num_daemons ? next + 1 : 0;
    }
    return NULL;
}

/* ---- the watchdog ---- */

/*
 * stop_now() ends the process when a clean stop takes too long (a handler
 * that does not return, a library that does not let go). It writes its
 * line only if that cannot block.
 */
static void
stop_now(void)
{
    static const char msg[] = PROG ": could not stop cleanly within 1.5 s; exiting\n";
    struct pollfd p = {STDERR_FILENO, POLLOUT, 0};

    if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0) {
        ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

        (void)n; /* exiting either way */
    }
    _exit(1);
}

/* What one pass of the watchdog closed, by cause, for the log. */
struct sweep {
    int num[3]; /* 0: request deadline, 1: idle, 2: idle while slots run short */
    uint8_t key[3][16];
};

/* sweep_conns() shuts down the connections past their deadline. Under l->mu. */
static void
sweep_conns(struct listener *l, int64_t now, struct sweep *s)
{
    /* short of slots: a connection waiting for a request gets only BUSY_IDLE_MS */
    int busy = (uint64_t)l->in_use * 4 > (uint64_t)l->max_conns * 3;
    int64_t idle = busy && l->busy_idle_ms < l->idle_ms ? l->busy_idle_ms : l->idle_ms;
    unsigned i;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < l->max_conns; i++) {
        struct conn *c = &l->conns[i];
        uint64_t ph = get_phase(c);
        int k;

        if (phase_state(ph) < CS_IDLE || c->killed) {
            continue;
        }
        if (phase_state(ph) == CS_REQUEST) {
            if (now - phase_since(ph) < l->req_ms) {
                continue;
            }
            k = 0;
        } else {
            if (now - phase_since(ph) < idle) {
                continue;
            }
            k = idle < l->idle_ms ? 2 : 1;
        }
        (void)shutdown(c->fd, SHUT_RDWR); /* libmicrohttpd sees the end and closes it */
        c->killed = 1;
        s->num[k]++;
        memcpy(s->key[k], c->key, 16);
    }
}

static void
log_sweep(struct listener *l, const struct sweep *s)
{
    char at[64];

    if (s->num[0] > 0) {
        note(l, LC_DEADLINE, LOG_LVL_WARN,
             "closed %d connection(s) whose request took longer than %lld s (-srv_req_timeout), "
             "the last from %s",
             s->num[0], (long long)(l->req_ms / 1000), addr_text(s->key[0], at, sizeof(at)));
    }
    if (s->num[1] > 0) {
        note(l, LC_IDLE, LOG_LVL_DEBUG,
             "closed %d connection(s) that sent no request for %lld s (-srv_idle_timeout)",
             s->num[1], (long long)(l->idle_ms / 1000));
    }
    if (s->num[2] > 0) {
        note(l, LC_BUSY_IDLE, LOG_LVL_WARN,
             "more than 3/4 of -srv_max_conns in use: closed %d connection(s) that sent no "
             "request for %lld ms, the last from %s",
             s->num[2], (long long)l->busy_idle_ms, addr_text(s->key[2], at, sizeof(at)));
    }
}

static void *
watchdog_loop(void *arg)
{
    struct listener *l = arg;
    struct sweep s;

    pthread_mutex_lock(&l->mu);
    while (!l->watchdog_exit) {
        struct timespec until = deadline_in(WATCHDOG_TICK_MS);
        int64_t now;

        (void)pthread_cond_timedwait(&l->tick, &l->mu, &until);
        if (l->watchdog_exit) {
            break;
        }
        now = now_ms();
        if (l->stop_began != 0) {
            if (now - l->stop_began > STOP_GRACE_MS) {
                stop_now();
            }
            continue;
        }
        sweep_conns(l, now, &s);
        pthread_mutex_unlock(&l->mu);
        log_sweep(l, &s);
        throttle_sweep(l, now);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ---- set-up and stop ---- */

static unsigned
default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1) {
        return 1;
    }
    return n > (long)CMP_LISTENER_MAX_THREADS ? CMP_LISTENER_MAX_THREADS : (unsigned)n;
}

/*
 * fd_limit() makes room for |*max_conns| connections in RLIMIT_NOFILE,
 * raising the soft limit up to the hard one, else lowering |*max_conns|
 * with a warning. Returns the size of the descriptor table, or 0.
 */
static int
fd_limit(const struct listener *l, unsigned *max_conns)
{
    struct rlimit rl;
    /* HTTPS: the client's socket and both ends of the socketpair (tls_srv.h) */
    rlim_t per_conn = l->cfg->tls != NULL ? 3 : 1;
    rlim_t need = (rlim_t)*max_conns * per_conn + FD_RESERVE;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "%s: cannot read RLIMIT_NOFILE: %s\n", PROG, strerror(errno));
        return 0;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        if (rl.rlim_cur < FD_RESERVE + per_conn) {
            fprintf(stderr, "%s: only %llu file descriptors allowed (RLIMIT_NOFILE)\n", PROG,
                    (unsigned long long)rl.rlim_cur);
            return 0;
        }
        *max_conns = (unsigned)((rl.rlim_cur - FD_RESERVE) / per_conn);
        lst_log(l, LOG_LVL_WARN,
                "RLIMIT_NOFILE allows %llu file descriptors: serving at most %u connections",
                (unsigned long long)rl.rlim_cur, *max_conns);
    }
    return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > FD_TABLE_MAX ? FD_TABLE_MAX
                                                                      : (int)rl.rlim_cur;
}

/* check_limits() takes cfg's limits (0: the default); prints what is out of range. */
static int
check_limits(struct listener *l, const struct cmp_listener_config *cfg)
{
    unsigned req = cfg->req_timeout != 0 ? cfg->req_timeout : CMP_LISTENER_DEFAULT_REQ_TIMEOUT;
    unsigned idle = cfg->idle_timeout != 0 ? cfg->idle_timeout : CMP_LISTENER_DEFAULT_IDLE_TIMEOUT;
    unsigned fail_ms;

    l->max_conns = cfg->max_conns != 0 ? cfg->max_conns : CMP_LISTENER_DEFAULT_MAX_CONNS;
    l->per_addr = cfg->max_conns_per_addr != 0 ? cfg->max_conns_per_addr
                                               : CMP_LISTENER_DEFAULT_MAX_CONNS_PER_ADDR;
    l->lim.max_body = cfg->max_body != 0 ? cfg->max_body : CMP_LISTENER_DEFAULT_MAX_BODY;
    http_budget_init(&l->budget, cfg->body_budget != 0 ? cfg->body_budget
                                                       : CMP_LISTENER_DEFAULT_BODY_BUDGET);
    if (l->max_conns > CMP_LISTENER_MAX_CONNS_LIMIT) {
        fprintf(stderr, "%s: -srv_max_conns %u: at most %u\n", PROG, l->max_conns,
                CMP_LISTENER_MAX_CONNS_LIMIT);
        return 0;
    }
    if (req > CMP_LISTENER_MAX_TIMEOUT || idle > CMP_LISTENER_MAX_TIMEOUT) {
        fprintf(stderr, "%s: -srv_req_timeout and -srv_idle_timeout: at most %u seconds\n", PROG,
                CMP_LISTENER_MAX_TIMEOUT);
        return 0;
    }
    if (http_budget_most(&l->budget) < l->lim.max_body) {
        fprintf(stderr,
                "%s: -srv_body_budget %zu holds bodies of at most %zu bytes (bodies above %zu "
                "bytes may fill 3/4 of it): less than -srv_max_body %zu\n",
                PROG, l->budget.limit, http_budget_most(&l->budget), HTTP_REQ_SMALL_BODY,
                l->lim.max_body);
        return 0;
    }
    if (l->per_addr > l->max_conns) {
        l->per_addr = l->max_conns;
    }
    fail_ms = cfg->fail_cpu_ms != 0 ? cfg->fail_cpu_ms : CMP_LISTENER_DEFAULT_FAIL_CPU_MS;
    if (fail_ms > CMP_LISTENER_MAX_FAIL_CPU_MS) {
        fprintf(stderr, "%s: -srv_fail_cpu %u: at most %u ms per second\n", PROG, fail_ms,
                CMP_LISTENER_MAX_FAIL_CPU_MS);
        return 0;
    }
    l->thr_rate_us = (int64_t)fail_ms * 1000;
    l->thr_cap_us = l->thr_rate_us * THROTTLE_BURST_S;
    l->req_ms = (int64_t)req * 1000;
    l->idle_ms = (int64_t)idle * 1000;
    l->busy_idle_ms = BUSY_IDLE_MS;
    l->num_daemons = cfg->threads != 0 ? cfg->threads : default_threads();
    if (l->num_daemons > CMP_LISTENER_MAX_THREADS) {
        l->num_daemons = CMP_LISTENER_MAX_THREADS;
    }
    return 1;
}

/* make_tables() allocates the slots, the descriptor map and the address table. */
static int
make_tables(struct listener *l)
{
    uint32_t cap = 16;
    unsigned i;

    l->fd_cap = fd_limit(l, &l->max_conns);
    if (l->fd_cap == 0) {
        return 0;
    }
    if (l->per_addr > l->max_conns) {
        l->per_addr = l->max_conns;
    }
    while (cap < 2u * l->max_conns) {
        cap *= 2;
    }
    l->addr_mask = cap - 1;
    l->conns = calloc(l->max_conns, sizeof(*l->conns));
    l->free_slots = malloc(l->max_conns * sizeof(*l->free_slots));
    l->fd_conn = calloc((size_t)l->fd_cap, sizeof(*l->fd_conn));
    l->addrs = calloc(cap, sizeof(*l->addrs));
    l->thr = calloc(THROTTLE_MAX, sizeof(*l->thr));
    l->thr_buckets = calloc(THROTTLE_BUCKETS, sizeof(*l->thr_buckets));
    if (l->conns == NULL || l->free_slots == NULL || l->fd_conn == NULL || l->addrs == NULL ||
        l->thr == NULL || l->thr_buckets == NULL) {
        fprintf(stderr, "%s: out of memory for %u connections\n", PROG, l->max_conns);
        return 0;
    }
    for (i = 0; i < l->max_conns; i++) {
        l->conns[i].fd = -1;
        l->free_slots[i] = l->max_conns - 1 - i;
    }
    l->num_free = l->max_conns;
    for (i = 0; i < THROTTLE_MAX; i++) {
        l->thr[i].next = i + 1 < THROTTLE_MAX ? i + 2 : 0;
    }
    l->thr_free = 1;
    if (RAND_bytes((unsigned char *)l->hash_key, sizeof(l->hash_key)) != 1) {
        /* Not secret then, but the table stays correct: only slower with chosen addresses. */
        l->hash_key[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        l->hash_key[1] = (uint64_t)(uintptr_t)l;
    }
    return 1;
}

static void
free_tables(struct listener *l)
{
    unsigned i;

    /* slots libmicrohttpd never closed (handed over, not yet started, at the stop) */
    for (i = 0; l->conns != NULL && i < l->max_conns; i++) {
        X509_free(l->conns[i].tls_peer);
    }
    free(l->conns);
    free(l->free_slots);
    free(l->fd_conn);
    free(l->addrs);
    free(l->thr);
    free(l->thr_buckets);
}

/* init_sync() sets up the mutex and the condition variables (on CLOCK_MONOTONIC). */
static int
init_sync(struct listener *l)
{
    pthread_condattr_t ca;
    int ok;

    if (pthread_condattr_init(&ca) != 0) {
        return 0;
    }
    ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
         pthread_mutex_init(&l->mu, NULL) == 0;
    if (ok && pthread_mutex_init(&l->thr_mu, NULL) != 0) {
        pthread_mutex_destroy(&l->mu);
        ok = 0;
    }
    if (ok && pthread_cond_init(&l->slot_free, &ca) != 0) {
        pthread_mutex_destroy(&l->thr_mu);
        pthread_mutex_destroy(&l->mu);
        ok = 0;
    }
    if (ok && pthread_cond_init(&l->tick, &ca) != 0) {
        pthread_cond_destroy(&l->slot_free);
        pthread_mutex_destroy(&l->thr_mu);
        pthread_mutex_destroy(&l->mu);
        ok = 0;
    }
    pthread_condattr_destroy(&ca);
    return ok;
}

static void
free_sync(struct listener *l)
{
    pthread_cond_destroy(&l->tick);
    pthread_cond_destroy(&l->slot_free);
    pthread_mutex_destroy(&l->thr_mu);
    pthread_mutex_destroy(&l->mu);
}

/* stop_daemons() stops the first |num| daemons (closing their connections). */
static void
stop_daemons(struct listener *l, unsigned num)
{
    unsigned i;

    for (i = 0; i < num; i++) {
        mhd.stop_daemon(l->d[i]);
    }
}

/* start_daemons() starts the daemons, one thread each, without listening sockets. */
static int
start_daemons(struct listener *l)
{
    /* libmicrohttpd's own timeout (restarted by every byte) only backs up the watchdog. */
    unsigned backstop = (unsigned)((l->req_ms + l->idle_ms) / 1000) + 1;
    unsigned i;

    for (i = 0; i < l->num_daemons; i++) {
        l->d[i] = mhd.start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
            0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
            MHD_OPTION_CONNECTION_LIMIT, MHD_UNREACHED_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            MHD_POOL_SIZE, MHD_OPTION_CONNECTION_TIMEOUT,
            backstop, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, l, MHD_OPTION_URI_LOG_CALLBACK, on_uri,
            l, MHD_OPTION_END);
        if (l->d[i] == NULL) {
            stop_daemons(l, i);
            return 0;
        }
    }
    return 1;
}

/* wait_for_stop() blocks until SIGINT/SIGTERM or -max_msgs; the signals are blocked already. */
static void
wait_for_stop(struct listener *l, const sigset_t *set)
{
    struct timespec ts = {0, 200 * 1000 * 1000};
    siginfo_t info;
    int sig;

    while (!atomic_load(&l->done)) {
        sig = sigtimedwait(set, &info, &ts);
        if (sig == SIGINT || sig == SIGTERM) {
            lst_log(l, LOG_LVL_INFO, "stopping on signal %d", sig);
            return;
        }
    }
    lst_log(l, LOG_LVL_INFO, "stopping after %d messages (-max_msgs)", l->cfg->max_msgs);
}

/* drain_signals() takes what is pending of |set|, so that unblocking it kills nobody. */
static void
drain_signals(const sigset_t *set)
{
    struct timespec zero = {0, 0};
    siginfo_t info;

    while (sigtimedwait(set, &info, &zero) > 0) {
        continue;
    }
}

/* serve() runs the threads until a stop is asked for; |l| is set up and listening. */
static int
serve(struct listener *l, const sigset_t *set)
{
    pthread_t acceptor, watchdog;
    int ret = 1;

    if (!start_daemons(l)) {
        fprintf(stderr, "%s: -port %s: cannot start the HTTP server\n", PROG, l->cfg->port);
        return 1;
    }
    if (pthread_create(&watchdog, NULL, watchdog_loop, l) != 0) {
        fprintf(stderr, "%s: cannot start the watchdog thread\n", PROG);
        stop_daemons(l, l->num_daemons);
        return 1;
    }
    if (pthread_create(&acceptor, NULL, accept_loop, l) != 0) {
        fprintf(stderr, "%s: cannot start the acceptor thread\n", PROG);
    } else {
        if (!print_accept(l->lfd)) {
            fprintf(stderr, "%s: cannot report the listening address: %s\n", PROG,
                    strerror(errno));
        } else {
            wait_for_stop(l, set);
            ret = 0;
        }
        /* From here the watchdog ends the process if the rest takes over STOP_GRACE_MS. */
        pthread_mutex_lock(&l->mu);
        l->stop_began = now_ms();
        pthread_cond_signal(&l->slot_free);
        pthread_mutex_unlock(&l->mu);
        atomic_store(&l->stopping, 1);
        (void)shutdown(l->lfd, SHUT_RDWR); /* wakes the acceptor from accept() */
        (void)pthread_join(acceptor, NULL);
    }
    stop_daemons(l, l->num_daemons);
    wait_for_pumps(l);
    pthread_mutex_lock(&l->mu);
    l->watchdog_exit = 1;
    pthread_cond_signal(&l->tick);
    pthread_mutex_unlock(&l->mu);
    (void)pthread_join(watchdog, NULL);
    return ret;
}

int
cmp_listener_run(const struct cmp_listener_config *cfg)
{
    struct listener *l;
    sigset_t set, old;
    int ret = 1, i;

    if (!mhd_load()) {
        return 1;
    }
    l = calloc(1, sizeof(*l));
    if (l == NULL) {
        fprintf(stderr, "%s: out of memory\n", PROG);
        return 1;
    }
    l->cfg = cfg;
    l->lfd = -1;
    l->main_thread = pthread_self();
    atomic_init(&l->reserved, 0);
    atomic_init(&l->answered, 0);
    atomic_init(&l->done, 0);
    atomic_init(&l->stopping, 0);
    atomic_init(&l->pumps, 0);
    for (i = 0; i < LC_NUM; i++) {
        atomic_init(&l->rl[i].next, 0);
        atomic_init(&l->rl[i].skipped, 0);
    }
    if (cfg->path != NULL) {
        l->lim.extra_path = http_req_norm_path(cfg->path, &l->lim.extra_len);
    }
    if (!check_limits(l, cfg) || !make_tables(l)) {
        free_tables(l);
        free(l);
        return 1;
    }
    if (!init_sync(l)) {
        fprintf(stderr, "%s: cannot set up the listener's locks\n", PROG);
        free_tables(l);
        free(l);
        return 1;
    }

    /* Signals are taken by the main thread alone: block them before any thread starts. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0) {
        fprintf(stderr, "%s: cannot block signals\n", PROG);
    } else {
        (void)signal(SIGPIPE, SIG_IGN);
        if (open_listen_socket(cfg->port, &l->lfd)) {
            ret = serve(l, &set);
            close(l->lfd);
        }
        drain_signals(&set);
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    free_sync(l);
    free_tables(l);
    free(l);
    return ret;
}
