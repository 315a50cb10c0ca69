/* W-CNN in axon for bench/run_cnn.sh (the same network and recipe as
 * cnn_torch.py and examples/fashion_cnn.c --recipe basic).
 *
 *   bench_cnn [--bf16] [--seed S] THREADS EPOCHS [DATA_DIR]
 *
 * --bf16: the convolutions and dense layers compute in bfloat16 (ax_graph_set_bf16, as
 * axon train --precision bf16); refused on a CPU without bf16 kernels,
 * where it would time float32 under another name. --seed: the weights'
 * and the shuffles' seed (42 by default; for accuracy over seeds).
 *
 * Per epoch: "epoch E seconds S loss L test_acc A infer_ips I gflops G",
 * S timing the training loop alone, I the test-set images per second in
 * eval mode at batch 256, G the arithmetic rate of the training loop
 * (multiply-adds of every convolution and dense layer, forward and
 * backward, counted as 2 flops). */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static ax_dataset *load(const char *dir, int train)
{
    ax_dataset *ds = NULL;
    if (ax_dataset_fashion_mnist(dir, train, &ds) != AX_OK)
        fprintf(stderr, "bench_cnn: %s\n", ax_last_error());
    return ds;
}

/* The W-CNN on batch b; returns the loss node, sets *logits. */
static ax_model build(ax_graph *g, int64_t b, ax_rng *rng)
{
    ax_node *x = ax_input(g, "image", ax_shape4(b, 1, 28, 28));
    ax_node *h = ax_conv2d_layer(g, x, 32, 3, 3, NULL, "relu", AX_DEFAULT_INIT, rng, "conv1");
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
    h = ax_conv2d_layer(g, h, 64, 3, 3, NULL, "relu", AX_DEFAULT_INIT, rng, "conv2");
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
    h = ax_dense(g, ax_flatten(g, h), 128, "relu", AX_DEFAULT_INIT, rng, "fc1");
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, rng, "fc2");
    ax_node *label = ax_input(g, "label", ax_shape1(b));
    return (ax_model){.graph = g, .input = x, .target = label, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, label)};
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int bf16 = 0;
    uint64_t seed = 42;
    for (;;) {
        if (argc > 1 && !strcmp(argv[1], "--bf16"))
            bf16 = 1, argc--, argv++;
        else if (argc > 2 && !strcmp(argv[1], "--seed"))
            seed = strtoull(argv[2], NULL, 10), argc -= 2, argv += 2;
        else
            break;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: bench_cnn [--bf16] [--seed S] THREADS EPOCHS [DATA_DIR]\n");
        return 2;
    }
    if (bf16 && !ax_cpu_has_bf16()) {
        fprintf(stderr, "bench_cnn: --bf16: this CPU has no bfloat16 instructions\n");
        return 2;
    }
    int threads = atoi(argv[1]), epochs = atoi(argv[2]);
    const char *dir = argc > 3 ? argv[3] : NULL;
    ax_set_num_threads(threads);
    ax_dataset *train = load(dir, 1), *test = load(dir, 0);
    if (!train || !test)
        return 1;
    ax_rng rng;
    ax_rng_seed(&rng, seed, 1);
    ax_graph *g, *ig;
    ax_graph_new(&g);
    ax_graph_new(&ig);
    ax_model m = build(g, 64, &rng);
    ax_model inf = build(ig, 256, &rng); /* an inference graph sharing nothing but the weights' values */
    ax_optimizer *opt = NULL;
    ax_graph_set_bf16(g, bf16);
    ax_graph_set_bf16(ig, bf16);
    ax_status s = ax_graph_compile(g);
    if (s == AX_OK)
        s = ax_graph_compile(ig);
    if (s == AX_OK)
        s = ax_optimizer_new("adam", NULL, &opt);
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    /* multiply-adds per sample, forward: conv1 26*26*32*9, conv2 11*11*64*288,
     * fc1 1600*128, fc2 128*10; backward: twice that, less conv1's input gradient */
    const double fwd = 26.0 * 26 * 32 * 9 + 11.0 * 11 * 64 * 288 + 1600.0 * 128 + 128.0 * 10;
    const double per_sample = 2.0 * (3 * fwd - 26.0 * 26 * 32 * 9);
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = 1;
    fc.verbosity = AX_QUIET;
    for (int e = 1; e <= epochs && s == AX_OK; e++) {
        ax_epoch_log log;
        fc.seed = seed + (uint64_t)e;
        s = ax_fit(&m, opt, train, NULL, &fc, &log);
        for (int i = 0; s == AX_OK && i < ax_graph_num_params(g); i++) {
            ax_node *p = ax_graph_param(g, i), *q = ax_graph_param(ig, i);
            for (int64_t k = 0; k < ax_node_numel(p); k++)
                ax_node_data(q)[k] = ax_node_data(p)[k];
        }
        ax_metrics t;
        double t0 = now();
        if (s == AX_OK)
            s = ax_evaluate(&inf, test, &t);
        double ips = (double)test->n / (now() - t0);
        if (s == AX_OK)
            printf("epoch %d seconds %.3f loss %.4f test_acc %.4f infer_ips %.0f gflops %.1f\n", e, log.seconds,
                   log.train.loss, t.accuracy, ips, per_sample * (double)train->n / log.seconds * 1e-9);
        fflush(stdout);
    }
    if (s != AX_OK)
        fprintf(stderr, "bench_cnn: %s\n", ax_last_error());
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_graph_free(ig);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return s == AX_OK ? 0 : 1;
}
