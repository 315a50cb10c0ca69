/* int8 quantization (src/quant): the requantization arithmetic by hand,
 * each integer kernel against a direct sum written here, a quantized
 * model against its float original, saving and loading, and the errors
 * of bad files and of ops without an integer form. The bit-exact check of
 * the kernels against an independent numpy reference and the run on an
 * emulated Cortex-M4 are tests/mcu/deploy.sh (ctests mcu_*). */
#include "test.h"
#include "quant/qmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t clampi(int64_t v, int32_t lo, int32_t hi) { return (int32_t)(v < lo ? lo : v > hi ? hi : v); }

/* round(x M) with halves up, M = mult 2^(shift - 31), in double: exact for these sizes */
static int64_t requant_ref(int64_t x, int32_t mult, int32_t shift)
{
    return (int64_t)floor((double)x * mult * ldexp(1.0, shift - 31) + 0.5);
}

static void requantize_rounds_halves_up(void)
{
    const int32_t half = 1 << 30; /* with shift 0: M = 0.5 */
    CHECK(axq_requantize(100, half, 0) == 50);
    CHECK(axq_requantize(3, half, 0) == 2);   /* 1.5 -> 2 */
    CHECK(axq_requantize(-3, half, 0) == -1); /* -1.5 -> -1 */
    CHECK(axq_requantize(-5, half, 0) == -2); /* -2.5 -> -2 */
    CHECK(axq_requantize(7, half, 2) == 14);  /* M = 2 */
    CHECK(axq_requantize(INT32_MAX, INT32_MAX, 30) == INT32_MAX); /* clamped */
    CHECK(axq_requantize(INT32_MIN, INT32_MAX, 30) == INT32_MIN);
    ax_rng r;
    ax_rng_seed(&r, 3, 1);
    for (int i = 0; i < 2000; i++) {
        const int32_t x = (int32_t)(ax_rng_uniform(&r) * 2e6 - 1e6);
        const int32_t m = (1 << 30) + (int32_t)(ax_rng_uniform(&r) * (double)(1 << 30));
        const int32_t sh = -(int32_t)(ax_rng_uniform(&r) * 20);
        CHECK(axq_requantize(x, m, sh) == requant_ref(x, m, sh));
    }
}

static void multipliers_stand_for_their_factor(void)
{
    int32_t m, s;
    CHECK_OK(axq_multiplier(1.0, &m, &s, "t"));
    CHECK(m == 1 << 30 && s == 1);
    CHECK_OK(axq_multiplier(0.5, &m, &s, "t"));
    CHECK(m == 1 << 30 && s == 0);
    CHECK_OK(axq_multiplier(0.75, &m, &s, "t"));
    CHECK(m == 3 << 29 && s == 0);
    CHECK_OK(axq_multiplier(1e-12, &m, &s, "t")); /* below 2^-32: nothing survives */
    CHECK(m == 0);
    CHECK_ERR(axq_multiplier(ldexp(1, 31), &m, &s, "layer 'x'"), AX_ERR_NUMERIC, "layer 'x': rescaling factor");
    CHECK_ERR(axq_multiplier(NAN, &m, &s, "t"), AX_ERR_NUMERIC, "not a finite");
    for (double real = 1e-9; real < 1e6; real *= 1.37) {
        CHECK_OK(axq_multiplier(real, &m, &s, "t"));
        CHECK(m >= 1 << 30);
        CHECK(fabs(m * ldexp(1.0, s - 31) - real) <= real * ldexp(1.0, -31));
    }
}

