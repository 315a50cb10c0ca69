/* int8 models as safetensors files: weights I8, biases, multipliers,
 * shifts and softmax tables I32, element-wise tables I8, one set per
 * layer ("layer<i>.weight", ...), and the layers and tensors as JSON in
 * the metadata "quantized". The reader takes the file as untrusted: every
 * number is range-checked, every layer's geometry must join its tensors,
 * and the sums the kernels form must fit in 32 bits, before it runs. */
#include "quant/qmodel.h"
#include "axon/safetensors.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FORMAT "axon int8 1"

/* ---- writing ----------------------------------------------------------- */

static void add_ints(cJSON *o, const char *const *names, const int32_t *values, int n)
{
    for (int i = 0; i < n; i++)
        cJSON_AddNumberToObject(o, names[i], values[i]);
}

static const char *const conv_keys[] = {"c_in", "h_in", "w_in", "c_out", "h_out", "w_out", "kh", "kw",
                                        "stride_h", "stride_w", "pad_top", "pad_left", "dilation_h",
                                        "dilation_w", "groups"};
static const char *const pool_keys[] = {"c", "h_in", "w_in", "h_out", "w_out", "kh", "kw",
                                        "stride_h", "stride_w", "pad_top", "pad_left", "count_include_pad"};
static const char *const add_keys[] = {"left_shift", "a_mult", "a_shift", "b_mult", "b_shift", "out_mult",
                                       "out_shift"};

static void conv_values(const axq_conv *c, int32_t *v)
{
    const int32_t w[] = {c->c_in, c->h_in, c->w_in, c->c_out, c->h_out, c->w_out, c->kh, c->kw, c->stride_h,
                         c->stride_w, c->pad_top, c->pad_left, c->dilation_h, c->dilation_w, c->groups};
    memcpy(v, w, sizeof w);
}

static void pool_values(const axq_pool *p, int32_t *v)
{
    const int32_t w[] = {p->c, p->h_in, p->w_in, p->h_out, p->w_out, p->kh, p->kw, p->stride_h, p->stride_w,
                         p->pad_top, p->pad_left, p->count_include_pad};
    memcpy(v, w, sizeof w);
}

static void add_values(const axq_add *a, int32_t *v)
{
    const int32_t w[] = {a->left_shift, a->a_mult, a->a_shift, a->b_mult, a->b_shift, a->out_mult, a->out_shift};
    memcpy(v, w, sizeof w);
}

