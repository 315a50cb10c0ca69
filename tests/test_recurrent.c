/* Recurrent layers: every gradient of rnn, lstm and gru (one and two
 * layers, both directions, given initial states, per-sample lengths)
 * against finite differences; the meaning of lengths and directions
 * checked against runs on cut and reversed sequences; the parameters'
 * names and shapes; errors. (Forward and gradients against PyTorch's
 * nn.RNN, nn.LSTM and nn.GRU: tests/torch.) */
#include "gradcheck.h"
#include "backends/cpu/kernels.h" /* ax_k_tanh */
#include "ops/recurrent.h"        /* the rnn op's pre-activations, to keep away from ReLU's kink */
#include "test.h"

enum { N = 3, T = 5, I = 4, H = 3 };
static const float lengths[N] = {5, 2, 4};

typedef struct net {
    ax_graph *g;
    ax_node *x, *h0, *c0, *len, *out;
    ax_rnn_result r;
} net;

/* x [N, t, I] through a recurrent layer; states and lengths as asked. */
static net build(ax_rnn_cell cell, int t, ax_rnn_options o, int with_state, int with_lengths, uint64_t seed)
{
    net m = {0};
    ax_rng rng;
    ax_rng_seed(&rng, seed, 1);
    CHECK_OK(ax_graph_new(&m.g));
    m.x = ax_input(m.g, "x", ax_shape3(N, t, I));
    ax_node_set_requires_grad(m.x, 1);
    const int64_t states = (o.layers ? o.layers : 1) * (o.bidirectional ? 2 : 1);
    if (with_state) {
        o.h0 = m.h0 = ax_input(m.g, "h0", ax_shape3(N, states, H));
        ax_node_set_requires_grad(m.h0, 1);
        if (cell == AX_LSTM) {
            o.c0 = m.c0 = ax_input(m.g, "c0", ax_shape3(N, states, H));
            ax_node_set_requires_grad(m.c0, 1);
        }
    }
    if (with_lengths)
        o.lengths = m.len = ax_input(m.g, "lengths", ax_shape1(N));
    m.out = ax_rnn_layer(m.g, m.x, cell, H, &o, &rng, "rnn", &m.r);
    CHECK_OK(ax_graph_compile(m.g));
    if (ax_graph_status(m.g) != AX_OK)
        return m;
    fill_uniform(m.x, &rng, -1.5f, 1.5f, 0);
    if (m.h0)
        fill_uniform(m.h0, &rng, -1, 1, 0);
    if (m.c0)
        fill_uniform(m.c0, &rng, -1, 1, 0);
    if (m.len)
        memcpy(ax_node_data(m.len), lengths, sizeof lengths);
    return m;
}

/* The output and every final state in one node, so one finite-difference
 * check covers the gradients flowing in from each. */
static ax_node *everything(net *m)
{
    ax_graph *g = m->g;
    ax_node *parts[3] = {ax_flatten(g, m->r.output), ax_flatten(g, m->r.h_n), NULL};
    int n = 2;
    if (m->r.c_n)
        parts[n++] = ax_flatten(g, m->r.c_n);
    return ax_concat(g, parts, n);
}

/* The smallest |pre-activation| of the rnn ops' steps that ran. */
static double closest_to_kink(ax_graph *g)
{
    CHECK_OK(ax_graph_forward(g));
    double closest = INFINITY;
    for (int k = 0; k < ax_graph_num_nodes(g); k++) {
        ax_node *n = ax_graph_node(g, k);
        if (strcmp(ax_node_op(n), "rnn"))
            continue;
        ax_rec r;
        ax_rec_setup(n, 1, 0, &r);
        for (int64_t i = 0; i < r.N; i++)
            for (int64_t t = 0; t < r.T; t++)
                for (int64_t j = 0; ax_rec_valid(&r, i, t) && j < r.H; j++)
                    closest = fmin(closest, fabs(n->scratch[(i * r.T + t) * r.H + j]));
    }
    return closest;
}

