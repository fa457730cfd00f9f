/*
 * Issuance: a request (from a CertTemplate or a PKCS#10 CSR) is checked
 * against its profile, turned into an X.509 v3 certificate signed with the
 * CA key, and recorded in the store; then confirmation, timeouts and
 * revocation change its status there.
 *
 * Failure bits for a request outside its profile (RFC 9483 4.1.1 and the
 * PKIFailureInfo list of RFC 9810 5.2.3):
 *   badCertTemplate      subject, key size or curve, validity, extension
 *                        values the profile does not allow; fields RFC 4211
 *                        5 says to omit; an unknown certProfile
 *   badAlg               a key algorithm the CA cannot certify at all
 *   unacceptedExtension  an extension type the profile does not take
 *                        (when the profile refuses rather than drops them)
 *   badDataFormat        a public key, name or extension that does not parse
 *   systemFailure        the store or libcrypto failed
 * The message of each says what was wrong; it becomes the statusString.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"
#include "crypto/crypto.h"
#include "msg/msg.h"

/* Limits on what a request may carry (it comes from the network). */
#define MAX_SPKI_LEN 4096              /* an RSA-16384 key's is about 2,100 bytes */
#define MAX_NAME_LEN 4096              /* subject or issuer Name DER */
#define MAX_NAME_ENTRIES 32            /* attributes in a subject */
#define MAX_EXTS_LEN 16384             /* requested extensions, DER */
#define MAX_EXTS 32                    /* requested extensions */
#define MAX_SAN_ENTRIES 64             /* names in a subjectAltName */
#define MAX_FUTURE_START (366 * 86400) /* furthest notBefore asked for */
#define SERIAL_TRIES 8                 /* new serials tried when one is taken */

/* ---- the CA object ---- */

struct cmp_ca *
cmp_ca_new(X509 *cert, EVP_PKEY *key, struct cmp_ca_store *store, int64_t days, struct cmp_err *err)
{
    struct cmp_ca *ca;

    if (cert == NULL || key == NULL || store == NULL) {
        CMP_FAIL(err, CMP_E_ARG, "CA: certificate, key and store are needed");
        return NULL;
    }
    if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        CMP_FAIL(err, CMP_E_ARG, "CA: the key does not belong to the CA certificate");
        return NULL;
    }
    ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "CA");
        return NULL;
    }
    ca->profiles[0] = cmp_ca_profile_default(days, err);
    if (ca->profiles[0] == NULL) {
        free(ca);
        return NULL;
    }
    ca->num_profiles = 1;
    ca->builtin = 1;
    ca->days = days;
    ca->crl_period = 86400;
    if (X509_up_ref(cert) != 1 || EVP_PKEY_up_ref(key) != 1) {
        cmp_ca_profile_free(ca->profiles[0]);
        free(ca);
        CMP_FAIL(err, CMP_E_MEMORY, "CA");
        return NULL;
    }
    ca->cert = cert;
    ca->key = key;
    ca->store = store;
    return ca;
}

void
cmp_ca_free(struct cmp_ca *ca)
{
    size_t i;

    if (ca == NULL) {
        return;
    }
    for (i = 0; i < ca->num_profiles; i++) {
        cmp_ca_profile_free(ca->profiles[i]);
    }
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    free(ca->crl_dp);
    free(ca);
}

static struct cmp_ca_profile *
find_profile(const struct cmp_ca *ca, const char *name)
{
    size_t i;

    for (i = 0; i < ca->num_profiles; i++) {
        if (strcmp(ca->profiles[i]->name, name) == 0) {
            return ca->profiles[i];
        }
    }
    return NULL;
}

int
cmp_ca_add_profile(struct cmp_ca *ca, struct cmp_ca_profile *p, struct cmp_err *err)
{
    if (ca->builtin) {
        cmp_ca_profile_free(ca->profiles[0]);
        ca->num_profiles = 0;
        ca->builtin = 0;
        ca->default_profile = 0;
    }
    if (find_profile(ca, p->name) != NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "CA: profile '%s' is defined twice", p->name);
    }
    if (ca->num_profiles == CMP_CA_MAX_PROFILES) {
        return CMP_FAIL(err, CMP_E_LIMIT, "CA: more than %d profiles", CMP_CA_MAX_PROFILES);
    }
    ca->profiles[ca->num_profiles++] = p;
    return 1;
}

int
cmp_ca_set_default_profile(struct cmp_ca *ca, const char *name, struct cmp_err *err)
{
    size_t i;

    for (i = 0; i < ca->num_profiles; i++) {
        if (strcmp(ca->profiles[i]->name, name) == 0) {
            ca->default_profile = i;
            return 1;
        }
    }
    return CMP_FAIL(err, CMP_E_ARG, "CA: no profile named '%s'", name);
}

const struct cmp_ca_profile *
cmp_ca_get0_profile(const struct cmp_ca *ca, const char *name)
{
    return name == NULL ? ca->profiles[ca->default_profile] : find_profile(ca, name);
}

void
cmp_ca_set_crl_period(struct cmp_ca *ca, int64_t seconds)
{
    ca->crl_period = seconds > 0 ? seconds : 86400;
}

void
cmp_ca_set_serial_fn(struct cmp_ca *ca, cmp_ca_serial_fn *fn, void *arg)
{
    ca->serial_fn = fn;
    ca->serial_arg = arg;
}

int
cmp_ca_set_crl_url(struct cmp_ca *ca, const char *url, struct cmp_err *err)
{
    size_t len = strlen(url), i;

    if (len > 1024 || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "'%.100s' is not an http:// or https:// URL of at most "
                        "1024 bytes",
                        url);
    }
    for (i = 0; i < len; i++) {
        /* the extension is made from "URI:<url>", a list where ',' separates */
        if ((unsigned char)url[i] <= ' ' || url[i] == ',' || (unsigned char)url[i] >= 0x7F) {
            return CMP_FAIL(err, CMP_E_ARG, "'%.100s': a blank, comma or non-ASCII character", url);
        }
    }
    free(ca->crl_dp);
    ca->crl_dp = malloc(len + 5);
    if (ca->crl_dp == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "CRL URL");
    }
    memcpy(ca->crl_dp, "URI:", 4);
    memcpy(ca->crl_dp + 4, url, len + 1);
    return 1;
}

X509 *
cmp_ca_get0_cert(const struct cmp_ca *ca)
{
    return ca->cert;
}

struct cmp_ca_store *
cmp_ca_get0_store(const struct cmp_ca *ca)
{
    return ca->store;
}

const EVP_MD *
cmp_ca_sign_md(const struct cmp_ca *ca, const struct cmp_ca_profile *prof)
{
    int id = EVP_PKEY_get_base_id(ca->key);

    if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) {
        return NULL; /* PureEdDSA: no separate digest (RFC 8410 3) */
    }
    if (prof != NULL && prof->digest[0] != '\0') {
        return EVP_get_digestbyname(prof->digest);
    }
    return EVP_sha256();
}

/* ---- names and hex ---- */

/* RFC 2253 syntax in the certificate's order, as `openssl x509 -subject` shows it */
#define NAME_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_DN_REV)

