/* The computation graph: building, compiling (shapes + one arena), and the
 * forward and backward passes. */
#include "backends/backend.h"
#include "core/threads.h"
#include "ops/op.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

struct ax_graph {
    ax_node **nodes;
    int n_nodes, cap_nodes;
    ax_node **params;
    int n_params, cap_params;
    ax_status status;  /* first builder error */
    int compiled;
    int inference; /* compiled by ax_graph_compile_inference: no gradients, buffers shared */
    int training;
    int64_t max_batch, batch;
    int64_t max_seq, seq; /* 0 when no input has a sequence axis */
    ax_arena *arena;
    const ax_backend *backend;
    /* Made at the first compile and kept by every later one (an optimizer
     * holds them): learnable parameters, their gradients (same offsets),
     * and buffers, each in parameter order at 64-byte aligned offsets.
     * The gaps between parameters are zero and stay zero. */
    float *param_span, *grad_span, *buffer_span;
    int64_t param_span_n, buffer_span_n;
    ax_rng rng;
    int64_t row_base; /* the batch's first row in the whole batch */
    ax_backward_hook backward_hook;
    void *backward_hook_user;
    /* team sizes for the training steps and for the inference passes,
     * each timed between one forward pass and the next of its kind */
    ax_governor governor[2];
    int last_pass; /* the kind of the last forward pass, -1 before the first */
};

/* ---- building --------------------------------------------------------- */

ax_status ax_graph_new(ax_graph **out)
{
    *out = ax_calloc(1, sizeof **out);
    if (!*out)
        return ax_fail(AX_ERR_NOMEM, "graph: out of memory");
    (*out)->training = 1;
    (*out)->last_pass = -1;
    (*out)->backend = ax_backend_cpu();
    ax_rng_seed(&(*out)->rng, 0x5eed, 7);
    return AX_OK;
}

void ax_graph_free(ax_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i]->kind == AX_NODE_PARAM && !g->param_span)
            ax_free(g->nodes[i]->data); /* not gathered into the spans yet */
        if (g->nodes[i]->free_state)
            g->nodes[i]->free_state(g->nodes[i]->state);
        ax_free(g->nodes[i]->in);
        ax_free(g->nodes[i]);
    }
    if (g->param_span) {
        g->backend->free(g->param_span);
        g->backend->free(g->grad_span);
        g->backend->free(g->buffer_span);
    }
    ax_free(g->nodes);
    ax_free(g->params);
    ax_arena_free(g->arena);
    ax_free(g);
}

ax_status ax_graph_status(const ax_graph *g) { return g->status; }

/* Record the first builder error; return NULL for the caller to pass on. */
ax_node *ax_graph_error(ax_graph *g, ax_status s)
{
    if (g->status == AX_OK)
        g->status = s;
    return NULL;
}

static int push(void ***arr, int *n, int *cap, void *item)
{
    if (*n == *cap) {
        int ncap = *cap ? *cap * 2 : 16;
        void **p = ax_alloc((size_t)ncap * sizeof *p);
        if (!p)
            return 0;
        if (*n)
            memcpy(p, *arr, (size_t)*n * sizeof *p);
        ax_free(*arr);
        *arr = p;
        *cap = ncap;
    }
    (*arr)[(*n)++] = item;
    return 1;
}

static ax_node *new_node(ax_graph *g, ax_node_kind kind, const char *name, const char *fallback)
{
    if (g->status != AX_OK)
        return NULL;
    if (g->compiled) {
        ax_fail(AX_ERR_STATE, "graph: cannot add node '%s' after compile", name ? name : fallback);
        return ax_graph_error(g, AX_ERR_STATE);
    }
    if (name && ax_graph_find(g, name)) {
        ax_fail(AX_ERR_INVALID_ARG, "graph: a node named '%s' already exists", name);
        return ax_graph_error(g, AX_ERR_INVALID_ARG);
    }
    ax_node *n = ax_calloc(1, sizeof *n);
    if (!n || !push((void ***)&g->nodes, &g->n_nodes, &g->cap_nodes, n)) {
        ax_free(n);
        ax_fail(AX_ERR_NOMEM, "graph: out of memory");
        return ax_graph_error(g, AX_ERR_NOMEM);
    }
    n->kind = kind;
    n->backend = g->backend;
    n->id = g->n_nodes - 1;
    if (name)
        snprintf(n->name, sizeof n->name, "%s", name);
    else
        snprintf(n->name, sizeof n->name, "%s_%d", fallback, n->id);
    return n;
}

/* Positive sizes whose product fits AX_MAX_NUMEL. */
static int valid_shape(const ax_shape *s) { return ax_shape_checked(s, 0, NULL); }

