/* The backend seam (internal). An op is a device-free definition in
 * src/ops/ (schema, shape inference, scratch size) with its CPU kernels
 * beside it; a backend supplies, for a compiled graph, the memory its
 * buffers live in, copies to and from the host, each op's forward and
 * backward kernels, and the span kernels optimizers and clipping use.
 * Host code (train, optim, io, tools) reaches tensor data through
 * ax_node_read/write and the spans, never through a backend's kernels
 * directly. The CPU backend (backends/cpu/backend.c) is the only one
 * built today; a GPU backend adds a table like it. */
#ifndef AXON_BACKENDS_BACKEND_H
#define AXON_BACKENDS_BACKEND_H

#include "ops/op.h"

struct ax_optim_algo;
struct ax_optim_config;
typedef void (*ax_optim_update_fn)(const struct ax_optim_config *cfg, int64_t t, const double *aux, float *w,
                                   const float *g, float *const *state, int64_t n);
typedef ax_status (*ax_forward_fn)(ax_node *n, const ax_run_ctx *ctx);
typedef void (*ax_backward_fn)(ax_node *n, const ax_run_ctx *ctx);

typedef struct ax_backend {
    const char *name;
    /* device memory: 64-byte aligned blocks, and copies to and from host memory */
    void *(*alloc)(size_t bytes);
    void (*free)(void *p);
    void (*to_host)(void *host, const void *device, size_t bytes);
    void (*from_host)(void *device, const void *host, size_t bytes);
    /* a host view of device memory (the memory itself on the CPU), and its
     * release, copying back when write_back is set */
    void *(*map)(void *device, size_t bytes);
    void (*unmap)(void *host, void *device, size_t bytes, int write_back);
    /* an op's kernels; 0 when the backend has none for it */
    int (*kernels)(const ax_op_def *op, ax_forward_fn *forward, ax_backward_fn *backward);
    /* span kernels: sum x*y in double, x *= s, zero bytes */
    double (*dot)(int64_t n, const float *x, const float *y);
    void (*scale)(int64_t n, float s, float *x);
    void (*zero)(void *p, size_t bytes);
    /* an optimizer algorithm's update over (a run of) a span; NULL when
     * the backend has none for it */
    ax_optim_update_fn (*optim_update)(const struct ax_optim_algo *algo);
} ax_backend;

/* By name ("cpu"); NULL when axon was built without it. */
const ax_backend *ax_backend_find(const char *name);
const ax_backend *ax_backend_cpu(void);
/* The backend a graph computes on (the CPU before any choice). */
const ax_backend *ax_graph_backend_of(const ax_graph *g);

#endif
