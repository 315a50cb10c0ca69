/* reshape and flatten: the same data under a new per-sample shape; the
 * batch dimension (axis 0) is kept. reshape's list attribute `shape` holds
 * the new per-sample dimensions, one of which may be -1 (inferred). flatten makes
 * every sample 1-D. */
#include "ops/op.h"
#include "backends/cpu/kernels.h"

#include <string.h>

static ax_status reshape_infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    int64_t per_sample = ax_shape_numel(x) / x->dim[0];
    int nd = n->list_n;
    if (nd < 1 || nd + 1 > AX_MAX_DIMS)
        return ax_fail(AX_ERR_SHAPE, "needs 1..%d per-sample dimensions, got %d", AX_MAX_DIMS - 1, nd);
    int64_t known = 1;
    int unknown = -1;
    for (int i = 0; i < nd; i++) {
        int64_t d = n->list[i];
        if (d == -1) {
            if (unknown >= 0)
                return ax_fail(AX_ERR_SHAPE, "more than one -1 in the new shape");
            unknown = i;
        } else if (d <= 0)
            return ax_fail(AX_ERR_SHAPE, "dimension %d is %lld, must be positive or -1", i,
                           (long long)d);
        else if (!ax_mul_checked(known, d, &known) || known > per_sample)
            return ax_fail(AX_ERR_SHAPE, "new shape holds more than the %lld elements per sample the input has",
                           (long long)per_sample);
    }
    ax_shape s = {nd + 1, {x->dim[0]}};
    for (int i = 0; i < nd; i++)
        s.dim[i + 1] = n->list[i];
    if (unknown >= 0) {
        if (per_sample % known)
            return ax_fail(AX_ERR_SHAPE, "%lld elements per sample do not divide by %lld",
                           (long long)per_sample, (long long)known);
        s.dim[unknown + 1] = per_sample / known;
        known *= s.dim[unknown + 1];
    }
    if (known != per_sample)
        return ax_fail(AX_ERR_SHAPE, "new shape holds %lld elements per sample, input has %lld",
                       (long long)known, (long long)per_sample);
    n->shape = s;
    return AX_OK;
}

static ax_status flatten_infer(ax_node *n)
{
    const ax_shape *x = &n->in[0]->shape;
    ax_shape s = {2, {x->dim[0], ax_shape_numel(x) / x->dim[0]}};
    n->shape = s;
    return AX_OK;
}

static ax_status copy_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    memcpy(n->data, n->in[0]->data, (size_t)ax_numel(n) * sizeof(float));
    return AX_OK;
}

static void copy_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    if (ax_grad_accumulate(n->in[0]))
        ax_k_acc(ax_numel(n), n->grad, n->in[0]->grad);
    else
        memcpy(n->in[0]->grad, n->grad, (size_t)ax_numel(n) * sizeof(float));
}

static const ax_attr_schema reshape_attrs[] = {
    {"shape", AX_ATTR_INTS, 0, -1, AX_BIG, "the per-sample dimensions; one may be -1 (inferred)"}};
const ax_op_def ax_op_reshape = {
    .schema = {.name = "reshape", .doc = "the same values under a new per-sample shape", .inputs = "x",
               .min_inputs = 1, .max_inputs = 1, AX_ATTRS(reshape_attrs)},
    .infer = reshape_infer, .forward = copy_forward, .backward = copy_backward};
const ax_op_def ax_op_flatten = {
    .schema = {.name = "flatten", .doc = "[N, ...] -> [N, rest]", .inputs = "x", .min_inputs = 1,
               .max_inputs = 1},
    .infer = flatten_infer, .forward = copy_forward, .backward = copy_backward};
