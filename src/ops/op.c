/* Helpers shared by op implementations. */
#include "ops/op.h"

ax_status ax_infer_same(ax_node *n)
{
    n->shape = n->in[0]->shape;
    return AX_OK;
}
