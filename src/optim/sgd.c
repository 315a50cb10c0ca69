/* SGD, with optional momentum and Nesterov momentum, PyTorch's form:
 *   g += wd * w;  v = mu * v + g;  step = nesterov ? g + mu * v : v;  w -= lr * step
 * With mu = 0 this is plain gradient descent. */
#include "optim/algo.h"
#include "kernels/cpu/kernels.h"

static ax_status check(const ax_optim_config *c)
{
    if (!(c->lr >= 0.0f) || !(c->momentum >= 0.0f) || c->momentum >= 1.0f)
        return ax_fail(AX_ERR_INVALID_ARG, "sgd: need lr >= 0 and 0 <= momentum < 1 (lr %g, momentum %g)",
                       (double)c->lr, (double)c->momentum);
    if (c->nesterov && c->momentum == 0.0f)
        return ax_fail(AX_ERR_INVALID_ARG, "sgd: nesterov needs a momentum > 0");
    return AX_OK;
}

static void update(const ax_optim_config *c, int64_t t, float *w, const float *g,
                   float *const *state, int64_t n)
{
    (void)t;
    const float lr = c->lr, mu = c->momentum, wd = c->weight_decay;
    float *v = state[0];
    const int nesterov = c->nesterov;
#pragma omp parallel for simd if (parallel : n >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float gi = g[i] + wd * w[i];
        float vi = mu * v[i] + gi;
        v[i] = vi;
        w[i] -= lr * (nesterov ? gi + mu * vi : vi);
    }
}

const ax_optim_algo ax_optim_sgd = {
    "sgd", {.lr = 0.01f}, 1, check, update,
};
