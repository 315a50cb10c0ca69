/* An auxiliary head helps a deep network train (GoogLeNet's auxiliary
 * classifiers; the course's multi-output chapter). A deep stack of
 * sigmoid layers learns slowly: the gradient fades on its way down to the
 * first layers (see vanishing_gradients). A second classifier on an early
 * layer, its loss weighted into the total, hands those layers a gradient
 * of their own. Here: MNIST's real digits, four sigmoid layers, the same
 * initial weights with and without an auxiliary head on layer 2 (weight
 * 0.3), the main head's held-out accuracy after each epoch, over three
 * seeds. The models are spec text (examples/specs/auxiliary_head.spec).
 *
 *   auxiliary_head [OUT_DIR]   writes OUT_DIR/auxiliary_head.svg
 *
 * Needs the MNIST digits that scripts/fetch-mnist.sh fetches. Exits 1
 * unless, for every seed, the main head with the auxiliary one is at
 * least 20 points more accurate after the fourth epoch than without it
 * (here 45-58), and 5 points more after the last (here 16-30). */
#include <axon.h>

#include <stdio.h>
#include <string.h>

#define DEPTH 4
#define EPOCHS 8
#define SEEDS 3

/* The deep network, with or without the auxiliary head; the auxiliary
 * layer comes last so both models draw the same initial weights. */
static void spec_text(int aux, char *out, size_t len)
{
    int n = snprintf(out, len, "input image 28 28\n");
    for (int l = 1; l <= DEPTH; l++)
        n += snprintf(out + n, len - (size_t)n, "dense h%d units=64 activation=sigmoid\n", l);
    n += snprintf(out + n, len - (size_t)n, "dense out units=10\n");
    if (aux)
        n += snprintf(out + n, len - (size_t)n, "dense aux_out inputs=h2 units=10\n");
    n += snprintf(out + n, len - (size_t)n, "loss main softmax_cross_entropy inputs=out target=digit\n");
    if (aux)
        snprintf(out + n, len - (size_t)n, "loss aux softmax_cross_entropy inputs=aux_out target=digit weight=0.3\n");
}

/* The main head's held-out accuracy after each epoch. */
static int train(int aux, uint64_t seed, const ax_dataset *tr, const ax_dataset *te, double *acc)
{
    char text[2048];
    spec_text(aux, text, sizeof text);
    ax_spec sp;
    ax_optimizer *opt = NULL;
    ax_optim_config oc = {.lr = 0.05f, .momentum = 0.9f};
    ax_status s = ax_spec_build(text, aux ? "with auxiliary head" : "without", 64, seed, &sp);
    if (s == AX_OK && (s = ax_optimizer_new("sgd", &oc, &opt)) == AX_OK)
        s = ax_optimizer_add_graph(opt, sp.graph);
    ax_model m = ax_spec_model(&sp);
    ax_fit_config c = ax_fit_defaults();
    c.epochs = EPOCHS;
    c.seed = seed;
    c.verbosity = AX_QUIET;
    ax_epoch_log hist[EPOCHS];
    if (s == AX_OK)
        s = ax_fit(&m, opt, tr, te, &c, hist);
    for (int e = 0; s == AX_OK && e < EPOCHS; e++)
        acc[e] = hist[e].test_heads[0].accuracy;
    if (s != AX_OK)
        fprintf(stderr, "auxiliary_head: %s\n", ax_last_error());
    ax_optimizer_free(opt);
    if (s == AX_OK)
        ax_graph_free(sp.graph);
    return s == AX_OK;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";

    ax_dataset *tr, *te;
    if (ax_dataset_mnist(NULL, 1, &tr) != AX_OK || ax_dataset_mnist(NULL, 0, &te) != AX_OK) {
        fprintf(stderr, "auxiliary_head: %s (scripts/fetch-mnist.sh fetches the digits)\n", ax_last_error());
        return 1;
    }
    static double acc[2][SEEDS][EPOCHS], epoch[EPOCHS];
    int ok = 1;
    printf("the main head's held-out accuracy after each epoch on MNIST, %d sigmoid layers of 64, SGD with "
           "momentum:\n", DEPTH);
    for (int k = 0; k < SEEDS; k++) {
        for (int aux = 0; aux < 2; aux++) {
            if (!train(aux, (uint64_t)k + 1, tr, te, acc[aux][k]))
                return 1;
            printf("  seed %d %-22s", k + 1, aux ? "with auxiliary head" : "without");
            for (int e = 0; e < EPOCHS; e++)
                printf(" %.3f", acc[aux][k][e]);
            printf("\n");
        }
        ok &= acc[1][k][3] >= acc[0][k][3] + 0.2 && acc[1][k][EPOCHS - 1] >= acc[0][k][EPOCHS - 1] + 0.05;
    }
    for (int e = 0; e < EPOCHS; e++)
        epoch[e] = e + 1;
    ax_series s[2 * SEEDS];
    char labels[2 * SEEDS][48];
    for (int k = 0; k < SEEDS; k++)
        for (int aux = 0; aux < 2; aux++) {
            snprintf(labels[2 * k + aux], sizeof labels[0], "%s, seed %d", aux ? "with auxiliary head" : "without", k + 1);
            s[2 * k + aux] = (ax_series){.label = labels[2 * k + aux], .x = epoch, .y = acc[aux][k], .n = EPOCHS,
                                         .markers = 1};
        }
    ax_panel p = {.title = "The main head's held-out accuracy", .x_label = "epoch", .y_label = "accuracy",
                  .series = s, .n_series = 2 * SEEDS};
    char path[4096];
    snprintf(path, sizeof path, "%s/auxiliary_head.svg", dir);
    if (ax_plot_svg(path, &p, 1, 0, NULL) != AX_OK) {
        fprintf(stderr, "auxiliary_head: %s\n", ax_last_error());
        return 1;
    }
    printf("wrote %s\n%s\n", path, ok ? "the auxiliary head's gradient trains the deep network sooner"
                                      : "FAILED: not as expected");
    ax_dataset_free(tr);
    ax_dataset_free(te);
    return ok ? 0 : 1;
}
