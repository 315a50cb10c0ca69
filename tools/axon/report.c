/* axon report RUN... -o report.html: the board's page with everything
 * inlined (its script and style, Chart.js, each run's files as JSON
 * strings), so the one file opens from disk with no server and no network.
 * Written atomically. */
#define _DEFAULT_SOURCE /* realpath, scandir, alphasort */
#include "board_path.h"
#include "cli.h"

#include "board_assets.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon report RUN [RUN...] -o report.html\n"
               "Writes one self-contained HTML file of the runs (each a folder made by axon train --logdir,\n"
               "or a folder of such folders): the board's curves, histograms, confusion matrix, graph and\n"
               "config, opened from disk with no server.\n"
               "  -o FILE, --out FILE   the HTML file (required)\n"
               "  --force               replace an existing FILE\n");
}

/* Each run's files: at most this much of the logs altogether */
#define REPORT_MAX_BYTES ((size_t)512 << 20)


static int is_run(const char *folder)
{
    char path[PATH_MAX + 16];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/run.json", folder) >= (int)sizeof path)
        return 0;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static ax_status add_run(cJSON *runs, const char *folder, const char *name, size_t *total)
{
    cJSON *run = cJSON_CreateObject(), *files = cJSON_AddObjectToObject(run, "files");
    cJSON_AddStringToObject(run, "name", name);
    cJSON_AddItemToArray(runs, run);
    for (int i = 0; i < BOARD_RUN_FILES; i++) {
        char path[PATH_MAX + 32];
        if (snprintf(path, sizeof path, "%s/%s", folder, board_run_files[i]) >= (int)sizeof path)
            return ax_fail(AX_ERR_IO, "%s: path too long", folder);
        struct stat st;
        if (i > 0 && stat(path, &st) != 0)
            continue; /* a run without steps or a confusion matrix */
        char *text;
        size_t len;
        ax_status s = ax_read_file(path, REPORT_MAX_BYTES - *total, &text, &len);
        if (s != AX_OK)
            return s;
        *total += len;
        cJSON_AddStringToObject(files, board_run_files[i], text);
        ax_free(text);
    }
    return AX_OK;
}

/* The runs named on the command line, a folder of runs each in turn. */
static ax_status collect(int n, const char **paths, cJSON *runs)
{
    size_t total = 0;
    ax_status s = AX_OK;
    for (int i = 0; i < n && s == AX_OK; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode))
            return ax_fail(AX_ERR_IO, "%s: not a folder", paths[i]);
        if (is_run(paths[i])) {
            char real[PATH_MAX];
            const char *name = realpath(paths[i], real) ? strrchr(real, '/') + 1 : paths[i];
            s = add_run(runs, paths[i], *name ? name : "run", &total);
            continue;
        }
        struct dirent **names = NULL;
        const int k = scandir(paths[i], &names, NULL, alphasort);
        int found = 0;
        for (int j = 0; j < k; j++) {
            char folder[PATH_MAX + 256];
            const char *name = names[j]->d_name;
            if (s == AX_OK && snprintf(folder, sizeof folder, "%s/%s", paths[i], name) < (int)sizeof folder &&
                board_name_ok(name, strlen(name)) && is_run(folder)) {
                s = add_run(runs, folder, name, &total);
                found++;
            }
            free(names[j]);
        }
        free(names);
        if (s == AX_OK && !found)
            return ax_fail(AX_ERR_IO, "%s: no run in it (a run's folder holds run.json, from axon train --logdir)",
                           paths[i]);
    }
    return s;
}

/* text with `marker` replaced by the pieces given (NULL-terminated) */
static int replace(char **text, const char *marker, const char *const *pieces)
{
    char *at = strstr(*text, marker);
    if (!at)
        return 0;
    size_t add = 0;
    for (int i = 0; pieces[i]; i++)
        add += strlen(pieces[i]);
    const size_t head = (size_t)(at - *text), tail = strlen(at + strlen(marker));
    char *out = ax_alloc(head + add + tail + 1);
    if (!out)
        return 0;
    memcpy(out, *text, head);
    char *p = out + head;
    for (int i = 0; pieces[i]; i++) {
        const size_t k = strlen(pieces[i]);
        memcpy(p, pieces[i], k);
        p += k;
    }
    memcpy(p, at + strlen(marker), tail + 1);
    ax_free(*text);
    *text = out;
    return 1;
}

/* JSON inside <script>: every '<' (only ever inside a string) as \u003c,
 * so no "</script>" or "<!--" in the data can end or change the element. */
static char *script_safe(const char *json)
{
    size_t n = 0;
    for (const char *c = json; *c; c++)
        n += *c == '<' ? 6 : 1;
    char *out = ax_alloc(n + 1), *p = out;
    if (!out)
        return NULL;
    for (const char *c = json; *c; c++)
        if (*c == '<')
            memcpy(p, "\\u003c", 6), p += 6;
        else
            *p++ = *c;
    *p = '\0';
    return out;
}

int cmd_report(int argc, char **argv)
{
    const char *out = NULL;
    int force = 0;
    const char *paths[64];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "axon report: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        } else if (n < 64)
            paths[n++] = argv[i];
        else {
            fprintf(stderr, "axon report: at most 64 folders\n");
            return CLI_USAGE;
        }
    }
    if (!out || !n) {
        fprintf(stderr, "axon report: needs a run's folder and -o FILE\n");
        usage(stderr);
        return CLI_USAGE;
    }
    ax_status s = cli_check_writable(out, force, "report");
    cJSON *data = cJSON_CreateObject(), *runs = cJSON_AddArrayToObject(data, "runs");
    char written[32];
    const time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(written, sizeof written, "%Y-%m-%d %H:%M UTC", &tm);
    cJSON_AddStringToObject(data, "written", written);
    if (s == AX_OK)
        s = collect(n, paths, runs);
    char *json = s == AX_OK ? cJSON_PrintUnformatted(data) : NULL, *safe = json ? script_safe(json) : NULL;
    cJSON_Delete(data);
    cJSON_free(json);
    if (s == AX_OK && !safe)
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    /* the page with its three references replaced by what they load */
    char *page = s == AX_OK ? ax_alloc(axb_index_html_len + 1) : NULL;
    if (page)
        memcpy(page, axb_index_html, axb_index_html_len + 1);
    else if (s == AX_OK)
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK &&
        (!replace(&page, "<link rel=\"stylesheet\" href=\"board.css\">",
                  (const char *const[]){"<style>\n", axb_board_css, "</style>", NULL}) ||
         !replace(&page, "<script src=\"chart.js\"></script>",
                  (const char *const[]){"<script>\n", axb_chart_min_js, "\n</script>", NULL}) ||
         !replace(&page, "<script src=\"board.js\"></script>",
                  (const char *const[]){"<script type=\"application/json\" id=\"axon-data\">", safe,
                                        "</script>\n<script>\n", axb_board_js, "</script>", NULL})))
        s = ax_fail(AX_ERR_NOMEM, "report: the page template lacks a part it should have, or out of memory");
    if (s == AX_OK)
        s = ax_write_file_atomic(out, page, strlen(page));
    if (s == AX_OK)
        printf("wrote %s (%zu bytes)\n", out, strlen(page));
    else
        fprintf(stderr, "axon report: %s\n", ax_last_error());
    ax_free(page);
    ax_free(safe);
    return s == AX_OK ? CLI_OK : CLI_FAILED;
}
