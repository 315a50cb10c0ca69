/* The training progress display (internal). */
#ifndef AXON_TRAIN_PROGRESS_H
#define AXON_TRAIN_PROGRESS_H

#include "axon/train.h"
#include "core/threads.h" /* ax_now_seconds */

typedef struct ax_progress {
    int live;         /* redraw a bar on stderr (a terminal) */
    int epoch, epochs;
    int64_t steps;
    double start;     /* seconds */
    double last_draw;
} ax_progress;

void ax_progress_begin(ax_progress *p, ax_verbosity v, int epoch, int epochs, int64_t steps);
void ax_progress_step(ax_progress *p, int64_t step, double loss, double acc);
/* Ends the epoch's bar; prints its line when `line` is set. */
void ax_progress_end(ax_progress *p, ax_verbosity v, FILE *out, const ax_epoch_log *log, int has_test, int line,
                     const ax_model *m);
/* "epoch 3/5  1.0s  loss ...  test_acc ...", with each head's figures
 * in brackets for a model with several. */
void ax_progress_line(FILE *out, const ax_epoch_log *log, int epochs, int has_test, const ax_model *m);

#endif
