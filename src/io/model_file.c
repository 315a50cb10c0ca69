/* Model files: graph text in the safetensors metadata, weights as its
 * tensors (axon/model_file.h). */
#include "axon/model_file.h"
#include "axon/safetensors.h"

#include <string.h>

#define MODEL_FORMAT "axon model 1"
#define MAX_META 32

static const char *const role_keys[4] = {"input", "target", "output", "loss"};

ax_status ax_save_model(const char *path, const ax_model *m, const char *const *meta_keys,
                        const char *const *meta_values, int n_meta)
{
    if (!m || !m->graph || !ax_graph_compiled(m->graph))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: save a model with a compiled graph", path);
    if (n_meta < 0 || n_meta > MAX_META - 2)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: at most %d metadata entries", path, MAX_META - 2);
    for (int i = 0; i < n_meta; i++)
        if (!strcmp(meta_keys[i], "graph") || !strcmp(meta_keys[i], "format"))
            return ax_fail(AX_ERR_INVALID_ARG, "%s: metadata '%s' is the model file's own", path, meta_keys[i]);
    ax_node *const roles[4] = {m->input, m->target, m->output, m->loss};
    char *graph;
    ax_status s = ax_graph_to_json(m->graph, role_keys, roles, 4, &graph);
    if (s != AX_OK)
        return s;
    const char *keys[MAX_META] = {"format", "graph"}, *vals[MAX_META] = {MODEL_FORMAT, graph};
    for (int i = 0; i < n_meta; i++)
        keys[i + 2] = meta_keys[i], vals[i + 2] = meta_values[i];
    s = ax_save_safetensors(path, m->graph, keys, vals, n_meta + 2);
    ax_free(graph);
    return s;
}

ax_status ax_load_model(const char *path, int64_t batch, ax_model *out)
{
    memset(out, 0, sizeof *out);
    char *graph = NULL;
    ax_status s = ax_safetensors_metadata(path, "graph", &graph);
    if (s == AX_OK && !graph)
        s = ax_fail(AX_ERR_FORMAT, "%s: no graph in the file's metadata (not an axon model file)", path);
    ax_node *roles[4] = {NULL};
    if (s == AX_OK)
        s = ax_graph_from_json(graph, path, batch, &out->graph, role_keys, roles, 4);
    ax_free(graph);
    if (s == AX_OK)
        s = ax_graph_compile(out->graph);
    if (s == AX_OK)
        s = ax_load_safetensors(path, out->graph, 1, NULL);
    if (s != AX_OK) {
        ax_graph_free(out->graph);
        memset(out, 0, sizeof *out);
        return s;
    }
    *out = (ax_model){out->graph, roles[0], roles[1], roles[2], roles[3]};
    return AX_OK;
}
