/* Classification and regression metrics on arrays of predictions. */
#include "axon/train.h"
#include "train/rows.h"

#include <math.h>
#include <string.h>

ax_status ax_confusion_new(int n_classes, ax_confusion **out)
{
    *out = NULL;
    if (n_classes < 1)
        return ax_fail(AX_ERR_INVALID_ARG, "confusion: %d classes", n_classes);
    ax_confusion *c = ax_calloc(1, sizeof *c);
    if (!c || !(c->counts = ax_calloc((size_t)n_classes * (size_t)n_classes, sizeof(int64_t)))) {
        ax_free(c);
        return ax_fail(AX_ERR_NOMEM, "confusion: out of memory");
    }
    c->n_classes = n_classes;
    *out = c;
    return AX_OK;
}

void ax_confusion_free(ax_confusion *c)
{
    if (!c)
        return;
    ax_free(c->counts);
    ax_free(c);
}

ax_status ax_confusion_add(ax_confusion *c, const float *scores, const int32_t *labels, int64_t rows)
{
    const int k = c->n_classes;
    for (int64_t r = 0; r < rows; r++)
        if (labels[r] < 0 || labels[r] >= k)
            return ax_fail(AX_ERR_INVALID_ARG, "confusion: label %d of row %lld is not one of %d classes",
                           labels[r], (long long)r, k);
    for (int64_t r = 0; r < rows; r++)
        c->counts[(int64_t)labels[r] * k + ax_row_argmax(k, scores + r * k)]++;
    c->total += rows;
    return AX_OK;
}

double ax_confusion_accuracy(const ax_confusion *c)
{
    int64_t right = 0;
    for (int i = 0; i < c->n_classes; i++)
        right += c->counts[(int64_t)i * c->n_classes + i];
    return c->total ? (double)right / (double)c->total : 0.0;
}

void ax_confusion_macro(const ax_confusion *c, double *precision, double *recall, double *f1)
{
    const int k = c->n_classes;
    double p = 0, r = 0, f = 0;
    for (int i = 0; i < k; i++) {
        int64_t tp = c->counts[(int64_t)i * k + i], predicted = 0, actual = 0;
        for (int j = 0; j < k; j++) {
            predicted += c->counts[(int64_t)j * k + i];
            actual += c->counts[(int64_t)i * k + j];
        }
        double pi = predicted ? (double)tp / (double)predicted : 0.0;
        double ri = actual ? (double)tp / (double)actual : 0.0;
        p += pi, r += ri, f += pi + ri > 0 ? 2 * pi * ri / (pi + ri) : 0.0;
    }
    if (precision)
        *precision = p / k;
    if (recall)
        *recall = r / k;
    if (f1)
        *f1 = f / k;
}

double ax_top_k_accuracy(const float *scores, const int32_t *labels, int64_t rows, int n_classes, int k)
{
    int64_t hits = 0;
    for (int64_t r = 0; r < rows; r++) {
        const float *s = scores + r * n_classes;
        const int y = labels[r];
        if (y < 0 || y >= n_classes)
            continue;
        /* the label's rank: how many classes beat it */
        int above = 0;
        for (int j = 0; j < n_classes; j++)
            above += s[j] > s[y] || (s[j] == s[y] && j < y);
        hits += above < k;
    }
    return rows ? (double)hits / (double)rows : 0.0;
}

void ax_regression_metrics(const float *pred, const float *target, int64_t n, double *mse, double *mae,
                           double *r2)
{
    double se = 0, ae = 0, mean = 0, tot = 0;
    for (int64_t i = 0; i < n; i++)
        mean += target[i];
    mean = n ? mean / (double)n : 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)pred[i] - target[i], t = (double)target[i] - mean;
        se += d * d, ae += fabs(d), tot += t * t;
    }
    if (mse)
        *mse = n ? se / (double)n : 0.0;
    if (mae)
        *mae = n ? ae / (double)n : 0.0;
    if (r2)
        *r2 = tot > 0 ? 1.0 - se / tot : 0.0;
}

ax_status ax_evaluate_confusion(ax_model *m, const ax_dataset *ds, ax_confusion **out)
{
    *out = NULL;
    if (!ds->labels)
        return ax_fail(AX_ERR_INVALID_ARG, "evaluate: a confusion matrix needs class labels (this data set has real targets)");
    float *scores = ax_alloc((size_t)ds->n * (size_t)ds->n_classes * sizeof(float));
    if (!scores)
        return ax_fail(AX_ERR_NOMEM, "evaluate: out of memory for %lld predictions", (long long)ds->n);
    ax_status s = ax_predict(m, ds, scores);
    if (s == AX_OK)
        s = ax_confusion_new(ds->n_classes, out);
    if (s == AX_OK)
        s = ax_confusion_add(*out, scores, ds->labels, ds->n);
    ax_free(scores);
    if (s != AX_OK) {
        ax_confusion_free(*out);
        *out = NULL;
    }
    return s;
}
