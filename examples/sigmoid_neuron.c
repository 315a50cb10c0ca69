/* "Will I pass?" — one sigmoid neuron, the course's first model that
 * answers with a probability instead of a yes/no step.
 *
 * Data: examples/data/will_i_pass.csv, 24 students of a past year: the
 * lectures they attended (of 12), the hours they spent on the project and
 * whether they passed (an illustrative table in the course's style; some
 * students with good numbers failed anyway, as in real life).
 *
 * The neuron: p = sigmoid(w1 lectures' + w2 hours' + b), the inputs
 * standardised with the table's mean and spread, trained by batch
 * gradient descent on the binary cross-entropy. Prints the weights in the
 * table's own units, the decision line, and the answer for this year's
 * students.
 *
 *   sigmoid_neuron [CSV]
 *
 * Exits 1 unless: the neuron fits the table (at least 20 of 24 right),
 * both habits raise the chance of passing (positive weights), and the
 * probabilities axon computes equal sigmoid(w.x + b) worked out here from
 * the printed weights. */
#include <axon.h>

#include <math.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/data/will_i_pass.csv";
    ax_dataset *table;
    ax_standardizer *st;
    ax_csv_options csv = {.header = 1, .targets = "passed"};
    if (ax_dataset_load_csv(path, &csv, &table) != AX_OK || ax_standardizer_fit(table, &st) != AX_OK ||
        ax_standardizer_apply(st, table) != AX_OK) {
        fprintf(stderr, "sigmoid_neuron: %s\n", ax_last_error());
        return 1;
    }
    const int64_t n = table->n;

    /* the neuron: a dense layer of one unit, sigmoid, binary cross-entropy */
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 1, 0);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(n, 2));
    ax_node *t = ax_input(g, "passed", ax_shape2(n, 1));
    ax_node *p = ax_dense(g, x, 1, "sigmoid", (ax_init){AX_INIT_ZEROS, 0, 0}, &rng, "neuron");
    ax_model m = {.graph = g, .input = x, .target = t, .output = p, .loss = ax_loss(g, "binary_cross_entropy", p, t, NULL)};
    ax_optimizer *opt;
    if (ax_graph_compile(g) != AX_OK || ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.5f}, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, g) != AX_OK) {
        fprintf(stderr, "sigmoid_neuron: %s\n", ax_last_error());
        return 1;
    }
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 500; /* one step per epoch: the whole table is the batch */
    c.verbosity = AX_QUIET;
    ax_epoch_log log[500];
    if (ax_fit(&m, opt, table, NULL, &c, log) != AX_OK) {
        fprintf(stderr, "sigmoid_neuron: %s\n", ax_last_error());
        return 1;
    }

    /* back to the table's units: w' (x - mean) / std + b = (w'/std) x + (b - sum w' mean / std) */
    const float *ws = ax_node_data(ax_graph_find(g, "neuron.weight")), *bs = ax_node_data(ax_graph_find(g, "neuron.bias"));
    double w[2], b = bs[0];
    for (int k = 0; k < 2; k++) {
        w[k] = ws[k] / st->std[k];
        b -= ws[k] * st->mean[k] / st->std[k];
    }
    printf("Trained on %lld students (%d steps of batch gradient descent, final loss %.3f).\n", (long long)n, c.epochs,
           log[c.epochs - 1].train.loss);
    printf("p(pass) = sigmoid(%.3f * lectures %+.3f * project_hours %+.3f)\n", w[0], w[1], b);
    printf("Decision line (p = 0.5): project_hours = %.1f %+.2f * lectures\n", -b / w[1], -w[0] / w[1]);

    /* the table itself: how many does the neuron get right? */
    float *prob = ax_alloc((size_t)n * sizeof *prob);
    ax_predict(&m, table, prob);
    int right = 0;
    for (int64_t i = 0; i < n; i++)
        right += (prob[i] >= 0.5f) == (table->targets[i] >= 0.5f);
    printf("Right on %d of %lld students of the table.\n\n", right, (long long)n);

    /* this year's students: through the graph, and by hand from the printed weights */
    static const float students[4][2] = {{12, 25}, {10, 8}, {4, 20}, {2, 3}};
    float z[8];
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 2; k++)
            z[2 * i + k] = (students[i][k] - st->mean[k]) / st->std[k];
    ax_graph_set_training(g, 0);
    ax_graph_set_batch(g, 4);
    for (int i = 0; i < 8; i++)
        ax_node_data(x)[i] = z[i];
    ax_graph_forward(g);
    int agree = 1;
    printf("%9s %14s %10s %8s\n", "lectures", "project hours", "p(pass)", "answer");
    for (int i = 0; i < 4; i++) {
        double by_hand = 1 / (1 + exp(-(w[0] * students[i][0] + w[1] * students[i][1] + b)));
        double pg = ax_node_data(p)[i];
        agree &= fabs(pg - by_hand) < 1e-4;
        printf("%9.0f %14.0f %10.3f %8s\n", students[i][0], students[i][1], pg, pg >= 0.5 ? "pass" : "fail");
    }
    int ok = right >= 20 && w[0] > 0 && w[1] > 0 && agree;
    printf("%s\n", ok ? "the neuron fits the table, both habits help, and its probabilities are sigmoid(w.x + b)"
                      : "FAILED: the neuron did not come out as claimed");
    ax_free(prob);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_standardizer_free(st);
    ax_dataset_free(table);
    return ok ? 0 : 1;
}
