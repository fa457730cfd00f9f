/*
 * Tests for lib/crypto/popo.c (cmp_popo_sign, cmp_popo_verify,
 * cmp_p10cr_verify).
 *
 *   test_popo                  requests built and signed here: RSA, RSA-PSS,
 *                              ECDSA, Ed25519, Ed448; poposkInput (sender and
 *                              publicKeyMAC); raVerified; keyEncipherment;
 *                              PKCS#10 requests made here
 *   test_popo --shared DIR     every ir/cr/kur/p10cr request under
 *                              DIR/openssl-cli and DIR/openssl-unit (77 if DIR
 *                              is absent)
 *   test_popo --generated DIR  every request of the test-time vectors
 *
 * Each signature POPO must verify; the same message with one bit flipped in
 * the signature, or in the template, must fail with badPOP.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/evp.h>
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

static EVP_PKEY *
keygen(const char *alg)
{
    EVP_PKEY_CTX *ctx;
    EVP_PKEY *key = NULL;

    if (strcmp(alg, "P-256") == 0 || strcmp(alg, "P-384") == 0 || strcmp(alg, "P-521") == 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", alg);
    }
    if (strcmp(alg, "RSA") != 0 && strcmp(alg, "RSA-PSS") != 0) {
        return EVP_PKEY_Q_keygen(NULL, NULL, alg);
    }
    /* EVP_PKEY_Q_keygen() takes no size for RSA-PSS in 3.0. */
    ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    if (ctx == NULL || EVP_PKEY_keygen_init(ctx) <= 0 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) <= 0 || EVP_PKEY_keygen(ctx, &key) <= 0) {
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* The offset of |p| inside |msg|'s raw bytes. */
static size_t
raw_offset(const struct cmp_msg *msg, const uint8_t *p)
{
    return (size_t)(p - msg->raw.p);
}

static struct cmp_cert_req_msgs *
msg_reqs(struct cmp_msg *msg)
{
    switch (msg->body.type) {
    case CMP_BODY_IR:
    case CMP_BODY_CR:
    case CMP_BODY_KUR:
    case CMP_BODY_KRR:
    case CMP_BODY_CCR:
        return &msg->body.u.req;
    default:
        return NULL;
    }
}

/*
 * Flips |mask| in byte |off| of the message |der| and checks that request
 * |index| of the result fails cmp_popo_verify with badPOP (or that the
 * result no longer decodes, which a bit flip in a signature never causes).
 */
static void
check_flip(const char *name, const uint8_t *der, size_t len, size_t off, uint8_t mask, size_t index)
{
    uint8_t *copy = malloc(len);
    struct cmp_msg *msg = NULL;
    struct cmp_cert_req_msgs *reqs;
    struct cmp_err err;

    if (!CHECK_CASE(name, copy != NULL && off < len)) {
        free(copy);
        return;
    }
    memcpy(copy, der, len);
    copy[off] ^= mask;
    cmp_err_init(&err);
    if (CHECK_CASE(name, cmp_msg_decode(&msg, copy, len, &err))) {
        reqs = msg_reqs(msg);
        if (CHECK_CASE(name, reqs != NULL && index < reqs->num)) {
            cmp_err_init(&err);
            CHECK_CASE(name, !cmp_popo_verify(&reqs->items[index], 0, &err));
            CHECK_CASE(name, err.failure_bit == CMP_FI_BAD_POP);
        }
    }
    cmp_msg_free(msg);
    free(copy);
}

/*
 * The PKCS#10 request |der| with its last byte (in the signature) flipped
 * fails with badPOP; truncated, or with a byte appended, with badDataFormat.
 */
static void
check_csr_mutants(const char *name, const uint8_t *der, size_t len)
{
    uint8_t *copy = malloc(len + 1);
    struct der_in csr;
    struct cmp_err err;

    if (!CHECK_CASE(name, copy != NULL && len > 0)) {
        free(copy);
        return;
    }
    memcpy(copy, der, len);
    copy[len - 1] ^= 0x01;
    csr = der_in_make(copy, len);
    cmp_err_init(&err);
    CHECK_CASE(name, !cmp_p10cr_verify(&csr, &err) && err.failure_bit == CMP_FI_BAD_POP);
    copy[len - 1] ^= 0x01;
    csr.len = len - 1;
    cmp_err_init(&err);
    CHECK_CASE(name, !cmp_p10cr_verify(&csr, &err) && err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
    copy[len] = 0x00;
    csr.len = len + 1;
    cmp_err_init(&err);
    CHECK_CASE(name, !cmp_p10cr_verify(&csr, &err) && err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
    csr.len = len;
    cmp_err_init(&err);
    CHECK_CASE(name, cmp_p10cr_verify(&csr, &err));
    free(copy);
}

/*
 * Verifies every POPO of the request message |der|, and for each signature
 * POPO checks the bit flips. Returns the number of signature POPOs verified.
 */
static size_t
check_request(const char *name, const uint8_t *der, size_t len, int quiet)
{
    struct cmp_msg *msg = NULL;
    struct cmp_cert_req_msgs *reqs;
    struct cmp_err err;
    size_t i, verified = 0;
    char what[300];

    cmp_err_init(&err);
    if (!cmp_msg_decode(&msg, der, len, &err)) {
        return 0; /* not a PKIMessage (a certificate, a CSR): not ours */
    }
    if (msg->body.type == CMP_BODY_P10CR) {
        int ok;

        snprintf(what, sizeof(what), "%s: p10cr", name);
        ok = CHECK_CASE(what, cmp_p10cr_verify(&msg->body.u.p10cr, &err));
        if (!quiet) {
            printf("  %s: p10cr, self-signature %s\n", name, ok ? "verified" : "FAILED");
        }
        check_csr_mutants(what, msg->body.u.p10cr.p, msg->body.u.p10cr.len);
        cmp_msg_free(msg);
        return 1;
    }
    reqs = msg_reqs(msg);
    for (i = 0; reqs != NULL && i < reqs->num; i++) {
        const struct cmp_cert_req_msg *req = &reqs->items[i];
        const char *type = !req->has_popo                          ? "none"
                           : req->popo.type == CMP_POPO_SIGNATURE  ? "signature"
                           : req->popo.type == CMP_POPO_RAVERIFIED ? "raVerified"
                                                                   : "key encipherment/agreement";

        snprintf(what, sizeof(what), "%s: %s #%zu (certReqId %" PRId64 ", POPO %s)", name,
                 cmp_body_type_name(msg->body.type), i, req->cert_req_id, type);
        if (!quiet) {
            printf("  %s%s%s\n", what,
                   req->has_popo && req->popo.has_poposk_input ? ", with poposkInput" : "",
                   req->tmpl.has_subject ? "" : ", template without subject");
        }
        cmp_err_init(&err);
        if (!req->has_popo || req->popo.type != CMP_POPO_SIGNATURE) {
            /* The vectors hold signature POPOs only; anything else is news. */
            CHECK_CASE(what, 0);
            continue;
        }
        if (!CHECK_CASE(what, cmp_popo_verify(req, 0, &err))) {
            char buf[512];

            fprintf(stderr, "%s\n", cmp_err_format(&err, buf, sizeof(buf)));
            continue;
        }
        verified++;
        /* A bit in the signature (its last byte). */
        check_flip(what, der, len,
                   raw_offset(msg, req->popo.signature.p) + req->popo.signature.len - 1, 0x01, i);
        /* A bit in the template: the last byte of the subject (a character
         * of its last RDN), else of the public key. */
        if (req->tmpl.has_subject) {
            check_flip(what, der, len,
                       raw_offset(msg, req->tmpl.subject.p) + req->tmpl.subject.len - 1, 0x01, i);
        }
        check_flip(what, der, len,
                   raw_offset(msg, req->tmpl.public_key.p) + req->tmpl.public_key.len - 1, 0x01, i);
    }
    cmp_msg_free(msg);
    return verified;
}

/* Checks every request message in |dir| (recursively); returns the count. */
static size_t
check_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    size_t n = 0, len;

    if (!CHECK_CASE(dir, d != NULL)) {
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        uint8_t *der;

        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            n += check_dir(path);
            continue;
        }
        len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 4, ".der") != 0) {
            continue;
        }
        der = read_file(path, &len);
        if (der != NULL) {
            n += check_request(path, der, len, 0);
        }
        free(der);
    }
    closedir(d);
    return n;
}

