/*
 * The checks of a received certConf (RFC 9810 5.3.18), made by the server
 * against the certificates its transaction sent. Every responder gets them
 * from the engine; the engine's state table has already made sure that a
 * certConf was due.
 */
#include <openssl/crypto.h>

#include "verify/internal.h"
#include "verify/verify.h"

/* The certificate of |issued| that |id| names, or NULL. */
static const struct cmp_vfy_issued *
find_issued(const struct cmp_vfy_issued *issued, size_t num, int64_t id)
{
    size_t i;

    for (i = 0; i < num; i++) {
        if (issued[i].cert_req_id == id) {
            return &issued[i];
        }
    }
    return NULL;
}

int
cmp_vfy_certconf_count(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg,
                       const char **peer_text, struct cmp_err *err)
{
    size_t n = msg->body.type == CMP_BODY_CERTCONF ? msg->body.u.cert_conf.num : 0;

    /* RFC 9483 4.1.1: one certificate per transaction, so one CertStatus */
    if (rules != NULL && rules->profile == CMP_VFY_PROFILE_LIGHTWEIGHT && n != 1) {
        CMP_VFY_PEER(peer_text, "exactly one CertStatus (Lightweight CMP Profile)");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "certConf with %zu CertStatus; the Lightweight CMP Profile confirms "
                             "one certificate (RFC 9483 4.1.1)",
                             n);
    }
    return 1;
}

int
cmp_vfy_certconf(const struct cmp_msg *msg, const struct cmp_vfy_issued *issued, size_t num_issued,
                 const char **peer_text, struct cmp_err *err)
{
    const struct cmp_certconf *cc = &msg->body.u.cert_conf;
    size_t i, j;

    if (msg->body.type != CMP_BODY_CERTCONF) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST, "not a certConf");
    }
    for (i = 0; i < cc->num; i++) {
        const struct cmp_certstatus *cs = &cc->items[i];
        const struct cmp_vfy_issued *sent = find_issued(issued, num_issued, cs->cert_req_id);
        uint8_t hash[EVP_MAX_MD_SIZE];
        size_t hash_len = 0;

        /* RFC 9810 5.3.18: a CertStatus for each certificate sent, by its certReqId. */
        if (sent == NULL) {
            CMP_VFY_PEER(peer_text, "unexpected certReqId");
            if (num_issued == 1) {
                return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                                     "certConf for certReqId %lld, expected %lld",
                                     (long long)cs->cert_req_id, (long long)issued[0].cert_req_id);
            }
            return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                                 "certConf for certReqId %lld: no certificate sent has it",
                                 (long long)cs->cert_req_id);
        }
        for (j = 0; j < i; j++) {
            if (cc->items[j].cert_req_id == cs->cert_req_id) {
                CMP_VFY_PEER(peer_text, "duplicate certReqId");
                return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                     "certConf confirms certReqId %lld twice",
                                     (long long)cs->cert_req_id);
            }
        }
        /* RFC 9810 5.3.18 (as RFC 9480 2.10 updated it): hashAlg needs pvno cmp2021(3). */
        if (cs->has_hash_alg && msg->hdr.pvno != CMP_PVNO_2021) {
            CMP_VFY_PEER(peer_text, NULL);
            return CMP_FAIL_INFO(err, CMP_FI_UNSUPPORTED_VERSION,
                                 "certConf hashAlg needs pvno 3");
        }
        /*
         * RFC 9810 5.3.18: certHash over the certificate sent, with hashAlg
         * if given, else the digest of the certificate's signature.
         */
        if (!(sent->der.len > 0
                  ? cmp_cert_hash_der(sent->der.p, sent->der.len,
                                      cs->has_hash_alg ? &cs->hash_alg : NULL, hash, &hash_len, err)
                  : cmp_cert_hash(sent->cert, cs->has_hash_alg ? &cs->hash_alg : NULL, hash,
                                  &hash_len, err))) {
            CMP_VFY_PEER(peer_text, NULL);
            return CMP_CONTEXT(err, "certConf certHash");
        }
        if (hash_len != cs->cert_hash.len ||
            CRYPTO_memcmp(hash, cs->cert_hash.p, hash_len) != 0) {
            CMP_VFY_PEER(peer_text, "certHash does not match");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_CERT_ID,
                                 "certHash does not match the certificate sent");
        }
    }
    return 1;
}
