/* The op registry: every op, by name, with its schema. The list is made
 * from the op files at build time, so adding an op is adding its file. */
#include "ops/op.h"

#include <string.h>

/* AX_OP_LIST(X): X(name) for every op defined in src/ops/, generated at
 * build time (cmake/op_list.cmake), in file order. */
#include "op_list.h"
#define AX_OPS AX_OP_LIST

#define DECLARE(name) extern const ax_op_def ax_op_##name;
AX_OPS(DECLARE)
#undef DECLARE

#define ENTRY(name) &ax_op_##name,
static const ax_op_def *const registry[] = {AX_OPS(ENTRY)};
#undef ENTRY

#define N_OPS ((int)(sizeof registry / sizeof registry[0]))

const ax_op_def *ax_op_find(const char *name)
{
    for (int i = 0; name && i < N_OPS; i++)
        if (strcmp(registry[i]->schema.name, name) == 0)
            return registry[i];
    return NULL;
}

const ax_op_def *const *ax_op_all(int *n)
{
    *n = N_OPS;
    return registry;
}

int ax_op_count(void) { return N_OPS; }
const ax_op_schema *ax_op_at(int i) { return i >= 0 && i < N_OPS ? &registry[i]->schema : NULL; }
const ax_op_schema *ax_op_schema_of(const char *op)
{
    const ax_op_def *d = ax_op_find(op);
    return d ? &d->schema : NULL;
}

const char *ax_attr_type_name(ax_attr_type t)
{
    switch (t) {
    case AX_ATTR_INT: return "int";
    case AX_ATTR_FLOAT: return "float";
    case AX_ATTR_BOOL: return "bool";
    case AX_ATTR_INTS: return "ints";
    }
    return "?";
}
