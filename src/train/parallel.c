/* Data-parallel training: the shards of a batch, their gradients' sum in
 * shard order, and the buckets that send gradients while backward runs
 * (train/parallel.h). */
#include "train/parallel.h"

#include "core/threads.h"

#include <math.h>
#include <string.h>

/* A bucket: a contiguous range of the gradient span, whose parameters'
 * gradients are all final once backward has run op `ready` (-1: only
 * after backward returns). Buckets are sent in their order. */
typedef struct bucket {
    int64_t offset, n;
    int ready;
    ax_comm_request *request;
    int started, done;
} bucket;

struct ax_dp {
    ax_graph *g;
    ax_comm *comm;
    int size, count, first, ranks, rank;
    float scale;    /* the shard's share of the batch's rows */
    float *sum;     /* one process, several shards: the gradients' sum so far */
    float *buffers_before, *buffers_first; /* buffers at the step's start and after shard 0 */
    ax_rng pass;    /* the step's stream: every shard's forward pass starts from it */
    ax_rng next;    /* the graph's stream after the step */
    bucket *buckets;
    int n_buckets, next_bucket;
    ax_status error; /* a failed sum inside the backward hook */
    double shard_start;
    ax_parallel_stats stats;
};

int ax_dp_size(const ax_dp *dp) { return dp->size; }
int ax_dp_count(const ax_dp *dp) { return dp->count; }
int ax_dp_first(const ax_dp *dp) { return dp->first; }
int ax_dp_rank(const ax_dp *dp) { return dp->rank; }
int ax_dp_ranks(const ax_dp *dp) { return dp->ranks; }
ax_comm *ax_dp_comm(const ax_dp *dp) { return dp->comm; }

void ax_dp_shard_rows(const ax_dp *dp, int64_t n, int k, int64_t *first, int64_t *rows)
{
    const int64_t base = n / dp->size, extra = n % dp->size;
    *rows = base + (k < extra);
    *first = k * base + (k < extra ? k : extra);
}

/* ---- buckets -------------------------------------------------------------
 * Backward runs the ops from the loss down, so a parameter's gradient is
 * final after the lowest-numbered op that reads it on a path to the loss.
 * Parameters are laid out in creation order, so the last layers' (whose
 * gradients come first) sit at the span's end: buckets are cut from the
 * end backwards, each closed before the parameter that would take it past
 * bucket_bytes (a larger parameter has a bucket of its own). */
static ax_status make_buckets(ax_dp *dp, ax_node *loss, int64_t bucket_bytes)
{
    ax_graph *g = dp->g;
    const int n_nodes = ax_graph_num_nodes(g), n_params = ax_graph_num_params(g);
    const ax_span grads = ax_graph_grad_span(g);
    char *reaches = ax_calloc((size_t)n_nodes, 1);
    int *ready = ax_alloc((size_t)(n_params ? n_params : 1) * sizeof *ready);
    dp->buckets = ax_calloc((size_t)(n_params ? n_params : 1), sizeof *dp->buckets);
    if (!reaches || !ready || !dp->buckets) {
        ax_free(reaches), ax_free(ready);
        return ax_fail(AX_ERR_NOMEM, "data-parallel: out of memory");
    }
    /* which nodes lie on a path to the loss */
    reaches[ax_node_id(loss)] = 1;
    for (int i = ax_node_id(loss); i >= 0; i--)
        if (reaches[i])
            for (int k = 0; k < ax_node_num_inputs(ax_graph_node(g, i)); k++)
                reaches[ax_node_id(ax_node_input(ax_graph_node(g, i), k))] = 1;
    for (int p = 0; p < n_params; p++) {
        ax_node *param = ax_graph_param(g, p);
        /* frozen or unreached: zero from the start (unreached: zeroed when backward ends) */
        ready[p] = ax_node_frozen(param) ? n_nodes : -1;
    }
    for (int i = 0; i <= ax_node_id(loss); i++) {
        ax_node *op = ax_graph_node(g, i);
        if (!reaches[i] || !strcmp(ax_node_op(op), "input") || !strcmp(ax_node_op(op), "param") ||
            !strcmp(ax_node_op(op), "buffer"))
            continue;
        for (int k = 0; k < ax_node_num_inputs(op); k++)
            for (int p = 0; p < n_params; p++)
                if (ax_node_input(op, k) == ax_graph_param(g, p) && ready[p] == -1 && !ax_node_frozen(ax_graph_param(g, p)))
                    ready[p] = i; /* the lowest such op: ids go up in this loop */
    }
    const int64_t per_bucket = (bucket_bytes > 0 ? bucket_bytes : (int64_t)256 << 10) / (int64_t)sizeof(float);
    const int64_t most = ((int64_t)1 << 28) / 2; /* what one request may carry, with room for a parameter */
    int64_t end = grads.n;
    for (int p = n_params - 1; p >= 0; p--) {
        ax_node *param = ax_graph_param(g, p);
        if (ax_node_is_buffer(param))
            continue;
        const int64_t at = ax_node_span_offset(param);
        bucket *b = &dp->buckets[dp->n_buckets];
        if (b->n > 0 && (end - at > per_bucket || end - at > most)) { /* full: this parameter starts the next */
            end = b->offset;
            b = &dp->buckets[++dp->n_buckets];
        }
        if (b->n == 0)
            b->ready = ready[p];
        else if (b->ready >= 0) /* ready when its last parameter is */
            b->ready = ready[p] < 0 ? -1 : (ready[p] < b->ready ? ready[p] : b->ready);
        b->offset = at;
        b->n = end - at;
    }
    if (dp->buckets[dp->n_buckets].n > 0) /* the last, smaller one */
        dp->n_buckets++;
    if (dp->n_buckets > 0) { /* the span's head, before the first parameter, goes with the last bucket */
        bucket *b = &dp->buckets[dp->n_buckets - 1];
        b->n += b->offset;
        b->offset = 0;
    }
    ax_free(reaches);
    ax_free(ready);
    return AX_OK;
}

