/* In-memory labelled data sets, loaded from IDX pairs or given by the caller. */
#include "axon/data.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void ax_dataset_free(ax_dataset *ds)
{
    if (!ds)
        return;
    ax_free(ds->x);
    ax_free(ds->xf);
    ax_free(ds->labels);
    ax_free(ds->targets);
    ax_free(ds);
}

/* A data set of n samples of bytes with labels; x, when given, becomes
 * the data set's (on success only: a failure leaves it the caller's),
 * else it is allocated. */
static ax_status alloc_dataset(int64_t n, int64_t sample_size, uint8_t *x, ax_dataset **out)
{
    ax_dataset *ds = ax_calloc(1, sizeof *ds);
    if (!ds)
        return ax_fail(AX_ERR_NOMEM, "dataset: out of memory");
    ds->x = x ? x : ax_alloc((size_t)(n * sample_size));
    ds->labels = ax_alloc((size_t)n * sizeof(int32_t));
    if (!ds->x || !ds->labels) {
        if (x)
            ds->x = NULL;
        ax_dataset_free(ds);
        return ax_fail(AX_ERR_NOMEM, "dataset: cannot allocate %lld samples of %lld bytes",
                       (long long)n, (long long)sample_size);
    }
    ds->n = n;
    ds->sample_size = sample_size;
    *out = ds;
    return AX_OK;
}

ax_status ax_dataset_from_memory(const uint8_t *x, const int32_t *labels, int64_t n,
                                 const int64_t *sample_shape, int sample_ndim, int n_classes,
                                 float scale, ax_dataset **out)
{
    *out = NULL;
    if (n <= 0 || sample_ndim < 1 || sample_ndim >= AX_MAX_DIMS || n_classes <= 0)
        return ax_fail(AX_ERR_INVALID_ARG,
                       "dataset: need n > 0, 1..%d sample dimensions and n_classes > 0",
                       AX_MAX_DIMS - 1);
    int64_t size = 1;
    for (int i = 0; i < sample_ndim; i++) {
        if (sample_shape[i] <= 0)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset: sample dimension %d is %lld", i,
                           (long long)sample_shape[i]);
        size *= sample_shape[i];
    }
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= n_classes)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset: label %d of sample %lld is outside 0..%d",
                           labels[i], (long long)i, n_classes - 1);
    ax_status s = alloc_dataset(n, size, NULL, out);
    if (s != AX_OK)
        return s;
    ax_dataset *ds = *out;
    memcpy(ds->x, x, (size_t)(n * size));
    memcpy(ds->labels, labels, (size_t)n * sizeof(int32_t));
    ds->sample_ndim = sample_ndim;
    memcpy(ds->sample_shape, sample_shape, (size_t)sample_ndim * sizeof(int64_t));
    ds->n_classes = n_classes;
    ds->scale = scale;
    return AX_OK;
}

ax_status ax_dataset_load_idx(const char *images_path, const char *labels_path, int n_classes,
                              ax_dataset **out)
{
    *out = NULL;
    ax_idx *img = NULL, *lab = NULL;
    ax_status s = ax_idx_read(images_path, &img);
    if (s == AX_OK)
        s = ax_idx_read(labels_path, &lab);
    if (s != AX_OK)
        goto done;
    if (img->type != AX_IDX_U8 || img->ndim < 2) {
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: expected images as unsigned bytes (type 0x08) with 2 or more dimensions, "
                    "found type 0x%02x with %d",
                    images_path, (unsigned)img->type, img->ndim);
        goto done;
    }
    if (lab->type != AX_IDX_U8 || lab->ndim != 1) {
        s = ax_fail(AX_ERR_FORMAT,
                    "%s: expected labels as unsigned bytes (type 0x08) in 1 dimension, found type "
                    "0x%02x with %d",
                    labels_path, (unsigned)lab->type, lab->ndim);
        goto done;
    }
    if (lab->dim[0] != img->dim[0]) {
        s = ax_fail(AX_ERR_FORMAT, "%s: %lld labels, but %s holds %lld images", labels_path,
                    (long long)lab->dim[0], images_path, (long long)img->dim[0]);
        goto done;
    }
    const uint8_t *lv = lab->data;
    int top = 0;
    for (int64_t i = 0; i < lab->count; i++) {
        if (n_classes > 0 && lv[i] >= n_classes) {
            s = ax_fail(AX_ERR_FORMAT,
                        "%s: byte %lld: label %d of sample %lld is outside the %d classes 0..%d",
                        labels_path, (long long)(8 + i), lv[i], (long long)i, n_classes,
                        n_classes - 1);
            goto done;
        }
        top = lv[i] > top ? lv[i] : top;
    }
    int64_t n = img->dim[0];
    /* the images are the file's bytes: taken rather than copied
     * (Fashion-MNIST's 47 MB once at the peak, not twice) */
    s = alloc_dataset(n, img->count / n, img->data, out);
    if (s != AX_OK)
        goto done;
    img->data = NULL;
    ax_dataset *ds = *out;
    for (int64_t i = 0; i < n; i++)
        ds->labels[i] = lv[i];
    ds->sample_ndim = img->ndim - 1;
    for (int i = 1; i < img->ndim; i++)
        ds->sample_shape[i - 1] = img->dim[i];
    ds->n_classes = n_classes > 0 ? n_classes : top + 1;
    ds->scale = 1.0f / 255.0f;
