/* Weight initialisers (Glorot & Bengio 2010; He et al. 2015). */
#include "axon/nn.h"

#include <math.h>

ax_status ax_init_fill(float *w, int64_t n, int64_t fan_in, int64_t fan_out, ax_init kind,
                       ax_rng *rng)
{
    if (fan_in <= 0 || fan_out <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "init: fan_in %lld and fan_out %lld must be positive",
                       (long long)fan_in, (long long)fan_out);
    double bound = 0.0, std = 0.0;
    int uniform = 1;
    switch (kind) {
    case AX_INIT_ZEROS:
        for (int64_t i = 0; i < n; i++)
            w[i] = 0.0f;
        return AX_OK;
    case AX_INIT_XAVIER_UNIFORM: bound = sqrt(6.0 / (double)(fan_in + fan_out)); break;
    case AX_INIT_XAVIER_NORMAL: std = sqrt(2.0 / (double)(fan_in + fan_out)), uniform = 0; break;
    case AX_INIT_DEFAULT: /* fall through: callers resolve the default first */
    case AX_INIT_HE_UNIFORM: bound = sqrt(6.0 / (double)fan_in); break;
    case AX_INIT_HE_NORMAL: std = sqrt(2.0 / (double)fan_in), uniform = 0; break;
    default: return ax_fail(AX_ERR_INVALID_ARG, "init: unknown initialiser %d", (int)kind);
    }
    for (int64_t i = 0; i < n; i++)
        w[i] = uniform ? (float)((2.0 * ax_rng_uniform(rng) - 1.0) * bound)
                       : (float)(ax_rng_normal(rng) * std);
    return AX_OK;
}
