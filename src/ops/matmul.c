/* matmul: y = a @ b, or a @ b^T with the attribute transpose_b = 1.
 * a has any rank; its last dimension K is contracted and the others are
 * rows. b is 2-D: [K, N], or [N, K] when transposed (PyTorch's dense
 * weight layout [out, in]).
 *
 * The three products (y, da, db) run on ax_k_gemm in float32, or with the
 * hint bf16 on oneDNN's matmul primitive with a and b (and dy) rounded to
 * bfloat16, float32 sums and results (mixed precision, as the
 * convolutions). Where oneDNN has no bf16 kernel (a CPU without
 * AVX512-BF16 or AMX) they stay on ax_k_gemm: the float32 bits. */
#include "ops/op.h"
#include "backends/cpu/dnnl_matmul.h"
#include "backends/cpu/kernels.h"

#include <stdio.h>
#include <stdlib.h>

static int trans_b(const ax_node *n) { return ax_attr_int(n, 0) != 0; }

enum { BF16 }; /* the hints */
enum { Y, DA, DB };  /* the products */

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

/* ---- bf16 on oneDNN: the primitives of the three products for each
 * number of rows met (the compiled batch and a short last one) ---- */
typedef struct bf16_set {
    int64_t m;
    ax_dnnl_matmul *p[3];
} bf16_set;

typedef struct bf16_state {
    bf16_set by_rows[2];
    int off; /* oneDNN has no bf16 kernel for it: float32 on ax_k_gemm */
} bf16_state;

static void bf16_state_free(void *p)
{
    bf16_state *st = p;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            ax_dnnl_matmul_free(st->by_rows[i].p[j]);
    ax_free(st);
}

static void bf16_set_clear(bf16_set *set)
{
    for (int j = 0; j < 3; j++) {
        ax_dnnl_matmul_free(set->p[j]);
        set->p[j] = NULL;
    }
}

/* The set made for m rows, or NULL */
static bf16_set *bf16_find(bf16_state *st, int64_t m)
{
    for (int i = 0; st && !st->off && i < 2; i++)
        if (st->by_rows[i].p[Y] && st->by_rows[i].m == m)
            return &st->by_rows[i];
    return NULL;
}

static ax_status bf16_set_new(const ax_node *n, int64_t m, int64_t k, int64_t cols, bf16_set *set)
{
    const ax_node *a = n->in[0], *b = n->in[1];
    const int tb = trans_b(n), threads = n->threads > 0 ? n->threads : 1;
    const int64_t ldb = b->shape.dim[1];
    /* y [m, cols] = a @ op(b); da [m, k] = dy @ op(b)^T; db = dy^T @ a, or a^T @ dy when b is [k, cols] */
    const ax_dnnl_matmul_shape shapes[3] = {
        {0, tb, m, cols, k, k, ldb, cols, threads},
        {0, !tb, m, k, cols, cols, ldb, k, threads},
        tb ? (ax_dnnl_matmul_shape){1, 0, cols, k, m, cols, k, ldb, threads}
           : (ax_dnnl_matmul_shape){1, 0, k, cols, m, k, cols, ldb, threads}};
    const int wanted[3] = {1, a->needs_grad, b->needs_grad};
    set->m = m;
    for (int i = 0; i < 3; i++) {
        ax_status s = wanted[i] ? ax_dnnl_matmul_new(&shapes[i], &set->p[i]) : AX_OK;
        if (s != AX_OK)
            return s;
    }
    return AX_OK;
}

/* The primitives for m rows; NULL: float32 on ax_k_gemm. */
static bf16_set *bf16_for(ax_node *n, int64_t m, int64_t k, int64_t cols, ax_status *err)
{
    *err = AX_OK;
    if (!n->hint[BF16])
        return NULL;
    bf16_state *st = n->state;
    if (!st) {
        if (!(st = ax_calloc(1, sizeof *st))) {
            *err = ax_fail(AX_ERR_NOMEM, "matmul: out of memory");
            return NULL;
        }
        n->state = st;
        n->free_state = bf16_state_free;
    }
    if (st->off)
        return NULL;
    bf16_set *set = bf16_find(st, m);
    if (set)
        return set;
    set = &st->by_rows[st->by_rows[0].p[Y] ? 1 : 0];
    bf16_set_clear(set);
    ax_status s = bf16_set_new(n, m, k, cols, set);
    if (s != AX_OK) {
        bf16_set_clear(set);
        if (s == AX_ERR_NOMEM)
            *err = s;
        else
            st->off = 1;
        return NULL;
    }
    return set;
}