done:
    ax_idx_free(img);
    ax_idx_free(lab);
    return s;
}

ax_status ax_dataset_from_floats(const float *x, int64_t n, int64_t n_features, const int32_t *labels,
                                 int n_classes, const float *targets, int64_t n_targets, ax_dataset **out)
{
    *out = NULL;
    if (n <= 0 || n_features <= 0 || (labels && targets) || (labels && n_classes <= 0) ||
        (targets && n_targets <= 0))
        return ax_fail(AX_ERR_INVALID_ARG, "dataset: need n > 0, features > 0, and labels with n_classes > 0 "
                       "or targets with n_targets > 0 (at most one of the two)");
    for (int64_t i = 0; labels && i < n; i++)
        if (labels[i] < 0 || labels[i] >= n_classes)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset: label %d of sample %lld is outside 0..%d", labels[i],
                           (long long)i, n_classes - 1);
    ax_dataset *ds = ax_calloc(1, sizeof *ds);
    if (!ds)
        return ax_fail(AX_ERR_NOMEM, "dataset: out of memory");
    ds->xf = ax_alloc((size_t)(n * n_features) * sizeof(float));
    if (labels)
        ds->labels = ax_alloc((size_t)n * sizeof(int32_t));
    else if (targets)
        ds->targets = ax_alloc((size_t)(n * n_targets) * sizeof(float));
    if (!ds->xf || (labels && !ds->labels) || (targets && !ds->targets)) {
        ax_dataset_free(ds);
        return ax_fail(AX_ERR_NOMEM, "dataset: cannot allocate %lld samples", (long long)n);
    }
    memcpy(ds->xf, x, (size_t)(n * n_features) * sizeof(float));
    if (labels)
        memcpy(ds->labels, labels, (size_t)n * sizeof(int32_t));
    else if (targets)
        memcpy(ds->targets, targets, (size_t)(n * n_targets) * sizeof(float));
    ds->n = n;
    ds->sample_ndim = 1;
    ds->sample_shape[0] = ds->sample_size = n_features;
    ds->n_classes = labels ? n_classes : 0;
    ds->n_targets = targets ? n_targets : 0;
    ds->scale = 1.0f;
    *out = ds;
    return AX_OK;
}

ax_status ax_dataset_subset(const ax_dataset *ds, const uint32_t *idx, int64_t n, ax_dataset **out)
{
    *out = NULL;
    if (n <= 0)
        return ax_fail(AX_ERR_INVALID_ARG, "dataset: an empty subset");
    ax_dataset *d = ax_calloc(1, sizeof *d);
    if (!d)
        return ax_fail(AX_ERR_NOMEM, "dataset: out of memory");
    *d = *ds;
    d->x = NULL, d->xf = NULL, d->labels = NULL, d->targets = NULL;
    d->n = n;
    const int64_t size = ds->sample_size, t = ds->n_targets;
    int ok = 1;
    if (ds->x && (ok = (d->x = ax_alloc((size_t)(n * size))) != NULL))
        for (int64_t i = 0; i < n; i++)
            memcpy(d->x + i * size, ds->x + (int64_t)idx[i] * size, (size_t)size);
    if (ok && ds->xf && (ok = (d->xf = ax_alloc((size_t)(n * size) * sizeof(float))) != NULL))
        for (int64_t i = 0; i < n; i++)
            memcpy(d->xf + i * size, ds->xf + (int64_t)idx[i] * size, (size_t)size * sizeof(float));
    if (ok && ds->labels && (ok = (d->labels = ax_alloc((size_t)n * sizeof(int32_t))) != NULL))
        for (int64_t i = 0; i < n; i++)
            d->labels[i] = ds->labels[idx[i]];
    if (ok && ds->targets && (ok = (d->targets = ax_alloc((size_t)(n * t) * sizeof(float))) != NULL))
        for (int64_t i = 0; i < n; i++)
            memcpy(d->targets + i * t, ds->targets + (int64_t)idx[i] * t, (size_t)t * sizeof(float));
    if (!ok) {
        ax_dataset_free(d);
        return ax_fail(AX_ERR_NOMEM, "dataset: cannot allocate a subset of %lld samples", (long long)n);
    }
    *out = d;
    return AX_OK;
}

