/* Typed builders: one-line wrappers over ax_apply for the registered ops. */
#include "axon/graph.h"

#include <string.h>

/* An op of one input with one named attribute. */
static ax_node *unary_with(ax_graph *g, const char *op, ax_node *x, const char *attr, double value)
{
    ax_attr at = AX_ATTR(attr, value);
    return ax_apply(g, op, &x, 1, &at, 1, NULL);
}

static ax_node *binary(ax_graph *g, const char *op, ax_node *a, ax_node *b)
{
    ax_node *in[2] = {a, b};
    return ax_apply(g, op, in, 2, NULL, 0, NULL);
}

ax_node *ax_matmul(ax_graph *g, ax_node *a, ax_node *b, int transpose_b)
{
    ax_attr at = AX_ATTR("transpose_b", transpose_b != 0);
    ax_node *in[2] = {a, b};
    return ax_apply(g, "matmul", in, 2, &at, 1, NULL);
}

ax_node *ax_bias_add(ax_graph *g, ax_node *x, ax_node *bias) { return binary(g, "bias_add", x, bias); }
ax_node *ax_add(ax_graph *g, ax_node *a, ax_node *b) { return binary(g, "add", a, b); }
ax_node *ax_mul(ax_graph *g, ax_node *a, ax_node *b) { return binary(g, "mul", a, b); }

ax_node *ax_reshape(ax_graph *g, ax_node *x, ax_shape sample_shape)
{
    ax_attr at = {"shape", 0, sample_shape.dim, sample_shape.ndim};
    return ax_apply(g, "reshape", &x, 1, &at, 1, NULL);
}

ax_node *ax_flatten(ax_graph *g, ax_node *x) { return ax_unary(g, "flatten", x); }
ax_node *ax_unary(ax_graph *g, const char *op, ax_node *x) { return ax_apply(g, op, &x, 1, NULL, 0, NULL); }
ax_node *ax_relu(ax_graph *g, ax_node *x) { return ax_unary(g, "relu", x); }
ax_node *ax_sigmoid(ax_graph *g, ax_node *x) { return ax_unary(g, "sigmoid", x); }
ax_node *ax_tanh(ax_graph *g, ax_node *x) { return ax_unary(g, "tanh", x); }
ax_node *ax_leaky_relu(ax_graph *g, ax_node *x, float s) { return unary_with(g, "leaky_relu", x, "negative_slope", s); }
ax_node *ax_elu(ax_graph *g, ax_node *x, float alpha) { return unary_with(g, "elu", x, "alpha", alpha); }
ax_node *ax_softplus(ax_graph *g, ax_node *x, float beta) { return unary_with(g, "softplus", x, "beta", beta); }
ax_node *ax_swish(ax_graph *g, ax_node *x, float beta) { return unary_with(g, "swish", x, "beta", beta); }
ax_node *ax_rrelu(ax_graph *g, ax_node *x, float lo, float hi)
{
    ax_attr at[2] = {AX_ATTR("lower", lo), AX_ATTR("upper", hi)};
    return ax_apply(g, "rrelu", &x, 1, at, 2, NULL);
}
ax_node *ax_prelu(ax_graph *g, ax_node *x, ax_node *slope) { return binary(g, "prelu", x, slope); }

ax_node *ax_softmax(ax_graph *g, ax_node *x) { return unary_with(g, "softmax", x, "axis", -1); }
ax_node *ax_softmax_axis(ax_graph *g, ax_node *x, int axis) { return unary_with(g, "softmax", x, "axis", axis); }
ax_node *ax_log_softmax(ax_graph *g, ax_node *x, int axis) { return unary_with(g, "log_softmax", x, "axis", axis); }
ax_node *ax_maxout(ax_graph *g, ax_node *x, int64_t k) { return unary_with(g, "maxout", x, "k", (double)k); }

