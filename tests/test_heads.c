/* Models with several inputs and several heads: the scale op that weighs
 * a head's loss, data sets with named parts (C API and CSV), spec lines,
 * fit with per-head metrics and monitors, the CSV log, model files. */
#include "gradcheck.h"
#include "test.h"

#include <math.h>


static void scale_is_alpha_times_x(void)
{
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 3, 1);
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(3, 4));
    ax_node_set_requires_grad(x, 1);
    ax_attr alpha = AX_ATTR("alpha", -0.3);
    ax_node *y = ax_apply(g, "scale", &x, 1, &alpha, 1, NULL);
    CHECK_OK(ax_graph_compile(g));
    fill_uniform(x, &rng, -2, 2, 0);
    CHECK_OK(ax_graph_forward(g));
    int bad = 0;
    for (int i = 0; i < 12; i++)
        bad += ax_node_data(y)[i] != -0.3f * ax_node_data(x)[i];
    CHECK(bad == 0);
    CHECK(gradcheck(g, y, 100) == 0);
    ax_graph_free(g);
}

/* wide [n, 2], deep [n, 3]; targets: y (real) = 2 w0 - w1 + d0 d1, and a
 * class (3) by which of the deep features is largest */
static ax_dataset *two_part_data(int64_t n, uint64_t seed)
{
    ax_rng rng;
    ax_rng_seed(&rng, seed, 9);
    float *x = malloc((size_t)n * 5 * sizeof *x), *t = malloc((size_t)n * 2 * sizeof *t);
    for (int64_t i = 0; i < n; i++) {
        float *r = x + i * 5;
        for (int k = 0; k < 5; k++)
            r[k] = ax_rng_normal(&rng);
        t[i * 2] = 2 * r[0] - r[1] + r[2] * r[3];
        t[i * 2 + 1] = (float)(r[2] > r[3] ? (r[2] > r[4] ? 0 : 2) : (r[3] > r[4] ? 1 : 2));
    }
    ax_dataset *ds;
    CHECK_OK(ax_dataset_from_floats(x, n, 5, NULL, 0, t, 2, &ds));
    const ax_data_field in[2] = {{"wide", 0, 2, 1, {2}, 0}, {"deep", 2, 3, 1, {3}, 0}};
    const ax_data_field out[2] = {{"y", 0, 1, 1, {1}, 0}, {"kind", 1, 1, 1, {1}, 3}};
    CHECK_OK(ax_dataset_set_fields(ds, in, 2, out, 2));
    free(x);
    free(t);
    return ds;
}

static void named_parts_are_checked(void)
{
    ax_dataset *ds = two_part_data(10, 1);
    CHECK(ds->n_inputs == 2 && ds->n_outputs == 2 && ax_dataset_field(ds, 1, "kind")->n_classes == 3);
    CHECK(ax_dataset_field(ds, 0, "kind") == NULL && ax_dataset_field(ds, 0, "deep")->offset == 2);
    const ax_data_field gap[2] = {{"a", 0, 2, 1, {2}, 0}, {"b", 3, 2, 1, {2}, 0}};
    CHECK_ERR(ax_dataset_set_fields(ds, gap, 2, NULL, 0), AX_ERR_INVALID_ARG, "'b' must start at 2");
    const ax_data_field twice[2] = {{"a", 0, 2, 1, {2}, 0}, {"a", 2, 3, 1, {3}, 0}};
    CHECK_ERR(ax_dataset_set_fields(ds, twice, 2, NULL, 0), AX_ERR_INVALID_ARG, "two feature groups named 'a'");
    const ax_data_field shape[1] = {{"a", 0, 5, 2, {2, 2}, 0}};
    CHECK_ERR(ax_dataset_set_fields(ds, shape, 1, NULL, 0), AX_ERR_INVALID_ARG, "its shape must hold as many");
    const ax_data_field cls[2] = {{"y", 0, 1, 1, {1}, 2}, {"kind", 1, 1, 1, {1}, 3}};
    CHECK_ERR(ax_dataset_set_fields(ds, NULL, 0, cls, 2), AX_ERR_INVALID_ARG, "not a class in 0..1");
    /* a subset keeps the parts */
    ax_dataset *sub;
    CHECK_OK(ax_dataset_head(ds, 4, &sub));
    CHECK(sub->n == 4 && sub->n_inputs == 2 && !strcmp(sub->outputs[1].name, "kind"));
    ax_dataset_free(sub);
    ax_dataset_free(ds);
}

