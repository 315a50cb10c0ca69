/* axon graphs: define, compile, run, with reverse-mode autodiff.
 *
 * A graph is built once from inputs, parameters and ops. Nodes are created
 * in topological order (an op's inputs must already exist). Dimension 0 of
 * every input is the batch: the shape given to ax_input is the largest
 * batch the graph will see; ax_graph_set_batch runs it on fewer rows.
 *
 * Builder calls return NULL on error and record the first error in the
 * graph; ax_graph_compile reports it, so a whole model can be written
 * without checking each line.
 *
 * ax_graph_compile infers every shape and plans all activations, gradients
 * and op scratch space into one arena. Forward and backward passes then
 * allocate nothing. */
#ifndef AXON_GRAPH_H
#define AXON_GRAPH_H

#include "axon/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ax_graph ax_graph;
typedef struct ax_node ax_node;

/* ---- op schemas --------------------------------------------------------
 * Every op declares its inputs and its attributes by name, type, default
 * and range in one table; the C builders, the spec parser, model files
 * and `axon ops` all read it (docs/catalog.md lists it). */
typedef enum ax_attr_type {
    AX_ATTR_INT,   /* a whole number */
    AX_ATTR_FLOAT, /* a finite number */
    AX_ATTR_BOOL,  /* 0 or 1 */
    AX_ATTR_INTS   /* a list of whole numbers (a shape), up to AX_MAX_DIMS */
} ax_attr_type;
typedef struct ax_attr_schema {
    const char *name;
    ax_attr_type type;
    double dflt;     /* the value when not given (lists: empty) */
    double min, max; /* the allowed range (of each entry, for lists) */
    const char *doc;
} ax_attr_schema;
/* A parameter a layer of the op creates (ax_op_layer): named
 * "<layer>.<name>", filled with init, a buffer (state, not learned) or a
 * learned parameter. */
typedef struct ax_param_schema {
    const char *name;
    float init;
    int buffer;
} ax_param_schema;
typedef struct ax_op_schema {
    const char *name;
    const char *doc;    /* one line */
    const char *inputs; /* their names, optional ones in brackets: "x w [b]" */
    int min_inputs, max_inputs;
    const ax_attr_schema *attrs;
    int n_attrs;
    /* Backend hints: tuning knobs a backend may read (0 lets it choose);
     * they change speed and memory, never results, and are not saved. */
    const ax_attr_schema *hints;
    int n_hints;
    /* Ops with parameters: inputs 1..n_params, their shapes from the data
     * input's shape and the attributes (schema order). */
    const ax_param_schema *params;
    int n_params;
    ax_status (*param_shape)(const ax_shape *x, const double *attrs, int k, ax_shape *out);
} ax_op_schema;
int ax_op_count(void);
const ax_op_schema *ax_op_at(int i);             /* NULL outside 0..count-1 */
const ax_op_schema *ax_op_schema_of(const char *op); /* NULL for an unknown name */
/* A text type name: "int", "float", "bool", "ints". */
const char *ax_attr_type_name(ax_attr_type t);

/* An attribute given to ax_apply by name: a number (int, float, bool) or
 * a list (ints, with n entries). Attributes not given take their default. */
typedef struct ax_attr {
    const char *name;
    double value;
    const int64_t *list;
    int n;
} ax_attr;
#define AX_ATTR(name, value) ((ax_attr){(name), (double)(value), NULL, 0})

ax_status ax_graph_new(ax_graph **out);
void ax_graph_free(ax_graph *g);

/* The first error met while building, AX_OK if none. */
ax_status ax_graph_status(const ax_graph *g);
/* For layer builders: record s as the graph's error (if it is the first)
 * and return NULL, after setting the message with ax_fail. */
ax_node *ax_graph_error(ax_graph *g, ax_status s);

/* A batched input. shape.dim[0] is the largest batch size. */
ax_node *ax_input(ax_graph *g, const char *name, ax_shape shape);
/* A batched input whose dimension 1 is a sequence (time) axis:
 * shape.dim[1] is the longest sequence the graph will see, and
 * ax_graph_set_seq runs it on shorter ones, as ax_graph_set_batch does
 * for the batch (planned at the maximum: nothing is allocated). All
 * sequence inputs of a graph share the length. */
ax_node *ax_input_seq(ax_graph *g, const char *name, ax_shape shape);
/* A learnable parameter, zero-filled; the graph owns its storage. */
ax_node *ax_param(ax_graph *g, const char *name, ax_shape shape);
/* State that belongs to the model but is not learned by gradient (batch
 * norm's running statistics): listed with the parameters, saved with
 * them, never given a gradient, never touched by an optimizer. */
