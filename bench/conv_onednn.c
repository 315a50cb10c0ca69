/* The W-CNN's two convolutions, one training pass each (forward, then the
 * gradients of the input and of the weights and bias), through axon's
 * conv2d op on its own kernel (im2col + GEMM: hint kernel=1) and through
 * oneDNN's convolution primitives (Debian's libdnnl 2.6) called directly,
 * side by side in one process, batch 64:
 *   conv1  1 x 28 x 28 -> 32 maps, 3x3
 *   conv2 32 x 13 x 13 -> 64 maps, 3x3
 * oneDNN picks its layouts (format_tag_any; the backward descriptors take
 * the forward one as their hint, without which 2.6 falls back to its
 * reference kernels); the reorders from and to axon's NCHW are timed with
 * it, as an integration behind axon's op would pay them.
 *
 *   bench_conv_onednn THREADS [STEPS]
 *
 * Prints, per layer, the median milliseconds of each over STEPS passes
 * (default 20) after 3 warm-up passes, oneDNN's also without the reorders
 * (its primitives alone), and the implementations oneDNN picked. */
#include <axon.h>

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "timing.h"

enum { N = 64 };

typedef struct layer {
    const char *name;
    int c, h, w, o;
} layer;

#define DN(call)                                                                                                    \
    do {                                                                                                           \
        dnnl_status_t st_ = (call);                                                                                 \
        if (st_ != dnnl_success) {                                                                                  \
            fprintf(stderr, "bench_conv_onednn: %s failed (%d)\n", #call, (int)st_);                               \
            exit(1);                                                                                                \
        }                                                                                                          \
    } while (0)

/* A memory of the primitive's layout for `what`, and one of the user's
 * plain layout with a reorder between them when they differ. */
typedef struct mem {
    dnnl_memory_t prim, user;
    dnnl_primitive_t to_prim, to_user;
} mem;

static void fill(dnnl_memory_t m, const dnnl_memory_desc_t *md)
{
    void *p;
    DN(dnnl_memory_get_data_handle(m, &p));
    float *f = p;
    for (size_t i = 0; i < dnnl_memory_desc_get_size(md) / sizeof(float); i++)
        f[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
}

static mem make(const_dnnl_primitive_desc_t pd, dnnl_query_t what, const dnnl_memory_desc_t *user_md, dnnl_engine_t eng)
{
    mem m = {0};
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
    DN(dnnl_memory_create(&m.prim, md, eng, DNNL_MEMORY_ALLOCATE));
    DN(dnnl_memory_create(&m.user, user_md, eng, DNNL_MEMORY_ALLOCATE));
    fill(m.prim, md);
    fill(m.user, user_md);
    if (!dnnl_memory_desc_equal(md, user_md)) {
        dnnl_primitive_desc_t r;
        DN(dnnl_reorder_primitive_desc_create(&r, user_md, eng, md, eng, NULL));
        DN(dnnl_primitive_create(&m.to_prim, r));
        DN(dnnl_reorder_primitive_desc_create(&r, md, eng, user_md, eng, NULL));
        DN(dnnl_primitive_create(&m.to_user, r));
    }
    return m;
}

/* with reorders off (a second figure), the primitives alone: what a
 * backend keeping oneDNN's layouts between layers would pay */
static int reorders = 1;

static void reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to, dnnl_stream_t s)
{
    if (!r || !reorders)
        return;
    const dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DN(dnnl_primitive_execute(r, s, 2, a));
}

static double onednn_ms(const layer *L, int steps, const char *impl[3])
{
    dnnl_engine_t eng;
    dnnl_stream_t st;
    DN(dnnl_engine_create(&eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    const int oh = L->h - 2, ow = L->w - 2;
    const dnnl_dims_t sd = {N, L->c, L->h, L->w}, wd = {L->o, L->c, 3, 3}, bd = {L->o}, dd = {N, L->o, oh, ow};
    const dnnl_dims_t strides = {1, 1}, pad = {0, 0};
    dnnl_memory_desc_t src_any, w_any, b_md, dst_any, src_user, w_user, dst_user;
    DN(dnnl_memory_desc_init_by_tag(&src_any, 4, sd, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&dst_any, 4, dd, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&b_md, 1, bd, dnnl_f32, dnnl_x));
    DN(dnnl_memory_desc_init_by_tag(&src_user, 4, sd, dnnl_f32, dnnl_nchw));
    DN(dnnl_memory_desc_init_by_tag(&w_user, 4, wd, dnnl_f32, dnnl_oihw));
    DN(dnnl_memory_desc_init_by_tag(&dst_user, 4, dd, dnnl_f32, dnnl_nchw));
    dnnl_convolution_desc_t fd, bdd, bwd;
    DN(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_any, &w_any, &b_md,
                                          &dst_any, strides, pad, pad));
    DN(dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &src_any, &w_any, &dst_any, strides,
                                                pad, pad));
    DN(dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src_any, &w_any, &b_md, &dst_any,
                                                   strides, pad, pad));
    dnnl_primitive_desc_t fpd, dpd, wpd;
    DN(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    DN(dnnl_primitive_desc_create(&dpd, &bdd, NULL, eng, fpd));
    DN(dnnl_primitive_desc_create(&wpd, &bwd, NULL, eng, fpd));
    DN(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl[0]));
    DN(dnnl_primitive_desc_query(dpd, dnnl_query_impl_info_str, 0, &impl[1]));
    DN(dnnl_primitive_desc_query(wpd, dnnl_query_impl_info_str, 0, &impl[2]));
    dnnl_primitive_t fwd, bwd_data, bwd_w;
    DN(dnnl_primitive_create(&fwd, fpd));
    DN(dnnl_primitive_create(&bwd_data, dpd));
    DN(dnnl_primitive_create(&bwd_w, wpd));
    mem src = make(fpd, dnnl_query_src_md, &src_user, eng), w = make(fpd, dnnl_query_weights_md, &w_user, eng),
        dst = make(fpd, dnnl_query_dst_md, &dst_user, eng), ddst = make(dpd, dnnl_query_diff_dst_md, &dst_user, eng),
        dsrc = make(dpd, dnnl_query_diff_src_md, &src_user, eng),
        bw_w = make(dpd, dnnl_query_weights_md, &w_user, eng),
        bw_src = make(wpd, dnnl_query_src_md, &src_user, eng),
        bw_ddst = make(wpd, dnnl_query_diff_dst_md, &dst_user, eng),
        dw = make(wpd, dnnl_query_diff_weights_md, &w_user, eng);
    dnnl_memory_t bias, dbias;
    DN(dnnl_memory_create(&bias, &b_md, eng, DNNL_MEMORY_ALLOCATE));
    DN(dnnl_memory_create(&dbias, &b_md, eng, DNNL_MEMORY_ALLOCATE));
    fill(bias, &b_md);
    const dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC, src.prim}, {DNNL_ARG_WEIGHTS, w.prim}, {DNNL_ARG_BIAS, bias},
                                  {DNNL_ARG_DST, dst.prim}};
    const dnnl_exec_arg_t da[] = {{DNNL_ARG_DIFF_DST, ddst.prim}, {DNNL_ARG_WEIGHTS, bw_w.prim},
                                  {DNNL_ARG_DIFF_SRC, dsrc.prim}};
    const dnnl_exec_arg_t wa[] = {{DNNL_ARG_SRC, bw_src.prim}, {DNNL_ARG_DIFF_DST, bw_ddst.prim},
                                  {DNNL_ARG_DIFF_WEIGHTS, dw.prim}, {DNNL_ARG_DIFF_BIAS, dbias}};
    double *ms = calloc((size_t)steps + 3, sizeof *ms);
    for (int k = 0; k < steps + 3; k++) {
        const double t0 = bench_now();
        /* forward: the input and weights into the primitive's layouts, the output back to NCHW */
        reorder(src.to_prim, src.user, src.prim, st);
        reorder(w.to_prim, w.user, w.prim, st);
        DN(dnnl_primitive_execute(fwd, st, 4, fa));
        reorder(dst.to_user, dst.prim, dst.user, st);
        /* backward: dY in, dX and dW out (the layouts each backward primitive chose) */
        reorder(ddst.to_prim, ddst.user, ddst.prim, st);
        reorder(bw_w.to_prim, bw_w.user, bw_w.prim, st);
        DN(dnnl_primitive_execute(bwd_data, st, 3, da));
        reorder(dsrc.to_user, dsrc.prim, dsrc.user, st);
        reorder(bw_src.to_prim, bw_src.user, bw_src.prim, st);
        reorder(bw_ddst.to_prim, bw_ddst.user, bw_ddst.prim, st);
        DN(dnnl_primitive_execute(bwd_w, st, 4, wa));
        reorder(dw.to_user, dw.prim, dw.user, st);
        DN(dnnl_stream_wait(st));
        ms[k] = 1e3 * (bench_now() - t0);
    }
    const double median = bench_median(ms + 3, steps);
    free(ms);
    return median; /* the objects live until the process ends: a benchmark */
}

