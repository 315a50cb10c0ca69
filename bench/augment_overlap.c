/* Does augmentation cost training time? The loader makes (and augments)
 * batches on its own thread while the training step runs.
 *
 *   bench_augment THREADS mlp|cnn [DATA_DIR]
 *
 * Trains the demo's MLP or the W-CNN for one epoch on Fashion-MNIST
 * without and with augmentation (shift 2, rotation 10 degrees, noise
 * 0.05), and times the augmentation of the 60,000 images alone, on one
 * thread. If batches are made in the shadow of the steps, the augmented
 * epoch costs about the plain one, not plain + augmentation. */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double epoch_seconds(const ax_dataset *train, const ax_augment *aug, int cnn)
{
    ax_rng rng;
    ax_rng_seed(&rng, 42, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "image", cnn ? ax_shape4(64, 1, 28, 28) : ax_shape2(64, 784)), *h;
    if (cnn) {
        h = ax_conv2d_layer(g, x, 32, 3, 3, NULL, "relu", AX_DEFAULT_INIT, &rng, "conv1");
        h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
        h = ax_conv2d_layer(g, h, 64, 3, 3, NULL, "relu", AX_DEFAULT_INIT, &rng, "conv2");
        h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
        h = ax_dense(g, ax_flatten(g, h), 128, "relu", AX_DEFAULT_INIT, &rng, "fc2");
    } else {
        h = ax_dense(g, x, 256, "relu", AX_DEFAULT_INIT, &rng, "fc1");
        h = ax_dense(g, h, 128, "relu", AX_DEFAULT_INIT, &rng, "fc2");
    }
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "fc3");
    ax_node *label = ax_input(g, "label", ax_shape1(64));
    ax_model m = {.graph = g, .input = x, .target = label, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, label)};
    ax_optimizer *opt = NULL;
    ax_epoch_log log = {0};
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = 1;
    fc.verbosity = AX_QUIET;
    fc.augment = aug;
    if (ax_graph_compile(g) != AX_OK || ax_optimizer_new("adam", NULL, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, g) != AX_OK || ax_fit(&m, opt, train, NULL, &fc, &log) != AX_OK) {
        fprintf(stderr, "bench_augment: %s\n", ax_last_error());
        exit(1);
    }
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return log.seconds;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_augment THREADS mlp|cnn [DATA_DIR]\n");
        return 2;
    }
    ax_set_num_threads(atoi(argv[1]));
    const int cnn = argv[2][0] == 'c';
    ax_dataset *train = NULL;
    if (ax_dataset_fashion_mnist(argc > 3 ? argv[3] : NULL, 1, &train) != AX_OK) {
        fprintf(stderr, "bench_augment: %s\n", ax_last_error());
        return 1;
    }
    const ax_augment aug = {.max_shift = 2, .max_rotate = 10.0f, .noise_std = 0.05f};
    /* the augmentation alone, on this thread */
    ax_batcher *b;
    static float x[64 * 784], t[64];
    ax_batcher_new(train, 64, 1, 1, &b);
    ax_batcher_set_augment(b, &aug);
    ax_batcher_start_epoch(b);
    double t0 = now();
    while (ax_batcher_next(b, x, t) > 0)
        ;
    double aug_alone = now() - t0;
    ax_batcher_set_augment(b, NULL);
    ax_batcher_start_epoch(b);
    t0 = now();
    while (ax_batcher_next(b, x, t) > 0)
        ;
    double batches_alone = now() - t0;
    ax_batcher_free(b);
    double plain = epoch_seconds(train, NULL, cnn), augmented = epoch_seconds(train, &aug, cnn);
    printf("%s, threads %s: epoch %.3f s plain, %.3f s augmented (+%.0f%%); making the batches alone: "
           "%.3f s plain, %.3f s augmented; hidden: %.0f%% of the augmentation's time\n",
           cnn ? "W-CNN" : "MLP", argv[1], plain, augmented, 100 * (augmented / plain - 1), batches_alone, aug_alone,
           100 * (1 - (augmented - plain) / (aug_alone - batches_alone)));
    ax_dataset_free(train);
    return 0;
}
