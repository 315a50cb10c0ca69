/* The model-spec format and the axon program. */
#include "test.h"

#include <cjson/cJSON.h>

#include <sys/wait.h>
#include <unistd.h>

static char dir[64], axon[512];

static void setup(void)
{
    const char *bin = getenv("AXON_BINARY_DIR");
    snprintf(axon, sizeof axon, "%s/axon", bin ? bin : "..");
    snprintf(dir, sizeof dir, "/tmp/axon-cli-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static const char *file(const char *name, const char *text)
{
    static char p[8][300];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    if (text) {
        FILE *f = fopen(p[k], "w");
        fputs(text, f);
        fclose(f);
    }
    return p[k];
}

/* A whole file as a string (NULL when unreadable); free() it. */
static char *cli_text_of(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *t = calloc(1, 1 << 20);
    size_t n = t ? fread(t, 1, (1 << 20) - 1, f) : 0;
    (void)n;
    fclose(f);
    return t;
}

/* The command run with its output going to `stdout_to` (NULL: captured
 * with stderr). */
static int run_to(const char *args, const char *stdout_to, char *out, size_t len)
{
    char cmd[4096];
    if (stdout_to)
        snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1 > %s", dir, axon, args, stdout_to);
    else
        snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1", dir, axon, args);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, len - 1, p) : 0;
    out[n] = '\0';
    char rest[4096]; /* read to the end, or the command blocks on a full pipe */
    while (p && fread(rest, 1, sizeof rest, p) > 0) {
    }
    int st = p ? pclose(p) : -1;
    check_no_sanitizer_report(out, args);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int run(const char *args, char *out, size_t len) { return run_to(args, NULL, out, len); }

static void spec_errors_name_line_and_column(void)
{
    const struct {
        const char *text, *needle;
    } cases[] = {
        {"dense fc units=3\nloss mse\n", "s.spec:1:1: the first line must be: input NAME DIM"},
        {"input x 8\ndense fc units=3\nconvolve c\nloss mse\n", "s.spec:3:1: unknown layer type 'convolve'"},
        {"input x 8\ndense fc unit=3\nloss mse\n", "s.spec:2:10: unknown key 'unit' for dense (expected one of: units"},
        {"input x 8\ndense fc activation=relu\nloss mse\n", "s.spec:2:1: dense needs units=N"},
        {"input x 8\ndense fc units=-2\nloss mse\n", "s.spec:2:10: units expects a whole number from 1 to 16777216, got '-2'"},
        {"input x 8\ndense fc units=3\n", "s.spec: no loss line"},
        {"input x 8\ndense a units=3\nadd s inputs=a,b\nloss mse\n", "s.spec:3:7: inputs: no layer named 'b' before this line"},
        {"input x 8\ndense fc units=3 init=magic\nloss mse\n", "s.spec:2:18: unknown init 'magic'"},
        {"input x 8\ndense fc units=3\nloss softmax_cross_entropy\ndense z units=2\n", "s.spec:4:1: nothing but loss lines (one per head) may follow the loss line"},
        {"input x 0\ndense fc units=3\nloss mse\n", "s.spec:1:9: input dimension '0' is not a whole number from 1 to 16777216"},
        {"input x 2 3\nconv2d c filters=2\nloss mse\n", "s.spec:2:1: conv2d 'c': needs x [N, C, H, W]"},
        /* numbers out of range: errors, not a crash or a silent truncation */
        {"input x 8\ndense fc units=99999999999999999999999\nloss mse\n",
         "s.spec:2:10: units expects a whole number from 1 to 16777216, got '99999999999999999999999'"},
        {"input x 99999999999999999999\ndense fc units=2\nloss mse\n", "s.spec:1:9: input dimension '99999999999999999999'"},
        {"input x 16777216 16777216 16777216\ndense fc units=2\nloss mse\n", "s.spec:1:9: the input holds too many values"},
        {"input x 1 8 8\nconv2d c filters=2 kernel=4294967299\nloss mse\n", "s.spec:2:20: kernel expects a whole number from 1 to"},
        {"input x 1 8 8\nconv2d c filters=2 stride=4294967296\nloss mse\n", "s.spec:2:20: stride expects a whole number from 1 to"},
        {"input x 1 8 8\nmaxpool p size=100\nloss mse\n", "s.spec:2:1: node"},
        {"input x 8\ndense fc units=2 l2=-5\nloss mse\n", "s.spec:2:18: l2 expects a number from 0 to 1e+06, got '-5'"},
        {"input x 8\ndense fc units=2 l2=nan\nloss mse\n", "s.spec:2:18: l2 expects a number from 0 to 1e+06, got 'nan'"},
        {"input x 8\nbatchnorm bn eps=-1\nloss mse\n", "s.spec:2:14: eps expects a number from 1e-30 to 1"},
        {"input x 8\nbatchnorm bn momentum=nan\nloss mse\n", "s.spec:2:14: momentum expects a number from 0 to 1, got 'nan'"},
        {"input x 8\ndropout d rate=1\nloss mse\n", "s.spec:2:11: rate expects a number from 0 to"},
        {"input x 8\ndense a_name_that_goes_on_and_on_for_more_than_sixty_three_characters_in_all units=2\nloss mse\n",
         "s.spec:2:7: the name 'a_name_that_goes_on_and_on_for_more_than_sixty_three_characters_in_all' is longer than 63"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ax_spec sp;
        ax_status s = ax_spec_build(cases[i].text, "s.spec", 4, 1, &sp);
        if (s == AX_OK || !strstr(ax_last_error(), cases[i].needle)) {
            printf("  case %zu: \"%s\", expected \"%s\"\n", i, ax_last_error(), cases[i].needle);
            test_failures++;
            if (s == AX_OK)
                ax_graph_free(sp.graph);
        }
    }
    /* a window bigger than the map is an error, not a 1x1 output */
    ax_spec sp0;
    CHECK_ERR(ax_spec_build("input x 1 8 8\nmaxpool p size=100\nloss mse\n", "s.spec", 2, 1, &sp0), AX_ERR_FORMAT,
              "a 100x100 window does not fit");
    /* every regularised layer keeps its penalty (the 17th was dropped) */
    static char many[4096];
    int mlen = snprintf(many, sizeof many, "input x 4\n");
    for (int i = 0; i < 20; i++)
        mlen += snprintf(many + mlen, sizeof many - (size_t)mlen, "dense d%d units=4 l2=0.5\n", i);
    snprintf(many + mlen, sizeof many - (size_t)mlen, "loss mse\n");
    ax_spec reg;
    CHECK_OK(ax_spec_build(many, "many.spec", 2, 1, &reg));
    CHECK(reg.n_penalties == 20 && reg.penalties[19] == ax_graph_find(reg.graph, "d19.weight"));
    ax_graph_free(reg.graph);
    /* the most layers a spec may have (255), and one more */
    static char deep[20000];
    for (int layers = 255; layers <= 256; layers++) {
        int len = snprintf(deep, sizeof deep, "input x 4\n");
        for (int i = 0; i < layers; i++)
            len += snprintf(deep + len, sizeof deep - (size_t)len, "activation fn=relu\n");
        snprintf(deep + len, sizeof deep - (size_t)len, "loss mse\n");
        ax_spec sp;
        if (layers == 255) {
            CHECK_OK(ax_spec_build(deep, "deep.spec", 2, 1, &sp));
            CHECK(sp.n_layers == 256 && !strcmp(sp.layers[255].type, "activation") && sp.layers[255].output == sp.output);
            ax_graph_free(sp.graph);
        } else
            CHECK_ERR(ax_spec_build(deep, "deep.spec", 2, 1, &sp), AX_ERR_FORMAT, "deep.spec:257:1: more than 255 layers");
    }
}

static void specs_build_graphs(void)
{
    /* a residual dense block, concat, dropout, batch norm, frozen layer, L2 */
    const char *text = "input x 8   # eight features\n"
                       "dense a units=16 activation=tanh\n"
                       "dense b units=16 activation=tanh l2=0.01\n"
                       "add r inputs=a,b\n"
                       "batchnorm bn\n"
                       "dropout d rate=0.1\n"
                       "concat c inputs=d,x\n"
                       "dense out units=3 frozen=1\n"
                       "loss softmax_cross_entropy label_smoothing=0.1\n";
    ax_spec sp;
    CHECK_OK(ax_spec_build(text, "r.spec", 8, 1, &sp));
    if (!sp.graph)
        return;
    CHECK(sp.classifier && ax_node_shape(sp.output).dim[1] == 3 && ax_node_shape(sp.target).ndim == 1);
    CHECK(ax_node_frozen(ax_graph_find(sp.graph, "out.weight")) && !ax_node_frozen(ax_graph_find(sp.graph, "a.weight")));
    CHECK(ax_graph_find(sp.graph, "bn.running_var") != NULL);
    CHECK(sp.n_penalties == 1);
    ax_graph_free(sp.graph);
}

/* A number at the top level of the JSON object the output ends with
 * (-1 when absent or not JSON). */
static double json_number(const char *out, const char *key)
{
    const char *start = out;
    for (const char *p = out; (p = strchr(p, '\n')) && p[1]; p++) /* the last line that starts an object */
        if (p[1] == '{')
            start = p + 1;
    cJSON *o = cJSON_Parse(start);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    double x = cJSON_IsNumber(v) ? v->valuedouble : -1;
    cJSON_Delete(o);
    return x;
}

static void train_eval_predict_info(void)
{
    setup();
    char out[1 << 16];
    file("m.spec", "input x 8\ndense h units=16 activation=relu\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --epochs 5 --out m.safetensors --json", out, sizeof out) == 0);
    CHECK(json_number(out, "val_accuracy") > 0.9 && json_number(out, "parameters") == 8 * 16 + 16 + 16 * 3 + 3);
    CHECK(run("eval m.safetensors --data synthetic --json", out, sizeof out) == 0);
    CHECK(json_number(out, "samples") == 500 && json_number(out, "accuracy") > 0.9 && strstr(out, "\"confusion\":[["));
    CHECK(run("predict m.safetensors --input synthetic --output p.csv", out, sizeof out) == 0);
    FILE *f = fopen(file("p.csv", NULL), "r");
    int lines = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f))
        lines++;
    if (f)
        fclose(f);
    CHECK(lines == 501);
    CHECK(run("info m.safetensors", out, sizeof out) == 0 && strstr(out, "h (dense)") && strstr(out, "(16)") &&
          strstr(out, "Total params: 195 ") && strstr(out, "Trainable params: 195\n") && strstr(out, "x (input)"));
    CHECK(run("info m.safetensors --tensors", out, sizeof out) == 0 && strstr(out, "h.weight") && strstr(out, "[16, 8]"));
    /* transfer: start from m's weights, keep h fixed, train the head */
    CHECK(run("train m.spec --data synthetic --epochs 2 --init-from m.safetensors --freeze h --out t.safetensors --json", out,
              sizeof out) == 0);
    ax_spec a, b;
    char *ta, *tb;
    ax_status s1 = ax_safetensors_metadata(file("m.safetensors", NULL), "spec", &ta);
    ax_status s2 = ax_safetensors_metadata(file("t.safetensors", NULL), "spec", &tb);
    CHECK(s1 == AX_OK && s2 == AX_OK && ta && tb);
    if (ta && tb && ax_spec_build(ta, "a", 1, 1, &a) == AX_OK && ax_spec_build(tb, "b", 1, 1, &b) == AX_OK) {
        CHECK_OK(ax_load_safetensors(file("m.safetensors", NULL), a.graph, 1, NULL));
        CHECK_OK(ax_load_safetensors(file("t.safetensors", NULL), b.graph, 1, NULL));
        ax_node *ha = ax_graph_find(a.graph, "h.weight"), *hb = ax_graph_find(b.graph, "h.weight");
        ax_node *oa = ax_graph_find(a.graph, "out.weight"), *ob = ax_graph_find(b.graph, "out.weight");
        CHECK(!memcmp(ax_node_data(ha), ax_node_data(hb), 128 * sizeof(float)));  /* frozen: unchanged */
        CHECK(memcmp(ax_node_data(oa), ax_node_data(ob), 48 * sizeof(float)) != 0); /* the head moved */
        ax_graph_free(a.graph);
        ax_graph_free(b.graph);
    }
    ax_free(ta);
    ax_free(tb);
}

/* Features on very different scales: --standardize stores the training
 * statistics in the model; predict applies them to a CSV of features
 * alone and eval to a labelled one. */
static void standardize_and_predict_new_data(void)
{
    setup();
    static char text[1 << 15], fresh[4096];
    int len = snprintf(text, sizeof text, "size,ratio,y\n");
    int flen = snprintf(fresh, sizeof fresh, "size,ratio\n");
    ax_rng r;
    ax_rng_seed(&r, 3, 3);
    for (int i = 0; i < 300; i++) {
        double a = 1000 * ax_rng_uniform(&r), b = 0.01 * ax_rng_uniform(&r);
        len += snprintf(text + len, sizeof text - (size_t)len, "%.3f,%.6f,%.6f\n", a, b, a / 1000 - 100 * b + 2);
    }
    const double probe[3][2] = {{0, 0}, {500, 0.005}, {1000, 0.001}};
    for (int i = 0; i < 3; i++)
        flen += snprintf(fresh + flen, sizeof fresh - (size_t)flen, "%g,%g\n", probe[i][0], probe[i][1]);
    file("t.csv", text);
    file("new.csv", fresh);
    file("lin.spec", "input x 2\ndense fit units=1\nloss mse\n");
    char out[1 << 14];
    CHECK(run("train lin.spec --data csv:t.csv:targets=y --optimizer sgd --lr 0.1 --batch 10 --epochs 30 --standardize "
              "--out lin.safetensors --json", out, sizeof out) == 0);
    char *stats = NULL;
    CHECK_OK(ax_safetensors_metadata(file("lin.safetensors", NULL), "standardize", &stats));
    CHECK(stats && strstr(stats, "\"mean\": [") && strstr(stats, "\"std\": ["));
    ax_free(stats);
    CHECK(run("predict lin.safetensors --input csv:new.csv", out, sizeof out) == 0);
    double y[3] = {NAN, NAN, NAN};
    const char *p = strchr(out, '\n');
    for (int i = 0; i < 3 && p; i++, p = strchr(p + 1, '\n'))
        sscanf(p + 1, "%*d,%lf", &y[i]);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(y[i], probe[i][0] / 1000 - 100 * probe[i][1] + 2, 0.01);
    CHECK(run("eval lin.safetensors --data csv:t.csv:targets=y --json", out, sizeof out) == 0 &&
          json_number(out, "loss") < 1e-4);
    CHECK(run("eval lin.safetensors --data csv:new.csv", out, sizeof out) == 1 && strstr(out, "features only"));
    CHECK(run("info lin.safetensors", out, sizeof out) == 0 && strstr(out, "standardized"));
}

/* 4 epochs straight, and 2 + --state, then --resume to 4: the same model. */
static void resume_from_the_command_line(void)
{
    setup();
    char out[8192];
    file("m.spec", "input x 8\ndense h units=16 activation=relu\ndropout d rate=0.2\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --epochs 4 --out straight.safetensors --json", out, sizeof out) == 0);
    CHECK(run("train m.spec --data synthetic --epochs 2 --out half.safetensors --state s.safetensors --json", out, sizeof out) == 0);
    CHECK(run("train m.spec --data synthetic --epochs 4 --resume s.safetensors --out resumed.safetensors --json", out, sizeof out) == 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cmp -s %s/straight.safetensors %s/resumed.safetensors", dir, dir);
    CHECK(system(cmd) == 0); /* byte for byte */
    CHECK(run("train m.spec --data synthetic --epochs 1 --resume s.safetensors", out, sizeof out) == 1 &&
          strstr(out, "2 epochs already run, more than --epochs 1"));
}

/* How many lines of `out` start with `prefix`. */
static int lines_starting(const char *out, const char *prefix)
{
    int n = 0;
    for (const char *p = out; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += !strncmp(p, prefix, strlen(prefix));
    return n;
}

/* The outputs are checked before training: an existing model is not
 * replaced without --force, an unwritable path fails at once. */
static void outputs_are_safe(void)
{
    setup();
    char out[1 << 14];
    file("m.spec", "input x 8\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --epochs 1", out, sizeof out) == 0 &&
          strstr(out, "saved the model to model.safetensors"));
    CHECK(run("train m.spec --data synthetic --epochs 1", out, sizeof out) == 1 &&
          strstr(out, "model file model.safetensors exists already: give --force") && !strstr(out, "epoch 1/1"));
    CHECK(run("train m.spec --data synthetic --epochs 1 --force", out, sizeof out) == 0);
    CHECK(run("train m.spec --data synthetic --epochs 1 --out no/such/dir/m.safetensors", out, sizeof out) == 1 &&
          strstr(out, "no/such/dir/m.safetensors cannot be written") && !strstr(out, "epoch 1/1"));
    CHECK(run("train m.spec --data synthetic --threads 100000", out, sizeof out) == 2 &&
          strstr(out, "--threads expects a whole number from 0 to 256"));
    /* JSON stays JSON whatever the path holds */
    CHECK(run("train m.spec --data synthetic --epochs 1 --json --out 'we\"ird\\name.st'", out, sizeof out) == 0);
    cJSON *o = cJSON_Parse(out);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(o, "model");
    CHECK(cJSON_IsString(model) && !strcmp(model->valuestring, "we\"ird\\name.st"));
    cJSON_Delete(o);
    /* --help gives the defaults */
    CHECK(run("train --help", out, sizeof out) == 0 && strstr(out, "(default 5)") && strstr(out, "(default 64)") &&
          strstr(out, "default model.safetensors"));
}

/* --json holds every epoch; many short epochs print about 20 lines and
 * always the last. */
static void epochs_reported(void)
{
    setup();
    char out[1 << 16];
    file("m.spec", "input x 8\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --epochs 3 --json --out a.st", out, sizeof out) == 0);
    cJSON *o = cJSON_Parse(out);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "history");
    CHECK(cJSON_GetArraySize(h) == 3);
    for (int e = 0; e < cJSON_GetArraySize(h); e++) {
        const cJSON *ep = cJSON_GetArrayItem(h, e);
        CHECK(cJSON_GetObjectItemCaseSensitive(ep, "epoch")->valueint == e + 1);
        CHECK(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ep, "val_accuracy")));
    }
    CHECK(json_number(out, "val_accuracy") == cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(h, 2), "val_accuracy")->valuedouble);
    cJSON_Delete(o);
    CHECK(run("train m.spec --data synthetic --epochs 100 --out b.st", out, sizeof out) == 0);
    int shown = lines_starting(out, "epoch ");
    CHECK(shown >= 20 && shown <= 40 && strstr(out, "epoch 1/100") && strstr(out, "epoch 100/100"));
}

