/* Convolutional networks on Fashion-MNIST.
 *
 *   fashion_cnn [--recipe basic|strong] [--epochs N] [--threads T] [--seed S]
 *               [--limit N] [--data DIR] [--quiet]
 *
 * basic (the W-CNN of bench/): conv 3x3 1->32, ReLU, max-pool 2, conv 3x3
 *   32->64, ReLU, max-pool 2, flatten, dense 128, ReLU, dense 10; Adam lr
 *   1e-3, batch 64, 3 epochs.
 * strong: conv-BN-ReLU blocks with 'same' padding (32, then 64 maps), each
 *   followed by max-pooling; spatial dropout; a residual block (He et al.
 *   2016) at 7x7x64; dropout 0.4; dense 10. Adam lr 2e-3 with a cosine
 *   schedule after a 1-epoch warm-up, 12 epochs.
 * Exit status: 0 on success, 1 when data or training fails, 2 for bad
 * arguments. */
#include <axon.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(const char *dir, int train, ax_dataset **out)
{
    if (ax_dataset_fashion_mnist(dir, train, out) != AX_OK) {
        fprintf(stderr, "fashion_cnn: %s\n", ax_last_error());
        return 0;
    }
    return 1;
}

/* conv 3x3 'same' (no bias) -> batch norm -> ReLU */
static ax_node *conv_bn_relu(ax_graph *g, ax_node *x, int out, ax_rng *rng, const char *name)
{
    char c[64], b[64];
    snprintf(c, sizeof c, "%s.conv", name);
    snprintf(b, sizeof b, "%s.bn", name);
    ax_conv_options same = {.pad_mode = AX_PAD_SAME, .no_bias = 1};
    ax_node *h = ax_conv2d_layer(g, x, out, 3, 3, &same, NULL, (ax_init){AX_INIT_HE_NORMAL, 0, 0}, rng, c);
    return ax_relu(g, ax_batch_norm_layer(g, h, 0, 0, b));
}

/* The residual block of He et al. 2016: x + BN(conv(ReLU(BN(conv(x))))), then ReLU. */
static ax_node *residual_block(ax_graph *g, ax_node *x, int channels, ax_rng *rng, const char *name)
{
    char n1[64], n2[64], n3[64];
    snprintf(n1, sizeof n1, "%s.a", name);
    snprintf(n2, sizeof n2, "%s.b.conv", name);
    snprintf(n3, sizeof n3, "%s.b.bn", name);
    ax_conv_options same = {.pad_mode = AX_PAD_SAME, .no_bias = 1};
    ax_node *h = conv_bn_relu(g, x, channels, rng, n1);
    h = ax_conv2d_layer(g, h, channels, 3, 3, &same, NULL, (ax_init){AX_INIT_HE_NORMAL, 0, 0}, rng, n2);
    h = ax_batch_norm_layer(g, h, 0, 0, n3);
    return ax_relu(g, ax_add(g, h, x));
}

static ax_node *basic_net(ax_graph *g, ax_node *x, ax_rng *rng)
{
    ax_node *h = ax_conv2d_layer(g, x, 32, 3, 3, NULL, "relu", AX_DEFAULT_INIT, rng, "conv1");
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
    h = ax_conv2d_layer(g, h, 64, 3, 3, NULL, "relu", AX_DEFAULT_INIT, rng, "conv2");
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
    h = ax_dense(g, ax_flatten(g, h), 128, "relu", AX_DEFAULT_INIT, rng, "fc1");
    return ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, rng, "fc2");
}

static ax_node *strong_net(ax_graph *g, ax_node *x, ax_rng *rng)
{
    ax_node *h = conv_bn_relu(g, x, 32, rng, "block1");     /* 28x28x32 */
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);              /* 14x14 */
    h = conv_bn_relu(g, h, 64, rng, "block2");              /* 14x14x64 */
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);              /* 7x7 */
    h = ax_spatial_dropout(g, h, 0.1f);
    h = residual_block(g, h, 64, rng, "res");               /* 7x7x64 */
    h = ax_dropout(g, ax_flatten(g, h), 0.4f);
    return ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, rng, "fc");
}

