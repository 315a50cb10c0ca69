/* The op registry: every op, by name. Adding an op adds one line to the
 * list below. */
#include "ops/op.h"

#include <string.h>

#define AX_OPS(X)                                                                                  \
    X(matmul)                                                                                      \
    X(bias_add)                                                                                    \
    X(add)                                                                                         \
    X(mul)                                                                                         \
    X(reshape)                                                                                     \
    X(flatten)                                                                                     \
    X(relu)                                                                                        \
    X(sigmoid)                                                                                     \
    X(tanh)                                                                                        \
    X(softmax)                                                                                     \
    X(softmax_cross_entropy)                                                                       \
    X(mse)

#define DECLARE(name) extern const ax_op_def ax_op_##name;
AX_OPS(DECLARE)
#undef DECLARE

#define ENTRY(name) &ax_op_##name,
static const ax_op_def *const registry[] = {AX_OPS(ENTRY)};
#undef ENTRY

const ax_op_def *ax_op_find(const char *name)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}
