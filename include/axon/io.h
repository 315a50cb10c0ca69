/* axon io: model weights in safetensors files. */
#ifndef AXON_IO_H
#define AXON_IO_H

#include "axon/nn.h"
#include "axon/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Save every parameter and buffer of the graph, by node name, as float32
 * tensors in PyTorch's layouts, with optional string metadata (stored in
 * "__metadata__"). Written atomically: a crash leaves the old file. */
ax_status ax_save_safetensors(const char *path, ax_graph *g, const char *const *meta_keys,
                              const char *const *meta_values, int n_meta);

/* Load tensors into the graph's parameters and buffers of the same names
 * (F32, or F64, F16, BF16 converted; tensors the graph has no name for,
 * such as PyTorch's num_batches_tracked, are left in the file).
 * strict: every parameter and buffer must be in the file with its shape;
 * otherwise tensors whose name and shape match are loaded and the rest
 * left alone (*loaded counts them; may be NULL). The file is validated
 * first (header length, JSON, dtypes, shapes, offsets covering the data
 * exactly): a bad file changes nothing and is reported with the file, the
 * byte offset or tensor name, and what was expected. */
ax_status ax_load_safetensors(const char *path, ax_graph *g, int strict, int *loaded);

/* A metadata value of a safetensors file (NULL when absent); the string
 * is the caller's to free with ax_free. */
ax_status ax_safetensors_metadata(const char *path, const char *key, char **value);

/* Lower level: any named float tensors, and reading a validated file. */
typedef struct ax_st_entry {
    const char *name;
    const float *data;
    ax_shape shape;
} ax_st_entry;
ax_status ax_st_write(const char *path, const ax_st_entry *entries, int n, const char *const *meta_keys,
                      const char *const *meta_values, int n_meta);
typedef struct ax_st_file ax_st_file;
ax_status ax_st_open(const char *path, ax_st_file **out); /* validates the whole file */
void ax_st_close(ax_st_file *f);
const char *ax_st_meta(ax_st_file *f, const char *key);   /* NULL when absent */
/* A tensor's values as floats (F64, F16 and BF16 converted). */
ax_status ax_st_get(ax_st_file *f, const char *name, float *dst, int64_t numel);
/* The number of tensors in the file. */
int ax_st_count(ax_st_file *f);

/* Training state, to resume exactly: the weights and buffers, the
 * optimizer's arrays ("optimizer.<param>.<k>"), its step count and per-step
 * scalars, the graph's random stream, and the epochs run. */
ax_status ax_save_training_state(const char *path, ax_graph *g, ax_optimizer *opt, int epochs_done);
ax_status ax_load_training_state(const char *path, ax_graph *g, ax_optimizer *opt, int *epochs_done);

/* ---- model specs (docs/model-spec.md) --------------------------------- */
#define AX_SPEC_MAX_LAYERS 256
/* One line of the spec: its layer's name, type and output node; its
 * parameters are the graph's "<name>.*" nodes. */
typedef struct ax_spec_layer {
    char name[64], type[24];
    ax_node *output;
} ax_spec_layer;

typedef struct ax_spec {
    ax_graph *graph;   /* compiled; the caller frees it */
    ax_node *input, *target, *output, *loss;
    int classifier;    /* the loss takes class labels */
    ax_node *penalties[AX_SPEC_MAX_LAYERS]; /* the weights with an L1/L2 penalty */
    float l1[AX_SPEC_MAX_LAYERS], l2[AX_SPEC_MAX_LAYERS];
    int n_penalties;
    ax_spec_layer layers[AX_SPEC_MAX_LAYERS]; /* the input first, in the spec's order */
    int n_layers;
} ax_spec;

/* Build and compile the model a spec describes, for batches of `batch`,
 * weights drawn from `seed`. source names the text in messages
 * ("model.spec:LINE:COLUMN: what was expected"). */
ax_status ax_spec_build(const char *text, const char *source, int64_t batch, uint64_t seed, ax_spec *out);

/* A callback saving the model's weights after each epoch: to last_path
 * always, to best_path when the monitored value improves (either may be
 * NULL). Each file is a safetensors file written atomically, with "epoch",
 * "monitor" and "monitor_value" in its metadata. */
ax_status ax_checkpoint_new(const char *best_path, const char *last_path, ax_monitor monitor, ax_callback **out);

#ifdef __cplusplus
}
#endif
#endif
