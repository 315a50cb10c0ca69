/* rnn: one Elman RNN layer in one direction, PyTorch's nn.RNN cell;
 * inputs, lengths and layout in ops/recurrent.h (the output row of a step
 * is h, [N, T, H]):
 *   h' = act(x_t w_ih^T + b_ih + h w_hh^T + b_hh),  act = tanh or relu
 * The input projection of all steps is one GEMM, each step one GEMM and
 * one pass; backward runs the steps in reverse (the activation's
 * derivative from its output), then one GEMM each for dx, dw_ih and dw_hh
 * over all steps. */
#include "ops/recurrent.h"
#include "backends/cpu/kernels.h"

#include <math.h>
#include <string.h>

enum { RELU = REC_REVERSE + 1 };

/* pre-activations [N T, H] (their gradients in backward), the state
 * [N, H]; with a gradient also prev [N T, H], the carried gradient [N, H]
 * and a [N, H] product */
static size_t scratch(const ax_node *n)
{
    ax_rec r;
    ax_rec_setup(n, 1, 0, &r);
    const int64_t NT = r.N * r.T;
    return (size_t)(NT * r.H + r.N * r.H + (n->needs_grad ? NT * r.H + 2 * r.N * r.H : 0));
}

static ax_status infer(ax_node *n) { return ax_rec_infer(n, 1, 0); }

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_rec r;
    ax_rec_setup(n, 1, 0, &r);
    ax_status s = ax_rec_check_lengths(&r);
    if (s != AX_OK)
        return s;
    const int64_t N = r.N, T = r.T, H = r.H;
    const int relu = n->attr[RELU] != 0;
    float *pre = n->scratch, *state = pre + N * T * H, *prev = n->needs_grad ? state + N * H : NULL;
    ax_rec_project(&r, pre, 1);
    ax_rec_initial_state(&r, state);
    for (int64_t step = 0; step < T; step++) {
        const int64_t t = ax_rec_step(&r, step);
        if (prev)
            ax_rec_save_prev(&r, t, state, prev);
        float *pt = pre + t * H;
        ax_k_gemm(0, 1, N, H, H, 1.0f, state, H, r.w_hh->data, H, 1.0f, pt, T * H);
#pragma omp parallel for if (N * H >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < N; i++) {
            float *y = n->data + (i * T + t) * H, *h = state + i * H;
            if (!ax_rec_valid(&r, i, t)) {
                memset(y, 0, (size_t)H * sizeof(float));
                continue;
            }
            const float *p = pt + i * T * H;
            for (int64_t j = 0; j < H; j++)
                h[j] = y[j] = relu ? (p[j] > 0.0f ? p[j] : 0.0f) : ax_k_tanh(p[j]);
        }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_rec r;
    ax_rec_setup(n, 1, 0, &r);
    const int64_t N = r.N, T = r.T, H = r.H;
    const int relu = n->attr[RELU] != 0;
    float *pre = n->scratch, *prev = pre + N * T * H + N * H, *dstate = prev + N * T * H, *dh = dstate + N * H;
    memset(dstate, 0, (size_t)(N * H) * sizeof(float));
    for (int64_t step = T - 1; step >= 0; step--) {
        const int64_t t = ax_rec_step(&r, step);
        float *pt = pre + t * H;
#pragma omp parallel for if (N * H >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < N; i++) {
            float *d = pt + i * T * H;
            if (!ax_rec_valid(&r, i, t)) {
                memset(d, 0, (size_t)H * sizeof(float));
                continue;
            }
            const int64_t row = (i * T + t) * H;
            const float *dy = n->grad + row, *y = n->data + row, *carry = dstate + i * H;
            for (int64_t j = 0; j < H; j++) {
                const float dyj = carry[j] + dy[j];
                d[j] = relu ? (y[j] > 0.0f ? dyj : 0.0f) : dyj * (1.0f - y[j] * y[j]);
            }
        }
        ax_rec_carry(&r, t, pt, T * H, dh, dstate, 0);
    }
    ax_rec_param_grads(&r, pre, pre, prev);
    ax_rec_state_grads(&r, dstate);
}

static const ax_attr_schema attrs[] = {AX_REC_ATTRS, {"relu", AX_ATTR_BOOL, 0, 0, 1, "ReLU instead of tanh"}};
const ax_op_def ax_op_rnn = {
    .schema = {.name = "rnn", .doc = "one Elman RNN layer (tanh or ReLU), one direction; each step's output is h",
               .inputs = "x w_ih w_hh [b_ih b_hh] [h0] [lengths]", .min_inputs = 3, .max_inputs = 7, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
