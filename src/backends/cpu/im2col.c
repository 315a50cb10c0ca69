/* im2col / col2im for 2-D convolution of one image (or one group of its
 * channels). The column matrix has one row per (channel, kernel row,
 * kernel column) and one column per output pixel, so a convolution is
 * weights [out, C kh kw] @ col [C kh kw, oh ow]. Padding reads as zero.
 * ld is the column matrix's row stride: oh ow for one image, N oh ow when
 * the images of a batch sit side by side (image s at column s oh ow). */
#include "backends/cpu/kernels.h"

#include <string.h>

void ax_k_im2col(const float *x, int64_t c, int64_t h, int64_t w, const ax_conv_geom *g, float *col,
                 int64_t ld)
{
    const int64_t oh = g->out_h, ow = g->out_w;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                float *row = col + ((ch * g->kh + ki) * g->kw + kj) * ld;
                const float *plane = x + ch * h * w;
                for (int64_t y = 0; y < oh; y++) {
                    const int64_t iy = y * g->stride_h - g->pad_top + ki * g->dil_h;
                    float *dst = row + y * ow;
                    if (iy < 0 || iy >= h) {
                        memset(dst, 0, (size_t)ow * sizeof(float));
                        continue;
                    }
                    const float *src = plane + iy * w;
                    const int64_t off = kj * g->dil_w - g->pad_left;
                    if (g->stride_w == 1) {
                        /* a contiguous run, zero where it leaves the row */
                        int64_t lo = off < 0 ? -off : 0, hi = w - off < ow ? w - off : ow;
                        if (hi < lo)
                            hi = lo;
                        for (int64_t x0 = 0; x0 < lo && x0 < ow; x0++)
                            dst[x0] = 0.0f;
                        /* rows are short (11 to 28 floats in a small CNN): a
                         * loop, not a call to memcpy */
                        const float *s = src + off;
#pragma omp simd
                        for (int64_t x0 = lo; x0 < hi; x0++)
                            dst[x0] = s[x0];
                        for (int64_t x0 = hi; x0 < ow; x0++)
                            dst[x0] = 0.0f;
                    } else {
                        for (int64_t x0 = 0; x0 < ow; x0++) {
                            int64_t ix = x0 * g->stride_w + off;
                            dst[x0] = ix >= 0 && ix < w ? src[ix] : 0.0f;
                        }
                    }
                }
            }
}

void ax_k_col2im(const float *col, int64_t c, int64_t h, int64_t w, const ax_conv_geom *g, float *x,
                 int64_t ld)
{
    const int64_t oh = g->out_h, ow = g->out_w;
    for (int64_t ch = 0; ch < c; ch++)
        for (int64_t ki = 0; ki < g->kh; ki++)
            for (int64_t kj = 0; kj < g->kw; kj++) {
                const float *row = col + ((ch * g->kh + ki) * g->kw + kj) * ld;
                float *plane = x + ch * h * w;
                for (int64_t y = 0; y < oh; y++) {
                    const int64_t iy = y * g->stride_h - g->pad_top + ki * g->dil_h;
                    if (iy < 0 || iy >= h)
                        continue;
                    const float *src = row + y * ow;
                    float *dst = plane + iy * w;
                    const int64_t off = kj * g->dil_w - g->pad_left;
                    if (g->stride_w == 1) {
                        /* the columns that land inside the row, as one vector add */
                        int64_t lo = off < 0 ? -off : 0, hi = w - off < ow ? w - off : ow;
                        float *d = dst + off;
#pragma omp simd
                        for (int64_t x0 = lo; x0 < hi; x0++)
                            d[x0] += src[x0];
                        continue;
                    }
                    for (int64_t x0 = 0; x0 < ow; x0++) {
                        int64_t ix = x0 * g->stride_w + off;
                        if (ix >= 0 && ix < w)
                            dst[ix] += src[x0];
                    }
                }
            }
}
