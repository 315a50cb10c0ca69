/* conv2d: 2-D convolution (cross-correlation, as PyTorch) in NCHW.
 * Inputs: x [N, C, H, W], w [O, C / groups, kh, kw] (PyTorch's layout),
 * and optionally a bias b [O], added while each output is still in cache.
 * Attributes (the schema at the end): strides, padding per side,
 * dilations, groups, relu; backend hints images_per_gemm and
 * recompute_im2col. relu = 1 applies max(0, .) to the output in
 * the same pass (and masks the incoming gradient in the backward pass's
 * first pass): two passes over the largest tensor of a CNN saved.
 * Output [N, O, oh, ow], oh = (H + pt + pb - dil_h (kh - 1) - 1) / stride_h + 1.
 *
 * How: the batch is cut into chunks of B images. A thread takes a chunk,
 * writes the chunk's im2col matrices side by side, [C kh kw, B oh ow], and
 * runs one GEMM per group, W_g [O/g, C/g kh kw] @ col_g, with a
 * single-threaded BLAS; the result is scattered into the images (adding
 * the bias). Backward, per chunk: dW_g += dY_g col_g^T into the thread's
 * own sum, dcol_g = W_g^T dY_g, folded back by col2im; the threads' sums
 * are added in thread order, so a given thread count always gives the
 * same bits.
 *
 * When the whole batch's column matrices fit in SAVED_COL_MAX_FLOATS (and
 * recompute is 0), the forward pass writes them to scratch that outlives
 * it and the backward pass uses them for dW instead of running im2col
 * again.
 *
 * B is chosen so a chunk's column matrix stays within the core's cache
 * (measured: one 35 MB column matrix for the whole batch ran slower than
 * per-image GEMMs, which ran slower than cache-sized chunks).
 * images_per_gemm > 0 forces B (the tests run 1, 2 and the whole batch).
 * 1x1 kernels with stride 1 and no padding take B = 1 and skip im2col: the
 * image is already its column matrix.
 *
 * Tried and measured slower, so not here: one column matrix for the whole
 * batch (W-CNN epoch 40 s against 29 s for cache-sized chunks, one thread)
 * and shifted-row loops without a GEMM for a first layer of 1 -> 32
 * channels (34 s against 28 s: rows of 26 floats are too short). Nor a
 * direct kernel for few taps keeping 8 channels x 8 pixels in registers
 * (forward) and one dot product per tap (weights): as fast as im2col to
 * within the noise (the W-CNN's epoch 0.99x; the first layer's training
 * pass 4.02 against 4.01 ms): both are bound by the memory traffic of the
 * 5.5 MB output and its gradient, not by the arithmetic. */
#include "ops/op.h"
#include "ops/pool.h"
#include "backends/cpu/dnnl_conv.h"
#include "backends/cpu/kernels.h"

#include "core/threads.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SH, SW, PT, PB, PL, PR, DH, DW, GROUPS, RELU };  /* the schema's attributes */
enum { CHUNK, RECOMPUTE, KERNEL, BF16 };              /* its hints */
enum { KERNEL_AUTO, KERNEL_IM2COL, KERNEL_ONEDNN };   /* hint kernel's values */

/* The column matrix a chunk may fill: about a quarter of a 2 MB L2. */
#define CHUNK_COL_BYTES (512 * 1024)
/* Keep the batch's column matrices for the backward pass up to this many
 * floats (32 MB). */
#define SAVED_COL_MAX_FLOATS ((int64_t)1 << 23)

static int64_t attr(const ax_node *n, int i) { return ax_attr_int(n, i); }

