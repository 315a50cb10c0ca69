/* Training-state files: the weights, the optimizer's arrays and scalars,
 * the random stream and the epoch count, checked before anything is set. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".state");
    ax_graph *g = fuzz_model();
    ax_optimizer *opt = NULL;
    if (g && ax_optimizer_new("adam", NULL, &opt) == AX_OK && ax_optimizer_add_graph(opt, g) == AX_OK) {
        int done;
        (void)ax_load_training_state(p, g, opt, &done);
    }
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 0;
}
