/*
 * apps/cmpkit/http_req.c: the checks of a request's head, the body cap, and
 * the body budget shared by all connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http_req.h"

#define MAX_BODY 1000u
#define BUDGET 2500u

static const struct http_req_limits limits = {MAX_BODY, "ca/x", 4};

/* The head checks: one row per rule, each with the status and cause it gives. */
static const struct {
    const char *name, *method, *url, *ctype, *clen, *expect;
    int status, cause, answer_now;
    size_t reserved; /* of the budget, when accepted */
} heads[] = {
    {"ok, Content-Length", "POST", "/", "application/pkixcmp", "100", NULL, 0, 0, 0, 100},
    {"ok, /pkix/", "POST", "/pkix/", "application/pkixcmp", "1", NULL, 0, 0, 0, 1},
    {"ok, slashes do not count", "POST", "///pkix///", "application/pkixcmp", "1", NULL, 0, 0, 0,
     1},
    {"ok, -path", "POST", "/ca/x", "application/pkixcmp", "1", NULL, 0, 0, 0, 1},
    {"ok, media type parameters", "POST", "/", " Application/PKIXCMP ; x=y", "1", NULL, 0, 0, 0,
     1},
    {"ok, blanks around the length", "POST", "/", "application/pkixcmp", " 7 ", NULL, 0, 0, 0, 7},
    {"ok, no Content-Length: the first reservation", "POST", "/", "application/pkixcmp", NULL,
     NULL, 0, 0, 0, MAX_BODY < HTTP_REQ_FIRST_RESERVE ? MAX_BODY : HTTP_REQ_FIRST_RESERVE},
    {"ok, empty body", "POST", "/", "application/pkixcmp", "0", NULL, 0, 0, 0, 0},
    {"ok, exactly the cap", "POST", "/", "application/pkixcmp", "1000", NULL, 0, 0, 0, 1000},
    {"GET", "GET", "/", "application/pkixcmp", NULL, NULL, 405, HTTP_CAUSE_METHOD, 0, 0},
    {"lower-case post", "post", "/", "application/pkixcmp", "1", NULL, 405, HTTP_CAUSE_METHOD, 0,
     0},
    {"other path", "POST", "/pkix/x", "application/pkixcmp", "1", NULL, 404, HTTP_CAUSE_PATH, 0,
     0},
    {"pkix without slash", "POST", "/pkix", "application/pkixcmp", "1", NULL, 404,
     HTTP_CAUSE_PATH, 0, 0},
    {"no Content-Type", "POST", "/", NULL, "1", NULL, 415, HTTP_CAUSE_MEDIA, 0, 0},
    {"other media type", "POST", "/", "application/pkixcmp-poll", "1", NULL, 415,
     HTTP_CAUSE_MEDIA, 0, 0},
    {"length not a number", "POST", "/", "application/pkixcmp", "12a", NULL, 400,
     HTTP_CAUSE_LENGTH, 1, 0},
    {"length negative", "POST", "/", "application/pkixcmp", "-1", NULL, 400, HTTP_CAUSE_LENGTH, 1,
     0},
    {"length empty", "POST", "/", "application/pkixcmp", "", NULL, 400, HTTP_CAUSE_LENGTH, 1, 0},
    {"one byte above the cap: drained", "POST", "/", "application/pkixcmp", "1001", NULL, 413,
     HTTP_CAUSE_TOO_LARGE, 0, 0},
    {"above the cap, Expect: 100-continue", "POST", "/", "application/pkixcmp", "1001",
     "100-Continue", 413, HTTP_CAUSE_TOO_LARGE, 1, 0},
    {"far above the cap", "POST", "/", "application/pkixcmp", "16001", NULL, 413,
     HTTP_CAUSE_TOO_LARGE, 1, 0},
    {"length overflowing 64 bits", "POST", "/", "application/pkixcmp",
     "99999999999999999999999999", NULL, 413, HTTP_CAUSE_TOO_LARGE, 1, 0},
};

