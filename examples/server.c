/*
 * server: the cmpkit server engine behind an HTTP server of your own.
 *
 *   server -port 8080 -srv_ref REF -srv_secret pass:1234 \
 *          -srv_cert server.crt -srv_key server.key -srv_trusted root.crt \
 *          -rsp_cert ee.crt
 *
 * The engine (cmpkit/server.h) knows nothing about sockets or HTTP: one call,
 * cmp_srv_handle(), turns the bytes of a request into the bytes of the
 * response, and it keeps the open transactions (ir, then certConf...)
 * between calls. Whatever receives the HTTP POST (a web server module, a
 * framework, this loop) collects the body, hands it over and sends the
 * answer back as application/pkixcmp (RFC 9811 3).
 *
 * The HTTP side here is the smallest that works with CMP clients: one
 * thread, 127.0.0.1 only, one request per connection (Connection: close),
 * a Content-Length body of at most 1 MiB, 10 s to send it. It answers what
 * the engine says until SIGINT or SIGTERM, or -max_requests. A real server
 * would run cmp_srv_handle() on many threads at once, which the engine
 * allows.
 *
 * The options are those of the `openssl cmp` mock server; the engine issues
 * the -rsp_cert certificate to every enrollment (a CA comes later).
 * -port 0 picks a free port. The first line on standard output is
 * "listening on 127.0.0.1:PORT"; log lines go to standard error.
 *
 * Build:  cc -o server server.c common.c $(pkg-config --cflags --libs cmpkit)
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, strncasecmp */

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include <cmpkit/load.h>
#include <cmpkit/server.h>

#include "common.h"

#define MAX_HEAD 8192         /* request line and headers */
#define MAX_BODY (1u << 20)   /* the largest request we read */
#define IO_TIMEOUT_S 10       /* for a client to send its request */

static const char *const names[] = {"port",        "srv_ref", "srv_secret", "srv_cert", "srv_key",
                                    "srv_trusted", "rsp_cert", "max_requests", NULL};

static volatile sig_atomic_t g_stop;

static void
on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void
log_to_stderr(void *arg, int level, const char *line)
{
    (void)arg;
    (void)level;
    fprintf(stderr, "%s: %s\n", g_prog, line);
}

/* ---- the engine ---- */

/*
 * The engine from the options. cmp_srv_new() copies the secret and takes its
 * own references, so everything loaded here is freed before returning.
 */
static struct cmp_srv *
engine_new(const struct args *a)
{
    struct cmp_srv_config cfg;
    struct cmp_srv *srv = NULL;
    struct cmp_err err;
    char *secret = NULL;
    const char *v;

    cmp_err_init(&err);
    cmp_srv_config_init(&cfg); /* the mock's defaults; a zeroed struct is not the same */
    cfg.ref = args_get(a, "srv_ref");
    cfg.log = log_to_stderr;
    cfg.verbosity = CMP_SRV_LOG_INFO;

    if ((v = args_get(a, "srv_secret")) != NULL) {
        if (!cmp_load_pass(&secret, v, "-srv_secret", &err)) {
            goto done;
        }
        cfg.secret = (const uint8_t *)secret;
        cfg.secret_len = strlen(secret);
    }
    if ((v = args_get(a, "srv_cert")) != NULL &&
        (cfg.cert = cmp_load_one_cert(v, NULL, "-srv_cert", &err)) == NULL) {
        goto done;
    }
    if ((v = args_get(a, "srv_key")) != NULL &&
        (cfg.key = cmp_load_private_key(v, CMP_LOAD_FORMAT_ANY, NULL, "-srv_key", &err)) ==
            NULL) {
        goto done;
    }
    if ((v = args_get(a, "srv_trusted")) != NULL &&
        (cfg.trusted = cmp_load_trust_store(v, NULL, NULL, "-srv_trusted", &err)) == NULL) {
        goto done;
    }
    if ((v = args_get(a, "rsp_cert")) != NULL &&
        (cfg.rsp_cert = cmp_load_one_cert(v, NULL, "-rsp_cert", &err)) == NULL) {
        goto done;
    }
    /* Checks the options as openssl cmp does (a key with its certificate...). */
    srv = cmp_srv_new(&cfg, &err);

done:
    if (srv == NULL) {
        report("cannot start the CMP engine", &err);
    }
    cmp_load_pass_free(secret);
    X509_free(cfg.cert);
    EVP_PKEY_free(cfg.key);
    X509_STORE_free(cfg.trusted);
    X509_free(cfg.rsp_cert);
    return srv;
}

/* ---- HTTP, just enough ---- */

static int
write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return 0;
        }
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

static void
send_status(int fd, int code, const char *reason)
{
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code,
                     reason);

    (void)write_all(fd, head, (size_t)n);
}

static void
send_cmp(int fd, const uint8_t *der, size_t len)
{
    char head[160];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     len);

    (void)(write_all(fd, head, (size_t)n) && write_all(fd, der, len));
}

/*
 * The value of header |name| in |head| (NUL-terminated, lines ending in
 * CRLF), copied to |out|; 0 if absent or too long.
 */
