/* Pooling over NCHW maps.
 *   max_pool2d, avg_pool2d: attributes kernel_h, kernel_w, stride_h,
 *     stride_w, pad_top, pad_bottom, pad_left, pad_right, count_include_pad
 *     (avg only); strides default (0) to the kernel, padding to 0. Max pooling ignores padding (as if -inf) and
 *     sends the gradient to the first largest element; average pooling
 *     divides by kh kw when count_include_pad (the default, as PyTorch), else
 *     by the number of real pixels in the window.
 *   global_avg_pool: [N, C, H, W] -> [N, C], the mean of each map. */
#include "ops/pool.h"
#include "backends/cpu/kernels.h"

#include <string.h>


enum { KH, KW, SH, SW, PT, PB, PL, PR, INCLUDE_PAD };

static int64_t attr(const ax_node *n, int i)
{
    if ((i == SH || i == SW) && ax_attr_int(n, i) == 0)
        return ax_attr_int(n, i - 2); /* the kernel's size */
    return ax_attr_int(n, i);
}

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    char sx[96];
    if (x->ndim != 4)
        return ax_fail(AX_ERR_SHAPE, "needs [N, C, H, W], got %s", ax_shape_str(x, sx, sizeof sx));
    if (attr(n, KH) < 1 || attr(n, KW) < 1 || attr(n, SH) < 1 || attr(n, SW) < 1 || attr(n, PT) < 0 ||
        attr(n, PB) < 0 || attr(n, PL) < 0 || attr(n, PR) < 0)
        return ax_fail(AX_ERR_INVALID_ARG, "kernel and strides must be >= 1, padding >= 0");
    if (attr(n, PT) >= attr(n, KH) || attr(n, PL) >= attr(n, KW) || attr(n, PB) >= attr(n, KH) ||
        attr(n, PR) >= attr(n, KW))
        return ax_fail(AX_ERR_INVALID_ARG, "padding must be smaller than the kernel (a window of padding alone)");
    /* the span left for the window's moves; tested before dividing, since
     * C's division rounds a small negative span up to 0 (one output) */
    const int64_t span_h = x->dim[2] + attr(n, PT) + attr(n, PB) - attr(n, KH);
    const int64_t span_w = x->dim[3] + attr(n, PL) + attr(n, PR) - attr(n, KW);
    const int64_t oh = span_h / attr(n, SH) + 1, ow = span_w / attr(n, SW) + 1;
    if (span_h < 0 || span_w < 0)
        return ax_fail(AX_ERR_SHAPE, "a %lldx%lld window does not fit %s", (long long)attr(n, KH),
                       (long long)attr(n, KW), ax_shape_str(x, sx, sizeof sx));
    ax_shape s = {4, {x->dim[0], x->dim[1], oh, ow}};
    n->shape = s;
    return AX_OK;
}

/* The window of output (y, x0), clipped to the image. */
typedef struct window {
    int64_t y0, y1, x0, x1;
} window;

static window window_at(const ax_node *n, int64_t y, int64_t x, int64_t h, int64_t w)
{
    window r;
    r.y0 = y * attr(n, SH) - attr(n, PT), r.x0 = x * attr(n, SW) - attr(n, PL);
    r.y1 = r.y0 + attr(n, KH), r.x1 = r.x0 + attr(n, KW);
    r.y0 = r.y0 < 0 ? 0 : r.y0, r.x0 = r.x0 < 0 ? 0 : r.x0;
    r.y1 = r.y1 > h ? h : r.y1, r.x1 = r.x1 > w ? w : r.x1;
    return r;
}

/* the winning index within its plane (or window, for 2x2), per output */
static size_t max_scratch(const ax_node *n) { return (size_t)ax_numel(n); }

/* v beats the current best: larger, or a NaN (NaN propagates, as in PyTorch) */
static inline int beats(float v, float best) { return v > best || (v != v && best == best); }

/* The common 2x2 window with stride 2 and no padding, without the general
 * window arithmetic: the winner's position in its window (0..3, row-major)
 * is kept for the backward pass. */
int ax_max_pool_is_2x2(const ax_node *n)
{
    if (n->op != &ax_op_max_pool2d)
        return 0;
    /* padding on any side (ONNX's pads, ceil mode) would give a last
     * window that reaches past the map: the general path clips it */
    return attr(n, KH) == 2 && attr(n, KW) == 2 && attr(n, SH) == 2 && attr(n, SW) == 2 && attr(n, PT) == 0 &&
           attr(n, PL) == 0 && attr(n, PB) == 0 && attr(n, PR) == 0;
}

