/* GEMM through CBLAS. OpenBLAS does the arithmetic; axon does the
 * threading: the output is cut into one block per planned thread and each
 * block is a single-threaded sgemm, the team's threads taking the blocks
 * in turn. One thread pool for the whole library, rather than OpenMP's and
 * OpenBLAS's pools spinning against each other on the same cores (which
 * made 2 threads slower than 1). The blocks depend on the thread setting
 * alone, not on how many threads the team has now (core/threads.h), so
 * the bits do not change when the governor shrinks the team. */
#include "backends/cpu/kernels.h"

#include "axon/core.h"
#include "core/threads.h"

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
    const int pieces = ax_get_num_threads();
    /* Inside another region (a convolution's chunks) the caller already
     * split the work. omp_get_level, not omp_in_parallel: the latter is
     * false in a team of one, which would cut the GEMM only then. */
    if (pieces <= 1 || m * n * k < GEMM_PARALLEL_MIN || omp_get_level() > 0) {
        gemm1(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    /* Cut the longer side of C. */
    const int split_rows = m >= n;
    const int64_t len = split_rows ? m : n;
    int64_t chunk = (len + pieces - 1) / pieces;
    chunk = (chunk + GEMM_ALIGN - 1) / GEMM_ALIGN * GEMM_ALIGN;
    const int64_t blocks = (len + chunk - 1) / chunk;
    const int team = ax_threads_team() < blocks ? ax_threads_team() : (int)blocks;
#pragma omp parallel for num_threads(team) schedule(static)
    for (int64_t blk = 0; blk < blocks; blk++) {
        const int64_t lo = blk * chunk, hi = lo + chunk < len ? lo + chunk : len;
        if (split_rows) /* rows lo..hi of op(A) and C */
            gemm1(trans_a, trans_b, hi - lo, n, k, alpha, trans_a ? a + lo : a + lo * lda, lda, b, ldb, beta,
                  c + lo * ldc, ldc);
        else /* columns lo..hi of op(B) and C */
            gemm1(trans_a, trans_b, m, hi - lo, k, alpha, a, lda, trans_b ? b + lo * ldb : b + lo, ldb, beta,
                  c + lo, ldc);
    }
}