ax_status ax_dataset_head(const ax_dataset *ds, int64_t n, ax_dataset **out)
{
    if (n > ds->n)
        n = ds->n;
    uint32_t *idx = ax_alloc((size_t)(n > 0 ? n : 1) * sizeof(uint32_t));
    if (!idx)
        return ax_fail(AX_ERR_NOMEM, "dataset: out of memory");
    for (int64_t i = 0; i < n; i++)
        idx[i] = (uint32_t)i;
    ax_status s = ax_dataset_subset(ds, idx, n, out);
    ax_free(idx);
    return s;
}

ax_status ax_dataset_windows(const ax_dataset *rows, int64_t window, int64_t horizon, const int64_t *target_cols,
                             int n_targets, ax_dataset **out)
{
    *out = NULL;
    const int64_t steps = rows ? rows->n : 0, F = rows ? rows->sample_size : 0;
    if (!rows || !rows->xf || rows->sample_ndim != 1)
        return ax_fail(AX_ERR_INVALID_ARG, "windows: needs a table of float features, one time step a row");
    if (window < 1 || horizon < 1 || window > steps || horizon > steps - window)
        return ax_fail(AX_ERR_INVALID_ARG, "windows: a window of %lld steps and a horizon of %lld need more than the "
                       "%lld steps of the series", (long long)window, (long long)horizon, (long long)steps);
    if (n_targets < 1 || n_targets > 256 || !target_cols)
        return ax_fail(AX_ERR_INVALID_ARG, "windows: 1 to 256 target columns");
    for (int k = 0; k < n_targets; k++)
        if (target_cols[k] < 0 || target_cols[k] >= F)
            return ax_fail(AX_ERR_INVALID_ARG, "windows: target column %lld is not one of the %lld features",
                           (long long)target_cols[k], (long long)F);
    const int64_t n = steps - window - horizon + 1;
    int64_t size;
    if (!ax_mul_checked(window, F, &size) || !ax_mul_checked(size, n, &size) || size > ((int64_t)1 << 32))
        return ax_fail(AX_ERR_INVALID_ARG, "windows: %lld windows of %lld x %lld values are too many", (long long)n,
                       (long long)window, (long long)F);
    float *x = ax_alloc((size_t)size * sizeof(float)), *y = ax_alloc((size_t)(n * n_targets) * sizeof(float));
    ax_status s = x && y ? AX_OK : ax_fail(AX_ERR_NOMEM, "windows: out of memory for %lld windows", (long long)n);
    for (int64_t i = 0; s == AX_OK && i < n; i++) {
        memcpy(x + i * window * F, rows->xf + i * F, (size_t)(window * F) * sizeof(float));
        for (int k = 0; k < n_targets; k++)
            y[i * n_targets + k] = rows->xf[(i + window - 1 + horizon) * F + target_cols[k]];
    }
    if (s == AX_OK)
        s = ax_dataset_from_floats(x, n, window * F, NULL, 0, y, n_targets, out);
    if (s == AX_OK) {
        (*out)->sample_ndim = 2;
        (*out)->sample_shape[0] = window;
        (*out)->sample_shape[1] = F;
    }
    ax_free(x);
    ax_free(y);
    return s;
}

