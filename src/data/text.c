/* Character-level text data (axon/text.h): the vocabulary of a text and
 * its windows as a data set of next-character labels. */
#include "axon/text.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define MAX_WINDOW 65536
#define MAX_TEXT ((size_t)1 << 28) /* 256 MiB: the windows hold 8 bytes a character */

static void vocab_index(ax_vocab *v)
{
    memset(v->code, -1, sizeof v->code);
    for (int c = 0; c < v->size; c++)
        v->code[v->chars[c]] = (int16_t)c;
}

ax_status ax_vocab_from_text(const char *text, size_t len, ax_vocab *out)
{
    int seen[256] = {0};
    for (size_t i = 0; i < len; i++)
        seen[(unsigned char)text[i]] = 1;
    *out = (ax_vocab){0};
    for (int b = 0; b < 256; b++)
        if (seen[b])
            out->chars[out->size++] = (unsigned char)b;
    if (!out->size)
        return ax_fail(AX_ERR_INVALID_ARG, "vocabulary: the text is empty");
    vocab_index(out);
    return AX_OK;
}

ax_status ax_vocab_to_json(const ax_vocab *v, char **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject(), *chars = cJSON_AddArrayToObject(root, "chars");
    for (int c = 0; chars && c < v->size; c++)
        cJSON_AddItemToArray(chars, cJSON_CreateNumber(v->chars[c]));
    char *text = chars ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return ax_fail(AX_ERR_NOMEM, "vocabulary: out of memory");
    const size_t n = strlen(text) + 1;
    *out = ax_alloc(n);
    if (*out)
        memcpy(*out, text, n);
    cJSON_free(text);
    return *out ? AX_OK : ax_fail(AX_ERR_NOMEM, "vocabulary: out of memory");
}

ax_status ax_vocab_from_json(const char *json, const char *source, ax_vocab *out)
{
    *out = (ax_vocab){0};
    cJSON *root = cJSON_Parse(json), *chars = cJSON_GetObjectItemCaseSensitive(root, "chars");
    ax_status s = AX_OK;
    int size = cJSON_IsArray(chars) ? cJSON_GetArraySize(chars) : -1;
    if (size < 1 || size > 256)
        s = ax_fail(AX_ERR_FORMAT, "%s: vocabulary: expected {\"chars\": [1 to 256 byte values]}", source);
    int used[256] = {0};
    for (int c = 0; s == AX_OK && c < size; c++) {
        const cJSON *b = cJSON_GetArrayItem(chars, c);
        const double v = cJSON_IsNumber(b) ? b->valuedouble : -1;
        if (!(v >= 0 && v <= 255 && v == (int)v) || used[(int)v] || (c && (int)v <= out->chars[c - 1]))
            s = ax_fail(AX_ERR_FORMAT, "%s: vocabulary: entry %d is not a byte (0..255) above the one before it", source, c);
        else
            used[(int)v] = 1, out->chars[c] = (unsigned char)v;
    }
    cJSON_Delete(root);
    if (s != AX_OK)
        return s;
    out->size = size;
    vocab_index(out);
    return AX_OK;
}

ax_status ax_dataset_text(const char *path, int64_t window, const ax_vocab *vocab, ax_vocab *vocab_out,
                          ax_dataset **out)
{
    *out = NULL;
    if (window < 2 || window > MAX_WINDOW)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: a window of %lld characters; expected 2 to %d", path, (long long)window,
                       MAX_WINDOW);
    char *text;
    size_t len;
    ax_status s = ax_read_file(path, MAX_TEXT, &text, &len);
    if (s != AX_OK)
        return s;
    ax_vocab own;
    if (!vocab) {
        if ((s = ax_vocab_from_text(text, len, &own)) != AX_OK) {
            ax_free(text);
            return ax_fail(s, "%s: the file is empty", path);
        }
        vocab = &own;
    }
    for (size_t i = 0; i < len; i++)
        if (vocab->code[(unsigned char)text[i]] < 0) {
            const unsigned char byte = (unsigned char)text[i];
            ax_free(text);
            return ax_fail(AX_ERR_FORMAT, "%s: byte %zu (0x%02x) is not in the model's vocabulary of %d characters", path,
                           i, byte, vocab->size);
        }
    const int64_t n = len > 0 ? (int64_t)(len - 1) / window : 0;
    if (n < 1) {
        ax_free(text);
        return ax_fail(AX_ERR_FORMAT, "%s: %zu bytes make no window of %lld characters and their next ones", path, len,
                       (long long)window);
    }
    float *x = ax_alloc((size_t)(n * window) * sizeof(float)), *y = ax_alloc((size_t)(n * window) * sizeof(float));
    s = x && y ? AX_OK : ax_fail(AX_ERR_NOMEM, "%s: out of memory for %lld windows", path, (long long)n);
    for (int64_t k = 0; s == AX_OK && k < n * window; k++) {
        x[k] = (float)vocab->code[(unsigned char)text[k]];
        y[k] = (float)vocab->code[(unsigned char)text[k + 1]];
    }
    if (s == AX_OK)
        s = ax_dataset_from_floats(x, n, window, NULL, 0, y, window, out);
    if (s == AX_OK) {
        (*out)->step_labels = 1;
        (*out)->n_classes = vocab->size;
        if (vocab_out)
            *vocab_out = *vocab;
    }
    ax_free(x);
    ax_free(y);
    ax_free(text);
    return s;
}
