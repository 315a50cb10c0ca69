/* Model files: graph text in the safetensors metadata, weights as its
 * tensors (axon/model_file.h). */
#include "axon/model_file.h"
#include "axon/safetensors.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_FORMAT "axon model 1"
#define MAX_META 32

/* The roles: the model's four nodes, then (several inputs or heads)
 * "input.K" and "head.K.output", "head.K.target", "head.K.loss"; the
 * heads' names and weights go in the metadata as "heads". */
#define N_ROLES (4 + AX_MODEL_MAX_INPUTS + 3 * AX_MAX_HEADS)
typedef struct roles {
    char keys[N_ROLES][24];
    const char *key[N_ROLES];
    ax_node *node[N_ROLES];
} roles;

static void role_names(roles *r)
{
    static const char *const base[4] = {"input", "target", "output", "loss"};
    static const char *const part[3] = {"output", "target", "loss"};
    for (int i = 0; i < N_ROLES; i++) {
        if (i < 4)
            snprintf(r->keys[i], sizeof r->keys[i], "%s", base[i]);
        else if (i < 4 + AX_MODEL_MAX_INPUTS)
            snprintf(r->keys[i], sizeof r->keys[i], "input.%d", i - 4);
        else
            snprintf(r->keys[i], sizeof r->keys[i], "head.%d.%s", (i - 4 - AX_MODEL_MAX_INPUTS) / 3,
                     part[(i - 4 - AX_MODEL_MAX_INPUTS) % 3]);
        r->key[i] = r->keys[i];
        r->node[i] = NULL;
    }
}

static ax_node **head_role(roles *r, int k, int part) { return &r->node[4 + AX_MODEL_MAX_INPUTS + 3 * k + part]; }

/* [{"name": ..., "weight": ...}, ...] */
static char *heads_json(const ax_model *m)
{
    cJSON *list = cJSON_CreateArray();
    for (int k = 0; list && k < m->n_heads; k++) {
        cJSON *h = cJSON_CreateObject();
        cJSON_AddStringToObject(h, "name", m->heads[k].name);
        cJSON_AddNumberToObject(h, "weight", m->heads[k].weight);
        cJSON_AddItemToArray(list, h);
    }
    char *text = list ? cJSON_PrintUnformatted(list) : NULL;
    cJSON_Delete(list);
    return text;
}

ax_status ax_save_model(const char *path, const ax_model *m, const char *const *meta_keys,
                        const char *const *meta_values, int n_meta)
{
    if (!m || !m->graph || !ax_graph_compiled(m->graph))
        return ax_fail(AX_ERR_INVALID_ARG, "%s: save a model with a compiled graph", path);
    if (n_meta < 0 || n_meta > MAX_META - 3)
        return ax_fail(AX_ERR_INVALID_ARG, "%s: at most %d metadata entries", path, MAX_META - 3);
    for (int i = 0; i < n_meta; i++)
        if (!strcmp(meta_keys[i], "graph") || !strcmp(meta_keys[i], "format"))
            return ax_fail(AX_ERR_INVALID_ARG, "%s: metadata '%s' is the model file's own", path, meta_keys[i]);
    for (int i = 0; i < n_meta; i++)
        if (!strcmp(meta_keys[i], "heads"))
            return ax_fail(AX_ERR_INVALID_ARG, "%s: metadata 'heads' is the model file's own", path);
    roles *r = ax_alloc(sizeof *r);
    if (!r)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    role_names(r);
    r->node[0] = m->input, r->node[1] = m->target, r->node[2] = m->output, r->node[3] = m->loss;
    for (int i = 0; i < m->n_inputs && i < AX_MODEL_MAX_INPUTS; i++)
        r->node[4 + i] = m->inputs[i];
    for (int k = 0; k < m->n_heads && k < AX_MAX_HEADS; k++) {
        *head_role(r, k, 0) = m->heads[k].output;
        *head_role(r, k, 1) = m->heads[k].target;
        *head_role(r, k, 2) = m->heads[k].loss;
    }
    char *graph = NULL, *heads = m->n_heads ? heads_json(m) : NULL;
    ax_status s = m->n_heads && !heads ? ax_fail(AX_ERR_NOMEM, "%s: out of memory", path)
                                       : ax_graph_to_json(m->graph, r->key, r->node, N_ROLES, &graph);
    ax_free(r);
    if (s == AX_OK) {
        const char *keys[MAX_META] = {"format", "graph"}, *vals[MAX_META] = {MODEL_FORMAT, graph};
        int n = 2;
        if (heads)
            keys[n] = "heads", vals[n++] = heads;
        for (int i = 0; i < n_meta; i++)
            keys[n] = meta_keys[i], vals[n++] = meta_values[i];
        s = ax_save_safetensors(path, m->graph, keys, vals, n);
    }
    ax_free(graph);
    cJSON_free(heads);
    return s;
}

