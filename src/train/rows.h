/* Host-side helpers for rows of model outputs already read back to host
 * memory (internal to src/train). */
#ifndef AXON_TRAIN_ROWS_H
#define AXON_TRAIN_ROWS_H

#include <stdint.h>

/* The index of the largest of x[0..n), the first on ties. */
static inline int64_t ax_row_argmax(int64_t n, const float *x)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

#endif