ax_node *ax_input(ax_graph *g, const char *name, ax_shape shape)
{
    char buf[96];
    if (g->status == AX_OK && (!valid_shape(&shape) || shape.ndim < 1)) {
        ax_fail(AX_ERR_SHAPE, "input '%s': shape %s must have a batch dimension and positive sizes (at most 2^40 values)",
                name ? name : "?", ax_shape_str(&shape, buf, sizeof buf));
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    ax_node *n = new_node(g, AX_NODE_INPUT, name, "input");
    if (!n)
        return NULL;
    if (g->max_batch && shape.dim[0] != g->max_batch) {
        ax_fail(AX_ERR_SHAPE, "input '%s': batch %lld differs from the graph's other inputs (%lld)",
                n->name, (long long)shape.dim[0], (long long)g->max_batch);
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    g->max_batch = g->batch = shape.dim[0];
    n->shape = shape;
    return n;
}

ax_node *ax_input_seq(ax_graph *g, const char *name, ax_shape shape)
{
    if (g->status == AX_OK && shape.ndim < 2) {
        ax_fail(AX_ERR_SHAPE, "input '%s': a sequence input needs [batch, time, ...]", name ? name : "?");
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    if (g->status == AX_OK && g->max_seq && shape.dim[1] != g->max_seq) {
        ax_fail(AX_ERR_SHAPE, "input '%s': sequence length %lld differs from the graph's other sequence inputs (%lld)",
                name ? name : "?", (long long)shape.dim[1], (long long)g->max_seq);
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    ax_node *n = ax_input(g, name, shape);
    if (n) {
        n->seq = 1;
        g->max_seq = g->seq = shape.dim[1];
    }
    return n;
}

ax_node *ax_param(ax_graph *g, const char *name, ax_shape shape)
{
    char buf[96];
    if (g->status == AX_OK && !valid_shape(&shape)) {
        ax_fail(AX_ERR_SHAPE, "param '%s': invalid shape %s (positive sizes, at most 2^40 values)", name ? name : "?",
                ax_shape_str(&shape, buf, sizeof buf));
        return ax_graph_error(g, AX_ERR_SHAPE);
    }
    ax_node *n = new_node(g, AX_NODE_PARAM, name, "param");
    if (!n)
        return NULL;
    n->shape = shape;
    size_t bytes = (size_t)ax_shape_numel(&shape) * sizeof(float);
    n->data = ax_alloc_aligned(bytes);
    if (!n->data || !push((void ***)&g->params, &g->n_params, &g->cap_params, n)) {
        ax_fail(AX_ERR_NOMEM, "param '%s': cannot allocate %zu bytes", n->name, bytes);
        return ax_graph_error(g, AX_ERR_NOMEM);
    }
    memset(n->data, 0, bytes);
    return n;
}

ax_node *ax_buffer(ax_graph *g, const char *name, ax_shape shape)
{
    ax_node *n = ax_param(g, name, shape);
    if (n)
        n->buffer = n->frozen = 1;
    return n;
}

int ax_node_is_buffer(const ax_node *n) { return n->buffer; }

void ax_graph_seed(ax_graph *g, uint64_t seed) { ax_rng_seed(&g->rng, seed, 7); }
void ax_graph_set_row_base(ax_graph *g, int64_t first_row) { g->row_base = first_row; }
int64_t ax_graph_row_base(const ax_graph *g) { return g->row_base; }
void ax_graph_set_backward_hook(ax_graph *g, ax_backward_hook hook, void *user)
{
    g->backward_hook = hook;
    g->backward_hook_user = user;
}

uint64_t ax_pass_key(const ax_run_ctx *ctx)
{
    const uint64_t hi = ax_rng_u32(ctx->rng);
    return hi << 32 | ax_rng_u32(ctx->rng);
}

ax_rng ax_row_rng(const ax_run_ctx *ctx, uint64_t key, int64_t row)
{
    /* splitmix64's finaliser spreads (key, row) over the seed space */
    uint64_t z = key + (uint64_t)(ctx->row_base + row) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    ax_rng r;
    ax_rng_seed(&r, z ^ (z >> 31), 0xd409);
    return r;
}
ax_rng ax_graph_rng(const ax_graph *g) { return g->rng; }
void ax_graph_set_rng(ax_graph *g, ax_rng rng) { g->rng = rng; }

/* Set n's attributes: the schema's defaults, then the given ones, each
 * checked for its name, type and range. */
static ax_status set_attrs(ax_node *n, const ax_op_schema *sc, const ax_attr *attrs, int n_attrs)
{
    for (int i = 0; i < sc->n_attrs; i++)
        n->attr[i] = sc->attrs[i].dflt;
    n->list_n = 0;
    for (int k = 0; k < n_attrs; k++) {
        const ax_attr *a = &attrs[k];
        int i = 0;
        while (i < sc->n_attrs && (!a->name || strcmp(sc->attrs[i].name, a->name)))
            i++;
        if (i == sc->n_attrs) {
            char known[512] = "";
            for (int j = 0; j < sc->n_attrs; j++) {
                strncat(known, j ? ", " : "", sizeof known - strlen(known) - 1);
                strncat(known, sc->attrs[j].name, sizeof known - strlen(known) - 1);
            }
            return ax_fail(AX_ERR_INVALID_ARG, "unknown attribute '%s' (%s%s)", a->name ? a->name : "(null)",
                           sc->n_attrs ? "known: " : "the op has none", known);
        }
        for (int j = 0; j < k; j++)
            if (attrs[j].name && !strcmp(attrs[j].name, a->name))
                return ax_fail(AX_ERR_INVALID_ARG, "attribute '%s' given twice", a->name);
        const ax_attr_schema *d = &sc->attrs[i];
        if (d->type == AX_ATTR_INTS) {
            if (a->n < 0 || a->n > AX_MAX_DIMS || (a->n && !a->list))
                return ax_fail(AX_ERR_INVALID_ARG, "attribute '%s' is a list of at most %d whole numbers", d->name,
                               AX_MAX_DIMS);
            for (int j = 0; j < a->n; j++)
                if (a->list[j] < d->min || a->list[j] > d->max)
                    return ax_fail(AX_ERR_INVALID_ARG, "attribute '%s': entry %d is %lld, outside %g..%g", d->name, j,
                                   (long long)a->list[j], d->min, d->max);
            memcpy(n->list, a->list, (size_t)a->n * sizeof *n->list);
            n->list_n = a->n;
            continue;
        }
        const double v = a->value;
        if (!isfinite(v) || v < d->min || v > d->max)
            return ax_fail(AX_ERR_INVALID_ARG, "attribute '%s' is %g, outside %g..%g", d->name, v, d->min, d->max);
        if (d->type != AX_ATTR_FLOAT && v != floor(v))
            return ax_fail(AX_ERR_INVALID_ARG, "attribute '%s' must be a whole number, got %g", d->name, v);
        n->attr[i] = v;
    }
    /* a default outside the range marks an attribute that must be given */
    for (int i = 0; i < sc->n_attrs; i++) {
        const ax_attr_schema *d = &sc->attrs[i];
        int given = 0;
        for (int k = 0; k < n_attrs && !given; k++)
            given = attrs[k].name && !strcmp(attrs[k].name, d->name);
        if (!given && d->type != AX_ATTR_INTS && (d->dflt < d->min || d->dflt > d->max))
            return ax_fail(AX_ERR_INVALID_ARG, "attribute '%s' is required (%s)", d->name, d->doc);
    }
    return AX_OK;
}

ax_node *ax_apply(ax_graph *g, const char *op, ax_node *const *inputs, int n_inputs,
                  const ax_attr *attrs, int n_attrs, const char *name)
{
    if (g->status != AX_OK)
        return NULL;
    const ax_op_def *def = ax_op_find(op);
    if (!def) {
        ax_fail(AX_ERR_INVALID_ARG, "graph: unknown op '%s'", op);
        return ax_graph_error(g, AX_ERR_INVALID_ARG);
    }
    if (n_inputs < def->schema.min_inputs || n_inputs > def->schema.max_inputs) {
        ax_fail(AX_ERR_INVALID_ARG, "op '%s': takes %d..%d inputs (%s), got %d", op, def->schema.min_inputs,
                def->schema.max_inputs, def->schema.inputs, n_inputs);
        return ax_graph_error(g, AX_ERR_INVALID_ARG);
    }
    for (int i = 0; i < n_inputs; i++) {
        /* A NULL input means an earlier builder call failed; its error stands. */
        if (!inputs[i]) {
            ax_fail(AX_ERR_INVALID_ARG, "op '%s': input %d is NULL", op, i);
            return ax_graph_error(g, AX_ERR_INVALID_ARG);
        }
        if (inputs[i]->id >= g->n_nodes || g->nodes[inputs[i]->id] != inputs[i]) {
            ax_fail(AX_ERR_INVALID_ARG, "op '%s': input %d belongs to another graph", op, i);
            return ax_graph_error(g, AX_ERR_INVALID_ARG);
        }
    }
    if (n_attrs < 0 || (n_attrs > 0 && !attrs)) {
        ax_fail(AX_ERR_INVALID_ARG, "op '%s': %d attributes and no array of them", op, n_attrs);
        return ax_graph_error(g, AX_ERR_INVALID_ARG);
    }
    ax_node *n = new_node(g, AX_NODE_OP, name, def->schema.name);
    if (!n)
        return NULL;
    n->op = def;
    n->in = ax_alloc((size_t)(n_inputs ? n_inputs : 1) * sizeof *n->in);
    if (!n->in) {
        ax_fail(AX_ERR_NOMEM, "graph: out of memory");
        return ax_graph_error(g, AX_ERR_NOMEM);
    }
    n->n_in = n_inputs;
    for (int i = 0; i < n_inputs; i++)
        n->in[i] = inputs[i];
    ax_status s = set_attrs(n, &def->schema, attrs, n_attrs);
    if (s == AX_OK)
        s = def->infer(n);
    if (s == AX_OK && !valid_shape(&n->shape)) {
        char buf[96];
        s = ax_fail(AX_ERR_SHAPE, "output %s is too large (at most 2^40 values)", ax_shape_str(&n->shape, buf, sizeof buf));
    }
    if (s != AX_OK) {
        /* Prefix the op's message with the node it concerns. */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        ax_fail(s, "node '%s' (%s): %s", n->name, def->schema.name, msg);
        return ax_graph_error(g, s);
    }
    return n;
}

/* ---- compiling -------------------------------------------------------- */

static ax_status infer_all(ax_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i];
        if (n->kind == AX_NODE_INPUT) {
            n->shape.dim[0] = g->batch;
            if (n->seq)
                n->shape.dim[1] = g->seq;
        } else if (n->kind == AX_NODE_OP) {
            ax_status s = n->op->infer(n);
            if (s != AX_OK)
                return s;
        }
    }
    return AX_OK;
}

/* Offsets are rounded up to 16 floats so every parameter starts on a
 * 64-byte boundary, as it did in its own allocation. */
static int64_t span_round(int64_t n) { return (n + 15) / 16 * 16; }

/* At the first compile, move every parameter into its span (learnable or
 * buffer) and free its own allocation; later compiles keep the spans. */
static ax_status gather_spans(ax_graph *g)
{
    if (g->param_span || g->buffer_span)
        return AX_OK;
    int64_t np = 0, nb = 0;
    for (int i = 0; i < g->n_params; i++) {
        ax_node *p = g->params[i];
        int64_t *len = p->buffer ? &nb : &np;
        p->span_offset = *len;
        *len += span_round(ax_numel(p));
    }
    const ax_backend *be = g->backend;
    float *ps = be->alloc((size_t)(np ? np : 1) * sizeof(float));
    float *gs = be->alloc((size_t)(np ? np : 1) * sizeof(float));
    float *bs = be->alloc((size_t)(nb ? nb : 1) * sizeof(float));
    if (!ps || !gs || !bs) {
        be->free(ps), be->free(gs), be->free(bs);
        return ax_fail(AX_ERR_NOMEM, "graph: cannot allocate the parameter spans (%lld + %lld values)",
                       (long long)np, (long long)nb);
    }
    memset(ps, 0, (size_t)(np ? np : 1) * sizeof(float));
    memset(gs, 0, (size_t)(np ? np : 1) * sizeof(float));
    memset(bs, 0, (size_t)(nb ? nb : 1) * sizeof(float));
    for (int i = 0; i < g->n_params; i++) {
        ax_node *p = g->params[i];
        float *to = (p->buffer ? bs : ps) + p->span_offset;
        memcpy(to, p->data, (size_t)ax_numel(p) * sizeof(float));
        ax_free(p->data);
        p->data = to;
    }
    g->param_span = ps, g->grad_span = gs, g->buffer_span = bs;
    g->param_span_n = np, g->buffer_span_n = nb;
    return AX_OK;
}

#define ALIGN 64
static size_t round_up(size_t b) { return (b + ALIGN - 1) / ALIGN * ALIGN; }

/* ---- the inference planner -------------------------------------------
 * Blocks of the arena given out in topological order and taken back after
 * their last reader: a first-fit allocator over offsets. Live blocks are
 * kept sorted by offset; a new block goes into the first gap that holds it. */
typedef struct block {
    size_t off, len;
    int owner; /* the node (its data: id, its scratch: -1 - id) */
} block;
typedef struct planner {
    block *live;
    int n;
    size_t peak;
} planner;

static size_t plan_take(planner *p, size_t len, int owner)
{
    size_t off = 0;
    int at = 0;
    while (at < p->n && p->live[at].off < off + len) { /* the gap before live[at] is too small */
        off = p->live[at].off + p->live[at].len;
        at++;
    }
    memmove(p->live + at + 1, p->live + at, (size_t)(p->n - at) * sizeof *p->live);
    p->live[at] = (block){off, len, owner};
    p->n++;
    if (off + len > p->peak)
        p->peak = off + len;
    return off;
}

static void plan_release(planner *p, int owner)
{
    for (int i = 0; i < p->n; i++)
        if (p->live[i].owner == owner) {
            memmove(p->live + i, p->live + i + 1, (size_t)(p->n - i - 1) * sizeof *p->live);
            p->n--;
            return;
        }
}

/* Offsets of every node's data and scratch in an arena where a node's
 * values live from its op to its last reader; inputs, kept nodes and
 * nodes nobody reads live to the end. Returns the arena's size. */
static ax_status plan_inference(ax_graph *g, ax_node *const *keep, int n_keep, size_t *data_off, size_t *scratch_off,
                                size_t *total)
{
    int *last = ax_alloc((size_t)g->n_nodes * sizeof *last);
    planner p = {ax_alloc((size_t)(2 * g->n_nodes + 1) * sizeof(block)), 0, 0};
    if (!last || !p.live) {
        ax_free(last), ax_free(p.live);
        return ax_fail(AX_ERR_NOMEM, "graph: out of memory planning the arena");
    }
    for (int i = 0; i < g->n_nodes; i++)
        last[i] = g->nodes[i]->kind == AX_NODE_OP ? -1 : g->n_nodes; /* inputs: written by the host */
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i]->n_in; j++)
            if (last[g->nodes[i]->in[j]->id] < i)
                last[g->nodes[i]->in[j]->id] = i;
    for (int i = 0; i < g->n_nodes; i++)
        if (last[i] < 0)
            last[i] = g->n_nodes; /* read by nobody in the graph: the caller's result */
    for (int k = 0; k < n_keep; k++)
        if (keep[k])
            last[keep[k]->id] = g->n_nodes;
    /* inputs first: the host writes them all before the pass */
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->kind == AX_NODE_INPUT)
            data_off[i] = plan_take(&p, round_up((size_t)g->nodes[i]->max_numel * sizeof(float)), i);
    for (int i = 0; i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i];
        if (n->kind != AX_NODE_OP)
            continue;
        data_off[i] = plan_take(&p, round_up((size_t)n->max_numel * sizeof(float)), i);
        if (n->kind == AX_NODE_OP && n->op->scratch) { /* only while the op runs */
            scratch_off[i] = plan_take(&p, round_up(n->op->scratch(n) * sizeof(float)), -1 - i);
            plan_release(&p, -1 - i);
        }
        for (int j = 0; j < n->n_in; j++) /* inputs read for the last time */
            if (n->in[j]->kind != AX_NODE_PARAM && last[n->in[j]->id] == i)
                plan_release(&p, n->in[j]->id);
    }
    *total = p.peak;
    ax_free(last);
    ax_free(p.live);
    return AX_OK;
}

