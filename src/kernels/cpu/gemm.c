/* GEMM through CBLAS. OpenBLAS does the arithmetic; axon does the
 * threading: the output is cut into one block per OpenMP thread and each
 * thread calls a single-threaded sgemm on its block. One thread pool for
 * the whole library, rather than OpenMP's and OpenBLAS's pools spinning
 * against each other on the same cores (which made 2 threads slower than
 * 1), and the same blocks, so the same bits, for a given thread count. */
#include "kernels/cpu/kernels.h"

#include <cblas.h>
#include <omp.h>

/* Below this many multiply-adds a second thread costs more than it saves. */
#define GEMM_PARALLEL_MIN (1 << 18)
/* Blocks are cut at multiples of this (a whole number of SIMD registers). */
#define GEMM_ALIGN 16

static void gemm1(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

void ax_k_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
               int64_t ldc)
{
    int threads = omp_get_max_threads();
    if (threads <= 1 || m * n * k < GEMM_PARALLEL_MIN || omp_in_parallel()) {
        gemm1(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    /* Cut the longer side of C. */
    int split_rows = m >= n;
    int64_t len = split_rows ? m : n;
    int64_t chunk = (len + threads - 1) / threads;
    chunk = (chunk + GEMM_ALIGN - 1) / GEMM_ALIGN * GEMM_ALIGN;
#pragma omp parallel num_threads(threads)
    {
        int64_t lo = (int64_t)omp_get_thread_num() * chunk;
        int64_t hi = lo + chunk < len ? lo + chunk : len;
        if (lo < hi) {
            if (split_rows) /* rows lo..hi of op(A) and C */
                gemm1(trans_a, trans_b, hi - lo, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda,
                      b, ldb, beta, c + lo * ldc, ldc);
            else /* columns lo..hi of op(B) and C */
                gemm1(trans_a, trans_b, m, hi - lo, k, alpha, a, lda,
                      trans_b ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc);
        }
    }
}
