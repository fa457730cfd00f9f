/*
 * libFuzzer target: the client's path from the DER of an EncryptedKey to a
 * key or a certificate (lib/verify enckey.c over lib/crypto enckey.c and
 * libcrypto's CMS): each input that decodes as an EncryptedKey goes through
 * cmp_vfy_central_key() (our RSA key and certificate, a shared secret, a
 * trust store with a KGA) and cmp_vfy_enc_cert() (the key being enrolled).
 * It must never crash or leak, and every failure must say why.
 *
 * The keys and certificates are fixed (below; RSA 1024 keeps the private
 * key operations fast), and the seeds in fuzz/corpus/enckey/ were made with
 * them, so the seeds reach decryption, the SignedData, the KGA checks and
 * the key and certificate parsers. To make the seeds again:
 *   CMPKIT_ENCKEY_SEEDS=fuzz/corpus/enckey ./fuzz/enckey -runs=0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto/crypto.h"
#include "verify/verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t secret[] = "cmpkit-enckey-fuzz-secret";

/* A CA, a KGA (id-kp-cmKGA) it issued, the client's certificate and the one enrolled. */
static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBfDCCASGgAwIBAgIUeS091CkSmjOA3MOZc6hs+xzyPyQwCgYIKoZIzj0EAwIw\n"
                             "EjEQMA4GA1UEAwwHRnV6eiBDQTAgFw0yNjEyMDMxMDU2NDZaGA8yMTI2MTEwOTEw\n"
                             "NTY0NlowEjEQMA4GA1UEAwwHRnV6eiBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
                             "A0IABD5y6fqSRES4DIF8yRgNXAwhVDn1hHb01L1srlKveYjzR9QjpLnpgfKJ+wc0\n"
                             "3JZyRNlL2A/hoELfSqkjSVhlwxmjUzBRMB8GA1UdIwQYMBaAFIjKsYknv39QNGg5\n"
                             "o4lO27ORkaweMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFIjKsYknv39QNGg5\n"
                             "o4lO27ORkaweMAoGCCqGSM49BAMCA0kAMEYCIQCXJVI41Ga2JhzbhG0niwy/AG+g\n"
                             "bI8AwrrsBkMRUkTwUQIhAOdWLH9R0iYTRucNkJGPzYdGvmul5D+Ne2DWMLZBywcG\n"
                             "-----END CERTIFICATE-----\n";