static ax_conv_geom geom(const ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *w = &n->in[1]->shape;
    ax_conv_geom g = {w->dim[2], w->dim[3], attr(n, SH), attr(n, SW), attr(n, PT), attr(n, PL),
                      attr(n, DH), attr(n, DW), 0, 0};
    /* the span left for the kernel's moves; a negative one means no output
     * (C's division would round a small negative span up to 0) */
    const int64_t span_h = x->dim[2] + attr(n, PT) + attr(n, PB) - g.dil_h * (g.kh - 1) - 1;
    const int64_t span_w = x->dim[3] + attr(n, PL) + attr(n, PR) - g.dil_w * (g.kw - 1) - 1;
    g.out_h = span_h < 0 ? 0 : span_h / g.stride_h + 1;
    g.out_w = span_w < 0 ? 0 : span_w / g.stride_w + 1;
    return g;
}

static ax_status infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *w = &n->in[1]->shape;
    char sx[96], sw[96];
    int64_t groups = attr(n, GROUPS);
    for (int i = 0; i <= GROUPS; i++)
        if (attr(n, i) < (i >= PT && i <= PR ? 0 : 1))
            return ax_fail(AX_ERR_INVALID_ARG, "strides, dilations and groups must be >= 1, padding >= 0");
    if (n->n_in > 2 && (n->in[2]->shape.ndim != 1 || (w->ndim == 4 && n->in[2]->shape.dim[0] != w->dim[0])))
        return ax_fail(AX_ERR_SHAPE, "bias %s must be [out channels]", ax_shape_str(&n->in[2]->shape, sx, sizeof sx));
    if (x->ndim != 4 || w->ndim != 4)
        return ax_fail(AX_ERR_SHAPE, "needs x [N, C, H, W] and w [O, C/groups, kh, kw]; got %s and %s",
                       ax_shape_str(x, sx, sizeof sx), ax_shape_str(w, sw, sizeof sw));
    if (x->dim[1] % groups || w->dim[0] % groups || w->dim[1] * groups != x->dim[1])
        return ax_fail(AX_ERR_SHAPE,
                       "channels do not fit the groups: x %s, w %s, %lld groups (w needs [O, C/groups, kh, kw] "
                       "with O and C divisible by groups)",
                       ax_shape_str(x, sx, sizeof sx), ax_shape_str(w, sw, sizeof sw), (long long)groups);
    ax_conv_geom g = geom(n);
    if (g.out_h < 1 || g.out_w < 1)
        return ax_fail(AX_ERR_SHAPE, "the %lldx%lld kernel (dilation %lld, %lld) does not fit the %lldx%lld input "
                       "with this padding", (long long)g.kh, (long long)g.kw, (long long)g.dil_h,
                       (long long)g.dil_w, (long long)x->dim[2], (long long)x->dim[3]);
    ax_shape s = {4, {x->dim[0], w->dim[0], g.out_h, g.out_w}};
    n->shape = s;
    return AX_OK;
}

/* The sizes every pass needs. */
typedef struct dims {
    int64_t N, C, H, W, O, G, Cg, Og, K, HW, B; /* K = Cg kh kw; B images per chunk */
    int64_t max_chunks;                        /* at the compiled batch */
    int direct;
    int saved;   /* column matrices kept from forward to backward */
} dims;

static dims dims_of(const ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *w = &n->in[1]->shape;
    ax_conv_geom g = geom(n);
    dims d = {x->dim[0], x->dim[1], x->dim[2], x->dim[3], w->dim[0], attr(n, GROUPS), 0, 0, 0,
              g.out_h * g.out_w, 1, 0, 0, 0};
    d.Cg = d.C / d.G, d.Og = d.O / d.G, d.K = d.Cg * g.kh * g.kw;
    d.direct = g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && attr(n, PT) == 0 &&
               attr(n, PB) == 0 && attr(n, PL) == 0 && attr(n, PR) == 0;
    /* B depends on the compiled (largest) batch only, so scratch planned
     * at compile fits any shorter batch. */
    int64_t max_n = n->in[0]->max_numel / (d.C * d.H * d.W);
    if (n->hint[CHUNK] > 0)
        d.B = n->hint[CHUNK];
    else if (!d.direct) {
        d.B = CHUNK_COL_BYTES / (int64_t)(d.K * d.G * d.HW * sizeof(float));
        d.B = d.B < 1 ? 1 : d.B;
        /* as many chunks per thread for every thread: 64 images in chunks
         * of 21 would give one of two threads 42 of them */
        int64_t chunks = (max_n + d.B - 1) / d.B, t = n->threads > 0 ? n->threads : 1;
        chunks = (chunks + t - 1) / t * t;
        d.B = (max_n + chunks - 1) / chunks;
    }
    d.B = d.B < max_n ? d.B : max_n;
    d.direct = d.direct && d.B == 1;
    d.max_chunks = (max_n + d.B - 1) / d.B;
    /* kept only for a backward pass that will run */
    d.saved = n->needs_grad && !d.direct && !n->hint[RECOMPUTE] &&
              d.max_chunks * d.G * d.K * d.B * d.HW <= SAVED_COL_MAX_FLOATS;
    return d;
}

