/* Data-parallel fit under mpirun (tests/CMakeLists.txt: 1 to 4 processes).
 * Each rank trains two models over MPI (a CNN with batch norm and both
 * kinds of dropout, and an MLP), with small buckets so that gradients go
 * out while backward runs, then trains the same models alone with
 * ax_fit_config.shards = the rank count, and checks that the two give the
 * same parameter and buffer bits and the same history; that gradient
 * buckets were sent during backward; that a rank whose loss turns NaN
 * ends fit on every rank with an error naming it (no rank left waiting);
 * and that a losses-summed model is refused. Prints "all ranks agree". */
#include <axon.h>
#include <mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *cnn_spec = "input image 1 8 8\n"
                              "conv2d c1 filters=6 kernel=3 activation=relu\n"
                              "batchnorm bn\n"
                              "spatial_dropout sd rate=0.2\n"
                              "maxpool p size=2\n"
                              "dense h units=24 activation=relu\n"
                              "dropout d rate=0.3\n"
                              "dense out units=5\n"
                              "loss softmax_cross_entropy\n";
static const char *mlp_spec = "input x 64\n"
                              "dense h1 units=48 activation=tanh\n"
                              "dense h2 units=32 activation=relu\n"
                              "dense out units=5\n"
                              "loss softmax_cross_entropy\n";
/* no ReLU, which would turn the NaN inputs into zeros */
static const char *tanh_spec = "input x 64\n"
                               "dense h units=16 activation=tanh\n"
                               "dense out units=5\n"
                               "loss softmax_cross_entropy\n";
static const char *summed_spec = "input x 64\n"
                                 "dense out units=5\n"
                                 "loss sse\n";

static int rank, size, bad;

static void fail(const char *what)
{
    fprintf(stderr, "rank %d of %d: FAILED: %s\n", rank, size, what);
    bad = 1;
}

typedef struct result {
    float *params, *buffers;
    int64_t n_params, n_buffers;
    ax_epoch_log hist[3];
    ax_parallel_stats stats;
    ax_status status;
    char error[512];
} result;

/* Train spec on ds (held out: test) for 3 epochs of batches of 20; comm or
 * shards as given. poison: this rank's data are NaN. */
static void train(const char *spec_text, const ax_dataset *ds, const ax_dataset *test, ax_comm *comm, int shards,
                  result *r)
{
    memset(r, 0, sizeof *r);
    ax_spec spec;
    if (ax_spec_build(spec_text, "test", 20, 7, &spec) != AX_OK) {
        fail(ax_last_error());
        r->status = AX_ERR_INVALID_ARG;
        return;
    }
    ax_model m = ax_spec_model(&spec);
    ax_optim_config oc;
    ax_optimizer *opt = NULL;
    ax_optim_defaults("adam", &oc);
    oc.lr = 0.01f;
    r->status = ax_optimizer_new("adam", &oc, &opt);
    if (r->status == AX_OK)
        r->status = ax_optimizer_add_graph(opt, spec.graph);
    ax_fit_config c = ax_fit_defaults();
    c.epochs = 3;
    c.seed = 11;
    c.verbosity = AX_QUIET;
    c.comm = comm;
    c.shards = shards;
    c.bucket_bytes = 1024; /* several buckets even for these small models */
    c.parallel_stats = &r->stats;
    if (r->status == AX_OK)
        r->status = ax_fit(&m, opt, ds, test, &c, r->hist);
    if (r->status != AX_OK)
        snprintf(r->error, sizeof r->error, "%s", ax_last_error());
    const ax_span p = ax_graph_param_span(spec.graph), b = ax_graph_buffer_span(spec.graph);
    r->n_params = p.n, r->n_buffers = b.n;
    r->params = malloc((size_t)(p.n + 1) * sizeof(float));
    r->buffers = malloc((size_t)(b.n + 1) * sizeof(float));
    memcpy(r->params, p.data, (size_t)p.n * sizeof(float));
    if (b.n)
        memcpy(r->buffers, b.data, (size_t)b.n * sizeof(float));
    ax_optimizer_free(opt);
    ax_graph_free(spec.graph);
}

static void release(result *r)
{
    free(r->params);
    free(r->buffers);
}

