/* CSV tables: features, a label column or target columns, and every way a
 * table can be wrong; then a regression trained from one. */
#include "test.h"

static void reads_tables(void)
{
    ax_dataset *ds;
    /* a header, CRLF line ends, a blank line, quoted cells, the label by name */
    const char *p = test_write_file("a.csv", "\"size, cm\",kind,weight\r\n1.5,2,10\r\n\r\n\"2.5\",0, 20\r\n-3e1,1,30\r\n");
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){-1, 0, "kind", NULL, 0, 0, NULL, NULL}, &ds));
    if (ds) {
        CHECK(ds->n == 3 && ds->sample_size == 2 && ds->n_classes == 3 && ds->labels && !ds->targets);
        CHECK(ds->xf[0] == 1.5f && ds->xf[1] == 10 && ds->xf[2] == 2.5f && ds->xf[4] == -30 && ds->xf[5] == 30);
        CHECK(ds->labels[0] == 2 && ds->labels[1] == 0 && ds->labels[2] == 1);
        ax_dataset_free(ds);
    }
    /* a UTF-8 byte-order mark (spreadsheets write one) is not part of the first name */
    p = test_write_file("bom.csv", "\xef\xbb\xbf" "size,label\n1,0\n2,1\n");
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){-1, 0, NULL, "size", 0, 0, NULL, NULL}, &ds));
    if (ds) {
        CHECK(ds->n == 2 && ds->targets && ds->targets[1] == 2);
        ax_dataset_free(ds);
    }
    /* no header: the last column is the label by default; semicolons */
    p = test_write_file("b.csv", "1;2;0\n3;4;1\n");
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){-1, ';', NULL, NULL, 4, 0, NULL, NULL}, &ds));
    if (ds) {
        CHECK(ds->n == 2 && ds->sample_size == 2 && ds->n_classes == 4 && ds->labels[1] == 1 && ds->xf[3] == 4);
        ax_dataset_free(ds);
    }
    /* regression: two targets, in the order asked, one by index */
    p = test_write_file("c.csv", "x1,y1,x2,y2\n1,10,2,20\n3,30,4,40\n");
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){-1, 0, NULL, "y2,1", 0, 0, NULL, NULL}, &ds));
    if (ds) {
        CHECK(ds->n == 2 && ds->sample_size == 2 && ds->n_targets == 2 && !ds->labels);
        CHECK(ds->xf[0] == 1 && ds->xf[1] == 2 && ds->targets[0] == 20 && ds->targets[1] == 10 && ds->targets[3] == 30);
        ax_dataset_free(ds);
    }
}

static void expect_error(const char *name, const char *text, const ax_csv_options *o, const char *needle)
{
    const char *p = test_write_file(name, text);
    ax_dataset *ds = (ax_dataset *)1;
    ax_status s = ax_dataset_load_csv(p, o, &ds);
    CHECK(s != AX_OK && ds == NULL);
    if (!strstr(ax_last_error(), needle) || !strstr(ax_last_error(), p)) {
        printf("  %s: got \"%s\", expected \"%s\"\n", name, ax_last_error(), needle);
        test_failures++;
    }
}

static void malformed_tables(void)
{
    ax_csv_options dflt = {-1, 0, NULL, NULL, 0, 0, NULL, NULL};
    expect_error("bad.csv", "a,b,c\n1,2,0\n3,abc,1\n", &dflt, ":3: column 2 ('b'): 'abc' is not a number");
    expect_error("miss.csv", "a,b,c\n1,2,0\n,5,NA\n7,8,1\n", &dflt,
                 "2 missing values, the first on line 3, column 1 ('a'): fill or drop them first");
    expect_error("ragged.csv", "1,2,0\n3,4,1\n5,6\n", &dflt, ":3: 2 cells, expected 3 (as on line 1)");
    expect_error("quote.csv", "a,b\n\"1,2\n", &dflt, ":2: a quoted cell is not closed");
    /* bad quoting on the first line (the line number was read after its
     * buffer was freed: a heap use-after-free under ASan) */
    expect_error("quote1.csv", "\"", &dflt, "quote1.csv:1: cannot read the first line's cells");
    expect_error("quote2.csv", "\n\n\"a,b\n1,2\n", &dflt, "quote2.csv:3: cannot read the first line's cells");
    expect_error("frac.csv", "a,y\n1,0\n2,1.5\n", &dflt, ":3: column 2 ('y'): label 1.5 is not a class");
    /* values that must not pass silently */
    expect_error("huge.csv", "a,y\n1,0\n1e39,1\n", &dflt, ":3: column 1 ('a'): '1e39' is not a number");
    expect_error("hex.csv", "a,y\n1,0\n0x10,1\n", &dflt, ":3: column 1 ('a'): '0x10' is not a number");
    expect_error("dup.csv", "a,a,y\n1,2,0\n", &dflt, ":1: column name 'a' appears twice (columns 1 and 2)");
    expect_error("big.csv", "a,y\n1,0\n2,3\n", &(ax_csv_options){-1, 0, NULL, NULL, 3, 0, NULL, NULL},
                 ":3: column 2 ('y'): label 3 is not a class in 0..2");
    expect_error("col.csv", "a,y\n1,0\n", &(ax_csv_options){-1, 0, "z", NULL, 0, 0, NULL, NULL}, "no column 'z'");
    expect_error("empty.csv", "", &dflt, "empty");
    expect_error("head.csv", "a,b,y\n", &dflt, "a header but no data rows");
    expect_error("one.csv", "y\n1\n", &dflt, "no feature columns");
    expect_error("both.csv", "a,y\n1,0\n", &(ax_csv_options){-1, 0, "y", "a", 0, 0, NULL, NULL}, "not both");
    ax_dataset *ds;
    CHECK_ERR(ax_dataset_load_csv("/nonexistent/t.csv", NULL, &ds), AX_ERR_IO, "/nonexistent/t.csv: cannot open");
}

