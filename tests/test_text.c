/* Character-level text: the vocabulary and its JSON, a file as windows
 * of next-character labels, per-step accuracy in fit, and sampling. */
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[64];

static const char *write_text(const char *name, const char *text, size_t len)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(text, 1, len, f) == len);
    if (f)
        fclose(f);
    return path;
}

static void vocabularies(void)
{
    ax_vocab v, back;
    const char text[] = "banana\n";
    CHECK_OK(ax_vocab_from_text(text, 7, &v));
    CHECK(v.size == 4 && !memcmp(v.chars, "\nabn", 4)); /* byte order */
    CHECK(v.code['a'] == 1 && v.code['n'] == 3 && v.code['z'] == -1);
    char *json;
    CHECK_OK(ax_vocab_to_json(&v, &json));
    CHECK(!strcmp(json, "{\"chars\":[10,97,98,110]}"));
    CHECK_OK(ax_vocab_from_json(json, "m.safetensors", &back));
    CHECK(back.size == 4 && !memcmp(back.chars, v.chars, 4) && back.code['b'] == 2);
    ax_free(json);
    const char *bad[] = {"{\"chars\":[]}", "{\"chars\":[98,97]}", "{\"chars\":[97,97]}", "{\"chars\":[256]}",
                         "{\"chars\":[1.5]}", "[1,2]", "{\"chars\":\"ab\"}", "{"};
    for (int i = 0; i < 8; i++)
        CHECK_ERR(ax_vocab_from_json(bad[i], "m.safetensors", &back), AX_ERR_FORMAT, "m.safetensors: vocabulary");
    CHECK_ERR(ax_vocab_from_text("", 0, &v), AX_ERR_INVALID_ARG, "empty");
}

static void windows_of_next_characters(void)
{
    const char *p = write_text("w.txt", "abcdefghij", 10);
    ax_dataset *ds;
    ax_vocab v;
    CHECK_OK(ax_dataset_text(p, 3, NULL, &v, &ds));
    /* (10 - 1) / 3 = 3 windows: abc->bcd, def->efg, ghi->hij */
    CHECK(ds->n == 3 && ds->sample_size == 3 && ds->n_targets == 3 && ds->step_labels && ds->n_classes == 10);
    CHECK(ds->xf[3] == 3 && ds->targets[3] == 4 && ds->xf[8] == 8 && ds->targets[8] == 9);
    ax_dataset_free(ds);
    /* another file with this vocabulary: a byte outside it is an error naming its offset */
    const char *q = write_text("x.txt", "abcXdefgh", 9);
    CHECK_ERR(ax_dataset_text(q, 3, &v, NULL, &ds), AX_ERR_FORMAT, "byte 3 (0x58) is not in the model's vocabulary");
    CHECK_ERR(ax_dataset_text(p, 1, NULL, NULL, &ds), AX_ERR_INVALID_ARG, "expected 2 to 65536");
    CHECK_ERR(ax_dataset_text(p, 10, NULL, NULL, &ds), AX_ERR_FORMAT, "no window of 10 characters");
    CHECK_ERR(ax_dataset_text(write_text("e.txt", "", 0), 4, NULL, NULL, &ds), AX_ERR_INVALID_ARG, "empty");
    CHECK_ERR(ax_dataset_text(dir, 4, NULL, NULL, &ds), AX_ERR_IO, "");
}

/* A GRU learns a text that repeats "abcd\n": each character fixes the
 * next, so per-step accuracy nears 1 on every seed, and sampling at
 * temperature 0 continues the pattern. */
