/* Every activation: forward against its formula evaluated in double
 * precision (written here independently of src/ops), and backward through
 * the shared finite-difference checker. */
#include "gradcheck.h"
#include "test.h"

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }
static double sp(double x) { return log1p(exp(-fabs(x))) + fmax(x, 0.0); }

static double r_identity(double x, double a, double b) { (void)a, (void)b; return x; }
static double r_step(double x, double a, double b) { (void)a, (void)b; return x > 0 ? 1 : 0; }
static double r_sigmoid(double x, double a, double b) { (void)a, (void)b; return sig(x); }
static double r_tanh(double x, double a, double b) { (void)a, (void)b; return tanh(x); }
static double r_relu(double x, double a, double b) { (void)a, (void)b; return x > 0 ? x : 0; }
static double r_leaky(double x, double a, double b) { (void)b; return x > 0 ? x : a * x; }
static double r_elu(double x, double a, double b) { (void)b; return x > 0 ? x : a * (exp(x) - 1); }
static double r_selu(double x, double a, double b)
{
    (void)a, (void)b;
    const double l = 1.0507009873554804934, al = 1.6732632423543772848;
    return l * (x > 0 ? x : al * (exp(x) - 1));
}
static double r_softplus(double x, double beta, double th) { return beta * x > th ? x : sp(beta * x) / beta; }
static double r_softsign(double x, double a, double b) { (void)a, (void)b; return x / (1 + fabs(x)); }
static double r_swish(double x, double beta, double b) { (void)b; return x * sig(beta * x); }
static double r_mish(double x, double a, double b) { (void)a, (void)b; return x * tanh(sp(x)); }
static double r_sinc(double x, double a, double b) { (void)a, (void)b; return x == 0 ? 1 : sin(x) / x; }
static double r_logsig(double x, double a, double b) { (void)a, (void)b; return -sp(-x); }
static double r_arctan(double x, double a, double b) { (void)a, (void)b; return atan(x); }
static double r_gelu(double x, double a, double b) { (void)a, (void)b; return 0.5 * x * (1 + erf(x / sqrt(2.0))); }
static double r_erf(double x, double a, double b) { (void)a, (void)b; return erf(x); }
static double r_hsig(double x, double a, double b) { (void)a, (void)b; return fmin(fmax(x / 6 + 0.5, 0), 1); }

typedef struct act {
    const char *name;
    int n_params;
    float p0, p1;
    double (*ref)(double, double, double);
    float gap; /* keep gradient-check points this far from a kink at 0 */
} act;

static const act acts[] = {
    {"identity", 0, 0, 0, r_identity, 0},
    {"step", 0, 0, 0, r_step, 0.05f},
    {"sigmoid", 0, 0, 0, r_sigmoid, 0},
    {"tanh", 0, 0, 0, r_tanh, 0},
    {"relu", 0, 0, 0, r_relu, 0.05f},
    {"leaky_relu", 0, 0.01f, 0, r_leaky, 0.05f},   /* the default slope */
    {"leaky_relu", 1, 0.2f, 0, r_leaky, 0.05f},
    {"elu", 0, 1.0f, 0, r_elu, 0.05f},
    {"elu", 1, 0.5f, 0, r_elu, 0.05f},
    {"selu", 0, 0, 0, r_selu, 0.05f},
    {"softplus", 0, 1.0f, 20.0f, r_softplus, 0},
    {"softplus", 1, 2.0f, 20.0f, r_softplus, 0},
    {"softsign", 0, 0, 0, r_softsign, 0.05f},
    {"swish", 0, 1.0f, 0, r_swish, 0},
    {"swish", 1, 1.5f, 0, r_swish, 0},
    {"mish", 0, 0, 0, r_mish, 0},
    {"sinc", 0, 0, 0, r_sinc, 0},
    {"log_sigmoid", 0, 0, 0, r_logsig, 0},
    {"arctan", 0, 0, 0, r_arctan, 0},
    {"gelu", 0, 0, 0, r_gelu, 0},
    {"erf", 0, 0, 0, r_erf, 0},
    {"hard_sigmoid", 0, 0, 0, r_hsig, 0.05f},
};
#define N_ACTS (int)(sizeof acts / sizeof acts[0])

/* The case's parameters as the op's first schema attributes. */
static void params_of(const act *c, ax_attr at[2])
{
    const ax_op_schema *sc = ax_op_schema_of(c->name);
    for (int i = 0; i < 2; i++)
        at[i] = AX_ATTR(sc && i < sc->n_attrs ? sc->attrs[i].name : "", i ? c->p1 : c->p0);
}

static const float xs[] = {-60, -30, -9, -3, -2.5f, -1, -0.3f, -1e-4f, 0, 1e-5f, 2e-4f, 0.3f, 1, 2.5f, 3, 9, 30, 60};
#define N_XS (int)(sizeof xs / sizeof xs[0])