const char *
cmp_ca_name_text(char *buf, size_t len, const X509_NAME *name)
{
    BIO *b = BIO_new(BIO_s_mem());
    int n;

    buf[0] = '\0';
    if (b == NULL) {
        return buf;
    }
    if (X509_NAME_print_ex(b, name, 0, NAME_FLAGS) >= 0) {
        n = BIO_read(b, buf, (int)(len - 1));
        buf[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
    return buf;
}

const char *
cmp_ca_hex(char *buf, size_t len, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;

    if (len == 0) {
        return buf;
    }
    for (i = 0; i < n && 2 * i + 2 < len; i++) {
        buf[2 * i] = digits[p[i] >> 4];
        buf[2 * i + 1] = digits[p[i] & 15];
    }
    buf[2 * i] = '\0';
    return buf;
}

const char *
cmp_ca_requester_kid(char *buf, size_t len, const uint8_t *kid, size_t kid_len)
{
    char hex[2 * CMP_CA_REF_MAX + 1];

    snprintf(
        buf, len, "kid:%s",
        cmp_ca_hex(hex, sizeof(hex), kid, kid_len < CMP_CA_REF_MAX ? kid_len : CMP_CA_REF_MAX));
    return buf;
}

const char *
cmp_ca_requester_cert(char *buf, size_t len, const X509 *cert)
{
    char issuer[512], hex[2 * CMP_CA_SERIAL_MAX + 3];
    const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);
    int sn_len = ASN1_STRING_length(sn);

    cmp_ca_name_text(issuer, sizeof(issuer), X509_get_issuer_name(cert));
    cmp_ca_hex(hex, sizeof(hex), ASN1_STRING_get0_data(sn),
               sn_len > CMP_CA_SERIAL_MAX ? CMP_CA_SERIAL_MAX : (size_t)sn_len);
    snprintf(buf, len, "cert:%s/%s", issuer, hex);
    return buf;
}

/* ---- CRLReason (RFC 5280 5.3.1) ---- */

static const char *const reason_names[] = {
    "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
    "superseded",    "cessationOfOperation", "certificateHold", NULL,
    "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
};
#define NUM_REASONS ((int)(sizeof(reason_names) / sizeof(reason_names[0])))

const char *
cmp_ca_reason_name(int reason)
{
    return reason < 0 || reason >= NUM_REASONS ? NULL : reason_names[reason];
}

int
cmp_ca_reason_parse(const char *text)
{
    int r;
    char *end;
    long n;

    for (r = 0; r < NUM_REASONS; r++) {
        if (reason_names[r] != NULL && strcmp(text, reason_names[r]) == 0) {
            break;
        }
    }
    if (r == NUM_REASONS) {
        n = strtol(text, &end, 10);
        if (end == text || *end != '\0' || n < 0 || n >= NUM_REASONS) {
            return -1;
        }
        r = (int)n;
    }
    /* No holds: a revocation here is final (certificateHold, removeFromCRL). */
    if (r == 6 || r == 7 || r == 8) {
        return -1;
    }
    return r;
}

/* ---- requests ---- */

void
cmp_ca_request_cleanup(struct cmp_ca_request *req)
{
    free(req->owned);
    req->owned = NULL;
}

/* Wraps contents in a SEQUENCE header, into the writer |w|. */
static int
put_seq(struct der_out *w, const struct der_in *contents, size_t *mark)
{
    return der_open(w, DER_SEQUENCE, mark) && der_put_in(w, contents) && der_close(w, *mark);
}

int
cmp_ca_request_from_template(struct cmp_ca_request *req, const struct cmp_cert_template *t,
                             struct cmp_err *err)
{
    struct der_out w;
    size_t m, spki_at = 0, spki_end = 0, exts_at = 0, exts_end = 0, len;
    uint8_t *buf;

    req->subject = t->has_subject ? t->subject : DER_IN_EMPTY;
    req->issuer = t->has_issuer ? t->issuer : DER_IN_EMPTY;
    req->not_before = t->has_not_before ? t->not_before_secs : 0;
    req->not_after = t->has_not_after ? t->not_after_secs : 0;
    /* RFC 4211 5: the CA assigns these; the requester must omit them. */
    req->forbidden_field = t->has_serial                         ? "serialNumber"
                           : t->has_signing_alg                  ? "signingAlg"
                           : t->has_issuer_uid                   ? "issuerUID"
                           : t->has_subject_uid                  ? "subjectUID"
                           : (t->has_version && t->version != 2) ? "version (must be 2, v3)"
                                                                 : NULL;
    /* publicKey and extensions arrive as the contents of their IMPLICIT tags. */
    der_out_init(&w, 2 * MAX_EXTS_LEN + 2 * MAX_SPKI_LEN);
    if (t->has_public_key) {
        spki_at = w.len;
        if (!put_seq(&w, &t->public_key, &m)) {
            goto fail;
        }
        spki_end = w.len;
    }
    if (t->has_extensions) {
        exts_at = w.len;
        if (!put_seq(&w, &t->extensions, &m)) {
            goto fail;
        }
        exts_end = w.len;
    }
    if (!der_out_finish(&w, &buf, &len)) {
        goto fail;
    }
    free(req->owned);
    req->owned = buf;
    req->spki = t->has_public_key ? der_in_make(buf + spki_at, spki_end - spki_at) : DER_IN_EMPTY;
    req->exts = t->has_extensions ? der_in_make(buf + exts_at, exts_end - exts_at) : DER_IN_EMPTY;
    return 1;
fail:
    der_out_cleanup(&w);
    return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                         "CertTemplate publicKey or extensions too large");
}

int
cmp_ca_request_from_p10(struct cmp_ca_request *req, const uint8_t *der, size_t len,
                        struct cmp_err *err)
{
    const unsigned char *p = der;
    X509_REQ *csr;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    int subj_len, spki_len, exts_len = 0;
    uint8_t *buf, *q;

    if (len > (size_t)MAX_EXTS_LEN + MAX_SPKI_LEN + MAX_NAME_LEN + 1024) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "PKCS#10 request of %zu bytes too large",
                             len);
    }
    csr = d2i_X509_REQ(NULL, &p, (long)len);
    if (csr == NULL || p != der + len) {
        X509_REQ_free(csr);
        ERR_clear_error();
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "PKCS#10 request does not parse");
    }
    subj_len = i2d_X509_NAME(X509_REQ_get_subject_name(csr), NULL);
    spki_len = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr), NULL);
    exts = X509_REQ_get_extensions(csr);
    if (exts == NULL) {
        /* NULL is both "none" and "malformed": a malformed one leaves an error */
        if (ERR_peek_error() != 0) {
            ERR_clear_error();
            X509_REQ_free(csr);
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                 "PKCS#10 request: extensionRequest does not parse");
        }
    } else if (sk_X509_EXTENSION_num(exts) > 0) {
        exts_len = i2d_X509_EXTENSIONS(exts, NULL);
    }
    if (subj_len <= 0 || spki_len <= 0 || exts_len < 0) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        X509_REQ_free(csr);
        ERR_clear_error();
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "PKCS#10 request fields do not encode");
    }
    buf = malloc((size_t)subj_len + (size_t)spki_len + (size_t)exts_len);
    if (buf == NULL) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        X509_REQ_free(csr);
        return CMP_FAIL(err, CMP_E_MEMORY, "PKCS#10 request");
    }
    q = buf;
    (void)i2d_X509_NAME(X509_REQ_get_subject_name(csr), &q);
    (void)i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr), &q);
    if (exts_len > 0) {
        (void)i2d_X509_EXTENSIONS(exts, &q);
    }
    free(req->owned);
    req->owned = buf;
    req->subject = der_in_make(buf, (size_t)subj_len);
    req->spki = der_in_make(buf + subj_len, (size_t)spki_len);
    req->exts =
        exts_len > 0 ? der_in_make(buf + subj_len + spki_len, (size_t)exts_len) : DER_IN_EMPTY;
    req->issuer = DER_IN_EMPTY;
    req->not_before = req->not_after = 0;
    req->forbidden_field = NULL;
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(csr);
    return 1;
}

