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
    X(identity)                                                                                    \
    X(step)                                                                                        \
    X(sigmoid)                                                                                     \
    X(tanh)                                                                                        \
    X(relu)                                                                                        \
    X(leaky_relu)                                                                                  \
    X(elu)                                                                                         \
    X(selu)                                                                                        \
    X(softplus)                                                                                    \
    X(softsign)                                                                                    \
    X(swish)                                                                                       \
    X(mish)                                                                                        \
    X(sinc)                                                                                        \
    X(log_sigmoid)                                                                                 \
    X(arctan)                                                                                      \
    X(gelu)                                                                                        \
    X(hard_sigmoid)                                                                                \
    X(prelu)                                                                                       \
    X(rrelu)                                                                                       \
    X(softmax)                                                                                     \
    X(log_softmax)                                                                                 \
    X(maxout)                                                                                      \
    X(conv2d)                                                                                      \
    X(max_pool2d)                                                                                  \
    X(avg_pool2d)                                                                                  \
    X(global_avg_pool)                                                                             \
    X(batch_norm)                                                                                  \
    X(dropout)                                                                                     \
    X(concat)                                                                                      \
    X(penalty)                                                                                     \
    X(mse)                                                                                         \
    X(sse)                                                                                         \
    X(mae)                                                                                         \
    X(huber)                                                                                       \
    X(binary_cross_entropy)                                                                        \
    X(binary_cross_entropy_with_logits)                                                            \
    X(softmax_cross_entropy)                                                                       \
    X(categorical_cross_entropy)

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
