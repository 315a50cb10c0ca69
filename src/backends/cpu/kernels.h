/* CPU kernels (internal): raw math on float buffers. No graphs here. */
#ifndef AXON_KERNELS_CPU_H
#define AXON_KERNELS_CPU_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "core/threads.h" /* AX_PARALLEL_MIN */

/* Row-major C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
 * op(A) is M x K, op(B) is K x N. Through CBLAS (OpenBLAS). */
void ax_k_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
               int64_t ldc);

/* The GEMM library in use and why, e.g. "OpenBLAS (OpenBLAS kernels: Zen;
 * CPU: AVX2)". */
const char *ax_gemm_name(void);
/* Whether oneDNN should do the GEMMs: OpenBLAS's kernels `core` do not use
 * the CPU's widest vectors. */
int ax_gemm_prefers_onednn(const char *core, int cpu_avx2, int cpu_avx512);

/* tanh to float precision (relative error about 2e-7), several times
 * faster than glibc's tanhf, which goes through expm1f: Cephes's tanhf,
 * an odd polynomial near 0 and 1 - 2 / (e^2x + 1) beyond. */
static inline float ax_k_tanh(float x)
{
    const float a = x < 0.0f ? -x : x;
    if (a < 0.625f) {
        const float z = x * x;
        return ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
                3.33332819422e-1f) * z * x + x;
    }
    if (a > 9.0f) /* tanh is 1 to float precision; e^2x would overflow past 44 */
        return x < 0.0f ? -1.0f : 1.0f;
    const float t = 1.0f - 2.0f / (expf(2.0f * a) + 1.0f);
    return x < 0.0f ? -t : t;
}
/* the logistic sigmoid 1 / (1 + e^-x) */
static inline float ax_k_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* dst[i] += src[i] */
void ax_k_acc(int64_t n, const float *src, float *dst);
/* dst[i] += alpha * src[i] */
void ax_k_axpy(int64_t n, float alpha, const float *src, float *dst);
/* out[i] = a[i] + b[i] */
void ax_k_add(int64_t n, const float *a, const float *b, float *out);
/* out[i] = a[i] * b[i] */
void ax_k_mul(int64_t n, const float *a, const float *b, float *out);
/* dst[i] += a[i] * b[i] */
void ax_k_acc_mul(int64_t n, const float *a, const float *b, float *dst);
/* sum of x, accumulated in double for accuracy */
double ax_k_sum(int64_t n, const float *x);
/* sum of x[i] * y[i] */
double ax_k_dot(int64_t n, const float *x, const float *y);
/* largest of x[0..n) */
float ax_k_max(int64_t n, const float *x);

/* The geometry of a 2-D convolution or pooling window. */
typedef struct ax_conv_geom {
    int64_t kh, kw;
    int64_t stride_h, stride_w;
    int64_t pad_top, pad_left; /* bottom and right padding only change out_h, out_w */
    int64_t dil_h, dil_w;
    int64_t out_h, out_w;
} ax_conv_geom;

/* x: c planes of h x w -> col [c kh kw, out_h out_w] (zeros for padding),
 * rows ld floats apart. */
void ax_k_im2col(const float *x, int64_t c, int64_t h, int64_t w, const ax_conv_geom *g, float *col,
                 int64_t ld);
/* The adjoint: x += col2im(col). */
void ax_k_col2im(const float *col, int64_t c, int64_t h, int64_t w, const ax_conv_geom *g, float *x,
                 int64_t ld);

#endif