static void same_run(const char *name, const char *spec, const ax_dataset *ds, const ax_dataset *test,
                     ax_comm *comm)
{
    result mpi, alone;
    train(spec, ds, test, comm, 0, &mpi);
    train(spec, ds, test, NULL, size, &alone);
    char what[1400];
    if (mpi.status != AX_OK || alone.status != AX_OK) {
        snprintf(what, sizeof what, "%s: fit failed: %s%s", name, mpi.error, alone.error);
        fail(what);
    } else {
        if (mpi.n_params != alone.n_params || memcmp(mpi.params, alone.params, (size_t)mpi.n_params * 4) ||
            memcmp(mpi.buffers, alone.buffers, (size_t)mpi.n_buffers * 4)) {
            snprintf(what, sizeof what, "%s: %d processes and %d shards in one process trained different bits", name,
                     size, size);
            fail(what);
        }
        for (int e = 0; e < 3; e++)
            if (memcmp(&mpi.hist[e].train, &alone.hist[e].train, sizeof mpi.hist[e].train) ||
                memcmp(&mpi.hist[e].test, &alone.hist[e].test, sizeof mpi.hist[e].test)) {
                snprintf(what, sizeof what, "%s: epoch %d's metrics differ (loss %.9g vs %.9g)", name, e + 1,
                         mpi.hist[e].train.loss, alone.hist[e].train.loss);
                fail(what);
            }
        /* the gradient buckets went out while backward ran */
        if (size > 1 && (mpi.stats.buckets < 2 || mpi.stats.started_in_backward < mpi.stats.steps)) {
            snprintf(what, sizeof what, "%s: %d buckets a step, %lld of them started during backward in %lld steps",
                     name, mpi.stats.buckets, (long long)mpi.stats.started_in_backward, (long long)mpi.stats.steps);
            fail(what);
        }
        if (mpi.stats.shards != size || mpi.stats.ranks != size || alone.stats.shards != size ||
            alone.stats.ranks != 1)
            fail("the statistics name the wrong shards or ranks");
        if (rank == 0)
            printf("%s, %d processes: the same bits as %d shards in one process; loss %.6f, accuracy %.4f; %d buckets "
                   "a step, %lld started and %lld finished during backward in %lld steps; backward %.3f s, waiting "
                   "%.3f s after it\n",
                   name, size, size, mpi.hist[2].train.loss, mpi.hist[2].test.accuracy, mpi.stats.buckets,
                   (long long)mpi.stats.started_in_backward, (long long)mpi.stats.done_in_backward,
                   (long long)mpi.stats.steps, mpi.stats.backward_seconds, mpi.stats.wait_seconds);
    }
    release(&mpi);
    release(&alone);
}

int main(int argc, char **argv)
{
    ax_comm *c;
    if (ax_comm_mpi(&argc, &argv, &c) != AX_OK) {
        fprintf(stderr, "fit: %s\n", ax_last_error());
        return 1;
    }
    rank = ax_comm_rank(c), size = ax_comm_size(c);
    ax_set_num_threads(1);
    ax_dataset *ds, *test, *images, *images_test;
    /* 230 samples: batches of 20 and a last one of 10, which 4 shards split 3, 3, 2, 2 */
    if (ax_dataset_synthetic(230, 5, 64, 1, &ds) != AX_OK || ax_dataset_synthetic(70, 5, 64, 2, &test) != AX_OK ||
        ax_dataset_synthetic(230, 5, 64, 3, &images) != AX_OK ||
        ax_dataset_synthetic(70, 5, 64, 4, &images_test) != AX_OK) {
        fprintf(stderr, "fit: %s\n", ax_last_error());
        return 1;
    }
    same_run("CNN with batch norm and dropout", cnn_spec, images, images_test, c);
    same_run("MLP", mlp_spec, ds, test, c);

    /* the last rank's data turn NaN: every rank stops, naming it */
    if (size > 1) {
        ax_dataset *poisoned;
        ax_dataset_head(ds, ds->n, &poisoned);
        if (rank == size - 1)
            for (int64_t i = 0; i < poisoned->n * poisoned->sample_size; i++)
                poisoned->xf[i] = NAN;
        result r;
        train(tanh_spec, poisoned, NULL, c, 0, &r);
        char want[64];
        snprintf(want, sizeof want, "rank %d of %d failed", size - 1, size);
        if (r.status == AX_OK)
            fail("a rank's NaN loss did not stop fit");
        else if (rank == size - 1 ? !strstr(r.error, "loss became NaN") : !strstr(r.error, want)) {
            char what[700];
            snprintf(what, sizeof what, "a NaN loss on rank %d: the message is '%s'", size - 1, r.error);
            fail(what);
        } else if (rank == 0)
            printf("a NaN loss on rank %d: rank 0 says '%s'\n", size - 1, r.error);
        release(&r);
        ax_dataset_free(poisoned);
    }
    /* a summed loss would need other weights for the shards: refused */
    result r;
    ax_dataset *real;
    ax_dataset_head(ds, ds->n, &real);
    ax_dataset_one_hot(real); /* sse reads real targets */
    train(summed_spec, real, NULL, NULL, 2, &r);
    ax_dataset_free(real);
    if (r.status != AX_ERR_UNSUPPORTED || !strstr(r.error, "averaged over the batch"))
        fail("a loss summed over the batch was not refused");
    release(&r);

    int any = 0;
    MPI_Allreduce(&bad, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
        printf("%s\n", any ? "FAILED" : "all ranks agree");
    ax_dataset_free(ds), ax_dataset_free(test), ax_dataset_free(images), ax_dataset_free(images_test);
    ax_comm_free(c);
    return any;
}
