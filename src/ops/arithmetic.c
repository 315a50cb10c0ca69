/* Element-wise arithmetic on two tensors of the same shape: add, mul. */
#include "ops/op.h"
#include "kernels/cpu/kernels.h"

#include <string.h>

static ax_status infer_same(ax_node *n)
{
    n->shape = n->in[0]->shape;
    return ax_check_same_shapes(n, "operand", "operand");
}

static ax_status add_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_k_add(ax_numel(n), n->in[0]->data, n->in[1]->data, n->data);
    return AX_OK;
}

static void add_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    for (int i = 0; i < 2; i++)
        if (n->in[i]->needs_grad) {
            if (ax_grad_accumulate(n->in[i]))
                ax_k_acc(ax_numel(n), n->grad, n->in[i]->grad);
            else
                memcpy(n->in[i]->grad, n->grad, (size_t)ax_numel(n) * sizeof(float));
        }
}

static ax_status mul_forward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    ax_k_mul(ax_numel(n), n->in[0]->data, n->in[1]->data, n->data);
    return AX_OK;
}

static void mul_backward(ax_node *n, const ax_run_ctx *ctx)
{
    (void)ctx;
    /* d(a*b)/da = b, d(a*b)/db = a */
    for (int i = 0; i < 2; i++)
        if (n->in[i]->needs_grad) {
            if (ax_grad_accumulate(n->in[i]))
                ax_k_acc_mul(ax_numel(n), n->grad, n->in[1 - i]->data, n->in[i]->grad);
            else
                ax_k_mul(ax_numel(n), n->grad, n->in[1 - i]->data, n->in[i]->grad);
        }
}

const ax_op_def ax_op_add = {
    .schema = {.name = "add", .doc = "a + b, element by element (same shapes)", .inputs = "a b",
               .min_inputs = 2, .max_inputs = 2},
    .infer = infer_same, .forward = add_forward, .backward = add_backward};
const ax_op_def ax_op_mul = {
    .schema = {.name = "mul", .doc = "a * b, element by element (same shapes)", .inputs = "a b",
               .min_inputs = 2, .max_inputs = 2},
    .infer = infer_same, .forward = mul_forward, .backward = mul_backward};
