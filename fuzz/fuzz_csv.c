/* CSV tables, read the ways the axon program reads them; and named parts
 * (several inputs and heads): the input's first line is the parts' text,
 * the rest the table, besides fixed parts over the whole input. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl && nl - data < 512) {
        char fields[512];
        memcpy(fields, data, (size_t)(nl - data));
        fields[nl - data] = '\0';
        const char *p = fuzz_file(nl + 1, size - (size_t)(nl - data) - 1, ".csv");
        ax_dataset *ds = NULL;
        if (ax_dataset_load_csv(p, &(ax_csv_options){.header = -1, .fields = fields}, &ds) == AX_OK)
            ax_dataset_free(ds);
    }
    const char *p = fuzz_file(data, size, ".csv");
    const ax_csv_options ways[] = {
        {.header = -1},
        {.header = -1, .features_only = 1},
        {.header = 1, .label = "0", .n_classes = 3},
        {.header = -1, .targets = "1,2"},
        {.header = 0, .delimiter = ';'},
        {.header = -1, .columns = "2,0", .features_only = 1},
        {.header = 1, .columns = "a,1", .targets = "a"},
        {.header = -1, .fields = "input.a=0,1:input.b=1,2:label.k=3:target.t=4,5"},
        {.header = 1, .fields = "input.x=a,b:target.y=c"},
    };
    for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
        ax_dataset *ds = NULL;
        if (ax_dataset_load_csv(p, &ways[i], &ds) == AX_OK)
            ax_dataset_free(ds);
    }
    return 0;
}
