/* Training-state files: the weights, the optimizer's arrays and scalars,
 * the random stream and the epoch count, checked before anything is set. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = fuzz_file(data, size, ".state");
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 1, 1);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(1, 4));
    ax_dense(g, x, 2, NULL, AX_DEFAULT_INIT, &rng, "fc");
    ax_optimizer *opt = NULL;
    if (ax_graph_compile(g) == AX_OK && ax_optimizer_new("adam", NULL, &opt) == AX_OK &&
        ax_optimizer_add_graph(opt, g) == AX_OK) {
        int done;
        (void)ax_load_training_state(p, g, opt, &done);
    }
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 0;
}
