/* The run logger (a callback): everything a training run produces, in one
 * folder that `axon board` serves live and `axon report` packs into one
 * HTML file (docs/board.md has the formats):
 *   run.json          what was run (config, model summary, graph), its
 *                     status and progress; replaced atomically at the
 *                     start, after each epoch and at the end
 *   epochs.jsonl      one JSON object a line per epoch: every metric
 *   steps.jsonl       every scalar_every steps: loss, learning rate,
 *                     gradient norm, step time, throughput
 *   histograms.jsonl  every histogram_every steps: each parameter's
 *                     values and gradient, each layer's output
 *   confusion.json    the held-out confusion matrix of the last epoch
 *   events.out.tfevents.*  the same in TensorBoard's format, with the graph
 * The .jsonl logs are appended a whole line at a time and flushed (a
 * reader ignores a last line without its newline: one being written); a
 * failed write ends training with an error naming the file. */
#include "axon/train.h"
#include "core/threads.h"
#include "train/histogram.h"
#include "train/tb_writer.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

ax_run_options ax_run_defaults(void)
{
    return (ax_run_options){.scalar_every = 50, .histogram_every = 100, .bins = 30, .tensorboard = 1};
}

/* a tensor the histograms follow: a parameter's values or gradient, or a
 * layer's output */
typedef enum { TRACK_WEIGHT, TRACK_GRAD, TRACK_ACTIVATION } track_kind;
typedef struct tracked {
    ax_node *node;
    track_kind kind;
    char name[128], tag[160]; /* tag: "weights/NAME", "gradients/NAME", "activations/NAME" */
} tracked;

typedef struct run_log {
    char dir[4096], path[4200];
    ax_run_options o;
    ax_graph *graph;
    cJSON *run;        /* run.json's tree */
    FILE *epochs, *steps, *hists;
    ax_tb_writer *tb;
    tracked *track;
    int n_track, n_activations;
    ax_node *last_activation;
    ax_histogram *grad_hist; /* the gradients' histograms of a histogram step (taken in grads_ready) */
    int64_t step;            /* global: steps since the run began */
    /* since the last step line */
    double loss_sum, grad_norm, since;
    int64_t rows, steps_since;
    int finished;
    double spent; /* seconds inside the hooks: what logging cost */
} run_log;

static double wall_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

static void iso_time(char *out, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A number written to read back exactly: 17 significant digits for a
 * double, 9 for a float's value (cJSON's printer settles for 15 when they
 * read back within an epsilon); nothing when it is NaN or infinite (JSON
 * has neither). */
static void add_real(cJSON *o, const char *key, double v, int digits)
{
    char text[40];
    if (isfinite(v) && snprintf(text, sizeof text, "%.*g", digits, v) < (int)sizeof text)
        cJSON_AddRawToObject(o, key, text);
}

static void add_number(cJSON *o, const char *key, double v) { add_real(o, key, v, 17); }
static void add_float(cJSON *o, const char *key, float v) { add_real(o, key, v, 9); }

static cJSON *shape_of(const ax_node *n)
{
    const ax_shape s = ax_node_shape(n);
    cJSON *a = cJSON_CreateArray();
    for (int d = 0; d < s.ndim; d++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s.dim[d]));
    return a;
}

/* A whole JSON file of the folder, replaced atomically (text from cJSON's printer, freed). */
static ax_status write_json_file(run_log *l, const char *name, char *text)
{
    if (!text)
        return ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    snprintf(l->path, sizeof l->path, "%s/%s", l->dir, name);
    ax_status s = ax_write_file_atomic(l->path, text, strlen(text));
    cJSON_free(text);
    return s;
}

static ax_status write_run_json(run_log *l)
{
    char now[32];
    iso_time(now, sizeof now);
    cJSON_DeleteItemFromObject(l->run, "updated");
    cJSON_AddStringToObject(l->run, "updated", now);
    return write_json_file(l, "run.json", cJSON_Print(l->run));
}