/* Per thread: the chunk's column matrix (all groups), its output rows
 * [O, B HW], then the thread's weight and bias gradient sums. */
static int64_t col_floats(const dims *d) { return d->direct || d->saved ? 0 : d->G * d->K * d->B * d->HW; }
static int64_t saved_floats(const dims *d) { return d->saved ? d->max_chunks * d->G * d->K * d->B * d->HW : 0; }
static int64_t rows_floats(const dims *d) { return d->O * d->B * d->HW; }
static int64_t part_floats(const dims *d) { return d->O * d->K + d->O; }
static int64_t thread_floats(const dims *d) { return col_floats(d) + rows_floats(d) + part_floats(d); }

static size_t scratch(const ax_node *n)
{
    dims d = dims_of(n);
    return (size_t)n->threads * (size_t)thread_floats(&d) + (size_t)saved_floats(&d);
}

/* The column matrix of chunk c: its own slot when saved, else the
 * thread's buffer. */
static float *chunk_cols(const ax_node *n, const dims *d, int tid, int64_t c)
{
    if (d->saved)
        return n->scratch + (int64_t)n->threads * thread_floats(d) + c * d->G * d->K * d->B * d->HW;
    return n->scratch + (int64_t)tid * thread_floats(d);
}

static int team(const ax_node *n, const dims *d)
{
    int64_t chunks = (d->N + d->B - 1) / d->B, t = ax_threads_team();
    t = t < n->threads ? t : n->threads;
    return (int)(chunks < t ? chunks : t);
}

/* Images s0..s0+b of the chunk: im2col of group gi into col_g [K, b HW]. */
static void chunk_im2col(const ax_node *n, const dims *d, const ax_conv_geom *g, int64_t s0, int64_t b,
                         int64_t gi, float *col_g)
{
    for (int64_t j = 0; j < b; j++)
        ax_k_im2col(n->in[0]->data + ((s0 + j) * d->C + gi * d->Cg) * d->H * d->W, d->Cg, d->H, d->W, g,
                    col_g + j * d->HW, b * d->HW);
}

/* ---- through oneDNN ------------------------------------------------------
 * Where oneDNN's JIT kernels beat im2col + GEMM (measured, bench/conv_onednn.c:
 * the W-CNN's second layer, 32 -> 64 maps, 0.46-0.72 of the im2col time;
 * its first, 1 -> 32, 1.4-2.8 times slower: too few input channels), or when
 * the kernel hint asks. The primitives are made on first use for each batch
 * size met (the compiled batch and a short last one: two kept) and planned
 * for the node's threads. A shape oneDNN would run on its reference kernels
 * stays on im2col. */
#define ONEDNN_MIN_CHANNELS 8 /* input channels per group from which oneDNN is chosen */

typedef struct conv_state {
    ax_dnnl_conv *by_batch[2];
    float *masked_dy;  /* dY masked by the fused ReLU, at the compiled batch */
    int off;           /* oneDNN cannot run this node: im2col */
} conv_state;

static void conv_state_free(void *p)
{
    conv_state *st = p;
    ax_dnnl_conv_free(st->by_batch[0]);
    ax_dnnl_conv_free(st->by_batch[1]);
    ax_free(st->masked_dy);
    ax_free(st);
}

