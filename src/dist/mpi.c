/* The communicator over MPI (built when CMake finds MPI). The sum in rank
 * order: each rank owns a contiguous chunk of the values; an all-to-all
 * brings every rank's copy of chunk k to rank k, which adds them rank by
 * rank; an all-gather returns the sums. That moves what a ring allreduce
 * moves (each value twice), and the order of the additions never depends
 * on MPI. MPI errors are returned (MPI_ERRORS_RETURN), naming the rank. */
#include "dist/comm.h"

#include <limits.h>
#include <mpi.h>
#include <string.h>

typedef struct mpi_impl {
    void *buffer; /* the chunks received, grown as needed */
    size_t bytes;
} mpi_impl;

static ax_status failed(const ax_comm *c, const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(code, text, &len);
    return ax_fail(AX_ERR_IO, "rank %d of %d: %s failed: %s", c->rank, c->size, what, text);
}

/* The values of one segment (at most 2^28, so every count fits an int). */
static ax_status allreduce_segment(ax_comm *c, char *data, int64_t n, int f64)
{
    mpi_impl *m = c->impl;
    const int p = c->size, me = c->rank;
    const size_t size = f64 ? sizeof(double) : sizeof(float);
    const MPI_Datatype type = f64 ? MPI_DOUBLE : MPI_FLOAT;
    int counts[p], displs[p], rcounts[p], rdispls[p];
    for (int k = 0, at = 0; k < p; k++) {
        counts[k] = (int)(n / p + (k < n % p));
        displs[k] = at;
        at += counts[k];
    }
    const int mine = counts[me];
    for (int r = 0; r < p; r++)
        rcounts[r] = mine, rdispls[r] = r * mine;
    const size_t need = (size_t)p * (size_t)(mine ? mine : 1) * size;
    if (need > m->bytes) {
        void *grown = ax_realloc(m->buffer, need);
        if (!grown)
            return ax_fail(AX_ERR_NOMEM, "rank %d: allreduce: out of memory for %zu bytes", me, need);
        m->buffer = grown, m->bytes = need;
    }
    int rc = MPI_Alltoallv(data, counts, displs, type, m->buffer, rcounts, rdispls, type, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return failed(c, "allreduce (all-to-all)", rc);
    char *own = data + (size_t)displs[me] * size;
    if (f64) {
        double *out = (double *)own;
        const double *in = m->buffer;
        memcpy(out, in, (size_t)mine * size);
        for (int r = 1; r < p; r++)
#pragma omp simd
            for (int i = 0; i < mine; i++)
                out[i] += in[(size_t)r * mine + i];
    } else {
        float *out = (float *)own;
        const float *in = m->buffer;
        memcpy(out, in, (size_t)mine * size);
        for (int r = 1; r < p; r++)
#pragma omp simd
            for (int i = 0; i < mine; i++)
                out[i] += in[(size_t)r * mine + i];
    }
    rc = MPI_Allgatherv(MPI_IN_PLACE, 0, type, data, counts, displs, type, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? AX_OK : failed(c, "allreduce (all-gather)", rc);
}

static ax_status mpi_allreduce(ax_comm *c, void *data, int64_t n, int f64)
{
    const int64_t segment = (int64_t)1 << 28;
    const size_t size = f64 ? sizeof(double) : sizeof(float);
    ax_status s = AX_OK;
    for (int64_t at = 0; at < n && s == AX_OK; at += segment)
        s = allreduce_segment(c, (char *)data + (size_t)at * size, n - at < segment ? n - at : segment, f64);
    return s;
}

static ax_status mpi_broadcast(ax_comm *c, void *data, size_t bytes, int root)
{
    for (size_t at = 0; at < bytes; at += (size_t)INT_MAX) {
        const size_t k = bytes - at < (size_t)INT_MAX ? bytes - at : (size_t)INT_MAX;
        const int rc = MPI_Bcast((char *)data + at, (int)k, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return failed(c, "broadcast", rc);
    }
    return AX_OK;
}

static ax_status mpi_barrier(ax_comm *c)
{
    const int rc = MPI_Barrier(MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? AX_OK : failed(c, "barrier", rc);
}

static void mpi_destroy(ax_comm *c)
{
    mpi_impl *m = c->impl;
    if (m)
        ax_free(m->buffer);
    ax_free(m);
    int done = 0;
    MPI_Finalized(&done);
    if (!done)
        MPI_Finalize();
}

ax_status ax_comm_mpi_open(int *argc, char ***argv, ax_comm **out)
{
    int ready = 0, provided = 0;
    MPI_Initialized(&ready);
    if (ready)
        return ax_fail(AX_ERR_STATE, "MPI is initialised already: one MPI communicator per process");
    /* MPI is called from the thread that trains only; OpenMP's threads never call it */
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return ax_fail(AX_ERR_IO, "MPI_Init failed (was the program started by mpirun?)");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    ax_comm *c = ax_calloc(1, sizeof *c);
    mpi_impl *m = ax_calloc(1, sizeof *m);
    if (!c || !m) {
        ax_free(c), ax_free(m);
        MPI_Finalize();
        return ax_fail(AX_ERR_NOMEM, "communicator: out of memory");
    }
    *c = (ax_comm){.kind = "mpi", .allreduce = mpi_allreduce, .broadcast = mpi_broadcast, .barrier = mpi_barrier,
                   .destroy = mpi_destroy, .impl = m};
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    *out = c;
    return AX_OK;
}
