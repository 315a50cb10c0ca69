/* Metrics, callbacks (early stopping, CSV logger, SVG curves), held-out
 * splits and atomic file writing. */
#include "test.h"

#include <dirent.h>
#include <unistd.h>

static void confusion_by_hand(void)
{
    /* labels 0 1 2 2 1 0; predictions 0 2 2 2 1 1 */
    const int32_t y[6] = {0, 1, 2, 2, 1, 0};
    const int pred[6] = {0, 2, 2, 2, 1, 1};
    float scores[18] = {0};
    for (int r = 0; r < 6; r++)
        scores[r * 3 + pred[r]] = 1.0f;
    ax_confusion *c;
    CHECK_OK(ax_confusion_new(3, &c));
    CHECK_OK(ax_confusion_add(c, scores, y, 6));
    /* rows true, columns predicted: [1 1 0; 0 1 1; 0 0 2] */
    const int64_t want[9] = {1, 1, 0, 0, 1, 1, 0, 0, 2};
    for (int i = 0; i < 9; i++)
        CHECK(c->counts[i] == want[i]);
    CHECK_NEAR(ax_confusion_accuracy(c), 4.0 / 6, 1e-12);
    /* precision 1, 1/2, 2/3; recall 1/2, 1/2, 1; F1 2/3, 1/2, 4/5 */
    double p, r, f;
    ax_confusion_macro(c, &p, &r, &f);
    CHECK_NEAR(p, (1 + 0.5 + 2.0 / 3) / 3, 1e-12);
    CHECK_NEAR(r, (0.5 + 0.5 + 1) / 3, 1e-12);
    CHECK_NEAR(f, (2.0 / 3 + 0.5 + 0.8) / 3, 1e-12);
    CHECK_ERR(ax_confusion_add(c, scores, (int32_t[]){0, 3}, 2), AX_ERR_INVALID_ARG, "label 3 of row 1");
    ax_confusion_free(c);
}

static void top_k_and_regression(void)
{
    const float s[8] = {0.1f, 0.5f, 0.3f, 0.1f, /* ranks: 1, 3, 2, 4(tie, later index) */
                        0.9f, 0.0f, 0.05f, 0.05f};
    CHECK_NEAR(ax_top_k_accuracy(s, (int32_t[]){2, 0}, 2, 4, 1), 0.5, 1e-12);
    CHECK_NEAR(ax_top_k_accuracy(s, (int32_t[]){2, 3}, 2, 4, 2), 0.5, 1e-12);
    CHECK_NEAR(ax_top_k_accuracy(s, (int32_t[]){2, 3}, 2, 4, 3), 1.0, 1e-12);
    double mse, mae, r2;
    ax_regression_metrics((float[]){1, 2, 4}, (float[]){1, 3, 3}, 3, &mse, &mae, &r2);
    /* errors 0, -1, 1; target mean 7/3, SS_tot = 16/9 + 4/9 + 4/9 = 24/9 */
    CHECK_NEAR(mse, 2.0 / 3, 1e-12);
    CHECK_NEAR(mae, 2.0 / 3, 1e-12);
    CHECK_NEAR(r2, 1 - 2.0 / (24.0 / 9), 1e-12);
}

/* Random labels: nothing to learn, so held-out loss rises as the network
 * memorises its 48 training samples. */
static ax_dataset *noise(int n, uint64_t seed)
{
    ax_rng r;
    ax_rng_seed(&r, seed, 3);
    uint8_t x[256 * 8];
    int32_t y[256];
    for (int i = 0; i < n * 8; i++)
        x[i] = (uint8_t)ax_rng_below(&r, 256);
    for (int i = 0; i < n; i++)
        y[i] = (int32_t)ax_rng_below(&r, 3);
    ax_dataset *ds = NULL;
    ax_dataset_from_memory(x, y, n, (int64_t[]){8}, 1, 3, 1.0f / 255, &ds);
    return ds;
}

static ax_model small_model(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(16, 8));
    ax_node *h = ax_dense(g, x, 64, "relu", AX_DEFAULT_INIT, &rng, "fc1");
    ax_node *logits = ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *lab = ax_input(g, "y", ax_shape1(16));
    ax_model m = {.graph = g, .input = x, .target = lab, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, lab)};
    ax_graph_compile(g);
    return m;
}