/* ---- checking a request against its profile ---- */

/* What the checks found, kept for building the certificate. */
struct checked {
    const struct cmp_ca_profile *prof;
    EVP_PKEY *pub;          /* the request's key, checked */
    struct der_in spki_alg; /* its AlgorithmIdentifier TLV and key bits, for the certificate */
    struct der_in spki_bits;
    X509_NAME *subject;
    GENERAL_NAMES *san; /* requested, allowed; or NULL */
    unsigned ku;        /* KU_* bits to issue */
    EXTENDED_KEY_USAGE *eku;
    int64_t not_before, not_after;
};

static void
checked_cleanup(struct checked *c)
{
    EVP_PKEY_free(c->pub);
    X509_NAME_free(c->subject);
    GENERAL_NAMES_free(c->san);
    sk_ASN1_OBJECT_pop_free(c->eku, ASN1_OBJECT_free);
    memset(c, 0, sizeof(*c));
}

#define REFUSE(err, bit, ...) CMP_FAIL_INFO((err), (bit), __VA_ARGS__)

/* obj_name() names an OID as the profile keys do: its short name, else dotted. */
static const char *
obj_name(char *buf, size_t len, const ASN1_OBJECT *o)
{
    int nid = OBJ_obj2nid(o);

    if (nid != NID_undef && OBJ_nid2sn(nid) != NULL) {
        snprintf(buf, len, "%s", OBJ_nid2sn(nid));
    } else {
        OBJ_obj2txt(buf, (int)len, o, 1);
    }
    return buf;
}

/*
 * rsa_modulus_bits() reads the size of an RSA key straight from the DER
 * of a SubjectPublicKeyInfo, so that a huge key is refused before
 * libcrypto parses it. 0 if it is not an rsaEncryption key or malformed.
 */
static int
rsa_modulus_bits(const struct der_in *spki)
{
    static const uint8_t rsa_oid[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
    struct der_in in = *spki, seq, alg, oid, bits, key, n;
    unsigned unused;
    size_t i;

    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_get(&seq, DER_SEQUENCE, &alg) ||
        !der_get_oid(&alg, &oid) || oid.len != sizeof(rsa_oid) ||
        memcmp(oid.p, rsa_oid, sizeof(rsa_oid)) != 0 ||
        !der_get_bitstring(&seq, DER_BIT_STRING, &bits, &unused) || unused != 0 ||
        !der_get(&bits, DER_SEQUENCE, &key) || !der_get_integer(&key, DER_INTEGER, &n)) {
        return 0;
    }
    for (i = 0; i < n.len && n.p[i] == 0; i++) {
    }
    if (i == n.len) {
        return 0;
    }
    {
        int b = 8 * (int)(n.len - i), top = n.p[i];

        while ((top & 0x80) == 0) {
            top <<= 1;
            b--;
        }
        return b;
    }
}

static int check_key_type(struct checked *c, int id, int bits, int curve, struct cmp_err *err);

/* The key algorithms a CA here can certify (their OIDs name them in refusals). */
static int
known_key_alg(int nid)
{
    return nid == NID_rsaEncryption || nid == NID_X9_62_id_ecPublicKey || nid == NID_ED25519 ||
           nid == NID_ED448;
}

/*
 * key_type_der() reads a key's type from the DER of its SubjectPublicKeyInfo
 * alone (RFC 5480, RFC 8410, RFC 8017): EVP_PKEY_RSA with its modulus size,
 * EVP_PKEY_EC with the curve's NID, EVP_PKEY_ED25519 or EVP_PKEY_ED448.
 * 0 if it is none of these or its parameters or key bits do not fit the type.
 * For a key whose possession was proven (req->key_proven), so that libcrypto
 * need not build it again.
 */
static int
key_type_der(const struct der_in *spki, const struct der_in *bits, int *out_bits, int *out_nid)
{
    struct der_in in = *spki, seq, alg, oid, curve;

    *out_bits = 0;
    *out_nid = NID_undef;
    if (!der_get(&in, DER_SEQUENCE, &seq) || !der_get(&seq, DER_SEQUENCE, &alg) ||
        !der_get_oid(&alg, &oid)) {
        return 0;
    }
    switch (cmp_oid_ossl_nid(&oid)) {
    case NID_rsaEncryption:
        *out_bits = rsa_modulus_bits(spki);
        return *out_bits > 0 ? EVP_PKEY_RSA : 0;
    case NID_ED25519:
        return der_done(&alg) && bits->len == 32 ? EVP_PKEY_ED25519 : 0;
    case NID_ED448:
        return der_done(&alg) && bits->len == 57 ? EVP_PKEY_ED448 : 0;
    case NID_X9_62_id_ecPublicKey:
        if (!der_get_oid(&alg, &curve) || !der_done(&alg)) {
            return 0;
        }
        *out_nid = cmp_oid_ossl_nid(&curve);
        /* an uncompressed or compressed point (SEC 1 2.3.3) */
        return *out_nid != NID_undef && bits->len > 1 &&
                       (bits->p[0] == 0x04 ? bits->len % 2 == 1
                                           : bits->p[0] == 0x02 || bits->p[0] == 0x03)
                   ? EVP_PKEY_EC
                   : 0;
    default:
        return 0;
    }
}