ax_node *ax_buffer(ax_graph *g, const char *name, ax_shape shape);
int ax_node_is_buffer(const ax_node *n);

/* Apply a registered op by name with named attributes (checked against
 * its schema: an unknown name, a wrong type or a value out of range is an
 * error naming the op and the attribute). name may be NULL. */
ax_node *ax_apply(ax_graph *g, const char *op, ax_node *const *inputs, int n_inputs,
                  const ax_attr *attrs, int n_attrs, const char *name);
/* An op node's schema (NULL for inputs and parameters), the value of its
 * attribute i (schema order) and, for a list attribute, its entries. */
const ax_op_schema *ax_node_schema(const ax_node *n);
double ax_node_attr(const ax_node *n, int i);
int ax_node_attr_list(const ax_node *n, const int64_t **list);
int ax_node_num_inputs(const ax_node *n);
ax_node *ax_node_input(const ax_node *n, int i);
/* Set a backend hint of an op node (its schema's hints) before compile. */
ax_status ax_node_hint(ax_node *n, const char *hint, int64_t value);

/* Typed builders for the registered ops (docs/catalog.md lists them all,
 * with formulas and defaults). */
ax_node *ax_matmul(ax_graph *g, ax_node *a, ax_node *b, int transpose_b);
ax_node *ax_bias_add(ax_graph *g, ax_node *x, ax_node *bias);
ax_node *ax_add(ax_graph *g, ax_node *a, ax_node *b);
ax_node *ax_mul(ax_graph *g, ax_node *a, ax_node *b);
/* New per-sample shape; the batch dimension is kept. One entry may be -1. */
ax_node *ax_reshape(ax_graph *g, ax_node *x, ax_shape sample_shape);
ax_node *ax_flatten(ax_graph *g, ax_node *x);

/* Activations. Any element-wise one by name, with default parameters:
 * identity, step, sigmoid, tanh, relu, leaky_relu, elu, selu, softplus,
 * softsign, swish, mish, sinc, log_sigmoid, arctan, gelu, hard_sigmoid. */
ax_node *ax_unary(ax_graph *g, const char *op, ax_node *x);
ax_node *ax_relu(ax_graph *g, ax_node *x);
ax_node *ax_sigmoid(ax_graph *g, ax_node *x);
ax_node *ax_tanh(ax_graph *g, ax_node *x);
ax_node *ax_leaky_relu(ax_graph *g, ax_node *x, float negative_slope);
ax_node *ax_elu(ax_graph *g, ax_node *x, float alpha);
ax_node *ax_softplus(ax_graph *g, ax_node *x, float beta);
ax_node *ax_swish(ax_graph *g, ax_node *x, float beta);
/* Random slope in [lower, upper] in training, the mean slope in eval. */
ax_node *ax_rrelu(ax_graph *g, ax_node *x, float lower, float upper);
/* x [N, C, ...] with a learned slope per channel, slope [C] or [1]. */
ax_node *ax_prelu(ax_graph *g, ax_node *x, ax_node *slope);
/* Along the last axis; the _axis forms take any axis (negative from the end). */
ax_node *ax_softmax(ax_graph *g, ax_node *x);
ax_node *ax_softmax_axis(ax_graph *g, ax_node *x, int axis);
ax_node *ax_log_softmax(ax_graph *g, ax_node *x, int axis);
/* [N, units * k] -> [N, units]: the max of each group of k. */
ax_node *ax_maxout(ax_graph *g, ax_node *x, int64_t k);

/* Convolution (NCHW; w [O, C/groups, kh, kw], PyTorch's layout). */
typedef enum ax_pad_mode {
    AX_PAD_EXPLICIT = 0, /* pad_h rows top and bottom, pad_w columns left and right */
    AX_PAD_VALID,        /* no padding */
    AX_PAD_SAME          /* out = ceil(in / stride); any odd padding goes bottom/right */
} ax_pad_mode;
typedef struct ax_conv_options {
    int stride_h, stride_w; /* 0 means 1 */
    ax_pad_mode pad_mode;
    int pad_h, pad_w;       /* AX_PAD_EXPLICIT */
    int dil_h, dil_w;       /* 0 means 1 */
    int groups;             /* 0 means 1; C and O must divide by it (C = groups: depthwise) */
    int no_bias;            /* layers: leave out the bias */
    int fused_relu;         /* apply ReLU inside the convolution (ax_conv2d_layer does for "relu") */
} ax_conv_options;
ax_node *ax_conv2d(ax_graph *g, ax_node *x, ax_node *w, const ax_conv_options *options);
/* The same with a bias b [O] (NULL: none), fused into the convolution. */
ax_node *ax_conv2d_bias(ax_graph *g, ax_node *x, ax_node *w, ax_node *b, const ax_conv_options *options);

