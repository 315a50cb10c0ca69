/* Overfitting and its cures. A 784-256-10 ReLU network has 200,000
 * weights; trained by SGD with momentum (lr 0.01, batches of 32) on only
 * 1,000 handwritten digits (the first 1,000 of the
 * `mnist` training split, about 100 of each digit) it learns them by heart:
 * training accuracy reaches 100% while accuracy on the 2,004 held-out
 * digits stalls and the held-out loss climbs. Five runs, identical but for
 * one thing each:
 *   none             no regularisation;
 *   L2               + 5e-3 sum w^2 on both weight matrices;
 *   dropout          + dropout 0.5 on the hidden layer;
 *   early stopping   stop when the held-out loss has not improved for 5
 *                    epochs and keep the best epoch's weights;
 *   augmentation     each image shifted by up to 2 pixels and rotated by
 *                    up to 10 degrees, afresh every epoch.
 *
 *   overfitting [OUT_DIR] [--seed S]   writes OUT_DIR/overfitting.svg: training and
 *                           held-out loss and accuracy per epoch
 *
 * Losses are the cross-entropy alone and accuracies are measured in eval
 * mode (no dropout, no penalty), on both sets after every epoch.
 *
 * Exits 1 unless: without regularisation the network fits the training set
 * (>= 99.5%), its held-out loss turns back up (ends over 5% above its
 * minimum) and the train/held-out accuracy gap is over 10 points; L2,
 * dropout and augmentation each end with a held-out loss at least 0.02
 * lower than no regularisation; augmentation also narrows the gap by at
 * least 3 points; early stopping stops early and ends with a lower
 * held-out loss than training on. On this little data L2 and dropout move
 * the accuracy gap by less than a point, within what seeds and GEMM
 * kernels change, so only their held-out loss is claimed (the spread is in
 * the README); augmentation, which in effect makes more data, helps most. */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCHS 40
#define TRAIN 1000
#define HIDDEN 256
#define L2_STRENGTH 5e-3f

/* --seed: the initial weights, the dropout stream and the data order */
static uint64_t seed = 17;

enum { NONE, L2, DROPOUT, EARLY, AUGMENT, RUNS };
static const char *const names[RUNS] = {"none", "L2", "dropout", "early stopping", "augmentation"};

typedef struct run_result {
    ax_epoch_log log[EPOCHS];
    double curve[4][EPOCHS]; /* training loss, held-out loss, training accuracy, held-out accuracy */
    int epochs_run;
    double final_train_acc, final_val_acc, final_val_loss, min_val_loss;
} run_result;

/* After each epoch, the cross-entropy alone (without L2's penalty) and
 * the accuracy in eval mode (without dropout), on both sets: what the
 * picture shows and the claims compare. */
typedef struct measure {
    ax_model m; /* the model with the bare cross-entropy as its loss */
    const ax_dataset *train, *val;
    run_result *r;
} measure;

static ax_status measure_epoch(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)m, (void)stop;
    measure *ms = cb->state;
    ax_metrics tr, va;
    ax_status s = ax_evaluate(&ms->m, ms->train, &tr);
    if (s == AX_OK && (s = ax_evaluate(&ms->m, ms->val, &va)) == AX_OK) {
        ms->r->curve[0][log->epoch - 1] = tr.loss, ms->r->curve[1][log->epoch - 1] = va.loss;
        ms->r->curve[2][log->epoch - 1] = tr.accuracy, ms->r->curve[3][log->epoch - 1] = va.accuracy;
    }
    return s;
}

