/* `axon export-c`: a model as one C99 file and its header. The file holds
 * the kernels (qkernels.c or fkernels.c, copied in verbatim at build time:
 * generated/quant_sources.h), the weights as const arrays, one const
 * struct per layer, a static arena planned by liveness, and
 * PREFIX_predict, which runs the layers in order. No allocation; an int8
 * model needs nothing beyond string.h and uses no floating point. */
#define _GNU_SOURCE /* open_memstream */
#include "quant/qmodel.h"

#include "quant_sources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The float export's formula of each element-wise op, in x and the op's
 * attributes p0, p1 (as in src/ops/activation.c). */
static const struct {
    const char *op, *expr;
} formulas[] = {
    {"identity", "x"},
    {"step", "x > 0.0f ? 1.0f : 0.0f"},
    {"sigmoid", "1.0f / (1.0f + expf(-x))"},
    {"tanh", "tanhf(x)"},
    {"relu", "x > 0.0f ? x : 0.0f"},
    {"leaky_relu", "x > 0.0f ? x : p0 * x"},
    {"elu", "x > 0.0f ? x : p0 * expm1f(x)"},
    {"selu", "1.0507009873554804934193349852946f * (x > 0.0f ? x : 1.6732632423543772848170429916717f * expm1f(x))"},
    {"softplus", "p0 * x > p1 ? x : (p0 * x > 0.0f ? p0 * x + log1pf(expf(-p0 * x)) : log1pf(expf(p0 * x))) / p0"},
    {"softsign", "x / (1.0f + fabsf(x))"},
    {"swish", "x / (1.0f + expf(-p0 * x))"},
    {"mish", "x * tanhf(x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)))"},
    {"sinc", "fabsf(x) < 1e-3f ? 1.0f - x * x / 6.0f : sinf(x) / x"},
    {"log_sigmoid", "x < 0.0f ? x - log1pf(expf(x)) : -log1pf(expf(-x))"},
    {"arctan", "atanf(x)"},
    {"gelu", "0.5f * x * (1.0f + erff(x * 0.70710678118654752440f))"},
    {"erf", "erff(x)"},
    {"hard_sigmoid", "fminf(fmaxf(x / 6.0f + 0.5f, 0.0f), 1.0f)"},
};

static const char *formula(const char *op)
{
    for (size_t i = 0; i < sizeof formulas / sizeof formulas[0]; i++)
        if (!strcmp(op, formulas[i].op))
            return formulas[i].expr;
    return NULL;
}

/* A kernel source without its own #includes of its headers (their text
 * comes first in the same file). */
static void put_source(FILE *f, const char *text, const char *include_line)
{
    const char *at = strstr(text, include_line);
    if (!at) {
        fputs(text, f);
        return;
    }
    fwrite(text, 1, (size_t)(at - text), f);
    fputs(at + strlen(include_line), f);
}

static void put_i8(FILE *f, const char *name, const int8_t *v, int64_t n)
{
    fprintf(f, "static const int8_t %s[%lld] = {", name, (long long)n);
    for (int64_t i = 0; i < n; i++)
        fprintf(f, "%s%d,", i % 24 ? "" : "\n    ", v[i]);
    fprintf(f, "\n};\n");
}

static void put_i32(FILE *f, const char *name, const int32_t *v, int64_t n)
{
    fprintf(f, "static const int32_t %s[%lld] = {", name, (long long)n);
    for (int64_t i = 0; i < n; i++) /* INT32_MIN has no literal of type int32_t */
        fprintf(f, "%s%s%ld,", i % 8 ? "" : "\n    ", v[i] == INT32_MIN ? "-2147483647 - " : "",
                v[i] == INT32_MIN ? 1L : (long)v[i]);
    fprintf(f, "\n};\n");
}

/* A float as a C literal: 9 significant digits give the float exactly;
 * a whole number needs its ".0" before the f ("0f" is not C). */
static const char *float_literal(double v, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%.9g", v);
    if (!strpbrk(buf, ".e") && n + 3 < (int)size)
        strcat(buf, ".0");
    strcat(buf, "f");
    return buf;
}

static void put_f32(FILE *f, const char *name, const float *v, int64_t n)
{
    char b[40];
    fprintf(f, "static const float %s[%lld] = {", name, (long long)n);
    for (int64_t i = 0; i < n; i++)
        fprintf(f, "%s%s,", i % 6 ? "" : "\n    ", float_literal(v[i], b, sizeof b));
    fprintf(f, "\n};\n");
}

