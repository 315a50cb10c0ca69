/* Inference planning: buffers shared by liveness give the same outputs as
 * the training plan in a fraction of the arena. */
#include "test.h"

static char *text_of(const char *path)
{
    char *t = NULL;
    size_t n;
    CHECK_OK(ax_read_file(path, 1 << 20, &t, &n));
    return t;
}

static ax_spec build(const char *spec_file, int64_t batch)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/specs/%s", getenv("AXON_SOURCE_DIR"), spec_file);
    char *t = text_of(path);
    ax_spec sp;
    CHECK_OK(ax_spec_build(t, path, batch, 7, &sp));
    ax_free(t);
    return sp;
}

static void same_outputs_in_a_smaller_arena(void)
{
    const char *specs[2] = {"fashion_cnn.spec", "fashion_mlp.spec"};
    for (int k = 0; k < 2; k++) {
        ax_spec a = build(specs[k], 64), b = build(specs[k], 64);
        const size_t trained = ax_graph_arena_bytes(a.graph);
        ax_node *keep[2] = {b.output, b.loss};
        CHECK_OK(ax_graph_compile_inference(b.graph, keep, 2));
        const size_t planned = ax_graph_arena_bytes(b.graph);
        printf("  %s, batch 64: arena %.2f MB training, %.2f MB inference (%.1fx)\n", specs[k], trained / 1e6,
               planned / 1e6, (double)trained / (double)planned);
        CHECK(planned * 2 <= trained);
        ax_rng rng;
        ax_rng_seed(&rng, 3, 3);
        float *xa = ax_node_data(a.input), *xb = ax_node_data(b.input);
        for (int64_t i = 0; i < ax_node_numel(a.input); i++)
            xa[i] = xb[i] = ax_rng_uniform(&rng);
        for (int i = 0; i < 64; i++)
            ax_node_data(a.target)[i] = ax_node_data(b.target)[i] = (float)ax_rng_below(&rng, 10);
        ax_graph_set_training(a.graph, 0);
        /* twice: the second pass runs over buffers the first left behind */
        for (int pass = 0; pass < 2; pass++) {
            CHECK_OK(ax_graph_forward(a.graph));
            CHECK_OK(ax_graph_forward(b.graph));
            CHECK(!memcmp(ax_node_data(a.output), ax_node_data(b.output),
                          (size_t)ax_node_numel(a.output) * sizeof(float)));
            CHECK(ax_node_data(a.loss)[0] == ax_node_data(b.loss)[0]);
        }
        /* a smaller batch runs in the same plan */
        CHECK_OK(ax_graph_set_batch(a.graph, 5));
        CHECK_OK(ax_graph_set_batch(b.graph, 5));
        CHECK_OK(ax_graph_forward(a.graph));
        CHECK_OK(ax_graph_forward(b.graph));
        CHECK(!memcmp(ax_node_data(a.output), ax_node_data(b.output), 5 * 10 * sizeof(float)));
        /* no backward, no training mode */
        CHECK_ERR(ax_graph_backward(b.graph, b.loss, NULL), AX_ERR_STATE, "compiled for inference");
        ax_graph_set_training(b.graph, 1);
        CHECK(!ax_graph_training(b.graph) && ax_graph_inference_only(b.graph));
        /* compiled again for training, it trains */
        CHECK_OK(ax_graph_compile(b.graph));
        CHECK(!ax_graph_inference_only(b.graph) && ax_graph_arena_bytes(b.graph) == trained);
        ax_graph_set_training(b.graph, 1);
        CHECK_OK(ax_graph_forward(b.graph));
        CHECK_OK(ax_graph_backward(b.graph, b.loss, NULL));
        ax_graph_free(a.graph);
        ax_graph_free(b.graph);
    }
}

/* Nodes to keep hold their values after the pass; the others may not. */
static void kept_nodes_survive(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(4, 256));
    ax_node *a = ax_relu(g, x), *b = ax_tanh(g, a), *c = ax_sigmoid(g, b), *d = ax_relu(g, c);
    CHECK_OK(ax_graph_compile_inference(g, &b, 1));
    for (int i = 0; i < 4 * 256; i++)
        ax_node_data(x)[i] = (float)(i % 7) - 3.0f;
    CHECK_OK(ax_graph_forward(g));
    int bad = 0;
    for (int i = 0; i < 4 * 256; i++) {
        float want_b = tanhf(fmaxf(ax_node_data(x)[i], 0.0f));
        bad += ax_node_data(b)[i] != want_b;
        bad += fabsf(ax_node_data(d)[i] - 1.0f / (1.0f + expf(-want_b))) > 1e-6f;
    }
    CHECK(bad == 0);
    /* a and c are dead after their readers: they share memory with others */
    CHECK(ax_node_data(a) == ax_node_data(c) || ax_node_data(c) == ax_node_data(a) + 0);
    ax_graph_free(g);
}

TEST_MAIN(T(same_outputs_in_a_smaller_arena), T(kept_nodes_survive))
