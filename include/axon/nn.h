/* axon layers: parameterised sub-graphs, initialisers, regularisers. */
#ifndef AXON_NN_H
#define AXON_NN_H

#include "axon/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ax_init_kind {
    AX_INIT_DEFAULT = 0,    /* the layer's default: He uniform for the ReLU family, Xavier uniform otherwise */
    AX_INIT_ZEROS,
    AX_INIT_CONSTANT,       /* a */
    AX_INIT_UNIFORM,        /* U(a, b) */
    AX_INIT_NORMAL,         /* N(mean a, std b) */
    AX_INIT_XAVIER_UNIFORM, /* U(-r, r), r = sqrt(6 / (fan_in + fan_out))   Glorot & Bengio 2010 */
    AX_INIT_XAVIER_NORMAL,  /* N(0, 2 / (fan_in + fan_out)) */
    AX_INIT_HE_UNIFORM,     /* U(-r, r), r = sqrt(6 / fan_in)               He et al. 2015 */
    AX_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) */
    AX_INIT_LECUN_UNIFORM,  /* U(-r, r), r = sqrt(3 / fan_in)               LeCun et al. 1998 */
    AX_INIT_LECUN_NORMAL,   /* N(0, 1 / fan_in) */
    AX_INIT_ORTHOGONAL      /* rows (or columns) orthonormal, times gain a (1 when 0)  Saxe et al. 2014 */
} ax_init_kind;

typedef struct ax_init {
    ax_init_kind kind;
    float a, b; /* parameters, as listed above */
} ax_init;

/* "Choose for me": the layer picks by its activation. */
#define AX_DEFAULT_INIT ((ax_init){AX_INIT_DEFAULT, 0.0f, 0.0f})

/* By name: "zeros", "constant", "uniform", "normal", "xavier_uniform"
 * (also "glorot_uniform"), "xavier_normal", "he_uniform" (also
 * "kaiming_uniform"), "he_normal", "lecun_uniform", "lecun_normal",
 * "orthogonal". a and b are left for the caller. */
ax_status ax_init_from_name(const char *name, ax_init *out);
const char *ax_init_name(ax_init_kind kind);
/* The default for a layer followed by this activation (NULL: none). */
ax_init ax_init_default_for(const char *activation);

/* Fill a tensor of this shape. Fans follow PyTorch: [out, in, k...] has
 * fan_in = in * prod(k), fan_out = out * prod(k); a 1-D tensor has both
 * equal to its length. */
ax_status ax_init_fill(float *w, ax_shape shape, ax_init init, ax_rng *rng);

/* Apply an activation op by name ("relu", "leaky_relu", ...; NULL, "none"
 * or "linear" return x) with its default parameters. */
ax_node *ax_activate(ax_graph *g, ax_node *x, const char *activation);

/* A fully connected layer: y = act(x W^T + b), W [units, in] and b [units]
 * (PyTorch's layout), named "<name>.weight" and "<name>.bias". x is
 * [N, in], or [N, ..., in] (applied along the last axis, at every step of
 * a sequence, as PyTorch's Linear is). W is drawn from init (kind AX_INIT_DEFAULT: chosen for the
 * activation) with rng; b starts at zero. */
ax_node *ax_dense(ax_graph *g, ax_node *x, int64_t units, const char *activation, ax_init init,
                  ax_rng *rng, const char *name);
/* The same without the bias: y = act(x W^T) (PyTorch's bias=False). */
ax_node *ax_dense_no_bias(ax_graph *g, ax_node *x, int64_t units, const char *activation, ax_init init,
                          ax_rng *rng, const char *name);

/* A 2-D convolution layer: y = act(conv2d(x, W) + b), W [out, C/groups,
 * kh, kw] and b [out] (PyTorch's layout and names "<name>.weight",
 * "<name>.bias"; no bias with options->no_bias). x is [N, C, H, W]. */
ax_node *ax_conv2d_layer(ax_graph *g, ax_node *x, int64_t out_channels, int kh, int kw,
                         const ax_conv_options *options, const char *activation, ax_init init,
                         ax_rng *rng, const char *name);

/* Batch normalisation over axis 1 of [N, C] or [N, C, H, W]: learned
 * "<name>.weight" (gamma, from 1) and "<name>.bias" (beta, from 0), and
 * buffers "<name>.running_mean" (0) and "<name>.running_var" (1), as
 * PyTorch names them. momentum 0 and eps 0 mean PyTorch's 0.1 and 1e-5. */
