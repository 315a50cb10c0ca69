/* Data arguments, model files and option parsing shared by the commands. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *cli_read_file(const char *path)
{
    char *text = NULL;
    size_t len;
    return ax_read_file(path, (size_t)1 << 24, &text, &len) == AX_OK ? text : NULL;
}

ax_status cli_load_data(const char *spec, int test, cli_text *text, ax_dataset **out)
{
    if (!strncmp(spec, "text:", 5)) {
        if (!text || text->window < 2)
            return ax_fail(AX_ERR_INVALID_ARG, "data '%s': text needs a model whose input is a window of characters "
                           "([T] codes, T >= 2; docs/model-spec.md)", spec);
        ax_status s = ax_dataset_text(spec + 5, text->window, text->have_vocab ? &text->vocab : NULL, &text->vocab, out);
        text->have_vocab |= s == AX_OK;
        return s;
    }
    if (!strcmp(spec, "fashion-mnist"))
        return ax_dataset_fashion_mnist(NULL, !test, out);
    if (!strcmp(spec, "mnist"))
        return ax_dataset_mnist(NULL, !test, out);
    if (!strcmp(spec, "synthetic"))
        return ax_dataset_synthetic(test ? 500 : 2000, 3, 8, test ? 2 : 1, out);
    if (!strncmp(spec, "idx:", 4)) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", spec + 4);
        char *comma = strchr(buf, ',');
        if (!comma)
            return ax_fail(AX_ERR_INVALID_ARG, "data '%s': expected idx:IMAGES,LABELS", spec);
        *comma = '\0';
        return ax_dataset_load_idx(buf, comma + 1, 0, out);
    }
    if (!strncmp(spec, "csv:", 4)) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", spec + 4);
        ax_csv_options o = {.header = -1};
        /* named parts (input.NAME=..., label.NAME=..., target.NAME=...) run to the end */
        char *parts = NULL;
        static const char *const roles[3] = {":input.", ":label.", ":target."};
        for (int k = 0; k < 3; k++) {
            char *at = strstr(buf, roles[k]);
            parts = at && (!parts || at < parts) ? at : parts;
        }
        if (parts) {
            *parts = '\0';
            o.fields = parts + 1;
        }
        char *opt = strstr(buf, ":label=");
        if (!opt)
            opt = strstr(buf, ":targets=");
        if (opt) {
            *opt = '\0';
            if (opt[1] == 'l')
                o.label = opt + 7;
            else
                o.targets = opt + 9;
        }
        return ax_dataset_load_csv(buf, &o, out);
    }
    if (!strncmp(spec, "images:", 7))
        return ax_dataset_load_images(spec + 7, NULL, out);
    return ax_fail(AX_ERR_INVALID_ARG,
                   "data '%s': expected fashion-mnist, mnist, synthetic, idx:IMAGES,LABELS, csv:FILE[:label=COL], "
                   "csv:FILE:input.NAME=COLS[:label.NAME=COL|:target.NAME=COLS...], images:DIR or text:FILE",
                   spec);
}

int cli_is_onnx(const char *path)
{
    const size_t n = strlen(path);
    return n > 5 && !strcmp(path + n - 5, ".onnx");
}

