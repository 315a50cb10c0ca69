/* bf16 matrix products through oneDNN (dnnl_matmul.h). */
#include "backends/cpu/dnnl_matmul.h"
#include "backends/cpu/dnnl_tensor.h"
#include "backends/cpu/kernels.h"

#define DN(call) AX_DNNL("matmul", call)

struct ax_dnnl_matmul {
    ax_dnnl_matmul_shape s;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;
    ax_dnnl_tensor a, b, c;
    float *sum; /* C written here first when it is added to */
};

void ax_dnnl_matmul_free(ax_dnnl_matmul *mm)
{
    if (!mm)
        return;
    ax_dnnl_tensor_free(&mm->a);
    ax_dnnl_tensor_free(&mm->b);
    ax_dnnl_tensor_free(&mm->c);
    dnnl_primitive_destroy(mm->prim);
    dnnl_primitive_desc_destroy(mm->pd);
    if (mm->stream)
        dnnl_stream_destroy(mm->stream);
    if (mm->eng)
        dnnl_engine_destroy(mm->eng);
    ax_free(mm->sum);
    ax_free(mm);
}

/* A rows x cols matrix with row stride ld, or its transpose (stored
 * [cols, rows]), as a plain float32 descriptor */
static dnnl_status_t plain(dnnl_memory_desc_t *md, int64_t rows, int64_t cols, int64_t ld, int trans)
{
    const dnnl_dims_t dims = {rows, cols}, strides_n = {ld, 1}, strides_t = {1, ld};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, dnnl_f32, trans ? strides_t : strides_n);
}

static ax_status build(void *obj)
{
    ax_dnnl_matmul *mm = obj;
    const ax_dnnl_matmul_shape *s = &mm->s;
    DN(dnnl_engine_create(&mm->eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&mm->stream, mm->eng, dnnl_stream_default_flags));
    const dnnl_dims_t ad = {s->m, s->k}, bd = {s->k, s->n};
    dnnl_memory_desc_t a_user, b_user, c_user, a_any, b_any;
    DN(plain(&a_user, s->m, s->k, s->lda, s->trans_a));
    DN(plain(&b_user, s->k, s->n, s->ldb, s->trans_b));
    DN(plain(&c_user, s->m, s->n, s->ldc, 0));
    /* oneDNN chooses the bf16 operands' layouts (blocked B for its brgemm
     * kernels); C is axon's buffer itself */
    DN(dnnl_memory_desc_init_by_tag(&a_any, 2, ad, dnnl_bf16, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&b_any, 2, bd, dnnl_bf16, dnnl_format_tag_any));
    dnnl_matmul_desc_t d;
    DN(dnnl_matmul_desc_init(&d, &a_any, &b_any, NULL, &c_user));
    ax_status r = ax_dnnl_primitive_new("matmul", &d, NULL, mm->eng, NULL, &mm->pd, &mm->prim);
    if (r == AX_OK && (r = ax_dnnl_tensor_new(mm->eng, mm->pd, dnnl_query_src_md, &a_user, &mm->a)) == AX_OK &&
        (r = ax_dnnl_tensor_new(mm->eng, mm->pd, dnnl_query_weights_md, &b_user, &mm->b)) == AX_OK)
        r = ax_dnnl_tensor_new(mm->eng, mm->pd, dnnl_query_dst_md, &c_user, &mm->c);
    if (r == AX_OK && !(mm->sum = ax_alloc_aligned((size_t)(s->m * s->ldc) * sizeof(float))))
        r = ax_fail(AX_ERR_NOMEM, "oneDNN matmul: out of memory");
    return r;
}

ax_status ax_dnnl_matmul_new(const ax_dnnl_matmul_shape *s, ax_dnnl_matmul **out)
{
    *out = NULL;
    ax_dnnl_matmul *mm = ax_calloc(1, sizeof *mm);
    if (!mm)
        return ax_fail(AX_ERR_NOMEM, "oneDNN matmul: out of memory");
    mm->s = *s;
    const ax_status st = ax_dnnl_make_for_threads(s->threads, build, mm);
    if (st != AX_OK) {
        ax_dnnl_matmul_free(mm);
        return st;
    }
    *out = mm;
    return AX_OK;
}

const ax_dnnl_matmul_shape *ax_dnnl_matmul_shape_of(const ax_dnnl_matmul *mm) { return &mm->s; }
const char *ax_dnnl_matmul_impl(const ax_dnnl_matmul *mm) { return ax_dnnl_impl(mm->pd); }

ax_status ax_dnnl_matmul_run(ax_dnnl_matmul *mm, const float *a, const float *b, float *c, int add)
{
    const ax_dnnl_matmul_shape *s = &mm->s;
    ax_status st;
    if ((st = ax_dnnl_tensor_in(mm->stream, &mm->a, a)) != AX_OK ||
        (st = ax_dnnl_tensor_in(mm->stream, &mm->b, b)) != AX_OK)
        return st;
    DN(dnnl_memory_set_data_handle(mm->c.user, add ? mm->sum : c));
    const dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, mm->a.prim}, {DNNL_ARG_WEIGHTS, mm->b.prim},
                                     {DNNL_ARG_DST, mm->c.prim}};
    DN(dnnl_primitive_execute(mm->prim, mm->stream, 3, args));
    if ((st = ax_dnnl_tensor_out(mm->stream, &mm->c)) != AX_OK)
        return st;
    DN(dnnl_stream_wait(mm->stream));
    if (add)
        for (int64_t i = 0; i < s->m; i++)
            ax_k_acc(s->n, mm->sum + i * s->ldc, c + i * s->ldc);
    return AX_OK;
}
