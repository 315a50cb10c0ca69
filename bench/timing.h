/* Shared by the benchmarks: a monotonic clock, the median of runs, and a
 * graph's training pass timed. */
#ifndef AXON_BENCH_TIMING_H
#define AXON_BENCH_TIMING_H

#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench_cmp(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of t[0..n) (sorts it). */
static inline double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, bench_cmp);
    return t[n / 2];
}

/* The median milliseconds of `steps` passes of g, forward and then
 * backward from y seeded with 1e-3 everywhere, after 3 warm-up passes;
 * exits naming `who` on an error. */
static inline double bench_pass_ms(ax_graph *g, ax_node *y, int steps, const char *who)
{
    float *seed = calloc((size_t)ax_node_numel(y), sizeof *seed);
    double *ms = calloc((size_t)steps + 3, sizeof *ms);
    for (int64_t i = 0; seed && i < ax_node_numel(y); i++)
        seed[i] = 1e-3f;
    for (int k = 0; seed && ms && k < steps + 3; k++) {
        const double t0 = bench_now();
        if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK) {
            fprintf(stderr, "%s: %s\n", who, ax_last_error());
            exit(1);
        }
        ms[k] = 1e3 * (bench_now() - t0);
    }
    if (!seed || !ms) {
        fprintf(stderr, "%s: out of memory\n", who);
        exit(1);
    }
    const double median = bench_median(ms + 3, steps);
    free(ms);
    free(seed);
    return median;
}

#endif
