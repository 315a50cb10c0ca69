/* The optimizer object: parameters and their state, the step counter,
 * clipping before the update and constraints after it, and the list of
 * algorithms by name. */
#include "optim/algo.h"
#include "backends/backend.h"

#include <math.h>
#include <string.h>

#define ALGORITHMS(X) X(sgd) X(adagrad) X(adadelta) X(rmsprop) X(adam) X(adamw) X(amsgrad) \
    X(nadam) X(adamax) X(trial_error)

#define DECLARE(name) extern const ax_optim_algo ax_optim_##name;
ALGORITHMS(DECLARE)
#undef DECLARE
#define ENTRY(name) &ax_optim_##name,
static const ax_optim_algo *const algorithms[] = {ALGORITHMS(ENTRY)};
#undef ENTRY

/* The optimizer works on spans: a graph's parameter span with its
 * gradient span, or an array added by hand. Its state arrays mirror each
 * span, so an update is one pass over a span (or over each run of
 * unfrozen parameters). A span is cut into segments, one per parameter:
 * what freezing, max_norm and the per-parameter checkpoint names see. */
typedef struct span {
    const ax_backend *backend; /* where the span lives: its kernels */
    ax_optim_update_fn update; /* the algorithm's update on that backend */
    float *w;
    float *g;            /* NULL for gradient-free algorithms */
    int64_t n;
    float *state[AX_OPTIM_MAX_STATE];
} span;

typedef struct segment {
    int span;            /* index into spans */
    int64_t off, n, rows; /* rows > 0: a matrix, for max_norm */
    const ax_node *node; /* graph parameters: checked for freezing at each step */
} segment;

struct ax_optimizer {
    const ax_optim_algo *algo;
    ax_optim_config cfg;
    span *spans;
    int n_spans, cap_spans;
    segment *segs;
    int n_segs, cap_segs;
    int64_t t;
    double aux[AX_OPTIM_AUX];
    double last_norm;
    ax_rng rng;       /* trial_error */
    double best_loss; /* trial_error: the loss of the current weights */
    int have_best;
};

ax_status ax_optim_check_lr(const char *name, const ax_optim_config *c)
{
    if (!(c->lr >= 0.0f) || !(c->weight_decay >= 0.0f) || !(c->decoupled_weight_decay >= 0.0f))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: lr %g and weight decays must not be negative", name,
                       (double)c->lr);
    if (!(c->clip_value >= 0.0f && c->clip_norm >= 0.0f && c->max_norm >= 0.0f))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: clip_value, clip_norm and max_norm must not be negative", name);
    return AX_OK;
}

ax_status ax_optim_check_betas(const char *name, const ax_optim_config *c)
{
    if (!(c->beta1 >= 0.0f && c->beta1 < 1.0f) || !(c->beta2 >= 0.0f && c->beta2 < 1.0f) || !(c->eps >= 0.0f))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: betas must be in [0, 1) and eps >= 0 (betas %g %g, eps %g)",
                       name, (double)c->beta1, (double)c->beta2, (double)c->eps);
    return AX_OK;
}

static const ax_optim_algo *find(const char *name)
{
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strcmp(algorithms[i]->name, name) == 0)
            return algorithms[i];
    return NULL;
}

static ax_status unknown(const char *name)
{
    char known[256] = "";
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++) {
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, algorithms[i]->name, sizeof known - strlen(known) - 1);
    }
    return ax_fail(AX_ERR_INVALID_ARG, "optimizer: unknown name '%s' (known: %s)", name, known);
}

ax_status ax_optim_defaults(const char *name, ax_optim_config *cfg)
{
    const ax_optim_algo *a = find(name);
    if (!a)
        return unknown(name);
    *cfg = a->defaults;
    return AX_OK;
}

ax_status ax_optimizer_new(const char *name, const ax_optim_config *cfg, ax_optimizer **out)
{
    *out = NULL;
    const ax_optim_algo *a = find(name);
    if (!a)
        return unknown(name);
    ax_optim_config c = cfg ? *cfg : a->defaults;
    ax_status s = a->check(&c);
    if (s != AX_OK)
        return s;
    ax_optimizer *o = ax_calloc(1, sizeof *o);
    if (!o)
        return ax_fail(AX_ERR_NOMEM, "optimizer: out of memory");
    o->algo = a;
    o->cfg = c;
    ax_rng_seed(&o->rng, c.seed, 0x7e57);
    *out = o;
    return AX_OK;
}