static int
check_key(struct checked *c, const struct cmp_ca_request *req, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    const unsigned char *q = req->spki.p;
    char allowed[256];
    EVP_PKEY *pub;
    ASN1_OBJECT *alg = NULL;
    int rsa_bits, id;

    if (req->spki.len == 0) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "the request has no public key");
    }
    if (req->spki.len > MAX_SPKI_LEN) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "public key of %zu bytes is too large",
                      req->spki.len);
    }
    cmp_ca_profile_describe_keys(p, allowed, sizeof(allowed));
    rsa_bits = rsa_modulus_bits(&req->spki);
    if (rsa_bits > 0 && (!p->rsa || rsa_bits < p->rsa_min_bits || rsa_bits > p->rsa_max_bits)) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "key type RSA-%d not allowed by profile '%s' (allowed: %s)", rsa_bits,
                      p->name, allowed);
    }
    {
        struct der_in in = req->spki, seq;
        unsigned unused;

        if (!der_get(&in, DER_SEQUENCE, &seq) || !der_done(&in) ||
            !der_get_tlv(&seq, DER_SEQUENCE, &c->spki_alg) ||
            !der_get_bitstring(&seq, DER_BIT_STRING, &c->spki_bits, &unused) || unused != 0 ||
            !der_done(&seq) || c->spki_bits.len == 0) {
            return REFUSE(err, CMP_FI_BAD_DATA_FORMAT,
                          "the public key is not a SubjectPublicKeyInfo");
        }
    }
    /*
     * A key proven by a signature that verified with it needs no second
     * decoding: its type and size come from the DER (as much CPU as a
     * signature saved, with OpenSSL 3.0). Else EC and EdDSA keys without
     * OpenSSL 3.0's slow decoders, the rest through them.
     */
    pub = NULL;
    if (req->key_proven) {
        int bits_der, nid_der;

        id = key_type_der(&req->spki, &c->spki_bits, &bits_der, &nid_der);
        if (id != 0) {
            return check_key_type(c, id, bits_der, nid_der, err);
        }
    }
    pub = cmp_spki_fast_pubkey(req->spki.p, req->spki.len);
    if (pub == NULL) {
        X509_PUBKEY *xpub = d2i_X509_PUBKEY(NULL, &q, (long)req->spki.len);

        pub = xpub != NULL ? X509_PUBKEY_get(xpub) : NULL;
        if (pub == NULL) {
            char name[80];
            int bad_alg = xpub != NULL &&
                          X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpub) == 1 &&
                          alg != NULL && !known_key_alg(OBJ_obj2nid(alg));

            if (bad_alg) {
                obj_name(name, sizeof(name), alg);
            }
            X509_PUBKEY_free(xpub);
            ERR_clear_error();
            if (bad_alg) {
                return REFUSE(err, CMP_FI_BAD_ALG,
                              "key algorithm %s is not supported (allowed: %s)", name, allowed);
            }
            return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "the public key is not a valid key");
        }
        X509_PUBKEY_free(xpub);
    }
    c->pub = pub; /* owned from here: checked_cleanup() frees it */
    id = EVP_PKEY_get_base_id(pub);
    if (id == EVP_PKEY_EC) {
        char group[64] = "";
        int nid;

        if (EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL) != 1 ||
            (nid = OBJ_sn2nid(group)) == NID_undef) {
            ERR_clear_error();
            return REFUSE(err, CMP_FI_BAD_ALG, "EC key without a named curve is not supported");
        }
        return check_key_type(c, id, 0, nid, err);
    }
    return check_key_type(c, id, EVP_PKEY_get_bits(pub), NID_undef, err);
}

/* The key's type (EVP_PKEY_*, with its size or curve) against the profile. */
static int
check_key_type(struct checked *c, int id, int bits, int curve, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    char allowed[256], what[64];
    int ok = 0;
    size_t i;

    switch (id) {
    case EVP_PKEY_RSA:
        snprintf(what, sizeof(what), "RSA-%d", bits);
        ok = p->rsa && bits >= p->rsa_min_bits && bits <= p->rsa_max_bits;
        break;
    case EVP_PKEY_EC:
        snprintf(what, sizeof(what), "EC %s",
                 EC_curve_nid2nist(curve) != NULL ? EC_curve_nid2nist(curve)
                 : OBJ_nid2sn(curve) != NULL      ? OBJ_nid2sn(curve)
                                                  : "(unknown curve)");
        for (i = 0; i < p->num_curves; i++) {
            ok |= p->curves[i] == curve;
        }
        break;
    case EVP_PKEY_ED25519:
        snprintf(what, sizeof(what), "Ed25519");
        ok = p->ed25519;
        break;
    case EVP_PKEY_ED448:
        snprintf(what, sizeof(what), "Ed448");
        ok = p->ed448;
        break;
    default: {
        const char *name = OBJ_nid2sn(id);

        cmp_ca_profile_describe_keys(p, allowed, sizeof(allowed));
        return REFUSE(err, CMP_FI_BAD_ALG, "key algorithm %s is not supported (allowed: %s)",
                      id != NID_undef && name != NULL ? name : "(unknown)", allowed);
    }
    }
    if (!ok) {
        cmp_ca_profile_describe_keys(p, allowed, sizeof(allowed));
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "key type %s not allowed by profile '%s' (allowed: %s)", what, p->name,
                      allowed);
    }
    return 1;
}

static int
nid_in(int nid, const int *nids, size_t num)
{
    size_t i;

    for (i = 0; i < num; i++) {
        if (nids[i] == nid) {
            return 1;
        }
    }
    return 0;
}

static int
check_subject(struct checked *c, const struct cmp_ca_request *req, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    const unsigned char *q = req->subject.p;
    int i, n;
    size_t k;

    if (req->subject.len > MAX_NAME_LEN) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "subject of %zu bytes is too large",
                      req->subject.len);
    }
    if (req->subject.len == 0) {
        c->subject = X509_NAME_new();
        if (c->subject == NULL) {
            return CMP_FAIL(err, CMP_E_MEMORY, "subject");
        }
    } else {
        c->subject = d2i_X509_NAME(NULL, &q, (long)req->subject.len);
        if (c->subject == NULL || q != req->subject.p + req->subject.len) {
            ERR_clear_error();
            return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "the subject is not a Name");
        }
    }
    n = X509_NAME_entry_count(c->subject);
    if (n == 0 && !p->subject_empty) {
        /* RFC 9483 4.1.1: the template must carry the subject. */
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "the request has no subject (profile '%s' requires one)", p->name);
    }
    if (n > MAX_NAME_ENTRIES) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "subject has %d attributes (at most %d)", n,
                      MAX_NAME_ENTRIES);
    }
    for (i = 0; i < n; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(c->subject, i);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));

        if (!p->subject_any && !nid_in(nid, p->subject_allowed, p->num_subject_allowed)) {
            char oid[80];

            obj_name(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e));
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                          "subject attribute %s not allowed by profile '%s'", oid, p->name);
        }
    }
    for (k = 0; k < p->num_subject_required; k++) {
        if (X509_NAME_get_index_by_NID(c->subject, p->subject_required[k], -1) < 0) {
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                          "subject attribute %s required by profile '%s' is missing",
                          OBJ_nid2sn(p->subject_required[k]), p->name);
        }
    }
    return 1;
}

static unsigned
san_form(int type)
{
    switch (type) {
    case GEN_DNS:
        return CMP_CA_SAN_DNS;
    case GEN_IPADD:
        return CMP_CA_SAN_IP;
    case GEN_EMAIL:
        return CMP_CA_SAN_EMAIL;
    case GEN_URI:
        return CMP_CA_SAN_URI;
    default:
        return 0;
    }
}

static const char *
ku_name(unsigned bit)
{
    switch (bit) {
    case KU_DIGITAL_SIGNATURE:
        return "digitalSignature";
    case KU_NON_REPUDIATION:
        return "nonRepudiation";
    case KU_KEY_ENCIPHERMENT:
        return "keyEncipherment";
    case KU_DATA_ENCIPHERMENT:
        return "dataEncipherment";
    case KU_KEY_AGREEMENT:
        return "keyAgreement";
    case KU_KEY_CERT_SIGN:
        return "keyCertSign";
    case KU_CRL_SIGN:
        return "cRLSign";
    case KU_ENCIPHER_ONLY:
        return "encipherOnly";
    case KU_DECIPHER_ONLY:
        return "decipherOnly";
    default:
        return "(unknown)";
    }
}

