/* Post-training quantization: the layer plan (plan.c) calibrated on data
 * and turned into int8 weights, int32 biases, multipliers and tables. */
#include "quant/qmodel.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

ax_status axq_plan(ax_model *m, ax_qmodel **out, int **tensor_of); /* plan.c */

#define HIST_BINS 4096

/* Per tensor: the range seen, and (percentile ranges) a histogram over it. */
typedef struct range {
    double lo, hi;
    int64_t count;
    int64_t *hist;
} range;

static void observe(range *r, const float *v, int64_t n, int pass)
{
    if (pass == 0) {
        for (int64_t i = 0; i < n; i++) {
            r->lo = v[i] < r->lo ? v[i] : r->lo;
            r->hi = v[i] > r->hi ? v[i] : r->hi;
        }
        r->count += n;
        return;
    }
    const double width = (r->hi - r->lo) / HIST_BINS;
    for (int64_t i = 0; i < n && width > 0; i++) {
        int64_t b = (int64_t)((v[i] - r->lo) / width);
        b = b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b;
        r->hist[b]++;
    }
}

/* The range keeping `percentile` percent of the values, half the rest cut
 * off each tail (never narrower than 0 to its side). */
static void percentile_range(range *r, double percentile)
{
    const double width = (r->hi - r->lo) / HIST_BINS;
    if (width <= 0)
        return;
    const int64_t cut = (int64_t)floor((double)r->count * (100 - percentile) / 200);
    int64_t seen = 0, b = 0;
    while (b < HIST_BINS - 1 && seen + r->hist[b] <= cut)
        seen += r->hist[b++];
    const double lo = r->lo + b * width;
    seen = 0;
    b = HIST_BINS - 1;
    while (b > 0 && seen + r->hist[b] <= cut)
        seen += r->hist[b--];
    const double hi = r->lo + (b + 1) * width;
    r->lo = lo > r->lo ? lo : r->lo;
    r->hi = hi < r->hi ? hi : r->hi;
}

/* Run the calibration data through the float graph and record each
 * tensor's range. */
static ax_status calibrate(ax_model *m, ax_qmodel *q, const int *tensor_of, const ax_dataset *ds,
                           const ax_quant_options *o)
{
    ax_graph *g = m->graph;
    const int nn = ax_graph_num_nodes(g);
    ax_node *node_of[AXQ_MAX_TENSORS] = {0};
    for (int i = 0; i < nn; i++) /* the last node holding a tensor's value: a layer's output, not an inner node */
        if (tensor_of[i] >= 0)
            node_of[tensor_of[i]] = ax_graph_node(g, i);
    ax_node *input = ax_model_input(m, 0);
    if (ds->sample_size != q->tensors[0].numel)
        return ax_fail(AX_ERR_SHAPE, "the calibration data has %lld values per sample, the model's input '%s' takes %lld",
                       (long long)ds->sample_size, ax_node_name(input), (long long)q->tensors[0].numel);
    ax_status s = ax_graph_compile_inference(g, node_of, q->n_tensors);
    ax_graph_set_training(g, 0);
    const int64_t B = ax_graph_max_batch(g);
    range *r = ax_calloc((size_t)q->n_tensors, sizeof *r);
    int64_t most = 0;
    for (int t = 0; t < q->n_tensors; t++)
        most = q->tensors[t].numel > most ? q->tensors[t].numel : most;
    float *x = ax_alloc((size_t)(B * ds->sample_size) * sizeof *x);
    float *tg = ax_alloc((size_t)(B * (ds->n_targets > 0 ? ds->n_targets : 1)) * sizeof *tg);
    float *v = ax_alloc((size_t)(B * most) * sizeof *v);
    ax_batcher *b = NULL;
    if (s == AX_OK && (!r || !x || !tg || !v))
        s = ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK)
        s = ax_batcher_new(ds, B, 0, 0, &b);
    for (int t = 0; r && t < q->n_tensors; t++)
        r[t].lo = r[t].hi = 0; /* every range holds 0, so that a real 0 has an exact code */
    const int passes = o->percentile > 0 ? 2 : 1;
    for (int t = 0; s == AX_OK && passes == 2 && t < q->n_tensors; t++)
        if (!(r[t].hist = ax_calloc(HIST_BINS, sizeof *r[t].hist)))
            s = ax_fail(AX_ERR_NOMEM, "out of memory");
    for (int pass = 0; s == AX_OK && pass < passes; pass++) {
        ax_batcher_start_epoch(b);
        int64_t rows;
        while (s == AX_OK && (rows = ax_batcher_next(b, x, tg)) > 0) {
            s = ax_graph_set_batch(g, rows);
            if (s == AX_OK)
                s = ax_node_write(input, x, rows * ds->sample_size);
            if (s == AX_OK)
                s = ax_graph_forward_to(g, node_of[q->output]);
            for (int t = 0; s == AX_OK && t < q->n_tensors; t++) {
                const int64_t n = rows * q->tensors[t].numel;
                s = ax_node_read(node_of[t], v, n);
                for (int64_t i = 0; s == AX_OK && i < n; i++)
                    if (!isfinite(v[i]))
                        s = ax_fail(AX_ERR_NUMERIC, "calibration: node '%s' holds a non-finite value",
                                    ax_node_name(node_of[t]));
                if (s == AX_OK)
                    observe(&r[t], v, n, pass);
            }
        }
    }
    for (int t = 0; s == AX_OK && t < q->n_tensors; t++) {
        if (passes == 2)
            percentile_range(&r[t], o->percentile);
        q->tensors[t].lo = (float)r[t].lo;
        q->tensors[t].hi = (float)r[t].hi;
    }
    for (int t = 0; r && t < q->n_tensors; t++)
        ax_free(r[t].hist);
    ax_batcher_free(b);
    ax_free(r);
    ax_free(x);
    ax_free(tg);
    ax_free(v);
    return s;
}

