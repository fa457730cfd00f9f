/*
 * Unit tests for lib/transfer/http_plain.c, the built-in HTTP/1.1 client,
 * against a scripted server thread on 127.0.0.1: the request's bytes,
 * connection reuse (-keep_alive 0/1/2), the retry of a kept connection the
 * server closed, no retry on a fresh one, and the timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "cmpkit/transfer.h"

enum mode {
    M_KEEP,     /* answer every request, keep the connection */
    M_DROP,     /* answer, then close without saying so */
    M_SILENT,   /* read the request, close without answering */
    M_STALL,    /* read the request, never answer */
    M_CLOSE_HDR /* answer with Connection: close, then close */
};

struct srv {
    int lfd, port;
    enum mode mode;
    int stop;
    int accepts, requests;
    char last[4096];
    size_t last_len;
    pthread_t th;
    pthread_mutex_t mu;
};

/* Reads one request (head and Content-Length body); 0 at the end of the connection. */
static int
read_request(struct srv *s, int fd)
{
    char buf[4096];
    size_t len = 0;
    char *end = NULL;

    while (end == NULL) {
        ssize_t k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

        if (k <= 0) {
            return 0;
        }
        len += (size_t)k;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end == NULL && len == sizeof(buf) - 1) {
            return 0;
        }
    }
    {
        const char *cl = strstr(buf, "Content-Length: ");
        size_t body = cl != NULL ? strtoul(cl + 16, NULL, 10) : 0;
        size_t want = (size_t)(end + 4 - buf) + body;

        while (len < want && len < sizeof(buf) - 1) {
            ssize_t k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);

            if (k <= 0) {
                return 0;
            }
            len += (size_t)k;
        }
    }
    pthread_mutex_lock(&s->mu);
    memcpy(s->last, buf, len);
    s->last_len = len;
    s->requests++;
    pthread_mutex_unlock(&s->mu);
    return 1;
}

static void
answer(int fd, int close_hdr)
{
    char rsp[256];
    int n = snprintf(rsp, sizeof(rsp),
                     "HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\n"
                     "Content-Length: 2\r\n%s\r\n\x30",
                     close_hdr ? "Connection: close\r\n" : "");

    (void)!send(fd, rsp, (size_t)n, MSG_NOSIGNAL);
    (void)!send(fd, "\0", 1, MSG_NOSIGNAL); /* the second byte of 30 00 */
}

static void *
serve(void *arg)
{
    struct srv *s = arg;

    while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
        struct pollfd p = {.fd = s->lfd, .events = POLLIN};
        int fd;

        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) {
            continue;
        }
        pthread_mutex_lock(&s->mu);
        s->accepts++;
        pthread_mutex_unlock(&s->mu);
        while (read_request(s, fd)) {
            if (s->mode == M_SILENT) {
                break;
            }
            if (s->mode == M_STALL) {
                char c;

                while (recv(fd, &c, 1, 0) > 0) {
                }
                break;
            }
            answer(fd, s->mode == M_CLOSE_HDR);
            if (s->mode != M_KEEP) {
                break;
            }
        }
        close(fd);
    }
    return NULL;
}

static int
srv_start(struct srv *s, enum mode mode)
{
    struct sockaddr_in a;
    socklen_t al = sizeof(a);

    memset(s, 0, sizeof(*s));
    s->mode = mode;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->lfd, 8) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0) {
        return 0;
    }
    s->port = ntohs(a.sin_port);
    return pthread_create(&s->th, NULL, serve, s) == 0;
}

static void
srv_stop(struct srv *s)
{
    __atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(s->th, NULL);
    close(s->lfd);
    pthread_mutex_destroy(&s->mu);
}

static struct cmp_transfer *
client(const struct srv *s, int keep_alive)
{
    struct cmp_http_opts o;
    struct cmp_err err;
    char url[64];
    struct cmp_transfer *t;

    snprintf(url, sizeof(url), "127.0.0.1:%d/pkix/", s->port);
    memset(&o, 0, sizeof(o));
    o.server = url;
    o.proxy = ""; /* none, whatever the environment says */
    o.no_proxy = "";
    o.keep_alive = keep_alive;
    cmp_err_init(&err);
    t = cmp_transfer_http_new(&o, &err);
    if (t == NULL) {
        fprintf(stderr, "cmp_transfer_http_new: %s\n", err.msg);
    }
    return t;
}

/* One exchange of a 3-byte request; 1 if the response was 30 00. */
static int
exchange(struct cmp_transfer *t, int64_t timeout_ms, struct cmp_err *err)
{
    static const uint8_t req[] = {0x30, 0x01, 0x05};
    uint8_t *rsp = NULL;
    size_t rsp_len = 0;
    int ok;

    cmp_err_init(err);
    ok = cmp_transfer_exchange(t, req, sizeof(req), timeout_ms, &rsp, &rsp_len, err) &&
         rsp_len == 2 && rsp[0] == 0x30 && rsp[1] == 0;
    free(rsp);
    return ok;
}

