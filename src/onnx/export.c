/* axon graph -> ONNX ModelProto (opset 17, IR version 8). Each node the
 * output depends on becomes one or a few standard ONNX nodes; parameters
 * and buffers become initializers under their own names; the value names
 * are axon's node names (intermediate values "<node>/<k>"). */
#include "axon/onnx.h"
#include "onnx/pool.h"

#include "onnx.pb-c.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define OPSET 17
#define IR_VERSION 8

typedef struct exporter {
    onnx_pool pool;
    const ax_graph *g;
    Onnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    Onnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    int temps;
} exporter;

static int grow(exporter *e, void ***list, size_t n, size_t *cap)
{
    if (n < *cap)
        return 1;
    const size_t c = *cap ? 2 * *cap : 64;
    void **l = onnx_pool_alloc(&e->pool, c * sizeof *l);
    if (!l)
        return 0;
    if (n)
        memcpy(l, *list, n * sizeof *l);
    *list = l;
    *cap = c;
    return 1;
}

/* A new node of op_type reading inputs and writing outputs (names). */
static Onnx__NodeProto *node(exporter *e, const char *op_type, const char *const *in, int n_in, const char *out)
{
    Onnx__NodeProto *n = onnx_pool_alloc(&e->pool, sizeof *n);
    char **ins = onnx_pool_alloc(&e->pool, (size_t)(n_in > 0 ? n_in : 1) * sizeof *ins);
    char **outs = onnx_pool_alloc(&e->pool, sizeof *outs);
    if (!n || !ins || !outs || !grow(e, (void ***)&e->nodes, e->n_nodes, &e->cap_nodes))
        return NULL;
    onnx__node_proto__init(n);
    for (int i = 0; i < n_in; i++)
        ins[i] = onnx_pool_strdup(&e->pool, in[i]);
    outs[0] = onnx_pool_strdup(&e->pool, out);
    n->n_input = (size_t)n_in;
    n->input = ins;
    n->n_output = 1;
    n->output = outs;
    n->op_type = onnx_pool_strdup(&e->pool, op_type);
    n->name = onnx_pool_printf(&e->pool, "%s_%zu", op_type, e->n_nodes);
    e->nodes[e->n_nodes++] = n;
    return n;
}

static Onnx__AttributeProto *attr(exporter *e, Onnx__NodeProto *n, const char *name)
{
    if (!n)
        return NULL;
    Onnx__AttributeProto *a = onnx_pool_alloc(&e->pool, sizeof *a);
    Onnx__AttributeProto **l = onnx_pool_alloc(&e->pool, (n->n_attribute + 1) * sizeof *l);
    if (!a || !l)
        return NULL;
    onnx__attribute_proto__init(a);
    a->name = onnx_pool_strdup(&e->pool, name);
    if (n->n_attribute)
        memcpy(l, n->attribute, n->n_attribute * sizeof *l);
    l[n->n_attribute++] = a;
    n->attribute = l;
    return a;
}

static void attr_int(exporter *e, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(e, n, name);
    if (a) {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_type = 1;
        a->i = v, a->has_i = 1;
    }
}

static void attr_float(exporter *e, Onnx__NodeProto *n, const char *name, double v)
{
    Onnx__AttributeProto *a = attr(e, n, name);
    if (a) {
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_type = 1;
        a->f = (float)v, a->has_f = 1;
    }
}

static void attr_ints(exporter *e, Onnx__NodeProto *n, const char *name, const int64_t *v, int count)
{
    Onnx__AttributeProto *a = attr(e, n, name);
    int64_t *c = onnx_pool_alloc(&e->pool, (size_t)(count > 0 ? count : 1) * sizeof *c);
    if (a && c) {
        if (count > 0)
            memcpy(c, v, (size_t)count * sizeof *c);
        a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, a->has_type = 1;
        a->ints = c, a->n_ints = (size_t)count;
    }
}

