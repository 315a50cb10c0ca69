/* A communicator's parts (internal): what each kind provides. */
#ifndef AXON_DIST_COMM_H
#define AXON_DIST_COMM_H

#include "axon/dist.h"

struct ax_comm {
    const char *kind;
    int rank, size;
    /* sum n floats (f64: doubles) over the ranks in rank order, in place */
    ax_status (*allreduce)(ax_comm *c, void *data, int64_t n, int f64);
    ax_status (*broadcast)(ax_comm *c, void *data, size_t bytes, int root);
    ax_status (*barrier)(ax_comm *c);
    /* the nonblocking sum: start fills *out (NULL when done already), test
     * advances it, wait finishes and frees it */
    ax_status (*istart)(ax_comm *c, float *data, int64_t n, ax_comm_request **out);
    ax_status (*itest)(ax_comm *c, ax_comm_request *r, int *done);
    ax_status (*iwait)(ax_comm *c, ax_comm_request *r);
    void (*abort)(ax_comm *c, int code);
    void (*destroy)(ax_comm *c);
    void *impl;
};

#ifdef AXON_HAVE_MPI
ax_status ax_comm_mpi_open(int *argc, char ***argv, ax_comm **out);
#endif

#endif
