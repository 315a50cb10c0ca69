/* axon eval MODEL --data DATA [--json]: loss, accuracy and the confusion
 * matrix of a saved model on a data set (built-in sets: their test split). */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon eval MODEL --data DATA [--threads T] [--json]\n"
               "Loss (and, for classifiers, accuracy and the confusion matrix, rows true, columns predicted)\n"
               "of MODEL on DATA; the built-in sets are evaluated on their test split.\n");
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL;
    long threads = 0;
    int json = 0;
    const cli_option opts[] = {
        {"--data", CLI_STRING, &data, 0}, {"--threads", CLI_LONG, &threads, 0}, {"--json", CLI_FLAG, &json, 0}};
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
    ax_status s = cli_run_open(model, data, &run);
    if (s == AX_OK)
        s = ax_evaluate(&run.model, run.data, &mt);
    if (s == AX_OK && run.spec.classifier)
        s = ax_evaluate_confusion(&run.model, run.data, &cm);
    if (s == AX_OK) {
        if (json) {
            printf("{\"samples\": %lld, \"loss\": %.6g", (long long)mt.samples, mt.loss);
            if (cm) {
                printf(", \"accuracy\": %.6g, \"confusion\": [", mt.accuracy);
                for (int r = 0; r < cm->n_classes; r++) {
                    printf(r ? ", [" : "[");
                    for (int c = 0; c < cm->n_classes; c++)
                        printf(c ? ", %lld" : "%lld", (long long)cm->counts[r * cm->n_classes + c]);
                    printf("]");
                }
                printf("]");
            }
            printf("}\n");
        } else {
            printf("%lld samples: loss %.4f", (long long)mt.samples, mt.loss);
            if (cm) {
                double p, r, f;
                ax_confusion_macro(cm, &p, &r, &f);
                printf(", accuracy %.4f, macro precision %.4f, recall %.4f, F1 %.4f\n", mt.accuracy, p, r, f);
                printf("confusion (rows: true class, columns: predicted)\n");
                for (int a = 0; a < cm->n_classes; a++) {
                    for (int b = 0; b < cm->n_classes; b++)
                        printf("%6lld", (long long)cm->counts[a * cm->n_classes + b]);
                    printf("\n");
                }
            } else
                printf("\n");
        }
    } else
        fprintf(stderr, "axon eval: %s\n", ax_last_error());
    ax_confusion_free(cm);
    cli_run_close(&run);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
