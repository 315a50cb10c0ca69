/* Every loss: forward against the formula in double precision (written
 * here), both reductions, label smoothing and class weights, and gradients
 * through the shared checker; regularisation penalties likewise. */
#include "gradcheck.h"
#include "test.h"

#define N 3
#define C 4

static const float P[N * C] = {0.5f, -1.2f, 2.0f, 0.1f, 3.0f, 0.2f, -0.7f, 1.5f, -2.2f, 0.9f, 0.4f, -0.1f};
static const float T[N * C] = {0.3f, -1.0f, 2.5f, -0.5f, 0.0f, 0.2f, 1.7f, 1.0f, -1.0f, 4.0f, 0.4f, 0.0f};

/* Build loss(p, t) on [N, C] inputs with given options, run it. */
static float run_loss(const char *name, const float *p, const float *t, int sparse,
                      const ax_loss_options *o, const float *weights)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *pn = ax_input(g, "p", ax_shape2(N, C));
    ax_node *tn = ax_input(g, "t", sparse ? ax_shape1(N) : ax_shape2(N, C));
    ax_loss_options opt = o ? *o : (ax_loss_options){0};
    ax_node *w = NULL;
    if (weights) {
        w = ax_param(g, "w", ax_shape1(C));
        memcpy(ax_node_data(w), weights, C * sizeof(float));
        ax_node_set_frozen(w, 1);
        opt.class_weights = w;
    }
    ax_node *l = ax_loss(g, name, pn, tn, &opt);
    float out = NAN;
    if (ax_graph_compile(g) == AX_OK) {
        memcpy(ax_node_data(pn), p, N * C * sizeof(float));
        memcpy(ax_node_data(tn), t, (sparse ? N : N * C) * sizeof(float));
        if (ax_graph_forward(g) == AX_OK)
            out = ax_node_data(l)[0];
    }
    ax_graph_free(g);
    return out;
}

static void regression_losses(void)
{
    double sq = 0, ab = 0, hub = 0, hub2 = 0;
    for (int i = 0; i < N * C; i++) {
        double d = (double)P[i] - T[i], a = fabs(d);
        sq += d * d, ab += a;
        hub += a < 1 ? 0.5 * d * d : a - 0.5;
        hub2 += a < 0.5 ? 0.5 * d * d : 0.5 * (a - 0.25);
    }
    ax_loss_options sum = {.reduction = AX_REDUCE_SUM}, delta = {.huber_delta = 0.5f};
    CHECK_NEAR(run_loss("mse", P, T, 0, NULL, NULL), sq / 12, 1e-6);
    CHECK_NEAR(run_loss("mse", P, T, 0, &sum, NULL), sq, 1e-5);
    CHECK_NEAR(run_loss("sse", P, T, 0, NULL, NULL), sq / 2, 1e-5);
    CHECK_NEAR(run_loss("mae", P, T, 0, NULL, NULL), ab / 12, 1e-6);
    CHECK_NEAR(run_loss("mae", P, T, 0, &sum, NULL), ab, 1e-5);
    CHECK_NEAR(run_loss("huber", P, T, 0, NULL, NULL), hub / 12, 1e-6);
    CHECK_NEAR(run_loss("huber", P, T, 0, &delta, NULL), hub2 / 12, 1e-6);
}

static void binary_cross_entropies(void)
{
    float prob[N * C], tgt[N * C];
    double bce = 0, bcel = 0;
    for (int i = 0; i < N * C; i++) {
        prob[i] = (float)(1.0 / (1.0 + exp(-P[i])));
        tgt[i] = (float)((i % 3) / 2.0); /* 0, .5, 1 */
        double p = prob[i], t = tgt[i], x = P[i];
        bce -= t * log(p) + (1 - t) * log(1 - p);
        bcel += fmax(x, 0) - x * t + log1p(exp(-fabs(x)));
    }
    CHECK_NEAR(run_loss("binary_cross_entropy", prob, tgt, 0, NULL, NULL), bce / 12, 1e-6);
    CHECK_NEAR(run_loss("binary_cross_entropy_with_logits", P, tgt, 0, NULL, NULL), bcel / 12, 1e-6);
    CHECK_NEAR(run_loss("binary_cross_entropy_with_logits", P, tgt, 0, &(ax_loss_options){.reduction = AX_REDUCE_SUM}, NULL),
               bcel, 1e-5);
    /* the same value both ways */
    CHECK_NEAR(bce, bcel, 1e-5);
    /* logits far out stay finite; probabilities of exactly 0 and 1 too */
    float big[N * C], zero_one[N * C], ones[N * C];
    for (int i = 0; i < N * C; i++)
        big[i] = i % 2 ? 500.0f : -500.0f, zero_one[i] = (float)(i % 2), ones[i] = 1.0f;
    float v = run_loss("binary_cross_entropy_with_logits", big, ones, 0, NULL, NULL);
    CHECK_NEAR(v, 500.0 * 6 / 12, 1e-3);
    v = run_loss("binary_cross_entropy", zero_one, ones, 0, NULL, NULL);
    CHECK_NEAR(v, 100.0 * 6 / 12, 1e-3); /* log 0 clamped at -100, as PyTorch */
    /* not probabilities: an error naming the fix */
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *p = ax_input(g, "p", ax_shape2(1, 2)), *t = ax_input(g, "t", ax_shape2(1, 2));
    ax_loss(g, "binary_cross_entropy", p, t, NULL);
    CHECK_OK(ax_graph_compile(g));
    ax_node_data(p)[1] = 1.5f;
    CHECK_ERR(ax_graph_forward(g), AX_ERR_INVALID_ARG, "binary_cross_entropy_with_logits");
    ax_graph_free(g);
}

