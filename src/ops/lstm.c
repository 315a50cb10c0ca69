/* lstm: one LSTM layer in one direction (Hochreiter & Schmidhuber 1997,
 * with a forget gate), PyTorch's nn.LSTM cell; inputs, lengths and the
 * output's layout are in ops/recurrent.h (the output row of a step is
 * h then c, [N, T, 2H]). With gates in PyTorch's order i, f, g, o:
 *   [i f g o] = x_t w_ih^T + b_ih + h w_hh^T + b_hh
 *   c' = sigmoid(f) c + sigmoid(i) tanh(g),  h' = sigmoid(o) tanh(c')
 * The input projection of all steps is one GEMM, each step one GEMM for
 * all four gates, then one pass over the gates; backward runs the steps
 * in reverse (backprop through time), one GEMM a step for the carried
 * gradient of h, then one GEMM each for dx, dw_ih and dw_hh over all
 * steps. */
#include "ops/recurrent.h"
#include "backends/cpu/kernels.h"

#include <math.h>
#include <string.h>

/* gates [N T, 4H]; with a gradient also prev [N T, 2H], the carried
 * gradient [N, 2H] and a [N, H] product; the state [N, 2H] */
static size_t scratch(const ax_node *n)
{
    ax_rec r;
    ax_rec_setup(n, 4, 1, &r);
    const int64_t NT = r.N * r.T;
    return (size_t)(NT * r.G + r.N * r.S + (n->needs_grad ? NT * r.S + r.N * (r.S + r.H) : 0));
}

static ax_status infer(ax_node *n) { return ax_rec_infer(n, 4, 1); }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_rec r;
    ax_rec_setup(n, 4, 1, &r);
    ax_status s = ax_rec_check_lengths(&r);
    if (s != AX_OK)
        return s;
    const int64_t N = r.N, T = r.T, H = r.H, G = r.G, S = r.S;
    float *gates = n->scratch, *state = gates + N * T * G, *prev = n->needs_grad ? state + N * S : NULL;
    ax_rec_project(&r, gates, 1);
    ax_rec_initial_state(&r, state);
    for (int64_t step = 0; step < T; step++) {
        const int64_t t = ax_rec_step(&r, step);
        if (prev)
            ax_rec_save_prev(&r, t, state, prev);
        float *gt = gates + t * G; /* sample i's gates at gt + i T G */
        ax_k_gemm(0, 1, N, G, H, 1.0f, state, S, r.w_hh->data, H, 1.0f, gt, T * G);
#pragma omp parallel for if (N * G >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < N; i++) {
            float *y = n->data + (i * T + t) * S;
            if (!ax_rec_valid(&r, i, t)) {
                memset(y, 0, (size_t)S * sizeof(float));
                continue;
            }
            float *g = gt + i * T * G, *h = state + i * S, *c = h + H;
            for (int64_t j = 0; j < H; j++) {
                const float ig = ax_k_sigmoid(g[j]), fg = ax_k_sigmoid(g[H + j]), gg = ax_k_tanh(g[2 * H + j]),
                            og = ax_k_sigmoid(g[3 * H + j]);
                const float cn = fg * c[j] + ig * gg, hn = og * ax_k_tanh(cn);
                g[j] = ig, g[H + j] = fg, g[2 * H + j] = gg, g[3 * H + j] = og; /* kept for backward */
                h[j] = y[j] = hn;
                c[j] = y[H + j] = cn;
            }
        }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_rec r;
    ax_rec_setup(n, 4, 1, &r);
    const int64_t N = r.N, T = r.T, H = r.H, G = r.G, S = r.S;
    float *gates = n->scratch, *prev = gates + N * T * G + N * S, *dstate = prev + N * T * S, *dh = dstate + N * S;
    memset(dstate, 0, (size_t)(N * S) * sizeof(float));
    for (int64_t step = T - 1; step >= 0; step--) {
        const int64_t t = ax_rec_step(&r, step);
        float *gt = gates + t * G;
#pragma omp parallel for if (N * G >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < N; i++) {
            float *g = gt + i * T * G;
            if (!ax_rec_valid(&r, i, t)) {
                memset(g, 0, (size_t)G * sizeof(float));
                continue;
            }
            const int64_t row = (i * T + t) * S;
            const float *dy = n->grad + row, *y = n->data + row, *c_prev = prev + row + H;
            float *dhi = dstate + i * S, *dci = dhi + H;
            for (int64_t j = 0; j < H; j++) {
                const float ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
                const float tc = ax_k_tanh(y[H + j]), dh_ = dhi[j] + dy[j];
                const float dc = dci[j] + dy[H + j] + dh_ * og * (1.0f - tc * tc);
                dci[j] = dc * fg;
                g[j] = dc * gg * ig * (1.0f - ig);
                g[H + j] = dc * c_prev[j] * fg * (1.0f - fg);
                g[2 * H + j] = dc * ig * (1.0f - gg * gg);
                g[3 * H + j] = dh_ * tc * og * (1.0f - og);
            }
        }
        ax_rec_carry(&r, t, gt, T * G, dh, dstate, 0);
    }
    ax_rec_param_grads(&r, gates, gates, prev);
    ax_rec_state_grads(&r, dstate);
}

static const ax_attr_schema attrs[] = {AX_REC_ATTRS};
const ax_op_def ax_op_lstm = {
    .schema = {.name = "lstm",
               .doc = "one LSTM layer, one direction (PyTorch's gates i f g o); each step's output is h then c",
               .inputs = "x w_ih w_hh [b_ih b_hh] [h0 c0] [lengths]", .min_inputs = 3, .max_inputs = 8, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