ax_status cli_load_model(const char *path, int64_t batch, ax_spec *out, char **spec_text,
                         ax_standardizer **standardize)
{
    *spec_text = NULL;
    if (standardize)
        *standardize = NULL;
    if (cli_is_onnx(path)) { /* a model from another framework: its graph and weights, no spec, no loss */
        ax_model m;
        memset(out, 0, sizeof *out);
        ax_status s = ax_onnx_import(path, batch, &m);
        if (s == AX_OK && (s = ax_graph_compile(m.graph)) != AX_OK)
            ax_graph_free(m.graph);
        if (s == AX_OK)
            *out = (ax_spec){.graph = m.graph, .input = m.input, .output = m.output};
        return s;
    }
    char *stats = NULL;
    ax_status s = ax_safetensors_metadata(path, "spec", spec_text);
    if (s == AX_OK && standardize) {
        *standardize = NULL;
        if ((s = ax_safetensors_metadata(path, "standardize", &stats)) == AX_OK && stats)
            s = ax_standardizer_from_json(stats, path, standardize);
        ax_free(stats);
    }
    char *graph = NULL;
    if (s == AX_OK && !*spec_text && (s = ax_safetensors_metadata(path, "graph", &graph)) == AX_OK && !graph)
        s = ax_fail(AX_ERR_FORMAT, "%s: no model spec or graph in the file's metadata (is it an axon model?)", path);
    ax_free(graph);
    if (s == AX_OK && !*spec_text) { /* a graph built in C */
        ax_model m;
        memset(out, 0, sizeof *out);
        if ((s = ax_load_model(path, batch, &m)) == AX_OK) {
            *out = (ax_spec){.graph = m.graph, .input = m.input, .target = m.target, .output = m.output, .loss = m.loss,
                             .n_inputs = m.n_inputs, .n_heads = m.n_heads};
            memcpy(out->inputs, m.inputs, sizeof m.inputs);
            memcpy(out->heads, m.heads, sizeof m.heads);
            const char *loss = m.loss ? ax_node_op(m.loss) : "";
            out->classifier = !strcmp(loss, "softmax_cross_entropy") || !strcmp(loss, "categorical_cross_entropy");
            if (!m.input || !m.output)
                s = ax_fail(AX_ERR_FORMAT, "%s: the graph names no input or no output node", path);
        }
    } else if (s == AX_OK)
        s = ax_spec_build(*spec_text, path, batch, 1, out);
    if (s == AX_OK && *spec_text)
        s = ax_load_safetensors(path, out->graph, 1, NULL);
    char *frozen = NULL;
    if (s == AX_OK && (s = ax_safetensors_metadata(path, "frozen", &frozen)) == AX_OK && frozen)
        for (char *name = strtok(frozen, ","); s == AX_OK && name; name = strtok(NULL, ","))
            s = ax_graph_freeze(out->graph, name, 1, NULL);
    ax_free(frozen);
    if (s != AX_OK && out->graph) {
        ax_graph_free(out->graph);
        out->graph = NULL;
    }
    if (s != AX_OK && standardize) {
        ax_standardizer_free(*standardize);
        *standardize = NULL;
    }
    return s;
}

/* A CSV given without :label= or :targets=, read by what the model takes:
 * F features alone, or followed by its answer (a class column, or the T
 * regression targets). */
static ax_status load_model_csv(const char *file, const ax_spec *model, int64_t outputs, ax_dataset **out)
{
    if (model->n_inputs || model->n_heads)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: the model has %d inputs and %d heads: name the columns of each, "
                       "csv:FILE:input.NAME=COLS[:label.NAME=COL|:target.NAME=COLS...] (docs/data.md)", file,
                       model->n_inputs ? model->n_inputs : 1, model->n_heads ? model->n_heads : 1);
    const int64_t features = ax_node_numel(model->input) / ax_graph_batch(model->graph);
    const int64_t answer = model->classifier ? 1 : outputs;
    ax_status s = ax_dataset_load_csv(file, &(ax_csv_options){.header = -1, .features_only = 1}, out);
    if (s != AX_OK || (*out)->sample_size == features)
        return s;
    const int64_t columns = (*out)->sample_size;
    ax_dataset_free(*out);
    *out = NULL;
    if (columns != features + answer)
        return ax_fail(AX_ERR_SHAPE,
                       "%s: %lld columns; the model takes %lld features, followed by nothing (data to predict on) "
                       "or by its answer (%lld %s)",
                       file, (long long)columns, (long long)features, (long long)answer,
                       model->classifier ? "class column" : answer == 1 ? "target column" : "target columns");
    char list[4096];
    int len = 0;
    for (int64_t c = features; c < columns && len < (int)sizeof list - 24; c++)
        len += snprintf(list + len, sizeof list - (size_t)len, c > features ? ",%lld" : "%lld", (long long)c);
    ax_csv_options o = {.header = -1};
    if (model->classifier) {
        o.label = list;
        o.n_classes = (int)outputs;
    } else
        o.targets = list;
    return ax_dataset_load_csv(file, &o, out);
}

