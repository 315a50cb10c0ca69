/* The 2x2 max pooling kernels (stride 2, no padding), for the ops that
 * pool their own output while it is in cache: a convolution followed by
 * such a pooling computes both in one pass (the graph compiler pairs
 * them: ax_node.epilogue), so the full-size map and its gradient never
 * make the trip to memory between the two. */
#ifndef AXON_OPS_POOL_H
#define AXON_OPS_POOL_H

#include "ops/op.h"

extern const ax_op_def ax_op_max_pool2d;

/* Whether n is a max_pool2d with a 2x2 window, stride 2, no padding. */
int ax_max_pool_is_2x2(const ax_node *n);
/* One plane x [.., w] (row stride w) into y [oh, ow], with the winner's
 * place in its window (0..3, row-major) in pos, as max_pool2d does. */
void ax_max_pool_2x2_plane(const float *x, int64_t w, int64_t oh, int64_t ow, float *y, float *pos);
/* A plane's whole gradient dx [h, w] from dy [oh, ow] and pos: dy at each
 * window's winner, 0 elsewhere; where gate is not NULL, only the windows
 * whose gate value is above 0 (a ReLU before the pooling: its output at
 * the winner is the pooled value) pass theirs. */
void ax_max_pool_2x2_plane_backward(const float *pos, const float *dy, const float *gate, int64_t h, int64_t w,
                                    int64_t oh, int64_t ow, float *dx);

#endif
