/* The built-in callbacks: early stopping, gradient accumulation, a CSV
 * logger, SVG curves, a schedule stepper. */
#include "axon/train.h"
#include "axon/plot.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ax_callback_free(ax_callback *cb)
{
    if (!cb)
        return;
    if (cb->destroy)
        cb->destroy(cb);
    ax_free(cb);
}

static ax_status new_callback(const char *name, void *state, ax_callback **out)
{
    *out = ax_calloc(1, sizeof **out);
    if (!*out) {
        ax_free(state);
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", name);
    }
    (*out)->name = name;
    (*out)->state = state;
    return AX_OK;
}

/* AX_MONITOR_HEAD(monitor, k): monitor + 4 (k + 1) */
static int monitor_head(ax_monitor m) { return (int)m / 4 - 1; }
static ax_monitor monitor_kind(ax_monitor m) { return (ax_monitor)((int)m % 4); }

double ax_monitor_value(ax_monitor m, const ax_epoch_log *log)
{
    const int k = monitor_head(m);
    if (k >= 0) {
        if (k >= log->n_heads)
            return NAN;
        const ax_metrics *t = &log->train_heads[k], *v = &log->test_heads[k];
        switch (monitor_kind(m)) {
        case AX_MONITOR_VAL_LOSS: return log->test.samples ? v->loss : NAN;
        case AX_MONITOR_VAL_ACCURACY: return log->test.samples ? v->accuracy : NAN;
        case AX_MONITOR_LOSS: return t->loss;
        case AX_MONITOR_ACCURACY: return t->accuracy;
        }
    }
    switch (m) {
    case AX_MONITOR_VAL_LOSS: return log->test.samples ? log->test.loss : NAN;
    case AX_MONITOR_VAL_ACCURACY: return log->test.samples ? log->test.accuracy : NAN;
    case AX_MONITOR_LOSS: return log->train.loss;
    case AX_MONITOR_ACCURACY: return log->train.accuracy;
    }
    return NAN;
}

/* ---- early stopping ---------------------------------------------------- */

typedef struct stopper {
    ax_monitor monitor;
    double min_delta, best;
    int patience, restore, best_epoch, waited;
    float *snapshot; /* every parameter and buffer at the best epoch */
    int64_t snapshot_len;
} stopper;

static int64_t params_len(ax_graph *g) { return ax_graph_param_span(g).n + ax_graph_buffer_span(g).n; }

/* copy the parameter and buffer spans into (save) or out of (restore) the snapshot */
static void snapshot(stopper *s, ax_graph *g, int save)
{
    ax_span spans[2] = {ax_graph_param_span(g), ax_graph_buffer_span(g)};
    float *at = s->snapshot;
    for (int i = 0; i < 2; i++) {
        size_t bytes = (size_t)spans[i].n * sizeof(float);
        if (save)
            memcpy(at, spans[i].data, bytes);
        else if (bytes)
            memcpy(spans[i].data, at, bytes);
        at += spans[i].n;
    }
}

static ax_status stopper_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    stopper *s = cb->state;
    double v = ax_monitor_value(s->monitor, log);
    if (isnan(v))
        return ax_fail(AX_ERR_INVALID_ARG, "early stopping: the monitored value is missing (a val_ monitor needs held-out "
                       "data, an accuracy a classifier, a head's value a model with that head)");
    const ax_monitor kind = monitor_kind(s->monitor);
    int higher_is_better = kind == AX_MONITOR_VAL_ACCURACY || kind == AX_MONITOR_ACCURACY;
    int improved = s->best_epoch == 0 || (higher_is_better ? v > s->best + s->min_delta : v < s->best - s->min_delta);
    if (improved) {
        s->best = v;
        s->best_epoch = log->epoch;
        s->waited = 0;
        if (s->restore) {
            if (!s->snapshot) {
                s->snapshot_len = params_len(m->graph);
                s->snapshot = ax_alloc((size_t)s->snapshot_len * sizeof(float));
                if (!s->snapshot)
                    return ax_fail(AX_ERR_NOMEM, "early stopping: no memory for a copy of the weights");
            }
            snapshot(s, m->graph, 1);
        }
    } else if (++s->waited >= s->patience) {
        *stop = 1;
    }
    return AX_OK;
}