static void forward_matches_formulas(void)
{
    for (int a = 0; a < N_ACTS; a++) {
        ax_graph *g;
        CHECK_OK(ax_graph_new(&g));
        ax_node *x = ax_input(g, "x", ax_shape2(1, N_XS));
        ax_attr at[2];
        params_of(&acts[a], at);
        ax_node *y = ax_apply(g, acts[a].name, &x, 1, at, acts[a].n_params, NULL);
        CHECK_OK(ax_graph_compile(g));
        memcpy(ax_node_data(x), xs, sizeof xs);
        CHECK_OK(ax_graph_forward(g));
        int bad = 0;
        for (int i = 0; i < N_XS; i++) {
            double want = acts[a].ref(xs[i], acts[a].p0, acts[a].p1), got = ax_node_data(y)[i];
            if (!(fabs(got - want) <= 2e-6 * fmax(1.0, fabs(want)))) {
                printf("  %s(%g) = %.9g, formula %.9g\n", acts[a].name, (double)xs[i], got, want);
                bad++;
            }
        }
        CHECK(bad == 0);
        ax_graph_free(g);
    }
}

static void gradients_match_differences(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 31, 4);
    for (int a = 0; a < N_ACTS; a++) {
        if (!strcmp(acts[a].name, "step"))
            continue; /* zero derivative, checked below */
        ax_graph *g;
        CHECK_OK(ax_graph_new(&g));
        ax_node *x = ax_input(g, "x", ax_shape2(4, 10));
        ax_node_set_requires_grad(x, 1);
        ax_attr at[2];
        params_of(&acts[a], at);
        ax_node *y = ax_apply(g, acts[a].name, &x, 1, at, acts[a].n_params, NULL);
        CHECK_OK(ax_graph_compile(g));
        fill_uniform(x, &rng, -4, 4, acts[a].gap);
        /* hard_sigmoid has kinks at +-3 too */
        if (!strcmp(acts[a].name, "hard_sigmoid"))
            for (int i = 0; i < 40; i++)
                if (fabsf(fabsf(ax_node_data(x)[i]) - 3.0f) < 0.05f)
                    ax_node_data(x)[i] = 1.5f;
        int bad = gradcheck(g, y, 40);
        if (bad)
            printf("  in %s\n", acts[a].name);
        CHECK(bad == 0);
        ax_graph_free(g);
    }
}

static void step_passes_no_gradient(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(1, 3));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_unary(g, "step", x);
    CHECK_OK(ax_graph_compile(g));
    memcpy(ax_node_data(x), (float[]){-1, 0, 2}, 3 * sizeof(float));
    CHECK_OK(ax_graph_forward(g));
    CHECK(ax_node_data(y)[0] == 0 && ax_node_data(y)[1] == 0 && ax_node_data(y)[2] == 1);
    CHECK_OK(ax_graph_backward(g, y, (float[]){1, 1, 1}));
    CHECK(ax_node_grad(x)[0] == 0 && ax_node_grad(x)[2] == 0);
    ax_graph_free(g);
}

static void log_sigmoid_and_softplus_are_stable(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(1, 2));
    ax_node *l = ax_unary(g, "log_sigmoid", x), *s = ax_unary(g, "softplus", x);
    CHECK_OK(ax_graph_compile(g));
    memcpy(ax_node_data(x), (float[]){-200, 200}, 2 * sizeof(float));
    CHECK_OK(ax_graph_forward(g));
    CHECK_NEAR(ax_node_data(l)[0], -200, 1e-4);
    CHECK_NEAR(ax_node_data(l)[1], 0, 1e-30);
    CHECK_NEAR(ax_node_data(s)[1], 200, 1e-4);
    CHECK(isfinite(ax_node_data(s)[0]) && ax_node_data(s)[0] >= 0);
    ax_graph_free(g);
}

static void prelu_learns_a_slope_per_channel(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape4(2, 3, 2, 2));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_prelu_layer(g, x, "act");
    ax_node *a = ax_graph_find(g, "act.weight");
    CHECK(a && ax_node_numel(a) == 3 && ax_node_data(a)[2] == 0.25f);
    CHECK_OK(ax_graph_compile(g));
    ax_rng rng;
    ax_rng_seed(&rng, 5, 5);
    fill_uniform(x, &rng, -2, 2, 0.05f);
    ax_node_data(a)[1] = -0.5f;
    CHECK_OK(ax_graph_forward(g));
    for (int i = 0; i < 24; i++) {
        float v = ax_node_data(x)[i], s = ax_node_data(a)[(i / 4) % 3];
        CHECK_NEAR(ax_node_data(y)[i], v > 0 ? v : s * v, 1e-7);
    }
    CHECK(gradcheck(g, y, 50) == 0);
    ax_graph_free(g);
}

