/* The op interface (internal). An op is a unit in one file under
 * src/ops/: its schema (name, inputs, named attributes with types,
 * defaults and ranges, a one-line doc: axon/graph.h's ax_op_schema),
 * shape inference, scratch space, forward and backward; registered by
 * name in registry.c. Attributes reach the op as n->attr[i], in the
 * order of its schema, every one set (to its default when not given). */
#ifndef AXON_OPS_OP_H
#define AXON_OPS_OP_H

#include "axon/graph.h"

/* inputs of one op (concat takes any number up to this) */
#define AX_MAX_INPUTS 4096
#define AX_MAX_ATTRS 16
#define AX_MAX_HINTS 4

typedef enum ax_node_kind { AX_NODE_INPUT, AX_NODE_PARAM, AX_NODE_OP } ax_node_kind;

/* What an op's forward pass may need beyond its node. */
typedef struct ax_run_ctx {
    int training;
    ax_rng *rng;      /* for stochastic ops, seeded by the graph */
    int64_t row_base; /* the batch's first row in the whole batch (ax_graph_set_row_base) */
} ax_run_ctx;

/* A stochastic op's draws in a training pass: one key per op from the
 * graph's stream, then row r's values from a stream of (key, row_base + r).
 * A row's values so depend on where the row sits in the whole batch, not
 * on how the batch was split into shards or on the rows beside it. */
uint64_t ax_pass_key(const ax_run_ctx *ctx);
ax_rng ax_row_rng(const ax_run_ctx *ctx, uint64_t key, int64_t row);

typedef struct ax_op_def ax_op_def;

struct ax_node {
    const ax_op_def *op; /* NULL for inputs and parameters */
    const struct ax_backend *backend; /* the graph's: where data and grad live */
    ax_node_kind kind;
    int id;
    char name[64];
    int n_in;
    ax_node **in;       /* n_in of them, owned by the node */
    double attr[AX_MAX_ATTRS];  /* by the op's schema order; defaults filled in */
    int64_t list[AX_MAX_DIMS];  /* the op's list attribute (at most one), list_n values */
    int list_n;
    int64_t hint[AX_MAX_HINTS]; /* backend hints by the schema's hint order; 0: the backend chooses */
    ax_shape shape;     /* current shape (batch as set) */
    int64_t max_numel;  /* numel at the compiled (largest) batch */
    float *data;
    float *grad;        /* NULL unless needs_grad */
    float *scratch;     /* op-private, sized by op->scratch at max batch */
    int needs_grad;     /* a gradient flows into this node */
    int requires_grad;  /* inputs: asked for by the user */
    int seq;            /* inputs: dimension 1 is the graph's sequence length */
    int frozen;         /* params: excluded from updates */
    int buffer;         /* params: state, never learned (always frozen) */
    int64_t span_offset; /* params, after compile: where data (and grad) sit in the graph's spans */
    int threads;        /* the most threads the op may use (its scratch is planned for these) */
    int grad_written;   /* backward: grad holds a contribution already (else it is garbage) */
    /* ops: state a kernel keeps between passes (a library's primitives),
     * made on first use; freed with the graph by free_state */
    void *state;
    void (*free_state)(void *state);
    /* ops, after a training compile: the node, this op's only consumer,
     * whose forward and backward passes this op's kernels run within their
     * own (a 2x2 max pooling after a convolution, ops/pool.h); its own
     * kernels then do nothing. NULL for most. */
    struct ax_node *epilogue;
    /* ops, after compile: the kernels of the graph's backend */
    ax_status (*run_forward)(ax_node *n, const ax_run_ctx *ctx);
    void (*run_backward)(ax_node *n, const ax_run_ctx *ctx);
};

struct ax_op_def {
    ax_op_schema schema;
    /* Set n->shape from the inputs' shapes and n->attrs; validate. */
    ax_status (*infer)(ax_node *n);
    /* Floats of scratch the op needs for the node's current shape, with
     * n->threads threads. */
    size_t (*scratch)(const ax_node *n);
    /* Compute n->data. May fail on bad data (a label out of range). */
    ax_status (*forward)(ax_node *n, const ax_run_ctx *ctx);
    /* Accumulate (+=) into in[i]->grad for each input with needs_grad,
     * from n->grad. Forward has run on the same batch. */
    void (*backward)(ax_node *n, const ax_run_ctx *ctx);
    /* Optional: whether this op's kernels can also compute `consumer`, its
     * only consumer, in the same passes (ax_node.epilogue). */
    int (*absorbs)(const ax_node *n, const ax_node *consumer);
};

const ax_op_def *ax_op_find(const char *name);
/* Every registered op, in registry order; *n is the count. */
const ax_op_def *const *ax_op_all(int *n);

/* Row-wise softmax of x (rows x c) into y; shared by softmax and the fused
 * softmax cross-entropy. */
void ax_softmax_rows(int64_t rows, int64_t c, const float *x, float *y);

/* Helpers for op implementations. */
static inline int64_t ax_numel(const ax_node *n) { return ax_shape_numel(&n->shape); }
/* Attribute i of the op's schema (validated against its type and range). */
static inline float ax_attr_float(const ax_node *n, int i) { return (float)n->attr[i]; }
static inline int64_t ax_attr_int(const ax_node *n, int i) { return (int64_t)n->attr[i]; }
/* A static array's length, and a schema's attribute array and its count
 * as designated initializers. */
#define AX_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define AX_ATTRS(a) .attrs = (a), .n_attrs = AX_LEN(a)
/* Ranges for sizes and for unbounded values. */
#define AX_SIZE_MAX 16777216.0
#define AX_BIG 1e30
#define AX_NUMEL_BOUND 1099511627776.0 /* 2^40, AX_MAX_NUMEL */
/* Gradients are not zeroed before a backward pass. An op's backward calls
 * one of these for each input, once, before writing that input's gradient:
 *  - ax_grad_accumulate returns 1 when the gradient already holds another
 *    op's contribution (add to it) and 0 when this op is the first (assign
 *    it, every element);
 *  - ax_grad_prepare zeroes it when this op is the first, for ops that only
 *    know how to add.
 * The zeroing happens just before the writes, in cache, or not at all. */
static inline int ax_grad_accumulate(ax_node *in)
{
    int had = in->grad_written;
    in->grad_written = 1;
    return had;
}
void ax_grad_prepare(ax_node *in);

/* Output shape = input 0's shape. */
ax_status ax_infer_same(ax_node *n);
/* Inputs 0 and 1 must have the same shape; the message calls them `a` and `b`. */
ax_status ax_check_same_shapes(const ax_node *n, const char *a, const char *b);

#endif