/* Any op that declares its parameters in its schema (batch_norm, prelu,
 * layernorm, ...) as a layer: its parameters "<name>.<param>" created with
 * their shapes and starting values, then the op applied to x. */
ax_node *ax_op_layer(ax_graph *g, const char *op, ax_node *x, const ax_attr *attrs, int n_attrs, const char *name);
ax_node *ax_batch_norm_layer(ax_graph *g, ax_node *x, float momentum, float eps, const char *name);

/* Parametric ReLU with a learned slope per feature (axis 1), starting at
 * 0.25 (PyTorch's default); the parameter is "<name>.weight". */
ax_node *ax_prelu_layer(ax_graph *g, ax_node *x, const char *name);

/* A maxout layer: a dense layer of units * k outputs, then the max of
 * each group of k. */
ax_node *ax_maxout_dense(ax_graph *g, ax_node *x, int64_t units, int64_t k, ax_rng *rng,
                         const char *name);

/* ---- recurrent layers ---------------------------------------------------
 * PyTorch's nn.RNN, nn.LSTM and nn.GRU with batch_first: x [N, T, I]
 * (T may be a sequence input's length, ax_input_seq). Parameters are
 * named as PyTorch names them, "<name>.weight_ih_l<k>" [G H, I],
 * "<name>.weight_hh_l<k>" [G H, H], "<name>.bias_ih_l<k>",
 * "<name>.bias_hh_l<k>" [G H] ("_reverse" added for the backward
 * direction), G = 1, 4 (gates i f g o) or 3 (r z n), all drawn from
 * U(-1/sqrt(H), 1/sqrt(H)), PyTorch's default; so weights move between
 * the two by name. */
typedef enum ax_rnn_cell { AX_RNN_TANH, AX_RNN_RELU, AX_LSTM, AX_GRU } ax_rnn_cell;
typedef struct ax_rnn_options {
    int layers;        /* stacked layers; 0 means 1 */
    int bidirectional; /* a second direction per layer from the last step back; its h joins the first's */
    int no_bias;       /* leave out b_ih and b_hh */
    float dropout;     /* on the outputs of every layer but the last, in training */
    ax_node *h0, *c0;  /* initial states [N, layers * directions, H] (c0: LSTM); NULL: zeros */
    ax_node *lengths;  /* [N] each sample's steps 1..T (packed sequences: later steps are padding, their
                        * outputs zero and the final state taken at the sample's last step; padding must
                        * hold finite numbers, zeros say); NULL: all T */
} ax_rnn_options;
typedef struct ax_rnn_result {
    ax_node *output; /* [N, T, directions * H]: the last layer's h at each step */
    ax_node *h_n;    /* [N, layers * directions, H]: each layer's and direction's final h */
    ax_node *c_n;    /* LSTM: the final c, likewise; NULL for the others */
    ax_node *last;   /* [N, directions * H]: the last layer's final h of each direction, joined */
} ax_rnn_result;
/* A recurrent layer of `hidden` units; returns the output. With result,
 * the final states are made too (h_n, c_n, last), else only the output.
 * options may be NULL (one layer, one direction, biases, zero states). */
ax_node *ax_rnn_layer(ax_graph *g, ax_node *x, ax_rnn_cell cell, int64_t hidden, const ax_rnn_options *options,
                      ax_rng *rng, const char *name, ax_rnn_result *result);
/* Truncated backprop through time over a long stream cut into windows:
 * after a batch, copy its final states (result's h_n, c_n) into the
 * initial-state inputs h0, c0 (options.h0, .c0; c0 NULL for RNN and GRU)
 * for the next window. They are inputs, so the next backward pass stops
 * there: the state carries on, the gradient is cut. */
ax_status ax_rnn_carry_state(const ax_rnn_result *result, ax_node *h0, ax_node *c0);
/* The cell by name: "rnn" (tanh), "rnn_relu", "lstm", "gru". */
ax_status ax_rnn_cell_from_name(const char *name, ax_rnn_cell *out);

/* loss + l1 sum |w| + l2 sum w^2 over the parameter (Keras's convention;
 * PyTorch's weight_decay wd matches l2 = wd / 2). Returns the new loss. */
ax_node *ax_regularize(ax_graph *g, ax_node *loss, ax_node *param, float l1, float l2);

#ifdef __cplusplus
}
#endif
#endif
