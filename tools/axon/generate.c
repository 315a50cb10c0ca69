/* axon generate MODEL [--prompt TEXT] [--length N] [--temperature X]
 * [--seed S]: text sampled from a character-level model (ax_generate). */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon generate MODEL [--prompt TEXT] [--length N] [--temperature X] [--seed S] [--threads T]\n"
               "Continues TEXT (default: a newline) by N characters (default 200) drawn from a model trained on\n"
               "text:FILE data: each from the softmax of the last step's scores divided by X (default 1;\n"
               "0: always the most likely), with seed S (default 42). Writes the prompt and the sample.\n");
}

int cmd_generate(int argc, char **argv)
{
    const char *model = NULL, *prompt = "\n";
    long length = 200, seed = 42, threads = 0;
    double temperature = 1.0;
    const cli_option opts[] = {{"--prompt", CLI_STRING, &prompt, 0, 0},
                               {"--length", CLI_LONG, &length, 0, 1L << 30},
                               {"--temperature", CLI_DOUBLE, &temperature, 0, 0},
                               {"--seed", CLI_LONG, &seed, 0, 0},
                               {"--threads", CLI_LONG, &threads, 0, CLI_MAX_THREADS}};
    int rc = cli_parse("generate", argc, argv, opts, 5, &model, usage);
    if (rc >= 0)
        return rc;
    if (!model) {
        fprintf(stderr, "axon generate: needs a MODEL\n");
        usage(stderr);
        return CLI_USAGE;
    }
    ax_set_num_threads((int)threads);
    ax_spec spec = {0};
    char *spec_text = NULL, *text = NULL;
    ax_vocab vocab;
    ax_status s = cli_model_vocab(model, &vocab);
    if (s == AX_OK)
        s = cli_load_model(model, 1, &spec, &spec_text, NULL);
    if (s == AX_OK) {
        ax_node *keep = spec.output;
        s = ax_graph_compile_inference(spec.graph, &keep, 1);
    }
    ax_model m = ax_spec_model(&spec);
    if (s == AX_OK)
        s = ax_generate(&m, &vocab, prompt, length, (float)temperature, (uint64_t)seed, &text);
    if (s == AX_OK && (fputs(text, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout) != 0))
        s = ax_fail(AX_ERR_IO, "cannot write the text to standard output");
    if (s != AX_OK)
        fprintf(stderr, "axon generate: %s\n", ax_last_error());
    ax_free(text);
    ax_free(spec_text);
    ax_graph_free(spec.graph);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