static void rrelu_random_in_training_mean_in_eval(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(1, 2000));
    ax_node *y = ax_rrelu(g, x, 0.1f, 0.3f);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 2000; i++)
        ax_node_data(x)[i] = i % 2 ? 1.0f : -1.0f;
    CHECK_OK(ax_graph_forward(g));
    double mean = 0, lo = 1, hi = 0;
    for (int i = 0; i < 2000; i += 2) {
        double s = -ax_node_data(y)[i];
        mean += s / 1000, lo = fmin(lo, s), hi = fmax(hi, s);
        CHECK(ax_node_data(y)[i + 1] == 1.0f);
    }
    CHECK(lo >= 0.1 && hi <= 0.3 && hi - lo > 0.15);
    CHECK_NEAR(mean, 0.2, 0.01);
    ax_graph_set_training(g, 0);
    CHECK_OK(ax_graph_forward(g));
    for (int i = 0; i < 2000; i += 2)
        CHECK_NEAR(ax_node_data(y)[i], -0.2, 1e-7);
    ax_graph_free(g);
    /* the gradient uses the slopes drawn in the forward pass */
    CHECK_OK(ax_graph_new(&g));
    x = ax_input(g, "x", ax_shape2(3, 5));
    ax_node_set_requires_grad(x, 1);
    y = ax_rrelu(g, x, 0.1f, 0.3f);
    CHECK_OK(ax_graph_compile(g));
    ax_graph_set_training(g, 0); /* deterministic for the difference quotients */
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    fill_uniform(x, &rng, -2, 2, 0.05f);
    CHECK(gradcheck(g, y, 20) == 0);
    ax_graph_free(g);
}

/* softmax / log_softmax along axis 1 of [2, 3, 4], against the formula. */
static void softmax_along_any_axis(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape3(2, 3, 4));
    ax_node_set_requires_grad(x, 1);
    ax_node *s = ax_softmax_axis(g, x, 1), *l = ax_log_softmax(g, x, -2);
    ax_node *both = ax_add(g, s, l);
    CHECK_OK(ax_graph_compile(g));
    ax_rng rng;
    ax_rng_seed(&rng, 9, 9);
    fill_uniform(x, &rng, -3, 3, 0);
    CHECK_OK(ax_graph_forward(g));
    const float *v = ax_node_data(x);
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < 4; i++) {
            double z = 0;
            for (int c = 0; c < 3; c++)
                z += exp(v[o * 12 + c * 4 + i]);
            for (int c = 0; c < 3; c++) {
                int k = o * 12 + c * 4 + i;
                CHECK_NEAR(ax_node_data(s)[k], exp(v[k]) / z, 1e-6);
                CHECK_NEAR(ax_node_data(l)[k], v[k] - log(z), 1e-5);
            }
        }
    CHECK(gradcheck(g, both, 30) == 0);
    CHECK(ax_log_softmax(g, x, 3) == NULL); /* no axis 3 */
    ax_graph_free(g);
}

static void maxout_takes_the_largest_piece(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(2, 6));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_maxout(g, x, 3);
    CHECK(ax_node_shape(y).dim[1] == 2);
    CHECK_OK(ax_graph_compile(g));
    memcpy(ax_node_data(x), (float[]){1, 5, 2, -1, -3, -2, 0, 0, 7, 4, 9, 1}, 12 * sizeof(float));
    CHECK_OK(ax_graph_forward(g));
    const float want[4] = {5, -1, 7, 9};
    for (int i = 0; i < 4; i++)
        CHECK(ax_node_data(y)[i] == want[i]);
    CHECK_OK(ax_graph_backward(g, y, (float[]){1, 2, 3, 4}));
    const float dx[12] = {0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0};
    for (int i = 0; i < 12; i++)
        CHECK(ax_node_grad(x)[i] == dx[i]);
    ax_graph_free(g);
    CHECK_OK(ax_graph_new(&g));
    x = ax_input(g, "x", ax_shape2(2, 7));
    CHECK(ax_maxout(g, x, 3) == NULL);
    CHECK(strstr(ax_last_error(), "units * k") != NULL);
    ax_graph_free(g);
    /* A maxout layer trains through its dense pieces. */
    CHECK_OK(ax_graph_new(&g));
    ax_rng rng;
    ax_rng_seed(&rng, 3, 3);
    x = ax_input(g, "x", ax_shape2(4, 5));
    y = ax_maxout_dense(g, x, 3, 2, &rng, "mo");
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -1, 1, 0);
    CHECK(gradcheck(g, y, 30) == 0);
    ax_graph_free(g);
}

TEST_MAIN(T(forward_matches_formulas), T(gradients_match_differences), T(step_passes_no_gradient),
          T(log_sigmoid_and_softplus_are_stable), T(prelu_learns_a_slope_per_channel),
          T(rrelu_random_in_training_mean_in_eval), T(softmax_along_any_axis),
          T(maxout_takes_the_largest_piece))
