/* Forecasting a time series with a recurrent network: Mauna Loa's
 * monthly CO2 (1958-2020, the npm package vega-datasets; fetched by
 * scripts/fetch-vega.sh). The series rises and swings with the seasons;
 * the network reads the last 24 months' changes (sliding windows,
 * ax_dataset_windows) and predicts next month's change; the forecast is
 * the last value plus it. Trained on the first 80% of the months, scored
 * on the last 20% (months it never saw, at levels above any it saw),
 * one month ahead, against two baselines: persistence (next month as
 * this one) and the seasonal change (this month's change as a year ago).
 *
 *   forecast [OUT_DIR [CSV]]   writes OUT_DIR/forecast.svg
 *
 * Exits 1 unless, for each of seeds 1 to 3, the GRU's error on the
 * held-out months (RMSE, ppm) is under 0.9 times the better baseline's
 * (measured: 0.77-0.82 of the seasonal change's 0.537 ppm). */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WINDOW = 24, HIDDEN = 32, BATCH = 32, EPOCHS = 60 };

typedef struct series {
    float *level;  /* ppm, month by month */
    float *change; /* level[t] - level[t - 1], standardised; change[0] = 0 */
    int64_t n, split;
    double mean, std;
} series;

static ax_status load(const char *path, series *s)
{
    ax_csv_options o = {.header = 1, .columns = "CO2", .features_only = 1};
    ax_dataset *ds;
    ax_status st = ax_dataset_load_csv(path, &o, &ds);
    if (st != AX_OK)
        return st;
    s->n = ds->n;
    s->split = ds->n * 8 / 10;
    s->level = malloc((size_t)s->n * sizeof(float));
    s->change = malloc((size_t)s->n * sizeof(float));
    memcpy(s->level, ds->xf, (size_t)s->n * sizeof(float));
    ax_dataset_free(ds);
    double sum = 0, sq = 0; /* the training months' statistics only */
    for (int64_t t = 1; t < s->split; t++)
        sum += s->level[t] - s->level[t - 1];
    s->mean = sum / (double)(s->split - 1);
    for (int64_t t = 1; t < s->split; t++)
        sq += pow(s->level[t] - s->level[t - 1] - s->mean, 2);
    s->std = sqrt(sq / (double)(s->split - 2));
    s->change[0] = 0;
    for (int64_t t = 1; t < s->n; t++)
        s->change[t] = (float)((s->level[t] - s->level[t - 1] - s->mean) / s->std);
    return AX_OK;
}

/* Train on the windows whose target month is before the split; the
 * forecasts (ppm) of months split..n-1 into pred. */
static ax_status gru_forecast(const series *s, uint64_t seed, float *pred)
{
    ax_dataset *rows = NULL, *all = NULL, *train = NULL;
    const int64_t target = 0;
    ax_status st = ax_dataset_from_floats(s->change + 1, s->n - 1, 1, NULL, 0, NULL, 0, &rows);
    if (st == AX_OK) /* window i: changes of months i+1 .. i+WINDOW, target: month i+WINDOW+1 */
        st = ax_dataset_windows(rows, WINDOW, 1, &target, 1, &all);
    const int64_t n_train = s->split - WINDOW - 1;
    if (st == AX_OK)
        st = ax_dataset_head(all, n_train, &train);
    ax_rng rng;
    ax_rng_seed(&rng, seed, 5);
    ax_graph *g;
    ax_graph_new(&g);
    ax_graph_seed(g, seed);
    ax_node *x = ax_input(g, "x", ax_shape3(BATCH, WINDOW, 1)), *y = ax_input(g, "y", ax_shape2(BATCH, 1));
    ax_rnn_result r;
    ax_rnn_layer(g, x, AX_GRU, HIDDEN, NULL, &rng, "gru", &r);
    ax_node *out = ax_dense(g, r.last, 1, NULL, AX_DEFAULT_INIT, &rng, "out");
    ax_model m = {.graph = g, .input = x, .target = y, .output = out, .loss = ax_mse(g, out, y)};
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    ax_optim_defaults("adam", &oc);
    oc.lr = 0.005f;
    if (st == AX_OK)
        st = ax_graph_compile(g);
    if (st == AX_OK)
        st = ax_optimizer_new("adam", &oc, &opt);
    if (st == AX_OK)
        st = ax_optimizer_add_graph(opt, g);
    ax_fit_config fc = ax_fit_defaults();
    fc.epochs = EPOCHS;
    fc.seed = seed;
    fc.verbosity = AX_QUIET;
    if (st == AX_OK)
        st = ax_fit(&m, opt, train, NULL, &fc, NULL);
    float *changes = st == AX_OK ? malloc((size_t)all->n * sizeof(float)) : NULL;
    if (st == AX_OK)
        st = changes ? ax_predict(&m, all, changes) : ax_fail(AX_ERR_NOMEM, "out of memory");
    for (int64_t t = s->split; st == AX_OK && t < s->n; t++) /* window t - WINDOW - 1 ends at month t - 1 */
        pred[t - s->split] = s->level[t - 1] + (float)(changes[t - WINDOW - 1] * s->std + s->mean);
    free(changes);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(rows);
    ax_dataset_free(all);
    ax_dataset_free(train);
    return st;
}

