/* Batch-1 inference latency of the W-MLP (784-256-128-10 ReLU), for
 * bench/latency.sh: a graph compiled for inference at batch 1; one
 * sample written, the forward pass run, the 10 scores read.
 *
 *   bench_latency THREADS [RUNS]
 *
 * Prints "latency_us U" (the median over RUNS, default 20000, after 1000
 * warm-up runs), as latency_torch.py does. */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>

#include "timing.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_latency THREADS [RUNS]\n");
        return 2;
    }
    const int threads = atoi(argv[1]), runs = argc > 2 ? atoi(argv[2]) : 20000;
    ax_set_num_threads(threads);
    ax_rng rng;
    ax_rng_seed(&rng, 42, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "image", ax_shape2(1, 784));
    ax_node *h = ax_dense(g, x, 256, "relu", AX_DEFAULT_INIT, &rng, "fc1");
    h = ax_dense(g, h, 128, "relu", AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *y = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "fc3");
    if (ax_graph_compile_inference(g, &y, 1) != AX_OK) {
        fprintf(stderr, "bench_latency: %s\n", ax_last_error());
        return 1;
    }
    float in[784], out[10];
    for (int i = 0; i < 784; i++)
        in[i] = (float)ax_rng_uniform(&rng);
    double *us = malloc((size_t)runs * sizeof *us);
    for (int k = -1000; k < runs; k++) {
        const double t0 = bench_now();
        if (ax_node_write(x, in, 784) != AX_OK || ax_graph_forward(g) != AX_OK || ax_node_read(y, out, 10) != AX_OK) {
            fprintf(stderr, "bench_latency: %s\n", ax_last_error());
            return 1;
        }
        if (k >= 0)
            us[k] = 1e6 * (bench_now() - t0);
    }
    printf("latency_us %.2f (score %g)\n", bench_median(us, runs), (double)out[0]);
    free(us);
    ax_graph_free(g);
    return 0;
}
