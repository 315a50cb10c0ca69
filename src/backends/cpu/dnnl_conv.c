/* Convolutions through oneDNN's primitives (dnnl_conv.h). */
#include "backends/cpu/dnnl_conv.h"
#include "backends/cpu/dnnl_tensor.h"
#include "backends/cpu/kernels.h"

#include <oneapi/dnnl/dnnl.h>
#include <string.h>

enum { FWD, BWD_DATA, BWD_WEIGHTS };

struct ax_dnnl_conv {
    ax_dnnl_conv_shape s;
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_primitive_desc_t pd[3];
    dnnl_primitive_t prim[3];
    /* forward: x, w, y; backward data: dy, w, dx; backward weights: x, dy, dw */
    ax_dnnl_tensor fx, fw, fy, ddy, dw_in, ddx, wx, wdy, wdw;
    dnnl_memory_t bias, dbias;
    float *sum; /* an output to add from: the largest of x, w, b */
    /* Backward weights reads x and dy in the same layouts as the forward
     * and backward data primitives do (in bf16 the rounded copies are half
     * the reorders of a step): when they match, it reads fx.prim and
     * ddy.prim, and wx / wdy are not made. */
    int share_x, share_dy;
    const float *fx_of; /* the x whose copy fx.prim holds: forward's, until a backward converts another */
};

#define DN(call) AX_DNNL("convolution", call)

void ax_dnnl_conv_free(ax_dnnl_conv *c)
{
    if (!c)
        return;
    ax_dnnl_tensor *ts[9] = {&c->fx, &c->fw, &c->fy, &c->ddy, &c->dw_in, &c->ddx, &c->wx, &c->wdy, &c->wdw};
    for (int i = 0; i < 9; i++)
        ax_dnnl_tensor_free(ts[i]);
    dnnl_memory_destroy(c->bias);
    dnnl_memory_destroy(c->dbias);
    for (int i = 0; i < 3; i++) {
        dnnl_primitive_destroy(c->prim[i]);
        dnnl_primitive_desc_destroy(c->pd[i]);
    }
    if (c->stream)
        dnnl_stream_destroy(c->stream);
    if (c->eng)
        dnnl_engine_destroy(c->eng);
    ax_free(c->sum);
    ax_free(c);
}

static ax_status pd_new(ax_dnnl_conv *c, int which, const void *desc, const_dnnl_primitive_attr_t attr,
                        const_dnnl_primitive_desc_t hint)
{
    return ax_dnnl_primitive_new("convolution", desc, attr, c->eng, hint, &c->pd[which], &c->prim[which]);
}

/* Whether two tensors reorder axon's buffer into the same layout. */
static int same_prim(const ax_dnnl_tensor *a, const ax_dnnl_tensor *b)
{
    const dnnl_memory_desc_t *ma, *mb;
    if (!a->to_prim || !b->to_prim || dnnl_memory_get_memory_desc(a->prim, &ma) != dnnl_success ||
        dnnl_memory_get_memory_desc(b->prim, &mb) != dnnl_success)
        return 0;
    return dnnl_memory_desc_equal(ma, mb);
}

