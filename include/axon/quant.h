/* axon quantization and C export: a trained model as int8 (TensorFlow
 * Lite's scheme, CMSIS-NN's requantization), run on the host with the
 * integer kernels, saved as a safetensors file, and written out as one
 * self-contained C99 file for a microcontroller (int8, or float32 for a
 * target with an FPU). docs/quantization.md has the arithmetic. */
#ifndef AXON_QUANT_H
#define AXON_QUANT_H
#include "axon/train.h"
#ifdef __cplusplus
extern "C" {
#endif

/* A quantized model: a list of integer layers over int8 tensors. */
typedef struct ax_qmodel ax_qmodel;

typedef struct ax_quant_options {
    int64_t samples;   /* calibration samples read from the data (0: all) */
    double percentile; /* 0: each tensor's range is its min and max over the calibration set; else
                          the range keeps this percentage of the values (e.g. 99.99), cutting both tails */
    int softmax;       /* append an int8 softmax to a model whose output is logits */
} ax_quant_options;

/* Quantize a one-input, one-head model: batch norm folded into the
 * convolution or dense layer before it, ReLU fused into the layer before
 * it, dropout dropped, weights int8 per output channel, activations int8
 * per tensor with ranges measured by running `calib` through the float
 * model (which is left compiled for inference). An op without an integer
 * form fails, naming the node and op. options may be NULL (min/max over
 * every sample). */
ax_status ax_quantize(ax_model *m, const ax_dataset *calib, const ax_quant_options *options, ax_qmodel **out);
/* The same layer list in float32 (batch norm folded, dropout dropped):
 * what the float C export writes. */
ax_status ax_quant_plan_float(ax_model *m, ax_qmodel **out);
void ax_qmodel_free(ax_qmodel *q);

/* 1 for an int8 model, 0 for a float plan. */
int ax_qmodel_is_int8(const ax_qmodel *q);
int64_t ax_qmodel_input_size(const ax_qmodel *q);  /* values per sample */
int64_t ax_qmodel_output_size(const ax_qmodel *q);
/* The input's and output's scale and zero point (real = scale (q - zp)). */
void ax_qmodel_input_quant(const ax_qmodel *q, float *scale, int32_t *zero_point);
void ax_qmodel_output_quant(const ax_qmodel *q, float *scale, int32_t *zero_point);
/* Bytes of weights, biases and tables (flash), and of the activation
 * arena (RAM; int8, or float32 for a float plan). */
int64_t ax_qmodel_weight_bytes(const ax_qmodel *q);
int64_t ax_qmodel_arena_bytes(const ax_qmodel *q);
int ax_qmodel_num_layers(const ax_qmodel *q);
/* Multiply-adds of one inference (the dense and convolution layers'),
 * with the window reads of pooling layers. */
int64_t ax_qmodel_macs(const ax_qmodel *q);
/* Layer i's kind ("dense", "conv2d", ...) and name (the graph node it ends at). */
const char *ax_qmodel_layer_kind(const ax_qmodel *q, int i);
const char *ax_qmodel_layer_name(const ax_qmodel *q, int i);
/* Layer i's output: its shape (one sample) and quantization. */
void ax_qmodel_layer_output(const ax_qmodel *q, int i, ax_shape *shape, float *scale, int32_t *zero_point);

/* One sample's features, float, to the input's int8 codes (rounded, clamped). */
void ax_qmodel_quantize_input(const ax_qmodel *q, const float *x, int8_t *out);
/* Run one sample through the integer kernels. */
ax_status ax_qmodel_run(const ax_qmodel *q, const int8_t *in, int8_t *out);
/* Accuracy (the largest int8 output against the label) and dequantized
 * outputs (when `outputs` is not NULL: ds->n x output size floats). */
ax_status ax_qmodel_evaluate(const ax_qmodel *q, const ax_dataset *ds, double *accuracy, float *outputs);

/* Save an int8 model (its integer tensors as I8/I32, the layers as JSON
 * in the metadata "quantized", any extra metadata beside), atomically;
 * load one, checking every field before it is trusted. */
ax_status ax_qmodel_save(const char *path, const ax_qmodel *q, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta);
ax_status ax_qmodel_load(const char *path, ax_qmodel **out);

/* Write `c_path` and `h_path`: the model as one C99 file (weights as const
 * arrays, a static arena, `PREFIX_predict`), with the kernels in it. An
 * int8 model's file uses integers only and no library beyond string.h;
 * a float plan's uses float32 and math.h. `header_name` is what the C file
 * includes (the header's file name). */
typedef struct ax_export_report {
    int64_t flash_bytes; /* weights, biases, tables */
    int64_t ram_bytes;   /* the arena */
} ax_export_report;
ax_status ax_export_c(const ax_qmodel *q, const char *c_path, const char *h_path, const char *header_name,
                      const char *prefix, ax_export_report *report);

#ifdef __cplusplus
}
#endif
#endif
