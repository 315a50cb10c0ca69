/* layernorm (Ba et al. 2016), PyTorch's LayerNorm: each sample's values
 * from axis `axis` to the last (the normalised shape) are normalised by
 * their own mean and biased variance, then scaled and shifted per
 * position. Inputs: x [N, ...], weight and bias shaped like x's trailing
 * dimensions from `axis`. With M values a row and xh = (x - mean) / s,
 * s = sqrt(var + eps):
 *   y  = weight xh + bias
 *   dx = (g - mean(g) - xh mean(g xh)) / s,  g = dy weight
 *   dweight = sum over rows of dy xh;  dbias = sum over rows of dy.
 * The statistics are in double and kept per row for the backward pass. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <math.h>

enum { AXIS, EPS };

/* The first normalised axis of an input of nd dimensions, or -1. */
static int first_axis(int nd, double axis)
{
    int a = (int)axis < 0 ? (int)axis + nd : (int)axis;
    return a >= 1 && a < nd ? a : -1;
}

/* x as [rows, cols] around the first normalised axis. */
static void dims(const ax_node *n, int64_t *rows, int64_t *cols)
{
    const ax_shape *x = &n->in[0]->shape;
    int a = first_axis(x->ndim, n->attr[AXIS]);
    *cols = 1;
    for (int d = a; d < x->ndim; d++)
        *cols *= x->dim[d];
    *rows = ax_shape_numel(x) / *cols;
}

static ax_status param_shape(const ax_shape *x, const double *attrs, int k, ax_shape *out)
{
    (void)k;
    int a = first_axis(x->ndim, attrs[AXIS]);
    if (a < 0)
        return ax_fail(AX_ERR_SHAPE, "axis %g is not one of the sample's axes 1..%d", attrs[AXIS], x->ndim - 1);
    *out = (ax_shape){x->ndim - a, {0}};
    for (int d = a; d < x->ndim; d++)
        out->dim[d - a] = x->dim[d];
    return AX_OK;
}

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    ax_shape want;
    ax_status s = param_shape(x, n->attr, 0, &want);
    if (s != AX_OK)
        return s;
    char sw[96], sb[96], sx[96];
    if (!ax_shape_equal(&n->in[1]->shape, &want) || !ax_shape_equal(&n->in[2]->shape, &want))
        return ax_fail(AX_ERR_SHAPE, "weight %s and bias %s must be %s, the normalised part of x %s",
                       ax_shape_str(&n->in[1]->shape, sw, sizeof sw), ax_shape_str(&n->in[2]->shape, sb, sizeof sb),
                       ax_shape_str(&want, sx, sizeof sx), ax_shape_str(x, sw, sizeof sw));
    n->shape = *x;
    return AX_OK;
}

/* mean and 1 / s per row */
static size_t scratch(const ax_node *n)
{
    int64_t rows, cols;
    dims(n, &rows, &cols);
    return (size_t)(2 * rows);
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t rows, cols;
    dims(n, &rows, &cols);
    const float *x = n->in[0]->data, *w = n->in[1]->data, *b = n->in[2]->data;
    float *y = n->data, *mean = n->scratch, *inv = n->scratch + rows;
    const double eps = n->attr[EPS];
#pragma omp parallel for if (rows * cols >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        double m = 0, v = 0;
        for (int64_t c = 0; c < cols; c++)
            m += xr[c];
        m /= (double)cols;
        for (int64_t c = 0; c < cols; c++)
            v += (xr[c] - m) * (xr[c] - m);
        const double is = 1.0 / sqrt(v / (double)cols + eps);
        mean[r] = (float)m;
        inv[r] = (float)is;
        float *yr = y + r * cols;
        for (int64_t c = 0; c < cols; c++)
            yr[c] = (float)((xr[c] - m) * is) * w[c] + b[c];
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    int64_t rows, cols;
    dims(n, &rows, &cols);
    ax_node *xn = n->in[0], *wn = n->in[1], *bn = n->in[2];
    const float *x = xn->data, *w = wn->data, *dy = n->grad, *mean = n->scratch, *inv = n->scratch + rows;
    if (wn->needs_grad || bn->needs_grad) { /* rows in order: the same bits for any thread count */
        if (wn->needs_grad)
            ax_grad_prepare(wn);
        if (bn->needs_grad)
            ax_grad_prepare(bn);
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++) {
                const float g = dy[r * cols + c];
                if (wn->needs_grad)
                    wn->grad[c] += g * ((x[r * cols + c] - mean[r]) * inv[r]);
                if (bn->needs_grad)
                    bn->grad[c] += g;
            }
    }
    if (!xn->needs_grad)
        return;
    const int add = ax_grad_accumulate(xn);
    float *dx = xn->grad;
#pragma omp parallel for if (rows * cols >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols, *dyr = dy + r * cols;
        double sg = 0, sgx = 0; /* sums of g and of g xh */
        for (int64_t c = 0; c < cols; c++) {
            const double g = (double)dyr[c] * w[c], xh = ((double)xr[c] - mean[r]) * inv[r];
            sg += g;
            sgx += g * xh;
        }
        sg /= (double)cols;
        sgx /= (double)cols;
        float *dxr = dx + r * cols;
        for (int64_t c = 0; c < cols; c++) {
            const double xh = ((double)xr[c] - mean[r]) * inv[r];
            const float d = (float)(((double)dyr[c] * w[c] - sg - xh * sgx) * inv[r]);
            dxr[c] = add ? dxr[c] + d : d;
        }
    }
}

static const ax_attr_schema attrs[] = {
    {"axis", AX_ATTR_INT, -1, -AX_MAX_DIMS, AX_MAX_DIMS - 1, "the first normalised axis (negative: from the end)"},
    {"eps", AX_ATTR_FLOAT, 1e-5, 1e-30, 1, "added to the variance"}};
static const ax_param_schema params[] = {{"weight", 1.0f, 0}, {"bias", 0.0f, 0}};
const ax_op_def ax_op_layernorm = {
    .schema = {.name = "layernorm", .doc = "normalise each sample over its trailing axes, then scale and shift",
               .inputs = "x weight bias", .min_inputs = 3, .max_inputs = 3, AX_ATTRS(attrs), .params = params,
               .n_params = AX_LEN(params), .param_shape = param_shape},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
