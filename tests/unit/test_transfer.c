/*
 * Unit tests for lib/transfer without a network: the -server/-proxy URL
 * syntax of openssl-cmp(1), the proxy choice (-proxy, -no_proxy and their
 * environment variables, as openssl cmp 3.0 chooses), lists of
 * file names, the argument checks of cmp_transfer_http_new() and the
 * generic exchange checks. HTTP itself is tested against openssl cmp in
 * tests/interop/client_interop.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmpkit/server.h"
#include "cmpkit/transfer.h"
#include "transfer/internal.h"

#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

static void
test_urls(void)
{
    static const struct {
        const char *text, *what;
        int ok, https, ipv6;
        const char *host;
        int port;
        const char *path;
    } rows[] = {
        {"127.0.0.1", "server", 1, 0, 0, "127.0.0.1", 80, "/"},
        {"127.0.0.1:8080", "server", 1, 0, 0, "127.0.0.1", 8080, "/"},
        {"http://ca.example/pkix/", "server", 1, 0, 0, "ca.example", 80, "/pkix/"},
        {"https://ca.example", "server", 1, 1, 0, "ca.example", 443, "/"},
        {"https://ca.example:8443/a/b?x=1&y=2#frag", "server", 1, 1, 0, "ca.example", 8443,
         "/a/b?x=1&y=2"},
        {"http://user:pw@ca.example:81/p", "server", 1, 0, 0, "ca.example", 81, "/p"},
        {"[::1]:1700/cmp", "server", 1, 0, 1, "::1", 1700, "/cmp"},
        {"http://[2001:db8::1]", "server", 1, 0, 1, "2001:db8::1", 80, "/"},
        {"ca.example?q", "server", 1, 0, 0, "ca.example", 80, "/?q"},
        {"ca.example#only-fragment", "server", 1, 0, 0, "ca.example", 80, "/"},
        {"proxy.example:3128/ignored?x#y", "proxy", 1, 0, 0, "proxy.example", 3128, "/"},
        {"https://proxy.example", "proxy", 1, 1, 0, "proxy.example", 443, "/"},
        {"", "server", 0, 0, 0, NULL, 0, NULL},
        {"ftp://ca.example", "server", 0, 0, 0, NULL, 0, NULL},
        {"HTTPX://ca.example", "server", 0, 0, 0, NULL, 0, NULL},
        {"http://", "server", 0, 0, 0, NULL, 0, NULL},
        {"http://:80/", "server", 0, 0, 0, NULL, 0, NULL},
        {"ca.example:", "server", 0, 0, 0, NULL, 0, NULL},
        {"ca.example:0", "server", 0, 0, 0, NULL, 0, NULL},
        {"ca.example:65536", "server", 0, 0, 0, NULL, 0, NULL},
        {"ca.example:12a", "server", 0, 0, 0, NULL, 0, NULL},
        {"ca.example:99999999999999999999", "server", 0, 0, 0, NULL, 0, NULL},
        {"[::1", "server", 0, 0, 0, NULL, 0, NULL},
        {"[::1]x", "server", 0, 0, 0, NULL, 0, NULL},
        {"user@", "server", 0, 0, 0, NULL, 0, NULL},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_url u;
        struct cmp_err err;
        int ok;

        cmp_err_init(&err);
        ok = cmp_url_parse(&u, rows[i].text, rows[i].what, &err);
        CHECK_CASE(rows[i].text, ok == rows[i].ok);
        if (!ok) {
            CHECK_CASE(rows[i].text, err.code == CMP_E_ARG && strstr(err.msg, "-") != NULL);
            continue;
        }
        CHECK_CASE(rows[i].text, u.https == rows[i].https && u.ipv6 == rows[i].ipv6);
        CHECK_CASE(rows[i].text, strcmp(u.host, rows[i].host) == 0);
        CHECK_CASE(rows[i].text, u.port == rows[i].port);
        CHECK_CASE(rows[i].text, strcmp(u.path, rows[i].path) == 0);
    }
}

static void
test_proxy_rules(void)
{
    static const struct {
        const char *no_proxy, *host;
        int use;
    } rows[] = {
        {"127.0.0.1", "127.0.0.1", 0},
        {"localhost,127.0.0.1", "127.0.0.1", 0},
        {"localhost, 127.0.0.1 other", "127.0.0.1", 0},
        {"127.0.0.10", "127.0.0.1", 1},
        {"x127.0.0.1", "127.0.0.1", 1},
        {"example.com", "ca.example.com", 1}, /* no suffix matching (openssl) */
        {"ca.example.com", "ca.example.com", 0},
        {"", "ca.example.com", 1},
        {"ca.example.com.evil,ca.example.com", "ca.example.com", 0},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        CHECK_CASE(rows[i].no_proxy,
                   cmp_http_use_proxy(rows[i].no_proxy, rows[i].host) == rows[i].use);
    }

    /* the environment: lower case first, https_proxy with TLS */
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    CHECK(cmp_http_proxy_of(NULL, NULL, "ca.example", 0) == NULL);
    setenv("HTTP_PROXY", "upper:3128", 1);
    CHECK(strcmp(cmp_http_proxy_of(NULL, NULL, "ca.example", 0), "upper:3128") == 0);
    setenv("http_proxy", "lower:3128", 1);
    CHECK(strcmp(cmp_http_proxy_of(NULL, NULL, "ca.example", 0), "lower:3128") == 0);
    CHECK(cmp_http_proxy_of(NULL, NULL, "ca.example", 1) == NULL);
    setenv("HTTPS_PROXY", "tls:3128", 1);
    CHECK(strcmp(cmp_http_proxy_of(NULL, NULL, "ca.example", 1), "tls:3128") == 0);
    CHECK(strcmp(cmp_http_proxy_of("opt:1", NULL, "ca.example", 0), "opt:1") == 0);
    CHECK(cmp_http_proxy_of("", NULL, "ca.example", 0) == NULL);
    setenv("NO_PROXY", "ca.example", 1);
    CHECK(cmp_http_proxy_of(NULL, NULL, "ca.example", 0) == NULL);
    setenv("no_proxy", "other.example", 1); /* lower case wins */
    CHECK(cmp_http_proxy_of(NULL, NULL, "ca.example", 0) != NULL);
    CHECK(cmp_http_proxy_of(NULL, "ca.example", "ca.example", 0) == NULL);
    CHECK(cmp_http_proxy_of("opt:1", "", "ca.example", 0) != NULL);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("HTTPS_PROXY");
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
}

