/* The one thread-count knob, the team governor and the denormal-flushing
 * switch. All of axon's threads are OpenMP's: OpenBLAS is kept
 * single-threaded and GEMMs are split across OpenMP threads in
 * kernels/cpu/gemm.c.
 *
 * Why a governor: OpenMP threads spin at the end of every parallel region
 * waiting for the others. When another process is busy on one of the
 * cores, the thread that shares that core runs only in the time slices the
 * scheduler gives it, and every region waits for it: measured here, two
 * threads ran 10-20x slower than one. A fixed thread count cannot be right
 * both on an idle machine and on a busy one, so with the "auto" setting the
 * team size is chosen by timing the steps themselves. */
#define _GNU_SOURCE
#include "core/threads.h"

#include "axon/core.h"

#include <cblas.h>
#include <omp.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <pmmintrin.h>
#include <xmmintrin.h>
#endif

/* More threads than this are never planned (each costs scratch memory). */
#define MAX_THREADS 256

static int planned = 0; /* 0: not set yet, use all cores */
static int automatic = 0;
static int team = 1;

double ax_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The CPUs this process may run on (its affinity mask: taskset, cgroup
 * cpusets), which may be fewer than the machine's. */
static int available_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

static void set_team(int n)
{
    team = n;
    omp_set_num_threads(n);
}

void ax_threads_configure(int n, int is_auto)
{
    automatic = is_auto;
    planned = n < 1 ? 1 : n < MAX_THREADS ? n : MAX_THREADS;
    set_team(planned);
    openblas_set_num_threads(1);
}

void ax_set_num_threads(int n) { ax_threads_configure(n <= 0 ? available_cpus() : n, n <= 0); }

int ax_get_num_threads(void)
{
    if (planned == 0)
        ax_set_num_threads(0);
    return planned;
}

int ax_get_threads_auto(void)
{
    ax_get_num_threads();
    return automatic;
}

int ax_threads_team(void)
{
    ax_get_num_threads();
    return team;
}

void ax_threads_set_team(int n)
{
    const int p = ax_get_num_threads();
    set_team(n < 1 ? 1 : n > p ? p : n);
}

/* ---- the governor ------------------------------------------------------ */

/* A candidate's steps are timed until there are this many and they add up
 * to this long (short steps are noisy), or the sample buffer is full. */
#define PROBE_STEPS 3
#define PROBE_SECONDS 0.004
/* Probe again after this long, doubling while the choice holds. */
#define INTERVAL_MIN 1.0
#define INTERVAL_MAX 16.0
/* Steps this much slower than the chosen team's measured cost, this many
 * in a row, mean the machine changed: probe at once. */
#define SLOWDOWN 1.5
#define SLOW_STEPS 3

/* Team sizes worth trying: the planned count, its halves, 1 (each divides
 * the planned pieces evenly or nearly so). */
static int candidates(int *out)
{
    int n = 0, p = ax_get_num_threads();
    for (int t = p; t >= 1 && n < AX_GOVERNOR_MAX_CANDIDATES; t /= 2)
        out[n++] = t;
    if (out[n - 1] != 1 && n < AX_GOVERNOR_MAX_CANDIDATES)
        out[n++] = 1;
    return n;
}

void ax_governor_init(ax_governor *gv)
{
    *gv = (ax_governor){.last_choice = -1, .interval = INTERVAL_MIN};
    gv->team = ax_get_num_threads();
}

static void begin_probe(ax_governor *gv)
{
    int cand[AX_GOVERNOR_MAX_CANDIDATES];
    candidates(cand);
    gv->probing = 1;
    gv->candidate = 0;
    gv->n_samples = 0;
    gv->sampled_seconds = 0;
    gv->skip = cand[0] != gv->team; /* the first step after a switch wakes threads: not timed */
    gv->team = cand[0];
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++) /* insertion sort: n <= 16 */
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void measured(ax_governor *gv, double seconds, double cost, double now)
{
    int cand[AX_GOVERNOR_MAX_CANDIDATES];
    const int n_cand = candidates(cand);
    if (!gv->probing) {
        gv->slow_steps = cost > SLOWDOWN * gv->baseline ? gv->slow_steps + 1 : 0;
        if (gv->slow_steps >= SLOW_STEPS) {
            gv->interval = INTERVAL_MIN;
            begin_probe(gv);
        } else if (now >= gv->next_probe)
            begin_probe(gv);
        return;
    }
    if (gv->skip) {
        gv->skip = 0;
        return;
    }
    gv->samples[gv->n_samples++] = cost;
    gv->sampled_seconds += seconds;
    if ((gv->n_samples < PROBE_STEPS || gv->sampled_seconds < PROBE_SECONDS) && gv->n_samples < AX_GOVERNOR_MAX_SAMPLES)
        return;
    gv->cost[gv->candidate] = median(gv->samples, gv->n_samples);
    if (++gv->candidate < n_cand) {
        gv->team = cand[gv->candidate];
        gv->skip = 1;
        gv->n_samples = 0;
        gv->sampled_seconds = 0;
        return;
    }
    int best = 0;
    for (int i = 1; i < n_cand; i++)
        best = gv->cost[i] < gv->cost[best] ? i : best;
    gv->team = cand[best];
    gv->baseline = gv->cost[best];
    gv->interval = cand[best] == gv->last_choice ? 2 * gv->interval : INTERVAL_MIN;
    gv->interval = gv->interval < INTERVAL_MAX ? gv->interval : INTERVAL_MAX;
    gv->last_choice = cand[best];
    gv->next_probe = now + gv->interval;
    gv->probing = 0;
    gv->slow_steps = 0;
}

void ax_governor_tick(ax_governor *gv, int continues, int64_t rows)
{
    if (!ax_get_threads_auto() || ax_get_num_threads() == 1)
        return;
    const double now = ax_now_seconds();
    if (!gv->started) {
        gv->started = 1;
        begin_probe(gv);
    } else if (continues && gv->rows > 0) {
        const double seconds = now - gv->anchor;
        measured(gv, seconds, seconds / (double)gv->rows, now);
    }
    gv->anchor = now;
    gv->rows = rows;
    if (gv->team != team)
        set_team(gv->team);
}

/* ---- denormals ---------------------------------------------------------- */

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
     * once in each worker sticks for the later regions (a smaller team
     * reuses the same workers). */
#pragma omp parallel num_threads(ax_get_num_threads())
    set_ftz_this_thread(on);
}
