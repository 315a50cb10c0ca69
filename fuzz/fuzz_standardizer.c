/* The standardization statistics stored as JSON in model files. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    ax_standardizer *st = NULL;
    if (ax_standardizer_from_json(text, "fuzz", &st) == AX_OK) {
        char *json = NULL;
        if (ax_standardizer_to_json(st, &json) == AX_OK)
            ax_free(json);
        ax_standardizer_free(st);
    }
    free(text);
    return 0;
}
