/*
 * error, RFC 9810 5.3.21: ErrorMsgContent, codec and printer (the ASN.1 is
 * in msg.h). Syntax only.
 */
#include <string.h>

#include "msg/internal.h"

int
cmp_error_msg_decode(struct der_in *in, struct cmp_error_msg *out, struct cmp_err *err)
{
    struct der_in copy = *in, seq, at;

    if (!der_get(&copy, DER_SEQUENCE, &seq)) {
        return CMP_DECODE_FAIL(err, in, "ErrorMsgContent");
    }
    if (!cmp_pkistatus_decode(&seq, &out->status, err)) {
        return CMP_CONTEXT(err, "ErrorMsgContent.pKIStatusInfo");
    }
    if (der_peek(&seq, DER_INTEGER)) {
        at = seq;
        if (!der_get_int64(&seq, &out->error_code)) {
            return CMP_DECODE_FAIL(err, &at, "ErrorMsgContent.errorCode");
        }
        out->has_error_code = 1;
    }
    if (der_peek(&seq, DER_SEQUENCE)) {
        if (!cmp_freetext_decode(&seq, &out->error_details, err)) {
            return CMP_CONTEXT(err, "ErrorMsgContent.errorDetails");
        }
        out->has_error_details = 1;
    }
    if (!der_done(&seq)) {
        return CMP_DECODE_FAIL(err, &seq, "ErrorMsgContent");
    }
    *in = copy;
    return 1;
}

int
cmp_error_msg_encode(struct der_out *out, const struct cmp_error_msg *em)
{
    size_t seq;

    return der_open(out, DER_SEQUENCE, &seq) && cmp_pkistatus_encode(out, &em->status) &&
           (!em->has_error_code || der_put_int64(out, em->error_code)) &&
           (!em->has_error_details || cmp_freetext_encode(out, &em->error_details)) &&
           der_close(out, seq);
}

void
cmp_error_msg_cleanup(struct cmp_error_msg *em)
{
    cmp_pkistatus_cleanup(&em->status);
    cmp_freetext_cleanup(&em->error_details);
    memset(em, 0, sizeof(*em));
}

static void
print_error_msg(struct cmp_printer *pr, int level, const struct cmp_error_msg *em)
{
    struct cmp_sbuf sb;

    cmp_print_status(pr, level, "status", &em->status);
    if (em->has_error_code) {
        /* OpenSSL sends its packed error codes here; hex shows lib and reason. */
        if (em->error_code > 0) {
            cmp_pline(pr, level, "errorCode: %lld (0x%llX)", (long long)em->error_code,
                      (unsigned long long)em->error_code);
        } else {
            cmp_pline(pr, level, "errorCode: %lld", (long long)em->error_code);
        }
    }
    if (em->has_error_details) {
        cmp_sb_init(&sb);
        cmp_sb_freetext(&sb, &em->error_details);
        cmp_pline(pr, level, "errorDetails: %s", sb.s);
    }
}

CMP_BODY_CODEC(cmp_error_body, "ErrorMsgContent", struct cmp_error_msg, cmp_error_msg,
               print_error_msg);
