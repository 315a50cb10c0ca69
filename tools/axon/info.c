/* axon info MODEL: the model's nodes as a table, like Keras's summary. */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon info MODEL\nThe layers of MODEL with their output shapes (per batch of 1) and parameter counts.\n");
}

int cmd_info(int argc, char **argv)
{
    const char *model = NULL;
    int rc = cli_parse("info", argc, argv, NULL, 0, &model, usage);
    if (rc >= 0)
        return rc;
    if (!model) {
        fprintf(stderr, "usage: axon info MODEL\n");
        return CLI_USAGE;
    }
    ax_spec spec = {0};
    char *text = NULL;
    ax_status s = cli_load_model(model, 1, &spec, &text);
    if (s != AX_OK) {
        fprintf(stderr, "axon info: %s\n", ax_last_error());
        ax_free(text);
        return CLI_FAILED;
    }
    printf("%-28s %-22s %-20s %12s\n", "node", "op", "output shape", "parameters");
    int64_t total = 0, trainable = 0;
    for (int i = 0; i < ax_graph_num_nodes(spec.graph); i++) {
        ax_node *n = ax_graph_node(spec.graph, i);
        if (!strcmp(ax_node_op(n), "param") || !strcmp(ax_node_name(n), "target"))
            continue;
        ax_shape sh = ax_node_shape(n);
        char shape[96];
        printf("%-28s %-22s %-20s\n", ax_node_name(n), ax_node_op(n), ax_shape_str(&sh, shape, sizeof shape));
    }
    for (int i = 0; i < ax_graph_num_params(spec.graph); i++) {
        ax_node *p = ax_graph_param(spec.graph, i);
        ax_shape sh = ax_node_shape(p);
        char shape[96];
        printf("%-28s %-22s %-20s %12lld\n", ax_node_name(p), ax_node_is_buffer(p) ? "buffer" : ax_node_frozen(p) ? "param (frozen)" : "param",
               ax_shape_str(&sh, shape, sizeof shape), (long long)ax_node_numel(p));
        total += ax_node_numel(p);
        if (!ax_node_is_buffer(p) && !ax_node_frozen(p))
            trainable += ax_node_numel(p);
    }
    printf("total: %lld values, %lld trainable\n", (long long)total, (long long)trainable);
    ax_graph_free(spec.graph);
    ax_free(text);
    return CLI_OK;
}
