/*
 * The HTTP listener (the only file that includes <microhttpd.h>).
 *
 * As the `openssl cmp` 3.0 mock server: POST on "/" or "/pkix/" (404 for
 * other paths; also -path if given; extra leading and trailing slashes do
 * not count), the body is a DER PKIMessage, the answer is
 * "application/pkixcmp". Listens on all addresses, IPv6 and IPv4
 * through one dual-stack socket where the system has IPv6, and prints
 * "ACCEPT [::]:PORT PID=n" (or "ACCEPT 0.0.0.0:PORT PID=n") on stdout once
 * it does. "-port host:port" binds that one address.
 *
 * Beyond openssl's: keep-alive for HTTP/1.0 and 1.1, one thread per core
 * (connections handed to them in turn, at most MAX_CONNECTIONS), 405 (with Allow: POST) for other
 * methods, 415 for other content types, 413 for a body above the cap (decided from Content-Length
 * when there is one, else while reading), TCP_NODELAY on accepted connections, and a clean stop on
 * SIGINT and SIGTERM.
 *
 * Nothing is written to stdout after the ACCEPT line (a harness may have
 * stopped reading it): log lines go to stderr.
 *
 * libmicrohttpd is dlopen()ed when the listener starts, not linked: it pulls
 * in gnutls, nettle, gmp, p11-kit and more, and loading them dominated the
 * start-up time and memory of the client mode, which never serves HTTP.
 * <microhttpd.h> is still included for its types and constants.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "listener.h"
#include "opts.h"

#define CONTENT_TYPE "application/pkixcmp"
#define IDLE_TIMEOUT_S 120  /* an idle connection is closed after this */
#define MAX_THREADS 64      /* serving connections */
#define MAX_CONNECTIONS 512 /* open at once (MHD closes one more at once) */
#define HTTP_TOO_LARGE 413  /* MHD renamed its constant between versions */
/* A body above the cap is read (and dropped) up to this many times the cap, then cut. */
#define DRAIN_FACTOR 16

struct listener {
    const struct cmp_listener_config *cfg;
    size_t max_body;
    const char *extra_path; /* -path, normalized (norm_path()), or NULL */
    size_t extra_len;
    pthread_t main_thread;
    atomic_int reserved; /* CMP requests admitted (for -max_msgs) */
    atomic_int answered; /* of those, fully answered */
    atomic_int done;     /* -max_msgs reached */
};

/* The state of one request, kept by MHD between calls. */
struct req_state {
    int status;   /* 0 so far so good, else the HTTP status to answer */
    int admitted; /* counted against -max_msgs */
    uint8_t *buf;
    size_t len, cap;
    size_t dropped;      /* body bytes read after the cap */
    int expect_continue; /* the client waits for "100 Continue" before the body */
    int huge;            /* Content-Length above DRAIN_FACTOR times the cap */
    int get_crl;         /* GET /crl (answer_crl()) */
};

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

/* ---- logging ---- */

static void lst_log(const struct listener *l, int level, const char *fmt, ...) CMP_PRINTF(3, 4);

