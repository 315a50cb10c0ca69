/* The run logger (axon/train.h, src/train/run_log.c): what it writes
 * against what training computed, checked independently; that logging
 * leaves training's bits alone; resuming, failure status and bad
 * arguments. */
#include "test.h"
#include "train/histogram.h"

#include <cjson/cJSON.h>
#include <unistd.h>

static const char *SPEC = "input x 4\n"
                          "dense fc1 units=16 activation=relu\n"
                          "batchnorm bn\n"
                          "dropout drop rate=0.2\n"
                          "dense fc2 units=3\n"
                          "loss softmax_cross_entropy\n";

static char dir[64];

static const char *path_in(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static char *read_text(const char *path)
{
    char *text = NULL;
    size_t len;
    return ax_read_file(path, 1 << 26, &text, &len) == AX_OK ? text : NULL;
}

/* a .jsonl file's records as one JSON array */
static cJSON *read_lines(const char *path)
{
    char *text = read_text(path);
    cJSON *all = cJSON_CreateArray();
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
        cJSON_AddItemToArray(all, cJSON_Parse(line));
    ax_free(text);
    return all;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void histogram_by_hand(void)
{
    const float x[6] = {0, 1, 2, 3, NAN, INFINITY};
    ax_histogram h;
    ax_histogram_of(x, 6, 3, &h);
    /* bins [0,1) [1,2) [2,3]: 0 | 1 | 2, 3 */
    CHECK(h.n == 4 && h.nonfinite == 2 && h.counts[0] == 1 && h.counts[1] == 1 && h.counts[2] == 2);
    CHECK(h.min == 0 && h.max == 3 && h.lo == 0 && h.hi == 3 && h.sum == 6 && h.sum_squares == 14);
    const float same[3] = {5, 5, 5};
    ax_histogram_of(same, 3, 2, &h); /* a width of 1 around the value: [4.5, 5) [5, 5.5] */
    CHECK(h.lo == 4.5 && h.hi == 5.5 && h.counts[0] == 0 && h.counts[1] == 3 && h.min == 5 && h.max == 5);
    ax_histogram_of(x + 4, 2, 4, &h); /* nothing finite */
    CHECK(h.n == 0 && h.nonfinite == 2 && h.counts[0] == 0);
}

/* The gradient norm, computed by a hook of the test's own at the steps the
 * logger writes a line (it runs after the logger's grads_ready). */
typedef struct norms {
    int every;
    int64_t step;
    double values[256];
    int n;
} norms;

static ax_status own_norm(ax_callback *cb, ax_model *m, ax_step *st)
{
    (void)m;
    norms *k = cb->state;
    if (++k->step % k->every == 0 && k->n < 256) {
        double sq = 0;
        for (int64_t i = 0; i < st->grads.n; i++)
            sq += (double)st->grads.data[i] * st->grads.data[i];
        k->values[k->n++] = sqrt(sq);
    }
    return AX_OK;
}

typedef struct trained {
    ax_spec spec;
    ax_optimizer *opt;
    ax_epoch_log hist[4];
    float *params;
    int64_t n_params;
} trained;

/* 4 epochs of Adam on 240 samples (batches of 16: 15 steps an epoch),
 * with the run logger in `logdir` when it is not NULL. */
static void train(trained *t, ax_dataset *train_set, ax_dataset *test_set, const char *logdir, norms *k)
{
    memset(t, 0, sizeof *t);
    CHECK_OK(ax_spec_build(SPEC, "runlog.spec", 16, 7, &t->spec));
    ax_optim_config oc;
    CHECK_OK(ax_optim_defaults("adam", &oc));
    CHECK_OK(ax_optimizer_new("adam", &oc, &t->opt));
    CHECK_OK(ax_optimizer_add_graph(t->opt, t->spec.graph));
    ax_model m = ax_spec_model(&t->spec);
    ax_callback *cbs[2] = {NULL, NULL};
    int n = 0;
    if (logdir) {
        ax_run_layer layers[8];
        for (int i = 0; i < t->spec.n_layers; i++)
            layers[i] = (ax_run_layer){t->spec.layers[i].name, t->spec.layers[i].type, t->spec.layers[i].output};
        ax_run_options o = ax_run_defaults();
        o.config_json = "{\"spec\": \"runlog.spec\", \"seed\": 7}";
        o.optimizer = t->opt;
        o.layers = layers;
        o.n_layers = t->spec.n_layers;
        o.scalar_every = 4;
        o.histogram_every = 6; /* 60 steps in all: the last record is the last step's */
        CHECK_OK(ax_run_log_new(logdir, &m, &o, &cbs[n++]));
    }
    ax_callback own = {.name = "norms", .state = k, .grads_ready = own_norm};
    if (k)
        cbs[n++] = &own;
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 4;
    c.seed = 3;
    c.verbosity = AX_QUIET;
    c.callbacks = cbs;
    c.n_callbacks = n;
    CHECK_OK(ax_fit(&m, t->opt, train_set, test_set, &c, t->hist));
    if (logdir)
        ax_callback_free(cbs[0]);
    const ax_span p = ax_graph_param_span(t->spec.graph);
    t->n_params = p.n;
    t->params = malloc((size_t)p.n * sizeof(float));
    memcpy(t->params, p.data, (size_t)p.n * sizeof(float));
}

static void untrain(trained *t)
{
    ax_optimizer_free(t->opt);
    ax_graph_free(t->spec.graph);
    free(t->params);
}

static void logs_match_training(void)
{
    ax_dataset *all, *train_set, *test_set;
    CHECK_OK(ax_dataset_synthetic(300, 3, 4, 5, &all));
    CHECK_OK(ax_dataset_split(all, 0.2, 0, 9, &train_set, &test_set));
    trained plain, logged;
    norms k = {.every = 4};
    train(&plain, train_set, test_set, NULL, NULL);
    train(&logged, train_set, test_set, dir, &k);
    /* logging changes nothing training computes: the same bits */
    CHECK(plain.n_params == logged.n_params &&
          !memcmp(plain.params, logged.params, (size_t)plain.n_params * sizeof(float)));
    for (int e = 0; e < 4; e++)
        CHECK(plain.hist[e].train.loss == logged.hist[e].train.loss && plain.hist[e].test.loss == logged.hist[e].test.loss);

    /* epochs.jsonl: the history, figure for figure */
    cJSON *epochs = read_lines(path_in("epochs.jsonl"));
    CHECK(cJSON_GetArraySize(epochs) == 4);
    for (int e = 0; e < 4 && e < cJSON_GetArraySize(epochs); e++) {
        const cJSON *o = cJSON_GetArrayItem(epochs, e);
        CHECK(num(o, "epoch") == e + 1 && num(o, "step") == 15 * (e + 1));
        CHECK(num(o, "loss") == logged.hist[e].train.loss && num(o, "val_loss") == logged.hist[e].test.loss);
        CHECK(num(o, "accuracy") == logged.hist[e].train.accuracy &&
              num(o, "val_accuracy") == logged.hist[e].test.accuracy);
    }
    /* steps.jsonl: a line every 4 steps, the gradient norm the test computed itself */
    cJSON *steps = read_lines(path_in("steps.jsonl"));
    CHECK(cJSON_GetArraySize(steps) == 15 && k.n == 15);
    for (int i = 0; i < cJSON_GetArraySize(steps) && i < k.n; i++) {
        const cJSON *o = cJSON_GetArrayItem(steps, i);
        CHECK(num(o, "step") == 4 * (i + 1));
        CHECK_NEAR(num(o, "grad_norm"), k.values[i], 1e-12 * k.values[i]);
        CHECK(num(o, "loss") > 0 && num(o, "lr") > 0 && num(o, "step_ms") >= 0 && num(o, "samples_per_second") > 0);
    }
    /* histograms.jsonl: every 6 steps; the last one's weights are the trained ones */
    cJSON *hists = read_lines(path_in("histograms.jsonl"));
    CHECK(cJSON_GetArraySize(hists) == 10);
    const cJSON *last = cJSON_GetArrayItem(hists, cJSON_GetArraySize(hists) - 1);
    CHECK(num(last, "step") == 60);
    int weights = 0, grads = 0, acts = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(last, "tensors"))
    {
        const char *kind = cJSON_GetObjectItem(t, "kind")->valuestring, *name = cJSON_GetObjectItem(t, "name")->valuestring;
        int64_t total = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(t, "counts")) total += (int64_t)c->valuedouble;
        CHECK(total == (int64_t)num(t, "n"));
        if (!strcmp(kind, "weight")) {
            weights++;
            ax_node *p = ax_graph_find(logged.spec.graph, name);
            CHECK(p != NULL);
            const float *v = logged.params + ax_node_span_offset(p);
            float lo = v[0], hi = v[0];
            for (int64_t i = 0; i < ax_node_numel(p); i++)
                lo = v[i] < lo ? v[i] : lo, hi = v[i] > hi ? v[i] : hi;
            /* floats are written with 9 digits: they read back as the same float */
            CHECK(num(t, "n") == ax_node_numel(p) && (float)num(t, "min") == lo && (float)num(t, "max") == hi);
        } else if (!strcmp(kind, "gradient"))
            grads++;
        else {
            acts++;
            if (!strcmp(name, "fc1")) /* 16 rows of the last batch, 16 units */
                CHECK(num(t, "n") == 16 * 16);
        }
    }
    CHECK(weights == 6 && grads == 6 && acts == 5); /* fc1, bn, fc2: weight and bias; 5 layers */
    /* confusion.json: the final model's matrix on the held-out data */
    ax_confusion *c;
    ax_model m = ax_spec_model(&logged.spec);
    CHECK_OK(ax_evaluate_confusion(&m, test_set, &c));
    char *text = read_text(path_in("confusion.json"));
    cJSON *conf = cJSON_Parse(text);
    CHECK(conf && num(conf, "classes") == 3 && num(conf, "total") == c->total && num(conf, "epoch") == 4);
    const cJSON *rows = cJSON_GetObjectItem(conf, "counts");
    for (int r = 0; r < 3; r++)
        for (int p = 0; p < 3; p++)
            CHECK(cJSON_GetArrayItem(cJSON_GetArrayItem(rows, r), p)->valuedouble == (double)c->counts[r * 3 + p]);
    /* run.json: finished, with the model's layers and parameter count */
    char *rt = read_text(path_in("run.json"));
    cJSON *run = cJSON_Parse(rt);
    CHECK(run && !strcmp(cJSON_GetObjectItem(run, "status")->valuestring, "finished"));
    CHECK(num(run, "epochs_run") == 4 && num(run, "steps") == 60);
    const cJSON *model = cJSON_GetObjectItem(run, "model");
    CHECK(num(model, "params") == (double)ax_graph_param_count(logged.spec.graph) - 2 * 16 /* bn's running stats */);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(model, "layers")) == 5 &&
          cJSON_GetArraySize(cJSON_GetObjectItem(model, "nodes")) == ax_graph_num_nodes(logged.spec.graph));
    CHECK(num(cJSON_GetObjectItem(run, "config"), "seed") == 7);
    ax_free(rt);
    cJSON_Delete(run);
    ax_free(text);
    cJSON_Delete(conf);
    ax_confusion_free(c);
    cJSON_Delete(epochs);
    cJSON_Delete(steps);
    cJSON_Delete(hists);
    untrain(&plain);
    untrain(&logged);
    ax_dataset_free(all);
    ax_dataset_free(train_set);
    ax_dataset_free(test_set);
}

