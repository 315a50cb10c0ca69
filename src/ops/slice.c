/* slice: the entries start, start + step, ... (below end) of one axis of
 * the sample (axis >= 1; the batch is never sliced), as Python's
 * x[:, start:end:step] along that axis: negative start and end count from
 * the axis's end, both are clamped to it, step >= 1. The gradient goes
 * back to the entries taken; the others get 0. */
#include "ops/op.h"

#include <string.h>

enum { AXIS, START, END, STEP };

/* The axis, first entry and count, from the attributes and x's shape. */
static ax_status range(const ax_node *n, int *axis, int64_t *first, int64_t *count)
{
    const ax_shape *x = &n->in[0]->shape;
    int a = (int)ax_attr_int(n, AXIS);
    a = a < 0 ? a + x->ndim : a;
    if (a < 1 || a >= x->ndim)
        return ax_fail(AX_ERR_SHAPE, "axis %lld is not one of the sample's axes 1..%d", (long long)ax_attr_int(n, AXIS),
                       x->ndim - 1);
    const int64_t len = x->dim[a], step = ax_attr_int(n, STEP);
    int64_t lo = ax_attr_int(n, START), hi = ax_attr_int(n, END);
    lo = lo < 0 ? lo + len : lo;
    hi = hi < 0 ? hi + len : hi;
    lo = lo < 0 ? 0 : lo > len ? len : lo;
    hi = hi < 0 ? 0 : hi > len ? len : hi;
    *axis = a;
    *first = lo;
    *count = hi > lo ? (hi - lo + step - 1) / step : 0;
    if (*count == 0)
        return ax_fail(AX_ERR_SHAPE, "the slice %lld:%lld:%lld of an axis of %lld is empty",
                       (long long)ax_attr_int(n, START), (long long)ax_attr_int(n, END), (long long)step, (long long)len);
    return AX_OK;
}

static ax_status infer(ax_node *n)
{
    int a = 1;
    int64_t first = 0, count = 0;
    ax_status s = range(n, &a, &first, &count);
    if (s != AX_OK)
        return s;
    n->shape = n->in[0]->shape;
    n->shape.dim[a] = count;
    return AX_OK;
}

/* x as [outer, len, inner] around the axis */
static void dims(const ax_node *n, int a, int64_t *outer, int64_t *len, int64_t *inner)
{
    const ax_shape *x = &n->in[0]->shape;
    *outer = *inner = 1;
    for (int d = 0; d < a; d++)
        *outer *= x->dim[d];
    for (int d = a + 1; d < x->ndim; d++)
        *inner *= x->dim[d];
    *len = x->dim[a];
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int a = 1;
    int64_t first = 0, count = 0, outer, len, inner;
    (void)range(n, &a, &first, &count); /* checked by infer */
    dims(n, a, &outer, &len, &inner);
    const int64_t step = ax_attr_int(n, STEP);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < count; j++)
            memcpy(n->data + (o * count + j) * inner, n->in[0]->data + (o * len + first + j * step) * inner,
                   (size_t)inner * sizeof(float));
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int a = 1;
    int64_t first = 0, count = 0, outer, len, inner;
    (void)range(n, &a, &first, &count); /* checked by infer */
    dims(n, a, &outer, &len, &inner);
    const int64_t step = ax_attr_int(n, STEP);
    ax_grad_prepare(n->in[0]);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < count; j++) {
            const float *dy = n->grad + (o * count + j) * inner;
            float *dx = n->in[0]->grad + (o * len + first + j * step) * inner;
            for (int64_t k = 0; k < inner; k++)
                dx[k] += dy[k];
        }
}

static const ax_attr_schema attrs[] = {
    {"axis", AX_ATTR_INT, 1, -AX_MAX_DIMS, AX_MAX_DIMS - 1, "the axis sliced (>= 1, or negative from the end)"},
    {"start", AX_ATTR_INT, 0, -AX_NUMEL_BOUND, AX_NUMEL_BOUND, "the first entry (negative: from the end)"},
    {"end", AX_ATTR_INT, AX_NUMEL_BOUND, -AX_NUMEL_BOUND, AX_NUMEL_BOUND, "one past the last (negative: from the end)"},
    {"step", AX_ATTR_INT, 1, 1, AX_NUMEL_BOUND, "the stride"}};
const ax_op_def ax_op_slice = {
    .schema = {.name = "slice", .doc = "x[:, start:end:step] along one sample axis", .inputs = "x", .min_inputs = 1,
               .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .forward = forward, .backward = backward};
