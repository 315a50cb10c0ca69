/* Data arguments, model files and option parsing shared by the commands. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *cli_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ax_fail(AX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len >= 0 && len < (1L << 24) && fseek(f, 0, SEEK_SET) == 0 && (text = ax_alloc((size_t)len + 1)) &&
        fread(text, 1, (size_t)len, f) == (size_t)len)
        text[len] = '\0';
    else {
        ax_free(text);
        text = NULL;
        ax_fail(AX_ERR_IO, "%s: cannot read (or larger than 16 MB)", path);
    }
    fclose(f);
    return text;
}

ax_status cli_load_data(const char *spec, int test, ax_dataset **out)
{
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
        ax_csv_options o = {-1, 0, NULL, NULL, 0};
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
                   "data '%s': expected fashion-mnist, mnist, synthetic, idx:IMAGES,LABELS, csv:FILE[:label=COL], or images:DIR",
                   spec);
}

ax_status cli_load_model(const char *path, int64_t batch, ax_spec *out, char **spec_text)
{
    *spec_text = NULL;
    ax_status s = ax_safetensors_metadata(path, "spec", spec_text);
    if (s == AX_OK && !*spec_text)
        s = ax_fail(AX_ERR_FORMAT, "%s: no model spec in the file's metadata (is it an axon model?)", path);
    if (s == AX_OK)
        s = ax_spec_build(*spec_text, path, batch, 1, out);
    if (s == AX_OK && (s = ax_load_safetensors(path, out->graph, 1, NULL)) != AX_OK) {
        ax_graph_free(out->graph);
        out->graph = NULL;
    }
    return s;
}

int cli_value(int argc, char **argv, int *i, const char *name, const char **out)
{
    if (strcmp(argv[*i], name))
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "axon: %s needs a value\n", name);
        exit(CLI_USAGE);
    }
    *out = argv[++*i];
    return 1;
}

int cli_long(const char *cmd, const char *flag, const char *text, long min, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < min) {
        fprintf(stderr, "axon %s: %s expects a whole number >= %ld, got '%s'\n", cmd, flag, min, text);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_double(const char *cmd, const char *flag, const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (*end || end == text || !(v >= 0)) {
        fprintf(stderr, "axon %s: %s expects a number >= 0, got '%s'\n", cmd, flag, text);
        return 0;
    }
    *out = v;
    return 1;
}
