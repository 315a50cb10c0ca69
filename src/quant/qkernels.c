/* axon's int8 kernels (qkernels.h). C99, integers only: this file is also
 * copied verbatim into the C files `axon export-c` writes. */
#include "qkernels.h"
#include "taps.h"

#include <string.h>

AXQ_API int32_t axq_requantize(int32_t x, int32_t mult, int32_t shift)
{
    const int total = 31 - (int)shift; /* 1..62, checked where the multipliers are read */
    const int64_t round = (int64_t)1 << (total - 1);
    /* >> of a negative int64 is an arithmetic shift on every compiler axon
     * targets (gcc, clang: documented), i.e. floor division by 2^total */
    int64_t r = ((int64_t)x * mult + round) >> total;
    if (r > INT32_MAX)
        r = INT32_MAX;
    if (r < INT32_MIN)
        r = INT32_MIN;
    return (int32_t)r;
}

static inline int8_t clamp8(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* out_zp + requantized acc, in int64 so that no sum wraps before the clamp */
static inline int8_t output(int32_t acc, int32_t mult, int32_t shift, int32_t zp, int32_t lo, int32_t hi)
{
    const int64_t v = (int64_t)axq_requantize(acc, mult, shift) + zp;
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

AXQ_API void axq_dense_run(const axq_dense *p, const int8_t *x, int8_t *y)
{
    for (int32_t o = 0; o < p->out; o++) {
        const int8_t *w = p->weight + (int64_t)o * p->in;
        int32_t acc = p->bias[o];
        for (int32_t i = 0; i < p->in; i++)
            acc += ((int32_t)x[i] - p->in_zp) * w[i];
        y[o] = output(acc, p->mult[o], p->shift[o], p->out_zp, p->act_min, p->act_max);
    }
}

/* The output columns [lo, hi) whose tap at offset `off` (kx dilation -
 * pad) lands inside a row of `size`: 0 <= ox stride + off < size. */
static inline void columns(int32_t off, int32_t stride, int32_t size, int32_t n, int32_t *lo, int32_t *hi)
{
    int32_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int32_t b = size - off <= 0 ? 0 : (size - off - 1) / stride + 1;
    *lo = a;
    *hi = b < n ? b : n;
}

/* Sums a row of output columns at a time (AXQ_COLS of them on the stack):
 * each weight is loaded once per row and swept along it, so the inner loop
 * is one multiply-add over consecutive inputs. Padded taps are skipped,
 * which is adding (in_zp - in_zp) w = 0. Integer sums are exact, so the
 * order does not change a bit. */
#define AXQ_COLS 64
AXQ_API void axq_conv_run(const axq_conv *p, const int8_t *x, int8_t *y)
{
    const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
    const int32_t plane = p->h_in * p->w_in, ksize = p->kh * p->kw;
    const int32_t zp = p->in_zp, sw = p->stride_w; /* locals: the int8 stores below may alias *p */
    int32_t acc[AXQ_COLS];
    for (int32_t oc = 0; oc < p->c_out; oc++) {
        const int8_t *wo = p->weight + (int64_t)oc * cin_g * ksize;
        const int8_t *xg = x + (int64_t)(oc / cout_g) * cin_g * plane;
        int8_t *yo = y + (int64_t)oc * p->h_out * p->w_out;
        for (int32_t oy = 0; oy < p->h_out; oy++) {
            int32_t ky0, ky1;
            axq_taps(oy, p->stride_h, p->pad_top, p->dilation_h, p->kh, p->h_in, &ky0, &ky1);
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (int32_t c0 = 0; c0 < p->w_out; c0 += AXQ_COLS) {
                const int32_t nc = p->w_out - c0 < AXQ_COLS ? p->w_out - c0 : AXQ_COLS;
                for (int32_t c = 0; c < nc; c++)
                    acc[c] = p->bias[oc];
                for (int32_t ic = 0; ic < cin_g; ic++)
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const int8_t *xr = xg + (int64_t)ic * plane + (iy0 + ky * p->dilation_h) * p->w_in;
                        const int8_t *wr = wo + ic * ksize + ky * p->kw;
                        for (int32_t kx = 0; kx < p->kw; kx++) {
                            const int32_t off = c0 * p->stride_w + kx * p->dilation_w - p->pad_left, w = wr[kx];
                            int32_t lo, hi;
                            columns(off, p->stride_w, p->w_in, nc, &lo, &hi);
                            const int8_t *xs = xr + off;
                            if (sw == 1)
                                for (int32_t c = lo; c < hi; c++)
                                    acc[c] += ((int32_t)xs[c] - zp) * w;
                            else
                                for (int32_t c = lo; c < hi; c++)
                                    acc[c] += ((int32_t)xs[c * sw] - zp) * w;
                        }
                    }
                for (int32_t c = 0; c < nc; c++)
                    yo[oy * p->w_out + c0 + c] =
                        output(acc[c], p->mult[oc], p->shift[oc], p->out_zp, p->act_min, p->act_max);
            }
        }
    }
}

AXQ_API void axq_max_pool_run(const axq_pool *p, const int8_t *x, int8_t *y)
{
    for (int32_t c = 0; c < p->c; c++) {
        const int8_t *xc = x + (int64_t)c * p->h_in * p->w_in;
        for (int32_t oy = 0; oy < p->h_out; oy++)
            for (int32_t ox = 0; ox < p->w_out; ox++) {
                int32_t ky0, ky1, kx0, kx1, m = -128;
                axq_taps(oy, p->stride_h, p->pad_top, 1, p->kh, p->h_in, &ky0, &ky1);
                axq_taps(ox, p->stride_w, p->pad_left, 1, p->kw, p->w_in, &kx0, &kx1);
                for (int32_t ky = ky0; ky < ky1; ky++)
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const int32_t v = xc[(oy * p->stride_h - p->pad_top + ky) * p->w_in + ox * p->stride_w -
                                             p->pad_left + kx];
                        m = v > m ? v : m;
                    }
                *y++ = (int8_t)m;
            }
    }
}