static void dense_kernel_by_hand(void)
{
    const int8_t w[6] = {1, -2, 3, 4, 5, -6}, x[3] = {10, -20, 30};
    const int32_t b[2] = {100, -7}, mult[2] = {1 << 30, 1 << 30}, shift[2] = {0, -1}; /* M 0.5 and 0.25 */
    const axq_dense p = {.in = 3, .out = 2, .in_zp = -10, .out_zp = 5, .act_min = -128, .act_max = 127,
                         .weight = w, .bias = b, .mult = mult, .shift = shift};
    int8_t y[2];
    axq_dense_run(&p, x, y);
    /* x - zp = 20, -10, 40: row 0: 20 + 20 + 120 + 100 = 260 -> 130 + 5 clamps to 127; row 1: 80 - 50 - 240 - 7 =
     * -217 -> -54.25 -> -54 + 5 = -49 */
    CHECK(y[0] == 127);
    CHECK(y[1] == -49);
    const axq_dense relu = {.in = 3, .out = 2, .in_zp = -10, .out_zp = 5, .act_min = 5, .act_max = 127,
                            .weight = w, .bias = b, .mult = mult, .shift = shift};
    axq_dense_run(&relu, x, y);
    CHECK(y[1] == 5); /* clamped at the code of 0 */
}

static void fill(int8_t *v, int64_t n, ax_rng *r)
{
    for (int64_t i = 0; i < n; i++)
        v[i] = (int8_t)(int)(ax_rng_uniform(r) * 256 - 128);
}

/* Convolution as a sum over input positions, padding made explicit: */
static void conv_ref(const axq_conv *p, const int8_t *x, int8_t *y)
{
    const int cg = p->c_in / p->groups, og = p->c_out / p->groups;
    for (int o = 0; o < p->c_out; o++)
        for (int oy = 0; oy < p->h_out; oy++)
            for (int ox = 0; ox < p->w_out; ox++) {
                int64_t acc = p->bias[o];
                for (int c = 0; c < cg; c++)
                    for (int ky = 0; ky < p->kh; ky++)
                        for (int kx = 0; kx < p->kw; kx++) {
                            const int iy = oy * p->stride_h + ky * p->dilation_h - p->pad_top;
                            const int ix = ox * p->stride_w + kx * p->dilation_w - p->pad_left;
                            const int ch = (o / og) * cg + c;
                            const int v = iy < 0 || ix < 0 || iy >= p->h_in || ix >= p->w_in
                                              ? p->in_zp
                                              : x[(ch * p->h_in + iy) * p->w_in + ix];
                            acc += (int64_t)(v - p->in_zp) * p->weight[((o * cg + c) * p->kh + ky) * p->kw + kx];
                        }
                y[(o * p->h_out + oy) * p->w_out + ox] =
                    (int8_t)clampi(requant_ref(acc, p->mult[o], p->shift[o]) + p->out_zp, p->act_min, p->act_max);
            }
}

static void conv_kernel_matches_a_direct_sum(void)
{
    /* c_in h w c_out kh kw stride_h stride_w pad_t pad_l dil_h dil_w groups pad_b pad_r */
    static const int geo[][15] = {{1, 9, 9, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0}, {4, 8, 7, 6, 3, 2, 2, 1, 1, 1, 1, 2, 2, 1, 0},
                                  {3, 10, 11, 3, 3, 3, 2, 3, 2, 1, 2, 1, 3, 1, 2}, {2, 5, 90, 4, 1, 5, 1, 2, 0, 2, 1, 1, 1, 0, 2},
                                  {8, 6, 6, 4, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1}};
    ax_rng r;
    ax_rng_seed(&r, 5, 1);
    for (size_t k = 0; k < sizeof geo / sizeof geo[0]; k++) {
        const int *g = geo[k];
        axq_conv p = {.c_in = g[0], .h_in = g[1], .w_in = g[2], .c_out = g[3], .kh = g[4], .kw = g[5],
                      .stride_h = g[6], .stride_w = g[7], .pad_top = g[8], .pad_left = g[9], .dilation_h = g[10],
                      .dilation_w = g[11], .groups = g[12], .in_zp = -3, .out_zp = 7, .act_min = -128, .act_max = 127};
        p.h_out = (p.h_in + g[8] + g[13] - p.dilation_h * (p.kh - 1) - 1) / p.stride_h + 1;
        p.w_out = (p.w_in + g[9] + g[14] - p.dilation_w * (p.kw - 1) - 1) / p.stride_w + 1;
        const int64_t nw = (int64_t)p.c_out * (p.c_in / p.groups) * p.kh * p.kw;
        const int64_t nx = (int64_t)p.c_in * p.h_in * p.w_in, ny = (int64_t)p.c_out * p.h_out * p.w_out;
        int8_t *w = malloc((size_t)nw), *x = malloc((size_t)nx), *y = malloc((size_t)ny), *yr = malloc((size_t)ny);
        int32_t b[16], m[16], s[16];
        fill(w, nw, &r);
        fill(x, nx, &r);
        for (int o = 0; o < p.c_out; o++) {
            b[o] = (int32_t)(ax_rng_uniform(&r) * 2000 - 1000);
            m[o] = (1 << 30) + (int32_t)(ax_rng_uniform(&r) * (1 << 29));
            s[o] = -8 - o % 3;
        }
        p.weight = w, p.bias = b, p.mult = m, p.shift = s;
        axq_conv_run(&p, x, y);
        conv_ref(&p, x, yr);
        CHECK(!memcmp(y, yr, (size_t)ny));
        p.act_min = p.out_zp; /* a fused ReLU */
        axq_conv_run(&p, x, y);
        conv_ref(&p, x, yr);
        CHECK(!memcmp(y, yr, (size_t)ny));
        free(w), free(x), free(y), free(yr);
    }
}

