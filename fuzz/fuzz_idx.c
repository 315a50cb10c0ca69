/* IDX files, plain or gzipped; and an images-and-labels pair made into a
 * data set (the first byte says where the input splits into the two). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".idx");
    ax_idx *idx = NULL;
    if (ax_idx_read(p, &idx) == AX_OK)
        ax_idx_free(idx);
    if (size < 2)
        return 0;
    const size_t split = 1 + (size_t)data[0] * (size - 1) / 255;
    char images[256], labels[256];
    snprintf(images, sizeof images, "%s.images", p);
    snprintf(labels, sizeof labels, "%s.labels", p);
    fuzz_write(images, data + 1, split - 1);
    fuzz_write(labels, data + split, size - split);
    ax_dataset *ds = NULL;
    if (ax_dataset_load_idx(images, labels, 0, &ds) == AX_OK)
        ax_dataset_free(ds);
    unlink(images);
    unlink(labels);
    return 0;
}
