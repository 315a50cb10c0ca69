/* The dense (fully connected) layer and activation selection. */
#include "axon/nn.h"

#include <stdio.h>

ax_node *ax_activate(ax_graph *g, ax_node *x, ax_activation act)
{
    switch (act) {
    case AX_ACT_NONE: return x;
    case AX_ACT_RELU: return ax_relu(g, x);
    case AX_ACT_SIGMOID: return ax_sigmoid(g, x);
    case AX_ACT_TANH: return ax_tanh(g, x);
    case AX_ACT_SOFTMAX: return ax_softmax(g, x);
    }
    ax_fail(AX_ERR_INVALID_ARG, "activation: unknown activation %d", (int)act);
    return ax_graph_error(g, AX_ERR_INVALID_ARG);
}

ax_node *ax_dense(ax_graph *g, ax_node *x, int64_t units, ax_activation act, ax_init init,
                  ax_rng *rng, const char *name)
{
    if (!x || ax_graph_status(g) != AX_OK)
        return NULL;
    ax_shape xs = ax_node_shape(x);
    if (xs.ndim != 2 || units <= 0) {
        char buf[96];
        ax_fail(AX_ERR_SHAPE, "dense '%s': needs input [N, features] and units > 0, got %s and %lld",
                name ? name : "?", ax_shape_str(&xs, buf, sizeof buf), (long long)units);
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    int64_t in = xs.dim[1];
    char wname[80], bname[80];
    snprintf(wname, sizeof wname, "%s.weight", name ? name : "dense");
    snprintf(bname, sizeof bname, "%s.bias", name ? name : "dense");
    ax_node *w = ax_param(g, name ? wname : NULL, ax_shape2(units, in));
    ax_node *b = ax_param(g, name ? bname : NULL, ax_shape1(units));
    if (!w || !b)
        return NULL;
    if (init == AX_INIT_DEFAULT)
        init = act == AX_ACT_RELU ? AX_INIT_HE_UNIFORM : AX_INIT_XAVIER_UNIFORM;
    ax_status s = ax_init_fill(ax_node_data(w), units * in, in, units, init, rng);
    if (s != AX_OK)
        return ax_graph_error(g, s);
    return ax_activate(g, ax_bias_add(g, ax_matmul(g, x, w, 1), b), act);
}
