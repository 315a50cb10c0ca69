/* fit, evaluate, predict: the training loop over mini-batches. */
#include "axon/train.h"
#include "train/rows.h"
#include "train/progress.h"

#include <math.h>
#include <string.h>

ax_fit_config ax_fit_defaults(void)
{
    ax_fit_config c = {.epochs = 1, .seed = 1, .verbosity = AX_PROGRESS, .out = NULL,
                       .flush_denormals = 1};
    return c;
}

/* Check that the model and the data set fit together; data with features
 * alone is fine only when predicting. */
static ax_status check_model(const ax_model *m, const ax_dataset *ds, const char *what, int predicting)
{
    if (!m || !m->graph || !m->input || !m->target || !m->output || !m->loss)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: the model needs a graph, input, target, output and loss", what);
    if (!ax_graph_compiled(m->graph))
        return ax_fail(AX_ERR_STATE, "%s: compile the model's graph first", what);
    int64_t per_sample = ax_node_numel(m->input) / ax_graph_batch(m->graph);
    if (per_sample != ds->sample_size)
        return ax_fail(AX_ERR_SHAPE, "%s: the model takes %lld values per sample, the data has %lld",
                       what, (long long)per_sample, (long long)ds->sample_size);
    ax_shape t = ax_node_shape(m->target), o = ax_node_shape(m->output);
    if (!ds->labels && !ds->targets)
        return predicting ? AX_OK
                          : ax_fail(AX_ERR_INVALID_ARG, "%s: the data has features only (no labels or targets): "
                                    "it can be predicted on, not trained or evaluated on", what);
    if (ds->step_labels && (t.ndim != 2 || t.dim[1] != ds->n_targets))
        return ax_fail(AX_ERR_SHAPE, "%s: the data has a class label at each of %lld steps; the model's target must be "
                       "[batch, %lld] (a per-step classifier: scores [batch, %lld, classes])", what,
                       (long long)ds->n_targets, (long long)ds->n_targets, (long long)ds->n_targets);
    if (ds->targets) { /* real (or one-hot) targets: [batch, n_targets] */
        if (t.ndim != 2 || t.dim[1] != ds->n_targets)
            return ax_fail(AX_ERR_SHAPE, "%s: the data has %lld real targets per sample; the model's target must be [batch, %lld]",
                           what, (long long)ds->n_targets, (long long)ds->n_targets);
        if (ds->step_labels) {
            if (o.ndim != 3 || o.dim[1] != ds->n_targets || o.dim[2] < ds->n_classes)
                return ax_fail(AX_ERR_SHAPE, "%s: the data has a label at each of %lld steps from %d classes; the output "
                               "must be [batch, %lld, C] with C >= %d", what, (long long)ds->n_targets, ds->n_classes,
                               (long long)ds->n_targets, ds->n_classes);
            return AX_OK;
        }
        if (!ds->labels)
            return AX_OK;
    } else if (t.ndim != 1)
        return ax_fail(AX_ERR_SHAPE, "%s: the target must hold one class index per sample", what);
    if (o.ndim != 2 || o.dim[1] != ds->n_classes)
        return ax_fail(AX_ERR_SHAPE, "%s: the output must be [batch, %d] for %d classes", what,
                       ds->n_classes, ds->n_classes);
    return AX_OK;
}

/* Whether ds has class labels (per sample, or per step of a sequence). */
static int classifies(const ax_dataset *ds) { return ds->labels || ds->step_labels; }
/* The labels a batch of `rows` samples holds: one per step for step labels. */
static int64_t labels_in(const ax_dataset *ds, int64_t rows) { return ds->step_labels ? rows * ds->n_targets : rows; }

/* Labels whose output row has its largest score there. A sample's
 * targets are its class index, a one-hot row of per_t values, or (step
 * labels) a class index for each of per_t steps, the output [rows,
 * per_t, C]. */
static int64_t count_correct(ax_node *output, const float *targets, int step_labels, int64_t per_t, int64_t rows)
{
    const ax_shape o = ax_node_shape(output);
    const int64_t c = o.dim[o.ndim - 1], n = step_labels ? rows * per_t : rows;
    const int one_hot = !step_labels && per_t > 1;
    int64_t correct = 0;
    const float *y = ax_node_map(output);
    for (int64_t r = 0; r < n; r++) {
        int64_t label = one_hot ? ax_row_argmax(per_t, targets + r * per_t) : (int64_t)targets[r];
        correct += ax_row_argmax(c, y + r * c) == label;
    }
    ax_node_unmap(output, 0);
    return correct;
}

