/*
 * The parameters of the AlgorithmIdentifiers that CMP messages carry, one
 * parser per schema, for protection (crypto/protect.c, crypto/sig.c),
 * certHash (crypto/certhash.c) and the printer alike. Syntax only: which
 * algorithms, lengths and counts are acceptable is for the callers.
 *
 * INTEGER fields are kept as their contents, not converted: a caller that
 * needs the value takes it with der_parse_int64(), which refuses a
 * non-minimal or too large one; the printer shows such a one as it is.
 * Failures record CMP_E_DECODE naming the field ("malformed
 * PBMParameter.salt"); the caller decides the failure bit it reports.
 */
#include <string.h>

#include "msg/internal.h"

int
cmp_params_absent_or_null(const struct der_in *params)
{
    return params->len == 0 ||
           (params->len == 2 && params->p[0] == DER_NULL && params->p[1] == 0x00);
}

/* field_algid() reads one AlgorithmIdentifier SEQUENCE for the field |what|. */
static int
field_algid(struct der_in *in, struct cmp_algid *out, const char *what, struct cmp_err *err)
{
    if (!cmp_algid_decode(in, DER_SEQUENCE, out, NULL)) {
        return CMP_DECODE_FAIL(err, in, what);
    }
    return 1;
}

/* open_params() steps into the parameters TLV, which must be exactly one SEQUENCE. */
static int
open_params(const struct der_in *params, struct der_in *out_seq, const char *what,
            struct cmp_err *err)
{
    struct der_in in = *params;

    if (!der_get(&in, DER_SEQUENCE, out_seq) || !der_done(&in)) {
        return CMP_DECODE_FAIL(err, params, what);
    }
    return 1;
}

/* ---- PBMParameter (RFC 9810 5.1.3.1, RFC 4211 4.4) ---- */

int
cmp_pbm_params_decode(const struct der_in *params, struct cmp_pbm_params *out, struct cmp_err *err)
{
    struct der_in seq;

    memset(out, 0, sizeof(*out));
    if (!open_params(params, &seq, "PBMParameter", err)) {
        return 0;
    }
    if (!der_get(&seq, DER_OCTET_STRING, &out->salt)) {
        return CMP_DECODE_FAIL(err, &seq, "PBMParameter.salt");
    }
    if (!field_algid(&seq, &out->owf, "PBMParameter.owf", err)) {
        return 0;
    }
    if (!der_get(&seq, DER_INTEGER, &out->iteration_count)) {
        return CMP_DECODE_FAIL(err, &seq, "PBMParameter.iterationCount");
    }
    if (!field_algid(&seq, &out->mac, "PBMParameter.mac", err)) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "PBMParameter (trailing data)");
    }
    return 1;
}

/* ---- DHBMParameter (RFC 9810 5.1.3.2) ---- */

int
cmp_dhbm_params_decode(const struct der_in *params, struct cmp_dhbm_params *out,
                       struct cmp_err *err)
{
    struct der_in seq;

    memset(out, 0, sizeof(*out));
    if (!open_params(params, &seq, "DHBMParameter", err) ||
        !field_algid(&seq, &out->owf, "DHBMParameter.owf", err) ||
        !field_algid(&seq, &out->mac, "DHBMParameter.mac", err)) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "DHBMParameter (trailing data)");
    }
    return 1;
}

/* ---- PBMAC1-params and PBKDF2-params (RFC 8018 A.5, A.2) ---- */

int
cmp_pbmac1_params_decode(const struct der_in *params, struct cmp_pbmac1_params *out,
                         struct cmp_err *err)
{
    struct der_in seq;

    memset(out, 0, sizeof(*out));
    if (!open_params(params, &seq, "PBMAC1-params", err) ||
        !field_algid(&seq, &out->kdf, "PBMAC1-params", err) ||
        !field_algid(&seq, &out->mac, "PBMAC1-params", err)) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "PBMAC1-params");
    }
    return 1;
}

int
cmp_pbkdf2_params_decode(const struct der_in *params, struct cmp_pbkdf2_params *out,
                         struct cmp_err *err)
{
    struct der_in seq;

    memset(out, 0, sizeof(*out));
    if (!open_params(params, &seq, "PBKDF2-params", err)) {
        return 0;
    }
    /* salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier } */
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!field_algid(&seq, &out->salt_source, "PBKDF2-params.salt", err)) {
            return 0;
        }
        out->has_salt_source = 1;
    } else if (!der_get(&seq, DER_OCTET_STRING, &out->salt)) {
        return CMP_DECODE_FAIL(err, &seq, "PBKDF2-params.salt");
    }
    if (!der_get(&seq, DER_INTEGER, &out->iteration_count)) {
        return CMP_DECODE_FAIL(err, &seq, "PBKDF2-params.iterationCount");
    }
    if (der_peek(&seq, DER_INTEGER)) {
        if (!der_get(&seq, DER_INTEGER, &out->key_length)) {
            return CMP_DECODE_FAIL(err, &seq, "PBKDF2-params.keyLength");
        }
        out->has_key_length = 1;
    }
    if (!der_done(&seq)) {
        if (!field_algid(&seq, &out->prf, "PBKDF2-params.prf", err)) {
            return 0;
        }
        out->has_prf = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "PBKDF2-params (trailing data)");
    }
    return 1;
}