/* The 2x2 kernels work in two stages through temporaries of this many
 * floats (on the stack): rows of the W-CNN's maps are 5 to 13 outputs
 * wide, too short for a loop over one row to run in vectors (the
 * remainders ran scalar and branchy), so each stage runs one loop over
 * a block of whole rows. Measured 2.5-2.8x faster forward and 4.7x
 * backward than the loops over single rows. */
#define STAGE_FLOATS 1024

/* The block of outputs y rows r0 .. r0 + nr, columns c0 .. c0 + nc
 * (nc == ow, or nr == 1: one run in y). First the larger of each pair of
 * rows, column by column (m, with 0 or 2 for the row in k), then of each
 * pair of columns; on a tie the earlier of the window's row-major order
 * wins, as in a row-major scan. */
static void max_2x2_block(const float *x, int64_t w, int64_t ow, int64_t r0, int64_t nr, int64_t c0, int64_t nc,
                          float *y, float *pos)
{
    float m[STAGE_FLOATS], k[STAGE_FLOATS];
    const int64_t w2 = 2 * nc, n = nr * nc;
    for (int64_t r = 0; r < nr; r++) {
        const float *a = x + 2 * (r0 + r) * w + 2 * c0, *b = a + w;
        float *mr = m + r * w2, *kr = k + r * w2;
#pragma omp simd
        for (int64_t j = 0; j < w2; j++) {
            const int t = beats(b[j], a[j]);
            mr[j] = t ? b[j] : a[j];
            kr[j] = t ? 2.0f : 0.0f;
        }
    }
    y += r0 * ow + c0, pos += r0 * ow + c0;
#pragma omp simd
    for (int64_t q = 0; q < n; q++) {
        const float l = m[2 * q], r = m[2 * q + 1], kl = k[2 * q], kr = k[2 * q + 1];
        const int same = (r == l) | ((r != r) & (l != l));
        const int t = beats(r, l) | (same & (kr < kl));
        y[q] = t ? r : l;
        pos[q] = t ? kr + 1.0f : kl;
    }
}

/* The blocks of a plane: as many whole rows as the temporaries hold, or
 * pieces of one row where a row alone is more. */
#define FOR_2X2_BLOCKS(oh, ow, BODY)                                                                  \
    do {                                                                                              \
        const int64_t whole_ = STAGE_FLOATS / (2 * (ow));                                             \
        const int64_t rows_ = whole_ > 0 ? whole_ : 1, cols_ = whole_ > 0 ? (ow) : STAGE_FLOATS / 2; \
        for (int64_t r0 = 0; r0 < (oh); r0 += rows_)                                                  \
            for (int64_t c0 = 0; c0 < (ow); c0 += cols_) {                                            \
                const int64_t nr = rows_ < (oh) - r0 ? rows_ : (oh) - r0;                             \
                const int64_t nc = cols_ < (ow) - c0 ? cols_ : (ow) - c0;                             \
                BODY;                                                                                 \
            }                                                                                         \
    } while (0)

void ax_max_pool_2x2_plane(const float *x, int64_t w, int64_t oh, int64_t ow, float *y, float *pos)
{
    FOR_2X2_BLOCKS(oh, ow, max_2x2_block(x, w, ow, r0, nr, c0, nc, y, pos));
}

/* The first gradient of a block: every element written once, without
 * zeroing the plane first and adding to it (half the memory traffic),
 * the window's four values set in one run and copied into the rows. The
 * + 0.0f keeps the bits of adding to zeros (a -0 gradient gives +0). */
static void max_2x2_backward_block(const float *pos, const float *dy, const float *gate, int64_t w, int64_t ow,
                                   int64_t r0, int64_t nr, int64_t c0, int64_t nc, float *dx)
{
    float top[STAGE_FLOATS], bottom[STAGE_FLOATS], g[STAGE_FLOATS / 2];
    const int64_t w2 = 2 * nc, n = nr * nc;
    pos += r0 * ow + c0, dy += r0 * ow + c0;
    if (gate) { /* 0, as a ReLU's gradient gives, where the window's value is not above 0 */
        gate += r0 * ow + c0;
#pragma omp simd
        for (int64_t q = 0; q < n; q++)
            g[q] = gate[q] > 0.0f ? dy[q] : 0.0f;
        dy = g;
    }
#pragma omp simd
    for (int64_t q = 0; q < n; q++) {
        const float k = pos[q], v = dy[q] + 0.0f;
        top[2 * q] = k == 0.0f ? v : 0.0f;
        top[2 * q + 1] = k == 1.0f ? v : 0.0f;
        bottom[2 * q] = k == 2.0f ? v : 0.0f;
        bottom[2 * q + 1] = k == 3.0f ? v : 0.0f;
    }
    for (int64_t r = 0; r < nr; r++) {
        float *a = dx + 2 * (r0 + r) * w + 2 * c0;
        memcpy(a, top + r * w2, (size_t)w2 * sizeof(float));
        memcpy(a + w, bottom + r * w2, (size_t)w2 * sizeof(float));
    }
}