static void a_model_learns_and_continues_a_text(void)
{
    char text[4001];
    for (int i = 0; i < 4000; i++)
        text[i] = "abcd\n"[i % 5];
    const char *p = write_text("abcd.txt", text, 4000);
    const char *spec = "input chars 16 seq\n"
                       "embedding embed dim=8 vocab=5\n"
                       "gru gru units=16\n"
                       "dense head units=5 per_step=1\n"
                       "loss softmax_cross_entropy\n";
    for (uint64_t seed = 1; seed <= 3; seed++) {
        ax_spec sp;
        ax_dataset *ds;
        ax_vocab v;
        CHECK_OK(ax_spec_build(spec, "abcd.spec", 16, seed, &sp));
        CHECK_OK(ax_dataset_text(p, 16, NULL, &v, &ds));
        ax_optimizer *opt;
        ax_optim_config oc;
        ax_optim_defaults("adam", &oc);
        oc.lr = 0.02f;
        CHECK_OK(ax_optimizer_new("adam", &oc, &opt));
        CHECK_OK(ax_optimizer_add_graph(opt, sp.graph));
        ax_model m = {.graph = sp.graph, .input = sp.input, .target = sp.target, .output = sp.output, .loss = sp.loss};
        ax_fit_config fc = ax_fit_defaults();
        fc.epochs = 8;
        fc.seed = seed;
        fc.verbosity = AX_QUIET;
        ax_epoch_log log[8];
        CHECK_OK(ax_fit(&m, opt, ds, NULL, &fc, log));
        ax_metrics mt;
        CHECK_OK(ax_evaluate(&m, ds, &mt));
        CHECK(mt.accuracy > 0.99 && log[7].train.loss < log[0].train.loss / 4);
        if (getenv("AXON_TEST_VERBOSE") || mt.accuracy <= 0.99)
            printf("  seed %llu: accuracy %.4f, loss %.4f -> %.4f\n", (unsigned long long)seed, mt.accuracy,
                   log[0].train.loss, log[7].train.loss);
        char *out;
        CHECK_OK(ax_generate(&m, &v, "ab", 12, 0, 7, &out));
        CHECK(out && !strcmp(out, "abcd\nabcd\nabcd"));
        ax_free(out);
        /* sampling is reproducible by seed */
        char *a, *b;
        CHECK_OK(ax_generate(&m, &v, "c", 40, 1.5f, 11, &a));
        CHECK_OK(ax_generate(&m, &v, "c", 40, 1.5f, 11, &b));
        CHECK(a && b && !strcmp(a, b) && strlen(a) == 41);
        ax_free(a);
        ax_free(b);
        CHECK_ERR(ax_generate(&m, &v, "abz", 5, 0, 1, &out), AX_ERR_INVALID_ARG, "character 2 (0x7a)");
        CHECK_ERR(ax_generate(&m, &v, "", 5, 0, 1, &out), AX_ERR_INVALID_ARG, "at least one character");
        ax_optimizer_free(opt);
        ax_dataset_free(ds);
        ax_graph_free(sp.graph);
    }
    /* a fixed-length input takes a prompt of its whole length */
    ax_spec sp;
    CHECK_OK(ax_spec_build("input c 8\nembedding dim=4 vocab=5\nrnn units=4\ndense units=5 per_step=1\n"
                           "loss softmax_cross_entropy\n", "fixed.spec", 1, 1, &sp));
    ax_model m = {.graph = sp.graph, .input = sp.input, .target = sp.target, .output = sp.output, .loss = sp.loss};
    ax_vocab v;
    CHECK_OK(ax_vocab_from_text("abcd\n", 5, &v));
    char *out;
    CHECK_ERR(ax_generate(&m, &v, "abc", 5, 0, 1, &out), AX_ERR_INVALID_ARG, "a fixed 8 steps");
    CHECK_OK(ax_generate(&m, &v, "abcd\nabc", 5, 0, 1, &out));
    CHECK(out && strlen(out) == 13);
    ax_free(out);
    ax_graph_free(sp.graph);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/axon-text-XXXXXX");
    if (!mkdtemp(dir))
        abort();
}

static void cleanup(void)
{
    const char *files[] = {"w.txt", "x.txt", "e.txt", "abcd.txt"};
    char path[128];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

TEST_MAIN(T(setup), T(vocabularies), T(windows_of_next_characters), T(a_model_learns_and_continues_a_text), T(cleanup))