static ax_status stopper_train_end(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int epochs_run)
{
    (void)logs, (void)epochs_run;
    stopper *s = cb->state;
    if (s->restore && s->snapshot && s->snapshot_len == params_len(m->graph))
        snapshot(s, m->graph, 0);
    return AX_OK;
}

static void stopper_destroy(ax_callback *cb)
{
    stopper *s = cb->state;
    ax_free(s->snapshot);
    ax_free(s);
}

ax_status ax_early_stopping_new(ax_monitor monitor, double min_delta, int patience, int restore_best,
                                ax_callback **out)
{
    *out = NULL;
    if (patience < 1 || !(min_delta >= 0) || (int)monitor < 0 || monitor_head(monitor) >= AX_MAX_HEADS)
        return ax_fail(AX_ERR_INVALID_ARG, "early stopping: needs patience >= 1, min_delta >= 0 and a known monitor");
    stopper *s = ax_calloc(1, sizeof *s);
    if (!s)
        return ax_fail(AX_ERR_NOMEM, "early stopping: out of memory");
    *s = (stopper){monitor, min_delta, 0, patience, restore_best != 0, 0, 0, NULL, 0};
    ax_status st = new_callback("early_stopping", s, out);
    if (st == AX_OK) {
        (*out)->epoch_end = stopper_epoch_end;
        (*out)->train_end = stopper_train_end;
        (*out)->destroy = stopper_destroy;
    }
    return st;
}

/* ---- gradient accumulation -------------------------------------------- */

typedef struct accumulator {
    int k, count;  /* steps per update; steps gathered so far */
    float *sum;    /* the gradient span's running sum */
    int64_t n;
} accumulator;

static ax_status accumulate(ax_callback *cb, ax_model *m, ax_step *step)
{
    (void)m;
    accumulator *a = cb->state;
    if (!a->sum || a->n != step->grads.n) {
        ax_free(a->sum);
        a->n = step->grads.n;
        a->count = 0;
        if (!(a->sum = ax_alloc_aligned((size_t)(a->n ? a->n : 1) * sizeof(float))))
            return ax_fail(AX_ERR_NOMEM, "gradient accumulation: no memory for %lld gradients", (long long)a->n);
    }
    float *g = step->grads.data, *sum = a->sum;
    if (a->count++ == 0)
        memcpy(sum, g, (size_t)a->n * sizeof(float));
    else
        for (int64_t i = 0; i < a->n; i++)
            sum[i] += g[i];
    if (a->count < a->k) {
        step->skip_update = 1;
        return AX_OK;
    }
    const float inv = 1.0f / (float)a->k;
    for (int64_t i = 0; i < a->n; i++)
        g[i] = sum[i] * inv;
    a->count = 0;
    return AX_OK;
}

static void accumulator_destroy(ax_callback *cb)
{
    accumulator *a = cb->state;
    ax_free(a->sum);
    ax_free(a);
}

ax_status ax_grad_accumulation_new(int k, ax_callback **out)
{
    *out = NULL;
    if (k < 1)
        return ax_fail(AX_ERR_INVALID_ARG, "gradient accumulation: needs k >= 1 steps per update, got %d", k);
    accumulator *a = ax_calloc(1, sizeof *a);
    if (!a)
        return ax_fail(AX_ERR_NOMEM, "gradient accumulation: out of memory");
    a->k = k;
    ax_status st = new_callback("grad_accumulation", a, out);
    if (st == AX_OK) {
        (*out)->grads_ready = accumulate;
        (*out)->destroy = accumulator_destroy;
    }
    return st;
}

int ax_early_stopping_best(const ax_callback *cb, double *value)
{
    const stopper *s = cb->state;
    if (value)
        *value = s->best;
    return s->best_epoch;
}