ax_status axq_multiplier(double real, int32_t *mult, int32_t *shift, const char *what)
{
    if (!(real >= 0) || !isfinite(real))
        return ax_fail(AX_ERR_NUMERIC, "%s: rescaling factor %g is not a finite positive number", what, real);
    int e = 0;
    const double f = frexp(real, &e); /* real = f 2^e, f in [0.5, 1) */
    int64_t m = (int64_t)llround(f * 2147483648.0);
    if (m == ((int64_t)1 << 31)) {
        m /= 2;
        e++;
    }
    if (real == 0 || e < -31) { /* below 2^-32: every product rounds to 0 */
        *mult = 0;
        *shift = 0;
        return AX_OK;
    }
    if (e > 30)
        return ax_fail(AX_ERR_NUMERIC, "%s: rescaling factor %g is above 2^30", what, real);
    *mult = (int32_t)m;
    *shift = e;
    return AX_OK;
}

/* A tensor's scale and zero point from its range (which holds 0). */
static void choose_quant(axq_tensor *t)
{
    const double lo = t->lo < 0 ? t->lo : 0, hi = t->hi > 0 ? t->hi : 0;
    double scale = (hi - lo) / 255.0;
    if (!(scale > 0))
        scale = 1.0 / 255.0; /* a tensor that is always 0 */
    long zp = lround(-128.0 - lo / scale);
    zp = zp < -128 ? -128 : zp > 127 ? 127 : zp;
    t->scale = (float)scale;
    t->zp = (int32_t)zp;
}