/* An op that computes its only consumer in its own passes (ops/op.h:
 * ax_node.epilogue), where both run the op's own CPU kernels. Training
 * plans only: there every buffer is its own, while an inference plan may
 * give the consumer's output the memory of the op's input, which the op
 * still reads as it writes the consumer's. */
static void pair_epilogues(ax_graph *g, int inference)
{
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i]->epilogue = NULL;
    int *uses = inference ? NULL : ax_calloc((size_t)g->n_nodes + 1, sizeof *uses);
    if (!uses) /* inference, or no memory for an optimisation: each op on its own */
        return;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i]->n_in; k++) {
            ax_node *in = g->nodes[i]->in[k];
            uses[in->id]++;
            in->epilogue = g->nodes[i]; /* the last consumer, kept below only when the one */
        }
    for (int i = 0; i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i], *only = n->epilogue;
        n->epilogue = NULL;
        if (uses[i] == 1 && n->kind == AX_NODE_OP && n->op->absorbs && n->run_forward == n->op->forward &&
            n->run_backward == n->op->backward && only->run_forward == only->op->forward &&
            only->run_backward == only->op->backward && n->op->absorbs(n, only))
            n->epilogue = only;
    }
    ax_free(uses);
}

static ax_status compile(ax_graph *g, int inference, ax_node *const *keep, int n_keep)
{
    if (g->status != AX_OK)
        return ax_fail(g->status, "graph: cannot compile, an earlier build step failed (%s)",
                       ax_status_str(g->status));
    for (int k = 0; k < n_keep; k++)
        if (keep[k] && (keep[k]->id >= g->n_nodes || g->nodes[keep[k]->id] != keep[k]))
            return ax_fail(AX_ERR_INVALID_ARG, "graph: a node to keep is not in this graph");
    /* kernels' state belongs to the last plan (its gradients, threads and shapes) */
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->free_state) {
            g->nodes[i]->free_state(g->nodes[i]->state);
            g->nodes[i]->state = NULL;
            g->nodes[i]->free_state = NULL;
        }
    int threads = ax_get_num_threads(); /* also settles the thread pools */
    ax_governor_init(&g->governor[0]);
    ax_governor_init(&g->governor[1]);
    g->last_pass = -1;
    g->batch = g->max_batch;
    g->seq = g->max_seq; /* planned at the largest batch and length */
    ax_status s = infer_all(g);
    if (s == AX_OK)
        s = gather_spans(g);
    if (s != AX_OK)
        return s;

    /* Each op's kernels on the graph's backend. */
    for (int i = 0; i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i];
        if (n->kind == AX_NODE_OP && !g->backend->kernels(n->op, &n->run_forward, &n->run_backward))
            return ax_fail(AX_ERR_STATE, "graph: op %s of node '%s' has no kernels on the %s backend", n->op->schema.name,
                           n->name, g->backend->name);
    }

    /* Which nodes a gradient flows into (none, for inference). */
    for (int i = 0; i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i];
        if (inference)
            n->needs_grad = 0;
        else if (n->kind == AX_NODE_PARAM)
            n->needs_grad = !n->frozen;
        else if (n->kind == AX_NODE_INPUT)
            n->needs_grad = n->requires_grad;
        else {
            n->needs_grad = 0;
            for (int j = 0; j < n->n_in; j++)
                n->needs_grad |= n->in[j]->needs_grad;
        }
        n->threads = threads;
        n->max_numel = ax_numel(n);
    }

    pair_epilogues(g, inference);

    /* Plan. Training: every buffer at its largest size, 64-byte aligned,
     * each its own, in one block (backward reads them all). Inference:
     * buffers share the arena by liveness. */
    size_t total = 0, *data_off = NULL, *scratch_off = NULL;
    if (inference) {
        data_off = ax_calloc((size_t)g->n_nodes, sizeof *data_off);
        scratch_off = ax_calloc((size_t)g->n_nodes, sizeof *scratch_off);
        s = data_off && scratch_off ? plan_inference(g, keep, n_keep, data_off, scratch_off, &total)
                                    : ax_fail(AX_ERR_NOMEM, "graph: out of memory planning the arena");
    } else
        for (int i = 0; i < g->n_nodes; i++) {
            ax_node *n = g->nodes[i];
            size_t bytes = round_up((size_t)n->max_numel * sizeof(float));
            total += (n->kind != AX_NODE_PARAM) * bytes + (n->needs_grad && n->kind != AX_NODE_PARAM) * bytes;
            if (n->kind == AX_NODE_OP && n->op->scratch)
                total += round_up(n->op->scratch(n) * sizeof(float));
        }
    /* A parameter frozen since the last compile keeps no stale gradient. */
    memset(g->grad_span, 0, (size_t)(g->param_span_n ? g->param_span_n : 1) * sizeof(float));
    ax_arena_free(g->arena);
    g->arena = NULL;
    if (s == AX_OK) { /* the arena in the backend's memory, zeroed */
        const size_t cap = round_up(total ? total : ALIGN);
        void *base = g->backend->alloc(cap);
        if (base)
            g->backend->zero(base, cap);
        s = base ? ax_arena_adopt(base, cap, g->backend->free, &g->arena)
                 : ax_fail(AX_ERR_NOMEM, "graph: cannot allocate an arena of %zu bytes", cap);
        if (s != AX_OK && base)
            g->backend->free(base);
    }
    for (int i = 0; s == AX_OK && i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i];
        size_t bytes = (size_t)n->max_numel * sizeof(float);
        const int has_scratch = n->kind == AX_NODE_OP && n->op->scratch;
        if (inference) {
            char *base = ax_arena_take(g->arena, 0);
            if (n->kind != AX_NODE_PARAM)
                n->data = (float *)(base + data_off[i]);
            n->grad = NULL;
            n->scratch = has_scratch ? (float *)(base + scratch_off[i]) : NULL;
            continue;
        }
        if (n->kind != AX_NODE_PARAM)
            n->data = ax_arena_take(g->arena, bytes);
        if (n->kind == AX_NODE_PARAM)
            n->grad = n->needs_grad ? g->grad_span + n->span_offset : NULL;
        else
            n->grad = n->needs_grad ? ax_arena_take(g->arena, bytes) : NULL;
        n->scratch = has_scratch ? ax_arena_take(g->arena, n->op->scratch(n) * sizeof(float)) : NULL;
    }
    if (s == AX_OK && inference) /* the arena's use is the plan's peak */
        ax_arena_take(g->arena, total);
    ax_free(data_off);
    ax_free(scratch_off);
    if (s != AX_OK)
        return s;
    g->inference = inference;
    if (inference)
        g->training = 0;
    g->compiled = 1;
    return AX_OK;
}