/* One pass over ds without updates; fills loss and accuracy. */
static ax_status run_eval(ax_model *m, const ax_dataset *ds, ax_metrics *out, float *predictions)
{
    ax_batcher *b;
    ax_status s = ax_batcher_new(ds, ax_graph_max_batch(m->graph), 0, 0, &b);
    if (s != AX_OK)
        return s;
    int was_training = ax_graph_training(m->graph);
    ax_graph_set_training(m->graph, 0);
    ax_batcher_start_epoch(b);
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0, rows;
    /* the batcher fills the input and the targets through host views */
    float *x = ax_node_map(m->input), *labels = ax_node_map(m->target);
    while (s == AX_OK && (rows = ax_batcher_next(b, x, labels)) > 0) {
        ax_node_unmap(m->input, 1);
        ax_node_unmap(m->target, 1);
        if ((s = ax_graph_set_batch(m->graph, rows)) != AX_OK)
            break;
        if ((s = ax_graph_forward_to(m->graph, predictions ? m->output : m->loss)) != AX_OK)
            break;
        if (predictions) {
            int64_t width = ax_node_numel(m->output) / rows;
            s = ax_node_read(m->output, predictions + seen * width, rows * width);
        } else {
            float loss;
            s = ax_node_read(m->loss, &loss, 1);
            loss_sum += (double)loss * (double)rows;
            if (classifies(ds))
                correct += count_correct(m->output, labels, ds->step_labels, ds->targets ? ds->n_targets : 1, rows);
        }
        seen += rows;
    }
    ax_graph_set_training(m->graph, was_training);
    ax_batcher_free(b);
    if (s == AX_OK && out) {
        out->samples = seen;
        out->loss = seen ? loss_sum / (double)seen : 0.0;
        out->accuracy = !classifies(ds) ? NAN : seen ? (double)correct / (double)labels_in(ds, seen) : 0.0;
    }
    return s;
}

ax_status ax_evaluate(ax_model *m, const ax_dataset *ds, ax_metrics *out)
{
    ax_status s = check_model(m, ds, "evaluate", 0);
    return s != AX_OK ? s : run_eval(m, ds, out, NULL);
}

ax_status ax_predict(ax_model *m, const ax_dataset *ds, float *out)
{
    ax_status s = check_model(m, ds, "predict", 1);
    return s != AX_OK ? s : run_eval(m, ds, NULL, out);
}

ax_status ax_train_step(ax_model *m, ax_optimizer *opt, ax_callback *const *callbacks, int n_callbacks,
                        ax_step *step)
{
    ax_graph *g = m->graph;
    ax_graph_set_training(g, 1);
    ax_status s = ax_graph_forward_to(g, m->loss);
    if (s != AX_OK)
        return s;
    float loss;
    if ((s = ax_node_read(m->loss, &loss, 1)) != AX_OK)
        return s;
    if (!isfinite(loss))
        return ax_fail(AX_ERR_NUMERIC,
                       "fit: the loss became %s at epoch %d, step %lld (exploding gradients? "
                       "try a smaller learning rate)",
                       isnan(loss) ? "NaN" : "infinite", step->epoch, (long long)step->step);
    step->loss = loss;
    step->rows = ax_graph_batch(g);
    step->grads = ax_graph_grad_span(g);
    step->skip_update = 0;
    if ((s = ax_graph_backward(g, m->loss, NULL)) != AX_OK)
        return s;
    for (int k = 0; k < n_callbacks && s == AX_OK; k++)
        if (callbacks[k]->grads_ready)
            s = callbacks[k]->grads_ready(callbacks[k], m, step);
    if (s == AX_OK && !step->skip_update)
        s = ax_optimizer_step(opt);
    for (int k = 0; k < n_callbacks && s == AX_OK; k++)
        if (callbacks[k]->step_end)
            s = callbacks[k]->step_end(callbacks[k], m, step);
    return s;
}

static ax_status train_epoch(ax_model *m, ax_optimizer *opt, ax_loader *l, const ax_fit_config *c,
                             const ax_dataset *ds, int epoch, ax_progress *prog, ax_metrics *out)
{
    ax_graph *g = m->graph;
    const int64_t per_x = ax_node_numel(m->input) / ax_graph_batch(g), per_t = ax_node_numel(m->target) / ax_graph_batch(g);
    double loss_sum = 0.0;
    int64_t correct = 0, seen = 0, rows;
    ax_step step = {.epoch = epoch};
    const float *bx, *bt;
    ax_status s = AX_OK;
    const int classify = classifies(ds);
    ax_loader_start_epoch(l);
    while ((rows = ax_loader_next(l, &bx, &bt)) > 0) {
        /* the loader made this batch while the last step ran */
        step.step++;
        if ((s = ax_graph_set_batch(g, rows)) != AX_OK)
            return s;
        if ((s = ax_node_write(m->input, bx, rows * per_x)) != AX_OK ||
            (s = ax_node_write(m->target, bt, rows * per_t)) != AX_OK ||
            (s = ax_train_step(m, opt, c->callbacks, c->n_callbacks, &step)) != AX_OK)
            return s;
        loss_sum += step.loss * (double)rows;
        if (classify)
            correct += count_correct(m->output, bt, ds->step_labels, per_t, rows);
        seen += rows;
        ax_progress_step(prog, step.step, loss_sum / (double)seen,
                         classify ? (double)correct / (double)labels_in(ds, seen) : NAN);
    }
    out->samples = seen;
    out->loss = seen ? loss_sum / (double)seen : 0.0;
    out->accuracy = !classify ? NAN : seen ? (double)correct / (double)labels_in(ds, seen) : 0.0;
    return AX_OK;
}

