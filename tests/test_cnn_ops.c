/* Convolution, pooling, batch norm, dropout and concat: forward against
 * direct loops in double precision written here (and a case by hand), and
 * gradients through the shared checker, on odd shapes, strides, padding,
 * dilation and groups. */
#include "backends/cpu/dnnl_conv.h"
#include "backends/cpu/dnnl_matmul.h"
#include "gradcheck.h"
#include "ops/op.h"
#include "test.h"

typedef struct conv_case {
    int n, c, h, w, o, kh, kw, sh, sw, ph, pw, dh, dw, groups;
    ax_pad_mode mode;
} conv_case;

static const conv_case conv_cases[] = {
    {2, 3, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1, AX_PAD_VALID},
    {2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, AX_PAD_EXPLICIT},
    {1, 2, 9, 8, 3, 3, 2, 2, 3, 1, 0, 1, 1, 1, AX_PAD_EXPLICIT},  /* strides 2, 3; uneven kernel */
    {2, 2, 9, 9, 2, 3, 3, 1, 1, 2, 2, 2, 2, 1, AX_PAD_EXPLICIT},  /* dilation 2 */
    {2, 4, 6, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, AX_PAD_EXPLICIT},  /* 2 groups */
    {1, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, AX_PAD_EXPLICIT},  /* depthwise */
    {2, 5, 4, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1, AX_PAD_VALID},     /* 1x1: the direct path */
    {2, 4, 4, 3, 6, 1, 1, 1, 1, 0, 0, 1, 1, 2, AX_PAD_VALID},     /* grouped 1x1 */
    {1, 2, 8, 7, 3, 3, 3, 2, 2, 0, 0, 1, 1, 1, AX_PAD_SAME},      /* 'same' with stride 2 */
    {1, 2, 6, 6, 2, 4, 4, 1, 1, 0, 0, 1, 1, 1, AX_PAD_SAME},      /* 'same', even kernel: odd padding */
};

/* Direct convolution in double; padding per side from what the op used. */
static double conv_ref(const float *x, const float *w, const conv_case *k, int pt, int pl, int n, int o, int y, int x0)
{
    int cg = k->c / k->groups, og = k->o / k->groups, g = o / og;
    double s = 0;
    for (int c = 0; c < cg; c++)
        for (int i = 0; i < k->kh; i++)
            for (int j = 0; j < k->kw; j++) {
                int iy = y * k->sh - pt + i * k->dh, ix = x0 * k->sw - pl + j * k->dw;
                if (iy < 0 || iy >= k->h || ix < 0 || ix >= k->w)
                    continue;
                s += (double)x[((n * k->c + g * cg + c) * k->h + iy) * k->w + ix] *
                     w[((o * cg + c) * k->kh + i) * k->kw + j];
            }
    return s;
}

static void conv_forward_and_gradients(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 42, 42);
    /* every case with 1 image per GEMM, 2 (a short last chunk when N is
     * odd), and all of them; with and without a bias; then each through
     * oneDNN's primitives (kernel 2) */
    const size_t n_cases = sizeof conv_cases / sizeof conv_cases[0];
    int on_onednn[sizeof conv_cases / sizeof conv_cases[0]] = {0};
    for (size_t run = 0; run < 6 * n_cases; run++) {
        const int onednn = run >= 3 * n_cases;
        size_t t = run % (3 * n_cases) / 3;
        const conv_case *k = &conv_cases[t];
        ax_graph *g;
        CHECK_OK(ax_graph_new(&g));
        ax_node *x = ax_input(g, "x", ax_shape4(k->n, k->c, k->h, k->w));
        ax_node_set_requires_grad(x, 1);
        ax_node *w = ax_param(g, "w", ax_shape4(k->o, k->c / k->groups, k->kh, k->kw));
        ax_node *b = run % 2 ? ax_param(g, "b", ax_shape1(k->o)) : NULL;
        const int chunk[3] = {1, 2, 64};
        /* the fused ReLU on some runs: values are checked against max(0, conv) */
        const int relu = run % 4 == 3;
        /* and the column matrices kept or recomputed, alternately */
        ax_conv_options opt = {k->sh, k->sw, k->mode, k->ph, k->pw, k->dh, k->dw, k->groups, 0, relu};
        ax_node *y = ax_conv2d_bias(g, x, w, b, &opt);
        CHECK_OK(ax_node_hint(y, "images_per_gemm", chunk[run % 3]));
        CHECK_OK(ax_node_hint(y, "recompute_im2col", (int)(run / 3) % 2));
        CHECK_OK(ax_node_hint(y, "kernel", onednn ? 2 : 1));
        if (ax_graph_compile(g) != AX_OK) {
            printf("  case %zu: %s\n", t, ax_last_error());
            test_failures++;
            ax_graph_free(g);
            continue;
        }
        fill_uniform(x, &rng, -1, 1, 0);
        fill_uniform(w, &rng, -1, 1, 0);
        if (b)
            fill_uniform(b, &rng, -1, 1, 0);
        ax_status fs = ax_graph_forward(g);
        if (onednn && fs == AX_ERR_STATE && strstr(ax_last_error(), "reference kernel")) {
            ax_graph_free(g); /* oneDNN has no fast kernel for this shape: im2col runs it (above) */
            continue;
        }
        CHECK(fs == AX_OK);
        if (onednn) { /* it ran on a JIT kernel (direct, or its own im2col + JIT GEMM), never the reference one */
            const char *impl = ax_conv2d_onednn_impl(y, 0);
            if (strncmp(impl, "jit", 3) && strncmp(impl, "gemm", 4) && strncmp(impl, "x64:gemm", 8) && strncmp(impl, "brg", 3))
                printf("  case %zu on oneDNN: %s\n", t, impl), test_failures++;
            on_onednn[t] = 1;
        }
        ax_shape ys = ax_node_shape(y);
        /* padding as 'same' defines it, or as given */
        int pt = k->ph, pl = k->pw;
        if (k->mode == AX_PAD_SAME) {
            int oh = (k->h + k->sh - 1) / k->sh, ow = (k->w + k->sw - 1) / k->sw;
            CHECK(ys.dim[2] == oh && ys.dim[3] == ow);
            pt = ((oh - 1) * k->sh + (k->kh - 1) * k->dh + 1 - k->h) / 2;
            pl = ((ow - 1) * k->sw + (k->kw - 1) * k->dw + 1 - k->w) / 2;
            pt = pt < 0 ? 0 : pt, pl = pl < 0 ? 0 : pl;
        } else if (k->mode == AX_PAD_VALID)
            pt = pl = 0;
        int bad = 0;
        for (int n = 0; n < ys.dim[0]; n++)
            for (int o = 0; o < ys.dim[1]; o++)
                for (int i = 0; i < ys.dim[2]; i++)
                    for (int j = 0; j < ys.dim[3]; j++) {
                        double want = conv_ref(ax_node_data(x), ax_node_data(w), k, pt, pl, n, o, i, j) +
                                      (b ? ax_node_data(b)[o] : 0.0);
                        want = relu && want < 0 ? 0 : want;
                        float got = ax_node_data(y)[((n * ys.dim[1] + o) * ys.dim[2] + i) * ys.dim[3] + j];
                        bad += fabs(got - want) > 1e-5 * (1 + fabs(want));
                    }
        if (bad)
            printf("  case %zu (chunk choice %zu): %d outputs differ from the direct convolution\n", t, run % 3, bad);
        CHECK(bad == 0);
        int gbad = relu ? 0 : gradcheck(g, y, 40);
        if (gbad)
            printf("  in case %zu (chunk choice %zu%s)\n", t, run % 3, onednn ? ", oneDNN" : "");
        CHECK(gbad == 0);
        ax_graph_free(g);
    }
    /* oneDNN ran the plain, padded, strided, dilated and grouped cases */
    CHECK(on_onednn[0] && on_onednn[1] && on_onednn[2] && on_onednn[3] && on_onednn[4]);
}