static int wants_onednn(const ax_node *n, const dims *d)
{
    if (n->hint[KERNEL] != KERNEL_AUTO)
        return n->hint[KERNEL] == KERNEL_ONEDNN;
    /* the im2col hints ask for im2col; 1x1 kernels are one GEMM already */
    const ax_shape *w = &n->in[1]->shape;
    return !n->hint[CHUNK] && !n->hint[RECOMPUTE] && d->Cg >= ONEDNN_MIN_CHANNELS && !(w->dim[2] == 1 && w->dim[3] == 1);
}

/* The primitives for the current batch; NULL: run im2col (with the error
 * set when the hint asked for oneDNN). */
static ax_dnnl_conv *onednn_for(ax_node *n, const dims *d, ax_status *err)
{
    *err = AX_OK;
    if (!wants_onednn(n, d))
        return NULL;
    conv_state *st = n->state;
    if (!st) {
        if (!(st = ax_calloc(1, sizeof *st))) {
            *err = ax_fail(AX_ERR_NOMEM, "conv2d: out of memory");
            return NULL;
        }
        n->state = st;
        n->free_state = conv_state_free;
    }
    if (st->off)
        return NULL;
    for (int i = 0; i < 2; i++)
        if (st->by_batch[i] && ax_dnnl_conv_shape_of(st->by_batch[i])->n == d->N)
            return st->by_batch[i];
    const ax_conv_geom g = geom(n);
    const ax_dnnl_conv_shape sh = {
        .n = d->N, .c = d->C, .h = d->H, .w = d->W, .o = d->O, .kh = g.kh, .kw = g.kw, .groups = d->G,
        .oh = g.out_h, .ow = g.out_w, .stride_h = g.stride_h, .stride_w = g.stride_w, .pad_t = attr(n, PT),
        .pad_b = attr(n, PB), .pad_l = attr(n, PL), .pad_r = attr(n, PR), .dil_h = g.dil_h, .dil_w = g.dil_w,
        .bias = n->n_in > 2, .relu = attr(n, RELU) != 0, .bf16 = n->hint[BF16] != 0, .backward = n->needs_grad,
        .threads = n->threads > 0 ? n->threads : 1};
    const int slot = st->by_batch[0] ? 1 : 0;
    ax_dnnl_conv *c;
    ax_status s = ax_dnnl_conv_new(&sh, &c);
    if (s != AX_OK && s != AX_ERR_NOMEM && sh.bf16) { /* no bf16 kernel on this CPU: float32 on oneDNN */
        ax_dnnl_conv_shape f32 = sh;
        f32.bf16 = 0;
        s = ax_dnnl_conv_new(&f32, &c);
    }
    if (s == AX_OK && (sh.relu || n->epilogue) && sh.backward && !st->masked_dy &&
        !(st->masked_dy = ax_alloc_aligned((size_t)(n->max_numel > 0 ? n->max_numel : 1) * sizeof(float)))) {
        ax_dnnl_conv_free(c);
        s = ax_fail(AX_ERR_NOMEM, "conv2d: out of memory");
    }
    if (s != AX_OK) {
        if (n->hint[KERNEL] == KERNEL_ONEDNN || s == AX_ERR_NOMEM)
            *err = s;
        st->off = 1; /* im2col from now on */
        return NULL;
    }
    ax_dnnl_conv_free(st->by_batch[slot]);
    st->by_batch[slot] = c;
    return c;
}

const char *ax_conv2d_onednn_impl(const ax_node *n, int which)
{
    const conv_state *st = n->state;
    return st && !st->off && st->by_batch[0] ? ax_dnnl_conv_impl(st->by_batch[0], which) : "";
}

/* The pooling this op computes (ax_node.epilogue), of the whole output
 * once written; the im2col path pools each map as it writes it. */