static void set_field(cJSON *o, const char *key, cJSON *value)
{
    cJSON_DeleteItemFromObject(o, key);
    cJSON_AddItemToObject(o, key, value);
}

/* One JSON line, flushed; the object is freed. */
static ax_status append_line(run_log *l, FILE *f, const char *file, cJSON *o)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    const int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0;
    cJSON_free(text);
    return ok ? AX_OK : ax_fail(AX_ERR_IO, "%s/%s: write failed: %s", l->dir, file, strerror(errno));
}

/* ---- the model: layers, scopes, graph ------------------------------------ */

/* Which layer each node belongs to: layer l takes every node its output
 * depends on that no earlier layer took (so its parameters and inner ops);
 * what comes after the last layer (the loss) is in scope "loss". Without
 * layers, a parameter "fc1.weight" is in scope "fc1" and an op in none. */
static void scopes(run_log *l, int *scope, char (*names)[160])
{
    ax_graph *g = l->graph;
    const int n = ax_graph_num_nodes(g);
    for (int i = 0; i < n; i++)
        scope[i] = -1;
    int *stack = ax_calloc((size_t)n + 1, sizeof *stack);
    for (int k = 0; stack && k < l->o.n_layers; k++) {
        int top = 0;
        const int root = ax_node_id(l->o.layers[k].output);
        if (scope[root] < 0)
            scope[root] = k, stack[top++] = root;
        while (top > 0) {
            ax_node *node = ax_graph_node(g, stack[--top]);
            for (int j = 0; j < ax_node_num_inputs(node); j++) {
                const int in = ax_node_id(ax_node_input(node, j));
                if (scope[in] < 0)
                    scope[in] = k, stack[top++] = in;
            }
        }
    }
    ax_free(stack);
    for (int i = 0; i < n; i++) {
        ax_node *node = ax_graph_node(g, i);
        const char *name = ax_node_name(node);
        char prefix[128] = "";
        if (scope[i] >= 0)
            snprintf(prefix, sizeof prefix, "%s", l->o.layers[scope[i]].name);
        else if (l->o.n_layers && strcmp(ax_node_op(node), "input"))
            snprintf(prefix, sizeof prefix, "loss");
        else if (!l->o.n_layers && strchr(name, '.'))
            snprintf(prefix, sizeof prefix, "%.*s", (int)(strchr(name, '.') - name), name);
        if (!*prefix || !strcmp(prefix, name))
            snprintf(names[i], sizeof names[i], "%s", name);
        else
            snprintf(names[i], sizeof names[i], "%s/%s", prefix, name);
    }
}

static int64_t params_of_layer(ax_graph *g, const int *scope, int k)
{
    int64_t count = 0;
    for (int i = 0; i < ax_graph_num_nodes(g); i++) {
        ax_node *node = ax_graph_node(g, i);
        if (scope[i] == k && !strcmp(ax_node_op(node), "param") && !ax_node_is_buffer(node))
            count += ax_node_numel(node);
    }
    return count;
}

/* run.json's "model": the layers (or the op nodes) with shapes and
 * parameter counts, every node with its scope and inputs; the graph also
 * goes to TensorBoard. */
