/* Recurrent layers (axon/nn.h): stacks of the one-layer, one-direction
 * ops rnn, lstm and gru (src/ops), joined as PyTorch's modules join them. */
#include "axon/nn.h"
#include "nn/layer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

ax_status ax_rnn_cell_from_name(const char *name, ax_rnn_cell *out)
{
    static const char *names[] = {"rnn", "rnn_relu", "lstm", "gru"};
    for (int i = 0; i < 4; i++)
        if (name && !strcmp(name, names[i])) {
            *out = (ax_rnn_cell)i;
            return AX_OK;
        }
    return ax_fail(AX_ERR_INVALID_ARG, "unknown recurrent cell '%s' (expected rnn, rnn_relu, lstm or gru)",
                   name ? name : "(null)");
}

static ax_node *layer_error(ax_graph *g, const char *name, const char *what)
{
    ax_fail(AX_ERR_INVALID_ARG, "recurrent layer '%s': %s", name ? name : "?", what);
    return ax_graph_error(g, AX_ERR_INVALID_ARG);
}

/* A parameter "<name>.<kind>_l<k>[_reverse]" drawn from U(-bound, bound). */
static ax_node *param(ax_graph *g, const char *name, const char *kind, int k, int reverse, ax_shape shape, float bound,
                      ax_rng *rng)
{
    char suffix[64], full[128];
    snprintf(suffix, sizeof suffix, "%s_l%d%s", kind, k, reverse ? "_reverse" : "");
    ax_node *p = ax_param(g, ax_layer_param_name(full, sizeof full, name, suffix), shape);
    if (!p)
        return NULL;
    ax_status s = ax_init_fill(ax_node_data(p), shape, (ax_init){AX_INIT_UNIFORM, -bound, bound}, rng);
    return s == AX_OK ? p : ax_graph_error(g, s);
}

/* Entry k of a [N, layers * directions, H] state as [N, H]. */
static ax_node *state_entry(ax_graph *g, ax_node *all, int k, int64_t H)
{
    return all ? ax_reshape(g, ax_slice(g, all, 1, k, k + 1, 1), ax_shape1(H)) : NULL;
}

/* The final state row of one direction's output y [N, T, S] -> [N, S]. */
static ax_node *final_row(ax_graph *g, ax_node *y, int reverse, ax_node *lengths, int64_t S)
{
    if (reverse) /* a backward direction ends at step 0 */
        return ax_reshape(g, ax_slice(g, y, 1, 0, 1, 1), ax_shape1(S));
    if (lengths) {
        ax_node *in[2] = {y, lengths};
        return ax_apply(g, "seq_last", in, 2, NULL, 0, NULL);
    }
    return ax_reshape(g, ax_slice(g, y, 1, -1, (int64_t)1 << 40, 1), ax_shape1(S));
}

