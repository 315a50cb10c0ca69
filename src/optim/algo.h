/* The optimizer-algorithm interface (internal). One file per algorithm,
 * listed in optimizer.c. */
#ifndef AXON_OPTIM_ALGO_H
#define AXON_OPTIM_ALGO_H

#include "axon/optim.h"
#include "core/threads.h"

#define AX_OPTIM_MAX_STATE 3
#define AX_OPTIM_AUX 4

typedef struct ax_optim_algo {
    const char *name;
    ax_optim_config defaults;
    int n_state; /* state arrays per parameter, each as long as the parameter */
    /* Validate a config; message through ax_fail. */
    ax_status (*check)(const ax_optim_config *cfg);
    /* Once per step before the updates: per-step scalars shared by all
     * parameters (e.g. Nadam's momentum products), kept in aux. NULL if none. */
    void (*begin_step)(const ax_optim_config *cfg, int64_t t, double *aux);
    /* One update of w[0..n) from g; t is the 1-based step number. NULL for
     * gradient-free algorithms. */
    void (*update)(const ax_optim_config *cfg, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n);
} ax_optim_algo;

/* Shared checks. */
ax_status ax_optim_check_lr(const char *name, const ax_optim_config *c);
ax_status ax_optim_check_betas(const char *name, const ax_optim_config *c);

#endif
