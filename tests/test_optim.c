/* Optimizers against steps computed by hand from their update rules. */
#include "test.h"

/* Run `steps` updates of one scalar w from 1.0 with the given gradients. */
static void run(const char *name, const ax_optim_config *cfg, const float *grads, int steps,
                float *trace)
{
    ax_optimizer *o;
    float w = 1.0f, g = 0.0f;
    CHECK_OK(ax_optimizer_new(name, cfg, &o));
    CHECK_OK(ax_optimizer_add(o, &w, &g, 1));
    for (int t = 0; t < steps; t++) {
        g = grads[t];
        CHECK_OK(ax_optimizer_step(o));
        trace[t] = w;
    }
    CHECK(ax_optimizer_steps(o) == steps);
    ax_optimizer_free(o);
}

static void sgd_plain(void)
{
    ax_optim_config c = {.lr = 0.1f};
    float tr[3];
    run("sgd", &c, (float[]){0.5f, 0.5f, -1.0f}, 3, tr);
    CHECK_NEAR(tr[0], 0.95, 1e-7);
    CHECK_NEAR(tr[1], 0.90, 1e-7);
    CHECK_NEAR(tr[2], 1.00, 1e-7);
}

static void sgd_momentum(void)
{
    /* v1 = .5, w1 = .95; v2 = .95, w2 = .855; v3 = 1.355, w3 = .7195 */
    ax_optim_config c = {.lr = 0.1f, .momentum = 0.9f};
    float tr[3];
    run("sgd", &c, (float[]){0.5f, 0.5f, 0.5f}, 3, tr);
    CHECK_NEAR(tr[0], 0.95, 1e-6);
    CHECK_NEAR(tr[1], 0.855, 1e-6);
    CHECK_NEAR(tr[2], 0.7195, 1e-6);
}

static void sgd_nesterov(void)
{
    /* v1 = .5, step .5 + .9 * .5 = .95 -> w1 = .905;
     * v2 = .95, step .5 + .855 = 1.355 -> w2 = .7695 */
    ax_optim_config c = {.lr = 0.1f, .momentum = 0.9f, .nesterov = 1};
    float tr[2];
    run("sgd", &c, (float[]){0.5f, 0.5f}, 2, tr);
    CHECK_NEAR(tr[0], 0.905, 1e-6);
    CHECK_NEAR(tr[1], 0.7695, 1e-6);
}

static void sgd_weight_decay(void)
{
    /* g_eff = .5 + .1 * 1 = .6 -> w1 = 1 - .06 = .94 */
    ax_optim_config c = {.lr = 0.1f, .weight_decay = 0.1f};
    float tr[1];
    run("sgd", &c, (float[]){0.5f}, 1, tr);
    CHECK_NEAR(tr[0], 0.94, 1e-7);
}

static void adam_bias_corrected(void)
{
    /* Step 1: m = .05, v = .00025, m^ = .5, v^ = .25 -> w = 1 - .1 * .5/.5 = .9.
     * Step 2 (g = -1): m = -.055, v = .00124975; m^ = -.055/.19,
     *   v^ = .00124975/.001999 -> w = .9 + .1 * .2894737/.7906881 = .93661035.
     * Step 3 (g = .25) likewise -> .95027942. */
    ax_optim_config c;
    CHECK_OK(ax_optim_defaults("adam", &c));
    CHECK_NEAR(c.lr, 1e-3, 1e-9);
    CHECK_NEAR(c.beta1, 0.9, 1e-7);
    CHECK_NEAR(c.beta2, 0.999, 1e-7);
    c.lr = 0.1f;
    float tr[3];
    run("adam", &c, (float[]){0.5f, -1.0f, 0.25f}, 3, tr);
    CHECK_NEAR(tr[0], 0.9, 1e-6);
    CHECK_NEAR(tr[1], 0.93661035, 1e-6);
    CHECK_NEAR(tr[2], 0.95027942, 1e-6);
}

static void bad_configs_are_refused(void)
{
    ax_optimizer *o;
    ax_optim_config c = {.lr = 0.1f, .momentum = 1.5f};
    CHECK_ERR(ax_optimizer_new("sgd", &c, &o), AX_ERR_INVALID_ARG, "momentum");
    c = (ax_optim_config){.lr = 0.1f, .beta1 = 1.0f, .beta2 = 0.9f};
    CHECK_ERR(ax_optimizer_new("adam", &c, &o), AX_ERR_INVALID_ARG, "betas");
    CHECK_ERR(ax_optimizer_new("adamz", NULL, &o), AX_ERR_INVALID_ARG, "unknown name 'adamz'");
    CHECK(strstr(ax_last_error(), "sgd") && strstr(ax_last_error(), "adam"));
}

static void graph_params_and_freezing(void)
{
    ax_graph *g;
    CHECK_OK(ax_graph_new(&g));
    ax_node *x = ax_input(g, "x", ax_shape2(2, 3));
    ax_node *w1 = ax_param(g, "w1", ax_shape2(3, 3));
    ax_node *w2 = ax_param(g, "w2", ax_shape2(1, 3));
    ax_node *y = ax_matmul(g, ax_matmul(g, x, w1, 1), w2, 1);
    ax_node *t = ax_input(g, "t", ax_shape2(2, 1));
    ax_node *loss = ax_mse(g, y, t);
    CHECK_OK(ax_graph_compile(g));
    for (int i = 0; i < 9; i++)
        ax_node_data(w1)[i] = 0.1f * (float)(i + 1);
    for (int i = 0; i < 3; i++)
        ax_node_data(w2)[i] = 0.5f;
    for (int i = 0; i < 6; i++)
        ax_node_data(x)[i] = (float)i;
    ax_node_data(t)[0] = 1.0f;
    ax_node_data(t)[1] = -1.0f;
    ax_optimizer *o;
    CHECK_OK(ax_optimizer_new("sgd", &(ax_optim_config){.lr = 0.01f}, &o));
    CHECK_OK(ax_optimizer_add_graph(o, g));
    CHECK_OK(ax_node_set_frozen(w1, 1));
    float w1_before = ax_node_data(w1)[4], w2_before = ax_node_data(w2)[1];
    CHECK_OK(ax_graph_forward(g));
    CHECK_OK(ax_graph_backward(g, loss, NULL));
    CHECK_OK(ax_optimizer_step(o));
    CHECK(ax_node_data(w1)[4] == w1_before); /* frozen */
    CHECK(ax_node_data(w2)[1] != w2_before);
    CHECK_NEAR(ax_node_data(w2)[1], w2_before - 0.01f * ax_node_grad(w2)[1], 1e-7);
    CHECK_ERR(ax_node_set_frozen(x, 1), AX_ERR_INVALID_ARG, "only parameters");
    ax_optimizer_free(o);
    ax_graph_free(g);
}

TEST_MAIN(T(sgd_plain), T(sgd_momentum), T(sgd_nesterov), T(sgd_weight_decay),
          T(adam_bias_corrected), T(bad_configs_are_refused), T(graph_params_and_freezing))
