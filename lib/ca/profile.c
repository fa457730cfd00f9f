/*
 * Certificate profiles: what a CA issues for a request, read from an
 * openssl.cnf-style section (NCONF) as the CLI reads its own sections. The
 * keys are documented in docs/CA.md; each is a row of |keys| below.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ca/internal.h"
#include "crypto/crypto.h"

#define ITEM_MAX 128 /* one list item */

/* ---- lists ---- */

static int
is_sep(char c)
{
    return c == ',' || isspace((unsigned char)c);
}

int
cmp_ca_list_next(const char **list, char *item, size_t item_max)
{
    const char *p = *list, *b;
    size_t n;

    while (*p != '\0' && is_sep(*p)) {
        p++;
    }
    if (*p == '\0') {
        *list = p;
        return 0;
    }
    b = p;
    while (*p != '\0' && !is_sep(*p)) {
        p++;
    }
    *list = p;
    n = (size_t)(p - b);
    if (n >= item_max) {
        return -1;
    }
    memcpy(item, b, n);
    item[n] = '\0';
    return 1;
}

static const struct {
    const char *name;
    unsigned bit;
} ku_names[] = {
    {"digitalSignature", KU_DIGITAL_SIGNATURE}, {"nonRepudiation", KU_NON_REPUDIATION},
    {"contentCommitment", KU_NON_REPUDIATION},  {"keyEncipherment", KU_KEY_ENCIPHERMENT},
    {"dataEncipherment", KU_DATA_ENCIPHERMENT}, {"keyAgreement", KU_KEY_AGREEMENT},
    {"keyCertSign", KU_KEY_CERT_SIGN},          {"cRLSign", KU_CRL_SIGN},
    {"encipherOnly", KU_ENCIPHER_ONLY},         {"decipherOnly", KU_DECIPHER_ONLY},
};

static const struct {
    const char *name;
    unsigned bit;
} san_names[] = {
    {"DNS", CMP_CA_SAN_DNS},
    {"IP", CMP_CA_SAN_IP},
    {"email", CMP_CA_SAN_EMAIL},
    {"URI", CMP_CA_SAN_URI},
};

/* ---- one parser per kind of value; each reports "[section] key: ..." ---- */

struct pctx {
    const char *section;
    const char *key;
    struct cmp_err *err;
};

#define PFAIL(c, ...)                                                                              \
    cmp_err_set((c)->err, CMP_E_INVALID, CMP_FI_NONE, __FILE__, __LINE__, __VA_ARGS__)

static int
bad_item(const struct pctx *c, const char *what, const char *item, const char *known)
{
    return PFAIL(c, "profile section [%s], key %s: %s '%s'%s%s%s", c->section, c->key, what, item,
                 known != NULL ? " (known: " : "", known != NULL ? known : "",
                 known != NULL ? ")" : "");
}

static int
too_long(const struct pctx *c)
{
    return PFAIL(c, "profile section [%s], key %s: an item is longer than %d characters",
                 c->section, c->key, ITEM_MAX - 1);
}

static int
parse_bool(const struct pctx *c, const char *v, int *out)
{
    if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = 1;
        return 1;
    }
    if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = 0;
        return 1;
    }
    return bad_item(c, "not a yes/no value:", v, "yes, no, true, false, 1, 0");
}

static int
parse_num(const struct pctx *c, const char *v, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long n;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || !isdigit((unsigned char)v[0]) || n < min ||
        n > max) {
        return PFAIL(c, "profile section [%s], key %s: '%s' is not a number from %lld to %lld",
                     c->section, c->key, v, (long long)min, (long long)max);
    }
    *out = n;
    return 1;
}

static int
parse_ku(const struct pctx *c, const char *v, unsigned *out)
{
    char item[ITEM_MAX];
    int r;

    *out = 0;
    while ((r = cmp_ca_list_next(&v, item, ITEM_MAX)) > 0) {
        size_t i;

        for (i = 0; i < sizeof(ku_names) / sizeof(ku_names[0]); i++) {
            if (strcmp(item, ku_names[i].name) == 0) {
                break;
            }
        }
        if (i == sizeof(ku_names) / sizeof(ku_names[0])) {
            return bad_item(c, "unknown key usage", item,
                            "digitalSignature, nonRepudiation, keyEncipherment, dataEncipherment, "
                            "keyAgreement, keyCertSign, cRLSign, encipherOnly, decipherOnly");
        }
        *out |= ku_names[i].bit;
    }
    return r == 0 ? 1 : too_long(c);
}

