/* maxout (Goodfellow et al. 2013): the largest of k linear pieces.
 * Input [N, units * k] (a dense layer of units * k outputs), attribute
 * k; output [N, units], y[n, u] = max_j x[n, u k + j]. The gradient goes
 * to the piece that won (the first, on ties). */
#include "ops/op.h"

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    int64_t k = ax_attr_int(n, 0);
    if (x->ndim != 2 || k < 1 || x->dim[1] % k)
        return ax_fail(AX_ERR_SHAPE, "needs [N, units * k] with k >= 1; got %lld features, k = %lld",
                       (long long)(x->ndim >= 2 ? x->dim[1] : 0), (long long)k);
    n->shape = *x;
    n->shape.dim[1] = x->dim[1] / k;
    return AX_OK;
}

/* The winning piece of each output, as a float index. */
static size_t scratch(const ax_node *n) { return (size_t)ax_numel(n); }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int64_t k = ax_attr_int(n, 0), outs = ax_numel(n);
    const float *x = n->in[0]->data;
    for (int64_t o = 0; o < outs; o++) {
        const float *p = x + o * k;
        int64_t best = 0;
        for (int64_t j = 1; j < k; j++)
            if (p[j] > p[best])
                best = j;
        n->data[o] = p[best];
        n->scratch[o] = (float)best;
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int64_t k = ax_attr_int(n, 0), outs = ax_numel(n);
    ax_grad_prepare(n->in[0]);
    for (int64_t o = 0; o < outs; o++)
        n->in[0]->grad[o * k + (int64_t)n->scratch[o]] += n->grad[o];
}

static const ax_attr_schema attrs[] = {{"k", AX_ATTR_INT, 0, 1, AX_SIZE_MAX, "pieces per output (required)"}};
const ax_op_def ax_op_maxout = {
    .schema = {.name = "maxout", .doc = "[N, units k] -> [N, units], the largest of each k", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