/* One layer's arrays and its const struct, named L<i>. */
static void put_layer_int8(FILE *f, const ax_qmodel *q, int i)
{
    const axq_layer *l = &q->layers[i];
    char n[4][32];
    snprintf(n[0], sizeof n[0], "L%d_weight", i);
    snprintf(n[1], sizeof n[1], "L%d_bias", i);
    snprintf(n[2], sizeof n[2], "L%d_mult", i);
    snprintf(n[3], sizeof n[3], "L%d_shift", i);
    fprintf(f, "\n/* layer %d: %s '%s'%s */\n", i, ax_qmodel_layer_kind(q, i), l->name, l->relu ? ", ReLU fused" : "");
    if (l->kind == AXQ_DENSE || l->kind == AXQ_CONV) {
        put_i8(f, n[0], l->w8, l->w_numel);
        put_i32(f, n[1], l->b32, l->channels);
        put_i32(f, n[2], l->mult, l->channels);
        put_i32(f, n[3], l->shift, l->channels);
    }
    switch (l->kind) {
    case AXQ_DENSE: {
        const axq_dense *p = &l->dense;
        fprintf(f, "static const axq_dense L%d = {.in = %ld, .out = %ld, .in_zp = %ld, .out_zp = %ld, .act_min = %ld, "
                   ".act_max = %ld,\n    .weight = %s, .bias = %s, .mult = %s, .shift = %s};\n",
                i, (long)p->in, (long)p->out, (long)p->in_zp, (long)p->out_zp, (long)p->act_min, (long)p->act_max,
                n[0], n[1], n[2], n[3]);
        break;
    }
    case AXQ_CONV: {
        const axq_conv *p = &l->conv;
        fprintf(f, "static const axq_conv L%d = {.c_in = %ld, .h_in = %ld, .w_in = %ld, .c_out = %ld, .h_out = %ld, "
                   ".w_out = %ld,\n    .kh = %ld, .kw = %ld, .stride_h = %ld, .stride_w = %ld, .pad_top = %ld, "
                   ".pad_left = %ld, .dilation_h = %ld, .dilation_w = %ld, .groups = %ld,\n    .in_zp = %ld, "
                   ".out_zp = %ld, .act_min = %ld, .act_max = %ld, .weight = %s, .bias = %s, .mult = %s, .shift = %s};\n",
                i, (long)p->c_in, (long)p->h_in, (long)p->w_in, (long)p->c_out, (long)p->h_out, (long)p->w_out,
                (long)p->kh, (long)p->kw, (long)p->stride_h, (long)p->stride_w, (long)p->pad_top, (long)p->pad_left,
                (long)p->dilation_h, (long)p->dilation_w, (long)p->groups, (long)p->in_zp, (long)p->out_zp,
                (long)p->act_min, (long)p->act_max, n[0], n[1], n[2], n[3]);
        break;
    }
    case AXQ_MAX_POOL:
    case AXQ_AVG_POOL: {
        const axq_pool *p = &l->pool;
        fprintf(f, "static const axq_pool L%d = {.c = %ld, .h_in = %ld, .w_in = %ld, .h_out = %ld, .w_out = %ld, "
                   ".kh = %ld, .kw = %ld,\n    .stride_h = %ld, .stride_w = %ld, .pad_top = %ld, .pad_left = %ld, "
                   ".count_include_pad = %ld, .zp = %ld};\n",
                i, (long)p->c, (long)p->h_in, (long)p->w_in, (long)p->h_out, (long)p->w_out, (long)p->kh, (long)p->kw,
                (long)p->stride_h, (long)p->stride_w, (long)p->pad_top, (long)p->pad_left, (long)p->count_include_pad,
                (long)p->zp);
        break;
    }
    case AXQ_ADD: {
        const axq_add *p = &l->add;
        fprintf(f, "static const axq_add L%d = {.n = %ld, .left_shift = %ld, .a_zp = %ld, .a_mult = %ld, .a_shift = %ld, "
                   ".b_zp = %ld,\n    .b_mult = %ld, .b_shift = %ld, .out_zp = %ld, .out_mult = %ld, .out_shift = %ld, "
                   ".act_min = %ld, .act_max = %ld};\n",
                i, (long)p->n, (long)p->left_shift, (long)p->a_zp, (long)p->a_mult, (long)p->a_shift, (long)p->b_zp,
                (long)p->b_mult, (long)p->b_shift, (long)p->out_zp, (long)p->out_mult, (long)p->out_shift,
                (long)p->act_min, (long)p->act_max);
        break;
    }
    case AXQ_UNARY:
        snprintf(n[0], sizeof n[0], "L%d_table", i);
        put_i8(f, n[0], l->table8, 256);
        fprintf(f, "static const axq_lut L%d = {.n = %ld, .table = %s};\n", i, (long)l->lut.n, n[0]);
        break;
    case AXQ_SOFTMAX:
        snprintf(n[0], sizeof n[0], "L%d_table", i);
        put_i32(f, n[0], l->table32, 256);
        fprintf(f, "static const axq_softmax L%d = {.rows = %ld, .classes = %ld, .table = %s};\n", i,
                (long)l->softmax.rows, (long)l->softmax.classes, n[0]);
        break;
    default:
        break;
    }
}

