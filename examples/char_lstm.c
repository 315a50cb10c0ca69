/* A character-level language model: an LSTM reads a text one character
 * at a time and learns to predict the next one (Karpathy's char-rnn, the
 * course's recurrent networks). Embedding 32, LSTM 128, a dense layer to
 * the vocabulary at every step, softmax cross-entropy over every step,
 * Adam, batches of 16 windows of 48 characters drawn from the text.
 *
 *   char_lstm OUT_DIR [TEXT] [STEPS]
 *
 * Writes OUT_DIR/char_lstm.svg (the loss curve), prints a sample before
 * and after training, and leaves for examples/char_lstm_torch.py (the
 * same model in PyTorch) the initial weights (char_lstm_init.safetensors),
 * the windows of each step (char_lstm_batches.txt) and axon's loss at
 * each step (char_lstm_losses.txt).
 *
 * Exits 1 unless the loss falls from about ln(vocabulary) to under 2.3
 * nats, and after training most words of a sample (at temperature 0.5)
 * are words of the text, where before training hardly any are. */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BATCH = 16, T = 48, EMBED = 32, HIDDEN = 128 };

/* The share of the sample's words (runs of letters) found in the text. */
static double known_words(const char *sample, const char *text)
{
    int words = 0, known = 0;
    for (const char *p = sample; *p;) {
        while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            p++;
        const char *w = p;
        while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
            p++;
        const size_t n = (size_t)(p - w);
        if (n < 2)
            continue;
        char word[64];
        if (n + 3 > sizeof word)
            continue;
        words++;
        /* as a whole word: delimited by non-letters in the text */
        for (const char *q = text; (q = strstr(q, (snprintf(word, sizeof word, "%.*s", (int)n, w), word))); q++) {
            const int before = q == text || !((q[-1] | 32) >= 'a' && (q[-1] | 32) <= 'z');
            const int after = !((q[n] | 32) >= 'a' && (q[n] | 32) <= 'z');
            if (before && after) {
                known++;
                break;
            }
        }
    }
    return words ? (double)known / words : 0.0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    const char *path = argc > 2 ? argv[2] : "/usr/share/common-licenses/GPL-3";
    const int steps = argc > 3 ? atoi(argv[3]) : 400;
    char *text, file[4096];
    size_t len;
    ax_vocab v;
    if (steps < 100 || ax_read_file(path, 1 << 26, &text, &len) != AX_OK || len < 10 * T ||
        ax_vocab_from_text(text, len, &v) != AX_OK) {
        fprintf(stderr, "char_lstm: needs a text of some length and at least 100 steps: %s\n", ax_last_error());
        return 1;
    }
    ax_rng rng;
    ax_rng_seed(&rng, 2024, 1);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *chars = ax_input_seq(g, "chars", ax_shape2(BATCH, T)), *next = ax_input_seq(g, "next", ax_shape2(BATCH, T));
    ax_node *emb = ax_param(g, "embed.weight", ax_shape2(v.size, EMBED));
    ax_init_fill(ax_node_data(emb), ax_node_shape(emb), (ax_init){AX_INIT_NORMAL, 0, 1}, &rng);
    ax_node *h = ax_rnn_layer(g, ax_embedding(g, chars, emb), AX_LSTM, HIDDEN, NULL, &rng, "lstm", NULL);
    ax_node *logits = ax_dense(g, h, v.size, NULL, (ax_init){AX_INIT_UNIFORM, -0.088f, 0.088f}, &rng, "head");
    ax_node *in[2] = {logits, next};
    ax_node *loss = ax_apply(g, "softmax_cross_entropy", in, 2, NULL, 0, "loss");
    ax_model m = {.graph = g, .input = chars, .target = next, .output = logits, .loss = loss};
    ax_optimizer *opt;
    ax_optim_config oc;
    ax_optim_defaults("adam", &oc);
    oc.lr = 0.004f;
    ax_status s = ax_graph_compile(g);
    if (s == AX_OK)
        s = ax_optimizer_new("adam", &oc, &opt);
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, g);
    snprintf(file, sizeof file, "%s/char_lstm_init.safetensors", dir);
    if (s == AX_OK)
        s = ax_save_safetensors(file, g, NULL, NULL, 0);
    char *before = NULL, *after = NULL;
    if (s == AX_OK)
        s = ax_generate(&m, &v, "The ", 300, 0.5f, 1, &before);
    double *curve = calloc((size_t)steps, sizeof *curve);
    snprintf(file, sizeof file, "%s/char_lstm_batches.txt", dir);
    FILE *batches = fopen(file, "w");
    snprintf(file, sizeof file, "%s/char_lstm_losses.txt", dir);
    FILE *losses = fopen(file, "w");
    if (s == AX_OK && (!curve || !batches || !losses))
        s = ax_fail(AX_ERR_IO, "char_lstm: cannot write into %s", dir);
    ax_graph_set_batch(g, BATCH);
    for (int k = 0; k < steps && s == AX_OK; k++) {
        float *x = ax_node_data(chars), *y = ax_node_data(next);
        for (int i = 0; i < BATCH; i++) { /* a window anywhere in the text */
            const size_t start = (size_t)(ax_rng_uniform(&rng) * (double)(len - T - 1));
            fprintf(batches, i ? " %zu" : "%zu", start);
            for (int t = 0; t < T; t++) {
                x[i * T + t] = (float)v.code[(unsigned char)text[start + t]];
                y[i * T + t] = (float)v.code[(unsigned char)text[start + t + 1]];
            }
        }
        fprintf(batches, "\n");
        ax_step st = {.epoch = 1, .step = k + 1, .rows = BATCH};
        s = ax_train_step(&m, opt, NULL, 0, &st);
        curve[k] = st.loss;
        fprintf(losses, "%.7f\n", st.loss);
    }
    if (batches && fclose(batches) != 0 && s == AX_OK)
        s = ax_fail(AX_ERR_IO, "char_lstm: writing the batches failed");
    if (losses && fclose(losses) != 0 && s == AX_OK)
        s = ax_fail(AX_ERR_IO, "char_lstm: writing the losses failed");
    if (s == AX_OK)
        s = ax_generate(&m, &v, "The ", 300, 0.5f, 1, &after);
    if (s == AX_OK) {
        ax_series line = {.label = "training loss (nats per character)", .y = curve, .n = steps};
        ax_panel p = {.title = "char-level LSTM on a text", .x_label = "step", .y_label = "loss", .series = &line,
                      .n_series = 1};
        snprintf(file, sizeof file, "%s/char_lstm.svg", dir);
        s = ax_plot_svg(file, &p, 1, 1, "embedding 32, LSTM 128, batch 16 x 48 characters, Adam 0.004");
    }
    if (s != AX_OK) {
        fprintf(stderr, "char_lstm: %s\n", ax_last_error());
        return 1;
    }
    double first = 0, last = 0;
    for (int k = 0; k < 10; k++)
        first += curve[k] / 10, last += curve[steps - 10 + k] / 10;
    const double kb = known_words(before, text), ka = known_words(after, text);
    printf("text %s: %zu characters, vocabulary %d (ln %d = %.2f nats)\n", path, len, v.size, v.size, log(v.size));
    printf("loss: first 10 steps %.3f, last 10 of %d steps %.3f\n", first, steps, last);
    printf("sample before training (%.0f%% known words):\n%s\n\n", 100 * kb, before);
    printf("sample after training (%.0f%% known words):\n%s\n", 100 * ka, after);
    const int ok = last < 2.3 && curve[0] > 0.9 * log(v.size) && ka > 0.5 && kb < 0.2;
    if (!ok)
        printf("FAILED: expected the loss to fall from about ln(vocabulary) to under 2.3 and over half the sample's "
               "words to be the text's after training, under a fifth before\n");
    free(curve);
    ax_free(before);
    ax_free(after);
    ax_free(text);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return ok ? 0 : 1;
}
