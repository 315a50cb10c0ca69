/* The training progress display (internal). */
#ifndef AXON_TRAIN_PROGRESS_H
#define AXON_TRAIN_PROGRESS_H

#include "axon/train.h"

typedef struct ax_progress {
    int live;         /* redraw a bar on stderr (a terminal) */
    int epoch, epochs;
    int64_t steps;
    double start;     /* seconds */
    double last_draw;
} ax_progress;

double ax_now_seconds(void);
void ax_progress_begin(ax_progress *p, ax_verbosity v, int epoch, int epochs, int64_t steps);
void ax_progress_step(ax_progress *p, int64_t step, double loss, double acc);
void ax_progress_end(ax_progress *p, ax_verbosity v, FILE *out, const ax_epoch_log *log,
                     int has_test);

#endif
