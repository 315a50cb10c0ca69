/* axon text: character-level language data and sampling.
 *
 * A vocabulary is the set of bytes a text uses, numbered in byte order
 * (characters are bytes: UTF-8 text works, a multi-byte character being
 * several tokens). A text becomes a data set of windows: sample i is the
 * codes of characters [i W, i W + W) and its step labels the codes of the
 * characters one further on, the next character at every step. A model
 * over such windows (an embedding, recurrent layers, a dense layer at
 * every step, softmax cross-entropy over every step) is a character-level
 * language model; ax_generate samples from it. */
#ifndef AXON_TEXT_H
#define AXON_TEXT_H

#include "axon/train.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ax_vocab {
    int size;                 /* 1..256 */
    unsigned char chars[256]; /* code -> byte */
    int16_t code[256];        /* byte -> code, -1 for a byte not in it */
} ax_vocab;

/* The bytes of text[0..len), in byte order. */
ax_status ax_vocab_from_text(const char *text, size_t len, ax_vocab *out);
/* As JSON, {"chars": [byte, ...]} (models keep it in their metadata), and
 * back, checked (source names the text in errors). ax_free the text. */
ax_status ax_vocab_to_json(const ax_vocab *v, char **out);
ax_status ax_vocab_from_json(const char *json, const char *source, ax_vocab *out);

/* A text file as windows of `window` characters (2..65536) with their
 * next characters as step labels; every character but the first is a
 * label once. vocab: the codes to use (a byte outside it is an error
 * naming its offset), or NULL to take the file's own, returned in
 * *vocab_out when that is not NULL. */
ax_status ax_dataset_text(const char *path, int64_t window, const ax_vocab *vocab, ax_vocab *vocab_out,
                          ax_dataset **out);

/* Continue prompt by `length` characters sampled from a character-level
 * model: m's input takes codes [B, T] (a sequence input, ax_input_seq,
 * runs on the prompt while it is shorter than T; otherwise the prompt
 * must hold T characters), its output is [B, T, C] scores, C at least
 * the vocabulary's size (the scores past it are not drawn).
 * Each step runs the last T characters (at most) and draws the next from
 * softmax(scores / temperature) of the last step (temperature 0: the most
 * likely), with a random stream seeded by seed. *out is prompt followed
 * by what was drawn, NUL-terminated; ax_free it. */
ax_status ax_generate(ax_model *m, const ax_vocab *vocab, const char *prompt, int64_t length, float temperature,
                      uint64_t seed, char **out);

#ifdef __cplusplus
}
#endif
#endif
