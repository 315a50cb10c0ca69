/* The model-spec format (docs/model-spec.md): one layer per line,
 *   <type> [<name>] [key=value ...]      # comments run to the end of a line
 * starting with `input <name> <dims...>` and ending with `loss <name> ...`.
 * A layer reads the layer before it unless it says inputs=a,b. */
#include "axon/spec.h"
#include "axon/nn.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOKENS 32
#define MAX_LAYERS AX_SPEC_MAX_LAYERS

typedef struct token {
    char *text;
    int col; /* 1-based */
} token;

typedef struct line {
    const char *source;
    int no;
    token tok[MAX_TOKENS];
    int n;
} line;

static ax_status spec_error(const line *l, int col, const char *fmt, const char *a, const char *b)
{
    char msg[2048];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return ax_fail(AX_ERR_FORMAT, "%s:%d:%d: %s", l->source, l->no, col, msg);
}

/* The value of key=value among the tokens from `first`, or NULL. */
static const token *find(const line *l, int first, const char *key)
{
    size_t k = strlen(key);
    for (int i = first; i < l->n; i++)
        if (!strncmp(l->tok[i].text, key, k) && l->tok[i].text[k] == '=')
            return &l->tok[i];
    return NULL;
}

static const char *value_of(const token *t) { return strchr(t->text, '=') + 1; }

/* Sizes (units, filters, kernels, strides, ...) are at most this. */
#define MAX_SIZE (1L << 24)
#define MAX_KEYS 16

typedef struct built {
    char name[64], type[24];
    ax_node *node;
} built;

typedef struct builder {
    ax_graph *g;
    ax_rng rng;
    built layers[MAX_LAYERS];
    int n;
} builder;

static ax_node *lookup(builder *b, const char *name)
{
    for (int i = b->n - 1; i >= 0; i--)
        if (!strcmp(b->layers[i].name, name))
            return b->layers[i].node;
    return NULL;
}

/* ---- the layer table ----------------------------------------------------
 * A spec line is a layer of this table, or any op by its name with its
 * schema's attributes as keys (layers of ops that declare parameters get
 * them made, as ax_op_layer does). A layer that is one op has the op's
 * name; older spellings are read as aliases. */
typedef enum { KEY_INT, KEY_FLOAT, KEY_WORD, KEY_INTS } key_type;
typedef struct layer_key {
    const char *name;
    key_type type;
    double dflt, min, max;
    const char *doc;
} layer_key;

/* What a layer's builder gets: the line, the layer's name and inputs, and
 * each key's value (its default when not given). */
typedef struct layer_def layer_def;
typedef struct layer_args {
    const layer_def *def; /* the layer being built */
    builder *b;
    const line *l;
    int first;
    ax_spec *spec;
    const char *name;
    ax_node *in[64];
    int n_in;
    double num[MAX_KEYS];
    const char *word[MAX_KEYS];
    const token *given[MAX_KEYS];
    int64_t list[MAX_KEYS][AX_MAX_DIMS];
    int list_n[MAX_KEYS];
} layer_args;

struct layer_def {
    const char *name;
    const char *alias; /* an older spelling, or NULL */
    const char *doc;
    layer_key keys[MAX_KEYS];
    ax_node *(*build)(layer_args *a);
};

static int n_keys(const layer_key *keys)
{
    int n = 0;
    while (n < MAX_KEYS && keys[n].name)
        n++;
    return n;
}

/* Every key=value must be one of the layer's keys, inputs or frozen. */
static ax_status check_keys(const line *l, int first, const char *type, const layer_key *keys)
{
    char allowed[512] = "";
    for (int k = 0; k < n_keys(keys); k++) {
        strncat(allowed, keys[k].name, sizeof allowed - strlen(allowed) - 1);
        strncat(allowed, " ", sizeof allowed - strlen(allowed) - 1);
    }
    for (int i = first; i < l->n; i++) {
        const char *eq = strchr(l->tok[i].text, '=');
        if (!eq)
            return spec_error(l, l->tok[i].col, "'%s' is not key=value (the name goes right after the type '%s')",
                              l->tok[i].text, type);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - l->tok[i].text), l->tok[i].text);
        int known = !strcmp(key, "inputs") || !strcmp(key, "frozen");
        for (int k = 0; k < n_keys(keys) && !known; k++)
            known = !strcmp(keys[k].name, key);
        if (!known) {
            char expected[1000];
            snprintf(expected, sizeof expected, "unknown key '%s' for %s (expected one of: %sinputs frozen)", key, type,
                     allowed);
            return spec_error(l, l->tok[i].col, "%s%s", expected, NULL);
        }
    }
    return AX_OK;
}

/* Parse every key of the layer from the line into a. */
/* A key's bound as a whole number (op schemas use 1e30 for "none"). */
static int64_t int_bound(double v)
{
    return v >= 9.2e18 ? INT64_MAX : v <= -9.2e18 ? INT64_MIN : (int64_t)v;
}