/* A resumed run adds to the logs, its steps going on; a logger freed
 * before the end of training leaves status "stopped". */
static void resume_and_stop(void)
{
    ax_dataset *ds;
    CHECK_OK(ax_dataset_synthetic(64, 3, 4, 2, &ds));
    ax_spec spec;
    CHECK_OK(ax_spec_build(SPEC, "runlog.spec", 16, 7, &spec));
    ax_model m = ax_spec_model(&spec);
    ax_optimizer *opt;
    ax_optim_config oc;
    CHECK_OK(ax_optim_defaults("sgd", &oc));
    CHECK_OK(ax_optimizer_new("sgd", &oc, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, spec.graph));
    char sub[128];
    snprintf(sub, sizeof sub, "%s/resumed/run", dir); /* parents made too */
    for (int round = 0; round < 2; round++) {
        ax_run_options o = ax_run_defaults();
        o.scalar_every = 1;
        o.append = round;
        o.first_step = round * 8;
        ax_callback *cb;
        CHECK_OK(ax_run_log_new(sub, &m, &o, &cb));
        ax_fit_config c = ax_fit_defaults();
        c.epochs = 2 * (round + 1);
        c.initial_epoch = 2 * round;
        c.verbosity = AX_QUIET;
        c.callbacks = &cb;
        c.n_callbacks = 1;
        CHECK_OK(ax_fit(&m, opt, ds, NULL, &c, NULL));
        ax_callback_free(cb);
    }
    char path[256];
    snprintf(path, sizeof path, "%s/steps.jsonl", sub);
    cJSON *steps = read_lines(path);
    CHECK(cJSON_GetArraySize(steps) == 16);
    for (int i = 0; i < cJSON_GetArraySize(steps); i++)
        CHECK(num(cJSON_GetArrayItem(steps, i), "step") == i + 1);
    snprintf(path, sizeof path, "%s/epochs.jsonl", sub);
    cJSON *epochs = read_lines(path);
    CHECK(cJSON_GetArraySize(epochs) == 4 && num(cJSON_GetArrayItem(epochs, 3), "epoch") == 4);
    cJSON_Delete(steps);
    cJSON_Delete(epochs);
    /* freed without training to the end */
    ax_callback *cb;
    CHECK_OK(ax_run_log_new(sub, &m, NULL, &cb));
    ax_callback_free(cb);
    snprintf(path, sizeof path, "%s/run.json", sub);
    char *text = read_text(path);
    cJSON *run = cJSON_Parse(text);
    CHECK(run && !strcmp(cJSON_GetObjectItem(run, "status")->valuestring, "stopped"));
    cJSON_Delete(run);
    ax_free(text);
    ax_optimizer_free(opt);
    ax_graph_free(spec.graph);
    ax_dataset_free(ds);
}

