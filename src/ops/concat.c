/* concat: any number of tensors joined along one sample axis (axis >= 1,
 * or negative from the end; by default 1, the channels or features); all
 * other dimensions must agree. The gradient is split back the same way. */
#include "ops/op.h"

#include <string.h>

static int axis_of(const ax_node *n)
{
    const int nd = n->in[0]->shape.ndim, a = (int)ax_attr_int(n, 0);
    return a < 0 ? a + nd : a;
}

static ax_status infer(ax_node *n)
{
    const ax_shape *a = &n->in[0]->shape;
    char sa[96], sb[96];
    const int ax = axis_of(n);
    if (ax < 1 || ax >= a->ndim)
        return ax_fail(AX_ERR_SHAPE, "axis %lld is not one of the sample's axes of %s", (long long)ax_attr_int(n, 0),
                       ax_shape_str(a, sa, sizeof sa));
    ax_shape s = *a;
    for (int i = 1; i < n->n_in; i++) {
        const ax_shape *b = &n->in[i]->shape;
        int ok = b->ndim == a->ndim;
        for (int d = 0; ok && d < a->ndim; d++)
            ok = d == ax || a->dim[d] == b->dim[d];
        if (!ok)
            return ax_fail(AX_ERR_SHAPE, "input %d %s does not match input 0 %s outside axis %d", i,
                           ax_shape_str(b, sb, sizeof sb), ax_shape_str(a, sa, sizeof sa), ax);
        s.dim[ax] += b->dim[ax];
    }
    n->shape = s;
    return AX_OK;
}

/* Rows of [outer, width] per tensor: outer = the axes before the joined
 * one, width = its length times the axes after it. */
static int64_t outer_of(const ax_node *t, int ax)
{
    int64_t o = 1;
    for (int d = 0; d < ax; d++)
        o *= t->shape.dim[d];
    return o;
}
static int64_t width(const ax_node *t, int ax) { return ax_shape_numel(&t->shape) / outer_of(t, ax); }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int ax = axis_of(n);
    const int64_t rows = outer_of(n, ax), total = width(n, ax);
    for (int64_t r = 0; r < rows; r++) {
        int64_t off = 0;
        for (int i = 0; i < n->n_in; i++) {
            const int64_t w = width(n->in[i], ax);
            memcpy(n->data + r * total + off, n->in[i]->data + r * w, (size_t)w * sizeof(float));
            off += w;
        }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int ax = axis_of(n);
    const int64_t rows = outer_of(n, ax), total = width(n, ax);
    int64_t off = 0;
    for (int i = 0; i < n->n_in; i++) {
        const int64_t w = width(n->in[i], ax);
        if (n->in[i]->needs_grad) {
            ax_grad_prepare(n->in[i]);
            for (int64_t r = 0; r < rows; r++) {
                const float *dy = n->grad + r * total + off;
                float *dx = n->in[i]->grad + r * w;
#pragma omp simd
                for (int64_t k = 0; k < w; k++)
                    dx[k] += dy[k];
            }
        }
        off += w;
    }
}

static const ax_attr_schema attrs[] = {
    {"axis", AX_ATTR_INT, 1, -AX_MAX_DIMS, AX_MAX_DIMS - 1, "the axis joined along (>= 1, or negative from the end)"}};
const ax_op_def ax_op_concat = {
    .schema = {.name = "concat", .doc = "tensors joined along one sample axis", .inputs = "x0 x1 [x2 ...]",
               .min_inputs = 2, .max_inputs = AX_MAX_INPUTS, AX_ATTRS(attrs)},
    .infer = infer, .forward = forward, .backward = backward};
