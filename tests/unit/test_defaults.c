/*
 * The public API's defaults: the version (lib/der/version.c), the options
 * initialisers (lib/transfer/transfer.c, lib/server/engine.c) and the
 * message timeout a client context applies when none is set
 * (lib/client/client.c), seen through a transfer that records what it is
 * asked to do; and the public helpers around them: -secret's sources
 * (cmp_ctx_set1_secret_source()) and the two error formats
 * (cmp_err_format(), cmp_err_format_line()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "cmpkit/client.h"
#include "der/fail.h" /* CMP_FAIL, for a transfer of its own */
#include "cmpkit/server.h"
#include "cmpkit/transfer.h"
#include "cmpkit/version.h"

static void
test_version(void)
{
    char expect[32];

    CHECK(cmp_version() == CMPKIT_VERSION_NUMBER);
    CHECK(strcmp(cmp_version_string(), CMPKIT_VERSION_STRING) == 0);
    snprintf(expect, sizeof(expect), "%d.%d.%d", CMPKIT_VERSION_MAJOR, CMPKIT_VERSION_MINOR,
             CMPKIT_VERSION_PATCH);
    CHECK(strcmp(CMPKIT_VERSION_STRING, expect) == 0);
    CHECK(CMPKIT_VERSION_AT(0, 1, 0) == 0x000100);
    CHECK(CMPKIT_VERSION_AT(1, 2, 3) == 0x010203);
    CHECK(CMPKIT_VERSION_AT(0, 255, 255) < CMPKIT_VERSION_AT(1, 0, 0));
}

static void
test_initialisers(void)
{
    struct cmp_http_opts h;
    struct cmp_file_opts f;
    struct cmp_srv_config c;

    memset(&h, 0xA5, sizeof(h));
    cmp_http_opts_init(&h);
    CHECK(h.keep_alive == 1); /* openssl-cmp(1): "The default value is 1" */
    CHECK(h.server == NULL && h.path == NULL && h.proxy == NULL && h.no_proxy == NULL);
    CHECK(h.tls_used == 0 && h.tls_cert == NULL && h.tls_key == NULL && h.tls_extra == NULL);
    CHECK(h.tls_trusted == NULL && h.tls_host == NULL && h.tls_cb == NULL && h.tls_cb_arg == NULL);

    memset(&f, 0xA5, sizeof(f));
    cmp_file_opts_init(&f);
    CHECK(f.reqout == NULL && f.rspin == NULL && f.rspout == NULL);

    memset(&c, 0xA5, sizeof(c));
    cmp_srv_config_init(&c);
    CHECK(c.failure == -1 && c.failurebits == 0 && c.pkistatus == 0);
    CHECK(c.max_iterations == 0 && c.max_transactions == 0 && c.transaction_timeout_s == 0);
}

/* ---- the timeout a client gives its transfer ---- */

struct recorder {
    int calls;
    int64_t timeout_ms;
};

/* Records the timeout and fails, as a server that does not answer would. */
static int
record_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
                size_t *rsp_len, struct cmp_err *err)
{
    struct recorder *r = ctx;

    (void)req;
    (void)req_len;
    (void)rsp;
    (void)rsp_len;
    r->calls++;
    r->timeout_ms = timeout_ms;
    return CMP_FAIL(err, CMP_E_IO, "recorder: no answer");
}

/*
 * Runs a genm with |msg_timeout| and |total_timeout| set unless -2 and
 * returns the timeout the transfer got (-1 if it was not called).
 */
static int64_t
timeout_given(int msg_timeout, int total_timeout)
{
    static const uint8_t secret[] = "secret", ref[] = "ref";
    struct recorder r = {0, -1};
    struct cmp_transfer t = {.exchange = record_exchange, .ctx = &r};
    struct cmp_transfer *tp = malloc(sizeof(*tp));
    struct cmp_ctx *ctx = cmp_ctx_new();
    int ok;

    if (ctx == NULL || tp == NULL) {
        free(tp);
        cmp_ctx_free(ctx);
        return -1;
    }
    *tp = t;
    cmp_ctx_set0_transfer(ctx, tp); /* freed by cmp_ctx_free(); |free| is NULL */
    ok = cmp_ctx_set1_secret(ctx, secret, sizeof(secret) - 1) &&
         cmp_ctx_set1_ref(ctx, ref, sizeof(ref) - 1) &&
         (msg_timeout == -2 || cmp_ctx_set_option(ctx, CMP_OPT_MSG_TIMEOUT, msg_timeout)) &&
         (total_timeout == -2 || cmp_ctx_set_option(ctx, CMP_OPT_TOTAL_TIMEOUT, total_timeout));
    CHECK(ok);
    CHECK(!cmp_exec_genm(ctx)); /* the recorder never answers */
    CHECK(r.calls == 1);
    cmp_ctx_free(ctx);
    return r.timeout_ms;
}

