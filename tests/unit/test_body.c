/*
 * Unit tests for lib/msg/body.c: the table of body types. Every PKIBody
 * alternative of RFC 9810 5.1.2 has its row (name, description, codec), the
 * requests name the responses that answer them, the flags agree with each
 * other, and every codec of the table decodes, re-encodes and sweeps a
 * content of its own (the families' own tests cover them in depth). Then
 * cmp_body_decode() and cmp_body_encode() dispatch through the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec_check.h"
#include "msg/msg.h"

static const char *const rfc_names[CMP_BODY_MAX + 1] = {
    "ir",     "ip",      "cr",     "cp",   "p10cr", "popdecc", "popdecr",  "kur",     "kup",
    "krr",    "krp",     "rr",     "rp",   "ccr",   "ccp",     "ckuann",   "cann",    "rann",
    "crlann", "pkiconf", "nested", "genm", "genp",  "error",   "certConf", "pollReq", "pollRep",
};

/* What answers what (RFC 9810 5.3, Appendix D). */
static const struct {
    int request, response;
} answers[] = {
    {CMP_BODY_IR, CMP_BODY_IP},
    {CMP_BODY_CR, CMP_BODY_CP},
    {CMP_BODY_P10CR, CMP_BODY_CP},
    {CMP_BODY_KUR, CMP_BODY_KUP},
    {CMP_BODY_KRR, CMP_BODY_KRP},
    {CMP_BODY_RR, CMP_BODY_RP},
    {CMP_BODY_CCR, CMP_BODY_CCP},
    {CMP_BODY_GENM, CMP_BODY_GENP},
    {CMP_BODY_CERTCONF, CMP_BODY_PKICONF},
    {CMP_BODY_POLLREQ, CMP_BODY_POLLREP},
    {CMP_BODY_ERROR, CMP_BODY_PKICONF},
    {CMP_BODY_POPDECC, CMP_BODY_POPDECR},
};

static void
test_rows(void)
{
    int t, n;

    for (t = 0; t <= CMP_BODY_MAX; t++) {
        const struct cmp_body_desc *d = cmp_body_desc(t);
        const char *name = rfc_names[t];

        if (!CHECK_CASE(name, d != NULL && d->name != NULL && d->codec != NULL)) {
            continue;
        }
        CHECK_CASE(name, strcmp(d->name, name) == 0 && cmp_body_type_name(t) == d->name);
        CHECK_CASE(name, d->description != NULL && d->description[0] != '\0');
        CHECK_CASE(name, d->codec->asn1_name != NULL && d->codec->decode != NULL &&
                             d->codec->encode != NULL && d->codec->print != NULL);
        /* A body is sent one way or announced; openers and certificate requests are requests. */
        CHECK_CASE(name, (d->flags &
                          (CMP_BODY_F_REQUEST | CMP_BODY_F_RESPONSE | CMP_BODY_F_ANNOUNCE)) != 0);
        CHECK_CASE(name, !(d->flags & (CMP_BODY_F_FIRST | CMP_BODY_F_CERT_REQ)) ||
                             (d->flags & CMP_BODY_F_REQUEST));
        CHECK_CASE(name, !(d->flags & CMP_BODY_F_CERT_REP) || (d->flags & CMP_BODY_F_RESPONSE));
        /* Whatever answers is a response; a certificate request gets a CertRepMessage. */
        if (d->response != -1) {
            const struct cmp_body_desc *r = cmp_body_desc(d->response);

            CHECK_CASE(name, r != NULL);
            CHECK_CASE(name,
                       r != NULL && (r->flags & (t == CMP_BODY_POPDECC ? CMP_BODY_F_REQUEST
                                                                       : CMP_BODY_F_RESPONSE)));
            CHECK_CASE(name, !(d->flags & CMP_BODY_F_CERT_REQ) ||
                                 (r != NULL && (r->flags & CMP_BODY_F_CERT_REP)));
        }
        /* The requests that open a transaction are answered. */
        CHECK_CASE(name, !(d->flags & CMP_BODY_F_FIRST) || d->response != -1);
    }
    for (n = 0; n < (int)CODEC_NUM(answers); n++) {
        const struct cmp_body_desc *d = cmp_body_desc(answers[n].request);

        CHECK_CASE(rfc_names[answers[n].request], d->response == answers[n].response);
    }
    /* The families share their codec. */
    CHECK(cmp_body_desc(CMP_BODY_IR)->codec == cmp_body_desc(CMP_BODY_CCR)->codec);
    CHECK(cmp_body_desc(CMP_BODY_IP)->codec == cmp_body_desc(CMP_BODY_KUP)->codec);
    CHECK(cmp_body_desc(CMP_BODY_GENM)->codec == cmp_body_desc(CMP_BODY_GENP)->codec);
    CHECK(cmp_body_desc(-1) == NULL && cmp_body_desc(CMP_BODY_MAX + 1) == NULL);
    CHECK(cmp_body_type_name(-1) == NULL && cmp_body_type_name(CMP_BODY_MAX + 1) == NULL);
}

