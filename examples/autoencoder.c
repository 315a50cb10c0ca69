/* Unsupervised pretraining: a denoising autoencoder (Vincent et al. 2008)
 * learns, from images without labels, to rebuild each image from a copy
 * with 30% of its pixels dropped: 784 -> 256 (ReLU) -> 784, binary
 * cross-entropy on the pixels. Its first layer is then reused as the
 * first layer of a classifier (784 -> 256 -> 10) that sees only 30
 * labelled images per class: the course's "unsupervised training" and
 * "reusing pretrained layers". Fashion-MNIST: 20,000 training images
 * without their labels, 300 with, the 10,000 test images to score.
 *
 *   autoencoder [LABELLED_PER_CLASS] [DATA_DIR]
 *
 * Four classifiers on each of three label draws (seeds 1 to 3), the same
 * initial head for all: the first layer kept fixed, random (as initialised)
 * or pretrained, only the head learning; and the whole network learning,
 * from scratch or from the pretrained layer.
 *
 * Exits 1 unless the autoencoder's reconstruction loss fell and, with the
 * first layer fixed, the pretrained one beats the random one on every
 * draw and by at least 2 points of test accuracy on average: what it
 * learned without labels is what tells the classes apart. Fully trained,
 * the two end closer (printed, not checked: with ReLU, He initialisation
 * and Adam a one-hidden-layer network from scratch needs little help). */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { UNLABELLED = 20000, HIDDEN = 256 };

/* The first n images of ds as floats, with themselves as the targets. */
static ax_status images_as_targets(const ax_dataset *ds, int64_t n, ax_dataset **out)
{
    float *x = malloc((size_t)(n * 784) * sizeof(float));
    if (!x)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n * 784; i++)
        x[i] = ds->x[i] * ds->scale;
    ax_status s = ax_dataset_from_floats(x, n, 784, NULL, 0, x, 784, out);
    free(x);
    return s;
}

/* per_class labelled images from ds (training split), drawn by seed. */
static ax_status few_labels(const ax_dataset *ds, int per_class, uint64_t seed, ax_dataset **out)
{
    ax_rng rng;
    ax_rng_seed(&rng, seed, 7);
    uint32_t *idx = malloc((size_t)(per_class * 10) * sizeof *idx);
    int taken[10] = {0}, n = 0;
    while (idx && n < per_class * 10) {
        const uint32_t i = (uint32_t)(ax_rng_uniform(&rng) * (double)ds->n);
        if (taken[ds->labels[i]] < per_class) {
            taken[ds->labels[i]]++;
            idx[n++] = i;
        }
    }
    ax_status s = idx ? ax_dataset_subset(ds, idx, n, out) : ax_fail(AX_ERR_NOMEM, "out of memory");
    free(idx);
    return s;
}

static ax_status adam(ax_graph *g, float lr, ax_optimizer **out)
{
    ax_optim_config c;
    ax_optim_defaults("adam", &c);
    c.lr = lr;
    ax_status s = ax_optimizer_new("adam", &c, out);
    return s == AX_OK ? ax_optimizer_add_graph(*out, g) : s;
}

/* Train the denoising autoencoder; its encoder weights into enc_w, enc_b. */
static ax_status pretrain(const ax_dataset *images, float *enc_w, float *enc_b, double *first, double *last)
{
    ax_rng rng;
    ax_rng_seed(&rng, 2008, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_graph_seed(g, 2008);
    ax_node *x = ax_input(g, "x", ax_shape2(64, 784)), *target = ax_input(g, "target", ax_shape2(64, 784));
    ax_node *h = ax_dense(g, ax_dropout(g, x, 0.3f), HIDDEN, "relu", AX_DEFAULT_INIT, &rng, "enc");
    ax_node *logits = ax_dense(g, h, 784, NULL, AX_DEFAULT_INIT, &rng, "dec");
    ax_model m = {.graph = g, .input = x, .target = target, .output = logits, .loss = ax_loss(g, "binary_cross_entropy_with_logits", logits, target, NULL)};
    ax_optimizer *opt = NULL;
    ax_status s = ax_graph_compile(g);
    if (s == AX_OK)
        s = adam(g, 1e-3f, &opt);
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = 4;
    fc.verbosity = AX_QUIET;
    ax_epoch_log log[4];
    if (s == AX_OK)
        s = ax_fit(&m, opt, images, NULL, &fc, log);
    if (s == AX_OK) {
        *first = log[0].train.loss, *last = log[3].train.loss;
        memcpy(enc_w, ax_node_data(ax_graph_find(g, "enc.weight")), HIDDEN * 784 * sizeof(float));
        memcpy(enc_b, ax_node_data(ax_graph_find(g, "enc.bias")), HIDDEN * sizeof(float));
    }
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return s;
}

/* The classifier on the labelled few, from the pretrained encoder or
 * (enc_w NULL) from scratch, its first layer frozen or not; its test
 * accuracy. */
static ax_status classify(const ax_dataset *train, const ax_dataset *test, const float *enc_w, const float *enc_b,
                          int frozen, uint64_t seed, double *accuracy)
{
    ax_rng rng;
    ax_rng_seed(&rng, seed, 3);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(32, 784)), *label = ax_input(g, "label", ax_shape1(32));
    ax_node *h = ax_dense(g, x, HIDDEN, "relu", AX_DEFAULT_INIT, &rng, "enc");
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "head");
    ax_model m = {.graph = g, .input = x, .target = label, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, label)};
    ax_optimizer *opt = NULL;
    ax_status s = ax_graph_compile(g);
    if (s == AX_OK && enc_w) {
        memcpy(ax_node_data(ax_graph_find(g, "enc.weight")), enc_w, HIDDEN * 784 * sizeof(float));
        memcpy(ax_node_data(ax_graph_find(g, "enc.bias")), enc_b, HIDDEN * sizeof(float));
    }
    if (s == AX_OK && frozen)
        s = ax_graph_freeze(g, "enc", 1, NULL);
    if (s == AX_OK)
        s = adam(g, 1e-3f, &opt);
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = 40;
    fc.seed = seed;
    fc.verbosity = AX_QUIET;
    ax_epoch_log log[40];
    ax_metrics t;
    if (s == AX_OK)
        s = ax_fit(&m, opt, train, NULL, &fc, log);
    if (s == AX_OK)
        s = ax_evaluate(&m, test, &t);
    if (s == AX_OK)
        *accuracy = t.accuracy;
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return s;
}

