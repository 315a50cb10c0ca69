/* softmax_cross_entropy: mean over the batch of -sum_c t_c log softmax(x)_c,
 * fused and numerically stable: log softmax(x)_c = x_c - max x - log sum exp(x - max x).
 * Inputs: logits [N, C]; labels [N] of class indices (stored as floats) or
 * [N, C] of target probabilities. Output: a scalar.
 * Gradient: d/dx = (softmax(x) sum_c t_c - t) / N (sum_c t_c = 1 for
 * labels and proper distributions); d/dt = -log softmax(x) / N. */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

#include <math.h>

static int sparse(const ax_node *n) { return n->in[1]->shape.ndim == 1; }

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *t = &n->in[1]->shape;
    char sx[96], st[96];
    int ok = x->ndim == 2 &&
             ((t->ndim == 1 && t->dim[0] == x->dim[0]) || ax_shape_equal(x, t));
    if (!ok)
        return ax_fail(AX_ERR_SHAPE, "logits %s need labels [N] or targets [N, C]; got %s",
                       ax_shape_str(x, sx, sizeof sx), ax_shape_str(t, st, sizeof st));
    n->shape = ax_shape0();
    return AX_OK;
}

/* log-probabilities, [N, C] */
static size_t scratch(const ax_node *n) { return (size_t)ax_numel(n->in[0]); }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_node *x = n->in[0], *t = n->in[1];
    int64_t rows = x->shape.dim[0], c = x->shape.dim[1];
    float *logp = n->scratch;
    if (sparse(n))
        for (int64_t r = 0; r < rows; r++) {
            float label = t->data[r];
            if (!(label >= 0.0f && label < (float)c && label == floorf(label)))
                return ax_fail(AX_ERR_INVALID_ARG,
                               "softmax_cross_entropy: label %g of row %lld is not a class in 0..%lld",
                               (double)label, (long long)r, (long long)(c - 1));
        }
    double total = 0.0;
#pragma omp parallel for reduction(+ : total) if (rows * c >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x->data + r * c;
        float *lr = logp + r * c;
        float m = ax_k_max(c, xr);
        double sum = 0.0;
        for (int64_t i = 0; i < c; i++)
            sum += expf(xr[i] - m);
        float lse = m + (float)log(sum);
        for (int64_t i = 0; i < c; i++)
            lr[i] = xr[i] - lse;
        if (sparse(n))
            total -= lr[(int64_t)t->data[r]];
        else
            total -= ax_k_dot(c, t->data + r * c, lr);
    }
    n->data[0] = (float)(total / (double)rows);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *x = n->in[0], *t = n->in[1];
    int64_t rows = x->shape.dim[0], c = x->shape.dim[1];
    const float *logp = n->scratch;
    float g = n->grad[0] / (float)rows;
    if (x->needs_grad) {
        for (int64_t r = 0; r < rows; r++) {
            const float *lr = logp + r * c;
            float *dx = x->grad + r * c;
            float mass = sparse(n) ? 1.0f : (float)ax_k_sum(c, t->data + r * c);
            for (int64_t i = 0; i < c; i++)
                dx[i] += g * mass * expf(lr[i]);
            if (sparse(n))
                dx[(int64_t)t->data[r]] -= g;
            else
                ax_k_axpy(c, -g, t->data + r * c, dx);
        }
    }
    if (t->needs_grad && !sparse(n))
        ax_k_axpy(rows * c, -g, logp, t->grad);
}

const ax_op_def ax_op_softmax_cross_entropy = {"softmax_cross_entropy", 2, 2, infer, scratch,
                                               forward, backward};
