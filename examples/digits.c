/* Handwritten digits, the course's progression (Nielsen, "Neural Networks
 * and Deep Learning", chapters 1, 3 and 6), on the `mnist` set (10,000
 * real MNIST digits: 7,996 to train, 2,004 to test; see docs/data.md):
 *
 *   1. 784-30-10, sigmoid everywhere, the quadratic cost 1/2 |y - a|^2 on
 *      one-hot targets, weights N(0, 1), plain SGD (eta 3, mini-batches
 *      of 10): the classic first network;
 *   2. the same 784-30-10 with the chapter-3 improvements: softmax output
 *      with the cross-entropy, L2 regularisation (lambda 5), weights
 *      N(0, 1/n_in), SGD (eta 0.5);
 *   3. a convolutional network: conv 5x5 20 maps, max-pool 2, conv 5x5 40
 *      maps, max-pool 2, dense 100 ReLU, dropout 0.5, softmax; SGD with
 *      momentum.
 *
 *   digits [--epochs N] [--cnn-epochs N] [--threads T] [--seed S]
 *
 * The two 784-30-10 networks train for N epochs (30, the book's), the CNN
 * for its own count (12).
 * Prints each stage's test accuracy per epoch. A stage's score is its
 * settled accuracy, the mean over its last 5 epochs (one epoch's figure
 * moves by a point from epoch to epoch with SGD). Exits 1 unless the first
 * network is well above chance (>= 85%), each stage beats the one before
 * (the second by half a point, the CNN by two) and the CNN settles at
 * 96.5% or more; the spread over seeds and GEMM kernels is in the README. */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EPOCHS 100

/* --seed: the weights' draws, the dropout stream and the data order */
static uint64_t seed = 1;

#define SETTLE 5 /* the last epochs a stage's score is averaged over */

typedef struct stage {
    const char *title;
    int64_t batch;
    double best, last, settled;
} stage;

static ax_model quadratic_mlp(ax_rng *rng)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "image", ax_shape2(10, 784));
    ax_init big = {AX_INIT_NORMAL, 0.0f, 1.0f};
    ax_node *h = ax_dense(g, x, 30, "sigmoid", big, rng, "hidden");
    ax_node *a = ax_dense(g, h, 10, "sigmoid", big, rng, "out");
    ax_node *y = ax_input(g, "one_hot", ax_shape2(10, 10));
    /* sse sums 1/2 (y - a)^2 over the mini-batch: with lr eta / m it is
     * the book's update w -= eta/m sum of the gradients */
    return (ax_model){.graph = g, .input = x, .target = y, .output = a, .loss = ax_loss(g, "sse", a, y, NULL)};
}

static ax_model improved_mlp(ax_rng *rng)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "image", ax_shape2(10, 784));
    ax_init scaled = {AX_INIT_LECUN_NORMAL, 0, 0}; /* N(0, 1/n_in) */
    ax_node *h = ax_dense(g, x, 30, "sigmoid", scaled, rng, "hidden");
    ax_node *logits = ax_dense(g, h, 10, NULL, scaled, rng, "out");
    ax_node *y = ax_input(g, "label", ax_shape1(10));
    ax_node *loss = ax_softmax_cross_entropy(g, logits, y);
    /* the book's lambda / (2 n) sum w^2 with lambda 5 over the n = 7,996 training samples */
    const float l2 = 5.0f / (2 * 7996.0f);
    loss = ax_regularize(g, loss, ax_graph_find(g, "hidden.weight"), 0, l2);
    loss = ax_regularize(g, loss, ax_graph_find(g, "out.weight"), 0, l2);
    return (ax_model){.graph = g, .input = x, .target = y, .output = logits, .loss = loss};
}

static ax_model cnn(ax_rng *rng)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_graph_seed(g, seed);
    ax_node *x = ax_input(g, "image", ax_shape4(32, 1, 28, 28));
    ax_node *h = ax_conv2d_layer(g, x, 20, 5, 5, NULL, "relu", AX_DEFAULT_INIT, rng, "conv1"); /* 24x24 */
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);                                                /* 12x12 */
    h = ax_conv2d_layer(g, h, 40, 5, 5, NULL, "relu", AX_DEFAULT_INIT, rng, "conv2");         /* 8x8 */
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);                                                /* 4x4 */
    h = ax_dropout(g, ax_dense(g, ax_flatten(g, h), 100, "relu", AX_DEFAULT_INIT, rng, "fc"), 0.5f);
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, rng, "out");
    ax_node *y = ax_input(g, "label", ax_shape1(32));
    return (ax_model){.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)};
}

