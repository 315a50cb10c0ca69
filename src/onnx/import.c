/* ONNX ModelProto -> axon graph. Values are either graph nodes or
 * constants held here (initializers, Constant nodes, and whatever the
 * shape arithmetic exporters emit computes from them: Shape, Gather,
 * Unsqueeze, Concat, ... are folded). A float constant an op reads as data
 * becomes a parameter of its name the first time (an initializer: learned;
 * a Constant: a buffer). Every node's attributes are checked against the
 * ones its mapping knows; anything else fails naming node, op and
 * attribute. docs/onnx.md lists the mapping. */
#include "axon/onnx.h"
#include "onnx/pool.h"
#include "onnx/wire.h"

#include "onnx.pb-c.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { F32 = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, I64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64 };

typedef struct value {
    const char *name;
    ax_node *node; /* a graph value (or a constant made a parameter) */
    int is_const, initializer;
    int elem; /* F32 or I64 */
    int ndim;
    int64_t dims[AX_MAX_DIMS];
    int64_t numel;
    float *f;
    int64_t *i;
} value;

typedef struct importer {
    const char *path;
    onnx_pool pool;
    ax_graph *g;
    int64_t batch;
    int64_t file_batch; /* the input's first dimension when the file fixes it (shapes computed from it hold it) */
    int opset;
    value *values;
    size_t n_values, cap_values;
    size_t *table; /* open addressing over values, 0: empty, else index + 1 */
    size_t table_size;
    const Onnx__NodeProto *at; /* the node being read, for messages */
} importer;

/* ---- values by name --------------------------------------------------------- */

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static value *find(importer *im, const char *name)
{
    if (!im->table_size || !name)
        return NULL;
    for (size_t k = hash(name) & (im->table_size - 1);; k = (k + 1) & (im->table_size - 1)) {
        if (!im->table[k])
            return NULL;
        if (!strcmp(im->values[im->table[k] - 1].name, name))
            return &im->values[im->table[k] - 1];
    }
}

static ax_status rehash(importer *im, size_t size)
{
    size_t *t = onnx_pool_alloc(&im->pool, size * sizeof *t);
    if (!t)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    im->table = t;
    im->table_size = size;
    for (size_t v = 0; v < im->n_values; v++) {
        size_t k = hash(im->values[v].name) & (size - 1);
        while (t[k])
            k = (k + 1) & (size - 1);
        t[k] = v + 1;
    }
    return AX_OK;
}

/* A new value of that name (a name given twice is an error: SSA form). */
static value *define(importer *im, const char *name)
{
    if (!name || !*name) {
        ax_fail(AX_ERR_FORMAT, "%s: a value without a name", im->path);
        return NULL;
    }
    if (find(im, name)) {
        ax_fail(AX_ERR_FORMAT, "%s: value '%s' is defined twice", im->path, name);
        return NULL;
    }
    if (im->n_values == im->cap_values) {
        const size_t cap = im->cap_values ? 2 * im->cap_values : 256;
        value *v = onnx_pool_alloc(&im->pool, cap * sizeof *v);
        if (!v) {
            ax_fail(AX_ERR_NOMEM, "out of memory");
            return NULL;
        }
        if (im->n_values)
            memcpy(v, im->values, im->n_values * sizeof *v);
        im->values = v;
        im->cap_values = cap;
    }
    value *v = &im->values[im->n_values++];
    memset(v, 0, sizeof *v);
    v->name = name;
    if (2 * im->n_values > im->table_size) /* grow (and insert everything) */
        return rehash(im, im->table_size ? 2 * im->table_size : 512) == AX_OK ? v : NULL;
    size_t k = hash(name) & (im->table_size - 1);
    while (im->table[k])
        k = (k + 1) & (im->table_size - 1);
    im->table[k] = im->n_values;
    return v;
}

/* ---- errors ----------------------------------------------------------------- */

static ax_status node_error(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static ax_status node_error(importer *im, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const Onnx__NodeProto *n = im->at;
    return ax_fail(AX_ERR_UNSUPPORTED, "%s: node '%s' (%s): %s", im->path, n && n->name ? n->name : "?",
                   n && n->op_type ? n->op_type : "?", msg);
}

/* ---- constants ---------------------------------------------------------------- */

static ax_status set_dims(importer *im, value *v, const int64_t *dims, size_t n, const char *what)
{
    if (n > AX_MAX_DIMS)
        return ax_fail(AX_ERR_UNSUPPORTED, "%s: %s has %zu dimensions (axon takes up to %d)", im->path, what, n,
                       AX_MAX_DIMS);
    v->ndim = (int)n;
    v->numel = 1;
    for (size_t d = 0; d < n; d++) {
        if (dims[d] < 0 || dims[d] > ((int64_t)1 << 40) || !ax_mul_checked(v->numel, dims[d], &v->numel) ||
            v->numel > ((int64_t)1 << 40))
            return ax_fail(AX_ERR_FORMAT, "%s: %s: dimension %zu (%lld) is out of range", im->path, what, d,
                           (long long)dims[d]);
        v->dims[d] = dims[d];
    }
    return AX_OK;
}

static ax_status const_alloc(importer *im, value *v, int elem)
{
    v->is_const = 1;
    v->elem = elem;
    if (elem == F32)
        v->f = onnx_pool_alloc(&im->pool, (size_t)(v->numel > 0 ? v->numel : 1) * sizeof *v->f);
    else
        v->i = onnx_pool_alloc(&im->pool, (size_t)(v->numel > 0 ? v->numel : 1) * sizeof *v->i);
    return v->f || v->i ? AX_OK : ax_fail(AX_ERR_NOMEM, "%s: out of memory", im->path);
}

/* A TensorProto's values: float, double (as float), int64 and int32 (as
 * int64), from raw_data or the typed fields, the sizes checked. */
static ax_status read_tensor(importer *im, const Onnx__TensorProto *t, value *v, const char *what)
{
    ax_status s = set_dims(im, v, t->dims, t->n_dims, what);
    if (s != AX_OK)
        return s;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return ax_fail(AX_ERR_UNSUPPORTED, "%s: %s keeps its data in an external file, which axon does not read "
                       "(save the model with its tensors inside it)", im->path, what);
    const int type = t->has_data_type ? t->data_type : 0;
    int elem, size;
    switch (type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: elem = F32, size = 4; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: elem = F32, size = 8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: elem = I64, size = 8; break;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: elem = I64, size = 4; break;
    default:
        return ax_fail(AX_ERR_UNSUPPORTED, "%s: %s has data type %d (axon reads float, double, int64, int32)",
                       im->path, what, type);
    }
    if ((s = const_alloc(im, v, elem)) != AX_OK)
        return s;
    const size_t typed = type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT    ? t->n_float_data
                         : type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ? t->n_double_data
                         : type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64  ? t->n_int64_data
                                                                          : t->n_int32_data;
    const int raw = t->has_raw_data && t->raw_data.len > 0;
    if (raw ? t->raw_data.len != (size_t)v->numel * (size_t)size : typed != (size_t)v->numel)
        return ax_fail(AX_ERR_FORMAT, "%s: %s holds %zu %s, its shape needs %lld values", im->path, what,
                       raw ? t->raw_data.len : typed, raw ? "bytes" : "values", (long long)v->numel);
    for (int64_t k = 0; k < v->numel; k++) {
        const uint8_t *r = raw ? t->raw_data.data + k * size : NULL;
        double d = 0;
        int64_t q = 0;
        if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
            float x;
            if (r)
                memcpy(&x, r, 4);
            else
                x = t->float_data[k];
            d = x;
        } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) {
            if (r)
                memcpy(&d, r, 8);
            else
                d = t->double_data[k];
        } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
            if (r)
                memcpy(&q, r, 8);
            else
                q = t->int64_data[k];
        } else {
            int32_t x;
            if (r)
                memcpy(&x, r, 4);
            else
                x = t->int32_data[k];
            q = x;
        }
        if (elem == F32) {
            if (!isfinite(d) || fabs(d) > 3.4e38)
                return ax_fail(AX_ERR_NUMERIC, "%s: %s holds a value that is not a finite float at index %lld",
                               im->path, what, (long long)k);
            v->f[k] = (float)d;
        } else
            v->i[k] = q;
    }
    return AX_OK;
}