static void
lst_log(const struct listener *l, int level, const char *fmt, ...)
{
    va_list ap;

    if (level > l->cfg->verbosity) {
        return;
    }
    flockfile(stderr);
    fprintf(stderr, "%s: ", PROG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    funlockfile(stderr);
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

static int
prepare_socket(int fd)
{
    int one = 1, flags;

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
        return 0;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        return 0;
    }
    return 1;
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

/* ---- requests ---- */

static const char *
status_text(int status)
{
    switch (status) {
    case MHD_HTTP_NOT_FOUND:
        return "404 Not Found\n";
    case MHD_HTTP_METHOD_NOT_ALLOWED:
        return "405 Method Not Allowed\n";
    case HTTP_TOO_LARGE:
        return "413 Payload Too Large\n";
    case MHD_HTTP_UNSUPPORTED_MEDIA_TYPE:
        return "415 Unsupported Media Type: expected " CONTENT_TYPE "\n";
    case MHD_HTTP_SERVICE_UNAVAILABLE:
        return "503 Service Unavailable\n";
    default:
        return "500 Internal Server Error\n";
    }
}

static enum MHD_Result
send_status(struct MHD_Connection *conn, int status)
{
    const char *text = status_text(status);
    struct MHD_Response *rsp;
    enum MHD_Result ret;

    rsp = mhd.create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (rsp == NULL) {
        return MHD_NO;
    }
    if (mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES ||
        (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
         mhd.add_response_header(rsp, MHD_HTTP_HEADER_ALLOW, "POST") != MHD_YES)) {
        mhd.destroy_response(rsp);
        return MHD_NO;
    }
    ret = mhd.queue_response(conn, (unsigned)status, rsp);
    mhd.destroy_response(rsp);
    return ret;
}

/*
 * norm_path(): as openssl's HTTP server, leading slashes and repeated
 * trailing ones do not count ("/pkix/////" is "pkix/"). Returns the start and
 * |*len| of what counts.
 */
static const char *
norm_path(const char *p, size_t *len)
{
    size_t n;

    while (*p == '/') {
        p++;
    }
    n = strlen(p);
    while (n >= 2 && p[n - 1] == '/' && p[n - 2] == '/') {
        n--;
    }
    *len = n;
    return p;
}

/* path_ok(): the path is empty, "pkix/" or -path's. */
static int
path_ok(const struct listener *l, const char *url)
{
    size_t n;
    const char *p = norm_path(url, &n);

    return n == 0 || (n == 5 && memcmp(p, "pkix/", 5) == 0) ||
           (l->extra_path != NULL && n == l->extra_len && memcmp(p, l->extra_path, n) == 0);
}

/* content_type_ok(): the media type, without parameters and blanks, is ours. */
static int
content_type_ok(const char *ct)
{
    size_t n = sizeof(CONTENT_TYPE) - 1;

    if (ct == NULL) {
        return 0;
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    if (strncasecmp(ct, CONTENT_TYPE, n) != 0) {
        return 0;
    }
    ct += n;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

/* declared_length(): Content-Length as a number, or 0 with |*have| 0 if absent. */
static unsigned long long
declared_length(struct MHD_Connection *conn, int *have)
{
    const char *s =
        mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    unsigned long long v = 0;

    *have = 0;
    if (s == NULL) {
        return 0;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (~0ULL - 9) / 10) {
            v = ~0ULL; /* saturate: too large anyway */
            break;
        }
        v = v * 10 + (unsigned long long)(*s - '0');
    }
    *have = 1;
    return v;
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
        lst_log(l, LOG_LVL_ERR, "could not answer GET %s: no CRL", CRL_PATH);
        return send_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR);
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

/* begin_request() looks at the request line and headers; sets st->status on a problem. */
static void
begin_request(struct listener *l, struct MHD_Connection *conn, struct req_state *st,
              const char *url, const char *method, const char *version)
{
    char m[16], u[256], v[16];
    unsigned long long clen;
    int have_len;

    lst_log(l, LOG_LVL_INFO, "Received request, 1st line: %s %s %s",
            printable(m, sizeof(m), method), printable(u, sizeof(u), url),
            printable(v, sizeof(v), version));
    if (is_crl_get(l, method, url)) {
        st->get_crl = 1;
        return;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
        st->status = MHD_HTTP_METHOD_NOT_ALLOWED;
        return;
    }
    if (!path_ok(l, url)) {
        lst_log(l, LOG_LVL_ERR, "expecting empty path or 'pkix/' but got '%s'",
                printable(u, sizeof(u), url));
        st->status = MHD_HTTP_NOT_FOUND;
        return;
    }
    if (!content_type_ok(
            mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        st->status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
        return;
    }
    clen = declared_length(conn, &have_len);
    if (have_len && clen > l->max_body) {
        const char *expect =
            mhd.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);

        lst_log(l, LOG_LVL_WARN, "refusing a request of %llu bytes (at most %zu)", clen,
                l->max_body);
        st->status = HTTP_TOO_LARGE;
        st->expect_continue = expect != NULL && strcasecmp(expect, "100-continue") == 0;
        st->huge = clen > DRAIN_FACTOR * (unsigned long long)l->max_body;
    }
}

/* take_body() appends a piece of the body, growing the buffer up to the cap. */
static int
take_body(struct listener *l, struct req_state *st, const char *data, size_t n)
{
    if (st->status != 0) {
        st->dropped += n;
        return st->dropped <= DRAIN_FACTOR * l->max_body;
    }
    if (n > l->max_body - st->len) {
        lst_log(l, LOG_LVL_WARN, "refusing a request of more than %zu bytes", l->max_body);
        free(st->buf);
        st->buf = NULL;
        st->len = st->cap = 0;
        st->status = HTTP_TOO_LARGE;
        st->dropped = n;
        return 1;
    }
    if (st->len + n > st->cap) {
        size_t cap = st->cap != 0 ? st->cap : 4096;
        uint8_t *p;

        while (cap < st->len + n) {
            cap = cap > l->max_body / 2 ? l->max_body : cap * 2;
        }
        p = realloc(st->buf, cap);
        if (p == NULL) {
            return 0;
        }
        st->buf = p;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, data, n);
    st->len += n;
    return 1;
}

/* answer() hands a complete body to the handler and queues its response. */
static enum MHD_Result
answer(struct listener *l, struct MHD_Connection *conn, struct req_state *st)
{
    struct MHD_Response *rsp;
    enum MHD_Result ret;
    uint8_t *out = NULL;
    size_t out_len = 0;
    int n;

    if (l->cfg->max_msgs > 0) {
        n = atomic_fetch_add(&l->reserved, 1);
        if (n >= l->cfg->max_msgs) {
            return send_status(conn, MHD_HTTP_SERVICE_UNAVAILABLE);
        }
        st->admitted = 1;
    }
    if (!l->cfg->handle(l->cfg->handle_arg, st->buf, st->len, &out, &out_len) || out == NULL) {
        free(out);
        lst_log(l, LOG_LVL_ERR, "could not answer a request: internal error");
        return send_status(conn, MHD_HTTP_INTERNAL_SERVER_ERROR);
    }
    rsp = mhd.create_response_from_buffer(out_len, out, MHD_RESPMEM_MUST_FREE);
    if (rsp == NULL) {
        free(out);
        return MHD_NO;
    }
    if (mhd.add_response_header(rsp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE) != MHD_YES) {
        mhd.destroy_response(rsp);
        return MHD_NO;
    }
    ret = mhd.queue_response(conn, MHD_HTTP_OK, rsp);
    mhd.destroy_response(rsp);
    return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    struct listener *l = cls;
    struct req_state *st = *con_cls;

    if (st == NULL) {
        st = calloc(1, sizeof(*st));
        if (st == NULL) {
            return MHD_NO;
        }
        *con_cls = st;
        begin_request(l, conn, st, url, method, version);
        /*
         * A declared size above the cap is refused before the body is read
         * when the client waits for "100 Continue" or the body is very large
         * (MHD then closes the connection after the answer). Otherwise the
         * body is read and dropped, so that the client, which may be busy
         * sending it, gets the answer and may keep the connection.
         */
        if (st->status == HTTP_TOO_LARGE && (st->expect_continue || st->huge)) {
            return send_status(conn, st->status);
        }
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (!take_body(l, st, upload_data, *upload_data_size)) {
            return MHD_NO; /* out of memory, or far too much: cut the connection */
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->status != 0) {
        return send_status(conn, st->status);
    }
    if (st->get_crl) {
        return answer_crl(l, conn);
    }
    return answer(l, conn, st);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct listener *l = cls;
    struct req_state *st = *con_cls;

    (void)conn;
    (void)toe;
    if (st == NULL) {
        return;
    }
    if (st->admitted && atomic_fetch_add(&l->answered, 1) + 1 >= l->cfg->max_msgs) {
        atomic_store(&l->done, 1);
        pthread_kill(l->main_thread, SIGUSR1); /* wake up the main thread */
    }
    free(st->buf);
    free(st);
    *con_cls = NULL;
}

/* Requests go out at once: openssl cmp 3.0 loses ~40 ms a message to Nagle and delayed ACKs. */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
              enum MHD_ConnectionNotificationCode toe)
{
    const union MHD_ConnectionInfo *ci;
    int one = 1;

    (void)cls;
    (void)socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_STARTED) {
        return;
    }
    ci = mhd.get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL) {
        (void)setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
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

/* ---- spreading connections over the threads ---- */

/*
 * MHD's thread pool lets each thread accept from the listening socket, and
 * one thread often takes a whole burst of connections, so that keep-alive
 * clients all end up on one core (measured on 2 cores, 16 clients: 2379 vs
 * 3823 txn/s). Instead one acceptor thread hands the connections round
 * robin to |num| daemons of one thread each, which serve them.
 */
struct acceptor {
    struct listener *l;
    int fd;      /* listening */
    int wake[2]; /* a pipe: a byte on it stops the acceptor */
    struct MHD_Daemon **d;
    unsigned num;
};

static int
set_cloexec(int fd)
{
    return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

static void
pause_briefly(void)
{
    struct timespec ts = {0, 10 * 1000 * 1000};

    (void)nanosleep(&ts, NULL);
}

static void *
accept_loop(void *arg)
{
    struct acceptor *a = arg;
    struct pollfd pfd[2];
    unsigned next = 0;

    pfd[0].fd = a->fd;
    pfd[0].events = POLLIN;
    pfd[1].fd = a->wake[0];
    pfd[1].events = POLLIN;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int c;

        pfd[0].revents = pfd[1].revents = 0;
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            lst_log(a->l, LOG_LVL_ERR, "poll on the listening socket: %s", strerror(errno));
            pause_briefly();
            continue;
        }
        if (pfd[1].revents != 0) {
            return NULL;
        }
        c = accept(a->fd, (struct sockaddr *)&ss, &len);
        if (c < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Out of descriptors: wait for connections to close rather than spin. */
                lst_log(a->l, LOG_LVL_WARN, "cannot accept a connection: %s", strerror(errno));
                pause_briefly();
            }
            continue; /* EAGAIN, ECONNABORTED, EINTR, ... */
        }
        if (!set_cloexec(c)) {
            close(c);
            continue;
        }
        /* MHD closes the socket if it cannot take it (over its connection limit). */
        if (mhd.add_connection(a->d[next], c, (struct sockaddr *)&ss, len) != MHD_YES) {
            lst_log(a->l, LOG_LVL_DEBUG, "HTTP: connection refused: %s", strerror(errno));
        }
        next = next + 1 < a->num ? next + 1 : 0;
    }
}

static unsigned
default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1) {
        return 1;
    }
    return n > MAX_THREADS ? MAX_THREADS : (unsigned)n;
}

