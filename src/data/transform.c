/* Transforms on whole data sets: standardisation and one-hot targets.
 * (Scaling bytes to [0, 1] is the data set's `scale`, applied per batch.) */
#include "axon/data.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void ax_standardizer_free(ax_standardizer *s)
{
    if (!s)
        return;
    ax_free(s->mean);
    ax_free(s->std);
    ax_free(s);
}

ax_status ax_standardizer_fit(const ax_dataset *train, ax_standardizer **out)
{
    *out = NULL;
    const int64_t f = train->sample_size, n = train->n;
    ax_standardizer *s = ax_calloc(1, sizeof *s);
    double *sum = ax_calloc((size_t)f, sizeof(double)), *sq = ax_calloc((size_t)f, sizeof(double));
    if (!s || !sum || !sq || !(s->mean = ax_alloc((size_t)f * sizeof(float))) ||
        !(s->std = ax_alloc((size_t)f * sizeof(float)))) {
        ax_free(sum);
        ax_free(sq);
        ax_standardizer_free(s);
        return ax_fail(AX_ERR_NOMEM, "standardize: out of memory");
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < f; k++) {
            double v = train->x ? train->x[i * f + k] * (double)train->scale : train->xf[i * f + k];
            sum[k] += v;
            sq[k] += v * v;
        }
    for (int64_t k = 0; k < f; k++) {
        double m = sum[k] / (double)n, var = sq[k] / (double)n - m * m;
        s->mean[k] = (float)m;
        /* a constant feature is centred, not scaled */
        s->std[k] = var > 1e-12 ? (float)sqrt(var) : 1.0f;
    }
    s->features = f;
    ax_free(sum);
    ax_free(sq);
    *out = s;
    return AX_OK;
}

ax_status ax_standardizer_apply(const ax_standardizer *s, ax_dataset *ds)
{
    const int64_t f = ds->sample_size, n = ds->n;
    if (f != s->features)
        return ax_fail(AX_ERR_SHAPE, "standardize: fitted on %lld features, the data has %lld", (long long)s->features,
                       (long long)f);
    if (ds->x) { /* bytes become floats: standardised values are not bytes */
        float *xf = ax_alloc((size_t)(n * f) * sizeof(float));
        if (!xf)
            return ax_fail(AX_ERR_NOMEM, "standardize: cannot hold %lld floats", (long long)(n * f));
        for (int64_t i = 0; i < n * f; i++)
            xf[i] = ds->x[i] * ds->scale;
        ax_free(ds->x);
        ds->x = NULL;
        ds->xf = xf;
        ds->scale = 1.0f;
    }
    for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < f; k++)
            ds->xf[i * f + k] = (ds->xf[i * f + k] - s->mean[k]) / s->std[k];
    return AX_OK;
}

ax_status ax_standardizer_to_json(const ax_standardizer *s, char **out)
{
    *out = NULL;
    /* "%.9g" prints every float so that it reads back to the same float:
     * at most 15 characters ("-1.17549435e-38"), 17 with the separator */
    size_t cap = 32 + 2 * (size_t)s->features * 17, len = 0;
    char *text = ax_alloc(cap);
    if (!text)
        return ax_fail(AX_ERR_NOMEM, "standardize: out of memory");
    for (int part = 0; part < 2; part++) {
        const float *v = part ? s->std : s->mean;
        len += (size_t)snprintf(text + len, cap - len, part ? "], \"std\": [" : "{\"mean\": [");
        for (int64_t k = 0; k < s->features; k++)
            len += (size_t)snprintf(text + len, cap - len, k ? ", %.9g" : "%.9g", (double)v[k]);
    }
    snprintf(text + len, cap - len, "]}");
    *out = text;
    return AX_OK;
}

/* One array of the JSON object, checked: numbers, finite, positive for std. */
static ax_status read_stats(const cJSON *root, const char *key, const char *source, int64_t *n, float **out)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1)
        return ax_fail(AX_ERR_FORMAT, "%s: standardization: expected \"%s\" to be a non-empty array of numbers", source,
                       key);
    int64_t len = cJSON_GetArraySize(a);
    if (*n && len != *n)
        return ax_fail(AX_ERR_FORMAT, "%s: standardization: \"std\" has %lld values, \"mean\" %lld", source,
                       (long long)len, (long long)*n);
    *n = len;
    if (!(*out = ax_alloc((size_t)len * sizeof(float))))
        return ax_fail(AX_ERR_NOMEM, "standardize: out of memory");
    int64_t k = 0;
    for (const cJSON *e = a->child; e; e = e->next, k++) {
        double v = cJSON_IsNumber(e) ? e->valuedouble : NAN;
        if (!isfinite(v) || (!strcmp(key, "std") && !(v > 0)))
            return ax_fail(AX_ERR_FORMAT, "%s: standardization: \"%s\"[%lld] is not a %s number", source, key,
                           (long long)k, strcmp(key, "std") ? "finite" : "positive");
        (*out)[k] = (float)v;
    }
    return AX_OK;
}

ax_status ax_standardizer_from_json(const char *json, const char *source, ax_standardizer **out)
{
    *out = NULL;
    cJSON *root = cJSON_Parse(json);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ax_fail(AX_ERR_FORMAT, "%s: standardization: expected a JSON object {\"mean\": [...], \"std\": [...]}",
                       source);
    }
    ax_standardizer *s = ax_calloc(1, sizeof *s);
    ax_status st = s ? AX_OK : ax_fail(AX_ERR_NOMEM, "standardize: out of memory");
    if (st == AX_OK)
        st = read_stats(root, "mean", source, &s->features, &s->mean);
    if (st == AX_OK)
        st = read_stats(root, "std", source, &s->features, &s->std);
    cJSON_Delete(root);
    if (st != AX_OK)
        ax_standardizer_free(s);
    else
        *out = s;
    return st;
}

ax_status ax_dataset_one_hot(ax_dataset *ds)
{
    if (!ds->labels)
        return ax_fail(AX_ERR_INVALID_ARG, "one_hot: the data set has no class labels");
    const int64_t c = ds->n_classes;
    float *t = ax_calloc((size_t)(ds->n * c), sizeof(float));
    if (!t)
        return ax_fail(AX_ERR_NOMEM, "one_hot: out of memory");
    for (int64_t i = 0; i < ds->n; i++)
        t[i * c + ds->labels[i]] = 1.0f;
    ax_free(ds->targets);
    ds->targets = t;
    ds->n_targets = c;
    return AX_OK;
}