static void gradients_match_finite_differences(void)
{
    const ax_rnn_cell cells[4] = {AX_RNN_TANH, AX_RNN_RELU, AX_LSTM, AX_GRU};
    const char *names[4] = {"rnn", "rnn_relu", "lstm", "gru"};
    for (int c = 0; c < 4; c++)
        for (int variant = 0; variant < 4; variant++) {
            /* 0: plain; 1: 2 layers, bidirectional; 2: given states and
             * lengths, bidirectional; 3: 2 layers, no bias, lengths */
            ax_rnn_options o = {.layers = variant & 1 ? 2 : 1, .bidirectional = variant == 1 || variant == 2,
                                .no_bias = variant == 3};
            net m = {0};
            ax_rng rng;
            ax_rng_seed(&rng, 100 + c * 4 + variant, 1);
            CHECK_OK(ax_graph_new(&m.g));
            m.x = ax_input(m.g, "x", ax_shape3(N, T, I));
            ax_node_set_requires_grad(m.x, 1);
            const int64_t states = o.layers * (o.bidirectional ? 2 : 1);
            if (variant == 2) {
                o.h0 = m.h0 = ax_input(m.g, "h0", ax_shape3(N, states, H));
                ax_node_set_requires_grad(m.h0, 1);
                if (cells[c] == AX_LSTM) {
                    o.c0 = m.c0 = ax_input(m.g, "c0", ax_shape3(N, states, H));
                    ax_node_set_requires_grad(m.c0, 1);
                }
            }
            if (variant >= 2)
                o.lengths = m.len = ax_input(m.g, "lengths", ax_shape1(N));
            m.out = ax_rnn_layer(m.g, m.x, cells[c], H, &o, &rng, "rnn", &m.r);
            ax_node *all = everything(&m);
            CHECK_OK(ax_graph_compile(m.g));
            if (m.len)
                memcpy(ax_node_data(m.len), lengths, sizeof lengths);
            int tries = 0;
            do { /* ReLU: inputs whose every pre-activation is away from the kink, as for the activations */
                fill_uniform(m.x, &rng, -1.5f, 1.5f, 0);
                if (m.h0)
                    fill_uniform(m.h0, &rng, -1, 1, 0);
                if (m.c0)
                    fill_uniform(m.c0, &rng, -1, 1, 0);
            } while (cells[c] == AX_RNN_RELU && ++tries < 1000 && closest_to_kink(m.g) < 0.02);
            CHECK(tries < 1000);
            const int bad = gradcheck(m.g, all, 60);
            if (bad)
                printf("  %s, variant %d: %d mismatches\n", names[c], variant, bad);
            CHECK(bad == 0);
            ax_graph_free(m.g);
        }
}

/* A padded sample gives the outputs and final state of its own shorter
 * sequence, zeros after it; a backward direction over it equals the
 * forward direction over the steps reversed. */
