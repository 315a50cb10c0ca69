/* safetensors (Hugging Face): an 8-byte little-endian header length N, N
 * bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
 * "__metadata__": {string: string}}, then the tensors' bytes; offsets are
 * relative to the end of the header and must cover the data exactly.
 * axon writes F32. It reads F32, and F64, F16 and BF16 converted to F32
 * (PyTorch users save those); tensors of integer and boolean dtypes (such
 * as batch norm's num_batches_tracked, I64) are validated and may sit in
 * the file, but cannot load into a parameter. */
#include "axon/safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEADER ((uint64_t)100 << 20)

/* The dtypes of the format and their element sizes; floating ones convert
 * to float. */
typedef enum value_kind { F32, F64, F16, BF16, NOT_FLOAT } value_kind;
static const struct {
    const char *name;
    int bytes;
    value_kind kind;
} dtypes[] = {{"F32", 4, F32}, {"F64", 8, F64},       {"F16", 2, F16},       {"BF16", 2, BF16},
              {"I64", 8, NOT_FLOAT}, {"I32", 4, NOT_FLOAT}, {"I16", 2, NOT_FLOAT}, {"I8", 1, NOT_FLOAT},
              {"U64", 8, NOT_FLOAT}, {"U32", 4, NOT_FLOAT}, {"U16", 2, NOT_FLOAT}, {"U8", 1, NOT_FLOAT},
              {"BOOL", 1, NOT_FLOAT}};

static int dtype_index(const cJSON *t)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(t, "dtype");
    for (int i = 0; cJSON_IsString(d) && i < (int)(sizeof dtypes / sizeof dtypes[0]); i++)
        if (!strcmp(d->valuestring, dtypes[i].name))
            return i;
    return -1;
}

/* IEEE half and bfloat16 to float. */
static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float v;
    if (exp == 0) /* zero or subnormal: man * 2^-24 */
        v = (float)man * 0x1p-24f;
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else {
        uint32_t bits = ((exp + 112) << 23) | (man << 13);
        memcpy(&v, &bits, sizeof v);
    }
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    bits |= sign;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static float bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* ---- writing ----------------------------------------------------------- */

static int dtype_bytes(const char *name)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (!strcmp(name, dtypes[i].name))
            return dtypes[i].bytes;
    return 0;
}

ax_status ax_st_write(const char *path, const ax_st_entry *e, int n, const char *const *meta_keys,
                      const char *const *meta_values, int n_meta)
{
    ax_st_typed *t = ax_alloc((size_t)(n > 0 ? n : 1) * sizeof *t);
    if (!t)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++)
        t[i] = (ax_st_typed){e[i].name, "F32", e[i].data, e[i].shape};
    ax_status s = ax_st_write_typed(path, t, n, meta_keys, meta_values, n_meta);
    ax_free(t);
    return s;
}