static ax_status build(void *obj)
{
    ax_dnnl_conv *c = obj;
    const ax_dnnl_conv_shape *s = &c->s;
    DN(dnnl_engine_create(&c->eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&c->stream, c->eng, dnnl_stream_default_flags));
    const int grouped = s->groups > 1;
    const dnnl_dims_t xd = {s->n, s->c, s->h, s->w}, yd = {s->n, s->o, s->oh, s->ow}, bd = {s->o};
    const dnnl_dims_t wd_plain = {s->o, s->c / s->groups, s->kh, s->kw},
                      wd_grouped = {s->groups, s->o / s->groups, s->c / s->groups, s->kh, s->kw};
    const dnnl_dims_t strides = {s->stride_h, s->stride_w}, dil = {s->dil_h - 1, s->dil_w - 1},
                      pad_l = {s->pad_t, s->pad_l}, pad_r = {s->pad_b, s->pad_r};
    /* what the primitives read (bf16: rounded) and what they write (float32) */
    const dnnl_data_type_t in_t = s->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t x_any, w_any, y_any, x_out, w_out, y_out, x_md, w_md, y_md, b_md;
    DN(dnnl_memory_desc_init_by_tag(&x_any, 4, xd, in_t, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&y_any, 4, yd, in_t, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&w_any, grouped ? 5 : 4, grouped ? wd_grouped : wd_plain, in_t,
                                    dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&x_out, 4, xd, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&y_out, 4, yd, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&w_out, grouped ? 5 : 4, grouped ? wd_grouped : wd_plain, dnnl_f32,
                                    dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&x_md, 4, xd, dnnl_f32, dnnl_nchw));
    DN(dnnl_memory_desc_init_by_tag(&y_md, 4, yd, dnnl_f32, dnnl_nchw));
    DN(dnnl_memory_desc_init_by_tag(&w_md, grouped ? 5 : 4, grouped ? wd_grouped : wd_plain, dnnl_f32,
                                    grouped ? dnnl_goihw : dnnl_oihw));
    DN(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    dnnl_convolution_desc_t fd;
    /* forward_training whether or not a backward pass follows: an inference
     * plan computes the same bits as a training plan in eval mode */
    DN(dnnl_dilated_convolution_forward_desc_init(&fd, dnnl_forward_training,
                                                  dnnl_convolution_direct, &x_any, &w_any, s->bias ? &b_md : NULL,
                                                  &y_out, strides, dil, pad_l, pad_r));
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    DN(dnnl_primitive_attr_create(&attr));
    DN(dnnl_post_ops_create(&po));
    dnnl_status_t st = s->relu ? dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f) : dnnl_success;
    if (st == dnnl_success)
        st = dnnl_primitive_attr_set_post_ops(attr, po);
    ax_status r = st == dnnl_success ? pd_new(c, FWD, &fd, attr, NULL) : AX_ERR_STATE;
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    if (r != AX_OK)
        return st == dnnl_success ? r : ax_fail(AX_ERR_STATE, "oneDNN convolution: cannot fuse the ReLU");
    if ((r = ax_dnnl_tensor_new(c->eng, c->pd[FWD], dnnl_query_src_md, &x_md, &c->fx)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[FWD], dnnl_query_weights_md, &w_md, &c->fw)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[FWD], dnnl_query_dst_md, &y_md, &c->fy)) != AX_OK)
        return r;
    DN(dnnl_memory_create(&c->bias, &b_md, c->eng, DNNL_MEMORY_NONE));
    DN(dnnl_memory_create(&c->dbias, &b_md, c->eng, DNNL_MEMORY_NONE));
    if (!s->backward)
        return AX_OK;
    dnnl_convolution_desc_t dd, wd;
    DN(dnnl_dilated_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct, &x_out, &w_any, &y_any, strides,
                                                        dil, pad_l, pad_r));
    DN(dnnl_dilated_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &x_any, &w_out,
                                                           s->bias ? &b_md : NULL, &y_any, strides, dil, pad_l,
                                                           pad_r));
    if ((r = pd_new(c, BWD_DATA, &dd, NULL, c->pd[FWD])) != AX_OK ||
        (r = pd_new(c, BWD_WEIGHTS, &wd, NULL, c->pd[FWD])) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[BWD_DATA], dnnl_query_diff_dst_md, &y_md, &c->ddy)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[BWD_DATA], dnnl_query_weights_md, &w_md, &c->dw_in)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[BWD_DATA], dnnl_query_diff_src_md, &x_md, &c->ddx)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[BWD_WEIGHTS], dnnl_query_src_md, &x_md, &c->wx)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[BWD_WEIGHTS], dnnl_query_diff_dst_md, &y_md, &c->wdy)) != AX_OK ||
        (r = ax_dnnl_tensor_new(c->eng, c->pd[BWD_WEIGHTS], dnnl_query_diff_weights_md, &w_md, &c->wdw)) != AX_OK)
        return r;
    c->share_x = same_prim(&c->fx, &c->wx);
    c->share_dy = same_prim(&c->ddy, &c->wdy);
    if (c->share_x)
        ax_dnnl_tensor_free(&c->wx);
    if (c->share_dy)
        ax_dnnl_tensor_free(&c->wdy);
    /* outputs that add to a gradient already there are written here first:
     * dx, or dw followed by db */
    const int64_t dx_n = s->n * s->c * s->h * s->w, dwb_n = s->o * (s->c / s->groups) * s->kh * s->kw + s->o;
    if (!(c->sum = ax_alloc_aligned((size_t)(dx_n > dwb_n ? dx_n : dwb_n) * sizeof(float))))
        return ax_fail(AX_ERR_NOMEM, "oneDNN convolution: out of memory");
    return AX_OK;
}

ax_status ax_dnnl_conv_new(const ax_dnnl_conv_shape *s, ax_dnnl_conv **out)
{
    *out = NULL;
    ax_dnnl_conv *c = ax_calloc(1, sizeof *c);
    if (!c)
        return ax_fail(AX_ERR_NOMEM, "oneDNN convolution: out of memory");
    c->s = *s;
    const ax_status st = ax_dnnl_make_for_threads(s->threads, build, c);
    if (st != AX_OK) {
        ax_dnnl_conv_free(c);
        return st;
    }
    *out = c;
    return AX_OK;
}

const ax_dnnl_conv_shape *ax_dnnl_conv_shape_of(const ax_dnnl_conv *c) { return &c->s; }