static void
test_names(void)
{
    static const struct {
        const char *text;
        size_t num;
        const char *first, *last;
    } rows[] = {
        {"a", 1, "a", "a"},     {"a,b", 2, "a", "b"}, {" a , b\tc\n", 3, "a", "c"},
        {",,,", 0, NULL, NULL}, {"", 0, NULL, NULL},
    };
    struct cmp_names n;
    struct cmp_err err;
    char many[CMP_NAMES_MAX * 3 + 8];
    size_t i;

    cmp_err_init(&err);
    for (i = 0; i < NROWS(rows); i++) {
        CHECK_CASE(rows[i].text, cmp_names_split(&n, rows[i].text, &err));
        CHECK_CASE(rows[i].text, n.num == rows[i].num);
        if (n.num > 0) {
            CHECK_CASE(rows[i].text, strcmp(n.items[0], rows[i].first) == 0 &&
                                         strcmp(n.items[n.num - 1], rows[i].last) == 0);
        }
        cmp_names_cleanup(&n);
    }
    CHECK(cmp_names_split(&n, NULL, &err) && n.num == 0);
    cmp_names_cleanup(&n);
    for (i = 0; i <= CMP_NAMES_MAX; i++) {
        memcpy(many + 2 * i, "x,", 2);
    }
    many[2 * i] = '\0';
    CHECK(!cmp_names_split(&n, many, &err) && err.code == CMP_E_LIMIT);
}

