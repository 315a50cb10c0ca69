/* The quantized model object: binding layers to their arrays, the arena
 * plan, checks of a layer's geometry, accessors. */
#include "quant/qmodel.h"

#include <string.h>

void axq_layer_free(axq_layer *l)
{
    ax_free(l->wf);
    ax_free(l->bf);
    ax_free(l->w8);
    ax_free(l->b32);
    ax_free(l->mult);
    ax_free(l->shift);
    ax_free(l->wscale);
    l->wscale = NULL;
    l->wf = l->bf = NULL;
    l->w8 = NULL;
    l->b32 = l->mult = l->shift = NULL;
}

void ax_qmodel_free(ax_qmodel *q)
{
    if (!q)
        return;
    for (int i = 0; i < q->n_layers; i++)
        axq_layer_free(&q->layers[i]);
    ax_free(q);
}

void axq_bind(ax_qmodel *q)
{
    for (int i = 0; i < q->n_layers; i++) {
        axq_layer *l = &q->layers[i];
        const axq_tensor *a = &q->tensors[l->in[0]], *o = &q->tensors[l->out];
        const int32_t lo = l->relu && o->zp > -128 ? o->zp : -128; /* a fused ReLU clamps at the code of 0 */
        switch (l->kind) {
        case AXQ_DENSE:
            l->dense.weight = l->w8;
            l->dense.bias = l->b32;
            l->dense.mult = l->mult;
            l->dense.shift = l->shift;
            l->dense.in_zp = a->zp;
            l->dense.out_zp = o->zp;
            l->dense.act_min = lo;
            l->dense.act_max = 127;
            break;
        case AXQ_CONV:
            l->conv.weight = l->w8;
            l->conv.bias = l->b32;
            l->conv.mult = l->mult;
            l->conv.shift = l->shift;
            l->conv.in_zp = a->zp;
            l->conv.out_zp = o->zp;
            l->conv.act_min = lo;
            l->conv.act_max = 127;
            break;
        case AXQ_MAX_POOL:
        case AXQ_AVG_POOL:
            l->pool.zp = a->zp;
            break;
        case AXQ_ADD:
            l->add.n = (int32_t)o->numel;
            l->add.a_zp = a->zp;
            l->add.b_zp = q->tensors[l->in[1]].zp;
            l->add.out_zp = o->zp;
            l->add.act_min = lo;
            l->add.act_max = 127;
            break;
        case AXQ_UNARY:
            l->lut.n = (int32_t)o->numel;
            l->lut.table = l->table8;
            break;
        case AXQ_SOFTMAX:
            l->softmax.classes = (int32_t)(o->shape.ndim ? o->shape.dim[o->shape.ndim - 1] : 1);
            l->softmax.rows = (int32_t)(o->numel / (l->softmax.classes ? l->softmax.classes : 1));
            l->softmax.table = l->table32;
            break;
        default:
            break;
        }
    }
}

ax_status axq_finish(ax_qmodel *q, int int8, ax_status s, ax_qmodel **out)
{
    *out = NULL;
    if (s != AX_OK) {
        ax_qmodel_free(q);
        return s;
    }
    q->int8 = int8;
    axq_bind(q);
    axq_plan_arena(q);
    *out = q;
    return AX_OK;
}

void axq_plan_arena(ax_qmodel *q)
{
    int birth[AXQ_MAX_TENSORS], death[AXQ_MAX_TENSORS];
    for (int t = 0; t < q->n_tensors; t++)
        birth[t] = death[t] = -1; /* the input is written before layer 0 */
    for (int i = 0; i < q->n_layers; i++) {
        const axq_layer *l = &q->layers[i];
        birth[l->out] = death[l->out] = i;
        for (int k = 0; k < l->n_in; k++)
            death[l->in[k]] = i;
    }
    death[q->output] = q->n_layers;
    const int64_t align = q->int8 ? 4 : 4; /* elements: 4 bytes of int8, 16 of float */
    q->arena = 0;
    for (int t = 0; t < q->n_tensors; t++) {
        int64_t at = 0;
        for (int moved = 1; moved;) { /* the lowest offset clear of every placed tensor alive at the same time */
            moved = 0;
            for (int u = 0; u < t; u++) {
                const int live = birth[u] <= death[t] && birth[t] <= death[u];
                const int64_t end = q->tensors[u].offset + q->tensors[u].numel;
                if (live && at < end && q->tensors[u].offset < at + q->tensors[t].numel) {
                    at = (end + align - 1) / align * align;
                    moved = 1;
                }
            }
        }
        q->tensors[t].offset = at;
        if (at + q->tensors[t].numel > q->arena)
            q->arena = at + q->tensors[t].numel;
    }
    q->arena = (q->arena + align - 1) / align * align;
}

