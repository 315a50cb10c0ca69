/* Regression losses on d = prediction - target, element by element:
 *   mse    d^2                       mean by default
 *   sse    d^2 / 2, summed           (the course's 1/2 sum form; no reduction)
 *   mae    |d|                       mean by default
 *   huber  d^2 / 2 if |d| < delta, else delta (|d| - delta / 2)   (attribute delta, 1)
 * Attribute reduction: 0 = mean over elements (default), 1 = sum (not sse).
 * The gradient goes to both the prediction (+) and the target (-). */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <math.h>

typedef enum { MSE, SSE, MAE, HUBER } kind;
enum { REDUCTION, DELTA };

static ax_status infer(ax_node *n)
{
    ax_status s = ax_check_same_shapes(n, "prediction", "target");
    if (s != AX_OK)
        return s;
    n->shape = ax_shape0();
    return AX_OK;
}

static double scale(const ax_node *n, kind k)
{
    if (k == SSE)
        return 0.5;
    return ax_attr_int(n, REDUCTION) == 1 ? 1.0 : 1.0 / (double)ax_numel(n->in[0]);
}

static ax_status forward(ax_node *n, kind k)
{
    const float *p = n->in[0]->data, *t = n->in[1]->data;
    const float delta = ax_attr_float(n, DELTA);
    int64_t count = ax_numel(n->in[0]);
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < count; i++) {
        double d = (double)p[i] - t[i], a = fabs(d);
        sum += k == MAE ? a : (k == HUBER && a >= delta) ? delta * (a - 0.5 * delta)
                          : k == HUBER ? 0.5 * d * d : d * d;
    }
    n->data[0] = (float)(sum * scale(n, k));
    return AX_OK;
}

static void backward(ax_node *n, kind k)
{
    ax_node *p = n->in[0], *t = n->in[1];
    const float delta = ax_attr_float(n, DELTA);
    const float g = n->grad[0] * (float)scale(n, k);
    int64_t count = ax_numel(p);
    for (int side = 0; side < 2; side++) {
        ax_node *target = side == 0 ? p : t;
        if (!target->needs_grad)
            continue;
        ax_grad_prepare(target);
        const float s = side == 0 ? g : -g;
        float *dst = target->grad;
#pragma omp simd
        for (int64_t i = 0; i < count; i++) {
            float d = p->data[i] - t->data[i];
            float sign = (float)((d > 0.0f) - (d < 0.0f));
            float dl = k == MAE ? sign : k == HUBER ? (fabsf(d) < delta ? d : delta * sign) : 2.0f * d;
            dst[i] += s * dl;
        }
    }
}

static const ax_attr_schema reduction[] = {{"reduction", AX_ATTR_INT, 0, 0, 1, "0: the mean over the batch, 1: the sum"}};
static const ax_attr_schema huber_attrs[] = {
    {"reduction", AX_ATTR_INT, 0, 0, 1, "0: the mean over the batch, 1: the sum"},
    {"delta", AX_ATTR_FLOAT, 1.0, 1e-30, AX_BIG, "where the square turns linear"}};

#define NO_ATTRS .attrs = NULL
#define LOSS(OP, K, ATTRS, DOC)                                                                  \
    static ax_status OP##_fwd(ax_node *n, const ax_run_ctx *c) { (void)c; return forward(n, K); } \
    static void OP##_bwd(ax_node *n, const ax_run_ctx *c) { (void)c; backward(n, K); }          \
    const ax_op_def ax_op_##OP = {                                                               \
        .schema = {.name = #OP, .doc = DOC, .inputs = "prediction target", .min_inputs = 2, .max_inputs = 2, ATTRS}, \
        .infer = infer, .forward = OP##_fwd, .backward = OP##_bwd};

LOSS(mse, MSE, AX_ATTRS(reduction), "(p - t)^2, the mean by default")
LOSS(sse, SSE, NO_ATTRS, "sum (p - t)^2 / 2, the course's form")
LOSS(mae, MAE, AX_ATTRS(reduction), "|p - t|, the mean by default")
LOSS(huber, HUBER, AX_ATTRS(huber_attrs), "d^2 / 2 for |d| < delta, else delta (|d| - delta / 2)")
