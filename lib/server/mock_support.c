/*
 * The mock's answers to the support messages (RFC 9810 5.3.19.14-17, RFC
 * 9483 4.3), as openssl 3.6's mock server gives them
 * (apps/lib/cmp_mock_srv.c, process_genm_itav()):
 *
 *   caCerts          the -rsp_capubs certificates (no value without any)
 *   rootCaCert       rootCaKeyUpdate of -rsp_newwithnew, -rsp_newwithold and
 *                    -rsp_oldwithnew; no value without -rsp_newwithnew, or if
 *                    the root in the genm has another subject than the new one
 *   certReqTemplate  a template with the issuer of -rsp_cert (the mock's
 *                    reference certificate) and a keySpec of id-ecPublicKey
 *                    and RSA 4096
 *   crlStatusList    exactly one CRLStatus; crls with -rsp_crl if the
 *                    client's thisUpdate is older than its (or absent), else
 *                    no value; an issuer source must name -rsp_crl's issuer as
 *                    a directoryName
 *   anything else    echoed
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "server/internal.h"

/* Finishes |out| into s->buf[slot] and points |itav|'s value at it. */
static int
finish(struct cmp_srv_mock_support *s, int slot, struct der_out *out, struct cmp_srv_itav *itav,
       const char *what, struct cmp_err *err)
{
    size_t len = 0;

    if (!der_out_finish(out, &s->buf[slot], &len)) {
        der_out_cleanup(out);
        return CMP_FAIL(err, CMP_E_ENCODE, "%s", what);
    }
    der_out_cleanup(out);
    itav->value.p = s->buf[slot];
    itav->value.len = len;
    return 1;
}

/* The DER of |x| into a new OPENSSL_malloc'd buffer, as a der_in. */
static int
cert_der(X509 *x, unsigned char **buf, struct der_in *out)
{
    int len = x != NULL ? i2d_X509(x, buf) : 0;

    *out = der_in_make(*buf, len > 0 ? (size_t)len : 0);
    return x == NULL || len > 0;
}

static int
init_root_update(struct cmp_srv_mock_support *s, const struct cmp_srv_config *cfg,
                 struct cmp_err *err)
{
    struct cmp_root_ca_key_update u;
    unsigned char *d[3] = {NULL, NULL, NULL};
    struct der_out out;
    int ok;

    memset(&u, 0, sizeof(u));
    s->root_update.type = s->no_root_update.type;
    if (cfg->rsp_newwithnew == NULL) {
        return 1; /* no update: the same answer as no_root_update */
    }
    s->new_root_subject = X509_NAME_dup(X509_get_subject_name(cfg->rsp_newwithnew));
    ok = s->new_root_subject != NULL && cert_der(cfg->rsp_newwithnew, &d[0], &u.new_with_new) &&
         cert_der(cfg->rsp_newwithold, &d[1], &u.new_with_old) &&
         cert_der(cfg->rsp_oldwithnew, &d[2], &u.old_with_new);
    u.has_new_with_old = cfg->rsp_newwithold != NULL;
    u.has_old_with_new = cfg->rsp_oldwithnew != NULL;
    if (ok) {
        der_out_init(&out, CMP_MAX_MSG_LEN);
        ok = cmp_root_ca_key_update_encode(&out, &u) &&
             finish(s, 0, &out, &s->root_update, "rootCaKeyUpdate", err);
    } else {
        CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_newwithnew, -rsp_newwithold, -rsp_oldwithnew");
    }
    OPENSSL_free(d[0]);
    OPENSSL_free(d[1]);
    OPENSSL_free(d[2]);
    return ok;
}

static int
init_template(struct cmp_srv_mock_support *s, const struct der_in *ref_issuer, struct cmp_err *err)
{
    struct cmp_cert_req_template t;
    struct cmp_itav controls[2];
    uint8_t ec_alg[16], rsa_len[8];
    struct der_out out;
    size_t mark;
    int ok;

    memset(&t, 0, sizeof(t));
    memset(controls, 0, sizeof(controls));
    /* id-regCtrl-algId: AlgorithmIdentifier { id-ecPublicKey } without parameters */
    der_out_init(&out, sizeof(ec_alg));
    ok = der_open(&out, DER_SEQUENCE, &mark) && cmp_oid_put(&out, CMP_NID_EC_PUBLIC_KEY) &&
         der_close(&out, mark) && out.len <= sizeof(ec_alg);
    if (ok) {
        memcpy(ec_alg, out.buf, out.len);
        controls[0].value = der_in_make(ec_alg, out.len);
    }
    der_out_cleanup(&out);
    /* id-regCtrl-rsaKeyLen: 4096 */
    der_out_init(&out, sizeof(rsa_len));
    ok = ok && der_put_int64(&out, 4096) && out.len <= sizeof(rsa_len);
    if (ok) {
        memcpy(rsa_len, out.buf, out.len);
        controls[1].value = der_in_make(rsa_len, out.len);
    }
    der_out_cleanup(&out);
    if (!ok) {
        return CMP_FAIL(err, CMP_E_ENCODE, "certReqTemplate keySpec");
    }
    controls[0].type = cmp_oid(CMP_NID_REG_CTRL_ALG_ID);
    controls[0].has_value = 1;
    controls[1].type = cmp_oid(CMP_NID_REG_CTRL_RSA_KEY_LEN);
    controls[1].has_value = 1;
    t.has_key_spec = 1;
    t.key_spec.num = 2;
    t.key_spec.items = controls;
    if (ref_issuer->len > 0) {
        t.tmpl.has_issuer = 1;
        t.tmpl.issuer = *ref_issuer;
    }
    der_out_init(&out, CMP_MAX_MSG_LEN);
    return cmp_cert_req_template_encode(&out, &t) &&
           finish(s, 1, &out, &s->req_template, "certReqTemplate", err);
}