/* A whole plane's first gradient; a row or column in no window (odd
 * sizes) gets 0. */
void ax_max_pool_2x2_plane_backward(const float *pos, const float *dy, const float *gate, int64_t h, int64_t w,
                                    int64_t oh, int64_t ow, float *dx)
{
    FOR_2X2_BLOCKS(oh, ow, max_2x2_backward_block(pos, dy, gate, w, ow, r0, nr, c0, nc, dx));
    if (w > 2 * ow)
        for (int64_t r = 0; r < 2 * oh; r++)
            dx[r * w + w - 1] = 0.0f;
    if (h > 2 * oh)
        memset(dx + 2 * oh * w, 0, (size_t)w * sizeof(float));
}

/* Adding to a gradient already there: only the winners get anything. */
static void max_pool_2x2_backward(const float *pos, const float *dy, int64_t w, int64_t oh, int64_t ow, float *dx)
{
    for (int64_t r = 0; r < oh; r++)
        for (int64_t c = 0; c < ow; c++) {
            const int k = (int)pos[r * ow + c];
            dx[(2 * r + (k >> 1)) * w + 2 * c + (k & 1)] += dy[r * ow + c];
        }
}

static ax_status max_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    if (n->in[0]->epilogue == n) /* computed by its input's op, in the same pass */
        return AX_OK;
    const ax_shape *xs = &n->in[0]->shape;
    const int64_t planes = xs->dim[0] * xs->dim[1], h = xs->dim[2], w = xs->dim[3];
    const int64_t oh = n->shape.dim[2], ow = n->shape.dim[3];
    const int fast = ax_max_pool_is_2x2(n);
#pragma omp parallel for if (planes * h * w >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        const float *x = n->in[0]->data + p * h * w;
        float *y = n->data + p * oh * ow, *idx = n->scratch + p * oh * ow;
        if (fast) {
            ax_max_pool_2x2_plane(x, w, oh, ow, y, idx);
            continue;
        }
        for (int64_t r = 0; r < oh; r++)
            for (int64_t c = 0; c < ow; c++) {
                window win = window_at(n, r, c, h, w);
                int64_t best = win.y0 * w + win.x0;
                for (int64_t i = win.y0; i < win.y1; i++)
                    for (int64_t j = win.x0; j < win.x1; j++)
                        if (beats(x[i * w + j], x[best]))
                            best = i * w + j;
                y[r * ow + c] = x[best];
                idx[r * ow + c] = (float)best;
            }
    }
    return AX_OK;
}

static void max_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    if (n->in[0]->epilogue == n) { /* its input's op reads this gradient itself, in its own backward pass */
        ax_grad_accumulate(n->in[0]);
        return;
    }
    const ax_shape *xs = &n->in[0]->shape;
    const int64_t planes = xs->dim[0] * xs->dim[1], hw = xs->dim[2] * xs->dim[3];
    const int64_t ohw = n->shape.dim[2] * n->shape.dim[3];
    const int fast = ax_max_pool_is_2x2(n), acc = ax_grad_accumulate(n->in[0]);
#pragma omp parallel for if (planes * hw >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        if (fast && !acc) {
            ax_max_pool_2x2_plane_backward(n->scratch + p * ohw, n->grad + p * ohw, NULL, xs->dim[2], xs->dim[3],
                                      n->shape.dim[2], n->shape.dim[3], n->in[0]->grad + p * hw);
            continue;
        }
        if (!acc) /* zeroed plane by plane, in cache, just before the scatter */
            memset(n->in[0]->grad + p * hw, 0, (size_t)hw * sizeof(float));
        if (fast)
            max_pool_2x2_backward(n->scratch + p * ohw, n->grad + p * ohw, xs->dim[3], n->shape.dim[2],
                                  n->shape.dim[3], n->in[0]->grad + p * hw);
        else
            for (int64_t o = 0; o < ohw; o++)
                n->in[0]->grad[p * hw + (int64_t)n->scratch[p * ohw + o]] += n->grad[p * ohw + o];
    }
}

static float divisor(const ax_node *n, const window *r)
{
    if (attr(n, INCLUDE_PAD))
        return (float)(attr(n, KH) * attr(n, KW));
    return (float)((r->y1 - r->y0) * (r->x1 - r->x0));
}

static ax_status avg_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_shape *xs = &n->in[0]->shape;
    const int64_t planes = xs->dim[0] * xs->dim[1], h = xs->dim[2], w = xs->dim[3];
    const int64_t oh = n->shape.dim[2], ow = n->shape.dim[3];
