/* The board's request paths (tools/axon/board_path.c): whatever the URL,
 * a route to a run's file names a plain run and a plain file (no '/', no
 * leading '.', no control bytes) that spell the URL exactly, and nothing
 * else reaches the disk. An assertion failure is a finding. */
#include "../tools/axon/board_path.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int plain(const char *s)
{
    if (!*s || *s == '.' || strlen(s) > 200)
        return 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '/' || *c == '\\')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char url[4096];
    if (size >= sizeof url)
        return 0;
    memcpy(url, data, size);
    url[size] = '\0';
    const char *asset;
    char run[256], file[256], again[4096];
    switch (board_route_of(url, &asset, run, sizeof run, file, sizeof file)) {
    case BOARD_RUN_FILE:
        snprintf(again, sizeof again, "/api/runs/%s/%s", run, file);
        if (!plain(run) || !plain(file) || strcmp(again, url) || !board_name_ok(run, strlen(run)))
            abort();
        break;
    case BOARD_PAGE:
        if (!asset || (strcmp(asset, "index.html") && strcmp(asset, "board.js") && strcmp(asset, "board.css") &&
                       strcmp(asset, "chart.js")))
            abort();
        break;
    default:
        break;
    }
    return 0;
}