void ax_optimizer_free(ax_optimizer *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->n_spans; i++)
        for (int k = 0; k < AX_OPTIM_MAX_STATE; k++)
            if (o->spans[i].state[k])
                o->spans[i].backend->free(o->spans[i].state[k]);
    ax_free(o->spans);
    ax_free(o->segs);
    ax_free(o);
}

/* Room for one more item in a growing array. */
static int reserve(void **arr, int n, int *cap, size_t item)
{
    if (n < *cap)
        return 1;
    int ncap = *cap ? *cap * 2 : 8;
    void *p = ax_calloc((size_t)ncap, item);
    if (!p)
        return 0;
    if (n)
        memcpy(p, *arr, (size_t)n * item);
    ax_free(*arr);
    *arr = p;
    *cap = ncap;
    return 1;
}

static ax_status add_span(ax_optimizer *o, const ax_backend *be, float *w, float *g, int64_t n)
{
    if (!reserve((void **)&o->spans, o->n_spans, &o->cap_spans, sizeof *o->spans))
        return ax_fail(AX_ERR_NOMEM, "optimizer: out of memory");
    span *sp = &o->spans[o->n_spans];
    *sp = (span){be, o->algo->update ? be->optim_update(o->algo) : NULL, w, g, n, {NULL}};
    if (o->algo->update && !sp->update)
        return ax_fail(AX_ERR_STATE, "optimizer %s: no update kernel on the %s backend", o->algo->name, be->name);
    for (int k = 0; k < o->algo->n_state; k++) {
        sp->state[k] = be->alloc((size_t)n * sizeof(float));
        if (!sp->state[k]) {
            for (int j = 0; j < k; j++)
                be->free(sp->state[j]);
            return ax_fail(AX_ERR_NOMEM, "optimizer: cannot allocate state for %lld values", (long long)n);
        }
        memset(sp->state[k], 0, (size_t)n * sizeof(float));
    }
    o->n_spans++;
    return AX_OK;
}

static ax_status add_segment(ax_optimizer *o, int64_t off, int64_t n, int64_t rows, const ax_node *node)
{
    if (!reserve((void **)&o->segs, o->n_segs, &o->cap_segs, sizeof *o->segs))
        return ax_fail(AX_ERR_NOMEM, "optimizer: out of memory");
    o->segs[o->n_segs++] = (segment){o->n_spans - 1, off, n, rows, node};
    return AX_OK;
}

static ax_status add_array(ax_optimizer *o, float *w, const float *g, int64_t n, int64_t rows)
{
    if (!w || (!g && o->algo->update) || n <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "optimizer: a parameter needs data, a gradient and n > 0");
    if (rows < 0 || (rows > 0 && n % rows))
        return ax_fail(AX_ERR_INVALID_ARG, "optimizer: %lld values do not make %lld rows",
                       (long long)n, (long long)rows);
    ax_status s = add_span(o, ax_backend_cpu(), w, (float *)g, n);
    return s != AX_OK ? s : add_segment(o, 0, n, rows, NULL);
}

ax_status ax_optimizer_add(ax_optimizer *o, float *w, const float *grad, int64_t n)
{
    return add_array(o, w, grad, n, 0);
}

ax_status ax_optimizer_add_matrix(ax_optimizer *o, float *w, const float *grad, int64_t n, int64_t rows)
{
    return add_array(o, w, grad, n, rows);
}

ax_status ax_optimizer_add_graph(ax_optimizer *o, ax_graph *g)
{
    if (!ax_graph_compiled(g))
        return ax_fail(AX_ERR_STATE, "optimizer: compile the graph before adding its parameters");
    ax_span w = ax_graph_param_span(g), grad = ax_graph_grad_span(g);
    if (w.n == 0)
        return AX_OK; /* nothing learnable */
    /* Every learnable parameter is a segment, frozen or not: which ones
     * are updated is decided at each step. */
    ax_status s = add_span(o, ax_graph_backend_of(g), w.data, o->algo->update ? grad.data : NULL, w.n);
    for (int i = 0; i < ax_graph_num_params(g) && s == AX_OK; i++) {
        ax_node *p = ax_graph_param(g, i);
        if (ax_node_is_buffer(p))
            continue; /* state such as running statistics: never optimized */
        ax_shape sh = ax_node_shape(p);
        s = add_segment(o, ax_node_span_offset(p), ax_node_numel(p), sh.ndim >= 2 ? sh.dim[0] : 0, p);
    }
    return s;
}