static ax_status parse_keys(layer_args *a, const layer_key *keys)
{
    for (int k = 0; k < n_keys(keys); k++) {
        const layer_key *d = &keys[k];
        const token *t = a->given[k] = find(a->l, a->first, d->name);
        a->num[k] = d->dflt;
        a->word[k] = NULL;
        a->list_n[k] = 0;
        if (!t)
            continue;
        const char *v = value_of(t);
        char what[160];
        if (d->type == KEY_WORD) {
            a->word[k] = v;
        } else if (d->type == KEY_INTS) { /* a,b,c */
            char copy[256];
            snprintf(copy, sizeof copy, "%s", v);
            for (char *p = strtok(copy, ","); p; p = strtok(NULL, ",")) {
                int64_t x;
                if (a->list_n[k] == AX_MAX_DIMS || !ax_parse_int(p, int_bound(d->min), int_bound(d->max), &x)) {
                    snprintf(what, sizeof what, "%s expects up to %d whole numbers from %.0f to %.0f, separated by commas",
                             d->name, AX_MAX_DIMS, (double)int_bound(d->min), (double)int_bound(d->max));
                    return spec_error(a->l, t->col, "%s, got '%s'", what, v);
                }
                a->list[k][a->list_n[k]++] = x;
            }
        } else if (d->type == KEY_INT) {
            int64_t x;
            if (!ax_parse_int(v, int_bound(d->min), int_bound(d->max), &x)) {
                snprintf(what, sizeof what, "%s expects a whole number from %.0f to %.0f", d->name,
                         (double)int_bound(d->min), (double)int_bound(d->max));
                return spec_error(a->l, t->col, "%s, got '%s'", what, v);
            }
            a->num[k] = (double)x;
        } else if (!ax_parse_number(v, d->min, d->max, &a->num[k])) {
            snprintf(what, sizeof what, "%s expects a number from %g to %g", d->name, d->min, d->max);
            return spec_error(a->l, t->col, "%s, got '%s'", what, v);
        }
    }
    return AX_OK;
}

/* The layer's inputs: inputs=a,b or the previous layer. */
static ax_status inputs_of(builder *b, const line *l, int first, ax_node **in, int *n_in)
{
    const token *t = find(l, first, "inputs");
    if (!t) {
        if (b->n == 0)
            return spec_error(l, 1, "no layer before this one to read (start with an input line)%s%s", NULL, NULL);
        in[0] = b->layers[b->n - 1].node;
        *n_in = 1;
        return AX_OK;
    }
    char list[512];
    snprintf(list, sizeof list, "%s", value_of(t));
    *n_in = 0;
    for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
        ax_node *nd = lookup(b, s);
        if (!nd)
            return spec_error(l, t->col, "inputs: no layer named '%s' before this line%s", s, NULL);
        if (*n_in == 64)
            return spec_error(l, t->col, "inputs: at most 64%s%s", NULL, NULL);
        in[(*n_in)++] = nd;
    }
    if (*n_in == 0)
        return spec_error(l, t->col, "inputs= names no layer (give inputs=a or inputs=a,b)%s%s", NULL, NULL);
    return AX_OK;
}

/* Index of a layer key by name (the builders read theirs by name). */
static int key(const layer_def *d, const char *name)
{
    for (int k = 0; k < n_keys(d->keys); k++)
        if (!strcmp(d->keys[k].name, name))
            return k;
    return -1; /* not reached: the tables and builders agree */
}

/* A builder's key values, by name. */
#define NUM(a, name) ((a)->num[key((a)->def, name)])
#define WORD(a, name) ((a)->word[key((a)->def, name)])
#define GIVEN(a, name) ((a)->given[key((a)->def, name)])

static ax_node *fail_at(layer_args *a, const char *fmt, const char *what)
{
    spec_error(a->l, a->l->tok[0].col, fmt, what, NULL);
    return ax_graph_error(a->b->g, AX_ERR_FORMAT);
}

/* The layer's init=, or the default; 0 (with the error set) for an unknown name. */
static int init_of(layer_args *a, ax_init *init)
{
    *init = AX_DEFAULT_INIT;
    if (WORD(a, "init") && ax_init_from_name(WORD(a, "init"), init) != AX_OK) {
        spec_error(a->l, GIVEN(a, "init")->col, "unknown init '%s'%s", WORD(a, "init"), NULL);
        return 0;
    }
    return 1;
}

static ax_node *build_dense(layer_args *a)
{
    ax_init init;
    if (!init_of(a, &init))
        return ax_graph_error(a->b->g, AX_ERR_FORMAT);
    if (!GIVEN(a, "units"))
        return fail_at(a, "dense needs units=N%s", "");
    ax_graph *g = a->b->g;
    ax_node *x = a->in[0];
    if (ax_node_shape(x).ndim > 2 && !NUM(a, "per_step"))
        x = ax_flatten(g, x);
    ax_node *out = (NUM(a, "bias") ? ax_dense : ax_dense_no_bias)(g, x, (int64_t)NUM(a, "units"), WORD(a, "activation"),
                                                                  init, &a->b->rng, a->name);
    double l1 = NUM(a, "l1"), l2 = NUM(a, "l2");
    if (out && (l1 > 0 || l2 > 0)) {
        char wname[96];
        snprintf(wname, sizeof wname, "%s.weight", a->name);
        ax_spec *sp = a->spec;
        sp->penalties[sp->n_penalties] = ax_graph_find(g, wname); /* one per layer at most */
        sp->l1[sp->n_penalties] = (float)l1;
        sp->l2[sp->n_penalties++] = (float)l2;
    }
    return out;
}

