/* 2-D convolutions through oneDNN's convolution primitives (internal to
 * the CPU backend): forward, and the gradients of the input, the weights
 * and the bias, for one shape, on axon's NCHW/OIHW buffers. oneDNN picks
 * its own layouts (format_tag_any; the backward descriptors take the
 * forward one as their hint, without which oneDNN 2.6 picks its reference
 * kernels, thousands of times slower); the reorders from and to axon's
 * layouts run inside these calls. Everything is made by ax_dnnl_conv_new:
 * a call allocates nothing. */
#ifndef AXON_BACKENDS_CPU_DNNL_CONV_H
#define AXON_BACKENDS_CPU_DNNL_CONV_H

#include "axon/graph.h"

typedef struct ax_dnnl_conv_shape {
    int64_t n, c, h, w;          /* input [N, C, H, W] */
    int64_t o, kh, kw, groups;   /* weights [O, C / groups, kh, kw] */
    int64_t oh, ow;              /* output [N, O, oh, ow] */
    int64_t stride_h, stride_w, pad_t, pad_b, pad_l, pad_r, dil_h, dil_w;
    int bias, relu;              /* a bias [O]; ReLU fused into the forward output */
    int bf16;                    /* the input, weights and output gradient rounded to bfloat16 inside
                                  * (accumulation, outputs and gradients in float32) */
    int backward;                /* make the backward primitives too (training) */
    int threads;                 /* the threads its primitives are planned for, and run on */
} ax_dnnl_conv_shape;

typedef struct ax_dnnl_conv ax_dnnl_conv;

/* The primitives for one shape. AX_ERR_STATE (*out NULL) when oneDNN
 * would run it on its reference kernels, or cannot run it. */
ax_status ax_dnnl_conv_new(const ax_dnnl_conv_shape *s, ax_dnnl_conv **out);
void ax_dnnl_conv_free(ax_dnnl_conv *c);
const ax_dnnl_conv_shape *ax_dnnl_conv_shape_of(const ax_dnnl_conv *c);
/* The implementation oneDNN chose: 0 forward, 1 backward data, 2 backward
 * weights ("jit:avx512_core", ...); "" for one not made. */
const char *ax_dnnl_conv_impl(const ax_dnnl_conv *c, int which);

/* y = conv(x, w) + b (then ReLU when fused). */
ax_status ax_dnnl_conv_forward(ax_dnnl_conv *c, const float *x, const float *w, const float *b, float *y);
/* From dy (already masked by a fused ReLU): dx, dw and db where not NULL,
 * each added to (add_*) or assigned. */
ax_status ax_dnnl_conv_backward(ax_dnnl_conv *c, const float *x, const float *w, const float *dy, float *dx,
                                int add_dx, float *dw, int add_dw, float *db, int add_db);

/* The implementation a conv2d node's oneDNN primitives (at the first batch
 * size met) run on, as ax_dnnl_conv_impl; "" when the node runs im2col.
 * Defined with the op, in src/ops/conv2d.c. */
const char *ax_conv2d_onednn_impl(const ax_node *n, int which);

#endif
