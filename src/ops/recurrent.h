/* What the recurrent ops (rnn, lstm, gru) share (internal): their inputs
 * and attributes, shape checks, per-sample lengths, the input projection
 * of all steps as one GEMM, and the parameter gradients of all steps as
 * one GEMM each.
 *
 * Each op is one layer in one direction, PyTorch's conventions
 * (batch_first): x [N, T, I], w_ih [G, I], w_hh [G, H], b_ih [G], b_hh [G]
 * with G = gates * H, gates in PyTorch's order (LSTM i f g o, GRU r z n).
 * Inputs, in order: x w_ih w_hh, then b_ih b_hh (attribute bias), then h0
 * (and c0 for the LSTM) [N, H] (attribute initial_state; else zeros), then
 * lengths [N] (attribute lengths; whole numbers 1..T; else every sample
 * has all T steps). Sample n runs steps 0..len-1 (reverse: len-1 down to
 * 0, as PyTorch's packed sequences do); its outputs at the other steps are
 * zero and take no gradient, and its state stops at its last step.
 *
 * The output row of a step is the state after it: h (RNN, GRU) or h then
 * c (LSTM: [N, T, 2H]); the layer builders (src/nn/recurrent.c) slice it.
 * For backward each op keeps, per step, its gates and the state it
 * started from ("prev", [N, T, S] with S the state width). */
#ifndef AXON_OPS_RECURRENT_H
#define AXON_OPS_RECURRENT_H

#include "ops/op.h"

/* the attributes every recurrent op begins with, in this order */
enum { REC_BIAS, REC_STATE, REC_LENGTHS, REC_REVERSE };
#define AX_REC_ATTRS                                                                                       \
    {"bias", AX_ATTR_BOOL, 1, 0, 1, "inputs b_ih and b_hh follow w_hh"},                                   \
        {"initial_state", AX_ATTR_BOOL, 0, 0, 1, "inputs h0 (LSTM: and c0) [N, H] follow; else zeros"},     \
        {"lengths", AX_ATTR_BOOL, 0, 0, 1, "a last input lengths [N] gives each sample's steps (1..T)"},   \
        {"reverse", AX_ATTR_BOOL, 0, 0, 1, "run from the last step to the first (a backward direction)"}

typedef struct ax_rec {
    int64_t N, T, I, H, G, S; /* batch, steps, input features, hidden, gate rows, state width */
    ax_node *x, *w_ih, *w_hh, *b_ih, *b_hh, *h0, *c0, *len;
    int reverse;
} ax_rec;

/* The node's inputs and sizes (shapes checked by ax_rec_infer). */
void ax_rec_setup(const ax_node *n, int gates, int lstm, ax_rec *r);
/* Check the inputs' count and shapes; output [N, T, S]. */
ax_status ax_rec_infer(ax_node *n, int gates, int lstm);
/* The inputs' count the attributes ask for. */
int ax_rec_num_inputs(const ax_node *n, int lstm);
/* Check lengths (whole numbers in 1..T) before a forward pass. */
ax_status ax_rec_check_lengths(const ax_rec *r);
/* The step taken s-th (s = 0..T-1). */
static inline int64_t ax_rec_step(const ax_rec *r, int64_t s) { return r->reverse ? r->T - 1 - s : s; }
/* Whether sample i runs step t. */
static inline int ax_rec_valid(const ax_rec *r, int64_t i, int64_t t)
{
    return !r->len || t < (int64_t)r->len->data[i];
}
/* The state at the start: h0 (and c0) or zeros, into state [N, S]. */
void ax_rec_initial_state(const ax_rec *r, float *state);
/* out [N T, G] (rows ld apart) = x w_ih^T + b_ih (+ b_hh when add_b_hh). */
void ax_rec_project(const ax_rec *r, float *out, int add_b_hh);
/* Save state [N, S] as step t's "prev" [N, T, S] for the samples that run
 * step t. */
void ax_rec_save_prev(const ax_rec *r, int64_t t, const float *state, float *prev);
/* Backward through step t's recurrent product: the gradient reaching h
 * before the step is dgates_t (sample i's row at dgates_t + i ld) times
 * w_hh, for the samples that ran it; it replaces (add: is added to) the
 * h part of their rows of dstate [N, S]. tmp holds [N, H]. */
void ax_rec_carry(const ax_rec *r, int64_t t, const float *dgates_t, int64_t ld, float *tmp, float *dstate, int add);
/* After the steps: accumulate the gradients of x, w_ih, b_ih from dgx
 * [N T, G] and of w_hh, b_hh from dgh [N T, G] (dgh may be dgx) with prev
 * [N T, S] (h in its first H columns), each as one pass over all steps. */
void ax_rec_param_grads(const ax_rec *r, const float *dgx, const float *dgh, const float *prev);
/* The initial state's gradients from the carried ones, dstate [N, S]. */
void ax_rec_state_grads(const ax_rec *r, const float *dstate);

#endif