/* -sum_c a_c log p_c per row, the coefficients as PyTorch defines them. */
static double xent_reference(const float *scores, int logits, const float *labels, int sparse,
                             float eps, const float *w, int sum)
{
    double total = 0, den = 0;
    for (int r = 0; r < N; r++) {
        double logp[C], m = -INFINITY, z = 0;
        for (int c = 0; c < C; c++)
            m = fmax(m, scores[r * C + c]);
        for (int c = 0; c < C; c++)
            z += exp(scores[r * C + c] - m);
        for (int c = 0; c < C; c++)
            logp[c] = logits ? scores[r * C + c] - m - log(z) : log(fmax(scores[r * C + c], 1e-7));
        for (int c = 0; c < C; c++) {
            double wc = w ? w[c] : 1, a;
            if (sparse)
                a = (1 - eps) * wc * (c == (int)labels[r]) + eps * wc / C;
            else
                a = wc * ((1 - eps) * labels[r * C + c] + eps / C);
            total -= a * logp[c];
        }
        den += sparse && w ? w[(int)labels[r]] : 1;
    }
    return sum ? total : total / den;
}

static void categorical_cross_entropies(void)
{
    const float labels[N] = {2, 0, 3}, w[C] = {1, 2, 0.5f, 3};
    float onehot[N * C] = {0}, soft[N * C], probs[N * C];
    for (int r = 0; r < N; r++) {
        onehot[r * C + (int)labels[r]] = 1;
        double z = 0;
        for (int c = 0; c < C; c++)
            z += exp(P[r * C + c]);
        for (int c = 0; c < C; c++) {
            probs[r * C + c] = (float)(exp(P[r * C + c]) / z);
            soft[r * C + c] = (c + 1) / 10.0f;
        }
    }
    for (int sum = 0; sum < 2; sum++)
        for (int k = 0; k < 4; k++) {
            float eps = k & 1 ? 0.1f : 0.0f;
            const float *wp = k & 2 ? w : NULL;
            ax_loss_options o = {.reduction = sum ? AX_REDUCE_SUM : AX_REDUCE_MEAN, .label_smoothing = eps};
            double want = xent_reference(P, 1, labels, 1, eps, wp, sum);
            CHECK_NEAR(run_loss("softmax_cross_entropy", P, labels, 1, &o, wp), want, 1e-5);
            CHECK_NEAR(run_loss("softmax_cross_entropy", P, onehot, 0, &o, NULL),
                       xent_reference(P, 1, onehot, 0, eps, NULL, sum), 1e-5);
            CHECK_NEAR(run_loss("softmax_cross_entropy", P, soft, 0, &o, wp),
                       xent_reference(P, 1, soft, 0, eps, wp, sum), 1e-5);
            CHECK_NEAR(run_loss("categorical_cross_entropy", probs, labels, 1, &o, wp),
                       xent_reference(probs, 0, labels, 1, eps, wp, sum), 1e-5);
            /* on probabilities and on logits: the same number */
            CHECK_NEAR(run_loss("categorical_cross_entropy", probs, labels, 1, &o, wp), want, 1e-5);
        }
    /* errors: smoothing out of range, weights of the wrong size */
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(2, 3)), *y = ax_input(g, "y", ax_shape1(2));
    CHECK(ax_loss(g, "softmax_cross_entropy", x, y, &(ax_loss_options){.label_smoothing = 1.0f}) == NULL);
    CHECK(strstr(ax_last_error(), "attribute 'label_smoothing' is 1, outside 0..0.999999") != NULL);
    ax_graph_free(g);
    ax_graph_new(&g);
    x = ax_input(g, "x", ax_shape2(2, 3)), y = ax_input(g, "y", ax_shape1(2));
    ax_node *bad_w = ax_param(g, "w", ax_shape1(4));
    CHECK(ax_loss(g, "softmax_cross_entropy", x, y, &(ax_loss_options){.class_weights = bad_w}) == NULL);
    CHECK(strstr(ax_last_error(), "class weights [4] must be [3]") != NULL);
    ax_graph_free(g);
}

