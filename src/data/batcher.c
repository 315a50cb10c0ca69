/* Mini-batches in a per-epoch random order. The permutation lives in the
 * batcher (allocated once), so making a batch allocates nothing. */
#include "axon/data.h"

#include <string.h>

struct ax_batcher {
    const ax_dataset *ds;
    int64_t batch;
    int shuffle;
    ax_rng rng;
    uint64_t seed;
    int64_t epoch;   /* epochs started */
    uint32_t *order;
    int64_t pos;
    int augmenting;
    ax_augment augment;
    float *tmp; /* one sample, for augmentation */
};

ax_status ax_batcher_new(const ax_dataset *ds, int64_t batch_size, int shuffle, uint64_t seed,
                         ax_batcher **out)
{
    *out = NULL;
    if (batch_size <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "batcher: batch size %lld must be positive",
                       (long long)batch_size);
    if (ds->n > UINT32_MAX)
        return ax_fail(AX_ERR_INVALID_ARG, "batcher: %lld samples is more than 2^32",
                       (long long)ds->n);
    ax_batcher *b = ax_calloc(1, sizeof *b);
    if (!b || !(b->order = ax_alloc((size_t)ds->n * sizeof(uint32_t)))) {
        ax_free(b);
        return ax_fail(AX_ERR_NOMEM, "batcher: out of memory");
    }
    b->ds = ds;
    b->batch = batch_size;
    b->shuffle = shuffle;
    b->seed = seed;
    ax_rng_seed(&b->rng, seed, 0xba7c4);
    for (int64_t i = 0; i < ds->n; i++)
        b->order[i] = (uint32_t)i;
    b->pos = ds->n; /* no epoch started */
    *out = b;
    return AX_OK;
}

void ax_batcher_free(ax_batcher *b)
{
    if (!b)
        return;
    ax_free(b->order);
    ax_free(b->tmp);
    ax_free(b);
}

ax_status ax_batcher_set_augment(ax_batcher *b, const ax_augment *a)
{
    if (!a) {
        b->augmenting = 0;
        return AX_OK;
    }
    ax_status s = ax_augment_check(a, b->ds);
    if (s != AX_OK)
        return s;
    if (!b->tmp && !(b->tmp = ax_alloc((size_t)b->ds->sample_size * sizeof(float))))
        return ax_fail(AX_ERR_NOMEM, "batcher: out of memory");
    b->augment = *a;
    b->augmenting = 1;
    return AX_OK;
}

/* Each epoch's order and augmentation draws come from (seed, epoch) alone,
 * so training can resume at any epoch and continue exactly. */
void ax_batcher_start_epoch(ax_batcher *b)
{
    b->epoch++;
    ax_rng_seed(&b->rng, b->seed ^ ((uint64_t)b->epoch * 0x9E3779B97F4A7C15ull), 0xba7c4);
    for (int64_t i = 0; i < b->ds->n; i++)
        b->order[i] = (uint32_t)i;
    if (b->shuffle)
        ax_rng_shuffle(&b->rng, b->order, (size_t)b->ds->n);
    b->pos = 0;
}

void ax_batcher_set_epoch(ax_batcher *b, int64_t epochs_done) { b->epoch = epochs_done; }

int64_t ax_batcher_num_batches(const ax_batcher *b) { return (b->ds->n + b->batch - 1) / b->batch; }

int64_t ax_batcher_next(ax_batcher *b, float *x, float *targets)
{
    const ax_dataset *ds = b->ds;
    int64_t rows = ds->n - b->pos < b->batch ? ds->n - b->pos : b->batch;
    if (rows <= 0)
        return 0;
    const int64_t size = ds->sample_size;
    const float scale = ds->scale;
    const int64_t t = ds->n_targets;
    for (int64_t r = 0; r < rows; r++) {
        int64_t i = b->order[b->pos + r];
        float *dst = x + r * size;
        if (ds->x) {
            const uint8_t *src = ds->x + i * size;
#pragma omp simd
            for (int64_t k = 0; k < size; k++)
                dst[k] = (float)src[k] * scale;
        } else {
            memcpy(dst, ds->xf + i * size, (size_t)size * sizeof(float));
        }
        if (b->augmenting)
            ax_augment_apply(&b->augment, ds, &b->rng, dst, b->tmp);
        if (ds->targets) /* real targets, or one-hot beside the labels */
            memcpy(targets + r * t, ds->targets + i * t, (size_t)t * sizeof(float));
        else if (ds->labels)
            targets[r] = (float)ds->labels[i];
    }
    b->pos += rows;
    return rows;
}
