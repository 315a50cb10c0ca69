/* Pruning and the lottery ticket (Frankle and Carbin, 2019).
 *
 * A dense 784-300-100-10 ReLU network (LeNet-300-100) learns the `mnist`
 * digits. Then:
 *   pruned           the 80% of each weight matrix with the smallest
 *                    magnitudes set to zero, no retraining: accuracy drops;
 *   winning ticket   the surviving 20% rewound to their initial values
 *                    and retrained alone (the pruned weights held at zero);
 *   random restart   the same 20% connections, trained from a fresh random
 *                    initialisation instead.
 * The hypothesis: the sparse subnetwork, with its original initial
 * values, trains to the dense network's accuracy; the same wiring with
 * other initial values does worse.
 *
 *   lottery_ticket [--threads T] [--seed S]
 *
 * The training loop is written out here (batcher, forward, backward,
 * step) because the pruning mask is applied after every step. Exits 1
 * unless pruning without retraining loses accuracy, the winning ticket
 * comes within 1 point of the dense network, and the winning ticket beats
 * the random restart. */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPOCHS 8
#define BATCH 60
#define KEEP 0.2
#define LAYERS 3

/* --seed: the initial weights (the restart draws from seed + 98) and the data order */
static uint64_t seed = 1;

static const char *const weights[LAYERS] = {"fc1.weight", "fc2.weight", "fc3.weight"};

typedef struct net {
    ax_model m;
    ax_optimizer *opt;
} net;

static net make(uint64_t seed)
{
    ax_rng rng;
    ax_rng_seed(&rng, seed, 0);
    ax_graph *g;
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "image", ax_shape2(BATCH, 784));
    ax_node *h = ax_dense(g, x, 300, "relu", AX_DEFAULT_INIT, &rng, "fc1");
    h = ax_dense(g, h, 100, "relu", AX_DEFAULT_INIT, &rng, "fc2");
    ax_node *logits = ax_dense(g, h, 10, NULL, AX_DEFAULT_INIT, &rng, "fc3");
    ax_node *y = ax_input(g, "label", ax_shape1(BATCH));
    net n = {{.graph = g, .input = x, .target = y, .output = logits, .loss = ax_softmax_cross_entropy(g, logits, y)}, NULL};
    ax_optim_config oc;
    ax_optim_defaults("adam", &oc);
    oc.lr = 1.2e-3f; /* the paper's rate for LeNet-300-100 */
    ax_graph_compile(g);
    ax_optimizer_new("adam", &oc, &n.opt);
    ax_optimizer_add_graph(n.opt, g);
    return n;
}

static void free_net(net *n)
{
    ax_optimizer_free(n->opt);
    ax_graph_free(n->m.graph);
}

static void apply_masks(net *n, float *const *masks)
{
    for (int l = 0; masks && l < LAYERS; l++) {
        ax_node *w = ax_graph_find(n->m.graph, weights[l]);
        float *d = ax_node_data(w);
        for (int64_t i = 0; i < ax_node_numel(w); i++)
            d[i] *= masks[l][i];
    }
}

/* Train for EPOCHS, re-applying the masks (when given) after every step. */
static ax_status train(net *n, const ax_dataset *data, float *const *masks)
{
    ax_batcher *b;
    ax_status s = ax_batcher_new(data, BATCH, 1, seed + 6, &b);
    ax_graph *g = n->m.graph;
    apply_masks(n, masks);
    ax_graph_set_training(g, 1);
    for (int e = 0; s == AX_OK && e < EPOCHS; e++) {
        ax_batcher_start_epoch(b);
        int64_t rows;
        while (s == AX_OK && (rows = ax_batcher_next(b, ax_node_data(n->m.input), ax_node_data(n->m.target))) > 0) {
            if ((s = ax_graph_set_batch(g, rows)) == AX_OK && (s = ax_graph_forward(g)) == AX_OK &&
                (s = ax_graph_backward(g, n->m.loss, NULL)) == AX_OK)
                s = ax_optimizer_step(n->opt);
            apply_masks(n, masks);
        }
    }
    ax_batcher_free(b);
    return s;
}

static int by_magnitude(const void *a, const void *b)
{
    float x = fabsf(*(const float *)a), y = fabsf(*(const float *)b);
    return (x > y) - (x < y);
}