ax_node *ax_rnn_layer(ax_graph *g, ax_node *x, ax_rnn_cell cell, int64_t hidden, const ax_rnn_options *options,
                      ax_rng *rng, const char *name, ax_rnn_result *result)
{
    if (!x || ax_graph_status(g) != AX_OK)
        return NULL;
    const ax_rnn_options o = options ? *options : (ax_rnn_options){0};
    const int L = o.layers ? o.layers : 1, D = o.bidirectional ? 2 : 1, lstm = cell == AX_LSTM;
    const int gates = lstm ? 4 : cell == AX_GRU ? 3 : 1;
    if (ax_node_shape(x).ndim != 3)
        return layer_error(g, name, "needs an input [N, T, features]");
    if (hidden < 1 || hidden > 16777216 || L < 1 || L > 1024)
        return layer_error(g, name, "hidden units must be 1..16777216 and layers 1..1024");
    if (!(o.dropout >= 0.0f && o.dropout < 1.0f))
        return layer_error(g, name, "dropout must be in [0, 1)");
    if (o.c0 && !lstm)
        return layer_error(g, name, "c0 is for LSTM layers only");
    if (lstm && !o.h0 != !o.c0)
        return layer_error(g, name, "an LSTM's initial state is h0 and c0 together");
    if (!rng)
        return layer_error(g, name, "needs a random stream for its initial weights");
    const char *op = lstm ? "lstm" : cell == AX_GRU ? "gru" : "rnn";
    const int64_t H = hidden, S = lstm ? 2 * H : H;
    const float bound = 1.0f / sqrtf((float)H);
    ax_node *finals_h[2048], *finals_c[2048], *in = x;
    for (int l = 0; l < L; l++) {
        if (l > 0 && o.dropout > 0.0f)
            in = ax_dropout(g, in, o.dropout);
        ax_node *dir_out[2];
        for (int d = 0; d < D; d++) {
            const int64_t I = ax_node_shape(in).dim[2];
            ax_node *inputs[8];
            int n = 0;
            inputs[n++] = in;
            inputs[n++] = param(g, name, "weight_ih", l, d, ax_shape2(gates * H, I), bound, rng);
            inputs[n++] = param(g, name, "weight_hh", l, d, ax_shape2(gates * H, H), bound, rng);
            if (!o.no_bias) {
                inputs[n++] = param(g, name, "bias_ih", l, d, ax_shape1(gates * H), bound, rng);
                inputs[n++] = param(g, name, "bias_hh", l, d, ax_shape1(gates * H), bound, rng);
            }
            const int given_state = o.h0 != NULL;
            if (given_state) {
                inputs[n++] = state_entry(g, o.h0, l * D + d, H);
                if (lstm)
                    inputs[n++] = state_entry(g, o.c0, l * D + d, H);
            }
            if (o.lengths)
                inputs[n++] = o.lengths;
            for (int i = 0; i < n; i++)
                if (!inputs[i])
                    return NULL;
            ax_attr at[5] = {AX_ATTR("bias", !o.no_bias), AX_ATTR("initial_state", given_state),
                             AX_ATTR("lengths", o.lengths != NULL), AX_ATTR("reverse", d), AX_ATTR("relu", 1)};
            ax_node *y = ax_apply(g, op, inputs, n, at, cell == AX_RNN_RELU ? 5 : 4, NULL);
            if (!y)
                return NULL;
            dir_out[d] = lstm ? ax_slice(g, y, 2, 0, H, 1) : y;
            if (result) {
                ax_node *f = final_row(g, y, d, o.lengths, S);
                finals_h[l * D + d] = lstm ? ax_slice(g, f, 1, 0, H, 1) : f;
                finals_c[l * D + d] = lstm ? ax_slice(g, f, 1, H, 2 * H, 1) : NULL;
            }
        }
        in = D == 2 ? ax_concat_axis(g, dir_out, 2, 2) : dir_out[0];
    }
    if (result) {
        *result = (ax_rnn_result){.output = in};
        result->h_n = ax_stack(g, finals_h, L * D, 1);
        result->c_n = lstm ? ax_stack(g, finals_c, L * D, 1) : NULL;
        ax_node **last = finals_h + (L - 1) * D;
        result->last = D == 2 ? ax_concat_axis(g, last, 2, 1) : last[0];
    }
    return in;
}

/* One state node into another of the same size (an output into an input). */
static ax_status carry(const ax_node *from, ax_node *to)
{
    const int64_t n = ax_node_numel(from);
    if (n != ax_node_numel(to))
        return ax_fail(AX_ERR_SHAPE, "carry state: %s has %lld values, %s %lld", ax_node_name(from), (long long)n,
                       ax_node_name(to), (long long)ax_node_numel(to));
    float *tmp = ax_alloc((size_t)n * sizeof(float));
    if (!tmp)
        return ax_fail(AX_ERR_NOMEM, "carry state: out of memory");
    ax_status s = ax_node_read(from, tmp, n);
    if (s == AX_OK)
        s = ax_node_write(to, tmp, n);
    ax_free(tmp);
    return s;
}

ax_status ax_rnn_carry_state(const ax_rnn_result *result, ax_node *h0, ax_node *c0)
{
    if (!result || !result->h_n || !h0 || !c0 != !result->c_n)
        return ax_fail(AX_ERR_INVALID_ARG, "carry state: needs a result with its final states and the h0 (and, for "
                       "an LSTM, c0) inputs");
    ax_status s = carry(result->h_n, h0);
    return s == AX_OK && c0 ? carry(result->c_n, c0) : s;
}
