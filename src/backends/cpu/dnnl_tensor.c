/* oneDNN tensors and primitives (dnnl_tensor.h). */
#include "backends/cpu/dnnl_tensor.h"

#include "axon/graph.h"

#include <omp.h>
#include <string.h>

static dnnl_status_t reorder_new(dnnl_engine_t eng, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                                 dnnl_primitive_t *out)
{
    dnnl_primitive_desc_t r;
    dnnl_status_t st = dnnl_reorder_primitive_desc_create(&r, from, eng, to, eng, NULL);
    if (st != dnnl_success)
        return st;
    st = dnnl_primitive_create(out, r);
    dnnl_primitive_desc_destroy(r);
    return st;
}

ax_status ax_dnnl_tensor_new(dnnl_engine_t eng, const_dnnl_primitive_desc_t pd, dnnl_query_t what,
                             const dnnl_memory_desc_t *user_md, ax_dnnl_tensor *t)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
    AX_DNNL("tensor", dnnl_memory_create(&t->user, user_md, eng, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(md, user_md)) {
        t->prim = t->user;
        return AX_OK;
    }
    AX_DNNL("tensor", dnnl_memory_create(&t->prim, md, eng, DNNL_MEMORY_ALLOCATE));
    AX_DNNL("tensor", reorder_new(eng, user_md, md, &t->to_prim));
    AX_DNNL("tensor", reorder_new(eng, md, user_md, &t->to_user));
    return AX_OK;
}

void ax_dnnl_tensor_free(ax_dnnl_tensor *t)
{
    if (t->prim && t->prim != t->user)
        dnnl_memory_destroy(t->prim);
    dnnl_memory_destroy(t->user);
    dnnl_primitive_destroy(t->to_prim);
    dnnl_primitive_destroy(t->to_user);
    memset(t, 0, sizeof *t);
}

ax_status ax_dnnl_tensor_in(dnnl_stream_t s, ax_dnnl_tensor *t, const float *data)
{
    AX_DNNL("tensor", dnnl_memory_set_data_handle(t->user, (void *)data));
    if (t->to_prim) {
        const dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, t->user}, {DNNL_ARG_TO, t->prim}};
        AX_DNNL("tensor", dnnl_primitive_execute(t->to_prim, s, 2, a));
    }
    return AX_OK;
}

ax_status ax_dnnl_tensor_out(dnnl_stream_t s, ax_dnnl_tensor *t)
{
    if (t->to_user) {
        const dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, t->prim}, {DNNL_ARG_TO, t->user}};
        AX_DNNL("tensor", dnnl_primitive_execute(t->to_user, s, 2, a));
    }
    return AX_OK;
}

const char *ax_dnnl_impl(const_dnnl_primitive_desc_t pd)
{
    const char *impl = "";
    if (pd)
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    return impl;
}

ax_status ax_dnnl_primitive_new(const char *what, const void *desc, const_dnnl_primitive_attr_t attr,
                                dnnl_engine_t eng, const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd,
                                dnnl_primitive_t *prim)
{
    AX_DNNL(what, dnnl_primitive_desc_create(pd, desc, attr, eng, hint));
    const char *impl = ax_dnnl_impl(*pd);
    if (!strncmp(impl, "ref", 3))
        return ax_fail(AX_ERR_STATE, "oneDNN %s: only its reference kernel (%s) runs this shape", what, impl);
    AX_DNNL(what, dnnl_primitive_create(prim, *pd));
    return AX_OK;
}

int ax_cpu_has_bf16(void)
{
    /* the ISA values are nested bit sets: bf16 holds every bit of its own */
    const unsigned isa = (unsigned)dnnl_get_effective_cpu_isa(), bf16 = (unsigned)dnnl_cpu_isa_avx512_core_bf16;
    return (isa & bf16) == bf16;
}

ax_status ax_dnnl_make_for_threads(int threads, ax_status (*make)(void *obj), void *obj)
{
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads > 0 ? threads : 1);
    const ax_status st = make(obj);
    omp_set_num_threads(before);
    return st;
}
