/* What a run folder costs (bench/README.md): epochs of the W-MLP
 * (784-256-128-10 ReLU, Adam, batch 64, Fashion-MNIST, held-out
 * evaluation each epoch), alternately without and with the run logger at
 * its defaults (a step line every 10 steps, weight, gradient and
 * activation histograms every 100 steps, TensorBoard events, the
 * confusion matrix), in the order plain, logged, logged, plain, ... after
 * one epoch of warming up, so both see the machine at the same moments.
 *
 *   bench_logging THREADS PAIRS [FOLDER]
 *
 * Prints each epoch's seconds and, last, the medians, their difference
 * and the median share of a logged epoch spent inside the logger's hooks
 * (timed by the logger itself: the steadier figure on a noisy machine). */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_logging THREADS PAIRS [FOLDER]\n");
        return 2;
    }
    const int threads = atoi(argv[1]), pairs = atoi(argv[2]);
    const char *folder = argc > 3 ? argv[3] : "/tmp/axon-bench-logging";
    if (pairs < 1 || pairs > 50) {
        fprintf(stderr, "bench_logging: PAIRS must be 1..50\n");
        return 2;
    }
    ax_set_num_threads(threads);
    ax_dataset *train = NULL, *test = NULL;
    ax_spec spec;
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    ax_status s = ax_dataset_fashion_mnist(NULL, 1, &train);
    if (s == AX_OK)
        s = ax_dataset_fashion_mnist(NULL, 0, &test);
    if (s == AX_OK)
        s = ax_spec_build("input image 28 28\n"
                          "dense fc1 units=256 activation=relu\n"
                          "dense fc2 units=128 activation=relu\n"
                          "dense fc3 units=10\n"
                          "loss softmax_cross_entropy\n",
                          "w_mlp.spec", 64, 42, &spec);
    if (s == AX_OK && (s = ax_optim_defaults("adam", &oc)) == AX_OK && (s = ax_optimizer_new("adam", &oc, &opt)) == AX_OK)
        s = ax_optimizer_add_graph(opt, spec.graph);
    if (s != AX_OK) {
        fprintf(stderr, "bench_logging: %s\n", ax_last_error());
        return 1;
    }
    ax_model m = ax_spec_model(&spec);
    ax_run_layer layers[AX_SPEC_MAX_LAYERS];
    for (int k = 0; k < spec.n_layers; k++)
        layers[k] = (ax_run_layer){spec.layers[k].name, spec.layers[k].type, spec.layers[k].output};
    double plain[50], logged[50], inside[50];
    for (int e = -1; e < 2 * pairs && s == AX_OK; e++) {
        const int with = e >= 0 && (e % 2) != ((e / 2) % 2);
        ax_callback *cb = NULL;
        if (with) {
            ax_run_options o = ax_run_defaults();
            o.optimizer = opt;
            o.layers = layers;
            o.n_layers = spec.n_layers;
            s = ax_run_log_new(folder, &m, &o, &cb);
        }
        ax_fit_config c = ax_fit_defaults();
        c.epochs = 1;
        c.seed = (uint64_t)e + 2;
        c.verbosity = AX_QUIET;
        c.callbacks = &cb;
        c.n_callbacks = cb != NULL;
        ax_epoch_log log;
        if (s == AX_OK)
            s = ax_fit(&m, opt, train, test, &c, &log);
        if (s == AX_OK && e >= 0) {
            (with ? logged : plain)[e / 2] = log.seconds;
            if (with)
                inside[e / 2] = ax_run_log_seconds(cb) / log.seconds;
            printf("epoch %d %s seconds %.3f val_acc %.4f", e + 1, with ? "logged" : "plain", log.seconds,
                   log.test.accuracy);
            if (with)
                printf(" in_logger %.4f", ax_run_log_seconds(cb));
            printf("\n");
        }
        ax_callback_free(cb);
    }
    if (s != AX_OK) {
        fprintf(stderr, "bench_logging: %s\n", ax_last_error());
        return 1;
    }
    const double a = median(plain, pairs), b = median(logged, pairs), share = median(inside, pairs);
    printf("median plain %.3f logged %.3f difference %.2f%% time_in_logger %.2f%%\n", a, b, 100.0 * (b - a) / a,
           100.0 * share);
    ax_optimizer_free(opt);
    ax_graph_free(spec.graph);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return 0;
}
