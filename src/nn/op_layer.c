/* Layers of one op whose schema declares its parameters: the op's
 * schema says what to create, so a new op of that kind is a layer (in C
 * and in specs) with no code here. */
#include "axon/nn.h"
#include "nn/layer.h"

#include <string.h>

ax_node *ax_op_layer(ax_graph *g, const char *op, ax_node *x, const ax_attr *attrs, int n_attrs, const char *name)
{
    if (!x || ax_graph_status(g) != AX_OK)
        return NULL;
    const ax_op_schema *sc = ax_op_schema_of(op);
    if (!sc || sc->n_params == 0 || !sc->param_shape || sc->n_params + 1 > 8) {
        ax_fail(AX_ERR_INVALID_ARG, "layer '%s': op '%s' %s", name ? name : "?", op,
                sc ? "declares no parameters (apply it with ax_apply)" : "is not a known op");
        return ax_graph_error(g, AX_ERR_INVALID_ARG);
    }
    /* the attribute values the parameters' shapes depend on: given, or default */
    double values[32] = {0};
    for (int i = 0; i < sc->n_attrs && i < 32; i++) {
        values[i] = sc->attrs[i].dflt;
        for (int k = 0; k < n_attrs; k++)
            if (attrs[k].name && !strcmp(attrs[k].name, sc->attrs[i].name))
                values[i] = attrs[k].value;
    }
    ax_shape xs = ax_node_shape(x);
    ax_node *in[8] = {x};
    for (int k = 0; k < sc->n_params; k++) {
        const ax_param_schema *p = &sc->params[k];
        ax_shape ps;
        ax_status s = sc->param_shape(&xs, values, k, &ps);
        if (s != AX_OK) {
            char msg[1024], buf[96];
            snprintf(msg, sizeof msg, "%s", ax_last_error());
            ax_fail(s, "%s '%s': input %s: %s", op, name ? name : "?", ax_shape_str(&xs, buf, sizeof buf), msg);
            return ax_graph_error(g, s);
        }
        char buf[96];
        const char *pname = ax_layer_param_name(buf, sizeof buf, name, p->name);
        in[k + 1] = p->buffer ? ax_buffer(g, pname, ps) : ax_param(g, pname, ps);
        if (!in[k + 1])
            return NULL;
        float *d = ax_node_data(in[k + 1]);
        for (int64_t i = 0; i < ax_node_numel(in[k + 1]); i++)
            d[i] = p->init;
    }
    return ax_apply(g, op, in, sc->n_params + 1, attrs, n_attrs, NULL);
}