static int
parse_san(const struct pctx *c, const char *v, unsigned *out)
{
    char item[ITEM_MAX];
    int r;

    *out = 0;
    while ((r = cmp_ca_list_next(&v, item, ITEM_MAX)) > 0) {
        size_t i;

        if (strcasecmp(item, "none") == 0) {
            continue;
        }
        for (i = 0; i < sizeof(san_names) / sizeof(san_names[0]); i++) {
            if (strcasecmp(item, san_names[i].name) == 0) {
                break;
            }
        }
        if (i == sizeof(san_names) / sizeof(san_names[0])) {
            return bad_item(c, "unknown subjectAltName form", item, "DNS, IP, email, URI, none");
        }
        *out |= san_names[i].bit;
    }
    return r == 0 ? 1 : too_long(c);
}

static void
free_objs(ASN1_OBJECT **objs, size_t *num)
{
    size_t i;

    for (i = 0; i < *num; i++) {
        ASN1_OBJECT_free(objs[i]);
    }
    *num = 0;
}

static int
parse_eku(const struct pctx *c, const char *v, ASN1_OBJECT **objs, size_t *num)
{
    char item[ITEM_MAX];
    int r;

    free_objs(objs, num);
    while ((r = cmp_ca_list_next(&v, item, ITEM_MAX)) > 0) {
        ASN1_OBJECT *o;

        if (strcasecmp(item, "none") == 0) {
            continue;
        }
        if (*num == CMP_CA_MAX_EKUS) {
            return PFAIL(c, "profile section [%s], key %s: more than %d purposes", c->section,
                         c->key, CMP_CA_MAX_EKUS);
        }
        o = OBJ_txt2obj(item, 0);
        if (o == NULL) {
            return bad_item(c, "unknown extended key usage", item,
                            "serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, "
                            "OCSPSigning, cmcCA, cmcRA, cmKGA, or a dotted OID");
        }
        objs[(*num)++] = o;
    }
    return r == 0 ? 1 : too_long(c);
}

static int
parse_attrs(const struct pctx *c, const char *v, int *nids, size_t *num, int *any)
{
    char item[ITEM_MAX];
    int r;

    *num = 0;
    if (any != NULL) {
        *any = 0;
    }
    while ((r = cmp_ca_list_next(&v, item, ITEM_MAX)) > 0) {
        int nid;

        if (any != NULL && strcasecmp(item, "any") == 0) {
            *any = 1;
            continue;
        }
        if (strcasecmp(item, "none") == 0) {
            continue;
        }
        nid = OBJ_txt2nid(item);
        if (nid == NID_undef) {
            return bad_item(c, "unknown subject attribute", item,
                            "short names such as CN, O, OU, C, serialNumber, or dotted OIDs");
        }
        if (*num == CMP_CA_MAX_ATTRS) {
            return PFAIL(c, "profile section [%s], key %s: more than %d attributes", c->section,
                         c->key, CMP_CA_MAX_ATTRS);
        }
        nids[(*num)++] = nid;
    }
    return r == 0 ? 1 : too_long(c);
}

/* A NIST curve by its NIST or OpenSSL name ("P-256", "prime256v1") into |*nid|. */
static int
parse_curve(const struct pctx *c, const char *name, int *nid)
{
    *nid = EC_curve_nist2nid(name);
    if (*nid == NID_undef) {
        *nid = OBJ_sn2nid(name);
    }
    if (*nid == NID_undef || EC_curve_nid2nist(*nid) == NULL) {
        /* Only the NIST curves: what RFC 9481 and TLS peers expect of a device key. */
        return bad_item(c, "unsupported EC curve", name, "P-256, P-384, P-521");
    }
    return 1;
}

