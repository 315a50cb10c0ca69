/* Image folders: one class folder holding the input as a PNG, and as a
 * JPEG (stb decodes by content, whatever the name). */
#include "fuzz.h"

#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char dir[256], file[320];
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/axon-fuzz-images-%ld", tmp, (long)getpid());
    snprintf(file, sizeof file, "%s/cls", dir);
    mkdir(dir, 0755);
    mkdir(file, 0755);
    snprintf(file, sizeof file, "%s/cls/a.png", dir);
    fuzz_write(file, data, size);
    ax_dataset *ds = NULL;
    if (ax_dataset_load_images(dir, NULL, &ds) == AX_OK)
        ax_dataset_free(ds);
    return 0;
}
