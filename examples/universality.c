/* Universality: one hidden layer of ReLU units can approximate any
 * continuous function on an interval, and more units approximate it
 * better. A sum of n ReLUs is a piecewise-linear curve with at most n
 * kinks; training places the kinks where the target bends.
 *
 * Target (the course's bumpy function): f(x) = 0.2 + 0.4 x^2 + 0.3 x sin(15 x)
 * on [0, 1]. Networks 1-n-1 with n = 2, 8 and 64 hidden ReLUs, trained
 * with Adam on 256 evenly spaced points; the error is measured on 1000
 * other points between them.
 *
 *   universality [OUT_DIR]     writes OUT_DIR/universality.svg (default .)
 *
 * Exits 1 unless more units always fit better and 64 units follow the
 * target to within 0.03 everywhere on the interval. */
#include <axon.h>

#include <math.h>
#include <stdio.h>

#define TRAIN 256
#define GRID 1000
#define WIDTHS 3
#define EPOCHS 2000

static double target(double x) { return 0.2 + 0.4 * x * x + 0.3 * x * sin(15 * x); }

typedef struct fit {
    int units;
    double max_err, rms_err;
    double y[GRID];
} fit;

static int train(fit *r, const ax_dataset *data, const ax_dataset *grid)
{
    ax_rng rng;
    ax_rng_seed(&rng, 3, (uint64_t)r->units);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(32, 1)), *t = ax_input(g, "y", ax_shape2(32, 1));
    ax_node *h = ax_dense(g, x, r->units, "relu", AX_DEFAULT_INIT, &rng, "hidden");
    ax_node *y = ax_dense(g, h, 1, NULL, AX_DEFAULT_INIT, &rng, "out");
    ax_model m = {.graph = g, .input = x, .target = t, .output = y, .loss = ax_mse(g, y, t)};
    ax_optimizer *opt;
    ax_schedule *sched;
    ax_schedule_config sc;
    ax_schedule_defaults("cosine", &sc);
    sc.total_steps = EPOCHS;
    ax_fit_config c = ax_fit_defaults();
    c.epochs = EPOCHS;
    c.seed = 1;
    c.verbosity = AX_QUIET;
    ax_optim_config oc;
    ax_optim_defaults("adam", &oc);
    oc.lr = 0.01f;
    if (ax_graph_compile(g) != AX_OK || ax_optimizer_new("adam", &oc, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, g) != AX_OK || ax_schedule_new("cosine", &sc, &sched) != AX_OK) {
        fprintf(stderr, "universality: %s\n", ax_last_error());
        return 0;
    }
    c.schedule = sched;
    /* Biases start at zero in axon, which would put every unit's kink at
     * x = 0; spread the kinks over the interval instead (unit i bends at
     * (i + 0.5) / n), the way one builds such an approximation by hand. */
    const float *w1 = ax_node_data(ax_graph_find(g, "hidden.weight"));
    float *b1 = ax_node_data(ax_graph_find(g, "hidden.bias"));
    for (int i = 0; i < r->units; i++)
        b1[i] = -w1[i] * (i + 0.5f) / (float)r->units;
    float out[GRID];
    if (ax_fit(&m, opt, data, NULL, &c, NULL) != AX_OK || ax_predict(&m, grid, out) != AX_OK) {
        fprintf(stderr, "universality: %s\n", ax_last_error());
        return 0;
    }
    double sq = 0;
    r->max_err = 0;
    for (int i = 0; i < GRID; i++) {
        double err = fabs(out[i] - target(grid->xf[i]));
        r->y[i] = out[i];
        r->max_err = fmax(r->max_err, err);
        sq += err * err;
    }
    r->rms_err = sqrt(sq / GRID);
    ax_schedule_free(sched);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 1;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    static float xs[TRAIN], ys[TRAIN], gx[GRID], gy[GRID];
    for (int i = 0; i < TRAIN; i++)
        xs[i] = (float)i / (TRAIN - 1), ys[i] = (float)target(xs[i]);
    for (int i = 0; i < GRID; i++) /* between the training points */
        gx[i] = (i + 0.5f) / GRID, gy[i] = (float)target(gx[i]);
    ax_dataset *data, *grid;
    if (ax_dataset_from_floats(xs, TRAIN, 1, NULL, 0, ys, 1, &data) != AX_OK ||
        ax_dataset_from_floats(gx, GRID, 1, NULL, 0, gy, 1, &grid) != AX_OK) {
        fprintf(stderr, "universality: %s\n", ax_last_error());
        return 1;
    }
    static fit fits[WIDTHS] = {{.units = 2}, {.units = 8}, {.units = 64}};
    printf("f(x) = 0.2 + 0.4 x^2 + 0.3 x sin(15 x) on [0, 1], one hidden ReLU layer:\n%8s %12s %12s\n", "units",
           "max error", "rms error");
    for (int k = 0; k < WIDTHS; k++) {
        if (!train(&fits[k], data, grid))
            return 1;
        printf("%8d %12.4f %12.4f\n", fits[k].units, fits[k].max_err, fits[k].rms_err);
    }

    static double px[GRID], py[GRID];
    for (int i = 0; i < GRID; i++)
        px[i] = gx[i], py[i] = gy[i];
    char labels[WIDTHS][32];
    ax_series s[WIDTHS + 1] = {{.label = "target f(x)", .x = px, .y = py, .n = GRID, .color = "#000", .dashed = 1}};
    for (int k = 0; k < WIDTHS; k++) {
        snprintf(labels[k], sizeof labels[k], "%d hidden ReLUs", fits[k].units);
        s[k + 1] = (ax_series){.label = labels[k], .x = px, .y = fits[k].y, .n = GRID};
    }
    ax_panel p = {.title = "One hidden layer approximating f", .x_label = "x", .y_label = "y", .series = s,
                  .n_series = WIDTHS + 1};
    char path[4096];
    snprintf(path, sizeof path, "%s/universality.svg", dir);
    if (ax_plot_svg(path, &p, 1, 0, "each fit is piecewise linear, with at most one kink per hidden unit") != AX_OK) {
        fprintf(stderr, "universality: %s\n", ax_last_error());
        return 1;
    }
    printf("wrote %s\n", path);
    int ok = fits[0].rms_err > fits[1].rms_err && fits[1].rms_err > fits[2].rms_err && fits[2].max_err < 0.03;
    printf("%s\n", ok ? "more hidden units fit better; 64 follow f to within 0.03 everywhere"
                      : "FAILED: the fits did not come out as claimed");
    ax_dataset_free(data);
    ax_dataset_free(grid);
    return ok ? 0 : 1;
}
