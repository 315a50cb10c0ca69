/* The optimizer-algorithm interface (internal). One file per algorithm,
 * listed in optimizer.c. */
#ifndef AXON_OPTIM_ALGO_H
#define AXON_OPTIM_ALGO_H

#include "axon/optim.h"

#define AX_OPTIM_MAX_STATE 3

typedef struct ax_optim_algo {
    const char *name;
    ax_optim_config defaults;
    int n_state; /* state arrays per parameter, each as long as the parameter */
    /* Validate a config; message through ax_fail. */
    ax_status (*check)(const ax_optim_config *cfg);
    /* One update of w[0..n) from g; t is the 1-based step number. */
    void (*update)(const ax_optim_config *cfg, int64_t t, float *w, const float *g,
                   float *const *state, int64_t n);
} ax_optim_algo;

#endif