static void
test_msg_timeout(void)
{
    int64_t ms;

    /* Nothing set: a finite default, not "wait for ever" (openssl cmp 3.0 waits). */
    CHECK(timeout_given(-2, -2) == (int64_t)CMP_DEFAULT_MSG_TIMEOUT * 1000);
    /* Set: as given; 0 (or less) is an explicit "no limit". */
    CHECK(timeout_given(5, -2) == 5000);
    CHECK(timeout_given(0, -2) == 0);
    CHECK(timeout_given(-1, -2) == 0);
    /* Only -total_timeout: what is left of it (openssl-cmp(1)), below the default too. */
    ms = timeout_given(-2, 30);
    CHECK(ms > 29000 && ms <= 30000);
    ms = timeout_given(-2, 300);
    CHECK(ms > 299000 && ms <= 300000);
    /* Both: the smaller. */
    ms = timeout_given(10, 30);
    CHECK(ms == 10000);
    ms = timeout_given(60, 30);
    CHECK(ms > 29000 && ms <= 30000);
    /* -total_timeout 0 is "no limit", for each message too (openssl-cmp(1)): the
     * default applies only when neither is set. */
    CHECK(timeout_given(-2, 0) == 0);
}

/* cmp_ctx_set1_secret_source(): -secret's sources through the client header. */
static void
test_secret_source(void)
{
    struct cmp_ctx *ctx = cmp_ctx_new();
    char buf[1024], path[64];
    FILE *fp;

    CHECK(ctx != NULL);
    if (ctx == NULL) {
        return;
    }
    CHECK(cmp_ctx_set1_secret_source(ctx, "pass:1234"));
    setenv("CMPKIT_TEST_SECRET", "from the environment", 1);
    CHECK(cmp_ctx_set1_secret_source(ctx, "env:CMPKIT_TEST_SECRET"));
    snprintf(path, sizeof(path), "test_defaults_secret.%ld.txt", (long)getpid());
    fp = fopen(path, "w");
    CHECK(fp != NULL);
    if (fp != NULL) {
        fputs("file secret\nsecond line\n", fp);
        fclose(fp);
        snprintf(buf, sizeof(buf), "file:%s", path);
        CHECK(cmp_ctx_set1_secret_source(ctx, buf));
        remove(path);
    }
    /* failures name the source, never a secret */
    unsetenv("CMPKIT_TEST_UNSET");
    CHECK(!cmp_ctx_set1_secret_source(ctx, "env:CMPKIT_TEST_UNSET"));
    cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf));
    CHECK(strstr(buf, "CMPKIT_TEST_UNSET") != NULL && strstr(buf, "-secret") != NULL);
    CHECK(strstr(buf, "from the environment") == NULL && strstr(buf, "1234") == NULL);
    CHECK(!cmp_ctx_set1_secret_source(ctx, "file:/nonexistent/cmpkit-secret"));
    cmp_err_format(cmp_ctx_error(ctx), buf, sizeof(buf));
    CHECK(strstr(buf, "/nonexistent/cmpkit-secret") != NULL);
    CHECK(!cmp_ctx_set1_secret_source(ctx, NULL));
    cmp_ctx_free(ctx);
}

/* cmp_err_format() and cmp_err_format_line(): the same record, on lines and on one line. */
static void
test_err_format(void)
{
    struct cmp_err err;
    char buf[512], small[16];

    cmp_err_init(&err);
    CHECK(strcmp(cmp_err_format_line(&err, buf, sizeof(buf)), "no error recorded") == 0);
    CHECK(cmp_err_set(&err, CMP_E_INVALID, CMP_FI_BAD_MESSAGE_CHECK, __FILE__, __LINE__,
                      "PBM protection does not verify") == 0);
    CHECK(cmp_err_context(&err, "MAC-based protection") == 0);
    CHECK(cmp_err_context(&err, "checking the %s", "IP") == 0);
    CHECK(strcmp(cmp_err_format(&err, buf, sizeof(buf)),
                 "in checking the IP:\nin MAC-based protection:\n"
                 "invalid value: PBM protection does not verify [badMessageCheck]") == 0);
    CHECK(strcmp(cmp_err_format_line(&err, buf, sizeof(buf)),
                 "checking the IP: MAC-based protection: PBM protection does not verify "
                 "[badMessageCheck]") == 0);
    cmp_err_set_offset(&err, 7);
    CHECK(strstr(cmp_err_format_line(&err, buf, sizeof(buf)),
                 "does not verify (at byte offset 7) [badMessageCheck]") != NULL);
    /* cut to the buffer, always terminated */
    CHECK(strlen(cmp_err_format_line(&err, small, sizeof(small))) == sizeof(small) - 1);
    CHECK(cmp_err_format_line(&err, small, 0) == small);
}

int
main(void)
{
    test_version();
    test_initialisers();
    test_msg_timeout();
    test_secret_source();
    test_err_format();
    return check_finish();
}