static int
obj_in(const ASN1_OBJECT *o, ASN1_OBJECT *const *objs, size_t num)
{
    size_t i;

    for (i = 0; i < num; i++) {
        if (OBJ_cmp(o, objs[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
check_san(struct checked *c, X509_EXTENSION *ext, unsigned *forms, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    GENERAL_NAMES *gens = X509V3_EXT_d2i(ext);
    int i, n;

    if (gens == NULL) {
        ERR_clear_error();
        return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "subjectAltName does not parse");
    }
    n = sk_GENERAL_NAME_num(gens);
    if (n == 0 || n > MAX_SAN_ENTRIES) {
        GENERAL_NAMES_free(gens);
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "subjectAltName has %d names (1 to %d)", n,
                      MAX_SAN_ENTRIES);
    }
    for (i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        unsigned f = san_form(g->type);

        if ((f & p->san_allowed) == 0) {
            static const char *const type_names[] = {"otherName",   "email",   "DNS",
                                                     "x400Address", "dirName", "ediPartyName",
                                                     "URI",         "IP",      "registeredID"};

            int type = g->type;

            GENERAL_NAMES_free(gens);
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                          "subjectAltName form %s not allowed by profile '%s'",
                          type >= 0 && type <= GEN_RID ? type_names[type] : "(unknown)", p->name);
        }
        *forms |= f;
    }
    c->san = gens;
    return 1;
}

static int
check_ku(struct checked *c, X509_EXTENSION *ext, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    ASN1_BIT_STRING *bs = X509V3_EXT_d2i(ext);
    unsigned asked = 0, bit;
    int len;

    if (bs == NULL) {
        ERR_clear_error();
        return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "keyUsage does not parse");
    }
    len = ASN1_STRING_length(bs);
    /* bits 0..7 in the first byte, decipherOnly (8) in the second: OpenSSL's KU_* layout */
    if (len > 0) {
        asked = ASN1_STRING_get0_data(bs)[0];
    }
    if (len > 1) {
        asked |= (unsigned)ASN1_STRING_get0_data(bs)[1] << 8;
    }
    ASN1_BIT_STRING_free(bs);
    for (bit = 1; bit <= 0x8000; bit <<= 1) {
        if ((asked & bit) != 0 && ((p->ku_forced | p->ku_allowed) & bit) == 0) {
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "key usage %s not allowed by profile '%s'",
                          ku_name(bit), p->name);
        }
    }
    c->ku |= asked;
    return 1;
}

static int
check_eku(struct checked *c, X509_EXTENSION *ext, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    EXTENDED_KEY_USAGE *eku = X509V3_EXT_d2i(ext);
    int i;

    if (eku == NULL) {
        ERR_clear_error();
        return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "extendedKeyUsage does not parse");
    }
    for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
        ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);

        if (!obj_in(o, p->eku_forced, p->num_eku_forced) &&
            !obj_in(o, p->eku_allowed, p->num_eku_allowed)) {
            char name[80];

            obj_name(name, sizeof(name), o);
            sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                          "extended key usage %s not allowed by profile '%s'", name, p->name);
        }
        if (!obj_in(o, p->eku_forced, p->num_eku_forced) &&
            sk_ASN1_OBJECT_push(c->eku, OBJ_dup(o)) <= 0) {
            sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
            return CMP_FAIL(err, CMP_E_MEMORY, "extendedKeyUsage");
        }
    }
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    return 1;
}

static int
check_bc(const struct checked *c, X509_EXTENSION *ext, struct cmp_err *err)
{
    BASIC_CONSTRAINTS *bc = X509V3_EXT_d2i(ext);
    int asks_ca;

    if (bc == NULL) {
        ERR_clear_error();
        return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "basicConstraints does not parse");
    }
    asks_ca = bc->ca != 0;
    BASIC_CONSTRAINTS_free(bc);
    if (asks_ca && !c->prof->ca) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "basicConstraints CA:TRUE not allowed by profile '%s'", c->prof->name);
    }
    return 1; /* the profile's own basicConstraints are issued */
}

static int
check_extensions(struct checked *c, const struct cmp_ca_request *req, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    STACK_OF(X509_EXTENSION) *exts = NULL;
    unsigned forms = 0;
    size_t k;
    int i, j, ok = 1;

    c->ku = p->ku_forced;
    c->eku = sk_ASN1_OBJECT_new_null();
    if (c->eku == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "extendedKeyUsage");
    }
    for (k = 0; k < p->num_eku_forced; k++) {
        if (sk_ASN1_OBJECT_push(c->eku, OBJ_dup(p->eku_forced[k])) <= 0) {
            return CMP_FAIL(err, CMP_E_MEMORY, "extendedKeyUsage");
        }
    }
    if (req->exts.len > 0) {
        const unsigned char *q = req->exts.p;

        if (req->exts.len > MAX_EXTS_LEN) {
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "extensions of %zu bytes are too large",
                          req->exts.len);
        }
        exts = d2i_X509_EXTENSIONS(NULL, &q, (long)req->exts.len);
        if (exts == NULL || q != req->exts.p + req->exts.len) {
            sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
            ERR_clear_error();
            return REFUSE(err, CMP_FI_BAD_DATA_FORMAT, "the requested extensions do not parse");
        }
    }
    if (sk_X509_EXTENSION_num(exts) > MAX_EXTS) {
        sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "more than %d extensions requested", MAX_EXTS);
    }
    for (i = 0; ok && i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
        const ASN1_OBJECT *o = X509_EXTENSION_get_object(ext);
        int nid = OBJ_obj2nid(o);

        /* RFC 5280 4.2: an extension appears at most once. */
        for (j = 0; j < i; j++) {
            if (OBJ_cmp(o, X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0) {
                char name[80];

                obj_name(name, sizeof(name), o);
                ok = REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "extension %s requested twice", name);
                break;
            }
        }
        if (!ok) {
            break;
        }
        switch (nid) {
        case NID_subject_alt_name:
            ok = check_san(c, ext, &forms, err);
            break;
        case NID_key_usage:
            ok = check_ku(c, ext, err);
            break;
        case NID_ext_key_usage:
            ok = check_eku(c, ext, err);
            break;
        case NID_basic_constraints:
            ok = check_bc(c, ext, err);
            break;
        case NID_subject_key_identifier:
        case NID_authority_key_identifier:
            break; /* the CA computes both */
        default:
            if (p->unknown_ext == CMP_CA_EXT_REFUSE) {
                char name[80];

                obj_name(name, sizeof(name), o);
                ok = REFUSE(err, CMP_FI_UNACCEPTED_EXTENSION,
                            "extension %s not allowed by profile '%s'", name, p->name);
            }
            break;
        }
    }
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    if (!ok) {
        return 0;
    }
    if ((p->san_required & ~forms) != 0) {
        for (k = 0; k < sizeof(unsigned) * 8; k++) {
            unsigned f = 1u << k;

            if ((p->san_required & ~forms & f) != 0) {
                return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                              "subjectAltName %s required by profile '%s' is missing",
                              f == CMP_CA_SAN_DNS     ? "DNS"
                              : f == CMP_CA_SAN_IP    ? "IP"
                              : f == CMP_CA_SAN_EMAIL ? "email"
                                                      : "URI",
                              p->name);
            }
        }
    }
    if (X509_NAME_entry_count(c->subject) == 0 && c->san == NULL) {
        /* RFC 5280 4.1.2.6: an empty subject needs a subjectAltName. */
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "an empty subject needs a subjectAltName (RFC 5280 4.1.2.6)");
    }
    return 1;
}

