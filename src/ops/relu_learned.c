/* ReLU variants with a slope that is not a constant: prelu (a learned
 * slope per channel) and rrelu (a random slope per element in training).
 *
 * prelu: inputs x [N, C, ...] and a [C] (or [1]: one shared slope);
 *   y = x if x > 0 else a_c x;  dy/dx = 1 or a_c;  dy/da_c = sum of x where x <= 0.
 * rrelu: attributes lower (1/8) and upper (1/3). Training: y = x if x >= 0
 *   else s x with s ~ U(lower, upper) drawn per element (kept in scratch for
 *   the backward pass); eval: s = (lower + upper) / 2 (Xu et al. 2015). */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

static ax_status prelu_infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *a = &n->in[1]->shape;
    char sx[96], sa[96];
    int64_t c = x->ndim >= 2 ? x->dim[1] : 1;
    if (a->ndim != 1 || (a->dim[0] != c && a->dim[0] != 1))
        return ax_fail(AX_ERR_SHAPE, "slope %s must be [1] or [C] for input %s",
                       ax_shape_str(a, sa, sizeof sa), ax_shape_str(x, sx, sizeof sx));
    n->shape = *x;
    return AX_OK;
}

/* x as [outer, C, inner]; the slope index of channel j. */
static void prelu_dims(const ax_node *n, int64_t *outer, int64_t *c, int64_t *inner)
{
    const ax_shape *s = &n->shape;
    *outer = s->dim[0];
    *c = s->ndim >= 2 ? s->dim[1] : 1;
    *inner = ax_numel(n) / (*outer * *c);
}

static ax_status prelu_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t outer, c, inner;
    prelu_dims(n, &outer, &c, &inner);
    const float *x = n->in[0]->data, *a = n->in[1]->data;
    int shared = n->in[1]->shape.dim[0] == 1;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < c; j++) {
            const float aj = a[shared ? 0 : j];
            const float *xs = x + (o * c + j) * inner;
            float *ys = n->data + (o * c + j) * inner;
#pragma omp simd
            for (int64_t i = 0; i < inner; i++)
                ys[i] = xs[i] > 0.0f ? xs[i] : aj * xs[i];
        }
    return AX_OK;
}

static void prelu_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t outer, c, inner;
    prelu_dims(n, &outer, &c, &inner);
    ax_node *xn = n->in[0], *an = n->in[1];
    int shared = an->shape.dim[0] == 1;
    if (xn->needs_grad)
        ax_grad_prepare(xn);
    if (an->needs_grad)
        ax_grad_prepare(an);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < c; j++) {
            const float aj = an->data[shared ? 0 : j];
            const int64_t base = (o * c + j) * inner;
            const float *xs = xn->data + base, *dy = n->grad + base;
            if (xn->needs_grad) {
                float *dx = xn->grad + base;
#pragma omp simd
                for (int64_t i = 0; i < inner; i++)
                    dx[i] += xs[i] > 0.0f ? dy[i] : aj * dy[i];
            }
            if (an->needs_grad) {
                float s = 0.0f;
#pragma omp simd reduction(+ : s)
                for (int64_t i = 0; i < inner; i++)
                    s += xs[i] > 0.0f ? 0.0f : xs[i] * dy[i];
                an->grad[shared ? 0 : j] += s;
            }
        }
}

static size_t rrelu_scratch(const ax_node *n) { return (size_t)ax_numel(n); }

static ax_status rrelu_forward(ax_node *n, const ax_run_ctx *ctx)
{
    const float lo = ax_attr_float(n, 0), hi = ax_attr_float(n, 1);
    if (!(lo <= hi))
        return ax_fail(AX_ERR_INVALID_ARG, "rrelu: lower %g is above upper %g", (double)lo, (double)hi);
    const float *x = n->in[0]->data;
    float *slope = n->scratch;
    const int64_t count = ax_numel(n), rows = n->shape.dim[0], per_row = rows ? count / rows : 0;
    const uint64_t key = ctx->training ? ax_pass_key(ctx) : 0;
    for (int64_t r = 0; r < rows; r++) {
        /* each sample's slopes from its own stream, drawn for every element
         * so the stream advances the same way whatever the data */
        ax_rng rng = ax_row_rng(ctx, key, r);
        for (int64_t i = r * per_row; i < (r + 1) * per_row; i++) {
            float s = ctx->training ? lo + (hi - lo) * ax_rng_uniform(&rng) : 0.5f * (lo + hi);
            slope[i] = x[i] >= 0.0f ? 1.0f : s;
            n->data[i] = slope[i] * x[i];
        }
    }
    return AX_OK;
}

static void rrelu_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    if (ax_grad_accumulate(n->in[0]))
        ax_k_acc_mul(ax_numel(n), n->grad, n->scratch, n->in[0]->grad);
    else
        ax_k_mul(ax_numel(n), n->grad, n->scratch, n->in[0]->grad);
}

static const ax_param_schema prelu_params[] = {{"weight", 0.25f, 0}};
/* one slope per channel (axis 1), or one in all for a 1-D input */
static ax_status prelu_param_shape(const ax_shape *x, const double *attrs, int k, ax_shape *out)
{
    (void)attrs, (void)k;
    *out = ax_shape1(x->ndim >= 2 ? x->dim[1] : 1);
    return AX_OK;
}
const ax_op_def ax_op_prelu = {
    .schema = {.name = "prelu", .doc = "x for x > 0, else a_c x with a learned slope per channel",
               .inputs = "x slope", .min_inputs = 2, .max_inputs = 2, .params = prelu_params,
               .n_params = AX_LEN(prelu_params), .param_shape = prelu_param_shape},
    .infer = prelu_infer, .forward = prelu_forward, .backward = prelu_backward};
static const ax_attr_schema rrelu_attrs[] = {
    {"lower", AX_ATTR_FLOAT, 1.0 / 8.0, -AX_BIG, AX_BIG, "the smallest random slope"},
    {"upper", AX_ATTR_FLOAT, 1.0 / 3.0, -AX_BIG, AX_BIG, "the largest random slope"}};
const ax_op_def ax_op_rrelu = {
    .schema = {.name = "rrelu",
               .doc = "x for x >= 0, else s x, s ~ U(lower, upper) in training, their mean in eval",
               .inputs = "x", .min_inputs = 1, .max_inputs = 1, AX_ATTRS(rrelu_attrs)},
    .infer = ax_infer_same, .scratch = rrelu_scratch, .forward = rrelu_forward, .backward = rrelu_backward};
