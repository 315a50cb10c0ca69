/* axon optimizers: update parameters from their gradients.
 *
 * An optimizer is created by name with a config, then given the arrays it
 * updates (all parameters of a compiled graph, or any float arrays). Its
 * state (momentum, moments) is allocated when a parameter is added, so a
 * step allocates nothing. */
#ifndef AXON_OPTIM_H
#define AXON_OPTIM_H

#include "axon/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ax_optim_config {
    float lr;
    float momentum;     /* sgd: 0 for plain SGD */
    int nesterov;       /* sgd: Nesterov momentum */
    float beta1, beta2; /* adam: moment decay rates */
    float eps;          /* adam: added to the denominator */
    float weight_decay; /* L2 penalty added to the gradient: g += wd * w */
} ax_optim_config;

typedef struct ax_optimizer ax_optimizer;

/* The defaults for a named optimizer ("sgd": lr 0.01; "adam": lr 1e-3,
 * betas 0.9 and 0.999, eps 1e-8), as in PyTorch. */
ax_status ax_optim_defaults(const char *name, ax_optim_config *cfg);

ax_status ax_optimizer_new(const char *name, const ax_optim_config *cfg, ax_optimizer **out);
void ax_optimizer_free(ax_optimizer *o);

/* Update w[0..n) from grad[0..n) at each step. */
ax_status ax_optimizer_add(ax_optimizer *o, float *w, const float *grad, int64_t n);
/* Add every parameter of a compiled graph; frozen ones are skipped at
 * each step, so freezing later needs no new optimizer. */
ax_status ax_optimizer_add_graph(ax_optimizer *o, ax_graph *g);

ax_status ax_optimizer_step(ax_optimizer *o);
void ax_optimizer_set_lr(ax_optimizer *o, float lr);
float ax_optimizer_lr(const ax_optimizer *o);
int64_t ax_optimizer_steps(const ax_optimizer *o);
const char *ax_optimizer_name(const ax_optimizer *o);

#ifdef __cplusplus
}
#endif
#endif