/* "RSA", "RSA:2048", "RSA:2048-4096", "EC:P-256", "EC:prime256v1", "Ed25519", "Ed448" */
static int
parse_key_types(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    static const char *const known = "RSA, RSA:BITS, RSA:MIN-MAX, EC:CURVE (P-256, P-384, "
                                     "P-521, or an OpenSSL curve name), Ed25519, Ed448";
    char item[ITEM_MAX];
    int r;

    p->rsa = p->ed25519 = p->ed448 = 0;
    p->num_curves = 0;
    p->rsa_min_bits = 2048;
    p->rsa_max_bits = 4096;
    while ((r = cmp_ca_list_next(&v, item, ITEM_MAX)) > 0) {
        if (strncasecmp(item, "RSA", 3) == 0 && (item[3] == '\0' || item[3] == ':')) {
            p->rsa = 1;
            if (item[3] == ':') {
                char *dash = strchr(item + 4, '-');
                int64_t lo, hi;

                if (dash != NULL) {
                    *dash = '\0';
                }
                if (!parse_num(c, item + 4, CMP_CA_RSA_FLOOR_BITS, CMP_CA_RSA_CAP_BITS, &lo) ||
                    !parse_num(c, dash != NULL ? dash + 1 : item + 4, lo, CMP_CA_RSA_CAP_BITS,
                               &hi)) {
                    return CMP_CONTEXT(c->err, "RSA key sizes");
                }
                p->rsa_min_bits = (int)lo;
                p->rsa_max_bits = (int)hi;
            }
        } else if (strncasecmp(item, "EC:", 3) == 0) {
            int nid;

            if (!parse_curve(c, item + 3, &nid)) {
                return 0;
            }
            if (p->num_curves == CMP_CA_MAX_CURVES) {
                return PFAIL(c, "profile section [%s], key %s: too many curves", c->section,
                             c->key);
            }
            p->curves[p->num_curves++] = nid;
        } else if (strcasecmp(item, "Ed25519") == 0) {
            p->ed25519 = 1;
        } else if (strcasecmp(item, "Ed448") == 0) {
            p->ed448 = 1;
        } else {
            return bad_item(c, "unknown key type", item, known);
        }
    }
    if (r != 0) {
        return too_long(c);
    }
    if (!p->rsa && p->num_curves == 0 && !p->ed25519 && !p->ed448) {
        return PFAIL(c, "profile section [%s], key %s: no key type allowed", c->section, c->key);
    }
    return 1;
}

/* central_keygen: "none", "RSA:BITS", "EC:CURVE", "Ed25519", "Ed448" (one key type) */
static int
k_central_keygen(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    int64_t bits;

    p->keygen = CMP_CA_KEYGEN_NONE;
    if (strcasecmp(v, "none") == 0) {
        return 1;
    }
    if (strncasecmp(v, "RSA:", 4) == 0) {
        if (!parse_num(c, v + 4, 2048, 8192, &bits)) {
            return CMP_CONTEXT(c->err, "RSA key size to generate");
        }
        p->keygen = CMP_CA_KEYGEN_RSA;
        p->keygen_bits = (int)bits;
    } else if (strncasecmp(v, "EC:", 3) == 0) {
        int nid;

        if (!parse_curve(c, v + 3, &nid)) {
            return 0;
        }
        p->keygen = CMP_CA_KEYGEN_EC;
        p->keygen_curve = nid;
    } else if (strcasecmp(v, "Ed25519") == 0) {
        p->keygen = CMP_CA_KEYGEN_ED25519;
    } else if (strcasecmp(v, "Ed448") == 0) {
        p->keygen = CMP_CA_KEYGEN_ED448;
    } else {
        return bad_item(c, "unknown key type to generate", v,
                        "none, RSA:BITS (2048..8192), EC:CURVE (P-256, P-384, P-521), Ed25519, "
                        "Ed448");
    }
    return 1;
}

/* Whether |p| allows the key type it generates (its key_types). */
static int
keygen_allowed(const struct cmp_ca_profile *p)
{
    size_t i;

    switch (p->keygen) {
    case CMP_CA_KEYGEN_NONE:
        return 1;
    case CMP_CA_KEYGEN_RSA:
        return p->rsa && p->keygen_bits >= p->rsa_min_bits && p->keygen_bits <= p->rsa_max_bits;
    case CMP_CA_KEYGEN_EC:
        for (i = 0; i < p->num_curves; i++) {
            if (p->curves[i] == p->keygen_curve) {
                return 1;
            }
        }
        return 0;
    case CMP_CA_KEYGEN_ED25519:
        return p->ed25519;
    case CMP_CA_KEYGEN_ED448:
    default:
        return p->ed448;
    }
}