/* Two convolutions reading one input and one weight (so every gradient
 * adds to another), one with the fused ReLU, through im2col (kernel 1) or
 * oneDNN (kernel 2): [0] outputs, [1] dx, dw, db. */
typedef struct two_convs {
    ax_graph *g;
    ax_node *x, *w, *b, *y1, *y2, *loss;
} two_convs;

static two_convs build_two_convs(int kernel, int64_t batch)
{
    two_convs t;
    ax_rng rng;
    ax_rng_seed(&rng, 5, 5);
    CHECK_OK(ax_graph_new(&t.g));
    t.x = ax_input(t.g, "x", ax_shape4(batch, 16, 9, 9));
    ax_node_set_requires_grad(t.x, 1);
    t.w = ax_param(t.g, "w", ax_shape4(24, 16, 3, 3));
    t.b = ax_param(t.g, "b", ax_shape1(24));
    ax_conv_options relu = {.pad_mode = AX_PAD_EXPLICIT, .pad_h = 1, .pad_w = 1, .fused_relu = 1};
    ax_conv_options strided = {.stride_h = 2, .stride_w = 2};
    t.y1 = ax_conv2d_bias(t.g, t.x, t.w, t.b, &relu);
    t.y2 = ax_conv2d_bias(t.g, t.x, t.w, t.b, &strided);
    ax_node *t1 = ax_input(t.g, "t1", ax_node_shape(t.y1)), *t2 = ax_input(t.g, "t2", ax_node_shape(t.y2));
    t.loss = ax_add(t.g, ax_mse(t.g, t.y1, t1), ax_mse(t.g, t.y2, t2));
    CHECK_OK(ax_node_hint(t.y1, "kernel", kernel));
    CHECK_OK(ax_node_hint(t.y2, "kernel", kernel));
    CHECK_OK(ax_graph_compile(t.g));
    ax_node *fill[5] = {t.x, t.w, t.b, t1, t2};
    for (int i = 0; i < 5; i++)
        fill_uniform(fill[i], &rng, -1, 1, 0);
    return t;
}

/* The largest difference of two runs of floats, relative to the largest value. */
static double rel_diff(const float *a, const float *b, int64_t n)
{
    double d = 0, m = 1e-30;
    for (int64_t i = 0; i < n; i++)
        d = fmax(d, fabs((double)a[i] - b[i])), m = fmax(m, fabs((double)b[i]));
    return d / m;
}

/* Each output and gradient of `got` against `want`: its largest
 * difference relative to the largest value, into d[0..5) (y1, y2, dx,
 * dw, db). */
static const char *const two_conv_parts[5] = {"y1", "y2", "dx", "dw", "db"};
static void two_convs_diff(const two_convs *got, const two_convs *want, double d[5])
{
    const float *g[5] = {ax_node_data(got->y1), ax_node_data(got->y2), ax_node_grad(got->x), ax_node_grad(got->w),
                         ax_node_grad(got->b)};
    const float *w[5] = {ax_node_data(want->y1), ax_node_data(want->y2), ax_node_grad(want->x),
                         ax_node_grad(want->w), ax_node_grad(want->b)};
    const int64_t n[5] = {ax_node_numel(want->y1), ax_node_numel(want->y2), ax_node_numel(want->x),
                          ax_node_numel(want->w), ax_node_numel(want->b)};
    for (int i = 0; i < 5; i++)
        d[i] = rel_diff(g[i], w[i], n[i]);
}

static void onednn_and_im2col_agree(void)
{
    two_convs a = build_two_convs(1, 6), o = build_two_convs(2, 6);
    for (int batch = 6; batch >= 4; batch -= 2) { /* the compiled batch, then a short one (new primitives) */
        CHECK_OK(ax_graph_set_batch(a.g, batch));
        CHECK_OK(ax_graph_set_batch(o.g, batch));
        ax_graph_set_training(a.g, 1);
        ax_graph_set_training(o.g, 1);
        CHECK_OK(ax_graph_forward(a.g));
        CHECK_OK(ax_graph_backward(a.g, a.loss, NULL));
        float *y[2], *dx[2];
        for (int run = 0; run < 2; run++) { /* twice: the same bits */
            CHECK_OK(ax_graph_forward(o.g));
            CHECK_OK(ax_graph_backward(o.g, o.loss, NULL));
            y[run] = malloc((size_t)ax_node_numel(o.y1) * sizeof(float));
            dx[run] = malloc((size_t)ax_node_numel(o.x) * sizeof(float));
            memcpy(y[run], ax_node_data(o.y1), (size_t)ax_node_numel(o.y1) * sizeof(float));
            memcpy(dx[run], ax_node_grad(o.x), (size_t)ax_node_numel(o.x) * sizeof(float));
        }
        CHECK(!memcmp(y[0], y[1], (size_t)ax_node_numel(o.y1) * sizeof(float)));
        CHECK(!memcmp(dx[0], dx[1], (size_t)ax_node_numel(o.x) * sizeof(float)));
        for (int run = 0; run < 2; run++)
            free(y[run]), free(dx[run]);
        double d[5];
        two_convs_diff(&o, &a, d);
        for (int i = 0; i < 5; i++) {
            if (d[i] > 1e-5)
                printf("  batch %d: %s differs by %.2g (relative to its largest value)\n", batch, two_conv_parts[i], d[i]);
            CHECK(d[i] <= 1e-5);
        }
    }
    CHECK(ax_conv2d_onednn_impl(o.y1, 2)[0] && !ax_conv2d_onednn_impl(a.y1, 0)[0]);
    ax_graph_free(a.g);
    ax_graph_free(o.g);
    /* chosen by shape: 16 input channels go to oneDNN, 1 stays on im2col */
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape4(2, 1, 12, 12));
    ax_node *c1 = ax_conv2d_layer(g, x, 16, 3, 3, NULL, NULL, AX_DEFAULT_INIT, &rng, "c1");
    ax_node *c2 = ax_conv2d_layer(g, c1, 16, 3, 3, NULL, NULL, AX_DEFAULT_INIT, &rng, "c2");
    CHECK_OK(ax_graph_compile(g));
    CHECK_OK(ax_graph_forward(g));
    CHECK(!ax_conv2d_onednn_impl(c1, 0)[0] && ax_conv2d_onednn_impl(c2, 0)[0]);
    ax_graph_free(g);
}

/* The backward weights primitive reads the forward's rounded copy of x
 * and the backward data's copy of dy when their layouts match. Whatever
 * ran before, dw and db come out as from a forward and backward on the
 * same x and dy: after a forward on another x, and without dx after a
 * backward on another dy (dy then converted for dw alone). */
