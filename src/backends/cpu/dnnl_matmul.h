/* Matrix products in bfloat16 through oneDNN's matmul primitive (internal
 * to the CPU backend): C [m, n] = op(A) [m, k] op(B) [k, n] on axon's
 * row-major float32 buffers, A and B rounded to bf16 by the reorders into
 * the primitive's layouts, the sums and C in float32. The bf16 half of
 * mixed precision for the matmul op (dense layers); float32 products stay
 * on ax_k_gemm. Everything is made by ax_dnnl_matmul_new: a call
 * allocates nothing. */
#ifndef AXON_BACKENDS_CPU_DNNL_MATMUL_H
#define AXON_BACKENDS_CPU_DNNL_MATMUL_H

#include "axon/graph.h"

typedef struct ax_dnnl_matmul_shape {
    int trans_a, trans_b;     /* A stored [k, m] (lda >= m), B stored [n, k] (ldb >= k) */
    int64_t m, n, k;
    int64_t lda, ldb, ldc;    /* row strides, as ax_k_gemm's */
    int threads;              /* the threads its primitive is planned for, and runs on */
} ax_dnnl_matmul_shape;

typedef struct ax_dnnl_matmul ax_dnnl_matmul;

/* AX_ERR_STATE (*out NULL) where oneDNN has no bf16 kernel but its
 * reference one for this product (a CPU without AVX512-BF16 or AMX). */
ax_status ax_dnnl_matmul_new(const ax_dnnl_matmul_shape *s, ax_dnnl_matmul **out);
void ax_dnnl_matmul_free(ax_dnnl_matmul *mm);
const ax_dnnl_matmul_shape *ax_dnnl_matmul_shape_of(const ax_dnnl_matmul *mm);
/* The implementation oneDNN chose ("brg:avx512_core_bf16", ...). */
const char *ax_dnnl_matmul_impl(const ax_dnnl_matmul *mm);
/* C = op(A) op(B), or C += op(A) op(B) with add. */
ax_status ax_dnnl_matmul_run(ax_dnnl_matmul *mm, const float *a, const float *b, float *c, int add);

/* The implementation a matmul node's bf16 product (at the first row count
 * met) runs on; "" when it runs in float32 on ax_k_gemm. Defined with the
 * op, in src/ops/matmul.c. */
const char *ax_matmul_bf16_impl(const ax_node *n);

#endif
