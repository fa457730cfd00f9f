/*
 * lib/ca/profile.c: profiles read from config sections. Good sections
 * with the values they give, bad ones with the key each error must name,
 * and the built-in default; a profile's generated keys (central_keygen)
 * and its certReqTemplate (support.c).
 */
#include <openssl/conf.h>
#include <openssl/objects.h>

#include "ca_test_util.h"
#include "msg/msg.h"
#include "verify/verify.h"

/* Whether |needle| occurs in |p|. */
static int
has_bytes(const uint8_t *p, size_t len, const uint8_t *needle, size_t n)
{
    size_t i;

    for (i = 0; i + n <= len; i++) {
        if (memcmp(p + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static CONF *
load_conf(const char *text)
{
    CONF *conf = NCONF_new(NULL);
    BIO *b = BIO_new_mem_buf(text, -1);
    long line = 0;

    if (conf == NULL || b == NULL || NCONF_load_bio(conf, b, &line) != 1) {
        fprintf(stderr, "config does not load (line %ld)\n", line);
        NCONF_free(conf);
        conf = NULL;
    }
    BIO_free(b);
    return conf;
}

/* clang-format off */
static const char good_conf[] =
    "[device]\n"
    "key_types = EC:P-256, EC:secp384r1 RSA:2048-3072 Ed25519\n"
    "subject_required = CN\n"
    "subject_allowed = CN, O, serialNumber\n"
    "san_allowed = DNS, IP\n"
    "san_required = DNS\n"
    "key_usage = digitalSignature\n"
    "key_usage_allowed = keyAgreement\n"
    "extended_key_usage = clientAuth\n"
    "extended_key_usage_allowed = serverAuth, 1.3.6.1.5.5.7.3.17\n"
    "days = 90\n"
    "max_days = 180\n"
    "implicit_confirm = yes\n"
    "confirm_timeout = 60\n"
    "kur_old = keep\n"
    "unknown_extensions = drop\n"
    "digest = SHA384\n"
    "central_keygen = EC:P-384\n"
    "[subca]\n"
    "name = sub-ca\n"
    "basic_constraints = CA:TRUE, pathlen:0\n"
    "key_usage = keyCertSign, cRLSign\n"
    "extended_key_usage = none\n"
    "[empty]\n"
    "# a profile of defaults\n"
    "[s1]\nkey_types = DSA\n"
    "[s2]\nkey_types = RSA:512\n"
    "[s3]\nkey_types = RSA:4096-2048\n"
    "[s4]\nkey_types = EC:brainpoolP256r1\n"
    "[s5]\nsubject_allowed = CN, notAnAttribute\n"
    "[s6]\nsan_allowed = DNS, X400\n"
    "[s7]\nkey_usage = digitalSignature, signEverything\n"
    "[s8]\nextended_key_usage = clientAuth, no.such.purpose\n"
    "[s9]\ndays = 0\n"
    "[s10]\ndays = 12x\n"
    "[s11]\nmax_days = 99999999\n"
    "[s12]\nbasic_constraints = CA:MAYBE\n"
    "[s13]\nimplicit_confirm = perhaps\n"
    "[s14]\nkur_old = delete\n"
    "[s15]\nunknown_extensions = ignore\n"
    "[s16]\ndigest = MD99\n"
    "[s17]\ndayz = 30\n"
    "[s18]\ndays = 400\nmax_days = 300\n"
    "[s19]\nkey_usage = keyCertSign\n"
    "[s20]\nsan_allowed = DNS\nsan_required = IP\n"
    "[s21]\nbasic_constraints = pathlen:1\n"
    "[s22]\nkey_types = \n"
    "[s23]\nsubject_empty = yes\nsan_allowed = none\n"
    "[s24]\nconfirm_timeout = -5\n"
    "[s25]\ncentral_keygen = DSA:2048\n"
    "[s26]\ncentral_keygen = RSA:1024\n"
    "[s27]\nkey_types = EC:P-256\ncentral_keygen = RSA:2048\n"
    "[s28]\ncentral_keygen = EC:brainpoolP256r1\n"
    "[rsagen]\ncentral_keygen = RSA:2048\n";
/* clang-format on */

/* cmp_ca_profile_keygen() makes a key of the profile's type and size. */
static void
test_keygen(const struct cmp_ca_profile *p, const char *type, int bits)
{
    struct cmp_err err;
    EVP_PKEY *k;

    cmp_err_init(&err);
    k = cmp_ca_profile_keygen(p, &err);
    CHECK(k != NULL && EVP_PKEY_is_a(k, type) && EVP_PKEY_get_bits(k) == bits);
    EVP_PKEY_free(k);
}

/*
 * cmp_ca_support_template(): a CertReqTemplateContent that decodes and
 * passes the client's checks, with the required CN (empty), the forced
 * keyUsage and extendedKeyUsage, an empty subjectAltName, and a keySpec of
 * each allowed key type (2 curves, Ed25519 by algId; RSA by rsaKeyLen 2048).
 */
static void
test_template(const struct cmp_ca_profile *p)
{
    static const uint8_t cn_empty[] = {0x06, 0x03, 0x55, 0x04, 0x03, 0x0C, 0x00};
    static const uint8_t client_auth[] = {0x06, 0x08, 0x2B, 0x06, 0x01,
                                          0x05, 0x05, 0x07, 0x03, 0x02};
    static const uint8_t san_empty[] = {0x06, 0x03, 0x55, 0x1D, 0x11, 0x04, 0x02, 0x30, 0x00};
    struct cmp_cert_req_template t;
    struct cmp_err err;
    uint8_t *der = NULL;
    size_t len = 0, i, algids = 0, rsa = 0;
    struct der_in in;
    int64_t bits = 0;

    cmp_err_init(&err);
    memset(&t, 0, sizeof(t));
    if (!CHECK(cmp_ca_support_template(p, &der, &len, &err))) {
        fprintf(stderr, "  template: %s\n", err.msg);
        return;
    }
    in = der_in_make(der, len);
    CHECK(cmp_cert_req_template_decode(&in, &t, &err) && in.len == 0);
    CHECK(cmp_vfy_cert_req_template(&t, &err));
    CHECK(t.tmpl.has_subject &&
          has_bytes(t.tmpl.subject.p, t.tmpl.subject.len, cn_empty, sizeof(cn_empty)));
    CHECK(!t.tmpl.has_public_key && t.tmpl.has_extensions);
    CHECK(has_bytes(t.tmpl.extensions.p, t.tmpl.extensions.len, client_auth, sizeof(client_auth)));
    CHECK(has_bytes(t.tmpl.extensions.p, t.tmpl.extensions.len, san_empty, sizeof(san_empty)));
    for (i = 0; t.has_key_spec && i < t.key_spec.num; i++) {
        struct der_in v = t.key_spec.items[i].value;

        if (cmp_oid_is(&t.key_spec.items[i].type, CMP_NID_REG_CTRL_ALG_ID)) {
            algids++;
        } else if (cmp_oid_is(&t.key_spec.items[i].type, CMP_NID_REG_CTRL_RSA_KEY_LEN) &&
                   der_get_int64(&v, &bits)) {
            rsa++;
        }
    }
    CHECK(algids == 3 && rsa == 1 && bits == 2048);
    cmp_cert_req_template_cleanup(&t);
    free(der);
}

static void
test_good(CONF *conf)
{
    struct cmp_err err;
    struct cmp_ca_profile *p;
    char keys[256];

    cmp_err_init(&err);
    p = cmp_ca_profile_from_conf(conf, "device", 0, &err);
    CHECK(p != NULL);
    if (p == NULL) {
        fprintf(stderr, "device: %s\n", err.msg);
        return;
    }
    CHECK(strcmp(p->name, "device") == 0);
    CHECK(p->rsa && p->rsa_min_bits == 2048 && p->rsa_max_bits == 3072);
    CHECK(p->num_curves == 2 && p->curves[0] == NID_X9_62_prime256v1 &&
          p->curves[1] == NID_secp384r1);
    CHECK(p->ed25519 && !p->ed448);
    CHECK(strcmp(cmp_ca_profile_describe_keys(p, keys, sizeof(keys)),
                 "EC P-256, EC P-384, RSA 2048..3072, Ed25519") == 0);
    CHECK(p->num_subject_required == 1 && p->subject_required[0] == NID_commonName);
    CHECK(!p->subject_any && p->num_subject_allowed == 3);
    CHECK(p->san_allowed == (CMP_CA_SAN_DNS | CMP_CA_SAN_IP) && p->san_required == CMP_CA_SAN_DNS);
    CHECK(p->ku_forced == KU_DIGITAL_SIGNATURE && p->ku_allowed == KU_KEY_AGREEMENT);
    CHECK(p->num_eku_forced == 1 && OBJ_obj2nid(p->eku_forced[0]) == NID_client_auth);
    CHECK(p->num_eku_allowed == 2 && OBJ_obj2nid(p->eku_allowed[0]) == NID_server_auth);
    CHECK(p->days == 90 && p->max_days == 180);
    CHECK(p->implicit_confirm && p->confirm_timeout == 60);
    CHECK(p->kur_old == CMP_CA_KUR_KEEP && p->unknown_ext == CMP_CA_EXT_DROP);
    CHECK(strcmp(p->digest, "SHA384") == 0);
    CHECK(!p->ca && p->path_len == -1);
    CHECK(p->keygen == CMP_CA_KEYGEN_EC && p->keygen_curve == NID_secp384r1);
    test_keygen(p, "EC", 384);
    test_template(p);
    cmp_ca_profile_free(p);

    p = cmp_ca_profile_from_conf(conf, "subca", 30, &err);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK(strcmp(p->name, "sub-ca") == 0);
        CHECK(p->ca && p->path_len == 0);
        CHECK(p->ku_forced == (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
        CHECK(p->num_eku_forced == 0);
        CHECK(p->days == 30 && p->max_days == 30); /* -days, and max_days follows days */
    }
    cmp_ca_profile_free(p);

    /* an empty section is the built-in default under its own name, without implicit confirm */
    p = cmp_ca_profile_from_conf(conf, "empty", 0, &err);
    CHECK(p != NULL);
    if (p != NULL) {
        CHECK(strcmp(p->name, "empty") == 0 && p->days == 365 && !p->implicit_confirm);
        CHECK(p->ku_forced == KU_DIGITAL_SIGNATURE && !p->ca);
        /* no central key generation unless configured */
        CHECK(p->keygen == CMP_CA_KEYGEN_NONE);
        CHECK(cmp_ca_profile_keygen(p, &err) == NULL &&
              err.failure_bit == CMP_FI_BAD_CERT_TEMPLATE);
    }
    cmp_ca_profile_free(p);

    p = cmp_ca_profile_from_conf(conf, "rsagen", 0, &err);
    CHECK(p != NULL && p->keygen == CMP_CA_KEYGEN_RSA && p->keygen_bits == 2048);
    if (p != NULL) {
        test_keygen(p, "RSA", 2048);
    }
    cmp_ca_profile_free(p);
}

static void
test_bad(CONF *conf)
{
    /* each bad section, and what the error must name */
    static const struct {
        const char *section;
        const char *key;  /* the key named in the message */
        const char *what; /* and another part of it */
    } cases[] = {
        {"s1", "key_types", "'DSA'"},
        {"s2", "key_types", "'512'"},
        {"s3", "key_types", "'2048'"},
        {"s4", "key_types", "brainpoolP256r1"},
        {"s5", "subject_allowed", "notAnAttribute"},
        {"s6", "san_allowed", "X400"},
        {"s7", "key_usage", "signEverything"},
        {"s8", "extended_key_usage", "no.such.purpose"},
        {"s9", "days", "'0'"},
        {"s10", "days", "'12x'"},
        {"s11", "max_days", "99999999"},
        {"s12", "basic_constraints", "CA:MAYBE"},
        {"s13", "implicit_confirm", "perhaps"},
        {"s14", "kur_old", "delete"},
        {"s15", "unknown_extensions", "ignore"},
        {"s16", "digest", "MD99"},
        {"s17", "dayz", "unknown key"},
        {"s18", "max_days", "days (400)"},
        {"s19", "keyCertSign", "CA:TRUE"},
        {"s20", "san_required", "san_allowed"},
        {"s21", "pathlen", "CA:TRUE"},
        {"s22", "key_types", "no key type"},
        {"s23", "subject_empty", "san_allowed"},
        {"s24", "confirm_timeout", "'-5'"},
        {"s25", "central_keygen", "DSA:2048"},
        {"s26", "central_keygen", "'1024'"},
        {"s27", "central_keygen", "key_types"},
        {"s28", "central_keygen", "brainpoolP256r1"},
        {"missing", "[missing]", "not in the configuration"},
    };
    size_t i;

    for (i = 0; i < CT_ARRAY_LEN(cases); i++) {
        struct cmp_err err;
        struct cmp_ca_profile *p;

        cmp_err_init(&err);
        p = cmp_ca_profile_from_conf(conf, cases[i].section, 0, &err);
        CHECK_CASE(cases[i].section, p == NULL);
        CHECK_CASE(cases[i].section,
                   strstr(err.msg, cases[i].key) != NULL && strstr(err.msg, cases[i].what) != NULL);
        if (p == NULL &&
            (strstr(err.msg, cases[i].key) == NULL || strstr(err.msg, cases[i].what) == NULL)) {
            fprintf(stderr, "  [%s] said: %s\n", cases[i].section, err.msg);
        }
        if (strcmp(cases[i].section, "missing") != 0) {
            char sect[16];

            snprintf(sect, sizeof(sect), "[%s]", cases[i].section);
            CHECK_CASE(cases[i].section, strstr(err.msg, sect) != NULL);
        }
        cmp_ca_profile_free(p);
    }
}

static void
test_default(void)
{
    struct cmp_err err;
    struct cmp_ca_profile *p;
    char keys[256];

    cmp_err_init(&err);
    p = cmp_ca_profile_default(0, &err);
    CHECK(p != NULL);
    if (p == NULL) {
        return;
    }
    CHECK(strcmp(p->name, "default") == 0 && p->days == 365 && p->max_days == 365);
    CHECK(p->ku_forced == KU_DIGITAL_SIGNATURE && p->ku_allowed == 0);
    CHECK(p->num_eku_forced == 1 && OBJ_obj2nid(p->eku_forced[0]) == NID_client_auth);
    CHECK(!p->ca && p->subject_any && !p->subject_empty);
    CHECK(strcmp(cmp_ca_profile_describe_keys(p, keys, sizeof(keys)),
                 "EC P-256, EC P-384, EC P-521, RSA 2048..4096, Ed25519, Ed448") == 0);
    cmp_ca_profile_free(p);
    p = cmp_ca_profile_default(30, &err);
    CHECK(p != NULL && p->days == 30);
    cmp_ca_profile_free(p);
    p = cmp_ca_profile_default(-1, &err);
    CHECK(p == NULL && err.code == CMP_E_ARG);
}

int
main(void)
{
    CONF *conf = load_conf(good_conf);

    CHECK(conf != NULL);
    if (conf != NULL) {
        test_good(conf);
        test_bad(conf);
    }
    test_default();
    NCONF_free(conf);
    return check_finish();
}