static void onednn_backward_reuses_only_its_own_copies(void)
{
    for (int bf16 = 0; bf16 <= ax_cpu_has_bf16(); bf16++) {
        const ax_dnnl_conv_shape sh = {.n = 3, .c = 16, .h = 7, .w = 6, .o = 8, .kh = 3, .kw = 3, .groups = 1,
                                       .oh = 5, .ow = 4, .stride_h = 1, .stride_w = 1, .dil_h = 1, .dil_w = 1,
                                       .bias = 1, .bf16 = bf16, .backward = 1, .threads = 1};
        enum { NX = 3 * 16 * 7 * 6, NW = 8 * 16 * 9, NY = 3 * 8 * 5 * 4 };
        static float x1[NX], x2[NX], w[NW], b[8], y[NY], dy[NY], dx[NX], dw[3][NW], db[3][8];
        ax_rng rng;
        ax_rng_seed(&rng, 5, 1);
        for (int i = 0; i < NX; i++)
            x1[i] = ax_rng_normal(&rng), x2[i] = ax_rng_normal(&rng);
        for (int i = 0; i < NW; i++)
            w[i] = ax_rng_normal(&rng);
        for (int i = 0; i < NY; i++)
            dy[i] = ax_rng_normal(&rng);
        ax_dnnl_conv *c;
        CHECK_OK(ax_dnnl_conv_new(&sh, &c));
        if (!c)
            return;
        /* 0: forward and backward on x2; 1: forward on x1, backward on x2;
         * 2: as 0, without dx */
        static float dy_other[NY];
        for (int i = 0; i < NY; i++)
            dy_other[i] = -2 * dy[i];
        for (int run = 0; run < 3; run++) {
            CHECK_OK(ax_dnnl_conv_forward(c, run == 1 ? x1 : x2, w, b, y));
            if (run == 2) /* leaves another dy's copy behind */
                CHECK_OK(ax_dnnl_conv_backward(c, x2, w, dy_other, dx, 0, NULL, 0, NULL, 0));
            CHECK_OK(ax_dnnl_conv_backward(c, x2, w, dy, run == 2 ? NULL : dx, 0, dw[run], 0, db[run], 0));
        }
        for (int run = 1; run < 3; run++) {
            CHECK(!memcmp(dw[0], dw[run], sizeof dw[0]));
            CHECK(!memcmp(db[0], db[run], sizeof db[0]));
        }
        ax_dnnl_conv_free(c);
    }
}

/* A convolution (3 input channels: im2col; 16: oneDNN) followed by a 2x2
 * max pooling, its only consumer: paired (the convolution pools its maps
 * and scatters the pooling's gradient itself) or kept apart by an op
 * between them (a separate ReLU, or a reshape to the same shape). 11x12
 * inputs give 9x10 maps: a row no window covers. */
typedef struct conv_pool {
    ax_graph *g;
    ax_node *x, *w, *b, *conv, *pre_pool, *pool, *loss;
} conv_pool;

static conv_pool build_conv_pool(int channels, int relu, int apart)
{
    conv_pool t;
    ax_rng rng;
    ax_rng_seed(&rng, 9, 2);
    CHECK_OK(ax_graph_new(&t.g));
    t.x = ax_input(t.g, "x", ax_shape4(3, channels, 11, 12));
    ax_node_set_requires_grad(t.x, 1);
    t.w = ax_param(t.g, "w", ax_shape4(5, channels, 3, 3));
    t.b = ax_param(t.g, "b", ax_shape1(5));
    ax_conv_options o = {.fused_relu = relu && !apart};
    t.conv = ax_conv2d_bias(t.g, t.x, t.w, t.b, &o);
    t.pre_pool = !apart ? t.conv : relu ? ax_activate(t.g, t.conv, "relu") : ax_reshape(t.g, t.conv, ax_shape3(5, 9, 10));
    t.pool = ax_max_pool2d(t.g, t.pre_pool, 2, 2, 0, 0, 0, 0);
    ax_node *target = ax_input(t.g, "target", ax_node_shape(t.pool));
    t.loss = ax_mse(t.g, t.pool, target);
    CHECK_OK(ax_graph_compile(t.g));
    ax_node *fill[4] = {t.x, t.w, t.b, target};
    for (int i = 0; i < 4; i++)
        fill_uniform(fill[i], &rng, -1, 1, 0);
    return t;
}

static int same_floats(const float *a, const float *b, int64_t n) { return !memcmp(a, b, (size_t)n * sizeof(float)); }

static void conv_pool_pair_matches_apart(void)
{
    for (int run = 0; run < 4; run++) {
        const int relu = run & 1, channels = run < 2 ? 3 : 16;
        conv_pool a = build_conv_pool(channels, relu, 0), p = build_conv_pool(channels, relu, 1);
        CHECK(a.conv->epilogue == a.pool && !p.conv->epilogue && !p.pre_pool->epilogue);
        for (int batch = 3; batch >= 2; batch--) { /* the compiled batch, then a shorter one */
            for (int k = 0; k < 2; k++) {
                conv_pool *t = k ? &p : &a;
                CHECK_OK(ax_graph_set_batch(t->g, batch));
                ax_graph_set_training(t->g, 1);
                CHECK_OK(ax_graph_forward(t->g));
                CHECK_OK(ax_graph_backward(t->g, t->loss, NULL));
            }
            CHECK(!ax_conv2d_onednn_impl(a.conv, 0)[0] == (channels == 3));
            CHECK(same_floats(ax_node_data(a.pool), ax_node_data(p.pool), ax_node_numel(p.pool)));
            CHECK(same_floats(ax_node_data(a.pre_pool), ax_node_data(p.pre_pool), ax_node_numel(p.pre_pool)));
            CHECK(same_floats(ax_node_grad(a.x), ax_node_grad(p.x), ax_node_numel(p.x)));
            CHECK(same_floats(ax_node_grad(a.w), ax_node_grad(p.w), ax_node_numel(p.w)));
            CHECK(same_floats(ax_node_grad(a.b), ax_node_grad(p.b), ax_node_numel(p.b)));
        }
        /* a backward pass from the convolution itself reads its own gradient */
        static float seed[3 * 5 * 9 * 10];
        const int64_t n = ax_node_numel(a.conv);
        for (int64_t i = 0; i < n; i++)
            seed[i] = (float)((i * 37) % 11) - 5.0f;
        CHECK_OK(ax_graph_backward(a.g, a.conv, seed));
        CHECK_OK(ax_graph_backward(p.g, p.pre_pool, seed));
        CHECK(same_floats(ax_node_grad(a.x), ax_node_grad(p.x), ax_node_numel(p.x)));
        CHECK(same_floats(ax_node_grad(a.w), ax_node_grad(p.w), ax_node_numel(p.w)));
        /* an inference plan keeps them apart (its buffers share memory by liveness) */
        CHECK_OK(ax_graph_compile_inference(a.g, &a.pool, 1));
        CHECK(!a.conv->epilogue);
        ax_graph_free(a.g);
        ax_graph_free(p.g);
    }
    /* the paired gradients against central differences */
    for (int channels = 3; channels <= 16; channels += 13) {
        conv_pool t = build_conv_pool(channels, 0, 0);
        CHECK(t.conv->epilogue == t.pool);
        CHECK(gradcheck(t.g, t.pool, 40) == 0);
        ax_graph_free(t.g);
    }
}

/* Mixed precision: the oneDNN convolutions read x, w and dy as bfloat16
 * (8 bits of mantissa: about 0.4% per value), sum and write in float32.
 * Outputs and gradients are within 2% of the largest float32 value, and
 * not the float32 bits (the rounding happened); on a CPU oneDNN has no
 * bf16 kernel for, the convolutions stay float32, bit for bit. */
