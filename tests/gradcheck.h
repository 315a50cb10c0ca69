/* The shared finite-difference gradient checker. */
#ifndef AXON_GRADCHECK_H
#define AXON_GRADCHECK_H

#include <axon.h>

/* Fill a node's data with values from U(lo, hi), away from 0 by at least
 * `gap` when gap > 0 (for ops with a kink at 0, such as ReLU). */
void fill_uniform(ax_node *n, ax_rng *rng, float lo, float hi, float gap);

/* Compare the analytic gradient of L = sum_i w_i out_i (random w) with
 * central differences, for every parameter and every input that requires
 * a gradient, on up to `max_per_node` elements of each. The graph must be
 * compiled. Returns the number of mismatches (printed). */
int gradcheck(ax_graph *g, ax_node *out, int max_per_node);

#endif
