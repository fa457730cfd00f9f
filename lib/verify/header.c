/*
 * PKIHeader checks of a received message (RFC 9810 5.1.1, RFC 9483 3.1 and
 * 3.5): pvno, transactionID, nonces, messageTime, sender and recipient.
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>

#include "verify/internal.h"
#include "verify/verify.h"

int
cmp_vfy_name_is_null(const struct der_in *name)
{
    return name->len == 2 && name->p[0] == 0x30 && name->p[1] == 0x00;
}

X509_NAME *
cmp_vfy_name_parse(const struct der_in *der)
{
    const unsigned char *p = der->p;
    X509_NAME *name;

    if (der->len == 0 || der->len > (size_t)LONG_MAX) {
        return NULL;
    }
    name = d2i_X509_NAME(NULL, &p, (long)der->len);
    if (name != NULL && p != der->p + der->len) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

int
cmp_vfy_name_eq(const struct der_in *a, const struct der_in *b)
{
    X509_NAME *na, *nb;
    int eq = 0;

    if (der_in_eq(a, b)) {
        return 1; /* same bytes: same DN, whatever X509_NAME makes of them */
    }
    na = cmp_vfy_name_parse(a);
    nb = cmp_vfy_name_parse(b);
    if (na != NULL && nb != NULL) {
        eq = X509_NAME_cmp(na, nb) == 0;
    }
    X509_NAME_free(na);
    X509_NAME_free(nb);
    return eq;
}

/* RFC 9810 5.1.1: pvno; RFC 9480 2.20 added cmp2021(3). */
int
cmp_vfy_pvno(const struct cmp_msg *msg, struct cmp_err *err)
{
    if (msg->hdr.pvno != CMP_PVNO_2000 && msg->hdr.pvno != CMP_PVNO_2021) {
        return CMP_FAIL_INFO(err, CMP_FI_UNSUPPORTED_VERSION,
                             "pvno %lld is not supported (expected 2 or 3)",
                             (long long)msg->hdr.pvno);
    }
    return 1;
}

/* RFC 9810 5.1.1: every message of a transaction carries its transactionID. */
int
cmp_vfy_transaction_id(const struct cmp_msg *msg, const struct der_in *expected,
                       struct cmp_err *err)
{
    if (!msg->hdr.has_transaction_id) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "transactionID is missing");
    }
    if (expected != NULL && expected->len != 0 && !der_in_eq(&msg->hdr.transaction_id, expected)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                             "transactionID does not match the transactionID of our transaction");
    }
    return 1;
}

/*
 * RFC 9810 5.1.1: "If the transactionID is already in use, the recipient
 * ... MUST reply with transactionIdInUse." Only the server's transaction
 * table knows; |in_use| asks it.
 */
int
cmp_vfy_transaction_id_new(const struct cmp_msg *msg, cmp_vfy_tid_in_use_fn *in_use, void *arg,
                           struct cmp_err *err)
{
    if (!msg->hdr.has_transaction_id) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT, "transactionID is missing");
    }
    if (in_use != NULL && in_use(arg, &msg->hdr.transaction_id)) {
        return CMP_FAIL_INFO(err, CMP_FI_TRANSACTION_ID_IN_USE,
                             "transactionID of a new transaction is already in use");
    }
    return 1;
}

/* RFC 9810 5.1.1 (senderNonce), RFC 9483 3.1: at least 128 bits of random. */
int
cmp_vfy_sender_nonce(const struct cmp_msg *msg, struct cmp_err *err)
{
    if (!msg->hdr.has_sender_nonce) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_SENDER_NONCE, "senderNonce is missing");
    }
    if (msg->hdr.sender_nonce.len < CMP_VFY_MIN_NONCE_LEN) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_SENDER_NONCE,
                             "senderNonce has %zu bytes, fewer than the 16 (128 bits) required",
                             msg->hdr.sender_nonce.len);
    }
    return 1;
}

/* RFC 9810 5.1.1: recipNonce is the senderNonce of the message answered. */
int
cmp_vfy_recip_nonce(const struct cmp_msg *msg, const struct der_in *last_sender_nonce,
                    struct cmp_err *err)
{
    if (!msg->hdr.has_recip_nonce) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_RECIPIENT_NONCE, "recipNonce is missing");
    }
    if (!der_in_eq(&msg->hdr.recip_nonce, last_sender_nonce)) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_RECIPIENT_NONCE,
                             "recipNonce does not match the senderNonce of our last message");
    }
    return 1;
}

