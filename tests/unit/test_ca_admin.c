/*
 * lib/ca/admin.c: serial number parsing, and each administration
 * function's text and JSON output (into memory streams): listing by
 * status and subject, showing, revoking (with the CRL that follows),
 * enrollment secrets (never printed back once stored), and CRLs. Output
 * carries no control characters from certificate contents.
 */
#include "ca_test_util.h"

static void
test_serial_parse(void)
{
    static const struct {
        const char *text;
        const char *hex; /* the bytes, or NULL: must fail */
    } cases[] = {
        {"0A0B", "0a0b"},
        {"0x0a:0b", "0a0b"},
        {"abc", "0abc"},
        {"000001", "01"},
        {"7F0102030405060708090A0B0C0D0E0F10111213", "7f0102030405060708090a0b0c0d0e0f10111213"},
        {"7F0102030405060708090A0B0C0D0E0F1011121314", NULL}, /* 21 bytes */
        {"FF", NULL},                                         /* negative: not ours */
        {"", NULL},
        {"0", NULL},
        {"12g4", NULL},
        {"0x", NULL},
    };
    size_t i;

    for (i = 0; i < CT_ARRAY_LEN(cases); i++) {
        uint8_t out[CMP_CA_SERIAL_MAX], want[CMP_CA_SERIAL_MAX];
        size_t len = 0, want_len = 0;
        struct cmp_err err;
        int ok;

        cmp_err_init(&err);
        ok = cmp_ca_serial_parse(cases[i].text, out, &len, &err);
        if (cases[i].hex == NULL) {
            CHECK_CASE(cases[i].text, !ok && err.code == CMP_E_ARG);
        } else {
            CHECK_CASE(cases[i].text,
                       ok && check_unhex(cases[i].hex, want, sizeof(want), &want_len));
            CHECK_MEM(cases[i].text, out, len, want, want_len);
        }
    }
}

/* Output captured in memory. */
struct cap {
    char *buf;
    size_t len;
    FILE *f;
};

static FILE *
cap_open(struct cap *c)
{
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->f = open_memstream(&c->buf, &c->len);
    return c->f;
}

static const char *
cap_text(struct cap *c)
{
    if (c->f != NULL) {
        fclose(c->f);
        c->f = NULL;
    }
    return c->buf != NULL ? c->buf : "";
}

static size_t
lines(const char *s)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

/* No control character but the line ends. */
static int
clean(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 && *s != '\n') {
            return 0;
        }
    }
    return 1;
}

