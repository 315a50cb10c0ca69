/* Shared by the int8 and float32 kernels (and copied with them into an
 * exported model): which kernel taps along one axis land inside the map. */
#ifndef AXQ_TAPS_H
#define AXQ_TAPS_H
#include <stdint.h>

/* The first and one-past-last kernel taps along one axis that land inside
 * [0, size) for output position o. */
static inline void axq_taps(int32_t o, int32_t stride, int32_t pad, int32_t dilation, int32_t k, int32_t size,
                            int32_t *first, int32_t *last)
{
    const int32_t start = o * stride - pad;
    int32_t a = 0, b = k;
    while (a < k && start + a * dilation < 0)
        a++;
    while (b > a && start + (b - 1) * dilation >= size)
        b--;
    *first = a;
    *last = b;
}

#endif
