/*
 * Tests for lib/crypto/certhash.c (cmp_cert_hash).
 *
 *   test_certhash                      certificates made here (RSA, RSA-PSS,
 *                                      ECDSA, Ed25519, Ed448, an unknown
 *                                      signature algorithm) and hashAlg
 *   test_certhash --shared DIR         ../shared/vectors: the certHash in each
 *                                      certConf of openssl-cli/ equals ours
 *                                      for the certificate of the response
 *                                      before it; 77 if DIR is absent
 *   test_certhash --generated DIR      the same for the test-time vectors
 *                                      (<scenario>_<n>_certConf.der after
 *                                      <scenario>_<n-1>_{ip,cp,kup}.der)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check.h"
#include "crypto/crypto.h"

/* ---- helpers ---- */

static uint8_t *
read_file(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *out_len = (size_t)n;
    }
    fclose(f);
    return buf;
}

static struct cmp_msg *
load_msg(const char *path)
{
    struct cmp_msg *msg = NULL;
    struct cmp_err err;
    size_t len = 0;
    uint8_t *der = read_file(path, &len);

    cmp_err_init(&err);
    if (der == NULL || !cmp_msg_decode(&msg, der, len, &err)) {
        fprintf(stderr, "cannot load %s: %s\n", path, err.msg);
        msg = NULL;
    }
    free(der);
    return msg;
}

/* The digest |name| of |cert|'s DER, computed independently of certhash.c. */
static int
ref_hash(X509 *cert, const char *name, size_t xof_len, uint8_t *out, size_t *out_len)
{
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok =
        der_len > 0 && md != NULL && ctx != NULL && EVP_DigestInit_ex(ctx, md, NULL) &&
        EVP_DigestUpdate(ctx, der, (size_t)der_len) &&
        (xof_len != 0 ? EVP_DigestFinalXOF(ctx, out, xof_len) : EVP_DigestFinal_ex(ctx, out, &n));

    *out_len = xof_len != 0 ? xof_len : n;
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    OPENSSL_free(der);
    return ok;
}

/* ---- certificates made here ---- */

static EVP_PKEY *
keygen(const char *alg)
{
    if (strcmp(alg, "RSA") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, alg, (size_t)2048);
    }
    if (strcmp(alg, "RSA-PSS") == 0) {
        /* EVP_PKEY_Q_keygen() takes no size for RSA-PSS in 3.0. */
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
        EVP_PKEY *key = NULL;

        if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
            EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
            key = NULL;
        }
        EVP_PKEY_CTX_free(ctx);
        return key;
    }
    if (strcmp(alg, "P-384") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    }
    if (strcmp(alg, "P-256") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    }
    return EVP_PKEY_Q_keygen(NULL, NULL, alg);
}

/* A self-signed certificate; |md| NULL for EdDSA; |pss| signs with RSASSA-PSS. */
static X509 *
make_cert(EVP_PKEY *key, const char *md, int pss)
{
    X509 *x = X509_new();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = x != NULL && ctx != NULL && X509_set_version(x, X509_VERSION_3) &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), 42) &&
             X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                        (const unsigned char *)"cmpkit certHash test", -1, -1, 0) &&
             X509_set_issuer_name(x, X509_get_subject_name(x)) &&
             X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
             X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL && X509_set_pubkey(x, key) &&
             EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL) &&
             (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) &&
                       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST))) &&
             X509_sign_ctx(x, ctx) > 0;

    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ERR_print_errors_fp(stderr);
        X509_free(x);
        return NULL;
    }
    return x;
}