static void
test_commands(void)
{
    static const char *const subjects[] = {"CN=list-a,O=Lab", "CN=quote \"q\"", "CN=ctl\x01x\ny"};
    struct ct_ca c;
    struct cmp_ca_issued issued[3];
    struct cmp_ca_cert_filter f;
    struct cap cap = {0};
    struct cmp_err err;
    EVP_PKEY *k = ct_key("P-256");
    int64_t now = ct_now();
    char hex[2 * CMP_CA_SERIAL_MAX + 1], secret[64] = "";
    const char *out, *p;
    size_t i, n = 0;
    int outcome, prev;

    memset(issued, 0, sizeof(issued));
    if (!CHECK(k != NULL && ct_ca_new(&c, "P-256"))) {
        EVP_PKEY_free(k);
        return;
    }
    cmp_err_init(&err);
    for (i = 0; i < CT_ARRAY_LEN(subjects); i++) {
        struct ct_req r;

        CHECK(ct_req_make(&r, k, subjects[i], NULL, 0));
        r.req.requester = "kid:41";
        CHECK_CASE(subjects[i], cmp_ca_issue(c.ca, &r.req, now, &issued[i], &err));
        ct_req_free(&r);
    }
    CHECK(cmp_ca_confirm(c.ca, issued[0].serial, CMP_CA_SERIAL_MAX, 1, now, &outcome, &prev, &err));

    /* list: everything, by status, by subject; text and JSON */
    memset(&f, 0, sizeof(f));
    CHECK(cmp_ca_admin_list(c.store, &f, CMP_CA_FMT_TEXT, cap_open(&cap), &n, &err) && n == 3);
    out = cap_text(&cap);
    CHECK(lines(out) == 3 && clean(out));
    CHECK(strstr(out, cmp_ca_hex(hex, sizeof(hex), issued[0].serial, CMP_CA_SERIAL_MAX)) != NULL);
    CHECK(strstr(out, "confirmed") != NULL && strstr(out, "CN=list-a,O=Lab") != NULL);
    f.status_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
    CHECK(cmp_ca_admin_list(c.store, &f, CMP_CA_FMT_JSON, cap_open(&cap), &n, &err) && n == 2);
    out = cap_text(&cap);
    CHECK(lines(out) == 2 && clean(out) && strncmp(out, "{\"serial\":\"", 11) == 0);
    CHECK(strstr(out, "\"status\":\"waiting\"") != NULL);
    /* RFC 2253 escapes the quotes, JSON escapes the backslashes and quotes again */
    CHECK(strstr(out, "\"subject\":\"CN=quote \\\\\\\"q\\\\\\\"\"") != NULL);
    memset(&f, 0, sizeof(f));
    f.subject_contains = "list-";
    CHECK(cmp_ca_admin_list(c.store, &f, CMP_CA_FMT_TEXT, cap_open(&cap), &n, &err) && n == 1);
    (void)cap_text(&cap);

    /* show */
    CHECK(cmp_ca_admin_show(c.store, hex, CMP_CA_FMT_TEXT, cap_open(&cap), &err));
    out = cap_text(&cap);
    CHECK(strstr(out, "status:           confirmed\n") != NULL && clean(out) &&
          strstr(out, "requester:        kid:41\n") != NULL);
    CHECK(cmp_ca_admin_show(c.store, hex, CMP_CA_FMT_JSON, cap_open(&cap), &err));
    out = cap_text(&cap);
    CHECK(lines(out) == 1 && strstr(out, "\"cert_der_base64\":\"MII") != NULL);
    cmp_ca_hex(hex, sizeof(hex), issued[2].serial, CMP_CA_SERIAL_MAX);
    CHECK(cmp_ca_admin_show(c.store, hex, CMP_CA_FMT_TEXT, cap_open(&cap), &err));
    CHECK(clean(cap_text(&cap)));
    CHECK(!cmp_ca_admin_show(c.store, "0123", CMP_CA_FMT_TEXT, cap_open(&cap), &err) &&
          strstr(err.msg, "no certificate with serial number 0123") != NULL);
    (void)cap_text(&cap);

    /* revoke: a CRL follows; twice is refused */
    CHECK(cmp_ca_admin_revoke(c.ca, hex, "keyCompromise", now, CMP_CA_FMT_TEXT, cap_open(&cap),
                              &err));
    out = cap_text(&cap);
    CHECK(strstr(out, "(keyCompromise); CRL 1 issued") != NULL);
    CHECK(!cmp_ca_admin_revoke(c.ca, hex, "1", now, CMP_CA_FMT_TEXT, cap_open(&cap), &err) &&
          strstr(err.msg, "already revoked") != NULL);
    (void)cap_text(&cap);
    CHECK(!cmp_ca_admin_revoke(c.ca, hex, "certificateHold", now, CMP_CA_FMT_TEXT, cap_open(&cap),
                               &err) &&
          strstr(err.msg, "certificateHold") != NULL);
    (void)cap_text(&cap);
    cmp_ca_hex(hex, sizeof(hex), issued[1].serial, CMP_CA_SERIAL_MAX);
    CHECK(cmp_ca_admin_revoke(c.ca, hex, NULL, now, CMP_CA_FMT_JSON, cap_open(&cap), &err));
    out = cap_text(&cap);
    CHECK(strstr(out, "\"reason\":\"unspecified\",\"crl_number\":2}") != NULL);

    /* secrets: a made one is printed once, never listed */
    CHECK(cmp_ca_admin_secret_add(c.store, "dev-1", NULL, 3600, 1, now, CMP_CA_FMT_TEXT,
                                  cap_open(&cap), &err));
    out = cap_text(&cap);
    p = strstr(out, "secret: pass:");
    CHECK(p != NULL && strlen(p) == strlen("secret: pass:") + 32 + 1);
    if (p != NULL) {
        snprintf(secret, sizeof(secret), "%.32s", p + strlen("secret: pass:"));
    }
    {
        struct cmp_ca_secret_rec *rec = NULL;

        CHECK(cmp_ca_store_get_secret(c.store, (const uint8_t *)"dev-1", 5, &rec, &err) &&
              rec != NULL && rec->secret_len == 32 && memcmp(rec->secret, secret, 32) == 0 &&
              rec->expires == now + 3600 && rec->one_time);
        cmp_ca_secret_rec_free(rec);
    }
    CHECK(cmp_ca_admin_secret_add(c.store, "dev-2", "given", 0, 0, now, CMP_CA_FMT_JSON,
                                  cap_open(&cap), &err));
    out = cap_text(&cap);
    CHECK(strstr(out, "given") == NULL && strstr(out, "\"expires\":null") != NULL);
    CHECK(!cmp_ca_admin_secret_add(c.store, "dev-2", "again", 0, 0, now, CMP_CA_FMT_TEXT,
                                   cap_open(&cap), &err) &&
          strstr(err.msg, "exists already") != NULL);
    (void)cap_text(&cap);
    CHECK(cmp_ca_admin_secret_list(c.store, now, CMP_CA_FMT_TEXT, cap_open(&cap), &err));
    out = cap_text(&cap);
    CHECK(lines(out) == 2 && strstr(out, "dev-1  usable   one-time") != NULL &&
          strstr(out, "dev-2  usable   reusable  expires never") != NULL);
    CHECK(secret[0] != '\0' && strstr(out, secret) == NULL && strstr(out, "given") == NULL);
    CHECK(cmp_ca_admin_secret_list(c.store, now + 7200, CMP_CA_FMT_JSON, cap_open(&cap), &err));
    out = cap_text(&cap);
    CHECK(strstr(out, "{\"ref\":\"dev-1\",\"state\":\"expired\",\"one_time\":true") != NULL);
    CHECK(cmp_ca_admin_secret_remove(c.store, "dev-1", CMP_CA_FMT_TEXT, cap_open(&cap), &err));
    CHECK(strcmp(cap_text(&cap), "removed secret for dev-1\n") == 0);
    CHECK(!cmp_ca_admin_secret_remove(c.store, "dev-1", CMP_CA_FMT_TEXT, cap_open(&cap), &err) &&
          strstr(err.msg, "no secret for 'dev-1'") != NULL);
    (void)cap_text(&cap);

    /* a CRL now, written as PEM */
    {
        struct cap pem = {0};

        CHECK(
            cmp_ca_admin_crl(c.ca, now, cap_open(&pem), 0, CMP_CA_FMT_TEXT, cap_open(&cap), &err));
        CHECK(strncmp(cap_text(&pem), "-----BEGIN X509 CRL-----\n", 25) == 0);
        out = cap_text(&cap);
        CHECK(strncmp(out, "CRL 3 issued: 2 entries, ", 25) == 0);
        free(pem.buf);
    }
    free(cap.buf);
    for (i = 0; i < CT_ARRAY_LEN(issued); i++) {
        cmp_ca_issued_cleanup(&issued[i]);
    }
    ct_ca_free(&c);
    EVP_PKEY_free(k);
}

int
main(void)
{
    test_serial_parse();
    test_commands();
    return check_finish();
}
