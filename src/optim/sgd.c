/* SGD, with optional momentum (heavy ball) and Nesterov momentum, in
 * PyTorch's form:
 *   g += wd w;  v = mu v + (1 - dampening) g  (v = g at the first step);
 *   step = nesterov ? g + mu v : v;  w -= lr step
 * With mu = 0 this is plain gradient descent: batch, mini-batch or
 * stochastic according to the batch size it is given. */
#include "optim/algo.h"

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("sgd", c);
    if (s != AX_OK)
        return s;
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
        return ax_fail(AX_ERR_INVALID_ARG, "sgd: momentum %g is outside [0, 1)", (double)c->momentum);
    if (c->nesterov && (c->momentum == 0.0f || c->dampening != 0.0f))
        return ax_fail(AX_ERR_INVALID_ARG, "sgd: nesterov needs a momentum > 0 and no dampening");
    return AX_OK;
}

static void update(const ax_optim_config *c, int64_t t, const double *aux, float *w,
                   const float *g, float *const *state, int64_t n)
{
    (void)aux;
    const float lr = c->lr, mu = c->momentum, wd = c->weight_decay;
    const float damp = t == 1 ? 0.0f : c->dampening;
    float *v = state[0];
    const int nesterov = c->nesterov;
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        float vi = mu * v[i] + (1.0f - damp) * gi;
        v[i] = vi;
        w[i] -= lr * (nesterov ? gi + mu * vi : vi);
    }
}

const ax_optim_algo ax_optim_sgd = {"sgd", {.lr = 0.01f}, 1, check, NULL, update};