ax_status ax_graph_compile(ax_graph *g) { return compile(g, 0, NULL, 0); }

ax_status ax_graph_compile_inference(ax_graph *g, ax_node *const *keep, int n_keep)
{
    return compile(g, 1, keep, n_keep);
}

int ax_graph_inference_only(const ax_graph *g) { return g->inference; }

ax_status ax_graph_set_batch(ax_graph *g, int64_t n)
{
    if (!g->compiled)
        return ax_fail(AX_ERR_STATE, "graph: set_batch before compile");
    if (n < 1 || n > g->max_batch)
        return ax_fail(AX_ERR_INVALID_ARG, "graph: batch %lld outside 1..%lld", (long long)n,
                       (long long)g->max_batch);
    if (n == g->batch)
        return AX_OK;
    g->batch = n;
    return infer_all(g);
}

ax_status ax_graph_set_seq(ax_graph *g, int64_t t)
{
    if (!g->compiled)
        return ax_fail(AX_ERR_STATE, "graph: set_seq before compile");
    if (!g->max_seq)
        return ax_fail(AX_ERR_STATE, "graph: no input has a sequence axis (ax_input_seq)");
    if (t < 1 || t > g->max_seq)
        return ax_fail(AX_ERR_INVALID_ARG, "graph: sequence length %lld outside 1..%lld", (long long)t,
                       (long long)g->max_seq);
    if (t == g->seq)
        return AX_OK;
    const int64_t old = g->seq;
    g->seq = t;
    ax_status s = infer_all(g);
    if (s != AX_OK) { /* an op that cannot take this length: back to the last one */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        g->seq = old;
        infer_all(g);
        return ax_fail(s, "graph: sequence length %lld: %s", (long long)t, msg);
    }
    return AX_OK;
}

