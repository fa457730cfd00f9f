/*
 * CRL update retrieval (RFC 9810 5.3.19.17, RFC 9483 4.3.4):
 *   genm: id-it-crlStatusList, SEQUENCE SIZE (1..MAX) OF CRLStatus
 *   genp: id-it-crls, SEQUENCE SIZE (1..MAX) OF CertificateList | absent
 * We send one CRLStatus: the source of the CRL (a distribution point name
 * if one is known, else the issuer's names) and the thisUpdate of the CRL
 * we have, if any; the server sends a CRL only if it has a newer one.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "client/internal.h"

/* GeneralNames holding exactly one directoryName (RFC 9483 4.3.4: the issuer is a DN). */
static int
one_dirname(const GENERAL_NAMES *names)
{
    return names != NULL && sk_GENERAL_NAME_num(names) == 1 &&
           sk_GENERAL_NAME_value(names, 0)->type == GEN_DIRNAME;
}

/* DER of GeneralNames with the one directoryName |name|, into |*out|. */
static int
dirname_gnames(const X509_NAME *name, unsigned char **out, int *out_len)
{
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    GENERAL_NAME *gn = GENERAL_NAME_new();
    X509_NAME *dn = X509_NAME_dup(name);
    int ok = names != NULL && gn != NULL && dn != NULL;

    if (ok) {
        GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
        dn = NULL;
        ok = sk_GENERAL_NAME_push(names, gn) > 0;
    }
    if (!ok) {
        GENERAL_NAME_free(gn);
        X509_NAME_free(dn);
    }
    *out_len = ok ? i2d_GENERAL_NAMES(names, out) : 0;
    GENERAL_NAMES_free(names);
    return *out_len > 0;
}

/*
 * The CRLSource (its DER and choice) as openssl 3.6's client
 * picks it: with a certificate, the first of its CRL distribution points
 * that has a distributionPoint, else the first cRLIssuer that is one
 * directoryName, else its authorityKeyIdentifier's issuer (one
 * directoryName), else its issuer; without one, the CRL's issuing
 * distribution point, else its AKID issuer, else its issuer.
 */
static int
crl_source(X509 *cert, X509_CRL *crl, unsigned char **der, int *len, int *type)
{
    STACK_OF(DIST_POINT) *dps = NULL;
    ISSUING_DIST_POINT *idp = NULL;
    AUTHORITY_KEYID *akid = NULL;
    DIST_POINT_NAME *dpn = NULL;
    const GENERAL_NAMES *issuer = NULL;
    int i;

    *der = NULL;
    *len = 0;
    if (cert != NULL) {
        dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
        for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
            DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

            if (dp->distpoint != NULL) {
                dpn = dp->distpoint;
                issuer = NULL;
                break;
            }
            if (issuer == NULL && one_dirname(dp->CRLissuer)) {
                issuer = dp->CRLissuer;
            }
        }
    } else {
        idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
        if (idp != NULL) {
            dpn = idp->distpoint;
        }
    }
    if (dpn != NULL) {
        *type = CMP_CRL_SOURCE_DPN;
        *len = i2d_DIST_POINT_NAME(dpn, der);
    } else if (issuer != NULL) {
        *type = CMP_CRL_SOURCE_ISSUER;
        *len = i2d_GENERAL_NAMES(issuer, der);
    } else {
        *type = CMP_CRL_SOURCE_ISSUER;
        akid = cert != NULL ? X509_get_ext_d2i(cert, NID_authority_key_identifier, NULL, NULL)
                            : X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
        if (akid != NULL && one_dirname(akid->issuer)) {
            *len = i2d_GENERAL_NAMES(akid->issuer, der);
        } else {
            dirname_gnames(cert != NULL ? X509_get_issuer_name(cert) : X509_CRL_get_issuer(crl),
                           der, len);
        }
    }
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    ISSUING_DIST_POINT_free(idp);
    AUTHORITY_KEYID_free(akid);
    ERR_clear_error();
    return *len > 0;
}

int
cmp_get1_crl_update(struct cmp_ctx *ctx, X509 *crl_cert, X509_CRL *old_crl, X509_CRL **crl)
{
    struct cmp_crl_status st;
    struct cmp_crl_status_list list, sent;
    const struct cmp_itav *itav;
    unsigned char *src = NULL, *time_der = NULL;
    uint8_t *value = NULL;
    size_t value_len = 0;
    struct der_out out;
    struct der_in in;
    int src_len = 0, time_len = 0, ok = 0;

    if (ctx == NULL || crl == NULL) {
        return 0;
    }
    *crl = NULL;
    cmp_cli_clear_results(ctx);
    if (crl_cert == NULL && old_crl == NULL) {
        return CMP_FAIL(&ctx->err, CMP_E_ARG,
                        "crlStatusList: neither a certificate (-crlcert) nor a CRL (-oldcrl) names "
                        "the CRL source");
    }
    memset(&st, 0, sizeof(st));
    memset(&sent, 0, sizeof(sent));
    if (!crl_source(crl_cert, old_crl, &src, &src_len, &st.source_type)) {
        OPENSSL_free(src);
        return CMP_FAIL_SSL(&ctx->err, CMP_FI_NONE, "crlStatusList: the CRL source");
    }
    st.source = der_in_make(src, (size_t)src_len);
    if (old_crl != NULL) {
        time_len = i2d_ASN1_TIME(X509_CRL_get0_lastUpdate(old_crl), &time_der);
        if (time_len <= 0) {
            OPENSSL_free(src);
            return CMP_FAIL_SSL(&ctx->err, CMP_FI_NONE, "crlStatusList: thisUpdate of -oldcrl");
        }
        st.has_this_update = 1;
        st.this_update = der_in_make(time_der, (size_t)time_len);
    }
    list.num = 1;
    list.items = &st;
    der_out_init(&out, CMP_MAX_MSG_LEN);
    if (!cmp_crl_status_list_encode(&out, &list) || !der_out_finish(&out, &value, &value_len)) {
        der_out_cleanup(&out);
        CMP_FAIL(&ctx->err, CMP_E_ENCODE, "crlStatusList");
        goto end;
    }
    der_out_cleanup(&out);
    /* What we sent, decoded: the source's names and thisUpdate the answer must match. */
    in = der_in_make(value, value_len);
    if (!cmp_crl_status_list_decode(&in, &sent, &ctx->err)) {
        CMP_CONTEXT(&ctx->err, "crlStatusList made from -crlcert/-oldcrl");
        goto end;
    }
    if (!cmp_cli_support_genm(ctx, CMP_NID_IT_CRL_STATUS_LIST, value, value_len, CMP_NID_IT_CRLS,
                              &itav)) {
        goto end;
    }
    if (itav->has_value && !cmp_vfy_crls(&itav->value, &sent.items[0], crl, &ctx->err)) {
        CMP_CONTEXT(&ctx->err, "genp with crls");
        goto end;
    }
    ok = 1; /* without a value: no newer CRL */
end:
    cmp_crl_status_list_cleanup(&sent);
    free(value);
    OPENSSL_free(src);
    OPENSSL_free(time_der);
    return ok;
}
