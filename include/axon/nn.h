/* axon layers: parameterised sub-graphs and weight initialisers. */
#ifndef AXON_NN_H
#define AXON_NN_H

#include "axon/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ax_init {
    AX_INIT_DEFAULT = 0,   /* the layer's default: He for ReLU, Xavier otherwise */
    AX_INIT_ZEROS,
    AX_INIT_XAVIER_UNIFORM, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
    AX_INIT_XAVIER_NORMAL,  /* N(0, 2 / (fan_in + fan_out)) */
    AX_INIT_HE_UNIFORM,     /* U(-a, a), a = sqrt(6 / fan_in) */
    AX_INIT_HE_NORMAL       /* N(0, 2 / fan_in) */
} ax_init;

typedef enum ax_activation {
    AX_ACT_NONE = 0,
    AX_ACT_RELU,
    AX_ACT_SIGMOID,
    AX_ACT_TANH,
    AX_ACT_SOFTMAX
} ax_activation;

/* Fill n values drawn from the initialiser. */
ax_status ax_init_fill(float *w, int64_t n, int64_t fan_in, int64_t fan_out, ax_init kind,
                       ax_rng *rng);

/* Apply an activation by enum (AX_ACT_NONE returns x). */
ax_node *ax_activate(ax_graph *g, ax_node *x, ax_activation act);

/* A fully connected layer: y = act(x W^T + b), W [units, in] and b [units]
 * (PyTorch's layout), named "<name>.weight" and "<name>.bias". x is
 * [N, in]. The weights are drawn from init (He for ReLU, Xavier
 * otherwise, by default) with rng; the bias starts at zero. */
ax_node *ax_dense(ax_graph *g, ax_node *x, int64_t units, ax_activation act, ax_init init,
                  ax_rng *rng, const char *name);

#ifdef __cplusplus
}
#endif
#endif
