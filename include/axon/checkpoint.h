/* axon checkpoints: the training state for exact resumption, and a
 * callback saving the weights as training goes. */
#ifndef AXON_CHECKPOINT_H
#define AXON_CHECKPOINT_H

#include "axon/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Training state, to resume exactly: the weights and buffers, the
 * optimizer's arrays ("optimizer.<param>.<k>"), its step count and per-step
 * scalars, the graph's random stream, and the epochs run. */
ax_status ax_save_training_state(const char *path, ax_graph *g, ax_optimizer *opt, int epochs_done);
ax_status ax_load_training_state(const char *path, ax_graph *g, ax_optimizer *opt, int *epochs_done);

/* A callback saving the model's weights after each epoch: to last_path
 * always, to best_path when the monitored value improves (either may be
 * NULL). Each file is a safetensors file written atomically, with "epoch",
 * "monitor" and "monitor_value" in its metadata. */
ax_status ax_checkpoint_new(const char *best_path, const char *last_path, ax_monitor monitor, ax_callback **out);

#ifdef __cplusplus
}
#endif
#endif
