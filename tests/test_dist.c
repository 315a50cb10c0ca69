/* The communicator without MPI: the one-process kind, argument checks,
 * and the in-process sum in rank order; data-parallel fit in one process
 * (ax_fit_config.shards): its arithmetic against the unsplit batch, the
 * per-sample random streams, its refusals (tests/dist/ runs the MPI
 * kind, and checks it against these shards bit for bit). */
#include "test.h"

#include <math.h>

static void single_process(void)
{
    ax_comm *c;
    CHECK_OK(ax_comm_single(&c));
    CHECK(ax_comm_rank(c) == 0 && ax_comm_size(c) == 1 && !strcmp(ax_comm_kind(c), "single"));
    float x[3] = {1.5f, -2.0f, 3.25f};
    CHECK_OK(ax_comm_allreduce_sum(c, x, 3));
    CHECK(x[0] == 1.5f && x[1] == -2.0f && x[2] == 3.25f);
    double d = 0.1;
    CHECK_OK(ax_comm_allreduce_sum_f64(c, &d, 1));
    CHECK(d == 0.1);
    char text[8] = "same";
    CHECK_OK(ax_comm_broadcast(c, text, sizeof text, 0));
    CHECK(!strcmp(text, "same"));
    CHECK_OK(ax_comm_barrier(c));
    CHECK_ERR(ax_comm_broadcast(c, text, sizeof text, 1), AX_ERR_INVALID_ARG, "root 1 is not a rank (0..0)");
    CHECK_ERR(ax_comm_allreduce_sum(c, NULL, 4), AX_ERR_INVALID_ARG, "needs data for 4 values");
    CHECK_OK(ax_comm_allreduce_sum(c, NULL, 0));
    ax_comm_free(c);
    if (!ax_comm_mpi_built()) {
        CHECK_ERR(ax_comm_mpi(NULL, NULL, &c), AX_ERR_UNSUPPORTED, "built without MPI");
        CHECK(c == NULL);
    }
}

static void sum_in_rank_order(void)
{
    /* 1e8 + 1 - 1e8 in float: the order decides (1 is lost to the first sum) */
    const float a[2] = {1e8f, 1.0f}, b[2] = {1.0f, 2.0f}, cc[2] = {-1e8f, 3.0f};
    const float *shards[3] = {a, b, cc};
    float out[2];
    ax_sum_in_order(out, shards, 3, 2);
    CHECK(out[0] == (1e8f + 1.0f) - 1e8f && out[1] == 6.0f);
    CHECK(out[0] == 0.0f); /* and not 1, which (1e8 - 1e8) + 1 would give */
    float in_place[2] = {1e8f, 1.0f};
    const float *again[3] = {in_place, b, cc};
    ax_sum_in_order(in_place, again, 3, 2);
    CHECK(in_place[0] == out[0] && in_place[1] == out[1]);
}

typedef struct trained {
    float params[4096];
    int64_t n;
    ax_epoch_log hist[2];
} trained;

/* A two-layer tanh MLP, 2 epochs of batches of 16 (the last of 8) */
static ax_status train_shards(const char *spec_text, const ax_dataset *ds, int shards, trained *out)
{
    ax_spec spec;
    ax_status s = ax_spec_build(spec_text, "test", 16, 3, &spec);
    if (s != AX_OK)
        return s;
    ax_model m = ax_spec_model(&spec);
    ax_optim_config oc;
    ax_optimizer *opt = NULL;
    ax_optim_defaults("sgd", &oc);
    oc.lr = 0.1f;
    if ((s = ax_optimizer_new("sgd", &oc, &opt)) == AX_OK && (s = ax_optimizer_add_graph(opt, spec.graph)) == AX_OK) {
        ax_fit_config c = ax_fit_defaults();
        c.epochs = 2;
        c.verbosity = AX_QUIET;
        c.shards = shards;
        s = ax_fit(&m, opt, ds, ds, &c, out->hist);
    }
    const ax_span p = ax_graph_param_span(spec.graph);
    out->n = p.n < 4096 ? p.n : 4096;
    memcpy(out->params, p.data, (size_t)out->n * sizeof(float));
    ax_optimizer_free(opt);
    ax_graph_free(spec.graph);
    return s;
}

static const char *mlp = "input x 12\ndense h units=10 activation=tanh\ndense out units=3\nloss softmax_cross_entropy\n";

/* N shards weighted by their rows and added are the whole batch's
 * gradient: the same training up to rounding (3 shards of 16 rows are 6,
 * 5, 5: unequal weights; 5 shards of the last 8 rows: 2, 2, 2, 1, 1) */
