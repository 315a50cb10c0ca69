/* batch_matmul: a batch of matrix products, PyTorch's bmm/matmul on
 * tensors of rank >= 3: a [B..., M, K] @ b [B..., K, P] -> [B..., M, P]
 * with the same leading axes B... (or b 2-D: one matrix for every item),
 * op(a) = a^T with transpose_a (a [B..., K, M]) and op(b) = b^T with
 * transpose_b. One GEMM per item:
 *   dA = dY op(B)^T (transposed back when transpose_a),
 *   dB = op(A)^T dY (summed over the items when b is shared). */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

enum { TA, TB };

typedef struct mm {
    int64_t items, m, k, p;
    int shared_b;
} mm;

static ax_status shape_of(const ax_node *n, mm *d)
{
    const ax_shape *a = &n->in[0]->shape, *b = &n->in[1]->shape;
    char sa[96], sb[96];
    const int ta = ax_attr_int(n, TA) != 0, tb = ax_attr_int(n, TB) != 0;
    if (a->ndim < 3 || (b->ndim != a->ndim && b->ndim != 2))
        return ax_fail(AX_ERR_SHAPE, "needs a of rank >= 3 and b of a's rank (or 2-D); got %s and %s",
                       ax_shape_str(a, sa, sizeof sa), ax_shape_str(b, sb, sizeof sb));
    d->shared_b = b->ndim == 2;
    d->items = 1;
    for (int i = 0; i < a->ndim - 2; i++) {
        if (!d->shared_b && a->dim[i] != b->dim[i])
            return ax_fail(AX_ERR_SHAPE, "leading axes differ: a %s, b %s", ax_shape_str(a, sa, sizeof sa),
                           ax_shape_str(b, sb, sizeof sb));
        d->items *= a->dim[i];
    }
    const int64_t a0 = a->dim[a->ndim - 2], a1 = a->dim[a->ndim - 1], b0 = b->dim[b->ndim - 2],
                  b1 = b->dim[b->ndim - 1];
    d->m = ta ? a1 : a0;
    d->k = ta ? a0 : a1;
    d->p = tb ? b0 : b1;
    if ((tb ? b1 : b0) != d->k)
        return ax_fail(AX_ERR_SHAPE, "inner dimensions differ: op(a) is %lldx%lld, op(b) %lldx%lld", (long long)d->m,
                       (long long)d->k, (long long)(tb ? b1 : b0), (long long)d->p);
    return AX_OK;
}

static ax_status infer(ax_node *n)
{
    mm d;
    ax_status s = shape_of(n, &d);
    if (s != AX_OK)
        return s;
    n->shape = n->in[0]->shape;
    n->shape.dim[n->shape.ndim - 2] = d.m;
    n->shape.dim[n->shape.ndim - 1] = d.p;
    return AX_OK;
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    mm d;
    shape_of(n, &d);
    const int ta = ax_attr_int(n, TA) != 0, tb = ax_attr_int(n, TB) != 0;
    for (int64_t i = 0; i < d.items; i++) {
        const float *a = n->in[0]->data + i * d.m * d.k, *b = n->in[1]->data + (d.shared_b ? 0 : i * d.k * d.p);
        ax_k_gemm(ta, tb, d.m, d.p, d.k, 1.0f, a, ta ? d.m : d.k, b, tb ? d.k : d.p, 0.0f,
                  n->data + i * d.m * d.p, d.p);
    }
    return AX_OK;
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    mm d;
    shape_of(n, &d);
    const int ta = ax_attr_int(n, TA) != 0, tb = ax_attr_int(n, TB) != 0;
    ax_node *an = n->in[0], *bn = n->in[1];
    const float beta_a = an->needs_grad && ax_grad_accumulate(an) ? 1.0f : 0.0f;
    float beta_b = bn->needs_grad && ax_grad_accumulate(bn) ? 1.0f : 0.0f;
    for (int64_t i = 0; i < d.items; i++) {
        const float *a = an->data + i * d.m * d.k, *b = bn->data + (d.shared_b ? 0 : i * d.k * d.p);
        const float *dy = n->grad + i * d.m * d.p;
        if (an->needs_grad) { /* dA = dY op(B)^T, or its transpose [K, M] */
            float *da = an->grad + i * d.m * d.k;
            if (!ta)
                ax_k_gemm(0, !tb, d.m, d.k, d.p, 1.0f, dy, d.p, b, tb ? d.k : d.p, beta_a, da, d.k);
            else
                ax_k_gemm(tb, 1, d.k, d.m, d.p, 1.0f, b, tb ? d.k : d.p, dy, d.p, beta_a, da, d.m);
        }
        if (bn->needs_grad) { /* dB = op(A)^T dY, or its transpose [P, K] */
            float *db = bn->grad + (d.shared_b ? 0 : i * d.k * d.p);
            if (!tb)
                ax_k_gemm(!ta, 0, d.k, d.p, d.m, 1.0f, a, ta ? d.m : d.k, dy, d.p, beta_b, db, d.p);
            else
                ax_k_gemm(1, ta, d.p, d.k, d.m, 1.0f, dy, d.p, a, ta ? d.m : d.k, beta_b, db, d.k);
            if (d.shared_b)
                beta_b = 1.0f; /* the items add up */
        }
    }
}

static const ax_attr_schema attrs[] = {{"transpose_a", AX_ATTR_BOOL, 0, 0, 1, "use each a^T (a [..., K, M])"},
                                       {"transpose_b", AX_ATTR_BOOL, 0, 0, 1, "use each b^T (b [..., P, K])"}};
const ax_op_def ax_op_batch_matmul = {
    .schema = {.name = "batch_matmul", .doc = "a [B..., M, K] @ b [B..., K, P] item by item (b may be one 2-D matrix)",
               .inputs = "a b", .min_inputs = 2, .max_inputs = 2, AX_ATTRS(attrs)},
    .infer = infer, .forward = forward, .backward = backward};