/* Parts must tile [0, total) in order, each with a name unique in its list. */
static ax_status check_fields(const ax_data_field *f, int n, int64_t total, const char *what)
{
    if (n < 0 || n > AX_MAX_FIELDS)
        return ax_fail(AX_ERR_INVALID_ARG, "dataset: %d %s; at most %d", n, what, AX_MAX_FIELDS);
    int64_t at = 0;
    for (int i = 0; i < n; i++) {
        if (!f[i].name[0] || memchr(f[i].name, '\0', sizeof f[i].name) == NULL)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset: %s %d has no name (or one of %zu characters or more)", what,
                           i, sizeof f[i].name);
        for (int j = 0; j < i; j++)
            if (!strcmp(f[i].name, f[j].name))
                return ax_fail(AX_ERR_INVALID_ARG, "dataset: two %s named '%s'", what, f[i].name);
        if (f[i].offset != at || f[i].size < 1)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset: %s '%s' must start at %lld and hold at least one value "
                           "(it has offset %lld, size %lld)", what, f[i].name, (long long)at, (long long)f[i].offset,
                           (long long)f[i].size);
        at += f[i].size;
    }
    if (n && at != total)
        return ax_fail(AX_ERR_INVALID_ARG, "dataset: the %s hold %lld values; each sample has %lld", what,
                       (long long)at, (long long)total);
    return AX_OK;
}

ax_status ax_dataset_set_fields(ax_dataset *ds, const ax_data_field *inputs, int n_inputs,
                                const ax_data_field *outputs, int n_outputs)
{
    ax_status s = check_fields(inputs, n_inputs, ds->sample_size, "feature groups");
    if (s == AX_OK && n_outputs && (!ds->targets || ds->labels || ds->step_labels))
        s = ax_fail(AX_ERR_INVALID_ARG, "dataset: named targets are parts of the real-valued targets (a class "
                    "target holds its labels as whole numbers there); this data set has %s", ds->labels ? "labels" :
                    ds->step_labels ? "step labels" : "no targets");
    if (s == AX_OK)
        s = check_fields(outputs, n_outputs, ds->n_targets, "targets");
    for (int i = 0; s == AX_OK && i < n_inputs; i++) {
        const ax_data_field *f = &inputs[i];
        int64_t size = f->ndim >= 1 ? 1 : -1;
        for (int d = 0; f->ndim <= AX_MAX_DIMS && d < f->ndim; d++)
            size = f->shape[d] > 0 && size <= INT64_MAX / f->shape[d] ? size * f->shape[d] : -1;
        if (f->ndim > AX_MAX_DIMS || size != f->size)
            s = ax_fail(AX_ERR_INVALID_ARG, "dataset: feature group '%s' has size %lld; its shape must hold as many "
                        "(1 to %d dimensions)", f->name, (long long)f->size, AX_MAX_DIMS);
    }
    for (int i = 0; s == AX_OK && i < n_outputs; i++) {
        const ax_data_field *f = &outputs[i];
        if (f->n_classes < 0 || (f->n_classes > 0 && f->size != 1))
            s = ax_fail(AX_ERR_INVALID_ARG, "dataset: target '%s': a class target is one value per sample", f->name);
        for (int64_t r = 0; s == AX_OK && f->n_classes > 0 && r < ds->n; r++) {
            const float v = ds->targets[r * ds->n_targets + f->offset];
            if (!(v >= 0 && v < (float)f->n_classes && v == floorf(v)))
                s = ax_fail(AX_ERR_INVALID_ARG, "dataset: target '%s' of sample %lld is %g, not a class in 0..%d",
                            f->name, (long long)r, (double)v, f->n_classes - 1);
        }
    }
    if (s != AX_OK)
        return s;
    if (n_inputs) {
        memcpy(ds->inputs, inputs, (size_t)n_inputs * sizeof *inputs);
        ds->n_inputs = n_inputs;
    }
    if (n_outputs) {
        memcpy(ds->outputs, outputs, (size_t)n_outputs * sizeof *outputs);
        ds->n_outputs = n_outputs;
    }
    return AX_OK;
}

const ax_data_field *ax_dataset_field(const ax_dataset *ds, int outputs, const char *name)
{
    const ax_data_field *f = outputs ? ds->outputs : ds->inputs;
    for (int i = 0; i < (outputs ? ds->n_outputs : ds->n_inputs); i++)
        if (!strcmp(f[i].name, name))
            return &f[i];
    return NULL;
}

