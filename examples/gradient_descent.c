/* Batch, stochastic and mini-batch gradient descent side by side on the
 * course's regression: a student's exam score from study hours, sleep
 * hours and quiz score (examples/data/exam_scores.csv, 40 students; an
 * illustrative table in the course's style).
 *
 * The model is linear, score = w . x + b, on standardised inputs, with the
 * mean squared error; plain SGD, the same learning rate and epochs for the
 * three, only the batch size differs (the whole table, 1, and 8), and with
 * it the number of updates per epoch. The best possible fit is also solved
 * exactly (least squares, normal equations in double) to say how close
 * each variant gets.
 *
 *   gradient_descent [CSV]
 *
 * Exits 1 unless what the course says holds here: stochastic descent is
 * far ahead after one epoch (one update per student) but, with a constant
 * rate, keeps jumping around the minimum (its error goes up as well as
 * down, and ends within 10% of the best); batch and mini-batch descent
 * end within 1% of the least-squares error, and batch descent, slowest per
 * epoch, never goes uphill. */
#include <axon.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#define F 3
#define MAXN 1024
#define EPOCHS 200

static float X[MAXN][F], Y[MAXN];
static int64_t N;

typedef struct variant {
    const char *name;
    int64_t batch;
    double mse[EPOCHS + 1];
    int64_t updates;
    double w[F], b;
} variant;

/* MSE over the whole table with the given weights. */
static double full_mse(const float *w, const float *b)
{
    double s = 0;
    for (int64_t i = 0; i < N; i++) {
        double d = b[0] - Y[i];
        for (int k = 0; k < F; k++)
            d += (double)w[k] * X[i][k];
        s += d * d;
    }
    return s / N;
}

/* The exact least-squares fit: solve (A^T A) beta = A^T y with A = [X 1]
 * by Gaussian elimination with partial pivoting; returns its MSE. */
static double least_squares(double beta[F + 1])
{
    double m[F + 1][F + 2] = {{0}};
    for (int64_t i = 0; i < N; i++) {
        double a[F + 1] = {X[i][0], X[i][1], X[i][2], 1};
        for (int r = 0; r <= F; r++) {
            for (int c = 0; c <= F; c++)
                m[r][c] += a[r] * a[c];
            m[r][F + 1] += a[r] * Y[i];
        }
    }
    for (int c = 0; c <= F; c++) {
        int piv = c;
        for (int r = c + 1; r <= F; r++)
            if (fabs(m[r][c]) > fabs(m[piv][c]))
                piv = r;
        for (int k = 0; k <= F + 1; k++) {
            double tmp = m[c][k];
            m[c][k] = m[piv][k], m[piv][k] = tmp;
        }
        for (int r = 0; r <= F; r++)
            if (r != c) {
                double f = m[r][c] / m[c][c];
                for (int k = c; k <= F + 1; k++)
                    m[r][k] -= f * m[c][k];
            }
    }
    float w[F], b;
    for (int r = 0; r <= F; r++)
        beta[r] = m[r][F + 1] / m[r][r];
    for (int k = 0; k < F; k++)
        w[k] = (float)beta[k];
    b = (float)beta[F];
    return full_mse(w, &b);
}

