/* axon board RUNS [--port P] [--host ADDR]: a small HTTP server (GNU
 * libmicrohttpd) for the page that draws the runs in RUNS live while they
 * train (tools/axon/board/, embedded with Chart.js at build time). It
 * serves the page, the list of runs and each run's files, read-only:
 * requests are GET or HEAD, paths are checked by board_path.c before any
 * file is opened and resolved once more (symbolic links included) to stay
 * inside the run's folder; loopback only unless --host says otherwise. */
#define _DEFAULT_SOURCE /* realpath, scandir, alphasort */
#include "board_path.h"
#include "cli.h"

#include "board_assets.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: axon board RUNS [--port P] [--host ADDR]\n"
               "Serves a page that shows the runs in the folder RUNS (each made by axon train --logdir\n"
               "RUNS/NAME; or RUNS is one run's folder), live while they train: curves of every scalar,\n"
               "histograms over time, the confusion matrix, the model's graph, the config.\n"
               "  --port P      the TCP port (default 6006; 0: any free one, printed)\n"
               "  --host ADDR   the address to listen on (default 127.0.0.1, this machine only;\n"
               "                0.0.0.0 or :: for every interface: the board has no login)\n");
}

typedef struct board {
    char root[PATH_MAX];     /* the runs' folder, resolved */
    char one_run[256];       /* RUNS is itself a run: its name ("" otherwise) */
    int loopback;            /* accept only Host headers naming this machine */
} board;

typedef struct asset {
    const char *name, *type;
    const char *data;
    const size_t *len;
} asset;

static const asset ASSETS[] = {
    {"index.html", "text/html; charset=utf-8", axb_index_html, &axb_index_html_len},
    {"board.js", "text/javascript; charset=utf-8", axb_board_js, &axb_board_js_len},
    {"board.css", "text/css; charset=utf-8", axb_board_css, &axb_board_css_len},
    {"chart.js", "text/javascript; charset=utf-8", axb_chart_min_js, &axb_chart_min_js_len},
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code, struct MHD_Response *r, const char *type)
{
    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
    enum MHD_Result ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    return respond(c, code, r, "text/plain; charset=utf-8");
}

/* A run's folder: RUNS/NAME, or RUNS itself when it is the one run. */
static int run_folder(const board *b, const char *name, char *out, size_t len)
{
    if (*b->one_run)
        return strcmp(name, b->one_run) ? -1 : snprintf(out, len, "%s", b->root) >= (int)len ? -1 : 0;
    return snprintf(out, len, "%s/%s", b->root, name) >= (int)len ? -1 : 0;
}

static int has_run_json(const char *folder)
{
    char path[PATH_MAX + 16];
    struct stat st;
    snprintf(path, sizeof path, "%s/run.json", folder);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* {"name": NAME, "files": [the run's files the page reads, those that exist]} */
static void add_run(cJSON *list, const char *name, const char *folder)
{
    cJSON *o = cJSON_CreateObject(), *have = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "name", name);
    for (int i = 0; i < BOARD_RUN_FILES; i++) {
        char path[PATH_MAX + 32];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", folder, board_run_files[i]) < (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            cJSON_AddItemToArray(have, cJSON_CreateString(board_run_files[i]));
    }
    cJSON_AddItemToObject(o, "files", have);
    cJSON_AddItemToArray(list, o);
}

static enum MHD_Result run_list(const board *b, struct MHD_Connection *c)
{
    cJSON *list = cJSON_CreateArray();
    if (*b->one_run)
        add_run(list, b->one_run, b->root);
    else {
        struct dirent **names = NULL;
        const int n = scandir(b->root, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            char folder[PATH_MAX];
            const char *name = names[i]->d_name;
            if (board_name_ok(name, strlen(name)) && run_folder(b, name, folder, sizeof folder) == 0 &&
                has_run_json(folder))
                add_run(list, name, folder);
            free(names[i]);
        }
        free(names);
    }
    char *text = cJSON_PrintUnformatted(list);
    cJSON_Delete(list);
    if (!text)
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    cJSON_free(text);
    return respond(c, MHD_HTTP_OK, r, "application/json");
}

static const char *type_of(const char *file)
{
    const char *dot = strrchr(file, '.');
    if (dot && !strcmp(dot, ".json"))
        return "application/json";
    if (dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".csv") || !strcmp(dot, ".txt") || !strcmp(dot, ".spec")))
        return "text/plain; charset=utf-8";
    if (dot && !strcmp(dot, ".svg"))
        return "image/svg+xml";
    return "application/octet-stream";
}

/* One of a run's files: resolved (links too) and checked to lie in the
 * run's folder; an ETag of its size and time, so a poll of an unchanged
 * file costs a 304. */