static ax_node *build_conv2d(layer_args *a)
{
    ax_init init;
    if (!init_of(a, &init))
        return ax_graph_error(a->b->g, AX_ERR_FORMAT);
    if (!GIVEN(a, "filters"))
        return fail_at(a, "conv2d needs filters=N%s", "");
    const int stride = (int)NUM(a, "stride"), dilation = (int)NUM(a, "dilation");
    ax_conv_options o = {.stride_h = stride, .stride_w = stride, .dil_h = dilation, .dil_w = dilation,
                         .groups = (int)NUM(a, "groups"), .no_bias = !NUM(a, "bias")};
    const char *pad = WORD(a, "padding");
    if (pad && !strcmp(pad, "same"))
        o.pad_mode = AX_PAD_SAME;
    else if (pad && strcmp(pad, "valid")) {
        int64_t p;
        if (!ax_parse_int(pad, 0, MAX_SIZE, &p)) {
            spec_error(a->l, GIVEN(a, "padding")->col,
                       "padding expects same, valid or a whole number from 0 to 16777216, got '%s'%s", pad, NULL);
            return ax_graph_error(a->b->g, AX_ERR_FORMAT);
        }
        o.pad_h = o.pad_w = (int)p;
    }
    const int k = (int)NUM(a, "kernel");
    return ax_conv2d_layer(a->b->g, a->in[0], (int64_t)NUM(a, "filters"), k, k, &o, WORD(a, "activation"), init,
                           &a->b->rng, a->name);
}

static ax_node *build_pool(layer_args *a)
{
    const int size = (int)NUM(a, "size"), pad = (int)NUM(a, "padding");
    const int stride = GIVEN(a, "stride") ? (int)NUM(a, "stride") : size;
    if (a->def->name[0] == 'm')
        return ax_max_pool2d(a->b->g, a->in[0], size, size, stride, stride, pad, pad);
    return ax_avg_pool2d(a->b->g, a->in[0], size, size, stride, stride, pad, pad, 1);
}

static ax_node *build_batch_norm(layer_args *a)
{
    return ax_batch_norm_layer(a->b->g, a->in[0], (float)NUM(a, "momentum"), (float)NUM(a, "eps"), a->name);
}

static ax_node *build_dropout(layer_args *a)
{
    const float rate = (float)NUM(a, "rate");
    return a->def->name[0] == 'd' ? ax_dropout(a->b->g, a->in[0], rate) : ax_spatial_dropout(a->b->g, a->in[0], rate);
}

static ax_node *build_join(layer_args *a)
{
    if (a->n_in < 2)
        return fail_at(a, "%s needs inputs=a,b (two or more layers)", a->def->name);
    if (!strcmp(a->def->name, "concat"))
        return ax_concat(a->b->g, a->in, a->n_in);
    ax_node *out = a->in[0];
    for (int i = 1; i < a->n_in; i++)
        out = ax_add(a->b->g, out, a->in[i]);
    return out;
}

static ax_node *build_maxout(layer_args *a)
{
    return ax_maxout_dense(a->b->g, a->in[0], (int64_t)NUM(a, "units"), (int64_t)NUM(a, "k"), &a->b->rng, a->name);
}

static ax_node *build_activation(layer_args *a)
{
    if (!WORD(a, "fn"))
        return fail_at(a, "activation needs fn=NAME%s", "");
    return ax_activate(a->b->g, a->in[0], WORD(a, "fn"));
}

static ax_node *build_one(layer_args *a)
{
    ax_graph *g = a->b->g;
    return !strcmp(a->def->name, "flatten") ? ax_flatten(g, a->in[0])
         : !strcmp(a->def->name, "prelu")   ? ax_prelu_layer(g, a->in[0], a->name)
                                             : ax_global_avg_pool(g, a->in[0]);
}

static ax_node *build_embedding(layer_args *a)
{
    if (!GIVEN(a, "dim") || !GIVEN(a, "vocab"))
        return fail_at(a, "embedding needs dim=D and vocab=V%s", "");
    ax_graph *g = a->b->g;
    char wname[96];
    snprintf(wname, sizeof wname, "%s.weight", a->name);
    ax_node *w = ax_param(g, wname, ax_shape2((int64_t)NUM(a, "vocab"), (int64_t)NUM(a, "dim")));
    if (!w)
        return NULL;
    ax_status s = ax_init_fill(ax_node_data(w), ax_node_shape(w), (ax_init){AX_INIT_NORMAL, 0, 1}, &a->b->rng);
    return s == AX_OK ? ax_embedding(g, a->in[0], w) : ax_graph_error(g, s);
}

