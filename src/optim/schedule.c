/* Learning-rate schedules. Each gives lr(t) from the base rate lr0 and the
 * epoch count t (calls to ax_schedule_step so far), after an optional
 * linear warm-up; reduce_on_plateau instead watches a metric.
 *   constant      lr0
 *   step          lr0 gamma^floor(t / step_size)
 *   multistep     lr0 gamma^(number of milestones <= t)
 *   exponential   lr0 gamma^t
 *   inverse_time  lr0 / (1 + decay_rate t / decay_steps)
 *   polynomial    (lr0 - end) (1 - min(t, T) / T)^power + end
 *   cosine        end + (lr0 - end) (1 + cos(pi min(t, T) / T)) / 2
 *   warmup        lr0 (constant after the warm-up)
 * Warm-up (warmup_steps W > 0, any schedule): lr0 (s + (1 - s) t / W) for
 * t < W, s = warmup_start; then the schedule at t - W. */
#include "axon/optim.h"

#include <math.h>
#include <string.h>

typedef enum { CONSTANT, STEP, MULTISTEP, EXPONENTIAL, INVERSE_TIME, POLYNOMIAL, COSINE, WARMUP, PLATEAU } kind;

static const char *const kind_names[] = {"constant", "step", "multistep", "exponential",
                                         "inverse_time", "polynomial", "cosine", "warmup",
                                         "reduce_on_plateau"};

struct ax_schedule {
    kind k;
    ax_schedule_config c;
    int t;
    float lr0;           /* taken from the optimizer at the first step */
    int started;
    /* reduce_on_plateau */
    float lr;
    double best;
    int bad_epochs, cooldown_left;
};

static int find(const char *name)
{
    for (int i = 0; i < (int)(sizeof kind_names / sizeof kind_names[0]); i++)
        if (strcmp(kind_names[i], name) == 0)
            return i;
    return -1;
}

ax_status ax_schedule_defaults(const char *name, ax_schedule_config *c)
{
    int k = find(name);
    if (k < 0)
        return ax_fail(AX_ERR_INVALID_ARG, "schedule: unknown name '%s' (known: constant, step, "
                       "multistep, exponential, inverse_time, polynomial, cosine, warmup, "
                       "reduce_on_plateau)", name);
    memset(c, 0, sizeof *c);
    c->step_size = 10;
    c->gamma = k == EXPONENTIAL ? 0.95f : 0.1f;
    c->decay_rate = 1.0f;
    c->decay_steps = 1.0f;
    c->power = 1.0f;
    c->total_steps = 100;
    c->factor = 0.1f;
    c->patience = 10;
    c->threshold = 1e-4f;
    c->warmup_start = 0.0f;
    if (k == WARMUP)
        c->warmup_steps = 5;
    return AX_OK;
}

ax_status ax_schedule_new(const char *name, const ax_schedule_config *cfg, ax_schedule **out)
{
    *out = NULL;
    ax_schedule_config c;
    ax_status s = ax_schedule_defaults(name, &c);
    if (s != AX_OK)
        return s;
    if (cfg)
        c = *cfg;
    int k = find(name);
    if ((k == STEP && c.step_size < 1) || ((k == POLYNOMIAL || k == COSINE) && c.total_steps < 1) ||
        (k == INVERSE_TIME && !(c.decay_steps > 0.0f)) || c.warmup_steps < 0 ||
        (k == PLATEAU && !(c.factor > 0.0f && c.factor < 1.0f)) || !(c.gamma >= 0.0f) ||
        c.n_milestones < 0 || c.n_milestones > 16)
        return ax_fail(AX_ERR_INVALID_ARG,
                       "schedule %s: needs step_size >= 1, total_steps >= 1, decay_steps > 0, "
                       "0 < factor < 1, gamma >= 0, warmup_steps >= 0, 0..16 milestones",
                       name);
    for (int i = 1; i < c.n_milestones; i++)
        if (c.milestones[i] <= c.milestones[i - 1])
            return ax_fail(AX_ERR_INVALID_ARG, "schedule multistep: milestones must ascend");
    ax_schedule *sch = ax_calloc(1, sizeof *sch);
    if (!sch)
        return ax_fail(AX_ERR_NOMEM, "schedule: out of memory");
    sch->k = (kind)k;
    sch->c = c;
    *out = sch;
    return AX_OK;
}

void ax_schedule_free(ax_schedule *s) { ax_free(s); }

float ax_schedule_lr(const ax_schedule *s, float lr0, int t)
{
    const ax_schedule_config *c = &s->c;
    if (s->k == PLATEAU)
        return s->lr;
    if (t < c->warmup_steps)
        return lr0 * (c->warmup_start + (1.0f - c->warmup_start) * (float)t / (float)c->warmup_steps);
    t -= c->warmup_steps;
    switch (s->k) {
    case CONSTANT: case WARMUP: case PLATEAU: return lr0;
    case STEP: return lr0 * powf(c->gamma, (float)(t / c->step_size));
    case MULTISTEP: {
        int passed = 0;
        for (int i = 0; i < c->n_milestones; i++)
            passed += t >= c->milestones[i];
        return lr0 * powf(c->gamma, (float)passed);
    }
    case EXPONENTIAL: return lr0 * powf(c->gamma, (float)t);
    case INVERSE_TIME: return lr0 / (1.0f + c->decay_rate * (float)t / c->decay_steps);
    case POLYNOMIAL: {
        float f = 1.0f - (float)(t < c->total_steps ? t : c->total_steps) / (float)c->total_steps;
        return (lr0 - c->end_lr) * powf(f, c->power) + c->end_lr;
    }
    case COSINE: {
        float f = (float)(t < c->total_steps ? t : c->total_steps) / (float)c->total_steps;
        return c->end_lr + (lr0 - c->end_lr) * 0.5f * (1.0f + cosf(3.14159265358979f * f));
    }
    }
    return lr0;
}

/* reduce_on_plateau, as PyTorch's ReduceLROnPlateau with relative threshold. */
static void plateau(ax_schedule *s, double metric)
{
    const ax_schedule_config *c = &s->c;
    int better = c->mode_max ? metric > s->best * (1.0 + c->threshold)
                             : metric < s->best * (1.0 - c->threshold);
    if (s->t == 1 || better) {
        s->best = metric;
        s->bad_epochs = 0;
    } else {
        s->bad_epochs++;
    }
    if (s->cooldown_left > 0) {
        s->cooldown_left--;
        s->bad_epochs = 0;
    }
    if (s->bad_epochs > c->patience) {
        float next = fmaxf(s->lr * c->factor, c->min_lr);
        if (s->lr - next > 1e-8f)
            s->lr = next;
        s->cooldown_left = c->cooldown;
        s->bad_epochs = 0;
    }
}

ax_status ax_schedule_step(ax_schedule *s, ax_optimizer *o, double metric)
{
    if (!s->started) {
        s->lr0 = s->lr = ax_optimizer_lr(o);
        s->started = 1;
    }
    s->t++;
    if (s->k == PLATEAU) {
        if (!isfinite(metric))
            return ax_fail(AX_ERR_NUMERIC, "reduce_on_plateau: the monitored metric is %g", metric);
        plateau(s, metric);
    }
    ax_optimizer_set_lr(o, ax_schedule_lr(s, s->lr0, s->t));
    return AX_OK;
}
