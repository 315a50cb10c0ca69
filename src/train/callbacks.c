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

double ax_monitor_value(ax_monitor m, const ax_epoch_log *log)
{
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
        return ax_fail(AX_ERR_INVALID_ARG, "early stopping: the monitored value is missing (a val_ monitor needs held-out data)");
    int higher_is_better = s->monitor == AX_MONITOR_VAL_ACCURACY || s->monitor == AX_MONITOR_ACCURACY;
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
    if (patience < 1 || !(min_delta >= 0) || monitor < AX_MONITOR_VAL_LOSS || monitor > AX_MONITOR_ACCURACY)
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

static ax_status csv_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)m, (void)stop;
    FILE *f = cb->state;
    fprintf(f, "%d,%.6g,%.6g,", log->epoch, log->train.loss, log->train.accuracy);
    if (log->test.samples)
        fprintf(f, "%.6g,%.6g,", log->test.loss, log->test.accuracy);
    else
        fprintf(f, ",,");
    fprintf(f, "%.6g,%.3f\n", (double)log->lr, log->seconds);
    if (fflush(f) != 0 || ferror(f))
        return ax_fail(AX_ERR_IO, "csv logger: write failed: %s", strerror(errno));
    return AX_OK;
}

static void csv_destroy(ax_callback *cb)
{
    fclose(cb->state);
    cb->state = NULL;
}

ax_status ax_csv_logger_new(const char *path, ax_callback **out)
{
    *out = NULL;
    FILE *f = fopen(path, "w");
    if (!f)
        return ax_fail(AX_ERR_IO, "%s: cannot open for writing: %s", path, strerror(errno));
    fprintf(f, "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n");
    *out = ax_calloc(1, sizeof **out);
    if (!*out) {
        fclose(f);
        return ax_fail(AX_ERR_NOMEM, "csv logger: out of memory");
    }
    (*out)->name = "csv_logger";
    (*out)->state = f;
    (*out)->epoch_end = csv_epoch_end;
    (*out)->destroy = csv_destroy;
    return AX_OK;
}

/* ---- SVG curves -------------------------------------------------------- */

static ax_status svg_train_end(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int n)
{
    (void)m;
    if (n < 1)
        return AX_OK;
    double *v = ax_alloc(5 * (size_t)n * sizeof *v);
    if (!v)
        return ax_fail(AX_ERR_NOMEM, "svg curves: out of memory");
    double *epoch = v, *loss = v + n, *val_loss = v + 2 * n, *acc = v + 3 * n, *val_acc = v + 4 * n;
    int have_val = 0;
    for (int i = 0; i < n; i++) {
        epoch[i] = logs[i].epoch;
        loss[i] = logs[i].train.loss, acc[i] = logs[i].train.accuracy;
        val_loss[i] = logs[i].test.samples ? logs[i].test.loss : NAN;
        val_acc[i] = logs[i].test.samples ? logs[i].test.accuracy : NAN;
        have_val |= logs[i].test.samples > 0;
    }
    const ax_series losses[2] = {{.label = "training", .x = epoch, .y = loss, .n = n},
                                 {.label = "held out", .x = epoch, .y = val_loss, .n = n}};
    const ax_series accuracies[2] = {{.label = "training", .x = epoch, .y = acc, .n = n},
                                     {.label = "held out", .x = epoch, .y = val_acc, .n = n}};
    const ax_panel panels[2] = {{.title = "loss", .x_label = "epoch", .series = losses, .n_series = 1 + have_val},
                                {.title = "accuracy", .x_label = "epoch", .series = accuracies,
                                 .n_series = 1 + have_val}};
    /* regression (no accuracy): the loss alone */
    ax_status s = ax_plot_svg(cb->state, panels, isnan(logs[0].train.accuracy) ? 1 : 2, 0, NULL);
    ax_free(v);
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