static ax_node *build_recurrent(layer_args *a)
{
    ax_rnn_cell cell = a->def->name[0] == 'l' ? AX_LSTM : a->def->name[0] == 'g' ? AX_GRU : AX_RNN_TANH;
    const char *act = WORD(a, "activation"), *ret = WORD(a, "return");
    if (act && (cell != AX_RNN_TANH || (strcmp(act, "tanh") && strcmp(act, "relu")))) {
        spec_error(a->l, GIVEN(a, "activation")->col, "activation: %s", cell == AX_RNN_TANH ? "tanh or relu" : "only rnn has one", NULL);
        return ax_graph_error(a->b->g, AX_ERR_FORMAT);
    }
    if (ret && strcmp(ret, "sequence") && strcmp(ret, "last")) {
        spec_error(a->l, GIVEN(a, "return")->col, "return expects sequence or last, got '%s'%s", ret, NULL);
        return ax_graph_error(a->b->g, AX_ERR_FORMAT);
    }
    if (!GIVEN(a, "units"))
        return fail_at(a, "%s needs units=N", a->def->name);
    if (act && !strcmp(act, "relu"))
        cell = AX_RNN_RELU;
    ax_rnn_options o = {.layers = (int)NUM(a, "layers"), .bidirectional = (int)NUM(a, "bidirectional"),
                        .no_bias = !NUM(a, "bias"), .dropout = (float)NUM(a, "dropout")};
    ax_rnn_result r;
    const int last = ret && !strcmp(ret, "last");
    ax_node *out = ax_rnn_layer(a->b->g, a->in[0], cell, (int64_t)NUM(a, "units"), &o, &a->b->rng, a->name,
                                last ? &r : NULL);
    return out && last ? r.last : out;
}

#define SIZE_KEY(n, d, lo, doc) {n, KEY_INT, d, lo, MAX_SIZE, doc}
#define RECURRENT_KEYS                                                                                        \
    {SIZE_KEY("units", 0, 1, "hidden units (required)"), {"layers", KEY_INT, 1, 1, 1024, "stacked layers"},        \
     {"bidirectional", KEY_INT, 0, 0, 1, "1 adds a backward direction"},                                          \
     {"dropout", KEY_FLOAT, 0, 0, 0.999999, "dropout between stacked layers"},                                     \
     {"bias", KEY_INT, 1, 0, 1, "0 leaves the biases out"},                                                        \
     {"return", KEY_WORD, 0, 0, 0, "sequence (every step's h) or last (the final h)"},                              \
     {"activation", KEY_WORD, 0, 0, 0, "rnn only: tanh or relu (tanh)"}}
static const layer_def layers[] = {
    {"dense", NULL, "a fully connected layer: y = act(x W^T + b) (flattens its input first)",
     {SIZE_KEY("units", 0, 1, "outputs (required)"), {"activation", KEY_WORD, 0, 0, 0, "an activation (none)"},
      {"init", KEY_WORD, 0, 0, 0, "an initialiser (by the activation)"},
      {"l1", KEY_FLOAT, 0, 0, 1e6, "L1 penalty on the weight"}, {"l2", KEY_FLOAT, 0, 0, 1e6, "L2 penalty on the weight"},
      {"bias", KEY_INT, 1, 0, 1, "0 leaves the bias out"},
      {"per_step", KEY_INT, 0, 0, 1, "1: along the last axis, at every step of [T, features] (no flattening)"}},
     build_dense},
    {"conv2d", NULL, "a 2-D convolution layer over [C, H, W]",
     {SIZE_KEY("filters", 0, 1, "output channels (required)"), SIZE_KEY("kernel", 3, 1, "kernel height and width"),
      SIZE_KEY("stride", 1, 1, "stride"), {"padding", KEY_WORD, 0, 0, 0, "valid, same or a number (valid)"},
      SIZE_KEY("dilation", 1, 1, "dilation"), SIZE_KEY("groups", 1, 1, "channel groups"),
      {"activation", KEY_WORD, 0, 0, 0, "an activation (none)"},
      {"init", KEY_WORD, 0, 0, 0, "an initialiser (by the activation)"}, {"bias", KEY_INT, 1, 0, 1, "0 leaves the bias out"}},
     build_conv2d},
    {"max_pool2d", "maxpool", "max pooling over square windows",
     {SIZE_KEY("size", 2, 1, "window size"), SIZE_KEY("stride", 2, 1, "stride (the size)"),
      SIZE_KEY("padding", 0, 0, "padding on each side")},
     build_pool},
    {"avg_pool2d", "avgpool", "average pooling over square windows (padding counted)",
     {SIZE_KEY("size", 2, 1, "window size"), SIZE_KEY("stride", 2, 1, "stride (the size)"),
      SIZE_KEY("padding", 0, 0, "padding on each side")},
     build_pool},
    {"global_avg_pool", "globalavgpool", "[C, H, W] -> [C], the mean of each map", {{0}}, build_one},
    {"flatten", NULL, "[...] -> [n]", {{0}}, build_one},
    {"batch_norm", "batchnorm", "batch normalisation per channel",
     {{"momentum", KEY_FLOAT, 0.1, 0, 1, "running statistics' update rate"},
      {"eps", KEY_FLOAT, 1e-5, 1e-30, 1, "added to the variance"}},
     build_batch_norm},
    {"dropout", NULL, "inverted dropout", {{"rate", KEY_FLOAT, 0.5, 0, 0.999999, "the share dropped"}}, build_dropout},
    {"spatial_dropout", NULL, "dropout of whole maps", {{"rate", KEY_FLOAT, 0.5, 0, 0.999999, "the share dropped"}},
     build_dropout},
    {"add", NULL, "the sum of two or more layers (a residual connection)", {{0}}, build_join},
    {"concat", NULL, "two or more layers joined along the channel (or feature) axis", {{0}}, build_join},
    {"prelu", NULL, "a ReLU with a learned slope per channel", {{0}}, build_one},
    {"maxout", NULL, "a dense layer of units x k outputs, the largest of each k",
     {SIZE_KEY("units", 0, 1, "outputs (required)"), SIZE_KEY("k", 2, 1, "pieces per output")}, build_maxout},
    {"activation", NULL, "an activation by name", {{"fn", KEY_WORD, 0, 0, 0, "the activation (required)"}},
     build_activation},
    {"embedding", NULL, "a learned vector for each index (PyTorch's nn.Embedding, N(0, 1) at the start)",
     {SIZE_KEY("dim", 0, 1, "the vectors' size (required)"), SIZE_KEY("vocab", 0, 1, "indices 0..vocab-1 (required)")},
     build_embedding},
    {"rnn", NULL, "an Elman RNN over [T, features] (PyTorch's nn.RNN)", RECURRENT_KEYS, build_recurrent},
    {"lstm", NULL, "an LSTM over [T, features] (PyTorch's nn.LSTM)", RECURRENT_KEYS, build_recurrent},
    {"gru", NULL, "a GRU over [T, features] (PyTorch's nn.GRU)", RECURRENT_KEYS, build_recurrent},
};
#define N_LAYERS ((int)(sizeof layers / sizeof layers[0]))

