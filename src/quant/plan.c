/* From a float graph to the layer list of src/quant: each op the output
 * depends on becomes a layer, or is absorbed into the layer before it
 * (a bias, a batch norm folded into the weights, a ReLU fused), or is a
 * view of its input (flatten, reshape, dropout, identity). */
#include "quant/qmodel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const axq_kind_names[AXQ_KINDS] = {"dense", "conv2d", "max_pool2d", "avg_pool2d",
                                               "add", "unary", "softmax"};

/* The element-wise ops an int8 table can stand for, with the float
 * export's formula for each (export_c.c). */
static const char *const unary_ops[] = {"identity", "step", "sigmoid", "tanh", "relu", "leaky_relu",
                                        "elu", "selu", "softplus", "softsign", "swish", "mish",
                                        "sinc", "log_sigmoid", "arctan", "gelu", "erf", "hard_sigmoid"};

static int is_unary(const char *op)
{
    for (size_t i = 0; i < sizeof unary_ops / sizeof unary_ops[0]; i++)
        if (!strcmp(op, unary_ops[i]))
            return 1;
    return 0;
}

/* An attribute of node n by name (its schema's order). */
static double attr(const ax_node *n, const char *name)
{
    const ax_op_schema *s = ax_node_schema(n);
    for (int i = 0; s && i < s->n_attrs; i++)
        if (!strcmp(s->attrs[i].name, name))
            return ax_node_attr(n, i);
    return 0;
}

typedef struct walk {
    ax_graph *g;
    ax_node *output;
    int n;
    char *needed;
    int *uses, *tensor; /* per node: readers among the needed ops; its tensor (-1: none yet) */
    ax_qmodel *q;
    ax_node *chain[4]; /* the nodes the last layer absorbed after its first */
    int n_chain;
} walk;

static ax_status unsupported(const ax_node *n, const char *why)
{
    return ax_fail(AX_ERR_UNSUPPORTED, "node '%s' (op %s): %s", ax_node_name(n), ax_node_op(n), why);
}

/* The one op reading node n, when n is not the output and exactly one reads it. */
static ax_node *sole_reader(walk *w, ax_node *n)
{
    if (n == w->output || w->uses[ax_node_id(n)] != 1)
        return NULL;
    for (int i = ax_node_id(n) + 1; i < w->n; i++) {
        ax_node *c = ax_graph_node(w->g, i);
        if (!w->needed[i])
            continue;
        for (int k = 0; k < ax_node_num_inputs(c); k++)
            if (ax_node_input(c, k) == n)
                return c;
    }
    return NULL;
}

static int is_param(const ax_node *n) { return n && !strcmp(ax_node_op(n), "param"); }

static ax_shape sample_shape(const ax_node *n)
{
    ax_shape s = ax_node_shape(n), r = {0, {0}};
    r.ndim = s.ndim - 1;
    for (int d = 1; d < s.ndim; d++)
        r.dim[d - 1] = s.dim[d];
    return r;
}

static int new_tensor(walk *w, ax_node *n)
{
    axq_tensor *t = &w->q->tensors[w->q->n_tensors];
    memset(t, 0, sizeof *t);
    t->shape = sample_shape(n);
    t->numel = ax_shape_numel(&t->shape);
    t->scale = 1;
    return w->q->n_tensors++;
}

/* The tensor that node n's value lives in. */
static ax_status input_tensor(walk *w, ax_node *layer_node, ax_node *n, int *t)
{
    *t = w->tensor[ax_node_id(n)];
    if (*t < 0)
        return unsupported(layer_node, "reads a value that is not an activation of the model (a parameter or "
                                       "a second input?)");
    return AX_OK;
}

