/* axon export-c MODEL -o FILE.c: a model as one C99 file and its header
 * (int8 for a file `axon quantize` wrote, float32 for a trained model),
 * and optionally a check file of inputs and the outputs the host computes,
 * for a harness on the target to compare against (tests/mcu/). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon export-c MODEL -o FILE.c [--header FILE.h] [--prefix NAME]\n"
               "                     [--check-data DATA --check-out FILE [--check-samples N]]\n"
               "Writes the model as one C99 file: the weights as const arrays, a static arena, the kernels,\n"
               "and NAME_predict(in, out) (NAME default `model`); an int8 model (from `axon quantize`)\n"
               "uses integers only and no library beyond string.h, a float model float32 and math.h.\n"
               "The header (default FILE with .h) gives the sizes and the input's and output's quantization.\n"
               "--check-out writes the first N samples of DATA (default 1000; the built-in sets: their test\n"
               "split) as the model's inputs with the outputs computed here, and the labels (tests/mcu/).\n");
}

/* The check file: "AXQC", version 1, kind (1 int8, 2 float32), samples,
 * input size, output size (u32 each, little-endian), then per sample the
 * label (i32, -1 when none), the input and the expected output. */
static ax_status write_check(const char *path, int int8, int64_t n, int64_t ni, int64_t no, const int32_t *labels,
                             const void *in, const void *expected)
{
    const size_t elem = int8 ? 1 : 4, rec = 4 + (size_t)(ni + no) * elem;
    const size_t total = 24 + (size_t)n * rec;
    unsigned char *b = ax_alloc(total);
    if (!b)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    const uint32_t head[6] = {0x43515841u /* "AXQC" */, 1, int8 ? 1u : 2u, (uint32_t)n, (uint32_t)ni, (uint32_t)no};
    memcpy(b, head, sizeof head);
    for (int64_t i = 0; i < n; i++) {
        unsigned char *r = b + 24 + (size_t)i * rec;
        memcpy(r, &labels[i], 4);
        memcpy(r + 4, (const char *)in + (size_t)(i * ni) * elem, (size_t)ni * elem);
        memcpy(r + 4 + (size_t)ni * elem, (const char *)expected + (size_t)(i * no) * elem, (size_t)no * elem);
    }
    ax_status s = ax_write_file_atomic(path, b, total);
    ax_free(b);
    return s;
}

/* int8: DATA standardized as the model was trained, quantized, run here. */
static ax_status check_int8(const char *model, const ax_qmodel *q, const char *data, long samples, const char *out)
{
    char *std_json = NULL;
    ax_standardizer *st = NULL;
    ax_dataset *ds = NULL, *head = NULL;
    ax_status s = ax_safetensors_metadata(model, "standardize", &std_json);
    if (s == AX_OK && std_json)
        s = ax_standardizer_from_json(std_json, model, &st);
    if (s == AX_OK)
        s = cli_load_data(data, 1, NULL, &ds);
    if (s == AX_OK && st)
        s = ax_standardizer_apply(st, ds);
    if (s == AX_OK && samples > 0 && samples < ds->n)
        s = ax_dataset_head(ds, samples, &head);
    const ax_dataset *d = head ? head : ds;
    const int64_t ni = ax_qmodel_input_size(q), no = ax_qmodel_output_size(q);
    if (s == AX_OK && d->sample_size != ni)
        s = ax_fail(AX_ERR_SHAPE, "data '%s' has %lld values per sample, the model takes %lld", data,
                    (long long)d->sample_size, (long long)ni);
    float *x = NULL;
    int8_t *xq = NULL, *y = NULL;
    int32_t *labels = NULL;
    if (s == AX_OK) {
        x = ax_alloc((size_t)(d->n * ni) * sizeof *x);
        xq = ax_alloc((size_t)(d->n * ni));
        y = ax_alloc((size_t)(d->n * no));
        labels = ax_alloc((size_t)d->n * sizeof *labels);
        if (!x || !xq || !y || !labels)
            s = ax_fail(AX_ERR_NOMEM, "out of memory");
    }
    ax_batcher *b = NULL;
    if (s == AX_OK)
        s = ax_batcher_new(d, d->n, 0, 0, &b);
    float *t = s == AX_OK ? ax_alloc((size_t)(d->n * (d->n_targets > 0 ? d->n_targets : 1)) * sizeof *t) : NULL;
    if (s == AX_OK && !t)
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK) {
        ax_batcher_start_epoch(b);
        ax_batcher_next(b, x, t);
    }
    for (int64_t i = 0; s == AX_OK && i < d->n; i++) {
        ax_qmodel_quantize_input(q, x + i * ni, xq + i * ni);
        s = ax_qmodel_run(q, xq + i * ni, y + i * no);
        labels[i] = d->labels ? d->labels[i] : -1;
    }
    if (s == AX_OK)
        s = write_check(out, 1, d->n, ni, no, labels, xq, y);
    ax_batcher_free(b);
    ax_free(t);
    ax_free(x);
    ax_free(xq);
    ax_free(y);
    ax_free(labels);
    ax_dataset_free(head);
    ax_dataset_free(ds);
    ax_standardizer_free(st);
    ax_free(std_json);
    return s;
}

