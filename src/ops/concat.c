/* concat: 2 to 8 tensors joined along axis 1 (channels or features); all
 * other dimensions must agree. The gradient is split back the same way. */
#include "ops/op.h"

#include <string.h>

static ax_status infer(ax_node *n)
{
    const ax_shape *a = &n->in[0]->shape;
    char sa[96], sb[96];
    if (a->ndim < 2)
        return ax_fail(AX_ERR_SHAPE, "needs inputs with an axis 1, got %s", ax_shape_str(a, sa, sizeof sa));
    ax_shape s = *a;
    for (int i = 1; i < n->n_in; i++) {
        const ax_shape *b = &n->in[i]->shape;
        int ok = b->ndim == a->ndim;
        for (int d = 0; ok && d < a->ndim; d++)
            ok = d == 1 || a->dim[d] == b->dim[d];
        if (!ok)
            return ax_fail(AX_ERR_SHAPE, "input %d %s does not match input 0 %s outside axis 1", i,
                           ax_shape_str(b, sb, sizeof sb), ax_shape_str(a, sa, sizeof sa));
        s.dim[1] += b->dim[1];
    }
    n->shape = s;
    return AX_OK;
}

/* Rows of [outer = N, width] per input: width = C_i * (product of the rest). */
static int64_t width(const ax_node *t) { return ax_shape_numel(&t->shape) / t->shape.dim[0]; }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int64_t N = n->shape.dim[0], total = width(n);
    for (int64_t b = 0; b < N; b++) {
        int64_t off = 0;
        for (int i = 0; i < n->n_in; i++) {
            const int64_t w = width(n->in[i]);
            memcpy(n->data + b * total + off, n->in[i]->data + b * w, (size_t)w * sizeof(float));
            off += w;
        }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const int64_t N = n->shape.dim[0], total = width(n);
    int64_t off = 0;
    for (int i = 0; i < n->n_in; i++) {
        const int64_t w = width(n->in[i]);
        if (n->in[i]->needs_grad)
            ax_grad_prepare(n->in[i]);
        if (n->in[i]->needs_grad)
            for (int64_t b = 0; b < N; b++) {
                const float *dy = n->grad + b * total + off;
                float *dx = n->in[i]->grad + b * w;
#pragma omp simd
                for (int64_t k = 0; k < w; k++)
                    dx[k] += dy[k];
            }
        off += w;
    }
}

const ax_op_def ax_op_concat = {
    .schema = {.name = "concat", .doc = "join tensors along axis 1 (channels or features)",
               .inputs = "x0 x1 [x2 ...]", .min_inputs = 2, .max_inputs = AX_MAX_INPUTS},
    .infer = infer, .forward = forward, .backward = backward};
