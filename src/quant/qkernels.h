/* axon's int8 kernels: the integer arithmetic of a quantized model, one
 * sample at a time, in C99 with no floating point, no allocation and no
 * library beyond string.h. The same two files run on the host (libaxon)
 * and, copied verbatim into the file `axon export-c` writes, on a
 * microcontroller, so the two compute the same bits by construction.
 *
 * The scheme is TensorFlow Lite's: real = scale (q - zero_point), int8
 * activations (asymmetric, per tensor), int8 weights (symmetric, per
 * output channel, zero point 0), int32 biases of scale input scale x
 * weight scale. An int32 sum goes back to int8 through a fixed-point
 * multiplier: real factor M = mult 2^(shift - 31), mult in [2^30, 2^31)
 * (or 0 for a factor below 2^-32), shift in [-31, 30]; see
 * axq_requantize. Layouts are axon's: one sample's maps [C, H, W],
 * weights [out, in] and [out, in/groups, kh, kw]. */
#ifndef AXQ_KERNELS_H
#define AXQ_KERNELS_H
#include <stdint.h>

/* How the functions are declared: extern in libaxon; an exported model
 * defines AXQ_API as `static inline` before it copies this file in, so
 * that several models link together and unused kernels cost nothing. */
#ifndef AXQ_API
#define AXQ_API
#endif

/* round(x M), halves rounded up: (x mult + 2^(30 - shift)) >> (31 - shift),
 * computed in 64 bits and clamped to int32. */
AXQ_API int32_t axq_requantize(int32_t x, int32_t mult, int32_t shift);

/* y[o] = clamp(out_zp + requantize(bias[o] + sum_i (x[i] - in_zp) w[o, i]),
 * act_min, act_max); a fused ReLU is act_min = out_zp. */
typedef struct axq_dense {
    int32_t in, out;
    int32_t in_zp, out_zp, act_min, act_max;
    const int8_t *weight;  /* [out, in] */
    const int32_t *bias;   /* [out] */
    const int32_t *mult, *shift; /* [out] */
} axq_dense;
AXQ_API void axq_dense_run(const axq_dense *p, const int8_t *x, int8_t *y);

/* Convolution with strides, zero padding (padding reads as in_zp, the
 * code of a real 0), dilation and groups, as axon's conv2d. */
typedef struct axq_conv {
    int32_t c_in, h_in, w_in, c_out, h_out, w_out;
    int32_t kh, kw, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, groups;
    int32_t in_zp, out_zp, act_min, act_max;
    const int8_t *weight;  /* [c_out, c_in / groups, kh, kw] */
    const int32_t *bias, *mult, *shift; /* [c_out] */
} axq_conv;
AXQ_API void axq_conv_run(const axq_conv *p, const int8_t *x, int8_t *y);

/* Max and average pooling (input and output share scale and zero point).
 * Max ignores padding; average divides by the whole window with
 * count_include_pad (padding counts as real 0, code zp), else by the
 * positions inside the map, rounding halves away from zero. A global
 * average pool is a window of the whole map. */
typedef struct axq_pool {
    int32_t c, h_in, w_in, h_out, w_out;
    int32_t kh, kw, stride_h, stride_w, pad_top, pad_left;
    int32_t count_include_pad, zp;
} axq_pool;
AXQ_API void axq_max_pool_run(const axq_pool *p, const int8_t *x, int8_t *y);
AXQ_API void axq_avg_pool_run(const axq_pool *p, const int8_t *x, int8_t *y);

/* y = a + b of the same shape, as TensorFlow Lite's int8 add: both
 * inputs shifted left by left_shift and rescaled to a common scale, summed,
 * rescaled to the output's. */
typedef struct axq_add {
    int32_t n, left_shift;
    int32_t a_zp, a_mult, a_shift, b_zp, b_mult, b_shift;
    int32_t out_zp, out_mult, out_shift, act_min, act_max;
} axq_add;
AXQ_API void axq_add_run(const axq_add *p, const int8_t *a, const int8_t *b, int8_t *y);

/* Any element-wise function of one int8 value: y = table[x + 128]. */
typedef struct axq_lut {
    int32_t n;
    const int8_t *table; /* [256] */
} axq_lut;
AXQ_API void axq_lut_run(const axq_lut *p, const int8_t *x, int8_t *y);

/* Softmax over each row of `classes` values, output scale 1/256 and zero
 * point -128: with d = max - x, e = table[d] (exp(-d scale) 2^16, so
 * e <= 65536) and s the row's sum of e, y = (e 256 + s / 2) / s - 128,
 * clamped to 127. classes <= 32767 keeps the sums in 32 bits. */
typedef struct axq_softmax {
    int32_t rows, classes;
    const int32_t *table; /* [256] */
} axq_softmax;
AXQ_API void axq_softmax_run(const axq_softmax *p, const int8_t *x, int8_t *y);

#endif
