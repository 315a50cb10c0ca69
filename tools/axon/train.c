/* axon train SPEC --data DATA [options]: trains the model a spec
 * describes and saves it, with its spec, to a model file. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: axon train SPEC --data DATA [options]\n"
            "Trains the model SPEC describes (docs/model-spec.md) and saves it with its spec.\n"
            "  --data DATA            fashion-mnist, mnist, synthetic, idx:IMAGES,LABELS,\n"
            "                         csv:FILE[:label=COL|:targets=A,B], images:DIR,\n"
            "                         csv:FILE:input.NAME=COLS:...:label.NAME=COL:target.NAME=COLS\n"
            "                         (several inputs and heads, by name),\n"
            "                         text:FILE (windows of the input's length, next-character labels)\n"
            "  --val DATA             held-out data (default: the built-in sets' test split, else none)\n"
            "  --epochs N             epochs in all (default 5)\n"
            "  --batch B              mini-batch size (default 64)\n"
            "  --optimizer NAME       sgd, adam, adamw, rmsprop, ... (default adam)\n"
            "  --lr X                 learning rate (default: the optimizer's, adam 0.001)\n"
            "  --seed S               weights, data order, dropout (default 42)\n"
            "  --threads T            0: auto, all CPUs with the team sized to the load (default 0)\n"
            "  --out MODEL            the model file (default model.safetensors); an existing file is\n"
            "                         replaced only with --force (or when resuming)\n"
            "  --force                replace an existing MODEL\n"
            "  --init-from MODEL      start from the layers of MODEL whose names and shapes match\n"
            "  --freeze LAYER,...     keep those layers' weights fixed (stored in MODEL)\n"
            "  --state FILE           save the training state (weights, optimizer, epochs run) at the end\n"
            "  --checkpoint-every N   every N epochs, save MODEL and the state (--state, default\n"
            "                         MODEL.state), atomically: a killed run loses at most N epochs\n"
            "  --resume FILE          continue from a state file up to --epochs in all, exactly as an\n"
            "                         uninterrupted run would (same spec, data, seed, precision)\n"
            "  --precision P          f32 (default) or bf16: convolutions on oneDNN's kernels read\n"
            "                         their inputs as bfloat16 (float32 sums, results and weights)\n"
            "  --standardize          scale each feature to mean 0, std 1 with the training data's\n"
            "                         statistics, saved in MODEL; eval and predict apply them\n"
            "  --logdir DIR           write the run's folder: config, model and graph, every epoch's and\n"
            "                         step's scalars, histograms, the confusion matrix, TensorBoard\n"
            "                         events (axon board and axon report show it; docs/board.md)\n"
            "  --log-steps N          step scalars every N steps (default 50; 0: none)\n"
            "  --histogram-steps N    weight, gradient and activation histograms every N steps\n"
            "                         (default 100; 0: none)\n"
            "  --samples N            train on the first N training samples only (--val-samples: held out)\n"
            "  --shards N             split each batch into N shards computed in turn and summed in shard\n"
            "                         order: exactly what mpirun -np N gives (docs/distributed.md)\n"
            "  --bucket-kb K          across processes, gradients go out in buckets of K KiB while\n"
            "                         backward runs (default 256)\n"
            "  --json                 print the run as JSON (every epoch) instead of text\n"
            "Under mpirun (mpirun -np N axon train ...) each process computes one shard of every batch;\n"
            "rank 0 alone prints and writes files. --threads 0 then gives each process its share of the\n"
            "CPUs.\n");
}

/* The model and the training state every N epochs (the last epoch is
 * saved by the command itself). */
typedef struct checkpointing {
    const char *out, *state, *spec_text, *standardize, *frozen, *vocab;
    ax_optimizer *opt;
    int every, epochs, quiet;
} checkpointing;

static ax_status checkpoint_epoch(ax_callback *cb, ax_model *m, const ax_epoch_log *log, int *stop)
{
    (void)stop;
    const checkpointing *c = cb->state;
    if (log->epoch % c->every || log->epoch == c->epochs)
        return AX_OK;
    ax_status s = cli_save_model(c->out, m, c->spec_text, c->standardize, c->frozen, c->vocab);
    if (s == AX_OK)
        s = ax_save_training_state(c->state, m->graph, c->opt, log->epoch);
    if (s == AX_OK && !c->quiet)
        printf("checkpoint: epoch %d saved to %s and %s\n", log->epoch, c->out, c->state);
    return s;
}

