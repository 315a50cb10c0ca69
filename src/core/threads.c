/* The one thread-count knob and the denormal-flushing switch. All of
 * axon's threads are OpenMP's: OpenBLAS is kept single-threaded and GEMMs
 * are split across OpenMP threads in kernels/cpu/gemm.c. */
#include "axon/core.h"

#include <cblas.h>
#include <omp.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#include <pmmintrin.h>
#endif

static int num_threads = 0; /* 0: not set yet, use all cores */

void ax_set_num_threads(int n)
{
    if (n <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores > 0 ? (int)cores : 1;
    }
    num_threads = n;
    omp_set_num_threads(n);
    openblas_set_num_threads(1);
}

int ax_get_num_threads(void)
{
    if (num_threads == 0)
        ax_set_num_threads(0);
    return num_threads;
}

static void set_ftz_this_thread(int on)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned int csr = _mm_getcsr();
    const unsigned int bits = 0x8040; /* FTZ (bit 15) | DAZ (bit 6) */
    _mm_setcsr(on ? (csr | bits) : (csr & ~bits));
#else
    (void)on;
#endif
}

void ax_set_flush_denormals(int on)
{
    set_ftz_this_thread(on);
    /* OpenMP keeps its workers alive between regions, so setting the flag
     * once in each worker sticks for the later regions. */
#pragma omp parallel num_threads(ax_get_num_threads())
    set_ftz_this_thread(on);
}