/* ---- RSASSA-PSS-params (RFC 4055 3.1, RFC 8017 A.2.3) ---- */

/* An optional [n] EXPLICIT field: its contents, and whether it is there. */
static int
explicit_opt(struct der_in *seq, unsigned n, int *present, struct der_in *out_inner,
             const char *what, struct cmp_err *err)
{
    struct der_in at = *seq;

    if (!der_get_opt(seq, DER_EXPLICIT(n), out_inner, present)) {
        return CMP_DECODE_FAIL(err, &at, what);
    }
    return 1;
}

static int
explicit_algid(struct der_in *seq, unsigned n, int *present, struct cmp_algid *out,
               const char *what, struct cmp_err *err)
{
    struct der_in inner;

    if (!explicit_opt(seq, n, present, &inner, what, err)) {
        return 0;
    }
    if (*present && (!cmp_algid_decode(&inner, DER_SEQUENCE, out, NULL) || !der_done(&inner))) {
        return CMP_DECODE_FAIL(err, &inner, what);
    }
    return 1;
}

static int
explicit_integer(struct der_in *seq, unsigned n, int *present, struct der_in *out, const char *what,
                 struct cmp_err *err)
{
    struct der_in inner;

    if (!explicit_opt(seq, n, present, &inner, what, err)) {
        return 0;
    }
    if (*present && (!der_get(&inner, DER_INTEGER, out) || !der_done(&inner))) {
        return CMP_DECODE_FAIL(err, &inner, what);
    }
    return 1;
}

int
cmp_pss_params_decode(const struct der_in *params, struct cmp_pss_params *out, struct cmp_err *err)
{
    struct der_in seq, mgf_params;

    memset(out, 0, sizeof(*out));
    if (!open_params(params, &seq, "RSASSA-PSS-params", err) ||
        !explicit_algid(&seq, 0, &out->has_hash, &out->hash, "RSASSA-PSS-params.hashAlgorithm",
                        err) ||
        !explicit_algid(&seq, 1, &out->has_mgf, &out->mgf, "RSASSA-PSS-params.maskGenAlgorithm",
                        err) ||
        !explicit_integer(&seq, 2, &out->has_salt_length, &out->salt_length,
                          "RSASSA-PSS-params.saltLength", err) ||
        !explicit_integer(&seq, 3, &out->has_trailer_field, &out->trailer_field,
                          "RSASSA-PSS-params.trailerField", err)) {
        return 0;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "RSASSA-PSS-params (trailing data)");
    }
    /* MGF1's parameters are the AlgorithmIdentifier of its hash (RFC 8017 B.2.1). */
    if (out->has_mgf && cmp_oid_is(&out->mgf.oid, CMP_NID_MGF1) && out->mgf.params.len > 0) {
        mgf_params = out->mgf.params;
        if (!cmp_algid_decode(&mgf_params, DER_SEQUENCE, &out->mgf1_hash, NULL) ||
            !der_done(&mgf_params)) {
            return CMP_DECODE_FAIL(err, &mgf_params, "RSASSA-PSS-params.maskGenAlgorithm");
        }
        out->has_mgf1_hash = 1;
    }
    return 1;
}

/* ---- printing the parameters of protection algorithms ---- */

/* INTEGER contents as a decimal number when it fits, else as hex. */
static void
sb_int_contents(struct cmp_sbuf *sb, const struct der_in *body)
{
    int64_t v;

    if (der_parse_int64(body, &v)) {
        cmp_sb_add(sb, "%lld", (long long)v);
    } else {
        cmp_sb_serial(sb, body);
    }
}

static int
sb_pbm_params(struct cmp_sbuf *sb, const struct der_in *params)
{
    struct cmp_pbm_params p;

    if (!cmp_pbm_params_decode(params, &p, NULL)) {
        return 0;
    }
    cmp_sb_puts(sb, "salt: ");
    cmp_sb_hex(sb, p.salt.p, p.salt.len);
    cmp_sb_puts(sb, "  owf: ");
    cmp_sb_oid(sb, &p.owf.oid, 0);
    cmp_sb_puts(sb, "  iterationCount: ");
    sb_int_contents(sb, &p.iteration_count);
    cmp_sb_puts(sb, "  mac: ");
    cmp_sb_oid(sb, &p.mac.oid, 0);
    return 1;
}