static ax_status describe_model(run_log *l, cJSON *model)
{
    ax_graph *g = l->graph;
    const int n = ax_graph_num_nodes(g);
    int *scope = ax_calloc((size_t)n + 1, sizeof *scope);
    char(*names)[160] = ax_calloc((size_t)n + 1, sizeof *names);
    const char **name_ptr = ax_calloc((size_t)n + 1, sizeof *name_ptr);
    if (!scope || !names || !name_ptr) {
        ax_free(scope), ax_free(names), ax_free(name_ptr);
        return ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    }
    scopes(l, scope, names);
    int64_t trainable = 0, frozen = 0;
    for (int i = 0; i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        if (!ax_node_is_buffer(p))
            *(ax_node_frozen(p) ? &frozen : &trainable) += ax_node_numel(p);
    }
    cJSON_AddNumberToObject(model, "params", (double)(trainable + frozen));
    cJSON_AddNumberToObject(model, "trainable", (double)trainable);
    cJSON_AddNumberToObject(model, "batch", (double)ax_graph_batch(g));
    cJSON *layers = cJSON_AddArrayToObject(model, "layers");
    for (int k = 0; k < l->o.n_layers; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", l->o.layers[k].name);
        cJSON_AddStringToObject(o, "type", l->o.layers[k].type ? l->o.layers[k].type : "");
        cJSON_AddStringToObject(o, "output", ax_node_name(l->o.layers[k].output));
        cJSON_AddItemToObject(o, "shape", shape_of(l->o.layers[k].output));
        cJSON_AddNumberToObject(o, "params", (double)params_of_layer(g, scope, k));
        cJSON_AddItemToArray(layers, o);
    }
    cJSON *nodes = cJSON_AddArrayToObject(model, "nodes");
    for (int i = 0; i < n; i++) {
        ax_node *node = ax_graph_node(g, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ax_node_name(node));
        cJSON_AddStringToObject(o, "op", ax_node_op(node));
        cJSON_AddStringToObject(o, "scope", scope[i] >= 0 ? l->o.layers[scope[i]].name
                                            : l->o.n_layers && strcmp(ax_node_op(node), "input") ? "loss"
                                                                                                   : "");
        cJSON_AddItemToObject(o, "shape", shape_of(node));
        cJSON *in = cJSON_AddArrayToObject(o, "inputs");
        for (int j = 0; j < ax_node_num_inputs(node); j++)
            cJSON_AddItemToArray(in, cJSON_CreateNumber(ax_node_id(ax_node_input(node, j))));
        cJSON_AddItemToArray(nodes, o);
        name_ptr[i] = names[i];
    }
    ax_status s = l->tb ? ax_tb_graph(l->tb, g, name_ptr) : AX_OK;
    ax_free(scope), ax_free(names), ax_free(name_ptr);
    return s;
}

/* The tensors the histograms follow: every trainable parameter (values
 * and gradient), every layer's output (every op's without layers). */
static ax_status choose_tracked(run_log *l)
{
    ax_graph *g = l->graph;
    const int n = ax_graph_num_nodes(g);
    l->track = ax_calloc((size_t)(2 * ax_graph_num_params(g) + n + 1), sizeof *l->track);
    l->grad_hist = ax_calloc((size_t)ax_graph_num_params(g) + 1, sizeof *l->grad_hist);
    if (!l->track || !l->grad_hist)
        return ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    for (int kind = TRACK_WEIGHT; kind <= TRACK_GRAD; kind++)
        for (int i = 0; i < ax_graph_num_params(g); i++) {
            ax_node *p = ax_graph_param(g, i);
            if (ax_node_is_buffer(p))
                continue;
            tracked *t = &l->track[l->n_track++];
            *t = (tracked){.node = p, .kind = (track_kind)kind};
            snprintf(t->name, sizeof t->name, "%s", ax_node_name(p));
            snprintf(t->tag, sizeof t->tag, "%s/%s", kind == TRACK_WEIGHT ? "weights" : "gradients", t->name);
        }
    for (int i = 0; i < (l->o.n_layers ? l->o.n_layers : n); i++) {
        ax_node *node = l->o.n_layers ? l->o.layers[i].output : ax_graph_node(g, i);
        const char *op = ax_node_op(node);
        if (!l->o.n_layers && (!strcmp(op, "param") || !strcmp(op, "input") || ax_node_numel(node) <= 1))
            continue;
        tracked *t = &l->track[l->n_track++];
        *t = (tracked){.node = node, .kind = TRACK_ACTIVATION};
        snprintf(t->name, sizeof t->name, "%s", l->o.n_layers ? l->o.layers[i].name : ax_node_name(node));
        snprintf(t->tag, sizeof t->tag, "activations/%s", t->name);
        if (!l->last_activation || ax_node_id(node) > ax_node_id(l->last_activation))
            l->last_activation = node;
        l->n_activations++;
    }
    return AX_OK;
}