/* float: axon's own float graph gives the expected outputs. */
static ax_status check_float(const char *model, const char *data, long samples, const char *out)
{
    cli_run run;
    ax_dataset *head = NULL;
    ax_status s = cli_run_open(model, data, &run);
    if (s == AX_OK && samples > 0 && samples < run.data->n)
        s = ax_dataset_head(run.data, samples, &head);
    const ax_dataset *d = head ? head : run.data;
    float *x = NULL, *y = NULL, *t = NULL;
    int32_t *labels = NULL;
    ax_batcher *b = NULL;
    if (s == AX_OK) {
        x = ax_alloc((size_t)(d->n * d->sample_size) * sizeof *x);
        y = ax_alloc((size_t)(d->n * run.outputs) * sizeof *y);
        t = ax_alloc((size_t)(d->n * (d->n_targets > 0 ? d->n_targets : 1)) * sizeof *t);
        labels = ax_alloc((size_t)d->n * sizeof *labels);
        if (!x || !y || !t || !labels)
            s = ax_fail(AX_ERR_NOMEM, "out of memory");
    }
    if (s == AX_OK)
        s = ax_predict(&run.model, d, y);
    if (s == AX_OK)
        s = ax_batcher_new(d, d->n, 0, 0, &b);
    if (s == AX_OK) {
        ax_batcher_start_epoch(b);
        ax_batcher_next(b, x, t);
        for (int64_t i = 0; i < d->n; i++)
            labels[i] = d->labels ? d->labels[i] : -1;
        s = write_check(out, 0, d->n, d->sample_size, run.outputs, labels, x, y);
    }
    ax_batcher_free(b);
    ax_free(x);
    ax_free(y);
    ax_free(t);
    ax_free(labels);
    ax_dataset_free(head);
    cli_run_close(&run);
    return s;
}

int cmd_export_c(int argc, char **argv)
{
    const char *model = NULL, *c_path = NULL, *h_path = NULL, *prefix = "model", *data = NULL, *check = NULL;
    long samples = 1000;
    const cli_option opts[] = {{"-o", CLI_STRING, &c_path, 0, 0},
                               {"--out", CLI_STRING, &c_path, 0, 0},
                               {"--header", CLI_STRING, &h_path, 0, 0},
                               {"--prefix", CLI_STRING, &prefix, 0, 0},
                               {"--check-data", CLI_STRING, &data, 0, 0},
                               {"--check-out", CLI_STRING, &check, 0, 0},
                               {"--check-samples", CLI_LONG, &samples, 0, 0}};
    int rc = cli_parse("export-c", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &model, usage);
    if (rc >= 0)
        return rc;
    if (!model || !c_path || !!data != !!check) {
        fprintf(stderr, "axon export-c: needs a MODEL and -o FILE.c (and --check-data with --check-out)\n");
        usage(stderr);
        return CLI_USAGE;
    }
    char hbuf[4096];
    if (!h_path) { /* FILE.c -> FILE.h */
        const size_t n = strlen(c_path);
        snprintf(hbuf, sizeof hbuf, "%.*s.h", (int)(n > 2 && !strcmp(c_path + n - 2, ".c") ? n - 2 : n), c_path);
        h_path = hbuf;
    }
    const char *slash = strrchr(h_path, '/'), *header_name = slash ? slash + 1 : h_path;
    char *quantized = NULL;
    ax_qmodel *q = NULL;
    ax_spec spec = {0};
    char *spec_text = NULL;
    ax_standardizer *st = NULL;
    ax_export_report r = {0};
    ax_status s = ax_safetensors_metadata(model, "quantized", &quantized);
    if (s == AX_OK && quantized)
        s = ax_qmodel_load(model, &q);
    else if (s == AX_OK) {
        s = cli_load_model(model, 1, &spec, &spec_text, &st);
        ax_model m = ax_spec_model(&spec);
        if (s == AX_OK)
            s = ax_quant_plan_float(&m, &q);
    }
    if (s == AX_OK)
        s = ax_export_c(q, c_path, h_path, header_name, prefix, &r);
    if (s == AX_OK && check)
        s = quantized ? check_int8(model, q, data, samples, check) : check_float(model, data, samples, check);
    if (s == AX_OK) {
        printf("%s model, %d layers, %lld multiply-adds per inference: flash %lld bytes (weights), RAM %lld bytes "
               "(arena)\n",
               ax_qmodel_is_int8(q) ? "int8" : "float32", ax_qmodel_num_layers(q), (long long)ax_qmodel_macs(q),
               (long long)r.flash_bytes, (long long)r.ram_bytes);
        printf("wrote %s and %s%s%s\n", c_path, h_path, check ? ", check data " : "", check ? check : "");
    }
    ax_free(quantized);
    ax_qmodel_free(q);
    ax_graph_free(spec.graph);
    ax_free(spec_text);
    ax_standardizer_free(st);
    if (s != AX_OK) {
        fprintf(stderr, "axon export-c: %s\n", ax_last_error());
        return CLI_FAILED;
    }
    return CLI_OK;
}
