/* safetensors: round trips, partial loads, every malformed file refused
 * without touching the model, atomic saves under SIGKILL, checkpoints. */
#include "test.h"

#include <cjson/cJSON.h>

#include <signal.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static const char *path_in(const char *name)
{
    static char p[16][256];
    static int k;
    k = (k + 1) % 16;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

/* dense 6 -> 5 -> batch norm -> dense 3, weights from seed */
static ax_graph *model(uint64_t seed, int64_t hidden)
{
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, seed, 1);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(4, 6));
    ax_node *h = ax_batch_norm_layer(g, ax_dense(g, x, hidden, "relu", AX_DEFAULT_INIT, &rng, "fc1"), 0, 0, "bn");
    ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    ax_graph_compile(g);
    for (int i = 0; i < ax_graph_num_params(g); i++) /* buffers and biases too */
        for (int64_t k = 0; k < ax_node_numel(ax_graph_param(g, i)); k++)
            ax_node_data(ax_graph_param(g, i))[k] += ax_rng_uniform(&rng);
    return g;
}

static int same_params(ax_graph *a, ax_graph *b)
{
    for (int i = 0; i < ax_graph_num_params(a); i++) {
        ax_node *p = ax_graph_param(a, i), *q = ax_graph_param(b, i);
        if (memcmp(ax_node_data(p), ax_node_data(q), (size_t)ax_node_numel(p) * sizeof(float)))
            return 0;
    }
    return 1;
}