/* ---- schedule stepping ------------------------------------------------- */

typedef struct stepper {
    ax_schedule *schedule;
    ax_optimizer *opt;
    ax_monitor monitor;
} stepper;

static ax_status stepper_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)m, (void)stop;
    stepper *s = cb->state;
    return ax_schedule_step(s->schedule, s->opt, ax_monitor_value(s->monitor, log));
}

static void free_state(ax_callback *cb) { ax_free(cb->state); }

ax_status ax_schedule_callback_new(ax_schedule *s, ax_optimizer *o, ax_monitor monitor, ax_callback **out)
{
    *out = NULL;
    stepper *st = ax_calloc(1, sizeof *st);
    if (!st)
        return ax_fail(AX_ERR_NOMEM, "schedule callback: out of memory");
    *st = (stepper){s, o, monitor};
    ax_status r = new_callback("schedule", st, out);
    if (r == AX_OK) {
        (*out)->epoch_end = stepper_epoch_end;
        (*out)->destroy = free_state;
    }
    return r;
}

/* ---- CSV logger -------------------------------------------------------- */

typedef struct csv_log {
    FILE *f;
    int columns; /* the header is written: each head's columns too */
} csv_log;

static ax_status csv_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)stop;
    csv_log *c = cb->state;
    FILE *f = c->f;
    const int heads = log->n_heads < m->n_heads ? log->n_heads : m->n_heads;
    if (!c->columns) { /* the first epoch: the model's heads are known now */
        fprintf(f, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds");
        for (int k = 0; k < heads; k++) {
            const char *h = m->heads[k].name;
            fprintf(f, ",%s_loss,%s_accuracy,val_%s_loss,val_%s_accuracy", h, h, h, h);
        }
        fprintf(f, "\n");
        c->columns = 1;
    }
    fprintf(f, "%d,%.6g,%.6g,", log->epoch, log->train.loss, log->train.accuracy);
    if (log->test.samples)
        fprintf(f, "%.6g,%.6g,", log->test.loss, log->test.accuracy);
    else
        fprintf(f, ",,");
    fprintf(f, "%.6g,%.3f", (double)log->lr, log->seconds);
    for (int k = 0; k < heads; k++) {
        fprintf(f, ",%.6g,%.6g", log->train_heads[k].loss, log->train_heads[k].accuracy);
        if (log->test.samples)
            fprintf(f, ",%.6g,%.6g", log->test_heads[k].loss, log->test_heads[k].accuracy);
        else
            fprintf(f, ",,");
    }
    fprintf(f, "\n");
    if (fflush(f) != 0 || ferror(f))
        return ax_fail(AX_ERR_IO, "csv logger: write failed: %s", strerror(errno));
    return AX_OK;
}

static void csv_destroy(ax_callback *cb)
{
    csv_log *c = cb->state;
    fclose(c->f);
    ax_free(c);
    cb->state = NULL;
}

