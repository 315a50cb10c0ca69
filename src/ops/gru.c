/* gru: one GRU layer in one direction (Cho et al. 2014), PyTorch's
 * nn.GRU cell; inputs, lengths and layout in ops/recurrent.h (the output
 * row of a step is h, [N, T, H]). With gates in PyTorch's order r, z, n:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   n = tanh(W_in x + b_in + r (W_hn h + b_hn))
 *   h' = (1 - z) n + z h
 * The input projection of all steps is one GEMM, each step one GEMM for
 * the three recurrent products, then one pass over the gates; backward
 * runs the steps in reverse with one GEMM a step, then one GEMM each for
 * dx, dw_ih and dw_hh over all steps. */
#include "ops/recurrent.h"
#include "backends/cpu/kernels.h"

#include <math.h>
#include <string.h>

/* gx [N T, 3H] (the input projection, then r z n), the step's recurrent
 * products [N, 3H], the state [N, H]; with a gradient also W_hn h + b_hn
 * [N T, H], prev [N T, H], the recurrent gates' gradients [N T, 3H], the
 * carried gradient [N, H] and a [N, H] product */
static size_t scratch(const ax_node *n)
{
    ax_rec r;
    ax_rec_setup(n, 3, 0, &r);
    const int64_t NT = r.N * r.T;
    return (size_t)(NT * r.G + r.N * r.G + r.N * r.H +
                    (n->needs_grad ? NT * r.H + NT * r.H + NT * r.G + 2 * r.N * r.H : 0));
}

static ax_status infer(ax_node *n) { return ax_rec_infer(n, 3, 0); }

typedef struct buffers {
    float *gx, *gh, *state, *hn, *prev, *dgh, *dstate, *dh;
} buffers;

static buffers layout(const ax_node *n, const ax_rec *r)
{
    const int64_t NT = r->N * r->T;
    buffers b = {.gx = n->scratch};
    b.gh = b.gx + NT * r->G;
    b.state = b.gh + r->N * r->G;
    if (n->needs_grad) {
        b.hn = b.state + r->N * r->H;
        b.prev = b.hn + NT * r->H;
        b.dgh = b.prev + NT * r->H;
        b.dstate = b.dgh + NT * r->G;
        b.dh = b.dstate + r->N * r->H;
    }
    return b;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_rec r;
    ax_rec_setup(n, 3, 0, &r);
    ax_status s = ax_rec_check_lengths(&r);
    if (s != AX_OK)
        return s;
    const int64_t N = r.N, T = r.T, H = r.H, G = r.G;
    buffers b = layout(n, &r);
    ax_rec_project(&r, b.gx, 0);
    ax_rec_initial_state(&r, b.state);
    const float *bh = r.b_hh ? r.b_hh->data : NULL;
    for (int64_t step = 0; step < T; step++) {
        const int64_t t = ax_rec_step(&r, step);
        if (b.prev)
            ax_rec_save_prev(&r, t, b.state, b.prev);
        ax_k_gemm(0, 1, N, G, H, 1.0f, b.state, H, r.w_hh->data, H, 0.0f, b.gh, G);
#pragma omp parallel for if (N * G >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < N; i++) {
            const int64_t row = i * T + t;
            float *y = n->data + row * H;
            if (!ax_rec_valid(&r, i, t)) {
                memset(y, 0, (size_t)H * sizeof(float));
                continue;
            }
            float *g = b.gx + row * G, *h = b.state + i * H;
            const float *gh = b.gh + i * G;
            for (int64_t j = 0; j < H; j++) {
                const float hr = gh[j] + (bh ? bh[j] : 0.0f), hz = gh[H + j] + (bh ? bh[H + j] : 0.0f),
                            hn = gh[2 * H + j] + (bh ? bh[2 * H + j] : 0.0f);
                const float rg = ax_k_sigmoid(g[j] + hr), zg = ax_k_sigmoid(g[H + j] + hz);
                const float ng = ax_k_tanh(g[2 * H + j] + rg * hn);
                g[j] = rg, g[H + j] = zg, g[2 * H + j] = ng; /* kept for backward */
                if (b.hn)
                    b.hn[row * H + j] = hn;
                h[j] = y[j] = (1.0f - zg) * ng + zg * h[j];
            }
        }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_rec r;
    ax_rec_setup(n, 3, 0, &r);
    const int64_t N = r.N, T = r.T, H = r.H, G = r.G;
    buffers b = layout(n, &r);
    memset(b.dstate, 0, (size_t)(N * H) * sizeof(float));
    for (int64_t step = T - 1; step >= 0; step--) {
        const int64_t t = ax_rec_step(&r, step);
#pragma omp parallel for if (N * G >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < N; i++) {
            const int64_t row = i * T + t;
            float *g = b.gx + row * G, *dg = b.dgh + row * G;
            if (!ax_rec_valid(&r, i, t)) {
                memset(g, 0, (size_t)G * sizeof(float));
                memset(dg, 0, (size_t)G * sizeof(float));
                continue;
            }
            const float *dy = n->grad + row * H, *hp = b.prev + row * H, *hn = b.hn + row * H;
            float *carry = b.dstate + i * H;
            for (int64_t j = 0; j < H; j++) {
                const float rg = g[j], zg = g[H + j], ng = g[2 * H + j], dh = carry[j] + dy[j];
                const float dn = dh * (1.0f - zg) * (1.0f - ng * ng), dz = dh * (hp[j] - ng) * zg * (1.0f - zg);
                const float dr = dn * hn[j] * rg * (1.0f - rg);
                g[j] = dg[j] = dr;
                g[H + j] = dg[H + j] = dz;
                g[2 * H + j] = dn;
                dg[2 * H + j] = dn * rg;
                carry[j] = dh * zg; /* through h' = ... + z h; the gates' part is added below */
            }
        }
        ax_rec_carry(&r, t, b.dgh + t * G, T * G, b.dh, b.dstate, 1);
    }
    ax_rec_param_grads(&r, b.gx, b.dgh, b.prev);
    ax_rec_state_grads(&r, b.dstate);
}

static const ax_attr_schema attrs[] = {AX_REC_ATTRS};
const ax_op_def ax_op_gru = {
    .schema = {.name = "gru", .doc = "one GRU layer, one direction (PyTorch's gates r z n); each step's output is h",
               .inputs = "x w_ih w_hh [b_ih b_hh] [h0] [lengths]", .min_inputs = 3, .max_inputs = 7, AX_ATTRS(attrs)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward};