static ax_status load_model_data(const char *spec, const ax_spec *model, int64_t outputs,
                                 const ax_standardizer *standardize, cli_text *text, int test, ax_dataset **out)
{
    ax_status s;
    *out = NULL;
    if (!strncmp(spec, "csv:", 4) && !strstr(spec, ":label=") && !strstr(spec, ":targets=") && !strstr(spec, ":input."))
        s = load_model_csv(spec + 4, model, outputs, out);
    else
        s = cli_load_data(spec, test, text, out);
    /* the classes are the model's: a test file may hold only some of them */
    for (int k = 0; s == AX_OK && k < model->n_heads; k++) {
        const ax_head *h = &model->heads[k];
        ax_data_field *f = (ax_data_field *)ax_dataset_field(*out, 1, ax_node_name(h->target));
        const int64_t classes = ax_node_numel(h->output) / ax_graph_batch(model->graph);
        if (!f || !f->n_classes || !h->classifier)
            continue;
        if (f->n_classes > classes)
            s = ax_fail(AX_ERR_SHAPE, "data '%s': head '%s': labels go up to %d; the model has %lld classes", spec,
                        h->name, f->n_classes - 1, (long long)classes);
        else
            f->n_classes = (int)classes;
    }
    if (s == AX_OK && model->classifier && (*out)->labels) {
        if ((*out)->n_classes > outputs)
            s = ax_fail(AX_ERR_SHAPE, "data '%s': labels go up to %d; the model has %lld classes (0..%lld)", spec,
                        (*out)->n_classes - 1, (long long)outputs, (long long)outputs - 1);
        else
            (*out)->n_classes = (int)outputs;
    }
    if (s == AX_OK && standardize)
        s = ax_standardizer_apply(standardize, *out);
    if (s != AX_OK) {
        ax_dataset_free(*out);
        *out = NULL;
    }
    return s;
}

ax_status cli_run_open(const char *model_path, const char *data, cli_run *out)
{
    return cli_run_open_split(model_path, data, 1, out);
}

ax_status cli_run_open_split(const char *model_path, const char *data, int test, cli_run *out)
{
    memset(out, 0, sizeof *out);
    ax_status s = cli_load_model(model_path, 256, &out->spec, &out->spec_text, &out->standardize);
    if (s == AX_OK) { /* eval and predict run forward only: buffers shared by liveness */
        ax_node *keep[2 + 2 * AX_MAX_HEADS] = {out->spec.output, out->spec.loss};
        int n_keep = 2;
        for (int k = 0; k < out->spec.n_heads; k++)
            keep[n_keep++] = out->spec.heads[k].output, keep[n_keep++] = out->spec.heads[k].loss;
        s = ax_graph_compile_inference(out->spec.graph, keep, n_keep);
    }
    if (s == AX_OK) {
        out->outputs = 0; /* every head's */
        for (int k = 0; k < (out->spec.n_heads ? out->spec.n_heads : 1); k++)
            out->outputs += ax_node_numel(out->spec.n_heads ? out->spec.heads[k].output : out->spec.output) /
                            ax_graph_batch(out->spec.graph);
        cli_text text = {.window = ax_node_numel(out->spec.input) / ax_graph_batch(out->spec.graph)};
        if (!strncmp(data, "text:", 5) && (s = cli_model_vocab(model_path, &text.vocab)) == AX_OK)
            text.have_vocab = 1;
        if (s == AX_OK)
            s = load_model_data(data, &out->spec, out->outputs, out->standardize, &text, test, &out->data);
    }
    const ax_spec *sp = &out->spec;
    out->model = ax_spec_model(sp);
    return s;
}