/* --checkpoint-every: a run killed mid-way resumes from its last
 * checkpoint and ends with the model an uninterrupted run gives. */
static void checkpoints_survive_a_kill(void)
{
    setup();
    char out[1 << 14], cmd[2048];
    file("m.spec", "input x 8\ndense h units=64 activation=relu\ndense out units=3\nloss softmax_cross_entropy\n");
    const char *args = "m.spec --data synthetic --epochs 100 --batch 8 --threads 1 --json";
    snprintf(cmd, sizeof cmd, "train %s --out straight.st", args);
    CHECK(run(cmd, out, sizeof out) == 0);
    /* the same run, killed once its first checkpoint is there */
    snprintf(cmd, sizeof cmd,
             "cd %s && { %s train %s --out k.st --checkpoint-every 5 > /dev/null 2>&1 & pid=$!; "
             "for i in $(seq 1 400); do [ -f k.st.state ] && break; sleep 0.05; done; sleep 0.2; kill -9 $pid; "
             "wait $pid; test $? -eq 137; } 2>/dev/null",
             dir, axon, args);
    CHECK(system(cmd) == 0);
    char *epoch = NULL;
    CHECK_OK(ax_safetensors_metadata(file("k.st.state", NULL), "epochs_done", &epoch));
    CHECK(epoch && atoi(epoch) % 5 == 0 && atoi(epoch) >= 5 && atoi(epoch) < 100);
    ax_free(epoch);
    snprintf(cmd, sizeof cmd, "train %s --out k.st --checkpoint-every 5 --resume k.st.state", args);
    CHECK(run(cmd, out, sizeof out) == 0);
    snprintf(cmd, sizeof cmd, "cmp -s %s/straight.st %s/k.st", dir, dir);
    CHECK(system(cmd) == 0);
}

