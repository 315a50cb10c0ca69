/* AdaGrad (Duchi et al. 2011), PyTorch's form:
 *   g += wd w;  s += g^2;  w -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps) */
#include "optim/algo.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("adagrad", c);
    if (s == AX_OK && !(c->lr_decay >= 0.0f && c->initial_accumulator >= 0.0f && c->eps >= 0.0f))
        s = ax_fail(AX_ERR_INVALID_ARG, "adagrad: lr_decay, initial_accumulator and eps must not be negative");
    return s;
}

static void update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n)
{
    (void)aux;
    const float clr = c->lr / (1.0f + (float)(t - 1) * c->lr_decay), wd = c->weight_decay, eps = c->eps;
    float *s = state[0];
    if (t == 1 && c->initial_accumulator != 0.0f)
        for (int64_t i = 0; i < n; i++)
            s[i] = c->initial_accumulator;
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        s[i] += gi * gi;
        w[i] -= clr * gi / (sqrtf(s[i]) + eps);
    }
}

const ax_optim_algo ax_optim_adagrad = {"adagrad", {.lr = 0.01f, .eps = 1e-10f}, 1, check, NULL, update};
