/* The training step and what it stands on: parameter and gradient spans,
 * step hooks between backward and the update, gradient accumulation, and
 * an optimizer that survives recompiling and freezing. */
#include "test.h"

#define DIM 12
#define CLASSES 4
#define N 256

/* x -> dense 10 (odd sizes, so parameters leave gaps in the span) ->
 * batch norm (with_bn) -> relu -> dense 4, softmax cross-entropy. */
static ax_model build_net(int batch, const char *optimizer, int with_bn, ax_optimizer **opt)
{
    ax_rng rng;
    ax_rng_seed(&rng, 77, 1);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(batch, DIM));
    ax_node *h = ax_dense(g, x, 10, NULL, AX_DEFAULT_INIT, &rng, "fc1");
    h = ax_relu(g, with_bn ? ax_batch_norm_layer(g, h, 0.1f, 1e-5f, "bn") : h);
    ax_node *logits = ax_dense(g, h, CLASSES, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *lab = ax_input(g, "lab", ax_shape1(batch));
    ax_model m = {.graph = g, .input = x, .target = lab, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, lab)};
    CHECK_OK(ax_graph_compile(g));
    ax_optim_config c;
    CHECK_OK(ax_optim_defaults(optimizer, &c));
    c.lr = 0.05f;
    CHECK_OK(ax_optimizer_new(optimizer, &c, opt));
    CHECK_OK(ax_optimizer_add_graph(*opt, g));
    return m;
}

static ax_model build(int batch, const char *optimizer, ax_optimizer **opt)
{
    return build_net(batch, optimizer, 1, opt);
}

static ax_fit_config quiet(int epochs)
{
    ax_fit_config c = ax_fit_defaults();
    c.epochs = epochs;
    c.verbosity = AX_QUIET;
    c.seed = 5;
    return c;
}

static float *copy_span(ax_span s)
{
    float *c = malloc((size_t)(s.n ? s.n : 1) * sizeof(float));
    memcpy(c, s.data, (size_t)s.n * sizeof(float));
    return c;
}

static void spans_hold_every_parameter_in_order(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 3, 1);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(8, DIM));
    ax_node *h = ax_batch_norm_layer(g, ax_dense(g, x, 10, NULL, AX_DEFAULT_INIT, &rng, "fc1"), 0.1f, 1e-5f, "bn");
    ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    CHECK(ax_graph_param_span(g).n == 0 && ax_graph_param_span(g).data == NULL);
    /* values given before compile survive the move into the spans */
    int np = ax_graph_num_params(g);
    float *before[16];
    for (int i = 0; i < np; i++) {
        ax_node *p = ax_graph_param(g, i);
        before[i] = malloc((size_t)ax_node_numel(p) * sizeof(float));
        memcpy(before[i], ax_node_data(p), (size_t)ax_node_numel(p) * sizeof(float));
    }
    CHECK_OK(ax_graph_compile(g));
    ax_span w = ax_graph_param_span(g), gr = ax_graph_grad_span(g), b = ax_graph_buffer_span(g);
    CHECK(w.n == gr.n && w.n > 0 && b.n > 0);
    CHECK(((uintptr_t)w.data & 63) == 0 && ((uintptr_t)gr.data & 63) == 0);
    int64_t learnable = 0, next_w = 0, next_b = 0;
    for (int i = 0; i < np; i++) {
        ax_node *p = ax_graph_param(g, i);
        int64_t off = ax_node_span_offset(p), n = ax_node_numel(p);
        CHECK(off % 16 == 0);
        CHECK(memcmp(ax_node_data(p), before[i], (size_t)n * sizeof(float)) == 0);
        if (ax_node_is_buffer(p)) {
            CHECK(ax_node_data(p) == b.data + off && off >= next_b && off + n <= b.n);
            next_b = off + n;
        } else {
            /* in parameter order, the gradient at the same offset */
            CHECK(ax_node_data(p) == w.data + off && ax_node_grad(p) == gr.data + off);
            CHECK(off >= next_w && off + n <= w.n);
            next_w = off + n;
            learnable += n;
        }
        free(before[i]);
    }
    CHECK(learnable == 10 * DIM + 10 + 10 + 10 + 3 * 10 + 3); /* fc1, bn weight and bias, fc2 */
    CHECK(w.n - learnable < 16 * np);                          /* only alignment gaps */
    CHECK(ax_node_span_offset(x) == -1);
    /* a second compile keeps the spans where they are */
    CHECK_OK(ax_graph_compile(g));
    CHECK(ax_graph_param_span(g).data == w.data && ax_graph_grad_span(g).data == gr.data);
    ax_graph_free(g);
}