/* ---- the callback -------------------------------------------------------- */

static ax_status grads_hook(ax_callback *cb, ax_model *m, ax_step *st)
{
    (void)m;
    run_log *l = cb->state;
    const int64_t next = l->step + 1;
    const int scalar = l->o.scalar_every > 0 && next % l->o.scalar_every == 0;
    const int hist = l->o.histogram_every > 0 && next % l->o.histogram_every == 0;
    if (hist) { /* the gradients now: the update may change them (clipping, accumulation) */
        double sq = 0;
        int64_t bad = 0;
        for (int i = 0, g = 0; i < l->n_track; i++)
            if (l->track[i].kind == TRACK_GRAD) {
                const int64_t at = ax_node_span_offset(l->track[i].node);
                ax_histogram_of(st->grads.data + at, ax_node_numel(l->track[i].node), l->o.bins, &l->grad_hist[g]);
                sq += l->grad_hist[g].sum_squares;
                bad += l->grad_hist[g++].nonfinite;
            }
        /* the span holds every parameter's gradient and zeros between
         * them: the norm from the histograms' sums is the span's */
        l->grad_norm = bad ? NAN : sqrt(sq);
    } else if (scalar) { /* the norm of the whole gradient, as backward left it */
        double sq = 0;
        const float *g = st->grads.data;
#pragma omp simd reduction(+ : sq)
        for (int64_t i = 0; i < st->grads.n; i++)
            sq += (double)g[i] * g[i];
        l->grad_norm = sqrt(sq);
    }
    return AX_OK;
}

static cJSON *histogram_json(const tracked *t, const ax_histogram *h)
{
    static const char *const kinds[] = {"weight", "gradient", "activation"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "kind", kinds[t->kind]);
    cJSON_AddNumberToObject(o, "n", (double)h->n);
    if (h->nonfinite)
        cJSON_AddNumberToObject(o, "nonfinite", (double)h->nonfinite);
    add_float(o, "min", (float)h->min);
    add_float(o, "max", (float)h->max);
    add_number(o, "lo", h->lo);
    add_number(o, "hi", h->hi);
    add_number(o, "mean", h->n ? h->sum / (double)h->n : 0.0);
    cJSON *c = cJSON_AddArrayToObject(o, "counts");
    for (int b = 0; b < h->bins; b++)
        cJSON_AddItemToArray(c, cJSON_CreateNumber((double)h->counts[b]));
    return o;
}

/* Every tracked tensor's histogram: parameters as updated, gradients as
 * taken in grads_ready, layer outputs from a forward pass in eval mode on
 * the step's batch (training mode would draw dropout masks and move batch
 * norm's statistics; eval changes nothing training depends on). */
static ax_status write_histograms(run_log *l, ax_model *m, const ax_step *st)
{
    ax_status s = AX_OK;
    if (l->n_activations) {
        const int was = ax_graph_training(m->graph);
        ax_graph_set_training(m->graph, 0);
        s = ax_graph_forward_to(m->graph, l->last_activation);
        ax_graph_set_training(m->graph, was);
    }
    ax_histogram *h = ax_calloc((size_t)l->n_track + 1, sizeof *h);
    const char **tags = ax_calloc((size_t)l->n_track + 1, sizeof *tags);
    if (s == AX_OK && (!h || !tags))
        s = ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    cJSON *rec = s == AX_OK ? cJSON_CreateObject() : NULL, *list = NULL;
    if (rec) {
        cJSON_AddNumberToObject(rec, "step", (double)l->step);
        cJSON_AddNumberToObject(rec, "epoch", st->epoch);
        list = cJSON_AddArrayToObject(rec, "tensors");
    }
    for (int i = 0, g = 0; i < l->n_track && s == AX_OK; i++) {
        tracked *t = &l->track[i];
        if (t->kind == TRACK_GRAD)
            h[i] = l->grad_hist[g++];
        else {
            const int64_t count = t->kind == TRACK_WEIGHT ? ax_node_numel(t->node)
                                                          : ax_node_numel(t->node) / ax_graph_batch(m->graph) * st->rows;
            const float *x = ax_node_map(t->node);
            ax_histogram_of(x, count, l->o.bins, &h[i]);
            ax_node_unmap(t->node, 0);
        }
        tags[i] = t->tag;
        cJSON_AddItemToArray(list, histogram_json(t, &h[i]));
    }
    if (s == AX_OK)
        s = append_line(l, l->hists, "histograms.jsonl", rec);
    else
        cJSON_Delete(rec);
    if (s == AX_OK && l->tb)
        s = ax_tb_histograms(l->tb, l->step, l->n_track, tags, h);
    ax_free(h);
    ax_free(tags);
    return s;
}