int ax_qmodel_is_int8(const ax_qmodel *q) { return q->int8; }
int64_t ax_qmodel_input_size(const ax_qmodel *q) { return q->tensors[0].numel; }
int64_t ax_qmodel_output_size(const ax_qmodel *q) { return q->tensors[q->output].numel; }
int ax_qmodel_num_layers(const ax_qmodel *q) { return q->n_layers; }

const char *ax_qmodel_layer_kind(const ax_qmodel *q, int i)
{
    if (i < 0 || i >= q->n_layers)
        return NULL;
    return q->layers[i].kind == AXQ_UNARY ? q->layers[i].op : axq_kind_names[q->layers[i].kind];
}

const char *ax_qmodel_layer_name(const ax_qmodel *q, int i)
{
    return i < 0 || i >= q->n_layers ? NULL : q->layers[i].name;
}

void ax_qmodel_layer_output(const ax_qmodel *q, int i, ax_shape *shape, float *scale, int32_t *zero_point)
{
    const axq_tensor *t = &q->tensors[q->layers[i < 0 ? 0 : i >= q->n_layers ? q->n_layers - 1 : i].out];
    *shape = t->shape;
    *scale = t->scale;
    *zero_point = t->zp;
}

void ax_qmodel_input_quant(const ax_qmodel *q, float *scale, int32_t *zero_point)
{
    *scale = q->tensors[0].scale;
    *zero_point = q->tensors[0].zp;
}

void ax_qmodel_output_quant(const ax_qmodel *q, float *scale, int32_t *zero_point)
{
    *scale = q->tensors[q->output].scale;
    *zero_point = q->tensors[q->output].zp;
}

int64_t ax_qmodel_weight_bytes(const ax_qmodel *q)
{
    int64_t b = 0;
    for (int i = 0; i < q->n_layers; i++) {
        const axq_layer *l = &q->layers[i];
        if (l->kind == AXQ_DENSE || l->kind == AXQ_CONV)
            b += q->int8 ? l->w_numel + 12 * l->channels : 4 * (l->w_numel + l->channels); /* weights, bias, mult, shift */
        else if (l->kind == AXQ_UNARY && q->int8)
            b += 256;
        else if (l->kind == AXQ_SOFTMAX && q->int8)
            b += 256 * 4;
    }
    return b;
}

int64_t ax_qmodel_macs(const ax_qmodel *q)
{
    int64_t macs = 0;
    for (int i = 0; i < q->n_layers; i++) {
        const axq_layer *l = &q->layers[i];
        if (l->kind == AXQ_DENSE || l->kind == AXQ_CONV) /* each output value sums over one channel's weights */
            macs += q->tensors[l->out].numel * (l->w_numel / (l->channels ? l->channels : 1));
        else if (l->kind == AXQ_MAX_POOL || l->kind == AXQ_AVG_POOL) /* and pooling reads its windows */
            macs += q->tensors[l->out].numel * l->pool.kh * l->pool.kw;
    }
    return macs;
}

int64_t ax_qmodel_arena_bytes(const ax_qmodel *q) { return q->arena * (q->int8 ? 1 : 4); }

/* ---- checks of a layer read from a file ------------------------------------ */

static int64_t out_size(int64_t in, int64_t k, int64_t stride, int64_t pad_total, int64_t dilation)
{
    const int64_t span = in + pad_total - dilation * (k - 1) - 1;
    return span < 0 ? -1 : span / stride + 1;
}