static char *describe(const ax_qmodel *q)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", FORMAT);
    cJSON_AddStringToObject(root, "input", q->input_name);
    cJSON_AddNumberToObject(root, "output", q->output);
    cJSON *ts = cJSON_AddArrayToObject(root, "tensors"), *ls = cJSON_AddArrayToObject(root, "layers");
    for (int t = 0; t < q->n_tensors; t++) {
        const axq_tensor *x = &q->tensors[t];
        cJSON *o = cJSON_CreateObject(), *sh = cJSON_AddArrayToObject(o, "shape");
        for (int d = 0; d < x->shape.ndim; d++)
            cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)x->shape.dim[d]));
        cJSON_AddNumberToObject(o, "scale", x->scale);
        cJSON_AddNumberToObject(o, "zero_point", x->zp);
        cJSON *r = cJSON_AddArrayToObject(o, "range");
        cJSON_AddItemToArray(r, cJSON_CreateNumber(x->lo));
        cJSON_AddItemToArray(r, cJSON_CreateNumber(x->hi));
        cJSON_AddItemToArray(ts, o);
    }
    for (int i = 0; i < q->n_layers; i++) {
        const axq_layer *l = &q->layers[i];
        cJSON *o = cJSON_CreateObject(), *in = cJSON_CreateArray();
        cJSON_AddStringToObject(o, "name", l->name);
        cJSON_AddStringToObject(o, "kind", axq_kind_names[l->kind]);
        for (int k = 0; k < l->n_in; k++)
            cJSON_AddItemToArray(in, cJSON_CreateNumber(l->in[k]));
        cJSON_AddItemToObject(o, "inputs", in);
        cJSON_AddNumberToObject(o, "output", l->out);
        cJSON_AddNumberToObject(o, "relu", l->relu);
        int32_t v[16];
        if (l->kind == AXQ_DENSE) {
            cJSON_AddNumberToObject(o, "in", l->dense.in);
            cJSON_AddNumberToObject(o, "out", l->dense.out);
        } else if (l->kind == AXQ_CONV) {
            conv_values(&l->conv, v);
            add_ints(o, conv_keys, v, 15);
            cJSON_AddNumberToObject(o, "pad_bottom", l->pad_bottom);
            cJSON_AddNumberToObject(o, "pad_right", l->pad_right);
        } else if (l->kind == AXQ_MAX_POOL || l->kind == AXQ_AVG_POOL) {
            pool_values(&l->pool, v);
            add_ints(o, pool_keys, v, 12);
            cJSON_AddNumberToObject(o, "pad_bottom", l->pad_bottom);
            cJSON_AddNumberToObject(o, "pad_right", l->pad_right);
        } else if (l->kind == AXQ_ADD) {
            add_values(&l->add, v);
            add_ints(o, add_keys, v, 7);
        } else if (l->kind == AXQ_UNARY) {
            cJSON_AddStringToObject(o, "op", l->op);
            cJSON *a = cJSON_AddArrayToObject(o, "attrs");
            for (int k = 0; k < l->n_attr; k++)
                cJSON_AddItemToArray(a, cJSON_CreateNumber(l->attr[k]));
        }
        cJSON_AddItemToArray(ls, o);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

ax_status ax_qmodel_save(const char *path, const ax_qmodel *q, const char *const *meta_keys,
                         const char *const *meta_values, int n_meta)
{
    if (!q->int8)
        return ax_fail(AX_ERR_STATE, "%s: a float plan is not saved (save the float model)", path);
    enum { PER = 5 }; /* tensors a layer has at most */
    ax_st_typed *e = ax_alloc((size_t)(q->n_layers * PER + 1) * sizeof *e);
    char (*names)[48] = ax_alloc((size_t)(q->n_layers * PER + 1) * sizeof *names);
    const char **keys = ax_alloc((size_t)(n_meta + 1) * sizeof *keys), **vals = ax_alloc((size_t)(n_meta + 1) * sizeof *vals);
    char *json = describe(q);
    ax_status s = e && names && keys && vals && json ? AX_OK : ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    int n = 0;
    for (int i = 0; s == AX_OK && i < q->n_layers; i++) {
        const axq_layer *l = &q->layers[i];
#define PUT(suffix, type, ptr, shape_)                                                                           \
    do {                                                                                                       \
        snprintf(names[n], sizeof names[n], "layer%d.%s", i, suffix);                                          \
        e[n] = (ax_st_typed){names[n], type, ptr, shape_};                                                     \
        n++;                                                                                                   \
    } while (0)
        if (l->kind == AXQ_DENSE || l->kind == AXQ_CONV) {
            PUT("weight", "I8", l->w8, ax_shape1(l->w_numel));
            PUT("bias", "I32", l->b32, ax_shape1(l->channels));
            PUT("multiplier", "I32", l->mult, ax_shape1(l->channels));
            PUT("shift", "I32", l->shift, ax_shape1(l->channels));
            PUT("weight_scale", "F32", l->wscale, ax_shape1(l->channels));
        } else if (l->kind == AXQ_UNARY)
            PUT("table", "I8", l->table8, ax_shape1(256));
        else if (l->kind == AXQ_SOFTMAX)
            PUT("table", "I32", l->table32, ax_shape1(256));
#undef PUT
    }
    if (s == AX_OK) {
        keys[0] = "quantized";
        vals[0] = json;
        for (int i = 0; i < n_meta; i++) {
            keys[i + 1] = meta_keys[i];
            vals[i + 1] = meta_values[i];
        }
        s = ax_st_write_typed(path, e, n, keys, vals, n_meta + 1);
    }
    cJSON_free(json);
    ax_free(e);
    ax_free(names);
    ax_free(keys);
    ax_free(vals);
    return s;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct reader {
    const char *path;
    char where[96];
} reader;

static ax_status get_int(reader *r, const cJSON *o, const char *key, int64_t lo, int64_t hi, int32_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)lo ||
        v->valuedouble > (double)hi)
        return ax_fail(AX_ERR_FORMAT, "%s: %s: \"%s\" must be a whole number in %lld..%lld", r->path, r->where, key,
                       (long long)lo, (long long)hi);
    *out = (int32_t)v->valuedouble;
    return AX_OK;
}