static void round_trip(void)
{
    snprintf(dir, sizeof dir, "/tmp/axon-st-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    ax_graph *a = model(1, 5), *b = model(2, 5), *c = model(3, 7);
    const char *keys[2] = {"spec", "note"}, *vals[2] = {"dense 5 relu", "hello \"world\""};
    CHECK_OK(ax_save_safetensors(path_in("m.safetensors"), a, keys, vals, 2));
    CHECK(!same_params(a, b));
    int n = 0;
    CHECK_OK(ax_load_safetensors(path_in("m.safetensors"), b, 1, &n));
    CHECK(n == 8 && same_params(a, b)); /* 2 dense x 2 + gamma, beta, running mean, var */
    char *v;
    CHECK_OK(ax_safetensors_metadata(path_in("m.safetensors"), "note", &v));
    CHECK(v && !strcmp(v, "hello \"world\""));
    ax_free(v);
    /* another width: strict refuses, partial loads what fits (fc2.bias only) */
    CHECK_ERR(ax_load_safetensors(path_in("m.safetensors"), c, 1, &n), AX_ERR_SHAPE, "'fc1.weight' has another shape");
    CHECK_OK(ax_load_safetensors(path_in("m.safetensors"), c, 0, &n));
    CHECK(n == 1);
    CHECK(!memcmp(ax_node_data(ax_graph_find(c, "fc2.bias")), ax_node_data(ax_graph_find(a, "fc2.bias")), 3 * sizeof(float)));
    ax_graph_free(a);
    ax_graph_free(b);
    ax_graph_free(c);
}

/* A file: header JSON and data bytes as given. */
static const char *raw(const char *name, const char *json, size_t data_len, int64_t claimed)
{
    const char *p = path_in(name);
    FILE *f = fopen(p, "wb");
    uint64_t n = claimed >= 0 ? (uint64_t)claimed : strlen(json);
    for (int b = 0; b < 8; b++)
        fputc((int)(n >> (8 * b)) & 0xff, f);
    fputs(json, f);
    for (size_t i = 0; i < data_len; i++)
        fputc(0, f);
    fclose(f);
    return p;
}

/* A file: header JSON and the given data bytes. */
static const char *with_data(const char *name, const char *json, const void *data, size_t len)
{
    const char *p = path_in(name);
    FILE *f = fopen(p, "wb");
    uint64_t n = strlen(json);
    for (int b = 0; b < 8; b++)
        fputc((int)(n >> (8 * b)) & 0xff, f);
    fputs(json, f);
    fwrite(data, 1, len, f);
    fclose(f);
    return p;
}

static void malformed_files(void)
{
    ax_graph *g = model(5, 5), *ref = model(5, 5);
    const char *t1 = "\"fc2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}";
    char json[512];
    typedef struct bad_file {
        const char *name, *needle, *p;
    } bad_file;
    bad_file cases[16];
    int k = 0;
    const char *p = path_in("short");
    FILE *f = fopen(p, "wb");
    fputs("abc", f);
    fclose(f);
    cases[k++] = (bad_file){"short", "too short for the 8-byte header length", p};
    cases[k++] = (bad_file){"long", "byte 0: header length 999999", raw("long", "{}", 0, 999999)};
    cases[k++] = (bad_file){"json", "the header is not a JSON object", raw("json", "{\"a\": [1,", 0, -1)};
    snprintf(json, sizeof json, "{%s}", "\"x\":{\"dtype\":\"Q4\",\"shape\":[3],\"data_offsets\":[0,6]}");
    cases[k++] = (bad_file){"dtype", "tensor 'x': unknown dtype Q4", raw("dtype", json, 6, -1)};
    snprintf(json, sizeof json, "{%s}", "\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}");
    cases[k++] = (bad_file){"size", "must hold 3 values of F32 (12 bytes)", raw("size", json, 8, -1)};
    snprintf(json, sizeof json, "{%s,%s}", t1, "\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}");
    cases[k++] = (bad_file){"overlap", "starts at data byte 8, expected 12 (it overlaps another)", raw("overlap", json, 16, -1)};
    snprintf(json, sizeof json, "{%s}", t1);
    cases[k++] = (bad_file){"extra", "the tensors cover 12 of the 20 data bytes", raw("extra", json, 20, -1)};
    snprintf(json, sizeof json, "{%s}", "\"x\":{\"dtype\":\"F32\",\"shape\":[-3],\"data_offsets\":[0,0]}");
    cases[k++] = (bad_file){"neg", "a dimension is not a whole number from 0 to 2^40", raw("neg", json, 0, -1)};
    /* 1e300 would be cast to int64 (undefined); then offsets far past the data */
    snprintf(json, sizeof json, "{%s}", "\"x\":{\"dtype\":\"F32\",\"shape\":[1e300],\"data_offsets\":[0,0]}");
    cases[k++] = (bad_file){"huge", "a dimension is not a whole number from 0 to 2^40", raw("huge", json, 0, -1)};
    snprintf(json, sizeof json, "{%s}", "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1e300,1e300]}");
    cases[k++] = (bad_file){"far", "data_offsets", raw("far", json, 4, -1)};
    /* a duplicate name: Python's json takes the last, cJSON the first */
    snprintf(json, sizeof json, "{%s,%s}", t1, "\"fc2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[12,24]}");
    cases[k++] = (bad_file){"twice", "tensor 'fc2.bias' appears twice in the header", raw("twice", json, 24, -1)};
    /* something after the header's JSON object */
    snprintf(json, sizeof json, "{%s}xyz", t1);
    cases[k++] = (bad_file){"trailing", "bytes after the header's JSON object", raw("trailing", json, 12, -1)};
    snprintf(json, sizeof json, "{%s}", t1);
    cases[k++] = (bad_file){"missing", "no tensor 'fc1.weight'", raw("missing", json, 12, -1)};
    for (int i = 0; i < k; i++) {
        int n = -1;
        ax_status s = ax_load_safetensors(cases[i].p, g, 1, &n);
        if (s == AX_OK || !strstr(ax_last_error(), cases[i].needle) || !strstr(ax_last_error(), cases[i].p)) {
            printf("  %s: \"%s\", expected \"%s\"\n", cases[i].name, ax_last_error(), cases[i].needle);
            test_failures++;
        }
        CHECK(n == 0);
    }
    CHECK(same_params(g, ref)); /* nothing was changed by any of them */
    ax_graph_free(g);
    ax_graph_free(ref);
}

static void saves_survive_sigkill(void)
{
    /* A child saves models A and B in turn as fast as it can; killed at a
     * random moment, it leaves a file that loads, and is all A or all B. */
    ax_graph *a = model(7, 400), *b = model(8, 400), *probe = model(9, 400);
    const char *p = path_in("kill.safetensors");
    CHECK_OK(ax_save_safetensors(p, a, NULL, NULL, 0));
    ax_rng rng;
    ax_rng_seed(&rng, 77, 1);
    for (int round = 0; round < 6; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0;; i++)
                ax_save_safetensors(p, i % 2 ? a : b, NULL, NULL, 0);
        }
        struct timespec wait = {0, (long)(2 + ax_rng_below(&rng, 30)) * 1000000L};
        nanosleep(&wait, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        CHECK_OK(ax_load_safetensors(p, probe, 1, NULL));
        CHECK(same_params(probe, a) || same_params(probe, b));
    }
    /* a killed save's temporary file (one made here for certain, as a
     * process that has exited would leave it) goes at the next save */
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    char stale[512], cmd[1024];
    snprintf(stale, sizeof stale, "%s.tmp.%ld", p, (long)gone);
    FILE *f = fopen(stale, "wb");
    fputs("half a model", f);
    fclose(f);
    CHECK_OK(ax_save_safetensors(p, a, NULL, NULL, 0));
    snprintf(cmd, sizeof cmd, "ls %s.tmp.* > /dev/null 2>&1", p);
    CHECK(system(cmd) != 0); /* none left */
    ax_graph_free(a);
    ax_graph_free(b);
    ax_graph_free(probe);
}