static void pool_ref(const axq_pool *p, const int8_t *x, int8_t *y, int max)
{
    for (int c = 0; c < p->c; c++)
        for (int oy = 0; oy < p->h_out; oy++)
            for (int ox = 0; ox < p->w_out; ox++) {
                int best = -1000, sum = 0, n = 0;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int iy = oy * p->stride_h + ky - p->pad_top, ix = ox * p->stride_w + kx - p->pad_left;
                        if (iy < 0 || ix < 0 || iy >= p->h_in || ix >= p->w_in) {
                            sum += p->count_include_pad ? p->zp : 0;
                            n += p->count_include_pad;
                            continue;
                        }
                        const int v = x[(c * p->h_in + iy) * p->w_in + ix];
                        best = v > best ? v : best;
                        sum += v;
                        n++;
                    }
                const double mean = (double)sum / n; /* halves away from zero */
                y[(c * p->h_out + oy) * p->w_out + ox] =
                    (int8_t)(max ? best : clampi((int64_t)(mean < 0 ? -floor(-mean + 0.5) : floor(mean + 0.5)), -128, 127));
            }
}

static void pool_kernels_match_direct_sums(void)
{
    ax_rng r;
    ax_rng_seed(&r, 6, 1);
    int8_t x[3 * 9 * 8], y[512], yr[512];
    fill(x, sizeof x, &r);
    for (int include = 0; include < 2; include++)
        for (int k = 2; k <= 3; k++) {
            axq_pool p = {.c = 3, .h_in = 9, .w_in = 8, .kh = k, .kw = k, .stride_h = 2, .stride_w = 1,
                          .pad_top = 1, .pad_left = k - 1, .count_include_pad = include, .zp = -20};
            p.h_out = (9 + 2 - k) / 2 + 1;
            p.w_out = (8 + 2 * (k - 1) - k) / 1 + 1;
            axq_max_pool_run(&p, x, y);
            pool_ref(&p, x, yr, 1);
            CHECK(!memcmp(y, yr, (size_t)(3 * p.h_out * p.w_out)));
            axq_avg_pool_run(&p, x, y);
            pool_ref(&p, x, yr, 0);
            CHECK(!memcmp(y, yr, (size_t)(3 * p.h_out * p.w_out)));
        }
}