static int train(variant *v, float lr)
{
    ax_graph *g;
    ax_rng rng;
    ax_rng_seed(&rng, 7, 0);
    ax_graph_new(&g);
    ax_node *x = ax_input(g, "x", ax_shape2(v->batch, F));
    ax_node *t = ax_input(g, "score", ax_shape2(v->batch, 1));
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
    uint32_t order[MAXN];
    for (uint32_t i = 0; i < N; i++)
        order[i] = i;
    v->mse[0] = full_mse(w, b);
    for (int e = 1; e <= EPOCHS; e++) {
        ax_rng_shuffle(&rng, order, (size_t)N);
        for (int64_t start = 0; start < N; start += v->batch) {
            int64_t rows = N - start < v->batch ? N - start : v->batch;
            for (int64_t r = 0; r < rows; r++) {
                memcpy(ax_node_data(x) + F * r, X[order[start + r]], F * sizeof(float));
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
    for (int k = 0; k < F; k++)
        v->w[k] = w[k];
    v->b = b[0];
    ax_optimizer_free(opt);
    ax_graph_free(g);
    return 1;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "examples/data/exam_scores.csv";
    ax_dataset *table;
    ax_standardizer *st;
    ax_csv_options csv = {.header = 1, .targets = "exam_score"};
    if (ax_dataset_load_csv(path, &csv, &table) != AX_OK || ax_standardizer_fit(table, &st) != AX_OK ||
        ax_standardizer_apply(st, table) != AX_OK) {
        fprintf(stderr, "gradient_descent: %s\n", ax_last_error());
        return 1;
    }
    if (table->sample_size != F || table->n > MAXN) {
        fprintf(stderr, "gradient_descent: %s: expected %d feature columns and at most %d rows\n", path, F, MAXN);
        return 1;
    }
    N = table->n;
    for (int64_t i = 0; i < N; i++) {
        memcpy(X[i], table->xf + F * i, sizeof X[i]);
        Y[i] = table->targets[i];
    }
    double beta[F + 1];
    const double best = least_squares(beta);
    variant v[3] = {{.name = "batch", .batch = N}, {.name = "stochastic", .batch = 1}, {.name = "mini-batch", .batch = 8}};
    for (int k = 0; k < 3; k++)
        if (!train(&v[k], 0.02f))
            return 1;

    static const char *const names[F] = {"study hour", "sleep hour", "quiz point"};
    printf("Exam score from study hours, sleep hours and quiz score: %lld students, SGD lr 0.02, %d epochs.\n",
           (long long)N, EPOCHS);
    printf("Points per unit (in the table's units: weight / std):\n%-14s", "");
    for (int k = 0; k < F; k++)
        printf(" %12s", names[k]);
    printf("\n%-14s", "least squares");
    for (int k = 0; k < F; k++)
        printf(" %12.3f", beta[k] / st->std[k]);
    for (int j = 0; j < 3; j++) {
        printf("\n%-14s", v[j].name);
        for (int k = 0; k < F; k++)
            printf(" %12.3f", v[j].w[k] / st->std[k]);
    }
    printf("\n\nMSE over the table after each epoch (least squares: %.3f):\n%-8s", best, "epoch");
    for (int k = 0; k < 3; k++)
        printf(" %12s", v[k].name);
    printf("\n%-8s", "batch");
    for (int k = 0; k < 3; k++)
        printf(" %12lld", (long long)v[k].batch);
    const int shown[] = {0, 1, 2, 5, 10, 20, 50, 100, 200};
    for (size_t s = 0; s < sizeof shown / sizeof shown[0]; s++) {
        printf("\n%-8d", shown[s]);
        for (int k = 0; k < 3; k++)
            printf(" %12.3f", v[k].mse[shown[s]]);
    }
    printf("\n%-8s", "updates");
    for (int k = 0; k < 3; k++)
        printf(" %12lld", (long long)v[k].updates);
    printf("\n");
    int ok = v[1].mse[1] < v[0].mse[1] / 10, monotone = 1, stochastic_rises = 0;
    ok &= v[0].mse[EPOCHS] < 1.01 * best && v[2].mse[EPOCHS] < 1.01 * best && v[1].mse[EPOCHS] < 1.1 * best;
    for (int e = 1; e <= EPOCHS; e++) {
        monotone &= v[0].mse[e] <= v[0].mse[e - 1];
        stochastic_rises |= v[1].mse[e] > v[1].mse[e - 1];
    }
    ok &= monotone && stochastic_rises;
    printf("%s\n", ok ? "stochastic descent leads after one epoch and then jumps around the minimum; batch and "
                        "mini-batch descent reach the least-squares fit, batch never going uphill"
                      : "FAILED: the comparison did not come out as expected");
    ax_standardizer_free(st);
    ax_dataset_free(table);
    return ok ? 0 : 1;
}