ax_node *ax_loss(ax_graph *g, const char *name, ax_node *pred, ax_node *target,
                 const ax_loss_options *o)
{
    ax_loss_options d = {0};
    if (!o)
        o = &d;
    /* each loss takes the options its schema has */
    const ax_attr all[3] = {AX_ATTR("reduction", o->reduction), AX_ATTR("label_smoothing", o->label_smoothing),
                            AX_ATTR("delta", o->huber_delta > 0 ? o->huber_delta : 1.0f)};
    ax_attr at[3];
    int n_at = 0;
    const ax_op_schema *sc = ax_op_schema_of(name);
    for (int i = 0; sc && i < sc->n_attrs; i++)
        for (int k = 0; k < 3; k++)
            if (!strcmp(sc->attrs[i].name, all[k].name))
                at[n_at++] = all[k];
    ax_node *in[3] = {pred, target, o->class_weights};
    return ax_apply(g, name, in, o->class_weights ? 3 : 2, at, n_at, NULL);
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
        return ax_apply(g, "conv2d", (ax_node *const[]){x, w}, 2, NULL, 0, NULL); /* reports the NULL */
    ax_shape xs = ax_node_shape(x), ws = ax_node_shape(w);
    int64_t sh = o.stride_h ? o.stride_h : 1, sw = o.stride_w ? o.stride_w : 1;
    int64_t dh = o.dil_h ? o.dil_h : 1, dw = o.dil_w ? o.dil_w : 1;
    int64_t pt = 0, pb = 0, pl = 0, pr = 0;
    if (xs.ndim == 4 && ws.ndim == 4) {
        pad_for(&o, xs.dim[2], ws.dim[2], sh, dh, o.pad_h, &pt, &pb);
        pad_for(&o, xs.dim[3], ws.dim[3], sw, dw, o.pad_w, &pl, &pr);
    }
    ax_attr at[] = {AX_ATTR("stride_h", sh),   AX_ATTR("stride_w", sw),   AX_ATTR("pad_top", pt),
                    AX_ATTR("pad_bottom", pb), AX_ATTR("pad_left", pl),   AX_ATTR("pad_right", pr),
                    AX_ATTR("dilation_h", dh), AX_ATTR("dilation_w", dw), AX_ATTR("groups", o.groups ? o.groups : 1),
                    AX_ATTR("relu", o.fused_relu != 0)};
    ax_node *in[3] = {x, w, b};
    return ax_apply(g, "conv2d", in, b ? 3 : 2, at, (int)(sizeof at / sizeof at[0]), NULL);
}

static ax_node *pool(ax_graph *g, const char *op, ax_node *x, int kh, int kw, int sh, int sw, int ph,
                     int pw, int include_pad)
{
    ax_attr at[] = {AX_ATTR("kernel_h", kh),   AX_ATTR("kernel_w", kw), AX_ATTR("stride_h", sh ? sh : kh),
                    AX_ATTR("stride_w", sw ? sw : kw), AX_ATTR("pad_top", ph),  AX_ATTR("pad_bottom", ph),
                    AX_ATTR("pad_left", pw),   AX_ATTR("pad_right", pw), AX_ATTR("count_include_pad", include_pad != 0)};
    /* max pooling has no count_include_pad */
    return ax_apply(g, op, &x, 1, at, strcmp(op, "avg_pool2d") ? 8 : 9, NULL);
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
    ax_attr at[2] = {AX_ATTR("p", p), AX_ATTR("spatial", spatial)};
    return ax_apply(g, "dropout", &x, 1, at, 2, NULL);
}

ax_node *ax_dropout(ax_graph *g, ax_node *x, float p) { return dropout(g, x, p, 0); }
ax_node *ax_spatial_dropout(ax_graph *g, ax_node *x, float p) { return dropout(g, x, p, 1); }

ax_node *ax_concat(ax_graph *g, ax_node *const *inputs, int n) { return ax_apply(g, "concat", inputs, n, NULL, 0, NULL); }