EVP_PKEY *
cmp_ca_profile_keygen(const struct cmp_ca_profile *p, struct cmp_err *err)
{
    EVP_PKEY *k = NULL;

    switch (p->keygen) {
    case CMP_CA_KEYGEN_RSA:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)p->keygen_bits);
        break;
    case CMP_CA_KEYGEN_EC:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", EC_curve_nid2nist(p->keygen_curve));
        break;
    case CMP_CA_KEYGEN_ED25519:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    case CMP_CA_KEYGEN_ED448:
        k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
        break;
    case CMP_CA_KEYGEN_NONE:
    default:
        /* RFC 9483 4.1.6: central key generation is the server's option */
        CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_TEMPLATE,
                      "profile %s does not generate keys (central_keygen)", p->name);
        return NULL;
    }
    if (k == NULL) {
        CMP_FAIL_SSL(err, CMP_FI_SYSTEM_FAILURE, "generating the key of profile %s", p->name);
    }
    return k;
}

static int
parse_bc(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    char item[ITEM_MAX];
    int r;

    p->ca = 0;
    p->path_len = -1;
    while ((r = cmp_ca_list_next(&v, item, ITEM_MAX)) > 0) {
        if (strcasecmp(item, "CA:TRUE") == 0) {
            p->ca = 1;
        } else if (strcasecmp(item, "CA:FALSE") == 0) {
            p->ca = 0;
        } else if (strncasecmp(item, "pathlen:", 8) == 0) {
            int64_t n;

            if (!parse_num(c, item + 8, 0, 100, &n)) {
                return 0;
            }
            p->path_len = (int)n;
        } else {
            return bad_item(c, "unknown basicConstraints item", item,
                            "CA:TRUE, CA:FALSE, pathlen:N");
        }
    }
    return r == 0 ? 1 : too_long(c);
}

/* ---- the keys of a profile section ---- */

static int
set_name(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    size_t i, n = strlen(v);

    if (n == 0 || n > CMP_CA_PROFILE_NAME_MAX) {
        return PFAIL(c, "profile section [%s], key %s: a name of 1 to %d characters", c->section,
                     c->key, CMP_CA_PROFILE_NAME_MAX);
    }
    for (i = 0; i < n; i++) {
        if (!isprint((unsigned char)v[i])) {
            return PFAIL(c, "profile section [%s], key %s: the name has a control character",
                         c->section, c->key);
        }
    }
    memcpy(p->name, v, n + 1);
    return 1;
}

static int
k_name(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return set_name(c, v, p);
}

static int
k_key_types(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_key_types(c, v, p);
}

static int
k_subject_required(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_attrs(c, v, p->subject_required, &p->num_subject_required, NULL);
}

static int
k_subject_allowed(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_attrs(c, v, p->subject_allowed, &p->num_subject_allowed, &p->subject_any);
}

static int
k_subject_empty(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_bool(c, v, &p->subject_empty);
}

static int
k_san_allowed(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_san(c, v, &p->san_allowed);
}

static int
k_san_required(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_san(c, v, &p->san_required);
}

static int
k_key_usage(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_ku(c, v, &p->ku_forced);
}

static int
k_key_usage_allowed(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_ku(c, v, &p->ku_allowed);
}

static int
k_eku(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_eku(c, v, p->eku_forced, &p->num_eku_forced);
}

static int
k_eku_allowed(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_eku(c, v, p->eku_allowed, &p->num_eku_allowed);
}

static int
k_days(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_num(c, v, 1, CMP_CA_MAX_DAYS, &p->days);
}

static int
k_max_days(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_num(c, v, 1, CMP_CA_MAX_DAYS, &p->max_days);
}

static int
k_bc(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_bc(c, v, p);
}

static int
k_implicit_confirm(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_bool(c, v, &p->implicit_confirm);
}

static int
k_confirm_timeout(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    return parse_num(c, v, 1, 7 * 86400, &p->confirm_timeout);
}

static int
k_kur_old(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    if (strcasecmp(v, "supersede") == 0) {
        p->kur_old = CMP_CA_KUR_SUPERSEDE;
    } else if (strcasecmp(v, "keep") == 0) {
        p->kur_old = CMP_CA_KUR_KEEP;
    } else {
        return bad_item(c, "unknown value", v, "supersede, keep");
    }
    return 1;
}