/* check_csr_file() checks the DER PKCS#10 request in |path| and its mutants. */
static void
check_csr_file(const char *path)
{
    size_t len = 0;
    uint8_t *der = read_file(path, &len);
    struct der_in csr = der_in_make(der, len);
    struct cmp_err err;

    cmp_err_init(&err);
    if (CHECK_CASE(path, der != NULL)) {
        CHECK_CASE(path, cmp_p10cr_verify(&csr, &err));
        check_csr_mutants(path, der, len);
    }
    free(der);
}

/* ---- requests built here ---- */

/*
 * A message holding one ir CertReqMsg for |key|'s public key, subject
 * CN=|cn| (none if NULL); sender CN=cmpkit POPO sender.
 */
static struct cmp_msg *
build_ir(EVP_PKEY *key, const char *cn)
{
    struct cmp_msg *msg = cmp_msg_new();
    struct cmp_cert_req_msg *req;
    X509_NAME *name = X509_NAME_new(), *sender = X509_NAME_new();
    unsigned char *der = NULL;
    int len;
    struct der_in in, dn;
    uint8_t *buf;
    int ok = 0;

    if (msg == NULL || name == NULL || sender == NULL) {
        goto done;
    }
    msg->hdr.pvno = CMP_PVNO_2000;
    msg->body.type = CMP_BODY_IR;
    msg->body.u.req.items = calloc(1, sizeof(*msg->body.u.req.items));
    if (msg->body.u.req.items == NULL) {
        goto done;
    }
    msg->body.u.req.num = 1;
    req = &msg->body.u.req.items[0];
    req->cert_req_id = 0;

    /* sender and recipient */
    if (!X509_NAME_add_entry_by_txt(sender, "CN", MBSTRING_ASC,
                                    (const unsigned char *)"cmpkit POPO sender", -1, -1, 0) ||
        (len = i2d_X509_NAME(sender, &der)) <= 0 ||
        (buf = cmp_msg_alloc(msg, 2 * ((size_t)len + 6))) == NULL) {
        goto done;
    }
    dn = der_in_make(der, (size_t)len);
    if (!cmp_gname_set_dirname(&msg->hdr.sender, buf, (size_t)len + 6, &dn) ||
        !cmp_gname_set_dirname(&msg->hdr.recipient, buf + len + 6, (size_t)len + 6, &dn)) {
        goto done;
    }
    OPENSSL_free(der);
    der = NULL;

    /* template: subject and publicKey */
    if (cn != NULL) {
        if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                        0) ||
            (len = i2d_X509_NAME(name, &der)) <= 0 ||
            (buf = cmp_msg_dup(msg, der, (size_t)len)) == NULL) {
            goto done;
        }
        req->tmpl.has_subject = 1;
        req->tmpl.subject = der_in_make(buf, (size_t)len);
        OPENSSL_free(der);
        der = NULL;
    }
    if ((len = i2d_PUBKEY(key, &der)) <= 0 || (buf = cmp_msg_dup(msg, der, (size_t)len)) == NULL) {
        goto done;
    }
    in = der_in_make(buf, (size_t)len);
    if (!der_get(&in, DER_SEQUENCE, &req->tmpl.public_key)) {
        goto done;
    }
    req->tmpl.has_public_key = 1;
    ok = 1;