static void add_softmax_and_tables_follow_their_formulas(void)
{
    /* add: real a = 0.02 (qa + 5), b = 0.05 (qb - 3), out = 0.06 (q - 10) */
    axq_add p = {.n = 256, .left_shift = 20, .a_zp = -5, .b_zp = 3, .out_zp = 10, .act_min = -128, .act_max = 127};
    const double sa = 0.02, sb = 0.05, so = 0.06, twice = 2 * 0.05;
    CHECK_OK(axq_multiplier(sa / twice, &p.a_mult, &p.a_shift, "a"));
    CHECK_OK(axq_multiplier(sb / twice, &p.b_mult, &p.b_shift, "b"));
    CHECK_OK(axq_multiplier(twice / (ldexp(1, 20) * so), &p.out_mult, &p.out_shift, "out"));
    int8_t a[256], b[256], y[256];
    for (int i = 0; i < 256; i++)
        a[i] = (int8_t)(i - 128), b[i] = (int8_t)(127 - (i * 7) % 256);
    axq_add_run(&p, a, b, y);
    for (int i = 0; i < 256; i++) {
        const double real = sa * (a[i] + 5) + sb * (b[i] - 3);
        const long want = clampi(lround(real / so) + 10, -128, 127);
        CHECK(labs(y[i] - want) <= 1);
    }
    /* softmax: table of exp(-d s) 2^16; output scale 1/256, zero point -128 */
    int32_t table[256];
    const double s = 0.1;
    for (int d = 0; d < 256; d++)
        table[d] = (int32_t)lround(exp(-d * s) * 65536);
    const axq_softmax sm = {.rows = 2, .classes = 5, .table = table};
    const int8_t x[10] = {10, 20, -30, 20, 0, -128, 127, 0, 0, 5};
    int8_t out[10];
    axq_softmax_run(&sm, x, out);
    for (int row = 0; row < 2; row++) {
        double z = 0, e[5];
        for (int k = 0; k < 5; k++)
            z += (e[k] = exp(s * x[row * 5 + k]));
        for (int k = 0; k < 5; k++)
            CHECK(labs(out[row * 5 + k] - clampi(lround(e[k] / z * 256) - 128, -128, 127)) <= 1);
    }
    int8_t t8[256], v[3] = {-128, 0, 127}, vo[3];
    for (int i = 0; i < 256; i++)
        t8[i] = (int8_t)(255 - i - 128);
    const axq_lut lut = {.n = 3, .table = t8};
    axq_lut_run(&lut, v, vo);
    CHECK(vo[0] == 127 && vo[1] == -1 && vo[2] == -128);
}

/* A small CNN with every kind the quantizer folds or maps: conv + batch
 * norm + ReLU, a grouped strided conv with fused ReLU, a residual add +
 * ReLU, average pooling, leaky ReLU, flatten, dense + ReLU, dropout, dense. */
typedef struct net {
    ax_graph *g;
    ax_model m;
} net;

static net small_cnn(int64_t batch)
{
    net n = {0};
    ax_rng r;
    ax_rng_seed(&r, 7, 1);
    CHECK_OK(ax_graph_new(&n.g));
    ax_graph *g = n.g;
    ax_node *x = ax_input(g, "image", (ax_shape){4, {batch, 2, 8, 8}});
    const ax_conv_options same = {.pad_h = 1, .pad_w = 1};
    ax_node *c1 = ax_conv2d_layer(g, x, 4, 3, 3, &same, NULL, AX_DEFAULT_INIT, &r, "c1");
    ax_node *h = ax_relu(g, ax_batch_norm_layer(g, c1, 0.1f, 1e-5f, "bn"));
    const ax_conv_options grouped = {.pad_h = 1, .pad_w = 1, .groups = 2};
    ax_node *c2 = ax_conv2d_layer(g, h, 4, 3, 3, &grouped, "relu", AX_DEFAULT_INIT, &r, "c2");
    ax_node *res = ax_relu(g, ax_add(g, h, c2));
    const ax_conv_options strided = {.stride_h = 2, .stride_w = 2, .dil_h = 1};
    ax_node *c3 = ax_conv2d_layer(g, res, 6, 2, 2, &strided, NULL, AX_DEFAULT_INIT, &r, "c3");
    ax_node *p = ax_leaky_relu(g, ax_avg_pool2d(g, c3, 2, 2, 1, 1, 0, 0, 1), 0.1f);
    ax_node *f = ax_dense(g, ax_flatten(g, p), 12, "relu", AX_DEFAULT_INIT, &r, "fc1");
    ax_node *y = ax_dense(g, ax_dropout(g, f, 0.3f), 5, NULL, AX_DEFAULT_INIT, &r, "fc2");
    CHECK_OK(ax_graph_compile(g));
    /* batch norm's statistics as after training: not the identity */
    const float mean[4] = {0.1f, -0.2f, 0.3f, 0.05f}, var[4] = {0.5f, 2.0f, 1.5f, 0.8f};
    const float gamma[4] = {1.2f, 0.7f, 1.0f, 1.5f}, beta[4] = {0.1f, 0.2f, -0.1f, 0.0f};
    CHECK_OK(ax_node_write(ax_graph_find(g, "bn.running_mean"), mean, 4));
    CHECK_OK(ax_node_write(ax_graph_find(g, "bn.running_var"), var, 4));
    CHECK_OK(ax_node_write(ax_graph_find(g, "bn.weight"), gamma, 4));
    CHECK_OK(ax_node_write(ax_graph_find(g, "bn.bias"), beta, 4));
    n.m = (ax_model){.graph = g, .input = x, .output = y};
    return n;
}