int main(int argc, char **argv)
{
    const char *dir = AX_FASHION_MNIST_DIR, *recipe = "basic";
    long epochs = -1, threads = 0, seed = 42, limit = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long *num = !strcmp(a, "--epochs") ? &epochs : !strcmp(a, "--threads") ? &threads
                  : !strcmp(a, "--seed") ? &seed : !strcmp(a, "--limit") ? &limit : NULL;
        if (!strcmp(a, "--quiet"))
            quiet = 1;
        else if (!strcmp(a, "--data") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(a, "--recipe") && i + 1 < argc && (!strcmp(argv[i + 1], "basic") || !strcmp(argv[i + 1], "strong")))
            recipe = argv[++i];
        else if (num && i + 1 < argc) {
            char *end;
            errno = 0;
            *num = strtol(argv[++i], &end, 10);
            if (errno || *end || *num < 0) {
                fprintf(stderr, "fashion_cnn: %s expects a non-negative integer, got '%s'\n", a, argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "fashion_cnn: unknown or incomplete option '%s'\n"
                            "usage: fashion_cnn [--recipe basic|strong] [--epochs N] [--threads T] "
                            "[--seed S] [--limit N] [--data DIR] [--quiet]\n", a);
            return 2;
        }
    }
    int strong = !strcmp(recipe, "strong");
    if (epochs < 0)
        epochs = strong ? 12 : 3;
    ax_set_num_threads((int)threads);
    ax_dataset *train = NULL, *test = NULL;
    if (!load(dir, 1, &train) || !load(dir, 0, &test)) {
        ax_dataset_free(train);
        return 1;
    }
    if (limit > 0) {
        ax_dataset *a, *b;
        if (ax_dataset_head(train, limit, &a) != AX_OK || ax_dataset_head(test, limit / 6 + 1, &b) != AX_OK)
            return 1;
        ax_dataset_free(train);
        ax_dataset_free(test);
        train = a, test = b;
    }
    ax_rng rng;
    ax_rng_seed(&rng, (uint64_t)seed, 1);
    ax_graph *g;
    ax_optimizer *opt = NULL;
    ax_schedule *sched = NULL;
    ax_status s = ax_graph_new(&g);
    ax_graph_seed(g, (uint64_t)seed);
    ax_node *x = ax_input(g, "image", ax_shape4(64, 1, 28, 28));
    ax_node *logits = strong ? strong_net(g, x, &rng) : basic_net(g, x, &rng);
    ax_node *label = ax_input(g, "label", ax_shape1(64));
    ax_model m = {.graph = g, .input = x, .target = label, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, label)};
    if (s == AX_OK)
        s = ax_graph_compile(g);
    ax_optim_config oc;
    ax_optim_defaults("adam", &oc);
    oc.lr = strong ? 2e-3f : 1e-3f;
    if (s == AX_OK)
        s = ax_optimizer_new("adam", &oc, &opt);
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    if (s == AX_OK && strong) {
        ax_schedule_config sc;
        ax_schedule_defaults("cosine", &sc);
        sc.total_steps = (int)epochs - 1;
        sc.warmup_steps = 1;
        sc.warmup_start = 0.1f;
        s = ax_schedule_new("cosine", &sc, &sched);
    }
    if (s == AX_OK && !quiet)
        printf("Fashion-MNIST, %s CNN: %lld parameters, %ld epochs, batch 64, %d threads, seed %ld\n", recipe,
               (long long)ax_graph_param_count(g), epochs, ax_get_num_threads(), seed);
    ax_metrics final = {0};
    if (s == AX_OK) {
        ax_fit_config fc = ax_fit_defaults();
        fc.epochs = (int)epochs;
        fc.seed = (uint64_t)seed;
        fc.schedule = sched;
        fc.verbosity = quiet ? AX_QUIET : AX_PROGRESS;
        s = ax_fit(&m, opt, train, test, &fc, NULL);
    }
    if (s == AX_OK)
        s = ax_evaluate(&m, test, &final);
    if (s == AX_OK)
        printf("test accuracy: %.4f (%lld images), test loss %.4f\n", final.accuracy, (long long)final.samples,
               final.loss);
    else
        fprintf(stderr, "fashion_cnn: %s\n", ax_last_error());
    ax_schedule_free(sched);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return s == AX_OK ? 0 : 1;
}