ax_status ax_st_write_typed(const char *path, const ax_st_typed *e, int n, const char *const *meta_keys,
                            const char *const *meta_values, int n_meta)
{
    cJSON *root = cJSON_CreateObject();
    ax_status s = root ? AX_OK : ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    if (s == AX_OK && n_meta > 0) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (int i = 0; meta && i < n_meta; i++)
            cJSON_AddStringToObject(meta, meta_keys[i], meta_values[i]);
    }
    uint64_t offset = 0;
    for (int i = 0; s == AX_OK && i < n; i++) {
        cJSON *t = cJSON_GetObjectItemCaseSensitive(root, e[i].name) ? NULL : cJSON_AddObjectToObject(root, e[i].name);
        if (!t) {
            s = ax_fail(AX_ERR_INVALID_ARG, "%s: cannot add tensor '%s' (a repeated name?)", path, e[i].name);
            break;
        }
        const int eb = dtype_bytes(e[i].dtype);
        if (!eb) {
            s = ax_fail(AX_ERR_INVALID_ARG, "%s: tensor '%s': unknown dtype %s", path, e[i].name, e[i].dtype);
            break;
        }
        cJSON_AddStringToObject(t, "dtype", e[i].dtype);
        cJSON *shape = cJSON_AddArrayToObject(t, "shape"), *off = cJSON_AddArrayToObject(t, "data_offsets");
        for (int d = 0; d < e[i].shape.ndim; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e[i].shape.dim[d]));
        uint64_t bytes = (uint64_t)ax_shape_numel(&e[i].shape) * (uint64_t)eb;
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset));
        cJSON_AddItemToArray(off, cJSON_CreateNumber((double)(offset + bytes)));
        offset += bytes;
    }
    char *json = s == AX_OK ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (s == AX_OK && !json)
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    if (s != AX_OK)
        return s;
    /* the header padded with spaces to a multiple of 8 bytes, so the data is aligned */
    uint64_t hlen = strlen(json), padded = (hlen + 7) / 8 * 8;
    size_t total = 8 + (size_t)padded + (size_t)offset;
    unsigned char *buf = ax_alloc(total);
    if (!buf) {
        cJSON_free(json);
        return ax_fail(AX_ERR_NOMEM, "%s: cannot hold %zu bytes", path, total);
    }
    for (int b = 0; b < 8; b++)
        buf[b] = (unsigned char)(padded >> (8 * b));
    memcpy(buf + 8, json, (size_t)hlen);
    memset(buf + 8 + hlen, ' ', (size_t)(padded - hlen));
    cJSON_free(json);
    unsigned char *data = buf + 8 + padded;
    for (int i = 0; i < n; i++) { /* little-endian, as in memory here */
        size_t bytes = (size_t)ax_shape_numel(&e[i].shape) * (size_t)dtype_bytes(e[i].dtype);
        memcpy(data, e[i].data, bytes);
        data += bytes;
    }
    s = ax_write_file_atomic(path, buf, total);
    ax_free(buf);
    return s;
}

ax_status ax_save_safetensors(const char *path, ax_graph *g, const char *const *meta_keys,
                              const char *const *meta_values, int n_meta)
{
    int n = ax_graph_num_params(g);
    ax_st_entry *e = ax_alloc((size_t)(n > 0 ? n : 1) * sizeof *e);
    if (!e)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++) { /* host views of the parameters while the file is written */
        ax_node *p = ax_graph_param(g, i);
        e[i] = (ax_st_entry){ax_node_name(p), ax_node_map(p), ax_node_shape(p)};
    }
    ax_status s = ax_st_write(path, e, n, meta_keys, meta_values, n_meta);
    for (int i = 0; i < n; i++)
        ax_node_unmap(ax_graph_param(g, i), 0);
    ax_free(e);
    return s;
}

/* ---- reading ----------------------------------------------------------- */

struct ax_st_file {
    const char *path;
    unsigned char *bytes;
    size_t len;
    cJSON *header;
    uint64_t data_start;
};
typedef struct ax_st_file file;

static void file_close(file *f)
{
    cJSON_Delete(f->header);
    ax_free(f->bytes);
}

typedef struct span {
    uint64_t begin, end;
    const char *name;
} span;

/* By offset, an empty tensor before a full one at the same offset, so
 * that empty tensors are accepted whatever the order of the keys. */
