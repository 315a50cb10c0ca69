/* Convolution and batch-normalisation layers. */
#include "axon/nn.h"
#include "nn/layer.h"

#include <stdio.h>
#include <string.h>

ax_node *ax_conv2d_layer(ax_graph *g, ax_node *x, int64_t out_channels, int kh, int kw,
                         const ax_conv_options *options, const char *activation, ax_init init,
                         ax_rng *rng, const char *name)
{
    if (!x || ax_graph_status(g) != AX_OK)
        return NULL;
    ax_conv_options o = options ? *options : (ax_conv_options){0};
    ax_shape xs = ax_node_shape(x);
    int64_t groups = o.groups ? o.groups : 1;
    if (xs.ndim != 4 || out_channels <= 0 || kh <= 0 || kw <= 0 || xs.dim[1] % groups) {
        char buf[96];
        ax_fail(AX_ERR_SHAPE, "conv2d '%s': needs x [N, C, H, W] with C divisible by %lld groups, "
                "out_channels and kernel > 0; got %s", name ? name : "?", (long long)groups,
                ax_shape_str(&xs, buf, sizeof buf));
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    char wname[96], bname[96];
    ax_node *w = ax_param(g, ax_layer_param_name(wname, sizeof wname, name, "weight"),
                          ax_shape4(out_channels, xs.dim[1] / groups, kh, kw));
    if (!w)
        return NULL;
    if (init.kind == AX_INIT_DEFAULT)
        init = ax_init_default_for(activation);
    ax_status s = ax_init_fill(ax_node_data(w), ax_node_shape(w), init, rng);
    if (s != AX_OK)
        return ax_graph_error(g, s);
    ax_node *b = o.no_bias ? NULL : ax_param(g, ax_layer_param_name(bname, sizeof bname, name, "bias"), ax_shape1(out_channels));
    if (activation && !strcmp(activation, "relu")) { /* fused: one pass instead of three */
        o.fused_relu = 1;
        activation = NULL;
    }
    return ax_activate(g, ax_conv2d_bias(g, x, w, b, &o), activation);
}

ax_node *ax_batch_norm_layer(ax_graph *g, ax_node *x, float momentum, float eps, const char *name)
{
    ax_attr at[2] = {AX_ATTR("momentum", momentum > 0 ? momentum : 0.1f), AX_ATTR("eps", eps > 0 ? eps : 1e-5f)};
    return ax_op_layer(g, "batch_norm", x, at, 2, name);
}
