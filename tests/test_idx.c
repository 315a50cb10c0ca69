/* The IDX reader and IDX data sets: good files of each type, plain and
 * gzip, and every way a file can be wrong, each with its message. */
#include "test.h"

#include <unistd.h>
#include <zlib.h>

static char dir[64];

static const char *path(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_bytes(const char *name, const void *bytes, size_t n)
{
    FILE *f = fopen(path(name), "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
}

static void write_gz(const char *name, const void *bytes, size_t n)
{
    gzFile f = gzopen(path(name), "wb");
    gzwrite(f, bytes, (unsigned)n);
    gzclose(f);
}

/* An IDX header for type and dims into buf; returns its length. */
static size_t header(unsigned char *buf, int type, int ndim, const uint32_t *dims)
{
    buf[0] = buf[1] = 0;
    buf[2] = (unsigned char)type;
    buf[3] = (unsigned char)ndim;
    for (int i = 0; i < ndim; i++) {
        buf[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        buf[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        buf[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        buf[7 + 4 * i] = (unsigned char)dims[i];
    }
    return 4 + 4 * (size_t)ndim;
}

/* 5 images of 2x3 with pixel value 10*i + k, and their labels. */
static void write_good_pair(const char *images, const char *labels, int gz, const unsigned char *lab)
{
    unsigned char buf[64];
    size_t h = header(buf, 0x08, 3, (uint32_t[]){5, 2, 3});
    for (int i = 0; i < 30; i++)
        buf[h + i] = (unsigned char)(10 * (i / 6) + i % 6);
    (gz ? write_gz : write_bytes)(images, buf, h + 30);
    h = header(buf, 0x08, 1, (uint32_t[]){5});
    memcpy(buf + h, lab, 5);
    (gz ? write_gz : write_bytes)(labels, buf, h + 5);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/axon-idx-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
}

static void reads_plain_and_gzip(void)
{
    setup();
    for (int gz = 0; gz < 2; gz++) {
        write_good_pair("img", "lab", gz, (unsigned char[]){0, 1, 2, 1, 0});
        ax_idx *idx;
        CHECK_OK(ax_idx_read(path("img"), &idx));
        CHECK(idx->type == AX_IDX_U8 && idx->ndim == 3 && idx->count == 30);
        CHECK(idx->dim[0] == 5 && idx->dim[1] == 2 && idx->dim[2] == 3);
        CHECK(((unsigned char *)idx->data)[13] == 21);
        ax_idx_free(idx);
        ax_dataset *ds;
        CHECK_OK(ax_dataset_load_idx(path("img"), path("lab"), 0, &ds));
        CHECK(ds->n == 5 && ds->sample_size == 6 && ds->n_classes == 3);
        CHECK(ds->sample_ndim == 2 && ds->sample_shape[0] == 2 && ds->sample_shape[1] == 3);
        CHECK(ds->labels[3] == 1 && ds->x[6 * 4 + 5] == 45);
        ax_dataset_free(ds);
    }
}

static void converts_big_endian_types(void)
{
    setup();
    unsigned char buf[64];
    size_t h = header(buf, 0x0C, 1, (uint32_t[]){2});
    const unsigned char i32[8] = {0x00, 0x00, 0x01, 0x02, 0xFF, 0xFF, 0xFF, 0xFE}; /* 258, -2 */
    memcpy(buf + h, i32, 8);
    write_bytes("i32", buf, h + 8);
    ax_idx *idx;
    CHECK_OK(ax_idx_read(path("i32"), &idx));
    CHECK(idx->elem_size == 4 && ((int32_t *)idx->data)[0] == 258 && ((int32_t *)idx->data)[1] == -2);
    ax_idx_free(idx);
    h = header(buf, 0x0D, 1, (uint32_t[]){1});
    const unsigned char f32[4] = {0x3F, 0xC0, 0x00, 0x00}; /* 1.5f */
    memcpy(buf + h, f32, 4);
    write_bytes("f32", buf, h + 4);
    CHECK_OK(ax_idx_read(path("f32"), &idx));
    CHECK(((float *)idx->data)[0] == 1.5f);
    ax_idx_free(idx);
}

/* Reading `name` fails with status and a message naming the file and needle. */
static void expect_idx_error(const char *name, ax_status status, const char *needle)
{
    ax_idx *idx = (ax_idx *)1;
    CHECK_ERR(ax_idx_read(path(name), &idx), status, needle);
    CHECK(idx == NULL);
    CHECK(strstr(ax_last_error(), path(name)) != NULL);
}

static void malformed_files(void)
{
    setup();
    unsigned char buf[256];
    expect_idx_error("missing", AX_ERR_IO, "cannot open");

    write_bytes("short", "\0\0", 2);
    expect_idx_error("short", AX_ERR_FORMAT, "truncated at byte 2: expected a 4-byte IDX magic");

    size_t h = header(buf, 0x08, 1, (uint32_t[]){4});
    buf[0] = 0x1F;
    write_bytes("magic", buf, h + 4);
    expect_idx_error("magic", AX_ERR_FORMAT, "byte 0: magic number starts 0x1f00");

    h = header(buf, 0x07, 1, (uint32_t[]){4});
    write_bytes("type", buf, h + 4);
    expect_idx_error("type", AX_ERR_FORMAT, "byte 2: element type 0x07 is not an IDX type");

    h = header(buf, 0x08, 0, NULL);
    write_bytes("ndim", buf, h);
    expect_idx_error("ndim", AX_ERR_FORMAT, "byte 3: 0 dimensions");

    h = header(buf, 0x08, 3, (uint32_t[]){4, 5, 6});
    write_bytes("hdr", buf, 9);
    expect_idx_error("hdr", AX_ERR_FORMAT, "truncated at byte 9: expected 3 dimension sizes");

    h = header(buf, 0x08, 2, (uint32_t[]){4, 0});
    write_bytes("zero", buf, h);
    expect_idx_error("zero", AX_ERR_FORMAT, "byte 8: dimension 1 is 0");

    h = header(buf, 0x08, 3, (uint32_t[]){65535, 65535, 65535});
    write_bytes("huge", buf, h + 10);
    expect_idx_error("huge", AX_ERR_FORMAT, "claim more than");
    /* a product that wraps past 2^64 to a small number (it was taken as a
     * tiny tensor and training went on) */
    h = header(buf, 0x08, 4, (uint32_t[]){1, 2, 2147614724u, 4294705160u});
    write_bytes("wrap", buf, h + 16);
    expect_idx_error("wrap", AX_ERR_FORMAT, "claim more than");

    /* Data shorter than the header promises: plain and gzip. */
    h = header(buf, 0x08, 2, (uint32_t[]){10, 10});
    memset(buf + h, 7, 60);
    write_bytes("trunc", buf, h + 60);
    expect_idx_error("trunc", AX_ERR_FORMAT, "truncated at byte 72");
    CHECK(strstr(ax_last_error(), "100 bytes of data") != NULL);
    write_gz("trunc.gz", buf, h + 60);
    expect_idx_error("trunc.gz", AX_ERR_FORMAT, "truncated at byte 72");

    /* Data longer than promised. */
    write_bytes("long", buf, h + 101 > sizeof buf ? sizeof buf : h + 101);
    expect_idx_error("long", AX_ERR_FORMAT, "byte 112: unexpected data after the end");

    /* A damaged gzip stream. */
    write_gz("bad.gz", buf, h + 100);
    FILE *f = fopen(path("bad.gz"), "r+b");
    fseek(f, 12, SEEK_SET);
    fwrite("\xff\xff\xff\xff\xff\xff", 1, 6, f);
    fclose(f);
    ax_idx *idx;
    ax_status s = ax_idx_read(path("bad.gz"), &idx);
    CHECK(s == AX_ERR_IO || s == AX_ERR_FORMAT);
    CHECK(strstr(ax_last_error(), path("bad.gz")) != NULL);
}

static void mismatched_pairs(void)
{
    setup();
    unsigned char buf[64];
    /* mislabelled: a label outside the classes */
    write_good_pair("img", "lab", 0, (unsigned char[]){0, 1, 12, 1, 0});
    ax_dataset *ds = (ax_dataset *)1;
    CHECK_ERR(ax_dataset_load_idx(path("img"), path("lab"), 10, &ds), AX_ERR_FORMAT,
              "byte 10: label 12 of sample 2 is outside the 10 classes 0..9");
    CHECK(ds == NULL);
    /* mis-sized: 4 labels for 5 images */
    size_t h = header(buf, 0x08, 1, (uint32_t[]){4});
    write_bytes("lab4", buf, h + 4);
    CHECK_ERR(ax_dataset_load_idx(path("img"), path("lab4"), 10, &ds), AX_ERR_FORMAT,
              "4 labels, but");
    CHECK(strstr(ax_last_error(), "holds 5 images") != NULL);
    /* labels in 2 dimensions; images of the wrong type */
    h = header(buf, 0x08, 2, (uint32_t[]){5, 1});
    write_bytes("lab2d", buf, h + 5);
    CHECK_ERR(ax_dataset_load_idx(path("img"), path("lab2d"), 10, &ds), AX_ERR_FORMAT,
              "labels as unsigned bytes (type 0x08) in 1 dimension");
    h = header(buf, 0x0D, 2, (uint32_t[]){5, 1});
    write_bytes("imgf", buf, h + 20);
    CHECK_ERR(ax_dataset_load_idx(path("imgf"), path("lab"), 10, &ds), AX_ERR_FORMAT,
              "images as unsigned bytes");
}

static void real_fashion_mnist(void)
{
    const char *d = "/usr/share/datasets/fashion-mnist";
    char img[256], lab[256];
    snprintf(img, sizeof img, "%s/t10k-images-idx3-ubyte.gz", d);
    snprintf(lab, sizeof lab, "%s/t10k-labels-idx1-ubyte.gz", d);
    ax_dataset *ds;
    CHECK_OK(ax_dataset_load_idx(img, lab, 10, &ds));
    if (!ds)
        return;
    CHECK(ds->n == 10000 && ds->sample_size == 784 && ds->n_classes == 10);
    int counts[10] = {0};
    for (int64_t i = 0; i < ds->n; i++)
        counts[ds->labels[i]]++;
    for (int c = 0; c < 10; c++)
        CHECK(counts[c] == 1000); /* the test set is balanced */
    ax_dataset_free(ds);
}

static void batches_cover_each_epoch(void)
{
    uint8_t x[7 * 2];
    int32_t labels[7];
    for (int i = 0; i < 7; i++) {
        x[2 * i] = (uint8_t)i;
        x[2 * i + 1] = (uint8_t)(100 + i);
        labels[i] = i % 3;
    }
    ax_dataset *ds;
    CHECK_OK(ax_dataset_from_memory(x, labels, 7, (int64_t[]){2}, 1, 3, 0.5f, &ds));
    ax_batcher *b;
    CHECK_OK(ax_batcher_new(ds, 3, 1, 9, &b));
    CHECK(ax_batcher_num_batches(b) == 3);
    int first_order[7], order_changed = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
        int seen[7] = {0}, k = 0;
        float bx[6], bl[3];
        int64_t rows, sizes[4] = {0}, nb = 0;
        ax_batcher_start_epoch(b);
        while ((rows = ax_batcher_next(b, bx, bl)) > 0) {
            sizes[nb++] = rows;
            for (int r = 0; r < rows; r++) {
                int i = (int)(bx[2 * r] * 2.0f); /* undo the 0.5 scale */
                CHECK(bx[2 * r + 1] == 0.5f * (float)(100 + i));
                CHECK(bl[r] == (float)(i % 3));
                seen[i]++;
                if (epoch == 0)
                    first_order[k] = i;
                else
                    order_changed |= first_order[k] != i;
                k++;
            }
        }
        CHECK(nb == 3 && sizes[0] == 3 && sizes[1] == 3 && sizes[2] == 1); /* short last batch */
        for (int i = 0; i < 7; i++)
            CHECK(seen[i] == 1);
    }
    CHECK(order_changed); /* reshuffled */
    ax_batcher_free(b);
    ax_dataset_free(ds);
}

TEST_MAIN(T(reads_plain_and_gzip), T(converts_big_endian_types), T(malformed_files),
          T(mismatched_pairs), T(real_fashion_mnist), T(batches_cover_each_epoch))