static ax_status fit_on(ax_model *m, ax_optimizer *opt, const ax_dataset *train, const ax_dataset *test,
                        const ax_fit_config *cfg, FILE *out, ax_epoch_log *history);

ax_status ax_fit(ax_model *m, ax_optimizer *opt, const ax_dataset *train, const ax_dataset *test,
                 const ax_fit_config *cfg, ax_epoch_log *history)
{
    ax_fit_config c = cfg ? *cfg : ax_fit_defaults();
    FILE *out = c.out ? c.out : stdout;
    ax_dataset *split_train = NULL, *split_val = NULL;
    if (!test && c.validation_split > 0) { /* hold out part of the training data */
        ax_status st = ax_dataset_split(train, c.validation_split, c.stratify, c.seed ^ 0x5eed, &split_train, &split_val);
        if (st != AX_OK)
            return st;
        train = split_train, test = split_val;
    }
    ax_status s = fit_on(m, opt, train, test, &c, out, history);
    ax_dataset_free(split_train);
    ax_dataset_free(split_val);
    return s;
}

static ax_status fit_on(ax_model *m, ax_optimizer *opt, const ax_dataset *train, const ax_dataset *test,
                        const ax_fit_config *cfg, FILE *out, ax_epoch_log *history)
{
    const ax_fit_config c = *cfg;
    ax_status s = check_model(m, train, "fit", 0);
    if (s == AX_OK && test)
        s = check_model(m, test, "fit (test data)", 0);
    if (s != AX_OK)
        return s;
    if (c.epochs < 0 || c.initial_epoch < 0 || c.initial_epoch > c.epochs)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: needs 0 <= initial_epoch (%d) <= epochs (%d)", c.initial_epoch, c.epochs);
    ax_loader *b;
    if ((s = ax_loader_new(train, ax_graph_max_batch(m->graph), 1, c.seed, 2, c.augment, &b)) != AX_OK)
        return s;
    /* every epoch's log, for the callbacks' train_end */
    ax_epoch_log *logs = ax_calloc((size_t)(c.epochs > 0 ? c.epochs : 1), sizeof *logs);
    if (!logs) {
        ax_loader_free(b);
        return ax_fail(AX_ERR_NOMEM, "fit: out of memory");
    }
    if (history)
        memset(history, 0, (size_t)c.epochs * sizeof *history);
    int epochs_run = c.initial_epoch, stop = 0;
    /* Many short epochs (a small table trained for 500) would print a
     * wall of lines: print about 20 of them, any epoch when the last line
     * is 2 s old, and always the first and the last. */
    const int stride = c.epochs > 20 ? (c.epochs + 19) / 20 : 1;
    double last_line = -INFINITY;
    ax_epoch_log unshown = {0};
    ax_loader_set_epoch(b, c.initial_epoch);
    if (c.flush_denormals)
        ax_set_flush_denormals(1);
    for (int e = c.initial_epoch + 1; e <= c.epochs && s == AX_OK && !stop; e++) {
        ax_epoch_log log = {.epoch = e, .lr = ax_optimizer_lr(opt)};
        ax_progress prog;
        ax_progress_begin(&prog, c.verbosity, e, c.epochs, ax_loader_num_batches(b));
        s = train_epoch(m, opt, b, &c, train, e, &prog, &log.train);
        if (s == AX_OK && test)
            s = run_eval(m, test, &log.test, NULL);
        log.seconds = ax_now_seconds() - prog.start;
        if (s == AX_OK && c.schedule)
            s = ax_schedule_step(c.schedule, opt, test ? log.test.loss : log.train.loss);
        if (s != AX_OK)
            break;
        const double now = ax_now_seconds();
        const int line = e == c.initial_epoch + 1 || e == c.epochs || e % stride == 0 || now - last_line >= 2.0;
        ax_progress_end(&prog, c.verbosity, out, &log, test != NULL, line);
        last_line = line ? now : last_line;
        unshown = line ? (ax_epoch_log){0} : log;
        if (history)
            history[e - 1] = log;
        logs[e - 1] = log;
        epochs_run = e;
        for (int k = 0; k < c.n_callbacks && s == AX_OK; k++)
            if (c.callbacks[k]->epoch_end)
                s = c.callbacks[k]->epoch_end(c.callbacks[k], m, &log, &stop);
    }
    if (c.flush_denormals)
        ax_set_flush_denormals(0);
    for (int k = 0; k < c.n_callbacks && s == AX_OK; k++)
        if (c.callbacks[k]->train_end)
            s = c.callbacks[k]->train_end(c.callbacks[k], m, logs + c.initial_epoch, epochs_run - c.initial_epoch);
    if (stop && c.verbosity != AX_QUIET) {
        if (unshown.epoch == epochs_run)
            ax_progress_line(out, &unshown, c.epochs, test != NULL);
        fprintf(out, "stopped after epoch %d of %d\n", epochs_run, c.epochs);
    }
    ax_free(logs);
    ax_loader_free(b);
    return s;
}
