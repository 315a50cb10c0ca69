/* Shapes: constructors, sizes, checks and printing. */
#include "axon/tensor.h"

#include <stdio.h>
#include <string.h>

ax_shape ax_shape0(void) { ax_shape s = {0}; return s; }
ax_shape ax_shape1(int64_t a) { ax_shape s = {1, {a}}; return s; }
ax_shape ax_shape2(int64_t a, int64_t b) { ax_shape s = {2, {a, b}}; return s; }
ax_shape ax_shape3(int64_t a, int64_t b, int64_t c) { ax_shape s = {3, {a, b, c}}; return s; }
ax_shape ax_shape4(int64_t a, int64_t b, int64_t c, int64_t d)
{
    ax_shape s = {4, {a, b, c, d}};
    return s;
}

int64_t ax_shape_numel(const ax_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        n *= s->dim[i];
    return n;
}

int ax_shape_checked(const ax_shape *s, int allow_zero, int64_t *numel)
{
    if (s->ndim < 0 || s->ndim > AX_MAX_DIMS)
        return 0;
    int64_t n = 1;
    for (int i = 0; i < s->ndim; i++)
        if (s->dim[i] < (allow_zero ? 0 : 1) || !ax_mul_checked(n, s->dim[i], &n) || n > AX_MAX_NUMEL)
            return 0;
    if (numel)
        *numel = n;
    return 1;
}

int ax_shape_equal(const ax_shape *a, const ax_shape *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->dim[i] != b->dim[i])
            return 0;
    return 1;
}

char *ax_shape_str(const ax_shape *s, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    used += (size_t)snprintf(buf + used, len - used, "[");
    for (int i = 0; i < s->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ", %lld" : "%lld", (long long)s->dim[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
    return buf;
}
