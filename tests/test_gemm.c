/* The GEMM axon uses: which library on which CPU, the same results from
 * both, and a speed within half of the better of the two on the machine
 * running the test (the claim: never a generic kernel on a CPU with
 * AVX2/AVX-512, whatever OpenBLAS knows of it). */
#include "backends/cpu/kernels.h"
#include "test.h"

#include <cblas.h>
#include <dnnl.h>
#include <omp.h>

static void the_choice_follows_the_cpu(void)
{
    /* OpenBLAS's fallback on a CPU it does not know: oneDNN */
    CHECK(ax_gemm_prefers_onednn("Prescott", 1, 1));
    CHECK(ax_gemm_prefers_onednn("Core2", 1, 0));
    CHECK(ax_gemm_prefers_onednn("Sandybridge", 1, 0)); /* AVX without AVX2 kernels */
    CHECK(ax_gemm_prefers_onednn("Haswell", 1, 1));      /* AVX2 kernels on an AVX-512 CPU */
    CHECK(ax_gemm_prefers_onednn(NULL, 1, 0));
    /* kernels that use the CPU's vectors: OpenBLAS */
    CHECK(!ax_gemm_prefers_onednn("Zen", 1, 0));
    CHECK(!ax_gemm_prefers_onednn("Haswell", 1, 0));
    CHECK(!ax_gemm_prefers_onednn("SkylakeX", 1, 1));
    CHECK(!ax_gemm_prefers_onednn("SAPPHIRERAPIDS", 1, 1));
    /* a CPU without AVX2: nothing better to pick */
    CHECK(!ax_gemm_prefers_onednn("Prescott", 0, 0));
    printf("  GEMM here: %s\n", ax_gemm_name());
    CHECK(strstr(ax_gemm_name(), "OpenBLAS kernels: ") != NULL);
}

enum { M = 384, N = 384, K = 384 };

static double seconds(void (*fn)(const float *, const float *, float *), const float *a, const float *b, float *c)
{
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = ax_now_seconds();
        fn(a, b, c);
        const double t = ax_now_seconds() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static void with_axon(const float *a, const float *b, float *c) { ax_k_gemm(0, 1, M, N, K, 1, a, K, b, K, 0, c, N); }
static void with_openblas(const float *a, const float *b, float *c)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, a, K, b, K, 0, c, N);
}
static void with_onednn(const float *a, const float *b, float *c)
{
#pragma omp parallel num_threads(1)
    dnnl_sgemm('N', 'T', M, N, K, 1, a, K, b, K, 0, c, N);
}

static void as_fast_as_the_better_library(void)
{
    ax_set_num_threads(1);
    openblas_set_num_threads(1);
    float *a = ax_alloc_aligned(M * K * sizeof(float)), *b = ax_alloc_aligned(N * K * sizeof(float));
    float *c1 = ax_alloc_aligned(M * N * sizeof(float)), *c2 = ax_alloc_aligned(M * N * sizeof(float));
    float *c3 = ax_alloc_aligned(M * N * sizeof(float));
    ax_rng rng;
    ax_rng_seed(&rng, 4, 4);
    for (int i = 0; i < M * K; i++)
        a[i] = ax_rng_uniform(&rng) - 0.5f;
    for (int i = 0; i < N * K; i++)
        b[i] = ax_rng_uniform(&rng) - 0.5f;
    /* alternate the three, so load on the machine falls on all of them */
    double t_axon = 1e9, t_blas = 1e9, t_dnnl = 1e9;
    for (int round = 0; round < 3; round++) {
        t_axon = fmin(t_axon, seconds(with_axon, a, b, c1));
        t_blas = fmin(t_blas, seconds(with_openblas, a, b, c2));
        t_dnnl = fmin(t_dnnl, seconds(with_onednn, a, b, c3));
    }
    const double flop = 2.0 * M * N * K, best = fmin(t_blas, t_dnnl);
    printf("  %dx%dx%d sgemm, one thread: axon %.1f GFLOP/s, OpenBLAS %.1f, oneDNN %.1f\n", M, N, K,
           flop / t_axon * 1e-9, flop / t_blas * 1e-9, flop / t_dnnl * 1e-9);
    CHECK(t_axon <= 2.0 * best);
    double diff = 0;
    for (int i = 0; i < M * N; i++)
        diff = fmax(diff, fmax(fabs(c1[i] - c2[i]), fabs(c2[i] - c3[i])));
    CHECK_NEAR(diff, 0, 1e-4); /* the same products, up to rounding */
    ax_free(a), ax_free(b), ax_free(c1), ax_free(c2), ax_free(c3);
    ax_set_num_threads(0);
}

/* One row or one column of C goes through a matrix-vector product: every
 * transpose and leading dimension against the sum in double, with beta
 * adding to C. */
static void single_rows_and_columns(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 3, 1);
    enum { BIG = 37, KK = 29, LD = 41 };
    static float a[LD * LD], b[LD * LD], c[LD * LD], c0[LD * LD];
    for (int i = 0; i < LD * LD; i++)
        a[i] = (float)ax_rng_uniform(&rng) - 0.5f, b[i] = (float)ax_rng_uniform(&rng) - 0.5f,
        c0[i] = (float)ax_rng_uniform(&rng);
    for (int shape = 0; shape < 2; shape++) /* m = 1, then n = 1 */
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                const int64_t m = shape ? BIG : 1, n = shape ? 1 : BIG;
                memcpy(c, c0, sizeof c);
                ax_k_gemm(ta, tb, m, n, KK, 0.5f, a, LD, b, LD, 2.0f, c, LD);
                double worst = 0;
                for (int64_t i = 0; i < m; i++)
                    for (int64_t j = 0; j < n; j++) {
                        double want = 2.0 * c0[i * LD + j];
                        for (int64_t q = 0; q < KK; q++)
                            want += 0.5 * (ta ? a[q * LD + i] : a[i * LD + q]) * (tb ? b[j * LD + q] : b[q * LD + j]);
                        worst = fmax(worst, fabs(c[i * LD + j] - want));
                    }
                CHECK_NEAR(worst, 0, 1e-5);
                /* the rest of C is untouched */
                CHECK(shape ? c[1] == c0[1] : c[LD] == c0[LD]);
            }
}

TEST_MAIN(T(the_choice_follows_the_cpu), T(as_fast_as_the_better_library), T(single_rows_and_columns))
