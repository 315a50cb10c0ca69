/* axon predict MODEL --input DATA [--output FILE] [--raw]: one CSV row per
 * sample, the class and its probabilities (classifiers) or the outputs. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon predict MODEL --input DATA [--output FILE] [--raw] [--threads T]\n"
               "Writes CSV (to standard output without --output): row,class,p0,p1,... for a classifier\n"
               "(the softmax of its outputs; with --raw the outputs themselves, z0,z1,...: logits),\n"
               "row,y0,y1,... for a regression; a model with several heads writes a group of columns\n"
               "for each (main.class,main.p0,...,aux.y0,...). Values have full float precision (9 digits). DATA in\n"
               "the forms axon train takes; a CSV may hold the features alone (new data without\n"
               "answers) or still carry its answer columns, which are ignored. The model's\n"
               "standardization, if it was trained with --standardize, is applied first.\n");
}

/* A group of columns: one head's outputs (prefix "main." with several). */
typedef struct group {
    const char *prefix;
    int64_t width;
    int classifier;
} group;

static void write_cells(FILE *f, const float *o, int64_t width, int classifier, int raw)
{
    if (classifier) { /* softmax of the logits, from the largest for stability */
        int64_t best = 0;
        double z = 0;
        for (int64_t k = 1; k < width; k++)
            best = o[k] > o[best] ? k : best;
        for (int64_t k = 0; k < width; k++)
            z += exp((double)o[k] - o[best]);
        fprintf(f, ",%lld", (long long)best);
        for (int64_t k = 0; k < width; k++)
            fprintf(f, ",%.9g", raw ? (double)o[k] : exp((double)o[k] - o[best]) / z);
    } else
        for (int64_t k = 0; k < width; k++)
            fprintf(f, ",%.9g", (double)o[k]);
}

/* The CSV: a row per sample, a group of columns per head; returns nonzero
 * on a write error. */
static int write_rows(FILE *f, const float *y, int64_t rows, const group *g, int n, int raw)
{
    int64_t width = 0;
    fprintf(f, "row");
    for (int h = 0; h < n; h++) {
        const char *p = g[h].prefix, *dot = *p ? "." : "";
        if (g[h].classifier)
            fprintf(f, ",%s%sclass", p, dot);
        for (int64_t k = 0; k < g[h].width; k++)
            fprintf(f, ",%s%s%s%lld", p, dot, !g[h].classifier ? "y" : raw ? "z" : "p", (long long)k);
        width += g[h].width;
    }
    fprintf(f, "\n");
    for (int64_t r = 0; r < rows && !ferror(f); r++) {
        const float *o = y + r * width;
        fprintf(f, "%lld", (long long)r);
        for (int h = 0; h < n; o += g[h].width, h++)
            write_cells(f, o, g[h].width, g[h].classifier, raw);
        fprintf(f, "\n");
    }
    return fflush(f) != 0 || ferror(f);
}

int cmd_predict(int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *output = NULL;
    long threads = 0;
    int raw = 0;
    const cli_option opts[] = {{"--input", CLI_STRING, &input, 0, 0},
                               {"--output", CLI_STRING, &output, 0, 0},
                               {"--threads", CLI_LONG, &threads, 0, CLI_MAX_THREADS},
                               {"--raw", CLI_FLAG, &raw, 0, 0}};
    int rc = cli_parse("predict", argc, argv, opts, 4, &model, usage);
    if (rc >= 0)
        return rc;
    if (!model || !input) {
        fprintf(stderr, "axon predict: needs a MODEL and --input DATA\n");
        usage(stderr);
        return CLI_USAGE;
    }
    ax_set_num_threads((int)threads);
    cli_run run;
    float *y = NULL;
    FILE *f = stdout;
    ax_status s = cli_run_open(model, input, &run);
    const ax_dataset *ds = run.data;
    if (s == AX_OK && ds->step_labels)
        s = ax_fail(AX_ERR_INVALID_ARG, "%s is a text model: `axon generate` samples from it, `axon eval` scores it", model);
    if (s == AX_OK && !(y = ax_alloc((size_t)(ds->n * run.outputs) * sizeof(float))))
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK)
        s = ax_predict(&run.model, ds, y);
    if (s == AX_OK && output && !(f = fopen(output, "w")))
        s = ax_fail(AX_ERR_IO, "%s: cannot open for writing: %s", output, strerror(errno));
    group groups[AX_MAX_HEADS] = {{"", run.outputs, run.spec.classifier}};
    const ax_spec *sp = &run.spec;
    for (int k = 0; s == AX_OK && k < sp->n_heads; k++)
        groups[k] = (group){sp->heads[k].name, ax_node_numel(sp->heads[k].output) / ax_graph_batch(sp->graph),
                            sp->heads[k].classifier};
    if (s == AX_OK && write_rows(f, y, ds->n, groups, sp->n_heads ? sp->n_heads : 1, raw))
        s = ax_fail(AX_ERR_IO, "%s: write error: %s", output ? output : "standard output", strerror(errno));
    if (f && f != stdout && fclose(f) != 0 && s == AX_OK)
        s = ax_fail(AX_ERR_IO, "%s: write error: %s", output, strerror(errno));
    if (s == AX_OK) /* on stderr: stdout may be the predictions themselves */
        fprintf(stderr, "axon predict: %lld rows of %s to %s\n", (long long)ds->n,
                !run.spec.classifier ? "outputs" : raw ? "classes and raw outputs" : "classes and probabilities",
                output ? output : "standard output");
    else
        fprintf(stderr, "axon predict: %s\n", ax_last_error());
    ax_free(y);
    cli_run_close(&run);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
