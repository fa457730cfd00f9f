/*
 * The client's checks of what comes encrypted in an ip/cp/kup:
 *
 *   privateKey     a centrally generated key (RFC 9483 4.1.6): decrypted,
 *                  signed by a key generation authority (KGA) that we trust
 *                  and that is authorized as one, the key of the new
 *                  certificate. The deprecated EncryptedValue form carries
 *                  no signature; it is accepted as openssl 3.5 and 3.6 do.
 *   encryptedCert  indirect proof of possession (RFC 9810 5.2.8.3.2):
 *                  decrypted with the private key whose certificate was
 *                  requested, it is that key's certificate.
 *
 * The decryption itself is lib/crypto's (enckey.c); the EncryptedValue
 * fields it needs are checked first, here.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "verify/internal.h"
#include "verify/verify.h"

int
cmp_vfy_enc_value(const struct cmp_enc_value *ev, struct cmp_err *err)
{
    /*
     * RFC 4211 2.1: symmAlg "is the algorithm used to encrypt the value",
     * encSymmKey the encrypted symmetric key; both are OPTIONAL in the ASN.1
     * (a recipient may know them otherwise), but nothing decrypts without
     * them. openssl had a NULL dereference on one without (CVE-2026-42767).
     */
    if (!ev->has_symm_alg) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "EncryptedValue without symmAlg");
    }
    if (cmp_enc_value_cipher(&ev->symm_alg.oid) == NULL) {
        char name[96];

        if (!cmp_oid_text(&ev->symm_alg.oid, name, sizeof(name))) {
            snprintf(name, sizeof(name), "(bad OID)");
        }
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "EncryptedValue symmAlg %s is not supported",
                             name);
    }
    if (ev->symm_alg.params.len == 0 || !der_peek(&ev->symm_alg.params, DER_OCTET_STRING)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "EncryptedValue symmAlg without an IV");
    }
    if (!ev->has_enc_symm_key || ev->enc_symm_key.len == 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "EncryptedValue without encSymmKey");
    }
    /* encrypted keys and values are whole octets */
    if (ev->enc_symm_key_unused != 0 || ev->enc_value_unused != 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "EncryptedValue encSymmKey or encValue has unused bits");
    }
    /* openssl and cmpkit encrypt the symmetric key with RSA, PKCS #1 v1.5 */
    if (ev->has_key_alg && !cmp_oid_is(&ev->key_alg.oid, CMP_NID_RSA_ENCRYPTION)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_ALG, "EncryptedValue keyAlg is not rsaEncryption");
    }
    if (ev->enc_value.len == 0) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "EncryptedValue with empty encValue");
    }
    return 1;
}

/* Decrypts |ek| after the EncryptedValue rules, if it is one. */
static int
decrypt(const struct cmp_enckey *ek, const struct cmp_decrypt_keys *keys, uint8_t **out,
        size_t *out_len, int *content_nid, struct cmp_err *err)
{
    if (ek->type == CMP_ENCKEY_VALUE && !cmp_vfy_enc_value(&ek->value, err)) {
        return 0;
    }
    return cmp_enckey_decrypt(ek, keys, out, out_len, content_nid, err);
}

/* Does |cert| carry the extended key usage id-kp-cmKGA (RFC 9480 2.10)? */
static int
has_cm_kga(X509 *cert)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    int i, found = 0;

    for (i = 0; !found && i < sk_ASN1_OBJECT_num(eku); i++) {
        const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
        struct der_in oid = der_in_make(OBJ_get0_data(obj), OBJ_length(obj));

        found = cmp_oid_is(&oid, CMP_NID_KP_CM_KGA);
    }
    EXTENDED_KEY_USAGE_free(eku);
    ERR_clear_error();
    return found;
}

/*
 * RFC 9483 4.1.6: the SignedData is signed by the KGA, whose certificate
 * validates (with the SignedData's certificates as intermediates) and
 * "MUST" carry id-kp-cmKGA, unless the CA that issued the new certificate
 * generated the key itself. With -srvcert and no -trusted, that certificate
 * is the only anchor.
 */
static int
check_kga(const struct cmp_vfy_kga_opts *o, const struct cmp_signed_content *sc,
          struct cmp_err *err)
{
    X509_STORE *store = o->trusted, *own = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    int ok = 0;

