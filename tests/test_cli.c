/* The model-spec format and the axon program. */
#include "test.h"

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

static int run(const char *args, char *out, size_t len)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s %s 2>&1", dir, axon, args);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, len - 1, p) : 0;
    out[n] = '\0';
    int st = p ? pclose(p) : -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void spec_errors_name_line_and_column(void)
{
    const struct {
        const char *text, *needle;
    } cases[] = {
        {"dense fc units=3\nloss mse\n", "s.spec:1:1: the first line must be: input NAME DIM"},
        {"input x 8\ndense fc units=3\nconvolve c\nloss mse\n", "s.spec:3:1: unknown layer type 'convolve'"},
        {"input x 8\ndense fc unit=3\nloss mse\n", "s.spec:2:10: unknown key 'unit' for dense (expected one of: units"},
        {"input x 8\ndense fc activation=relu\nloss mse\n", "s.spec:2:1: dense needs units=N"},
        {"input x 8\ndense fc units=-2\nloss mse\n", "s.spec:2:10: units expects a whole number >= 1, got '-2'"},
        {"input x 8\ndense fc units=3\n", "s.spec: no loss line"},
        {"input x 8\ndense a units=3\nadd s inputs=a,b\nloss mse\n", "s.spec:3:7: inputs: no layer named 'b' before this line"},
        {"input x 8\ndense fc units=3 init=magic\nloss mse\n", "s.spec:2:18: unknown init 'magic'"},
        {"input x 8\ndense fc units=3\nloss softmax_cross_entropy\ndense z units=2\n", "s.spec:4:1: nothing may follow the loss line"},
        {"input x 0\ndense fc units=3\nloss mse\n", "s.spec:1:9: input dimension '0' is not a whole number >= 1"},
        {"input x 2 3\nconv2d c filters=2\nloss mse\n", "s.spec:2:1: conv2d 'c': needs x [N, C, H, W]"},
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
            CHECK_ERR(ax_spec_build(deep, "deep.spec", 2, 1, &sp), AX_ERR_FORMAT, "deep.spec:258: more than 255 layers");
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

static double json_number(const char *json, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    return p ? atof(p + strlen(pat)) : -1;
}

static void train_eval_predict_info(void)
{
    setup();
    char out[1 << 16];
    file("m.spec", "input x 8\ndense h units=16 activation=relu\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --epochs 5 --out m.safetensors --json", out, sizeof out) == 0);
    CHECK(json_number(out, "val_accuracy") > 0.9 && json_number(out, "parameters") == 8 * 16 + 16 + 16 * 3 + 3);
    CHECK(run("eval m.safetensors --data synthetic --json", out, sizeof out) == 0);
    CHECK(json_number(out, "samples") == 500 && json_number(out, "accuracy") > 0.9 && strstr(out, "\"confusion\": [["));
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

static void bad_usage_and_bad_input(void)
{
    setup();
    char out[8192];
    file("m.spec", "input x 8\ndense out units=3\nloss softmax_cross_entropy\n");
    CHECK(run("train m.spec --data synthetic --frobnicate", out, sizeof out) == 2 && strstr(out, "unknown option '--frobnicate'"));
    CHECK(run("train m.spec --data synthetic --epochs zero", out, sizeof out) == 2 && strstr(out, "--epochs expects a whole number"));
    CHECK(run("train m.spec", out, sizeof out) == 2 && strstr(out, "needs a SPEC file and --data DATA"));
    CHECK(run("bake", out, sizeof out) == 2 && strstr(out, "unknown command 'bake'"));
    CHECK(run("train m.spec --data csv:missing.csv", out, sizeof out) == 1 && strstr(out, "missing.csv: cannot open"));
    CHECK(run("eval nothing.safetensors --data synthetic", out, sizeof out) == 1 && strstr(out, "nothing.safetensors: cannot open"));
    CHECK(run("train m.spec --data whatever", out, sizeof out) == 1 && strstr(out, "data 'whatever': expected"));
    for (const char *c = "train\0eval\0predict\0info\0"; *c; c += strlen(c) + 1) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", c);
        CHECK(run(args, out, sizeof out) == 0 && strstr(out, "usage: axon"));
    }
}

TEST_MAIN(T(spec_errors_name_line_and_column), T(specs_build_graphs), T(train_eval_predict_info), T(standardize_and_predict_new_data), T(resume_from_the_command_line),
          T(bad_usage_and_bad_input))
