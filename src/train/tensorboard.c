/* TensorBoard event files: the writer (train/tb_writer.h) and the
 * tensorboard callback, one scalar per metric per epoch, in TensorFlow's
 * format. A file is a sequence of records:
 *   uint64 length (little-endian), uint32 masked CRC-32C of those 8 bytes,
 *   the data (a serialized Event), uint32 masked CRC-32C of the data;
 *   masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
 * The first Event carries file_version "brain.Event:2". Events are
 * encoded by protobuf-c from proto/tensorboard.proto: scalars and
 * histograms (Summary), the graph (a serialized GraphDef). */
#include "axon/train.h"
#include "tensorboard.pb-c.h"
#include "train/tb_writer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), by table. zlib
 * has only CRC-32, and Debian packages no CRC-32C library for C. */
static uint32_t crc32c(const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    uint32_t c = 0xFFFFFFFFu;
    while (n--)
        c = table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t masked(uint32_t c) { return ((c >> 15) | (c << 17)) + 0xa282ead8u; }

static void le(uint8_t *out, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * i));
}

struct ax_tb_writer {
    FILE *f;
    char path[4096];
};

static double wall_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

static ax_status write_event(ax_tb_writer *w, const Axon__Tb__Event *ev)
{
    size_t n = axon__tb__event__get_packed_size(ev);
    uint8_t head[12], tail[4], *buf = ax_alloc(n ? n : 1);
    if (!buf)
        return ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    axon__tb__event__pack(ev, buf);
    le(head, n, 8);
    le(head + 8, masked(crc32c(head, 8)), 4);
    le(tail, masked(crc32c(buf, n)), 4);
    int ok = fwrite(head, 1, 12, w->f) == 12 && fwrite(buf, 1, n, w->f) == n && fwrite(tail, 1, 4, w->f) == 4 &&
             fflush(w->f) == 0;
    ax_free(buf);
    return ok ? AX_OK : ax_fail(AX_ERR_IO, "%s: write failed: %s", w->path, strerror(errno));
}

static ax_status summary_event(ax_tb_writer *w, int64_t step, Axon__Tb__SummaryValue **values, int n)
{
    Axon__Tb__Summary sum;
    axon__tb__summary__init(&sum);
    sum.n_value = (size_t)n;
    sum.value = values;
    Axon__Tb__Event ev;
    axon__tb__event__init(&ev);
    ev.wall_time = wall_time();
    ev.step = step;
    ev.summary = &sum;
    return write_event(w, &ev);
}

ax_status ax_tb_scalars(ax_tb_writer *w, int64_t step, int n, const char *const *tags, const double *values)
{
    const size_t m = (size_t)(n > 0 ? n : 1);
    Axon__Tb__SummaryValue *v = ax_calloc(m, sizeof *v), **vp = ax_calloc(m, sizeof *vp);
    ax_status s = v && vp ? AX_OK : ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    int k = 0;
    for (int i = 0; i < n && s == AX_OK; i++) {
        if (isnan(values[i]))
            continue;
        axon__tb__summary_value__init(&v[k]);
        v[k].tag = (char *)tags[i];
        v[k].simple_value = (float)values[i];
        vp[k] = &v[k];
        k++;
    }
    if (s == AX_OK)
        s = summary_event(w, step, vp, k);
    ax_free(v);
    ax_free(vp);
    return s;
}

ax_status ax_tb_histograms(ax_tb_writer *w, int64_t step, int n, const char *const *tags, const ax_histogram *h)
{
    const size_t m = (size_t)(n > 0 ? n : 1);
    Axon__Tb__SummaryValue *v = ax_calloc(m, sizeof *v), **vp = ax_calloc(m, sizeof *vp);
    Axon__Tb__HistogramProto *hp = ax_calloc(m, sizeof *hp);
    double *limits = ax_calloc(m * AX_HIST_MAX_BINS, sizeof *limits);
    double *counts = ax_calloc(m * AX_HIST_MAX_BINS, sizeof *counts);
    ax_status s = v && vp && hp && limits && counts ? AX_OK : ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    for (int i = 0; i < n && s == AX_OK; i++) {
        axon__tb__histogram_proto__init(&hp[i]);
        hp[i].min = h[i].min;
        hp[i].max = h[i].max;
        hp[i].num = (double)h[i].n;
        hp[i].sum = h[i].sum;
        hp[i].sum_squares = h[i].sum_squares;
        double *lim = limits + (size_t)i * AX_HIST_MAX_BINS, *cnt = counts + (size_t)i * AX_HIST_MAX_BINS;
        const double width = (h[i].hi - h[i].lo) / h[i].bins;
        for (int b = 0; b < h[i].bins; b++) {
            lim[b] = b == h[i].bins - 1 ? h[i].hi : h[i].lo + (b + 1) * width;
            cnt[b] = (double)h[i].counts[b];
        }
        hp[i].n_bucket_limit = hp[i].n_bucket = h[i].n ? (size_t)h[i].bins : 0;
        hp[i].bucket_limit = lim;
        hp[i].bucket = cnt;
        axon__tb__summary_value__init(&v[i]);
        v[i].tag = (char *)tags[i];
        v[i].histo = &hp[i];
        vp[i] = &v[i];
    }
    if (s == AX_OK)
        s = summary_event(w, step, vp, n);
    ax_free(v);
    ax_free(vp);
    ax_free(hp);
    ax_free(limits);
    ax_free(counts);
    return s;
}

