/* The quantized model's structure, shared by the files of src/quant. */
#ifndef AXON_QUANT_QMODEL_H
#define AXON_QUANT_QMODEL_H
#include "axon/quant.h"
#include "quant/qkernels.h"

#define AXQ_MAX_LAYERS 256
#define AXQ_MAX_TENSORS (AXQ_MAX_LAYERS + 1)

typedef enum axq_kind {
    AXQ_DENSE,
    AXQ_CONV,
    AXQ_MAX_POOL,
    AXQ_AVG_POOL,
    AXQ_ADD,
    AXQ_UNARY,   /* an element-wise op: a table in int8 */
    AXQ_SOFTMAX, /* over the last axis */
    AXQ_KINDS
} axq_kind;

extern const char *const axq_kind_names[AXQ_KINDS];

/* A tensor of one sample: its shape (without the batch), and in an int8
 * model its calibrated range and quantization. */
typedef struct axq_tensor {
    ax_shape shape;
    int64_t numel;
    float lo, hi;
    float scale;
    int32_t zp;
    int64_t offset; /* in the arena, in elements */
} axq_tensor;

typedef struct axq_layer {
    char name[64];
    axq_kind kind;
    int n_in, in[2], out; /* tensor ids */
    int relu;             /* a ReLU fused after it (dense, conv, add) */
    int32_t pad_bottom, pad_right; /* conv, pooling: what the kernels infer from the output's size, kept to check it */
    /* geometry and, once quantized, the integer parameters; the pointers
     * in these structs point at the arrays below */
    axq_dense dense;
    axq_conv conv;
    axq_pool pool;
    axq_add add;
    axq_lut lut;
    axq_softmax softmax;
    /* dense, conv: float weights and bias (batch norm folded) */
    float *wf, *bf;
    int64_t w_numel, channels;
    /* dense, conv: int8 weights [w_numel], int32 bias, mult, shift [channels] */
    int8_t *w8;
    int32_t *b32, *mult, *shift;
    float *wscale; /* [channels]: each output channel's weight scale */
    int8_t table8[256];   /* unary */
    int32_t table32[256]; /* softmax */
    char op[32];          /* unary: the axon op, with its attributes */
    int n_attr;
    double attr[4];
} axq_layer;

struct ax_qmodel {
    int int8;
    int n_tensors, n_layers;
    axq_tensor tensors[AXQ_MAX_TENSORS]; /* 0 is the input */
    axq_layer layers[AXQ_MAX_LAYERS];
    int output; /* tensor id */
    int64_t arena; /* elements */
    char input_name[64];
};

/* Point each layer's kernel struct at its arrays and fill its
 * quantization fields from the tensors (after building or loading). */
void axq_bind(ax_qmodel *q);
/* Place every tensor in the arena: first fit over lifetimes (a tensor
 * lives from the layer that writes it to the last that reads it). */
void axq_plan_arena(ax_qmodel *q);
/* A model built or read with status s: freed on failure, else bound,
 * planned and handed to *out. */
ax_status axq_finish(ax_qmodel *q, int int8, ax_status s, ax_qmodel **out);
/* Shapes of a layer's output from its geometry, for checks. */
ax_status axq_layer_check(const ax_qmodel *q, const axq_layer *l, const char *where);
/* The real factor M as the kernels' multiplier and shift. */
ax_status axq_multiplier(double real, int32_t *mult, int32_t *shift, const char *what);
/* Release a layer's arrays. */
void axq_layer_free(axq_layer *l);

#endif