/* A hook that checks, at each step, that the gradient span is complete
 * (every parameter's gradient is in it) and that the update has not
 * happened yet; step_end checks that it has. */
typedef struct watcher {
    int grads_calls, end_calls, failures;
    float *params_at_hook;
    double last_norm_sq;
} watcher;

static ax_status watch_grads(ax_callback *cb, ax_model *m, ax_step *step)
{
    watcher *w = cb->state;
    w->grads_calls++;
    ax_span gs = ax_graph_grad_span(m->graph);
    if (step->grads.data != gs.data || step->grads.n != gs.n || step->rows != ax_graph_batch(m->graph))
        w->failures++;
    double span_sq = 0, node_sq = 0;
    for (int64_t i = 0; i < gs.n; i++)
        span_sq += (double)gs.data[i] * gs.data[i];
    for (int i = 0; i < ax_graph_num_params(m->graph); i++) {
        ax_node *p = ax_graph_param(m->graph, i);
        const float *g = ax_node_grad(p);
        for (int64_t k = 0; g && k < ax_node_numel(p); k++)
            node_sq += (double)g[k] * g[k];
    }
    if (!(span_sq > 0) || fabs(span_sq - node_sq) > 1e-12 * span_sq)
        w->failures++;
    w->last_norm_sq = span_sq;
    free(w->params_at_hook);
    w->params_at_hook = copy_span(ax_graph_param_span(m->graph));
    return AX_OK;
}

static ax_status watch_end(ax_callback *cb, ax_model *m, const ax_step *step)
{
    watcher *w = cb->state;
    w->end_calls++;
    ax_span ps = ax_graph_param_span(m->graph);
    if (step->skip_update || memcmp(ps.data, w->params_at_hook, (size_t)ps.n * sizeof(float)) == 0)
        w->failures++; /* the update ran between the two hooks */
    return AX_OK;
}

static void hooks_see_complete_gradients_before_the_update(void)
{
    ax_optimizer *opt;
    ax_model m = build(32, "adam", &opt);
    ax_dataset *ds = test_blobs(N, 1);
    watcher w = {0};
    ax_callback cb = {.name = "watcher", .state = &w, .grads_ready = watch_grads, .step_end = watch_end};
    ax_callback *cbs[] = {&cb};
    ax_fit_config c = quiet(2);
    c.callbacks = cbs;
    c.n_callbacks = 1;
    CHECK_OK(ax_fit(&m, opt, ds, NULL, &c, NULL));
    CHECK(w.grads_calls == 2 * (N / 32) && w.end_calls == w.grads_calls);
    CHECK(w.failures == 0);
    CHECK(ax_optimizer_steps(opt) == w.grads_calls);
    /* the alignment gaps stay zero through training */
    ax_span ps = ax_graph_param_span(m.graph), gs = ax_graph_grad_span(m.graph);
    int64_t end = 0, nonzero = 0;
    for (int i = 0; i < ax_graph_num_params(m.graph); i++) {
        ax_node *p = ax_graph_param(m.graph, i);
        if (ax_node_is_buffer(p))
            continue;
        for (int64_t k = end; k < ax_node_span_offset(p); k++)
            nonzero += ps.data[k] != 0 || gs.data[k] != 0;
        end = ax_node_span_offset(p) + ax_node_numel(p);
    }
    CHECK(nonzero == 0);
    free(w.params_at_hook);
    ax_optimizer_free(opt);
    ax_graph_free(m.graph);
    ax_dataset_free(ds);
}

/* Put rows [first, first + rows) of ds into the model's input and labels. */
static void load_rows(ax_model *m, const ax_dataset *ds, int64_t first, int64_t rows)
{
    CHECK_OK(ax_graph_set_batch(m->graph, rows));
    float *x = ax_node_data(m->input), *y = ax_node_data(m->target);
    for (int64_t r = 0; r < rows; r++) {
        for (int k = 0; k < DIM; k++)
            x[r * DIM + k] = ds->x[(first + r) * DIM + k] * ds->scale;
        y[r] = (float)ds->labels[first + r];
    }
}

