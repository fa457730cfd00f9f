/*
 * reprotect: decodes a PKIMessage, protects it again with cmpkit and writes
 * the DER, for tests/interop/protect_interop.sh (does `openssl cmp` accept
 * what cmpkit protects?).
 *
 * usage: reprotect IN OUT PROTECTION [OPTIONS]
 *   PROTECTION is one of
 *     --pbm SECRET        PBM; SECRET as openssl's -secret (pass:, file:, ...)
 *         [--owf NAME] [--mac NAME] [--iter N]
 *     --pbmac1 SECRET     PBMAC1
 *         [--prf NAME] [--mac NAME] [--iter N]
 *     --key FILE          a signature with the key in FILE
 *         [--digest NAME] [--pss] [--cert FILE]
 *   --cert FILE           also makes FILE the only extraCert and its subject
 *                         key identifier the senderKID (or drops senderKID)
 *   --corrupt             flips one bit of the protection afterwards
 *   --fresh               a fresh transactionID and senderNonce and messageTime now
 *                         first (a request a server has not seen, within its window)
 *   --time-offset S       with --fresh: messageTime S seconds from now
 * Exits 0 on success, 1 on failure (with the error on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "crypto/crypto.h"
#include "msg/msg.h"

static int
read_file(const char *path, uint8_t **out, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len = 0;

    if (f == NULL) {
        return 0;
    }
    if (fseek(f, 0, SEEK_END) == 0) {
        len = ftell(f);
    }
    if (len <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return 0;
    }
    buf = malloc((size_t)len);
    if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        fclose(f);
        return 0;
    }
    fclose(f);
    *out = buf;
    *out_len = (size_t)len;
    return 1;
}

static int
fail(const struct cmp_err *err, const char *what)
{
    char buf[1024];

    fprintf(stderr, "reprotect: %s: %s\n", what,
            err != NULL ? cmp_err_format(err, buf, sizeof(buf)) : "");
    return 1;
}

static int
usage(void)
{
    fprintf(stderr, "usage: reprotect IN OUT (--pbm SECRET [--owf N] [--mac N] [--iter N] | "
                    "--pbmac1 SECRET [--prf N] [--mac N] [--iter N] | --key FILE [--digest N] "
                    "[--pss]) [--cert FILE] [--corrupt] [--fresh [--time-offset S]]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *pbm = NULL, *pbmac1 = NULL, *key_file = NULL, *cert_file = NULL;
    const char *owf = NULL, *mac = NULL, *prf = NULL, *digest = NULL;
    long long iter = 0, offset = 0;
    int pss = 0, corrupt = 0, fresh = 0, i, rc = 1;
    uint8_t tid[16], nonce[16];
    struct cmp_msg *m = NULL;
    struct cmp_err err;
    uint8_t *in = NULL, *out = NULL;
    size_t in_len = 0, out_len = 0;
    char *secret = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    FILE *f;

    if (argc < 4) {
        return usage();
    }
    for (i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--pss") == 0) {
            pss = 1;
            continue;
        }
        if (strcmp(a, "--corrupt") == 0) {
            corrupt = 1;
            continue;
        }
        if (strcmp(a, "--fresh") == 0) {
            fresh = 1;
            continue;
        }
        if (v == NULL) {
            return usage();
        }
        i++;
        if (strcmp(a, "--pbm") == 0) {
            pbm = v;
        } else if (strcmp(a, "--pbmac1") == 0) {
            pbmac1 = v;
        } else if (strcmp(a, "--key") == 0) {
            key_file = v;
        } else if (strcmp(a, "--cert") == 0) {
            cert_file = v;
        } else if (strcmp(a, "--owf") == 0) {
            owf = v;
        } else if (strcmp(a, "--mac") == 0) {
            mac = v;
        } else if (strcmp(a, "--prf") == 0) {
            prf = v;
        } else if (strcmp(a, "--digest") == 0) {
            digest = v;
        } else if (strcmp(a, "--iter") == 0 || strcmp(a, "--time-offset") == 0) {
            char *end;
            long long n = strtoll(v, &end, 10);

            if (*end != '\0') {
                return usage();
            }
            *(strcmp(a, "--iter") == 0 ? &iter : &offset) = n;
        } else {
            return usage();
        }
    }
    if ((pbm != NULL) + (pbmac1 != NULL) + (key_file != NULL) != 1) {
        return usage();
    }
    cmp_err_init(&err);
    if (!read_file(argv[1], &in, &in_len)) {
        fprintf(stderr, "reprotect: cannot read %s\n", argv[1]);
        return 1;
    }
    if (!cmp_msg_decode(&m, in, in_len, &err)) {
        rc = fail(&err, argv[1]);
        goto done;
    }
    if (fresh) {
        if (RAND_bytes(tid, sizeof(tid)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1) {
            fprintf(stderr, "reprotect: RAND_bytes failed\n");
            goto done;
        }
        m->hdr.has_transaction_id = 1;
        m->hdr.transaction_id = der_in_make(tid, sizeof(tid));
        m->hdr.has_sender_nonce = 1;
        m->hdr.sender_nonce = der_in_make(nonce, sizeof(nonce));
        m->hdr.has_message_time = 1;
        m->hdr.message_time = DER_IN_EMPTY; /* encoded from message_time_secs */
        m->hdr.message_time_secs = (int64_t)time(NULL) + offset;
    }
    if (cert_file != NULL) {
        const ASN1_OCTET_STRING *skid;

        cert = cmp_load_cert(cert_file, CMP_FORMAT_ANY, NULL, "signer certificate", &err);
        if (cert == NULL || !cmp_set_extra_certs(m, cert, NULL, NULL, &err)) {
            rc = fail(&err, cert_file);
            goto done;
        }
        /* openssl cmp checks the senderKID against the signer's key identifier */
        skid = X509_get0_subject_key_id(cert);
        m->hdr.has_sender_kid = skid != NULL;
        if (skid != NULL) {
            m->hdr.sender_kid =
                der_in_make(ASN1_STRING_get0_data(skid), (size_t)ASN1_STRING_length(skid));
        }
    }
    if (pbm != NULL || pbmac1 != NULL) {
        if (!cmp_pass_get(&secret, pbm != NULL ? pbm : pbmac1, "secret", &err)) {
            rc = fail(&err, "secret");
            goto done;
        }
    }
    if (pbm != NULL) {
        struct cmp_pbm_opts o = {.owf = owf, .mac = mac, .iterations = iter};

        if (!cmp_protect_pbm(m, &o, (const uint8_t *)secret, strlen(secret), &err)) {
            rc = fail(&err, "PBM");
            goto done;
        }
    } else if (pbmac1 != NULL) {
        struct cmp_pbmac1_opts o = {prf, mac, iter, 0, 0};

        if (!cmp_protect_pbmac1(m, &o, (const uint8_t *)secret, strlen(secret), &err)) {
            rc = fail(&err, "PBMAC1");
            goto done;
        }
    } else {
        key = cmp_load_key(key_file, CMP_FORMAT_ANY, NULL, 0, "signing key", &err);
        if (key == NULL || !cmp_protect_sig(m, key, digest, pss, &err)) {
            rc = fail(&err, "signature");
            goto done;
        }
    }
    if (corrupt) {
        uint8_t *p = cmp_msg_dup(m, m->protection.p, m->protection.len);

        if (p == NULL || m->protection.len == 0) {
            fprintf(stderr, "reprotect: cannot corrupt the protection\n");
            goto done;
        }
        p[m->protection.len / 2] ^= 0x10;
        m->protection.p = p;
    }
    if (!cmp_msg_encode(m, &out, &out_len, &err)) {
        rc = fail(&err, "encode");
        goto done;
    }
    f = fopen(argv[2], "wb");
    if (f == NULL || fwrite(out, 1, out_len, f) != out_len || fclose(f) != 0) {
        fprintf(stderr, "reprotect: cannot write %s\n", argv[2]);
        goto done;
    }
    rc = 0;

done:
    cmp_pass_free(secret);
    EVP_PKEY_free(key);
    X509_free(cert);
    cmp_msg_free(m);
    free(in);
    free(out);
    return rc;
}
