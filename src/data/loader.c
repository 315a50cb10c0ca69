/* A loader: a batcher running on a background thread, a few batches
 * ahead of the training step, so that converting and augmenting the next
 * batches overlaps with computing on this one. The batches are the
 * batcher's, in the same order with the same random draws, whatever the
 * timing: one thread makes them, one at a time, in sequence. All buffers
 * are allocated when the loader is made. */
#include "axon/data.h"

#include <pthread.h>
#include <string.h>

typedef struct slot {
    float *x, *t;
    int64_t rows; /* 0: the epoch's end */
} slot;

struct ax_loader {
    ax_batcher *b;
    int depth;
    slot *slots;
    int64_t x_floats, t_floats;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    int head, count;   /* ring: the oldest filled slot, filled slots */
    int epochs_asked;  /* epochs the consumer has started */
    int epochs_made;   /* epochs the producer has started */
    int in_epoch;      /* the producer is inside an epoch */
    int quit;
    int held;          /* the consumer holds the head slot */
};

static void *produce(void *arg)
{
    ax_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->quit && l->epochs_made == l->epochs_asked)
            pthread_cond_wait(&l->changed, &l->mu);
        if (l->quit)
            break;
        l->epochs_made++;
        pthread_mutex_unlock(&l->mu);
        ax_batcher_start_epoch(l->b);
        pthread_mutex_lock(&l->mu);
        for (int64_t rows = 1; rows > 0 && !l->quit;) {
            while (!l->quit && l->count == l->depth)
                pthread_cond_wait(&l->changed, &l->mu);
            if (l->quit)
                break;
            slot *s = &l->slots[(l->head + l->count) % l->depth];
            pthread_mutex_unlock(&l->mu);
            rows = s->rows = ax_batcher_next(l->b, s->x, s->t); /* the work, unlocked */
            pthread_mutex_lock(&l->mu);
            l->count++;
            pthread_cond_broadcast(&l->changed);
        }
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

ax_status ax_loader_new(const ax_dataset *ds, int64_t batch_size, int shuffle, uint64_t seed, int depth,
                        const ax_augment *augment, ax_loader **out)
{
    *out = NULL;
    if (depth < 1 || depth > 64)
        return ax_fail(AX_ERR_INVALID_ARG, "loader: depth %d outside 1..64", depth);
    ax_loader *l = ax_calloc(1, sizeof *l);
    if (!l)
        return ax_fail(AX_ERR_NOMEM, "loader: out of memory");
    ax_status s = ax_batcher_new(ds, batch_size, shuffle, seed, &l->b);
    if (s == AX_OK && augment)
        s = ax_batcher_set_augment(l->b, augment);
    l->depth = depth;
    l->x_floats = batch_size * ds->sample_size;
    l->t_floats = batch_size * (ds->targets ? ds->n_targets : 1);
    if (s == AX_OK && !(l->slots = ax_calloc((size_t)depth, sizeof *l->slots)))
        s = ax_fail(AX_ERR_NOMEM, "loader: out of memory");
    for (int i = 0; s == AX_OK && i < depth; i++) {
        l->slots[i].x = ax_alloc_aligned((size_t)l->x_floats * sizeof(float));
        l->slots[i].t = ax_alloc_aligned((size_t)l->t_floats * sizeof(float));
        if (!l->slots[i].x || !l->slots[i].t)
            s = ax_fail(AX_ERR_NOMEM, "loader: cannot allocate %d batches", depth);
    }
    if (s == AX_OK) {
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->changed, NULL);
        if (pthread_create(&l->thread, NULL, produce, l) != 0) {
            pthread_mutex_destroy(&l->mu);
            pthread_cond_destroy(&l->changed);
            s = ax_fail(AX_ERR_STATE, "loader: cannot start its thread");
        } else {
            *out = l;
            return AX_OK;
        }
    }
    for (int i = 0; l->slots && i < depth; i++) {
        ax_free(l->slots[i].x);
        ax_free(l->slots[i].t);
    }
    ax_free(l->slots);
    ax_batcher_free(l->b);
    ax_free(l);
    return s;
}

void ax_loader_free(ax_loader *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->quit = 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->changed);
    for (int i = 0; i < l->depth; i++) {
        ax_free(l->slots[i].x);
        ax_free(l->slots[i].t);
    }
    ax_free(l->slots);
    ax_batcher_free(l->b);
    ax_free(l);
}

/* Drop what is left of the current epoch (after an early stop). */
static void drain(ax_loader *l)
{
    for (;;) {
        while (l->count == 0)
            pthread_cond_wait(&l->changed, &l->mu);
        int64_t rows = l->slots[l->head].rows;
        l->head = (l->head + 1) % l->depth;
        l->count--;
        pthread_cond_broadcast(&l->changed);
        if (rows == 0)
            return;
    }
}

void ax_loader_start_epoch(ax_loader *l)
{
    pthread_mutex_lock(&l->mu);
    if (l->held) { /* give back the slot still held */
        l->held = 0;
        l->head = (l->head + 1) % l->depth;
        l->count--;
        pthread_cond_broadcast(&l->changed);
    }
    if (l->epochs_asked > 0 && l->in_epoch)
        drain(l);
    l->epochs_asked++;
    l->in_epoch = 1;
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mu);
}

int64_t ax_loader_next(ax_loader *l, const float **x, const float **targets)
{
    pthread_mutex_lock(&l->mu);
    if (l->held) { /* the previous batch is done with */
        l->held = 0;
        l->head = (l->head + 1) % l->depth;
        l->count--;
        pthread_cond_broadcast(&l->changed);
    }
    if (!l->in_epoch) {
        pthread_mutex_unlock(&l->mu);
        return 0;
    }
    while (l->count == 0)
        pthread_cond_wait(&l->changed, &l->mu);
    slot *s = &l->slots[l->head];
    int64_t rows = s->rows;
    if (rows == 0) { /* the epoch's end marker */
        l->head = (l->head + 1) % l->depth;
        l->count--;
        l->in_epoch = 0;
        pthread_cond_broadcast(&l->changed);
    } else {
        l->held = 1;
        *x = s->x;
        *targets = s->t;
    }
    pthread_mutex_unlock(&l->mu);
    return rows;
}

int64_t ax_loader_num_batches(const ax_loader *l) { return ax_batcher_num_batches(l->b); }

void ax_loader_set_epoch(ax_loader *l, int64_t epochs_done)
{
    pthread_mutex_lock(&l->mu); /* the producer touches the batcher only inside an epoch */
    ax_batcher_set_epoch(l->b, epochs_done);
    pthread_mutex_unlock(&l->mu);
}
