/* Every optimizer on two classic test surfaces, with a picture of their
 * paths.
 *   Rosenbrock  f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, from (-1.2, 1); minimum at (1, 1)
 *   saddle      f(x, y) = x^2 - y^2, from (-1, 0.01); no minimum: a good optimizer escapes along y
 *
 *   optimizers [OUT_DIR]    writes OUT_DIR/optimizers.svg (default: .)
 *
 * Prints each optimizer's final point and value. Exits 1 if an optimizer
 * fails to lower the Rosenbrock value by 10x, or fails to leave the saddle. */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define STEPS 3000
#define MAX_OPT 12

typedef struct surface {
    const char *name;
    double (*f)(const float *p);
    void (*grad)(const float *p, float *g);
    float start[2];
    float view[4]; /* x0, x1, y0, y1 */
} surface;

static double rosen(const float *p) { double a = 1 - p[0], b = p[1] - (double)p[0] * p[0]; return a * a + 100 * b * b; }
static void rosen_grad(const float *p, float *g)
{
    g[0] = (float)(-2 * (1 - p[0]) - 400.0 * p[0] * (p[1] - p[0] * p[0]));
    g[1] = (float)(200.0 * (p[1] - p[0] * p[0]));
}
static double saddle(const float *p) { return (double)p[0] * p[0] - (double)p[1] * p[1]; }
static void saddle_grad(const float *p, float *g) { g[0] = 2 * p[0], g[1] = -2 * p[1]; }

static const surface surfaces[2] = {
    {"Rosenbrock", rosen, rosen_grad, {-1.2f, 1.0f}, {-2.0f, 2.0f, -1.0f, 3.0f}},
    {"saddle", saddle, saddle_grad, {-1.0f, 0.01f}, {-1.5f, 1.5f, -1.5f, 1.5f}},
};

typedef struct run {
    const char *label, *name;
    ax_optim_config cfg;
    const char *color;
} run;

static float point[2];
static const surface *current;
static double loss_at_point(void *ctx) { (void)ctx; return current->f(point); }

/* Runs one optimizer; path gets STEPS + 1 points. */
static int descend(const run *r, const surface *s, float path[][2])
{
    ax_optimizer *o;
    float g[2];
    point[0] = s->start[0], point[1] = s->start[1];
    current = s;
    if (ax_optimizer_new(r->name, &r->cfg, &o) != AX_OK || ax_optimizer_add(o, point, g, 2) != AX_OK) {
        fprintf(stderr, "optimizers: %s\n", ax_last_error());
        return 0;
    }
    memcpy(path[0], point, sizeof point);
    for (int t = 1; t <= STEPS; t++) {
        if (!strcmp(r->name, "trial_error"))
            ax_optimizer_trial(o, loss_at_point, NULL, NULL);
        else {
            s->grad(point, g);
            ax_optimizer_step(o);
        }
        /* keep the picture finite if a rate is too big for a surface */
        for (int k = 0; k < 2; k++)
            point[k] = fmaxf(fminf(point[k], 1e3f), -1e3f);
        memcpy(path[t], point, sizeof point);
    }
    ax_optimizer_free(o);
    return 1;
}

