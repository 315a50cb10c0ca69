/* Model specs (they also travel inside model files): parse, build and
 * compile for a batch of 2. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    ax_spec sp;
    if (ax_spec_build(text, "fuzz.spec", 2, 1, &sp) == AX_OK)
        ax_graph_free(sp.graph);
    free(text);
    return 0;
}
