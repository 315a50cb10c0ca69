/* Runs every activation, loss and optimizer of the catalog on random
 * inputs and writes what axon computes, for compare.py to check against
 * PyTorch. Format, one record after another:
 *   case KIND NAME [key=value ...]
 *   LABEL COUNT v1 v2 ...        (inputs, outputs, gradients)
 *   end
 * Usage: torch_dump OUT_FILE */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static FILE *out;
static ax_rng rng;

static void vec(const char *label, const float *v, int64_t n)
{
    fprintf(out, "%s %lld", label, (long long)n);
    for (int64_t i = 0; i < n; i++)
        fprintf(out, " %.9g", (double)v[i]);
    fprintf(out, "\n");
}

static void randomize(float *v, int64_t n, float lo, float hi)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = lo + (hi - lo) * ax_rng_uniform(&rng);
}

static int fail(const char *what)
{
    fprintf(stderr, "torch_dump: %s: %s\n", what, ax_last_error());
    return 1;
}

/* Unary activation on x [4, 6] (or an op given by attrs), seeded backward. */
static int activation(const char *name, int n_floats, float p0, float p1, int training)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(4, 6));
    ax_node_set_requires_grad(x, 1);
    /* the parameters are the op's first attributes, in schema order */
    const ax_op_schema *sc = ax_op_schema_of(name);
    ax_attr at[2];
    for (int i = 0; i < 2; i++)
        at[i] = AX_ATTR(sc && i < sc->n_attrs ? sc->attrs[i].name : "", i ? p1 : p0);
    ax_node *y = ax_apply(g, name, &x, 1, at, n_floats, NULL);
    if (ax_graph_compile(g) != AX_OK)
        return fail(name);
    ax_graph_set_training(g, training);
    randomize(ax_node_data(x), 24, -5, 5);
    float seed[24];
    randomize(seed, 24, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail(name);
    fprintf(out, "case act %s p0=%.9g p1=%.9g n_params=%d\n", name, (double)p0, (double)p1, n_floats);
    vec("x", ax_node_data(x), 24);
    vec("y", ax_node_data(y), 24);
    vec("dy", seed, 24);
    vec("dx", ax_node_grad(x), 24);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* softmax / log_softmax along an axis of [2, 3, 4]; prelu; maxout. */
static int structured(const char *name)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape3(2, 3, 4)), *a = NULL, *y;
    ax_node_set_requires_grad(x, 1);
    if (!strcmp(name, "softmax"))
        y = ax_softmax_axis(g, x, 1);
    else if (!strcmp(name, "log_softmax"))
        y = ax_log_softmax(g, x, 2);
    else if (!strcmp(name, "prelu")) {
        a = ax_param(g, "a", ax_shape1(3));
        y = ax_prelu(g, x, a);
    } else {
        ax_node *flat = ax_flatten(g, x);
        y = ax_maxout(g, flat, 3);
    }
    if (ax_graph_compile(g) != AX_OK)
        return fail(name);
    randomize(ax_node_data(x), 24, -3, 3);
    if (a)
        randomize(ax_node_data(a), 3, -0.5f, 0.5f);
    int64_t ny = ax_node_numel(y);
    float seed[24];
    randomize(seed, ny, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail(name);
    fprintf(out, "case struct %s\n", name);
    vec("x", ax_node_data(x), 24);
    if (a) {
        vec("a", ax_node_data(a), 3);
        vec("da", ax_node_grad(a), 3);
    }
    vec("y", ax_node_data(y), ny);
    vec("dy", seed, ny);
    vec("dx", ax_node_grad(x), 24);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* A loss on p [5, 4] and t ([5] labels or [5, 4]). kind of inputs:
 * 0 any reals, 1 probabilities (softmax rows), 2 independent (0, 1) values. */
static int loss(const char *name, int sparse, int pkind, int tkind, ax_reduction red, float smooth,
                float delta, int weighted)
{
    enum { N = 5, C = 4 };
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *p = ax_input(g, "p", ax_shape2(N, C));
    ax_node *t = ax_input(g, "t", sparse ? ax_shape1(N) : ax_shape2(N, C));
    ax_node_set_requires_grad(p, 1);
    if (!sparse)
        ax_node_set_requires_grad(t, 1);
    ax_loss_options o = {.reduction = red, .label_smoothing = smooth, .huber_delta = delta};
    if (weighted) {
        o.class_weights = ax_param(g, "w", ax_shape1(C));
        ax_node_set_frozen(o.class_weights, 1);
    }
    ax_node *l = ax_loss(g, name, p, t, &o);
    if (ax_graph_compile(g) != AX_OK)
        return fail(name);
    float *pv = ax_node_data(p), *tv = ax_node_data(t);
    for (int side = 0; side < 2; side++) {
        float *v = side ? tv : pv;
        int kind = side ? tkind : pkind;
        if (side && sparse) {
            for (int r = 0; r < N; r++)
                v[r] = (float)ax_rng_below(&rng, C);
            continue;
        }
        randomize(v, N * C, kind == 0 ? -3.0f : 0.02f, kind == 0 ? 3.0f : 0.98f);
        if (kind == 1)
            for (int r = 0; r < N; r++) {
                float z = 0;
                for (int c = 0; c < C; c++)
                    z += v[r * C + c];
                for (int c = 0; c < C; c++)
                    v[r * C + c] /= z;
            }
    }
    if (weighted)
        randomize(ax_node_data(o.class_weights), C, 0.2f, 2.0f);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, l, NULL) != AX_OK)
        return fail(name);
    fprintf(out, "case loss %s sparse=%d reduction=%s smoothing=%.9g delta=%.9g\n", name, sparse,
            red == AX_REDUCE_SUM ? "sum" : "mean", (double)smooth, (double)(delta > 0 ? delta : 1));
    vec("p", pv, N * C);
    vec("t", tv, sparse ? N : N * C);
    if (weighted)
        vec("w", ax_node_data(o.class_weights), C);
    vec("loss", ax_node_data(l), 1);
    vec("dp", ax_node_grad(p), N * C);
    if (!sparse)
        vec("dt", ax_node_grad(t), N * C);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* A convolution with random geometry: odd sizes, strides, padding,
 * dilation and groups drawn from the stream. */
