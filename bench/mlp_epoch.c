/* The demo's recipe in axon, for bench/run.sh: 784-256-128-10 ReLU MLP,
 * softmax cross-entropy, Adam lr 1e-3, batch 64, on Fashion-MNIST.
 *
 *   bench_mlp [--bf16] THREADS EPOCHS [DATA_DIR]
 *
 * --bf16: the dense layers' products in bfloat16 (ax_fit_config.precision
 * = AX_PRECISION_BF16, as axon train --precision bf16); refused on a CPU
 * without bf16 kernels, where it would time float32 under another name.
 *
 * Prints one line per epoch, "epoch E seconds S loss L test_acc A gflops
 * G", where S times the training loop alone (the data already in memory),
 * as mlp_torch.py does, and G is its arithmetic rate: each layer's
 * product forward and its two products backward, less the first layer's
 * input gradient (an input needs none), 2 flops a multiply-add. */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static ax_dataset *load(const char *dir, int train)
{
    ax_dataset *ds = NULL;
    if (ax_dataset_fashion_mnist(dir, train, &ds) != AX_OK)
        fprintf(stderr, "bench_mlp: %s\n", ax_last_error());
    return ds;
}

int main(int argc, char **argv)
{
    const int bf16 = argc > 1 && !strcmp(argv[1], "--bf16");
    argc -= bf16, argv += bf16;
    if (argc < 3) {
        fprintf(stderr, "usage: bench_mlp [--bf16] THREADS EPOCHS [DATA_DIR]\n");
        return 2;
    }
    if (bf16 && !ax_cpu_has_bf16()) {
        fprintf(stderr, "bench_mlp: --bf16: this CPU has no bfloat16 instructions\n");
        return 2;
    }
    int threads = atoi(argv[1]), epochs = atoi(argv[2]);
    const char *dir = argc > 3 ? argv[3] : NULL;
    ax_set_num_threads(threads);
    ax_dataset *train = load(dir, 1), *test = load(dir, 0);
    if (!train || !test)
        return 1;
    ax_rng rng;
    ax_rng_seed(&rng, 42, 1);
    ax_graph *g;
    ax_optimizer *opt = NULL;
    ax_status s = ax_graph_new(&g);
    ax_node *x = ax_input(g, "image", ax_shape2(64, 784));
    ax_node *h = ax_dense(g, x, 256, "relu", AX_DEFAULT_INIT, &rng, "fc1");
    h = ax_dense(g, h, 128, "relu", AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "fc3");
    ax_node *label = ax_input(g, "label", ax_shape1(64));
    ax_model m = {.graph = g, .input = x, .target = label, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, label)};
    if (s == AX_OK)
        s = ax_graph_compile(g);
    if (s == AX_OK)
        s = ax_optimizer_new("adam", NULL, &opt);
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    const double fwd = 784.0 * 256 + 256.0 * 128 + 128.0 * 10;
    const double per_sample = 2.0 * (3 * fwd - 784.0 * 256);
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = 1;
    fc.verbosity = AX_QUIET;
    fc.precision = bf16 ? AX_PRECISION_BF16 : AX_PRECISION_F32;
    for (int e = 1; e <= epochs && s == AX_OK; e++) {
        ax_epoch_log log;
        ax_metrics t;
        fc.seed = 42 + (uint64_t)e;
        s = ax_fit(&m, opt, train, NULL, &fc, &log);
        if (s == AX_OK)
            s = ax_evaluate(&m, test, &t);
        if (s == AX_OK)
            printf("epoch %d seconds %.3f loss %.4f test_acc %.4f gflops %.1f\n", e, log.seconds, log.train.loss,
                   t.accuracy, per_sample * (double)train->n / log.seconds * 1e-9);
        fflush(stdout);
    }
    if (s != AX_OK)
        fprintf(stderr, "bench_mlp: %s\n", ax_last_error());
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return s == AX_OK ? 0 : 1;
}