static ax_status put_layer_float(FILE *f, const ax_qmodel *q, int i)
{
    const axq_layer *l = &q->layers[i];
    char w[32], b[32];
    snprintf(w, sizeof w, "L%d_weight", i);
    snprintf(b, sizeof b, "L%d_bias", i);
    fprintf(f, "\n/* layer %d: %s '%s'%s */\n", i, ax_qmodel_layer_kind(q, i), l->name, l->relu ? ", ReLU fused" : "");
    if (l->kind == AXQ_DENSE || l->kind == AXQ_CONV) {
        put_f32(f, w, l->wf, l->w_numel);
        put_f32(f, b, l->bf, l->channels);
    }
    if (l->kind == AXQ_DENSE)
        fprintf(f, "static const axf_dense L%d = {.in = %ld, .out = %ld, .relu = %d, .weight = %s, .bias = %s};\n", i,
                (long)l->dense.in, (long)l->dense.out, l->relu, w, b);
    else if (l->kind == AXQ_CONV) {
        const axq_conv *p = &l->conv;
        fprintf(f, "static const axf_conv L%d = {.c_in = %ld, .h_in = %ld, .w_in = %ld, .c_out = %ld, .h_out = %ld, "
                   ".w_out = %ld,\n    .kh = %ld, .kw = %ld, .stride_h = %ld, .stride_w = %ld, .pad_top = %ld, "
                   ".pad_left = %ld, .dilation_h = %ld, .dilation_w = %ld, .groups = %ld,\n    .relu = %d, "
                   ".weight = %s, .bias = %s};\n",
                i, (long)p->c_in, (long)p->h_in, (long)p->w_in, (long)p->c_out, (long)p->h_out, (long)p->w_out,
                (long)p->kh, (long)p->kw, (long)p->stride_h, (long)p->stride_w, (long)p->pad_top, (long)p->pad_left,
                (long)p->dilation_h, (long)p->dilation_w, (long)p->groups, l->relu, w, b);
    } else if (l->kind == AXQ_MAX_POOL || l->kind == AXQ_AVG_POOL) {
        const axq_pool *p = &l->pool;
        fprintf(f, "static const axf_pool L%d = {.c = %ld, .h_in = %ld, .w_in = %ld, .h_out = %ld, .w_out = %ld, "
                   ".kh = %ld, .kw = %ld,\n    .stride_h = %ld, .stride_w = %ld, .pad_top = %ld, .pad_left = %ld, "
                   ".count_include_pad = %ld};\n",
                i, (long)p->c, (long)p->h_in, (long)p->w_in, (long)p->h_out, (long)p->w_out, (long)p->kh, (long)p->kw,
                (long)p->stride_h, (long)p->stride_w, (long)p->pad_top, (long)p->pad_left, (long)p->count_include_pad);
    } else if (l->kind == AXQ_UNARY) {
        const char *e = formula(l->op);
        if (!e)
            return ax_fail(AX_ERR_UNSUPPORTED, "layer '%s': no float formula for op %s", l->name, l->op);
        fprintf(f, "static void L%d(const float *in, float *out, int32_t n)\n{\n", i);
        char b0[40], b1[40];
        fprintf(f, "    const float p0 = %s, p1 = %s;\n    (void)p0;\n    (void)p1;\n",
                float_literal(l->n_attr > 0 ? l->attr[0] : 0.0, b0, sizeof b0),
                float_literal(l->n_attr > 1 ? l->attr[1] : 0.0, b1, sizeof b1));
        fprintf(f, "    for (int32_t i = 0; i < n; i++) {\n        const float x = in[i];\n        out[i] = %s;\n    }\n}\n",
                e);
    }
    return AX_OK;
}

