/* Graph files: a graph as JSON (nodes in order, each input, parameter,
 * buffer or op by name with its shape or its op, its inputs and its named
 * attributes), and back. Parameter values are not here: model files keep
 * them beside this text (axon/model_file.h). Reading treats the text as
 * untrusted: every field is checked, and the graph builders check the rest
 * (op names, attribute types and ranges, shapes). */
#include "ops/op.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define GRAPH_FORMAT "axon graph 1"
/* node names are looked up by a linear search: bounded so a crafted
 * file cannot make reading quadratic in a large count */
#define MAX_NODES 65536

static cJSON *shape_json(const ax_shape *s, int from)
{
    cJSON *a = cJSON_CreateArray();
    for (int d = from; a && d < s->ndim; d++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)s->dim[d]));
    return a;
}

static cJSON *node_json(const ax_graph *g, const ax_node *n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", n->name);
    if (n->kind != AX_NODE_OP) {
        cJSON_AddStringToObject(o, "kind", n->kind == AX_NODE_INPUT ? "input" : n->buffer ? "buffer" : "param");
        /* an input's batch is chosen when the graph is read; a sequence
         * input is saved at its longest */
        ax_shape s = n->shape;
        if (n->kind == AX_NODE_INPUT && n->seq)
            s.dim[1] = ax_graph_max_seq(g);
        cJSON_AddItemToObject(o, "shape", shape_json(&s, n->kind == AX_NODE_INPUT));
        if (n->kind == AX_NODE_INPUT && n->requires_grad)
            cJSON_AddBoolToObject(o, "requires_grad", 1);
        if (n->kind == AX_NODE_INPUT && n->seq) /* shape[0] is the longest sequence */
            cJSON_AddBoolToObject(o, "seq", 1);
        if (n->kind == AX_NODE_PARAM && !n->buffer && n->frozen)
            cJSON_AddBoolToObject(o, "frozen", 1);
        return o;
    }
    const ax_op_schema *sc = &n->op->schema;
    cJSON_AddStringToObject(o, "op", sc->name);
    cJSON *in = cJSON_AddArrayToObject(o, "inputs");
    for (int i = 0; i < n->n_in; i++)
        cJSON_AddItemToArray(in, cJSON_CreateString(n->in[i]->name));
    cJSON *at = cJSON_AddObjectToObject(o, "attrs");
    for (int i = 0; i < sc->n_attrs; i++) {
        if (sc->attrs[i].type == AX_ATTR_INTS) {
            cJSON *l = cJSON_AddArrayToObject(at, sc->attrs[i].name);
            for (int k = 0; k < n->list_n; k++)
                cJSON_AddItemToArray(l, cJSON_CreateNumber((double)n->list[k]));
        } else {
            cJSON_AddNumberToObject(at, sc->attrs[i].name, n->attr[i]);
        }
    }
    return o;
}

ax_status ax_graph_to_json(const ax_graph *g, const char *const *role_keys, ax_node *const *role_nodes, int n_roles,
                           char **out)
{
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return ax_fail(AX_ERR_NOMEM, "graph file: out of memory");
    cJSON_AddStringToObject(root, "format", GRAPH_FORMAT);
    cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
    for (int i = 0; i < ax_graph_num_nodes(g); i++)
        cJSON_AddItemToArray(nodes, node_json(g, ax_graph_node((ax_graph *)g, i)));
    if (n_roles > 0) {
        cJSON *roles = cJSON_AddObjectToObject(root, "roles");
        for (int i = 0; i < n_roles; i++)
            if (role_nodes[i])
                cJSON_AddStringToObject(roles, role_keys[i], ax_node_name(role_nodes[i]));
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        return ax_fail(AX_ERR_NOMEM, "graph file: out of memory");
    /* cJSON allocates with malloc; the caller frees with ax_free */
    size_t len = strlen(text) + 1;
    *out = ax_alloc(len);
    if (*out)
        memcpy(*out, text, len);
    cJSON_free(text);
    return *out ? AX_OK : ax_fail(AX_ERR_NOMEM, "graph file: out of memory");
}

/* ---- reading ------------------------------------------------------------ */

static ax_status bad(const char *source, int i, const char *what)
{
    return ax_fail(AX_ERR_FORMAT, "%s: graph node %d: %s", source, i, what);
}

/* A shape from a JSON array of whole numbers 1..2^40, after `lead` leading
 * dimensions already in s. */
static int read_shape(const cJSON *a, ax_shape *s, int lead)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) + lead > AX_MAX_DIMS)
        return 0;
    s->ndim = lead;
    const cJSON *d;
    cJSON_ArrayForEach(d, a)
    {
        if (!cJSON_IsNumber(d) || !(d->valuedouble >= 1 && d->valuedouble <= (double)AX_MAX_NUMEL) ||
            d->valuedouble != floor(d->valuedouble))
            return 0;
        s->dim[s->ndim++] = (int64_t)d->valuedouble;
    }
    return ax_shape_checked(s, 0, NULL);
}

