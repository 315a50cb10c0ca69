/* Vectorised element-wise operations and reductions. `omp simd` lets gcc
 * vectorise the float reductions it otherwise keeps scalar (it may not
 * reorder float additions without permission). */
#include "backends/cpu/kernels.h"

void ax_k_acc(int64_t n, const float *src, float *dst)
{
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        dst[i] += src[i];
}

void ax_k_axpy(int64_t n, float alpha, const float *src, float *dst)
{
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        dst[i] += alpha * src[i];
}

void ax_k_add(int64_t n, const float *a, const float *b, float *out)
{
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        out[i] = a[i] + b[i];
}

void ax_k_mul(int64_t n, const float *a, const float *b, float *out)
{
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        out[i] = a[i] * b[i];
}

void ax_k_acc_mul(int64_t n, const float *a, const float *b, float *dst)
{
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++)
        dst[i] += a[i] * b[i];
}

double ax_k_sum(int64_t n, const float *x)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

double ax_k_dot(int64_t n, const float *x, const float *y)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++)
        s += (double)x[i] * y[i];
    return s;
}

float ax_k_max(int64_t n, const float *x)
{
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (int64_t i = 1; i < n; i++)
        m = x[i] > m ? x[i] : m;
    return m;
}
