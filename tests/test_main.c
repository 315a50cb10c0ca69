#include "test.h"

#include <stdlib.h>
#include <unistd.h>

int test_failures;

void check_no_sanitizer_report(const char *output, const char *command)
{
    if (strstr(output, "Sanitizer") || strstr(output, "runtime error:")) {
        printf("  a sanitizer report from '%s':\n%s\n", command, output);
        test_failures++;
    }
}

const char *test_dir(void)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/axon-test-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return dir;
}

const char *test_write_file(const char *name, const char *text)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", test_dir(), name);
    FILE *f = fopen(p[k], "wb");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(p[k]);
        exit(1);
    }
    return p[k];
}

int test_main(const test_case *tests, int n)
{
    int passed = 0, failed = 0;
    ax_set_num_threads(getenv("AXON_TEST_THREADS") ? atoi(getenv("AXON_TEST_THREADS")) : 2);
    for (int i = 0; i < n; i++) {
        test_failures = 0;
        tests[i].fn();
        if (test_failures) {
            failed++;
            printf("FAIL %s (%d checks)\n", tests[i].name, test_failures);
        } else {
            passed++;
            printf("ok   %s\n", tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

ax_dataset *test_blobs(int n, uint64_t seed)
{
    ax_rng r;
    ax_rng_seed(&r, seed, 11);
    uint8_t *x = malloc((size_t)n * 12);
    int32_t *y = malloc((size_t)n * sizeof *y);
    for (int i = 0; i < n; i++) {
        y[i] = (int32_t)ax_rng_below(&r, 4);
        for (int k = 0; k < 12; k++) {
            float v = (k / 3 == y[i] ? 170.0f : 70.0f) + 40.0f * ax_rng_normal(&r);
            x[i * 12 + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
    ax_dataset *ds = NULL;
    ax_dataset_from_memory(x, y, n, (int64_t[]){12}, 1, 4, 1.0f / 255, &ds);
    free(x);
    free(y);
    return ds;
}
