/* axon quantize MODEL --calibrate DATA -o OUT: post-training int8
 * quantization (docs/quantization.md), with the float and int8
 * accuracies side by side when --eval DATA is given. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon quantize MODEL --calibrate DATA -o OUT [--samples N] [--percentile P] [--softmax]\n"
               "                     [--eval DATA] [--json] [--threads T]\n"
               "An int8 model (TensorFlow Lite's scheme) from a trained float one: activation ranges measured on\n"
               "the first N samples of DATA (the built-in sets: their training split; default N 1000, 0: all),\n"
               "each the min and max seen or, with --percentile P, the range holding P%% of the values.\n"
               "--softmax adds an int8 softmax after the logits. --eval DATA reports the float and int8\n"
               "accuracy on DATA (the built-in sets: their test split). OUT is a safetensors file that\n"
               "`axon export-c` turns into C.\n");
}

int cmd_quantize(int argc, char **argv)
{
    const char *model = NULL, *calib = NULL, *out = NULL, *eval = NULL;
    long samples = 1000, threads = 0;
    double percentile = 0;
    int softmax = 0, json = 0;
    const cli_option opts[] = {{"--calibrate", CLI_STRING, &calib, 0, 0},
                               {"-o", CLI_STRING, &out, 0, 0},
                               {"--out", CLI_STRING, &out, 0, 0},
                               {"--samples", CLI_LONG, &samples, 0, 0},
                               {"--percentile", CLI_DOUBLE, &percentile, 0, 0},
                               {"--softmax", CLI_FLAG, &softmax, 0, 0},
                               {"--eval", CLI_STRING, &eval, 0, 0},
                               {"--json", CLI_FLAG, &json, 0, 0},
                               {"--threads", CLI_LONG, &threads, 0, CLI_MAX_THREADS}};
    int rc = cli_parse("quantize", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &model, usage);
    if (rc >= 0)
        return rc;
    if (!model || !calib || !out) {
        fprintf(stderr, "axon quantize: needs a MODEL, --calibrate DATA and -o OUT\n");
        usage(stderr);
        return CLI_USAGE;
    }
    if (percentile != 0 && (percentile < 50 || percentile > 100)) {
        fprintf(stderr, "axon quantize: --percentile %g: expected a percentage in 50..100\n", percentile);
        return CLI_USAGE;
    }
    ax_set_num_threads((int)threads);
    cli_run run, test;
    memset(&test, 0, sizeof test);
    ax_qmodel *q = NULL;
    char *std_json = NULL;
    double acc_f = NAN, acc_q = NAN;
    ax_status s = cli_check_writable(out, 1, "the quantized model");
    if (s == AX_OK)
        s = cli_run_open_split(model, calib, 0, &run);
    else
        memset(&run, 0, sizeof run);
    if (s == AX_OK) {
        const ax_quant_options o = {.samples = samples, .percentile = percentile, .softmax = softmax};
        s = ax_quantize(&run.model, run.data, &o, &q);
    }
    if (s == AX_OK && eval) { /* the float model and the int8 one on the same held-out data */
        ax_metrics mt = {0};
        s = cli_run_open(model, eval, &test);
        if (s == AX_OK)
            s = ax_evaluate(&test.model, test.data, &mt);
        if (s == AX_OK && test.data->labels)
            acc_f = mt.accuracy;
        if (s == AX_OK && test.data->labels)
            s = ax_qmodel_evaluate(q, test.data, &acc_q, NULL);
    }
    if (s == AX_OK && run.standardize)
        s = ax_standardizer_to_json(run.standardize, &std_json);
    if (s == AX_OK) {
        const char *keys[4] = {"source"}, *vals[4] = {model};
        char fa[32], qa[32];
        int n = 1;
        if (std_json)
            keys[n] = "standardize", vals[n++] = std_json;
        if (!isnan(acc_q)) {
            snprintf(fa, sizeof fa, "%.6f", acc_f);
            snprintf(qa, sizeof qa, "%.6f", acc_q);
            keys[n] = "float_accuracy", vals[n++] = fa;
            keys[n] = "int8_accuracy", vals[n++] = qa;
        }
        s = ax_qmodel_save(out, q, keys, vals, n);
    }
    if (s == AX_OK && json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "layers", ax_qmodel_num_layers(q));
        cJSON_AddNumberToObject(o, "weight_bytes", (double)ax_qmodel_weight_bytes(q));
        cJSON_AddNumberToObject(o, "arena_bytes", (double)ax_qmodel_arena_bytes(q));
        if (!isnan(acc_q)) {
            cJSON_AddNumberToObject(o, "float_accuracy", acc_f);
            cJSON_AddNumberToObject(o, "int8_accuracy", acc_q);
        }
        char *text = cJSON_PrintUnformatted(o);
        printf("%s\n", text ? text : "");
        cJSON_free(text);
        cJSON_Delete(o);
    } else if (s == AX_OK) {
        cli_print_qmodel(q);
        if (!isnan(acc_q))
            printf("accuracy on %s: float %.4f, int8 %.4f (%+.2f points)\n", eval, acc_f, acc_q,
                   100 * (acc_q - acc_f));
        printf("saved the int8 model to %s\n", out);
    }
    ax_free(std_json);
    ax_qmodel_free(q);
    cli_run_close(&run);
    cli_run_close(&test);
    if (s != AX_OK) {
        fprintf(stderr, "axon quantize: %s\n", ax_last_error());
        return CLI_FAILED;
    }
    return CLI_OK;
}