static void checkpoints_keep_the_best(void)
{
    ax_dataset *all, *train, *val;
    CHECK_OK(ax_dataset_synthetic(200, 3, 6, 4, &all));
    CHECK_OK(ax_dataset_split(all, 0.3, 1, 1, &train, &val));
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 3, 3);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(10, 6)), *y = ax_input(g, "y", ax_shape1(10));
    ax_node *logits = ax_dense(g, x, 3, NULL, AX_DEFAULT_INIT, &rng, "fc");
    ax_model m = {.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)};
    CHECK_OK(ax_graph_compile(g));
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.5f}, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, g));
    ax_callback *ck;
    CHECK_OK(ax_checkpoint_new(path_in("best.safetensors"), path_in("last.safetensors"), AX_MONITOR_VAL_LOSS, &ck));
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 8;
    c.verbosity = AX_QUIET;
    c.callbacks = &ck;
    c.n_callbacks = 1;
    ax_epoch_log h[8];
    CHECK_OK(ax_fit(&m, opt, train, val, &c, h));
    int best = 0;
    for (int e = 1; e < 8; e++)
        best = h[e].test.loss < h[best].test.loss ? e : best;
    char *epoch, *last_epoch;
    CHECK_OK(ax_safetensors_metadata(path_in("best.safetensors"), "epoch", &epoch));
    CHECK_OK(ax_safetensors_metadata(path_in("last.safetensors"), "epoch", &last_epoch));
    CHECK(epoch && atoi(epoch) == best + 1);
    CHECK(last_epoch && atoi(last_epoch) == 8);
    /* the best file reproduces the best epoch's held-out loss */
    CHECK_OK(ax_load_safetensors(path_in("best.safetensors"), g, 1, NULL));
    ax_metrics mt;
    CHECK_OK(ax_evaluate(&m, val, &mt));
    CHECK(mt.loss == h[best].test.loss);
    ax_free(epoch);
    ax_free(last_epoch);
    ax_callback_free(ck);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    ax_dataset_free(all);
    ax_dataset_free(train);
    ax_dataset_free(val);
}

/* N epochs straight, and N/2 + save + a fresh process's worth of objects +
 * resume + N/2, give the same bits (Adam, dropout, batch norm). */