/* A little table with three classes and a regression, for eval and predict. */
static void tables(void)
{
    static char cls[1 << 15], reg[1 << 15], reg_x[1 << 15], two[1 << 14];
    int lc = snprintf(cls, sizeof cls, "a,b,label\n"), lr = snprintf(reg, sizeof reg, "a,b,y\n");
    int lx = snprintf(reg_x, sizeof reg_x, "a,b\n"), lt = snprintf(two, sizeof two, "a,b,label\n");
    ax_rng r;
    ax_rng_seed(&r, 9, 9);
    for (int i = 0; i < 300; i++) {
        int c = i % 3;
        double a = c + 0.2 * ax_rng_normal(&r), b = -c + 0.2 * ax_rng_normal(&r);
        lc += snprintf(cls + lc, sizeof cls - (size_t)lc, "%.4f,%.4f,%d\n", a, b, c);
        if (c < 2 && i < 60)
            lt += snprintf(two + lt, sizeof two - (size_t)lt, "%.4f,%.4f,%d\n", a, b, c);
        lr += snprintf(reg + lr, sizeof reg - (size_t)lr, "%.4f,%.4f,%.6f\n", a, b, 2 * a - b + 0.5);
        if (i < 20)
            lx += snprintf(reg_x + lx, sizeof reg_x - (size_t)lx, "%.4f,%.4f\n", a, b);
    }
    file("cls.csv", cls);
    file("two.csv", two);
    file("reg.csv", reg);
    file("reg_x.csv", reg_x);
    file("cls.spec", "input x 2\ndense h units=16 activation=relu\ndense out units=3\nloss softmax_cross_entropy\n");
    file("reg.spec", "input x 2\ndense out units=1\nloss mse\n");
}

