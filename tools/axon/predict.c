/* axon predict MODEL --input DATA [--output FILE]: one CSV row per sample,
 * the class and its probabilities (classifiers) or the outputs. */
#include "cli.h"

#include <math.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon predict MODEL --input DATA [--output FILE] [--threads T]\n"
               "Writes CSV (stdout without --output): row,class,p0,p1,... for classifiers (softmax of\n"
               "the outputs), row,y0,y1,... otherwise. DATA in the forms axon train takes; a CSV may\n"
               "hold the features alone (new data without answers). The model's standardization, if\n"
               "it was trained with --standardize, is applied first.\n");
}

int cmd_predict(int argc, char **argv)
{
    const char *model = NULL, *input = NULL, *output = NULL;
    long threads = 0;
    const cli_option opts[] = {
        {"--input", CLI_STRING, &input, 0}, {"--output", CLI_STRING, &output, 0}, {"--threads", CLI_LONG, &threads, 0}};
    int rc = cli_parse("predict", argc, argv, opts, 3, &model, usage);
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
    const ax_spec *spec = &run.spec;
    const ax_dataset *ds = run.data;
    int64_t width = spec->graph ? ax_node_numel(spec->output) / ax_graph_batch(spec->graph) : 0;
    if (s == AX_OK && !(y = ax_alloc((size_t)(ds->n * width) * sizeof(float))))
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK)
        s = ax_predict(&run.model, ds, y);
    if (s == AX_OK && output && !(f = fopen(output, "w")))
        s = ax_fail(AX_ERR_IO, "%s: cannot open for writing", output);
    if (s == AX_OK) {
        fprintf(f, spec->classifier ? "row,class" : "row");
        for (int64_t k = 0; k < width; k++)
            fprintf(f, spec->classifier ? ",p%lld" : ",y%lld", (long long)k);
        fprintf(f, "\n");
        for (int64_t r = 0; r < ds->n; r++) {
            const float *o = y + r * width;
            fprintf(f, "%lld", (long long)r);
            if (spec->classifier) { /* softmax of the logits */
                int64_t best = 0;
                double mx = o[0], z = 0;
                for (int64_t k = 1; k < width; k++)
                    mx = o[k] > mx ? o[k] : mx;
                for (int64_t k = 0; k < width; k++) {
                    z += exp(o[k] - mx);
                    best = o[k] > o[best] ? k : best;
                }
                fprintf(f, ",%lld", (long long)best);
                for (int64_t k = 0; k < width; k++)
                    fprintf(f, ",%.6f", exp(o[k] - mx) / z);
            } else
                for (int64_t k = 0; k < width; k++)
                    fprintf(f, ",%.6g", (double)o[k]);
            fprintf(f, "\n");
        }
    }
    if (f && f != stdout)
        fclose(f);
    if (s != AX_OK)
        fprintf(stderr, "axon predict: %s\n", ax_last_error());
    ax_free(y);
    cli_run_close(&run);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