/* An initializer: float32 (elem 1) or int64 (elem 7) values, raw little-endian. */
static const char *initializer(exporter *e, const char *name, int elem, const void *data, const int64_t *dims,
                               int ndim)
{
    Onnx__TensorProto *t = onnx_pool_alloc(&e->pool, sizeof *t);
    int64_t *d = onnx_pool_alloc(&e->pool, (size_t)(ndim > 0 ? ndim : 1) * sizeof *d);
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= dims[i];
    const size_t bytes = (size_t)numel * (elem == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ? 8 : 4);
    uint8_t *raw = onnx_pool_alloc(&e->pool, bytes);
    if (!t || !d || !raw || !grow(e, (void ***)&e->inits, e->n_inits, &e->cap_inits))
        return NULL;
    onnx__tensor_proto__init(t);
    if (ndim > 0) /* a scalar has no dimensions (dims may be NULL) */
        memcpy(d, dims, (size_t)ndim * sizeof *d);
    memcpy(raw, data, bytes);
    t->name = onnx_pool_strdup(&e->pool, name);
    t->dims = d, t->n_dims = (size_t)ndim;
    t->data_type = elem, t->has_data_type = 1;
    t->raw_data.data = raw, t->raw_data.len = bytes, t->has_raw_data = 1;
    e->inits[e->n_inits++] = t;
    return t->name;
}

static const char *temp(exporter *e, const ax_node *n)
{
    return onnx_pool_printf(&e->pool, "%s/%d", ax_node_name(n), e->temps++);
}

static const char *const_ints(exporter *e, const ax_node *n, const int64_t *v, int count)
{
    const int64_t dims[1] = {count};
    return initializer(e, temp(e, n), ONNX__TENSOR_PROTO__DATA_TYPE__INT64, v, dims, 1);
}

static const char *const_float(exporter *e, const ax_node *n, float v)
{
    return initializer(e, temp(e, n), ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, &v, NULL, 0);
}

static double attr_of(const ax_node *n, const char *name)
{
    const ax_op_schema *s = ax_node_schema(n);
    for (int i = 0; s && i < s->n_attrs; i++)
        if (!strcmp(s->attrs[i].name, name))
            return ax_node_attr(n, i);
    return 0;
}

/* One input op's output name unchanged, or through `op` with no attributes. */
static Onnx__NodeProto *unary(exporter *e, const char *op, const ax_node *n)
{
    const char *in[1] = {ax_node_name(ax_node_input(n, 0))};
    return node(e, op, in, 1, ax_node_name(n));
}

/* x [C] reshaped to [C, 1, ..., 1] for rank `rank` (broadcast along axis 1 of an NC... value) */
static const char *per_channel(exporter *e, const ax_node *n, const char *x, int rank)
{
    if (rank <= 2)
        return x;
    int64_t axes[AX_MAX_DIMS];
    for (int i = 0; i < rank - 2; i++)
        axes[i] = i + 1;
    const char *in[2] = {x, const_ints(e, n, axes, rank - 2)}, *out = temp(e, n);
    node(e, "Unsqueeze", in, 2, out);
    return out;
}