static int
sb_dhbm_params(struct cmp_sbuf *sb, const struct der_in *params)
{
    struct cmp_dhbm_params p;

    if (!cmp_dhbm_params_decode(params, &p, NULL)) {
        return 0;
    }
    cmp_sb_puts(sb, "owf: ");
    cmp_sb_oid(sb, &p.owf.oid, 0);
    cmp_sb_puts(sb, "  mac: ");
    cmp_sb_oid(sb, &p.mac.oid, 0);
    return 1;
}

static int
sb_pbmac1_params(struct cmp_sbuf *sb, const struct der_in *params)
{
    struct cmp_pbmac1_params p;
    struct cmp_pbkdf2_params kp;

    if (!cmp_pbmac1_params_decode(params, &p, NULL)) {
        return 0;
    }
    cmp_sb_puts(sb, "kdf: ");
    cmp_sb_oid(sb, &p.kdf.oid, 0);
    if (cmp_oid_is(&p.kdf.oid, CMP_NID_PBKDF2)) {
        if (!cmp_pbkdf2_params_decode(&p.kdf.params, &kp, NULL)) {
            return 0;
        }
        cmp_sb_puts(sb, "  salt: ");
        if (kp.has_salt_source) {
            cmp_sb_oid(sb, &kp.salt_source.oid, 0);
        } else {
            cmp_sb_hex(sb, kp.salt.p, kp.salt.len);
        }
        cmp_sb_puts(sb, "  iterationCount: ");
        sb_int_contents(sb, &kp.iteration_count);
        if (kp.has_key_length) {
            cmp_sb_puts(sb, "  keyLength: ");
            sb_int_contents(sb, &kp.key_length);
        }
        cmp_sb_puts(sb, "  prf: ");
        if (kp.has_prf) {
            cmp_sb_oid(sb, &kp.prf.oid, 0);
        } else {
            cmp_sb_puts(sb, "hmacWithSHA1 (default)");
        }
    }
    cmp_sb_puts(sb, "  mac: ");
    cmp_sb_oid(sb, &p.mac.oid, 0);
    return 1;
}

static int
sb_pss_params(struct cmp_sbuf *sb, const struct der_in *params)
{
    struct cmp_pss_params p;
    struct der_in mgf_params;

    if (!cmp_pss_params_decode(params, &p, NULL)) {
        return 0;
    }
    cmp_sb_puts(sb, "hash: ");
    if (p.has_hash) {
        cmp_sb_oid(sb, &p.hash.oid, 0);
    } else {
        cmp_sb_puts(sb, "sha1");
    }
    cmp_sb_puts(sb, "  mgf: ");
    if (!p.has_mgf) {
        cmp_sb_puts(sb, "mgf1 sha1");
    } else {
        cmp_sb_oid(sb, &p.mgf.oid, 0);
        if (p.has_mgf1_hash) {
            cmp_sb_puts(sb, " ");
            cmp_sb_oid(sb, &p.mgf1_hash.oid, 0);
        } else if (p.mgf.params.len > 0) {
            /* another mask generation function: its parameters shown the same way */
            mgf_params = p.mgf.params;
            cmp_sb_puts(sb, " ");
            if (!cmp_sb_algid(sb, &mgf_params, DER_SEQUENCE)) {
                return 0;
            }
        }
    }
    cmp_sb_puts(sb, "  saltLength: ");
    if (p.has_salt_length) {
        sb_int_contents(sb, &p.salt_length);
    } else {
        cmp_sb_puts(sb, "20");
    }
    return 1;
}

/*
 * The parameters of a protection or POPO algorithm, for a line of their
 * own. Returns 1 with nothing added when there is nothing worth showing
 * (absent or NULL), 0 when they don't parse.
 */
int
cmp_sb_alg_params(struct cmp_sbuf *sb, const struct der_in *oid, const struct der_in *params)
{
    if (cmp_params_absent_or_null(params)) {
        return 1;
    }
    if (cmp_oid_is(oid, CMP_NID_PASSWORD_BASED_MAC)) {
        return sb_pbm_params(sb, params);
    }
    if (cmp_oid_is(oid, CMP_NID_DH_BASED_MAC)) {
        return sb_dhbm_params(sb, params);
    }
    if (cmp_oid_is(oid, CMP_NID_PBMAC1)) {
        return sb_pbmac1_params(sb, params);
    }
    if (cmp_oid_is(oid, CMP_NID_RSASSA_PSS)) {
        return sb_pss_params(sb, params);
    }
    cmp_sb_add(sb, "parameters: %zu bytes", params->len);
    return 1;
}