/* RFC 9810 5.1.1, RFC 9483 3.5: messageTime "sufficiently close" by local policy. */
int
cmp_vfy_message_time(const struct cmp_msg *msg, int64_t now, int64_t max_drift, struct cmp_err *err)
{
    int64_t diff;

    if (!msg->hdr.has_message_time) {
        return 1;
    }
    if (now == 0) {
        now = (int64_t)time(NULL);
    }
    if (max_drift < 0) {
        max_drift = 0;
    }
    /* Both are bounded by the time parser (years 0..9999), so no overflow. */
    diff = msg->hdr.message_time_secs - now;
    if (diff > max_drift || diff < -max_drift) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_TIME,
                             "messageTime is %lld seconds off our clock (allowed: %lld)",
                             (long long)diff, (long long)max_drift);
    }
    return 1;
}

/*
 * RFC 9810 5.1.1: sender names the sender; openssl cmp accepts only a
 * directoryName and compares it with -expect_sender ("only a particular
 * entity is accepted as CMP message signer").
 */
int
cmp_vfy_sender(const struct cmp_msg *msg, const struct der_in *expected, struct cmp_err *err)
{
    if (msg->hdr.sender.type != CMP_GN_DIRNAME) {
        return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                             "sender is not a directoryName (GeneralName type %d)",
                             msg->hdr.sender.type);
    }
    if (expected != NULL && expected->len != 0 &&
        !cmp_vfy_name_eq(&msg->hdr.sender.value, expected)) {
        return CMP_FAIL_INFO(err, CMP_FI_SIGNER_NOT_TRUSTED,
                             "sender does not match the expected sender");
    }
    return 1;
}

/*
 * RFC 9810 5.1.1: recipient names the intended recipient; the NULL-DN is
 * used when the sender does not know it (RFC 9483 3.1).
 */
int
cmp_vfy_recipient(const struct cmp_msg *msg, const struct der_in *expected, struct cmp_err *err)
{
    if (expected == NULL || expected->len == 0) {
        return 1;
    }
    if (msg->hdr.recipient.type != CMP_GN_DIRNAME) {
        return CMP_FAIL_INFO(err, CMP_FI_WRONG_AUTHORITY,
                             "recipient is not a directoryName (GeneralName type %d)",
                             msg->hdr.recipient.type);
    }
    if (cmp_vfy_name_is_null(&msg->hdr.recipient.value) ||
        cmp_vfy_name_eq(&msg->hdr.recipient.value, expected)) {
        return 1;
    }
    return CMP_FAIL_INFO(err, CMP_FI_WRONG_AUTHORITY, "recipient is not our name");
}

/* ---- the rules of RFC 9483 3.1 and 3.2 for a request at the server ---- */

/*
 * The value of one generalInfo entry. RFC 9810 5.1.1.1: ImplicitConfirmValue
 * ::= NULL; 5.1.1.2: ConfirmWaitTimeValue ::= GeneralizedTime; 5.1.1.4 and
 * RFC 9483 3.1: CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String,
 * "MUST contain exactly one UTF8String element", only "in the first message
 * of a PKI management operation".
 */
