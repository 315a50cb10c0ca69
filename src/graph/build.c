/* Typed builders: one-line wrappers over ax_apply for the registered ops. */
#include "axon/graph.h"

static ax_node *unary(ax_graph *g, const char *op, ax_node *x)
{
    return ax_apply(g, op, &x, 1, NULL, NULL);
}

static ax_node *binary(ax_graph *g, const char *op, ax_node *a, ax_node *b)
{
    ax_node *in[2] = {a, b};
    return ax_apply(g, op, in, 2, NULL, NULL);
}

ax_node *ax_matmul(ax_graph *g, ax_node *a, ax_node *b, int transpose_b)
{
    ax_attrs at = {.ints = {transpose_b != 0}, .n_ints = 1};
    ax_node *in[2] = {a, b};
    return ax_apply(g, "matmul", in, 2, &at, NULL);
}

ax_node *ax_bias_add(ax_graph *g, ax_node *x, ax_node *bias) { return binary(g, "bias_add", x, bias); }
ax_node *ax_add(ax_graph *g, ax_node *a, ax_node *b) { return binary(g, "add", a, b); }
ax_node *ax_mul(ax_graph *g, ax_node *a, ax_node *b) { return binary(g, "mul", a, b); }

ax_node *ax_reshape(ax_graph *g, ax_node *x, ax_shape sample_shape)
{
    ax_attrs at = {.n_ints = sample_shape.ndim};
    for (int i = 0; i < sample_shape.ndim && i < AX_MAX_DIMS; i++)
        at.ints[i] = sample_shape.dim[i];
    return ax_apply(g, "reshape", &x, 1, &at, NULL);
}

ax_node *ax_flatten(ax_graph *g, ax_node *x) { return unary(g, "flatten", x); }
ax_node *ax_relu(ax_graph *g, ax_node *x) { return unary(g, "relu", x); }
ax_node *ax_sigmoid(ax_graph *g, ax_node *x) { return unary(g, "sigmoid", x); }
ax_node *ax_tanh(ax_graph *g, ax_node *x) { return unary(g, "tanh", x); }
ax_node *ax_softmax(ax_graph *g, ax_node *x) { return unary(g, "softmax", x); }

ax_node *ax_softmax_cross_entropy(ax_graph *g, ax_node *logits, ax_node *labels)
{
    return binary(g, "softmax_cross_entropy", logits, labels);
}

ax_node *ax_mse(ax_graph *g, ax_node *pred, ax_node *target) { return binary(g, "mse", pred, target); }