static void pool_maps(ax_node *n)
{
    const ax_node *pool = n->epilogue;
    const int64_t planes = n->shape.dim[0] * n->shape.dim[1], hw = n->shape.dim[2] * n->shape.dim[3];
    const int64_t ph = pool->shape.dim[2], pw = pool->shape.dim[3];
#pragma omp parallel for if (planes * hw >= AX_PARALLEL_MIN) schedule(static)
    for (int64_t p = 0; p < planes; p++)
        ax_max_pool_2x2_plane(n->data + p * hw, n->shape.dim[3], ph, pw, pool->data + p * ph * pw,
                              pool->scratch + p * ph * pw);
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const dims d = dims_of(n);
    ax_status err;
    ax_dnnl_conv *dc = onednn_for(n, &d, &err);
    if (err != AX_OK)
        return err;
    if (dc) {
        err = ax_dnnl_conv_forward(dc, n->in[0]->data, n->in[1]->data, n->n_in > 2 ? n->in[2]->data : NULL, n->data);
        if (err == AX_OK && n->epilogue)
            pool_maps(n);
        return err;
    }
    const ax_conv_geom g = geom(n);
    const float *w = n->in[1]->data, *bias = n->n_in > 2 ? n->in[2]->data : NULL;
    const int64_t chunks = (d.N + d.B - 1) / d.B;
    const int relu = attr(n, RELU) != 0;
    ax_node *pool = n->epilogue;
    const int64_t pool_hw = pool ? pool->shape.dim[2] * pool->shape.dim[3] : 0;
#pragma omp parallel num_threads(team(n, &d))
    {
        const int tid = omp_get_thread_num();
        float *rows = n->scratch + (int64_t)tid * thread_floats(&d) + col_floats(&d);
#pragma omp for schedule(static)
        for (int64_t c = 0; c < chunks; c++) {
            const int64_t s0 = c * d.B, b = d.N - s0 < d.B ? d.N - s0 : d.B, cols = b * d.HW;
            float *col = chunk_cols(n, &d, tid, c);
            for (int64_t gi = 0; gi < d.G; gi++) {
                const float *wg = w + gi * d.Og * d.K;
                if (d.direct) { /* straight from the image into the output */
                    ax_k_gemm(0, 0, d.Og, d.HW, d.K, 1.0f, wg, d.K,
                              n->in[0]->data + (s0 * d.C + gi * d.Cg) * d.HW, d.HW, 0.0f,
                              n->data + (s0 * d.O + gi * d.Og) * d.HW, d.HW);
                    continue;
                }
                float *col_g = col + gi * d.K * cols;
                chunk_im2col(n, &d, &g, s0, b, gi, col_g);
                ax_k_gemm(0, 0, d.Og, cols, d.K, 1.0f, wg, d.K, col_g, cols, 0.0f, rows + gi * d.Og * cols, cols);
            }
            /* rows [O, b HW] -> images [b, O, HW], with bias and ReLU (the
             * direct path wrote the images already: finish them in place) */
            for (int64_t j = 0; j < b; j++)
                for (int64_t o = 0; o < d.O; o++) {
                    float *y = n->data + ((s0 + j) * d.O + o) * d.HW;
                    const float *src = d.direct ? y : rows + o * cols + j * d.HW;
                    const float bo = bias ? bias[o] : 0.0f;
                    if (relu) {
#pragma omp simd
                        for (int64_t i = 0; i < d.HW; i++) {
                            const float v = src[i] + bo;
                            y[i] = v > 0.0f ? v : 0.0f;
                        }
                    } else /* a NaN stays NaN (a max with -inf made it -inf) */
#pragma omp simd
                        for (int64_t i = 0; i < d.HW; i++)
                            y[i] = src[i] + bo;
                    if (pool) { /* the map just written, pooled while in cache */
                        const int64_t at = ((s0 + j) * d.O + o) * pool_hw;
                        ax_max_pool_2x2_plane(y, g.out_w, pool->shape.dim[2], pool->shape.dim[3], pool->data + at,
                                              pool->scratch + at);
                    }
                }
        }
    }
    return AX_OK;
}

