/* Training state for exact resumption (see axon/io.h). With each epoch's
 * data order and augmentation drawn from (seed, epoch) (data/batcher.c),
 * these are all that training carries from one epoch to the next. */
#include "axon/checkpoint.h"
#include "axon/safetensors.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The optimizer array of each graph parameter, by node. */
static int array_of(const ax_optimizer *o, const ax_node *p)
{
    for (int i = 0; i < ax_optimizer_num_arrays(o); i++)
        if (ax_optimizer_array_node(o, i) == p)
            return i;
    return -1;
}

ax_status ax_save_training_state(const char *path, ax_graph *g, ax_optimizer *opt, int epochs_done)
{
    const int np = ax_graph_num_params(g), ns = ax_optimizer_num_state(opt);
    ax_st_entry *e = ax_alloc((size_t)(np * (1 + ns) + 1) * sizeof *e);
    char (*names)[160] = ax_alloc((size_t)(np * ns + 1) * sizeof *names);
    if (!e || !names) {
        ax_free(e);
        ax_free(names);
        return ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
    }
    int n = 0, k_name = 0;
    for (int i = 0; i < np; i++) {
        ax_node *p = ax_graph_param(g, i);
        e[n++] = (ax_st_entry){ax_node_name(p), ax_node_map(p), ax_node_shape(p)};
        int a = array_of(opt, p);
        for (int k = 0; a >= 0 && k < ns; k++) {
            int64_t len;
            float *st = ax_optimizer_state(opt, a, k, &len);
            snprintf(names[k_name], sizeof names[k_name], "optimizer.%s.%d", ax_node_name(p), k);
            e[n++] = (ax_st_entry){names[k_name++], st, ax_node_shape(p)};
        }
    }
    char epochs[32], step[32], aux[4][40], rng[64];
    const double *ax = ax_optimizer_aux(opt);
    ax_rng r = ax_graph_rng(g);
    snprintf(epochs, sizeof epochs, "%d", epochs_done);
    snprintf(step, sizeof step, "%" PRId64, ax_optimizer_steps(opt));
    for (int i = 0; i < 4; i++)
        snprintf(aux[i], sizeof aux[i], "%.17g", ax[i]);
    snprintf(rng, sizeof rng, "%016" PRIx64 ":%016" PRIx64, r.state, r.inc);
    const char *keys[9] = {"format", "epochs_done", "optimizer", "optimizer_step", "aux0", "aux1", "aux2", "aux3", "graph_rng"};
    const char *vals[9] = {"axon training state 1", epochs, ax_optimizer_name(opt), step, aux[0], aux[1], aux[2], aux[3], rng};
    ax_status s = ax_st_write(path, e, n, keys, vals, 9);
    /* release the host views, in the order they were taken */
    for (int i = 0, at = 0; i < np; i++) {
        ax_node *p = ax_graph_param(g, i);
        ax_node_unmap(p, 0);
        at++;
        int a = array_of(opt, p);
        for (int k = 0; a >= 0 && k < ns; k++)
            ax_optimizer_unmap_state(opt, a, k, (float *)e[at++].data, 0);
    }
    ax_free(e);
    ax_free(names);
    return s;
}

ax_status ax_load_training_state(const char *path, ax_graph *g, ax_optimizer *opt, int *epochs_done)
{
    ax_st_file *f;
    ax_status s = ax_st_open(path, &f);
    if (s != AX_OK)
        return s;
    const char *fmt = ax_st_meta(f, "format"), *name = ax_st_meta(f, "optimizer");
    const char *ep = ax_st_meta(f, "epochs_done"), *step = ax_st_meta(f, "optimizer_step"), *rng = ax_st_meta(f, "graph_rng");
    if (!fmt || strcmp(fmt, "axon training state 1") || !name || !ep || !step || !rng)
        s = ax_fail(AX_ERR_FORMAT, "%s: not an axon training state (its metadata lacks format, optimizer, epochs_done, "
                    "optimizer_step or graph_rng)", path);
    int64_t epochs = 0, steps = 0;
    if (s == AX_OK && (!ax_parse_int(ep, 0, INT32_MAX, &epochs) || !ax_parse_int(step, 0, INT64_MAX, &steps)))
        s = ax_fail(AX_ERR_FORMAT, "%s: epochs_done '%s' and optimizer_step '%s' must be whole numbers >= 0", path, ep,
                    step);
    ax_rng r;
    char tail;
    if (s == AX_OK && sscanf(rng, "%" SCNx64 ":%" SCNx64 "%c", &r.state, &r.inc, &tail) != 2)
        s = ax_fail(AX_ERR_FORMAT, "%s: graph_rng '%s' is not STATE:INC in hexadecimal", path, rng);
    double aux[4] = {0, 0, 0, 0};
    for (int i = 0; s == AX_OK && i < 4; i++) {
        char key[8];
        snprintf(key, sizeof key, "aux%d", i);
        const char *v = ax_st_meta(f, key);
        if (v && !ax_parse_number(v, -1e300, 1e300, &aux[i]))
            s = ax_fail(AX_ERR_FORMAT, "%s: %s '%s' is not a finite number", path, key, v);
    }
    if (s == AX_OK && strcmp(name, ax_optimizer_name(opt)))
        s = ax_fail(AX_ERR_INVALID_ARG, "%s: saved with optimizer %s, resuming with %s", path, name, ax_optimizer_name(opt));
    /* the file is valid as a whole (ax_st_open); still, check every tensor
     * is there with its size before writing any */
    for (int pass = 0; pass < 2 && s == AX_OK; pass++)
        for (int i = 0; i < ax_graph_num_params(g) && s == AX_OK; i++) {
            ax_node *p = ax_graph_param(g, i);
            int64_t numel = ax_node_numel(p);
            float *scratch = pass ? ax_node_map(p) : ax_alloc((size_t)numel * sizeof(float));
            if (!scratch) {
                s = ax_fail(AX_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            s = ax_st_get(f, ax_node_name(p), scratch, numel);
            int a = array_of(opt, p);
            for (int k = 0; s == AX_OK && a >= 0 && k < ax_optimizer_num_state(opt); k++) {
                char tname[160];
                int64_t len;
                float *st = ax_optimizer_state(opt, a, k, &len);
                snprintf(tname, sizeof tname, "optimizer.%s.%d", ax_node_name(p), k);
                /* states written before the optimizer kept every parameter
                 * lack those of parameters frozen at compile: theirs is zero */
                if (ax_node_frozen(p) && !ax_st_has(f, tname)) {
                    if (pass)
                        memset(st, 0, (size_t)len * sizeof(float));
                } else
                    s = ax_st_get(f, tname, pass ? st : scratch, len);
                ax_optimizer_unmap_state(opt, a, k, st, pass);
            }
            if (!pass)
                ax_free(scratch);
            else
                ax_node_unmap(p, 1);
        }
    if (s == AX_OK) {
        memcpy(ax_optimizer_aux(opt), aux, sizeof aux);
        ax_optimizer_set_steps(opt, steps);
        ax_graph_set_rng(g, r);
        *epochs_done = (int)epochs;
    }
    ax_st_close(f);
    return s;
}
