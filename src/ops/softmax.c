/* softmax along the last axis: y_i = exp(x_i - max x) / sum_j exp(x_j - max x).
 * Backward: dx_i = y_i (dy_i - sum_j dy_j y_j). */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

#include <math.h>

static ax_status infer(ax_node *n)
{
    if (n->in[0]->shape.ndim < 1)
        return ax_fail(AX_ERR_SHAPE, "softmax needs rank >= 1");
    n->shape = n->in[0]->shape;
    return AX_OK;
}

/* Writes the softmax of each row of x (rows x c) into y. Shared with the
 * fused softmax cross-entropy. */
void ax_softmax_rows(int64_t rows, int64_t c, const float *x, float *y)
{
#pragma omp parallel for if (rows * c >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        float m = ax_k_max(c, xr);
        float sum = 0.0f;
        for (int64_t i = 0; i < c; i++) {
            yr[i] = expf(xr[i] - m);
            sum += yr[i];
        }
        float inv = 1.0f / sum;
        for (int64_t i = 0; i < c; i++)
            yr[i] *= inv;
    }
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t c = n->shape.dim[n->shape.ndim - 1];
    ax_softmax_rows(ax_numel(n) / c, c, n->in[0]->data, n->data);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t c = n->shape.dim[n->shape.ndim - 1];
    int64_t rows = ax_numel(n) / c;
    for (int64_t r = 0; r < rows; r++) {
        const float *y = n->data + r * c, *dy = n->grad + r * c;
        float *dx = n->in[0]->grad + r * c;
        float dot = (float)ax_k_dot(c, dy, y);
        for (int64_t i = 0; i < c; i++)
            dx[i] += y[i] * (dy[i] - dot);
    }
}

const ax_op_def ax_op_softmax = {"softmax", 1, 1, infer, NULL, forward, backward};
