/* OBJECT IDENTIFIER text conversion (X.690 8.19). */
#include <stdio.h>
#include <string.h>

#include "der.h"

int
der_oid_to_text(const struct der_in *oid, char *buf, size_t buf_len)
{
    size_t i, pos = 0;
    uint64_t arc = 0;
    int first = 1, n;

    if (buf_len == 0 || !der_check_oid(oid)) {
        return 0;
    }
    buf[0] = '\0';
    for (i = 0; i < oid->len; i++) {
        if (arc > (UINT64_MAX >> 7)) {
            return 0;
        }
        arc = (arc << 7) | (oid->p[i] & 0x7Fu);
        if (oid->p[i] & 0x80) {
            continue;
        }
        if (first) {
            unsigned top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            n = snprintf(buf + pos, buf_len - pos, "%u.%llu", top,
                         (unsigned long long)(arc - 40u * top));
            first = 0;
        } else {
            n = snprintf(buf + pos, buf_len - pos, ".%llu", (unsigned long long)arc);
        }
        if (n < 0 || (size_t)n >= buf_len - pos) {
            return 0;
        }
        pos += (size_t)n;
        arc = 0;
    }
    return 1;
}

static int
put_arc(uint64_t arc, uint8_t *buf, size_t buf_len, size_t *pos)
{
    uint8_t tmp[10];
    size_t n = 0;

    do {
        tmp[n++] = (uint8_t)(arc & 0x7Fu);
        arc >>= 7;
    } while (arc > 0);
    if (n > buf_len - *pos) {
        return 0;
    }
    while (n > 0) {
        n--;
        buf[(*pos)++] = (uint8_t)(tmp[n] | (n > 0 ? 0x80u : 0));
    }
    return 1;
}

int
der_oid_from_text(const char *text, uint8_t *buf, size_t buf_len, size_t *out_len)
{
    uint64_t arcs[2] = {0, 0}, arc;
    size_t pos = 0;
    int count = 0;
    const char *p = text;

    while (*p != '\0') {
        int nd = 0;
        arc = 0;
        while (*p >= '0' && *p <= '9') {
            uint64_t digit = (uint64_t)(*p - '0');
            if (nd > 0 && arc == 0) {
                return 0; /* leading zero */
            }
            if (arc > UINT64_MAX / 10 || (arc == UINT64_MAX / 10 && digit > UINT64_MAX % 10)) {
                return 0; /* overflow */
            }
            arc = arc * 10 + digit;
            p++;
            nd++;
        }
        if (nd == 0 || (*p != '.' && *p != '\0') || (*p == '.' && p[1] == '\0')) {
            return 0;
        }
        if (*p == '.') {
            p++;
        }
        if (count < 2) {
            arcs[count] = arc;
            if (count == 1) {
                if (arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39) ||
                    arcs[1] > UINT64_MAX - 80) {
                    return 0;
                }
                if (!put_arc(arcs[0] * 40 + arcs[1], buf, buf_len, &pos)) {
                    return 0;
                }
            }
        } else if (!put_arc(arc, buf, buf_len, &pos)) {
            return 0;
        }
        count++;
    }
    if (count < 2) {
        return 0;
    }
    *out_len = pos;
    return 1;
}