/* Gradient check of a loss: p and (dense) t differentiable. */
static void check_loss_grad(const char *name, int sparse, const ax_loss_options *o, int probs, int with_w)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_rng rng;
    ax_rng_seed(&rng, 77, 2);
    ax_node *p = ax_input(g, "p", ax_shape2(N, C));
    ax_node *t = ax_input(g, "t", sparse ? ax_shape1(N) : ax_shape2(N, C));
    ax_node_set_requires_grad(p, 1);
    if (!sparse)
        ax_node_set_requires_grad(t, 1);
    ax_loss_options opt = *o;
    if (with_w) {
        opt.class_weights = ax_param(g, "w", ax_shape1(C));
        memcpy(ax_node_data(opt.class_weights), (float[]){1, 2, 0.5f, 3}, C * sizeof(float));
        ax_node_set_frozen(opt.class_weights, 1);
    }
    ax_node *l = ax_loss(g, name, p, t, &opt);
    if (ax_graph_compile(g) != AX_OK) {
        printf("  %s: %s\n", name, ax_last_error());
        test_failures++;
        ax_graph_free(g);
        return;
    }
    fill_uniform(p, &rng, probs ? 0.1f : -2.0f, probs ? 0.9f : 2.0f, 0);
    if (sparse)
        for (int r = 0; r < N; r++)
            ax_node_data(t)[r] = (float)((r * 3) % C);
    else
        fill_uniform(t, &rng, 0.05f, 0.95f, 0);
    /* MAE and Huber have kinks where p = t: keep them apart */
    if (!sparse)
        for (int i = 0; i < N * C; i++)
            if (fabsf(ax_node_data(p)[i] - ax_node_data(t)[i]) < 0.05f)
                ax_node_data(t)[i] += 0.1f;
    int bad = gradcheck(g, l, 20);
    if (bad)
        printf("  in %s\n", name);
    CHECK(bad == 0);
    ax_graph_free(g);
}

static void loss_gradients(void)
{
    ax_loss_options mean = {0}, sum = {.reduction = AX_REDUCE_SUM}, smooth = {.label_smoothing = 0.2f},
                    huber_small = {.huber_delta = 0.3f};
    const char *reg[] = {"mse", "sse", "mae", "huber"};
    for (int i = 0; i < 4; i++) {
        check_loss_grad(reg[i], 0, &mean, 0, 0);
        check_loss_grad(reg[i], 0, &sum, 0, 0);
    }
    check_loss_grad("huber", 0, &huber_small, 0, 0);
    check_loss_grad("binary_cross_entropy", 0, &mean, 1, 0);
    check_loss_grad("binary_cross_entropy_with_logits", 0, &sum, 0, 0);
    for (int w = 0; w < 2; w++)
        for (int sparse = 0; sparse < 2; sparse++) {
            check_loss_grad("softmax_cross_entropy", sparse, &smooth, 0, w);
            check_loss_grad("softmax_cross_entropy", sparse, &sum, 0, w);
            check_loss_grad("categorical_cross_entropy", sparse, &smooth, 1, w);
        }
}

static void penalties(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(2, 3));
    ax_node *w = ax_param(g, "w", ax_shape2(1, 3));
    ax_node *t = ax_input(g, "t", ax_shape2(2, 1));
    ax_node *data_loss = ax_mse(g, ax_matmul(g, x, w, 1), t);
    ax_node *loss = ax_regularize(g, data_loss, w, 0.1f, 0.05f);
    CHECK_OK(ax_graph_compile(g));
    memcpy(ax_node_data(w), (float[]){0.5f, -2, 0.25f}, 3 * sizeof(float));
    ax_rng rng;
    ax_rng_seed(&rng, 1, 2);
    fill_uniform(x, &rng, -1, 1, 0);
    fill_uniform(t, &rng, -1, 1, 0);
    CHECK_OK(ax_graph_forward(g));
    double pen = 0.1 * (0.5 + 2 + 0.25) + 0.05 * (0.25 + 4 + 0.0625);
    CHECK_NEAR(ax_node_data(loss)[0] - ax_node_data(data_loss)[0], pen, 1e-6);
    CHECK(gradcheck(g, loss, 10) == 0);
    ax_graph_free(g);
}

TEST_MAIN(T(regression_losses), T(binary_cross_entropies), T(categorical_cross_entropies),
          T(loss_gradients), T(penalties))