static void trains_a_regression_from_csv(void)
{
    /* y = 2 a - b + 0.5, 200 rows */
    static char text[200 * 64 + 32];
    int len = snprintf(text, sizeof text, "a,b,y\n");
    ax_rng r;
    ax_rng_seed(&r, 4, 4);
    for (int i = 0; i < 200; i++) {
        float a = ax_rng_uniform(&r) * 2 - 1, b = ax_rng_uniform(&r) * 2 - 1;
        len += snprintf(text + len, sizeof text - (size_t)len, "%.6f,%.6f,%.6f\n", (double)a, (double)b,
                        (double)(2 * a - b + 0.5f));
    }
    ax_dataset *ds;
    CHECK_OK(ax_dataset_load_csv(test_write_file("reg.csv", text), &(ax_csv_options){-1, 0, NULL, "y", 0, 0, NULL, NULL}, &ds));
    if (!ds)
        return;
    ax_graph *g;
    ax_graph_new(&g);
    ax_rng_seed(&r, 1, 1);
    ax_node *x = ax_input(g, "x", ax_shape2(20, 2)), *t = ax_input(g, "t", ax_shape2(20, 1));
    ax_node *pred = ax_dense(g, x, 1, NULL, (ax_init){AX_INIT_ZEROS, 0, 0}, &r, "fit");
    ax_model m = {.graph = g, .input = x, .target = t, .output = pred, .loss = ax_mse(g, pred, t)};
    CHECK_OK(ax_graph_compile(g));
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.1f, .momentum = 0.9f}, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, g));
    ax_epoch_log hist[30];
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 30;
    c.verbosity = AX_QUIET;
    CHECK_OK(ax_fit(&m, opt, ds, ds, &c, hist));
    CHECK(hist[29].test.loss < 1e-4 && isnan(hist[29].test.accuracy));
    const float *w = ax_node_data(ax_graph_find(g, "fit.weight")), *b = ax_node_data(ax_graph_find(g, "fit.bias"));
    CHECK_NEAR(w[0], 2.0, 0.02);
    CHECK_NEAR(w[1], -1.0, 0.02);
    CHECK_NEAR(b[0], 0.5, 0.02);
    /* a classifier's shape is refused with a message */
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_graph_new(&g);
    x = ax_input(g, "x", ax_shape2(20, 2));
    ax_node *lab = ax_input(g, "lab", ax_shape1(20));
    ax_node *logits = ax_dense(g, x, 3, NULL, AX_DEFAULT_INIT, &r, "fc");
    m = (ax_model){.graph = g, .input = x, .target = lab, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, lab)};
    CHECK_OK(ax_graph_compile(g));
    ax_metrics mt;
    CHECK_ERR(ax_evaluate(&m, ds, &mt), AX_ERR_SHAPE, "1 real targets per sample");
    ax_graph_free(g);
    ax_dataset_free(ds);
}