/* eval and predict read the data by what the model is */
static void the_model_knows_what_it_is(void)
{
    setup();
    tables();
    char out[1 << 16];
    CHECK(run("train cls.spec --data csv:cls.csv --epochs 30 --batch 16 --lr 0.01 --out cls.st --json", out, sizeof out) == 0);
    /* a test file holding only classes 0 and 1 of the three */
    CHECK(run("eval cls.st --data csv:two.csv --json", out, sizeof out) == 0 && json_number(out, "accuracy") > 0.9 &&
          strstr(out, "\"confusion\":[[") && json_number(out, "samples") == 40);
    cJSON *o = cJSON_Parse(out);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "confusion")) == 3);
    cJSON_Delete(o);
    /* full precision, raw scores, and a word on what was written */
    CHECK(run("predict cls.st --input csv:two.csv --output p.csv", out, sizeof out) == 0 &&
          strstr(out, "40 rows of classes and probabilities to p.csv"));
    CHECK(run("predict cls.st --input csv:two.csv --raw", out, sizeof out) == 0 && strstr(out, "row,class,z0,z1,z2\n") &&
          strstr(out, "40 rows of classes and raw outputs to standard output"));
    char *p = cli_text_of(file("p.csv", NULL));
    double prob[3], z[3];
    const char *line_p = p ? strchr(p, '\n') + 1 : NULL, *line_z = strchr(out, '\n') + 1;
    int cp = -1, cz = -2;
    CHECK(line_p && sscanf(line_p, "0,%d,%lf,%lf,%lf", &cp, &prob[0], &prob[1], &prob[2]) == 4);
    CHECK(sscanf(line_z, "0,%d,%lf,%lf,%lf", &cz, &z[0], &z[1], &z[2]) == 4 && cp == cz);
    double m = fmax(z[0], fmax(z[1], z[2])), sum = exp(z[0] - m) + exp(z[1] - m) + exp(z[2] - m);
    for (int k = 0; k < 3; k++) /* 9 significant digits: the softmax of the raw scores to 1e-7 */
        CHECK_NEAR(prob[k], exp(z[k] - m) / sum, 1e-7);
    free(p);

    /* a regression: eval reports MAE, RMSE and R^2; predict takes the CSV
     * with or without its answer column */
    CHECK(run("train reg.spec --data csv:reg.csv:targets=y --optimizer sgd --lr 0.05 --epochs 40 --batch 10 --out reg.st",
              out, sizeof out) == 0);
    CHECK(run("eval reg.st --data csv:reg.csv:targets=y", out, sizeof out) == 0 && strstr(out, "MAE ") &&
          strstr(out, "RMSE ") && strstr(out, "R^2 ") && atof(strstr(out, "R^2 ") + 4) > 0.99);
    CHECK(run("eval reg.st --data csv:reg.csv --json", out, sizeof out) == 0 && json_number(out, "r2") > 0.99 &&
          json_number(out, "mae") >= 0 && json_number(out, "rmse") >= json_number(out, "mae"));
    char with[1 << 14], without[1 << 14];
    CHECK(run("predict reg.st --input csv:reg.csv", with, sizeof with) == 0);
    CHECK(run("predict reg.st --input csv:reg_x.csv", without, sizeof without) == 0);
    /* the header and the first 20 rows agree */
    int rows_same = 1;
    const char *a = with, *b = without;
    for (int i = 0; i < 21 && a && b; i++) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        rows_same &= ea && eb && ea - a == eb - b && !strncmp(a, b, (size_t)(ea - a));
        a = ea ? ea + 1 : NULL, b = eb ? eb + 1 : NULL;
    }
    CHECK(rows_same);
    /* a full disk: the commands fail instead of exiting 0 with output lost */
    CHECK(run("predict reg.st --input csv:reg.csv --output /dev/full", out, sizeof out) == 1 &&
          strstr(out, "/dev/full: write error"));
    CHECK(run_to("predict reg.st --input csv:reg.csv", "/dev/full", out, sizeof out) == 1 &&
          strstr(out, "standard output: write error"));
    CHECK(run_to("eval reg.st --data csv:reg.csv", "/dev/full", out, sizeof out) == 1 &&
          strstr(out, "cannot write the results to standard output"));
    CHECK(run_to("info reg.st", "/dev/full", out, sizeof out) == 1 && strstr(out, "cannot write to standard output"));
    file("bad.csv", "a,b,c,d\n1,2,3,4\n");
    CHECK(run("predict reg.st --input csv:bad.csv", out, sizeof out) == 1 &&
          strstr(out, "4 columns; the model takes 2 features, followed by nothing"));
    /* NaN weights (the file edited): refused at load, not printed as -nan rows */
    {
        FILE *f = fopen(file("reg.st", NULL), "r+b");
        unsigned char len8[8];
        CHECK(f && fread(len8, 1, 8, f) == 8);
        uint64_t n = 0;
        for (int b = 0; b < 8; b++)
            n |= (uint64_t)len8[b] << (8 * b);
        const float nan = NAN;
        CHECK(f && fseek(f, (long)(8 + n), SEEK_SET) == 0 && fwrite(&nan, sizeof nan, 1, f) == 1);
        if (f)
            fclose(f);
        CHECK(run("predict reg.st --input csv:reg_x.csv", out, sizeof out) == 1 && strstr(out, "holds NaN at index 0"));
    }
}

/* A state dict as PyTorch saves it: half-precision weights and batch
 * norm's I64 num_batches_tracked. */