static const layer_def *find_layer(const char *type)
{
    for (int i = 0; i < N_LAYERS; i++)
        if (!strcmp(layers[i].name, type) || (layers[i].alias && !strcmp(layers[i].alias, type)))
            return &layers[i];
    return NULL;
}

/* A line naming an op: its attributes as keys (lists as a,b,c), its data
 * inputs from inputs= or the line before, its declared parameters made. */
static ax_node *build_op(layer_args *a)
{
    const ax_op_schema *sc = ax_op_schema_of(a->def->name);
    ax_attr at[MAX_KEYS];
    int n = 0;
    for (int k = 0; k < sc->n_attrs && k < MAX_KEYS; k++)
        if (a->given[k])
            at[n++] = (ax_attr){sc->attrs[k].name, a->num[k], a->list[k], a->list_n[k]};
    if (sc->n_params)
        return ax_op_layer(a->b->g, sc->name, a->in[0], at, n, a->name);
    return ax_apply(a->b->g, sc->name, a->in, a->n_in, at, n, NULL);
}

/* An op's schema as a layer definition, in *def. */
static const layer_def *op_as_layer(const char *type, layer_def *def)
{
    const ax_op_schema *sc = ax_op_schema_of(type);
    if (!sc || sc->n_attrs >= MAX_KEYS)
        return NULL;
    *def = (layer_def){.name = sc->name, .doc = sc->doc, .build = build_op};
    for (int k = 0; k < sc->n_attrs; k++) {
        const ax_attr_schema *d = &sc->attrs[k];
        key_type t = d->type == AX_ATTR_FLOAT ? KEY_FLOAT : d->type == AX_ATTR_INTS ? KEY_INTS : KEY_INT;
        def->keys[k] = (layer_key){d->name, t, d->dflt, d->min, d->max, d->doc};
    }
    return def;
}

/* Build one layer line; *name and *node for the table. */
static ax_status layer(builder *b, const line *l, ax_spec *spec)
{
    const char *type = l->tok[0].text;
    int first = 1;
    char name[64] = "";
    if (l->n > 1 && !strchr(l->tok[1].text, '=')) {
        if (strlen(l->tok[1].text) >= sizeof name)
            return spec_error(l, l->tok[1].col, "the name '%s' is longer than %s characters", l->tok[1].text, "63");
        snprintf(name, sizeof name, "%s", l->tok[1].text);
        first = 2;
    } else {
        snprintf(name, sizeof name, "%s%d", type, b->n);
    }
    if (lookup(b, name))
        return spec_error(l, l->tok[1].col, "a layer named '%s' already exists%s", name, NULL);
    layer_def from_op;
    const layer_def *def = find_layer(type);
    if (!def)
        def = op_as_layer(type, &from_op);
    if (!def) {
        char known[1024] = "";
        for (int i = 0; i < N_LAYERS; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, layers[i].name, sizeof known - strlen(known) - 1);
        }
        return spec_error(l, l->tok[0].col, "unknown layer type '%s' (expected input, %s, loss, or an op of `axon ops`)",
                          type, known);
    }
    layer_args *a = ax_calloc(1, sizeof *a);
    if (!a)
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", l->source);
    *a = (layer_args){.def = def, .b = b, .l = l, .first = first, .spec = spec, .name = name};
    ax_status s;
    if ((s = check_keys(l, first, type, def->keys)) || (s = inputs_of(b, l, first, a->in, &a->n_in)) ||
        (s = parse_keys(a, def->keys))) {
        ax_free(a);
        return s;
    }
    ax_node *out = def->build(a);
    ax_free(a);
    if (!out) {
        char msg[1000];
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        /* a builder's own message already names the line */
        return strncmp(msg, l->source, strlen(l->source)) ? spec_error(l, l->tok[0].col, "%s%s", msg, NULL)
                                                          : ax_fail(AX_ERR_FORMAT, "%s", msg);
    }
    if (find(l, first, "frozen") && strcmp(value_of(find(l, first, "frozen")), "0"))
        ax_graph_freeze(b->g, name, 1, NULL);
    snprintf(b->layers[b->n].name, sizeof b->layers[b->n].name, "%s", name);
    snprintf(b->layers[b->n].type, sizeof b->layers[b->n].type, "%s", def->name);
    b->layers[b->n++].node = out;
    return AX_OK;
}

