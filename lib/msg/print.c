/*
 * cmp_msg_print(): a PKIMessage for people. The header's printer is in
 * header.c, each body's beside its codec (through the body table, body.c),
 * the output buffer in printbuf.c and the certificates' in x509print.c.
 * libc only.
 */
#include <stdio.h>
#include <string.h>

#include "cmpkit/msg.h"
#include "msg/internal.h"

void
cmp_print_msg(struct cmp_printer *pr, int level, const char *label, const struct cmp_msg *msg,
              int depth)
{
    const struct cmp_body_desc *d = cmp_body_desc(msg->body.type);
    char size[40] = "";

    if (depth > CMP_MAX_NESTING + 1) {
        cmp_pline(pr, level, "%s: (nested too deeply)", label);
        return;
    }
    if (msg->raw.len > 0) {
        snprintf(size, sizeof(size), ", %zu bytes", msg->raw.len);
    }
    if (d != NULL) {
        cmp_pline(pr, level, "%s: %s (%s)%s", label, d->name, d->description, size);
    } else {
        cmp_pline(pr, level, "%s: [%d]%s", label, msg->body.type, size);
    }
    cmp_print_header(pr, level + 1, &msg->hdr);
    if (d != NULL) {
        d->codec->print(pr, level + 1, d->name, &msg->body.u, depth);
    } else {
        cmp_pline(pr, level + 1, "body: [%d]", msg->body.type);
    }
    if (msg->has_protection) {
        if (msg->protection_unused != 0) {
            cmp_pline(pr, level + 1, "protection: %zu bytes (%u unused bits)", msg->protection.len,
                      msg->protection_unused);
        } else {
            cmp_pline(pr, level + 1, "protection: %zu bytes", msg->protection.len);
        }
    } else {
        cmp_pline(pr, level + 1, "protection: (none)");
    }
    if (msg->has_extra_certs) {
        cmp_print_certs(pr, level + 1, "extraCerts", &msg->extra_certs);
    }
}

int
cmp_msg_print(FILE *fp, const struct cmp_msg *msg)
{
    struct cmp_printer pr;

    if (fp == NULL || msg == NULL) {
        return 0;
    }
    memset(&pr, 0, sizeof(pr));
    pr.fp = fp;
    cmp_print_msg(&pr, 0, "PKIMessage", msg, 0);
    return !pr.failed;
}

void
cmp_msg_print_lines(const struct cmp_msg *msg, int header_only, cmp_msg_line_fn *fn, void *arg)
{
    struct cmp_printer pr;

    if (msg == NULL || fn == NULL) {
        return;
    }
    memset(&pr, 0, sizeof(pr));
    pr.line = fn;
    pr.line_arg = arg;
    if (header_only) {
        cmp_print_header(&pr, 0, &msg->hdr);
    } else {
        cmp_print_msg(&pr, 0, "PKIMessage", msg, 0);
    }
}
