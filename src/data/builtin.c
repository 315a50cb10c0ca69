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
