/*
 * Administration of a CA as library functions (the CLI wires them to
 * commands): listing and showing certificates, revoking, enrollment
 * secrets, CRLs. Each prints for people (TEXT) or for programs (JSON: one
 * object per line, "JSON Lines"), with times in UTC: TEXT as
 * "YYYY-MM-DD HH:MM:SS UTC", JSON as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ".
 * Text that comes from certificates is cleaned of control characters
 * (TEXT) or escaped (JSON) so that a subject cannot forge output lines.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "ca/internal.h"
#include "crypto/crypto.h"

#define HEX_SERIAL (2 * CMP_CA_SERIAL_MAX + 1)

int
cmp_ca_serial_parse(const char *text, uint8_t *out, size_t *out_len, struct cmp_err *err)
{
    char digits[2 * CMP_CA_SERIAL_MAX + 2];
    size_t n = 0, i;
    const char *p = text;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        p += 2;
    }
    for (; *p != '\0'; p++) {
        if (*p == ':') {
            continue;
        }
        if (!isxdigit((unsigned char)*p)) {
            return CMP_FAIL(err, CMP_E_ARG, "serial number '%.60s' is not hexadecimal", text);
        }
        if (n == 0 && *p == '0') {
            continue; /* leading zeros */
        }
        if (n == sizeof(digits) - 2) {
            return CMP_FAIL(err, CMP_E_ARG, "serial number '%.60s' has more than %d bytes", text,
                            CMP_CA_SERIAL_MAX);
        }
        digits[n++] = *p;
    }
    if (n == 0) {
        return CMP_FAIL(err, CMP_E_ARG, "serial number '%.60s' is zero or empty", text);
    }
    /* an odd count gets a leading 0; a top bit set would be negative: 00 in front */
    if (n % 2 != 0) {
        memmove(digits + 1, digits, n++);
        digits[0] = '0';
    }
    for (i = 0; i < n / 2; i++) {
        char b[3] = {digits[2 * i], digits[2 * i + 1], '\0'};

        out[i] = (uint8_t)strtoul(b, NULL, 16);
    }
    *out_len = n / 2;
    if ((out[0] & 0x80) != 0) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "serial number '%.60s' is not one this CA issues "
                        "(its top bit is set)",
                        text);
    }
    return 1;
}

/* ---- writing text safely ---- */

static void
put_text(FILE *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        (void)fputc(ch < 0x20 || ch == 0x7F ? '?' : ch, out);
    }
}

static void
put_json_string(FILE *out, const char *s)
{
    (void)fputc('"', out);
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;

        if (ch == '"' || ch == '\\') {
            (void)fprintf(out, "\\%c", ch);
        } else if (ch < 0x20 || ch == 0x7F) {
            (void)fprintf(out, "\\u%04x", ch);
        } else {
            (void)fputc(ch, out);
        }
    }
    (void)fputc('"', out);
}

static const char *
iso_time(char *buf, size_t len, int64_t secs)
{
    int64_t y;
    int mo, d, h, mi, s;

    der_time_to_civil(secs, &y, &mo, &d, &h, &mi, &s);
    snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, mo, d, h, mi, s);
    return buf;
}

/* A JSON member "name":"value" (strings) with the separator before it. */
static void
json_str(FILE *out, const char *name, const char *value, int *first)
{
    (void)fprintf(out, "%s\"%s\":", *first ? "" : ",", name);
    put_json_string(out, value);
    *first = 0;
}

static void
json_time(FILE *out, const char *name, int64_t secs, int *first)
{
    char buf[40];

    if (secs == 0) {
        (void)fprintf(out, "%s\"%s\":null", *first ? "" : ",", name);
        *first = 0;
        return;
    }
    json_str(out, name, iso_time(buf, sizeof(buf), secs), first);
}

static const char *
status_text(int status)
{
    const char *s = cmp_ca_status_name(status);

    return s != NULL ? s : "unknown";
}

static int
finish(FILE *out)
{
    return ferror(out) == 0;
}