int64_t ax_graph_seq(const ax_graph *g) { return g->seq; }
int64_t ax_graph_max_seq(const ax_graph *g) { return g->max_seq; }

int64_t ax_graph_batch(const ax_graph *g) { return g->batch; }
int64_t ax_graph_max_batch(const ax_graph *g) { return g->max_batch; }
int ax_graph_compiled(const ax_graph *g) { return g->compiled; }
void ax_graph_set_training(ax_graph *g, int training) { g->training = training != 0 && !g->inference; }
int ax_graph_training(const ax_graph *g) { return g->training; }

/* ---- running ---------------------------------------------------------- */

ax_status ax_graph_forward_to(ax_graph *g, ax_node *upto)
{
    if (!g->compiled)
        return ax_fail(AX_ERR_STATE, "graph: forward before compile");
    ax_governor_tick(&g->governor[g->training], g->last_pass == g->training, g->batch);
    g->last_pass = g->training;
    ax_run_ctx ctx = {g->training, &g->rng, g->row_base};
    int last = upto ? upto->id : g->n_nodes - 1;
    for (int i = 0; i <= last; i++) {
        ax_node *n = g->nodes[i];
        if (n->kind == AX_NODE_OP) {
            ax_status s = n->run_forward(n, &ctx);
            if (s != AX_OK)
                return s;
        }
    }
    return AX_OK;
}