static void bf16_convolutions(void)
{
    two_convs f = build_two_convs(2, 6), h = build_two_convs(2, 6);
    CHECK(ax_graph_set_bf16(h.g, 1) == 2);
    ax_graph_set_training(f.g, 1);
    ax_graph_set_training(h.g, 1);
    CHECK_OK(ax_graph_forward(f.g));
    CHECK_OK(ax_graph_backward(f.g, f.loss, NULL));
    CHECK_OK(ax_graph_forward(h.g));
    CHECK_OK(ax_graph_backward(h.g, h.loss, NULL));
    const int bf16 = strstr(ax_conv2d_onednn_impl(h.y1, 0), "bf16") != NULL;
    if (ax_cpu_has_bf16()) /* where the CPU has them, the kernels use them */
        CHECK(bf16);
    CHECK(ax_conv2d_onednn_impl(h.y1, 0)[0]); /* bf16 or not, on oneDNN (float32 where the CPU has no bf16) */
    if (!bf16)
        printf("  no bf16 convolution kernel on this CPU (oneDNN: '%s'): float32 ran\n", ax_conv2d_onednn_impl(h.y1, 0));
    double d[5];
    two_convs_diff(&h, &f, d);
    for (int i = 0; i < 5; i++) {
        if (bf16 ? d[i] > 2e-2 : d[i] != 0)
            printf("  %s: bf16 differs from float32 by %.3g of its largest value\n", two_conv_parts[i], d[i]);
        CHECK(bf16 ? d[i] <= 2e-2 : d[i] == 0);
        if (bf16 && i < 4) /* the inputs were rounded (db sums dy itself, in float32) */
            CHECK(d[i] > 0);
    }
    ax_graph_free(f.g);
    ax_graph_free(h.g);
}

/* bfloat16 by hand: the float's top 16 bits, rounded to nearest even */
static double to_bf16(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* The matmul op in bf16 (dense layers): x [R, K] against a dense weight
 * w [N, K] (transpose_b) and a plain b [K, N]; x feeds both, so its
 * gradient is added to. Each product, forward and both gradients, is
 * checked against the same product computed in double from the
 * bf16-rounded operands, at the compiled batch and a shorter one; where
 * the CPU has no bf16 kernels the float32 bits must come out. */
typedef struct two_matmuls {
    ax_graph *g;
    ax_node *x, *w, *b, *y1, *y2, *out;
} two_matmuls;

enum { MM_R = 37, MM_K = 50, MM_N = 23 };

static two_matmuls build_two_matmuls(void)
{
    two_matmuls t;
    CHECK_OK(ax_graph_new(&t.g));
    t.x = ax_input(t.g, "x", ax_shape2(MM_R, MM_K));
    ax_node_set_requires_grad(t.x, 1);
    t.w = ax_param(t.g, "w", ax_shape2(MM_N, MM_K));
    t.b = ax_param(t.g, "b", ax_shape2(MM_K, MM_N));
    ax_attr tb[] = {AX_ATTR("transpose_b", 1)};
    ax_node *in1[2] = {t.x, t.w}, *in2[2] = {t.x, t.b};
    t.y1 = ax_apply(t.g, "matmul", in1, 2, tb, 1, NULL);
    t.y2 = ax_apply(t.g, "matmul", in2, 2, NULL, 0, NULL);
    ax_node *parts[2] = {t.y1, t.y2};
    t.out = ax_concat_axis(t.g, parts, 2, 1);
    CHECK_OK(ax_graph_compile(t.g));
    ax_rng rng;
    ax_rng_seed(&rng, 21, 21);
    fill_uniform(t.x, &rng, -1, 1, 0);
    fill_uniform(t.w, &rng, -1, 1, 0);
    fill_uniform(t.b, &rng, -1, 1, 0);
    return t;
}

/* The largest |got - want| over the largest |want| of rows x cols, want
 * given by term(i, j, k) summed over k < inner */
typedef double (*mm_term)(const two_matmuls *t, const float *dy, int64_t i, int64_t j, int64_t k);
static double mm_error(const two_matmuls *t, const float *dy, const float *got, int64_t rows, int64_t cols,
                       int64_t inner, mm_term term, double *scale)
{
    double worst = 0, largest = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double want = 0;
            for (int64_t k = 0; k < inner; k++)
                want += term(t, dy, i, j, k);
            worst = fmax(worst, fabs(got[i * cols + j] - want));
            largest = fmax(largest, fabs(want));
        }
    *scale = largest;
    return worst / largest;
}

/* dy of the two outputs, read from the concatenated seed [R, 2N] */
static double dy1(const float *dy, int64_t r, int64_t n) { return to_bf16(dy[r * 2 * MM_N + n]); }
static double dy2(const float *dy, int64_t r, int64_t n) { return to_bf16(dy[r * 2 * MM_N + MM_N + n]); }
static double xv(const two_matmuls *t, int64_t r, int64_t k) { return to_bf16(ax_node_data(t->x)[r * MM_K + k]); }
static double term_y1(const two_matmuls *t, const float *dy, int64_t r, int64_t n, int64_t k)
{
    (void)dy;
    return xv(t, r, k) * to_bf16(ax_node_data(t->w)[n * MM_K + k]);
}
static double term_y2(const two_matmuls *t, const float *dy, int64_t r, int64_t n, int64_t k)
{
    (void)dy;
    return xv(t, r, k) * to_bf16(ax_node_data(t->b)[k * MM_N + n]);
}
static double term_dx(const two_matmuls *t, const float *dy, int64_t r, int64_t k, int64_t j)
{ /* j < 2N: over both outputs */
    return j < MM_N ? dy1(dy, r, j) * to_bf16(ax_node_data(t->w)[j * MM_K + k])
                    : dy2(dy, r, j - MM_N) * to_bf16(ax_node_data(t->b)[k * MM_N + j - MM_N]);
}
static double term_dw(const two_matmuls *t, const float *dy, int64_t n, int64_t k, int64_t r)
{
    return dy1(dy, r, n) * xv(t, r, k);
}
static double term_db(const two_matmuls *t, const float *dy, int64_t k, int64_t n, int64_t r)
{
    return xv(t, r, k) * dy2(dy, r, n);
}

