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

/* A model with several outputs has a head for each: its prediction, its
 * target (fed from the data's target of the same name), its own loss (a
 * scalar, unweighted) and that loss's weight in the total. */
#define AX_MAX_HEADS 8
#define AX_MODEL_MAX_INPUTS 8
typedef struct ax_head {
    char name[32];
    ax_node *output, *target, *loss;
    float weight;
    int classifier; /* the loss takes class labels (one per sample, or per step) */
} ax_head;

/* A compiled graph and the four nodes training needs. The input's per-
 * sample size must match the data's; the batch size is the input's
 * dimension 0.
 * Several inputs and outputs (Keras's functional models): n_inputs > 0
 * inputs, each fed from the data's feature group of its node's name, and
 * n_heads > 0 heads; then input and output/target are the first ones and
 * loss is the total, sum of weight * head loss (ax_model_total_loss
 * builds it). n_inputs == 0 and n_heads == 0: the one input and head. */
typedef struct ax_model {
    ax_graph *graph;
    ax_node *input;  /* [B, ...] features */
    ax_node *target; /* [B] class indices, or [B, T] real targets */
    ax_node *output; /* [B, C] logits (or probabilities), or [B, T] predictions */
    ax_node *loss;   /* scalar */
    int n_inputs;
    ax_node *inputs[AX_MODEL_MAX_INPUTS];
    int n_heads;
    ax_head heads[AX_MAX_HEADS];
} ax_model;

/* Add a head to a model (before its graph is compiled); the first head
 * also becomes m->output and m->target. */
ax_status ax_model_add_head(ax_model *m, const char *name, ax_node *output, ax_node *target, ax_node *loss,
                            float weight);
/* m->loss = sum over the heads of weight * loss (the graph not yet
 * compiled); a head of weight 0 is watched, not trained. */
ax_status ax_model_total_loss(ax_model *m);
/* The model's inputs (m->input alone, or m->inputs) and heads (one made
 * of target, output and loss, or m->heads): their counts. */
int ax_model_num_inputs(const ax_model *m);
ax_node *ax_model_input(const ax_model *m, int i);
int ax_model_num_heads(const ax_model *m);
ax_head ax_model_head(const ax_model *m, int k);

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
    int n_heads; /* a model with several heads: each one's loss (unweighted) and accuracy */
    ax_metrics train_heads[AX_MAX_HEADS], test_heads[AX_MAX_HEADS];
    /* The held-out data's confusion matrix of the first head that takes
     * class labels (one per sample), counted in the evaluation pass; set
     * for the epoch_end callbacks only (NULL in the history, and without
     * held-out data or such a head). */
    const struct ax_confusion *test_confusion;
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
/* The same measure of head k alone (a model with several heads):
 * AX_MONITOR_HEAD(AX_MONITOR_VAL_LOSS, 1) watches the second head's
 * held-out loss. */
#define AX_MONITOR_HEAD(monitor, k) ((ax_monitor)((int)(monitor) + 4 * ((k) + 1)))
double ax_monitor_value(ax_monitor m, const ax_epoch_log *log);

/* Stop when the monitored value has not improved by more than min_delta
 * for `patience` epochs; with restore_best, put back the parameters (and
 * buffers) of the best epoch at the end. */
ax_status ax_early_stopping_new(ax_monitor monitor, double min_delta, int patience, int restore_best,
                                ax_callback **out);
/* The best epoch seen so far (1-based; 0 before any) and its value. */
int ax_early_stopping_best(const ax_callback *cb, double *value);

/* One CSV line per epoch: epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds
 * (val columns empty without held-out data), then for each head of a model
 * with several HEAD_loss,HEAD_accuracy,val_HEAD_loss,val_HEAD_accuracy;
 * the header is written with the first epoch, lines flushed each epoch. */
ax_status ax_csv_logger_new(const char *path, ax_callback **out);

/* At the end of training, a self-contained SVG of the loss and accuracy
 * per epoch, training against held-out, written atomically; a model with
 * several heads gets a panel of each head's losses besides. */
ax_status ax_svg_curves_new(const char *path, ax_callback **out);

/* Step a learning-rate schedule after each epoch with the monitored value
 * (for reduce_on_plateau: val_loss, say); the schedule stays the caller's. */
ax_status ax_schedule_callback_new(ax_schedule *s, ax_optimizer *o, ax_monitor monitor, ax_callback **out);

/* A TensorBoard event file in log_dir (events.out.tfevents.<time>.<host>):
 * scalars loss, accuracy, val_loss, val_accuracy, learning_rate and
 * epoch_seconds at each epoch, and HEAD/loss, HEAD/accuracy, HEAD/val_loss,
 * HEAD/val_accuracy for each head of a model with several;
 * `tensorboard --logdir log_dir` shows them. */
ax_status ax_tensorboard_new(const char *log_dir, ax_callback **out);
const char *ax_tensorboard_path(const ax_callback *cb);