ax_status ax_graph_forward(ax_graph *g) { return ax_graph_forward_to(g, NULL); }

ax_status ax_graph_backward(ax_graph *g, ax_node *output, const float *seed)
{
    if (!g->compiled)
        return ax_fail(AX_ERR_STATE, "graph: backward before compile");
    if (g->inference)
        return ax_fail(AX_ERR_STATE, "graph: compiled for inference (ax_graph_compile_inference): no backward pass");
    if (!output || output->id >= g->n_nodes || g->nodes[output->id] != output)
        return ax_fail(AX_ERR_INVALID_ARG, "graph: backward from a node not in this graph");
    if (!output->needs_grad)
        return ax_fail(AX_ERR_STATE, "graph: no parameter or input with a gradient reaches '%s'",
                       output->name);
    int64_t out_n = ax_numel(output);
    if (!seed && out_n != 1)
        return ax_fail(AX_ERR_INVALID_ARG,
                       "graph: backward from non-scalar '%s' (%lld elements) needs a seed",
                       output->name, (long long)out_n);
    /* No zeroing pass: each gradient is written first by whichever op
     * reaches it first (ops/op.h); an op whose output gradient nobody wrote
     * has a zero gradient, so it is skipped. */
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i]->grad_written = 0;
    if (seed)
        memcpy(output->grad, seed, (size_t)out_n * sizeof(float));
    else
        output->grad[0] = 1.0f;
    output->grad_written = 1;
    ax_run_ctx ctx = {g->training, &g->rng, g->row_base};
    for (int i = output->id; i >= 0; i--) {
        ax_node *n = g->nodes[i];
        if (n->kind == AX_NODE_OP && n->needs_grad && n->grad_written)
            n->run_backward(n, &ctx);
        if (g->backward_hook && n->kind == AX_NODE_OP)
            g->backward_hook(g->backward_hook_user, i);
    }
    /* What the caller reads (parameters, inputs) must be zero, not stale,
     * when nothing reached it. */
    for (int i = 0; i < g->n_nodes; i++) {
        ax_node *n = g->nodes[i];
        if (n->needs_grad && !n->grad_written && n->kind != AX_NODE_OP)
            memset(n->grad, 0, (size_t)ax_numel(n) * sizeof(float));
    }
    return AX_OK;
}