static void csv_columns_go_to_named_parts(void)
{
    const char *p = test_write_file("t.csv", "a,b,c,price,kind\n1,2,3,10.5,1\n4,5,6,20.5,0\n7,8,9,30.5,2\n");
    ax_dataset *ds = NULL;
    ax_csv_options o = {.header = -1, .fields = "input.wide=a,b:input.deep=b,c:target.price=price:label.kind=kind"};
    CHECK_OK(ax_dataset_load_csv(p, &o, &ds));
    if (ds) {
        /* features: wide (a, b) then deep (b, c), b in both; targets price then kind */
        const float want_x[12] = {1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9}, want_t[6] = {10.5f, 1, 20.5f, 0, 30.5f, 2};
        CHECK(ds->n == 3 && ds->sample_size == 4 && ds->n_targets == 2 && !ds->labels);
        CHECK(!memcmp(ds->xf, want_x, sizeof want_x) && !memcmp(ds->targets, want_t, sizeof want_t));
        CHECK(ds->n_inputs == 2 && ds->inputs[1].offset == 2 && ds->inputs[1].size == 2);
        CHECK(ds->n_outputs == 2 && ds->outputs[0].n_classes == 0 && ds->outputs[1].n_classes == 3);
        ax_dataset_free(ds);
    }
    o.fields = "input.x=a,c";
    CHECK_OK(ax_dataset_load_csv(p, &o, &ds)); /* features only: data to predict on */
    if (ds)
        CHECK(ds->sample_size == 2 && !ds->targets && ds->n_inputs == 1);
    ax_dataset_free(ds);
    const struct {
        const char *fields, *error;
    } bad[] = {
        {"input.x=a:target.y=a", "column 1 ('a') is both target 'y' and in input 'x'"},
        {"input.x=a:label.k=kind,price", "a label is one column"},
        {"input.x=a,a", "column 'a' twice in part 'x'"},
        {"input.x=zz", "no column 'zz'"},
        {"target.y=price", "no input.NAME=COLUMNS"},
        {"input.x=a:input.x=b", "two inputs named 'x'"},
        {"input.=a", "expected input.NAME=COLUMNS"},
        {"input.x=a:label.k=price", "label 10.5 is not a class"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.fields = bad[i].fields;
        CHECK_ERR(ax_dataset_load_csv(p, &o, &ds), AX_ERR_INVALID_ARG + (i == 7) * (AX_ERR_FORMAT - AX_ERR_INVALID_ARG),
                  bad[i].error);
    }
    o.fields = "input.x=a";
    o.label = "kind";
    CHECK_ERR(ax_dataset_load_csv(p, &o, &ds), AX_ERR_INVALID_ARG, "give them alone");
    const char *q = test_write_file("m.csv", "a,y\n1,2\nNA,3\n");
    CHECK_ERR(ax_dataset_load_csv(q, &(ax_csv_options){.header = -1, .fields = "input.x=a:target.y=y"}, &ds),
              AX_ERR_FORMAT, "1 missing value, the first on line 3, column 1 ('a')");
}

/* Train the spec's model with Adam at lr for `epochs` quiet epochs
 * (test: held out, or NULL); every epoch's log in hist. */
static void fit_adam(ax_model *m, float lr, const ax_dataset *train, const ax_dataset *test, int epochs, uint64_t seed,
                     ax_epoch_log *hist)
{
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    CHECK_OK(ax_optim_defaults("adam", &oc));
    oc.lr = lr;
    CHECK_OK(ax_optimizer_new("adam", &oc, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, m->graph));
    ax_fit_config c = ax_fit_defaults();
    c.epochs = epochs;
    c.seed = seed;
    c.verbosity = AX_QUIET;
    CHECK_OK(ax_fit(m, opt, train, test, &c, hist));
    ax_optimizer_free(opt);
}

static void data_sets_zip_into_parts(void)
{
    /* images (bytes, [3, 4], 4 classes) beside a side table of the same samples with a real target */
    ax_dataset *images = test_blobs(300, 4), *table, *both;
    images->sample_ndim = 2, images->sample_shape[0] = 3, images->sample_shape[1] = 4;
    float *x = malloc(300 * 2 * sizeof *x), *y = malloc(300 * sizeof *y);
    for (int i = 0; i < 300; i++) {
        x[2 * i] = (float)images->labels[i] + 0.5f * (float)(i % 3), x[2 * i + 1] = (float)(i % 7);
        y[i] = x[2 * i] - 2 * x[2 * i + 1];
    }
    CHECK_OK(ax_dataset_from_floats(x, 300, 2, NULL, 0, y, 1, &table));
    const ax_zip_part parts[2] = {{images, "image", "kind"}, {table, "side", "value"}};
    CHECK_OK(ax_dataset_zip(parts, 2, &both));
    if (both) {
        CHECK(both->n == 300 && both->sample_size == 14 && both->n_targets == 2 && !both->labels);
        CHECK(both->inputs[0].ndim == 2 && both->inputs[0].shape[0] == 3 && both->inputs[1].offset == 12);
        CHECK(both->outputs[0].n_classes == 4 && both->outputs[1].n_classes == 0);
        CHECK(both->xf[14 * 5 + 3] == images->x[12 * 5 + 3] * images->scale && both->xf[14 * 5 + 13] == x[11]);
        CHECK(both->targets[2 * 7] == (float)images->labels[7] && both->targets[2 * 7 + 1] == y[7]);
        /* a two-input, two-head model trains on it */
        ax_spec sp;
        CHECK_OK(ax_spec_build("input image 3 4\ninput side 2\ndense h inputs=image units=16 activation=relu\n"
                               "dense kind_out units=4\ndense value_out inputs=side units=1\n"
                               "loss kind softmax_cross_entropy inputs=kind_out\nloss value mse inputs=value_out\n",
                               "zip.spec", 32, 2, &sp));
        ax_model m = ax_spec_model(&sp);
        ax_epoch_log hist[30];
        fit_adam(&m, 0.02f, both, NULL, 30, 1, hist);
        /* the blobs are easy; the value is linear in the side table */
        CHECK(hist[29].train_heads[0].accuracy > 0.9 && hist[29].train_heads[1].loss < 0.05 * hist[0].train_heads[1].loss);
        ax_graph_free(sp.graph);
        ax_dataset_free(both);
    }
    ax_dataset *short_table;
    CHECK_OK(ax_dataset_head(table, 100, &short_table));
    const ax_zip_part bad[2] = {{images, "image", NULL}, {short_table, "side", NULL}};
    CHECK_ERR(ax_dataset_zip(bad, 2, &both), AX_ERR_INVALID_ARG, "part 1 ('side') holds another number of samples");
    const ax_zip_part no_target[1] = {{table, NULL, "value"}};
    CHECK_ERR(ax_dataset_zip(no_target, 1, &both), AX_ERR_INVALID_ARG, "no part gives features");
    ax_dataset_free(short_table);
    ax_dataset_free(table);
    ax_dataset_free(images);
    free(x);
    free(y);
}

static const char *spec_text = "input wide 2\n"
                               "input deep 3\n"
                               "dense h inputs=deep units=16 activation=tanh\n"
                               "concat j inputs=wide,h\n"
                               "dense y_out units=1\n"
                               "dense kind_out inputs=h units=3\n"
                               "loss y mse inputs=y_out\n"
                               "loss kind softmax_cross_entropy inputs=kind_out weight=0.5\n";

static void specs_declare_inputs_and_heads(void)
{
    ax_spec sp;
    CHECK_OK(ax_spec_build(spec_text, "wd.spec", 8, 1, &sp));
    CHECK(sp.n_inputs == 2 && sp.n_heads == 2 && sp.input == sp.inputs[0]);
    CHECK(!strcmp(ax_node_name(sp.inputs[1]), "deep") && !strcmp(sp.heads[1].name, "kind"));
    CHECK(!strcmp(ax_node_name(sp.heads[0].target), "y") && sp.heads[1].weight == 0.5f && sp.heads[1].classifier);
    CHECK(sp.output == sp.heads[0].output && sp.target == sp.heads[0].target && !sp.classifier);
    /* the total is the heads' weighted sum */
    ax_rng rng;
    ax_rng_seed(&rng, 5, 5);
    fill_uniform(sp.inputs[0], &rng, -1, 1, 0);
    fill_uniform(sp.inputs[1], &rng, -1, 1, 0);
    fill_uniform(sp.heads[0].target, &rng, -1, 1, 0);
    for (int i = 0; i < 8; i++)
        ax_node_data(sp.heads[1].target)[i] = (float)(i % 3);
    CHECK_OK(ax_graph_forward_to(sp.graph, sp.loss));
    const float total = ax_node_data(sp.loss)[0], a = ax_node_data(sp.heads[0].loss)[0],
                b = ax_node_data(sp.heads[1].loss)[0];
    CHECK_NEAR(total, a + 0.5f * b, 1e-6 * fabs(total));
    ax_graph_free(sp.graph);
    const struct {
        const char *text, *error;
    } bad[] = {
        {"input a 2\ninput b 3\ndense d inputs=a units=1\nloss mse\n", "s.spec:2:7: no layer reads the input 'b'"},
        {"input a 2\ndense d units=1\ndense e units=1\nloss mse\nloss mse\n", "s.spec:4:1: with several loss lines, each names its head"},
        {"input a 2\ndense d units=1\nloss d mse\n", "s.spec:3:6: the target 'd' needs a name of its own"},
        {"input a 2\ndense d units=1\nloss x mse target=a\n", "s.spec:3:12: the target 'a' needs a name of its own"},
        {"input a 2\ndense d units=1\nloss x mse\nloss x mse target=t\n", "s.spec:4:8: model: two heads named 'x'"},
        {"input a 2\ndense d units=2\ndense e units=1\nloss x mse inputs=d\nloss z mse target=x\n",
         "s.spec:5:12: the target 'x' is another head's, of another shape"},
        {"input a 2\ndense d units=1\nloss x mse weight=-1\n", "weight expects a number from 0 to 1e+06"},
        {"input a 2\ndense d units=1\nloss x mse\ndense e units=1\n", "s.spec:4:1: nothing but loss lines"},
        {"input a 2\ninput a 3\ndense d units=1\nloss mse\n", "s.spec:2:7: a layer named 'a' already exists"},
        {"input a 2\ndense d inputs= units=1\nloss mse\n", "s.spec:2:9: inputs= names no layer"},
        {"input a 2\ndense d units=1\nloss x mse inputs=,\n", "s.spec:3:12: inputs= names no layer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_ERR(ax_spec_build(bad[i].text, "s.spec", 4, 1, &sp), AX_ERR_FORMAT, bad[i].error);
    /* an auxiliary head may learn the main head's target */
    CHECK_OK(ax_spec_build("input a 4\ndense h units=3\ndense o units=3\nloss main softmax_cross_entropy target=label\n"
                           "loss aux softmax_cross_entropy inputs=h target=label weight=0.3\n", "s.spec", 4, 1, &sp));
    CHECK(sp.n_heads == 2 && sp.heads[0].target == sp.heads[1].target && !strcmp(ax_node_name(sp.target), "label"));
    ax_dataset *ds;
    CHECK_OK(ax_dataset_synthetic(40, 3, 4, 1, &ds)); /* plain labels feed the one target */
    ax_model m = ax_spec_model(&sp);
    ax_metrics sum, hm[AX_MAX_HEADS];
    CHECK_OK(ax_evaluate_heads(&m, ds, &sum, hm));
    CHECK_NEAR(sum.loss, hm[0].loss + 0.3 * hm[1].loss, 1e-6 * sum.loss);
    CHECK(hm[0].accuracy >= 0 && hm[1].accuracy >= 0);
    ax_dataset_free(ds);
    ax_graph_free(sp.graph);
}

/* Train the two-head model on the synthetic parts; the held-out metrics. */
static void train_two_heads(uint64_t seed, ax_epoch_log *last)
{
    ax_dataset *train = two_part_data(2000, seed), *test = two_part_data(500, seed + 100);
    ax_spec sp;
    CHECK_OK(ax_spec_build(spec_text, "wd.spec", 32, seed, &sp));
    ax_model m = ax_spec_model(&sp);
    ax_epoch_log hist[12];
    fit_adam(&m, 0.01f, train, test, 12, seed, hist);
    *last = hist[11];
    /* the held-out total is the weighted sum of the held-out head losses */
    CHECK_NEAR(last->test.loss, last->test_heads[0].loss + 0.5 * last->test_heads[1].loss, 1e-5 * last->test.loss);
    ax_metrics total, heads[AX_MAX_HEADS];
    CHECK_OK(ax_evaluate_heads(&m, test, &total, heads));
    CHECK(total.loss == last->test.loss && heads[1].accuracy == last->test_heads[1].accuracy);
    ax_graph_free(sp.graph);
    ax_dataset_free(train);
    ax_dataset_free(test);
}

static void fit_trains_every_head(void)
{
    /* over three seeds: the regression's held-out MSE well under the
     * target's variance (about 6), the classifier's accuracy well above
     * chance (1/3) */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        ax_epoch_log last;
        train_two_heads(seed, &last);
        CHECK(last.n_heads == 2 && isnan(last.test.accuracy));
        CHECK(last.test_heads[0].loss < 0.6 && isnan(last.test_heads[0].accuracy));
        CHECK(last.test_heads[1].accuracy > 0.85);
        if (getenv("AXON_TEST_VERBOSE") || last.test_heads[0].loss >= 0.6 || last.test_heads[1].accuracy <= 0.85)
            printf("  seed %llu: y mse %.4f, kind accuracy %.4f\n", (unsigned long long)seed, last.test_heads[0].loss,
                   last.test_heads[1].accuracy);
    }
    /* data missing a part, or holding the wrong kind, is refused by name */
    ax_spec sp;
    CHECK_OK(ax_spec_build(spec_text, "wd.spec", 32, 1, &sp));
    ax_model m = ax_spec_model(&sp);
    ax_dataset *ds = two_part_data(50, 1);
    ax_metrics mt;
    snprintf(ds->inputs[1].name, sizeof ds->inputs[1].name, "other");
    CHECK_ERR(ax_evaluate(&m, ds, &mt), AX_ERR_SHAPE, "the model's input 'deep' has no feature group of that name "
                                                      "in the data (the data has wide, other)");
    snprintf(ds->inputs[1].name, sizeof ds->inputs[1].name, "deep");
    ds->outputs[1].n_classes = 0;
    CHECK_ERR(ax_evaluate(&m, ds, &mt), AX_ERR_SHAPE, "head 'kind' takes class labels");
    ds->outputs[1].n_classes = 3;
    snprintf(ds->outputs[0].name, sizeof ds->outputs[0].name, "z");
    CHECK_ERR(ax_evaluate(&m, ds, &mt), AX_ERR_SHAPE, "head 'y' reads the target 'y'; the data has no target of that name");
    ax_dataset_free(ds);
    ax_graph_free(sp.graph);
}

static void monitors_logs_and_files_know_the_heads(void)
{
    ax_dataset *train = two_part_data(400, 7), *test = two_part_data(200, 8);
    ax_spec sp;
    CHECK_OK(ax_spec_build(spec_text, "wd.spec", 32, 7, &sp));
    ax_model m = ax_spec_model(&sp);
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("adam", NULL, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, sp.graph));
    char csv[128], svg[128];
    snprintf(csv, sizeof csv, "%s/log.csv", test_dir());
    snprintf(svg, sizeof svg, "%s/curves.svg", test_dir());
    ax_callback *cbs[4];
    /* a head's monitor: stop when kind's held-out accuracy stops rising */
    CHECK_OK(ax_early_stopping_new(AX_MONITOR_HEAD(AX_MONITOR_VAL_ACCURACY, 1), 0, 2, 1, &cbs[0]));
    CHECK_OK(ax_csv_logger_new(csv, &cbs[1]));
    CHECK_OK(ax_svg_curves_new(svg, &cbs[2]));
    CHECK_OK(ax_tensorboard_new(test_dir(), &cbs[3]));
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 30;
    c.verbosity = AX_QUIET;
    c.callbacks = cbs;
    c.n_callbacks = 4;
    ax_epoch_log hist[30];
    CHECK_OK(ax_fit(&m, opt, train, test, &c, hist));
    double best;
    const int at = ax_early_stopping_best(cbs[0], &best);
    CHECK(at >= 1 && best == hist[at - 1].test_heads[1].accuracy);
    CHECK(ax_monitor_value(AX_MONITOR_HEAD(AX_MONITOR_LOSS, 0), &hist[0]) == hist[0].train_heads[0].loss);
    CHECK(isnan(ax_monitor_value(AX_MONITOR_HEAD(AX_MONITOR_LOSS, 2), &hist[0])));
    char *text = NULL;
    size_t len;
    /* TensorBoard's tags: each head's, HEAD/loss ... (the strings sit in the protobuf records as they are) */
    CHECK_OK(ax_read_file(ax_tensorboard_path(cbs[3]), 1 << 20, &text, &len));
    int tags = 0;
    static const char *const want_tags[4] = {"y/loss", "y/val_loss", "kind/accuracy", "kind/val_accuracy"};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; text && i + strlen(want_tags[k]) <= len; i++)
            if (!memcmp(text + i, want_tags[k], strlen(want_tags[k]))) {
                tags++;
                break;
            }
    CHECK(tags == 4);
    ax_free(text);
    for (int k = 0; k < 4; k++)
        ax_callback_free(cbs[k]);
    CHECK_OK(ax_read_file(csv, 1 << 20, &text, &len));
    if (text) {
        CHECK(!strncmp(text, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,y_loss,y_accuracy,val_y_loss,"
                             "val_y_accuracy,kind_loss,kind_accuracy,val_kind_loss,val_kind_accuracy\n", 140));
        char want[64];
        snprintf(want, sizeof want, ",%.6g,", hist[0].test_heads[1].loss);
        CHECK(strstr(text, want) != NULL);
    }
    ax_free(text);
    CHECK_OK(ax_read_file(svg, 1 << 22, &text, &len));
    /* the total's loss, each head's losses, the classifier head's accuracy */
    CHECK(text && strstr(text, "each head") && strstr(text, "y held out") && strstr(text, "kind held out"));
    ax_free(text);
    /* a model file keeps the inputs and heads; the loaded model predicts the same bits */
    char path[128];
    snprintf(path, sizeof path, "%s/m.safetensors", test_dir());
    CHECK_OK(ax_save_model(path, &m, NULL, NULL, 0));
    ax_model back;
    CHECK_OK(ax_load_model(path, 32, &back));
    CHECK(back.n_inputs == 2 && back.n_heads == 2 && !strcmp(back.heads[1].name, "kind"));
    CHECK(back.heads[1].weight == 0.5f && back.heads[1].classifier && !back.heads[0].classifier);
    float *a = malloc(200 * 4 * sizeof *a), *b = malloc(200 * 4 * sizeof *b);
    CHECK_OK(ax_predict(&m, test, a));
    CHECK_OK(ax_predict(&back, test, b));
    CHECK(!memcmp(a, b, 200 * 4 * sizeof *a));
    /* each row: y, then kind's three scores: its class is the largest */
    ax_metrics hm[AX_MAX_HEADS], total;
    CHECK_OK(ax_evaluate_heads(&m, test, &total, hm));
    int64_t right = 0;
    for (int64_t i = 0; i < 200; i++) {
        const float *s = a + i * 4 + 1;
        const int best = s[1] > s[0] ? (s[2] > s[1] ? 2 : 1) : (s[2] > s[0] ? 2 : 0);
        right += best == (int)test->targets[i * 2 + 1];
    }
    CHECK_NEAR((double)right / 200, hm[1].accuracy, 1e-12);
    free(a);
    free(b);
    ax_graph_free(back.graph);
    ax_graph_free(sp.graph);
    ax_optimizer_free(opt);
    ax_dataset_free(train);
    ax_dataset_free(test);
}

/* A model of a graph and its output alone (saved without its loss)
 * predicts on data that carries answers, which are not read. */
static void predicting_needs_no_loss(void)
{
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(16, 12));
    ax_node *y = ax_dense(g, x, 4, NULL, AX_DEFAULT_INIT, &rng, "fc");
    CHECK_OK(ax_graph_compile(g));
    ax_model m = {.graph = g, .input = x, .output = y};
    ax_dataset *ds = test_blobs(40, 1);
    float out[40 * 4];
    CHECK_OK(ax_predict(&m, ds, out));
    ax_metrics mt;
    CHECK_ERR(ax_evaluate(&m, ds, &mt), AX_ERR_INVALID_ARG, "the model needs a graph, input, target, output and loss");
    ax_dataset_free(ds);
    ax_graph_free(g);
}

TEST_MAIN(T(scale_is_alpha_times_x), T(named_parts_are_checked), T(csv_columns_go_to_named_parts), T(data_sets_zip_into_parts),
          T(specs_declare_inputs_and_heads), T(fit_trains_every_head), T(monitors_logs_and_files_know_the_heads),
          T(predicting_needs_no_loss))