static ax_dataset *random_images(int64_t n, uint64_t seed)
{
    ax_rng r;
    ax_rng_seed(&r, seed, 2);
    float *x = malloc((size_t)n * 128 * sizeof *x);
    int32_t *labels = malloc((size_t)n * sizeof *labels);
    for (int64_t i = 0; i < n * 128; i++)
        x[i] = (float)ax_rng_uniform(&r);
    for (int64_t i = 0; i < n; i++)
        labels[i] = (int32_t)(i % 5);
    ax_dataset *ds = NULL;
    CHECK_OK(ax_dataset_from_floats(x, n, 128, labels, 5, NULL, 0, &ds));
    free(x);
    free(labels);
    ds->sample_ndim = 3, ds->sample_shape[0] = 2, ds->sample_shape[1] = 8, ds->sample_shape[2] = 8;
    return ds;
}

static void quantized_model_tracks_the_float_one(void)
{
    net n = small_cnn(32);
    ax_dataset *calib = random_images(256, 1), *test = random_images(200, 2);
    ax_qmodel *q = NULL;
    CHECK_OK(ax_quantize(&n.m, calib, NULL, &q));
    if (!q)
        return;
    /* what the float graph became: bn folded and relu fused into c1, the add's relu fused */
    static const char *const kinds[] = {"conv2d", "conv2d", "add", "conv2d", "avg_pool2d", "leaky_relu", "dense", "dense"};
    CHECK(ax_qmodel_num_layers(q) == 8);
    for (int i = 0; i < 8 && i < ax_qmodel_num_layers(q); i++)
        CHECK(!strcmp(ax_qmodel_layer_kind(q, i), kinds[i]));
    CHECK(q->layers[0].relu && q->layers[1].relu && q->layers[2].relu && !q->layers[3].relu);
    /* the dequantized int8 outputs against the float graph's */
    float *yf = malloc(200 * 5 * sizeof *yf), *yq = malloc(200 * 5 * sizeof *yq);
    CHECK_OK(ax_predict(&n.m, test, yf));
    double acc;
    CHECK_OK(ax_qmodel_evaluate(q, test, &acc, yq));
    float lo = yf[0], hi = yf[0], worst = 0;
    int agree = 0;
    for (int i = 0; i < 200 * 5; i++) {
        lo = yf[i] < lo ? yf[i] : lo;
        hi = yf[i] > hi ? yf[i] : hi;
        worst = fabsf(yf[i] - yq[i]) > worst ? fabsf(yf[i] - yq[i]) : worst;
    }
    for (int i = 0; i < 200; i++) {
        int bf = 0, bq = 0;
        for (int k = 1; k < 5; k++) {
            bf = yf[i * 5 + k] > yf[i * 5 + bf] ? k : bf;
            bq = yq[i * 5 + k] > yq[i * 5 + bq] ? k : bq;
        }
        agree += bf == bq;
    }
    printf("    int8 vs float: largest difference %.4f of a range %.4f; same class %d/200\n", worst, hi - lo, agree);
    CHECK(worst < 0.06f * (hi - lo));
    CHECK(agree >= 170);
    /* --softmax: probabilities in 1/256 steps that sum to about 1 */
    ax_qmodel *qs = NULL;
    const ax_quant_options o = {.samples = 100, .percentile = 99.9, .softmax = 1};
    CHECK_OK(ax_quantize(&n.m, calib, &o, &qs));
    CHECK(!strcmp(ax_qmodel_layer_kind(qs, ax_qmodel_num_layers(qs) - 1), "softmax"));
    int8_t in[128], out[5];
    ax_qmodel_quantize_input(qs, calib->xf, in);
    CHECK_OK(ax_qmodel_run(qs, in, out));
    int sum = 0;
    for (int k = 0; k < 5; k++)
        sum += out[k] + 128;
    CHECK(abs(sum - 256) <= 5);
    ax_qmodel_free(qs);
    free(yf);
    free(yq);
    ax_qmodel_free(q);
    ax_dataset_free(calib);
    ax_dataset_free(test);
    ax_graph_free(n.g);
}

