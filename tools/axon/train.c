/* axon train SPEC --data DATA [--val DATA] [--epochs N] [--batch B]
 *   [--optimizer NAME] [--lr X] [--seed S] [--threads T] [--out MODEL]
 *   [--init-from MODEL] [--freeze LAYERS] [--state FILE] [--resume FILE]
 *   [--standardize] [--json] */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon train SPEC --data DATA [--val DATA] [--epochs N] [--batch B] [--optimizer NAME]\n"
               "                  [--lr X] [--seed S] [--threads T] [--out MODEL] [--init-from MODEL]\n"
               "                  [--freeze LAYER,...] [--state FILE] [--resume FILE] [--standardize] [--json]\n"
               "Trains the model SPEC describes (docs/model-spec.md) and saves it with its spec to MODEL\n"
               "(model.safetensors). DATA: fashion-mnist, mnist, synthetic, idx:IMAGES,LABELS,\n"
               "csv:FILE[:label=COL|:targets=A,B], images:DIR. Without --val, the built-in sets are\n"
               "evaluated on their test split. --init-from loads the layers whose names and shapes\n"
               "match; --freeze keeps those layers' weights fixed. --state saves the training state\n"
               "(weights, optimizer state, epochs run) after training; --resume continues from one up\n"
               "to --epochs in all, exactly as an uninterrupted run would (same spec, data and seed).\n"
               "--standardize scales each feature to mean 0, std 1 with the training data's statistics,\n"
               "which are saved in MODEL; eval and predict apply them.\n");
}

int cmd_train(int argc, char **argv)
{
    const char *spec_path = NULL, *data = NULL, *val = NULL, *opt_name = "adam", *out = "model.safetensors";
    const char *init_from = NULL, *freeze = NULL, *state = NULL, *resume = NULL;
    long epochs = 5, batch = 64, seed = 42, threads = 0;
    double lr = -1;
    int json = 0, standardize = 0;
    const cli_option opts[] = {
        {"--data", CLI_STRING, &data, 0}, {"--val", CLI_STRING, &val, 0}, {"--optimizer", CLI_STRING, &opt_name, 0},
        {"--out", CLI_STRING, &out, 0}, {"--init-from", CLI_STRING, &init_from, 0}, {"--freeze", CLI_STRING, &freeze, 0},
        {"--state", CLI_STRING, &state, 0}, {"--resume", CLI_STRING, &resume, 0}, {"--epochs", CLI_LONG, &epochs, 1},
        {"--batch", CLI_LONG, &batch, 1}, {"--seed", CLI_LONG, &seed, 0}, {"--threads", CLI_LONG, &threads, 0},
        {"--lr", CLI_DOUBLE, &lr, 0}, {"--json", CLI_FLAG, &json, 0}, {"--standardize", CLI_FLAG, &standardize, 0},
    };
    int rc = cli_parse("train", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &spec_path, usage);
    if (rc >= 0)
        return rc;
    if (!spec_path || !data) {
        fprintf(stderr, "axon train: needs a SPEC file and --data DATA\n");
        usage(stderr);
        return CLI_USAGE;
    }
    ax_set_num_threads((int)threads);
    char *text = cli_read_file(spec_path);
    ax_spec spec = {0};
    ax_dataset *train = NULL, *held = NULL;
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    ax_epoch_log *hist = NULL;
    ax_standardizer *stats = NULL;
    char *stats_json = NULL;
    ax_status s = text ? AX_OK : AX_ERR_IO;
    if (s == AX_OK)
        s = ax_spec_build(text, spec_path, batch, (uint64_t)seed, &spec);
    if (s == AX_OK)
        s = cli_load_data(data, 0, &train);
    int builtin = !strcmp(data, "fashion-mnist") || !strcmp(data, "mnist") || !strcmp(data, "synthetic");
    if (s == AX_OK && (val || builtin))
        s = cli_load_data(val ? val : data, !val, &held);
    if (s == AX_OK && standardize) { /* the training data's statistics, for every split */
        s = ax_standardizer_fit(train, &stats);
        if (s == AX_OK)
            s = ax_standardizer_apply(stats, train);
        if (s == AX_OK && held)
            s = ax_standardizer_apply(stats, held);
        if (s == AX_OK)
            s = ax_standardizer_to_json(stats, &stats_json);
    }
    if (s == AX_OK && init_from) {
        int loaded = 0;
        s = ax_load_safetensors(init_from, spec.graph, 0, &loaded);
        if (s == AX_OK && !json)
            printf("initialised %d tensors from %s\n", loaded, init_from);
    }
    if (s == AX_OK && freeze) {
        char list[4096];
        snprintf(list, sizeof list, "%s", freeze);
        for (char *name = strtok(list, ","); s == AX_OK && name; name = strtok(NULL, ","))
            s = ax_graph_freeze(spec.graph, name, 1, NULL);
    }
    if (s == AX_OK && (s = ax_optim_defaults(opt_name, &oc)) == AX_OK) {
        if (lr >= 0)
            oc.lr = (float)lr;
        s = ax_optimizer_new(opt_name, &oc, &opt);
    }
    if (s == AX_OK)
        s = ax_optimizer_add_graph(opt, spec.graph);
    int done = 0;
    if (s == AX_OK && resume && (s = ax_load_training_state(resume, spec.graph, opt, &done)) == AX_OK && done > epochs)
        s = ax_fail(AX_ERR_INVALID_ARG, "%s: %d epochs already run, more than --epochs %ld", resume, done, epochs);
    if (s == AX_OK && !(hist = ax_calloc((size_t)epochs, sizeof *hist)))
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK) {
        ax_model m = {spec.graph, spec.input, spec.target, spec.output, spec.loss};
        ax_fit_config fc = ax_fit_defaults();
        fc.epochs = (int)epochs;
        fc.initial_epoch = done;
        fc.seed = (uint64_t)seed;
        fc.verbosity = json ? AX_QUIET : AX_PROGRESS;
        s = ax_fit(&m, opt, train, held, &fc, hist);
    }
    if (s == AX_OK) {
        const char *keys[3] = {"spec", "format", "standardize"}, *vals[3] = {text, "axon model 1", stats_json};
        s = ax_save_safetensors(out, spec.graph, keys, vals, stats_json ? 3 : 2);
    }
    if (s == AX_OK && state)
        s = ax_save_training_state(state, spec.graph, opt, (int)epochs);
    if (s == AX_OK) {
        const ax_epoch_log *last = &hist[epochs - 1];
        if (json) {
            printf("{\"model\": \"%s\", \"epochs\": %ld, \"loss\": %.6g", out, epochs, last->train.loss);
            if (spec.classifier)
                printf(", \"accuracy\": %.6g", last->train.accuracy);
            if (held) {
                printf(", \"val_loss\": %.6g", last->test.loss);
                if (spec.classifier)
                    printf(", \"val_accuracy\": %.6g", last->test.accuracy);
            }
            printf(", \"parameters\": %lld}\n", (long long)ax_graph_param_count(spec.graph));
        } else
            printf("saved %s\n", out);
    } else
        fprintf(stderr, "axon train: %s\n", ax_last_error());
    ax_free(hist);
    ax_free(stats_json);
    ax_standardizer_free(stats);
    ax_optimizer_free(opt);
    ax_graph_free(spec.graph);
    ax_dataset_free(train);
    ax_dataset_free(held);
    ax_free(text);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
