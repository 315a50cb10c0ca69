/* transpose: the sample's axes reordered, PyTorch's permute: output axis d
 * is input axis perm[d]. perm lists every axis once and keeps the batch
 * first (perm[0] = 0). The gradient is the inverse permutation of dy. */
#include "ops/op.h"

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    int seen[AX_MAX_DIMS] = {0};
    int ok = n->list_n == x->ndim && n->list[0] == 0;
    for (int d = 0; ok && d < n->list_n; d++) {
        ok = n->list[d] >= 0 && n->list[d] < x->ndim && !seen[n->list[d]];
        if (ok)
            seen[n->list[d]] = 1;
    }
    if (!ok)
        return ax_fail(AX_ERR_SHAPE, "perm must order all %d axes of the input, batch first (perm=0,...)", x->ndim);
    n->shape.ndim = x->ndim;
    for (int d = 0; d < x->ndim; d++)
        n->shape.dim[d] = x->dim[n->list[d]];
    return AX_OK;
}

/* Walks the output in order; `at` is the matching input offset. */
static void walk(const ax_node *n, float *dst_out, const float *src_in, float *dst_in, const float *src_out)
{
    const ax_shape *x = &n->in[0]->shape;
    const int nd = x->ndim;
    int64_t in_stride[AX_MAX_DIMS], st[AX_MAX_DIMS], idx[AX_MAX_DIMS] = {0};
    int64_t step = 1;
    for (int d = nd - 1; d >= 0; d--) {
        in_stride[d] = step;
        step *= x->dim[d];
    }
    for (int d = 0; d < nd; d++)
        st[d] = in_stride[n->list[d]];
    const int64_t count = ax_numel(n);
    int64_t at = 0;
    for (int64_t i = 0; i < count; i++) {
        if (dst_out)
            dst_out[i] = src_in[at];
        else
            dst_in[at] += src_out[i];
        for (int d = nd - 1; d >= 0; d--) {
            at += st[d];
            if (++idx[d] < n->shape.dim[d])
                break;
            at -= st[d] * idx[d];
            idx[d] = 0;
        }
    }
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    walk(n, n->data, n->in[0]->data, NULL, NULL);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_grad_prepare(n->in[0]);
    walk(n, NULL, NULL, n->in[0]->grad, n->grad);
}

static const ax_attr_schema attrs[] = {
    {"perm", AX_ATTR_INTS, 0, 0, AX_MAX_DIMS - 1, "output axis d is input axis perm[d]; perm[0] = 0"}};
const ax_op_def ax_op_transpose = {
    .schema = {.name = "transpose", .doc = "the axes reordered (PyTorch's permute), the batch kept first",
               .inputs = "x", .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .forward = forward, .backward = backward};
