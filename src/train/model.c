/* Models with several inputs and heads: adding heads, the weighted total
 * loss, and uniform access to one-input, one-head models. */
#include "axon/train.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

ax_status ax_model_add_head(ax_model *m, const char *name, ax_node *output, ax_node *target, ax_node *loss,
                            float weight)
{
    if (!m || !name || !output || !target || !loss)
        return ax_fail(AX_ERR_INVALID_ARG, "model: a head needs a name, an output, a target and a loss");
    if (m->n_heads == AX_MAX_HEADS)
        return ax_fail(AX_ERR_INVALID_ARG, "model: at most %d heads", AX_MAX_HEADS);
    if (!*name || strlen(name) >= sizeof m->heads[0].name)
        return ax_fail(AX_ERR_INVALID_ARG, "model: a head's name has 1 to %zu characters, got '%s'",
                       sizeof m->heads[0].name - 1, name);
    for (int k = 0; k < m->n_heads; k++)
        if (!strcmp(m->heads[k].name, name))
            return ax_fail(AX_ERR_INVALID_ARG, "model: two heads named '%s'", name);
    if (!(weight >= 0) || !isfinite(weight))
        return ax_fail(AX_ERR_INVALID_ARG, "model: head '%s': its loss weight must be a number >= 0, got %g", name,
                       (double)weight);
    if (ax_node_numel(loss) != 1)
        return ax_fail(AX_ERR_SHAPE, "model: head '%s': its loss must be a scalar", name);
    ax_head *h = &m->heads[m->n_heads++];
    *h = (ax_head){.output = output, .target = target, .loss = loss, .weight = weight};
    snprintf(h->name, sizeof h->name, "%s", name);
    const char *op = ax_node_op(loss);
    h->classifier = !strcmp(op, "softmax_cross_entropy") || !strcmp(op, "categorical_cross_entropy");
    if (m->n_heads == 1)
        m->output = output, m->target = target;
    return AX_OK;
}

ax_status ax_model_total_loss(ax_model *m)
{
    if (!m || !m->graph || m->n_heads < 1)
        return ax_fail(AX_ERR_INVALID_ARG, "model: the total loss needs a graph and at least one head");
    ax_node *total = NULL;
    for (int k = 0; k < m->n_heads; k++) {
        const ax_head *h = &m->heads[k];
        ax_attr alpha = AX_ATTR("alpha", h->weight);
        ax_node *term = h->weight == 1.0f ? h->loss : ax_apply(m->graph, "scale", &h->loss, 1, &alpha, 1, NULL);
        total = total ? ax_add(m->graph, total, term) : term;
    }
    if (!total)
        return ax_graph_status(m->graph);
    m->loss = total;
    return AX_OK;
}

int ax_model_num_inputs(const ax_model *m) { return m->n_inputs ? m->n_inputs : 1; }
ax_node *ax_model_input(const ax_model *m, int i) { return m->n_inputs ? m->inputs[i] : m->input; }
int ax_model_num_heads(const ax_model *m) { return m->n_heads ? m->n_heads : 1; }

ax_head ax_model_head(const ax_model *m, int k)
{
    if (m->n_heads)
        return m->heads[k];
    ax_head h = {.output = m->output, .target = m->target, .loss = m->loss, .weight = 1.0f};
    snprintf(h.name, sizeof h.name, "%s", "output");
    const char *op = m->loss ? ax_node_op(m->loss) : "";
    h.classifier = !strcmp(op, "softmax_cross_entropy") || !strcmp(op, "categorical_cross_entropy");
    return h;
}
