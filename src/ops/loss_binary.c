/* Binary cross-entropy, element by element, target t in [0, 1]:
 *   binary_cross_entropy             on probabilities p:
 *       -(t log p + (1 - t) log(1 - p)), each log clamped at -100 (as PyTorch)
 *       d/dp = (p - t) / (p (1 - p)) (p kept off 0 and 1 by 1e-12)
 *   binary_cross_entropy_with_logits on logits x, stable for any x:
 *       max(x, 0) - x t + log(1 + e^-|x|);  d/dx = sigmoid(x) - t;  d/dt = -x
 * Attribute reduction: 0 = mean (default), 1 = sum. */
#include "ops/op.h"

#include <math.h>

static ax_status infer(ax_node *n)
{
    ax_status s = ax_check_same_shapes(n, "prediction", "target");
    n->shape = ax_shape0();
    return s;
}

static float scale(const ax_node *n)
{
    return ax_attr_int(n, 0) == 1 ? 1.0f : 1.0f / (float)ax_numel(n->in[0]);
}

static ax_status bce_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *p = n->in[0]->data, *t = n->in[1]->data;
    int64_t count = ax_numel(n->in[0]);
    double sum = 0.0;
    for (int64_t i = 0; i < count; i++) {
        if (!(p[i] >= 0.0f && p[i] <= 1.0f))
            return ax_fail(AX_ERR_INVALID_ARG,
                           "binary_cross_entropy: prediction %g at %lld is not a probability "
                           "(use binary_cross_entropy_with_logits on raw scores)",
                           (double)p[i], (long long)i);
        double lp = fmax(log(p[i]), -100.0), lq = fmax(log1p(-(double)p[i]), -100.0);
        sum -= t[i] * lp + (1.0 - t[i]) * lq;
    }
    n->data[0] = (float)(sum * scale(n));
    return AX_OK;
}

static void bce_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *pn = n->in[0], *tn = n->in[1];
    const float g = n->grad[0] * scale(n);
    int64_t count = ax_numel(pn);
    if (pn->needs_grad)
        ax_grad_prepare(pn);
    if (tn->needs_grad)
        ax_grad_prepare(tn);
    for (int64_t i = 0; i < count; i++) {
        double p = pn->data[i], t = tn->data[i];
        double pc = fmin(fmax(p, 1e-12), 1.0 - 1e-12);
        if (pn->needs_grad)
            pn->grad[i] += g * (float)((pc - t) / (pc * (1.0 - pc)));
        if (tn->needs_grad)
            tn->grad[i] += g * (float)(fmax(log1p(-p), -100.0) - fmax(log(p), -100.0));
    }
}

static ax_status logits_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const float *x = n->in[0]->data, *t = n->in[1]->data;
    int64_t count = ax_numel(n->in[0]);
    double sum = 0.0;
    for (int64_t i = 0; i < count; i++)
        sum += fmaxf(x[i], 0.0f) - x[i] * t[i] + log1pf(expf(-fabsf(x[i])));
    n->data[0] = (float)(sum * scale(n));
    return AX_OK;
}

static void logits_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *xn = n->in[0], *tn = n->in[1];
    const float g = n->grad[0] * scale(n);
    int64_t count = ax_numel(xn);
    if (xn->needs_grad)
        ax_grad_prepare(xn);
    if (tn->needs_grad)
        ax_grad_prepare(tn);
    for (int64_t i = 0; i < count; i++) {
        float x = xn->data[i];
        if (xn->needs_grad)
            xn->grad[i] += g * (1.0f / (1.0f + expf(-x)) - tn->data[i]);
        if (tn->needs_grad)
            tn->grad[i] -= g * x;
    }
}

static const ax_attr_schema attrs[] = {{"reduction", AX_ATTR_INT, 0, 0, 1, "0: the mean over the batch, 1: the sum"}};
const ax_op_def ax_op_binary_cross_entropy = {
    .schema = {.name = "binary_cross_entropy", .doc = "-(t log p + (1 - t) log(1 - p)) on probabilities p",
               .inputs = "p t", .min_inputs = 2, .max_inputs = 2, AX_ATTRS(attrs)},
    .infer = infer, .forward = bce_forward, .backward = bce_backward};
const ax_op_def ax_op_binary_cross_entropy_with_logits = {
    .schema = {.name = "binary_cross_entropy_with_logits",
               .doc = "binary cross-entropy on logits, stable for any x", .inputs = "x t", .min_inputs = 2,
               .max_inputs = 2, AX_ATTRS(attrs)},
    .infer = infer, .forward = logits_forward, .backward = logits_backward};
