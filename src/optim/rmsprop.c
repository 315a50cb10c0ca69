/* RMSProp (Hinton, lecture 6e), PyTorch's form, with optional momentum and
 * the centered variant (Graves 2013):
 *   g += wd w;  s = a s + (1 - a) g^2
 *   centered:  m = a m + (1 - a) g;  den = sqrt(s - m^2) + eps   else den = sqrt(s) + eps
 *   momentum:  b = mu b + g / den;  w -= lr b                    else w -= lr g / den */
#include "optim/algo.h"

#include <math.h>

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("rmsprop", c);
    if (s == AX_OK && !(c->rho >= 0.0f && c->rho < 1.0f && c->momentum >= 0.0f && c->eps >= 0.0f))
        s = ax_fail(AX_ERR_INVALID_ARG, "rmsprop: alpha (rho) %g must be in [0, 1), momentum and eps >= 0",
                    (double)c->rho);
    return s;
}

static void update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n)
{
    (void)t, (void)aux;
    const float lr = c->lr, a = c->rho, eps = c->eps, mu = c->momentum, wd = c->weight_decay;
    const int centered = c->centered, use_momentum = mu > 0.0f;
    float *s = state[0], *m = state[1], *b = state[2];
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        s[i] = a * s[i] + (1.0f - a) * gi * gi;
        float var = s[i];
        if (centered) {
            m[i] = a * m[i] + (1.0f - a) * gi;
            var -= m[i] * m[i];
        }
        float step = gi / (sqrtf(var) + eps);
        if (use_momentum) {
            b[i] = mu * b[i] + step;
            step = b[i];
        }
        w[i] -= lr * step;
    }
}

const ax_optim_algo ax_optim_rmsprop = {"rmsprop", {.lr = 0.01f, .rho = 0.99f, .eps = 1e-8f}, 3,
                                        check, NULL, update};