static void scale_range(float *x, int64_t n, float w)
{
    if (w == 1.0f)
        return;
#pragma omp simd
    for (int64_t i = 0; i < n; i++)
        x[i] *= w;
}

static ax_status start_bucket(ax_dp *dp, bucket *b)
{
    float *grads = ax_graph_grad_span(dp->g).data + b->offset;
    scale_range(grads, b->n, dp->scale);
    b->started = 1;
    ax_status s = ax_comm_iallreduce_sum(dp->comm, grads, b->n, &b->request);
    b->done = s == AX_OK && !b->request;
    return s;
}

/* After each op of backward: send the buckets that are final, in order,
 * and let MPI move the ones on their way. */
static void backward_hook(void *user, int node)
{
    ax_dp *dp = user;
    while (dp->error == AX_OK && dp->next_bucket < dp->n_buckets && dp->buckets[dp->next_bucket].ready >= node)
        dp->error = start_bucket(dp, &dp->buckets[dp->next_bucket++]);
    for (int k = 0; k < dp->next_bucket && dp->error == AX_OK; k++)
        if (!dp->buckets[k].done)
            dp->error = ax_comm_test(dp->comm, dp->buckets[k].request, &dp->buckets[k].done);
}

/* ---- the step -------------------------------------------------------- */

ax_status ax_dp_new(ax_graph *g, ax_node *loss, ax_comm *comm, int shards, int64_t bucket_bytes, ax_dp **out)
{
    *out = NULL;
    const int ranks = comm ? ax_comm_size(comm) : 1;
    if (shards < 0 || shards > 4096)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: shards %d is outside 0..4096", shards);
    if (ranks > 1 && shards > 1)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: shards %d in each of %d processes: give one of the two (the processes "
                       "are the shards)", shards, ranks);
    if (bucket_bytes < 0)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: bucket_bytes %lld is negative", (long long)bucket_bytes);
    ax_dp *dp = ax_calloc(1, sizeof *dp);
    if (!dp)
        return ax_fail(AX_ERR_NOMEM, "fit: out of memory");
    *dp = (ax_dp){.g = g, .comm = comm, .ranks = ranks, .rank = comm ? ax_comm_rank(comm) : 0, .scale = 1.0f};
    dp->count = ranks > 1 ? 1 : shards > 1 ? shards : 1;
    dp->size = ranks > 1 ? ranks : dp->count;
    dp->first = ranks > 1 ? dp->rank : 0;
    ax_status s = AX_OK;
    const ax_span grads = ax_graph_grad_span(g), buffers = ax_graph_buffer_span(g);
    if (dp->count > 1 && (!(dp->sum = ax_alloc((size_t)(grads.n ? grads.n : 1) * sizeof(float))) ||
                          !(dp->buffers_before = ax_alloc((size_t)(buffers.n + 1) * sizeof(float))) ||
                          !(dp->buffers_first = ax_alloc((size_t)(buffers.n + 1) * sizeof(float)))))
        s = ax_fail(AX_ERR_NOMEM, "fit: out of memory for %d shards' gradients", dp->count);
    if (s == AX_OK && ranks > 1)
        s = make_buckets(dp, loss, bucket_bytes);
    if (s != AX_OK) {
        ax_dp_free(dp);
        return s;
    }
    dp->stats = (ax_parallel_stats){.shards = dp->size, .ranks = ranks, .buckets = dp->n_buckets};
    *out = dp;
    return AX_OK;
}