/* The heads the roles name, with their names and weights from "heads". */
static ax_status load_heads(const char *path, roles *r, ax_model *m)
{
    int n = 0;
    while (n < AX_MAX_HEADS && *head_role(r, n, 0))
        n++;
    if (!n)
        return AX_OK;
    char *text = NULL;
    ax_status s = ax_safetensors_metadata(path, "heads", &text);
    cJSON *list = s == AX_OK && text ? cJSON_Parse(text) : NULL;
    ax_free(text);
    if (s == AX_OK && (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != n))
        s = ax_fail(AX_ERR_FORMAT, "%s: the metadata 'heads' must list the %d heads the graph's roles name", path, n);
    const ax_node *output = m->output, *target = m->target;
    for (int k = 0; s == AX_OK && k < n; k++) {
        const cJSON *h = cJSON_GetArrayItem(list, k), *name = cJSON_GetObjectItemCaseSensitive(h, "name"),
                    *w = cJSON_GetObjectItemCaseSensitive(h, "weight");
        if (!cJSON_IsString(name) || !cJSON_IsNumber(w) || !*head_role(r, k, 1) || !*head_role(r, k, 2))
            s = ax_fail(AX_ERR_FORMAT, "%s: head %d needs a name, a weight, and output, target and loss roles", path, k);
        else
            s = ax_model_add_head(m, name->valuestring, *head_role(r, k, 0), *head_role(r, k, 1), *head_role(r, k, 2),
                                  (float)w->valuedouble);
        if (s != AX_OK && k < n && cJSON_IsString(name))
            s = ax_fail(AX_ERR_FORMAT, "%s: head %d: %s", path, k, ax_last_error());
    }
    cJSON_Delete(list);
    if (s == AX_OK && (output != m->heads[0].output || target != m->heads[0].target))
        s = ax_fail(AX_ERR_FORMAT, "%s: the roles output and target must be the first head's", path);
    return s;
}

ax_status ax_load_model(const char *path, int64_t batch, ax_model *out)
{
    memset(out, 0, sizeof *out);
    char *graph = NULL;
    ax_status s = ax_safetensors_metadata(path, "graph", &graph);
    if (s == AX_OK && !graph)
        s = ax_fail(AX_ERR_FORMAT, "%s: no graph in the file's metadata (not an axon model file)", path);
    roles *r = s == AX_OK ? ax_alloc(sizeof *r) : NULL;
    if (s == AX_OK && !r)
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    if (s == AX_OK) {
        role_names(r);
        s = ax_graph_from_json(graph, path, batch, &out->graph, r->key, r->node, N_ROLES);
    }
    ax_free(graph);
    ax_model m = {0};
    if (s == AX_OK) {
        m = (ax_model){.graph = out->graph, .input = r->node[0], .target = r->node[1], .output = r->node[2],
                       .loss = r->node[3]};
        while (m.n_inputs < AX_MODEL_MAX_INPUTS && r->node[4 + m.n_inputs])
            m.inputs[m.n_inputs] = r->node[4 + m.n_inputs], m.n_inputs++;
        s = load_heads(path, r, &m);
    }
    ax_free(r);
    if (s == AX_OK)
        s = ax_graph_compile(out->graph);
    if (s == AX_OK)
        s = ax_load_safetensors(path, out->graph, 1, NULL);
    if (s != AX_OK) {
        ax_graph_free(out->graph);
        memset(out, 0, sizeof *out);
        return s;
    }
    *out = m;
    return AX_OK;
}
