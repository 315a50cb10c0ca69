/* The board's request paths (board_path.h). */
#include "board_path.h"

#include <string.h>

int board_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > 200 || name[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        const unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
            return 0;
    }
    return 1;
}

const char *const board_run_files[BOARD_RUN_FILES] = {"run.json", "epochs.jsonl", "steps.jsonl", "histograms.jsonl",
                                                       "confusion.json"};

static const char *const ASSETS[] = {"index.html", "board.js", "board.css", "chart.js"};

board_route board_route_of(const char *url, const char **asset, char *run, size_t run_len, char *file,
                           size_t file_len)
{
    *asset = NULL;
    if (!url || url[0] != '/')
        return BOARD_BAD_PATH;
    if (!strcmp(url, "/")) {
        *asset = ASSETS[0];
        return BOARD_PAGE;
    }
    for (size_t i = 0; i < sizeof ASSETS / sizeof ASSETS[0]; i++)
        if (!strcmp(url + 1, ASSETS[i])) {
            *asset = ASSETS[i];
            return BOARD_PAGE;
        }
    if (!strcmp(url, "/api/runs") || !strcmp(url, "/api/runs/"))
        return BOARD_RUN_LIST;
    static const char prefix[] = "/api/runs/";
    if (strncmp(url, prefix, sizeof prefix - 1))
        return BOARD_NOT_FOUND;
    const char *name = url + sizeof prefix - 1, *slash = strchr(name, '/');
    if (!slash)
        return BOARD_BAD_PATH;
    const size_t n = (size_t)(slash - name), f = strlen(slash + 1);
    if (!board_name_ok(name, n) || !board_name_ok(slash + 1, f) || n >= run_len || f >= file_len)
        return BOARD_BAD_PATH;
    memcpy(run, name, n);
    run[n] = '\0';
    memcpy(file, slash + 1, f + 1);
    return BOARD_RUN_FILE;
}
