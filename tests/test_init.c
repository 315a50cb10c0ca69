/* Initialisers: each one's distribution (bounds, mean, spread) at the
 * fans of a PyTorch-layout tensor, orthogonality, names and defaults. */
#include "test.h"

#define OUT 200
#define IN 300

static void stats(const float *w, int64_t n, double *mean, double *std, double *lo, double *hi)
{
    double s = 0, s2 = 0;
    *lo = INFINITY, *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        s += w[i], s2 += (double)w[i] * w[i];
        *lo = fmin(*lo, w[i]), *hi = fmax(*hi, w[i]);
    }
    *mean = s / n;
    *std = sqrt(s2 / n - *mean * *mean);
}

static void distributions_match_their_formulas(void)
{
    static float w[OUT * IN];
    ax_rng rng;
    ax_rng_seed(&rng, 12, 0);
    const double fin = IN, fout = OUT;
    const struct {
        ax_init init;
        int uniform;
        double mean, spread; /* uniform: the bound (half-width); normal: std */
    } cases[] = {
        {{AX_INIT_XAVIER_UNIFORM, 0, 0}, 1, 0, sqrt(6 / (fin + fout))},
        {{AX_INIT_XAVIER_NORMAL, 0, 0}, 0, 0, sqrt(2 / (fin + fout))},
        {{AX_INIT_HE_UNIFORM, 0, 0}, 1, 0, sqrt(6 / fin)},
        {{AX_INIT_HE_NORMAL, 0, 0}, 0, 0, sqrt(2 / fin)},
        {{AX_INIT_LECUN_UNIFORM, 0, 0}, 1, 0, sqrt(3 / fin)},
        {{AX_INIT_LECUN_NORMAL, 0, 0}, 0, 0, sqrt(1 / fin)},
        {{AX_INIT_UNIFORM, -0.5f, 1.5f}, 1, 0.5, 1.0},
        {{AX_INIT_NORMAL, 2.0f, 0.3f}, 0, 2.0, 0.3},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        CHECK_OK(ax_init_fill(w, ax_shape2(OUT, IN), cases[k].init, &rng));
        double mean, std, lo, hi, sp = cases[k].spread;
        stats(w, OUT * IN, &mean, &std, &lo, &hi);
        CHECK_NEAR(mean, cases[k].mean, 0.01 * sp + 1e-9);
        if (cases[k].uniform) {
            CHECK(lo >= cases[k].mean - sp && hi <= cases[k].mean + sp);
            CHECK(lo < cases[k].mean - 0.99 * sp && hi > cases[k].mean + 0.99 * sp);
            CHECK_NEAR(std, sp / sqrt(3.0), 0.01 * sp);
        } else {
            CHECK_NEAR(std, sp, 0.01 * sp);
        }
    }
    CHECK_OK(ax_init_fill(w, ax_shape1(5), (ax_init){AX_INIT_CONSTANT, 0.7f, 0}, &rng));
    CHECK(w[0] == 0.7f && w[4] == 0.7f);
    CHECK_OK(ax_init_fill(w, ax_shape1(5), (ax_init){AX_INIT_ZEROS, 0, 0}, &rng));
    CHECK(w[2] == 0.0f);
    CHECK_ERR(ax_init_fill(w, ax_shape1(5), (ax_init){AX_INIT_UNIFORM, 1, 0}, &rng), AX_ERR_INVALID_ARG, "a <= b");
}

static void conv_fans_include_the_kernel(void)
{
    /* [16, 8, 3, 3]: fan_in = 72, so He normal's std is sqrt(2/72) */
    static float w[16 * 8 * 9 * 50];
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    double mean, std, lo, hi;
    CHECK_OK(ax_init_fill(w, ax_shape4(16 * 50, 8, 3, 3), (ax_init){AX_INIT_HE_NORMAL, 0, 0}, &rng));
    stats(w, 16 * 50 * 72, &mean, &std, &lo, &hi);
    CHECK_NEAR(std, sqrt(2.0 / 72), 0.01 * sqrt(2.0 / 72));
}

static void orthogonal_rows_or_columns(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 3, 3);
    const int shapes[2][2] = {{6, 10}, {10, 6}};
    for (int k = 0; k < 2; k++) {
        int r = shapes[k][0], c = shapes[k][1];
        float w[60];
        CHECK_OK(ax_init_fill(w, ax_shape2(r, c), (ax_init){AX_INIT_ORTHOGONAL, 2.0f, 0}, &rng));
        /* wide: W W^T = gain^2 I; tall: W^T W = gain^2 I */
        int n = r < c ? r : c;
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double d = 0;
                for (int m = 0; m < (r < c ? c : r); m++)
                    d += r < c ? (double)w[i * c + m] * w[j * c + m] : (double)w[m * c + i] * w[m * c + j];
                worst = fmax(worst, fabs(d - (i == j ? 4.0 : 0.0)));
            }
        CHECK(worst < 1e-5);
    }
    float v[3];
    CHECK_ERR(ax_init_fill(v, ax_shape1(3), (ax_init){AX_INIT_ORTHOGONAL, 0, 0}, &rng), AX_ERR_INVALID_ARG,
              "2 or more dimensions");
}

static void names_and_defaults(void)
{
    ax_init i;
    CHECK_OK(ax_init_from_name("glorot_normal", &i));
    CHECK(i.kind == AX_INIT_XAVIER_NORMAL);
    CHECK_OK(ax_init_from_name("kaiming_uniform", &i));
    CHECK(i.kind == AX_INIT_HE_UNIFORM);
    CHECK(strcmp(ax_init_name(AX_INIT_LECUN_NORMAL), "lecun_normal") == 0);
    CHECK_ERR(ax_init_from_name("magic", &i), AX_ERR_INVALID_ARG, "unknown initialiser 'magic'");
    CHECK(ax_init_default_for("relu").kind == AX_INIT_HE_UNIFORM);
    CHECK(ax_init_default_for("leaky_relu").kind == AX_INIT_HE_UNIFORM);
    CHECK(ax_init_default_for("tanh").kind == AX_INIT_XAVIER_UNIFORM);
    CHECK(ax_init_default_for("sigmoid").kind == AX_INIT_XAVIER_UNIFORM);
    CHECK(ax_init_default_for(NULL).kind == AX_INIT_XAVIER_UNIFORM);
    CHECK(ax_init_default_for("selu").kind == AX_INIT_LECUN_NORMAL);
    /* a dense layer uses its default and accepts an override; biases start at zero */
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 4, 4);
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(1, 400));
    ax_dense(g, x, 300, "relu", AX_DEFAULT_INIT, &rng, "a");
    ax_dense(g, x, 300, "relu", (ax_init){AX_INIT_CONSTANT, 0.125f, 0}, &rng, "b");
    double mean, std, lo, hi;
    stats(ax_node_data(ax_graph_find(g, "a.weight")), 120000, &mean, &std, &lo, &hi);
    CHECK(hi <= sqrt(6.0 / 400) && hi > 0.99 * sqrt(6.0 / 400));
    CHECK(ax_node_data(ax_graph_find(g, "b.weight"))[777] == 0.125f);
    CHECK(ax_node_data(ax_graph_find(g, "a.bias"))[5] == 0.0f);
    ax_graph_free(g);
}

TEST_MAIN(T(distributions_match_their_formulas), T(conv_fans_include_the_kernel),
          T(orthogonal_rows_or_columns), T(names_and_defaults))