static void lengths_and_directions_mean_what_they_say(void)
{
    const ax_rnn_cell cells[3] = {AX_RNN_TANH, AX_LSTM, AX_GRU};
    for (int c = 0; c < 3; c++) {
        ax_rnn_options bi = {.bidirectional = 1};
        net full = build(cells[c], T, bi, 0, 1, 7);
        CHECK_OK(ax_graph_forward(full.g));
        for (int i = 0; i < N; i++) {
            const int len = (int)lengths[i];
            /* the same weights (same seed) on sample i cut to len steps */
            net cut = build(cells[c], len, bi, 0, 0, 7);
            float *xc = ax_node_data(cut.x);
            for (int k = 0; k < N; k++)
                memcpy(xc + k * len * I, ax_node_data(full.x) + i * T * I, (size_t)len * I * sizeof(float));
            CHECK_OK(ax_graph_forward(cut.g));
            const float *yf = ax_node_data(full.out) + i * T * 2 * H, *yc = ax_node_data(cut.out);
            double worst = 0, tail = 0;
            for (int t = 0; t < T; t++)
                for (int j = 0; j < 2 * H; j++)
                    if (t < len)
                        worst = fmax(worst, fabs(yf[t * 2 * H + j] - yc[t * 2 * H + j]));
                    else
                        tail = fmax(tail, fabs(yf[t * 2 * H + j]));
            for (int j = 0; j < 2 * H; j++)
                worst = fmax(worst, fabs(ax_node_data(full.r.h_n)[i * 2 * H + j] - ax_node_data(cut.r.h_n)[j]));
            CHECK_NEAR(worst, 0, 1e-6);
            CHECK(tail == 0);
            ax_graph_free(cut.g);
        }
        /* the reverse direction's weights run forward over reversed steps */
        ax_rnn_options uni = {0};
        net fwd = build(cells[c], T, uni, 0, 0, 8);
        ax_graph *g = full.g;
        for (int k = 0; k < ax_graph_num_params(fwd.g); k++) {
            ax_node *p = ax_graph_param(fwd.g, k);
            char name[96];
            snprintf(name, sizeof name, "%s_reverse", ax_node_name(p));
            ax_node *q = ax_graph_find(g, name);
            CHECK(q && ax_node_numel(q) == ax_node_numel(p));
            if (q)
                memcpy(ax_node_data(p), ax_node_data(q), (size_t)ax_node_numel(p) * sizeof(float));
        }
        for (int i = 0; i < N; i++) {
            const int len = (int)lengths[i];
            for (int t = 0; t < T; t++) /* sample i's first len steps reversed, then padding */
                memcpy(ax_node_data(fwd.x) + (i * T + t) * I,
                       ax_node_data(full.x) + (i * T + (t < len ? len - 1 - t : t)) * I, I * sizeof(float));
        }
        CHECK_OK(ax_graph_forward(fwd.g));
        double worst = 0;
        for (int i = 0; i < N; i++)
            for (int t = 0; t < (int)lengths[i]; t++)
                for (int j = 0; j < H; j++)
                    worst = fmax(worst, fabs(ax_node_data(full.out)[(i * T + t) * 2 * H + H + j] -
                                             ax_node_data(fwd.out)[(i * T + (int)lengths[i] - 1 - t) * H + j]));
        CHECK_NEAR(worst, 0, 1e-6);
        ax_graph_free(fwd.g);
        ax_graph_free(full.g);
    }
}

static void parameters_are_named_and_shaped_as_pytorch_does(void)
{
    ax_rnn_options o = {.layers = 2, .bidirectional = 1};
    net m = build(AX_LSTM, T, o, 0, 0, 3);
    const char *names[] = {"rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                           "rnn.weight_ih_l0_reverse", "rnn.weight_hh_l0_reverse", "rnn.bias_ih_l0_reverse",
                           "rnn.bias_hh_l0_reverse", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1",
                           "rnn.bias_hh_l1", "rnn.weight_ih_l1_reverse", "rnn.weight_hh_l1_reverse",
                           "rnn.bias_ih_l1_reverse", "rnn.bias_hh_l1_reverse"};
    CHECK(ax_graph_num_params(m.g) == 16);
    for (int k = 0; k < 16 && k < ax_graph_num_params(m.g); k++)
        CHECK(!strcmp(ax_node_name(ax_graph_param(m.g, k)), names[k]));
    /* layer 1 reads both directions of layer 0: [4H, 2H] */
    ax_shape s = ax_node_shape(ax_graph_find(m.g, "rnn.weight_ih_l1"));
    CHECK(s.ndim == 2 && s.dim[0] == 4 * H && s.dim[1] == 2 * H);
    s = ax_node_shape(m.r.h_n);
    CHECK(s.ndim == 3 && s.dim[0] == N && s.dim[1] == 4 && s.dim[2] == H);
    s = ax_node_shape(m.out);
    CHECK(s.ndim == 3 && s.dim[1] == T && s.dim[2] == 2 * H);
    /* U(-1/sqrt(H), 1/sqrt(H)), not all alike */
    const float *w = ax_node_data(ax_graph_find(m.g, "rnn.weight_hh_l1"));
    float lo = 1, hi = -1;
    for (int k = 0; k < 4 * H * H; k++)
        lo = fminf(lo, w[k]), hi = fmaxf(hi, w[k]);
    CHECK(lo >= -1 / sqrtf(H) && hi <= 1 / sqrtf(H) && hi - lo > 0.3f);
    ax_graph_free(m.g);
}

