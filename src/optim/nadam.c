/* Nadam (Dozat 2016): Adam with Nesterov momentum, in PyTorch's form with
 * its momentum schedule mu_t = b1 (1 - 0.5 * 0.96^(t psi)):
 *   g += wd w;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
 *   den = sqrt(v / (1 - b2^t)) + eps
 *   w -= lr (1 - mu_t) / (1 - P_t) g / den + lr mu_{t+1} / (1 - P_t mu_{t+1}) m / den
 * where P_t = mu_1 ... mu_t. */
#include "optim/algo.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("nadam", c);
    if (s == AX_OK)
        s = ax_optim_check_betas("nadam", c);
    if (s == AX_OK && !(c->momentum_decay >= 0.0f))
        s = ax_fail(AX_ERR_INVALID_ARG, "nadam: momentum_decay must not be negative");
    return s;
}

static double mu_at(const ax_optim_config *c, int64_t t)
{
    return c->beta1 * (1.0 - 0.5 * pow(0.96, (double)t * c->momentum_decay));
}

/* aux[0] = P_t, the product of mu up to t (1 before the first step). */
static void begin_step(const ax_optim_config *c, int64_t t, double *aux)
{
    if (t == 1)
        aux[0] = 1.0;
    aux[0] *= mu_at(c, t);
}

static void update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n)
{
    const double mu = mu_at(c, t), mu_next = mu_at(c, t + 1), prod = aux[0];
    const float cg = (float)(c->lr * (1.0 - mu) / (1.0 - prod));
    const float cm = (float)(c->lr * mu_next / (1.0 - prod * mu_next));
    const float b1 = c->beta1, b2 = c->beta2, eps = c->eps, wd = c->weight_decay;
    const float inv_bc2 = (float)(1.0 / (1.0 - pow(b2, (double)t)));
    float *m = state[0], *v = state[1];
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float den = sqrtf(v[i] * inv_bc2) + eps;
        w[i] -= (cg * gi + cm * m[i]) / den;
    }
}

const ax_optim_algo ax_optim_nadam = {
    "nadam", {.lr = 2e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .momentum_decay = 4e-3f},
    2, check, begin_step, update};
