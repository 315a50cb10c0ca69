/* The IDX file format (LeCun et al., as used by MNIST and Fashion-MNIST):
 *   bytes 0-1  zero
 *   byte  2    element type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)
 *   byte  3    number of dimensions
 *   then one big-endian uint32 per dimension, then the data, big-endian.
 * gzip-compressed files are read through zlib (gzread also reads plain
 * files unchanged). */
#include "axon/data.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Refuse files claiming more data than this: a corrupt header must not
 * make us allocate terabytes. 16 GiB is far above any real IDX file. */
#define IDX_MAX_BYTES ((uint64_t)16 << 30)

static size_t type_size(int type)
{
    switch (type) {
    case AX_IDX_U8: case AX_IDX_I8: return 1;
    case AX_IDX_I16: return 2;
    case AX_IDX_I32: case AX_IDX_F32: return 4;
    case AX_IDX_F64: return 8;
    default: return 0;
    }
}

/* Read up to len bytes; returns the count read, or -1 on a read error. */
static int64_t read_some(gzFile f, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        unsigned chunk = len - got > (1u << 30) ? (1u << 30) : (unsigned)(len - got);
        int r = gzread(f, (char *)buf + got, chunk);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (int64_t)got;
}

static ax_status read_error(const char *path, gzFile f, uint64_t offset)
{
    int zerr = 0;
    const char *msg = gzerror(f, &zerr);
    return ax_fail(AX_ERR_IO, "%s: read error at byte %llu: %s", path, (unsigned long long)offset,
                   zerr == Z_ERRNO ? strerror(errno) : msg);
}

static void to_host_order(void *data, int64_t count, size_t size)
{
    unsigned char *p = data;
    if (size == 1)
        return;
    for (int64_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

ax_status ax_idx_read(const char *path, ax_idx **out)
{
    *out = NULL;
    ax_status reg = ax_check_regular_file(path);
    if (reg != AX_OK)
        return reg;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return ax_fail(AX_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    ax_status s = AX_OK;
    ax_idx *idx = NULL;
    unsigned char head[4];
    int64_t got = read_some(f, head, 4);
    if (got < 0) {
        s = read_error(path, f, 0);
        goto done;
    }
    if (got < 4) {
        s = ax_fail(AX_ERR_FORMAT, "%s: truncated at byte %lld: expected a 4-byte IDX magic number",
                    path, (long long)got);
        goto done;
    }
    if (head[0] != 0 || head[1] != 0) {
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: byte 0: magic number starts 0x%02x%02x, expected 0x0000 (not an IDX file)",
                    path, head[0], head[1]);
        goto done;
    }
    size_t esize = type_size(head[2]);
    if (!esize) {
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: byte 2: element type 0x%02x is not an IDX type (expected 0x08, 0x09, 0x0B, "
                    "0x0C, 0x0D or 0x0E)",
                    path, head[2]);
        goto done;
    }
    int ndim = head[3];
    if (ndim < 1 || ndim > AX_MAX_DIMS) {
        s = ax_fail(AX_ERR_FORMAT, "%s: byte 3: %d dimensions, expected 1..%d", path, ndim,
                    AX_MAX_DIMS);
        goto done;
    }
    idx = ax_calloc(1, sizeof *idx);
    if (!idx) {
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    idx->type = (ax_idx_type)head[2];
    idx->ndim = ndim;
    idx->elem_size = esize;
    unsigned char dims[4 * AX_MAX_DIMS];
    got = read_some(f, dims, 4 * (size_t)ndim);
    if (got < 0) {
        s = read_error(path, f, 4);
        goto done;
    }
    if (got < 4 * ndim) {
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: truncated at byte %lld: expected %d dimension sizes (header of %d bytes)",
                    path, (long long)(4 + got), ndim, 4 + 4 * ndim);
        goto done;
    }
    uint64_t count = 1;
    for (int i = 0; i < ndim; i++) {
        uint32_t d = (uint32_t)dims[4 * i] << 24 | (uint32_t)dims[4 * i + 1] << 16 |
                     (uint32_t)dims[4 * i + 2] << 8 | dims[4 * i + 3];
        if (d == 0) {
            s = ax_fail(AX_ERR_FORMAT, "%s: byte %d: dimension %d is 0, expected a positive size",
                        path, 4 + 4 * i, i);
            goto done;
        }
        idx->dim[i] = d;
        /* checked before multiplying: the product of four 32-bit sizes
         * wraps past 2^64 and would pass for a small tensor */
        if (d > IDX_MAX_BYTES / esize / count) {
            s = ax_fail(AX_ERR_FORMAT, "%s: byte %d: dimensions claim more than %llu bytes of data",
                        path, 4 + 4 * i, (unsigned long long)IDX_MAX_BYTES);
            goto done;
        }
        count *= d;
    }
    idx->count = (int64_t)count;
    size_t header = 4 + 4 * (size_t)ndim;
    size_t want = (size_t)count * esize;
    /* Grow the buffer as data arrives, so a lying header costs only what
     * the file really holds. */
    size_t cap = want < (1u << 20) ? want : (1u << 20), have = 0;
    unsigned char *buf = ax_alloc(cap);
    while (buf) {
        got = read_some(f, buf + have, cap - have);
        if (got < 0) {
            ax_free(buf);
            s = read_error(path, f, header + have);
            goto done;
        }
        have += (size_t)got;
        if (have < cap || cap == want)
            break;
        size_t ncap = cap * 2 < want ? cap * 2 : want;
        unsigned char *nb = ax_realloc(buf, ncap); /* grows in place: no second copy at the peak */
        if (!nb)
            ax_free(buf);
        buf = nb;
        cap = ncap;
    }
    if (!buf) {
        s = ax_fail(AX_ERR_NOMEM, "%s: cannot allocate %zu bytes of data", path, want);
        goto done;
    }
    idx->data = buf;
    if (have < want) {
        char shape[128];
        ax_shape sh = {ndim, {0}};
        for (int i = 0; i < ndim; i++)
            sh.dim[i] = idx->dim[i];
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: truncated at byte %zu: the header (%zu bytes) promises %s elements of %zu "
                    "byte(s), %zu bytes of data, but the file ends after %zu",
                    path, header + have, header, ax_shape_str(&sh, shape, sizeof shape), esize,
                    want, have);
        goto done;
    }
    unsigned char extra;
    got = read_some(f, &extra, 1);
    if (got < 0) {
        s = read_error(path, f, header + want);
        goto done;
    }
    if (got > 0) {
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: byte %zu: unexpected data after the end (the header promises %zu bytes in all)",
                    path, header + want, header + want);
        goto done;
    }
    to_host_order(idx->data, idx->count, esize);
done:
    gzclose(f);
    if (s != AX_OK) {
        ax_idx_free(idx);
        return s;
    }
    *out = idx;
    return AX_OK;
}

void ax_idx_free(ax_idx *idx)
{
    if (!idx)
        return;
    ax_free(idx->data);
    ax_free(idx);
}
