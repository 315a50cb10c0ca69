/* The board's request paths: which of them name a run's file, checked
 * before anything touches the disk (and fuzzed: fuzz/fuzz_board_path.c). */
#ifndef AXON_BOARD_PATH_H
#define AXON_BOARD_PATH_H

#include <stddef.h>

/* A folder or file name the board serves: 1 to 200 bytes, no '/', no
 * '\\', no control bytes, not starting with '.' (no "..", no hidden
 * files). */
int board_name_ok(const char *name, size_t len);

/* The files of a run folder the page reads (docs/board.md), run.json
 * first; board.js lists the same. */
#define BOARD_RUN_FILES 5
extern const char *const board_run_files[BOARD_RUN_FILES];

typedef enum { BOARD_NOT_FOUND = 0, BOARD_PAGE, BOARD_RUN_LIST, BOARD_RUN_FILE, BOARD_BAD_PATH } board_route;

/* Route a decoded URL path: "/" and the page's assets (BOARD_PAGE, *asset
 * its name), "/api/runs", "/api/runs/RUN/FILE" (run and file written out,
 * each passing board_name_ok); a path under /api/runs/ that does not pass
 * is BOARD_BAD_PATH (400); anything else BOARD_NOT_FOUND. */
board_route board_route_of(const char *url, const char **asset, char *run, size_t run_len, char *file,
                           size_t file_len);

#endif