static int
check_validity(struct checked *c, const struct cmp_ca *ca, const struct cmp_ca_request *req,
               int64_t now, struct cmp_err *err)
{
    const struct cmp_ca_profile *p = c->prof;
    int64_t nb = req->not_before != 0 ? req->not_before : now, na, ca_end;
    ASN1_TIME *at_now;
    int day, sec;

    /* A certificate does not start before it is issued. */
    if (nb < now) {
        nb = now;
    }
    if (nb - now > MAX_FUTURE_START) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "notBefore more than a year ahead is not allowed");
    }
    na = req->not_after != 0 ? req->not_after : nb + p->days * 86400;
    if (na <= nb) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE, "notAfter is not after notBefore");
    }
    if (na - nb > p->max_days * 86400) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "validity of %lld days exceeds the maximum of %lld days of profile '%s'",
                      (long long)((na - nb + 86399) / 86400), (long long)p->max_days, p->name);
    }
    /* Never beyond the CA's own certificate. */
    at_now = ASN1_TIME_set(NULL, (time_t)now);
    if (at_now != NULL && ASN1_TIME_diff(&day, &sec, at_now, X509_get0_notAfter(ca->cert)) == 1) {
        ca_end = now + (int64_t)day * 86400 + sec;
        if (na > ca_end) {
            na = ca_end;
        }
        if (na <= nb) {
            ASN1_TIME_free(at_now);
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                          "the CA certificate expires before the requested notBefore");
        }
    }
    ASN1_TIME_free(at_now);
    c->not_before = nb;
    c->not_after = na;
    return 1;
}

static int
check(struct cmp_ca *ca, const struct cmp_ca_request *req, int64_t now, struct checked *c,
      struct cmp_err *err)
{
    memset(c, 0, sizeof(*c));
    c->prof = cmp_ca_get0_profile(ca, req->profile);
    if (c->prof == NULL) {
        char names[256] = "";
        size_t i, n = 0;

        for (i = 0; i < ca->num_profiles && n < sizeof(names); i++) {
            int w = snprintf(names + n, sizeof(names) - n, "%s%s", i > 0 ? ", " : "",
                             ca->profiles[i]->name);
            n += w > 0 ? (size_t)w : 0;
        }
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "certProfile '%.64s' is not offered (profiles: %s)", req->profile, names);
    }
    if (req->forbidden_field != NULL) {
        return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "CertTemplate %s must be omitted: the CA assigns it (RFC 4211 5)",
                      req->forbidden_field);
    }
    if (req->issuer.len > 0) {
        const unsigned char *q = req->issuer.p;
        X509_NAME *iss =
            req->issuer.len > MAX_NAME_LEN ? NULL : d2i_X509_NAME(NULL, &q, (long)req->issuer.len);
        int same = iss != NULL && X509_NAME_cmp(iss, X509_get_subject_name(ca->cert)) == 0;

        X509_NAME_free(iss);
        ERR_clear_error();
        if (!same) {
            return REFUSE(err, CMP_FI_BAD_CERT_TEMPLATE,
                          "the template's issuer is not this CA's subject");
        }
    }
    if (!check_key(c, req, err) || !check_subject(c, req, err) || !check_extensions(c, req, err) ||
        !check_validity(c, ca, req, now, err)) {
        checked_cleanup(c);
        return 0;
    }
    return 1;
}

int
cmp_ca_check_request(struct cmp_ca *ca, const struct cmp_ca_request *req, int64_t now,
                     struct cmp_err *err)
{
    struct checked c;

    if (!check(ca, req, now, &c, err)) {
        return 0;
    }
    checked_cleanup(&c);
    return 1;
}

/* ---- building the certificate ---- */

static int
default_serial(void *arg, uint8_t *out)
{
    return RAND_bytes(out, CMP_CA_SERIAL_MAX) == 1;
}

/*
 * new_serial(): 20 random bytes, positive (top bit clear) and with a
 * non-zero first byte, so that the DER INTEGER always has 20 octets
 * (RFC 5280 4.1.2.2: positive, at most 20 octets; CA/B Forum: 64 bits of
 * randomness at least; these carry 159 minus a fraction).
 */
static int
new_serial(struct cmp_ca *ca, uint8_t *out, struct cmp_err *err)
{
    int tries;

    for (tries = 0; tries < 64; tries++) {
        int ok =
            ca->serial_fn != NULL ? ca->serial_fn(ca->serial_arg, out) : default_serial(NULL, out);

        if (!ok) {
            return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_FAILURE, "no random serial number");
        }
        out[0] &= 0x7F;
        if (out[0] != 0) {
            return 1;
        }
    }
    return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_FAILURE, "the serial source gives only zeros");
}

/* KU_* bits as a keyUsage BIT STRING (bit n of the ASN.1 is 0x80 >> n, bit 8 is 0x8000). */
ASN1_BIT_STRING *
cmp_ca_ku_bits(unsigned ku)
{
    ASN1_BIT_STRING *bs = ASN1_BIT_STRING_new();
    int n;

    if (bs == NULL) {
        return NULL;
    }
    for (n = 0; n < 9; n++) {
        unsigned mask = n < 8 ? 0x80u >> n : 0x8000u;

        if ((ku & mask) != 0 && !ASN1_BIT_STRING_set_bit(bs, n, 1)) {
            ASN1_BIT_STRING_free(bs);
            return NULL;
        }
    }
    return bs;
}

static int
add_extensions(X509 *x, const struct cmp_ca *ca, const struct checked *c)
{
    BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
    ASN1_BIT_STRING *ku = NULL;
    X509_EXTENSION *ext;
    X509V3_CTX ctx;
    int ok = bc != NULL;

    /* RFC 5280 4.2.1.9: basicConstraints critical; CA:FALSE unless the profile says. */
    if (ok) {
        bc->ca = c->prof->ca ? 0xFF : 0;
        if (c->prof->ca && c->prof->path_len >= 0) {
            bc->pathlen = ASN1_INTEGER_new();
            ok = bc->pathlen != NULL && ASN1_INTEGER_set(bc->pathlen, c->prof->path_len) == 1;
        }
        ok = ok && X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) == 1;
    }
    BASIC_CONSTRAINTS_free(bc);
    if (ok && c->ku != 0) {
        ku = cmp_ca_ku_bits(c->ku);
        ok = ku != NULL && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;
        ASN1_BIT_STRING_free(ku);
    }
    if (ok && sk_ASN1_OBJECT_num(c->eku) > 0) {
        ok = X509_add1_ext_i2d(x, NID_ext_key_usage, c->eku, 0, X509V3_ADD_DEFAULT) == 1;
    }
    if (ok && c->san != NULL) {
        /* RFC 5280 4.2.1.6: critical when the subject is empty */
        ok = X509_add1_ext_i2d(x, NID_subject_alt_name, c->san,
                               X509_NAME_entry_count(c->subject) == 0, X509V3_ADD_DEFAULT) == 1;
    }
    if (!ok) {
        return 0;
    }
    /* subjectKeyIdentifier (RFC 5280 4.2.1.2 method 1) and the CA's keyIdentifier */
    X509V3_set_ctx(&ctx, ca->cert, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
    ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    if (ok) {
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
        ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
        X509_EXTENSION_free(ext);
    }
    if (ok && ca->crl_dp != NULL) {
        /* RFC 5280 4.2.1.13: where this CA's CRL is (-ca_crl_url) */
        ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_crl_distribution_points, ca->crl_dp);
        ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
        X509_EXTENSION_free(ext);
    }
    return ok;
}

