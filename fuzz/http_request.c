/*
 * libFuzzer target: the HTTP listener's request handling (apps/cmpkit/
 * http_req.c): the checks of the head and the collection of bodies by
 * several requests at once under a per-request cap and a shared budget.
 *
 * Input: byte 0 picks the cap and the budget, then a list of operations on
 * NUM_REQ requests:
 *   0 k, then four '\n'-terminated strings (method, path, Content-Type,
 *        Content-Length) and a flags byte (bit 0: no Content-Type, bit 1: no
 *        Content-Length, bit 2: "Expect: 100-continue"): http_req_begin()
 *   1 k n1 n0 c: http_req_take() of n1 * 256 + n0 bytes of value c
 *   2 k len bytes...: http_req_take() of the next |len| input bytes
 *   3 k: http_req_cleanup()
 * (k is taken modulo NUM_REQ). Besides crashes, leaks and hangs it checks:
 * the budget in use is the sum of what the live requests reserve and never
 * above its limit; a request's body is exactly the bytes fed to it while it
 * is accepted, within its reservation and the cap; a refused request holds
 * no memory; everything is given back at the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_req.h"

#define NUM_REQ 3
#define MAX_STR 64

static const size_t caps[4] = {300, 20000, 70000, 1}; /* at most MAX_CAP */
static const size_t budgets[4] = {500, 40000, 100000, 0};

#define MAX_CAP 70000 /* the largest of caps[] */

struct shadow {
    int live;
    uint8_t *fed; /* what was fed while accepted (up to the cap): one of shadow_buf[] */
    size_t fed_len;
};

/* Static, so that each run does not allocate (and ASan poison) three buffers of MAX_CAP. */
static uint8_t shadow_buf[NUM_REQ][MAX_CAP];

static void
check(int ok)
{
    if (!ok) {
        abort();
    }
}

/* next_str() copies up to '\n' (at most MAX_STR - 1 bytes) into |buf|; 0 at the end of input. */
static int
next_str(const uint8_t **p, const uint8_t *end, char buf[MAX_STR])
{
    size_t n = 0;

    while (*p < end && **p != '\n') {
        if (n + 1 < MAX_STR) {
            buf[n++] = (char)(**p == '\0' ? '?' : **p);
        }
        (*p)++;
    }
    buf[n] = '\0';
    if (*p >= end) {
        return 0;
    }
    (*p)++;
    return 1;
}

static void
check_all(const struct http_req *r, const struct shadow *sh, const struct http_budget *b,
          const struct http_req_limits *lim)
{
    size_t sum = 0;
    int k;

    for (k = 0; k < NUM_REQ; k++) {
        if (!sh[k].live) {
            check(r[k].buf == NULL && r[k].reserved == 0);
            continue;
        }
        sum += r[k].reserved;
        if (r[k].status != 0) {
            check(r[k].buf == NULL && r[k].len == 0 && r[k].reserved == 0);
            continue;
        }
        check(r[k].len <= r[k].cap && r[k].cap <= r[k].reserved && r[k].reserved <= lim->max_body);
        check(r[k].len == sh[k].fed_len);
        check(r[k].len == 0 || memcmp(r[k].buf, sh[k].fed, r[k].len) == 0);
    }
    check(atomic_load(&b->used) == sum && sum <= b->limit);
}

/* take() feeds |n| bytes to request |k| and mirrors them in its shadow while it is accepted. */
static void
take(struct http_req *r, struct shadow *sh, struct http_budget *b,
     const struct http_req_limits *lim, const uint8_t *data, size_t n)
{
    int was_ok = r->status == 0;

    (void)http_req_take(r, lim, b, data, n);
    if (was_ok && r->status == 0) {
        check(sh->fed_len + n <= lim->max_body);
        memcpy(sh->fed + sh->fed_len, data, n);
        sh->fed_len += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct http_req_limits lim;
    struct http_budget b;
    struct http_req r[NUM_REQ];
    struct shadow sh[NUM_REQ];
    const uint8_t *p = data, *end = data + size;
    static uint8_t fill[65536];
    int k;

    if (size < 1) {
        return 0;
    }
    lim.max_body = caps[p[0] & 3];
    lim.extra_path = "ra";
    lim.extra_len = 2;
    http_budget_init(&b, budgets[(p[0] >> 2) & 3]);
    p++;
    memset(r, 0, sizeof(r));
    memset(sh, 0, sizeof(sh));
    for (k = 0; k < NUM_REQ; k++) {
        sh[k].fed = shadow_buf[k];
    }

    while (end - p >= 2) {
        int op = p[0] & 3;
        size_t n;

        k = p[1] % NUM_REQ;
        p += 2;
        if (op == 0) {
            char method[MAX_STR], url[MAX_STR], ctype[MAX_STR], clen[MAX_STR];
            unsigned flags;

            if (!next_str(&p, end, method) || !next_str(&p, end, url) ||
                !next_str(&p, end, ctype) || !next_str(&p, end, clen) || p >= end) {
                break;
            }
            flags = *p++;
            http_req_cleanup(&r[k], &b);
            http_req_begin(&r[k], &lim, &b, method, url, (flags & 1) ? NULL : ctype,
                           (flags & 2) ? NULL : clen, (flags & 4) ? "100-continue" : NULL);
            sh[k].live = 1;
            sh[k].fed_len = 0;
            /* a refusal at the head names its cause; an answer before the body is a refusal */
            check((r[k].status == 0) == (r[k].cause == HTTP_CAUSE_NONE));
            check(!r[k].answer_now || r[k].status != 0);
        } else if (op == 1) {
            if (end - p < 3) {
                break;
            }
            n = (size_t)p[0] << 8 | p[1];
            memset(fill, p[2], n);
            p += 3;
            if (sh[k].live) {
                take(&r[k], &sh[k], &b, &lim, fill, n);
            }
        } else if (op == 2) {
            if (end - p < 1) {
                break;
            }
            n = p[0];
            p++;
            n = n > (size_t)(end - p) ? (size_t)(end - p) : n;
            if (sh[k].live) {
                take(&r[k], &sh[k], &b, &lim, p, n);
            }
            p += n;
        } else {
            http_req_cleanup(&r[k], &b);
            sh[k].live = 0;
            sh[k].fed_len = 0;
        }
        check_all(r, sh, &b, &lim);
    }
    for (k = 0; k < NUM_REQ; k++) {
        http_req_cleanup(&r[k], &b);
    }
    check(atomic_load(&b.used) == 0);
    return 0;
}