static void pytorch_files_load(void)
{
    setup();
    char out[1 << 14];
    file("m.spec", "input x 2\ndense fc units=2\nloss mse\n");
    const char *json = "{\"fc.weight\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                       "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
    const unsigned char data[16] = {0x00, 0x3c, 0x00, 0x40, 0x00, 0x42, 0x00, 0x44, 7, 0, 0, 0, 0, 0, 0, 0};
    FILE *f = fopen(file("torch.st", NULL), "wb");
    uint64_t n = strlen(json);
    for (int b = 0; b < 8; b++)
        fputc((int)(n >> (8 * b)) & 0xff, f);
    fputs(json, f);
    fwrite(data, 1, sizeof data, f);
    fclose(f);
    file("t.csv", "a,b,y,z\n1,2,3,4\n2,1,3,5\n");
    CHECK(run("train m.spec --data csv:t.csv:targets=y,z --epochs 1 --lr 0 --optimizer sgd --init-from torch.st --out m.st",
              out, sizeof out) == 0 &&
          strstr(out, "initialised 1 tensors from torch.st (1 of its tensors have no match"));
    ax_spec sp;
    char *text = NULL;
    CHECK_OK(ax_safetensors_metadata(file("m.st", NULL), "spec", &text));
    if (text && ax_spec_build(text, "m", 1, 1, &sp) == AX_OK) {
        CHECK_OK(ax_load_safetensors(file("m.st", NULL), sp.graph, 1, NULL));
        const float *w = ax_node_data(ax_graph_find(sp.graph, "fc.weight"));
        CHECK(w[0] == 1 && w[1] == 2 && w[2] == 3 && w[3] == 4); /* F16 1, 2, 3, 4; lr 0 */
        ax_graph_free(sp.graph);
    }
    ax_free(text);
}

/* dense bias=0; info counts frozen layers as non-trainable */
static void layers_as_stored(void)
{
    setup();
    char out[1 << 14];
    file("m.spec", "input x 8\ndense h units=16 activation=relu bias=0\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --epochs 1 --freeze h --out m.st", out, sizeof out) == 0);
    CHECK(run("info m.st", out, sizeof out) == 0 && strstr(out, "Total params: 179 ") &&
          strstr(out, "Trainable params: 51\n") && strstr(out, "Non-trainable params: 128\n") && strstr(out, "h (dense) frozen"));
    CHECK(run("info m.st --tensors", out, sizeof out) == 0 && strstr(out, "h.weight") && !strstr(out, "h.bias") &&
          strstr(out, "param (frozen)"));
    /* unnamed layers are numbered from the input line: the first is dense1 */
    file("u.spec", "input x 8\ndense units=4\ndense units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train u.spec --data synthetic --epochs 1 --out u.st", out, sizeof out) == 0);
    CHECK(run("info u.st", out, sizeof out) == 0 && strstr(out, "dense1 (dense)") && strstr(out, "dense2 (dense)"));
}

static void bad_usage_and_bad_input(void)
{
    setup();
    char out[8192];
    file("m.spec", "input x 8\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --frobnicate", out, sizeof out) == 2 && strstr(out, "unknown option '--frobnicate'"));
    CHECK(run("train m.spec --data synthetic --epochs zero", out, sizeof out) == 2 && strstr(out, "--epochs expects a whole number"));
    CHECK(run("train m.spec", out, sizeof out) == 2 && strstr(out, "needs a SPEC file and --data DATA"));
    CHECK(run("train m.spec --data synthetic --precision f16", out, sizeof out) == 2 && strstr(out, "--precision expects f32 or bf16"));
    /* bf16 on a CPU without it: said, and trained in float32 */
    CHECK(run("train m.spec --data synthetic --epochs 1 --precision bf16 --out bf16.safetensors", out, sizeof out) == 0);
    CHECK((strstr(out, "no bfloat16 instructions") == NULL) == (ax_cpu_has_bf16() != 0));
    CHECK(run("bake", out, sizeof out) == 2 && strstr(out, "unknown command 'bake'"));
    CHECK(run("train m.spec --data csv:missing.csv", out, sizeof out) == 1 && strstr(out, "missing.csv: cannot open"));
    CHECK(run("eval nothing.safetensors --data synthetic", out, sizeof out) == 1 && strstr(out, "nothing.safetensors: cannot open"));
    CHECK(run("train m.spec --data whatever", out, sizeof out) == 1 && strstr(out, "data 'whatever': expected"));
    /* not regular files: an 8 EiB allocation for a directory, a hang on a FIFO */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir %s/adir && mkfifo %s/afifo", dir, dir);
    CHECK(system(cmd) == 0);
    CHECK(run("info adir", out, sizeof out) == 1 && strstr(out, "adir: not a regular file"));
    CHECK(run("info afifo", out, sizeof out) == 1 && strstr(out, "afifo: not a regular file"));
    CHECK(run("train afifo --data synthetic", out, sizeof out) == 1 && strstr(out, "afifo: not a regular file"));
    CHECK(run("train m.spec --data csv:adir", out, sizeof out) == 1 && strstr(out, "adir: not a regular file"));
    CHECK(run("train m.spec --data idx:afifo,afifo", out, sizeof out) == 1 && strstr(out, "afifo: not a regular file"));
    for (const char *c = "train\0eval\0predict\0info\0"; *c; c += strlen(c) + 1) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", c);
        CHECK(run(args, out, sizeof out) == 0 && strstr(out, "usage: axon"));
    }
}

/* Run folders from the command line (--logdir), resumed into the same
 * folder, reports of them, and the board's and report's usage errors.
 * tests/board/ runs both in a browser. */
static void run_folders(void)
{
    setup();
    char out[8192];
    /* a comment that would end the report's script element if it were pasted raw */
    file("r.spec", "# </script><script>alert(1)</script>\ninput x 8\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train r.spec --data synthetic --epochs 2 --state r.state --logdir runs/a --log-steps 3", out, sizeof out) == 0);
    char *text = cli_text_of(file("runs/a/run.json", NULL));
    CHECK(text && strstr(text, "\"status\":\t\"finished\"") && strstr(text, "\"epochs_run\":\t2"));
    free(text);
    CHECK(run("train r.spec --data synthetic --epochs 4 --resume r.state --out model.safetensors --logdir runs/a "
              "--log-steps 3", out, sizeof out) == 0);
    text = cli_text_of(file("runs/a/epochs.jsonl", NULL));
    int lines = 0;
    for (const char *c = text; c && *c; c++)
        lines += *c == '\n';
    CHECK(lines == 4 && strstr(text, "\"epoch\":4,"));
    free(text);
    text = cli_text_of(file("runs/a/steps.jsonl", NULL));
    /* the resumed run's steps go on from the first run's */
    const char *last = text ? strrchr(text, '{') : NULL;
    const long steps = last ? strtol(last + strlen("{\"step\":"), NULL, 10) : 0;
    CHECK(steps > 0 && steps % 3 == 0);
    char want[64];
    snprintf(want, sizeof want, "{\"step\":%ld,\"epoch\":4", steps);
    CHECK(text && strstr(text, want));
    free(text);
    file("afile", "x");
    CHECK(run("train r.spec --data synthetic --epochs 1 --out m3.safetensors --logdir afile", out, sizeof out) == 1 &&
          strstr(out, "afile: exists and is not a folder"));
    /* the report: three script elements, the spec's text escaped inside the data */
    CHECK(run("report runs -o report.html", out, sizeof out) == 0 && strstr(out, "wrote report.html"));
    text = cli_text_of(file("report.html", NULL));
    int opened = 0, closed = 0;
    for (const char *c = text; c && (c = strstr(c, "<script")); c++)
        opened++;
    for (const char *c = text; c && (c = strstr(c, "</script")); c++)
        closed++;
    CHECK(text && opened == 3 && closed == 3 && strstr(text, "\\u003c/script>\\u003cscript>alert(1)"));
    free(text);
    CHECK(run("report runs -o report.html", out, sizeof out) == 1 && strstr(out, "report.html exists"));
    CHECK(run("report runs/a -o report.html --force", out, sizeof out) == 0);
    CHECK(run("report adir_none -o x.html", out, sizeof out) == 1 && strstr(out, "adir_none: not a folder"));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "mkdir %s/empty", dir);
    CHECK(system(cmd) == 0);
    CHECK(run("report empty -o x.html", out, sizeof out) == 1 && strstr(out, "empty: no run in it"));
    CHECK(run("report runs", out, sizeof out) == 2 && strstr(out, "needs a run's folder and -o FILE"));
    CHECK(run("board", out, sizeof out) == 2 && strstr(out, "needs the folder of the runs"));
    CHECK(run("board nothere", out, sizeof out) == 1 && strstr(out, "nothere: not a folder"));
    CHECK(run("board runs --host localhost", out, sizeof out) == 2 && strstr(out, "--host expects an IPv4 or IPv6 address"));
    CHECK(run("board runs --port 70000", out, sizeof out) == 2 && strstr(out, "--port expects a whole number from 0 to 65535"));
    CHECK(run("board --help", out, sizeof out) == 0 && strstr(out, "usage: axon board"));
    CHECK(run("report --help", out, sizeof out) == 0 && strstr(out, "usage: axon report"));
}

