/* embedding: rows of a table by index (a gather), PyTorch's Embedding.
 * Inputs: indices [N, ...] (whole numbers stored as floats, each in
 * 0..V-1) and weight [V, D]; output [N, ..., D], row k is weight[index k].
 * The gradient goes to the weight only (scatter-add: rows taken several
 * times add up, in index order, so the same bits for any thread count);
 * indices get none. */
#include "ops/op.h"

#include <math.h>
#include <string.h>

static ax_status infer(ax_node *n)
{
    const ax_shape *ix = &n->in[0]->shape, *w = &n->in[1]->shape;
    char si[96], sw[96];
    if (w->ndim != 2 || ix->ndim + 1 > AX_MAX_DIMS)
        return ax_fail(AX_ERR_SHAPE, "needs indices of rank <= %d and a weight [V, D]; got %s and %s", AX_MAX_DIMS - 1,
                       ax_shape_str(ix, si, sizeof si), ax_shape_str(w, sw, sizeof sw));
    n->shape = *ix;
    n->shape.dim[n->shape.ndim++] = w->dim[1];
    return AX_OK;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int64_t count = ax_numel(n->in[0]), V = n->in[1]->shape.dim[0], D = n->in[1]->shape.dim[1];
    const float *ix = n->in[0]->data, *w = n->in[1]->data;
    for (int64_t k = 0; k < count; k++) {
        const float v = ix[k];
        if (!(v >= 0.0f && v < (float)V && v == floorf(v)))
            return ax_fail(AX_ERR_INVALID_ARG, "embedding: index %g at %lld is not a row of the %lld-row table",
                           (double)v, (long long)k, (long long)V);
        memcpy(n->data + k * D, w + (int64_t)v * D, (size_t)D * sizeof(float));
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *w = n->in[1];
    if (!w->needs_grad)
        return;
    const int64_t count = ax_numel(n->in[0]), D = w->shape.dim[1];
    ax_grad_prepare(w);
    for (int64_t k = 0; k < count; k++) {
        float *row = w->grad + (int64_t)n->in[0]->data[k] * D;
        const float *dy = n->grad + k * D;
        for (int64_t j = 0; j < D; j++)
            row[j] += dy[j];
    }
}

const ax_op_def ax_op_embedding = {
    .schema = {.name = "embedding", .doc = "the weight's rows picked by index (a gather; scatter-add backward)",
               .inputs = "indices weight", .min_inputs = 2, .max_inputs = 2},
    .infer = infer, .forward = forward, .backward = backward};