static const char kga_pem[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBbTCCARSgAwIBAgICSMMwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHRnV6eiBD\n"
                              "QTAgFw0yNjEyMDMxMDU2NDZaGA8yMTI2MTEwOTEwNTY0NlowEzERMA8GA1UEAwwI\n"
                              "RnV6eiBrZ2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASlEoIIMgdgdXKEDGzQ\n"
                              "vqd1lpXzO3uyTfEz+X1tjxoF13RqTmHUj1J65acaFQMBqPyJMO9aa/cotspOiZEp\n"
                              "pGLXo1cwVTAdBgNVHQ4EFgQUSOUCXPLRJmetdww7Zba6Ootja2gwEwYDVR0lBAww\n"
                              "CgYIKwYBBQUHAyAwHwYDVR0jBBgwFoAUiMqxiSe/f1A0aDmjiU7bs5GRrB4wCgYI\n"
                              "KoZIzj0EAwIDRwAwRAIgLvtV2LI4edB9bo6tM0xeNuuDHBmEtzWczONOEmmWezkC\n"
                              "IH7OQyioMIlN5zJg7hNk21GKRYr5i/RQs/FiuRxim6Rt\n"
                              "-----END CERTIFICATE-----\n";

static const char kga_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyJO/VXvDcL/AHlPc\n"
    "biCE2pEhd5QmwVydX4XDZbsXh7ehRANCAASlEoIIMgdgdXKEDGzQvqd1lpXzO3uy\n"
    "TfEz+X1tjxoF13RqTmHUj1J65acaFQMBqPyJMO9aa/cotspOiZEppGLX\n"
    "-----END PRIVATE KEY-----\n";

static const char client_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBozCCAUmgAwIBAgICXOwwCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHRnV6eiBD\n"
    "QTAgFw0yNjEyMDMxMDU2NDZaGA8yMTI2MTEwOTEwNTY0NlowFjEUMBIGA1UEAwwL\n"
    "RnV6eiBjbGllbnQwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBANmUaj2wNPh/\n"
    "fg31fwuH8e9BVdIBMSUTFZ0Xz8ZkXLF3tAxwNPsH1xvkAgjnEdtpJXA2WAUMTiO3\n"
    "Gq+zcomNKFKjYR1olzfQq5sIo5IcrKT2e9F/LVog74v/0XdXA22+JiBaIjnODOmm\n"
    "HBw/zMytB8TUV2As53XuWAm8lQ5l6OCBAgMBAAGjQjBAMB0GA1UdDgQWBBTzT0Zq\n"
    "iHYL/O5oH5Nt9moShMpNGTAfBgNVHSMEGDAWgBSIyrGJJ79/UDRoOaOJTtuzkZGs\n"
    "HjAKBggqhkjOPQQDAgNIADBFAiA+QvbUcpSgLlcYxGVtyORT/vwmYiyb8q9R8PaV\n"
    "wDME+QIhAIKtdb1tRu+gsD4S/YK4Iw4k1KJ9xgJm5ueMN26M/5vr\n"
    "-----END CERTIFICATE-----\n";

static const char client_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBANmUaj2wNPh/fg31\n"
    "fwuH8e9BVdIBMSUTFZ0Xz8ZkXLF3tAxwNPsH1xvkAgjnEdtpJXA2WAUMTiO3Gq+z\n"
    "comNKFKjYR1olzfQq5sIo5IcrKT2e9F/LVog74v/0XdXA22+JiBaIjnODOmmHBw/\n"
    "zMytB8TUV2As53XuWAm8lQ5l6OCBAgMBAAECgYBJtoFj0t2vTqorGn/nLTBm6VCk\n"
    "7Ch1MgkBhr6qrPfGXBKQoDci0N4socuaroYbOn0njhG17BxQ90jAO+BS/5KoBKr8\n"
    "tifZyiuBJAcOMLpvNGzFgYy0Syz9htiGsXCwwVUOlZHxnfKnZWvn5g1XrigDj0iC\n"
    "lwIcdmft1j7hevuTQQJBAO6ptuss4kdjKciqImee5pwx/mHVAkn7CFdnv+SRY7EJ\n"
    "tlEpdCMcWDW6qjOATVJ5XsybDsCBWgKtSG4eKoY187kCQQDpYqCrIwKlpLCrjuuB\n"
    "zqnyPf7m2h1iU4Brefe3K9S8gdI/S39e6G9+bqTE1VCynTq4X77QWBg/giqzMYpe\n"
    "Q0cJAkAC5/IgPvWqZNy3Ysr0dAzezgUI7+0NNY9OcSb3A4YxO6sKpfSSEOBKFzHH\n"
    "WsKWRIARAbpWQbz012NQY/GknLeRAkEA36KJkNPAgpc4T3xpAX7V7HEpo25X/9NB\n"
    "2DsMerH+bQ/9NneSupAB3mYJby9032K4VNoyTxRLT/fcEM+k5kSTeQJADTfXdyQS\n"
    "0el6qReQnAzNdcsXaE4SJTxM4pZZcWBzn7EDfVhol1OB2s0byScWddpus3tVZjMh\n"
    "w3xRc6kxAvj0VQ==\n"
    "-----END PRIVATE KEY-----\n";

static const char new_pem[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIBnzCCAUagAwIBAgICE0owCgYIKoZIzj0EAwIwEjEQMA4GA1UEAwwHRnV6eiBD\n"
                              "QTAgFw0yNjEyMDMxMDU2NDZaGA8yMTI2MTEwOTEwNTY0NlowEzERMA8GA1UEAwwI\n"
                              "RnV6eiBuZXcwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBALzHzG67VgWDkATw\n"
                              "T7NHCjA6xIHkgdniLkKVtqMyKzsSdkkUQyyv/jS3shR/OT9q3/xQPw57W3oZwodY\n"
                              "jaH5SKPVlY5yly0BX8j6XRwapxAcvcsW4xYAYzOgWixLJTpaWcS5lSl7M7kl31eZ\n"
                              "UQu6Ts3TStCaA5WIytpBfym1iEQNAgMBAAGjQjBAMB0GA1UdDgQWBBRSnCXgnoB0\n"
                              "d98trUNYKYhq690W2TAfBgNVHSMEGDAWgBSIyrGJJ79/UDRoOaOJTtuzkZGsHjAK\n"
                              "BggqhkjOPQQDAgNHADBEAiB4aNznuJgLzCzRL9fHuYkMG2dShk73m9p+0lPyWcRc\n"
                              "AQIgC9SSJ9/URI87ANaVF8y7fPSMaJLEO/MvY8nLhad8f3g=\n"
                              "-----END CERTIFICATE-----\n";

static const char new_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALzHzG67VgWDkATw\n"
    "T7NHCjA6xIHkgdniLkKVtqMyKzsSdkkUQyyv/jS3shR/OT9q3/xQPw57W3oZwodY\n"
    "jaH5SKPVlY5yly0BX8j6XRwapxAcvcsW4xYAYzOgWixLJTpaWcS5lSl7M7kl31eZ\n"
    "UQu6Ts3TStCaA5WIytpBfym1iEQNAgMBAAECgYEAq6N1CdCmG4lMrlDYBgY3CzbD\n"
    "Z94c+b8dlEiOr75zc9gLV9JmaQDyvXevH9e0cyZ20+8aBc6+kztMlMY8r+H42fo0\n"
    "jMko07jLOPXbp/B7idiMjn7i27uRP0BiNcOxY1FzUrQiuqiZXxRQhJL5Em+SPec0\n"
    "A06/KFyUGWdAsHgGbMECQQD3/Mw6pldvysTBSNn8BWPGvXOwwQMeuaphPGdejZVP\n"
    "AADCRWAewLW4u4jUAZdN36+4iWzNA2xgKoLGci6XDUf5AkEAwuFGsTXJSGlvjq9N\n"
    "7xULf7VMK7klhpFRjzF4sw9PT+iOmX/2ROEsFFHVpaO1PllSA9Jz3aAXKriQfKYG\n"
    "e+mptQJAFeHpx5ccChJTcFbUXWfAWS4ogkVV2CU8Ap6I5JALx8/RQVNL2wrYPjfW\n"
    "KBcH2ehOIjOGNUUDEC1QIuC6ebvDSQJANrI3vyETf2loUCnPu9yyP4PI/zSV3bEH\n"
    "rSL7d3ZCknD5JQgPPMHeN03IoxbRldBH/p6guoFmPy1SEEog48JvSQJBANSm/+yN\n"
    "F0T8H4zogVI5OwWojDLEDWHC053fy2NS8rtXTKKp5r0vTvXzxlXIwx0UYOfyqDzk\n"
    "cELd7ECpkM0c7sk=\n"
    "-----END PRIVATE KEY-----\n";

static X509_STORE *trusted;
static X509 *client, *newcert, *kga;
static EVP_PKEY *client_key, *new_key, *kga_key;
static X509_VERIFY_PARAM *vpm;

static X509 *
pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return x;
}

static EVP_PKEY *
pem_key(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return k;
}

static void
write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, len, f) != len) {
        fprintf(stderr, "cannot write %s\n", path);
    }
    if (f != NULL) {
        fclose(f);
    }
}

