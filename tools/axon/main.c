/* axon: train, evaluate, inspect and use models from model-spec files.
 *   axon train SPEC --data DATA ...    axon eval MODEL --data DATA
 *   axon predict MODEL --input DATA    axon info MODEL    axon ops
 *   axon generate MODEL [--prompt TEXT]
 *   axon quantize MODEL --calibrate DATA -o OUT    axon export-c MODEL -o FILE.c
 *   axon board RUNS    axon report RUN -o report.html
 * `axon COMMAND --help` for each. */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon COMMAND [options]\n"
               "  train SPEC --data DATA   train the model a spec describes, save it\n"
               "  eval MODEL --data DATA   loss, accuracy and confusion matrix\n"
               "  predict MODEL --input DATA [--output FILE]   class and probabilities per sample (CSV)\n"
               "  info MODEL               the layers, their output shapes and parameter counts\n"
               "  ops [NAME]               every op with its attributes and defaults (--json, --markdown)\n"
               "  generate MODEL           text sampled from a character-level model (--prompt, --length)\n"
               "  quantize MODEL --calibrate DATA -o OUT   an int8 model (docs/quantization.md)\n"
               "  export MODEL OUT.onnx    the model as ONNX (opset 17); MODEL.onnx also runs in predict, info\n"
               "  export-c MODEL -o FILE.c one C99 file for a microcontroller (int8 or float32)\n"
               "  board RUNS               serve a live page of the runs (train --logdir RUNS/NAME)\n"
               "  report RUN -o FILE.html  the same page as one self-contained HTML file\n"
               "axon COMMAND --help for a command's options; docs/model-spec.md for specs.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "train"))
        return cmd_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval"))
        return cmd_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "predict"))
        return cmd_predict(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "ops"))
        return cmd_ops(argc - 1, argv + 1);
    if (!strcmp(argv[1], "generate"))
        return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(argv[1], "quantize"))
        return cmd_quantize(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export"))
        return cmd_export(argc - 1, argv + 1);
    if (!strcmp(argv[1], "export-c"))
        return cmd_export_c(argc - 1, argv + 1);
    if (!strcmp(argv[1], "board"))
        return cmd_board(argc - 1, argv + 1);
    if (!strcmp(argv[1], "report"))
        return cmd_report(argc - 1, argv + 1);
    fprintf(stderr, "axon: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
