/* axon optimizers: update parameters from their gradients, learning-rate
 * schedules, gradient clipping and weight constraints.
 *
 * An optimizer is created by name with a config, then given the arrays it
 * updates (all parameters of a compiled graph, or any float arrays). Its
 * state (momentum, moments) is allocated when a parameter is added, so a
 * step allocates nothing. Names: sgd (also momentum and Nesterov through
 * the config), adagrad, adadelta, rmsprop, adam, adamw, amsgrad, nadam,
 * adamax, and trial_error (gradient-free; see ax_optimizer_trial). Every
 * algorithm follows PyTorch's arithmetic; docs/catalog.md gives each
 * update rule. */
#ifndef AXON_OPTIM_H
#define AXON_OPTIM_H

#include "axon/graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ax_optim_config {
    float lr;
    float momentum;        /* sgd, rmsprop: 0 = none */
    float dampening;       /* sgd */
    int nesterov;          /* sgd */
    float beta1, beta2;    /* adam family: moment decay rates */
    float eps;             /* added to denominators */
    float rho;             /* adadelta: decay of the running averages; rmsprop: its alpha */
    int centered;          /* rmsprop: divide by the estimated variance, not the raw second moment */
    int amsgrad;           /* adam, adamw: use the running maximum of v */
    float lr_decay;        /* adagrad */
    float initial_accumulator; /* adagrad */
    float momentum_decay;  /* nadam: psi */
    float weight_decay;    /* L2 through the gradient, g += wd * w; for adamw: decoupled */
    float decoupled_weight_decay; /* any optimizer: w -= lr * wd * w before the update */
    float clip_value;      /* > 0: clamp each gradient value to [-c, c] before the update */
    float clip_norm;       /* > 0: scale all gradients so their global L2 norm is at most c */
    float max_norm;        /* > 0: after the update, scale each row (a neuron's incoming
                              weights, dimension 0) of every parameter of 2+ dimensions
                              to L2 norm at most c */
    int perturb;           /* trial_error: weights perturbed per trial (default 1) */
    uint64_t seed;         /* trial_error: random stream */
} ax_optim_config;

typedef struct ax_optimizer ax_optimizer;

/* The defaults for a named optimizer, as in PyTorch. */
ax_status ax_optim_defaults(const char *name, ax_optim_config *cfg);

ax_status ax_optimizer_new(const char *name, const ax_optim_config *cfg, ax_optimizer **out);
void ax_optimizer_free(ax_optimizer *o);

/* Update w[0..n) from grad[0..n) at each step. rows > 0 marks a matrix of
 * `rows` rows for max_norm (0: a vector, never constrained). */
ax_status ax_optimizer_add(ax_optimizer *o, float *w, const float *grad, int64_t n);
ax_status ax_optimizer_add_matrix(ax_optimizer *o, float *w, const float *grad, int64_t n,
                                  int64_t rows);
/* Add every parameter of a compiled graph; frozen ones are skipped at
 * each step, so freezing later needs no new optimizer. */
ax_status ax_optimizer_add_graph(ax_optimizer *o, ax_graph *g);

/* Clip (as configured), update, constrain. */
ax_status ax_optimizer_step(ax_optimizer *o);

/* trial_error: perturb cfg.perturb randomly chosen weights by N(0, lr^2),
 * evaluate loss(ctx); keep the change if the loss dropped, undo it
 * otherwise. *accepted (may be NULL) says which. */
typedef double (*ax_loss_fn)(void *ctx);
ax_status ax_optimizer_trial(ax_optimizer *o, ax_loss_fn loss, void *ctx, int *accepted);

/* The optimizer's state, for checkpoints: per added array i, n_state
 * arrays as long as it; the step count and the per-step scalars. */
int ax_optimizer_num_arrays(const ax_optimizer *o);
int ax_optimizer_num_state(const ax_optimizer *o);
/* A host view of state array k of array i (the memory itself on the CPU
 * backend); ax_optimizer_unmap_state releases it, copying back changes
 * when write_back is set. */
float *ax_optimizer_state(ax_optimizer *o, int array, int k, int64_t *n);
void ax_optimizer_unmap_state(ax_optimizer *o, int array, int k, float *view, int write_back);
const ax_node *ax_optimizer_array_node(const ax_optimizer *o, int array); /* NULL if not a graph's */
void ax_optimizer_set_steps(ax_optimizer *o, int64_t t);
double *ax_optimizer_aux(ax_optimizer *o); /* 4 values */

void ax_optimizer_set_lr(ax_optimizer *o, float lr);
float ax_optimizer_lr(const ax_optimizer *o);
int64_t ax_optimizer_steps(const ax_optimizer *o);
const char *ax_optimizer_name(const ax_optimizer *o);
const ax_optim_config *ax_optimizer_config(const ax_optimizer *o);
/* The global L2 norm of the gradients before the last step's clipping
 * (computed only when clipping is configured; 0 otherwise). */
double ax_optimizer_last_grad_norm(const ax_optimizer *o);

/* ---- learning-rate schedules ------------------------------------------
 * A schedule sets the optimizer's learning rate once per epoch (or per
 * step: it counts calls to ax_schedule_step). It starts from the
 * optimizer's learning rate when it is attached (the first step). */
typedef struct ax_schedule_config {
    int step_size;         /* step: decay every step_size epochs */
    float gamma;           /* step, multistep, exponential: factor */
    int milestones[16];    /* multistep: epochs at which to decay (ascending) */
    int n_milestones;
    float decay_rate;      /* inverse_time: lr0 / (1 + decay_rate * t / decay_steps) */
    float decay_steps;
    float power;           /* polynomial: lr0 ... end_lr over total_steps, this power */
    int total_steps;       /* polynomial, cosine: T_max */
    float end_lr;          /* polynomial, cosine (eta_min) */
    int warmup_steps;      /* any schedule: linear warm-up first, from warmup_start to 1 times lr0 */
    float warmup_start;
    int mode_max;          /* reduce_on_plateau: the metric should rise (accuracy) */
    float factor;          /* reduce_on_plateau: lr *= factor on a plateau */
    int patience;          /* reduce_on_plateau: epochs without improvement tolerated */
    float threshold;       /* reduce_on_plateau: relative improvement that counts */
    int cooldown;          /* reduce_on_plateau: epochs to wait after a reduction */
    float min_lr;          /* reduce_on_plateau: floor */
} ax_schedule_config;

typedef struct ax_schedule ax_schedule;

/* Names: constant, step, multistep, exponential, inverse_time, polynomial,
 * cosine, warmup (constant after the warm-up), reduce_on_plateau. */
ax_status ax_schedule_defaults(const char *name, ax_schedule_config *cfg);
ax_status ax_schedule_new(const char *name, const ax_schedule_config *cfg, ax_schedule **out);
void ax_schedule_free(ax_schedule *s);
/* Advance one epoch and set the optimizer's rate. `metric` is what
 * reduce_on_plateau monitors (others ignore it). */
ax_status ax_schedule_step(ax_schedule *s, ax_optimizer *o, double metric);
/* The rate this schedule gives at epoch t from base rate lr0
 * (reduce_on_plateau: its current rate). */
float ax_schedule_lr(const ax_schedule *s, float lr0, int t);

#ifdef __cplusplus
}
#endif
#endif