done:
    OPENSSL_free(der);
    X509_NAME_free(name);
    X509_NAME_free(sender);
    if (!ok) {
        cmp_msg_free(msg);
        return NULL;
    }
    return msg;
}

/* Encodes |msg|; checks it decodes and its POPO verifies; |*out| is the DER. */
static int
encode_and_verify(const char *name, const struct cmp_msg *msg, uint8_t **out, size_t *out_len)
{
    struct cmp_err err;

    cmp_err_init(&err);
    if (!CHECK_CASE(name, cmp_msg_encode(msg, out, out_len, &err))) {
        return 0;
    }
    return CHECK_CASE(name, check_request(name, *out, *out_len, 1) == 1);
}

static void
test_round_trip(void)
{
    static const struct {
        const char *name, *key, *digest;
        const char *alg_oid; /* the POPO algorithm expected */
    } cases[] = {
        {"RSA", "RSA", NULL, "1.2.840.113549.1.1.11"},
        {"RSA SHA-512", "RSA", "SHA512", "1.2.840.113549.1.1.13"},
        {"RSA-PSS", "RSA-PSS", NULL, "1.2.840.113549.1.1.10"},
        {"ECDSA P-256", "P-256", NULL, "1.2.840.10045.4.3.2"},
        {"ECDSA P-384 SHA-384", "P-384", "SHA384", "1.2.840.10045.4.3.3"},
        {"ECDSA P-521 SHA-512", "P-521", "SHA512", "1.2.840.10045.4.3.4"},
        {"Ed25519", "ED25519", NULL, "1.3.101.112"},
        {"Ed448", "ED448", NULL, "1.3.101.113"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *key = keygen(cases[i].key);
        struct cmp_msg *msg = key == NULL ? NULL : build_ir(key, "cmpkit POPO test");
        struct cmp_cert_req_msg *req;
        struct cmp_err err;
        uint8_t *der = NULL;
        size_t len = 0;
        char oid[64];

        cmp_err_init(&err);
        if (!CHECK_CASE(cases[i].name, msg != NULL)) {
            EVP_PKEY_free(key);
            continue;
        }
        req = &msg->body.u.req.items[0];
        if (CHECK_CASE(cases[i].name, cmp_popo_sign(msg, req, key, cases[i].digest, &err))) {
            CHECK_CASE(cases[i].name, req->has_popo && req->popo.type == CMP_POPO_SIGNATURE &&
                                          !req->popo.has_poposk_input);
            CHECK_CASE(cases[i].name, der_oid_to_text(&req->popo.alg.oid, oid, sizeof(oid)) &&
                                          strcmp(oid, cases[i].alg_oid) == 0);
            /* as built, and as encoded, decoded and mutated */
            CHECK_CASE(cases[i].name, cmp_popo_verify(req, 0, &err));
            encode_and_verify(cases[i].name, msg, &der, &len);
        } else {
            char buf[512];

            fprintf(stderr, "%s\n", cmp_err_format(&err, buf, sizeof(buf)));
        }
        free(der);
        cmp_msg_free(msg);
        EVP_PKEY_free(key);
    }
}

/*
 * The template's publicKey is parsed without d2i_PUBKEY for EC and EdDSA:
 * a point off the curve, a point of the wrong length and an Ed25519 key
 * with parameters are refused as d2i_PUBKEY refuses them (badPOP).
 */
static void
test_template_key(void)
{
    static const struct {
        const char *name, *key;
        int edit; /* 0: last point byte flipped, 1: one byte shorter, 2: NULL params */
    } cases[] = {
        {"P-256 point off the curve", "P-256", 0},      {"P-384 point off the curve", "P-384", 0},
        {"P-521 point off the curve", "P-521", 0},      {"P-256 point too short", "P-256", 1},
        {"Ed25519 key too short", "ED25519", 1},        {"Ed448 key too short", "ED448", 1},
        {"Ed25519 with NULL parameters", "ED25519", 2},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *key = keygen(cases[i].key);
        struct cmp_msg *msg = key == NULL ? NULL : build_ir(key, "cmpkit POPO test");
        struct cmp_cert_req_msg *req;
        struct cmp_err err;
        uint8_t buf[256];
        struct der_in pk, in, alg;

        cmp_err_init(&err);
        if (!CHECK_CASE(cases[i].name, msg != NULL)) {
            EVP_PKEY_free(key);
            continue;
        }
        req = &msg->body.u.req.items[0];
        if (!CHECK_CASE(cases[i].name, cmp_popo_sign(msg, req, key, NULL, &err) &&
                                           cmp_popo_verify(req, 0, &err) &&
                                           req->tmpl.public_key.len + 4 <= sizeof(buf))) {
            cmp_msg_free(msg);
            EVP_PKEY_free(key);
            continue;
        }
        pk = req->tmpl.public_key;
        if (cases[i].edit == 0) {
            memcpy(buf, pk.p, pk.len);
            buf[pk.len - 1] ^= 0x01;
        } else if (cases[i].edit == 1) {
            /* shorten the BIT STRING (last TLV, short form) by one byte */
            memcpy(buf, pk.p, pk.len - 1);
            pk.len--;
            in = der_in_make(pk.p, pk.len);
            CHECK_CASE(cases[i].name, der_get_tlv(&in, DER_SEQUENCE, &alg));
            buf[alg.len + 1]--;
        } else {
            /* SEQUENCE { OID } -> SEQUENCE { OID, NULL } */
            in = der_in_make(pk.p, pk.len);
            CHECK_CASE(cases[i].name, der_get_tlv(&in, DER_SEQUENCE, &alg) && alg.p[1] == 5);
            memcpy(buf, alg.p, alg.len);
            buf[1] += 2;
            buf[alg.len] = 0x05;
            buf[alg.len + 1] = 0x00;
            memcpy(buf + alg.len + 2, pk.p + alg.len, pk.len - alg.len);
            pk.len += 2;
        }
        req->tmpl.public_key = der_in_make(buf, pk.len);
        cmp_err_init(&err);
        CHECK_CASE(cases[i].name, !cmp_popo_verify(req, 0, &err));
        CHECK_CASE(cases[i].name, err.failure_bit == CMP_FI_BAD_POP);
        cmp_msg_free(msg);
        EVP_PKEY_free(key);
    }
}

/* A template without subject: the POPO signs POPOSigningKeyInput (RFC 4211 4.1). */
static void
test_poposk_input(void)
{
    EVP_PKEY *key = keygen("P-256"), *other = keygen("P-256");
    struct cmp_msg *msg = key == NULL ? NULL : build_ir(key, NULL);
    struct cmp_msg *msg2 = other == NULL ? NULL : build_ir(other, NULL);
    struct cmp_cert_req_msg *req, saved;
    struct cmp_err err;
    uint8_t *der = NULL;
    size_t len = 0;

    cmp_err_init(&err);
    if (!CHECK(msg != NULL && msg2 != NULL)) {
        goto done;
    }
    req = &msg->body.u.req.items[0];
    if (!CHECK(cmp_popo_sign(msg, req, key, NULL, &err))) {
        goto done;
    }
    CHECK(req->popo.has_poposk_input);
    CHECK(cmp_popo_verify(req, 0, &err));
    encode_and_verify("poposkInput", msg, &der, &len);

    /* poposkInput's publicKey must be the template's */
    saved = *req;
    req->tmpl.public_key = msg2->body.u.req.items[0].tmpl.public_key;
    CHECK(!cmp_popo_verify(req, 0, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "differs") != NULL);
    *req = saved;

    /* without poposkInput, a template without subject is not enough */
    req->popo.has_poposk_input = 0;
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 0, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "subject") != NULL);
    *req = saved;

    /* no sender to put in poposkInput */
    memset(&msg2->hdr.sender, 0, sizeof(msg2->hdr.sender));
    cmp_err_init(&err);
    CHECK(!cmp_popo_sign(msg2, &msg2->body.u.req.items[0], other, NULL, &err));
    CHECK(err.code == CMP_E_ARG);