static int conv_random(void)
{
    int groups = 1 + (int)ax_rng_below(&rng, 3), cg = 1 + (int)ax_rng_below(&rng, 3), og = 1 + (int)ax_rng_below(&rng, 3);
    int c = groups * cg, o = groups * og, n = 1 + (int)ax_rng_below(&rng, 3);
    int kh = 1 + (int)ax_rng_below(&rng, 4), kw = 1 + (int)ax_rng_below(&rng, 4);
    int sh = 1 + (int)ax_rng_below(&rng, 3), sw = 1 + (int)ax_rng_below(&rng, 3);
    int dh = 1 + (int)ax_rng_below(&rng, 2), dw = 1 + (int)ax_rng_below(&rng, 2);
    int ph = (int)ax_rng_below(&rng, 3), pw = (int)ax_rng_below(&rng, 3);
    int h = dh * (kh - 1) + 1 + (int)ax_rng_below(&rng, 8), w = dw * (kw - 1) + 1 + (int)ax_rng_below(&rng, 8);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(n, c, h, w));
    ax_node_set_requires_grad(x, 1);
    ax_node *wt = ax_param(g, "w", ax_shape4(o, cg, kh, kw));
    ax_node *b = ax_param(g, "b", ax_shape1(o));
    ax_conv_options opt = {sh, sw, AX_PAD_EXPLICIT, ph, pw, dh, dw, groups, 0, 0};
    ax_node *y = ax_conv2d_bias(g, x, wt, b, &opt);
    if (ax_graph_compile(g) != AX_OK)
        return fail("conv2d");
    randomize(ax_node_data(x), ax_node_numel(x), -1, 1);
    randomize(ax_node_data(wt), ax_node_numel(wt), -1, 1);
    randomize(ax_node_data(b), o, -1, 1);
    int64_t ny = ax_node_numel(y);
    float seed[4096];
    randomize(seed, ny, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail("conv2d");
    fprintf(out, "case conv conv2d n=%d c=%d h=%d w=%d o=%d kh=%d kw=%d sh=%d sw=%d ph=%d pw=%d dh=%d dw=%d groups=%d\n",
            n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups);
    vec("x", ax_node_data(x), ax_node_numel(x));
    vec("w", ax_node_data(wt), ax_node_numel(wt));
    vec("b", ax_node_data(b), o);
    vec("y", ax_node_data(y), ny);
    vec("dy", seed, ny);
    vec("dx", ax_node_grad(x), ax_node_numel(x));
    vec("dw", ax_node_grad(wt), ax_node_numel(wt));
    vec("db", ax_node_grad(b), o);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* Max or average pooling with random geometry. */
static int pool_random(int avg)
{
    int kh = 1 + (int)ax_rng_below(&rng, 3), kw = 1 + (int)ax_rng_below(&rng, 3);
    int sh = 1 + (int)ax_rng_below(&rng, 3), sw = 1 + (int)ax_rng_below(&rng, 3);
    int ph = (int)ax_rng_below(&rng, (uint32_t)(kh / 2 + 1)), pw = (int)ax_rng_below(&rng, (uint32_t)(kw / 2 + 1));
    int include = (int)ax_rng_below(&rng, 2);
    int h = kh + (int)ax_rng_below(&rng, 7), w = kw + (int)ax_rng_below(&rng, 7);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(2, 3, h, w));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = avg ? ax_avg_pool2d(g, x, kh, kw, sh, sw, ph, pw, include) : ax_max_pool2d(g, x, kh, kw, sh, sw, ph, pw);
    if (ax_graph_compile(g) != AX_OK)
        return fail("pool");
    randomize(ax_node_data(x), ax_node_numel(x), -1, 1);
    int64_t ny = ax_node_numel(y);
    float seed[4096];
    randomize(seed, ny, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail("pool");
    fprintf(out, "case pool %s h=%d w=%d kh=%d kw=%d sh=%d sw=%d ph=%d pw=%d include=%d\n",
            avg ? "avg_pool2d" : "max_pool2d", h, w, kh, kw, sh, sw, ph, pw, include);
    vec("x", ax_node_data(x), ax_node_numel(x));
    vec("y", ax_node_data(y), ny);
    vec("dy", seed, ny);
    vec("dx", ax_node_grad(x), ax_node_numel(x));
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* Batch norm on [4, 3, 5, 3] in training (two steps, so the running
 * statistics move twice) and then in eval. */
static int batch_norm_case(int training)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(4, 3, 5, 3));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_batch_norm_layer(g, x, 0.2f, 1e-3f, "bn");
    if (ax_graph_compile(g) != AX_OK)
        return fail("batch_norm");
    ax_node *gm = ax_graph_find(g, "bn.weight"), *bt = ax_graph_find(g, "bn.bias");
    ax_node *rm = ax_graph_find(g, "bn.running_mean"), *rv = ax_graph_find(g, "bn.running_var");
    randomize(ax_node_data(gm), 3, 0.5f, 2);
    randomize(ax_node_data(bt), 3, -1, 1);
    randomize(ax_node_data(rm), 3, -1, 1);
    randomize(ax_node_data(rv), 3, 0.5f, 2);
    fprintf(out, "case bn batch_norm training=%d momentum=0.2 eps=1e-3\n", training);
    vec("gamma", ax_node_data(gm), 3);
    vec("beta", ax_node_data(bt), 3);
    vec("rm0", ax_node_data(rm), 3);
    vec("rv0", ax_node_data(rv), 3);
    ax_graph_set_training(g, training);
    randomize(ax_node_data(x), 180, -2, 3);
    vec("x1", ax_node_data(x), 180);
    if (ax_graph_forward(g) != AX_OK)
        return fail("batch_norm");
    randomize(ax_node_data(x), 180, -2, 3);
    vec("x", ax_node_data(x), 180);
    float seed[180];
    randomize(seed, 180, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail("batch_norm");
    vec("y", ax_node_data(y), 180);
    vec("dy", seed, 180);
    vec("dx", ax_node_grad(x), 180);
    vec("dgamma", ax_node_grad(gm), 3);
    vec("dbeta", ax_node_grad(bt), 3);
    vec("rm", ax_node_data(rm), 3);
    vec("rv", ax_node_data(rv), 3);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* The shape ops: op NAME on inputs a (and b) of the shapes given, seeded
 * backward; compare.py runs the same in PyTorch. */
static int shape_case(const char *name, ax_shape sa, ax_shape sb, int b_is_param)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *a = ax_input(g, "a", sa), *b = NULL, *y;
    ax_node_set_requires_grad(a, 1);
    if (sb.ndim) {
        b = b_is_param ? ax_param(g, "b", sb) : ax_input(g, "b", sb);
        if (!b_is_param)
            ax_node_set_requires_grad(b, 1);
    }
    if (!strcmp(name, "slice"))
        y = ax_slice(g, a, 1, 1, 6, 2);
    else if (!strcmp(name, "concat"))
        y = ax_concat_axis(g, (ax_node *const[]){a, b}, 2, 2);
    else if (!strcmp(name, "transpose"))
        y = ax_transpose(g, a, (int64_t[]){0, 2, 3, 1}, 4);
    else if (!strcmp(name, "bmm"))
        y = ax_batch_matmul(g, a, b, 1, 1);
    else if (!strcmp(name, "bmm_shared"))
        y = ax_batch_matmul(g, a, b, 0, 0);
    else
        y = ax_apply(g, name, (ax_node *const[]){a, b}, 2, NULL, 0, NULL);
    if (ax_graph_compile(g) != AX_OK)
        return fail(name);
    randomize(ax_node_data(a), ax_node_numel(a), -2, 2);
    if (b)
        randomize(ax_node_data(b), ax_node_numel(b), 0.5f, 2); /* away from 0: div */
    static float seed[4096];
    randomize(seed, ax_node_numel(y), -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail(name);
    fprintf(out, "case shape %s\n", name);
    vec("a", ax_node_data(a), ax_node_numel(a));
    vec("da", ax_node_grad(a), ax_node_numel(a));
    if (b) {
        vec("b", ax_node_data(b), ax_node_numel(b));
        vec("db", ax_node_grad(b), ax_node_numel(b));
    }
    vec("y", ax_node_data(y), ax_node_numel(y));
    vec("dy", seed, ax_node_numel(y));
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* Embedding: rows of a [6, 3] table by index, some taken twice. */
static int embedding_case(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *ix = ax_input(g, "ix", ax_shape2(2, 4)), *w = ax_param(g, "w", ax_shape2(6, 3));
    ax_node *y = ax_embedding(g, ix, w);
    if (ax_graph_compile(g) != AX_OK)
        return fail("embedding");
    const float idx[8] = {5, 0, 2, 2, 1, 5, 5, 3};
    memcpy(ax_node_data(ix), idx, sizeof idx);
    randomize(ax_node_data(w), 18, -1, 1);
    float seed[24];
    randomize(seed, 24, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail("embedding");
    fprintf(out, "case shape embedding\n");
    vec("ix", idx, 8);
    vec("w", ax_node_data(w), 18);
    vec("dw", ax_node_grad(w), 18);
    vec("y", ax_node_data(y), 24);
    vec("dy", seed, 24);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* Layer norm on [3, 4, 5] over the last two axes, weight and bias random. */
static int layernorm_case(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape3(3, 4, 5));
    ax_node_set_requires_grad(x, 1);
    ax_attr at[2] = {AX_ATTR("axis", 1), AX_ATTR("eps", 1e-4)};
    ax_node *y = ax_op_layer(g, "layernorm", x, at, 2, "ln");
    if (ax_graph_compile(g) != AX_OK)
        return fail("layernorm");
    ax_node *w = ax_graph_find(g, "ln.weight"), *b = ax_graph_find(g, "ln.bias");
    randomize(ax_node_data(w), 20, 0.5f, 2);
    randomize(ax_node_data(b), 20, -1, 1);
    randomize(ax_node_data(x), 60, -2, 3);
    float seed[60];
    randomize(seed, 60, -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, y, seed) != AX_OK)
        return fail("layernorm");
    fprintf(out, "case ln layernorm eps=1e-4\n");
    vec("w", ax_node_data(w), 20);
    vec("b", ax_node_data(b), 20);
    vec("x", ax_node_data(x), 60);
    vec("dy", seed, 60);
    vec("y", ax_node_data(y), 60);
    vec("dx", ax_node_grad(x), 60);
    vec("dw", ax_node_grad(w), 20);
    vec("db", ax_node_grad(b), 20);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* softmax cross-entropy over every step of [2, 3, 5] scores, one step's
 * label the ignore_index (padding); with class weights and smoothing. */
static int sequence_cross_entropy_case(int weighted, float eps)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape3(2, 3, 5)), *t = ax_input(g, "t", ax_shape2(2, 3));
    ax_node *w = weighted ? ax_param(g, "w", ax_shape1(5)) : NULL;
    if (w)
        ax_node_set_frozen(w, 1);
    ax_node_set_requires_grad(x, 1);
    ax_node *in[3] = {x, t, w};
    ax_attr at[1] = {AX_ATTR("label_smoothing", eps)};
    ax_node *loss = ax_apply(g, "softmax_cross_entropy", in, weighted ? 3 : 2, at, 1, NULL);
    if (ax_graph_compile(g) != AX_OK)
        return fail("sequence cross-entropy");
    randomize(ax_node_data(x), 30, -3, 3);
    const float labels[6] = {4, 0, -100, 2, 2, 1};
    memcpy(ax_node_data(t), labels, sizeof labels);
    if (w)
        randomize(ax_node_data(w), 5, 0.2f, 2);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, loss, NULL) != AX_OK)
        return fail("sequence cross-entropy");
    fprintf(out, "case seqce softmax_cross_entropy eps=%.9g\n", (double)eps);
    vec("x", ax_node_data(x), 30);
    vec("t", labels, 6);
    if (w)
        vec("w", ax_node_data(w), 5);
    vec("loss", ax_node_data(loss), 1);
    vec("dx", ax_node_grad(x), 30);
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* A recurrent layer (cell rnn, rnn_relu, lstm or gru) of L layers and D
 * directions, with or without biases, given states and per-sample
 * lengths: the output and final states seeded, every gradient dumped. */
static int recurrent_case(const char *cell_name, int L, int D, int bias, int state, int with_lengths)
{
    enum { N = 3, T = 5, I = 4, H = 3 };
    ax_rnn_cell cell;
    if (ax_rnn_cell_from_name(cell_name, &cell) != AX_OK)
        return fail(cell_name);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape3(N, T, I)), *h0 = NULL, *c0 = NULL, *len = NULL;
    ax_node_set_requires_grad(x, 1);
    ax_rnn_options o = {.layers = L, .bidirectional = D == 2, .no_bias = !bias};
    if (state) {
        o.h0 = h0 = ax_input(g, "h0", ax_shape3(N, L * D, H));
        ax_node_set_requires_grad(h0, 1);
        if (cell == AX_LSTM) {
            o.c0 = c0 = ax_input(g, "c0", ax_shape3(N, L * D, H));
            ax_node_set_requires_grad(c0, 1);
        }
    }
    if (with_lengths)
        o.lengths = len = ax_input(g, "lengths", ax_shape1(N));
    ax_rnn_result r;
    ax_rnn_layer(g, x, cell, H, &o, &rng, "rnn", &r);
    ax_node *parts[3] = {ax_flatten(g, r.output), ax_flatten(g, r.h_n), r.c_n ? ax_flatten(g, r.c_n) : NULL};
    ax_node *all = ax_concat(g, parts, r.c_n ? 3 : 2);
    if (ax_graph_compile(g) != AX_OK)
        return fail(cell_name);
    randomize(ax_node_data(x), ax_node_numel(x), -1.5f, 1.5f);
    if (h0)
        randomize(ax_node_data(h0), ax_node_numel(h0), -1, 1);
    if (c0)
        randomize(ax_node_data(c0), ax_node_numel(c0), -1, 1);
    const float lengths[N] = {5, 2, 4};
    if (len)
        memcpy(ax_node_data(len), lengths, sizeof lengths);
    float seed[N * T * 2 * H + 2 * N * 4 * H];
    randomize(seed, ax_node_numel(all), -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_graph_backward(g, all, seed) != AX_OK)
        return fail(cell_name);
    fprintf(out, "case rnn %s layers=%d directions=%d bias=%d state=%d lengths=%d\n", cell_name, L, D, bias, state,
            with_lengths);
    vec("x", ax_node_data(x), ax_node_numel(x));
    vec("dx", ax_node_grad(x), ax_node_numel(x));
    if (h0) {
        vec("h0", ax_node_data(h0), ax_node_numel(h0));
        vec("dh0", ax_node_grad(h0), ax_node_numel(h0));
    }
    if (c0) {
        vec("c0", ax_node_data(c0), ax_node_numel(c0));
        vec("dc0", ax_node_grad(c0), ax_node_numel(c0));
    }
    if (len)
        vec("lengths", lengths, N);
    vec("all", ax_node_data(all), ax_node_numel(all));
    vec("seed", seed, ax_node_numel(all));
    for (int i = 0; i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        char label[128];
        snprintf(label, sizeof label, "d:%s", ax_node_name(p));
        vec(ax_node_name(p), ax_node_data(p), ax_node_numel(p));
        vec(label, ax_node_grad(p), ax_node_numel(p));
    }
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* A model saved as safetensors, for compare.py to read with PyTorch (by
 * the format's definition, not through axon) and check tensor by tensor. */
static int safetensors_case(const char *dump_path)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.safetensors", dump_path);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(2, 3, 8, 8));
    ax_node *h = ax_conv2d_layer(g, x, 4, 3, 3, NULL, "relu", AX_DEFAULT_INIT, &rng, "conv");
    h = ax_batch_norm_layer(g, h, 0, 0, "bn");
    ax_dense(g, ax_flatten(g, h), 5, NULL, AX_DEFAULT_INIT, &rng, "fc");
    if (ax_graph_compile(g) != AX_OK)
        return fail("safetensors");
    for (int i = 0; i < ax_graph_num_params(g); i++)
        randomize(ax_node_data(ax_graph_param(g, i)), ax_node_numel(ax_graph_param(g, i)), -1, 1);
    const char *k[1] = {"format"}, *v[1] = {"axon"};
    if (ax_save_safetensors(path, g, k, v, 1) != AX_OK)
        return fail("safetensors");
    fprintf(out, "case st %s\n", path);
    for (int i = 0; i < ax_graph_num_params(g); i++)
        vec(ax_node_name(ax_graph_param(g, i)), ax_node_data(ax_graph_param(g, i)), ax_node_numel(ax_graph_param(g, i)));
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* The LSTM of lstm_files_case: 2 layers, both directions, x [3, 5, 4],
 * 3 units, named "rnn" as a PyTorch module attribute would be. */
enum { LN = 3, LT = 5, LI = 4, LH = 3 };
static ax_graph *lstm_model(ax_node **x, ax_rnn_result *r)
{
    ax_graph *g;
    ax_graph_new(&g);
    *x = ax_input(g, "x", ax_shape3(LN, LT, LI));
    ax_rnn_options o = {.layers = 2, .bidirectional = 1};
    ax_rnn_layer(g, *x, AX_LSTM, LH, &o, &rng, "rnn", r);
    if (ax_graph_compile(g) != AX_OK) {
        ax_graph_free(g);
        return NULL;
    }
    return g;
}

/* Weights moving both ways: axon's LSTM saved as safetensors for
 * compare.py to load into torch.nn.LSTM by name (strict), with the
 * outputs it must give. */
static int lstm_files_case(const char *dump_path)
{
    char path[4096];
    snprintf(path, sizeof path, "%s.lstm.safetensors", dump_path);
    ax_node *x;
    ax_rnn_result r;
    ax_graph *g = lstm_model(&x, &r);
    if (!g)
        return fail("lstm file");
    randomize(ax_node_data(x), ax_node_numel(x), -1, 1);
    if (ax_graph_forward(g) != AX_OK || ax_save_safetensors(path, g, NULL, NULL, 0) != AX_OK)
        return fail("lstm file");
    fprintf(out, "case stlstm %s\n", path);
    vec("x", ax_node_data(x), ax_node_numel(x));
    vec("output", ax_node_data(r.output), ax_node_numel(r.output));
    vec("h_n", ax_node_data(r.h_n), ax_node_numel(r.h_n));
    vec("c_n", ax_node_data(r.c_n), ax_node_numel(r.c_n));
    fprintf(out, "end\n");
    ax_graph_free(g);
    return 0;
}

/* The other way: a PyTorch LSTM's state dict that compare.py saved as
 * DUMP.torch.safetensors, loaded into axon's LSTM (strict: every
 * parameter by name), against the outputs PyTorch wrote beside it in
 * DUMP.torch.txt ("x|output|h_n|c_n COUNT values..."). */
static int check_torch_lstm(const char *dump_path)
{
    char path[4096];
    ax_node *x;
    ax_rnn_result r;
    ax_graph *g = lstm_model(&x, &r);
    int loaded = 0;
    snprintf(path, sizeof path, "%s.torch.safetensors", dump_path);
    if (!g || ax_load_safetensors(path, g, 1, &loaded) != AX_OK)
        return fail(path);
    snprintf(path, sizeof path, "%s.torch.txt", dump_path);
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(path);
    ax_node *nodes[4] = {x, r.output, r.h_n, r.c_n};
    static float want[4][LN * LT * 2 * LH];
    char label[32];
    long long count;
    int bad = 0;
    for (int k = 0; k < 4; k++) {
        if (fscanf(f, "%31s %lld", label, &count) != 2 || count != ax_node_numel(nodes[k]))
            bad = 1;
        for (long long i = 0; !bad && i < count; i++)
            bad = fscanf(f, "%f", &want[k][i]) != 1;
    }
    fclose(f);
    if (bad)
        return fail("torch lstm: a malformed expectations file");
    memcpy(ax_node_data(x), want[0], (size_t)ax_node_numel(x) * sizeof(float));
    if (ax_graph_forward(g) != AX_OK)
        return fail("torch lstm");
    double worst = 0;
    for (int k = 1; k < 4; k++)
        for (int64_t i = 0; i < ax_node_numel(nodes[k]); i++) {
            const double d = fabs((double)ax_node_data(nodes[k])[i] - want[k][i]) - 1e-5 * fabs(want[k][i]) - 1e-6;
            worst = d > worst ? d : worst;
        }
    printf("%s   PyTorch's LSTM state dict (%d tensors) in axon: outputs and final states within 1e-5\n",
           worst > 0 ? "FAIL" : "ok  ", loaded);
    ax_graph_free(g);
    return worst > 0;
}

/* Ten steps on 6 parameters with a fixed sequence of random gradients. */
static int optimizer(const char *name, const char *torch_args, ax_optim_config cfg)
{
    enum { P = 6, STEPS = 10 };
    float w[P], g[P], grads[STEPS][P], traj[STEPS][P], w0[P];
    randomize(w, P, -1, 1);
    memcpy(w0, w, sizeof w);
    ax_optimizer *o;
    if (ax_optimizer_new(name, &cfg, &o) != AX_OK || ax_optimizer_add(o, w, g, P) != AX_OK)
        return fail(name);
    for (int s = 0; s < STEPS; s++) {
        randomize(grads[s], P, -1, 1);
        memcpy(g, grads[s], sizeof g);
        ax_optimizer_step(o);
        memcpy(traj[s], w, sizeof w);
    }
    ax_optimizer_free(o);
    fprintf(out, "case opt %s %s\n", name, torch_args);
    vec("w0", w0, P);
    vec("grads", &grads[0][0], STEPS * P);
    vec("traj", &traj[0][0], STEPS * P);
    fprintf(out, "end\n");
    return 0;
}

/* A model with two inputs and two heads, built from a spec: wide [4, 2]
 * and deep [4, 3] in, a regression head y (mse) and a classifier head
 * kind (cross-entropy, weight 0.5) out; the heads' losses, the total and
 * every parameter's gradient of the total. */
static int heads_case(void)
{
    static const char *spec = "input wide 2\n"
                              "input deep 3\n"
                              "dense h inputs=deep units=5 activation=tanh\n"
                              "concat j inputs=wide,h\n"
                              "dense y_out units=1\n"
                              "dense kind_out inputs=h units=3\n"
                              "loss y mse inputs=y_out\n"
                              "loss kind softmax_cross_entropy inputs=kind_out weight=0.5\n";
    ax_spec sp;
    if (ax_spec_build(spec, "heads.spec", 4, 11, &sp) != AX_OK)
        return fail("heads");
    const ax_model m = ax_spec_model(&sp);
    randomize(ax_node_data(m.inputs[0]), 8, -2, 2);
    randomize(ax_node_data(m.inputs[1]), 12, -2, 2);
    randomize(ax_node_data(m.heads[0].target), 4, -1, 1);
    const float kinds[4] = {2, 0, 1, 2};
    memcpy(ax_node_data(m.heads[1].target), kinds, sizeof kinds);
    ax_graph_set_training(sp.graph, 1);
    if (ax_graph_forward_to(sp.graph, m.loss) != AX_OK || ax_graph_backward(sp.graph, m.loss, NULL) != AX_OK)
        return fail("heads");
    fprintf(out, "case heads wide_and_deep weight=0.5\n");
    vec("wide", ax_node_data(m.inputs[0]), 8);
    vec("deep", ax_node_data(m.inputs[1]), 12);
    vec("t_y", ax_node_data(m.heads[0].target), 4);
    vec("t_kind", kinds, 4);
    static const char *const params[6] = {"h.weight", "h.bias", "y_out.weight", "y_out.bias", "kind_out.weight",
                                          "kind_out.bias"};
    for (int i = 0; i < 6; i++) {
        ax_node *p = ax_graph_find(sp.graph, params[i]);
        char label[64];
        vec(params[i], ax_node_data(p), ax_node_numel(p));
        snprintf(label, sizeof label, "d_%s", params[i]);
        vec(label, ax_node_grad(p), ax_node_numel(p));
    }
    vec("loss_y", ax_node_data(m.heads[0].loss), 1);
    vec("loss_kind", ax_node_data(m.heads[1].loss), 1);
    vec("loss", ax_node_data(m.loss), 1);
    fprintf(out, "end\n");
    ax_graph_free(sp.graph);
    return 0;
}

int main(int argc, char **argv)
{
    ax_rng_seed(&rng, 2718, 1);
    if (argc == 3 && !strcmp(argv[1], "--check-torch-lstm"))
        return check_torch_lstm(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: torch_dump OUT_FILE | --check-torch-lstm OUT_FILE\n");
        return 2;
    }
    out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    ax_rng_seed(&rng, 2718, 1);
    int bad = 0;
    const char *plain[] = {"identity", "step", "sigmoid", "tanh", "relu", "selu", "softsign", "mish",
                           "sinc", "log_sigmoid", "arctan", "gelu", "erf", "hard_sigmoid", "leaky_relu",
                           "elu", "softplus", "swish"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        bad |= activation(plain[i], 0, 0, 0, 1);
    bad |= activation("leaky_relu", 1, 0.2f, 0, 1);
    bad |= activation("elu", 1, 0.7f, 0, 1);
    bad |= activation("softplus", 2, 2.0f, 5.0f, 1);
    bad |= activation("swish", 1, 1.7f, 0, 1);
    bad |= activation("rrelu", 2, 0.1f, 0.3f, 0); /* eval mode: the mean slope */
    const char *st[] = {"softmax", "log_softmax", "prelu", "maxout"};
    for (int i = 0; i < 4; i++)
        bad |= structured(st[i]);

    for (int r = 0; r < 2; r++) {
        ax_reduction red = r ? AX_REDUCE_SUM : AX_REDUCE_MEAN;
        bad |= loss("mse", 0, 0, 0, red, 0, 0, 0);
        bad |= loss("mae", 0, 0, 0, red, 0, 0, 0);
        bad |= loss("huber", 0, 0, 0, red, 0, 0.7f, 0);
        bad |= loss("binary_cross_entropy", 0, 2, 2, red, 0, 0, 0);
        bad |= loss("binary_cross_entropy_with_logits", 0, 0, 2, red, 0, 0, 0);
        for (int w = 0; w < 2; w++)
            for (int s = 0; s < 2; s++) {
                float eps = s ? 0.15f : 0.0f;
                bad |= loss("softmax_cross_entropy", 1, 0, 0, red, eps, 0, w);
                bad |= loss("softmax_cross_entropy", 0, 0, 1, red, eps, 0, w);
                bad |= loss("categorical_cross_entropy", 1, 1, 0, red, eps, 0, w);
            }
    }
    bad |= loss("sse", 0, 0, 0, AX_REDUCE_MEAN, 0, 0, 0);
    for (int i = 0; i < 12; i++)
        bad |= conv_random();
    for (int i = 0; i < 6; i++)
        bad |= pool_random(i % 2);
    bad |= safetensors_case(argv[1]);
    bad |= lstm_files_case(argv[1]);
    bad |= batch_norm_case(1);
    bad |= batch_norm_case(0);
    bad |= layernorm_case();
    const char *arith[4] = {"add", "sub", "mul", "div"};
    for (int i = 0; i < 4; i++) {
        bad |= shape_case(arith[i], ax_shape3(2, 3, 4), ax_shape2(3, 1), 1);
        bad |= shape_case(arith[i], ax_shape3(2, 3, 4), ax_shape3(2, 3, 4), 0);
    }
    bad |= shape_case("slice", ax_shape3(2, 7, 3), ax_shape0(), 0);
    bad |= shape_case("concat", ax_shape3(2, 3, 4), ax_shape3(2, 3, 2), 0);
    bad |= shape_case("transpose", ax_shape4(2, 3, 4, 5), ax_shape0(), 0);
    bad |= shape_case("bmm", ax_shape4(2, 3, 4, 5), ax_shape4(2, 3, 6, 4), 0);
    bad |= shape_case("bmm_shared", ax_shape3(2, 5, 4), ax_shape2(4, 3), 1);
    bad |= embedding_case();
    bad |= heads_case();
    bad |= sequence_cross_entropy_case(0, 0);
    bad |= sequence_cross_entropy_case(1, 0.1f);
    const char *cells[4] = {"rnn", "rnn_relu", "lstm", "gru"};
    for (int c = 0; c < 4; c++) {
        bad |= recurrent_case(cells[c], 1, 1, 1, 0, 0);
        bad |= recurrent_case(cells[c], 2, 2, 1, 1, 1);
        bad |= recurrent_case(cells[c], 2, 1, 0, 0, 1);
        bad |= recurrent_case(cells[c], 1, 2, 1, 1, 0);
    }

    ax_optim_config c;
#define OPT(name, args, ...)                                                                        \
    ax_optim_defaults(name, &c);                                                                   \
    __VA_ARGS__;                                                                                   \
    bad |= optimizer(name, args, c);
    OPT("sgd", "SGD lr=0.1", c.lr = 0.1f)
    OPT("sgd", "SGD lr=0.1 momentum=0.9", c.lr = 0.1f, c.momentum = 0.9f)
    OPT("sgd", "SGD lr=0.1 momentum=0.9 dampening=0.3", c.lr = 0.1f, c.momentum = 0.9f, c.dampening = 0.3f)
    OPT("sgd", "SGD lr=0.1 momentum=0.9 nesterov=True weight_decay=0.01", c.lr = 0.1f,
        c.momentum = 0.9f, c.nesterov = 1, c.weight_decay = 0.01f)
    OPT("adagrad", "Adagrad lr=0.1 lr_decay=0.01 initial_accumulator_value=0.1", c.lr = 0.1f,
        c.lr_decay = 0.01f, c.initial_accumulator = 0.1f)
    OPT("adadelta", "Adadelta lr=1.0 rho=0.9", c.lr = 1.0f)
    OPT("rmsprop", "RMSprop lr=0.01", (void)0)
    OPT("rmsprop", "RMSprop lr=0.01 momentum=0.9 centered=True", c.momentum = 0.9f, c.centered = 1)
    OPT("adam", "Adam lr=0.01", c.lr = 0.01f)
    OPT("adam", "Adam lr=0.01 weight_decay=0.1", c.lr = 0.01f, c.weight_decay = 0.1f)
    OPT("adamw", "AdamW lr=0.01 weight_decay=0.1", c.lr = 0.01f, c.weight_decay = 0.1f)
    OPT("amsgrad", "Adam lr=0.01 amsgrad=True", c.lr = 0.01f)
    /* foreach: torch 1.13's single-tensor NAdam multiplies mu in twice
     * (fixed in pytorch/pytorch#92699); its multi-tensor path is right. */
    OPT("nadam", "NAdam lr=0.01 foreach=True", c.lr = 0.01f)
    OPT("adamax", "Adamax lr=0.01", c.lr = 0.01f)
#undef OPT
    fclose(out);
    return bad;
}