/* The backward pass through the forward pass's primitives. */
static void onednn_backward(ax_node *n, ax_dnnl_conv *dc)
{
    ax_node *xn = n->in[0], *wn = n->in[1], *bn = n->n_in > 2 ? n->in[2] : NULL;
    const float *dy = n->grad;
    const conv_state *st = n->state;
    const ax_node *pool = n->epilogue && n->epilogue->grad_written ? n->epilogue : NULL;
    if (pool) { /* dY from the pooling's gradient, gated by the pooled ReLU output */
        const int64_t planes = n->shape.dim[0] * n->shape.dim[1], hw = n->shape.dim[2] * n->shape.dim[3];
        const int64_t ph = pool->shape.dim[2], pw = pool->shape.dim[3];
        const int relu = attr(n, RELU) != 0;
#pragma omp parallel for if (planes * hw >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t p = 0; p < planes; p++)
            ax_max_pool_2x2_plane_backward(pool->scratch + p * ph * pw, pool->grad + p * ph * pw,
                                           relu ? pool->data + p * ph * pw : NULL, n->shape.dim[2], n->shape.dim[3],
                                           ph, pw, st->masked_dy + p * hw);
        dy = st->masked_dy;
    } else if (attr(n, RELU)) { /* the fused ReLU's gradient: dY where the output is positive */
        const int64_t count = ax_numel(n);
        const float *y = n->data, *g = n->grad;
        float *m = st->masked_dy;
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
        for (int64_t i = 0; i < count; i++)
            m[i] = y[i] > 0.0f ? g[i] : 0.0f;
        dy = st->masked_dy;
    }
    const int want_dx = xn->needs_grad, want_dw = wn->needs_grad, want_db = bn && bn->needs_grad;
    const int add_dx = want_dx && ax_grad_accumulate(xn), add_dw = want_dw && ax_grad_accumulate(wn),
              add_db = want_db && ax_grad_accumulate(bn);
    /* the primitives were made and checked for this shape by the forward
     * pass, and the buffers are the graph's: oneDNN failing here is a bug in
     * axon (a backward pass has no error to return), not bad input */
    ax_status s = ax_dnnl_conv_backward(dc, xn->data, wn->data, dy, want_dx ? xn->grad : NULL, add_dx,
                                        want_dw ? wn->grad : NULL, add_dw, want_db ? bn->grad : NULL, add_db);
    if (s != AX_OK) {
        fprintf(stderr, "axon: conv2d backward through oneDNN failed: %s\n", ax_last_error());
        abort();
    }
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const dims d = dims_of(n);
    ax_status err;
    ax_dnnl_conv *dc = onednn_for(n, &d, &err);
    if (dc) {
        onednn_backward(n, dc);
        return;
    }
    const ax_conv_geom g = geom(n);
    ax_node *xn = n->in[0], *wn = n->in[1], *bn = n->n_in > 2 ? n->in[2] : NULL;
    const int want_dw = wn->needs_grad, want_db = bn && bn->needs_grad, want_dx = xn->needs_grad;
    const int64_t chunks = (d.N + d.B - 1) / d.B, wsize = d.O * d.K;
    /* The weight and bias gradients are summed per slot, one slot per
     * planned thread, each over its own run of chunks, then over the slots
     * in order: the same sums whatever the team's size (core/threads.h). */
    const int64_t slots = n->threads, per_slot = (chunks + slots - 1) / slots;
    const int64_t used_slots = (chunks + per_slot - 1) / per_slot;
    const int threads = ax_threads_team() < used_slots ? ax_threads_team() : (int)used_slots;
    const int relu = attr(n, RELU) != 0;
    /* the gradient came through the pooling this op computes (not when a
     * backward pass starts from this node) */
    const ax_node *pool = n->epilogue && n->epilogue->grad_written ? n->epilogue : NULL;
    const int64_t pool_hw = pool ? pool->shape.dim[2] * pool->shape.dim[3] : 0;
    /* dx: assigned image by image (zeroed in cache just before col2im adds
     * to it) when this is its first gradient */
    const int dx_acc = want_dx ? ax_grad_accumulate(xn) : 1;
#pragma omp parallel num_threads(threads)
    {
        const int tid = omp_get_thread_num();
        float *rows = n->scratch + (int64_t)tid * thread_floats(&d) + col_floats(&d);
#pragma omp for schedule(static)
        for (int64_t slot = 0; slot < used_slots; slot++) {
            float *dw = n->scratch + slot * thread_floats(&d) + col_floats(&d) + rows_floats(&d), *db = dw + wsize;
            memset(dw, 0, (size_t)part_floats(&d) * sizeof(float));
            const int64_t last = (slot + 1) * per_slot < chunks ? (slot + 1) * per_slot : chunks;
            for (int64_t c = slot * per_slot; c < last; c++) {
                const int64_t s0 = c * d.B, b = d.N - s0 < d.B ? d.N - s0 : d.B, cols = b * d.HW;
                float *col = chunk_cols(n, &d, tid, c);
                /* dY of the chunk as rows [O, b HW] (masked by the fused ReLU);
                 * the direct path keeps the image layout (b = 1) */
                for (int64_t j = 0; j < b; j++)
                    for (int64_t o = 0; o < d.O; o++) {
                        const int64_t at = ((s0 + j) * d.O + o) * d.HW;
                        const float *src = n->grad + at, *y = n->data + at;
                        float *dst = rows + (d.direct ? o * d.HW : o * cols + j * d.HW);
                        if (pool) { /* dY from the pooling's gradient, gated by the pooled ReLU output */
                            const int64_t pat = ((s0 + j) * d.O + o) * pool_hw;
                            ax_max_pool_2x2_plane_backward(pool->scratch + pat, pool->grad + pat,
                                                           relu ? pool->data + pat : NULL, g.out_h, g.out_w,
                                                           pool->shape.dim[2], pool->shape.dim[3], dst);
                            continue;
                        }
                        if (!relu) {
                            memcpy(dst, src, (size_t)d.HW * sizeof(float));
                            continue;
                        }
    #pragma omp simd
                        for (int64_t i = 0; i < d.HW; i++) {
                            float v = src[i];
                            dst[i] = y[i] > 0.0f ? v : 0.0f;
                        }
                    }
                const float *dy_rows = rows;
                const int64_t ld = d.direct ? d.HW : cols;
                if (want_db)
                    for (int64_t o = 0; o < d.O; o++)
                        db[o] += (float)ax_k_sum(cols, dy_rows + o * ld);
                for (int64_t gi = 0; gi < d.G; gi++) {
                    const float *dy_g = dy_rows + gi * d.Og * ld, *wg = wn->data + gi * d.Og * d.K;
                    float *col_g = col + gi * d.K * cols;
                    const float *x_g = xn->data + (s0 * d.C + gi * d.Cg) * d.HW; /* direct only */
                    if (want_dw) {
                        if (!d.direct && !d.saved)
                            chunk_im2col(n, &d, &g, s0, b, gi, col_g);
                        ax_k_gemm(0, 1, d.Og, d.K, cols, 1.0f, dy_g, ld, d.direct ? x_g : col_g, cols, 1.0f,
                                  dw + gi * d.Og * d.K, d.K);
                    }
                    if (!want_dx)
                        continue;
                    if (d.direct) {
                        ax_k_gemm(1, 0, d.K, d.HW, d.Og, 1.0f, wg, d.K, dy_g, ld, dx_acc ? 1.0f : 0.0f,
                                  xn->grad + (s0 * d.C + gi * d.Cg) * d.HW, d.HW);
                        continue;
                    }
                    ax_k_gemm(1, 0, d.K, cols, d.Og, 1.0f, wg, d.K, dy_g, ld, 0.0f, col_g, cols);
                    for (int64_t j = 0; j < b; j++) {
                        float *dx = xn->grad + ((s0 + j) * d.C + gi * d.Cg) * d.H * d.W;
                        if (!dx_acc)
                            memset(dx, 0, (size_t)(d.Cg * d.H * d.W) * sizeof(float));
                        ax_k_col2im(col_g + j * d.HW, d.Cg, d.H, d.W, &g, dx, cols);
                    }
                }
            }
        }
    }
    /* the slots' sums, in slot order; the first one assigns when this is
     * the parameter's first gradient */
    const int dw_acc = want_dw ? ax_grad_accumulate(wn) : 1, db_acc = want_db ? ax_grad_accumulate(bn) : 1;
    for (int64_t t = 0; t < used_slots; t++) {
        const float *part = n->scratch + (int64_t)t * thread_floats(&d) + col_floats(&d) + rows_floats(&d);
        if (want_dw) {
            if (t == 0 && !dw_acc)
                memcpy(wn->grad, part, (size_t)wsize * sizeof(float));
            else
                ax_k_acc(wsize, part, wn->grad);
        }
        if (want_db) {
            if (t == 0 && !db_acc)
                memcpy(bn->grad, part + wsize, (size_t)d.O * sizeof(float));
            else
                ax_k_acc(d.O, part + wsize, bn->grad);
        }
    }
}

