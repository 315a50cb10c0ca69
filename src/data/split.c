/* Holding data out: a random split, optionally stratified by class. */
#include "axon/data.h"

#include <string.h>

ax_status ax_dataset_split(const ax_dataset *ds, double held_out, int stratified, uint64_t seed,
                           ax_dataset **train, ax_dataset **val)
{
    *train = *val = NULL;
    if (!(held_out > 0.0 && held_out < 1.0))
        return ax_fail(AX_ERR_INVALID_ARG, "split: the held-out fraction %g is not in (0, 1)", held_out);
    if (stratified && !ds->labels)
        return ax_fail(AX_ERR_INVALID_ARG, "split: stratifying needs class labels (this data set has real targets)");
    if (ds->n < 2 || ds->n > UINT32_MAX)
        return ax_fail(AX_ERR_INVALID_ARG, "split: %lld samples cannot be split", (long long)ds->n);
    uint32_t *order = ax_alloc((size_t)ds->n * sizeof(uint32_t));
    uint32_t *out_idx = ax_alloc((size_t)ds->n * sizeof(uint32_t));
    if (!order || !out_idx) {
        ax_free(order);
        ax_free(out_idx);
        return ax_fail(AX_ERR_NOMEM, "split: out of memory");
    }
    ax_rng rng;
    ax_rng_seed(&rng, seed, 0x5b117);
    for (int64_t i = 0; i < ds->n; i++)
        order[i] = (uint32_t)i;
    ax_rng_shuffle(&rng, order, (size_t)ds->n);
    /* held-out samples first in out_idx, the training ones after */
    int64_t n_val = 0, n_train = 0;
    if (!stratified) {
        n_val = (int64_t)(held_out * (double)ds->n + 0.5);
        n_val = n_val < 1 ? 1 : n_val > ds->n - 1 ? ds->n - 1 : n_val;
        memcpy(out_idx, order, (size_t)ds->n * sizeof(uint32_t));
        n_train = ds->n - n_val;
    } else {
        /* each class gives round(fraction x its count) of its shuffled samples */
        for (int c = 0; c < ds->n_classes; c++) {
            int64_t count = 0, taken = 0;
            for (int64_t i = 0; i < ds->n; i++)
                count += ds->labels[order[i]] == c;
            int64_t want = (int64_t)(held_out * (double)count + 0.5);
            for (int64_t i = 0; i < ds->n && taken < want; i++)
                if (ds->labels[order[i]] == c)
                    out_idx[n_val++] = order[i], taken++;
        }
        if (n_val == 0 || n_val == ds->n) {
            ax_free(order);
            ax_free(out_idx);
            return ax_fail(AX_ERR_INVALID_ARG, "split: a stratified %g split of %lld samples leaves a side empty",
                           held_out, (long long)ds->n);
        }
        /* the rest, in shuffled order: a sample is held out iff chosen above */
        uint8_t *chosen = ax_calloc((size_t)ds->n, 1);
        if (!chosen) {
            ax_free(order);
            ax_free(out_idx);
            return ax_fail(AX_ERR_NOMEM, "split: out of memory");
        }
        for (int64_t i = 0; i < n_val; i++)
            chosen[out_idx[i]] = 1;
        for (int64_t i = 0; i < ds->n; i++)
            if (!chosen[order[i]])
                out_idx[n_val + n_train++] = order[i];
        ax_free(chosen);
    }
    ax_status s = ax_dataset_subset(ds, out_idx, n_val, val);
    if (s == AX_OK)
        s = ax_dataset_subset(ds, out_idx + n_val, n_train, train);
    if (s != AX_OK) {
        ax_dataset_free(*val);
        ax_dataset_free(*train);
        *train = *val = NULL;
    }
    ax_free(order);
    ax_free(out_idx);
    return s;
}