/* ---- access ----------------------------------------------------------- */

const char *ax_node_name(const ax_node *n) { return n->name; }
const char *ax_node_op(const ax_node *n)
{
    return n->kind == AX_NODE_INPUT ? "input" : n->kind == AX_NODE_PARAM ? (n->buffer ? "buffer" : "param")
                                                                          : n->op->schema.name;
}
const ax_op_schema *ax_node_schema(const ax_node *n) { return n->op ? &n->op->schema : NULL; }
double ax_node_attr(const ax_node *n, int i) { return n->op && i >= 0 && i < n->op->schema.n_attrs ? n->attr[i] : NAN; }
int ax_node_attr_list(const ax_node *n, const int64_t **list)
{
    *list = n->list;
    return n->list_n;
}
int ax_node_num_inputs(const ax_node *n) { return n->n_in; }
ax_node *ax_node_input(const ax_node *n, int i) { return i >= 0 && i < n->n_in ? n->in[i] : NULL; }

ax_status ax_node_hint(ax_node *n, const char *hint, int64_t value)
{
    const ax_op_schema *sc = ax_node_schema(n);
    for (int i = 0; sc && i < sc->n_hints; i++)
        if (!strcmp(sc->hints[i].name, hint)) {
            if (value < sc->hints[i].min || value > sc->hints[i].max)
                return ax_fail(AX_ERR_INVALID_ARG, "node '%s': hint %s = %lld outside %g..%g", n->name, hint,
                               (long long)value, sc->hints[i].min, sc->hints[i].max);
            n->hint[i] = value;
            return AX_OK;
        }
    return ax_fail(AX_ERR_INVALID_ARG, "node '%s' (%s): no hint named '%s'", n->name, ax_node_op(n), hint);
}
int ax_graph_set_bf16(ax_graph *g, int on)
{
    if (!g)
        return -1;
    int set = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ax_op_schema *sc = ax_node_schema(g->nodes[i]);
        for (int h = 0; sc && h < sc->n_hints; h++)
            if (!strcmp(sc->hints[h].name, "bf16")) {
                ax_node *n = g->nodes[i];
                set++;
                if (n->hint[h] == (on != 0))
                    break; /* as it was: its kernels stay */
                n->hint[h] = on != 0;
                if (n->free_state) { /* its kernels are made again, at the next pass */
                    n->free_state(n->state);
                    n->state = NULL;
                    n->free_state = NULL;
                }
            }
    }
    return set;
}

ax_shape ax_node_shape(const ax_node *n) { return n->shape; }
int64_t ax_node_numel(const ax_node *n) { return ax_numel(n); }
int ax_node_id(const ax_node *n) { return n->id; }
float *ax_node_data(ax_node *n) { return n->data; }
float *ax_node_grad(ax_node *n) { return n->grad; }

