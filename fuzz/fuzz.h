/* Shared by the libFuzzer harnesses: the readers take paths, so each input
 * is written to a file of this process first. A harness must never crash,
 * leak or hit undefined behaviour, whatever the bytes; errors are fine. */
#ifndef AXON_FUZZ_H
#define AXON_FUZZ_H

#include <axon.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Called by libFuzzer once: allocations above 64 MB fail as out of
 * memory, so a few bytes of spec or header asking for a model of
 * gigabytes give the reader's error, not libFuzzer's out-of-memory report. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    ax_set_alloc_limit((size_t)64 << 20);
    return 0;
}

/* Write the input to path. */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
}

/* The input as the file <tmp>/axon-fuzz-<pid><suffix>; its path. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[256];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof path, "%s/axon-fuzz-%ld%s", tmp, (long)getpid(), suffix);
    fuzz_write(path, data, size);
    return path;
}

/* The model the seed files were saved from: x [1, 4], dense "fc" 4 -> 2,
 * compiled (NULL if that failed; the caller frees it). */
static inline ax_graph *fuzz_model(void)
{
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_graph_new(&g);
    ax_dense(g, ax_input(g, "x", ax_shape2(1, 4)), 2, NULL, AX_DEFAULT_INIT, &rng, "fc");
    if (ax_graph_compile(g) != AX_OK) {
        ax_graph_free(g);
        return NULL;
    }
    return g;
}

/* The input as a NUL-terminated string (free it). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        abort();
    memcpy(t, data, size);
    t[size] = '\0';
    return t;
}

#endif