void ax_dp_free(ax_dp *dp)
{
    if (!dp)
        return;
    ax_free(dp->sum);
    ax_free(dp->buffers_before);
    ax_free(dp->buffers_first);
    ax_free(dp->buckets);
    ax_free(dp);
}

/* Every rank's value of each check against rank 0's; the first rank that
 * differs is named on every rank. */
ax_status ax_dp_start(ax_dp *dp, const int64_t *check, const char *const *what, int n_check)
{
    if (dp->ranks == 1)
        return AX_OK;
    ax_comm *c = dp->comm;
    int64_t root[16];
    if (n_check > 16)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: at most 16 values to check across ranks");
    memcpy(root, check, (size_t)n_check * sizeof *check);
    ax_status s = ax_comm_broadcast(c, root, (size_t)n_check * sizeof *root, 0);
    int differs = -1;
    for (int k = 0; k < n_check && differs < 0; k++)
        differs = root[k] != check[k] ? k : -1;
    /* which ranks differ, and in what: a slot per rank */
    double *flags = ax_calloc((size_t)(2 * dp->ranks), sizeof *flags);
    if (!flags)
        return ax_fail(AX_ERR_NOMEM, "fit: out of memory");
    flags[dp->rank] = differs >= 0;
    flags[dp->ranks + dp->rank] = differs >= 0 ? (double)differs : 0.0;
    if (s == AX_OK)
        s = ax_comm_allreduce_sum_f64(c, flags, 2 * dp->ranks);
    for (int r = 0; r < dp->ranks && s == AX_OK; r++)
        if (flags[r] != 0.0) {
            const int k = (int)flags[dp->ranks + r];
            s = r == dp->rank ? ax_fail(AX_ERR_INVALID_ARG, "fit: rank %d of %d has %s %lld where rank 0 has %lld: every "
                                        "rank must train on the same data with the same settings", r, dp->ranks,
                                        what[k], (long long)check[k], (long long)root[k])
                              : ax_fail(AX_ERR_INVALID_ARG, "fit: rank %d of %d differs from rank 0 in its %s: every "
                                        "rank must train on the same data with the same settings", r, dp->ranks,
                                        what[k]);
        }
    ax_free(flags);
    /* rank 0's starting point everywhere */
    const ax_span params = ax_graph_param_span(dp->g), buffers = ax_graph_buffer_span(dp->g);
    ax_rng rng = ax_graph_rng(dp->g);
    if (s == AX_OK)
        s = ax_comm_broadcast(c, params.data, (size_t)params.n * sizeof(float), 0);
    if (s == AX_OK)
        s = ax_comm_broadcast(c, buffers.data, (size_t)buffers.n * sizeof(float), 0);
    if (s == AX_OK)
        s = ax_comm_broadcast(c, &rng, sizeof rng, 0);
    if (s == AX_OK)
        ax_graph_set_rng(dp->g, rng);
    return s;
}

ax_status ax_dp_begin_step(ax_dp *dp)
{
    /* The step's forward passes all start from one stream, drawn from the
     * graph's, which then moves on by the same two draws however many
     * shards or ranks there are. */
    ax_rng r = ax_graph_rng(dp->g);
    const uint64_t hi = ax_rng_u32(&r), lo = ax_rng_u32(&r);
    ax_rng_seed(&dp->pass, hi << 32 | lo, 0x9a55);
    dp->next = r;
    const ax_span buffers = ax_graph_buffer_span(dp->g);
    if (dp->count > 1 && buffers.n)
        memcpy(dp->buffers_before, buffers.data, (size_t)buffers.n * sizeof(float));
    for (int k = 0; k < dp->n_buckets; k++)
        dp->buckets[k].started = dp->buckets[k].done = 0, dp->buckets[k].request = NULL;
    dp->next_bucket = 0;
    dp->error = AX_OK;
    return AX_OK;
}

ax_status ax_dp_before_shard(ax_dp *dp, int j, int64_t n)
{
    int64_t first, rows;
    ax_dp_shard_rows(dp, n, dp->first + j, &first, &rows);
    dp->scale = (float)rows / (float)n;
    ax_graph_set_rng(dp->g, dp->pass);
    ax_graph_set_row_base(dp->g, first);
    const ax_span buffers = ax_graph_buffer_span(dp->g);
    if (j > 0 && buffers.n) /* as rank j would: from the step's buffers */
        memcpy(buffers.data, dp->buffers_before, (size_t)buffers.n * sizeof(float));
    if (dp->n_buckets)
        ax_graph_set_backward_hook(dp->g, backward_hook, dp);
    dp->shard_start = ax_now_seconds();
    return AX_OK;
}

