/* Batch, stochastic and mini-batch gradient descent side by side: the same
 * linear regression, the same learning rate and number of epochs, three
 * batch sizes (the whole set, 1, and 16). Plain SGD; only the batch size
 * differs, and with it the number of updates per epoch.
 *
 * Data: 256 points, y = 3 x1 - 2 x2 + 1 + noise (std 0.1), x uniform in [-1, 1].
 * Prints the mean squared error over the whole set after chosen epochs.
 * Exits 1 unless what the course says holds here: every variant fits
 * (MSE < 0.05 after the last epoch, the noise floor being 0.01);
 * stochastic descent is far ahead after one epoch (one update per point);
 * batch descent needs many more epochs but its error never rises. */
#include <axon.h>

#include <stdio.h>
#include <string.h>

#define N 256
#define EPOCHS 200

static float X[N][2], Y[N];

typedef struct variant {
    const char *name;
    int64_t batch;
    double mse[EPOCHS + 1];
    int64_t updates;
} variant;

/* MSE over the whole set with the current weights. */
static double full_mse(const float *w, const float *b)
{
    double s = 0;
    for (int i = 0; i < N; i++) {
        double d = (double)w[0] * X[i][0] + (double)w[1] * X[i][1] + b[0] - Y[i];
        s += d * d;
    }
    return s / N;
}

static int train(variant *v, float lr)
{
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 7, 0);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(v->batch, 2));
    ax_node *t = ax_input(g, "y", ax_shape2(v->batch, 1));
    ax_node *pred = ax_dense(g, x, 1, NULL, (ax_init){AX_INIT_ZEROS, 0, 0}, &rng, "fit");
    ax_node *loss = ax_mse(g, pred, t);
    ax_optimizer *opt = NULL;
    ax_optim_config c = {.lr = lr};
    if (ax_graph_compile(g) != AX_OK || ax_optimizer_new("sgd", &c, &opt) != AX_OK ||
        ax_optimizer_add_graph(opt, g) != AX_OK) {
        fprintf(stderr, "gradient_descent: %s\n", ax_last_error());
        return 0;
    }
    float *w = ax_node_data(ax_graph_find(g, "fit.weight")), *b = ax_node_data(ax_graph_find(g, "fit.bias"));
    uint32_t order[N];
    for (uint32_t i = 0; i < N; i++)
        order[i] = i;
    v->mse[0] = full_mse(w, b);
    for (int e = 1; e <= EPOCHS; e++) {
        ax_rng_shuffle(&rng, order, N);
        for (int64_t start = 0; start < N; start += v->batch) {
            int64_t rows = N - start < v->batch ? N - start : v->batch;
            for (int64_t r = 0; r < rows; r++) {
                memcpy(ax_node_data(x) + 2 * r, X[order[start + r]], 2 * sizeof(float));
                ax_node_data(t)[r] = Y[order[start + r]];
            }
            ax_graph_set_batch(g, rows);
            ax_graph_forward(g);
            ax_graph_backward(g, loss, NULL);
            ax_optimizer_step(opt);
            v->updates++;
        }
        v->mse[e] = full_mse(w, b);
    }
    printf("  %-12s fit: y = %.3f x1 %+.3f x2 %+.3f\n", v->name, (double)w[0], (double)w[1], (double)b[0]);
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 1;
}

int main(void)
{
    ax_rng rng;
    ax_rng_seed(&rng, 2024, 0);
    for (int i = 0; i < N; i++) {
        X[i][0] = 2 * ax_rng_uniform(&rng) - 1;
        X[i][1] = 2 * ax_rng_uniform(&rng) - 1;
        Y[i] = 3 * X[i][0] - 2 * X[i][1] + 1 + 0.1f * ax_rng_normal(&rng);
    }
    variant v[3] = {{"batch", N, {0}, 0}, {"stochastic", 1, {0}, 0}, {"mini-batch", 16, {0}, 0}};
    printf("Linear regression, %d points, SGD lr 0.05, %d epochs. Fits (truth: y = 3 x1 - 2 x2 + 1):\n", N, EPOCHS);
    for (int k = 0; k < 3; k++)
        if (!train(&v[k], 0.05f))
            return 1;
    printf("\nMSE over the whole set after each epoch:\n%-8s", "epoch");
    for (int k = 0; k < 3; k++)
        printf(" %18s", v[k].name);
    printf("\n%-8s", "batch");
    for (int k = 0; k < 3; k++)
        printf(" %18lld", (long long)v[k].batch);
    const int shown[] = {0, 1, 2, 5, 10, 50, 100, 200};
    for (size_t s = 0; s < sizeof shown / sizeof shown[0]; s++) {
        printf("\n%-8d", shown[s]);
        for (int k = 0; k < 3; k++)
            printf(" %18.5f", v[k].mse[shown[s]]);
    }
    printf("\n%-8s", "updates");
    for (int k = 0; k < 3; k++)
        printf(" %18lld", (long long)v[k].updates);
    printf("\n");
    int ok = v[1].mse[1] < v[0].mse[1] / 10, monotone = 1;
    for (int k = 0; k < 3; k++)
        ok &= v[k].mse[EPOCHS] < 0.05;
    for (int e = 1; e <= EPOCHS; e++)
        monotone &= v[0].mse[e] <= v[0].mse[e - 1];
    ok &= monotone;
    printf("%s\n", ok ? "all three fit; stochastic descent leads after one epoch; batch descent never goes uphill"
                      : "FAILED: the comparison did not come out as expected");
    return ok ? 0 : 1;
}
