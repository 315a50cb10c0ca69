/* axon shapes: the dimensions of N-d float32 arrays (graph nodes, data samples). */
#ifndef AXON_TENSOR_H
#define AXON_TENSOR_H

#include "axon/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AX_MAX_DIMS 6

typedef struct ax_shape {
    int ndim;                  /* 0 for a scalar */
    int64_t dim[AX_MAX_DIMS];
} ax_shape;

/* Shapes of rank 0..4, for writing shapes inline. */
ax_shape ax_shape0(void);
ax_shape ax_shape1(int64_t a);
ax_shape ax_shape2(int64_t a, int64_t b);
ax_shape ax_shape3(int64_t a, int64_t b, int64_t c);
ax_shape ax_shape4(int64_t a, int64_t b, int64_t c, int64_t d);

/* The most values one tensor may hold (2^40: 4 TiB of floats); shapes
 * beyond it, or whose product would wrap, are refused where they are made. */
#define AX_MAX_NUMEL ((int64_t)1 << 40)

int64_t ax_shape_numel(const ax_shape *s);
/* 1 when every dimension is >= 1 (or, with allow_zero, >= 0) and the
 * product fits AX_MAX_NUMEL; then *numel (may be NULL) is the product. */
int ax_shape_checked(const ax_shape *s, int allow_zero, int64_t *numel);
int ax_shape_equal(const ax_shape *a, const ax_shape *b);
/* Writes "[64, 784]" into buf; returns buf. */
char *ax_shape_str(const ax_shape *s, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
