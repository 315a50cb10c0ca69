/* Data-parallel training (internal to fit): each batch split into N
 * shards of consecutive rows, shard k computed by rank k of a
 * communicator or, in one process, all N in turn (ax_fit_config.shards);
 * each shard's gradient scaled by its share of the rows and the shards'
 * gradients added in shard order, so both ways give the same bits.
 *
 * A step: ax_dp_begin_step; for each of this process's shards j,
 * ax_dp_shard_rows, ax_dp_before_shard, forward and backward (on several
 * ranks the gradients go out in buckets while backward runs),
 * ax_dp_after_shard, ax_dp_add_record; then ax_dp_finish_step. */
#ifndef AXON_TRAIN_PARALLEL_H
#define AXON_TRAIN_PARALLEL_H

#include "axon/dist.h"
#include "axon/train.h"

typedef struct ax_dp ax_dp;

/* comm NULL: one process; shards: how many this one process computes in
 * turn (1 with a communicator of several ranks). loss: the node backward
 * starts from (to know when each parameter's gradient is final). */
ax_status ax_dp_new(ax_graph *g, ax_node *loss, ax_comm *comm, int shards, int64_t bucket_bytes, ax_dp **out);
void ax_dp_free(ax_dp *dp);

int ax_dp_size(const ax_dp *dp);  /* N, the shards of a batch */
int ax_dp_count(const ax_dp *dp); /* the shards this process computes */
int ax_dp_first(const ax_dp *dp); /* the first of them */
int ax_dp_rank(const ax_dp *dp);  /* this process's rank (0 alone) */
int ax_dp_ranks(const ax_dp *dp); /* the processes (1 alone) */
ax_comm *ax_dp_comm(const ax_dp *dp);

/* Shard k of a batch of n rows: rows [*first, *first + *rows); the first
 * n % N shards have one row more. */
void ax_dp_shard_rows(const ax_dp *dp, int64_t n, int k, int64_t *first, int64_t *rows);

/* Every rank starts from rank 0's parameters, buffers and random stream,
 * and must hold the same data and settings (a value per rank in `check`:
 * a mismatch is an error on every rank naming the first rank that
 * differs and what). */
ax_status ax_dp_start(ax_dp *dp, const int64_t *check, const char *const *what, int n_check);

ax_status ax_dp_begin_step(ax_dp *dp);
/* Before this process's j-th shard of the step, a batch of n rows. */
ax_status ax_dp_before_shard(ax_dp *dp, int j, int64_t n);
/* After its backward pass (or instead of it: failed, the gradients are
 * zeroed and still sent, so that no rank waits for this one). */
ax_status ax_dp_after_shard(ax_dp *dp, int j, int failed);
/* total = the shards' records added in shard order (j 0 copies). */
void ax_dp_add_record(const ax_dp *dp, int j, double *total, const double *record, int n);
/* Gradients summed over every shard in the gradient span, buffers as
 * shard 0 left them, the record summed over the ranks. failed: this
 * process failed in the step; an error on every rank names the first rank
 * that did (`what` says where, for the message). */
ax_status ax_dp_finish_step(ax_dp *dp, double *record, int n, int failed, const char *what);

/* An evaluation pass's record (loss sums and counts) summed over ranks in
 * rank order; failed as above. */
ax_status ax_dp_reduce(ax_dp *dp, double *record, int n, int failed, const char *what);

void ax_dp_stats(const ax_dp *dp, ax_parallel_stats *out);

#endif