#pragma omp parallel for if (planes * h * w >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        const float *x = n->in[0]->data + p * h * w;
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x0 = 0; x0 < ow; x0++) {
                window r = window_at(n, y, x0, h, w);
                float s = 0.0f;
                for (int64_t i = r.y0; i < r.y1; i++)
                    for (int64_t j = r.x0; j < r.x1; j++)
                        s += x[i * w + j];
                n->data[(p * oh + y) * ow + x0] = s / divisor(n, &r);
            }
    }
    return AX_OK;
}

static void avg_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_shape *xs = &n->in[0]->shape;
    const int64_t planes = xs->dim[0] * xs->dim[1], h = xs->dim[2], w = xs->dim[3];
    const int64_t oh = n->shape.dim[2], ow = n->shape.dim[3];
    const int acc = ax_grad_accumulate(n->in[0]);
#pragma omp parallel for if (planes * h * w >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t p = 0; p < planes; p++) {
        float *dx = n->in[0]->grad + p * h * w;
        if (!acc)
            memset(dx, 0, (size_t)(h * w) * sizeof(float));
        for (int64_t y = 0; y < oh; y++)
            for (int64_t x0 = 0; x0 < ow; x0++) {
                window r = window_at(n, y, x0, h, w);
                float g = n->grad[(p * oh + y) * ow + x0] / divisor(n, &r);
                for (int64_t i = r.y0; i < r.y1; i++)
                    for (int64_t j = r.x0; j < r.x1; j++)
                        dx[i * w + j] += g;
            }
    }
}

static ax_status gap_infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    char sx[96];
    if (x->ndim != 4)
        return ax_fail(AX_ERR_SHAPE, "needs [N, C, H, W], got %s", ax_shape_str(x, sx, sizeof sx));
    ax_shape s = {2, {x->dim[0], x->dim[1]}};
    n->shape = s;
    return AX_OK;
}

static ax_status gap_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_shape *xs = &n->in[0]->shape;
    const int64_t planes = xs->dim[0] * xs->dim[1], hw = xs->dim[2] * xs->dim[3];
    for (int64_t p = 0; p < planes; p++)
        n->data[p] = (float)(ax_k_sum(hw, n->in[0]->data + p * hw) / (double)hw);
    return AX_OK;
}

static void gap_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_shape *xs = &n->in[0]->shape;
    const int64_t planes = xs->dim[0] * xs->dim[1], hw = xs->dim[2] * xs->dim[3];
    ax_grad_prepare(n->in[0]);
    for (int64_t p = 0; p < planes; p++) {
        const float g = n->grad[p] / (float)hw;
        float *dx = n->in[0]->grad + p * hw;
#pragma omp simd
        for (int64_t i = 0; i < hw; i++)
            dx[i] += g;
    }
}

#define POOL_ATTRS                                                                                 \
    {"kernel_h", AX_ATTR_INT, 0, 1, AX_SIZE_MAX, "window height (required)"},                   \
    {"kernel_w", AX_ATTR_INT, 0, 1, AX_SIZE_MAX, "window width (required)"},                    \
    {"stride_h", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "vertical stride (0: kernel_h)"},              \
    {"stride_w", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "horizontal stride (0: kernel_w)"},            \
    {"pad_top", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "padding above"},                                \
    {"pad_bottom", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "padding below"},                             \
    {"pad_left", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "padding on the left"},                         \
    {"pad_right", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "padding on the right"}
static const ax_attr_schema max_attrs[] = {POOL_ATTRS};
static const ax_attr_schema avg_attrs[] = {
    POOL_ATTRS, {"count_include_pad", AX_ATTR_BOOL, 1, 0, 1, "divide by the whole window, padding included"}};
const ax_op_def ax_op_max_pool2d = {
    .schema = {.name = "max_pool2d", .doc = "the largest value of each window (padding never wins)",
               .inputs = "x", .min_inputs = 1, .max_inputs = 1, AX_ATTRS(max_attrs)},
    .infer = infer, .scratch = max_scratch, .forward = max_forward, .backward = max_backward};
const ax_op_def ax_op_avg_pool2d = {
    .schema = {.name = "avg_pool2d", .doc = "the mean of each window", .inputs = "x", .min_inputs = 1,
               .max_inputs = 1, AX_ATTRS(avg_attrs)},
    .infer = infer, .forward = avg_forward, .backward = avg_backward};
const ax_op_def ax_op_global_avg_pool = {
    .schema = {.name = "global_avg_pool", .doc = "[N, C, H, W] -> [N, C], the mean of each map", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1},
    .infer = gap_infer, .forward = gap_forward, .backward = gap_backward};
