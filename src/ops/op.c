/* Helpers shared by op implementations. */
#include "ops/op.h"

#include <string.h>

void ax_grad_prepare(ax_node *in)
{
    if (!ax_grad_accumulate(in))
        memset(in->grad, 0, (size_t)ax_numel(in) * sizeof(float));
}

ax_status ax_infer_same(ax_node *n)
{
    n->shape = n->in[0]->shape;
    return AX_OK;
}
