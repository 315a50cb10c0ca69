/* The communicator over MPI (built when CMake finds MPI). The sum in rank
 * order: each rank owns a contiguous chunk of the values; an all-to-all
 * brings every rank's copy of chunk k to rank k, which adds them rank by
 * rank; an all-gather returns the sums. That moves what a ring allreduce
 * moves (each value twice), and the order of the additions never depends
 * on MPI. MPI errors are returned (MPI_ERRORS_RETURN), naming the rank.
 *
 * The nonblocking sums (MPI_Ialltoallv, then MPI_Iallgatherv) overlap
 * computing. MPI matches collectives on a communicator by the order in
 * which the ranks start them, so every rank must start them in one order:
 * all-to-alls are started by the caller (the same order everywhere) on one
 * communicator, all-gathers, which start when an all-to-all has arrived,
 * on a second, always in the order of their requests (a request's
 * all-gather waits for the ones before it). Blocking calls use a third. */
#include "dist/comm.h"

#include <limits.h>
#include <mpi.h>
#include <string.h>


typedef struct mpi_impl {
    MPI_Comm blocking, scatter, gather;
    ax_comm_request *head, *tail; /* the nonblocking sums on their way, in the order they were started */
} mpi_impl;

static ax_status failed(const ax_comm *c, const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(code, text, &len);
    return ax_fail(AX_ERR_IO, "rank %d of %d: %s failed: %s", c->rank, c->size, what, text);
}

/* One sum in rank order on its way: the all-to-all of the chunks (phase
 * 0), then the all-gather of the sums (phase 1); 2 when done. */
struct ax_comm_request {
    char *data;
    int f64, phase, mine;
    int *counts, *displs, *rcounts, *rdispls; /* p each (displs p + 1), in one block */
    void *chunks;                             /* every rank's copy of this rank's chunk */
    MPI_Request request;
    ax_comm_request *next;
};

static void request_free(ax_comm_request *r)
{
    if (!r)
        return;
    ax_free(r->counts);
    ax_free(r->chunks);
    ax_free(r);
}

/* This rank's chunk: the ranks' copies added rank by rank */
static void add_chunks(ax_comm_request *r, int p)
{
    const int mine = r->mine;
    const size_t size = r->f64 ? sizeof(double) : sizeof(float);
    char *own = r->data + (size_t)r->displs[p] * size; /* displs[p]: where this rank's chunk starts */
    if (r->f64) {
        double *out = (double *)own;
        const double *in = r->chunks;
        memcpy(out, in, (size_t)mine * size);
        for (int k = 1; k < p; k++)
#pragma omp simd
            for (int i = 0; i < mine; i++)
                out[i] += in[(size_t)k * mine + i];
    } else {
        float *out = (float *)own;
        const float *in = r->chunks;
        memcpy(out, in, (size_t)mine * size);
        for (int k = 1; k < p; k++)
#pragma omp simd
            for (int i = 0; i < mine; i++)
                out[i] += in[(size_t)k * mine + i];
    }
}

/* n values (at most 2^28, so every count fits an int) on `scatter` */
static ax_status request_start(ax_comm *c, MPI_Comm scatter, void *data, int64_t n, int f64,
                               ax_comm_request **out)
{
    const int p = c->size, me = c->rank;
    const size_t size = f64 ? sizeof(double) : sizeof(float);
    ax_comm_request *r = ax_calloc(1, sizeof *r);
    if (r)
        r->counts = ax_calloc((size_t)(4 * p + 1), sizeof(int));
    const int mine = (int)(n / p + (me < n % p));
    if (r && r->counts)
        r->chunks = ax_alloc((size_t)p * (size_t)(mine ? mine : 1) * size);
    if (!r || !r->counts || !r->chunks) {
        request_free(r);
        return ax_fail(AX_ERR_NOMEM, "rank %d: allreduce: out of memory for %lld values", me, (long long)n);
    }
    r->data = data, r->f64 = f64, r->mine = mine;
    r->displs = r->counts + p, r->rcounts = r->displs + p + 1, r->rdispls = r->rcounts + p;
    for (int k = 0, at = 0; k < p; k++) {
        r->counts[k] = (int)(n / p + (k < n % p));
        r->displs[k] = at;
        at += r->counts[k];
    }
    r->displs[p] = r->displs[me];
    for (int k = 0; k < p; k++)
        r->rcounts[k] = mine, r->rdispls[k] = k * mine;
    const MPI_Datatype type = f64 ? MPI_DOUBLE : MPI_FLOAT;
    const int rc = MPI_Ialltoallv(data, r->counts, r->displs, type, r->chunks, r->rcounts, r->rdispls, type, scatter,
                                  &r->request);
    if (rc != MPI_SUCCESS) {
        request_free(r);
        return failed(c, "allreduce (all-to-all)", rc);
    }
    *out = r;
    return AX_OK;
}

/* The chunks have come: add them and send the sums back. */
static ax_status request_gather(ax_comm *c, MPI_Comm gather, ax_comm_request *r)
{
    add_chunks(r, c->size);
    r->phase = 1;
    const MPI_Datatype type = r->f64 ? MPI_DOUBLE : MPI_FLOAT;
    const int rc = MPI_Iallgatherv(MPI_IN_PLACE, 0, type, r->data, r->counts, r->displs, type, gather, &r->request);
    return rc == MPI_SUCCESS ? AX_OK : failed(c, "allreduce (all-gather)", rc);
}

