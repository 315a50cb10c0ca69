/* A training step performs no heap allocation. This test is linked with
 * -Wl,--wrap for malloc, calloc, realloc, free, posix_memalign and
 * aligned_alloc, so every such call made by axon's code (and this file's)
 * goes through the counters below. */
#include "test.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
int __real_posix_memalign(void **, size_t, size_t);
void *__real_aligned_alloc(size_t, size_t);

static long allocations, frees;

void *__wrap_malloc(size_t n) { allocations++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { allocations++; return __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { allocations++; return __real_realloc(p, n); }
void __wrap_free(void *p) { if (p) frees++; __real_free(p); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { allocations++; return __real_posix_memalign(p, a, n); }
void *__wrap_aligned_alloc(size_t a, size_t n) { allocations++; return __real_aligned_alloc(a, n); }

static void training_steps_allocate_nothing(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 3, 3);
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(16, 20));
    ax_node *h = ax_dense(g, x, 32, "relu", AX_DEFAULT_INIT, &rng, "fc1");
    h = ax_dense(g, h, 16, "tanh", AX_DEFAULT_INIT, &rng, "fc2");
    h = ax_sigmoid(g, h);
    ax_node *logits = ax_dense(g, h, 4, NULL, AX_DEFAULT_INIT, &rng, "fc3");
    ax_node *lab = ax_input(g, "lab", ax_shape1(16));
    ax_node *loss = ax_softmax_cross_entropy(g, logits, lab);
    CHECK_OK(ax_graph_compile(g));

    uint8_t data[40 * 20];
    int32_t labels[40];
    for (int i = 0; i < 40 * 20; i++)
        data[i] = (uint8_t)ax_rng_below(&rng, 256);
    for (int i = 0; i < 40; i++)
        labels[i] = i % 4;
    ax_dataset *ds;
    CHECK_OK(ax_dataset_from_memory(data, labels, 40, (int64_t[]){20}, 1, 4, 1.0f / 255, &ds));
    ax_batcher *b;
    CHECK_OK(ax_batcher_new(ds, 16, 1, 1, &b));

    const char *names[2] = {"sgd", "adam"};
    for (int k = 0; k < 2; k++) {
        ax_optimizer *opt;
        ax_optim_config cfg;
        CHECK_OK(ax_optim_defaults(names[k], &cfg));
        cfg.momentum = k == 0 ? 0.9f : 0.0f;
        CHECK_OK(ax_optimizer_new(names[k], &cfg, &opt));
        CHECK_OK(ax_optimizer_add_graph(opt, g));
        long before = allocations, freed = frees, steps = 0;
        for (int epoch = 0; epoch < 3; epoch++) {
            ax_batcher_start_epoch(b);
            int64_t rows;
            /* 40 rows in batches of 16: the last batch is short (8) */
            while ((rows = ax_batcher_next(b, ax_node_data(x), ax_node_data(lab))) > 0) {
                CHECK_OK(ax_graph_set_batch(g, rows));
                CHECK_OK(ax_graph_forward(g));
                CHECK_OK(ax_graph_backward(g, loss, NULL));
                CHECK_OK(ax_optimizer_step(opt));
                steps++;
            }
        }
        CHECK(steps == 9);
        if (allocations != before || frees != freed)
            printf("  %s: %ld allocations and %ld frees in %ld steps\n", names[k],
                   allocations - before, frees - freed, steps);
        CHECK(allocations == before);
        CHECK(frees == freed);
        ax_optimizer_free(opt);
    }
    /* the loader too: batches made on its thread, handed over, no allocation */
    ax_loader *l;
    CHECK_OK(ax_loader_new(ds, 16, 1, 1, 2, NULL, &l));
    long before_loader = allocations;
    for (int epoch = 0; epoch < 3; epoch++) {
        ax_loader_start_epoch(l);
        const float *lx, *lt;
        while (ax_loader_next(l, &lx, &lt) > 0)
            ;
    }
    CHECK(allocations == before_loader);
    ax_loader_free(l);
    /* The counters do see allocations: */
    long before = allocations;
    ax_batcher_free(b);
    CHECK_OK(ax_batcher_new(ds, 16, 1, 1, &b));
    CHECK(allocations > before);
    ax_batcher_free(b);
    ax_dataset_free(ds);
    ax_graph_free(g);
}

TEST_MAIN(T(training_steps_allocate_nothing))