/* The members that a listing line and a full record share. */
static void
json_cert_common(FILE *out, const struct cmp_ca_cert_rec *rec, int *first)
{
    char hex[HEX_SERIAL];

    json_str(out, "serial", cmp_ca_hex(hex, sizeof(hex), rec->serial, rec->serial_len), first);
    json_str(out, "status", status_text(rec->status), first);
    json_str(out, "subject", rec->subject, first);
    json_time(out, "not_before", rec->not_before, first);
    json_time(out, "not_after", rec->not_after, first);
    json_str(out, "profile", rec->profile, first);
    json_str(out, "requester", rec->requester, first);
    json_time(out, "created", rec->created, first);
    if (rec->rev_time != 0) {
        json_time(out, "revoked_at", rec->rev_time, first);
        json_str(out, "reason",
                 cmp_ca_reason_name(rec->rev_reason) != NULL ? cmp_ca_reason_name(rec->rev_reason)
                                                             : "unspecified",
                 first);
    }
}

int
cmp_ca_print_cert_line(FILE *out, const struct cmp_ca_cert_rec *rec, int format)
{
    char hex[HEX_SERIAL], t[40];
    int first = 1;

    if (format == CMP_CA_FMT_JSON) {
        (void)fputc('{', out);
        json_cert_common(out, rec, &first);
        (void)fputs("}\n", out);
        return finish(out);
    }
    (void)fprintf(out, "%s  %-10s  %.10s  ",
                  cmp_ca_hex(hex, sizeof(hex), rec->serial, rec->serial_len),
                  status_text(rec->status), der_time_format(rec->not_after, t, sizeof(t)));
    put_text(out, rec->profile);
    (void)fputs("  ", out);
    put_text(out, rec->subject);
    (void)fputc('\n', out);
    return finish(out);
}

int
cmp_ca_print_cert_full(FILE *out, const struct cmp_ca_cert_rec *rec, int format)
{
    char hex[2 * CMP_CA_TID_MAX + 1], t[40];
    int first = 1;

    if (format == CMP_CA_FMT_JSON) {
        char *b64 = malloc(4 * ((rec->cert_der_len + 2) / 3) + 1);

        (void)fputc('{', out);
        json_cert_common(out, rec, &first);
        json_str(out, "transaction_id", cmp_ca_hex(hex, sizeof(hex), rec->tid, rec->tid_len),
                 &first);
        json_str(out, "old_serial",
                 cmp_ca_hex(hex, sizeof(hex), rec->old_serial, rec->old_serial_len), &first);
        json_time(out, "confirm_deadline", rec->confirm_deadline, &first);
        json_str(out, "cert_sha256", cmp_ca_hex(hex, sizeof(hex), rec->cert_hash, CMP_CA_HASH_LEN),
                 &first);
        json_str(out, "key_sha256", cmp_ca_hex(hex, sizeof(hex), rec->key_hash, CMP_CA_HASH_LEN),
                 &first);
        if (b64 != NULL) {
            EVP_EncodeBlock((unsigned char *)b64, rec->cert_der, (int)rec->cert_der_len);
            json_str(out, "cert_der_base64", b64, &first);
            free(b64);
        }
        (void)fputs("}\n", out);
        return b64 != NULL && finish(out);
    }
    (void)fprintf(out, "serial:           %s\n",
                  cmp_ca_hex(hex, sizeof(hex), rec->serial, rec->serial_len));
    (void)fprintf(out, "status:           %s\n", status_text(rec->status));
    (void)fputs("subject:          ", out);
    put_text(out, rec->subject);
    (void)fprintf(out, "\nnot before:       %s\n", der_time_format(rec->not_before, t, sizeof(t)));
    (void)fprintf(out, "not after:        %s\n", der_time_format(rec->not_after, t, sizeof(t)));
    (void)fputs("profile:          ", out);
    put_text(out, rec->profile);
    (void)fputs("\nrequester:        ", out);
    put_text(out, rec->requester);
    (void)fprintf(out, "\ntransaction ID:   %s\n",
                  cmp_ca_hex(hex, sizeof(hex), rec->tid, rec->tid_len));
    (void)fprintf(out, "created:          %s\n", der_time_format(rec->created, t, sizeof(t)));
    if (rec->confirm_deadline != 0 && rec->status == CMP_CA_ST_WAITING) {
        (void)fprintf(out, "confirm by:       %s\n",
                      der_time_format(rec->confirm_deadline, t, sizeof(t)));
    }
    if (rec->old_serial_len > 0) {
        (void)fprintf(out, "replaces:         %s\n",
                      cmp_ca_hex(hex, sizeof(hex), rec->old_serial, rec->old_serial_len));
    }
    if (rec->rev_time != 0) {
        (void)fprintf(
            out, "revoked:          %s (%s)\n", der_time_format(rec->rev_time, t, sizeof(t)),
            cmp_ca_reason_name(rec->rev_reason) != NULL ? cmp_ca_reason_name(rec->rev_reason)
                                                        : "unspecified");
    }
    (void)fprintf(out, "certificate hash: SHA256:%s\n",
                  cmp_ca_hex(hex, sizeof(hex), rec->cert_hash, CMP_CA_HASH_LEN));
    (void)fprintf(out, "key hash:         SHA256:%s\n",
                  cmp_ca_hex(hex, sizeof(hex), rec->key_hash, CMP_CA_HASH_LEN));
    return finish(out);
}

