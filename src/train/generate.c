/* Sampling from a character-level model (axon/text.h). */
#include "axon/text.h"
#include "train/rows.h"

#include <math.h>
#include <string.h>

ax_status ax_generate(ax_model *m, const ax_vocab *vocab, const char *prompt, int64_t length, float temperature,
                      uint64_t seed, char **out)
{
    *out = NULL;
    if (!m || !m->graph || !m->input || !m->output || !ax_graph_compiled(m->graph))
        return ax_fail(AX_ERR_INVALID_ARG, "generate: needs a compiled model with an input and an output");
    const ax_shape in = ax_node_shape(m->input), o = ax_node_shape(m->output);
    const int64_t T = ax_graph_max_seq(m->graph) ? ax_graph_max_seq(m->graph) : in.dim[1];
    if (in.ndim != 2 || o.ndim != 3 || o.dim[2] < vocab->size)
        return ax_fail(AX_ERR_SHAPE, "generate: the model must take codes [B, T] and give scores [B, T, C], C >= %d",
                       vocab->size);
    const int64_t C = o.dim[2]; /* scores past the vocabulary's size belong to no character: not drawn */
    if (length < 0 || length > ((int64_t)1 << 30) || !(temperature >= 0 && temperature <= 1e3))
        return ax_fail(AX_ERR_INVALID_ARG, "generate: length 0..2^30 and temperature 0..1000 (0: the most likely)");
    const size_t plen = prompt ? strlen(prompt) : 0;
    if (plen == 0)
        return ax_fail(AX_ERR_INVALID_ARG, "generate: the prompt must hold at least one character");
    for (size_t i = 0; i < plen; i++)
        if (vocab->code[(unsigned char)prompt[i]] < 0)
            return ax_fail(AX_ERR_INVALID_ARG, "generate: the prompt's character %zu (0x%02x) is not in the model's vocabulary",
                           i, (unsigned char)prompt[i]);
    if (!ax_graph_max_seq(m->graph) && (int64_t)plen < T)
        return ax_fail(AX_ERR_INVALID_ARG,
                       "generate: the model's input is a fixed %lld steps and the prompt has %zu characters (give it "
                       "%lld, or a sequence input: `input NAME %lld seq` in the spec)",
                       (long long)T, plen, (long long)T, (long long)T);
    char *text = ax_alloc(plen + (size_t)length + 1);
    float *p = ax_alloc((size_t)vocab->size * sizeof(float));
    ax_status s = text && p ? AX_OK : ax_fail(AX_ERR_NOMEM, "generate: out of memory");
    ax_rng rng;
    ax_rng_seed(&rng, seed, 1);
    const int was_training = ax_graph_training(m->graph);
    ax_graph_set_training(m->graph, 0);
    if (s == AX_OK) {
        memcpy(text, prompt, plen);
        s = ax_graph_set_batch(m->graph, 1);
    }
    size_t len = plen;
    for (int64_t k = 0; s == AX_OK && k < length; k++) {
        const int64_t t = (int64_t)len < T ? (int64_t)len : T;
        if (ax_graph_max_seq(m->graph) && (s = ax_graph_set_seq(m->graph, t)) != AX_OK)
            break;
        float *x = ax_node_map(m->input);
        for (int64_t j = 0; j < t; j++)
            x[j] = (float)vocab->code[(unsigned char)text[len - (size_t)t + (size_t)j]];
        ax_node_unmap(m->input, 1);
        if ((s = ax_graph_forward_to(m->graph, m->output)) != AX_OK)
            break;
        const float *y = ax_node_map(m->output) + (t - 1) * C; /* the last step's scores */
        int next = (int)ax_row_argmax(vocab->size, y);
        if (temperature > 0) { /* softmax(y / temperature), then one draw */
            double total = 0;
            for (int c = 0; c < vocab->size; c++)
                total += p[c] = expf((y[c] - y[next]) / temperature);
            double u = ax_rng_uniform(&rng) * total;
            for (next = 0; next < vocab->size - 1 && (u -= p[next]) >= 0; next++) {
            }
        }
        ax_node_unmap(m->output, 0);
        text[len++] = (char)vocab->chars[next];
    }
    ax_graph_set_training(m->graph, was_training);
    ax_free(p);
    if (s != AX_OK) {
        ax_free(text);
        return s;
    }
    text[len] = '\0';
    *out = text;
    return AX_OK;
}