static axq_layer *new_layer(walk *w, ax_node *n, axq_kind kind)
{
    if (w->q->n_layers >= AXQ_MAX_LAYERS) {
        ax_fail(AX_ERR_UNSUPPORTED, "node '%s': more than %d layers", ax_node_name(n), AXQ_MAX_LAYERS);
        return NULL;
    }
    axq_layer *l = &w->q->layers[w->q->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    snprintf(l->name, sizeof l->name, "%s", ax_node_name(n));
    return l;
}

/* Copies of a parameter's values. */
static float *param_copy(ax_node *p)
{
    const int64_t n = ax_node_numel(p);
    float *v = ax_alloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (v && ax_node_read(p, v, n) != AX_OK) {
        ax_free(v);
        return NULL;
    }
    return v;
}

/* Fold batch norm node bn (eval form) into l's weights: per channel c,
 * s = gamma / sqrt(var + eps), w *= s, b = (b - mean) s + beta. */
static ax_status fold_batch_norm(axq_layer *l, ax_node *bn)
{
    const int64_t c = l->channels, per = l->w_numel / c;
    float *v[4] = {NULL, NULL, NULL, NULL};
    ax_status s = AX_OK;
    for (int k = 0; k < 4 && s == AX_OK; k++) {
        ax_node *p = ax_node_input(bn, k + 1);
        if (ax_node_numel(p) != c)
            s = unsupported(bn, "its statistics do not match the channels of the layer before it");
        else if (!(v[k] = param_copy(p)))
            s = ax_fail(AX_ERR_NOMEM, "out of memory");
    }
    const double eps = attr(bn, "eps");
    for (int64_t ch = 0; s == AX_OK && ch < c; ch++) {
        const double sc = v[0][ch] / sqrt((double)v[3][ch] + eps);
        for (int64_t i = 0; i < per; i++)
            l->wf[ch * per + i] = (float)(l->wf[ch * per + i] * sc);
        l->bf[ch] = (float)((l->bf[ch] - v[2][ch]) * sc + v[1][ch]);
    }
    for (int k = 0; k < 4; k++)
        ax_free(v[k]);
    return s;
}

/* A dense (matmul, transpose_b) or conv2d node and what follows it: bias,
 * batch norm, ReLU. *last: the node whose value the layer's output is. */
static ax_status weighted_layer(walk *w, ax_node *n, ax_node **last)
{
    const int conv = !strcmp(ax_node_op(n), "conv2d");
    ax_node *x = ax_node_input(n, 0), *wt = ax_node_input(n, 1);
    if (!is_param(wt))
        return unsupported(n, "its weights are not a parameter");
    if (!conv && attr(n, "transpose_b") != 1)
        return unsupported(n, "a matmul with weights [in, out] (dense layers have transpose_b=1)");
    if (!conv && (ax_node_shape(x).ndim != 2 || ax_node_shape(wt).ndim != 2))
        return unsupported(n, "a matmul of [N, in] by weights [out, in] is a dense layer; other ranks are not");
    int t_in;
    ax_status s = input_tensor(w, n, x, &t_in);
    if (s != AX_OK)
        return s;
    axq_layer *l = new_layer(w, n, conv ? AXQ_CONV : AXQ_DENSE);
    if (!l)
        return AX_ERR_UNSUPPORTED;
    l->n_in = 1;
    l->in[0] = t_in;
    l->w_numel = ax_node_numel(wt);
    l->channels = ax_node_shape(wt).dim[0];
    l->wf = param_copy(wt);
    l->bf = ax_calloc((size_t)l->channels, sizeof *l->bf);
    if (!l->wf || !l->bf)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    ax_node *cur = n, *next;
    w->n_chain = 0;
    if (conv && ax_node_num_inputs(n) > 2 && ax_node_read(ax_node_input(n, 2), l->bf, l->channels) != AX_OK)
        return ax_fail(AX_ERR_UNSUPPORTED, "node '%s': cannot read its bias", ax_node_name(n));
    if (!conv && (next = sole_reader(w, cur)) && !strcmp(ax_node_op(next), "bias_add") &&
        is_param(ax_node_input(next, 1)) && ax_node_numel(ax_node_input(next, 1)) == l->channels) {
        if (ax_node_read(ax_node_input(next, 1), l->bf, l->channels) != AX_OK)
            return ax_fail(AX_ERR_UNSUPPORTED, "node '%s': cannot read its bias", ax_node_name(next));
        cur = w->chain[w->n_chain++] = next;
    }
    if (conv && attr(n, "relu"))
        l->relu = 1;
    else if ((next = sole_reader(w, cur)) && !strcmp(ax_node_op(next), "batch_norm")) {
        if ((s = fold_batch_norm(l, next)) != AX_OK)
            return s;
        cur = w->chain[w->n_chain++] = next;
    }
    if (!l->relu && (next = sole_reader(w, cur)) && !strcmp(ax_node_op(next), "relu")) {
        l->relu = 1;
        cur = w->chain[w->n_chain++] = next;
    }
    *last = cur;
    snprintf(l->name, sizeof l->name, "%s", ax_node_name(cur));
    l->out = new_tensor(w, cur);
    const axq_tensor *ti = &w->q->tensors[t_in];
    if (conv) {
        const ax_shape xs = ti->shape, ys = w->q->tensors[l->out].shape, ws = ax_node_shape(wt);
        if (xs.ndim != 3)
            return unsupported(n, "its input is not a [C, H, W] map");
        l->conv = (axq_conv){.c_in = (int32_t)xs.dim[0], .h_in = (int32_t)xs.dim[1], .w_in = (int32_t)xs.dim[2],
                             .c_out = (int32_t)ys.dim[0], .h_out = (int32_t)ys.dim[1], .w_out = (int32_t)ys.dim[2],
                             .kh = (int32_t)ws.dim[2], .kw = (int32_t)ws.dim[3],
                             .stride_h = (int32_t)attr(n, "stride_h"), .stride_w = (int32_t)attr(n, "stride_w"),
                             .pad_top = (int32_t)attr(n, "pad_top"), .pad_left = (int32_t)attr(n, "pad_left"),
                             .dilation_h = (int32_t)attr(n, "dilation_h"),
                             .dilation_w = (int32_t)attr(n, "dilation_w"), .groups = (int32_t)attr(n, "groups")};
        l->pad_bottom = (int32_t)attr(n, "pad_bottom");
        l->pad_right = (int32_t)attr(n, "pad_right");
    } else
        l->dense = (axq_dense){.in = (int32_t)ax_node_shape(wt).dim[1], .out = (int32_t)l->channels};
    return AX_OK;
}

static ax_status pool_layer(walk *w, ax_node *n)
{
    int t_in;
    ax_status s = input_tensor(w, n, ax_node_input(n, 0), &t_in);
    if (s != AX_OK)
        return s;
    const int global = !strcmp(ax_node_op(n), "global_avg_pool");
    axq_layer *l = new_layer(w, n, !strcmp(ax_node_op(n), "max_pool2d") ? AXQ_MAX_POOL : AXQ_AVG_POOL);
    if (!l)
        return AX_ERR_UNSUPPORTED;
    l->n_in = 1;
    l->in[0] = t_in;
    l->out = new_tensor(w, n);
    const ax_shape xs = w->q->tensors[t_in].shape, ys = w->q->tensors[l->out].shape;
    if (xs.ndim != 3)
        return unsupported(n, "its input is not a [C, H, W] map");
    axq_pool *p = &l->pool;
    *p = (axq_pool){.c = (int32_t)xs.dim[0], .h_in = (int32_t)xs.dim[1], .w_in = (int32_t)xs.dim[2]};
    if (global) {
        p->h_out = p->w_out = 1;
        p->kh = p->stride_h = p->h_in;
        p->kw = p->stride_w = p->w_in;
        p->count_include_pad = 1;
        return AX_OK;
    }
    p->h_out = (int32_t)ys.dim[1];
    p->w_out = (int32_t)ys.dim[2];
    p->kh = (int32_t)attr(n, "kernel_h");
    p->kw = (int32_t)attr(n, "kernel_w");
    p->stride_h = (int32_t)(attr(n, "stride_h") ? attr(n, "stride_h") : p->kh);
    p->stride_w = (int32_t)(attr(n, "stride_w") ? attr(n, "stride_w") : p->kw);
    p->pad_top = (int32_t)attr(n, "pad_top");
    p->pad_left = (int32_t)attr(n, "pad_left");
    l->pad_bottom = (int32_t)attr(n, "pad_bottom");
    l->pad_right = (int32_t)attr(n, "pad_right");
    p->count_include_pad = l->kind == AXQ_AVG_POOL ? (int32_t)attr(n, "count_include_pad") : 0;
    return AX_OK;
}

/* One needed op node; *last is the node the layer it starts ends at. */
static ax_status visit(walk *w, ax_node *n, ax_node **last)
{
    const char *op = ax_node_op(n);
    *last = n;
    if (!strcmp(op, "matmul") || !strcmp(op, "conv2d"))
        return weighted_layer(w, n, last);
    if (!strcmp(op, "max_pool2d") || !strcmp(op, "avg_pool2d") || !strcmp(op, "global_avg_pool"))
        return pool_layer(w, n);
    if (!strcmp(op, "flatten") || !strcmp(op, "reshape") || !strcmp(op, "dropout") || !strcmp(op, "identity")) {
        /* a view: the same values in the same order (NCHW flattens as [C H W]) */
        ax_status s = input_tensor(w, n, ax_node_input(n, 0), &w->tensor[ax_node_id(n)]);
        if (s == AX_OK && n == w->output) /* the output takes the view's shape */
            w->q->tensors[w->tensor[ax_node_id(n)]].shape = sample_shape(n);
        return s;
    }
    const int unary = is_unary(op), add = !strcmp(op, "add"), softmax = !strcmp(op, "softmax");
    if (!unary && !add && !softmax) {
        if (!strcmp(op, "batch_norm"))
            return unsupported(n, "batch norm is folded into a convolution or dense layer right before it; this "
                                  "one follows none (or its input is read twice)");
        if (!strcmp(op, "bias_add"))
            return unsupported(n, "a bias add after something other than a dense layer");
        return unsupported(n, "no integer kernel for this op (dense, conv2d, pooling, add, batch norm, "
                              "element-wise activations, softmax, flatten, reshape and dropout have one)");
    }
    axq_layer *l = new_layer(w, n, add ? AXQ_ADD : unary ? AXQ_UNARY : AXQ_SOFTMAX);
    if (!l)
        return AX_ERR_UNSUPPORTED;
    l->n_in = add ? 2 : 1;
    for (int k = 0; k < l->n_in; k++) {
        ax_status s = input_tensor(w, n, ax_node_input(n, k), &l->in[k]);
        if (s != AX_OK)
            return s;
    }
    if (add && (w->q->tensors[l->in[0]].numel != w->q->tensors[l->in[1]].numel ||
                ax_node_shape(ax_node_input(n, 0)).ndim != ax_node_shape(ax_node_input(n, 1)).ndim))
        return unsupported(n, "an add of two values of different shapes (broadcasting) has no integer kernel");
    if (softmax) {
        const ax_shape s = ax_node_shape(n);
        const double axis = attr(n, "axis");
        if (s.ndim != 2 || (axis != -1 && axis != 1))
            return unsupported(n, "a softmax over the last axis of [N, classes] has an integer kernel; this one is not");
        if (s.dim[1] > 32767)
            return unsupported(n, "more than 32767 classes");
    }
    if (unary) {
        snprintf(l->op, sizeof l->op, "%s", op);
        const ax_op_schema *sc = ax_node_schema(n);
        l->n_attr = sc->n_attrs < 4 ? sc->n_attrs : 4;
        for (int i = 0; i < l->n_attr; i++)
            l->attr[i] = ax_node_attr(n, i);
    }
    ax_node *next;
    w->n_chain = 0;
    if (add && (next = sole_reader(w, n)) && !strcmp(ax_node_op(next), "relu")) {
        l->relu = 1;
        *last = w->chain[w->n_chain++] = next;
        snprintf(l->name, sizeof l->name, "%s", ax_node_name(next));
    }
    l->out = new_tensor(w, *last);
    return AX_OK;
}

static ax_status build(ax_model *m, ax_qmodel *q, int **tensor_of)
{
    ax_graph *g = m->graph;
    if (ax_model_num_inputs(m) != 1 || ax_model_num_heads(m) != 1)
        return ax_fail(AX_ERR_UNSUPPORTED, "quantization takes a model of one input and one output (this one has %d "
                       "and %d)", ax_model_num_inputs(m), ax_model_num_heads(m));
    walk w = {.g = g, .output = ax_model_head(m, 0).output, .n = ax_graph_num_nodes(g), .q = q};
    ax_node *input = ax_model_input(m, 0);
    w.needed = ax_calloc((size_t)w.n, 1);
    w.uses = ax_calloc((size_t)w.n, sizeof *w.uses);
    w.tensor = ax_alloc((size_t)w.n * sizeof *w.tensor);
    ax_status s = w.needed && w.uses && w.tensor ? AX_OK : ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK && ax_graph_max_seq(g) > 0)
        s = ax_fail(AX_ERR_UNSUPPORTED, "quantization of models over sequences is not built");
    if (s == AX_OK) {
        w.needed[ax_node_id(w.output)] = 1;
        for (int i = w.n - 1; i >= 0; i--) {
            ax_node *c = ax_graph_node(g, i);
            w.tensor[i] = -1;
            for (int k = 0; w.needed[i] && k < ax_node_num_inputs(c); k++) {
                const int id = ax_node_id(ax_node_input(c, k));
                w.needed[id] = 1;
                w.uses[id]++;
            }
        }
        snprintf(q->input_name, sizeof q->input_name, "%s", ax_node_name(input));
        w.tensor[ax_node_id(input)] = new_tensor(&w, input);
    }
    for (int i = 0; s == AX_OK && i < w.n; i++) {
        ax_node *n = ax_graph_node(g, i), *last = NULL;
        const char *op = ax_node_op(n);
        if (!w.needed[i] || w.tensor[i] >= 0 || !strcmp(op, "param") || !strcmp(op, "buffer"))
            continue;
        if (!strcmp(op, "input")) {
            s = unsupported(n, "the output depends on a second input");
            break;
        }
        w.n_chain = 0;
        s = visit(&w, n, &last);
        if (s != AX_OK)
            break;
        if (last != n || w.tensor[i] < 0) { /* the layer's first node and those it absorbed hold its output */
            w.tensor[i] = q->layers[q->n_layers - 1].out;
            for (int k = 0; k < w.n_chain; k++)
                w.tensor[ax_node_id(w.chain[k])] = w.tensor[i];
        }
    }
    if (s == AX_OK) {
        q->output = w.tensor[ax_node_id(w.output)];
        if (q->output <= 0)
            s = ax_fail(AX_ERR_UNSUPPORTED, "the model's output is its input: nothing to quantize");
    }
    ax_free(w.needed);
    ax_free(w.uses);
    if (s == AX_OK && tensor_of)
        *tensor_of = w.tensor;
    else
        ax_free(w.tensor);
    return s;
}

ax_status axq_plan(ax_model *m, ax_qmodel **out, int **tensor_of)
{
    ax_qmodel *q = ax_calloc(1, sizeof *q);
    if (!q)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    return axq_finish(q, 0, build(m, q, tensor_of), out);
}

ax_status ax_quant_plan_float(ax_model *m, ax_qmodel **out) { return axq_plan(m, out, NULL); }