static void resume_continues_exactly(void)
{
    ax_dataset *ds;
    CHECK_OK(ax_dataset_synthetic(160, 3, 6, 8, &ds));
    float *weights[2] = {0};
    for (int way = 0; way < 2; way++) {
        ax_graph *g = NULL;
        ax_optimizer *opt = NULL;
        ax_model m;
        for (int part = 0; part < (way ? 2 : 1); part++) {
            ax_rng rng;
            ax_rng_seed(&rng, 4, 4);
            ax_graph_new(&g);
            ax_graph_seed(g, 9);
            ax_node *x = ax_input(g, "x", ax_shape2(16, 6)), *y = ax_input(g, "y", ax_shape1(16));
            ax_node *h = ax_dropout(g, ax_dense(g, x, 12, "relu", AX_DEFAULT_INIT, &rng, "fc1"), 0.3f);
            h = ax_batch_norm_layer(g, h, 0, 0, "bn");
            ax_node *logits = ax_dense(g, h, 3, NULL, AX_DEFAULT_INIT, &rng, "fc2");
            m = (ax_model){.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)};
            CHECK_OK(ax_graph_compile(g));
            CHECK_OK(ax_optimizer_new("adam", NULL, &opt));
            CHECK_OK(ax_optimizer_add_graph(opt, g));
            ax_fit_config c = ax_fit_defaults();
            c.verbosity = AX_QUIET;
            c.seed = 21;
            c.augment = NULL;
            if (way == 0)
                c.epochs = 4;
            else if (part == 0)
                c.epochs = 2;
            else {
                int done = -1;
                CHECK_OK(ax_load_training_state(path_in("state.safetensors"), g, opt, &done));
                CHECK(done == 2);
                c.epochs = 4, c.initial_epoch = done;
            }
            CHECK_OK(ax_fit(&m, opt, ds, NULL, &c, NULL));
            if (way == 1 && part == 0) {
                CHECK_OK(ax_save_training_state(path_in("state.safetensors"), g, opt, 2));
                ax_optimizer_free(opt);
                ax_graph_free(g);
            }
        }
        int64_t total = 0;
        for (int i = 0; i < ax_graph_num_params(g); i++)
            total += ax_node_numel(ax_graph_param(g, i));
        weights[way] = malloc((size_t)total * sizeof(float));
        for (int i = 0, at = 0; i < ax_graph_num_params(g); i++) {
            ax_node *p = ax_graph_param(g, i);
            memcpy(weights[way] + at, ax_node_data(p), (size_t)ax_node_numel(p) * sizeof(float));
            at += (int)ax_node_numel(p);
        }
        if (way == 1)
            CHECK(!memcmp(weights[0], weights[1], (size_t)total * sizeof(float)));
        ax_optimizer_free(opt);
        ax_graph_free(g);
    }
    free(weights[0]);
    free(weights[1]);
    ax_dataset_free(ds);
    /* the wrong optimizer is refused */
    ax_graph *g;
    ax_optimizer *sgd;
    ax_graph_new(&g);
    ax_optimizer_new("sgd", NULL, &sgd);
    int done;
    CHECK_ERR(ax_load_training_state(path_in("state.safetensors"), g, sgd, &done), AX_ERR_INVALID_ARG,
              "saved with optimizer adam, resuming with sgd");
    ax_optimizer_free(sgd);
    ax_graph_free(g);
}

/* What a PyTorch state dict saved with safetensors holds beside F32:
 * half, bfloat16 and double weights, and batch norm's num_batches_tracked
 * as I64. The floats convert; the I64 stays in the file. */
static void pytorch_dtypes_convert(void)
{
    /* fc2.bias = {1.5, -2, 0.25} in each float dtype (little-endian bytes) */
    const unsigned char f16[6] = {0x00, 0x3e, 0x00, 0xc0, 0x00, 0x34};
    const unsigned char bf16[6] = {0xc0, 0x3f, 0x00, 0xc0, 0x80, 0x3e};
    unsigned char f64[24];
    const double dv[3] = {1.5, -2, 0.25};
    memcpy(f64, dv, sizeof f64);
    const unsigned char i64[8] = {42, 0, 0, 0, 0, 0, 0, 0};
    const struct {
        const char *dtype;
        const unsigned char *bytes;
        int len;
    } cases[3] = {{"F16", f16, 6}, {"BF16", bf16, 6}, {"F64", f64, 24}};
    for (int c = 0; c < 3; c++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"fc2.bias\":{\"dtype\":\"%s\",\"shape\":[3],\"data_offsets\":[0,%d]},"
                 "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[%d,%d]}}",
                 cases[c].dtype, cases[c].len, cases[c].len, cases[c].len + 8);
        unsigned char data[32];
        memcpy(data, cases[c].bytes, (size_t)cases[c].len);
        memcpy(data + cases[c].len, i64, sizeof i64);
        const char *p = with_data("torch.safetensors", json, data, (size_t)cases[c].len + sizeof i64);
        ax_graph *g = model(5, 5);
        int loaded = -1;
        CHECK_OK(ax_load_safetensors(p, g, 0, &loaded));
        const float *bias = ax_node_data(ax_graph_find(g, "fc2.bias"));
        CHECK(loaded == 1 && bias[0] == 1.5f && bias[1] == -2.0f && bias[2] == 0.25f);
        ax_st_file *st;
        CHECK_OK(ax_st_open(p, &st));
        CHECK(st && ax_st_count(st) == 2);
        ax_st_close(st);
        ax_graph_free(g);
    }
    /* a NaN weight: refused before anything is loaded */
    {
        const char *json = "{\"fc1.bias\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                           "\"fc2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}";
        const float vals[4] = {7, 1, NAN, 2};
        const char *p = with_data("nan.safetensors", json, vals, sizeof vals);
        ax_graph *g = model(5, 1), *ref = model(5, 1);
        CHECK_ERR(ax_load_safetensors(p, g, 0, NULL), AX_ERR_NUMERIC, "tensor 'fc2.bias' holds NaN at index 1");
        CHECK(same_params(g, ref));
        ax_graph_free(g);
        ax_graph_free(ref);
    }
    /* an integer tensor where the model wants floats */
    const char *json = "{\"fc2.bias\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]}}";
    ax_graph *g = model(5, 5);
    CHECK_ERR(ax_load_safetensors(raw("int", json, 24, -1), g, 0, NULL), AX_ERR_FORMAT,
              "tensor 'fc2.bias' holds I64 values; the model's parameter needs floats");
    ax_graph_free(g);
}

