/* IDX files, plain or gzipped. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".idx");
    ax_idx *idx = NULL;
    if (ax_idx_read(p, &idx) == AX_OK)
        ax_idx_free(idx);
    return 0;
}