/* Cut the text into lines of tokens (in place); returns the line count. */
static int tokenize(char *text, const char *source, line *lines, int max, ax_status *s)
{
    int n = 0, no = 0;
    for (char *p = text; *p && *s == AX_OK;) {
        char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
        *end = '\0';
        no++;
        char *hash = strchr(p, '#');
        if (hash)
            *hash = '\0';
        line l = {source, no, {{0}}, 0};
        for (char *q = p; *q;) {
            while (*q && isspace((unsigned char)*q))
                *q++ = '\0';
            if (!*q)
                break;
            if (l.n == MAX_TOKENS) {
                *s = ax_fail(AX_ERR_FORMAT, "%s:%d: more than %d words on a line", source, no, MAX_TOKENS);
                break;
            }
            l.tok[l.n++] = (token){q, (int)(q - p) + 1};
            while (*q && !isspace((unsigned char)*q))
                q++;
        }
        if (l.n > 0 && *s == AX_OK) {
            if (n == max) {
                *s = ax_fail(AX_ERR_FORMAT, "%s:%d: more than %d layers", source, no, max - 2);
                break;
            }
            lines[n++] = l;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return n;
}

/* An input line: input NAME DIM [DIM ...] [seq]. */
static ax_status input_line(builder *b, const line *l, int64_t batch, ax_spec *out)
{
    ax_status s = AX_OK;
    if (l->n < 3)
        return spec_error(l, l->tok[0].col, "an input line is: input NAME DIM [DIM ...] (the per-sample shape)%s%s", NULL, NULL);
    if (strchr(l->tok[1].text, '='))
        return spec_error(l, l->tok[1].col, "an input needs a name before its dimensions, got '%s'%s", l->tok[1].text, NULL);
    ax_shape shape = {1, {batch}};
    /* a last word `seq`: the first dimension is a sequence axis, run at any length up to it */
    const int seq = l->n > 3 && !strcmp(l->tok[l->n - 1].text, "seq");
    for (int i = 2; s == AX_OK && i < l->n - seq; i++) {
        int64_t d;
        if (!ax_parse_int(l->tok[i].text, 1, MAX_SIZE, &d) || shape.ndim == AX_MAX_DIMS)
            s = spec_error(l, l->tok[i].col,
                           "input dimension '%s' is not a whole number from 1 to 16777216 (at most %s dimensions)",
                           l->tok[i].text, "5");
        else
            shape.dim[shape.ndim++] = d;
    }
    if (s == AX_OK && !ax_shape_checked(&shape, 0, NULL))
        s = spec_error(l, l->tok[2].col, "the input holds too many values (at most 2^40 in a batch)%s%s", NULL, NULL);
    if (s == AX_OK && strlen(l->tok[1].text) >= sizeof out->heads[0].name)
        s = spec_error(l, l->tok[1].col, "the name '%s' is longer than %s characters", l->tok[1].text, "31");
    if (s == AX_OK && lookup(b, l->tok[1].text))
        s = spec_error(l, l->tok[1].col, "a layer named '%s' already exists%s", l->tok[1].text, NULL);
    if (s == AX_OK && out->n_inputs == AX_MODEL_MAX_INPUTS)
        s = spec_error(l, l->tok[0].col, "more than %s inputs%s", "8", NULL);
    ax_node *in = NULL;
    if (s == AX_OK && !(in = (seq ? ax_input_seq : ax_input)(b->g, l->tok[1].text, shape))) {
        char msg[1000];
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        s = spec_error(l, l->tok[l->n - 1].col, "%s%s", msg, NULL);
    }
    if (s == AX_OK) {
        out->inputs[out->n_inputs++] = in;
        if (!out->input)
            out->input = in;
        snprintf(b->layers[b->n].name, sizeof b->layers[b->n].name, "%s", l->tok[1].text);
        snprintf(b->layers[b->n].type, sizeof b->layers[b->n].type, "input");
        b->layers[b->n++].node = in;
    }
    return s;
}

/* A loss line: `loss TYPE [options]` (the one head, on the last layer) or
 * `loss HEAD TYPE [inputs=LAYER] [target=NAME] [weight=W] [options]` (one
 * of several heads; its target is named like the head unless target=). */
static ax_status loss_line(builder *b, const line *l, int named, ax_spec *out)
{
    static const layer_key keys[MAX_KEYS] = {
        {"label_smoothing", KEY_FLOAT, 0, 0, 0.999999, "cross-entropies: the share spread over all classes"},
        {"weight", KEY_FLOAT, 1, 0, 1e6, "the head's share of the total loss"},
        {"target", KEY_WORD, 0, 0, 0, "the name of the head's target in the data (the head's name)"}};
    const int first = named ? 3 : 2;
    if (l->n < first)
        return spec_error(l, l->tok[0].col, named ? "a head's loss line is: loss HEAD TYPE [inputs=LAYER] [target=NAME] "
                                                    "[weight=W]%s%s"
                                                  : "loss needs a name (softmax_cross_entropy, mse, ...)%s%s",
                          NULL, NULL);
    ax_status s = check_keys(l, first, "loss", named ? keys : (layer_key[MAX_KEYS]){keys[0]});
    layer_args *a = s == AX_OK ? ax_calloc(1, sizeof *a) : NULL;
    if (s == AX_OK && !a)
        s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", l->source);
    if (s == AX_OK) {
        *a = (layer_args){.b = b, .l = l, .first = first, .spec = out};
        s = parse_keys(a, keys);
    }
    ax_node *o = NULL;
    if (s == AX_OK) {
        /* the head reads inputs=LAYER, or the last layer */
        ax_node *in[64];
        int n_in = 0;
        s = inputs_of(b, l, first, in, &n_in);
        if (s == AX_OK && n_in != 1)
            s = spec_error(l, find(l, first, "inputs")->col, "a loss reads one layer%s%s", NULL, NULL);
        o = s == AX_OK ? in[0] : NULL;
    }
    const char *head = named ? l->tok[1].text : "target", *loss = l->tok[named ? 2 : 1].text;
    const char *target = a && a->word[2] ? a->word[2] : head;
    if (s == AX_OK && named && strlen(head) >= sizeof out->heads[0].name)
        s = spec_error(l, l->tok[1].col, "the head's name '%s' is longer than %s characters", head, "31");
    /* heads may read one target (an auxiliary head learning the main head's labels) */
    ax_node *shared = NULL;
    for (int k = 0; s == AX_OK && k < out->n_heads; k++)
        shared = !strcmp(ax_node_name(out->heads[k].target), target) ? out->heads[k].target : shared;
    if (s == AX_OK && named && !shared &&
        (strlen(target) >= sizeof b->layers[0].name || lookup(b, target) || ax_graph_find(b->g, target)))
        s = spec_error(l, a->word[2] ? a->given[2]->col : l->tok[1].col,
                       "the target '%s' needs a name of its own (a layer or a node has it)%s", target, NULL);
    if (s == AX_OK) { /* class labels for the cross-entropies, targets like the output otherwise */
        int classes = !strcmp(loss, "softmax_cross_entropy") || !strcmp(loss, "categorical_cross_entropy");
        ax_shape os = ax_node_shape(o);
        /* class labels: one per row of scores, the classes being the last axis */
        ax_shape ts = os;
        if (classes)
            ts.ndim = os.ndim > 1 ? os.ndim - 1 : 1;
        /* a target along the input's sequence axis follows its length */
        const int along = ax_graph_max_seq(b->g) && ts.ndim >= 2 && ts.dim[1] == ax_node_shape(out->input).dim[1];
        ax_node *t = shared ? shared : (along ? ax_input_seq : ax_input)(b->g, target, ts);
        const ax_shape have = shared ? ax_node_shape(shared) : ts;
        if (!ax_shape_equal(&have, &ts)) {
            s = spec_error(l, a->given[2] ? a->given[2]->col : l->tok[1].col,
                           "the target '%s' is another head's, of another shape%s", target, NULL);
            ax_free(a);
            return s;
        }
        ax_loss_options lo = {.label_smoothing = (float)a->num[0]};
        ax_node *value = t ? ax_loss(b->g, loss, o, t, &lo) : NULL;
        ax_model m = {.n_heads = out->n_heads};
        memcpy(m.heads, out->heads, sizeof m.heads);
        if (value && named)
            s = ax_model_add_head(&m, head, o, t, value, (float)a->num[1]);
        if (!value || s != AX_OK) {
            char msg[1000];
            snprintf(msg, sizeof msg, "%s", ax_last_error());
            s = spec_error(l, l->tok[named ? 2 : 1].col, "%s%s", msg, NULL);
        } else if (named) {
            out->heads[out->n_heads++] = m.heads[m.n_heads - 1];
        } else {
            out->target = t, out->output = o, out->loss = value;
        }
        if (s == AX_OK && out->n_heads == 1)
            out->target = t, out->output = o;
        if (s == AX_OK && (!named || out->n_heads == 1))
            out->classifier = classes;
    }
    ax_free(a);
    return s;
}

/* Every input must be read by a layer. */
static ax_status inputs_read(ax_graph *g, const ax_spec *out, const line *const *input_lines)
{
    for (int i = 0; i < out->n_inputs; i++) {
        int read = 0;
        for (int k = 0; k < ax_graph_num_nodes(g) && !read; k++) {
            ax_node *n = ax_graph_node(g, k);
            for (int j = 0; j < ax_node_num_inputs(n) && !read; j++)
                read = ax_node_input(n, j) == out->inputs[i];
        }
        if (!read)
            return spec_error(input_lines[i], input_lines[i]->tok[1].col,
                              "no layer reads the input '%s' (say inputs=%s on the layer that should)",
                              ax_node_name(out->inputs[i]), ax_node_name(out->inputs[i]));
    }
    return AX_OK;
}

ax_status ax_spec_build(const char *text, const char *source, int64_t batch, uint64_t seed, ax_spec *out)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    char *copy = ax_alloc(len + 1);
    /* inputs and layers (at most MAX_LAYERS: they fill the builder's
     * table), then a loss line per head */
    const int max_lines = MAX_LAYERS + AX_MAX_HEADS;
    line *lines = ax_alloc((size_t)max_lines * sizeof *lines);
    builder *b = ax_calloc(1, sizeof *b);
    ax_status s = copy && lines && b ? AX_OK : ax_fail(AX_ERR_NOMEM, "%s: out of memory", source);
    int n = 0;
    if (s == AX_OK) {
        memcpy(copy, text, len + 1);
        n = tokenize(copy, source, lines, max_lines, &s);
    }
    if (s == AX_OK && n < 2)
        s = ax_fail(AX_ERR_FORMAT, "%s: a spec needs an input line, layers, and a loss line", source);
    if (s == AX_OK)
        s = ax_graph_new(&b->g);
    if (s == AX_OK) {
        ax_rng_seed(&b->rng, seed, 1);
        ax_graph_seed(b->g, seed);
    }
    if (s == AX_OK && strcmp(lines[0].tok[0].text, "input"))
        s = spec_error(&lines[0], lines[0].tok[0].col,
                       "the first line must be: input NAME DIM [DIM ...] (the per-sample shape)%s%s", NULL, NULL);
    /* inputs and layers, up to the first loss line */
    const line *input_lines[AX_MODEL_MAX_INPUTS];
    int i = 0;
    for (; s == AX_OK && i < n && strcmp(lines[i].tok[0].text, "loss"); i++) {
        if (b->n == MAX_LAYERS)
            s = spec_error(&lines[i], 1, "more than %s layers%s", "255", NULL);
        else if (!strcmp(lines[i].tok[0].text, "input")) {
            if (out->n_inputs < AX_MODEL_MAX_INPUTS)
                input_lines[out->n_inputs] = &lines[i];
            s = input_line(b, &lines[i], batch, out);
        } else
            s = layer(b, &lines[i], out);
    }
    if (s == AX_OK && i >= n)
        s = ax_fail(AX_ERR_FORMAT, "%s: no loss line (the last line must be: loss NAME [options])", source);
    if (s == AX_OK && b->n <= out->n_inputs)
        s = spec_error(&lines[i], 1, "no layers between the input and the loss%s%s", NULL, NULL);
    /* the loss lines: one unnamed, or one per head */
    const int losses = n - i;
    for (int k = i; s == AX_OK && k < n; k++)
        if (strcmp(lines[k].tok[0].text, "loss"))
            s = spec_error(&lines[k], 1, "nothing but loss lines (one per head) may follow the loss line%s%s", NULL, NULL);
    for (int k = i; s == AX_OK && k < n; k++) {
        const line *l = &lines[k];
        const int named = l->n >= 3 && !strchr(l->tok[2].text, '=');
        if (losses > 1 && !named)
            s = spec_error(l, l->tok[0].col, "with several loss lines, each names its head: loss HEAD TYPE "
                           "[inputs=LAYER] [target=NAME] [weight=W]%s%s", NULL, NULL);
        else
            s = loss_line(b, l, named, out);
    }
    if (s == AX_OK && out->n_heads) {
        ax_model m = {.graph = b->g, .n_heads = out->n_heads};
        memcpy(m.heads, out->heads, sizeof m.heads);
        if ((s = ax_model_total_loss(&m)) == AX_OK)
            out->loss = m.loss;
    }
    if (s == AX_OK)
        for (int k = 0; k < out->n_penalties; k++)
            out->loss = ax_regularize(b->g, out->loss, out->penalties[k], out->l1[k], out->l2[k]);
    if (s == AX_OK && !out->loss)
        s = ax_fail(AX_ERR_FORMAT, "%s: %s", source, ax_last_error());
    if (s == AX_OK)
        s = inputs_read(b->g, out, input_lines);
    if (s == AX_OK && out->n_inputs == 1)
        out->n_inputs = 0; /* one input: the plain model */
    if (s == AX_OK)
        s = ax_graph_compile(b->g);
    if (s == AX_OK) {
        out->graph = b->g;
        b->g = NULL;
        for (int k = 0; k < b->n; k++) {
            memcpy(out->layers[k].name, b->layers[k].name, sizeof out->layers[k].name);
            memcpy(out->layers[k].type, b->layers[k].type, sizeof out->layers[k].type);
            out->layers[k].output = b->layers[k].node;
        }
        out->n_layers = b->n;
    }
    if (b)
        ax_graph_free(b->g);
    ax_free(b);
    ax_free(lines);
    ax_free(copy);
    return s;
}

ax_model ax_spec_model(const ax_spec *sp)
{
    ax_model m = {.graph = sp->graph, .input = sp->input, .target = sp->target, .output = sp->output,
                  .loss = sp->loss, .n_inputs = sp->n_inputs, .n_heads = sp->n_heads};
    memcpy(m.inputs, sp->inputs, sizeof m.inputs);
    memcpy(m.heads, sp->heads, sizeof m.heads);
    return m;
}