/* The SVG: one panel per surface, a shaded map of log f, paths, legend. */
static void panel(FILE *f, const surface *s, int px, const run *runs, int n, float (*paths)[STEPS + 1][2])
{
    const int size = 420, cells = 42;
    const float *v = s->view;
#define SX(x) (px + ((x) - v[0]) / (v[1] - v[0]) * size)
#define SY(y) (40 + (v[3] - (y)) / (v[3] - v[2]) * size)
    fprintf(f, "<g><text x='%d' y='28' font-size='16'>%s</text>\n", px, s->name);
    double lo = INFINITY, hi = -INFINITY, val[42][42];
    for (int i = 0; i < cells; i++)
        for (int j = 0; j < cells; j++) {
            float p[2] = {v[0] + (v[1] - v[0]) * (i + 0.5f) / cells, v[2] + (v[3] - v[2]) * (j + 0.5f) / cells};
            double z = s->f(p);
            val[i][j] = z > 0 ? log10(1 + z) : -log10(1 - z);
            lo = fmin(lo, val[i][j]), hi = fmax(hi, val[i][j]);
        }
    for (int i = 0; i < cells; i++)
        for (int j = 0; j < cells; j++) {
            int shade = (int)(255 - 120 * (val[i][j] - lo) / (hi - lo + 1e-12));
            fprintf(f, "<rect x='%.0f' y='%.0f' width='%.0f' height='%.0f' fill='rgb(%d,%d,255)'/>\n",
                    SX(v[0] + (v[1] - v[0]) * i / cells), SY(v[2] + (v[3] - v[2]) * (j + 1) / cells),
                    (double)size / cells + 0.5, (double)size / cells + 0.5, shade, shade);
        }
    fprintf(f, "<clipPath id='c%d'><rect x='%d' y='40' width='%d' height='%d'/></clipPath>\n", px, px, size, size);
    for (int k = 0; k < n; k++) {
        fprintf(f, "<polyline clip-path='url(#c%d)' fill='none' stroke='%s' stroke-width='1.5' points='", px, runs[k].color);
        for (int t = 0; t <= STEPS; t += t < 100 ? 1 : 25)
            fprintf(f, "%.0f,%.0f ", SX(paths[k][t][0]), SY(paths[k][t][1]));
        fprintf(f, "'/>\n");
    }
    fprintf(f, "<circle cx='%.1f' cy='%.1f' r='4' fill='black'/></g>\n", SX(s->start[0]), SY(s->start[1]));
#undef SX
#undef SY
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    run runs[MAX_OPT] = {
        {"SGD", "sgd", {.lr = 1e-3f}, "#1f77b4"},
        {"momentum", "sgd", {.lr = 1e-3f, .momentum = 0.9f}, "#ff7f0e"},
        {"Nesterov", "sgd", {.lr = 1e-3f, .momentum = 0.9f, .nesterov = 1}, "#2ca02c"},
        {"AdaGrad", "adagrad", {.lr = 0.5f, .eps = 1e-10f}, "#d62728"},
        {"Adadelta", "adadelta", {.lr = 1.0f, .rho = 0.95f, .eps = 1e-6f}, "#9467bd"},
        {"RMSProp", "rmsprop", {.lr = 3e-3f, .rho = 0.99f, .eps = 1e-8f}, "#8c564b"},
        {"Adam", "adam", {.lr = 0.05f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, "#e377c2"},
        {"AdamW", "adamw", {.lr = 0.05f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 1e-3f}, "#7f7f7f"},
        {"AMSGrad", "amsgrad", {.lr = 0.05f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, "#bcbd22"},
        {"Nadam", "nadam", {.lr = 0.05f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .momentum_decay = 4e-3f}, "#17becf"},
        {"AdaMax", "adamax", {.lr = 0.05f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, "#000080"},
        {"trial and error", "trial_error", {.lr = 0.05f, .perturb = 1, .seed = 3}, "#808000"},
    };
    static float paths[2][MAX_OPT][STEPS + 1][2];
    int failures = 0;
    printf("%-16s %28s %28s\n", "optimizer", "Rosenbrock: end (f)", "saddle: end (f)");
    for (int k = 0; k < MAX_OPT; k++) {
        printf("%-16s", runs[k].label);
        for (int s = 0; s < 2; s++) {
            if (!descend(&runs[k], &surfaces[s], paths[s][k]))
                return 1;
            float *end = paths[s][k][STEPS];
            double f0 = surfaces[s].f(surfaces[s].start), f1 = surfaces[s].f(end);
            printf("   (%7.3f, %7.3f) %9.2e", (double)end[0], (double)end[1], f1);
            int ok = s == 0 ? f1 < f0 / 10 : fabsf(end[1]) > 1.0f;
            if (!ok)
                printf(" <- no progress");
            failures += !ok;
        }
        printf("\n");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/optimizers.svg", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='1100' height='520' font-family='sans-serif'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n");
    panel(f, &surfaces[0], 20, runs, MAX_OPT, paths[0]);
    panel(f, &surfaces[1], 460, runs, MAX_OPT, paths[1]);
    for (int k = 0; k < MAX_OPT; k++)
        fprintf(f, "<line x1='900' y1='%d' x2='925' y2='%d' stroke='%s' stroke-width='3'/>"
                   "<text x='932' y='%d' font-size='13'>%s</text>\n",
                50 + 22 * k, 50 + 22 * k, runs[k].color, 55 + 22 * k, runs[k].label);
    fprintf(f, "<text x='20' y='505' font-size='12'>%d steps each from the black dot; shading: log f</text></svg>\n", STEPS);
    fclose(f);
    printf("wrote %s\n", path);
    return failures ? 1 : 0;
}