static void bf16_matmuls(void)
{
    two_matmuls f = build_two_matmuls(), h = build_two_matmuls();
    CHECK(ax_graph_set_bf16(h.g, 1) == 2);
    static float seed[MM_R * 2 * MM_N];
    ax_rng rng;
    ax_rng_seed(&rng, 22, 22);
    for (int i = 0; i < MM_R * 2 * MM_N; i++)
        seed[i] = ax_rng_uniform(&rng) - 0.5f;
    const int64_t batches[2] = {MM_R, 9}; /* the compiled batch and a short last one */
    for (int bi = 0; bi < 2; bi++) {
        const int64_t r = batches[bi];
        CHECK_OK(ax_graph_set_batch(f.g, r));
        CHECK_OK(ax_graph_set_batch(h.g, r));
        CHECK_OK(ax_graph_forward(f.g));
        CHECK_OK(ax_graph_backward(f.g, f.out, seed));
        CHECK_OK(ax_graph_forward(h.g));
        CHECK_OK(ax_graph_backward(h.g, h.out, seed));
        const char *impl = ax_matmul_bf16_impl(h.y1);
        if (ax_cpu_has_bf16()) /* where the CPU has them, the kernels use them */
            CHECK(strstr(impl, "bf16") != NULL && strstr(ax_matmul_bf16_impl(h.y2), "bf16") != NULL);
        if (!impl[0]) { /* no bf16 kernel: the float32 products, bit for bit */
            if (bi == 0)
                printf("  no bf16 matmul kernel on this CPU: float32 ran\n");
            ax_node *fs[5] = {f.y1, f.y2, f.x, f.w, f.b}, *hs[5] = {h.y1, h.y2, h.x, h.w, h.b};
            for (int i = 0; i < 5; i++) {
                const float *a = i < 2 ? ax_node_data(fs[i]) : ax_node_grad(fs[i]);
                const float *b = i < 2 ? ax_node_data(hs[i]) : ax_node_grad(hs[i]);
                const int64_t count = i < 2 ? ax_node_numel(fs[i]) : i == 2 ? r * MM_K : ax_node_numel(fs[i]);
                CHECK(!memcmp(a, b, (size_t)count * sizeof(float)));
            }
            continue;
        }
        double scale;
        const struct {
            const char *name;
            const float *got;
            int64_t rows, cols, inner;
            mm_term term;
        } parts[5] = {{"y = x w^T", ax_node_data(h.y1), r, MM_N, MM_K, term_y1},
                      {"y = x b", ax_node_data(h.y2), r, MM_N, MM_K, term_y2},
                      {"dx (added over both)", ax_node_grad(h.x), r, MM_K, 2 * MM_N, term_dx},
                      {"dw", ax_node_grad(h.w), MM_N, MM_K, r, term_dw},
                      {"db", ax_node_grad(h.b), MM_K, MM_N, r, term_db}};
        for (int i = 0; i < 5; i++) {
            /* float32 sums of bf16 products: a few float32 roundings of the largest value */
            const double e = mm_error(&h, seed, parts[i].got, parts[i].rows, parts[i].cols, parts[i].inner,
                                      parts[i].term, &scale);
            if (e > 1e-5)
                printf("  batch %lld, %s: off the bf16 product by %.3g of its largest value %.3g\n", (long long)r,
                       parts[i].name, e, scale);
            CHECK(e <= 1e-5);
        }
        /* and not the float32 result: the operands were rounded */
        CHECK(memcmp(ax_node_data(f.y1), ax_node_data(h.y1), (size_t)(r * MM_N) * sizeof(float)) != 0);
    }
    ax_graph_free(f.g);
    ax_graph_free(h.g);
}

/* The fused ReLU gives exactly the gradients of conv followed by relu. */
/* ax_fit_config.precision: a small CNN (its convolution on oneDNN) trained
 * in bf16 and in float32 from the same start. Where the CPU has bf16
 * kernels the two differ, by rounding only; where it has none, bf16 runs
 * float32, bit for bit. AX_PRECISION_GRAPH leaves the graph as set. */
static ax_status fit_small_cnn(ax_precision precision, int graph_bf16, float *params, int64_t *n_params,
                               char *impl, size_t impl_len)
{
    enum { N = 48, C = 8, H = 6, W = 6 };
    static float x[N * C * H * W];
    static int32_t y[N];
    ax_rng rng;
    ax_rng_seed(&rng, 11, 11);
    for (int i = 0; i < N * C * H * W; i++)
        x[i] = ax_rng_uniform(&rng) - 0.5f;
    for (int i = 0; i < N; i++)
        y[i] = (int32_t)ax_rng_below(&rng, 3);
    ax_dataset *ds = NULL;
    ax_graph *g = NULL;
    ax_optimizer *opt = NULL;
    ax_status s = ax_dataset_from_floats(x, N, C * H * W, y, 3, NULL, 0, &ds);
    if (s == AX_OK)
        s = ax_graph_new(&g);
    if (s != AX_OK)
        return s;
    ax_node *in = ax_input(g, "x", ax_shape4(8, C, H, W));
    ax_node *h = ax_conv2d_layer(g, in, 8, 3, 3, NULL, "relu", AX_DEFAULT_INIT, &rng, "conv");
    ax_node *logits = ax_dense(g, ax_flatten(g, h), 3, NULL, AX_DEFAULT_INIT, &rng, "out");
    ax_node *label = ax_input(g, "label", ax_shape1(8));
    ax_model m = {.graph = g, .input = in, .target = label, .output = logits,
                  .loss = ax_softmax_cross_entropy(g, logits, label)};
    s = ax_graph_compile(g);
    if (s == AX_OK && graph_bf16)
        ax_graph_set_bf16(g, 1);
    if (s == AX_OK)
        s = ax_optimizer_new("adam", NULL, &opt);
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = 2, fc.verbosity = AX_QUIET, fc.precision = precision;
    if (s == AX_OK)
        s = ax_fit(&m, opt, ds, NULL, &fc, NULL);
    *n_params = 0;
    for (int i = 0; s == AX_OK && i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        memcpy(params + *n_params, ax_node_data(p), (size_t)ax_node_numel(p) * sizeof(float));
        *n_params += ax_node_numel(p);
    }
    snprintf(impl, impl_len, "%s", ax_conv2d_onednn_impl(h, 0));
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(ds);
    return s;
}

static void fit_precision(void)
{
    static float f32[4096], bf16[4096], graph[4096], graph_set[4096];
    int64_t n1, n2, n3, n4;
    char impl_f32[128], impl_bf16[128], impl[128];
    CHECK_OK(fit_small_cnn(AX_PRECISION_F32, 1, f32, &n1, impl_f32, sizeof impl_f32)); /* F32 overrides the graph */
    CHECK_OK(fit_small_cnn(AX_PRECISION_BF16, 0, bf16, &n2, impl_bf16, sizeof impl_bf16));
    CHECK_OK(fit_small_cnn(AX_PRECISION_GRAPH, 0, graph, &n3, impl, sizeof impl));
    CHECK_OK(fit_small_cnn(AX_PRECISION_GRAPH, 1, graph_set, &n4, impl, sizeof impl));
    CHECK(n1 == 8 * 8 * 9 + 8 + 8 * 16 * 3 + 3 && n2 == n1 && n3 == n1 && n4 == n1);
    CHECK(impl_f32[0] && !strstr(impl_f32, "bf16"));
    CHECK(!memcmp(f32, graph, (size_t)n1 * sizeof(float)));
    CHECK(!memcmp(bf16, graph_set, (size_t)n1 * sizeof(float))); /* GRAPH kept ax_graph_set_bf16's setting */
    double worst = 0, scale = 0;
    for (int64_t i = 0; i < n1; i++) {
        worst = fmax(worst, fabs((double)bf16[i] - f32[i]));
        scale = fmax(scale, fabs((double)f32[i]));
    }
    if (ax_cpu_has_bf16()) {
        CHECK(strstr(impl_bf16, "bf16") != NULL);
        CHECK(worst > 0 && worst < 0.05 * scale); /* rounding, not another training run */
    } else {
        printf("  no bf16 kernels on this CPU (oneDNN: '%s'): AX_PRECISION_BF16 trained in float32\n", impl_bf16);
        CHECK(worst == 0);
    }
    float unused[1];
    int64_t nu;
    char iu[8];
    CHECK(fit_small_cnn((ax_precision)7, 0, unused, &nu, iu, sizeof iu) == AX_ERR_INVALID_ARG);
    CHECK(strstr(ax_last_error(), "precision 7") != NULL);
}