static ax_status step_hook(ax_callback *cb, ax_model *m, const ax_step *st)
{
    run_log *l = cb->state;
    l->step++;
    l->loss_sum += st->loss * (double)st->rows;
    l->rows += st->rows;
    l->steps_since++;
    ax_status s = AX_OK;
    if (l->o.scalar_every > 0 && l->step % l->o.scalar_every == 0) {
        const double now = ax_now_seconds(), seconds = now - l->since;
        const double lr = l->o.optimizer ? ax_optimizer_lr(l->o.optimizer) : NAN;
        const double values[5] = {l->loss_sum / (double)(l->rows ? l->rows : 1), lr, l->grad_norm,
                                  1e3 * seconds / (double)l->steps_since, (double)l->rows / seconds};
        static const char *const keys[5] = {"loss", "lr", "grad_norm", "step_ms", "samples_per_second"};
        static const char *const tags[5] = {"step/loss", "step/learning_rate", "step/grad_norm", "step/step_ms",
                                            "step/samples_per_second"};
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "step", (double)l->step);
        cJSON_AddNumberToObject(o, "epoch", st->epoch);
        add_number(o, "time", wall_time());
        for (int i = 0; i < 5; i++)
            if (i == 1)
                add_float(o, keys[i], (float)values[i]);
            else
                add_number(o, keys[i], values[i]);
        s = append_line(l, l->steps, "steps.jsonl", o);
        if (s == AX_OK && l->tb)
            s = ax_tb_scalars(l->tb, l->step, 5, tags, values);
        l->loss_sum = 0, l->rows = 0, l->steps_since = 0, l->since = ax_now_seconds();
    }
    if (s == AX_OK && l->o.histogram_every > 0 && l->step % l->o.histogram_every == 0)
        s = write_histograms(l, m, st);
    return s;
}

static void add_metrics(cJSON *o, const char *prefix, const char *head, const ax_metrics *mt)
{
    char key[96];
    snprintf(key, sizeof key, "%s%s%sloss", prefix, head, *head ? "_" : "");
    add_number(o, key, mt->loss);
    snprintf(key, sizeof key, "%s%s%saccuracy", prefix, head, *head ? "_" : "");
    add_number(o, key, mt->accuracy);
}

static ax_status write_confusion(run_log *l, const ax_epoch_log *log)
{
    const ax_confusion *c = log->test_confusion;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "epoch", log->epoch);
    cJSON_AddNumberToObject(o, "classes", c->n_classes);
    cJSON_AddNumberToObject(o, "total", (double)c->total);
    cJSON *rows = cJSON_AddArrayToObject(o, "counts");
    for (int t = 0; t < c->n_classes; t++) {
        cJSON *r = cJSON_CreateArray();
        for (int p = 0; p < c->n_classes; p++)
            cJSON_AddItemToArray(r, cJSON_CreateNumber((double)c->counts[t * c->n_classes + p]));
        cJSON_AddItemToArray(rows, r);
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return write_json_file(l, "confusion.json", text);
}

