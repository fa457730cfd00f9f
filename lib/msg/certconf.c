/*
 * certConf (CertConfirmContent, RFC 9810 5.3.18) and its answer pkiConf
 * (PKIConfirmContent, 5.3.17), codec and printer. The CMP module uses
 * EXPLICIT TAGS, so hashAlg [0] wraps a whole AlgorithmIdentifier. Syntax
 * only; the ASN.1 is in msg.h.
 */
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

/* ---- certConf: CertConfirmContent ---- */

static int
certstatus_decode(struct der_in *in, struct cmp_certstatus *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at, tagged;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "CertStatus");
    }
    at = seq;
    if (!der_get(&seq, DER_OCTET_STRING, &out->cert_hash)) {
        return CMP_DECODE_FAIL(err, &at, "CertStatus.certHash");
    }
    at = seq;
    if (!der_get_int64(&seq, &out->cert_req_id)) {
        return CMP_DECODE_FAIL(err, &at, "CertStatus.certReqId");
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!cmp_pkistatus_decode(&seq, &out->status, err)) {
            return CMP_CONTEXT(err, "CertStatus.statusInfo");
        }
        out->has_status = 1;
    }
    if (der_peek(&seq, DER_EXPLICIT(0))) {
        at = seq;
        if (!der_get(&seq, DER_EXPLICIT(0), &tagged)) {
            return CMP_DECODE_FAIL(err, &at, "CertStatus.hashAlg");
        }
        if (!cmp_algid_decode(&tagged, DER_SEQUENCE, &out->hash_alg, err)) {
            return CMP_CONTEXT(err, "CertStatus.hashAlg");
        }
        if (!der_done(&tagged)) {
            return CMP_DECODE_FAIL(err, &tagged, "CertStatus.hashAlg");
        }
        out->has_hash_alg = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "CertStatus");
    }
    *in = copy;
    return 1;
}

static int
certstatus_encode(struct der_out *out, const struct cmp_certstatus *cs)
{
    size_t seq, t0;

    return der_open(out, DER_SEQUENCE, &seq) &&
           der_put_octets(out, cs->cert_hash.p, cs->cert_hash.len) &&
           der_put_int64(out, cs->cert_req_id) &&
           (!cs->has_status || cmp_pkistatus_encode(out, &cs->status)) &&
           (!cs->has_hash_alg || (der_open(out, DER_EXPLICIT(0), &t0) &&
                                  cmp_algid_encode(out, &cs->hash_alg) && der_close(out, t0))) &&
           der_close(out, seq);
}

static int
certstatus_elem_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    return certstatus_decode(in, elem, err);
}

/* RFC 9810 5.3.18: an empty SEQUENCE OF is how a client rejects all certificates. */
static const struct cmp_seq_of certconf_seq = {
    "CertConfirmContent", "CertStatus", sizeof(struct cmp_certstatus), 0, certstatus_elem_decode};

int
cmp_certconf_decode(struct der_in *in, struct cmp_certconf *out, struct cmp_err *err)
{
    void *items;
    int ok = cmp_seq_of_decode(in, DER_SEQUENCE, &certconf_seq, NULL, &items, &out->num, err);

    out->items = items;
    return ok;
}

int
cmp_certconf_encode(struct der_out *out, const struct cmp_certconf *cc)
{
    size_t seq, i;

    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < cc->num; i++) {
        if (!certstatus_encode(out, &cc->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

void
cmp_certconf_cleanup(struct cmp_certconf *cc)
{
    size_t i;

    if (cc->items != NULL) {
        for (i = 0; i < cc->num; i++) {
            cmp_pkistatus_cleanup(&cc->items[i].status);
        }
    }
    free(cc->items);
    memset(cc, 0, sizeof(*cc));
}

static void
print_cert_conf(struct cmp_printer *pr, int level, const struct cmp_certconf *cc)
{
    size_t i;

    if (cc->num == 0) {
        cmp_pline(pr, level, "(no CertStatus: all certificates rejected)");
    }
    for (i = 0; i < cc->num; i++) {
        const struct cmp_certstatus *cs = &cc->items[i];
        struct cmp_sbuf sb;

        cmp_pline(pr, level, "CertStatus #%zu: certReqId %lld", i, (long long)cs->cert_req_id);
        cmp_print_hex_field(pr, level + 1, "certHash", &cs->cert_hash);
        if (cs->has_status) {
            cmp_print_status(pr, level + 1, "status", &cs->status);
        }
        if (cs->has_hash_alg) {
            cmp_pline(pr, level + 1, "hashAlg: %s", cmp_oid_str(&sb, &cs->hash_alg.oid, 0));
        }
    }
}

CMP_BODY_CODEC(cmp_certconf_body, "CertConfirmContent", struct cmp_certconf, cmp_certconf,
               print_cert_conf);

/* ---- pkiConf: PKIConfirmContent ::= NULL ---- */

static int
pkiconf_decode(struct der_in *in, void *content, int depth, struct cmp_err *err)
{
    if (!der_get_null(in)) {
        return CMP_DECODE_FAIL(err, in, "PKIConfirmContent");
    }
    return 1;
}

static int
pkiconf_encode(struct der_out *out, const void *content)
{
    return der_put_null(out);
}

static void
pkiconf_print(struct cmp_printer *pr, int level, const char *name, const void *content, int depth)
{
    cmp_pline(pr, level, "body: %s", name);
}

const struct cmp_body_codec cmp_pkiconf_body = {"PKIConfirmContent", 0,    pkiconf_decode,
                                                pkiconf_encode,      NULL, pkiconf_print};
