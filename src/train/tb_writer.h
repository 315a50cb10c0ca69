/* TensorBoard event files (internal): the writer behind the tensorboard
 * callback and the run logger. Scalars, histograms and a graph, each
 * event one checked, flushed record. */
#ifndef AXON_TRAIN_TB_WRITER_H
#define AXON_TRAIN_TB_WRITER_H

#include "axon/train.h"
#include "train/histogram.h"

typedef struct ax_tb_writer ax_tb_writer;

/* A new events.out.tfevents.<time>.<host> in dir, its first event the
 * file version. */
ax_status ax_tb_open(const char *dir, ax_tb_writer **out);
void ax_tb_close(ax_tb_writer *w);
const char *ax_tb_path(const ax_tb_writer *w);

/* One event at `step` with n scalars; a NaN value is left out (missing). */
ax_status ax_tb_scalars(ax_tb_writer *w, int64_t step, int n, const char *const *tags, const double *values);
/* The epoch's scalars at step = epoch: loss, accuracy, val_loss,
 * val_accuracy, learning_rate, epoch_seconds, and HEAD/loss ... for each
 * head of a model with several. */
ax_status ax_tb_epoch(ax_tb_writer *w, const ax_model *m, const ax_epoch_log *log);
/* One event at `step` with n histograms (HistogramProto). */
ax_status ax_tb_histograms(ax_tb_writer *w, int64_t step, int n, const char *const *tags, const ax_histogram *h);
/* The graph as a GraphDef: node i of g named names[i] (a '/' groups nodes
 * into a box in TensorBoard's Graphs tab), with its op, inputs and shape. */
ax_status ax_tb_graph(ax_tb_writer *w, ax_graph *g, const char *const *names);

#endif
