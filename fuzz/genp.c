/*
 * libFuzzer target: the values of the genm/genp support messages (RFC 9810
 * 5.3.19.14-17): genp contents as a client checks them, and CRL status
 * lists and root CA certificates as the mock server answers them. The
 * first byte picks the infoType, the rest is its value:
 *   0 caCerts   1 rootCaKeyUpdate   2 certReqTemplate   3 crls
 *   4 crlStatusList   5 rootCaCert   (others: the first byte mod 6)
 *
 * Every value goes through cmp_itav_value_check() and the printer; a value
 * that a structured decoder accepts must re-encode byte for byte; the
 * client's checks (lib/verify/genp.c) run on it against fixed anchors; a
 * crlStatusList or rootCaCert also goes to the mock server engine in an
 * unprotected genm, whose answer must decode. Nothing may crash or leak.
 *
 * The oracle of CVE-2026-42769: an accepted rootCaKeyUpdate's newWithNew
 * is the old root itself, or has the key of a newWithOld that the old
 * root's key signed.
 *
 * The certificates and the CRL below were made for this target with the
 * openssl CLI (an old root, its successor with the two link certificates,
 * a CRL of the old root); the verification time is fixed within them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cmpkit/msg.h"
#include "cmpkit/server.h"
#include "msg/internal.h"
#include "verify/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* old root, new root, newWithOld, oldWithNew, and a CRL of the old root, in this order */
static const char pki_pem[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBgjCCASigAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxGdXp6IFJv\n"
                              "b3QgQ0EwIBcNMjYxMjAzMTA0NjU3WhgPMjEyNjExMDkxMDQ2NTdaMBcxFTATBgNV\n"
                              "BAMMDEZ1enogUm9vdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKhcAPf5\n"
                              "m5cKKozNDaOlupxRTC4OMbXq/GEq3+nQbZjHLiDX1cW5LXN3lEF62DmcPfQaVemn\n"
                              "WRuLROZxpnQb7IajYzBhMB0GA1UdDgQWBBS66tt+N9GOtjzAKHwWoOWF4UYGUDAf\n"
                              "BgNVHSMEGDAWgBS66tt+N9GOtjzAKHwWoOWF4UYGUDAPBgNVHRMBAf8EBTADAQH/\n"
                              "MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiBb9jjLo6tlKkGkTdkP\n"
                              "mTyOJHdxZQV0mK4pXlyVvG81mAIhAKS16TUMZqfdAsiOLifHpvZZtccaWdlpUnti\n"
                              "1eOxTVVC\n"
                              "-----END CERTIFICATE-----\n"
                              "-----BEGIN CERTIFICATE-----\n"
                              "MIIBgzCCASigAwIBAgIBAjAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxGdXp6IFJv\n"
                              "b3QgQ0EwIBcNMjYxMjAzMTA0NjU3WhgPMjEyNjExMDkxMDQ2NTdaMBcxFTATBgNV\n"
                              "BAMMDEZ1enogUm9vdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNGY7XBW\n"
                              "i2UmzeEyfvhfcefModYeEJvQ7SFIU9g/COvxQke5ztjNLHUIompu5XSt2kiP/l7x\n"
                              "F2HIcc2v35YrvOejYzBhMB0GA1UdDgQWBBR+TJZ+3Wdc4JJDI30+c+zKim4fDTAf\n"
                              "BgNVHSMEGDAWgBR+TJZ+3Wdc4JJDI30+c+zKim4fDTAPBgNVHRMBAf8EBTADAQH/\n"
                              "MA4GA1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNJADBGAiEA6PAo9F3YXJpPj0A3\n"
                              "RWmGRGK1QODBy/1Ecl7yx9m03xsCIQDG302TR5L3TRQBhAg9N9QS08P7UPwj8uC/\n"
                              "6+fjjyMVhA==\n"
                              "-----END CERTIFICATE-----\n"
                              "-----BEGIN CERTIFICATE-----\n"
                              "MIIBgjCCASigAwIBAgIBAzAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxGdXp6IFJv\n"
                              "b3QgQ0EwIBcNMjYxMjAzMTA0NjU3WhgPMjEyNjExMDkxMDQ2NTdaMBcxFTATBgNV\n"
                              "BAMMDEZ1enogUm9vdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNGY7XBW\n"
                              "i2UmzeEyfvhfcefModYeEJvQ7SFIU9g/COvxQke5ztjNLHUIompu5XSt2kiP/l7x\n"
                              "F2HIcc2v35YrvOejYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEG\n"
                              "MB0GA1UdDgQWBBR+TJZ+3Wdc4JJDI30+c+zKim4fDTAfBgNVHSMEGDAWgBS66tt+\n"
                              "N9GOtjzAKHwWoOWF4UYGUDAKBggqhkjOPQQDAgNIADBFAiBk64Tji9xy9pHiqvCm\n"
                              "18/VW/AA/hwk6bESFESiFPdg/AIhAKTgLdz684r4ziMYXLS51HCJpBTdPNndfAV4\n"
                              "Lpb2L/i4\n"
                              "-----END CERTIFICATE-----\n"
                              "-----BEGIN CERTIFICATE-----\n"
                              "MIIBgjCCASigAwIBAgIBBDAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxGdXp6IFJv\n"
                              "b3QgQ0EwIBcNMjYxMjAzMTA0NjU3WhgPMjEyNjExMDkxMDQ2NTdaMBcxFTATBgNV\n"
                              "BAMMDEZ1enogUm9vdCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKhcAPf5\n"
                              "m5cKKozNDaOlupxRTC4OMbXq/GEq3+nQbZjHLiDX1cW5LXN3lEF62DmcPfQaVemn\n"
                              "WRuLROZxpnQb7IajYzBhMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEG\n"
                              "MB0GA1UdDgQWBBS66tt+N9GOtjzAKHwWoOWF4UYGUDAfBgNVHSMEGDAWgBR+TJZ+\n"
                              "3Wdc4JJDI30+c+zKim4fDTAKBggqhkjOPQQDAgNIADBFAiEA9H0t5fjGroxC8Npa\n"
                              "GMizSvAv051HOPPy0hf2XxvgLAUCID6RZ00BJRH4og1ZRvKgl1hvXQhBzguzHhS5\n"
                              "5xQY/08S\n"
                              "-----END CERTIFICATE-----\n"
                              "-----BEGIN X509 CRL-----\n"
                              "MIGxMFkCAQEwCgYIKoZIzj0EAwIwFzEVMBMGA1UEAwwMRnV6eiBSb290IENBFw0y\n"
                              "NjEyMDMxMDQ2NTdaGA8yMTI2MTEwOTEwNDY1N1qgDzANMAsGA1UdFAQEAgIQADAK\n"
                              "BggqhkjOPQQDAgNIADBFAiAeNpk28h76iAaVaDl4MDumPodzeYmwcxRexuMRQfTF\n"
                              "gQIhAPprR9LDEsdTEY15yfybuApTCrwteCp1XczhC6k7vClj\n"
                              "-----END X509 CRL-----\n";

/* notBefore of the certificates (2026-12-03 10:46:57 UTC) plus a day */
#define FUZZ_NOW (INT64_C(1796294817) + 86400)

static X509 *old_root, *new_root, *new_with_old, *old_with_new;
static X509_CRL *crl;
static X509_STORE *trusted;
static STACK_OF(X509) * capubs;
static X509_VERIFY_PARAM *vpm;
static struct cmp_srv *srv;
static FILE *devnull;
/* the CRLStatus a client sent: issuer directoryName CN=Fuzz Root CA, thisUpdate a day before */
static uint8_t crl_issuer_der[64];
static struct cmp_gname crl_issuer;
static struct cmp_crl_status sent;

/* Reads the certificates and the CRL of pki_pem, in their order. */
static void
load_pki(void)
{
    X509 **certs[] = {&old_root, &new_root, &new_with_old, &old_with_new};
    BIO *b = BIO_new_mem_buf(pki_pem, -1);
    STACK_OF(X509_INFO) *infos = b != NULL ? PEM_X509_INFO_read_bio(b, NULL, NULL, NULL) : NULL;
    size_t n = 0;
    int i;

    for (i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);

        if (info->x509 != NULL && n < sizeof(certs) / sizeof(certs[0])) {
            *certs[n++] = info->x509;
            info->x509 = NULL;
        }
        if (info->crl != NULL) {
            crl = info->crl;
            info->crl = NULL;
        }
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(b);
}

static void
init(void)
{
    static const uint8_t secret[] = "cmpkit-fuzz-secret";
    struct cmp_srv_config c;
    struct cmp_err err;
    unsigned char *p = crl_issuer_der;
    int len;

    load_pki();
    trusted = X509_STORE_new();
    capubs = sk_X509_new_null();
    vpm = X509_VERIFY_PARAM_new();
    devnull = fopen("/dev/null", "w");
    if (crl == NULL || old_root == NULL || new_root == NULL || new_with_old == NULL ||
        old_with_new == NULL || trusted == NULL || capubs == NULL || vpm == NULL ||
        devnull == NULL || !X509_STORE_add_cert(trusted, old_root) ||
        !X509_add_cert(capubs, old_root, X509_ADD_FLAG_UP_REF)) {
        __builtin_trap();
    }
    X509_VERIFY_PARAM_set_time(vpm, (time_t)FUZZ_NOW);
    len = i2d_X509_NAME(X509_CRL_get_issuer(crl), NULL);
    if (len <= 0 || (size_t)len > sizeof(crl_issuer_der)) {
        __builtin_trap();
    }
    i2d_X509_NAME(X509_CRL_get_issuer(crl), &p);
    crl_issuer.type = CMP_GN_DIRNAME;
    crl_issuer.value = der_in_make(crl_issuer_der, (size_t)len);
    sent.source_type = CMP_CRL_SOURCE_ISSUER;
    sent.num_names = 1;
    sent.names = &crl_issuer;
    sent.has_this_update = 1;
    sent.this_update_secs = FUZZ_NOW - 2 * 86400;

    cmp_srv_config_init(&c);
    c.ref = "fuzz";
    c.secret = secret;
    c.secret_len = sizeof(secret) - 1;
    c.accept_unprotected = 1;
    c.vpm = vpm;
    c.rsp_capubs = capubs;
    c.rsp_newwithnew = new_root;
    c.rsp_newwithold = new_with_old;
    c.rsp_oldwithnew = old_with_new;
    c.rsp_crl = crl;
    cmp_err_init(&err);
    srv = cmp_srv_new(&c, &err);
    if (srv == NULL) {
        __builtin_trap();
    }
}

/* |enc| writes what a decoder accepted: it must be |in| byte for byte. */
static void
same_again(const struct der_in *in, int ok, const struct der_out *out)
{
    if (ok != der_out_ok(out) ||
        (ok && (out->len != in->len || memcmp(out->buf, in->p, in->len) != 0))) {
        __builtin_trap();
    }
}

static X509 *
cert_of(const struct der_in *der)
{
    return der->len > 0 ? cmp_vfy_cert_parse(der) : NULL;
}

/* The oracle: what cmp_vfy_root_ca_update() accepts is anchored in the old root's key. */
static void
root_update(const struct der_in *value)
{
    struct cmp_root_ca_key_update u;
    struct der_in v = *value;
    struct der_out out;
    X509 *nwn, *nwo = NULL, *own = NULL;
    struct cmp_err err;
    int ok;

    memset(&u, 0, sizeof(u));
    if (!cmp_root_ca_key_update_decode(&v, &u, NULL) || !der_done(&v)) {
        return;
    }
    der_out_init(&out, 1u << 20);
    ok = cmp_root_ca_key_update_encode(&out, &u);
    same_again(value, ok, &out);
    der_out_cleanup(&out);
    nwn = cert_of(&u.new_with_new);
    if (nwn == NULL) {
        return;
    }
    if (u.has_new_with_old) {
        nwo = cert_of(&u.new_with_old);
    }
    if (u.has_old_with_new) {
        own = cert_of(&u.old_with_new);
    }
    cmp_err_init(&err);
    if (cmp_vfy_root_ca_update(old_root, NULL, nwn, nwo, own, vpm, &err)) {
        EVP_PKEY *old_key = X509_get0_pubkey(old_root);

        if (X509_cmp(nwn, old_root) != 0 &&
            (nwo == NULL || X509_verify(nwo, old_key) != 1 ||
             EVP_PKEY_eq(X509_get0_pubkey(nwo), X509_get0_pubkey(nwn)) != 1)) {
            __builtin_trap(); /* a root the old one does not vouch for */
        }
    } else if (err.code == CMP_E_NONE) {
        __builtin_trap(); /* a failure says why */
    }
    (void)cmp_vfy_root_ca_update(NULL, trusted, nwn, nwo, own, vpm, &err);
    X509_free(nwn);
    X509_free(nwo);
    X509_free(own);
    ERR_clear_error();
}

static void
client_checks(int nid, const struct der_in *value)
{
    struct der_in v = *value;
    struct der_out out;
    struct cmp_err err;
    STACK_OF(X509) *certs = NULL;
    X509_CRL *got = NULL;
    int ok;

    cmp_err_init(&err);
    switch (nid) {
    case CMP_NID_IT_CA_CERTS:
        if (cmp_vfy_ca_certs(value, vpm, &certs, &err) != (certs != NULL)) {
            __builtin_trap();
        }
        sk_X509_pop_free(certs, X509_free);
        break;
    case CMP_NID_IT_ROOT_CA_KEY_UPDATE:
        root_update(value);
        break;
    case CMP_NID_IT_CERT_REQ_TEMPLATE: {
        struct cmp_cert_req_template t;

        memset(&t, 0, sizeof(t));
        if (cmp_cert_req_template_decode(&v, &t, NULL) && der_done(&v)) {
            der_out_init(&out, 1u << 20);
            ok = cmp_cert_req_template_encode(&out, &t);
            same_again(value, ok, &out);
            der_out_cleanup(&out);
            (void)cmp_vfy_cert_req_template(&t, &err);
        }
        cmp_cert_req_template_cleanup(&t);
        break;
    }
    case CMP_NID_IT_CRLS:
        if (cmp_vfy_crls(value, &sent, &got, &err) != (got != NULL)) {
            __builtin_trap();
        }
        X509_CRL_free(got);
        break;
    case CMP_NID_IT_CRL_STATUS_LIST: {
        struct cmp_crl_status_list l;

        memset(&l, 0, sizeof(l));
        if (cmp_crl_status_list_decode(&v, &l, NULL) && der_done(&v)) {
            der_out_init(&out, 1u << 20);
            ok = cmp_crl_status_list_encode(&out, &l);
            same_again(value, ok, &out);
            der_out_cleanup(&out);
        }
        cmp_crl_status_list_cleanup(&l);
        break;
    }
    default:
        break;
    }
    ERR_clear_error();
}

/* The mock server's answer to a genm with this ITAV, unprotected; it must decode. */
static void
server_answer(const struct cmp_itav *itav)
{
    static const uint8_t name[] = {0x30, 0x0F, 0x31, 0x0D, 0x30, 0x0B, 0x06, 0x03, 0x55,
                                   0x04, 0x03, 0x0C, 0x04, 'f',  'u',  'z',  'z'};
    static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct cmp_msg *m = cmp_msg_new(), *rsp = NULL;
    struct der_in dn = der_in_make(name, sizeof(name));
    uint8_t *buf, *der = NULL, *out = NULL;
    size_t len = 0, out_len = 0;
    struct cmp_err err;

    cmp_err_init(&err);
    buf = m != NULL ? cmp_msg_alloc(m, 2 * (sizeof(name) + 8)) : NULL;
    if (buf == NULL || !cmp_gname_set_dirname(&m->hdr.sender, buf, sizeof(name) + 8, &dn) ||
        !cmp_gname_set_dirname(&m->hdr.recipient, buf + sizeof(name) + 8, sizeof(name) + 8, &dn)) {
        __builtin_trap();
    }
    m->hdr.pvno = CMP_PVNO_2000;
    m->hdr.has_transaction_id = 1;
    m->hdr.transaction_id = der_in_make(tid, sizeof(tid));
    m->hdr.has_sender_nonce = 1;
    m->hdr.sender_nonce = der_in_make(tid, sizeof(tid));
    m->body.type = CMP_BODY_GENM;
    m->body.u.itavs.items = calloc(1, sizeof(*m->body.u.itavs.items));
    if (m->body.u.itavs.items == NULL) {
        __builtin_trap();
    }
    m->body.u.itavs.items[0] = *itav;
    m->body.u.itavs.num = 1;
    if (cmp_msg_encode(m, &der, &len, &err)) {
        if (!cmp_srv_handle(srv, der, len, &out, &out_len) || out == NULL ||
            !cmp_msg_decode(&rsp, out, out_len, &err)) {
            __builtin_trap();
        }
    }
    cmp_msg_free(rsp);
    cmp_msg_free(m);
    free(der);
    free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int types[] = {CMP_NID_IT_CA_CERTS,          CMP_NID_IT_ROOT_CA_KEY_UPDATE,
                                CMP_NID_IT_CERT_REQ_TEMPLATE, CMP_NID_IT_CRLS,
                                CMP_NID_IT_CRL_STATUS_LIST,   CMP_NID_IT_ROOT_CA_CERT};
    static int ready;
    struct cmp_itav itav;
    struct cmp_printer pr;
    struct der_in in;
    struct cmp_err err;
    int nid;

    if (!ready) {
        init();
        ready = 1;
    }
    if (size < 1) {
        return 0;
    }
    nid = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    in = der_in_make(data + 1, size - 1);
    memset(&itav, 0, sizeof(itav));
    itav.type = cmp_oid(nid);
    /* the value as an ITAV carries it: one whole element */
    if (!der_get_any(&in, NULL, NULL, &itav.value) || !der_done(&in)) {
        return 0;
    }
    itav.has_value = 1;
    cmp_err_init(&err);
    if (!cmp_itav_value_check(&itav, &err) && err.code == CMP_E_NONE) {
        __builtin_trap();
    }
    pr.fp = devnull;
    pr.failed = 0;
    cmp_print_itav(&pr, 0, "itav: ", &itav);
    client_checks(nid, &itav.value);
    if (nid == CMP_NID_IT_CRL_STATUS_LIST || nid == CMP_NID_IT_ROOT_CA_CERT) {
        server_answer(&itav);
    }
    ERR_clear_error();
    return 0;
}
