/* axon safetensors: model weights and any named float tensors in
 * safetensors files (PyTorch's layouts, string metadata). */
#ifndef AXON_SAFETENSORS_H
#define AXON_SAFETENSORS_H

#include "axon/graph.h"

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
/* Tensors of any dtype ("F32", "I8", "I32", ...): data holds numel values
 * of it, little-endian. */
typedef struct ax_st_typed {
    const char *name;
    const char *dtype;
    const void *data;
    ax_shape shape;
} ax_st_typed;
ax_status ax_st_write_typed(const char *path, const ax_st_typed *entries, int n, const char *const *meta_keys,
                            const char *const *meta_values, int n_meta);
typedef struct ax_st_file ax_st_file;
ax_status ax_st_open(const char *path, ax_st_file **out); /* validates the whole file */
void ax_st_close(ax_st_file *f);
const char *ax_st_meta(ax_st_file *f, const char *key);   /* NULL when absent */
/* A tensor's values as floats (F64, F16 and BF16 converted). */
ax_status ax_st_get(ax_st_file *f, const char *name, float *dst, int64_t numel);
/* A tensor's bytes as they are, when its dtype is `dtype` and it holds numel values. */
ax_status ax_st_get_raw(ax_st_file *f, const char *name, const char *dtype, void *dst, int64_t numel);
/* A tensor's shape. */
ax_status ax_st_shape(ax_st_file *f, const char *name, ax_shape *shape);
/* Whether the file has a tensor of that name. */
int ax_st_has(ax_st_file *f, const char *name);
/* The number of tensors in the file. */
int ax_st_count(ax_st_file *f);

#ifdef __cplusplus
}
#endif
#endif