static void the_sequence_length_can_change(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 5, 1);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input_seq(g, "x", ax_shape3(2, 8, I));
    ax_rnn_result r;
    ax_rnn_layer(g, x, AX_GRU, H, NULL, &rng, "gru", &r);
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -1, 1, 0);
    CHECK_OK(ax_graph_set_seq(g, 3));
    CHECK(ax_node_shape(r.output).dim[1] == 3);
    CHECK_OK(ax_graph_forward(g));
    float last[2 * H];
    memcpy(last, ax_node_data(r.last), sizeof last);
    /* the last step of 3 is the output row at step 2 */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < H; j++)
            CHECK(last[i * H + j] == ax_node_data(r.output)[(i * 3 + 2) * H + j]);
    ax_graph_free(g);
}

static void bad_uses_are_refused(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 5, 1);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *flat = ax_input(g, "flat", ax_shape2(2, 4));
    CHECK(!ax_rnn_layer(g, flat, AX_LSTM, 3, NULL, &rng, "l", NULL));
    CHECK_ERR(ax_graph_status(g), AX_ERR_INVALID_ARG, "[N, T, features]");
    ax_graph_free(g);

    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape3(2, 4, 3)), *h0 = ax_input(g, "h0", ax_shape3(2, 1, 3));
    ax_rnn_options o = {.h0 = h0};
    CHECK(!ax_rnn_layer(g, x, AX_LSTM, 3, &o, &rng, "l", NULL));
    CHECK_ERR(ax_graph_status(g), AX_ERR_INVALID_ARG, "h0 and c0 together");
    ax_graph_free(g);

    /* the op itself: inputs the attributes do not ask for, wrong shapes */
    CHECK_OK(ax_graph_new(&g));
    x = ax_input(g, "x", ax_shape3(2, 4, 3));
    ax_node *wi = ax_param(g, "wi", ax_shape2(12, 3)), *wh = ax_param(g, "wh", ax_shape2(12, 3));
    ax_node *in[3] = {x, wi, wh};
    CHECK(!ax_apply(g, "lstm", in, 3, NULL, 0, NULL));
    CHECK_ERR(ax_graph_status(g), AX_ERR_INVALID_ARG, "ask for 5 inputs, got 3");
    ax_graph_free(g);

    CHECK_OK(ax_graph_new(&g));
    x = ax_input(g, "x", ax_shape3(2, 4, 3));
    wi = ax_param(g, "wi", ax_shape2(12, 2)), wh = ax_param(g, "wh", ax_shape2(12, 3));
    ax_node *in2[3] = {x, wi, wh};
    ax_attr nobias = AX_ATTR("bias", 0);
    CHECK(!ax_apply(g, "lstm", in2, 3, &nobias, 1, NULL));
    CHECK_ERR(ax_graph_status(g), AX_ERR_SHAPE, "w_ih must be [12, 3]");
    ax_graph_free(g);

    /* lengths outside 1..T fail the forward pass, naming the sample */
    ax_rnn_options lo = {0};
    net m = build(AX_GRU, T, lo, 0, 1, 4);
    ax_node_data(m.len)[1] = 6;
    CHECK_ERR(ax_graph_forward(m.g), AX_ERR_INVALID_ARG, "lengths[1] is 6");
    ax_node_data(m.len)[1] = 1.5f;
    CHECK_ERR(ax_graph_forward(m.g), AX_ERR_INVALID_ARG, "lengths[1] is 1.5");
    ax_graph_free(m.g);
}

/* Truncated backprop through time: a stream of 2T steps in two windows
 * of T, the state carried from the first to the second, computes what one
 * pass over 2T steps computes; the second window's gradient stops at its
 * initial state (it is an input without requires_grad). */
