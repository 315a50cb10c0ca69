#include "onnx/pool.h"
#include "axon/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void *onnx_pool_alloc(onnx_pool *p, size_t size)
{
    if (p->failed)
        return NULL;
    if (p->n == p->cap) {
        const size_t cap = p->cap ? 2 * p->cap : 64;
        void **b = ax_realloc(p->blocks, cap * sizeof *b);
        if (!b) {
            p->failed = 1;
            return NULL;
        }
        p->blocks = b;
        p->cap = cap;
    }
    void *v = ax_calloc(1, size ? size : 1);
    if (!v) {
        p->failed = 1;
        return NULL;
    }
    return p->blocks[p->n++] = v;
}

char *onnx_pool_strdup(onnx_pool *p, const char *s)
{
    char *d = onnx_pool_alloc(p, strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

char *onnx_pool_printf(onnx_pool *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return onnx_pool_strdup(p, buf);
}

void onnx_pool_free(onnx_pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        ax_free(p->blocks[i]);
    ax_free(p->blocks);
    memset(p, 0, sizeof *p);
}