/* The seeds: every form a client gets, made with the keys above. */
static void
make_seeds(const char *dir)
{
    struct cmp_kga k = {kga, kga_key, NULL, 0};
    struct cmp_recipient r;
    struct cmp_err err;
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(new_key);
    unsigned char *p8der = NULL;
    int p8len = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO(p8, &p8der) : 0;
    uint8_t *out = NULL;
    size_t len = 0;

    cmp_err_init(&err);
    memset(&r, 0, sizeof(r));
    r.cert = client;
    if (cmp_enckey_wrap_key(&out, &len, new_key, &k, &r, &err)) {
        write_seed(dir, "key_ktri_id_data.der", out, len);
        free(out);
    }
    k.key_package = 1;
    if (cmp_enckey_wrap_key(&out, &len, new_key, &k, &r, &err)) {
        write_seed(dir, "key_ktri_package.der", out, len);
        free(out);
    }
    r.cert = NULL;
    r.secret = secret;
    r.secret_len = sizeof(secret) - 1;
    if (cmp_enckey_wrap_key(&out, &len, new_key, &k, &r, &err)) {
        write_seed(dir, "key_pwri_package.der", out, len);
        free(out);
    }
    if (p8len > 0 && cmp_enc_value_encrypt(&out, &len, p8der, (size_t)p8len, client_key, &err)) {
        write_seed(dir, "key_encvalue.der", out, len);
        free(out);
    }
    if (cmp_enckey_wrap_cert(&out, &len, newcert, 0, &err)) {
        write_seed(dir, "cert_ktri.der", out, len);
        free(out);
    }
    if (cmp_enckey_wrap_cert(&out, &len, newcert, 1, &err)) {
        write_seed(dir, "cert_encvalue.der", out, len);
        free(out);
    }
    OPENSSL_free(p8der);
    PKCS8_PRIV_KEY_INFO_free(p8);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    X509 *ca = pem_cert(ca_pem);
    const char *seeds = getenv("CMPKIT_ENCKEY_SEEDS");

    (void)argc;
    (void)argv;
    kga = pem_cert(kga_pem);
    client = pem_cert(client_pem);
    newcert = pem_cert(new_pem);
    kga_key = pem_key(kga_key_pem);
    client_key = pem_key(client_key_pem);
    new_key = pem_key(new_key_pem);
    trusted = X509_STORE_new();
    vpm = X509_VERIFY_PARAM_new();
    if (ca == NULL || kga == NULL || client == NULL || newcert == NULL || kga_key == NULL ||
        client_key == NULL || new_key == NULL || trusted == NULL || vpm == NULL ||
        X509_STORE_add_cert(trusted, ca) != 1 ||
        !X509_VERIFY_PARAM_set_flags(vpm, X509_V_FLAG_NO_CHECK_TIME)) {
        abort();
    }
    X509_free(ca);
    if (seeds != NULL) {
        make_seeds(seeds);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct der_in in = der_in_make(data, size);
    struct cmp_vfy_kga_opts o;
    struct cmp_enckey ek;
    struct cmp_err err;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;

    memset(&ek, 0, sizeof(ek));
    cmp_err_init(&err);
    if (!cmp_enckey_decode(&in, &ek, &err)) {
        return 0;
    }
    memset(&o, 0, sizeof(o));
    o.trusted = trusted;
    o.vpm = vpm;
    o.newcert = newcert;
    o.keys.pkey = client_key;
    o.keys.cert = client;
    o.keys.secret = secret;
    o.keys.secret_len = sizeof(secret) - 1;
    o.keys.max_iterations = 20000;
    if (cmp_vfy_central_key(&ek, &o, &key, &err)) {
        if (key == NULL || EVP_PKEY_eq(key, new_key) != 1) {
            __builtin_trap(); /* only the enrolled certificate's key passes */
        }
        EVP_PKEY_free(key);
    } else if (err.code == 0 || key != NULL) {
        __builtin_trap();
    }
    cmp_err_init(&err);
    if (cmp_vfy_enc_cert(&ek, new_key, &cert, &err)) {
        if (cert == NULL || EVP_PKEY_eq(X509_get0_pubkey(cert), new_key) != 1) {
            __builtin_trap();
        }
        X509_free(cert);
    } else if (err.code == 0 || cert != NULL) {
        __builtin_trap();
    }
    ERR_clear_error();
    return 0;
}