done:
    free(der);
    cmp_msg_free(msg);
    cmp_msg_free(msg2);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

/*
 * poposkInput with authInfo publicKeyMAC, built here: the signature verifies
 * (the MAC is the caller's to check); a poposkInput without publicKey, or
 * with an authInfo of another type, does not.
 */
static void
test_poposk_input_mac(void)
{
    /* PKMACValue { algId passwordBasedMac, value BIT STRING ABCD } */
    static const uint8_t pkmac[] = {0x30, 0x12, 0x30, 0x0B, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86,
                                    0xF6, 0x7D, 0x07, 0x42, 0x0D, 0x03, 0x03, 0x00, 0xAB, 0xCD};
    EVP_PKEY *key = keygen("ED448");
    struct cmp_msg *msg = key == NULL ? NULL : build_ir(key, NULL);
    struct cmp_cert_req_msg *req;
    struct der_out w;
    size_t seq, spki;
    uint8_t *input = NULL, *sig = NULL, *alg = NULL;
    size_t input_len = 0, sig_len = 0, alg_len = 0;
    struct der_in in, contents;
    struct cmp_err err;

    cmp_err_init(&err);
    der_out_init(&w, 4096);
    if (!CHECK(msg != NULL)) {
        goto done;
    }
    req = &msg->body.u.req.items[0];
    if (!CHECK(der_open(&w, DER_SEQUENCE, &seq) && der_put_raw(&w, pkmac, sizeof(pkmac)) &&
               der_open(&w, DER_SEQUENCE, &spki) && der_put_in(&w, &req->tmpl.public_key) &&
               der_close(&w, spki) && der_close(&w, seq) &&
               der_out_finish(&w, &input, &input_len)) ||
        !CHECK(
            cmp_sign_data(key, NULL, 0, input, input_len, &sig, &sig_len, &alg, &alg_len, &err))) {
        goto done;
    }
    in = der_in_make(input, input_len);
    CHECK(der_get(&in, DER_SEQUENCE, &contents));
    req->has_popo = 1;
    req->popo.type = CMP_POPO_SIGNATURE;
    req->popo.has_poposk_input = 1;
    req->popo.poposk_input = contents;
    req->popo.signature = der_in_make(sig, sig_len);
    in = der_in_make(alg, alg_len);
    if (!CHECK(cmp_algid_decode(&in, DER_SEQUENCE, &req->popo.alg, &err))) {
        goto done;
    }
    CHECK(cmp_popo_verify(req, 0, &err));

    /* no publicKey in poposkInput */
    req->popo.poposk_input.len = sizeof(pkmac);
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 0, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "malformed poposkInput") != NULL);

    /* authInfo neither sender [0] nor PKMACValue: PKMACValue retagged [1] */
    input[contents.p - input] = 0xA1;
    req->popo.poposk_input = contents;
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 0, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "malformed poposkInput") != NULL);
done:
    der_out_cleanup(&w);
    free(input);
    free(sig);
    free(alg);
    cmp_msg_free(msg);
    EVP_PKEY_free(key);
}