/* The seconds since the epoch of |t|, or 0 with an error. */
static int
time_secs(const ASN1_TIME *t, int64_t *out, struct cmp_err *err)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "thisUpdate of -rsp_crl");
    }
    *out = der_time_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                               tm.tm_min, tm.tm_sec);
    return 1;
}

static int
init_crls(struct cmp_srv_mock_support *s, X509_CRL *crl, struct cmp_err *err)
{
    unsigned char *der = NULL;
    struct der_out out;
    size_t mark;
    int len, ok;

    if (crl == NULL) {
        return 1;
    }
    len = i2d_X509_NAME(X509_CRL_get_issuer(crl), &der);
    if (len <= 0 || (s->buf[4] = malloc((size_t)len)) == NULL) {
        OPENSSL_free(der);
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "issuer of -rsp_crl");
    }
    memcpy(s->buf[4], der, (size_t)len);
    s->crl_issuer = der_in_make(s->buf[4], (size_t)len);
    OPENSSL_free(der);
    der = NULL;
    len = i2d_X509_CRL(crl, &der);
    if (len <= 0) {
        return CMP_FAIL_SSL(err, CMP_FI_NONE, "-rsp_crl");
    }
    if (!time_secs(X509_CRL_get0_lastUpdate(crl), &s->crl_this_update, err)) {
        OPENSSL_free(der);
        return 0;
    }
    /* CRLsValue ::= SEQUENCE SIZE (1..MAX) OF CertificateList */
    der_out_init(&out, CMP_MAX_MSG_LEN);
    ok = der_open(&out, DER_SEQUENCE, &mark) && der_put_raw(&out, der, (size_t)len) &&
         der_close(&out, mark) && finish(s, 2, &out, &s->crls, "crls", err);
    if (!ok) {
        der_out_cleanup(&out);
    }
    OPENSSL_free(der);
    return ok;
}

static int
init_ca_certs(struct cmp_srv_mock_support *s, const struct cmp_srv_certs *ca_pubs,
              struct cmp_err *err)
{
    struct cmp_certs certs;
    struct der_out out;

    if (ca_pubs->num == 0) {
        return 1;
    }
    certs.num = ca_pubs->num;
    certs.items = ca_pubs->items;
    der_out_init(&out, CMP_MAX_MSG_LEN);
    if (!cmp_certs_encode(&out, DER_SEQUENCE, &certs)) {
        der_out_cleanup(&out);
        return CMP_FAIL(err, CMP_E_ENCODE, "caCerts");
    }
    return finish(s, 3, &out, &s->ca_certs, "caCerts", err);
}

static void
set_type(struct cmp_srv_itav *itav, int nid)
{
    struct der_in oid = cmp_oid(nid);

    itav->type.p = oid.p;
    itav->type.len = oid.len;
}

int
cmp_srv_mock_support_init(struct cmp_srv_mock_support *s, const struct cmp_srv_config *cfg,
                          const struct cmp_srv_certs *ca_pubs, const struct der_in *ref_issuer,
                          struct cmp_err *err)
{
    memset(s, 0, sizeof(*s));
    set_type(&s->ca_certs, CMP_NID_IT_CA_CERTS);
    set_type(&s->no_root_update, CMP_NID_IT_ROOT_CA_KEY_UPDATE);
    set_type(&s->req_template, CMP_NID_IT_CERT_REQ_TEMPLATE);
    set_type(&s->crls, CMP_NID_IT_CRLS);
    set_type(&s->no_crls, CMP_NID_IT_CRLS);
    return init_ca_certs(s, ca_pubs, err) && init_root_update(s, cfg, err) &&
           init_template(s, ref_issuer, err) && init_crls(s, cfg->rsp_crl, err);
}

