/* axon info MODEL: the model's layers as a table, like Keras's
 * model.summary(): each spec line's layer, its output shape per sample,
 * its parameter count; totals, trainable and not. --tensors lists every
 * stored tensor instead. */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon info MODEL [--tensors]\n"
               "The layers of MODEL with their output shapes (per sample) and parameter counts, like\n"
               "Keras's model.summary(); --tensors lists each weight and buffer tensor with its shape.\n");
}

/* 1234567 -> "1,234,567" */
static const char *grouped(int64_t v, char *buf, size_t len)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v), o = 0;
    for (int i = 0; i < n && o + 2 < (int)len; i++) {
        if (i && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* The shape without the batch dimension: "(256)", "(32, 14, 14)". */
static const char *sample_shape(const ax_node *n, char *buf, size_t len)
{
    ax_shape sh = ax_node_shape(n);
    int o = snprintf(buf, len, "(");
    for (int d = 1; d < sh.ndim; d++)
        o += snprintf(buf + o, len - (size_t)o, d > 1 ? ", %lld" : "%lld", (long long)sh.dim[d]);
    snprintf(buf + o, len - (size_t)o, sh.ndim > 1 ? ")" : "scalar)");
    return buf;
}

static int belongs_to(const ax_node *p, const char *layer)
{
    size_t k = strlen(layer);
    return !strncmp(ax_node_name(p), layer, k) && ax_node_name(p)[k] == '.';
}

static void tensors(ax_graph *g)
{
    printf("%-32s %-16s %-20s %12s\n", "tensor", "kind", "shape", "values");
    for (int i = 0; i < ax_graph_num_params(g); i++) {
        ax_node *p = ax_graph_param(g, i);
        ax_shape sh = ax_node_shape(p);
        char shape[96];
        printf("%-32s %-16s %-20s %12lld\n", ax_node_name(p),
               ax_node_is_buffer(p) ? "buffer" : ax_node_frozen(p) ? "param (frozen)" : "param",
               ax_shape_str(&sh, shape, sizeof shape), (long long)ax_node_numel(p));
    }
}

/* Several inputs or heads: each input's shape; each head's output, loss,
 * target and weight. */
static void inputs_and_heads(const ax_spec *spec)
{
    char shape[96];
    for (int i = 0; i < spec->n_inputs; i++)
        printf("Input %s: %s\n", ax_node_name(spec->inputs[i]), sample_shape(spec->inputs[i], shape, sizeof shape));
    for (int k = 0; k < spec->n_heads; k++) {
        const ax_head *h = &spec->heads[k];
        printf("Head %s: output %s, loss %s on target '%s', weight %g\n", h->name,
               sample_shape(h->output, shape, sizeof shape), ax_node_op(h->loss), ax_node_name(h->target),
               (double)h->weight);
    }
}

/* A model saved from a C graph (no spec): every op node, its op, its
 * output shape and the parameters it reads directly. */
static void graph_nodes(const char *model, const ax_spec *spec)
{
    const char *rule = "-----------------------------------------------------------------------------";
    printf("Model: %s (a graph: %d nodes)\n%s\n%-34s %-26s %14s\n%s\n", model, ax_graph_num_nodes(spec->graph), rule,
           "Node (op)", "Output shape", "Param #", rule);
    int64_t total = 0;
    for (int i = 0; i < ax_graph_num_nodes(spec->graph); i++) {
        ax_node *n = ax_graph_node(spec->graph, i);
        if (!ax_node_schema(n) && strcmp(ax_node_op(n), "input"))
            continue; /* parameters are counted with the op that reads them */
        int64_t count = 0;
        for (int k = 0; k < ax_node_num_inputs(n); k++)
            if (!strcmp(ax_node_op(ax_node_input(n, k)), "param"))
                count += ax_node_numel(ax_node_input(n, k));
        char name[128], shape[96], num[32];
        snprintf(name, sizeof name, "%s (%s)", ax_node_name(n), ax_node_op(n));
        printf("%-34s %-26s %14s\n", name, sample_shape(n, shape, sizeof shape), grouped(count, num, sizeof num));
    }
    for (int i = 0; i < ax_graph_num_params(spec->graph); i++)
        if (!ax_node_is_buffer(ax_graph_param(spec->graph, i)))
            total += ax_node_numel(ax_graph_param(spec->graph, i));
    char a[32];
    printf("%s\nTotal params: %s\nInput: %s  Output: %s  Loss: %s\n", rule, grouped(total, a, sizeof a),
           ax_node_name(spec->input), ax_node_name(spec->output), spec->loss ? ax_node_op(spec->loss) : "(none)");
    inputs_and_heads(spec);
}

int cmd_info(int argc, char **argv)
{
    const char *model = NULL;
    int list_tensors = 0;
    const cli_option opts[] = {{"--tensors", CLI_FLAG, &list_tensors, 0, 0}};
    int rc = cli_parse("info", argc, argv, opts, 1, &model, usage);
    if (rc >= 0)
        return rc;
    if (!model) {
        fprintf(stderr, "axon info: needs a MODEL\n");
        usage(stderr);
        return CLI_USAGE;
    }
    char *quantized = NULL, *fa = NULL, *qa = NULL;
    ax_status s = cli_is_onnx(model) ? AX_OK : ax_safetensors_metadata(model, "quantized", &quantized);
    if (s == AX_OK && quantized) { /* an int8 model (axon quantize): its layers, and the accuracies measured */
        ax_qmodel *q = NULL;
        s = ax_qmodel_load(model, &q);
        if (s == AX_OK && (s = ax_safetensors_metadata(model, "float_accuracy", &fa)) == AX_OK)
            s = ax_safetensors_metadata(model, "int8_accuracy", &qa);
        if (s == AX_OK) {
            printf("int8 model: %s\n", model);
            cli_print_qmodel(q);
            if (fa && qa)
                printf("accuracy when quantized: float %s, int8 %s\n", fa, qa);
        }
        ax_qmodel_free(q);
        ax_free(quantized);
        ax_free(fa);
        ax_free(qa);
        if (s != AX_OK)
            fprintf(stderr, "axon info: %s\n", ax_last_error());
        return s == AX_OK ? CLI_OK : CLI_FAILED;
    }
    ax_spec spec = {0};
    char *text = NULL;
    ax_standardizer *standardize = NULL;
    if (s == AX_OK)
        s = cli_load_model(model, 1, &spec, &text, &standardize);
    if (s != AX_OK) {
        fprintf(stderr, "axon info: %s\n", ax_last_error());
        ax_free(text);
        return CLI_FAILED;
    }
    if (list_tensors)
        tensors(spec.graph);
    else if (!text)
        graph_nodes(model, &spec);
    else {
        const char *rule = "-----------------------------------------------------------------------------";
        printf("Model: %s\n%s\n%-34s %-26s %14s\n%s\n", model, rule, "Layer (type)", "Output shape", "Param #", rule);
        for (int l = 0; l < spec.n_layers; l++) {
            int64_t count = 0;
            int frozen = 0;
            for (int i = 0; i < ax_graph_num_params(spec.graph); i++) {
                ax_node *p = ax_graph_param(spec.graph, i);
                if (belongs_to(p, spec.layers[l].name) && !ax_node_is_buffer(p)) {
                    count += ax_node_numel(p);
                    frozen |= ax_node_frozen(p);
                }
            }
            char name[128], shape[96], num[32];
            snprintf(name, sizeof name, "%s (%s)%s", spec.layers[l].name, spec.layers[l].type, frozen ? " frozen" : "");
            printf("%-34s %-26s %14s\n", name, sample_shape(spec.layers[l].output, shape, sizeof shape),
                   grouped(count, num, sizeof num));
        }
        int64_t trainable = 0, fixed = 0, buffers = 0;
        for (int i = 0; i < ax_graph_num_params(spec.graph); i++) {
            ax_node *p = ax_graph_param(spec.graph, i);
            int64_t n = ax_node_numel(p);
            if (ax_node_is_buffer(p))
                buffers += n;
            else if (ax_node_frozen(p))
                fixed += n;
            else
                trainable += n;
        }
        char a[32], b[32], c[32];
        printf("%s\nTotal params: %s (%.1f KB)\nTrainable params: %s\nNon-trainable params: %s\n", rule,
               grouped(trainable + fixed, a, sizeof a), (double)(trainable + fixed) * 4 / 1024,
               grouped(trainable, b, sizeof b), grouped(fixed, c, sizeof c));
        if (buffers)
            printf("Buffers (running statistics, not trained): %s\n", grouped(buffers, a, sizeof a));
        char loss[64];
        snprintf(loss, sizeof loss, "%s", spec.n_heads ? "the weighted sum of the heads'" : ax_node_op(spec.loss));
        printf("Loss: %s%s\n", loss, spec.n_penalties ? " (with weight penalties)" : "");
        inputs_and_heads(&spec);
        if (standardize)
            printf("Inputs standardized with the training data's mean and std (%lld features)\n",
                   (long long)standardize->features);
    }
    ax_standardizer_free(standardize);
    ax_graph_free(spec.graph);
    ax_free(text);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "axon info: cannot write to standard output\n");
        return CLI_FAILED;
    }
    return CLI_OK;
}