int main(int argc, char **argv)
{
    const int per_class = argc > 1 ? atoi(argv[1]) : 30;
    const char *dir = argc > 2 ? argv[2] : NULL;
    ax_dataset *train = NULL, *test = NULL, *images = NULL;
    static float enc_w[HIDDEN * 784], enc_b[HIDDEN];
    /* accuracy[kind][draw]: fixed random, fixed pretrained, scratch, fine-tuned */
    enum { FIXED_RANDOM, FIXED_PRETRAINED, SCRATCH, FINE_TUNED, KINDS };
    static const char *const names[KINDS] = {"first layer fixed, random", "first layer fixed, pretrained",
                                             "all trained, from scratch", "all trained, from pretrained"};
    double first = 0, last = 0, acc[KINDS][3], mean[KINDS] = {0};
    ax_status s = per_class >= 1 && per_class <= 1000 ? AX_OK : ax_fail(AX_ERR_INVALID_ARG, "1 to 1000 per class");
    if (s == AX_OK)
        s = ax_dataset_fashion_mnist(dir, 1, &train);
    if (s == AX_OK)
        s = ax_dataset_fashion_mnist(dir, 0, &test);
    if (s == AX_OK) /* the images alone: their labels are never read */
        s = images_as_targets(train, UNLABELLED, &images);
    if (s == AX_OK)
        s = pretrain(images, enc_w, enc_b, &first, &last);
    if (s == AX_OK)
        printf("denoising autoencoder on %d unlabelled images: reconstruction loss %.4f -> %.4f (4 epochs)\n",
               UNLABELLED, first, last);
    int wins = 0;
    for (int k = 0; k < 3 && s == AX_OK; k++) {
        ax_dataset *few = NULL;
        const uint64_t seed = (uint64_t)k + 1;
        s = few_labels(train, per_class, seed, &few);
        for (int c = 0; c < KINDS && s == AX_OK; c++) {
            const int pretrained = c == FIXED_PRETRAINED || c == FINE_TUNED, frozen = c <= FIXED_PRETRAINED;
            s = classify(few, test, pretrained ? enc_w : NULL, enc_b, frozen, seed, &acc[c][k]);
            mean[c] += acc[c][k] / 3;
        }
        ax_dataset_free(few);
        if (s == AX_OK) {
            printf("labels draw %d (%d a class), test accuracy:", k + 1, per_class);
            for (int c = 0; c < KINDS; c++)
                printf(" %s %.4f%s", names[c], acc[c][k], c < KINDS - 1 ? ";" : "\n");
            wins += acc[FIXED_PRETRAINED][k] > acc[FIXED_RANDOM][k];
        }
    }
    ax_dataset_free(images);
    ax_dataset_free(train);
    ax_dataset_free(test);
    if (s != AX_OK) {
        fprintf(stderr, "autoencoder: %s\n", ax_last_error());
        return 1;
    }
    for (int c = 0; c < KINDS; c++)
        printf("mean test accuracy, %s: %.4f\n", names[c], mean[c]);
    printf("pretraining: %+.1f points with the first layer fixed, %+.1f fully trained\n",
           100 * (mean[FIXED_PRETRAINED] - mean[FIXED_RANDOM]), 100 * (mean[FINE_TUNED] - mean[SCRATCH]));
    const int ok = last < first && mean[FIXED_PRETRAINED] >= mean[FIXED_RANDOM] + 0.02 && wins == 3;
    if (!ok)
        printf("FAILED: expected the pretrained fixed layer to beat the random one on every draw and by 2 points "
               "on average\n");
    return ok ? 0 : 1;
}