void
cmp_srv_mock_support_cleanup(struct cmp_srv_mock_support *s)
{
    size_t i;

    X509_NAME_free(s->new_root_subject);
    for (i = 0; i < sizeof(s->buf) / sizeof(s->buf[0]); i++) {
        free(s->buf[i]);
    }
    memset(s, 0, sizeof(*s));
}

/* rootCaCert: the update, unless the genm's root has another subject than the new root. */
static const struct cmp_srv_itav *
answer_root(const struct cmp_srv_mock_support *s, const struct cmp_itav *req, struct cmp_err *err)
{
    X509 *old;
    int same;

    if (s->new_root_subject == NULL || !req->has_value) {
        return s->new_root_subject != NULL ? &s->root_update : &s->no_root_update;
    }
    old = cmp_vfy_cert_parse(&req->value);
    if (old == NULL) {
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "rootCaCert is not a certificate");
        return NULL;
    }
    same = X509_NAME_cmp(X509_get_subject_name(old), s->new_root_subject) == 0;
    X509_free(old);
    return same ? &s->root_update : &s->no_root_update;
}

/* crlStatusList: -rsp_crl if it is newer than the client's. */
static const struct cmp_srv_itav *
answer_crls(const struct cmp_srv_mock_support *s, const struct cmp_itav *req,
            struct cmp_srv_answer *a, struct cmp_err *err)
{
    struct cmp_crl_status_list l;
    struct der_in v = req->value;
    const struct cmp_crl_status *st;
    const struct cmp_srv_itav *ans = &s->no_crls;

    memset(&l, 0, sizeof(l));
    if (!req->has_value || !cmp_crl_status_list_decode(&v, &l, NULL) || l.num != 1) {
        cmp_crl_status_list_cleanup(&l);
        a->error_text = "crlStatusList must hold one CRLStatus";
        CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "crlStatusList without exactly one CRLStatus");
        return NULL;
    }
    st = &l.items[0];
    if (s->crl_issuer.len == 0) {
        goto end; /* no CRL to give */
    }
    if (st->source_type == CMP_CRL_SOURCE_ISSUER) {
        /* RFC 9483 4.3.4: the issuer is named by a directoryName */
        if (st->names[0].type != CMP_GN_DIRNAME) {
            a->error_text = "CRL issuer must be a directoryName";
            CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                          "crlStatusList: issuer GeneralName is not a directoryName");
            ans = NULL;
            goto end;
        }
        if (!cmp_vfy_name_eq(&st->names[0].value, &s->crl_issuer)) {
            a->error_text = "unknown CRL issuer";
            CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                          "crlStatusList: the CRL issuer is not that of -rsp_crl");
            ans = NULL;
            goto end;
        }
    }
    /* openssl's mock does not look at a distribution point name */
    if (!st->has_this_update || st->this_update_secs < s->crl_this_update) {
        ans = &s->crls;
    }
end:
    cmp_crl_status_list_cleanup(&l);
    return ans;
}

int
cmp_srv_mock_support_answer(const struct cmp_srv_mock_support *s, const struct cmp_srv_call *call,
                            const struct cmp_srv_itav *req, struct cmp_srv_answer *a,
                            struct cmp_err *err)
{
    struct cmp_itav itav;
    const struct cmp_srv_itav *ans;

    memset(&itav, 0, sizeof(itav));
    itav.type = der_in_make(req->type.p, req->type.len);
    itav.has_value = req->value.len > 0;
    itav.value = der_in_make(req->value.p, req->value.len);
    if (!cmp_itav_value_check(&itav, err)) {
        a->error_text = "malformed InfoTypeAndValue";
        return CMP_CONTEXT(err, "genm");
    }
    switch (cmp_oid_nid(&itav.type)) {
    case CMP_NID_IT_CA_CERTS:
        ans = &s->ca_certs;
        break;
    case CMP_NID_IT_ROOT_CA_CERT:
        ans = answer_root(s, &itav, err);
        break;
    case CMP_NID_IT_CERT_REQ_TEMPLATE:
        ans = &s->req_template;
        break;
    case CMP_NID_IT_CRL_STATUS_LIST:
        ans = answer_crls(s, &itav, a, err);
        break;
    default:
        ans = req; /* other types: echoed */
        break;
    }
    if (ans == NULL) {
        return CMP_CONTEXT(err, "genm");
    }
    if (ans != req) {
        struct der_in type = der_in_make(ans->type.p, ans->type.len);

        cmp_srv_call_log(call, CMP_SRV_LOG_INFO, "answering genm with %s %s", cmp_oid_name(&type),
                         ans->value.len > 0 ? "and a value" : "without a value");
    }
    a->itavs = ans;
    a->num_itavs = 1;
    return 1;
}
