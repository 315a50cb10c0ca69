/* What the CPU backend's oneDNN primitives (dnnl_conv.c, dnnl_matmul.c)
 * share: a tensor as axon holds it and as a primitive wants it, with the
 * reorders between them, and a primitive made only on a JIT kernel. */
#ifndef AXON_BACKENDS_CPU_DNNL_TENSOR_H
#define AXON_BACKENDS_CPU_DNNL_TENSOR_H

#include "axon/core.h"

#include <oneapi/dnnl/dnnl.h>

/* Fails with AX_ERR_STATE naming the call and oneDNN's status. */
#define AX_DNNL(what, call)                                                                             \
    do {                                                                                                \
        dnnl_status_t st_ = (call);                                                                     \
        if (st_ != dnnl_success)                                                                        \
            return ax_fail(AX_ERR_STATE, "oneDNN %s: %s failed (status %d)", what, #call, (int)st_);     \
    } while (0)

/* user: axon's float32 buffer (its handle set at each call); prim: the
 * same memory when the primitive takes that layout and type, else
 * oneDNN's own, with the reorders (which also round float32 to bf16). */
typedef struct ax_dnnl_tensor {
    dnnl_memory_t user, prim;
    dnnl_primitive_t to_prim, to_user;
} ax_dnnl_tensor;

/* The tensor of pd's argument `what` (dnnl_query_src_md, ...) over axon's
 * layout user_md. */
ax_status ax_dnnl_tensor_new(dnnl_engine_t eng, const_dnnl_primitive_desc_t pd, dnnl_query_t what,
                             const dnnl_memory_desc_t *user_md, ax_dnnl_tensor *t);
void ax_dnnl_tensor_free(ax_dnnl_tensor *t);
/* Point the tensor at axon's buffer and bring it into the primitive's
 * layout (in), or out of it after the primitive ran (out). */
ax_status ax_dnnl_tensor_in(dnnl_stream_t s, ax_dnnl_tensor *t, const float *data);
ax_status ax_dnnl_tensor_out(dnnl_stream_t s, ax_dnnl_tensor *t);

/* A primitive descriptor and its primitive; AX_ERR_STATE when oneDNN
 * offers only its reference kernel ("ref:any", thousands of times slower
 * than its JIT ones) or nothing for this case. */
ax_status ax_dnnl_primitive_new(const char *what, const void *desc, const_dnnl_primitive_attr_t attr,
                                dnnl_engine_t eng, const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd,
                                dnnl_primitive_t *prim);
/* make(obj) with OpenMP offering `threads` (1 when not above 0): oneDNN
 * plans a primitive's work for the threads offered when it is made, and
 * runs on as many. */
ax_status ax_dnnl_make_for_threads(int threads, ax_status (*make)(void *obj), void *obj);
/* The implementation oneDNN chose ("brg:avx512_core_bf16", ...); "" for none. */
const char *ax_dnnl_impl(const_dnnl_primitive_desc_t pd);

#endif