/* Pooling over [N, C, H, W]. stride 0 means the kernel size. */
ax_node *ax_max_pool2d(ax_graph *g, ax_node *x, int kh, int kw, int stride_h, int stride_w, int pad_h,
                       int pad_w);
ax_node *ax_avg_pool2d(ax_graph *g, ax_node *x, int kh, int kw, int stride_h, int stride_w, int pad_h,
                       int pad_w, int count_include_pad);
/* [N, C, H, W] -> [N, C]: the mean of each map. */
ax_node *ax_global_avg_pool(ax_graph *g, ax_node *x);

/* Inverted dropout with rate p (identity in eval); the spatial form drops
 * whole maps of [N, C, ...]. Seeded by ax_graph_seed; each sample's mask
 * from its own stream (ax_graph_set_row_base). */
ax_node *ax_dropout(ax_graph *g, ax_node *x, float p);
ax_node *ax_spatial_dropout(ax_graph *g, ax_node *x, float p);

/* Join tensors along axis 1 (channels or features), or any sample axis
 * (negative: from the end). */
ax_node *ax_concat(ax_graph *g, ax_node *const *inputs, int n);
ax_node *ax_concat_axis(ax_graph *g, ax_node *const *inputs, int n, int axis);

/* ---- shapes beyond the batch ------------------------------------------ */
/* Element-wise with NumPy broadcasting (ax_add and ax_mul broadcast too). */
ax_node *ax_sub(ax_graph *g, ax_node *a, ax_node *b);
ax_node *ax_div(ax_graph *g, ax_node *a, ax_node *b);
/* x[:, start:end:step] along a sample axis (Python's rules for negative
 * and out-of-range bounds). */
ax_node *ax_slice(ax_graph *g, ax_node *x, int axis, int64_t start, int64_t end, int64_t step);
/* n pieces of x along a sample axis, of the given sizes: out[i] receives
 * piece i. Returns the number made (n), 0 on error. */
int ax_split(ax_graph *g, ax_node *x, int axis, const int64_t *sizes, int n, ax_node **out);
/* n tensors of one shape stacked along a new axis (>= 1). */
ax_node *ax_stack(ax_graph *g, ax_node *const *inputs, int n, int axis);
/* Axes reordered: output axis d is input axis perm[d], perm[0] = 0. */
ax_node *ax_transpose(ax_graph *g, ax_node *x, const int64_t *perm, int ndim);
/* weight [V, D] rows picked by indices [N, ...] -> [N, ..., D]. */
ax_node *ax_embedding(ax_graph *g, ax_node *indices, ax_node *weight);
/* a [B..., M, K] @ b [B..., K, P] item by item (b may be one 2-D matrix). */
ax_node *ax_batch_matmul(ax_graph *g, ax_node *a, ax_node *b, int transpose_a, int transpose_b);

/* Losses, by name: mse, sse, mae, huber, binary_cross_entropy,
 * binary_cross_entropy_with_logits, softmax_cross_entropy (logits),
 * categorical_cross_entropy (probabilities). For the last two the target
 * is [N] class indices or [N, C] probabilities. */
typedef enum ax_reduction { AX_REDUCE_MEAN = 0, AX_REDUCE_SUM = 1 } ax_reduction;
typedef struct ax_loss_options {
    ax_reduction reduction;  /* mean (default) or sum; sse always sums half squares */
    float label_smoothing;   /* cross-entropies: eps in [0, 1) */
    float huber_delta;       /* huber: 0 means 1 */
    ax_node *class_weights;  /* cross-entropies: [C] or NULL */
} ax_loss_options;
ax_node *ax_loss(ax_graph *g, const char *name, ax_node *pred, ax_node *target,
                 const ax_loss_options *options);
/* Mean over the batch of -log softmax(logits)[label]. */
ax_node *ax_softmax_cross_entropy(ax_graph *g, ax_node *logits, ax_node *labels);
/* Mean over all elements of (pred - target)^2. */
ax_node *ax_mse(ax_graph *g, ax_node *pred, ax_node *target);