/* A 2x2 max pooling of the output. Its gradient is scattered straight
 * into what the backward pass reads (the GEMM's rows on im2col, the
 * masked dY on oneDNN), so the full-size gradient is never written, nor
 * read again for the fused ReLU's mask; on im2col the forward pass pools
 * each map while it is in cache. The output itself is still written, for
 * whoever reads it. */
static int absorbs(const ax_node *n, const ax_node *consumer)
{
    (void)n;
    return ax_max_pool_is_2x2(consumer);
}

static const ax_attr_schema attrs[] = {
    {"stride_h", AX_ATTR_INT, 1, 1, AX_SIZE_MAX, "vertical stride"},
    {"stride_w", AX_ATTR_INT, 1, 1, AX_SIZE_MAX, "horizontal stride"},
    {"pad_top", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "zero rows above"},
    {"pad_bottom", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "zero rows below"},
    {"pad_left", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "zero columns on the left"},
    {"pad_right", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "zero columns on the right"},
    {"dilation_h", AX_ATTR_INT, 1, 1, AX_SIZE_MAX, "vertical spacing of the kernel's taps"},
    {"dilation_w", AX_ATTR_INT, 1, 1, AX_SIZE_MAX, "horizontal spacing of the kernel's taps"},
    {"groups", AX_ATTR_INT, 1, 1, AX_SIZE_MAX, "channel groups (C and O divide by it; C: depthwise)"},
    {"relu", AX_ATTR_BOOL, 0, 0, 1, "apply max(0, y) in the same pass"}};
static const ax_attr_schema hints[] = {
    {"images_per_gemm", AX_ATTR_INT, 0, 0, AX_SIZE_MAX, "images per im2col GEMM (0: sized to the cache)"},
    {"recompute_im2col", AX_ATTR_BOOL, 0, 0, 1, "redo im2col in backward rather than keep the column matrices"},
    {"kernel", AX_ATTR_INT, 0, 0, 2, "0: chosen by shape, 1: im2col + GEMM, 2: oneDNN's convolution"},
    {"bf16", AX_ATTR_BOOL, 0, 0, 1, "on oneDNN: read x, w and dy as bfloat16 (float32 sums and results)"}};
const ax_op_def ax_op_conv2d = {
    .schema = {.name = "conv2d",
               .doc = "2-D convolution (cross-correlation) of x [N, C, H, W] with w [O, C/groups, kh, kw], plus b [O]",
               .inputs = "x w [b]", .min_inputs = 2, .max_inputs = 3, AX_ATTRS(attrs), .hints = hints,
               .n_hints = AX_LEN(hints)},
    .infer = infer, .scratch = scratch, .forward = forward, .backward = backward, .absorbs = absorbs};