ax_status axq_layer_check(const ax_qmodel *q, const axq_layer *l, const char *where)
{
    const axq_tensor *a = &q->tensors[l->in[0]], *o = &q->tensors[l->out];
#define BAD(...) ax_fail(AX_ERR_FORMAT, __VA_ARGS__)
    switch (l->kind) {
    case AXQ_DENSE:
        if (l->dense.in != a->numel || l->dense.out != o->numel || l->w_numel != (int64_t)l->dense.in * l->dense.out ||
            l->channels != l->dense.out)
            return BAD("%s: dense layer '%s': %d x %d weights do not join its tensors of %lld and %lld values", where,
                       l->name, l->dense.out, l->dense.in, (long long)a->numel, (long long)o->numel);
        return AX_OK;
    case AXQ_CONV: {
        const axq_conv *c = &l->conv;
        if (c->c_in < 1 || c->h_in < 1 || c->w_in < 1 || c->c_out < 1 || c->kh < 1 || c->kw < 1 ||
            c->stride_h < 1 || c->stride_w < 1 || c->dilation_h < 1 || c->dilation_w < 1 || c->groups < 1 ||
            c->pad_top < 0 || c->pad_left < 0 || c->c_in % c->groups || c->c_out % c->groups ||
            c->pad_top > c->kh * c->dilation_h || c->pad_left > c->kw * c->dilation_w)
            return BAD("%s: convolution '%s': a size, stride, dilation, padding or group count is out of range", where,
                       l->name);
        if ((int64_t)c->c_in * c->h_in * c->w_in != a->numel || l->pad_bottom < 0 || l->pad_right < 0 ||
            c->h_out != out_size(c->h_in, c->kh, c->stride_h, (int64_t)c->pad_top + l->pad_bottom, c->dilation_h) ||
            c->w_out != out_size(c->w_in, c->kw, c->stride_w, (int64_t)c->pad_left + l->pad_right, c->dilation_w) ||
            (int64_t)c->c_out * c->h_out * c->w_out != o->numel ||
            l->w_numel != (int64_t)c->c_out * (c->c_in / c->groups) * c->kh * c->kw || l->channels != c->c_out)
            return BAD("%s: convolution '%s': its geometry does not join its tensors (%lld -> %lld values)", where,
                       l->name, (long long)a->numel, (long long)o->numel);
        return AX_OK;
    }
    case AXQ_MAX_POOL:
    case AXQ_AVG_POOL: {
        const axq_pool *p = &l->pool;
        if (p->c < 1 || p->h_in < 1 || p->w_in < 1 || p->kh < 1 || p->kw < 1 || p->stride_h < 1 || p->stride_w < 1 ||
            p->pad_top < 0 || p->pad_left < 0 || p->pad_top >= p->kh || p->pad_left >= p->kw || l->pad_bottom < 0 ||
            l->pad_right < 0 || l->pad_bottom >= p->kh || l->pad_right >= p->kw ||
            p->h_out != out_size(p->h_in, p->kh, p->stride_h, (int64_t)p->pad_top + l->pad_bottom, 1) ||
            p->w_out != out_size(p->w_in, p->kw, p->stride_w, (int64_t)p->pad_left + l->pad_right, 1) ||
            (int64_t)p->c * p->h_in * p->w_in != a->numel || (int64_t)p->c * p->h_out * p->w_out != o->numel ||
            (int64_t)p->kh * p->kw > 1 << 20)
            return BAD("%s: pooling '%s': its geometry is out of range or does not join its tensors", where, l->name);
        return AX_OK;
    }
    case AXQ_ADD:
        if (l->n_in != 2 || q->tensors[l->in[1]].numel != o->numel || a->numel != o->numel)
            return BAD("%s: add '%s': its tensors differ in size", where, l->name);
        return AX_OK;
    case AXQ_UNARY:
        if (a->numel != o->numel)
            return BAD("%s: '%s': its tensors differ in size", where, l->name);
        return AX_OK;
    case AXQ_SOFTMAX:
        if (a->numel != o->numel || o->shape.ndim < 1 || o->shape.dim[o->shape.ndim - 1] < 1 ||
            o->shape.dim[o->shape.ndim - 1] > 32767 || o->numel % o->shape.dim[o->shape.ndim - 1])
            return BAD("%s: softmax '%s': its tensors differ in size, or it has more than 32767 classes", where,
                       l->name);
        return AX_OK;
    default:
        return BAD("%s: layer '%s' has an unknown kind", where, l->name);
    }
#undef BAD
}