static ax_status read_tensor(reader *r, const cJSON *o, axq_tensor *t)
{
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(o, "shape"), *sc = cJSON_GetObjectItemCaseSensitive(o, "scale");
    const cJSON *rg = cJSON_GetObjectItemCaseSensitive(o, "range");
    if (!cJSON_IsArray(sh) || cJSON_GetArraySize(sh) > AX_MAX_DIMS)
        return ax_fail(AX_ERR_FORMAT, "%s: %s: \"shape\" must be a list of at most %d sizes", r->path, r->where,
                       AX_MAX_DIMS);
    t->shape.ndim = cJSON_GetArraySize(sh);
    int64_t numel = 1;
    for (int d = 0; d < t->shape.ndim; d++) {
        const cJSON *v = cJSON_GetArrayItem(sh, d);
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 1 ||
            v->valuedouble > (double)INT32_MAX)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: size %d must be a whole number in 1..%d", r->path, r->where, d,
                           INT32_MAX);
        t->shape.dim[d] = (int64_t)v->valuedouble;
        if (!ax_mul_checked(numel, t->shape.dim[d], &numel) || numel > INT32_MAX)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: more than %d values", r->path, r->where, INT32_MAX);
    }
    t->numel = numel;
    if (!cJSON_IsNumber(sc) || !isfinite(sc->valuedouble) || sc->valuedouble <= 0 || sc->valuedouble > 1e30 ||
        sc->valuedouble < 1e-30)
        return ax_fail(AX_ERR_FORMAT, "%s: %s: \"scale\" must be a positive finite number", r->path, r->where);
    t->scale = (float)sc->valuedouble;
    if (cJSON_IsArray(rg) && cJSON_GetArraySize(rg) == 2 && cJSON_IsNumber(cJSON_GetArrayItem(rg, 0)) &&
        cJSON_IsNumber(cJSON_GetArrayItem(rg, 1))) {
        t->lo = (float)cJSON_GetArrayItem(rg, 0)->valuedouble;
        t->hi = (float)cJSON_GetArrayItem(rg, 1)->valuedouble;
    }
    return get_int(r, o, "zero_point", -128, 127, &t->zp);
}

static int kind_of(const char *name)
{
    for (int k = 0; k < AXQ_KINDS; k++)
        if (!strcmp(name, axq_kind_names[k]))
            return k;
    return -1;
}

static ax_status check_multiplier(reader *r, int32_t mult, int32_t shift, const char *what)
{
    if (mult != 0 && (mult < (1 << 30) || shift < -31 || shift > 30))
        return ax_fail(AX_ERR_FORMAT, "%s: %s: %s multiplier %ld and shift %ld are out of range (2^30..2^31-1 and "
                       "-31..30, or 0)", r->path, r->where, what, (long)mult, (long)shift);
    return AX_OK;
}

/* A weighted layer's arrays, and the bound on its sums: |bias| + fan-in x
 * 255 x 127 must fit int32. */
