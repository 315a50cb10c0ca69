/* layernorm: forward against the formula in double, gradients against
 * finite differences, over one and two trailing axes, as a layer from the
 * C API and from a spec line. (PyTorch: tests/torch.) */
#include "gradcheck.h"
#include "test.h"

/* y for x [rows, cols] normalised per row, in double */
static double reference(const float *x, const float *w, const float *b, int64_t cols, double eps, int64_t r,
                        int64_t c)
{
    double m = 0, v = 0;
    for (int64_t k = 0; k < cols; k++)
        m += x[r * cols + k];
    m /= (double)cols;
    for (int64_t k = 0; k < cols; k++)
        v += (x[r * cols + k] - m) * (x[r * cols + k] - m);
    v /= (double)cols;
    return (x[r * cols + c] - m) / sqrt(v + eps) * w[c] + b[c];
}

static void forward_and_gradients(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 9, 1);
    /* x [3, 4, 5]: normalised over the last axis (axis -1, 5 values a row)
     * and over the last two (axis 1, 20 values a row) */
    const int axes[2] = {-1, 1};
    for (int t = 0; t < 2; t++) {
        ax_graph *g;
        CHECK_OK(ax_graph_new(&g));
        ax_node *x = ax_input(g, "x", ax_shape3(3, 4, 5));
        ax_node_set_requires_grad(x, 1);
        ax_attr at[2] = {AX_ATTR("axis", axes[t]), AX_ATTR("eps", 1e-3)};
        ax_node *y = ax_op_layer(g, "layernorm", x, at, 2, "ln");
        CHECK_OK(ax_graph_compile(g));
        ax_node *w = ax_graph_find(g, "ln.weight"), *b = ax_graph_find(g, "ln.bias");
        const int64_t cols = t ? 20 : 5;
        CHECK(w && b && ax_node_numel(w) == cols && ax_node_shape(w).ndim == (t ? 2 : 1));
        CHECK(ax_node_data(w)[0] == 1.0f && ax_node_data(b)[0] == 0.0f); /* PyTorch's start */
        fill_uniform(x, &rng, -2, 3, 0);
        fill_uniform(w, &rng, 0.5f, 2, 0);
        fill_uniform(b, &rng, -1, 1, 0);
        CHECK_OK(ax_graph_forward(g));
        double worst = 0;
        for (int64_t r = 0; r < 60 / cols; r++)
            for (int64_t c = 0; c < cols; c++)
                worst = fmax(worst, fabs(ax_node_data(y)[r * cols + c] -
                                         reference(ax_node_data(x), ax_node_data(w), ax_node_data(b), cols, 1e-3, r, c)));
        CHECK_NEAR(worst, 0, 2e-6);
        CHECK(gradcheck(g, y, 60) == 0);
        ax_graph_free(g);
    }
}

static void bad_axes_and_shapes_are_refused(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(4, 6));
    ax_attr batch_axis = AX_ATTR("axis", 0);
    CHECK(ax_op_layer(g, "layernorm", x, &batch_axis, 1, "ln") == NULL);
    CHECK(strstr(ax_last_error(), "axis 0 is not one of the sample's axes 1..1") != NULL);
    ax_graph_free(g);
    CHECK_OK(ax_graph_new(&g));
    x = ax_input(g, "x", ax_shape2(4, 6));
    ax_node *w = ax_param(g, "w", ax_shape1(5)), *b = ax_param(g, "b", ax_shape1(6));
    CHECK(ax_apply(g, "layernorm", (ax_node *const[]){x, w, b}, 3, NULL, 0, NULL) == NULL);
    CHECK(strstr(ax_last_error(), "weight [5] and bias [6] must be [6]") != NULL);
    ax_graph_free(g);
}

static void a_spec_line(void)
{
    ax_spec spec;
    CHECK_OK(ax_spec_build("input x 3 8\nlayernorm ln axis=1 eps=1e-6\ndense out units=2\nloss mse\n", "ln.spec", 4, 1,
                           &spec));
    ax_node *w = ax_graph_find(spec.graph, "ln.weight");
    CHECK(w && ax_node_numel(w) == 24);
    CHECK(strcmp(spec.layers[1].type, "layernorm") == 0);
    ax_graph_free(spec.graph);
    CHECK_ERR(ax_spec_build("input x 8\nlayernorm ln eps=0\nloss mse\n", "ln.spec", 4, 1, &spec), AX_ERR_FORMAT,
              "ln.spec:2:14: eps expects a number from 1e-30 to 1, got '0'");
    CHECK_ERR(ax_spec_build("input x 8\nlayernorm ln axes=1\nloss mse\n", "ln.spec", 4, 1, &spec), AX_ERR_FORMAT,
              "unknown key 'axes' for layernorm (expected one of: axis eps inputs frozen)");
}

TEST_MAIN(T(forward_and_gradients), T(bad_axes_and_shapes_are_refused), T(a_spec_line))
