/* Adadelta (Zeiler 2012), PyTorch's form:
 *   g += wd w;  s = rho s + (1 - rho) g^2;
 *   d = sqrt(u + eps) / sqrt(s + eps) g;  u = rho u + (1 - rho) d^2;  w -= lr d */
#include "optim/algo.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("adadelta", c);
    if (s == AX_OK && !(c->rho >= 0.0f && c->rho <= 1.0f && c->eps >= 0.0f))
        s = ax_fail(AX_ERR_INVALID_ARG, "adadelta: rho %g must be in [0, 1] and eps >= 0", (double)c->rho);
    return s;
}

static void update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n)
{
    (void)t, (void)aux;
    const float lr = c->lr, rho = c->rho, eps = c->eps, wd = c->weight_decay;
    float *s = state[0], *u = state[1];
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        s[i] = rho * s[i] + (1.0f - rho) * gi * gi;
        float d = sqrtf(u[i] + eps) / sqrtf(s[i] + eps) * gi;
        u[i] = rho * u[i] + (1.0f - rho) * d * d;
        w[i] -= lr * d;
    }
}

const ax_optim_algo ax_optim_adadelta = {"adadelta", {.lr = 1.0f, .rho = 0.9f, .eps = 1e-6f}, 2,
                                         check, NULL, update};
