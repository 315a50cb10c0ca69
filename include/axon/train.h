/* axon training: fit, evaluate and predict a classifier, with per-epoch
 * metrics and a progress display. */
#ifndef AXON_TRAIN_H
#define AXON_TRAIN_H

#include <stdio.h>

#include "axon/data.h"
#include "axon/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A compiled graph and the four nodes training needs. The input's per-
 * sample size must match the data's; the batch size is the input's
 * dimension 0. */
typedef struct ax_model {
    ax_graph *graph;
    ax_node *input;  /* [B, ...] features */
    ax_node *target; /* [B] class indices */
    ax_node *output; /* [B, C] logits (or probabilities) */
    ax_node *loss;   /* scalar */
} ax_model;

typedef struct ax_metrics {
    double loss;     /* mean over samples */
    double accuracy; /* fraction of samples whose largest output is the label */
    int64_t samples;
} ax_metrics;

typedef struct ax_epoch_log {
    int epoch; /* 1-based */
    ax_metrics train, test;
    double seconds;
    float lr;  /* the learning rate used in this epoch */
} ax_epoch_log;

typedef enum ax_verbosity {
    AX_QUIET = 0,    /* print nothing */
    AX_PER_EPOCH,    /* one line per epoch */
    AX_PROGRESS      /* a live progress bar on a terminal, one line per epoch otherwise */
} ax_verbosity;

typedef struct ax_fit_config {
    int epochs;
    uint64_t seed;        /* data order */
    ax_verbosity verbosity;
    FILE *out;            /* epoch lines (stdout when NULL) */
    int flush_denormals;  /* 1: flush denormals to zero while training (faster, same results) */
    ax_schedule *schedule; /* stepped after each epoch with the test loss (the training
                              loss without test data); NULL: a constant rate */
} ax_fit_config;

ax_fit_config ax_fit_defaults(void);

/* Train for cfg->epochs epochs of shuffled mini-batches. After each epoch
 * the model is evaluated on `test` when given. history, when not NULL,
 * receives one entry per epoch. Stops with AX_ERR_NUMERIC if the loss
 * becomes NaN or infinite, naming the epoch and step. */
ax_status ax_fit(ax_model *m, ax_optimizer *opt, const ax_dataset *train, const ax_dataset *test,
                 const ax_fit_config *cfg, ax_epoch_log *history);

/* Loss and accuracy over a whole data set, in eval mode. */
ax_status ax_evaluate(ax_model *m, const ax_dataset *ds, ax_metrics *out);

/* Write the model's output for every sample (ds->n rows of the output's
 * width) into out. */
ax_status ax_predict(ax_model *m, const ax_dataset *ds, float *out);

#ifdef __cplusplus
}
#endif
#endif