static double axon_ms(const layer *L, int steps)
{
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(N, L->c, L->h, L->w));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_conv2d_layer(g, x, L->o, 3, 3, NULL, NULL, AX_DEFAULT_INIT, &rng, "conv");
    /* axon's own kernel (the op would choose oneDNN for conv2 by itself) */
    if (ax_node_hint(y, "kernel", 1) != AX_OK || ax_graph_compile(g) != AX_OK) {
        fprintf(stderr, "bench_conv_onednn: %s\n", ax_last_error());
        exit(1);
    }
    const double median = bench_pass_ms(g, y, steps, "bench_conv_onednn");
    ax_graph_free(g);
    return median;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_conv_onednn THREADS [STEPS]\n");
        return 2;
    }
    const int threads = atoi(argv[1]), steps = argc > 2 ? atoi(argv[2]) : 20;
    ax_set_num_threads(threads);
    const layer layers[2] = {{"conv1", 1, 28, 28, 32}, {"conv2", 32, 13, 13, 64}};
    for (int i = 0; i < 2; i++) {
        const char *impl[3] = {"?", "?", "?"};
        const double a = axon_ms(&layers[i], steps), o = onednn_ms(&layers[i], steps, impl);
        reorders = 0;
        const double p = onednn_ms(&layers[i], steps, impl);
        reorders = 1;
        printf("%s threads %d  axon_ms %.3f  onednn_ms %.3f (primitives alone %.3f)  onednn/axon %.3f (%.3f)  "
               "(oneDNN: %s, %s, %s)\n", layers[i].name, threads, a, o, p, o / a, p / a, impl[0], impl[1], impl[2]);
    }
    return 0;
}