static void state_carries_across_windows(void)
{
    const ax_rnn_cell cells[2] = {AX_LSTM, AX_GRU};
    for (int c = 0; c < 2; c++) {
        ax_rnn_options o = {.layers = 2};
        net whole = build(cells[c], 2 * T, o, 0, 0, 21);
        CHECK_OK(ax_graph_forward(whole.g));
        ax_rng rng;
        ax_rng_seed(&rng, 21, 1);
        ax_graph *g;
        CHECK_OK(ax_graph_new(&g));
        ax_node *x = ax_input(g, "x", ax_shape3(N, T, I)), *h0 = ax_input(g, "h0", ax_shape3(N, 2, H));
        ax_node *c0 = cells[c] == AX_LSTM ? ax_input(g, "c0", ax_shape3(N, 2, H)) : NULL;
        o.h0 = h0, o.c0 = c0;
        ax_rnn_result r;
        ax_node *y = ax_rnn_layer(g, x, cells[c], H, &o, &rng, "rnn", &r);
        ax_node *loss = ax_mse(g, y, ax_mul(g, y, ax_param(g, "zero", ax_shape0())));
        CHECK_OK(ax_graph_compile(g));
        memset(ax_node_data(h0), 0, N * 2 * H * sizeof(float));
        if (c0)
            memset(ax_node_data(c0), 0, N * 2 * H * sizeof(float));
        double worst = 0;
        for (int w = 0; w < 2; w++) {
            for (int i = 0; i < N; i++)
                memcpy(ax_node_data(x) + i * T * I, ax_node_data(whole.x) + (i * 2 * T + w * T) * I, T * I * sizeof(float));
            CHECK_OK(ax_graph_forward(g));
            CHECK_OK(ax_graph_backward(g, loss, NULL));
            for (int i = 0; i < N; i++)
                for (int k = 0; k < T * H; k++)
                    worst = fmax(worst, fabs(ax_node_data(y)[i * T * H + k] - ax_node_data(whole.out)[(i * 2 * T + w * T) * H + k]));
            CHECK(ax_node_grad(h0) == NULL); /* the gradient is cut at the window's start */
            CHECK_OK(ax_rnn_carry_state(&r, h0, c0));
        }
        CHECK_NEAR(worst, 0, 1e-6);
        if (c0) /* an LSTM's state is both */
            CHECK_ERR(ax_rnn_carry_state(&r, h0, NULL), AX_ERR_INVALID_ARG, "carry state");
        ax_graph_free(g);
        ax_graph_free(whole.g);
    }
}

/* A graph file holds the ops, their attributes and inputs: read back with
 * the same weights it computes the same bits. */
static void graph_files_keep_recurrent_layers(void)
{
    ax_rnn_options o = {.layers = 2, .bidirectional = 1};
    net m = build(AX_LSTM, T, o, 1, 1, 11);
    char *json;
    const char *keys[5] = {"input", "h0", "c0", "lengths", "output"};
    ax_node *nodes[5] = {m.x, m.h0, m.c0, m.len, m.r.h_n};
    CHECK_OK(ax_graph_to_json(m.g, keys, nodes, 5, &json));
    ax_graph *back;
    ax_node *got[5] = {0};
    CHECK_OK(ax_graph_from_json(json, "lstm.json", N, &back, keys, got, 5));
    CHECK_OK(ax_graph_compile(back));
    for (int k = 0; k < ax_graph_num_params(m.g); k++) {
        ax_node *p = ax_graph_param(m.g, k), *q = ax_graph_find(back, ax_node_name(p));
        CHECK(q && ax_node_numel(q) == ax_node_numel(p));
        if (q)
            memcpy(ax_node_data(q), ax_node_data(p), (size_t)ax_node_numel(p) * sizeof(float));
    }
    for (int k = 0; k < 4; k++)
        memcpy(ax_node_data(got[k]), ax_node_data(nodes[k]), (size_t)ax_node_numel(nodes[k]) * sizeof(float));
    CHECK_OK(ax_graph_forward(m.g));
    CHECK_OK(ax_graph_forward(back));
    CHECK(ax_node_numel(got[4]) == ax_node_numel(m.r.h_n) &&
          !memcmp(ax_node_data(got[4]), ax_node_data(m.r.h_n), (size_t)ax_node_numel(m.r.h_n) * sizeof(float)));
    ax_free(json);
    ax_graph_free(back);
    ax_graph_free(m.g);
}