/* A float constant as a graph node: a parameter (initializer) or buffer (Constant), made once. */
static ax_node *node_of_const(importer *im, value *v)
{
    if (v->node)
        return v->node;
    if (v->elem != F32) {
        node_error(im, "value '%s' is an integer tensor where axon needs floats", v->name);
        return NULL;
    }
    ax_shape s = {v->ndim, {0}};
    for (int d = 0; d < v->ndim; d++)
        s.dim[d] = v->dims[d];
    ax_node *p = v->initializer ? ax_param(im->g, v->name, s) : ax_buffer(im->g, v->name, s);
    if (!p || ax_node_write(p, v->f, v->numel) != AX_OK) {
        node_error(im, "value '%s': %s", v->name, ax_last_error());
        return NULL;
    }
    return v->node = p;
}

/* The node for input k of the current node (a constant made a parameter). */
static ax_node *in_node(importer *im, const Onnx__NodeProto *n, size_t k)
{
    value *v = k < n->n_input ? find(im, n->input[k]) : NULL;
    if (!v) {
        node_error(im, "input %zu ('%s') is not defined before it", k, k < n->n_input ? n->input[k] : "");
        return NULL;
    }
    return v->is_const ? node_of_const(im, v) : v->node;
}

static value *in_value(importer *im, const Onnx__NodeProto *n, size_t k)
{
    value *v = k < n->n_input && n->input[k][0] ? find(im, n->input[k]) : NULL;
    if (!v && k < n->n_input && n->input[k][0])
        node_error(im, "input %zu ('%s') is not defined before it", k, n->input[k]);
    return v;
}

/* An integer constant input (shape, axes, pads): its values. */
static ax_status in_ints(importer *im, const Onnx__NodeProto *n, size_t k, const int64_t **out, int64_t *count)
{
    value *v = in_value(im, n, k);
    if (!v)
        return k < n->n_input && n->input[k][0] ? AX_ERR_FORMAT : AX_ERR_INVALID_ARG; /* absent: the caller's default */
    if (!v->is_const || v->elem != I64)
        return node_error(im, "input %zu ('%s') must be a constant integer tensor (one axon can fold at import)", k,
                          v->name);
    *out = v->i;
    *count = v->numel;
    return AX_OK;
}

static ax_status set_output(importer *im, const Onnx__NodeProto *n, ax_node *node)
{
    if (!node)
        return node_error(im, "%s", ax_last_error());
    value *v = define(im, n->output[0]);
    if (!v)
        return ax_graph_status(im->g) != AX_OK ? ax_graph_status(im->g) : AX_ERR_FORMAT;
    v->node = node;
    return AX_OK;
}

/* ---- attributes ---------------------------------------------------------------- */