static void
test_http_new(void)
{
    static const struct {
        const char *name;
        const char *server, *proxy;
        int tls_used, keep_alive;
        int ok;
        const char *text;
    } rows[] = {
        {"plain", "127.0.0.1:1", NULL, 0, 1, 1, NULL},
        {"https needs -tls_used", "https://127.0.0.1", NULL, 0, 1, 0, "-tls_used"},
        {"https", "https://127.0.0.1", NULL, 1, 1, 1, NULL},
        {"keep_alive 3", "127.0.0.1", NULL, 0, 3, 0, "-keep_alive"},
        {"keep_alive -1", "127.0.0.1", NULL, 0, -1, 0, "-keep_alive"},
        {"no server", NULL, NULL, 0, 1, 0, "-server"},
        {"bad server", "ftp://x", NULL, 0, 1, 0, "scheme"},
        {"bad proxy", "127.0.0.1", "proxy:0", 0, 1, 0, "-proxy"},
    };
    size_t i;

    for (i = 0; i < NROWS(rows); i++) {
        struct cmp_http_opts o;
        struct cmp_err err;
        struct cmp_transfer *t;

        memset(&o, 0, sizeof(o));
        o.server = rows[i].server;
        o.proxy = rows[i].proxy;
        o.no_proxy = "";
        o.tls_used = rows[i].tls_used;
        o.keep_alive = rows[i].keep_alive;
        cmp_err_init(&err);
        t = cmp_transfer_http_new(&o, &err);
        CHECK_CASE(rows[i].name, (t != NULL) == rows[i].ok);
        if (rows[i].text != NULL) {
            CHECK_CASE(rows[i].name, strstr(err.msg, rows[i].text) != NULL);
        }
        cmp_transfer_free(t);
    }
    CHECK(cmp_transfer_http_new(NULL, NULL) == NULL);
}

/* A transfer that answers with what it was told to. */
static const uint8_t *g_answer;
static size_t g_answer_len;

static int
fixed_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
               size_t *rsp_len, struct cmp_err *err)
{
    (void)ctx;
    (void)req;
    (void)req_len;
    (void)timeout_ms;
    if (g_answer == NULL) {
        return CMP_FAIL(err, CMP_E_IO, "no answer");
    }
    *rsp = malloc(g_answer_len > 0 ? g_answer_len : 1);
    if (*rsp == NULL) {
        return 0;
    }
    memcpy(*rsp, g_answer, g_answer_len);
    *rsp_len = g_answer_len;
    return 1;
}

static void
test_exchange_checks(void)
{
    struct cmp_transfer t = {fixed_exchange, NULL, NULL, NULL, NULL, NULL};
    static const uint8_t req[] = {0x30, 0x00}, rsp[] = {0x30, 0x01, 0x00};
    uint8_t *out = NULL;
    size_t out_len = 0;
    struct cmp_err err;

    cmp_err_init(&err);
    g_answer = rsp;
    g_answer_len = sizeof(rsp);
    CHECK(cmp_transfer_exchange(&t, req, sizeof(req), 0, &out, &out_len, &err));
    CHECK(out != NULL && out_len == sizeof(rsp));
    free(out);
    CHECK(!cmp_transfer_exchange(NULL, req, sizeof(req), 0, &out, &out_len, &err));
    CHECK(out == NULL && err.code == CMP_E_ARG);
    CHECK(!cmp_transfer_exchange(&t, NULL, 0, 0, &out, &out_len, &err));
    CHECK(!cmp_transfer_exchange(&t, req, sizeof(req), 0, NULL, &out_len, &err));
    g_answer_len = 0;
    CHECK(!cmp_transfer_exchange(&t, req, sizeof(req), 0, &out, &out_len, &err));
    CHECK(out == NULL && strstr(err.msg, "empty response") != NULL);
    g_answer = NULL;
    CHECK(!cmp_transfer_exchange(&t, req, sizeof(req), -5, &out, &out_len, &err));
    CHECK(out == NULL && err.code == CMP_E_IO);
    cmp_transfer_close(NULL);
    cmp_transfer_free(NULL);

    /* the file transfer without files or an inner transfer */
    {
        struct cmp_file_opts fo;
        struct cmp_transfer *f;

        memset(&fo, 0, sizeof(fo));
        fo.rspin = "/nonexistent/cmpkit-rsp.der";
        f = cmp_transfer_files_new(&fo, NULL, &err);
        CHECK(f != NULL);
        CHECK(!cmp_transfer_exchange(f, req, sizeof(req), 0, &out, &out_len, &err));
        CHECK(strstr(err.msg, "cannot open") != NULL);
        CHECK(!cmp_transfer_exchange(f, req, sizeof(req), 0, &out, &out_len, &err));
        CHECK(strstr(err.msg, "-rspin") != NULL);
        cmp_transfer_close(f); /* the next transaction starts at the first file again */
        CHECK(!cmp_transfer_exchange(f, req, sizeof(req), 0, &out, &out_len, &err));
        CHECK(strstr(err.msg, "cannot open") != NULL);
        cmp_transfer_free(f);
        CHECK(cmp_transfer_files_new(NULL, NULL, &err) == NULL);
        CHECK(cmp_transfer_inproc_new(NULL, &err) == NULL);
    }
}