/* The catalog's op reference is what the schemas say (make catalog). */
static void catalog_matches_the_schemas(void)
{
    setup();
    static char out[1 << 17];
    CHECK(run("ops --markdown", out, sizeof out) == 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/docs/catalog.md", getenv("AXON_SOURCE_DIR"));
    char *doc = cli_text_of(path);
    const char *begin = doc ? strstr(doc, "<!-- ops:begin -->\n") : NULL, *end = doc ? strstr(doc, "<!-- ops:end -->") : NULL;
    CHECK(begin && end);
    if (begin && end) {
        begin += strlen("<!-- ops:begin -->\n");
        const int same = (size_t)(end - begin) == strlen(out) && !strncmp(begin, out, strlen(out));
        if (!same)
            printf("  docs/catalog.md's op reference differs from `axon ops --markdown`: run make catalog\n");
        CHECK(same);
    }
    free(doc);
    /* every op is listed, and one can be asked for by name */
    CHECK(run("ops --json", out, sizeof out) == 0 && strstr(out, "\"layernorm\"") && strstr(out, "\"pad_top\""));
    CHECK(run("ops maxout", out, sizeof out) == 0 && strstr(out, "maxout(x)") && strstr(out, "required"));
    CHECK(run("ops frobnicate", out, sizeof out) == 1 && strstr(out, "no op named 'frobnicate'"));
}

/* Rows "row,class,z0,z1,z2" of two prediction files agree to 1e-5 (relative) */
static int same_predictions(const char *a_path, const char *b_path, int rows)
{
    FILE *a = fopen(a_path, "r"), *b = fopen(b_path, "r");
    char la[512], lb[512];
    int ok = a && b && fgets(la, sizeof la, a) && fgets(lb, sizeof lb, b) && !strcmp(la, lb), seen = 0;
    while (ok && seen < rows && fgets(la, sizeof la, a) && fgets(lb, sizeof lb, b)) {
        char *pa = la, *pb = lb;
        for (int k = 0; k < 5 && ok; k++) {
            double x = strtod(pa, &pa), y = strtod(pb, &pb);
            ok = fabs(x - y) <= 1e-5 * fmax(1.0, fabs(y));
            pa += *pa == ',', pb += *pb == ',';
        }
        seen++;
    }
    if (a)
        fclose(a);
    if (b)
        fclose(b);
    return ok && seen == rows;
}

/* A model file written before graph files (spec and weights only) loads
 * and predicts what the axon that wrote it predicted. */
static void files_of_the_first_format_load(void)
{
    setup();
    char out[8192], cmd[2048];
    const char *src = getenv("AXON_SOURCE_DIR");
    snprintf(cmd, sizeof cmd, "predict %s/tests/data/model-v1.safetensors --input synthetic --raw --output %s", src,
             file("v1.csv", NULL));
    CHECK(run(cmd, out, sizeof out) == 0);
    char want[4096];
    snprintf(want, sizeof want, "%s/tests/data/model-v1.predictions.csv", src);
    CHECK(same_predictions(file("v1.csv", NULL), want, 20));
    snprintf(cmd, sizeof cmd, "info %s/tests/data/model-v1.safetensors", src);
    CHECK(run(cmd, out, sizeof out) == 0 && strstr(out, "bn (batch_norm)") && strstr(out, "standardized"));
}

/* A graph built through the C API alone, saved with ax_save_model: axon
 * info lists it, axon predict gives the library's outputs, and it loads
 * back into a graph that computes the same. */
/* A character-level model from the command line: trained on text:FILE,
 * its vocabulary in the model file, scored per next character on another
 * text, sampled by `axon generate`; predict points to those two. */
static void text_models(void)
{
    setup();
    char out[1 << 16], text[3001];
    for (int i = 0; i < 3000; i++)
        text[i] = "hello world\n"[i % 12];
    text[3000] = '\0';
    file("hello.txt", text);
    file("other.txt", "hello hello world\nworld hello\n");
    file("bad.txt", "hello Z\n");
    file("c.spec", "input chars 24 seq\nembedding embed dim=8 vocab=16\nlstm lstm units=24\n"
                   "dense head units=16 per_step=1\nloss softmax_cross_entropy\n");
    CHECK(run("train c.spec --data text:hello.txt --epochs 12 --batch 8 --lr 0.02 --out c.safetensors --json", out,
              sizeof out) == 0);
    CHECK(json_number(out, "accuracy") > 0.9);
    char *vocab = NULL;
    CHECK_OK(ax_safetensors_metadata(file("c.safetensors", NULL), "vocab", &vocab));
    CHECK(vocab && !strcmp(vocab, "{\"chars\":[10,32,100,101,104,108,111,114,119]}"));
    ax_free(vocab);
    CHECK(run("eval c.safetensors --data text:other.txt --json", out, sizeof out) == 0);
    CHECK(json_number(out, "samples") == 1 && json_number(out, "perplexity") >= 1 && !strstr(out, "confusion"));
    CHECK(run("eval c.safetensors --data text:bad.txt", out, sizeof out) == 1 && strstr(out, "byte 6 (0x5a) is not in the model's vocabulary"));
    CHECK(run("generate c.safetensors --prompt hel --length 20 --temperature 0", out, sizeof out) == 0);
    CHECK(!strncmp(out, "hello world\nhello world", 23));
    CHECK(run("generate c.safetensors --prompt help", out, sizeof out) == 1 && strstr(out, "character 3 (0x70)"));
    CHECK(run("predict c.safetensors --input text:other.txt", out, sizeof out) == 1 && strstr(out, "axon generate"));
    file("m2.spec", "input x 8\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m2.spec --data synthetic --epochs 1 --out m2.safetensors", out, sizeof out) == 0);
    CHECK(run("generate m2.safetensors", out, sizeof out) == 1 && strstr(out, "no vocabulary"));
    CHECK(run("train m2.spec --data text:hello.txt --epochs 1 --out m3.safetensors", out, sizeof out) == 1 &&
          strstr(out, "a class label at each of 8 steps; the model's target must be [batch, 8]"));
    file("m4.spec", "input x 1\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m4.spec --data text:hello.txt --epochs 1 --out m4.safetensors", out, sizeof out) == 1 &&
          strstr(out, "text needs a model whose input is a window of characters"));
}

