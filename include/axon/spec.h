/* axon model specs: a model as text, one layer per line
 * (docs/model-spec.md), built into a compiled graph. */
#ifndef AXON_SPEC_H
#define AXON_SPEC_H

#include "axon/train.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AX_SPEC_MAX_LAYERS 256
/* One line of the spec: its layer's name, type and output node; its
 * parameters are the graph's "<name>.*" nodes. */
typedef struct ax_spec_layer {
    char name[64], type[24];
    ax_node *output;
} ax_spec_layer;

typedef struct ax_spec {
    ax_graph *graph;   /* compiled; the caller frees it */
    ax_node *input, *target, *output, *loss; /* several inputs or heads: the first ones and the total loss */
    int classifier;    /* the (first head's) loss takes class labels */
    /* A spec with several input lines, or with named loss lines (heads):
     * all of them, in the spec's order; 0: one input, one unnamed loss. */
    int n_inputs, n_heads;
    ax_node *inputs[AX_MODEL_MAX_INPUTS];
    ax_head heads[AX_MAX_HEADS];
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

/* The model the spec built, for fit, evaluate and predict. */
ax_model ax_spec_model(const ax_spec *s);

#ifdef __cplusplus
}
#endif
#endif
