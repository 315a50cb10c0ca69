/* Threads inside the library: the count work is cut for, the team that
 * runs it, and the governor that sizes the team to what the machine gives.
 *
 * Work is always cut into the same pieces, one per planned thread
 * (ax_get_num_threads()), and reduced in piece order; a smaller team runs
 * several pieces each. So the team size never changes a result's bits:
 * the governor may shrink the team when another process takes a core,
 * and the same seed, thread setting and machine still give the same bits. */
#ifndef AXON_CORE_THREADS_H
#define AXON_CORE_THREADS_H

#include <stdint.h>

/* Element counts below this run on one thread: an OpenMP region costs a
 * few microseconds, about what one core needs for this many elements.
 * Write `if (parallel : ...)` on `parallel for simd`: a bare `if` applies
 * to the simd part too (OpenMP 5), and a false condition then turns the
 * vectorisation off. */
#define AX_PARALLEL_MIN 32768

/* Monotonic wall-clock seconds. */
double ax_now_seconds(void);

/* The team size regions use now (1..ax_get_num_threads()), and setting
 * it by hand (tests). */
int ax_threads_team(void);
void ax_threads_set_team(int n);
/* ax_set_num_threads without looking at the machine: n planned threads,
 * auto or fixed (tests). */
void ax_threads_configure(int n, int is_auto);

/* Sizes the team by measuring: with the thread setting "auto" (0), it
 * times the steps of a loop (the interval between one forward pass and
 * the next), tries each candidate team size for a few steps, keeps the
 * fastest, and tries again now and then and whenever the steps slow down.
 * With an explicit thread count it does nothing. */
#define AX_GOVERNOR_MAX_CANDIDATES 8
typedef struct ax_governor {
    int started;
    double anchor;          /* when the step being timed began */
    int64_t rows;           /* its batch */
    int probing, candidate, skip, last_choice;
    int steps;              /* the window being measured: steps, seconds, samples */
    double seconds, samples;
    double cost[AX_GOVERNOR_MAX_CANDIDATES]; /* seconds per sample measured for each candidate */
    double baseline;        /* the chosen team's cost */
    double next_probe, interval;
    int team;               /* the team this governor wants */
} ax_governor;

void ax_governor_init(ax_governor *gv);
/* A step of `rows` samples begins now; `continues` says the previous tick
 * was this loop's too, so the time since then was one of its steps (0
 * after the caller did something else, such as an evaluation pass). */
void ax_governor_tick(ax_governor *gv, int continues, int64_t rows);
/* The same at a given time on the monotonic clock (tests drive it with a
 * simulated clock, so machine load cannot change what they see). */
void ax_governor_tick_at(ax_governor *gv, int continues, int64_t rows, double now);

#endif
