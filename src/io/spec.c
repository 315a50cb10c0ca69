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

/* Every key=value must be one of `allowed` (space-separated). */
static ax_status check_keys(const line *l, int first, const char *type, const char *allowed)
{
    for (int i = first; i < l->n; i++) {
        const char *eq = strchr(l->tok[i].text, '=');
        if (!eq)
            return spec_error(l, l->tok[i].col, "'%s' is not key=value (the name goes right after the type '%s')",
                              l->tok[i].text, type);
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - l->tok[i].text), l->tok[i].text);
        char pattern[70];
        snprintf(pattern, sizeof pattern, " %s ", key);
        char all[512];
        snprintf(all, sizeof all, " %s inputs frozen ", allowed);
        if (!strstr(all, pattern)) {
            char expected[1000];
            snprintf(expected, sizeof expected, "unknown key '%s' for %s (expected one of: %s inputs frozen)", key, type, allowed);
            return spec_error(l, l->tok[i].col, "%s%s", expected, NULL);
        }
    }
    return AX_OK;
}

/* Sizes (units, filters, kernels, strides, ...) are at most this. */
#define MAX_SIZE (1L << 24)

static ax_status int_value(const line *l, int first, const char *key, long dflt, long min, long max, long *out)
{
    const token *t = find(l, first, key);
    *out = dflt;
    if (!t)
        return AX_OK;
    int64_t v;
    if (!ax_parse_int(value_of(t), min, max, &v)) {
        char what[96];
        snprintf(what, sizeof what, "%s expects a whole number from %ld to %ld", key, min, max);
        return spec_error(l, t->col, "%s, got '%s'", what, value_of(t));
    }
    *out = (long)v;
    return AX_OK;
}

/* A finite number in [min, max]. */
static ax_status float_value(const line *l, int first, const char *key, double dflt, double min, double max,
                             double *out)
{
    const token *t = find(l, first, key);
    *out = dflt;
    if (!t)
        return AX_OK;
    if (!ax_parse_number(value_of(t), min, max, out)) {
        char what[128];
        snprintf(what, sizeof what, "%s expects a number from %g to %g", key, min, max);
        return spec_error(l, t->col, "%s, got '%s'", what, value_of(t));
    }
    return AX_OK;
}

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
        if (*n_in == 8)
            return spec_error(l, t->col, "inputs: at most 8%s%s", NULL, NULL);
        in[(*n_in)++] = nd;
    }
    return AX_OK;
}

