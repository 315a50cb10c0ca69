/* conv2d: 2-D convolution (cross-correlation, as PyTorch) in NCHW.
 * Inputs: x [N, C, H, W], w [O, C / groups, kh, kw] (PyTorch's layout).
 * attrs.ints: {stride_h, stride_w, pad_top, pad_bottom, pad_left,
 * pad_right, dil_h, dil_w, groups}, defaults {1, 1, 0, 0, 0, 0, 1, 1, 1}.
 * Output [N, O, oh, ow], oh = (H + pt + pb - dil_h (kh - 1) - 1) / stride_h + 1.
 * The bias is a separate bias_add.
 *
 * Paths, one per shape class, all checked by the same tests:
 *  - 1x1 kernels with stride 1 and no padding: the image is already the
 *    column matrix, so each group is one GEMM straight from x;
 *  - everything else: im2col, then GEMM.
 * Threads take whole images (each with its own column buffer, calling a
 * single-threaded GEMM), which keeps every GEMM large enough to run near
 * the BLAS's peak; the weight gradient is summed per thread and the
 * threads' sums are added in thread order (deterministic for a given
 * thread count). */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

#include <omp.h>
#include <string.h>

enum { SH, SW, PT, PB, PL, PR, DH, DW, GROUPS };

static int64_t attr(const ax_node *n, int i)
{
    static const int64_t dflt[] = {1, 1, 0, 0, 0, 0, 1, 1, 1};
    return ax_attr_int(n, i, dflt[i]);
}

static ax_conv_geom geom(const ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape, *w = &n->in[1]->shape;
    ax_conv_geom g = {w->dim[2], w->dim[3], attr(n, SH), attr(n, SW), attr(n, PT), attr(n, PL),
                      attr(n, DH), attr(n, DW), 0, 0};
    g.out_h = (x->dim[2] + attr(n, PT) + attr(n, PB) - g.dil_h * (g.kh - 1) - 1) / g.stride_h + 1;
    g.out_w = (x->dim[3] + attr(n, PL) + attr(n, PR) - g.dil_w * (g.kw - 1) - 1) / g.stride_w + 1;
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

static int direct(const ax_node *n)
{
    ax_conv_geom g = geom(n);
    return g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && attr(n, PT) == 0 &&
           attr(n, PB) == 0 && attr(n, PL) == 0 && attr(n, PR) == 0;
}

/* Per thread: one column matrix of a group, and the weight gradient. */
static int64_t col_size(const ax_node *n)
{
    ax_conv_geom g = geom(n);
    return n->in[1]->shape.dim[1] * g.kh * g.kw * g.out_h * g.out_w;
}

static size_t scratch(const ax_node *n)
{
    return (size_t)n->threads * (size_t)(col_size(n) + ax_numel(n->in[1]));
}

static int team(const ax_node *n)
{
    int t = omp_get_max_threads();
    t = t < n->threads ? t : n->threads;
    return (int)(n->shape.dim[0] < t ? n->shape.dim[0] : t);
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_node *xn = n->in[0], *wn = n->in[1];
    const ax_conv_geom g = geom(n);
    const int64_t N = xn->shape.dim[0], C = xn->shape.dim[1], H = xn->shape.dim[2], W = xn->shape.dim[3];
    const int64_t O = wn->shape.dim[0], groups = attr(n, GROUPS), Cg = C / groups, Og = O / groups;
    const int64_t K = Cg * g.kh * g.kw, HW = g.out_h * g.out_w;
    const int is_direct = direct(n);
#pragma omp parallel num_threads(team(n))
    {
        float *col = n->scratch + (int64_t)omp_get_thread_num() * col_size(n);
#pragma omp for schedule(static)
        for (int64_t s = 0; s < N; s++)
            for (int64_t gi = 0; gi < groups; gi++) {
                const float *xg = xn->data + (s * C + gi * Cg) * H * W;
                if (!is_direct)
                    ax_k_im2col(xg, Cg, H, W, &g, col);
                ax_k_gemm(0, 0, Og, HW, K, 1.0f, wn->data + gi * Og * K, K, is_direct ? xg : col, HW,
                          0.0f, n->data + (s * O + gi * Og) * HW, HW);
            }
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *xn = n->in[0], *wn = n->in[1];
    const ax_conv_geom g = geom(n);
    const int64_t N = xn->shape.dim[0], C = xn->shape.dim[1], H = xn->shape.dim[2], W = xn->shape.dim[3];
    const int64_t O = wn->shape.dim[0], groups = attr(n, GROUPS), Cg = C / groups, Og = O / groups;
    const int64_t K = Cg * g.kh * g.kw, HW = g.out_h * g.out_w, wsize = ax_numel(wn);
    const int is_direct = direct(n), threads = team(n);
    float *dw_parts = n->scratch + (int64_t)n->threads * col_size(n);
#pragma omp parallel num_threads(threads)
    {
        const int tid = omp_get_thread_num();
        float *col = n->scratch + (int64_t)tid * col_size(n), *dw = dw_parts + tid * wsize;
        if (wn->needs_grad)
            memset(dw, 0, (size_t)wsize * sizeof(float));
#pragma omp for schedule(static)
        for (int64_t s = 0; s < N; s++)
            for (int64_t gi = 0; gi < groups; gi++) {
                const float *xg = xn->data + (s * C + gi * Cg) * H * W;
                const float *dy = n->grad + (s * O + gi * Og) * HW;
                const float *wg = wn->data + gi * Og * K;
                if (wn->needs_grad) { /* dW_g += dY_g col^T */
                    if (!is_direct)
                        ax_k_im2col(xg, Cg, H, W, &g, col);
                    ax_k_gemm(0, 1, Og, K, HW, 1.0f, dy, HW, is_direct ? xg : col, HW, 1.0f,
                              dw + gi * Og * K, K);
                }
                if (xn->needs_grad) { /* dX_g += col2im(W_g^T dY_g) */
                    float *dxg = xn->grad + (s * C + gi * Cg) * H * W;
                    if (is_direct)
                        ax_k_gemm(1, 0, K, HW, Og, 1.0f, wg, K, dy, HW, 1.0f, dxg, HW);
                    else {
                        ax_k_gemm(1, 0, K, HW, Og, 1.0f, wg, K, dy, HW, 0.0f, col, HW);
                        ax_k_col2im(col, Cg, H, W, &g, dxg);
                    }
                }
            }
    }
    if (wn->needs_grad)
        for (int t = 0; t < threads; t++)
            ax_k_acc(wsize, dw_parts + t * wsize, wn->grad);
}

const ax_op_def ax_op_conv2d = {"conv2d", 2, 2, infer, scratch, forward, backward};