/* One content per codec of the table: accepted rows also get the sweeps. */
static const struct {
    int type;
    struct codec_case row;
} contents[] = {
    {CMP_BODY_GENM, {"genm empty", "3000", 1}},
    {CMP_BODY_GENP, {"genp implicitConfirm", "300C 300A06082B0601050507040D", 1}},
    {CMP_BODY_GENM, {"genm item not an InfoTypeAndValue", "30020500", 0}},
    {CMP_BODY_P10CR, {"p10cr framing only", "3005 3003020100", 1}},
    {CMP_BODY_P10CR, {"p10cr not a SEQUENCE", "0500", 0}},
    {CMP_BODY_P10CR, {"p10cr bad inner framing", "3003300105", 0}},
    {CMP_BODY_NESTED, {"nested pkiconf", "3013 3011300B020102A4023000A4023000B3020500", 1}},
    {CMP_BODY_NESTED, {"nested none (SIZE 1..MAX)", "3000", 0}},
    {CMP_BODY_PKICONF, {"pkiconf", "0500", 1}},
    {CMP_BODY_CERTCONF, {"certConf empty", "3000", 1}},
    {CMP_BODY_POLLREQ, {"pollReq", "30053003020100", 1}},
    {CMP_BODY_POLLREP, {"pollRep", "30083006020100020105", 1}},
    {CMP_BODY_ERROR, {"error", "30053003020102", 1}},
    {CMP_BODY_RR, {"rr", "300430023000", 1}},
    {CMP_BODY_RP, {"rp", "300730053003020100", 1}},
    {CMP_BODY_IP, {"ip", "300c300a30080201003003020100", 1}},
    {CMP_BODY_CANN, {"cann", "3000", 1}},
};

static void
test_codecs(void)
{
    size_t i;

    for (i = 0; i < CODEC_NUM(contents); i++) {
        struct codec c = codec_of_body(contents[i].type);

        codec_check_cases(&c, &contents[i].row, 1);
    }
}

/* cmp_body_decode() and cmp_body_encode(): the [n] wrapper, then the row's codec. */
static const struct {
    const char *name, *hex;
    int type; /* -1: must fail */
    const char *field;
} wrapped[] = {
    {"pkiconf", "B3020500", CMP_BODY_PKICONF, NULL},
    {"certConf", "B8023000", CMP_BODY_CERTCONF, NULL},
    {"popdecc kept whole", "A5023000", CMP_BODY_POPDECC, NULL},
    {"genp", "B60E300C300A06082B0601050507040D", CMP_BODY_GENP, NULL},
    {"unknown body type [27]", "BB020500", -1, "unknown body type"},
    {"primitive [19]", "93020500", -1, "unknown body type"},
    {"trailing data", "B30405000500", -1, "trailing data"},
    {"content fails", "B8020500", -1, "PKIBody certConf"},
};

static void
test_dispatch(void)
{
    size_t i;

    for (i = 0; i < CODEC_NUM(wrapped); i++) {
        const char *name = wrapped[i].name;
        uint8_t buf[64], *enc = NULL;
        size_t len = 0, enc_len = 0;
        struct cmp_body b;
        struct der_in in;
        struct der_out out;
        struct cmp_err err;
        char text[512];

        if (!CHECK_CASE(name, check_unhex(wrapped[i].hex, buf, sizeof(buf), &len))) {
            continue;
        }
        memset(&b, 0, sizeof(b));
        in = der_in_make(buf, len);
        cmp_err_init(&err);
        if (wrapped[i].type < 0) {
            CHECK_CASE(name, !cmp_body_decode(&in, &b, 0, &err) && in.p == buf);
            cmp_err_format(&err, text, sizeof(text));
            if (!CHECK_CASE(name, strstr(text, wrapped[i].field) != NULL)) {
                fprintf(stderr, "    got: %s\n", text);
            }
            cmp_body_cleanup(&b);
            continue;
        }
        CHECK_CASE(name, cmp_body_decode(&in, &b, 0, &err) && der_done(&in) &&
                             b.type == wrapped[i].type && b.raw.p == buf && b.raw.len == len);
        der_out_init(&out, 256);
        if (CHECK_CASE(name, cmp_body_encode(&out, &b) && der_out_finish(&out, &enc, &enc_len))) {
            CHECK_MEM(name, enc, enc_len, buf, len);
            free(enc);
        }
        der_out_cleanup(&out);
        cmp_body_cleanup(&b);
        CHECK_CASE(name, b.type == 0 && b.raw.p == NULL);
    }
    /* A type outside the table neither encodes nor frees anything. */
    {
        struct cmp_body b;
        struct der_out out;

        memset(&b, 0, sizeof(b));
        b.type = CMP_BODY_MAX + 1;
        der_out_init(&out, 64);
        CHECK(!cmp_body_encode(&out, &b) && !der_out_ok(&out));
        der_out_cleanup(&out);
        cmp_body_cleanup(&b);
    }
}

int
main(void)
{
    test_rows();
    test_codecs();
    test_dispatch();
    return check_finish();
}