static void shards_are_the_batch(void)
{
    ax_dataset *ds;
    CHECK_OK(ax_dataset_synthetic(72, 3, 12, 5, &ds));
    static trained whole, one, three, five, again;
    CHECK_OK(train_shards(mlp, ds, 0, &whole));
    CHECK_OK(train_shards(mlp, ds, 1, &one));
    CHECK_OK(train_shards(mlp, ds, 3, &three));
    CHECK_OK(train_shards(mlp, ds, 5, &five));
    CHECK_OK(train_shards(mlp, ds, 3, &again));
    CHECK(!memcmp(whole.params, one.params, (size_t)whole.n * sizeof(float))); /* 1 shard is no split */
    CHECK(!memcmp(three.params, again.params, (size_t)whole.n * sizeof(float))); /* the same bits again */
    double far3 = 0, far5 = 0, size = 0;
    for (int64_t i = 0; i < whole.n; i++) {
        far3 = fmax(far3, fabs((double)three.params[i] - whole.params[i]));
        far5 = fmax(far5, fabs((double)five.params[i] - whole.params[i]));
        size = fmax(size, fabs((double)whole.params[i]));
    }
    printf("  3 shards: largest difference %.3g, 5 shards: %.3g (of weights up to %.3g)\n", far3, far5, size);
    CHECK(far3 > 0 && far3 < 1e-5 * size && far5 > 0 && far5 < 1e-5 * size);
    for (int e = 0; e < 2; e++) {
        CHECK_NEAR(three.hist[e].train.loss, whole.hist[e].train.loss, 1e-5);
        CHECK_NEAR(five.hist[e].test.loss, whole.hist[e].test.loss, 1e-5);
        CHECK(three.hist[e].train.samples == 72 && five.hist[e].test.samples == 72);
    }
    ax_dataset_free(ds);
}

/* Dropout's mask for a sample depends on its place in the whole batch:
 * the halves of a batch, run from the same stream with their row bases,
 * draw what the whole batch draws. */
static void dropout_per_sample(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(8, 50));
    ax_node *y = ax_dropout(g, x, 0.5f);
    ax_node *z = ax_spatial_dropout(g, ax_reshape(g, y, ax_shape2(10, 5)), 0.3f);
    CHECK_OK(ax_graph_compile(g));
    ax_graph_set_training(g, 1);
    float in[400], whole[400], parts[400];
    for (int i = 0; i < 400; i++)
        in[i] = 1.0f + (float)i;
    CHECK_OK(ax_node_write(x, in, 400));
    const ax_rng start = ax_graph_rng(g);
    CHECK_OK(ax_graph_forward(g));
    CHECK_OK(ax_node_read(z, whole, 400));
    int kept = 0;
    for (int i = 0; i < 400; i++)
        kept += whole[i] != 0.0f;
    CHECK(kept > 100 && kept < 300);
    for (int half = 0; half < 2; half++) {
        ax_graph_set_rng(g, start);
        ax_graph_set_row_base(g, 4 * half);
        CHECK_OK(ax_graph_set_batch(g, 4));
        CHECK_OK(ax_node_write(x, in + 200 * half, 200));
        CHECK_OK(ax_graph_forward(g));
        CHECK_OK(ax_node_read(z, parts + 200 * half, 200));
    }
    CHECK(!memcmp(whole, parts, sizeof whole));
    ax_graph_set_row_base(g, 1); /* elsewhere in the batch: other masks */
    ax_graph_set_rng(g, start);
    CHECK_OK(ax_graph_forward(g));
    CHECK_OK(ax_node_read(z, parts, 200));
    CHECK(memcmp(whole, parts, 200 * sizeof(float)));
    ax_graph_free(g);
}

static void shard_refusals(void)
{
    ax_dataset *ds;
    CHECK_OK(ax_dataset_synthetic(40, 3, 12, 5, &ds));
    static trained t;
    CHECK_ERR(train_shards(mlp, ds, 5000, &t), AX_ERR_INVALID_ARG, "shards 5000 is outside 0..4096");
    ax_dataset_one_hot(ds);
    CHECK_ERR(train_shards("input x 12\ndense out units=3\nloss sse\n", ds, 2, &t), AX_ERR_UNSUPPORTED,
              "losses averaged over the batch");
    CHECK_OK(train_shards("input x 12\ndense out units=3\nloss sse\n", ds, 1, &t)); /* no split: any loss */
    ax_dataset_free(ds);
}

TEST_MAIN(T(single_process), T(sum_in_rank_order), T(shards_are_the_batch), T(dropout_per_sample),
          T(shard_refusals))
