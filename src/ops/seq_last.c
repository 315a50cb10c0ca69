/* seq_last: each sample's last valid step, x [N, T, ...] with lengths [N]
 * (whole numbers 1..T) -> [N, ...], out[i] = x[i, lengths[i] - 1] (the
 * final state of a recurrent layer over padded sequences; without
 * lengths, slice the last step). The gradient goes to the steps taken. */
#include "ops/op.h"

#include <math.h>
#include <string.h>

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *len = &n->in[1]->shape;
    char a[96], b[96];
    if (x->ndim < 3 || len->ndim != 1 || len->dim[0] != x->dim[0])
        return ax_fail(AX_ERR_SHAPE, "needs x [N, T, ...] and lengths [N], got %s and %s", ax_shape_str(x, a, sizeof a),
                       ax_shape_str(len, b, sizeof b));
    n->shape = (ax_shape){x->ndim - 1, {x->dim[0]}};
    for (int d = 2; d < x->ndim; d++)
        n->shape.dim[d - 1] = x->dim[d];
    return AX_OK;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int64_t N = n->shape.dim[0], T = n->in[0]->shape.dim[1], F = ax_numel(n) / N;
    const float *len = n->in[1]->data;
    for (int64_t i = 0; i < N; i++) {
        if (!(len[i] >= 1.0f && len[i] <= (float)T && len[i] == floorf(len[i])))
            return ax_fail(AX_ERR_INVALID_ARG, "lengths[%lld] is %g: a sample's length must be a whole number from 1 to %lld",
                           (long long)i, (double)len[i], (long long)T);
        memcpy(n->data + i * F, n->in[0]->data + (i * T + (int64_t)len[i] - 1) * F, (size_t)F * sizeof(float));
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *x = n->in[0];
    if (!x->needs_grad)
        return;
    const int64_t N = n->shape.dim[0], T = x->shape.dim[1], F = ax_numel(n) / N;
    ax_grad_prepare(x);
    for (int64_t i = 0; i < N; i++) {
        float *dx = x->grad + (i * T + (int64_t)n->in[1]->data[i] - 1) * F;
        const float *dy = n->grad + i * F;
        for (int64_t j = 0; j < F; j++)
            dx[j] += dy[j];
    }
}

const ax_op_def ax_op_seq_last = {
    .schema = {.name = "seq_last", .doc = "each sample's last valid step: x[i, lengths[i] - 1]",
               .inputs = "x lengths", .min_inputs = 2, .max_inputs = 2},
    .infer = infer, .forward = forward, .backward = backward};