static int
k_unknown_ext(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    if (strcasecmp(v, "refuse") == 0) {
        p->unknown_ext = CMP_CA_EXT_REFUSE;
    } else if (strcasecmp(v, "drop") == 0) {
        p->unknown_ext = CMP_CA_EXT_DROP;
    } else {
        return bad_item(c, "unknown value", v, "refuse, drop");
    }
    return 1;
}

static int
k_digest(const struct pctx *c, const char *v, struct cmp_ca_profile *p)
{
    if (strlen(v) >= sizeof(p->digest) || EVP_get_digestbyname(v) == NULL) {
        return bad_item(c, "unknown digest", v, "SHA256, SHA384, SHA512, ...");
    }
    memcpy(p->digest, v, strlen(v) + 1);
    return 1;
}

static const struct {
    const char *key;
    int (*parse)(const struct pctx *c, const char *v, struct cmp_ca_profile *p);
} keys[] = {
    {"name", k_name},
    {"key_types", k_key_types},
    {"subject_required", k_subject_required},
    {"subject_allowed", k_subject_allowed},
    {"subject_empty", k_subject_empty},
    {"san_allowed", k_san_allowed},
    {"san_required", k_san_required},
    {"key_usage", k_key_usage},
    {"key_usage_allowed", k_key_usage_allowed},
    {"extended_key_usage", k_eku},
    {"extended_key_usage_allowed", k_eku_allowed},
    {"days", k_days},
    {"max_days", k_max_days},
    {"basic_constraints", k_bc},
    {"implicit_confirm", k_implicit_confirm},
    {"confirm_timeout", k_confirm_timeout},
    {"kur_old", k_kur_old},
    {"unknown_extensions", k_unknown_ext},
    {"digest", k_digest},
    {"central_keygen", k_central_keygen},
};

/* ---- the built-in default and whole profiles ---- */

void
cmp_ca_profile_free(struct cmp_ca_profile *p)
{
    if (p != NULL) {
        free_objs(p->eku_forced, &p->num_eku_forced);
        free_objs(p->eku_allowed, &p->num_eku_allowed);
        free(p);
    }
}

struct cmp_ca_profile *
cmp_ca_profile_default(int64_t days, struct cmp_err *err)
{
    struct cmp_ca_profile *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        CMP_FAIL(err, CMP_E_MEMORY, "default profile");
        return NULL;
    }
    if (days < 0 || days > CMP_CA_MAX_DAYS) {
        CMP_FAIL(err, CMP_E_ARG, "-days %lld is outside 1..%d", (long long)days, CMP_CA_MAX_DAYS);
        free(p);
        return NULL;
    }
    snprintf(p->name, sizeof(p->name), "default");
    p->rsa = 1;
    p->rsa_min_bits = 2048;
    p->rsa_max_bits = 4096;
    p->curves[0] = NID_X9_62_prime256v1;
    p->curves[1] = NID_secp384r1;
    p->curves[2] = NID_secp521r1;
    p->num_curves = 3;
    p->ed25519 = p->ed448 = 1;
    p->subject_any = 1;
    p->san_allowed = CMP_CA_SAN_DNS | CMP_CA_SAN_IP | CMP_CA_SAN_EMAIL | CMP_CA_SAN_URI;
    /* CMP signature protection and TLS client authentication sign: no more is needed. */
    p->ku_forced = KU_DIGITAL_SIGNATURE;
    p->ku_allowed = 0;
    /*
     * clientAuth only. id-kp-cmKGA (RFC 9480 4.1.1) marks a server that
     * generates keys for others: a device's certificate must not carry it.
     */
    p->eku_forced[0] = OBJ_nid2obj(NID_client_auth);
    p->num_eku_forced = 1;
    p->days = days == 0 ? 365 : days;
    p->max_days = p->days;
    p->path_len = -1;
    p->confirm_timeout = 300;
    p->kur_old = CMP_CA_KUR_SUPERSEDE;
    p->unknown_ext = CMP_CA_EXT_REFUSE;
    return p;
}