/* Spec lines: rnn, lstm and gru with their keys; return=last; errors
 * with line and column. */
static void spec_lines_build_recurrent_layers(void)
{
    const char *text = "input image 1 28 28\n"
                       "reshape rows shape=28,28\n"
                       "gru enc units=8 layers=2 bidirectional=1 dropout=0.1\n"
                       "rnn mid units=5 activation=relu\n"
                       "lstm top units=6 return=last bias=0\n"
                       "dense out units=10\n"
                       "loss softmax_cross_entropy\n";
    ax_spec sp;
    CHECK_OK(ax_spec_build(text, "rows.spec", 4, 1, &sp));
    if (sp.graph) {
        CHECK(ax_graph_find(sp.graph, "enc.weight_hh_l1_reverse") && ax_graph_find(sp.graph, "mid.bias_hh_l0") &&
              ax_graph_find(sp.graph, "top.weight_ih_l0") && !ax_graph_find(sp.graph, "top.bias_ih_l0"));
        ax_shape s = ax_node_shape(ax_graph_find(sp.graph, "mid.weight_ih_l0"));
        CHECK(s.dim[0] == 5 && s.dim[1] == 16); /* reads both directions of enc */
        CHECK(ax_node_shape(sp.output).ndim == 2 && ax_node_shape(sp.output).dim[1] == 10);
        int relu = 0;
        for (int k = 0; k < ax_graph_num_nodes(sp.graph); k++) {
            ax_node *n = ax_graph_node(sp.graph, k);
            if (!strcmp(ax_node_op(n), "rnn"))
                relu = ax_node_attr(n, 4) == 1;
        }
        CHECK(relu);
        ax_graph_free(sp.graph);
    }
    const char *bad[][2] = {
        {"input x 5 3\nlstm units=4 activation=relu\nloss mse\n", "rows.spec:2:14: activation: only rnn has one"},
        {"input x 5 3\ngru units=4 return=first\nloss mse\n", "rows.spec:2:13: return expects sequence or last"},
        {"input x 5 3\nrnn layers=2\nloss mse\n", "rows.spec:2:1: rnn needs units=N"},
        {"input x 15\nlstm units=4\nloss mse\n", "needs an input [N, T, features]"}};
    for (int i = 0; i < 4; i++) {
        ax_spec b;
        const ax_status st = ax_spec_build(bad[i][0], "rows.spec", 4, 1, &b);
        if (st == AX_OK)
            ax_graph_free(b.graph);
        CHECK(st != AX_OK && strstr(ax_last_error(), bad[i][1]));
        if (st == AX_OK || !strstr(ax_last_error(), bad[i][1]))
            printf("  got: %s\n", ax_last_error());
    }
}

/* The cells' tanh against the C library's in double, over the range
 * and near 0 (where 1 - 2 / (e^2x + 1) would lose every digit). */
static void the_cells_tanh_is_float_accurate(void)
{
    double worst = 0;
    for (int i = -400000; i <= 400000; i++) {
        const float x = (float)i * 5e-5f;
        const double want = tanh((double)x);
        worst = fmax(worst, fabs(ax_k_tanh(x) - want) / fmax(fabs(want), 1e-30));
    }
    for (float x = 1e-30f; x < 1.0f; x *= 1.01f)
        worst = fmax(worst, fabs(ax_k_tanh(-x) + tanh((double)x)) / tanh((double)x));
    CHECK(worst < 3e-7);
    CHECK(ax_k_tanh(100.0f) == 1.0f && ax_k_tanh(-1e30f) == -1.0f && ax_k_tanh(0.0f) == 0.0f);
}

TEST_MAIN(T(the_cells_tanh_is_float_accurate), T(gradients_match_finite_differences), T(lengths_and_directions_mean_what_they_say),
          T(parameters_are_named_and_shaped_as_pytorch_does), T(the_sequence_length_can_change),
          T(bad_uses_are_refused), T(state_carries_across_windows), T(graph_files_keep_recurrent_layers), T(spec_lines_build_recurrent_layers))