/* Seed the graph's random stream (dropout, rrelu). */
void ax_graph_seed(ax_graph *g, uint64_t seed);
/* The stream's state, to save and restore (checkpoints). */
ax_rng ax_graph_rng(const ax_graph *g);
void ax_graph_set_rng(ax_graph *g, ax_rng rng);
/* Where the batch's first row sits in a larger batch that was split into
 * shards (data-parallel training; 0 by default). A stochastic op draws one
 * key per pass from the graph's stream and row r's values from a stream of
 * (key, first_row + r), so the shards of a batch, run from the same stream
 * state, draw exactly what the whole batch draws. */
void ax_graph_set_row_base(ax_graph *g, int64_t first_row);
int64_t ax_graph_row_base(const ax_graph *g);
/* Called by ax_graph_backward after each op node's backward step (ids
 * from the output down; skipped ops too): once it has been called for
 * every op that reads a parameter, that parameter's gradient is final.
 * Data-parallel training sends gradients while backward goes on. NULL
 * turns it off. */
typedef void (*ax_backward_hook)(void *user, int node_id);
void ax_graph_set_backward_hook(ax_graph *g, ax_backward_hook hook, void *user);

ax_status ax_graph_compile(ax_graph *g);
/* Mixed precision (from the next pass on): the ops that can compute with
 * bfloat16 inputs (convolutions on oneDNN's kernels and the matmul op of
 * dense layers: inputs, weights and output gradients rounded to bf16,
 * sums, outputs and gradients in float32, the weights kept in float32)
 * do; on 1, off 0. Ops oneDNN has no bf16 kernel for on this CPU stay in
 * float32. An op already so keeps its kernels; the others
 * make theirs again at the next pass. Returns how many ops have the hint,
 * or -1. */
int ax_graph_set_bf16(ax_graph *g, int on);
/* Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX, as
 * oneDNN finds them), which bf16 convolutions and matmuls compute on; 0: they run in
 * float32 (axon train --precision bf16 says so). */
int ax_cpu_has_bf16(void);
/* Compile for inference alone: no gradients, and activation buffers
 * share the arena by liveness (a buffer is reused once the last op that
 * reads it has run), so the arena is a fraction of a training graph's.
 * After a forward pass only the inputs, the nodes in keep and the nodes
 * no op reads hold their values. The graph stays in eval mode and has no
 * backward pass; ax_graph_compile makes it a training graph again. */
ax_status ax_graph_compile_inference(ax_graph *g, ax_node *const *keep, int n_keep);
int ax_graph_inference_only(const ax_graph *g);
/* Run the compiled graph on the first n rows of its inputs (n <= max). */
ax_status ax_graph_set_batch(ax_graph *g, int64_t n);
int64_t ax_graph_batch(const ax_graph *g);
/* The sequence length of the sequence inputs (1..max; after compile). An
 * op that cannot take a length is an error, and the graph keeps its last. */
ax_status ax_graph_set_seq(ax_graph *g, int64_t t);
int64_t ax_graph_seq(const ax_graph *g);
int64_t ax_graph_max_seq(const ax_graph *g); /* 0 without sequence inputs */
int64_t ax_graph_max_batch(const ax_graph *g);
int ax_graph_compiled(const ax_graph *g);
void ax_graph_set_training(ax_graph *g, int training);
int ax_graph_training(const ax_graph *g);

/* Forward through every node, or only through `upto` and the nodes made
 * before it (enough to compute it, since nodes are in topological order). */
ax_status ax_graph_forward(ax_graph *g);
ax_status ax_graph_forward_to(ax_graph *g, ax_node *upto);
/* Reverse-mode autodiff from `output`. seed is d(objective)/d(output); NULL
 * means 1 (for a scalar loss). Gradients are recomputed from zero. */
ax_status ax_graph_backward(ax_graph *g, ax_node *output, const float *seed);

/* Node access. Data and gradients exist after compile; grad is NULL for a
 * node no gradient flows into. */
const char *ax_node_name(const ax_node *n);
const char *ax_node_op(const ax_node *n);  /* "input", "param" or an op name */
ax_shape ax_node_shape(const ax_node *n);
int64_t ax_node_numel(const ax_node *n);
int ax_node_id(const ax_node *n);          /* its place in the graph's order (forward runs ids 0 up) */
float *ax_node_data(ax_node *n);
float *ax_node_grad(ax_node *n);
/* Ask for the gradient of an input (off by default). Before compile. */
ax_status ax_node_set_requires_grad(ax_node *n, int on);
/* Exclude a parameter from updates. Its gradient is still computed until
 * the graph is compiled again (then it is not, which saves the work). */
