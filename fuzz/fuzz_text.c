/* Text models' readers: the vocabulary in a model's metadata (JSON) and
 * a text file read as windows, with the file's own vocabulary and with
 * one read from the input. A vocabulary read back must write out and read
 * in again the same. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    ax_vocab v, back;
    if (ax_vocab_from_json(text, "fuzz.vocab", &v) == AX_OK) {
        char *json;
        if (ax_vocab_to_json(&v, &json) != AX_OK || ax_vocab_from_json(json, "again", &back) != AX_OK ||
            back.size != v.size || memcmp(back.chars, v.chars, (size_t)v.size))
            abort();
        ax_free(json);
    }
    free(text);
    const char *p = fuzz_file(data, size, ".txt");
    const int64_t windows[3] = {2, 7, 64};
    for (int k = 0; k < 3; k++) {
        ax_dataset *ds = NULL;
        ax_vocab got;
        if (ax_dataset_text(p, windows[k], NULL, &got, &ds) == AX_OK) {
            for (int64_t i = 0; i < ds->n * ds->n_targets; i++)
                if (ds->targets[i] < 0 || ds->targets[i] >= (float)got.size)
                    abort();
            ax_dataset_free(ds);
        }
    }
    return 0;
}