/* Updated this step: not frozen, and (for gradient algorithms) given a
 * gradient by the last compile. */
static int active(const ax_optimizer *o, const segment *s)
{
    return !s->node || (!ax_node_frozen(s->node) && (!o->algo->update || ax_node_grad((ax_node *)s->node)));
}

/* The runs of consecutive active segments of each span, [off, off+n):
 * one run per span when nothing is frozen. Calls fn on each. */
typedef void (*run_fn)(ax_optimizer *o, span *sp, int64_t off, int64_t n, void *ctx);
static void for_each_run(ax_optimizer *o, run_fn fn, void *ctx)
{
    int i = 0;
    while (i < o->n_segs) {
        if (!active(o, &o->segs[i])) {
            i++;
            continue;
        }
        int j = i; /* extend over the following active segments of the same span */
        while (j + 1 < o->n_segs && o->segs[j + 1].span == o->segs[i].span && active(o, &o->segs[j + 1]))
            j++;
        int64_t off = o->segs[i].off, end = o->segs[j].off + o->segs[j].n;
        fn(o, &o->spans[o->segs[i].span], off, end - off, ctx);
        i = j + 1;
    }
}

static void run_sq_norm(ax_optimizer *o, span *sp, int64_t off, int64_t n, void *ctx)
{
    (void)o;
    *(double *)ctx += sp->backend->dot(n, sp->g + off, sp->g + off);
}

static void run_clip(ax_optimizer *o, span *sp, int64_t off, int64_t n, void *ctx)
{
    const float scale = *(const float *)ctx, cv = o->cfg.clip_value;
    float *g = sp->g + off;
    for (int64_t k = 0; k < n; k++) {
        float v = g[k] * scale;
        g[k] = cv > 0.0f ? fminf(fmaxf(v, -cv), cv) : v;
    }
}

/* Clip the gradients in place, as configured. The gradient buffers belong
 * to the graph and are recomputed by the next backward pass. */
static void clip(ax_optimizer *o)
{
    if (o->cfg.clip_norm <= 0.0f && o->cfg.clip_value <= 0.0f)
        return;
    double sq = 0.0;
    for_each_run(o, run_sq_norm, &sq);
    o->last_norm = sqrt(sq);
    float scale = 1.0f;
    if (o->cfg.clip_norm > 0.0f && o->last_norm > o->cfg.clip_norm)
        scale = (float)(o->cfg.clip_norm / (o->last_norm + 1e-6));
    if (o->cfg.clip_value <= 0.0f && scale == 1.0f)
        return;
    for_each_run(o, run_clip, &scale);
}

/* Scale each row of each matrix to L2 norm at most max_norm. */
static void constrain(ax_optimizer *o)
{
    const float c = o->cfg.max_norm;
    for (int i = 0; i < o->n_segs; i++) {
        segment *s = &o->segs[i];
        if (!active(o, s) || s->rows == 0)
            continue;
        int64_t cols = s->n / s->rows;
        for (int64_t r = 0; r < s->rows; r++) {
            const span *sp = &o->spans[s->span];
            float *row = sp->w + s->off + r * cols;
            double norm = sqrt(sp->backend->dot(cols, row, row));
            if (norm > c)
                sp->backend->scale(cols, (float)(c / (norm + 1e-7)), row);
        }
    }
}

static void run_update(ax_optimizer *o, span *sp, int64_t off, int64_t n, void *ctx)
{
    (void)ctx;
    float *w = sp->w + off;
    const float keep = 1.0f - o->cfg.lr * o->cfg.decoupled_weight_decay;
    if (keep != 1.0f)
        for (int64_t k = 0; k < n; k++)
            w[k] *= keep;
    float *state[AX_OPTIM_MAX_STATE] = {NULL};
    for (int k = 0; k < o->algo->n_state; k++)
        state[k] = sp->state[k] + off;
    sp->update(&o->cfg, o->t, o->aux, w, sp->g + off, state, n);
}