/*
 * cmp_popo_sign_spki(): the DER of the key's SubjectPublicKeyInfo, when the
 * template holds the same bytes, stands for decoding the template's key;
 * other bytes fall back to comparing keys, so a key that is not the
 * template's is still refused.
 */
static void
test_sign_spki(void)
{
    EVP_PKEY *key = keygen("P-256"), *other = keygen("P-256");
    uint8_t *key_spki = NULL, *other_spki = NULL;
    int key_len = key == NULL ? -1 : i2d_PUBKEY(key, &key_spki);
    int other_len = other == NULL ? -1 : i2d_PUBKEY(other, &other_spki);
    static const uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    const struct {
        const char *name;
        int sign_other; /* sign with |other|, not the template's key */
        int spki;       /* 0 none, 1 the key's, 2 |other|'s, 3 garbage */
        int ok;
    } cases[] = {
        {"the key's SPKI", 0, 1, 1},
        {"no SPKI", 0, 0, 1},
        {"another key's SPKI: keys compared", 0, 2, 1},
        {"not an SPKI: keys compared", 0, 3, 1},
        {"wrong key, its own SPKI", 1, 2, 0},
        {"wrong key, no SPKI", 1, 0, 0},
    };
    size_t i;

    if (!CHECK(key_len > 0 && other_len > 0)) {
        goto done;
    }
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cmp_msg *msg = build_ir(key, "cmpkit POPO test");
        const uint8_t *spki = NULL;
        size_t spki_len = 0;
        struct cmp_cert_req_msg *req;
        struct cmp_err err;
        int ok;

        if (!CHECK_CASE(cases[i].name, msg != NULL)) {
            continue;
        }
        req = &msg->body.u.req.items[0];
        if (cases[i].spki == 1) {
            spki = key_spki;
            spki_len = (size_t)key_len;
        } else if (cases[i].spki == 2) {
            spki = other_spki;
            spki_len = (size_t)other_len;
        } else if (cases[i].spki == 3) {
            spki = garbage;
            spki_len = sizeof(garbage);
        }
        cmp_err_init(&err);
        ok = cmp_popo_sign_spki(msg, req, cases[i].sign_other ? other : key, spki, spki_len, NULL,
                                &err);
        CHECK_CASE(cases[i].name, ok == cases[i].ok);
        if (ok) {
            CHECK_CASE(cases[i].name, req->has_popo && cmp_popo_verify(req, 0, &err));
        } else {
            CHECK_CASE(cases[i].name, err.code == CMP_E_ARG && !req->has_popo &&
                                          strstr(err.msg, "does not match") != NULL);
        }
        cmp_msg_free(msg);
    }