static void
test_heads(void)
{
    struct http_budget b;
    struct http_req r;
    size_t i;

    for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
        http_budget_init(&b, BUDGET);
        memset(&r, 0, sizeof(r));
        http_req_begin(&r, &limits, &b, heads[i].method, heads[i].url, heads[i].ctype,
                       heads[i].clen, heads[i].expect);
        CHECK_CASE(heads[i].name, r.status == heads[i].status);
        CHECK_CASE(heads[i].name, r.cause == heads[i].cause);
        CHECK_CASE(heads[i].name, r.answer_now == heads[i].answer_now);
        CHECK_CASE(heads[i].name, r.reserved == heads[i].reserved);
        CHECK_CASE(heads[i].name, atomic_load(&b.used) == heads[i].reserved);
        http_req_cleanup(&r, &b);
        CHECK_CASE(heads[i].name, atomic_load(&b.used) == 0);
    }
}

/* feed() sends |total| bytes in pieces of |piece|; returns what the last http_req_take() said. */
static int
feed(struct http_req *r, struct http_budget *b, size_t total, size_t piece)
{
    uint8_t chunk[256];
    size_t off = 0;
    int ok = 1;

    memset(chunk, 0xA5, sizeof(chunk));
    while (ok && off < total) {
        size_t n = total - off < piece ? total - off : piece;

        ok = http_req_take(r, &limits, b, chunk, n);
        off += n;
    }
    return ok;
}