static ax_status init_of(const line *l, int first, ax_init *init)
{
    const token *t = find(l, first, "init");
    *init = AX_DEFAULT_INIT;
    if (t && ax_init_from_name(value_of(t), init) != AX_OK)
        return spec_error(l, t->col, "unknown init '%s'%s", value_of(t), NULL);
    return AX_OK;
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
    ax_node *in[8];
    int n_in = 0;
    ax_status s = AX_OK;
    ax_node *out = NULL;
    ax_graph *g = b->g;
    long iv;
    double fv;
    if (!strcmp(type, "dense")) {
        long units, bias;
        ax_init init;
        double l1, l2;
        const token *act = find(l, first, "activation");
        if ((s = check_keys(l, first, type, "units activation init l1 l2 bias")) ||
            (s = inputs_of(b, l, first, in, &n_in)) || (s = int_value(l, first, "units", 0, 1, MAX_SIZE, &units)) ||
            (s = int_value(l, first, "bias", 1, 0, 1, &bias)) || (s = init_of(l, first, &init)) ||
            (s = float_value(l, first, "l1", 0, 0, 1e6, &l1)) || (s = float_value(l, first, "l2", 0, 0, 1e6, &l2)))
            return s;
        if (!find(l, first, "units"))
            return spec_error(l, l->tok[0].col, "dense needs units=N%s%s", NULL, NULL);
        ax_node *x = in[0];
        if (ax_node_shape(x).ndim > 2)
            x = ax_flatten(g, x);
        out = (bias ? ax_dense : ax_dense_no_bias)(g, x, units, act ? value_of(act) : NULL, init, &b->rng, name);
        if (l1 > 0 || l2 > 0) {
            char wname[96];
            snprintf(wname, sizeof wname, "%s.weight", name);
            spec->penalties[spec->n_penalties] = ax_graph_find(g, wname); /* one per layer at most */
            spec->l1[spec->n_penalties] = (float)l1;
            spec->l2[spec->n_penalties++] = (float)l2;
        }
    } else if (!strcmp(type, "conv2d")) {
        long filters, kernel, stride, dilation, groups, bias;
        ax_init init;
        const token *act = find(l, first, "activation"), *pad = find(l, first, "padding");
        if ((s = check_keys(l, first, type, "filters kernel stride padding dilation groups activation init bias")) ||
            (s = inputs_of(b, l, first, in, &n_in)) || (s = int_value(l, first, "filters", 0, 1, MAX_SIZE, &filters)) ||
            (s = int_value(l, first, "kernel", 3, 1, MAX_SIZE, &kernel)) || (s = int_value(l, first, "stride", 1, 1, MAX_SIZE, &stride)) ||
            (s = int_value(l, first, "dilation", 1, 1, MAX_SIZE, &dilation)) || (s = int_value(l, first, "groups", 1, 1, MAX_SIZE, &groups)) ||
            (s = int_value(l, first, "bias", 1, 0, 1, &bias)) || (s = init_of(l, first, &init)))
            return s;
        if (!find(l, first, "filters"))
            return spec_error(l, l->tok[0].col, "conv2d needs filters=N%s%s", NULL, NULL);
        ax_conv_options o = {.stride_h = (int)stride, .stride_w = (int)stride, .dil_h = (int)dilation,
                             .dil_w = (int)dilation, .groups = (int)groups, .no_bias = !bias};
        if (pad && !strcmp(value_of(pad), "same"))
            o.pad_mode = AX_PAD_SAME;
        else if (pad && strcmp(value_of(pad), "valid")) {
            int64_t p;
            if (!ax_parse_int(value_of(pad), 0, MAX_SIZE, &p))
                return spec_error(l, pad->col, "padding expects same, valid or a whole number from 0 to 16777216, got '%s'%s",
                                  value_of(pad), NULL);
            o.pad_h = o.pad_w = (int)p;
        }
        out = ax_conv2d_layer(g, in[0], filters, (int)kernel, (int)kernel, &o, act ? value_of(act) : NULL, init, &b->rng, name);
    } else if (!strcmp(type, "maxpool") || !strcmp(type, "avgpool")) {
        long size, stride, padding;
        if ((s = check_keys(l, first, type, "size stride padding")) || (s = inputs_of(b, l, first, in, &n_in)) ||
            (s = int_value(l, first, "size", 2, 1, MAX_SIZE, &size)) || (s = int_value(l, first, "stride", size, 1, MAX_SIZE, &stride)) ||
            (s = int_value(l, first, "padding", 0, 0, MAX_SIZE, &padding)))
            return s;
        out = type[0] == 'm' ? ax_max_pool2d(g, in[0], (int)size, (int)size, (int)stride, (int)stride, (int)padding, (int)padding)
                             : ax_avg_pool2d(g, in[0], (int)size, (int)size, (int)stride, (int)stride, (int)padding, (int)padding, 1);
    } else if (!strcmp(type, "globalavgpool") || !strcmp(type, "flatten")) {
        if ((s = check_keys(l, first, type, "")) || (s = inputs_of(b, l, first, in, &n_in)))
            return s;
        out = type[0] == 'g' ? ax_global_avg_pool(g, in[0]) : ax_flatten(g, in[0]);
    } else if (!strcmp(type, "batchnorm")) {
        double momentum, eps;
        if ((s = check_keys(l, first, type, "momentum eps")) || (s = inputs_of(b, l, first, in, &n_in)) ||
            (s = float_value(l, first, "momentum", 0.1, 0, 1, &momentum)) || (s = float_value(l, first, "eps", 1e-5, 1e-30, 1, &eps)))
            return s;
        out = ax_batch_norm_layer(g, in[0], (float)momentum, (float)eps, name);
    } else if (!strcmp(type, "dropout") || !strcmp(type, "spatial_dropout")) {
        if ((s = check_keys(l, first, type, "rate")) || (s = inputs_of(b, l, first, in, &n_in)) ||
            (s = float_value(l, first, "rate", 0.5, 0, 0.999999, &fv)))
            return s;
        out = type[0] == 'd' ? ax_dropout(g, in[0], (float)fv) : ax_spatial_dropout(g, in[0], (float)fv);
    } else if (!strcmp(type, "add") || !strcmp(type, "concat")) {
        if ((s = check_keys(l, first, type, "")) || (s = inputs_of(b, l, first, in, &n_in)))
            return s;
        if (n_in < 2)
            return spec_error(l, l->tok[0].col, "%s needs inputs=a,b (two or more layers)%s", type, NULL);
        out = in[0];
        if (type[0] == 'a')
            for (int i = 1; i < n_in; i++)
                out = ax_add(g, out, in[i]);
        else
            out = ax_concat(g, in, n_in);
    } else if (!strcmp(type, "prelu")) {
        if ((s = check_keys(l, first, type, "")) || (s = inputs_of(b, l, first, in, &n_in)))
            return s;
        out = ax_prelu_layer(g, in[0], name);
    } else if (!strcmp(type, "maxout")) {
        long units, k;
        if ((s = check_keys(l, first, type, "units k")) || (s = inputs_of(b, l, first, in, &n_in)) ||
            (s = int_value(l, first, "units", 0, 1, MAX_SIZE, &units)) || (s = int_value(l, first, "k", 2, 1, MAX_SIZE, &k)))
            return s;
        out = ax_maxout_dense(g, in[0], units, k, &b->rng, name);
    } else if (!strcmp(type, "activation")) {
        const token *fn = find(l, first, "fn");
        if ((s = check_keys(l, first, type, "fn")) || (s = inputs_of(b, l, first, in, &n_in)))
            return s;
        if (!fn)
            return spec_error(l, l->tok[0].col, "activation needs fn=NAME%s%s", NULL, NULL);
        out = ax_activate(g, in[0], value_of(fn));
    } else {
        (void)iv;
        return spec_error(l, l->tok[0].col,
                          "unknown layer type '%s' (expected input, dense, conv2d, maxpool, avgpool, globalavgpool, "
                          "flatten, batchnorm, dropout, spatial_dropout, add, concat, prelu, maxout, activation, loss)%s",
                          type, NULL);
    }
    if (!out) {
        char msg[1000];
        snprintf(msg, sizeof msg, "%s", ax_last_error());
        return spec_error(l, l->tok[0].col, "%s%s", msg, NULL);
    }
    if (find(l, first, "frozen") && strcmp(value_of(find(l, first, "frozen")), "0"))
        ax_graph_freeze(g, name, 1, NULL);
    snprintf(b->layers[b->n].name, sizeof b->layers[b->n].name, "%s", name);
    snprintf(b->layers[b->n].type, sizeof b->layers[b->n].type, "%s", type);
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

ax_status ax_spec_build(const char *text, const char *source, int64_t batch, uint64_t seed, ax_spec *out)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    char *copy = ax_alloc(len + 1);
    /* the input line, at most MAX_LAYERS - 1 layers (they and the input fill
     * the builder's table), the loss line */
    line *lines = ax_alloc((MAX_LAYERS + 1) * sizeof *lines);
    builder *b = ax_calloc(1, sizeof *b);
    ax_status s = copy && lines && b ? AX_OK : ax_fail(AX_ERR_NOMEM, "%s: out of memory", source);
    int n = 0;
    if (s == AX_OK) {
        memcpy(copy, text, len + 1);
        n = tokenize(copy, source, lines, MAX_LAYERS + 1, &s);
    }
    if (s == AX_OK && n < 2)
        s = ax_fail(AX_ERR_FORMAT, "%s: a spec needs an input line, layers, and a loss line", source);
    if (s == AX_OK)
        s = ax_graph_new(&b->g);
    if (s == AX_OK) {
        ax_rng_seed(&b->rng, seed, 1);
        ax_graph_seed(b->g, seed);
    }
    /* the input line */
    if (s == AX_OK) {
        const line *l = &lines[0];
        if (strcmp(l->tok[0].text, "input") || l->n < 3)
            s = spec_error(l, l->tok[0].col, "the first line must be: input NAME DIM [DIM ...] (the per-sample shape)%s%s", NULL, NULL);
        ax_shape shape = {1, {batch}};
        for (int i = 2; s == AX_OK && i < l->n; i++) {
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
        if (s == AX_OK && strlen(l->tok[1].text) >= sizeof b->layers[0].name)
            s = spec_error(l, l->tok[1].col, "the name '%s' is longer than %s characters", l->tok[1].text, "63");
        if (s == AX_OK) {
            out->input = ax_input(b->g, l->tok[1].text, shape);
            snprintf(b->layers[0].name, sizeof b->layers[0].name, "%s", l->tok[1].text);
            snprintf(b->layers[0].type, sizeof b->layers[0].type, "input");
            b->layers[0].node = out->input;
            b->n = 1;
        }
    }
    int i = 1;
    for (; s == AX_OK && i < n && strcmp(lines[i].tok[0].text, "loss"); i++)
        s = layer(b, &lines[i], out);
    if (s == AX_OK && i != n - 1)
        s = i >= n ? ax_fail(AX_ERR_FORMAT, "%s: no loss line (the last line must be: loss NAME [options])", source)
                   : spec_error(&lines[i + 1], 1, "nothing may follow the loss line%s%s", NULL, NULL);
    if (s == AX_OK && b->n < 2)
        s = spec_error(&lines[i], 1, "no layers between the input and the loss%s%s", NULL, NULL);
    if (s == AX_OK) { /* the loss: class labels for the cross-entropies, targets like the output otherwise */
        const line *l = &lines[i];
        double smoothing;
        if (l->n < 2)
            s = spec_error(l, l->tok[0].col, "loss needs a name (softmax_cross_entropy, mse, ...)%s%s", NULL, NULL);
        else if ((s = check_keys(l, 2, "loss", "label_smoothing")) == AX_OK &&
                 (s = float_value(l, 2, "label_smoothing", 0, 0, 0.999999, &smoothing)) == AX_OK) {
            const char *loss = l->tok[1].text;
            ax_node *o = b->layers[b->n - 1].node;
            int classes = !strcmp(loss, "softmax_cross_entropy") || !strcmp(loss, "categorical_cross_entropy");
            ax_shape os = ax_node_shape(o);
            out->target = ax_input(b->g, "target", classes ? ax_shape1(batch) : os);
            ax_loss_options lo = {.label_smoothing = (float)smoothing};
            out->output = o;
            out->loss = ax_loss(b->g, loss, o, out->target, &lo);
            for (int k = 0; k < out->n_penalties; k++)
                out->loss = ax_regularize(b->g, out->loss, out->penalties[k], out->l1[k], out->l2[k]);
            if (!out->loss) {
                char msg[1000];
                snprintf(msg, sizeof msg, "%s", ax_last_error());
                s = spec_error(l, l->tok[1].col, "%s%s", msg, NULL);
            }
            out->classifier = classes;
        }
    }
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
