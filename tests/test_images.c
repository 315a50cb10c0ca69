/* Image folders: classes from sub-folders, PNG/BMP/JPEG, grayscale and
 * RGB, one size or resized, and the errors. Fixtures are written here with
 * stb_image_write. */
#include "test.h"

#include <stb_image_write.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void path_of(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", dir, rel);
}

/* A w x h RGB image whose pixel (x, y) is (10 x + k, 20 y + k, 7 k + 1). */
static void write_rgb(const char *rel, int w, int h, int k, char kind)
{
    unsigned char px[3 * 64 * 64];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            px[3 * (y * w + x)] = (unsigned char)(10 * x + k);
            px[3 * (y * w + x) + 1] = (unsigned char)(20 * y + k);
            px[3 * (y * w + x) + 2] = (unsigned char)(7 * k + 1);
        }
    char p[256];
    path_of(p, sizeof p, rel);
    int ok = kind == 'p' ? stbi_write_png(p, w, h, 3, px, w * 3)
           : kind == 'b' ? stbi_write_bmp(p, w, h, 3, px)
                         : stbi_write_jpg(p, w, h, 3, px, 100);
    CHECK(ok != 0);
}

static void mkdirs(const char *rel)
{
    char p[256];
    path_of(p, sizeof p, rel);
    mkdir(p, 0755);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/axon-img-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    mkdirs("set");
    mkdirs("set/cats");
    mkdirs("set/dogs");
    write_rgb("set/cats/a.png", 4, 3, 1, 'p');
    write_rgb("set/cats/b.bmp", 4, 3, 2, 'b');
    write_rgb("set/dogs/c.png", 4, 3, 3, 'p');
    write_rgb("set/dogs/d.png", 4, 3, 4, 'p');
}

static void reads_classes_in_rgb_and_gray(void)
{
    setup();
    char p[256];
    path_of(p, sizeof p, "set");
    ax_dataset *ds;
    CHECK_OK(ax_dataset_load_images(p, &(ax_image_options){3, 0, 0}, &ds));
    if (!ds)
        return;
    CHECK(ds->n == 4 && ds->n_classes == 2 && ds->sample_ndim == 3);
    CHECK(ds->sample_shape[0] == 3 && ds->sample_shape[1] == 3 && ds->sample_shape[2] == 4);
    CHECK(ds->labels[0] == 0 && ds->labels[1] == 0 && ds->labels[2] == 1 && ds->labels[3] == 1);
    /* image 1 (b.bmp, k = 2): red plane at (x = 3, y = 2) is 32, green 42, blue 15 */
    const uint8_t *img = ds->x + 1 * 36;
    CHECK(img[0 * 12 + 2 * 4 + 3] == 32 && img[1 * 12 + 2 * 4 + 3] == 42 && img[2 * 12 + 2 * 4 + 3] == 15);
    ax_dataset_free(ds);
    CHECK_OK(ax_dataset_load_images(p, &(ax_image_options){1, 0, 0}, &ds));
    if (ds) {
        CHECK(ds->sample_ndim == 2 && ds->sample_size == 12);
        /* stb's luminance: (77 r + 150 g + 29 b) >> 8 of pixel (0, 0) of a.png: (1, 1, 8) */
        CHECK(ds->x[0] == (77 * 1 + 150 * 1 + 29 * 8) >> 8);
        ax_dataset_free(ds);
    }
}

static void sizes_must_agree_or_be_resized(void)
{
    setup();
    write_rgb("set/dogs/e.png", 6, 5, 5, 'p');
    write_rgb("set/dogs/f.jpg", 4, 3, 6, 'j');
    char p[256];
    path_of(p, sizeof p, "set");
    ax_dataset *ds;
    CHECK_ERR(ax_dataset_load_images(p, NULL, &ds), AX_ERR_FORMAT, "e.png: 6x5 pixels, expected 4x3 like");
    CHECK_OK(ax_dataset_load_images(p, &(ax_image_options){3, 8, 8}, &ds));
    if (ds) {
        CHECK(ds->n == 6 && ds->sample_shape[1] == 8 && ds->sample_shape[2] == 8);
        ax_dataset_free(ds);
    }
}

static void bad_folders_and_files(void)
{
    setup();
    char p[256];
    path_of(p, sizeof p, "set/cats/broken.png");
    FILE *f = fopen(p, "w");
    fputs("not a png", f);
    fclose(f);
    path_of(p, sizeof p, "set");
    ax_dataset *ds;
    CHECK_ERR(ax_dataset_load_images(p, NULL, &ds), AX_ERR_FORMAT, "broken.png: not an image stb_image can read");
    mkdirs("empty");
    mkdirs("empty_class");
    mkdirs("empty_class/none");
    path_of(p, sizeof p, "empty");
    CHECK_ERR(ax_dataset_load_images(p, NULL, &ds), AX_ERR_FORMAT, "no class folders");
    path_of(p, sizeof p, "empty_class");
    CHECK_ERR(ax_dataset_load_images(p, NULL, &ds), AX_ERR_FORMAT, "no PNG, JPEG or BMP images in class folder 'none'");
    CHECK_ERR(ax_dataset_load_images("/nonexistent", NULL, &ds), AX_ERR_IO, "/nonexistent: cannot open the folder");
    CHECK_ERR(ax_dataset_load_images(p, &(ax_image_options){2, 0, 0}, &ds), AX_ERR_INVALID_ARG, "channels must be");
}

TEST_MAIN(T(reads_classes_in_rgb_and_gray), T(sizes_must_agree_or_be_resized), T(bad_folders_and_files))
