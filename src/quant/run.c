/* An int8 model on the host: the same kernels the exported C file runs,
 * over an arena planned the same way. */
#include "quant/qmodel.h"

#include <string.h>

static void run_layer(const ax_qmodel *q, const axq_layer *l, int8_t *arena)
{
    const int8_t *a = arena + q->tensors[l->in[0]].offset;
    int8_t *y = arena + q->tensors[l->out].offset;
    switch (l->kind) {
    case AXQ_DENSE: axq_dense_run(&l->dense, a, y); break;
    case AXQ_CONV: axq_conv_run(&l->conv, a, y); break;
    case AXQ_MAX_POOL: axq_max_pool_run(&l->pool, a, y); break;
    case AXQ_AVG_POOL: axq_avg_pool_run(&l->pool, a, y); break;
    case AXQ_ADD: axq_add_run(&l->add, a, arena + q->tensors[l->in[1]].offset, y); break;
    case AXQ_UNARY: axq_lut_run(&l->lut, a, y); break;
    case AXQ_SOFTMAX: axq_softmax_run(&l->softmax, a, y); break;
    default: break;
    }
}

static ax_status run(const ax_qmodel *q, const int8_t *in, int8_t *out, int8_t *arena)
{
    memcpy(arena + q->tensors[0].offset, in, (size_t)q->tensors[0].numel);
    for (int i = 0; i < q->n_layers; i++)
        run_layer(q, &q->layers[i], arena);
    memcpy(out, arena + q->tensors[q->output].offset, (size_t)q->tensors[q->output].numel);
    return AX_OK;
}

ax_status ax_qmodel_run(const ax_qmodel *q, const int8_t *in, int8_t *out)
{
    if (!q->int8)
        return ax_fail(AX_ERR_STATE, "the model is a float plan: export it, or quantize it to run it here");
    int8_t *arena = ax_alloc((size_t)(q->arena > 0 ? q->arena : 1));
    if (!arena)
        return ax_fail(AX_ERR_NOMEM, "out of memory (an arena of %lld bytes)", (long long)q->arena);
    ax_status s = run(q, in, out, arena);
    ax_free(arena);
    return s;
}

ax_status ax_qmodel_evaluate(const ax_qmodel *q, const ax_dataset *ds, double *accuracy, float *outputs)
{
    if (!q->int8)
        return ax_fail(AX_ERR_STATE, "the model is a float plan, not an int8 model");
    const int64_t ni = q->tensors[0].numel, no = q->tensors[q->output].numel;
    if (ds->sample_size != ni)
        return ax_fail(AX_ERR_SHAPE, "the data has %lld values per sample, the model's input takes %lld",
                       (long long)ds->sample_size, (long long)ni);
    if (accuracy && !ds->labels)
        return ax_fail(AX_ERR_INVALID_ARG, "accuracy needs class labels; the data has none");
    enum { B = 256 };
    float *x = ax_alloc((size_t)(B * ni) * sizeof *x);
    float *t = ax_alloc((size_t)(B * (ds->n_targets > 0 ? ds->n_targets : 1)) * sizeof *t);
    int8_t *xq = ax_alloc((size_t)ni), *y = ax_alloc((size_t)no), *arena = ax_alloc((size_t)q->arena);
    ax_batcher *b = NULL;
    ax_status s = x && t && xq && y && arena ? AX_OK : ax_fail(AX_ERR_NOMEM, "out of memory");
    if (s == AX_OK)
        s = ax_batcher_new(ds, B, 0, 0, &b);
    int64_t hits = 0, at = 0, rows;
    const float so = q->tensors[q->output].scale;
    const int32_t zo = q->tensors[q->output].zp;
    if (s == AX_OK)
        ax_batcher_start_epoch(b);
    while (s == AX_OK && (rows = ax_batcher_next(b, x, t)) > 0)
        for (int64_t r = 0; r < rows; r++, at++) {
            ax_qmodel_quantize_input(q, x + r * ni, xq);
            run(q, xq, y, arena);
            int64_t best = 0;
            for (int64_t k = 1; k < no; k++)
                best = y[k] > y[best] ? k : best;
            hits += ds->labels && best == ds->labels[at];
            for (int64_t k = 0; outputs && k < no; k++)
                outputs[at * no + k] = so * (float)(y[k] - zo);
        }
    if (s == AX_OK && accuracy)
        *accuracy = ds->n ? (double)hits / (double)ds->n : 0;
    ax_batcher_free(b);
    ax_free(x);
    ax_free(t);
    ax_free(xq);
    ax_free(y);
    ax_free(arena);
    return s;
}