/* A NaN in the input stays NaN in the outputs whose windows hold it, on
 * both kernels (im2col's scatter once clamped it to -inf), and the fused
 * ReLU maps it to 0, as max(0, .) does on the other paths. */
static void nan_propagates(void)
{
    for (int kernel = 1; kernel <= 2; kernel++)
        for (int relu = 0; relu < 2; relu++) {
            ax_graph *g;
            CHECK_OK(ax_graph_new(&g));
            ax_node *x = ax_input(g, "x", ax_shape4(1, 8, 5, 5));
            ax_node *w = ax_param(g, "w", ax_shape4(2, 8, 3, 3));
            ax_conv_options o = {.fused_relu = relu};
            ax_node *y = ax_conv2d(g, x, w, &o);
            CHECK_OK(ax_node_hint(y, "kernel", kernel));
            CHECK_OK(ax_graph_compile(g));
            for (int i = 0; i < 200; i++)
                ax_node_data(x)[i] = 0.1f;
            for (int i = 0; i < 144; i++)
                ax_node_data(w)[i] = -0.5f;
            ax_node_data(x)[0] = NAN; /* channel 0, pixel (0, 0): only output (0, 0) sees it */
            CHECK_OK(ax_graph_forward(g));
            for (int c = 0; c < 2; c++) {
                const float *yc = ax_node_data(y) + c * 9;
                CHECK(relu ? yc[0] == 0.0f : isnan(yc[0]));
                CHECK_NEAR(yc[4], relu ? 0.0 : -0.5 * 0.1 * 72, 1e-5); /* a window without it */
            }
            ax_graph_free(g);
        }
}

static void fused_relu_matches_separate_relu(void)
{
    float grads[2][3][400];
    for (int fused = 0; fused < 2; fused++) {
        ax_graph *g;
        ax_rng rng;
        ax_rng_seed(&rng, 6, 6);
        CHECK_OK(ax_graph_new(&g));
        ax_node *x = ax_input(g, "x", ax_shape4(3, 2, 6, 5));
        ax_node_set_requires_grad(x, 1);
        ax_node *w = ax_param(g, "w", ax_shape4(4, 2, 3, 3)), *b = ax_param(g, "b", ax_shape1(4));
        ax_conv_options o = {.pad_mode = AX_PAD_SAME, .fused_relu = fused};
        ax_node *y = ax_conv2d_bias(g, x, w, b, &o);
        if (!fused)
            y = ax_relu(g, y);
        CHECK_OK(ax_graph_compile(g));
        fill_uniform(x, &rng, -1, 1, 0);
        fill_uniform(w, &rng, -1, 1, 0);
        fill_uniform(b, &rng, -0.5f, 0.5f, 0);
        float seed[360];
        for (int i = 0; i < 360; i++)
            seed[i] = ax_rng_uniform(&rng) - 0.5f;
        CHECK_OK(ax_graph_forward(g));
        CHECK_OK(ax_graph_backward(g, y, seed));
        memcpy(grads[fused][0], ax_node_grad(x), 180 * sizeof(float));
        memcpy(grads[fused][1], ax_node_grad(w), 72 * sizeof(float));
        memcpy(grads[fused][2], ax_node_grad(b), 4 * sizeof(float));
        ax_graph_free(g);
    }
    int bad = 0;
    const int sizes[3] = {180, 72, 4};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < sizes[k]; i++)
            bad += fabsf(grads[0][k][i] - grads[1][k][i]) > 1e-6f * (1 + fabsf(grads[0][k][i]));
    CHECK(bad == 0);
}

static void conv_by_hand(void)
{
    /* one 3x3 image, a 2x2 kernel of ones: sums of 2x2 blocks */
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(1, 1, 3, 3));
    ax_node *w = ax_param(g, "w", ax_shape4(1, 1, 2, 2));
    ax_node *y = ax_conv2d(g, x, w, NULL);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 9; i++)
        ax_node_data(x)[i] = (float)(i + 1);
    for (int i = 0; i < 4; i++)
        ax_node_data(w)[i] = 1;
    CHECK_OK(ax_graph_forward(g));
    const float want[4] = {12, 16, 24, 28};
    for (int i = 0; i < 4; i++)
        CHECK(ax_node_data(y)[i] == want[i]);
    ax_graph_free(g);
    /* shape errors */
    ax_graph_new(&g);
    x = ax_input(g, "x", ax_shape4(1, 3, 5, 5));
    w = ax_param(g, "w", ax_shape4(4, 2, 3, 3));
    CHECK(ax_conv2d(g, x, w, NULL) == NULL);
    CHECK(strstr(ax_last_error(), "channels do not fit the groups") != NULL);
    ax_graph_free(g);
    ax_graph_new(&g);
    x = ax_input(g, "x", ax_shape4(1, 1, 2, 2));
    w = ax_param(g, "w", ax_shape4(1, 1, 3, 3));
    CHECK(ax_conv2d(g, x, w, NULL) == NULL);
    CHECK(strstr(ax_last_error(), "does not fit") != NULL);
    ax_graph_free(g);
}

/* The 2x2 / stride-2 max pooling fast paths against a direct loop: maps
 * of odd and even sizes, rows shorter and longer than a vector, the first
 * gradient (written in place, the uncovered row and column zeroed) and an
 * added one (x read by two poolings); padding on the bottom and right
 * (ONNX's pads, ceil mode) must clip the last window, not read past the
 * map (ASan would catch that). */
static void two_by_two_pooling(ax_rng *rng)
{
    /* the W-CNN's maps, odd sizes, more rows than the kernel's blocks
     * hold (100 x 30) and a row longer than one block (3 x 1201) */
    const int sizes[][2] = {{7, 5}, {6, 6}, {9, 21}, {26, 26}, {11, 11}, {100, 30}, {3, 1201}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++)
        for (int padded = 0; padded < 2; padded++) {
            const int h = sizes[t][0], w = sizes[t][1], pb = padded, pr = padded;
            const int oh = (h + pb - 2) / 2 + 1, ow = (w + pr - 2) / 2 + 1;
            ax_graph *g;
            CHECK_OK(ax_graph_new(&g));
            ax_node *x = ax_input(g, "x", ax_shape4(2, 3, h, w));
            ax_node_set_requires_grad(x, 1);
            ax_attr at[] = {AX_ATTR("kernel_h", 2), AX_ATTR("kernel_w", 2), AX_ATTR("stride_h", 2),
                            AX_ATTR("stride_w", 2), AX_ATTR("pad_top", 0), AX_ATTR("pad_bottom", pb),
                            AX_ATTR("pad_left", 0), AX_ATTR("pad_right", pr)};
            ax_node *y = ax_apply(g, "max_pool2d", &x, 1, at, 8, NULL);
            ax_node *y2 = ax_max_pool2d(g, x, 2, 2, 0, 0, 0, 0);
            ax_node *parts[2] = {ax_flatten(g, y), ax_flatten(g, y2)};
            ax_node *both = ax_concat_axis(g, parts, 2, 1);
            CHECK_OK(ax_graph_compile(g));
            CHECK(ax_node_shape(y).dim[2] == oh && ax_node_shape(y).dim[3] == ow);
            const int64_t nx = ax_node_numel(x);
            /* unpadded: ties (three values, as after a ReLU's zeros),
             * which the first in row-major order wins */
            for (int64_t i = 0; i < nx; i++)
                ax_node_data(x)[i] = padded ? ax_rng_uniform(rng) - 0.5f : (float)(int)(ax_rng_uniform(rng) * 3);
            CHECK_OK(ax_graph_forward(g));
            static float seed[2 * 3 * 150 * 150 * 2];
            const int64_t n1 = 3 * oh * ow, n2 = 3 * (h / 2) * (w / 2);
            for (int k = 0; k < 2; k++)
                for (int64_t i = 0; i < n1 + n2; i++)
                    seed[k * (n1 + n2) + i] = i < n1 ? 1.0f : 3.0f;
            CHECK_OK(ax_graph_backward(g, both, seed));
            /* direct: each window clipped to the map; its first largest
             * element gets 1 from y, and 3 from y2 where y2's window exists */
            static float want[2 * 3 * 150 * 150];
            memset(want, 0, sizeof want);
            int bad = 0;
            for (int p = 0; p < 6; p++)
                for (int r = 0; r < oh; r++)
                    for (int c = 0; c < ow; c++) {
                        int best = -1;
                        for (int i = 2 * r; i < 2 * r + 2 && i < h; i++)
                            for (int j = 2 * c; j < 2 * c + 2 && j < w; j++)
                                if (best < 0 || ax_node_data(x)[p * h * w + i * w + j] > ax_node_data(x)[best])
                                    best = p * h * w + i * w + j;
                        bad += ax_node_data(y)[(p * oh + r) * ow + c] != ax_node_data(x)[best];
                        want[best] += 1.0f;
                        if (r < h / 2 && c < w / 2) {
                            bad += ax_node_data(y2)[(p * (h / 2) + r) * (w / 2) + c] != ax_node_data(x)[best];
                            want[best] += 3.0f;
                        }
                    }
            for (int64_t i = 0; i < nx; i++)
                bad += ax_node_grad(x)[i] != want[i];
            CHECK(bad == 0);
            ax_graph_free(g);
        }
}

