/* axon core: status codes, error messages, allocation, RNG streams, threads.
 *
 * Every fallible library function returns an ax_status. On failure it also
 * records a one-line human-readable message, readable with ax_last_error()
 * from the same thread until the next failure. The library never exits or
 * aborts on bad user input. */
#ifndef AXON_CORE_H
#define AXON_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ax_status {
    AX_OK = 0,
    AX_ERR_INVALID_ARG, /* a caller passed something out of contract */
    AX_ERR_SHAPE,       /* tensor shapes do not fit together */
    AX_ERR_NOMEM,       /* an allocation failed */
    AX_ERR_IO,          /* a file could not be opened, read or written */
    AX_ERR_FORMAT,      /* a file's contents are not what was expected */
    AX_ERR_STATE,       /* the call does not fit the object's state */
    AX_ERR_NUMERIC,     /* a NaN or infinity appeared */
    AX_ERR_UNSUPPORTED  /* valid, but not something this build can do (an op without an integer kernel) */
} ax_status;

/* Short fixed name of a status code ("shape error", ...). */
const char *ax_status_str(ax_status s);

/* The message of the most recent failure on this thread ("" if none). */
const char *ax_last_error(void);

/* Record a failure message (printf-style) and return the status, so that
 * library code can write `return ax_fail(AX_ERR_SHAPE, "...", ...);`. */
ax_status ax_fail(ax_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget the last error message. */
void ax_clear_error(void);

/* ---- allocation -------------------------------------------------------
 * All library allocations go through these. Buffers from ax_alloc_aligned
 * are 64-byte aligned (one cache line, one AVX-512 register). */
/* The most bytes one allocation may take (0, the default: no limit): a
 * larger one fails as if memory ran out, with the usual clear error. For
 * programs that read untrusted files and would rather refuse a crafted
 * model of gigabytes (the fuzzers set 64 MB) and for small devices. */
void ax_set_alloc_limit(size_t bytes);
void *ax_alloc(size_t bytes);
void *ax_calloc(size_t n, size_t size);
void *ax_alloc_aligned(size_t bytes);
/* Resize a block from ax_alloc (NULL: a new one); NULL on failure, the
 * old block left as it was. Large blocks move without a copy (glibc
 * remaps them), so growing one keeps one block's worth of memory. */
void *ax_realloc(void *p, size_t bytes);
void ax_free(void *p);

/* Write len bytes to path atomically: a temporary file beside it, fsync,
 * rename over path. A crash leaves the old file or the new one, never a
 * part. */
ax_status ax_write_file_atomic(const char *path, const void *data, size_t len);
/* axon's version, "MAJOR.MINOR.PATCH". */
const char *ax_version(void);
/* Create the folder path and any missing parents (mkdir -p); an
 * existing folder is fine, an existing file of that name an error. */
ax_status ax_make_dirs(const char *path);
/* path must name a regular file: a directory, a FIFO or a device is
 * refused (reading one would mislead or never end). */
ax_status ax_check_regular_file(const char *path);
/* The whole of a regular file of at most max_bytes, NUL-terminated (free
 * it with ax_free); errors name the file. */
ax_status ax_read_file(const char *path, size_t max_bytes, char **out, size_t *len);

/* ---- arena ------------------------------------------------------------
 * One block carved into 64-byte aligned pieces; freed all at once. The
 * graph plans its activations, gradients and scratch space into one. */
typedef struct ax_arena ax_arena;

ax_status ax_arena_new(size_t capacity_bytes, ax_arena **out);
/* An arena over a block allocated elsewhere (a backend's memory, 64-byte
 * aligned, capacity_bytes a multiple of 64); release(base) frees it with
 * the arena. The block is used as it is (not zeroed). */
ax_status ax_arena_adopt(void *base, size_t capacity_bytes, void (*release)(void *), ax_arena **out);
void ax_arena_free(ax_arena *a);
/* NULL when the arena cannot fit the request (capacity is fixed). */
void *ax_arena_take(ax_arena *a, size_t bytes);
size_t ax_arena_used(const ax_arena *a);
size_t ax_arena_capacity(const ax_arena *a);
void ax_arena_reset(ax_arena *a);

/* ---- random numbers ---------------------------------------------------
 * PCG32 streams: the same seed and stream id always give the same
 * sequence, whatever else the program does. */
typedef struct ax_rng {
    uint64_t state;
    uint64_t inc;
} ax_rng;

void ax_rng_seed(ax_rng *r, uint64_t seed, uint64_t stream);
uint32_t ax_rng_u32(ax_rng *r);
/* Uniform integer in [0, n), without modulo bias. n > 0. */
uint32_t ax_rng_below(ax_rng *r, uint32_t n);
/* Uniform float in [0, 1). */
float ax_rng_uniform(ax_rng *r);
/* Standard normal (Box-Muller). */
float ax_rng_normal(ax_rng *r);
/* Fisher-Yates shuffle of an index array. */
void ax_rng_shuffle(ax_rng *r, uint32_t *idx, size_t n);

/* ---- checked numbers ----------------------------------------------------
 * For readers of untrusted text and sizes. Each returns 1 and sets *out
 * when the value is good, 0 (leaving *out) when not; the caller says where.
 * ax_parse_int: the whole string, base 10, in [min, max] (no overflow).
 * ax_parse_number: the whole string, finite, in [min, max].
 * ax_mul_checked: a * b for sizes a, b >= 0, without passing INT64_MAX. */
int ax_parse_int(const char *text, int64_t min, int64_t max, int64_t *out);
int ax_parse_number(const char *text, double min, double max, double *out);
int ax_mul_checked(int64_t a, int64_t b, int64_t *out);

/* ---- threads ----------------------------------------------------------
 * One knob for the whole library: sets OpenMP's and the BLAS's thread
 * count together. n > 0: exactly n threads (at most 256). n <= 0, the
 * default: "auto", up to one thread per CPU this process may run on, with
 * the team size chosen by timing the steps, so that a busy core (another
 * process) does not stall every step; see docs/architecture.md. Work is
 * cut for the thread count whatever the team size, so a run's bits depend
 * on the seed, the setting and the machine, never on the load. */
void ax_set_num_threads(int n);
/* The thread count work is planned for (auto: the CPUs available). */
int ax_get_num_threads(void);
/* 1 when the setting is auto. */
int ax_get_threads_auto(void);

/* Flush denormal floats to zero on the calling thread and on the
 * library's worker threads. Training with Adam produces tiny moment
 * values that are otherwise up to ~100x slower to compute with. */
void ax_set_flush_denormals(int on);

#ifdef __cplusplus
}
#endif
#endif
