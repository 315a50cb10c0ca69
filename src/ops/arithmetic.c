/* Element-wise arithmetic with NumPy's broadcasting: add, sub, mul, div.
 * The shapes are aligned at their last axes; each axis must be equal in
 * both or 1 in one of them (or missing), and that one is repeated. The
 * backward pass sums each input's gradient over the axes it was repeated
 * along:
 *   add: da = dy, db = dy         sub: da = dy, db = -dy
 *   mul: da = dy b, db = dy a     div: da = dy / b, db = -dy a / b^2
 * Equal shapes take vectorised loops; broadcasting walks the output with
 * each input's strides (0 along its repeated axes), in order, so the sums
 * are the same bits for any thread count. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <string.h>

typedef enum { ADD, SUB, MUL, DIV } arith;

static ax_status infer(ax_node *n)
{
    const ax_shape *a = &n->in[0]->shape, *b = &n->in[1]->shape;
    const int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    ax_shape s = {nd, {0}};
    for (int d = 0; d < nd; d++) {
        const int da = d - (nd - a->ndim), db = d - (nd - b->ndim);
        const int64_t x = da >= 0 ? a->dim[da] : 1, y = db >= 0 ? b->dim[db] : 1;
        if (x != y && x != 1 && y != 1) {
            char sa[96], sb[96];
            return ax_fail(AX_ERR_SHAPE, "shapes %s and %s do not broadcast (axis %d: %lld against %lld)",
                           ax_shape_str(a, sa, sizeof sa), ax_shape_str(b, sb, sizeof sb), d, (long long)x,
                           (long long)y);
        }
        s.dim[d] = x > y ? x : y;
    }
    n->shape = s;
    return AX_OK;
}

/* The strides of input t over the output's axes: 0 where it is repeated. */
static void strides_of(const ax_node *n, const ax_node *t, int64_t *st)
{
    const int nd = n->shape.ndim, off = nd - t->shape.ndim;
    int64_t step = 1;
    for (int d = nd - 1; d >= 0; d--) {
        const int64_t len = d >= off ? t->shape.dim[d - off] : 1;
        st[d] = len == 1 ? 0 : step;
        step *= len;
    }
}

static inline float apply(arith k, float a, float b)
{
    return k == ADD ? a + b : k == SUB ? a - b : k == MUL ? a * b : a / b;
}

/* Calls fn(i, ia, ib) for every output index i with the inputs' offsets. */
#define FOR_EACH(n, BODY)                                                                          \
    do {                                                                                           \
        int64_t sa_[AX_MAX_DIMS], sb_[AX_MAX_DIMS], idx_[AX_MAX_DIMS] = {0}, ia = 0, ib = 0;       \
        strides_of(n, n->in[0], sa_);                                                              \
        strides_of(n, n->in[1], sb_);                                                              \
        const int nd_ = n->shape.ndim;                                                             \
        const int64_t count_ = ax_numel(n);                                                        \
        for (int64_t i = 0; i < count_; i++) {                                                     \
            BODY;                                                                                  \
            for (int d = nd_ - 1; d >= 0; d--) { /* the next index, as an odometer */              \
                ia += sa_[d], ib += sb_[d];                                                        \
                if (++idx_[d] < n->shape.dim[d])                                                   \
                    break;                                                                         \
                ia -= sa_[d] * idx_[d], ib -= sb_[d] * idx_[d];                                    \
                idx_[d] = 0;                                                                       \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static int same_shapes(const ax_node *n)
{
    return ax_shape_equal(&n->in[0]->shape, &n->shape) && ax_shape_equal(&n->in[1]->shape, &n->shape);
}

static ax_status forward(ax_node *n, arith k)
{
    const float *a = n->in[0]->data, *b = n->in[1]->data;
    float *y = n->data;
    const int64_t count = ax_numel(n);
    if (same_shapes(n)) {
        if (k == ADD)
            ax_k_add(count, a, b, y);
        else if (k == MUL)
            ax_k_mul(count, a, b, y);
        else
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
            for (int64_t i = 0; i < count; i++)
                y[i] = apply(k, a[i], b[i]);
        return AX_OK;
    }
    FOR_EACH(n, y[i] = apply(k, a[ia], b[ib]));
    return AX_OK;
}

/* d(out)/d(input `which`) at one element */
static inline float local(arith k, int which, float a, float b)
{
    switch (k) {
    case ADD: return 1.0f;
    case SUB: return which ? -1.0f : 1.0f;
    case MUL: return which ? a : b;
    default: return which ? -a / (b * b) : 1.0f / b;
    }
}

static void backward(ax_node *n, arith k)
{
    const float *a = n->in[0]->data, *b = n->in[1]->data, *dy = n->grad;
    const int64_t count = ax_numel(n);
    for (int which = 0; which < 2; which++) {
        ax_node *t = n->in[which];
        if (!t->needs_grad)
            continue;
        float *dx = t->grad;
        if (same_shapes(n)) {
            const int add = ax_grad_accumulate(t);
            if (k == ADD || (k == SUB && which == 0)) {
                if (add)
                    ax_k_acc(count, dy, dx);
                else
                    memcpy(dx, dy, (size_t)count * sizeof(float));
            } else if (k == MUL) {
                if (add)
                    ax_k_acc_mul(count, dy, n->in[1 - which]->data, dx);
                else
                    ax_k_mul(count, dy, n->in[1 - which]->data, dx);
            } else
#pragma omp parallel for simd if (parallel : count >= AX_PARALLEL_MIN) schedule(static)
                for (int64_t i = 0; i < count; i++) {
                    const float g = dy[i] * local(k, which, a[i], b[i]);
                    dx[i] = add ? dx[i] + g : g;
                }
            continue;
        }
        ax_grad_prepare(t);
        if (which == 0)
            FOR_EACH(n, dx[ia] += dy[i] * local(k, 0, a[ia], b[ib]));
        else
            FOR_EACH(n, dx[ib] += dy[i] * local(k, 1, a[ia], b[ib]));
    }
}

#define ARITH(OP, K, DOC)                                                                          \
    static ax_status OP##_forward(ax_node *n, const ax_run_ctx *c) { (void)c; return forward(n, K); } \
    static void OP##_backward(ax_node *n, const ax_run_ctx *c) { (void)c; backward(n, K); }       \
    const ax_op_def ax_op_##OP = {                                                                 \
        .schema = {.name = #OP, .doc = DOC, .inputs = "a b", .min_inputs = 2, .max_inputs = 2},    \
        .infer = infer, .forward = OP##_forward, .backward = OP##_backward};

ARITH(add, ADD, "a + b, element by element, broadcasting")
ARITH(sub, SUB, "a - b, element by element, broadcasting")
ARITH(mul, MUL, "a * b, element by element, broadcasting")
ARITH(div, DIV, "a / b, element by element, broadcasting")