/* A reference is shown as text when it is printable ASCII, else as hex. */
static const char *
ref_text(char *buf, size_t len, const uint8_t *ref, size_t ref_len)
{
    size_t i;

    for (i = 0; i < ref_len; i++) {
        if (ref[i] < 0x20 || ref[i] > 0x7E) {
            char hex[2 * CMP_CA_REF_MAX + 1];

            snprintf(buf, len, "hex:%s", cmp_ca_hex(hex, sizeof(hex), ref, ref_len));
            return buf;
        }
    }
    snprintf(buf, len, "%.*s", (int)ref_len, (const char *)ref);
    return buf;
}

int
cmp_ca_print_secret(FILE *out, const struct cmp_ca_secret_rec *rec, int64_t now, int format)
{
    char ref[2 * CMP_CA_REF_MAX + 8], t[40];
    const char *state = rec->expires != 0 && rec->expires <= now ? "expired"
                        : rec->one_time && rec->used_at != 0     ? "used"
                                                                 : "usable";
    int first = 1;

    ref_text(ref, sizeof(ref), rec->ref, rec->ref_len);
    if (format == CMP_CA_FMT_JSON) {
        (void)fputc('{', out);
        json_str(out, "ref", ref, &first);
        json_str(out, "state", state, &first);
        (void)fprintf(out, ",\"one_time\":%s", rec->one_time ? "true" : "false");
        json_time(out, "expires", rec->expires, &first);
        json_time(out, "used_at", rec->used_at, &first);
        json_time(out, "created", rec->created, &first);
        (void)fputs("}\n", out);
        return finish(out);
    }
    put_text(out, ref);
    (void)fprintf(out, "  %-7s  %s  expires %s", state, rec->one_time ? "one-time" : "reusable",
                  rec->expires != 0 ? der_time_format(rec->expires, t, sizeof(t)) : "never");
    if (rec->used_at != 0) {
        (void)fprintf(out, "  used %s", der_time_format(rec->used_at, t, sizeof(t)));
    }
    (void)fputc('\n', out);
    return finish(out);
}

/* ---- commands ---- */

/* What a listing callback needs, for certificates and secrets alike. */
struct lister {
    FILE *out;
    int format;
    int64_t now;
    size_t count;
    int failed;
};

static int
list_one(void *arg, const struct cmp_ca_cert_rec *rec)
{
    struct lister *l = arg;

    if (!cmp_ca_print_cert_line(l->out, rec, l->format)) {
        l->failed = 1;
        return 0;
    }
    l->count++;
    return 1;
}

int
cmp_ca_admin_list(struct cmp_ca_store *s, const struct cmp_ca_cert_filter *f, int format, FILE *out,
                  size_t *out_count, struct cmp_err *err)
{
    struct lister l = {out, format, 0, 0, 0};

    if (!s->ops->each_cert(s, f, list_one, &l, err)) {
        return CMP_CONTEXT(err, "listing certificates");
    }
    if (out_count != NULL) {
        *out_count = l.count;
    }
    if (l.failed) {
        return CMP_FAIL(err, CMP_E_IO, "writing the certificate list");
    }
    return 1;
}

static int
get_by_serial(struct cmp_ca_store *s, const char *serial_hex, struct cmp_ca_cert_rec **out,
              struct cmp_err *err)
{
    struct cmp_ca_cert_filter f;
    uint8_t serial[CMP_CA_SERIAL_MAX];

    memset(&f, 0, sizeof(f));
    if (!cmp_ca_serial_parse(serial_hex, serial, &f.serial_len, err)) {
        return 0;
    }
    f.serial = serial;
    if (!cmp_ca_store_get_cert(s, &f, out, err)) {
        return CMP_CONTEXT(err, "finding certificate %.60s", serial_hex);
    }
    if (*out == NULL) {
        return CMP_FAIL(err, CMP_E_ARG, "no certificate with serial number %.60s", serial_hex);
    }
    return 1;
}