static ax_status request_check(ax_comm *c, ax_comm_request *r, int block, int *done)
{
    int ready = 1;
    const int rc = block ? MPI_Wait(&r->request, MPI_STATUS_IGNORE) : MPI_Test(&r->request, &ready, MPI_STATUS_IGNORE);
    *done = ready;
    return rc == MPI_SUCCESS ? AX_OK : failed(c, r->phase ? "allreduce (all-gather)" : "allreduce (all-to-all)", rc);
}

/* Move the sums on their way along: all-gathers start in the requests'
 * order, so one whose all-to-all has not arrived holds back the later
 * ones. block: wait for the first unfinished request to move. */
static ax_status progress(ax_comm *c, int block)
{
    mpi_impl *m = c->impl;
    int in_order = 1;
    for (ax_comm_request *r = m->head; r; r = r->next) {
        if (r->phase == 2 || (r->phase == 0 && !in_order))
            continue;
        int done = 0;
        ax_status s = request_check(c, r, block, &done);
        block = 0;
        if (s == AX_OK && done && r->phase == 0)
            s = request_gather(c, m->gather, r);
        else if (done)
            r->phase = 2;
        if (s != AX_OK)
            return s;
        in_order &= r->phase > 0;
    }
    return AX_OK;
}

static void unlink_request(mpi_impl *m, ax_comm_request *r)
{
    ax_comm_request **at = &m->head, *before = NULL;
    while (*at && *at != r)
        before = *at, at = &(*at)->next;
    if (*at)
        *at = r->next;
    if (m->tail == r)
        m->tail = before;
}

static ax_status mpi_istart(ax_comm *c, float *data, int64_t n, ax_comm_request **out)
{
    mpi_impl *m = c->impl;
    ax_status s = request_start(c, m->scatter, data, n, 0, out);
    if (s != AX_OK)
        return s;
    if (m->tail)
        m->tail->next = *out;
    else
        m->head = *out;
    m->tail = *out;
    return AX_OK;
}

static ax_status mpi_itest(ax_comm *c, ax_comm_request *r, int *done)
{
    const ax_status s = progress(c, 0);
    *done = s == AX_OK && r->phase == 2;
    return s;
}

static ax_status mpi_iwait(ax_comm *c, ax_comm_request *r)
{
    ax_status s = AX_OK;
    while (s == AX_OK && r->phase < 2)
        s = progress(c, 1);
    unlink_request(c->impl, r);
    request_free(r);
    return s;
}

/* The blocking sum: one request on the third communicator, waited for. */
static ax_status mpi_allreduce(ax_comm *c, void *data, int64_t n, int f64)
{
    mpi_impl *m = c->impl;
    const int64_t segment = (int64_t)1 << 28;
    const size_t size = f64 ? sizeof(double) : sizeof(float);
    ax_status s = AX_OK;
    for (int64_t at = 0; at < n && s == AX_OK; at += segment) {
        ax_comm_request *r;
        s = request_start(c, m->blocking, (char *)data + (size_t)at * size, n - at < segment ? n - at : segment, f64,
                          &r);
        int done;
        if (s == AX_OK && (s = request_check(c, r, 1, &done)) == AX_OK &&
            (s = request_gather(c, m->blocking, r)) == AX_OK)
            s = request_check(c, r, 1, &done);
        request_free(r);
    }
    return s;
}

static ax_status mpi_broadcast(ax_comm *c, void *data, size_t bytes, int root)
{
    mpi_impl *m = c->impl;
    for (size_t at = 0; at < bytes; at += (size_t)INT_MAX) {
        const size_t k = bytes - at < (size_t)INT_MAX ? bytes - at : (size_t)INT_MAX;
        const int rc = MPI_Bcast((char *)data + at, (int)k, MPI_BYTE, root, m->blocking);
        if (rc != MPI_SUCCESS)
            return failed(c, "broadcast", rc);
    }
    return AX_OK;
}

static ax_status mpi_barrier(ax_comm *c)
{
    mpi_impl *m = c->impl;
    const int rc = MPI_Barrier(m->blocking);
    return rc == MPI_SUCCESS ? AX_OK : failed(c, "barrier", rc);
}

static void mpi_abort(ax_comm *c, int code)
{
    (void)c;
    MPI_Abort(MPI_COMM_WORLD, code);
}

static void mpi_destroy(ax_comm *c)
{
    mpi_impl *m = c->impl;
    while (m && m->head) { /* sums never waited for: finish them, so MPI lets their buffers go */
        ax_comm_request *r = m->head;
        mpi_iwait(c, r);
    }
    if (m) {
        MPI_Comm_free(&m->blocking);
        MPI_Comm_free(&m->scatter);
        MPI_Comm_free(&m->gather);
    }
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
    /* the copies keep MPI_COMM_WORLD's error handler */
    if (MPI_Comm_dup(MPI_COMM_WORLD, &m->blocking) != MPI_SUCCESS ||
        MPI_Comm_dup(MPI_COMM_WORLD, &m->scatter) != MPI_SUCCESS ||
        MPI_Comm_dup(MPI_COMM_WORLD, &m->gather) != MPI_SUCCESS) {
        ax_free(c), ax_free(m);
        MPI_Finalize();
        return ax_fail(AX_ERR_IO, "MPI_Comm_dup failed");
    }
    *c = (ax_comm){.kind = "mpi", .allreduce = mpi_allreduce, .broadcast = mpi_broadcast, .barrier = mpi_barrier,
                   .istart = mpi_istart, .itest = mpi_itest, .iwait = mpi_iwait, .abort = mpi_abort,
                   .destroy = mpi_destroy, .impl = m};
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    *out = c;
    return AX_OK;
}