static const Onnx__AttributeProto *att(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (n->attribute[i]->name && !strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

/* Fail on any attribute not in the comma-separated list `known`. */
static ax_status check_attrs(importer *im, const Onnx__NodeProto *n, const char *known)
{
    for (size_t i = 0; i < n->n_attribute; i++) {
        const char *a = n->attribute[i]->name ? n->attribute[i]->name : "";
        if (!*a)
            return node_error(im, "an attribute without a name");
        const char *p = strstr(known, a);
        const size_t l = strlen(a);
        while (p && !((p == known || p[-1] == ',') && (p[l] == ',' || !p[l])))
            p = strstr(p + 1, a);
        if (!p)
            return node_error(im, "attribute '%s' is not one axon reads for this op", a);
    }
    return AX_OK;
}

static int64_t att_int(const Onnx__NodeProto *n, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = att(n, name);
    return a && a->has_i ? a->i : dflt;
}

static double att_float(const Onnx__NodeProto *n, const char *name, double dflt)
{
    const Onnx__AttributeProto *a = att(n, name);
    return a && a->has_f ? a->f : dflt;
}

/* An ints attribute of exactly `count` values into out (absent: out untouched, returns 0). */
static int att_ints(importer *im, const Onnx__NodeProto *n, const char *name, int64_t *out, size_t count,
                    ax_status *s)
{
    const Onnx__AttributeProto *a = att(n, name);
    if (!a)
        return 0;
    if (a->n_ints != count) {
        *s = node_error(im, "attribute '%s' has %zu values, expected %zu", name, a->n_ints, count);
        return 0;
    }
    if (count)
        memcpy(out, a->ints, count * sizeof *out);
    return 1;
}

static const char *att_string(const Onnx__NodeProto *n, const char *name, char *buf, size_t size)
{
    const Onnx__AttributeProto *a = att(n, name);
    if (!a || !a->has_s)
        return NULL;
    const size_t l = a->s.len < size - 1 ? a->s.len : size - 1;
    if (l)
        memcpy(buf, a->s.data, l);
    buf[l] = 0;
    return buf;
}

/* ---- op mappings ---------------------------------------------------------------- */

static ax_node *apply(importer *im, const char *op, ax_node *const *in, int n, const ax_attr *at, int na)
{
    return ax_apply(im->g, op, in, n, at, na, NULL);
}

static int rank_of(const ax_node *x) { return ax_node_shape(x).ndim; }

/* Constant folding of the shape arithmetic: Shape, Gather, Unsqueeze, Squeeze,
 * Concat, Slice, Cast, Reshape and the arithmetic, on 1-D integer tensors
 * (and scalars) and on small float tensors. 1: folded (or an error in *s). */
static int fold(importer *im, const Onnx__NodeProto *n, ax_status *s)
{
    const char *op = n->op_type;
    value *a = n->n_input > 0 ? in_value(im, n, 0) : NULL;
    if (!strcmp(op, "Shape")) {
        if (!a)
            return *s = node_error(im, "needs an input"), 1;
        if ((*s = check_attrs(im, n, "start,end")) != AX_OK)
            return 1;
        int64_t dims[AX_MAX_DIMS];
        int nd;
        if (a->is_const) {
            nd = a->ndim;
            memcpy(dims, a->dims, (size_t)nd * sizeof *dims);
        } else {
            const ax_shape sh = ax_node_shape(a->node);
            nd = sh.ndim;
            memcpy(dims, sh.dim, (size_t)nd * sizeof *dims);
        }
        int64_t st = att_int(n, "start", 0), en = att_int(n, "end", nd);
        st = st < 0 ? st + nd : st, en = en < 0 ? en + nd : en;
        st = st < 0 ? 0 : st > nd ? nd : st, en = en < st ? st : en > nd ? nd : en;
        value *v = define(im, n->output[0]);
        const int64_t len = en - st;
        if (!v || (*s = set_dims(im, v, &len, 1, "Shape")) != AX_OK || (*s = const_alloc(im, v, I64)) != AX_OK)
            return *s = *s ? *s : AX_ERR_FORMAT, 1;
        memcpy(v->i, dims + st, (size_t)len * sizeof *v->i);
        return 1;
    }
    /* the rest fold only when every input is a constant */
    for (size_t k = 0; k < n->n_input; k++) {
        value *v = n->input[k][0] ? find(im, n->input[k]) : NULL;
        if (n->input[k][0] && (!v || !v->is_const))
            return 0;
    }
    if (!a)
        return 0;
    value out = {0};
    const int64_t *ix = NULL;
    int64_t nix = 0;
    if (!strcmp(op, "Identity") || !strcmp(op, "Cast")) {
        out = *a;
        const int64_t to = att_int(n, "to", a->elem);
        if (!strcmp(op, "Cast") && to != a->elem) {
            if (to != F32 && to != I64 && to != ONNX__TENSOR_PROTO__DATA_TYPE__INT32)
                return *s = node_error(im, "a cast to data type %lld", (long long)to), 1;
            const int elem = to == F32 ? F32 : I64;
            if ((*s = const_alloc(im, &out, elem)) != AX_OK)
                return 1;
            for (int64_t k = 0; k < a->numel; k++) {
                if (elem == F32)
                    out.f[k] = a->elem == F32 ? a->f[k] : (float)a->i[k];
                else if (a->elem == F32 && !(fabsf(a->f[k]) < 9.2e18f))
                    return *s = node_error(im, "a cast of %g to an integer", a->f[k]), 1;
                else
                    out.i[k] = a->elem == F32 ? (int64_t)a->f[k] : a->i[k];
            }
        }
    } else if (!strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze") || !strcmp(op, "Reshape") ||
               !strcmp(op, "Flatten")) {
        out = *a; /* the same values under new dimensions */
        if (!strcmp(op, "Reshape")) {
            if ((*s = in_ints(im, n, 1, &ix, &nix)) != AX_OK)
                return 1;
            int64_t dims[AX_MAX_DIMS], known = 1, minus = -1;
            if (nix > AX_MAX_DIMS)
                return *s = node_error(im, "a shape of %lld dimensions", (long long)nix), 1;
            for (int64_t d = 0; d < nix; d++) {
                dims[d] = ix[d] == 0 && d < a->ndim ? a->dims[d] : ix[d];
                if (dims[d] == -1 && minus < 0)
                    minus = d;
                else if (dims[d] < 0 || !ax_mul_checked(known, dims[d], &known))
                    return *s = node_error(im, "a bad target shape"), 1;
            }
            if (minus >= 0)
                dims[minus] = known ? a->numel / known : 0;
            if ((*s = set_dims(im, &out, dims, (size_t)nix, "Reshape")) != AX_OK)
                return 1;
        } else if (!strcmp(op, "Flatten")) {
            const int64_t axis = att_int(n, "axis", 1);
            int64_t lead = 1;
            for (int64_t d = 0; d < axis && d < a->ndim; d++)
                lead *= a->dims[d];
            const int64_t dims[2] = {lead, lead ? a->numel / lead : 0};
            if ((*s = set_dims(im, &out, dims, 2, "Flatten")) != AX_OK)
                return 1;
        } else {
            int64_t axes[AX_MAX_DIMS];
            int64_t na = 0;
            if (in_ints(im, n, 1, &ix, &nix) == AX_OK) {
                na = nix > AX_MAX_DIMS ? AX_MAX_DIMS : nix;
                memcpy(axes, ix, (size_t)na * sizeof *axes);
            } else if (att(n, "axes")) {
                na = (int64_t)att(n, "axes")->n_ints;
                na = na > AX_MAX_DIMS ? AX_MAX_DIMS : na;
                if (na)
                    memcpy(axes, att(n, "axes")->ints, (size_t)na * sizeof *axes);
            }
            int64_t dims[AX_MAX_DIMS];
            int nd = 0;
            if (!strcmp(op, "Unsqueeze")) {
                const int total = a->ndim + (int)na;
                if (total > AX_MAX_DIMS)
                    return *s = node_error(im, "too many dimensions"), 1;
                for (int d = 0, src = 0; d < total; d++) {
                    int is_new = 0;
                    for (int64_t k = 0; k < na; k++)
                        is_new |= axes[k] == d || axes[k] + total == d;
                    dims[nd++] = is_new ? 1 : src < a->ndim ? a->dims[src++] : 1;
                }
            } else
                for (int d = 0; d < a->ndim; d++) {
                    int drop = na == 0 && a->dims[d] == 1;
                    for (int64_t k = 0; k < na; k++)
                        drop |= axes[k] == d || axes[k] + a->ndim == d;
                    if (!drop)
                        dims[nd++] = a->dims[d];
                }
            if ((*s = set_dims(im, &out, dims, (size_t)nd, op)) != AX_OK)
                return 1;
        }
        if (out.numel != a->numel)
            return *s = node_error(im, "the new shape holds %lld values, the input %lld", (long long)out.numel,
                                   (long long)a->numel), 1;
    } else if (!strcmp(op, "Gather") || !strcmp(op, "Concat") || !strcmp(op, "Slice") || !strcmp(op, "Add") ||
               !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div")) {
        /* on 1-D tensors and scalars only: the shape arithmetic */
        for (size_t k = 0; k < n->n_input; k++) {
            value *v = n->input[k][0] ? find(im, n->input[k]) : NULL;
            if (v && v->ndim > 1)
                return 0; /* a real tensor: left to the graph */
        }
        out.elem = a->elem;
        int64_t len = 0, buf_i[4096];
        float buf_f[4096];
        if (!strcmp(op, "Concat")) {
            for (size_t k = 0; k < n->n_input; k++) {
                value *v = find(im, n->input[k]);
                if (!v || v->elem != a->elem || len + v->numel > 4096)
                    return *s = node_error(im, "a constant concat of mixed or large tensors"), 1;
                for (int64_t j = 0; j < v->numel; j++) {
                    if (v->elem == F32)
                        buf_f[len] = v->f[j];
                    else
                        buf_i[len] = v->i[j];
                    len++;
                }
            }
        } else if (!strcmp(op, "Gather")) {
            value *idx = in_value(im, n, 1);
            if (!idx || idx->elem != I64 || att_int(n, "axis", 0) != 0)
                return *s = node_error(im, "a constant gather needs integer indices along axis 0"), 1;
            for (int64_t j = 0; j < idx->numel && len < 4096; j++) {
                int64_t k = idx->i[j] < 0 ? idx->i[j] + a->numel : idx->i[j];
                if (k < 0 || k >= a->numel)
                    return *s = node_error(im, "index %lld is outside 0..%lld", (long long)idx->i[j],
                                           (long long)a->numel - 1), 1;
                if (a->elem == F32)
                    buf_f[len++] = a->f[k];
                else
                    buf_i[len++] = a->i[k];
            }
            if (idx->ndim == 0) { /* a scalar index gives a scalar */
                out.ndim = 0;
                out.numel = 1;
            }
        } else if (!strcmp(op, "Slice")) {
            const int64_t *st, *en, *stp = NULL;
            int64_t c1, c2, c3 = 0;
            if (in_ints(im, n, 1, &st, &c1) != AX_OK || in_ints(im, n, 2, &en, &c2) != AX_OK || c1 != 1 || c2 != 1)
                return *s = node_error(im, "a constant slice needs one start and one end"), 1;
            if (in_ints(im, n, 4, &stp, &c3) == AX_OK && (c3 != 1 || stp[0] == 0))
                return *s = node_error(im, "a constant slice's step must be one non-zero value"), 1;
            const int64_t step = stp ? stp[0] : 1, m = a->numel;
            int64_t b = st[0] < 0 ? st[0] + m : st[0], e = en[0] < 0 ? en[0] + m : en[0];
            if (step > 0) {
                b = b < 0 ? 0 : b > m ? m : b, e = e < 0 ? 0 : e > m ? m : e;
                for (int64_t j = b; j < e && len < 4096; j += step, len++)
                    a->elem == F32 ? (void)(buf_f[len] = a->f[j]) : (void)(buf_i[len] = a->i[j]);
            } else {
                b = b < 0 ? -1 : b >= m ? m - 1 : b, e = e < -1 ? -1 : e >= m ? m - 1 : e;
                for (int64_t j = b; j > e && len < 4096; j += step, len++)
                    a->elem == F32 ? (void)(buf_f[len] = a->f[j]) : (void)(buf_i[len] = a->i[j]);
            }
        } else { /* elementwise, equal lengths or a scalar side */
            value *b = in_value(im, n, 1);
            if (!b || b->elem != a->elem || (a->numel != b->numel && a->numel != 1 && b->numel != 1) ||
                a->numel > 4096 || b->numel > 4096)
                return *s = node_error(im, "constant arithmetic on tensors of different types or sizes"), 1;
            len = a->numel > b->numel ? a->numel : b->numel;
            for (int64_t j = 0; j < len; j++) {
                const int64_t ja = a->numel == 1 ? 0 : j, jb = b->numel == 1 ? 0 : j;
                if (a->elem == F32) {
                    const float x = a->f[ja], y = b->f[jb];
                    buf_f[j] = op[0] == 'A' ? x + y : op[0] == 'S' ? x - y : op[0] == 'M' ? x * y : x / y;
                } else {
                    const int64_t x = a->i[ja], y = b->i[jb];
                    if (op[0] == 'D' && (y == 0 || (x == INT64_MIN && y == -1)))
                        return *s = node_error(im, "an integer division by %lld", (long long)y), 1;
                    buf_i[j] = op[0] == 'A' ? (int64_t)((uint64_t)x + (uint64_t)y)
                               : op[0] == 'S' ? (int64_t)((uint64_t)x - (uint64_t)y)
                               : op[0] == 'M' ? (int64_t)((uint64_t)x * (uint64_t)y)
                                              : x / y;
                }
            }
            out.ndim = a->numel >= b->numel ? a->ndim : b->ndim;
        }
        if (!(out.ndim == 0 && out.numel == 1) && !(!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") ||
                                                    !strcmp(op, "Div")) ) {
            out.ndim = 1;
            out.dims[0] = len;
            out.numel = len;
        } else if (out.ndim == 0) {
            out.numel = 1;
        } else {
            out.ndim = 1;
            out.dims[0] = len;
            out.numel = len;
        }
        if ((*s = const_alloc(im, &out, out.elem)) != AX_OK)
            return 1;
        if (out.elem == F32)
            memcpy(out.f, buf_f, (size_t)out.numel * sizeof *out.f);
        else
            memcpy(out.i, buf_i, (size_t)out.numel * sizeof *out.i);
    } else
        return 0;
    value *v = define(im, n->output[0]);
    if (!v)
        return *s = AX_ERR_FORMAT, 1;
    const char *name = v->name;
    *v = out;
    v->name = name;
    v->node = NULL;
    v->initializer = 0;
    v->is_const = 1;
    return 1;
}

/* A per-sample shape for axon from an ONNX target shape over [batch, ...] */
static ax_status sample_shape(importer *im, const ax_node *x, const int64_t *t, int64_t nt, ax_shape *out)
{
    const ax_shape xs = ax_node_shape(x);
    if (nt < 1 || nt > AX_MAX_DIMS)
        return node_error(im, "a target shape of %lld dimensions", (long long)nt);
    if (!(t[0] == 0 || t[0] == im->batch || t[0] == -1 || (im->file_batch > 0 && t[0] == im->file_batch)))
        return node_error(im, "its target shape's first dimension %lld is not the batch (%lld)", (long long)t[0],
                          (long long)im->batch);
    out->ndim = (int)nt - 1;
    int minus = t[0] == -1;
    for (int64_t d = 1; d < nt; d++) {
        out->dim[d - 1] = t[d] == 0 && d < xs.ndim ? xs.dim[d] : t[d];
        minus += t[d] == -1;
    }
    if (t[0] == -1 && minus > 1)
        return node_error(im, "a target shape with -1 for the batch and another dimension");
    return AX_OK;
}

static ax_node *reshape_to(importer *im, ax_node *x, ax_shape per_sample)
{
    ax_attr a = {"shape", 0, per_sample.dim, per_sample.ndim};
    return apply(im, "reshape", &x, 1, &a, 1);
}

/* pads [t, l, b, r] (ONNX: begins then ends) and the rest of a 2-D window's attributes */
static ax_status window(importer *im, const Onnx__NodeProto *n, const ax_node *x, const int64_t k[2], int64_t st[2],
                        int64_t pads[4], int64_t dil[2])
{
    ax_status s = AX_OK;
    st[0] = st[1] = 1;
    dil[0] = dil[1] = 1;
    memset(pads, 0, 4 * sizeof *pads);
    att_ints(im, n, "strides", st, 2, &s);
    att_ints(im, n, "dilations", dil, 2, &s);
    att_ints(im, n, "pads", pads, 4, &s);
    char ap[32];
    const char *auto_pad = att_string(n, "auto_pad", ap, sizeof ap);
    if (s == AX_OK && auto_pad && strcmp(auto_pad, "NOTSET")) {
        const ax_shape xs = ax_node_shape(x);
        if (!strcmp(auto_pad, "VALID"))
            memset(pads, 0, 4 * sizeof *pads);
        else if (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER"))
            for (int d = 0; d < 2; d++) {
                const int64_t in = xs.dim[2 + d], out = (in + st[d] - 1) / st[d];
                int64_t total = (out - 1) * st[d] + (k[d] - 1) * dil[d] + 1 - in;
                total = total < 0 ? 0 : total;
                const int64_t small = total / 2, big = total - small;
                pads[d] = auto_pad[5] == 'U' ? small : big;
                pads[d + 2] = auto_pad[5] == 'U' ? big : small;
            }
        else
            return node_error(im, "attribute 'auto_pad' = %s", auto_pad);
    }
    for (int i = 0; s == AX_OK && i < 4; i++)
        if (pads[i] < 0)
            s = node_error(im, "attribute 'pads' holds %lld", (long long)pads[i]);
    return s;
}

static ax_status conv(importer *im, const Onnx__NodeProto *n)
{
    ax_status s = check_attrs(im, n, "auto_pad,dilations,group,kernel_shape,pads,strides");
    ax_node *x = s == AX_OK ? in_node(im, n, 0) : NULL, *w = x ? in_node(im, n, 1) : NULL;
    ax_node *b = w && n->n_input > 2 && n->input[2][0] ? in_node(im, n, 2) : NULL;
    if (!x || !w || (n->n_input > 2 && n->input[2][0] && !b))
        return s != AX_OK ? s : AX_ERR_FORMAT;
    if (rank_of(x) != 4 || rank_of(w) != 4)
        return node_error(im, "a convolution over %d-D data: axon's conv2d takes [N, C, H, W]", rank_of(x) - 2);
    const ax_shape ws = ax_node_shape(w);
    int64_t k[2] = {ws.dim[2], ws.dim[3]}, ks[2] = {k[0], k[1]}, st[2], pads[4], dil[2];
    if (att_ints(im, n, "kernel_shape", ks, 2, &s) && (ks[0] != k[0] || ks[1] != k[1]))
        return node_error(im, "attribute 'kernel_shape' does not match the weights");
    if (s != AX_OK || (s = window(im, n, x, k, st, pads, dil)) != AX_OK)
        return s;
    ax_attr a[] = {AX_ATTR("stride_h", st[0]),   AX_ATTR("stride_w", st[1]),   AX_ATTR("pad_top", pads[0]),
                   AX_ATTR("pad_left", pads[1]), AX_ATTR("pad_bottom", pads[2]), AX_ATTR("pad_right", pads[3]),
                   AX_ATTR("dilation_h", dil[0]), AX_ATTR("dilation_w", dil[1]), AX_ATTR("groups", att_int(n, "group", 1))};
    ax_node *in[3] = {x, w, b};
    return set_output(im, n, apply(im, "conv2d", in, b ? 3 : 2, a, 9));
}

static ax_status pool(importer *im, const Onnx__NodeProto *n, int max)
{
    ax_status s = check_attrs(im, n, max ? "auto_pad,ceil_mode,dilations,kernel_shape,pads,storage_order,strides"
                                         : "auto_pad,ceil_mode,count_include_pad,kernel_shape,pads,strides");
    ax_node *x = s == AX_OK ? in_node(im, n, 0) : NULL;
    if (!x)
        return s != AX_OK ? s : AX_ERR_FORMAT;
    if (n->n_output > 1 && n->output[1][0])
        return node_error(im, "its second output (the indices) has no axon form");
    if (rank_of(x) != 4)
        return node_error(im, "pooling over %d-D data: axon pools [N, C, H, W]", rank_of(x) - 2);
    int64_t k[2] = {0, 0}, st[2], pads[4], dil[2];
    if (!att_ints(im, n, "kernel_shape", k, 2, &s))
        return s != AX_OK ? s : node_error(im, "needs attribute 'kernel_shape' of two sizes");
    if ((s = window(im, n, x, k, st, pads, dil)) != AX_OK)
        return s;
    if (att_int(n, "ceil_mode", 0))
        return node_error(im, "attribute 'ceil_mode' = 1 (axon's pooling rounds the output size down)");
    if (dil[0] != 1 || dil[1] != 1)
        return node_error(im, "attribute 'dilations' other than 1");
    ax_attr a[] = {AX_ATTR("kernel_h", k[0]),  AX_ATTR("kernel_w", k[1]),    AX_ATTR("stride_h", st[0]),
                   AX_ATTR("stride_w", st[1]), AX_ATTR("pad_top", pads[0]),  AX_ATTR("pad_left", pads[1]),
                   AX_ATTR("pad_bottom", pads[2]), AX_ATTR("pad_right", pads[3]),
                   AX_ATTR("count_include_pad", att_int(n, "count_include_pad", 0))};
    return set_output(im, n, apply(im, max ? "max_pool2d" : "avg_pool2d", &x, 1, a, max ? 8 : 9));
}

static ax_status gemm(importer *im, const Onnx__NodeProto *n)
{
    ax_status s = check_attrs(im, n, "alpha,beta,transA,transB");
    if (s != AX_OK)
        return s;
    ax_node *a = in_node(im, n, 0);
    value *bv = in_value(im, n, 1), *cv = n->n_input > 2 ? in_value(im, n, 2) : NULL;
    if (!a || !bv)
        return AX_ERR_FORMAT;
    const double alpha = att_float(n, "alpha", 1), beta = att_float(n, "beta", 1);
    const int ta = (int)att_int(n, "transA", 0), tb = (int)att_int(n, "transB", 0);
    if (rank_of(a) != 2)
        return node_error(im, "input A is %d-D; Gemm takes matrices", rank_of(a));
    if (ta)
        return node_error(im, "attribute 'transA' = 1 (the batch runs along A's rows in axon)");
    ax_node *y;
    if (bv->is_const && bv->ndim == 2 && bv->elem == F32 && !bv->node) {
        /* the weights as axon keeps a dense layer's: [out, in], alpha folded in */
        if (!tb || alpha != 1) {
            const int64_t r = bv->dims[0], c = bv->dims[1];
            float *t = onnx_pool_alloc(&im->pool, (size_t)(r * c > 0 ? r * c : 1) * sizeof *t);
            if (!t)
                return ax_fail(AX_ERR_NOMEM, "out of memory");
            for (int64_t i = 0; i < r; i++)
                for (int64_t j = 0; j < c; j++)
                    t[tb ? i * c + j : j * r + i] = (float)(alpha * bv->f[i * c + j]);
            bv->f = t;
            if (!tb)
                bv->dims[0] = c, bv->dims[1] = r;
        }
        ax_node *w = node_of_const(im, bv);
        y = w ? ax_matmul(im->g, a, w, 1) : NULL;
    } else {
        ax_node *b = bv->is_const ? node_of_const(im, bv) : bv->node;
        if (!b)
            return AX_ERR_FORMAT;
        y = alpha == 1 ? ax_matmul(im->g, a, b, tb) : NULL;
        if (alpha != 1)
            return node_error(im, "attribute 'alpha' with weights that are not a constant");
    }
    if (y && cv) {
        if (cv->is_const && cv->elem == F32 && beta != 1)
            for (int64_t i = 0; i < cv->numel; i++)
                cv->f[i] = (float)(beta * cv->f[i]);
        else if (beta != 1)
            return node_error(im, "attribute 'beta' with a bias that is not a constant");
        if (cv->is_const && cv->ndim == 2 && cv->dims[0] == 1) /* [1, out] -> [out] */
            cv->ndim = 1, cv->dims[0] = cv->dims[1];
        ax_node *c = cv->is_const ? node_of_const(im, cv) : cv->node;
        const int bias = c && rank_of(c) == 1 && ax_node_shape(c).dim[0] == ax_node_shape(y).dim[1];
        y = !c ? NULL : bias ? ax_bias_add(im->g, y, c) : ax_add(im->g, y, c);
    }
    return set_output(im, n, y);
}

static ax_status batch_norm(importer *im, const Onnx__NodeProto *n)
{
    ax_status s = check_attrs(im, n, "epsilon,momentum,training_mode");
    if (s != AX_OK)
        return s;
    if (att_int(n, "training_mode", 0))
        return node_error(im, "attribute 'training_mode' = 1 (an exported training graph)");
    if (n->n_input != 5 || (n->n_output > 1 && n->output[1][0]))
        return node_error(im, "axon reads the inference form: 5 inputs, 1 output");
    ax_node *in[5];
    in[0] = in_node(im, n, 0);
    for (int k = 1; k < 5; k++) {
        value *v = in_value(im, n, (size_t)k);
        if (!v || !in[0])
            return AX_ERR_FORMAT;
        if (!v->is_const)
            return node_error(im, "input %d is not a constant", k);
        if (k >= 3)
            v->initializer = 0; /* the running statistics: buffers, not learned */
        if (!(in[k] = node_of_const(im, v)))
            return AX_ERR_FORMAT;
    }
    ax_attr a[2] = {AX_ATTR("momentum", 1 - att_float(n, "momentum", 0.9)), AX_ATTR("eps", att_float(n, "epsilon", 1e-5))};
    return set_output(im, n, apply(im, "batch_norm", in, 5, a, 2));
}

/* ONNX ops that are one axon op of one input with no or simple attributes */
static const struct {
    const char *onnx, *axon, *attrs;
} simple[] = {{"Relu", "relu", ""},          {"Sigmoid", "sigmoid", ""},   {"Tanh", "tanh", ""},
              {"Softsign", "softsign", ""},  {"Atan", "arctan", ""},       {"Erf", "erf", ""},       {"Softplus", "softplus", ""},
              {"LeakyRelu", "leaky_relu", "alpha"}, {"Elu", "elu", "alpha"}, {"Selu", "selu", "alpha,gamma"},
              {"HardSigmoid", "hard_sigmoid", "alpha,beta"}, {"Softmax", "softmax", "axis"},
              {"LogSoftmax", "log_softmax", "axis"}};

static ax_status simple_op(importer *im, const Onnx__NodeProto *n, int k)
{
    ax_status s = check_attrs(im, n, simple[k].attrs);
    ax_node *x = s == AX_OK ? in_node(im, n, 0) : NULL;
    if (!x)
        return s != AX_OK ? s : AX_ERR_FORMAT;
    const char *op = simple[k].onnx;
    ax_attr a[1];
    int na = 0;
    if (!strcmp(op, "LeakyRelu"))
        a[na++] = AX_ATTR("negative_slope", att_float(n, "alpha", 0.01));
    else if (!strcmp(op, "Elu"))
        a[na++] = AX_ATTR("alpha", att_float(n, "alpha", 1.0));
    else if (!strcmp(op, "Selu") && (fabs(att_float(n, "alpha", 1.67326319217681884765625) - 1.6732632423543772) > 1e-6 ||
                                     fabs(att_float(n, "gamma", 1.05070102214813232421875) - 1.0507009873554805) > 1e-6))
        return node_error(im, "attributes 'alpha'/'gamma' other than the self-normalising constants");
    else if (!strcmp(op, "HardSigmoid") &&
             (fabs(att_float(n, "alpha", 0.2) - 1.0 / 6) > 1e-6 || fabs(att_float(n, "beta", 0.5) - 0.5) > 1e-6))
        return node_error(im, "attribute 'alpha' %g or 'beta' %g: axon's hard_sigmoid is x / 6 + 1/2 (PyTorch's)",
                          att_float(n, "alpha", 0.2), att_float(n, "beta", 0.5));
    else if (!strcmp(op, "Softmax") || !strcmp(op, "LogSoftmax")) {
        const int64_t axis = att_int(n, "axis", im->opset >= 13 ? -1 : 1), r = rank_of(x);
        if (im->opset < 13 && axis != r - 1 && axis != -1)
            return node_error(im, "attribute 'axis' = %lld before opset 13 (a softmax over the flattened axes)",
                              (long long)axis);
        a[na++] = AX_ATTR("axis", axis);
    }
    return set_output(im, n, apply(im, simple[k].axon, &x, 1, a, na));
}

static ax_status arith(importer *im, const Onnx__NodeProto *n)
{
    ax_status s = check_attrs(im, n, "");
    if (s != AX_OK)
        return s;
    ax_node *a = in_node(im, n, 0), *b = a ? in_node(im, n, 1) : NULL;
    if (!a || !b)
        return AX_ERR_FORMAT;
    const char *op = n->op_type;
    ax_node *in[2] = {a, b};
    return set_output(im, n, apply(im, op[0] == 'A' ? "add" : op[0] == 'S' ? "sub" : op[0] == 'M' ? "mul" : "div", in, 2,
                                   NULL, 0));
}

static ax_status node_op(importer *im, const Onnx__NodeProto *n)
{
    const char *op = n->op_type;
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return node_error(im, "its domain '%s' (axon reads the standard ops)", n->domain);
    if (n->n_output < 1 || !n->output[0][0])
        return node_error(im, "no output");
    ax_status s = AX_OK;
    if (fold(im, n, &s))
        return s;
    if (!strcmp(op, "Constant")) {
        if ((s = check_attrs(im, n, "value,value_float,value_floats,value_int,value_ints")) != AX_OK)
            return s;
        value *v = define(im, n->output[0]);
        if (!v)
            return AX_ERR_FORMAT;
        const Onnx__AttributeProto *a = n->n_attribute ? n->attribute[0] : NULL;
        if (a && a->t && !strcmp(a->name, "value"))
            return read_tensor(im, a->t, v, n->output[0]);
        if (a && (a->has_f || a->has_i)) {
            if ((s = const_alloc(im, v, a->has_f ? F32 : I64)) != AX_OK)
                return s;
            v->numel = 1;
            a->has_f ? (void)(v->f[0] = a->f) : (void)(v->i[0] = a->i);
            return AX_OK;
        }
        if (a && (a->n_floats || a->n_ints)) {
            const int64_t len = (int64_t)(a->n_floats ? a->n_floats : a->n_ints);
            if ((s = set_dims(im, v, &len, 1, n->output[0])) != AX_OK || (s = const_alloc(im, v, a->n_floats ? F32 : I64)) != AX_OK)
                return s;
            for (int64_t k = 0; k < len; k++)
                a->n_floats ? (void)(v->f[k] = a->floats[k]) : (void)(v->i[k] = a->ints[k]);
            return AX_OK;
        }
        return node_error(im, "no value");
    }
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++)
        if (!strcmp(op, simple[k].onnx))
            return simple_op(im, n, (int)k);
    if (!strcmp(op, "Add") || !strcmp(op, "Sub") || !strcmp(op, "Mul") || !strcmp(op, "Div"))
        return arith(im, n);
    if (!strcmp(op, "Conv"))
        return conv(im, n);
    if (!strcmp(op, "MaxPool") || !strcmp(op, "AveragePool"))
        return pool(im, n, op[0] == 'M');
    if (!strcmp(op, "Gemm"))
        return gemm(im, n);
    if (!strcmp(op, "BatchNormalization"))
        return batch_norm(im, n);
    if (!strcmp(op, "Identity") || !strcmp(op, "Dropout") || !strcmp(op, "Cast")) {
        if ((s = check_attrs(im, n, !strcmp(op, "Dropout") ? "seed" : !strcmp(op, "Cast") ? "to,saturate" : "")) != AX_OK)
            return s;
        if (!strcmp(op, "Cast") && att_int(n, "to", F32) != F32)
            return node_error(im, "attribute 'to' = %lld: axon's values are float", (long long)att_int(n, "to", F32));
        if (!strcmp(op, "Dropout") && n->n_output > 1 && n->output[1][0])
            return node_error(im, "its mask output has no axon form");
        return set_output(im, n, in_node(im, n, 0)); /* inference: the identity */
    }
    if (!strcmp(op, "ReduceMax")) { /* maxout as axon writes it: Reshape [N, units, k], the max over k */
        ax_node *x = (s = check_attrs(im, n, "axes,keepdims")) == AX_OK ? in_node(im, n, 0) : NULL;
        if (!x)
            return s != AX_OK ? s : AX_ERR_FORMAT;
        const Onnx__AttributeProto *ax = att(n, "axes");
        ax_node *src = !strcmp(ax_node_op(x), "reshape") ? ax_node_input(x, 0) : NULL;
        const ax_shape xs = ax_node_shape(x);
        if (!ax || ax->n_ints != 1 || (ax->ints[0] != 2 && ax->ints[0] != -1) || att_int(n, "keepdims", 1) != 0 ||
            xs.ndim != 3 || !src || rank_of(src) != 2)
            return node_error(im, "a reduction axon reads only as maxout: the max over the last axis (keepdims 0) "
                                  "of [N, units, k] reshaped from [N, units k]");
        ax_attr a = AX_ATTR("k", xs.dim[2]);
        return set_output(im, n, apply(im, "maxout", &src, 1, &a, 1));
    }
    if (!strcmp(op, "Pad")) { /* what exporters put before a pooling: all zeros, the identity */
        if ((s = check_attrs(im, n, "mode")) != AX_OK)
            return s;
        const int64_t *pads;
        int64_t np = 0;
        char mode[32];
        const char *m = att_string(n, "mode", mode, sizeof mode);
        if ((s = in_ints(im, n, 1, &pads, &np)) != AX_OK)
            return s == AX_ERR_INVALID_ARG ? node_error(im, "needs its pads as a constant input") : s;
        for (int64_t k = 0; k < np; k++)
            if (pads[k] != 0 || (m && strcmp(m, "constant")))
                return node_error(im, "padding other than none (axon pads inside Conv, MaxPool and AveragePool)");
        return set_output(im, n, in_node(im, n, 0));
    }
    if (!strcmp(op, "GlobalAveragePool")) {
        ax_node *x = (s = check_attrs(im, n, "")) == AX_OK ? in_node(im, n, 0) : NULL;
        if (!x)
            return s != AX_OK ? s : AX_ERR_FORMAT;
        ax_node *p = apply(im, "global_avg_pool", &x, 1, NULL, 0); /* [N, C] -> ONNX's [N, C, 1, 1] */
        return set_output(im, n, p ? reshape_to(im, p, (ax_shape){3, {ax_node_shape(p).dim[1], 1, 1}}) : NULL);
    }
    if (!strcmp(op, "Flatten")) {
        ax_node *x = (s = check_attrs(im, n, "axis")) == AX_OK ? in_node(im, n, 0) : NULL;
        if (!x)
            return s != AX_OK ? s : AX_ERR_FORMAT;
        if (att_int(n, "axis", 1) != 1)
            return node_error(im, "attribute 'axis' = %lld (axon flattens each sample: axis 1)",
                              (long long)att_int(n, "axis", 1));
        return set_output(im, n, ax_flatten(im->g, x));
    }
    if (!strcmp(op, "Reshape") || !strcmp(op, "Unsqueeze") || !strcmp(op, "Squeeze")) {
        if ((s = check_attrs(im, n, !strcmp(op, "Reshape") ? "allowzero" : "axes")) != AX_OK)
            return s;
        ax_node *x = in_node(im, n, 0);
        if (!x)
            return AX_ERR_FORMAT;
        const ax_shape xs = ax_node_shape(x);
        ax_shape t = {0, {0}};
        if (!strcmp(op, "Reshape")) {
            const int64_t *ix;
            int64_t nix;
            if (att_int(n, "allowzero", 0))
                return node_error(im, "attribute 'allowzero' = 1");
            if ((s = in_ints(im, n, 1, &ix, &nix)) != AX_OK || (s = sample_shape(im, x, ix, nix, &t)) != AX_OK)
                return s == AX_ERR_INVALID_ARG ? node_error(im, "needs a target shape") : s;
        } else {
            int64_t axes[AX_MAX_DIMS], na = 0;
            const int64_t *ix;
            int64_t nix;
            if (in_ints(im, n, 1, &ix, &nix) == AX_OK) {
                na = nix > AX_MAX_DIMS ? AX_MAX_DIMS : nix;
                memcpy(axes, ix, (size_t)na * sizeof *axes);
            } else if (att(n, "axes")) {
                na = (int64_t)att(n, "axes")->n_ints > AX_MAX_DIMS ? AX_MAX_DIMS : (int64_t)att(n, "axes")->n_ints;
                if (na)
                    memcpy(axes, att(n, "axes")->ints, (size_t)na * sizeof *axes);
            }
            const int unsq = op[0] == 'U', total = unsq ? xs.ndim + (int)na : xs.ndim;
            if (total > AX_MAX_DIMS)
                return node_error(im, "too many dimensions");
            for (int d = 0, src = 0; d < total; d++) {
                int hit = 0;
                for (int64_t k = 0; k < na; k++)
                    hit |= axes[k] == d || axes[k] + total == d;
                if (hit && d == 0)
                    return node_error(im, "it moves the batch axis");
                if (unsq)
                    t.dim[t.ndim++] = hit ? 1 : xs.dim[src++];
                else if (!(hit || (na == 0 && xs.dim[d] == 1 && d > 0)))
                    t.dim[t.ndim++] = xs.dim[d];
            }
            /* drop the batch from the list: axon's shapes are per sample */
            memmove(t.dim, t.dim + 1, (size_t)(t.ndim - 1) * sizeof t.dim[0]);
            t.ndim--;
        }
        return set_output(im, n, reshape_to(im, x, t));
    }
    if (!strcmp(op, "Transpose")) {
        ax_node *x = (s = check_attrs(im, n, "perm")) == AX_OK ? in_node(im, n, 0) : NULL;
        if (!x)
            return s != AX_OK ? s : AX_ERR_FORMAT;
        const Onnx__AttributeProto *p = att(n, "perm");
        if (!p || p->n_ints != (size_t)rank_of(x) || p->ints[0] != 0)
            return node_error(im, "attribute 'perm' must keep the batch first (perm[0] = 0) and list every axis");
        ax_attr a = {"perm", 0, p->ints, (int)p->n_ints};
        return set_output(im, n, apply(im, "transpose", &x, 1, &a, 1));
    }
    if (!strcmp(op, "Concat")) {
        if ((s = check_attrs(im, n, "axis")) != AX_OK)
            return s;
        ax_node *in[64];
        if (n->n_input < 1 || n->n_input > 64)
            return node_error(im, "%zu inputs (axon joins up to 64)", n->n_input);
        for (size_t k = 0; k < n->n_input; k++)
            if (!(in[k] = in_node(im, n, k)))
                return AX_ERR_FORMAT;
        const int64_t axis = att_int(n, "axis", 1);
        if (axis == 0 || axis == -(int64_t)rank_of(in[0]))
            return node_error(im, "attribute 'axis' joins along the batch");
        ax_attr a = AX_ATTR("axis", axis);
        return set_output(im, n, apply(im, "concat", in, (int)n->n_input, &a, 1));
    }
    if (!strcmp(op, "MatMul")) {
        ax_node *a = (s = check_attrs(im, n, "")) == AX_OK ? in_node(im, n, 0) : NULL;
        ax_node *b = a ? in_node(im, n, 1) : NULL;
        if (!a || !b)
            return s != AX_OK ? s : AX_ERR_FORMAT;
        const int constant_b = find(im, n->input[1])->is_const;
        return set_output(im, n, constant_b && rank_of(b) == 2 ? ax_matmul(im->g, a, b, 0)
                                                              : ax_batch_matmul(im->g, a, b, 0, 0));
    }
    if (!strcmp(op, "PRelu")) {
        ax_node *x = (s = check_attrs(im, n, "")) == AX_OK ? in_node(im, n, 0) : NULL;
        value *sv = x ? in_value(im, n, 1) : NULL;
        if (!x || !sv)
            return s != AX_OK ? s : AX_ERR_FORMAT;
        if (sv->is_const && !sv->node) { /* [C], [C, 1, 1] or [1]: axon's prelu holds one slope per channel */
            int64_t c = sv->numel;
            sv->ndim = 1, sv->dims[0] = c;
        }
        ax_node *slope = sv->is_const ? node_of_const(im, sv) : sv->node;
        ax_node *in[2] = {x, slope};
        return set_output(im, n, slope ? apply(im, "prelu", in, 2, NULL, 0) : NULL);
    }
    if (!strcmp(op, "LayerNormalization")) {
        if ((s = check_attrs(im, n, "axis,epsilon,stash_type")) != AX_OK)
            return s;
        ax_node *x = in_node(im, n, 0), *w = x ? in_node(im, n, 1) : NULL;
        ax_node *b = w && n->n_input > 2 && n->input[2][0] ? in_node(im, n, 2) : NULL;
        if (!x || !w || !b)
            return s != AX_OK ? s : node_error(im, "axon's layernorm needs a scale and a bias");
        ax_attr a[2] = {AX_ATTR("axis", att_int(n, "axis", -1)), AX_ATTR("eps", att_float(n, "epsilon", 1e-5))};
        ax_node *in[3] = {x, w, b};
        return set_output(im, n, apply(im, "layernorm", in, 3, a, 2));
    }
    if (!strcmp(op, "Gather")) { /* rows of a constant table by a data index: an embedding */
        value *t = in_value(im, n, 0);
        ax_node *idx = t ? in_node(im, n, 1) : NULL;
        if ((s = check_attrs(im, n, "axis")) != AX_OK)
            return s;
        if (!t || !idx || !t->is_const || t->ndim != 2 || att_int(n, "axis", 0) != 0)
            return node_error(im, "a gather of data axon cannot fold (an embedding: a constant 2-D table, axis 0)");
        ax_node *w = node_of_const(im, t);
        return set_output(im, n, w ? ax_embedding(im->g, idx, w) : NULL);
    }
    return node_error(im, "no axon mapping for this op (docs/onnx.md lists the ops read)");
}

/* ---- the model ------------------------------------------------------------------ */

static ax_status read_file(const char *path, uint8_t **data, size_t *len)
{
    char *text = NULL;
    ax_status s = ax_read_file(path, (size_t)2 << 30, &text, len);
    *data = (uint8_t *)text;
    return s;
}

static Onnx__ModelProto *parse(const char *path, const uint8_t *data, size_t len, ax_status *s)
{
    char why[160];
    const int64_t bad = onnx_wire_check(data, len, &onnx__model_proto__descriptor, why, sizeof why);
    if (bad >= 0) {
        *s = ax_fail(AX_ERR_FORMAT, "%s: not an ONNX model: at byte %lld, %s", path, (long long)bad, why);
        return NULL;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
    if (!m)
        *s = ax_fail(AX_ERR_FORMAT, "%s: not an ONNX model: protobuf-c could not read its %zu bytes (a field of the "
                     "wrong type, or a string that is not UTF-8)", path, len);
    else if (!m->graph)
        *s = ax_fail(AX_ERR_FORMAT, "%s: an ONNX model without a graph", path);
    else
        *s = AX_OK;
    if (*s != AX_OK && m) {
        onnx__model_proto__free_unpacked(m, NULL);
        m = NULL;
    }
    return m;
}

static ax_status opset_of(const char *path, const Onnx__ModelProto *m, int *opset)
{
    *opset = 0;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (!o->domain || !*o->domain || !strcmp(o->domain, "ai.onnx"))
            *opset = (int)o->version;
    }
    if (*opset < 13 || *opset > 17)
        return ax_fail(AX_ERR_UNSUPPORTED, "%s: ONNX opset %d (axon reads opsets 13 to 17; torch.onnx.export(..., "
                       "opset_version=17) writes one)", path, *opset);
    return AX_OK;
}

static ax_status build(importer *im, const Onnx__GraphProto *gp, ax_model *out)
{
    ax_status s = AX_OK;
    for (size_t i = 0; s == AX_OK && i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        value *v = define(im, t->name);
        if (!v)
            return AX_ERR_FORMAT;
        char what[300];
        snprintf(what, sizeof what, "initializer '%s'", t->name);
        s = read_tensor(im, t, v, what);
        v->initializer = 1;
    }
    ax_node *input = NULL;
    for (size_t i = 0; s == AX_OK && i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || find(im, vi->name)) /* an initializer listed as an input (IR 3) */
            continue;
        if (input)
            return ax_fail(AX_ERR_UNSUPPORTED, "%s: a second input '%s' (axon imports models of one input)", im->path,
                           vi->name);
        const Onnx__TypeProto *t = vi->type;
        if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type->shape ||
            t->tensor_type->elem_type != F32)
            return ax_fail(AX_ERR_UNSUPPORTED, "%s: input '%s' is not a float tensor of known rank", im->path, vi->name);
        const Onnx__TensorShapeProto *sh = t->tensor_type->shape;
        if (sh->n_dim < 1 || sh->n_dim > AX_MAX_DIMS)
            return ax_fail(AX_ERR_UNSUPPORTED, "%s: input '%s' has %zu dimensions", im->path, vi->name, sh->n_dim);
        ax_shape xs = {(int)sh->n_dim, {im->batch}};
        if (sh->dim[0]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
            im->file_batch = sh->dim[0]->dim_value;
        for (size_t d = 1; d < sh->n_dim; d++) {
            const Onnx__TensorShapeProto__Dimension *dim = sh->dim[d];
            if (dim->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || dim->dim_value < 1 ||
                dim->dim_value > (1 << 24))
                return ax_fail(AX_ERR_UNSUPPORTED, "%s: input '%s': dimension %zu must be a size (only the batch may be "
                               "symbolic)", im->path, vi->name, d);
            xs.dim[d] = dim->dim_value;
        }
        value *v = define(im, vi->name);
        if (!v)
            return AX_ERR_FORMAT;
        input = v->node = ax_input(im->g, vi->name, xs);
        if (!input)
            return ax_graph_status(im->g);
    }
    if (s == AX_OK && !input)
        s = ax_fail(AX_ERR_FORMAT, "%s: the graph has no input", im->path);
    for (size_t i = 0; s == AX_OK && i < gp->n_node; i++) {
        im->at = gp->node[i];
        if (!im->at->op_type)
            s = node_error(im, "no op type");
        else
            s = node_op(im, im->at);
    }
    im->at = NULL;
    if (s != AX_OK)
        return s;
    if (gp->n_output < 1)
        return ax_fail(AX_ERR_FORMAT, "%s: the graph has no output", im->path);
    value *o = find(im, gp->output[0]->name);
    if (!o || o->is_const)
        return ax_fail(AX_ERR_UNSUPPORTED, "%s: output '%s' is %s", im->path, gp->output[0]->name,
                       o ? "a constant" : "made by no node");
    *out = (ax_model){.graph = im->g, .input = input, .output = o->node};
    return AX_OK;
}

ax_status ax_onnx_import(const char *path, int64_t batch, ax_model *out)
{
    memset(out, 0, sizeof *out);
    if (batch < 1)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: batch %lld", path, (long long)batch);
    uint8_t *data = NULL;
    size_t len = 0;
    ax_status s = read_file(path, &data, &len);
    Onnx__ModelProto *m = s == AX_OK ? parse(path, data, len, &s) : NULL;
    importer im = {.path = path, .batch = batch};
    if (s == AX_OK)
        s = opset_of(path, m, &im.opset);
    if (s == AX_OK)
        s = ax_graph_new(&im.g);
    if (s == AX_OK)
        s = build(&im, m->graph, out);
    if (s != AX_OK) {
        ax_graph_free(im.g);
        memset(out, 0, sizeof *out);
    }
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    ax_free(data);
    onnx_pool_free(&im.pool);
    return s;
}

ax_status ax_onnx_load_weights(const char *path, ax_graph *g, int *loaded)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int count = 0;
    ax_status s = read_file(path, &data, &len);
    Onnx__ModelProto *m = s == AX_OK ? parse(path, data, len, &s) : NULL;
    importer im = {.path = path, .batch = 1};
    for (size_t i = 0; s == AX_OK && i < m->graph->n_initializer; i++) {
        const Onnx__TensorProto *t = m->graph->initializer[i];
        ax_node *p = t->name ? ax_graph_find(g, t->name) : NULL;
        if (!p || (strcmp(ax_node_op(p), "param") && strcmp(ax_node_op(p), "buffer")))
            continue;
        value v = {.name = t->name};
        char what[300];
        snprintf(what, sizeof what, "initializer '%s'", t->name);
        if ((s = read_tensor(&im, t, &v, what)) != AX_OK)
            break;
        const ax_shape ps = ax_node_shape(p);
        int same = v.elem == F32 && v.ndim == ps.ndim;
        for (int d = 0; same && d < ps.ndim; d++)
            same = v.dims[d] == ps.dim[d];
        if (same && (s = ax_node_write(p, v.f, v.numel)) == AX_OK)
            count++;
    }
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    ax_free(data);
    onnx_pool_free(&im.pool);
    if (loaded)
        *loaded = s == AX_OK ? count : 0;
    return s;
}