/* Keep the KEEP fraction of largest magnitudes of each weight matrix. */
static float **masks_from(net *n)
{
    float **masks = calloc(LAYERS, sizeof *masks);
    for (int l = 0; l < LAYERS; l++) {
        ax_node *w = ax_graph_find(n->m.graph, weights[l]);
        int64_t count = ax_node_numel(w);
        float *sorted = malloc((size_t)count * sizeof *sorted);
        memcpy(sorted, ax_node_data(w), (size_t)count * sizeof *sorted);
        qsort(sorted, (size_t)count, sizeof *sorted, by_magnitude);
        float threshold = fabsf(sorted[(int64_t)((1 - KEEP) * (double)count)]);
        masks[l] = malloc((size_t)count * sizeof **masks);
        for (int64_t i = 0; i < count; i++)
            masks[l][i] = fabsf(ax_node_data(w)[i]) >= threshold ? 1.0f : 0.0f;
        free(sorted);
    }
    return masks;
}

static double accuracy(net *n, const ax_dataset *test)
{
    ax_metrics mt;
    return ax_evaluate(&n->m, test, &mt) == AX_OK ? mt.accuracy : NAN;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 < argc && !strcmp(argv[i], "--threads"))
            ax_set_num_threads(atoi(argv[i + 1]));
        else if (i + 1 < argc && !strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "usage: lottery_ticket [--threads T] [--seed S]\n");
            return 2;
        }
    }
    ax_dataset *train_set, *test;
    if (ax_dataset_mnist(NULL, 1, &train_set) != AX_OK || ax_dataset_mnist(NULL, 0, &test) != AX_OK) {
        fprintf(stderr, "lottery_ticket: %s\n", ax_last_error());
        return 1;
    }
    /* the dense network, and a copy of its initial weights */
    net dense = make(seed);
    float *initial[LAYERS];
    for (int l = 0; l < LAYERS; l++) {
        ax_node *w = ax_graph_find(dense.m.graph, weights[l]);
        initial[l] = malloc((size_t)ax_node_numel(w) * sizeof(float));
        memcpy(initial[l], ax_node_data(w), (size_t)ax_node_numel(w) * sizeof(float));
    }
    if (train(&dense, train_set, NULL) != AX_OK) {
        fprintf(stderr, "lottery_ticket: %s\n", ax_last_error());
        return 1;
    }
    double acc_dense = accuracy(&dense, test);
    float **masks = masks_from(&dense);
    apply_masks(&dense, masks);
    double acc_pruned = accuracy(&dense, test);

    /* the winning ticket: same graph seed, so the same biases' start (zeros) and weights rewound */
    net ticket = make(seed);
    for (int l = 0; l < LAYERS; l++) {
        ax_node *w = ax_graph_find(ticket.m.graph, weights[l]);
        memcpy(ax_node_data(w), initial[l], (size_t)ax_node_numel(w) * sizeof(float));
    }
    net restart = make(seed + 98);
    if (train(&ticket, train_set, masks) != AX_OK || train(&restart, train_set, masks) != AX_OK) {
        fprintf(stderr, "lottery_ticket: %s\n", ax_last_error());
        return 1;
    }
    double acc_ticket = accuracy(&ticket, test), acc_restart = accuracy(&restart, test);
    int64_t total = 0, kept = 0;
    for (int l = 0; l < LAYERS; l++) {
        ax_node *w = ax_graph_find(ticket.m.graph, weights[l]);
        for (int64_t i = 0; i < ax_node_numel(w); i++) {
            kept += ax_node_data(w)[i] != 0.0f;
            total++;
        }
    }
    printf("LeNet-300-100 on %lld mnist digits, %d epochs of Adam each, scored on %lld test digits:\n",
           (long long)train_set->n, EPOCHS, (long long)test->n);
    printf("  %-40s %.4f\n", "dense (266,200 weights)", acc_dense);
    printf("  %-40s %.4f\n", "pruned to 20%, not retrained", acc_pruned);
    printf("  %-40s %.4f\n", "winning ticket (20%, original init)", acc_ticket);
    printf("  %-40s %.4f\n", "same 20%, random restart", acc_restart);
    printf("  nonzero weights after retraining: %lld of %lld (%.1f%%)\n", (long long)kept, (long long)total,
           100.0 * (double)kept / (double)total);
    int ok = acc_pruned < acc_dense && acc_ticket >= acc_dense - 0.01 && acc_ticket > acc_restart &&
             kept <= (int64_t)(KEEP * (double)total) + LAYERS;
    printf("%s\n", ok ? "the sparse subnetwork with its original initial values trains as well as the dense "
                        "network, and better than the same wiring restarted at random"
                      : "FAILED: the lottery ticket did not come out as claimed");
    for (int l = 0; l < LAYERS; l++) {
        free(initial[l]);
        free(masks[l]);
    }
    free(masks);
    free_net(&dense);
    free_net(&ticket);
    free_net(&restart);
    ax_dataset_free(train_set);
    ax_dataset_free(test);
    return ok ? 0 : 1;
}
