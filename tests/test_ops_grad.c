/* Every op's backward pass against central finite differences, through the
 * shared checker (gradcheck.c). Inputs with gradients are made
 * differentiable with ax_node_set_requires_grad. */
#include "gradcheck.h"
#include "test.h"

static ax_graph *g;
static ax_rng rng;

static ax_node *var(const char *name, ax_shape s)
{
    ax_node *n = ax_input(g, name, s);
    ax_node_set_requires_grad(n, 1);
    return n;
}

static void begin(void)
{
    CHECK_OK(ax_graph_new(&g));
    ax_rng_seed(&rng, 2024, 5);
}

/* Compile, fill every input and parameter, check. gap keeps values away
 * from 0 (for kinks). */
static void check_graph(ax_node *out, float gap)
{
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < ax_graph_num_nodes(g); i++) {
        ax_node *n = ax_graph_node(g, i);
        if (!strcmp(ax_node_op(n), "input") || !strcmp(ax_node_op(n), "param"))
            fill_uniform(n, &rng, -2.0f, 2.0f, gap);
    }
    CHECK(gradcheck(g, out, 60) == 0);
    ax_graph_free(g);
}

static void grad_matmul(void)
{
    begin();
    ax_node *a = var("a", ax_shape2(5, 7));
    ax_node *b = ax_param(g, "b", ax_shape2(7, 3));
    check_graph(ax_matmul(g, a, b, 0), 0);
    begin();
    a = var("a", ax_shape3(2, 3, 7)); /* rank-3 a: rows are 2 x 3 */
    b = ax_param(g, "b", ax_shape2(4, 7));
    check_graph(ax_matmul(g, a, b, 1), 0);
}

static void grad_bias_add(void)
{
    begin();
    check_graph(ax_bias_add(g, var("x", ax_shape2(4, 6)), ax_param(g, "b", ax_shape1(6))), 0);
    begin();
    check_graph(ax_bias_add(g, var("x", ax_shape4(2, 3, 4, 5)), ax_param(g, "b", ax_shape1(3))), 0);
}

static void grad_add_mul(void)
{
    begin();
    ax_node *a = var("a", ax_shape2(3, 5)), *b = var("b", ax_shape2(3, 5));
    check_graph(ax_add(g, a, b), 0);
    begin();
    a = var("a", ax_shape2(3, 5)), b = var("b", ax_shape2(3, 5));
    check_graph(ax_mul(g, a, b), 0);
    begin(); /* the same node on both sides: gradients must add up */
    a = var("a", ax_shape2(3, 5));
    check_graph(ax_mul(g, a, a), 0);
}

static void grad_reshape_flatten(void)
{
    begin();
    ax_node *x = var("x", ax_shape3(2, 3, 4));
    check_graph(ax_flatten(g, ax_reshape(g, x, ax_shape3(2, 2, 3))), 0);
}

static void grad_activations(void)
{
    begin();
    check_graph(ax_relu(g, var("x", ax_shape2(4, 8))), 0.05f);
    begin();
    check_graph(ax_sigmoid(g, var("x", ax_shape2(4, 8))), 0);
    begin();
    check_graph(ax_tanh(g, var("x", ax_shape2(4, 8))), 0);
}

static void grad_softmax(void)
{
    begin();
    check_graph(ax_softmax(g, var("x", ax_shape2(3, 6))), 0);
}

static void grad_softmax_cross_entropy(void)
{
    /* Sparse labels: compile, then set valid class indices. */
    begin();
    ax_node *x = var("x", ax_shape2(5, 4));
    ax_node *lab = ax_input(g, "lab", ax_shape1(5));
    ax_node *loss = ax_softmax_cross_entropy(g, x, lab);
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -3, 3, 0);
    for (int i = 0; i < 5; i++)
        ax_node_data(lab)[i] = (float)(i % 4);
    CHECK(gradcheck(g, loss, 100) == 0);
    ax_graph_free(g);
    /* Dense targets: gradients for both logits and targets. */
    begin();
    check_graph(ax_softmax_cross_entropy(g, var("x", ax_shape2(3, 4)), var("t", ax_shape2(3, 4))), 0);
}

static void grad_mse(void)
{
    begin();
    check_graph(ax_mse(g, var("p", ax_shape2(3, 4)), var("t", ax_shape2(3, 4))), 0);
}

static void grad_mlp_end_to_end(void)
{
    /* dense -> tanh -> dense -> relu -> dense -> cross-entropy, all params */
    begin();
    ax_node *x = ax_input(g, "x", ax_shape2(6, 5));
    ax_node *h = ax_dense(g, x, 7, "tanh", AX_DEFAULT_INIT, &rng, "l1");
    h = ax_dense(g, h, 6, "sigmoid", AX_DEFAULT_INIT, &rng, "l2");
    ax_node *logits = ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "l3");
    ax_node *lab = ax_input(g, "lab", ax_shape1(6));
    ax_node *loss = ax_softmax_cross_entropy(g, logits, lab);
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -1, 1, 0);
    for (int i = 0; i < 6; i++)
        ax_node_data(lab)[i] = (float)(i % 3);
    CHECK(gradcheck(g, loss, 40) == 0);
    ax_graph_free(g);
}

static void grad_short_batch(void)
{
    /* Gradients stay right when the graph runs on fewer rows than planned. */
    begin();
    ax_node *x = var("x", ax_shape2(8, 5));
    ax_node *w = ax_param(g, "w", ax_shape2(3, 5));
    ax_node *y = ax_relu(g, ax_matmul(g, x, w, 1));
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -2, 2, 0);
    fill_uniform(w, &rng, -2, 2, 0);
    CHECK_OK(ax_graph_set_batch(g, 3));
    CHECK(ax_node_shape(y).dim[0] == 3);
    CHECK(gradcheck(g, y, 60) == 0);
    ax_graph_free(g);
}

TEST_MAIN(T(grad_matmul), T(grad_bias_add), T(grad_add_mul), T(grad_reshape_flatten),
          T(grad_activations), T(grad_softmax), T(grad_softmax_cross_entropy), T(grad_mse),
          T(grad_mlp_end_to_end), T(grad_short_batch))