done:
    OPENSSL_free(key_spki);
    OPENSSL_free(other_spki);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

static void
test_other_popos(void)
{
    EVP_PKEY *key = keygen("ED25519"), *other = keygen("ED25519");
    struct cmp_msg *msg = key == NULL ? NULL : build_ir(key, "cmpkit POPO test");
    struct cmp_cert_req_msg *req;
    struct cmp_err err;

    cmp_err_init(&err);
    if (!CHECK(msg != NULL && other != NULL)) {
        goto done;
    }
    req = &msg->body.u.req.items[0];

    /* a key that is not the template's */
    CHECK(!cmp_popo_sign(msg, req, other, NULL, &err));
    CHECK(err.code == CMP_E_ARG && !req->has_popo);

    /* no POPO at all */
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 1, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "certReqId 0") != NULL);

    /* raVerified: only when allowed */
    req->has_popo = 1;
    req->popo.type = CMP_POPO_RAVERIFIED;
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 0, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "raVerified") != NULL);
    CHECK(cmp_popo_verify(req, 1, &err));

    /* keyEncipherment / keyAgreement cannot be verified from the request */
    req->popo.type = CMP_POPO_KEYENC;
    req->popo.priv_type = CMP_POPO_PRIV_SUBSEQUENT;
    req->popo.subsequent = CMP_SUBSEQ_ENCR_CERT;
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 1, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && err.code == CMP_E_UNSUPPORTED &&
          strstr(err.msg, "subsequentMessage") != NULL);
    req->popo.type = CMP_POPO_KEYAGREE;
    req->popo.priv_type = CMP_POPO_PRIV_THIS_MESSAGE;
    cmp_err_init(&err);
    CHECK(!cmp_popo_verify(req, 1, &err));
    CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "keyAgreement") != NULL);

    /* a signature POPO whose signature has unused bits */
    req->has_popo = 0;
    memset(&req->popo, 0, sizeof(req->popo));
    cmp_err_init(&err);
    if (CHECK(cmp_popo_sign(msg, req, key, NULL, &err))) {
        req->popo.signature_unused = 1;
        CHECK(!cmp_popo_verify(req, 0, &err));
        CHECK(err.failure_bit == CMP_FI_BAD_POP);
        req->popo.signature_unused = 0;
        CHECK(cmp_popo_verify(req, 0, &err));
        /* no template publicKey */
        req->tmpl.has_public_key = 0;
        cmp_err_init(&err);
        CHECK(!cmp_popo_verify(req, 0, &err));
        CHECK(err.failure_bit == CMP_FI_BAD_POP && strstr(err.msg, "publicKey") != NULL);
        req->tmpl.has_public_key = 1;
        /* the CertRequest bytes unknown */
        req->cert_req = DER_IN_EMPTY;
        cmp_err_init(&err);
        CHECK(!cmp_popo_verify(req, 0, &err));
    }
