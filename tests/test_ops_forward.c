/* Every op's forward pass against values computed independently: by hand,
 * or from the formula in double precision. */
#include "test.h"

static ax_graph *g;

static ax_node *in(const char *name, ax_shape s) { return ax_input(g, name, s); }

static void set(ax_node *n, const float *values)
{
    memcpy(ax_node_data(n), values, (size_t)ax_node_numel(n) * sizeof(float));
}

static void begin(void) { CHECK_OK(ax_graph_new(&g)); }
static void end(void) { ax_graph_free(g); }

static void matmul_by_hand(void)
{
    begin();
    ax_node *a = in("a", ax_shape2(2, 3));
    ax_node *b = ax_param(g, "b", ax_shape2(3, 2));
    ax_node *bt = ax_param(g, "bt", ax_shape2(2, 3));
    ax_node *y = ax_matmul(g, a, b, 0);
    ax_node *yt = ax_matmul(g, a, bt, 1);
    CHECK_OK(ax_graph_compile(g));
    set(a, (float[]){1, 2, 3, 4, 5, 6});
    set(b, (float[]){7, 8, 9, 10, 11, 12});
    set(bt, (float[]){7, 9, 11, 8, 10, 12}); /* b transposed */
    CHECK_OK(ax_graph_forward(g));
    /* [1 2 3; 4 5 6] x [7 8; 9 10; 11 12] = [58 64; 139 154] */
    const float expect[4] = {58, 64, 139, 154};
    for (int i = 0; i < 4; i++) {
        CHECK_NEAR(ax_node_data(y)[i], expect[i], 1e-4);
        CHECK_NEAR(ax_node_data(yt)[i], expect[i], 1e-4);
    }
    ax_shape s = ax_node_shape(y);
    CHECK(s.ndim == 2 && s.dim[0] == 2 && s.dim[1] == 2);
    end();
}

static void matmul_shape_errors(void)
{
    begin();
    ax_node *a = in("a", ax_shape2(2, 3));
    ax_node *b = ax_param(g, "b", ax_shape2(4, 2));
    CHECK(ax_matmul(g, a, b, 0) == NULL);
    CHECK(ax_graph_status(g) == AX_ERR_SHAPE);
    CHECK(strstr(ax_last_error(), "inner dimensions differ") != NULL);
    CHECK_ERR(ax_graph_compile(g), AX_ERR_SHAPE, "earlier build step failed");
    end();
}

static void bias_add_dense_and_maps(void)
{
    begin();
    ax_node *x = in("x", ax_shape2(2, 3));
    ax_node *b = ax_param(g, "b", ax_shape1(3));
    ax_node *y = ax_bias_add(g, x, b);
    ax_node *x4 = in("x4", ax_shape4(2, 2, 1, 2));
    ax_node *b4 = ax_param(g, "b4", ax_shape1(2));
    ax_node *y4 = ax_bias_add(g, x4, b4);
    CHECK_OK(ax_graph_compile(g));
    set(x, (float[]){1, 2, 3, 4, 5, 6});
    set(b, (float[]){10, 20, 30});
    set(x4, (float[]){1, 2, 3, 4, 5, 6, 7, 8});
    set(b4, (float[]){100, 200});
    CHECK_OK(ax_graph_forward(g));
    const float e[6] = {11, 22, 33, 14, 25, 36};
    for (int i = 0; i < 6; i++)
        CHECK_NEAR(ax_node_data(y)[i], e[i], 0);
    const float e4[8] = {101, 102, 203, 204, 105, 106, 207, 208};
    for (int i = 0; i < 8; i++)
        CHECK_NEAR(ax_node_data(y4)[i], e4[i], 0);
    end();
}

static void add_and_mul(void)
{
    begin();
    ax_node *a = in("a", ax_shape2(1, 4)), *b = in("b", ax_shape2(1, 4));
    ax_node *s = ax_add(g, a, b), *p = ax_mul(g, a, b);
    CHECK_OK(ax_graph_compile(g));
    set(a, (float[]){1, -2, 3.5f, 0});
    set(b, (float[]){4, 5, -2, 7});
    CHECK_OK(ax_graph_forward(g));
    const float es[4] = {5, 3, 1.5f, 7}, ep[4] = {4, -10, -7, 0};
    for (int i = 0; i < 4; i++) {
        CHECK_NEAR(ax_node_data(s)[i], es[i], 0);
        CHECK_NEAR(ax_node_data(p)[i], ep[i], 0);
    }
    end();
}

static void reshape_and_flatten(void)
{
    begin();
    ax_node *x = in("x", ax_shape3(2, 2, 3));
    CHECK(ax_reshape(g, x, ax_shape2(4, -1)) == NULL);
    CHECK(strstr(ax_last_error(), "do not divide") != NULL);
    end();
    begin();
    x = in("x", ax_shape3(2, 2, 3));
    ax_node *r = ax_reshape(g, x, ax_shape2(3, -1));
    ax_node *f = ax_flatten(g, r);
    CHECK_OK(ax_graph_compile(g));
    ax_shape rs = ax_node_shape(r), fs = ax_node_shape(f);
    CHECK(rs.ndim == 3 && rs.dim[0] == 2 && rs.dim[1] == 3 && rs.dim[2] == 2);
    CHECK(fs.ndim == 2 && fs.dim[0] == 2 && fs.dim[1] == 6);
    float v[12];
    for (int i = 0; i < 12; i++)
        v[i] = (float)i;
    set(x, v);
    CHECK_OK(ax_graph_forward(g));
    for (int i = 0; i < 12; i++)
        CHECK(ax_node_data(f)[i] == (float)i);
    end();
}