static ax_status check_count(const ax_node *n, int64_t count, const char *what)
{
    if (!n->data)
        return ax_fail(AX_ERR_STATE, "node '%s': %s before compile", n->name, what);
    if (count != ax_numel(n))
        return ax_fail(AX_ERR_SHAPE, "node '%s': %s of %lld values, it holds %lld", n->name, what,
                       (long long)count, (long long)ax_numel(n));
    return AX_OK;
}

ax_status ax_node_read(const ax_node *n, float *dst, int64_t count)
{
    ax_status s = check_count(n, count, "read");
    if (s == AX_OK)
        n->backend->to_host(dst, n->data, (size_t)count * sizeof(float));
    return s;
}

ax_status ax_node_write(ax_node *n, const float *src, int64_t count)
{
    ax_status s = check_count(n, count, "write");
    if (s == AX_OK)
        n->backend->from_host(n->data, src, (size_t)count * sizeof(float));
    return s;
}

/* The bytes a node's buffer holds: its largest batch once compiled. */
static size_t buffer_bytes(const ax_node *n)
{
    return (size_t)(n->max_numel > 0 ? n->max_numel : ax_numel(n)) * sizeof(float);
}

float *ax_node_map(ax_node *n) { return n->data ? n->backend->map(n->data, buffer_bytes(n)) : NULL; }

void ax_node_unmap(ax_node *n, int write_back)
{
    if (n->data)
        n->backend->unmap(n->data, n->data, buffer_bytes(n), write_back);
}

ax_status ax_graph_set_backend(ax_graph *g, const char *name)
{
    const ax_backend *be = ax_backend_find(name);
    if (!be) {
        char known[256] = "";
        for (int i = 0; i < ax_backend_count(); i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, ax_backend_name(i), sizeof known - strlen(known) - 1);
        }
        return ax_fail(AX_ERR_INVALID_ARG, "graph: no backend '%s' in this build of axon (it has: %s)",
                       name ? name : "(null)", known);
    }
    if (g->param_span && be != g->backend)
        return ax_fail(AX_ERR_STATE, "graph: choose the backend before the first compile");
    g->backend = be;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i]->backend = be;
    return AX_OK;
}

const char *ax_graph_backend(const ax_graph *g) { return g->backend->name; }
const ax_backend *ax_graph_backend_of(const ax_graph *g) { return g->backend; }

ax_status ax_node_set_requires_grad(ax_node *n, int on)
{
    if (n->kind != AX_NODE_INPUT)
        return ax_fail(AX_ERR_INVALID_ARG, "node '%s': requires_grad applies to inputs", n->name);
    n->requires_grad = on != 0;
    return AX_OK;
}

ax_status ax_node_set_frozen(ax_node *n, int frozen)
{
    if (n->kind != AX_NODE_PARAM)
        return ax_fail(AX_ERR_INVALID_ARG, "node '%s': only parameters can be frozen", n->name);
    n->frozen = frozen != 0 || n->buffer;
    /* A compiled graph keeps its gradient buffers; the optimizer skips
     * frozen parameters. Recompiling also skips their gradients. */
    return AX_OK;
}

int ax_node_frozen(const ax_node *n) { return n->frozen; }

ax_status ax_graph_freeze(ax_graph *g, const char *layer, int frozen, int *count)
{
    size_t len = strlen(layer);
    int changed = 0;
    for (int i = 0; i < g->n_params; i++) {
        const char *name = g->params[i]->name;
        if (strncmp(name, layer, len) == 0 && (name[len] == '\0' || name[len] == '.')) {
            g->params[i]->frozen = frozen != 0 || g->params[i]->buffer;
            changed++;
        }
    }
    if (count)
        *count = changed;
    if (changed == 0)
        return ax_fail(AX_ERR_INVALID_ARG, "freeze: no parameter belongs to a layer named '%s'", layer);
    return AX_OK;
}

int ax_graph_num_nodes(const ax_graph *g) { return g->n_nodes; }
ax_node *ax_graph_node(ax_graph *g, int i) { return i >= 0 && i < g->n_nodes ? g->nodes[i] : NULL; }

ax_node *ax_graph_find(ax_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i]->name, name) == 0)
            return g->nodes[i];
    return NULL;
}

int ax_graph_num_params(const ax_graph *g) { return g->n_params; }
ax_node *ax_graph_param(ax_graph *g, int i) { return i >= 0 && i < g->n_params ? g->params[i] : NULL; }

int64_t ax_graph_param_count(const ax_graph *g)
{
    int64_t total = 0;
    for (int i = 0; i < g->n_params; i++)
        total += ax_numel(g->params[i]);
    return total;
}

ax_span ax_graph_param_span(ax_graph *g) { return (ax_span){g->param_span, g->param_span ? g->param_span_n : 0}; }
ax_span ax_graph_grad_span(ax_graph *g) { return (ax_span){g->grad_span, g->grad_span ? g->param_span_n : 0}; }
ax_span ax_graph_buffer_span(ax_graph *g) { return (ax_span){g->buffer_span, g->buffer_span ? g->buffer_span_n : 0}; }
int64_t ax_node_span_offset(const ax_node *n) { return n->kind == AX_NODE_PARAM ? n->span_offset : -1; }

size_t ax_graph_arena_bytes(const ax_graph *g) { return g->arena ? ax_arena_used(g->arena) : 0; }
