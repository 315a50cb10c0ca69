/* The communicator under mpirun (tests/CMakeLists.txt runs it on 1 to 4
 * processes): every rank makes its own values, then checks that
 * ax_comm_allreduce_sum gave, bit for bit, the rank-ordered sum it computes
 * itself from every rank's values (ax_sum_in_order), for a million floats
 * and an odd count, blocking and nonblocking (three requests at once);
 * the doubles' variant; a broadcast. It also counts the elements where
 * MPI's own MPI_SUM differs from that order (printed, not asserted: that
 * is Open MPI's business). Exit 1 on any mismatch. */
#include <axon.h>
#include <mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rank r's values: magnitudes over six decades, both signs, so the order
 * of the additions shows in the last bits */
static void values_of(int rank, float *x, int64_t n)
{
    ax_rng r;
    ax_rng_seed(&r, 1234, (uint64_t)rank + 1);
    for (int64_t i = 0; i < n; i++) {
        const float u = ax_rng_uniform(&r), e = ax_rng_uniform(&r) * 6.0f - 3.0f;
        x[i] = (u < 0.5f ? -1.0f : 1.0f) * powf(10.0f, e);
    }
}

int main(int argc, char **argv)
{
    ax_comm *c;
    if (ax_comm_mpi(&argc, &argv, &c) != AX_OK) {
        fprintf(stderr, "allreduce: %s\n", ax_last_error());
        return 1;
    }
    const int rank = ax_comm_rank(c), size = ax_comm_size(c);
    int bad = 0;
    const int64_t sizes[2] = {1000000, 12347};
    for (int t = 0; t < 2; t++) {
        const int64_t n = sizes[t];
        float *mine = malloc((size_t)n * sizeof *mine), *theirs = malloc((size_t)n * sizeof *theirs);
        float *want = malloc((size_t)n * sizeof *want), *mpi = malloc((size_t)n * sizeof *mpi);
        float **all = malloc((size_t)size * sizeof *all);
        for (int r = 0; r < size; r++) {
            all[r] = malloc((size_t)n * sizeof(float));
            values_of(r, all[r], n);
        }
        ax_sum_in_order(want, (const float *const *)all, size, n);
        values_of(rank, mine, n);
        memcpy(theirs, mine, (size_t)n * sizeof *mine);
        if (ax_comm_allreduce_sum(c, theirs, n) != AX_OK) {
            fprintf(stderr, "rank %d: %s\n", rank, ax_last_error());
            return 1;
        }
        if (memcmp(theirs, want, (size_t)n * sizeof *want)) {
            fprintf(stderr, "rank %d of %d: allreduce of %lld floats differs from the sum in rank order\n", rank, size,
                    (long long)n);
            bad = 1;
        }
        /* the nonblocking sum, in three requests on their way at once */
        memcpy(theirs, mine, (size_t)n * sizeof *mine);
        ax_comm_request *req[3];
        const int64_t cut[4] = {0, n / 5, n / 2, n};
        for (int k = 0; k < 3; k++)
            if (ax_comm_iallreduce_sum(c, theirs + cut[k], cut[k + 1] - cut[k], &req[k]) != AX_OK) {
                fprintf(stderr, "rank %d: %s\n", rank, ax_last_error());
                return 1;
            }
        for (int done = 0, k = 0; !done; k = (k + 1) % 3) /* test until the last is done, then wait for all */
            if (ax_comm_test(c, req[2], &done) != AX_OK) {
                fprintf(stderr, "rank %d: %s\n", rank, ax_last_error());
                return 1;
            }
        for (int k = 0; k < 3; k++)
            if (ax_comm_wait(c, req[k]) != AX_OK) {
                fprintf(stderr, "rank %d: %s\n", rank, ax_last_error());
                return 1;
            }
        if (memcmp(theirs, want, (size_t)n * sizeof *want)) {
            fprintf(stderr, "rank %d of %d: the nonblocking allreduce of %lld floats differs from the sum in rank "
                    "order\n", rank, size, (long long)n);
            bad = 1;
        }
        MPI_Allreduce(mine, mpi, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        int64_t differ = 0;
        for (int64_t i = 0; i < n; i++)
            differ += memcmp(&mpi[i], &want[i], sizeof(float)) != 0;
        if (rank == 0)
            printf("%d processes, %lld floats: axon's allreduce is the rank-ordered sum on every rank; MPI_SUM "
                   "differs from it in %lld values\n",
                   size, (long long)n, (long long)differ);
        for (int r = 0; r < size; r++)
            free(all[r]);
        free(all), free(mine), free(theirs), free(want), free(mpi);
    }
    /* doubles: rank r contributes 1/(r+3) at every place */
    double d[5], dwant = 0;
    for (int r = 0; r < size; r++)
        dwant = r ? dwant + 1.0 / (r + 3) : 1.0 / 3;
    for (int i = 0; i < 5; i++)
        d[i] = 1.0 / (rank + 3);
    if (ax_comm_allreduce_sum_f64(c, d, 5) != AX_OK || memcmp(&d[4], &dwant, sizeof dwant)) {
        fprintf(stderr, "rank %d: the doubles' allreduce is wrong (%.17g, want %.17g)\n", rank, d[4], dwant);
        bad = 1;
    }
    /* broadcast: rank 0's bytes everywhere */
    char text[32];
    snprintf(text, sizeof text, "from rank %d", rank);
    if (ax_comm_broadcast(c, text, sizeof text, 0) != AX_OK || strcmp(text, "from rank 0")) {
        fprintf(stderr, "rank %d: broadcast gave '%s'\n", rank, text);
        bad = 1;
    }
    if (ax_comm_broadcast(c, text, sizeof text, size) == AX_OK || !strstr(ax_last_error(), "is not a rank")) {
        fprintf(stderr, "rank %d: a broadcast from rank %d was not refused\n", rank, size);
        bad = 1;
    }
    int any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s\n", any ? "FAILED" : "all ranks agree");
    ax_comm_free(c);
    return any;
}
