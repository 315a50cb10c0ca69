/* axon data: IDX files, in-memory data sets and mini-batches. */
#ifndef AXON_DATA_H
#define AXON_DATA_H

#include "axon/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* IDX element types (the third byte of the magic number). */
typedef enum ax_idx_type {
    AX_IDX_U8 = 0x08,
    AX_IDX_I8 = 0x09,
    AX_IDX_I16 = 0x0B,
    AX_IDX_I32 = 0x0C,
    AX_IDX_F32 = 0x0D,
    AX_IDX_F64 = 0x0E
} ax_idx_type;

/* An IDX file in memory. Multi-byte elements are converted from the
 * file's big-endian order to the host's. */
typedef struct ax_idx {
    ax_idx_type type;
    int ndim;
    int64_t dim[AX_MAX_DIMS];
    int64_t count;     /* elements: product of dim */
    size_t elem_size;  /* bytes per element */
    void *data;
} ax_idx;

/* Read an IDX file, plain or gzip-compressed (detected from its content).
 * Validates the magic number, the element type, the dimensions and that
 * the data is exactly as long as they say; errors name the file, the byte
 * offset and what was expected. */
ax_status ax_idx_read(const char *path, ax_idx **out);
void ax_idx_free(ax_idx *idx);

/* A labelled data set kept as bytes (images stay uint8; batches are
 * converted to float, scaled, when they are made). */
typedef struct ax_dataset {
    int64_t n;                          /* samples */
    int sample_ndim;
    int64_t sample_shape[AX_MAX_DIMS];  /* e.g. {28, 28} */
    int64_t sample_size;                /* values per sample */
    uint8_t *x;                         /* n * sample_size bytes */
    float scale;                        /* float value = byte * scale */
    int32_t *labels;                    /* n class indices in 0..n_classes-1 */
    int n_classes;
} ax_dataset;

/* Pair an images file ([N, ...] unsigned bytes) and a labels file ([N]
 * unsigned bytes). n_classes > 0 checks each label is below it; 0 takes
 * the largest label + 1. Values are scaled by 1/255. */
ax_status ax_dataset_load_idx(const char *images_path, const char *labels_path, int n_classes,
                              ax_dataset **out);
/* A data set over copies of the given bytes and labels. */
ax_status ax_dataset_from_memory(const uint8_t *x, const int32_t *labels, int64_t n,
                                 const int64_t *sample_shape, int sample_ndim, int n_classes,
                                 float scale, ax_dataset **out);
/* Fashion-MNIST (Xiao et al. 2017) from the four gzipped IDX files in dir
 * (NULL: AX_FASHION_MNIST_DIR, where Debian's dataset-fashion-mnist puts
 * them): the 60,000 training images when train is 1, the 10,000 test
 * images when 0; 10 classes, 28x28, scaled to [0, 1]. */
#define AX_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
ax_status ax_dataset_fashion_mnist(const char *dir, int train, ax_dataset **out);

/* Split ds at random into a training and a held-out set, held_out being
 * the held-out fraction in (0, 1); stratified keeps each class's
 * proportion (to within one sample per class). Both are new data sets. */
ax_status ax_dataset_split(const ax_dataset *ds, double held_out, int stratified, uint64_t seed,
                           ax_dataset **train, ax_dataset **val);

/* The first min(n, ds->n) samples, as a new data set. */
ax_status ax_dataset_head(const ax_dataset *ds, int64_t n, ax_dataset **out);
void ax_dataset_free(ax_dataset *ds);

/* Mini-batches over a data set, in a fresh random order each epoch when
 * shuffling (from the seeded stream), the last batch short when the data
 * does not divide evenly. */
typedef struct ax_batcher ax_batcher;

ax_status ax_batcher_new(const ax_dataset *ds, int64_t batch_size, int shuffle, uint64_t seed,
                         ax_batcher **out);
void ax_batcher_free(ax_batcher *b);
/* Start an epoch (reshuffles when shuffling). */
void ax_batcher_start_epoch(ax_batcher *b);
int64_t ax_batcher_num_batches(const ax_batcher *b);
/* Write the next batch: x gets rows * sample_size floats, labels gets rows
 * class indices as floats. Returns the rows written, 0 at the epoch's end. */
int64_t ax_batcher_next(ax_batcher *b, float *x, float *labels);

#ifdef __cplusplus
}
#endif
#endif
