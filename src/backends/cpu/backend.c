/* The CPU backend: host memory, the kernels each op file defines, and
 * the span kernels of backends/cpu/vector.c. */
#include "backends/backend.h"
#include "backends/cpu/kernels.h"
#include "optim/algo.h"

#include <string.h>

static void *cpu_alloc(size_t bytes) { return ax_alloc_aligned(bytes); }
static void copy(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }

static void *cpu_map(void *device, size_t bytes)
{
    (void)bytes;
    return device;
}

static void cpu_unmap(void *host, void *device, size_t bytes, int write_back)
{
    (void)host, (void)device, (void)bytes, (void)write_back; /* the same memory */
}

static int cpu_kernels(const ax_op_def *op, ax_forward_fn *forward, ax_backward_fn *backward)
{
    *forward = op->forward;
    *backward = op->backward;
    return op->forward != NULL;
}

static void cpu_scale(int64_t n, float s, float *x)
{
    for (int64_t i = 0; i < n; i++)
        x[i] *= s;
}

static void cpu_zero(void *p, size_t bytes) { memset(p, 0, bytes); }

/* the update loop each algorithm's file defines */
static ax_optim_update_fn cpu_optim_update(const ax_optim_algo *algo) { return algo->update; }

static const ax_backend cpu = {
    .name = "cpu",
    .alloc = cpu_alloc,
    .free = ax_free,
    .to_host = copy,
    .from_host = copy,
    .map = cpu_map,
    .unmap = cpu_unmap,
    .kernels = cpu_kernels,
    .dot = ax_k_dot,
    .scale = cpu_scale,
    .zero = cpu_zero,
    .optim_update = cpu_optim_update,
};

const ax_backend *ax_backend_cpu(void) { return &cpu; }

/* Every backend this build has. */
static const ax_backend *const backends[] = {&cpu};

const ax_backend *ax_backend_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof backends / sizeof backends[0]; i++)
        if (!strcmp(backends[i]->name, name))
            return backends[i];
    return NULL;
}

int ax_backend_count(void) { return (int)(sizeof backends / sizeof backends[0]); }
const char *ax_backend_name(int i) { return i >= 0 && i < ax_backend_count() ? backends[i]->name : NULL; }