static int run(int kind, const ax_dataset *train, const ax_dataset *val, run_result *r)
{
    ax_rng rng;
    ax_rng_seed(&rng, seed, 0);
    ax_graph *g;
    ax_graph_new(&g);
    ax_graph_seed(g, seed);
    ax_node *x = ax_input(g, "image", ax_shape2(32, 784));
    ax_node *h = ax_dense(g, x, HIDDEN, "relu", AX_DEFAULT_INIT, &rng, "hidden");
    if (kind == DROPOUT)
        h = ax_dropout(g, h, 0.5f);
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "out");
    ax_node *y = ax_input(g, "label", ax_shape1(32));
    ax_node *ce = ax_softmax_cross_entropy(g, logits, y), *loss = ce;
    if (kind == L2) {
        loss = ax_regularize(g, loss, ax_graph_find(g, "hidden.weight"), 0, L2_STRENGTH);
        loss = ax_regularize(g, loss, ax_graph_find(g, "out.weight"), 0, L2_STRENGTH);
    }
    ax_model m = {.graph = g, .input = x, .target = y, .output = logits, .loss = loss};
    ax_optimizer *opt;
    ax_optim_config oc = {.lr = 0.01f, .momentum = 0.9f};
    ax_callback *stopper = NULL;
    ax_augment aug = {.max_shift = 2, .max_rotate = 10};
    ax_fit_config c = ax_fit_defaults();
    c.epochs = EPOCHS;
    c.seed = seed;
    c.verbosity = AX_QUIET;
    if (kind == AUGMENT)
        c.augment = &aug;
    measure ms = {{.graph = g, .input = x, .target = y, .output = logits, .loss = ce}, train, val, r};
    ax_callback measuring = {.name = "measure", .state = &ms, .epoch_end = measure_epoch};
    ax_callback *cbs[2] = {&measuring, NULL};
    c.callbacks = cbs;
    c.n_callbacks = 1;
    if (kind == EARLY && ax_early_stopping_new(AX_MONITOR_VAL_LOSS, 0, 5, 1, &stopper) == AX_OK)
        cbs[c.n_callbacks++] = stopper;
    for (int e = 0; e < EPOCHS; e++)
        for (int q = 0; q < 4; q++)
            r->curve[q][e] = NAN;
    ax_metrics tr, va;
    if (ax_graph_compile(g) != AX_OK || ax_optimizer_new("sgd", &oc, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, g) != AX_OK || ax_fit(&m, opt, train, val, &c, r->log) != AX_OK ||
        ax_evaluate(&ms.m, train, &tr) != AX_OK || ax_evaluate(&ms.m, val, &va) != AX_OK) {
        fprintf(stderr, "overfitting: %s: %s\n", names[kind], ax_last_error());
        return 0;
    }
    r->epochs_run = 0;
    r->min_val_loss = INFINITY;
    for (int e = 0; e < EPOCHS && r->log[e].epoch; e++) {
        r->epochs_run = e + 1;
        r->min_val_loss = fmin(r->min_val_loss, r->curve[1][e]);
    }
    /* the weights training ends with (early stopping: the best epoch's), in eval mode */
    r->final_train_acc = tr.accuracy, r->final_val_acc = va.accuracy, r->final_val_loss = va.loss;
    ax_callback_free(stopper);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = ".";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-')
            dir = argv[i];
        else {
            fprintf(stderr, "usage: overfitting [OUT_DIR] [--seed S]\n");
            return 2;
        }
    }
    ax_dataset *full, *val, *train;
    if (ax_dataset_mnist(NULL, 1, &full) != AX_OK || ax_dataset_mnist(NULL, 0, &val) != AX_OK ||
        ax_dataset_head(full, TRAIN, &train) != AX_OK) {
        fprintf(stderr, "overfitting: %s\n", ax_last_error());
        return 1;
    }
    ax_dataset_free(full);
    static run_result r[RUNS];
    for (int k = 0; k < RUNS; k++)
        if (!run(k, train, val, &r[k]))
            return 1;
    printf("%d training digits, %lld held out, SGD with momentum, up to %d epochs:\n", TRAIN, (long long)val->n, EPOCHS);
    printf("%-16s %7s %11s %11s %7s %14s %14s\n", "", "epochs", "train acc", "held-out", "gap", "held-out loss",
           "(its minimum)");
    for (int k = 0; k < RUNS; k++)
        printf("%-16s %7d %11.4f %11.4f %7.4f %14.4f %14.4f\n", names[k], r[k].epochs_run, r[k].final_train_acc,
               r[k].final_val_acc, r[k].final_train_acc - r[k].final_val_acc, r[k].final_val_loss,
               r[k].min_val_loss);

    /* the picture: loss and accuracy per epoch, training dashed, held out solid */
    static double epoch[EPOCHS];
    static const char *const colors[RUNS] = {"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"};
    ax_series loss_s[2 * RUNS], acc_s[2 * RUNS];
    for (int e = 0; e < EPOCHS; e++)
        epoch[e] = e + 1;
    for (int k = 0; k < RUNS; k++) {
        const double(*v)[EPOCHS] = r[k].curve;
        loss_s[2 * k] = (ax_series){.label = names[k], .x = epoch, .y = v[1], .n = EPOCHS, .color = colors[k]};
        loss_s[2 * k + 1] = (ax_series){.x = epoch, .y = v[0], .n = EPOCHS, .color = colors[k], .dashed = 1};
        acc_s[2 * k] = (ax_series){.label = names[k], .x = epoch, .y = v[3], .n = EPOCHS, .color = colors[k]};
        acc_s[2 * k + 1] = (ax_series){.x = epoch, .y = v[2], .n = EPOCHS, .color = colors[k], .dashed = 1};
    }
    ax_panel p[2] = {{.title = "Loss", .x_label = "epoch", .series = loss_s, .n_series = 2 * RUNS, .log_y = 1},
                     {.title = "Accuracy", .x_label = "epoch", .series = acc_s, .n_series = 2 * RUNS, .y_min = 0.8,
                      .y_max = 1.0}};
    char path[4096];
    snprintf(path, sizeof path, "%s/overfitting.svg", dir);
    if (ax_plot_svg(path, p, 2, 0, "solid: held-out digits; dashed: the 1,000 training digits") != AX_OK) {
        fprintf(stderr, "overfitting: %s\n", ax_last_error());
        return 1;
    }
    printf("wrote %s\n", path);

    const run_result *n = &r[NONE];
    double gap = n->final_train_acc - n->final_val_acc;
    int ok = n->final_train_acc >= 0.995 && n->final_val_loss > 1.05 * n->min_val_loss && gap > 0.10;
    for (int k = L2; k <= AUGMENT; k++)
        if (k != EARLY)
            ok &= r[k].final_val_loss <= n->final_val_loss - 0.02;
    ok &= r[AUGMENT].final_train_acc - r[AUGMENT].final_val_acc <= gap - 0.03;
    ok &= r[EARLY].epochs_run < EPOCHS && r[EARLY].final_val_loss < n->final_val_loss;
    printf("%s\n", ok ? "unregularised, the network memorises its training set; L2, dropout, augmentation and "
                        "early stopping each hold the held-out loss down"
                      : "FAILED: not as the course says");
    ax_dataset_free(train);
    ax_dataset_free(val);
    return ok ? 0 : 1;
}