static ax_status read_weights(reader *r, ax_st_file *f, int i, axq_layer *l, int64_t fan_in)
{
    char name[48];
    l->w8 = ax_alloc((size_t)l->w_numel);
    l->b32 = ax_alloc((size_t)l->channels * sizeof *l->b32);
    l->mult = ax_alloc((size_t)l->channels * sizeof *l->mult);
    l->shift = ax_alloc((size_t)l->channels * sizeof *l->shift);
    l->wscale = ax_alloc((size_t)l->channels * sizeof *l->wscale);
    if (!l->w8 || !l->b32 || !l->mult || !l->shift || !l->wscale)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", r->path);
    const struct {
        const char *suffix, *dtype;
        void *dst;
        int64_t n;
    } parts[] = {{"weight", "I8", l->w8, l->w_numel},
                 {"bias", "I32", l->b32, l->channels},
                 {"multiplier", "I32", l->mult, l->channels},
                 {"shift", "I32", l->shift, l->channels}};
    for (int k = 0; k < 4; k++) {
        snprintf(name, sizeof name, "layer%d.%s", i, parts[k].suffix);
        ax_status s = ax_st_get_raw(f, name, parts[k].dtype, parts[k].dst, parts[k].n);
        if (s != AX_OK)
            return s;
    }
    snprintf(name, sizeof name, "layer%d.weight_scale", i);
    ax_status sw = ax_st_get(f, name, l->wscale, l->channels); /* checked finite */
    if (sw != AX_OK)
        return sw;
    const int64_t most = fan_in * 255 * 127;
    for (int64_t c = 0; c < l->channels; c++) {
        ax_status s = check_multiplier(r, l->mult[c], l->shift[c], "a channel's");
        if (s != AX_OK)
            return s;
        if (!(l->wscale[c] > 0))
            return ax_fail(AX_ERR_FORMAT, "%s: %s: channel %lld's weight scale is not positive", r->path, r->where,
                           (long long)c);
        if (most + (l->b32[c] < 0 ? -(int64_t)l->b32[c] : l->b32[c]) > INT32_MAX)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: channel %lld's sums could pass 32 bits (bias %ld, fan-in %lld)",
                           r->path, r->where, (long long)c, (long)l->b32[c], (long long)fan_in);
    }
    return AX_OK;
}

