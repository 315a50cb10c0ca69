/* A character-level LSTM language model's training step in axon, for
 * bench/lstm.sh: embedding 64, 2-layer LSTM of 256 units, a dense layer to
 * the vocabulary at every step, softmax cross-entropy over every step
 * (the next character), Adam; batch 32 windows of 64 characters from a
 * text file.
 *
 *   bench_lstm THREADS STEPS [TEXT]
 *
 * Prints "step_ms M loss L gflop G vocab V peak P", M the median
 * milliseconds of a training step (forward, backward, Adam) after 3
 * warm-up steps (lstm_torch.py prints the same), G the GEMM work of one
 * step and P the GFLOP/s of one GEMM of the layer's size ([N T, H] times
 * [H, 4H]) through axon, the limit the step's GEMMs could reach. */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "timing.h"

enum { N = 32, T = 64, E = 64, H = 256 };


/* GFLOP/s of x [N T, H] w^T, w [4H, H]: the best of 20. */
static double gemm_peak(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(N * T, H)), *w = ax_param(g, "w", ax_shape2(4 * H, H));
    ax_matmul(g, x, w, 1);
    double best = 1e30;
    if (ax_graph_compile(g) == AX_OK)
        for (int k = 0; k < 20; k++) {
            const double t0 = bench_now();
            ax_graph_forward(g);
            const double dt = bench_now() - t0;
            best = dt < best ? dt : best;
        }
    ax_graph_free(g);
    return 2.0 * N * T * H * 4.0 * H / best / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_lstm THREADS STEPS [TEXT]\n");
        return 2;
    }
    const int threads = atoi(argv[1]), steps = atoi(argv[2]);
    const char *path = argc > 3 ? argv[3] : "/usr/share/common-licenses/GPL-3";
    ax_set_num_threads(threads);
    char *text;
    size_t len;
    if (ax_read_file(path, 1 << 26, &text, &len) != AX_OK || len < T + 2) {
        fprintf(stderr, "bench_lstm: %s\n", ax_last_error());
        return 1;
    }
    int code[256], V = 0; /* the vocabulary: the bytes the text has */
    memset(code, -1, sizeof code);
    for (size_t i = 0; i < len; i++)
        if (code[(unsigned char)text[i]] < 0)
            code[(unsigned char)text[i]] = V++;
    ax_rng rng;
    ax_rng_seed(&rng, 42, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *ix = ax_input(g, "chars", ax_shape2(N, T)), *next = ax_input(g, "next", ax_shape2(N, T));
    ax_node *emb = ax_param(g, "embed.weight", ax_shape2(V, E));
    ax_init_fill(ax_node_data(emb), ax_node_shape(emb), (ax_init){AX_INIT_NORMAL, 0, 1}, &rng);
    ax_rnn_options o = {.layers = 2};
    ax_node *h = ax_rnn_layer(g, ax_embedding(g, ix, emb), AX_LSTM, H, &o, &rng, "lstm", NULL);
    ax_node *w = ax_param(g, "head.weight", ax_shape2(V, H)), *b = ax_param(g, "head.bias", ax_shape1(V));
    ax_init_fill(ax_node_data(w), ax_node_shape(w), (ax_init){AX_INIT_XAVIER_UNIFORM, 0, 0}, &rng);
    ax_node *logits = ax_add(g, ax_batch_matmul(g, h, w, 0, 1), b);
    ax_node *in[2] = {logits, next};
    ax_node *loss = ax_apply(g, "softmax_cross_entropy", in, 2, NULL, 0, "loss");
    ax_optimizer *opt = NULL;
    ax_status s = ax_graph_compile(g);
    if (s == AX_OK)
        s = ax_optimizer_new("adam", NULL, &opt);
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    double *ms = calloc((size_t)steps + 3, sizeof *ms);
    float last = 0;
    for (int k = 0; k < steps + 3 && s == AX_OK; k++) {
        float *c = ax_node_data(ix), *y = ax_node_data(next);
        for (int i = 0; i < N; i++) {
            const size_t start = (size_t)(ax_rng_uniform(&rng) * (double)(len - T - 1));
            for (int t = 0; t < T; t++) {
                c[i * T + t] = (float)code[(unsigned char)text[start + t]];
                y[i * T + t] = (float)code[(unsigned char)text[start + t + 1]];
            }
        }
        const double t0 = bench_now();
        s = ax_graph_forward(g);
        if (s == AX_OK)
            s = ax_graph_backward(g, loss, NULL);
        if (s == AX_OK)
            s = ax_optimizer_step(opt);
        ms[k] = 1e3 * (bench_now() - t0);
        last = ax_node_data(loss)[0];
    }
    if (s != AX_OK) {
        fprintf(stderr, "bench_lstm: %s\n", ax_last_error());
        return 1;
    }
    const double step_ms = bench_median(ms + 3, steps), peak = gemm_peak();
    /* GEMM work: forward 2 flops a multiply-add; backward twice the forward */
    const double fwd = 2.0 * N * T * (4.0 * H * (E + H) + 4.0 * H * (H + H) + (double)H * V);
    printf("step_ms %.2f loss %.4f gflop %.3f vocab %d peak %.1f\n", step_ms, (double)last, 3 * fwd / 1e9, V,
           peak);
    free(ms);
    ax_free(text);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 0;
}
