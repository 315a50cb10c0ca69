/* axon's float32 kernels for exported models (fkernels.h). */
#include "fkernels.h"
#include "taps.h"

#include <math.h>
#include <string.h>

AXQ_API void axf_dense_run(const axf_dense *p, const float *x, float *y)
{
    for (int32_t o = 0; o < p->out; o++) {
        const float *w = p->weight + (int64_t)o * p->in;
        float acc = p->bias[o];
        for (int32_t i = 0; i < p->in; i++)
            acc += x[i] * w[i];
        y[o] = p->relu && acc < 0 ? 0 : acc;
    }
}

AXQ_API void axf_conv_run(const axf_conv *p, const float *x, float *y)
{
    const int32_t cin_g = p->c_in / p->groups, cout_g = p->c_out / p->groups;
    const int32_t plane = p->h_in * p->w_in, ksize = p->kh * p->kw;
    for (int32_t oc = 0; oc < p->c_out; oc++) {
        const float *wo = p->weight + (int64_t)oc * cin_g * ksize;
        const float *xg = x + (int64_t)(oc / cout_g) * cin_g * plane;
        float *yo = y + (int64_t)oc * p->h_out * p->w_out;
        for (int32_t oy = 0; oy < p->h_out; oy++) {
            int32_t ky0, ky1;
            axq_taps(oy, p->stride_h, p->pad_top, p->dilation_h, p->kh, p->h_in, &ky0, &ky1);
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = 0; ox < p->w_out; ox++) {
                int32_t kx0, kx1;
                axq_taps(ox, p->stride_w, p->pad_left, p->dilation_w, p->kw, p->w_in, &kx0, &kx1);
                const int32_t ix0 = ox * p->stride_w - p->pad_left;
                float acc = p->bias[oc];
                for (int32_t ic = 0; ic < cin_g; ic++) {
                    const float *xc = xg + (int64_t)ic * plane, *wc = wo + ic * ksize;
                    for (int32_t ky = ky0; ky < ky1; ky++) {
                        const float *xr = xc + (iy0 + ky * p->dilation_h) * p->w_in + ix0;
                        const float *wr = wc + ky * p->kw;
                        for (int32_t kx = kx0; kx < kx1; kx++)
                            acc += xr[kx * p->dilation_w] * wr[kx];
                    }
                }
                yo[oy * p->w_out + ox] = p->relu && acc < 0 ? 0 : acc;
            }
        }
    }
}

static inline void axf_pool_any(const axf_pool *p, const float *x, float *y, int max)
{
    for (int32_t c = 0; c < p->c; c++) {
        const float *xc = x + (int64_t)c * p->h_in * p->w_in;
        for (int32_t oy = 0; oy < p->h_out; oy++)
            for (int32_t ox = 0; ox < p->w_out; ox++) {
                int32_t ky0, ky1, kx0, kx1;
                axq_taps(oy, p->stride_h, p->pad_top, 1, p->kh, p->h_in, &ky0, &ky1);
                axq_taps(ox, p->stride_w, p->pad_left, 1, p->kw, p->w_in, &kx0, &kx1);
                float acc = max ? -INFINITY : 0;
                for (int32_t ky = ky0; ky < ky1; ky++)
                    for (int32_t kx = kx0; kx < kx1; kx++) {
                        const float v = xc[(oy * p->stride_h - p->pad_top + ky) * p->w_in + ox * p->stride_w -
                                           p->pad_left + kx];
                        acc = max ? (v > acc ? v : acc) : acc + v;
                    }
                const int32_t count = p->count_include_pad ? p->kh * p->kw : (ky1 - ky0) * (kx1 - kx0);
                *y++ = max ? acc : acc / (float)(count > 0 ? count : 1);
            }
    }
}

AXQ_API void axf_max_pool_run(const axf_pool *p, const float *x, float *y) { axf_pool_any(p, x, y, 1); }
AXQ_API void axf_avg_pool_run(const axf_pool *p, const float *x, float *y) { axf_pool_any(p, x, y, 0); }

AXQ_API void axf_add_run(int32_t n, int32_t relu, const float *a, const float *b, float *y)
{
    for (int32_t i = 0; i < n; i++) {
        const float v = a[i] + b[i];
        y[i] = relu && v < 0 ? 0 : v;
    }
}

AXQ_API void axf_softmax_run(int32_t rows, int32_t classes, const float *x, float *y)
{
    for (int32_t r = 0; r < rows; r++, x += classes, y += classes) {
        float m = x[0], sum = 0;
        for (int32_t i = 1; i < classes; i++)
            m = x[i] > m ? x[i] : m;
        for (int32_t i = 0; i < classes; i++)
            sum += (y[i] = expf(x[i] - m));
        for (int32_t i = 0; i < classes; i++)
            y[i] /= sum;
    }
}
