/* axon's float32 kernels for an exported model (`axon export-c` of a
 * float model): the same layers as qkernels.h over floats, C99, with
 * nothing beyond string.h and math.h. Copied verbatim into the C file. */
#ifndef AXF_KERNELS_H
#define AXF_KERNELS_H
#include <stdint.h>

#ifndef AXQ_API
#define AXQ_API
#endif

typedef struct axf_dense {
    int32_t in, out, relu;
    const float *weight, *bias; /* [out, in], [out] */
} axf_dense;
AXQ_API void axf_dense_run(const axf_dense *p, const float *x, float *y);

typedef struct axf_conv {
    int32_t c_in, h_in, w_in, c_out, h_out, w_out;
    int32_t kh, kw, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w, groups, relu;
    const float *weight, *bias; /* [c_out, c_in / groups, kh, kw], [c_out] */
} axf_conv;
AXQ_API void axf_conv_run(const axf_conv *p, const float *x, float *y);

typedef struct axf_pool {
    int32_t c, h_in, w_in, h_out, w_out;
    int32_t kh, kw, stride_h, stride_w, pad_top, pad_left, count_include_pad;
} axf_pool;
AXQ_API void axf_max_pool_run(const axf_pool *p, const float *x, float *y);
AXQ_API void axf_avg_pool_run(const axf_pool *p, const float *x, float *y);

AXQ_API void axf_add_run(int32_t n, int32_t relu, const float *a, const float *b, float *y);
/* softmax over each row of `classes` values */
AXQ_API void axf_softmax_run(int32_t rows, int32_t classes, const float *x, float *y);

#endif