static void c_graphs_save_and_run(void)
{
    setup();
    enum { N = 37, F = 8, C = 3 };
    ax_rng rng;
    ax_rng_seed(&rng, 5, 5);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "features", ax_shape2(16, F));
    ax_node *h = ax_dense(g, x, 6, NULL, AX_DEFAULT_INIT, &rng, "fc1");
    ax_attr ln_at = AX_ATTR("eps", 1e-4);
    h = ax_leaky_relu(g, ax_op_layer(g, "layernorm", h, &ln_at, 1, "ln"), 0.2f);
    ax_node *logits = ax_dense(g, h, C, NULL, AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *label = ax_input(g, "label", ax_shape1(16));
    ax_model m = {.graph = g, .input = x, .target = label, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, label)};
    CHECK_OK(ax_graph_compile(g));
    float *bias = ax_node_data(ax_graph_find(g, "ln.bias"));
    for (int i = 0; i < 6; i++)
        bias[i] = 0.1f * (float)i; /* not the default, so loading it matters */
    CHECK_OK(ax_save_model(file("c.safetensors", NULL), &m, NULL, NULL, 0));
    /* features to predict on, as a CSV and as a data set */
    float xs[N * F];
    FILE *csv = fopen(file("x.csv", NULL), "w");
    for (int k = 0; k < F; k++)
        fprintf(csv, k ? ",f%d" : "f%d", k);
    fprintf(csv, "\n");
    for (int r = 0; r < N; r++)
        for (int k = 0; k < F; k++) {
            xs[r * F + k] = 2 * ax_rng_uniform(&rng) - 1;
            fprintf(csv, k < F - 1 ? "%.9g," : "%.9g\n", (double)xs[r * F + k]);
        }
    fclose(csv);
    ax_dataset *ds;
    CHECK_OK(ax_dataset_from_floats(xs, N, F, NULL, C, NULL, 0, &ds));
    float lib[N * C];
    CHECK_OK(ax_predict(&m, ds, lib));
    char cmd[1024], out[8192];
    snprintf(cmd, sizeof cmd, "predict c.safetensors --input csv:x.csv --raw --output p.csv");
    CHECK(run(cmd, out, sizeof out) == 0);
    FILE *p = fopen(file("p.csv", NULL), "r");
    char line[512];
    int rows = 0, bad = 0;
    if (p && fgets(line, sizeof line, p))
        while (fgets(line, sizeof line, p)) {
            char *q = line;
            strtod(q, &q), q++;           /* row */
            strtod(q, &q), q++;           /* class */
            for (int k = 0; k < C; k++) { /* raw outputs */
                double v = strtod(q, &q);
                q += *q == ',';
                bad += !(fabs(v - lib[rows * C + k]) <= 1e-6 * fmax(1.0, fabs(v)));
            }
            rows++;
        }
    if (p)
        fclose(p);
    CHECK(rows == N && bad == 0);
    CHECK(run("info c.safetensors", out, sizeof out) == 0 && strstr(out, "(layernorm)") && strstr(out, "Total params: 87") &&
          strstr(out, "Input: features"));
    /* and back into a graph through the library */
    ax_model back;
    CHECK_OK(ax_load_model(file("c.safetensors", NULL), 16, &back));
    CHECK(back.input && back.loss && !strcmp(ax_node_op(back.loss), "softmax_cross_entropy"));
    float again[N * C];
    CHECK_OK(ax_predict(&back, ds, again));
    CHECK(memcmp(lib, again, sizeof lib) == 0);
    ax_graph_free(back.graph);
    ax_dataset_free(ds);
    ax_graph_free(g);
}

/* Two inputs and two heads through train, eval, predict and info, the
 * CSV's columns named for each part. */
static void several_inputs_and_heads(void)
{
    setup();
    static char csv[1 << 16];
    int len = snprintf(csv, sizeof csv, "a,b,c,d,e,y,kind\n");
    ax_rng rng;
    ax_rng_seed(&rng, 21, 0);
    for (int i = 0; i < 600; i++) {
        float r[5];
        for (int k = 0; k < 5; k++)
            r[k] = ax_rng_normal(&rng);
        const int kind = r[2] > r[3] ? (r[2] > r[4] ? 0 : 2) : (r[3] > r[4] ? 1 : 2);
        len += snprintf(csv + len, sizeof csv - (size_t)len, "%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%d\n", r[0], r[1], r[2],
                        r[3], r[4], 2 * r[0] - r[1] + r[2] * r[3], kind);
    }
    file("wd.csv", csv);
    file("wd.spec", "input wide 2\ninput deep 3\ndense h inputs=deep units=16 activation=tanh\n"
                    "concat j inputs=wide,h\ndense y_out units=1\ndense kind_out inputs=h units=3\n"
                    "loss y mse inputs=y_out\nloss kind softmax_cross_entropy inputs=kind_out weight=0.5\n");
    char out[1 << 16], cmd[1024];
    const char *data = "csv:wd.csv:input.wide=a,b:input.deep=c,d,e:target.y=y:label.kind=kind";
    snprintf(cmd, sizeof cmd, "train wd.spec --data %s --val %s --epochs 15 --lr 0.01 --batch 32 --out wd.st --json",
             data, data);
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(json_number(out, "y_loss") < 0.6 && json_number(out, "val_kind_accuracy") > 0.85);
    CHECK(fabs(json_number(out, "val_loss") - json_number(out, "val_y_loss") - 0.5 * json_number(out, "val_kind_loss")) <
          1e-4 * json_number(out, "val_loss"));
    snprintf(cmd, sizeof cmd, "eval wd.st --data %s", data);
    CHECK(run(cmd, out, sizeof out) == 0 && strstr(out, "600 samples: loss ") && strstr(out, "head y: loss ") &&
          strstr(out, "R^2 ") && strstr(out, "head kind: loss ") && strstr(out, "macro F1 "));
    snprintf(cmd, sizeof cmd, "eval wd.st --data %s --json", data);
    CHECK(run(cmd, out, sizeof out) == 0 && strstr(out, "\"heads\":{\"y\":{\"loss\":") && strstr(out, "\"kind\":{"));
    snprintf(cmd, sizeof cmd, "predict wd.st --input csv:wd.csv:input.wide=a,b:input.deep=c,d,e --output p.csv");
    CHECK(run(cmd, out, sizeof out) == 0);
    char *pred = cli_text_of(file("p.csv", NULL));
    CHECK(pred && !strncmp(pred, "row,y.y0,kind.class,kind.p0,kind.p1,kind.p2\n0,", 46));
    int lines = 0;
    for (const char *q = pred; q && *q; q++)
        lines += *q == '\n';
    CHECK(lines == 601);
    free(pred);
    CHECK(run("info wd.st", out, sizeof out) == 0 && strstr(out, "Input deep: (3)") &&
          strstr(out, "Head kind: output (3), loss softmax_cross_entropy on target 'kind', weight 0.5"));
    /* the data must name every part the model reads */
    CHECK(run("eval wd.st --data csv:wd.csv", out, sizeof out) == 1 && strstr(out, "name the columns of each"));
    CHECK(run("eval wd.st --data csv:wd.csv:input.wide=a,b:target.y=y:label.kind=kind", out, sizeof out) == 1 &&
          strstr(out, "the model's input 'deep' has no feature group of that name"));
    CHECK(run("eval wd.st --data csv:wd.csv:input.wide=a,b:input.deep=c,d,e:target.y=y:target.kind=kind", out,
              sizeof out) == 1 && strstr(out, "head 'kind' takes class labels"));
    CHECK(run("eval wd.st --data csv:wd.csv:input.wide=a,b:input.deep=c,d:target.y=y:label.kind=kind", out,
              sizeof out) == 1 && strstr(out, "the model's input 'deep' takes 3 values per sample, the data has 2"));
}

