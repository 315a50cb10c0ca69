/* fit, evaluate, predict: the training loop over mini-batches. */
#include "axon/train.h"
#include "train/parallel.h"
#include "train/progress.h"
#include "train/rows.h"

#include <math.h>
#include <string.h>

ax_fit_config ax_fit_defaults(void)
{
    ax_fit_config c = {.epochs = 1, .seed = 1, .verbosity = AX_PROGRESS, .out = NULL,
                       .flush_denormals = 1};
    return c;
}

/* Whether ds has class labels (per sample, or per step of a sequence). */
static int classifies(const ax_dataset *ds) { return ds->labels || ds->step_labels; }

/* ---- feeding batches to the model ---------------------------------------
 * Where each of the model's inputs and each head's target comes from in a
 * batch: values [offset, offset + width) of the loader's feature rows (or
 * target rows). A model with one input and head on a data set without
 * named parts reads whole rows; otherwise inputs and targets are matched
 * to the data's parts by their nodes' names. */
typedef struct slot {
    ax_node *node;
    int64_t offset, width;
} slot;

typedef struct feed {
    int n_x, n_heads;
    slot x[AX_MODEL_MAX_INPUTS], t[AX_MAX_HEADS];
    ax_head heads[AX_MAX_HEADS];
    int classify[AX_MAX_HEADS]; /* head k's targets are class labels: count its accuracy */
    int64_t labels_per_row[AX_MAX_HEADS];
    int64_t x_row, t_row;       /* values in a row of the loader's features and targets */
    int has_targets, several;   /* several: a model with named heads (logged one by one) */
} feed;

static ax_status named_input(const ax_model *m, const ax_dataset *ds, int i, const char *what, slot *out)
{
    ax_node *node = ax_model_input(m, i);
    const int64_t per_sample = ax_node_numel(node) / ax_graph_batch(m->graph);
    const ax_data_field *f = ax_dataset_field(ds, 0, ax_node_name(node));
    if (!f && ds->n_inputs == 0 && ax_model_num_inputs(m) == 1)
        *out = (slot){node, 0, ds->sample_size};
    else if (!f) {
        char names[400] = "";
        for (int k = 0; k < ds->n_inputs; k++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "", ds->inputs[k].name);
        return ax_fail(AX_ERR_SHAPE, "%s: the model's input '%s' has no feature group of that name in the data "
                       "(the data has %s%s)", what, ax_node_name(node), ds->n_inputs ? "" : "one unnamed group",
                       names);
    } else
        *out = (slot){node, f->offset, f->size};
    if (per_sample != out->width)
        return ax_fail(AX_ERR_SHAPE, "%s: the model's input '%s' takes %lld values per sample, the data has %lld",
                       what, ax_node_name(node), (long long)per_sample, (long long)out->width);
    return AX_OK;
}

