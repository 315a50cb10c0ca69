/* The Adam family, in PyTorch's arithmetic.
 * adam (Kingma & Ba 2015), with bias correction:
 *   g += wd w;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   w -= (lr / (1 - b1^t)) m / (sqrt(v') / sqrt(1 - b2^t) + eps)
 *   where v' = v, or with amsgrad (Reddi et al. 2018) v' = max of all v so far.
 * adamw (Loshchilov & Hutter 2019): the same, with weight decay decoupled:
 *   w -= lr wd w first, and no wd in g.
 * amsgrad: adam with amsgrad on. */
#include "optim/algo.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("adam", c);
    return s == AX_OK ? ax_optim_check_betas("adam", c) : s;
}

static void adam_core(const ax_optim_config *c, int64_t t, float wd, int amsgrad, float *w,
                      const float *g, float *const *state, int64_t n)
{
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps;
    const float step = (float)(c->lr / (1.0 - pow(b1, (double)t)));
    const float inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(b2, (double)t)));
    float *m = state[0], *v = state[1], *vmax = state[2];
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
            vi = vi > vmax[i] ? vi : vmax[i];
            vmax[i] = vi;
        }
        w[i] -= step * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
    }
}

static void adam_update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                        const float *g, float *const *state, int64_t n)
{
    (void)aux;
    adam_core(c, t, c->weight_decay, c->amsgrad, w, g, state, n);
}

static void amsgrad_update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                           const float *g, float *const *state, int64_t n)
{
    (void)aux;
    adam_core(c, t, c->weight_decay, 1, w, g, state, n);
}

static void adamw_update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                         const float *g, float *const *state, int64_t n)
{
    (void)aux;
    const float keep = 1.0f - c->lr * c->weight_decay;
#pragma omp simd
    for (int64_t i = 0; i < n; i++)
        w[i] *= keep;
    adam_core(c, t, 0.0f, c->amsgrad, w, g, state, n);
}

#define ADAM_DEFAULTS .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f
const ax_optim_algo ax_optim_adam = {"adam", {ADAM_DEFAULTS}, 3, check, NULL, adam_update};
const ax_optim_algo ax_optim_amsgrad = {"amsgrad", {ADAM_DEFAULTS, .amsgrad = 1}, 3, check, NULL,
                                        amsgrad_update};
const ax_optim_algo ax_optim_adamw = {"adamw", {ADAM_DEFAULTS, .weight_decay = 1e-2f}, 3, check,
                                      NULL, adamw_update};