static ax_status epoch_hook(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)stop;
    run_log *l = cb->state;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "epoch", log->epoch);
    cJSON_AddNumberToObject(o, "step", (double)l->step);
    add_number(o, "time", wall_time());
    add_number(o, "seconds", log->seconds);
    add_float(o, "lr", log->lr);
    add_metrics(o, "", "", &log->train);
    if (log->test.samples > 0)
        add_metrics(o, "val_", "", &log->test);
    for (int h = 0; h < log->n_heads && h < m->n_heads; h++) {
        add_metrics(o, "", m->heads[h].name, &log->train_heads[h]);
        if (log->test.samples > 0)
            add_metrics(o, "val_", m->heads[h].name, &log->test_heads[h]);
    }
    cJSON *summary = cJSON_Duplicate(o, 1);
    ax_status s = append_line(l, l->epochs, "epochs.jsonl", o);
    if (s == AX_OK && l->tb)
        s = ax_tb_epoch(l->tb, m, log);
    if (s == AX_OK && log->test_confusion)
        s = write_confusion(l, log);
    if (summary) {
        set_field(l->run, "last_epoch", summary);
        set_field(l->run, "epochs_run", cJSON_CreateNumber(log->epoch));
        set_field(l->run, "steps", cJSON_CreateNumber((double)l->step));
    }
    if (s == AX_OK)
        s = write_run_json(l);
    return s;
}

/* the hooks, timed */
static ax_status run_grads_ready(ax_callback *cb, ax_model *m, ax_step *st)
{
    const double t0 = ax_now_seconds();
    ax_status s = grads_hook(cb, m, st);
    ((run_log *)cb->state)->spent += ax_now_seconds() - t0;
    return s;
}

static ax_status run_step_end(ax_callback *cb, ax_model *m, const ax_step *st)
{
    const double t0 = ax_now_seconds();
    ax_status s = step_hook(cb, m, st);
    ((run_log *)cb->state)->spent += ax_now_seconds() - t0;
    return s;
}

static ax_status run_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    const double t0 = ax_now_seconds();
    run_log *l = cb->state;
    set_field(l->run, "logging_seconds", cJSON_CreateNumber(l->spent));
    ax_status s = epoch_hook(cb, m, log, stop);
    l->spent += ax_now_seconds() - t0;
    return s;
}

static ax_status run_train_end(ax_callback *cb, ax_model *m, const ax_epoch_log *logs, int epochs_run)
{
    (void)m, (void)logs, (void)epochs_run;
    run_log *l = cb->state;
    l->finished = 1;
    set_field(l->run, "status", cJSON_CreateString("finished"));
    return write_run_json(l);
}

static void run_destroy(ax_callback *cb)
{
    run_log *l = cb->state;
    if (!l)
        return;
    if (!l->finished && l->run) { /* training ended without train_end: an error stopped it */
        set_field(l->run, "status", cJSON_CreateString("stopped"));
        if (write_run_json(l) != AX_OK)
            fprintf(stderr, "run log: %s\n", ax_last_error());
    }
    FILE *files[3] = {l->epochs, l->steps, l->hists};
    for (int i = 0; i < 3; i++)
        if (files[i])
            fclose(files[i]);
    ax_tb_close(l->tb);
    cJSON_Delete(l->run);
    ax_free(l->track);
    ax_free(l->grad_hist);
    ax_free(l);
}

static ax_status open_log(run_log *l, const char *name, FILE **f)
{
    snprintf(l->path, sizeof l->path, "%s/%s", l->dir, name);
    if (!(*f = fopen(l->path, l->o.append ? "a" : "w")))
        return ax_fail(AX_ERR_IO, "%s: cannot create: %s", l->path, strerror(errno));
    return AX_OK;
}