/* A part's sample i as floats into dst. */
static void sample_floats(const ax_dataset *ds, int64_t i, float *dst)
{
    const int64_t size = ds->sample_size;
    if (ds->x)
        for (int64_t k = 0; k < size; k++)
            dst[k] = (float)ds->x[i * size + k] * ds->scale;
    else
        memcpy(dst, ds->xf + i * size, (size_t)size * sizeof(float));
}

ax_status ax_dataset_zip(const ax_zip_part *parts, int n, ax_dataset **out)
{
    *out = NULL;
    if (n < 1 || n > AX_MAX_FIELDS)
        return ax_fail(AX_ERR_INVALID_ARG, "dataset zip: 1 to %d parts, got %d", AX_MAX_FIELDS, n);
    ax_data_field in[AX_MAX_FIELDS], tg[AX_MAX_FIELDS];
    int n_in = 0, n_tg = 0;
    int64_t features = 0, targets = 0;
    const int64_t rows = parts[0].ds ? parts[0].ds->n : 0;
    for (int k = 0; k < n; k++) {
        const ax_dataset *ds = parts[k].ds;
        const char *name = parts[k].input ? parts[k].input : parts[k].target ? parts[k].target : "?";
        if (!ds || ds->n != rows || ds->n_inputs || ds->n_outputs || ds->step_labels)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset zip: part %d ('%s') %s", k, name,
                           !ds ? "has no data set"
                           : ds->n != rows ? "holds another number of samples than the first"
                                           : "has named parts or step labels of its own");
        const char *names[2] = {parts[k].input, parts[k].target};
        for (int t = 0; t < 2; t++)
            if (names[t] && (!*names[t] || strlen(names[t]) >= sizeof in[0].name))
                return ax_fail(AX_ERR_INVALID_ARG, "dataset zip: part %d: a name has 1 to %zu characters", k,
                               sizeof in[0].name - 1);
        if (parts[k].input) {
            ax_data_field *f = &in[n_in++];
            *f = (ax_data_field){.offset = features, .size = ds->sample_size, .ndim = ds->sample_ndim};
            memcpy(f->shape, ds->sample_shape, sizeof f->shape);
            snprintf(f->name, sizeof f->name, "%s", parts[k].input);
            features += ds->sample_size;
        }
        if (parts[k].target && (ds->labels || ds->targets)) {
            ax_data_field *f = &tg[n_tg++];
            *f = (ax_data_field){.offset = targets, .size = ds->labels ? 1 : ds->n_targets, .ndim = 1,
                                 .n_classes = ds->labels ? ds->n_classes : 0};
            f->shape[0] = f->size;
            snprintf(f->name, sizeof f->name, "%s", parts[k].target);
            targets += f->size;
        } else if (parts[k].target)
            return ax_fail(AX_ERR_INVALID_ARG, "dataset zip: part %d has no labels or targets for '%s'", k,
                           parts[k].target);
    }
    if (!n_in)
        return ax_fail(AX_ERR_INVALID_ARG, "dataset zip: no part gives features (an input name)");
    float *x = ax_alloc((size_t)(rows * features) * sizeof *x), *t = ax_alloc((size_t)(rows * (targets ? targets : 1)) * sizeof *t);
    ax_status s = x && t ? AX_OK : ax_fail(AX_ERR_NOMEM, "dataset zip: out of memory for %lld samples", (long long)rows);
    for (int64_t i = 0; s == AX_OK && i < rows; i++) {
        int64_t fx = 0, ft = 0;
        for (int k = 0; k < n; k++) {
            const ax_dataset *ds = parts[k].ds;
            if (parts[k].input) {
                sample_floats(ds, i, x + i * features + fx);
                fx += ds->sample_size;
            }
            if (parts[k].target && ds->labels)
                t[i * targets + ft++] = (float)ds->labels[i];
            else if (parts[k].target)
                for (int64_t j = 0; j < ds->n_targets; j++)
                    t[i * targets + ft++] = ds->targets[i * ds->n_targets + j];
        }
    }
    if (s == AX_OK)
        s = ax_dataset_from_floats(x, rows, features, NULL, 0, targets ? t : NULL, targets, out);
    if (s == AX_OK && (s = ax_dataset_set_fields(*out, in, n_in, tg, n_tg)) != AX_OK) {
        ax_dataset_free(*out);
        *out = NULL;
    }
    ax_free(x);
    ax_free(t);
    return s;
}
