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

/* The padding a conv needs on each side of one axis. */
static void pad_for(const ax_conv_options *o, int64_t in, int64_t k, int64_t stride, int64_t dil,
                    int explicit_pad, int64_t *lo, int64_t *hi)
{
    if (o->pad_mode == AX_PAD_SAME) {
        int64_t out = (in + stride - 1) / stride;
        int64_t total = (out - 1) * stride + (k - 1) * dil + 1 - in;
        total = total > 0 ? total : 0;
        *lo = total / 2;
        *hi = total - *lo;
    } else {
        *lo = *hi = o->pad_mode == AX_PAD_VALID ? 0 : explicit_pad;
    }
}

ax_node *ax_conv2d(ax_graph *g, ax_node *x, ax_node *w, const ax_conv_options *options)
{
    return ax_conv2d_bias(g, x, w, NULL, options);
}

ax_node *ax_conv2d_bias(ax_graph *g, ax_node *x, ax_node *w, ax_node *b, const ax_conv_options *options)
{
    ax_conv_options o = options ? *options : (ax_conv_options){0};
    if (!x || !w)
        return ax_apply(g, "conv2d", (ax_node *const[]){x, w}, 2, NULL, NULL); /* reports the NULL */
    ax_shape xs = ax_node_shape(x), ws = ax_node_shape(w);
    int64_t sh = o.stride_h ? o.stride_h : 1, sw = o.stride_w ? o.stride_w : 1;
    int64_t dh = o.dil_h ? o.dil_h : 1, dw = o.dil_w ? o.dil_w : 1;
    int64_t pt = 0, pb = 0, pl = 0, pr = 0;
    if (xs.ndim == 4 && ws.ndim == 4) {
        pad_for(&o, xs.dim[2], ws.dim[2], sh, dh, o.pad_h, &pt, &pb);
        pad_for(&o, xs.dim[3], ws.dim[3], sw, dw, o.pad_w, &pl, &pr);
    }
    ax_attrs at = {.ints = {sh, sw, pt, pb, pl, pr, dh, dw, o.groups ? o.groups : 1, o.images_per_gemm, o.fused_relu,
                               o.recompute_im2col}, .n_ints = 12};
    ax_node *in[3] = {x, w, b};
    return ax_apply(g, "conv2d", in, b ? 3 : 2, &at, NULL);
}

static ax_node *pool(ax_graph *g, const char *op, ax_node *x, int kh, int kw, int sh, int sw, int ph,
                     int pw, int include_pad)
{
    ax_attrs at = {.ints = {kh, kw, sh ? sh : kh, sw ? sw : kw, ph, ph, pw, pw, include_pad}, .n_ints = 9};
    return ax_apply(g, op, &x, 1, &at, NULL);
}

ax_node *ax_max_pool2d(ax_graph *g, ax_node *x, int kh, int kw, int sh, int sw, int ph, int pw)
{
    return pool(g, "max_pool2d", x, kh, kw, sh, sw, ph, pw, 0);
}

ax_node *ax_avg_pool2d(ax_graph *g, ax_node *x, int kh, int kw, int sh, int sw, int ph, int pw,
                       int count_include_pad)
{
    return pool(g, "avg_pool2d", x, kh, kw, sh, sw, ph, pw, count_include_pad);
}

ax_node *ax_global_avg_pool(ax_graph *g, ax_node *x) { return ax_unary(g, "global_avg_pool", x); }

static ax_node *dropout(ax_graph *g, ax_node *x, float p, int spatial)
{
    ax_attrs at = {.floats = {p}, .n_floats = 1, .ints = {spatial}, .n_ints = 1};
    return ax_apply(g, "dropout", &x, 1, &at, NULL);
}

ax_node *ax_dropout(ax_graph *g, ax_node *x, float p) { return dropout(g, x, p, 0); }
ax_node *ax_spatial_dropout(ax_graph *g, ax_node *x, float p) { return dropout(g, x, p, 1); }

ax_node *ax_concat(ax_graph *g, ax_node *const *inputs, int n) { return ax_apply(g, "concat", inputs, n, NULL, NULL); }
