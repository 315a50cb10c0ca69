/* axon eval MODEL --data DATA [--json]: a saved model's loss on a data set
 * (built-in sets: their test split), with accuracy, precision, recall, F1
 * and the confusion matrix for a classifier, MAE, RMSE and R^2 for a
 * regression. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon eval MODEL --data DATA [--threads T] [--json]\n"
               "The loss of MODEL on DATA (the built-in sets: their test split); for a classifier also the\n"
               "accuracy, macro precision, recall and F1 and the confusion matrix (rows true, columns\n"
               "predicted), for a regression the MAE, RMSE and R^2. --threads: 0 (default) is auto.\n");
}

/* A regression's errors over every target value. */
static ax_status regression(cli_run *r, double *mae, double *rmse, double *r2)
{
    const ax_dataset *ds = r->data;
    float *y = ax_alloc((size_t)(ds->n * r->outputs) * sizeof *y);
    if (!y)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    ax_status s = ax_predict(&r->model, ds, y);
    if (s == AX_OK && r->outputs != ds->n_targets)
        s = ax_fail(AX_ERR_SHAPE, "the model gives %lld values per sample, the data has %lld targets",
                    (long long)r->outputs, (long long)ds->n_targets);
    if (s == AX_OK) {
        double mse;
        ax_regression_metrics(y, ds->targets, ds->n * r->outputs, &mse, mae, r2);
        *rmse = sqrt(mse);
    }
    ax_free(y);
    return s;
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL;
    long threads = 0;
    int json = 0;
    const cli_option opts[] = {{"--data", CLI_STRING, &data, 0, 0},
                               {"--threads", CLI_LONG, &threads, 0, CLI_MAX_THREADS},
                               {"--json", CLI_FLAG, &json, 0, 0}};
    int rc = cli_parse("eval", argc, argv, opts, 3, &model, usage);
    if (rc >= 0)
        return rc;
    if (!model || !data) {
        fprintf(stderr, "axon eval: needs a MODEL and --data DATA\n");
        usage(stderr);
        return CLI_USAGE;
    }
    ax_set_num_threads((int)threads);
    cli_run run;
    ax_metrics mt = {0};
    ax_confusion *cm = NULL;
    double mae = NAN, rmse = NAN, r2 = NAN;
    ax_status s = cli_run_open(model, data, &run);
    if (s == AX_OK)
        s = ax_evaluate(&run.model, run.data, &mt);
    const int steps = s == AX_OK && run.data->step_labels; /* a text model: per-step accuracy, perplexity */
    if (s == AX_OK && run.spec.classifier && !steps)
        s = ax_evaluate_confusion(&run.model, run.data, &cm);
    else if (s == AX_OK && run.data->targets && !steps)
        s = regression(&run, &mae, &rmse, &r2);
    if (s == AX_OK && json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "samples", (double)mt.samples);
        cJSON_AddNumberToObject(o, "loss", mt.loss);
        if (steps) {
            cJSON_AddNumberToObject(o, "accuracy", mt.accuracy);
            cJSON_AddNumberToObject(o, "perplexity", exp(mt.loss));
        }
        if (cm) {
            double p, r, f;
            ax_confusion_macro(cm, &p, &r, &f);
            cJSON_AddNumberToObject(o, "accuracy", mt.accuracy);
            cJSON_AddNumberToObject(o, "precision", p);
            cJSON_AddNumberToObject(o, "recall", r);
            cJSON_AddNumberToObject(o, "f1", f);
            cJSON *rows = cJSON_AddArrayToObject(o, "confusion");
            for (int a = 0; a < cm->n_classes; a++) {
                cJSON *row = cJSON_CreateArray();
                for (int b = 0; b < cm->n_classes; b++)
                    cJSON_AddItemToArray(row, cJSON_CreateNumber((double)cm->counts[a * cm->n_classes + b]));
                cJSON_AddItemToArray(rows, row);
            }
        } else if (!isnan(mae)) {
            cJSON_AddNumberToObject(o, "mae", mae);
            cJSON_AddNumberToObject(o, "rmse", rmse);
            if (isfinite(r2)) /* undefined when every target is the same */
                cJSON_AddNumberToObject(o, "r2", r2);
        }
        char *text = cJSON_PrintUnformatted(o);
        printf("%s\n", text ? text : "");
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (s == AX_OK) {
        printf("%lld samples: loss %.4f", (long long)mt.samples, mt.loss);
        if (steps)
            printf(", accuracy %.4f of %lld next characters, perplexity %.3f\n", mt.accuracy,
                   (long long)(mt.samples * run.data->n_targets), exp(mt.loss));
        else if (cm) {
            double p, r, f;
            ax_confusion_macro(cm, &p, &r, &f);
            printf(", accuracy %.4f, macro precision %.4f, recall %.4f, F1 %.4f\n", mt.accuracy, p, r, f);
            printf("confusion (rows: true class, columns: predicted)\n");
            for (int a = 0; a < cm->n_classes; a++) {
                for (int b = 0; b < cm->n_classes; b++)
                    printf("%6lld", (long long)cm->counts[a * cm->n_classes + b]);
                printf("\n");
            }
        } else if (!isnan(mae))
            printf(", MAE %.6g, RMSE %.6g, R^2 %.6f\n", mae, rmse, r2);
        else
            printf("\n");
    }
    if (s == AX_OK && (fflush(stdout) != 0 || ferror(stdout)))
        s = ax_fail(AX_ERR_IO, "cannot write the results to standard output");
    if (s != AX_OK)
        fprintf(stderr, "axon eval: %s\n", ax_last_error());
    ax_confusion_free(cm);
    cli_run_close(&run);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