static void saved_models_load_and_run_the_same(void)
{
    net n = small_cnn(16);
    ax_dataset *calib = random_images(64, 3);
    ax_qmodel *q = NULL, *back = NULL;
    CHECK_OK(ax_quantize(&n.m, calib, NULL, &q));
    if (!q)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/small.q.safetensors", test_dir());
    const char *k[1] = {"note"}, *v[1] = {"kept"};
    CHECK_OK(ax_qmodel_save(path, q, k, v, 1));
    CHECK_OK(ax_qmodel_load(path, &back));
    CHECK(ax_qmodel_num_layers(back) == ax_qmodel_num_layers(q));
    CHECK(ax_qmodel_weight_bytes(back) == ax_qmodel_weight_bytes(q));
    CHECK(ax_qmodel_arena_bytes(back) == ax_qmodel_arena_bytes(q));
    CHECK(ax_qmodel_macs(q) > 0 && ax_qmodel_macs(back) == ax_qmodel_macs(q));
    char *note = NULL;
    CHECK_OK(ax_safetensors_metadata(path, "note", &note));
    CHECK(note && !strcmp(note, "kept"));
    ax_free(note);
    for (int i = 0; i < 64; i++) {
        int8_t in[128], a[5], b[5];
        ax_qmodel_quantize_input(q, calib->xf + i * 128, in);
        CHECK_OK(ax_qmodel_run(q, in, a));
        CHECK_OK(ax_qmodel_run(back, in, b));
        CHECK(!memcmp(a, b, 5));
    }
    /* the arena: no two tensors alive at once overlap, and it is smaller than all of them side by side */
    int64_t total = 0;
    for (int t = 0; t < q->n_tensors; t++)
        total += q->tensors[t].numel;
    CHECK(q->arena < total);
    ax_qmodel_free(back);
    ax_qmodel_free(q);
    ax_dataset_free(calib);
    ax_graph_free(n.g);
}

