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

/* A model with several heads: each head's loss, and its accuracy and macro
 * F1 (classes) or MAE, RMSE and R^2 (real values), from one prediction
 * pass; printed as text, or added to the JSON object o. */
static ax_status heads_report(cli_run *r, const ax_metrics *total, cJSON *o)
{
    const ax_spec *sp = &r->spec;
    const ax_dataset *ds = r->data;
    ax_metrics hm[AX_MAX_HEADS];
    float *y = ax_alloc((size_t)(ds->n * r->outputs) * sizeof *y);
    int32_t *labels = ax_alloc((size_t)ds->n * sizeof *labels);
    ax_status s = y && labels ? AX_OK : ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK)
        s = ax_evaluate_heads(&r->model, ds, (ax_metrics[1]){0}, hm);
    if (s == AX_OK)
        s = ax_predict(&r->model, ds, y);
    cJSON *heads = o ? cJSON_AddObjectToObject(o, "heads") : NULL;
    if (s == AX_OK && !o)
        printf("%lld samples: loss %.4f (the heads' weighted sum)\n", (long long)total->samples, total->loss);
    int64_t at = 0;
    for (int k = 0; s == AX_OK && k < sp->n_heads; k++) {
        const ax_head *h = &sp->heads[k];
        const ax_data_field *f = ax_dataset_field(ds, 1, ax_node_name(h->target));
        const int64_t w = ax_node_numel(h->output) / ax_graph_batch(sp->graph);
        cJSON *jh = heads ? cJSON_AddObjectToObject(heads, h->name) : NULL;
        if (jh)
            cJSON_AddNumberToObject(jh, "loss", hm[k].loss);
        else
            printf("  head %s: loss %.4f", h->name, hm[k].loss);
        if (f && f->n_classes) {
            ax_confusion *cm = NULL;
            float *scores = ax_alloc((size_t)(ds->n * w) * sizeof *scores);
            s = scores ? ax_confusion_new((int)w, &cm) : ax_fail(AX_ERR_NOMEM, "out of memory");
            for (int64_t i = 0; s == AX_OK && i < ds->n; i++) {
                memcpy(scores + i * w, y + i * r->outputs + at, (size_t)w * sizeof *scores);
                labels[i] = (int32_t)ds->targets[i * ds->n_targets + f->offset];
            }
            if (s == AX_OK)
                s = ax_confusion_add(cm, scores, labels, ds->n);
            if (s == AX_OK) {
                double p, rc, f1;
                ax_confusion_macro(cm, &p, &rc, &f1);
                if (jh) {
                    cJSON_AddNumberToObject(jh, "accuracy", ax_confusion_accuracy(cm));
                    cJSON_AddNumberToObject(jh, "f1", f1);
                } else
                    printf(", accuracy %.4f, macro F1 %.4f", ax_confusion_accuracy(cm), f1);
            }
            ax_confusion_free(cm);
            ax_free(scores);
        } else if (f) { /* real values: the errors over all of the head's values, gathered */
            float *pt = ax_alloc((size_t)(2 * ds->n * w) * sizeof *pt);
            if (!pt)
                s = ax_fail(AX_ERR_NOMEM, "out of memory");
            for (int64_t i = 0; pt && i < ds->n; i++) {
                memcpy(pt + i * w, y + i * r->outputs + at, (size_t)w * sizeof *pt);
                memcpy(pt + (ds->n + i) * w, ds->targets + i * ds->n_targets + f->offset, (size_t)w * sizeof *pt);
            }
            double mse = 0, mae = 0, r2 = NAN;
            if (pt)
                ax_regression_metrics(pt, pt + ds->n * w, ds->n * w, &mse, &mae, &r2);
            ax_free(pt);
            if (s != AX_OK)
                break;
            if (jh) {
                cJSON_AddNumberToObject(jh, "mae", mae);
                cJSON_AddNumberToObject(jh, "rmse", sqrt(mse));
                cJSON_AddNumberToObject(jh, "r2", r2);
            } else
                printf(", MAE %.6g, RMSE %.6g, R^2 %.6f", mae, sqrt(mse), r2);
        }
        if (!jh)
            printf("\n");
        at += w;
    }
    ax_free(y);
    ax_free(labels);
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
    const int heads = s == AX_OK && run.spec.n_heads > 0;
    if (heads) {
        cJSON *o = json ? cJSON_CreateObject() : NULL;
        if (o) {
            cJSON_AddNumberToObject(o, "samples", (double)mt.samples);
            cJSON_AddNumberToObject(o, "loss", mt.loss);
        }
        s = heads_report(&run, &mt, o);
        char *text = o && s == AX_OK ? cJSON_PrintUnformatted(o) : NULL;
        if (text)
            printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (s == AX_OK && run.spec.classifier && !steps)
        s = ax_evaluate_confusion(&run.model, run.data, &cm);
    else if (s == AX_OK && run.data->targets && !steps)
        s = regression(&run, &mae, &rmse, &r2);
    if (s == AX_OK && heads)
        ; /* reported above */
    else if (s == AX_OK && json) {
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