static void add_number(cJSON *o, const char *key, double v)
{
    if (v == v) /* NaN (no accuracy for a regression) is left out */
        cJSON_AddNumberToObject(o, key, v);
}

/* Where a data-parallel run's steps went, per step: this process's
 * backward passes, the wait for the gradients' sums after them, the other
 * sums (loss and counts, batch norm's buffers). */
static void print_parallel(const ax_parallel_stats *ps)
{
    if (ps->shards < 2 || !ps->steps)
        return;
    const double n = (double)ps->steps;
    if (ps->ranks == 1) {
        printf("data-parallel: %d shards a batch, in this one process\n", ps->shards);
        return;
    }
    printf("data-parallel: %d processes, %d gradient bucket%s a step (%.0f%% of them finished while backward ran); a "
           "step: backward %.3f ms, then waiting for the gradients' sums %.3f ms, other sums %.3f ms\n",
           ps->ranks, ps->buckets, ps->buckets == 1 ? "" : "s", 100.0 * (double)ps->done_in_backward / (n * (ps->buckets ? ps->buckets : 1)),
           1e3 * ps->backward_seconds / n, 1e3 * ps->wait_seconds / n, 1e3 * ps->reduce_seconds / n);
}

static void print_json(const char *out, const ax_spec *spec, const ax_epoch_log *hist, int first, int epochs,
                       int held, const ax_parallel_stats *ps)
{
    cJSON *root = cJSON_CreateObject(), *list = cJSON_CreateArray();
    if (ps->shards > 1 && ps->steps) {
        cJSON *p = cJSON_AddObjectToObject(root, "parallel");
        const double n = (double)ps->steps;
        cJSON_AddNumberToObject(p, "shards", ps->shards);
        cJSON_AddNumberToObject(p, "processes", ps->ranks);
        cJSON_AddNumberToObject(p, "buckets", ps->buckets);
        cJSON_AddNumberToObject(p, "steps", n);
        cJSON_AddNumberToObject(p, "buckets_done_in_backward", (double)ps->done_in_backward);
        cJSON_AddNumberToObject(p, "backward_ms", 1e3 * ps->backward_seconds / n);
        cJSON_AddNumberToObject(p, "wait_ms", 1e3 * ps->wait_seconds / n);
        cJSON_AddNumberToObject(p, "other_sums_ms", 1e3 * ps->reduce_seconds / n);
    }
    cJSON_AddStringToObject(root, "model", out);
    cJSON_AddNumberToObject(root, "epochs", epochs);
    cJSON_AddNumberToObject(root, "parameters", (double)ax_graph_param_count(spec->graph));
    for (int e = first; e < epochs; e++) {
        const ax_epoch_log *l = &hist[e];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "epoch", l->epoch);
        add_number(o, "loss", l->train.loss);
        add_number(o, "accuracy", spec->classifier ? l->train.accuracy : NAN);
        if (held) {
            add_number(o, "val_loss", l->test.loss);
            add_number(o, "val_accuracy", spec->classifier ? l->test.accuracy : NAN);
        }
        for (int k = 0; k < spec->n_heads && k < l->n_heads; k++) { /* each head's: main_loss, val_main_loss */
            char key[64];
            const char *name = spec->heads[k].name;
            snprintf(key, sizeof key, "%s_loss", name), add_number(o, key, l->train_heads[k].loss);
            snprintf(key, sizeof key, "%s_accuracy", name), add_number(o, key, l->train_heads[k].accuracy);
            if (held) {
                snprintf(key, sizeof key, "val_%s_loss", name), add_number(o, key, l->test_heads[k].loss);
                snprintf(key, sizeof key, "val_%s_accuracy", name), add_number(o, key, l->test_heads[k].accuracy);
            }
        }
        add_number(o, "lr", l->lr);
        add_number(o, "seconds", l->seconds);
        cJSON_AddItemToArray(list, o);
    }
    if (epochs > first) { /* the last epoch's figures at the top level too */
        const cJSON *last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1), *v;
        cJSON_ArrayForEach(v, last) if (strcmp(v->string, "epoch") && strcmp(v->string, "seconds"))
            cJSON_AddNumberToObject(root, v->string, v->valuedouble);
    }
    cJSON_AddItemToObject(root, "history", list);
    char *text = cJSON_PrintUnformatted(root);
    if (text)
        printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(root);
}

/* The run's folder (--logdir): the command line and spec as its config,
 * the spec's layers for the summary, graph and activations. A resumed run
 * adds to the folder's logs, its step count going on from the epochs run. */
