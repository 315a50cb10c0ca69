/* core: status messages, arena, RNG streams, threads. */
#include "test.h"

static void status_messages(void)
{
    ax_clear_error();
    CHECK(strcmp(ax_last_error(), "") == 0);
    ax_status s = ax_fail(AX_ERR_SHAPE, "bad %s %d", "thing", 7);
    CHECK(s == AX_ERR_SHAPE);
    CHECK(strcmp(ax_last_error(), "bad thing 7") == 0);
    CHECK(strcmp(ax_status_str(AX_ERR_IO), "I/O error") == 0);
    CHECK(strcmp(ax_status_str(AX_OK), "ok") == 0);
}

static void arena_alignment_and_capacity(void)
{
    ax_arena *a;
    CHECK_OK(ax_arena_new(1000, &a));
    void *p = ax_arena_take(a, 3);
    void *q = ax_arena_take(a, 100);
    CHECK(p && q);
    CHECK(((uintptr_t)p % 64) == 0 && ((uintptr_t)q % 64) == 0);
    CHECK((char *)q - (char *)p == 64);
    CHECK(ax_arena_used(a) == 64 + 128);
    CHECK(ax_arena_take(a, 5000) == NULL); /* over capacity */
    ax_arena_reset(a);
    CHECK(ax_arena_used(a) == 0);
    ax_arena_free(a);
}

static void rng_streams_are_reproducible(void)
{
    ax_rng a, b, c;
    ax_rng_seed(&a, 42, 1);
    ax_rng_seed(&b, 42, 1);
    ax_rng_seed(&c, 42, 2);
    int same_ab = 1, same_ac = 1;
    for (int i = 0; i < 100; i++) {
        uint32_t x = ax_rng_u32(&a), y = ax_rng_u32(&b), z = ax_rng_u32(&c);
        same_ab &= x == y;
        same_ac &= x == z;
    }
    CHECK(same_ab);
    CHECK(!same_ac);
}

static void rng_reference_values(void)
{
    /* The PCG32 reference implementation (pcg32-demo, seed 42, sequence
     * 54) prints these first outputs. */
    ax_rng r;
    ax_rng_seed(&r, 42, 54);
    const uint32_t expect[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e};
    for (int i = 0; i < 6; i++)
        CHECK(ax_rng_u32(&r) == expect[i]);
}

static void rng_distributions(void)
{
    ax_rng r;
    ax_rng_seed(&r, 7, 3);
    double sum = 0, sum2 = 0, usum = 0;
    int n = 200000, below_ok = 1;
    for (int i = 0; i < n; i++) {
        float z = ax_rng_normal(&r);
        sum += z;
        sum2 += (double)z * z;
        float u = ax_rng_uniform(&r);
        CHECK(u >= 0.0f && u < 1.0f);
        usum += u;
        below_ok &= ax_rng_below(&r, 10) < 10;
    }
    CHECK(below_ok);
    CHECK_NEAR(sum / n, 0.0, 0.01);
    CHECK_NEAR(sum2 / n, 1.0, 0.02);
    CHECK_NEAR(usum / n, 0.5, 0.005);
}

static void shuffle_is_a_permutation(void)
{
    ax_rng r;
    ax_rng_seed(&r, 1, 1);
    uint32_t idx[1000];
    int seen[1000] = {0}, moved = 0;
    for (uint32_t i = 0; i < 1000; i++)
        idx[i] = i;
    ax_rng_shuffle(&r, idx, 1000);
    for (uint32_t i = 0; i < 1000; i++) {
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 1000; i++)
        CHECK(seen[i] == 1);
    CHECK(moved > 900);
}

/* an allocation limit makes a crafted huge model a clean error */
static void allocation_limit(void)
{
    ax_set_alloc_limit((size_t)1 << 20);
    void *small = ax_alloc(1024);
    CHECK(small != NULL && ax_alloc((size_t)2 << 20) == NULL && ax_alloc_aligned((size_t)2 << 20) == NULL &&
          ax_calloc((size_t)1 << 20, 4) == NULL);
    ax_free(small);
    ax_spec sp;
    CHECK_ERR(ax_spec_build("input x 1000\ndense fc units=1000\nloss mse\n", "big.spec", 2, 1, &sp), AX_ERR_FORMAT,
              "cannot allocate 4000000 bytes");
    ax_set_alloc_limit(0);
    CHECK_OK(ax_spec_build("input x 1000\ndense fc units=1000\nloss mse\n", "big.spec", 2, 1, &sp));
    ax_graph_free(sp.graph);
}

static void thread_knob(void)
{
    ax_set_num_threads(1);
    CHECK(ax_get_num_threads() == 1);
    ax_set_num_threads(2);
    CHECK(ax_get_num_threads() == 2);
    ax_set_num_threads(0);
    CHECK(ax_get_num_threads() >= 1);
}

static void flush_denormals(void)
{
    volatile float tiny = 1e-39f; /* a denormal */
    ax_set_flush_denormals(1);
    volatile float y = tiny * 1.0f;
    CHECK(y == 0.0f);
    ax_set_flush_denormals(0);
    y = tiny * 1.0f;
    CHECK(y != 0.0f);
}

static int released;
static void count_release(void *p)
{
    released++;
    ax_free(p);
}

/* an arena over a block from elsewhere (a backend's memory) */
static void arena_over_a_given_block(void)
{
    ax_arena *a;
    char *block = ax_alloc_aligned(256);
    CHECK_ERR(ax_arena_adopt(block + 8, 128, NULL, &a), AX_ERR_INVALID_ARG, "64-byte aligned");
    CHECK_ERR(ax_arena_adopt(block, 100, NULL, &a), AX_ERR_INVALID_ARG, "a multiple of 64");
    CHECK_OK(ax_arena_adopt(block, 256, count_release, &a));
    CHECK(ax_arena_take(a, 100) == block && ax_arena_take(a, 100) == block + 128 && ax_arena_take(a, 64) == NULL);
    ax_arena_free(a);
    CHECK(released == 1);
}

static void shapes(void)
{
    ax_shape s = ax_shape3(2, 3, 4);
    CHECK(ax_shape_numel(&s) == 24);
    char buf[64];
    CHECK(strcmp(ax_shape_str(&s, buf, sizeof buf), "[2, 3, 4]") == 0);
    int64_t n = 0;
    ax_shape zero = ax_shape2(2, 0), big = ax_shape3(1 << 20, 1 << 20, 2);
    CHECK(!ax_shape_checked(&zero, 0, &n) && ax_shape_checked(&zero, 1, &n) && n == 0);
    CHECK(!ax_shape_checked(&big, 0, &n)); /* 2^41 values: more than AX_MAX_NUMEL */
}

TEST_MAIN(T(status_messages), T(arena_alignment_and_capacity), T(rng_streams_are_reproducible),
          T(rng_reference_values), T(rng_distributions), T(shuffle_is_a_permutation), T(thread_knob), T(allocation_limit),
          T(flush_denormals), T(shapes), T(arena_over_a_given_block))
