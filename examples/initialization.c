/* Weight initialisation: why not zeros, why not just "small".
 * A 6-layer tanh network (32 units a layer) learns a 4-class problem from
 * three starts:
 *   zeros            every hidden unit of a layer computes the same thing
 *                    and gets the same gradient: they stay identical
 *                    (symmetry is never broken) and the network is as good
 *                    as one unit a layer;
 *   N(0, 0.01^2)     symmetric no more, but each layer shrinks the signal
 *                    ~50x: the gradient reaching the first layer vanishes;
 *   Xavier           the signal keeps its scale through the layers: learns.
 * Exits 1 unless all three behave as described. */
#include <axon.h>

#include <math.h>
#include <stdio.h>

#define LAYERS 6
#define WIDTH 32

typedef struct result {
    double accuracy, first_grad_norm, row_spread;
} result;

static result train(const ax_dataset *tr, const ax_dataset *te, ax_init init)
{
    ax_rng rng;
    ax_rng_seed(&rng, 5, 5);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(32, 10)), *h = x;
    char name[16];
    for (int l = 0; l < LAYERS; l++) {
        snprintf(name, sizeof name, "fc%d", l + 1);
        h = ax_dense(g, h, WIDTH, "tanh", init, &rng, name);
    }
    ax_node *logits = ax_dense(g, h, 4, NULL, init, &rng, "out");
    ax_node *y = ax_input(g, "y", ax_shape1(32));
    ax_model m = {.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)};
    ax_optimizer *opt;
    ax_graph_compile(g);
    ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.05f, .momentum = 0.9f}, &opt);
    ax_optimizer_add_graph(opt, g);
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 20;
    c.verbosity = AX_QUIET;
    ax_fit(&m, opt, tr, NULL, &c, NULL);
    result r;
    ax_metrics mt;
    ax_evaluate(&m, te, &mt);
    r.accuracy = mt.accuracy;
    /* the gradient reaching the first layer, on one batch */
    ax_batcher *b;
    ax_batcher_new(tr, 32, 0, 1, &b);
    ax_batcher_start_epoch(b);
    ax_batcher_next(b, ax_node_data(x), ax_node_data(y));
    ax_graph_forward(g);
    ax_graph_backward(g, m.loss, NULL);
    ax_node *w1 = ax_graph_find(g, "fc1.weight");
    double sq = 0, spread = 0;
    for (int64_t i = 0; i < ax_node_numel(w1); i++)
        sq += (double)ax_node_grad(w1)[i] * ax_node_grad(w1)[i];
    r.first_grad_norm = sqrt(sq);
    /* how different the units of the second layer are: the largest gap
     * between a row (a unit's incoming weights) and the first row */
    ax_node *w2 = ax_graph_find(g, "fc2.weight");
    for (int u = 1; u < WIDTH; u++)
        for (int k = 0; k < WIDTH; k++)
            spread = fmax(spread, fabs(ax_node_data(w2)[u * WIDTH + k] - ax_node_data(w2)[k]));
    r.row_spread = spread;
    ax_batcher_free(b);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return r;
}

int main(void)
{
    ax_dataset *tr, *te;
    if (ax_dataset_synthetic(1600, 4, 10, 1, &tr) != AX_OK || ax_dataset_synthetic(800, 4, 10, 2, &te) != AX_OK) {
        fprintf(stderr, "initialization: %s\n", ax_last_error());
        return 1;
    }
    const struct {
        const char *name;
        ax_init init;
    } starts[3] = {{"zeros", {AX_INIT_ZEROS, 0, 0}},
                   {"N(0, 0.01^2)", {AX_INIT_NORMAL, 0.0f, 0.01f}},
                   {"Xavier", {AX_INIT_XAVIER_NORMAL, 0, 0}}};
    result r[3];
    printf("%-14s %10s %22s %26s\n", "start", "accuracy", "|grad| at layer 1", "units differ by (layer 2)");
    for (int k = 0; k < 3; k++) {
        r[k] = train(tr, te, starts[k].init);
        printf("%-14s %10.3f %22.3g %26.3g\n", starts[k].name, r[k].accuracy, r[k].first_grad_norm, r[k].row_spread);
    }
    int ok = r[0].row_spread == 0.0 && r[0].accuracy < 0.6   /* symmetric, and poor */
             && r[1].first_grad_norm < 1e-3 * r[2].first_grad_norm /* vanishing */
             && r[2].accuracy > 0.9;
    printf("%s\n", ok ? "as the course says: zeros never break symmetry, small weights starve the first layers, Xavier learns"
                      : "FAILED: not as the course says");
    ax_dataset_free(tr);
    ax_dataset_free(te);
    return ok ? 0 : 1;
}
