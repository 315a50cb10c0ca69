/* The training loop: it learns, it is reproducible, it stops on NaN, and
 * evaluate and predict agree. */
#include "test.h"

#define N_TRAIN 600
#define N_TEST 200
#define DIM 12
#define CLASSES 4

typedef struct run {
    ax_model m;
    ax_optimizer *opt;
} run;

static void build(run *r, const char *optimizer, float lr, int batch)
{
    ax_rng rng;
    ax_rng_seed(&rng, 77, 1);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(batch, DIM));
    ax_node *h = ax_dense(g, x, 16, "relu", AX_DEFAULT_INIT, &rng, "fc1");
    ax_node *logits = ax_dense(g, h, CLASSES, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *lab = ax_input(g, "lab", ax_shape1(batch));
    r->m = (ax_model){.graph = g, .input = x, .target = lab, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, lab)};
    CHECK_OK(ax_graph_compile(g));
    ax_optim_config c;
    CHECK_OK(ax_optim_defaults(optimizer, &c));
    c.lr = lr;
    CHECK_OK(ax_optimizer_new(optimizer, &c, &r->opt));
    CHECK_OK(ax_optimizer_add_graph(r->opt, g));
}

static void destroy(run *r)
{
    ax_optimizer_free(r->opt);
    ax_graph_free(r->m.graph);
}

static ax_fit_config quiet(int epochs)
{
    ax_fit_config c = ax_fit_defaults();
    c.epochs = epochs;
    c.verbosity = AX_QUIET;
    c.seed = 5;
    return c;
}

static void learns_blobs(void)
{
    ax_dataset *train = test_blobs(N_TRAIN, 1), *test = test_blobs(N_TEST, 2);
    run r;
    build(&r, "adam", 0.01f, 32);
    ax_metrics before;
    CHECK_OK(ax_evaluate(&r.m, test, &before));
    ax_epoch_log hist[8];
    ax_fit_config c = quiet(8);
    CHECK_OK(ax_fit(&r.m, r.opt, train, test, &c, hist));
    CHECK(hist[7].train.loss < 0.5 * hist[0].train.loss);
    CHECK(hist[7].test.accuracy >= 0.95);
    CHECK(before.accuracy < 0.6);
    CHECK(hist[0].train.samples == N_TRAIN && hist[0].test.samples == N_TEST);
    /* SGD with momentum learns it too. */
    destroy(&r);
    build(&r, "sgd", 0.1f, 16);
    CHECK_OK(ax_fit(&r.m, r.opt, train, test, &c, hist));
    CHECK(hist[7].test.accuracy >= 0.95);
    destroy(&r);
    ax_dataset_free(train);
    ax_dataset_free(test);
}

static void same_seed_same_bits(void)
{
    ax_dataset *train = test_blobs(N_TRAIN, 1), *test = test_blobs(N_TEST, 2);
    ax_epoch_log h1[3], h2[3];
    float *w[2];
    for (int k = 0; k < 2; k++) {
        run r;
        build(&r, "adam", 0.01f, 32);
        ax_fit_config c = quiet(3);
        CHECK_OK(ax_fit(&r.m, r.opt, train, test, &c, k ? h2 : h1));
        ax_node *p = ax_graph_find(r.m.graph, "fc1.weight");
        w[k] = malloc((size_t)ax_node_numel(p) * sizeof(float));
        memcpy(w[k], ax_node_data(p), (size_t)ax_node_numel(p) * sizeof(float));
        destroy(&r);
    }
    for (int e = 0; e < 3; e++) {
        CHECK(h1[e].train.loss == h2[e].train.loss);
        CHECK(h1[e].test.loss == h2[e].test.loss);
    }
    CHECK(memcmp(w[0], w[1], 16 * DIM * sizeof(float)) == 0);
    free(w[0]);
    free(w[1]);
    ax_dataset_free(train);
    ax_dataset_free(test);
}

static void nan_stops_training(void)
{
    ax_dataset *train = test_blobs(N_TRAIN, 1);
    run r;
    build(&r, "adam", 0.01f, 32);
    ax_node_data(ax_graph_find(r.m.graph, "fc2.weight"))[0] = NAN;
    ax_fit_config c = quiet(2);
    CHECK_ERR(ax_fit(&r.m, r.opt, train, NULL, &c, NULL), AX_ERR_NUMERIC,
              "loss became NaN at epoch 1, step 1");
    destroy(&r);
    ax_dataset_free(train);
}

static void evaluate_and_predict_agree(void)
{
    ax_dataset *train = test_blobs(N_TRAIN, 1), *test = test_blobs(N_TEST, 2);
    run r;
    build(&r, "adam", 0.01f, 64); /* 200 = 3 x 64 + 8: a short last batch */
    ax_fit_config c = quiet(2);
    CHECK_OK(ax_fit(&r.m, r.opt, train, NULL, &c, NULL));
    ax_metrics m;
    CHECK_OK(ax_evaluate(&r.m, test, &m));
    float *out = malloc((size_t)N_TEST * CLASSES * sizeof(float));
    CHECK_OK(ax_predict(&r.m, test, out));
    int correct = 0;
    for (int i = 0; i < N_TEST; i++) {
        int best = 0;
        for (int k = 1; k < CLASSES; k++)
            if (out[i * CLASSES + k] > out[i * CLASSES + best])
                best = k;
        correct += best == test->labels[i];
    }
    CHECK(m.samples == N_TEST);
    CHECK_NEAR(m.accuracy, (double)correct / N_TEST, 1e-12);
    free(out);
    destroy(&r);
    ax_dataset_free(train);
    ax_dataset_free(test);
}

static void mismatched_data_is_refused(void)
{
    run r;
    build(&r, "adam", 0.01f, 32);
    uint8_t x[10 * 5] = {0};
    int32_t y[10] = {0};
    ax_dataset *wrong;
    CHECK_OK(ax_dataset_from_memory(x, y, 10, (int64_t[]){5}, 1, CLASSES, 1.0f, &wrong));
    ax_fit_config c = quiet(1);
    CHECK_ERR(ax_fit(&r.m, r.opt, wrong, NULL, &c, NULL), AX_ERR_SHAPE,
              "takes 12 values per sample, the data has 5");
    ax_dataset_free(wrong);
    destroy(&r);
}

TEST_MAIN(T(learns_blobs), T(same_seed_same_bits), T(nan_stops_training),
          T(evaluate_and_predict_agree), T(mismatched_data_is_refused))