static int by_begin(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Read and validate the whole file. */
static ax_status file_open(const char *path, file *f)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    size_t len = 0;
    char *bytes = NULL;
    ax_status s = ax_read_file(path, SIZE_MAX - 1, &bytes, &len);
    f->bytes = (unsigned char *)bytes;
    if (s == AX_OK && len < 8)
        s = ax_fail(AX_ERR_FORMAT, "%s: %zu bytes: too short for the 8-byte header length", path, len);
    if (s != AX_OK)
        return s;
    f->len = len;
    uint64_t n = 0;
    for (int b = 0; b < 8; b++)
        n |= (uint64_t)f->bytes[b] << (8 * b);
    if (n == 0 || n > MAX_HEADER || n > f->len - 8)
        return ax_fail(AX_ERR_FORMAT, "%s: byte 0: header length %llu does not fit the %zu-byte file (or passes %llu)",
                       path, (unsigned long long)n, f->len, (unsigned long long)MAX_HEADER);
    f->data_start = 8 + n;
    const char *json_end = NULL;
    f->header = cJSON_ParseWithLengthOpts((const char *)f->bytes + 8, (size_t)n, &json_end, 0);
    if (!f->header || !cJSON_IsObject(f->header)) {
        const char *at = cJSON_GetErrorPtr();
        long off = at ? (long)(at - (const char *)f->bytes) : 8;
        return ax_fail(AX_ERR_FORMAT, "%s: byte %ld: the header is not a JSON object", path, off);
    }
    /* after the object, only the spaces that pad the header */
    for (const char *c = json_end; c && c < (const char *)f->bytes + 8 + n; c++)
        if (*c != ' ')
            return ax_fail(AX_ERR_FORMAT, "%s: byte %ld: bytes after the header's JSON object", path,
                           (long)(c - (const char *)f->bytes));
    /* every tensor: a known dtype, a shape, offsets of exactly its size; together they tile the data */
    int count = cJSON_GetArraySize(f->header);
    span *spans = ax_alloc((size_t)(count > 0 ? count : 1) * sizeof *spans);
    if (!spans)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    int k = 0;
    const uint64_t data_len = f->len - f->data_start;
    const cJSON *t;
    cJSON_ArrayForEach(t, f->header)
    {
        if (!strcmp(t->string, "__metadata__")) {
            const cJSON *v;
            if (!cJSON_IsObject(t))
                s = ax_fail(AX_ERR_FORMAT, "%s: __metadata__ must be an object of strings", path);
            cJSON_ArrayForEach(v, t) if (s == AX_OK && !cJSON_IsString(v))
                s = ax_fail(AX_ERR_FORMAT, "%s: __metadata__ '%s' is not a string", path, v->string);
            if (s != AX_OK)
                break;
            continue;
        }
        if (cJSON_GetObjectItemCaseSensitive(f->header, t->string) != t) {
            /* JSON readers differ on which one counts: refuse the file */
            s = ax_fail(AX_ERR_FORMAT, "%s: tensor '%s' appears twice in the header", path, t->string);
            break;
        }
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(t, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
        if (!cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(off) || cJSON_GetArraySize(off) != 2) {
            s = ax_fail(AX_ERR_FORMAT, "%s: tensor '%s': expected dtype, shape and two data_offsets", path, t->string);
            break;
        }
        const int di = dtype_index(t);
        if (di < 0) {
            s = ax_fail(AX_ERR_FORMAT, "%s: tensor '%s': unknown dtype %s", path, t->string, dtype->valuestring);
            break;
        }
        const double elem = dtypes[di].bytes;
        double numel = 1;
        const cJSON *d;
        cJSON_ArrayForEach(d, shape)
        {
            /* range first: casting a double beyond int64 is undefined */
            if (!cJSON_IsNumber(d) || !(d->valuedouble >= 0 && d->valuedouble <= (double)AX_MAX_NUMEL) ||
                d->valuedouble != (double)(int64_t)d->valuedouble) {
                s = ax_fail(AX_ERR_FORMAT, "%s: tensor '%s': a dimension is not a whole number from 0 to 2^40", path,
                            t->string);
                break;
            }
            numel *= d->valuedouble;
        }
        if (s == AX_OK && (cJSON_GetArraySize(shape) > AX_MAX_DIMS || numel > (double)AX_MAX_NUMEL))
            s = ax_fail(AX_ERR_FORMAT, "%s: tensor '%s': more than %d dimensions or 2^40 values", path, t->string,
                        AX_MAX_DIMS);
        if (s != AX_OK)
            break;
        double b = cJSON_GetArrayItem(off, 0)->valuedouble, e = cJSON_GetArrayItem(off, 1)->valuedouble;
        if (!(b >= 0 && e >= b && e <= (double)data_len) || e - b != numel * elem) {
            s = ax_fail(AX_ERR_FORMAT,
                        "%s: tensor '%s': data_offsets [%.0f, %.0f] must hold %.0f values of %s (%.0f bytes) inside "
                        "the %llu bytes of data",
                        path, t->string, b, e, numel, dtype->valuestring, numel * elem, (unsigned long long)data_len);
            break;
        }
        spans[k++] = (span){(uint64_t)b, (uint64_t)e, t->string};
    }
    if (s == AX_OK) {
        qsort(spans, (size_t)k, sizeof *spans, by_begin);
        uint64_t at = 0;
        for (int i = 0; i < k && s == AX_OK; i++) {
            if (spans[i].begin != at)
                s = ax_fail(AX_ERR_FORMAT, "%s: tensor '%s' starts at data byte %llu, expected %llu (%s)", path,
                            spans[i].name, (unsigned long long)spans[i].begin, (unsigned long long)at,
                            spans[i].begin < at ? "it overlaps another" : "a gap before it");
            at = spans[i].end;
        }
        if (s == AX_OK && at != data_len)
            s = ax_fail(AX_ERR_FORMAT, "%s: the tensors cover %llu of the %llu data bytes", path, (unsigned long long)at,
                        (unsigned long long)data_len);
    }
    ax_free(spans);
    return s;
}

/* Value i of a validated float tensor starting at src, as a float. */
static float value_at(value_kind kind, const unsigned char *src, int64_t i)
{
    float f;
    double d;
    uint16_t h;
    switch (kind) {
    case F64:
        memcpy(&d, src + 8 * i, 8);
        return (float)d;
    case F16:
        memcpy(&h, src + 2 * i, 2);
        return half_to_float(h);
    case BF16:
        memcpy(&h, src + 2 * i, 2);
        return bf16_to_float(h);
    default:
        memcpy(&f, src + 4 * i, 4); /* little-endian, as in memory here */
        return f;
    }
}

/* numel values of tensor t (validated by file_open) into dst as floats,
 * or, with dst NULL, only checked: floats of the right count, every one
 * finite (a weight that is not a number spoils every output). */
static ax_status read_floats(const file *f, const cJSON *t, const char *name, float *dst, int64_t numel)
{
    const int di = dtype_index(t);
    if (dtypes[di].kind == NOT_FLOAT)
        return ax_fail(AX_ERR_FORMAT, "%s: tensor '%s' holds %s values; the model's parameter needs floats (F32, F64, "
                       "F16, BF16)",
                       f->path, name, dtypes[di].name);
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    const double b = cJSON_GetArrayItem(off, 0)->valuedouble, e = cJSON_GetArrayItem(off, 1)->valuedouble;
    if (e - b != (double)numel * dtypes[di].bytes)
        return ax_fail(AX_ERR_SHAPE, "%s: tensor '%s' holds %.0f values, expected %lld", f->path, name,
                       (e - b) / dtypes[di].bytes, (long long)numel);
    const unsigned char *src = f->bytes + f->data_start + (uint64_t)b;
    for (int64_t i = 0; i < numel; i++) {
        const float v = value_at(dtypes[di].kind, src, i);
        if (!isfinite(v))
            return ax_fail(AX_ERR_NUMERIC, "%s: tensor '%s' holds %s at index %lld", f->path, name,
                           isnan(v) ? "NaN" : "an infinite value", (long long)i);
        if (dst)
            dst[i] = v;
    }
    return AX_OK;
}

ax_status ax_load_safetensors(const char *path, ax_graph *g, int strict, int *loaded)
{
    file f;
    ax_status s = file_open(path, &f);
    int n = 0;
    /* check everything before changing anything */
    for (int pass = 0; pass < 2 && s == AX_OK; pass++) {
        n = 0;
        for (int i = 0; i < ax_graph_num_params(g) && s == AX_OK; i++) {
            ax_node *p = ax_graph_param(g, i);
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(f.header, ax_node_name(p));
            if (!t) {
                if (strict)
                    s = ax_fail(AX_ERR_FORMAT, "%s: no tensor '%s' for the model's parameter", path, ax_node_name(p));
                continue;
            }
            ax_shape sh = ax_node_shape(p);
            const cJSON *shape = cJSON_GetObjectItemCaseSensitive(t, "shape");
            int same = cJSON_GetArraySize(shape) == sh.ndim;
            for (int d = 0; same && d < sh.ndim; d++)
                same = (int64_t)cJSON_GetArrayItem(shape, d)->valuedouble == sh.dim[d];
            if (!same) {
                if (strict) {
                    char buf[96];
                    s = ax_fail(AX_ERR_SHAPE, "%s: tensor '%s' has another shape than the model's %s", path,
                                ax_node_name(p), ax_shape_str(&sh, buf, sizeof buf));
                }
                continue;
            }
            /* pass 0 checks every value, pass 1 copies */
            s = read_floats(&f, t, ax_node_name(p), pass ? ax_node_map(p) : NULL, ax_node_numel(p));
            if (pass)
                ax_node_unmap(p, 1);
            n++;
        }
    }
    file_close(&f);
    if (loaded)
        *loaded = s == AX_OK ? n : 0;
    return s;
}

ax_status ax_st_open(const char *path, ax_st_file **out)
{
    *out = ax_calloc(1, sizeof **out);
    if (!*out)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    ax_status s = file_open(path, *out);
    if (s != AX_OK) {
        ax_st_close(*out);
        *out = NULL;
    }
    return s;
}

void ax_st_close(ax_st_file *f)
{
    if (!f)
        return;
    file_close(f);
    ax_free(f);
}

const char *ax_st_meta(ax_st_file *f, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f->header, "__metadata__"), key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

ax_status ax_st_get(ax_st_file *f, const char *name, float *dst, int64_t numel)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(f->header, name);
    if (!t || !strcmp(name, "__metadata__"))
        return ax_fail(AX_ERR_FORMAT, "%s: no tensor '%s'", f->path, name);
    return read_floats(f, t, name, dst, numel);
}

