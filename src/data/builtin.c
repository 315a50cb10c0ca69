/* Data sets axon knows by name. */
#include "axon/data.h"

#include <stdio.h>

ax_status ax_dataset_fashion_mnist(const char *dir, int train, ax_dataset **out)
{
    char images[4096], labels[4096];
    const char *prefix = train ? "train" : "t10k";
    if (!dir)
        dir = AX_FASHION_MNIST_DIR;
    snprintf(images, sizeof images, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    snprintf(labels, sizeof labels, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    return ax_dataset_load_idx(images, labels, 10, out);
}

ax_status ax_dataset_synthetic(int64_t n, int n_classes, int64_t features, uint64_t seed, ax_dataset **out)
{
    *out = NULL;
    if (n < 1 || n_classes < 2 || features < 1 || n > (1 << 24) || features > 4096)
        return ax_fail(AX_ERR_INVALID_ARG, "synthetic: needs n in 1..2^24, 2+ classes and 1..4096 features");
    float *x = ax_alloc((size_t)(n * features) * sizeof(float)), *centre = ax_alloc((size_t)(n_classes * features) * sizeof(float));
    int32_t *y = ax_alloc((size_t)n * sizeof(int32_t));
    ax_status s = AX_OK;
    if (!x || !centre || !y)
        s = ax_fail(AX_ERR_NOMEM, "synthetic: out of memory");
    /* the class centres depend on the problem's size only, so sets drawn
     * with different seeds (training and test) share them */
    ax_rng rng;
    ax_rng_seed(&rng, (uint64_t)n_classes * 4099u + (uint64_t)features, 0xce47);
    for (int64_t i = 0; s == AX_OK && i < n_classes * features; i++)
        centre[i] = 2.0f * ax_rng_normal(&rng);
    ax_rng_seed(&rng, seed, 0x5e7);
    for (int64_t i = 0; s == AX_OK && i < n; i++) {
        y[i] = (int32_t)ax_rng_below(&rng, (uint32_t)n_classes);
        for (int64_t k = 0; k < features; k++)
            x[i * features + k] = centre[y[i] * features + k] + ax_rng_normal(&rng);
    }
    if (s == AX_OK)
        s = ax_dataset_from_floats(x, n, features, y, n_classes, NULL, 0, out);
    ax_free(x);
    ax_free(centre);
    ax_free(y);
    return s;
}