static ax_status read_layer(reader *r, ax_st_file *f, const cJSON *o, int i, ax_qmodel *q, char *made)
{
    axq_layer *l = &q->layers[i];
    memset(l, 0, sizeof *l);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name"), *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(o, "inputs");
    if (!cJSON_IsString(name) || !cJSON_IsString(kind) || kind_of(kind->valuestring) < 0 || !cJSON_IsArray(in))
        return ax_fail(AX_ERR_FORMAT, "%s: %s: needs a \"name\", a known \"kind\" and \"inputs\"", r->path, r->where);
    snprintf(l->name, sizeof l->name, "%s", name->valuestring);
    l->kind = (axq_kind)kind_of(kind->valuestring);
    l->n_in = cJSON_GetArraySize(in);
    if (l->n_in != (l->kind == AXQ_ADD ? 2 : 1))
        return ax_fail(AX_ERR_FORMAT, "%s: %s: a %s layer reads %d tensors, not %d", r->path, r->where,
                       kind->valuestring, l->kind == AXQ_ADD ? 2 : 1, l->n_in);
    for (int k = 0; k < l->n_in; k++) {
        const cJSON *v = cJSON_GetArrayItem(in, k);
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
            v->valuedouble >= q->n_tensors || !made[(int)v->valuedouble])
            return ax_fail(AX_ERR_FORMAT, "%s: %s: input %d is not a tensor written before it", r->path, r->where, k);
        l->in[k] = (int)v->valuedouble;
    }
    int32_t out = 0, relu = 0;
    ax_status s = get_int(r, o, "output", 1, q->n_tensors - 1, &out);
    if (s == AX_OK && made[out])
        s = ax_fail(AX_ERR_FORMAT, "%s: %s: its output tensor %ld is written twice", r->path, r->where, (long)out);
    if (s == AX_OK)
        s = get_int(r, o, "relu", 0, 1, &relu);
    if (s != AX_OK)
        return s;
    l->out = out;
    l->relu = relu;
    made[out] = 1;
    int32_t v[16];
    char tname[48];
    if (l->kind == AXQ_CONV || l->kind == AXQ_MAX_POOL || l->kind == AXQ_AVG_POOL)
        if ((s = get_int(r, o, "pad_bottom", 0, 1 << 24, &l->pad_bottom)) != AX_OK ||
            (s = get_int(r, o, "pad_right", 0, 1 << 24, &l->pad_right)) != AX_OK)
            return s;
    switch (l->kind) {
    case AXQ_DENSE:
        if ((s = get_int(r, o, "in", 1, INT32_MAX, &l->dense.in)) != AX_OK ||
            (s = get_int(r, o, "out", 1, INT32_MAX, &l->dense.out)) != AX_OK)
            return s;
        l->channels = l->dense.out;
        if (!ax_mul_checked(l->dense.in, l->dense.out, &l->w_numel) || l->w_numel > INT32_MAX)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: too many weights", r->path, r->where);
        if ((s = axq_layer_check(q, l, r->path)) != AX_OK)
            return s;
        return read_weights(r, f, i, l, l->dense.in);
    case AXQ_CONV: {
        for (int k = 0; k < 15; k++)
            if ((s = get_int(r, o, conv_keys[k], 0, 1 << 24, &v[k])) != AX_OK)
                return s;
        axq_conv *c = &l->conv;
        *c = (axq_conv){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14],
                        0, 0, 0, 0, NULL, NULL, NULL, NULL};
        if (c->groups < 1)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: groups must be at least 1", r->path, r->where);
        l->channels = c->c_out;
        int64_t fan = 0;
        if (!ax_mul_checked((int64_t)(c->c_in / c->groups) * c->kh, c->kw, &fan) ||
            !ax_mul_checked(fan, c->c_out, &l->w_numel) || l->w_numel > INT32_MAX)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: too many weights", r->path, r->where);
        if ((s = axq_layer_check(q, l, r->path)) != AX_OK)
            return s;
        return read_weights(r, f, i, l, fan);
    }
    case AXQ_MAX_POOL:
    case AXQ_AVG_POOL:
        for (int k = 0; k < 12; k++)
            if ((s = get_int(r, o, pool_keys[k], 0, 1 << 24, &v[k])) != AX_OK)
                return s;
        l->pool = (axq_pool){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11] != 0, 0};
        if (q->tensors[l->out].scale != q->tensors[l->in[0]].scale || q->tensors[l->out].zp != q->tensors[l->in[0]].zp)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: pooling keeps its input's scale and zero point", r->path, r->where);
        return axq_layer_check(q, l, r->path);
    case AXQ_ADD:
        if ((s = get_int(r, o, "left_shift", 0, 20, &l->add.left_shift)) != AX_OK)
            return s;
        for (int k = 1; k < 7; k++)
            if ((s = get_int(r, o, add_keys[k], -31, INT32_MAX, &v[k])) != AX_OK)
                return s;
        l->add.a_mult = v[1], l->add.a_shift = v[2], l->add.b_mult = v[3], l->add.b_shift = v[4];
        l->add.out_mult = v[5], l->add.out_shift = v[6];
        for (int k = 0; k < 3 && s == AX_OK; k++)
            s = check_multiplier(r, v[1 + 2 * k], v[2 + 2 * k], k == 0 ? "the first input's" : k == 1 ? "the second input's"
                                                                                              : "the output's");
        return s != AX_OK ? s : axq_layer_check(q, l, r->path);
    case AXQ_UNARY: {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(o, "op");
        if (!cJSON_IsString(op))
            return ax_fail(AX_ERR_FORMAT, "%s: %s: needs the \"op\" it stands for", r->path, r->where);
        snprintf(l->op, sizeof l->op, "%s", op->valuestring);
        snprintf(tname, sizeof tname, "layer%d.table", i);
        if ((s = ax_st_get_raw(f, tname, "I8", l->table8, 256)) != AX_OK)
            return s;
        return axq_layer_check(q, l, r->path);
    }
    case AXQ_SOFTMAX:
        snprintf(tname, sizeof tname, "layer%d.table", i);
        if ((s = ax_st_get_raw(f, tname, "I32", l->table32, 256)) != AX_OK)
            return s;
        if (q->tensors[l->out].zp != -128)
            return ax_fail(AX_ERR_FORMAT, "%s: %s: a softmax's output has zero point -128", r->path, r->where);
        for (int k = 0; k < 256; k++)
            if (l->table32[k] < (k == 0) || l->table32[k] > 65536)
                return ax_fail(AX_ERR_FORMAT, "%s: %s: table entry %d is %ld, outside %d..65536", r->path, r->where, k,
                               (long)l->table32[k], k == 0);
        return axq_layer_check(q, l, r->path);
    default:
        return ax_fail(AX_ERR_FORMAT, "%s: %s: unknown kind", r->path, r->where);
    }
}

