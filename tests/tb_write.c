/* Trains a small classifier for 4 epochs with the TensorBoard and CSV
 * loggers into DIR, for tensorboard_read.py to check one against the
 * other; with `heads`, a classifier with an auxiliary head (each head's
 * figures are logged too).   tb_write DIR [heads] */
#include <axon.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2 && (argc != 3 || strcmp(argv[2], "heads")))
        return 2;
    char csv[4096];
    snprintf(csv, sizeof csv, "%s/log.csv", argv[1]);
    ax_dataset *all, *train, *val;
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_graph *g;
    ax_optimizer *opt;
    ax_callback *cbs[2];
    if (ax_dataset_synthetic(400, 3, 6, 5, &all) != AX_OK || ax_dataset_split(all, 0.25, 1, 2, &train, &val) != AX_OK ||
        ax_graph_new(&g) != AX_OK)
        return 1;
    ax_node *x = ax_input(g, "x", ax_shape2(32, 6));
    ax_node *h = ax_dense(g, x, 16, "tanh", AX_DEFAULT_INIT, &rng, "fc1");
    ax_node *logits = ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *y = ax_input(g, "y", ax_shape1(32));
    ax_model m = {.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)};
    if (argc == 3) { /* an auxiliary head on the first layer learns the same labels */
        ax_node *aux = ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "aux");
        m.loss = NULL;
        if (ax_model_add_head(&m, "main", logits, y, ax_softmax_cross_entropy(g, logits, y), 1) != AX_OK ||
            ax_model_add_head(&m, "aux", aux, y, ax_softmax_cross_entropy(g, aux, y), 0.5f) != AX_OK ||
            ax_model_total_loss(&m) != AX_OK) {
            fprintf(stderr, "tb_write: %s\n", ax_last_error());
            return 1;
        }
    }
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 4;
    c.verbosity = AX_QUIET;
    c.callbacks = cbs;
    c.n_callbacks = 2;
    if (ax_graph_compile(g) != AX_OK || ax_optimizer_new("adam", NULL, &opt) != AX_OK || ax_optimizer_add_graph(opt, g) != AX_OK ||
        ax_tensorboard_new(argv[1], &cbs[0]) != AX_OK || ax_csv_logger_new(csv, &cbs[1]) != AX_OK ||
        ax_fit(&m, opt, train, val, &c, NULL) != AX_OK) {
        fprintf(stderr, "tb_write: %s\n", ax_last_error());
        return 1;
    }
    printf("%s\n", ax_tensorboard_path(cbs[0]));
    ax_callback_free(cbs[0]);
    ax_callback_free(cbs[1]);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(all);
    ax_dataset_free(train);
    ax_dataset_free(val);
    return 0;
}