static int
header_value(const char *head, const char *name, char *out, size_t out_len)
{
    size_t name_len = strlen(name);
    const char *line = strstr(head, "\r\n");

    while (line != NULL && line[2] != '\0') {
        const char *start = line + 2, *end = strstr(start, "\r\n");
        size_t len;

        if (end == NULL) {
            return 0;
        }
        if ((size_t)(end - start) > name_len && start[name_len] == ':' &&
            strncasecmp(start, name, name_len) == 0) {
            start += name_len + 1;
            while (*start == ' ' || *start == '\t') {
                start++;
            }
            len = (size_t)(end - start);
            while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t')) {
                len--;
            }
            if (len >= out_len) {
                return 0;
            }
            memcpy(out, start, len);
            out[len] = '\0';
            return 1;
        }
        line = end;
    }
    return 0;
}

/* Content-Length: 1 and |*out| set, 0 missing or not a number, -1 above MAX_BODY. */
static int
body_length(const char *head, size_t *out)
{
    char v[32];
    size_t n = 0;
    const char *p;

    if (!header_value(head, "Content-Length", v, sizeof(v)) || v[0] == '\0') {
        return 0;
    }
    for (p = v; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
        n = n * 10 + (size_t)(*p - '0');
        if (n > MAX_BODY) {
            return -1; /* also stops n from overflowing */
        }
    }
    *out = n;
    return 1;
}

/*
 * Reads one request from |fd| and answers it. The body goes to the engine
 * as it is: the engine checks it (size, DER, protection) and answers a bad
 * one with a CMP error message, so HTTP only needs to get the bytes right.
 */
static void
serve_one(struct cmp_srv *srv, int fd)
{
    char head[MAX_HEAD + 1], ctype[64];
    uint8_t *body = NULL, *rsp = NULL;
    size_t got = 0, head_len, body_len, rsp_len;
    char *end = NULL;

    while (end == NULL) {
        ssize_t n;

        if (got == MAX_HEAD) {
            send_status(fd, 431, "Request Header Fields Too Large");
            return;
        }
        n = read(fd, head + got, MAX_HEAD - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return; /* closed, or the IO_TIMEOUT_S timeout */
        }
        got += (size_t)n;
        head[got] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    head_len = (size_t)(end - head) + 4;
    end[2] = '\0'; /* the head, with its last CRLF; the body may follow */

    if (strncmp(head, "POST ", 5) != 0) {
        send_status(fd, 405, "Method Not Allowed");
        return;
    }
    if (!header_value(head, "Content-Type", ctype, sizeof(ctype)) ||
        strcasecmp(ctype, "application/pkixcmp") != 0) {
        send_status(fd, 415, "Unsupported Media Type");
        return;
    }
    switch (body_length(head, &body_len)) {
    case 1:
        break;
    case -1:
        send_status(fd, 413, "Content Too Large");
        return;
    default:
        send_status(fd, 411, "Length Required");
        return;
    }
    body = malloc(body_len + 1); /* never malloc(0) */
    if (body == NULL) {
        send_status(fd, 500, "Internal Server Error");
        return;
    }
    /* What came with the head, then the rest. */
    got -= head_len;
    if (got > body_len) {
        got = body_len;
    }
    memcpy(body, head + head_len, got);
    while (got < body_len) {
        ssize_t n = read(fd, body + got, body_len - got);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            free(body);
            return;
        }
        got += (size_t)n;
    }

    /* The one call into cmpkit: request bytes in, response bytes out. */
    if (cmp_srv_handle(srv, body, body_len, &rsp, &rsp_len)) {
        send_cmp(fd, rsp, rsp_len);
    } else {
        send_status(fd, 500, "Internal Server Error"); /* out of memory */
    }
    free(rsp);
    free(body);
}

static int
listen_on(int port)
{
    struct sockaddr_in sa;
    socklen_t sa_len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sa_len) != 0) {
        fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d: %s\n", g_prog, port,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    printf("listening on 127.0.0.1:%d\n", ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

int
main(int argc, char **argv)
{
    struct args a;
    struct cmp_srv *srv;
    struct sigaction sa;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    int lfd, max_requests, served = 0;

    if (!args_init(&a, argc, argv, names,
                   "[-port N] [-srv_ref REF] [-srv_secret SRC] [-srv_cert FILE -srv_key FILE]\n"
                   "       [-srv_trusted FILE] -rsp_cert FILE [-max_requests N]")) {
        return 1;
    }
    max_requests = args_int(&a, "max_requests", 0, 0, 1000000);
    srv = engine_new(&a);
    if (srv == NULL) {
        return 1;
    }
    lfd = listen_on(args_int(&a, "port", 0, 0, 65535));
    if (lfd < 0) {
        cmp_srv_free(srv);
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN; /* a client that goes away must not end the server */
    sigaction(SIGPIPE, &sa, NULL);

    while (!g_stop && (max_requests == 0 || served < max_requests)) {
        struct pollfd p = {lfd, POLLIN, 0};
        int fd;

        /* Wake up now and then to see g_stop, whatever the signal interrupted. */
        if (poll(&p, 1, 500) <= 0) {
            continue;
        }
        fd = accept(lfd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        serve_one(srv, fd);
        close(fd);
        served++;
    }
    close(lfd);
    cmp_srv_free(srv); /* open transactions too */
    fprintf(stderr, "%s: stopped after %d requests\n", g_prog, served);
    return 0;
}
