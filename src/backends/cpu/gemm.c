/* GEMM through CBLAS (OpenBLAS) or oneDNN's dnnl_sgemm, chosen once per
 * process: Debian's OpenBLAS picks its kernels from a table of CPU models
 * and falls back to generic SSE kernels on a CPU newer than itself
 * (measured on a 5th-generation Xeon: Prescott kernels, 33 GFLOP/s on one
 * thread against 154-157 with the right ones), while oneDNN picks its code
 * from the CPU's feature flags. So when OpenBLAS's kernels do not use the
 * CPU's widest vectors (AVX2, AVX-512), oneDNN does the arithmetic;
 * AXON_GEMM=openblas or =onednn forces a choice (benchmarks). The library
 * does the arithmetic; axon does the threading: the output is cut into one block per planned thread and each
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
#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* OpenBLAS's name for the kernels it chose (not in its cblas.h everywhere). */
char *openblas_get_corename(void);

/* OpenBLAS cores whose kernels use AVX2 (0.3.21's names), and those of
 * them that use AVX-512 */
static const char *const avx2_cores[] = {"Haswell", "Zen", "Excavator", "SkylakeX", "Cooperlake", "SapphireRapids"};
static const char *const avx512_cores[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};

static int listed(const char *core, const char *const *list, size_t n)
{
    for (size_t i = 0; core && i < n; i++)
        if (!strcasecmp(core, list[i]))
            return 1;
    return 0;
}

int ax_gemm_prefers_onednn(const char *core, int cpu_avx2, int cpu_avx512)
{
    if (cpu_avx512 && !listed(core, avx512_cores, sizeof avx512_cores / sizeof *avx512_cores))
        return 1;
    return cpu_avx2 && !listed(core, avx2_cores, sizeof avx2_cores / sizeof *avx2_cores);
}

static int use_onednn;
static char gemm_name[160];

static void choose(void)
{
    const char *core = openblas_get_corename();
    int avx2 = 0, avx512 = 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    avx512 = __builtin_cpu_supports("avx512f");
#endif
    const char *force = getenv("AXON_GEMM");
    if (force && !strcmp(force, "openblas"))
        use_onednn = 0;
    else if (force && !strcmp(force, "onednn"))
        use_onednn = 1;
    else
        use_onednn = ax_gemm_prefers_onednn(core, avx2, avx512);
    snprintf(gemm_name, sizeof gemm_name, "%s%s (OpenBLAS kernels: %s; CPU: %s)", use_onednn ? "oneDNN" : "OpenBLAS",
             force && (!strcmp(force, "openblas") || !strcmp(force, "onednn")) ? ", set by AXON_GEMM" : "",
             core ? core : "unknown", avx512 ? "AVX-512" : avx2 ? "AVX2" : "no AVX2");
}

static pthread_once_t chosen = PTHREAD_ONCE_INIT;

const char *ax_gemm_name(void)
{
    pthread_once(&chosen, choose);
    return gemm_name;
}

/* Below this many multiply-adds a second thread costs more than it saves. */
#define GEMM_PARALLEL_MIN (1 << 18)
/* A matrix-vector product streams its matrix once and is bound by the
 * bandwidth a core draws from cache; a second core adds its own, so it
 * pays from smaller sizes (measured: the W-MLP's batch-1 pass, whose 784 x
 * 256 layer is under GEMM_PARALLEL_MIN). */
#define GEMV_PARALLEL_MIN (1 << 15)
/* Blocks are cut at multiples of this (a whole number of SIMD registers). */
#define GEMM_ALIGN 16

static void gemm1(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc)
{
    /* One row or one column of C is a matrix-vector product: a GEMM would
     * pack the whole matrix first (over half of a batch-1 pass), a GEMV
     * streams it once. */
    if (m == 1) { /* c = op(B)^T a */
        cblas_sgemv(CblasRowMajor, trans_b ? CblasNoTrans : CblasTrans, (blasint)(trans_b ? n : k),
                    (blasint)(trans_b ? k : n), alpha, b, (blasint)ldb, a, (blasint)(trans_a ? lda : 1), beta, c, 1);
        return;
    }
    if (n == 1) { /* c = op(A) b */
        cblas_sgemv(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, (blasint)(trans_a ? k : m),
                    (blasint)(trans_a ? m : k), alpha, a, (blasint)lda, b, (blasint)(trans_b ? 1 : ldb), beta, c,
                    (blasint)ldc);
        return;
    }
    if (use_onednn) {
        /* one thread, as every block here: oneDNN runs on OpenMP and keeps
         * to one thread inside a parallel region */
        if (omp_get_level() > 0)
            dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        else {
#pragma omp parallel num_threads(1)
            dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        }
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n, (blasint)k, alpha, a,
                (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

void ax_k_gemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
               int64_t ldc)
{
    pthread_once(&chosen, choose);
    const int pieces = ax_get_num_threads();
    /* Inside another region (a convolution's chunks) the caller already
     * split the work. omp_get_level, not omp_in_parallel: the latter is
     * false in a team of one, which would cut the GEMM only then. */
    const int64_t min_work = m == 1 || n == 1 ? GEMV_PARALLEL_MIN : GEMM_PARALLEL_MIN;
    if (pieces <= 1 || m * n * k < min_work || omp_get_level() > 0) {
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
