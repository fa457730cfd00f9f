/*
 * The in-process transfer: each request goes straight to a server engine
 * (openssl-cmp(1) -use_mock_srv; the tests and the fuzzers use it too). It
 * lives with the engine, above lib/transfer, whose interface it implements.
 */
#include <stdlib.h>

#include "server/internal.h"
#include "transfer/internal.h"

static int
inproc_exchange(void *ctx, const uint8_t *req, size_t req_len, int64_t timeout_ms, uint8_t **rsp,
                size_t *rsp_len, struct cmp_err *err)
{
    (void)timeout_ms; /* the engine answers at once */
    if (!cmp_srv_handle(ctx, req, req_len, rsp, rsp_len)) {
        return CMP_FAIL(err, CMP_E_MEMORY, "the in-process server could not answer");
    }
    return 1;
}

struct cmp_transfer *
cmp_transfer_inproc_new(struct cmp_srv *srv, struct cmp_err *err)
{
    if (srv == NULL) {
        CMP_FAIL(err, CMP_E_ARG, "in-process transfer: no server engine");
        return NULL;
    }
    return cmp_transfer_wrap(inproc_exchange, NULL, NULL, srv, err);
}