static int8_t quantize_value(double v, const axq_tensor *t)
{
    const double q = nearbyint(v / t->scale) + t->zp;
    return (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
}

/* Weights per output channel (symmetric), biases, multipliers. */
static ax_status quantize_weights(ax_qmodel *q, axq_layer *l)
{
    const axq_tensor *ti = &q->tensors[l->in[0]], *to = &q->tensors[l->out];
    const int64_t c = l->channels, per = l->w_numel / c;
    l->w8 = ax_alloc((size_t)l->w_numel);
    l->b32 = ax_alloc((size_t)c * sizeof *l->b32);
    l->mult = ax_alloc((size_t)c * sizeof *l->mult);
    l->shift = ax_alloc((size_t)c * sizeof *l->shift);
    l->wscale = ax_alloc((size_t)c * sizeof *l->wscale);
    if (!l->w8 || !l->b32 || !l->mult || !l->shift || !l->wscale)
        return ax_fail(AX_ERR_NOMEM, "out of memory");
    for (int64_t ch = 0; ch < c; ch++) {
        double most = 0;
        for (int64_t i = 0; i < per; i++)
            most = fabs(l->wf[ch * per + i]) > most ? fabs(l->wf[ch * per + i]) : most;
        const double ws = most > 0 ? most / 127.0 : 1.0;
        l->wscale[ch] = (float)ws;
        for (int64_t i = 0; i < per; i++) {
            const double v = nearbyint(l->wf[ch * per + i] / ws);
            l->w8[ch * per + i] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
        }
        const double bs = (double)ti->scale * l->wscale[ch], b = nearbyint(l->bf[ch] / bs);
        if (b > INT32_MAX || b < -INT32_MAX)
            return ax_fail(AX_ERR_NUMERIC, "layer '%s': channel %lld's bias %g does not fit int32 at scale %g",
                           l->name, (long long)ch, l->bf[ch], bs);
        if (fabs(b) + (double)per * 255 * 127 > INT32_MAX)
            return ax_fail(AX_ERR_NUMERIC, "layer '%s': channel %lld's sums could pass 32 bits (bias %g at scale %g, "
                           "fan-in %lld)", l->name, (long long)ch, l->bf[ch], bs, (long long)per);
        l->b32[ch] = (int32_t)b;
        char what[128];
        snprintf(what, sizeof what, "layer '%s' channel %lld", l->name, (long long)ch);
        ax_status s = axq_multiplier(bs / to->scale, &l->mult[ch], &l->shift[ch], what);
        if (s != AX_OK)
            return s;
    }
    return AX_OK;
}

/* An element-wise op's table: the op itself (a one-node graph) applied to
 * the 256 real values the input codes stand for. */
static ax_status unary_table(ax_qmodel *q, axq_layer *l)
{
    const axq_tensor *ti = &q->tensors[l->in[0]], *to = &q->tensors[l->out];
    const ax_op_schema *sc = ax_op_schema_of(l->op);
    ax_graph *g = NULL;
    ax_status s = ax_graph_new(&g);
    ax_attr at[4];
    for (int i = 0; sc && i < l->n_attr; i++)
        at[i] = AX_ATTR(sc->attrs[i].name, l->attr[i]);
    ax_node *x = s == AX_OK ? ax_input(g, "x", ax_shape2(1, 256)) : NULL;
    ax_node *y = x ? ax_apply(g, l->op, &x, 1, at, l->n_attr, NULL) : NULL;
    if (s == AX_OK)
        s = ax_graph_compile_inference(g, &y, 1);
    float in[256], out[256];
    for (int k = 0; k < 256; k++)
        in[k] = ti->scale * (float)(k - 128 - ti->zp);
    if (s == AX_OK)
        s = ax_node_write(x, in, 256);
    if (s == AX_OK)
        s = ax_graph_forward(g);
    if (s == AX_OK)
        s = ax_node_read(y, out, 256);
    for (int k = 0; s == AX_OK && k < 256; k++)
        l->table8[k] = quantize_value(out[k], to);
    ax_graph_free(g);
    return s;
}

static ax_status quantize_layer(ax_qmodel *q, axq_layer *l)
{
    axq_tensor *to = &q->tensors[l->out];
    switch (l->kind) {
    case AXQ_DENSE:
    case AXQ_CONV:
        return quantize_weights(q, l);
    case AXQ_MAX_POOL:
    case AXQ_AVG_POOL: /* the output keeps the input's codes */
        to->scale = q->tensors[l->in[0]].scale;
        to->zp = q->tensors[l->in[0]].zp;
        return AX_OK;
    case AXQ_ADD: {
        const axq_tensor *a = &q->tensors[l->in[0]], *b = &q->tensors[l->in[1]];
        const double twice = 2.0 * (a->scale > b->scale ? a->scale : b->scale);
        axq_add *p = &l->add;
        p->left_shift = 20;
        ax_status s = axq_multiplier(a->scale / twice, &p->a_mult, &p->a_shift, l->name);
        if (s == AX_OK)
            s = axq_multiplier(b->scale / twice, &p->b_mult, &p->b_shift, l->name);
        if (s == AX_OK)
            s = axq_multiplier(twice / ((double)(1 << p->left_shift) * to->scale), &p->out_mult, &p->out_shift,
                               l->name);
        return s;
    }
    case AXQ_UNARY:
        return unary_table(q, l);
    case AXQ_SOFTMAX: {
        const double s_in = q->tensors[l->in[0]].scale;
        to->scale = 1.0f / 256;
        to->zp = -128;
        for (int d = 0; d < 256; d++)
            l->table32[d] = (int32_t)lround(exp(-d * s_in) * 65536.0);
        return AX_OK;
    }
    default:
        return ax_fail(AX_ERR_STATE, "layer '%s': unknown kind", l->name);
    }
}

/* Append a softmax over the output's values. */
static ax_status append_softmax(ax_qmodel *q)
{
    const axq_tensor *t = &q->tensors[q->output];
    if (t->shape.ndim != 1)
        return ax_fail(AX_ERR_UNSUPPORTED, "a softmax needs an output of [classes], not of %d dimensions", t->shape.ndim);
    if (q->layers[q->n_layers - 1].kind == AXQ_SOFTMAX)
        return AX_OK; /* the model's own */
    if (q->n_layers >= AXQ_MAX_LAYERS)
        return ax_fail(AX_ERR_UNSUPPORTED, "more than %d layers", AXQ_MAX_LAYERS);
    axq_layer *l = &q->layers[q->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = AXQ_SOFTMAX;
    snprintf(l->name, sizeof l->name, "softmax");
    l->n_in = 1;
    l->in[0] = q->output;
    l->out = q->n_tensors;
    q->tensors[q->n_tensors] = *t;
    q->tensors[q->n_tensors].lo = 0;
    q->tensors[q->n_tensors].hi = 1;
    q->output = q->n_tensors++;
    return AX_OK;
}

ax_status ax_quantize(ax_model *m, const ax_dataset *calib, const ax_quant_options *options, ax_qmodel **out)
{
    const ax_quant_options o = options ? *options : (ax_quant_options){0};
    *out = NULL;
    if (o.percentile < 0 || o.percentile > 100 || isnan(o.percentile))
        return ax_fail(AX_ERR_INVALID_ARG, "percentile %g is outside 0..100", o.percentile);
    if (!calib || calib->n < 1)
        return ax_fail(AX_ERR_INVALID_ARG, "quantization needs calibration data (at least one sample)");
    int *tensor_of = NULL;
    ax_qmodel *q = NULL;
    ax_dataset *head = NULL;
    ax_status s = axq_plan(m, &q, &tensor_of);
    if (s == AX_OK && o.samples > 0 && o.samples < calib->n)
        s = ax_dataset_head(calib, o.samples, &head);
    if (s == AX_OK)
        s = calibrate(m, q, tensor_of, head ? head : calib, &o);
    if (s == AX_OK && o.softmax)
        s = append_softmax(q);
    for (int t = 0; s == AX_OK && t < q->n_tensors; t++)
        choose_quant(&q->tensors[t]);
    for (int i = 0; s == AX_OK && i < q->n_layers; i++)
        s = quantize_layer(q, &q->layers[i]);
    ax_dataset_free(head);
    ax_free(tensor_of);
    return axq_finish(q, 1, s, out);
}

void ax_qmodel_quantize_input(const ax_qmodel *q, const float *x, int8_t *out)
{
    for (int64_t i = 0; i < q->tensors[0].numel; i++)
        out[i] = quantize_value(x[i], &q->tensors[0]);
}
