/* Threads: the team size never changes a result's bits, and the governor
 * (the "auto" setting) picks the team that runs the steps fastest and
 * changes its mind when the machine does. */
#include "test.h"

#include "core/threads.h"

#define BATCH 32

/* A conv layer (several image chunks, so its weight gradient is a sum of
 * parts) and dense layers big enough for the GEMM to be cut in blocks. */
static ax_model small_cnn(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 21, 2);
    ax_graph *g;
    ax_graph_new(&g);
    ax_graph_seed(g, 4);
    ax_node *x = ax_input(g, "image", ax_shape4(BATCH, 3, 20, 20));
    ax_node *h = ax_conv2d_layer(g, x, 16, 3, 3, NULL, "relu", AX_DEFAULT_INIT, &rng, "conv");
    h = ax_max_pool2d(g, h, 2, 2, 0, 0, 0, 0);
    h = ax_dense(g, ax_flatten(g, h), 256, "relu", AX_DEFAULT_INIT, &rng, "fc");
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "out");
    ax_node *y = ax_input(g, "label", ax_shape1(BATCH));
    ax_model m = {.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)};
    CHECK_OK(ax_graph_compile(g));
    return m;
}

/* Three Adam steps on fixed random data with the team at `team`; returns
 * every parameter, concatenated. */
static float *train_with_team(int team, int64_t *count)
{
    ax_model m = small_cnn();
    ax_optimizer *opt;
    CHECK_OK(ax_optimizer_new("adam", NULL, &opt));
    CHECK_OK(ax_optimizer_add_graph(opt, m.graph));
    ax_rng r;
    ax_rng_seed(&r, 5, 5);
    ax_threads_set_team(team);
    CHECK(ax_threads_team() == team);
    for (int step = 0; step < 3; step++) {
        float *x = ax_node_data(m.input), *y = ax_node_data(m.target);
        for (int64_t i = 0; i < ax_node_numel(m.input); i++)
            x[i] = ax_rng_normal(&r);
        for (int i = 0; i < BATCH; i++)
            y[i] = (float)ax_rng_below(&r, 10);
        CHECK_OK(ax_graph_forward(m.graph));
        CHECK_OK(ax_graph_backward(m.graph, m.loss, NULL));
        CHECK_OK(ax_optimizer_step(opt));
    }
    *count = ax_graph_param_count(m.graph);
    float *all = malloc((size_t)*count * sizeof *all), *at = all;
    for (int i = 0; i < ax_graph_num_params(m.graph); i++) {
        ax_node *p = ax_graph_param(m.graph, i);
        memcpy(at, ax_node_data(p), (size_t)ax_node_numel(p) * sizeof *at);
        at += ax_node_numel(p);
    }
    ax_optimizer_free(opt);
    ax_graph_free(m.graph);
    return all;
}

static void team_size_keeps_the_bits(void)
{
    for (int planned = 2; planned <= 4; planned += 2) {
        ax_threads_configure(planned, 0);
        int64_t n_full, n_one, n_half;
        float *full = train_with_team(planned, &n_full), *one = train_with_team(1, &n_one);
        float *half = train_with_team(planned / 2, &n_half);
        CHECK(n_full == n_one && n_full == n_half);
        CHECK(!memcmp(full, one, (size_t)n_full * sizeof *full));
        CHECK(!memcmp(full, half, (size_t)n_full * sizeof *full));
        free(full);
        free(one);
        free(half);
    }
    ax_set_num_threads(2);
}

/* For `seconds` of a simulated clock, steps whose cost depends on the
 * team: `cost2` microseconds with two threads, `cost1` with one; the
 * governor's team at the end. The clock is simulated so that the machine's
 * own load cannot change what the governor sees. */
static double sim_now = 1000.0;
static int run_steps(ax_governor *gv, double seconds, double cost1, double cost2)
{
    const double until = sim_now + seconds;
    while (sim_now < until) {
        ax_governor_tick_at(gv, 1, 10, sim_now);
        sim_now += (ax_threads_team() == 2 ? cost2 : cost1) * 1e-6;
    }
    return ax_threads_team();
}

static void governor_follows_the_faster_team(void)
{
    ax_threads_configure(2, 1);
    ax_governor gv;
    ax_governor_init(&gv);
    CHECK(ax_threads_team() == 2);
    /* a busy core: two threads four times slower than one */
    CHECK(run_steps(&gv, 0.4, 1000, 4000) == 1);
    /* the core frees up and two threads become four times faster than
     * one: one thread is no slower than before, so it is the next probe
     * (two seconds after the last) that finds it */
    CHECK(run_steps(&gv, 3.0, 1000, 250) == 2);
    /* the load comes back: two threads' steps slow down 16x; the governor
     * sees it within its watch window and probes at once */
    CHECK(run_steps(&gv, 0.6, 1000, 4000) == 1);

    /* a fixed setting: the governor leaves the team alone */
    ax_threads_configure(2, 0);
    ax_governor_init(&gv);
    CHECK(run_steps(&gv, 0.4, 1000, 4000) == 2);
    ax_set_num_threads(2);
}

/* auto is the default and plans one thread per available CPU */
static void auto_setting(void)
{
    ax_set_num_threads(0);
    CHECK(ax_get_threads_auto() && ax_get_num_threads() >= 1 && ax_threads_team() == ax_get_num_threads());
    ax_set_num_threads(3);
    CHECK(!ax_get_threads_auto() && ax_get_num_threads() == 3);
    ax_set_num_threads(100000);
    CHECK(ax_get_num_threads() == 256);
    ax_set_num_threads(2);
}

TEST_MAIN(T(team_size_keeps_the_bits), T(governor_follows_the_faster_team), T(auto_setting))
