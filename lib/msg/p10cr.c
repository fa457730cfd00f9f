/*
 * p10cr, RFC 9810 5.3.4 (RFC 2986): a CertificationRequest. Its contents are
 * for libcrypto (crypto/popo.c checks its signature): the codec checks the
 * framing of the one SEQUENCE and keeps it whole; the printer reads what a
 * person wants to see.
 */
#include "msg/internal.h"

static int
p10cr_decode(struct der_in *in, void *content, int depth, struct cmp_err *err)
{
    struct der_in at = *in, *csr = content;

    if (!der_get_tlv(in, DER_SEQUENCE, csr) || !der_walk(csr, DER_MAX_DEPTH)) {
        *in = at;
        return CMP_DECODE_FAIL(err, &at, "CertificationRequest");
    }
    return 1;
}

static int
p10cr_encode(struct der_out *out, const void *content)
{
    return der_put_in(out, content);
}

/*
 * CertificationRequest ::= SEQUENCE { certificationRequestInfo SEQUENCE {
 *     version INTEGER, subject Name, subjectPKInfo SubjectPublicKeyInfo,
 *     attributes [0] IMPLICIT SET OF Attribute },
 *     signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
 * Attribute ::= SEQUENCE { type OID, values SET OF ANY }      (RFC 2986)
 */
static int
print_csr(struct cmp_printer *pr, int level, const struct der_in *tlv)
{
    struct der_in in = *tlv, csr, info, version, subject, spki, attrs, attr, type, values, ext;
    struct cmp_sbuf name, key, exts, others, sigalg;
    int present, has_exts = 0;

    /* Everything is parsed before anything is printed. */
    cmp_sb_init(&key);
    cmp_sb_init(&exts);
    cmp_sb_init(&others);
    cmp_sb_init(&sigalg);
    if (!der_get(&in, DER_SEQUENCE, &csr) || !der_done(&in) ||
        !der_get(&csr, DER_SEQUENCE, &info) || !der_get(&info, DER_INTEGER, &version) ||
        !der_get_tlv(&info, DER_SEQUENCE, &subject) || !der_get_tlv(&info, DER_SEQUENCE, &spki) ||
        !cmp_sb_spki_tlv(&key, &spki) ||
        !der_get_opt(&info, DER_IMPLICIT(0, DER_SET), &attrs, &present) || !der_done(&info)) {
        return 0;
    }
    while (present && !der_done(&attrs)) {
        if (!der_get(&attrs, DER_SEQUENCE, &attr) || !der_get_oid(&attr, &type) ||
            !der_get(&attr, DER_SET, &values) || !der_done(&attr)) {
            return 0;
        }
        if (cmp_oid_is(&type, CMP_NID_EXT_REQ) && !has_exts) {
            /* extensionRequest: SET OF Extensions, one value in practice */
            if (!der_get(&values, DER_SEQUENCE, &ext) || !cmp_sb_extensions(&exts, &ext)) {
                return 0;
            }
            has_exts = 1;
            continue;
        }
        if (others.len > 0) {
            cmp_sb_puts(&others, ", ");
        }
        cmp_sb_oid(&others, &type, 0);
    }
    if (!cmp_sb_algid(&sigalg, &csr, DER_SEQUENCE)) {
        return 0;
    }
    cmp_pline(pr, level, "subject: %s", cmp_name_str(&name, &subject));
    cmp_pline(pr, level, "publicKey: %s", key.s);
    if (has_exts) {
        cmp_pline(pr, level, "extensions: %s", exts.s);
    }
    if (others.len > 0) {
        cmp_pline(pr, level, "attributes: %s", others.s);
    }
    cmp_pline(pr, level, "signatureAlg: %s", sigalg.s);
    return 1;
}

static void
p10cr_print(struct cmp_printer *pr, int level, const char *name, const void *content, int depth)
{
    const struct der_in *csr = content;

    cmp_pline(pr, level, "body: %s", name);
    if (!print_csr(pr, level + 1, csr)) {
        cmp_pline(pr, level + 1, "(unparsable CertificationRequest, %zu bytes)", csr->len);
    }
}

const struct cmp_body_codec cmp_p10cr_body = {
    "CertificationRequest", sizeof(struct der_in), p10cr_decode, p10cr_encode, NULL, p10cr_print};