static double rmse(const series *s, const float *pred)
{
    double sq = 0;
    for (int64_t t = s->split; t < s->n; t++)
        sq += pow(pred[t - s->split] - s->level[t], 2);
    return sqrt(sq / (double)(s->n - s->split));
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char path[4096];
    if (argc > 2)
        snprintf(path, sizeof path, "%s", argv[2]);
    else {
        const char *data = getenv("AXON_DATA"), *home = getenv("HOME");
        if (data)
            snprintf(path, sizeof path, "%s/vega-datasets/co2-concentration.csv", data);
        else
            snprintf(path, sizeof path, "%s/.cache/axon/vega-datasets/co2-concentration.csv", home ? home : "/tmp");
    }
    series s = {0};
    if (load(path, &s) != AX_OK) {
        fprintf(stderr, "forecast: %s (scripts/fetch-vega.sh fetches the series)\n", ax_last_error());
        return 1;
    }
    const int64_t held = s.n - s.split;
    float *persist = malloc((size_t)held * sizeof(float)), *seasonal = malloc((size_t)held * sizeof(float));
    float *gru = malloc((size_t)held * 3 * sizeof(float));
    for (int64_t t = s.split; t < s.n; t++) {
        persist[t - s.split] = s.level[t - 1];
        seasonal[t - s.split] = s.level[t - 1] + (s.level[t - 12] - s.level[t - 13]);
    }
    const double e_persist = rmse(&s, persist), e_seasonal = rmse(&s, seasonal);
    const double best = fmin(e_persist, e_seasonal);
    printf("Mauna Loa CO2: %lld months, trained on the first %lld, forecasting the last %lld one month ahead\n",
           (long long)s.n, (long long)s.split, (long long)held);
    printf("RMSE (ppm): persistence %.3f, seasonal change %.3f\n", e_persist, e_seasonal);
    int ok = 1;
    double e_gru[3];
    for (int k = 0; k < 3; k++) {
        if (gru_forecast(&s, (uint64_t)k + 1, gru + k * held) != AX_OK) {
            fprintf(stderr, "forecast: %s\n", ax_last_error());
            return 1;
        }
        e_gru[k] = rmse(&s, gru + k * held);
        printf("GRU of %d units over %d months, seed %d: RMSE %.3f ppm (%.2f of the better baseline)\n", HIDDEN,
               WINDOW, k + 1, e_gru[k], e_gru[k] / best);
        ok &= e_gru[k] < 0.9 * best;
    }
    static double months[1000], actual[1000], p0[1000], pp[1000], ps[1000];
    for (int64_t i = 0; i < held && i < 1000; i++) {
        months[i] = (double)(s.split + i);
        actual[i] = s.level[s.split + i];
        p0[i] = gru[i];
        pp[i] = persist[i];
        ps[i] = seasonal[i];
    }
    ax_series lines[4] = {{.label = "measured", .x = months, .y = actual, .n = (int)held},
                          {.label = "GRU (seed 1)", .x = months, .y = p0, .n = (int)held},
                          {.label = "persistence", .x = months, .y = pp, .n = (int)held, .dashed = 1},
                          {.label = "seasonal change", .x = months, .y = ps, .n = (int)held, .dashed = 1}};
    ax_panel p = {.title = "CO2 at Mauna Loa, the held-out months, one month ahead", .x_label = "month since March 1958",
                  .y_label = "ppm", .series = lines, .n_series = 4};
    snprintf(path, sizeof path, "%s/forecast.svg", dir);
    if (ax_plot_svg(path, &p, 1, 1, "GRU 32 over the last 24 months' changes, trained on 1958-2008") != AX_OK) {
        fprintf(stderr, "forecast: %s\n", ax_last_error());
        return 1;
    }
    if (!ok)
        printf("FAILED: expected the GRU's error under 0.9 times the better baseline's on every seed\n");
    free(persist);
    free(seasonal);
    free(gru);
    free(s.level);
    free(s.change);
    return ok ? 0 : 1;
}
