/* batch_norm (Ioffe & Szegedy 2015) over axis 1 of [N, C] or [N, C, H, W].
 * Inputs: x, gamma [C], beta [C], running_mean [C], running_var [C].
 * Attributes momentum (0.1) and eps (1e-5), PyTorch's conventions.
 * Training: mean and (biased) variance of each channel over the batch
 * (and the map), y = gamma (x - mean) / sqrt(var + eps) + beta; the running
 * statistics move by momentum toward the batch's (the unbiased variance,
 * as PyTorch). Eval: the running statistics instead.
 * Backward, with xh = (x - mean) / sqrt(var + eps) over M values a channel:
 *   training: dx = gamma / (M sqrt(var + eps)) (M dy - sum dy - xh sum(dy xh))
 *   eval:     dx = gamma dy / sqrt(var + eps)
 *   dgamma = sum dy xh;  dbeta = sum dy. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <math.h>

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    char sx[96];
    if (x->ndim != 2 && x->ndim != 4)
        return ax_fail(AX_ERR_SHAPE, "needs [N, C] or [N, C, H, W], got %s", ax_shape_str(x, sx, sizeof sx));
    for (int i = 1; i < 5; i++) {
        const ax_shape *p = &n->in[i]->shape;
        if (p->ndim != 1 || p->dim[0] != x->dim[1])
            return ax_fail(AX_ERR_SHAPE, "input %d has shape %s, expected [%lld]", i,
                           ax_shape_str(p, sx, sizeof sx), (long long)x->dim[1]);
    }
    n->shape = *x;
    return AX_OK;
}

/* mean [C] and 1/sqrt(var + eps) [C] of the last forward pass */
static size_t scratch(const ax_node *n) { return 2 * (size_t)n->in[0]->shape.dim[1]; }

static void dims(const ax_node *n, int64_t *batch, int64_t *c, int64_t *hw)
{
    *batch = n->shape.dim[0];
    *c = n->shape.dim[1];
    *hw = ax_numel(n) / (*batch * *c);
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    int64_t N, C, HW;
    dims(n, &N, &C, &HW);
    const float momentum = ax_attr_float(n, 0), eps = ax_attr_float(n, 1);
    const float *x = n->in[0]->data, *gamma = n->in[1]->data, *beta = n->in[2]->data;
    float *rmean = n->in[3]->data, *rvar = n->in[4]->data;
    float *mean = n->scratch, *invstd = n->scratch + C;
    const int64_t M = N * HW;
    if (ctx->training && M < 2)
        return ax_fail(AX_ERR_INVALID_ARG, "batch_norm: training needs more than one value per channel (got a batch of %lld)",
                       (long long)N);
#pragma omp parallel for if (N * C * HW >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t c = 0; c < C; c++) {
        float mu, inv;
        if (ctx->training) {
            double s = 0.0, s2 = 0.0;
            for (int64_t b = 0; b < N; b++)
                s += ax_k_sum(HW, x + (b * C + c) * HW);
            double m = s / (double)M;
            for (int64_t b = 0; b < N; b++) {
                const float *xs = x + (b * C + c) * HW;
                for (int64_t i = 0; i < HW; i++)
                    s2 += ((double)xs[i] - m) * ((double)xs[i] - m);
            }
            double var = s2 / (double)M;
            mu = (float)m;
            inv = (float)(1.0 / sqrt(var + eps));
            rmean[c] = (1.0f - momentum) * rmean[c] + momentum * mu;
            rvar[c] = (1.0f - momentum) * rvar[c] + momentum * (float)(var * (double)M / (double)(M - 1));
        } else {
            mu = rmean[c];
            inv = 1.0f / sqrtf(rvar[c] + eps);
        }
        mean[c] = mu;
        invstd[c] = inv;
        const float scale = gamma[c] * inv, shift = beta[c] - mu * scale;
        for (int64_t b = 0; b < N; b++) {
            const float *xs = x + (b * C + c) * HW;
            float *ys = n->data + (b * C + c) * HW;
#pragma omp simd
            for (int64_t i = 0; i < HW; i++)
                ys[i] = xs[i] * scale + shift;
        }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    int64_t N, C, HW;
    dims(n, &N, &C, &HW);
    ax_node *xn = n->in[0], *gn = n->in[1], *bn = n->in[2];
    const float *x = xn->data, *dy = n->grad, *mean = n->scratch, *invstd = n->scratch + C;
    const double M = (double)(N * HW);
    if (gn->needs_grad)
        ax_grad_prepare(gn);
    if (bn->needs_grad)
        ax_grad_prepare(bn);
    if (xn->needs_grad)
        ax_grad_prepare(xn);
#pragma omp parallel for if (N * C * HW >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t c = 0; c < C; c++) {
        const float mu = mean[c], inv = invstd[c];
        double sdy = 0.0, sdyxh = 0.0;
        for (int64_t b = 0; b < N; b++) {
            const float *xs = x + (b * C + c) * HW, *ds = dy + (b * C + c) * HW;
            for (int64_t i = 0; i < HW; i++) {
                sdy += ds[i];
                sdyxh += (double)ds[i] * (xs[i] - mu) * inv;
            }
        }
        if (gn->needs_grad)
            gn->grad[c] += (float)sdyxh;
        if (bn->needs_grad)
            bn->grad[c] += (float)sdy;
        if (!xn->needs_grad)
            continue;
        const float k = gn->data[c] * inv;
        const float a = ctx->training ? (float)(sdy / M) : 0.0f, bq = ctx->training ? (float)(sdyxh / M) : 0.0f;
        for (int64_t b = 0; b < N; b++) {
            const float *xs = x + (b * C + c) * HW, *ds = dy + (b * C + c) * HW;
            float *dx = xn->grad + (b * C + c) * HW;
#pragma omp simd
            for (int64_t i = 0; i < HW; i++)
                dx[i] += k * (ds[i] - a - (xs[i] - mu) * inv * bq);
        }
    }
}

static const ax_attr_schema attrs[] = {
    {"momentum", AX_ATTR_FLOAT, 0.1, 0, 1, "how far the running statistics move toward each batch's"},
    {"eps", AX_ATTR_FLOAT, 1e-5, 1e-30, 1, "added to the variance"}};
static const ax_param_schema params[] = {
    {"weight", 1.0f, 0}, {"bias", 0.0f, 0}, {"running_mean", 0.0f, 1}, {"running_var", 1.0f, 1}};
/* every parameter is [C], C = axis 1 of [N, C] or [N, C, H, W] */
static ax_status param_shape(const ax_shape *x, const double *attrs, int k, ax_shape *out)
{
    (void)attrs, (void)k;
    if (x->ndim != 2 && x->ndim != 4)
        return ax_fail(AX_ERR_SHAPE, "batch_norm needs [N, C] or [N, C, H, W]");
    *out = ax_shape1(x->dim[1]);
    return AX_OK;
}
const ax_op_def ax_op_batch_norm = {
    .schema = {.name = "batch_norm",
               .doc = "normalise each channel (axis 1) by its batch statistics, then scale and shift",
               .inputs = "x weight bias running_mean running_var", .min_inputs = 5, .max_inputs = 5,
               AX_ATTRS(attrs), .params = params, .n_params = AX_LEN(params), .param_shape = param_shape},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
