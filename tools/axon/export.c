/* axon export MODEL OUT.onnx: a model file as an ONNX model (opset 17),
 * for ONNX Runtime and the other frameworks (docs/onnx.md). */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon export MODEL OUT.onnx\n"
               "Writes the part of MODEL its output depends on as an ONNX model (opset 17, IR version 8): the\n"
               "input's first dimension a symbolic batch N, the initializers named as MODEL's parameters.\n"
               "The loss and target stay behind; a model trained with --standardize takes standardized inputs.\n");
}

int cmd_export(int argc, char **argv)
{
    const char *paths[2] = {NULL, NULL};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        }
        if (argv[i][0] == '-' || np == 2) {
            fprintf(stderr, "axon export: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
        paths[np++] = argv[i];
    }
    if (np != 2) {
        fprintf(stderr, "axon export: needs a MODEL and OUT.onnx\n");
        usage(stderr);
        return CLI_USAGE;
    }
    ax_spec spec = {0};
    char *text = NULL;
    ax_standardizer *st = NULL;
    ax_status s = cli_load_model(paths[0], 1, &spec, &text, &st);
    if (s == AX_OK) {
        ax_model m = ax_spec_model(&spec);
        s = ax_onnx_export(&m, paths[1]);
    }
    if (s == AX_OK)
        printf("wrote %s (ONNX opset 17)%s\n", paths[1],
               st ? "; it takes inputs standardized as in training (the statistics are in MODEL)" : "");
    ax_graph_free(spec.graph);
    ax_free(text);
    ax_standardizer_free(st);
    if (s != AX_OK) {
        fprintf(stderr, "axon export: %s\n", ax_last_error());
        return CLI_FAILED;
    }
    return CLI_OK;
}