ax_status ax_dp_after_shard(ax_dp *dp, int j, int failed)
{
    ax_graph_set_backward_hook(dp->g, NULL, NULL);
    const double now = ax_now_seconds();
    dp->stats.backward_seconds += now - dp->shard_start;
    const ax_span grads = ax_graph_grad_span(dp->g), buffers = ax_graph_buffer_span(dp->g);
    if (failed) /* zeros in every bucket still to go, so the other ranks' sums complete */
        for (int k = dp->next_bucket; k < dp->n_buckets; k++)
            memset(grads.data + dp->buckets[k].offset, 0, (size_t)dp->buckets[k].n * sizeof(float));
    if (failed && dp->count > 1)
        memset(grads.data, 0, (size_t)grads.n * sizeof(float));
    if (j == 0 && dp->count > 1 && buffers.n)
        memcpy(dp->buffers_first, buffers.data, (size_t)buffers.n * sizeof(float));
    if (dp->n_buckets) { /* several ranks: the rest of the buckets */
        ax_status s = dp->error;
        for (int k = 0; k < dp->next_bucket; k++) {
            dp->stats.started_in_backward++;
            dp->stats.done_in_backward += dp->buckets[k].done;
        }
        while (s == AX_OK && dp->next_bucket < dp->n_buckets)
            s = start_bucket(dp, &dp->buckets[dp->next_bucket++]);
        return s;
    }
    if (dp->count == 1)
        return AX_OK;
    /* one process, several shards: scaled, then added in shard order */
    scale_range(grads.data, grads.n, dp->scale);
    if (j == 0)
        memcpy(dp->sum, grads.data, (size_t)grads.n * sizeof(float));
    else {
        const float *const parts[2] = {dp->sum, grads.data};
        ax_sum_in_order(dp->sum, parts, 2, grads.n);
    }
    return AX_OK;
}

void ax_dp_add_record(const ax_dp *dp, int j, double *total, const double *record, int n)
{
    (void)dp;
    for (int i = 0; i < n; i++)
        total[i] = j == 0 ? record[i] : total[i] + record[i];
}

ax_status ax_dp_reduce(ax_dp *dp, double *record, int n, int failed, const char *what)
{
    if (dp->ranks == 1)
        return AX_OK;
    /* the record, then a slot per rank that says whether it failed */
    double *all = ax_calloc((size_t)(n + dp->ranks), sizeof *all);
    if (!all)
        return ax_fail(AX_ERR_NOMEM, "fit: out of memory");
    memcpy(all, record, (size_t)n * sizeof *all);
    all[n + dp->rank] = failed != 0;
    ax_status s = ax_comm_allreduce_sum_f64(dp->comm, all, n + dp->ranks);
    for (int r = 0; r < dp->ranks && s == AX_OK; r++)
        if (all[n + r] != 0.0 && r != dp->rank)
            s = ax_fail(AX_ERR_STATE, "fit: rank %d of %d failed in %s (its message is in its output); this rank "
                        "stops with it", r, dp->ranks, what);
        else if (all[n + r] != 0.0)
            s = AX_ERR_STATE; /* this rank's own error is the one it reports */
    memcpy(record, all, (size_t)n * sizeof *all);
    ax_free(all);
    return s;
}

ax_status ax_dp_finish_step(ax_dp *dp, double *record, int n, int failed, const char *what)
{
    ax_graph_set_rng(dp->g, dp->next);
    ax_graph_set_row_base(dp->g, 0);
    const ax_span grads = ax_graph_grad_span(dp->g), buffers = ax_graph_buffer_span(dp->g);
    ax_status s = AX_OK;
    const double waiting = ax_now_seconds();
    for (int k = 0; k < dp->n_buckets; k++) {
        const ax_status w = ax_comm_wait(dp->comm, dp->buckets[k].request);
        dp->buckets[k].request = NULL;
        s = s == AX_OK ? w : s;
    }
    const double reducing = ax_now_seconds();
    dp->stats.wait_seconds += reducing - waiting;
    if (s != AX_OK)
        return s;
    if (dp->count > 1) {
        memcpy(grads.data, dp->sum, (size_t)grads.n * sizeof(float));
        if (buffers.n)
            memcpy(buffers.data, dp->buffers_first, (size_t)buffers.n * sizeof(float));
    }
    if (dp->ranks > 1) {
        /* rank 0's buffers (batch norm's running statistics) everywhere, as
         * shard 0's are kept in one process; then the step's record */
        if ((s = ax_comm_broadcast(dp->comm, buffers.data, (size_t)buffers.n * sizeof(float), 0)) == AX_OK)
            s = ax_dp_reduce(dp, record, n, failed, what);
    }
    dp->stats.reduce_seconds += ax_now_seconds() - reducing;
    dp->stats.steps++;
    return s;
}

void ax_dp_stats(const ax_dp *dp, ax_parallel_stats *out) { *out = dp->stats; }