static void accumulating_k_batches_is_one_batch_k_times_larger(void)
{
    ax_dataset *ds = test_blobs(N, 2);
    for (int k = 2; k <= 4; k *= 2) {
        /* one step on 16k rows ... */
        ax_optimizer *o1, *o2;
        ax_model big = build_net(16 * k, "sgd", 0, &o1), acc = build_net(16 * k, "sgd", 0, &o2);
        ax_step step = {0};
        load_rows(&big, ds, 0, 16 * k);
        CHECK_OK(ax_train_step(&big, o1, NULL, 0, &step));
        /* ... against k steps of 16 rows, accumulated */
        ax_callback *cb;
        CHECK_OK(ax_grad_accumulation_new(k, &cb));
        float *start = copy_span(ax_graph_param_span(acc.graph));
        for (int s = 0; s < k; s++) {
            load_rows(&acc, ds, 16 * s, 16);
            CHECK_OK(ax_train_step(&acc, o2, &cb, 1, &step));
            CHECK(step.skip_update == (s < k - 1));
            ax_span p = ax_graph_param_span(acc.graph);
            /* nothing moves until the k-th step */
            if (s < k - 1)
                CHECK(memcmp(p.data, start, (size_t)p.n * sizeof(float)) == 0);
        }
        CHECK(ax_optimizer_steps(o2) == 1);
        /* the same update, up to float rounding, and a real one */
        ax_span pa = ax_graph_param_span(big.graph), pb = ax_graph_param_span(acc.graph);
        double moved = 0, diff = 0;
        for (int64_t j = 0; j < pa.n; j++) {
            moved = fmax(moved, fabs(pa.data[j] - start[j]));
            diff = fmax(diff, fabs(pa.data[j] - pb.data[j]));
        }
        CHECK(moved > 1e-3);
        CHECK_NEAR(diff, 0, 1e-6);
        free(start);
        ax_callback_free(cb);
        ax_optimizer_free(o1);
        ax_optimizer_free(o2);
        ax_graph_free(big.graph);
        ax_graph_free(acc.graph);
    }
    ax_callback *bad;
    CHECK_ERR(ax_grad_accumulation_new(0, &bad), AX_ERR_INVALID_ARG, "k >= 1");
    ax_dataset_free(ds);
}

static void recompiling_mid_training_changes_nothing(void)
{
    ax_dataset *ds = test_blobs(N, 3);
    ax_optimizer *o1, *o2;
    ax_model a = build(32, "adam", &o1), b = build(32, "adam", &o2);
    ax_fit_config c = quiet(3);
    CHECK_OK(ax_fit(&a, o1, ds, NULL, &c, NULL));
    c.epochs = 1;
    CHECK_OK(ax_fit(&b, o2, ds, NULL, &c, NULL));
    CHECK_OK(ax_graph_compile(b.graph)); /* a new arena; the spans stay */
    c.initial_epoch = 1, c.epochs = 2;
    CHECK_OK(ax_fit(&b, o2, ds, NULL, &c, NULL));
    CHECK_OK(ax_graph_compile(b.graph));
    c.initial_epoch = 2, c.epochs = 3;
    CHECK_OK(ax_fit(&b, o2, ds, NULL, &c, NULL));
    ax_span pa = ax_graph_param_span(a.graph), pb = ax_graph_param_span(b.graph);
    CHECK(pa.n == pb.n && memcmp(pa.data, pb.data, (size_t)pa.n * sizeof(float)) == 0);
    ax_optimizer_free(o1);
    ax_optimizer_free(o2);
    ax_graph_free(a.graph);
    ax_graph_free(b.graph);
    ax_dataset_free(ds);
}

static void freezing_is_a_mask_over_the_span(void)
{
    ax_dataset *ds = test_blobs(N, 4);
    ax_optimizer *o;
    ax_model m = build(32, "sgd", &o);
    ax_fit_config c = quiet(1);
    int count;
    /* frozen without a recompile: gradients still computed, no update */
    CHECK_OK(ax_graph_freeze(m.graph, "fc1", 1, &count));
    CHECK(count == 2);
    ax_node *w1 = ax_graph_find(m.graph, "fc1.weight"), *w2 = ax_graph_find(m.graph, "fc2.weight");
    float *w1_before = malloc((size_t)ax_node_numel(w1) * sizeof(float));
    float w2_before = ax_node_data(w2)[0];
    memcpy(w1_before, ax_node_data(w1), (size_t)ax_node_numel(w1) * sizeof(float));
    CHECK_OK(ax_fit(&m, o, ds, NULL, &c, NULL));
    CHECK(ax_node_grad(w1) != NULL);
    CHECK(memcmp(ax_node_data(w1), w1_before, (size_t)ax_node_numel(w1) * sizeof(float)) == 0);
    CHECK(ax_node_data(w2)[0] != w2_before);
    /* recompiled frozen: no gradient at all, its part of the span zero */
    CHECK_OK(ax_graph_compile(m.graph));
    CHECK(ax_node_grad(w1) == NULL);
    c.initial_epoch = 1, c.epochs = 2;
    CHECK_OK(ax_fit(&m, o, ds, NULL, &c, NULL));
    CHECK(memcmp(ax_node_data(w1), w1_before, (size_t)ax_node_numel(w1) * sizeof(float)) == 0);
    const float *g1 = ax_graph_grad_span(m.graph).data + ax_node_span_offset(w1);
    int nonzero = 0;
    for (int64_t k = 0; k < ax_node_numel(w1); k++)
        nonzero += g1[k] != 0;
    CHECK(nonzero == 0);
    /* unfrozen and recompiled: the same optimizer updates it again */
    CHECK_OK(ax_graph_freeze(m.graph, "fc1", 0, &count));
    CHECK_OK(ax_graph_compile(m.graph));
    c.initial_epoch = 2, c.epochs = 3;
    CHECK_OK(ax_fit(&m, o, ds, NULL, &c, NULL));
    CHECK(memcmp(ax_node_data(w1), w1_before, (size_t)ax_node_numel(w1) * sizeof(float)) != 0);
    free(w1_before);
    ax_optimizer_free(o);
    ax_graph_free(m.graph);
    ax_dataset_free(ds);
}