static void bad_arguments(void)
{
    ax_spec spec;
    CHECK_OK(ax_spec_build(SPEC, "runlog.spec", 16, 7, &spec));
    ax_model m = ax_spec_model(&spec);
    ax_callback *cb = (ax_callback *)1;
    FILE *f = fopen(path_in("a_file"), "w");
    fclose(f);
    CHECK_ERR(ax_run_log_new(path_in("a_file"), &m, NULL, &cb), AX_ERR_IO, "a_file: exists and is not a folder");
    CHECK(cb == NULL);
    CHECK_ERR(ax_run_log_new(path_in("a_file/run"), &m, NULL, &cb), AX_ERR_IO, "not a folder");
    ax_run_options o = ax_run_defaults();
    o.bins = 0;
    CHECK_ERR(ax_run_log_new(path_in("x"), &m, &o, &cb), AX_ERR_INVALID_ARG, "bins must be 1..64");
    o = ax_run_defaults();
    o.config_json = "{not json";
    CHECK_ERR(ax_run_log_new(path_in("x"), &m, &o, &cb), AX_ERR_INVALID_ARG, "config is not JSON");
    o = ax_run_defaults();
    o.n_layers = 1;
    o.layers = (ax_run_layer[]){{"fc1", "dense", NULL}};
    CHECK_ERR(ax_run_log_new(path_in("x"), &m, &o, &cb), AX_ERR_INVALID_ARG, "layer 0 needs a name and an output");
    ax_graph_free(spec.graph);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/axon_runlog_%d", (int)getpid());
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    CHECK(system(cmd) == 0);
}

static void histogram_and_setup(void)
{
    setup();
    histogram_by_hand();
}

TEST_MAIN(T(histogram_and_setup), T(logs_match_training), T(resume_and_stop), T(bad_arguments))
