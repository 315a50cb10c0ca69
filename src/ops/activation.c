/* Element-wise activations: relu, sigmoid, tanh. Backward passes use the
 * saved output where the derivative is cheapest in it:
 *   relu'    = 1 if x > 0 else 0   (0 at x = 0, as PyTorch)
 *   sigmoid' = y (1 - y)
 *   tanh'    = 1 - y^2 */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

#include <math.h>

static ax_status infer_same(ax_node *n)
{
    n->shape = n->in[0]->shape;
    return AX_OK;
}

static ax_status relu_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *x = n->in[0]->data;
    float *y = n->data;
    int64_t count = ax_numel(n);
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    return AX_OK;
}

static void relu_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *y = n->data, *dy = n->grad;
    float *dx = n->in[0]->grad;
    int64_t count = ax_numel(n);
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++) {
        float d = dy[i]; /* loaded unconditionally so the loop vectorises */
        dx[i] += y[i] > 0.0f ? d : 0.0f;
    }
}

static ax_status sigmoid_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *x = n->in[0]->data;
    float *y = n->data;
    int64_t count = ax_numel(n);
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
    return AX_OK;
}

static void sigmoid_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *y = n->data, *dy = n->grad;
    float *dx = n->in[0]->grad;
    int64_t count = ax_numel(n);
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++)
        dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

static ax_status tanh_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *x = n->in[0]->data;
    float *y = n->data;
    int64_t count = ax_numel(n);
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++)
        y[i] = tanhf(x[i]);
    return AX_OK;
}

static void tanh_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *y = n->data, *dy = n->grad;
    float *dx = n->in[0]->grad;
    int64_t count = ax_numel(n);
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < count; i++)
        dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

const ax_op_def ax_op_relu = {"relu", 1, 1, infer_same, NULL, relu_forward, relu_backward};
const ax_op_def ax_op_sigmoid = {"sigmoid", 1, 1, infer_same, NULL, sigmoid_forward, sigmoid_backward};
const ax_op_def ax_op_tanh = {"tanh", 1, 1, infer_same, NULL, tanh_forward, tanh_backward};
