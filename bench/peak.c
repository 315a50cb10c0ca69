/* The machine's GEMM limit, measured in the run that compares against it
 * (bench/run.sh, bench/run_cnn.sh): the best rate of a large square
 * product on THREADS threads, in float32 through OpenBLAS, through
 * oneDNN's dnnl_sgemm and through axon's own GEMM (the library it chose,
 * with axon's threading), and in bfloat16 through oneDNN's matmul
 * primitive (bf16 inputs, float32 sums and output: the arithmetic of
 * `--precision bf16`) where the CPU has bf16 instructions.
 *
 *   bench_peak THREADS [SIZE]
 *
 * Prints
 *   peak f32 threads T size S gflops G openblas A onednn B axon C
 *   peak bf16 threads T size S gflops G impl I     (or: gflops 0 impl none)
 * where G is the best of the three (the limit an epoch's arithmetic is
 * measured against) and each rate is the best of 5 products, the
 * libraries taking turns for 3 rounds so that the shared machine's load
 * falls on all of them. */
#include "backends/cpu/kernels.h"

#include <axon.h>
#include <cblas.h>
#include <dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void openblas_set_num_threads(int n);

static int64_t S = 1024;
static int threads;
static float *A, *B, *C;

/* OpenBLAS on its own thread pool; axon's GEMM calls it single-threaded
 * from each of its threads, so the pool goes back to one thread after */
static void with_openblas(void)
{
    openblas_set_num_threads(threads);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)S, (int)S, (int)S, 1, A, (int)S, B, (int)S, 0, C,
                (int)S);
    openblas_set_num_threads(1);
}
static void with_onednn(void) { dnnl_sgemm('N', 'N', S, S, S, 1, A, S, B, S, 0, C, S); }
static void with_axon(void) { ax_k_gemm(0, 0, S, S, S, 1, A, S, B, S, 0, C, S); }

static dnnl_primitive_t bf16_mm;
static dnnl_stream_t stream;
static dnnl_exec_arg_t bf16_args[3];
static void with_bf16(void) { dnnl_primitive_execute(bf16_mm, stream, 3, bf16_args); dnnl_stream_wait(stream); }

static double best_seconds(void (*fn)(void))
{
    double best = 1e30;
    for (int rep = 0; rep < 5; rep++) {
        const double t0 = ax_now_seconds();
        fn();
        const double t = ax_now_seconds() - t0;
        best = t < best ? t : best;
    }
    return best;
}

/* A bf16 x bf16 -> f32 matmul primitive of S^3, or NULL with *impl "none". */
static dnnl_primitive_t make_bf16(dnnl_engine_t eng, const char **impl, dnnl_memory_t mem[3])
{
    *impl = "none";
    if (!ax_cpu_has_bf16())
        return NULL;
    dnnl_memory_desc_t a, b, c;
    const dnnl_dims_t d = {S, S};
    dnnl_memory_desc_init_by_tag(&a, 2, d, dnnl_bf16, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&b, 2, d, dnnl_bf16, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&c, 2, d, dnnl_f32, dnnl_ab);
    dnnl_matmul_desc_t md;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p = NULL;
    if (dnnl_matmul_desc_init(&md, &a, &b, NULL, &c) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL) != dnnl_success)
        return NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, impl);
    static char name[64];
    snprintf(name, sizeof name, "%s", *impl);
    *impl = name;
    const dnnl_memory_desc_t *descs[3] = {&a, &b, &c};
    for (int i = 0; i < 3; i++)
        dnnl_memory_create(&mem[i], descs[i], eng, DNNL_MEMORY_ALLOCATE);
    if (dnnl_primitive_create(&p, pd) != dnnl_success)
        p = NULL;
    dnnl_primitive_desc_destroy(pd);
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 2 || atoi(argv[1]) < 1) {
        fprintf(stderr, "usage: bench_peak THREADS [SIZE]\n");
        return 2;
    }
    threads = atoi(argv[1]);
    if (argc > 2)
        S = atoll(argv[2]);
    if (S < 16 || S > 8192) {
        fprintf(stderr, "bench_peak: SIZE must be 16..8192\n");
        return 2;
    }
    ax_set_num_threads(threads);
    omp_set_num_threads(threads); /* dnnl_sgemm and the matmul primitive take OpenMP's threads */
    const size_t bytes = (size_t)(S * S) * sizeof(float);
    A = ax_alloc_aligned(bytes), B = ax_alloc_aligned(bytes), C = ax_alloc_aligned(bytes);
    if (!A || !B || !C) {
        fprintf(stderr, "bench_peak: out of memory\n");
        return 1;
    }
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    for (int64_t i = 0; i < S * S; i++)
        A[i] = ax_rng_uniform(&rng) - 0.5f, B[i] = ax_rng_uniform(&rng) - 0.5f;

    dnnl_engine_t eng;
    dnnl_engine_create(&eng, dnnl_cpu, 0);
    dnnl_stream_create(&stream, eng, dnnl_stream_default_flags);
    dnnl_memory_t mem[3] = {0};
    const char *impl;
    bf16_mm = make_bf16(eng, &impl, mem);
    if (bf16_mm) {
        const int which[3] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
        for (int i = 0; i < 3; i++) {
            bf16_args[i].arg = which[i], bf16_args[i].memory = mem[i];
            void *h;
            dnnl_memory_get_data_handle(mem[i], &h);
            memset(h, 0, i < 2 ? (size_t)(S * S) * 2 : bytes); /* zeros: the rate does not depend on values */
        }
    }

    double t_blas = 1e30, t_dnnl = 1e30, t_axon = 1e30, t_bf16 = 1e30;
    with_openblas(), with_onednn(), with_axon(); /* warm-up: thread pools, JIT */
    for (int round = 0; round < 3; round++) {
        t_blas = fmin(t_blas, best_seconds(with_openblas));
        t_dnnl = fmin(t_dnnl, best_seconds(with_onednn));
        t_axon = fmin(t_axon, best_seconds(with_axon));
        if (bf16_mm)
            t_bf16 = fmin(t_bf16, best_seconds(with_bf16));
    }
    const double gf = 2.0 * (double)S * (double)S * (double)S * 1e-9;
    const double best = fmin(fmin(t_blas, t_dnnl), t_axon);
    printf("peak f32 threads %d size %lld gflops %.1f openblas %.1f onednn %.1f axon %.1f gemm %s\n", threads,
           (long long)S, gf / best, gf / t_blas, gf / t_dnnl, gf / t_axon, ax_gemm_name());
    printf("peak bf16 threads %d size %lld gflops %.1f impl %s\n", threads, (long long)S,
           bf16_mm ? gf / t_bf16 : 0.0, impl);
    if (bf16_mm)
        dnnl_primitive_destroy(bf16_mm);
    for (int i = 0; i < 3; i++)
        if (mem[i])
            dnnl_memory_destroy(mem[i]);
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(eng);
    ax_free(A), ax_free(B), ax_free(C);
    return 0;
}