    if (chain == NULL ||
        !X509_add_certs(chain, sc->certs, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP) ||
        !X509_add_certs(chain, o->untrusted, X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP)) {
        CMP_FAIL(err, CMP_E_MEMORY, "KGA certificates");
        goto done;
    }
    if (store == NULL && o->srvcert != NULL) {
        own = X509_STORE_new();
        if (own == NULL || X509_STORE_add_cert(own, o->srvcert) != 1 ||
            !X509_STORE_set_flags(own, X509_V_FLAG_PARTIAL_CHAIN)) {
            CMP_FAIL_SSL(err, CMP_FI_NONE, "-srvcert as KGA anchor");
            goto done;
        }
        store = own;
    }
    if (store == NULL) {
        CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED,
                      "no -trusted or -srvcert to validate the key generation authority");
        goto done;
    }
    if (!cmp_vfy_cert_path(store, chain, sc->signer, o->vpm, 0, 0, CMP_FI_SIGNER_NOT_TRUSTED,
                           "key generation authority's certificate", err)) {
        goto done;
    }
    if (!has_cm_kga(sc->signer) &&
        !(o->newcert != NULL && X509_check_issued(sc->signer, o->newcert) == X509_V_OK)) {
        CMP_FAIL_INFO(err, CMP_FI_NOT_AUTHORIZED,
                      "the signer of the key has no id-kp-cmKGA and did not issue the certificate");
        goto done;
    }
    ok = 1;
done:
    X509_STORE_free(own);
    sk_X509_pop_free(chain, X509_free);
    return ok;
}

int
cmp_vfy_central_key(const struct cmp_enckey *ek, const struct cmp_vfy_kga_opts *o, EVP_PKEY **out,
                    struct cmp_err *err)
{
    struct cmp_signed_content sc;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int nid = CMP_NID_UNDEF, ok = 0;
    EVP_PKEY *key = NULL;

    *out = NULL;
    memset(&sc, 0, sizeof(sc));
    if (!decrypt(ek, &o->keys, &plain, &plain_len, &nid, err)) {
        return CMP_CONTEXT(err, "privateKey");
    }
    if (ek->type == CMP_ENCKEY_VALUE) {
        /* the deprecated form: the key itself, without a KGA signature (openssl 3.5) */
        key = cmp_key_package_parse(plain, plain_len, CMP_NID_PKCS7_DATA, err);
        if (key == NULL) {
            CMP_CONTEXT(err, "privateKey (encryptedValue)");
            goto done;
        }
    } else {
        /*
         * RFC 9483 4.1.6: the EnvelopedData's content is a SignedData
         * (content type id-signedData; openssl 3.5 and 3.6 say id-data).
         */
        if (nid != CMP_NID_PKCS7_SIGNED_DATA && nid != CMP_NID_PKCS7_DATA) {
            CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                          "privateKey: the EnvelopedData does not hold a SignedData");
            goto done;
        }
        if (!cmp_signed_data_open(plain, plain_len, o->untrusted, &sc, err)) {
            CMP_CONTEXT(err, "privateKey: the KGA's SignedData");
            goto done;
        }
        if (!check_kga(o, &sc, err)) {
            CMP_CONTEXT(err, "privateKey");
            goto done;
        }
        key = cmp_key_package_parse(sc.content, sc.content_len, sc.content_nid, err);
        if (key == NULL) {
            CMP_CONTEXT(err, "privateKey");
            goto done;
        }
    }
    /* The key is the one of the certificate it came with. */
    if (o->newcert != NULL && EVP_PKEY_eq(X509_get0_pubkey(o->newcert), key) != 1) {
        ERR_clear_error();
        CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                      "the centrally generated key is not the new certificate's");
        goto done;
    }
    *out = key;
    key = NULL;
    ok = 1;
done:
    EVP_PKEY_free(key);
    cmp_signed_content_cleanup(&sc);
    if (plain != NULL) {
        OPENSSL_clear_free(plain, plain_len);
    }
    return ok;
}

int
cmp_vfy_enc_cert(const struct cmp_enckey *ek, EVP_PKEY *newkey, X509 **out, struct cmp_err *err)
{
    struct cmp_decrypt_keys keys;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    int nid = CMP_NID_UNDEF;
    struct der_in der;
    X509 *cert;

    *out = NULL;
    memset(&keys, 0, sizeof(keys));
    keys.pkey = newkey;
    if (newkey == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "encryptedCert: no private key to decrypt it with");
    }
    if (!decrypt(ek, &keys, &plain, &plain_len, &nid, err)) {
        return CMP_CONTEXT(err, "encryptedCert");
    }
    der = der_in_make(plain, plain_len);
    cert = cmp_vfy_cert_parse(&der);
    OPENSSL_clear_free(plain, plain_len);
    if (cert == NULL) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "encryptedCert: the decrypted content is not a certificate");
    }
    /* RFC 9810 5.2.8.3.2: it was encrypted for the key it certifies. */
    if (EVP_PKEY_eq(X509_get0_pubkey(cert), newkey) != 1) {
        ERR_clear_error();
        X509_free(cert);
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "encryptedCert: the certificate is not for our key");
    }
    *out = cert;
    return 1;
}
