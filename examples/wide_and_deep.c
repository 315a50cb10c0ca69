/* Wide and deep (Cheng et al. 2016; the course's functional-API chapter):
 * a model with two inputs, one path of raw features straight to the
 * output (wide: a linear model's memory of simple relations) and one
 * through hidden layers (deep: the interactions), joined before the last
 * layer. On the Auto MPG table (392 cars: fuel use from weight, power,
 * year, origin, ...), against the deep path alone and the wide (linear)
 * model alone, over five held-out splits; the models are spec text, as
 * `axon train` reads them (examples/specs/wide_and_deep.spec).
 *
 *   wide_and_deep [CARS_CSV]   (default: the cache's vega-datasets/cars.csv,
 *                               which scripts/fetch-vega.sh writes)
 *
 * Exits 1 unless, over the splits, the deep and the wide-and-deep models
 * each explain most of the held-out variance (RMSE under half the
 * target's standard deviation) and beat the linear model's mean RMSE,
 * and wide and deep is no worse than the deep path alone (mean RMSE
 * within 5%). */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define SPLITS 10
#define EPOCHS 40

typedef struct variant {
    const char *name, *fields, *spec;
} variant;

static const variant variants[] = {
    {"wide (linear) alone", "input.wide=weight,horsepower,displacement,year:target.mpg=mpg",
     "input wide 4\ndense out units=1\nloss mse\n"},
    {"deep alone",
     "input.deep=cylinders,displacement,horsepower,weight,acceleration,year,usa,europe,japan:target.mpg=mpg",
     "input deep 9\n"
     "dense h1 units=32 activation=relu\n"
     "dense h2 units=32 activation=relu\n"
     "dense out units=1\n"
     "loss mse\n"},
    {"wide and deep",
     "input.wide=weight,horsepower,displacement,year:"
     "input.deep=cylinders,displacement,horsepower,weight,acceleration,year,usa,europe,japan:target.mpg=mpg",
     "input wide 4\n"
     "input deep 9\n"
     "dense h1 inputs=deep units=32 activation=relu\n"
     "dense h2 units=32 activation=relu\n"
     "concat both inputs=wide,h2\n"
     "dense out units=1\n"
     "loss mpg mse inputs=out\n"},
};
#define VARIANTS ((int)(sizeof variants / sizeof variants[0]))

/* Targets to (t - mean) / sd of the training part's: the network's
 * output starts near the answers' scale. */
static void scale_targets(ax_dataset *ds, double mean, double sd)
{
    for (int64_t i = 0; i < ds->n; i++)
        ds->targets[i] = (float)((ds->targets[i] - mean) / sd);
}

/* Train on one split, features and target standardized by the training
 * part; held-out RMSE in mpg. */
static int held_out_rmse(const variant *v, const ax_dataset *all, uint64_t seed, double *rmse)
{
    ax_dataset *train = NULL, *test = NULL;
    ax_standardizer *st = NULL;
    ax_spec sp = {0};
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    ax_status s = ax_dataset_split(all, 0.2, 0, seed, &train, &test);
    if (s == AX_OK && (s = ax_standardizer_fit(train, &st)) == AX_OK && (s = ax_standardizer_apply(st, train)) == AX_OK)
        s = ax_standardizer_apply(st, test);
    double mean = 0, sq = 0;
    for (int64_t i = 0; s == AX_OK && i < train->n; i++)
        mean += train->targets[i] / (double)train->n, sq += (double)train->targets[i] * train->targets[i] / (double)train->n;
    const double sd = s == AX_OK ? sqrt(sq - mean * mean) : 1;
    if (s == AX_OK) {
        scale_targets(train, mean, sd);
        scale_targets(test, mean, sd);
    }
    if (s == AX_OK)
        s = ax_spec_build(v->spec, v->name, 32, seed, &sp);
    if (s == AX_OK && (s = ax_optim_defaults("adam", &oc)) == AX_OK) {
        oc.lr = 0.01f;
        s = ax_optimizer_new("adam", &oc, &opt);
    }
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, sp.graph);
    ax_model m = ax_spec_model(&sp);
    ax_fit_config c = ax_fit_defaults();
    c.epochs = EPOCHS;
    c.seed = seed;
    c.verbosity = AX_QUIET;
    ax_metrics mt;
    if (s == AX_OK && (s = ax_fit(&m, opt, train, NULL, &c, NULL)) == AX_OK)
        s = ax_evaluate(&m, test, &mt);
    if (s == AX_OK)
        *rmse = sqrt(mt.loss) * sd;
    else
        fprintf(stderr, "wide_and_deep: %s: %s\n", v->name, ax_last_error());
    ax_optimizer_free(opt);
    ax_graph_free(sp.graph);
    ax_standardizer_free(st);
    ax_dataset_free(train);
    ax_dataset_free(test);
    return s == AX_OK;
}

int main(int argc, char **argv)
{
    char path[4096];
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else if (getenv("AXON_DATA"))
        snprintf(path, sizeof path, "%s/vega-datasets/cars.csv", getenv("AXON_DATA"));
    else
        snprintf(path, sizeof path, "%s/.cache/axon/vega-datasets/cars.csv", getenv("HOME") ? getenv("HOME") : "/tmp");
    double rmse[VARIANTS][SPLITS], mean[VARIANTS] = {0}, sd = 0;
    for (int k = 0; k < VARIANTS; k++) {
        ax_dataset *all;
        if (ax_dataset_load_csv(path, &(ax_csv_options){.header = 1, .fields = variants[k].fields}, &all) != AX_OK) {
            fprintf(stderr, "wide_and_deep: %s (scripts/fetch-vega.sh fetches the table)\n", ax_last_error());
            return 1;
        }
        if (k == 0) { /* the target's spread, the scale of the errors */
            double sum = 0, sq = 0;
            for (int64_t i = 0; i < all->n; i++)
                sum += all->targets[i], sq += (double)all->targets[i] * all->targets[i];
            sd = sqrt(sq / (double)all->n - (sum / (double)all->n) * (sum / (double)all->n));
            printf("Auto MPG: %lld cars, mpg's standard deviation %.2f; held-out RMSE (mpg) over %d splits of 20%%, "
                   "%d epochs of Adam:\n", (long long)all->n, sd, SPLITS, EPOCHS);
        }
        for (int r = 0; r < SPLITS; r++)
            if (!held_out_rmse(&variants[k], all, (uint64_t)r + 1, &rmse[k][r]))
                return 1;
        ax_dataset_free(all);
        printf("  %-22s", variants[k].name);
        for (int r = 0; r < SPLITS; r++) {
            printf(" %6.3f", rmse[k][r]);
            mean[k] += rmse[k][r] / SPLITS;
        }
        printf("   mean %.3f\n", mean[k]);
    }
    const int ok = mean[1] < 0.5 * sd && mean[2] < 0.5 * sd && mean[1] < mean[0] && mean[2] < mean[0] &&
                   mean[2] <= 1.05 * mean[1];
    printf("%s\n", ok ? "wide and deep learns the table as well as the deep path alone, and both beat the linear model"
                      : "FAILED: not as expected");
    return ok ? 0 : 1;
}
