/* A TensorBoard event-file logger (a callback): one scalar per metric per
 * epoch, in TensorFlow's format. A file is a sequence of records:
 *   uint64 length (little-endian), uint32 masked CRC-32C of those 8 bytes,
 *   the data (a serialized Event), uint32 masked CRC-32C of the data;
 *   masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
 * The first Event carries file_version "brain.Event:2". Events are
 * encoded by protobuf-c from proto/tensorboard.proto. */
#include "axon/train.h"
#include "tensorboard.pb-c.h"

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

typedef struct logger {
    FILE *f;
    char path[4096];
} logger;

static double wall_time(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

static ax_status write_event(logger *l, const Axon__Tb__Event *ev)
{
    size_t n = axon__tb__event__get_packed_size(ev);
    uint8_t head[12], tail[4], *buf = ax_alloc(n ? n : 1);
    if (!buf)
        return ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    axon__tb__event__pack(ev, buf);
    le(head, n, 8);
    le(head + 8, masked(crc32c(head, 8)), 4);
    le(tail, masked(crc32c(buf, n)), 4);
    int ok = fwrite(head, 1, 12, l->f) == 12 && fwrite(buf, 1, n, l->f) == n && fwrite(tail, 1, 4, l->f) == 4 &&
             fflush(l->f) == 0;
    ax_free(buf);
    return ok ? AX_OK : ax_fail(AX_ERR_IO, "%s: write failed: %s", l->path, strerror(errno));
}

/* One scalar, unless it is missing (NaN: no accuracy for real values). */
static void add_scalar(Axon__Tb__SummaryValue *v, Axon__Tb__SummaryValue **vp, int *k, char *tag, double value)
{
    if (isnan(value))
        return;
    axon__tb__summary_value__init(&v[*k]);
    v[*k].tag = tag;
    v[*k].simple_value = (float)value;
    vp[*k] = &v[*k];
    (*k)++;
}

static ax_status tb_epoch_end(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)stop;
    logger *l = cb->state;
    const int held = log->test.samples > 0;
    enum { MAX_SCALARS = 6 + 4 * AX_MAX_HEADS };
    Axon__Tb__SummaryValue v[MAX_SCALARS], *vp[MAX_SCALARS];
    char tags[4 * AX_MAX_HEADS][48];
    int k = 0;
    add_scalar(v, vp, &k, "loss", log->train.loss);
    add_scalar(v, vp, &k, "accuracy", log->train.accuracy);
    add_scalar(v, vp, &k, "val_loss", held ? log->test.loss : NAN);
    add_scalar(v, vp, &k, "val_accuracy", held ? log->test.accuracy : NAN);
    add_scalar(v, vp, &k, "learning_rate", log->lr);
    add_scalar(v, vp, &k, "epoch_seconds", log->seconds);
    /* each head's, as HEAD/loss, HEAD/val_loss, ... (TensorBoard groups them by head) */
    for (int h = 0; h < log->n_heads && h < m->n_heads; h++) {
        const char *name = m->heads[h].name;
        const double values[4] = {log->train_heads[h].loss, log->train_heads[h].accuracy,
                                  held ? log->test_heads[h].loss : NAN, held ? log->test_heads[h].accuracy : NAN};
        static const char *const what[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
        for (int i = 0; i < 4; i++) {
            snprintf(tags[4 * h + i], sizeof tags[0], "%s/%s", name, what[i]);
            add_scalar(v, vp, &k, tags[4 * h + i], values[i]);
        }
    }
    Axon__Tb__Summary sum;
    axon__tb__summary__init(&sum);
    sum.n_value = (size_t)k;
    sum.value = vp;
    Axon__Tb__Event ev;
    axon__tb__event__init(&ev);
    ev.wall_time = wall_time();
    ev.step = log->epoch;
    ev.summary = &sum;
    return write_event(l, &ev);
}

static void tb_destroy(ax_callback *cb)
{
    logger *l = cb->state;
    if (l->f)
        fclose(l->f);
    ax_free(l);
}

ax_status ax_tensorboard_new(const char *log_dir, ax_callback **out)
{
    *out = NULL;
    logger *l = ax_calloc(1, sizeof *l);
    if (!l)
        return ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(l->path, sizeof l->path, "%s/events.out.tfevents.%ld.%s", log_dir, (long)wall_time(), host);
    l->f = fopen(l->path, "wb");
    if (!l->f) {
        ax_status s = ax_fail(AX_ERR_IO, "%s: cannot create: %s", l->path, strerror(errno));
        ax_free(l);
        return s;
    }
    Axon__Tb__Event ev;
    axon__tb__event__init(&ev);
    ev.wall_time = wall_time();
    ev.file_version = "brain.Event:2";
    ax_status s = write_event(l, &ev);
    if (s == AX_OK && !(*out = ax_calloc(1, sizeof **out)))
        s = ax_fail(AX_ERR_NOMEM, "tensorboard: out of memory");
    if (s != AX_OK) {
        fclose(l->f);
        ax_free(l);
        return s;
    }
    (*out)->name = "tensorboard";
    (*out)->state = l;
    (*out)->epoch_end = tb_epoch_end;
    (*out)->destroy = tb_destroy;
    return AX_OK;
}

const char *ax_tensorboard_path(const ax_callback *cb) { return ((const logger *)cb->state)->path; }