ax_node *ax_concat_axis(ax_graph *g, ax_node *const *inputs, int n, int axis)
{
    ax_attr at = AX_ATTR("axis", axis);
    return ax_apply(g, "concat", inputs, n, &at, 1, NULL);
}

ax_node *ax_sub(ax_graph *g, ax_node *a, ax_node *b) { return binary(g, "sub", a, b); }
ax_node *ax_div(ax_graph *g, ax_node *a, ax_node *b) { return binary(g, "div", a, b); }

ax_node *ax_slice(ax_graph *g, ax_node *x, int axis, int64_t start, int64_t end, int64_t step)
{
    ax_attr at[4] = {AX_ATTR("axis", axis), AX_ATTR("start", start), AX_ATTR("end", end), AX_ATTR("step", step)};
    return ax_apply(g, "slice", &x, 1, at, 4, NULL);
}

int ax_split(ax_graph *g, ax_node *x, int axis, const int64_t *sizes, int n, ax_node **out)
{
    int64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (sizes[i] < 1) {
            ax_fail(AX_ERR_INVALID_ARG, "split: piece %d has size %lld", i, (long long)sizes[i]);
            ax_graph_error(g, AX_ERR_INVALID_ARG);
            return 0;
        }
        if (!(out[i] = ax_slice(g, x, axis, at, at + sizes[i], 1)))
            return 0;
        at += sizes[i];
    }
    const ax_shape xs = x ? ax_node_shape(x) : ax_shape0();
    const int a = axis < 0 ? axis + xs.ndim : axis;
    if (a >= 1 && a < xs.ndim && at != xs.dim[a]) {
        ax_fail(AX_ERR_SHAPE, "split: the pieces add up to %lld, the axis holds %lld", (long long)at,
                (long long)xs.dim[a]);
        ax_graph_error(g, AX_ERR_SHAPE);
        return 0;
    }
    return n;
}

ax_node *ax_stack(ax_graph *g, ax_node *const *inputs, int n, int axis)
{
    if (n < 1 || !inputs[0])
        return ax_apply(g, "concat", inputs, n, NULL, 0, NULL); /* reports it */
    const ax_shape s = ax_node_shape(inputs[0]);
    const int a = axis < 0 ? axis + s.ndim + 1 : axis;
    if (a < 1 || a > s.ndim || s.ndim + 1 > AX_MAX_DIMS) {
        ax_fail(AX_ERR_SHAPE, "stack: axis %d outside 1..%d", axis, s.ndim);
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    /* each input gets a new axis of 1 at `a`, then they are joined there */
    ax_shape per = {s.ndim, {0}};
    for (int d = 1, o = 0; d <= s.ndim; d++)
        per.dim[o++] = d == a ? 1 : s.dim[d - (d > a)];
    ax_node **r = ax_alloc((size_t)n * sizeof *r);
    if (!r) {
        ax_fail(AX_ERR_NOMEM, "stack: out of memory");
        return ax_graph_error(g, AX_ERR_NOMEM);
    }
    for (int i = 0; i < n; i++)
        r[i] = ax_reshape(g, inputs[i], per);
    ax_node *y = n == 1 ? r[0] : ax_concat_axis(g, r, n, a);
    ax_free(r);
    return y;
}

ax_node *ax_transpose(ax_graph *g, ax_node *x, const int64_t *perm, int ndim)
{
    ax_attr at = {"perm", 0, perm, ndim};
    return ax_apply(g, "transpose", &x, 1, &at, 1, NULL);
}

ax_node *ax_embedding(ax_graph *g, ax_node *indices, ax_node *weight) { return binary(g, "embedding", indices, weight); }

ax_node *ax_batch_matmul(ax_graph *g, ax_node *a, ax_node *b, int transpose_a, int transpose_b)
{
    ax_attr at[2] = {AX_ATTR("transpose_a", transpose_a != 0), AX_ATTR("transpose_b", transpose_b != 0)};
    ax_node *in[2] = {a, b};
    return ax_apply(g, "batch_matmul", in, 2, at, 2, NULL);
}