/* A copy of the file at `from` with metadata `key` set to `value`. */
static const char *edit_metadata(const char *from, const char *name, const char *key, const char *value)
{
    FILE *f = fopen(from, "rb");
    static unsigned char buf[1 << 20];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    uint64_t n = 0;
    for (int b = 0; b < 8; b++)
        n |= (uint64_t)buf[b] << (8 * b);
    cJSON *h = cJSON_ParseWithLength((const char *)buf + 8, (size_t)n);
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(h, "__metadata__");
    cJSON_ReplaceItemInObjectCaseSensitive(meta, key, cJSON_CreateString(value));
    char *json = cJSON_PrintUnformatted(h);
    const char *p = path_in(name);
    FILE *o = fopen(p, "wb");
    uint64_t m = strlen(json);
    for (int b = 0; b < 8; b++)
        fputc((int)(m >> (8 * b)) & 0xff, o);
    fputs(json, o);
    fwrite(buf + 8 + n, 1, len - 8 - (size_t)n, o);
    fclose(o);
    cJSON_free(json);
    cJSON_Delete(h);
    return p;
}

/* A training state edited by hand: each bad number is refused. */
static void edited_training_states(void)
{
    ax_graph *g = model(5, 5);
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("adam", NULL, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, g));
    const char *good = path_in("good.state");
    CHECK_OK(ax_save_training_state(good, g, opt, 3));
    int done = -1;
    CHECK_OK(ax_load_training_state(good, g, opt, &done));
    CHECK(done == 3);
    const struct {
        const char *key, *value, *needle;
    } cases[] = {{"epochs_done", "abc", "epochs_done 'abc'"},
                 {"epochs_done", "-1", "epochs_done '-1'"},
                 {"epochs_done", "99999999999", "epochs_done '99999999999'"},
                 {"optimizer_step", "-99", "optimizer_step '-99'"},
                 {"graph_rng", "12:zz", "graph_rng '12:zz'"},
                 {"aux0", "nan", "aux0 'nan' is not a finite number"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_ERR(ax_load_training_state(edit_metadata(good, "bad.state", cases[i].key, cases[i].value), g, opt, &done),
                  AX_ERR_FORMAT, cases[i].needle);
    ax_optimizer_free(opt);
    ax_graph_free(g);
}

/* An empty tensor beside a full one at the same offset is fine in either
 * order of the keys (it was refused in one order, accepted in the other). */
static void empty_tensors_in_any_order(void)
{
    const char *full = "\"fc2.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}";
    const char *empty = "\"nothing\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}";
    char json[512];
    ax_graph *g = model(5, 5);
    snprintf(json, sizeof json, "{%s,%s}", full, empty);
    CHECK_OK(ax_load_safetensors(raw("e1", json, 12, -1), g, 0, NULL));
    snprintf(json, sizeof json, "{%s,%s}", empty, full);
    CHECK_OK(ax_load_safetensors(raw("e2", json, 12, -1), g, 0, NULL));
    ax_graph_free(g);
}

TEST_MAIN(T(round_trip), T(malformed_files), T(empty_tensors_in_any_order), T(edited_training_states), T(pytorch_dtypes_convert), T(saves_survive_sigkill),
          T(checkpoints_keep_the_best), T(resume_continues_exactly))