static const float act_inputs[10] = {-30, -5, -1.5f, -0.25f, 0, 1e-3f, 0.5f, 2, 7, 40};

static void activations_match_formulas(void)
{
    begin();
    ax_node *x = in("x", ax_shape2(1, 10));
    ax_node *r = ax_relu(g, x), *s = ax_sigmoid(g, x), *t = ax_tanh(g, x);
    CHECK_OK(ax_graph_compile(g));
    set(x, act_inputs);
    CHECK_OK(ax_graph_forward(g));
    for (int i = 0; i < 10; i++) {
        double v = act_inputs[i];
        CHECK_NEAR(ax_node_data(r)[i], v > 0 ? v : 0, 0);
        CHECK_NEAR(ax_node_data(s)[i], 1.0 / (1.0 + exp(-v)), 1e-7);
        CHECK_NEAR(ax_node_data(t)[i], tanh(v), 1e-7);
    }
    end();
}

static void softmax_matches_formula_and_is_stable(void)
{
    begin();
    ax_node *x = in("x", ax_shape2(2, 3));
    ax_node *y = ax_softmax(g, x);
    CHECK_OK(ax_graph_compile(g));
    const float v[6] = {1, 2, 3, 1000, 1001, 1002}; /* the second row overflows a naive exp */
    set(x, v);
    CHECK_OK(ax_graph_forward(g));
    double z = exp(1.0) + exp(2.0) + exp(3.0);
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(ax_node_data(y)[r * 3 + i], exp((double)(i + 1)) / z, 1e-6);
    end();
}

/* -mean log softmax(x)[label], in double */
static double xent_reference(const float *x, const float *labels, int rows, int c)
{
    double total = 0;
    for (int r = 0; r < rows; r++) {
        double m = -INFINITY, s = 0;
        for (int i = 0; i < c; i++)
            m = fmax(m, x[r * c + i]);
        for (int i = 0; i < c; i++)
            s += exp(x[r * c + i] - m);
        total -= x[r * c + (int)labels[r]] - m - log(s);
    }
    return total / rows;
}

static void cross_entropy_matches_formula(void)
{
    begin();
    ax_node *x = in("x", ax_shape2(3, 4));
    ax_node *lab = in("lab", ax_shape1(3));
    ax_node *t = in("t", ax_shape2(3, 4));
    ax_node *sparse = ax_softmax_cross_entropy(g, x, lab);
    ax_node *dense = ax_softmax_cross_entropy(g, x, t);
    CHECK_OK(ax_graph_compile(g));
    const float v[12] = {0.1f, -1, 2, 0.5f, 3, 3, 3, 3, -500, 800, 799, 0};
    const float l[3] = {2, 0, 1};
    float onehot[12] = {0};
    for (int r = 0; r < 3; r++)
        onehot[r * 4 + (int)l[r]] = 1;
    set(x, v);
    set(lab, l);
    set(t, onehot);
    CHECK_OK(ax_graph_forward(g));
    double ref = xent_reference(v, l, 3, 4);
    CHECK(isfinite(ax_node_data(sparse)[0]));
    CHECK_NEAR(ax_node_data(sparse)[0], ref, 1e-5);
    CHECK_NEAR(ax_node_data(dense)[0], ref, 1e-5);
    /* By hand: row 2 of equal logits gives log 4. */
    set(lab, (float[]){3, 3, 3});
    CHECK_OK(ax_graph_forward(g));
    CHECK_NEAR(ax_node_data(sparse)[0], xent_reference(v, (float[]){3, 3, 3}, 3, 4), 1e-5);
    /* A label that is not a class is an error, not a crash. */
    set(lab, (float[]){0, 4, 1});
    CHECK_ERR(ax_graph_forward(g), AX_ERR_INVALID_ARG, "label 4 of row 1");
    end();
}

static void mse_by_hand(void)
{
    begin();
    ax_node *p = in("p", ax_shape2(2, 2)), *t = in("t", ax_shape2(2, 2));
    ax_node *l = ax_mse(g, p, t);
    CHECK_OK(ax_graph_compile(g));
    set(p, (float[]){1, 2, 3, 4});
    set(t, (float[]){1, 0, 5, 1});
    CHECK_OK(ax_graph_forward(g));
    CHECK_NEAR(ax_node_data(l)[0], (0 + 4 + 4 + 9) / 4.0, 1e-6);
    end();
}

static void shape_mismatch_is_reported(void)
{
    begin();
    ax_node *a = in("a", ax_shape2(1, 4)), *c = in("c", ax_shape2(1, 3));
    CHECK(ax_add(g, a, c) == NULL);
    CHECK(strstr(ax_last_error(), "shapes [1, 4] and [1, 3] do not broadcast") != NULL);
    end();
}

static void unknown_op_and_arity(void)
{
    begin();
    ax_node *x = in("x", ax_shape2(1, 2));
    CHECK(ax_apply(g, "frobnicate", &x, 1, NULL, 0, NULL) == NULL);
    CHECK(strstr(ax_last_error(), "unknown op 'frobnicate'") != NULL);
    end();
    begin();
    x = in("x", ax_shape2(1, 2));
    CHECK(ax_apply(g, "add", &x, 1, NULL, 0, NULL) == NULL);
    CHECK(strstr(ax_last_error(), "takes 2..2 inputs") != NULL);
    end();
}

TEST_MAIN(T(matmul_by_hand), T(matmul_shape_errors), T(bias_add_dense_and_maps), T(add_and_mul),
          T(reshape_and_flatten), T(activations_match_formulas),
          T(softmax_matches_formula_and_is_stable), T(cross_entropy_matches_formula), T(mse_by_hand),
          T(shape_mismatch_is_reported), T(unknown_op_and_arity))