static int run(stage *st, ax_model m, const ax_optim_config *oc, int epochs, const ax_dataset *train,
               const ax_dataset *test)
{
    ax_optimizer *opt;
    ax_epoch_log log[MAX_EPOCHS];
    ax_fit_config c = ax_fit_defaults();
    c.epochs = epochs;
    c.seed = seed;
    c.verbosity = AX_QUIET;
    if (ax_graph_compile(m.graph) != AX_OK || ax_optimizer_new("sgd", oc, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, m.graph) != AX_OK || ax_fit(&m, opt, train, test, &c, log) != AX_OK) {
        fprintf(stderr, "digits: %s: %s\n", st->title, ax_last_error());
        return 0;
    }
    printf("%s\n  test accuracy by epoch:", st->title);
    st->best = 0;
    for (int e = 0; e < epochs; e++) {
        printf(" %.4f", log[e].test.accuracy);
        st->best = log[e].test.accuracy > st->best ? log[e].test.accuracy : st->best;
    }
    st->last = log[epochs - 1].test.accuracy;
    const int settle = epochs < SETTLE ? epochs : SETTLE;
    st->settled = 0;
    for (int e = epochs - settle; e < epochs; e++)
        st->settled += log[e].test.accuracy / settle;
    printf("\n  final %.4f (best %.4f, mean of the last %d epochs %.4f), %.1f s per epoch\n", st->last, st->best,
           settle, st->settled, log[epochs - 1].seconds);
    ax_optimizer_free(opt);
    ax_graph_free(m.graph);
    return 1;
}

int main(int argc, char **argv)
{
    int epochs = 30, cnn_epochs = 12, threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--epochs") && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cnn-epochs") && i + 1 < argc)
            cnn_epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: digits [--epochs N] [--cnn-epochs N] [--threads T] [--seed S] (epochs 1..%d)\n",
                    MAX_EPOCHS);
            return 2;
        }
    }
    if (epochs < 1 || epochs > MAX_EPOCHS || cnn_epochs < 1 || cnn_epochs > MAX_EPOCHS) {
        fprintf(stderr, "digits: epochs must be 1..%d\n", MAX_EPOCHS);
        return 2;
    }
    ax_set_num_threads(threads);
    ax_dataset *train, *test;
    if (ax_dataset_mnist(NULL, 1, &train) != AX_OK || ax_dataset_mnist(NULL, 0, &test) != AX_OK) {
        fprintf(stderr, "digits: %s\n(make test's set-up fetches the mnist set: scripts/fetch-mnist.sh)\n",
                ax_last_error());
        return 1;
    }
    ax_dataset *train_1h, *test_1h; /* one-hot targets for the quadratic cost */
    uint32_t *all = malloc((size_t)(train->n > test->n ? train->n : test->n) * sizeof *all);
    for (uint32_t i = 0; i < (uint32_t)(train->n > test->n ? train->n : test->n); i++)
        all[i] = i;
    if (ax_dataset_subset(train, all, train->n, &train_1h) != AX_OK ||
        ax_dataset_subset(test, all, test->n, &test_1h) != AX_OK || ax_dataset_one_hot(train_1h) != AX_OK ||
        ax_dataset_one_hot(test_1h) != AX_OK) {
        fprintf(stderr, "digits: %s\n", ax_last_error());
        return 1;
    }
    free(all);
    printf("MNIST digits: %lld training images, %lld test images; %d epochs for the MLPs, %d for the CNN\n\n",
           (long long)train->n, (long long)test->n, epochs, cnn_epochs);
    stage st[3] = {{.title = "1. 784-30-10 sigmoid, quadratic cost, N(0,1) weights, SGD eta 3"},
                   {.title = "2. 784-30-10, softmax + cross-entropy, L2 (lambda 5), N(0,1/n_in) weights, SGD eta 0.5"},
                   {.title = "3. CNN: conv5x5x20, pool, conv5x5x40, pool, dense 100, dropout, softmax; SGD momentum"}};
    ax_rng rng;
    ax_rng_seed(&rng, seed, 0);
    int ok = run(&st[0], quadratic_mlp(&rng), &(ax_optim_config){.lr = 3.0f / 10}, epochs, train_1h, test_1h) &&
             run(&st[1], improved_mlp(&rng), &(ax_optim_config){.lr = 0.5f}, epochs, train, test) &&
             run(&st[2], cnn(&rng), &(ax_optim_config){.lr = 0.01f, .momentum = 0.9f}, cnn_epochs, train, test);
    if (ok) {
        ok = st[0].settled >= 0.85 && st[1].settled >= st[0].settled + 0.005 && st[2].settled >= st[1].settled + 0.02 &&
             st[2].settled >= 0.965;
        printf("\n%s\n", ok ? "each step of the course's progression improves on the last; the CNN passes 96.5%"
                            : "FAILED: the progression did not come out as claimed");
    }
    ax_dataset_free(train);
    ax_dataset_free(test);
    ax_dataset_free(train_1h);
    ax_dataset_free(test_1h);
    return ok ? 0 : 1;
}
