/* The arena a spec's model needs at a batch size: compiled for training
 * (every activation, gradient and scratch buffer its own) and for
 * inference (buffers shared by liveness).
 *   bench_arena SPEC [BATCH=256] */
#include <axon.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_arena SPEC [BATCH]\n");
        return 2;
    }
    const long batch = argc > 2 ? strtol(argv[2], NULL, 10) : 256;
    char *text = NULL;
    size_t len;
    ax_spec sp;
    if (ax_read_file(argv[1], 1 << 20, &text, &len) != AX_OK || ax_spec_build(text, argv[1], batch, 1, &sp) != AX_OK) {
        fprintf(stderr, "bench_arena: %s\n", ax_last_error());
        return 1;
    }
    const size_t training = ax_graph_arena_bytes(sp.graph);
    ax_node *keep[2] = {sp.output, sp.loss};
    if (ax_graph_compile_inference(sp.graph, keep, 2) != AX_OK) {
        fprintf(stderr, "bench_arena: %s\n", ax_last_error());
        return 1;
    }
    const size_t inference = ax_graph_arena_bytes(sp.graph);
    printf("%s batch %ld: arena %.1f MB for training, %.1f MB for inference (%.1fx smaller); parameters %.2f MB\n",
           argv[1], batch, training / 1e6, inference / 1e6, (double)training / (double)inference,
           ax_graph_param_count(sp.graph) * 4 / 1e6);
    ax_graph_free(sp.graph);
    ax_free(text);
    return 0;
}
