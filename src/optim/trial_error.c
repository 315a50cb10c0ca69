/* Trial and error, the gradient-free method a course starts from: perturb
 * a few randomly chosen weights by N(0, lr^2), keep the change if the loss
 * drops, undo it otherwise. It has no gradient update (ax_optimizer_trial
 * drives it); this file holds its configuration. */
#include "optim/algo.h"

static ax_status check(const ax_optim_config *c)
{
    ax_status s = ax_optim_check_lr("trial_error", c);
    if (s == AX_OK && c->perturb < 1)
        s = ax_fail(AX_ERR_INVALID_ARG, "trial_error: perturb %d must be at least 1", c->perturb);
    return s;
}

const ax_optim_algo ax_optim_trial_error = {"trial_error", {.lr = 0.1f, .perturb = 1, .seed = 1},
                                            0, check, NULL, NULL};