static enum MHD_Result run_file(const board *b, struct MHD_Connection *c, const char *run, const char *file)
{
    char folder[PATH_MAX], path[PATH_MAX + 256], real_folder[PATH_MAX], real_path[PATH_MAX];
    if (run_folder(b, run, folder, sizeof folder) != 0 || !realpath(folder, real_folder) || !has_run_json(folder))
        return send_text(c, MHD_HTTP_NOT_FOUND, "no such run\n");
    snprintf(path, sizeof path, "%s/%s", real_folder, file);
    if (!realpath(path, real_path))
        return send_text(c, MHD_HTTP_NOT_FOUND, "no such file in the run\n");
    const size_t n = strlen(real_folder);
    if (strncmp(real_path, real_folder, n) || real_path[n] != '/' || strchr(real_path + n + 1, '/'))
        return send_text(c, MHD_HTTP_FORBIDDEN, "outside the run's folder\n");
    const int fd = open(real_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_text(c, MHD_HTTP_NOT_FOUND, "no such file in the run\n");
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    const char *match = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    struct MHD_Response *r;
    unsigned code = MHD_HTTP_OK;
    if (match && !strcmp(match, etag)) {
        close(fd);
        r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        code = MHD_HTTP_NOT_MODIFIED;
    } else if (!(r = MHD_create_response_from_fd((uint64_t)st.st_size, fd))) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
    return respond(c, code, r, type_of(file));
}

/* Loopback-only boards answer only requests addressed to this machine by
 * name: a web page elsewhere cannot reach them through a DNS name that
 * resolves to 127.0.0.1 (DNS rebinding). */
static int host_ok(const board *b, struct MHD_Connection *c)
{
    if (!b->loopback)
        return 1;
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (!host)
        return 0;
    static const char *const local[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        const size_t n = strlen(local[i]);
        if (!strncmp(host, local[i], n) && (host[n] == '\0' || host[n] == ':'))
            return 1;
    }
    return 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version, (void)upload_data, (void)con_cls;
    const board *b = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        *upload_size = 0;
        struct MHD_Response *r = MHD_create_response_from_buffer(strlen("GET and HEAD only\n"),
                                                                 (void *)"GET and HEAD only\n", MHD_RESPMEM_PERSISTENT);
        if (r)
            MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, r, "text/plain; charset=utf-8");
    }
    if (!host_ok(b, c))
        return send_text(c, MHD_HTTP_FORBIDDEN, "this board answers requests to localhost only\n");
    const char *asset_name;
    char run[256], file[256];
    switch (board_route_of(url, &asset_name, run, sizeof run, file, sizeof file)) {
    case BOARD_PAGE:
        for (size_t i = 0; i < sizeof ASSETS / sizeof ASSETS[0]; i++)
            if (!strcmp(ASSETS[i].name, asset_name)) {
                struct MHD_Response *r = MHD_create_response_from_buffer(*ASSETS[i].len, (void *)ASSETS[i].data,
                                                                         MHD_RESPMEM_PERSISTENT);
                return respond(c, MHD_HTTP_OK, r, ASSETS[i].type);
            }
        return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    case BOARD_RUN_LIST:
        return run_list(b, c);
    case BOARD_RUN_FILE:
        return run_file(b, c, run, file);
    case BOARD_BAD_PATH:
        return send_text(c, MHD_HTTP_BAD_REQUEST, "a run's file is /api/runs/RUN/FILE, plain names only\n");
    default:
        return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    }
}

static void log_error(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    fputs("axon board: ", stderr);
    vfprintf(stderr, fmt, ap);
}

int cmd_board(int argc, char **argv)
{
    const char *runs = NULL, *host = "127.0.0.1";
    long port = 6006;
    const cli_option opts[] = {
        {"--port", CLI_LONG, &port, 0, 65535},
        {"--host", CLI_STRING, &host, 0, 0},
    };
    int rc = cli_parse("board", argc, argv, opts, (int)(sizeof opts / sizeof opts[0]), &runs, usage);
    if (rc >= 0)
        return rc;
    if (!runs) {
        fprintf(stderr, "axon board: needs the folder of the runs\n");
        usage(stderr);
        return CLI_USAGE;
    }
    static board b;
    struct stat st;
    if (!realpath(runs, b.root) || stat(b.root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "axon board: %s: not a folder\n", runs);
        return CLI_FAILED;
    }
    if (has_run_json(b.root)) {
        const char *base = strrchr(b.root, '/') && strrchr(b.root, '/')[1] ? strrchr(b.root, '/') + 1 : "run";
        snprintf(b.one_run, sizeof b.one_run, "%s", base);
    }
    struct sockaddr_storage addr = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        b.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        b.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "axon board: --host expects an IPv4 or IPv6 address, got '%s'\n", host);
        return CLI_USAGE;
    }
    /* the signals that stop the board wait for sigwait below, in every thread */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, answer, &b, MHD_OPTION_EXTERNAL_LOGGER, log_error, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)4, MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "axon board: cannot listen on %s port %ld: %s\n", host, port, strerror(errno));
        return CLI_FAILED;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    const unsigned bound = info ? info->port : (unsigned)port;
    const int brackets = strchr(host, ':') != NULL;
    printf("axon board: the runs in %s at http://%s%s%s:%u/ (Ctrl-C stops)\n", b.root, brackets ? "[" : "", host,
           brackets ? "]" : "", bound);
    if (!b.loopback)
        printf("axon board: listening beyond this machine: anyone who reaches %s can read these runs\n", host);
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    MHD_stop_daemon(d);
    printf("axon board: stopped\n");
    return CLI_OK;
}
