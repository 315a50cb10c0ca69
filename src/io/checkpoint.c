/* The model-checkpoint callback: after each epoch, the weights to
 * `last_path`, and to `best_path` when the monitored value improved; each
 * file written atomically with the epoch and the monitored value in its
 * metadata. */
#include "axon/checkpoint.h"
#include "axon/safetensors.h"
#include "axon/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct checkpoint {
    char best[4096], last[4096];
    ax_monitor monitor;
    double best_value;
    int have_best;
} checkpoint;

static ax_status save(const char *path, ax_model *m, const ax_epoch_log *log, ax_monitor monitor)
{
    char epoch[32], value[64], which[8];
    snprintf(epoch, sizeof epoch, "%d", log->epoch);
    snprintf(value, sizeof value, "%.9g", ax_monitor_value(monitor, log));
    snprintf(which, sizeof which, "%d", (int)monitor);
    const char *keys[3] = {"epoch", "monitor_value", "monitor"}, *vals[3] = {epoch, value, which};
    return ax_save_safetensors(path, m->graph, keys, vals, 3);
}

static ax_status checkpoint_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)stop;
    checkpoint *c = cb->state;
    ax_status s = AX_OK;
    if (c->last[0])
        s = save(c->last, m, log, c->monitor);
    double v = ax_monitor_value(c->monitor, log);
    int higher = c->monitor == AX_MONITOR_VAL_ACCURACY || c->monitor == AX_MONITOR_ACCURACY;
    if (s == AX_OK && c->best[0] && !isnan(v) && (!c->have_best || (higher ? v > c->best_value : v < c->best_value))) {
        c->best_value = v;
        c->have_best = 1;
        s = save(c->best, m, log, c->monitor);
    }
    return s;
}

static void checkpoint_destroy(ax_callback *cb) { ax_free(cb->state); }

ax_status ax_checkpoint_new(const char *best_path, const char *last_path, ax_monitor monitor, ax_callback **out)
{
    *out = NULL;
    if (!best_path && !last_path)
        return ax_fail(AX_ERR_INVALID_ARG, "checkpoint: give a path for the best weights, the last, or both");
    checkpoint *c = ax_calloc(1, sizeof *c);
    if (!c || !(*out = ax_calloc(1, sizeof **out))) {
        ax_free(c);
        return ax_fail(AX_ERR_NOMEM, "checkpoint: out of memory");
    }
    snprintf(c->best, sizeof c->best, "%s", best_path ? best_path : "");
    snprintf(c->last, sizeof c->last, "%s", last_path ? last_path : "");
    c->monitor = monitor;
    (*out)->name = "checkpoint";
    (*out)->state = c;
    (*out)->epoch_end = checkpoint_epoch_end;
    (*out)->destroy = checkpoint_destroy;
    return AX_OK;
}
