/* The communicator without MPI: the one-process kind, argument checks,
 * and the in-process sum in rank order (tests/dist/ runs the MPI kind). */
#include "test.h"

static void single_process(void)
{
    ax_comm *c;
    CHECK_OK(ax_comm_single(&c));
    CHECK(ax_comm_rank(c) == 0 && ax_comm_size(c) == 1 && !strcmp(ax_comm_kind(c), "single"));
    float x[3] = {1.5f, -2.0f, 3.25f};
    CHECK_OK(ax_comm_allreduce_sum(c, x, 3));
    CHECK(x[0] == 1.5f && x[1] == -2.0f && x[2] == 3.25f);
    double d = 0.1;
    CHECK_OK(ax_comm_allreduce_sum_f64(c, &d, 1));
    CHECK(d == 0.1);
    char text[8] = "same";
    CHECK_OK(ax_comm_broadcast(c, text, sizeof text, 0));
    CHECK(!strcmp(text, "same"));
    CHECK_OK(ax_comm_barrier(c));
    CHECK_ERR(ax_comm_broadcast(c, text, sizeof text, 1), AX_ERR_INVALID_ARG, "root 1 is not a rank (0..0)");
    CHECK_ERR(ax_comm_allreduce_sum(c, NULL, 4), AX_ERR_INVALID_ARG, "needs data for 4 values");
    CHECK_OK(ax_comm_allreduce_sum(c, NULL, 0));
    ax_comm_free(c);
    if (!ax_comm_mpi_built()) {
        CHECK_ERR(ax_comm_mpi(NULL, NULL, &c), AX_ERR_UNSUPPORTED, "built without MPI");
        CHECK(c == NULL);
    }
}

static void sum_in_rank_order(void)
{
    /* 1e8 + 1 - 1e8 in float: the order decides (1 is lost to the first sum) */
    const float a[2] = {1e8f, 1.0f}, b[2] = {1.0f, 2.0f}, cc[2] = {-1e8f, 3.0f};
    const float *shards[3] = {a, b, cc};
    float out[2];
    ax_sum_in_order(out, shards, 3, 2);
    CHECK(out[0] == (1e8f + 1.0f) - 1e8f && out[1] == 6.0f);
    CHECK(out[0] == 0.0f); /* and not 1, which (1e8 - 1e8) + 1 would give */
    float in_place[2] = {1e8f, 1.0f};
    const float *again[3] = {in_place, b, cc};
    ax_sum_in_order(in_place, again, 3, 2);
    CHECK(in_place[0] == out[0] && in_place[1] == out[1]);
}

TEST_MAIN(T(single_process), T(sum_in_rank_order))
