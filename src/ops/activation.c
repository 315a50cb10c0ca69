/* Element-wise activations. Each is a forward formula y = f(x) and a
 * derivative f'(x) written in whichever of x and y is cheaper; the
 * UNARY_OP macro makes the op (vectorised loops, forward and backward).
 * Parameters are the first two attributes of the op's schema.
 * The formulas, with references, are in docs/catalog.md. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <math.h>

#define SELU_LAMBDA 1.0507009873554804934193349852946f
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

/* log(1 + e^x) without overflow: x + log1p(e^-x) for large x. */
static inline float softplus1(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

/* Defines ax_op_<name> with schema attributes ATTRS (AX_ATTRS(array), or NOATTRS)
 * and a one-line DOC: FWD computes y from xi (and p0, p1, the first two
 * attributes); BWD computes dy/dx from xi, yi, p0, p1. */
#define UNARY_OP(OP, ATTRS, DOC, FWD, BWD)                                                       \
    static ax_status OP##_forward(ax_node *n, const ax_run_ctx *ctx)                             \
    {                                                                                              \
        (void)ctx;                                                                                 \
        const float *x = n->in[0]->data;                                                           \
        float *y = n->data;                                                                        \
        const float p0 = (float)n->attr[0], p1 = (float)n->attr[1];                               \
        (void)p0, (void)p1;                                                                        \
        int64_t count = ax_numel(n);                                                               \
        _Pragma("omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)") \
        for (int64_t i = 0; i < count; i++) {                                                      \
            const float xi = x[i];                                                                 \
            y[i] = (FWD);                                                                          \
        }                                                                                          \
        return AX_OK;                                                                              \
    }                                                                                              \
    static void OP##_backward(ax_node *n, const ax_run_ctx *ctx)                                 \
    {                                                                                              \
        (void)ctx;                                                                                 \
        const float *x = n->in[0]->data, *y = n->data, *dy = n->grad;                              \
        float *dx = n->in[0]->grad;                                                                \
        const float p0 = (float)n->attr[0], p1 = (float)n->attr[1];                               \
        (void)p0, (void)p1;                                                                        \
        int64_t count = ax_numel(n);                                                               \
        const float keep = ax_grad_accumulate(n->in[0]) ? 1.0f : 0.0f;                             \
        if (keep == 0.0f) /* the first gradient here: assign, without reading dx */                \
        {                                                                                          \
            _Pragma("omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)") \
            for (int64_t i = 0; i < count; i++) {                                                  \
                const float xi = x[i], yi = y[i];                                                  \
                (void)xi, (void)yi;                                                                \
                dx[i] = dy[i] * (BWD);                                                             \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        _Pragma("omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)") \
        for (int64_t i = 0; i < count; i++) {                                                      \
            const float xi = x[i], yi = y[i];                                                      \
            (void)xi, (void)yi;                                                                    \
            dx[i] += dy[i] * (BWD);                                                                \
        }                                                                                          \
    }                                                                                              \
    const ax_op_def ax_op_##OP = {                                                               \
        .schema = {.name = #OP, .doc = DOC, .inputs = "x", .min_inputs = 1, .max_inputs = 1, ATTRS}, \
        .infer = ax_infer_same, .forward = OP##_forward, .backward = OP##_backward};

#define NOATTRS .attrs = NULL
static const ax_attr_schema leaky_relu_attrs[] = {
    {"negative_slope", AX_ATTR_FLOAT, 0.01, -AX_BIG, AX_BIG, "the slope for x <= 0"}};
static const ax_attr_schema elu_attrs[] = {{"alpha", AX_ATTR_FLOAT, 1.0, -AX_BIG, AX_BIG, "the scale of the negative part"}};
static const ax_attr_schema softplus_attrs[] = {
    {"beta", AX_ATTR_FLOAT, 1.0, 1e-30, AX_BIG, "the sharpness"},
    {"threshold", AX_ATTR_FLOAT, 20.0, -AX_BIG, AX_BIG, "beta x above it is returned as x"}};
static const ax_attr_schema swish_attrs[] = {{"beta", AX_ATTR_FLOAT, 1.0, -AX_BIG, AX_BIG, "x sigmoid(beta x)"}};

/* name, schema attributes, doc, y = f(x), dy/dx */
UNARY_OP(identity, NOATTRS, "y = x",
         xi,
         1.0f)
/* The perceptron's threshold: 1 for x > 0, else 0. Its derivative is 0
 * everywhere it exists, so no gradient flows through it. */
UNARY_OP(step, NOATTRS, "1 for x > 0, else 0; no gradient",
         xi > 0.0f ? 1.0f : 0.0f,
         0.0f)
UNARY_OP(sigmoid, NOATTRS, "1 / (1 + e^-x)",
         sigm(xi),
         yi * (1.0f - yi))
UNARY_OP(tanh, NOATTRS, "tanh x",
         tanhf(xi),
         1.0f - yi * yi)
UNARY_OP(relu, NOATTRS, "max(0, x)",
         xi > 0.0f ? xi : 0.0f,
         xi > 0.0f ? 1.0f : 0.0f)
/* p0: negative slope */
UNARY_OP(leaky_relu, AX_ATTRS(leaky_relu_attrs), "x for x > 0, else negative_slope x",
         xi > 0.0f ? xi : p0 * xi,
         xi > 0.0f ? 1.0f : p0)
/* p0: alpha */
UNARY_OP(elu, AX_ATTRS(elu_attrs), "x for x > 0, else alpha (e^x - 1)",
         xi > 0.0f ? xi : p0 * expm1f(xi),
         xi > 0.0f ? 1.0f : yi + p0)
UNARY_OP(selu, NOATTRS, "lambda elu(x, alpha) with the self-normalising constants",
         SELU_LAMBDA * (xi > 0.0f ? xi : SELU_ALPHA * expm1f(xi)),
         xi > 0.0f ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * expf(xi))
/* p0: beta, p1: threshold above which beta x is returned as is (PyTorch's 20) */
UNARY_OP(softplus, AX_ATTRS(softplus_attrs), "log(1 + e^(beta x)) / beta",
         p0 * xi > p1 ? xi : softplus1(p0 * xi) / p0,
         p0 * xi > p1 ? 1.0f : sigm(p0 * xi))
UNARY_OP(softsign, NOATTRS, "x / (1 + |x|)",
         xi / (1.0f + fabsf(xi)),
         1.0f / ((1.0f + fabsf(xi)) * (1.0f + fabsf(xi))))
/* swish / SiLU, p0: beta */
UNARY_OP(swish, AX_ATTRS(swish_attrs), "x sigmoid(beta x) (SiLU at beta = 1)",
         xi * sigm(p0 * xi),
         sigm(p0 * xi) * (1.0f + p0 * xi * (1.0f - sigm(p0 * xi))))
UNARY_OP(mish, NOATTRS, "x tanh(softplus x)",
         xi * tanhf(softplus1(xi)),
         tanhf(softplus1(xi)) + xi * (1.0f - tanhf(softplus1(xi)) * tanhf(softplus1(xi))) * sigm(xi))
/* sin(x)/x, 1 at 0; a Taylor series near 0 where the quotient loses digits */
UNARY_OP(sinc, NOATTRS, "sin x / x, 1 at 0",
         fabsf(xi) < 1e-3f ? 1.0f - xi * xi / 6.0f : sinf(xi) / xi,
         fabsf(xi) < 1e-3f ? -xi / 3.0f : (cosf(xi) - sinf(xi) / xi) / xi)
/* log sigmoid(x) = -softplus(-x), stable for large |x| */
UNARY_OP(log_sigmoid, NOATTRS, "log sigmoid(x), stable",
         -softplus1(-xi),
         sigm(-xi))
UNARY_OP(arctan, NOATTRS, "atan x",
         atanf(xi),
         1.0f / (1.0f + xi * xi))
/* exact GELU: x Phi(x) */
UNARY_OP(gelu, NOATTRS, "x Phi(x), the exact form",
         0.5f * xi * (1.0f + erff(xi * INV_SQRT2)),
         0.5f * (1.0f + erff(xi * INV_SQRT2)) + xi * INV_SQRT_2PI * expf(-0.5f * xi * xi))
/* the error function: ONNX's Erf (what exporters write GELU with), torch.erf */
UNARY_OP(erf, NOATTRS, "erf x = 2 / sqrt(pi) integral_0^x e^(-t^2) dt",
         erff(xi),
         1.1283791670955126f * expf(-xi * xi))
/* PyTorch's hard sigmoid: clamp(x / 6 + 1/2, 0, 1) */
UNARY_OP(hard_sigmoid, NOATTRS, "clamp(x / 6 + 1/2, 0, 1)",
         fminf(fmaxf(xi / 6.0f + 0.5f, 0.0f), 1.0f),
         xi > -3.0f && xi < 3.0f ? 1.0f / 6.0f : 0.0f)