/* The call that runs layer i over the arena. */
static void put_call(FILE *f, const ax_qmodel *q, int i)
{
    const axq_layer *l = &q->layers[i];
    const char *pre = q->int8 ? "axq" : "axf";
    const int64_t a = q->tensors[l->in[0]].offset, y = q->tensors[l->out].offset;
    const long long n = (long long)q->tensors[l->out].numel;
    switch (l->kind) {
    case AXQ_DENSE: fprintf(f, "    %s_dense_run(&L%d, A + %lld, A + %lld);\n", pre, i, (long long)a, (long long)y); break;
    case AXQ_CONV: fprintf(f, "    %s_conv_run(&L%d, A + %lld, A + %lld);\n", pre, i, (long long)a, (long long)y); break;
    case AXQ_MAX_POOL:
        fprintf(f, "    %s_max_pool_run(&L%d, A + %lld, A + %lld);\n", pre, i, (long long)a, (long long)y);
        break;
    case AXQ_AVG_POOL:
        fprintf(f, "    %s_avg_pool_run(&L%d, A + %lld, A + %lld);\n", pre, i, (long long)a, (long long)y);
        break;
    case AXQ_ADD:
        if (q->int8)
            fprintf(f, "    axq_add_run(&L%d, A + %lld, A + %lld, A + %lld);\n", i, (long long)a,
                    (long long)q->tensors[l->in[1]].offset, (long long)y);
        else
            fprintf(f, "    axf_add_run(%lld, %d, A + %lld, A + %lld, A + %lld);\n", n, l->relu, (long long)a,
                    (long long)q->tensors[l->in[1]].offset, (long long)y);
        break;
    case AXQ_UNARY:
        if (q->int8)
            fprintf(f, "    axq_lut_run(&L%d, A + %lld, A + %lld);\n", i, (long long)a, (long long)y);
        else
            fprintf(f, "    L%d(A + %lld, A + %lld, %lld);\n", i, (long long)a, (long long)y, n);
        break;
    case AXQ_SOFTMAX:
        if (q->int8)
            fprintf(f, "    axq_softmax_run(&L%d, A + %lld, A + %lld);\n", i, (long long)a, (long long)y);
        else
            fprintf(f, "    axf_softmax_run(%ld, %ld, A + %lld, A + %lld);\n", (long)l->softmax.rows,
                    (long)l->softmax.classes, (long long)a, (long long)y);
        break;
    default:
        break;
    }
}

static void upper(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
    dst[i] = 0;
}

static ax_status write_stream(const char *path, FILE *f, char **buf, size_t *len)
{
    const int bad = ferror(f);
    fclose(f);
    ax_status s = bad ? ax_fail(AX_ERR_IO, "%s: could not format the file", path)
                      : ax_write_file_atomic(path, *buf, *len);
    free(*buf);
    *buf = NULL;
    return s;
}

