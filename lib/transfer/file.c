/*
 * -reqout, -rspin, -rspout (openssl-cmp(1)): the n-th request of a
 * transaction is saved to the n-th -reqout file, its response is read from
 * the n-th -rspin file if there is one (else the inner transfer is asked)
 * and saved to the n-th -rspout file. When -reqin replaces a request, the
 * client hands the one it created to cmp_transfer_save_request(), and
 * that one is saved, as the manual says ("requests created by the client...
 * not sent to the server if the -reqin option is used, too").
 */
#include <stdlib.h>
#include <string.h>

#include "transfer/internal.h"

struct files {
    struct cmp_names reqout, rspin, rspout;
    struct cmp_transfer *inner; /* owned; may be NULL */
    size_t pos;                 /* exchanges so far in this transaction */
    int last_from_rspin;        /* the last response was read from an -rspin file */
    uint8_t *created;           /* the request to save instead of the one sent, or NULL */
    size_t created_len;
};

static int
files_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
               size_t *rsp_len, struct cmp_err *err)
{
    struct files *f = ctx;
    size_t n = f->pos++;

    f->last_from_rspin = 0;
    if (n < f->reqout.num) {
        int ok = f->created != NULL
                     ? cmp_file_write(f->reqout.items[n], f->created, f->created_len, err)
                     : cmp_file_write(f->reqout.items[n], req, req_len, err);

        free(f->created);
        f->created = NULL;
        if (!ok) {
            return CMP_CONTEXT(err, "-reqout");
        }
    }
    if (n < f->rspin.num) {
        if (!cmp_file_read(f->rspin.items[n], CMP_TRANSFER_MAX_RESPONSE, rsp, rsp_len, err)) {
            return CMP_CONTEXT(err, "-rspin");
        }
        f->last_from_rspin = 1;
    } else if (f->inner == NULL) {
        return CMP_FAIL(err, CMP_E_ARG,
                        "response #%zu needed, but only %zu -rspin file(s) and no server given",
                        n + 1, f->rspin.num);
    } else if (!cmp_transfer_exchange(f->inner, req, req_len, timeout_ms, rsp, rsp_len, err)) {
        return 0;
    }
    if (n < f->rspout.num && !cmp_file_write(f->rspout.items[n], *rsp, *rsp_len, err)) {
        free(*rsp);
        *rsp = NULL;
        return CMP_CONTEXT(err, "-rspout");
    }
    return 1;
}

/* CMP_TRANSFER_RSP_FROM_FILE after an -rspin file, CMP_TRANSFER_SAVES_REQUEST before a -reqout one. */
static unsigned
files_caps(void *ctx)
{
    const struct files *f = ctx;
    unsigned caps = 0;

    if (f->last_from_rspin) {
        caps |= CMP_TRANSFER_RSP_FROM_FILE;
    }
    if (f->pos < f->reqout.num) {
        caps |= CMP_TRANSFER_SAVES_REQUEST;
    }
    return caps;
}

static int
files_save_request(void *ctx, const uint8_t *der, size_t len, struct cmp_err *err)
{
    struct files *f = ctx;

    free(f->created);
    f->created = malloc(len > 0 ? len : 1);
    if (f->created == NULL) {
        return CMP_FAIL(err, CMP_E_MEMORY, "-reqout");
    }
    if (len > 0) {
        memcpy(f->created, der, len);
    }
    f->created_len = len;
    return 1;
}

static void
files_close(void *ctx)
{
    struct files *f = ctx;

    f->pos = 0;
    free(f->created);
    f->created = NULL;
    cmp_transfer_close(f->inner);
}

static void
files_free(void *ctx)
{
    struct files *f = ctx;

    if (f == NULL) {
        return;
    }
    cmp_names_cleanup(&f->reqout);
    cmp_names_cleanup(&f->rspin);
    cmp_names_cleanup(&f->rspout);
    free(f->created);
    cmp_transfer_free(f->inner);
    free(f);
}

struct cmp_transfer *
cmp_transfer_files_new(const struct cmp_file_opts *opts, struct cmp_transfer *inner,
                       struct cmp_err *err)
{
    struct cmp_transfer *t;
    struct files *f;

    if (opts == NULL) {
        cmp_transfer_free(inner);
        CMP_FAIL(err, CMP_E_ARG, "file transfer: no options");
        return NULL;
    }
    f = calloc(1, sizeof(*f));
    if (f == NULL) {
        cmp_transfer_free(inner);
        CMP_FAIL(err, CMP_E_MEMORY, "file transfer");
        return NULL;
    }
    f->inner = inner;
    if (!cmp_names_split(&f->reqout, opts->reqout, err) ||
        !cmp_names_split(&f->rspin, opts->rspin, err) ||
        !cmp_names_split(&f->rspout, opts->rspout, err)) {
        files_free(f);
        return NULL;
    }
    t = cmp_transfer_wrap(files_exchange, files_close, files_free, f, err);
    if (t != NULL) {
        t->caps = files_caps;
        t->save_request = files_save_request;
    }
    return t;
}
