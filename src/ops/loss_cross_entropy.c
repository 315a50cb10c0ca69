/* Categorical cross-entropy, fused and numerically stable:
 *   softmax_cross_entropy      on logits x:  log p = x - logsumexp(x)
 *   categorical_cross_entropy  on probabilities p (clamped to [1e-7, 1])
 * Inputs: scores [N, ..., C] (the classes on the last axis: per-step
 * scores [N, T, C] of a sequence model are rows too; PyTorch's
 * CrossEntropyLoss takes them at axis 1 instead); labels [N, ...] of
 * class indices (stored as floats) or targets [N, ..., C] of
 * probabilities; optionally class weights w [C]. Attributes reduction
 * (0 = mean, the default; 1 = sum), label_smoothing eps in [0, 1)
 * (default 0) and ignore_index (labels equal to it, padding, add nothing
 * and do not count in the mean; PyTorch's -100 by default).
 *
 * As PyTorch's CrossEntropyLoss, row r's loss is -sum_c a_c log p_c with
 *   labels:  a_c = (1 - eps) w_y [c == y] + eps w_c / C
 *   targets: a_c = w_c ((1 - eps) t_c + eps / C)
 * and the mean divides by sum_r w_{y_r} over the rows not ignored for
 * labels, by the number of rows for targets.
 * Gradients: logits d/dx_j = (sum_c a_c) p_j - a_j; probabilities
 * d/dp_j = -a_j / p_j; targets d/dt_c = -(1 - eps) w_c log p_c. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <math.h>
#include <string.h>

#define PROB_FLOOR 1e-7f

enum { REDUCTION, SMOOTHING, IGNORE };

static int sparse(const ax_node *n) { return n->in[1]->shape.ndim == n->in[0]->shape.ndim - 1; }
/* classes (the last axis) and rows (all the others) */
static int64_t classes(const ax_node *n) { return n->in[0]->shape.dim[n->in[0]->shape.ndim - 1]; }
static int64_t rows_of(const ax_node *n) { return ax_numel(n->in[0]) / classes(n); }
static int ignored(const ax_node *n, int64_t r) { return sparse(n) && n->in[1]->data[r] == (float)n->attr[IGNORE]; }
extern const ax_op_def ax_op_softmax_cross_entropy;
static int from_logits(const ax_node *n) { return n->op == &ax_op_softmax_cross_entropy; }
static const float *class_weights(const ax_node *n) { return n->n_in > 2 ? n->in[2]->data : NULL; }

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *t = &n->in[1]->shape;
    char sx[96], st[96];
    int ok = x->ndim >= 2 && (ax_shape_equal(x, t) || t->ndim == x->ndim - 1);
    for (int d = 0; ok && t->ndim == x->ndim - 1 && d < t->ndim; d++)
        ok = t->dim[d] == x->dim[d];
    if (!ok)
        return ax_fail(AX_ERR_SHAPE, "scores %s (classes last) need labels of their shape without the last axis, or "
                       "targets of their shape; got %s",
                       ax_shape_str(x, sx, sizeof sx), ax_shape_str(t, st, sizeof st));
    if (n->n_in > 2) {
        const ax_shape *w = &n->in[2]->shape;
        if (w->ndim != 1 || w->dim[0] != classes(n))
            return ax_fail(AX_ERR_SHAPE, "class weights %s must be [%lld]",
                           ax_shape_str(w, sx, sizeof sx), (long long)classes(n));
    }
    n->shape = ax_shape0();
    return AX_OK;
}

/* log-probabilities [rows, C], then one row of coefficients [C] */
static size_t scratch(const ax_node *n) { return (size_t)(ax_numel(n->in[0]) + classes(n)); }

/* Fill a[0..c) for row r (zeros for an ignored row); return sum_c a_c. */
static float row_coeffs(const ax_node *n, int64_t r, float *a)
{
    const int64_t c = classes(n);
    if (ignored(n, r)) {
        memset(a, 0, (size_t)c * sizeof(float));
        return 0.0f;
    }
    const float eps = ax_attr_float(n, SMOOTHING), *w = class_weights(n);
    const float *t = n->in[1]->data;
    float total = 0.0f;
    for (int64_t k = 0; k < c; k++) {
        float wk = w ? w[k] : 1.0f;
        a[k] = sparse(n) ? eps * wk / (float)c : wk * ((1.0f - eps) * t[r * c + k] + eps / (float)c);
    }
    if (sparse(n)) {
        int64_t y = (int64_t)t[r];
        a[y] += (1.0f - eps) * (w ? w[y] : 1.0f);
    }
    for (int64_t k = 0; k < c; k++)
        total += a[k];
    return total;
}