static int valid_prefix(const char *p)
{
    if (!p || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
        return 0;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return 0;
    return 1;
}

ax_status ax_export_c(const ax_qmodel *q, const char *c_path, const char *h_path, const char *header_name,
                      const char *prefix, ax_export_report *report)
{
    if (!valid_prefix(prefix) || strlen(prefix) > 48)
        return ax_fail(AX_ERR_INVALID_ARG, "the prefix '%s' is not a C identifier (letters, digits, _)",
                       prefix ? prefix : "");
    const int int8 = q->int8;
    const char *ty = int8 ? "int8_t" : "float";
    const int64_t flash = ax_qmodel_weight_bytes(q), ram = ax_qmodel_arena_bytes(q);
    char up[64];
    upper(up, sizeof up, prefix);
    char *hbuf = NULL, *cbuf = NULL;
    size_t hlen = 0, clen = 0;
    FILE *h = open_memstream(&hbuf, &hlen);
    if (!h)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    const axq_tensor *ti = &q->tensors[0], *to = &q->tensors[q->output];
    fprintf(h, "/* %s: a model exported by axon export-c (%s, %d layers).\n * Weights %lld bytes (flash), arena %lld "
               "bytes (RAM). */\n#ifndef %s_H\n#define %s_H\n#include <stdint.h>\n\n",
            header_name, int8 ? "int8" : "float32", q->n_layers, (long long)flash, (long long)ram, up, up);
    fprintf(h, "#define %s_INPUT_SIZE %lld\n#define %s_OUTPUT_SIZE %lld\n#define %s_WEIGHT_BYTES %lld\n"
               "#define %s_ARENA_BYTES %lld\n",
            up, (long long)ti->numel, up, (long long)to->numel, up, (long long)flash, up, (long long)ram);
    char bi[40], bo[40];
    if (int8)
        fprintf(h, "/* real = scale (q - zero_point); q = round(real / scale) + zero_point, clamped to -128..127 */\n"
                   "#define %s_INPUT_SCALE %s\n#define %s_INPUT_ZERO_POINT (%ld)\n"
                   "#define %s_OUTPUT_SCALE %s\n#define %s_OUTPUT_ZERO_POINT (%ld)\n",
                up, float_literal(ti->scale, bi, sizeof bi), up, (long)ti->zp, up,
                float_literal(to->scale, bo, sizeof bo), up, (long)to->zp);
    fprintf(h, "\n/* One sample: %s_INPUT_SIZE values in, %s_OUTPUT_SIZE out. Not reentrant (one static arena). */\n"
               "void %s_predict(const %s *in, %s *out);\n\n#endif\n",
            up, up, prefix, ty, ty);
    ax_status s = write_stream(h_path, h, &hbuf, &hlen);
    if (s != AX_OK)
        return s;
    FILE *f = open_memstream(&cbuf, &clen);
    if (!f)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    fprintf(f, "/* A model exported by axon export-c: %s, %d layers, weights %lld bytes, arena %lld bytes.\n"
               " * C99; %s. */\n#include \"%s\"\n\n#include <string.h>\n",
            int8 ? "int8" : "float32", q->n_layers, (long long)flash, (long long)ram,
            int8 ? "integers only, no library beyond string.h" : "float32, string.h and math.h", header_name);
    fprintf(f, "\n/* ---- axon's %s kernels (src/quant/%s.h and .c) ---- */\n#define AXQ_API static inline\n",
            int8 ? "int8" : "float32", int8 ? "qkernels" : "fkernels");
    fputs(axq_source_taps_h, f);
    if (int8) {
        fputs(axq_source_qkernels_h, f);
        put_source(f, axq_source_qkernels_c, "#include \"qkernels.h\"\n#include \"taps.h\"\n");
    } else {
        fputs(axq_source_fkernels_h, f);
        put_source(f, axq_source_fkernels_c, "#include \"fkernels.h\"\n#include \"taps.h\"\n");
    }
    fprintf(f, "\n/* ---- the model ---- */\n");
    for (int i = 0; i < q->n_layers && s == AX_OK; i++) {
        if (int8)
            put_layer_int8(f, q, i);
        else
            s = put_layer_float(f, q, i);
    }
    /* the arena as a union with an int32_t so that it is 4-byte aligned for any target */
    fprintf(f, "\nstatic union {\n    %s v[%lld];\n    int32_t align;\n} arena;\n\n", ty,
            (long long)(q->arena > 0 ? q->arena : 1));
    fprintf(f, "void %s_predict(const %s *in, %s *out)\n{\n    %s *A = arena.v;\n", prefix, ty, ty, ty);
    fprintf(f, "    memcpy(A + %lld, in, %lld * sizeof *A);\n", (long long)ti->offset, (long long)ti->numel);
    for (int i = 0; i < q->n_layers; i++)
        put_call(f, q, i);
    fprintf(f, "    memcpy(out, A + %lld, %lld * sizeof *A);\n}\n", (long long)to->offset, (long long)to->numel);
    if (s != AX_OK) {
        fclose(f);
        free(cbuf);
        return s;
    }
    s = write_stream(c_path, f, &cbuf, &clen);
    if (s == AX_OK && report)
        *report = (ax_export_report){flash, ram};
    return s;
}