int ax_st_has(ax_st_file *f, const char *name)
{
    return strcmp(name, "__metadata__") != 0 && cJSON_GetObjectItemCaseSensitive(f->header, name) != NULL;
}

int ax_st_count(ax_st_file *f)
{
    return cJSON_GetArraySize(f->header) - (cJSON_GetObjectItemCaseSensitive(f->header, "__metadata__") != NULL);
}

ax_status ax_safetensors_metadata(const char *path, const char *key, char **value)
{
    *value = NULL;
    file f;
    ax_status s = file_open(path, &f);
    if (s == AX_OK) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f.header, "__metadata__"), key);
        if (cJSON_IsString(v) && (*value = ax_alloc(strlen(v->valuestring) + 1)))
            strcpy(*value, v->valuestring);
    }
    file_close(&f);
    return s;
}

ax_status ax_st_shape(ax_st_file *f, const char *name, ax_shape *shape)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(f->header, name);
    if (!t || !strcmp(name, "__metadata__"))
        return ax_fail(AX_ERR_FORMAT, "%s: no tensor '%s'", f->path, name);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(t, "shape");
    shape->ndim = cJSON_GetArraySize(sh); /* validated at open: at most AX_MAX_DIMS, each in range */
    for (int d = 0; d < shape->ndim; d++)
        shape->dim[d] = (int64_t)cJSON_GetArrayItem(sh, d)->valuedouble;
    return AX_OK;
}

ax_status ax_st_get_raw(ax_st_file *f, const char *name, const char *dtype, void *dst, int64_t numel)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(f->header, name);
    if (!t || !strcmp(name, "__metadata__"))
        return ax_fail(AX_ERR_FORMAT, "%s: no tensor '%s'", f->path, name);
    const int di = dtype_index(t);
    if (strcmp(dtypes[di].name, dtype))
        return ax_fail(AX_ERR_FORMAT, "%s: tensor '%s' holds %s values, expected %s", f->path, name, dtypes[di].name,
                       dtype);
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(t, "data_offsets");
    const double b = cJSON_GetArrayItem(off, 0)->valuedouble, e = cJSON_GetArrayItem(off, 1)->valuedouble;
    if (e - b != (double)numel * dtypes[di].bytes)
        return ax_fail(AX_ERR_SHAPE, "%s: tensor '%s' holds %.0f values, expected %lld", f->path, name,
                       (e - b) / dtypes[di].bytes, (long long)numel);
    memcpy(dst, f->bytes + f->data_start + (uint64_t)b, (size_t)(e - b));
    return AX_OK;
}