done:
    cmp_msg_free(msg);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

/* A PKCS#10 request for |key|, subject CN=cmpkit p10cr; |*out| is its DER. */
static int
make_csr(EVP_PKEY *key, const char *md, unsigned char **out, int *out_len)
{
    X509_REQ *csr = X509_REQ_new();
    int ok = csr != NULL && X509_REQ_set_pubkey(csr, key) &&
             X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(csr), "CN", MBSTRING_ASC,
                                        (const unsigned char *)"cmpkit p10cr", -1, -1, 0) &&
             X509_REQ_sign(csr, key, md == NULL ? NULL : EVP_get_digestbyname(md)) > 0 &&
             (*out_len = i2d_X509_REQ(csr, out)) > 0;

    X509_REQ_free(csr);
    return ok;
}

/* PKCS#10 requests made here, and malformed ones. */
static void
test_p10cr(void)
{
    static const struct {
        const char *key, *md;
    } cases[] = {{"RSA", "SHA256"}, {"P-384", "SHA384"}, {"ED25519", NULL}, {"ED448", NULL}};
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *key = keygen(cases[i].key);
        const char *name = cases[i].key;
        unsigned char *der = NULL;
        int len = 0;
        size_t k;
        struct der_in in;
        struct cmp_err err;

        cmp_err_init(&err);
        if (CHECK_CASE(name, key != NULL && make_csr(key, cases[i].md, &der, &len))) {
            in = der_in_make(der, (size_t)len);
            CHECK_CASE(name, cmp_p10cr_verify(&in, &err));
            /* a flipped bit in the subject: the signature no longer fits */
            for (k = 0; k + 12 <= (size_t)len; k++) {
                if (memcmp(der + k, "cmpkit p10cr", 12) == 0) {
                    break;
                }
            }
            if (CHECK_CASE(name, k + 12 <= (size_t)len)) {
                der[k] ^= 0x01;
                cmp_err_init(&err);
                CHECK_CASE(name, !cmp_p10cr_verify(&in, &err));
                CHECK_CASE(name, err.failure_bit == CMP_FI_BAD_POP);
                der[k] ^= 0x01;
            }
            check_csr_mutants(name, der, (size_t)len);
        }
        ERR_clear_error();
        OPENSSL_free(der);
        EVP_PKEY_free(key);
    }
    {
        struct der_in empty = DER_IN_EMPTY;
        struct cmp_err err;

        cmp_err_init(&err);
        CHECK(!cmp_p10cr_verify(&empty, &err));
        CHECK(err.failure_bit == CMP_FI_BAD_DATA_FORMAT);
    }
}

