/* safetensors model files: validation, metadata, every tensor as floats,
 * loading into a model by name (strict and not), and reading a model file
 * whole (ax_load_model: its graph, roles and heads). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".safetensors");
    ax_st_file *f;
    if (ax_st_open(p, &f) == AX_OK) {
        (void)ax_st_meta(f, "spec");
        static float buf[4096];
        (void)ax_st_get(f, "fc.weight", buf, 8);
        (void)ax_st_get(f, "fc.bias", buf, 2);
        ax_st_close(f);
    }
    char *v = NULL;
    if (ax_safetensors_metadata(p, "spec", &v) == AX_OK)
        ax_free(v);
    ax_graph *g = fuzz_model();
    if (g) {
        int n;
        (void)ax_load_safetensors(p, g, 1, &n);
        (void)ax_load_safetensors(p, g, 0, &n);
    }
    ax_graph_free(g);
    ax_model m; /* a model file: its graph, roles, heads and weights */
    if (ax_load_model(p, 2, &m) == AX_OK)
        ax_graph_free(m.graph);
    return 0;
}
