/* The axon program: shared pieces of the subcommands. */
#ifndef AXON_CLI_H
#define AXON_CLI_H

#include <axon.h>

#include <stdio.h>

/* Exit statuses: 0 done, 1 the work failed (message on stderr), 2 usage. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_ops(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_export_c(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_board(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Text data (text:FILE): windows of the model's input length, coded by a
 * vocabulary: the model's, or (have_vocab 0) the file's own, kept here
 * for the other splits and the model file. */
typedef struct cli_text {
    int64_t window;
    ax_vocab vocab;
    int have_vocab;
} cli_text;

/* DATA: fashion-mnist[:test], mnist[:test], idx:IMAGES,LABELS, csv:FILE[:label=COL|:targets=A,B],
 * images:DIR, synthetic, text:FILE (needs text). `test` picks the built-in sets' test split. */
ax_status cli_load_data(const char *spec, int test, cli_text *text, ax_dataset **out);

/* Whether a path names an ONNX file (by its extension .onnx). */
int cli_is_onnx(const char *path);

/* A model file's spec and graph (batch `batch`), weights loaded, the
 * layers it was trained with frozen marked frozen, and, when standardize
 * is not NULL, the standardization it was trained with (NULL when none).
 * A file with a spec is rebuilt from it; one with only a graph (saved by
 * ax_save_model from any C graph) from the graph: then *spec_text is NULL
 * and out has no layers, only the graph and its roles. An ONNX file
 * (.onnx) is imported: its graph, input and output. */
ax_status cli_load_model(const char *path, int64_t batch, ax_spec *out, char **spec_text,
                         ax_standardizer **standardize);

/* A model file opened to run on data (eval, predict): its spec and graph
 * (batches of 256), its standardization, and DATA loaded and standardized.
 * DATA is read as cli_load_data reads it, except that a CSV given without
 * :label= or :targets= is read by what the model takes: its features
 * alone, or followed by the answer columns (a class, or the regression's
 * targets). A classifier's class count is the model's, whatever classes
 * the data happens to hold. */
typedef struct cli_run {
    ax_spec spec;
    char *spec_text;
    ax_standardizer *standardize; /* NULL: trained without --standardize */
    ax_dataset *data;
    ax_model model;
    int64_t outputs;              /* the model's output values per sample */
} cli_run;
ax_status cli_run_open(const char *model_path, const char *data, cli_run *out);
/* The same with the built-in sets' training split when test is 0 (calibration data). */
ax_status cli_run_open_split(const char *model_path, const char *data, int test, cli_run *out);
void cli_run_close(cli_run *r);

/* Options, described by a table: a flag (int set to 1), a string, a
 * whole number in [min, max] (max 0: no bound), or a number >= 0. */
typedef enum cli_kind { CLI_FLAG, CLI_STRING, CLI_LONG, CLI_DOUBLE } cli_kind;
typedef struct cli_option {
    const char *name; /* "--epochs" */
    cli_kind kind;
    void *value;      /* int *, const char **, long *, double * */
    long min, max;
} cli_option;

/* --threads: 0 (auto) up to this */
#define CLI_MAX_THREADS 256

/* Parse argv[1..] against the table; the one positional argument goes to
 * *positional (when not NULL). Returns -1 to go on, else an exit status
 * (0 after --help, 2 for bad usage, with a message and the usage). */
int cli_parse(const char *cmd, int argc, char **argv, const cli_option *opts, int n, const char **positional,
              void (*usage)(FILE *));
char *cli_read_file(const char *path);

/* Before long work: fail now, not after it, if `path` could not be written
 * (its folder is missing or read-only), or exists and may not be replaced. */
ax_status cli_check_writable(const char *path, int may_replace, const char *what);

/* Save a trained model: its graph and weights (ax_save_model) with the
 * spec, the standardization, the frozen layers and a text model's
 * vocabulary (each may be NULL) in the metadata. */
ax_status cli_save_model(const char *path, const ax_model *m, const char *spec_text, const char *standardize_json,
                         const char *frozen, const char *vocab_json);
/* A text model's vocabulary from its file's metadata ("vocab"). */
ax_status cli_model_vocab(const char *path, ax_vocab *out);

/* An int8 model's layers (kind, name, output shape, scale, zero point) and sizes. */
void cli_print_qmodel(const ax_qmodel *q);

#endif