/*
 * set_spki() puts the request's SubjectPublicKeyInfo into |x| as it came
 * (algorithm and key bits). X509_set_pubkey() would encode the key and
 * decode the result again, which with OpenSSL 3.0's encoders and decoders
 * cost about half of an issuance's CPU time (bench/ca_floor, "without the
 * store"). |x|'s key stays undecoded: cmp_ca_issued_cert() parses the
 * final DER when a caller wants an X509.
 */
static int
set_spki(X509 *x, const struct checked *c)
{
    const unsigned char *q = c->spki_alg.p;
    X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &q, (long)c->spki_alg.len);
    const ASN1_OBJECT *aobj;
    const void *pval;
    ASN1_OBJECT *obj = NULL;
    void *param = NULL;
    unsigned char *bits = NULL;
    int ptype = V_ASN1_UNDEF, ok;

    if (alg != NULL) {
        X509_ALGOR_get0(&aobj, &ptype, &pval, alg);
        obj = OBJ_dup(aobj);
        /* the parameters are NULL, absent, a curve OID, or a structure (an ASN1_STRING) */
        if (ptype == V_ASN1_OBJECT) {
            param = OBJ_dup(pval);
        } else if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) {
            param = ASN1_STRING_dup(pval);
        }
        bits = OPENSSL_memdup(c->spki_bits.p, c->spki_bits.len);
    }
    ok = alg != NULL && obj != NULL && bits != NULL &&
         (param != NULL || ptype == V_ASN1_NULL || ptype == V_ASN1_UNDEF) &&
         X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), obj, ptype, param, bits,
                                (int)c->spki_bits.len) == 1;
    if (!ok) {
        ASN1_OBJECT_free(obj);
        if (ptype == V_ASN1_OBJECT) {
            ASN1_OBJECT_free(param);
        } else {
            ASN1_STRING_free(param);
        }
        OPENSSL_free(bits);
    }
    X509_ALGOR_free(alg);
    return ok;
}

static X509 *
build_cert(const struct cmp_ca *ca, const struct checked *c, const uint8_t *serial,
           struct cmp_err *err)
{
    X509 *x = X509_new();
    ASN1_INTEGER *sn = ASN1_INTEGER_new();
    int ok = x != NULL && sn != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
             ASN1_STRING_set(sn, serial, CMP_CA_SERIAL_MAX) == 1 &&
             X509_set_serialNumber(x, sn) == 1 &&
             X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) == 1 &&
             X509_set_subject_name(x, c->subject) == 1 &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)c->not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)c->not_after) != NULL && set_spki(x, c) &&
             add_extensions(x, ca, c) && X509_sign(x, ca->key, cmp_ca_sign_md(ca, c->prof)) > 0;

    ASN1_INTEGER_free(sn);
    if (!ok) {
        X509_free(x);
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "building the certificate");
        return NULL;
    }
    return x;
}

void
cmp_ca_issued_cleanup(struct cmp_ca_issued *out)
{
    X509_free(out->cert);
    OPENSSL_free(out->der);
    memset(out, 0, sizeof(*out));
}

X509 *
cmp_ca_issued_cert(struct cmp_ca_issued *out)
{
    if (out->cert == NULL && out->der != NULL) {
        const unsigned char *p = out->der;

        out->cert = d2i_X509(NULL, &p, (long)out->der_len);
    }
    return out->cert;
}

/* record() inserts |der| as issued for |req|; *out_outcome as the store's insert_cert. */
static int
record(struct cmp_ca *ca, const struct cmp_ca_request *req, const struct checked *c,
       const uint8_t *der, size_t der_len, const uint8_t *serial, int status, int64_t deadline,
       int64_t now, int *out_outcome, struct cmp_err *err)
{
    struct cmp_ca_cert_rec r;
    struct cmp_ca_secret_use use;
    unsigned char *subj = NULL, *iss = NULL;
    int subj_len, iss_len, ok;
    char subject[CMP_CA_TEXT_MAX];
    unsigned int md_len;

    memset(&r, 0, sizeof(r));
    subj_len = i2d_X509_NAME(c->subject, &subj);
    iss_len = i2d_X509_NAME(X509_get_subject_name(ca->cert), &iss);
    /* the certificate carries the request's SubjectPublicKeyInfo as it came (set_spki()) */
    ok = subj_len > 0 && iss_len > 0 &&
         EVP_Digest(der, der_len, r.cert_hash, &md_len, EVP_sha256(), NULL) == 1 &&
         EVP_Digest(req->spki.p, req->spki.len, r.key_hash, &md_len, EVP_sha256(), NULL) == 1;
    if (!ok) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "encoding the certificate's record");
        goto done;
    }
    memcpy(r.serial, serial, CMP_CA_SERIAL_MAX);
    r.serial_len = CMP_CA_SERIAL_MAX;
    r.subject_der = subj;
    r.subject_der_len = (size_t)subj_len;
    r.subject = cmp_ca_name_text(subject, sizeof(subject), c->subject);
    r.issuer_der = iss;
    r.issuer_der_len = (size_t)iss_len;
    r.cert_der = der;
    r.cert_der_len = der_len;
    r.status = status;
    r.not_before = c->not_before;
    r.not_after = c->not_after;
    r.profile = c->prof->name;
    r.requester = req->requester != NULL ? req->requester : "";
    r.tid_len = req->tid.len < CMP_CA_TID_MAX ? req->tid.len : CMP_CA_TID_MAX;
    if (r.tid_len > 0) {
        memcpy(r.tid, req->tid.p, r.tid_len);
    }
    if (req->old_serial.len > 0 && req->old_serial.len <= CMP_CA_SERIAL_MAX) {
        memcpy(r.old_serial, req->old_serial.p, req->old_serial.len);
        r.old_serial_len = req->old_serial.len;
    }
    r.confirm_deadline = deadline;
    r.rev_reason = CMP_CA_NO_REASON;
    r.created = now;
    use.ref = req->secret_ref.p;
    use.ref_len = req->secret_ref.len;
    use.now = now;
    ok = ca->store->ops->insert_cert(ca->store, &r, req->secret_ref.len > 0 ? &use : NULL,
                                     out_outcome, err);
    if (!ok) {
        err->failure_bit = CMP_FI_SYSTEM_FAILURE;
        CMP_CONTEXT(err, "recording the certificate");
    }
done:
    OPENSSL_free(subj);
    OPENSSL_free(iss);
    return ok;
}

int
cmp_ca_issue(struct cmp_ca *ca, const struct cmp_ca_request *req, int64_t now,
             struct cmp_ca_issued *out, struct cmp_err *err)
{
    struct checked c;
    uint8_t serial[CMP_CA_SERIAL_MAX];
    int tries, outcome = CMP_CA_CONFLICT, status, der_len = 0;
    int64_t deadline = 0;
    unsigned char *der = NULL;

