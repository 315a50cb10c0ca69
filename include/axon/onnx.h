/* axon and ONNX: a model out as an ONNX file (opset 17, IR version 8),
 * an ONNX file in as an axon graph whose initializers are trainable
 * parameters. Parsing uses onnx.proto as Debian's libonnx-dev ships it,
 * compiled by protoc-c. docs/onnx.md maps the ops. */
#ifndef AXON_ONNX_H
#define AXON_ONNX_H
#include "axon/train.h"
#ifdef __cplusplus
extern "C" {
#endif

/* Write the part of m's graph its output depends on (the loss and target
 * left out) as an ONNX model: initializers named as axon's parameters,
 * the input's first dimension a symbolic batch "N". An op without an
 * ONNX form fails naming the node and op; the file is written atomically. */
ax_status ax_onnx_export(const ax_model *m, const char *path);

/* Read an ONNX model (opsets 13 to 17) into a new graph for batches of
 * `batch`: its initializers become parameters (learned; batch norm's
 * statistics buffers) named as in the file, constants and shape
 * computations are folded, every node becomes axon ops. out gets the
 * graph (the caller's to free), its input and output; no target or loss.
 * The graph is built, not compiled: add a head to fine-tune it, then
 * ax_graph_compile (or ax_graph_compile_inference to run it). A node axon cannot map fails naming the node, its op type and
 * the attribute; a malformed file fails with the byte offset. */
ax_status ax_onnx_import(const char *path, int64_t batch, ax_model *out);

/* Copy the float initializers of an ONNX file into the graph's parameters
 * of the same name and shape (fine-tuning from a model trained elsewhere);
 * *loaded counts them (may be NULL). */
ax_status ax_onnx_load_weights(const char *path, ax_graph *g, int *loaded);

#ifdef __cplusplus
}
#endif
#endif
