/* axon training: one step (forward, backward, step hooks, update), fit
 * (epochs of steps with callbacks), evaluate and predict, for classifiers
 * and regressions, with metrics and a progress display. */
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
    ax_node *target; /* [B] class indices, or [B, T] real targets */
    ax_node *output; /* [B, C] logits (or probabilities), or [B, T] predictions */
    ax_node *loss;   /* scalar */
} ax_model;

typedef struct ax_metrics {
    double loss;     /* mean over samples */
    double accuracy; /* fraction of samples (of steps, for step labels) whose largest output is the label */
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

/* One training step, as the step hooks see it. */
typedef struct ax_step {
    int epoch;           /* 1-based within fit; whatever the caller set for ax_train_step */
    int64_t step;        /* 1-based within the epoch (fit), or the caller's count */
    int64_t rows;        /* samples in this batch */
    double loss;         /* the batch's loss, after the forward pass */
    ax_span grads;       /* the complete gradient span (axon/graph.h), after backward */
    int skip_update;     /* a grads_ready hook sets it: leave the parameters alone this step */
} ax_step;

/* ---- callbacks --------------------------------------------------------
 * Called by ax_fit at each step, after each epoch and once at the end. A
 * callback is a struct of function pointers over its own state, so users
 * can write their own (leave the hooks it does not need NULL); the
 * built-in ones below are made by their _new functions and freed with
 * ax_callback_free. */
typedef struct ax_callback ax_callback;
struct ax_callback {
    const char *name;
    void *state;
    /* After each epoch; *stop = 1 ends training after this epoch. NULL: nothing. */
    ax_status (*epoch_end)(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop);
    /* Once after the last epoch run (also after a stop): the logs of the epochs run. */
    ax_status (*train_end)(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int epochs_run);
    void (*destroy)(ax_callback *cb); /* frees state; NULL: nothing to free */
    /* At each step, after backward and before the optimizer: step->grads
     * is complete and may be read or changed (a gradient allreduce,
     * accumulation, logging its norm); setting step->skip_update skips
     * this step's update. Hooks run in the order given. NULL: nothing. */
    ax_status (*grads_ready)(ax_callback *cb, ax_model *m, ax_step *step);
    /* At each step, after the update (or its skipping). NULL: nothing. */
    ax_status (*step_end)(ax_callback *cb, ax_model *m, const ax_step *step);
};
void ax_callback_free(ax_callback *cb);

/* One training step on the batch already in the model's input and target
 * (ax_graph_set_batch sets its size): forward in training mode, a check
 * that the loss is finite (AX_ERR_NUMERIC, naming step->epoch and
 * step->step), backward, every callback's grads_ready, the optimizer
 * step unless a hook skipped it, every callback's step_end. step->loss,
 * rows and grads are filled in. ax_fit is a loop of these. */
ax_status ax_train_step(ax_model *m, ax_optimizer *opt, ax_callback *const *callbacks, int n_callbacks,
                        ax_step *step);

/* Gradient accumulation: the update happens every k steps, with the mean
 * of the k steps' gradients, so k batches of B train as one batch of k*B
 * would (for losses that are means over the batch). The count runs on
 * across epochs. */
ax_status ax_grad_accumulation_new(int k, ax_callback **out);

/* What early stopping watches: "val_*" is the held-out data (fit's test set). */
typedef enum ax_monitor { AX_MONITOR_VAL_LOSS = 0, AX_MONITOR_VAL_ACCURACY, AX_MONITOR_LOSS, AX_MONITOR_ACCURACY } ax_monitor;
double ax_monitor_value(ax_monitor m, const ax_epoch_log *log);

/* Stop when the monitored value has not improved by more than min_delta
 * for `patience` epochs; with restore_best, put back the parameters (and
 * buffers) of the best epoch at the end. */
ax_status ax_early_stopping_new(ax_monitor monitor, double min_delta, int patience, int restore_best,
                                ax_callback **out);
/* The best epoch seen so far (1-based; 0 before any) and its value. */
int ax_early_stopping_best(const ax_callback *cb, double *value);

/* One CSV line per epoch: epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds
 * (val columns empty without held-out data), flushed each epoch. */
ax_status ax_csv_logger_new(const char *path, ax_callback **out);

/* At the end of training, a self-contained SVG of the loss and accuracy
 * per epoch, training against held-out, written atomically. */
ax_status ax_svg_curves_new(const char *path, ax_callback **out);

/* Step a learning-rate schedule after each epoch with the monitored value
 * (for reduce_on_plateau: val_loss, say); the schedule stays the caller's. */
ax_status ax_schedule_callback_new(ax_schedule *s, ax_optimizer *o, ax_monitor monitor, ax_callback **out);

/* A TensorBoard event file in log_dir (events.out.tfevents.<time>.<host>):
 * scalars loss, accuracy, val_loss, val_accuracy, learning_rate and
 * epoch_seconds at each epoch; `tensorboard --logdir log_dir` shows them. */
ax_status ax_tensorboard_new(const char *log_dir, ax_callback **out);
const char *ax_tensorboard_path(const ax_callback *cb);

typedef struct ax_fit_config {
    int epochs;
    uint64_t seed;        /* data order */
    ax_verbosity verbosity;
    FILE *out;            /* epoch lines (stdout when NULL) */
    int flush_denormals;  /* 1: flush denormals to zero while training (faster, same results) */
    ax_schedule *schedule; /* stepped after each epoch with the test loss (the training
                              loss without test data); NULL: a constant rate */
    const ax_augment *augment; /* applied to each training sample as it is batched; NULL: none */
    int initial_epoch;         /* epochs already run (resuming): training runs epochs initial_epoch+1..epochs */
    double validation_split;   /* without held-out data: hold out this fraction of the training data */
    int stratify;              /* ... keeping each class's share */
    ax_callback **callbacks; /* called in order at each step, after each epoch and at the end */
    int n_callbacks;
} ax_fit_config;

ax_fit_config ax_fit_defaults(void);

/* Train for cfg->epochs epochs of shuffled mini-batches. After each epoch
 * the model is evaluated on `test` (the held-out data) when given.
 * history, when not NULL, receives one entry per epoch; when a callback
 * stops training early, the entries after the last epoch run have epoch 0.
 * Stops with AX_ERR_NUMERIC if the loss becomes NaN or infinite, naming
 * the epoch and step. */
ax_status ax_fit(ax_model *m, ax_optimizer *opt, const ax_dataset *train, const ax_dataset *test,
                 const ax_fit_config *cfg, ax_epoch_log *history);

/* Loss and accuracy over a whole data set, in eval mode. */
ax_status ax_evaluate(ax_model *m, const ax_dataset *ds, ax_metrics *out);

/* Write the model's output for every sample (ds->n rows of the output's
 * width) into out. */
ax_status ax_predict(ax_model *m, const ax_dataset *ds, float *out);

/* ---- metrics ----------------------------------------------------------
 * On arrays of predictions, for evaluation beyond loss and accuracy. */
typedef struct ax_confusion {
    int n_classes;
    int64_t *counts; /* [true class][predicted class], row-major */
    int64_t total;
} ax_confusion;

ax_status ax_confusion_new(int n_classes, ax_confusion **out);
void ax_confusion_free(ax_confusion *c);
/* Count rows of scores [rows, n_classes] (the prediction is the largest)
 * against class labels; a label outside the classes is an error. */
ax_status ax_confusion_add(ax_confusion *c, const float *scores, const int32_t *labels, int64_t rows);
double ax_confusion_accuracy(const ax_confusion *c);
/* Macro averages over the classes; a class never predicted (or never
 * present) counts 0 precision (recall), as scikit-learn's zero_division=0. */
void ax_confusion_macro(const ax_confusion *c, double *precision, double *recall, double *f1);
/* Fraction of rows whose label is among the k largest scores (ties to the
 * lower class index). */
double ax_top_k_accuracy(const float *scores, const int32_t *labels, int64_t rows, int n_classes, int k);
/* Mean squared error, mean absolute error and R^2 = 1 - SS_res / SS_tot. */
void ax_regression_metrics(const float *pred, const float *target, int64_t n, double *mse, double *mae,
                           double *r2);
/* Everything for a classifier over a data set: the model's outputs, the
 * confusion matrix (caller frees it), in eval mode. */
ax_status ax_evaluate_confusion(ax_model *m, const ax_dataset *ds, ax_confusion **out);

#ifdef __cplusplus
}
#endif
#endif
