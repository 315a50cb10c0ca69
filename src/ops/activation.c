/* Element-wise activations. Each is a forward formula y = f(x) and a
 * derivative f'(x) written in whichever of x and y is cheaper; the
 * UNARY_OP macro makes the op (vectorised loops, forward and backward).
 * Parameters come from attrs.floats, with the defaults given here.
 * The formulas, with references, are in docs/catalog.md. */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

#include <math.h>

#define SELU_LAMBDA 1.0507009873554804934193349852946f
#define SELU_ALPHA 1.6732632423543772848170429916717f
#define INV_SQRT2 0.70710678118654752440f
#define INV_SQRT_2PI 0.39894228040143267794f

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

/* log(1 + e^x) without overflow: x + log1p(e^-x) for large x. */
static inline float softplus1(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

/* Defines ax_op_<name>: FWD computes y from xi (and p0, p1, the first two
 * float attributes, defaulting to D0, D1); BWD computes dy/dx from xi, yi,
 * p0, p1. */
#define UNARY_OP(name, D0, D1, FWD, BWD)                                                           \
    static ax_status name##_forward(ax_node *n, const ax_run_ctx *ctx)                             \
    {                                                                                              \
        (void)ctx;                                                                                 \
        const float *x = n->in[0]->data;                                                           \
        float *y = n->data;                                                                        \
        const float p0 = ax_attr_float(n, 0, D0), p1 = ax_attr_float(n, 1, D1);                    \
        (void)p0, (void)p1;                                                                        \
        int64_t count = ax_numel(n);                                                               \
        _Pragma("omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)") \
        for (int64_t i = 0; i < count; i++) {                                                      \
            const float xi = x[i];                                                                 \
            y[i] = (FWD);                                                                          \
        }                                                                                          \
        return AX_OK;                                                                              \
    }                                                                                              \
    static void name##_backward(ax_node *n, const ax_run_ctx *ctx)                                 \
    {                                                                                              \
        (void)ctx;                                                                                 \
        const float *x = n->in[0]->data, *y = n->data, *dy = n->grad;                              \
        float *dx = n->in[0]->grad;                                                                \
        const float p0 = ax_attr_float(n, 0, D0), p1 = ax_attr_float(n, 1, D1);                    \
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
    const ax_op_def ax_op_##name = {#name, 1, 1, ax_infer_same, NULL, name##_forward,              \
                                    name##_backward};

/* name          defaults  y = f(x)                                 dy/dx */
UNARY_OP(identity,    0, 0, xi,                                     1.0f)
/* The perceptron's threshold: 1 for x > 0, else 0. Its derivative is 0
 * everywhere it exists, so no gradient flows through it. */
UNARY_OP(step,        0, 0, xi > 0.0f ? 1.0f : 0.0f,               0.0f)
UNARY_OP(sigmoid,     0, 0, sigm(xi),                               yi * (1.0f - yi))
UNARY_OP(tanh,        0, 0, tanhf(xi),                              1.0f - yi * yi)
UNARY_OP(relu,        0, 0, xi > 0.0f ? xi : 0.0f,                 xi > 0.0f ? 1.0f : 0.0f)
/* p0: negative slope */
UNARY_OP(leaky_relu,  0.01f, 0, xi > 0.0f ? xi : p0 * xi,          xi > 0.0f ? 1.0f : p0)
/* p0: alpha */
UNARY_OP(elu,         1.0f, 0, xi > 0.0f ? xi : p0 * expm1f(xi),   xi > 0.0f ? 1.0f : yi + p0)
UNARY_OP(selu,        0, 0,
         SELU_LAMBDA * (xi > 0.0f ? xi : SELU_ALPHA * expm1f(xi)),
         xi > 0.0f ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * expf(xi))
/* p0: beta, p1: threshold above which beta x is returned as is (PyTorch's 20) */
UNARY_OP(softplus,    1.0f, 20.0f,
         p0 * xi > p1 ? xi : softplus1(p0 * xi) / p0,
         p0 * xi > p1 ? 1.0f : sigm(p0 * xi))
UNARY_OP(softsign,    0, 0, xi / (1.0f + fabsf(xi)),
         1.0f / ((1.0f + fabsf(xi)) * (1.0f + fabsf(xi))))
/* swish / SiLU, p0: beta */
UNARY_OP(swish,       1.0f, 0, xi * sigm(p0 * xi),
         sigm(p0 * xi) * (1.0f + p0 * xi * (1.0f - sigm(p0 * xi))))
UNARY_OP(mish,        0, 0, xi * tanhf(softplus1(xi)),
         tanhf(softplus1(xi)) + xi * (1.0f - tanhf(softplus1(xi)) * tanhf(softplus1(xi))) * sigm(xi))
/* sin(x)/x, 1 at 0; a Taylor series near 0 where the quotient loses digits */
UNARY_OP(sinc,        0, 0,
         fabsf(xi) < 1e-3f ? 1.0f - xi * xi / 6.0f : sinf(xi) / xi,
         fabsf(xi) < 1e-3f ? -xi / 3.0f : (cosf(xi) - sinf(xi) / xi) / xi)
/* log sigmoid(x) = -softplus(-x), stable for large |x| */
UNARY_OP(log_sigmoid, 0, 0, -softplus1(-xi),                        sigm(-xi))
UNARY_OP(arctan,      0, 0, atanf(xi),                              1.0f / (1.0f + xi * xi))
/* exact GELU: x Phi(x) */
UNARY_OP(gelu,        0, 0, 0.5f * xi * (1.0f + erff(xi * INV_SQRT2)),
         0.5f * (1.0f + erff(xi * INV_SQRT2)) + xi * INV_SQRT_2PI * expf(-0.5f * xi * xi))
/* PyTorch's hard sigmoid: clamp(x / 6 + 1/2, 0, 1) */
UNARY_OP(hard_sigmoid, 0, 0, fminf(fmaxf(xi / 6.0f + 0.5f, 0.0f), 1.0f),
         xi > -3.0f && xi < 3.0f ? 1.0f / 6.0f : 0.0f)