static ax_status parse(reader *r, ax_st_file *f, const cJSON *root, ax_qmodel *q)
{
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "tensors"), *ls = cJSON_GetObjectItemCaseSensitive(root, "layers");
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(root, "input");
    snprintf(r->where, sizeof r->where, "the quantized model");
    if (!cJSON_IsString(format) || strcmp(format->valuestring, FORMAT))
        return ax_fail(AX_ERR_FORMAT, "%s: the metadata \"quantized\" is not of format \"" FORMAT "\"", r->path);
    if (!cJSON_IsArray(ts) || cJSON_GetArraySize(ts) < 2 || cJSON_GetArraySize(ts) > AXQ_MAX_TENSORS)
        return ax_fail(AX_ERR_FORMAT, "%s: \"tensors\" must list 2..%d tensors", r->path, AXQ_MAX_TENSORS);
    if (!cJSON_IsArray(ls) || cJSON_GetArraySize(ls) < 1 || cJSON_GetArraySize(ls) > AXQ_MAX_LAYERS)
        return ax_fail(AX_ERR_FORMAT, "%s: \"layers\" must list 1..%d layers", r->path, AXQ_MAX_LAYERS);
    snprintf(q->input_name, sizeof q->input_name, "%s", cJSON_IsString(input) ? input->valuestring : "input");
    q->n_tensors = cJSON_GetArraySize(ts);
    ax_status s = AX_OK;
    for (int t = 0; s == AX_OK && t < q->n_tensors; t++) {
        snprintf(r->where, sizeof r->where, "tensor %d", t);
        s = read_tensor(r, cJSON_GetArrayItem(ts, t), &q->tensors[t]);
    }
    char made[AXQ_MAX_TENSORS] = {1};
    const int n = cJSON_GetArraySize(ls);
    for (int i = 0; s == AX_OK && i < n; i++) {
        snprintf(r->where, sizeof r->where, "layer %d", i);
        q->n_layers = i + 1;
        s = read_layer(r, f, cJSON_GetArrayItem(ls, i), i, q, made);
    }
    int32_t out = 0;
    snprintf(r->where, sizeof r->where, "the quantized model");
    if (s == AX_OK)
        s = get_int(r, root, "output", 1, q->n_tensors - 1, &out);
    if (s == AX_OK && !made[out])
        s = ax_fail(AX_ERR_FORMAT, "%s: the output tensor %ld is written by no layer", r->path, (long)out);
    for (int t = 0; s == AX_OK && t < q->n_tensors; t++)
        if (!made[t])
            s = ax_fail(AX_ERR_FORMAT, "%s: tensor %d is written by no layer", r->path, t);
    q->output = out;
    return s;
}

ax_status ax_qmodel_load(const char *path, ax_qmodel **out)
{
    *out = NULL;
    ax_st_file *f = NULL;
    ax_status s = ax_st_open(path, &f);
    if (s != AX_OK)
        return s;
    const char *meta = ax_st_meta(f, "quantized");
    cJSON *root = meta ? cJSON_Parse(meta) : NULL;
    ax_qmodel *q = ax_calloc(1, sizeof *q);
    reader r = {.path = path};
    if (!meta)
        s = ax_fail(AX_ERR_FORMAT, "%s: not a quantized model (no metadata \"quantized\"; `axon quantize` makes one)",
                    path);
    else if (!root)
        s = ax_fail(AX_ERR_FORMAT, "%s: the metadata \"quantized\" is not JSON", path);
    else if (!q)
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    if (s == AX_OK)
        s = parse(&r, f, root, q);
    cJSON_Delete(root);
    ax_st_close(f);
    return axq_finish(q, 1, s, out);
}
