/* softmax and log_softmax along an axis (attribute axis, default the last;
 * negative counts from the end).
 *   softmax:     y_i = exp(x_i - m) / sum_j exp(x_j - m),  m = max_j x_j
 *                dx_i = y_i (dy_i - sum_j dy_j y_j)
 *   log_softmax: y_i = x_i - m - log sum_j exp(x_j - m)
 *                dx_i = dy_i - exp(y_i) sum_j dy_j */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <math.h>

static int axis_of(const ax_node *n)
{
    int nd = n->in[0]->shape.ndim;
    int64_t a = ax_attr_int(n, 0);
    return (int)(a < 0 ? a + nd : a);
}

static ax_status infer(ax_node *n)
{
    int nd = n->in[0]->shape.ndim, a = axis_of(n);
    if (nd < 1 || a < 0 || a >= nd)
        return ax_fail(AX_ERR_SHAPE, "axis %lld is outside the input's %d dimensions",
                       (long long)ax_attr_int(n, 0), nd);
    n->shape = n->in[0]->shape;
    return AX_OK;
}

/* The tensor as [outer, c, inner] around the axis. */
static void dims(const ax_node *n, int64_t *outer, int64_t *c, int64_t *inner)
{
    int a = axis_of(n);
    *outer = *inner = 1;
    for (int i = 0; i < n->shape.ndim; i++)
        *(i < a ? outer : inner) *= i == a ? 1 : n->shape.dim[i];
    *c = n->shape.dim[a];
}

void ax_softmax_rows(int64_t rows, int64_t c, const float *x, float *y)
{
#pragma omp parallel for if (rows * c >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * c;
        float *yr = y + r * c;
        float m = ax_k_max(c, xr);
        float sum = 0.0f;
        for (int64_t i = 0; i < c; i++) {
            yr[i] = expf(xr[i] - m);
            sum += yr[i];
        }
        float inv = 1.0f / sum;
        for (int64_t i = 0; i < c; i++)
            yr[i] *= inv;
    }
}

/* One softmax (or log-softmax) over c values spaced `stride` apart. */
static void softmax_strided(const float *x, float *y, int64_t c, int64_t stride, int log_form)
{
    float m = x[0];
    for (int64_t i = 1; i < c; i++)
        m = fmaxf(m, x[i * stride]);
    double sum = 0.0;
    for (int64_t i = 0; i < c; i++)
        sum += expf(x[i * stride] - m);
    float lse = m + (float)log(sum), inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < c; i++)
        y[i * stride] = log_form ? x[i * stride] - lse : expf(x[i * stride] - m) * inv;
}

static ax_status forward_common(ax_node *n, int log_form)
{
    int64_t outer, c, inner;
    dims(n, &outer, &c, &inner);
    if (inner == 1 && !log_form) {
        ax_softmax_rows(outer, c, n->in[0]->data, n->data);
        return AX_OK;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++)
            softmax_strided(n->in[0]->data + o * c * inner + i, n->data + o * c * inner + i, c,
                            inner, log_form);
    return AX_OK;
}

static void backward_common(ax_node *n, int log_form)
{
    int64_t outer, c, inner;
    dims(n, &outer, &c, &inner);
    ax_grad_prepare(n->in[0]);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const int64_t base = o * c * inner + i;
            const float *y = n->data + base, *dy = n->grad + base;
            float *dx = n->in[0]->grad + base;
            double s = 0.0;
            for (int64_t k = 0; k < c; k++)
                s += log_form ? dy[k * inner] : (double)dy[k * inner] * y[k * inner];
            for (int64_t k = 0; k < c; k++) {
                const int64_t j = k * inner;
                dx[j] += log_form ? dy[j] - expf(y[j]) * (float)s : y[j] * (dy[j] - (float)s);
            }
        }
}

static ax_status softmax_forward(ax_node *n, const ax_run_ctx *ctx) { (void)ctx; return forward_common(n, 0); }
static void softmax_backward(ax_node *n, const ax_run_ctx *ctx) { (void)ctx; backward_common(n, 0); }
static ax_status log_softmax_forward(ax_node *n, const ax_run_ctx *ctx) { (void)ctx; return forward_common(n, 1); }
static void log_softmax_backward(ax_node *n, const ax_run_ctx *ctx) { (void)ctx; backward_common(n, 1); }

static const ax_attr_schema attrs[] = {
    {"axis", AX_ATTR_INT, -1, -AX_MAX_DIMS, AX_MAX_DIMS - 1, "the axis normalised over (negative: from the end)"}};
const ax_op_def ax_op_softmax = {
    .schema = {.name = "softmax", .doc = "e^(x_i - m) / sum_j e^(x_j - m) along an axis", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .forward = softmax_forward, .backward = softmax_backward};
const ax_op_def ax_op_log_softmax = {
    .schema = {.name = "log_softmax", .doc = "x_i - m - log sum_j e^(x_j - m) along an axis", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .forward = log_softmax_forward, .backward = log_softmax_backward};
