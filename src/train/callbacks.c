/* The built-in callbacks: early stopping, a CSV logger, SVG curves. */
#include "axon/train.h"

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

static int64_t params_len(ax_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < ax_graph_num_params(g); i++)
        n += ax_node_numel(ax_graph_param(g, i));
    return n;
}

/* copy the parameters into (save) or out of (restore) the snapshot */
static void snapshot(stopper *s, ax_graph *g, int save)
{
    int64_t off = 0;
    for (int i = 0; i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        size_t bytes = (size_t)ax_node_numel(p) * sizeof(float);
        if (save)
            memcpy(s->snapshot + off, ax_node_data(p), bytes);
        else
            memcpy(ax_node_data(p), s->snapshot + off, bytes);
        off += ax_node_numel(p);
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

#define PLOT_W 420
#define PLOT_H 260
#define MARGIN 50

/* One panel: the train and held-out series of a metric against the epoch. */
static void svg_panel(FILE *f, int x0, const char *title, const ax_epoch_log *logs, int n, int accuracy)
{
    double lo = INFINITY, hi = -INFINITY;
    int have_val = 0;
    for (int i = 0; i < n; i++) {
        double t = accuracy ? logs[i].train.accuracy : logs[i].train.loss;
        lo = fmin(lo, t), hi = fmax(hi, t);
        if (logs[i].test.samples) {
            double v = accuracy ? logs[i].test.accuracy : logs[i].test.loss;
            lo = fmin(lo, v), hi = fmax(hi, v), have_val = 1;
        }
    }
    if (!(hi > lo))
        hi = lo + 1.0;
    double pad = 0.05 * (hi - lo);
    lo -= pad, hi += pad;
#define PX(e) (x0 + MARGIN + (n > 1 ? ((e) - 1) * (double)PLOT_W / (n - 1) : PLOT_W / 2.0))
#define PY(v) (30 + (hi - (v)) / (hi - lo) * PLOT_H)
    fprintf(f, "<text x='%d' y='20' font-size='15'>%s</text>\n", x0 + MARGIN, title);
    fprintf(f, "<rect x='%d' y='30' width='%d' height='%d' fill='none' stroke='#999'/>\n", x0 + MARGIN, PLOT_W, PLOT_H);
    for (int k = 0; k <= 4; k++) { /* value grid */
        double v = lo + (hi - lo) * k / 4;
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#eee'/><text x='%d' y='%.1f' font-size='11' "
                   "text-anchor='end'>%.3g</text>\n",
                x0 + MARGIN, PY(v), x0 + MARGIN + PLOT_W, PY(v), x0 + MARGIN - 4, PY(v) + 4, v);
    }
    for (int e = 1; e <= n; e += n > 10 ? (n + 9) / 10 : 1)
        fprintf(f, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%d</text>\n", PX(e), 30 + PLOT_H + 15, e);
    fprintf(f, "<text x='%d' y='%d' font-size='12' text-anchor='middle'>epoch</text>\n", x0 + MARGIN + PLOT_W / 2,
            30 + PLOT_H + 32);
    for (int series = 0; series < 1 + have_val; series++) {
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", series ? "#d62728" : "#1f77b4");
        for (int i = 0; i < n; i++) {
            const ax_metrics *mt = series ? &logs[i].test : &logs[i].train;
            fprintf(f, "%.1f,%.1f ", PX(logs[i].epoch), PY(accuracy ? mt->accuracy : mt->loss));
        }
        fprintf(f, "'/>\n");
    }
#undef PX
#undef PY
}

static ax_status svg_train_end(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int n)
{
    (void)m;
    const char *path = cb->state;
    if (n < 1)
        return AX_OK;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ax_fail(AX_ERR_NOMEM, "svg curves: out of memory");
    const int width = 2 * (PLOT_W + MARGIN + 20), height = PLOT_H + 90;
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif'>\n"
               "<rect width='100%%' height='100%%' fill='white'/>\n", width, height);
    svg_panel(f, 0, "loss", logs, n, 0);
    if (!isnan(logs[0].train.accuracy))
        svg_panel(f, PLOT_W + MARGIN + 20, "accuracy", logs, n, 1);
    else
        fprintf(f, "<text x='%d' y='60' font-size='13'>no accuracy: real-valued targets</text>\n",
                PLOT_W + 2 * MARGIN + 20);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#1f77b4' stroke-width='3'/><text x='%d' y='%d' "
               "font-size='12'>training</text>\n", MARGIN, height - 12, MARGIN + 25, height - 12, MARGIN + 30, height - 8);
    fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#d62728' stroke-width='3'/><text x='%d' y='%d' "
               "font-size='12'>held out</text>\n</svg>\n", MARGIN + 110, height - 12, MARGIN + 135, height - 12,
            MARGIN + 140, height - 8);
    fclose(f);
    ax_status s = ax_write_file_atomic(path, buf, len);
    free(buf); /* open_memstream's buffer comes from malloc */
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
