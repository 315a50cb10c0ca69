/* mse: mean over all elements of (p - t)^2. Output: a scalar.
 * Gradient: d/dp = 2 (p - t) / count, d/dt = -2 (p - t) / count. */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

static ax_status infer(ax_node *n)
{
    const ax_shape *p = &n->in[0]->shape, *t = &n->in[1]->shape;
    char sp[96], st[96];
    if (!ax_shape_equal(p, t))
        return ax_fail(AX_ERR_SHAPE, "prediction %s and target %s differ in shape",
                       ax_shape_str(p, sp, sizeof sp), ax_shape_str(t, st, sizeof st));
    n->shape = ax_shape0();
    return AX_OK;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *p = n->in[0]->data, *t = n->in[1]->data;
    int64_t count = ax_numel(n->in[0]);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < count; i++) {
        double d = (double)p[i] - t[i];
        sum += d * d;
    }
    n->data[0] = (float)(sum / (double)count);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *p = n->in[0], *t = n->in[1];
    int64_t count = ax_numel(p);
    float g = 2.0f * n->grad[0] / (float)count;
    for (int side = 0; side < 2; side++) {
        ax_node *target = side == 0 ? p : t;
        if (!target->needs_grad)
            continue;
        float s = side == 0 ? g : -g;
        float *d = target->grad;
        for (int64_t i = 0; i < count; i++)
            d[i] += s * (p->data[i] - t->data[i]);
    }
}

const ax_op_def ax_op_mse = {"mse", 2, 2, infer, NULL, forward, backward};