static const char *string_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static ax_status read_node(ax_graph *g, const cJSON *o, int i, int64_t batch, const char *source)
{
    char msg[600];
    const char *name = string_of(o, "name"), *kind = string_of(o, "kind"), *op = string_of(o, "op");
    if (!cJSON_IsObject(o) || !name || strlen(name) > 63 || !*name)
        return bad(source, i, "needs a \"name\" of 1 to 63 characters");
    if (op) {
        const cJSON *ins = cJSON_GetObjectItemCaseSensitive(o, "inputs"), *at = cJSON_GetObjectItemCaseSensitive(o, "attrs");
        if (!cJSON_IsArray(ins) || cJSON_GetArraySize(ins) > AX_MAX_INPUTS || (at && !cJSON_IsObject(at)))
            return bad(source, i, "an op needs \"inputs\" (at most 4096 node names) and may have \"attrs\" (an object)");
        ax_node **in = ax_alloc((size_t)(cJSON_GetArraySize(ins) + 1) * sizeof *in);
        if (!in)
            return ax_fail(AX_ERR_NOMEM, "%s: out of memory", source);
        int n_in = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, ins)
        {
            if (!cJSON_IsString(v) || !(in[n_in] = ax_graph_find(g, v->valuestring))) {
                snprintf(msg, sizeof msg, "input %d of '%s' is not the name of an earlier node", n_in, name);
                ax_free(in);
                return bad(source, i, msg);
            }
            n_in++;
        }
        ax_attr attrs[AX_MAX_ATTRS];
        int64_t lists[AX_MAX_ATTRS][AX_MAX_DIMS];
        int n_at = 0;
        cJSON_ArrayForEach(v, at)
        {
            if (n_at == AX_MAX_ATTRS) {
                ax_free(in);
                return bad(source, i, "more than 16 attributes");
            }
            attrs[n_at] = (ax_attr){v->string, 0, lists[n_at], 0};
            if (cJSON_IsNumber(v))
                attrs[n_at].value = v->valuedouble;
            else if (cJSON_IsArray(v) && cJSON_GetArraySize(v) <= AX_MAX_DIMS) {
                const cJSON *e;
                cJSON_ArrayForEach(e, v)
                {
                    if (!cJSON_IsNumber(e) || !(fabs(e->valuedouble) <= (double)AX_MAX_NUMEL) ||
                        e->valuedouble != floor(e->valuedouble)) {
                        ax_free(in);
                        return bad(source, i, "a list attribute holds whole numbers");
                    }
                    lists[n_at][attrs[n_at].n++] = (int64_t)e->valuedouble;
                }
            } else {
                snprintf(msg, sizeof msg, "attribute '%s' is neither a number nor a list of at most %d", v->string,
                         AX_MAX_DIMS);
                ax_free(in);
                return bad(source, i, msg);
            }
            n_at++;
        }
        ax_node *made = ax_apply(g, op, in, n_in, attrs, n_at, name);
        ax_free(in);
        if (!made) {
            snprintf(msg, sizeof msg, "%s", ax_last_error());
            return bad(source, i, msg);
        }
        return AX_OK;
    }
    ax_shape s = {0};
    const int is_input = kind && !strcmp(kind, "input");
    if (is_input)
        s.dim[0] = batch;
    if (!kind || (!is_input && strcmp(kind, "param") && strcmp(kind, "buffer")))
        return bad(source, i, "needs \"op\", or \"kind\": input, param or buffer");
    if (!read_shape(cJSON_GetObjectItemCaseSensitive(o, "shape"), &s, is_input)) {
        snprintf(msg, sizeof msg, "'%s': \"shape\" must be up to %d whole numbers >= 1, at most 2^40 values in all",
                 name, AX_MAX_DIMS - is_input);
        return bad(source, i, msg);
    }
    const int seq = is_input && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "seq"));
    ax_node *n = seq ? ax_input_seq(g, name, s) : is_input ? ax_input(g, name, s)
               : !strcmp(kind, "param") ? ax_param(g, name, s) : ax_buffer(g, name, s);
    if (!n) {
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        return bad(source, i, msg);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "requires_grad")) && is_input)
        ax_node_set_requires_grad(n, 1);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "frozen")) && !is_input)
        ax_node_set_frozen(n, 1);
    return AX_OK;
}

ax_status ax_graph_from_json(const char *text, const char *source, int64_t batch, ax_graph **out,
                             const char *const *role_keys, ax_node **role_nodes, int n_roles)
{
    *out = NULL;
    if (batch < 1 || batch > AX_MAX_NUMEL)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: batch %lld must be positive", source, (long long)batch);
    cJSON *root = cJSON_Parse(text);
    if (!root)
        return ax_fail(AX_ERR_FORMAT, "%s: the graph is not valid JSON", source);
    const char *format = string_of(root, "format");
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    ax_status s = AX_OK;
    if (!format || strcmp(format, GRAPH_FORMAT))
        s = ax_fail(AX_ERR_FORMAT, "%s: the graph's format is '%s', expected '%s'", source, format ? format : "(none)",
                    GRAPH_FORMAT);
    else if (!cJSON_IsArray(nodes) || cJSON_GetArraySize(nodes) < 1 || cJSON_GetArraySize(nodes) > MAX_NODES)
        s = ax_fail(AX_ERR_FORMAT, "%s: the graph needs \"nodes\": 1 to %d of them", source, MAX_NODES);
    ax_graph *g = NULL;
    if (s == AX_OK)
        s = ax_graph_new(&g);
    int i = 0;
    const cJSON *o;
    if (s == AX_OK)
        cJSON_ArrayForEach(o, nodes)
        {
            if ((s = read_node(g, o, i++, batch, source)) != AX_OK)
                break;
        }
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(root, "roles");
    for (int k = 0; s == AX_OK && k < n_roles; k++) {
        const char *name = string_of(roles, role_keys[k]);
        role_nodes[k] = name ? ax_graph_find(g, name) : NULL;
        if (name && !role_nodes[k])
            s = ax_fail(AX_ERR_FORMAT, "%s: the graph's %s '%s' is not one of its nodes", source, role_keys[k], name);
    }
    cJSON_Delete(root);
    if (s != AX_OK) {
        ax_graph_free(g);
        return s;
    }
    *out = g;
    return AX_OK;
}
