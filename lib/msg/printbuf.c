/*
 * The printer's output: pieces of a line in a fixed-size struct cmp_sbuf
 * (cut with "..." when full) and the lines themselves (cmp_pline). Every
 * string from the network is escaped (cmp_sb_text()), so no control
 * character reaches the output. libc only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "msg/internal.h"
#include "msg/oids.h"

#define HEX_MAX 32 /* bytes of a hex string printed before "..." */

void
cmp_sb_init(struct cmp_sbuf *sb)
{
    sb->len = 0;
    sb->cut = 0;
    sb->s[0] = '\0';
}

/* Marks |sb| full: drops a partial UTF-8 sequence at the end, adds "...". */
static void
sb_cut(struct cmp_sbuf *sb)
{
    size_t i = sb->len, need;

    /* Find the last lead byte within 3 bytes; drop it if incomplete. */
    while (i > 0 && sb->len - i < 4 && ((uint8_t)sb->s[i - 1] & 0xC0) == 0x80) {
        i--;
    }
    if (i > 0 && ((uint8_t)sb->s[i - 1] & 0x80) != 0) {
        uint8_t lead = (uint8_t)sb->s[i - 1];

        need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : 4;
        if (sb->len - (i - 1) < need) {
            sb->len = i - 1;
        }
    }
    memcpy(sb->s + sb->len, "...", 4);
    sb->len += 3;
    sb->cut = 1;
}

/* Appends |n| bytes; the caller has made them safe to print. */
void
cmp_sb_putn(struct cmp_sbuf *sb, const void *p, size_t n)
{
    size_t room;

    if (sb->cut) {
        return;
    }
    room = CMP_SB_CAP - 4 - sb->len; /* keep room for "..." and the NUL */
    if (n > room) {
        memcpy(sb->s + sb->len, p, room);
        sb->len += room;
        sb_cut(sb);
        return;
    }
    memcpy(sb->s + sb->len, p, n);
    sb->len += n;
    sb->s[sb->len] = '\0';
}

void
cmp_sb_puts(struct cmp_sbuf *sb, const char *str)
{
    cmp_sb_putn(sb, str, strlen(str));
}

void
cmp_sb_add(struct cmp_sbuf *sb, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    cmp_sb_putn(sb, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Up to HEX_MAX bytes as upper-case hex, then "...". */
void
cmp_sb_hex(struct cmp_sbuf *sb, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len && i < HEX_MAX; i++) {
        cmp_sb_add(sb, "%02X", p[i]);
    }
    if (len > HEX_MAX) {
        cmp_sb_puts(sb, "...");
    }
}

/* Hex with spaces between the bytes ("31 32 33 34"). */
void
cmp_sb_hex_spaced(struct cmp_sbuf *sb, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i < len && i < HEX_MAX; i++) {
        cmp_sb_add(sb, i == 0 ? "%02X" : " %02X", p[i]);
    }
    if (len > HEX_MAX) {
        cmp_sb_puts(sb, " ...");
    }
}

/* An INTEGER's contents as 0x..., without the sign octet of a positive one. */
void
cmp_sb_serial(struct cmp_sbuf *sb, const struct der_in *v)
{
    const uint8_t *p = v->p;
    size_t len = v->len;

    if (len == 0) {
        cmp_sb_puts(sb, "(empty)");
        return;
    }
    if ((p[0] & 0x80) != 0) {
        cmp_sb_puts(sb, "(negative) ");
    }
    if (len > 1 && p[0] == 0x00) {
        p++;
        len--;
    }
    cmp_sb_puts(sb, "0x");
    cmp_sb_hex(sb, p, len);
}

void
cmp_sb_time(struct cmp_sbuf *sb, int64_t secs)
{
    char buf[48];

    cmp_sb_puts(sb, der_time_format(secs, buf, sizeof(buf)));
}

/* ---- escaping text from the network ---- */

/*
 * Code points printed as they are: not C0/C1 controls or DEL, not
 * surrogates or noncharacters, and none of the invisible or text-reordering
 * characters that could make the output lie (soft hyphen, Arabic letter
 * mark, zero-width and bidi controls, line and paragraph separators, BOM,
 * interlinear annotation, tag characters).
 */
static int
cp_printable(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
        return 0;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF || (cp & 0xFFFE) == 0xFFFE ||
        (cp >= 0xFDD0 && cp <= 0xFDEF)) {
        return 0;
    }
    if (cp == 0xAD || cp == 0x61C || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
        (cp >= 0xFFF9 && cp <= 0xFFFB) || (cp >= 0xE0000 && cp <= 0xE007F)) {
        return 0;
    }
    return 1;
}

/*
 * Writes one code point: printable ones as UTF-8, '\\' and the |specials|
 * with a backslash, the others as \xNN, \uNNNN or \UNNNNNNNN.
 */
