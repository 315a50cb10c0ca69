/* Central differences in float32: L is accumulated in double from the
 * float outputs, eps is large enough that rounding in the forward pass
 * stays well under the tolerance, and small enough that the truncation
 * error (O(eps^2)) does too. */
#include "gradcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#define EPS 4e-3f
#define ATOL 2e-3
#define RTOL 2e-2

void fill_uniform(ax_node *n, ax_rng *rng, float lo, float hi, float gap)
{
    float *d = ax_node_data(n);
    for (int64_t i = 0; i < ax_node_numel(n); i++) {
        float v;
        do
            v = lo + (hi - lo) * ax_rng_uniform(rng);
        while (gap > 0 && fabsf(v) < gap);
        d[i] = v;
    }
}

static double objective(ax_graph *g, ax_node *out, const float *w)
{
    ax_graph_forward_to(g, out);
    const float *y = ax_node_data(out);
    double L = 0.0;
    for (int64_t i = 0; i < ax_node_numel(out); i++)
        L += (double)w[i] * y[i];
    return L;
}

int gradcheck(ax_graph *g, ax_node *out, int max_per_node)
{
    ax_rng rng;
    ax_rng_seed(&rng, 1234, 99);
    int64_t n_out = ax_node_numel(out);
    float *w = malloc((size_t)n_out * sizeof *w);
    for (int64_t i = 0; i < n_out; i++)
        w[i] = 0.5f + ax_rng_uniform(&rng);
    int bad = 0, checked = 0;
    if (ax_graph_forward_to(g, out) != AX_OK || ax_graph_backward(g, out, w) != AX_OK) {
        printf("  gradcheck: %s\n", ax_last_error());
        free(w);
        return 1;
    }
    for (int k = 0; k < ax_graph_num_nodes(g); k++) {
        ax_node *n = ax_graph_node(g, k);
        const char *op = ax_node_op(n);
        if (!ax_node_grad(n) || (strcmp(op, "param") && strcmp(op, "input")))
            continue;
        int64_t count = ax_node_numel(n);
        float *analytic = malloc((size_t)count * sizeof *analytic);
        memcpy(analytic, ax_node_grad(n), (size_t)count * sizeof *analytic);
        int64_t stride = count > max_per_node ? count / max_per_node : 1;
        for (int64_t i = 0; i < count; i += stride) {
            float *x = ax_node_data(n) + i, saved = *x;
            *x = saved + EPS;
            double up = objective(g, out, w);
            *x = saved - EPS;
            double down = objective(g, out, w);
            *x = saved;
            double numeric = (up - down) / (2.0 * (double)EPS);
            checked++;
            if (fabs(numeric - analytic[i]) > ATOL + RTOL * fabs(numeric)) {
                if (bad < 10)
                    printf("  gradcheck %s[%lld]: analytic %.6g, numeric %.6g\n", ax_node_name(n),
                           (long long)i, (double)analytic[i], numeric);
                bad++;
            }
        }
        free(analytic);
    }
    if (checked == 0) {
        printf("  gradcheck: nothing to check\n");
        bad++;
    }
    free(w);
    return bad;
}