int
cmp_ca_admin_show(struct cmp_ca_store *s, const char *serial_hex, int format, FILE *out,
                  struct cmp_err *err)
{
    struct cmp_ca_cert_rec *rec;
    int ok;

    if (!get_by_serial(s, serial_hex, &rec, err)) {
        return 0;
    }
    ok = cmp_ca_print_cert_full(out, rec, format);
    cmp_ca_cert_rec_free(rec);
    return ok ? 1 : CMP_FAIL(err, CMP_E_IO, "writing certificate %.60s", serial_hex);
}

int
cmp_ca_admin_revoke(struct cmp_ca *ca, const char *serial_hex, const char *reason, int64_t now,
                    int format, FILE *out, struct cmp_err *err)
{
    uint8_t serial[CMP_CA_SERIAL_MAX];
    size_t serial_len;
    int r = reason != NULL ? cmp_ca_reason_parse(reason) : 0, outcome, prev;
    int64_t number;
    char hex[HEX_SERIAL];

    if (r < 0) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "revocation reason '%.40s' unknown or not supported (unspecified, "
                        "keyCompromise, cACompromise, affiliationChanged, superseded, "
                        "cessationOfOperation, privilegeWithdrawn, aACompromise, or 0..10)",
                        reason);
    }
    if (!cmp_ca_serial_parse(serial_hex, serial, &serial_len, err) ||
        !cmp_ca_revoke(ca, serial, serial_len, r, now, &outcome, &prev, err)) {
        return CMP_CONTEXT(err, "revoking %.60s", serial_hex);
    }
    if (outcome == CMP_CA_NOT_FOUND) {
        return CMP_FAIL(err, CMP_E_ARG, "no certificate with serial number %.60s", serial_hex);
    }
    if (outcome == CMP_CA_WRONG_STATE) {
        return CMP_FAIL(err, CMP_E_ARG, "certificate %.60s is already %s", serial_hex,
                        status_text(prev));
    }
    /* RFC 9483 and the issue: a new CRL follows each revocation */
    if (!cmp_ca_crl_issue(ca, now, NULL, NULL, &number, err)) {
        return CMP_CONTEXT(err, "revoked %.60s, but no new CRL", serial_hex);
    }
    cmp_ca_hex(hex, sizeof(hex), serial, serial_len);
    if (format == CMP_CA_FMT_JSON) {
        (void)fprintf(out, "{\"revoked\":\"%s\",\"reason\":\"%s\",\"crl_number\":%lld}\n", hex,
                      cmp_ca_reason_name(r), (long long)number);
    } else {
        (void)fprintf(out, "revoked %s (%s); CRL %lld issued\n", hex, cmp_ca_reason_name(r),
                      (long long)number);
    }
    return finish(out) ? 1 : CMP_FAIL(err, CMP_E_IO, "writing the result");
}

int
cmp_ca_admin_secret_add(struct cmp_ca_store *s, const char *ref, const char *secret,
                        int64_t valid_secs, int one_time, int64_t now, int format, FILE *out,
                        struct cmp_err *err)
{
    struct cmp_ca_secret_rec rec;
    uint8_t made[16];
    char hex[2 * sizeof(made) + 1];
    int outcome;

    memset(&rec, 0, sizeof(rec));
    rec.ref = (const uint8_t *)ref;
    rec.ref_len = strlen(ref);
    if (secret == NULL) {
        if (RAND_bytes(made, sizeof(made)) != 1) {
            return CMP_FAIL_SSL(err, CMP_FI_NONE, "making a secret");
        }
        /* the hex text is the secret, as a client passes it with -secret pass:<hex> */
        cmp_ca_hex(hex, sizeof(hex), made, sizeof(made));
        secret = hex;
    }
    rec.secret = (const uint8_t *)secret;
    rec.secret_len = strlen(secret);
    rec.expires = valid_secs > 0 ? now + valid_secs : 0;
    rec.one_time = one_time;
    rec.created = now;
    if (!s->ops->secret_add(s, &rec, &outcome, err)) {
        OPENSSL_cleanse(hex, sizeof(hex));
        return CMP_CONTEXT(err, "adding the secret for '%.60s'", ref);
    }
    if (outcome == CMP_CA_CONFLICT) {
        OPENSSL_cleanse(hex, sizeof(hex));
        return CMP_FAIL(err, CMP_E_ARG, "a secret for '%.60s' exists already (remove it first)",
                        ref);
    }
    if (format == CMP_CA_FMT_JSON) {
        int first = 1;

        (void)fputc('{', out);
        json_str(out, "added", ref, &first);
        if (secret == hex) {
            json_str(out, "secret", hex, &first);
        }
        (void)fprintf(out, ",\"one_time\":%s", one_time ? "true" : "false");
        json_time(out, "expires", rec.expires, &first);
        (void)fputs("}\n", out);
    } else {
        char t[40];

        (void)fputs("added secret for ", out);
        put_text(out, ref);
        (void)fprintf(out, " (%s, expires %s)\n", one_time ? "one-time" : "reusable",
                      rec.expires != 0 ? der_time_format(rec.expires, t, sizeof(t)) : "never");
        if (secret == hex) {
            (void)fprintf(out, "secret: pass:%s\n", hex);
        }
    }
    OPENSSL_cleanse(hex, sizeof(hex));
    return finish(out) ? 1 : CMP_FAIL(err, CMP_E_IO, "writing the result");
}

