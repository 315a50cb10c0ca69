/* penalty: l1 sum |w| + l2 sum w^2 of one tensor (attributes l1, l2),
 * a scalar to add to a loss. d/dw = l1 sign(w) + 2 l2 w (0 at w = 0 for
 * the l1 part, as a subgradient). */
#include "ops/op.h"

#include <math.h>

static ax_status infer(ax_node *n)
{
    n->shape = ax_shape0();
    return AX_OK;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float l1 = ax_attr_float(n, 0), l2 = ax_attr_float(n, 1);
    const float *w = n->in[0]->data;
    double a = 0.0, s = 0.0;
    int64_t count = ax_numel(n->in[0]);
#pragma omp simd reduction(+ : a, s)
    for (int64_t i = 0; i < count; i++) {
        a += fabsf(w[i]);
        s += (double)w[i] * w[i];
    }
    n->data[0] = (float)(l1 * a + l2 * s);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float g = n->grad[0], l1 = g * ax_attr_float(n, 0), l2 = 2.0f * g * ax_attr_float(n, 1);
    const float *w = n->in[0]->data;
    ax_grad_prepare(n->in[0]);
    float *dw = n->in[0]->grad;
    int64_t count = ax_numel(n->in[0]);
#pragma omp simd
    for (int64_t i = 0; i < count; i++)
        dw[i] += l1 * (float)((w[i] > 0.0f) - (w[i] < 0.0f)) + l2 * w[i];
}

static const ax_attr_schema attrs[] = {{"l1", AX_ATTR_FLOAT, 0, 0, AX_BIG, "the weight of sum |w|"},
                                        {"l2", AX_ATTR_FLOAT, 0, 0, AX_BIG, "the weight of sum w^2"}};
const ax_op_def ax_op_penalty = {
    .schema = {.name = "penalty", .doc = "l1 sum |w| + l2 sum w^2, a scalar to add to a loss", .inputs = "w",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .forward = forward, .backward = backward};