/* axon quantize, info and export-c on a standardized table model; the
 * exported C built with the host's compiler agrees with the host's int8
 * run on every sample, and its accuracy is the one quantize reported. */
static void quantize_and_export(void)
{
    setup();
    char out[1 << 16], cmd[2048];
    file("t.spec", "input x 8\ndense h units=16 activation=relu\ndense y units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train t.spec --data synthetic --epochs 10 --standardize --out t.st", out, sizeof out) == 0);
    CHECK(run("quantize t.st --calibrate synthetic --eval synthetic -o t.q.st --json", out, sizeof out) == 0);
    const double f = json_number(out, "float_accuracy"), q = json_number(out, "int8_accuracy");
    CHECK(f > 0.8 && fabs(q - f) <= 0.03);
    CHECK(json_number(out, "layers") == 2 && json_number(out, "arena_bytes") > 0);
    CHECK(run("info t.q.st", out, sizeof out) == 0 && strstr(out, "int8 model") && strstr(out, "dense        relu_") &&
          strstr(out, "accuracy when quantized: float "));
    CHECK(run("export-c t.q.st -o model.c --check-data synthetic --check-out check.bin --check-samples 0", out, sizeof out) == 0 &&
          strstr(out, "int8 model, 2 layers"));
    const char *src = getenv("AXON_SOURCE_DIR");
    snprintf(cmd, sizeof cmd, "cd %s && cc -std=c99 -pedantic -Wall -Wextra -Werror -O1 -I. %s/tests/mcu/harness.c model.c -o h && ./h",
             dir, src ? src : "../..");
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[n] = 0;
    CHECK(p && pclose(p) == 0);
    char want[64];
    snprintf(want, sizeof want, "mismatches 0, largest difference (codes) 0, accuracy %ld/500", lround(q * 500));
    CHECK(strstr(out, want) != NULL);
    CHECK(run("export-c t.st -o f.c", out, sizeof out) == 0 && strstr(out, "float32 model"));
    /* errors */
    CHECK(run("quantize t.st -o x.q.st", out, sizeof out) == 2 && strstr(out, "needs a MODEL, --calibrate DATA"));
    CHECK(run("quantize t.st --calibrate mnist -o x.q.st", out, sizeof out) == 1 && strstr(out, "data 'mnist'"));
    CHECK(run("quantize t.st --calibrate synthetic --percentile 20 -o x.q.st", out, sizeof out) == 2);
    file("ln.spec", "input x 8\ndense h units=4\nlayernorm n axis=1\ndense y units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train ln.spec --data synthetic --epochs 1 --out ln.st", out, sizeof out) == 0);
    CHECK(run("quantize ln.st --calibrate synthetic -o x.q.st", out, sizeof out) == 1 &&
          strstr(out, "(op layernorm): no integer kernel"));
    CHECK(run("export-c t.q.st -o m.c --prefix 9x", out, sizeof out) == 1 && strstr(out, "not a C identifier"));
    CHECK(run("export-c t.q.st -o m.c --check-data synthetic", out, sizeof out) == 2);
    CHECK(run("export-c missing.st -o m.c", out, sizeof out) == 1 && strstr(out, "missing.st"));
}

/* axon export to ONNX and back: info, predict and --init-from read the
 * .onnx file; the predictions equal the axon model's. */
static void onnx_files(void)
{
    setup();
    char out[1 << 16], a[1 << 16];
    file("t.spec", "input x 8\ndense h units=16 activation=gelu\ndense y units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train t.spec --data synthetic --epochs 5 --out t.st", out, sizeof out) == 0);
    CHECK(run("export t.st t.onnx", out, sizeof out) == 0 && strstr(out, "wrote t.onnx (ONNX opset 17)"));
    CHECK(run("info t.onnx", out, sizeof out) == 0 && strstr(out, "erf") && strstr(out, "Input: x"));
    CHECK(run("predict t.st --input synthetic", a, sizeof a) == 0);
    CHECK(run("predict t.onnx --input synthetic", out, sizeof out) == 0);
    /* the ONNX model has no loss, so it prints its raw outputs: their softmax is the axon model's probabilities */
    double logit[3], prob[3];
    const char *ro = strstr(out, "\n0,"), *ra = strstr(a, "\n0,");
    CHECK(ro && ra && sscanf(ro, "\n0,%lf,%lf,%lf", &logit[0], &logit[1], &logit[2]) == 3 &&
          sscanf(ra, "\n0,%*d,%lf,%lf,%lf", &prob[0], &prob[1], &prob[2]) == 3);
    const double z = exp(logit[0]) + exp(logit[1]) + exp(logit[2]);
    for (int k = 0; k < 3; k++)
        CHECK(fabs(exp(logit[k]) / z - prob[k]) < 1e-5);
    CHECK(run("train t.spec --data synthetic --epochs 1 --init-from t.onnx --out u.st", out, sizeof out) == 0 &&
          strstr(out, "initialised 4 parameters from the ONNX initializers"));
    file("bad.onnx", "\x0a\xff\xff\xff\xff\x0f not protobuf");
    CHECK(run("info bad.onnx", out, sizeof out) == 1 && strstr(out, "not an ONNX model: at byte 0"));
    CHECK(run("export t.st", out, sizeof out) == 2 && strstr(out, "needs a MODEL and OUT.onnx"));
}

TEST_MAIN(T(spec_errors_name_line_and_column), T(specs_build_graphs), T(train_eval_predict_info),
          T(standardize_and_predict_new_data), T(resume_from_the_command_line), T(outputs_are_safe), T(epochs_reported),
          T(checkpoints_survive_a_kill), T(the_model_knows_what_it_is), T(pytorch_files_load), T(layers_as_stored),
          T(bad_usage_and_bad_input), T(catalog_matches_the_schemas), T(files_of_the_first_format_load),
          T(c_graphs_save_and_run), T(text_models), T(several_inputs_and_heads), T(quantize_and_export), T(onnx_files),
          T(run_folders))