typedef struct run_settings {
    const char *data, *optimizer, *precision, *resume;
    double lr; /* as the optimizer has it */
    long seed, epochs, log_steps, histogram_steps;
} run_settings;

static ax_status open_run_log(const char *dir, const ax_spec *spec, const ax_model *m, const ax_optimizer *opt,
                              const ax_dataset *train, int argc, char **argv, const char *spec_text,
                              const run_settings *rs, int done, ax_callback **out)
{
    cJSON *config = cJSON_CreateObject(), *args = cJSON_AddArrayToObject(config, "command");
    cJSON_AddItemToArray(args, cJSON_CreateString("axon"));
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(config, "spec", spec_text);
    /* every setting, defaults included, and the versions */
    cJSON_AddStringToObject(config, "data", rs->data);
    cJSON_AddNumberToObject(config, "train_samples", (double)train->n);
    cJSON_AddNumberToObject(config, "epochs", (double)rs->epochs);
    cJSON_AddNumberToObject(config, "batch", (double)ax_graph_batch(spec->graph));
    cJSON_AddStringToObject(config, "optimizer", rs->optimizer);
    char lr[32];
    snprintf(lr, sizeof lr, "%.9g", rs->lr); /* the float's value, not its double's 17 digits */
    cJSON_AddRawToObject(config, "lr", lr);
    cJSON_AddNumberToObject(config, "seed", (double)rs->seed);
    cJSON_AddStringToObject(config, "precision", rs->precision);
    cJSON_AddNumberToObject(config, "threads", ax_get_num_threads());
    if (rs->resume)
        cJSON_AddStringToObject(config, "resumed_from", rs->resume);
    cJSON_AddStringToObject(config, "axon", ax_version());
    char *json = cJSON_PrintUnformatted(config);
    cJSON_Delete(config);
    if (!json)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    ax_run_layer layers[AX_SPEC_MAX_LAYERS];
    for (int k = 0; k < spec->n_layers; k++)
        layers[k] = (ax_run_layer){spec->layers[k].name, spec->layers[k].type, spec->layers[k].output};
    ax_run_options o = ax_run_defaults();
    o.config_json = json;
    o.optimizer = opt;
    o.layers = layers;
    o.n_layers = spec->n_layers;
    o.scalar_every = (int)rs->log_steps;
    o.histogram_every = (int)rs->histogram_steps;
    o.append = done > 0;
    const int64_t batch = ax_graph_batch(spec->graph);
    o.first_step = (int64_t)done * ((train->n + batch - 1) / batch);
    ax_status s = ax_run_log_new(dir, m, &o, out);
    cJSON_free(json);
    return s;
}

/* Under mpirun: the processes, and each one's share of this host's CPUs
 * for --threads 0 (Open MPI says how many ranks share the host). */
static ax_status join_processes(ax_comm **comm, long *threads)
{
    *comm = NULL;
    if (!ax_comm_launched_by_mpirun())
        return AX_OK;
    ax_status s = ax_comm_mpi(NULL, NULL, comm);
    if (s != AX_OK)
        return s;
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN), here = local ? atol(local) : ax_comm_size(*comm);
    if (*threads == 0 && ax_comm_size(*comm) > 1)
        *threads = cpus > here && here > 0 ? cpus / here : 1;
    return AX_OK;
}

/* The error, naming the rank when there are several processes. */
static void report_error(const ax_comm *comm)
{
    if (comm && ax_comm_size(comm) > 1)
        fprintf(stderr, "axon train: rank %d of %d: %s\n", ax_comm_rank(comm), ax_comm_size(comm), ax_last_error());
    else
        fprintf(stderr, "axon train: %s\n", ax_last_error());
    fflush(stderr);
}