/* stop_daemons() stops the first |num| daemons of |a| (closing their connections). */
static void
stop_daemons(struct acceptor *a, unsigned num)
{
    unsigned i;

    for (i = 0; i < num; i++) {
        mhd.stop_daemon(a->d[i]);
    }
}

/* start_daemons() starts a->num daemons without listening sockets; prints its error. */
static int
start_daemons(struct acceptor *a)
{
    unsigned i, limit = MAX_CONNECTIONS / a->num;

    for (i = 0; i < a->num; i++) {
        a->d[i] = mhd.start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
            0, NULL, NULL, on_request, a->l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, a->l,
            MHD_OPTION_CONNECTION_LIMIT, limit > 0 ? limit : 1u, MHD_OPTION_CONNECTION_TIMEOUT,
            (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed, a->l,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, a->l, MHD_OPTION_END);
        if (a->d[i] == NULL) {
            stop_daemons(a, i);
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

int
cmp_listener_run(const struct cmp_listener_config *cfg)
{
    struct listener l;
    struct MHD_Daemon *d[MAX_THREADS];
    struct acceptor a;
    pthread_t acceptor;
    sigset_t set, old;
    int fd = -1, ret = 1;

    if (!mhd_load()) {
        return 1;
    }
    memset(&l, 0, sizeof(l));
    l.cfg = cfg;
    l.max_body = cfg->max_body != 0 ? cfg->max_body : CMP_LISTENER_DEFAULT_MAX_BODY;
    l.main_thread = pthread_self();
    atomic_init(&l.reserved, 0);
    atomic_init(&l.answered, 0);
    atomic_init(&l.done, 0);
    if (cfg->path != NULL) {
        l.extra_path = norm_path(cfg->path, &l.extra_len);
    }

    /* Signals are taken by the main thread alone: block them before any thread starts. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    if (pthread_sigmask(SIG_BLOCK, &set, &old) != 0) {
        fprintf(stderr, "%s: cannot block signals\n", PROG);
        return 1;
    }
    (void)signal(SIGPIPE, SIG_IGN);

    if (!open_listen_socket(cfg->port, &fd)) {
        goto end;
    }
    memset(&a, 0, sizeof(a));
    a.l = &l;
    a.fd = fd;
    a.num = cfg->threads != 0 ? cfg->threads : default_threads();
    a.num = a.num > MAX_THREADS ? MAX_THREADS : a.num;
    a.d = d;
    if (pipe(a.wake) != 0) {
        fprintf(stderr, "%s: cannot make a pipe: %s\n", PROG, strerror(errno));
        close(fd);
        goto end;
    }
    if (!set_cloexec(a.wake[0]) || !set_cloexec(a.wake[1])) {
        fprintf(stderr, "%s: cannot set up a pipe: %s\n", PROG, strerror(errno));
        goto close_all;
    }
    if (!start_daemons(&a)) {
        fprintf(stderr, "%s: -port %s: cannot start the HTTP server\n", PROG, cfg->port);
        goto close_all;
    }
    if (pthread_create(&acceptor, NULL, accept_loop, &a) != 0) {
        fprintf(stderr, "%s: cannot start the acceptor thread\n", PROG);
        stop_daemons(&a, a.num);
        goto close_all;
    }
    if (!print_accept(fd)) {
        fprintf(stderr, "%s: cannot report the listening address: %s\n", PROG, strerror(errno));
    } else {
        wait_for_stop(&l, &set);
        ret = 0;
    }
    while (write(a.wake[1], "x", 1) < 0 && errno == EINTR) {
        continue;
    }
    (void)pthread_join(acceptor, NULL);
    stop_daemons(&a, a.num);
close_all:
    close(a.wake[0]);
    close(a.wake[1]);
    close(fd);
end:
    drain_signals(&set);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ret;
}
