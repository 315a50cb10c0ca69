/* matmul: y = a @ b, or a @ b^T with the attribute transpose_b = 1.
 * a has any rank; its last dimension K is contracted and the others are
 * rows. b is 2-D: [K, N], or [N, K] when transposed (PyTorch's dense
 * weight layout [out, in]). */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

static int trans_b(const ax_node *n) { return ax_attr_int(n, 0) != 0; }

static ax_status infer(ax_node *n)
{
    const ax_shape *a = &n->in[0]->shape, *b = &n->in[1]->shape;
    char sa[96], sb[96];
    if (a->ndim < 1 || b->ndim != 2)
        return ax_fail(AX_ERR_SHAPE, "needs a of rank >= 1 and a 2-D b, got %s and %s",
                       ax_shape_str(a, sa, sizeof sa), ax_shape_str(b, sb, sizeof sb));
    int64_t k = a->dim[a->ndim - 1];
    int64_t bk = trans_b(n) ? b->dim[1] : b->dim[0];
    int64_t bn = trans_b(n) ? b->dim[0] : b->dim[1];
    if (k != bk)
        return ax_fail(AX_ERR_SHAPE, "inner dimensions differ: a %s, b%s %s (%lld vs %lld)",
                       ax_shape_str(a, sa, sizeof sa), trans_b(n) ? "^T" : "",
                       ax_shape_str(b, sb, sizeof sb), (long long)k, (long long)bk);
    n->shape = *a;
    n->shape.dim[a->ndim - 1] = bn;
    return AX_OK;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_node *a = n->in[0], *b = n->in[1];
    int64_t k = a->shape.dim[a->shape.ndim - 1];
    int64_t m = ax_numel(a) / k;
    int64_t cols = n->shape.dim[n->shape.ndim - 1];
    ax_k_gemm(0, trans_b(n), m, cols, k, 1.0f, a->data, k, b->data, b->shape.dim[1], 0.0f,
              n->data, cols);
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *a = n->in[0], *b = n->in[1];
    int64_t k = a->shape.dim[a->shape.ndim - 1];
    int64_t m = ax_numel(a) / k;
    int64_t cols = n->shape.dim[n->shape.ndim - 1];
    int64_t ldb = b->shape.dim[1];
    if (a->needs_grad) { /* da (+)= dy @ op(b)^T : [m, cols] x [cols, k] */
        float beta = ax_grad_accumulate(a) ? 1.0f : 0.0f;
        ax_k_gemm(0, !trans_b(n), m, k, cols, 1.0f, n->grad, cols, b->data, ldb, beta, a->grad, k);
    }
    if (b->needs_grad) {
        float beta = ax_grad_accumulate(b) ? 1.0f : 0.0f;
        if (trans_b(n)) /* db [cols, k] (+)= dy^T @ a */
            ax_k_gemm(1, 0, cols, k, m, 1.0f, n->grad, cols, a->data, k, beta, b->grad, ldb);
        else /* db [k, cols] (+)= a^T @ dy */
            ax_k_gemm(1, 0, k, cols, m, 1.0f, a->data, k, n->grad, cols, beta, b->grad, ldb);
    }
}

static const ax_attr_schema attrs[] = {{"transpose_b", AX_ATTR_BOOL, 0, 0, 1, "use b^T (b [N, K], a dense weight)"}};
const ax_op_def ax_op_matmul = {
    .schema = {.name = "matmul", .doc = "a @ b over a's last axis; b is 2-D", .inputs = "a b", .min_inputs = 2,
               .max_inputs = 2, AX_ATTRS(attrs)},
    .infer = infer, .forward = forward, .backward = backward};
