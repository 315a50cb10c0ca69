/* scale: y = alpha * x, element by element. A model with several heads
 * weighs each head's loss with it before summing them (the total loss). */
#include "ops/op.h"


static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float alpha = ax_attr_float(n, 0), *x = n->in[0]->data;
    const int64_t count = ax_numel(n);
    for (int64_t i = 0; i < count; i++)
        n->data[i] = alpha * x[i];
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *x = n->in[0];
    if (!x->needs_grad)
        return;
    const float alpha = ax_attr_float(n, 0), *dy = n->grad;
    const int64_t count = ax_numel(n);
    const int add = ax_grad_accumulate(x);
    for (int64_t i = 0; i < count; i++)
        x->grad[i] = (add ? x->grad[i] : 0.0f) + alpha * dy[i];
}

static const ax_attr_schema attrs[] = {{"alpha", AX_ATTR_FLOAT, 1, -AX_BIG, AX_BIG, "the factor"}};
const ax_op_def ax_op_scale = {
    .schema = {.name = "scale", .doc = "alpha * x, element by element (a head's loss weight)", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = ax_infer_same, .forward = forward, .backward = backward};
