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

/* ---- callbacks --------------------------------------------------------
 * Called by ax_fit after each epoch and once at the end. A callback is a
 * struct of function pointers over its own state, so users can write
 * their own; the built-in ones below are made by their _new functions and
 * freed with ax_callback_free. */
typedef struct ax_callback ax_callback;
struct ax_callback {
    const char *name;
    void *state;
    /* After each epoch; *stop = 1 ends training after this epoch. NULL: nothing. */
    ax_status (*epoch_end)(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop);
    /* Once after the last epoch run (also after a stop): the logs of the epochs run. */
    ax_status (*train_end)(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int epochs_run);
    void (*destroy)(ax_callback *cb); /* frees state; NULL: nothing to free */
};
void ax_callback_free(ax_callback *cb);

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
/* CRC-32C (Castagnoli), as TensorFlow's record framing uses. */
uint32_t ax_crc32c(const void *data, size_t n);

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
    ax_callback **callbacks; /* called in order after each epoch and at the end */
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