AXQ_API void axq_avg_pool_run(const axq_pool *p, const int8_t *x, int8_t *y)
{
    for (int32_t c = 0; c < p->c; c++) {
        const int8_t *xc = x + (int64_t)c * p->h_in * p->w_in;
        for (int32_t oy = 0; oy < p->h_out; oy++)
            for (int32_t ox = 0; ox < p->w_out; ox++) {
                int32_t ky0, ky1, kx0, kx1, sum = 0;
                axq_taps(oy, p->stride_h, p->pad_top, 1, p->kh, p->h_in, &ky0, &ky1);
                axq_taps(ox, p->stride_w, p->pad_left, 1, p->kw, p->w_in, &kx0, &kx1);
                for (int32_t ky = ky0; ky < ky1; ky++)
                    for (int32_t kx = kx0; kx < kx1; kx++)
                        sum += xc[(oy * p->stride_h - p->pad_top + ky) * p->w_in + ox * p->stride_w - p->pad_left +
                                  kx];
                int32_t count = (ky1 - ky0) * (kx1 - kx0);
                if (p->count_include_pad) { /* the window's padded taps hold a real 0, code zp */
                    sum += (p->kh * p->kw - count) * p->zp;
                    count = p->kh * p->kw;
                }
                if (count <= 0) {
                    *y++ = (int8_t)p->zp;
                    continue;
                }
                const int32_t q = sum >= 0 ? (sum + count / 2) / count : -((-sum + count / 2) / count);
                *y++ = clamp8(q, -128, 127);
            }
    }
}

AXQ_API void axq_add_run(const axq_add *p, const int8_t *a, const int8_t *b, int8_t *y)
{
    for (int32_t i = 0; i < p->n; i++) {
        const int32_t sa = axq_requantize(((int32_t)a[i] - p->a_zp) * (1 << p->left_shift), p->a_mult, p->a_shift);
        const int32_t sb = axq_requantize(((int32_t)b[i] - p->b_zp) * (1 << p->left_shift), p->b_mult, p->b_shift);
        int64_t sum = (int64_t)sa + sb; /* two clamped int32: no wrap in 64 bits */
        sum = sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : sum;
        y[i] = output((int32_t)sum, p->out_mult, p->out_shift, p->out_zp, p->act_min, p->act_max);
    }
}

AXQ_API void axq_lut_run(const axq_lut *p, const int8_t *x, int8_t *y)
{
    for (int32_t i = 0; i < p->n; i++)
        y[i] = p->table[(int32_t)x[i] + 128];
}

AXQ_API void axq_softmax_run(const axq_softmax *p, const int8_t *x, int8_t *y)
{
    for (int32_t r = 0; r < p->rows; r++, x += p->classes, y += p->classes) {
        int32_t m = -128;
        for (int32_t i = 0; i < p->classes; i++)
            m = x[i] > m ? x[i] : m;
        uint32_t sum = 0;
        for (int32_t i = 0; i < p->classes; i++)
            sum += (uint32_t)p->table[m - x[i]];
        for (int32_t i = 0; i < p->classes; i++) {
            const uint32_t q = ((uint32_t)p->table[m - x[i]] * 256u + sum / 2) / sum;
            y[i] = clamp8((int32_t)q - 128, -128, 127);
        }
    }
}