/* A table of features alone: predicted on, refused for training. */
static void features_only_tables(void)
{
    ax_dataset *ds;
    const char *p = test_write_file("new.csv", "a,b\n1,2\n3,4\n5,6\n");
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){.header = -1, .features_only = 1}, &ds));
    if (!ds)
        return;
    CHECK(ds->n == 3 && ds->sample_size == 2 && !ds->labels && !ds->targets && ds->xf[5] == 6.0f);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(2, 2)), *t = ax_input(g, "t", ax_shape2(2, 1));
    ax_node *w = ax_param(g, "w", ax_shape2(1, 2));
    ax_node *y = ax_matmul(g, x, w, 1);
    ax_model m = {.graph = g, .input = x, .target = t, .output = y, .loss = ax_mse(g, y, t)};
    CHECK_OK(ax_graph_compile(g));
    ax_node_data(w)[0] = 10, ax_node_data(w)[1] = 1;
    float out[3];
    CHECK_OK(ax_predict(&m, ds, out));
    CHECK(out[0] == 12 && out[1] == 34 && out[2] == 56);
    ax_metrics mt;
    CHECK_ERR(ax_evaluate(&m, ds, &mt), AX_ERR_INVALID_ARG, "evaluate: the data has features only");
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.1f}, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, g));
    ax_fit_config c = ax_fit_defaults();
    c.verbosity = AX_QUIET;
    CHECK_ERR(ax_fit(&m, opt, ds, NULL, &c, NULL), AX_ERR_INVALID_ARG, "fit: the data has features only");
    ax_dataset_free(ds);
    CHECK_ERR(ax_dataset_load_csv(p, &(ax_csv_options){.label = "a", .features_only = 1}, &ds), AX_ERR_INVALID_ARG,
              "features only, or a label");
    ax_optimizer_free(opt);
    ax_graph_free(g);
}

/* Only the columns asked for are read (a date column is never parsed);
 * a time series becomes sliding windows with the value `horizon` steps
 * after each window as its target. */
static void series_and_windows(void)
{
    const char *p = test_write_file("co2.csv", "Date,CO2,adj\n1958-03-01,10,1\n1958-04-01,11,2\n1958-05-01,12,3\n"
                                           "1958-06-01,13,4\n1958-07-01,14,5\n");
    ax_dataset *ds, *w;
    CHECK_ERR(ax_dataset_load_csv(p, &(ax_csv_options){.header = 1, .features_only = 1}, &ds), AX_ERR_FORMAT,
              "'1958-03-01' is not a number");
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){.header = 1, .features_only = 1, .columns = "adj,CO2"}, &ds));
    CHECK(ds && ds->n == 5 && ds->sample_size == 2 && ds->xf[0] == 10 && ds->xf[1] == 1 && ds->xf[9] == 5);
    /* windows of 2 steps, the CO2 (feature 0) two steps after the last */
    const int64_t co2 = 0;
    CHECK_OK(ax_dataset_windows(ds, 2, 2, &co2, 1, &w));
    CHECK(w && w->n == 2 && w->sample_ndim == 2 && w->sample_shape[0] == 2 && w->sample_shape[1] == 2);
    CHECK(w && w->xf[0] == 10 && w->xf[3] == 2 && w->targets[0] == 13 && w->targets[1] == 14 && w->xf[4] == 11);
    ax_dataset_free(w);
    CHECK_ERR(ax_dataset_windows(ds, 4, 2, &co2, 1, &w), AX_ERR_INVALID_ARG, "need more than the 5 steps");
    const int64_t bad = 2;
    CHECK_ERR(ax_dataset_windows(ds, 2, 1, &bad, 1, &w), AX_ERR_INVALID_ARG, "target column 2 is not one of the 2");
    ax_dataset_free(ds);
    /* a regression from chosen columns: the target must be one of them */
    CHECK_OK(ax_dataset_load_csv(p, &(ax_csv_options){.header = 1, .columns = "CO2,adj", .targets = "adj"}, &ds));
    CHECK(ds && ds->sample_size == 1 && ds->n_targets == 1 && ds->targets[4] == 5);
    ax_dataset_free(ds);
    CHECK_ERR(ax_dataset_load_csv(p, &(ax_csv_options){.header = 1, .columns = "CO2", .targets = "adj"}, &ds),
              AX_ERR_INVALID_ARG, "target column 'adj' is not among the columns read");
    CHECK_ERR(ax_dataset_load_csv(p, &(ax_csv_options){.header = 1, .columns = "CO2,CO2", .features_only = 1}, &ds),
              AX_ERR_INVALID_ARG, "named twice");
    CHECK_ERR(ax_dataset_load_csv(p, &(ax_csv_options){.header = 1, .columns = "CO3", .features_only = 1}, &ds),
              AX_ERR_INVALID_ARG, "CO3");
}

TEST_MAIN(T(reads_tables), T(malformed_tables), T(trains_a_regression_from_csv), T(features_only_tables),
          T(series_and_windows))