int
cmp_ca_admin_secret_remove(struct cmp_ca_store *s, const char *ref, int format, FILE *out,
                           struct cmp_err *err)
{
    int outcome, first = 1;

    if (!s->ops->secret_remove(s, (const uint8_t *)ref, strlen(ref), &outcome, err)) {
        return CMP_CONTEXT(err, "removing the secret for '%.60s'", ref);
    }
    if (outcome == CMP_CA_NOT_FOUND) {
        return CMP_FAIL(err, CMP_E_ARG, "no secret for '%.60s'", ref);
    }
    if (format == CMP_CA_FMT_JSON) {
        (void)fputc('{', out);
        json_str(out, "removed", ref, &first);
        (void)fputs("}\n", out);
    } else {
        (void)fputs("removed secret for ", out);
        put_text(out, ref);
        (void)fputc('\n', out);
    }
    return finish(out) ? 1 : CMP_FAIL(err, CMP_E_IO, "writing the result");
}

static int
list_secret(void *arg, const struct cmp_ca_secret_rec *rec)
{
    struct lister *l = arg;

    if (!cmp_ca_print_secret(l->out, rec, l->now, l->format)) {
        l->failed = 1;
        return 0;
    }
    return 1;
}

int
cmp_ca_admin_secret_list(struct cmp_ca_store *s, int64_t now, int format, FILE *out,
                         struct cmp_err *err)
{
    struct lister l = {out, format, now, 0, 0};

    if (!s->ops->each_secret(s, NULL, 0, list_secret, &l, err)) {
        return CMP_CONTEXT(err, "listing secrets");
    }
    return l.failed ? CMP_FAIL(err, CMP_E_IO, "writing the secret list") : 1;
}

int
cmp_ca_admin_crl(struct cmp_ca *ca, int64_t now, FILE *crl_out, int der, int format, FILE *out,
                 struct cmp_err *err)
{
    uint8_t *crl_der;
    size_t crl_len, entries = 0;
    int64_t number;
    int ok = 1;

    if (!cmp_ca_crl_issue(ca, now, &crl_der, &crl_len, &number, err)) {
        return 0;
    }
    if (crl_out != NULL) {
        if (der) {
            ok = fwrite(crl_der, 1, crl_len, crl_out) == crl_len;
        } else {
            const unsigned char *p = crl_der;
            X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)crl_len);

            ok = crl != NULL && PEM_write_X509_CRL(crl_out, crl) == 1;
            X509_CRL_free(crl);
        }
        ok = ok && fflush(crl_out) == 0;
    }
    {
        const unsigned char *p = crl_der;
        X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)crl_len);

        if (crl != NULL) {
            entries = (size_t)sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
        }
        X509_CRL_free(crl);
    }
    free(crl_der);
    if (!ok) {
        return CMP_FAIL(err, CMP_E_IO, "writing CRL %lld", (long long)number);
    }
    if (format == CMP_CA_FMT_JSON) {
        (void)fprintf(out, "{\"crl_number\":%lld,\"entries\":%zu,\"bytes\":%zu}\n",
                      (long long)number, entries, crl_len);
    } else {
        (void)fprintf(out, "CRL %lld issued: %zu entries, %zu bytes\n", (long long)number, entries,
                      crl_len);
    }
    return finish(out) ? 1 : CMP_FAIL(err, CMP_E_IO, "writing the result");
}
