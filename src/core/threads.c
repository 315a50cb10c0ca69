/* The one thread-count knob, the team governor and the denormal-flushing
 * switch. All of axon's threads are OpenMP's: OpenBLAS is kept
 * single-threaded and GEMMs are split across OpenMP threads in
 * backends/cpu/gemm.c.
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
#include <math.h>
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

/* A candidate's steps are timed for at least this long and this many
 * steps: long enough to take in the scheduler's time slices, since a
 * thread sharing a core with another process runs fast in short bursts
 * and stalls between them. The cost is the mean (seconds per sample over
 * the whole window), not a median: the stalls are what is measured. */
#define PROBE_SECONDS 0.05
#define PROBE_STEPS 3
/* A candidate already this much slower than the best one is dropped
 * before its window ends (a busy core makes a probe of the full team
 * expensive). */
#define ABANDON 1.5
/* Teams whose costs are this close are taken as equal, and the larger one
 * kept: on an idle machine the machine's own noise (it may be shared) can
 * make one thread look as fast as two for a window, while a busy core
 * makes the full team far slower than this. */
#define CLOSE 1.1
/* Probe again after this long, doubling while the choice holds. */
#define INTERVAL_MIN 2.0
#define INTERVAL_MAX 16.0
/* The chosen team is watched over windows this long; one this much
 * slower than measured means the machine changed: probe at once. */
#define WATCH_SECONDS 0.2
#define SLOWDOWN 1.3

/* Team sizes worth trying, smallest first (a small team is never much
 * slower than a big one, while a big team on a busy machine can be many
 * times slower, and is then abandoned early): 1 and the planned count's
 * halvings up to it, which divide its pieces evenly or nearly so. */
static int candidates(int *out)
{
    int n = 0, p = ax_get_num_threads(), halvings[AX_GOVERNOR_MAX_CANDIDATES];
    for (int t = p; t > 1 && n < AX_GOVERNOR_MAX_CANDIDATES - 1; t /= 2)
        halvings[n++] = t;
    out[0] = 1;
    for (int i = 0; i < n; i++)
        out[i + 1] = halvings[n - 1 - i];
    return n + 1;
}

void ax_governor_init(ax_governor *gv)
{
    *gv = (ax_governor){.last_choice = -1, .interval = INTERVAL_MIN};
    gv->team = ax_get_num_threads();
}

static void start_window(ax_governor *gv)
{
    gv->steps = 0;
    gv->seconds = 0;
    gv->samples = 0;
}

static void switch_to(ax_governor *gv, int team_size)
{
    /* the first step after growing the team wakes sleeping threads: not timed */
    gv->skip = team_size > gv->team;
    gv->team = team_size;
    start_window(gv);
}

static void begin_probe(ax_governor *gv)
{
    int cand[AX_GOVERNOR_MAX_CANDIDATES];
    candidates(cand);
    gv->probing = 1;
    gv->candidate = 0;
    switch_to(gv, cand[0]);
}

static void measured(ax_governor *gv, double seconds, int64_t rows, double now)
{
    int cand[AX_GOVERNOR_MAX_CANDIDATES];
    const int n_cand = candidates(cand);
    if (gv->skip > 0) {
        gv->skip--;
        return;
    }
    gv->steps++;
    gv->seconds += seconds;
    gv->samples += (double)rows;
    const double cost = gv->seconds / gv->samples;
    if (!gv->probing) {
        if (gv->seconds < WATCH_SECONDS)
            return;
        if (cost > SLOWDOWN * gv->baseline) {
            gv->interval = INTERVAL_MIN;
            begin_probe(gv);
        } else if (now >= gv->next_probe)
            begin_probe(gv);
        else {
            gv->baseline = cost < gv->baseline ? cost : gv->baseline;
            start_window(gv);
        }
        return;
    }
    double best = INFINITY;
    for (int i = 0; i < gv->candidate; i++)
        best = gv->cost[i] < best ? gv->cost[i] : best;
    const int abandon = gv->steps >= 2 && cost > ABANDON * best;
    if (!abandon && (gv->steps < PROBE_STEPS || gv->seconds < PROBE_SECONDS))
        return;
    gv->cost[gv->candidate] = cost;
    if (++gv->candidate < n_cand) {
        switch_to(gv, cand[gv->candidate]);
        return;
    }
    double least = gv->cost[0];
    for (int i = 1; i < n_cand; i++)
        least = gv->cost[i] < least ? gv->cost[i] : least;
    int pick = 0; /* the largest team within CLOSE of the fastest (candidates ascend) */
    for (int i = 1; i < n_cand; i++)
        pick = gv->cost[i] <= CLOSE * least ? i : pick;
    gv->baseline = gv->cost[pick];
    gv->interval = cand[pick] == gv->last_choice ? 2 * gv->interval : INTERVAL_MIN;
    gv->interval = gv->interval < INTERVAL_MAX ? gv->interval : INTERVAL_MAX;
    gv->last_choice = cand[pick];
    gv->next_probe = now + gv->interval;
    gv->probing = 0;
    switch_to(gv, cand[pick]);
}

void ax_governor_tick(ax_governor *gv, int continues, int64_t rows)
{
    if (ax_get_threads_auto() && ax_get_num_threads() > 1)
        ax_governor_tick_at(gv, continues, rows, ax_now_seconds());
}

void ax_governor_tick_at(ax_governor *gv, int continues, int64_t rows, double now)
{
    if (!ax_get_threads_auto() || ax_get_num_threads() == 1)
        return;
    if (!gv->started) {
        gv->started = 1;
        begin_probe(gv);
        gv->skip = 3; /* the first steps touch fresh memory and caches: not timed */
    } else if (continues && gv->rows > 0) {
        measured(gv, now - gv->anchor, gv->rows, now);
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
