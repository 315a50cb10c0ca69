/* Reading a whole regular file, and writing a file so that a crash or a
 * kill never leaves a half-written one (nor, after the next save to the
 * same path, its temporary file): write to "<path>.tmp.<pid>", fsync it,
 * rename it over path (atomic on POSIX file systems), fsync the folder. */
#include "axon/core.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The folder of path ("." when it has none). */
static void folder_of(const char *path, char *dir, size_t len)
{
    snprintf(dir, len, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, len, ".");
}

/* "<name>.tmp.<pid>" files beside path left by a save that was killed (no
 * process of that pid is alive any more): removed, they would otherwise
 * stay, each as large as the model. */
static void remove_stale_temporaries(const char *path)
{
    char dir[4096];
    folder_of(path, dir, sizeof dir);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    const size_t blen = strlen(base);
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        const char *n = e->d_name, *digits = n + blen + 5;
        if (strncmp(n, base, blen) || strncmp(n + blen, ".tmp.", 5) || !*digits || strspn(digits, "0123456789") != strlen(digits))
            continue;
        long pid = strtol(digits, NULL, 10);
        if (pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            char stale[8192];
            snprintf(stale, sizeof stale, "%s/%s", dir, n);
            unlink(stale);
        }
    }
    if (d)
        closedir(d);
}

ax_status ax_write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[4096], dir[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: path too long", path);
    remove_stale_temporaries(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return ax_fail(AX_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return ax_fail(AX_ERR_IO, "%s: write failed after %zu of %zu bytes: %s", tmp, len - left, len,
                           strerror(e));
        }
        p += w, left -= (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return ax_fail(AX_ERR_IO, "%s: cannot flush to disk: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return ax_fail(AX_ERR_IO, "%s: cannot rename over %s: %s", tmp, path, strerror(e));
    }
    /* the rename itself is durable once the directory is synced */
    folder_of(path, dir, sizeof dir);
    int dfd = open(dir, O_RDONLY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return AX_OK;
}

/* Opened without blocking (a FIFO with no writer would block open), then
 * checked to be a regular file: a directory reads as garbage sizes, a FIFO
 * or a device never ends. */
static int open_regular(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        ax_fail(AX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        ax_fail(AX_ERR_IO, "%s: not a regular file (a directory, FIFO or device?)", path);
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

ax_status ax_check_regular_file(const char *path)
{
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return AX_ERR_IO;
    close(fd);
    return AX_OK;
}

ax_status ax_read_file(const char *path, size_t max_bytes, char **out, size_t *len)
{
    *out = NULL;
    struct stat st;
    int fd = open_regular(path, &st);
    if (fd < 0)
        return AX_ERR_IO;
    ax_status s = AX_OK;
    const size_t size = (size_t)st.st_size;
    if ((uint64_t)st.st_size > max_bytes)
        s = ax_fail(AX_ERR_FORMAT, "%s: %lld bytes, more than the %zu this reader takes", path, (long long)st.st_size,
                    max_bytes);
    else if (!(*out = ax_alloc(size + 1)))
        s = ax_fail(AX_ERR_NOMEM, "%s: cannot hold %zu bytes", path, size);
    size_t got = 0;
    while (s == AX_OK && got < size) {
        ssize_t r = read(fd, *out + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            s = ax_fail(AX_ERR_IO, "%s: read error after %zu of %zu bytes: %s", path, got, size,
                        r < 0 ? strerror(errno) : "the file shrank");
        else
            got += (size_t)r;
    }
    close(fd);
    if (s != AX_OK) {
        ax_free(*out);
        *out = NULL;
        return s;
    }
    (*out)[size] = '\0';
    *len = size;
    return AX_OK;
}

ax_status ax_make_dirs(const char *path)
{
    char p[4096];
    if (!path || !*path || strlen(path) >= sizeof p)
        return ax_fail(AX_ERR_INVALID_ARG, "make folder: needs a path shorter than %zu bytes", sizeof p);
    snprintf(p, sizeof p, "%s", path);
    for (char *c = p + 1;; c++) {
        const int end = *c == '\0';
        if (*c == '/' || end) {
            *c = '\0';
            struct stat st;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                return ax_fail(AX_ERR_IO, "%s: cannot create the folder: %s", p, strerror(errno));
            if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))
                return ax_fail(AX_ERR_IO, "%s: exists and is not a folder", p);
            if (end)
                break;
            *c = '/';
        }
    }
    return AX_OK;
}