int
main(int argc, char **argv)
{
    char path[1024];
    size_t n;

    if (argc == 3 && strcmp(argv[1], "--shared") == 0) {
        if (!check_have_dir(argv[2])) {
            printf("skipped: no %s\n", argv[2]);
            return CHECK_SKIP;
        }
        snprintf(path, sizeof(path), "%s/openssl-cli", argv[2]);
        n = check_dir(path);
        /* ir cr kur p10cr implconf err senderr poll_req1 */
        CHECK(n >= 8);
        snprintf(path, sizeof(path), "%s/openssl-unit", argv[2]);
        n = check_dir(path);
        CHECK(n >= 1);
        /* a PKCS#10 request on its own */
        snprintf(path, sizeof(path), "%s/openssl-unit/msg/pkcs10.der", argv[2]);
        check_csr_file(path);
    } else if (argc == 3 && strcmp(argv[1], "--generated") == 0) {
        n = check_dir(argv[2]);
        /* ir_pbm ir_sig cr_pbm cr_sig kur_sig p10cr_pbm implicit_pbm poll_pbm
         * reject_pbm senderr_pbm badmac_pbm unprot */
        CHECK(n >= 12);
    } else if (argc == 1) {
        test_round_trip();
        test_template_key();
        test_poposk_input();
        test_poposk_input_mac();
        test_other_popos();
        test_sign_spki();
        test_p10cr();
    } else {
        fprintf(stderr, "usage: %s [--shared DIR | --generated DIR]\n", argv[0]);
        return 2;
    }
    return check_finish();
}