/* ---- run folders ---------------------------------------------------------
 * Everything a run produces in one folder, for `axon board` (live, in a
 * browser), `axon report` (one HTML file) and TensorBoard: run.json (the
 * config, the model's layers and graph, status and progress),
 * epochs.jsonl (each epoch's metrics), steps.jsonl (every scalar_every
 * steps: loss, learning rate, gradient norm, step time, samples per
 * second), histograms.jsonl (every histogram_every steps: each
 * parameter's values and gradient and each layer's output),
 * confusion.json (the held-out confusion matrix of the last epoch) and
 * TensorBoard events with the same scalars, the histograms and the graph.
 * docs/board.md describes the files. */
typedef struct ax_run_layer {
    const char *name, *type; /* "fc1", "dense" */
    ax_node *output;         /* the layer's output node */
} ax_run_layer;

typedef struct ax_run_options {
    const char *config_json;        /* a JSON object: how the run was asked for (spec, flags, seed); NULL: {} */
    const ax_optimizer *optimizer;  /* the learning rate of the step lines; NULL: not logged */
    const ax_run_layer *layers;     /* the model's layers, in order: the summary, the graph's boxes and the
                                       activations followed; NULL: the graph's op nodes */
    int n_layers;
    int scalar_every;     /* a step line every N steps (default 50; 0: none) */
    int histogram_every;  /* histograms every N steps (default 100; 0: none) */
    int bins;             /* bins per histogram, 1..64 (default 30) */
    int64_t first_step;   /* steps run before (resuming): the step count goes on from there */
    int append;           /* add to the folder's logs (resuming) instead of starting them anew */
    int tensorboard;      /* also write TensorBoard events (default 1) */
} ax_run_options;

ax_run_options ax_run_defaults(void);
/* A run logger for m (compiled) writing into dir, created with its
 * parents; run.json and the graph are written now. Its status is
 * "running" until training ends ("finished"), or "stopped" when the
 * callback is freed before the end (an error). */
ax_status ax_run_log_new(const char *dir, const ax_model *m, const ax_run_options *opts, ax_callback **out);
const char *ax_run_log_dir(const ax_callback *cb);
/* Seconds the logger has spent in its hooks so far (also run.json's
 * "logging_seconds"): what logging costs the run. */
double ax_run_log_seconds(const ax_callback *cb);

/* The arithmetic of training (ax_fit_config.precision). */
typedef enum ax_precision {
    AX_PRECISION_GRAPH = 0, /* as the graph is set (ax_graph_set_bf16; float32 unless set) */
    AX_PRECISION_F32,       /* float32 throughout */
    AX_PRECISION_BF16       /* mixed: the ops with a bf16 kernel (convolutions and dense layers' matmuls,
                               on oneDNN) read bfloat16,
                               with float32 sums, outputs, gradients, master weights and optimizer state;
                               float32 on a CPU without bf16 instructions (ax_cpu_has_bf16) */
} ax_precision;

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
    /* Data-parallel training (docs/distributed.md). Each batch is split into
     * N shards of consecutive rows; each shard's gradient, scaled by its
     * share of the rows, is added to the others in shard order before the
     * update. comm: N processes, one shard each (NULL: this one alone);
     * shards: N computed in turn by this one process, the same bits as N
     * processes (0 or 1: no split; not with a communicator of several). */
    struct ax_comm *comm;
    int shards;
    int64_t bucket_bytes;    /* gradients sent while backward runs, in buckets of at most this many bytes
                                (or one parameter; 0: 256 KiB) */
    struct ax_parallel_stats *parallel_stats; /* filled in at the end when not NULL */
    ax_precision precision; /* F32 or BF16: the model's graph is set so for training and its held-out
                               evaluation (ax_graph_set_bf16), and left so */
} ax_fit_config;

/* Where a data-parallel run's time went (ax_fit_config.parallel_stats). */
typedef struct ax_parallel_stats {
    int shards, ranks, buckets;  /* shards of a batch, processes, gradient buckets per step */
    int64_t steps;
    int64_t started_in_backward; /* buckets whose sum began before backward ended */
    int64_t done_in_backward;    /* ... and had finished by then */
    double backward_seconds;     /* in this process's backward passes */
    double wait_seconds;         /* after backward, waiting for the gradients' sums */
    double reduce_seconds;       /* the step's other sums (loss, counts) and buffers */
} ax_parallel_stats;

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

/* The same, and each head's loss (unweighted) and accuracy in heads[k]
 * for a model with several heads (heads: AX_MAX_HEADS entries, or NULL). */
ax_status ax_evaluate_heads(ax_model *m, const ax_dataset *ds, ax_metrics *out, ax_metrics *heads);

/* Write the model's output for every sample into out: ds->n rows of the
 * output's width; with several heads, each row holds every head's
 * outputs in turn (the widths' sum). */
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
