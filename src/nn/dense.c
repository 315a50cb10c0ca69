/* Dense-style layers (dense, prelu, maxout), activation by name, and
 * per-parameter regularisation. Convolution and normalisation layers are
 * in conv.c. */
#include "axon/nn.h"
#include "nn/layer.h"

#include <stdio.h>
#include <string.h>

ax_node *ax_activate(ax_graph *g, ax_node *x, const char *activation)
{
    if (!activation || !strcmp(activation, "none") || !strcmp(activation, "linear"))
        return x;
    return ax_apply(g, activation, &x, 1, NULL, 0, NULL);
}

static ax_node *features_error(ax_graph *g, const char *layer, const char *name, ax_node *x)
{
    char buf[96];
    ax_shape xs = ax_node_shape(x);
    ax_fail(AX_ERR_SHAPE, "%s '%s': needs input [N, features] (or [N, ..., features]), got %s", layer, name ? name : "?",
            ax_shape_str(&xs, buf, sizeof buf));
    return ax_graph_error(g, AX_ERR_SHAPE);
}

static ax_node *dense(ax_graph *g, ax_node *x, int64_t units, const char *activation, ax_init init, ax_rng *rng,
                      const char *name, int with_bias)
{
    if (!x || ax_graph_status(g) != AX_OK)
        return NULL;
    const int nd = ax_node_shape(x).ndim;
    if (nd < 2)
        return features_error(g, "dense", name, x);
    if (units <= 0) {
        ax_fail(AX_ERR_INVALID_ARG, "dense '%s': units %lld must be positive", name ? name : "?",
                (long long)units);
        return ax_graph_error(g, AX_ERR_INVALID_ARG);
    }
    int64_t in = ax_node_shape(x).dim[nd - 1];
    char wname[96], bname[96];
    ax_node *w = ax_param(g, ax_layer_param_name(wname, sizeof wname, name, "weight"), ax_shape2(units, in));
    ax_node *b = with_bias ? ax_param(g, ax_layer_param_name(bname, sizeof bname, name, "bias"), ax_shape1(units)) : NULL;
    if (!w || (with_bias && !b))
        return NULL;
    if (init.kind == AX_INIT_DEFAULT)
        init = ax_init_default_for(activation);
    ax_status s = ax_init_fill(ax_node_data(w), ax_node_shape(w), init, rng);
    if (s != AX_OK)
        return ax_graph_error(g, s);
    if (nd > 2) { /* along the last axis: every step of [N, T, in], as PyTorch's Linear */
        ax_node *y = ax_batch_matmul(g, x, w, 0, 1);
        return ax_activate(g, with_bias ? ax_add(g, y, b) : y, activation);
    }
    ax_node *y = ax_matmul(g, x, w, 1);
    return ax_activate(g, with_bias ? ax_bias_add(g, y, b) : y, activation);
}

ax_node *ax_dense(ax_graph *g, ax_node *x, int64_t units, const char *activation, ax_init init,
                  ax_rng *rng, const char *name)
{
    return dense(g, x, units, activation, init, rng, name, 1);
}

ax_node *ax_dense_no_bias(ax_graph *g, ax_node *x, int64_t units, const char *activation, ax_init init,
                          ax_rng *rng, const char *name)
{
    return dense(g, x, units, activation, init, rng, name, 0);
}

ax_node *ax_prelu_layer(ax_graph *g, ax_node *x, const char *name) { return ax_op_layer(g, "prelu", x, NULL, 0, name); }

ax_node *ax_maxout_dense(ax_graph *g, ax_node *x, int64_t units, int64_t k, ax_rng *rng,
                         const char *name)
{
    ax_node *pieces = ax_dense(g, x, units * k, NULL, (ax_init){AX_INIT_XAVIER_UNIFORM, 0, 0}, rng, name);
    return ax_maxout(g, pieces, k);
}

ax_node *ax_regularize(ax_graph *g, ax_node *loss, ax_node *param, float l1, float l2)
{
    ax_attr at[2] = {AX_ATTR("l1", l1), AX_ATTR("l2", l2)};
    return ax_add(g, loss, ax_apply(g, "penalty", &param, 1, at, 2, NULL));
}
