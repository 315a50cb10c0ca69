/* Adam (Kingma & Ba, 2015), with bias correction, in PyTorch's arithmetic:
 *   g += wd * w
 *   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
 *   w -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps) */
#include "optim/algo.h"
#include "kernels/cpu/kernels.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    if (!(c->lr >= 0.0f) || !(c->beta1 >= 0.0f && c->beta1 < 1.0f) ||
        !(c->beta2 >= 0.0f && c->beta2 < 1.0f) || !(c->eps >= 0.0f))
        return ax_fail(AX_ERR_INVALID_ARG,
                       "adam: need lr >= 0, betas in [0, 1), eps >= 0 (lr %g, betas %g %g, eps %g)",
                       (double)c->lr, (double)c->beta1, (double)c->beta2, (double)c->eps);
    return AX_OK;
}

static void update(const ax_optim_config *c, int64_t t, float *w, const float *g,
                   float *const *state, int64_t n)
{
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    const float step = (float)(c->lr / (1.0 - pow(b1, (double)t)));
    const float inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(b2, (double)t)));
    float *m = state[0], *v = state[1];
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] -= step * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
    }
}

const ax_optim_algo ax_optim_adam = {
    "adam", {.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, 2, check, update,
};