int cmd_train(int argc, char **argv)
{
    const char *spec_path = NULL, *data = NULL, *val = NULL, *opt_name = "adam", *out = "model.safetensors";
    const char *init_from = NULL, *freeze = NULL, *state = NULL, *resume = NULL, *precision = "f32";
    const char *logdir = NULL;
    long epochs = 5, batch = 64, seed = 42, threads = 0, every = 0, log_steps = 50, histogram_steps = 100;
    long samples = 0, val_samples = 0, shards = 0, bucket_kb = 256;
    double lr = -1;
    int json = 0, standardize = 0, force = 0;
    const cli_option opts[] = {
        {"--data", CLI_STRING, &data, 0, 0},
        {"--val", CLI_STRING, &val, 0, 0},
        {"--optimizer", CLI_STRING, &opt_name, 0, 0},
        {"--out", CLI_STRING, &out, 0, 0},
        {"--init-from", CLI_STRING, &init_from, 0, 0},
        {"--freeze", CLI_STRING, &freeze, 0, 0},
        {"--state", CLI_STRING, &state, 0, 0},
        {"--resume", CLI_STRING, &resume, 0, 0},
        {"--precision", CLI_STRING, &precision, 0, 0},
        {"--logdir", CLI_STRING, &logdir, 0, 0},
        {"--log-steps", CLI_LONG, &log_steps, 0, 1000000000},
        {"--histogram-steps", CLI_LONG, &histogram_steps, 0, 1000000000},
        {"--epochs", CLI_LONG, &epochs, 1, 1000000},
        {"--batch", CLI_LONG, &batch, 1, 1 << 20},
        {"--seed", CLI_LONG, &seed, 0, 0},
        {"--threads", CLI_LONG, &threads, 0, CLI_MAX_THREADS},
        {"--checkpoint-every", CLI_LONG, &every, 1, 1000000},
        {"--samples", CLI_LONG, &samples, 1, (long)1 << 40},
        {"--val-samples", CLI_LONG, &val_samples, 1, (long)1 << 40},
        {"--shards", CLI_LONG, &shards, 1, 4096},
        {"--bucket-kb", CLI_LONG, &bucket_kb, 1, 1 << 22},
        {"--lr", CLI_DOUBLE, &lr, 0, 0},
        {"--json", CLI_FLAG, &json, 0, 0},
        {"--standardize", CLI_FLAG, &standardize, 0, 0},
        {"--force", CLI_FLAG, &force, 0, 0},
    };
    int rc = cli_parse("train", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &spec_path, usage);
    if (rc >= 0)
        return rc;
    if (!spec_path || !data) {
        fprintf(stderr, "axon train: needs a SPEC file and --data DATA\n");
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(precision, "f32") && strcmp(precision, "bf16")) {
        fprintf(stderr, "axon train: --precision expects f32 or bf16, got '%s'\n", precision);
        return CLI_USAGE;
    }
    char state_default[4200];
    if (every && !state) {
        snprintf(state_default, sizeof state_default, "%s.state", out);
        state = state_default;
    }
    ax_comm *comm;
    if (join_processes(&comm, &threads) != AX_OK) {
        fprintf(stderr, "axon train: %s\n", ax_last_error());
        return CLI_FAILED;
    }
    /* rank 0 alone prints and writes (every rank reads, --resume included) */
    const int writer = !comm || ax_comm_rank(comm) == 0;
    if (!writer)
        json = 1, logdir = NULL, every = 0, state = NULL;
    ax_set_num_threads((int)threads);
    char *text = cli_read_file(spec_path);
    ax_spec spec = {0};
    ax_dataset *train = NULL, *held = NULL;
    ax_optimizer *opt = NULL;
    ax_optim_config oc;
    ax_epoch_log *hist = NULL;
    ax_standardizer *stats = NULL;
    char *stats_json = NULL;
    ax_callback *checkpoint = NULL, *run_log = NULL;
    ax_status s = text ? AX_OK : AX_ERR_IO;
    /* the outputs first: a run must not train for an hour and then fail to save */
    if (s == AX_OK && writer)
        s = cli_check_writable(out, force || resume, "model file");
    if (s == AX_OK && state && strcmp(state, resume ? resume : ""))
        s = cli_check_writable(state, 1, "state file");
    if (s == AX_OK)
        s = ax_spec_build(text, spec_path, batch, (uint64_t)seed, &spec);
    if (s == AX_OK && !strcmp(precision, "bf16")) {
        if (!ax_cpu_has_bf16() && writer)
            fprintf(stderr, "axon train: --precision bf16: this CPU has no bfloat16 instructions (AVX512-BF16 or "
                            "AMX): the convolutions and matrix products run in float32\n");
    }
    cli_text tx = {0};
    if (s == AX_OK) {
        tx.window = ax_node_numel(spec.input) / ax_graph_batch(spec.graph);
        s = cli_load_data(data, 0, &tx, &train);
    }
    int builtin = !strcmp(data, "fashion-mnist") || !strcmp(data, "mnist") || !strcmp(data, "synthetic");
    if (s == AX_OK && (val || builtin))
        s = cli_load_data(val ? val : data, !val, &tx, &held);
    if (s == AX_OK && samples && samples < train->n) {
        ax_dataset *head;
        if ((s = ax_dataset_head(train, samples, &head)) == AX_OK)
            ax_dataset_free(train), train = head;
    }
    if (s == AX_OK && val_samples && held && val_samples < held->n) {
        ax_dataset *head;
        if ((s = ax_dataset_head(held, val_samples, &head)) == AX_OK)
            ax_dataset_free(held), held = head;
    }
    char *vocab_json = NULL;
    if (s == AX_OK && tx.have_vocab)
        s = ax_vocab_to_json(&tx.vocab, &vocab_json);
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
        int loaded = 0, in_file = 0;
        ax_st_file *f;
        if (cli_is_onnx(init_from)) { /* a model from another framework: its initializers by name */
            s = ax_onnx_load_weights(init_from, spec.graph, &loaded);
            in_file = loaded;
            if (s == AX_OK && !json)
                printf("initialised %d parameters from the ONNX initializers of the same names and shapes in %s\n",
                       loaded, init_from);
        } else if ((s = ax_st_open(init_from, &f)) == AX_OK) {
            in_file = ax_st_count(f);
            ax_st_close(f);
            s = ax_load_safetensors(init_from, spec.graph, 0, &loaded);
        }
        if (s == AX_OK && !json && !cli_is_onnx(init_from))
            printf("initialised %d tensors from %s (%d of its tensors have no match in the model and were not "
                   "used)\n",
                   loaded, init_from, in_file - loaded);
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
    if (s == AX_OK && resume && !json)
        printf("resuming after epoch %d of %ld from %s\n", done, epochs, resume);
    if (s == AX_OK && !(hist = ax_calloc((size_t)epochs, sizeof *hist)))
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    checkpointing ck = {out, state, text, stats_json, freeze, vocab_json, opt, (int)every, (int)epochs, json};
    if (s == AX_OK && every) {
        if (!(checkpoint = ax_calloc(1, sizeof *checkpoint)))
            s = ax_fail(AX_ERR_NOMEM, "out of memory");
        else
            *checkpoint = (ax_callback){.name = "checkpoint", .state = &ck, .epoch_end = checkpoint_epoch};
    }
    ax_model m = ax_spec_model(&spec);
    ax_parallel_stats ps = {0};
    if (s == AX_OK && logdir) {
        const run_settings rs = {data, opt_name, precision, resume, ax_optimizer_lr(opt), seed, epochs, log_steps,
                                 histogram_steps};
        s = open_run_log(logdir, &spec, &m, opt, train, argc, argv, text, &rs, done, &run_log);
    }
    if (s == AX_OK) {
        ax_fit_config fc = ax_fit_defaults();
        fc.epochs = (int)epochs;
        fc.initial_epoch = done;
        fc.seed = (uint64_t)seed;
        fc.precision = strcmp(precision, "bf16") ? AX_PRECISION_F32 : AX_PRECISION_BF16;
        fc.verbosity = json ? AX_QUIET : AX_PROGRESS;
        ax_callback *cbs[2];
        int n_cbs = 0;
        if (checkpoint)
            cbs[n_cbs++] = checkpoint;
        if (run_log)
            cbs[n_cbs++] = run_log;
        fc.callbacks = cbs;
        fc.n_callbacks = n_cbs;
        fc.comm = comm;
        fc.shards = (int)shards;
        fc.bucket_bytes = (int64_t)bucket_kb << 10;
        fc.parallel_stats = &ps;
        s = ax_fit(&m, opt, train, held, &fc, hist);
    }
    if (s == AX_OK && writer)
        s = cli_save_model(out, &m, text, stats_json, freeze, vocab_json);
    if (s == AX_OK && state)
        s = ax_save_training_state(state, spec.graph, opt, (int)epochs);
    if (s == AX_OK && writer) {
        if (json)
            print_json(out, &spec, hist, done, (int)epochs, held != NULL, &ps);
        else {
            print_parallel(&ps);
            printf("saved the model to %s%s%s\n", out, state ? " and the training state to " : "", state ? state : "");
        }
    } else if (s != AX_OK)
        report_error(comm);
    ax_free(checkpoint);
    ax_callback_free(run_log);
    ax_free(hist);
    ax_free(stats_json);
    ax_free(vocab_json);
    ax_standardizer_free(stats);
    ax_optimizer_free(opt);
    ax_graph_free(spec.graph);
    ax_dataset_free(train);
    ax_dataset_free(held);
    ax_free(text);
    /* with several processes an error on one must end them all, or the
     * others would wait for it forever */
    if (s != AX_OK && comm && ax_comm_size(comm) > 1)
        ax_comm_abort(comm, CLI_FAILED);
    ax_comm_free(comm);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
