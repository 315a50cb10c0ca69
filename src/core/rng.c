/* PCG32 (O'Neill, "PCG: A Family of Simple Fast Space-Efficient
 * Statistically Good Algorithms for Random Number Generation", 2014). */
#include "axon/core.h"

#include <math.h>

void ax_rng_seed(ax_rng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    ax_rng_u32(r);
    r->state += seed;
    ax_rng_u32(r);
}

uint32_t ax_rng_u32(ax_rng *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

uint32_t ax_rng_below(ax_rng *r, uint32_t n)
{
    /* Reject the low values that would make the modulo uneven. */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = ax_rng_u32(r);
        if (x >= threshold)
            return x % n;
    }
}

float ax_rng_uniform(ax_rng *r)
{
    return (float)(ax_rng_u32(r) >> 8) * (1.0f / 16777216.0f);
}

float ax_rng_normal(ax_rng *r)
{
    float u1 = ax_rng_uniform(r);
    float u2 = ax_rng_uniform(r);
    if (u1 < 1e-12f)
        u1 = 1e-12f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530717958647692f * u2);
}

void ax_rng_shuffle(ax_rng *r, uint32_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = ax_rng_below(r, (uint32_t)i);
        uint32_t t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}