/* out = x * sigmoid(beta x), x * tanh(softplus x) and the other composite activations */
static ax_status composite(exporter *e, const ax_node *n, const char *op)
{
    const char *x = ax_node_name(ax_node_input(n, 0)), *y = ax_node_name(n);
    if (!strcmp(op, "swish")) {
        const char *bx = x, *s = temp(e, n);
        if (attr_of(n, "beta") != 1) {
            const char *in[2] = {x, const_float(e, n, (float)attr_of(n, "beta"))};
            bx = temp(e, n);
            node(e, "Mul", in, 2, bx);
        }
        node(e, "Sigmoid", &bx, 1, s);
        const char *in2[2] = {x, s};
        node(e, "Mul", in2, 2, y);
    } else if (!strcmp(op, "mish")) {
        const char *sp = temp(e, n), *th = temp(e, n);
        node(e, "Softplus", &x, 1, sp);
        node(e, "Tanh", &sp, 1, th);
        const char *in[2] = {x, th};
        node(e, "Mul", in, 2, y);
    } else if (!strcmp(op, "gelu")) { /* 0.5 x (1 + erf(x / sqrt 2)) */
        const char *a = temp(e, n), *b = temp(e, n), *c = temp(e, n), *d = temp(e, n);
        const char *i1[2] = {x, const_float(e, n, 0.70710678118654752440f)};
        node(e, "Mul", i1, 2, a);
        node(e, "Erf", &a, 1, b);
        const char *i2[2] = {b, const_float(e, n, 1.0f)};
        node(e, "Add", i2, 2, c);
        const char *i3[2] = {x, c};
        node(e, "Mul", i3, 2, d);
        const char *i4[2] = {d, const_float(e, n, 0.5f)};
        node(e, "Mul", i4, 2, y);
    } else if (!strcmp(op, "softplus")) { /* log(1 + e^(beta x)) / beta; beyond the threshold ~x */
        const double beta = attr_of(n, "beta");
        if (beta == 1)
            return unary(e, "Softplus", n) ? AX_OK : AX_ERR_NOMEM;
        const char *a = temp(e, n), *b = temp(e, n);
        const char *i1[2] = {x, const_float(e, n, (float)beta)};
        node(e, "Mul", i1, 2, a);
        node(e, "Softplus", &a, 1, b);
        const char *i2[2] = {b, const_float(e, n, (float)beta)};
        node(e, "Div", i2, 2, y);
    } else if (!strcmp(op, "log_sigmoid")) { /* -softplus(-x) */
        const char *a = temp(e, n), *b = temp(e, n);
        node(e, "Neg", &x, 1, a);
        node(e, "Softplus", &a, 1, b);
        node(e, "Neg", &b, 1, y);
    } else if (!strcmp(op, "step")) {
        const char *a = temp(e, n);
        const char *in[2] = {x, const_float(e, n, 0.0f)};
        node(e, "Greater", in, 2, a);
        attr_int(e, node(e, "Cast", &a, 1, y), "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT);
    } else if (!strcmp(op, "sinc")) { /* where(|x| < 1e-3, 1 - x^2 / 6, sin x / x) */
        const char *ab = temp(e, n), *lt = temp(e, n), *sq = temp(e, n), *t6 = temp(e, n), *near = temp(e, n);
        const char *sn = temp(e, n), *q = temp(e, n);
        node(e, "Abs", &x, 1, ab);
        const char *i1[2] = {ab, const_float(e, n, 1e-3f)};
        node(e, "Less", i1, 2, lt);
        const char *i2[2] = {x, x};
        node(e, "Mul", i2, 2, sq);
        const char *i3[2] = {sq, const_float(e, n, 6.0f)};
        node(e, "Div", i3, 2, t6);
        const char *i4[2] = {const_float(e, n, 1.0f), t6};
        node(e, "Sub", i4, 2, near);
        node(e, "Sin", &x, 1, sn);
        const char *i5[2] = {sn, x};
        node(e, "Div", i5, 2, q);
        const char *i6[3] = {lt, near, q};
        node(e, "Where", i6, 3, y);
    } else
        return AX_ERR_UNSUPPORTED;
    return e->pool.failed ? AX_ERR_NOMEM : AX_OK;
}

static void pool_attrs(exporter *e, Onnx__NodeProto *o, const ax_node *n)
{
    const int64_t kh = (int64_t)attr_of(n, "kernel_h"), kw = (int64_t)attr_of(n, "kernel_w");
    const int64_t sh = attr_of(n, "stride_h") ? (int64_t)attr_of(n, "stride_h") : kh;
    const int64_t sw = attr_of(n, "stride_w") ? (int64_t)attr_of(n, "stride_w") : kw;
    const int64_t k[2] = {kh, kw}, s[2] = {sh, sw};
    const int64_t p[4] = {(int64_t)attr_of(n, "pad_top"), (int64_t)attr_of(n, "pad_left"),
                          (int64_t)attr_of(n, "pad_bottom"), (int64_t)attr_of(n, "pad_right")};
    attr_ints(e, o, "kernel_shape", k, 2);
    attr_ints(e, o, "strides", s, 2);
    attr_ints(e, o, "pads", p, 4);
}

static ax_status emit(exporter *e, const ax_node *n)
{
    const char *op = ax_node_op(n), *y = ax_node_name(n);
    const int nin = ax_node_num_inputs(n);
    const char *in[8] = {0};
    for (int i = 0; i < nin && i < 8; i++)
        in[i] = ax_node_name(ax_node_input(n, i));
    const int rank0 = nin ? ax_node_shape(ax_node_input(n, 0)).ndim : 0;
    static const struct {
        const char *axon, *onnx;
    } same[] = {{"identity", "Identity"}, {"sigmoid", "Sigmoid"}, {"tanh", "Tanh"},   {"relu", "Relu"},
                {"softsign", "Softsign"}, {"arctan", "Atan"}, {"erf", "Erf"},     {"flatten", "Flatten"}, {"dropout", "Identity"},
                {"add", "Add"},           {"sub", "Sub"},         {"mul", "Mul"},     {"div", "Div"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (!strcmp(op, same[i].axon)) {
            Onnx__NodeProto *o = node(e, same[i].onnx, in, nin, y);
            if (o && !strcmp(op, "flatten"))
                attr_int(e, o, "axis", 1);
            return o ? AX_OK : AX_ERR_NOMEM;
        }
    Onnx__NodeProto *o = NULL;
    if (!strcmp(op, "leaky_relu") || !strcmp(op, "elu") || !strcmp(op, "rrelu")) {
        o = unary(e, !strcmp(op, "elu") ? "Elu" : "LeakyRelu", n);
        attr_float(e, o, "alpha", !strcmp(op, "leaky_relu") ? attr_of(n, "negative_slope")
                                  : !strcmp(op, "elu")      ? attr_of(n, "alpha")
                                                            : (attr_of(n, "lower") + attr_of(n, "upper")) / 2);
    } else if (!strcmp(op, "selu"))
        o = unary(e, "Selu", n); /* ONNX's defaults are the self-normalising constants */
    else if (!strcmp(op, "hard_sigmoid")) {
        o = unary(e, "HardSigmoid", n);
        attr_float(e, o, "alpha", 1.0 / 6.0);
        attr_float(e, o, "beta", 0.5);
    } else if (!strcmp(op, "swish") || !strcmp(op, "mish") || !strcmp(op, "gelu") || !strcmp(op, "softplus") ||
               !strcmp(op, "log_sigmoid") || !strcmp(op, "step") || !strcmp(op, "sinc"))
        return composite(e, n, op);
    else if (!strcmp(op, "softmax") || !strcmp(op, "log_softmax")) {
        o = unary(e, !strcmp(op, "softmax") ? "Softmax" : "LogSoftmax", n);
        attr_int(e, o, "axis", (int64_t)attr_of(n, "axis"));
    } else if (!strcmp(op, "matmul")) {
        if (attr_of(n, "transpose_b") && rank0 == 2) {
            o = node(e, "Gemm", in, 2, y);
            attr_int(e, o, "transB", 1);
        } else if (attr_of(n, "transpose_b")) {
            const char *t = temp(e, n);
            const int64_t perm[2] = {1, 0};
            attr_ints(e, node(e, "Transpose", &in[1], 1, t), "perm", perm, 2);
            const char *i2[2] = {in[0], t};
            o = node(e, "MatMul", i2, 2, y);
        } else
            o = node(e, "MatMul", in, 2, y);
    } else if (!strcmp(op, "batch_matmul")) {
        const char *ab[2] = {in[0], in[1]};
        static const char *const flags[2] = {"transpose_a", "transpose_b"};
        for (int k = 0; k < 2; k++)
            if (attr_of(n, flags[k])) {
                const int r = ax_node_shape(ax_node_input(n, k)).ndim;
                int64_t perm[AX_MAX_DIMS];
                for (int d = 0; d < r; d++)
                    perm[d] = d;
                perm[r - 2] = r - 1, perm[r - 1] = r - 2;
                const char *t = temp(e, n);
                attr_ints(e, node(e, "Transpose", &ab[k], 1, t), "perm", perm, r);
                ab[k] = t;
            }
        o = node(e, "MatMul", ab, 2, y);
    } else if (!strcmp(op, "bias_add")) {
        const char *i2[2] = {in[0], per_channel(e, n, in[1], rank0)};
        o = node(e, "Add", i2, 2, y);
    } else if (!strcmp(op, "prelu")) {
        const char *i2[2] = {in[0], per_channel(e, n, in[1], rank0)};
        o = node(e, "PRelu", i2, 2, y);
    } else if (!strcmp(op, "scale")) {
        const char *i2[2] = {in[0], const_float(e, n, (float)attr_of(n, "alpha"))};
        o = node(e, "Mul", i2, 2, y);
    } else if (!strcmp(op, "conv2d")) {
        const int relu = attr_of(n, "relu") != 0;
        const char *conv_out = relu ? temp(e, n) : y;
        o = node(e, "Conv", in, nin, conv_out);
        const ax_shape w = ax_node_shape(ax_node_input(n, 1));
        const int64_t k[2] = {w.dim[2], w.dim[3]};
        const int64_t s[2] = {(int64_t)attr_of(n, "stride_h"), (int64_t)attr_of(n, "stride_w")};
        const int64_t d[2] = {(int64_t)attr_of(n, "dilation_h"), (int64_t)attr_of(n, "dilation_w")};
        const int64_t p[4] = {(int64_t)attr_of(n, "pad_top"), (int64_t)attr_of(n, "pad_left"),
                              (int64_t)attr_of(n, "pad_bottom"), (int64_t)attr_of(n, "pad_right")};
        attr_ints(e, o, "kernel_shape", k, 2);
        attr_ints(e, o, "strides", s, 2);
        attr_ints(e, o, "dilations", d, 2);
        attr_ints(e, o, "pads", p, 4);
        attr_int(e, o, "group", (int64_t)attr_of(n, "groups"));
        if (relu)
            o = node(e, "Relu", &conv_out, 1, y);
    } else if (!strcmp(op, "max_pool2d") || !strcmp(op, "avg_pool2d")) {
        o = unary(e, !strcmp(op, "max_pool2d") ? "MaxPool" : "AveragePool", n);
        pool_attrs(e, o, n);
        if (!strcmp(op, "avg_pool2d"))
            attr_int(e, o, "count_include_pad", (int64_t)attr_of(n, "count_include_pad"));
    } else if (!strcmp(op, "global_avg_pool")) { /* ONNX keeps [N, C, 1, 1] */
        const char *t = temp(e, n);
        node(e, "GlobalAveragePool", in, 1, t);
        attr_int(e, o = node(e, "Flatten", &t, 1, y), "axis", 1);
    } else if (!strcmp(op, "batch_norm")) {
        o = node(e, "BatchNormalization", in, 5, y);
        attr_float(e, o, "epsilon", attr_of(n, "eps"));
        attr_float(e, o, "momentum", 1 - attr_of(n, "momentum")); /* ONNX's is the share kept */
    } else if (!strcmp(op, "layernorm")) {
        o = node(e, "LayerNormalization", in, 3, y);
        attr_int(e, o, "axis", (int64_t)attr_of(n, "axis"));
        attr_float(e, o, "epsilon", attr_of(n, "eps"));
    } else if (!strcmp(op, "reshape")) {
        const ax_shape s = ax_node_shape(n); /* the output's own shape, batch copied (0) */
        int64_t dims[AX_MAX_DIMS] = {0};
        for (int d = 1; d < s.ndim; d++)
            dims[d] = s.dim[d];
        const char *i2[2] = {in[0], const_ints(e, n, dims, s.ndim)};
        o = node(e, "Reshape", i2, 2, y);
    } else if (!strcmp(op, "transpose")) {
        const int64_t *perm;
        const int np = ax_node_attr_list(n, &perm);
        o = unary(e, "Transpose", n);
        attr_ints(e, o, "perm", perm, np);
    } else if (!strcmp(op, "concat")) {
        o = node(e, "Concat", in, nin, y);
        attr_int(e, o, "axis", (int64_t)attr_of(n, "axis"));
    } else if (!strcmp(op, "slice")) {
        const int64_t st = (int64_t)attr_of(n, "start"), en = (int64_t)attr_of(n, "end");
        const int64_t ax = (int64_t)attr_of(n, "axis"), sp = (int64_t)attr_of(n, "step");
        const char *i5[5] = {in[0], const_ints(e, n, &st, 1), const_ints(e, n, &en, 1), const_ints(e, n, &ax, 1),
                             const_ints(e, n, &sp, 1)};
        o = node(e, "Slice", i5, 5, y);
    } else if (!strcmp(op, "embedding")) { /* axon's indices are floats */
        const char *t = temp(e, n);
        attr_int(e, node(e, "Cast", in, 1, t), "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
        const char *i2[2] = {in[1], t};
        attr_int(e, o = node(e, "Gather", i2, 2, y), "axis", 0);
    } else if (!strcmp(op, "maxout")) { /* [N, units k] -> [N, units, k] -> max over the last */
        const int64_t k = (int64_t)attr_of(n, "k");
        const int64_t dims[3] = {0, ax_node_shape(n).dim[1], k};
        const char *t = temp(e, n), *i2[2] = {in[0], const_ints(e, n, dims, 3)};
        node(e, "Reshape", i2, 2, t);
        const int64_t axes[1] = {2};
        o = node(e, "ReduceMax", &t, 1, y);
        attr_ints(e, o, "axes", axes, 1);
        attr_int(e, o, "keepdims", 0);
    } else
        return ax_fail(AX_ERR_UNSUPPORTED, "node '%s' (op %s): no ONNX form is written for this op (docs/onnx.md)",
                       y, op);
    return o && !e->pool.failed ? AX_OK : ax_fail(AX_ERR_NOMEM, "out of memory");
}

static Onnx__ValueInfoProto *value_info(exporter *e, const char *name, ax_shape s)
{
    Onnx__ValueInfoProto *v = onnx_pool_alloc(&e->pool, sizeof *v);
    Onnx__TypeProto *t = onnx_pool_alloc(&e->pool, sizeof *t);
    Onnx__TypeProto__Tensor *tt = onnx_pool_alloc(&e->pool, sizeof *tt);
    Onnx__TensorShapeProto *sh = onnx_pool_alloc(&e->pool, sizeof *sh);
    Onnx__TensorShapeProto__Dimension **dims = onnx_pool_alloc(&e->pool, (size_t)(s.ndim + 1) * sizeof *dims);
    if (!v || !t || !tt || !sh || !dims)
        return NULL;
    onnx__value_info_proto__init(v);
    onnx__type_proto__init(t);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(sh);
    for (int d = 0; d < s.ndim; d++) {
        Onnx__TensorShapeProto__Dimension *dim = onnx_pool_alloc(&e->pool, sizeof *dim);
        if (!dim)
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dim);
        if (d == 0) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = onnx_pool_strdup(&e->pool, "N");
        } else {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = s.dim[d];
        }
        dims[d] = dim;
    }
    sh->dim = dims, sh->n_dim = (size_t)s.ndim;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, tt->has_elem_type = 1;
    tt->shape = sh;
    t->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->name = onnx_pool_strdup(&e->pool, name);
    v->type = t;
    return v;
}

ax_status ax_onnx_export(const ax_model *m, const char *path)
{
    if (ax_model_num_inputs(m) != 1 || ax_model_num_heads(m) != 1)
        return ax_fail(AX_ERR_UNSUPPORTED, "%s: ONNX export takes a model of one input and one output", path);
    ax_graph *g = m->graph;
    ax_node *input = ax_model_input(m, 0), *output = ax_model_head(m, 0).output;
    exporter e = {.g = g};
    const int nn = ax_graph_num_nodes(g);
    char *needed = ax_calloc((size_t)nn, 1);
    ax_status s = needed ? AX_OK : ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK) {
        needed[ax_node_id(output)] = 1;
        for (int i = nn - 1; i >= 0; i--)
            for (int k = 0; needed[i] && k < ax_node_num_inputs(ax_graph_node(g, i)); k++)
                needed[ax_node_id(ax_node_input(ax_graph_node(g, i), k))] = 1;
    }
    for (int i = 0; s == AX_OK && i < nn; i++) {
        ax_node *n = ax_graph_node(g, i);
        const char *op = ax_node_op(n);
        if (!needed[i])
            continue;
        if (!strcmp(op, "param") || !strcmp(op, "buffer")) {
            const ax_shape sh = ax_node_shape(n);
            float *v = ax_alloc((size_t)(ax_node_numel(n) > 0 ? ax_node_numel(n) : 1) * sizeof *v);
            s = v ? ax_node_read(n, v, ax_node_numel(n)) : ax_fail(AX_ERR_NOMEM, "out of memory");
            if (s == AX_OK && !initializer(&e, ax_node_name(n), ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, v, sh.dim, sh.ndim))
                s = ax_fail(AX_ERR_NOMEM, "out of memory");
            ax_free(v);
        } else if (!strcmp(op, "input")) {
            if (n != input)
                s = ax_fail(AX_ERR_UNSUPPORTED, "%s: the output depends on a second input, '%s'", path, ax_node_name(n));
        } else
            s = emit(&e, n);
    }
    ax_free(needed);
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT, *opsets[1] = {&opset};
    Onnx__ValueInfoProto *ins[1] = {NULL}, *outs[1] = {NULL};
    if (s == AX_OK) {
        ins[0] = value_info(&e, ax_node_name(input), ax_node_shape(input));
        outs[0] = value_info(&e, ax_node_name(output), ax_node_shape(output));
        if (!ins[0] || !outs[0])
            s = ax_fail(AX_ERR_NOMEM, "out of memory");
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (s == AX_OK) {
        opset.domain = "";
        opset.version = OPSET, opset.has_version = 1;
        graph.name = "axon";
        graph.node = e.nodes, graph.n_node = e.n_nodes;
        graph.initializer = e.inits, graph.n_initializer = e.n_inits;
        graph.input = ins, graph.n_input = 1;
        graph.output = outs, graph.n_output = 1;
        model.ir_version = IR_VERSION, model.has_ir_version = 1;
        model.producer_name = "axon";
        model.producer_version = "0.2";
        model.opset_import = opsets, model.n_opset_import = 1;
        model.graph = &graph;
        len = onnx__model_proto__get_packed_size(&model);
        buf = ax_alloc(len ? len : 1);
        if (!buf)
            s = ax_fail(AX_ERR_NOMEM, "%s: cannot hold %zu bytes", path, len);
    }
    if (s == AX_OK) {
        onnx__model_proto__pack(&model, buf);
        s = ax_write_file_atomic(path, buf, len);
    }
    ax_free(buf);
    onnx_pool_free(&e.pool);
    return s;
}
