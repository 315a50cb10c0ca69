/* Image folders: DIR/<class>/<image>, one sub-folder per class (classes
 * in name order are 0, 1, ...), PNG, JPEG or BMP read by stb_image,
 * grayscale or RGB, all one size or resized to one (stb_image_resize).
 * Stored as bytes [C, H, W] per image. */
#include "axon/data.h"

#include <dirent.h>
#include <errno.h>
#include <stb_image.h>
#include <stb_image_resize.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* The most pixels one image may have (4 megapixels: resize larger ones
 * first; a few header bytes must not make the decoder fill gigabytes). */
#define IMAGE_MAX_PIXELS ((int64_t)1 << 22)

typedef struct names {
    char **v;
    int n, cap;
} names;

static void names_free(names *s)
{
    for (int i = 0; i < s->n; i++)
        ax_free(s->v[i]);
    ax_free(s->v);
}

static int names_add(names *s, const char *name)
{
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        char **v = ax_alloc((size_t)cap * sizeof *v);
        if (!v)
            return 0;
        if (s->n)
            memcpy(v, s->v, (size_t)s->n * sizeof *v);
        ax_free(s->v);
        s->v = v, s->cap = cap;
    }
    size_t len = strlen(name) + 1;
    if (!(s->v[s->n] = ax_alloc(len)))
        return 0;
    memcpy(s->v[s->n++], name, len);
    return 1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_image_name(const char *n)
{
    const char *dot = strrchr(n, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
                   !strcasecmp(dot, ".bmp"));
}

/* Entries of a folder: sub-folders (want_dirs) or image files, sorted. */
static ax_status list(const char *dir, int want_dirs, names *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return ax_fail(AX_ERR_IO, "%s: cannot open the folder: %s", dir, strerror(errno));
    ax_status s = AX_OK;
    for (struct dirent *e; s == AX_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0)
            continue;
        int keep = want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode) && is_image_name(e->d_name);
        if (keep && !names_add(out, e->d_name))
            s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", dir);
    }
    closedir(d);
    if (s == AX_OK && out->n > 1)
        qsort(out->v, (size_t)out->n, sizeof *out->v, by_name);
    return s;
}

ax_status ax_dataset_load_images(const char *dir, const ax_image_options *options, ax_dataset **out)
{
    *out = NULL;
    ax_image_options o = options ? *options : (ax_image_options){0, 0, 0};
    if (o.channels != 0 && o.channels != 1 && o.channels != 3)
        return ax_fail(AX_ERR_INVALID_ARG, "images: channels must be 1 (grayscale), 3 (RGB) or 0 (as the first image)");
    if ((o.height > 0) != (o.width > 0) || o.height < 0 || o.width < 0)
        return ax_fail(AX_ERR_INVALID_ARG, "images: give both a height and a width to resize to, or neither");
    names classes = {0}, files = {0};
    ax_status s = list(dir, 1, &classes);
    if (s == AX_OK && classes.n < 1)
        s = ax_fail(AX_ERR_FORMAT, "%s: no class folders (expected DIR/<class>/<image files>)", dir);
    /* first pass: count */
    int64_t total = 0;
    for (int c = 0; s == AX_OK && c < classes.n; c++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, classes.v[c]);
        names f = {0};
        s = list(sub, 0, &f);
        if (s == AX_OK && f.n == 0)
            s = ax_fail(AX_ERR_FORMAT, "%s: no PNG, JPEG or BMP images in class folder '%s'", sub, classes.v[c]);
        total += f.n;
        names_free(&f);
    }
    uint8_t *pixels = NULL;
    int32_t *labels = NULL;
    int64_t c_ch = o.channels, h = o.height, w = o.width, at = 0;
    char first[8192] = "";
    for (int c = 0; s == AX_OK && c < classes.n; c++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, classes.v[c]);
        names_free(&files);
        files = (names){0};
        s = list(sub, 0, &files);
        for (int i = 0; s == AX_OK && i < files.n; i++) {
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", sub, files.v[i]);
            int iw, ih, ic;
            if (!stbi_info(path, &iw, &ih, &ic)) {
                s = ax_fail(AX_ERR_FORMAT, "%s: not an image stb_image can read (%s)", path, stbi_failure_reason());
                break;
            }
            /* the header's size, checked before decoding: a few bytes can
             * claim a picture of gigabytes */
            if ((int64_t)iw * ih > IMAGE_MAX_PIXELS) {
                s = ax_fail(AX_ERR_FORMAT, "%s: %dx%d pixels, more than an image axon reads (%lld)", path, iw, ih,
                            (long long)IMAGE_MAX_PIXELS);
                break;
            }
            if (c_ch == 0)
                c_ch = ic >= 3 ? 3 : 1; /* as the first image: colour or not */
            unsigned char *img = stbi_load(path, &iw, &ih, &ic, (int)c_ch);
            if (!img) {
                s = ax_fail(AX_ERR_FORMAT, "%s: cannot decode: %s", path, stbi_failure_reason());
                break;
            }
            if (h == 0) { /* the first image sets the size */
                h = ih, w = iw;
                snprintf(first, sizeof first, "%s", path);
            }
            if (!pixels) {
                pixels = ax_alloc((size_t)(total * c_ch * h * w));
                labels = ax_alloc((size_t)total * sizeof(int32_t));
                if (!pixels || !labels) {
                    stbi_image_free(img);
                    s = ax_fail(AX_ERR_NOMEM, "%s: cannot hold %lld images of %lldx%lldx%lld", dir, (long long)total,
                                (long long)c_ch, (long long)h, (long long)w);
                    break;
                }
            }
            unsigned char *sized = img;
            if (ih != h || iw != w) {
                if (o.height == 0) {
                    stbi_image_free(img);
                    s = ax_fail(AX_ERR_FORMAT, "%s: %dx%d pixels, expected %lldx%lld like %s (give a size to resize to)",
                                path, iw, ih, (long long)w, (long long)h, first);
                    break;
                }
                sized = ax_alloc((size_t)(h * w * c_ch));
                if (!sized || !stbir_resize_uint8(img, iw, ih, 0, sized, (int)w, (int)h, 0, (int)c_ch)) {
                    ax_free(sized);
                    stbi_image_free(img);
                    s = ax_fail(AX_ERR_NOMEM, "%s: cannot resize", path);
                    break;
                }
            }
            /* interleaved [H, W, C] -> planes [C, H, W] */
            uint8_t *dst = pixels + at * c_ch * h * w;
            for (int64_t y = 0; y < h; y++)
                for (int64_t x = 0; x < w; x++)
                    for (int64_t k = 0; k < c_ch; k++)
                        dst[(k * h + y) * w + x] = sized[(y * w + x) * c_ch + k];
            labels[at++] = c;
            if (sized != img)
                ax_free(sized);
            stbi_image_free(img);
        }
    }
    if (s == AX_OK) {
        const int64_t shape[3] = {c_ch, h, w};
        s = ax_dataset_from_memory(pixels, labels, total, c_ch == 1 ? shape + 1 : shape, c_ch == 1 ? 2 : 3,
                                   classes.n, 1.0f / 255.0f, out);
    }
    ax_free(pixels);
    ax_free(labels);
    names_free(&files);
    names_free(&classes);
    return s;
}