static void pooling(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(1, 1, 4, 4));
    ax_node_set_requires_grad(x, 1);
    ax_node *mp = ax_max_pool2d(g, x, 2, 2, 0, 0, 0, 0);
    ax_node *ap = ax_avg_pool2d(g, x, 3, 3, 2, 2, 1, 1, 1);
    ax_node *ap2 = ax_avg_pool2d(g, x, 3, 3, 2, 2, 1, 1, 0);
    ax_node *gp = ax_global_avg_pool(g, x);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 16; i++)
        ax_node_data(x)[i] = (float)((i * 7) % 16); /* 0 7 14 5 / 12 3 10 1 / 8 15 6 13 / 4 11 2 9 */
    CHECK_OK(ax_graph_forward(g));
    const float mp_want[4] = {12, 14, 15, 13};
    for (int i = 0; i < 4; i++)
        CHECK(ax_node_data(mp)[i] == mp_want[i]);
    /* the top-left 3x3 window with padding 1 covers x[0..1][0..1] = 0 + 7 + 12 + 3 = 22 */
    CHECK_NEAR(ax_node_data(ap)[0], 22.0 / 9, 1e-6);
    CHECK_NEAR(ax_node_data(ap2)[0], 22.0 / 4, 1e-6);
    CHECK_NEAR(ax_node_data(gp)[0], 7.5, 1e-6);
    CHECK(ax_node_shape(gp).ndim == 2);
    /* max pooling routes the gradient to the winner */
    CHECK_OK(ax_graph_backward(g, mp, (float[]){1, 2, 3, 4}));
    CHECK(ax_node_grad(x)[4] == 1 && ax_node_grad(x)[2] == 2 && ax_node_grad(x)[9] == 3 && ax_node_grad(x)[11] == 4);
    CHECK(ax_node_grad(x)[0] == 0);
    ax_graph_free(g);
    /* a NaN wins its window (as in PyTorch), the first one where there are two */
    ax_graph_new(&g);
    x = ax_input(g, "x", ax_shape4(1, 1, 2, 4));
    ax_node_set_requires_grad(x, 1);
    mp = ax_max_pool2d(g, x, 2, 2, 0, 0, 0, 0);
    CHECK_OK(ax_graph_compile(g));
    const float with_nan[8] = {1, NAN, 5, 2, NAN, 3, 4, NAN};
    memcpy(ax_node_data(x), with_nan, sizeof with_nan);
    CHECK_OK(ax_graph_forward(g));
    CHECK(isnan(ax_node_data(mp)[0]) && isnan(ax_node_data(mp)[1]));
    CHECK_OK(ax_graph_backward(g, mp, (float[]){1, 2}));
    for (int i = 0; i < 8; i++)
        CHECK(ax_node_grad(x)[i] == (i == 1 ? 1.0f : i == 7 ? 2.0f : 0.0f));
    ax_graph_free(g);
    /* gradients on odd shapes, strides and padding */
    ax_rng rng;
    ax_rng_seed(&rng, 8, 8);
    for (int k = 0; k < 4; k++) {
        ax_graph_new(&g);
        x = ax_input(g, "x", ax_shape4(2, 3, 7, 5));
        ax_node_set_requires_grad(x, 1);
        ax_node *y = k == 0 ? ax_max_pool2d(g, x, 3, 2, 2, 1, 1, 1)
                   : k == 1 ? ax_avg_pool2d(g, x, 3, 3, 2, 2, 1, 1, 1)
                   : k == 2 ? ax_avg_pool2d(g, x, 2, 3, 1, 2, 1, 1, 0)
                            : ax_global_avg_pool(g, x);
        CHECK_OK(ax_graph_compile(g));
        /* distinct values 0.01 apart, shuffled: no near-ties for max pooling
         * to flip between when the checker nudges a value */
        uint32_t perm[210];
        for (uint32_t i = 0; i < 210; i++)
            perm[i] = i;
        ax_rng_shuffle(&rng, perm, 210);
        for (int i = 0; i < 210; i++)
            ax_node_data(x)[i] = 0.01f * (float)perm[i] - 1.0f;
        CHECK(gradcheck(g, y, 60) == 0);
        ax_graph_free(g);
    }
    two_by_two_pooling(&rng);
}

