/* CSV tables, read the ways the axon program reads them. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".csv");
    const ax_csv_options ways[] = {
        {.header = -1},
        {.header = -1, .features_only = 1},
        {.header = 1, .label = "0", .n_classes = 3},
        {.header = -1, .targets = "1,2"},
        {.header = 0, .delimiter = ';'},
        {.header = -1, .columns = "2,0", .features_only = 1},
        {.header = 1, .columns = "a,1", .targets = "a"},
    };
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        ax_dataset *ds = NULL;
        if (ax_dataset_load_csv(p, &ways[i], &ds) == AX_OK)
            ax_dataset_free(ds);
    }
    return 0;
}