static void
sb_codepoint(struct cmp_sbuf *sb, uint32_t cp, const char *specials)
{
    uint8_t u[4];

    if (!cp_printable(cp)) {
        if (cp < 0x100) {
            cmp_sb_add(sb, "\\x%02X", (unsigned)cp);
        } else if (cp <= 0xFFFF) {
            cmp_sb_add(sb, "\\u%04X", (unsigned)cp);
        } else {
            cmp_sb_add(sb, "\\U%08lX", (unsigned long)cp);
        }
        return;
    }
    if (cp < 0x80) {
        if (cp == '\\' || strchr(specials, (int)cp) != NULL) {
            u[0] = '\\';
            u[1] = (uint8_t)cp;
            cmp_sb_putn(sb, u, 2);
        } else {
            u[0] = (uint8_t)cp;
            cmp_sb_putn(sb, u, 1);
        }
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xC0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3F));
        cmp_sb_putn(sb, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xE0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (uint8_t)(0x80 | (cp & 0x3F));
        cmp_sb_putn(sb, u, 3);
    } else {
        u[0] = (uint8_t)(0xF0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (uint8_t)(0x80 | (cp & 0x3F));
        cmp_sb_putn(sb, u, 4);
    }
}

/* Decodes one strict UTF-8 sequence; returns its length, 0 if invalid. */
static size_t
utf8_decode(const uint8_t *p, size_t len, uint32_t *out_cp)
{
    uint32_t cp, min;
    size_t n, i;

    if (p[0] < 0x80) {
        *out_cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0) {
        n = 2;
        cp = p[0] & 0x1Fu;
        min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        n = 3;
        cp = p[0] & 0x0Fu;
        min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        n = 4;
        cp = p[0] & 0x07u;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    *out_cp = cp;
    return n;
}

/* Appends text in encoding |enc|, escaped (see sb_codepoint()). */
void
cmp_sb_text(struct cmp_sbuf *sb, int enc, const uint8_t *p, size_t len, const char *specials)
{
    size_t i = 0, n;
    uint32_t cp;

    while (i < len && !sb->cut) {
        switch (enc) {
        case CMP_ENC_UTF8:
            n = utf8_decode(p + i, len - i, &cp);
            if (n == 0) {
                cmp_sb_add(sb, "\\x%02X", p[i]);
                n = 1;
            } else {
                sb_codepoint(sb, cp, specials);
            }
            break;
        case CMP_ENC_BMP:
        case CMP_ENC_UCS4:
            n = enc == CMP_ENC_BMP ? 2 : 4;
            if (len - i < n) {
                cmp_sb_add(sb, "\\x%02X", p[i]);
                n = 1;
                break;
            }
            cp = enc == CMP_ENC_BMP ? ((uint32_t)p[i] << 8) | p[i + 1]
                                    : ((uint32_t)p[i] << 24) | ((uint32_t)p[i + 1] << 16) |
                                          ((uint32_t)p[i + 2] << 8) | p[i + 3];
            sb_codepoint(sb, cp, specials);
            break;
        default: /* CMP_ENC_BYTES */
            n = 1;
            if (p[i] < 0x80) {
                sb_codepoint(sb, p[i], specials);
            } else {
                cmp_sb_add(sb, "\\x%02X", p[i]);
            }
            break;
        }
        i += n;
    }
}

/* "text" with quotes, escaped. */
void
cmp_sb_quoted(struct cmp_sbuf *sb, int enc, const struct der_in *s)
{
    cmp_sb_puts(sb, "\"");
    cmp_sb_text(sb, enc, s->p, s->len, "\"");
    cmp_sb_puts(sb, "\"");
}

/* The OID's name, or its dotted form; with |full| "name (1.2.3)". */
void
cmp_sb_oid(struct cmp_sbuf *sb, const struct der_in *oid, int full)
{
    char buf[192];
    const char *name;

    if (full) {
        (void)cmp_oid_text(oid, buf, sizeof(buf));
        cmp_sb_puts(sb, buf);
        return;
    }
    name = cmp_oid_name(oid);
    if (name != NULL) {
        cmp_sb_puts(sb, name);
    } else if (der_oid_to_text(oid, buf, sizeof(buf))) {
        cmp_sb_puts(sb, buf);
    } else {
        cmp_sb_puts(sb, "(bad OID)");
    }
}

/* ---- lines ---- */

/* One line, indented by two spaces per |level|. */
void
cmp_pline(struct cmp_printer *pr, int level, const char *fmt, ...)
{
    va_list ap;

    if (pr->failed) {
        return;
    }
    if (pr->fp == NULL) {
        char line[CMP_SB_CAP + 128];
        int n = snprintf(line, sizeof(line), "%*s", level * 2, "");

        if (n < 0 || (size_t)n >= sizeof(line)) {
            n = 0;
        }
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        if (pr->line != NULL) {
            pr->line(pr->line_arg, line);
        }
        return;
    }
    if (fprintf(pr->fp, "%*s", level * 2, "") < 0) {
        pr->failed = 1;
        return;
    }
    va_start(ap, fmt);
    if (vfprintf(pr->fp, fmt, ap) < 0 || fputc('\n', pr->fp) == EOF) {
        pr->failed = 1;
    }
    va_end(ap);
}

const char *
cmp_oid_str(struct cmp_sbuf *sb, const struct der_in *oid, int full)
{
    cmp_sb_init(sb);
    cmp_sb_oid(sb, oid, full);
    return sb->s;
}

void
cmp_print_hex_field(struct cmp_printer *pr, int level, const char *label, const struct der_in *v)
{
    struct cmp_sbuf sb;

    cmp_sb_init(&sb);
    if (v->len == 0) {
        cmp_sb_puts(&sb, "(empty)");
    } else {
        cmp_sb_hex(&sb, v->p, v->len);
    }
    cmp_pline(pr, level, "%s: %s", label, sb.s);
}
