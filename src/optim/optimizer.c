/* The optimizer object: parameters and their state, the step counter,
 * clipping before the update and constraints after it, and the list of
 * algorithms by name. */
#include "optim/algo.h"

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

typedef struct slot {
    float *w;
    const float *g;
    int64_t n, rows;     /* rows > 0: a matrix, for max_norm */
    const ax_node *node; /* for graph parameters: checked for freezing */
    float *state[AX_OPTIM_MAX_STATE];
} slot;

struct ax_optimizer {
    const ax_optim_algo *algo;
    ax_optim_config cfg;
    slot *slots;
    int n_slots, cap_slots;
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
    for (int i = 0; i < o->n_slots; i++)
        for (int k = 0; k < AX_OPTIM_MAX_STATE; k++)
            ax_free(o->slots[i].state[k]);
    ax_free(o->slots);
    ax_free(o);
}

static ax_status add_slot(ax_optimizer *o, float *w, const float *g, int64_t n, int64_t rows,
                          const ax_node *node)
{
    if (!w || (!g && o->algo->update) || n <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "optimizer: a parameter needs data, a gradient and n > 0");
    if (rows < 0 || (rows > 0 && n % rows))
        return ax_fail(AX_ERR_INVALID_ARG, "optimizer: %lld values do not make %lld rows",
                       (long long)n, (long long)rows);
    if (o->n_slots == o->cap_slots) {
        int ncap = o->cap_slots ? o->cap_slots * 2 : 8;
        slot *p = ax_calloc((size_t)ncap, sizeof *p);
        if (!p)
            return ax_fail(AX_ERR_NOMEM, "optimizer: out of memory");
        if (o->n_slots)
            memcpy(p, o->slots, (size_t)o->n_slots * sizeof *p);
        ax_free(o->slots);
        o->slots = p;
        o->cap_slots = ncap;
    }
    slot *s = &o->slots[o->n_slots];
    memset(s, 0, sizeof *s);
    for (int k = 0; k < o->algo->n_state; k++) {
        s->state[k] = ax_alloc_aligned((size_t)n * sizeof(float));
        if (!s->state[k]) {
            for (int j = 0; j < k; j++)
                ax_free(s->state[j]);
            return ax_fail(AX_ERR_NOMEM, "optimizer: cannot allocate state for %lld values",
                           (long long)n);
        }
        memset(s->state[k], 0, (size_t)n * sizeof(float));
    }
    *s = (slot){w, g, n, rows, node, {s->state[0], s->state[1], s->state[2]}};
    o->n_slots++;
    return AX_OK;
}

ax_status ax_optimizer_add(ax_optimizer *o, float *w, const float *grad, int64_t n)
{
    return add_slot(o, w, grad, n, 0, NULL);
}

ax_status ax_optimizer_add_matrix(ax_optimizer *o, float *w, const float *grad, int64_t n, int64_t rows)
{
    return add_slot(o, w, grad, n, rows, NULL);
}

ax_status ax_optimizer_add_graph(ax_optimizer *o, ax_graph *g)
{
    for (int i = 0; i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        if (ax_node_is_buffer(p))
            continue; /* state such as running statistics: never optimized */
        if (!ax_node_grad(p) && o->algo->update) {
            if (ax_node_frozen(p))
                continue; /* compiled frozen: it has no gradient to follow */
            return ax_fail(AX_ERR_STATE, "optimizer: parameter '%s' has no gradient (compile the graph first)",
                           ax_node_name(p));
        }
        ax_shape s = ax_node_shape(p);
        ax_status st = add_slot(o, ax_node_data(p), ax_node_grad(p), ax_node_numel(p),
                                s.ndim >= 2 ? s.dim[0] : 0, p);
        if (st != AX_OK)
            return st;
    }
    return AX_OK;
}

static int active(const slot *s) { return !(s->node && ax_node_frozen(s->node)); }

/* Clip the gradients in place, as configured. The gradient buffers belong
 * to the graph and are recomputed by the next backward pass. */
