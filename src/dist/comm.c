/* The communicator: the one-process default, the calls every kind shares,
 * and the in-process sum in rank order (the reference MPI runs match). */
#include "dist/comm.h"

#include <stdlib.h>
#include <string.h>

static ax_status single_allreduce(ax_comm *c, void *data, int64_t n, int f64)
{
    (void)c, (void)data, (void)n, (void)f64;
    return AX_OK;
}

static ax_status single_broadcast(ax_comm *c, void *data, size_t bytes, int root)
{
    (void)c, (void)data, (void)bytes, (void)root;
    return AX_OK;
}

static ax_status single_barrier(ax_comm *c)
{
    (void)c;
    return AX_OK;
}

/* one process: the sum is its own values, done at once */
static ax_status single_istart(ax_comm *c, float *data, int64_t n, ax_comm_request **out)
{
    (void)c, (void)data, (void)n;
    *out = NULL;
    return AX_OK;
}

static void single_abort(ax_comm *c, int code)
{
    (void)c;
    exit(code);
}

ax_status ax_comm_single(ax_comm **out)
{
    if (!(*out = ax_calloc(1, sizeof **out)))
        return ax_fail(AX_ERR_NOMEM, "communicator: out of memory");
    **out = (ax_comm){.kind = "single", .rank = 0, .size = 1, .allreduce = single_allreduce,
                      .broadcast = single_broadcast, .barrier = single_barrier, .istart = single_istart,
                      .abort = single_abort};
    return AX_OK;
}

int ax_comm_mpi_built(void)
{
#ifdef AXON_HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

int ax_comm_launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL || getenv("PMI_SIZE") != NULL;
}

ax_status ax_comm_mpi(int *argc, char ***argv, ax_comm **out)
{
    *out = NULL;
#ifdef AXON_HAVE_MPI
    return ax_comm_mpi_open(argc, argv, out);
#else
    (void)argc, (void)argv;
    return ax_fail(AX_ERR_UNSUPPORTED, "this axon was built without MPI (install libopenmpi-dev and rebuild)");
#endif
}

void ax_comm_free(ax_comm *c)
{
    if (!c)
        return;
    if (c->destroy)
        c->destroy(c);
    ax_free(c);
}

int ax_comm_rank(const ax_comm *c) { return c->rank; }
int ax_comm_size(const ax_comm *c) { return c->size; }
const char *ax_comm_kind(const ax_comm *c) { return c->kind; }

ax_status ax_comm_allreduce_sum(ax_comm *c, float *data, int64_t n)
{
    if (n < 0 || (n > 0 && !data))
        return ax_fail(AX_ERR_INVALID_ARG, "allreduce: needs data for %lld values", (long long)n);
    return n ? c->allreduce(c, data, n, 0) : AX_OK;
}

ax_status ax_comm_allreduce_sum_f64(ax_comm *c, double *data, int64_t n)
{
    if (n < 0 || (n > 0 && !data))
        return ax_fail(AX_ERR_INVALID_ARG, "allreduce: needs data for %lld values", (long long)n);
    return n ? c->allreduce(c, data, n, 1) : AX_OK;
}

ax_status ax_comm_broadcast(ax_comm *c, void *data, size_t bytes, int root)
{
    if (root < 0 || root >= c->size)
        return ax_fail(AX_ERR_INVALID_ARG, "broadcast: root %d is not a rank (0..%d)", root, c->size - 1);
    if (bytes && !data)
        return ax_fail(AX_ERR_INVALID_ARG, "broadcast: needs data for %zu bytes", bytes);
    return bytes ? c->broadcast(c, data, bytes, root) : AX_OK;
}

ax_status ax_comm_barrier(ax_comm *c) { return c->barrier(c); }

ax_status ax_comm_iallreduce_sum(ax_comm *c, float *data, int64_t n, ax_comm_request **out)
{
    *out = NULL;
    if (n < 0 || n > (int64_t)1 << 28 || (n > 0 && !data))
        return ax_fail(AX_ERR_INVALID_ARG, "allreduce: needs data for %lld values (at most 2^28 per request)",
                       (long long)n);
    return n ? c->istart(c, data, n, out) : AX_OK;
}

ax_status ax_comm_test(ax_comm *c, ax_comm_request *r, int *done)
{
    *done = 1;
    return r ? c->itest(c, r, done) : AX_OK;
}

ax_status ax_comm_wait(ax_comm *c, ax_comm_request *r) { return r ? c->iwait(c, r) : AX_OK; }

void ax_comm_abort(ax_comm *c, int code) { c->abort(c, code); }

void ax_sum_in_order(float *out, const float *const *shards, int k, int64_t n)
{
    if (k <= 0)
        return;
    if (out != shards[0])
        memcpy(out, shards[0], (size_t)n * sizeof *out);
    for (int s = 1; s < k; s++) {
        const float *x = shards[s];
#pragma omp simd
        for (int64_t i = 0; i < n; i++)
            out[i] += x[i];
    }
}