    memset(out, 0, sizeof(*out));
    if (!check(ca, req, now, &c, err)) {
        return 0;
    }
    if (req->implicit_confirm && c.prof->implicit_confirm) {
        status = CMP_CA_ST_CONFIRMED;
    } else {
        status = CMP_CA_ST_WAITING;
        deadline = now + c.prof->confirm_timeout;
    }
    /* A taken serial is a 2^-159 event, or a broken random source: retry a few times. */
    for (tries = 0; tries < SERIAL_TRIES && outcome == CMP_CA_CONFLICT; tries++) {
        X509 *x = NULL;

        OPENSSL_free(der);
        der = NULL;
        if (new_serial(ca, serial, err) && (x = build_cert(ca, &c, serial, err)) != NULL &&
            (der_len = i2d_X509(x, &der)) <= 0) {
            CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "encoding the certificate");
        }
        X509_free(x);
        if (der == NULL || !record(ca, req, &c, der, (size_t)der_len, serial, status, deadline, now,
                                   &outcome, err)) {
            OPENSSL_free(der);
            checked_cleanup(&c);
            return 0;
        }
    }
    if (outcome != CMP_CA_DONE) {
        OPENSSL_free(der);
        checked_cleanup(&c);
        if (outcome == CMP_CA_SECRET_UNUSABLE) {
            return CMP_FAIL_INFO(err, CMP_FI_NOT_AUTHORIZED,
                                 "the enrollment secret expired or was used up");
        }
        return CMP_FAIL_INFO(err, CMP_FI_SYSTEM_FAILURE, "no unused serial number after %d tries",
                             SERIAL_TRIES);
    }
    out->der = der;
    out->der_len = (size_t)der_len;
    memcpy(out->serial, serial, CMP_CA_SERIAL_MAX);
    out->serial_len = CMP_CA_SERIAL_MAX;
    out->status = status;
    out->implicit_confirm = status == CMP_CA_ST_CONFIRMED;
    out->confirm_deadline = deadline;
    out->profile = c.prof;
    checked_cleanup(&c);
    return 1;
}

/* ---- confirmation, timeouts, revocation ---- */

int
cmp_ca_confirm(struct cmp_ca *ca, const uint8_t *serial, size_t serial_len, int accepted,
               int64_t now, int *out_outcome, int *out_prev, struct cmp_err *err)
{
    struct cmp_ca_status_change chg;
    struct cmp_ca_cert_filter f;
    struct cmp_ca_cert_rec *rec = NULL;
    int ok;

    memset(&chg, 0, sizeof(chg));
    memset(&f, 0, sizeof(f));
    f.serial = serial;
    f.serial_len = serial_len;
    if (!cmp_ca_store_get_cert(ca->store, &f, &rec, err)) {
        return CMP_CONTEXT(err, "confirming a certificate");
    }
    chg.serial = serial;
    chg.serial_len = serial_len;
    chg.from_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
    chg.when = now;
    if (accepted) {
        const struct cmp_ca_profile *p = rec != NULL ? find_profile(ca, rec->profile) : NULL;

        chg.to_status = CMP_CA_ST_CONFIRMED;
        chg.rev_reason = CMP_CA_NO_REASON;
        /* kur: the old certificate is superseded once the new one is accepted */
        if (rec != NULL && rec->old_serial_len > 0 &&
            (p == NULL || p->kur_old == CMP_CA_KUR_SUPERSEDE)) {
            chg.old_serial = rec->old_serial;
            chg.old_serial_len = rec->old_serial_len;
            chg.old_to_status = CMP_CA_ST_SUPERSEDED;
            chg.old_reason = 4; /* superseded */
        }
    } else {
        chg.to_status = CMP_CA_ST_REJECTED;
        chg.rev_reason = 0; /* unspecified: no reasonCode on the CRL (RFC 5280 5.3.1) */
    }
    ok = ca->store->ops->change_status(ca->store, &chg, out_outcome, out_prev, err);
    cmp_ca_cert_rec_free(rec);
    return ok;
}

struct serial_list {
    uint8_t (*serials)[CMP_CA_SERIAL_MAX];
    size_t *lens;
    size_t num, cap;
};

static int
collect_serial(void *arg, const struct cmp_ca_cert_rec *rec)
{
    struct serial_list *l = arg;

    if (l->num == l->cap) {
        return 0;
    }
    memcpy(l->serials[l->num], rec->serial, rec->serial_len);
    l->lens[l->num++] = rec->serial_len;
    return 1;
}

int
cmp_ca_expire_waiting(struct cmp_ca *ca, int64_t now, cmp_ca_each_serial_fn *each, void *arg,
                      size_t *out_count, struct cmp_err *err)
{
    enum { BATCH = 256 };
    uint8_t serials[BATCH][CMP_CA_SERIAL_MAX];
    size_t lens[BATCH], i;
    struct serial_list l = {serials, lens, 0, BATCH};
    struct cmp_ca_cert_filter f;

    *out_count = 0;
    memset(&f, 0, sizeof(f));
    f.status_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
    f.deadline_before = now;
    f.limit = BATCH;
    do {
        l.num = 0;
        if (!ca->store->ops->each_cert(ca->store, &f, collect_serial, &l, err)) {
            return CMP_CONTEXT(err, "finding certificates past their confirmation time");
        }
        for (i = 0; i < l.num; i++) {
            struct cmp_ca_status_change chg;
            int outcome, prev;

            memset(&chg, 0, sizeof(chg));
            chg.serial = serials[i];
            chg.serial_len = lens[i];
            chg.from_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING);
            chg.to_status = CMP_CA_ST_REJECTED;
            chg.rev_reason = 0;
            chg.when = now;
            if (!ca->store->ops->change_status(ca->store, &chg, &outcome, &prev, err)) {
                return CMP_CONTEXT(err, "rejecting an unconfirmed certificate");
            }
            /* WRONG_STATE: confirmed meanwhile by another thread, which is fine */
            if (outcome == CMP_CA_DONE) {
                ++*out_count;
                if (each != NULL) {
                    each(arg, serials[i], lens[i]);
                }
            }
        }
    } while (l.num == BATCH);
    return 1;
}

int
cmp_ca_revoke(struct cmp_ca *ca, const uint8_t *serial, size_t serial_len, int reason, int64_t now,
              int *out_outcome, int *out_prev, struct cmp_err *err)
{
    struct cmp_ca_status_change chg;

    if (cmp_ca_reason_name(reason) == NULL || reason == 6 || reason == 8) {
        return CMP_FAIL(err, CMP_E_ARG, "revocation reason %d is not supported", reason);
    }
    memset(&chg, 0, sizeof(chg));
    chg.serial = serial;
    chg.serial_len = serial_len;
    chg.from_mask = CMP_CA_ST_BIT(CMP_CA_ST_WAITING) | CMP_CA_ST_BIT(CMP_CA_ST_CONFIRMED);
    chg.to_status = CMP_CA_ST_REVOKED;
    chg.rev_reason = reason;
    chg.when = now;
    return ca->store->ops->change_status(ca->store, &chg, out_outcome, out_prev, err);
}