ax_status ax_node_set_frozen(ax_node *n, int frozen);
int ax_node_frozen(const ax_node *n);
/* Freeze (or unfreeze) a whole layer: every parameter named "<layer>.*"
 * (or exactly "<layer>"). Returns how many were changed via *count. */
ax_status ax_graph_freeze(ax_graph *g, const char *layer, int frozen, int *count);

int ax_graph_num_nodes(const ax_graph *g);
ax_node *ax_graph_node(ax_graph *g, int i);
ax_node *ax_graph_find(ax_graph *g, const char *name);
/* Parameters in creation order (frozen ones included). */
int ax_graph_num_params(const ax_graph *g);
ax_node *ax_graph_param(ax_graph *g, int i);
int64_t ax_graph_param_count(const ax_graph *g); /* total scalars */
/* Bytes in the compiled arena (activations, their gradients, scratch;
 * parameters and their gradients live in the spans below). */
size_t ax_graph_arena_bytes(const ax_graph *g);

/* ---- parameter and gradient spans -------------------------------------
 * From the first compile on, every learnable parameter lives in one
 * contiguous span and every gradient in another of the same length and
 * layout (parameter i's gradient sits at the offset of parameter i);
 * buffers (running statistics) live in a third. Each parameter starts on a
 * 64-byte boundary; the few floats between parameters are zero and stay
 * zero. So a clip, an optimizer step, an allreduce or a checkpoint is one
 * pass over one span. Later compiles keep the spans where they are; a
 * parameter frozen at compile has no gradient computed (its part of the
 * gradient span stays zero). Before the first compile each parameter has
 * its own storage and the spans are empty ({NULL, 0}); pointers to
 * parameter data taken before the first compile are not valid after it. */
typedef struct ax_span {
    float *data;
    int64_t n;
} ax_span;
ax_span ax_graph_param_span(ax_graph *g);
ax_span ax_graph_grad_span(ax_graph *g);
ax_span ax_graph_buffer_span(ax_graph *g);
/* Where a parameter (or buffer) starts in its span; -1 for other nodes. */
int64_t ax_node_span_offset(const ax_node *param);

/* Copy a node's values (its current shape's numel) out or in: the way to
 * reach data that does not live in host memory. count must be the node's
 * numel. */
ax_status ax_node_read(const ax_node *n, float *dst, int64_t count);
ax_status ax_node_write(ax_node *n, const float *src, int64_t count);
/* A host view of a node's whole buffer (room for its largest batch),
 * valid until ax_node_unmap, which copies changes back when write_back is
 * set. On the CPU backend it is the node's memory itself and costs
 * nothing; host code (training, file readers and writers) uses these so
 * that it runs unchanged on a device backend. NULL before compile (inputs
 * and ops). */
float *ax_node_map(ax_node *n);
void ax_node_unmap(ax_node *n, int write_back);

/* ---- backends ------------------------------------------------------------
 * Where a graph computes: "cpu" (the default, and the only backend of
 * this build for now). Chosen before the first compile. */
int ax_backend_count(void);
const char *ax_backend_name(int i);
ax_status ax_graph_set_backend(ax_graph *g, const char *name);
const char *ax_graph_backend(const ax_graph *g);

/* ---- graph files -------------------------------------------------------
 * A graph as JSON text: its nodes in order (inputs with their per-sample
 * shapes, parameters and buffers with their shapes and frozen flags, ops
 * with their inputs and named attributes) and named roles (a model's
 * "input", "target", "output", "loss"). Parameter values are not in it:
 * model files keep them beside it (axon/model_file.h). The text is ax_free'd
 * by the caller. Reading checks every field and builds the graph with the
 * builders, which check op names, attributes and shapes; errors name the
 * source and the node. The graph read is not compiled; inputs get batch
 * `batch`; roles not in the text come back NULL. */
ax_status ax_graph_to_json(const ax_graph *g, const char *const *role_keys, ax_node *const *role_nodes, int n_roles,
                           char **out);
ax_status ax_graph_from_json(const char *text, const char *source, int64_t batch, ax_graph **out,
                             const char *const *role_keys, ax_node **role_nodes, int n_roles);

#ifdef __cplusplus
}
#endif
#endif
