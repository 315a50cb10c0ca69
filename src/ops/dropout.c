/* Inverted dropout (Srivastava et al. 2014): in training each value is
 * kept with probability 1 - p and scaled by 1 / (1 - p), so eval needs no
 * rescaling and is the identity. Attributes p (0.5) and spatial = 1
 * for spatial dropout (Tompson et al. 2015), which drops whole maps
 * (axis 1) of [N, C, ...] together. Each sample's mask comes from its own
 * stream (ax_row_rng: the same mask whichever shard of a batch the sample
 * is in) and is kept for the backward pass. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <string.h>

enum { P, SPATIAL };
static int spatial(const ax_node *n) { return ax_attr_int(n, SPATIAL) != 0; }

static ax_status infer(ax_node *n)
{
    float p = ax_attr_float(n, P);
    if (!(p >= 0.0f && p <= 1.0f))
        return ax_fail(AX_ERR_INVALID_ARG, "dropout rate %g is outside [0, 1]", (double)p);
    if (spatial(n) && n->in[0]->shape.ndim < 3)
        return ax_fail(AX_ERR_SHAPE, "spatial dropout needs maps [N, C, ...]");
    n->shape = n->in[0]->shape;
    return AX_OK;
}

/* the mask, one value per element (or per map) */
static size_t scratch(const ax_node *n) { return (size_t)ax_numel(n); }

static int64_t unit(const ax_node *n) { return spatial(n) ? ax_numel(n) / (n->shape.dim[0] * n->shape.dim[1]) : 1; }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    const int64_t count = ax_numel(n), u = unit(n);
    const float p = ax_attr_float(n, P);
    if (!ctx->training || p == 0.0f) {
        memcpy(n->data, n->in[0]->data, (size_t)count * sizeof(float));
        return AX_OK;
    }
    const float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    const int64_t rows = n->shape.dim[0], per_row = rows ? count / u / rows : 0;
    const uint64_t key = ax_pass_key(ctx);
    for (int64_t r = 0; r < rows; r++) { /* each sample's mask from its own stream */
        ax_rng rng = ax_row_rng(ctx, key, r);
        for (int64_t k = r * per_row; k < (r + 1) * per_row; k++)
            n->scratch[k] = ax_rng_uniform(&rng) >= p ? keep_scale : 0.0f;
    }
    for (int64_t k = 0; k < count / u; k++) {
        const float m = n->scratch[k];
        const float *x = n->in[0]->data + k * u;
        float *y = n->data + k * u;
#pragma omp simd
        for (int64_t i = 0; i < u; i++)
            y[i] = x[i] * m;
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    const int64_t count = ax_numel(n), u = unit(n);
    ax_grad_prepare(n->in[0]);
    if (!ctx->training || ax_attr_float(n, P) == 0.0f) {
        ax_k_acc(count, n->grad, n->in[0]->grad);
        return;
    }
    for (int64_t k = 0; k < count / u; k++) {
        const float m = n->scratch[k];
        const float *dy = n->grad + k * u;
        float *dx = n->in[0]->grad + k * u;
#pragma omp simd
        for (int64_t i = 0; i < u; i++)
            dx[i] += dy[i] * m;
    }
}

static const ax_attr_schema attrs[] = {
    {"p", AX_ATTR_FLOAT, 0.5, 0, 0.999999, "the probability of dropping a value"},
    {"spatial", AX_ATTR_BOOL, 0, 0, 1, "drop whole maps (axis 1) together"}};
const ax_op_def ax_op_dropout = {
    .schema = {.name = "dropout", .doc = "inverted dropout in training, the identity in eval", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
