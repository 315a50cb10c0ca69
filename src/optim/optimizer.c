/* The optimizer object: parameters, their state, the step counter, and
 * the list of algorithms by name. */
#include "optim/algo.h"

#include <string.h>

extern const ax_optim_algo ax_optim_sgd;
extern const ax_optim_algo ax_optim_adam;

static const ax_optim_algo *const algorithms[] = {&ax_optim_sgd, &ax_optim_adam};

typedef struct slot {
    float *w;
    const float *g;
    int64_t n;
    const ax_node *node; /* for graph parameters: checked for freezing */
    float *state[AX_OPTIM_MAX_STATE];
} slot;

struct ax_optimizer {
    const ax_optim_algo *algo;
    ax_optim_config cfg;
    slot *slots;
    int n_slots, cap_slots;
    int64_t t;
};

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

static ax_status add_slot(ax_optimizer *o, float *w, const float *g, int64_t n, const ax_node *node)
{
    if (!w || !g || n <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "optimizer: parameter needs data, a gradient and n > 0");
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
    s->w = w;
    s->g = g;
    s->n = n;
    s->node = node;
    o->n_slots++;
    return AX_OK;
}

ax_status ax_optimizer_add(ax_optimizer *o, float *w, const float *grad, int64_t n)
{
    return add_slot(o, w, grad, n, NULL);
}

ax_status ax_optimizer_add_graph(ax_optimizer *o, ax_graph *g)
{
    for (int i = 0; i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        if (!ax_node_grad(p)) {
            if (ax_node_frozen(p))
                continue; /* compiled frozen: it has no gradient to follow */
            return ax_fail(AX_ERR_STATE, "optimizer: parameter '%s' has no gradient (compile the graph first)",
                           ax_node_name(p));
        }
        ax_status s = add_slot(o, ax_node_data(p), ax_node_grad(p), ax_node_numel(p), p);
        if (s != AX_OK)
            return s;
    }
    return AX_OK;
}

ax_status ax_optimizer_step(ax_optimizer *o)
{
    o->t++;
    for (int i = 0; i < o->n_slots; i++) {
        slot *s = &o->slots[i];
        if (s->node && ax_node_frozen(s->node))
            continue;
        o->algo->update(&o->cfg, o->t, s->w, s->g, s->state, s->n);
    }
    return AX_OK;
}

void ax_optimizer_set_lr(ax_optimizer *o, float lr) { o->cfg.lr = lr; }
float ax_optimizer_lr(const ax_optimizer *o) { return o->cfg.lr; }
int64_t ax_optimizer_steps(const ax_optimizer *o) { return o->t; }
const char *ax_optimizer_name(const ax_optimizer *o) { return o->algo->name; }