static int
check_general_info_item(const struct cmp_vfy_req_rules *rules, const struct cmp_itav *it, int first,
                        const char **peer_text, struct cmp_err *err)
{
    struct der_in v = it->value, seq, s;
    int64_t t;

    if (cmp_oid_is(&it->type, CMP_NID_IT_IMPLICIT_CONFIRM)) {
        if (it->has_value && !(v.len == 2 && v.p[0] == DER_NULL && v.p[1] == 0x00)) {
            CMP_VFY_PEER(peer_text, "implicitConfirm value must be NULL");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                 "generalInfo implicitConfirm has a value other than NULL");
        }
    } else if (cmp_oid_is(&it->type, CMP_NID_IT_CONFIRM_WAIT_TIME)) {
        if (!it->has_value || !der_get_gentime(&v, &t) || !der_done(&v)) {
            CMP_VFY_PEER(peer_text, "confirmWaitTime must be a GeneralizedTime");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                 "generalInfo confirmWaitTime is not a GeneralizedTime");
        }
    } else if (cmp_oid_is(&it->type, CMP_NID_IT_CERT_PROFILE)) {
        /* `openssl cmp` 3.6 -profile repeats it in certConf: a lightweight-only rule. */
        if (!first && rules != NULL && rules->profile == CMP_VFY_PROFILE_LIGHTWEIGHT) {
            CMP_VFY_PEER(peer_text, "certProfile only in the first message");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_REQUEST,
                                 "generalInfo certProfile outside the first message of a "
                                 "transaction");
        }
        if (!it->has_value || !der_get(&v, DER_SEQUENCE, &seq) || !der_done(&v) ||
            !der_get(&seq, DER_UTF8_STRING, &s) || !der_done(&seq)) {
            CMP_VFY_PEER(peer_text, "certProfile must hold one UTF8String");
            return CMP_FAIL_INFO(err, CMP_FI_BAD_DATA_FORMAT,
                                 "generalInfo certProfile is not exactly one UTF8String");
        }
    }
    return 1;
}

int
cmp_vfy_req_header(const struct cmp_vfy_req_rules *rules, const struct cmp_msg *msg, int first,
                   const char **peer_text, struct cmp_err *err)
{
    const struct cmp_header *h = &msg->hdr;
    int sig = h->has_protection_alg && !cmp_msg_mac_protected(msg);
    size_t i;

    /*
     * RFC 9483 3.1: sender "MUST contain a name representing the originator"
     * and "SHOULD be the subject of the CMP protection certificate"; 3.2:
     * for MAC-based protection a name the shared secret goes with. Only a
     * directoryName can be either: for a signature a mismatch with the
     * certificate (badMessageCheck), else a request we cannot attribute
     * (badRequest). RFC 9810's badDataFormat stays the client's bit.
     */
    if (h->sender.type != CMP_GN_DIRNAME) {
        CMP_VFY_PEER(peer_text, "sender must be a directoryName");
        return CMP_FAIL_INFO(err, sig ? CMP_FI_BAD_MESSAGE_CHECK : CMP_FI_BAD_REQUEST,
                             "sender is not a directoryName (GeneralName type %d)",
                             h->sender.type);
    }
    /*
     * RFC 9483 3.1: recipNonce "If this is the first message of a
     * transaction: SHOULD be absent"; one there answers nothing of ours.
     */
    if (first && h->has_recip_nonce) {
        CMP_VFY_PEER(peer_text, "recipNonce in the first message");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_RECIPIENT_NONCE,
                             "recipNonce in the first message of a transaction");
    }
    /*
     * RFC 9483 3.1: messageTime is RECOMMENDED, so a request without one
     * passes unless the server's policy requires it; RFC 9810 5.2.3:
     * missingTimeStamp, "the timestamp is missing but should be there (by
     * policy)".
     */
    if (rules != NULL && rules->require_message_time && !h->has_message_time) {
        CMP_VFY_PEER(peer_text, "messageTime missing");
        return CMP_FAIL_INFO(err, CMP_FI_MISSING_TIME_STAMP,
                             "messageTime is missing and this server requires it");
    }
    for (i = 0; h->has_general_info && i < h->general_info.num; i++) {
        if (!check_general_info_item(rules, &h->general_info.items[i], first, peer_text, err)) {
            return 0;
        }
    }
    /*
     * RFC 9483 3.1: senderKID "MUST be present, if required by the type of
     * protection"; 3.2: for MAC-based protection it identifies the shared
     * secret. `openssl cmp` leaves it out when -ref is not given.
     */
    if (rules != NULL && rules->profile == CMP_VFY_PROFILE_LIGHTWEIGHT &&
        cmp_msg_mac_protected(msg) && !h->has_sender_kid) {
        CMP_VFY_PEER(peer_text, "senderKID missing");
        return CMP_FAIL_INFO(err, CMP_FI_BAD_MESSAGE_CHECK,
                             "MAC-protected request without senderKID naming its secret");
    }
    return 1;
}
