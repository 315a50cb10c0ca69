/* ONNX models: the wire format checked, the model imported for a batch of
 * 2 (constants folded, every node mapped or refused), compiled and run
 * once on zeros; and its initializers loaded by name into a small graph. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".onnx");
    ax_model m;
    if (ax_onnx_import(p, 2, &m) == AX_OK) {
        if (ax_graph_compile_inference(m.graph, &m.output, 1) == AX_OK)
            ax_graph_forward_to(m.graph, m.output);
        ax_graph_free(m.graph);
    }
    ax_graph *g = fuzz_model();
    if (g) {
        int n;
        (void)ax_onnx_load_weights(p, g, &n);
    }
    ax_graph_free(g);
    return 0;
}