static void
test_request_and_reuse(void)
{
    struct srv s;
    struct cmp_transfer *t;
    struct cmp_err err;
    char host[64];

    if (!CHECK(srv_start(&s, M_KEEP))) {
        return;
    }
    t = client(&s, 1);
    CHECK(t != NULL && exchange(t, 5000, &err) && exchange(t, 5000, &err));
    CHECK(s.accepts == 1 && s.requests == 2);
    s.last[s.last_len] = '\0';
    CHECK(strncmp(s.last, "POST /pkix/ HTTP/1.1\r\n", 22) == 0);
    snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", s.port);
    CHECK(strstr(s.last, host) != NULL);
    CHECK(strstr(s.last, "\r\nContent-Type: application/pkixcmp\r\n") != NULL);
    CHECK(strstr(s.last, "\r\nContent-Length: 3\r\n") != NULL);
    CHECK(strstr(s.last, "Connection: close") == NULL);
    CHECK(s.last_len > 3 && memcmp(s.last + s.last_len - 3, "\x30\x01\x05", 3) == 0);
    /* cmp_transfer_close() ends the connection */
    cmp_transfer_close(t);
    CHECK(exchange(t, 5000, &err) && s.accepts == 2);
    cmp_transfer_free(t);
    srv_stop(&s);

    /* -keep_alive 0: Connection: close, a connection per message */
    if (!CHECK(srv_start(&s, M_KEEP))) {
        return;
    }
    t = client(&s, 0);
    CHECK(t != NULL && exchange(t, 5000, &err) && exchange(t, 5000, &err));
    s.last[s.last_len] = '\0';
    CHECK(strstr(s.last, "\r\nConnection: close\r\n") != NULL);
    CHECK(s.accepts == 2 && s.requests == 2);
    cmp_transfer_free(t);
    srv_stop(&s);
}

static void
test_closed_connections(void)
{
    struct srv s;
    struct cmp_transfer *t;
    struct cmp_err err;

    /* the server closed the kept connection: sent again on a new one */
    if (!CHECK(srv_start(&s, M_DROP))) {
        return;
    }
    t = client(&s, 1);
    CHECK(t != NULL && exchange(t, 5000, &err));
    usleep(20000); /* let the close arrive */
    CHECK_CASE(err.msg, exchange(t, 5000, &err));
    CHECK(s.accepts == 2 && s.requests == 2);
    cmp_transfer_free(t);
    srv_stop(&s);

    /* no answer on a fresh connection: an error, not sent twice */
    if (!CHECK(srv_start(&s, M_SILENT))) {
        return;
    }
    t = client(&s, 1);
    CHECK(t != NULL && !exchange(t, 5000, &err));
    CHECK(strstr(err.msg, "without a response") != NULL);
    CHECK(s.requests == 1);
    cmp_transfer_free(t);
    srv_stop(&s);

    /* -keep_alive 2 wants the connection for the whole transaction */
    if (!CHECK(srv_start(&s, M_CLOSE_HDR))) {
        return;
    }
    t = client(&s, 2);
    CHECK(t != NULL && exchange(t, 5000, &err));
    CHECK(!exchange(t, 5000, &err) && strstr(err.msg, "mid-transaction") != NULL);
    cmp_transfer_close(t); /* a new transaction may start on a new connection */
    CHECK(exchange(t, 5000, &err));
    cmp_transfer_free(t);
    srv_stop(&s);
}

static void
test_timeout(void)
{
    struct srv s;
    struct cmp_transfer *t;
    struct cmp_err err;

    if (!CHECK(srv_start(&s, M_STALL))) {
        return;
    }
    t = client(&s, 1);
    CHECK(t != NULL && !exchange(t, 200, &err));
    CHECK_CASE(err.msg, strstr(err.msg, "timeout after 200 ms") != NULL);
    CHECK(s.requests == 1);
    cmp_transfer_free(t);
    srv_stop(&s);

    /* nobody listening */
    {
        struct srv none;

        memset(&none, 0, sizeof(none));
        none.port = 1;
        t = client(&none, 1);
        CHECK(t != NULL && !exchange(t, 2000, &err));
        CHECK_CASE(err.msg, strstr(err.msg, "cannot connect to http://127.0.0.1:1/pkix/") != NULL);
        cmp_transfer_free(t);
    }
}

int
main(void)
{
    test_request_and_reuse();
    test_closed_connections();
    test_timeout();
    return check_finish();
}