ax_status ax_run_log_new(const char *dir, const ax_model *m, const ax_run_options *opts, ax_callback **out)
{
    *out = NULL;
    if (!dir || !*dir || strlen(dir) >= 4000 || !m || !m->graph || !ax_graph_compiled(m->graph))
        return ax_fail(AX_ERR_INVALID_ARG, "run log: needs a folder and a model with a compiled graph");
    const ax_run_options o = opts ? *opts : ax_run_defaults();
    if (o.bins < 1 || o.bins > AX_HIST_MAX_BINS || o.scalar_every < 0 || o.histogram_every < 0 || o.n_layers < 0 ||
        (o.n_layers && !o.layers))
        return ax_fail(AX_ERR_INVALID_ARG, "run log: bins must be 1..%d, the intervals 0 or more", AX_HIST_MAX_BINS);
    for (int k = 0; k < o.n_layers; k++)
        if (!o.layers[k].name || !o.layers[k].output)
            return ax_fail(AX_ERR_INVALID_ARG, "run log: layer %d needs a name and an output node", k);
    cJSON *config = NULL;
    if (o.config_json && !(config = cJSON_Parse(o.config_json)))
        return ax_fail(AX_ERR_INVALID_ARG, "run log: the config is not JSON");
    ax_status s = ax_make_dirs(dir);
    if (s != AX_OK) {
        cJSON_Delete(config);
        return s;
    }
    run_log *l = ax_calloc(1, sizeof *l);
    if (!l) {
        cJSON_Delete(config);
        return ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    }
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    l->o = o;
    l->graph = m->graph;
    l->step = o.first_step;
    l->since = ax_now_seconds();
    const char *base = strrchr(dir, '/') && strrchr(dir, '/')[1] ? strrchr(dir, '/') + 1 : dir;
    char now[32];
    iso_time(now, sizeof now);
    l->run = cJSON_CreateObject();
    cJSON_AddStringToObject(l->run, "format", "axon-run");
    cJSON_AddNumberToObject(l->run, "format_version", 1);
    cJSON_AddStringToObject(l->run, "axon", ax_version());
    cJSON_AddStringToObject(l->run, "name", base);
    cJSON_AddStringToObject(l->run, "started", now);
    cJSON_AddStringToObject(l->run, "status", "running");
    cJSON_AddNumberToObject(l->run, "scalar_every", o.scalar_every);
    cJSON_AddNumberToObject(l->run, "histogram_every", o.histogram_every);
    cJSON_AddItemToObject(l->run, "config", config ? config : cJSON_CreateObject());
    cJSON *model = cJSON_AddObjectToObject(l->run, "model");
    if (o.tensorboard)
        s = ax_tb_open(dir, &l->tb);
    if (s == AX_OK)
        s = open_log(l, "epochs.jsonl", &l->epochs);
    if (s == AX_OK)
        s = open_log(l, "steps.jsonl", &l->steps);
    if (s == AX_OK)
        s = open_log(l, "histograms.jsonl", &l->hists);
    if (s == AX_OK)
        s = describe_model(l, model);
    if (s == AX_OK)
        s = choose_tracked(l);
    if (s == AX_OK)
        s = write_run_json(l);
    if (s == AX_OK && !(*out = ax_calloc(1, sizeof **out)))
        s = ax_fail(AX_ERR_NOMEM, "run log: out of memory");
    if (s != AX_OK) {
        l->finished = 1; /* nothing ran: leave no "stopped" run behind the error */
        ax_callback tmp = {.state = l};
        run_destroy(&tmp);
        return s;
    }
    **out = (ax_callback){.name = "run_log", .state = l, .grads_ready = run_grads_ready,
                          .step_end = run_step_end, .epoch_end = run_epoch_end, .train_end = run_train_end,
                          .destroy = run_destroy};
    return AX_OK;
}

const char *ax_run_log_dir(const ax_callback *cb) { return ((const run_log *)cb->state)->dir; }

double ax_run_log_seconds(const ax_callback *cb) { return ((const run_log *)cb->state)->spent; }
