/* One LSTM layer's training pass (forward, then backward to the input
 * and the weights) through axon's lstm op and through oneDNN's LSTM
 * primitives (Debian's libdnnl 2.6: forward training and backward, the
 * layouts of its choice), side by side in one process: T 64 steps, batch
 * N 32, 256 inputs, 256 units (the layers of bench/lstm_step.c).
 *
 *   bench_lstm_onednn THREADS [STEPS]
 *
 * Prints the median milliseconds of each over STEPS passes (default 20)
 * after 3 warm-up passes, and the implementation oneDNN picked. */
#include <axon.h>

#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "timing.h"

enum { T = 64, N = 32, I = 256, H = 256 };


#define DN(call)                                                                                                    \
    do {                                                                                                           \
        dnnl_status_t st_ = (call);                                                                                 \
        if (st_ != dnnl_success) {                                                                                  \
            fprintf(stderr, "bench_lstm_onednn: %s failed (%d)\n", #call, (int)st_);                               \
            exit(1);                                                                                                \
        }                                                                                                          \
    } while (0)

static dnnl_memory_t memory_of(const_dnnl_primitive_desc_t pd, dnnl_query_t what, int index, dnnl_engine_t eng)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, index);
    dnnl_memory_t m;
    DN(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    void *p;
    DN(dnnl_memory_get_data_handle(m, &p));
    memset(p, 0, dnnl_memory_desc_get_size(md)); /* values do not change the time; zeros are defined */
    return m;
}

static double onednn_ms(int steps, const char **impl)
{
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    DN(dnnl_engine_create(&eng, dnnl_cpu, 0));
    DN(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
    dnnl_memory_desc_t src, dst, wl, wi, bias;
    const dnnl_dims_t src_dims = {T, N, I}, dst_dims = {T, N, H}, wl_dims = {1, 1, I, 4, H}, wi_dims = {1, 1, H, 4, H},
                      b_dims = {1, 1, 4, H};
    DN(dnnl_memory_desc_init_by_tag(&src, 3, src_dims, dnnl_f32, dnnl_tnc));
    DN(dnnl_memory_desc_init_by_tag(&dst, 3, dst_dims, dnnl_f32, dnnl_tnc));
    DN(dnnl_memory_desc_init_by_tag(&wl, 5, wl_dims, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&wi, 5, wi_dims, dnnl_f32, dnnl_format_tag_any));
    DN(dnnl_memory_desc_init_by_tag(&bias, 4, b_dims, dnnl_f32, dnnl_ldgo));
    dnnl_rnn_desc_t fd, bd;
    DN(dnnl_lstm_forward_desc_init(&fd, dnnl_forward_training, dnnl_unidirectional_left2right, &src, NULL, NULL, &wl,
                                   &wi, &bias, &dst, NULL, NULL, 0));
    dnnl_primitive_desc_t fpd, bpd;
    DN(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    DN(dnnl_lstm_backward_desc_init(&bd, dnnl_backward, dnnl_unidirectional_left2right, &src, NULL, NULL, &wl, &wi,
                                    &bias, &dst, NULL, NULL, &src, NULL, NULL, &wl, &wi, &bias, &dst, NULL, NULL, 0));
    DN(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd));
    DN(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, impl));
    dnnl_primitive_t fwd, bwd;
    DN(dnnl_primitive_create(&fwd, fpd));
    DN(dnnl_primitive_create(&bwd, bpd));
    dnnl_memory_t m_src = memory_of(fpd, dnnl_query_src_md, 0, eng), m_wl = memory_of(fpd, dnnl_query_weights_md, 0, eng),
                  m_wi = memory_of(fpd, dnnl_query_weights_md, 1, eng), m_b = memory_of(fpd, dnnl_query_weights_md, 2, eng),
                  m_dst = memory_of(fpd, dnnl_query_dst_md, 0, eng), m_ws = memory_of(fpd, dnnl_query_workspace_md, 0, eng),
                  b_wl = memory_of(bpd, dnnl_query_weights_md, 0, eng), b_wi = memory_of(bpd, dnnl_query_weights_md, 1, eng),
                  d_src = memory_of(bpd, dnnl_query_diff_src_md, 0, eng),
                  d_wl = memory_of(bpd, dnnl_query_diff_weights_md, 0, eng),
                  d_wi = memory_of(bpd, dnnl_query_diff_weights_md, 1, eng),
                  d_b = memory_of(bpd, dnnl_query_diff_weights_md, 2, eng),
                  d_dst = memory_of(bpd, dnnl_query_diff_dst_md, 0, eng);
    const dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC_LAYER, m_src}, {DNNL_ARG_WEIGHTS_LAYER, m_wl}, {DNNL_ARG_WEIGHTS_ITER, m_wi},
                                  {DNNL_ARG_BIAS, m_b},       {DNNL_ARG_DST_LAYER, m_dst}, {DNNL_ARG_WORKSPACE, m_ws}};
    const dnnl_exec_arg_t ba[] = {{DNNL_ARG_SRC_LAYER, m_src},        {DNNL_ARG_WEIGHTS_LAYER, b_wl},
                                  {DNNL_ARG_WEIGHTS_ITER, b_wi},       {DNNL_ARG_BIAS, m_b},
                                  {DNNL_ARG_DST_LAYER, m_dst},         {DNNL_ARG_WORKSPACE, m_ws},
                                  {DNNL_ARG_DIFF_SRC_LAYER, d_src},    {DNNL_ARG_DIFF_WEIGHTS_LAYER, d_wl},
                                  {DNNL_ARG_DIFF_WEIGHTS_ITER, d_wi},  {DNNL_ARG_DIFF_BIAS, d_b},
                                  {DNNL_ARG_DIFF_DST_LAYER, d_dst}};
    double *ms = calloc((size_t)steps + 3, sizeof *ms);
    for (int k = 0; k < steps + 3; k++) {
        const double t0 = bench_now();
        DN(dnnl_primitive_execute(fwd, stream, 6, fa));
        DN(dnnl_primitive_execute(bwd, stream, 11, ba));
        DN(dnnl_stream_wait(stream));
        ms[k] = 1e3 * (bench_now() - t0);
    }
    const double median = bench_median(ms + 3, steps);
    free(ms);
    return median; /* the objects live until the process ends: a benchmark */
}

static double axon_ms(int steps)
{
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape3(N, T, I));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_rnn_layer(g, x, AX_LSTM, H, NULL, &rng, "lstm", NULL);
    if (ax_graph_compile(g) != AX_OK) {
        fprintf(stderr, "bench_lstm_onednn: %s\n", ax_last_error());
        exit(1);
    }
    const double median = bench_pass_ms(g, y, steps, "bench_lstm_onednn");
    ax_graph_free(g);
    return median;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_lstm_onednn THREADS [STEPS]\n");
        return 2;
    }
    const int threads = atoi(argv[1]), steps = argc > 2 ? atoi(argv[2]) : 20;
    ax_set_num_threads(threads);
    const char *impl = "?";
    const double a = axon_ms(steps), o = onednn_ms(steps, &impl);
    printf("threads %d  axon_ms %.2f  onednn_ms %.2f  onednn/axon %.3f  (oneDNN: %s)\n", threads, a, o, o / a, impl);
    return 0;
}