static void train_step_stops_on_a_bad_loss(void)
{
    ax_dataset *ds = test_blobs(N, 5);
    ax_optimizer *o;
    ax_model m = build(16, "sgd", &o);
    load_rows(&m, ds, 0, 16);
    ax_node_data(ax_graph_find(m.graph, "fc2.weight"))[0] = INFINITY;
    float *before = copy_span(ax_graph_param_span(m.graph));
    ax_step step = {.epoch = 7, .step = 3};
    CHECK_ERR(ax_train_step(&m, o, NULL, 0, &step), AX_ERR_NUMERIC, "at epoch 7, step 3");
    ax_span p = ax_graph_param_span(m.graph);
    CHECK(memcmp(p.data, before, (size_t)p.n * sizeof(float)) == 0);
    CHECK(ax_optimizer_steps(o) == 0);
    free(before);
    ax_optimizer_free(o);
    ax_graph_free(m.graph);
    ax_dataset_free(ds);
}

static void node_read_and_write_check_sizes(void)
{
    ax_optimizer *o;
    ax_model m = build(8, "sgd", &o);
    ax_node *b = ax_graph_find(m.graph, "fc2.bias");
    float v[CLASSES] = {1, 2, 3, 4}, back[CLASSES];
    CHECK_OK(ax_node_write(b, v, CLASSES));
    CHECK_OK(ax_node_read(b, back, CLASSES));
    CHECK(memcmp(v, back, sizeof v) == 0 && ax_node_data(b)[2] == 3);
    CHECK_ERR(ax_node_write(b, v, 3), AX_ERR_SHAPE, "write of 3 values, it holds 4");
    float *view = ax_node_map(b); /* a host view: written through, copied back at unmap */
    view[1] = 7;
    ax_node_unmap(b, 1);
    CHECK_OK(ax_node_read(b, back, CLASSES));
    CHECK(back[1] == 7 && back[0] == 1);
    CHECK_OK(ax_graph_set_batch(m.graph, 5));
    float x[5 * DIM];
    CHECK_OK(ax_node_read(m.input, x, 5 * DIM));
    CHECK_ERR(ax_node_read(m.input, x, 8 * DIM), AX_ERR_SHAPE, "it holds 60");
    ax_optimizer_free(o);
    ax_graph_free(m.graph);
}

static void the_backend_is_chosen_before_compile(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    CHECK(!strcmp(ax_graph_backend(g), "cpu") && ax_backend_count() >= 1 && !strcmp(ax_backend_name(0), "cpu"));
    CHECK_ERR(ax_graph_set_backend(g, "cuda"), AX_ERR_INVALID_ARG, "no backend 'cuda' in this build of axon (it has: cpu");
    CHECK_OK(ax_graph_set_backend(g, "cpu"));
    CHECK(ax_dense(g, ax_input(g, "in0", ax_shape2(2, 3)), 2, NULL, AX_DEFAULT_INIT, NULL, "no_rng") == NULL);
    CHECK(strstr(ax_last_error(), "needs a random stream") != NULL);
    ax_graph_free(g);
    CHECK_OK(ax_graph_new(&g));
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_node *x = ax_input(g, "x", ax_shape2(2, 3));
    ax_dense(g, x, 2, NULL, AX_DEFAULT_INIT, &rng, "fc");
    CHECK_OK(ax_graph_compile(g));
    CHECK_OK(ax_graph_set_backend(g, "cpu")); /* the same one: nothing to move */
    ax_graph_free(g);
}

TEST_MAIN(T(the_backend_is_chosen_before_compile), T(spans_hold_every_parameter_in_order), T(hooks_see_complete_gradients_before_the_update),
          T(accumulating_k_batches_is_one_batch_k_times_larger), T(recompiling_mid_training_changes_nothing),
          T(freezing_is_a_mask_over_the_span), T(train_step_stops_on_a_bad_loss),
          T(node_read_and_write_check_sizes))
