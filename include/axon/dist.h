/* axon's communicator: the processes of a data-parallel run, and the
 * collectives training needs. The default is one process and no MPI; a
 * build with MPI (Open MPI, found by CMake) joins the processes mpirun
 * started.
 *
 * Sums are axon's, not MPI's: MPI_SUM may add in an order that changes
 * with the process count and the message size, so a sum here is always
 * ((x_0 + x_1) + x_2) + ... over the ranks in rank order, element by
 * element, and every rank gets the same bits. A single process that adds
 * N shards' values in that order computes exactly what N processes do. */
#ifndef AXON_DIST_H
#define AXON_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "axon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ax_comm ax_comm;

/* One process, rank 0 of 1: every collective is the identity. Free it
 * with ax_comm_free. */
ax_status ax_comm_single(ax_comm **out);
/* The processes mpirun started (MPI_Init; MPI_Finalize at ax_comm_free):
 * errors are returned, never MPI's abort. AX_ERR_UNSUPPORTED when axon was
 * built without MPI. At most one MPI communicator per process. */
ax_status ax_comm_mpi(int *argc, char ***argv, ax_comm **out);
/* Whether this build has MPI, and whether the process was started by
 * mpirun (Open MPI's environment says so) */
int ax_comm_mpi_built(void);
int ax_comm_launched_by_mpirun(void);
void ax_comm_free(ax_comm *c);

int ax_comm_rank(const ax_comm *c);
int ax_comm_size(const ax_comm *c);
const char *ax_comm_kind(const ax_comm *c); /* "single" or "mpi" */

/* data[i] = the sum over ranks, in rank order, of each rank's data[i];
 * the same bits on every rank. */
ax_status ax_comm_allreduce_sum(ax_comm *c, float *data, int64_t n);
ax_status ax_comm_allreduce_sum_f64(ax_comm *c, double *data, int64_t n);
/* The same sum while the caller goes on computing: start it, call
 * ax_comm_test now and then (MPI moves the data inside its calls), then
 * ax_comm_wait, which frees the request. data is the caller's until then:
 * neither read nor written while the sum runs. Every rank starts its sums
 * in the same order. At most 2^28 values per request. */
typedef struct ax_comm_request ax_comm_request;
ax_status ax_comm_iallreduce_sum(ax_comm *c, float *data, int64_t n, ax_comm_request **out);
ax_status ax_comm_test(ax_comm *c, ax_comm_request *r, int *done);
ax_status ax_comm_wait(ax_comm *c, ax_comm_request *r);
/* root's bytes to every rank */
ax_status ax_comm_broadcast(ax_comm *c, void *data, size_t bytes, int root);
ax_status ax_comm_barrier(ax_comm *c);
/* End every process of the job now, with exit status code (MPI_Abort;
 * one process: exit). For a program that has met an error on one rank
 * and must not leave the others waiting; the library never calls it. */
void ax_comm_abort(ax_comm *c, int code);

/* The same sum over shards held in one process: out[i] = ((x_0[i] +
 * x_1[i]) + ...) over shards[0..k), the order ax_comm_allreduce_sum adds
 * ranks in. out may be shards[0]. */
void ax_sum_in_order(float *out, const float *const *shards, int k, int64_t n);

#ifdef __cplusplus
}
#endif

#endif