/* The GraphDef's parts, one allocation each, freed together. */
typedef struct graph_parts {
    Axon__Tb__NodeDef *nd, **ndp;
    char **in;
    Axon__Tb__TensorShapeProto__Dim *dim, **dimp;
    Axon__Tb__TensorShapeProto *shape, **shapep;
    Axon__Tb__AttrListValue *list;
    Axon__Tb__AttrValue *value;
    Axon__Tb__AttrEntry *entry, **entryp;
} graph_parts;

static void free_parts(graph_parts *p)
{
    void *all[] = {p->nd, p->ndp, p->in, p->dim, p->dimp, p->shape, p->shapep, p->list, p->value, p->entry, p->entryp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ax_free(all[i]);
}

ax_status ax_tb_graph(ax_tb_writer *w, ax_graph *g, const char *const *names)
{
    const int n = ax_graph_num_nodes(g);
    int64_t inputs = 1, dims = 1;
    for (int i = 0; i < n; i++) {
        inputs += ax_node_num_inputs(ax_graph_node(g, i));
        dims += ax_node_shape(ax_graph_node(g, i)).ndim;
    }
    const size_t m = (size_t)n + 1;
    graph_parts p = {
        .nd = ax_calloc(m, sizeof *p.nd), .ndp = ax_calloc(m, sizeof *p.ndp), .in = ax_calloc((size_t)inputs, sizeof *p.in),
        .dim = ax_calloc((size_t)dims, sizeof *p.dim), .dimp = ax_calloc((size_t)dims, sizeof *p.dimp),
        .shape = ax_calloc(m, sizeof *p.shape), .shapep = ax_calloc(m, sizeof *p.shapep),
        .list = ax_calloc(m, sizeof *p.list), .value = ax_calloc(m, sizeof *p.value),
        .entry = ax_calloc(m, sizeof *p.entry), .entryp = ax_calloc(m, sizeof *p.entryp)};
    if (!p.nd || !p.ndp || !p.in || !p.dim || !p.dimp || !p.shape || !p.shapep || !p.list || !p.value || !p.entry ||
        !p.entryp) {
        free_parts(&p);
        return ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory for the graph");
    }
    int64_t at_in = 0, at_dim = 0;
    for (int i = 0; i < n; i++) {
        ax_node *node = ax_graph_node(g, i);
        axon__tb__node_def__init(&p.nd[i]);
        p.nd[i].name = (char *)names[i];
        p.nd[i].op = (char *)ax_node_op(node);
        p.nd[i].n_input = (size_t)ax_node_num_inputs(node);
        p.nd[i].input = p.in + at_in;
        for (int k = 0; k < ax_node_num_inputs(node); k++)
            p.in[at_in++] = (char *)names[ax_node_id(ax_node_input(node, k))];
        /* the node's shape as TensorFlow's "_output_shapes" attribute
         * (TensorBoard writes it on the graph's edges) */
        const ax_shape sh = ax_node_shape(node);
        axon__tb__tensor_shape_proto__init(&p.shape[i]);
        p.shape[i].n_dim = (size_t)sh.ndim;
        p.shape[i].dim = p.dimp + at_dim;
        for (int d = 0; d < sh.ndim; d++, at_dim++) {
            axon__tb__tensor_shape_proto__dim__init(&p.dim[at_dim]);
            p.dim[at_dim].size = sh.dim[d];
            p.dimp[at_dim] = &p.dim[at_dim];
        }
        p.shapep[i] = &p.shape[i];
        axon__tb__attr_list_value__init(&p.list[i]);
        p.list[i].n_shape = 1;
        p.list[i].shape = &p.shapep[i];
        axon__tb__attr_value__init(&p.value[i]);
        p.value[i].list = &p.list[i];
        axon__tb__attr_entry__init(&p.entry[i]);
        p.entry[i].key = "_output_shapes";
        p.entry[i].value = &p.value[i];
        p.entryp[i] = &p.entry[i];
        p.nd[i].n_attr = 1;
        p.nd[i].attr = &p.entryp[i];
        p.ndp[i] = &p.nd[i];
    }
    Axon__Tb__VersionDef ver;
    axon__tb__version_def__init(&ver);
    ver.producer = 1;
    Axon__Tb__GraphDef gd;
    axon__tb__graph_def__init(&gd);
    gd.n_node = (size_t)n;
    gd.node = p.ndp;
    gd.versions = &ver;
    const size_t bytes = axon__tb__graph_def__get_packed_size(&gd);
    uint8_t *packed = ax_alloc(bytes ? bytes : 1);
    ax_status s = packed ? AX_OK : ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory for the graph");
    if (s == AX_OK) {
        axon__tb__graph_def__pack(&gd, packed);
        Axon__Tb__Event ev;
        axon__tb__event__init(&ev);
        ev.wall_time = wall_time();
        ev.graph_def.data = packed;
        ev.graph_def.len = bytes;
        s = write_event(w, &ev);
    }
    ax_free(packed);
    free_parts(&p);
    return s;
}

ax_status ax_tb_open(const char *dir, ax_tb_writer **out)
{
    *out = NULL;
    ax_tb_writer *w = ax_calloc(1, sizeof *w);
    if (!w)
        return ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(w->path, sizeof w->path, "%s/events.out.tfevents.%ld.%s", dir, (long)wall_time(), host);
    /* two writers opened in one second (the run logger beside a tensorboard
     * callback, a resumed run) get two files: TensorBoard reads them all */
    for (int k = 1; access(w->path, F_OK) == 0 && k < 1000; k++)
        snprintf(w->path, sizeof w->path, "%s/events.out.tfevents.%ld.%s.%d", dir, (long)wall_time(), host, k);
    w->f = fopen(w->path, "wb");
    if (!w->f) {
        ax_status s = ax_fail(AX_ERR_IO, "%s: cannot create: %s", w->path, strerror(errno));
        ax_free(w);
        return s;
    }
    Axon__Tb__Event ev;
    axon__tb__event__init(&ev);
    ev.wall_time = wall_time();
    ev.file_version = "brain.Event:2";
    ax_status s = write_event(w, &ev);
    if (s != AX_OK) {
        ax_tb_close(w);
        return s;
    }
    *out = w;
    return AX_OK;
}

void ax_tb_close(ax_tb_writer *w)
{
    if (!w)
        return;
    if (w->f)
        fclose(w->f);
    ax_free(w);
}

const char *ax_tb_path(const ax_tb_writer *w) { return w->path; }

/* ---- the tensorboard callback: each epoch's scalars --------------------- */

ax_status ax_tb_epoch(ax_tb_writer *w, const ax_model *m, const ax_epoch_log *log)
{
    const int held = log->test.samples > 0;
    enum { MAX_SCALARS = 6 + 4 * AX_MAX_HEADS };
    const char *tags[MAX_SCALARS] = {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "epoch_seconds"};
    double values[MAX_SCALARS] = {log->train.loss, log->train.accuracy, held ? log->test.loss : NAN,
                                  held ? log->test.accuracy : NAN, log->lr, log->seconds};
    char head_tags[4 * AX_MAX_HEADS][48];
    int k = 6;
    /* each head's, as HEAD/loss, HEAD/val_loss, ... (TensorBoard groups them by head) */
    for (int h = 0; h < log->n_heads && h < m->n_heads; h++) {
        const double v[4] = {log->train_heads[h].loss, log->train_heads[h].accuracy,
                             held ? log->test_heads[h].loss : NAN, held ? log->test_heads[h].accuracy : NAN};
        static const char *const what[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
        for (int i = 0; i < 4; i++, k++) {
            snprintf(head_tags[4 * h + i], sizeof head_tags[0], "%s/%s", m->heads[h].name, what[i]);
            tags[k] = head_tags[4 * h + i];
            values[k] = v[i];
        }
    }
    return ax_tb_scalars(w, log->epoch, k, tags, values);
}

static ax_status tb_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)stop;
    return ax_tb_epoch(cb->state, m, log);
}

static void tb_destroy(ax_callback *cb) { ax_tb_close(cb->state); }

ax_status ax_tensorboard_new(const char *log_dir, ax_callback **out)
{
    *out = NULL;
    ax_tb_writer *w;
    ax_status s = ax_tb_open(log_dir, &w);
    if (s != AX_OK)
        return s;
    if (!(*out = ax_calloc(1, sizeof **out))) {
        ax_tb_close(w);
        return ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    }
    (*out)->name = "tensorboard";
    (*out)->state = w;
    (*out)->epoch_end = tb_epoch_end;
    (*out)->destroy = tb_destroy;
    return AX_OK;
}

const char *ax_tensorboard_path(const ax_callback *cb) { return ax_tb_path(cb->state); }
