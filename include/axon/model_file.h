/* axon model files: a model's graph and its weights in one safetensors
 * file. The graph (axon/graph.h's graph files) goes in the metadata as
 * "graph", beside any metadata of the caller's; the parameters and buffers
 * are the file's tensors, by node name, in PyTorch's layouts. Any graph
 * built through the C API saves and loads this way; `axon info`, `eval`
 * and `predict` run such files. Models trained by `axon train` also keep
 * their spec ("spec") and are rebuilt from it. */
#ifndef AXON_MODEL_FILE_H
#define AXON_MODEL_FILE_H

#include "axon/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Save the model's graph, roles and weights, written atomically. The
 * metadata keys "graph" and "format" are the file's own. */
ax_status ax_save_model(const char *path, const ax_model *m, const char *const *meta_keys,
                        const char *const *meta_values, int n_meta);

/* Read a model file written by ax_save_model: the graph rebuilt for
 * batches of `batch`, compiled, its weights loaded (every parameter and
 * buffer must be in the file with its shape). out->graph is the caller's
 * to free; roles the file does not name (a model saved without a loss)
 * are NULL. */
ax_status ax_load_model(const char *path, int64_t batch, ax_model *out);

#ifdef __cplusplus
}
#endif
#endif