ax_status ax_csv_logger_new(const char *path, ax_callback **out)
{
    *out = NULL;
    FILE *f = fopen(path, "w");
    if (!f)
        return ax_fail(AX_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    csv_log *c = ax_calloc(1, sizeof *c);
    if (c)
        c->f = f;
    ax_status s = c ? new_callback("csv_logger", c, out) : ax_fail(AX_ERR_NOMEM, "csv logger: out of memory");
    if (s != AX_OK) { /* new_callback freed c */
        fclose(f);
        return s;
    }
    (*out)->epoch_end = csv_epoch_end;
    (*out)->destroy = csv_destroy;
    return AX_OK;
}

/* ---- SVG curves -------------------------------------------------------- */

static ax_status svg_train_end(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int n)
{
    if (n < 1)
        return AX_OK;
    const int heads = logs[0].n_heads < m->n_heads ? logs[0].n_heads : m->n_heads;
    /* epochs, then per curve (total loss and accuracy, each head's loss and
     * accuracy) the training and the held-out values */
    const int curves = 2 + 2 * heads;
    double *v = ax_alloc((size_t)(1 + 2 * curves) * (size_t)n * sizeof *v);
    ax_series *series = ax_alloc((size_t)(2 * curves + 4 * heads) * sizeof *series);
    char (*labels)[48] = ax_alloc((size_t)(2 * curves) * sizeof *labels);
    if (!v || !series || !labels) {
        ax_free(v), ax_free(series), ax_free(labels);
        return ax_fail(AX_ERR_NOMEM, "svg curves: out of memory");
    }
    double *epoch = v;
    int have_val = 0;
    for (int i = 0; i < n; i++) {
        epoch[i] = logs[i].epoch;
        have_val |= logs[i].test.samples > 0;
    }
    for (int c = 0; c < curves; c++) { /* curve c: 0 loss, 1 accuracy, 2 + 2h head h's loss, 3 + 2h its accuracy */
        const int h = c >= 2 ? (c - 2) / 2 : -1, acc = c % 2;
        for (int side = 0; side < 2; side++) {
            double *y = v + (size_t)(1 + 2 * c + side) * (size_t)n;
            for (int i = 0; i < n; i++) {
                const ax_metrics *mt = h < 0 ? (side ? &logs[i].test : &logs[i].train)
                                             : (side ? &logs[i].test_heads[h] : &logs[i].train_heads[h]);
                y[i] = side && !logs[i].test.samples ? NAN : acc ? mt->accuracy : mt->loss;
            }
            if (h < 0)
                snprintf(labels[2 * c + side], sizeof labels[0], "%s", side ? "held out" : "training");
            else
                snprintf(labels[2 * c + side], sizeof labels[0], "%s%s", m->heads[h].name, side ? " held out" : "");
            series[2 * c + side] = (ax_series){.label = labels[2 * c + side], .x = epoch, .y = y, .n = n};
        }
    }
    /* the heads' series: losses, and the classifiers' accuracies, training and held-out side by side */
    ax_series *head_loss = series + 2 * curves, *head_acc = head_loss + 2 * heads;
    int n_loss = 0, n_acc = 0;
    for (int h = 0; h < heads; h++)
        for (int side = 0; side < 1 + have_val; side++) {
            head_loss[n_loss++] = series[2 * (2 + 2 * h) + side];
            if (!isnan(logs[0].train_heads[h].accuracy))
                head_acc[n_acc++] = series[2 * (3 + 2 * h) + side];
        }
    ax_panel panels[4] = {{.title = "loss", .x_label = "epoch", .series = series, .n_series = 1 + have_val},
                          {.title = "accuracy", .x_label = "epoch", .series = series + 2, .n_series = 1 + have_val}};
    /* regression (no accuracy): the loss alone */
    int n_panels = isnan(logs[0].train.accuracy) ? 1 : 2;
    if (heads) {
        panels[n_panels++] = (ax_panel){.title = "each head's loss", .x_label = "epoch", .series = head_loss,
                                        .n_series = n_loss};
        if (n_acc)
            panels[n_panels++] = (ax_panel){.title = "each head's accuracy", .x_label = "epoch", .series = head_acc,
                                            .n_series = n_acc};
    }
    ax_status s = ax_plot_svg(cb->state, panels, n_panels, 0, NULL);
    ax_free(v);
    ax_free(series);
    ax_free(labels);
    return s;
}

static void svg_destroy(ax_callback *cb) { ax_free(cb->state); }

ax_status ax_svg_curves_new(const char *path, ax_callback **out)
{
    *out = NULL;
    size_t n = strlen(path) + 1;
    char *copy = ax_alloc(n);
    if (!copy)
        return ax_fail(AX_ERR_NOMEM, "svg curves: out of memory");
    memcpy(copy, path, n);
    ax_status s = new_callback("svg_curves", copy, out);
    if (s == AX_OK) {
        (*out)->train_end = svg_train_end;
        (*out)->destroy = svg_destroy;
    }
    return s;
}
