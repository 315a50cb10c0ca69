/* Graph files (the "graph" of model files): read, compile for a batch of
 * 2 and run one forward pass on zeros. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    ax_graph *g;
    if (ax_graph_from_json(text, "fuzz.graph", 2, &g, NULL, NULL, 0) == AX_OK) {
        if (ax_graph_compile(g) == AX_OK)
            ax_graph_forward(g);
        ax_graph_free(g);
    }
    free(text);
    return 0;
}