static void batch_norm_train_and_eval(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(3, 2, 2, 2));
    ax_node_set_requires_grad(x, 1);
    ax_node *y = ax_batch_norm_layer(g, x, 0.1f, 1e-5f, "bn");
    ax_node *gamma = ax_graph_find(g, "bn.weight"), *beta = ax_graph_find(g, "bn.bias");
    ax_node *rm = ax_graph_find(g, "bn.running_mean"), *rv = ax_graph_find(g, "bn.running_var");
    CHECK(gamma && beta && rm && rv && ax_node_is_buffer(rm) && !ax_node_is_buffer(gamma));
    CHECK_OK(ax_graph_compile(g));
    CHECK(ax_node_grad(rm) == NULL && ax_node_grad(gamma) != NULL);
    ax_rng rng;
    ax_rng_seed(&rng, 2, 2);
    fill_uniform(x, &rng, -2, 3, 0);
    ax_node_data(gamma)[1] = 2.0f;
    ax_node_data(beta)[1] = -1.0f;
    CHECK_OK(ax_graph_forward(g));
    /* by the formula, channel by channel */
    for (int c = 0; c < 2; c++) {
        double m = 0, v = 0;
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 4; i++)
                m += ax_node_data(x)[(n * 2 + c) * 4 + i] / 12.0;
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 4; i++) {
                double d = ax_node_data(x)[(n * 2 + c) * 4 + i] - m;
                v += d * d / 12.0;
            }
        for (int n = 0; n < 3; n++)
            for (int i = 0; i < 4; i++) {
                int k = (n * 2 + c) * 4 + i;
                double want = ax_node_data(gamma)[c] * (ax_node_data(x)[k] - m) / sqrt(v + 1e-5) + ax_node_data(beta)[c];
                CHECK_NEAR(ax_node_data(y)[k], want, 1e-5);
            }
        CHECK_NEAR(ax_node_data(rm)[c], 0.1 * m, 1e-6);
        CHECK_NEAR(ax_node_data(rv)[c], 0.9 + 0.1 * v * 12 / 11, 1e-5);
    }
    CHECK(gradcheck(g, y, 30) == 0);
    /* eval: the running statistics, and a gradient through them as constants */
    ax_graph_set_training(g, 0);
    ax_node_data(rm)[0] = 0.5f, ax_node_data(rv)[0] = 4.0f;
    CHECK_OK(ax_graph_forward(g));
    CHECK_NEAR(ax_node_data(y)[0], (ax_node_data(x)[0] - 0.5) / sqrt(4.0 + 1e-5), 1e-6);
    CHECK(gradcheck(g, y, 30) == 0);
    ax_graph_free(g);
    /* dense [N, C] too; a batch of one is refused in training */
    ax_graph_new(&g);
    x = ax_input(g, "x", ax_shape2(4, 3));
    ax_node_set_requires_grad(x, 1);
    y = ax_batch_norm_layer(g, x, 0, 0, "bn");
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -1, 1, 0);
    CHECK(gradcheck(g, y, 30) == 0);
    CHECK_OK(ax_graph_set_batch(g, 1));
    CHECK_ERR(ax_graph_forward(g), AX_ERR_INVALID_ARG, "more than one value per channel");
    ax_graph_free(g);
}

static void dropout_is_inverted_and_seeded(void)
{
    float first[4000];
    for (int run = 0; run < 2; run++) {
        ax_graph *g;
        ax_graph_new(&g);
        ax_graph_seed(g, 99);
        ax_node *x = ax_input(g, "x", ax_shape2(2, 2000));
        ax_node_set_requires_grad(x, 1);
        ax_node *y = ax_dropout(g, x, 0.3f);
        CHECK_OK(ax_graph_compile(g));
        for (int i = 0; i < 4000; i++)
            ax_node_data(x)[i] = 1.0f;
        CHECK_OK(ax_graph_forward(g));
        int zeros = 0, same = 1;
        double mean = 0;
        for (int i = 0; i < 4000; i++) {
            float v = ax_node_data(y)[i];
            zeros += v == 0.0f;
            CHECK(v == 0.0f || fabsf(v - 1.0f / 0.7f) < 1e-6f);
            mean += v / 4000;
            if (run)
                same &= v == first[i];
            else
                first[i] = v;
        }
        CHECK(zeros > 1100 && zeros < 1300); /* about 30% */
        CHECK_NEAR(mean, 1.0, 0.05);         /* the expectation is kept */
        CHECK(same);                         /* the same seed, the same mask */
        /* the gradient uses the same mask */
        CHECK_OK(ax_graph_backward(g, y, first));
        for (int i = 0; i < 4000; i++)
            CHECK(ax_node_grad(x)[i] == first[i] * ax_node_data(y)[i]);
        ax_graph_set_training(g, 0);
        CHECK_OK(ax_graph_forward(g));
        CHECK(ax_node_data(y)[17] == 1.0f && ax_node_data(y)[3999] == 1.0f);
        ax_graph_free(g);
    }
    /* spatial: whole maps */
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(4, 8, 3, 3));
    ax_node *y = ax_spatial_dropout(g, x, 0.5f);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 4 * 8 * 9; i++)
        ax_node_data(x)[i] = 1.0f;
    CHECK_OK(ax_graph_forward(g));
    int dropped = 0;
    for (int m = 0; m < 32; m++) {
        float v = ax_node_data(y)[m * 9];
        for (int i = 1; i < 9; i++)
            CHECK(ax_node_data(y)[m * 9 + i] == v);
        dropped += v == 0.0f;
    }
    CHECK(dropped > 5 && dropped < 27);
    ax_graph_free(g);
}

static void concat_along_channels(void)
{
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *a = ax_input(g, "a", ax_shape4(2, 1, 2, 2)), *b = ax_input(g, "b", ax_shape4(2, 2, 2, 2));
    ax_node_set_requires_grad(a, 1);
    ax_node_set_requires_grad(b, 1);
    ax_node *y = ax_concat(g, (ax_node *[]){a, b}, 2);
    CHECK(ax_node_shape(y).dim[1] == 3);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 8; i++)
        ax_node_data(a)[i] = (float)i;
    for (int i = 0; i < 16; i++)
        ax_node_data(b)[i] = 100.0f + (float)i;
    CHECK_OK(ax_graph_forward(g));
    /* sample 1: a's map (4..7), then b's two maps (108..115) */
    CHECK(ax_node_data(y)[12] == 4 && ax_node_data(y)[16] == 108 && ax_node_data(y)[23] == 115);
    CHECK(gradcheck(g, y, 40) == 0);
    ax_node *c = ax_input(g, "c", ax_shape4(2, 1, 3, 2));
    ax_graph_free(g);
    ax_graph_new(&g);
    a = ax_input(g, "a", ax_shape4(2, 1, 2, 2));
    c = ax_input(g, "c", ax_shape4(2, 1, 3, 2));
    CHECK(ax_concat(g, (ax_node *[]){a, c}, 2) == NULL);
    CHECK(strstr(ax_last_error(), "does not match input 0") != NULL);
    ax_graph_free(g);
}

static void residual_block_trains_through_both_paths(void)
{
    /* x -> conv-bn-act-conv-bn (+ x) -> act: gradients reach every parameter
     * (tanh for the activation: the checker's nudges would cross ReLU's kink) */
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 5, 5);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape4(3, 2, 5, 5));
    ax_node_set_requires_grad(x, 1);
    ax_conv_options same = {.pad_mode = AX_PAD_SAME, .no_bias = 1};
    ax_node *h = ax_conv2d_layer(g, x, 2, 3, 3, &same, NULL, AX_DEFAULT_INIT, &rng, "c1");
    h = ax_tanh(g, ax_batch_norm_layer(g, h, 0, 0, "b1"));
    h = ax_conv2d_layer(g, h, 2, 3, 3, &same, NULL, AX_DEFAULT_INIT, &rng, "c2");
    h = ax_batch_norm_layer(g, h, 0, 0, "b2");
    ax_node *y = ax_unary(g, "tanh", ax_add(g, h, x));
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -1, 1, 0);
    CHECK(gradcheck(g, y, 25) == 0);
    ax_graph_free(g);
}

TEST_MAIN(T(conv_forward_and_gradients), T(onednn_and_im2col_agree), T(onednn_backward_reuses_only_its_own_copies), T(conv_pool_pair_matches_apart), T(bf16_convolutions), T(bf16_matmuls), T(fit_precision), T(fused_relu_matches_separate_relu), T(nan_propagates), T(conv_by_hand), T(pooling), T(batch_norm_train_and_eval),
          T(dropout_is_inverted_and_seeded), T(concat_along_channels),
          T(residual_block_trains_through_both_paths))