static void
test_generated_certs(void)
{
    static const struct {
        const char *name, *key, *sign_md;
        int pss;
        const char *want_md; /* digest certHash must use */
        size_t xof_len;
        int digest_sig_agrees; /* X509_digest_sig() gives the same; -1: fails */
    } cases[] = {
        {"RSA sha256WithRSAEncryption", "RSA", "SHA256", 0, "SHA256", 0, 1},
        {"RSA sha512WithRSAEncryption", "RSA", "SHA512", 0, "SHA512", 0, 1},
        {"RSA sha1WithRSAEncryption", "RSA", "SHA1", 0, "SHA1", 0, 1},
        {"RSA-PSS key, PSS with SHA-384", "RSA-PSS", "SHA384", 1, "SHA384", 0, 1},
        {"RSA key, PSS with SHA-256", "RSA", "SHA256", 1, "SHA256", 0, 1},
        {"ECDSA P-384 ecdsa-with-SHA384", "P-384", "SHA384", 0, "SHA384", 0, 1},
        {"ECDSA P-256 ecdsa-with-SHA256", "P-256", "SHA256", 0, "SHA256", 0, 1},
        /* X509_digest_sig() does not know id-ecdsa-with-sha3-256 */
        {"ECDSA P-256 ecdsa-with-SHA3-256", "P-256", "SHA3-256", 0, "SHA3-256", 0, -1},
        {"RSA id-rsassa-pkcs1-v1_5-with-sha3-384", "RSA", "SHA3-384", 0, "SHA3-384", 0, 1},
        {"Ed25519", "ED25519", NULL, 0, "SHA512", 0, 1},
        /* X509_digest_sig() takes SHAKE256's default 32 bytes */
        {"Ed448", "ED448", NULL, 0, "SHAKE256", 64, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *key = keygen(cases[i].key);
        X509 *cert = key == NULL ? NULL : make_cert(key, cases[i].sign_md, cases[i].pss);
        uint8_t got[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
        size_t got_len = 0, want_len = 0;
        struct cmp_err err;
        ASN1_OCTET_STRING *ds;

        cmp_err_init(&err);
        if (!CHECK_CASE(cases[i].name, cert != NULL)) {
            EVP_PKEY_free(key);
            continue;
        }
        CHECK_CASE(cases[i].name, cmp_cert_hash(cert, NULL, got, &got_len, &err));
        CHECK_CASE(cases[i].name,
                   ref_hash(cert, cases[i].want_md, cases[i].xof_len, want, &want_len));
        CHECK_MEM(cases[i].name, got, got_len, want, want_len);

        ds = X509_digest_sig(cert, NULL, NULL);
        ERR_clear_error();
        if (cases[i].digest_sig_agrees < 0) {
            CHECK_CASE(cases[i].name, ds == NULL);
        } else if (CHECK_CASE(cases[i].name, ds != NULL)) {
            if (cases[i].digest_sig_agrees) {
                CHECK_MEM(cases[i].name, ASN1_STRING_get0_data(ds), (size_t)ASN1_STRING_length(ds),
                          got, got_len);
            } else {
                /* Ed448: OpenSSL 3.0 gives the 32-byte prefix of our 64 bytes. */
                CHECK_CASE(cases[i].name, ASN1_STRING_length(ds) == 32 && got_len == 64);
                CHECK_MEM(cases[i].name, ASN1_STRING_get0_data(ds), 32, got, 32);
            }
        }
        ASN1_OCTET_STRING_free(ds);
        X509_free(cert);
        EVP_PKEY_free(key);
    }
}

/*
 * A signature algorithm nobody knows: the outer signatureAlgorithm OID of a
 * sha256WithRSAEncryption certificate (1.2.840.113549.1.1.11) changed to
 * 1.2.840.113549.1.1.127. certHash falls back to SHA-256.
 */
static void
test_unknown_sig_alg(void)
{
    static const uint8_t oid[] = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B};
    EVP_PKEY *key = keygen("RSA");
    X509 *cert = key == NULL ? NULL : make_cert(key, "SHA512", 0), *odd = NULL;
    unsigned char *der = NULL;
    const unsigned char *p;
    int der_len = cert == NULL ? 0 : i2d_X509(cert, &der);
    uint8_t got[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
    size_t got_len = 0, want_len = 0, i, last = 0, found = 0;
    struct cmp_err err;

    /* sha512WithRSAEncryption ends in 0x0D; find the last (outer) occurrence. */
    for (i = 0; der_len > 0 && i + sizeof(oid) <= (size_t)der_len; i++) {
        if (memcmp(der + i, oid, sizeof(oid) - 1) == 0 && der[i + sizeof(oid) - 1] == 0x0D) {
            last = i;
            found++;
        }
    }
    if (CHECK(found == 2)) {
        der[last + sizeof(oid) - 1] = 0x7F;
        p = der;
        odd = d2i_X509(NULL, &p, der_len);
    }
    cmp_err_init(&err);
    if (CHECK(odd != NULL)) {
        CHECK(X509_get_signature_nid(odd) == NID_undef);
        CHECK(cmp_cert_hash(odd, NULL, got, &got_len, &err));
        CHECK(ref_hash(odd, "SHA256", 0, want, &want_len));
        CHECK_MEM("unknown signature algorithm: SHA-256", got, got_len, want, want_len);
    }
    X509_free(odd);
    X509_free(cert);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
}

/* hashAlg (pvno 3) names the digest, whatever the certificate's algorithm. */
static void
test_hash_alg(void)
{
    static const struct {
        const char *name, *hex; /* AlgorithmIdentifier */
        const char *md;         /* NULL: must fail with badAlg */
        size_t xof_len;
    } cases[] = {
        {"sha256", "300B0609608648016503040201", "SHA256", 0},
        {"sha256 NULL params", "300D06096086480165030402010500", "SHA256", 0},
        {"sha384", "300B0609608648016503040202", "SHA384", 0},
        {"sha512", "300B0609608648016503040203", "SHA512", 0},
        {"sha3-256", "300B0609608648016503040208", "SHA3-256", 0},
        {"shake128", "300B060960864801650304020B", "SHAKE128", 32},
        {"shake256", "300B060960864801650304020C", "SHAKE256", 64},
        {"sha1 (not allowed)", "300706052B0E03021A", NULL, 0},
        {"md5 (not allowed)", "300C06082A864886F70D0205 0500", NULL, 0},
        {"sha256 INTEGER params", "300E06096086480165030402010201 00", NULL, 0},
        {"id-shake256-len (unsupported)", "300F0609608648016503040212 02020200", NULL, 0},
        {"ecdsa-with-SHA256 (a signature)", "300A06082A8648CE3D040302", NULL, 0},
    };
    EVP_PKEY *key = keygen("ED25519");
    X509 *cert = key == NULL ? NULL : make_cert(key, NULL, 0);
    size_t i;

    if (!CHECK(cert != NULL)) {
        EVP_PKEY_free(key);
        return;
    }
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t der[64], got[EVP_MAX_MD_SIZE], want[EVP_MAX_MD_SIZE];
        size_t der_len = 0, got_len = 0, want_len = 0;
        struct cmp_algid alg;
        struct der_in in;
        struct cmp_err err;
        int ok;

        memset(&alg, 0, sizeof(alg));
        cmp_err_init(&err);
        if (!CHECK_CASE(cases[i].name, check_unhex(cases[i].hex, der, sizeof(der), &der_len))) {
            continue;
        }
        in = der_in_make(der, der_len);
        if (!CHECK_CASE(cases[i].name, cmp_algid_decode(&in, DER_SEQUENCE, &alg, &err))) {
            continue;
        }
        ok = cmp_cert_hash(cert, &alg, got, &got_len, &err);
        if (cases[i].md == NULL) {
            CHECK_CASE(cases[i].name, !ok && err.failure_bit == CMP_FI_BAD_ALG && got_len == 0);
            continue;
        }
        CHECK_CASE(cases[i].name, ok);
        CHECK_CASE(cases[i].name, ref_hash(cert, cases[i].md, cases[i].xof_len, want, &want_len));
        CHECK_MEM(cases[i].name, got, got_len, want, want_len);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
}

/* ---- vectors: certConf's certHash against the issued certificate ---- */

/* The certificate for |cert_req_id| in the ip/cp/kup |rsp|; NULL if none. */
static X509 *
issued_cert(const struct cmp_msg *rsp, int64_t cert_req_id)
{
    const struct cmp_cert_rep *rep;
    const unsigned char *p;
    size_t i;

    switch (rsp->body.type) {
    case CMP_BODY_IP:
    case CMP_BODY_CP:
    case CMP_BODY_KUP:
        break;
    default:
        return NULL;
    }
    rep = &rsp->body.u.rep;
    for (i = 0; i < rep->num; i++) {
        const struct cmp_cert_response *r = &rep->responses[i];

        if (r->cert_req_id == cert_req_id && r->has_ckp && r->ckp.cert_type == CMP_CERT_PLAIN) {
            p = r->ckp.cert.p;
            return d2i_X509(NULL, &p, (long)r->ckp.cert.len);
        }
    }
    return NULL;
}

/* Checks every CertStatus of |conf_path| against the certificates in |rsp_path|. */
static int
check_pair(const char *rsp_path, const char *conf_path)
{
    struct cmp_msg *rsp = load_msg(rsp_path), *conf = load_msg(conf_path);
    size_t i, checked = 0;

    if (CHECK_CASE(conf_path, rsp != NULL && conf != NULL && conf->body.type == CMP_BODY_CERTCONF &&
                                  conf->body.u.cert_conf.num > 0)) {
        for (i = 0; i < conf->body.u.cert_conf.num; i++) {
            const struct cmp_certstatus *cs = &conf->body.u.cert_conf.items[i];
            X509 *cert = issued_cert(rsp, cs->cert_req_id);
            uint8_t got[EVP_MAX_MD_SIZE];
            size_t got_len = 0;
            struct cmp_err err;

            cmp_err_init(&err);
            if (!CHECK_CASE(rsp_path, cert != NULL)) {
                continue;
            }
            CHECK_CASE(conf_path, cmp_cert_hash(cert, cs->has_hash_alg ? &cs->hash_alg : NULL, got,
                                                &got_len, &err));
            CHECK_MEM(conf_path, got, got_len, cs->cert_hash.p, cs->cert_hash.len);
            X509_free(cert);
            checked++;
        }
    }
    cmp_msg_free(rsp);
    cmp_msg_free(conf);
    return checked > 0;
}

static void
test_shared(const char *dir)
{
    static const struct {
        const char *rsp, *conf;
    } pairs[] = {
        {"ir_ip_rsp.der", "ir_certConf_req.der"},
        {"cr_sig_cp_rsp.der", "cr_sig_certConf_req.der"},
        {"kur_sig_kup_rsp.der", "kur_sig_certConf_req.der"},
        {"p10cr_cp_rsp.der", "p10cr_certConf_req.der"},
        {"poll_rsp3.der", "poll_req4.der"},
    };
    char rsp[1024], conf[1024];
    size_t i;

    for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        snprintf(rsp, sizeof(rsp), "%s/openssl-cli/%s", dir, pairs[i].rsp);
        snprintf(conf, sizeof(conf), "%s/openssl-cli/%s", dir, pairs[i].conf);
        CHECK_CASE(pairs[i].conf, check_pair(rsp, conf));
    }
}

static void
test_generated(const char *dir)
{
    static const char *const rsp_types[] = {"ip", "cp", "kup"};
    DIR *d = opendir(dir);
    struct dirent *e;
    char conf[1024], rsp[1024], scenario[256];
    size_t pairs = 0, i;

    if (!CHECK(d != NULL)) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        const char *suffix = strstr(e->d_name, "_certConf.der");
        const char *us;
        long n;

        if (suffix == NULL || suffix[strlen("_certConf.der")] != '\0') {
            continue;
        }
        /* <scenario>_<n>_certConf.der */
        for (us = suffix - 1; us > e->d_name && *us != '_'; us--) {
        }
        if (us <= e->d_name || (size_t)(us - e->d_name) >= sizeof(scenario)) {
            continue;
        }
        n = strtol(us + 1, NULL, 10);
        memcpy(scenario, e->d_name, (size_t)(us - e->d_name));
        scenario[us - e->d_name] = '\0';
        snprintf(conf, sizeof(conf), "%s/%s", dir, e->d_name);
        for (i = 0; i < sizeof(rsp_types) / sizeof(rsp_types[0]); i++) {
            FILE *f;

            snprintf(rsp, sizeof(rsp), "%s/%s_%ld_%s.der", dir, scenario, n - 1, rsp_types[i]);
            f = fopen(rsp, "rb");
            if (f != NULL) {
                fclose(f);
                CHECK_CASE(conf, check_pair(rsp, conf));
                pairs++;
                break;
            }
        }
    }
    closedir(d);
    /* ir_pbm ir_sig cr_pbm cr_sig kur_sig p10cr_pbm poll_pbm */
    CHECK(pairs >= 7);
}

int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--shared") == 0) {
        if (!check_have_dir(argv[2])) {
            printf("skipped: no %s\n", argv[2]);
            return CHECK_SKIP;
        }
        test_shared(argv[2]);
    } else if (argc == 3 && strcmp(argv[1], "--generated") == 0) {
        test_generated(argv[2]);
    } else if (argc == 1) {
        test_generated_certs();
        test_unknown_sig_alg();
        test_hash_alg();
    } else {
        fprintf(stderr, "usage: %s [--shared DIR | --generated DIR]\n", argv[0]);
        return 2;
    }
    return check_finish();
}