/* What the reduction divides by. */
static double denominator(const ax_node *n)
{
    const int64_t rows = rows_of(n);
    if (ax_attr_int(n, REDUCTION) == 1)
        return 1.0;
    if (!sparse(n))
        return (double)rows;
    double d = 0.0;
    for (int64_t r = 0; r < rows; r++)
        if (!ignored(n, r))
            d += class_weights(n) ? class_weights(n)[(int64_t)n->in[1]->data[r]] : 1.0;
    return d;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_node *x = n->in[0], *t = n->in[1];
    const int64_t rows = rows_of(n), c = classes(n);
    float *logp = n->scratch, *a = n->scratch + rows * c;
    if (sparse(n))
        for (int64_t r = 0; r < rows; r++) {
            float label = t->data[r];
            if (!ignored(n, r) && !(label >= 0.0f && label < (float)c && label == floorf(label)))
                return ax_fail(AX_ERR_INVALID_ARG, "%s: label %g of row %lld is not a class in 0..%lld",
                               n->op->schema.name, (double)label, (long long)r, (long long)(c - 1));
        }
    double total = 0.0;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x->data + r * c;
        float *lr = logp + r * c;
        if (from_logits(n)) {
            float m = ax_k_max(c, xr);
            double sum = 0.0;
            for (int64_t i = 0; i < c; i++)
                sum += expf(xr[i] - m);
            float lse = m + (float)log(sum);
            for (int64_t i = 0; i < c; i++)
                lr[i] = xr[i] - lse;
        } else {
            for (int64_t i = 0; i < c; i++) {
                if (!(xr[i] >= 0.0f && xr[i] <= 1.0f))
                    return ax_fail(AX_ERR_INVALID_ARG,
                                   "categorical_cross_entropy: score %g at row %lld is not a "
                                   "probability (use softmax_cross_entropy on logits)",
                                   (double)xr[i], (long long)r);
                lr[i] = logf(fmaxf(xr[i], PROB_FLOOR));
            }
        }
        row_coeffs(n, r, a);
        total -= ax_k_dot(c, a, lr);
    }
    double den = denominator(n);
    n->data[0] = (float)(den > 0.0 ? total / den : 0.0);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *x = n->in[0], *t = n->in[1];
    const int64_t rows = rows_of(n), c = classes(n);
    const float *logp = n->scratch;
    float *a = n->scratch + rows * c;
    double den = denominator(n);
    const float g = den > 0.0 ? (float)(n->grad[0] / den) : 0.0f;
    const float eps = ax_attr_float(n, SMOOTHING), *w = class_weights(n);
    if (x->needs_grad)
        ax_grad_prepare(x);
    if (t->needs_grad && !sparse(n))
        ax_grad_prepare(t);
    for (int64_t r = 0; r < rows; r++) {
        const float *lr = logp + r * c;
        if (x->needs_grad) {
            float total = row_coeffs(n, r, a);
            float *dx = x->grad + r * c;
            const float *xr = x->data + r * c;
            for (int64_t i = 0; i < c; i++) {
                if (from_logits(n))
                    dx[i] += g * (total * expf(lr[i]) - a[i]);
                else if (xr[i] > PROB_FLOOR)
                    dx[i] -= g * a[i] / xr[i];
            }
        }
        if (t->needs_grad && !sparse(n))
            for (int64_t i = 0; i < c; i++)
                t->grad[r * c + i] -= g * (1.0f - eps) * (w ? w[i] : 1.0f) * lr[i];
    }
}

static const ax_attr_schema attrs[] = {
    {"reduction", AX_ATTR_INT, 0, 0, 1, "0: the mean over the batch, 1: the sum"},
    {"label_smoothing", AX_ATTR_FLOAT, 0, 0, 0.999999, "eps: the share of each target spread over all classes"},
    {"ignore_index", AX_ATTR_INT, -100, -16777216, 16777216, "labels equal to it (padding) add nothing and are not counted"}};
const ax_op_def ax_op_softmax_cross_entropy = {
    .schema = {.name = "softmax_cross_entropy", .doc = "-sum a_c log softmax(x)_c on logits, fused and stable",
               .inputs = "x target [class_weights]", .min_inputs = 2, .max_inputs = 3, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
const ax_op_def ax_op_categorical_cross_entropy = {
    .schema = {.name = "categorical_cross_entropy", .doc = "-sum a_c log p_c on probabilities",
               .inputs = "p target [class_weights]", .min_inputs = 2, .max_inputs = 3, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