static char dir[64];

static const char *path_in(const char *name)
{
    static char p[2][256];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void early_stopping_restores_the_best(void)
{
    snprintf(dir, sizeof dir, "/tmp/axon-fit-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    ax_dataset *train = noise(48, 1), *val = noise(64, 2);
    ax_model m = small_model();
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("adam", &(ax_optim_config){.lr = 0.02f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, m.graph));
    ax_callback *stopper, *csv, *svg;
    CHECK_OK(ax_early_stopping_new(AX_MONITOR_VAL_LOSS, 0.0, 3, 1, &stopper));
    CHECK_OK(ax_csv_logger_new(path_in("log.csv"), &csv));
    CHECK_OK(ax_svg_curves_new(path_in("curves.svg"), &svg));
    ax_callback *cbs[3] = {stopper, csv, svg};
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 60;
    c.verbosity = AX_QUIET;
    c.callbacks = cbs;
    c.n_callbacks = 3;
    ax_epoch_log hist[60];
    CHECK_OK(ax_fit(&m, opt, train, val, &c, hist));
    int run = 0;
    while (run < 60 && hist[run].epoch)
        run++;
    double best;
    int best_epoch = ax_early_stopping_best(stopper, &best);
    CHECK(run < 60);                     /* stopped early */
    CHECK(run == best_epoch + 3);        /* three epochs without improvement */
    for (int e = 0; e < run; e++)
        CHECK(hist[e].test.loss >= best);
    CHECK_NEAR(best, hist[best_epoch - 1].test.loss, 0);
    /* the weights are the best epoch's: evaluating gives its loss exactly */
    ax_metrics now;
    CHECK_OK(ax_evaluate(&m, val, &now));
    CHECK(now.loss == best);
    CHECK(hist[run - 1].test.loss > best);
    ax_callback_free(stopper);
    ax_callback_free(csv); /* closes the file */
    ax_callback_free(svg);

    /* the CSV: a header and one line per epoch run, matching the history */
    FILE *f = fopen(path_in("log.csv"), "r");
    CHECK(f != NULL);
    char line[256];
    CHECK(fgets(line, sizeof line, f) && !strcmp(line, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n"));
    int lines = 0;
    while (f && fgets(line, sizeof line, f)) {
        int e;
        double loss, acc, vloss;
        CHECK(sscanf(line, "%d,%lf,%lf,%lf", &e, &loss, &acc, &vloss) == 4);
        CHECK(e == lines + 1);
        CHECK_NEAR(vloss, hist[lines].test.loss, 1e-5 * vloss);
        lines++;
    }
    if (f)
        fclose(f);
    CHECK(lines == run);
    /* the SVG: two panels of two curves each, complete, no temporary file left */
    f = fopen(path_in("curves.svg"), "r");
    CHECK(f != NULL);
    static char svg_text[1 << 16];
    size_t n = f ? fread(svg_text, 1, sizeof svg_text - 1, f) : 0;
    svg_text[n] = '\0';
    if (f)
        fclose(f);
    int polylines = 0;
    for (const char *p = svg_text; (p = strstr(p, "<polyline")); p++)
        polylines++;
    CHECK(!strncmp(svg_text, "<svg", 4) && strstr(svg_text, "</svg>") && polylines == 4);
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        entries += e->d_name[0] != '.';
    if (d)
        closedir(d);
    CHECK(entries == 2);
    CHECK_ERR(ax_csv_logger_new("/nonexistent-dir/log.csv", &csv), AX_ERR_IO, "/nonexistent-dir/log.csv: cannot open");
    CHECK_ERR(ax_early_stopping_new(AX_MONITOR_LOSS, 0, 0, 0, &stopper), AX_ERR_INVALID_ARG, "patience >= 1");
    ax_optimizer_free(opt);
    ax_graph_free(m.graph);
    ax_dataset_free(train);
    ax_dataset_free(val);
}

static void split_held_out(void)
{
    /* 300 samples, each unique: byte 0 and 1 encode its index; classes 0..2 in 1:2:3 */
    uint8_t x[300 * 2];
    int32_t y[300];
    for (int i = 0; i < 300; i++) {
        x[2 * i] = (uint8_t)(i & 255), x[2 * i + 1] = (uint8_t)(i >> 8);
        y[i] = i < 50 ? 0 : i < 150 ? 1 : 2;
    }
    ax_dataset *ds, *tr, *va;
    CHECK_OK(ax_dataset_from_memory(x, y, 300, (int64_t[]){2}, 1, 3, 1.0f, &ds));
    for (int strat = 0; strat < 2; strat++) {
        CHECK_OK(ax_dataset_split(ds, 0.2, strat, 7, &tr, &va));
        CHECK(tr->n + va->n == 300 && va->n == 60);
        int seen[300] = {0}, per_class[3] = {0};
        for (int64_t i = 0; i < va->n; i++) {
            int id = va->x[2 * i] | va->x[2 * i + 1] << 8;
            seen[id]++;
            per_class[va->labels[i]]++;
            CHECK(va->labels[i] == y[id]);
        }
        for (int64_t i = 0; i < tr->n; i++)
            seen[tr->x[2 * i] | tr->x[2 * i + 1] << 8]++;
        int once = 1;
        for (int i = 0; i < 300; i++)
            once &= seen[i] == 1;
        CHECK(once); /* disjoint and complete */
        if (strat)
            CHECK(per_class[0] == 10 && per_class[1] == 20 && per_class[2] == 30);
        ax_dataset_free(tr);
        ax_dataset_free(va);
    }
    CHECK_ERR(ax_dataset_split(ds, 1.0, 0, 1, &tr, &va), AX_ERR_INVALID_ARG, "not in (0, 1)");
    ax_dataset_free(ds);
}

static void atomic_writes(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/atomic.txt", dir);
    CHECK_OK(ax_write_file_atomic(p, "first", 5));
    CHECK_OK(ax_write_file_atomic(p, "second!", 7));
    FILE *f = fopen(p, "r");
    char buf[16] = {0};
    CHECK(f && fread(buf, 1, sizeof buf, f) == 7 && !strcmp(buf, "second!"));
    if (f)
        fclose(f);
    CHECK_ERR(ax_write_file_atomic("/nonexistent-dir/x", "a", 1), AX_ERR_IO, "/nonexistent-dir/x.tmp.");
}

static void standardize_with_training_statistics(void)
{
    /* feature 0: bytes 0..9 scaled by 1/10; feature 1 constant 5 */
    uint8_t x[20];
    int32_t y[10];
    for (int i = 0; i < 10; i++)
        x[2 * i] = (uint8_t)i, x[2 * i + 1] = 5, y[i] = i % 2;
    ax_dataset *train, *test;
    CHECK_OK(ax_dataset_from_memory(x, y, 10, (int64_t[]){2}, 1, 2, 0.1f, &train));
    CHECK_OK(ax_dataset_from_memory(x, y, 3, (int64_t[]){2}, 1, 2, 0.1f, &test));
    ax_standardizer *st;
    CHECK_OK(ax_standardizer_fit(train, &st));
    CHECK_NEAR(st->mean[0], 0.45, 1e-6);
    CHECK_NEAR(st->std[0], sqrt(0.0825), 1e-6); /* population std of 0, .1, ..., .9 */
    CHECK(st->std[1] == 1.0f && st->mean[1] == 0.5f);
    CHECK_OK(ax_standardizer_apply(st, train));
    CHECK_OK(ax_standardizer_apply(st, test)); /* the training statistics, not the test set's */
    double m = 0, v = 0;
    for (int i = 0; i < 10; i++)
        m += train->xf[2 * i] / 10;
    for (int i = 0; i < 10; i++)
        v += (train->xf[2 * i] - m) * (train->xf[2 * i] - m) / 10;
    CHECK_NEAR(m, 0, 1e-6);
    CHECK_NEAR(v, 1, 1e-5);
    CHECK(train->x == NULL && train->xf[1] == 0.0f);
    CHECK_NEAR(test->xf[4], (0.2 - 0.45) / sqrt(0.0825), 1e-5);
    ax_dataset *wide;
    CHECK_OK(ax_dataset_from_floats((float[]){1, 2, 3}, 1, 3, (int32_t[]){0}, 1, NULL, 0, &wide));
    CHECK_ERR(ax_standardizer_apply(st, wide), AX_ERR_SHAPE, "fitted on 2 features, the data has 3");
    ax_dataset_free(wide);
    /* through JSON and back: the same floats, bit for bit */
    char *json = NULL;
    ax_standardizer *back = NULL;
    CHECK_OK(ax_standardizer_to_json(st, &json));
    CHECK_OK(ax_standardizer_from_json(json, "m.safetensors", &back));
    CHECK(back && back->features == 2 && !memcmp(back->mean, st->mean, 8) && !memcmp(back->std, st->std, 8));
    ax_free(json);
    ax_standardizer_free(back);
    CHECK_ERR(ax_standardizer_from_json("[1]", "m", &back), AX_ERR_FORMAT, "m: standardization: expected a JSON object");
    CHECK_ERR(ax_standardizer_from_json("{\"mean\": [1, 2]}", "m", &back), AX_ERR_FORMAT, "\"std\" to be a non-empty array");
    CHECK_ERR(ax_standardizer_from_json("{\"mean\": [1, 2], \"std\": [1]}", "m", &back), AX_ERR_FORMAT,
              "\"std\" has 1 values, \"mean\" 2");
    CHECK_ERR(ax_standardizer_from_json("{\"mean\": [1], \"std\": [0]}", "m", &back), AX_ERR_FORMAT,
              "\"std\"[0] is not a positive number");
    CHECK_ERR(ax_standardizer_from_json("{\"mean\": [\"a\"], \"std\": [1]}", "m", &back), AX_ERR_FORMAT,
              "\"mean\"[0] is not a finite number");
    CHECK(back == NULL);
    ax_standardizer_free(st);
    ax_dataset_free(train);
    ax_dataset_free(test);
}

/* One-hot targets with the quadratic cost, a held-out split made by fit,
 * and reduce-on-plateau as a callback. */
static void one_hot_split_and_plateau(void)
{
    ax_dataset *ds;
    CHECK_OK(ax_dataset_synthetic(400, 3, 4, 11, &ds));
    CHECK_OK(ax_dataset_one_hot(ds));
    CHECK(ds->n_targets == 3 && ds->targets[3 * 5 + ds->labels[5]] == 1.0f);
    ax_rng rng;
    ax_rng_seed(&rng, 2, 2);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(20, 4)), *t = ax_input(g, "t", ax_shape2(20, 3));
    ax_node *out = ax_dense(g, ax_dense(g, x, 12, "sigmoid", AX_DEFAULT_INIT, &rng, "h"), 3, "sigmoid", AX_DEFAULT_INIT, &rng, "o");
    ax_model m = {.graph = g, .input = x, .target = t, .output = out, .loss = ax_mse(g, out, t)};
    CHECK_OK(ax_graph_compile(g));
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 2.0f}, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, g));
    ax_schedule *sch;
    ax_schedule_config sc;
    ax_schedule_defaults("reduce_on_plateau", &sc);
    sc.patience = 0, sc.factor = 0.5f, sc.threshold = 0.5f; /* "improvement" must halve the loss: reduces soon */
    CHECK_OK(ax_schedule_new("reduce_on_plateau", &sc, &sch));
    ax_callback *cb;
    CHECK_OK(ax_schedule_callback_new(sch, opt, AX_MONITOR_VAL_LOSS, &cb));
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 15;
    c.verbosity = AX_QUIET;
    c.validation_split = 0.25;
    c.stratify = 1;
    c.callbacks = &cb;
    c.n_callbacks = 1;
    ax_epoch_log h[15];
    CHECK_OK(ax_fit(&m, opt, ds, NULL, &c, h));
    /* the split fit made: a quarter, to within a sample per class */
    CHECK(h[0].train.samples + h[0].test.samples == 400 && llabs(h[0].test.samples - 100) <= 2);
    if (!(h[14].test.accuracy > 0.8))
        printf("  held-out accuracy %.4f\n", h[14].test.accuracy);
    CHECK(h[14].test.accuracy > 0.8); /* accuracy from one-hot targets (chance: 1/3) */
    CHECK(h[14].lr < 2.0f);                                      /* the plateau callback lowered it */
    ax_callback_free(cb);
    ax_schedule_free(sch);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(ds);
}

TEST_MAIN(T(confusion_by_hand), T(top_k_and_regression), T(early_stopping_restores_the_best), T(split_held_out),
          T(atomic_writes), T(standardize_with_training_statistics), T(one_hot_split_and_plateau))