/* Bodies: the cap, draining a refused body, and the budget with several requests at once. */
static void
test_bodies(void)
{
    struct http_budget b;
    struct http_req r[4];
    size_t i;

    /* A declared body is stored in one buffer of exactly its size. */
    http_budget_init(&b, BUDGET);
    http_req_begin(&r[0], &limits, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, "600", NULL);
    CHECK(feed(&r[0], &b, 600, 100));
    CHECK(r[0].status == 0 && r[0].len == 600 && r[0].cap == 600);
    CHECK(r[0].buf != NULL && r[0].buf[599] == 0xA5);
    http_req_cleanup(&r[0], &b);
    CHECK(atomic_load(&b.used) == 0 && r[0].buf == NULL);

    /* Without Content-Length the reservation doubles up to the cap, then 413 and draining. */
    http_req_begin(&r[0], &limits, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, NULL, NULL);
    CHECK(feed(&r[0], &b, MAX_BODY, 7));
    CHECK(r[0].status == 0 && r[0].len == MAX_BODY && r[0].reserved == MAX_BODY);
    CHECK(atomic_load(&b.used) == MAX_BODY);
    CHECK(http_req_take(&r[0], &limits, &b, (const uint8_t *)"x", 1));
    CHECK(r[0].status == 413 && r[0].cause == HTTP_CAUSE_TOO_LARGE);
    CHECK(r[0].buf == NULL && atomic_load(&b.used) == 0);
    /* dropped up to HTTP_REQ_DRAIN_FACTOR times the cap, then cut */
    CHECK(feed(&r[0], &b, HTTP_REQ_DRAIN_FACTOR * MAX_BODY - 1, 250));
    CHECK(!http_req_take(&r[0], &limits, &b, (const uint8_t *)"x", 1));
    http_req_cleanup(&r[0], &b);

    /* A refused head drains its body without storing it. */
    http_req_begin(&r[0], &limits, &b, "POST", "/other", HTTP_REQ_CONTENT_TYPE, "100", NULL);
    CHECK(feed(&r[0], &b, 100, 10));
    CHECK(r[0].status == 404 && r[0].buf == NULL && r[0].dropped == 100);
    http_req_cleanup(&r[0], &b);

    /*
     * The budget (2500): two requests of 1000 fit, a third of 1000 gets 503
     * before any body is read; one of 500 still fits; once one finishes, 1000
     * fit again.
     */
    for (i = 0; i < 3; i++) {
        http_req_begin(&r[i], &limits, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, "1000", NULL);
    }
    CHECK(r[0].status == 0 && r[1].status == 0);
    CHECK(r[2].status == 503 && r[2].cause == HTTP_CAUSE_BUDGET && r[2].answer_now);
    CHECK(atomic_load(&b.used) == 2000);
    http_req_begin(&r[3], &limits, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, "500", NULL);
    CHECK(r[3].status == 0 && atomic_load(&b.used) == 2500);
    http_req_cleanup(&r[2], &b);
    http_req_cleanup(&r[0], &b);
    CHECK(atomic_load(&b.used) == 1500);
    http_req_begin(&r[2], &limits, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, "1000", NULL);
    CHECK(r[2].status == 0 && atomic_load(&b.used) == 2500);
    for (i = 0; i < 4; i++) {
        http_req_cleanup(&r[i], &b);
    }
    CHECK(atomic_load(&b.used) == 0);

    /*
     * A body without Content-Length first reserves HTTP_REQ_FIRST_RESERVE and
     * doubles it as it grows; when the budget cannot give more it is cut
     * (503) and its share returned.
     */
    {
        const struct http_req_limits big = {100000, NULL, 0};
        size_t first = HTTP_REQ_FIRST_RESERVE;

        http_budget_init(&b, 2 * first + first / 2);
        http_req_begin(&r[0], &big, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, "1000", NULL);
        http_req_begin(&r[1], &big, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, NULL, NULL);
        CHECK(r[0].status == 0 && r[1].status == 0 && r[1].reserved == first);
        CHECK(atomic_load(&b.used) == 1000 + first);
        CHECK(http_req_take(&r[1], &big, &b, (const uint8_t *)"x", 1));
        CHECK(r[1].cap == first);
        CHECK(http_req_take(&r[1], &big, &b, NULL, 0) && r[1].len == 1); /* empty piece */
        {
            uint8_t *junk = calloc(1, first);

            CHECK(junk != NULL && http_req_take(&r[1], &big, &b, junk, first));
            CHECK(r[1].status == 0 && r[1].reserved == 2 * first && r[1].len == first + 1);
            CHECK(atomic_load(&b.used) == 1000 + 2 * first);
            CHECK(junk != NULL && !http_req_take(&r[1], &big, &b, junk, first));
            free(junk);
        }
        CHECK(r[1].status == 503 && r[1].cause == HTTP_CAUSE_BUDGET && r[1].buf == NULL);
        CHECK(atomic_load(&b.used) == 1000);
        http_req_cleanup(&r[1], &b);
        http_req_cleanup(&r[0], &b);
        CHECK(atomic_load(&b.used) == 0);
    }

    /*
     * Bodies above HTTP_REQ_SMALL_BODY may fill only 3/4 of the budget, so
     * that small requests (CMP messages) still get in when large ones hold it.
     */
    {
        const struct http_req_limits big = {1u << 20, NULL, 0};
        char len[32];

        http_budget_init(&b, 4u << 20); /* large share: 3 MiB */
        CHECK(http_budget_most(&b) == 3u << 20);
        snprintf(len, sizeof(len), "%u", 1u << 20);
        for (i = 0; i < 4; i++) {
            http_req_begin(&r[i], &big, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, len, NULL);
        }
        CHECK(r[0].status == 0 && r[1].status == 0 && r[2].status == 0);
        CHECK(r[3].status == 503 && r[3].cause == HTTP_CAUSE_BUDGET);
        http_req_cleanup(&r[3], &b);
        /* the last quarter still takes small bodies, up to the whole budget */
        snprintf(len, sizeof(len), "%zu", HTTP_REQ_SMALL_BODY);
        http_req_begin(&r[3], &big, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, len, NULL);
        CHECK(r[3].status == 0);
        CHECK(atomic_load(&b.used) == (3u << 20) + HTTP_REQ_SMALL_BODY);
        for (i = 0; i < 4; i++) {
            http_req_cleanup(&r[i], &b);
        }
        CHECK(atomic_load(&b.used) == 0);
        http_budget_init(&b, 1000);
        CHECK(http_budget_most(&b) == 1000);
        http_budget_init(&b, 80u << 10);
        CHECK(http_budget_most(&b) == HTTP_REQ_SMALL_BODY);
    }

    /* More than declared is refused (libmicrohttpd stops at the end; a caller must not rely on it). */
    http_req_begin(&r[0], &limits, &b, "POST", "/", HTTP_REQ_CONTENT_TYPE, "10", NULL);
    CHECK(!feed(&r[0], &b, 11, 11));
    CHECK(r[0].status == 503 && atomic_load(&b.used) == 0);
    http_req_cleanup(&r[0], &b);
    CHECK(atomic_load(&b.used) == 0);
}

static void
test_norm_path(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"/", ""}, {"", ""}, {"///pkix/", "pkix/"}, {"/pkix////", "pkix/"}, {"/a/b//", "a/b/"},
    };
    size_t i, n;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *p = http_req_norm_path(cases[i].in, &n);

        CHECK_CASE(cases[i].in, n == strlen(cases[i].out) && memcmp(p, cases[i].out, n) == 0);
    }
}

int
main(void)
{
    test_heads();
    test_bodies();
    test_norm_path();
    return check_finish();
}
