/* Runs an exported model (model.c from `axon export-c`) over a check file
 * (`--check-out`: inputs, the outputs the host computed, labels) and
 * compares: an int8 model must give the host's bytes exactly, a float32
 * one its values within 1e-4. Built for the host (stdio) or, with
 * AXON_SEMIHOSTING, for a Cortex-M under qemu, its I/O through ARM
 * semihosting. Prints one line and exits 0 when every output matched:
 *   axon-mcu: samples N, mismatches M, largest difference D, accuracy H/N */
#include "model.h"

#include <stdint.h>
#include <string.h>

#ifdef MODEL_INPUT_SCALE
typedef int8_t value;
#define INT8 1
#else
typedef float value;
#define INT8 0
#endif

#ifdef AXON_SEMIHOSTING
/* ARM semihosting: r0 the operation, r1 its argument block, bkpt 0xab */
static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
static void put(const char *s) { semihost(0x04, (void *)s); } /* SYS_WRITE0 */
static int open_file(const char *path)
{
    int args[3] = {(int)(intptr_t)path, 1 /* "rb" */, (int)strlen(path)};
    return semihost(0x01, args); /* SYS_OPEN: a handle, or -1 */
}
static int read_all(int fd, void *buf, int n)
{
    int args[3] = {fd, (int)(intptr_t)buf, n};
    return semihost(0x06, args) == 0; /* SYS_READ: the bytes not read */
}
void axon_exit(int status)
{
    /* SYS_EXIT: ADP_Stopped_ApplicationExit (qemu exits 0) or RunTimeErrorUnknown (qemu exits 1) */
    semihost(0x18, (void *)(intptr_t)(status ? 0x20023 : 0x20026));
    for (;;)
        ;
}
#else
#include <stdio.h>
#include <stdlib.h>
static FILE *files[1];
static void put(const char *s) { fputs(s, stdout); }
static int open_file(const char *path) { return (files[0] = fopen(path, "rb")) ? 0 : -1; }
static int read_all(int fd, void *buf, int n) { return fread(buf, 1, (size_t)n, files[fd]) == (size_t)n; }
void axon_exit(int status) { exit(status); }
#endif

static void put_num(long v)
{
    char b[24], *p = b + sizeof b;
    const int neg = v < 0;
    unsigned long u = neg ? 0ul - (unsigned long)v : (unsigned long)v;
    *--p = 0;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (neg)
        *--p = '-';
    put(p);
}

static value in[MODEL_INPUT_SIZE], out[MODEL_OUTPUT_SIZE], expected[MODEL_OUTPUT_SIZE];

int main(void)
{
    uint32_t head[6];
    const int fd = open_file("check.bin");
    if (fd < 0 || !read_all(fd, head, sizeof head) || head[0] != 0x43515841u || head[1] != 1 ||
        head[2] != (INT8 ? 1u : 2u) || head[4] != MODEL_INPUT_SIZE || head[5] != MODEL_OUTPUT_SIZE) {
        put("axon-mcu: check.bin is missing or is not a check file of this model\n");
        axon_exit(2);
    }
    long mismatches = 0, hits = 0, worst = 0; /* worst: int8 codes, or float differences in 1e-6 */
    const long n = (long)head[3];
    for (long i = 0; i < n; i++) {
        int32_t label;
        if (!read_all(fd, &label, 4) || !read_all(fd, in, sizeof in) || !read_all(fd, expected, sizeof expected)) {
            put("axon-mcu: check.bin ends early\n");
            axon_exit(2);
        }
        model_predict(in, out);
        int best = 0, bad = 0;
        for (int k = 0; k < MODEL_OUTPUT_SIZE; k++) {
            best = out[k] > out[best] ? k : best;
#if INT8
            const long d = out[k] > expected[k] ? out[k] - expected[k] : expected[k] - out[k];
            bad |= d != 0;
#else
            const float e = expected[k] < 0 ? -expected[k] : expected[k];
            const float df = out[k] > expected[k] ? out[k] - expected[k] : expected[k] - out[k];
            const long d = (long)(df * 1e6f);
            bad |= !(df <= 1e-4f + 1e-4f * e);
#endif
            worst = d > worst ? d : worst;
        }
        mismatches += bad;
        hits += best == label;
    }
    put("axon-mcu: samples ");
    put_num(n);
    put(", mismatches ");
    put_num(mismatches);
    put(INT8 ? ", largest difference (codes) " : ", largest difference (1e-6) ");
    put_num(worst);
    put(", accuracy ");
    put_num(hits);
    put("/");
    put_num(n);
    put("\n");
    axon_exit(mismatches ? 1 : 0);
    return 0;
}