/* s with each " escaped, as it stands inside the metadata's JSON string */
static char *escaped(const char *s)
{
    char *e = malloc(2 * strlen(s) + 1), *o = e;
    for (; *s; s++) {
        if (*s == '"')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = 0;
    return e;
}

/* Rewrite the "quantized" metadata of a safetensors file: `from` replaced by `to`. */
static void edit_header(const char *src, const char *dst, const char *from_text, const char *to_text)
{
    char *from = escaped(from_text), *to = escaped(to_text);
    FILE *f = fopen(src, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)size);
    CHECK(fread(b, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    uint64_t n = 0;
    for (int i = 0; i < 8; i++)
        n |= (uint64_t)b[i] << (8 * i);
    char *json = malloc(n + strlen(to) + 1);
    memcpy(json, b + 8, n);
    json[n] = 0;
    char *at = strstr(json, from);
    CHECK(at != NULL);
    char *out = malloc(n + strlen(to) + 8);
    const size_t head = (size_t)(at - json);
    memcpy(out, json, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    size_t m = strlen(out);
    while (m % 8)
        out[m++] = ' ';
    f = fopen(dst, "wb");
    for (int i = 0; i < 8; i++)
        fputc((int)((m >> (8 * i)) & 0xff), f);
    fwrite(out, 1, m, f);
    fwrite(b + 8 + n, 1, (size_t)(size - 8 - (long)n), f);
    fclose(f);
    free(b), free(json), free(out), free(from), free(to);
}

static void bad_files_are_refused_with_their_reason(void)
{
    net n = small_cnn(8);
    ax_dataset *calib = random_images(16, 4);
    ax_qmodel *q = NULL, *back = NULL;
    CHECK_OK(ax_quantize(&n.m, calib, NULL, &q));
    if (!q)
        return;
    char good[512], bad[512];
    snprintf(good, sizeof good, "%s/good.q.safetensors", test_dir());
    snprintf(bad, sizeof bad, "%s/bad.q.safetensors", test_dir());
    CHECK_OK(ax_qmodel_save(good, q, NULL, NULL, 0));
    static const struct {
        const char *from, *to, *needle;
    } cases[] = {
        {"\"kind\":\"conv2d\"", "\"kind\":\"lstm\"", "a known \"kind\""},
        {"\"format\":\"axon int8 1\"", "\"format\":\"axon int8 9\"", "is not of format"},
        {"\"zero_point\":-128", "\"zero_point\":300", "\"zero_point\" must be a whole number in -128..127"},
        {"\"kh\":3", "\"kh\":4", "geometry does not join its tensors"},
        {"\"in\":", "\"in\":1e9,\"x\":", "too many weights"},
        {"\"inputs\":[0]", "\"inputs\":[5]", "input 0 is not a tensor written before it"},
        {"\"left_shift\":20", "\"left_shift\":31", "\"left_shift\" must be a whole number in 0..20"},
        {"\"scale\":", "\"scale\":-1,\"y\":", "\"scale\" must be a positive finite number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        edit_header(good, bad, cases[i].from, cases[i].to);
        CHECK_ERR(ax_qmodel_load(bad, &back), AX_ERR_FORMAT, cases[i].needle);
        CHECK(back == NULL);
    }
    /* numbers in the tensors: a multiplier out of range, a bias whose sums could pass 32 bits */
    const int32_t keep = q->layers[0].mult[1];
    q->layers[0].mult[1] = 12345;
    CHECK_OK(ax_qmodel_save(bad, q, NULL, NULL, 0));
    CHECK_ERR(ax_qmodel_load(bad, &back), AX_ERR_FORMAT, "layer 0: a channel's multiplier 12345");
    q->layers[0].mult[1] = keep;
    q->layers[6].b32[0] = INT32_MAX - 5;
    CHECK_OK(ax_qmodel_save(bad, q, NULL, NULL, 0));
    CHECK_ERR(ax_qmodel_load(bad, &back), AX_ERR_FORMAT, "sums could pass 32 bits");
    /* a float model file is not a quantized one */
    char plain[512];
    snprintf(plain, sizeof plain, "%s/float.safetensors", test_dir());
    CHECK_OK(ax_save_safetensors(plain, n.g, NULL, NULL, 0));
    CHECK_ERR(ax_qmodel_load(plain, &back), AX_ERR_FORMAT, "not a quantized model");
    ax_qmodel_free(q);
    ax_dataset_free(calib);
    ax_graph_free(n.g);
}

static void ops_without_an_integer_form_are_named(void)
{
    ax_spec sp;
    CHECK_OK(ax_spec_build("input x 6\ndense a units=4\nlayernorm ln axis=1\ndense b units=3\nloss softmax_cross_entropy\n",
                           "t.spec", 4, 1, &sp));
    ax_model m = ax_spec_model(&sp);
    ax_dataset *ds = test_blobs(8, 1);
    ax_qmodel *q = NULL;
    CHECK_ERR(ax_quantize(&m, ds, NULL, &q), AX_ERR_UNSUPPORTED, "(op layernorm): no integer kernel");
    ax_graph_free(sp.graph);
    CHECK_OK(ax_spec_build("input x 12\ndense a units=4\nbatchnorm bn\ndense b units=3\nloss softmax_cross_entropy\n",
                           "t.spec", 4, 1, &sp));
    m = ax_spec_model(&sp);
    CHECK_OK(ax_quantize(&m, ds, NULL, &q)); /* batch norm after dense folds */
    CHECK(ax_qmodel_num_layers(q) == 2);
    ax_qmodel_free(q);
    ax_graph_free(sp.graph);
    const ax_quant_options bad = {.percentile = 150};
    CHECK_ERR(ax_quantize(&m, ds, &bad, &q), AX_ERR_INVALID_ARG, "percentile 150");
    ax_dataset_free(ds);
}

static void exports_name_their_parts(void)
{
    net n = small_cnn(4);
    ax_dataset *calib = random_images(16, 5);
    ax_qmodel *q = NULL, *f = NULL;
    CHECK_OK(ax_quantize(&n.m, calib, NULL, &q));
    if (!q)
        return;
    char c[512], h[512];
    snprintf(c, sizeof c, "%s/net.c", test_dir());
    snprintf(h, sizeof h, "%s/net.h", test_dir());
    ax_export_report r;
    CHECK_OK(ax_export_c(q, c, h, "net.h", "net", &r));
    CHECK(r.flash_bytes == ax_qmodel_weight_bytes(q) && r.ram_bytes == ax_qmodel_arena_bytes(q));
    char *text = NULL;
    size_t len = 0;
    CHECK_OK(ax_read_file(c, (size_t)64 << 20, &text, &len));
    CHECK(strstr(text, "void net_predict(const int8_t *in, int8_t *out)") != NULL);
    CHECK(strstr(text, "#include <math.h>") == NULL && strstr(text, "float ") == NULL && strstr(text, "double") == NULL);
    ax_free(text);
    const float whole[5] = {0.0f, 2.0f, -3.0f, 0.5f, 1e-7f}; /* whole numbers need a ".0" to be float literals */
    CHECK_OK(ax_node_write(ax_graph_find(n.g, "fc2.bias"), whole, 5));
    CHECK_OK(ax_quant_plan_float(&n.m, &f));
    CHECK_OK(ax_export_c(f, c, h, "net.h", "net", &r));
    CHECK_OK(ax_read_file(c, (size_t)64 << 20, &text, &len));
    CHECK(strstr(text, "void net_predict(const float *in, float *out)") != NULL);
    CHECK(strstr(text, "x > 0.0f ? x : p0 * x") != NULL); /* the leaky ReLU's formula */
    CHECK(strstr(text, "{\n    0.0f,2.0f,-3.0f,0.5f,1.00000001e-07f,") != NULL);
    for (const char *at = strstr(text, "f,"); at; at = strstr(at + 1, "f,")) { /* every literal has . or e */
        const char *b = at;
        while (b > text && (b[-1] == '.' || b[-1] == '-' || b[-1] == '+' || (b[-1] >= '0' && b[-1] <= '9') ||
                            b[-1] == 'e'))
            b--;
        if (b < at && b[0] != 'e') {
            int ok = 0;
            for (const char *c = b; c < at; c++)
                ok |= *c == '.' || *c == 'e';
            CHECK(ok);
        }
    }
    ax_free(text);
    CHECK_ERR(ax_export_c(q, c, h, "net.h", "9lives", &r), AX_ERR_INVALID_ARG, "not a C identifier");
    ax_qmodel_free(q);
    ax_qmodel_free(f);
    ax_dataset_free(calib);
    ax_graph_free(n.g);
}

TEST_MAIN(T(requantize_rounds_halves_up), T(multipliers_stand_for_their_factor), T(dense_kernel_by_hand),
          T(conv_kernel_matches_a_direct_sum), T(pool_kernels_match_direct_sums),
          T(add_softmax_and_tables_follow_their_formulas), T(quantized_model_tracks_the_float_one),
          T(saved_models_load_and_run_the_same), T(bad_files_are_refused_with_their_reason),
          T(ops_without_an_integer_form_are_named), T(exports_name_their_parts))