/* check_consistent() rejects combinations that make no sense once all keys are read. */
static int
check_consistent(const struct cmp_ca_profile *p, const char *section, struct cmp_err *err)
{
    if (p->days > p->max_days) {
        return CMP_FAIL(err, CMP_E_INVALID,
                        "profile section [%s]: days (%lld) is more than max_days (%lld)", section,
                        (long long)p->days, (long long)p->max_days);
    }
    if (!p->ca && ((p->ku_forced | p->ku_allowed) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != 0) {
        return CMP_FAIL(err, CMP_E_INVALID,
                        "profile section [%s]: key_usage keyCertSign or cRLSign needs "
                        "basic_constraints CA:TRUE",
                        section);
    }
    if (!p->ca && p->path_len >= 0) {
        return CMP_FAIL(err, CMP_E_INVALID,
                        "profile section [%s]: basic_constraints pathlen needs CA:TRUE", section);
    }
    if ((p->san_required & ~p->san_allowed) != 0) {
        return CMP_FAIL(err, CMP_E_INVALID,
                        "profile section [%s]: san_required names a form that san_allowed lacks",
                        section);
    }
    if (!keygen_allowed(p)) {
        return CMP_FAIL(err, CMP_E_INVALID,
                        "profile section [%s]: central_keygen names a key type that key_types "
                        "does not allow",
                        section);
    }
    if (p->subject_empty && p->san_allowed == 0) {
        return CMP_FAIL(err, CMP_E_INVALID,
                        "profile section [%s]: subject_empty needs a subjectAltName form in "
                        "san_allowed (RFC 5280 4.2.1.6)",
                        section);
    }
    return 1;
}

struct cmp_ca_profile *
cmp_ca_profile_from_conf(const CONF *conf, const char *section, int64_t days, struct cmp_err *err)
{
    STACK_OF(CONF_VALUE) *vals = NCONF_get_section(conf, section);
    struct cmp_ca_profile *p;
    int max_days_set = 0, i;

    if (vals == NULL) {
        CMP_FAIL(err, CMP_E_INVALID, "profile section [%s] is not in the configuration", section);
        return NULL;
    }
    p = cmp_ca_profile_default(days, err);
    if (p == NULL) {
        return NULL;
    }
    p->max_days = CMP_CA_MAX_DAYS;
    /* a configured profile grants only what it names */
    p->implicit_confirm = 0;
    if (!set_name(&(struct pctx){section, "name", err}, section, p)) {
        cmp_ca_profile_free(p);
        return NULL;
    }
    for (i = 0; i < sk_CONF_VALUE_num(vals); i++) {
        const CONF_VALUE *cv = sk_CONF_VALUE_value(vals, i);
        struct pctx c = {section, cv->name, err};
        size_t k;

        for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            if (strcmp(cv->name, keys[k].key) == 0) {
                break;
            }
        }
        if (k == sizeof(keys) / sizeof(keys[0])) {
            CMP_FAIL(err, CMP_E_INVALID, "profile section [%s]: unknown key '%s'", section,
                     cv->name);
            cmp_ca_profile_free(p);
            return NULL;
        }
        if (!keys[k].parse(&c, cv->value, p)) {
            cmp_ca_profile_free(p);
            return NULL;
        }
        max_days_set |= strcmp(cv->name, "max_days") == 0;
    }
    if (!max_days_set) {
        p->max_days = p->days;
    }
    if (!check_consistent(p, section, err)) {
        cmp_ca_profile_free(p);
        return NULL;
    }
    return p;
}

const char *
cmp_ca_profile_describe_keys(const struct cmp_ca_profile *p, char *buf, size_t len)
{
    size_t n = 0, i;
    const char *sep = "";

    buf[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (n < len) {                                                                             \
            int w_ = snprintf(buf + n, len - n, __VA_ARGS__);                                      \
            n += w_ > 0 ? (size_t)w_ : 0;                                                          \
        }                                                                                          \
    } while (0)
    for (i = 0; i < p->num_curves; i++) {
        const char *nist = EC_curve_nid2nist(p->curves[i]);

        ADD("%sEC %s", sep, nist != NULL ? nist : OBJ_nid2sn(p->curves[i]));
        sep = ", ";
    }
    if (p->rsa) {
        if (p->rsa_min_bits == p->rsa_max_bits) {
            ADD("%sRSA %d", sep, p->rsa_min_bits);
        } else {
            ADD("%sRSA %d..%d", sep, p->rsa_min_bits, p->rsa_max_bits);
        }
        sep = ", ";
    }
    if (p->ed25519) {
        ADD("%sEd25519", sep);
        sep = ", ";
    }
    if (p->ed448) {
        ADD("%sEd448", sep);
    }
#undef ADD
    return buf;
}
