/*
 * UTCTime and GeneralizedTime in their DER forms (X.690 11.7/11.8, as
 * profiled by RFC 5280 4.1.2.5), and calendar arithmetic without gmtime().
 */
#include <stdio.h>

#include "der.h"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), H. Hinnant's method. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t
der_time_from_civil(int64_t year, int month, int day, int hour, int min, int sec)
{
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
}

void
der_time_to_civil(int64_t secs, int64_t *year, int *month, int *day, int *hour, int *min,
                  int *sec)
{
    int64_t days = secs / 86400, rem = secs % 86400, era, doe, yoe, y, doy, mp;

    if (rem < 0) {
        rem += 86400;
        days--;
    }
    *hour = (int)(rem / 3600);
    *min = (int)(rem % 3600 / 60);
    *sec = (int)(rem % 60);
    days += 719468;
    era = (days >= 0 ? days : days - 146096) / 146097;
    doe = days - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = y + (*month <= 2);
}

static int
digits(const uint8_t *p, size_t n, int *out)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return 0;
        }
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 1;
}

static int
is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
civil_ok(int64_t y, int mo, int d, int h, int mi, int s)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim;

    if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) {
        return 0;
    }
    dim = mdays[mo - 1] + (mo == 2 && is_leap(y));
    return d >= 1 && d <= dim;
}

int
der_parse_time(const struct der_in *body, uint32_t tag, int64_t *out_secs)
{
    const uint8_t *p = body->p;
    size_t n = body->len, pos;
    int y4 = 0, y2, mo, d, h, mi, s;
    int64_t year;

    if (tag == DER_UTC_TIME) {
        /* YYMMDDHHMMSSZ; RFC 5280: YY >= 50 is 19YY. */
        if (n != 13 || p[12] != 'Z' || !digits(p, 2, &y2)) {
            return 0;
        }
        year = y2 >= 50 ? 1900 + y2 : 2000 + y2;
        pos = 2;
    } else if (tag == DER_GENERALIZED_TIME) {
        /* YYYYMMDDHHMMSS[.f+]Z, fraction without trailing zeros. */
        if (n < 15 || p[n - 1] != 'Z' || !digits(p, 4, &y4)) {
            return 0;
        }
        year = y4;
        pos = 4;
        if (n > 15) {
            size_t i;
            if (n < 17 || p[14] != '.' || p[n - 2] == '0') {
                return 0;
            }
            for (i = 15; i < n - 1; i++) {
                if (p[i] < '0' || p[i] > '9') {
                    return 0;
                }
            }
        }
    } else {
        return 0;
    }
    if (!digits(p + pos, 2, &mo) || !digits(p + pos + 2, 2, &d) || !digits(p + pos + 4, 2, &h) ||
        !digits(p + pos + 6, 2, &mi) || !digits(p + pos + 8, 2, &s)) {
        return 0;
    }
    if (!civil_ok(year, mo, d, h, mi, s)) {
        return 0;
    }
    *out_secs = der_time_from_civil(year, mo, d, h, mi, s);
    return 1;
}

int
der_get_time(struct der_in *in, int64_t *out_secs, uint32_t *out_tag)
{
    struct der_in copy = *in, body;
    uint32_t tag;

    if (!der_get_any(&copy, &tag, &body, NULL)) {
        return 0;
    }
    if (!der_parse_time(&body, tag, out_secs)) {
        return 0;
    }
    if (out_tag != NULL) {
        *out_tag = tag;
    }
    *in = copy;
    return 1;
}

int
der_get_gentime(struct der_in *in, int64_t *out_secs)
{
    struct der_in copy = *in, body;

    if (!der_get(&copy, DER_GENERALIZED_TIME, &body) ||
        !der_parse_time(&body, DER_GENERALIZED_TIME, out_secs)) {
        return 0;
    }
    *in = copy;
    return 1;
}

int
der_put_gentime(struct der_out *out, int64_t secs)
{
    int64_t y;
    int mo, d, h, mi, s;
    char buf[32];
    int n;

    der_time_to_civil(secs, &y, &mo, &d, &h, &mi, &s);
    if (y < 0 || y > 9999) {
        out->failed = 1;
        return 0;
    }
    n = snprintf(buf, sizeof(buf), "%04d%02d%02d%02d%02d%02dZ", (int)y, mo, d, h, mi, s);
    return der_put_prim(out, DER_GENERALIZED_TIME, (const uint8_t *)buf, (size_t)n);
}

const char *
der_time_format(int64_t secs, char *buf, size_t buf_len)
{
    int64_t y;
    int mo, d, h, mi, s;

    der_time_to_civil(secs, &y, &mo, &d, &h, &mi, &s);
    snprintf(buf, buf_len, "%04lld-%02d-%02d %02d:%02d:%02d UTC", (long long)y, mo, d, h, mi, s);
    return buf;
}