void cli_run_close(cli_run *r)
{
    ax_dataset_free(r->data);
    ax_graph_free(r->spec.graph);
    ax_standardizer_free(r->standardize);
    ax_free(r->spec_text);
    memset(r, 0, sizeof *r);
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_option *opts, int n, const char **positional,
              void (*usage)(FILE *))
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        }
        const cli_option *o = NULL;
        for (int k = 0; k < n && !o; k++)
            o = !strcmp(argv[i], opts[k].name) ? &opts[k] : NULL;
        if (!o && argv[i][0] != '-' && positional && !*positional) {
            *positional = argv[i];
            continue;
        }
        if (!o) {
            fprintf(stderr, argv[i][0] == '-' ? "axon %s: unknown option '%s'\n" : "axon %s: unexpected argument '%s'\n",
                    cmd, argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
        if (o->kind == CLI_FLAG) {
            *(int *)o->value = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "axon %s: %s needs a value\n", cmd, o->name);
            return CLI_USAGE;
        }
        const char *text = argv[++i];
        char *end;
        errno = 0;
        if (o->kind == CLI_STRING)
            *(const char **)o->value = text;
        else if (o->kind == CLI_LONG) {
            long v = strtol(text, &end, 10);
            if (errno || *end || end == text || v < o->min || (o->max && v > o->max)) {
                if (o->max)
                    fprintf(stderr, "axon %s: %s expects a whole number from %ld to %ld, got '%s'\n", cmd, o->name,
                            o->min, o->max, text);
                else
                    fprintf(stderr, "axon %s: %s expects a whole number >= %ld, got '%s'\n", cmd, o->name, o->min,
                            text);
                return CLI_USAGE;
            }
            *(long *)o->value = v;
        } else {
            double v = strtod(text, &end);
            if (*end || end == text || !(v >= 0)) {
                fprintf(stderr, "axon %s: %s expects a number >= 0, got '%s'\n", cmd, o->name, text);
                return CLI_USAGE;
            }
            *(double *)o->value = v;
        }
    }
    return -1;
}

ax_status cli_check_writable(const char *path, int may_replace, const char *what)
{
    if (!may_replace && access(path, F_OK) == 0)
        return ax_fail(AX_ERR_IO, "%s %s exists already: give --force to replace it, or another path", what, path);
    /* a file beside it, as the atomic save will make */
    char probe[4200];
    snprintf(probe, sizeof probe, "%s.probe.%ld", path, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return ax_fail(AX_ERR_IO, "%s %s cannot be written: %s", what, path, strerror(errno));
    close(fd);
    unlink(probe);
    return AX_OK;
}

ax_status cli_model_vocab(const char *path, ax_vocab *out)
{
    char *json = NULL;
    ax_status s = ax_safetensors_metadata(path, "vocab", &json);
    if (s == AX_OK && !json)
        s = ax_fail(AX_ERR_FORMAT, "%s: the model has no vocabulary (it was not trained on text:FILE data)", path);
    if (s == AX_OK)
        s = ax_vocab_from_json(json, path, out);
    ax_free(json);
    return s;
}

ax_status cli_save_model(const char *path, const ax_model *m, const char *spec_text, const char *standardize_json,
                         const char *frozen, const char *vocab_json)
{
    const char *keys[4] = {"spec"}, *vals[4] = {spec_text};
    int n = 1;
    if (vocab_json)
        keys[n] = "vocab", vals[n++] = vocab_json;
    if (standardize_json)
        keys[n] = "standardize", vals[n++] = standardize_json;
    if (frozen)
        keys[n] = "frozen", vals[n++] = frozen;
    return ax_save_model(path, m, keys, vals, n);
}

void cli_print_qmodel(const ax_qmodel *q)
{
    printf("%-12s %-28s %-16s %12s %5s\n", "layer", "name", "output", "scale", "zp");
    for (int i = 0; i < ax_qmodel_num_layers(q); i++) {
        ax_shape sh;
        float scale;
        int32_t zp;
        char buf[64];
        int at = snprintf(buf, sizeof buf, "[");
        ax_qmodel_layer_output(q, i, &sh, &scale, &zp);
        for (int d = 0; d < sh.ndim && at < (int)sizeof buf; d++)
            at += snprintf(buf + at, sizeof buf - (size_t)at, d ? ", %lld" : "%lld", (long long)sh.dim[d]);
        if (at < (int)sizeof buf)
            snprintf(buf + at, sizeof buf - (size_t)at, "]");
        printf("%-12s %-28s %-16s %12.6g %5ld\n", ax_qmodel_layer_kind(q, i), ax_qmodel_layer_name(q, i), buf,
               (double)scale, (long)zp);
    }
    printf("weights %lld bytes, arena %lld bytes, %lld multiply-adds per inference\n",
           (long long)ax_qmodel_weight_bytes(q), (long long)ax_qmodel_arena_bytes(q), (long long)ax_qmodel_macs(q));
}
