/* Histograms of tensors (internal): equal-width bins between the finite
 * values' extremes, for the run logger and TensorBoard. */
#ifndef AXON_TRAIN_HISTOGRAM_H
#define AXON_TRAIN_HISTOGRAM_H

#include <stdint.h>

#define AX_HIST_MAX_BINS 64

typedef struct ax_histogram {
    int bins;
    double lo, hi;           /* bin i covers [lo + i*w, lo + (i+1)*w), w = (hi - lo) / bins; the last holds hi */
    double min, max;         /* of the finite values (0 when there are none) */
    double sum, sum_squares; /* of the finite values */
    int64_t n, nonfinite;    /* finite values counted in the bins, and NaN or infinite ones left out */
    int64_t counts[AX_HIST_MAX_BINS];
} ax_histogram;

/* The histogram of x[0..n) in `bins` bins (1..AX_HIST_MAX_BINS). When all
 * values are equal the bins span [v - 0.5, v + 0.5]. */
void ax_histogram_of(const float *x, int64_t n, int bins, ax_histogram *h);

#endif
