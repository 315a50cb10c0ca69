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

/* DATA: fashion-mnist[:test], mnist[:test], idx:IMAGES,LABELS, csv:FILE[:label=COL|:targets=A,B],
 * images:DIR, synthetic. `test` picks the built-in sets' test split. */
ax_status cli_load_data(const char *spec, int test, ax_dataset **out);

/* A model file's spec and graph (batch `batch`), weights loaded. */
ax_status cli_load_model(const char *path, int64_t batch, ax_spec *out, char **spec_text);

/* Option parsing: argv[i] is `name` with a value after it. */
int cli_value(int argc, char **argv, int *i, const char *name, const char **out);
int cli_long(const char *cmd, const char *flag, const char *text, long min, long *out);
int cli_double(const char *cmd, const char *flag, const char *text, double *out);
char *cli_read_file(const char *path);

#endif
