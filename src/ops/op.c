/* Helpers shared by op implementations. */
#include "ops/op.h"

#include <string.h>

void ax_grad_prepare(ax_node *in)
{
    if (!ax_grad_accumulate(in))
        memset(in->grad, 0, (size_t)ax_numel(in) * sizeof(float));
}

ax_status ax_check_same_shapes(const ax_node *n, const char *a, const char *b)
{
    const ax_shape *sa = &n->in[0]->shape, *sb = &n->in[1]->shape;
    char ba[96], bb[96];
    if (!ax_shape_equal(sa, sb))
        return ax_fail(AX_ERR_SHAPE, "%s %s and %s %s differ in shape", a, ax_shape_str(sa, ba, sizeof ba), b,
                       ax_shape_str(sb, bb, sizeof bb));
    return AX_OK;
}

ax_status ax_infer_same(ax_node *n)
{
    n->shape = n->in[0]->shape;
    return AX_OK;
}