static void clip(ax_optimizer *o)
{
    if (o->cfg.clip_norm <= 0.0f && o->cfg.clip_value <= 0.0f)
        return;
    double sq = 0.0;
    for (int i = 0; i < o->n_slots; i++)
        if (active(&o->slots[i]))
            sq += ax_k_dot(o->slots[i].n, o->slots[i].g, o->slots[i].g);
    o->last_norm = sqrt(sq);
    const float cv = o->cfg.clip_value;
    float scale = 1.0f;
    if (o->cfg.clip_norm > 0.0f && o->last_norm > o->cfg.clip_norm)
        scale = (float)(o->cfg.clip_norm / (o->last_norm + 1e-6));
    if (cv <= 0.0f && scale == 1.0f)
        return;
    for (int i = 0; i < o->n_slots; i++) {
        slot *s = &o->slots[i];
        if (!active(s))
            continue;
        float *g = (float *)s->g;
        for (int64_t k = 0; k < s->n; k++) {
            float v = g[k] * scale;
            g[k] = cv > 0.0f ? fminf(fmaxf(v, -cv), cv) : v;
        }
    }
}

/* Scale each row of each matrix to L2 norm at most max_norm. */
static void constrain(ax_optimizer *o)
{
    const float c = o->cfg.max_norm;
    for (int i = 0; i < o->n_slots; i++) {
        slot *s = &o->slots[i];
        if (!active(s) || s->rows == 0)
            continue;
        int64_t cols = s->n / s->rows;
        for (int64_t r = 0; r < s->rows; r++) {
            float *row = s->w + r * cols;
            double norm = sqrt(ax_k_dot(cols, row, row));
            if (norm > c) {
                float f = (float)(c / (norm + 1e-7));
                for (int64_t k = 0; k < cols; k++)
                    row[k] *= f;
            }
        }
    }
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
    const float keep = 1.0f - o->cfg.lr * o->cfg.decoupled_weight_decay;
    for (int i = 0; i < o->n_slots; i++) {
        slot *s = &o->slots[i];
        if (!active(s))
            continue;
        if (keep != 1.0f)
            for (int64_t k = 0; k < s->n; k++)
                s->w[k] *= keep;
        o->algo->update(&o->cfg, o->t, o->aux, s->w, s->g, s->state, s->n);
    }
    if (o->cfg.max_norm > 0.0f)
        constrain(o);
    return AX_OK;
}

ax_status ax_optimizer_trial(ax_optimizer *o, ax_loss_fn loss, void *ctx, int *accepted)
{
    enum { MAX_PERTURB = 64 };
    if (o->algo->update)
        return ax_fail(AX_ERR_STATE, "optimizer %s: ax_optimizer_trial is for trial_error", o->algo->name);
    if (o->n_slots == 0)
        return ax_fail(AX_ERR_STATE, "trial_error: no parameters added");
    if (!o->have_best) {
        o->best_loss = loss(ctx);
        o->have_best = 1;
    }
    int k = o->cfg.perturb < MAX_PERTURB ? o->cfg.perturb : MAX_PERTURB;
    float *where[MAX_PERTURB], saved[MAX_PERTURB];
    for (int j = 0; j < k; j++) {
        slot *s = &o->slots[ax_rng_below(&o->rng, (uint32_t)o->n_slots)];
        where[j] = s->w + ax_rng_below(&o->rng, (uint32_t)s->n);
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

int ax_optimizer_num_arrays(const ax_optimizer *o) { return o->n_slots; }
int ax_optimizer_num_state(const ax_optimizer *o) { return o->algo->n_state; }
float *ax_optimizer_state(ax_optimizer *o, int array, int k, int64_t *n)
{
    if (array < 0 || array >= o->n_slots || k < 0 || k >= o->algo->n_state)
        return NULL;
    *n = o->slots[array].n;
    return o->slots[array].state[k];
}
const ax_node *ax_optimizer_array_node(const ax_optimizer *o, int array)
{
    return array >= 0 && array < o->n_slots ? o->slots[array].node : NULL;
}
void ax_optimizer_set_steps(ax_optimizer *o, int64_t t) { o->t = t; }
double *ax_optimizer_aux(ax_optimizer *o) { return o->aux; }

void ax_optimizer_set_lr(ax_optimizer *o, float lr) { o->cfg.lr = lr; }
float ax_optimizer_lr(const ax_optimizer *o) { return o->cfg.lr; }
int64_t ax_optimizer_steps(const ax_optimizer *o) { return o->t; }
const char *ax_optimizer_name(const ax_optimizer *o) { return o->algo->name; }
const ax_optim_config *ax_optimizer_config(const ax_optimizer *o) { return &o->cfg; }
double ax_optimizer_last_grad_norm(const ax_optimizer *o) { return o->last_norm; }