/* Reads the whole of |path| and compares it with |p|. */
static int
file_is(const char *path, const uint8_t *p, size_t len)
{
    uint8_t buf[64];
    FILE *fp = fopen(path, "rb");
    size_t n;

    if (fp == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    return n == len && memcmp(buf, p, len) == 0;
}

/*
 * What a transfer tells the client (cmp_transfer_caps()): a hand-made one
 * nothing; the file transfer whether the last response came from -rspin and
 * whether the next request is saved, and cmp_transfer_save_request()
 * replaces what -reqout saves.
 */
static void
test_caps(void)
{
    struct cmp_transfer t = {fixed_exchange, NULL, NULL, NULL, NULL, NULL};
    static const uint8_t req[] = {0x30, 0x00}, created[] = {0x30, 0x01, 0x05},
                         rsp[] = {0x30, 0x01, 0x00};
    char dir[] = "/tmp/cmpkit-test-transfer.XXXXXX", rspin[64], reqout[96];
    struct cmp_transfer *inner, *f;
    struct cmp_file_opts fo;
    uint8_t *out = NULL;
    size_t out_len = 0;
    struct cmp_err err;
    FILE *fp;

    cmp_err_init(&err);
    CHECK(cmp_transfer_caps(NULL) == 0 && cmp_transfer_caps(&t) == 0);
    CHECK(cmp_transfer_save_request(&t, created, sizeof(created), &err));
    if (!CHECK(mkdtemp(dir) != NULL)) {
        return;
    }
    snprintf(rspin, sizeof(rspin), "%s/rsp.der", dir);
    snprintf(reqout, sizeof(reqout), "%s/req1.der,%s/req2.der", dir, dir);
    fp = fopen(rspin, "wb");
    if (CHECK(fp != NULL)) {
        CHECK(fwrite(rsp, 1, sizeof(rsp), fp) == sizeof(rsp));
        fclose(fp);
    }
    memset(&fo, 0, sizeof(fo));
    fo.rspin = rspin;
    fo.reqout = reqout;
    g_answer = rsp;
    g_answer_len = sizeof(rsp);
    inner = cmp_transfer_wrap(fixed_exchange, NULL, NULL, NULL, &err);
    f = cmp_transfer_files_new(&fo, inner, &err);
    if (CHECK(f != NULL)) {
        CHECK(cmp_transfer_caps(f) == CMP_TRANSFER_SAVES_REQUEST);
        /* 1st exchange: the created request is saved, the response comes from -rspin */
        CHECK(cmp_transfer_save_request(f, created, sizeof(created), &err));
        CHECK(cmp_transfer_exchange(f, req, sizeof(req), 0, &out, &out_len, &err));
        free(out);
        CHECK(cmp_transfer_caps(f) == (CMP_TRANSFER_RSP_FROM_FILE | CMP_TRANSFER_SAVES_REQUEST));
        /* 2nd: the request sent is saved, the response comes from the inner transfer */
        CHECK(cmp_transfer_exchange(f, req, sizeof(req), 0, &out, &out_len, &err));
        free(out);
        CHECK(cmp_transfer_caps(f) == 0);
        snprintf(reqout, sizeof(reqout), "%s/req1.der", dir);
        CHECK(file_is(reqout, created, sizeof(created)));
        remove(reqout);
        snprintf(reqout, sizeof(reqout), "%s/req2.der", dir);
        CHECK(file_is(reqout, req, sizeof(req)));
        remove(reqout);
        cmp_transfer_close(f); /* a new transaction: the first file again */
        CHECK(cmp_transfer_caps(f) == CMP_TRANSFER_SAVES_REQUEST);
    }
    cmp_transfer_free(f);
    remove(rspin);
    rmdir(dir);
}

int
main(void)
{
    test_urls();
    test_proxy_rules();
    test_names();
    test_http_new();
    test_exchange_checks();
    test_caps();
    return check_finish();
}