ax_status ax_optimizer_step(ax_optimizer *o)
{
    if (!o->algo->update)
        return ax_fail(AX_ERR_STATE, "optimizer %s: gradient-free, drive it with ax_optimizer_trial",
                       o->algo->name);
    o->t++;
    clip(o);
    if (o->algo->begin_step)
        o->algo->begin_step(&o->cfg, o->t, o->aux);
    for_each_run(o, run_update, NULL);
    if (o->cfg.max_norm > 0.0f)
        constrain(o);
    return AX_OK;
}

ax_status ax_optimizer_trial(ax_optimizer *o, ax_loss_fn loss, void *ctx, int *accepted)
{
    enum { MAX_PERTURB = 64 };
    if (o->algo->update)
        return ax_fail(AX_ERR_STATE, "optimizer %s: ax_optimizer_trial is for trial_error", o->algo->name);
    if (o->n_segs == 0)
        return ax_fail(AX_ERR_STATE, "trial_error: no parameters added");
    if (!o->have_best) {
        o->best_loss = loss(ctx);
        o->have_best = 1;
    }
    int k = o->cfg.perturb < MAX_PERTURB ? o->cfg.perturb : MAX_PERTURB;
    float *where[MAX_PERTURB], saved[MAX_PERTURB];
    for (int j = 0; j < k; j++) {
        const segment *s = &o->segs[ax_rng_below(&o->rng, (uint32_t)o->n_segs)];
        where[j] = o->spans[s->span].w + s->off + ax_rng_below(&o->rng, (uint32_t)s->n);
        saved[j] = *where[j];
        *where[j] += o->cfg.lr * ax_rng_normal(&o->rng);
    }
    o->t++;
    double l = loss(ctx);
    int keep = l < o->best_loss;
    if (keep)
        o->best_loss = l;
    else
        for (int j = k - 1; j >= 0; j--) /* in reverse: a weight picked twice gets its first value */
            *where[j] = saved[j];
    if (accepted)
        *accepted = keep;
    return AX_OK;
}

int ax_optimizer_num_arrays(const ax_optimizer *o) { return o->n_segs; }
int ax_optimizer_num_state(const ax_optimizer *o) { return o->algo->n_state; }
float *ax_optimizer_state(ax_optimizer *o, int array, int k, int64_t *n)
{
    if (array < 0 || array >= o->n_segs || k < 0 || k >= o->algo->n_state)
        return NULL;
    const segment *s = &o->segs[array];
    const span *sp = &o->spans[s->span];
    *n = s->n;
    return (float *)sp->backend->map(sp->state[k] + s->off, (size_t)s->n * sizeof(float));
}

void ax_optimizer_unmap_state(ax_optimizer *o, int array, int k, float *view, int write_back)
{
    if (array < 0 || array >= o->n_segs || k < 0 || k >= o->algo->n_state)
        return;
    const segment *s = &o->segs[array];
    const span *sp = &o->spans[s->span];
    sp->backend->unmap(view, sp->state[k] + s->off, (size_t)s->n * sizeof(float), write_back);
}
const ax_node *ax_optimizer_array_node(const ax_optimizer *o, int array)
{
    return array >= 0 && array < o->n_segs ? o->segs[array].node : NULL;
}
void ax_optimizer_set_steps(ax_optimizer *o, int64_t t) { o->t = t; }
double *ax_optimizer_aux(ax_optimizer *o) { return o->aux; }

void ax_optimizer_set_lr(ax_optimizer *o, float lr) { o->cfg.lr = lr; }
float ax_optimizer_lr(const ax_optimizer *o) { return o->cfg.lr; }
int64_t ax_optimizer_steps(const ax_optimizer *o) { return o->t; }
const char *ax_optimizer_name(const ax_optimizer *o) { return o->algo->name; }
const ax_optim_config *ax_optimizer_config(const ax_optimizer *o) { return &o->cfg; }
double ax_optimizer_last_grad_norm(const ax_optimizer *o) { return o->last_norm; }
