/* axon ops [NAME] [--json | --markdown]: every op with its inputs,
 * attributes (type, default, range) and backend hints, read from the op
 * schemas. --markdown prints the reference block of docs/catalog.md (a
 * test checks the two agree). */
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon ops [NAME] [--json | --markdown]\n"
               "Every op (or the one named) with its inputs and its attributes: type, default, range.\n"
               "Any op is also a spec line: `NAME [layer-name] attribute=value ...` (docs/model-spec.md).\n");
}

/* A number as the schema means it: whole numbers without a point, huge
 * bounds as "any". */
static const char *num(double v, ax_attr_type t, char *buf, size_t len)
{
    if (fabs(v) >= 1e29)
        snprintf(buf, len, "%s", v < 0 ? "-any" : "any");
    else if (t != AX_ATTR_FLOAT)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%g", v);
    return buf;
}

/* "required", "(empty)" or the default. */
static const char *default_of(const ax_attr_schema *a, char *buf, size_t len)
{
    if (a->type == AX_ATTR_INTS)
        return "(empty)";
    if (a->dflt < a->min || a->dflt > a->max)
        return "required";
    return num(a->dflt, a->type, buf, len);
}

static const char *range_of(const ax_attr_schema *a, char *buf, size_t len)
{
    char lo[32], hi[32];
    snprintf(buf, len, "%s..%s", num(a->min, a->type, lo, sizeof lo), num(a->max, a->type, hi, sizeof hi));
    return buf;
}

static void text(const ax_op_schema *sc)
{
    printf("%s(%s): %s\n", sc->name, sc->inputs, sc->doc);
    for (int k = 0; k < sc->n_params; k++)
        printf("    %s <layer>.%s starts at %g\n", sc->params[k].buffer ? "buffer" : "param ", sc->params[k].name,
               (double)sc->params[k].init);
    for (int pass = 0; pass < 2; pass++) {
        const ax_attr_schema *as = pass ? sc->hints : sc->attrs;
        for (int i = 0; i < (pass ? sc->n_hints : sc->n_attrs); i++) {
            char d[32], r[80];
            printf("    %-18s %-5s %-9s %-16s %s%s\n", as[i].name, ax_attr_type_name(as[i].type),
                   default_of(&as[i], d, sizeof d), range_of(&as[i], r, sizeof r), pass ? "(hint) " : "", as[i].doc);
        }
    }
}

/* text for a markdown table cell: '|' escaped */
static void cell(const char *s)
{
    for (; *s; s++)
        fputs(*s == '|' ? "\\|" : (char[]){*s, 0}, stdout);
}

static void markdown(const ax_op_schema *sc)
{
    printf("| `%s` | %s | ", sc->name, sc->inputs);
    cell(sc->doc);
    printf(" |");
    for (int i = 0; i < sc->n_attrs; i++) {
        char d[32], r[80];
        printf("%s`%s` %s = %s (%s)", i ? "; " : " ", sc->attrs[i].name, ax_attr_type_name(sc->attrs[i].type),
               default_of(&sc->attrs[i], d, sizeof d), range_of(&sc->attrs[i], r, sizeof r));
    }
    for (int i = 0; i < sc->n_hints; i++)
        printf("%shint `%s`", sc->n_attrs || i ? "; " : " ", sc->hints[i].name);
    printf(" |\n");
}

static cJSON *attrs_json(const ax_attr_schema *as, int n)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", as[i].name);
        cJSON_AddStringToObject(o, "type", ax_attr_type_name(as[i].type));
        if (as[i].type != AX_ATTR_INTS && as[i].dflt >= as[i].min && as[i].dflt <= as[i].max)
            cJSON_AddNumberToObject(o, "default", as[i].dflt);
        else
            cJSON_AddBoolToObject(o, "required", as[i].type != AX_ATTR_INTS);
        cJSON_AddNumberToObject(o, "min", as[i].min);
        cJSON_AddNumberToObject(o, "max", as[i].max);
        cJSON_AddStringToObject(o, "doc", as[i].doc);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *json(const ax_op_schema *sc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", sc->name);
    cJSON_AddStringToObject(o, "doc", sc->doc);
    cJSON_AddStringToObject(o, "inputs", sc->inputs);
    cJSON_AddNumberToObject(o, "min_inputs", sc->min_inputs);
    cJSON_AddNumberToObject(o, "max_inputs", sc->max_inputs);
    cJSON_AddItemToObject(o, "attributes", attrs_json(sc->attrs, sc->n_attrs));
    cJSON_AddItemToObject(o, "hints", attrs_json(sc->hints, sc->n_hints));
    cJSON *params = cJSON_CreateArray();
    for (int k = 0; k < sc->n_params; k++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", sc->params[k].name);
        cJSON_AddNumberToObject(p, "init", sc->params[k].init);
        cJSON_AddBoolToObject(p, "buffer", sc->params[k].buffer);
        cJSON_AddItemToArray(params, p);
    }
    cJSON_AddItemToObject(o, "parameters", params);
    return o;
}

int cmd_ops(int argc, char **argv)
{
    const char *name = NULL;
    int as_json = 0, as_markdown = 0;
    const cli_option opts[] = {{"--json", CLI_FLAG, &as_json, 0, 0}, {"--markdown", CLI_FLAG, &as_markdown, 0, 0}};
    int rc = cli_parse("ops", argc, argv, opts, 2, &name, usage);
    if (rc >= 0)
        return rc;
    if (as_json && as_markdown) {
        fprintf(stderr, "axon ops: --json or --markdown, not both\n");
        return CLI_USAGE;
    }
    if (name && !ax_op_schema_of(name)) {
        fprintf(stderr, "axon ops: no op named '%s' (axon ops lists them)\n", name);
        return CLI_FAILED;
    }
    cJSON *all = as_json ? cJSON_CreateArray() : NULL;
    if (as_markdown)
        printf("| op | inputs | what it computes | attributes: type = default (range) |\n|---|---|---|---|\n");
    for (int i = 0; i < ax_op_count(); i++) {
        const ax_op_schema *sc = ax_op_at(i);
        if (name && strcmp(name, sc->name))
            continue;
        if (as_json)
            cJSON_AddItemToArray(all, json(sc));
        else if (as_markdown)
            markdown(sc);
        else
            text(sc);
    }
    if (as_json) {
        char *s = cJSON_Print(all);
        if (!s) {
            cJSON_Delete(all);
            fprintf(stderr, "axon ops: out of memory\n");
            return CLI_FAILED;
        }
        printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(all);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "axon ops: cannot write the output\n");
        return CLI_FAILED;
    }
    return CLI_OK;
}
