/*
 * nested, RFC 9810 5.3.14 and 5.1.3.4: PKIMessages ::= SEQUENCE SIZE
 * (1..MAX) OF PKIMessage, codec and printer. Each nested message is decoded
 * in full, at most CMP_MAX_NESTING levels deep.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg/internal.h"

static void
nested_cleanup(void *content)
{
    struct cmp_msgs *m = content;
    size_t i;

    for (i = 0; i < m->num; i++) {
        if (m->items[i] != NULL) {
            cmp_msg_cleanup(m->items[i]);
            free(m->items[i]);
        }
    }
    free(m->items);
    memset(m, 0, sizeof(*m));
}

/* One nested PKIMessage; |arg| is the nesting depth of the message holding it. */
static int
nested_msg_decode(struct der_in *in, void *elem, void *arg, struct cmp_err *err)
{
    struct cmp_msg **msg = elem;

    *msg = calloc(1, sizeof(**msg));
    if (*msg == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "PKIMessages");
    }
    return cmp_msg_decode_in(in, *msg, *(const int *)arg + 1, err);
}

static const struct cmp_seq_of msgs_seq = {"PKIMessages", "nested PKIMessage",
                                           sizeof(struct cmp_msg *), 1, nested_msg_decode};

static int
nested_decode(struct der_in *in, void *content, int depth, struct cmp_err *err)
{
    struct cmp_msgs *out = content;
    void *items;
    int ok;

    if (depth >= CMP_MAX_NESTING) {
        cmp_err_set(err, CMP_E_LIMIT, CMP_FI_BAD_DATA_FORMAT, __FILE__, __LINE__,
                    "nested messages deeper than %d", CMP_MAX_NESTING);
        cmp_err_set_pos(err, in->p);
        return 0;
    }
    ok = cmp_seq_of_decode(in, DER_SEQUENCE, &msgs_seq, &depth, &items, &out->num, err);
    out->items = items;
    return ok;
}

static int
nested_encode(struct der_out *out, const void *content)
{
    const struct cmp_msgs *m = content;
    size_t seq, i;

    if (!der_open(out, DER_SEQUENCE, &seq)) {
        return 0;
    }
    for (i = 0; i < m->num; i++) {
        if (!cmp_msg_encode_out(out, m->items[i])) {
            return 0;
        }
    }
    return der_close(out, seq);
}

static void
nested_print(struct cmp_printer *pr, int level, const char *name, const void *content, int depth)
{
    const struct cmp_msgs *m = content;
    char label[48];
    size_t i;

    cmp_pline(pr, level, "body: %s, %zu message%s", name, m->num, m->num == 1 ? "" : "s");
    for (i = 0; i < m->num; i++) {
        snprintf(label, sizeof(label), "PKIMessage #%zu", i);
        cmp_print_msg(pr, level + 1, label, m->items[i], depth + 1);
    }
}

const struct cmp_body_codec cmp_nested_body = {"PKIMessages",  sizeof(struct cmp_msgs),
                                               nested_decode,  nested_encode,
                                               nested_cleanup, nested_print};