static ax_status named_head(const ax_model *m, const ax_dataset *ds, int k, const char *what, feed *f)
{
    const ax_head *h = &f->heads[k];
    const ax_data_field *d = ax_dataset_field(ds, 1, ax_node_name(h->target));
    /* data without named targets: the labels (or real targets) feed a model
     * whose heads all read one target */
    int one_target = 1;
    for (int j = 0; j < f->n_heads; j++)
        one_target &= f->heads[j].target == h->target;
    const ax_data_field whole = {.offset = 0, .size = ds->labels ? 1 : ds->n_targets,
                                 .n_classes = ds->labels ? ds->n_classes : 0};
    if (!d && !ds->n_outputs && one_target && (ds->labels || ds->targets) && !ds->step_labels)
        d = &whole;
    if (!d && !m->n_heads && ds->n_outputs == 1) /* a model's one unnamed head reads the data's one target */
        d = &ds->outputs[0];
    if (!d) {
        char names[400] = "";
        for (int j = 0; j < ds->n_outputs; j++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", j ? ", " : "", ds->outputs[j].name);
        return ax_fail(AX_ERR_SHAPE, "%s: head '%s' reads the target '%s'; the data has no target of that name "
                       "(it has %s%s)", what, h->name, ax_node_name(h->target), ds->n_outputs ? "" : "no named targets",
                       names);
    }
    const int64_t per_sample = ax_node_numel(h->target) / ax_graph_batch(m->graph);
    if (h->classifier != (d->n_classes > 0))
        return ax_fail(AX_ERR_SHAPE, "%s: head '%s' %s; the data's '%s' holds %s", what, h->name,
                       h->classifier ? "takes class labels (its loss is a cross-entropy over classes)"
                                     : "takes real values", ax_node_name(h->target),
                       d->n_classes ? "class labels" : "real values");
    if (per_sample != d->size)
        return ax_fail(AX_ERR_SHAPE, "%s: head '%s' takes %lld target values per sample, the data's '%s' has %lld",
                       what, h->name, (long long)per_sample, ax_node_name(h->target), (long long)d->size);
    const ax_shape o = ax_node_shape(h->output);
    if (d->n_classes && (o.ndim != 2 || o.dim[1] != d->n_classes))
        return ax_fail(AX_ERR_SHAPE, "%s: head '%s' must output [batch, %d] for %d classes", what, h->name,
                       d->n_classes, d->n_classes);
    f->t[k] = (slot){h->target, d->offset, d->size};
    f->classify[k] = d->n_classes > 0;
    f->labels_per_row[k] = 1;
    return AX_OK;
}

/* Bind the model to the data set: check that they fit together; data with
 * features alone is fine only when predicting. */
static ax_status bind(const ax_model *m, const ax_dataset *ds, const char *what, int predicting, feed *f)
{
    memset(f, 0, sizeof *f);
    if (!m || !m->graph || !m->input || !m->output || (!predicting && (!m->target || !m->loss)))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: the model needs a graph, input, target, output and loss", what);
    if (!ax_graph_compiled(m->graph))
        return ax_fail(AX_ERR_STATE, "%s: compile the model's graph first", what);
    f->n_x = ax_model_num_inputs(m);
    f->n_heads = ax_model_num_heads(m);
    f->several = m->n_heads > 0;
    f->x_row = ds->sample_size;
    f->t_row = ds->targets ? ds->n_targets : 1;
    f->has_targets = ds->labels || ds->targets;
    for (int k = 0; k < f->n_heads; k++) {
        f->heads[k] = ax_model_head(m, k);
        if (!f->heads[k].target) /* a model saved without its loss: predictions only, the data's answers unread */
            f->has_targets = 0;
    }
    if (!f->has_targets && !predicting)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: the data has features only (no labels or targets): "
                       "it can be predicted on, not trained or evaluated on", what);
    ax_status s = AX_OK;
    for (int i = 0; i < f->n_x && s == AX_OK; i++)
        s = named_input(m, ds, i, what, &f->x[i]);
    if (s != AX_OK || !f->has_targets)
        return s;
    if (m->n_heads || ds->n_outputs) {
        for (int k = 0; k < f->n_heads && s == AX_OK; k++)
            s = named_head(m, ds, k, what, f);
        return s;
    }
    /* one head on the data's labels or targets */
    const int64_t per_t = ax_node_numel(m->target) / ax_graph_batch(m->graph);
    f->t[0] = (slot){m->target, 0, per_t};
    f->classify[0] = classifies(ds);
    f->labels_per_row[0] = ds->step_labels ? ds->n_targets : 1;
    ax_shape t = ax_node_shape(m->target), o = ax_node_shape(m->output);
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

/* Copy the slot's columns of `rows` rows of `row` values into its node. */
static ax_status fill(const slot *sl, const float *src, int64_t row, int64_t rows)
{
    if (sl->offset == 0 && sl->width == row)
        return ax_node_write(sl->node, src, rows * row);
    float *dst = ax_node_map(sl->node);
    if (!dst)
        return ax_fail(AX_ERR_STATE, "feed: cannot reach the data of '%s'", ax_node_name(sl->node));
    for (int64_t r = 0; r < rows; r++)
        memcpy(dst + r * sl->width, src + r * row + sl->offset, (size_t)sl->width * sizeof(float));
    ax_node_unmap(sl->node, 1);
    return AX_OK;
}

/* A batch into the model's inputs and targets (the batch size set). */
static ax_status feed_batch(ax_graph *g, const feed *f, const float *x, const float *t, int64_t rows)
{
    ax_status s = ax_graph_set_batch(g, rows);
    for (int i = 0; i < f->n_x && s == AX_OK; i++)
        s = fill(&f->x[i], x, f->x_row, rows);
    for (int k = 0; k < f->n_heads && s == AX_OK && f->has_targets; k++)
        s = fill(&f->t[k], t, f->t_row, rows);
    return s;
}

/* Labels whose output row has its largest score there. Targets (the
 * target node's values) are a class index per sample, a one-hot row of
 * per_t values, or (step labels) a class index for each of per_t steps,
 * the output [rows, per_t, C]. */
static int64_t count_correct(const slot *t, ax_node *output, int64_t labels_per_row, int64_t rows,
                             ax_confusion *conf)
{
    const ax_shape o = ax_node_shape(output);
    const int64_t c = o.dim[o.ndim - 1], per_t = t->width, n = rows * labels_per_row;
    const int one_hot = labels_per_row == 1 && per_t > 1;
    int64_t correct = 0;
    const float *y = ax_node_map(output), *targets = ax_node_map(t->node);
    for (int64_t r = 0; r < n; r++) {
        int64_t label = one_hot ? ax_row_argmax(per_t, targets + r * per_t) : (int64_t)targets[r];
        const int64_t predicted = ax_row_argmax(c, y + r * c);
        correct += predicted == label;
        if (conf && label >= 0 && label < conf->n_classes && predicted < conf->n_classes) {
            conf->counts[label * conf->n_classes + predicted]++;
            conf->total++;
        }
    }
    ax_node_unmap(t->node, 0);
    ax_node_unmap(output, 0);
    return correct;
}

/* Running sums of a pass: the total loss and each head's loss and hits. */
typedef struct sums {
    double loss, head_loss[AX_MAX_HEADS];
    int64_t correct[AX_MAX_HEADS], seen;
    ax_confusion *confusion; /* counted for the first classifying head when not NULL */
} sums;

static int first_classifier(const feed *f)
{
    for (int k = 0; k < f->n_heads; k++)
        if (f->classify[k])
            return k;
    return -1;
}

/* What a pass adds up for each batch, as doubles (integers in them are
 * exact): [0] the loss times the rows, [1 + k] head k's loss times the
 * rows, [1 + H + k] head k's hits, [1 + 2H] the rows. Shards and ranks add
 * their records in shard order. */
#define RECORD_MAX (2 + 2 * AX_MAX_HEADS)
static int record_size(const feed *f) { return 2 + 2 * f->n_heads; }

/* After a forward pass to the loss (`loss` the total's value). */
static ax_status record_batch(const feed *f, double loss, int64_t rows, ax_confusion *confusion, double *rec)
{
    const int h = f->n_heads;
    memset(rec, 0, (size_t)record_size(f) * sizeof *rec);
    rec[0] = loss * (double)rows;
    for (int k = 0; k < h; k++) {
        float hl = (float)loss;
        ax_status s = f->several ? ax_node_read(f->heads[k].loss, &hl, 1) : AX_OK;
        if (s != AX_OK)
            return s;
        rec[1 + k] = (double)hl * (double)rows;
        if (f->classify[k])
            rec[1 + h + k] = (double)count_correct(&f->t[k], f->heads[k].output, f->labels_per_row[k], rows,
                                                   k == first_classifier(f) ? confusion : NULL);
    }
    rec[1 + 2 * h] = (double)rows;
    return AX_OK;
}

static void add_record(const feed *f, sums *sm, const double *rec)
{
    const int h = f->n_heads;
    sm->loss += rec[0];
    for (int k = 0; k < h; k++) {
        sm->head_loss[k] += rec[1 + k];
        sm->correct[k] += (int64_t)rec[1 + h + k];
    }
    sm->seen += (int64_t)rec[1 + 2 * h];
}

static ax_status add_batch(const feed *f, sums *sm, double loss, int64_t rows)
{
    double rec[RECORD_MAX];
    ax_status s = record_batch(f, loss, rows, sm->confusion, rec);
    if (s == AX_OK)
        add_record(f, sm, rec);
    return s;
}

/* A pass's sums as a record (and back), to add shards' and ranks' sums */
static void record_of(const feed *f, const sums *sm, double *rec)
{
    const int h = f->n_heads;
    rec[0] = sm->loss;
    for (int k = 0; k < h; k++)
        rec[1 + k] = sm->head_loss[k], rec[1 + h + k] = (double)sm->correct[k];
    rec[1 + 2 * h] = (double)sm->seen;
}

static double accuracy_of(const feed *f, const sums *sm, int k)
{
    return !f->classify[k] ? NAN : sm->seen ? (double)sm->correct[k] / (double)(sm->seen * f->labels_per_row[k]) : 0.0;
}

/* The pass's metrics: the total, and each head's when there are several. */
static void metrics_of(const feed *f, const sums *sm, ax_metrics *total, ax_metrics *heads, int *n_heads)
{
    const double n = sm->seen ? (double)sm->seen : 1.0;
    *total = (ax_metrics){.loss = sm->loss / n, .accuracy = f->several ? NAN : accuracy_of(f, sm, 0),
                          .samples = sm->seen};
    if (!heads)
        return;
    *n_heads = f->several ? f->n_heads : 0;
    for (int k = 0; k < *n_heads; k++)
        heads[k] = (ax_metrics){.loss = sm->head_loss[k] / n, .accuracy = accuracy_of(f, sm, k), .samples = sm->seen};
}

/* The node that a prediction pass runs to: the last of the outputs. */
static ax_node *last_output(const feed *f)
{
    ax_node *last = f->heads[0].output;
    for (int k = 1; k < f->n_heads; k++)
        if (ax_node_id(f->heads[k].output) > ax_node_id(last))
            last = f->heads[k].output;
    return last;
}

/* One pass over ds without updates; fills the metrics (head ones when
 * heads is not NULL), or writes the outputs into predictions. */
/* A data-parallel evaluation's sums: batch i was shard i % N's; each
 * process's shards are added in shard order, then the ranks' in rank
 * order (the confusion counts with them), so every rank has the totals. */
static ax_status join_shards(ax_dp *dp, const feed *f, sums *shard, sums *sm, int failed)
{
    const int nr = record_size(f);
    const ax_confusion *conf = sm->confusion;
    const int64_t cells = conf ? (int64_t)conf->n_classes * conf->n_classes : 0;
    double *rec = ax_calloc((size_t)(nr + cells), sizeof *rec);
    if (!rec)
        return ax_fail(AX_ERR_NOMEM, "evaluate: out of memory");
    for (int j = 0; j < ax_dp_count(dp); j++) {
        double one[RECORD_MAX];
        record_of(f, &shard[j], one);
        ax_dp_add_record(dp, j, rec, one, nr);
    }
    for (int64_t i = 0; i < cells; i++)
        rec[nr + i] = (double)conf->counts[i];
    ax_status s = ax_dp_reduce(dp, rec, (int)(nr + cells), failed, "an evaluation pass");
    ax_confusion *counts = sm->confusion;
    *sm = (sums){.confusion = counts};
    add_record(f, sm, rec);
    if (counts) {
        counts->total = 0;
        for (int64_t i = 0; i < cells; i++)
            counts->total += counts->counts[i] = (int64_t)rec[nr + i];
    }
    ax_free(rec);
    return s;
}

static ax_status run_eval(ax_model *m, const feed *f, const ax_dataset *ds, ax_metrics *out, ax_metrics *heads,
                          int *n_heads, float *predictions, ax_confusion *confusion, ax_dp *dp)
{
    ax_batcher *b;
    ax_status s = ax_batcher_new(ds, ax_graph_max_batch(m->graph), 0, 0, &b);
    float *x = NULL, *t = NULL;
    const int64_t batch = ax_graph_max_batch(m->graph);
    if (s == AX_OK && (!(x = ax_alloc((size_t)(batch * f->x_row) * sizeof *x)) ||
                       !(t = ax_calloc((size_t)(batch * f->t_row), sizeof *t))))
        s = ax_fail(AX_ERR_NOMEM, "evaluate: out of memory for a batch");
    if (s != AX_OK) {
        ax_batcher_free(b);
        ax_free(x);
        return s;
    }
    int was_training = ax_graph_training(m->graph);
    ax_graph_set_training(m->graph, 0);
    ax_batcher_start_epoch(b);
    sums sm = {.confusion = confusion};
    if (confusion) {
        memset(confusion->counts, 0, (size_t)confusion->n_classes * (size_t)confusion->n_classes * sizeof(int64_t));
        confusion->total = 0;
    }
    int64_t rows, width = 0;
    for (int k = 0; k < f->n_heads; k++)
        width += ax_node_numel(f->heads[k].output) / ax_graph_batch(m->graph);
    /* without targets, the losses a prediction pass may run through read zeros (valid class 0) */
    for (int k = 0; k < f->n_heads && predictions && !f->has_targets && s == AX_OK; k++)
        if (f->heads[k].target)
            s = ax_node_write(f->heads[k].target, t, ax_node_numel(f->heads[k].target));
    /* data-parallel: each shard's sums apart (predictions never are) */
    const int split = dp && !predictions && ax_dp_size(dp) > 1;
    sums *shard = split ? ax_calloc((size_t)ax_dp_count(dp), sizeof *shard) : NULL;
    if (split && !shard)
        s = ax_fail(AX_ERR_NOMEM, "evaluate: out of memory");
    for (int j = 0; split && shard && j < ax_dp_count(dp); j++)
        shard[j].confusion = confusion;
    for (int64_t i = 0; s == AX_OK && (rows = ax_batcher_next(b, x, t)) > 0; i++) {
        const int j = split ? (int)(i % ax_dp_size(dp)) - ax_dp_first(dp) : 0;
        if (split && (j < 0 || j >= ax_dp_count(dp)))
            continue; /* another rank's batch */
        if ((s = feed_batch(m->graph, f, x, t, rows)) != AX_OK)
            break;
        if ((s = ax_graph_forward_to(m->graph, predictions ? last_output(f) : m->loss)) != AX_OK)
            break;
        if (predictions) { /* each sample's row: every head's outputs in turn */
            int64_t at = 0;
            for (int k = 0; k < f->n_heads && s == AX_OK; k++) {
                ax_node *o = f->heads[k].output;
                const int64_t w = ax_node_numel(o) / rows;
                const float *y = ax_node_map(o);
                for (int64_t r = 0; r < rows; r++)
                    memcpy(predictions + (sm.seen + r) * width + at, y + r * w, (size_t)w * sizeof(float));
                ax_node_unmap(o, 0);
                at += w;
            }
            sm.seen += rows;
        } else {
            float loss;
            if ((s = ax_node_read(m->loss, &loss, 1)) == AX_OK)
                s = add_batch(f, split ? &shard[j] : &sm, loss, rows);
        }
    }
    if (split) { /* on every rank, failed or not, so that none waits */
        const ax_status joined = shard ? join_shards(dp, f, shard, &sm, s != AX_OK) : s;
        s = s == AX_OK ? joined : s;
    }
    ax_free(shard);
    ax_graph_set_training(m->graph, was_training);
    ax_batcher_free(b);
    ax_free(x);
    ax_free(t);
    if (s == AX_OK && out)
        metrics_of(f, &sm, out, heads, n_heads);
    return s;
}

ax_status ax_evaluate(ax_model *m, const ax_dataset *ds, ax_metrics *out)
{
    return ax_evaluate_heads(m, ds, out, NULL);
}

ax_status ax_evaluate_heads(ax_model *m, const ax_dataset *ds, ax_metrics *out, ax_metrics *heads)
{
    feed f;
    int n;
    ax_status s = bind(m, ds, "evaluate", 0, &f);
    return s != AX_OK ? s : run_eval(m, &f, ds, out, heads, &n, NULL, NULL, NULL);
}

ax_status ax_predict(ax_model *m, const ax_dataset *ds, float *out)
{
    feed f;
    ax_status s = bind(m, ds, "predict", 1, &f);
    return s != AX_OK ? s : run_eval(m, &f, ds, NULL, NULL, NULL, out, NULL, NULL);
}

/* Forward to the loss and backward: the step's gradients, its loss in *loss. */
static ax_status forward_backward(ax_model *m, const ax_step *step, float *loss)
{
    ax_graph *g = m->graph;
    ax_graph_set_training(g, 1);
    ax_status s = ax_graph_forward_to(g, m->loss);
    if (s == AX_OK)
        s = ax_node_read(m->loss, loss, 1);
    if (s == AX_OK && !isfinite(*loss))
        s = ax_fail(AX_ERR_NUMERIC,
                    "fit: the loss became %s at epoch %d, step %lld (exploding gradients? "
                    "try a smaller learning rate)",
                    isnan(*loss) ? "NaN" : "infinite", step->epoch, (long long)step->step);
    return s == AX_OK ? ax_graph_backward(g, m->loss, NULL) : s;
}

/* The gradients are the step's: the callbacks see them, the optimizer
 * applies them. */
static ax_status update(ax_model *m, ax_optimizer *opt, ax_callback *const *callbacks, int n_callbacks,
                        ax_step *step)
{
    ax_status s = AX_OK;
    step->grads = ax_graph_grad_span(m->graph);
    step->skip_update = 0;
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

ax_status ax_train_step(ax_model *m, ax_optimizer *opt, ax_callback *const *callbacks, int n_callbacks,
                        ax_step *step)
{
    float loss;
    ax_status s = forward_backward(m, step, &loss);
    if (s != AX_OK)
        return s;
    step->loss = loss;
    step->rows = ax_graph_batch(m->graph);
    return update(m, opt, callbacks, n_callbacks, step);
}

/* One step of fit on a batch of `rows` rows: this process's shards of it
 * (all of it when alone), their gradients summed over every shard, then
 * the update. record: the batch's sums over every shard. */
static ax_status fit_step(ax_model *m, ax_optimizer *opt, const ax_fit_config *c, const feed *f, ax_dp *dp,
                          const float *bx, const float *bt, int64_t rows, ax_step *step, double *record)
{
    ax_graph *g = m->graph;
    const int nr = record_size(f);
    ax_status s = ax_dp_begin_step(dp), failed = AX_OK;
    for (int j = 0; j < ax_dp_count(dp) && s == AX_OK; j++) {
        int64_t first, n;
        double shard[RECORD_MAX] = {0};
        ax_dp_shard_rows(dp, rows, ax_dp_first(dp) + j, &first, &n);
        if ((s = ax_dp_before_shard(dp, j, rows)) != AX_OK)
            break;
        float loss = 0.0f;
        if (n > 0 && (failed = feed_batch(g, f, bx + first * f->x_row, bt + first * f->t_row, n)) == AX_OK &&
            (failed = forward_backward(m, step, &loss)) == AX_OK)
            failed = record_batch(f, loss, n, NULL, shard);
        if (n == 0) { /* fewer rows than shards: this one adds nothing */
            const ax_span grads = ax_graph_grad_span(g);
            memset(grads.data, 0, (size_t)grads.n * sizeof(float));
        }
        if (failed != AX_OK && ax_dp_ranks(dp) == 1)
            return failed; /* alone: nobody waits */
        s = ax_dp_after_shard(dp, j, failed != AX_OK);
        ax_dp_add_record(dp, j, record, shard, nr);
    }
    if (s == AX_OK)
        s = ax_dp_finish_step(dp, record, nr, failed != AX_OK, "a training step");
    if (failed != AX_OK)
        return failed;
    if (s != AX_OK)
        return s;
    if (ax_dp_count(dp) > 1) { /* the callbacks see shard 0's rows, as rank 0's do */
        int64_t first, n;
        ax_dp_shard_rows(dp, rows, 0, &first, &n);
        if (n > 0 && (s = feed_batch(g, f, bx, bt, n)) != AX_OK)
            return s;
    }
    step->loss = (float)(record[0] / (double)rows);
    step->rows = rows;
    return update(m, opt, c->callbacks, c->n_callbacks, step);
}

static ax_status train_epoch(ax_model *m, ax_optimizer *opt, ax_loader *l, const ax_fit_config *c, const feed *f,
                             ax_dp *dp, int epoch, ax_progress *prog, ax_epoch_log *log)
{
    sums sm = {0};
    int64_t rows;
    ax_step step = {.epoch = epoch};
    const float *bx, *bt;
    ax_status s = AX_OK;
    ax_loader_start_epoch(l);
    while ((rows = ax_loader_next(l, &bx, &bt)) > 0) {
        /* the loader made this batch while the last step ran */
        step.step++;
        double record[RECORD_MAX];
        if ((s = fit_step(m, opt, c, f, dp, bx, bt, rows, &step, record)) != AX_OK)
            return s;
        /* the head losses and outputs are those of the forward pass, before the update */
        add_record(f, &sm, record);
        ax_progress_step(prog, step.step, sm.loss / (double)sm.seen, f->several ? NAN : accuracy_of(f, &sm, 0));
    }
    metrics_of(f, &sm, &log->train, log->train_heads, &log->n_heads);
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

/* A batch split into shards trains like the whole batch when each loss is
 * a mean over the rows (each shard's gradient weighted by its share); a
 * summed loss would need the shards' gradients unweighted. */
static ax_status check_mean_losses(ax_model *m)
{
    ax_graph *g = m->graph;
    for (int i = 0; i <= ax_node_id(m->loss); i++) {
        const ax_node *n = ax_graph_node(g, i);
        const ax_op_schema *sc = ax_node_schema(n);
        for (int k = 0; sc && k < sc->n_attrs; k++)
            if (!strcmp(sc->attrs[k].name, "reduction") && ax_node_attr(n, k) != 0.0)
                return ax_fail(AX_ERR_UNSUPPORTED, "fit: data-parallel training needs losses averaged over the batch; "
                               "'%s' (%s) sums", ax_node_name(n), sc->name);
        if (sc && !strcmp(sc->name, "sse"))
            return ax_fail(AX_ERR_UNSUPPORTED, "fit: data-parallel training needs losses averaged over the batch; "
                           "'%s' (sse) sums", ax_node_name(n));
    }
    return AX_OK;
}

/* Every rank must see the same data and settings, or their collectives
 * would not match: the first difference is an error on every rank. */
static ax_status start_parallel(ax_dp *dp, ax_model *m, const ax_dataset *train, const ax_dataset *test,
                                const ax_fit_config *c)
{
    if (ax_dp_size(dp) == 1)
        return AX_OK;
    ax_status s = check_mean_losses(m);
    if (s != AX_OK || ax_dp_ranks(dp) == 1)
        return s;
    const int64_t check[] = {train->n, test ? test->n : -1, ax_graph_max_batch(m->graph),
                             ax_graph_param_count(m->graph), c->epochs, c->initial_epoch, (int64_t)c->seed,
                             ax_graph_num_nodes(m->graph)};
    const char *const what[] = {"training samples", "held-out samples", "batch size", "parameters", "epochs",
                                "epochs already run", "seed", "graph nodes"};
    return ax_dp_start(dp, check, what, (int)(sizeof check / sizeof check[0]));
}

static ax_status fit_on(ax_model *m, ax_optimizer *opt, const ax_dataset *train, const ax_dataset *test,
                        const ax_fit_config *cfg, FILE *out, ax_epoch_log *history)
{
    ax_fit_config c = *cfg;
    feed on_train, on_test;
    ax_status s = bind(m, train, "fit", 0, &on_train);
    if (s == AX_OK && test)
        s = bind(m, test, "fit (test data)", 0, &on_test);
    if (s != AX_OK)
        return s;
    if (c.epochs < 0 || c.initial_epoch < 0 || c.initial_epoch > c.epochs)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: needs 0 <= initial_epoch (%d) <= epochs (%d)", c.initial_epoch, c.epochs);
    if (c.precision < AX_PRECISION_GRAPH || c.precision > AX_PRECISION_BF16)
        return ax_fail(AX_ERR_INVALID_ARG, "fit: precision %d is none of AX_PRECISION_GRAPH, _F32, _BF16",
                       (int)c.precision);
    if (c.precision != AX_PRECISION_GRAPH)
        ax_graph_set_bf16(m->graph, c.precision == AX_PRECISION_BF16);
    ax_dp *dp;
    if ((s = ax_dp_new(m->graph, m->loss, c.comm, c.shards, c.bucket_bytes, &dp)) != AX_OK)
        return s;
    if ((s = start_parallel(dp, m, train, test, &c)) != AX_OK) {
        ax_dp_free(dp);
        return s;
    }
    if (ax_dp_rank(dp) != 0) /* progress shown once, by rank 0 */
        c.verbosity = AX_QUIET;
    ax_loader *b;
    if ((s = ax_loader_new(train, ax_graph_max_batch(m->graph), 1, c.seed, 2, c.augment, &b)) != AX_OK) {
        ax_dp_free(dp);
        return s;
    }
    /* every epoch's log, for the callbacks' train_end */
    ax_epoch_log *logs = ax_calloc((size_t)(c.epochs > 0 ? c.epochs : 1), sizeof *logs);
    if (!logs) {
        ax_loader_free(b);
        ax_dp_free(dp);
        return ax_fail(AX_ERR_NOMEM, "fit: out of memory");
    }
    if (history)
        memset(history, 0, (size_t)c.epochs * sizeof *history);
    /* the held-out confusion matrix of the first classifying head, for the
     * epoch_end callbacks (counted in the evaluation pass at no extra cost) */
    ax_confusion *confusion = NULL;
    const int ck = test ? first_classifier(&on_test) : -1;
    if (ck >= 0 && on_test.labels_per_row[ck] == 1) {
        const ax_shape o = ax_node_shape(on_test.heads[ck].output);
        if ((s = ax_confusion_new((int)o.dim[o.ndim - 1], &confusion)) != AX_OK) {
            ax_free(logs);
            ax_loader_free(b);
            ax_dp_free(dp);
            return s;
        }
    }
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
        s = train_epoch(m, opt, b, &c, &on_train, dp, e, &prog, &log);
        int n_heads;
        if (s == AX_OK && test)
            s = run_eval(m, &on_test, test, &log.test, log.test_heads, &n_heads, NULL, confusion, dp);
        log.test_confusion = confusion;
        log.seconds = ax_now_seconds() - prog.start;
        if (s == AX_OK && c.schedule)
            s = ax_schedule_step(c.schedule, opt, test ? log.test.loss : log.train.loss);
        if (s != AX_OK)
            break;
        const double now = ax_now_seconds();
        const int line = e == c.initial_epoch + 1 || e == c.epochs || e % stride == 0 || now - last_line >= 2.0;
        ax_progress_end(&prog, c.verbosity, out, &log, test != NULL, line, m);
        last_line = line ? now : last_line;
        unshown = line ? (ax_epoch_log){0} : log;
        epochs_run = e;
        for (int k = 0; k < c.n_callbacks && s == AX_OK; k++)
            if (c.callbacks[k]->epoch_end)
                s = c.callbacks[k]->epoch_end(c.callbacks[k], m, &log, &stop);
        if (ax_dp_ranks(dp) > 1) { /* a rank's callback that failed or stopped training ends every rank's */
            double stops = stop != 0;
            const ax_status agreed = ax_dp_reduce(dp, &stops, 1, s != AX_OK, "the callbacks after an epoch");
            s = s == AX_OK ? agreed : s;
            stop = stops > 0;
        }
        log.test_confusion = NULL; /* the matrix is counted again next epoch */
        if (history)
            history[e - 1] = log;
        logs[e - 1] = log;
    }
    if (c.flush_denormals)
        ax_set_flush_denormals(0);
    for (int k = 0; k < c.n_callbacks && s == AX_OK; k++)
        if (c.callbacks[k]->train_end)
            s = c.callbacks[k]->train_end(c.callbacks[k], m, logs + c.initial_epoch, epochs_run - c.initial_epoch);
    if (stop && c.verbosity != AX_QUIET) {
        if (unshown.epoch == epochs_run)
            ax_progress_line(out, &unshown, c.epochs, test != NULL, m);
        fprintf(out, "stopped after epoch %d of %d\n", epochs_run, c.epochs);
    }
    if (c.parallel_stats)
        ax_dp_stats(dp, c.parallel_stats);
    ax_confusion_free(confusion);
    ax_free(logs);
    ax_loader_free(b);
    ax_dp_free(dp);
    return s;
}
