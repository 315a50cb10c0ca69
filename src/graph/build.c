/* Typed builders: one-line wrappers over ax_apply for the registered ops. */
#include "axon/graph.h"

#include <string.h>

static ax_node *unary_with(ax_graph *g, const char *op, ax_node *x, int n_floats, float p0, float p1)
{
    ax_attrs at = {.floats = {p0, p1}, .n_floats = n_floats};
    return ax_apply(g, op, &x, 1, &at, NULL);
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

ax_node *ax_flatten(ax_graph *g, ax_node *x) { return ax_unary(g, "flatten", x); }
ax_node *ax_unary(ax_graph *g, const char *op, ax_node *x) { return ax_apply(g, op, &x, 1, NULL, NULL); }
ax_node *ax_relu(ax_graph *g, ax_node *x) { return ax_unary(g, "relu", x); }
ax_node *ax_sigmoid(ax_graph *g, ax_node *x) { return ax_unary(g, "sigmoid", x); }
ax_node *ax_tanh(ax_graph *g, ax_node *x) { return ax_unary(g, "tanh", x); }
ax_node *ax_leaky_relu(ax_graph *g, ax_node *x, float s) { return unary_with(g, "leaky_relu", x, 1, s, 0); }
ax_node *ax_elu(ax_graph *g, ax_node *x, float alpha) { return unary_with(g, "elu", x, 1, alpha, 0); }
ax_node *ax_softplus(ax_graph *g, ax_node *x, float beta) { return unary_with(g, "softplus", x, 1, beta, 0); }
ax_node *ax_swish(ax_graph *g, ax_node *x, float beta) { return unary_with(g, "swish", x, 1, beta, 0); }
ax_node *ax_rrelu(ax_graph *g, ax_node *x, float lo, float hi) { return unary_with(g, "rrelu", x, 2, lo, hi); }
ax_node *ax_prelu(ax_graph *g, ax_node *x, ax_node *slope) { return binary(g, "prelu", x, slope); }

static ax_node *with_int(ax_graph *g, const char *op, ax_node *x, int64_t axis)
{
    ax_attrs at = {.ints = {axis}, .n_ints = 1};
    return ax_apply(g, op, &x, 1, &at, NULL);
}

ax_node *ax_softmax(ax_graph *g, ax_node *x) { return with_int(g, "softmax", x, -1); }
ax_node *ax_softmax_axis(ax_graph *g, ax_node *x, int axis) { return with_int(g, "softmax", x, axis); }
ax_node *ax_log_softmax(ax_graph *g, ax_node *x, int axis) { return with_int(g, "log_softmax", x, axis); }
ax_node *ax_maxout(ax_graph *g, ax_node *x, int64_t k) { return with_int(g, "maxout", x, k); }

ax_node *ax_loss(ax_graph *g, const char *name, ax_node *pred, ax_node *target,
                 const ax_loss_options *o)
{
    ax_loss_options d = {0};
    if (!o)
        o = &d;
    ax_attrs at = {.ints = {o->reduction}, .n_ints = 1, .n_floats = 1};
    int huber = name && strcmp(name, "huber") == 0;
    at.floats[0] = huber ? (o->huber_delta > 0 ? o->huber_delta : 1.0f) : o->label_smoothing;
    ax_node *in[3] = {pred, target, o->class_weights};
    return ax_apply(g, name, in, o->class_weights ? 3 : 2, &at, NULL);
}

ax_node *ax_softmax_cross_entropy(ax_graph *g, ax_node *logits, ax_node *labels)
{
    return binary(g, "softmax_cross_entropy", logits, labels);
}

ax_node *ax_mse(ax_graph *g, ax_node *pred, ax_node *target) { return binary(g, "mse", pred, target); }
