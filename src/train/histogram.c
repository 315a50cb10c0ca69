/* Histograms of tensors: two passes, the range (and sums), then the bins.
 * The first is written to vectorise; the run logger takes one of every
 * parameter, gradient and layer output each time it writes histograms. */
#include "train/histogram.h"

#include <math.h>
#include <string.h>

void ax_histogram_of(const float *x, int64_t n, int bins, ax_histogram *h)
{
    memset(h, 0, sizeof *h);
    h->bins = bins < 1 ? 1 : bins > AX_HIST_MAX_BINS ? AX_HIST_MAX_BINS : bins;
    float lo = INFINITY, hi = -INFINITY;
    double sum = 0, sq = 0;
    int64_t bad = 0;
#pragma omp simd reduction(min : lo) reduction(max : hi) reduction(+ : sum, sq, bad)
    for (int64_t i = 0; i < n; i++) {
        const float v = x[i];
        const int ok = isfinite(v);
        const float f = ok ? v : 0.0f;
        bad += !ok;
        lo = ok && v < lo ? v : lo;
        hi = ok && v > hi ? v : hi;
        sum += f;
        sq += (double)f * f;
    }
    h->nonfinite = bad;
    h->n = n - bad;
    if (h->n == 0)
        return;
    h->min = lo, h->max = hi, h->sum = sum, h->sum_squares = sq;
    h->lo = lo, h->hi = hi;
    if (!(hi > lo))
        h->lo = (double)lo - 0.5, h->hi = (double)hi + 0.5;
    const double scale = h->bins / (h->hi - h->lo);
    const float base = (float)h->lo, fscale = (float)scale, top = (float)(h->bins - 1);
    if (bad) { /* the rare case: skip what is not finite, value by value */
        for (int64_t i = 0; i < n; i++) {
            const float v = x[i];
            if (isfinite(v)) {
                const int b = (int)((v - base) * fscale); /* rounding may give -1 or bins: clamped */
                h->counts[b < 0 ? 0 : b >= h->bins ? h->bins - 1 : b]++;
            }
        }
        return;
    }
    /* every value finite: bin numbers a block at a time (a loop that
     * vectorises), counted into four histograms in turn so that runs of
     * one bin do not wait on each other's stores */
    int64_t part[4][AX_HIST_MAX_BINS] = {{0}};
    int idx[1024];
    for (int64_t at = 0; at < n; at += 1024) {
        const int k = n - at < 1024 ? (int)(n - at) : 1024;
#pragma omp simd
        for (int i = 0; i < k; i++) {
            float t = (x[at + i] - base) * fscale;
            t = t > 0.0f ? t : 0.0f;
            t = t < top ? t : top;
            idx[i] = (int)t;
        }
        int i = 0;
        for (; i + 4 <= k; i += 4) {
            part[0][idx[i]]++;
            part[1][idx[i + 1]]++;
            part[2][idx[i + 2]]++;
            part[3][idx[i + 3]]++;
        }
        for (; i < k; i++)
            part[0][idx[i]]++;
    }
    for (int b = 0; b < h->bins; b++)
        h->counts[b] = part[0][b] + part[1][b] + part[2][b] + part[3][b];
}