const char *ax_matmul_bf16_impl(const ax_node *n)
{
    const bf16_state *st = n->state;
    return st && !st->off && st->by_rows[0].p[Y] ? ax_dnnl_matmul_impl(st->by_rows[0].p[Y]) : "";
}

static ax_status forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    const ax_node *a = n->in[0], *b = n->in[1];
    int64_t k = a->shape.dim[a->shape.ndim - 1];
    int64_t m = ax_numel(a) / k;
    int64_t cols = n->shape.dim[n->shape.ndim - 1];
    ax_status err;
    bf16_set *bf = bf16_for(n, m, k, cols, &err);
    if (err != AX_OK)
        return err;
    if (bf)
        return ax_dnnl_matmul_run(bf->p[Y], a->data, b->data, n->data, 0);
    ax_k_gemm(0, trans_b(n), m, cols, k, 1.0f, a->data, k, b->data, b->shape.dim[1], 0.0f,
              n->data, cols);
    return AX_OK;
}

/* Made and checked for this shape by the forward pass, on the graph's
 * buffers: oneDNN failing here is a bug in axon (a backward pass has no
 * error to return), not bad input. */
static void bf16_run(ax_dnnl_matmul *p, const float *a, const float *b, float *c, int add)
{
    if (ax_dnnl_matmul_run(p, a, b, c, add) != AX_OK) {
        fprintf(stderr, "axon: matmul backward through oneDNN failed: %s\n", ax_last_error());
        abort();
    }
}

static void backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_node *a = n->in[0], *b = n->in[1];
    int64_t k = a->shape.dim[a->shape.ndim - 1];
    int64_t m = ax_numel(a) / k;
    int64_t cols = n->shape.dim[n->shape.ndim - 1];
    int64_t ldb = b->shape.dim[1];
    const bf16_set *bf = n->hint[BF16] ? bf16_find(n->state, m) : NULL;
    /* a product the forward pass did not make (none is, within one
     * compile) runs in float32 */
    if (a->needs_grad) { /* da (+)= dy @ op(b)^T : [m, cols] x [cols, k] */
        if (bf && bf->p[DA])
            bf16_run(bf->p[DA], n->grad, b->data, a->grad, ax_grad_accumulate(a));
        else
            ax_k_gemm(0, !trans_b(n), m, k, cols, 1.0f, n->grad, cols, b->data, ldb,
                      ax_grad_accumulate(a) ? 1.0f : 0.0f, a->grad, k);
    }
    if (b->needs_grad) {
        const float beta = ax_grad_accumulate(b) ? 1.0f : 0.0f;
        if (bf && bf->p[DB])
            bf16_run(bf->p[DB], trans_b(n) ? n->grad : a->data, trans_b(n) ? a->data : n->grad, b->grad, beta != 0);
        else if (trans_b(n)) /* db [cols, k] (+)= dy^T @ a */
            ax_k_gemm(1, 0, cols, k, m, 1.0f, n->grad, cols, a->data, k, beta, b->grad, ldb);
        else /* db [k, cols] (+)= a^T @ dy */
            ax_k_gemm(1, 0, k, cols, m, 1.0f, a->data, k, n->grad, cols, beta, b->grad, ldb);
    }
}

static const ax_attr_schema attrs[] = {{"transpose_b", AX_ATTR_BOOL, 0, 0, 1, "use b^T (b [N, K], a dense weight)"}};
static const ax_attr_schema hints[] = {
    {"bf16", AX_ATTR_BOOL, 0, 0, 1, "on oneDNN: read a, b and dy as bfloat16 (float32 sums and results)"}};
const ax_op_def ax_op_matmul = {
    .schema = {.name = "matmul", .doc = "a @ b over a's last axis; b is 2-D", .inputs = "a b", .min_inputs = 2,
               .max_inputs = 2, AX_ATTRS(attrs), .hints = hints, .n_hints = AX_LEN(hints)},
    .infer = infer, .forward = forward, .backward = backward};