const char *ax_dnnl_conv_impl(const ax_dnnl_conv *c, int which)
{
    return which >= 0 && which < 3 ? ax_dnnl_impl(c->pd[which]) : "";
}

static ax_status into(ax_dnnl_conv *c, ax_dnnl_tensor *t, const float *data) { return ax_dnnl_tensor_in(c->stream, t, data); }
static ax_status out_of(ax_dnnl_conv *c, ax_dnnl_tensor *t) { return ax_dnnl_tensor_out(c->stream, t); }

static ax_status run(ax_dnnl_conv *c, int which, const dnnl_exec_arg_t *args, int n)
{
    DN(dnnl_primitive_execute(c->prim[which], c->stream, n, args));
    return AX_OK;
}

ax_status ax_dnnl_conv_forward(ax_dnnl_conv *c, const float *x, const float *w, const float *b, float *y)
{
    ax_status s;
    if ((s = into(c, &c->fx, x)) || (s = into(c, &c->fw, w)))
        return s;
    c->fx_of = x;
    DN(dnnl_memory_set_data_handle(c->fy.user, y));
    if (b)
        DN(dnnl_memory_set_data_handle(c->bias, (void *)b));
    const dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, c->fx.prim}, {DNNL_ARG_WEIGHTS, c->fw.prim},
                                  {DNNL_ARG_DST, c->fy.prim}, {DNNL_ARG_BIAS, c->bias}};
    if ((s = run(c, FWD, a, b ? 4 : 3)) || (s = out_of(c, &c->fy)))
        return s;
    DN(dnnl_stream_wait(c->stream));
    return AX_OK;
}

/* An output's destination: axon's buffer, or the sum buffer to add from. */
static float *target(ax_dnnl_conv *c, float *dst, int add) { return add ? c->sum : dst; }
static void finish(ax_dnnl_conv *c, float *dst, int add, int64_t n)
{
    if (add)
        ax_k_acc(n, c->sum, dst);
}

ax_status ax_dnnl_conv_backward(ax_dnnl_conv *c, const float *x, const float *w, const float *dy, float *dx,
                                int add_dx, float *dw, int add_dw, float *db, int add_db)
{
    const ax_dnnl_conv_shape *sh = &c->s;
    if (!c->prim[BWD_DATA])
        return ax_fail(AX_ERR_STATE, "oneDNN convolution: made without its backward primitives");
    ax_status s;
    if (dx) {
        if ((s = into(c, &c->ddy, dy)) || (s = into(c, &c->dw_in, w)))
            return s;
        DN(dnnl_memory_set_data_handle(c->ddx.user, target(c, dx, add_dx)));
        const dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, c->ddy.prim}, {DNNL_ARG_WEIGHTS, c->dw_in.prim},
                                      {DNNL_ARG_DIFF_SRC, c->ddx.prim}};
        if ((s = run(c, BWD_DATA, a, 3)) || (s = out_of(c, &c->ddx)))
            return s;
        DN(dnnl_stream_wait(c->stream));
        finish(c, dx, add_dx, sh->n * sh->c * sh->h * sh->w);
    }
    if (dw || db) {
        /* oneDNN computes both; one not wanted goes to the sum buffer, unread */
        /* x is the forward's when the pointer is: a backward pass needs the
         * values its forward read, so nothing writes there in between */
        dnnl_memory_t xm = c->share_x ? c->fx.prim : c->wx.prim, dym = c->share_dy ? c->ddy.prim : c->wdy.prim;
        if (c->share_x && c->fx_of != x) {
            if ((s = into(c, &c->fx, x)))
                return s;
            c->fx_of = x;
        }
        if (!c->share_x && (s = into(c, &c->wx, x)))
            return s;
        if ((!c->share_dy || !dx) && (s = into(c, c->share_dy ? &c->ddy : &c->wdy, dy)))
            return s;
        const int64_t wn = sh->o * (sh->c / sh->groups) * sh->kh * sh->kw;
        DN(dnnl_memory_set_data_handle(c->wdw.user, dw ? target(c, dw, add_dw) : c->sum));
        /* the bias gradient, when added, goes through the buffer after dw's place */
        float *bias_out = c->sum + wn;
        if (sh->bias)
            DN(dnnl_memory_set_data_handle(c->dbias, db && !add_db ? db : bias_out));
        const dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, dym},
                                      {DNNL_ARG_DIFF_WEIGHTS, c->wdw.prim}, {DNNL_ARG_DIFF_BIAS, c->dbias}};
        if ((s = run(c, BWD_WEIGHTS, a, sh->bias ? 4 : 3)) || (s = out_of(c, &c->wdw)))
            return s;
        DN(dnnl_stream_wait(c->stream));
        if (dw)
            finish(c, dw, add_dw, wn);
        if (db && add_db)
            ax_k_acc(sh->o, bias_out, db);
    }
    return AX_OK;
}
