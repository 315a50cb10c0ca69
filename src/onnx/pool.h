/* Allocations that live as long as one ONNX read or write and are freed
 * together (the protobuf messages built for a file, an import's constant
 * tensors). */
#ifndef AXON_ONNX_POOL_H
#define AXON_ONNX_POOL_H
#include <stddef.h>

typedef struct onnx_pool {
    void **blocks;
    size_t n, cap;
    int failed; /* an allocation failed: everything after is NULL */
} onnx_pool;

/* size bytes, zeroed; NULL (and p->failed set) when out of memory */
void *onnx_pool_alloc(onnx_pool *p, size_t size);
char *onnx_pool_strdup(onnx_pool *p, const char *s);
/* printf into the pool */
char *onnx_pool_printf(onnx_pool *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void onnx_pool_free(onnx_pool *p);

#endif
