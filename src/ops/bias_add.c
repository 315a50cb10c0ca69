/* bias_add: y = x + b, b of shape [C] broadcast along axis 1 of x
 * ([N, C] for dense layers, [N, C, H, W] for conv maps). */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <string.h>

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *b = &n->in[1]->shape;
    char sx[96], sb[96];
    if (x->ndim < 2 || b->ndim != 1 || b->dim[0] != x->dim[1])
        return ax_fail(AX_ERR_SHAPE, "bias %s does not match axis 1 of x %s",
                       ax_shape_str(b, sb, sizeof sb), ax_shape_str(x, sx, sizeof sx));
    n->shape = *x;
    return AX_OK;
}

/* x viewed as [outer, C, inner]. */
static void dims(const ax_node *n, int64_t *outer, int64_t *c, int64_t *inner)
{
    *c = n->shape.dim[1];
    *outer = n->shape.dim[0];
    *inner = ax_numel(n) / (*outer * *c);
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t outer, c, inner;
    dims(n, &outer, &c, &inner);
    const float *x = n->in[0]->data, *b = n->in[1]->data;
    float *y = n->data;
    if (inner == 1) { /* rows of a dense layer: vectorised across C (a loop of 1 per channel ran scalar) */
#pragma omp parallel for if (outer * c >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t o = 0; o < outer; o++) {
            const float *xs = x + o * c;
            float *ys = y + o * c;
#pragma omp simd
            for (int64_t j = 0; j < c; j++)
                ys[j] = xs[j] + b[j];
        }
        return AX_OK;
    }
#pragma omp parallel for if (outer * c * inner >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < c; j++) {
            const float *xs = x + (o * c + j) * inner;
            float *ys = y + (o * c + j) * inner;
            float bj = b[j];
#pragma omp simd
            for (int64_t i = 0; i < inner; i++)
                ys[i] = xs[i] + bj;
        }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t outer, c, inner;
    dims(n, &outer, &c, &inner);
    const float *dy = n->grad;
    if (n->in[0]->needs_grad) {
        if (ax_grad_accumulate(n->in[0]))
            ax_k_acc(ax_numel(n), dy, n->in[0]->grad);
        else
            memcpy(n->in[0]->grad, dy, (size_t)ax_numel(n) * sizeof(float));
    }
    if (n->in[1]->needs_grad) {
        ax_grad_prepare(n->in[1]);
        float *db = n->in[1]->grad;
        if (inner == 1) {
            /* Rows of C: sum them row by row, vectorised across C. */
            for (int64_t o = 0; o < outer; o++)
                ax_k_acc(c, dy + o * c, db);
        } else {
            for (int64_t o = 0; o < outer; o++)
                for (int64_t j = 0; j < c; j++)
                    db[j] += (float)ax_k_sum(inner, dy + (o * c + j) * inner);
        }
    }
}

const ax_op_def ax_op_bias_add = {
    .schema = {.name = "bias_add", .doc = "x + b, b [C] added along axis 1", .inputs = "x b", .min_inputs = 2,
               .max_inputs = 2},
    .infer = infer, .forward = forward, .backward = backward};
