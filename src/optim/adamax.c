/* AdaMax (Kingma & Ba 2015, section 7), Adam under the infinity norm, in
 * PyTorch's form:
 *   g += wd w;  m = b1 m + (1 - b1) g;  u = max(b2 u, |g| + eps)
 *   w -= lr / (1 - b1^t) m / u */
#include "optim/algo.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("adamax", c);
    return s == AX_OK ? ax_optim_check_betas("adamax", c) : s;
}

static void update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n)
{
    (void)aux;
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    const float clr = (float)(c->lr / (1.0 - pow(b1, (double)t)));
    float *m = state[0], *u = state[1];
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        float a = fabsf(gi) + eps, b = b2 * u[i];
        u[i] = a > b ? a : b;
        w[i] -= clr * m[i] / u[i];
    }
}

const ax_optim_algo ax_optim_adamax = {
    "adamax", {.lr = 2e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f}, 2, check, NULL, update};
