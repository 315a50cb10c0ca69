/* The demo: a 784-256-128-10 ReLU network learns to classify the real
 * Fashion-MNIST images (softmax cross-entropy, Adam lr 1e-3, batch 64).
 *
 *   fashion_mnist [--data DIR] [--epochs N] [--batch B] [--threads T]
 *                 [--seed S] [--limit N] [--curves FILE.svg] [--log FILE.csv] [--quiet]
 *
 * --limit trains on the first N training images (and tests on the first
 * N/6 test images), for quick runs. Exit status: 0 on success, 1 when the
 * data cannot be loaded or training fails, 2 for bad arguments. */
#include <axon.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_long(const char *flag, const char *text, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < min) {
        fprintf(stderr, "fashion_mnist: %s expects an integer >= %ld, got '%s'\n", flag, min, text);
        return 0;
    }
    *out = v;
    return 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: fashion_mnist [--data DIR] [--epochs N] [--batch B] [--threads T] "
               "[--seed S] [--limit N] [--curves FILE.svg] [--log FILE.csv] [--quiet]\n");
}

static int load(const char *dir, int train, ax_dataset **out)
{
    if (ax_dataset_fashion_mnist(dir, train, out) != AX_OK) {
        fprintf(stderr, "fashion_mnist: %s\n", ax_last_error());
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = AX_FASHION_MNIST_DIR, *curves = NULL, *csv = NULL;
    long epochs = 5, batch = 64, threads = 0, seed = 1, limit = 0, quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        long *target = !strcmp(a, "--epochs")    ? &epochs
                       : !strcmp(a, "--batch")   ? &batch
                       : !strcmp(a, "--threads") ? &threads
                       : !strcmp(a, "--seed")    ? &seed
                       : !strcmp(a, "--limit")   ? &limit
                                                 : NULL;
        if (!strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "--data") && has_value) {
            dir = argv[++i];
        } else if (!strcmp(a, "--curves") && has_value) {
            curves = argv[++i];
        } else if (!strcmp(a, "--log") && has_value) {
            csv = argv[++i];
        } else if (target && has_value) {
            long min = target == &batch || target == &epochs ? 1 : 0;
            if (!parse_long(a, argv[++i], min, target))
                return 2;
        } else {
            fprintf(stderr, "fashion_mnist: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }

    ax_set_num_threads((int)threads);
    ax_dataset *train = NULL, *test = NULL;
    if (!load(dir, 1, &train) || !load(dir, 0, &test)) {
        ax_dataset_free(train);
        return 1;
    }
    if (limit > 0) {
        ax_dataset *small_train, *small_test;
        if (ax_dataset_head(train, limit, &small_train) != AX_OK ||
            ax_dataset_head(test, limit / 6 + 1, &small_test) != AX_OK) {
            fprintf(stderr, "fashion_mnist: %s\n", ax_last_error());
            return 1;
        }
        ax_dataset_free(train);
        ax_dataset_free(test);
        train = small_train;
        test = small_test;
    }
    if (!quiet)
        printf("Fashion-MNIST: %lld training and %lld test images of %lldx%lld, %d threads\n",
               (long long)train->n, (long long)test->n, (long long)train->sample_shape[0],
               (long long)train->sample_shape[1], ax_get_num_threads());

    ax_rng rng;
    ax_rng_seed(&rng, (uint64_t)seed, 1);
    ax_graph *g;
    ax_model m = {0};
    ax_optimizer *opt = NULL;
    ax_status s = ax_graph_new(&g);
    if (s == AX_OK) {
        ax_node *x = ax_input(g, "image", ax_shape2(batch, train->sample_size));
        ax_node *h = ax_dense(g, x, 256, "relu", AX_DEFAULT_INIT, &rng, "fc1");
        h = ax_dense(g, h, 128, "relu", AX_DEFAULT_INIT, &rng, "fc2");
        ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "fc3");
        ax_node *label = ax_input(g, "label", ax_shape1(batch));
        ax_node *loss = ax_softmax_cross_entropy(g, logits, label);
        m = (ax_model){.graph = g, .input = x, .target = label, .output = logits, .loss = loss};
        s = ax_graph_compile(g);
    }
    ax_optim_config oc;
    if (s == AX_OK && (s = ax_optim_defaults("adam", &oc)) == AX_OK) {
        oc.lr = 1e-3f;
        s = ax_optimizer_new("adam", &oc, &opt);
    }
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    if (s == AX_OK && !quiet)
        printf("model: 784-256-128-10 ReLU MLP, %lld parameters; Adam lr 1e-3, batch %ld, %ld epochs, "
               "seed %ld\n",
               (long long)ax_graph_param_count(g), batch, epochs, seed);
    ax_metrics final = {0};
    ax_callback *cbs[2];
    int n_cbs = 0;
    if (s == AX_OK && curves && (s = ax_svg_curves_new(curves, &cbs[n_cbs])) == AX_OK)
        n_cbs++;
    if (s == AX_OK && csv && (s = ax_csv_logger_new(csv, &cbs[n_cbs])) == AX_OK)
        n_cbs++;
    if (s == AX_OK) {
        ax_fit_config fc = ax_fit_defaults();
        fc.epochs = (int)epochs;
        fc.seed = (uint64_t)seed;
        fc.callbacks = cbs;
        fc.n_callbacks = n_cbs;
        s = ax_fit(&m, opt, train, test, &fc, NULL);
    }
    for (int k = 0; k < n_cbs; k++)
        ax_callback_free(cbs[k]);
    if (s == AX_OK)
        s = ax_evaluate(&m, test, &final);
    if (s == AX_OK)
        printf("test accuracy: %.4f (%lld images), test loss %.4f\n", final.accuracy,
               (long long)final.samples, final.loss);
    else
        fprintf(stderr, "fashion_mnist: %s\n", ax_last_error());
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return s == AX_OK ? 0 : 1;
}
