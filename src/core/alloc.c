/* Allocation wrappers and the arena allocator. */
#include "axon/core.h"

#include <stdlib.h>
#include <string.h>

#define AX_ALIGN 64

static size_t limit = 0; /* the most bytes one allocation may take; 0: any */

void ax_set_alloc_limit(size_t bytes) { limit = bytes; }

static int over_limit(size_t bytes) { return limit && bytes > limit; }

void *ax_alloc(size_t bytes) { return over_limit(bytes) ? NULL : malloc(bytes ? bytes : 1); }

void *ax_calloc(size_t n, size_t size)
{
    if (limit && size && n > limit / size)
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *ax_alloc_aligned(size_t bytes)
{
    if (over_limit(bytes))
        return NULL;
    void *p = NULL;
    size_t rounded = (bytes + AX_ALIGN - 1) / AX_ALIGN * AX_ALIGN;
    if (posix_memalign(&p, AX_ALIGN, rounded ? rounded : AX_ALIGN) != 0)
        return NULL;
    return p;
}

void *ax_realloc(void *p, size_t bytes) { return over_limit(bytes) ? NULL : realloc(p, bytes ? bytes : 1); }

void ax_free(void *p) { free(p); }

struct ax_arena {
    unsigned char *base;
    size_t capacity;
    size_t used;
    void (*release)(void *base);
};

ax_status ax_arena_new(size_t capacity_bytes, ax_arena **out)
{
    *out = NULL;
    ax_arena *a = ax_calloc(1, sizeof *a);
    if (!a)
        return ax_fail(AX_ERR_NOMEM, "arena: cannot allocate header");
    a->capacity = (capacity_bytes + AX_ALIGN - 1) / AX_ALIGN * AX_ALIGN;
    a->base = ax_alloc_aligned(a->capacity);
    if (!a->base) {
        ax_free(a);
        return ax_fail(AX_ERR_NOMEM, "arena: cannot allocate %zu bytes", capacity_bytes);
    }
    memset(a->base, 0, a->capacity);
    a->release = ax_free;
    *out = a;
    return AX_OK;
}

ax_status ax_arena_adopt(void *base, size_t capacity_bytes, void (*release)(void *), ax_arena **out)
{
    *out = NULL;
    if (!base || ((uintptr_t)base % AX_ALIGN) || capacity_bytes % AX_ALIGN)
        return ax_fail(AX_ERR_INVALID_ARG, "arena: a block to adopt must be 64-byte aligned, its size a multiple of 64");
    ax_arena *a = ax_calloc(1, sizeof *a);
    if (!a)
        return ax_fail(AX_ERR_NOMEM, "arena: cannot allocate header");
    *a = (ax_arena){base, capacity_bytes, 0, release};
    *out = a;
    return AX_OK;
}

void ax_arena_free(ax_arena *a)
{
    if (!a)
        return;
    if (a->release)
        a->release(a->base);
    ax_free(a);
}

void *ax_arena_take(ax_arena *a, size_t bytes)
{
    size_t rounded = (bytes + AX_ALIGN - 1) / AX_ALIGN * AX_ALIGN;
    if (rounded > a->capacity - a->used)
        return NULL;
    void *p = a->base + a->used;
    a->used += rounded;
    return p;
}

size_t ax_arena_used(const ax_arena *a) { return a->used; }
size_t ax_arena_capacity(const ax_arena *a) { return a->capacity; }
void ax_arena_reset(ax_arena *a) { a->used = 0; }
